//! What each command-line command does. `main.rs` only parses arguments and
//! calls these; they write results to `out` and return errors for `main` to
//! print, so they can be tested without a process.

use crate::analysis::run;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::summary::thousands;
use crate::analysis::AnalysisError;
use crate::engine::log::{self, LogError};
use crate::model::calendar::CivilDate;
use crate::model::event::{Event, FamilyId};
use crate::model::input::ScenarioInput;
use crate::model::region::RegionInput;
use crate::model::scenario::{read_text_capped, ScenarioError};
use crate::model::RunError;

/// The output folder of a command that takes `--out DIR`: locked, written
/// atomically, cleared of an earlier run's files.
#[path = "output.rs"]
pub mod output;

use output::{OutDir, Scope, Staged};

/// The name of the log file `run --out DIR` writes.
pub const LOG_FILE: &str = "events.ffl";
/// The name of the summary file `run --out DIR` writes.
pub const SUMMARY_FILE: &str = "summary.json";
/// The region's summary a region run writes under `--out DIR`.
pub const REGION_SUMMARY_FILE: &str = "region-summary.json";
/// The name of the monthly time series `run --out DIR` writes.
pub const MONTHLY_FILE: &str = "monthly.csv";

/// A command that failed, with a message for the user.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A scenario is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A run or replay failed.
    #[error("{0}")]
    Run(#[from] RunError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A log could not be read.
    #[error("{path}: {source}")]
    Log {
        /// The log.
        path: PathBuf,
        /// What is wrong with it.
        source: LogError,
    },
    /// A check failed; the message says which.
    #[error("{0}")]
    Failed(String),
}

impl From<AnalysisError> for CommandError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::Scenario(e) => CommandError::Scenario(e),
            AnalysisError::Run(e) => CommandError::Run(e),
            AnalysisError::Invalid(why) => CommandError::Failed(why),
        }
    }
}

/// Writes to stdout; a closed pipe is the reader's choice, not an error
/// of ours (see `cli::main`).
pub fn write_stdout(out: &mut dyn Write, bytes: &[u8]) -> Result<(), CommandError> {
    out.write_all(bytes)
        .map_err(file_error(Path::new("<stdout>")))
}

fn file_error(path: &Path) -> impl FnOnce(io::Error) -> CommandError + '_ {
    move |source| CommandError::File {
        path: path.to_path_buf(),
        source,
    }
}

fn open_log(path: &Path) -> Result<BufReader<File>, CommandError> {
    if path.is_dir() {
        return Err(CommandError::Failed(format!(
            "{}: this is a folder, not an event log: give the log file in it (a run's --out folder holds {LOG_FILE})",
            path.display()
        )));
    }
    let f = File::open(path).map_err(file_error(path))?;
    Ok(BufReader::with_capacity(1 << 20, f))
}

fn with_log_path(path: &Path) -> impl FnOnce(RunError) -> CommandError + '_ {
    move |e| match e {
        RunError::Log(source) => CommandError::Log {
            path: path.to_path_buf(),
            source,
        },
        other => CommandError::Run(other),
    }
}

/// `familyflow run`: runs a scenario (the built-in one when `scenario` is
/// None), prints its summary, and with `out_dir` writes the log and JSON summary.
pub fn run(
    scenario: Option<&Path>,
    seed: u64,
    out_dir: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    run_with_checkpoint(scenario, seed, out_dir, None, false, json, out, note)
}

/// The name of the snapshot `run --checkpoint-at DATE --out DIR` writes.
pub fn snapshot_file(date: CivilDate) -> String {
    snapshot_file_name(date)
}

fn snapshot_file_name(date: CivilDate) -> String {
    format!("snapshot-{date}.ffs")
}

/// Refuses a region file where one council's scenario is taken (`what`
/// names the command or option), before anything runs, saying what a
/// region supports.
pub fn refuse_region(path: &Path, what: &str) -> Result<(), CommandError> {
    if RegionInput::is_region_file(path) {
        return Err(CommandError::Failed(format!(
            "{}: a region file (it lists `members`), and {what} takes one council's scenario. \
             For a region: `familyflow run REGION.toml [--out DIR]` runs its members in step \
             (each member's log and summary in DIR/NN-member/, which `familyflow report \
             DIR/NN-member` turns into a report), and `familyflow compare REGION_A.toml \
             REGION_B.toml --replications N [--out DIR]` compares regions with paired \
             confidence intervals",
            path.display()
        )));
    }
    Ok(())
}

