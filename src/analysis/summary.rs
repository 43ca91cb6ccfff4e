//! The run summary: what a modeller reads, as text and as JSON.
//!
//! Built from the metrics and the final state only, so a replay of the log
//! prints exactly what the run printed.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::analysis::text::{printable, write_csv_record};
use crate::model::calendar::DAY;
use crate::model::demographics::{EthnicGroup, Sex};
use crate::model::event::LeavingCareSupport;
use crate::model::event::{
    BudgetLine, CareExit, CareRoute, ClosureReason, FinalOrder, HelpOutcome, LegalStatus,
    Placement, Pool, TriageDecision,
};
use crate::model::per::{AgeBand, PerPlacement, PerSupport};
use crate::model::projection::{Metrics, PeriodCounts, StaffAtEnd, Who, WhoCounts, AGE_BANDS};
use crate::model::scenario::{Scenario, WhenSpent};
use crate::model::state::State;

/// A labelled count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// What was counted.
    pub what: String,
    /// How many.
    pub count: u64,
}

/// Referrals over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Referrals {
    /// All referrals, counted as England counts them: one for each child
    /// under 18 in the family referred.
    pub total: u64,
    /// First referrals of new families (families, not children).
    pub new_families: u64,
    /// Referrals of families referred before (families, not children).
    pub rereferrals: u64,
    /// Referrals per 10,000 children per year.
    pub per_10k_children_per_year: f64,
    /// Share of referrals within 12 months of the family's previous referral, %.
    pub rereferred_within_12_months_pct: f64,
}

/// The front door over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// Decisions by kind.
    pub decisions: Vec<Count>,
    /// Share decided within 1 working day, %.
    pub within_1_working_day_pct: f64,
}

/// Family help over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FamilyHelp {
    /// Practitioners (FTE).
    pub fte: f64,
    /// Families the team can hold at once.
    pub capacity: u32,
    /// Families who had to join the waiting list.
    pub queued: u64,
    /// Families who started help.
    pub started: u64,
    /// Mean wait before help started, days (0 for those who did not wait),
    /// rounded to 0.01 day; `wait_minutes_total` is exact.
    pub mean_wait_days: f64,
    /// Total minutes waited by the families who started help (exact).
    pub wait_minutes_total: u64,
    /// Families who started help after waiting on the list.
    pub started_after_waiting: u64,
    /// Families on the waiting list whose concerns escalated: a new referral.
    pub escalated: u64,
    /// Families who left the waiting list without help.
    pub disengaged: u64,
    /// Longest wait, days.
    pub max_wait_days: f64,
    /// Mean families on the waiting list.
    pub mean_waiting: f64,
    /// Longest waiting list.
    pub max_waiting: u64,
    /// Assessments completed.
    pub assessments: u64,
    /// Share completed within 45 working days of the referral, %.
    pub assessments_within_45_working_days_pct: f64,
    /// Mean families in help at once.
    pub mean_families_in_help: f64,
    /// Mean families per practitioner.
    pub mean_caseload_per_fte: f64,
    /// How ended spells ended.
    pub outcomes: Vec<Count>,
}

/// Child protection over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChildProtection {
    /// Section 47 enquiries started.
    pub s47_enquiries: u64,
    /// Section 47 enquiries per 10,000 children per year.
    pub s47_per_10k_children_per_year: f64,
    /// Initial child protection conferences.
    pub conferences: u64,
    /// Share held within 15 working days of the strategy discussion, %.
    pub conferences_within_15_working_days_pct: f64,
    /// Plans started.
    pub plans_started: u64,
    /// Plans started per 10,000 children per year.
    pub plans_started_per_10k_children_per_year: f64,
    /// Plans that ended by stepping down to family help.
    pub plans_stepped_down: u64,
    /// Plans that ended in pre-proceedings / care proceedings.
    pub plans_to_proceedings: u64,
    /// Enquiries led by a lead child protection practitioner.
    pub enquiries_led_by_lead_practitioners: u64,
    /// Mean working days from the strategy discussion to the initial conference.
    pub mean_working_days_to_conference: f64,
}

/// Care over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Care {
    /// Children who came into care, by placement.
    pub entries: Vec<Count>,
    /// Entries per 10,000 children per year.
    pub entries_per_10k_children_per_year: f64,
    /// Children who left care, by way out.
    pub exits: Vec<Count>,
    /// Children looked after at the end, by placement.
    pub looked_after_at_end: Vec<Count>,
    /// Children looked after at the end per 10,000 children.
    pub looked_after_per_10k_children: f64,
    /// Share of children looked after at the end who live with kin, %.
    pub kinship_share_pct: f64,
    /// Spent on placements over the run, in pence.
    pub placement_spend_pence: u64,
    /// Referrals whose 12-month mark fell inside the run.
    pub referrals_followed_up_12_months: u64,
    /// Share of them whose child was not looked after 12 months after the referral, %.
    pub at_home_12_months_after_referral_pct: f64,
    /// Letters before proceedings sent (pre-proceedings started).
    pub pre_proceedings_started: u64,
    /// Care proceedings issued.
    pub proceedings_issued: u64,
    /// Final orders of care proceedings, by order.
    pub final_orders: Vec<Count>,
    /// Children who went to live with kin outside care (a child
    /// arrangements or special guardianship order, or an arrangement agreed
    /// with the family), not counting children leaving care to kin.
    pub kinship_arrangements_outside_care: u64,
    /// Children who came into care, by route.
    pub entries_by_route: Vec<Count>,
    /// Children who came into care, by legal status at entry.
    pub entries_by_legal_status: Vec<Count>,
    /// Children who came into care, by age band at entry.
    pub entries_by_age: Vec<Count>,
    /// Unaccompanied asylum-seeking children who arrived.
    pub unaccompanied_arrivals: u64,
    /// Days in care over the run, summed over children (exact, in days).
    pub child_days_in_care: f64,
    /// Placement sufficiency (zero without a scenario's `[placements]`).
    #[serde(default)]
    pub sufficiency: Sufficiency,
    /// Young people leaving care at 18 (zero without `care.leaving_care`).
    #[serde(default)]
    pub leaving_care: LeavingCareSummary,
}

