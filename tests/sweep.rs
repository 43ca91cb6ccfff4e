//! `familyflow sweep`: the same files for any number of threads, common
//! random numbers (replication r of every point on the same seed, and a
//! point's run is `run --set … --seed` of the same values), SALib's files
//! with one row per sample, and located errors.

use std::path::{Path, PathBuf};

mod common;
use common::{familyflow, ok, TempDir};

/// The tiny scenario and a reform of it from 1 July 2024, in `dir`.
fn scenarios(dir: &TempDir) {
    let tiny = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    std::fs::copy(tiny, dir.file("tiny.toml")).unwrap();
    std::fs::write(
        dir.file("reform.toml"),
        "extends = \"tiny.toml\"\nname = \"reform\"\n\n[[policy]]\ndate = 2024-07-01\nfamily_help.fte = 6\n",
    )
    .unwrap();
}

fn setup(dir: &TempDir, design: &str, extra: &str) -> PathBuf {
    scenarios(dir);
    let exp = dir.file("exp.toml");
    std::fs::write(
        &exp,
        format!(
            "name = \"test\"\nscenario = \"tiny.toml\"\ncompare = \"reform.toml\"\nseed = 5\n\
             replications = 2\noutputs = [\"family_help.mean_wait_days\", \"referrals.total\"]\n\
             {extra}\n[design]\n{design}\n\n\
             [[factor]]\nkey = \"family_help.fte\"\nlower = 1\nupper = 3\napplies_to = \"scenario\"\n\n\
             [[factor]]\nkey = \"area.new_referrals_per_10k_children\"\ndist = \"triang\"\nlower = 300\nupper = 500\npeak = 0.5\n\n\
             [[factor]]\nkey = \"policy[1].family_help.fte\"\nlevels = [4, 8]\napplies_to = \"compare\"\n",
        ),
    )
    .unwrap();
    exp
}

/// A CSV file's rows after its header, split into cells.
fn cells(csv: &str) -> Vec<Vec<&str>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_sweep_is_the_same_on_any_number_of_threads_and_uses_common_random_numbers() {
    let dir = TempDir::new("sweep");
    let exp = setup(
        &dir,
        "kind = \"latin_hypercube\"\npoints = 4",
        "[target]\nmetric = \"family_help.mean_wait_days\"\nrelative_change_at_most = -0.05\n",
    );
    let (one, two) = (dir.file("one"), dir.file("two"));
    let e = exp.to_str().unwrap();
    let s1 = ok(
        &familyflow(&[
            "sweep",
            e,
            "--threads",
            "1",
            "--out",
            one.to_str().unwrap(),
            "--report",
            "-q",
        ]),
        "sweep 1",
    );
    let s2 = ok(
        &familyflow(&[
            "sweep",
            e,
            "--threads",
            "2",
            "--out",
            two.to_str().unwrap(),
            "--report",
            "-q",
        ]),
        "sweep 2",
    );
    assert_eq!(s1, s2);
    for f in [
        "sweep-runs.csv",
        "sweep-points.csv",
        "sweep-target.csv",
        "salib/params.txt",
        "salib/samples.txt",
        "salib/outputs.txt",
        "sweep-fan.csv",
        "report.html",
    ] {
        assert_eq!(
            read(&one, f),
            read(&two, f),
            "{f} differs between 1 and 2 threads"
        );
    }
    assert!(s1.contains("probability"), "{s1}");
    // 4 points x 2 replications x 2 outputs, with baseline and difference.
    let runs = read(&one, "sweep-runs.csv");
    let rows = cells(&runs);
    assert_eq!(rows.len(), 16);
    // Replication r has one seed at every point (common random numbers).
    for r in ["1", "2"] {
        let seeds: std::collections::BTreeSet<&str> =
            rows.iter().filter(|x| x[1] == r).map(|x| x[2]).collect();
        assert_eq!(seeds.len(), 1, "replication {r}: {seeds:?}");
    }
    // Point 2, replication 2 is `run --set … --seed` of the point's values.
    let samples = read(&one, "salib/samples.txt");
    let point: Vec<f64> = samples
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(samples.lines().count(), 4);
    assert_eq!(read(&one, "salib/outputs.txt").lines().count(), 4);
    let row = rows
        .iter()
        .find(|x| x[0] == "2" && x[1] == "2" && x[3] == "family_help.mean_wait_days")
        .unwrap();
    let fte = format!("family_help.fte={}", point[0]);
    let rate = format!("area.new_referrals_per_10k_children={}", point[1]);
    let policy = format!("policy[1].family_help.fte={}", point[2]);
    let base = ok(
        &familyflow(&[
            "run",
            dir.file("tiny.toml").to_str().unwrap(),
            "--set",
            &fte,
            "--set",
            &rate,
            "--seed",
            row[2],
            "--json",
        ]),
        "run base",
    );
    let reform = ok(
        &familyflow(&[
            "run",
            dir.file("reform.toml").to_str().unwrap(),
            "--set",
            &rate,
            "--set",
            &policy,
            "--seed",
            row[2],
            "--json",
        ]),
        "run reform",
    );
    let wait = |json: &str| -> f64 {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["family_help"]["mean_wait_days"].as_f64().unwrap()
    };
    assert_eq!(wait(&base), row[4].parse::<f64>().unwrap(), "baseline");
    assert_eq!(wait(&reform), row[5].parse::<f64>().unwrap(), "compare");
}