/// With `report` (`--report`), refuses region files among `scenarios`:
/// the report is of one council's run ([`refuse_region`]).
pub fn refuse_region_report(report: bool, scenarios: &[&Path]) -> Result<(), CommandError> {
    if report {
        for path in scenarios {
            refuse_region(path, "--report")?;
        }
    }
    Ok(())
}

/// The files a command reads, as a list for [`OutDir::open`].
fn inputs_of(path: Option<&Path>) -> Vec<&Path> {
    path.into_iter().collect()
}

/// `familyflow run --checkpoint-at DATE`: as [`run`], and writes a snapshot
/// of the run at the start of `checkpoint_at` into `out_dir`; with
/// `progress`, shows progress on stderr when the run takes over a second.
#[allow(clippy::too_many_arguments)]
pub fn run_with_checkpoint(
    scenario: Option<&Path>,
    seed: u64,
    out_dir: Option<&Path>,
    checkpoint_at: Option<CivilDate>,
    progress: bool,
    json: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    if let Some(path) = scenario.filter(|p| RegionInput::is_region_file(p)) {
        if checkpoint_at.is_some() {
            return Err(CommandError::Failed(format!(
                "{}: a region run has no snapshot (--checkpoint-at is for one council's scenario)",
                path.display()
            )));
        }
        return run_region(path, seed, out_dir, json, out, note);
    }
    let input = match scenario {
        Some(p) => ScenarioInput::load(p)?,
        None => ScenarioInput::builtin(),
    };
    let checkpoint = match checkpoint_at {
        None => None,
        Some(date) => {
            let cal = input.scenario.calendar();
            let end = cal.date(cal.horizon().saturating_sub(1));
            if date < cal.start() || date > end {
                return Err(CommandError::Failed(format!(
                    "--checkpoint-at {date} is outside the run ({} to {end})",
                    cal.start()
                )));
            }
            if out_dir.is_none() {
                return Err(CommandError::Failed(
                    "--checkpoint-at needs --out DIR, where the snapshot is written".into(),
                ));
            }
            Some((date, cal.minute_of(date)))
        }
    };
    // Locked before the run, so that a second writer is refused at once.
    let mut folder = match out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &inputs_of(scenario))?),
        None => None,
    };
    let started = Instant::now();
    let bar = crate::cli::progress::Bar::share("run", progress);
    let mut report = |fraction: f64| bar.set_fraction(fraction);
    let finished = match &mut folder {
        Some(dir) => {
            let mut log = dir.create(LOG_FILE)?;
            let mut snapshot_file = None;
            let finished = match checkpoint {
                None => run::run_reporting(&input, seed, Some(&mut log), &mut report)?,
                Some((date, at)) => {
                    let (finished, snapshot) = crate::analysis::snapshot::run_with_snapshot(
                        &input,
                        seed,
                        Some(&mut log),
                        at,
                    )?;
                    let mut file = dir.create(&snapshot_file_name(date))?;
                    let path = file.path().to_path_buf();
                    snapshot
                        .write(&mut file)
                        .map_err(|e| CommandError::Failed(format!("{}: {e}", path.display())))?;
                    snapshot_file = Some((date, dir.finish(file)?));
                    finished
                }
            };
            let log_path = dir.finish(log)?;
            let summary_path = dir.write(SUMMARY_FILE, finished.summary.to_json().as_bytes())?;
            let monthly_path =
                dir.write(MONTHLY_FILE, finished.summary.monthly_csv().as_bytes())?;
            let bytes = std::fs::metadata(format!("{}.tmp", log_path.display()))
                .map(|m| m.len())
                .unwrap_or(0);
            folder.take().expect("the folder is open").commit()?;
            if let Some((date, path)) = snapshot_file {
                let _ = writeln!(note, "wrote the snapshot at {date}: {}", path.display());
            }
            let events = finished.summary.events.max(1);
            let _ = writeln!(
                note,
                "wrote {} ({} bytes, {:.1} bytes per event), {} and {}",
                log_path.display(),
                thousands(bytes),
                bytes as f64 / events as f64,
                summary_path.display(),
                monthly_path.display()
            );
            finished
        }
        None => run::run_reporting::<io::Sink>(&input, seed, None, &mut report)?,
    };
    let secs = started.elapsed().as_secs_f64();
    let _ = writeln!(
        note,
        "ran {} events in {:.2} s ({:.1} million events/s)",
        thousands(finished.summary.events),
        secs,
        finished.summary.events as f64 / secs.max(1e-9) / 1e6
    );
    let text = finished.summary.render(json);
    out.write_all(text.as_bytes())
        .map_err(file_error(Path::new("<stdout>")))
}

