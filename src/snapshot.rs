//! Snapshots: a run's whole state at a date, to branch several scenarios from.
//!
//! ```text
//! file    = signature version record*
//! signature = 89 46 46 53 4E 50 0D 0A      ("\x89FFSNP\r\n")
//! version = u32 LE                          (SNAPSHOT_VERSION)
//! record  = length:u32 LE  crc:u32 LE  type:u8  payload    (as in the event log)
//! ```
//!
//! Records, in order: the head (type 1: who wrote it, the seed, the
//! scenario text, the minute, the state's counters), the open families in
//! id order in chunks (type 2), the pending happenings earliest first in
//! chunks (type 3), the metrics so far (type 4), and the end (type 5: the
//! xxh3 hash of every byte before it). Every length is checked against a cap
//! before allocating and every checksum is verified; counts must match the
//! head. A snapshot is taken before anything due at its minute is decided.
//!
//! A branch continues a snapshot under a scenario with the same calendar and
//! families: the run's pending happenings carry on (common random numbers);
//! the branch's own policy timeline replaces the original's, and the version
//! in force at the snapshot takes effect at once (`PolicyApplied`) when the
//! branch's scenario differs from the original.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::agenda::{Agenda, AgendaImage, Happening};
use crate::calendar::Minute;
use crate::codec::{self, CodecError};
use crate::engine::{EventSink, Finished, Run, RunError, ScenarioInput};
use crate::event::FamilyId;
use crate::log::{LogError, LogReader, LogWriter};
use crate::model::Model;
use crate::projection::{fold, Metrics};
use crate::scenario::{Scenario, ScenarioError};
use crate::state::{Family, State, StateImage};
use crate::summary::Summary;

/// The file signature.
pub const SIGNATURE: [u8; 8] = *b"\x89FFSNP\r\n";
/// The byte format's version.
pub const SNAPSHOT_VERSION: u32 = 3;
/// The largest record.
pub const MAX_RECORD: u32 = 16 * 1024 * 1024;
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

/// A snapshot that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A payload would not encode.
    #[error("{0}")]
    Encode(#[from] CodecError),
    /// Not a snapshot, or another version.
    #[error("not a familyflow snapshot of version {SNAPSHOT_VERSION}: {0}")]
    Format(String),
    /// Cut short or damaged.
    #[error("record {record} at byte {offset}: {what}")]
    Damaged {
        /// Which record, from 0.
        record: u64,
        /// Where it starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
}

struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
    hash: Xxh3,
}

impl<W: Write> Writer<W> {
    fn record<T: Serialize>(&mut self, ty: u8, payload: &T) -> Result<(), SnapshotError> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; 8]);
        self.buf.push(ty);
        codec::encode_into(payload, &mut self.buf)?;
        let len = self.buf.len() - 8;
        if len > MAX_RECORD as usize {
            return Err(CodecError::from(format!(
                "a snapshot record of {len} bytes is over the {MAX_RECORD}-byte limit"
            ))
            .into());
        }
        let crc = crc32c::crc32c(&self.buf[8..]);
        self.buf[0..4].copy_from_slice(&(len as u32).to_le_bytes());
        self.buf[4..8].copy_from_slice(&crc.to_le_bytes());
        self.hash.update(&self.buf);
        self.out.write_all(&self.buf)?;
        Ok(())
    }
}

impl Snapshot {
    /// Takes a snapshot of a run of `input` with `seed`, stopped before `at`.
    pub fn take(input: &ScenarioInput, seed: u64, at: Minute, run: &Run) -> Snapshot {
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
        let mut w = Writer {
            out,
            buf: Vec::new(),
            hash: Xxh3::new(),
        };
        w.out.write_all(&SIGNATURE)?;
        w.out.write_all(&SNAPSHOT_VERSION.to_le_bytes())?;
        w.record(kind::HEAD, &self.head)?;
        for chunk in self.families.chunks(CHUNK) {
            w.record(kind::FAMILIES, &chunk)?;
        }
        for chunk in self.pending.chunks(CHUNK) {
            w.record(kind::PENDING, &chunk)?;
        }
        w.record(kind::METRICS, &self.metrics)?;
        let end = w.hash.digest();
        w.record(kind::END, &end)?;
        w.out.flush()?;
        Ok(w.out)
    }

