//! Sweeps: a scenario (and optionally a comparison scenario) run at every
//! point of an experiment design, each point with the same replications.
//!
//! An experiment file (TOML) names the base scenario, the factors (scenario
//! fields by their `--set` keys, with a distribution or levels), the
//! design, replications per point, the seed, the outputs (metric keys, as
//! `familyflow metrics` lists them, per financial year with
//! `by_financial_year.YYYY-YY.…`) and optionally a target. Each point is
//! the scenario with the factors' values set as `--set` sets them
//! ([`crate::model::overrides`]).
//!
//! Common random numbers: replication r of every point (and of the
//! comparison scenario at that point) runs on the same seed,
//! [`replication_seed`]`(seed, r)`, so differences between points and
//! between scenarios are paired. Jobs (point x replication) run on worker
//! threads and are folded in job order, so every output is the same for
//! any number of threads.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::design::{self, Design, Distribution, Factor, Sample};
use crate::analysis::fan::{self, Fans, MonthlySeries};
use crate::analysis::replications::{
    csv_num, fold_jobs, metrics, replication_seed, to_csv, worker_threads, CsvOut, Stats,
};
use crate::analysis::sensitivity::{self, MorrisIndex, Regression, Sobol};
use crate::analysis::snapshot::{run_sharing, run_sharing_each, shared_until};
use crate::analysis::summary::Summary;
use crate::analysis::{run, AnalysisError, Progress};
use crate::model::calendar::{CivilDate, Minute};
use crate::model::input::ScenarioInput;
use crate::model::overrides::{self, Override};
use crate::model::scenario::{read_text_capped, read_text_file, size_forced};

/// The most runs (points x replications x scenarios) one sweep may ask for.
pub const MAX_RUNS: usize = 10_000_000;
/// The most outputs one sweep may name.
pub const MAX_OUTPUTS: usize = 1_000;
/// The most numbers a sweep holds (runs x outputs): 400 MB of results.
pub const MAX_VALUES: usize = 50_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    #[serde(default)]
    name: String,
    scenario: String,
    compare: Option<String>,
    #[serde(default = "one")]
    seed: u64,
    replications: u32,
    outputs: Vec<String>,
    parameters: Option<String>,
    design: DesignFile,
    #[serde(default)]
    factor: Vec<FactorFile>,
    target: Option<TargetFile>,
}

fn one() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignFile {
    kind: String,
    points: Option<usize>,
    levels: Option<usize>,
    trajectories: Option<usize>,
    n: Option<usize>,
    #[serde(default)]
    second_order: bool,
    #[serde(default)]
    skip: usize,
    matrix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorFile {
    key: String,
    dist: Option<String>,
    lower: Option<f64>,
    upper: Option<f64>,
    peak: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    ln_mean: Option<f64>,
    ln_sd: Option<f64>,
    levels: Option<Vec<f64>>,
    base: Option<f64>,
    #[serde(default)]
    integer: bool,
    #[serde(default)]
    applies_to: AppliesTo,
}

/// Which scenarios a factor changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    /// The base scenario and the comparison scenario.
    #[default]
    Both,
    /// Only the base scenario.
    Scenario,
    /// Only the comparison scenario.
    Compare,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    metric: String,
    at_most: Option<f64>,
    at_least: Option<f64>,
    relative_change_at_most: Option<f64>,
    relative_change_at_least: Option<f64>,
}

/// A target a run meets or not.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The metric.
    pub metric: String,
    /// What it must do.
    pub condition: Condition,
}

/// A target's condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Condition {
    /// The value (the comparison scenario's, if any) is at most this.
    AtMost(f64),
    /// The value is at least this.
    AtLeast(f64),
    /// (comparison − base) / base is at most this (−0.05: falls by 5% or more).
    RelativeChangeAtMost(f64),
    /// (comparison − base) / base is at least this.
    RelativeChangeAtLeast(f64),
}

impl Target {
    /// Whether a run with `value` (and `baseline`, the base scenario's
    /// value, with a comparison) meets the target.
    pub fn met(&self, value: f64, baseline: Option<f64>) -> bool {
        match (self.condition, baseline) {
            (Condition::AtMost(x), _) => value <= x,
            (Condition::AtLeast(x), _) => value >= x,
            (Condition::RelativeChangeAtMost(x), Some(b)) => b != 0.0 && (value - b) / b <= x,
            (Condition::RelativeChangeAtLeast(x), Some(b)) => b != 0.0 && (value - b) / b >= x,
            _ => false,
        }
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        match self.condition {
            Condition::AtMost(x) => format!("{} <= {x}", self.metric),
            Condition::AtLeast(x) => format!("{} >= {x}", self.metric),
            Condition::RelativeChangeAtMost(x) => {
                format!("{}: (compare - scenario) / scenario <= {x}", self.metric)
            }
            Condition::RelativeChangeAtLeast(x) => {
                format!("{}: (compare - scenario) / scenario >= {x}", self.metric)
            }
        }
    }
}

/// A scenario as a sweep runs it: its effective text, changed at each point.
#[derive(Clone, Debug)]
pub struct Base {
    /// Where it came from.
    pub source: String,
    /// Its path as the experiment file gives it (relative to the
    /// experiment), the same wherever the experiment is read from.
    pub given: String,
    /// Its effective text (extends followed).
    pub text: String,
}

