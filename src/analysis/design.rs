//! Experiment designs: which values of the uncertain factors to run.
//!
//! A design is pure, deterministic, seeded code: the same factors, design
//! and seed give the same rows on every platform (ChaCha8, `libm`). Each
//! row is a design point, one value per factor. The designs:
//!
//! * full factorial over each factor's levels (the last factor fastest);
//! * one at a time (a tornado): the base point, then each factor at its
//!   low and then its high value with the others at base;
//! * Latin hypercube: `points` rows, each factor's range cut into `points`
//!   strata of equal probability, one value in each;
//! * Morris elementary effects: `trajectories` trajectories of D + 1 rows on
//!   a grid of `levels` levels (Morris 1991, step Δ = p / (2 (p − 1))), as
//!   SALib's `morris` sampler lays them out;
//! * Saltelli's scheme for Sobol indices: for each of N base rows, A, then
//!   A with column i from B for each i (AB_i), then with second order B with
//!   column i from A (BA_i), then B: N (D + 2) rows, or N (2D + 2), the
//!   layout SALib's `sobol.analyze` reads. A and B are the first and last D
//!   coordinates of the 2D-dimensional Sobol' sequence (Joe and Kuo's
//!   direction numbers, Gray-code order, from point `skip`), as SALib 1.6's
//!   `sobol.sample(problem, N, scramble=False, skip_values=skip)` draws
//!   them through scipy's `qmc.Sobol`: the same matrix, to the bit, for
//!   uniform factors. SALib scrambles by default (Owen's LMS and a digital
//!   shift from numpy's generator); familyflow does not, so its design is
//!   SALib's unscrambled one. The seed plays no part.
//!
//! Distributions carry SALib's names and parameters: `unif` (lower, upper),
//! `triang` (lower, upper, peak as a fraction of the width), `norm` (mean,
//! standard deviation), `lognorm` (mean and standard deviation of the
//! logarithm). A design works on the unit hypercube and maps each column
//! through the factor's quantile function.
//!
//! SALib's files are read and written here: the parameter file (`name
//! lower upper [group] [dist]`, whitespace or comma separated, `#`
//! comments) and the sample matrix (whitespace-separated numbers, one row
//! per sample).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The most design points one design may have.
pub const MAX_POINTS: usize = 1_000_000;
/// The most factors one design may have.
pub const MAX_FACTORS: usize = 200;
/// The most values (points x factors) one design may hold: 160 MB.
pub const MAX_CELLS: usize = 20_000_000;
/// The most levels a factor may have.
pub const MAX_LEVELS: usize = 10_000;

/// A factor's distribution, with SALib's parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// `unif`: every value in [lower, upper] equally likely.
    Uniform {
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// `triang`: from lower to upper, most likely at lower + peak x (upper − lower).
    Triangular {
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
        /// Where the peak is, as a fraction of the width (0 to 1).
        peak: f64,
    },
    /// `norm`: normal with this mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// `lognorm`: its logarithm is normal with this mean and standard deviation.
    LogNormal {
        /// Mean of the logarithm.
        ln_mean: f64,
        /// Standard deviation of the logarithm (> 0).
        ln_sd: f64,
    },
}

