//! Swarm test, in the spirit of deterministic-simulation testing: many runs,
//! each of a scenario drawn at random within the validated bounds of the
//! scenario format (starting from the built-in default, made small: 20,000
//! to 400,000 children, one or two years, at most a two-year burn-in), each
//! checked event by event against the invariants of `ARCHITECTURE.md`.
//!
//! Every case is drawn from its own `ChaCha8Rng::seed_from_u64(MASTER ^
//! case)`, so a failure replays exactly:
//!
//! ```text
//! SWARM_CASE=17 cargo test --release --test swarm -- --nocapture
//! ```
//!
//! A failing case also writes its whole scenario to
//! `target/tmp/swarm/case-N.toml` (run it with `familyflow run FILE --seed S`).
//! `SWARM_CASES=n` runs n cases instead of the default, `SWARM_THREADS=n`
//! sets the worker threads.
//!
//! What each case checks (all on the same run, replayed by this file through
//! `projection::fold` with the crate's public `State` and `Metrics`):
//!
//! * the scenario drawn validates (`ScenarioInput::from_text`); an invalid
//!   draw is a bug of the generator below and fails the test;
//! * every event applies without `Inconsistent`; the replay's final state
//!   hash and summary JSON equal the run's; a second run of the same
//!   scenario and seed gives the same event list, event for event;
//! * time never goes backwards, and stays before the horizon; no family is
//!   left between two routes once a minute's events are done;
//! * children are children: nobody is referred, escalated, put on the
//!   waiting list, helped, put in pre-proceedings or proceedings at 18 or
//!   over; no plan starts and nobody enters care at 18 or within a day of
//!   it (a sibling group comes in whole, less brothers and sisters within a
//!   day of 18, except under section 20); no family is on a plan, in
//!   pre-proceedings, in proceedings or in care past its youngest's 18th
//!   birthday; every family in care has from 1 to its children under 18 in
//!   care; no re-referral is due at 18, past the hazard's horizon or after
//!   adoption, guardianship or 18;
//! * caps govern allocation: family help, lead practitioners and FGDM
//!   coordinators take a case only below their cap (and a pool over its cap
//!   takes nobody new); nobody waits for family help while the team has
//!   room at the end of a minute; FGDM is offered only with a coordinator
//!   free; the coordinators' caseload is the conferences held less the
//!   coordinations ended; agency workers cover only vacancies under
//!   recruitment (checked after every event);
//! * stocks add up: children entering care less children leaving equals the
//!   change in children looked after (from the starting caseload or the end
//!   of the burn-in), and the same for children on a plan; both equal the
//!   families' own figures, the metrics' and the summary's; stage counts,
//!   the waiting list and the lead practitioners' caseload equal the
//!   families'; families referred are all known or closed for good;
//! * money is exact: every `Spent` equals the staff and placement costs
//!   accrued (recomputed here, in u128, from the staff in post and the
//!   children in care) less what was settled before, at the last minute of
//!   a month; every placement costs what the version in force says; the
//!   summary's spending equals the events' (summed in u128, so a u64 wrap
//!   shows); every amount of the scenario fits u64 pence;
//! * budgets: a rationed package line never pays past its year's budget; a
//!   rationed staff line recruits and takes apprentices only while it is not
//!   exhausted and its forecast with the new cost fits the budget (staff in
//!   post are never cut, so a rationed staff line can still overspend: the
//!   documented exception); `BudgetExhausted` at most once a year per line;
//! * policy changes take effect at their minute, in order, with their
//!   version's staff terms;
//! * nothing is negative or absurd: every number in the summary JSON is
//!   finite and 0 or more, and every count below 10^12.
//!
//! A few draws go to the edge of what validation allows (durations and
//! rates at their maximum or next to nothing; now and then money far past
//! any real authority's, which has no upper bound).

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use familyflow::analysis::summary::Summary;
use familyflow::engine::log::LogError;
use familyflow::engine::EventSink;
use familyflow::model::calendar::{Calendar, CivilDate, Minute, DAY, WEEK};
use familyflow::model::event::{
    BudgetLine, CareExit, CareRoute, ClosureReason, Event, FamilyId, OpenStage, Placement, Pool,
    Timed,
};
use familyflow::model::input::ScenarioInput;
use familyflow::model::projection::{fold, Metrics};
use familyflow::model::scenario::{Scenario, WhenSpent, DEFAULT_SCENARIO};
use familyflow::model::simulate;
use familyflow::model::state::{Family, PoolTerms, Stage, State};
use familyflow::model::Model;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use toml::{Table, Value};

/// Cases run by default.
const CASES: usize = 100;
/// Each case's generator is seeded with `MASTER ^ case`.
const MASTER: u64 = 0x5357_4152_4d5f_3031;
/// Violations kept per case (the first ones).
const KEEP: usize = 12;

// ---------------------------------------------------------------------------
// Drawing scenarios
// ---------------------------------------------------------------------------

/// A drawn case: the scenario text, the seed, and what was changed.
struct Case {
    number: usize,
    seed: u64,
    text: String,
    /// `path = value` for every parameter set or removed, in draw order.
    changes: Vec<String>,
    /// The `[[policy]]` entries appended to the text.
    policy: String,
    children: i64,
    years: i64,
    burn_in: i64,
    starting_caseload: bool,
}

impl Case {
    /// One line: the case, its seeds and its size.
    fn header(&self) -> String {
        format!(
            "case {} (generator seed MASTER ^ {} = {:#x}): run seed {}, {} children, {} year(s), burn-in {} year(s){}",
            self.number,
            self.number,
            MASTER ^ self.number as u64,
            self.seed,
            self.children,
            self.years,
            self.burn_in,
            if self.starting_caseload {
                ", with a starting caseload"
            } else {
                ""
            }
        )
    }

    /// Every parameter changed, and the policy timeline.
    fn parameters(&self) -> String {
        let mut s = String::from("  parameters changed from the built-in default:\n");
        for c in &self.changes {
            let _ = writeln!(s, "    {c}");
        }
        if !self.policy.is_empty() {
            s.push_str("  policy timeline:\n");
            for l in self.policy.lines().filter(|l| !l.is_empty()) {
                let _ = writeln!(s, "    {l}");
            }
        }
        s
    }
}

/// The generator: a TOML table of the default scenario, changed at random.
struct Gen {
    rng: ChaCha8Rng,
    table: Table,
    changes: Vec<String>,
}

fn round(x: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (x * m).round() / m
}

impl Gen {
    fn new(case: usize) -> Gen {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(MASTER ^ case as u64),
            table: toml::from_str(DEFAULT_SCENARIO).expect("the built-in scenario is TOML"),
            changes: Vec::new(),
        }
    }

    fn u(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.u() < p
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.u()
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    fn set(&mut self, path: &str, v: Value) {
        let line = format!("{path} = {v}");
        let key = format!("{path} = ");
        match self.changes.iter_mut().find(|c| c.starts_with(&key)) {
            Some(c) => *c = line,
            None => self.changes.push(line),
        }
        let parts: Vec<&str> = path.split('.').collect();
        let mut t = &mut self.table;
        for p in &parts[..parts.len() - 1] {
            t = t
                .entry(p.to_string())
                .or_insert_with(|| Value::Table(Table::new()))
                .as_table_mut()
                .expect("a table on the path");
        }
        t.insert(parts[parts.len() - 1].to_string(), v);
    }

    fn remove(&mut self, path: &str) {
        self.changes.push(format!("# {path} removed (optional)"));
        let parts: Vec<&str> = path.split('.').collect();
        let mut t = &mut self.table;
        for p in &parts[..parts.len() - 1] {
            t = t
                .get_mut(*p)
                .and_then(Value::as_table_mut)
                .expect("a table");
        }
        t.remove(parts[parts.len() - 1]);
    }

    /// A float from `lo` to `hi`, rounded to `places` decimals.
    fn float(&mut self, path: &str, lo: f64, hi: f64, places: i32) -> f64 {
        let x = round(self.uniform(lo, hi), places).clamp(lo, hi);
        self.set(path, Value::Float(x));
        x
    }

    fn integer(&mut self, path: &str, lo: i64, hi: i64) -> i64 {
        let x = self.int(lo, hi);
        self.set(path, Value::Integer(x));
        x
    }

    /// Relative shares (any may be 0, not all).
    fn shares(&mut self, path: &str, keys: &[&str]) {
        let mut v: Vec<f64> = keys
            .iter()
            .map(|_| {
                if self.chance(0.25) {
                    0.0
                } else {
                    round(self.uniform(0.0, 1.0), 3)
                }
            })
            .collect();
        if v.iter().all(|&x| x == 0.0) {
            let i = self.int(0, keys.len() as i64 - 1) as usize;
            v[i] = 1.0;
        }
        for (k, x) in keys.iter().zip(v) {
            self.set(&format!("{path}.{k}"), Value::Float(x));
        }
    }

    /// A staff pool's FTE: 0 sometimes, else `per_100k` scaled to the area
    /// and multiplied by 0.2 to 2.
    fn fte(&mut self, per_100k: f64, scale: f64, zero: f64) -> f64 {
        if self.chance(zero) {
            0.0
        } else {
            round(per_100k * scale * self.uniform(0.2, 2.0), 2)
        }
    }

    fn when_spent(&mut self) -> Value {
        Value::String(
            if self.chance(0.5) {
                "ration"
            } else {
                "overspend"
            }
            .into(),
        )
    }
}

const POOL_KEYS: [&str; 5] = [
    "front_door",
    "family_help",
    "child_protection",
    "lead_practitioners",
    "fgdm_coordinators",
];
const LINE_KEYS: [&str; 5] = ["family_help", "fgdm", "fnsp", "placements", "workforce"];
/// Default budgets for 100,000 children, pounds a year (fnsp: a pilot's).
const LINE_BUDGETS: [f64; 5] = [5_400_000.0, 90_000.0, 40_000.0, 40_000_000.0, 2_850_000.0];