/// `familyflow run REGION.toml`: the region's members in step; with
/// `out_dir`, each member's log, summary and monthly CSV in a folder named
/// by its number and file, and the region's summary.
fn run_region(
    path: &Path,
    seed: u64,
    out_dir: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let input = RegionInput::load(path)?;
    let member_sources: Vec<PathBuf> = input
        .members
        .iter()
        .map(|m| PathBuf::from(&m.source))
        .collect();
    let mut inputs: Vec<&Path> = vec![path];
    inputs.extend(member_sources.iter().map(PathBuf::as_path));
    let mut folder = match out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &inputs)?),
        None => None,
    };
    let started = Instant::now();
    let done = match &mut folder {
        Some(dir) => {
            let mut logs = Vec::with_capacity(input.members.len());
            let mut folders = Vec::with_capacity(input.members.len());
            for (i, m) in input.members.iter().enumerate() {
                let stem = Path::new(&m.source)
                    .file_stem()
                    .map_or_else(|| "member".to_string(), |s| s.to_string_lossy().to_string());
                let folder = format!("{:02}-{stem}", i + 1);
                logs.push(dir.create(&format!("{folder}/{LOG_FILE}"))?);
                folders.push(folder);
            }
            let done = crate::analysis::region::run_region(
                &input,
                seed,
                Some(logs.iter_mut().collect::<Vec<&mut Staged>>()),
            )?;
            for log in logs {
                dir.finish(log)?;
            }
            let mut wrote = Vec::new();
            for ((_, f), folder) in done.members.iter().zip(&folders) {
                let summary = dir.write(
                    &format!("{folder}/{SUMMARY_FILE}"),
                    f.summary.to_json().as_bytes(),
                )?;
                let monthly = dir.write(
                    &format!("{folder}/{MONTHLY_FILE}"),
                    f.summary.monthly_csv().as_bytes(),
                )?;
                wrote.push(format!(
                    "wrote {}, {} and {}",
                    dir.file(&format!("{folder}/{LOG_FILE}")).display(),
                    summary.display(),
                    monthly.display()
                ));
            }
            let region_path = dir.write(REGION_SUMMARY_FILE, done.summary.to_json().as_bytes())?;
            folder.take().expect("the folder is open").commit()?;
            for line in wrote {
                let _ = writeln!(note, "{line}");
            }
            let _ = writeln!(note, "wrote {}", region_path.display());
            done
        }
        None => crate::analysis::region::run_region::<io::Sink>(&input, seed, None)?,
    };
    let events: u64 = done.members.iter().map(|(_, f)| f.summary.events).sum();
    let secs = started.elapsed().as_secs_f64();
    let _ = writeln!(
        note,
        "ran {} councils, {} events in {:.2} s ({:.1} million events/s)",
        done.members.len(),
        thousands(events),
        secs,
        events as f64 / secs.max(1e-9) / 1e6
    );
    let text = if json {
        done.summary.to_json()
    } else {
        done.summary.to_text()
    };
    write_stdout(out, text.as_bytes())
}