    /// Reads and checks a whole snapshot.
    pub fn read<R: Read>(mut input: R) -> Result<Snapshot, SnapshotError> {
        let mut pre = [0u8; 12];
        input
            .read_exact(&mut pre)
            .map_err(|_| SnapshotError::Format("the file is shorter than its signature".into()))?;
        if pre[..8] != SIGNATURE {
            return Err(SnapshotError::Format("the signature is wrong".into()));
        }
        let version = u32::from_le_bytes(pre[8..12].try_into().expect("4 bytes"));
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Format(format!("it is version {version}")));
        }
        let mut r = Reader {
            input,
            offset: 12,
            record: 0,
            buf: Vec::new(),
            hash: Xxh3::new(),
        };
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
        let computed = r.hash.digest();
        let stored: u64 = r.expect(kind::END, "the end")?;
        if stored != computed {
            return Err(r.damaged(format!(
                "the end's hash {stored:016x} is not that of the records before it ({computed:016x})"
            )));
        }
        let mut probe = [0u8; 1];
        if r.input.read(&mut probe)? != 0 {
            return Err(r.damaged("bytes follow the end".into()));
        }
        Ok(Snapshot {
            head,
            families,
            pending,
            metrics,
        })
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
    fn resume(&self, scenario: &Scenario, keep: impl Fn(&Happening) -> bool) -> Run {
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
        Run::resume(state, metrics, agenda)
    }

    /// Continues the run under `branch` to its horizon, sending the events
    /// after the snapshot to `sink`. The branch must share the original's
    /// calendar and families.
    pub fn branch<S: EventSink>(
        &self,
        branch: &ScenarioInput,
        sink: &mut S,
    ) -> Result<Finished, BranchError> {
        let original = self.scenario()?;
        check_compatible(&original.scenario, &branch.scenario)?;
        let model = Model::new(branch.scenario.clone(), self.head.seed);
        self.check(&original.scenario)?;
        let finish = |run: Run, sink: &mut S| -> Result<Finished, BranchError> {
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
                let table = |m: &Model, v: u16| {
                    toml::Table::try_from(m.version_scenario(v)).unwrap_or_default()
                };
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
        let mut reader = LogReader::open(log).map_err(RunError::Log)?;
        let header = reader.header().clone();
        if header.seed != self.head.seed {
            return Err(BranchError::Mismatch(format!(
                "the log's seed {} is not the snapshot's {}",
                header.seed, self.head.seed
            )));
        }
        let scenario = Scenario::parse(
            &header.scenario,
            &format!("{} (inside the log)", header.scenario_source),
        )?;
        self.check(&self.scenario()?.scenario)?;
        let mut run = self.resume(&scenario, |_| true);
        while let Some(t) = reader.next_event().map_err(RunError::Log)? {
            if t.at < self.head.at {
                return Err(BranchError::Mismatch(format!(
                    "the log has an event at minute {}, before the snapshot's {}",
                    t.at, self.head.at
                )));
            }
            let index = run.metrics.events;
            fold(&mut run.state, &mut run.metrics, t.at, &t.event)
                .map_err(|source| RunError::Inconsistent { index, source })?;
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

impl From<LogError> for BranchError {
    fn from(e: LogError) -> Self {
        BranchError::Run(RunError::Log(e))
    }
}

/// Whether two scenarios set the same parameters (names and descriptions aside).
fn same_parameters(a: &Scenario, b: &Scenario) -> bool {
    let table = |s: &Scenario| {
        let mut t = toml::Table::try_from(s).unwrap_or_default();
        t.remove("name");
        t.remove("description");
        t
    };
    table(a) == table(b)
}

/// A branch must keep what cannot change during a run.
fn check_compatible(original: &Scenario, branch: &Scenario) -> Result<(), BranchError> {
    match original.differs_in_population(branch) {
        Some(key) => Err(BranchError::Mismatch(format!(
            "the branch scenario's `{key}` differs from the snapshot's: a branch keeps the run's calendar and families"
        ))),
        None => Ok(()),
    }
}

struct Reader<R: Read> {
    input: R,
    offset: u64,
    record: u64,
    buf: Vec<u8>,
    hash: Xxh3,
}

impl<R: Read> Reader<R> {
    fn damaged(&self, what: String) -> SnapshotError {
        SnapshotError::Damaged {
            record: self.record,
            offset: self.offset,
            what,
        }
    }

    /// Reads the next record, which must be of type `ty`, and decodes it.
    fn expect<T: serde::de::DeserializeOwned>(
        &mut self,
        ty: u8,
        what: &str,
    ) -> Result<T, SnapshotError> {
        let mut frame = [0u8; 8];
        let mut got = 0;
        while got < 8 {
            match self.input.read(&mut frame[got..])? {
                0 => {
                    return Err(self.damaged(format!(
                        "the snapshot is cut short before {what} (expected more records)"
                    )))
                }
                n => got += n,
            }
        }
        let len = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
        let stored = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
        if len == 0 || len > MAX_RECORD {
            return Err(self.damaged(format!(
                "its length field claims {len} bytes (allowed 1 to {MAX_RECORD})"
            )));
        }
        self.buf.clear();
        self.buf.resize(len as usize, 0);
        self.input
            .read_exact(&mut self.buf)
            .map_err(|_| self.damaged(format!("the snapshot is cut short inside {what}")))?;
        if crc32c::crc32c(&self.buf) != stored {
            return Err(self.damaged("checksum mismatch".into()));
        }
        if self.buf[0] != ty {
            return Err(self.damaged(format!(
                "expected {what} (record type {ty}), found type {}",
                self.buf[0]
            )));
        }
        if ty != kind::END {
            self.hash.update(&frame);
            self.hash.update(&self.buf);
        }
        let value = codec::decode_exact(&self.buf[1..])
            .map_err(|e| self.damaged(format!("{what} does not decode: {e}")))?;
        self.offset += 8 + u64::from(len);
        self.record += 1;
        Ok(value)
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
    fn go<S: EventSink>(
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
        None => go(input, &model, seed, at, &mut crate::engine::Discard)?,
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
