//! Each route's decisions, one happening at a time, on a hand-built state.
//!
//! Every test builds a `Model` from the built-in scenario without its
//! burn-in, with the parameters that matter forced (a probability set to 0
//! or 1) so that the outcome is known by hand; puts a family where the test
//! needs it by folding the events that take it there; then asks the model
//! to decide one happening and checks the events it records and the
//! happenings it puts on the agenda. Where a decision draws a duration, the
//! expected time is computed from the same addressed stream
//! (ARCHITECTURE.md, "Random streams") or checked against its bounds.

use familyflow::engine::stream::Streams;
use familyflow::model::calendar::{CivilDate, Minute, DAY, WEEK};
use familyflow::model::event::{
    Attributes, BudgetLine, CareExit, CareRoute, ClosureReason, Event, FamilyId, FinalOrder,
    HelpOutcome, LeavingCareSupport, LegalStatus, Need, OpenStage, Placement, Pool, RiskFactors,
    TriageDecision,
};
use familyflow::model::happening::Happening;
use familyflow::model::projection::{fold, Metrics};
use familyflow::model::purpose::Purpose;
use familyflow::model::scenario::{
    AgeShares, LeavingCare, NonNegative, OrderShares, Positive, Probability, Scenario,
    StartingCaseload, WhenSpent,
};
use familyflow::model::state::{Family, Stage, State, AGE_YEAR};
use familyflow::model::{Decisions, Model};

const SEED: u64 = 2024;
/// Latent risk well below the significant-harm threshold (0.73).
const LOW_RISK: u16 = 1_000;
/// Latent risk well above it.
const HIGH_RISK: u16 = 9_000;
/// When the test's family is put in place (11 April 2024).
const T0: Minute = 10 * DAY;
/// When the happening under test is decided.
const NOW: Minute = T0 + 7 * DAY;
/// An average month, as the child protection route counts plan lengths.
const MONTH: f64 = 365.25 / 12.0 * DAY as f64;

const NEVER: Probability = Probability(0.0);
const ALWAYS: Probability = Probability(1.0);
const NONE: NonNegative = NonNegative(0.0);
const ALL: NonNegative = NonNegative(1.0);

/// The built-in scenario from an empty start, with a perfect front door
/// and no side routes (no re-referral, no risk rise, no FGDM, no section 20,
/// no emergency or urgent entries to care, no placement sufficiency: every
/// placement drawn is free and in the area; no care leavers' support), then
/// `edit`.
fn scenario(edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = Scenario::default_scenario();
    s.burn_in_years = 0;
    s.placements = None;
    s.care.leaving_care = None;
    s.triage.accuracy_without_data_sharing = ALWAYS;
    s.triage.accuracy_with_full_data_sharing = ALWAYS;
    s.rereferral.within_12_months_after_no_action = NEVER;
    s.rereferral.within_12_months_after_needs_met = NEVER;
    s.rereferral.within_12_months_after_needs_unmet = NEVER;
    s.escalation.risk_rise_when_needs_unmet = NEVER;
    s.family_network.offer_in_family_help = NEVER;
    s.family_network.offer_at_plan = NEVER;
    s.family_network.offer_before_proceedings = NEVER;
    s.care.voluntary_when_needs_unmet = AgeShares::default();
    s.care.voluntary_at_plan_end = AgeShares::default();
    s.care.emergency_probability_at_risk = NEVER;
    s.proceedings.urgent_issue_for_babies = NEVER;
    // Children under 13 are placed in in-house foster care.
    s.care.placement.kinship = NONE;
    s.care.placement.in_house_foster = ALL;
    s.care.placement.agency_foster = NONE;
    s.care.placement.residential = NONE;
    edit(&mut s);
    let problems = s.validate();
    assert!(
        problems.is_empty(),
        "the test scenario is invalid: {problems:?}"
    );
    s
}

/// A family of one child aged `age`, with this need and latent risk.
fn family(need: Need, risk: u16, age: u8) -> Attributes {
    Attributes {
        children: 1,
        youngest_age: age,
        eldest_age: age,
        need,
        risk,
        risk_factors: RiskFactors(0),
        network: 5_000,
    }
}

/// A model, the state it decides against, and the metrics folded beside it.
struct Bench {
    model: Model,
    state: State,
    metrics: Metrics,
}

impl Bench {
    /// An empty state: no staff, no families.
    fn new(s: Scenario) -> Bench {
        let state = State::new(&s);
        let metrics = Metrics::new(&s.calendar(), SEED);
        Bench {
            model: Model::new(s, SEED),
            state,
            metrics,
        }
    }

    /// Every pool's staff in post (the run's `Start`, decided and applied).
    fn staffed(s: Scenario) -> Bench {
        let mut b = Bench::new(s);
        b.step(0, Happening::Start);
        b
    }

    fn apply(&mut self, at: Minute, events: &[Event]) {
        for e in events {
            fold(&mut self.state, &mut self.metrics, at, e)
                .unwrap_or_else(|err| panic!("{e:?} does not fit: {err}"));
        }
    }

    fn decide(&self, now: Minute, what: Happening) -> Decisions {
        let mut d = Decisions::default();
        self.model.decide(now, what, &self.state, &mut d);
        d
    }

    /// Decides `what` and applies its events.
    fn step(&mut self, now: Minute, what: Happening) -> Decisions {
        let d = self.decide(now, what);
        self.apply(now, &d.events);
        d
    }

    fn family(&self, f: FamilyId) -> &Family {
        self.state.family(f).expect("the family is known")
    }

    fn referred(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let family = self.state.next_family_id();
        self.apply(
            at,
            &[Event::FamilyReferred {
                family,
                attributes: a,
            }],
        );
        family
    }

    fn triaged(&mut self, at: Minute, a: Attributes, decision: TriageDecision) -> FamilyId {
        let f = self.referred(at, a);
        self.apply(
            at,
            &[Event::TriageDecided {
                family: f,
                decision,
            }],
        );
        f
    }

    /// In family help since `at` (the team must have room).
    fn in_help(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.triaged(at, a, TriageDecision::FamilyHelp);
        self.apply(at, &[Event::FamilyHelpStarted { family: f }]);
        f
    }

    /// On the family help waiting list since `at`.
    fn waiting(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.triaged(at, a, TriageDecision::FamilyHelp);
        self.apply(at, &[Event::FamilyHelpQueued { family: f }]);
        f
    }

    fn in_enquiry(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.triaged(at, a, TriageDecision::StrategyDiscussion);
        self.apply(at, &[Event::S47Started { family: f }]);
        f
    }

    fn awaiting_conference(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.in_enquiry(at, a);
        self.apply(
            at,
            &[Event::S47Completed {
                family: f,
                conference: true,
            }],
        );
        f
    }

    fn on_plan(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.awaiting_conference(at, a);
        self.apply(
            at,
            &[
                Event::ConferenceHeld {
                    family: f,
                    plan: true,
                },
                Event::PlanStarted { family: f },
            ],
        );
        f
    }

    fn in_pre_proceedings(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.on_plan(at, a);
        self.apply(
            at,
            &[
                Event::PlanEnded {
                    family: f,
                    step_down: false,
                },
                Event::PreProceedingsStarted { family: f },
            ],
        );
        f
    }

    /// In care proceedings, the child at home.
    fn in_proceedings(&mut self, at: Minute, a: Attributes) -> FamilyId {
        let f = self.in_pre_proceedings(at, a);
        self.apply(at, &[Event::ProceedingsIssued { family: f }]);
        f
    }

    /// In care since `at` under `legal` (all the family's children), by the
    /// route that status comes by.
    fn in_care(&mut self, at: Minute, a: Attributes, legal: LegalStatus) -> FamilyId {
        let weekly_pence = self.in_house_foster_pence();
        let entered = |family, route| Event::EnteredCare {
            family,
            route,
            placement: Placement::InHouseFoster,
            weekly_pence,
            children: a.children,
        };
        let f = match legal {
            LegalStatus::InterimCareOrder
            | LegalStatus::CareOrder
            | LegalStatus::PlacementOrder => {
                let f = self.in_proceedings(at, a);
                self.apply(
                    at,
                    &[
                        entered(f, CareRoute::Proceedings),
                        Event::LegalStatusChanged {
                            family: f,
                            legal: LegalStatus::InterimCareOrder,
                        },
                    ],
                );
                if legal != LegalStatus::InterimCareOrder {
                    let order = if legal == LegalStatus::CareOrder {
                        FinalOrder::CareOrder
                    } else {
                        FinalOrder::PlacementOrder
                    };
                    self.apply(at, &[Event::ProceedingsEnded { family: f, order }]);
                }
                f
            }
            LegalStatus::PoliceProtection
            | LegalStatus::EmergencyProtection
            | LegalStatus::Section20 => {
                let f = self.in_enquiry(at, a);
                let route = if legal == LegalStatus::Section20 {
                    CareRoute::Voluntary
                } else {
                    CareRoute::Emergency
                };
                self.apply(
                    at,
                    &[
                        Event::S47Completed {
                            family: f,
                            conference: false,
                        },
                        entered(f, route),
                    ],
                );
                f
            }
        };
        if legal != LegalStatus::InterimCareOrder {
            self.apply(at, &[Event::LegalStatusChanged { family: f, legal }]);
        }
        f
    }

    fn in_house_foster_pence(&self) -> u64 {
        weekly_pence(&self.model.scenario, Placement::InHouseFoster)
    }

