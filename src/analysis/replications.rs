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
//! depend on the number of threads. [`fold_jobs`] hands each result over in
//! job order as soon as the jobs before it are done, so that [`replicate`]
//! and [`compare_inputs`](crate::analysis::compare::compare_inputs) fold
//! each run's metrics into a [`Table`] at once and hold only a few runs'
//! lists of named values at a time.
//!
//! # Memory
//!
//! A [`Table`] keeps the metric names once and each replication's values
//! as a row of numbers: about 8 bytes a metric a replication (5 KB for the
//! default scenario's 624 metrics), where a run's list of named values
//! ([`MetricValues`]) takes about 100 bytes a metric. Before
//! any run, a request is estimated ([`MemoryEstimate`]: replications x
//! metrics x 8 bytes, and a run's [size estimate](Scenario::size_estimate)
//! per worker thread) and refused beyond [`MAX_REPLICATIONS_BYTES`]
//! (4 GiB), with the estimate and how many replications would fit, unless
//! forced (the command line's `--force`, [`size_forced`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use serde::Serialize;

use crate::analysis::summary::{thousands, Summary};
use crate::analysis::text::write_csv_record;
use crate::analysis::{metric_registry, run, AnalysisError, Progress};
use crate::model::calendar::CivilDate;
use crate::model::input::ScenarioInput;
use crate::model::scenario::{size_forced, Scenario, MAX_RUN_BYTES};

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

/// Metric values by replication, aligned by name: each name once, each
/// replication's values as one row of numbers (8 bytes a value, and a bit
/// for each value it lacks), so a replication costs about 8 bytes a metric
/// however long the names are.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Metric names, in the order first seen.
    names: Vec<String>,
    /// Columns sorted by name, to find a name's column.
    sorted: Vec<u32>,
    /// One per replication, in the order pushed.
    rows: Vec<Row>,
}

/// One replication's values.
#[derive(Clone, Debug, Default)]
struct Row {
    /// By column; the columns of names first seen after this row was pushed
    /// are past its end, and it has no value there.
    values: Box<[f64]>,
    /// Bit `c` set: no value in column `c` (None: a value in every column
    /// up to `values.len()`).
    missing: Option<Box<[u64]>>,
    /// The columns in the order the run gave them, when that is not the
    /// table's order (None: ascending columns, the common case).
    order: Option<Box<[u32]>>,
}

impl Row {
    fn get(&self, m: usize) -> Option<f64> {
        let x = *self.values.get(m)?;
        match &self.missing {
            Some(bits) if bits[m / 64] >> (m % 64) & 1 == 1 => None,
            _ => Some(x),
        }
    }
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

    /// Adds a replication: its values are copied into a row, so `run` can
    /// be dropped at once. A name the run gives twice keeps its last value
    /// (the registry gives each key once).
    pub fn push(&mut self, run: &MetricValues) {
        let mut values = vec![f64::NAN; self.names.len()];
        let mut columns: Vec<u32> = Vec::with_capacity(run.len());
        for (i, (name, x)) in run.iter().enumerate() {
            // Runs of one scenario list the same names in the same order.
            let c = if self.names.get(i).is_some_and(|n| n == name) {
                i
            } else {
                self.column_or_add(name)
            };
            if c >= values.len() {
                values.resize(c + 1, f64::NAN);
            }
            values[c] = *x;
            columns.push(c as u32);
        }
        let mut missing = vec![u64::MAX; values.len().div_ceil(64)];
        for &c in &columns {
            missing[c as usize / 64] &= !(1u64 << (c % 64));
        }
        if let Some(last) = missing.last_mut() {
            if values.len() % 64 != 0 {
                *last &= (1u64 << (values.len() % 64)) - 1;
            }
        }
        let ascending = columns.windows(2).all(|w| w[0] < w[1]);
        self.rows.push(Row {
            values: values.into_boxed_slice(),
            missing: missing
                .iter()
                .any(|&b| b != 0)
                .then(|| missing.into_boxed_slice()),
            order: (!ascending).then(|| columns.into_boxed_slice()),
        });
    }

    /// The column of `name`, added if it is new.
    fn column_or_add(&mut self, name: &str) -> usize {
        let names = &self.names;
        match self
            .sorted
            .binary_search_by(|&c| names[c as usize].as_str().cmp(name))
        {
            Ok(at) => self.sorted[at] as usize,
            Err(at) => {
                let c = self.names.len();
                self.names.push(name.to_string());
                self.sorted.insert(at, c as u32);
                c
            }
        }
    }

