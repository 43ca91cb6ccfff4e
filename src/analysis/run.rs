//! Whole runs and replays with their summaries: what the command line, the
//! replications and the comparisons build on; and the checks of a log
//! above its framing: [`open`] (the header against what this build reads,
//! every time inside the run), [`verify`] (the log against a re-run of its
//! scenario) and the two passes of a recovery ([`recover_plan`],
//! [`recover_copy`]).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::analysis::summary::Summary;
use crate::engine::log::{Header, LogError, LogReader, LogWriter, Timed, Trailer};
use crate::engine::{Discard, Domain, EventSink, Minute, Run};
use crate::model::event::Event;
use crate::model::input::ScenarioInput;
use crate::model::projection::Metrics;
use crate::model::scenario::{scenario_hash, Scenario};
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

/// Whether `v` reads as a familyflow version (`MAJOR.MINOR.PATCH`, with
/// an optional `-pre-release` or `+build` part).
pub fn is_version(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let rest = &v[core.len()..];
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
        && (rest.is_empty()
            || (rest.len() > 1
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-+.".contains(&b))))
}

/// Opens a log for reading above its framing: checks the header's fields
/// against what this build reads (the codec, by the reader; a familyflow
/// version; the scenario its recorded hash is of, and valid) and bounds every time by the run's end, so a
/// time the calendar cannot hold is an error naming its record.
pub fn open<R: Read>(input: R) -> Result<(LogReader<R>, Scenario), RunError> {
    let mut reader = LogReader::open(input)?;
    let header = reader.header();
    if !is_version(&header.engine_version) {
        return Err(RunError::Log(reader.content_error(format!(
            "the header says it was written by familyflow {:?}, which is not a version of familyflow",
            header.engine_version
        ))));
    }
    // Before anything is read from it or printed: the scenario text must be
    // the one its hash was recorded for (a check every reader makes).
    if scenario_hash(&header.scenario) != header.scenario_hash {
        return Err(RunError::Log(reader.content_error(
            "the scenario inside the log does not match its recorded hash".into(),
        )));
    }
    let scenario = Scenario::parse(
        &header.scenario,
        &format!("{} (inside the log)", header.scenario_source),
    )?;
    reader.limit_times(scenario.calendar().horizon());
    Ok((reader, scenario))
}

/// The misfit of event `index` at minute `at` (the last record `reader`
/// read), located. A log whose first event does not fit a fresh run and
/// comes after the run's first minute is most likely a branch's (which
/// continues a snapshot): the error says how to read it.
fn misfit<R: Read>(
    reader: &LogReader<R>,
    index: u64,
    at: Minute,
    source: impl std::fmt::Display,
) -> RunError {
    RunError::Log(reader.content_error(misfit_text(index, at, source)))
}

/// What [`misfit`] says.
fn misfit_text(index: u64, at: Minute, source: impl std::fmt::Display) -> String {
    let hint = if index == 0 && at > 0 {
        format!(
            " (the log starts at minute {at}, not at the start of its run: if it is a branch's log, from `familyflow branch`, it continues a snapshot; read it with `familyflow replay LOG --from SNAPSHOT`)"
        )
    } else {
        String::new()
    };
    format!("event {index}: {source}{hint}")
}

/// Events a replay's reading thread hands its folding thread at a time.
const REPLAY_BATCH: usize = 4096;

/// Events read and checked, in order, with where each record lies
/// (record number, byte offset) for an error about its content.
#[derive(Default)]
struct Batch {
    events: Vec<Timed<Event>>,
    places: Vec<(u64, u64)>,
}

/// Rebuilds state, metrics and summary from a whole log, drawing no random
/// numbers. An event that does not fit the state is an error naming its
/// record and byte offset.
///
/// Reading (framing, checksums, running hash, decoding) runs on a thread
/// of its own, a batch of [`REPLAY_BATCH`] events ahead of folding, which
/// stays in log order on this thread: the same state, metrics and errors
/// as reading and folding in turn, in about two thirds of the time on two
/// cores. At most five batches exist at once, whatever the log's size.
pub fn replay<R: Read + Send>(input: R) -> Result<Replayed, RunError> {
    let (mut reader, scenario) = open(input)?;
    let header = reader.header().clone();
    let model = Model::new(scenario, header.seed);
    let (mut state, mut metrics) = model.fresh();
    let stop = AtomicBool::new(false);
    let trailer = std::thread::scope(|scope| {
        let (full, read) = mpsc::sync_channel::<Batch>(2);
        let (recycle, empty) = mpsc::channel::<Batch>();
        let stop = &stop;
        let reading = std::thread::Builder::new()
            .name("replay-read".into())
            .spawn_scoped(scope, move || {
                read_batches(&mut reader, &full, &empty, stop)
            })
            .map_err(|e| {
                RunError::Log(LogError::Io(io::Error::other(format!(
                    "cannot start the thread that reads the log: {e}"
                ))))
            })?;
        let mut index = 0u64;
        let mut misfit = None;
        'fold: for batch in read.iter() {
            for (t, &(record, offset)) in batch.events.iter().zip(&batch.places) {
                if let Err(e) = Model::fold(&mut state, &mut metrics, t.at, &t.event) {
                    misfit = Some(LogError::Content {
                        record,
                        offset,
                        what: misfit_text(index, t.at, e),
                    });
                    break 'fold;
                }
                index += 1;
            }
            let _ = recycle.send(batch);
        }
        // Stops the reading thread, if it is still reading, at its next
        // event (or its next batch, when it waits to hand one over).
        stop.store(true, Ordering::Relaxed);
        drop(read);
        let read = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match misfit {
            Some(e) => Err(RunError::Log(e)),
            None => Ok(read?.expect("reading ends only at the trailer when nothing stopped it")),
        }
    })?;
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

/// Reads `reader`'s events to its trailer in batches sent to `full`
/// (reusing the batches that come back on `empty`); the trailer, or `None`
/// when the folding side stopped (set `stop`, or stopped taking batches),
/// or the first read error (after every event before it has been sent).
fn read_batches<R: Read>(
    reader: &mut LogReader<R>,
    full: &mpsc::SyncSender<Batch>,
    empty: &mpsc::Receiver<Batch>,
    stopped: &AtomicBool,
) -> Result<Option<Trailer>, LogError> {
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.events.clear();
        batch.places.clear();
        let mut stop = Ok(false);
        while batch.events.len() < REPLAY_BATCH {
            if stopped.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match reader.next_event::<Event>() {
                Ok(Some(t)) => {
                    batch.events.push(t);
                    batch
                        .places
                        .push((reader.record_number(), reader.record_start()));
                }
                Ok(None) => {
                    stop = Ok(true);
                    break;
                }
                Err(e) => {
                    stop = Err(e);
                    break;
                }
            }
        }
        if !batch.events.is_empty() && full.send(batch).is_err() {
            return Ok(None);
        }
        if stop? {
            return Ok(Some(
                *reader
                    .trailer()
                    .expect("a strict read ends only after the trailer"),
            ));
        }
    }
}

/// What [`verify`] found in a log that reads whole and matches a re-run.
pub struct Verified {
    /// The log's header.
    pub header: Header,
    /// Its trailer.
    pub trailer: Trailer,
    /// The hash of the state its events rebuild (a replay).
    pub replayed_state_hash: u64,
    /// Events a whole re-run of its scenario has: more than the log's for
    /// a recovered prefix.
    pub run_events: u64,
    /// The scenario's name.
    pub scenario_name: String,
    /// The run's end.
    pub horizon: Minute,
}

/// Whether an event comes into a run from outside its model (a region's
/// allotment of shared places, injected at a month's start): a re-run
/// takes it from the log instead of deciding it.
fn from_outside(event: &Event) -> bool {
    matches!(event, Event::CooperativePlacesAllotted { .. })
}

/// A sink that holds a run's events against a log's, one by one, folding
/// the log's own events into a replay as it goes.
struct Against<'a, R: Read> {
    reader: &'a mut LogReader<R>,
    seed: u64,
    state: State,
    metrics: Metrics,
    /// The log's events read and folded.
    index: u64,
    /// The next event of the log, read but not yet folded.
    ahead: Option<Timed<Event>>,
    /// The log's events are all read (its trailer too).
    ended: bool,
    /// Events of the run after the log's last.
    beyond: u64,
}

