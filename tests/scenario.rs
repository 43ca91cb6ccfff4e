//! Scenario files: every shipped scenario is valid and runs; `extends` lets a
//! reform state only what differs, with errors pointing at the right file.

use std::path::Path;

use familyflow::analysis::run::run;
use familyflow::model::input::ScenarioInput;

mod common;
use common::TempDir;
use familyflow::model::scenario::Scenario;

/// Every `.toml` under `dir`, in name order.
fn scenario_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scenario_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_scenario_is_valid_and_runs() {
    let mut files = Vec::new();
    scenario_files(Path::new("scenarios"), &mut files);
    let mut regions = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        if familyflow::model::region::RegionInput::is_region(&text) {
            // A region file: every member loads, and the region runs.
            let region = familyflow::model::region::RegionInput::load(path)
                .unwrap_or_else(|e| panic!("{e}"));
            let done = familyflow::analysis::region::run_region::<std::io::Sink>(&region, 1, None)
                .unwrap();
            assert!(
                done.summary.figures.placements_made > 0,
                "{}",
                path.display()
            );
            regions += 1;
            continue;
        }
        let mut input = ScenarioInput::load(path).unwrap_or_else(|e| panic!("{e}"));
        // England-sized scenarios run at a hundredth of their size here (the
        // CI script runs the England baseline in full, in release).
        let s = &mut input.scenario;
        if s.area.children > 1_000_000 {
            s.area.children /= 100;
            s.family_help.fte =
                familyflow::model::scenario::NonNegative(s.family_help.fte.get() / 100.0);
        }
        let finished = run::<std::io::Sink>(&input, 1, None).unwrap();
        assert!(finished.summary.events > 0, "{}", path.display());
    }
    assert!(files.len() >= 22, "{} scenarios found", files.len());
    assert!(regions >= 4, "{regions} regions found");
}

#[test]
fn a_reform_extends_its_baseline_and_changes_only_what_it_states() {
    let (base, _) = Scenario::load(Path::new("scenarios/default.toml")).unwrap();
    let (ffc, effective) = Scenario::load(Path::new("scenarios/ffc-reform.toml")).unwrap();
    assert_ne!(ffc.name, base.name);
    assert_eq!(ffc.policy.len(), 1);
    let versions = ffc.timeline().unwrap();
    assert_eq!(versions.len(), 2);
    let (date, after) = &versions[1];
    assert_eq!(date.to_string(), "2024-07-01");
    assert!(after.family_help.multidisciplinary && !base.family_help.multidisciplinary);
    assert_eq!(after.triage.data_sharing.get(), 0.8);
    assert_eq!(
        after.family_help.caseload_cap,
        base.family_help.caseload_cap
    );
    // Everything else is the baseline's.
    assert_eq!(ffc.area.children, base.area.children);
    assert_eq!(ffc.family_help.caseload_cap, base.family_help.caseload_cap);
    assert_eq!(
        ffc.triage.accuracy_with_full_data_sharing,
        base.triage.accuracy_with_full_data_sharing
    );
    assert_eq!(ffc.bank_holidays, base.bank_holidays);
    // The effective text stands alone: it parses to the same scenario without the base.
    let again = Scenario::parse(&effective, "effective").unwrap();
    assert_eq!(again.family_help.fte, ffc.family_help.fte);
    assert_eq!(again.start, ffc.start);
    assert_eq!(again.timeline().unwrap().len(), 2);
}

/// Runs a scenario and returns its events.
fn events(input: &ScenarioInput, seed: u64) -> Vec<familyflow::model::event::Timed> {
    let model = familyflow::model::Model::new(input.scenario.clone(), seed);
    let mut events = Vec::new();
    familyflow::model::simulate(&model, &mut events).unwrap();
    events
}