    /// The follow-ups of a spell of family help started at `now` in an
    /// empty team: the assessment after the drawn working days, the end of
    /// support after the drawn weeks (not before the assessment).
    fn help_follow_ups(&self, f: FamilyId, episode: u16, now: Minute) -> Vec<(Minute, Happening)> {
        let fh = &self.model.at(now).family_help;
        let mut s = Streams::new(SEED).stream(
            Purpose::FamilyHelpDurations,
            u64::from(f.0),
            u32::from(episode),
        );
        let assess = s.exponential_minutes(fh.assessment_working_days_mean.get() * DAY as f64);
        let support = s.exponential_minutes(fh.support_weeks_mean.get() * WEEK as f64);
        let assessed = self.model.calendar.add_working_minutes(now, assess);
        vec![
            (assessed, Happening::AssessmentDue(f, episode, now)),
            (
                assessed.max(now + support),
                Happening::HelpEnds(f, episode, now),
            ),
        ]
    }

    /// When an enquiry started at `now` ends, with no child protection
    /// caseload to slow it and no lead practitioner.
    fn enquiry_end(&self, f: FamilyId, episode: u16, now: Minute) -> Minute {
        let cp = &self.model.at(now).child_protection;
        let length = Streams::new(SEED)
            .stream(Purpose::Enquiry, u64::from(f.0), u32::from(episode))
            .exponential_minutes(cp.enquiry_working_days_mean.get() * DAY as f64);
        self.model.calendar.add_working_minutes(now, length)
    }

    /// The stay in care drawn for family `f`'s referral `episode`: the third
    /// draw of (Care, family, episode), after the emergency and placement draws.
    fn drawn_stay(&self, f: FamilyId, episode: u16, at: Minute) -> Minute {
        let mean = self.model.at(at).care.years_in_care_mean.get();
        let mut s = Streams::new(SEED).stream(Purpose::Care, u64::from(f.0), u32::from(episode));
        s.uniform();
        s.uniform();
        ((s.exponential(mean * AGE_YEAR as f64)) as Minute).max(DAY)
    }
}

/// Order shares that always give `order`.
fn only_order(o: &mut OrderShares, order: FinalOrder) {
    for (w, which) in [
        (&mut o.care_order, FinalOrder::CareOrder),
        (&mut o.placement_order, FinalOrder::PlacementOrder),
        (&mut o.special_guardianship, FinalOrder::SpecialGuardianship),
        (&mut o.child_arrangements, FinalOrder::ChildArrangements),
        (&mut o.supervision, FinalOrder::Supervision),
    ] {
        *w = if which == order { ALL } else { NONE };
    }
}

/// A placement's weekly cost in the scenario, in pence.
fn weekly_pence(s: &Scenario, placement: Placement) -> u64 {
    let c = &s.care.weekly_cost_pounds;
    let pounds = match placement {
        Placement::Kinship => c.kinship,
        Placement::InHouseFoster => c.in_house_foster,
        Placement::AgencyFoster => c.agency_foster,
        Placement::Residential => c.residential,
    };
    (pounds.get() * 100.0).round() as u64
}

/// A pool's funded FTE and agency share in the scenario.
fn fte_and_agency_share(s: &Scenario, pool: Pool) -> (f64, f64) {
    let w = &s.workforce;
    let (fte, staff) = match pool {
        Pool::FrontDoor => (s.triage.fte, &w.front_door),
        Pool::FamilyHelp => (s.family_help.fte, &w.family_help),
        Pool::ChildProtection => (s.child_protection.fte, &w.child_protection),
        Pool::LeadPractitioners => (s.lead_practitioners.fte, &w.lead_practitioners),
        Pool::FgdmCoordinators => (s.family_network.coordinators_fte, &w.fgdm_coordinators),
    };
    (fte.get(), staff.agency_share.get())
}

fn closed(family: FamilyId, reason: ClosureReason) -> Event {
    Event::CaseClosed {
        family,
        reason,
        rereferral_due: None,
    }
}

// ---------------------------------------------------------------- referral

/// An arrival refers a new family with its drawn attributes and schedules triage and the next one.
#[test]
fn an_arrival_refers_a_new_family_and_schedules_its_triage_and_the_next_arrival() {
    let b = Bench::new(scenario(|s| {
        s.families.need.none = NONE;
        s.families.need.low = NONE;
        s.families.need.moderate = NONE;
        s.families.need.high = ALL;
        s.families.children_mean = Positive(1.0);
    }));
    let exact = 5 * 1_000_000;
    let d = b.decide(5, Happening::Arrival(exact));
    let attributes = b.model.draw_attributes(FamilyId(0));
    assert_eq!(attributes.need, Need::High);
    assert_eq!(attributes.children, 1);
    assert_eq!(
        d.events,
        vec![Event::FamilyReferred {
            family: FamilyId(0),
            attributes
        }]
    );
    assert_eq!(d.schedule.len(), 2, "{:?}", d.schedule);
    let (triage_at, triage) = d.schedule[0];
    assert_eq!(triage, Happening::TriageDue(FamilyId(0), 0));
    assert!(triage_at >= 5);
    let (next_at, next) = d.schedule[1];
    let Happening::Arrival(next_exact) = next else {
        panic!("the next arrival is scheduled, not {next:?}");
    };
    assert!(next_exact > exact);
    assert_eq!(next_at, next_exact / 1_000_000);
}

/// A closed family's re-referral opens its next episode at the front door; an open one's is stale.
#[test]
fn a_closed_family_referred_again_starts_its_next_episode_at_the_front_door() {
    let mut b = Bench::new(scenario(|_| {}));
    let f = b.triaged(
        T0,
        family(Need::None, LOW_RISK, 5),
        TriageDecision::NoFurtherAction,
    );
    let due = NOW;
    b.apply(
        T0,
        &[Event::CaseClosed {
            family: f,
            reason: ClosureReason::NoFurtherAction,
            rereferral_due: Some(due),
        }],
    );
    let d = b.step(due, Happening::ReReferral(f));
    assert_eq!(
        d.events,
        vec![Event::FamilyReReferred {
            family: f,
            episode: 1
        }]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::TriageDue(f, 1));
    assert!(d.schedule[0].0 >= due);
    // Open again (awaiting triage): a second re-referral is stale.
    let again = b.decide(due + 1, Happening::ReReferral(f));
    assert!(again.events.is_empty() && again.schedule.is_empty());
}

// ------------------------------------------------------------------ triage

/// A perfect front door: none → NFA, low → universal, moderate+ → help, risk at threshold → s47.
#[test]
fn a_perfect_front_door_routes_each_level_of_need_to_its_right_decision() {
    let s = scenario(|_| {});
    let threshold = Model::new(s.clone(), SEED).significant_harm_risk();
    assert_eq!(threshold, 7_300);
    for (need, risk) in [
        (Need::None, LOW_RISK),
        (Need::Low, threshold - 1),
        (Need::Moderate, LOW_RISK),
        (Need::High, LOW_RISK),
        (Need::Low, threshold),
    ] {
        let mut b = Bench::staffed(s.clone());
        let f = b.referred(T0, family(need, risk, 5));
        let d = b.decide(NOW, Happening::TriageDue(f, 0));
        let (decision, then, schedule) = match (need, risk >= threshold) {
            (_, true) => (
                TriageDecision::StrategyDiscussion,
                vec![Event::S47Started { family: f }],
                vec![(b.enquiry_end(f, 0, NOW), Happening::S47Ends(f, 0))],
            ),
            (Need::None, false) => (
                TriageDecision::NoFurtherAction,
                vec![closed(f, ClosureReason::NoFurtherAction)],
                vec![],
            ),
            (Need::Low, false) => (
                TriageDecision::UniversalServices,
                vec![closed(f, ClosureReason::UniversalServices)],
                vec![],
            ),
            (Need::Moderate | Need::High, false) => (
                TriageDecision::FamilyHelp,
                vec![Event::FamilyHelpStarted { family: f }],
                b.help_follow_ups(f, 0, NOW),
            ),
        };
        let mut events = vec![Event::TriageDecided {
            family: f,
            decision,
        }];
        events.extend(then);
        assert_eq!(d.events, events, "{need:?} at risk {risk}");
        assert_eq!(d.schedule, schedule, "{need:?} at risk {risk}");
        b.apply(NOW, &d.events);
    }
}

/// A front door that always errs moves one step: up from NFA, down from a strategy discussion.
#[test]
fn a_front_door_that_always_errs_moves_one_step_and_never_past_either_end() {
    let s = scenario(|s| {
        s.triage.accuracy_without_data_sharing = NEVER;
        s.triage.accuracy_with_full_data_sharing = NEVER;
    });
    let mut b = Bench::staffed(s);
    let none = b.referred(T0, family(Need::None, LOW_RISK, 5));
    let at_risk = b.referred(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::TriageDue(none, 0));
    assert_eq!(
        d.events,
        vec![
            Event::TriageDecided {
                family: none,
                decision: TriageDecision::UniversalServices
            },
            closed(none, ClosureReason::UniversalServices),
        ]
    );
    let d = b.decide(NOW, Happening::TriageDue(at_risk, 0));
    assert_eq!(
        d.events,
        vec![
            Event::TriageDecided {
                family: at_risk,
                decision: TriageDecision::FamilyHelp
            },
            Event::FamilyHelpStarted { family: at_risk },
        ]
    );
}

/// A stale triage (other episode, already decided, unknown family) decides nothing.
#[test]
fn a_stale_front_door_decision_decides_nothing() {
    let mut b = Bench::staffed(scenario(|_| {}));
    let f = b.referred(T0, family(Need::Moderate, LOW_RISK, 5));
    for what in [
        Happening::TriageDue(f, 1),
        Happening::TriageDue(FamilyId(7), 0),
    ] {
        let d = b.decide(NOW, what);
        assert!(d.events.is_empty() && d.schedule.is_empty(), "{what:?}");
    }
    b.apply(
        T0,
        &[Event::TriageDecided {
            family: f,
            decision: TriageDecision::FamilyHelp,
        }],
    );
    let d = b.decide(NOW, Happening::TriageDue(f, 0));
    assert!(d.events.is_empty() && d.schedule.is_empty());
}

