//! `familyflow sweep EXPERIMENT --slurm DIR`: a sweep as a Slurm array job
//! and a merge job that waits for it.
//!
//! Writes into DIR: `sweep-array.sbatch` (an array `1-N%K`, each task
//! `familyflow sweep … --shard $SLURM_ARRAY_TASK_ID/N` into
//! `DIR/shards/<task>`), `sweep-merge.sbatch` (`familyflow merge` of the N
//! shard folders into `DIR/results`, or `--out`), and `submit.sh`, one line
//! that submits the array and then the merge with
//! `--dependency=afterok:$ARRAY_JOB_ID`. Slurm's logs go to `DIR/logs/`.
//!
//! Each task's `--time` and `--mem` come from a pilot: the experiment's
//! first job run here, timed (wall clock) and its peak resident memory
//! read (`VmHWM` in `/proc/self/status`). The script states the figures
//! and the safety factors ([`TIME_FACTOR`], [`MEMORY_FACTOR`]). The
//! pilot's time is used for the script only; nothing in a run reads a
//! clock.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::fan::FanMeasure;
use crate::analysis::shard::Shard;
use crate::analysis::sweep::{run_job, Experiment};
use crate::cli::commands::output::{resolved, OutDir, Scope};
use crate::cli::commands::{write_stdout, CommandError};
use crate::cli::sweep::SweepOptions;

/// The array job's script.
pub const ARRAY_SCRIPT: &str = "sweep-array.sbatch";
/// The merge job's script.
pub const MERGE_SCRIPT: &str = "sweep-merge.sbatch";
/// The submit wrapper.
pub const SUBMIT_SCRIPT: &str = "submit.sh";
/// A task's time limit is this many times the pilot's estimate (slower
/// nodes, points that run longer than the first), plus [`TIME_SLACK_S`].
pub const TIME_FACTOR: f64 = 3.0;
/// Seconds added to every time limit (start-up, loading the experiment).
pub const TIME_SLACK_S: u64 = 300;
/// A task's memory limit is this many times the pilot's peak, per thread.
pub const MEMORY_FACTOR: f64 = 2.0;
/// The least memory asked for a task, in MiB.
pub const MIN_MEMORY_MB: u64 = 256;
/// Array tasks by default: one per job up to this many.
pub const DEFAULT_TASKS: usize = 100;
/// Tasks running at once by default (the `%` limit).
pub const DEFAULT_RUNNING: usize = 20;

/// What `--slurm` was asked for.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// Folder for the scripts, shards, logs and (by default) results.
    pub dir: PathBuf,
    /// Array tasks (shards); default the jobs, at most [`DEFAULT_TASKS`].
    pub tasks: Option<usize>,
    /// Tasks running at once; default [`DEFAULT_RUNNING`].
    pub max_running: Option<usize>,
}

/// What the pilot measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pilot {
    /// Wall-clock seconds of one job (every scenario of it).
    pub seconds: f64,
    /// Peak resident memory of the process, in KiB.
    pub peak_kib: u64,
}

/// The limits of an array task and of the merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A task's time limit, in seconds.
    pub task_seconds: u64,
    /// A task's memory, in MiB.
    pub task_mb: u64,
    /// The merge's time limit, in seconds.
    pub merge_seconds: u64,
    /// The merge's memory, in MiB.
    pub merge_mb: u64,
}

/// The limits for `tasks` tasks of `threads` threads sharing `jobs` jobs
/// of `values` outputs each, from the pilot.
pub fn limits(pilot: Pilot, jobs: usize, values: usize, tasks: usize, threads: usize) -> Limits {
    let per_task = jobs.div_ceil(tasks.max(1));
    let waves = per_task.div_ceil(threads.max(1));
    let task_seconds = (TIME_FACTOR * pilot.seconds * waves as f64).ceil() as u64 + TIME_SLACK_S;
    let peak_mb = pilot.peak_kib.div_ceil(1024);
    let task_mb = ((MEMORY_FACTOR * peak_mb as f64 * threads.max(1) as f64).ceil() as u64)
        .max(MIN_MEMORY_MB)
        .next_multiple_of(64);
    // The merge holds every job's values (about 100 bytes each as read).
    let merge_mb = ((MEMORY_FACTOR * peak_mb as f64).ceil() as u64
        + (jobs as u64 * values as u64 * 100).div_ceil(1 << 20))
    .max(MIN_MEMORY_MB)
    .next_multiple_of(64);
    Limits {
        task_seconds,
        task_mb,
        merge_seconds: 3600,
        merge_mb,
    }
}

/// Seconds as Slurm's `--time` (`D-HH:MM:SS`, whole minutes rounded up).
pub fn slurm_time(seconds: u64) -> String {
    let m = seconds.div_ceil(60);
    let (d, h, m) = (m / 1440, m / 60 % 24, m % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:00")
    } else {
        format!("{h:02}:{m:02}:00")
    }
}