/// `familyflow replay`: rebuilds the summary from a log alone.
pub fn replay(log: &Path, json: bool, out: &mut dyn Write) -> Result<(), CommandError> {
    let replayed = run::replay(open_log(log)?).map_err(with_log_path(log))?;
    let summary = &replayed.finished.summary;
    let text = summary.render(json);
    out.write_all(text.as_bytes())
        .map_err(file_error(Path::new("<stdout>")))?;
    let rebuilt = replayed.finished.state.hash();
    if rebuilt != replayed.trailer.state_hash {
        return Err(CommandError::Failed(format!(
            "{}: the replayed state hash {rebuilt:016x} differs from the log's {:016x}",
            log.display(),
            replayed.trailer.state_hash
        )));
    }
    Ok(())
}

/// Reads a snapshot file, naming it in errors.
fn read_snapshot(path: &Path) -> Result<crate::analysis::snapshot::Snapshot, CommandError> {
    if path.is_dir() {
        return Err(CommandError::Failed(format!(
            "{}: this is a folder, not a snapshot: give the snapshot file that `run --checkpoint-at DATE --out DIR` wrote (DIR/snapshot-DATE.ffs)",
            path.display()
        )));
    }
    let f = File::open(path).map_err(file_error(path))?;
    crate::analysis::snapshot::Snapshot::read(BufReader::with_capacity(1 << 20, f))
        .map_err(|e| CommandError::Failed(format!("{}: {e}", path.display())))
}

/// `familyflow replay LOG --from SNAPSHOT`: rebuilds a branch's summary from
/// the snapshot it started from and its log of what came after.
pub fn replay_from(
    log: &Path,
    snapshot: &Path,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let snap = read_snapshot(snapshot)?;
    let (finished, stored) = snap
        .replay_tail(open_log(log)?)
        .map_err(|e| CommandError::Failed(format!("{}: {e}", log.display())))?;
    let text = finished.summary.render(json);
    out.write_all(text.as_bytes())
        .map_err(file_error(Path::new("<stdout>")))?;
    let rebuilt = finished.state.hash();
    if rebuilt != stored {
        return Err(CommandError::Failed(format!(
            "{}: the replayed state hash {rebuilt:016x} differs from the log's {stored:016x}",
            log.display()
        )));
    }
    Ok(())
}

/// `familyflow branch SNAPSHOT SCENARIO…`: continues the snapshot's run
/// under each scenario and prints each summary; with `out_dir`, writes
/// `DIR/<scenario name>/` with the log of what came after the snapshot, the
/// summary and the monthly series.
pub fn branch(
    snapshot: &Path,
    scenarios: &[PathBuf],
    out_dir: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    for path in scenarios {
        refuse_region(path, "branch")?;
    }
    let mut inputs: Vec<&Path> = vec![snapshot];
    inputs.extend(scenarios.iter().map(PathBuf::as_path));
    let mut folder = match out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &inputs)?),
        None => None,
    };
    let snap = read_snapshot(snapshot)?;
    let at = {
        let original = snap.scenario()?;
        original.scenario.calendar().date(snap.head.at)
    };
    let mut wrote = Vec::new();
    for (i, path) in scenarios.iter().enumerate() {
        let input = ScenarioInput::load(path)?;
        let failed = |e: crate::analysis::snapshot::BranchError| {
            CommandError::Failed(format!("{}: {e}", path.display()))
        };
        let finished = match &mut folder {
            Some(dir) => {
                let mut stem = path.file_stem().map_or_else(
                    || format!("branch-{i}"),
                    |s| s.to_string_lossy().into_owned(),
                );
                // Two scenarios with one file name get folders of their own.
                if scenarios[..i]
                    .iter()
                    .any(|p| p.file_stem() == path.file_stem())
                {
                    stem = format!("{stem}-{}", i + 1);
                }
                let mut log = dir.create(&format!("{stem}/{LOG_FILE}"))?;
                let finished = crate::analysis::snapshot::branch_to_log(&snap, &input, &mut log)
                    .map_err(failed)?;
                dir.finish(log)?;
                dir.write(
                    &format!("{stem}/{SUMMARY_FILE}"),
                    finished.summary.to_json().as_bytes(),
                )?;
                dir.write(
                    &format!("{stem}/{MONTHLY_FILE}"),
                    finished.summary.monthly_csv().as_bytes(),
                )?;
                wrote.push(format!(
                    "wrote {} (replay it with --from {})",
                    dir.file(&stem).display(),
                    snapshot.display()
                ));
                finished
            }
            None => snap
                .branch(&input, &mut crate::engine::Discard)
                .map_err(failed)?,
        };
        if !json {
            let _ = writeln!(
                out,
                "== branch {} of {}: {} from the snapshot at {at}\n",
                i + 1,
                scenarios.len(),
                path.display()
            );
        }
        let text = finished.summary.render(json);
        out.write_all(text.as_bytes())
            .map_err(file_error(Path::new("<stdout>")))?;
        if !json && i + 1 < scenarios.len() {
            let _ = writeln!(out);
        }
    }
    if let Some(dir) = folder {
        dir.commit()?;
    }
    for line in wrote {
        let _ = writeln!(note, "{line}");
    }
    Ok(())
}