// ------------------------------------------------------------- family help

/// An assessment closes a family not at risk with need exactly low (or none) as not in need.
#[test]
fn an_assessment_finds_a_family_with_low_need_not_in_need() {
    for need in [Need::Low, Need::None] {
        let mut b = Bench::staffed(scenario(|s| {
            s.family_help.step_up_probability = ALWAYS;
        }));
        let f = b.in_help(T0, family(need, LOW_RISK, 5));
        let d = b.step(NOW, Happening::AssessmentDue(f, 0, T0));
        assert_eq!(
            d.events,
            vec![
                Event::AssessmentCompleted { family: f },
                Event::FamilyHelpEnded {
                    family: f,
                    outcome: HelpOutcome::NotInNeed
                },
                closed(f, ClosureReason::NotInNeed),
            ],
            "{need:?}"
        );
        assert!(d.schedule.is_empty());
        assert_eq!(b.state.family_help.active, 0, "the place is freed");
        assert!(b.state.family(f).is_none(), "closed for good");
    }
}

/// An assessment goes on with moderate need, or low need at risk not stepped up; once only.
#[test]
fn an_assessment_goes_on_with_moderate_need_or_with_low_need_at_risk() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.step_up_probability = NEVER;
    }));
    let moderate = b.in_help(T0, family(Need::Moderate, LOW_RISK, 5));
    let low_at_risk = b.in_help(T0, family(Need::Low, HIGH_RISK, 5));
    for f in [moderate, low_at_risk] {
        let d = b.step(NOW, Happening::AssessmentDue(f, 0, T0));
        assert_eq!(d.events, vec![Event::AssessmentCompleted { family: f }]);
        assert!(d.schedule.is_empty());
        assert_eq!(b.family(f).stage, Stage::InHelp);
        // Assessed once: a second assessment due is stale.
        let again = b.decide(NOW, Happening::AssessmentDue(f, 0, T0));
        assert!(again.events.is_empty());
    }
}

/// An assessment steps a family at risk up to an enquiry, unless already enquired into.
#[test]
fn an_assessment_steps_a_family_at_risk_up_to_an_enquiry_once_per_referral() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.step_up_probability = ALWAYS;
    }));
    let f = b.in_help(T0, family(Need::Moderate, HIGH_RISK, 5));
    assert!(b
        .decide(NOW, Happening::AssessmentDue(f, 0, T0 + 1))
        .events
        .is_empty());
    let d = b.decide(NOW, Happening::AssessmentDue(f, 0, T0));
    assert_eq!(
        d.events,
        vec![
            Event::AssessmentCompleted { family: f },
            Event::FamilyHelpEnded {
                family: f,
                outcome: HelpOutcome::SteppedUp
            },
            Event::S47Started { family: f },
        ]
    );
    assert_eq!(
        d.schedule,
        vec![(b.enquiry_end(f, 0, NOW), Happening::S47Ends(f, 0))]
    );
    // Enquired into, sent to family help: not stepped up again.
    let g = b.in_enquiry(T0, family(Need::Moderate, HIGH_RISK, 5));
    b.apply(
        T0,
        &[
            Event::S47Completed {
                family: g,
                conference: false,
            },
            Event::FamilyHelpStarted { family: g },
        ],
    );
    let d = b.decide(NOW, Happening::AssessmentDue(g, 0, T0));
    assert_eq!(d.events, vec![Event::AssessmentCompleted { family: g }]);
}

/// Support ends with needs met or unmet as forced, closing the case with that reason.
#[test]
fn support_ends_with_needs_met_or_unmet_as_forced() {
    for (p, outcome, reason) in [
        (ALWAYS, HelpOutcome::NeedMet, ClosureReason::NeedMet),
        (NEVER, HelpOutcome::NeedUnmet, ClosureReason::NeedUnmet),
    ] {
        let mut b = Bench::staffed(scenario(|s| {
            s.family_help.need_met_probability = p;
            s.family_help.caseload_penalty = NEVER;
        }));
        let f = b.in_help(T0, family(Need::Moderate, LOW_RISK, 5));
        // A spell that started at another minute is not this one.
        assert!(b
            .decide(NOW, Happening::HelpEnds(f, 0, T0 + 1))
            .events
            .is_empty());
        let d = b.decide(NOW, Happening::HelpEnds(f, 0, T0));
        assert_eq!(
            d.events,
            vec![
                Event::FamilyHelpEnded { family: f, outcome },
                closed(f, reason),
            ]
        );
        assert!(d.schedule.is_empty());
    }
}

/// A full team queues a family (its wait's end scheduled); a freed place goes to the first waiting.
#[test]
fn a_full_team_queues_families_and_a_freed_place_goes_to_the_first_waiting() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.fte = NonNegative(1.0);
        s.family_help.caseload_cap = 1;
        s.workforce.family_help.agency_share = NEVER;
        s.family_help.need_met_probability = ALWAYS;
        s.escalation.per_year_while_waiting = NonNegative(12.0);
        s.escalation.disengagement_per_year = NonNegative(12.0);
    }));
    assert_eq!(b.state.family_help.capacity, 1);
    let helped = b.in_help(T0, family(Need::Moderate, LOW_RISK, 5));
    let first = b.waiting(T0 + 1, family(Need::Moderate, LOW_RISK, 5));
    let second = b.referred(T0 + 2, family(Need::High, LOW_RISK, 5));
    let d = b.step(T0 + 2, Happening::TriageDue(second, 0));
    assert_eq!(
        d.events,
        vec![
            Event::TriageDecided {
                family: second,
                decision: TriageDecision::FamilyHelp
            },
            Event::FamilyHelpQueued { family: second },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::WaitEnds(second, 0, T0 + 2));
    assert!(d.schedule[0].0 > T0 + 2 && d.schedule[0].0 < b.model.calendar.horizon());

    let d = b.decide(NOW, Happening::HelpEnds(helped, 0, T0));
    assert_eq!(
        d.events,
        vec![
            Event::FamilyHelpEnded {
                family: helped,
                outcome: HelpOutcome::NeedMet
            },
            closed(helped, ClosureReason::NeedMet),
            Event::FamilyHelpStarted { family: first },
        ]
    );
    assert_eq!(d.schedule, b.help_follow_ups(first, 0, NOW));
}

/// First come, first served: a newcomer queues behind families waiting even with a place free.
#[test]
fn family_help_is_first_come_first_served_even_with_a_place_free() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.fte = NonNegative(2.0);
        s.family_help.caseload_cap = 1;
        s.family_help.caseload_penalty = NEVER;
        s.workforce.family_help.agency_share = NEVER;
        s.escalation.per_year_while_waiting = NonNegative(12.0);
        s.escalation.disengagement_per_year = NonNegative(12.0);
    }));
    assert_eq!(b.state.family_help.capacity, 2);
    b.in_help(T0, family(Need::Moderate, LOW_RISK, 5));
    let first = b.waiting(T0, family(Need::Moderate, LOW_RISK, 5));
    let second = b.referred(T0 + 1, family(Need::Moderate, LOW_RISK, 5));
    let d = b.step(T0 + 1, Happening::TriageDue(second, 0));
    assert_eq!(
        d.events,
        vec![
            Event::TriageDecided {
                family: second,
                decision: TriageDecision::FamilyHelp
            },
            Event::FamilyHelpQueued { family: second },
        ]
    );
    let d = b.step(NOW, Happening::FamilyHelpRoom);
    assert_eq!(d.events, vec![Event::FamilyHelpStarted { family: first }]);
    assert_eq!(d.schedule, b.help_follow_ups(first, 0, NOW));
    assert_eq!(b.state.waiting_families().collect::<Vec<_>>(), vec![second]);
}

