//! `familyflow compare A B [C …]`: the command around
//! [`compare_inputs`]: its table on stdout, its files under `--out`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::compare::{
    check, compare_inputs, side_by_side, CompareSpec, Subject, COMPARE_CSV, COMPARE_JSON,
    COMPARE_REPLICATIONS_CSV, COUNTERFACTUAL_CSV,
};
use crate::analysis::replications::{ci_text, on_terminal, short, warm_up_line, SEED_DERIVATION};
use crate::cli::commands::output::{OutDir, Scope};
use crate::cli::commands::{write_stdout, CommandError};
use crate::cli::progress::Terminal;
use crate::model::event::FamilyId;
use crate::model::input::ScenarioInput;

/// What `compare` was asked to do.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// The comparison.
    pub spec: CompareSpec,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    /// Folder for CSV and JSON.
    pub out_dir: Option<PathBuf>,
}

/// `familyflow compare A B [C …]`: every scenario on the same seeds; paired
/// differences of each later scenario against the first, the measured
/// variance reduction, and a family-by-family counterfactual.
pub fn compare(
    scenarios: &[PathBuf],
    opts: &CompareOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let spec = &opts.spec;
    let inputs = scenarios
        .iter()
        .map(|p| Subject::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    // Refused before the folder is made when it would need too much memory.
    check(&inputs, spec)?;
    // Locked before the runs, so that a second writer is refused at once.
    let mut folder = match &opts.out_dir {
        Some(dir) => {
            let read: Vec<&std::path::Path> = scenarios.iter().map(PathBuf::as_path).collect();
            Some(OutDir::open(dir, Scope::Results, &read)?)
        }
        None => None,
    };
    let started = Instant::now();
    let done = compare_inputs(&inputs, spec, &Terminal::new(opts.progress))?;
    let k = inputs.len();
    let r = spec.replications;
    let _ = writeln!(
        note,
        "ran {} runs ({} scenarios x {} replications, and {} independent) in {:.2} s on {} threads",
        done.runs,
        k,
        r,
        (k - 1) * r as usize,
        started.elapsed().as_secs_f64(),
        done.threads
    );
    if let Some(mut dir) = folder.take() {
        dir.write(COMPARE_JSON, done.to_json(spec).as_bytes())?;
        dir.write(COMPARE_CSV, &done.differences_csv())?;
        // Every run's metrics are written as they are made, not held.
        let mut f = dir.create(COMPARE_REPLICATIONS_CSV)?;
        done.write_runs_csv(&mut f)
            .map_err(|e| CommandError::Failed(format!("cannot write {e}")))?;
        dir.finish(f)?;
        dir.write(COUNTERFACTUAL_CSV, &done.counterfactual_csv())?;
        let dir = {
            let path = dir.path().to_path_buf();
            dir.commit()?;
            path
        };
        let _ = writeln!(
            note,
            "wrote {}, {}, {} and {}",
            dir.join(COMPARE_CSV).display(),
            dir.join(COMPARE_JSON).display(),
            dir.join(COMPARE_REPLICATIONS_CSV).display(),
            dir.join(COUNTERFACTUAL_CSV).display()
        );
    }

    let mut o = String::new();
    let _ = writeln!(
        o,
        "familyflow {} — compare, {} replications, base seed {}",
        crate::VERSION,
        r,
        spec.seed
    );
    for (i, input) in inputs.iter().enumerate() {
        let letter = (b'A' + (i.min(25)) as u8) as char;
        let _ = writeln!(o, "  {letter}: {} — {}", input.source(), input.name());
    }
    if let Subject::Region(r) = &inputs[0] {
        let names: Vec<String> = r
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{} {}", i + 1, m.scenario.name))
            .collect();
        let _ = writeln!(
            o,
            "Members (member.N.*): {}; region.* is all of them, with the co-operative's running cost.",
            names.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "Common random numbers: replication i of every scenario has the same seed; {SEED_DERIVATION}."
    );
    let _ = writeln!(
        o,
        "VRF (variance-reduction factor, measured): var(B − A) with B on independent seeds / var(B − A) on common seeds."
    );
    if let (Some(w), Subject::Scenario(first)) = (&spec.warm_up, &inputs[0]) {
        let _ = writeln!(o, "{}", warm_up_line(w, first));
    }
    for (ci, c) in done.comparisons.iter().enumerate() {
        let letter = (b'A' + ((ci + 1).min(25)) as u8) as char;
        let _ = writeln!(o);
        let _ = writeln!(o, "{letter} − A: {} against {}", c.b, c.a);
        let _ = writeln!(
            o,
            "{:<58}{:>12}{:>12}{:>12}{:>25}{:>9}",
            "metric",
            "A mean",
            format!("{letter} mean"),
            "diff",
            "95% CI of diff",
            "VRF"
        );
        for m in &c.metrics {
            if !on_terminal(&m.metric) {
                continue;
            }
            let _ = writeln!(
                o,
                "{:<58}{:>12}{:>12}{:>12}{:>25}{:>9}",
                m.metric,
                short(m.mean_a),
                short(m.mean_b),
                short(m.diff.mean),
                ci_text(m.diff.ci95_low, m.diff.ci95_high),
                short(m.variance_reduction_factor)
            );
        }
        let _ = writeln!(o, "(by financial year: in {COMPARE_CSV} with --out)");
        if let Some(families) = &c.families {
            let _ = writeln!(
                o,
                "\nFamily by family, {letter} against A: first replication only (seed {}), streamed (each family reduced to its milestones and a hash of its events)",
                families.seed
            );
            families.to_text(&mut o);
        }
    }
    let scenarios: Vec<&ScenarioInput> = inputs
        .iter()
        .filter_map(|i| match i {
            Subject::Scenario(s) => Some(&**s),
            Subject::Region(_) => None,
        })
        .collect();
    if let (Some(id), Some(first)) = (spec.family.map(FamilyId), scenarios.first()) {
        let inputs = &scenarios;
        let cal_a = first.scenario.calendar();
        for (b, input) in inputs.iter().enumerate().skip(1) {
            let _ = writeln!(o);
            let _ = writeln!(o, "First replication (seed {})", done.seed0);
            o.push_str(&side_by_side(
                id,
                &cal_a,
                &done.kept[0],
                &input.scenario.calendar(),
                &done.kept[b],
                (&inputs[0].source, &input.source),
            ));
        }
    }
    write_stdout(out, o.as_bytes())?;
    Ok(())
}
