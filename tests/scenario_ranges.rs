//! Every numeric scenario field has a documented range (`scenario::RANGES`):
//! validation refuses a value outside it, naming the field, the value and
//! the range; the JSON Schema states it; and a run with any field at its
//! maximum finishes with money that has not wrapped (issue 14, findings 6
//! and 8).

use std::panic::{catch_unwind, AssertUnwindSafe};

use familyflow::analysis::run::run;
use familyflow::model::calendar::{Calendar, CivilDate};
use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::{
    json_schema, FieldRange, Scenario, DEFAULT_SCENARIO, MAX_WEEKLY_OR_ONE_OFF_POUNDS, RANGES,
};
use serde_json::Value as Json;
use toml::{Table, Value};

/// Sets the value at a dotted path of keys, making tables on the way.
fn set(t: &mut Table, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut table = t;
    for part in parts {
        table = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
            .expect("a table on the way");
    }
    table.insert(last.to_string(), value);
}

/// Sets entry `i` of the array at `path`.
fn set_entry(t: &mut Table, path: &str, i: usize, value: Value) {
    let mut v = t;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        v = v.get_mut(*part).unwrap().as_table_mut().unwrap();
    }
    v.get_mut(parts[parts.len() - 1])
        .unwrap()
        .as_array_mut()
        .unwrap()[i] = value;
}

/// The built-in scenario with every optional table present.
fn full() -> Table {
    let mut t: Table = toml::from_str(DEFAULT_SCENARIO).unwrap();
    let kin: Table = toml::from_str(
        "weekly_pounds_per_child = 60\nmore_kin_take_the_child = 0.25\nfewer_breakdowns = 0.3",
    )
    .unwrap();
    set(&mut t, "care.kinship_support", Value::Table(kin));
    let start: Table = toml::from_str(
        "waiting_for_help = 5\nin_family_help = 5\nin_enquiry = 2\nawaiting_conference = 1\non_plan = 3\nlooked_after = 4\npre_proceedings = 1\nin_care = [{ placement = \"in_house_foster\", legal_status = \"care_order\", ages = [4, 7], months = 18, count = 2 }]\nplans = [{ ages = [2], months = 5, count = 2 }]\nclosed = [{ ages = [3, 6], months = 7, closure = \"no_action\", count = 2 }]",
    )
    .unwrap();
    set(&mut t, "starting_caseload", Value::Table(start));
    for pool in [
        "front_door",
        "family_help",
        "child_protection",
        "lead_practitioners",
        "fgdm_coordinators",
    ] {
        set(
            &mut t,
            &format!("workforce.{pool}.agency_early_career_share"),
            Value::Float(0.4),
        );
    }
    t
}

/// A short run of a small area: no burn-in, one year, 5,000 children,
/// every budget line overspending (so that costs change no decision).
fn short() -> Table {
    let mut t = full();
    set(&mut t, "burn_in_years", Value::Integer(0));
    set(&mut t, "years", Value::Integer(1));
    set(&mut t, "area.children", Value::Integer(5_000));
    for line in ["family_help", "fgdm", "fnsp", "placements", "workforce"] {
        set(
            &mut t,
            &format!("budget.{line}.when_spent"),
            Value::String("overspend".into()),
        );
    }
    // Support packages for every family-led plan (paid where the line has money).
    set(
        &mut t,
        "budget.fnsp.pounds_per_year",
        Value::Integer(40_000),
    );
    for (path, p) in [
        ("family_network.offer_in_family_help", 1.0),
        ("family_network.offer_at_plan", 1.0),
        ("family_network.acceptance_probability", 1.0),
        ("family_network.fnsp_probability", 1.0),
    ] {
        set(&mut t, path, Value::Float(p));
    }
    // A team the size of the area's (the default is for 100,000 children).
    for (path, fte) in [
        ("triage.fte", 1.0),
        ("family_help.fte", 5.0),
        ("child_protection.fte", 2.0),
        ("lead_practitioners.fte", 1.0),
        ("family_network.coordinators_fte", 0.5),
    ] {
        set(&mut t, path, Value::Float(fte));
    }
    t
}

