//! The model's routes behave as a modeller expects: every family is in one
//! place, caseloads respect caps, child protection follows its sequence and
//! timescales, and levers move outcomes the expected way (common random numbers).

mod common;

use familyflow::model::event::{CareExit, ClosureReason, Event, Placement, Timed};
use familyflow::model::input::ScenarioInput;
use familyflow::model::projection::{fold, Metrics};
use familyflow::model::scenario::{NonNegative, Probability};
use familyflow::model::simulate;
use familyflow::model::state::{Stage, State};
use familyflow::model::Model;
use std::collections::BTreeMap;

fn events_of(input: &ScenarioInput, seed: u64) -> (Vec<Timed>, Metrics) {
    let model = Model::new(input.scenario.clone(), seed);
    let mut events = Vec::new();
    let (_, metrics) = simulate(&model, &mut events).expect("runs");
    (events, metrics)
}

#[test]
fn every_family_is_in_exactly_one_place_and_caseloads_respect_caps() {
    let mut input = ScenarioInput::builtin();
    // A team sized so that staff leaving can leave it over its cap.
    input.scenario.family_help.fte = NonNegative(75.0);
    let (events, _) = events_of(&input, 3);
    let mut state = State::new(&input.scenario);
    let mut metrics = Metrics::new(&input.scenario.calendar(), 3);
    let mut closed_for_good = 0u64;
    let mut over_cap = 0u64;
    for (i, t) in events.iter().enumerate() {
        let active_before = state.family_help.active;
        fold(&mut state, &mut metrics, t.at, &t.event).expect("consistent");
        if let Event::CaseClosed {
            rereferral_due: None,
            ..
        } = t.event
        {
            closed_for_good += 1;
        }
        // The cap governs allocation: a team over its cap (staff left and
        // their cases stayed with colleagues) takes nobody new until its
        // caseload is back under it.
        let team = &state.family_help;
        if team.active > team.capacity {
            over_cap += 1;
            assert!(
                team.active <= active_before,
                "event {i}: a family started help over the cap"
            );
        }
        if i % 97 == 0 || i + 1 == events.len() {
            let stages = state.stage_counts();
            for (s, &n) in stages.iter().enumerate() {
                let stage = [
                    Stage::AwaitingTriage,
                    Stage::WaitingForHelp,
                    Stage::InHelp,
                    Stage::Between,
                    Stage::Closed,
                    Stage::InEnquiry,
                    Stage::AwaitingConference,
                    Stage::OnPlan,
                    Stage::InCare,
                    Stage::PreProceedings,
                    Stage::InProceedings,
                ][s];
                assert_eq!(u64::from(state.in_stage(stage)), n, "event {i}: {stage:?}");
            }
            let known: u64 = stages.iter().sum();
            assert_eq!(
                known + closed_for_good,
                u64::from(state.next_family_id().0),
                "event {i}: families referred are not all accounted for"
            );
            assert_eq!(stages[Stage::InHelp as usize], u64::from(team.active));
            assert_eq!(
                stages[Stage::WaitingForHelp as usize],
                u64::from(team.waiting_count())
            );
            // "Between" exists only inside one decision.
            let next_at = events.get(i + 1).map(|n| n.at);
            if next_at != Some(t.at) {
                assert_eq!(stages[Stage::Between as usize], 0, "event {i}");
            }
        }
    }
    assert!(
        over_cap > 0,
        "staff left a full team at some point, so the rule was tested"
    );
}