#[test]
fn a_policy_change_leaves_the_past_alone_and_acts_from_its_date() {
    let base = ScenarioInput::load(Path::new("scenarios/default.toml")).unwrap();
    let ffc = ScenarioInput::load(Path::new("scenarios/ffc-reform.toml")).unwrap();
    let change_at = ffc
        .scenario
        .calendar()
        .minute_of(ffc.scenario.policy[0].date);
    let a = events(&base, 4);
    let b = events(&ffc, 4);
    let before = |e: &&familyflow::model::event::Timed| e.at < change_at;
    let a_before: Vec<_> = a.iter().filter(before).collect();
    let b_before: Vec<_> = b.iter().filter(before).collect();
    assert!(a_before.len() > 1000);
    assert_eq!(a_before, b_before, "the runs differ before the policy date");
    let first_after = b.iter().find(|e| e.at >= change_at).unwrap();
    assert_eq!(first_after.at, change_at);
    assert_eq!(
        first_after.event,
        familyflow::model::event::Event::PolicyApplied { change: 1 }
    );
    assert_ne!(a, b, "the policy changed nothing");
    // The log of a run with a timeline replays to the same state.
    let model = familyflow::model::Model::new(ffc.scenario.clone(), 4);
    let mut w = familyflow::engine::log::LogWriter::new(Vec::new(), &ffc.header(4)).unwrap();
    let (state, _) = familyflow::model::simulate(&model, &mut w).unwrap();
    let bytes = w
        .finish(model.calendar.horizon(), state.hash(), true)
        .unwrap();
    let replayed = familyflow::analysis::run::replay(&bytes[..]).unwrap();
    assert_eq!(replayed.finished.state.hash(), state.hash());
}

#[test]
fn a_bad_policy_timeline_is_explained() {
    let tmp = TempDir::new("policy");
    let dir = tmp.path();
    std::fs::copy("scenarios/default.toml", dir.join("base.toml")).unwrap();
    let child = "extends = \"base.toml\"\n\n[[policy]]\ndate = 2025-04-01\nfamily_help.fte = 80\n\n[[policy]]\ndate = 2024-07-01\nfamilies.children_mean = 2\n";
    std::fs::write(dir.join("child.toml"), child).unwrap();
    let err = Scenario::load(&dir.join("child.toml"))
        .unwrap_err()
        .to_string();
    // Entries are counted from 1, as in the file.
    assert!(
        err.contains("child.toml:8:8: policy #2.date: 2024-07-01 is before the change above it"),
        "{err}"
    );
    assert!(
        err.contains("policy #2.families: `families` cannot change during a run"),
        "{err}"
    );
}

#[test]
fn errors_in_an_extending_file_point_at_that_file_and_line() {
    let tmp = TempDir::new("extends");
    let dir = tmp.path();
    std::fs::copy("scenarios/default.toml", dir.join("base.toml")).unwrap();
    let child = "extends = \"base.toml\"\n\n[family_help]\nfte = -2\n";
    std::fs::write(dir.join("child.toml"), child).unwrap();
    let err = Scenario::load(&dir.join("child.toml"))
        .unwrap_err()
        .to_string();
    let expected = format!(
        "{}:4:7: family_help.fte: -2",
        dir.join("child.toml").display()
    );
    assert!(err.contains(&expected), "{err}");

    // A cycle is refused, not followed.
    std::fs::write(dir.join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let err = Scenario::load(&dir.join("a.toml")).unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");

    // A missing base is named.
    std::fs::write(dir.join("c.toml"), "extends = \"nowhere.toml\"\n").unwrap();
    let err = Scenario::load(&dir.join("c.toml")).unwrap_err().to_string();
    assert!(
        err.contains("nowhere.toml") && err.contains("c.toml:1:11: extends"),
        "{err}"
    );
}

#[test]
fn the_json_schema_describes_every_field_with_its_bounds() {
    let schema: serde_json::Value =
        serde_json::from_str(&familyflow::model::scenario::json_schema()).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for field in [
        "name",
        "start",
        "years",
        "area",
        "families",
        "triage",
        "family_help",
        "child_protection",
        "rereferral",
        "policy",
    ] {
        assert!(props.contains_key(field), "schema lacks {field}");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"family_help") && !required.contains(&"policy"));
    let defs = &schema["$defs"];
    assert_eq!(defs["Probability"]["maximum"], 1);
    assert_eq!(defs["NonNegative"]["minimum"], 0);
    assert_eq!(
        defs["FamilyHelp"]["additionalProperties"], false,
        "unknown fields are refused"
    );
    assert_eq!(defs["Date"]["format"], "date");
}