/// `familyflow verify`: checks every record, the header against this
/// build, every event against a re-run of the log's scenario with its seed,
/// and that replay reproduces the final state. A recovered prefix is
/// refused, saying how many of its run's events it lacks.
pub fn verify(log: &Path, out: &mut dyn Write) -> Result<(), CommandError> {
    let v = run::verify(open_log(log)?).map_err(with_log_path(log))?;
    let h = &v.header;
    let t = &v.trailer;
    let name = log.display();
    if v.replayed_state_hash != t.state_hash {
        return Err(CommandError::Failed(format!(
            "{name}: replay ends in state {:016x}, but the log recorded {:016x}",
            v.replayed_state_hash, t.state_hash
        )));
    }
    if !t.clean {
        return Err(CommandError::Failed(format!(
            "{name}: intact, but a recovered prefix (its trailer is marked as recovered from a cut or damaged log): it holds the first {} of its run's {} events, so {} were dropped; each of them is what a re-run of its scenario gives",
            thousands(t.events),
            thousands(v.run_events),
            thousands(v.run_events.saturating_sub(t.events))
        )));
    }
    writeln!(
        out,
        "ok: {name}\n  {} events, every checksum and checkpoint good\n  a re-run of the scenario with its seed gives every event, and nothing more\n  replay reproduces the final state hash {:016x}\n  scenario \"{}\" ({}), seed {}, familyflow {}",
        thousands(t.events),
        t.state_hash,
        v.scenario_name,
        h.scenario_source,
        h.seed,
        h.engine_version
    )
    .map_err(file_error(Path::new("<stdout>")))
}

/// A minute as `2024-04-03 10:15`.
use crate::analysis::export::stamp;

/// `familyflow events`: prints a log's events as text or JSON lines,
/// optionally one family's. A cut or damaged log prints what is intact and
/// then fails, saying where.
pub fn events(
    log: &Path,
    family: Option<u32>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let (mut reader, scenario) = run::open(open_log(log)?).map_err(with_log_path(log))?;
    let cal = scenario.calendar();
    let stdout = |e| file_error(Path::new("<stdout>"))(e);
    loop {
        let timed = match reader.next_event::<Event>() {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(()),
            Err(source) => {
                return Err(CommandError::Log {
                    path: log.to_path_buf(),
                    source,
                })
            }
        };
        if family.is_some_and(|id| timed.event.family() != Some(FamilyId(id))) {
            continue;
        }
        if json {
            writeln!(out, "{}", crate::analysis::export::event_json(&cal, &timed))
                .map_err(stdout)?;
        } else {
            writeln!(out, "{}  {}", stamp(&cal, timed.at), timed.event).map_err(stdout)?;
        }
    }
}

