//! A sweep's fan charts: per month, the deciles across every design point
//! and replication, for the scenario and the compare scenario; the bands
//! widen when a factor's range widens; the report draws both scenarios.

use std::path::{Path, PathBuf};

mod common;
use common::{familyflow, ok, TempDir};

/// tiny.toml (1,000 children, one year), a reform, and a Latin hypercube of
/// 8 points x 2 replications over the referral rate in [lower, upper].
fn setup(dir: &TempDir, name: &str, lower: u32, upper: u32) -> PathBuf {
    let tiny = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
    std::fs::copy(tiny, dir.file("tiny.toml")).unwrap();
    std::fs::write(
        dir.file("reform.toml"),
        "extends = \"tiny.toml\"\nname = \"reform\"\n\n[[policy]]\ndate = 2024-07-01\nfamily_help.fte = 6\n",
    )
    .unwrap();
    let exp = dir.file(&format!("{name}.sweep"));
    std::fs::write(
        &exp,
        format!(
            "scenario = \"tiny.toml\"\ncompare = \"reform.toml\"\nseed = 3\nreplications = 2\n\
             outputs = [\"referrals.total\"]\n\n[design]\nkind = \"latin_hypercube\"\npoints = 8\n\n\
             [[factor]]\nkey = \"area.new_referrals_per_10k_children\"\nlower = {lower}\nupper = {upper}\n"
        ),
    )
    .unwrap();
    exp
}

fn sweep(exp: &Path, out: &Path) {
    ok(
        &familyflow(&[
            "sweep",
            exp.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--report",
            "-q",
        ]),
        "sweep",
    );
}

/// sweep-fan.csv's rows of `scenario` and `measure`: (period, deciles).
fn fan(out: &Path, scenario: &str, measure: &str) -> Vec<(String, Vec<f64>)> {
    let text = std::fs::read_to_string(out.join("sweep-fan.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,measure,period,p10,p20,p30,p40,p50,p60,p70,p80,p90")
    );
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[0] == scenario && c[1] == measure)
        .map(|c| {
            (
                c[2].to_string(),
                c[3..].iter().map(|v| v.parse::<f64>().unwrap()).collect(),
            )
        })
        .collect()
}

/// The mean width of the 10-90% band over the months.
fn mean_width(rows: &[(String, Vec<f64>)]) -> f64 {
    rows.iter().map(|(_, d)| d[8] - d[0]).sum::<f64>() / rows.len() as f64
}

#[test]
fn the_bands_widen_when_a_factor_range_widens() {
    let dir = TempDir::new("sweep-fan");
    let (narrow, wide) = (dir.file("narrow"), dir.file("wide"));
    sweep(&setup(&dir, "narrow", 395, 405), &narrow);
    sweep(&setup(&dir, "wide", 100, 1200), &wide);
    for scenario in ["tiny.toml", "reform.toml"] {
        let (n, w) = (
            fan(&narrow, scenario, "referrals"),
            fan(&wide, scenario, "referrals"),
        );
        // One row per month of the one-year run, on the same months.
        assert!(n.len() >= 12, "{scenario}: {} months", n.len());
        assert_eq!(
            n.iter().map(|r| &r.0).collect::<Vec<_>>(),
            w.iter().map(|r| &r.0).collect::<Vec<_>>()
        );
        assert_eq!(n[0].0, "2024-04");
        for (_, d) in n.iter().chain(&w) {
            assert!(d.windows(2).all(|p| p[0] <= p[1]), "{d:?}");
        }
        let (wn, ww) = (mean_width(&n), mean_width(&w));
        assert!(
            ww > 2.0 * wn,
            "{scenario}: 10-90% width {wn} narrow, {ww} wide"
        );
        // The monthly medians add up to about the year's referrals the
        // sweep reports (sweep-points.csv: the mean over points of each
        // point's mean over replications).
        let points = std::fs::read_to_string(narrow.join("sweep-points.csv")).unwrap();
        let mut rows = points.lines().map(|l| l.split(',').collect::<Vec<_>>());
        let head = rows.next().unwrap();
        let col = if scenario == "tiny.toml" {
            "baseline_mean"
        } else {
            "value_mean"
        };
        let k = head.iter().position(|h| *h == col).unwrap();
        let year: Vec<f64> = rows.map(|r| r[k].parse().unwrap()).collect();
        let year = year.iter().sum::<f64>() / year.len() as f64;
        let medians: f64 = n.iter().map(|(_, d)| d[4]).sum();
        assert!(
            (medians - year).abs() < 0.25 * year,
            "{scenario}: monthly medians add to {medians}, the year's mean is {year}"
        );
    }
    // The report draws both scenarios' bands and medians on each chart.
    let html = std::fs::read_to_string(wide.join("report.html")).unwrap();
    assert!(html.contains("id=\"fans\""), "no fan section");
    assert!(
        html.contains("A: Tiny test area"),
        "the scenario is not named"
    );
    assert!(
        html.contains("B: reform"),
        "the compare scenario is not named"
    );
    assert!(
        html.contains("8 design points x 2"),
        "the runs are not described"
    );
    let charts: Vec<&str> = html.split("<figure>").skip(1).collect();
    assert!(!charts.is_empty());
    for c in &charts {
        assert_eq!(c.matches("class=\"median\"").count(), 2, "{c}");
        assert_eq!(c.matches("class=\"band\"").count(), 4, "{c}");
    }
    assert!(html.contains("Referrals each month"));
}
