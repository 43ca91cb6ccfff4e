//! Sensitivity indices from a design's outputs, as SALib computes them.
//!
//! * Morris elementary effects ([`morris`]): for each trajectory step, the
//!   change in output over the step Δ = p / (2 (p − 1)) on the unit grid
//!   (signed by the direction the factor moved); μ, μ* (mean of |EE|) and
//!   σ (standard deviation, n − 1), with a bootstrap confidence half-width
//!   for μ*, as SALib's `morris.analyze`.
//! * Sobol indices ([`sobol`]) from Saltelli's scheme: first order
//!   S1 = mean(f(B) (f(AB_i) − f(A))) / V (Saltelli et al. 2010), total
//!   ST = mean((f(A) − f(AB_i))²) / 2V (Jansen 1999), V the variance of
//!   f(A) and f(B) together, the outputs first standardised over every row
//!   (as SALib does); second order from BA_i when present; bootstrap
//!   confidence half-widths z × sd of the estimates over resampled rows, as
//!   SALib's `sobol.analyze`.
//! * Standardised regression coefficients ([`regression`]) for random
//!   designs (Latin hypercube): the least-squares slopes of the output on
//!   the factors, each factor and the output standardised (mean 0, sd 1),
//!   with R², the share of the output's variance the linear fit explains;
//!   bootstrap half-widths over resampled points. SRC² sums to about R²
//!   when the factors are uncorrelated, as a Latin hypercube's nearly are.
//!
//! Bootstrap resampling is seeded (ChaCha8), so the intervals are
//! reproducible; they differ from SALib's (NumPy's generator), the indices
//! themselves do not.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::analysis::design::normal_quantile;

/// Bootstrap resamples for confidence intervals (SALib's default).
pub const RESAMPLES: usize = 1_000;

/// One factor's Morris measures.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndex {
    /// The factor.
    pub name: String,
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect.
    pub mu_star: f64,
    /// Standard deviation of the elementary effects (n − 1).
    pub sigma: f64,
    /// Half-width of μ*'s bootstrap confidence interval.
    pub mu_star_conf: f64,
}

/// One factor's Sobol indices.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndex {
    /// The factor.
    pub name: String,
    /// First-order index.
    pub s1: f64,
    /// Half-width of S1's bootstrap confidence interval.
    pub s1_conf: f64,
    /// Total-order index.
    pub st: f64,
    /// Half-width of ST's bootstrap confidence interval.
    pub st_conf: f64,
}

/// Second-order Sobol index of a pair of factors.
#[derive(Clone, Debug, PartialEq)]
pub struct SecondOrder {
    /// The first factor.
    pub a: String,
    /// The second factor.
    pub b: String,
    /// S2.
    pub s2: f64,
    /// Half-width of its bootstrap confidence interval.
    pub s2_conf: f64,
}

/// Sobol indices of one output.
#[derive(Clone, Debug, PartialEq)]
pub struct Sobol {
    /// Per factor.
    pub indices: Vec<SobolIndex>,
    /// Per pair of factors, when the design had second-order rows.
    pub second_order: Vec<SecondOrder>,
}

/// One factor's standardised regression coefficient.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionIndex {
    /// The factor.
    pub name: String,
    /// Standardised regression coefficient: the output's change, in its
    /// standard deviations, per standard deviation of the factor.
    pub src: f64,
    /// Half-width of its bootstrap confidence interval.
    pub src_conf: f64,
}

/// Standardised regression coefficients of one output.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    /// Per factor.
    pub indices: Vec<RegressionIndex>,
    /// Share of the output's variance over points the linear fit explains.
    pub r2: f64,
}

fn check_outputs(y: &[f64]) -> Result<(), String> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!("output {i} is {} (not a number)", y[i])),
        None => Ok(()),
    }
}