/// One `[[policy]]` change: 1 to 4 parameters, drawn within their bounds.
fn policy_changes(g: &mut Gen, scale: f64, escalation: bool) -> Vec<(String, Value)> {
    let n = g.int(1, 4);
    let mut out: Vec<(String, Value)> = Vec::new();
    while out.len() < n as usize {
        let f = |x: f64| Value::Float(x);
        let (k, v) = match g.int(0, 21) {
            0 => ("family_help.fte".to_string(), f(g.fte(99.0, scale, 0.15))),
            1 => ("triage.fte".into(), f(g.fte(12.0, scale, 0.1))),
            2 => ("child_protection.fte".into(), f(g.fte(40.0, scale, 0.1))),
            3 => ("lead_practitioners.fte".into(), f(g.fte(15.0, scale, 0.3))),
            4 => (
                "family_network.coordinators_fte".into(),
                f(g.fte(4.0, scale, 0.2)),
            ),
            5 => (
                "family_help.caseload_cap".into(),
                Value::Integer(g.int(1, 25)),
            ),
            6 => (
                "lead_practitioners.caseload_cap".into(),
                Value::Integer(g.int(1, 20)),
            ),
            7 => (
                "family_network.coordinator_caseload_cap".into(),
                Value::Integer(g.int(1, 15)),
            ),
            8..=10 => {
                let i = g.int(0, 4) as usize;
                let pounds = if g.chance(0.15) {
                    0.0
                } else {
                    round(LINE_BUDGETS[i] * scale * g.uniform(0.0, 2.0), 0)
                };
                (
                    format!("budget.{}.pounds_per_year", LINE_KEYS[i]),
                    f(pounds),
                )
            }
            11 | 12 => {
                // Placements can only overspend.
                let i = [0usize, 1, 2, 4][g.int(0, 3) as usize];
                (
                    format!("budget.{}.when_spent", LINE_KEYS[i]),
                    g.when_spent(),
                )
            }
            13 => (
                "care.years_in_care_mean".into(),
                f(round(g.uniform(0.1, 12.0), 2)),
            ),
            14 => (
                "care.emergency_probability_at_risk".into(),
                f(round(g.uniform(0.0, 0.3), 3)),
            ),
            15 => (
                "care.weekly_cost_pounds.residential".into(),
                f(round(g.uniform(0.0, 12_000.0), 0)),
            ),
            16 => ("family_network.offer_at_plan".into(), f(round(g.u(), 3))),
            17 => ("family_network.fnsp_probability".into(), f(round(g.u(), 3))),
            18 if escalation => (
                "escalation.per_year_while_waiting".into(),
                f(round(g.uniform(0.0, 10.0), 2)),
            ),
            19 => ("proceedings.issue_probability".into(), f(round(g.u(), 3))),
            20 => {
                let p = POOL_KEYS[g.int(0, 4) as usize];
                (
                    format!("workforce.{p}.attrition_per_year"),
                    f(round(g.uniform(0.0, 2.0), 3)),
                )
            }
            21 => (
                "area.new_referrals_per_10k_children".into(),
                f(round(g.uniform(60.0, 300.0), 1)),
            ),
            _ => continue,
        };
        if !out.iter().any(|(o, _)| *o == k) {
            out.push((k, v));
        }
    }
    out
}

