//! Snapshots: a run's whole state at a date, to branch several scenarios from.
//!
//! The file is framed by [`crate::engine::snapshot`] (signature, version
//! [`SNAPSHOT_VERSION`], checksummed records). Records, in order: the head (type 1: who wrote it, the seed, the
//! scenario text, the minute, the state's counters), the open families in
//! id order in chunks (type 2), the pending happenings earliest first in
//! chunks (type 3), the metrics so far (type 4), and the end (type 5: the
//! xxh3 hash of every byte before it). Every length is checked against a cap
//! before allocating and every checksum is verified; counts must match the
//! head. A snapshot is taken before anything due at its minute is decided.
//!
//! Checksums say only that the bytes are as written, so reading also checks
//! what the content must be ([`Snapshot::read`]): the codec and familyflow
//! version are this build's, the scenario is valid, the minute lies inside
//! the run, families come in id order, pending happenings come earliest
//! first and none before the last one taken, the metrics count from inside
//! the run, and the restored state hashes to the head's hash.
//!
//! A branch continues a snapshot under a scenario with the same calendar and
//! families: the run's pending happenings carry on (common random numbers);
//! the branch's own policy timeline replaces the original's, and the version
//! in force at the snapshot takes effect at once (`PolicyApplied`) when its
//! parameters differ from the original's (a name or description is no
//! difference). A branch is the branch scenario's own run on the seed when
//! the two agree until after the snapshot and nothing pending was drawn
//! looking past where they part ([`run_sharing`], which `compare` uses).

use std::borrow::Cow;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::analysis::run::Finished;
use crate::analysis::summary::Summary;
use crate::analysis::AnalysisError;
use crate::engine::agenda::{Agenda, AgendaImage};
use crate::engine::codec;
use crate::engine::log::{LogError, LogWriter, Timed};
pub use crate::engine::snapshot::SnapshotError;
use crate::engine::snapshot::{SnapshotReader, SnapshotWriter};
use crate::engine::{Discard, Domain, EventSink, Run, StepError};
use crate::model::calendar::{Minute, DAY, WEEK};
use crate::model::event::{Event, FamilyId};
use crate::model::happening::{Chain, Happening};
use crate::model::input::ScenarioInput;
use crate::model::projection::Metrics;
use crate::model::scenario::{Scenario, ScenarioError};
use crate::model::state::{Family, Inconsistent, State, StateImage};
use crate::model::{Model, RunError};

/// The content's version (6: the metrics hold the seed and children by
/// who they are).
pub const SNAPSHOT_VERSION: u32 = 6;
/// Families or happenings per chunk record.
const CHUNK: usize = 50_000;

mod kind {
    pub const HEAD: u8 = 1;
    pub const FAMILIES: u8 = 2;
    pub const PENDING: u8 = 3;
    pub const METRICS: u8 = 4;
    pub const END: u8 = 5;
}

/// What a snapshot says about itself and the run it was taken from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotHead {
    /// familyflow's version.
    pub engine_version: String,
    /// The payload codec.
    pub codec: String,
    /// The run's seed.
    pub seed: u64,
    /// Where the scenario came from.
    pub scenario_source: String,
    /// The scenario's effective text.
    pub scenario: String,
    /// The minute of the snapshot: nothing due at or after it has happened.
    pub at: Minute,
    /// The state's counters and teams.
    pub state: StateImage,
    /// Open families that follow.
    pub families: u64,
    /// The agenda's counters.
    pub agenda_seq: u64,
    /// The minute of the last happening taken.
    pub agenda_now: Minute,
    /// Pending happenings that follow.
    pub pending: u64,
    /// Hash of the state (as `State::hash`).
    pub state_hash: u64,
}

/// A whole snapshot in memory.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Its head.
    pub head: SnapshotHead,
    /// Open families, in id order.
    pub families: Vec<(FamilyId, Family)>,
    /// Pending happenings with their agenda keys, earliest first.
    pub pending: Vec<(u64, Happening)>,
    /// Metrics so far.
    pub metrics: Metrics,
}