impl Distribution {
    /// SALib's name of the distribution.
    pub fn salib_name(&self) -> &'static str {
        match self {
            Distribution::Uniform { .. } => "unif",
            Distribution::Triangular { .. } => "triang",
            Distribution::Normal { .. } => "norm",
            Distribution::LogNormal { .. } => "lognorm",
        }
    }

    /// Checks the parameters: finite, bounds in order, spreads positive.
    pub fn check(&self) -> Result<(), String> {
        let finite = |x: f64, what: &str| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(format!("{what} {x} is not a finite number"))
            }
        };
        match *self {
            Distribution::Uniform { lower, upper } => {
                finite(lower, "lower")?;
                finite(upper, "upper")?;
                if lower >= upper {
                    return Err(format!("unif: lower {lower} must be below upper {upper}"));
                }
            }
            Distribution::Triangular { lower, upper, peak } => {
                finite(lower, "lower")?;
                finite(upper, "upper")?;
                if lower >= upper {
                    return Err(format!("triang: lower {lower} must be below upper {upper}"));
                }
                if !(0.0..=1.0).contains(&peak) {
                    return Err(format!(
                        "triang: peak {peak} is a fraction of the width, 0 to 1"
                    ));
                }
            }
            Distribution::Normal { mean, sd } => {
                finite(mean, "mean")?;
                finite(sd, "sd")?;
                if sd <= 0.0 {
                    return Err(format!("norm: sd {sd} must be above 0"));
                }
            }
            Distribution::LogNormal { ln_mean, ln_sd } => {
                finite(ln_mean, "ln_mean")?;
                finite(ln_sd, "ln_sd")?;
                if ln_sd <= 0.0 || ln_sd > 10.0 {
                    return Err(format!(
                        "lognorm: ln_sd {ln_sd} must be above 0 (at most 10)"
                    ));
                }
                if ln_mean.abs() > 300.0 {
                    return Err(format!("lognorm: ln_mean {ln_mean} is out of range (±300)"));
                }
            }
        }
        Ok(())
    }

    /// Whether every value lies between two finite bounds.
    pub fn bounded(&self) -> bool {
        matches!(
            self,
            Distribution::Uniform { .. } | Distribution::Triangular { .. }
        )
    }

    /// The value with probability `u` below it (`u` in [0, 1]; 0 and 1 give
    /// the bounds of a bounded distribution, ±∞ or 0 of the others).
    pub fn quantile(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match *self {
            Distribution::Uniform { lower, upper } => lower + u * (upper - lower),
            Distribution::Triangular { lower, upper, peak } => {
                let width = upper - lower;
                if u < peak {
                    lower + (u * width * width * peak).sqrt()
                } else {
                    upper - ((1.0 - u) * width * width * (1.0 - peak)).sqrt()
                }
            }
            Distribution::Normal { mean, sd } => mean + sd * normal_quantile(u),
            Distribution::LogNormal { ln_mean, ln_sd } => {
                libm::exp(ln_mean + ln_sd * normal_quantile(u))
            }
        }
    }
}

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile (Acklam's rational approximation, then one
/// Halley step on `erfc`: about 1e-15 relative error). ±∞ at 0 and 1.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < LOW {
        tail((-2.0 * libm::log(p)).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * libm::log(1.0 - p)).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One step of Halley's method on the exact distribution function.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// One uncertain factor: a scenario field (its `--set` key) and what it may be.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The scenario field's key, as `--set` takes it (`family_help.fte`).
    pub name: String,
    /// Its distribution (for a factor given only by levels, uniform over them).
    pub distribution: Distribution,
    /// Explicit levels (full factorial; low and high of one at a time).
    pub levels: Option<Vec<f64>>,
    /// The base value of a one-at-a-time design (default: the median).
    pub base: Option<f64>,
    /// SALib's group, if any (read and written; designs treat factors one by one).
    pub group: Option<String>,
}

impl Factor {
    /// A uniform factor.
    pub fn uniform(name: &str, lower: f64, upper: f64) -> Factor {
        Factor {
            name: name.to_string(),
            distribution: Distribution::Uniform { lower, upper },
            levels: None,
            base: None,
            group: None,
        }
    }

    /// `n` levels: the explicit ones, else evenly spaced over a bounded
    /// distribution's range (bounds included) or at the middles of `n`
    /// equally likely strata of an unbounded one.
    pub fn levels(&self, n: usize) -> Vec<f64> {
        if let Some(l) = &self.levels {
            return l.clone();
        }
        (0..n)
            .map(|k| {
                let u = if self.distribution.bounded() {
                    if n == 1 {
                        0.5
                    } else {
                        k as f64 / (n - 1) as f64
                    }
                } else {
                    (k as f64 + 0.5) / n as f64
                };
                self.distribution.quantile(u)
            })
            .collect()
    }