/// `s` quoted for the shell (single quotes).
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The peak resident memory of this process, in KiB (Linux: `VmHWM`).
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Everything the scripts say, resolved.
pub struct Plan<'a> {
    /// The experiment.
    pub exp: &'a Experiment,
    /// The experiment file, absolute.
    pub experiment: String,
    /// The familyflow binary, absolute.
    pub binary: String,
    /// The folder of the scripts, absolute.
    pub dir: String,
    /// Where the merge writes.
    pub results: String,
    /// The merge also writes the report (`sweep --report`).
    pub report: bool,
    /// Array tasks.
    pub tasks: usize,
    /// Tasks at once.
    pub running: usize,
    /// Threads per task.
    pub threads: usize,
    /// The pilot.
    pub pilot: Pilot,
    /// The limits.
    pub limits: Limits,
}

impl Plan<'_> {
    fn preamble(&self, what: &str) -> String {
        let exp = self.exp;
        format!(
            "#!/bin/bash\n\
             # {what}\n\
             # Written by familyflow {} sweep --slurm for {} (experiment hash {}).\n\
             # {} jobs ({} points x {} replications{}) in {} shards, {} threads a task.\n\
             # Pilot (job 1, run where the scripts were written): {:.2} s, peak resident\n\
             # memory {} MiB. A task's --time is {TIME_FACTOR} x the pilot's time x its jobs\n\
             # per thread + {TIME_SLACK_S} s; its --mem is {MEMORY_FACTOR} x the pilot's peak x threads\n\
             # (at least {MIN_MEMORY_MB} MiB). Change them here if your nodes differ.\n\
             # The binary: set FAMILYFLOW to use another path on the nodes.\n",
            crate::VERSION,
            self.experiment,
            exp.digest,
            exp.jobs(),
            exp.sample.rows.len(),
            exp.replications,
            if exp.compare.is_some() {
                ", 2 scenarios each"
            } else {
                ""
            },
            self.tasks,
            self.threads,
            self.pilot.seconds,
            self.pilot.peak_kib.div_ceil(1024),
        )
    }

    /// The array job's script.
    pub fn array_script(&self) -> String {
        let q = |s: &str| sh_quote(s);
        let mut s = self.preamble("familyflow sweep: one array task per shard.");
        s.push_str(&format!(
            "#SBATCH --job-name=familyflow-sweep\n\
             #SBATCH --array=1-{}%{}\n\
             #SBATCH --cpus-per-task={}\n\
             #SBATCH --time={}\n\
             #SBATCH --mem={}M\n\
             #SBATCH --output={}\n\
             set -euo pipefail\n\
             if [ -z \"${{FAMILYFLOW:-}}\" ]; then FAMILYFLOW={}; fi\n\
             exec \"$FAMILYFLOW\" sweep {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads {} \
             --out {}/\"${{SLURM_ARRAY_TASK_ID}}\"\n",
            self.tasks,
            self.running,
            self.threads,
            slurm_time(self.limits.task_seconds),
            self.limits.task_mb,
            format_args!("{}/logs/shard-%a.out", self.dir),
            self.binary,
            q(&self.experiment),
            self.tasks,
            self.threads,
            q(&format!("{}/shards", self.dir)),
        ));
        s
    }

    /// The merge job's script.
    pub fn merge_script(&self) -> String {
        let mut s = self
            .preamble("familyflow merge: the shards into the files a single-machine sweep writes.");
        s.push_str(&format!(
            "#SBATCH --job-name=familyflow-merge\n\
             #SBATCH --cpus-per-task=1\n\
             #SBATCH --time={}\n\
             #SBATCH --mem={}M\n\
             #SBATCH --output={}\n\
             set -euo pipefail\n\
             if [ -z \"${{FAMILYFLOW:-}}\" ]; then FAMILYFLOW={}; fi\n\
             shards=()\n\
             for i in $(seq 1 {}); do shards+=({}/\"$i\"); done\n\
             exec \"$FAMILYFLOW\" merge \"${{shards[@]}}\" --out {}{}\n",
            slurm_time(self.limits.merge_seconds),
            self.limits.merge_mb,
            format_args!("{}/logs/merge.out", self.dir),
            self.binary,
            self.tasks,
            sh_quote(&format!("{}/shards", self.dir)),
            sh_quote(&self.results),
            if self.report { " --report" } else { "" },
        ));
        s
    }

    /// The one-line submit wrapper.
    pub fn submit_script(&self) -> String {
        format!(
            "#!/bin/sh\n\
             # Submits the array, then the merge to run when every task has succeeded.\n\
             cd {} && ARRAY_JOB_ID=$(sbatch --parsable {ARRAY_SCRIPT} | cut -d';' -f1) && \
             sbatch --dependency=afterok:\"$ARRAY_JOB_ID\" {MERGE_SCRIPT}\n",
            sh_quote(&self.dir)
        )
    }
}