impl Snapshot {
    /// Takes a snapshot of a run of `input` with `seed`, stopped before `at`.
    pub fn take(input: &ScenarioInput, seed: u64, at: Minute, run: &Run<Model>) -> Snapshot {
        let (state, families) = run.state.image();
        let agenda = run.agenda.image();
        Snapshot {
            head: SnapshotHead {
                engine_version: crate::VERSION.to_string(),
                codec: codec::CODEC.to_string(),
                seed,
                scenario_source: input.source.clone(),
                scenario: input.text.clone(),
                at,
                state,
                families: families.len() as u64,
                agenda_seq: agenda.seq,
                agenda_now: agenda.now,
                pending: agenda.pending.len() as u64,
                state_hash: run.state.hash(),
            },
            families,
            pending: agenda.pending,
            metrics: run.metrics.clone(),
        }
    }

    /// Writes the snapshot.
    pub fn write<W: Write>(&self, out: W) -> Result<W, SnapshotError> {
        let mut w = SnapshotWriter::new(out, SNAPSHOT_VERSION)?;
        w.record(kind::HEAD, &self.head)?;
        for chunk in self.families.chunks(CHUNK) {
            w.record(kind::FAMILIES, &chunk)?;
        }
        for chunk in self.pending.chunks(CHUNK) {
            w.record(kind::PENDING, &chunk)?;
        }
        w.record(kind::METRICS, &self.metrics)?;
        w.end(kind::END)
    }

    /// Reads and checks a whole snapshot.
    pub fn read<R: Read>(input: R) -> Result<Snapshot, SnapshotError> {
        let mut r = SnapshotReader::open(input, SNAPSHOT_VERSION)?;
        let head: SnapshotHead = r.expect(kind::HEAD, "the head")?;
        let mut families = Vec::new();
        while (families.len() as u64) < head.families {
            let chunk: Vec<(FamilyId, Family)> = r.expect(kind::FAMILIES, "open families")?;
            families.extend(chunk);
        }
        let mut pending = Vec::new();
        while (pending.len() as u64) < head.pending {
            let chunk: Vec<(u64, Happening)> = r.expect(kind::PENDING, "pending happenings")?;
            pending.extend(chunk);
        }
        if families.len() as u64 != head.families || pending.len() as u64 != head.pending {
            return Err(r.damaged("more families or happenings than the head says".into()));
        }
        let metrics: Metrics = r.expect(kind::METRICS, "the metrics")?;
        r.end(kind::END)?;
        let snapshot = Snapshot {
            head,
            families,
            pending,
            metrics,
        };
        snapshot.validate().map_err(SnapshotError::Invalid)?;
        Ok(snapshot)
    }