/// Every concrete path a range's pattern covers in `t`.
fn paths(t: &Table, pattern: &str) -> Vec<String> {
    fn walk(v: &Value, pattern: &[&str], path: String, out: &mut Vec<String>) {
        let Some((first, rest)) = pattern.split_first() else {
            if v.is_integer() || v.is_float() {
                out.push(path);
            }
            return;
        };
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match v {
            Value::Table(t) => {
                for (k, x) in t {
                    if *first == "*" || first == k {
                        walk(x, rest, join(k), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if *first == "*" {
                        walk(x, rest, join(&i.to_string()), out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let parts: Vec<&str> = pattern.split('.').collect();
    walk(&Value::Table(t.clone()), &parts, String::new(), &mut out);
    out
}

/// Puts `v` at `path` (an array entry when the path ends in a number).
fn put(t: &mut Table, path: &str, v: Value) {
    let parts: Vec<&str> = path.split('.').collect();
    match path.rsplit_once('.') {
        Some((array, i)) if i.parse::<usize>().is_ok() && !array.contains(char::is_numeric) => {
            set_entry(t, array, i.parse().unwrap(), v)
        }
        // Through an array of tables (the starting caseload's rows).
        _ if parts.iter().any(|p| p.parse::<usize>().is_ok()) => {
            let mut at = t.get_mut(parts[0]).unwrap();
            for part in &parts[1..] {
                at = match at {
                    Value::Table(x) => x.get_mut(*part).unwrap(),
                    Value::Array(a) => &mut a[part.parse::<usize>().unwrap()],
                    _ => panic!("{path}: no such field"),
                };
            }
            *at = v;
        }
        _ => set(t, path, v),
    }
}

/// The largest value a range allows, as TOML (whole numbers as integers).
fn top(r: &FieldRange) -> Value {
    if r.below_max {
        Value::Float(r.max * 0.999_999)
    } else if r.max.fract() == 0.0 && r.max < 9e15 {
        Value::Integer(r.max as i64)
    } else {
        Value::Float(r.max)
    }
}

/// A value just past the range's maximum, as TOML.
fn past(r: &FieldRange) -> Value {
    if r.below_max {
        Value::Float(r.max)
    } else if r.max.fract() == 0.0 && r.max < 9e15 {
        Value::Integer(r.max as i64 + 1)
    } else {
        Value::Float(r.max * 1.5)
    }
}

fn parse(t: &Table, name: &str) -> Result<ScenarioInput, String> {
    ScenarioInput::from_text(&toml::to_string(t).unwrap(), name).map_err(|e| e.to_string())
}

/// Every number in a summary's JSON: finite, 0 or more, and never `-0`.
fn check_numbers(v: &Json, path: &str, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                check_numbers(x, &format!("{path}.{k}"), out);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_numbers(x, &format!("{path}.{i}"), out);
            }
        }
        Json::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if !x.is_finite() || x < 0.0 || (x == 0.0 && x.is_sign_negative()) {
                out.push(format!("{path} = {n}"));
            }
        }
        _ => {}
    }
}

/// Spent on each budget line over the run, in pence.
fn spend(input: &ScenarioInput, seed: u64) -> Result<Vec<(String, u64)>, String> {
    let done = catch_unwind(AssertUnwindSafe(|| run::<std::io::Sink>(input, seed, None)))
        .map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into())
        })?
        .map_err(|e| format!("the run failed: {e}"))?;
    let json: Json = serde_json::from_str(&done.summary.to_json()).unwrap();
    let mut bad = Vec::new();
    check_numbers(&json, "summary", &mut bad);
    if !bad.is_empty() {
        return Err(format!("negative, -0 or absurd numbers: {bad:?}"));
    }
    Ok(done
        .summary
        .budget
        .iter()
        .map(|b| (b.line.clone(), b.spent_pence))
        .collect())
}

#[test]
fn the_range_table_covers_real_fields_and_reads_well() {
    let t = full();
    let unmatched: Vec<&str> = RANGES
        .iter()
        .filter(|r| paths(&t, r.field).is_empty())
        .map(|r| r.field)
        .collect();
    assert!(unmatched.is_empty(), "no such field: {unmatched:?}");
    for r in RANGES {
        assert!(r.min <= r.max && r.max.is_finite(), "{}", r.field);
        assert!(r.allows(if r.below_max { r.min } else { r.max }));
    }
    let attrition = RANGES
        .iter()
        .find(|r| r.field == "workforce.*.attrition_per_year")
        .unwrap();
    assert_eq!(
        attrition.refusal(3.0),
        "3 is not allowed here: expected at most 2 (the allowed range is 0 to 2 a year (2: 200%))"
    );
    let weeks = RANGES
        .iter()
        .find(|r| r.field == "family_help.support_weeks_mean")
        .unwrap();
    assert_eq!(weeks.describe(), "more than 0 and at most 5200 weeks");
    // No 300-digit numbers in messages.
    assert!(weeks
        .refusal(1e300)
        .starts_with("1e300 is not allowed here"));
}

#[test]
fn every_value_past_its_range_is_refused_with_field_value_and_range() {
    let base = full();
    let mut checked = 0;
    for r in RANGES {
        for path in paths(&base, r.field) {
            let mut t = base.clone();
            let value = past(r);
            put(&mut t, &path, value.clone());
            let err = parse(&t, "big.toml").expect_err(&format!("{path} = {value} was accepted"));
            let shown = familyflow::model::scenario::shown_path(&path);
            let line = err
                .lines()
                .find(|l| l.contains(&format!(": {shown}: ")))
                .unwrap_or_else(|| panic!("{path} = {value}: not named in\n{err}"));
            let shown_value = match &value {
                Value::Integer(i) => i.to_string(),
                Value::Float(f) => familyflow::model::scenario::number(*f),
                other => other.to_string(),
            };
            assert!(
                line.contains(&format!(": {shown_value} is not allowed here")),
                "{path}: the value {shown_value} is not in {line}"
            );
            // A probability past 1 is refused as it is read, in its own words.
            assert!(
                line.contains(&r.describe())
                    || (!r.expected.is_empty() && line.contains(r.expected))
                    || (r.max == 1.0 && line.contains("a probability from 0 to 1")),
                "{path}: the range is not in {line}"
            );
            assert!(line.starts_with("big.toml:"), "{path}: not located: {line}");
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked} fields checked");
}

#[test]
fn a_front_door_penalty_that_would_stall_or_rush_every_decision_is_refused() {
    // 1e12 meant no referral was ever decided; 1e18 that all were within a day.
    for penalty in ["1e12", "1e18"] {
        let text = DEFAULT_SCENARIO.replacen(
            "caseload_penalty = 0.5",
            &format!("caseload_penalty = {penalty}"),
            1,
        );
        assert_ne!(text, DEFAULT_SCENARIO);
        let err = Scenario::parse(&text, "door.toml")
            .err()
            .unwrap_or_else(|| panic!("triage.caseload_penalty = {penalty} was accepted"))
            .to_string();
        let shown = familyflow::model::scenario::number(penalty.parse().unwrap());
        assert!(
            err.contains(&format!(
                "triage.caseload_penalty: {shown} is not allowed here: expected at most 10"
            )),
            "{err}"
        );
    }
    // However long the work, the calendar never wraps: it ends past the run.
    let cal = Calendar::new(CivilDate::new(2024, 4, 1).unwrap(), 365, &[]);
    assert!(cal.add_working_minutes(1_000, u64::MAX) >= cal.horizon());
    assert!(cal.add_working_minutes(1_000, u64::MAX - 5) >= cal.horizon());
}

#[test]
fn placement_spend_grows_with_the_weekly_cost_and_never_wraps() {
    // Kinship support had no upper bound: at £1e15 a week the spending
    // came out lower than at £1e14. A cost is now refused past its range,
    // and within it spending is exactly proportional to it.
    let mut spent = Vec::new();
    for pounds in [
        1e14,
        1e15,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS / 10.0,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS,
    ] {
        let mut t = short();
        // The counted starting caseload only (as this test was written).
        if let Some(Value::Table(c)) = t.get_mut("starting_caseload") {
            c.remove("in_care");
            c.remove("plans");
            c.remove("closed");
        }
        set(&mut t, "care.placement.kinship", Value::Float(1.0));
        set(
            &mut t,
            "care.placement_teenagers.kinship",
            Value::Float(1.0),
        );
        set(
            &mut t,
            "care.kinship_support.weekly_pounds_per_child",
            Value::Float(pounds),
        );
        for k in ["kinship", "in_house_foster", "agency_foster", "residential"] {
            set(
                &mut t,
                &format!("care.weekly_cost_pounds.{k}"),
                Value::Integer(0),
            );
        }
        match parse(&t, "kin.toml") {
            Err(e) => {
                assert!(pounds > MAX_WEEKLY_OR_ONE_OFF_POUNDS, "{pounds}: {e}");
                assert!(
                    e.contains("care.kinship_support.weekly_pounds_per_child"),
                    "{e}"
                );
            }
            Ok(input) => {
                let lines = spend(&input, 11).unwrap();
                let placements = lines.iter().find(|(l, _)| l == "placements").unwrap().1;
                spent.push((pounds, placements));
            }
        }
    }
    assert_eq!(spent.len(), 2, "{spent:?}");
    let (low, high) = (spent[0].1, spent[1].1);
    assert!(low > 0, "{spent:?}");
    // Ten times the cost: ten times the spending (to a penny a child-week).
    let ratio = high as f64 / low as f64;
    assert!((ratio - 10.0).abs() < 1e-3, "{spent:?}");
}

#[test]
fn every_field_at_its_maximum_runs_without_wrapped_money() {
    let base = short();
    let input = parse(&base, "short").unwrap();
    let seed = 5;
    let reference = spend(&input, seed).unwrap();
    assert!(
        reference.iter().all(|(_, p)| *p > 0),
        "every line spends something in the reference run: {reference:?}"
    );
    // Fields whose maximum another check refuses on its own: the
    // accuracy without data sharing above the one with it; more families
    // in family help than the team has room for.
    let refused_alone = [
        "triage.accuracy_without_data_sharing",
        "starting_caseload.in_family_help",
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for r in RANGES {
        for path in paths(&base, r.field) {
            let mut t = base.clone();
            // Fields that size the run are taken to their maximum with the
            // rest of the run kept small.
            put(&mut t, &path, top(r));
            if path.starts_with("starting_caseload.") {
                // A million families take seconds to open: children in care
                // (who cost money) at the maximum, each other stage at a
                // tenth of it (its count is a u32, far from overflowing).
                for other in paths(&base, "starting_caseload.*") {
                    put(&mut t, &other, Value::Integer(0));
                }
                // A count at its maximum opens no household of the rows.
                if !path.contains(".in_care.") && !path.contains(".plans.") {
                    if let Some(Value::Table(c)) = t.get_mut("starting_caseload") {
                        c.remove("in_care");
                        c.remove("plans");
                    }
                }
                let n = if path.ends_with("looked_after") {
                    r.max
                } else {
                    r.max / 10.0
                };
                put(&mut t, &path, Value::Integer(n as i64));
            }
            if path == "area.children" {
                set(
                    &mut t,
                    "area.new_referrals_per_10k_children",
                    Value::Float(0.05),
                );
                set(
                    &mut t,
                    "care.unaccompanied_per_10k_children_per_year",
                    Value::Float(0.0),
                );
            }
            let input = match parse(&t, &path) {
                Ok(input) => input,
                Err(e) if refused_alone.contains(&path.as_str()) => {
                    assert!(e.contains("is more than") || e.contains("is below"), "{e}");
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{path} at its maximum does not validate: {e}"));
                    continue;
                }
            };
            runs += 1;
            match spend(&input, seed) {
                Err(e) => failures.push(format!("{path} at its maximum: {e}")),
                Ok(lines) => {
                    // A cost at its maximum spends at least what the
                    // reference did (the same families, the same staff).
                    let cost = path.contains("pounds") || path.contains("premium");
                    if cost && !path.starts_with("budget.") {
                        for ((line, at_max), (_, before)) in lines.iter().zip(&reference) {
                            if at_max < before {
                                failures.push(format!(
                                    "{path} at its maximum: {line} spent {at_max} pence, less than {before} at the reference cost"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(runs > 150, "{runs} runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_negative_zero_reaches_the_summary() {
    let mut t = short();
    for path in [
        "lead_practitioners.fte",
        "family_network.coordinators_fte",
        "care.weekly_cost_pounds.kinship",
        "escalation.per_year_while_waiting",
    ] {
        set(&mut t, path, Value::Float(-0.0));
    }
    let text = toml::to_string(&t).unwrap();
    assert!(text.contains("-0.0"), "the test writes -0.0");
    let input = ScenarioInput::from_text(&text, "negative zero").unwrap();
    assert!(input
        .scenario
        .lead_practitioners
        .fte
        .get()
        .is_sign_positive());
    let done = run::<std::io::Sink>(&input, 3, None).unwrap();
    let json = done.summary.to_json();
    assert!(!json.contains("-0.0") && !json.contains(": -0"), "{json}");
}

#[test]
fn the_schema_states_every_numeric_fields_range() {
    let schema: Json = serde_json::from_str(&json_schema()).unwrap();
    let defs = &schema["$defs"];
    assert_eq!(
        defs["Triage"]["properties"]["caseload_penalty"]["maximum"],
        10
    );
    assert_eq!(
        defs["StaffPool"]["properties"]["salary_pounds_per_year"]["maximum"],
        1_000_000
    );
    assert_eq!(
        defs["FamilyHelp"]["properties"]["caseload_cap"]["minimum"],
        1
    );
    assert_eq!(
        defs["FamilyHelp"]["properties"]["support_weeks_mean"]["exclusiveMinimum"],
        0
    );
    assert_eq!(
        defs["Families"]["properties"]["children_mean"]["maximum"],
        10
    );
    assert_eq!(
        defs["ReReferral"]["properties"]["within_12_months_after_needs_met"]["exclusiveMaximum"],
        1
    );
    // Every number anywhere in the format has an upper bound.
    fn numeric(node: &Json, defs: &Json) -> bool {
        let simple = |n: &Json| {
            let t = &n["type"];
            t == "number"
                || t == "integer"
                || t.as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "number" || x == "integer"))
        };
        if simple(node) {
            return true;
        }
        let by_ref = |n: &Json| {
            n["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .is_some_and(|d| simple(&defs[d]))
        };
        by_ref(node)
            || node["anyOf"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| simple(x) || by_ref(x)))
    }
    fn bounded(n: &Json) -> bool {
        n.get("maximum").is_some() || n.get("exclusiveMaximum").is_some()
    }
    let mut unbounded = Vec::new();
    let mut seen = 0;
    let mut tables = vec![("".to_string(), schema.clone())];
    tables.extend(
        defs.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    for (name, table) in tables {
        let Some(props) = table["properties"].as_object() else {
            continue;
        };
        for (field, node) in props {
            let items = &node["items"];
            if numeric(node, defs) {
                seen += 1;
                if !bounded(node) {
                    unbounded.push(format!("{name}.{field}"));
                }
            } else if !items.is_null() && numeric(items, defs) {
                seen += 1;
                if !bounded(items) {
                    unbounded.push(format!("{name}.{field}[]"));
                }
            }
        }
    }
    assert!(seen > 100, "{seen} numeric fields");
    assert!(unbounded.is_empty(), "no stated range: {unbounded:?}");
}

/// The built-in scenario with `children` children referred at `rate` new
/// families per 10,000 a year, written to `dir`.
fn area_file(dir: &std::path::Path, children: u64, rate: f64) -> std::path::PathBuf {
    let text = DEFAULT_SCENARIO
        .replacen("children = 100_000", &format!("children = {children}"), 1)
        .replacen(
            "new_referrals_per_10k_children = 140",
            &format!("new_referrals_per_10k_children = {rate}"),
            1,
        );
    assert_ne!(text, DEFAULT_SCENARIO);
    let path = dir.join(format!("area-{children}-{rate}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_area_too_large_for_memory_is_refused_where_its_size_is_set() {
    let dir = std::env::temp_dir().join(format!("familyflow-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 20 million children each referred every year: hundreds of millions
    // of families at once, far past any machine's memory.
    let path = area_file(&dir, 20_000_000, 10_000.0);
    let err = Scenario::load(&path).map(|_| ()).unwrap_err().to_string();
    let children_line = DEFAULT_SCENARIO[..DEFAULT_SCENARIO.find("children = 100_000").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        err.contains(&format!(
            ":{children_line}:12: area.children: a run of this scenario may need about"
        )) && err.contains("GiB")
            && err.contains("--force"),
        "{err}"
    );
    let err = ScenarioInput::load(&path)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than the 4.0 GiB allowed"), "{err}");
    // England, as shipped, is well inside.
    let (england, _) =
        Scenario::load(std::path::Path::new("scenarios/england-baseline.toml")).unwrap();
    let e = england.size_estimate();
    assert!(
        e.bytes < familyflow::model::scenario::MAX_RUN_BYTES / 2.0,
        "{e:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forced_load_skips_the_size_estimate_only() {
    let dir = std::env::temp_dir().join(format!("familyflow-force-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = area_file(&dir, 20_000_000, 10_000.0);
    let (s, _) = Scenario::load_forced(&path).unwrap();
    let e = s.size_estimate();
    // New families and unaccompanied children (5.7 per 10,000 a year).
    assert_eq!(e.families_per_year, 2_000.0 * (10_000.0 + 5.7));
    assert_eq!(e.years_kept, 18.0);
    assert!(
        e.bytes > familyflow::model::scenario::MAX_RUN_BYTES,
        "{e:?}"
    );
    assert!(s.size_problem().is_some());
    assert!(ScenarioInput::load_forced(&path).is_ok());
    // Other problems are still found.
    let bad = area_file(&dir, 20_000_001, 10_000.0);
    let err = Scenario::load_forced(&bad)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("area.children: 20000001 is not allowed here"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