fn sd(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// z of a two-sided 95% interval.
fn z95() -> f64 {
    normal_quantile(0.975)
}

/// Morris measures from a Morris design's rows (`rows[point][factor]`, in
/// trajectories of D + 1 rows, as [`crate::analysis::design`] writes them
/// or SALib's sampler does) and one output per row; `levels` is the grid's p.
pub fn morris(
    names: &[String],
    rows: &[Vec<f64>],
    y: &[f64],
    levels: usize,
    seed: u64,
) -> Result<Vec<MorrisIndex>, String> {
    let d = names.len();
    if d == 0 || rows.len() != y.len() {
        return Err(format!(
            "{} rows and {} outputs: one output per row",
            rows.len(),
            y.len()
        ));
    }
    if levels < 2 {
        return Err("Morris levels must be at least 2".into());
    }
    check_outputs(y)?;
    if !rows.len().is_multiple_of(d + 1) {
        return Err(format!(
            "{} rows is not a whole number of trajectories of {} rows",
            rows.len(),
            d + 1
        ));
    }
    let delta = levels as f64 / (2.0 * (levels as f64 - 1.0));
    let trajectories = rows.len() / (d + 1);
    // ee[factor][trajectory]
    let mut ee = vec![vec![f64::NAN; trajectories]; d];
    for t in 0..trajectories {
        for k in 0..d {
            let (a, b) = (&rows[t * (d + 1) + k], &rows[t * (d + 1) + k + 1]);
            let moved: Vec<usize> = (0..d).filter(|&i| a[i] != b[i]).collect();
            let [i] = moved[..] else {
                return Err(format!(
                    "trajectory {}, step {}: {} factors changed, expected exactly one",
                    t + 1,
                    k + 1,
                    moved.len()
                ));
            };
            let dy = y[t * (d + 1) + k + 1] - y[t * (d + 1) + k];
            if !ee[i][t].is_nan() {
                return Err(format!(
                    "trajectory {}: factor {} changed twice",
                    t + 1,
                    names[i]
                ));
            }
            ee[i][t] = if b[i] > a[i] { dy } else { -dy } / delta;
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let z = z95();
    Ok(names
        .iter()
        .zip(&ee)
        .map(|(name, e)| {
            let n = e.len() as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|x| x.abs()).sum::<f64>() / n;
            let boot: Vec<f64> = (0..RESAMPLES)
                .map(|_| {
                    (0..e.len())
                        .map(|_| e[below(&mut rng, e.len())].abs())
                        .sum::<f64>()
                        / n
                })
                .collect();
            MorrisIndex {
                name: name.clone(),
                // + 0.0: no "-0" in tables.
                mu: mu + 0.0,
                mu_star,
                sigma: sd(e),
                mu_star_conf: z * sd(&boot),
            }
        })
        .collect())
}

/// Uniform in 0..n without bias.
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX - n + 1) % n;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return (x % n) as usize;
        }
    }
}

/// The population variance of two columns together (NumPy's `var`), over rows `r`.
fn variance(a: &[f64], b: &[f64], r: &[usize]) -> f64 {
    let n = 2.0 * r.len() as f64;
    let mean = r.iter().map(|&j| a[j] + b[j]).sum::<f64>() / n;
    r.iter()
        .map(|&j| (a[j] - mean).powi(2) + (b[j] - mean).powi(2))
        .sum::<f64>()
        / n
}

/// Saltelli et al. (2010): mean(f(B) (f(AB_i) − f(A))) / V, over rows `r`.
fn first_order(a: &[f64], ab: &[f64], b: &[f64], r: &[usize]) -> f64 {
    let v = variance(a, b, r);
    if v == 0.0 {
        return 0.0;
    }
    r.iter().map(|&j| b[j] * (ab[j] - a[j])).sum::<f64>() / r.len() as f64 / v
}

/// Jansen (1999): mean((f(A) − f(AB_i))²) / 2V, over rows `r`.
fn total_order(a: &[f64], ab: &[f64], b: &[f64], r: &[usize]) -> f64 {
    let v = variance(a, b, r);
    if v == 0.0 {
        return 0.0;
    }
    0.5 * r.iter().map(|&j| (a[j] - ab[j]).powi(2)).sum::<f64>() / r.len() as f64 / v
}

