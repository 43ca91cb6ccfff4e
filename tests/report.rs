//! The HTML report's content: sections a modeller reads, a comparison's
//! differences and counterfactual counts, and clear errors.

mod common;

use std::path::Path;

#[test]
fn a_comparison_report_shows_differences_and_counterfactuals() {
    let dir = common::TempDir::new("report-compare");
    let out = dir.path().join("cmp");
    let scenarios = [
        Path::new("tests/data/tiny.toml").to_path_buf(),
        Path::new("tests/data/tiny.toml").to_path_buf(),
    ];
    compare_into(&scenarios, 3, 1, 1, &out);
    let html = report_of(&scenarios[0], 1, &out);
    for needle in [
        "<h2>Headline outcomes</h2>",
        "England 2024/25",
        "id=\"differences\"",
        "came into care under A, stayed at home under B",
        "id=\"flow\"",
        "Spending by budget line and financial year",
        "Apr 2024",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // The same scenario against itself: every difference is zero.
    assert!(
        html.contains("(+0.0%)") && !html.contains("(+1"),
        "non-zero differences"
    );
}

/// A comparison's fans: per month, each scenario's deciles across its
/// replications, in compare.json and fan.csv, drawn as bands in the report.
#[test]
fn a_comparison_report_draws_fan_charts_across_replications() {
    let dir = common::TempDir::new("report-fans");
    let out = dir.path().join("cmp");
    let b = dir.path().join("b.toml");
    // B: three family help workers where A has one, so its bands differ from A's.
    std::fs::write(
        &b,
        format!(
            "extends = \"{}\"\nname = \"more workers\"\n[family_help]\nfte = 3\n",
            common::manifest_dir()
                .join("tests/data/tiny.toml")
                .display()
        ),
    )
    .unwrap();
    let scenarios = [Path::new("tests/data/tiny.toml").to_path_buf(), b];
    compare_into(&scenarios, 5, 3, 2, &out);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let fans = &json["fans"];
    let months = fans["months"].as_array().unwrap().len();
    assert!(months >= 12, "{months} months");
    let scenarios_fans = fans["scenarios"].as_array().unwrap();
    assert_eq!(scenarios_fans.len(), 2);
    let mut spread = false;
    for s in scenarios_fans {
        assert_eq!(s["replications"], 5);
        for f in s["fans"].as_array().unwrap() {
            let deciles = f["deciles"].as_array().unwrap();
            assert_eq!(deciles.len(), months, "{}", f["measure"]);
            for d in deciles.iter().filter(|d| !d.is_null()) {
                let d: Vec<f64> = d
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                assert_eq!(d.len(), 9);
                assert!(
                    d.windows(2).all(|w| w[0] <= w[1]),
                    "deciles out of order: {d:?}"
                );
                spread |= d[8] > d[0];
            }
        }
    }
    assert!(spread, "no month's deciles spread across replications");
    let reps = std::fs::read_to_string(out.join("fan.csv")).unwrap();
    assert!(reps.starts_with("scenario,measure,period,p10,"));
    assert!(reps.lines().any(|l| l.contains(",referrals,")));
    let html = report_of(&scenarios[0], 3, &out);
    assert!(html.contains("<h3>Across replications</h3>"));
    assert!(html.contains("B: more workers"));
    assert!(html.contains("id=\"fan-3\""), "no referrals fan");
    // Two bands per scenario per chart drawn.
    let charts = html.matches("id=\"fan-").count();
    assert_eq!(html.matches("class=\"band\"").count(), 4 * charts);
}

#[test]
fn a_folder_without_a_summary_is_a_clear_error() {
    let dir = common::TempDir::new("report-empty");
    let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
        .unwrap_err()
        .to_string();
    // What the folder lacks and which command writes it, not a bare I/O
    // error.
    assert!(
        err.contains(&dir.path().display().to_string())
            && err.contains("has no summary.json")
            && err.contains("familyflow run SCENARIO --out DIR"),
        "{err}"
    );
    assert!(!err.contains("No such file"), "{err}");
    // A region's folder: report a member's.
    std::fs::write(dir.file("region-summary.json"), "{}").unwrap();
    let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("a region's folder"), "{err}");
    // No folder at all: said, and none is made.
    let nowhere = dir.file("nowhere");
    let err = familyflow::cli::commands::report(&nowhere, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no such folder"), "{err}");
    assert!(!nowhere.exists(), "report made the folder");
}

/// The report's inputs are read with a cap, and only from regular files:
/// a summary.json larger than the cap, or one that is a device, is refused
/// with the file's name and the cap, unread; so is compare.json.
#[test]
fn the_report_reads_its_inputs_with_a_cap() {
    use familyflow::cli::commands::MAX_REPORT_INPUT_BYTES;
    let dir = common::TempDir::new("report-cap");
    let summary = dir.file("summary.json");
    // A sparse file: its size costs no disk.
    let f = std::fs::File::create(&summary).unwrap();
    f.set_len(MAX_REPORT_INPUT_BYTES + 1).unwrap();
    drop(f);
    let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("summary.json") && err.contains("32 MiB"),
        "{err}"
    );
    std::fs::remove_file(&summary).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", &summary).unwrap();
        let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("summary.json") && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&summary).unwrap();
        std::fs::copy("tests/golden/run-summary.json", &summary).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.file("compare.json")).unwrap();
        let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("compare.json") && err.contains("not a regular file"),
            "{err}"
        );
        // A scenario for compare that is a device: refused, not read for
        // ever (the check for a region file read it whole).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = familyflow::analysis::compare::Subject::load(Path::new("/dev/zero"));
            let _ = tx.send(r.map(|_| ()).unwrap_err().to_string());
        });
        let err = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("Subject::load(/dev/zero) returns");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

