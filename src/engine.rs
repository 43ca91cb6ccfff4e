//! The engine: the loop that takes happenings off the agenda, has the model
//! decide them, and folds the resulting events into state and metrics while
//! writing them to a sink — and the replay that folds a log without deciding.

use std::io::{Read, Write};
use std::path::Path;

use crate::agenda::Agenda;
use crate::calendar::Minute;
use crate::event::{Event, Timed};
use crate::log::{Header, LogError, LogReader, LogWriter, Trailer, CHECKPOINT_EVERY};
use crate::model::{Decisions, Model};
use crate::projection::{fold, Metrics};
use crate::scenario::{
    scenario_hash, Scenario, ScenarioError, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME,
};
use crate::state::{Inconsistent, State};
use crate::summary::Summary;

/// Where a run's events go as they happen.
pub trait EventSink {
    /// Records one event.
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError>;
}

/// No log: events are folded into metrics and dropped.
pub struct Discard;

impl EventSink for Discard {
    #[inline]
    fn record(&mut self, _: Minute, _: &Event) -> Result<(), LogError> {
        Ok(())
    }
}

impl<W: Write> EventSink for LogWriter<W> {
    #[inline]
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError> {
        self.event(at, event)
    }
}

impl EventSink for Vec<Timed> {
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError> {
        self.push(Timed {
            at,
            event: event.clone(),
        });
        Ok(())
    }
}

/// A run or replay that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The log could not be written or read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The scenario (for a replay: the one inside the log) is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// An event did not fit the state.
    #[error("event {index}: {source}")]
    Inconsistent {
        /// Which event, from 0.
        index: u64,
        /// What did not fit.
        source: Inconsistent,
    },
}

/// A scenario with the text it was read from and where that came from.
#[derive(Clone, Debug)]
pub struct ScenarioInput {
    /// The scenario.
    pub scenario: Scenario,
    /// Its text (stored in the log header).
    pub text: String,
    /// A path, or `<built-in default>`.
    pub source: String,
}

impl ScenarioInput {
    /// The built-in default scenario.
    pub fn builtin() -> Self {
        ScenarioInput {
            scenario: Scenario::default_scenario(),
            text: DEFAULT_SCENARIO.to_string(),
            source: DEFAULT_SCENARIO_NAME.to_string(),
        }
    }

    /// A scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let (scenario, text) = Scenario::load(path)?;
        Ok(ScenarioInput {
            scenario,
            text,
            source: path.display().to_string(),
        })
    }

    /// Scenario text, named `source` in errors.
    pub fn from_text(text: &str, source: &str) -> Result<Self, ScenarioError> {
        Ok(ScenarioInput {
            scenario: Scenario::parse(text, source)?,
            text: text.to_string(),
            source: source.to_string(),
        })
    }

    /// The log header of a run of this scenario with `seed`.
    pub fn header(&self, seed: u64) -> Header {
        Header {
            engine_version: crate::VERSION.to_string(),
            codec: crate::codec::CODEC.to_string(),
            seed,
            scenario_hash: scenario_hash(&self.text),
            scenario_source: self.source.clone(),
            scenario: self.text.clone(),
            checkpoint_every: CHECKPOINT_EVERY,
        }
    }
}

/// The end of a run: its state, metrics and summary.
pub struct Finished {
    /// The final state.
    pub state: State,
    /// The metrics.
    pub metrics: Metrics,
    /// The summary.
    pub summary: Summary,
}

/// Runs `model` to its horizon, sending every event to `sink`.
pub fn simulate<S: EventSink>(model: &Model, sink: &mut S) -> Result<(State, Metrics), RunError> {
    let mut state = State::new(&model.scenario);
    let mut metrics = Metrics::new(&model.calendar);
    let mut agenda = Agenda::new();
    let mut decisions = Decisions::default();
    model.start(&mut decisions);
    for &(at, what) in &decisions.schedule {
        agenda.push(at, what);
    }
    let horizon = model.calendar.horizon();
    let mut index = 0u64;
    while let Some((now, what)) = agenda.pop() {
        if now >= horizon {
            break;
        }
        decisions.clear();
        model.decide(now, what, &state, &mut decisions);
        for event in &decisions.events {
            fold(&mut state, &mut metrics, now, event)
                .map_err(|source| RunError::Inconsistent { index, source })?;
            sink.record(now, event)?;
            index += 1;
        }
        for &(at, what) in &decisions.schedule {
            agenda.push(at, what);
        }
    }
    metrics.finish(horizon, &state);
    Ok((state, metrics))
}

/// Runs a scenario with `seed`; with `log`, writes the event log to it.
pub fn run<W: Write>(
    input: &ScenarioInput,
    seed: u64,
    log: Option<W>,
) -> Result<Finished, RunError> {
    let model = Model::new(input.scenario.clone(), seed);
    let (state, metrics) = match log {
        Some(out) => {
            let mut writer = LogWriter::new(out, &input.header(seed))?;
            let (state, metrics) = simulate(&model, &mut writer)?;
            writer.finish(model.calendar.horizon(), state.hash(), true)?;
            (state, metrics)
        }
        None => simulate(&model, &mut Discard)?,
    };
    let summary = Summary::new(&input.scenario, &input.source, seed, &metrics, &state);
    Ok(Finished {
        state,
        metrics,
        summary,
    })
}

/// What replaying a log found.
pub struct Replayed {
    /// The log's header.
    pub header: Header,
    /// Its trailer.
    pub trailer: Trailer,
    /// State, metrics and summary rebuilt from the events alone.
    pub finished: Finished,
}

/// Rebuilds state, metrics and summary from a whole log, drawing no random numbers.
pub fn replay<R: Read>(input: R) -> Result<Replayed, RunError> {
    let mut reader = LogReader::open(input)?;
    let header = reader.header().clone();
    let scenario = Scenario::parse(
        &header.scenario,
        &format!("{} (inside the log)", header.scenario_source),
    )?;
    let calendar = scenario.calendar();
    let mut state = State::new(&scenario);
    let mut metrics = Metrics::new(&calendar);
    let mut index = 0u64;
    while let Some(Timed { at, event }) = reader.next_event()? {
        fold(&mut state, &mut metrics, at, &event)
            .map_err(|source| RunError::Inconsistent { index, source })?;
        index += 1;
    }
    let trailer = *reader
        .trailer()
        .expect("a strict read ends only after the trailer");
    metrics.finish(trailer.end, &state);
    let summary = Summary::new(
        &scenario,
        &header.scenario_source,
        header.seed,
        &metrics,
        &state,
    );
    Ok(Replayed {
        header,
        trailer,
        finished: Finished {
            state,
            metrics,
            summary,
        },
    })
}
