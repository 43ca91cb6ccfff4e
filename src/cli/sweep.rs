//! `familyflow sweep EXPERIMENT.toml`: the command around
//! [`sweep`](crate::analysis::sweep::sweep): a summary on stdout, the
//! tables and SALib's files under `--out`. With `--shard I/N` it runs one
//! share of the jobs into a shard folder ([`crate::analysis::shard`]);
//! `familyflow merge` turns a whole set of shards into the files a
//! single-machine sweep writes; `--slurm DIR` writes Slurm scripts that do
//! both ([`crate::cli::slurm`]). The environment (Slurm's and Kubernetes'
//! task numbers) is read here, never in `analysis`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::design::{write_matrix, write_param_file, Design};
use crate::analysis::fan::Fans;
use crate::analysis::replications::{short, worker_threads};
use crate::analysis::report;
use crate::analysis::shard::{self, Manifest, Shard};
use crate::analysis::sweep::{run_jobs, sweep as run_sweep, Experiment, Sharing, SweepResults};
use crate::cli::commands::output::{resolved, OutDir, Scope};
use crate::cli::commands::{write_stdout, CommandError};
use crate::cli::progress::Terminal;

/// The tidy table: one row per point x replication x output.
pub const RUNS_CSV: &str = "sweep-runs.csv";
/// Per point and output: statistics over replications.
pub const POINTS_CSV: &str = "sweep-points.csv";
/// Morris or Sobol indices per output.
pub const INDICES_CSV: &str = "sweep-indices.csv";
/// The probability of meeting the experiment's target.
pub const TARGET_CSV: &str = "sweep-target.csv";
/// SALib's parameter file.
pub const SALIB_PARAMS: &str = "salib/params.txt";
/// SALib's sample matrix (one row per design point).
pub const SALIB_SAMPLES: &str = "salib/samples.txt";
/// The outputs, one row per design point, one column per output.
pub const SALIB_OUTPUTS: &str = "salib/outputs.txt";
/// The fan charts' data: per scenario, measure and month, the deciles
/// across every point and replication (the layout of compare's `fan.csv`).
pub const FAN_CSV: &str = "sweep-fan.csv";
/// With `--report`: the fan charts as a page.
pub const REPORT: &str = "report.html";

/// What `sweep` was asked to do.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Worker threads (None: every core).
    pub threads: Option<usize>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Folder for the files.
    pub out_dir: Option<PathBuf>,
    /// `--shard`: `I/N`, `auto` or `auto/N` (see [`shard_from_env`]).
    pub shard: Option<String>,
    /// `--slurm DIR`: write Slurm scripts there instead of running.
    pub slurm: Option<crate::cli::slurm::SlurmOptions>,
    /// `--report`: also write [`REPORT`] (with `--slurm`, the merge does).
    pub report: bool,
}

