//! The engine: the loop that takes happenings off the agenda, has the model
//! decide them, and folds the resulting events into state and metrics while
//! writing them to a sink — and the replay that folds a log without deciding.

use std::io::{Read, Write};
use std::path::Path;

use crate::agenda::Agenda;
use crate::agenda::Happening;
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

/// A run under way: its state, metrics and agenda.
pub struct Run {
    /// The state.
    pub state: State,
    /// The metrics so far.
    pub metrics: Metrics,
    /// Pending happenings.
    pub agenda: Agenda,
    decisions: Decisions,
}

impl Run {
    /// A run of `model` at its start: nothing has happened yet.
    pub fn start(model: &Model) -> Run {
        let mut decisions = Decisions::default();
        let mut agenda = Agenda::new();
        model.start(&mut decisions);
        for &(at, what) in &decisions.schedule {
            agenda.push(at, what);
        }
        Run {
            state: State::new(&model.scenario),
            metrics: Metrics::new(&model.calendar),
            agenda,
            decisions,
        }
    }

    /// A run resumed from its parts (a snapshot).
    pub fn resume(state: State, metrics: Metrics, agenda: Agenda) -> Run {
        Run {
            state,
            metrics,
            agenda,
            decisions: Decisions::default(),
        }
    }

    /// Decides one happening now and folds its events, sending them to `sink`.
    #[inline]
    pub fn step<S: EventSink>(
        &mut self,
        model: &Model,
        now: Minute,
        what: Happening,
        sink: &mut S,
    ) -> Result<(), RunError> {
        self.decisions.clear();
        model.decide(now, what, &self.state, &mut self.decisions);
        for event in &self.decisions.events {
            let index = self.metrics.events;
            fold(&mut self.state, &mut self.metrics, now, event)
                .map_err(|source| RunError::Inconsistent { index, source })?;
            sink.record(now, event)?;
        }
        for &(at, what) in &self.decisions.schedule {
            self.agenda.push(at, what);
        }
        Ok(())
    }

    /// Decides every happening due before `until` (and before the horizon).
    pub fn advance<S: EventSink>(
        &mut self,
        model: &Model,
        until: Minute,
        sink: &mut S,
    ) -> Result<(), RunError> {
        let until = until.min(model.calendar.horizon());
        while self.agenda.next_time().is_some_and(|t| t < until) {
            let (now, what) = self.agenda.pop().expect("a happening is pending");
            self.step(model, now, what, sink)?;
        }
        Ok(())
    }

    /// Runs to the horizon and closes the metrics.
    pub fn finish<S: EventSink>(
        self,
        model: &Model,
        sink: &mut S,
    ) -> Result<(State, Metrics), RunError> {
        self.finish_reporting(model, sink, &mut |_| {})
    }

    /// As [`Run::finish`], telling `report` the share of simulated time
    /// done every [`REPORT_EVERY`] events (for a progress bar; the run
    /// itself never reads a clock).
    pub fn finish_reporting<S: EventSink>(
        mut self,
        model: &Model,
        sink: &mut S,
        report: &mut dyn FnMut(f64),
    ) -> Result<(State, Metrics), RunError> {
        let horizon = model.calendar.horizon();
        let mut next_report = self.metrics.events + REPORT_EVERY;
        while self.agenda.next_time().is_some_and(|t| t < horizon) {
            let (now, what) = self.agenda.pop().expect("a happening is pending");
            self.step(model, now, what, sink)?;
            if self.metrics.events >= next_report {
                next_report = self.metrics.events + REPORT_EVERY;
                report(now as f64 / horizon.max(1) as f64);
            }
        }
        report(1.0);
        self.metrics.finish(horizon, &self.state);
        Ok((self.state, self.metrics))
    }
}

/// Events between two calls of a run's progress report.
pub const REPORT_EVERY: u64 = 1 << 16;

/// Runs `model` to its horizon, sending every event to `sink`.
pub fn simulate<S: EventSink>(model: &Model, sink: &mut S) -> Result<(State, Metrics), RunError> {
    Run::start(model).finish(model, sink)
}

/// Runs a scenario with `seed`; with `log`, writes the event log to it.
pub fn run<W: Write>(
    input: &ScenarioInput,
    seed: u64,
    log: Option<W>,
) -> Result<Finished, RunError> {
    run_reporting(input, seed, log, &mut |_| {})
}

/// As [`run`], telling `report` the share of simulated time done as it goes.
pub fn run_reporting<W: Write>(
    input: &ScenarioInput,
    seed: u64,
    log: Option<W>,
    report: &mut dyn FnMut(f64),
) -> Result<Finished, RunError> {
    let model = Model::new(input.scenario.clone(), seed);
    let (state, metrics) = match log {
        Some(out) => {
            let mut writer = LogWriter::new(out, &input.header(seed))?;
            let (state, metrics) =
                Run::start(&model).finish_reporting(&model, &mut writer, report)?;
            writer.finish(model.calendar.horizon(), state.hash(), true)?;
            (state, metrics)
        }
        None => Run::start(&model).finish_reporting(&model, &mut Discard, report)?,
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