/// Draws case `number`: a scenario within the validated bounds, and a seed.
fn draw(number: usize) -> Result<(Case, ScenarioInput), String> {
    let mut g = Gen::new(number);
    let seed: u64 = g.rng.random();

    // Size and length: small enough for dozens of runs a minute.
    let children = g.integer("area.children", 20_000, 400_000);
    let scale = children as f64 / 100_000.0;
    let burn_in = match g.int(0, 19) {
        0..=12 => 0,
        13..=17 => 1,
        _ => 2,
    };
    let years = if burn_in == 0 && g.chance(0.5) { 2 } else { 1 };
    g.set("years", Value::Integer(years));
    g.set("burn_in_years", Value::Integer(burn_in));
    if g.chance(0.1) {
        g.set("seven_day_week", Value::Boolean(true));
    }
    g.float("area.new_referrals_per_10k_children", 60.0, 300.0, 1);
    match g.int(0, 4) {
        0 => g.remove("area.monthly_profile"),
        1 => {
            let mut months: Vec<Value> = Vec::new();
            for _ in 0..12 {
                let m = if g.chance(0.2) {
                    0.0
                } else {
                    round(g.uniform(0.2, 2.0), 2)
                };
                months.push(Value::Float(m));
            }
            months[g.int(0, 11) as usize] = Value::Float(1.0);
            g.set("area.monthly_profile", Value::Array(months));
        }
        _ => {}
    }

    // Families.
    if g.chance(0.1) {
        g.float("families.children_mean", 4.0, 10.0, 2);
    } else {
        g.float("families.children_mean", 1.0, 3.0, 2);
    }
    g.float("families.sibling_gap_years_mean", 1.0, 15.0, 2);
    g.shares("families.need", &["none", "low", "moderate", "high"]);
    for k in [
        "domestic_abuse",
        "substance_misuse",
        "mental_health",
        "neglect",
    ] {
        g.float(&format!("families.risk_factors.{k}"), 0.0, 1.0, 3);
    }
    g.float("families.risk_factor_weight", 0.0, 1.0, 3);
    g.float("families.significant_harm_threshold", 0.3, 0.99, 3);
    g.float("families.network_strength_mean", 0.0, 1.0, 3);
    let bands = [
        "under_1",
        "from_1_to_4",
        "from_5_to_9",
        "from_10_to_15",
        "from_16_to_17",
    ];
    match g.int(0, 4) {
        0 => g.remove("families.age_of_youngest"),
        1 => {
            // One band only (often teenagers: many 18th birthdays in the run).
            let only = if g.chance(0.5) {
                4
            } else {
                g.int(0, 4) as usize
            };
            for (i, b) in bands.iter().enumerate() {
                let x = if i == only { 1.0 } else { 0.0 };
                g.set(&format!("families.age_of_youngest.{b}"), Value::Float(x));
            }
        }
        _ => g.shares("families.age_of_youngest", &bands),
    }
    g.float("families.infant_risk_weight", 0.0, 1.0, 3);

    // The front door.
    let lo = g.float("triage.accuracy_without_data_sharing", 0.3, 1.0, 3);
    g.float("triage.accuracy_with_full_data_sharing", lo, 1.0, 3);
    g.float("triage.data_sharing", 0.0, 1.0, 3);
    g.float("triage.decision_working_days_mean", 0.05, 5.0, 2);
    let fte = g.fte(12.0, scale, 0.08);
    g.set("triage.fte", Value::Float(fte));
    g.integer("triage.caseload_cap", 1, 10);
    g.float("triage.caseload_penalty", 0.0, 2.0, 2);

    // Family help.
    let fte = g.fte(99.0, scale, 0.08);
    g.set("family_help.fte", Value::Float(fte));
    g.integer("family_help.caseload_cap", 1, 25);
    let md = g.chance(0.5);
    g.set("family_help.multidisciplinary", Value::Boolean(md));
    g.float("family_help.assessment_working_days_mean", 1.0, 60.0, 1);
    g.float("family_help.support_weeks_mean", 1.0, 60.0, 1);
    g.float("family_help.need_met_probability", 0.0, 1.0, 3);
    g.float("family_help.multidisciplinary_uplift", 0.0, 1.0, 3);
    g.float("family_help.caseload_penalty", 0.0, 1.0, 3);
    g.float("family_help.step_up_probability", 0.0, 1.0, 3);

    // Child protection.
    g.float("child_protection.enquiry_working_days_mean", 1.0, 30.0, 1);
    g.float(
        "child_protection.conference_probability_at_risk",
        0.0,
        1.0,
        3,
    );
    g.float(
        "child_protection.conference_probability_not_at_risk",
        0.0,
        0.5,
        3,
    );
    g.float(
        "child_protection.conference_working_days_mean",
        1.0,
        20.0,
        1,
    );
    g.float("child_protection.plan_probability", 0.0, 1.0, 3);
    g.shares(
        "child_protection.plan_length",
        &[
            "up_to_3_months",
            "from_3_to_6_months",
            "from_6_to_12_months",
            "from_1_to_2_years",
            "over_2_years",
        ],
    );
    g.float("child_protection.step_down_probability", 0.0, 1.0, 3);
    let fte = g.fte(40.0, scale, 0.08);
    g.set("child_protection.fte", Value::Float(fte));
    g.integer("child_protection.caseload_cap", 1, 20);
    g.float("child_protection.caseload_penalty", 0.0, 2.0, 2);

    // Lead practitioners.
    let fte = g.fte(15.0, scale, 0.4);
    g.set("lead_practitioners.fte", Value::Float(fte));
    g.integer("lead_practitioners.caseload_cap", 1, 20);
    g.float("lead_practitioners.enquiry_time_factor", 0.2, 1.5, 2);
    g.float(
        "lead_practitioners.unneeded_conference_reduction",
        0.0,
        1.0,
        3,
    );
    g.float("lead_practitioners.proceedings_reduction", 0.0, 1.0, 3);

    // Family networks.
    for k in [
        "offer_in_family_help",
        "offer_at_plan",
        "offer_before_proceedings",
        "acceptance_probability",
        "kin_named_probability",
        "proceedings_reduction",
        "kinship_when_kin_named",
        "kin_care_when_diverted",
        "fnsp_probability",
        "fnsp_care_avoided",
        "fnsp_sustains_kinship",
    ] {
        g.float(&format!("family_network.{k}"), 0.0, 1.0, 3);
    }
    g.float("family_network.need_met_uplift", 0.0, 1.0, 3);
    g.float("family_network.fnsp_mean_pounds", 0.0, 5_000.0, 0);
    let fte = g.fte(4.0, scale, 0.15);
    g.set("family_network.coordinators_fte", Value::Float(fte));
    g.integer("family_network.coordinator_caseload_cap", 1, 15);
    g.float("family_network.coordinator_weeks", 0.5, 40.0, 1);

    // Care.
    g.float("care.emergency_probability_at_risk", 0.0, 0.3, 3);
    g.float("care.voluntary_when_needs_unmet.under_13", 0.0, 0.3, 3);
    g.float("care.voluntary_when_needs_unmet.teenagers", 0.0, 0.6, 3);
    g.float("care.voluntary_at_plan_end.under_13", 0.0, 0.6, 3);
    g.float("care.voluntary_at_plan_end.teenagers", 0.0, 0.6, 3);
    g.float("care.voluntary_siblings_together", 0.0, 1.0, 3);
    if g.chance(0.2) {
        g.remove("care.voluntary_years_in_care_mean");
    } else {
        g.float("care.voluntary_years_in_care_mean", 0.1, 5.0, 2);
    }
    g.float("care.unaccompanied_per_10k_children_per_year", 0.0, 30.0, 1);
    let placements = ["kinship", "in_house_foster", "agency_foster", "residential"];
    g.shares("care.placement", &placements);
    g.shares("care.placement_teenagers", &placements);
    for (k, hi) in placements.iter().zip([1_000.0, 2_000.0, 3_000.0, 12_000.0]) {
        g.float(&format!("care.weekly_cost_pounds.{k}"), 0.0, hi, 2);
    }
    g.float("care.years_in_care_mean", 0.1, 12.0, 2);
    g.shares(
        "care.exit",
        &["reunification", "special_guardianship", "adoption"],
    );
    g.integer("care.adoption_max_age", 0, 17);
    // Placement sufficiency: off in some cases, else any places and rates.
    if g.chance(0.2) {
        g.remove("placements");
    } else {
        let pl = "placements";
        g.float(
            &format!("{pl}.in_house_foster_places_per_10k_children"),
            0.0,
            60.0,
            1,
        );
        g.float(
            &format!("{pl}.in_house_foster_approved_per_10k_children_per_year"),
            0.0,
            20.0,
            2,
        );
        g.float(&format!("{pl}.in_house_foster_lost_per_year"), 0.0, 1.0, 3);
        g.float(
            &format!("{pl}.agency_foster_places_in_area_per_10k_children"),
            0.0,
            40.0,
            1,
        );
        g.float(
            &format!("{pl}.residential_beds_in_area_per_10k_children"),
            0.0,
            10.0,
            1,
        );
        g.float(&format!("{pl}.out_of_area_cost_factor"), 0.5, 3.0, 2);
        for k in placements {
            g.float(&format!("{pl}.moves_per_year.{k}"), 0.0, 3.0, 2);
        }
    }
    if g.chance(0.3) {
        g.float(
            "care.kinship_support.weekly_pounds_per_child",
            0.0,
            300.0,
            2,
        );
        g.float("care.kinship_support.more_kin_take_the_child", 0.0, 1.0, 3);
        g.float("care.kinship_support.fewer_breakdowns", 0.0, 1.0, 3);
    }

    // Staff pools.
    for p in POOL_KEYS {
        let w = format!("workforce.{p}");
        g.float(&format!("{w}.agency_share"), 0.0, 0.6, 3);
        g.float(&format!("{w}.agency_cover"), 0.0, 1.0, 3);
        g.float(&format!("{w}.agency_premium"), 0.0, 1.0, 3);
        g.float(&format!("{w}.salary_pounds_per_year"), 0.0, 90_000.0, 0);
        g.float(&format!("{w}.attrition_per_year"), 0.0, 2.0, 3);
        g.float(
            &format!("{w}.attrition_per_year_at_full_caseload"),
            0.0,
            2.0,
            3,
        );
        g.float(&format!("{w}.recruitment_weeks_mean"), 1.0, 100.0, 1);
        if g.chance(0.5) {
            g.integer(&format!("{w}.apprentices_per_year"), 1, 6);
        }
        g.float(&format!("{w}.apprentice_years"), 0.3, 3.0, 2);
        g.float(&format!("{w}.apprentice_completion"), 0.0, 1.0, 3);
        g.float(
            &format!("{w}.apprentice_salary_pounds_per_year"),
            0.0,
            40_000.0,
            0,
        );
    }

    // Budgets.
    for (i, line) in LINE_KEYS.iter().enumerate() {
        let pounds = if g.chance(if i == 2 { 0.3 } else { 0.1 }) {
            0.0
        } else {
            round(LINE_BUDGETS[i] * scale * g.uniform(0.0, 2.0), 0)
        };
        g.set(
            &format!("budget.{line}.pounds_per_year"),
            Value::Float(pounds),
        );
        if *line != "placements" {
            let w = g.when_spent();
            g.set(&format!("budget.{line}.when_spent"), w);
        }
    }

    // Now and then money far past any real authority's, at the largest
    // amounts validation allows: the ledger must not wrap.
    if g.chance(0.08) {
        match g.int(0, 4) {
            0 => {
                let p = POOL_KEYS[g.int(0, 4) as usize];
                g.set(
                    &format!("workforce.{p}.salary_pounds_per_year"),
                    Value::Float(familyflow::model::scenario::MAX_SALARY_POUNDS),
                );
            }
            1 => {
                let p = POOL_KEYS[g.int(0, 4) as usize];
                let premium = Value::Float(familyflow::model::scenario::MAX_AGENCY_PREMIUM);
                g.set(&format!("workforce.{p}.agency_premium"), premium);
            }
            2 => {
                let k = ["kinship", "in_house_foster", "agency_foster", "residential"]
                    [g.int(0, 3) as usize];
                g.set(
                    &format!("care.weekly_cost_pounds.{k}"),
                    Value::Float(familyflow::model::scenario::MAX_WEEKLY_OR_ONE_OFF_POUNDS),
                );
            }
            3 => {
                g.set(
                    "family_network.fnsp_mean_pounds",
                    Value::Float(familyflow::model::scenario::MAX_WEEKLY_OR_ONE_OFF_POUNDS),
                );
                g.set("family_network.fnsp_probability", Value::Float(1.0));
                g.set(
                    "budget.fnsp.pounds_per_year",
                    Value::Float(familyflow::model::scenario::MAX_BUDGET_POUNDS),
                );
            }
            _ => {
                let line = LINE_KEYS[g.int(0, 4) as usize];
                let budget = Value::Float(familyflow::model::scenario::MAX_BUDGET_POUNDS);
                g.set(&format!("budget.{line}.pounds_per_year"), budget);
            }
        }
    }

    // Proceedings.
    g.float("proceedings.pre_proceedings_weeks_mean", 1.0, 40.0, 1);
    g.float("proceedings.issue_probability", 0.0, 1.0, 3);
    g.float("proceedings.removal_at_issue", 0.0, 1.0, 3);
    g.float("proceedings.weeks_mean", 1.0, 80.0, 1);
    let orders = [
        "care_order",
        "placement_order",
        "special_guardianship",
        "child_arrangements",
        "supervision",
    ];
    g.shares("proceedings.orders_in_care", &orders);
    g.shares("proceedings.orders_at_home", &orders);
    g.float("proceedings.emergency_days_mean", 0.1, 15.0, 2);
    g.float("proceedings.emergency_protection_order_share", 0.0, 1.0, 3);
    g.float("proceedings.issue_after_emergency", 0.0, 1.0, 3);
    g.float("proceedings.section20_after_emergency", 0.0, 1.0, 3);
    g.float("proceedings.urgent_issue_for_babies", 0.0, 1.0, 3);

    // Waiting and unmet need.
    let escalation = !g.chance(0.15);
    if escalation {
        g.float("escalation.per_year_while_waiting", 0.0, 10.0, 2);
        g.float("escalation.rise_per_month_waited", 0.0, 2.0, 2);
        g.float("escalation.disengagement_per_year", 0.0, 10.0, 2);
        g.float("escalation.risk_rise_when_needs_unmet", 0.0, 1.0, 3);
    } else {
        g.remove("escalation");
    }

    // Re-referrals.
    g.float("rereferral.within_12_months_after_no_action", 0.0, 0.95, 3);
    g.float("rereferral.within_12_months_after_needs_met", 0.0, 0.95, 3);
    g.float(
        "rereferral.within_12_months_after_needs_unmet",
        0.0,
        0.95,
        3,
    );
    g.float("rereferral.horizon_years", 0.25, 5.0, 2);

    // Now and then a duration or rate at the edge of what validation allows:
    // its maximum, or next to nothing.
    let mut edges: Vec<(String, f64)> = [
        ("triage.decision_working_days_mean", 3_650.0),
        ("family_help.assessment_working_days_mean", 3_650.0),
        ("family_help.support_weeks_mean", 5_200.0),
        ("child_protection.enquiry_working_days_mean", 3_650.0),
        ("child_protection.conference_working_days_mean", 3_650.0),
        ("care.years_in_care_mean", 100.0),
        ("family_network.coordinator_weeks", 5_200.0),
        ("rereferral.horizon_years", 100.0),
        ("proceedings.pre_proceedings_weeks_mean", 5_200.0),
        ("proceedings.weeks_mean", 5_200.0),
        ("proceedings.emergency_days_mean", 36_500.0),
    ]
    .iter()
    .map(|&(k, v)| (k.to_string(), v))
    .collect();
    if g.table
        .get("care")
        .and_then(|c| c.get("voluntary_years_in_care_mean"))
        .is_some()
    {
        edges.push(("care.voluntary_years_in_care_mean".into(), 100.0));
    }
    for p in POOL_KEYS {
        edges.push((format!("workforce.{p}.recruitment_weeks_mean"), 5_200.0));
        edges.push((format!("workforce.{p}.apprentice_years"), 100.0));
    }
    if escalation {
        for k in [
            "per_year_while_waiting",
            "rise_per_month_waited",
            "disengagement_per_year",
        ] {
            edges.push((format!("escalation.{k}"), 1_000.0));
        }
    }
    if g.chance(0.3) {
        for (k, most) in edges {
            match g.int(0, 24) {
                0 => g.set(&k, Value::Float(most)),
                1 => g.set(&k, Value::Float(0.001)),
                _ => {}
            }
        }
    }

    // The policy timeline: none, one or two changes inside the measured run
    // (sometimes on its first day, sometimes two on one date).
    let start = CivilDate::new(2024, 4, 1).expect("a date");
    let mut policy = String::new();
    let entries = match g.int(0, 9) {
        0..=2 => 0,
        3..=7 => 1,
        _ => 2,
    };
    let mut day = 0i64;
    for e in 0..entries {
        let last = years * 365 - 1;
        if e == 0 {
            day = if g.chance(0.1) { 0 } else { g.int(1, last) };
        } else if !g.chance(0.2) {
            day = g.int(day, last);
        }
        let date = start.plus_days(day).expect("a date");
        let _ = write!(
            policy,
            "\n[[policy]]\ndate = {date}\nnote = \"swarm change {}\"\n",
            e + 1
        );
        for (k, v) in policy_changes(&mut g, scale, escalation) {
            let _ = writeln!(policy, "{k} = {v}");
        }
    }

    // A starting caseload, in family help at most the smallest room any
    // version of the timeline gives the team (each version is validated
    // with the starting caseload).
    let starting = g.chance(0.3);
    if starting {
        let text = format!(
            "{}{policy}",
            toml::to_string(&g.table).map_err(|e| e.to_string())?
        );
        let s = Scenario::parse(&text, "swarm (before the starting caseload)")
            .map_err(|e| format!("generator bug: case {number} does not validate:\n{e}\n{text}"))?;
        let room = s
            .timeline()
            .map_err(|e| format!("generator bug: {e:?}"))?
            .iter()
            .map(|(_, v)| {
                let t = PoolTerms::of(v)[Pool::FamilyHelp];
                t.capacity(t.posts)
            })
            .min()
            .unwrap_or(0);
        g.integer("starting_caseload.waiting_for_help", 0, 60);
        g.integer(
            "starting_caseload.in_family_help",
            0,
            i64::from(room.min(80)),
        );
        g.integer("starting_caseload.in_enquiry", 0, 20);
        g.integer("starting_caseload.awaiting_conference", 0, 20);
        g.integer("starting_caseload.on_plan", 0, 60);
        g.integer("starting_caseload.looked_after", 0, 80);
        g.integer("starting_caseload.pre_proceedings", 0, 15);
    }

    let text = format!(
        "{}{policy}",
        toml::to_string(&g.table).map_err(|e| e.to_string())?
    );
    let source = format!("swarm case {number}");
    let input = ScenarioInput::from_text(&text, &source).map_err(|e| {
        format!(
            "generator bug: case {number} drew a scenario that does not validate:\n{e}\n{}",
            g.changes.join("\n")
        )
    })?;
    Ok((
        Case {
            number,
            seed,
            text,
            changes: g.changes,
            policy,
            children,
            years,
            burn_in,
            starting_caseload: starting,
        },
        input,
    ))
}

