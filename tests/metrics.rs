//! The metric registry: `docs/METRICS.md` is generated from it, every key a
//! run reports has exactly one entry, and keys users' scripts read stay put.
//!
//! Re-bless `docs/METRICS.md` after changing the registry with
//! `FAMILYFLOW_BLESS=1 cargo test --test metrics`.

use familyflow::analysis::run;
use std::collections::BTreeSet;
use std::path::PathBuf;

use familyflow::analysis::metric_registry::{self, Entry, Unit};
use familyflow::analysis::replications::{self, MetricValues, WarmUp};
use familyflow::analysis::summary::{Count, Summary};
use familyflow::model::input::ScenarioInput;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn summary(input: &ScenarioInput, seed: u64) -> Summary {
    run::run::<std::io::Sink>(input, seed, None)
        .expect("the scenario runs")
        .summary
}

/// The metrics of the default scenario and of the FFC reform (a policy
/// change), each without and with a warm-up.
fn runs() -> Vec<(String, MetricValues)> {
    let default = ScenarioInput::builtin();
    let reform = ScenarioInput::load(&repo("scenarios/ffc-reform.toml")).expect("loads");
    let one_year: WarmUp = "1y".parse().unwrap();
    let six_months: WarmUp = "6m".parse().unwrap();
    let mut out = Vec::new();
    for (name, input) in [("default", &default), ("ffc-reform", &reform)] {
        let s = summary(input, 3);
        out.push((
            name.to_string(),
            replications::metrics(&s, None).expect("metrics"),
        ));
        for w in [&one_year, &six_months] {
            out.push((
                format!("{name} --warm-up {w}"),
                replications::metrics(&s, Some(w)).expect("metrics after a warm-up"),
            ));
        }
    }
    out
}

#[test]
fn docs_metrics_md_is_generated_from_the_registry() {
    let path = repo("docs/METRICS.md");
    let text = metric_registry::metrics_doc();
    if std::env::var("FAMILYFLOW_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let file = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with FAMILYFLOW_BLESS=1 cargo test --test metrics",
            path.display()
        )
    });
    if file != text {
        let line = file
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(file.lines().count().min(text.lines().count()));
        panic!(
            "docs/METRICS.md is not what the metric registry generates (first difference on \
             line {}). Regenerate it with FAMILYFLOW_BLESS=1 cargo test --test metrics — and \
             remember that a key, once released, must not change.",
            line + 1
        );
    }
}

#[test]
fn every_key_a_run_reports_matches_exactly_one_entry() {
    let entries = metric_registry::entries();
    let mut used = vec![false; entries.len()];
    for (run, values) in runs() {
        assert!(values.len() > 100, "{run}: only {} metrics", values.len());
        let mut seen = BTreeSet::new();
        for (key, x) in &values {
            assert!(seen.insert(key.as_str()), "{run}: `{key}` reported twice");
            assert!(x.is_finite(), "{run}: `{key}` = {x}");
            let matching: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.matches(key))
                .map(|(i, _)| i)
                .collect();
            match matching.as_slice() {
                [i] => used[*i] = true,
                [] => panic!("{run}: `{key}` has no entry in the metric registry"),
                many => panic!(
                    "{run}: `{key}` matches {} entries: {:?}",
                    many.len(),
                    many.iter().map(|&i| &entries[i].key).collect::<Vec<_>>()
                ),
            }
            assert_eq!(
                metric_registry::lookup(key).map(|e| e.key),
                Some(entries[matching[0]].key.clone())
            );
        }
    }
    // No entry is dead: the default and the reform, with and without a
    // warm-up, report every one.
    let unused: Vec<&str> = entries
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| e.key.as_str())
        .collect();
    assert!(unused.is_empty(), "entries no run reports: {unused:?}");
}

#[test]
fn no_two_entries_give_the_same_key() {
    let entries = metric_registry::entries();
    let mut all = BTreeSet::new();
    for e in &entries {
        let keys = e.keys(&["2024-25", "2033-34"]);
        assert!(!keys.is_empty(), "{}", e.key);
        for key in keys {
            let matching: Vec<&str> = entries
                .iter()
                .filter(|x| x.matches(&key))
                .map(|x| x.key.as_str())
                .collect();
            assert_eq!(matching, [e.key.as_str()], "`{key}`");
            assert!(all.insert(key.clone()), "`{key}` twice");
        }
    }
    let patterns: BTreeSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(patterns.len(), entries.len());
}

