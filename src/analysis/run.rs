//! Whole runs and replays with their summaries: what the command line, the
//! replications and the comparisons build on.

use std::io::{Read, Write};

use crate::analysis::summary::Summary;
use crate::engine::log::{Header, LogReader, LogWriter, Trailer};
use crate::engine::{fold_all, Discard, Domain, Run};
use crate::model::input::ScenarioInput;
use crate::model::projection::Metrics;
use crate::model::scenario::Scenario;
use crate::model::state::State;
use crate::model::{Model, RunError};

/// The end of a run: its state, metrics and summary.
pub struct Finished {
    /// The final state.
    pub state: State,
    /// The metrics.
    pub metrics: Metrics,
    /// The summary.
    pub summary: Summary,
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
    let model = Model::new(scenario, header.seed);
    let (mut state, mut metrics) = model.fresh();
    fold_all::<Model, _>(
        &mut state,
        &mut metrics,
        0,
        std::iter::from_fn(|| reader.next_event().transpose()),
    )?;
    let trailer = *reader
        .trailer()
        .expect("a strict read ends only after the trailer");
    metrics.finish(trailer.end, &state);
    let summary = Summary::new(
        &model.scenario,
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