    /// Room for `rows` more replications.
    pub fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
    }

    /// The metric names, in the order first seen.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of replications.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no replications.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The column of a metric.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.sorted
            .binary_search_by(|&c| self.names[c as usize].as_str().cmp(name))
            .ok()
            .map(|at| self.sorted[at] as usize)
    }

    /// Replication `r`'s value of metric `m`, if it has one.
    pub fn get(&self, r: usize, m: usize) -> Option<f64> {
        self.rows.get(r)?.get(m)
    }

    /// Replication `r`'s metrics as the run gave them: `(name, value)` in
    /// its order.
    pub fn row(&self, r: usize) -> impl Iterator<Item = (&str, f64)> + '_ {
        let row = &self.rows[r];
        let columns: Box<dyn Iterator<Item = usize> + '_> = match &row.order {
            Some(order) => Box::new(order.iter().map(|&c| c as usize)),
            None => Box::new((0..row.values.len()).filter(|&c| row.get(c).is_some())),
        };
        columns.map(move |c| (self.names[c].as_str(), row.values[c]))
    }

    /// How many metrics replication `r` has.
    pub fn row_len(&self, r: usize) -> usize {
        let row = &self.rows[r];
        match (&row.order, &row.missing) {
            (Some(order), _) => order.len(),
            (None, None) => row.values.len(),
            (None, Some(bits)) => {
                row.values.len() - bits.iter().map(|b| b.count_ones() as usize).sum::<usize>()
            }
        }
    }

    /// The values of metric `m` that replications have.
    pub fn column(&self, m: usize) -> Vec<f64> {
        self.rows.iter().filter_map(|r| r.get(m)).collect()
    }
}

// ---------------------------------------------------------------------------
// Running jobs in parallel

/// How many finished jobs, per worker thread, may wait for an earlier one
/// to finish before [`fold_jobs`]' workers stop taking new jobs: what
/// bounds the results held at once.
pub const AHEAD_PER_WORKER: usize = 4;

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
    let mut out = Vec::with_capacity(jobs);
    // Every result is kept anyway: workers need not wait for earlier jobs.
    fold_in_order(jobs, threads, usize::MAX, progress, f, |_, t| out.push(t))?;
    Ok(out)
}

/// Runs jobs `0..jobs` like [`run_jobs`], but hands each result to `fold`
/// in job order as soon as the jobs before it are done, instead of keeping
/// them all: a result waits only while an earlier job runs, and workers
/// take no job more than [`AHEAD_PER_WORKER`] per worker past the first
/// unfinished one, so at most about that many results are held at once.
/// What `fold` sees does not depend on the number of threads; on failure,
/// the error is [`run_jobs`]' and `fold` has seen the jobs before it.
pub fn fold_jobs<T, E, F, G>(
    jobs: usize,
    threads: usize,
    progress: &dyn Progress,
    f: F,
    fold: G,
) -> Result<(), E>
where
    T: Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
    G: FnMut(usize, T) + Send,
{
    let workers = threads.clamp(1, jobs.max(1));
    fold_in_order(
        jobs,
        threads,
        workers.saturating_mul(AHEAD_PER_WORKER),
        progress,
        f,
        fold,
    )
}

/// What the workers of [`fold_in_order`] share under its lock.
struct Folding<T, E, G> {
    /// The next job to fold: every job before it is folded.
    next: usize,
    /// Finished jobs waiting for an earlier one, by job.
    waiting: std::collections::BTreeMap<usize, Result<T, E>>,
    /// The error of job `next`, which stops the folding.
    failed: Option<E>,
    /// A worker panicked: the others stop.
    abandoned: bool,
    fold: G,
}

/// Sets `abandoned` and wakes the waiting workers if its worker panics, so
/// that none waits for a job that will never finish.
struct PanicGuard<'a, T, E, G> {
    state: &'a Mutex<Folding<T, E, G>>,
    turn: &'a Condvar,
}

impl<T, E, G> Drop for PanicGuard<'_, T, E, G> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .abandoned = true;
            self.turn.notify_all();
        }
    }
}