    /// Low and high values of a one-at-a-time design: the first and last
    /// explicit levels, else the bounds, or the 5th and 95th percentiles of
    /// an unbounded distribution.
    pub fn low_high(&self) -> (f64, f64) {
        if let Some(l) = &self.levels {
            if let (Some(a), Some(b)) = (l.first(), l.last()) {
                return (*a, *b);
            }
        }
        if self.distribution.bounded() {
            (
                self.distribution.quantile(0.0),
                self.distribution.quantile(1.0),
            )
        } else {
            (
                self.distribution.quantile(0.05),
                self.distribution.quantile(0.95),
            )
        }
    }

    /// The base value of a one-at-a-time design.
    pub fn base_value(&self) -> f64 {
        self.base.unwrap_or_else(|| self.distribution.quantile(0.5))
    }
}

/// Which design.
#[derive(Clone, Debug, PartialEq)]
pub enum Design {
    /// Every combination of the factors' levels (`levels` each, unless a
    /// factor states its own).
    FullFactorial {
        /// Levels of a factor without explicit ones.
        levels: usize,
    },
    /// A base point, then each factor at its low and high value.
    OneAtATime,
    /// A Latin hypercube of `points` rows.
    LatinHypercube {
        /// Rows.
        points: usize,
    },
    /// Morris elementary-effects trajectories.
    Morris {
        /// Trajectories (r).
        trajectories: usize,
        /// Grid levels (p, even, at least 2).
        levels: usize,
    },
    /// Saltelli's scheme for Sobol indices.
    Saltelli {
        /// Base rows (N).
        n: usize,
        /// Also the rows for second-order indices.
        second_order: bool,
        /// Sobol' points skipped before the first base row (SALib's
        /// `skip_values`; 0 starts at the origin).
        skip: usize,
    },
}

impl Design {
    /// The design's name in an experiment file.
    pub fn name(&self) -> &'static str {
        match self {
            Design::FullFactorial { .. } => "full_factorial",
            Design::OneAtATime => "one_at_a_time",
            Design::LatinHypercube { .. } => "latin_hypercube",
            Design::Morris { .. } => "morris",
            Design::Saltelli { .. } => "saltelli",
        }
    }

    /// How many rows the design has for `d` factors (None: too many to count).
    pub fn rows(&self, factors: &[Factor]) -> Option<usize> {
        let d = factors.len();
        match *self {
            Design::FullFactorial { levels } => factors.iter().try_fold(1usize, |n, f| {
                n.checked_mul(f.levels.as_ref().map_or(levels, Vec::len))
            }),
            Design::OneAtATime => d.checked_mul(2)?.checked_add(1),
            Design::LatinHypercube { points } => Some(points),
            Design::Morris { trajectories, .. } => trajectories.checked_mul(d.checked_add(1)?),
            Design::Saltelli {
                n, second_order, ..
            } => {
                let per = if second_order { 2 * d + 2 } else { d + 2 };
                n.checked_mul(per)
            }
        }
    }
}

/// A design's rows: `rows[point][factor]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The factors' names, in column order.
    pub names: Vec<String>,
    /// One row per design point.
    pub rows: Vec<Vec<f64>>,
}

/// A seeded generator of unit numbers.
struct Unit(ChaCha8Rng);

impl Unit {
    fn new(seed: u64) -> Unit {
        Unit(ChaCha8Rng::seed_from_u64(seed))
    }
    /// Uniform in [0, 1), 53 bits.
    fn next(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in 0..n (n ≥ 1), without bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let x = self.0.next_u64();
            if x <= zone {
                return (x % n) as usize;
            }
        }
    }
    /// A random order of 0..n.
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
}

