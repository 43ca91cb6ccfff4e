//! Replications and comparisons: output bytes do not depend on the number of
//! threads; a scenario compared with itself differs nowhere; families closed
//! at the front door keep their histories when a later stage changes; and
//! common random numbers narrow the confidence interval of a difference.

use familyflow::analysis::run;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::TempDir;

use familyflow::analysis::compare::{counterfactual, run_paths};
use familyflow::cli::commands::{
    self, CompareOptions, CompareSpec, ReplicationOptions, ReplicationSpec,
};
use familyflow::model::event::{Event, FamilyId, Timed, TriageDecision};
use familyflow::model::input::ScenarioInput;
use familyflow::model::Model;

fn tiny_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml")
}

/// Copies tiny.toml into `dir` and writes `name` extending it with `extra`.
fn variant(dir: &TempDir, name: &str, extra: &str) -> PathBuf {
    let base = dir.file("tiny.toml");
    if !base.exists() {
        std::fs::copy(tiny_path(), &base).unwrap();
    }
    let path = dir.file(name);
    std::fs::write(&path, format!("extends = \"tiny.toml\"\n{extra}\n")).unwrap();
    path
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn replication_opts(threads: usize, out: &Path) -> ReplicationOptions {
    ReplicationOptions {
        spec: ReplicationSpec {
            replications: 4,
            seed: 7,
            threads: Some(threads),
            warm_up: None,
        },
        progress: false,
        out_dir: Some(out.to_path_buf()),
        json: false,
    }
}

fn compare_opts(replications: u32, threads: usize, out: Option<&Path>) -> CompareOptions {
    CompareOptions {
        spec: CompareSpec {
            replications,
            seed: 3,
            threads: Some(threads),
            warm_up: None,
            family: Some(5),
        },
        progress: false,
        out_dir: out.map(Path::to_path_buf),
        metrics: None,
    }
}

#[test]
fn replications_and_compare_give_the_same_bytes_on_one_or_two_threads() {
    let dir = TempDir::new("threads");
    let b = variant(&dir, "b.toml", "[family_help]\nfte = 2");
    let mut texts = Vec::new();
    let mut outputs = Vec::new();
    for threads in [1, 2] {
        let out_dir = dir.file(&format!("reps-{threads}"));
        let mut text = Vec::new();
        commands::run_replications(
            Some(&tiny_path()),
            &replication_opts(threads, &out_dir),
            &mut text,
            &mut std::io::sink(),
        )
        .unwrap();
        let cmp_dir = dir.file(&format!("cmp-{threads}"));
        commands::compare(
            &[tiny_path(), b.clone()],
            &compare_opts(4, threads, Some(&cmp_dir)),
            &mut text,
            &mut std::io::sink(),
        )
        .unwrap();
        texts.push(text);
        outputs.push((files(&out_dir), files(&cmp_dir)));
    }
    assert_eq!(texts[0], texts[1], "stdout differs between 1 and 2 threads");
    assert_eq!(
        outputs[0], outputs[1],
        "files differ between 1 and 2 threads"
    );
    let (reps, cmp) = &outputs[0];
    for f in ["replications.csv", "replications.json", "summary-stats.csv"] {
        assert!(reps.contains_key(f), "no {f}");
    }
    for f in [
        "compare.csv",
        "compare.json",
        "compare-replications.csv",
        "counterfactual.csv",
        "fan.csv",
    ] {
        assert!(cmp.contains_key(f), "no {f}");
    }
    let text = String::from_utf8(texts[0].clone()).unwrap();
    assert!(text.contains("referrals.total"), "{text}");
    assert!(text.contains("Family 5:"), "{text}");
}

#[test]
fn the_binary_gives_the_same_bytes_on_one_or_two_threads() {
    let dir = TempDir::new("binary");
    let b = variant(&dir, "b.toml", "[care]\nyears_in_care_mean = 1.5");
    let tiny = tiny_path();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "familyflow {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    let (a, b) = (tiny.to_str().unwrap(), b.to_str().unwrap());
    let mut outs = Vec::new();
    for t in ["1", "2"] {
        let reps = run(&["run", a, "--replications", "3", "--threads", t, "--quiet"]);
        let cmp = run(&[
            "compare",
            a,
            b,
            "--replications",
            "3",
            "--threads",
            t,
            "--quiet",
        ]);
        outs.push((reps, cmp));
    }
    assert_eq!(outs[0], outs[1]);
    // The binary prints what the library's command prints.
    let mut text = Vec::new();
    let mut opts = compare_opts(3, 1, None);
    opts.spec.seed = 1;
    opts.spec.family = None;
    commands::compare(
        &[tiny.clone(), PathBuf::from(b)],
        &opts,
        &mut text,
        &mut std::io::sink(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        String::from_utf8(outs[0].1.clone()).unwrap()
    );
}

#[test]
fn a_scenario_compared_with_itself_differs_nowhere() {
    let dir = TempDir::new("itself");
    let out = dir.file("out");
    let mut text = Vec::new();
    commands::compare(
        &[tiny_path(), tiny_path()],
        &compare_opts(3, 2, Some(&out)),
        &mut text,
        &mut std::io::sink(),
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    let c = &json["comparisons"][0];
    let metrics = c["metrics"].as_array().unwrap();
    assert!(metrics.len() > 50, "{} metrics", metrics.len());
    for m in metrics {
        assert_eq!(m["diff"]["mean"], 0.0, "{m}");
        assert_eq!(m["diff"]["sd"], 0.0, "{m}");
        assert_eq!(m["diff"]["min"], 0.0, "{m}");
        assert_eq!(m["diff"]["max"], 0.0, "{m}");
    }
    let f = &c["families"];
    assert!(f["in_both"].as_u64().unwrap() > 0);
    assert_eq!(f["diverged"], 0);
    assert_eq!(f["identical"], f["in_both"]);
    for d in f["milestones"].as_array().unwrap() {
        assert_eq!(d["a_only"], 0, "{d}");
        assert_eq!(d["b_only"], 0, "{d}");
    }
    for key in ["care_a_home_b", "care_b_home_a", "placement_differs"] {
        assert_eq!(f[key], 0, "{key}");
    }
}

/// Each family's events, in order.
fn histories(input: &ScenarioInput, seed: u64) -> BTreeMap<FamilyId, Vec<Timed>> {
    let model = Model::new(input.scenario.clone(), seed);
    let mut events: Vec<Timed> = Vec::new();
    familyflow::model::simulate(&model, &mut events).unwrap();
    let mut by_family: BTreeMap<FamilyId, Vec<Timed>> = BTreeMap::new();
    for t in events {
        if let Some(f) = t.event.family() {
            by_family.entry(f).or_default().push(t);
        }
    }
    by_family
}

#[test]
fn families_closed_at_the_front_door_keep_their_histories_when_family_help_changes() {
    // A front door whose pace does not depend on its load: otherwise any
    // lever that changes re-referrals changes how busy the front door is,
    // and so when every other family's decision comes.
    let dir = TempDir::new("front-door");
    let steady = "[triage]\ncaseload_penalty = 0\n";
    let a = variant(&dir, "steady.toml", steady);
    let b = variant(
        &dir,
        "more-help.toml",
        &format!("{steady}\n[family_help]\nfte = 3"),
    );
    let a = ScenarioInput::load(&a).unwrap();
    let b = ScenarioInput::load(&b).unwrap();
    let seed = 11;
    let (ha, hb) = (histories(&a, seed), histories(&b, seed));
    let front_door_only = |h: &[Timed]| {
        h.iter().all(|t| match &t.event {
            Event::FamilyReferred { .. }
            | Event::FamilyReReferred { .. }
            | Event::CaseClosed { .. } => true,
            Event::TriageDecided { decision, .. } => matches!(
                decision,
                TriageDecision::NoFurtherAction | TriageDecision::UniversalServices
            ),
            _ => false,
        })
    };
    let mut checked = 0;
    let mut differ = 0;
    for (family, h) in &ha {
        if front_door_only(h) {
            assert_eq!(Some(h), hb.get(family), "family {family}");
            checked += 1;
        } else if hb.get(family) != Some(h) {
            differ += 1;
        }
    }
    assert!(checked > 10, "only {checked} front-door families");
    assert!(
        differ > 0,
        "the lever changed no family: the test shows nothing"
    );
    // The streamed counterfactual agrees: at least those families are identical.
    let (pa, pb) = (
        run_paths(&a, seed, None).unwrap(),
        run_paths(&b, seed, None).unwrap(),
    );
    let c = counterfactual(seed, &pa.sink.paths, &pb.sink.paths);
    assert!(c.identical >= checked, "{} < {checked}", c.identical);
    assert_eq!(c.diverged, differ);
}

#[test]
fn common_random_numbers_narrow_the_interval_of_a_late_stage_lever_at_least_threefold() {
    let dir = TempDir::new("crn");
    // A larger area than tiny's, with room in family help, for enough care entries.
    let setting = "years = 2\n[area]\nchildren = 15000\n[family_help]\nfte = 20\ncaseload_cap = 12";
    let a = variant(&dir, "a.toml", setting);
    let b = variant(
        &dir,
        "b.toml",
        &format!("{setting}\n[care]\nyears_in_care_mean = 1.5"),
    );
    let out = dir.file("out");
    commands::compare(
        &[a, b],
        &CompareOptions {
            spec: CompareSpec {
                replications: 12,
                seed: 5,
                threads: Some(2),
                warm_up: None,
                family: None,
            },
            progress: false,
            out_dir: Some(out.clone()),
            metrics: None,
        },
        &mut std::io::sink(),
        &mut std::io::sink(),
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    let metric = |name: &str| {
        json["comparisons"][0]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap_or_else(|| panic!("no metric {name}"))
            .clone()
    };
    let half = |d: &serde_json::Value| {
        (d["ci95_high"].as_f64().unwrap() - d["ci95_low"].as_f64().unwrap()) / 2.0
    };
    // Placement spending: the lever shortens every stay, and under common
    // random numbers the same children come into care at the same times, so
    // the paired difference is far less noisy (measured factors 38-330 over
    // base seeds 1, 2, 3, 5). Children in care at the end move less directly
    // (factors 6-13), so only a gain is asserted there.
    let m = metric("care.placement_spend_pence");
    let (crn, indep) = (half(&m["diff"]), half(&m["diff_independent"]));
    let factor = m["variance_reduction_factor"]
        .as_f64()
        .unwrap_or(f64::INFINITY);
    eprintln!("placement spend: CI half-widths {indep:.0} (independent) / {crn:.0} (CRN), factor {factor:.1}");
    assert!(
        m["diff"]["mean"].as_f64().unwrap() < 0.0,
        "the lever should lower spending: {m}"
    );
    assert!(m["diff"]["ci95_high"].as_f64().unwrap() < 0.0, "{m}");
    assert!(crn > 0.0, "{m}");
    assert!(
        indep >= 3.0 * crn,
        "CI half-widths {indep} (independent) vs {crn} (CRN)"
    );
    assert!(factor >= 9.0, "factor {factor}");
    let m = metric("at_end.in_care");
    let factor = m["variance_reduction_factor"].as_f64().unwrap();
    eprintln!("in care at the end: factor {factor:.1}");
    assert!(factor > 2.0, "in care at the end: factor {factor}");
}

#[test]
fn bad_inputs_fail_with_clear_errors() {
    let dir = TempDir::new("bad");
    let missing = dir.file("missing.toml");
    let err = commands::compare(
        &[tiny_path(), missing.clone()],
        &compare_opts(2, 1, None),
        &mut std::io::sink(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("missing.toml"), "{err}");
    let err = commands::compare(
        &[tiny_path(), tiny_path()],
        &compare_opts(1, 1, None),
        &mut std::io::sink(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--replications"), "{err}");
    let mut opts = replication_opts(1, &dir.file("x"));
    opts.spec.warm_up = Some("2y".parse().unwrap());
    let err = commands::run_replications(
        Some(&tiny_path()),
        &opts,
        &mut std::io::sink(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("tiny.toml") && err.contains("warm-up"),
        "{err}"
    );
}

#[test]
fn a_warm_up_measures_only_the_months_after_it() {
    let dir = TempDir::new("warm-up");
    let mut opts = replication_opts(2, &dir.file("out"));
    opts.spec.warm_up = Some("6m".parse().unwrap());
    opts.json = true;
    let mut text = Vec::new();
    commands::run_replications(Some(&tiny_path()), &opts, &mut text, &mut std::io::sink()).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let runs = json["runs"].as_array().unwrap();
    // Referrals after the warm-up are the sum of the monthly rows from October.
    let input = ScenarioInput::load(&tiny_path()).unwrap();
    for run in runs {
        let seed = run["seed"].as_u64().unwrap();
        let summary = run::run::<std::io::Sink>(&input, seed, None)
            .unwrap()
            .summary;
        let after: u64 = summary
            .by_month
            .iter()
            .filter(|m| m.period.as_str() >= "2024-10")
            .map(|m| m.referrals)
            .sum();
        assert_eq!(run["metrics"]["after_warm_up.referrals"], after as f64);
        assert!(run["metrics"].get("referrals.total").is_none());
    }
}

#[test]
fn help_of_compare_and_replications_has_examples() {
    for args in [&["compare", "--help"][..], &["run", "--help"][..]] {
        let o = Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && text.contains("Example"), "{text}");
        assert!(text.contains("--replications"), "{text}");
    }
}

#[test]
fn children_in_care_on_the_first_day_count_as_in_care_under_both() {
    use familyflow::analysis::compare::{Milestone, PathSink};
    use familyflow::model::scenario::StartingCaseload;
    let run = |path: &str| {
        let mut input = ScenarioInput::load(Path::new(path)).unwrap();
        input.scenario.starting_caseload = Some(StartingCaseload {
            looked_after: 300,
            ..StartingCaseload::default()
        });
        let model = Model::new(input.scenario.clone(), 5);
        let mut sink = PathSink::new(None);
        familyflow::model::simulate(&model, &mut sink).unwrap();
        sink.paths
    };
    let (a, b) = (
        run("scenarios/default.toml"),
        run("scenarios/ffc-reform.toml"),
    );
    for i in 0..300 {
        assert!(a[i].reached(Milestone::EnteredCare) && b[i].reached(Milestone::EnteredCare));
    }
    let c = counterfactual(5, &a, &b);
    // Every child in care on day one is "in care" under both, never "stayed at home".
    let home_after_opened = (0..300)
        .filter(|&i| a[i].reached(Milestone::EnteredCare) != b[i].reached(Milestone::EnteredCare))
        .count();
    assert_eq!(home_after_opened, 0);
    assert!(
        c.care_a_home_b + c.care_b_home_a > 0,
        "the lever still moves others"
    );
}

#[test]
fn scenarios_with_different_families_or_calendars_are_not_compared() {
    let dir = TempDir::new("compare-population");
    let other = variant(
        &dir,
        "open.toml",
        "[starting_caseload]\nwaiting_for_help = 0\nin_family_help = 0\nin_enquiry = 0\nawaiting_conference = 0\non_plan = 0\nlooked_after = 1",
    );
    let err = commands::compare(
        &[tiny_path(), other],
        &compare_opts(2, 1, None),
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`starting_caseload` differs"), "{err}");
    let later = variant(&dir, "later.toml", "start = 2024-05-01");
    let err = commands::compare(
        &[tiny_path(), later],
        &compare_opts(2, 1, None),
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`start` differs"), "{err}");
}

#[test]
fn rounded_figures_do_not_give_huge_variance_reduction_factors() {
    let dir = TempDir::new("compare-vrf");
    let out = dir.path().join("cmp");
    commands::compare(
        &[
            PathBuf::from("scenarios/default.toml"),
            PathBuf::from("scenarios/ffc-reform.toml"),
        ],
        &compare_opts(2, 2, Some(&out)),
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    for m in json["comparisons"][0]["metrics"].as_array().unwrap() {
        if let Some(f) = m["variance_reduction_factor"].as_f64() {
            assert!(f < 1e12, "{}: {f}", m["metric"]);
        }
    }
    // Rows of the workforce and the budget are named by their pool and line.
    let text = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(text.contains("workforce.family_help.fte"), "pools by name");
    assert!(
        text.contains("budget.placements.spent_pence"),
        "lines by name"
    );
}

/// A cell a spreadsheet would run as a formula.
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '@', '\t', '\r'])
        || (cell.starts_with(['+', '-']) && cell.parse::<f64>().is_err())
}

#[test]
fn compare_csvs_quote_formula_names_and_names_print_without_escapes() {
    // Issue 14, finding 13: scenario file names went into the compare CSVs
    // as they were, so `=HYPERLINK(…)` became a formula in a spreadsheet,
    // and escape sequences in names reached the terminal.
    let text = std::fs::read_to_string(tiny_path()).unwrap();
    let subject = |source: &str| {
        familyflow::analysis::compare::Subject::Scenario(Box::new(
            ScenarioInput::from_text(&text, source).unwrap(),
        ))
    };
    let a_name = "=HYPERLINK(\"http://example.com\",\"x\")";
    let b_name = "-2+3+cmd|' /C calc'!A0\u{1b}[2J";
    let done = familyflow::analysis::compare::compare_inputs(
        &[subject(a_name), subject(b_name)],
        &familyflow::analysis::compare::CompareSpec {
            replications: 2,
            seed: 3,
            threads: Some(1),
            warm_up: None,
            family: Some(1),
        },
        &familyflow::analysis::Unwatched,
    )
    .unwrap();
    for (file, bytes) in [
        ("compare.csv", done.differences_csv()),
        ("compare-replications.csv", done.runs_csv()),
        ("counterfactual.csv", done.counterfactual_csv()),
    ] {
        let mut rows = csv::Reader::from_reader(&bytes[..]);
        let mut names = 0;
        let mut negatives = 0;
        for row in rows.records() {
            for cell in row.unwrap().iter() {
                assert!(!formula(cell), "{file}: formula cell {cell:?}");
                names += usize::from(cell == format!("'{a_name}") || cell == format!("'{b_name}"));
                negatives += usize::from(cell.starts_with('-'));
            }
        }
        assert!(names > 0, "{file}: the names are there, quoted");
        if file == "compare.csv" {
            assert!(negatives > 0, "negative numbers stay numbers");
        }
    }
    let cal = ScenarioInput::from_text(&text, "x")
        .unwrap()
        .scenario
        .calendar();
    let side = familyflow::analysis::compare::side_by_side(
        FamilyId(1),
        &cal,
        &done.kept[0],
        &cal,
        &done.kept[1],
        (a_name, b_name),
    );
    assert!(!done.kept[0].is_empty(), "family 1 was referred");
    assert!(
        !side.contains('\u{1b}'),
        "an escape sequence in the side-by-side view"
    );
    assert!(side.contains("B: -2+3+cmd|' /C calc'!A0\u{FFFD}[2J"));
}

/// The terminal table shows the headline metrics in their units (£, %,
/// percentage points) by default, the metrics a pattern names with
/// `--metrics`, and refuses a pattern that names none.
#[test]
fn the_terminal_table_shows_headline_metrics_in_their_units_or_those_chosen() {
    let dir = TempDir::new("metrics");
    let b = variant(&dir, "b", "[family_help]\nfte = 30\n");
    let table = |metrics: Option<&str>| {
        let mut opts = compare_opts(2, 1, None);
        opts.spec.family = None;
        opts.metrics = metrics.map(str::to_string);
        let mut text = Vec::new();
        commands::compare(
            &[tiny_path(), b.clone()],
            &opts,
            &mut text,
            &mut std::io::sink(),
        )
        .map(|()| String::from_utf8(text).unwrap())
    };
    let headline = table(None).unwrap();
    let row = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .map(str::to_string)
    };
    let spend = row(&headline, "care.placement_spend_pence").expect("placement spend shown");
    assert!(spend.contains('£') && !spend.contains("e+"), "{spend}");
    let kin = row(&headline, "care.kinship_share_pct").expect("kinship share shown");
    assert!(kin.contains('%') && kin.contains(" pp"), "{kin}");
    assert!(row(&headline, "family_help.wait_minutes_total").is_none());
    assert!(headline.contains("the headline ones"), "{headline}");

    let chosen = table(Some("family_help.*")).unwrap();
    assert!(row(&chosen, "family_help.wait_minutes_total").is_some());
    assert!(row(&chosen, "care.placement_spend_pence").is_none());
    assert!(chosen
        .lines()
        .filter(|l| l.contains('.') && !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|k| k.contains('.') && !k.ends_with(':'))
        .all(|k| k.starts_with("family_help.") || k.ends_with(".toml")));

    let err = table(Some("no_such_metric")).unwrap_err().to_string();
    assert!(
        err.contains("--metrics no_such_metric: no metric matches"),
        "{err}"
    );
    // Refused before any run: the output folder is never made.
    let out = dir.file("never");
    let mut opts = compare_opts(2, 1, Some(&out));
    opts.spec.family = None;
    opts.metrics = Some("care.*,care.nothing*".into());
    let err = commands::compare(
        &[tiny_path(), b.clone()],
        &opts,
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no metric matches \"care.nothing*\""), "{err}");
    assert!(
        !out.exists(),
        "the runs were made before the pattern was refused"
    );
}

#[test]
fn runs_that_share_their_beginning_report_each_scenario_s_own_runs() {
    // The FFC reform parts from the default on 1 July 2024, after a 20-year
    // burn-in: replications after the first run that part once and branch.
    // Every run reported on the common seed is still the scenario's own.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (a, b) = (
        root.join("scenarios/default.toml"),
        root.join("scenarios/ffc-reform.toml"),
    );
    let dir = TempDir::new("shared");
    let out = dir.file("out");
    let mut opts = compare_opts(3, 2, Some(&out));
    opts.spec.family = None;
    let mut note = Vec::new();
    commands::compare(&[a.clone(), b.clone()], &opts, &mut Vec::new(), &mut note).unwrap();
    let note = String::from_utf8(note).unwrap();
    assert!(
        note.contains("the scenarios' parameters agree until 2024-07-01"),
        "{note}"
    );
    let rows = std::fs::read_to_string(out.join("compare-replications.csv")).unwrap();
    let mut checked = 0;
    for (path, name) in [(&a, "default.toml"), (&b, "ffc-reform.toml")] {
        let input = ScenarioInput::load(path).unwrap();
        for line in rows.lines() {
            let f: Vec<&str> = line.split(',').collect();
            if f[0].ends_with(name) && f[1] == "common" && f[4] == "events" && f[2] != "0" {
                let seed: u64 = f[3].parse().unwrap();
                let own = run::run::<std::io::Sink>(&input, seed, None).unwrap();
                assert_eq!(f[5], own.summary.events.to_string(), "{line}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4, "replications 1 and 2 of each scenario");
}
