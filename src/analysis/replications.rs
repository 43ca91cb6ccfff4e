//! Replications: many runs of one scenario on seeds derived from one base
//! seed, run in parallel, each single-threaded, merged in replication order.
//!
//! # Seeds
//!
//! Replication `i` (counting from 0) of base seed `N` runs with
//! [`replication_seed`]`(N, i)`: the `(i + 1)`-th output of a SplitMix64
//! generator whose state starts at `N` (Steele, Lea and Flood 2014; the
//! generator `java.util.SplittableRandom` uses). The `compare` command's
//! *independent* runs use [`independent_seed`]`(N, i)`: the same generator
//! started from `N XOR 0x494E_4445_5045_4E44` (`"INDEPEND"`), a sequence
//! that shares no seed with the first one in practice.
//!
//! # Metrics
//!
//! A run's metrics are the figures of its [`Summary`], each under the
//! stable key the [metric registry](crate::analysis::metric_registry) gives it
//! (`care.placement_spend_pence`, `triage.decisions.family_help`,
//! `by_financial_year.2024-25.referrals`), in the registry's order; the
//! registry reads them from the summary's fields and also says what each
//! one means (`familyflow metrics`, `docs/METRICS.md`). Not metrics: `seed`,
//! `children` (inputs, not results) and `by_month` (the monthly series is
//! what `run --out` writes). A figure added to `Summary` is reported once it
//! has a registry entry.
//!
//! With a warm-up, the figures are recomputed from the monthly rows of the
//! months that start on or after the end of the warm-up (see [`WarmUp`]).
//!
//! # Parallelism
//!
//! [`run_jobs`] runs numbered jobs over worker threads with an atomic work
//! counter; results are put back in job order, so the output bytes do not
//! depend on the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::analysis::summary::Summary;
use crate::analysis::text::write_csv_record;
use crate::analysis::{metric_registry, run, AnalysisError, Progress};
use crate::model::calendar::CivilDate;
use crate::model::input::ScenarioInput;

/// The file of per-replication values `--out DIR` writes (one row per replication per metric).
pub const REPLICATIONS_CSV: &str = "replications.csv";
/// The JSON of all replications and their statistics `--out DIR` writes.
pub const REPLICATIONS_JSON: &str = "replications.json";
/// The per-metric statistics `--out DIR` writes.
pub const SUMMARY_STATS_CSV: &str = "summary-stats.csv";

/// The golden-ratio increment of SplitMix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// `"INDEPEND"`: moves the independent seeds' generator away from the common one.
const INDEPENDENT: u64 = 0x494E_4445_5045_4E44;

/// SplitMix64's output function.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `(i + 1)`-th output of SplitMix64 started from `state`.
fn splitmix64_nth(state: u64, i: u64) -> u64 {
    mix64(state.wrapping_add(i.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// The seed of replication `i` (from 0) of base seed `base`: common random
/// numbers, shared by every scenario of a comparison.
pub fn replication_seed(base: u64, i: u64) -> u64 {
    splitmix64_nth(base, i)
}

/// The seed of the `i`-th *independent* replication of base seed `base`,
/// used by `compare` to measure what common random numbers gain.
pub fn independent_seed(base: u64, i: u64) -> u64 {
    splitmix64_nth(base ^ INDEPENDENT, i)
}

// ---------------------------------------------------------------------------
// Warm-up

/// The unit of a warm-up length.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WarmUpUnit {
    /// Calendar years.
    Years,
    /// Calendar months.
    Months,
    /// Days.
    Days,
}

/// A warm-up excluded from the metrics: `2y`, `18m` or `90d`.
///
/// The warm-up ends on the start date plus this length (years and months
/// move the calendar date, keeping the day of the month where it exists).
/// The metrics then come from the monthly rows of the months that *start* on
/// or after that date: counts are summed (`after_warm_up.referrals`),
/// end-of-month figures are averaged over those months
/// (`after_warm_up.on_plan_at_end.mean`), and the shares and rates the
/// summary gives are recomputed from those sums
/// (`after_warm_up.triage_within_1_working_day_pct`,
/// `after_warm_up.referrals_per_10k_children_per_year`). Figures that need
/// more than monthly counts (waits, caseloads, means over time) are not
/// available after a warm-up; `at_end.*` (the state when the run ends) is
/// kept, since the warm-up does not touch it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WarmUp {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: WarmUpUnit,
}

impl std::str::FromStr for WarmUp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad = || {
            format!("warm-up `{s}`: expected a whole number and a unit, like 2y, 18m or 90d (years, months, days)")
        };
        let unit = match t.chars().last() {
            Some('y') => WarmUpUnit::Years,
            Some('m') => WarmUpUnit::Months,
            Some('d') => WarmUpUnit::Days,
            _ => return Err(bad()),
        };
        let amount: u32 = t[..t.len() - 1].parse().map_err(|_| bad())?;
        if amount == 0 {
            return Err(format!(
                "warm-up `{s}`: must be longer than 0 (leave --warm-up out for none)"
            ));
        }
        Ok(WarmUp { amount, unit })
    }
}