#[test]
fn child_protection_follows_its_sequence_and_review_timescales() {
    let input = common::builtin_cold();
    let (events, metrics) = events_of(&input, 1);
    let mut by_family: BTreeMap<u32, Vec<&Timed>> = BTreeMap::new();
    for t in &events {
        if let Some(family) = t.event.family() {
            by_family.entry(family.0).or_default().push(t);
        }
    }
    let month = 365.25 / 12.0 * 1440.0;
    let mut plans_checked = 0;
    for history in by_family.values() {
        let mut plan_start = None;
        let mut reviews = 0u32;
        for (k, t) in history.iter().enumerate() {
            match t.event {
                Event::S47Completed { .. } => {
                    assert!(history[..k]
                        .iter()
                        .rev()
                        .find(|p| matches!(
                            p.event,
                            Event::S47Started { .. } | Event::S47Completed { .. }
                        ))
                        .is_some_and(|p| matches!(p.event, Event::S47Started { .. })));
                }
                Event::PlanStarted { .. } => {
                    assert!(matches!(
                        history[k - 1].event,
                        Event::ConferenceHeld { plan: true, .. }
                    ));
                    plan_start = Some(t.at);
                    reviews = 0;
                }
                Event::PlanReviewed { .. } => {
                    let start = plan_start.expect("a review belongs to a plan");
                    let due = (3.0 + 6.0 * f64::from(reviews)) * month;
                    assert!(
                        ((t.at - start) as f64 - due).abs() < 2.0,
                        "review {reviews} off its timescale"
                    );
                    reviews += 1;
                }
                Event::PlanEnded { .. } => {
                    let start = plan_start.take().expect("an ending belongs to a plan");
                    assert!((t.at - start) as f64 <= 36.0 * month + 1.0);
                    plans_checked += 1;
                }
                _ => {}
            }
        }
    }
    assert!(plans_checked > 100, "only {plans_checked} plans ended");
    // Conferences are counted against the 15-working-day target.
    let conferences: u64 = metrics.total(|y| y.conferences);
    let timely: u64 = metrics.total(|y| y.conferences_within_15_working_days);
    assert!(conferences > 0 && timely > 0 && timely < conferences);
}

#[test]
fn fewer_family_help_staff_means_longer_waits() {
    let base = ScenarioInput::builtin();
    let mut fewer = base.clone();
    fewer.scenario.family_help.fte = NonNegative(base.scenario.family_help.fte.get() * 0.7);
    let (_, a) = events_of(&base, 2);
    let (_, b) = events_of(&fewer, 2);
    assert!(
        b.wait_minutes > a.wait_minutes * 2,
        "waits {} vs {} minutes",
        b.wait_minutes,
        a.wait_minutes
    );
}

#[test]
fn more_step_down_from_plans_means_fewer_care_proceedings() {
    let base = common::builtin_cold();
    let mut more = base.clone();
    more.scenario.child_protection.step_down_probability = Probability(0.97);
    let (_, a) = events_of(&base, 2);
    let (_, b) = events_of(&more, 2);
    let to_care = |m: &Metrics| m.plans_to_proceedings;
    assert!(to_care(&a) > 0);
    assert!(
        to_care(&b) * 2 < to_care(&a),
        "{} vs {}",
        to_care(&b),
        to_care(&a)
    );
}

#[test]
fn the_monthly_series_adds_up_to_the_financial_years() {
    let input = common::builtin_cold();
    let finished = familyflow::analysis::run::run::<std::io::Sink>(&input, 1, None).unwrap();
    let s = &finished.summary;
    assert_eq!(s.by_month.len(), 36, "three years from April");
    assert_eq!(s.by_month[0].period, "2024-04");
    assert_eq!(s.by_financial_year.len(), 3);
    for (i, year) in s.by_financial_year.iter().enumerate() {
        let months = &s.by_month[i * 12..(i + 1) * 12];
        assert_eq!(
            year.referrals,
            months.iter().map(|m| m.referrals).sum::<u64>()
        );
        assert_eq!(
            year.plans_started,
            months.iter().map(|m| m.plans_started).sum::<u64>()
        );
        assert_eq!(year.on_plan_at_end, months[11].on_plan_at_end);
        assert!(year.on_plan_at_end.is_some());
    }
    assert_eq!(
        s.by_month.last().unwrap().on_plan_at_end,
        Some(s.at_end.children_on_plan),
        "the last month ends with the run"
    );
    let csv = s.monthly_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 37);
    assert!(lines[0].starts_with("month,referrals,"));
    assert!(lines[1].starts_with("2024-04,"));
    assert_eq!(
        lines[1].split(',').count(),
        familyflow::analysis::summary::monthly_columns().len()
    );
}

