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