/// The job runner behind [`run_jobs`] and [`fold_jobs`]: no worker takes a
/// job `ahead` or more past the first one not yet folded.
fn fold_in_order<T, E, F, G>(
    jobs: usize,
    threads: usize,
    ahead: usize,
    progress: &dyn Progress,
    f: F,
    fold: G,
) -> Result<(), E>
where
    T: Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
    G: FnMut(usize, T) + Send,
{
    let ahead = ahead.max(1);
    let taken = AtomicUsize::new(0);
    let first_failure = AtomicUsize::new(usize::MAX);
    let state = Mutex::new(Folding {
        next: 0,
        waiting: std::collections::BTreeMap::new(),
        failed: None,
        abandoned: false,
        fold,
    });
    let turn = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    let workers = threads.clamp(1, jobs.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let _guard = PanicGuard {
                    state: &state,
                    turn: &turn,
                };
                loop {
                    let job = taken.fetch_add(1, Ordering::Relaxed);
                    let skipped = || job > first_failure.load(Ordering::Relaxed);
                    if job >= jobs || skipped() {
                        break;
                    }
                    {
                        // The job before `next + ahead` that holds it up is
                        // running on another worker (jobs are taken in order).
                        let mut s = lock();
                        while job >= s.next.saturating_add(ahead) && !s.abandoned && !skipped() {
                            s = turn.wait(s).unwrap_or_else(|p| p.into_inner());
                        }
                        if s.abandoned || skipped() {
                            break;
                        }
                    }
                    let result = f(job);
                    if result.is_err() {
                        first_failure.fetch_min(job, Ordering::Relaxed);
                    }
                    progress.tick();
                    let mut s = lock();
                    s.waiting.insert(job, result);
                    while s.failed.is_none() {
                        let next = s.next;
                        match s.waiting.remove(&next) {
                            Some(Ok(t)) => {
                                (s.fold)(next, t);
                                s.next += 1;
                            }
                            Some(Err(e)) => s.failed = Some(e),
                            None => break,
                        }
                    }
                    drop(s);
                    turn.notify_all();
                }
            });
        }
    });
    let s = state.into_inner().unwrap_or_else(|p| p.into_inner());
    match s.failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
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

/// Runs of one scenario, in replication order: each one's seed, and their
/// metrics in a [`Table`].
#[derive(Clone, Debug, Default)]
pub struct Runs {
    /// Run `i`'s seed.
    pub seeds: Vec<u64>,
    /// Run `i`'s metrics are row `i`.
    pub table: Table,
}

impl Runs {
    /// Room for `runs` runs.
    pub fn with_capacity(runs: usize) -> Runs {
        let mut table = Table::default();
        table.reserve(runs);
        Runs {
            seeds: Vec::with_capacity(runs),
            table,
        }
    }

    /// Adds a run; its metrics are copied into the table.
    pub fn push(&mut self, seed: u64, metrics: &MetricValues) {
        self.seeds.push(seed);
        self.table.push(metrics);
    }

    /// The number of runs.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Memory

/// The most memory a `run --replications` or `compare` request may be
/// estimated to need ([`MemoryEstimate`]) unless forced (`--force`): 4 GiB,
/// as for one run ([`MAX_RUN_BYTES`]).
pub const MAX_REPLICATIONS_BYTES: f64 = MAX_RUN_BYTES;

/// A metric's value held for a replication in a [`Table`]: 8 bytes, and a
/// bit when the replication lacks it.
pub const BYTES_PER_VALUE: f64 = 8.125;

/// A replication's own bytes in a [`Runs`] besides its values: its seed and
/// its row (a few pointers), with room for the allocator.
const BYTES_PER_RUN: f64 = 96.0;

/// A metric in a finished run's list ([`MetricValues`]) while it waits to
/// be folded into the table: the `(String, f64)` pair and the name's bytes.
const BYTES_PER_LISTED_METRIC: f64 = 112.0;

/// Metrics a region's run reports per council and for the whole region
/// (`region.*`, `member.N.*`): the figures of
/// [`crate::analysis::region`], with room to spare.
const REGION_METRICS_PER_PART: usize = 32;

/// What a request for many runs is estimated to need in memory: every run's
/// metrics kept (runs x metrics x [`BYTES_PER_VALUE`]), and while they run,
/// one run per worker thread ([`Scenario::size_estimate`]) with the finished
/// runs waiting for an earlier one ([`AHEAD_PER_WORKER`] per worker).
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Runs kept: replications, times the scenarios and seeds of a comparison.
    pub runs: u64,
    /// Metrics a run reports (estimated from the registry and the run's
    /// financial years).
    pub metrics: usize,
    /// Runs at once (worker threads).
    pub workers: usize,
    /// One run's estimated size ([`Scenario::size_estimate`]).
    pub run_bytes: f64,
    /// The kept metrics.
    pub kept_bytes: f64,
    /// The runs in progress and the results waiting to be folded.
    pub running_bytes: f64,
    /// The total.
    pub bytes: f64,
}