/// `familyflow recover`: copies the intact prefix of a cut or damaged log to
/// a new log, closed with a trailer marked "not clean". The prefix ends
/// before the first record that breaks the sequence (see
/// [`run::recover_plan`]); the output says how many events were dropped.
/// The new log is written under a temporary name and renamed when
/// complete; an output that is the log itself (by any path) is refused.
pub fn recover(
    log: &Path,
    to: &Path,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let source_len = std::fs::metadata(log).map_err(file_error(log))?.len();
    if output::same_file(log, to) || output::resolved(to) == output::resolved(log) {
        return Err(CommandError::Failed(format!(
            "{}: this is the log being recovered ({}); give another file for --out (the log is left as it is)",
            to.display(),
            log.display()
        )));
    }
    if to.is_dir() {
        return Err(CommandError::Failed(format!(
            "{}: this is a folder; --out takes the file to write the recovered log to",
            to.display()
        )));
    }
    let plan = run::recover_plan(open_log(log)?).map_err(|source| {
        CommandError::Failed(format!(
            "{}: nothing was recovered (the log is left as it is): {source}",
            log.display()
        ))
    })?;
    let mut file = Staged::beside(to)?;
    let copy = run::recover_copy(open_log(log)?, &plan, &mut file).map_err(|e| match e {
        // The output's errors name it (see `Staged`).
        RunError::Log(LogError::Io(e)) if e.to_string().starts_with(&to.display().to_string()) => {
            CommandError::Failed(format!("cannot write {e}"))
        }
        other => with_log_path(log)(other),
    })?;
    file.commit()?;
    let _ = writeln!(note, "wrote {}", to.display());
    let w = |e| file_error(Path::new("<stdout>"))(e);
    let events = copy.events;
    match &plan.stopped {
        None if events == plan.read => writeln!(
            out,
            "{} is whole: copied all {} events to {}",
            log.display(),
            thousands(events),
            to.display()
        )
        .map_err(w),
        stopped => {
            let why = stopped
                .as_ref()
                .map_or_else(|| "the log ended".to_string(), ToString::to_string);
            let dropped = plan.read - events;
            let dropped = if dropped > 0 {
                format!(
                    "dropped {} events read after event {} (each with a good checksum): the sequence breaks somewhere after the last event a checkpoint vouches for, and nothing in the log says where, so none of them is kept",
                    thousands(dropped),
                    thousands(events)
                )
            } else {
                "dropped no event that could be read".to_string()
            };
            writeln!(
                out,
                "recovered {} events from {} (intact up to byte {} of {}) into {}\n  stopped because {why}\n  {dropped}; bytes {} to {} are not in the recovered log",
                thousands(events),
                log.display(),
                thousands(plan.intact_bytes),
                thousands(source_len),
                to.display(),
                thousands(plan.intact_bytes),
                thousands(source_len)
            )
            .map_err(w)
        }
    }
}

/// `familyflow scenario check`: validates a scenario file.
pub fn check_scenario(path: &Path, out: &mut dyn Write) -> Result<(), CommandError> {
    if RegionInput::is_region_file(path) {
        let region = RegionInput::load(path)?;
        return writeln!(
            out,
            "ok: {} — region \"{}\", {} members{}",
            path.display(),
            region.region.name,
            region.members.len(),
            if region.region.cooperative.is_some() {
                " with a co-operative"
            } else {
                ""
            }
        )
        .map_err(file_error(Path::new("<stdout>")));
    }
    let input = ScenarioInput::load(path)?;
    let s = &input.scenario;
    writeln!(
        out,
        "ok: {} — \"{}\", {} years from {}, {} children",
        path.display(),
        s.name,
        s.years,
        s.start,
        thousands(s.area.children)
    )
    .map_err(file_error(Path::new("<stdout>")))
}

/// `familyflow scenario schema`: prints the JSON Schema of the scenario format.
pub fn scenario_schema(out: &mut dyn Write) -> Result<(), CommandError> {
    out.write_all(crate::model::scenario::json_schema().as_bytes())
        .map_err(file_error(Path::new("<stdout>")))
}

/// Re-exported so `main` need not name the log module.
pub use log::FORMAT_VERSION;

/// What to replicate and compare, and a warm-up as `--warm-up` takes it.
pub use crate::analysis::{
    compare::CompareSpec,
    replications::{ReplicationSpec, WarmUp},
};
/// `familyflow compare` (in [`crate::cli::compare`]).
pub use crate::cli::compare::{compare, CompareOptions};
/// `familyflow run --replications` (in [`crate::cli::replications`]).
pub use crate::cli::replications::{run_replications, ReplicationOptions};
/// `familyflow validate` (in [`crate::cli::validate`]).
pub use crate::cli::validate::{validate, validate_with, ValidateOptions};

