//! Calibration: the England baseline, run for ten years at a tenth of
//! England's size (rates per 10,000 children do not depend on size), must
//! reproduce the published 2024/25 national figures within ±10% — and the
//! kinship share within ±5 percentage points — in its last full financial
//! year with a 31 March figure (2032-33; ten 365-day years end two days
//! before 31 March 2034). Social worker turnover and agency share must lie
//! within 3 points of the published 2023-2024 range. The test prints model
//! and published side by side.

use std::path::Path;

use familyflow::engine::{run, ScenarioInput};
use familyflow::event::Pool;
use familyflow::scenario::NonNegative;

/// England's children under 18 (derived in shared/reference/england.md).
const ENGLAND_CHILDREN: f64 = 12_150_000.0;

#[test]
fn england_baseline_reproduces_2024_25_national_figures() {
    let mut input = ScenarioInput::load(Path::new("scenarios/england-baseline.toml")).unwrap();
    let s = &mut input.scenario;
    s.area.children /= 10;
    for fte in [
        &mut s.family_help.fte,
        &mut s.triage.fte,
        &mut s.child_protection.fte,
        &mut s.lead_practitioners.fte,
        &mut s.family_network.coordinators_fte,
    ] {
        *fte = NonNegative(fte.get() / 10.0);
    }
    for line in [
        &mut s.budget.family_help,
        &mut s.budget.fgdm,
        &mut s.budget.fnsp,
        &mut s.budget.placements,
        &mut s.budget.workforce,
    ] {
        line.pounds_per_year = NonNegative(line.pounds_per_year.get() / 10.0);
    }
    let children = s.area.children as f64;
    let finished = run::<std::io::Sink>(&input, 1, None).expect("runs");
    let year = finished
        .summary
        .by_financial_year
        .iter()
        .find(|y| y.period == "2032-33")
        .expect("the run covers 2032-33");
    let cla = year
        .looked_after_at_end
        .expect("31 March 2033 is inside the run");
    let cla_total: u64 = cla.iter().sum();
    let per_10k = |n: u64| n as f64 / children * 10_000.0;
    let published = |n: f64| n / ENGLAND_CHILDREN * 10_000.0;
    // (measure, model per 10,000, published per 10,000): England 2024/25.
    let rows = [
        ("referrals", per_10k(year.referrals), published(632_830.0)),
        (
            "section 47 enquiries",
            per_10k(year.s47_enquiries),
            published(230_590.0),
        ),
        (
            "initial conferences",
            per_10k(year.conferences),
            published(72_100.0),
        ),
        (
            "plans started",
            per_10k(year.plans_started),
            published(61_840.0),
        ),
        (
            "on a plan at 31 March",
            per_10k(year.on_plan_at_end.expect("31 March is inside the run")),
            published(49_420.0),
        ),
        (
            "started to be looked after",
            per_10k(year.care_entries_total()),
            published(32_270.0),
        ),
        (
            "looked after at 31 March",
            per_10k(cla_total),
            published(81_770.0),
        ),
    ];
    let rereferral = year.rereferrals_within_12_months as f64 / year.referrals as f64 * 100.0;
    let kinship = cla[0] as f64 / cla_total as f64 * 100.0;

    println!(
        "\n{:<30}{:>14}{:>14}{:>10}",
        "per 10,000 children", "model 2032-33", "England 24/25", "diff"
    );
    let mut failures = Vec::new();
    for (what, model, england) in rows {
        let diff = (model / england - 1.0) * 100.0;
        println!("{what:<30}{model:>14.1}{england:>14.1}{diff:>9.1}%");
        if diff.abs() > 10.0 {
            failures.push(format!("{what}: {model:.1} vs {england:.1} ({diff:+.1}%)"));
        }
    }
    println!(
        "{:<30}{:>13.1}%{:>13.1}%{:>9.1}%",
        "re-referred within 12 months",
        rereferral,
        22.6,
        (rereferral / 22.6 - 1.0) * 100.0
    );
    if (rereferral / 22.6 - 1.0).abs() > 0.10 {
        failures.push(format!("re-referral rate: {rereferral:.1}% vs 22.6%"));
    }
    println!(
        "{:<30}{:>13.1}%{:>13.1}%{:>8.1}pp",
        "looked after with kin",
        kinship,
        16.0,
        kinship - 16.0
    );
    if (kinship - 16.0).abs() > 5.0 {
        failures.push(format!("kinship share: {kinship:.1}% vs about 16%"));
    }
    // Social workers (family help and child protection pools): turnover and
    // agency share, England at 30 September 2023 (15.9%, 17.8%) and 2024
    // (13.8%; agency about 6,500 of about 40,800 in post, 15.9%, derived).
    let staff = year.staff_at_end.expect("31 March is inside the run");
    let (mut permanent, mut agency, mut left) = (0u64, 0u64, 0u64);
    for pool in [Pool::FamilyHelp, Pool::ChildProtection] {
        let a = staff[pool as usize];
        permanent += u64::from(a.permanent);
        agency += u64::from(a.agency);
        left += year.staff_left[pool as usize];
    }
    let turnover = left as f64 / permanent as f64 * 100.0;
    let agency_share = agency as f64 / (permanent + agency) as f64 * 100.0;
    for (what, model, lo, hi) in [
        ("social worker turnover", turnover, 13.8, 15.9),
        ("agency share of workers", agency_share, 15.9, 17.8),
    ] {
        println!(
            "{what:<30}{model:>13.1}%{:>13}{:>9}",
            format!("{lo}-{hi}%"),
            "23-24"
        );
        // Within 3 points of the published range.
        if model < lo - 3.0 || model > hi + 3.0 {
            failures.push(format!("{what}: {model:.1}% vs {lo}-{hi}%"));
        }
    }
    assert!(failures.is_empty(), "outside the tolerance: {failures:#?}");
}