/// Runs a sweep of the tiny scenario against its reform from 1 July 2024
/// (3 points, 2 replications) with `factors` (key, `applies_to`: "both" or
/// "compare"), checks that its note says `note`, and that every figure is
/// each scenario's own run (`run --set … --seed`), however runs were shared.
fn each_figure_is_its_scenario_s_own_run(name: &str, factors: &[(&str, &str)], note: &str) {
    let dir = TempDir::new(name);
    scenarios(&dir);
    let exp = dir.file("exp.toml");
    let mut text = String::from(
        "scenario = \"tiny.toml\"\ncompare = \"reform.toml\"\nseed = 3\nreplications = 2\n\
         outputs = [\"family_help.mean_wait_days\", \"referrals.total\", \"family_help.started\"]\n\n\
         [design]\nkind = \"latin_hypercube\"\npoints = 3\n",
    );
    for (key, applies) in factors {
        let (lower, upper) = if key.starts_with("policy") {
            (4, 8)
        } else {
            (300, 500)
        };
        text += &format!(
            "\n[[factor]]\nkey = \"{key}\"\nlower = {lower}\nupper = {upper}\napplies_to = \"{applies}\"\n"
        );
    }
    std::fs::write(&exp, text).unwrap();
    let out = dir.file("out");
    let o = familyflow(&[
        "sweep",
        exp.to_str().unwrap(),
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o, "sweep");
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains(note), "{said}");
    let samples = read(&out, "salib/samples.txt");
    let runs = read(&out, "sweep-runs.csv");
    let rows = cells(&runs);
    assert_eq!(rows.len(), 3 * 2 * 3);
    assert_eq!(samples.lines().count(), 3);
    for (p, line) in samples.lines().enumerate() {
        let point: Vec<f64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        let sets = |compare: bool| -> Vec<String> {
            factors
                .iter()
                .zip(&point)
                .filter(|((_, applies), _)| compare || *applies == "both")
                .map(|((key, _), x)| format!("{key}={x}"))
                .collect()
        };
        for r in ["1", "2"] {
            let mine: Vec<&Vec<&str>> = rows
                .iter()
                .filter(|x| x[0] == (p + 1).to_string() && x[1] == r)
                .collect();
            let seed = mine[0][2];
            let run = |file: &str, sets: Vec<String>| -> serde_json::Value {
                let mut args = vec!["run".to_string(), dir.file(file).display().to_string()];
                for s in sets {
                    args.extend(["--set".to_string(), s]);
                }
                args.extend(["--seed".into(), seed.into(), "--json".into()]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                serde_json::from_str(&ok(&familyflow(&args), "run")).unwrap()
            };
            let base = run("tiny.toml", sets(false));
            let reform = run("reform.toml", sets(true));
            for row in mine {
                let (group, name) = row[3].split_once('.').unwrap();
                let want = |v: &serde_json::Value| v[group][name].as_f64().unwrap();
                let at = format!("point {} replication {r}, {}", p + 1, row[3]);
                assert_eq!(
                    want(&base),
                    row[4].parse::<f64>().unwrap(),
                    "{at}: baseline"
                );
                assert_eq!(
                    want(&reform),
                    row[5].parse::<f64>().unwrap(),
                    "{at}: reform"
                );
            }
        }
    }
}

#[test]
fn a_point_whose_comparison_parts_at_a_date_runs_the_common_part_once_with_the_same_results() {
    // Demand varies for both scenarios and the reform's staffing for the
    // reform alone: at every point the two agree until 1 July 2024, so each
    // job runs that part once and branches the reform from a snapshot.
    each_figure_is_its_scenario_s_own_run(
        "sweep-shared",
        &[
            ("area.new_referrals_per_10k_children", "both"),
            ("policy[1].family_help.fte", "compare"),
        ],
        "at 3 of 3 points the scenario and its comparison agree until 2024-07-01",
    );
}

#[test]
fn a_sweep_of_the_reform_alone_runs_the_scenario_once_a_replication_with_the_same_results() {
    // Only the reform's staffing varies: the scenario is one run per
    // replication, and every point's reform branches from it.
    each_figure_is_its_scenario_s_own_run(
        "sweep-one-base",
        &[("policy[1].family_help.fte", "compare")],
        "each replication ran the scenario once for all 3 points",
    );
}

#[test]
fn saltelli_and_morris_sweeps_write_indices_in_salib_layout() {
    let dir = TempDir::new("sweep-indices");
    let exp = setup(&dir, "kind = \"saltelli\"\nn = 2", "");
    let out = dir.file("s");
    let text = ok(
        &familyflow(&[
            "sweep",
            exp.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]),
        "saltelli",
    );
    assert!(text.contains("Sobol, family_help.mean_wait_days"), "{text}");
    assert!(read(&out, "sweep-indices.csv").starts_with("metric,factor,S1,S1_conf,ST,ST_conf\n"));
    // N (D + 2) rows: 2 x 5.
    assert_eq!(read(&out, "salib/outputs.txt").lines().count(), 10);
    assert_eq!(read(&out, "salib/samples.txt").lines().count(), 10);
    assert!(read(&out, "salib/params.txt").contains(
        "area.new_referrals_per_10k_children 300 500 area.new_referrals_per_10k_children unif\n"
    ));

    let dir = TempDir::new("sweep-morris");
    let exp = setup(&dir, "kind = \"morris\"\ntrajectories = 2\nlevels = 4", "");
    let out = dir.file("m");
    ok(
        &familyflow(&[
            "sweep",
            exp.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]),
        "morris",
    );
    assert!(read(&out, "sweep-indices.csv")
        .starts_with("metric,factor,mu,mu_star,sigma,mu_star_conf\n"));
    assert_eq!(read(&out, "salib/outputs.txt").lines().count(), 8);
}

#[test]
fn bad_experiments_are_refused_with_the_place_and_the_reason() {
    for (design, extra, expect) in [
        ("kind = \"lhs\"", "", "kind \"lhs\""),
        (
            "kind = \"latin_hypercube\"\npoints = 2000000",
            "",
            "2000000 points: at most 1000000",
        ),
        (
            "kind = \"latin_hypercube\"",
            "",
            "latin_hypercube needs points",
        ),
        (
            "kind = \"morris\"\ntrajectories = 2\nlevels = 3",
            "",
            "levels must be even",
        ),
        (
            "kind = \"latin_hypercube\"\npoints = 2",
            "bogus = 1\n",
            "exp.toml:7:1: unknown field `bogus`",
        ),
    ] {
        let dir = TempDir::new("sweep-bad");
        let exp = setup(&dir, design, extra);
        let o = familyflow(&["sweep", exp.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(expect), "expected {expect:?} in {err}");
    }
    // An unknown metric, a factor key the scenario lacks, a value out of range.
    let dir = TempDir::new("sweep-bad2");
    let exp = setup(&dir, "kind = \"latin_hypercube\"\npoints = 2", "");
    let text = std::fs::read_to_string(&exp).unwrap();
    for (from, to, expect) in [
        (
            "\"referrals.total\"",
            "\"referrals.totl\"",
            "no metric \"referrals.totl\"",
        ),
        (
            "key = \"family_help.fte\"",
            "key = \"family_help.ftee\"",
            "--set family_help.ftee=",
        ),
        (
            "lower = 1\nupper = 3",
            "lower = -3\nupper = -1",
            "family_help.fte: -",
        ),
    ] {
        std::fs::write(&exp, text.replacen(from, to, 1)).unwrap();
        let o = familyflow(&["sweep", exp.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(expect), "expected {expect:?} in {err}");
    }
}

#[test]
fn the_shipped_example_experiment_loads() {
    let exp = familyflow::analysis::sweep::Experiment::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/experiments/ffc-morris.sweep"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exp.sample.rows.len(), 20);
    assert_eq!(exp.scenarios(), 2);
    assert!(exp.target.is_some());
    // The Families First Latin hypercube on England at a tenth: 8 factors,
    // 64 points x 10 replications, every point's scenarios valid (load
    // checks them), each factor's values inside its range.
    let exp = familyflow::analysis::sweep::Experiment::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/experiments/ffc-lhs-tenth.sweep"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exp.factors.len(), 8);
    assert_eq!((exp.sample.rows.len(), exp.replications), (64, 10));
    assert_eq!(exp.jobs(), 640);
    assert_eq!(exp.scenarios(), 2);
    for (i, f) in exp.factors.iter().enumerate() {
        let familyflow::analysis::design::Distribution::Uniform { lower, upper } = f.distribution
        else {
            panic!("{}: not uniform", f.name)
        };
        assert!(
            exp.sample
                .rows
                .iter()
                .all(|r| (lower..=upper).contains(&r[i])),
            "{}",
            f.name
        );
    }
}