/// A wait ends in escalation or disengagement as forced, or at 18; a stale one decides nothing.
#[test]
fn a_wait_ends_in_escalation_or_disengagement_as_forced() {
    let escalating = scenario(|s| {
        s.escalation.per_year_while_waiting = NonNegative(12.0);
        s.escalation.disengagement_per_year = NONE;
    });
    let mut b = Bench::new(escalating);
    let f = b.waiting(T0, family(Need::Moderate, LOW_RISK, 5));
    assert!(b
        .decide(NOW, Happening::WaitEnds(f, 0, T0 + 1))
        .events
        .is_empty());
    let d = b.decide(NOW, Happening::WaitEnds(f, 0, T0));
    let threshold = b.model.significant_harm_risk();
    assert_eq!(
        d.events,
        vec![
            Event::RiskChanged {
                family: f,
                risk: threshold
            },
            Event::Escalated {
                family: f,
                episode: 1
            },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::TriageDue(f, 1));

    let disengaging = scenario(|s| {
        s.escalation.per_year_while_waiting = NONE;
        s.escalation.disengagement_per_year = NonNegative(12.0);
    });
    let mut b = Bench::new(disengaging);
    let f = b.waiting(T0, family(Need::Moderate, LOW_RISK, 5));
    let d = b.decide(NOW, Happening::WaitEnds(f, 0, T0));
    assert_eq!(
        d.events,
        vec![
            Event::Disengaged { family: f },
            closed(f, ClosureReason::Disengaged),
        ]
    );
    // The youngest of 17 turns 18 while waiting.
    let g = b.waiting(T0, family(Need::Moderate, LOW_RISK, 17));
    let adult = b.family(g).turns_18_at(g);
    let d = b.decide(adult, Happening::WaitEnds(g, 0, T0));
    assert_eq!(
        d.events,
        vec![
            Event::Disengaged { family: g },
            closed(g, ClosureReason::Adult)
        ]
    );
}

// ----------------------------------------------------------------- closure

/// Closing draws the re-referral (P(T < 1 year) = share) and schedules it at the minute recorded.
#[test]
fn closing_a_case_draws_its_rereferral_and_schedules_it_at_the_recorded_minute() {
    let p = 0.9;
    let mut b = Bench::new(scenario(|s| {
        s.rereferral.within_12_months_after_no_action = Probability(p);
    }));
    let f = b.referred(T0, family(Need::Low, LOW_RISK, 5));
    let d = b.step(NOW, Happening::TriageDue(f, 0));
    let year = 365.0 * DAY as f64;
    let t = Streams::new(SEED)
        .stream(Purpose::ReReferral, u64::from(f.0), 0)
        .exponential(-year / (-p).ln_1p());
    let due = NOW + (t.floor() as Minute).max(1);
    assert!(t <= 3.0 * year, "within the hazard's horizon for this seed");
    assert_eq!(
        d.events,
        vec![
            Event::TriageDecided {
                family: f,
                decision: TriageDecision::UniversalServices
            },
            Event::CaseClosed {
                family: f,
                reason: ClosureReason::UniversalServices,
                rereferral_due: Some(due)
            },
        ]
    );
    assert_eq!(d.schedule, vec![(due, Happening::ReReferral(f))]);
    assert_eq!(b.family(f).stage, Stage::Closed, "kept for its return");
}

/// No re-referral is due once the youngest is 18: the case closes and the family is dropped.
#[test]
fn no_rereferral_comes_after_the_youngest_turns_18() {
    let mut b = Bench::new(scenario(|s| {
        s.rereferral.within_12_months_after_no_action = Probability(0.9);
    }));
    let f = b.referred(T0, family(Need::Low, LOW_RISK, 17));
    let now = b.family(f).turns_18_at(f) - 1;
    let d = b.step(now, Happening::TriageDue(f, 0));
    assert_eq!(d.events[1], closed(f, ClosureReason::UniversalServices));
    assert!(d.schedule.is_empty());
    assert!(b.state.family(f).is_none());
}

/// Closing with needs unmet first raises latent risk by the drawn share of its distance to 1.
#[test]
fn needs_unmet_raise_latent_risk_before_the_case_closes() {
    let rise = 0.15;
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.need_met_probability = NEVER;
        s.escalation.risk_rise_when_needs_unmet = Probability(rise);
    }));
    let risk = 5_000;
    let f = b.in_help(T0, family(Need::Moderate, risk, 5));
    let d = b.decide(NOW, Happening::HelpEnds(f, 0, T0));
    let mut s = Streams::new(SEED).stream(Purpose::Escalation, u64::from(f.0), 0);
    s.exponential(1.0);
    s.exponential(1.0);
    let keep = 1.0 - 2.0 * rise * s.uniform();
    let raised = ((1.0 - (1.0 - f64::from(risk) / 10_000.0) * keep) * 10_000.0).floor() as u16;
    assert!(raised > risk && f64::from(raised - risk) <= 2.0 * rise * f64::from(10_000 - risk));
    assert_eq!(
        d.events,
        vec![
            Event::FamilyHelpEnded {
                family: f,
                outcome: HelpOutcome::NeedUnmet
            },
            Event::RiskChanged {
                family: f,
                risk: raised
            },
            closed(f, ClosureReason::NeedUnmet),
        ]
    );
}

// -------------------------------------------------------- child protection

/// An enquiry about a child at risk leads to a conference when certain; a stale one: nothing.
#[test]
fn an_enquiry_about_a_child_at_risk_leads_to_a_conference_when_certain() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.conference_probability_at_risk = ALWAYS;
    }));
    let f = b.in_enquiry(T0, family(Need::Moderate, HIGH_RISK, 5));
    assert!(b.decide(NOW, Happening::S47Ends(f, 1)).events.is_empty());
    let d = b.decide(NOW, Happening::S47Ends(f, 0));
    assert_eq!(
        d.events,
        vec![Event::S47Completed {
            family: f,
            conference: true
        }]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::ConferenceDue(f, 0));
    assert!(d.schedule[0].0 > NOW);
}

/// An enquiry that goes no further sends moderate need to family help and closes low need.
#[test]
fn an_enquiry_that_goes_no_further_helps_moderate_need_and_closes_low_need() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.conference_probability_not_at_risk = NEVER;
    }));
    let moderate = b.in_enquiry(T0, family(Need::Moderate, LOW_RISK, 5));
    let low = b.in_enquiry(T0, family(Need::Low, LOW_RISK, 5));
    let no_conference = |family| Event::S47Completed {
        family,
        conference: false,
    };
    let d = b.decide(NOW, Happening::S47Ends(moderate, 0));
    assert_eq!(
        d.events,
        vec![
            no_conference(moderate),
            Event::FamilyHelpStarted { family: moderate },
        ]
    );
    assert_eq!(d.schedule, b.help_follow_ups(moderate, 0, NOW));
    let d = b.decide(NOW, Happening::S47Ends(low, 0));
    assert_eq!(
        d.events,
        vec![no_conference(low), closed(low, ClosureReason::AfterEnquiry)]
    );
    assert!(d.schedule.is_empty());
}

/// A plan has reviews at 3 months then every 6, and ends within its drawn length band.
#[test]
fn a_plan_has_reviews_at_3_months_then_every_6_and_ends_within_its_band() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.plan_probability = ALWAYS;
        let bands = &mut s.child_protection.plan_length;
        bands.up_to_3_months = NONE;
        bands.from_3_to_6_months = NONE;
        bands.from_6_to_12_months = NONE;
        bands.from_1_to_2_years = NONE;
        bands.over_2_years = ALL;
    }));
    let f = b.awaiting_conference(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::ConferenceDue(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::ConferenceHeld {
                family: f,
                plan: true
            },
            Event::PlanStarted { family: f },
        ]
    );
    let (&(ends, last), reviews) = d.schedule.split_last().expect("the plan's end");
    assert_eq!(last, Happening::PlanEnds(f, 0));
    assert!(ends >= NOW + (24.0 * MONTH) as Minute && ends < NOW + (36.0 * MONTH) as Minute);
    let expected: Vec<(Minute, Happening)> = (0..)
        .map(|k| NOW + ((3 + 6 * k) as f64 * MONTH) as Minute)
        .take_while(|&at| at < ends)
        .map(|at| (at, Happening::PlanReviewDue(f, 0)))
        .collect();
    assert!(expected.len() >= 4, "reviews at 3, 9, 15 and 21 months");
    assert_eq!(reviews, &expected[..]);
}

/// No plan starts for a child within a day of 18, whatever the conference's probability.
#[test]
fn no_plan_starts_for_a_child_within_a_day_of_18() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.plan_probability = ALWAYS;
    }));
    let f = b.awaiting_conference(T0, family(Need::Low, HIGH_RISK, 17));
    let now = b.family(f).turns_18_at(f) - DAY / 2;
    let d = b.decide(now, Happening::ConferenceDue(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::ConferenceHeld {
                family: f,
                plan: false
            },
            closed(f, ClosureReason::AfterEnquiry),
        ]
    );
}

/// A plan ends stepping down to family help, or in the letter before proceedings, as forced.
#[test]
fn a_plan_ends_by_stepping_down_or_in_the_letter_before_proceedings() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.step_down_probability = ALWAYS;
    }));
    let f = b.on_plan(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::PlanEnds(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::PlanEnded {
                family: f,
                step_down: true
            },
            Event::FamilyHelpStarted { family: f },
        ]
    );
    assert_eq!(d.schedule, b.help_follow_ups(f, 0, NOW));

    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.step_down_probability = NEVER;
    }));
    let f = b.on_plan(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.step(NOW, Happening::PlanEnds(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::PlanEnded {
                family: f,
                step_down: false
            },
            Event::PreProceedingsStarted { family: f },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::PreProceedingsEnd(f, 0));
    assert!(d.schedule[0].0 >= NOW + DAY);
    // The plan is over: its end and reviews still on the agenda are stale.
    for what in [Happening::PlanEnds(f, 0), Happening::PlanReviewDue(f, 0)] {
        assert!(b.decide(NOW, what).events.is_empty(), "{what:?}");
    }
}

/// A review conference is recorded only while the plan (of that episode) goes on.
#[test]
fn a_review_is_held_only_while_the_plan_goes_on() {
    let mut b = Bench::staffed(scenario(|_| {}));
    let f = b.on_plan(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::PlanReviewDue(f, 0));
    assert_eq!(d.events, vec![Event::PlanReviewed { family: f }]);
    assert!(d.schedule.is_empty());
    assert!(b
        .decide(NOW, Happening::PlanReviewDue(f, 1))
        .events
        .is_empty());
}

// ---------------------------------------------------------- family network

/// FGDM accepted at a plan's start is held, naming kin, with a coordinator for the set weeks.
#[test]
fn fgdm_at_a_plan_start_is_held_with_a_coordinator_for_the_scenario_weeks() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.plan_probability = ALWAYS;
        s.family_network.offer_at_plan = ALWAYS;
        s.family_network.acceptance_probability = ALWAYS;
        s.family_network.kin_named_probability = ALWAYS;
    }));
    let mut a = family(Need::Moderate, HIGH_RISK, 5);
    a.network = 10_000;
    let f = b.awaiting_conference(T0, a);
    let d = b.step(NOW, Happening::ConferenceDue(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::ConferenceHeld {
                family: f,
                plan: true
            },
            Event::PlanStarted { family: f },
            Event::FgdmOffered {
                family: f,
                accepted: true
            },
            Event::FgdmHeld {
                family: f,
                kin_named: true
            },
        ]
    );
    assert_eq!(
        d.schedule[0],
        (NOW + 12 * WEEK, Happening::CoordinationEnds(f, 0))
    );
    assert_eq!(b.state.coordinators.active, 1);
    let d = b.step(NOW + 12 * WEEK, Happening::CoordinationEnds(f, 0));
    assert_eq!(d.events, vec![Event::FgdmCoordinationEnded { family: f }]);
    assert_eq!(b.state.coordinators.active, 0);
}