    /// Checks what the checksums cannot: every field of the head against
    /// what this build reads, the order and times of what follows, and
    /// that the restored state is the one hashed.
    fn validate(&self) -> Result<(), String> {
        let h = &self.head;
        if h.codec != codec::CODEC {
            return Err(format!(
                "the head says its payloads are encoded with {:?}; this familyflow reads only {:?}",
                h.codec,
                codec::CODEC
            ));
        }
        if h.engine_version != crate::VERSION {
            return Err(format!(
                "the snapshot was taken by familyflow {:?}; this is familyflow {}, and a branch continues the run with this build's model, so it takes only snapshots of its own version",
                h.engine_version,
                crate::VERSION
            ));
        }
        let input = self.scenario().map_err(|e| e.to_string())?;
        let horizon = input.scenario.calendar().horizon();
        if h.at >= horizon || h.agenda_now > h.at {
            return Err(format!(
                "the snapshot's minute {} (last taken {}) is not inside its run (which ends at {horizon})",
                h.at, h.agenda_now
            ));
        }
        if let Some(w) = self.families.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(format!(
                "the open families are not in id order (family {} after family {})",
                w[1].0, w[0].0
            ));
        }
        // Keys are bit-inverted: earliest first is largest first.
        if self.pending.windows(2).any(|w| w[0].0 <= w[1].0) {
            return Err("the pending happenings are not in order, earliest first".into());
        }
        let agenda = Agenda::restore(
            &AgendaImage {
                seq: h.agenda_seq,
                now: h.agenda_now,
                pending: self.pending.clone(),
            },
            |_| true,
        );
        if agenda.len() != self.pending.len() {
            return Err(format!(
                "{} pending happenings are due before the last one taken (minute {})",
                self.pending.len() - agenda.len(),
                h.agenda_now
            ));
        }
        if self.metrics.measured_from > h.at {
            return Err(format!(
                "the metrics count from minute {}, after the snapshot's minute {}",
                self.metrics.measured_from, h.at
            ));
        }
        let months = {
            let cal = input.scenario.calendar();
            let (from, to) = (cal.date(self.metrics.measured_from), cal.date(h.at));
            (to.year() - from.year()) as usize * 12 + usize::from(to.month()) + 1
                - usize::from(from.month())
        };
        if self.metrics.months.len() > months {
            return Err(format!(
                "the metrics hold {} months, but only {months} have begun by the snapshot",
                self.metrics.months.len()
            ));
        }
        let restored = State::restore(&input.scenario, &h.state, &self.families);
        if restored.hash() != h.state_hash {
            return Err(format!(
                "the restored state's hash {:016x} is not the snapshot's {:016x}: the snapshot is inconsistent",
                restored.hash(),
                h.state_hash
            ));
        }
        Ok(())
    }

    /// The scenario the snapshot was taken from.
    pub fn scenario(&self) -> Result<ScenarioInput, ScenarioError> {
        ScenarioInput::from_text(
            &self.head.scenario,
            &format!("{} (inside the snapshot)", self.head.scenario_source),
        )
    }

    /// The run as it was, continued under `scenario`: state (with the
    /// scenario's staff terms), metrics and agenda. Happenings `keep`
    /// refuses are left out.
    fn resume(&self, scenario: &Scenario, keep: impl Fn(&Happening) -> bool) -> Run<Model> {
        let state = State::restore(scenario, &self.head.state, &self.families);
        let mut metrics = self.metrics.clone();
        metrics.set_calendar(&scenario.calendar());
        let agenda = Agenda::restore(
            &AgendaImage {
                seq: self.head.agenda_seq,
                now: self.head.agenda_now,
                pending: self.pending.clone(),
            },
            keep,
        );
        let events = metrics.events;
        Run::resume(state, metrics, agenda, events)
    }

    /// Continues the run under `branch` to its horizon, sending the events
    /// after the snapshot to `sink`. The branch must share the original's
    /// calendar and families.
    pub fn branch<S: EventSink<Event>>(
        &self,
        branch: &ScenarioInput,
        sink: &mut S,
    ) -> Result<Finished, BranchError> {
        let original = self.scenario()?;
        check_compatible(&original.scenario, &branch.scenario)?;
        let model = Model::new(branch.scenario.clone(), self.head.seed);
        self.check(&original.scenario)?;
        let finish = |run: Run<Model>, sink: &mut S| -> Result<Finished, BranchError> {
            let (state, metrics) = run.finish(&model, sink)?;
            let summary = Summary::new(
                &branch.scenario,
                &branch.source,
                self.head.seed,
                &metrics,
                &state,
            );
            Ok(Finished {
                state,
                metrics,
                summary,
            })
        };
        // Taken before the run started: nothing has happened, so the branch
        // is simply its own run on the same seed.
        if self
            .pending
            .iter()
            .any(|(_, h)| matches!(h, Happening::Start))
        {
            return finish(Run::start(&model), sink);
        }
        let same = same_parameters(&original.scenario, &branch.scenario);
        let mut run = self.resume(&branch.scenario, |h| {
            same || !matches!(h, Happening::Policy(_))
        });
        if !same {
            // The branch's own timeline from here: the version in force now
            // takes effect at once (if it differs from the original's), later
            // changes when they come, first at their minute as in a run.
            let at = self.head.at;
            let (now_version, later) = model.timeline_from(at);
            let (was, _) = Model::new(original.scenario.clone(), self.head.seed).timeline_from(at);
            let differs = {
                // Parameters only: a branch named differently is not a change.
                let table = |m: &Model, v: u16| parameters(m.version_scenario(v));
                let original_model = Model::new(original.scenario.clone(), self.head.seed);
                table(&model, now_version) != table(&original_model, was)
            };
            if differs || now_version != was {
                run.step(&model, at, Happening::Policy(now_version), sink)?;
            }
            for (from, change) in later {
                run.agenda
                    .push_first(from, change, Happening::Policy(change));
            }
        }
        finish(run, sink)
    }

    /// Checks what the file's checksums cannot: that the restored state is
    /// the one hashed, and that the snapshot lies inside the run.
    fn check(&self, original: &Scenario) -> Result<(), BranchError> {
        let horizon = original.calendar().horizon();
        if self.head.at >= horizon || self.head.agenda_now > self.head.at {
            return Err(BranchError::Mismatch(format!(
                "the snapshot's minute {} (last taken {}) is not inside its run (which ends at {horizon})",
                self.head.at, self.head.agenda_now
            )));
        }
        let restored = State::restore(original, &self.head.state, &self.families);
        if restored.hash() != self.head.state_hash {
            return Err(BranchError::Mismatch(format!(
                "the restored state's hash {:016x} is not the snapshot's {:016x}: the snapshot is inconsistent",
                restored.hash(),
                self.head.state_hash
            )));
        }
        Ok(())
    }

    /// Replays a branch's log (the events after the snapshot) on top of the
    /// snapshot, drawing no random numbers.
    pub fn replay_tail<R: Read>(&self, log: R) -> Result<(Finished, u64), BranchError> {
        let (mut reader, scenario) = crate::analysis::run::open(log)?;
        let header = reader.header().clone();
        if header.seed != self.head.seed {
            return Err(BranchError::Mismatch(format!(
                "the log's seed {} is not the snapshot's {}",
                header.seed, self.head.seed
            )));
        }
        self.check(&self.scenario()?.scenario)?;
        let mut run = self.resume(&scenario, |_| true);
        let at = self.head.at;
        let mut index = run.events;
        while let Some(Timed { at: t, event }) = reader.next_event::<Event>()? {
            if t < at {
                return Err(BranchError::Run(RunError::Log(reader.content_error(format!(
                    "event {index} is at minute {t}, before the snapshot's {at}: the log is not a branch from this snapshot"
                )))));
            }
            Model::fold(&mut run.state, &mut run.metrics, t, &event).map_err(|e| {
                BranchError::Run(RunError::Log(
                    reader.content_error(format!("event {index}: {e}")),
                ))
            })?;
            index += 1;
        }
        let trailer = *reader
            .trailer()
            .expect("a strict read ends after the trailer");
        run.metrics.finish(trailer.end, &run.state);
        let summary = Summary::new(
            &scenario,
            &header.scenario_source,
            header.seed,
            &run.metrics,
            &run.state,
        );
        Ok((
            Finished {
                state: run.state,
                metrics: run.metrics,
                summary,
            },
            trailer.state_hash,
        ))
    }
}