/// Absurd values in compare.json (a baseline of almost 0, differences of
/// 1e308) give no `inf` or `NaN` in the report: `n/a`, or a clipped value
/// with a marker; so do `inf` and `NaN` in summary-stats.csv.
#[test]
fn absurd_values_are_never_shown_as_inf_or_nan() {
    let summary = poisoned_summary(&|s| s.to_string());
    let compare = compare_json(vec![
        metric("referrals.total", 1e-300, -1e10, -1e11, 1.0),
        metric("referrals.rereferrals", 1.0, 1e308, -1e308, 1e308),
        metric("family_help.started", 10.0, 5_000.0, 4_000.0, 6_000.0),
        metric("family_help.queued", 10.0, -1.0, -2.0, 0.0),
    ]);
    let view = familyflow::analysis::report::differences_from_compare(&compare).unwrap();
    let spreads = familyflow::analysis::report::spreads_from_csv(
        "metric,n,mean,sd,ci95_low,ci95_high\n\
         referrals.per_10k_children_per_year,4,inf,0,NaN,-inf\n",
    );
    assert_eq!(spreads.len(), 1, "the row is read");
    let html = familyflow::analysis::report::html(&summary, Some(&view), &spreads);
    for bad in ["inf", "NaN"] {
        assert!(!html.contains(bad), "{bad} in the report");
    }
    assert!(html.contains("referrals (n/a)"), "no n/a");
    assert!(html.contains("re-referrals (n/a)"), "no n/a");
    assert!(
        html.contains("families starting family help (≥+10000.0%)"),
        "no clipped marker"
    );
    assert!(html.contains("families who had to wait for help (-10.0%)"));
    assert!(html.contains("n/a (n/a to n/a)"), "spreads");
}

#[test]
fn a_replications_report_shows_confidence_intervals() {
    let dir = common::TempDir::new("report-reps");
    let bin = env!("CARGO_BIN_EXE_familyflow");
    let out = dir.path().join("reps");
    let o = std::process::Command::new(bin)
        .args([
            "run",
            "tests/data/tiny.toml",
            "--replications",
            "4",
            "--quiet",
            "--report",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("mean of 4 replications (95% CI)"));
    assert!(html.contains(" to "), "intervals are shown");
}

/// Markup that must never reach the page unescaped.
const PAYLOAD: &str = "<img src=x onerror=alert(1)>\"'&";

/// Every string in a JSON value, with `f` applied.
fn map_strings(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    match v {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|v| map_strings(v, f)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|v| map_strings(v, f)),
        _ => {}
    }
}

/// The golden run's summary with `f` applied to every string in it.
fn poisoned_summary(f: &dyn Fn(&str) -> String) -> familyflow::analysis::summary::Summary {
    let text = std::fs::read_to_string("tests/golden/run-summary.json").unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    map_strings(&mut json, f);
    serde_json::from_value(json).expect("every string of a summary is free text")
}

#[test]
fn every_string_from_a_summary_is_escaped_in_the_report() {
    // Issue 14, finding 13: `start`, `end` and a year's `period` reached
    // the page raw. Every string of summary.json (and the names in
    // compare.json) now goes through the report's escaping.
    let summary = poisoned_summary(&|s| format!("{s}{PAYLOAD}"));
    let compare = serde_json::json!({
        "comparisons": [{
            "a": format!("a.toml{PAYLOAD}"),
            "b_name": format!("B{PAYLOAD}"),
            "metrics": [{
                "metric": "referrals.total", "mean_a": 10.0,
                "diff": {"mean": 1.0, "ci95_low": 0.5, "ci95_high": 1.5}
            }],
            "families": {"identical": 3}
        }]
    });
    let view = familyflow::analysis::report::differences_from_compare(&compare).unwrap();
    let html = familyflow::analysis::report::html(&summary, Some(&view), &Default::default());
    assert!(!html.contains("<img"), "unescaped markup in the report");
    assert!(
        !html.contains(PAYLOAD),
        "an unescaped quote ends an attribute"
    );
    let escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;'&amp;";
    for (what, value) in [
        ("scenario", &summary.scenario),
        ("start", &summary.start),
        ("end", &summary.end),
        ("a financial year", &summary.by_financial_year[0].period),
    ] {
        let shown = value.replace(PAYLOAD, escaped);
        assert!(html.contains(&shown), "{what} is not shown escaped");
    }
    // The page's own markup is still there.
    assert_eq!(html.matches("<script>").count(), 1);
}