/// FGDM that would be offered is unavailable when no coordinator has room.
#[test]
fn fgdm_is_unavailable_when_no_coordinator_has_room() {
    let mut b = Bench::staffed(scenario(|s| {
        s.child_protection.plan_probability = ALWAYS;
        s.family_network.offer_at_plan = ALWAYS;
        s.family_network.coordinators_fte = NONE;
    }));
    let f = b.awaiting_conference(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::ConferenceDue(f, 0));
    assert_eq!(d.events[2..], [Event::FgdmUnavailable { family: f }]);
}

/// A package is paid its drawn amount in budget, refused (line spent) on a short rationed line.
#[test]
fn a_support_package_is_paid_within_budget_and_refused_when_a_rationed_line_cannot_pay() {
    for (pounds, paid) in [(1e9, true), (0.01, false)] {
        let mut b = Bench::staffed(scenario(|s| {
            s.child_protection.plan_probability = ALWAYS;
            s.family_network.offer_at_plan = ALWAYS;
            s.family_network.acceptance_probability = ALWAYS;
            s.family_network.kin_named_probability = NEVER;
            s.family_network.fnsp_probability = ALWAYS;
            s.budget.fnsp.pounds_per_year = NonNegative(pounds);
            s.budget.fnsp.when_spent = WhenSpent::Ration;
        }));
        let f = b.awaiting_conference(T0, family(Need::Moderate, HIGH_RISK, 5));
        let mut s = Streams::new(SEED).stream(Purpose::FamilyNetwork, u64::from(f.0), 0);
        for _ in 0..4 {
            s.uniform();
        }
        let mean = b.model.scenario.family_network.fnsp_mean_pounds.get();
        let pence = (s.exponential(mean) * 100.0).round().max(1.0) as u64;
        assert!(pence > 1, "more than the small budget");
        let d = b.decide(NOW, Happening::ConferenceDue(f, 0));
        let package = if paid {
            vec![Event::FnspPaid { family: f, pence }]
        } else {
            vec![
                Event::FnspRefused { family: f },
                Event::BudgetExhausted {
                    line: BudgetLine::Fnsp,
                },
            ]
        };
        assert_eq!(d.events[4..], package[..], "budget £{pounds}");
    }
}

// ------------------------------------------------------------- proceedings

/// Proceedings issued with removal bring the child into care under an interim care order.
#[test]
fn proceedings_issued_with_removal_bring_the_child_into_care_under_an_interim_order() {
    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.issue_probability = ALWAYS;
        s.proceedings.removal_at_issue = ALWAYS;
    }));
    let f = b.in_pre_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.step(NOW, Happening::PreProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::ProceedingsIssued { family: f },
            Event::EnteredCare {
                family: f,
                route: CareRoute::Proceedings,
                placement: Placement::InHouseFoster,
                weekly_pence: 64_600,
                children: 1
            },
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::InterimCareOrder
            },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::ProceedingsEnd(f, 0));
    assert!(d.schedule[0].0 >= NOW + DAY);
    // Under an interim order the proceedings decide the way out.
    assert!(b
        .decide(NOW + DAY, Happening::LeavesCare(f, 0))
        .events
        .is_empty());
}

/// Pre-proceedings not issued step down to help, or the child goes to kin a family plan named.
#[test]
fn pre_proceedings_without_issue_step_down_or_go_to_kin_named_by_a_family_plan() {
    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.issue_probability = NEVER;
    }));
    let f = b.in_pre_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    assert!(b
        .decide(NOW, Happening::PreProceedingsEnd(f, 1))
        .events
        .is_empty());
    let d = b.decide(NOW, Happening::PreProceedingsEnd(f, 0));
    assert_eq!(d.events, vec![Event::FamilyHelpStarted { family: f }]);
    assert_eq!(d.schedule, b.help_follow_ups(f, 0, NOW));

    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.issue_probability = ALWAYS;
        s.family_network.proceedings_reduction = ALWAYS;
        s.family_network.kin_care_when_diverted = ALWAYS;
    }));
    let f = b.in_pre_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    b.apply(
        T0,
        &[
            Event::FgdmOffered {
                family: f,
                accepted: true,
            },
            Event::FgdmHeld {
                family: f,
                kin_named: true,
            },
        ],
    );
    let d = b.decide(NOW, Happening::PreProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::KinshipArrangementMade {
                family: f,
                order: FinalOrder::ChildArrangements
            },
            closed(f, ClosureReason::KinshipArrangement),
        ]
    );
}

/// A final order at home: supervision → help, special guardianship → kin, care order → care.
#[test]
fn a_final_order_for_a_child_at_home_decides_where_the_child_lives() {
    let order_only = |order: FinalOrder| {
        scenario(move |s| {
            only_order(&mut s.proceedings.orders_at_home, order);
            s.care.years_in_care_mean = Positive(2.0);
        })
    };
    let ended = |family, order| Event::ProceedingsEnded { family, order };

    let mut b = Bench::staffed(order_only(FinalOrder::Supervision));
    let f = b.in_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    assert!(b
        .decide(NOW, Happening::ProceedingsEnd(f, 1))
        .events
        .is_empty());
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::Supervision),
            Event::FamilyHelpStarted { family: f },
        ]
    );

    let mut b = Bench::staffed(order_only(FinalOrder::SpecialGuardianship));
    let f = b.in_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::SpecialGuardianship),
            Event::KinshipArrangementMade {
                family: f,
                order: FinalOrder::SpecialGuardianship
            },
            closed(f, ClosureReason::KinshipArrangement),
        ]
    );

    let mut b = Bench::staffed(order_only(FinalOrder::CareOrder));
    let f = b.in_proceedings(T0, family(Need::Moderate, HIGH_RISK, 5));
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::CareOrder),
            Event::EnteredCare {
                family: f,
                route: CareRoute::Proceedings,
                placement: Placement::InHouseFoster,
                weekly_pence: 64_600,
                children: 1
            },
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::CareOrder
            },
        ]
    );
    assert_eq!(
        d.schedule,
        vec![(NOW + b.drawn_stay(f, 0, NOW), Happening::LeavesCare(f, 0))]
    );
}

/// A final order in care keeps or ends the stay; no placement order over the adoption age.
#[test]
fn a_final_order_for_a_child_in_care_keeps_or_ends_the_stay() {
    let order_only = |order: FinalOrder| {
        scenario(move |s| {
            only_order(&mut s.proceedings.orders_in_care, order);
            s.care.years_in_care_mean = Positive(2.0);
        })
    };
    let ended = |family, order| Event::ProceedingsEnded { family, order };

    let mut b = Bench::staffed(order_only(FinalOrder::CareOrder));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::InterimCareOrder,
    );
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::CareOrder),
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::CareOrder
            },
        ]
    );
    let leaves = (T0 + b.drawn_stay(f, 0, T0)).max(NOW + DAY);
    assert_eq!(d.schedule, vec![(leaves, Happening::LeavesCare(f, 0))]);

    let mut b = Bench::staffed(order_only(FinalOrder::SpecialGuardianship));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::InterimCareOrder,
    );
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::SpecialGuardianship),
            Event::LeftCare {
                family: f,
                exit: CareExit::SpecialGuardianship
            },
            closed(f, ClosureReason::SpecialGuardianship),
        ]
    );

    let mut b = Bench::staffed(order_only(FinalOrder::PlacementOrder));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 10),
        LegalStatus::InterimCareOrder,
    );
    assert!(10 > b.model.scenario.care.adoption_max_age);
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert_eq!(
        d.events,
        vec![
            ended(f, FinalOrder::Supervision),
            Event::LeftCare {
                family: f,
                exit: CareExit::Reunified
            },
            closed(f, ClosureReason::Reunified),
        ]
    );
}

/// Emergency protection runs out into proceedings, section 20 or home, as forced.
#[test]
fn emergency_protection_runs_out_into_proceedings_section_20_or_home() {
    let after = |issue: Probability, s20: Probability| {
        scenario(move |s| {
            s.proceedings.issue_after_emergency = issue;
            s.proceedings.section20_after_emergency = s20;
            s.care.years_in_care_mean = Positive(2.0);
            s.care.voluntary_years_in_care_mean = Some(Positive(1.0));
        })
    };
    let mut b = Bench::staffed(after(ALWAYS, NEVER));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::PoliceProtection,
    );
    let d = b.decide(NOW, Happening::EmergencyEnds(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::ProceedingsIssued { family: f },
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::InterimCareOrder
            },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::ProceedingsEnd(f, 0));

    let mut b = Bench::staffed(after(NEVER, ALWAYS));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::EmergencyProtection,
    );
    let d = b.decide(NOW, Happening::EmergencyEnds(f, 0));
    assert_eq!(
        d.events,
        vec![Event::LegalStatusChanged {
            family: f,
            legal: LegalStatus::Section20
        }]
    );
    // The section 20 stay: the drawn stay scaled to the section 20 mean (1 of 2 years).
    let stay = ((b.drawn_stay(f, 0, T0) as f64 * 0.5) as Minute).max(DAY);
    assert_eq!(d.schedule, vec![(NOW + stay, Happening::LeavesCare(f, 0))]);

    let mut b = Bench::staffed(after(NEVER, NEVER));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::PoliceProtection,
    );
    let d = b.decide(NOW, Happening::EmergencyEnds(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::LeftCare {
                family: f,
                exit: CareExit::Reunified
            },
            closed(f, ClosureReason::Reunified),
        ]
    );
    let g = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 5),
        LegalStatus::CareOrder,
    );
    assert!(b
        .decide(NOW, Happening::EmergencyEnds(g, 0))
        .events
        .is_empty());
}