/// An experiment, read and checked.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The experiment file.
    pub file: String,
    /// Its name.
    pub name: String,
    /// The base scenario.
    pub scenario: Base,
    /// The comparison scenario, if any.
    pub compare: Option<Base>,
    /// The factors, in column order.
    pub factors: Vec<Factor>,
    /// Per factor: its value is written as a whole number.
    pub integer: Vec<bool>,
    /// Per factor: which scenarios it changes.
    pub applies_to: Vec<AppliesTo>,
    /// The design (None: a sample matrix read from a file).
    pub design: Option<Design>,
    /// The design's points.
    pub sample: Sample,
    /// Replications per point.
    pub replications: u32,
    /// The base seed.
    pub seed: u64,
    /// The metric keys of interest.
    pub outputs: Vec<String>,
    /// A target, if stated.
    pub target: Option<Target>,
    /// The files the experiment reads (for the output folder's checks).
    pub inputs: Vec<PathBuf>,
    /// What the experiment is, as a hash (xxh3-128, hex): the experiment
    /// file's text, its scenarios' effective settings, its factors and its
    /// sample matrix (not where they were read from), so shards of
    /// different experiments never merge.
    pub digest: String,
}

/// [`Experiment::digest`]: every part framed by its length, so no two
/// different experiments hash the same text.
fn digest(
    text: &str,
    scenario: &Base,
    compare: Option<&Base>,
    factors: &[Factor],
    sample: &Sample,
) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut part = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    // A scenario's effective text names the files it was merged from (a
    // comment, whose paths depend on where the experiment was read from):
    // its settings are hashed, as TOML written afresh, without comments.
    let settings = |b: &Base| {
        toml::from_str::<toml::Table>(&b.text)
            .ok()
            .and_then(|t| toml::to_string(&t).ok())
            .unwrap_or_else(|| b.text.clone())
    };
    part(text.as_bytes());
    part(settings(scenario).as_bytes());
    part(compare.map_or_else(|| "-".to_string(), settings).as_bytes());
    part(design::write_param_file(factors).as_bytes());
    for row in &sample.rows {
        let bits: Vec<u8> = row.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect();
        part(&bits);
    }
    format!("{:032x}", h.digest128())
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Experiment {
    /// Reads an experiment file and the files it names (paths relative to
    /// it), generates its design and checks every point's scenario.
    pub fn load(path: &Path) -> Result<Experiment, AnalysisError> {
        let file = path.display().to_string();
        let bad = |m: String| AnalysisError::Invalid(format!("{file}: {m}"));
        let text = read_text_file(path).map_err(bad)?;
        let spec: ExperimentFile = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_column(&text, s.start));
            AnalysisError::Invalid(format!("{file}:{line}:{column}: {}", e.message().trim()))
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut inputs = vec![path.to_path_buf()];
        let mut load_base = |name: &str| -> Result<Base, AnalysisError> {
            let p = dir.join(name);
            inputs.push(p.clone());
            let (_, text) = overrides::load(&p, &[], !size_forced())?;
            Ok(Base {
                source: p.display().to_string(),
                given: name.to_string(),
                text,
            })
        };
        let scenario = load_base(&spec.scenario)?;
        let compare = spec.compare.as_deref().map(&mut load_base).transpose()?;

        if spec.replications == 0 {
            return Err(bad("replications must be at least 1".into()));
        }
        if spec.outputs.is_empty() || spec.outputs.len() > MAX_OUTPUTS {
            return Err(bad(format!(
                "outputs: name 1 to {MAX_OUTPUTS} metric keys (see familyflow metrics)"
            )));
        }
        // Factors: from [[factor]] tables or a SALib parameter file.
        let (mut factors, mut integer, mut applies_to) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(p) = &spec.parameters {
            if !spec.factor.is_empty() {
                return Err(bad(
                    "give the factors either as [[factor]] tables or in a parameters file, not both"
                        .into(),
                ));
            }
            let p = dir.join(p);
            let text = read_text_file(&p).map_err(|m| bad(format!("{}: {m}", p.display())))?;
            factors = design::read_param_file(&text, &p.display().to_string())
                .map_err(AnalysisError::Invalid)?;
            inputs.push(p);
            integer = vec![false; factors.len()];
            applies_to = vec![AppliesTo::Both; factors.len()];
        }
        for (i, f) in spec.factor.iter().enumerate() {
            let at = |m: String| bad(format!("factor {} ({}): {m}", i + 1, f.key));
            Override::parse(&format!("{}=0", f.key)).map_err(at)?;
            let need = |v: Option<f64>, what: &str| {
                v.ok_or_else(|| at(format!("{what} is needed for this distribution")))
            };
            let dist = f.dist.as_deref().unwrap_or("unif");
            let distribution = match (dist, &f.levels) {
                ("unif", Some(l)) if f.lower.is_none() && f.upper.is_none() => {
                    let lo = l.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    Distribution::Uniform {
                        lower: lo,
                        upper: if hi > lo { hi } else { lo + 1.0 },
                    }
                }
                ("unif", _) => Distribution::Uniform {
                    lower: need(f.lower, "lower")?,
                    upper: need(f.upper, "upper")?,
                },
                ("triang", _) => Distribution::Triangular {
                    lower: need(f.lower, "lower")?,
                    upper: need(f.upper, "upper")?,
                    peak: need(f.peak, "peak (a fraction of the width)")?,
                },
                ("norm", _) => Distribution::Normal {
                    mean: need(f.mean, "mean")?,
                    sd: need(f.sd, "sd")?,
                },
                ("lognorm", _) => Distribution::LogNormal {
                    ln_mean: need(f.ln_mean, "ln_mean")?,
                    ln_sd: need(f.ln_sd, "ln_sd")?,
                },
                (other, _) => {
                    return Err(at(format!(
                        "dist {other:?}: expected unif, triang, norm or lognorm"
                    )))
                }
            };
            distribution.check().map_err(at)?;
            if spec.compare.is_none() && f.applies_to != AppliesTo::Both {
                return Err(at("applies_to needs a compare scenario".into()));
            }
            factors.push(Factor {
                name: f.key.trim().to_string(),
                distribution,
                levels: f.levels.clone(),
                base: f.base,
                group: None,
            });
            integer.push(f.integer);
            applies_to.push(f.applies_to);
        }
        if factors.is_empty() {
            return Err(bad(
                "no factors: add [[factor]] tables or a parameters file".into(),
            ));
        }
        let d = &spec.design;
        let need = |v: Option<usize>, what: &str| {
            v.ok_or_else(|| bad(format!("design: {} needs {what}", d.kind)))
        };
        let (design, sample) = if d.kind == "matrix" {
            let m = d
                .matrix
                .as_ref()
                .ok_or_else(|| bad("design: matrix needs matrix = \"FILE\"".into()))?;
            let p = dir.join(m);
            let text = read_text_capped(&p, design::MAX_FILE_BYTES as u64, |n| {
                format!(
                    "the sample matrix is larger than {} bytes: found {n} or more",
                    design::MAX_FILE_BYTES
                )
            })
            .map_err(|e| bad(format!("{}: {e}", p.display())))?;
            let rows = design::read_matrix(&text, &p.display().to_string(), factors.len())
                .map_err(AnalysisError::Invalid)?;
            inputs.push(p);
            let names = factors.iter().map(|f| f.name.clone()).collect();
            (None, Sample { names, rows })
        } else {
            let design = match d.kind.as_str() {
                "full_factorial" => Design::FullFactorial {
                    levels: d.levels.unwrap_or(2),
                },
                "one_at_a_time" => Design::OneAtATime,
                "latin_hypercube" => Design::LatinHypercube {
                    points: need(d.points, "points")?,
                },
                "morris" => Design::Morris {
                    trajectories: need(d.trajectories, "trajectories")?,
                    levels: d.levels.unwrap_or(4),
                },
                "saltelli" => Design::Saltelli {
                    n: need(d.n, "n")?,
                    second_order: d.second_order,
                    skip: d.skip,
                },
                other => {
                    return Err(bad(format!(
                        "design: kind {other:?}: expected full_factorial, one_at_a_time, \
                         latin_hypercube, morris, saltelli or matrix"
                    )))
                }
            };
            let sample = design::generate(&factors, &design, spec.seed)
                .map_err(|e| bad(format!("design: {e}")))?;
            (Some(design), sample)
        };
        let scenarios = if spec.compare.is_some() { 2 } else { 1 };
        let runs = sample
            .rows
            .len()
            .checked_mul(spec.replications as usize)
            .and_then(|r| r.checked_mul(scenarios));
        match runs {
            Some(r) if r <= MAX_RUNS => {}
            _ => {
                return Err(bad(format!(
                    "{} points x {} replications x {scenarios} scenarios: at most {MAX_RUNS} runs",
                    sample.rows.len(),
                    spec.replications
                )))
            }
        }
        // Results are held until the end (about 8 bytes a value, and a row
        // header per run): refused here, before anything runs, when too many.
        let values = runs.and_then(|r| r.checked_mul(spec.outputs.len() + 3));
        if values.is_none_or(|v| v > MAX_VALUES) {
            return Err(bad(format!(
                "{} points x {} replications x {scenarios} scenarios x {} outputs: \
                 at most {MAX_VALUES} values are held (fewer outputs or points)",
                sample.rows.len(),
                spec.replications,
                spec.outputs.len()
            )));
        }
        let target = match spec.target {
            None => None,
            Some(t) => {
                let conditions = [
                    t.at_most.map(Condition::AtMost),
                    t.at_least.map(Condition::AtLeast),
                    t.relative_change_at_most
                        .map(Condition::RelativeChangeAtMost),
                    t.relative_change_at_least
                        .map(Condition::RelativeChangeAtLeast),
                ];
                let given: Vec<Condition> = conditions.into_iter().flatten().collect();
                let [condition] = given[..] else {
                    return Err(bad("target: give exactly one of at_most, at_least, \
                         relative_change_at_most, relative_change_at_least"
                        .into()));
                };
                if matches!(
                    condition,
                    Condition::RelativeChangeAtMost(_) | Condition::RelativeChangeAtLeast(_)
                ) && spec.compare.is_none()
                {
                    return Err(bad(
                        "target: a relative change needs a compare scenario".into()
                    ));
                }
                Some(Target {
                    metric: t.metric,
                    condition,
                })
            }
        };
        let digest = digest(&text, &scenario, compare.as_ref(), &factors, &sample);
        let exp = Experiment {
            digest,
            file,
            name: spec.name,
            scenario,
            compare,
            factors,
            integer,
            applies_to,
            design,
            sample,
            replications: spec.replications,
            seed: spec.seed,
            outputs: spec.outputs,
            target,
            inputs,
        };
        // Every point's scenarios are checked before anything runs.
        let mut years = 0;
        for p in 0..exp.sample.rows.len() {
            years = years.max(exp.input(p, false)?.scenario.years);
            if exp.compare.is_some() {
                years = years.max(exp.input(p, true)?.scenario.years);
            }
        }
        // The fans' monthly series are held too: per run, per month (a run
        // of Y years of 365 days spans at most 12 Y + 2 calendar months),
        // each measure as two values' worth (an optional number).
        let months = 12 * years as usize + 2;
        let per_run = exp.outputs.len() + 3 + 2 * fan::FanMeasure::ALL.len() * months;
        let values = runs.and_then(|r| r.checked_mul(per_run));
        if values.is_none_or(|v| v > MAX_VALUES) {
            return Err(AnalysisError::Invalid(format!(
                "{}: {} points x {} replications x {scenarios} scenarios x ({} outputs and the fan \
                 charts' {} months): at most {MAX_VALUES} values are held (fewer points or years)",
                exp.file,
                exp.sample.rows.len(),
                exp.replications,
                exp.outputs.len(),
                months
            )));
        }
        Ok(exp)
    }

    /// The overrides of point `p` for the base scenario or the comparison.
    pub fn overrides(&self, p: usize, compare: bool) -> Result<Vec<Override>, AnalysisError> {
        let mut out = Vec::new();
        for (i, f) in self.factors.iter().enumerate() {
            let wanted = match self.applies_to[i] {
                AppliesTo::Both => true,
                AppliesTo::Scenario => !compare,
                AppliesTo::Compare => compare,
            };
            if !wanted {
                continue;
            }
            let x = self.sample.rows[p][i];
            let value = if self.integer[i] {
                let r = x.round();
                if r.is_nan() || r.abs() >= 9.0e15 {
                    return Err(AnalysisError::Invalid(format!(
                        "{}: point {}: {} = {x} is not a whole number that fits",
                        self.file,
                        p + 1,
                        f.name
                    )));
                }
                toml::Value::Integer(r as i64)
            } else {
                toml::Value::Float(x)
            };
            out.push(Override::with_value(&f.name, value).map_err(AnalysisError::Invalid)?);
        }
        Ok(out)
    }

    /// The scenario run at point `p` (the comparison scenario with `compare`).
    pub fn input(&self, p: usize, compare: bool) -> Result<ScenarioInput, AnalysisError> {
        let base = if compare {
            self.compare.as_ref().unwrap_or(&self.scenario)
        } else {
            &self.scenario
        };
        let sets = self.overrides(p, compare)?;
        let (scenario, text) =
            overrides::apply(&base.text, &base.source, &sets, false).map_err(|mut e| {
                e.file = format!("{} (point {} of {})", e.file, p + 1, self.file);
                e
            })?;
        Ok(ScenarioInput {
            scenario,
            text,
            source: base.source.clone(),
        })
    }

    /// How this sweep's runs share their common beginnings (computed from
    /// every point's scenarios; none without a comparison).
    pub fn sharing(&self) -> Result<Sharing, AnalysisError> {
        if self.compare.is_none() {
            return Ok(Sharing::default());
        }
        let mut until = Vec::with_capacity(self.sample.rows.len());
        for p in 0..self.sample.rows.len() {
            let (a, b) = (self.input(p, false)?, self.input(p, true)?);
            until.push(
                shared_until(&a.scenario, &b.scenario).map(|m| (m, a.scenario.calendar().date(m))),
            );
        }
        let base_fixed = self.applies_to.iter().all(|a| *a == AppliesTo::Compare);
        let one_base = match until.first() {
            Some(&Some((first, _))) if base_fixed => until
                .iter()
                .all(|u| u.is_some_and(|(m, _)| m == first))
                .then_some(first),
            _ => None,
        };
        Ok(Sharing {
            until: until.into_iter().map(|u| u.map(|(_, d)| d)).collect(),
            one_base,
        })
    }

    /// Jobs: points x replications (each job runs every scenario).
    pub fn jobs(&self) -> usize {
        self.sample.rows.len() * self.replications as usize
    }

    /// Runs at each point: 1, or 2 with a comparison scenario.
    pub fn scenarios(&self) -> usize {
        if self.compare.is_some() {
            2
        } else {
            1
        }
    }
}