#[test]
fn keys_scripts_read_are_where_they_were() {
    let runs = runs();
    let (_, default) = &runs[0];
    let keys: Vec<&str> = default.iter().map(|(k, _)| k.as_str()).collect();
    // In this order (the files' row order).
    let wanted = [
        "starting_caseload",
        "referrals.total",
        "triage.decisions.no_further_action",
        "triage.decisions.strategy_discussion",
        "family_help.outcomes.assessed_not_in_need",
        "child_protection.s47_enquiries",
        "family_network.fnsp_pence",
        "care.entries.kinship_family_and_friends",
        "care.entries.foster_care_in-house",
        "care.entries_per_10k_children_per_year",
        "care.exits.special_guardianship_cao",
        "care.placement_spend_pence",
        "care.final_orders.supervision_order_or_no_order",
        "care.entries_by_route.section_20_voluntary",
        "care.entries_by_route.unaccompanied_asylum-seeking_child",
        "care.entries_by_legal_status.emergency_protection_order",
        "care.entries_by_age.16_and_over",
        "care.child_days_in_care",
        "closures.after_a_section_47_enquiry_or_conference",
        "closures.the_child_turned_18_not_in_care",
        "at_end.children_looked_after",
        "workforce.front_door.fte",
        "workforce.family_help.turnover_pct_per_year",
        "workforce.fgdm_coordinators.at_end.cases",
        "budget.family_help_staff.budget_pence_per_year",
        "budget.placements.spent_pence",
        "budget.other_staff.by_year.2024-25.spent_pence",
        "by_financial_year.2024-25.referrals",
        "by_financial_year.2024-25.triage.family_help",
        "by_financial_year.2024-25.looked_after_at_end.residential",
        "by_financial_year.2024-25.spend_pence.3",
        "by_financial_year.2024-25.staff_at_end.4.cases",
        "by_financial_year.2024-25.care_exits_by_reason.3",
        "by_financial_year.2025-26.referrals",
    ];
    let mut at = 0;
    for w in wanted {
        let i = keys
            .iter()
            .position(|k| *k == w)
            .unwrap_or_else(|| panic!("the default run has no `{w}`"));
        assert!(i >= at, "`{w}` comes before the key listed above it");
        at = i;
    }
    assert!(!keys
        .iter()
        .any(|k| k.starts_with("seed") || k.starts_with("children") || k.starts_with("by_month")));
    let (_, warm) = &runs[1];
    let warm: Vec<&str> = warm.iter().map(|(k, _)| k.as_str()).collect();
    for w in [
        "after_warm_up.referrals",
        "after_warm_up.triage.universal_services",
        "after_warm_up.on_plan_at_end.mean",
        "after_warm_up.looked_after_at_end.kinship_family_and_friends.mean",
        "after_warm_up.staff_at_end.0.posts.mean",
        "after_warm_up.care_entries_per_10k_children_per_year",
        "at_end.awaiting_triage",
    ] {
        assert!(warm.contains(&w), "no `{w}` after a warm-up");
    }
    assert!(!warm.contains(&"referrals.total"));
}

#[test]
fn values_are_the_summary_figures() {
    let s = summary(&ScenarioInput::builtin(), 11);
    let values = replications::metrics(&s, None).unwrap();
    let get = |k: &str| {
        values
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, x)| *x)
            .unwrap_or_else(|| panic!("no `{k}`"))
    };
    assert_eq!(get("referrals.total"), s.referrals.total as f64);
    assert_eq!(get("events"), s.events as f64);
    assert_eq!(
        get("care.entries.residential"),
        s.care.entries[3].count as f64
    );
    assert_eq!(get("family_help.fte"), s.family_help.fte);
    assert_eq!(
        get("care.entries_per_10k_children_per_year"),
        s.care.entries_per_10k_children_per_year
    );
    assert_eq!(
        get("workforce.child_protection.left"),
        s.workforce[2].left as f64
    );
    let y = &s.by_financial_year[1];
    assert_eq!(
        get(&format!("by_financial_year.{}.staff_left.2", y.period)),
        y.staff_left[familyflow::model::event::Pool::ChildProtection] as f64
    );
    let last = s.budget[3].by_year.last().unwrap();
    assert_eq!(
        get(&format!(
            "budget.placements.by_year.{}.budget_pence",
            last.period
        )),
        last.budget_pence as f64
    );
}