// -------------------------------------------------------------------- care

/// Leaving care is scheduled at entry + the stay drawn with the scenario's mean years in care.
#[test]
fn time_in_care_is_the_drawn_stay_with_the_scenario_mean() {
    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.orders_at_home.care_order = ALL;
        s.proceedings.orders_at_home.special_guardianship = NONE;
        s.proceedings.orders_at_home.child_arrangements = NONE;
        s.proceedings.orders_at_home.supervision = NONE;
        s.care.years_in_care_mean = Positive(3.0);
    }));
    let f = b.in_proceedings(T0, family(Need::Moderate, HIGH_RISK, 0));
    let mut s = Streams::new(SEED).stream(Purpose::Care, u64::from(f.0), 0);
    let _emergency = s.uniform();
    let _placement = s.uniform();
    let stay = (s.exponential(3.0 * AGE_YEAR as f64) as Minute).max(DAY);
    let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
    assert!(
        NOW + stay < b.family(f).turns_18_at(f),
        "not cut by the 18th birthday"
    );
    assert_eq!(d.schedule, vec![(NOW + stay, Happening::LeavesCare(f, 0))]);
}

/// Over 4,000 children the mean scheduled time in care is years_in_care_mean (within 4%).
#[test]
fn mean_time_in_care_over_many_children_matches_the_scenario() {
    let mean_years = 1.0;
    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.orders_at_home.care_order = ALL;
        s.proceedings.orders_at_home.special_guardianship = NONE;
        s.proceedings.orders_at_home.child_arrangements = NONE;
        s.proceedings.orders_at_home.supervision = NONE;
        s.care.years_in_care_mean = Positive(mean_years);
    }));
    let n = 4_000;
    let families: Vec<FamilyId> = (0..n)
        .map(|_| b.in_proceedings(T0, family(Need::Moderate, HIGH_RISK, 0)))
        .collect();
    let mut total = 0.0;
    for f in families {
        let d = b.decide(NOW, Happening::ProceedingsEnd(f, 0));
        let [(leaves, Happening::LeavesCare(g, 0))] = d.schedule[..] else {
            panic!("one way out of care is scheduled, not {:?}", d.schedule);
        };
        assert_eq!(g, f);
        total += (leaves - NOW) as f64 / AGE_YEAR as f64;
    }
    let mean = total / f64::from(n);
    assert!(
        (mean - mean_years).abs() < 0.04 * mean_years,
        "mean time in care {mean:.4} years, expected {mean_years}"
    );
}

/// A child leaves care as its legal status, its draw, or its 18th birthday says.
#[test]
fn a_child_leaves_care_by_the_way_its_status_or_the_draw_says() {
    let only = |exit: CareExit| {
        scenario(move |s| {
            s.care.exit.reunification = if exit == CareExit::Reunified {
                ALL
            } else {
                NONE
            };
            s.care.exit.special_guardianship = if exit == CareExit::SpecialGuardianship {
                ALL
            } else {
                NONE
            };
            s.care.exit.adoption = NONE;
        })
    };
    let cases = [
        (
            CareExit::Reunified,
            LegalStatus::CareOrder,
            5,
            CareExit::Reunified,
        ),
        (
            CareExit::SpecialGuardianship,
            LegalStatus::CareOrder,
            5,
            CareExit::SpecialGuardianship,
        ),
        (
            CareExit::SpecialGuardianship,
            LegalStatus::PlacementOrder,
            2,
            CareExit::Adopted,
        ),
        (
            CareExit::SpecialGuardianship,
            LegalStatus::Section20,
            5,
            CareExit::Reunified,
        ),
    ];
    for (drawn, legal, age, exit) in cases {
        let mut b = Bench::staffed(only(drawn));
        let f = b.in_care(T0, family(Need::Moderate, HIGH_RISK, age), legal);
        assert!(b.decide(NOW, Happening::LeavesCare(f, 1)).events.is_empty());
        let d = b.step(NOW, Happening::LeavesCare(f, 0));
        assert_eq!(
            d.events,
            vec![
                Event::LeftCare { family: f, exit },
                closed(f, exit.closure()),
            ],
            "{legal:?}"
        );
        // Out of care: the placement costs nothing more.
        assert_eq!(
            b.state.owed(BudgetLine::Placements, NOW + WEEK),
            b.state.owed(BudgetLine::Placements, NOW)
        );
    }
    let mut b = Bench::staffed(only(CareExit::Reunified));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 17),
        LegalStatus::CareOrder,
    );
    let adult = b.family(f).turns_18_at(f);
    let d = b.decide(adult, Happening::LeavesCare(f, 0));
    assert_eq!(
        d.events,
        vec![
            Event::LeftCare {
                family: f,
                exit: CareExit::Aged18
            },
            closed(f, ClosureReason::Aged18),
        ]
    );
}

/// Section 20 after needs unmet takes the child alone, for the stay scaled to the s20 mean.
#[test]
fn section_20_after_needs_unmet_accommodates_the_child_alone_for_the_voluntary_stay() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.need_met_probability = NEVER;
        s.care.voluntary_when_needs_unmet = AgeShares {
            under_13: ALWAYS,
            teenagers: ALWAYS,
        };
        s.care.voluntary_siblings_together = NEVER;
        s.care.years_in_care_mean = Positive(2.0);
        s.care.voluntary_years_in_care_mean = Some(Positive(1.0));
    }));
    let mut a = family(Need::Moderate, LOW_RISK, 5);
    a.children = 2;
    a.eldest_age = 8;
    let f = b.in_help(T0, a);
    let d = b.decide(NOW, Happening::HelpEnds(f, 0, T0));
    assert_eq!(
        d.events,
        vec![
            Event::FamilyHelpEnded {
                family: f,
                outcome: HelpOutcome::NeedUnmet
            },
            Event::EnteredCare {
                family: f,
                route: CareRoute::Voluntary,
                placement: Placement::InHouseFoster,
                weekly_pence: 64_600,
                children: 1
            },
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::Section20
            },
        ]
    );
    let stay = ((b.drawn_stay(f, 0, NOW) as f64 * 0.5) as Minute).max(DAY);
    assert_eq!(d.schedule, vec![(NOW + stay, Happening::LeavesCare(f, 0))]);
}

/// Brothers and sisters come into care together; an older one leaves on their 18th birthday.
#[test]
fn brothers_and_sisters_come_into_care_together_and_an_older_one_leaves_at_18() {
    let mut b = Bench::staffed(scenario(|s| {
        s.proceedings.issue_probability = ALWAYS;
        s.proceedings.removal_at_issue = ALWAYS;
    }));
    let mut a = family(Need::Moderate, HIGH_RISK, 2);
    a.children = 3;
    a.eldest_age = 16;
    let f = b.in_pre_proceedings(T0, a);
    let d = b.step(NOW, Happening::PreProceedingsEnd(f, 0));
    assert!(d.events.contains(&Event::EnteredCare {
        family: f,
        route: CareRoute::Proceedings,
        placement: Placement::InHouseFoster,
        weekly_pence: 64_600,
        children: 3
    }));
    let fam = b.family(f).clone();
    let birthdays: Vec<Minute> = d
        .schedule
        .iter()
        .filter(|(_, h)| *h == Happening::SiblingTurns18(f, 0))
        .map(|&(at, _)| at)
        .collect();
    assert_eq!(
        birthdays,
        vec![fam.child_turns_18_at(f, 1), fam.child_turns_18_at(f, 2)]
    );
    let eldest = fam.child_turns_18_at(f, 2);
    assert!(b
        .decide(eldest - 1, Happening::SiblingTurns18(f, 0))
        .events
        .is_empty());
    let d = b.step(eldest, Happening::SiblingTurns18(f, 0));
    assert_eq!(d.events, vec![Event::SiblingLeftCare { family: f }]);
    assert_eq!(b.family(f).in_care, 2);
}

/// An unaccompanied child (14 to 17) is accommodated alone under section 20 until 18.
#[test]
fn an_unaccompanied_child_is_accommodated_under_section_20_until_18() {
    let b = Bench::staffed(scenario(|s| {
        let t = &mut s.care.placement_teenagers;
        t.kinship = NONE;
        t.in_house_foster = NONE;
        t.agency_foster = NONE;
        t.residential = ALL;
    }));
    let exact = NOW * 1_000_000;
    let d = b.decide(NOW, Happening::UnaccompaniedArrival(exact, 0));
    let f = FamilyId(0);
    let Event::UnaccompaniedChildArrived { family, attributes } = d.events[0] else {
        panic!("an arrival first, not {:?}", d.events[0]);
    };
    assert_eq!(family, f);
    assert!((14..=17).contains(&attributes.youngest_age));
    assert_eq!(attributes.eldest_age, attributes.youngest_age);
    assert_eq!(
        (attributes.children, attributes.need, attributes.network),
        (1, Need::High, 0)
    );
    assert_eq!(
        d.events[1..],
        [
            Event::EnteredCare {
                family: f,
                route: CareRoute::Unaccompanied,
                placement: Placement::Residential,
                weekly_pence: 610_000,
                children: 1
            },
            Event::LegalStatusChanged {
                family: f,
                legal: LegalStatus::Section20
            },
        ]
    );
    let adult = Family::new(attributes, Stage::Between, NOW).turns_18_at(f);
    assert_eq!(d.schedule.len(), 2);
    assert!(matches!(
        d.schedule[0].1,
        Happening::UnaccompaniedArrival(next, 1) if next > exact
    ));
    assert_eq!(d.schedule[1], (adult, Happening::LeavesCare(f, 0)));
}