/// `sweep … --slurm DIR`: runs the pilot and writes the three scripts.
pub fn write_scripts(
    exp: &Experiment,
    experiment: &Path,
    opts: &SweepOptions,
    slurm: &SlurmOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let jobs = exp.jobs();
    let tasks = slurm.tasks.unwrap_or(jobs.min(DEFAULT_TASKS));
    if tasks == 0 || tasks > jobs {
        return Err(CommandError::Failed(format!(
            "--tasks {tasks}: the experiment has {jobs} jobs (points x replications); \
             give 1 to {jobs} tasks"
        )));
    }
    Shard::new(tasks, tasks).map_err(CommandError::Failed)?;
    let running = slurm.max_running.unwrap_or(DEFAULT_RUNNING).min(tasks);
    if running == 0 {
        return Err(CommandError::Failed(
            "--max-running must be at least 1".into(),
        ));
    }
    let threads = match opts.threads {
        Some(0) => return Err(CommandError::Failed("--threads must be at least 1".into())),
        Some(t) => t,
        None => 1,
    };
    let reads: Vec<&Path> = exp.inputs.iter().map(PathBuf::as_path).collect();
    let mut folder = OutDir::open(&slurm.dir, Scope::Add, &reads)?;
    let dir = resolved(folder.path()).display().to_string();
    for sub in ["logs", "shards"] {
        let p = folder.path().join(sub);
        std::fs::create_dir_all(&p).map_err(|source| CommandError::File { path: p, source })?;
    }
    let results = match &opts.out_dir {
        Some(o) => resolved(o).display().to_string(),
        None => format!("{dir}/results"),
    };
    let binary = std::env::current_exe()
        .map_err(|source| CommandError::File {
            path: PathBuf::from("familyflow"),
            source,
        })?
        .display()
        .to_string();
    let _ = writeln!(note, "pilot: running job 1 of {jobs} to size the tasks");
    let started = Instant::now();
    let first = run_job(exp, 0)?;
    let seconds = started.elapsed().as_secs_f64();
    // The merge holds each run's outputs and its monthly series.
    let months = first.base_months.values.len();
    let peak = peak_kib();
    let pilot = Pilot {
        seconds,
        peak_kib: peak.unwrap_or(1 << 20),
    };
    let limits = limits(
        pilot,
        jobs,
        (exp.outputs.len() + FanMeasure::ALL.len() * months) * exp.scenarios(),
        tasks,
        threads,
    );
    let plan = Plan {
        exp,
        experiment: resolved(experiment).display().to_string(),
        binary: sh_quote(&binary),
        dir,
        results,
        report: opts.report,
        tasks,
        running,
        threads,
        pilot,
        limits,
    };
    folder.write(ARRAY_SCRIPT, plan.array_script().as_bytes())?;
    folder.write(MERGE_SCRIPT, plan.merge_script().as_bytes())?;
    folder.write(SUBMIT_SCRIPT, plan.submit_script().as_bytes())?;
    let path = folder.path().to_path_buf();
    folder.commit()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in [ARRAY_SCRIPT, MERGE_SCRIPT, SUBMIT_SCRIPT] {
            let p = path.join(name);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                .map_err(|source| CommandError::File { path: p, source })?;
        }
    }
    let text = format!(
        "familyflow {} — sweep {} as a Slurm array: {jobs} jobs in {tasks} tasks ({running} at once, \
         {threads} thread{} each)\n\
         pilot: {:.2} s a job, peak {} MiB{}; a task: --time={} --mem={}M\n\
         submit: sh {}\n\
         results: {} (familyflow merge, once every task has succeeded)\n",
        crate::VERSION,
        exp.file,
        if threads == 1 { "" } else { "s" },
        pilot.seconds,
        pilot.peak_kib.div_ceil(1024),
        if peak.is_none() {
            " (not measured: no /proc/self/status; 1 GiB assumed)"
        } else {
            ""
        },
        slurm_time(limits.task_seconds),
        limits.task_mb,
        path.join(SUBMIT_SCRIPT).display(),
        plan.results,
    );
    write_stdout(out, text.as_bytes())?;
    let _ = writeln!(
        note,
        "wrote {ARRAY_SCRIPT}, {MERGE_SCRIPT} and {SUBMIT_SCRIPT} in {}",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_times_are_whole_minutes_rounded_up() {
        assert_eq!(slurm_time(1), "00:01:00");
        assert_eq!(slurm_time(3600), "01:00:00");
        assert_eq!(slurm_time(3601), "01:01:00");
        assert_eq!(slurm_time(86_400 + 61), "1-00:02:00");
    }

    #[test]
    fn limits_follow_the_pilot_with_the_stated_factors() {
        let pilot = Pilot {
            seconds: 10.0,
            peak_kib: 300 * 1024,
        };
        // 100 jobs in 10 tasks of 2 threads: 5 waves of 10 s, times 3, plus slack.
        let l = limits(pilot, 100, 4, 10, 2);
        assert_eq!(l.task_seconds, 150 + TIME_SLACK_S);
        // 2 x 300 MiB x 2 threads = 1200, rounded up to 64: 1216.
        assert_eq!(l.task_mb, 1216);
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
