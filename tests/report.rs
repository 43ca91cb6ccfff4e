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
    familyflow::cli::commands::compare(
        &scenarios,
        &familyflow::cli::commands::CompareOptions {
            spec: familyflow::cli::commands::CompareSpec {
                replications: 3,
                seed: 1,
                threads: Some(1),
                warm_up: None,
                family: None,
            },
            progress: false,
            out_dir: Some(out.clone()),
        },
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap();
    familyflow::cli::commands::first_replication_report(
        Some(&scenarios[0]),
        1,
        &out,
        &mut std::io::sink(),
    )
    .unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
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

#[test]
fn a_folder_without_a_summary_is_a_clear_error() {
    let dir = common::TempDir::new("report-empty");
    let err = familyflow::cli::commands::report(dir.path(), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("summary.json"), "{err}");
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