/// Saltelli (2002), as SALib: mean(f(BA_j) f(AB_k) − f(A) f(B)) / V − S1_j − S1_k.
fn second_order(
    a: &[f64],
    ab_j: &[f64],
    ab_k: &[f64],
    ba_j: &[f64],
    b: &[f64],
    r: &[usize],
) -> f64 {
    let v = variance(a, b, r);
    if v == 0.0 {
        return 0.0;
    }
    let vjk = r
        .iter()
        .map(|&i| ba_j[i] * ab_k[i] - a[i] * b[i])
        .sum::<f64>()
        / r.len() as f64
        / v;
    vjk - first_order(a, ab_j, b, r) - first_order(a, ab_k, b, r)
}

/// Sobol indices from outputs of Saltelli's scheme (one per row, in the
/// layout [`crate::analysis::design::Design::Saltelli`] and SALib write:
/// blocks of A, AB_1…AB_D, [BA_1…BA_D,] B).
pub fn sobol(names: &[String], y: &[f64], second: bool, seed: u64) -> Result<Sobol, String> {
    let d = names.len();
    if d == 0 {
        return Err("no factors".into());
    }
    check_outputs(y)?;
    let step = if second { 2 * d + 2 } else { d + 2 };
    if y.is_empty() || !y.len().is_multiple_of(step) {
        return Err(format!(
            "{} outputs is not a whole number of Saltelli blocks of {step} rows",
            y.len()
        ));
    }
    let n = y.len() / step;
    if n < 2 {
        return Err("Sobol indices need at least 2 blocks".into());
    }
    // Standardised over every row first, as SALib does (S1's estimator is
    // not invariant to a shift of the output).
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let spread = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    let y: Vec<f64> = if spread > 0.0 {
        y.iter().map(|v| (v - mean) / spread).collect()
    } else {
        vec![0.0; y.len()]
    };
    let col = |offset: usize| -> Vec<f64> { (0..n).map(|j| y[j * step + offset]).collect() };
    let a = col(0);
    let b = col(step - 1);
    let ab: Vec<Vec<f64>> = (0..d).map(|i| col(1 + i)).collect();
    let ba: Vec<Vec<f64>> = if second {
        (0..d).map(|i| col(1 + d + i)).collect()
    } else {
        Vec::new()
    };
    // Bootstrap row indices, shared by every index (as SALib does).
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let resamples: Vec<Vec<usize>> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| below(&mut rng, n)).collect())
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let z = z95();
    let conf = |f: &dyn Fn(&[usize]) -> f64| -> f64 {
        let est: Vec<f64> = resamples.iter().map(|r| f(r)).collect();
        z * sd(&est)
    };
    let mut indices = Vec::with_capacity(d);
    for i in 0..d {
        let s1 = first_order(&a, &ab[i], &b, &all);
        let st = total_order(&a, &ab[i], &b, &all);
        let s1_conf = conf(&|r| first_order(&a, &ab[i], &b, r));
        let st_conf = conf(&|r| total_order(&a, &ab[i], &b, r));
        indices.push(SobolIndex {
            name: names[i].clone(),
            s1,
            s1_conf,
            st,
            st_conf,
        });
    }
    let mut pairs = Vec::new();
    if second {
        for j in 0..d {
            for k in j + 1..d {
                let s2 = second_order(&a, &ab[j], &ab[k], &ba[j], &b, &all);
                let s2_conf = conf(&|r| second_order(&a, &ab[j], &ab[k], &ba[j], &b, r));
                pairs.push(SecondOrder {
                    a: names[j].clone(),
                    b: names[k].clone(),
                    s2,
                    s2_conf,
                });
            }
        }
    }
    Ok(Sobol {
        indices,
        second_order: pairs,
    })
}

/// Mean and standard deviation (n − 1) of `xs` over rows `r`.
fn mean_sd(xs: impl Fn(usize) -> f64, r: &[usize]) -> (f64, f64) {
    let n = r.len() as f64;
    let mean = r.iter().map(|&i| xs(i)).sum::<f64>() / n;
    let ss = r.iter().map(|&i| (xs(i) - mean).powi(2)).sum::<f64>();
    (mean, (ss / (n - 1.0).max(1.0)).sqrt())
}