impl MemoryEstimate {
    /// The estimate for `runs` runs of `metrics` metrics each, `workers` at
    /// once, each run needing `run_bytes`.
    pub fn new(runs: u64, metrics: usize, workers: usize, run_bytes: f64) -> MemoryEstimate {
        let m = metrics as f64;
        let kept_bytes = runs as f64 * (m * BYTES_PER_VALUE + BYTES_PER_RUN);
        let waiting = (workers * (AHEAD_PER_WORKER + 1)) as f64 * m * BYTES_PER_LISTED_METRIC;
        let running_bytes = workers as f64 * run_bytes + waiting;
        MemoryEstimate {
            runs,
            metrics,
            workers,
            run_bytes,
            kept_bytes,
            running_bytes,
            bytes: kept_bytes + running_bytes,
        }
    }

    /// The most runs that fit in [`MAX_REPLICATIONS_BYTES`] with the same
    /// metrics and workers.
    pub fn runs_that_fit(&self) -> u64 {
        let per_run = self.metrics as f64 * BYTES_PER_VALUE + BYTES_PER_RUN;
        ((MAX_REPLICATIONS_BYTES - self.running_bytes) / per_run).max(0.0) as u64
    }

    /// An error when the estimate is over [`MAX_REPLICATIONS_BYTES`] and
    /// the command line's `--force` was not given ([`size_forced`]): `what`
    /// names the request (`--replications 1000000`) and `per_replication`
    /// is how many runs a replication makes.
    pub fn check(&self, what: &str, per_replication: u64) -> Result<(), AnalysisError> {
        self.check_forced(what, per_replication, size_forced())
    }

    /// [`MemoryEstimate::check`], admitting any estimate when `forced`.
    pub fn check_forced(
        &self,
        what: &str,
        per_replication: u64,
        forced: bool,
    ) -> Result<(), AnalysisError> {
        if forced || self.bytes <= MAX_REPLICATIONS_BYTES {
            return Ok(());
        }
        let per_replication = per_replication.max(1);
        let fit = self.runs_that_fit() / per_replication;
        let threads = format!(
            "fewer --threads (each of the {} runs at once may need about {})",
            self.workers,
            bytes_text(self.run_bytes)
        );
        let advice = if fit == 0 {
            format!("run {threads}")
        } else if self.running_bytes * 2.0 > MAX_REPLICATIONS_BYTES {
            format!(
                "ask for at most {} replications, or run {threads}",
                thousands(fit)
            )
        } else {
            format!("ask for at most {} replications", thousands(fit))
        };
        let advice = format!("{advice}, or give --force if the machine has the memory");
        let runs = if per_replication > 1 {
            format!(" ({} runs)", thousands(self.runs))
        } else {
            String::new()
        };
        Err(AnalysisError::Invalid(format!(
            "{what}: estimated to need about {} of memory, more than the {} allowed ({} replications{runs} x {} metrics x {} bytes kept, and {} for the {} runs at once); {advice}",
            bytes_text(self.bytes),
            bytes_text(MAX_REPLICATIONS_BYTES),
            thousands(self.runs / per_replication),
            thousands(self.metrics as u64),
            BYTES_PER_VALUE,
            bytes_text(self.running_bytes),
            self.workers,
        )))
    }
}

/// Bytes in words: `512 KiB`, `3.2 GiB`.
fn bytes_text(b: f64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = b.max(0.0);
    let mut unit = 0;
    while x >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{x:.0} bytes")
    } else {
        format!("{x:.1} {}", UNITS[unit])
    }
}