impl<R: Read> Against<'_, R> {
    fn peek(&mut self) -> Result<Option<&Timed<Event>>, LogError> {
        if self.ahead.is_none() && !self.ended {
            match self.reader.next_event::<Event>()? {
                Some(t) => self.ahead = Some(t),
                None => self.ended = true,
            }
        }
        Ok(self.ahead.as_ref())
    }

    /// The log's next event, folded into the replay.
    fn take(&mut self) -> Result<Option<Timed<Event>>, LogError> {
        self.peek()?;
        let Some(t) = self.ahead.take() else {
            return Ok(None);
        };
        Model::fold(&mut self.state, &mut self.metrics, t.at, &t.event)
            .map_err(|e| self.reader.content_error(misfit_text(self.index, t.at, e)))?;
        self.index += 1;
        Ok(Some(t))
    }
}

impl<R: Read> EventSink<Event> for Against<'_, R> {
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError> {
        match self.take()? {
            None => self.beyond += 1,
            Some(t) if t.at == at && t.event == *event => {}
            Some(t) => {
                return Err(self.reader.content_error(format!(
                    "event {} ({} at minute {}) is not what a re-run of the log's scenario with seed {} gives there ({event} at minute {at}): events are missing, added, changed or out of order",
                    self.index - 1,
                    t.event,
                    t.at,
                    self.seed
                )))
            }
        }
        Ok(())
    }
}