#[test]
fn values_too_large_to_simulate_are_located_errors() {
    for (line, value, field) in [
        (
            "support_weeks_mean = 20",
            "support_weeks_mean = 1e300",
            "family_help.support_weeks_mean",
        ),
        (
            "coordinator_weeks = 12",
            "coordinator_weeks = 1e300",
            "family_network.coordinator_weeks",
        ),
        (
            "caseload_cap = 12",
            "caseload_cap = 4000000000",
            "family_help.caseload_cap",
        ),
        (
            "pre_proceedings_weeks_mean = 18",
            "pre_proceedings_weeks_mean = 1e300",
            "proceedings.pre_proceedings_weeks_mean",
        ),
        (
            "unaccompanied_per_10k_children_per_year = 5.7",
            "unaccompanied_per_10k_children_per_year = 1e300",
            "care.unaccompanied_per_10k_children_per_year",
        ),
        (
            "new_referrals_per_10k_children = 140",
            "new_referrals_per_10k_children = 1e300",
            "area.new_referrals_per_10k_children",
        ),
        (
            "per_year_while_waiting = 1.0",
            "per_year_while_waiting = 1e300",
            "escalation.per_year_while_waiting",
        ),
        (
            "placements = { pounds_per_year = 40_000_000,",
            "placements = { pounds_per_year = 1e19,",
            "budget.placements.pounds_per_year",
        ),
        (
            "residential = 6100 }",
            "residential = 1e15 }",
            "care.weekly_cost_pounds.residential",
        ),
    ] {
        let text = familyflow::model::scenario::DEFAULT_SCENARIO.replacen(line, value, 1);
        assert_ne!(
            text,
            familyflow::model::scenario::DEFAULT_SCENARIO,
            "{line}"
        );
        let err = Scenario::parse(&text, "big.toml").unwrap_err();
        let p = err
            .problems
            .iter()
            .find(|p| p.field == field)
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            p.line > 0 && p.message.contains("expected at most"),
            "{err}"
        );
    }
    let text = familyflow::model::scenario::DEFAULT_SCENARIO.replacen(
        "family_help = { agency_share = 0.178, agency_cover = 0.93, agency_premium = 0.5, salary_pounds_per_year = 50_000, attrition_per_year = 0.11",
        "family_help = { agency_share = 0.178, agency_cover = 0.93, agency_premium = 0.5, salary_pounds_per_year = 50_000, attrition_per_year = 3",
        1,
    );
    let err = Scenario::parse(&text, "churn.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "workforce.family_help.attrition_per_year: 3 is not allowed here: expected at most 2"
        ),
        "{err}"
    );
}

#[test]
fn a_missing_table_says_where_to_find_its_fields() {
    let text = familyflow::model::scenario::DEFAULT_SCENARIO;
    let i = text.find("[budget]").unwrap();
    let j = text.find("[rereferral]").unwrap();
    let without = format!("{}{}", &text[..i], &text[j..]);
    let err = Scenario::parse(&without, "old.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `budget`"), "{err}");
    assert!(err.contains("scenarios/default.toml"), "{err}");
}

#[test]
fn a_retired_field_says_what_replaced_it() {
    let text = familyflow::model::scenario::DEFAULT_SCENARIO.replacen(
        "[care]\n",
        "[care]\ncare_order_probability = 0.8\n",
        1,
    );
    let err = Scenario::parse(&text, "old.toml").unwrap_err().to_string();
    assert!(
        err.contains("care.care_order_probability")
            && err.contains("replaced by the [proceedings] table"),
        "{err}"
    );
}