impl std::fmt::Display for WarmUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let u = match self.unit {
            WarmUpUnit::Years => 'y',
            WarmUpUnit::Months => 'm',
            WarmUpUnit::Days => 'd',
        };
        write!(f, "{}{u}", self.amount)
    }
}

impl WarmUp {
    /// The first day after the warm-up of a run starting on `start`.
    pub fn end(&self, start: CivilDate) -> Option<CivilDate> {
        let months = match self.unit {
            WarmUpUnit::Days => return start.plus_days(i64::from(self.amount)),
            WarmUpUnit::Years => i64::from(self.amount) * 12,
            WarmUpUnit::Months => i64::from(self.amount),
        };
        let index = i64::from(start.year()) * 12 + i64::from(start.month()) - 1 + months;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = (index.rem_euclid(12) + 1) as u8;
        (1..=start.day())
            .rev()
            .find_map(|d| CivilDate::new(year, month, d))
    }
}

// ---------------------------------------------------------------------------
// Metrics

/// One run's metrics, in a fixed order: `(name, value)`.
pub type MetricValues = Vec<(String, f64)>;

/// The metrics of one run, computed by the [metric registry](crate::analysis::metric_registry)
/// from the summary's fields: every figure of the summary (see the module
/// docs), or with a warm-up, the figures recomputed after it (see [`WarmUp`]).
pub fn metrics(summary: &Summary, warm_up: Option<&WarmUp>) -> Result<MetricValues, String> {
    let Some(w) = warm_up else {
        return metric_registry::summary_values(summary);
    };
    let start = CivilDate::parse(&summary.start)
        .ok_or_else(|| format!("the summary's start `{}` is not a date", summary.start))?;
    let last = CivilDate::parse(&summary.end)
        .ok_or_else(|| format!("the summary's end `{}` is not a date", summary.end))?;
    let cut = w
        .end(start)
        .ok_or_else(|| format!("warm-up {w} goes past the calendar"))?;
    let mut months = Vec::new();
    let mut window_start = None;
    for m in &summary.by_month {
        let first = period_start(&m.period)
            .ok_or_else(|| format!("month `{}` in the summary is not YYYY-MM", m.period))?;
        if first >= cut {
            window_start.get_or_insert(first);
            months.push(m);
        }
    }
    let Some(window_start) = window_start else {
        return Err(format!(
            "a warm-up of {w} from {start} leaves no whole month of the run (which ends on {last}) to measure"
        ));
    };
    let window = metric_registry::Window {
        months,
        years: (window_start.days_until(last) + 1) as f64 / 365.0,
        children: summary.children.max(1) as f64,
    };
    metric_registry::warm_up_values(summary, &window)
}

/// The first day of a `YYYY-MM` period.
fn period_start(period: &str) -> Option<CivilDate> {
    let (y, m) = period.split_once('-')?;
    CivilDate::new(y.parse().ok()?, m.parse().ok()?, 1)
}

// ---------------------------------------------------------------------------
// Statistics