/// A branch that could not run.
#[derive(Debug, thiserror::Error)]
pub enum BranchError {
    /// The branch scenario (or the snapshot's) is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// The branch cannot continue this snapshot.
    #[error("{0}")]
    Mismatch(String),
    /// The run failed.
    #[error("{0}")]
    Run(#[from] RunError),
}

impl BranchError {
    /// As an analysis error: a run's own error stays one; any other is
    /// told against `source`, the scenario file it concerns.
    pub fn in_file(self, source: &str) -> AnalysisError {
        match self {
            BranchError::Run(e) => AnalysisError::Run(e),
            e => AnalysisError::Invalid(format!("{source}: {e}")),
        }
    }
}

impl From<BranchError> for AnalysisError {
    fn from(e: BranchError) -> Self {
        match e {
            BranchError::Scenario(e) => AnalysisError::Scenario(e),
            BranchError::Mismatch(m) => AnalysisError::Invalid(m),
            BranchError::Run(e) => AnalysisError::Run(e),
        }
    }
}

impl From<StepError<Inconsistent>> for BranchError {
    fn from(e: StepError<Inconsistent>) -> Self {
        BranchError::Run(RunError::from(e))
    }
}

impl From<LogError> for BranchError {
    fn from(e: LogError) -> Self {
        BranchError::Run(RunError::Log(e))
    }
}

/// Whether two scenarios set the same parameters (names and descriptions aside).
fn same_parameters(a: &Scenario, b: &Scenario) -> bool {
    parameters(a) == parameters(b)
}

/// A scenario's fields as a table, without its name and description: what
/// a run depends on.
fn parameters(s: &Scenario) -> toml::Table {
    let mut t = toml::Table::try_from(s).unwrap_or_default();
    t.remove("name");
    t.remove("description");
    t
}

/// The minute before which a run of `b` is, event for event, the run of
/// `a` on the same seed, when that minute lies inside the run: the two keep
/// the same calendar and families, and their policy timelines have the same
/// versions, in force from the same minutes with the same parameters, until
/// it. None when they differ within the first week (the snapshot is taken
/// a week or more before the minute they part, [`snapshot_lead`]), or not
/// at all. A comparison or a
/// sweep runs that common part once a seed and branches from it.
pub fn shared_until(a: &Scenario, b: &Scenario) -> Option<Minute> {
    check_compatible(a, b).ok()?;
    // Each change that takes effect: its minute, its number (which
    // `PolicyApplied` records) and its parameters.
    let timeline = |s: &Scenario| -> Vec<(Minute, u16, toml::Table)> {
        let model = Model::new(s.clone(), 0);
        model
            .versions_in_effect()
            .into_iter()
            .map(|(from, v)| (from, v, parameters(model.version_scenario(v))))
            .collect()
    };
    let (ta, tb) = (timeline(a), timeline(b));
    let split = (0..ta.len().max(tb.len())).find_map(|i| match (ta.get(i), tb.get(i)) {
        (Some(x), Some(y)) if x == y => None,
        (Some(x), Some(y)) => Some(x.0.min(y.0)),
        (Some(x), None) | (None, Some(x)) => Some(x.0),
        (None, None) => None,
    })?;
    (split > WEEK && split < a.calendar().horizon()).then_some(split)
}

/// Runs `first` and each of `others` on `seed`, their common part (before
/// `split`, see [`shared_until`]) once: `first` runs whole, taking a
/// snapshot a week or more before `split` (`snapshot_lead`), and each of `others` branches from it
/// when that is, event for event, its own run — when every chain of
/// arrivals, whose gaps are drawn looking ahead ([`Happening::drawn_ahead`]),
/// has its next arrival pending before `split` (or, for unaccompanied
/// children, none arrive under any version of any of the scenarios).
/// Otherwise each of `others` runs whole. Returns the summaries in order,
/// `first`'s first, and whether the others branched; an error comes with
/// the index of the scenario whose run failed (0 for `first`).
pub fn run_sharing(
    first: &ScenarioInput,
    others: &[&ScenarioInput],
    seed: u64,
    split: Minute,
) -> Result<(Vec<Summary>, bool), (usize, BranchError)> {
    let mut summaries = Vec::with_capacity(others.len() + 1);
    let branched = run_sharing_each(
        first,
        others.len(),
        seed,
        split,
        |i| Ok(Cow::Borrowed(others[i])),
        |_, summary| {
            summaries.push(summary);
            Ok::<(), BranchError>(())
        },
    )?;
    Ok((summaries, branched))
}

/// [`run_sharing`] for `n` other scenarios made one at a time by `other`
/// (so that many need not be held at once), each summary handed to `each`
/// as it is done with its scenario's index (0 for `first`, `i + 1` for
/// `other(i)`), in that order; the first error, from either or from a run,
/// stops it. Returns whether the others branched.
pub fn run_sharing_each<'a, E: From<BranchError>>(
    first: &ScenarioInput,
    n: usize,
    seed: u64,
    split: Minute,
    other: impl Fn(usize) -> Result<Cow<'a, ScenarioInput>, E>,
    mut each: impl FnMut(usize, Summary) -> Result<(), E>,
) -> Result<bool, (usize, E)> {
    let at = split.saturating_sub(snapshot_lead(&first.scenario, split));
    // Only the summary is kept: the finished state goes at once.
    let (Finished { summary, .. }, snapshot) =
        run_with_snapshot::<std::io::Sink>(first, seed, None, at)
            .map_err(|e| (0, E::from(BranchError::from(e))))?;
    each(0, summary).map_err(|e| (0, e))?;
    let pending_before = |chain: Chain| {
        snapshot
            .pending
            .iter()
            .any(|(_, h)| matches!(h.drawn_ahead(), Some((c, due)) if c == chain && due < split))
    };
    let none_past = snapshot
        .pending
        .iter()
        .all(|(_, h)| h.drawn_ahead().is_none_or(|(_, due)| due < split));
    let branches = none_past
        && pending_before(Chain::Referrals)
        && (pending_before(Chain::Unaccompanied) || {
            let mut all = never_unaccompanied(&first.scenario);
            for i in 0..n {
                if !all {
                    break;
                }
                all = never_unaccompanied(&other(i).map_err(|e| (i + 1, e))?.scenario);
            }
            all
        });
    // A snapshot not branched from goes before the others run whole.
    let snapshot = branches.then_some(snapshot);
    for i in 0..n {
        let input = other(i).map_err(|e| (i + 1, e))?;
        let done = match &snapshot {
            Some(snapshot) => snapshot.branch(&input, &mut Discard),
            None => crate::analysis::run::run::<std::io::Sink>(&input, seed, None)
                .map_err(BranchError::from),
        }
        .map_err(|e| (i + 1, E::from(e)))?;
        each(i + 1, done.summary).map_err(|e| (i + 1, e))?;
    }
    Ok(branches)
}

