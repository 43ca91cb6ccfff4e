//! `familyflow compare A B [C …]`: the command around
//! [`compare_inputs`]: its table on stdout, its files under `--out`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::compare::MetricDiff;
use crate::analysis::compare::{
    check, compare_inputs, side_by_side, CompareSpec, Compared, Subject, COMPARE_CSV, COMPARE_JSON,
    COMPARE_REPLICATIONS_CSV, COUNTERFACTUAL_CSV,
};
use crate::analysis::replications::{warm_up_line, SEED_DERIVATION};
use crate::analysis::summary::fixed;
use crate::analysis::text::{in_unit as value, shown_as, Shown};
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
    /// Which metrics the terminal table shows: comma-separated patterns
    /// (`*` any characters; `all` every metric); None, the headline ones.
    pub metrics: Option<String>,
}

/// Writes a comparison's files (`compare.json`, `compare.csv`, `fan.csv`,
/// `compare-replications.csv`, `counterfactual.csv`) into `dir` and
/// commits it; returns its path.
pub fn write_files(
    mut dir: OutDir,
    done: &Compared,
    spec: &CompareSpec,
) -> Result<PathBuf, CommandError> {
    dir.write(COMPARE_JSON, done.to_json(spec).as_bytes())?;
    dir.write(COMPARE_CSV, &done.differences_csv())?;
    if let Some(fans) = &done.fans {
        dir.write(crate::analysis::fan::FAN_CSV, &fans.csv())?;
    }
    // Every run's metrics are written as they are made, not held.
    let mut f = dir.create(COMPARE_REPLICATIONS_CSV)?;
    done.write_runs_csv(&mut f)
        .map_err(|e| CommandError::Failed(format!("cannot write {e}")))?;
    dir.finish(f)?;
    dir.write(COUNTERFACTUAL_CSV, &done.counterfactual_csv())?;
    let path = dir.path().to_path_buf();
    dir.commit()?;
    Ok(path)
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
    let filter = MetricFilter::new(opts.metrics.as_deref())?;
    if !matches!(inputs[0], Subject::Region(_)) {
        filter.check_before_runs(opts.metrics.as_deref().unwrap_or(""))?;
    }
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
    if let (Some(split), Subject::Scenario(first)) = (done.shared_until, &inputs[0]) {
        let _ = writeln!(
            note,
            "the scenarios' parameters agree until {}: each replication after the first ran that part once for them all on the common seed (to a snapshot a week or more before), unless an arrival chain then looked past the date",
            first.scenario.calendar().date(split)
        );
    }
    if let Some(dir) = folder.take() {
        let dir = write_files(dir, &done, spec)?;
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
        "VRF (variance-reduction factor, measured): var(B − A) with B on independent seeds / var(B − A) on common seeds: \
         common random numbers make a difference as precise as about VRF times as many independent replications would \
         (– where a difference has no variance)."
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
            "{:<58}{:>13}{:>13}{:>13}{:>27}{:>9}{:>8}",
            "metric",
            "A mean",
            format!("{letter} mean"),
            "diff",
            "95% CI of diff",
            "diff %",
            "VRF"
        );
        let shown: Vec<&MetricDiff> = c
            .metrics
            .iter()
            .filter(|m| filter.shows(&m.metric))
            .collect();
        if shown.is_empty() {
            return Err(CommandError::Failed(format!(
                "--metrics {}: no metric matches (`familyflow metrics` lists them; `*` matches any characters, `all` every metric)",
                opts.metrics.as_deref().unwrap_or("")
            )));
        }
        for m in &shown {
            let _ = writeln!(o, "{}", metric_row(m));
        }
        let _ = writeln!(
            o,
            "({} of {} metrics{}; every metric and financial year in {COMPARE_CSV} with --out)",
            shown.len(),
            c.metrics.len(),
            if opts.metrics.is_none() {
                ": the headline ones; --metrics all for every one, --metrics 'care.*,*_pence' to choose"
            } else {
                ""
            }
        );

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

/// The headline metrics `compare` shows without `--metrics`: what a
/// modeller asks first (demand, plans, care, spend).
const HEADLINE: [&str; 17] = [
    "referrals.per_10k_children_per_year",
    "referrals.rereferred_within_12_months_pct",
    "family_help.started",
    "family_help.mean_wait_days",
    "child_protection.s47_per_10k_children_per_year",
    "child_protection.plans_started_per_10k_children_per_year",
    "care.entries_per_10k_children_per_year",
    "care.looked_after_per_10k_children",
    "at_end.children_looked_after",
    "care.kinship_share_pct",
    "care.placed_out_of_area_pct",
    "care.at_home_12_months_after_referral_pct",
    "care.placement_spend_pence",
    "budget.family_help_staff.spent_pence",
    "budget.fgdm_coordinators.spent_pence",
    "budget.support_packages.spent_pence",
    "budget.other_staff.spent_pence",
];

/// Which metrics the terminal table shows.
enum MetricFilter {
    /// The headline metrics (and a region's `region.*` figures and each
    /// member's out-of-area share).
    Headline,
    /// Metrics matching any of these patterns.
    Patterns(Vec<String>),
}

impl MetricFilter {
    fn new(spec: Option<&str>) -> Result<MetricFilter, CommandError> {
        let Some(spec) = spec else {
            return Ok(MetricFilter::Headline);
        };
        let patterns: Vec<String> = spec
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p == "all" {
                    "*".to_string()
                } else {
                    p.to_string()
                }
            })
            .collect();
        if patterns.is_empty() {
            return Err(CommandError::Failed(
                "--metrics: give one or more patterns, e.g. 'care.*,*_pence', or all".into(),
            ));
        }
        Ok(MetricFilter::Patterns(patterns))
    }

    /// Refuses, before any run, a pattern that no metric of the data
    /// dictionary can match (financial years from 1990-91 to 2099-00 stand
    /// for the run's); regions' own keys are not in the dictionary.
    fn check_before_runs(&self, spec: &str) -> Result<(), CommandError> {
        let MetricFilter::Patterns(ps) = self else {
            return Ok(());
        };
        let labels: Vec<String> = (1990..2100)
            .map(|y| format!("{y}-{:02}", (y + 1) % 100))
            .collect();
        let years: Vec<&str> = labels.iter().map(String::as_str).collect();
        let keys: Vec<String> = crate::analysis::metric_registry::entries()
            .iter()
            .flat_map(|e| e.keys(&years))
            .collect();
        for p in ps {
            if !keys.iter().any(|k| wildcard(p, k)) {
                return Err(CommandError::Failed(format!(
                    "--metrics {spec}: no metric matches {p:?} (`familyflow metrics` lists them; `*` matches any characters, `all` every metric)"
                )));
            }
        }
        Ok(())
    }

    fn shows(&self, key: &str) -> bool {
        match self {
            MetricFilter::Headline => {
                HEADLINE.contains(&key)
                    || (key.starts_with("region.") && !key.contains(".spend_by_placement_pence."))
                    || (key.starts_with("member.") && key.ends_with(".placed_out_of_area_pct"))
            }
            MetricFilter::Patterns(ps) => ps.iter().any(|p| wildcard(p, key)),
        }
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// One line of the terminal table.
fn metric_row(m: &MetricDiff) -> String {
    let shown = shown_as(&m.metric);
    let ci = format!(
        "{} to {}",
        value(m.diff.ci95_low, shown, true),
        value(m.diff.ci95_high, shown, true)
    );
    let relative = if shown == Shown::Percent || m.mean_a == 0.0 || !m.mean_a.is_finite() {
        "–".to_string()
    } else {
        format!("{:+.1}%", 100.0 * m.diff.mean / m.mean_a.abs())
    };
    let vrf = if m.variance_reduction_factor.is_finite() {
        fixed(m.variance_reduction_factor, 1)
    } else {
        "–".to_string()
    };
    format!(
        "{:<58}{:>13}{:>13}{:>13}{:>27}{:>9}{:>8}",
        m.metric,
        value(m.mean_a, shown, false),
        value(m.mean_b, shown, false),
        value(m.diff.mean, shown, true),
        ci,
        relative,
        vrf
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::metric_registry::lookup;

    #[test]
    fn wildcards_match_as_a_shell_does() {
        assert!(wildcard("care.*", "care.entries_per_10k_children_per_year"));
        assert!(wildcard("*_pence", "budget.placements.spent_pence"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("care.*.residential", "care.entries.residential"));
        assert!(wildcard("events", "events"));
        assert!(!wildcard("events", "events.x"));
        assert!(!wildcard("care.*", "budget.care"));
        assert!(!wildcard("*_pct", "care.pct_x"));
        assert!(!wildcard("a*a", "a"));
    }

    #[test]
    fn the_headline_holds_keys_the_registry_knows() {
        for key in HEADLINE {
            assert!(lookup(key).is_some(), "{key}");
        }
    }
}