/// What `familyflow export` writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// SSDA903 CSV tables: `DIR/2025/header.csv` and `episodes.csv`, one
    /// folder per collection year named by the year it ends.
    Ssda903,
    /// Children in need census XML: `DIR/2025/cin.xml`, beside SSDA903's
    /// tables of the same year.
    Cin,
    /// Every event as CSV.
    Csv,
    /// Every event as JSON lines.
    Jsonl,
}

/// `familyflow export LOG --format F --out DIR`: writes the log in a data
/// return's format, or every event as CSV or JSON lines, and says on
/// `note` (stderr) what it wrote.
pub fn export(
    log: &Path,
    format: ExportFormat,
    dir: &Path,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    use crate::analysis::export::{events_csv, events_jsonl, Returns};
    let failed = |e: crate::analysis::export::ExportError| {
        CommandError::Failed(format!("{}: {e}", log.display()))
    };
    let mut folder = OutDir::open(
        dir,
        Scope::Export(match format {
            ExportFormat::Csv => "events.csv",
            ExportFormat::Jsonl => "events.jsonl",
            ExportFormat::Ssda903 => "ssda903/",
            ExportFormat::Cin => "cin/",
        }),
        &[log],
    )?;
    // The whole log is checked first (every record, every time inside the
    // run, every event against the state), so the exports never meet a
    // record they cannot place.
    run::replay(open_log(log)?).map_err(with_log_path(log))?;
    let mut written = Vec::new();
    let mut write = |name: String, text: String| -> Result<(), CommandError> {
        written.push(folder.write(&name, text.as_bytes())?);
        Ok(())
    };
    match format {
        ExportFormat::Csv => write(
            "events.csv".into(),
            events_csv(open_log(log)?).map_err(failed)?,
        )?,
        ExportFormat::Jsonl => write(
            "events.jsonl".into(),
            events_jsonl(open_log(log)?).map_err(failed)?,
        )?,
        ExportFormat::Ssda903 | ExportFormat::Cin => {
            let returns = Returns::from_log(open_log(log)?).map_err(failed)?;
            // One folder a collection year, named by the year it ends
            // (`2025/` for 2024-25), as councils keep their returns; each
            // format replaces only its own files there.
            for (year, first, last) in &returns.years {
                let folder = last.year();
                if format == ExportFormat::Ssda903 {
                    let (header, episodes) = returns.ssda903(*first, *last);
                    write(format!("{folder}/header.csv"), header)?;
                    write(format!("{folder}/episodes.csv"), episodes)?;
                } else {
                    write(
                        format!("{folder}/cin.xml"),
                        returns.cin_xml(year, *first, *last),
                    )?;
                }
            }
        }
    }
    folder.commit()?;
    for p in written {
        let _ = writeln!(note, "wrote {}", p.display());
    }
    Ok(())
}

/// The name of the report `report DIR` writes.
pub const REPORT_FILE: &str = "report.html";

/// `familyflow report DIR`: writes `DIR/report.html` from `DIR/summary.json`
/// (written by `run --out`), with `DIR/compare.json` (written by `compare
/// --out`) when it is there.
pub fn report(dir: &Path, note: &mut dyn Write) -> Result<(), CommandError> {
    // What the folder lacks, said before anything is made or locked.
    let writes = "`familyflow run SCENARIO --out DIR` writes it (so do `run SCENARIO --replications R --out DIR --report` and `compare A B --out DIR --report`)";
    if !dir.is_dir() {
        return Err(CommandError::Failed(format!(
            "{}: no such folder: report reads a run's folder, with the run's {SUMMARY_FILE}; {writes}",
            dir.display()
        )));
    }
    if !dir.join(SUMMARY_FILE).exists() {
        let region = if dir.join(REGION_SUMMARY_FILE).exists() {
            " It is a region's folder: report one member's folder in it (`familyflow report DIR/01-member`)."
        } else {
            ""
        };
        return Err(CommandError::Failed(format!(
            "{}: the folder has no {SUMMARY_FILE}, the summary the report is made from; {writes}.{region}",
            dir.display()
        )));
    }
    let mut folder = OutDir::open(dir, Scope::Add, &[])?;
    let path = write_report(&mut folder)?;
    folder.commit()?;
    let _ = writeln!(note, "wrote {}", path.display());
    Ok(())
}