/// How many metrics a run of `scenario` reports, from the registry's
/// entries: every key of the summary's, `by_financial_year.{year}.*` for
/// each financial year the run touches; with a warm-up, the figures after it
/// and `at_end.*`.
pub fn metrics_estimate(scenario: &Scenario, warm_up: bool) -> usize {
    let years = vec!["year"; scenario.years as usize + 1];
    metric_registry::entries()
        .iter()
        .filter(|e| {
            let after = e.key.starts_with("after_warm_up.");
            if warm_up {
                after || e.key.starts_with("at_end.")
            } else {
                !after
            }
        })
        .map(|e| e.keys(&years).len())
        .sum()
}

/// How many metrics a region's run reports.
pub fn region_metrics_estimate(members: usize) -> usize {
    REGION_METRICS_PER_PART * (members + 1)
}

/// The memory estimate of `spec` on `input` (see [`MemoryEstimate`]).
pub fn memory_estimate(
    input: &ScenarioInput,
    spec: &ReplicationSpec,
) -> Result<MemoryEstimate, AnalysisError> {
    let r = u64::from(spec.replications);
    let workers = worker_threads(spec.threads)?.clamp(1, (r as usize).max(1));
    Ok(MemoryEstimate::new(
        r,
        metrics_estimate(&input.scenario, spec.warm_up.is_some()),
        workers,
        input.scenario.size_estimate().bytes,
    ))
}

/// Checks a request for replications before any run: at least one, a
/// thread count of at least one, and an estimated memory
/// ([`memory_estimate`]) within [`MAX_REPLICATIONS_BYTES`].
pub fn check(input: &ScenarioInput, spec: &ReplicationSpec) -> Result<(), AnalysisError> {
    if spec.replications == 0 {
        return Err(AnalysisError::Invalid(
            "--replications must be at least 1".to_string(),
        ));
    }
    memory_estimate(input, spec)?.check(&format!("--replications {}", spec.replications), 1)
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
    runs: RunsJson<'a>,
}

#[derive(Serialize)]
struct MetricStats<'a> {
    metric: &'a str,
    #[serde(flatten)]
    stats: Stats,
}

/// Every replication, serialised from the table as it is written.
struct RunsJson<'a>(&'a Runs);