/// Standardised slopes and R² of `y` on the columns of `rows`, over rows
/// `r`; `None` when the factors are collinear over those rows. A factor
/// or output that does not vary has slope 0.
fn standardised_fit(rows: &[Vec<f64>], y: &[f64], r: &[usize]) -> Option<(Vec<f64>, f64)> {
    let k = rows.first().map_or(0, Vec::len);
    let (my, sy) = mean_sd(|i| y[i], r);
    if sy == 0.0 || !sy.is_finite() {
        return Some((vec![0.0; k], 0.0));
    }
    let cols: Vec<(usize, f64, f64)> = (0..k)
        .map(|j| {
            let (m, s) = mean_sd(|i| rows[i][j], r);
            (j, m, s)
        })
        .filter(|&(_, _, s)| s > 0.0)
        .collect();
    let z = |i: usize, c: usize| {
        let (j, m, s) = cols[c];
        (rows[i][j] - m) / s
    };
    let zy = |i: usize| (y[i] - my) / sy;
    // Normal equations (Z'Z) b = Z'y, solved by Gaussian elimination with
    // partial pivoting.
    let d = cols.len();
    let mut a = vec![vec![0.0; d + 1]; d];
    let mut zi = vec![0.0; d];
    for &i in r {
        for (c, v) in zi.iter_mut().enumerate() {
            *v = z(i, c);
        }
        let y = zy(i);
        for (row, &zp) in a.iter_mut().zip(&zi) {
            for (x, &zq) in row.iter_mut().zip(&zi) {
                *x += zp * zq;
            }
            row[d] += zp * y;
        }
    }
    for c in 0..d {
        let pivot = (c..d).max_by(|&u, &v| a[u][c].abs().total_cmp(&a[v][c].abs()))?;
        if a[pivot][c].abs() < 1e-9 * r.len() as f64 {
            return None;
        }
        a.swap(c, pivot);
        let (top, below) = a.split_at_mut(c + 1);
        let pivot_row = &top[c];
        for row in below {
            let f = row[c] / pivot_row[c];
            for (x, &p) in row[c..].iter_mut().zip(&pivot_row[c..]) {
                *x -= f * p;
            }
        }
    }
    let mut b = vec![0.0; d];
    for c in (0..d).rev() {
        let rest: f64 = (c + 1..d).map(|q| a[c][q] * b[q]).sum();
        b[c] = (a[c][d] - rest) / a[c][c];
    }
    let sse: f64 = r
        .iter()
        .map(|&i| {
            let fit: f64 = (0..d).map(|c| b[c] * z(i, c)).sum();
            (zy(i) - fit).powi(2)
        })
        .sum();
    let r2 = 1.0 - sse / (r.len() as f64 - 1.0);
    let mut src = vec![0.0; k];
    for (c, &(j, _, _)) in cols.iter().enumerate() {
        src[j] = b[c];
    }
    Some((src, r2))
}