/// How long before `split` a shared run takes its snapshot: a week, or,
/// where unaccompanied children arrive rarely, four of their mean gaps
/// (under the parameters in force just before `split`) up to 13 weeks, so
/// that the next one is pending before `split`, as a branch needs, on all
/// but about 2% of seeds (new families arrive far more often).
fn snapshot_lead(scenario: &Scenario, split: Minute) -> Minute {
    let model = Model::new(scenario.clone(), 0);
    let s = model.at(split.saturating_sub(1));
    let per_year =
        s.area.children as f64 / 10_000.0 * s.care.unaccompanied_per_10k_children_per_year.get();
    if per_year <= 0.0 {
        return WEEK;
    }
    let gap = 365.0 * DAY as f64 / per_year;
    ((4.0 * gap).min((13 * WEEK) as f64) as Minute).max(WEEK)
}

/// Whether no unaccompanied child arrives under any version of `scenario`.
fn never_unaccompanied(scenario: &Scenario) -> bool {
    let model = Model::new(scenario.clone(), 0);
    model.versions_in_effect().into_iter().all(|(_, v)| {
        let s = model.version_scenario(v);
        s.area.children == 0 || s.care.unaccompanied_per_10k_children_per_year.get() == 0.0
    })
}

/// A branch must keep what cannot change during a run.
fn check_compatible(original: &Scenario, branch: &Scenario) -> Result<(), BranchError> {
    if original.placements.is_some() != branch.placements.is_some() {
        return Err(BranchError::Mismatch(
            "the branch scenario switches `placements` on or off: a branch keeps the run's places, so give both scenarios a `[placements]` table or neither".into(),
        ));
    }
    match original.differs_in_population(branch) {
        Some(key) => Err(BranchError::Mismatch(format!(
            "the branch scenario's `{key}` differs from the snapshot's: a branch keeps the run's calendar and families"
        ))),
        None => Ok(()),
    }
}