#[test]
fn care_entries_exits_and_stock_add_up() {
    let input = common::builtin_cold();
    let finished = familyflow::analysis::run::run::<std::io::Sink>(&input, 3, None).unwrap();
    let (events, _) = events_of(&input, 3);
    let s = &finished.summary;
    let entries: u64 = s.care.entries.iter().map(|c| c.count).sum();
    let exits: u64 = s.care.exits.iter().map(|c| c.count).sum();
    let stock: u64 = s.care.looked_after_at_end.iter().map(|c| c.count).sum();
    assert!(entries > 100, "{entries} entries");
    assert_eq!(
        entries,
        exits + stock,
        "every child who came into care left or is still there"
    );
    assert_eq!(stock, s.at_end.children_looked_after);
    assert!(
        stock > s.at_end.in_care,
        "sibling groups: more children than families"
    );
    // Each family's way out closes its case with the matching reason; its
    // children leave with it, but for older ones who turned 18 first.
    let families_left = |exit: CareExit| {
        events
            .iter()
            .filter(|t| matches!(t.event, Event::LeftCare { exit: e, .. } if e == exit))
            .count() as u64
    };
    let siblings_18 = events
        .iter()
        .filter(|t| matches!(t.event, Event::SiblingLeftCare { .. }))
        .count() as u64;
    assert!(siblings_18 > 0);
    for (exit, reason) in [
        (CareExit::Reunified, ClosureReason::Reunified),
        (
            CareExit::SpecialGuardianship,
            ClosureReason::SpecialGuardianship,
        ),
        (CareExit::Adopted, ClosureReason::Adopted),
        (CareExit::Aged18, ClosureReason::Aged18),
    ] {
        assert_eq!(families_left(exit), finished.metrics.closed(reason));
        assert!(finished.metrics.left_care(exit) >= families_left(exit));
    }
    let children_left: u64 = [
        CareExit::Reunified,
        CareExit::SpecialGuardianship,
        CareExit::Adopted,
        CareExit::Aged18,
    ]
    .iter()
    .map(|&e| finished.metrics.left_care(e))
    .sum();
    assert_eq!(children_left, exits);
    // Placement spend is the integral of weekly costs: between the cheapest
    // and dearest placement for the child-weeks in care.
    let costs = input.scenario.care.weekly_cost_pounds.pence();
    let spend = s.care.placement_spend_pence;
    assert!(spend > 0);
    assert!(spend <= costs.iter().max().unwrap() * entries * 3 * 53);
}

#[test]
fn a_larger_kinship_share_means_more_kin_and_fewer_unrelated_placements() {
    let base = common::builtin_cold();
    let mut kin = base.clone();
    kin.scenario.care.placement.kinship = NonNegative(0.6);
    kin.scenario.care.placement_teenagers.kinship = NonNegative(0.3);
    let (_, a) = events_of(&base, 2);
    let (_, b) = events_of(&kin, 2);
    let by = |m: &Metrics, p: Placement| m.total(|y| y.care_entries[p]);
    let unrelated = |m: &Metrics| {
        by(m, Placement::InHouseFoster)
            + by(m, Placement::AgencyFoster)
            + by(m, Placement::Residential)
    };
    // Common random numbers: the same children come into care in both runs.
    assert_eq!(
        a.total(|y| y.care_entries_total()),
        b.total(|y| y.care_entries_total())
    );
    assert!(by(&b, Placement::Kinship) > by(&a, Placement::Kinship) * 3 / 2);
    assert!(unrelated(&b) < unrelated(&a));
}

#[test]
fn fewer_emergency_entries_means_fewer_children_in_care() {
    let base = common::builtin_cold();
    let mut fewer = base.clone();
    fewer.scenario.care.emergency_probability_at_risk = Probability(0.0);
    let (_, a) = events_of(&base, 2);
    let (_, b) = events_of(&fewer, 2);
    let entries = |m: &Metrics| m.total(|y| y.care_entries_total());
    let emergencies = |m: &Metrics| {
        m.total(|y| y.care_entries_by_route[familyflow::model::event::CareRoute::Emergency])
    };
    assert_eq!(emergencies(&b), 0);
    assert!(emergencies(&a) > 0);
    assert!(
        entries(&b) < entries(&a),
        "{} vs {}",
        entries(&b),
        entries(&a)
    );
}