/// The shard `--shard SPEC` names. `I/N`: shard I of N (from 1). `auto`:
/// from the environment `env` reads — a Slurm array task
/// (`SLURM_ARRAY_TASK_ID`, less `SLURM_ARRAY_TASK_MIN`, plus 1, of
/// `SLURM_ARRAY_TASK_COUNT`, so an array `0-7` or `1-8` is shards 1..8 of
/// 8) or a Kubernetes indexed job (`JOB_COMPLETION_INDEX`, from 0, plus 1,
/// of `FAMILYFLOW_SHARDS`). `auto/N`: N given, and the task's own number
/// is the shard (`SLURM_ARRAY_TASK_ID` as it is, so an array `1-N`
/// resubmitted as `--array=3` re-runs shard 3; or `JOB_COMPLETION_INDEX`
/// plus 1).
pub fn shard_from_env(
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, CommandError> {
    let failed = |m: String| CommandError::Failed(format!("--shard {spec}: {m}"));
    let (auto, count) = match spec.trim().split_once('/') {
        Some(("auto", n)) => (true, Some(n)),
        None if spec.trim() == "auto" => (true, None),
        _ => (false, None),
    };
    if !auto {
        return Shard::parse(spec).map_err(CommandError::Failed);
    }
    let number = |name: &str| -> Result<Option<usize>, CommandError> {
        match env(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map(Some)
                .map_err(|_| failed(format!("{name}={v:?} is not a whole number"))),
        }
    };
    let given = count
        .map(|n| {
            n.trim()
                .parse::<usize>()
                .map_err(|_| failed(format!("{n:?} is not a number of shards")))
        })
        .transpose()?;
    let (index, count) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        match given {
            Some(n) => (id, n),
            None => {
                let min = number("SLURM_ARRAY_TASK_MIN")?.ok_or_else(|| {
                    failed("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not".into())
                })?;
                let n = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                    failed("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into())
                })?;
                let i = id.checked_sub(min).ok_or_else(|| {
                    failed(format!(
                        "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                    ))
                })?;
                (i + 1, n)
            }
        }
    } else if let Some(k) = number("JOB_COMPLETION_INDEX")? {
        let n = match given {
            Some(n) => n,
            None => number("FAMILYFLOW_SHARDS")?.ok_or_else(|| {
                failed(
                    "JOB_COMPLETION_INDEX is set: give the number of shards as \
                     --shard auto/N or FAMILYFLOW_SHARDS"
                        .into(),
                )
            })?,
        };
        (k + 1, n)
    } else {
        return Err(failed(
            "neither SLURM_ARRAY_TASK_ID (a Slurm array task) nor JOB_COMPLETION_INDEX \
             (a Kubernetes indexed job) is set"
                .into(),
        ));
    };
    Shard::new(index, count).map_err(failed)
}

/// `familyflow sweep EXPERIMENT.toml`: runs the design's points, each with
/// the experiment's replications on common random numbers (or one shard of
/// them, or writes Slurm scripts).
pub fn sweep(
    experiment: &Path,
    opts: &SweepOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let exp = Experiment::load(experiment)?;
    if let Some(slurm) = &opts.slurm {
        return crate::cli::slurm::write_scripts(&exp, experiment, opts, slurm, out, note);
    }
    if let Some(spec) = &opts.shard {
        let shard = shard_from_env(spec, &|name| std::env::var(name).ok())?;
        return run_shard(&exp, experiment, shard, opts, out, note);
    }
    let reads: Vec<&Path> = exp.inputs.iter().map(PathBuf::as_path).collect();
    let folder = match &opts.out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &reads)?),
        None => None,
    };
    let points = exp.sample.rows.len();
    let runs = points * exp.replications as usize * exp.scenarios();
    let started = Instant::now();
    let results = run_sweep(&exp, opts.threads, &Terminal::new(opts.progress))?;
    let _ = writeln!(
        note,
        "ran {runs} runs ({points} points x {} replications{}) in {:.2} s on {} threads",
        exp.replications,
        if exp.compare.is_some() {
            " x 2 scenarios"
        } else {
            ""
        },
        started.elapsed().as_secs_f64(),
        results.threads
    );
    note_shared(results.sharing.as_ref(), note);
    write_results(&exp, &results, folder, opts.report, out, note)
}

/// Tells how the sweep's runs shared their common beginnings.
fn note_shared(sharing: Option<&Sharing>, note: &mut dyn Write) {
    let Some(sharing) = sharing else {
        return;
    };
    let points = sharing.until.len();
    let dates: Vec<_> = sharing.until.iter().flatten().collect();
    let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) else {
        return;
    };
    let _ = if sharing.one_base.is_some() {
        writeln!(
            note,
            "every factor applies to the comparison alone, and at every point it parts from the scenario on {first}: each replication ran the scenario once for all {points} points and branched each point's comparison from its snapshot (a week or more before), unless an arrival chain then looked past the date"
        )
    } else {
        let when = if first == last {
            format!("{first}")
        } else {
            format!("a date from {first} to {last}")
        };
        writeln!(
            note,
            "at {} of {points} points the scenario and its comparison agree until {when}: each job ran that part once for both (to a snapshot a week or more before), unless an arrival chain then looked past the date",
            dates.len()
        )
    };
}