// ------------------------------------------------------- starting caseload

/// A starting caseload opens one family per count, in stage order, each with its next happening.
#[test]
fn a_starting_caseload_opens_each_family_in_its_stage_with_its_next_happening() {
    let mut b = Bench::new(scenario(|s| {
        s.starting_caseload = Some(StartingCaseload {
            waiting_for_help: 1,
            in_family_help: 1,
            in_enquiry: 1,
            awaiting_conference: 1,
            on_plan: 1,
            looked_after: 1,
            pre_proceedings: 1,
            ..Default::default()
        });
        s.escalation.per_year_while_waiting = NonNegative(12.0);
        s.escalation.disengagement_per_year = NonNegative(12.0);
    }));
    let d = b.step(0, Happening::Start);
    let threshold = b.model.significant_harm_risk();
    let opened: Vec<_> = d
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::FamilyOpened {
                family,
                attributes,
                stage,
                placement,
            } => Some((family, attributes, stage, placement)),
            _ => None,
        })
        .collect();
    assert_eq!(
        opened.iter().map(|o| (o.0, o.2)).collect::<Vec<_>>(),
        OpenStage::ALL
            .into_iter()
            .enumerate()
            .map(|(i, s)| (FamilyId(i as u32), s))
            .collect::<Vec<_>>()
    );
    for &(f, a, stage, placement) in &opened {
        match stage {
            OpenStage::WaitingForHelp | OpenStage::InHelp => assert!(a.need >= Need::Moderate),
            _ => assert!(a.risk >= threshold, "{stage:?}"),
        }
        assert_eq!(placement.is_some(), stage == OpenStage::LookedAfter);
        if let Some((p, pence)) = placement {
            assert_eq!(pence, weekly_pence(&b.model.scenario, p));
        }
        let next: &[Happening] = match stage {
            OpenStage::WaitingForHelp => &[Happening::WaitEnds(f, 0, 0)],
            OpenStage::InHelp => &[Happening::HelpEnds(f, 0, 0)],
            OpenStage::InEnquiry => &[Happening::S47Ends(f, 0)],
            OpenStage::AwaitingConference => &[Happening::ConferenceDue(f, 0)],
            OpenStage::OnPlan => &[Happening::PlanEnds(f, 0)],
            OpenStage::LookedAfter => &[Happening::LeavesCare(f, 0)],
            OpenStage::PreProceedings => {
                &[Happening::LetterSent(f), Happening::PreProceedingsEnd(f, 0)]
            }
        };
        for h in next {
            assert!(
                d.schedule.iter().any(|(_, s)| s == h),
                "{stage:?}: {h:?} is not scheduled"
            );
        }
    }
    assert!(d.schedule.contains(&(0, Happening::FamilyHelpRoom)));
    let stages = [
        Stage::WaitingForHelp,
        Stage::InHelp,
        Stage::InEnquiry,
        Stage::AwaitingConference,
        Stage::OnPlan,
        Stage::InCare,
        Stage::PreProceedings,
    ];
    for (i, stage) in stages.into_iter().enumerate() {
        assert_eq!(b.family(FamilyId(i as u32)).stage, stage);
    }
}

// ------------------------------------------------------------------ policy

/// A dated policy adding posts is scheduled, recorded, recruits to them and looks for room.
#[test]
fn a_policy_adding_posts_recruits_to_them_and_looks_for_room() {
    assert_eq!(Scenario::default_scenario().family_help.fte.get(), 99.0);
    let toml = familyflow::model::scenario::DEFAULT_SCENARIO
        .replace("burn_in_years = 20", "burn_in_years = 0")
        + "\n[[policy]]\ndate = 2025-04-01\nfamily_help.fte = 110\n";
    let mut s = Scenario::parse(&toml, "policy.toml").expect("a valid scenario");
    s.workforce.family_help.agency_share = NEVER;
    s.workforce.family_help.agency_cover = NEVER;
    let mut b = Bench::new(s);
    let started = b.step(0, Happening::Start);
    assert!(started.events.contains(&Event::StaffStarted {
        pool: Pool::FamilyHelp,
        permanent: 99,
        agency: 0
    }));
    let at = b
        .model
        .calendar
        .minute_of(CivilDate::new(2025, 4, 1).expect("a date"));
    let mut start = Decisions::default();
    b.model.start(&mut start);
    assert!(start.schedule.contains(&(at, Happening::Policy(1))));

    let d = b.step(at, Happening::Policy(1));
    assert_eq!(b.model.at(at).family_help.fte.get(), 110.0);
    let mut events = vec![Event::PolicyApplied { change: 1 }];
    events.extend((0..11).map(|_| Event::RecruitmentStarted {
        pool: Pool::FamilyHelp,
        agency_cover: false,
    }));
    assert_eq!(d.events, events);
    let (last, hires) = d.schedule.split_last().expect("scheduled");
    assert_eq!(*last, (at, Happening::FamilyHelpRoom));
    assert_eq!(
        hires.iter().map(|&(_, h)| h).collect::<Vec<_>>(),
        (0..11)
            .map(|v| Happening::Hired(Pool::FamilyHelp, v))
            .collect::<Vec<_>>()
    );
    assert!(hires.iter().all(|&(t, _)| t > at));
    // Posts under recruitment without agency cover hold no cases yet.
    assert_eq!(b.state.capacity(Pool::FamilyHelp), 99 * 12);
}

// --------------------------------------------------------------- workforce

/// At the start posts are filled, the agency share covering vacancies under recruitment.
#[test]
fn staff_take_up_their_posts_with_the_agency_share_covering_vacancies() {
    let b = Bench::new(scenario(|s| {
        s.family_help.fte = NonNegative(10.0);
        s.workforce.family_help.agency_share = Probability(0.2);
    }));
    let d = b.decide(0, Happening::Start);
    let started: Vec<Event> = Pool::ALL
        .into_iter()
        .map(|pool| {
            let (fte, share) = fte_and_agency_share(&b.model.scenario, pool);
            let posts = fte.ceil() as u32;
            let agency = (f64::from(posts) * share).round() as u32;
            Event::StaffStarted {
                pool,
                permanent: posts - agency,
                agency,
            }
        })
        .collect();
    assert_eq!(d.events, started);
    assert_eq!(
        started[1],
        Event::StaffStarted {
            pool: Pool::FamilyHelp,
            permanent: 8,
            agency: 2
        }
    );
    let family_help: Vec<Happening> = d
        .schedule
        .iter()
        .map(|&(_, h)| h)
        .filter(|h| {
            matches!(
                h,
                Happening::MayLeave(Pool::FamilyHelp, ..) | Happening::Hired(Pool::FamilyHelp, _)
            )
        })
        .collect();
    let mut expected: Vec<Happening> = (0..8)
        .map(|w| Happening::MayLeave(Pool::FamilyHelp, w, 0))
        .collect();
    expected.extend((0..2).map(|v| Happening::Hired(Pool::FamilyHelp, v)));
    assert_eq!(family_help, expected);
}

/// A leaving candidate is accepted never at zero attrition and always at the highest rate.
#[test]
fn a_worker_leaves_only_when_the_thinned_candidate_is_accepted() {
    let mut b = Bench::staffed(scenario(|s| {
        s.triage.fte = NonNegative(1.0);
        s.triage.caseload_cap = 1;
        let fd = &mut s.workforce.front_door;
        fd.agency_share = NEVER;
        fd.agency_cover = NEVER;
        fd.attrition_per_year = NONE;
        fd.attrition_per_year_at_full_caseload = NonNegative(2.0);
        let fh = &mut s.workforce.family_help;
        fh.attrition_per_year = NONE;
        fh.attrition_per_year_at_full_caseload = NONE;
    }));
    let d = b.decide(NOW, Happening::MayLeave(Pool::FamilyHelp, 3, 0));
    assert!(d.events.is_empty());
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::MayLeave(Pool::FamilyHelp, 3, 1));
    assert!(d.schedule[0].0 > NOW);

    // An empty front door: nobody leaves at the rate of an empty caseload (0).
    let d = b.decide(NOW, Happening::MayLeave(Pool::FrontDoor, 0, 0));
    assert!(d.events.is_empty());
    // Two referrals for one place: load 2, the leaving rate at its highest.
    b.referred(T0, family(Need::Low, LOW_RISK, 5));
    b.referred(T0, family(Need::Low, LOW_RISK, 5));
    assert_eq!(b.state.load(Pool::FrontDoor), 2.0);
    let d = b.decide(NOW, Happening::MayLeave(Pool::FrontDoor, 0, 0));
    assert_eq!(
        d.events,
        vec![
            Event::StaffLeft {
                pool: Pool::FrontDoor
            },
            Event::RecruitmentStarted {
                pool: Pool::FrontDoor,
                agency_cover: false
            },
        ]
    );
    assert_eq!(d.schedule.len(), 1);
    assert_eq!(d.schedule[0].1, Happening::Hired(Pool::FrontDoor, 0));
}

/// A hire joins the pool (family help looks for room) unless the post was filled meanwhile.
#[test]
fn a_hire_joins_unless_the_post_was_filled_meanwhile() {
    let mut b = Bench::staffed(scenario(|s| {
        s.family_help.fte = NonNegative(10.0);
        s.workforce.family_help.agency_share = Probability(0.2);
    }));
    let d = b.decide(NOW, Happening::Hired(Pool::FamilyHelp, 0));
    assert_eq!(
        d.events,
        vec![Event::StaffJoined {
            pool: Pool::FamilyHelp
        }]
    );
    assert_eq!(d.schedule.len(), 2);
    assert_eq!(d.schedule[0].1, Happening::MayLeave(Pool::FamilyHelp, 8, 0));
    assert_eq!(d.schedule[1], (NOW, Happening::FamilyHelpRoom));

    // Two apprentices qualify into the two vacant posts.
    let pool = Pool::FamilyHelp;
    b.apply(
        T0,
        &[
            Event::ApprenticesStarted { pool, count: 2 },
            Event::ApprenticeQualified { pool },
            Event::ApprenticeQualified { pool },
        ],
    );
    let d = b.decide(NOW, Happening::Hired(pool, 0));
    assert_eq!(d.events, vec![Event::RecruitmentCancelled { pool }]);
    assert!(d.schedule.is_empty());
}