/// How a sweep's runs share their common beginnings (`snapshot::shared_until`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sharing {
    /// Per point: the date its scenario and its comparison part, when they
    /// agree until a date inside the run (each job then runs that part once).
    pub until: Vec<Option<CivilDate>>,
    /// When every factor applies to the comparison alone, the base scenario
    /// is the same at every point; if every point's comparison also parts
    /// from it at one minute, this is that minute: a replication's base run
    /// is then one run for all points, and every point's comparison
    /// branches from it.
    pub one_base: Option<Minute>,
}

/// One job's outputs (a point at a replication): the base scenario's, and
/// the comparison's, each in the experiment's order of outputs, and each
/// run's monthly series for the fan charts.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOutputs {
    /// The base scenario's outputs.
    pub base: Vec<f64>,
    /// The comparison scenario's outputs, with a comparison.
    pub compare: Option<Vec<f64>>,
    /// The base scenario's monthly series.
    pub base_months: MonthlySeries,
    /// The comparison scenario's, with a comparison.
    pub compare_months: Option<MonthlySeries>,
}

/// A sweep's results, in point then replication order.
#[derive(Clone, Debug)]
pub struct SweepResults {
    /// Per point, per replication: the base scenario's outputs.
    base: Vec<Vec<f64>>,
    /// The same for the comparison scenario.
    compare: Option<Vec<Vec<f64>>>,
    /// Per job: the base scenario's monthly series.
    base_months: Vec<MonthlySeries>,
    /// The same for the comparison scenario.
    compare_months: Option<Vec<MonthlySeries>>,
    /// Worker threads used.
    pub threads: usize,
    /// How the runs shared their beginnings (None when merged from shards).
    pub sharing: Option<Sharing>,
}