// ---------------------------------------------------------------------------
// Checking a run
// ---------------------------------------------------------------------------

/// A second run's sink: compares each event with the first run's.
struct SameAs<'a> {
    expected: &'a [Timed],
    next: usize,
    difference: Option<String>,
}

impl EventSink<familyflow::model::event::Event> for SameAs<'_> {
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError> {
        if self.difference.is_none() {
            match self.expected.get(self.next) {
                Some(t) if t.at == at && t.event == *event => {}
                Some(t) => {
                    self.difference = Some(format!(
                        "event {}: the second run has minute {at} {event}, the first minute {} {}",
                        self.next, t.at, t.event
                    ))
                }
                None => {
                    self.difference = Some(format!(
                        "event {}: the second run has more events ({at} {event})",
                        self.next
                    ))
                }
            }
        }
        self.next += 1;
        Ok(())
    }
}

/// What the swarm exercised, summed over cases (so that a generator that
/// stops reaching a mechanism is noticed).
#[derive(Default, Clone, Debug)]
struct Coverage {
    cases: u64,
    events: u64,
    with_policy: u64,
    with_burn_in: u64,
    with_starting_caseload: u64,
    policy_applied: u64,
    family_help_over_cap: u64,
    leads_assigned: u64,
    fgdm_held: u64,
    fgdm_unavailable: u64,
    fnsp_paid_rationed: u64,
    fnsp_refused: u64,
    staff_budget_exhausted_rationed: u64,
    recruitment_rationed: u64,
    sibling_groups_in_care: u64,
    siblings_left_at_18: u64,
    placement_moves: u64,
    placed_out_of_area: u64,
    care_leavers_supported: u64,
    left_care_at_18: u64,
    closed_as_adult: u64,
    entries_emergency: u64,
    entries_voluntary: u64,
    entries_unaccompanied: u64,
    entries_proceedings: u64,
    escalated: u64,
    disengaged: u64,
    staff_left: u64,
    apprentices_started: u64,
}

impl Coverage {
    fn add(&mut self, o: &Coverage) {
        macro_rules! sum {
            ($($f:ident),*) => { $( self.$f += o.$f; )* };
        }
        sum!(
            cases,
            events,
            with_policy,
            with_burn_in,
            with_starting_caseload,
            policy_applied,
            family_help_over_cap,
            leads_assigned,
            fgdm_held,
            fgdm_unavailable,
            fnsp_paid_rationed,
            fnsp_refused,
            staff_budget_exhausted_rationed,
            recruitment_rationed,
            sibling_groups_in_care,
            siblings_left_at_18,
            placement_moves,
            placed_out_of_area,
            care_leavers_supported,
            left_care_at_18,
            closed_as_adult,
            entries_emergency,
            entries_voluntary,
            entries_unaccompanied,
            entries_proceedings,
            escalated,
            disengaged,
            staff_left,
            apprentices_started
        );
    }
}

/// Minutes per unit of each line's accrual rate ([`BudgetLine::ALL`] order):
/// staff per 365-day year, placements per week.
const UNIT: [u128; 5] = [
    (365 * DAY) as u128,
    (365 * DAY) as u128,
    1,
    WEEK as u128,
    (365 * DAY) as u128,
];

/// The replay of one run's events with every invariant checked.
struct Checker<'a> {
    /// Each version of the policy timeline: the minute it starts, its
    /// scenario and its pools' terms.
    versions: &'a [Version],
    calendar: &'a Calendar,
    horizon: Minute,
    measured_from: Minute,
    state: State,
    metrics: Metrics,
    violations: Vec<String>,
    /// Care leavers' support paid now, pence a week.
    leaving_care_weekly: u64,
    violation_count: u64,

    last_at: Minute,
    next_scan: Minute,
    policies_applied: u16,
    measuring: bool,
    closed_for_good: u64,
    coordinating: u64,
    /// Children looked after now, counted from the events.
    looked_after: u64,
    /// Children looked after when counting started.
    looked_after_base: u64,
    /// Children on a plan now (as at each plan's start), from the events.
    on_plan: u64,
    on_plan_base: u64,
    /// Counted since measurement started (children).
    entries: u64,
    exits: u64,
    plans_started: u64,
    plans_ended: u64,
    /// Accrual rate of each line (pence per unit), recomputed here.
    rate: [u128; 5],
    /// Accrued since minute 0 (pence x minutes per unit).
    accrued: [u128; 5],
    /// Settled by `Spent` since minute 0.
    settled: [u128; 5],
    accrued_to: Minute,
    /// Packages paid in the financial year (year, pence).
    fnsp_year: (u32, u128),
    /// Spent (settled and packages) since measurement started, by line
    /// (money is summed here in u128, so that a u64 wrap shows).
    spent_measured: [u128; 5],
    cov: Coverage,
}

/// A version of the policy timeline: the minute it starts, its scenario and
/// its pools' terms.
type Version = (Minute, Scenario, familyflow::model::per::PerPool<PoolTerms>);

/// The versions of a scenario's policy timeline.
fn versions(scenario: &Scenario, calendar: &Calendar) -> Vec<Version> {
    scenario
        .timeline()
        .expect("a validated scenario has a timeline")
        .into_iter()
        .map(|(date, s)| {
            let terms = PoolTerms::of(&s);
            (calendar.minute_of(date), s, terms)
        })
        .collect()
}

impl<'a> Checker<'a> {
    fn new(
        scenario: &Scenario,
        calendar: &'a Calendar,
        versions: &'a [Version],
        seed: u64,
    ) -> Self {
        Checker {
            versions,
            horizon: calendar.horizon(),
            measured_from: scenario.measured_from(),
            state: State::new(scenario),
            metrics: Metrics::new(calendar, seed),
            calendar,
            violations: Vec::new(),
            leaving_care_weekly: 0,
            violation_count: 0,
            last_at: 0,
            next_scan: 0,
            policies_applied: 0,
            measuring: scenario.burn_in_years == 0,
            closed_for_good: 0,
            coordinating: 0,
            looked_after: 0,
            looked_after_base: 0,
            on_plan: 0,
            on_plan_base: 0,
            entries: 0,
            exits: 0,
            plans_started: 0,
            plans_ended: 0,
            rate: [0; 5],
            accrued: [0; 5],
            settled: [0; 5],
            accrued_to: 0,
            fnsp_year: (0, 0),
            spent_measured: [0; 5],
            cov: Coverage::default(),
        }
    }

    fn fail(&mut self, what: String) {
        self.violation_count += 1;
        if self.violations.len() < KEEP {
            self.violations.push(what);
        }
    }

    /// The version of the timeline in force at `at` (as the model reads it).
    fn version_at(&self, at: Minute) -> usize {
        self.versions
            .partition_point(|v| v.0 <= at)
            .saturating_sub(1)
    }

    /// One event, checked before and after it is folded.
    fn event(&mut self, i: usize, t: &Timed) -> Result<(), String> {
        let (at, ev) = (t.at, &t.event);
        let cal = self.calendar;
        let here = move || format!("event {i} at minute {at} ({}): {ev}", cal.date(at));
        // Time.
        if at < self.last_at {
            self.fail(format!(
                "{}: time went backwards from minute {}",
                here(),
                self.last_at
            ));
        }
        if at >= self.horizon {
            self.fail(format!(
                "{}: at or after the horizon {}",
                here(),
                self.horizon
            ));
        }
        if at > self.last_at || i == 0 {
            // Every event of the minute before is folded: no family is left
            // between two routes (that exists only inside one decision), and
            // nobody waits for family help while the team has room (a team
            // given room by staff joining or a policy takes families off its
            // list within the same minute).
            let between = self.state.in_stage(Stage::Between);
            if between > 0 {
                self.fail(format!(
                    "{}: {between} families left between routes at minute {}",
                    here(),
                    self.last_at
                ));
            }
            let team = &self.state.family_help;
            if team.waiting_count() > 0 && team.active < team.capacity {
                let (w, a, c) = (team.waiting_count(), team.active, team.capacity);
                self.fail(format!(
                    "{}: {w} families waited for family help at minute {} with the team at {a} of {c}",
                    here(),
                    self.last_at
                ));
            }
        }
        // The whole population, once a month, with every event before `at` folded.
        if at >= self.next_scan && at > self.last_at {
            self.scan(at, &here());
            self.next_scan = self.calendar.next_month_start(at);
        }
        self.last_at = at;
        // Money accrues up to now at the rates set by the events before.
        let dt = u128::from(at - self.accrued_to.min(at));
        for l in 0..5 {
            self.accrued[l] += self.rate[l] * dt;
        }
        self.accrued_to = at;

        let v = self.version_at(at);
        self.before(at, ev, v, &here);

        let fh_before = self.state.family_help.active;
        let leads_before = self.state.leads.active;
        let coords_before = self.state.coordinators.active;
        let family_before = ev.family().and_then(|id| {
            self.state
                .family(id)
                .map(|f| (f.stage, f.in_care, f.weekly_pence()))
        });
        fold(&mut self.state, &mut self.metrics, at, ev)
            .map_err(|e| format!("{}: Inconsistent: {e}", here()))?;
        self.after(at, ev, family_before, &here);

        // Caps govern allocation: over its cap a pool takes nobody new.
        let s = &self.state;
        for (name, active, capacity, before, pool) in [
            (
                "family help",
                s.family_help.active,
                s.family_help.capacity,
                fh_before,
                Pool::FamilyHelp,
            ),
            (
                "lead practitioners",
                s.leads.active,
                s.leads.capacity,
                leads_before,
                Pool::LeadPractitioners,
            ),
            (
                "FGDM coordinators",
                s.coordinators.active,
                s.coordinators.capacity,
                coords_before,
                Pool::FgdmCoordinators,
            ),
        ] {
            if active > capacity && active > before {
                self.fail(format!(
                    "{}: the {name} took a case over the cap ({active} of {capacity})",
                    here()
                ));
            }
            if capacity != self.state.capacity(pool) {
                self.fail(format!(
                    "{}: the {name} can hold {capacity}, but their staff give {}",
                    here(),
                    self.state.capacity(pool)
                ));
            }
        }
        if self.state.family_help.active > self.state.family_help.capacity {
            self.cov.family_help_over_cap += 1;
        }
        if u64::from(self.state.coordinators.active) != self.coordinating {
            self.fail(format!(
                "{}: the coordinators hold {} families, but {} conferences are under coordination",
                here(),
                self.state.coordinators.active,
                self.coordinating
            ));
        }
        Ok(())
    }

