//! `familyflow run SCENARIO --replications R`: the command around
//! [`replicate`]: its table on stdout, its files under `--out`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::replications::{
    check, ci_text, on_terminal, replicate, short, warm_up_line, ReplicationSpec, Replications,
    REPLICATIONS_CSV, REPLICATIONS_JSON, SEED_DERIVATION, SUMMARY_STATS_CSV,
};
use crate::cli::commands::output::{OutDir, Scope};
use crate::cli::commands::{write_stdout, CommandError};
use crate::cli::progress::Terminal;
use crate::model::input::ScenarioInput;

/// What `run --replications` was asked to do.
#[derive(Clone, Debug)]
pub struct ReplicationOptions {
    /// The replications.
    pub spec: ReplicationSpec,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    /// Folder for the CSV and JSON files.
    pub out_dir: Option<PathBuf>,
    /// Print JSON instead of the table.
    pub json: bool,
}

/// `familyflow run SCENARIO --replications R`: runs R replications in
/// parallel and prints, per metric, mean, standard deviation, 95% CI, min and max.
pub fn run_replications(
    scenario: Option<&Path>,
    opts: &ReplicationOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let spec = &opts.spec;
    if let Some(p) = scenario {
        crate::cli::commands::refuse_region(p, "run --replications")?;
    }
    let input = match scenario {
        Some(p) => ScenarioInput::load(p)?,
        None => ScenarioInput::builtin(),
    };
    // Refused before the folder is made when it would need too much memory.
    check(&input, spec)?;
    // Locked before the runs, so that a second writer is refused at once.
    let mut folder = match &opts.out_dir {
        Some(dir) => Some(OutDir::open(
            dir,
            Scope::Results,
            &scenario.into_iter().collect::<Vec<_>>(),
        )?),
        None => None,
    };
    let started = Instant::now();
    let done = replicate(&input, spec, &Terminal::new(opts.progress))?;
    let _ = writeln!(
        note,
        "ran {} replications in {:.2} s on {} threads",
        spec.replications,
        started.elapsed().as_secs_f64(),
        done.threads
    );
    if let Some(dir) = folder.take() {
        let dir = write_files(dir, &done, &input, spec)?;
        let _ = writeln!(
            note,
            "wrote {}, {} and {}",
            dir.join(REPLICATIONS_CSV).display(),
            dir.join(REPLICATIONS_JSON).display(),
            dir.join(SUMMARY_STATS_CSV).display()
        );
    }
    if opts.json {
        let mut w = std::io::BufWriter::new(out);
        return done
            .write_json(&input, spec, &mut w)
            .and_then(|()| w.flush())
            .map_err(|source| CommandError::File {
                path: PathBuf::from("<stdout>"),
                source,
            });
    }
    let text = {
        let mut o = String::new();
        let _ = writeln!(o, "familyflow {} — {}", crate::VERSION, input.scenario.name);
        let _ = writeln!(
            o,
            "{} replications · base seed {} · {}",
            spec.replications, spec.seed, SEED_DERIVATION
        );
        if let Some(w) = &spec.warm_up {
            let _ = writeln!(o, "{}", warm_up_line(w, &input));
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<58}{:>12}{:>11}{:>25}{:>12}{:>12}",
            "metric", "mean", "sd", "95% CI", "min", "max"
        );
        for (m, s) in &done.stats {
            if !on_terminal(m) {
                continue;
            }
            let _ = writeln!(
                o,
                "{:<58}{:>12}{:>11}{:>25}{:>12}{:>12}",
                m,
                short(s.mean),
                short(s.sd),
                ci_text(s.ci95_low, s.ci95_high),
                short(s.min),
                short(s.max)
            );
        }
        let _ = writeln!(
            o,
            "\n(by financial year: in {} and {} with --out)",
            REPLICATIONS_CSV, SUMMARY_STATS_CSV
        );
        o
    };
    write_stdout(out, text.as_bytes())
}

/// Writes replications' files (`replications.csv`, `replications.json`,
/// `summary-stats.csv`) into `dir` and commits it; returns its path.
pub fn write_files(
    mut dir: OutDir,
    done: &Replications,
    input: &ScenarioInput,
    spec: &ReplicationSpec,
) -> Result<PathBuf, CommandError> {
    // The files with every run are written as they are made, not held.
    let mut f = dir.create(REPLICATIONS_CSV)?;
    done.write_runs_csv(&mut f).map_err(failed)?;
    dir.finish(f)?;
    let mut f = dir.create(REPLICATIONS_JSON)?;
    done.write_json(input, spec, &mut f).map_err(failed)?;
    dir.finish(f)?;
    dir.write(SUMMARY_STATS_CSV, &done.stats_csv())?;
    let path = dir.path().to_path_buf();
    dir.commit()?;
    Ok(path)
}

/// A file's write error (the error names the file).
fn failed(e: std::io::Error) -> CommandError {
    CommandError::Failed(format!("cannot write {e}"))
}