/// Young people who left care at 18 and their support.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeavingCareSummary {
    /// Young people who left care at 18.
    pub care_leavers: u64,
    /// Of those, with a lasting relationship with a trusted adult, %.
    pub lasting_relationship_pct: f64,
    /// Staying put arrangements started.
    pub staying_put_started: u64,
    /// Staying close arrangements started.
    pub staying_close_started: u64,
    /// Care leavers mentored.
    pub mentored: u64,
    /// Care leavers in each kind of support at the end.
    pub in_support_at_end: PerSupport<u64>,
    /// Spent on care leavers' support over the measured run, in pence (on
    /// the placements line).
    pub spend_pence: u64,
}

/// Where children in care were placed, how often they moved, and the
/// council's own foster carers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sufficiency {
    /// Children placed, at entry to care and at each move.
    pub placements_made: u64,
    /// Of those, placed outside the area, %.
    pub placed_out_of_area_pct: f64,
    /// Children who moved placement.
    pub placement_moves: u64,
    /// Moves per child-year in care.
    pub placement_moves_per_child_year: f64,
    /// Children looked after outside the area at the end.
    pub out_of_area_at_end: u64,
    /// Looked-after children with independent fostering agency carers at the end, %.
    pub agency_foster_share_pct: f64,
    /// Looked-after children in children's homes at the end, %.
    pub residential_share_pct: f64,
    /// Approved places with the council's own foster carers at the end.
    pub in_house_foster_places_at_end: u64,
    /// Placement costs by type over the measured run, in pence (accrued
    /// to the end; the placements line's spending, by type).
    #[serde(default)]
    pub spend_by_placement_pence: PerPlacement<u64>,
    /// Of the placements made, in a regional care co-operative's places, %.
    #[serde(default)]
    pub placed_in_cooperative_pct: f64,
    /// Children looked after in a co-operative's places at the end.
    #[serde(default)]
    pub in_cooperative_at_end: u64,
    /// Children placed with kin whose 12-month mark fell within the run.
    #[serde(default)]
    pub kinship_placements_due_12_months: u64,
    /// Of those, still with kin at 12 months or gone home, to an order or
    /// to adulthood without a breakdown, %.
    #[serde(default)]
    pub kinship_sustained_12_months_pct: f64,
}

/// Family networks over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FamilyNetwork {
    /// Family group decision-making offered.
    pub fgdm_offered: u64,
    /// Family group conferences held.
    pub fgdm_held: u64,
    /// Family-led plans naming kinship carers.
    pub kin_named: u64,
    /// Support packages paid.
    pub fnsp_paid: u64,
    /// Paid in packages, in pence.
    pub fnsp_pence: u64,
    /// Packages refused because the year's budget was spent.
    pub fnsp_refused: u64,
    /// FGDM not offered because no coordinator had room.
    pub fgdm_unavailable: u64,
}

/// One staff pool over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffPoolSummary {
    /// The pool.
    pub pool: String,
    /// Funded FTE at the end.
    pub fte: f64,
    /// People and cases at the end.
    pub at_end: StaffAtEnd,
    /// Posts vacant at the end (not filled, not covered).
    pub vacant_at_end: u32,
    /// Share of workers in post at the end who are agency workers, %.
    pub agency_share_at_end_pct: f64,
    /// Cases per worker in post at the end.
    pub caseload_per_worker_at_end: f64,
    /// Permanent staff who left.
    pub left: u64,
    /// Permanent staff recruited.
    pub joined: u64,
    /// Apprentices who started.
    pub apprentices_started: u64,
    /// Apprentices who qualified into the pool.
    pub apprentices_qualified: u64,
    /// Leavers a year per permanent worker (mean of month ends), %.
    pub turnover_pct_per_year: f64,
}

/// One budget line over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetLineSummary {
    /// The line.
    pub line: String,
    /// Its budget per financial year at the start, in pence.
    pub budget_pence_per_year: u64,
    /// `ration` or `overspend`.
    pub when_spent: String,
    /// Spent over the run, in pence.
    pub spent_pence: u64,
    /// Financial years in which the line's money ran out.
    pub years_exhausted: u64,
    /// Each financial year of the run: the budget in force on its last day
    /// (policy changes included) and what was spent, in pence.
    pub by_year: Vec<YearSpend>,
}

/// One budget line in one financial year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YearSpend {
    /// The financial year, e.g. `2024-25`.
    pub period: String,
    /// The budget in force on its last day, in pence.
    pub budget_pence: u64,
    /// Spent in it, in pence.
    pub spent_pence: u64,
}

/// Where families were when the run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AtEnd {
    /// Awaiting a front-door decision.
    pub awaiting_triage: u64,
    /// On the family help waiting list.
    pub waiting_for_help: u64,
    /// In family help.
    pub in_help: u64,
    /// Closed, with a re-referral to come after the run's end.
    pub closed_to_return: u64,
    /// In a section 47 enquiry.
    pub in_enquiry: u64,
    /// Awaiting an initial child protection conference.
    pub awaiting_conference: u64,
    /// On a child protection plan.
    pub on_plan: u64,
    /// Looked after (in care).
    pub in_care: u64,
    /// In pre-proceedings.
    pub pre_proceedings: u64,
    /// In care proceedings, the child at home.
    pub in_proceedings_at_home: u64,
    /// Children on a child protection plan (the families' children under
    /// 18 when the plans started).
    pub children_on_plan: u64,
    /// Children looked after (a family's sibling group counts each child).
    pub children_looked_after: u64,
}

/// Everything a run reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// familyflow's version.
    pub familyflow: String,
    /// The scenario's name.
    pub scenario: String,
    /// Where the scenario came from.
    pub scenario_source: String,
    /// The seed.
    pub seed: u64,
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
    /// Children in the area.
    pub children: u64,
    /// The policy timeline: `date: note` for each change.
    pub policy: Vec<String>,
    /// Families already open when the run started.
    pub starting_caseload: u64,
    /// Their children under 18 (a per-child denominator for a cohort).
    pub starting_caseload_children: u64,
    /// Events in the run.
    pub events: u64,
    /// Hash of the final state (hex).
    pub state_hash: String,
    /// Referrals.
    pub referrals: Referrals,
    /// The front door.
    pub triage: Triage,
    /// Family help.
    pub family_help: FamilyHelp,
    /// Child protection.
    pub child_protection: ChildProtection,
    /// Family networks.
    pub family_network: FamilyNetwork,
    /// Care.
    pub care: Care,
    /// Case closures by reason.
    pub closures: Vec<Count>,
    /// Where families were at the end.
    pub at_end: AtEnd,
    /// Staff pools.
    pub workforce: Vec<StaffPoolSummary>,
    /// The funding ledger.
    pub budget: Vec<BudgetLineSummary>,
    /// Counts by financial year.
    pub by_financial_year: Vec<PeriodCounts>,
    /// Children by who they are (age band, sex, major ethnic group), by
    /// financial year: referred, starting a plan, starting to be looked
    /// after, and looked after at 31 March.
    #[serde(default)]
    pub characteristics_by_financial_year: Vec<WhoCounts>,
    /// Counts by calendar month.
    pub by_month: Vec<PeriodCounts>,
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        no_negative_zero((part as f64 * 1000.0 / whole as f64).round() / 10.0)
    }
}