/// The 1-based line of the last occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.rfind(needle).expect("the needle is in the text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn errors_in_a_policy_entry_name_the_entry_counted_from_one_and_its_key() {
    let base = familyflow::model::scenario::DEFAULT_SCENARIO;
    for (policy, needle, expected) in [
        (
            "[[policy]]\ndate = 2025-01-01\nfamily_help.fte = \"x\"\n",
            "family_help.fte = \"x\"",
            "policy #1.family_help.fte: \"x\" is not allowed here: expected a number",
        ),
        (
            "[[policy]]\ndate = 2025-01-01\nnote = \"first\"\nfamily_help.fte = 90\n\n[[policy]]\ndate = 2025-02-01\nfamily_help.fte = -1\n",
            "family_help.fte = -1",
            "policy #2.family_help.fte: -1 is not allowed here: expected a number that is 0 or more",
        ),
        (
            "[[policy]]\ndate = 2025-01-01\nfamily_help.fte = 90\n\n[[policy]]\ndate = 2025-13-01\nfamily_help.fte = 3\n",
            "date = 2025-13-01",
            "policy #2.date: invalid date",
        ),
        (
            "[[policy]]\ndate = 2025-01-01\nfamily_help.fte = = 3\n",
            "family_help.fte = = 3",
            "policy #1.family_help.fte: extra `=`",
        ),
        (
            "[[policy]]\ndate = 2025-01-01\nfamily_help.fte = 1e9\n",
            "family_help.fte = 1e9",
            "policy #1.family_help.fte: after this change, family_help.fte: 1000000000 is not allowed here: expected at most 100000",
        ),
    ] {
        let text = format!("{base}\n{policy}");
        let err = Scenario::parse(&text, "p.toml").unwrap_err().to_string();
        let at = format!("p.toml:{}:", line_of(&text, needle));
        let line = err
            .lines()
            .find(|l| l.contains(expected))
            .unwrap_or_else(|| panic!("{expected:?} not in\n{err}"));
        assert!(line.starts_with(&at), "{line} is not at {at}");
        assert!(!err.contains("policy.0") && !err.contains("rereferral."), "{err}");
    }
}

#[test]
fn type_errors_say_what_is_expected_in_a_modellers_words() {
    let base = familyflow::model::scenario::DEFAULT_SCENARIO;
    for (from, to, expected) in [
        (
            "children_mean = 1.7",
            "children_mean = \"two\"",
            "families.children_mean: \"two\" is not allowed here: expected a number",
        ),
        (
            "years = 3 ",
            "years = 3.5 ",
            "years: 3.5 is not allowed here: expected a whole number from 1 to 50 years",
        ),
        (
            "years = 3 ",
            "years = -3 ",
            "years: -3 is not allowed here: expected a whole number from 1 to 50 years",
        ),
        (
            "need = {",
            "need = 3\nneed_was = {",
            "families.need: 3 is not allowed here: expected a table",
        ),
        (
            "children_mean = 1.7",
            "children_mean = true",
            "families.children_mean: true is not allowed here: expected a number",
        ),
    ] {
        let text = base.replacen(from, to, 1);
        assert_ne!(text, base, "{from}");
        let err = Scenario::parse(&text, "t.toml").unwrap_err().to_string();
        assert!(err.contains(expected), "{expected:?} not in\n{err}");
        for rust in ["f64", "u32", "struct ", "sequence", "invalid type"] {
            assert!(!err.contains(rust), "{rust:?} in\n{err}");
        }
        // Reading stopped at this error: the check says so.
        assert!(err.contains("checking stopped at this error"), "{err}");
    }
}

#[test]
fn keys_nested_too_deeply_are_located_on_their_line() {
    let base = familyflow::model::scenario::DEFAULT_SCENARIO;
    let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
    for deep in [
        format!("rereferral.{} = 1\n", keys.join(".")),
        format!("[{}]\nx = 1\n", keys.join(".")),
        format!(
            "[[policy]]\ndate = 2025-01-01\nfamily_help.{} = 1\n",
            keys.join(".")
        ),
    ] {
        let text = format!("{base}\n{deep}");
        let err = Scenario::parse(&text, "deep.toml").unwrap_err().to_string();
        let at = format!("deep.toml:{}:", line_of(&text, "k0.k1"));
        assert!(err.starts_with(&at), "not at {at}:\n{err}");
        assert!(err.contains("nested too deeply"), "{err}");
    }
}