fn pick(metrics: &[(String, f64)], outputs: &[String], what: &str) -> Result<Vec<f64>, String> {
    outputs
        .iter()
        .map(|k| {
            metrics
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    format!("{what}: no metric {k:?} (familyflow metrics lists the keys)")
                })
        })
        .collect()
}

/// Runs job `j` of `exp` (from 0: point `j / replications`, replication
/// `j % replications`) on the replication's seed: the one piece of code
/// that runs a job, whether the sweep runs on one machine or in shards.
/// When the point's scenario and its comparison agree until some date
/// ([`shared_until`]), their common part runs once and the comparison
/// branches from it ([`run_sharing`]): the same outputs as running each
/// whole, for less work.
pub fn run_job(exp: &Experiment, j: usize) -> Result<JobOutputs, AnalysisError> {
    let reps = exp.replications as usize;
    let (p, r) = (j / reps, j % reps);
    let seed = replication_seed(exp.seed, r as u64);
    let what = format!("{}: point {} replication {}", exp.file, p + 1, r + 1);
    let outputs = |input: &ScenarioInput,
                   summary: &Summary|
     -> Result<(Vec<f64>, MonthlySeries), AnalysisError> {
        let m = metrics(summary, None)
            .map_err(|e| AnalysisError::Invalid(format!("{}: {e}", input.source)))?;
        let values = pick(&m, &exp.outputs, &what).map_err(AnalysisError::Invalid)?;
        Ok((values, MonthlySeries::of(summary)))
    };
    let whole = |input: &ScenarioInput| -> Result<Summary, AnalysisError> {
        Ok(run::run::<std::io::Sink>(input, seed, None)?.summary)
    };
    let base = exp.input(p, false)?;
    if exp.compare.is_none() {
        let (base, base_months) = outputs(&base, &whole(&base)?)?;
        return Ok(JobOutputs {
            base,
            compare: None,
            base_months,
            compare_months: None,
        });
    }
    let other = exp.input(p, true)?;
    let (a, b) = match shared_until(&base.scenario, &other.scenario) {
        Some(split) => {
            let (mut both, _) = run_sharing(&base, &[&other], seed, split)
                .map_err(|(i, e)| e.in_file([&base, &other][i].source.as_str()))?;
            let b = both.pop().expect("run_sharing: one summary a scenario");
            (both.pop().expect("run_sharing: one summary a scenario"), b)
        }
        None => (whole(&base)?, whole(&other)?),
    };
    let (base_values, base_months) = outputs(&base, &a)?;
    let (compare, compare_months) = outputs(&other, &b)?;
    Ok(JobOutputs {
        base: base_values,
        compare: Some(compare),
        base_months,
        compare_months: Some(compare_months),
    })
}