/// Checks the factors and the design's size.
fn check(factors: &[Factor], design: &Design) -> Result<usize, String> {
    if factors.is_empty() {
        return Err("no factors".into());
    }
    if factors.len() > MAX_FACTORS {
        return Err(format!("{} factors: at most {MAX_FACTORS}", factors.len()));
    }
    for (i, f) in factors.iter().enumerate() {
        f.distribution
            .check()
            .map_err(|e| format!("factor {}: {e}", f.name))?;
        if let Some(l) = &f.levels {
            if l.is_empty() || l.len() > MAX_LEVELS {
                return Err(format!(
                    "factor {}: 1 to {MAX_LEVELS} levels, found {}",
                    f.name,
                    l.len()
                ));
            }
            if let Some(x) = l.iter().find(|x| !x.is_finite()) {
                return Err(format!("factor {}: level {x} is not finite", f.name));
            }
        }
        if factors[..i].iter().any(|g| g.name == f.name) {
            return Err(format!("factor {} is named twice", f.name));
        }
    }
    match *design {
        Design::FullFactorial { levels } if levels == 0 || levels > MAX_LEVELS => {
            return Err(format!(
                "full_factorial: levels 1 to {MAX_LEVELS}, found {levels}"
            ))
        }
        Design::LatinHypercube { points: 0 } => {
            return Err("latin_hypercube: points must be at least 1".into())
        }
        Design::Morris {
            trajectories,
            levels,
        } => {
            if trajectories < 2 {
                return Err(format!(
                    "morris: trajectories must be at least 2 (found {trajectories})"
                ));
            }
            if levels < 2 || !levels.is_multiple_of(2) || levels > 1_000 {
                return Err(format!(
                    "morris: levels must be even, 2 to 1000 (found {levels})"
                ));
            }
            if let Some(f) = factors.iter().find(|f| !f.distribution.bounded()) {
                return Err(format!(
                    "morris: factor {} is {}; a Morris grid reaches the ends of each range, \
                     so use unif or triang",
                    f.name,
                    f.distribution.salib_name()
                ));
            }
        }
        Design::Saltelli { n, .. } if n < 2 => {
            return Err(format!("saltelli: n must be at least 2 (found {n})"))
        }
        Design::Saltelli { n, skip, .. } => {
            let dims = 2 * factors.len();
            if dims > SOBOL_DIMENSIONS {
                return Err(format!(
                    "saltelli: {} factors need a Sobol' sequence of {dims} dimensions: \
                     at most {SOBOL_DIMENSIONS} (so {} factors)",
                    factors.len(),
                    SOBOL_DIMENSIONS / 2
                ));
            }
            if skip > MAX_SOBOL_SKIP || n.checked_add(skip).is_none() {
                return Err(format!(
                    "saltelli: skip {skip}: at most {MAX_SOBOL_SKIP} Sobol' points are skipped"
                ));
            }
            if skip == 0 {
                if let Some(f) = factors.iter().find(|f| !f.distribution.bounded()) {
                    return Err(format!(
                        "saltelli: the first Sobol' point is 0 in every dimension, where factor \
                         {} ({}) has no finite value: set skip (SALib's skip_values), e.g. a \
                         power of two at least n",
                        f.name,
                        f.distribution.salib_name()
                    ));
                }
            }
        }
        _ => {}
    }
    match design.rows(factors) {
        Some(rows) if rows.saturating_mul(factors.len()) > MAX_CELLS => Err(format!(
            "{} has {rows} points of {} factors: at most {MAX_CELLS} values",
            design.name(),
            factors.len()
        )),
        Some(rows) if rows <= MAX_POINTS => Ok(rows),
        Some(rows) => Err(format!(
            "{} has {rows} points: at most {MAX_POINTS}",
            design.name()
        )),
        None => Err(format!("{} has too many points to count", design.name())),
    }
}

/// The most dimensions of the Sobol' sequence (Joe and Kuo's direction
/// numbers as the `sobol` crate's standard set holds them): a Saltelli
/// design's 2D.
pub const SOBOL_DIMENSIONS: usize = 1000;
/// The most Sobol' points a Saltelli design skips (2^24: each is computed).
pub const MAX_SOBOL_SKIP: usize = 1 << 24;