/// Checks a log beyond its checksums: the header against this build (its
/// own familyflow version; the scenario's recorded hash, as [`open`]), and every event
/// against a re-run of the log's scenario with its seed, in step (events
/// injected from outside the model, a region's allotments, are taken from
/// the log); meanwhile the log's events are replayed, each checked against
/// the state. Returns what the caller still judges: the replayed state
/// against the trailer's, and whether the log is whole or a recovered prefix.
pub fn verify<R: Read>(input: R) -> Result<Verified, RunError> {
    let (mut reader, scenario) = open(input)?;
    let header = reader.header().clone();
    if header.engine_version != crate::VERSION {
        return Err(RunError::Log(reader.content_error(format!(
            "the log was written by familyflow {}; this is familyflow {}, and verify checks a log by re-running its scenario with this build's model, so it checks only logs of its own version (replay still reads it)",
            header.engine_version,
            crate::VERSION
        ))));
    }
    let scenario_name = scenario.name.clone();
    let model = Model::new(scenario, header.seed);
    let horizon = model.horizon();
    let (state, metrics) = model.fresh();
    let mut sink = Against {
        reader: &mut reader,
        seed: header.seed,
        state,
        metrics,
        index: 0,
        ahead: None,
        ended: false,
        beyond: 0,
    };
    let mut run = Run::start(&model);
    loop {
        let next = run.agenda.next_time().filter(|&t| t < horizon);
        // What came from outside comes before anything due at or after its minute.
        if let Some(t) = sink.peek()? {
            if from_outside(&t.event) && next.is_none_or(|n| t.at <= n) {
                let t = sink.take()?.expect("an event was read ahead");
                run.inject(t.at, &t.event, &mut Discard)?;
                continue;
            }
        }
        if next.is_none() {
            break;
        }
        let (now, what) = run.agenda.pop().expect("a happening is pending");
        run.step(&model, now, what, &mut sink)?;
    }
    let index = sink.index;
    if let Some(t) = sink.peek()? {
        let what = format!(
            "event {index} ({} at minute {}) is not in a re-run of the log's scenario with seed {}, which has only {} events",
            t.event, t.at, header.seed, run.events
        );
        return Err(RunError::Log(sink.reader.content_error(what)));
    }
    let (index, beyond, replayed_state_hash) = (sink.index, sink.beyond, sink.state.hash());
    let trailer = *reader
        .trailer()
        .expect("a strict read ends only after the trailer");
    if trailer.clean && beyond > 0 {
        return Err(RunError::Log(reader.content_error(format!(
            "the log holds {index} events and says it is whole, but a re-run of its scenario with seed {} has {}: the last {beyond} are missing",
            header.seed, run.events
        ))));
    }
    if trailer.clean && trailer.end != horizon {
        return Err(RunError::Log(reader.content_error(format!(
            "the trailer says the run ended at minute {}, but its scenario's run ends at minute {horizon}",
            trailer.end
        ))));
    }
    Ok(Verified {
        header,
        trailer,
        replayed_state_hash,
        run_events: run.events,
        scenario_name,
        horizon,
    })
}