/// Runs the jobs `jobs` (numbers from 0, see [`run_job`]) of `exp` on
/// `threads`; their outputs in the order of `jobs`, whatever the threads.
/// The first job runs alone, so that a wrong metric key fails at once.
pub fn run_jobs(
    exp: &Experiment,
    jobs: &[usize],
    threads: usize,
    progress: &dyn Progress,
) -> Result<Vec<JobOutputs>, AnalysisError> {
    progress.begin("sweep", jobs.len());
    let Some((&first, rest)) = jobs.split_first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(jobs.len());
    out.push(run_job(exp, first)?);
    progress.tick();
    fold_jobs(
        rest.len(),
        threads,
        progress,
        |k| run_job(exp, rest[k]),
        |_, o| out.push(o),
    )?;
    Ok(out)
}

/// Runs every point x replication (each scenario) of `exp` on `threads`.
pub fn sweep(
    exp: &Experiment,
    threads: Option<usize>,
    progress: &dyn Progress,
) -> Result<SweepResults, AnalysisError> {
    let threads = worker_threads(threads)?;
    let sharing = exp.sharing()?;
    let all: Vec<usize> = (0..exp.jobs()).collect();
    let outputs = match sharing.one_base {
        Some(split) => run_by_replication(exp, split, threads, progress)?,
        None => run_jobs(exp, &all, threads, progress)?,
    };
    let mut results = SweepResults::from_jobs(exp, outputs, threads.min(all.len()))?;
    results.sharing = Some(sharing);
    Ok(results)
}