#[test]
fn a_summary_that_does_not_fit_the_registry_is_an_error() {
    let mut s = summary(&ScenarioInput::builtin(), 2);
    s.care.entries.push(Count {
        what: "a new placement".into(),
        count: 1,
    });
    let err = replications::metrics(&s, None).unwrap_err();
    assert!(err.contains("care.entries.{placement}"), "{err}");
}

#[test]
fn money_is_in_pence_and_says_so() {
    for e in metric_registry::entries() {
        let money = matches!(e.unit, Unit::Pence | Unit::PencePerYear);
        assert_eq!(
            money,
            e.key.contains("pence"),
            "`{}` ({})",
            e.key,
            e.unit.label()
        );
    }
}

#[test]
fn after_a_warm_up_stocks_are_means_of_month_ends() {
    for e in metric_registry::entries() {
        if let Some(rest) = e.key.strip_prefix("after_warm_up.") {
            assert_eq!(
                rest.contains("_at_end"),
                rest.ends_with(".mean"),
                "`{}`",
                e.key
            );
        }
    }
}

/// Every source is an `Event` variant, `scenario`, `state`, `every event`,
/// or `derived from` another entry.
#[test]
fn sources_name_events_or_other_metrics() {
    let events = std::fs::read_to_string(repo("src/model/event.rs")).unwrap();
    let entries = metric_registry::entries();
    for e in &entries {
        assert!(!e.sources.is_empty(), "`{}` has no source", e.key);
        assert!(!e.meaning.is_empty() && !e.meaning.contains('\n'));
        for source in &e.sources {
            if let Some(key) = source.strip_prefix("derived from ") {
                let known = match key.strip_suffix(".*") {
                    Some(prefix) => entries
                        .iter()
                        .any(|x| x.key.starts_with(&format!("{prefix}."))),
                    None => entries.iter().any(|x| x.key == key || x.matches(key)),
                };
                assert!(known, "`{}`: no entry `{key}`", e.key);
            } else if !["scenario", "state", "every event"].contains(&source.as_str()) {
                assert!(
                    events.contains(&format!("Event::{source} ")),
                    "`{}`: `{source}` is not an Event variant",
                    e.key
                );
            }
        }
    }
}

#[test]
fn the_dictionary_comes_as_text_json_and_markdown() {
    let entries: Vec<Entry> = metric_registry::entries();
    let json: serde_json::Value =
        serde_json::from_str(&metric_registry::dictionary_json()).unwrap();
    let array = json.as_array().expect("an array");
    assert_eq!(array.len(), entries.len());
    for (j, e) in array.iter().zip(&entries) {
        let o = j.as_object().unwrap();
        assert_eq!(
            o.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["key", "meaning", "sources", "unit"]
        );
        assert_eq!(o["key"], e.key.as_str());
        assert_eq!(o["unit"], e.unit.label());
        assert_eq!(o["sources"].as_array().unwrap().len(), e.sources.len());
    }
    let text = metric_registry::dictionary_text();
    let markdown = metric_registry::dictionary_markdown();
    for e in &entries {
        assert!(text.contains(&e.key), "the text has no `{}`", e.key);
        assert!(
            markdown.contains(&format!("| `{}` |", e.key)),
            "the Markdown has no `{}`",
            e.key
        );
    }
    assert!(text.contains("{pool_index}") && text.contains("0 front_door"));
    assert!(text.contains("pence"));
}

#[test]
fn the_metrics_command_prints_the_dictionary() {
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_familyflow"))
            .args(args)
            .output()
            .expect("the familyflow binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).expect("UTF-8")
    };
    let text = run(&["metrics"]);
    assert_eq!(
        text,
        familyflow::analysis::metric_registry::dictionary_text()
    );
    assert!(text.contains("child_protection.s47_enquiries"));
    let json: serde_json::Value = serde_json::from_str(&run(&["metrics", "--json"])).unwrap();
    let entries = json.as_array().expect("an array");
    assert!(entries.len() > 100);
    assert!(entries
        .iter()
        .any(|e| e["key"] == "care.entries_per_10k_children_per_year"
            && e["unit"].as_str().is_some_and(|u| u.contains("10,000"))));
}