/// The design's rows for `factors`, drawn with `seed`.
pub fn generate(factors: &[Factor], design: &Design, seed: u64) -> Result<Sample, String> {
    let rows_expected = check(factors, design)?;
    let d = factors.len();
    let mut rng = Unit::new(seed);
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(rows_expected);
    // Maps a unit row to the factors' values.
    let map = |unit: &[f64]| -> Vec<f64> {
        unit.iter()
            .zip(factors)
            .map(|(u, f)| f.distribution.quantile(*u))
            .collect()
    };
    match *design {
        Design::FullFactorial { levels } => {
            let each: Vec<Vec<f64>> = factors.iter().map(|f| f.levels(levels)).collect();
            let mut at = vec![0usize; d];
            'rows: loop {
                rows.push(at.iter().enumerate().map(|(i, k)| each[i][*k]).collect());
                for i in (0..d).rev() {
                    at[i] += 1;
                    if at[i] < each[i].len() {
                        continue 'rows;
                    }
                    at[i] = 0;
                }
                break;
            }
        }
        Design::OneAtATime => {
            let base: Vec<f64> = factors.iter().map(Factor::base_value).collect();
            rows.push(base.clone());
            for (i, f) in factors.iter().enumerate() {
                let (low, high) = f.low_high();
                for v in [low, high] {
                    let mut r = base.clone();
                    r[i] = v;
                    rows.push(r);
                }
            }
        }
        Design::LatinHypercube { points } => {
            let columns: Vec<Vec<f64>> = (0..d)
                .map(|_| {
                    rng.permutation(points)
                        .into_iter()
                        .map(|k| (k as f64 + rng.next()) / points as f64)
                        .collect()
                })
                .collect();
            for p in 0..points {
                let unit: Vec<f64> = columns.iter().map(|c| c[p]).collect();
                rows.push(map(&unit));
            }
        }
        Design::Morris {
            trajectories,
            levels,
        } => {
            let p = levels as f64;
            let delta = p / (2.0 * (p - 1.0));
            // Starting grid values: 0, 1/(p−1), …, 1 − Δ.
            let starts = levels / 2;
            for _ in 0..trajectories {
                let base: Vec<f64> = (0..d)
                    .map(|_| rng.below(starts) as f64 / (p - 1.0))
                    .collect();
                let up: Vec<bool> = (0..d).map(|_| rng.below(2) == 1).collect();
                let order = rng.permutation(d);
                let mut x: Vec<f64> = (0..d)
                    .map(|i| if up[i] { base[i] } else { base[i] + delta })
                    .collect();
                rows.push(map(&x));
                for &i in &order {
                    x[i] = if up[i] { base[i] + delta } else { base[i] };
                    rows.push(map(&x));
                }
            }
        }
        Design::Saltelli {
            n,
            second_order,
            skip,
        } => {
            let params = sobol::params::JoeKuoD6::standard();
            for point in sobol::Sobol::<f64>::new(2 * d, &params).skip(skip).take(n) {
                let (a, b) = point.split_at(d);
                let (a, b) = (a.to_vec(), b.to_vec());
                rows.push(map(&a));
                for i in 0..d {
                    let mut ab = a.clone();
                    ab[i] = b[i];
                    rows.push(map(&ab));
                }
                if second_order {
                    for i in 0..d {
                        let mut ba = b.clone();
                        ba[i] = a[i];
                        rows.push(map(&ba));
                    }
                }
                rows.push(map(&b));
            }
        }
    }
    debug_assert_eq!(rows.len(), rows_expected);
    Ok(Sample {
        names: factors.iter().map(|f| f.name.clone()).collect(),
        rows,
    })
}