impl Serialize for RunsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let runs = self.0;
        let mut seq = s.serialize_seq(Some(runs.len()))?;
        for (r, &seed) in runs.seeds.iter().enumerate() {
            seq.serialize_element(&RunJson {
                replication: r as u32,
                seed,
                metrics: Ordered(&runs.table, r),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct RunJson<'a> {
    replication: u32,
    seed: u64,
    metrics: Ordered<'a>,
}

/// Replication `.1`'s metrics as a JSON object, in the run's order.
struct Ordered<'a>(&'a Table, usize);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Ordered(table, r) = *self;
        let mut m = s.serialize_map(Some(table.row_len(r)))?;
        for (k, v) in table.row(r) {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

/// How seeds are derived, in words, for outputs.
pub const SEED_DERIVATION: &str =
    "replication i (from 0) uses the (i+1)-th output of SplitMix64 started from the base seed";

/// Replications of one scenario, in replication order, with their
/// statistics.
#[derive(Clone, Debug)]
pub struct Replications {
    /// Each replication's seed and metrics.
    pub runs: Runs,
    /// Per metric, in the table's order.
    pub stats: Vec<(String, Stats)>,
    /// Worker threads used.
    pub threads: usize,
}

/// Runs `spec.replications` replications of `input` in parallel (each on
/// one thread, seeds from [`replication_seed`]), telling `progress` as
/// each ends. Each run's metrics go into the table as soon as the runs
/// before it are done, so memory grows by about 8 bytes a metric a
/// replication; a request estimated beyond [`MAX_REPLICATIONS_BYTES`] is
/// refused before any run ([`check`]) unless forced (`--force`). The
/// result does not depend on the number of threads.
pub fn replicate(
    input: &ScenarioInput,
    spec: &ReplicationSpec,
    progress: &dyn Progress,
) -> Result<Replications, AnalysisError> {
    check(input, spec)?;
    let threads = worker_threads(spec.threads)?;
    let r = spec.replications as usize;
    progress.begin("replications", r);
    let mut runs = Runs::with_capacity(r);
    fold_jobs(
        r,
        threads,
        progress,
        |i| {
            crate::analysis::stop_requested(progress)?;
            let seed = replication_seed(spec.seed, i as u64);
            run_one(input, seed, spec.warm_up.as_ref()).map(|metrics| (seed, metrics))
        },
        |_, (seed, metrics)| runs.push(seed, &metrics),
    )?;
    let stats = table_stats(&runs.table);
    Ok(Replications {
        runs,
        stats,
        threads: threads.min(r),
    })
}

/// CSV rows written one at a time into `w` (every cell through
/// [`csv_cell`](crate::analysis::text::csv_cell), as [`to_csv`] does).
pub struct CsvOut<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> CsvOut<W> {
    /// Rows into `w`.
    pub fn new(w: W) -> Self {
        CsvOut(csv::Writer::from_writer(w))
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        write_csv_record(&mut self.0, cells).map_err(std::io::Error::from)
    }

    /// Flushes the rows into `w`.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Replications {
    /// The JSON `run --replications --json` prints and `--out` writes.
    pub fn to_json(&self, input: &ScenarioInput, spec: &ReplicationSpec) -> String {
        let mut out = Vec::new();
        self.write_json(input, spec, &mut out)
            .expect("statistics serialise");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// [`Replications::to_json`] written into `w` as it is made (the runs
    /// are not held as text).
    pub fn write_json(
        &self,
        input: &ScenarioInput,
        spec: &ReplicationSpec,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
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
            runs: RunsJson(&self.runs),
        };
        serde_json::to_writer_pretty(&mut *w, &json).map_err(std::io::Error::from)?;
        w.write_all(b"\n")
    }

    /// [`REPLICATIONS_CSV`]: one row per replication per metric.
    pub fn runs_csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_runs_csv(&mut out).expect("CSV into memory");
        out
    }

    /// [`Replications::runs_csv`] written into `w` row by row.
    pub fn write_runs_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut csv = CsvOut::new(w);
        csv.row(["replication", "seed", "metric", "value"])?;
        let table = &self.runs.table;
        for (r, seed) in self.runs.seeds.iter().enumerate() {
            let (r_text, seed_text) = (r.to_string(), seed.to_string());
            for (m, x) in table.row(r) {
                csv.row([r_text.as_str(), seed_text.as_str(), m, &csv_num(x)])?;
            }
        }
        csv.finish()
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

    fn values(names: &[(&str, f64)]) -> MetricValues {
        names.iter().map(|(n, x)| (n.to_string(), *x)).collect()
    }

    #[test]
    fn the_table_gives_back_each_run_as_it_came() {
        // Runs that lack metrics, bring new ones, list them in another
        // order, or hold NaN (a value, not a missing one).
        let runs = vec![
            values(&[("b", 1.0), ("a", 2.0), ("c", 3.0)]),
            values(&[("b", 4.0), ("c", 5.0)]),
            values(&[("c", 6.0), ("d", f64::NAN), ("b", 7.0)]),
            values(&[]),
            values(&[("b", 8.0), ("a", 9.0), ("c", 10.0), ("d", 11.0)]),
        ];
        let t = Table::new(&runs);
        assert_eq!(t.names(), ["b", "a", "c", "d"]);
        assert_eq!(t.len(), 5);
        for (r, run) in runs.iter().enumerate() {
            let back: Vec<(String, f64)> = t.row(r).map(|(n, x)| (n.to_string(), x)).collect();
            assert_eq!(back.len(), run.len(), "row {r}");
            assert_eq!(t.row_len(r), run.len(), "row {r}");
            for ((n, x), (m, y)) in back.iter().zip(run) {
                assert_eq!(n, m, "row {r}");
                assert_eq!(x.to_bits(), y.to_bits(), "row {r}, {n}");
            }
        }
        assert_eq!(t.index("c"), Some(2));
        assert_eq!(t.index("e"), None);
        assert_eq!(t.get(1, 1), None, "run 1 has no `a`");
        assert_eq!(t.get(0, 3), None, "`d` came later");
        assert!(t.get(2, 3).unwrap().is_nan());
        assert_eq!(t.column(1), [2.0, 9.0]);
        assert_eq!(t.column(2), [3.0, 5.0, 6.0, 10.0]);
        // Missing bits past the first word of 64.
        let wide: Vec<MetricValues> = vec![
            (0..130).map(|i| (format!("m{i:03}"), i as f64)).collect(),
            (0..130)
                .filter(|i| i % 3 == 0)
                .map(|i| (format!("m{i:03}"), -(i as f64)))
                .collect(),
        ];
        let t = Table::new(&wide);
        for m in 0..130 {
            assert_eq!(t.get(0, m), Some(m as f64));
            assert_eq!(t.get(1, m), (m % 3 == 0).then(|| -(m as f64)), "{m}");
        }
        assert_eq!(t.row_len(1), 44);
    }

    #[test]
    fn folded_jobs_come_in_order_with_few_waiting() {
        use std::sync::atomic::AtomicUsize;
        let p = crate::analysis::Unwatched;
        for threads in [1, 2, 3, 8] {
            let (started, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let folded = AtomicUsize::new(0);
            let mut seen = Vec::new();
            let out: Result<(), usize> = fold_jobs(
                200,
                threads,
                &p,
                |j| {
                    let ahead =
                        started.fetch_add(1, Ordering::SeqCst) + 1 - folded.load(Ordering::SeqCst);
                    most.fetch_max(ahead, Ordering::SeqCst);
                    // Uneven jobs, so later ones finish first.
                    std::thread::sleep(std::time::Duration::from_micros(
                        ((j * 7919) % 13) as u64 * 50,
                    ));
                    Ok(j * 3)
                },
                |j, x| {
                    assert_eq!(x, j * 3);
                    seen.push(j);
                    folded.fetch_add(1, Ordering::SeqCst);
                },
            );
            out.unwrap();
            assert_eq!(seen, (0..200).collect::<Vec<_>>(), "{threads} threads");
            let bound = threads * AHEAD_PER_WORKER + threads;
            let most = most.load(Ordering::SeqCst);
            assert!(most <= bound, "{most} jobs unfolded, {threads} threads");
            // The first failure wins, and the jobs before it were folded.
            let mut seen = Vec::new();
            let out: Result<(), usize> = fold_jobs(
                60,
                threads,
                &p,
                |j| if j == 17 || j == 40 { Err(j) } else { Ok(j) },
                |j, _| seen.push(j),
            );
            assert_eq!(out.unwrap_err(), 17);
            assert_eq!(seen, (0..17).collect::<Vec<_>>());
        }
    }

    #[test]
    #[should_panic(expected = "panicked")]
    fn a_panicking_job_does_not_leave_workers_waiting() {
        let p = crate::analysis::Unwatched;
        let _ = fold_jobs(
            100,
            2,
            &p,
            |j| -> Result<usize, ()> {
                if j == 5 {
                    panic!("job 5 panics");
                }
                Ok(j)
            },
            |_, _| {},
        );
    }

    #[test]
    fn the_memory_estimate_grows_with_replications_and_threads() {
        let input = crate::model::input::ScenarioInput::builtin();
        let spec = |replications, threads| ReplicationSpec {
            replications,
            seed: 1,
            threads: Some(threads),
            warm_up: None,
        };
        let e = memory_estimate(&input, &spec(1000, 2)).unwrap();
        assert_eq!((e.runs, e.workers), (1000, 2));
        assert!(e.metrics > 500 && e.metrics < 2000, "{e:?}");
        let more = memory_estimate(&input, &spec(2000, 2)).unwrap();
        let kept = |e: &MemoryEstimate| e.kept_bytes;
        assert!((kept(&more) - 2.0 * kept(&e)).abs() < 1.0);
        let threads = memory_estimate(&input, &spec(1000, 4)).unwrap();
        assert!(threads.running_bytes > 1.9 * e.running_bytes);
        // Workers are never more than the replications.
        assert_eq!(memory_estimate(&input, &spec(1, 8)).unwrap().workers, 1);
        assert!(check(&input, &spec(20, 2)).is_ok());
        assert!(check(&input, &spec(0, 2)).is_err());
        let err = check(&input, &spec(u32::MAX, 2)).unwrap_err().to_string();
        assert!(err.contains("4.0 GiB allowed"), "{err}");
        assert!(err.ends_with("or give --force if the machine has the memory"));
        // --force admits it.
        let huge = memory_estimate(&input, &spec(u32::MAX, 2)).unwrap();
        assert!(huge.check_forced("--replications", 1, false).is_err());
        assert!(huge.check_forced("--replications", 1, true).is_ok());
        assert_eq!(bytes_text(512.0), "512 bytes");
        assert_eq!(bytes_text(3.5 * 1024.0 * 1024.0 * 1024.0), "3.5 GiB");
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
