//! `familyflow sweep EXPERIMENT.toml`: the command around
//! [`sweep`](crate::analysis::sweep::sweep): a summary on stdout, the
//! tables and SALib's files under `--out`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::design::{write_matrix, write_param_file};
use crate::analysis::replications::short;
use crate::analysis::sweep::{sweep as run_sweep, Experiment};
use crate::cli::commands::output::{OutDir, Scope};
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

/// What `sweep` was asked to do.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Worker threads (None: every core).
    pub threads: Option<usize>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Folder for the files.
    pub out_dir: Option<PathBuf>,
}

/// `familyflow sweep EXPERIMENT.toml`: runs the design's points, each with
/// the experiment's replications on common random numbers.
pub fn sweep(
    experiment: &Path,
    opts: &SweepOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let exp = Experiment::load(experiment)?;
    let reads: Vec<&Path> = exp.inputs.iter().map(PathBuf::as_path).collect();
    let mut folder = match &opts.out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &reads)?),
        None => None,
    };
    let points = exp.sample.rows.len();
    let runs = points * exp.replications as usize * exp.scenarios();
    let design = exp.design.as_ref().map_or("matrix", |d| d.name());
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
    let means = results.point_means(&exp);
    text.push_str(&format!(
        "\n{:<58} {:>16} {:>17}\n",
        "output", "min over points", "max over points"
    ));
    for (m, key) in exp.outputs.iter().enumerate() {
        let lo = means.iter().map(|r| r[m]).fold(f64::INFINITY, f64::min);
        let hi = means.iter().map(|r| r[m]).fold(f64::NEG_INFINITY, f64::max);
        text.push_str(&format!("{key:<58} {:>16} {:>17}\n", short(lo), short(hi)));
    }
    if let (Some(t), Some((k, n, p, lo, hi))) = (&exp.target, results.target(&exp)) {
        text.push_str(&format!(
            "\ntarget: {}\n  met in {k} of {n} runs: probability {:.3} (95% CI {:.3} to {:.3})\n",
            t.describe(),
            p,
            lo,
            hi
        ));
    }
    for (key, ix) in results.morris(&exp)? {
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
    for (key, s) in results.sobol(&exp)? {
        text.push_str(&format!("\nSobol, {key}: factor, S1 ± conf, ST ± conf\n"));
        for i in s.indices {
            text.push_str(&format!(
                "  {:<56} {:>7.3} ± {:<6.3} {:>7.3} ± {:<6.3}\n",
                i.name, i.s1, i.s1_conf, i.st, i.st_conf
            ));
        }
    }
    write_stdout(out, text.as_bytes())?;

    if let Some(mut dir) = folder.take() {
        let mut f = dir.create(RUNS_CSV)?;
        results
            .write_runs_csv(&exp, &mut f)
            .map_err(|e| CommandError::Failed(format!("cannot write {RUNS_CSV}: {e}")))?;
        dir.finish(f)?;
        dir.write(POINTS_CSV, &results.points_csv(&exp))?;
        let mut written = vec![RUNS_CSV, POINTS_CSV];
        if let Some(csv) = results.indices_csv(&exp)? {
            dir.write(INDICES_CSV, &csv)?;
            written.push(INDICES_CSV);
        }
        if let Some(csv) = results.target_csv(&exp) {
            dir.write(TARGET_CSV, &csv)?;
            written.push(TARGET_CSV);
        }
        dir.write(SALIB_PARAMS, write_param_file(&exp.factors).as_bytes())?;
        dir.write(SALIB_SAMPLES, write_matrix(&exp.sample.rows).as_bytes())?;
        dir.write(SALIB_OUTPUTS, results.salib_outputs(&exp).as_bytes())?;
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