/// Writes a log of a branch's events (after the snapshot) to `out`.
pub fn branch_to_log<W: Write>(
    snapshot: &Snapshot,
    branch: &ScenarioInput,
    out: W,
) -> Result<Finished, BranchError> {
    let mut writer = LogWriter::new(out, &branch.header(snapshot.head.seed))?;
    let finished = snapshot.branch(branch, &mut writer)?;
    let model_end = branch.scenario.calendar().horizon();
    writer.finish(model_end, finished.state.hash(), true)?;
    Ok(finished)
}

/// Runs `input` with `seed` (writing its log to `log`, if any), taking a
/// snapshot before anything due at minute `at` is decided.
pub fn run_with_snapshot<W: Write>(
    input: &ScenarioInput,
    seed: u64,
    log: Option<W>,
    at: Minute,
) -> Result<(Finished, Snapshot), RunError> {
    fn go<S: EventSink<Event>>(
        input: &ScenarioInput,
        model: &Model,
        seed: u64,
        at: Minute,
        sink: &mut S,
    ) -> Result<(State, Metrics, Snapshot), RunError> {
        let mut run = Run::start(model);
        run.advance(model, at, sink)?;
        let snapshot = Snapshot::take(input, seed, at, &run);
        let (state, metrics) = run.finish(model, sink)?;
        Ok((state, metrics, snapshot))
    }
    let model = Model::new(input.scenario.clone(), seed);
    let (state, metrics, snapshot) = match log {
        Some(out) => {
            let mut writer = LogWriter::new(out, &input.header(seed))?;
            let done = go(input, &model, seed, at, &mut writer)?;
            writer.finish(model.calendar.horizon(), done.0.hash(), true)?;
            done
        }
        None => go(input, &model, seed, at, &mut Discard)?,
    };
    let summary = Summary::new(&input.scenario, &input.source, seed, &metrics, &state);
    Ok((
        Finished {
            state,
            metrics,
            summary,
        },
        snapshot,
    ))
}