#[test]
fn more_fgdm_and_package_budget_mean_more_kin_and_fewer_unrelated_placements() {
    // A settled area (with its burn-in); summed over four seeds.
    let base = ScenarioInput::builtin();
    let mut pilot = base.clone();
    let n = &mut pilot.scenario.family_network;
    n.offer_at_plan = Probability(0.9);
    n.offer_before_proceedings = Probability(0.9);
    n.coordinators_fte = NonNegative(20.0);
    pilot.scenario.budget.fnsp.pounds_per_year = NonNegative(200_000.0);
    let by = |m: &Metrics, p: Placement| m.total(|y| y.care_entries[p]);
    let unrelated = |m: &Metrics| {
        by(m, Placement::InHouseFoster)
            + by(m, Placement::AgencyFoster)
            + by(m, Placement::Residential)
    };
    // With kin: placed with them in care, or living with them outside care.
    let kin = |m: &Metrics| by(m, Placement::Kinship) + m.total(|y| y.kinship_arrangements);
    let (mut kin_a, mut kin_b, mut unrelated_a, mut unrelated_b) = (0, 0, 0, 0);
    for seed in 1..=4 {
        let (_, a) = events_of(&base, seed);
        let (_, b) = events_of(&pilot, seed);
        assert!(b.total(|y| y.fgdm_held) > a.total(|y| y.fgdm_held) * 3);
        assert!(b.total(|y| y.fnsp_paid) > 0 && a.total(|y| y.fnsp_paid) == 0);
        kin_a += kin(&a);
        kin_b += kin(&b);
        unrelated_a += unrelated(&a);
        unrelated_b += unrelated(&b);
    }
    assert!(kin_b > kin_a, "kin {kin_b} vs {kin_a}");
    assert!(
        unrelated_b < unrelated_a,
        "unrelated {unrelated_b} vs {unrelated_a}"
    );
}

#[test]
fn packages_stop_when_the_years_budget_is_spent() {
    let mut input = common::builtin_cold();
    let n = &mut input.scenario.family_network;
    n.offer_at_plan = Probability(1.0);
    n.acceptance_probability = Probability(1.0);
    n.fnsp_probability = Probability(1.0);
    n.coordinators_fte = NonNegative(20.0);
    input.scenario.budget.fnsp.pounds_per_year = NonNegative(20_000.0);
    let (events, m) = events_of(&input, 4);
    assert!(m.total(|y| y.fnsp_refused) > 0, "the budget runs out");
    // The ledger never passes the budget within a financial year.
    let state = State::new(&input.scenario);
    let mut spent = std::collections::BTreeMap::<u32, u64>::new();
    for t in &events {
        if let Event::FnspPaid { pence, .. } = t.event {
            *spent.entry(state.financial_year(t.at)).or_default() += pence;
        }
    }
    assert_eq!(spent.len(), 3, "packages are paid again after each 1 April");
    for (year, pence) in spent {
        assert!(pence <= 2_000_000, "year {year}: {pence} pence");
    }
}

#[test]
fn lead_practitioners_cut_unneeded_conferences_and_respect_their_cap() {
    let base = common::builtin_cold();
    let mut led = base.clone();
    led.scenario.lead_practitioners.fte = NonNegative(10.0);
    let (_, a) = events_of(&base, 2);
    let (events, b) = events_of(&led, 2);
    assert_eq!(a.total(|y| y.lead_enquiries), 0);
    assert!(b.total(|y| y.lead_enquiries) > 500);
    // Conferences about families below the significant-harm threshold
    // (the unneeded ones), over four seeds on common random numbers.
    let threshold = (base.scenario.families.significant_harm_threshold.get() * 10_000.0) as u16;
    let unneeded = |events: &[Timed]| {
        let mut risk = BTreeMap::new();
        let mut n = 0;
        for t in events {
            match t.event {
                Event::FamilyReferred { family, attributes }
                | Event::FamilyOpened {
                    family, attributes, ..
                } => {
                    risk.insert(family, attributes.risk);
                }
                Event::RiskChanged { family, risk: r } => {
                    risk.insert(family, r);
                }
                Event::ConferenceHeld { family, .. } => {
                    n += u64::from(risk.get(&family).is_some_and(|&r| r < threshold));
                }
                _ => {}
            }
        }
        n
    };
    let (mut without, mut with) = (unneeded(&events_of(&base, 2).0), unneeded(&events));
    for seed in 3..6 {
        without += unneeded(&events_of(&base, seed).0);
        with += unneeded(&events_of(&led, seed).0);
    }
    assert!(
        with < without,
        "{with} unneeded conferences with leads, {without} without"
    );
    assert!(b.plans_to_proceedings < a.plans_to_proceedings);
    // The pool never holds more than its cap: replay and check after each event.
    let mut state = State::new(&led.scenario);
    let cap = led.scenario.lead_practitioners.capacity();
    let mut full = false;
    for t in &events {
        state.apply(t.at, &t.event).unwrap();
        assert!(state.leads.active <= cap);
        full |= state.leads.active == cap;
    }
    assert!(full, "the pool filled at some point, so the cap was tested");
}