fn round2(x: f64) -> f64 {
    no_negative_zero((x * 100.0).round() / 100.0)
}

/// `x`, with -0 (from rounding a tiny negative, or a scenario's `-0.0`) as
/// 0: JSON readers print `-0.0` otherwise.
fn no_negative_zero(x: f64) -> f64 {
    x + 0.0
}

impl Summary {
    /// The summary of a finished run (or replay).
    pub fn new(
        scenario: &Scenario,
        source: &str,
        seed: u64,
        metrics: &Metrics,
        state: &State,
    ) -> Summary {
        let cal = metrics.calendar();
        let end_day = cal.date(metrics.end.saturating_sub(1));
        let referrals = metrics.total(|y| y.referrals);
        let measured = metrics.end.saturating_sub(metrics.measured_from);
        let years = measured as f64 / (365.0 * DAY as f64);
        let decided: u64 = TriageDecision::ALL
            .iter()
            .map(|d| metrics.triage_total(*d))
            .sum();
        let started = metrics.total(|y| y.family_help_started);
        let assessments = metrics.total(|y| y.assessments);
        let span = measured.max(1) as f64;
        let mean_active = metrics.active_minutes as f64 / span;
        let stages = state.stage_counts();
        let per_10k_year =
            |n: u64| round2(n as f64 / years.max(1e-9) / scenario.area.children as f64 * 10_000.0);
        let conferences = metrics.total(|y| y.conferences);
        // Staffing as in force at the end (policy changes included).
        let staffing = scenario.timeline().map_or_else(
            |_| scenario.staffing(),
            |v| v.last().map_or(scenario.staffing(), |(_, s)| s.staffing()),
        );
        let fh_fte = staffing[Pool::FamilyHelp].fte;
        Summary {
            familyflow: crate::VERSION.to_string(),
            scenario: scenario.name.clone(),
            scenario_source: source.to_string(),
            seed,
            start: cal.date(metrics.measured_from).to_string(),
            end: end_day.to_string(),
            children: scenario.area.children,
            policy: scenario
                .policy
                .iter()
                .map(|c| {
                    if c.note.is_empty() {
                        format!("{}: policy change", c.date)
                    } else {
                        format!("{}: {}", c.date, c.note)
                    }
                })
                .collect(),
            starting_caseload: metrics.opened,
            starting_caseload_children: metrics.opened_children,
            events: metrics.events,
            state_hash: format!("{:016x}", state.hash()),
            referrals: Referrals {
                total: referrals,
                new_families: metrics.new_families,
                rereferrals: metrics.rereferrals,
                per_10k_children_per_year: per_10k_year(referrals),
                rereferred_within_12_months_pct: pct(
                    metrics.total(|y| y.rereferrals_within_12_months),
                    referrals,
                ),
            },
            triage: Triage {
                decisions: TriageDecision::ALL
                    .iter()
                    .map(|d| Count {
                        what: d.label().into(),
                        count: metrics.triage_total(*d),
                    })
                    .collect(),
                within_1_working_day_pct: pct(
                    metrics.total(|y| y.triage_within_1_working_day),
                    decided,
                ),
            },
            family_help: FamilyHelp {
                fte: fh_fte,
                capacity: state.family_help.capacity,
                queued: metrics.help_queued,
                started,
                mean_wait_days: round2(
                    metrics.wait_minutes as f64 / started.max(1) as f64 / DAY as f64,
                ),
                wait_minutes_total: metrics.wait_minutes,
                started_after_waiting: metrics.help_started_after_waiting,
                escalated: metrics.total(|y| y.escalations),
                disengaged: metrics.total(|y| y.disengaged),
                max_wait_days: round2(metrics.max_wait as f64 / DAY as f64),
                mean_waiting: round2(metrics.waiting_minutes as f64 / span),
                max_waiting: metrics.max_waiting,
                assessments,
                assessments_within_45_working_days_pct: pct(
                    metrics.total(|y| y.assessments_within_45_working_days),
                    assessments,
                ),
                mean_families_in_help: round2(mean_active),
                mean_caseload_per_fte: if fh_fte > 0.0 {
                    round2(mean_active / fh_fte)
                } else {
                    0.0
                },
                outcomes: HelpOutcome::ALL
                    .iter()
                    .map(|o| Count {
                        what: o.label().into(),
                        count: metrics.ended(*o),
                    })
                    .collect(),
            },
            child_protection: ChildProtection {
                s47_enquiries: metrics.total(|y| y.s47_enquiries),
                s47_per_10k_children_per_year: per_10k_year(metrics.total(|y| y.s47_enquiries)),
                conferences,
                conferences_within_15_working_days_pct: pct(
                    metrics.total(|y| y.conferences_within_15_working_days),
                    conferences,
                ),
                plans_started: metrics.total(|y| y.plans_started),
                plans_started_per_10k_children_per_year: per_10k_year(
                    metrics.total(|y| y.plans_started),
                ),
                plans_stepped_down: metrics.plans_stepped_down,
                plans_to_proceedings: metrics.plans_to_proceedings,
                enquiries_led_by_lead_practitioners: metrics.total(|y| y.lead_enquiries),
                mean_working_days_to_conference: if conferences > 0 {
                    round2(
                        metrics.total(|y| y.conference_working_minutes) as f64
                            / conferences as f64
                            / DAY as f64,
                    )
                } else {
                    0.0
                },
            },
            family_network: FamilyNetwork {
                fgdm_offered: metrics.total(|y| y.fgdm_offered),
                fgdm_held: metrics.total(|y| y.fgdm_held),
                kin_named: metrics.total(|y| y.kin_named),
                fnsp_paid: metrics.total(|y| y.fnsp_paid),
                fnsp_pence: metrics.total(|y| y.fnsp_pence),
                fnsp_refused: metrics.total(|y| y.fnsp_refused),
                fgdm_unavailable: metrics.total(|y| y.fgdm_unavailable),
            },
            care: {
                let in_care = metrics.in_care();
                let looked_after: u64 = in_care.iter().sum();
                let entries = metrics.total(|y| y.care_entries_total());
                Care {
                    entries: Placement::ALL
                        .iter()
                        .map(|p| Count {
                            what: p.label().into(),
                            count: metrics.total(|y| y.care_entries[*p]),
                        })
                        .collect(),
                    entries_per_10k_children_per_year: per_10k_year(entries),
                    exits: [
                        (CareExit::Reunified, "returned home"),
                        (CareExit::SpecialGuardianship, "special guardianship / CAO"),
                        (CareExit::Adopted, "adopted"),
                        (CareExit::Aged18, "turned 18"),
                    ]
                    .iter()
                    .map(|(e, what)| Count {
                        what: (*what).into(),
                        count: metrics.left_care(*e),
                    })
                    .collect(),
                    looked_after_at_end: Placement::ALL
                        .iter()
                        .map(|p| Count {
                            what: p.label().into(),
                            count: in_care[*p],
                        })
                        .collect(),
                    looked_after_per_10k_children: round2(
                        looked_after as f64 / scenario.area.children as f64 * 10_000.0,
                    ),
                    kinship_share_pct: pct(in_care[Placement::Kinship], looked_after),
                    placement_spend_pence: metrics.total(|y| y.placement_spend_pence()),
                    referrals_followed_up_12_months: metrics.total(|y| y.followed_up_12_months),
                    at_home_12_months_after_referral_pct: pct(
                        metrics.total(|y| y.at_home_12_months_later),
                        metrics.total(|y| y.followed_up_12_months),
                    ),
                    pre_proceedings_started: metrics.total(|y| y.pre_proceedings_started),
                    proceedings_issued: metrics.total(|y| y.proceedings_issued),
                    final_orders: FinalOrder::ALL
                        .iter()
                        .map(|o| Count {
                            what: o.label().into(),
                            count: metrics.total(|y| y.final_orders[*o]),
                        })
                        .collect(),
                    kinship_arrangements_outside_care: metrics.total(|y| y.kinship_arrangements),
                    entries_by_route: CareRoute::ALL
                        .iter()
                        .map(|r| Count {
                            what: r.label().into(),
                            count: metrics.total(|y| y.care_entries_by_route[*r]),
                        })
                        .collect(),
                    entries_by_legal_status: LegalStatus::ALL
                        .iter()
                        .map(|l| Count {
                            what: l.label().into(),
                            count: metrics.total(|y| y.care_entries_by_legal_status[*l]),
                        })
                        .collect(),
                    entries_by_age: AgeBand::ALL
                        .iter()
                        .zip(AGE_BANDS)
                        .map(|(&band, what)| Count {
                            what: what.into(),
                            count: metrics.total(|y| y.care_entries_by_age[band]),
                        })
                        .collect(),
                    unaccompanied_arrivals: metrics.unaccompanied_arrivals,
                    child_days_in_care: metrics.in_care_minutes as f64 / DAY as f64,
                    leaving_care: {
                        let leavers = metrics.total(|y| y.care_leavers);
                        let started = |k: LeavingCareSupport| {
                            metrics.total(|y| y.leaving_care_support_started[k])
                        };
                        LeavingCareSummary {
                            care_leavers: leavers,
                            lasting_relationship_pct: pct(
                                metrics.total(|y| y.care_leavers_lasting_relationship),
                                leavers,
                            ),
                            staying_put_started: started(LeavingCareSupport::StayingPut),
                            staying_close_started: started(LeavingCareSupport::StayingClose),
                            mentored: started(LeavingCareSupport::Mentoring),
                            in_support_at_end: state
                                .leaving_care
                                .map(|c| c.map(|&n| u64::from(n)))
                                .unwrap_or_default(),
                            spend_pence: (metrics.leaving_care_spend
                                / u128::from(crate::model::calendar::WEEK))
                                as u64,
                        }
                    },
                    sufficiency: {
                        let made = metrics.total(|y| y.placements_made);
                        let moves = metrics.total(|y| y.placement_moves);
                        let child_years = metrics.in_care_minutes as f64 / (365.0 * DAY as f64);
                        Sufficiency {
                            placements_made: made,
                            placed_out_of_area_pct: pct(
                                metrics.total(|y| y.placed_out_of_area),
                                made,
                            ),
                            placement_moves: moves,
                            placement_moves_per_child_year: if child_years > 0.0 {
                                round2(moves as f64 / child_years)
                            } else {
                                0.0
                            },
                            out_of_area_at_end: metrics.out_of_area,
                            agency_foster_share_pct: pct(
                                in_care[Placement::AgencyFoster],
                                looked_after,
                            ),
                            residential_share_pct: pct(
                                in_care[Placement::Residential],
                                looked_after,
                            ),
                            in_house_foster_places_at_end: state
                                .places
                                .as_ref()
                                .map_or(0, |p| u64::from(p.in_house_approved)),
                            spend_by_placement_pence: metrics
                                .spend_by_placement
                                .map(|pm| (pm / u128::from(crate::model::calendar::WEEK)) as u64),
                            placed_in_cooperative_pct: pct(
                                metrics.total(|y| y.placed_in_cooperative),
                                made,
                            ),
                            kinship_placements_due_12_months: metrics
                                .total(|y| y.kinship_placements_due_12_months),
                            kinship_sustained_12_months_pct: {
                                let due = metrics.total(|y| y.kinship_placements_due_12_months);
                                let broke = metrics.total(|y| y.kinship_broke_within_12_months);
                                pct(due.saturating_sub(broke), due)
                            },
                            in_cooperative_at_end: state
                                .cooperative
                                .as_ref()
                                .map_or(0, |c| c.placed.iter().map(|&n| u64::from(n)).sum()),
                        }
                    },
                }
            },
            closures: ClosureReason::ALL
                .iter()
                .map(|r| Count {
                    what: r.label().into(),
                    count: metrics.closed(*r),
                })
                .collect(),
            at_end: AtEnd {
                awaiting_triage: stages[0],
                waiting_for_help: stages[1],
                in_help: stages[2],
                closed_to_return: stages[4],
                in_enquiry: stages[5],
                awaiting_conference: stages[6],
                on_plan: stages[7],
                in_care: stages[8],
                pre_proceedings: stages[9],
                in_proceedings_at_home: stages[10],
                children_on_plan: metrics.on_plan(),
                children_looked_after: metrics.in_care().iter().sum(),
            },
            workforce: {
                let now = StaffAtEnd::of(state);
                Pool::ALL
                    .iter()
                    .map(|&pool| {
                        let a = now[pool];
                        let in_post = a.permanent + a.agency;
                        let permanent_months: Vec<u32> = metrics
                            .months
                            .iter()
                            .filter_map(|m| m.staff_at_end.map(|s| s[pool].permanent))
                            .collect();
                        let mean_permanent = if permanent_months.is_empty() {
                            f64::from(a.permanent)
                        } else {
                            permanent_months.iter().map(|&p| f64::from(p)).sum::<f64>()
                                / permanent_months.len() as f64
                        };
                        let left = metrics.total(|y| y.staff_left[pool]);
                        StaffPoolSummary {
                            pool: pool.label().into(),
                            fte: staffing[pool].fte,
                            at_end: a,
                            vacant_at_end: a.vacant(),
                            agency_share_at_end_pct: pct(u64::from(a.agency), u64::from(in_post)),
                            caseload_per_worker_at_end: if in_post == 0 {
                                0.0
                            } else {
                                round2(f64::from(a.cases) / f64::from(in_post))
                            },
                            left,
                            joined: metrics.total(|y| y.staff_joined[pool]),
                            apprentices_started: metrics.total(|y| y.apprentices_started[pool]),
                            apprentices_qualified: metrics.total(|y| y.apprentices_qualified[pool]),
                            turnover_pct_per_year: if mean_permanent > 0.0 {
                                round2(left as f64 / years.max(1e-9) / mean_permanent * 100.0)
                            } else {
                                0.0
                            },
                        }
                    })
                    .collect()
            },
            budget: BudgetLine::ALL
                .iter()
                .map(|&line| {
                    let l = scenario.budget.lines()[line];
                    let versions = scenario
                        .timeline()
                        .unwrap_or_else(|_| vec![(scenario.start, scenario.clone())]);
                    let in_force = |day: crate::model::calendar::CivilDate| {
                        let v = versions.partition_point(|(from, _)| *from <= day);
                        versions[v.saturating_sub(1)].1.budget.lines()[line].pence()
                    };
                    BudgetLineSummary {
                        line: line.label().into(),
                        budget_pence_per_year: l.pence(),
                        when_spent: match l.when_spent {
                            WhenSpent::Ration => "ration",
                            WhenSpent::Overspend => "overspend",
                        }
                        .into(),
                        spent_pence: metrics.total(|y| y.spend_pence[line]),
                        years_exhausted: metrics
                            .years
                            .iter()
                            .filter(|y| y.budget_exhausted[line] > 0)
                            .count() as u64,
                        by_year: metrics
                            .years
                            .iter()
                            .map(|y| {
                                let first: i32 = y.period[..4].parse().unwrap_or(0);
                                let last_day =
                                    crate::model::calendar::CivilDate::new(first + 1, 3, 31)
                                        .map_or(end_day, |d| d.min(end_day));
                                YearSpend {
                                    period: y.period.clone(),
                                    budget_pence: in_force(last_day),
                                    spent_pence: y.spend_pence[line],
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
            by_financial_year: metrics.years.clone(),
            characteristics_by_financial_year: metrics.who_years.clone(),
            by_month: metrics.months.clone(),
        }
    }

    /// The last 31 March of the run with its children looked after (`31
    /// March 2027`, and who they were), if the run reached one.
    pub fn last_looked_after(&self) -> Option<(String, &Who)> {
        self.characteristics_by_financial_year
            .iter()
            .rev()
            .find_map(|y| Some((march_31(&y.period), y.looked_after_at_end.as_ref()?)))
    }

    /// The summary as JSON (`json`) or as text: what `run`, `replay` and `branch` print.
    pub fn render(&self, json: bool) -> String {
        if json {
            self.to_json()
        } else {
            self.to_text()
        }
    }

    /// The summary as pretty JSON (with a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a summary always serialises");
        s.push('\n');
        s
    }

    /// The summary as a modeller reads it in a terminal.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let r = &self.referrals;
        let t = &self.triage;
        let h = &self.family_help;
        // Text from the scenario (or from a log someone else wrote) reaches
        // the terminal only through `printable`: no escape sequences.
        let _ = writeln!(
            o,
            "familyflow {} — {}",
            printable(&self.familyflow),
            printable(&self.scenario)
        );
        let _ = writeln!(
            o,
            "{} to {} · {} children · seed {} · {} events · state {}",
            printable(&self.start),
            printable(&self.end),
            thousands(self.children),
            self.seed,
            thousands(self.events),
            printable(&self.state_hash)
        );
        if self.starting_caseload > 0 {
            let _ = writeln!(
                o,
                "started with {} families ({} children) already open",
                thousands(self.starting_caseload),
                thousands(self.starting_caseload_children)
            );
        }
        for change in &self.policy {
            let _ = writeln!(o, "policy from {}", printable(change));
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "Referrals");
        let _ = writeln!(
            o,
            "  {:<44}{:>12}   ({} per 10,000 children a year)",
            "referrals (children)",
            thousands(r.total),
            fixed(r.per_10k_children_per_year, 0)
        );
        row(
            &mut o,
            "  families referred for the first time",
            thousands(r.new_families),
        );
        row(
            &mut o,
            "  families referred before",
            thousands(r.rereferrals),
        );
        row(
            &mut o,
            "re-referred within 12 months",
            format!("{}%", fixed(r.rereferred_within_12_months_pct, 1)),
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Front door");
        for c in &t.decisions {
            row(&mut o, &c.what, thousands(c.count));
        }
        row(
            &mut o,
            "decided within 1 working day",
            format!("{}%", fixed(t.within_1_working_day_pct, 1)),
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Family help ({} FTE, room for {} families)",
            fixed(h.fte, 1),
            thousands(u64::from(h.capacity))
        );
        row(&mut o, "families started", thousands(h.started));
        row(&mut o, "had to wait", thousands(h.queued));
        row(&mut o, "mean wait (days)", fixed(h.mean_wait_days, 1));
        row(&mut o, "longest wait (days)", fixed(h.max_wait_days, 1));
        row(
            &mut o,
            "waiting list: mean / longest",
            format!(
                "{} / {}",
                fixed(h.mean_waiting, 1),
                thousands(h.max_waiting)
            ),
        );
        row(&mut o, "assessments completed", thousands(h.assessments));
        row(
            &mut o,
            "  within 45 working days of referral",
            format!("{}%", fixed(h.assessments_within_45_working_days_pct, 1)),
        );
        row(
            &mut o,
            "mean families in help",
            fixed(h.mean_families_in_help, 1),
        );
        row(
            &mut o,
            "mean caseload per FTE",
            fixed(h.mean_caseload_per_fte, 1),
        );
        for c in &h.outcomes {
            row(&mut o, format!("ended: {}", c.what), thousands(c.count));
        }
        row(
            &mut o,
            "left the waiting list: concerns escalated",
            thousands(h.escalated),
        );
        row(
            &mut o,
            "left the waiting list: disengaged",
            thousands(h.disengaged),
        );
        let _ = writeln!(o);
        let c = &self.child_protection;
        let _ = writeln!(o, "Child protection");
        let _ = writeln!(
            o,
            "  {:<44}{:>12}   ({} per 10,000 children a year)",
            "section 47 enquiries",
            thousands(c.s47_enquiries),
            fixed(c.s47_per_10k_children_per_year, 0)
        );
        row(
            &mut o,
            "initial child protection conferences",
            thousands(c.conferences),
        );
        row(
            &mut o,
            "  within 15 working days of strategy discussion",
            format!("{}%", fixed(c.conferences_within_15_working_days_pct, 1)),
        );
        row(
            &mut o,
            "  mean working days from strategy discussion",
            fixed(c.mean_working_days_to_conference, 1),
        );
        let _ = writeln!(
            o,
            "  {:<44}{:>12}   ({} per 10,000 children a year)",
            "child protection plans started",
            thousands(c.plans_started),
            fixed(c.plans_started_per_10k_children_per_year, 0)
        );
        row(
            &mut o,
            "plans ended, stepped down (families)",
            thousands(c.plans_stepped_down),
        );
        row(
            &mut o,
            "plans ended, not stepped down (families)",
            thousands(c.plans_to_proceedings),
        );
        row(
            &mut o,
            "enquiries led by lead practitioners",
            thousands(c.enquiries_led_by_lead_practitioners),
        );
        let _ = writeln!(o);
        let n = &self.family_network;
        let _ = writeln!(o, "Family networks");
        row(
            &mut o,
            "family group decision-making offered",
            thousands(n.fgdm_offered),
        );
        row(
            &mut o,
            "family group conferences held",
            thousands(n.fgdm_held),
        );
        row(
            &mut o,
            "  family-led plans naming kin",
            thousands(n.kin_named),
        );
        row(&mut o, "support packages paid", thousands(n.fnsp_paid));
        row(
            &mut o,
            "  paid in packages",
            format!("£{}", thousands(n.fnsp_pence / 100)),
        );
        row(
            &mut o,
            "support packages refused: budget spent",
            thousands(n.fnsp_refused),
        );
        row(
            &mut o,
            "FGDM not offered: no coordinator free",
            thousands(n.fgdm_unavailable),
        );
        let _ = writeln!(o);
        let k = &self.care;
        let _ = writeln!(o, "Care");
        let entries = total(k.entries.iter().map(|c| c.count));
        let _ = writeln!(
            o,
            "  {:<44}{:>12}   ({} per 10,000 children a year)",
            "children who came into care",
            thousands(entries),
            fixed(k.entries_per_10k_children_per_year, 1)
        );
        for c in &k.entries {
            row(&mut o, format!("  placed: {}", c.what), thousands(c.count));
        }
        for c in &k.entries_by_route {
            row(&mut o, format!("  by: {}", c.what), thousands(c.count));
        }
        for c in &k.entries_by_legal_status {
            row(
                &mut o,
                format!("  legal status: {}", c.what),
                thousands(c.count),
            );
        }
        for c in &k.entries_by_age {
            row(&mut o, format!("  aged {}", c.what), thousands(c.count));
        }
        for c in &k.exits {
            row(&mut o, format!("left care: {}", c.what), thousands(c.count));
        }
        row(
            &mut o,
            "letters before proceedings",
            thousands(k.pre_proceedings_started),
        );
        row(
            &mut o,
            "care proceedings issued",
            thousands(k.proceedings_issued),
        );
        for c in &k.final_orders {
            row(&mut o, format!("  ended: {}", c.what), thousands(c.count));
        }
        row(
            &mut o,
            "went to live with kin outside care",
            thousands(k.kinship_arrangements_outside_care),
        );
        let looked_after = total(k.looked_after_at_end.iter().map(|c| c.count));
        let _ = writeln!(
            o,
            "  {:<44}{:>12}   ({} per 10,000 children; {}% with kin)",
            "looked after at the end",
            thousands(looked_after),
            fixed(k.looked_after_per_10k_children, 1),
            fixed(k.kinship_share_pct, 1)
        );
        row(
            &mut o,
            "not looked after 12 months after referral",
            format!("{}%", fixed(k.at_home_12_months_after_referral_pct, 1)),
        );
        row(
            &mut o,
            "spent on placements",
            format!("£{}", thousands(k.placement_spend_pence / 100)),
        );
        if let Some((day, who)) = self.last_looked_after() {
            let [sex, age, ethnicity] = who_shares(who);
            let _ = writeln!(
                o,
                "  looked after on {day} ({}): {sex}",
                thousands(who.total())
            );
            let _ = writeln!(o, "    aged {age}");
            let _ = writeln!(o, "    {ethnicity}");
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Workforce (at the end; leavers and joiners over the run)"
        );
        let _ = writeln!(
            o,
            "  {:<20}{:>8}{:>8}{:>8}{:>8}{:>8}{:>9}{:>9}{:>10}{:>10}",
            "pool",
            "FTE",
            "perm.",
            "agency",
            "vacant",
            "appr.",
            "leavers",
            "joiners",
            "turnover%",
            "cases/wkr"
        );
        for p in &self.workforce {
            let _ = writeln!(
                o,
                "  {:<20}{:>8}{:>8}{:>8}{:>8}{:>8}{:>9}{:>9}{:>10}{:>10}",
                p.pool,
                fixed(p.fte, 1),
                thousands(u64::from(p.at_end.permanent)),
                thousands(u64::from(p.at_end.agency)),
                thousands(u64::from(p.vacant_at_end)),
                thousands(u64::from(p.at_end.apprentices)),
                thousands(p.left),
                thousands(p.joined.saturating_add(p.apprentices_qualified)),
                fixed(p.turnover_pct_per_year, 1),
                fixed(p.caseload_per_worker_at_end, 1)
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Spending by financial year (£; * over the year's budget)"
        );
        let _ = write!(o, "  {:<9}", "year");
        for b in &self.budget {
            let _ = write!(o, "{:>18}", b.line);
        }
        let _ = writeln!(o);
        let _ = write!(o, "  {:<9}", "budget");
        for b in &self.budget {
            let now = b
                .by_year
                .last()
                .map_or(b.budget_pence_per_year, |y| y.budget_pence);
            let _ = write!(
                o,
                "{:>18}",
                format!(
                    "{} {}",
                    thousands(now / 100),
                    b.when_spent.get(..1).unwrap_or("")
                )
            );
        }
        let _ = writeln!(o);
        for (k, y) in self.by_financial_year.iter().enumerate() {
            let _ = write!(o, "  {:<9}", y.period);
            for b in &self.budget {
                let Some(year) = b.by_year.get(k) else {
                    let _ = write!(o, "{:>18}", "");
                    continue;
                };
                let over = if year.spent_pence > year.budget_pence {
                    "*"
                } else {
                    " "
                };
                let _ = write!(o, "{:>17}{over}", thousands(year.spent_pence / 100));
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(
            o,
            "  (budget: a year, as in force at the end; r rations when spent, o overspends)"
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Cases closed");
        for c in &self.closures {
            row(&mut o, &c.what, thousands(c.count));
        }
        let _ = writeln!(o);
        let e = &self.at_end;
        let _ = writeln!(o, "At the end of the run (families; children where said)");
        row(
            &mut o,
            "awaiting a front-door decision",
            thousands(e.awaiting_triage),
        );
        row(
            &mut o,
            "waiting for family help",
            thousands(e.waiting_for_help),
        );
        row(&mut o, "in family help", thousands(e.in_help));
        row(&mut o, "in a section 47 enquiry", thousands(e.in_enquiry));
        row(
            &mut o,
            "awaiting a conference",
            thousands(e.awaiting_conference),
        );
        row(&mut o, "on a child protection plan", thousands(e.on_plan));
        row(&mut o, "  children", thousands(e.children_on_plan));
        row(&mut o, "in pre-proceedings", thousands(e.pre_proceedings));
        row(
            &mut o,
            "in care proceedings, living at home",
            thousands(e.in_proceedings_at_home),
        );
        row(&mut o, "looked after", thousands(e.in_care));
        row(&mut o, "  children", thousands(e.children_looked_after));
        let _ = writeln!(o);
        let _ = writeln!(o, "By financial year");
        let _ = writeln!(
            o,
            "  {:<9}{:>11}{:>11}{:>10}{:>11}{:>11}{:>10}{:>11}",
            "year",
            "referrals",
            "re-ref<12m",
            "<=1 wd %",
            "help start",
            "assessed",
            "<=45wd %",
            "closures"
        );
        for y in &self.by_financial_year {
            let decided = total(y.triage.iter().copied());
            let _ = writeln!(
                o,
                "  {:<9}{:>11}{:>11}{:>10}{:>11}{:>11}{:>10}{:>11}",
                y.period,
                thousands(y.referrals),
                thousands(y.rereferrals_within_12_months),
                fixed(pct(y.triage_within_1_working_day, decided), 1),
                thousands(y.family_help_started),
                thousands(y.assessments),
                fixed(pct(y.assessments_within_45_working_days, y.assessments), 1),
                thousands(y.closures)
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "Child protection by financial year");
        let _ = writeln!(
            o,
            "  {:<9}{:>11}{:>11}{:>10}{:>11}{:>13}{:>16}",
            "year", "s47", "ICPCs", "<=15wd %", "plans", "plans ended", "on plan 31 Mar"
        );
        for y in &self.by_financial_year {
            let _ = writeln!(
                o,
                "  {:<9}{:>11}{:>11}{:>10}{:>11}{:>13}{:>16}",
                y.period,
                thousands(y.s47_enquiries),
                thousands(y.conferences),
                fixed(pct(y.conferences_within_15_working_days, y.conferences), 1),
                thousands(y.plans_started),
                thousands(y.plans_ended),
                y.on_plan_at_end.map_or("–".to_string(), thousands)
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "Care by financial year");
        let _ = writeln!(
            o,
            "  {:<9}{:>11}{:>11}{:>16}{:>10}{:>18}",
            "year", "entries", "exits", "in care 31 Mar", "kin %", "placements £"
        );
        for y in &self.by_financial_year {
            let (cla, kin) =
                y.looked_after_at_end
                    .map_or(("–".to_string(), "–".to_string()), |c| {
                        let all = total(c.iter().copied());
                        (thousands(all), fixed(pct(c[Placement::Kinship], all), 1))
                    });
            let _ = writeln!(
                o,
                "  {:<9}{:>11}{:>11}{:>16}{:>10}{:>18}",
                y.period,
                thousands(y.care_entries_total()),
                thousands(y.care_exits),
                cla,
                kin,
                thousands(y.placement_spend_pence() / 100)
            );
        }
        o
    }
}

/// The first column names of [`Summary::monthly_csv`]; [`monthly_columns`] has them all.
pub const MONTHLY_COLUMNS: [&str; 38] = [
    "month",
    "referrals",
    "rereferrals_within_12_months",
    "triage_no_further_action",
    "triage_universal_services",
    "triage_family_help",
    "triage_strategy_discussion",
    "triage_within_1_working_day",
    "family_help_started",
    "assessments",
    "assessments_within_45_working_days",
    "s47_enquiries",
    "conferences",
    "conferences_within_15_working_days",
    "plans_started",
    "plans_ended",
    "closures",
    "waiting_for_help_at_month_end",
    "in_family_help_at_month_end",
    "on_plan_at_month_end",
    "care_entries_kinship",
    "care_entries_in_house_foster",
    "care_entries_agency_foster",
    "care_entries_residential",
    "care_exits",
    "looked_after_at_month_end",
    "kinship_at_month_end",
    "in_house_foster_at_month_end",
    "agency_foster_at_month_end",
    "residential_at_month_end",
    "placement_spend_pence",
    "fgdm_offered",
    "fgdm_held",
    "fgdm_kin_named",
    "fnsp_paid",
    "fnsp_pence",
    "fnsp_refused",
    "lead_practitioner_enquiries",
];

/// Every column name of [`Summary::monthly_csv`]: [`MONTHLY_COLUMNS`], then
/// for each staff pool its people and cases at the month's end, leavers and
/// joiners, then the spending of each budget line.
pub fn monthly_columns() -> Vec<String> {
    let mut c: Vec<String> = MONTHLY_COLUMNS.iter().map(|s| s.to_string()).collect();
    c.push("fgdm_unavailable".into());
    c.push("referrals_followed_up_12_months".into());
    c.push("at_home_12_months_after_referral".into());
    for pool in Pool::ALL {
        for what in [
            "posts_at_month_end",
            "permanent_at_month_end",
            "agency_at_month_end",
            "vacant_at_month_end",
            "apprentices_at_month_end",
            "cases_at_month_end",
            "leavers",
            "joiners",
        ] {
            c.push(format!("{}_{what}", pool.key()));
        }
    }
    for line in BudgetLine::ALL {
        c.push(format!("spend_{}_pence", line.key()));
    }
    c
}

impl Summary {
    /// The monthly time series as CSV, one row per calendar month of the run
    /// (end-of-month columns are empty for a month the run did not finish).
    pub fn monthly_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
        let _ = write_csv_record(&mut w, monthly_columns());
        for m in &self.by_month {
            let cla = |p: Placement| opt(m.looked_after_at_end.map(|c| c[p]));
            let mut row: Vec<String> = vec![
                m.period.clone(),
                m.referrals.to_string(),
                m.rereferrals_within_12_months.to_string(),
                m.triage[TriageDecision::NoFurtherAction].to_string(),
                m.triage[TriageDecision::UniversalServices].to_string(),
                m.triage[TriageDecision::FamilyHelp].to_string(),
                m.triage[TriageDecision::StrategyDiscussion].to_string(),
                m.triage_within_1_working_day.to_string(),
                m.family_help_started.to_string(),
                m.assessments.to_string(),
                m.assessments_within_45_working_days.to_string(),
                m.s47_enquiries.to_string(),
                m.conferences.to_string(),
                m.conferences_within_15_working_days.to_string(),
                m.plans_started.to_string(),
                m.plans_ended.to_string(),
                m.closures.to_string(),
                opt(m.waiting_for_help_at_end),
                opt(m.in_family_help_at_end),
                opt(m.on_plan_at_end),
                m.care_entries[Placement::Kinship].to_string(),
                m.care_entries[Placement::InHouseFoster].to_string(),
                m.care_entries[Placement::AgencyFoster].to_string(),
                m.care_entries[Placement::Residential].to_string(),
                m.care_exits.to_string(),
                opt(m.looked_after_at_end.map(|c| total(c.iter().copied()))),
                cla(Placement::Kinship),
                cla(Placement::InHouseFoster),
                cla(Placement::AgencyFoster),
                cla(Placement::Residential),
                m.placement_spend_pence().to_string(),
                m.fgdm_offered.to_string(),
                m.fgdm_held.to_string(),
                m.kin_named.to_string(),
                m.fnsp_paid.to_string(),
                m.fnsp_pence.to_string(),
                m.fnsp_refused.to_string(),
                m.lead_enquiries.to_string(),
                m.fgdm_unavailable.to_string(),
                m.followed_up_12_months.to_string(),
                m.at_home_12_months_later.to_string(),
            ];
            for pool in Pool::ALL {
                let end =
                    |f: fn(&StaffAtEnd) -> u32| opt(m.staff_at_end.map(|s| u64::from(f(&s[pool]))));
                row.extend([
                    end(|s| s.posts),
                    end(|s| s.permanent),
                    end(|s| s.agency),
                    end(StaffAtEnd::vacant),
                    end(|s| s.apprentices),
                    end(|s| s.cases),
                    m.staff_left[pool].to_string(),
                    (m.staff_joined[pool].saturating_add(m.apprentices_qualified[pool]))
                        .to_string(),
                ]);
            }
            row.extend(m.spend_pence.iter().map(|p| p.to_string()));
            let _ = write_csv_record(&mut w, &row);
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).expect("CSV of ASCII fields is UTF-8")
    }
}

/// The sum of `counts`, saturating (a summary read back may hold any counts).
/// `31 March 2027` for the financial year `2026-27`.
fn march_31(year: &str) -> String {
    let first: i32 = year.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    format!("31 March {}", first + 1)
}

/// Children's shares by sex, age band and ethnic group, whole percentages:
/// `["male 55%, female 45%", "under 1 4%, …", "white 69%, …"]`.
pub fn who_shares(who: &Who) -> [String; 3] {
    let n = who.total();
    let share = |what: &str, count: u64| format!("{what} {}%", fixed(pct(count, n), 0));
    [
        Sex::ALL
            .iter()
            .map(|&x| share(x.name(), who.by_sex[x]))
            .collect::<Vec<_>>()
            .join(", "),
        AgeBand::ALL
            .iter()
            .zip(AGE_BANDS)
            .map(|(&b, what)| share(what, who.by_age[b]))
            .collect::<Vec<_>>()
            .join(", "),
        EthnicGroup::ALL
            .iter()
            .map(|&g| share(g.name(), who.by_ethnicity[g]))
            .collect::<Vec<_>>()
            .join(", "),
    ]
}

fn total(counts: impl Iterator<Item = u64>) -> u64 {
    counts.fold(0, u64::saturating_add)
}

/// One line of a summary table: a label and a right-aligned value.
fn row(o: &mut String, label: impl std::fmt::Display, value: impl std::fmt::Display) {
    let _ = writeln!(o, "  {label:<44}{value:>12}");
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` with `decimals` decimals and thousands separators: `1,118.9`.
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{:.decimals$}", x.abs());
    let (whole, frac) = s.split_once('.').map_or((s.as_str(), ""), |(w, f)| (w, f));
    let whole = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_string(), thousands);
    let sign = if x < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(fixed(1118.94, 1), "1,118.9");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-1234.5, 0), "-1,234");
        assert_eq!(fixed(12.0, 0), "12");
    }
}