/// The most bytes of a SALib file read.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Reads SALib's parameter file: one factor a line, `name lower upper
/// [group] [dist]`, separated by whitespace or commas; `#` starts a
/// comment. The two numbers are the distribution's (see [`Distribution`]);
/// SALib's `triang` in this file is (upper, peak) with lower 0. `file`
/// names it in errors.
pub fn read_param_file(text: &str, file: &str) -> Result<Vec<Factor>, String> {
    let mut factors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |m: String| format!("{file}:{}: {m}", n + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = if line.contains(',') {
            line.split(',').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        if !(3..=5).contains(&cells.len()) {
            return Err(at(format!(
                "expected name lower upper [group] [dist], found {} columns",
                cells.len()
            )));
        }
        let num = |i: usize, what: &str| -> Result<f64, String> {
            cells[i]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| at(format!("{what} {:?} is not a number", cells[i])))
        };
        let (b1, b2) = (num(1, "lower bound")?, num(2, "upper bound")?);
        let group = cells
            .get(3)
            .filter(|g| !g.is_empty() && **g != "NA" && **g != cells[0])
            .map(|g| g.to_string());
        let distribution = match cells.get(4).copied().unwrap_or("unif") {
            "unif" | "" => Distribution::Uniform {
                lower: b1,
                upper: b2,
            },
            "triang" => Distribution::Triangular {
                lower: 0.0,
                upper: b1,
                peak: b2,
            },
            "norm" => Distribution::Normal { mean: b1, sd: b2 },
            "lognorm" => Distribution::LogNormal {
                ln_mean: b1,
                ln_sd: b2,
            },
            other => {
                return Err(at(format!(
                    "distribution {other:?}: expected unif, triang, norm or lognorm"
                )))
            }
        };
        distribution
            .check()
            .map_err(|e| at(format!("{}: {e}", cells[0])))?;
        if factors.len() >= MAX_FACTORS {
            return Err(at(format!("more than {MAX_FACTORS} factors")));
        }
        factors.push(Factor {
            name: cells[0].to_string(),
            distribution,
            levels: None,
            base: None,
            group,
        });
    }
    if factors.is_empty() {
        return Err(format!(
            "{file}: no factors (name lower upper [group] [dist])"
        ));
    }
    Ok(factors)
}

/// Writes SALib's parameter file: `name lower upper group dist`, one
/// factor a line, separated by spaces, no comments (SALib sniffs the
/// separator from the file's start, and a comment line defeats it); each
/// factor in its own group named after it (SALib then reports factor by
/// factor). A triangular factor whose lower bound is not 0 cannot be
/// written in SALib's two numbers (upper, peak): it is written as `unif`
/// over its range (SALib's `sobol` and `morris` analyses read only the names
/// and groups, so their results do not change).
pub fn write_param_file(factors: &[Factor]) -> String {
    let mut out = String::new();
    for f in factors {
        let group = f.group.clone().unwrap_or_else(|| f.name.clone());
        let (b1, b2, dist) = match f.distribution {
            Distribution::Uniform { lower, upper } => (lower, upper, "unif"),
            Distribution::Triangular {
                lower: 0.0,
                upper,
                peak,
            } => (upper, peak, "triang"),
            Distribution::Triangular { lower, upper, .. } => (lower, upper, "unif"),
            Distribution::Normal { mean, sd } => (mean, sd, "norm"),
            Distribution::LogNormal { ln_mean, ln_sd } => (ln_mean, ln_sd, "lognorm"),
        };
        out.push_str(&format!("{} {b1} {b2} {group} {dist}\n", f.name));
    }
    out
}

/// Writes a matrix as SALib reads it: numbers separated by single spaces,
/// one row a line (shortest text that reads back the same number).
pub fn write_matrix(rows: &[Vec<f64>]) -> String {
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r.iter().map(|x| format!("{x:e}")).collect();
        out.push_str(&cells.join(" "));
        out.push('\n');
    }
    out
}