/// The largest file of a run's folder the report reads (`summary.json`,
/// `compare.json`, `summary-stats.csv`): 32 MiB (a ten-year run's summary
/// is under 1 MB, a comparison of two scenarios' under 0.5 MB).
pub const MAX_REPORT_INPUT_BYTES: u64 = 32 << 20;

/// Reads a file of a run's folder for the report, with the cap of
/// scenario files' reader ([`read_text_capped`]) at
/// [`MAX_REPORT_INPUT_BYTES`]; errors name the file.
fn read_run_file(path: &Path) -> Result<String, CommandError> {
    read_text_capped(path, MAX_REPORT_INPUT_BYTES, |found| {
        format!(
            "larger than {} bytes (32 MiB, the most the report reads of a file; familyflow writes far less): found {} or more",
            thousands(MAX_REPORT_INPUT_BYTES),
            thousands(found)
        )
    })
    .map_err(|e| CommandError::Failed(format!("{}: {e}", path.display())))
}

/// Stages `report.html` in an open folder, from the files already in it.
fn write_report(folder: &mut OutDir) -> Result<PathBuf, CommandError> {
    let summary_path = folder.file(SUMMARY_FILE);
    let text = read_run_file(&summary_path)?;
    let summary: crate::analysis::summary::Summary = serde_json::from_str(&text).map_err(|e| {
        CommandError::Failed(format!(
            "{}: not a summary written by this familyflow: {e}",
            summary_path.display()
        ))
    })?;
    report_from(folder, &summary)
}

fn report_from(
    folder: &mut OutDir,
    summary: &crate::analysis::summary::Summary,
) -> Result<PathBuf, CommandError> {
    let compare_path = folder.file(crate::analysis::compare::COMPARE_JSON);
    let comparison = if compare_path.exists() {
        let text = read_run_file(&compare_path)?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            CommandError::Failed(format!("{}: not JSON: {e}", compare_path.display()))
        })?;
        crate::analysis::report::differences_from_compare(&json)
    } else {
        None
    };
    let stats_path = folder.file(crate::analysis::replications::SUMMARY_STATS_CSV);
    let spreads = if stats_path.exists() {
        let text = read_run_file(&stats_path)?;
        crate::analysis::report::spreads_from_csv(&text)
    } else {
        Default::default()
    };
    let html = crate::analysis::report::html(summary, comparison.as_ref(), &spreads);
    folder.write(REPORT_FILE, html.as_bytes())
}

/// `compare --out DIR --report` and `run --replications R --out DIR
/// --report`: writes the first replication's summary (of A, for a
/// comparison: the run the family-by-family counts come from) beside the
/// statistics, and the report.
pub fn first_replication_report(
    a: Option<&Path>,
    base_seed: u64,
    dir: &Path,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let input = match a {
        Some(p) => ScenarioInput::load(p)?,
        None => ScenarioInput::builtin(),
    };
    let path = first_replication_report_of(&input, &inputs_of(a), base_seed, dir)?;
    let _ = writeln!(note, "wrote {}", path.display());
    Ok(())
}

/// [`first_replication_report`] of a scenario already read (`reads`: the
/// files it came from, which the folder must not replace); returns the
/// report's path.
pub fn first_replication_report_of(
    input: &ScenarioInput,
    reads: &[&Path],
    base_seed: u64,
    dir: &Path,
) -> Result<PathBuf, CommandError> {
    let mut folder = OutDir::open(dir, Scope::Add, reads)?;
    let seed = crate::analysis::replications::replication_seed(base_seed, 0);
    let finished = run::run::<io::Sink>(input, seed, None)?;
    let json = finished.summary.to_json();
    folder.write(SUMMARY_FILE, json.as_bytes())?;
    // The report reads the summary as `report DIR` would, from its JSON.
    let summary = serde_json::from_str(&json)
        .map_err(|e| CommandError::Failed(format!("the first replication's summary: {e}")))?;
    let path = report_from(&mut folder, &summary)?;
    folder.commit()?;
    Ok(path)
}