/// `sweep --shard I/N`: runs the shard's jobs and writes its folder
/// (`shard.json`, `shard-runs.csv`).
fn run_shard(
    exp: &Experiment,
    experiment: &Path,
    shard: Shard,
    opts: &SweepOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let Some(dir) = &opts.out_dir else {
        return Err(CommandError::Failed(
            "--shard needs --out DIR: the shard's folder, for familyflow merge".into(),
        ));
    };
    let reads: Vec<&Path> = exp.inputs.iter().map(PathBuf::as_path).collect();
    let mut folder = OutDir::open(dir, Scope::Results, &reads)?;
    let mut manifest = Manifest::new(exp, &resolved(experiment).display().to_string(), shard);
    let jobs: Vec<usize> = manifest.jobs.iter().map(|j| j - 1).collect();
    let threads = worker_threads(opts.threads)?;
    let started = Instant::now();
    let outputs = run_jobs(exp, &jobs, threads, &Terminal::new(opts.progress))?;
    let _ = writeln!(
        note,
        "shard {shard}: ran {} jobs of {} in {:.2} s on {} threads",
        jobs.len(),
        exp.jobs(),
        started.elapsed().as_secs_f64(),
        threads.min(jobs.len().max(1))
    );
    let mut f = folder.create(shard::RESULTS)?;
    shard::write_results(exp, &manifest.jobs, &outputs, &mut f)
        .map_err(|e| CommandError::Failed(format!("cannot write {}: {e}", shard::RESULTS)))?;
    folder.finish(f)?;
    let mut f = folder.create(shard::MONTHS)?;
    shard::write_months(exp, &manifest.jobs, &outputs, &mut f)
        .map_err(|e| CommandError::Failed(format!("cannot write {}: {e}", shard::MONTHS)))?;
    folder.finish(f)?;
    manifest.count_months(&outputs);
    folder.write(shard::MANIFEST, manifest.to_json().as_bytes())?;
    let path = folder.path().to_path_buf();
    folder.commit()?;
    let text = format!(
        "familyflow {} — sweep {}, shard {shard}: {} of {} jobs (points x replications), \
         experiment hash {}\n",
        crate::VERSION,
        exp.file,
        jobs.len(),
        exp.jobs(),
        exp.digest
    );
    write_stdout(out, text.as_bytes())?;
    let _ = writeln!(
        note,
        "wrote {}, {} and {} in {}",
        shard::MANIFEST,
        shard::RESULTS,
        shard::MONTHS,
        path.display()
    );
    Ok(())
}