/// Standardised regression coefficients of one output (`y`, one per row)
/// on the design's factors (`rows[point][factor]`), with bootstrap
/// half-widths (resampling points, seeded by `seed`).
pub fn regression(
    names: &[String],
    rows: &[Vec<f64>],
    y: &[f64],
    seed: u64,
) -> Result<Regression, String> {
    check_outputs(y)?;
    let k = names.len();
    if rows.len() != y.len() {
        return Err(format!(
            "{} outputs for {} design points",
            y.len(),
            rows.len()
        ));
    }
    if rows.len() < k + 2 {
        return Err(format!(
            "{} design points are too few for a regression on {k} factors (at least {})",
            rows.len(),
            k + 2
        ));
    }
    let all: Vec<usize> = (0..rows.len()).collect();
    let (src, r2) = standardised_fit(rows, y, &all)
        .ok_or("the factors are collinear over the design points: no regression")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut boot = vec![Vec::with_capacity(RESAMPLES); k];
    let mut r = vec![0; rows.len()];
    for _ in 0..RESAMPLES {
        for x in r.iter_mut() {
            *x = below(&mut rng, rows.len());
        }
        if let Some((b, _)) = standardised_fit(rows, y, &r) {
            for (j, v) in b.into_iter().enumerate() {
                boot[j].push(v);
            }
        }
    }
    let z = z95();
    Ok(Regression {
        indices: names
            .iter()
            .zip(src)
            .zip(&boot)
            .map(|((name, src), boot)| RegressionIndex {
                name: name.clone(),
                src,
                src_conf: z * sd(boot),
            })
            .collect(),
        r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::design::{generate, Design, Factor};
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        libm::sin(x[0]) + 7.0 * libm::sin(x[1]).powi(2) + 0.1 * x[2].powi(4) * libm::sin(x[0])
    }

    fn ishigami_factors() -> Vec<Factor> {
        ["x1", "x2", "x3"]
            .iter()
            .map(|n| Factor::uniform(n, -PI, PI))
            .collect()
    }

    /// Ishigami (a = 7, b = 0.1): analytic S1 = 0.3139, 0.4424, 0 and
    /// ST = 0.5576, 0.4424, 0.2437; S2(x1, x3) = 0.2437, others 0.
    #[test]
    fn sobol_indices_of_ishigami_match_the_analytic_values() {
        let f = ishigami_factors();
        let sample = generate(
            &f,
            &Design::Saltelli {
                n: 16_384,
                second_order: true,
                skip: 0,
            },
            42,
        )
        .unwrap();
        let y: Vec<f64> = sample.rows.iter().map(|r| ishigami(r)).collect();
        let s = sobol(&sample.names, &y, true, 1).unwrap();
        let s1 = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        for (i, ix) in s.indices.iter().enumerate() {
            assert!((ix.s1 - s1[i]).abs() < 0.03, "S1 {}: {}", ix.name, ix.s1);
            assert!((ix.st - st[i]).abs() < 0.03, "ST {}: {}", ix.name, ix.st);
            // The interval is a real one: positive, and not huge.
            assert!(ix.s1_conf > 0.0 && ix.s1_conf < 0.05, "{ix:?}");
            assert!(ix.st_conf > 0.0 && ix.st_conf < 0.05, "{ix:?}");
        }
        let s13 = &s.second_order[1];
        assert_eq!((s13.a.as_str(), s13.b.as_str()), ("x1", "x3"));
        assert!((s13.s2 - 0.2437).abs() < 0.06, "{s13:?}");
        assert!(s.second_order[0].s2.abs() < 0.06);
        // Same seed, same intervals.
        assert_eq!(s, sobol(&sample.names, &y, true, 1).unwrap());
        // Without the second-order rows the layout differs and is read as such.
        let sample = generate(
            &f,
            &Design::Saltelli {
                n: 16_384,
                second_order: false,
                skip: 0,
            },
            43,
        )
        .unwrap();
        let y: Vec<f64> = sample.rows.iter().map(|r| ishigami(r)).collect();
        let s = sobol(&sample.names, &y, false, 1).unwrap();
        for (i, ix) in s.indices.iter().enumerate() {
            assert!((ix.s1 - s1[i]).abs() < 0.03, "S1 {}: {}", ix.name, ix.s1);
            assert!((ix.st - st[i]).abs() < 0.03, "ST {}: {}", ix.name, ix.st);
        }
        assert!(sobol(&sample.names, &y[1..], false, 1).is_err());
    }

    /// y = 3a + 0.5b (b on 0..10) + 0c on a Latin hypercube: a factor on
    /// U(lo, hi) has sd (hi − lo)/√12, so SRC_a = 3 × 0.2887 / sd(y) and
    /// SRC_b = 0.5 × 2.887 / sd(y), sd(y)² = 0.75 + 2.083; R² = 1.
    #[test]
    fn regression_coefficients_of_a_linear_function() {
        let f = vec![
            Factor::uniform("a", 0.0, 1.0),
            Factor::uniform("b", 0.0, 10.0),
            Factor::uniform("c", -1.0, 1.0),
        ];
        let sample = generate(&f, &Design::LatinHypercube { points: 2_000 }, 7).unwrap();
        let y: Vec<f64> = sample
            .rows
            .iter()
            .map(|r| 3.0 * r[0] + 0.5 * r[1])
            .collect();
        let g = regression(&sample.names, &sample.rows, &y, 1).unwrap();
        let sy = (0.75f64 + 25.0 / 12.0).sqrt();
        let want = [3.0 / 12f64.sqrt() / sy, 5.0 / 12f64.sqrt() / sy, 0.0];
        for (ix, w) in g.indices.iter().zip(want) {
            assert!((ix.src - w).abs() < 0.01, "{ix:?} against {w}");
            // Resampling moves the standard deviations a little.
            assert!(ix.src_conf < 0.03, "{ix:?}");
        }
        assert!((g.r2 - 1.0).abs() < 1e-9, "{}", g.r2);
        // Noise lowers R² and widens the intervals; the signs hold.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let noisy: Vec<f64> = y
            .iter()
            .map(|v| v - 3.0 + 6.0 * (rng.next_u32() as f64 / u32::MAX as f64))
            .collect();
        let g = regression(&sample.names, &sample.rows, &noisy, 1).unwrap();
        assert!(g.r2 > 0.3 && g.r2 < 0.9, "{}", g.r2);
        assert!(g.indices[0].src > 0.0 && g.indices[1].src > g.indices[0].src);
        assert!(g.indices[2].src.abs() < 3.0 * g.indices[2].src_conf);
        assert!(g.indices[0].src_conf > 0.02);
        // Too few points, or outputs that are not numbers, are refused.
        assert!(regression(&sample.names, &sample.rows[..4], &y[..4], 1).is_err());
        let mut bad = y.clone();
        bad[9] = f64::NAN;
        assert!(regression(&sample.names, &sample.rows, &bad, 1).is_err());
    }

    #[test]
    fn morris_effects_of_known_functions() {
        let f = vec![
            Factor::uniform("a", 0.0, 1.0),
            Factor::uniform("b", 0.0, 10.0),
            Factor::uniform("c", -1.0, 1.0),
            Factor::uniform("d", 0.0, 1.0),
        ];
        let sample = generate(
            &f,
            &Design::Morris {
                trajectories: 20,
                levels: 4,
            },
            9,
        )
        .unwrap();
        // Linear in a and b (Δ is 2/3 of a range: an EE is the slope times
        // the range), quadratic in c, nothing from d.
        let y: Vec<f64> = sample
            .rows
            .iter()
            .map(|r| 3.0 * r[0] - 0.5 * r[1] + r[2] * r[2])
            .collect();
        let m = morris(&sample.names, &sample.rows, &y, 4, 1).unwrap();
        assert!((m[0].mu - 3.0).abs() < 1e-9 && (m[0].mu_star - 3.0).abs() < 1e-9);
        assert!(m[0].sigma < 1e-9 && m[0].mu_star_conf < 1e-9);
        assert!((m[1].mu + 5.0).abs() < 1e-9 && (m[1].mu_star - 5.0).abs() < 1e-9);
        // c steps between −1 and 1/3 or between −1/3 and 1: c² changes by
        // ∓8/9 over Δ = 2/3, an effect of ±4/3, of both signs.
        assert!((m[2].mu_star - 4.0 / 3.0).abs() < 1e-9, "{:?}", m[2]);
        assert!(m[2].sigma > 0.1 && m[2].mu.abs() < m[2].mu_star);
        assert_eq!((m[3].mu, m[3].mu_star, m[3].sigma), (0.0, 0.0, 0.0));
        // A row that is not a Morris step is refused.
        let mut bad = sample.rows.clone();
        bad[1][0] += 0.1;
        bad[1][1] += 0.1;
        assert!(morris(&sample.names, &bad, &y, 4, 1).is_err());
    }
}