/// Runs every job of `exp` whose base scenario is the same at every point
/// and whose comparisons all part from it at `split` ([`Sharing::one_base`]):
/// per replication, the base scenario runs once, to a snapshot a week
/// before `split` and on to its end, and each point's comparison branches
/// from the snapshot ([`run_sharing_each`]; or runs whole when an arrival
/// chain then looked past `split`). The same outputs as [`run_job`] gives,
/// in job order; replications run on `threads`, and progress counts them.
fn run_by_replication(
    exp: &Experiment,
    split: Minute,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Vec<JobOutputs>, AnalysisError> {
    let (points, reps) = (exp.sample.rows.len(), exp.replications as usize);
    progress.begin("sweep (replications, every point each)", reps);
    let mut by_rep: Vec<std::vec::IntoIter<JobOutputs>> = Vec::with_capacity(reps);
    fold_jobs(
        reps,
        threads,
        progress,
        |r| run_replication(exp, r, split),
        |_, o| by_rep.push(o.into_iter()),
    )?;
    let mut out = Vec::with_capacity(points * reps);
    for p in 0..points {
        for (r, rep) in by_rep.iter_mut().enumerate() {
            out.push(rep.next().ok_or_else(|| {
                AnalysisError::Invalid(format!(
                    "{}: replication {} lacks point {}",
                    exp.file,
                    r + 1,
                    p + 1
                ))
            })?);
        }
    }
    Ok(out)
}

/// Replication `r` of every point, the base run shared (see
/// [`run_by_replication`]): each point's [`JobOutputs`], in point order.
fn run_replication(
    exp: &Experiment,
    r: usize,
    split: Minute,
) -> Result<Vec<JobOutputs>, AnalysisError> {
    let seed = replication_seed(exp.seed, r as u64);
    let base = exp.input(0, false)?;
    let points = exp.sample.rows.len();
    let mut base_out = None;
    let mut out = Vec::with_capacity(points);
    run_sharing_each(
        &base,
        points,
        seed,
        split,
        |p| Ok(Cow::Owned(exp.input(p, true)?)),
        |i, summary| {
            let p = i.saturating_sub(1);
            let what = format!("{}: point {} replication {}", exp.file, p + 1, r + 1);
            let m = metrics(&summary, None)
                .map_err(|e| AnalysisError::Invalid(format!("{what}: {e}")))?;
            let values = pick(&m, &exp.outputs, &what).map_err(AnalysisError::Invalid)?;
            let months = MonthlySeries::of(&summary);
            match &base_out {
                None => base_out = Some((values, months)),
                Some((base, base_months)) => out.push(JobOutputs {
                    base: base.clone(),
                    compare: Some(values),
                    base_months: base_months.clone(),
                    compare_months: Some(months),
                }),
            }
            Ok(())
        },
    )
    .map_err(|(_, e): (usize, AnalysisError)| e)?;
    Ok(out)
}

/// Bytes of a CSV file (rows of cells).
type Csv = Vec<u8>;

impl SweepResults {
    /// The results of every job of `exp`, in job order (point, then
    /// replication), as [`run_job`] returns them; `threads` is recorded.
    pub fn from_jobs(
        exp: &Experiment,
        jobs: Vec<JobOutputs>,
        threads: usize,
    ) -> Result<SweepResults, AnalysisError> {
        if jobs.len() != exp.jobs() {
            return Err(AnalysisError::Invalid(format!(
                "{}: {} jobs' results for {} jobs",
                exp.file,
                jobs.len(),
                exp.jobs()
            )));
        }
        let mut base = Vec::with_capacity(jobs.len());
        let mut compare = exp.compare.as_ref().map(|_| Vec::with_capacity(jobs.len()));
        let mut base_months = Vec::with_capacity(jobs.len());
        let mut compare_months = exp.compare.as_ref().map(|_| Vec::with_capacity(jobs.len()));
        for (j, o) in jobs.into_iter().enumerate() {
            let shape = o.base.len() == exp.outputs.len()
                && o.compare.as_ref().map(Vec::len) == compare.as_ref().map(|_| exp.outputs.len())
                && o.compare_months.is_some() == compare.is_some();
            if !shape {
                return Err(AnalysisError::Invalid(format!(
                    "{}: job {}: results do not match the experiment's outputs",
                    exp.file,
                    j + 1
                )));
            }
            base.push(o.base);
            base_months.push(o.base_months);
            if let (Some(c), Some(v)) = (compare.as_mut(), o.compare) {
                c.push(v);
            }
            if let (Some(c), Some(m)) = (compare_months.as_mut(), o.compare_months) {
                c.push(m);
            }
        }
        Ok(SweepResults {
            base,
            compare,
            base_months,
            compare_months,
            threads,
            sharing: None,
        })
    }

    /// The fan charts' data: per month, the deciles of each headline
    /// series across every design point and replication (what the
    /// experiment leaves uncertain and the model's own randomness), for the
    /// scenario and, with one, the comparison scenario on the same months.
    pub fn fans(&self, exp: &Experiment) -> Fans {
        let all = self
            .base_months
            .iter()
            .chain(self.compare_months.iter().flatten());
        let (first, months) = fan::span(all);
        let name = |b: &Base, compare: bool| {
            exp.input(0, compare)
                .map_or_else(|_| b.source.clone(), |i| i.scenario.name)
        };
        let mut per = vec![fan::scenario_fans(
            &exp.scenario.given,
            &name(&exp.scenario, false),
            first,
            months.len(),
            &self.base_months,
        )];
        if let (Some(c), Some(runs)) = (&exp.compare, &self.compare_months) {
            per.push(fan::scenario_fans(
                &c.given,
                &name(c, true),
                first,
                months.len(),
                runs,
            ));
        }
        let across = format!(
            "{} design points x {} replications (replication r of every point on the same seed)",
            exp.sample.rows.len(),
            exp.replications
        );
        fan::fans(months, per, &across)
    }

    /// The value analysed at a run: the comparison's difference from the
    /// base scenario, else the base scenario's value.
    fn analysed(&self, job: usize, m: usize) -> f64 {
        match &self.compare {
            Some(c) => c[job][m] - self.base[job][m],
            None => self.base[job][m],
        }
    }

    /// Per point, per output: the mean over replications of what is analysed.
    pub fn point_means(&self, exp: &Experiment) -> Vec<Vec<f64>> {
        let reps = exp.replications as usize;
        (0..exp.sample.rows.len())
            .map(|p| {
                (0..exp.outputs.len())
                    .map(|m| {
                        (0..reps)
                            .map(|r| self.analysed(p * reps + r, m))
                            .sum::<f64>()
                            / reps as f64
                    })
                    .collect()
            })
            .collect()
    }

    /// The tidy CSV, one row per point x replication x output, written
    /// row by row into `w`.
    pub fn write_runs_csv(
        &self,
        exp: &Experiment,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let reps = exp.replications as usize;
        let mut out = CsvOut::new(w);
        let mut head = vec!["point", "replication", "seed", "metric"];
        if self.compare.is_some() {
            head.extend(["baseline", "value", "difference"]);
        } else {
            head.push("value");
        }
        out.row(head)?;
        for (j, b) in self.base.iter().enumerate() {
            let (p, r) = (j / reps, j % reps);
            let seed = replication_seed(exp.seed, r as u64);
            for (m, key) in exp.outputs.iter().enumerate() {
                let mut row = vec![
                    (p + 1).to_string(),
                    (r + 1).to_string(),
                    seed.to_string(),
                    key.clone(),
                ];
                match &self.compare {
                    Some(c) => {
                        row.extend([csv_num(b[m]), csv_num(c[j][m]), csv_num(c[j][m] - b[m])])
                    }
                    None => row.push(csv_num(b[m])),
                }
                out.row(row)?;
            }
        }
        out.finish()
    }

    /// Whether run `job` meets the target (None without a target or when
    /// its metric is not among the outputs).
    fn met(&self, exp: &Experiment, job: usize) -> Option<bool> {
        let t = exp.target.as_ref()?;
        let m = exp.outputs.iter().position(|k| *k == t.metric)?;
        Some(match &self.compare {
            Some(c) => t.met(c[job][m], Some(self.base[job][m])),
            None => t.met(self.base[job][m], None),
        })
    }

    /// Per point and output: the factors' values, then the statistics over
    /// replications (of the base scenario, and with a comparison of the
    /// comparison scenario and the paired difference); and the share of
    /// replications meeting the target.
    pub fn points_csv(&self, exp: &Experiment) -> Csv {
        let reps = exp.replications as usize;
        let mut head: Vec<String> = vec!["point".into()];
        head.extend(exp.factors.iter().map(|f| f.name.clone()));
        head.push("metric".into());
        head.push("n".into());
        let stat = ["mean", "sd", "ci95_low", "ci95_high"];
        let prefixes: &[&str] = if self.compare.is_some() {
            &["baseline_", "value_", "difference_"]
        } else {
            &["value_"]
        };
        for pre in prefixes {
            head.extend(stat.iter().map(|s| format!("{pre}{s}")));
        }
        if exp.target.is_some() {
            head.push("target_met_share".into());
        }
        let mut rows = vec![head];
        for p in 0..exp.sample.rows.len() {
            let jobs = p * reps..(p + 1) * reps;
            for (m, key) in exp.outputs.iter().enumerate() {
                let mut row = vec![(p + 1).to_string()];
                row.extend(exp.sample.rows[p].iter().map(|x| csv_num(*x)));
                row.push(key.clone());
                row.push(reps.to_string());
                let base: Vec<f64> = jobs.clone().map(|j| self.base[j][m]).collect();
                let mut columns = vec![base.clone()];
                if let Some(c) = &self.compare {
                    let value: Vec<f64> = jobs.clone().map(|j| c[j][m]).collect();
                    let diff = value.iter().zip(&base).map(|(v, b)| v - b).collect();
                    columns.push(value);
                    columns.push(diff);
                }
                for col in &columns {
                    let s = Stats::of(col);
                    row.extend([s.mean, s.sd, s.ci95_low, s.ci95_high].map(csv_num));
                }
                if exp.target.is_some() {
                    let met: Vec<bool> = jobs.clone().filter_map(|j| self.met(exp, j)).collect();
                    row.push(
                        if met.is_empty() || exp.target.as_ref().is_some_and(|t| t.metric != *key) {
                            String::new()
                        } else {
                            csv_num(met.iter().filter(|x| **x).count() as f64 / met.len() as f64)
                        },
                    );
                }
                rows.push(row);
            }
        }
        to_csv(rows)
    }

    /// The probability of meeting the target over every point and
    /// replication: (runs meeting it, runs, share, Wilson 95% interval).
    pub fn target(&self, exp: &Experiment) -> Option<(usize, usize, f64, f64, f64)> {
        let met: Vec<bool> = (0..self.base.len())
            .map(|j| self.met(exp, j))
            .collect::<Option<_>>()?;
        let n = met.len();
        let k = met.iter().filter(|x| **x).count();
        let (nf, p) = (n as f64, k as f64 / n as f64);
        let z = 1.959_963_984_540_054_f64;
        let centre = (p + z * z / (2.0 * nf)) / (1.0 + z * z / nf);
        let half = z * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt() / (1.0 + z * z / nf);
        Some((k, n, p, (centre - half).max(0.0), (centre + half).min(1.0)))
    }

    /// The target's CSV (one row), if the experiment states one.
    pub fn target_csv(&self, exp: &Experiment) -> Option<Csv> {
        let t = exp.target.as_ref()?;
        let (k, n, p, lo, hi) = self.target(exp)?;
        Some(to_csv(vec![
            [
                "target",
                "runs_met",
                "runs",
                "probability",
                "ci95_low",
                "ci95_high",
            ]
            .map(String::from)
            .to_vec(),
            vec![
                t.describe(),
                k.to_string(),
                n.to_string(),
                csv_num(p),
                csv_num(lo),
                csv_num(hi),
            ],
        ]))
    }

    /// `analyse` applied to each output's means over replications, one
    /// per design point; an error names the output.
    fn per_output<T>(
        &self,
        exp: &Experiment,
        analyse: impl Fn(&[f64]) -> Result<T, String>,
    ) -> Result<Vec<(String, T)>, AnalysisError> {
        let means = self.point_means(exp);
        exp.outputs
            .iter()
            .enumerate()
            .map(|(m, key)| {
                let y: Vec<f64> = means.iter().map(|r| r[m]).collect();
                analyse(&y)
                    .map(|ix| (key.clone(), ix))
                    .map_err(|e| AnalysisError::Invalid(format!("{key}: {e}")))
            })
            .collect()
    }

    /// Morris measures per output (Morris designs).
    pub fn morris(
        &self,
        exp: &Experiment,
    ) -> Result<Vec<(String, Vec<MorrisIndex>)>, AnalysisError> {
        let Some(Design::Morris { levels, .. }) = exp.design else {
            return Ok(Vec::new());
        };
        self.per_output(exp, |y| {
            sensitivity::morris(&exp.sample.names, &exp.sample.rows, y, levels, exp.seed)
        })
    }

    /// Sobol indices per output (Saltelli designs).
    pub fn sobol(&self, exp: &Experiment) -> Result<Vec<(String, Sobol)>, AnalysisError> {
        let Some(Design::Saltelli { second_order, .. }) = exp.design else {
            return Ok(Vec::new());
        };
        self.per_output(exp, |y| {
            sensitivity::sobol(&exp.sample.names, y, second_order, exp.seed)
        })
    }

    /// Standardised regression coefficients per output (Latin hypercube
    /// designs with at least two points more than factors), on the means
    /// over replications.
    pub fn regression(&self, exp: &Experiment) -> Result<Vec<(String, Regression)>, AnalysisError> {
        let Some(Design::LatinHypercube { .. }) = exp.design else {
            return Ok(Vec::new());
        };
        if !regression_possible(exp) {
            return Ok(Vec::new());
        }
        self.per_output(exp, |y| {
            sensitivity::regression(&exp.sample.names, &exp.sample.rows, y, exp.seed)
        })
    }

    /// The indices CSV (Morris, Sobol or Latin hypercube designs), if
    /// there are any.
    pub fn indices_csv(&self, exp: &Experiment) -> Result<Option<Csv>, AnalysisError> {
        let regression = self.regression(exp)?;
        if !regression.is_empty() {
            let mut rows = vec![["metric", "factor", "SRC", "SRC_conf", "R2"]
                .map(String::from)
                .to_vec()];
            for (key, g) in regression {
                for i in g.indices {
                    rows.push(vec![
                        key.clone(),
                        i.name,
                        csv_num(i.src),
                        csv_num(i.src_conf),
                        csv_num(g.r2),
                    ]);
                }
            }
            return Ok(Some(to_csv(rows)));
        }
        let morris = self.morris(exp)?;
        if !morris.is_empty() {
            let mut rows = vec![
                ["metric", "factor", "mu", "mu_star", "sigma", "mu_star_conf"]
                    .map(String::from)
                    .to_vec(),
            ];
            for (key, ix) in morris {
                for i in ix {
                    rows.push(vec![
                        key.clone(),
                        i.name,
                        csv_num(i.mu),
                        csv_num(i.mu_star),
                        csv_num(i.sigma),
                        csv_num(i.mu_star_conf),
                    ]);
                }
            }
            return Ok(Some(to_csv(rows)));
        }
        let sobol = self.sobol(exp)?;
        if sobol.is_empty() {
            return Ok(None);
        }
        let mut rows = vec![["metric", "factor", "S1", "S1_conf", "ST", "ST_conf"]
            .map(String::from)
            .to_vec()];
        for (key, s) in &sobol {
            for i in &s.indices {
                rows.push(vec![
                    key.clone(),
                    i.name.clone(),
                    csv_num(i.s1),
                    csv_num(i.s1_conf),
                    csv_num(i.st),
                    csv_num(i.st_conf),
                ]);
            }
            for pair in &s.second_order {
                rows.push(vec![
                    key.clone(),
                    format!("{} x {}", pair.a, pair.b),
                    csv_num(pair.s2),
                    csv_num(pair.s2_conf),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        Ok(Some(to_csv(rows)))
    }

    /// SALib's outputs file: one row per sample (design point), one column
    /// per output, the mean over replications of what is analysed.
    pub fn salib_outputs(&self, exp: &Experiment) -> String {
        design::write_matrix(&self.point_means(exp))
    }
}

/// Whether a Latin hypercube has enough points for a regression on its
/// factors (at least two more than factors).
pub fn regression_possible(exp: &Experiment) -> bool {
    exp.sample.rows.len() >= exp.sample.names.len() + 2
}
