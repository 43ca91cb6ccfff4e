//! The routes issue 11 added, checked event by event on a settled area:
//! children are children (nobody 18 or over referred, on a plan or in
//! care; care ends on the 18th birthday), every entry to care records its
//! legal status, unaccompanied children arrive aged 14 to 17, kin take
//! children outside care, and waiting for family help escalates.

mod common;

use familyflow::model::calendar::DAY;
use familyflow::model::event::{
    CareExit, CareRoute, ClosureReason, Event, FamilyId, LegalStatus, Timed,
};
use familyflow::model::input::ScenarioInput;
use familyflow::model::projection::Metrics;
use familyflow::model::scenario::NonNegative;
use familyflow::model::simulate;
use familyflow::model::state::{Family, Stage, State};
use familyflow::model::Model;
use std::collections::BTreeMap;

fn events_of(input: &ScenarioInput, seed: u64) -> (Vec<Timed>, Metrics) {
    let model = Model::new(input.scenario.clone(), seed);
    let mut events = Vec::new();
    let (_, metrics) = simulate(&model, &mut events).expect("the scenario runs");
    (events, metrics)
}

#[test]
fn children_are_children_nobody_18_or_over_is_referred_on_a_plan_or_in_care() {
    let input = ScenarioInput::builtin();
    let (events, m) = events_of(&input, 5);
    let measured_from = input.scenario.measured_from();
    let mut state = State::new(&input.scenario);
    let mut plan_start: BTreeMap<FamilyId, u64> = BTreeMap::new();
    let mut care_start: BTreeMap<FamilyId, (u64, Option<LegalStatus>)> = BTreeMap::new();
    let (mut aged_out, mut plans, mut entries) = (0, 0, 0);
    // Children counted one by one, independently of the projection.
    let (mut referred_children, mut groups, mut siblings_18) = (0u64, 0u64, 0u64);
    for t in &events {
        let measured = t.at >= measured_from;
        if let Event::FamilyReferred { family, attributes } = t.event {
            let f = Family::new(attributes, Stage::AwaitingTriage, t.at);
            let n = f.children_under_18(family, t.at);
            assert!(n >= 1 && n <= attributes.children);
            assert!(attributes.eldest_age >= attributes.youngest_age);
            referred_children += u64::from(n) * u64::from(measured);
        }
        if let Some(id) = t.event.family() {
            if let Some(f) = state.family(id) {
                let adult = f.turns_18_at(id);
                match t.event {
                    Event::FamilyReReferred { .. } => {
                        assert!(t.at < adult, "{id}: re-referred at 18 or over");
                        referred_children +=
                            u64::from(f.children_under_18(id, t.at)) * u64::from(measured);
                    }
                    Event::Escalated { .. }
                    | Event::S47Started { .. }
                    | Event::FamilyHelpQueued { .. }
                    | Event::FamilyHelpStarted { .. }
                    | Event::PreProceedingsStarted { .. }
                    | Event::ProceedingsIssued { .. }
                    | Event::KinshipArrangementMade { .. } => {
                        assert!(t.at < adult, "{id}: {} at 18 or over", t.event.name())
                    }
                    Event::PlanStarted { .. } => {
                        assert!(t.at + DAY <= adult, "{id}: a plan at 18");
                        plan_start.insert(id, t.at);
                        plans += 1;
                    }
                    Event::PlanEnded { .. } => {
                        let start = plan_start.remove(&id).unwrap_or(0);
                        // A plan lasts at least a day, unless the child turned 18.
                        assert!(
                            t.at - start >= DAY || t.at >= adult,
                            "{id}: a plan of under a day"
                        );
                    }
                    Event::EnteredCare {
                        route, children, ..
                    } => {
                        assert!(t.at + DAY <= adult, "{id}: into care at 18");
                        // A sibling group comes together, but under section 20.
                        let under_18 = f.children_under_18(id, t.at);
                        assert!(children >= 1 && children <= under_18);
                        let more_than_a_day_from_18 = f.children_under_18(id, t.at + DAY).max(1);
                        if route != CareRoute::Voluntary {
                            assert_eq!(
                                children, more_than_a_day_from_18,
                                "{id}: siblings left behind"
                            );
                        }
                        groups += u64::from(children > 1);
                        care_start.insert(id, (t.at, None));
                        entries += 1;
                    }
                    Event::LegalStatusChanged { legal, .. } => {
                        if let Some((_, first)) = care_start.get_mut(&id) {
                            first.get_or_insert(legal);
                        }
                    }
                    Event::SiblingLeftCare { .. } => {
                        // The eldest child in care, on the 18th birthday.
                        assert!(f.in_care >= 2);
                        assert_eq!(t.at, f.child_turns_18_at(id, f.in_care - 1));
                        siblings_18 += 1;
                    }
                    Event::LeftCare { exit, .. } => {
                        assert!(t.at <= adult, "{id} left care after turning 18");
                        if exit == CareExit::Aged18 {
                            assert_eq!(t.at, adult, "{id} leaves care on the 18th birthday");
                            aged_out += 1;
                        }
                        // Under a day only after police protection or an
                        // emergency protection order (up to 72 hours / 8 days).
                        if let Some((start, legal)) = care_start.remove(&id) {
                            if t.at - start < DAY {
                                assert!(
                                    matches!(
                                        legal,
                                        Some(
                                            LegalStatus::PoliceProtection
                                                | LegalStatus::EmergencyProtection
                                        )
                                    ),
                                    "{id}: a care episode of under a day under {legal:?}"
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        state.apply(t.at, &t.event).expect("consistent");
    }
    // Every child still in care at the end is under 18.
    let end = input.scenario.calendar().horizon();
    for (&id, _) in care_start.iter() {
        if let Some(f) = state.family(id) {
            assert!(end <= f.turns_18_at(id), "{id} still in care at 18");
            assert!(
                f.in_care <= f.children_under_18(id, end),
                "{id}: an adult in care"
            );
        }
    }
    assert!(aged_out > 10 && plans > 100 && entries > 100);
    assert!(
        groups > 10 && siblings_18 > 10,
        "{groups} sibling groups, {siblings_18} left at 18"
    );
    assert_eq!(m.total(|y| y.referrals), referred_children);
    assert!(referred_children > m.new_families + m.rereferrals);
}

#[test]
fn every_entry_to_care_records_its_legal_status_by_route() {
    let input = ScenarioInput::builtin();
    let (events, m) = events_of(&input, 6);
    let mut seen = [0u64; 4];
    for w in events.windows(2) {
        if let Event::EnteredCare { family, route, .. } = w[0].event {
            let Event::LegalStatusChanged { family: f, legal } = w[1].event else {
                panic!("EnteredCare without its legal status: {:?}", w[1]);
            };
            assert_eq!(f, family);
            assert_eq!(w[1].at, w[0].at);
            let ok = match route {
                CareRoute::Voluntary | CareRoute::Unaccompanied => legal == LegalStatus::Section20,
                CareRoute::Emergency => matches!(
                    legal,
                    LegalStatus::PoliceProtection | LegalStatus::EmergencyProtection
                ),
                CareRoute::Proceedings => matches!(
                    legal,
                    LegalStatus::InterimCareOrder
                        | LegalStatus::CareOrder
                        | LegalStatus::PlacementOrder
                ),
            };
            assert!(ok, "{route:?} entered under {legal:?}");
            seen[route as usize] += 1;
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "every route used: {seen:?}");
    // The projection counts the same.
    let by_legal: u64 = m.total(|y| y.care_entries_by_legal_status.iter().sum());
    assert_eq!(by_legal, m.total(|y| y.care_entries_total()));
}

#[test]
fn unaccompanied_children_arrive_aged_14_to_17_and_are_never_referred() {
    let input = ScenarioInput::builtin();
    let (events, m) = events_of(&input, 7);
    let measured_from = input.scenario.measured_from();
    let (mut arrived, mut arrived_measured, mut turned_18_on_arrival) = (0, 0, 0);
    let mut uasc = std::collections::BTreeSet::new();
    let mut entered = std::collections::BTreeSet::new();
    for t in &events {
        match t.event {
            Event::UnaccompaniedChildArrived { family, attributes } => {
                assert!((14..=17).contains(&attributes.youngest_age));
                assert_eq!(attributes.children, 1, "an unaccompanied child comes alone");
                uasc.insert(family);
                arrived += 1;
                if t.at >= measured_from {
                    arrived_measured += 1;
                }
            }
            Event::EnteredCare {
                family, children, ..
            } if uasc.contains(&family) => {
                assert_eq!(children, 1);
                entered.insert(family);
            }
            Event::CaseClosed {
                family,
                reason: ClosureReason::Aged18,
                ..
            } if uasc.contains(&family) && !entered.contains(&family) && t.at >= measured_from => {
                turned_18_on_arrival += 1
            }
            Event::FamilyReReferred { family, .. } => {
                assert!(
                    !uasc.contains(&family),
                    "an unaccompanied child re-referred"
                )
            }
            _ => {}
        }
    }
    // About 5.7 per 10,000 children a year: 57 a year in the default area;
    // arrivals in the burn-in are not counted.
    // Every arrival comes into care, unless within a day of 18 (then the case closes).
    let measured = m.total(|y| y.care_entries_by_route[CareRoute::Unaccompanied]);
    assert_eq!(m.unaccompanied_arrivals, arrived_measured);
    assert!(turned_18_on_arrival <= arrived_measured / 20);
    assert_eq!(arrived_measured, measured + turned_18_on_arrival);
    assert!(arrived > measured * 5);
    assert!((100..=250).contains(&measured), "{measured} in three years");
}

#[test]
fn kin_who_take_a_child_outside_care_close_the_case() {
    let input = ScenarioInput::builtin();
    let (events, m) = events_of(&input, 8);
    let mut made = 0;
    for w in events.windows(2) {
        if let Event::KinshipArrangementMade { family, .. } = w[0].event {
            assert!(
                matches!(
                    w[1].event,
                    Event::CaseClosed {
                        family: f,
                        reason: ClosureReason::KinshipArrangement,
                        ..
                    } if f == family
                ),
                "{:?}",
                w[1]
            );
            made += 1;
        }
    }
    assert!(made > 0);
    assert!(m.total(|y| y.kinship_arrangements) > 0);
}

#[test]
fn waiting_escalates_at_the_threshold_and_the_hazard_is_a_lever() {
    // A team too small for its area: a waiting list forms.
    let mut input = ScenarioInput::builtin();
    input.scenario.family_help.fte = NonNegative(70.0);
    let (events, m) = events_of(&input, 9);
    let threshold = (input.scenario.families.significant_harm_threshold.get() * 10_000.0) as u16;
    let mut state = State::new(&input.scenario);
    let measured_from = input.scenario.measured_from();
    let (mut escalated, mut disengaged) = (0u64, 0u64);
    let (mut disengaged_measured, mut aged_out) = (0u64, 0u64);
    for t in &events {
        match t.event {
            Event::Escalated { family, .. } => {
                let f = state.family(family).expect("known");
                // Escalation comes at the significant-harm threshold.
                assert!(f.attributes.risk >= threshold);
                escalated += 1;
            }
            // A family whose youngest turns 18 on the list leaves it at the
            // birthday and is not counted as disengaged.
            Event::Disengaged { family } => {
                let f = state.family(family).expect("known");
                let adult = t.at >= f.turns_18_at(family);
                if adult {
                    assert_eq!(t.at, f.turns_18_at(family), "{family} waited past 18");
                    aged_out += 1;
                } else {
                    disengaged += 1;
                    disengaged_measured += u64::from(t.at >= measured_from);
                }
            }
            _ => {}
        }
        state.apply(t.at, &t.event).expect("consistent");
    }
    assert!(
        escalated > 50 && disengaged > 50,
        "{escalated} / {disengaged}"
    );
    assert!(m.total(|y| y.escalations) > 0);
    assert!(aged_out > 0, "no family aged out of the waiting list");
    assert_eq!(m.total(|y| y.disengaged), disengaged_measured);

    // Without the hazard nobody escalates, and fewer enquiries follow.
    let mut calm = input.clone();
    calm.scenario.escalation.per_year_while_waiting = NonNegative(0.0);
    let (_, c) = events_of(&calm, 9);
    assert_eq!(c.total(|y| y.escalations), 0);
    assert!(
        c.total(|y| y.s47_enquiries) < m.total(|y| y.s47_enquiries),
        "{} vs {}",
        c.total(|y| y.s47_enquiries),
        m.total(|y| y.s47_enquiries)
    );
}

#[test]
fn a_burn_in_is_not_counted_and_its_state_carries_on() {
    let warm = ScenarioInput::builtin();
    let cold = common::builtin_cold();
    let (events, m) = events_of(&warm, 10);
    let (_, c) = events_of(&cold, 10);
    let start = warm.scenario.measured_from();
    assert!(events.iter().any(|t| t.at < start));
    assert!(events
        .iter()
        .any(|t| t.at == start && t.event == Event::MeasurementStarted));
    assert_eq!(m.measured_from, start);
    // The same three financial years are reported.
    let years = |m: &Metrics| m.years.iter().map(|y| y.period.clone()).collect::<Vec<_>>();
    assert_eq!(years(&m), years(&c));
    assert_eq!(m.years[0].period, "2024-25");
    // A settled area has children in care from the first month; an empty
    // start has far fewer at the end of its first year.
    let cla = |m: &Metrics, i: usize| m.years[i].looked_after_at_end.unwrap().iter().sum::<u64>();
    assert!(
        cla(&m, 0) > cla(&c, 0) * 2,
        "{} vs {}",
        cla(&m, 0),
        cla(&c, 0)
    );
}

#[test]
fn a_second_spell_of_help_on_one_referral_runs_its_own_course() {
    // A family helped, stepped up, enquired into and sent back to family
    // help on the same referral: the first spell's end must not end the
    // second. Every spell that ends with needs met or unmet was assessed.
    let input = ScenarioInput::builtin();
    let (events, _) = events_of(&input, 11);
    let mut assessed: BTreeMap<FamilyId, bool> = BTreeMap::new();
    let mut second_spells = 0;
    let mut helped_on_referral: BTreeMap<FamilyId, u16> = BTreeMap::new();
    for t in &events {
        match t.event {
            Event::FamilyReferred { family, .. } | Event::FamilyReReferred { family, .. } => {
                helped_on_referral.remove(&family);
            }
            Event::FamilyHelpStarted { family } => {
                assessed.insert(family, false);
                let n = helped_on_referral.entry(family).or_default();
                *n += 1;
                second_spells += u64::from(*n == 2);
            }
            Event::AssessmentCompleted { family } => {
                assessed.insert(family, true);
            }
            Event::FamilyHelpEnded { family, outcome } => {
                if matches!(
                    outcome,
                    familyflow::model::event::HelpOutcome::NeedMet
                        | familyflow::model::event::HelpOutcome::NeedUnmet
                ) {
                    assert_eq!(
                        assessed.get(&family),
                        Some(&true),
                        "{family}: help ended at {} before its assessment",
                        t.at
                    );
                }
            }
            _ => {}
        }
    }
    assert!(second_spells > 50, "{second_spells} second spells");
}

#[test]
fn families_waiting_on_the_first_day_can_escalate_or_disengage_too() {
    let mut input = common::builtin_cold();
    input.scenario.family_help.fte = NonNegative(20.0);
    input.scenario.starting_caseload = Some(familyflow::model::scenario::StartingCaseload {
        waiting_for_help: 300,
        ..Default::default()
    });
    let (events, _) = events_of(&input, 12);
    let left = events
        .iter()
        .filter(|t| {
            matches!(
                t.event,
                Event::Escalated { family, .. } | Event::Disengaged { family } if family.0 < 300
            )
        })
        .count();
    assert!(left > 50, "{left} of the first day's 300 left the list");
}

#[test]
fn a_support_package_helps_a_kinship_arrangement_hold() {
    // A pilot area: FGDM before every proceedings, packages paid.
    let mut base = ScenarioInput::builtin();
    let n = &mut base.scenario.family_network;
    n.offer_before_proceedings = familyflow::model::scenario::Probability(1.0);
    n.offer_at_plan = familyflow::model::scenario::Probability(0.9);
    n.coordinators_fte = NonNegative(20.0);
    n.fnsp_sustains_kinship = familyflow::model::scenario::Probability(0.0);
    base.scenario.budget.fnsp.pounds_per_year = NonNegative(500_000.0);
    let mut sustained = base.clone();
    sustained.scenario.family_network.fnsp_sustains_kinship =
        familyflow::model::scenario::Probability(0.9);
    let returning = |input: &ScenarioInput| {
        events_of(input, 13)
            .0
            .iter()
            .filter(|t| {
                matches!(
                    t.event,
                    Event::CaseClosed {
                        reason: ClosureReason::KinshipArrangement,
                        rereferral_due: Some(_),
                        ..
                    }
                )
            })
            .count()
    };
    let (a, b) = (returning(&base), returning(&sustained));
    assert!(
        b < a,
        "kinship arrangements coming back: {b} with packages sustaining them, {a} without"
    );
}

#[test]
fn section_20_comes_from_family_help_and_from_plans_that_do_not_step_down() {
    let input = ScenarioInput::builtin();
    let (events, _) = events_of(&input, 14);
    let (mut after_help, mut after_plan) = (0, 0);
    for w in events.windows(2) {
        if let Event::EnteredCare {
            family,
            route: CareRoute::Voluntary,
            ..
        } = w[1].event
        {
            match w[0].event {
                Event::FamilyHelpEnded { family: f, .. } if f == family => after_help += 1,
                Event::PlanEnded {
                    family: f,
                    step_down: false,
                } if f == family => after_plan += 1,
                _ => {}
            }
        }
    }
    assert!(
        after_help > 10 && after_plan > 10,
        "{after_help} / {after_plan}"
    );
}

/// Each new parameter a modeller can pull moves its outcome the right way:
/// the scenario with the parameter turned down against the built-in one,
/// on common random numbers, summed over two seeds.
#[test]
fn the_new_route_parameters_move_their_outcomes_the_right_way() {
    use familyflow::model::scenario::{AgeShares, Positive, Probability, Scenario};
    type Edit = fn(&mut Scenario);
    type Outcome = fn(&Metrics) -> u64;
    let cases: [(&str, Edit, Outcome); 9] = [
        (
            "a child accommodated under section 20 always alone ⇒ fewer section 20 entries",
            |s| s.care.voluntary_siblings_together = Probability(0.0),
            |m| m.total(|y| y.care_entries_by_legal_status[LegalStatus::Section20]),
        ),
        (
            "only children ⇒ fewer children come into care",
            |s| s.families.children_mean = Positive(1.0),
            |m| m.total(|y| y.care_entries_total()),
        ),
        (
            "wider gaps between brothers and sisters ⇒ fewer children under 18 referred",
            |s| s.families.sibling_gap_years_mean = Positive(8.0),
            |m| m.total(|y| y.referrals),
        ),
        (
            "fewer proceedings issued after pre-proceedings ⇒ fewer proceedings",
            |s| s.proceedings.issue_probability = Probability(0.3),
            |m| m.total(|y| y.proceedings_issued),
        ),
        (
            "no removal when proceedings are issued ⇒ fewer interim care order entries",
            |s| s.proceedings.removal_at_issue = Probability(0.0),
            |m| m.total(|y| y.care_entries_by_legal_status[LegalStatus::InterimCareOrder]),
        ),
        (
            "no urgent proceedings for babies ⇒ fewer babies come into care",
            |s| s.proceedings.urgent_issue_for_babies = Probability(0.0),
            |m| m.total(|y| y.care_entries_by_age[familyflow::model::per::AgeBand::Under1]),
        ),
        (
            "no section 20 at a plan's end ⇒ fewer section 20 entries",
            |s| s.care.voluntary_at_plan_end = AgeShares::default(),
            |m| m.total(|y| y.care_entries_by_legal_status[LegalStatus::Section20]),
        ),
        (
            "no unaccompanied children ⇒ fewer entries",
            |s| s.care.unaccompanied_per_10k_children_per_year = NonNegative(0.0),
            |m| m.total(|y| y.care_entries_total()),
        ),
        (
            "named kin never take a diverted child ⇒ fewer kinship arrangements",
            |s| s.family_network.kin_care_when_diverted = Probability(0.0),
            |m| m.total(|y| y.kinship_arrangements),
        ),
    ];
    let base = ScenarioInput::builtin();
    let base_runs: Vec<Metrics> = (20..22).map(|seed| events_of(&base, seed).1).collect();
    for (what, edit, outcome) in cases {
        let mut lower = base.clone();
        edit(&mut lower.scenario);
        let (mut a, mut b) = (0, 0);
        for (seed, m) in (20..22).zip(&base_runs) {
            a += outcome(m);
            b += outcome(&events_of(&lower, seed).1);
        }
        assert!(b < a, "{what}: {b} against {a}");
    }
}