/// Reads a sample matrix: whitespace- (or comma-) separated numbers, one
/// row a line, every row with `columns` numbers; `#` lines are comments.
pub fn read_matrix(text: &str, file: &str, columns: usize) -> Result<Vec<Vec<f64>>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let row: Vec<f64> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("{file}:{}: {c:?} is not a number", n + 1))
            })
            .collect::<Result<_, _>>()?;
        if row.len() != columns {
            return Err(format!(
                "{file}:{}: {} numbers, expected {columns} (one per factor)",
                n + 1,
                row.len()
            ));
        }
        if rows.len() >= MAX_POINTS {
            return Err(format!("{file}: more than {MAX_POINTS} rows"));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(format!("{file}: no rows"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Vec<Factor> {
        vec![
            Factor::uniform("a", 0.0, 1.0),
            Factor::uniform("b", 10.0, 20.0),
            Factor {
                name: "c".into(),
                distribution: Distribution::Triangular {
                    lower: 1.0,
                    upper: 3.0,
                    peak: 0.5,
                },
                levels: None,
                base: None,
                group: None,
            },
        ]
    }

    #[test]
    fn normal_quantile_is_accurate() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-13);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_6).abs() < 1e-12);
        for k in 1..1000 {
            let p = k as f64 / 1000.0;
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-14, "{p}");
        }
    }

    #[test]
    fn quantiles_follow_salib_parameters() {
        let t = Distribution::Triangular {
            lower: 1.0,
            upper: 3.0,
            peak: 0.5,
        };
        assert!((t.quantile(0.5) - 2.0).abs() < 1e-12);
        assert_eq!(t.quantile(0.0), 1.0);
        assert_eq!(t.quantile(1.0), 3.0);
        // P(X < 1.5) = 0.5² / 2 = 0.125 for a symmetric triangle on [1, 3].
        assert!((t.quantile(0.125) - 1.5).abs() < 1e-12);
        let l = Distribution::LogNormal {
            ln_mean: 1.0,
            ln_sd: 0.5,
        };
        assert!((l.quantile(0.5) - std::f64::consts::E).abs() < 1e-12);
        let n = Distribution::Normal { mean: 5.0, sd: 2.0 };
        assert!((n.quantile(0.975) - (5.0 + 2.0 * 1.959_963_984_540_054)).abs() < 1e-12);
    }

    #[test]
    fn designs_have_their_shapes_and_are_seeded() {
        let f = three();
        let ff = generate(&f, &Design::FullFactorial { levels: 3 }, 1).unwrap();
        assert_eq!(ff.rows.len(), 27);
        assert_eq!(ff.rows[0], vec![0.0, 10.0, 1.0]);
        assert_eq!(ff.rows[1], vec![0.0, 10.0, 2.0]);
        assert_eq!(ff.rows[26], vec![1.0, 20.0, 3.0]);
        let oat = generate(&f, &Design::OneAtATime, 1).unwrap();
        assert_eq!(oat.rows.len(), 7);
        assert_eq!(oat.rows[0], vec![0.5, 15.0, 2.0]);
        assert_eq!(oat.rows[3], vec![0.5, 10.0, 2.0]);
        assert_eq!(oat.rows[4], vec![0.5, 20.0, 2.0]);

        let lhs = generate(&f, &Design::LatinHypercube { points: 10 }, 7).unwrap();
        assert_eq!(
            lhs,
            generate(&f, &Design::LatinHypercube { points: 10 }, 7).unwrap()
        );
        assert_ne!(
            lhs,
            generate(&f, &Design::LatinHypercube { points: 10 }, 8).unwrap()
        );
        // One value in each tenth of each uniform range.
        let mut strata: Vec<usize> = lhs.rows.iter().map(|r| (r[1] - 10.0) as usize).collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..10).collect::<Vec<_>>());

        let m = generate(
            &f,
            &Design::Morris {
                trajectories: 5,
                levels: 4,
            },
            3,
        )
        .unwrap();
        assert_eq!(m.rows.len(), 20);
        for t in m.rows.chunks(4) {
            // Each step changes one factor by Δ = 4/6 of its range.
            let mut changed = Vec::new();
            for w in t.windows(2) {
                let diff: Vec<usize> = (0..3).filter(|&i| w[0][i] != w[1][i]).collect();
                assert_eq!(diff.len(), 1);
                let i = diff[0];
                if i == 0 {
                    assert!(((w[0][0] - w[1][0]).abs() - 2.0 / 3.0).abs() < 1e-12);
                }
                changed.push(i);
            }
            changed.sort_unstable();
            assert_eq!(changed, vec![0, 1, 2]);
        }

        let s = generate(
            &f,
            &Design::Saltelli {
                n: 4,
                second_order: true,
                skip: 0,
            },
            5,
        )
        .unwrap();
        assert_eq!(s.rows.len(), 4 * 8);
        let block = &s.rows[..8];
        let (a, b) = (&block[0], &block[7]);
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(block[1 + i][j], if i == j { b[j] } else { a[j] });
                assert_eq!(block[4 + i][j], if i == j { a[j] } else { b[j] });
            }
        }
        let s1 = generate(
            &f,
            &Design::Saltelli {
                n: 4,
                second_order: false,
                skip: 0,
            },
            5,
        )
        .unwrap();
        assert_eq!(s1.rows.len(), 4 * 5);
    }

    #[test]
    fn bad_designs_are_refused() {
        let f = three();
        for (d, expect) in [
            (
                Design::Morris {
                    trajectories: 4,
                    levels: 3,
                },
                "even",
            ),
            (
                Design::Saltelli {
                    n: 1,
                    second_order: false,
                    skip: 0,
                },
                "at least 2",
            ),
            (Design::FullFactorial { levels: 1_000 }, "at most"),
            (Design::LatinHypercube { points: 0 }, "at least 1"),
        ] {
            let e = generate(&f, &d, 1).unwrap_err();
            assert!(e.contains(expect), "{e}");
        }
        let mut n = three();
        n[0].distribution = Distribution::Normal { mean: 0.0, sd: 1.0 };
        let e = generate(
            &n,
            &Design::Morris {
                trajectories: 4,
                levels: 4,
            },
            1,
        )
        .unwrap_err();
        assert!(e.contains("use unif or triang"), "{e}");
        // A Saltelli design from the Sobol' origin has no value for a normal
        // factor; skipping points gives it one.
        let saltelli = |skip| Design::Saltelli {
            n: 4,
            second_order: false,
            skip,
        };
        let e = generate(&n, &saltelli(0), 1).unwrap_err();
        assert!(e.contains("set skip"), "{e}");
        let s = generate(&n, &saltelli(8), 1).unwrap();
        assert!(s.rows.iter().flatten().all(|x| x.is_finite()));
    }

    #[test]
    fn salib_files_round_trip() {
        let text = "# comment\nx1 -3.14 3.14\nx2 0 1 G x\n";
        assert!(read_param_file(text, "p.txt")
            .unwrap_err()
            .contains("p.txt:3"));
        let text =
            "# comment\nx1 -3.14 3.14\nx2,2,0.25,g2,triang\nx3 1 0.5 x3 lognorm\nx4 5 2 NA norm\n";
        let f = read_param_file(text, "p.txt").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(
            f[1].distribution,
            Distribution::Triangular {
                lower: 0.0,
                upper: 2.0,
                peak: 0.25
            }
        );
        assert_eq!(f[1].group.as_deref(), Some("g2"));
        assert_eq!(f[2].group, None);
        let again = read_param_file(&write_param_file(&f), "again").unwrap();
        assert_eq!(again, f);
        let rows = vec![vec![1.5, -2e-300, 3.0], vec![0.1, 0.2, 1e20]];
        assert_eq!(read_matrix(&write_matrix(&rows), "m", 3).unwrap(), rows);
        assert!(read_matrix("1 2\n3\n", "m", 2).unwrap_err().contains("m:2"));
        assert!(read_matrix("1 x\n", "m", 2).unwrap_err().contains("\"x\""));
    }
}