    /// Checks on an event against the state before it.
    fn before(&mut self, at: Minute, ev: &Event, v: usize, here: &dyn Fn() -> String) {
        let versions = self.versions;
        let version = &versions[v].1;
        let terms = versions[v].2;
        // Families: children are children.
        if let Some(id) = ev.family() {
            let known = self.state.family(id).map(|f| {
                (
                    f.turns_18_at(id),
                    f.children_under_18(id, at),
                    // Brothers and sisters within a day of 18 stay out
                    // of care, as the youngest would.
                    f.children_under_18(id, at + DAY).max(1),
                )
            });
            if let Some((adult, under_18, a_day_on)) = known {
                match *ev {
                    Event::FamilyReReferred { .. }
                    | Event::Escalated { .. }
                    | Event::S47Started { .. }
                    | Event::FamilyHelpQueued { .. }
                    | Event::FamilyHelpStarted { .. }
                    | Event::PreProceedingsStarted { .. }
                    | Event::ProceedingsIssued { .. }
                    | Event::KinshipArrangementMade { .. }
                        if at >= adult =>
                    {
                        self.fail(format!(
                            "{}: the youngest child turned 18 at minute {adult}",
                            here()
                        ));
                    }
                    Event::CaseClosed {
                        rereferral_due,
                        reason,
                        ..
                    } => {
                        // Nobody is referred again at 18 or over, nor past
                        // the hazard's horizon, nor after leaving for good.
                        let horizon =
                            (version.rereferral.horizon_years.get() * (365 * DAY) as f64) as Minute;
                        let for_good = matches!(
                            reason,
                            ClosureReason::Adopted
                                | ClosureReason::SpecialGuardianship
                                | ClosureReason::Aged18
                                | ClosureReason::Adult
                        );
                        if let Some(due) = rereferral_due {
                            if due >= adult || due > at + horizon + 1 || for_good {
                                self.fail(format!(
                                    "{}: a re-referral due at minute {due} (18th birthday at {adult}, horizon {horizon} minutes)",
                                    here()
                                ));
                            }
                        }
                    }
                    Event::PlanStarted { .. } if at + DAY > adult => {
                        self.fail(format!(
                            "{}: a plan starts within a day of the 18th birthday (minute {adult})",
                            here()
                        ));
                    }
                    Event::EnteredCare {
                        route,
                        children,
                        placement,
                        weekly_pence,
                        ..
                    } => {
                        if at + DAY > adult {
                            self.fail(format!(
                                "{}: into care within a day of the 18th birthday (minute {adult})",
                                here()
                            ));
                        }
                        if children == 0 || children > under_18 || children > a_day_on {
                            self.fail(format!(
                                "{}: {children} children into care, {under_18} under 18, {a_day_on} more than a day from 18",
                                here()
                            ));
                        }
                        // A sibling group comes together, but under section 20.
                        if route != CareRoute::Voluntary && children != a_day_on {
                            self.fail(format!(
                                "{}: {children} of the {a_day_on} children more than a day from 18 came into care by {route:?}",
                                here()
                            ));
                        }
                        if !placement_costs(version, placement).contains(&weekly_pence) {
                            self.fail(format!(
                                "{}: placed at {weekly_pence} pence a week, version {v} says {:?}",
                                here(),
                                placement_costs(version, placement)
                            ));
                        }
                    }
                    Event::PlacementMoved {
                        placement,
                        weekly_pence,
                        ..
                    } => {
                        if version.placements.is_none() {
                            self.fail(format!("{}: a move without [placements]", here()));
                        }
                        if !placement_costs(version, placement).contains(&weekly_pence) {
                            self.fail(format!(
                                "{}: moved at {weekly_pence} pence a week, version {v} says {:?}",
                                here(),
                                placement_costs(version, placement)
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        match *ev {
            Event::FamilyReferred { family, attributes }
            | Event::UnaccompaniedChildArrived { family, attributes } => {
                let f = Family::new(attributes, Stage::AwaitingTriage, at);
                let n = f.children_under_18(family, at);
                if attributes.youngest_age > 17
                    || attributes.children == 0
                    || attributes.eldest_age < attributes.youngest_age
                    || n == 0
                {
                    self.fail(format!(
                        "{}: not a family of children ({n} under 18)",
                        here()
                    ));
                }
                if matches!(ev, Event::UnaccompaniedChildArrived { .. })
                    && !(14..=17).contains(&attributes.youngest_age)
                {
                    self.fail(format!(
                        "{}: an unaccompanied child not aged 14 to 17",
                        here()
                    ));
                }
            }
            Event::FamilyOpened {
                family,
                attributes,
                stage,
                placement,
            } => {
                if at != 0 {
                    self.fail(format!(
                        "{}: a starting caseload after the first minute",
                        here()
                    ));
                }
                let f = Family::new(attributes, Stage::Between, at);
                if attributes.youngest_age > 17 || f.children_under_18(family, at) == 0 {
                    self.fail(format!("{}: not a family of children", here()));
                }
                if stage == OpenStage::InHelp
                    && self.state.family_help.active >= self.state.family_help.capacity
                {
                    self.fail(format!(
                        "{}: opened in family help with the team full",
                        here()
                    ));
                }
                if let Some((p, pence)) = placement {
                    // Already in care: placed in the area, at its type's cost.
                    let cost = placement_costs(version, p)[0];
                    if pence != cost {
                        self.fail(format!(
                            "{}: placed at {pence} pence a week, version {v} says {cost}",
                            here()
                        ));
                    }
                }
            }
            Event::FamilyHelpStarted { .. } => {
                let t = &self.state.family_help;
                if t.active >= t.capacity {
                    self.fail(format!(
                        "{}: family help started with the team at {} of {}",
                        here(),
                        t.active,
                        t.capacity
                    ));
                }
            }
            Event::LeadPractitionerAssigned { .. } => {
                self.cov.leads_assigned += 1;
                let l = &self.state.leads;
                if l.active >= l.capacity {
                    self.fail(format!(
                        "{}: a lead practitioner assigned at {} of {}",
                        here(),
                        l.active,
                        l.capacity
                    ));
                }
            }
            Event::FgdmOffered { .. } | Event::FgdmHeld { .. } => {
                let c = &self.state.coordinators;
                if c.active >= c.capacity {
                    self.fail(format!(
                        "{}: FGDM with the coordinators at {} of {}",
                        here(),
                        c.active,
                        c.capacity
                    ));
                }
                if let Event::FgdmHeld { .. } = ev {
                    self.coordinating += 1;
                    self.cov.fgdm_held += 1;
                }
            }
            Event::FgdmCoordinationEnded { .. } => {
                if self.coordinating == 0 {
                    self.fail(format!("{}: no coordination under way", here()));
                }
                self.coordinating = self.coordinating.saturating_sub(1);
            }
            Event::FgdmUnavailable { .. } => self.cov.fgdm_unavailable += 1,
            Event::FnspPaid { pence, .. } => {
                let line = version.budget.fnsp.clone();
                let budget = line.pence();
                let year = self.state.financial_year(at);
                if self.fnsp_year.0 != year {
                    self.fnsp_year = (year, 0);
                }
                if budget == 0 {
                    self.fail(format!(
                        "{}: a package paid from a line with no money",
                        here()
                    ));
                }
                if u128::from(self.state.spent(BudgetLine::Fnsp, at)) != self.fnsp_year.1 {
                    self.fail(format!(
                        "{}: the ledger says {} pence of packages this year, the events {}",
                        here(),
                        self.state.spent(BudgetLine::Fnsp, at),
                        self.fnsp_year.1
                    ));
                }
                if line.when_spent == WhenSpent::Ration {
                    self.cov.fnsp_paid_rationed += 1;
                    if self.fnsp_year.1 + u128::from(pence) > u128::from(budget) {
                        self.fail(format!(
                            "{}: a rationed package line pays {} + {pence} pence, past its budget of {budget}",
                            here(),
                            self.fnsp_year.1
                        ));
                    }
                }
                self.fnsp_year.1 += u128::from(pence);
                if self.measuring {
                    self.spent_measured[BudgetLine::Fnsp as usize] += u128::from(pence);
                }
            }
            Event::FnspRefused { .. } => {
                self.cov.fnsp_refused += 1;
                if version.budget.fnsp.when_spent != WhenSpent::Ration {
                    self.fail(format!(
                        "{}: a package refused by an overspending line",
                        here()
                    ));
                }
            }
            Event::RecruitmentStarted { pool, agency_cover } => {
                let line = pool.line();
                let b = version.budget.lines()[line];
                if b.when_spent == WhenSpent::Ration {
                    self.cov.recruitment_rationed += 1;
                    let t = terms[pool];
                    let cost = if agency_cover {
                        t.agency_pence
                    } else {
                        t.permanent_pence
                    };
                    self.check_affordable(at, line, u128::from(cost), b.pence(), here);
                }
            }
            Event::ApprenticesStarted { pool, count } => {
                self.cov.apprentices_started += u64::from(count);
                let b = &version.budget.workforce;
                if b.when_spent == WhenSpent::Ration {
                    let cost = u128::from(count) * u128::from(terms[pool].apprentice_pence);
                    self.check_affordable(at, BudgetLine::Workforce, cost, b.pence(), here);
                }
            }
            Event::BudgetExhausted { line } => {
                if self.state.exhausted(line, at) {
                    self.fail(format!(
                        "{}: the line was exhausted already this year",
                        here()
                    ));
                }
                let rations = version.budget.lines()[line].when_spent == WhenSpent::Ration;
                if rations && line != BudgetLine::Fnsp {
                    self.cov.staff_budget_exhausted_rationed += 1;
                }
            }
            Event::Spent { line, pence } => {
                let l = line as usize;
                if line == BudgetLine::Fnsp {
                    self.fail(format!(
                        "{}: packages are paid one by one, not settled",
                        here()
                    ));
                }
                if self.calendar.next_month_start(at) != at + 1 && at + 1 != self.horizon {
                    self.fail(format!(
                        "{}: settled other than at a month's last minute",
                        here()
                    ));
                }
                let owed = self.accrued[l] / UNIT[l] - self.settled[l];
                if u128::from(pence) != owed {
                    self.fail(format!(
                        "{}: settles {pence} pence; the staff and placements of the events accrued {owed}",
                        here()
                    ));
                }
                self.settled[l] += u128::from(pence);
                if self.measuring {
                    self.spent_measured[l] += u128::from(pence);
                }
            }
            Event::PolicyApplied { change } => {
                self.cov.policy_applied += 1;
                // Changes take effect in order; of several on one minute
                // (or on the first day, applied at the start) only the
                // last is applied, carrying the ones before it.
                let from = |k: u16| self.versions.get(usize::from(k)).map(|v| v.0);
                let expected = from(change);
                let skipped_ok = (self.policies_applied + 1..change).all(|k| from(k) == expected);
                let last_of_its_minute = from(change + 1) != expected;
                if change <= self.policies_applied
                    || expected != Some(at)
                    || !skipped_ok
                    || !last_of_its_minute
                {
                    self.fail(format!(
                        "{}: change {change} after change {}, expected at minute {:?}",
                        here(),
                        self.policies_applied,
                        expected
                    ));
                }
                self.policies_applied = change;
            }
            Event::MeasurementStarted => {
                if self.measuring || at != self.measured_from {
                    self.fail(format!(
                        "{}: measurement starts at minute {}, once",
                        here(),
                        self.measured_from
                    ));
                }
                self.measuring = true;
                self.looked_after_base = self.looked_after;
                self.on_plan_base = self.on_plan;
                self.spent_measured = [0; 5];
            }
            Event::StaffStarted { .. } if at != 0 => {
                self.fail(format!("{}: staff take up posts after the start", here()));
            }
            Event::StaffLeft { .. } => self.cov.staff_left += 1,
            Event::Escalated { .. } => self.cov.escalated += 1,
            Event::Disengaged { .. } => self.cov.disengaged += 1,
            Event::CaseClosed {
                rereferral_due,
                reason,
                family,
            } => {
                if rereferral_due.is_none() {
                    self.closed_for_good += 1;
                }
                if reason == ClosureReason::Adult {
                    self.cov.closed_as_adult += 1;
                }
                let f = self.state.family(family).map(|f| (f.stage, f.in_care));
                if let Some((stage, in_care)) = f {
                    if stage == Stage::InCare || in_care > 0 {
                        self.fail(format!("{}: a case closed with children in care", here()));
                    }
                    if stage == Stage::OnPlan {
                        self.fail(format!("{}: a case closed on a plan", here()));
                    }
                }
            }
            Event::PlanEnded { family, .. } => {
                // The children counted when the plan started.
                let n = self.state.family(family).map_or(0, |f| {
                    u64::from(f.children_under_18(family, f.stage_since()))
                });
                self.on_plan = self.on_plan.saturating_sub(n);
                if self.measuring {
                    self.plans_ended += n;
                }
            }
            _ => {}
        }
    }

    /// A rationed staff line commits new cost only while not exhausted and
    /// while its forecast with the cost fits the budget. The state here has
    /// the events of the same decision before this one folded, which only
    /// lowers the forecast the model saw (leavers go, commitments without
    /// agency cover are not yet in post), except on a policy change's
    /// minute, where the new terms' rates are in the state already.
    fn check_affordable(
        &mut self,
        at: Minute,
        line: BudgetLine,
        cost: u128,
        budget: u64,
        here: &dyn Fn() -> String,
    ) {
        if self.state.exhausted(line, at) {
            self.fail(format!(
                "{}: a rationed {} line commits after its money ran out this year",
                here(),
                line.key()
            ));
            return;
        }
        let policy_minute = self.versions.iter().skip(1).any(|v| v.0 == at);
        let forecast = self.state.forecast(line, at, cost);
        if !policy_minute && forecast > budget {
            self.fail(format!(
                "{}: a rationed {} line commits {cost} pence a year with its forecast at {forecast}, over its budget of {budget}",
                here(),
                line.key()
            ));
        }
    }

    /// Checks on an event against the state after it, and the running counts.
    fn after(
        &mut self,
        at: Minute,
        ev: &Event,
        before: Option<(Stage, u8, u64)>,
        here: &dyn Fn() -> String,
    ) {
        match *ev {
            Event::EnteredCare {
                children,
                weekly_pence,
                route,
                ..
            } => {
                let n = u64::from(children);
                self.looked_after += n;
                self.rate[BudgetLine::Placements as usize] +=
                    u128::from(weekly_pence) * u128::from(n);
                if self.measuring {
                    self.entries += n;
                }
                self.cov.sibling_groups_in_care += u64::from(children > 1);
                match route {
                    CareRoute::Emergency => self.cov.entries_emergency += n,
                    CareRoute::Voluntary => self.cov.entries_voluntary += n,
                    CareRoute::Unaccompanied => self.cov.entries_unaccompanied += n,
                    CareRoute::Proceedings => self.cov.entries_proceedings += n,
                }
            }
            Event::PlacementMoved { weekly_pence, .. } => {
                let (_, n, weekly) = before.unwrap_or((Stage::Between, 0, 0));
                let rate = &mut self.rate[BudgetLine::Placements as usize];
                *rate = *rate - u128::from(weekly) * u128::from(n)
                    + u128::from(weekly_pence) * u128::from(n);
                self.cov.placement_moves += 1;
            }
            Event::PlacedOutOfArea { .. } => self.cov.placed_out_of_area += 1,
            // Care leavers' support is paid on the placements line while it lasts.
            Event::LeavingCareSupportStarted { weekly_pence, .. } => {
                self.rate[BudgetLine::Placements as usize] += u128::from(weekly_pence);
                self.leaving_care_weekly += u64::from(weekly_pence);
                self.cov.care_leavers_supported += 1;
            }
            Event::LeavingCareSupportEnded { weekly_pence, .. } => {
                self.leaving_care_weekly = self
                    .leaving_care_weekly
                    .saturating_sub(u64::from(weekly_pence));
                let rate = &mut self.rate[BudgetLine::Placements as usize];
                match rate.checked_sub(u128::from(weekly_pence)) {
                    Some(r) => *rate = r,
                    None => self.fail(format!(
                        "{}: a care leaver's support ends for more than the placements line pays",
                        here()
                    )),
                }
            }
            Event::SiblingLeftCare { .. } => {
                let (_, _, weekly) = before.unwrap_or((Stage::Between, 0, 0));
                self.looked_after = self.looked_after.saturating_sub(1);
                self.rate[BudgetLine::Placements as usize] -= u128::from(weekly);
                if self.measuring {
                    self.exits += 1;
                }
                self.cov.siblings_left_at_18 += 1;
            }
            Event::LeftCare { exit, .. } => {
                let (_, n, weekly) = before.unwrap_or((Stage::Between, 0, 0));
                let n = u64::from(n);
                self.looked_after = self.looked_after.saturating_sub(n);
                self.rate[BudgetLine::Placements as usize] -= u128::from(weekly) * u128::from(n);
                if self.measuring {
                    self.exits += n;
                }
                if exit == CareExit::Aged18 {
                    self.cov.left_care_at_18 += 1;
                }
            }
            Event::FamilyOpened {
                family,
                stage,
                placement,
                ..
            } => {
                let f = self.state.family(family).cloned();
                if let Some(f) = f {
                    match stage {
                        OpenStage::LookedAfter => {
                            let n = u64::from(f.in_care);
                            self.looked_after += n;
                            self.looked_after_base += n;
                            let pence = placement.map_or(0, |(_, p)| p);
                            self.rate[BudgetLine::Placements as usize] +=
                                u128::from(pence) * u128::from(n);
                        }
                        OpenStage::OnPlan => {
                            let n = u64::from(f.children_under_18(family, at));
                            self.on_plan += n;
                            self.on_plan_base += n;
                        }
                        _ => {}
                    }
                }
            }
            Event::PolicyApplied { change } => {
                let expected = self.versions.get(usize::from(change)).map(|v| v.2);
                if expected.as_ref() != Some(self.state.terms()) {
                    self.fail(format!(
                        "{}: the state's staff terms are not version {change}'s",
                        here()
                    ));
                }
            }
            Event::PlanStarted { family } => {
                let n = self
                    .state
                    .family(family)
                    .map_or(0, |f| u64::from(f.children_under_18(family, at)));
                self.on_plan += n;
                if self.measuring {
                    self.plans_started += n;
                }
            }
            _ => {}
        }
        // A family in care has from 1 to its children under 18 in care
        // (a brother or sister turning 18 this very minute may be pending).
        if let Some(id) = ev.family() {
            let mut problem = None;
            if let Some(f) = self.state.family(id) {
                let in_care = f.stage == Stage::InCare;
                let limit = f.children_under_18(id, at.saturating_sub(1));
                if in_care && (f.in_care == 0 || f.in_care > limit) {
                    problem = Some(format!(
                        "{}: {} children in care, {limit} under 18",
                        here(),
                        f.in_care
                    ));
                }
                if !in_care && (f.in_care != 0 || f.weekly_pence() != 0 || f.placement.is_some()) {
                    problem = Some(format!(
                        "{}: a family out of care ({:?}) keeps {} children in care at {} pence",
                        here(),
                        f.stage,
                        f.in_care,
                        f.weekly_pence()
                    ));
                }
            }
            if let Some(p) = problem {
                self.fail(p);
            }
        }
        // Staff: agency workers cover only vacancies under recruitment.
        if ev.family().is_none() {
            for pool in Pool::ALL {
                let s = self.state.staff[pool].clone();
                let posts = self.state.terms()[pool].posts;
                if s.agency > s.recruiting || s.agency > posts.saturating_sub(s.permanent) {
                    self.fail(format!(
                        "{}: {} agency workers in the {} pool with {} posts, {} permanent, {} recruiting",
                        here(),
                        s.agency,
                        pool.label(),
                        posts,
                        s.permanent,
                        s.recruiting
                    ));
                }
                if s.permanent > 10_000_000 || s.agency > 10_000_000 || s.apprentices > 10_000_000 {
                    self.fail(format!("{}: absurd staff numbers {s:?}", here()));
                }
            }
            // The staff cost rates follow the staff in post.
            let terms = *self.state.terms();
            let mut staff = familyflow::model::per::PerLine::<u128>::default();
            for pool in Pool::ALL {
                let s = &self.state.staff[pool];
                staff[pool.line()] += u128::from(s.permanent)
                    * u128::from(terms[pool].permanent_pence)
                    + u128::from(s.agency) * u128::from(terms[pool].agency_pence);
                staff[BudgetLine::Workforce] +=
                    u128::from(s.apprentices) * u128::from(terms[pool].apprentice_pence);
            }
            for line in [
                BudgetLine::FamilyHelp,
                BudgetLine::Fgdm,
                BudgetLine::Workforce,
            ] {
                self.rate[line as usize] = staff[line];
            }
        }
    }

    /// Every family, with every event before `t` folded (none at `t` yet).
    fn scan(&mut self, t: Minute, context: &str) {
        let mut stages = [0u64; Stage::COUNT];
        let (mut in_care, mut placement_rate, mut on_plan, mut leads) = (0u64, 0u128, 0u64, 0u32);
        let next = self.state.next_family_id().0;
        let mut problems = Vec::new();
        for id in 0..next {
            let id = FamilyId(id);
            let Some(f) = self.state.family(id) else {
                continue;
            };
            stages[f.stage as usize] += 1;
            leads += u32::from(f.lead);
            let adult = f.turns_18_at(id);
            if matches!(
                f.stage,
                Stage::OnPlan | Stage::InCare | Stage::InProceedings | Stage::PreProceedings
            ) && t > adult
            {
                problems.push(format!(
                    "family {id} is {:?} at minute {t}, past its youngest's 18th birthday (minute {adult})",
                    f.stage
                ));
            }
            if f.stage == Stage::InCare {
                let limit = f.children_under_18(id, t.saturating_sub(1));
                if f.in_care == 0 || f.in_care > limit {
                    problems.push(format!(
                        "family {id} has {} children in care, {limit} under 18",
                        f.in_care
                    ));
                }
                in_care += u64::from(f.in_care);
                placement_rate += u128::from(f.weekly_pence()) * u128::from(f.in_care);
            }
            if f.stage == Stage::OnPlan {
                on_plan += u64::from(f.children_under_18(id, f.stage_since()));
            }
        }
        let s = &self.state;
        for (k, &n) in stages.iter().enumerate() {
            if n != s.stage_counts()[k] {
                problems.push(format!(
                    "stage {k}: {n} families, counted {}",
                    s.stage_counts()[k]
                ));
            }
        }
        if stages[Stage::InHelp as usize] != u64::from(s.family_help.active) {
            problems.push(format!(
                "{} families in help, the team holds {}",
                stages[Stage::InHelp as usize],
                s.family_help.active
            ));
        }
        if stages[Stage::WaitingForHelp as usize] != u64::from(s.family_help.waiting_count()) {
            problems.push(format!(
                "{} families waiting, the list holds {}",
                stages[Stage::WaitingForHelp as usize],
                s.family_help.waiting_count()
            ));
        }
        if leads != s.leads.active {
            problems.push(format!(
                "{leads} families have a lead practitioner, the pool holds {}",
                s.leads.active
            ));
        }
        let known: u64 = stages.iter().sum();
        if known + self.closed_for_good != u64::from(next) {
            problems.push(format!(
                "{known} families known and {} closed for good, {next} referred",
                self.closed_for_good
            ));
        }
        if in_care != self.looked_after || in_care != self.metrics.in_care().iter().sum::<u64>() {
            problems.push(format!(
                "{in_care} children in care in the families, {} from the events, {} in the metrics",
                self.looked_after,
                self.metrics.in_care().iter().sum::<u64>()
            ));
        }
        if let Some(places) = &s.places {
            let placed: u64 = places
                .in_area
                .iter()
                .chain(places.out_of_area.iter())
                .map(|&n| u64::from(n))
                .sum();
            if placed != in_care {
                problems.push(format!(
                    "{placed} children in places in the area and out of it, {in_care} in care"
                ));
            }
        }
        // Care leavers' support is on the placements line beside the families'.
        let placement_rate = placement_rate + u128::from(self.leaving_care_weekly);
        if placement_rate != self.rate[BudgetLine::Placements as usize] {
            problems.push(format!(
                "placements cost {placement_rate} pence a week in the families and care leavers' support, {} from the events",
                self.rate[BudgetLine::Placements as usize]
            ));
        }
        if on_plan != self.on_plan || on_plan != self.metrics.on_plan() {
            problems.push(format!(
                "{on_plan} children on a plan in the families, {} from the events, {} in the metrics",
                self.on_plan,
                self.metrics.on_plan()
            ));
        }
        for p in problems {
            self.fail(format!("scan before {context}: {p}"));
        }
    }
}

/// The weekly costs a placement may have under `version`: its type's, and
/// with `[placements]` its type's out of the area.
fn placement_costs(version: &Scenario, placement: Placement) -> Vec<u64> {
    let cost = version.care.weekly_cost_pounds.pence()[placement as usize];
    let mut costs = vec![cost];
    if let Some(p) = &version.placements {
        costs.push((cost as f64 * p.out_of_area_cost_factor.get()).round() as u64);
    }
    // Kinship carers' support is paid on top of a kinship placement.
    if let (Some(k), Placement::Kinship) = (&version.care.kinship_support, placement) {
        let extra = (k.weekly_pounds_per_child.get() * 100.0).round() as u64;
        costs = costs.into_iter().map(|c| c + extra).collect();
    }
    costs
}

/// Every number in a JSON value: finite, 0 or more, below the bound.
fn check_numbers(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Number(n) => {
            if path.ends_with(".seed") {
                return;
            }
            let x = n.as_f64().unwrap_or(f64::NAN);
            // Money may be large in a valid scenario: a wrap of it shows in
            // the exact cross-checks instead (sums in u128).
            let bound = if path.contains("pence") {
                f64::INFINITY
            } else {
                1e12
            };
            if !x.is_finite() || x < 0.0 || x >= bound {
                out.push(format!("summary {path} = {n}: negative or absurd"));
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_numbers(x, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                check_numbers(x, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// What one case found.
struct Outcome {
    events: u64,
    seconds: f64,
    violations: Vec<String>,
    violation_count: u64,
    cov: Coverage,
}

/// Runs case `case` twice, replays it, and checks everything.
fn run_case(case: &Case, input: &ScenarioInput) -> Result<Outcome, String> {
    let started = Instant::now();
    let scenario = &input.scenario;
    let seed = case.seed;

    // Money in the scenario fits the ledger's u64 pence (a pound figure
    // past 2^64 pence would be cut to u64::MAX without a word).
    let mut violations = Vec::new();
    for (i, (_, version)) in scenario
        .timeline()
        .map_err(|e| format!("timeline: {e:?}"))?
        .iter()
        .enumerate()
    {
        let mut pounds: Vec<(String, f64)> = Vec::new();
        for (line, b) in LINE_KEYS.iter().zip(version.budget.lines()) {
            pounds.push((format!("budget.{line}"), b.pounds_per_year.get()));
        }
        let w = &version.care.weekly_cost_pounds;
        for (k, c) in [
            ("kinship", w.kinship),
            ("in_house_foster", w.in_house_foster),
            ("agency_foster", w.agency_foster),
            ("residential", w.residential),
        ] {
            pounds.push((format!("care.weekly_cost_pounds.{k}"), c.get()));
        }
        for (k, p) in POOL_KEYS.iter().zip(version.workforce.pools()) {
            let salary = p.salary_pounds_per_year.get();
            pounds.push((
                format!("workforce.{k} agency cost"),
                salary * (1.0 + p.agency_premium.get()),
            ));
            pounds.push((
                format!("workforce.{k}.apprentice_salary_pounds_per_year"),
                p.apprentice_salary_pounds_per_year.get(),
            ));
        }
        for (what, x) in pounds {
            if x * 100.0 >= u64::MAX as f64 {
                violations.push(format!(
                    "money: version {i} of the timeline has {what} = {x} pounds, more pence than a u64 holds (the ledger saturates it)"
                ));
            }
        }
    }

    // The run.
    let model = Model::new(scenario.clone(), seed);
    let mut events: Vec<Timed> = Vec::new();
    let (state, metrics) =
        simulate(&model, &mut events).map_err(|e| format!("the run failed: {e}"))?;
    let summary = Summary::new(scenario, &input.source, seed, &metrics, &state).to_json();

    // The same scenario and seed again: the same events.
    let mut same = SameAs {
        expected: &events,
        next: 0,
        difference: None,
    };
    let (state2, metrics2) = simulate(&Model::new(scenario.clone(), seed), &mut same)
        .map_err(|e| format!("the second run failed: {e}"))?;
    if let Some(d) = same.difference.take() {
        violations.push(format!("determinism: {d}"));
    } else if same.next != events.len() {
        violations.push(format!(
            "determinism: the second run has {} events, the first {}",
            same.next,
            events.len()
        ));
    }
    let summary2 = Summary::new(scenario, &input.source, seed, &metrics2, &state2).to_json();
    if summary2 != summary || state2.hash() != state.hash() {
        violations.push("determinism: the second run's summary or state hash differs".into());
    }

    // The replay, checked event by event.
    let calendar = scenario.calendar();
    let versions = versions(scenario, &calendar);
    let mut c = Checker::new(scenario, &calendar, &versions, seed);
    for (i, t) in events.iter().enumerate() {
        if let Err(e) = c.event(i, t) {
            c.fail(e);
            break;
        }
    }
    let horizon = c.horizon;
    c.scan(horizon, "the end of the run");
    c.metrics.finish(horizon, &c.state);
    let replayed = Summary::new(scenario, &input.source, seed, &c.metrics, &c.state);
    let replayed_json = replayed.to_json();
    if c.state.hash() != state.hash() {
        c.fail(format!(
            "projection: the replay's state hash {:016x} is not the run's {:016x}",
            c.state.hash(),
            state.hash()
        ));
    }
    if replayed_json != summary {
        let line = replayed_json
            .lines()
            .zip(summary.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        c.fail(format!(
            "projection: the replay's summary JSON differs from the run's (line {line})"
        ));
    }

    // Stocks add up.
    let m = &c.metrics;
    let entries = m.total(|p| p.care_entries_total());
    let exits = m.total(|p| p.care_exits);
    let looked_after_end: u64 = m.in_care().iter().sum();
    let mut stock = Vec::new();
    if entries != c.entries || exits != c.exits {
        stock.push(format!(
            "care: the metrics count {entries} entries and {exits} exits, the events {} and {}",
            c.entries, c.exits
        ));
    }
    if c.looked_after_base + entries != looked_after_end + exits {
        stock.push(format!(
            "care: {} looked after at the start + {entries} entries - {exits} exits != {looked_after_end} at the end",
            c.looked_after_base
        ));
    }
    if replayed.at_end.children_looked_after != looked_after_end
        || looked_after_end != c.looked_after
    {
        stock.push(format!(
            "care: the summary has {} children looked after at the end, the metrics {looked_after_end}, the events {}",
            replayed.at_end.children_looked_after, c.looked_after
        ));
    }
    let (plans_started, plans_ended) = (m.total(|p| p.plans_started), m.total(|p| p.plans_ended));
    if plans_started != c.plans_started || plans_ended != c.plans_ended {
        stock.push(format!(
            "plans: the metrics count {plans_started} started and {plans_ended} ended, the events {} and {}",
            c.plans_started, c.plans_ended
        ));
    }
    if c.on_plan_base + plans_started != m.on_plan() + plans_ended {
        stock.push(format!(
            "plans: {} on a plan at the start + {plans_started} started - {plans_ended} ended != {} at the end",
            c.on_plan_base,
            m.on_plan()
        ));
    }
    if replayed.at_end.children_on_plan != m.on_plan()
        || replayed.at_end.on_plan != u64::from(c.state.in_stage(Stage::OnPlan))
        || replayed.at_end.in_care != u64::from(c.state.in_stage(Stage::InCare))
    {
        stock.push("the summary's families at the end are not the state's".into());
    }
    // Money: what the summary says was spent is what the events settled and paid.
    for (i, line) in BudgetLine::ALL.iter().enumerate() {
        let b = &replayed.budget[i];
        if u128::from(b.spent_pence) != c.spent_measured[i] {
            stock.push(format!(
                "budget {}: the summary spent {} pence, the events {}",
                line.key(),
                b.spent_pence,
                c.spent_measured[i]
            ));
        }
        if b.by_year
            .iter()
            .map(|y| u128::from(y.spent_pence))
            .sum::<u128>()
            != u128::from(b.spent_pence)
        {
            stock.push(format!(
                "budget {}: its years do not add up to its total",
                line.key()
            ));
        }
    }
    for s in stock {
        c.fail(format!("stocks: {s}"));
    }
    let mut absurd = Vec::new();
    let json: serde_json::Value =
        serde_json::from_str(&replayed_json).map_err(|e| format!("summary JSON: {e}"))?;
    check_numbers(&json, "", &mut absurd);
    for a in absurd {
        c.fail(a);
    }

    let mut cov = c.cov.clone();
    cov.cases = 1;
    cov.events = events.len() as u64;
    cov.with_policy = u64::from(!scenario.policy.is_empty());
    cov.with_burn_in = u64::from(scenario.burn_in_years > 0);
    cov.with_starting_caseload = u64::from(scenario.starting_caseload.is_some());
    let violation_count = c.violation_count + violations.len() as u64;
    violations.extend(c.violations);
    Ok(Outcome {
        events: events.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
        violations,
        violation_count,
        cov,
    })
}

/// Writes a failing case's scenario where a developer can run it.
fn save(case: &Case) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("swarm");
    let path = dir.join(format!("case-{}.toml", case.number));
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &case.text)) {
        Ok(()) => format!(
            "  replay: SWARM_CASE={} cargo test --release --test swarm -- --nocapture\n  or: familyflow run {} --seed {}\n",
            case.number,
            path.display(),
            case.seed
        ),
        Err(e) => format!(
            "  replay: SWARM_CASE={} cargo test --release --test swarm -- --nocapture\n  (could not write the scenario: {e})\n",
            case.number
        ),
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// What one case gave: a line if it passed, else its violations and how
/// to replay it.
struct Report {
    number: usize,
    passed: Option<String>,
    header: String,
    parameters: String,
    violations: Vec<String>,
    violation_count: u64,
    replay: String,
    cov: Option<Coverage>,
}

fn check_case(number: usize) -> Report {
    let mut r = Report {
        number,
        passed: None,
        header: format!("case {number}"),
        parameters: String::new(),
        violations: Vec::new(),
        violation_count: 0,
        replay: format!(
            "  replay: SWARM_CASE={number} cargo test --release --test swarm -- --nocapture\n"
        ),
        cov: None,
    };
    let (case, input) = match draw(number) {
        Ok(d) => d,
        Err(e) => {
            r.violations.push(e);
            r.violation_count = 1;
            return r;
        }
    };
    r.header = case.header();
    r.parameters = case.parameters();
    match run_case(&case, &input) {
        Err(e) => {
            r.violations.push(e);
            r.violation_count = 1;
        }
        Ok(o) if o.violations.is_empty() => {
            let policies = input.scenario.policy.len();
            r.passed = Some(format!(
                "ok case {number:3}: seed {:20}, {:6} children, {}y + {}y burn-in, {policies} polic{}, {:8} events, {:5.2} s",
                case.seed,
                case.children,
                case.years,
                case.burn_in,
                if policies == 1 { "y" } else { "ies" },
                o.events,
                o.seconds
            ));
            r.cov = Some(o.cov);
        }
        Ok(o) => {
            r.violation_count = o.violation_count.max(o.violations.len() as u64);
            r.violations = o.violations;
            r.cov = Some(o.cov);
        }
    }
    if r.passed.is_none() {
        r.replay = save(&case);
    }
    r
}

/// A violation's kind: its text without event numbers, minutes, dates,
/// families and amounts.
fn kind(v: &str) -> String {
    // "event I at minute M (DATE): NAME fields: what" (event fields hold no ": ").
    let (prefix, v) = match v.split_once("): ") {
        Some((before, rest)) => {
            let name = rest.split_whitespace().next().unwrap_or("");
            let what = rest.split_once(": ").map_or(rest, |(_, w)| w);
            if before.starts_with("scan") {
                ("scan: ".to_string(), what)
            } else {
                (format!("{name}: "), what)
            }
        }
        None => (String::new(), v),
    };
    let mut out = prefix;
    let mut in_number = false;
    for ch in v.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Failing cases shown with every parameter (the rest: replay them).
const SHOWN_IN_FULL: usize = 4;

#[test]
fn swarm_of_random_scenarios_keeps_every_invariant() {
    let cases: Vec<usize> = match env_usize("SWARM_CASE") {
        Some(n) => vec![n],
        None => (0..env_usize("SWARM_CASES").unwrap_or(CASES)).collect(),
    };
    let threads = env_usize("SWARM_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 8);
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let reports: Mutex<Vec<Report>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&number) = cases.get(k) else {
                    break;
                };
                let report = catch_unwind(AssertUnwindSafe(|| check_case(number)))
                    .unwrap_or_else(|panic| {
                        let why = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        let mut r = Report {
                            number,
                            passed: None,
                            header: format!("case {number}"),
                            parameters: String::new(),
                            violations: vec![format!("panicked: {why}")],
                            violation_count: 1,
                            replay: format!(
                                "  replay: SWARM_CASE={number} cargo test --release --test swarm -- --nocapture\n"
                            ),
                            cov: None,
                        };
                        if let Ok((case, _)) = draw(number) {
                            r.header = case.header();
                            r.parameters = case.parameters();
                            r.replay = save(&case);
                        }
                        r
                    });
                match &report.passed {
                    Some(line) => println!("{line}"),
                    None => println!("FAILED {}", report.header),
                }
                reports.lock().unwrap().push(report);
            });
        }
    });
    let mut reports = reports.into_inner().unwrap();
    reports.sort_by_key(|r| r.number);
    let mut total = Coverage::default();
    for r in &reports {
        if let Some(c) = &r.cov {
            total.add(c);
        }
    }
    println!(
        "swarm: {} cases, {} events, {:.1} s on {threads} thread(s)\ncoverage: {total:#?}",
        reports.len(),
        total.events,
        started.elapsed().as_secs_f64()
    );
    let failed: Vec<&Report> = reports.iter().filter(|r| r.passed.is_none()).collect();
    if !failed.is_empty() {
        // Violations by kind: how many, in how many cases, the first one.
        let mut kinds: Vec<(String, u64, Vec<usize>, String)> = Vec::new();
        for r in &failed {
            for v in &r.violations {
                let k = kind(v);
                match kinds.iter_mut().find(|e| e.0 == k) {
                    Some(e) => {
                        e.1 += 1;
                        if !e.2.contains(&r.number) {
                            e.2.push(r.number);
                        }
                    }
                    None => kinds.push((k, 1, vec![r.number], format!("case {}: {v}", r.number))),
                }
            }
        }
        let mut msg = format!(
            "\n{} of {} cases broke invariants.\n\nViolations by kind (shown violations, cases, first example):\n",
            failed.len(),
            reports.len()
        );
        for (k, n, in_cases, example) in &kinds {
            let _ = writeln!(
                msg,
                "  * {k}\n    {n} in {} case(s) {:?}\n    e.g. {example}",
                in_cases.len(),
                in_cases
            );
        }
        msg.push_str("\nFailing cases:\n");
        for (i, r) in failed.iter().enumerate() {
            let _ = writeln!(
                msg,
                "\nFAILED {}\n  {} violation(s), the first {}:",
                r.header,
                r.violation_count,
                r.violations.len()
            );
            for v in &r.violations {
                let _ = writeln!(msg, "    - {v}");
            }
            msg.push_str(&r.replay);
            if i < SHOWN_IN_FULL {
                msg.push_str(&r.parameters);
            } else if i == SHOWN_IN_FULL {
                msg.push_str(
                    "  (parameters: shown for the first failing cases; the replay prints them)\n",
                );
            }
        }
        panic!("{msg}");
    }
    if cases.len() >= CASES {
        // The swarm reached the mechanisms it is meant to test.
        for (what, n) in [
            ("policy changes applied", total.policy_applied),
            ("runs with a burn-in", total.with_burn_in),
            (
                "runs with a starting caseload",
                total.with_starting_caseload,
            ),
            ("family help over its cap", total.family_help_over_cap),
            ("lead practitioners assigned", total.leads_assigned),
            ("FGDM unavailable", total.fgdm_unavailable),
            ("packages paid by a rationed line", total.fnsp_paid_rationed),
            ("packages refused", total.fnsp_refused),
            (
                "rationed staff lines exhausted",
                total.staff_budget_exhausted_rationed,
            ),
            ("recruitment on a rationed line", total.recruitment_rationed),
            ("sibling groups in care", total.sibling_groups_in_care),
            ("siblings leaving care at 18", total.siblings_left_at_18),
            ("placement moves", total.placement_moves),
            ("placements out of the area", total.placed_out_of_area),
            ("care leavers supported", total.care_leavers_supported),
            ("leaving care at 18", total.left_care_at_18),
            ("cases closed at 18", total.closed_as_adult),
            ("emergency entries", total.entries_emergency),
            ("section 20 entries", total.entries_voluntary),
            ("unaccompanied entries", total.entries_unaccompanied),
            ("entries in proceedings", total.entries_proceedings),
            ("escalations", total.escalated),
            ("disengagements", total.disengaged),
            ("staff leaving", total.staff_left),
            ("apprentices", total.apprentices_started),
        ] {
            assert!(n > 0, "the swarm never reached: {what}");
        }
    }
}

/// Found by the swarm's checks (agency workers in a pool the state thought
/// had no posts, at minute 0): on the first day the run's `Start` comes
/// before a policy change dated that day, so staff take up the new
/// version's posts while the state still counts capacity under the old
/// one. Made concrete: a starting caseload in family help that fits the
/// team before and after the change (both versions validate it) does not
/// fit the mixture, and the run stops with `Inconsistent`.
#[test]
fn a_policy_dated_on_the_first_day_is_in_force_when_the_starting_caseload_opens() {
    let mut table: Table = toml::from_str(DEFAULT_SCENARIO).expect("TOML");
    table.insert("burn_in_years".into(), Value::Integer(0));
    table.insert("years".into(), Value::Integer(1));
    let mut fh = table["family_help"].as_table().expect("a table").clone();
    fh.insert("fte".into(), Value::Float(10.0));
    fh.insert("caseload_cap".into(), Value::Integer(10));
    table.insert("family_help".into(), Value::Table(fh));
    let mut caseload = Table::new();
    for (k, n) in [
        ("waiting_for_help", 0),
        ("in_family_help", 100),
        ("in_enquiry", 0),
        ("awaiting_conference", 0),
        ("on_plan", 0),
        ("looked_after", 0),
    ] {
        caseload.insert(k.into(), Value::Integer(n));
    }
    table.insert("starting_caseload".into(), Value::Table(caseload));
    // Room for 100 families before (10 x 10) and after (2 x 50) the change.
    let text = format!(
        "{}\n[[policy]]\ndate = 2024-04-01\nfamily_help.fte = 2\nfamily_help.caseload_cap = 50\n",
        toml::to_string(&table).expect("TOML")
    );
    let input =
        ScenarioInput::from_text(&text, "first-day policy").expect("the scenario validates");
    let ran = familyflow::analysis::run::run::<std::io::Sink>(&input, 1, None);
    assert!(
        ran.is_ok(),
        "a validated scenario does not run: {}",
        ran.err().map(|e| e.to_string()).unwrap_or_default()
    );
}