#[test]
fn a_summary_prints_no_terminal_escape_sequences() {
    // Issue 14, finding 13: a scenario name (or a policy note) with escape
    // sequences was printed raw by `run`, `replay` and `branch`.
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{9b}31m\u{202e}";
    let mut summary = poisoned_summary(&|s| s.to_string());
    let name = summary.scenario.clone();
    summary.scenario = format!("{name}{hostile}");
    summary.policy = vec![format!("2025-04-01: more staff{hostile}")];
    let text = summary.to_text();
    for c in text.chars() {
        assert!(
            !c.is_control() || c == '\n',
            "control character {c:?} in the text summary"
        );
        assert_ne!(
            c, '\u{202e}',
            "a bidirectional override in the text summary"
        );
    }
    let shown = "\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2J\u{FFFD}\u{FFFD}31m\u{FFFD}";
    assert!(text.contains(&format!("{name}{shown}\n")), "{text}");
    assert!(text.contains(&format!("policy from 2025-04-01: more staff{shown}\n")));
}

#[test]
fn the_monthly_csv_quotes_formula_text() {
    // Issue 14, finding 13: text cells of every CSV go through one helper.
    let mut summary = poisoned_summary(&|s| s.to_string());
    let plain = summary.monthly_csv();
    summary.by_month[0].period = "=HYPERLINK(\"http://x\",\"click\")".into();
    summary.by_month[1].period = "-1+cmd|' /C calc'!A0".into();
    let csv_text = summary.monthly_csv();
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    let months: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(0).unwrap().to_string())
        .collect();
    assert_eq!(months[0], "'=HYPERLINK(\"http://x\",\"click\")");
    assert_eq!(months[1], "'-1+cmd|' /C calc'!A0");
    // The rest is as before, numbers as numbers.
    let tail = |t: &str| t.lines().skip(3).collect::<Vec<_>>().join("\n");
    assert_eq!(tail(&plain), tail(&csv_text));
}

/// The comparison shows absolute differences in their units (children,
/// £, percentage points) beside the % of the baseline, and an effect
/// beyond the chart's axis is marked with an arrowhead, not silently cut.
#[test]
fn a_comparison_shows_absolute_differences_and_marks_effects_beyond_the_axis() {
    let summary = poisoned_summary(&|s| s.to_string());
    let compare = compare_json(vec![
        metric("referrals.total", 15_000.0, -300.0, -350.0, -250.0),
        metric("family_network.fgdm_held", 170.0, 785.0, 774.0, 795.0),
        metric("care.kinship_share_pct", 14.0, 0.5, -0.1, 1.1),
        metric(
            "care.placement_spend_pence",
            12_000_000_000.0,
            -534_000_000.0,
            -689_000_000.0,
            -380_000_000.0,
        ),
    ]);
    let view = familyflow::analysis::report::differences_from_compare(&compare).unwrap();
    let html = familyflow::analysis::report::html(&summary, Some(&view), &Default::default());
    let table = &html[html
        .find("id=\"difference-table\"")
        .expect("a table of differences")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("-300"), "{table}");
    assert!(
        table.contains("-£5.34m") && table.contains("£120.00m"),
        "{table}"
    );
    assert!(table.contains("+0.50 pp"), "{table}");
    assert!(table.contains("+461.8%"), "{table}");
    // FGDM held rises by 462%: beyond the axis, with an arrowhead.
    assert!(html.contains("class=\"clipped\""), "no arrowhead");
    assert!(html.contains("beyond the axis: +"), "no arrowhead title");
}

/// `familyflow compare SCENARIOS --replications R --seed SEED --threads T --out OUT`.
fn compare_into(
    scenarios: &[std::path::PathBuf],
    replications: u32,
    seed: u64,
    threads: usize,
    out: &Path,
) {
    familyflow::cli::commands::compare(
        scenarios,
        &familyflow::cli::commands::CompareOptions {
            spec: familyflow::cli::commands::CompareSpec {
                replications,
                seed,
                threads: Some(threads),
                warm_up: None,
                family: None,
            },
            progress: false,
            out_dir: Some(out.to_path_buf()),
            metrics: None,
        },
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap();
}

/// `compare --report`'s report in `out`: A's first replication (seed `seed`) beside the comparison.
fn report_of(a: &Path, seed: u64, out: &Path) -> String {
    familyflow::cli::commands::first_replication_report(Some(a), seed, out, &mut std::io::sink())
        .unwrap();
    std::fs::read_to_string(out.join("report.html")).unwrap()
}

/// One paired difference as `compare.json` writes it.
fn metric(name: &str, mean_a: f64, d: f64, low: f64, high: f64) -> serde_json::Value {
    serde_json::json!({
        "metric": name, "mean_a": mean_a,
        "diff": {"mean": d, "ci95_low": low, "ci95_high": high}
    })
}

/// A `compare.json` of one comparison (B against a.toml) with `metrics`.
fn compare_json(metrics: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "comparisons": [{
            "a": "a.toml",
            "b_name": "B",
            "metrics": metrics,
            "families": {"identical": 3}
        }]
    })
}