#[test]
fn thousands_of_problems_are_located_in_one_pass() {
    // 400 changes, each with four values out of range: 1,600 problems, each
    // reported once (at the change that made it) and located at its value.
    let base = familyflow::model::scenario::DEFAULT_SCENARIO;
    let mut text = base.to_string();
    let start = familyflow::model::calendar::CivilDate::new(2024, 4, 2).unwrap();
    for i in 0..400 {
        let date = start.plus_days(i).unwrap();
        text.push_str(&format!(
            "\n[[policy]]\ndate = {date}\nfamily_help.support_weeks_mean = {}\nfamily_network.coordinator_weeks = {}\nproceedings.pre_proceedings_weeks_mean = {}\nproceedings.weeks_mean = {}\n",
            10_000 + i,
            20_000 + i,
            30_000 + i,
            40_000 + i
        ));
    }
    let clock = std::time::Instant::now();
    let err = Scenario::parse(&text, "many.toml").unwrap_err();
    let took = clock.elapsed();
    assert_eq!(err.problems.len(), 1_600, "{}", err.problems.len());
    assert!(
        err.problems.iter().all(|p| p.line > 0),
        "unlocated problems"
    );
    let last = err.problems.last().unwrap();
    assert_eq!(last.field, "policy #400.proceedings.weeks_mean");
    assert_eq!(last.line, line_of(&text, "weeks_mean = 40399"));
    assert!(
        took < std::time::Duration::from_secs(5),
        "1,600 problems took {took:?}"
    );
}

/// The first change dated before the run's start is said to be before the
/// run's start (it used to be "before the change above it", of which there
/// is none), once.
#[test]
fn a_first_policy_before_the_start_is_said_to_be_before_the_start() {
    let tmp = TempDir::new("policy-start");
    let dir = tmp.path();
    std::fs::copy("scenarios/default.toml", dir.join("base.toml")).unwrap();
    let child = "extends = \"base.toml\"\n\n[[policy]]\ndate = 2000-01-01\nfamily_help.fte = 80\n\n[[policy]]\ndate = 2025-04-01\nfamily_help.fte = 90\n\n[[policy]]\ndate = 2025-01-01\nfamily_help.fte = 70\n";
    std::fs::write(dir.join("child.toml"), child).unwrap();
    let err = Scenario::load(&dir.join("child.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("policy #1.date: 2000-01-01 is before the run's start (2024-04-01)"),
        "{err}"
    );
    assert!(
        !err.contains("2000-01-01 is before the change above it"),
        "{err}"
    );
    assert_eq!(err.matches("2000-01-01").count(), 1, "{err}");
    // A later change out of order is still said to be.
    assert!(
        err.contains("policy #3.date: 2025-01-01 is before the change above it (2025-04-01)"),
        "{err}"
    );
}

/// A line break, tab or escape in a scenario's name would break the
/// terminal's tables: refused, with the file, line and field.
#[test]
fn a_name_with_a_control_character_is_refused() {
    let tmp = TempDir::new("name-control");
    let text = std::fs::read_to_string("scenarios/default.toml").unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("name = "))
        .expect("a name")
        + 1;
    for (escape, what) in [
        ("\\n", "a line break (U+000A)"),
        ("\\t", "a tab (U+0009)"),
        ("\\u001b[2J", "an escape (terminal control) (U+001B)"),
        ("\\u0007", "a control character (U+0007)"),
    ] {
        let bad = text.replacen("name = \"", &format!("name = \"A{escape}"), 1);
        let path = tmp.file("named.toml");
        std::fs::write(&path, bad).unwrap();
        let err = Scenario::load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!("named.toml:{line}:"))
                && err.contains(&format!("name: holds {what} at byte 1")),
            "{err}"
        );
    }
}