/// `familyflow merge SHARD_DIR… --out DIR`: a whole set of shards into the
/// files (and the summary) `sweep` writes on one machine, byte for byte.
/// The experiment is read from where the shards' manifest names it, or
/// from `experiment`; it must be the one the shards ran (its hash).
pub fn merge(
    shards: &[PathBuf],
    experiment: Option<&Path>,
    out_dir: &Path,
    report: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| CommandError::File {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut manifests = Vec::with_capacity(shards.len());
    for dir in shards {
        let file = dir.join(shard::MANIFEST);
        let m = Manifest::from_json(&read(&file)?, &file.display().to_string())?;
        manifests.push((dir.display().to_string(), m));
    }
    shard::check_set(&manifests)?;
    let from_manifest = PathBuf::from(&manifests[0].1.experiment);
    let experiment = experiment.unwrap_or(&from_manifest);
    let exp = Experiment::load(experiment)?;
    let mut reads: Vec<PathBuf> = exp.inputs.clone();
    for dir in shards {
        reads.push(dir.join(shard::MANIFEST));
        reads.push(dir.join(shard::RESULTS));
        reads.push(dir.join(shard::MONTHS));
    }
    let reads: Vec<&Path> = reads.iter().map(PathBuf::as_path).collect();
    let folder = OutDir::open(out_dir, Scope::Results, &reads)?;
    let mut all = Vec::with_capacity(shards.len());
    for ((dir, m), path) in manifests.into_iter().zip(shards) {
        let text = read(&path.join(shard::RESULTS))?;
        let months = read(&path.join(shard::MONTHS))?;
        all.push((dir, m, text, months));
    }
    let results = shard::merge(&exp, &all)?;
    drop(all);
    let _ = writeln!(
        note,
        "merged {} shards of {} ({} jobs)",
        shards.len(),
        exp.file,
        exp.jobs()
    );
    write_results(&exp, &results, Some(folder), report, out, note)
}

/// The sweep's page: what was run, the target, and the fan charts.
fn sweep_report(exp: &Experiment, results: &SweepResults, fans: &Fans) -> String {
    let points = exp.sample.rows.len();
    let design = exp.design.as_ref().map_or("matrix", |d| d.name());
    let mut meta = vec![
        format!(
            "{design} design: {points} points x {} replications, seed {}; familyflow {}",
            exp.replications,
            exp.seed,
            crate::VERSION
        ),
        format!("scenario: {}", exp.scenario.given),
    ];
    if let Some(c) = &exp.compare {
        meta.push(format!("compare: {}", c.given));
    }
    let factors: Vec<&str> = exp.factors.iter().map(|f| f.name.as_str()).collect();
    meta.push(format!("factors: {}", factors.join(", ")));
    if let (Some(t), Some((k, n, p, lo, hi))) = (&exp.target, results.target(exp)) {
        meta.push(format!(
            "target {}: met in {k} of {n} runs, probability {p:.3} (95% CI {lo:.3} to {hi:.3})",
            t.describe()
        ));
    }
    let title = if exp.name.is_empty() {
        let file = Path::new(&exp.file).file_name().unwrap_or_default();
        format!("Sweep {}", file.to_string_lossy())
    } else {
        exp.name.clone()
    };
    let note = format!(
        "Per month, each scenario's median (line), middle 40% (30th to 70th percentile, dark band) \
         and middle 80% (10th to 90th, light band) across all {} runs: {points} design points x {} \
         replications, so the bands hold both what the factors leave uncertain and the model's own \
         randomness (replication r of every point on the same seed).",
        points * exp.replications as usize,
        exp.replications
    );
    report::sweep_html(&title, &meta, &report::FanView::of(fans), &note)
}

/// The summary on stdout and the files under `folder`, from a sweep's
/// results: the one writer of both a single-machine sweep and a merge.
fn write_results(
    exp: &Experiment,
    results: &SweepResults,
    folder: Option<OutDir>,
    report: bool,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let points = exp.sample.rows.len();
    let design = exp.design.as_ref().map_or("matrix", |d| d.name());
    let mut text = format!(
        "familyflow {} — sweep {}\n{design} design: {points} points x {} replications, seed {}, \
         common random numbers (replication r of every point on the same seed)\n",
        crate::VERSION,
        if exp.name.is_empty() {
            &exp.file
        } else {
            &exp.name
        },
        exp.replications,
        exp.seed
    );
    text.push_str(&format!("scenario: {}\n", exp.scenario.source));
    if let Some(c) = &exp.compare {
        text.push_str(&format!(
            "compare: {} (outputs analysed as compare − scenario, paired)\n",
            c.source
        ));
    }
    // Spread of the analysed output over points (mean of replications).
    let means = results.point_means(exp);
    text.push_str(&format!(
        "\n{:<58} {:>16} {:>17}\n",
        "output", "min over points", "max over points"
    ));
    for (m, key) in exp.outputs.iter().enumerate() {
        let lo = means.iter().map(|r| r[m]).fold(f64::INFINITY, f64::min);
        let hi = means.iter().map(|r| r[m]).fold(f64::NEG_INFINITY, f64::max);
        text.push_str(&format!("{key:<58} {:>16} {:>17}\n", short(lo), short(hi)));
    }
    if let (Some(t), Some((k, n, p, lo, hi))) = (&exp.target, results.target(exp)) {
        text.push_str(&format!(
            "\ntarget: {}\n  met in {k} of {n} runs: probability {:.3} (95% CI {:.3} to {:.3})\n",
            t.describe(),
            p,
            lo,
            hi
        ));
    }
    for (key, ix) in results.morris(exp)? {
        text.push_str(&format!("\nMorris, {key}: factor, mu*, mu, sigma\n"));
        for i in ix {
            text.push_str(&format!(
                "  {:<56} {:>10} {:>10} {:>10}\n",
                i.name,
                short(i.mu_star),
                short(i.mu),
                short(i.sigma)
            ));
        }
    }
    for (key, g) in results.regression(exp)? {
        text.push_str(&format!(
            "\nStandardised regression coefficients, {key} (R² {:.3}): factor, SRC ± conf\n",
            g.r2
        ));
        for i in g.indices {
            text.push_str(&format!(
                "  {:<56} {:>7.3} ± {:<6.3}\n",
                i.name, i.src, i.src_conf
            ));
        }
    }
    if matches!(exp.design, Some(Design::LatinHypercube { .. }))
        && !crate::analysis::sweep::regression_possible(exp)
    {
        text.push_str(&format!(
            "\nno regression coefficients: {points} points are too few for {} factors\n",
            exp.sample.names.len()
        ));
    }
    for (key, s) in results.sobol(exp)? {
        text.push_str(&format!("\nSobol, {key}: factor, S1 ± conf, ST ± conf\n"));
        for i in s.indices {
            text.push_str(&format!(
                "  {:<56} {:>7.3} ± {:<6.3} {:>7.3} ± {:<6.3}\n",
                i.name, i.s1, i.s1_conf, i.st, i.st_conf
            ));
        }
    }
    write_stdout(out, text.as_bytes())?;

    if let Some(mut dir) = folder {
        let mut f = dir.create(RUNS_CSV)?;
        results
            .write_runs_csv(exp, &mut f)
            .map_err(|e| CommandError::Failed(format!("cannot write {RUNS_CSV}: {e}")))?;
        dir.finish(f)?;
        dir.write(POINTS_CSV, &results.points_csv(exp))?;
        let mut written = vec![RUNS_CSV, POINTS_CSV];
        if let Some(csv) = results.indices_csv(exp)? {
            dir.write(INDICES_CSV, &csv)?;
            written.push(INDICES_CSV);
        }
        if let Some(csv) = results.target_csv(exp) {
            dir.write(TARGET_CSV, &csv)?;
            written.push(TARGET_CSV);
        }
        dir.write(SALIB_PARAMS, write_param_file(&exp.factors).as_bytes())?;
        dir.write(SALIB_SAMPLES, write_matrix(&exp.sample.rows).as_bytes())?;
        dir.write(SALIB_OUTPUTS, results.salib_outputs(exp).as_bytes())?;
        let fans = results.fans(exp);
        dir.write(FAN_CSV, &fans.csv())?;
        written.push(FAN_CSV);
        if report {
            dir.write(REPORT, sweep_report(exp, results, &fans).as_bytes())?;
            written.push(REPORT);
        }
        let path = dir.path().to_path_buf();
        dir.commit()?;
        let _ = writeln!(
            note,
            "wrote {} and salib/ (params.txt, samples.txt, outputs.txt) in {}",
            written.join(", "),
            path.display()
        );
    }
    Ok(())
}
