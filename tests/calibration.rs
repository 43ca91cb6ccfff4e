//! Calibration at steady state, through the same code as `familyflow
//! validate` (`src/validate.rs`): the England baseline at a tenth of its
//! size (rates per 10,000 children do not depend on size), after its
//! 20-year burn-in, mean of 5 replications, in its last full financial year
//! with a 31 March figure, against every published 2024/25 figure in
//! `docs/reference/england.md` (±10%; shares of entries by legal status and
//! age ±5 points; turnover and agency share inside the published ranges);
//! the same runs hold still over ten years; and the family group
//! conference at pre-proceedings trial is reproduced by its scenario pair.

use familyflow::analysis::validate::{calibration, fgc_trial, stationarity_england, Context, Row};

fn assert_all_pass(what: &str, rows: &[Row]) {
    assert!(!rows.is_empty(), "{what}: no rows");
    let mut failed = Vec::new();
    for r in rows {
        println!(
            "{} {} | target {} | model {:.2} ({:.2} to {:.2}) | {}",
            if r.pass { "PASS" } else { "FAIL" },
            r.check,
            r.target,
            r.value,
            r.ci95_low,
            r.ci95_high,
            r.source
        );
        if !r.pass {
            failed.push(format!(
                "{}: {} against {}; {}",
                r.check, r.value, r.target, r.note
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{what}: failed checks:\n{}",
        failed.join("\n")
    );
}

#[test]
fn england_baseline_is_settled_and_reproduces_2024_25_national_figures() {
    // One context: the England runs are made once and shared.
    let ctx = Context::new(false, 2, &familyflow::analysis::Unwatched);
    assert_all_pass(
        "stationarity (England)",
        &stationarity_england(&ctx).expect("runs"),
    );
    assert_all_pass("calibration", &calibration(&ctx).expect("runs"));
}

#[test]
fn the_family_group_conference_trial_is_reproduced() {
    let ctx = Context::new(true, 2, &familyflow::analysis::Unwatched);
    assert_all_pass("FGC trial", &fgc_trial(&ctx).expect("runs"));
}