/// ln Γ(x) for x > 0.
fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The continued fraction of the regularised incomplete beta function
/// (modified Lentz; Numerical Recipes `betacf`).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..200_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * libm::log(x) + b * libm::log1p(-x))
            .exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom (∞: the normal).
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if df.is_infinite() {
        return 0.5 * libm::erfc(-t / std::f64::consts::SQRT_2);
    }
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t));
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`df` may be
/// `f64::INFINITY`, giving the normal quantile): the exact CDF inverted by
/// bisection to machine precision. NaN unless 0 < p < 1 and df > 0.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    let mut hi = 1.0;
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Summary statistics of one metric over replications. Undefined values
/// (the spread of a single value) are NaN, written as JSON `null`.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// Lower end of the 95% confidence interval of the mean (Student t).
    pub ci95_low: f64,
    /// Upper end of the 95% confidence interval of the mean.
    pub ci95_high: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// The statistics of `xs` (in the order given, so the same bytes for the same values).
    pub fn of(xs: &[f64]) -> Stats {
        let n = xs.len();
        if n == 0 {
            return Stats {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
                ci95_low: f64::NAN,
                ci95_high: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = variance(xs);
        let sd = var.sqrt();
        let half = t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
        Stats {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// Half the width of the 95% confidence interval.
    pub fn half_width(&self) -> f64 {
        (self.ci95_high - self.ci95_low) / 2.0
    }
}

/// Sample variance (n − 1); NaN for fewer than two values.
pub fn variance(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 2 {
        return f64::NAN;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
}

// ---------------------------------------------------------------------------
// A table of metrics by replication

/// Metric values by replication, aligned by name.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Metric names, in the order first seen.
    pub names: Vec<String>,
    /// `rows[r][m]`: replication r's value of metric m, if it has one.
    pub rows: Vec<Vec<Option<f64>>>,
}

impl Table {
    /// The table of these runs' metrics, in the order given.
    pub fn new<'a>(runs: impl IntoIterator<Item = &'a MetricValues>) -> Table {
        let mut t = Table::default();
        for run in runs {
            t.push(run);
        }
        t
    }

    /// Adds a replication.
    pub fn push(&mut self, run: &MetricValues) {
        let mut row = vec![None; self.names.len()];
        for (name, x) in run {
            let i = match self.index(name) {
                Some(i) => i,
                None => {
                    self.names.push(name.clone());
                    for r in &mut self.rows {
                        r.push(None);
                    }
                    row.push(None);
                    self.names.len() - 1
                }
            };
            row[i] = Some(*x);
        }
        self.rows.push(row);
    }

    /// The column of a metric.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The values of metric `m` that replications have.
    pub fn column(&self, m: usize) -> Vec<f64> {
        self.rows
            .iter()
            .filter_map(|r| r.get(m).copied().flatten())
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Running jobs in parallel

/// Runs jobs `0..jobs` on up to `threads` worker threads (each job on one
/// thread) and returns their results in job order. On failure, returns the
/// error of the lowest-numbered job that fails: jobs after a failed one are
/// skipped, jobs before it still run, so the error does not depend on the
/// number of threads.
pub fn run_jobs<T, E, F>(
    jobs: usize,
    threads: usize,
    progress: &dyn Progress,
    f: F,
) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
{
    let next = AtomicUsize::new(0);
    let first_failure = AtomicUsize::new(usize::MAX);
    let slots: Mutex<Vec<Option<Result<T, E>>>> = Mutex::new((0..jobs).map(|_| None).collect());
    let workers = threads.clamp(1, jobs.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= jobs || job > first_failure.load(Ordering::Relaxed) {
                    break;
                }
                let result = f(job);
                if result.is_err() {
                    first_failure.fetch_min(job, Ordering::Relaxed);
                }
                progress.tick();
                slots.lock().unwrap_or_else(|p| p.into_inner())[job] = Some(result);
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::with_capacity(jobs);
    for slot in slots {
        match slot {
            Some(Ok(t)) => out.push(t),
            Some(Err(e)) => return Err(e),
            // Skipped: a job before it failed, and its error comes first.
            None => continue,
        }
    }
    Ok(out)
}

/// The number of worker threads: `threads`, or every core.
pub fn worker_threads(threads: Option<usize>) -> Result<usize, AnalysisError> {
    match threads {
        Some(0) => Err(AnalysisError::Invalid(
            "--threads must be at least 1".to_string(),
        )),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

// ---------------------------------------------------------------------------
// The command

/// Replications to run: how many, from which base seed, on how many
/// threads, and what to leave out.
#[derive(Clone, Debug)]
pub struct ReplicationSpec {
    /// How many replications (at least 1).
    pub replications: u32,
    /// The base seed.
    pub seed: u64,
    /// Worker threads (None: every core).
    pub threads: Option<usize>,
    /// A warm-up excluded from the metrics.
    pub warm_up: Option<WarmUp>,
}

/// One replication's seed and metrics.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Replication number, from 0.
    pub index: u32,
    /// Its seed.
    pub seed: u64,
    /// Its metrics.
    pub metrics: MetricValues,
}

/// Runs `input` once with `seed` (no log) and returns its metrics.
pub fn run_one(
    input: &ScenarioInput,
    seed: u64,
    warm_up: Option<&WarmUp>,
) -> Result<MetricValues, AnalysisError> {
    let finished = run::run::<std::io::Sink>(input, seed, None)?;
    metrics(&finished.summary, warm_up)
        .map_err(|e| AnalysisError::Invalid(format!("{}: {e}", input.source)))
}

/// Metric statistics of `table`, one per metric, in its order.
pub fn table_stats(table: &Table) -> Vec<(String, Stats)> {
    table
        .names
        .iter()
        .enumerate()
        .map(|(m, name)| (name.clone(), Stats::of(&table.column(m))))
        .collect()
}

/// A number for a terminal table: enough digits to read, no more.
pub fn short(x: f64) -> String {
    if x.is_nan() {
        return "–".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    let a = x.abs();
    let s = if a >= 1e6 {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.starts_with("-0") && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// A confidence interval for a terminal table (`–` when undefined).
pub fn ci_text(low: f64, high: f64) -> String {
    if low.is_nan() || high.is_nan() {
        "–".to_string()
    } else {
        format!("{} to {}", short(low), short(high))
    }
}

/// A number for CSV: shortest round-trip text; empty when undefined.
pub fn csv_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else if x.is_nan() {
        String::new()
    } else if x > 0.0 {
        "inf".to_string()
    } else {
        "-inf".to_string()
    }
}

/// The line saying what a warm-up leaves out.
pub fn warm_up_line(w: &WarmUp, input: &ScenarioInput) -> String {
    let start = input.scenario.start;
    match w.end(start) {
        Some(end) => format!(
            "warm-up {w}: figures from the whole months starting on or after {end} (at_end.*: the state when the run ends)"
        ),
        None => format!("warm-up {w}"),
    }
}

/// True for metrics the terminal table shows (files have them all).
pub fn on_terminal(name: &str) -> bool {
    if name.starts_with("member.") {
        return name.ends_with(".placed_out_of_area_pct") || name.ends_with(".spend_pence");
    }
    !name.starts_with("by_financial_year.")
}

/// CSV bytes of `rows` (the first is the header). Every cell goes through
/// [`csv_cell`](crate::analysis::text::csv_cell): text a spreadsheet would take for a formula (a scenario
/// file named `=…`) is quoted with `'`; numbers stay numbers.
pub fn to_csv(rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        let _ = write_csv_record(&mut w, &r);
    }
    w.into_inner().unwrap_or_default()
}

/// The JSON of `run --replications`.
#[derive(Serialize)]
struct ReplicationsJson<'a> {
    familyflow: &'a str,
    scenario: &'a str,
    scenario_source: &'a str,
    base_seed: u64,
    seed_derivation: &'a str,
    replications: u32,
    warm_up: Option<String>,
    statistics: Vec<MetricStats<'a>>,
    runs: Vec<RunJson<'a>>,
}

#[derive(Serialize)]
struct MetricStats<'a> {
    metric: &'a str,
    #[serde(flatten)]
    stats: Stats,
}

#[derive(Serialize)]
struct RunJson<'a> {
    replication: u32,
    seed: u64,
    metrics: Ordered<'a>,
}

/// Metric values as a JSON object, in their order.
struct Ordered<'a>(&'a MetricValues);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// How seeds are derived, in words, for outputs.
pub const SEED_DERIVATION: &str =
    "replication i (from 0) uses the (i+1)-th output of SplitMix64 started from the base seed";

/// Replications of one scenario, in replication order, with their table
/// and statistics.
#[derive(Clone, Debug)]
pub struct Replications {
    /// Each replication's seed and metrics.
    pub runs: Vec<Replication>,
    /// Their metrics by replication.
    pub table: Table,
    /// Per metric, in the table's order.
    pub stats: Vec<(String, Stats)>,
    /// Worker threads used.
    pub threads: usize,
}

/// Runs `spec.replications` replications of `input` in parallel (each on
/// one thread, seeds from [`replication_seed`]), telling `progress` as
/// each ends. The result does not depend on the number of threads.
pub fn replicate(
    input: &ScenarioInput,
    spec: &ReplicationSpec,
    progress: &dyn Progress,
) -> Result<Replications, AnalysisError> {
    if spec.replications == 0 {
        return Err(AnalysisError::Invalid(
            "--replications must be at least 1".to_string(),
        ));
    }
    let threads = worker_threads(spec.threads)?;
    let r = spec.replications as usize;
    progress.begin("replications", r);
    let runs = run_jobs(r, threads, progress, |i| {
        let seed = replication_seed(spec.seed, i as u64);
        run_one(input, seed, spec.warm_up.as_ref()).map(|metrics| Replication {
            index: i as u32,
            seed,
            metrics,
        })
    })?;
    let table = Table::new(runs.iter().map(|r| &r.metrics));
    let stats = table_stats(&table);
    Ok(Replications {
        runs,
        table,
        stats,
        threads: threads.min(r),
    })
}

impl Replications {
    /// The JSON `run --replications --json` prints and `--out` writes.
    pub fn to_json(&self, input: &ScenarioInput, spec: &ReplicationSpec) -> String {
        let json = ReplicationsJson {
            familyflow: crate::VERSION,
            scenario: &input.scenario.name,
            scenario_source: &input.source,
            base_seed: spec.seed,
            seed_derivation: SEED_DERIVATION,
            replications: spec.replications,
            warm_up: spec.warm_up.as_ref().map(|w| w.to_string()),
            statistics: self
                .stats
                .iter()
                .map(|(metric, stats)| MetricStats {
                    metric,
                    stats: *stats,
                })
                .collect(),
            runs: self
                .runs
                .iter()
                .map(|r| RunJson {
                    replication: r.index,
                    seed: r.seed,
                    metrics: Ordered(&r.metrics),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("statistics serialise");
        text.push('\n');
        text
    }

    /// [`REPLICATIONS_CSV`]: one row per replication per metric.
    pub fn runs_csv(&self) -> Vec<u8> {
        let mut rows = vec![vec![
            "replication".to_string(),
            "seed".to_string(),
            "metric".to_string(),
            "value".to_string(),
        ]];
        for run in &self.runs {
            for (m, x) in &run.metrics {
                rows.push(vec![
                    run.index.to_string(),
                    run.seed.to_string(),
                    m.clone(),
                    csv_num(*x),
                ]);
            }
        }
        to_csv(rows)
    }

    /// [`SUMMARY_STATS_CSV`]: one row per metric.
    pub fn stats_csv(&self) -> Vec<u8> {
        let mut rows = vec![[
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "min",
            "max",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
        for (m, s) in &self.stats {
            rows.push(vec![
                m.clone(),
                s.n.to_string(),
                csv_num(s.mean),
                csv_num(s.sd),
                csv_num(s.ci95_low),
                csv_num(s.ci95_high),
                csv_num(s.min),
                csv_num(s.max),
            ]);
        }
        to_csv(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_that_looks_like_a_formula_is_quoted_and_numbers_are_not() {
        // Issue 14, finding 13: every CSV cell goes through one helper.
        let rows = vec![
            vec!["scenario".to_string(), "value".to_string()],
            vec!["=1+1".to_string(), csv_num(-0.5)],
            vec!["@SUM(A1)".to_string(), csv_num(f64::NEG_INFINITY)],
            vec!["+x".to_string(), "-12".to_string()],
            vec!["a.toml".to_string(), csv_num(2.0)],
        ];
        let text = String::from_utf8(to_csv(rows)).unwrap();
        assert_eq!(
            text,
            "scenario,value\n'=1+1,-0.5\n'@SUM(A1),-inf\n'+x,-12\na.toml,2\n"
        );
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% (p = 0.975) and 99% (p = 0.995) values, computed to 17
        // digits with mpmath (30-digit arithmetic); they agree with printed tables.
        let known = [
            (1.0, 0.975, 12.706_204_736_174_7),
            (2.0, 0.975, 4.302_652_729_749_46),
            (3.0, 0.975, 3.182_446_305_284_26),
            (5.0, 0.975, 2.570_581_835_636_31),
            (10.0, 0.975, 2.228_138_851_986_27),
            (19.0, 0.975, 2.093_024_054_408_26),
            (30.0, 0.975, 2.042_272_456_301_24),
            (100.0, 0.975, 1.983_971_518_523_55),
            (1000.0, 0.975, 1.962_339_080_826_408),
            (f64::INFINITY, 0.975, 1.959_963_984_540_05),
            (1.0, 0.995, 63.656_741_162_871_6),
            (4.0, 0.995, 4.604_094_871_349_993),
            (f64::INFINITY, 0.995, 2.575_829_303_548_9),
        ];
        for (df, p, want) in known {
            let got = t_quantile(p, df);
            assert!(
                (got - want).abs() < 1e-9 * want,
                "t({p}, {df}) = {got}, want {want}"
            );
            assert!((t_quantile(1.0 - p, df) + want).abs() < 1e-9 * want);
        }
        assert_eq!(t_quantile(0.5, 7.0), 0.0);
        assert!(t_quantile(1.0, 7.0).is_nan());
        assert!(t_quantile(0.9, 0.0).is_nan());
    }

    #[test]
    fn seeds_are_splitmix64() {
        // SplitMix64 from state 0: its first outputs are published test vectors.
        assert_eq!(replication_seed(0, 0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(replication_seed(0, 1), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(replication_seed(0, 2), 0x06C4_5D18_8009_454F);
        // Deterministic, distinct, and independent seeds are a different sequence.
        let common: Vec<u64> = (0..1000).map(|i| replication_seed(1, i)).collect();
        let indep: Vec<u64> = (0..1000).map(|i| independent_seed(1, i)).collect();
        let mut all: Vec<u64> = common.iter().chain(&indep).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 2000);
        assert_eq!(common[7], replication_seed(1, 7));
        assert_ne!(replication_seed(1, 0), replication_seed(2, 0));
    }

    #[test]
    fn stats_of_known_values() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        let half = 2.776_445_105_197_8 * s.sd / 5f64.sqrt();
        assert!((s.ci95_high - 3.0 - half).abs() < 1e-9);
        assert_eq!((s.min, s.max), (1.0, 5.0));
        assert!(Stats::of(&[2.0]).sd.is_nan());
    }

    #[test]
    fn jobs_come_back_in_order_and_the_first_error_wins() {
        let p = crate::analysis::Unwatched;
        for threads in [1, 2, 4] {
            let out: Result<Vec<usize>, usize> = run_jobs(50, threads, &p, |j| Ok(j * j));
            assert_eq!(out.unwrap(), (0..50).map(|j| j * j).collect::<Vec<_>>());
            let out: Result<Vec<usize>, usize> =
                run_jobs(50, threads, &p, |j| if j % 7 == 3 { Err(j) } else { Ok(j) });
            assert_eq!(out.unwrap_err(), 3);
        }
    }

    #[test]
    fn warm_up_parses_and_ends() {
        let start = CivilDate::new(2024, 4, 1).unwrap();
        let w: WarmUp = "2y".parse().unwrap();
        assert_eq!(w.end(start), CivilDate::new(2026, 4, 1));
        let w: WarmUp = "18m".parse().unwrap();
        assert_eq!(w.end(start), CivilDate::new(2025, 10, 1));
        let w: WarmUp = "90d".parse().unwrap();
        assert_eq!(w.end(start), CivilDate::new(2024, 6, 30));
        let jan31 = CivilDate::new(2024, 1, 31).unwrap();
        let w: WarmUp = "1m".parse().unwrap();
        assert_eq!(w.end(jan31), CivilDate::new(2024, 2, 29));
        for bad in ["", "2", "y", "2w", "-1m", "0d", "1.5y"] {
            assert!(bad.parse::<WarmUp>().is_err(), "{bad}");
        }
    }
}