/// Apprentices start each 1 April for the set years, then qualify or withdraw as forced.
#[test]
fn apprentices_start_in_april_and_qualify_or_withdraw_as_forced() {
    for completion in [ALWAYS, NEVER] {
        let mut b = Bench::staffed(scenario(|s| {
            let fh = &mut s.workforce.family_help;
            fh.apprentices_per_year = 3;
            fh.apprentice_years = Positive(1.0);
            fh.apprentice_completion = completion;
        }));
        let april = b
            .model
            .calendar
            .minute_of(CivilDate::new(2025, 4, 1).expect("a date"));
        let d = b.step(april, Happening::YearStart);
        assert_eq!(
            d.events,
            vec![Event::ApprenticesStarted {
                pool: Pool::FamilyHelp,
                count: 3
            }]
        );
        let ends = april + 365 * DAY;
        // The first 3 started on the first day.
        assert_eq!(
            d.schedule,
            (3..6)
                .map(|a| (ends, Happening::TrainingEnds(Pool::FamilyHelp, a)))
                .collect::<Vec<_>>()
        );
        let d = b.decide(ends, Happening::TrainingEnds(Pool::FamilyHelp, 3));
        let pool = Pool::FamilyHelp;
        if completion == ALWAYS {
            assert_eq!(d.events, vec![Event::ApprenticeQualified { pool }]);
            assert!(d.schedule.contains(&(ends, Happening::FamilyHelpRoom)));
        } else {
            assert_eq!(d.events, vec![Event::ApprenticeWithdrew { pool }]);
            assert!(d.schedule.is_empty());
        }
    }
}

/// A rationed workforce line that cannot pay takes no apprentices and records it is spent.
#[test]
fn a_rationed_workforce_line_that_cannot_pay_takes_no_apprentices() {
    let b = Bench::new(scenario(|s| {
        s.workforce.front_door.apprentices_per_year = 2;
        s.budget.workforce.pounds_per_year = NONE;
        s.budget.workforce.when_spent = WhenSpent::Ration;
    }));
    let d = b.decide(0, Happening::Start);
    assert_eq!(d.events.len(), 6, "{:?}", d.events);
    assert!(d.events[..5]
        .iter()
        .all(|e| matches!(e, Event::StaffStarted { .. })));
    assert_eq!(
        d.events[5],
        Event::BudgetExhausted {
            line: BudgetLine::Workforce
        }
    );
    assert!(!d
        .schedule
        .iter()
        .any(|(_, h)| matches!(h, Happening::TrainingEnds(..))));
}

// ------------------------------------------------------------------ ledger

/// A month's end settles each line's staff costs to the penny and schedules the next.
#[test]
fn a_month_end_settles_staff_costs_to_the_penny() {
    // £52,560 a year is 10p a minute; with the 50% agency premium, 15p.
    let mut b = Bench::new(scenario(|s| {
        for pool in [
            &mut s.workforce.front_door,
            &mut s.workforce.family_help,
            &mut s.workforce.child_protection,
            &mut s.workforce.lead_practitioners,
            &mut s.workforce.fgdm_coordinators,
        ] {
            pool.salary_pounds_per_year = NonNegative(52_560.0);
            pool.agency_premium = NonNegative(0.5);
        }
    }));
    let start = b.step(0, Happening::Start);
    let mut per_minute = [0u64; 5];
    for e in &start.events {
        if let Event::StaffStarted {
            pool,
            permanent,
            agency,
        } = *e
        {
            per_minute[pool.line() as usize] += u64::from(permanent) * 10 + u64::from(agency) * 15;
        }
    }
    let may = b.model.calendar.next_month_start(0);
    let now = may - 1;
    let d = b.step(now, Happening::MonthEnd);
    let expected: Vec<Event> = [
        BudgetLine::FamilyHelp,
        BudgetLine::Fgdm,
        BudgetLine::Workforce,
    ]
    .into_iter()
    .map(|line| Event::Spent {
        line,
        pence: per_minute[line as usize] * now,
    })
    .collect();
    assert_eq!(d.events, expected);
    assert_eq!(
        d.schedule,
        vec![(
            b.model.calendar.next_month_start(may) - 1,
            Happening::MonthEnd
        )]
    );
    for line in [
        BudgetLine::FamilyHelp,
        BudgetLine::Fgdm,
        BudgetLine::Workforce,
    ] {
        assert_eq!(b.state.owed(line, now), 0, "{line:?} settled");
    }
}

/// A month's end settles placements by the week per child and records an overspend once.
#[test]
fn a_month_end_settles_placements_and_records_an_overspent_line_once() {
    let mut b = Bench::new(scenario(|s| {
        s.budget.placements.pounds_per_year = NonNegative(1_000.0);
    }));
    let mut a = family(Need::Moderate, HIGH_RISK, 5);
    a.children = 2;
    a.eldest_age = 7;
    b.in_care(T0, a, LegalStatus::CareOrder);
    let d = b.step(T0 + WEEK, Happening::MonthEnd);
    assert_eq!(
        d.events,
        vec![
            Event::Spent {
                line: BudgetLine::Placements,
                pence: 2 * 64_600
            },
            Event::BudgetExhausted {
                line: BudgetLine::Placements
            },
        ]
    );
    let d = b.step(T0 + 2 * WEEK, Happening::MonthEnd);
    assert_eq!(
        d.events,
        vec![Event::Spent {
            line: BudgetLine::Placements,
            pence: 2 * 64_600
        }]
    );
    let d = b.decide(T0 + 2 * WEEK, Happening::MonthEnd);
    assert!(d.events.is_empty(), "nothing more is owed");
}

/// Leaving care at 18 with `care.leaving_care`: the young person is
/// recorded as a care leaver; one leaving foster care stays put (at the
/// scenario's share), until 21 at the latest, paid on the placements line;
/// a mentored one without a lasting relationship gains one at the
/// scenario's rate.
#[test]
fn a_young_person_leaving_foster_care_at_18_stays_put_until_21_at_the_latest() {
    let leaving = |stay: Probability, mentor: Probability| LeavingCare {
        staying_put_share: stay,
        staying_close_share: NEVER,
        years_mean: Positive(3.0),
        staying_put_weekly_pounds: NonNegative(280.0),
        staying_close_weekly_pounds: NonNegative(350.0),
        lasting_relationship_share: NEVER,
        mentoring_share: mentor,
        mentoring_lasting_relationship: ALWAYS,
        mentoring_weekly_pounds: NonNegative(40.0),
    };
    let mut b = Bench::staffed(scenario(|s| {
        s.care.leaving_care = Some(leaving(ALWAYS, NEVER));
    }));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 17),
        LegalStatus::CareOrder,
    );
    let adult = b.family(f).turns_18_at(f);
    let owed = b.state.owed(BudgetLine::Placements, adult);
    let d = b.step(adult, Happening::LeavesCare(f, 0));
    assert_eq!(
        d.events[..3],
        [
            Event::LeftCare {
                family: f,
                exit: CareExit::Aged18
            },
            Event::CareLeaver {
                family: f,
                lasting_relationship: false
            },
            Event::LeavingCareSupportStarted {
                family: f,
                support: LeavingCareSupport::StayingPut,
                weekly_pence: 28_000
            },
        ]
    );
    let ends: Vec<Minute> = d
        .schedule
        .iter()
        .filter(|(_, h)| matches!(h, Happening::LeavingCareSupportEnds(..)))
        .map(|&(at, _)| at)
        .collect();
    assert_eq!(ends.len(), 1, "{:?}", d.schedule);
    assert!(ends[0] > adult && ends[0] <= adult + 3 * AGE_YEAR);
    // Staying put costs £280 a week on the placements line.
    let week_later = b.state.owed(BudgetLine::Placements, adult + WEEK)
        - b.state.owed(BudgetLine::Placements, adult);
    assert!(
        owed > 0 && (27_990..=28_010).contains(&week_later),
        "{week_later}"
    );
    let d = b.step(
        ends[0],
        Happening::LeavingCareSupportEnds(LeavingCareSupport::StayingPut, 28_000),
    );
    assert_eq!(
        d.events,
        vec![Event::LeavingCareSupportEnded {
            support: LeavingCareSupport::StayingPut,
            weekly_pence: 28_000
        }]
    );
    assert_eq!(
        b.state.leaving_care.unwrap()[LeavingCareSupport::StayingPut],
        0
    );

    // Nobody stays put at share 0; a mentored young person gains a
    // lasting relationship at rate 1.
    let mut b = Bench::staffed(scenario(|s| {
        s.care.leaving_care = Some(leaving(NEVER, ALWAYS));
    }));
    let f = b.in_care(
        T0,
        family(Need::Moderate, HIGH_RISK, 17),
        LegalStatus::CareOrder,
    );
    let adult = b.family(f).turns_18_at(f);
    let d = b.decide(adult, Happening::LeavesCare(f, 0));
    assert_eq!(
        d.events[1..3],
        [
            Event::CareLeaver {
                family: f,
                lasting_relationship: true
            },
            Event::LeavingCareSupportStarted {
                family: f,
                support: LeavingCareSupport::Mentoring,
                weekly_pence: 4_000
            },
        ]
    );
}