/// What the first pass of a recovery found: how much of a log to keep.
pub struct RecoverPlan {
    /// The log's header.
    pub header: Header,
    /// Events to keep: the intact prefix.
    pub keep: u64,
    /// Events read with good checksums (at least `keep`).
    pub read: u64,
    /// Why reading stopped, when the log is not whole.
    pub stopped: Option<LogError>,
    /// The trailer, when the log is whole.
    pub trailer: Option<Trailer>,
    /// Where the intact part ends, in bytes from the start.
    pub intact_bytes: u64,
}

/// The first pass of a recovery: reads the log as far as it can, folding
/// each event into the state. The kept prefix ends before the first record
/// that breaks the sequence: at a damaged or cut record, every event before
/// it is kept; when a checkpoint or the trailer shows records missing,
/// repeated or out of order, or an event does not fit the state, only the
/// events the last good checkpoint vouches for are (the break lies after
/// them, and nothing in the log says where). Fails only when the header is
/// not intact.
pub fn recover_plan<R: Read>(input: R) -> Result<RecoverPlan, RunError> {
    let (mut reader, scenario) = open(input)?;
    let header = reader.header().clone();
    let model = Model::new(scenario, header.seed);
    let (mut state, mut metrics) = model.fresh();
    let mut read = 0u64;
    let (stopped, keep) = loop {
        match reader.next_event::<Event>() {
            Ok(Some(Timed { at, event })) => {
                if let Err(e) = Model::fold(&mut state, &mut metrics, at, &event) {
                    if read == 0 && at > 0 {
                        // Not a damaged log of a run but, most likely, a
                        // whole branch log: recovering nothing from it would
                        // lose it, so refuse.
                        return Err(misfit(&reader, read, at, e));
                    }
                    let RunError::Log(e) = misfit(&reader, read, at, e) else {
                        unreachable!("a misfit is a log error")
                    };
                    break (Some(e), reader.vouched());
                }
                read += 1;
            }
            Ok(None) => break (None, read),
            Err(e @ LogError::OutOfSequence { vouched, .. }) => break (Some(e), vouched.min(read)),
            Err(e) => break (Some(e), read),
        }
    };
    let mut intact_bytes = match &stopped {
        Some(LogError::Content { .. }) => reader.vouched_offset(),
        Some(e) => e.intact_up_to().unwrap_or(reader.offset()),
        None => reader.offset(),
    };
    let mut stopped = stopped;
    if let (None, Some(t)) = (&stopped, reader.trailer()) {
        // Every event fits and the running hash holds, but the trailer's
        // final state is not the one they build: keep them, not as whole.
        let rebuilt = state.hash();
        if rebuilt != t.state_hash {
            intact_bytes = reader.record_start();
            stopped = Some(reader.content_error(format!(
                "the trailer records the final state {:016x}, but the log's events build {rebuilt:016x}",
                t.state_hash
            )));
        }
    }
    Ok(RecoverPlan {
        header,
        keep,
        read,
        stopped,
        trailer: reader.trailer().copied(),
        intact_bytes,
    })
}

/// What the second pass of a recovery wrote.
pub struct RecoverCopy {
    /// Events written.
    pub events: u64,
    /// The state hash after them, recorded in the trailer.
    pub state_hash: u64,
}

/// The second pass of a recovery: copies the first `plan.keep` events of
/// the log (read again from `input`) to `out`, closed with a trailer that
/// is marked clean only when the log was whole.
pub fn recover_copy<R: Read, W: Write>(
    input: R,
    plan: &RecoverPlan,
    out: W,
) -> Result<RecoverCopy, RunError> {
    let (mut reader, scenario) = open(input)?;
    let model = Model::new(scenario, plan.header.seed);
    let (mut state, mut metrics) = model.fresh();
    let mut writer = LogWriter::new(out, &plan.header)?;
    let mut last = 0;
    while writer.events() < plan.keep {
        let Some(Timed { at, event }) = reader.next_event::<Event>()? else {
            break;
        };
        Model::fold(&mut state, &mut metrics, at, &event)
            .map_err(|e| misfit(&reader, writer.events(), at, e))?;
        writer.event(at, &event)?;
        last = at;
    }
    let events = writer.events();
    let whole = plan.stopped.is_none() && events == plan.read;
    let end = match plan.trailer {
        Some(t) if whole => t.end,
        _ => last,
    };
    let clean = whole && plan.trailer.is_some_and(|t| t.clean);
    let state_hash = state.hash();
    writer.finish(end, state_hash, clean)?;
    Ok(RecoverCopy { events, state_hash })
}
