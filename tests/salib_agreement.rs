//! familyflow's Morris and Sobol indices against SALib's own, on the same
//! sample matrix and outputs (the files `sweep` writes for SALib).
//!
//! Needs a Python with SALib: set `FAMILYFLOW_SALIB` to it, e.g.
//! `python3 -m venv /tmp/salib && /tmp/salib/bin/pip install salib` and
//! `FAMILYFLOW_SALIB=/tmp/salib/bin/python cargo test --test salib_agreement`.
//! Without it the test prints SKIPPED (on stdout, as the browser test
//! does), unless `FAMILYFLOW_REQUIRE_SALIB` is set, as CI sets it: then a
//! missing SALib fails the test. With it,
//! the point estimates must agree to 1e-9 (the bootstrap intervals use other
//! random numbers and are not compared) and SALib's command line must read
//! the files unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::TempDir;

fn familyflow(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the familyflow binary runs");
    assert!(
        o.status.success(),
        "familyflow {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const SALIB_SCRIPT: &str = r#"
import sys, numpy as np
from SALib.util import read_param_file
from SALib.analyze import sobol, morris
kind, d = sys.argv[1], sys.argv[2]
problem = read_param_file(d + "/salib/params.txt")
X = np.loadtxt(d + "/salib/samples.txt", ndmin=2)
Y = np.loadtxt(d + "/salib/outputs.txt", ndmin=2)
for m in range(Y.shape[1]):
    if kind == "regression":
        # Standardised regression coefficients by NumPy's least squares.
        Xs = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
        y = (Y[:, m] - Y[:, m].mean()) / Y[:, m].std(ddof=1)
        b = np.linalg.lstsq(Xs, y, rcond=None)[0]
        for i, name in enumerate(problem["names"]):
            print(m, name, repr(float(b[i])))
    elif kind == "sobol":
        s = sobol.analyze(problem, Y[:, m], calc_second_order=False, print_to_console=False)
        for i, name in enumerate(problem["names"]):
            print(m, name, repr(float(s["S1"][i])), repr(float(s["ST"][i])))
    else:
        s = morris.analyze(problem, X, Y[:, m], num_levels=4, print_to_console=False)
        for i, name in enumerate(problem["names"]):
            print(m, name, repr(float(s["mu"][i])), repr(float(s["mu_star"][i])), repr(float(s["sigma"][i])))
"#;

fn experiment(dir: &TempDir, design: &str) -> PathBuf {
    let tiny = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    std::fs::copy(tiny, dir.file("tiny.toml")).unwrap();
    let exp = dir.file("exp.toml");
    std::fs::write(
        &exp,
        format!(
            "scenario = \"tiny.toml\"\nseed = 11\nreplications = 1\n\
             outputs = [\"family_help.mean_wait_days\", \"referrals.total\"]\n\
             [design]\n{design}\n\
             [[factor]]\nkey = \"family_help.fte\"\nlower = 1\nupper = 4\n\
             [[factor]]\nkey = \"area.new_referrals_per_10k_children\"\nlower = 300\nupper = 500\n\
             [[factor]]\nkey = \"family_help.need_met_probability\"\ndist = \"triang\"\nlower = 0\nupper = 0.9\npeak = 0.7\n"
        ),
    )
    .unwrap();
    exp
}

/// familyflow's indices CSV as rows of (output index, factor, numbers).
fn ours(dir: &Path, outputs: &[&str]) -> Vec<(usize, String, Vec<f64>)> {
    let text = std::fs::read_to_string(dir.join("sweep-indices.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let m = outputs.iter().position(|o| *o == c[0]).unwrap();
            (
                m,
                c[1].to_string(),
                c[2..]
                    .iter()
                    .map(|x| x.parse().unwrap_or(f64::NAN))
                    .collect(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn indices_agree_with_salib_on_the_same_samples() {
    let Ok(python) = std::env::var("FAMILYFLOW_SALIB") else {
        assert!(
            std::env::var_os("FAMILYFLOW_REQUIRE_SALIB").is_none(),
            "FAMILYFLOW_REQUIRE_SALIB is set but FAMILYFLOW_SALIB (a Python with SALib) is not"
        );
        println!(
            "SKIPPED: SALib agreement not checked: FAMILYFLOW_SALIB is not set (a Python \
             with SALib; see this file's header)"
        );
        return;
    };
    let outputs = ["family_help.mean_wait_days", "referrals.total"];
    for (kind, design) in [
        ("sobol", "kind = \"saltelli\"\nn = 32"),
        ("morris", "kind = \"morris\"\ntrajectories = 10\nlevels = 4"),
        ("regression", "kind = \"latin_hypercube\"\npoints = 40"),
    ] {
        let dir = TempDir::new("salib");
        let exp = experiment(&dir, design);
        let out = dir.file("out");
        familyflow(&[
            "sweep",
            exp.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        let o = Command::new(&python)
            .args(["-c", SALIB_SCRIPT, kind, out.to_str().unwrap()])
            .output()
            .expect("FAMILYFLOW_SALIB runs");
        assert!(
            o.status.success(),
            "SALib: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let theirs = String::from_utf8(o.stdout).unwrap();
        let ours = ours(&out, &outputs);
        let mut compared = 0;
        for line in theirs.lines() {
            let c: Vec<&str> = line.split_whitespace().collect();
            let m: usize = c[0].parse().unwrap();
            let values: Vec<f64> = c[2..].iter().map(|x| x.parse().unwrap()).collect();
            let row = ours
                .iter()
                .find(|(om, f, _)| *om == m && f == c[1])
                .unwrap();
            // sobol: S1, ST against columns S1 (0) and ST (2); morris: mu,
            // mu_star, sigma against columns 0, 1, 2.
            let pairs: Vec<(f64, f64)> = if kind == "sobol" {
                vec![(values[0], row.2[0]), (values[1], row.2[2])]
            } else if kind == "regression" {
                // SRC against column 0.
                vec![(values[0], row.2[0])]
            } else {
                vec![
                    (values[0], row.2[0]),
                    (values[1], row.2[1]),
                    (values[2], row.2[2]),
                ]
            };
            for (s, f) in pairs {
                assert!(close(s, f), "{kind} {line}: SALib {s}, familyflow {f}");
                compared += 1;
            }
        }
        let least = if kind == "regression" { 6 } else { 12 };
        assert!(compared >= least, "{kind}: compared {compared} values");
        if kind == "regression" {
            // SALib's command line has no regression method.
            continue;
        }
        // SALib's command line reads the files as written.
        let p = out.join("salib");
        let mut args = vec![
            "-c".to_string(),
            "import sys; from SALib.scripts.salib import main; sys.argv[0] = 'salib'; sys.exit(main())"
                .into(),
            "analyze".into(),
            kind.into(),
            "-p".into(),
            p.join("params.txt").display().to_string(),
            "-Y".into(),
            p.join("outputs.txt").display().to_string(),
            "-c".into(),
            "0".into(),
        ];
        if kind == "sobol" {
            args.extend(["--max-order".into(), "1".into()]);
        } else {
            args.extend([
                "-X".into(),
                p.join("samples.txt").display().to_string(),
                "-l".into(),
                "4".into(),
            ]);
        }
        let o = Command::new(&python).args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "salib analyze {kind}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

const SALIB_SAMPLE: &str = r#"
import sys, warnings, numpy as np
from SALib.sample import sobol
warnings.simplefilter("ignore")
n, second, skip = int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
problem = {
    "num_vars": 5,
    "names": ["a", "b", "c", "t", "g"],
    "bounds": [[0, 1], [-1.7, 2.3], [300, 500], [2, 0.25], [5, 2]],
    "dists": ["unif", "unif", "unif", "triang", "norm"],
}
if skip == 0:
    problem = {k: v[:3] if k != "num_vars" else 3 for k, v in problem.items()}
X = sobol.sample(problem, n, calc_second_order=second, scramble=False, skip_values=skip)
for row in X:
    print(" ".join(repr(float(x)) for x in row))
"#;

/// A Saltelli design is SALib 1.6's `sobol.sample(…, scramble=False,
/// skip_values=skip)`: the same Sobol' points in the same layout, to the
/// bit for uniform factors (to 1e-12 for triang and norm, whose quantile
/// functions are computed differently).
#[test]
fn saltelli_samples_are_salib_unscrambled_sobol_samples() {
    use familyflow::analysis::design::{generate, Design, Distribution, Factor};
    let Ok(python) = std::env::var("FAMILYFLOW_SALIB") else {
        assert!(
            std::env::var_os("FAMILYFLOW_REQUIRE_SALIB").is_none(),
            "FAMILYFLOW_REQUIRE_SALIB is set but FAMILYFLOW_SALIB (a Python with SALib) is not"
        );
        println!("SKIPPED: SALib's Saltelli samples not compared: FAMILYFLOW_SALIB is not set");
        return;
    };
    let factor = |name: &str, distribution| Factor {
        name: name.into(),
        distribution,
        levels: None,
        base: None,
        group: None,
    };
    let all = [
        factor(
            "a",
            Distribution::Uniform {
                lower: 0.0,
                upper: 1.0,
            },
        ),
        factor(
            "b",
            Distribution::Uniform {
                lower: -1.7,
                upper: 2.3,
            },
        ),
        factor(
            "c",
            Distribution::Uniform {
                lower: 300.0,
                upper: 500.0,
            },
        ),
        factor(
            "t",
            Distribution::Triangular {
                lower: 0.0,
                upper: 2.0,
                peak: 0.25,
            },
        ),
        factor("g", Distribution::Normal { mean: 5.0, sd: 2.0 }),
    ];
    for (n, second_order, skip) in [
        (64, true, 0),
        (37, false, 0),
        (16, true, 1024),
        (50, false, 64),
    ] {
        // From the origin only the bounded factors (a normal has no value at 0).
        let factors = if skip == 0 { &all[..3] } else { &all[..] };
        let ours = generate(
            factors,
            &Design::Saltelli {
                n,
                second_order,
                skip,
            },
            99,
        )
        .unwrap();
        let o = Command::new(&python)
            .args([
                "-c",
                SALIB_SAMPLE,
                &n.to_string(),
                if second_order { "1" } else { "0" },
                &skip.to_string(),
            ])
            .output()
            .expect("FAMILYFLOW_SALIB runs");
        assert!(
            o.status.success(),
            "SALib: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let theirs: Vec<Vec<f64>> = String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
            .collect();
        let what = format!("n {n}, second order {second_order}, skip {skip}");
        assert_eq!(theirs.len(), ours.rows.len(), "{what}: rows");
        for (r, (t, o)) in theirs.iter().zip(&ours.rows).enumerate() {
            for (j, (x, y)) in t.iter().zip(o).enumerate() {
                if j < 3 {
                    assert_eq!(
                        x.to_bits(),
                        y.to_bits(),
                        "{what}: row {r} column {j}: {x} {y}"
                    );
                } else {
                    assert!(
                        close(*x, *y) && (x - y).abs() < 1e-12 * (1.0 + x.abs()),
                        "{what}: row {r} column {j}: {x} {y}"
                    );
                }
            }
        }
    }
}