#[test]
fn fgdm_in_family_help_means_more_needs_met() {
    let base = common::builtin_cold();
    let mut early = base.clone();
    let n = &mut early.scenario.family_network;
    n.offer_in_family_help = Probability(0.8);
    n.acceptance_probability = Probability(0.8);
    n.coordinators_fte = NonNegative(200.0);
    let (_, a) = events_of(&base, 4);
    let (_, b) = events_of(&early, 4);
    assert!(b.total(|y| y.fgdm_held) > a.total(|y| y.fgdm_held) * 5);
    let met = |m: &Metrics| m.ended(familyflow::model::event::HelpOutcome::NeedMet);
    assert!(met(&b) > met(&a), "needs met {} vs {}", met(&b), met(&a));
}

#[test]
fn children_at_home_twelve_months_after_referral_are_counted_exactly() {
    let input = common::builtin_cold();
    let (events, m) = events_of(&input, 5);
    // Independently: each referral's 12-month mark, and whether the child
    // was looked after then (entered care before the mark and not left).
    let year = 365 * 1440;
    let horizon = input.scenario.calendar().horizon();
    let mut in_care_spells: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    let mut referrals = Vec::new();
    for t in &events {
        match t.event {
            Event::FamilyReferred { family, .. } | Event::FamilyReReferred { family, .. } => {
                referrals.push((family.0, t.at))
            }
            Event::EnteredCare { family, .. } => in_care_spells
                .entry(family.0)
                .or_default()
                .push((t.at, u64::MAX)),
            Event::LeftCare { family, .. } => {
                in_care_spells
                    .get_mut(&family.0)
                    .unwrap()
                    .last_mut()
                    .unwrap()
                    .1 = t.at
            }
            _ => {}
        }
    }
    let (mut followed, mut home) = (0u64, 0u64);
    for (family, at) in referrals {
        let mark = at + year;
        if mark > horizon {
            continue;
        }
        followed += 1;
        let looked_after = in_care_spells
            .get(&family)
            .is_some_and(|s| s.iter().any(|&(from, to)| from < mark && mark <= to));
        home += u64::from(!looked_after);
    }
    assert!(followed > 3_000);
    assert_eq!(m.total(|y| y.followed_up_12_months), followed);
    assert_eq!(m.total(|y| y.at_home_12_months_later), home);
    assert!(
        home < followed,
        "some children were looked after at their mark"
    );
}

#[test]
fn a_run_can_start_from_todays_caseload() {
    let mut input = common::builtin_cold();
    input.scenario.starting_caseload = Some(familyflow::model::scenario::StartingCaseload {
        waiting_for_help: 50,
        in_family_help: 1_000,
        in_enquiry: 60,
        awaiting_conference: 10,
        on_plan: 400,
        looked_after: 650,
        pre_proceedings: 20,
        ..Default::default()
    });
    let (events, m) = events_of(&input, 6);
    let mut opened = [0u32; 7];
    let mut state = State::new(&input.scenario);
    for t in events.iter().take_while(|t| t.at == 0) {
        if let Event::FamilyOpened { stage, .. } = t.event {
            opened[stage as usize] += 1;
        }
        state.apply(t.at, &t.event).unwrap();
    }
    assert_eq!(opened, [50, 1_000, 60, 10, 400, 650, 20]);
    assert_eq!(m.opened, 2_190);
    assert_eq!(state.in_stage(Stage::OnPlan), 400);
    assert_eq!(state.in_stage(Stage::InCare), 650);
    assert_eq!(state.in_stage(Stage::InEnquiry), 60);
    assert_eq!(
        state.in_stage(Stage::InHelp) + state.in_stage(Stage::WaitingForHelp),
        1_050
    );
    // The open cases run their course: most plans and enquiries end, and
    // children leave care, within three years.
    let first_year = &m.years[0];
    assert!(first_year.plans_ended > 300, "{}", first_year.plans_ended);
    assert!(first_year.care_exits > 150, "{}", first_year.care_exits);
    // Too many in family help for the team is a located scenario error.
    let text = familyflow::model::scenario::DEFAULT_SCENARIO.to_string()
        + "\n[starting_caseload]\nwaiting_for_help = 0\nin_family_help = 99999\nin_enquiry = 0\nawaiting_conference = 0\non_plan = 0\nlooked_after = 0\n";
    let err = familyflow::model::scenario::Scenario::parse(&text, "start.toml").unwrap_err();
    let p = &err.problems[0];
    assert_eq!(p.field, "starting_caseload.in_family_help");
    assert!(
        p.line > 0 && p.message.contains("99999 is more than"),
        "{err}"
    );
}
