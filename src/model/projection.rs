//! Projections: metrics as folds over events.
//!
//! [`fold`] is the one step shared by a live run and a replay: it shows the
//! event to the metrics (with the state as it was before the event) and then
//! applies it to the state. A replay therefore cannot disagree with the run.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::engine::stream::Streams;
use crate::model::calendar::{Calendar, CivilDate, Minute, DAY};
use crate::model::demographics::{self, Characteristics, EthnicGroup, Sex};
use crate::model::event::{
    BudgetLine, CareExit, ClosureReason, Event, FamilyId, HelpOutcome, OpenStage, Placement,
    TriageDecision,
};

/// Age bands at entry to care, as England publishes them: under 1, 1 to 4,
/// 5 to 9, 10 to 15, 16 and over.
pub const AGE_BANDS: [&str; 5] = ["under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"];

use crate::model::per::{
    AgeBand, PerAgeBand, PerClosure, PerEthnicGroup, PerExit, PerLegalStatus, PerLine, PerOrder,
    PerOutcome, PerPlacement, PerPool, PerRoute, PerSex, PerSupport, PerTriage,
};
use crate::model::state::{Family, Inconsistent, Stage, State};

/// Whether `family`'s children are placed outside the area.
fn away(state: &State, family: FamilyId) -> bool {
    state
        .places
        .as_ref()
        .is_some_and(|p| p.away.contains(&family))
}

/// How many of a known family's children are under 18 at `at` (the
/// children a per-child count counts; 1 if the family is unknown).
fn children(state: &State, family: FamilyId, at: Minute) -> u64 {
    state
        .family(family)
        .map_or(1, |f| u64::from(f.children_under_18(family, at)))
}

/// Twelve months, as the re-referral measure counts them.
const YEAR: Minute = 365 * DAY;

/// Counts for one period: a calendar month (`2024-04`) or a financial year (`2024-25`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodCounts {
    /// The period: `2024-04` for a month, `2024-25` for a financial year.
    pub period: String,
    /// Referrals (new families and re-referrals).
    pub referrals: u64,
    /// Re-referrals within 12 months of the family's previous referral.
    pub rereferrals_within_12_months: u64,
    /// Front-door decisions, in [`TriageDecision::ALL`] order.
    pub triage: PerTriage<u64>,
    /// Decisions made within 1 working day of the referral.
    pub triage_within_1_working_day: u64,
    /// Families starting family help.
    pub family_help_started: u64,
    /// Assessments completed.
    pub assessments: u64,
    /// Assessments completed within 45 working days of the referral.
    pub assessments_within_45_working_days: u64,
    /// Cases closed.
    pub closures: u64,
    /// Section 47 enquiries started.
    pub s47_enquiries: u64,
    /// Initial child protection conferences held.
    pub conferences: u64,
    /// Conferences held within 15 working days of the strategy discussion.
    pub conferences_within_15_working_days: u64,
    /// Child protection plans started.
    pub plans_started: u64,
    /// Child protection plans ended (children).
    pub plans_ended: u64,
    /// Families waiting for family help at the period's end (None when the run ended before).
    pub waiting_for_help_at_end: Option<u64>,
    /// Families in family help at the period's end.
    pub in_family_help_at_end: Option<u64>,
    /// Children on a child protection plan at the period's end.
    pub on_plan_at_end: Option<u64>,
    /// Children who came into care, by placement in [`crate::model::event::Placement::ALL`] order.
    pub care_entries: PerPlacement<u64>,
    /// Children who left care.
    pub care_exits: u64,
    /// Children looked after at the period's end, by placement.
    pub looked_after_at_end: Option<PerPlacement<u64>>,
    /// Family group decision-making offered.
    pub fgdm_offered: u64,
    /// Family group conferences held (family-led plans made).
    pub fgdm_held: u64,
    /// Family-led plans that named kinship carers.
    pub kin_named: u64,
    /// Family network support packages paid.
    pub fnsp_paid: u64,
    /// Paid in packages, in pence.
    pub fnsp_pence: u64,
    /// Packages refused because the budget was spent.
    pub fnsp_refused: u64,
    /// Enquiries taken by a lead child protection practitioner.
    pub lead_enquiries: u64,
    /// FGDM not offered because no coordinator had room.
    pub fgdm_unavailable: u64,
    /// Spent from each budget line, in pence, in [`BudgetLine::ALL`] order.
    pub spend_pence: PerLine<u64>,
    /// `BudgetExhausted` recorded for each line.
    pub budget_exhausted: PerLine<u64>,
    /// Permanent staff who left each pool, in [`Pool::ALL`] order.
    pub staff_left: PerPool<u64>,
    /// Recruited permanent staff who joined each pool.
    pub staff_joined: PerPool<u64>,
    /// Apprentices who started in each pool.
    pub apprentices_started: PerPool<u64>,
    /// Apprentices who qualified into each pool.
    pub apprentices_qualified: PerPool<u64>,
    /// Each pool's people at the period's end.
    pub staff_at_end: Option<PerPool<StaffAtEnd>>,
    /// Referrals in the period whose 12-month mark fell inside the run.
    pub followed_up_12_months: u64,
    /// Of those, referrals whose child was not looked after 12 months later.
    pub at_home_12_months_later: u64,
    /// Families waiting for family help whose concerns escalated (a new referral).
    pub escalations: u64,
    /// Families who left the family help waiting list without help.
    pub disengaged: u64,
    /// Working minutes from the strategy discussion to the initial
    /// conference, summed over the conferences held.
    pub conference_working_minutes: u64,
    /// Letters before proceedings (pre-proceedings started).
    pub pre_proceedings_started: u64,
    /// Care proceedings issued.
    pub proceedings_issued: u64,
    /// Final orders, in [`crate::model::event::FinalOrder::ALL`] order.
    pub final_orders: PerOrder<u64>,
    /// Children who went to live with kin outside care.
    pub kinship_arrangements: u64,
    /// Children who came into care, by route in [`crate::model::event::CareRoute::ALL`] order.
    pub care_entries_by_route: PerRoute<u64>,
    /// Children who came into care, by legal status at entry in
    /// [`crate::model::event::LegalStatus::ALL`] order.
    pub care_entries_by_legal_status: PerLegalStatus<u64>,
    /// Children who came into care, by age band at entry ([`AGE_BANDS`]).
    pub care_entries_by_age: PerAgeBand<u64>,
    /// Children who left care, by way out in [`CareExit`] order.
    pub care_exits_by_reason: PerExit<u64>,
    /// Children placed: at entry to care and at each move.
    #[serde(default)]
    pub placements_made: u64,
    /// Of those, children placed outside the area.
    #[serde(default)]
    pub placed_out_of_area: u64,
    /// Children who moved placement (a breakdown).
    #[serde(default)]
    pub placement_moves: u64,
    /// Of those placed, children placed in a regional care co-operative's places.
    #[serde(default)]
    pub placed_in_cooperative: u64,
    /// Children placed with kin (at entry or a move) whose 12-month mark
    /// falls within the run, counted in the month the placement started.
    #[serde(default)]
    pub kinship_placements_due_12_months: u64,
    /// Of those, children whose kinship placement broke down (they moved)
    /// before its 12-month mark, counted in the month it started.
    #[serde(default)]
    pub kinship_broke_within_12_months: u64,
    /// Young people who left care at 18 (with `care.leaving_care`).
    #[serde(default)]
    pub care_leavers: u64,
    /// Of those, with a lasting relationship with a trusted adult.
    #[serde(default)]
    pub care_leavers_lasting_relationship: u64,
    /// Support for care leavers started, by kind.
    #[serde(default)]
    pub leaving_care_support_started: PerSupport<u64>,
}

/// Children counted by who they are: age band (whole years when counted),
/// sex and major ethnic group ([`demographics`]). Each breakdown counts the
/// same children, so each sums to [`Who::total`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// By age band.
    pub by_age: PerAgeBand<u64>,
    /// By sex.
    pub by_sex: PerSex<u64>,
    /// By major ethnic group.
    pub by_ethnicity: PerEthnicGroup<u64>,
}

impl Who {
    /// Counts one child of `age` whole years with characteristics `c`.
    pub fn count(&mut self, age: u8, c: &Characteristics) {
        self.count_one(age, c.sex, c.group());
    }

    /// Counts one child of `age` whole years, `sex` and `group`.
    pub fn count_one(&mut self, age: u8, sex: Sex, group: EthnicGroup) {
        self.by_age[AgeBand::of(age)] += 1;
        self.by_sex[sex] += 1;
        self.by_ethnicity[group] += 1;
    }

    /// Adds another count.
    fn add(&mut self, o: &Who) {
        for (a, b) in self.by_age.iter_mut().zip(o.by_age) {
            *a += b;
        }
        for (a, b) in self.by_sex.iter_mut().zip(o.by_sex) {
            *a += b;
        }
        for (a, b) in self.by_ethnicity.iter_mut().zip(o.by_ethnicity) {
            *a += b;
        }
    }

    /// The children counted.
    pub fn total(&self) -> u64 {
        saturating_sum(self.by_sex.iter().copied())
    }
}

/// Children by who they are in one period: a calendar month (`2024-04`) or
/// a financial year (`2024-25`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoCounts {
    /// The period.
    pub period: String,
    /// Children referred (each child under 18 of a family referred, aged at
    /// the referral): [`PeriodCounts::referrals`] by who they are.
    pub referred: Who,
    /// Children starting a child protection plan, aged at its start.
    pub plans_started: Who,
    /// Children who started to be looked after, aged at entry.
    pub care_entries: Who,
    /// Children looked after at the end of March (of a financial year: at
    /// 31 March), aged then; `None` for other months and when the run ended
    /// before.
    pub looked_after_at_end: Option<Who>,
}

impl WhoCounts {
    /// Adds another period's flows (not its end-of-period figures).
    fn add(&mut self, o: &WhoCounts) {
        self.referred.add(&o.referred);
        self.plans_started.add(&o.plans_started);
        self.care_entries.add(&o.care_entries);
    }
}

/// A staff pool's people and cases at a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAtEnd {
    /// Funded posts.
    pub posts: u32,
    /// Permanent staff in post.
    pub permanent: u32,
    /// Agency workers in post.
    pub agency: u32,
    /// Apprentices in training.
    pub apprentices: u32,
    /// Cases held (families awaiting a decision at the front door; in an
    /// enquiry, awaiting a conference or on a plan in child protection).
    pub cases: u32,
}

impl StaffAtEnd {
    /// Posts neither filled permanently nor covered by an agency worker.
    pub fn vacant(&self) -> u32 {
        self.posts.saturating_sub(self.permanent + self.agency)
    }

    /// The pools' people in `state` now.
    pub fn of(state: &State) -> PerPool<StaffAtEnd> {
        PerPool::from_fn(|pool| {
            let s = &state.staff[pool];
            StaffAtEnd {
                posts: state.terms()[pool].posts,
                permanent: s.permanent,
                agency: s.agency,
                apprentices: s.apprentices,
                cases: state.cases(pool),
            }
        })
    }
}

impl PeriodCounts {
    /// Adds another period's counts (not its end-of-period figures).
    fn add(&mut self, o: &PeriodCounts) {
        self.referrals += o.referrals;
        self.rereferrals_within_12_months += o.rereferrals_within_12_months;
        for (a, b) in self.triage.iter_mut().zip(o.triage) {
            *a += b;
        }
        self.triage_within_1_working_day += o.triage_within_1_working_day;
        self.family_help_started += o.family_help_started;
        self.assessments += o.assessments;
        self.assessments_within_45_working_days += o.assessments_within_45_working_days;
        self.closures += o.closures;
        self.s47_enquiries += o.s47_enquiries;
        self.conferences += o.conferences;
        self.conferences_within_15_working_days += o.conferences_within_15_working_days;
        self.plans_started += o.plans_started;
        self.plans_ended += o.plans_ended;
        for (a, b) in self.care_entries.iter_mut().zip(o.care_entries) {
            *a += b;
        }
        self.care_exits += o.care_exits;
        self.fgdm_offered += o.fgdm_offered;
        self.fgdm_held += o.fgdm_held;
        self.kin_named += o.kin_named;
        self.fnsp_paid += o.fnsp_paid;
        self.fnsp_pence += o.fnsp_pence;
        self.fnsp_refused += o.fnsp_refused;
        self.lead_enquiries += o.lead_enquiries;
        self.fgdm_unavailable += o.fgdm_unavailable;
        self.followed_up_12_months += o.followed_up_12_months;
        self.at_home_12_months_later += o.at_home_12_months_later;
        self.escalations += o.escalations;
        self.disengaged += o.disengaged;
        self.conference_working_minutes += o.conference_working_minutes;
        self.pre_proceedings_started += o.pre_proceedings_started;
        self.proceedings_issued += o.proceedings_issued;
        self.kinship_arrangements += o.kinship_arrangements;
        for (a, b) in self.final_orders.iter_mut().zip(o.final_orders) {
            *a += b;
        }
        for (a, b) in self
            .care_entries_by_route
            .iter_mut()
            .zip(o.care_entries_by_route)
        {
            *a += b;
        }
        for (a, b) in self
            .care_entries_by_legal_status
            .iter_mut()
            .zip(o.care_entries_by_legal_status)
        {
            *a += b;
        }
        for (a, b) in self
            .care_entries_by_age
            .iter_mut()
            .zip(o.care_entries_by_age)
        {
            *a += b;
        }
        for (a, b) in self
            .care_exits_by_reason
            .iter_mut()
            .zip(o.care_exits_by_reason)
        {
            *a += b;
        }
        for (a, b) in [
            (&mut self.spend_pence, o.spend_pence),
            (&mut self.budget_exhausted, o.budget_exhausted),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in [
            (&mut self.staff_left, o.staff_left),
            (&mut self.staff_joined, o.staff_joined),
            (&mut self.apprentices_started, o.apprentices_started),
            (&mut self.apprentices_qualified, o.apprentices_qualified),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.placements_made += o.placements_made;
        self.placed_out_of_area += o.placed_out_of_area;
        self.placement_moves += o.placement_moves;
        self.placed_in_cooperative += o.placed_in_cooperative;
        self.kinship_placements_due_12_months += o.kinship_placements_due_12_months;
        self.kinship_broke_within_12_months += o.kinship_broke_within_12_months;
        self.care_leavers += o.care_leavers;
        self.care_leavers_lasting_relationship += o.care_leavers_lasting_relationship;
        for (a, b) in self
            .leaving_care_support_started
            .iter_mut()
            .zip(o.leaving_care_support_started)
        {
            *a += b;
        }
    }

    /// Spent on placements in the period, in pence.
    pub fn placement_spend_pence(&self) -> u64 {
        self.spend_pence[BudgetLine::Placements]
    }

    /// Children who came into care, all placements.
    pub fn care_entries_total(&self) -> u64 {
        saturating_sum(self.care_entries.iter().copied())
    }
}

/// The sum of `counts`, saturating: counts read back from a summary file
/// may be anything, and a report of them must not overflow.
pub fn saturating_sum(counts: impl Iterator<Item = u64>) -> u64 {
    counts.fold(0, u64::saturating_add)
}

fn placeholder_streams() -> Streams {
    Streams::new(0)
}

fn placeholder_month() -> CivilDate {
    CivilDate::new(2000, 1, 1).expect("a real date")
}

/// Every metric of a run, folded from its events.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metrics {
    /// Rebuilt from the scenario when metrics are read back from a snapshot.
    #[serde(skip, default = "Calendar::placeholder")]
    calendar: Calendar,
    /// Rebuilt from the calendar when metrics are read back.
    #[serde(skip, default = "placeholder_month")]
    first_month: CivilDate,
    /// The run's seed: children's characteristics are drawn from it.
    seed: u64,
    /// The run's streams, for [`demographics::of_child`] (rebuilt from the
    /// seed when metrics are read back).
    #[serde(skip, default = "placeholder_streams")]
    streams: Streams,
    /// Events seen.
    pub events: u64,
    /// Referrals of new families.
    pub new_families: u64,
    /// Referrals of families seen before.
    pub rereferrals: u64,
    /// Families already open when the run started (the starting caseload).
    pub opened: u64,
    /// Their children under 18 when opened.
    pub opened_children: u64,
    /// Per calendar month.
    pub months: Vec<PeriodCounts>,
    /// Per financial year (made from the months by [`Metrics::finish`]).
    pub years: Vec<PeriodCounts>,
    /// Children by who they are, per calendar month (as `months`).
    who_months: Vec<WhoCounts>,
    /// Children by who they are, per financial year (made from the months
    /// by [`Metrics::finish`]; the stock at the end is March's).
    pub who_years: Vec<WhoCounts>,
    /// Families put on the family help waiting list.
    pub help_queued: u64,
    /// Total minutes waited by families that started help (0 for those who did not wait).
    pub wait_minutes: u64,
    /// Longest wait of a family that started help.
    pub max_wait: Minute,
    /// Family help spells ended, in [`HelpOutcome::ALL`] order.
    pub help_ended: PerOutcome<u64>,
    /// Cases closed, by [`ClosureReason`] discriminant.
    pub closures: PerClosure<u64>,
    /// Plans ended by stepping down to family help (families).
    pub plans_stepped_down: u64,
    /// Plans ended in proceedings (families).
    pub plans_to_proceedings: u64,
    on_plan: u64,
    /// The month events are being counted in (months before it are closed).
    current_month: usize,
    /// When the current month ends.
    next_month_at: Minute,
    active: u64,
    waiting: u64,
    last: Minute,
    /// Integral over time of families in family help (family-minutes).
    pub active_minutes: u128,
    /// Integral over time of families waiting (family-minutes).
    pub waiting_minutes: u128,
    /// Longest waiting list.
    pub max_waiting: u64,
    /// The end of the period measured, once [`Metrics::finish`] ran.
    pub end: Minute,
    /// Children in care now, by placement.
    in_care: PerPlacement<u64>,
    /// Children who left care, by [`CareExit`] discriminant.
    pub care_exits: PerExit<u64>,
    /// Referrals waiting for their 12-month mark: (mark, family, month of referral).
    followups: VecDeque<(Minute, FamilyId, usize)>,
    /// Families who started family help after waiting on the list.
    pub help_started_after_waiting: u64,
    /// Integral over time of children looked after (child-minutes).
    pub in_care_minutes: u128,
    /// Unaccompanied asylum-seeking children who arrived.
    pub unaccompanied_arrivals: u64,
    /// Where the measured run starts (after a burn-in; 0 without one).
    pub measured_from: Minute,
    /// The family whose entry to care was the last event and how many
    /// children came in, until their legal status at entry is seen.
    entering: Option<(FamilyId, u64)>,
    /// Children looked after outside the area now.
    pub out_of_area: u64,
    /// What each placement type costs a week now (pence, all its children).
    weekly_by_placement: PerPlacement<u64>,
    /// Placement costs since the measured run started, by type (pence x
    /// minutes per week).
    pub spend_by_placement: PerPlacement<u128>,
    /// Kinship placements started in the measured run whose 12-month mark
    /// is still to come: family → (start, month of the start).
    kin_since: BTreeMap<FamilyId, (Minute, usize, u64)>,
    /// What care leavers' support costs a week now, in pence.
    leaving_care_weekly: u64,
    /// Care leavers' support costs since the measured run started (pence x
    /// minutes per week).
    pub leaving_care_spend: u128,
}

impl Metrics {
    /// Empty metrics for a run on `calendar` with `seed`.
    pub fn new(calendar: &Calendar, seed: u64) -> Self {
        Metrics {
            seed,
            streams: Streams::new(seed),
            who_months: Vec::new(),
            who_years: Vec::new(),
            first_month: {
                let d = calendar.start();
                CivilDate::new(d.year(), d.month(), 1).expect("the first of a month exists")
            },
            calendar: calendar.clone(),
            events: 0,
            new_families: 0,
            rereferrals: 0,
            opened: 0,
            opened_children: 0,
            months: Vec::new(),
            years: Vec::new(),
            help_queued: 0,
            wait_minutes: 0,
            max_wait: 0,
            help_ended: PerOutcome::default(),
            closures: PerClosure::default(),
            plans_stepped_down: 0,
            plans_to_proceedings: 0,
            on_plan: 0,
            current_month: 0,
            next_month_at: calendar.next_month_start(0),
            active: 0,
            waiting: 0,
            last: 0,
            active_minutes: 0,
            waiting_minutes: 0,
            max_waiting: 0,
            end: 0,
            in_care: PerPlacement::default(),
            care_exits: PerExit::default(),
            followups: VecDeque::new(),
            help_started_after_waiting: 0,
            in_care_minutes: 0,
            unaccompanied_arrivals: 0,
            measured_from: 0,
            entering: None,
            out_of_area: 0,
            weekly_by_placement: PerPlacement::default(),
            spend_by_placement: PerPlacement::default(),
            kin_since: BTreeMap::new(),
            leaving_care_weekly: 0,
            leaving_care_spend: 0,
        }
    }

    /// The burn-in is over at `at`: every count starts again from here
    /// (stocks — families waiting, in help, on a plan, children in care —
    /// carry on), and months are counted from the month of `at`.
    fn start_measuring(&mut self, at: Minute) {
        let mut fresh = Metrics::new(&self.calendar, self.seed);
        let d = self.calendar.date(at);
        fresh.first_month =
            CivilDate::new(d.year(), d.month(), 1).expect("the first of a month exists");
        fresh.next_month_at = self.calendar.next_month_start(at);
        fresh.events = self.events;
        fresh.opened = self.opened;
        fresh.opened_children = self.opened_children;
        fresh.active = self.active;
        fresh.waiting = self.waiting;
        fresh.max_waiting = self.waiting;
        fresh.on_plan = self.on_plan;
        fresh.in_care = self.in_care;
        fresh.out_of_area = self.out_of_area;
        fresh.weekly_by_placement = self.weekly_by_placement;
        fresh.leaving_care_weekly = self.leaving_care_weekly;
        fresh.last = at;
        fresh.measured_from = at;
        *self = fresh;
    }

    /// The current month's counts (`close_months` has brought it up to the event's time).
    fn month(&mut self) -> &mut PeriodCounts {
        self.row(self.current_month)
    }

    fn month_index(&self, at: Minute) -> usize {
        let d = self.calendar.date(at);
        let f = self.first_month;
        ((d.year() - f.year()) * 12 + i32::from(d.month()) - i32::from(f.month())) as usize
    }

    /// The first day of month `i` of the run.
    fn month_start(&self, i: usize) -> CivilDate {
        let m = i32::from(self.first_month.month()) - 1 + i as i32;
        CivilDate::new(self.first_month.year() + m / 12, (m % 12 + 1) as u8, 1)
            .expect("the first of a month exists")
    }

    /// Marks the end of every month that ended by `at` (one comparison per
    /// event unless a month boundary has passed).
    #[inline]
    fn close_months(&mut self, at: Minute, state: &State) {
        while at >= self.next_month_at {
            let (waiting, active, on_plan, in_care) =
                (self.waiting, self.active, self.on_plan, self.in_care);
            let row = self.row(self.current_month);
            row.waiting_for_help_at_end = Some(waiting);
            row.in_family_help_at_end = Some(active);
            row.on_plan_at_end = Some(on_plan);
            row.looked_after_at_end = Some(in_care);
            row.staff_at_end = Some(StaffAtEnd::of(state));
            if self.month_start(self.current_month).month() == 3 {
                let who = self.looked_after_now(state, self.next_month_at - 1);
                self.who_row(self.current_month).looked_after_at_end = Some(who);
            }
            self.current_month += 1;
            self.next_month_at = self.calendar.next_month_start(self.next_month_at);
        }
    }

    /// Month `i`'s children by who they are.
    fn who_row(&mut self, i: usize) -> &mut WhoCounts {
        while self.who_months.len() <= i {
            let d = self.month_start(self.who_months.len());
            self.who_months.push(WhoCounts {
                period: format!("{:04}-{:02}", d.year(), d.month()),
                ..WhoCounts::default()
            });
        }
        &mut self.who_months[i]
    }

    /// Counts children `0..n` (the youngest `n`) of `family` (`f`), aged
    /// at `at`, into `pick` of the current month.
    fn count_who(
        &mut self,
        pick: fn(&mut WhoCounts) -> &mut Who,
        family: FamilyId,
        f: &Family,
        n: u8,
        at: Minute,
    ) {
        let i = self.current_month;
        // Only the draws counted: the family's group once, each child's sex.
        let group = demographics::group_of_family(&self.streams, family);
        for k in 0..n {
            let sex = demographics::sex_of_child(&self.streams, family, k);
            pick(self.who_row(i)).count_one(f.child_whole_age_at(family, k, at), sex, group);
        }
    }

    /// The children looked after in `state`, aged at `at`: each family's
    /// youngest `in_care` (the children who came in, less those who left
    /// at 18, the eldest first).
    fn looked_after_now(&self, state: &State, at: Minute) -> Who {
        let mut who = Who::default();
        for (id, f) in state.families_in_care() {
            let group = demographics::group_of_family(&self.streams, id);
            for k in 0..f.in_care {
                let sex = demographics::sex_of_child(&self.streams, id, k);
                who.count_one(f.child_whole_age_at(id, k, at), sex, group);
            }
        }
        who
    }

    fn row(&mut self, i: usize) -> &mut PeriodCounts {
        while self.months.len() <= i {
            let d = self.month_start(self.months.len());
            self.months.push(PeriodCounts {
                period: format!("{:04}-{:02}", d.year(), d.month()),
                ..PeriodCounts::default()
            });
        }
        &mut self.months[i]
    }

    #[inline]
    fn advance(&mut self, at: Minute) {
        let dt = u128::from(at.saturating_sub(self.last));
        if dt > 0 {
            self.active_minutes += u128::from(self.active) * dt;
            self.waiting_minutes += u128::from(self.waiting) * dt;
            self.in_care_minutes += u128::from(self.in_care.iter().sum::<u64>()) * dt;
            for (spent, weekly) in self
                .spend_by_placement
                .iter_mut()
                .zip(self.weekly_by_placement)
            {
                *spent += u128::from(weekly) * dt;
            }
            self.leaving_care_spend += u128::from(self.leaving_care_weekly) * dt;
            self.last = at;
        }
    }

    /// Shows one event to the metrics, with the state as it was before it.
    pub fn observe(&mut self, at: Minute, event: &Event, before: &State) {
        self.events += 1;
        self.close_months(at, before);
        self.follow_up(at, before);
        // The time integrals (families in help and waiting, children in
        // care) run up to this event, at the stocks before it.
        self.advance(at);
        let entering = self.entering.take();
        match *event {
            Event::FamilyReferred { family, attributes } => {
                self.new_families += 1;
                let f = Family::new(attributes, Stage::AwaitingTriage, at);
                let children = f.children_under_18(family, at);
                self.month().referrals += u64::from(children);
                self.count_who(|w| &mut w.referred, family, &f, children, at);
                self.followups
                    .push_back((at + YEAR, family, self.current_month));
            }
            Event::FamilyReReferred { family, .. } => {
                self.followups
                    .push_back((at + YEAR, family, self.current_month));
                self.rereferrals += 1;
                // A family closed before the start: its last referral is
                // not known, so not counted as within 12 months.
                let previous = before
                    .family(family)
                    .filter(|f| !f.closed_before_start())
                    .map(|f| f.referred_at());
                let children = children(before, family, at);
                let y = self.month();
                y.referrals += children;
                if previous.is_some_and(|p| at.saturating_sub(p) <= YEAR) {
                    y.rereferrals_within_12_months += children;
                }
                if let Some(f) = before.family(family) {
                    let n = f.children_under_18(family, at);
                    self.count_who(|w| &mut w.referred, family, f, n, at);
                }
            }
            Event::TriageDecided { family, decision } => {
                let referred = before.family(family).map_or(at, |f| f.referred_at());
                let prompt = self.calendar.working_minutes_between(referred, at) <= DAY;
                let y = self.month();
                y.triage[decision] += 1;
                y.triage_within_1_working_day += u64::from(prompt);
            }
            Event::FamilyHelpQueued { .. } => {
                self.help_queued += 1;
                self.waiting += 1;
                self.max_waiting = self.max_waiting.max(self.waiting);
            }
            Event::FamilyHelpStarted { family } => {
                if let Some(f) = before.family(family) {
                    if f.stage == Stage::WaitingForHelp {
                        self.help_started_after_waiting += 1;
                        let waited = at.saturating_sub(f.stage_since());
                        self.wait_minutes += waited;
                        self.max_wait = self.max_wait.max(waited);
                        self.waiting = self.waiting.saturating_sub(1);
                    }
                }
                self.active += 1;
                self.month().family_help_started += 1;
            }
            Event::AssessmentCompleted { family } => {
                let referred = before.family(family).map_or(at, |f| f.referred_at());
                let timely = self.calendar.working_minutes_between(referred, at) <= 45 * DAY;
                let y = self.month();
                y.assessments += 1;
                y.assessments_within_45_working_days += u64::from(timely);
            }
            Event::FamilyHelpEnded { outcome, .. } => {
                self.active = self.active.saturating_sub(1);
                self.help_ended[outcome] += 1;
            }
            Event::CaseClosed { reason, .. } => {
                self.closures[reason] += 1;
                self.month().closures += 1;
            }
            Event::S47Started { family } => {
                self.month().s47_enquiries += children(before, family, at)
            }
            Event::S47Completed { .. }
            | Event::PlanReviewed { .. }
            | Event::PolicyApplied { .. } => {}
            Event::ConferenceHeld { family, .. } => {
                let started = before
                    .family(family)
                    .and_then(|f| f.enquiry_started())
                    .unwrap_or(at);
                let working = self.calendar.working_minutes_between(started, at);
                let children = children(before, family, at);
                let y = self.month();
                y.conferences += children;
                y.conferences_within_15_working_days += children * u64::from(working <= 15 * DAY);
                y.conference_working_minutes += children * working;
            }
            Event::EnteredCare {
                family,
                placement,
                route,
                children,
                weekly_pence,
            } => {
                let n = u64::from(children);
                self.in_care[placement] += n;
                self.weekly_by_placement[placement] += weekly_pence * n;
                let mut bands = PerAgeBand::<u64>::default();
                if let Some(f) = before.family(family) {
                    for k in 0..children {
                        bands[AgeBand::of(f.child_whole_age_at(family, k, at))] += 1;
                    }
                    self.count_who(|w| &mut w.care_entries, family, f, children, at);
                }
                if placement == Placement::Kinship && at + YEAR <= self.calendar.horizon() {
                    self.kin_since.insert(family, (at, self.current_month, n));
                    self.month().kinship_placements_due_12_months += n;
                }
                let m = self.month();
                m.care_entries[placement] += n;
                m.care_entries_by_route[route] += n;
                m.placements_made += n;
                for (a, b) in m.care_entries_by_age.iter_mut().zip(bands) {
                    *a += b;
                }
                self.entering = Some((family, n));
            }
            Event::LegalStatusChanged { family, legal } => {
                if let Some((_, n)) = entering.filter(|e| e.0 == family) {
                    self.month().care_entries_by_legal_status[legal] += n;
                }
            }
            Event::SiblingLeftCare { family } => {
                if let Some(f) = before.family(family) {
                    if let Some(p) = f.placement {
                        self.in_care[p] = self.in_care[p].saturating_sub(1);
                        self.weekly_by_placement[p] =
                            self.weekly_by_placement[p].saturating_sub(f.weekly_pence());
                    }
                }
                if away(before, family) {
                    self.out_of_area = self.out_of_area.saturating_sub(1);
                }
                self.care_exits[CareExit::Aged18] += 1;
                let m = self.month();
                m.care_exits_by_reason[CareExit::Aged18] += 1;
                m.care_exits += 1;
            }
            Event::MeasurementStarted => self.start_measuring(at),
            // Counted when (if) the family is referred again.
            Event::ClosedBeforeStart { .. } => {}
            Event::RiskChanged { .. } => {}
            Event::ProceedingsEnded { order, .. } => {
                self.month().final_orders[order] += 1;
            }
            // A new contact on an open case: not a new referral.
            Event::Escalated { .. } => {
                self.waiting = self.waiting.saturating_sub(1);
                self.month().escalations += 1;
            }
            Event::Disengaged { family } => {
                self.waiting = self.waiting.saturating_sub(1);
                // A family whose youngest turned 18 on the list leaves it
                // too, but has not disengaged (its case closes as adult).
                let adult = before
                    .family(family)
                    .is_some_and(|f| at >= f.turns_18_at(family));
                if !adult {
                    self.month().disengaged += 1;
                }
            }
            Event::PreProceedingsStarted { .. } => self.month().pre_proceedings_started += 1,
            Event::ProceedingsIssued { .. } => self.month().proceedings_issued += 1,
            Event::KinshipArrangementMade { family, .. } => {
                self.month().kinship_arrangements += children(before, family, at)
            }
            Event::UnaccompaniedChildArrived { .. } => self.unaccompanied_arrivals += 1,
            Event::PlacedOutOfArea { family } => {
                let n = before.family(family).map_or(1, |f| u64::from(f.in_care));
                self.out_of_area += n;
                self.month().placed_out_of_area += n;
            }
            Event::PlacementMoved {
                family,
                placement,
                weekly_pence,
            } => {
                if let Some((start, month, due)) = self.kin_since.remove(&family) {
                    if at < start + YEAR {
                        let n = before.family(family).map_or(due, |f| u64::from(f.in_care));
                        self.row(month).kinship_broke_within_12_months += n.min(due);
                    }
                }
                if let Some(f) = before.family(family) {
                    let n = u64::from(f.in_care);
                    if let Some(old) = f.placement {
                        self.in_care[old] = self.in_care[old].saturating_sub(n);
                        self.weekly_by_placement[old] =
                            self.weekly_by_placement[old].saturating_sub(f.weekly_pence() * n);
                    }
                    self.in_care[placement] += n;
                    self.weekly_by_placement[placement] += weekly_pence * n;
                    if away(before, family) {
                        self.out_of_area = self.out_of_area.saturating_sub(n);
                    }
                    let m = self.month();
                    m.placement_moves += n;
                    m.placements_made += n;
                }
            }
            Event::PlacedInCooperative { family } => {
                let n = before.family(family).map_or(1, |f| u64::from(f.in_care));
                self.month().placed_in_cooperative += n;
            }
            Event::CareLeaver {
                lasting_relationship,
                ..
            } => {
                let m = self.month();
                m.care_leavers += 1;
                m.care_leavers_lasting_relationship += u64::from(lasting_relationship);
            }
            Event::LeavingCareSupportStarted {
                support,
                weekly_pence,
                ..
            } => {
                self.leaving_care_weekly += u64::from(weekly_pence);
                self.month().leaving_care_support_started[support] += 1;
            }
            Event::LeavingCareSupportEnded { weekly_pence, .. } => {
                self.leaving_care_weekly = self
                    .leaving_care_weekly
                    .saturating_sub(u64::from(weekly_pence));
            }
            Event::FosterPlacesApproved { .. }
            | Event::FosterPlacesLost { .. }
            | Event::CooperativePlacesAllotted { .. } => {}
            Event::LeftCare { family, exit } => {
                self.kin_since.remove(&family);
                let (placement, n, weekly) = before.family(family).map_or((None, 1, 0), |f| {
                    (f.placement, u64::from(f.in_care.max(1)), f.weekly_pence())
                });
                if let Some(p) = placement {
                    self.in_care[p] = self.in_care[p].saturating_sub(n);
                    self.weekly_by_placement[p] =
                        self.weekly_by_placement[p].saturating_sub(weekly * n);
                }
                if away(before, family) {
                    self.out_of_area = self.out_of_area.saturating_sub(n);
                }
                self.care_exits[exit] += n;
                let m = self.month();
                m.care_exits_by_reason[exit] += n;
                m.care_exits += n;
            }
            Event::FgdmOffered { .. } => self.month().fgdm_offered += 1,
            Event::FgdmHeld { kin_named, .. } => {
                let m = self.month();
                m.fgdm_held += 1;
                m.kin_named += u64::from(kin_named);
            }
            Event::FnspPaid { pence, .. } => {
                let m = self.month();
                m.fnsp_paid += 1;
                m.fnsp_pence += pence;
                m.spend_pence[BudgetLine::Fnsp] += pence;
            }
            Event::Spent { line, pence } => self.month().spend_pence[line] += pence,
            Event::BudgetExhausted { line } => self.month().budget_exhausted[line] += 1,
            Event::FgdmUnavailable { .. } => self.month().fgdm_unavailable += 1,
            Event::FamilyOpened {
                family,
                attributes,
                stage,
                placement,
            } => {
                self.opened += 1;
                let f = Family::new(attributes, Stage::Between, at);
                self.opened_children += u64::from(f.children_under_18(family, at));
                match stage {
                    OpenStage::WaitingForHelp => {
                        self.waiting += 1;
                        self.max_waiting = self.max_waiting.max(self.waiting);
                    }
                    OpenStage::InHelp => self.active += 1,
                    OpenStage::OnPlan => self.on_plan += u64::from(f.children_under_18(family, at)),
                    OpenStage::LookedAfter => {
                        if let Some((p, pence)) = placement {
                            let n = u64::from(f.looked_after_when_opened(family, at));
                            self.in_care[p] += n;
                            self.weekly_by_placement[p] += pence * n;
                        }
                    }
                    OpenStage::InEnquiry
                    | OpenStage::AwaitingConference
                    | OpenStage::PreProceedings => {}
                }
            }
            Event::StaffLeft { pool } => self.month().staff_left[pool] += 1,
            Event::StaffJoined { pool } => self.month().staff_joined[pool] += 1,
            Event::ApprenticesStarted { pool, count } => {
                self.month().apprentices_started[pool] += u64::from(count)
            }
            Event::ApprenticeQualified { pool } => self.month().apprentices_qualified[pool] += 1,
            Event::StaffStarted { .. }
            | Event::RecruitmentCancelled { .. }
            | Event::RecruitmentStarted { .. }
            | Event::ApprenticeWithdrew { .. }
            | Event::FgdmCoordinationEnded { .. } => {}
            Event::FnspRefused { .. } => self.month().fnsp_refused += 1,
            Event::LeadPractitionerAssigned { .. } => self.month().lead_enquiries += 1,
            Event::PlanStarted { family } => {
                let children = children(before, family, at);
                self.on_plan += children;
                self.month().plans_started += children;
                if let Some(f) = before.family(family) {
                    let n = f.children_under_18(family, at);
                    self.count_who(|w| &mut w.plans_started, family, f, n, at);
                }
            }
            Event::PlanEnded {
                family, step_down, ..
            } => {
                // The children counted when the plan started (its stage's start).
                let children = before.family(family).map_or(1, |f| {
                    u64::from(f.children_under_18(family, f.stage_since()))
                });
                self.on_plan = self.on_plan.saturating_sub(children);
                if step_down {
                    self.plans_stepped_down += 1;
                } else {
                    self.plans_to_proceedings += 1;
                }
                self.month().plans_ended += children;
            }
        }
    }

    /// Counts referrals whose 12-month mark has come by `at`: the child is
    /// at home unless looked after in `state` (the state since the last
    /// event, so exact at the mark).
    fn follow_up(&mut self, at: Minute, state: &State) {
        while let Some(&(mark, family, month)) = self.followups.front() {
            if mark > at {
                break;
            }
            self.followups.pop_front();
            let home = state
                .family(family)
                .is_none_or(|f| f.stage != Stage::InCare);
            let row = self.row(month);
            row.followed_up_12_months += 1;
            row.at_home_12_months_later += u64::from(home);
        }
    }

    /// Closes the time integrals at the end of the run, with the final state.
    pub fn finish(&mut self, end: Minute, state: &State) {
        self.advance(end);
        self.close_months(end, state);
        self.follow_up(end, state);
        self.end = end;
        // Every month of the run has a row, even a quiet one; a month the
        // run ends inside (365-day years end before 31 March after a 29
        // February) takes its end-of-month stocks from the run's end.
        if end > 0 {
            let last = self.month_index(end - 1);
            let (waiting, active, on_plan, in_care) =
                (self.waiting, self.active, self.on_plan, self.in_care);
            let row = self.row(last);
            if row.staff_at_end.is_none() {
                row.waiting_for_help_at_end = Some(waiting);
                row.in_family_help_at_end = Some(active);
                row.on_plan_at_end = Some(on_plan);
                row.looked_after_at_end = Some(in_care);
                row.staff_at_end = Some(StaffAtEnd::of(state));
            }
            if self.month_start(last).month() == 3
                && self.who_row(last).looked_after_at_end.is_none()
            {
                let who = self.looked_after_now(state, end - 1);
                self.who_row(last).looked_after_at_end = Some(who);
            }
        }
        // Financial years are sums of their months; end-of-year figures are March's.
        self.years.clear();
        for i in 0..self.months.len() {
            let d = self.month_start(i);
            let label = d.financial_year().to_string();
            if self.years.last().is_none_or(|y| y.period != label) {
                self.years.push(PeriodCounts {
                    period: label,
                    ..PeriodCounts::default()
                });
            }
            let month = &self.months[i];
            let year = self.years.last_mut().expect("pushed above");
            year.add(month);
            if d.month() == 3 {
                year.waiting_for_help_at_end = month.waiting_for_help_at_end;
                year.in_family_help_at_end = month.in_family_help_at_end;
                year.on_plan_at_end = month.on_plan_at_end;
                year.looked_after_at_end = month.looked_after_at_end;
                year.staff_at_end = month.staff_at_end;
            }
        }
        self.who_years.clear();
        for i in 0..self.months.len() {
            let d = self.month_start(i);
            let label = d.financial_year().to_string();
            if self.who_years.last().is_none_or(|y| y.period != label) {
                self.who_years.push(WhoCounts {
                    period: label,
                    ..WhoCounts::default()
                });
            }
            let year = self.who_years.last_mut().expect("pushed above");
            if let Some(month) = self.who_months.get(i) {
                year.add(month);
                if d.month() == 3 {
                    year.looked_after_at_end = month.looked_after_at_end;
                }
            }
        }
    }

    /// Gives metrics read back from a snapshot their calendar.
    /// (The streams come back from the seed the metrics hold.)
    pub fn set_calendar(&mut self, calendar: &Calendar) {
        self.streams = Streams::new(self.seed);
        let d = calendar.date(self.measured_from);
        self.first_month =
            CivilDate::new(d.year(), d.month(), 1).expect("the first of a month exists");
        self.calendar = calendar.clone();
    }

    /// The calendar the metrics count working days and years on.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Sum over the run of one count.
    pub fn total(&self, f: impl Fn(&PeriodCounts) -> u64) -> u64 {
        saturating_sum(self.months.iter().map(f))
    }

    /// Decisions of one kind over the whole run.
    pub fn triage_total(&self, d: TriageDecision) -> u64 {
        self.total(|y| y.triage[d])
    }

    /// Help spells that ended with `o`.
    pub fn ended(&self, o: HelpOutcome) -> u64 {
        self.help_ended[o]
    }

    /// Children who left care by `e`.
    pub fn left_care(&self, e: CareExit) -> u64 {
        self.care_exits[e]
    }

    /// Children in care now (at the end, once finished), by placement.
    pub fn in_care(&self) -> PerPlacement<u64> {
        self.in_care
    }

    /// Children on a child protection plan now (at the end, once finished).
    pub fn on_plan(&self) -> u64 {
        self.on_plan
    }

    /// Cases closed for `r`.
    pub fn closed(&self, r: ClosureReason) -> u64 {
        self.closures[r]
    }
}

/// One step of a run or a replay: metrics see the event, then state applies it.
#[inline]
pub fn fold(
    state: &mut State,
    metrics: &mut Metrics,
    at: Minute,
    event: &Event,
) -> Result<(), Inconsistent> {
    metrics.observe(at, event, state);
    state.apply(at, event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Attributes, CareRoute, Need, RiskFactors};
    use crate::model::scenario::{Scenario, DEFAULT_SCENARIO};

    const SEED: u64 = 9;

    fn attributes(children: u8, youngest: u8, eldest: u8) -> Attributes {
        Attributes {
            children,
            youngest_age: youngest,
            eldest_age: eldest,
            need: Need::Moderate,
            risk: 5_000,
            risk_factors: RiskFactors(0),
            network: 5_000,
        }
    }

    /// Children `0..n` of `family` counted as [`Who::count`] would, each
    /// with the age given.
    fn expected(family: FamilyId, ages: &[u8]) -> Who {
        let streams = Streams::new(SEED);
        let mut who = Who::default();
        for (k, &age) in ages.iter().enumerate() {
            who.count(age, &demographics::of_child(&streams, family, k as u8));
        }
        who
    }

    fn plus(a: Who, b: Who) -> Who {
        let mut s = a;
        s.add(&b);
        s
    }

    /// A family opened in care, then a family of three referred, on a plan
    /// and two of its children taken into care; the year closed after 31 March.
    #[test]
    fn children_are_counted_by_age_sex_and_ethnicity_in_flows_and_at_31_march() {
        let scenario = Scenario::parse(DEFAULT_SCENARIO, "default.toml").unwrap();
        let calendar = scenario.calendar();
        let mut state = State::new(&scenario);
        let mut metrics = Metrics::new(&calendar, SEED);
        let (opened, referred) = (FamilyId(0), FamilyId(1));
        let start = calendar.start();
        assert!(
            start.month() == 4 && start.day() < 20,
            "the run starts early in April: {start:?}"
        );
        let events = [
            Event::FamilyOpened {
                family: opened,
                attributes: attributes(1, 16, 16),
                stage: OpenStage::LookedAfter,
                placement: Some((Placement::Residential, 100_000)),
            },
            // Children aged 2, 7 and 12 (spread evenly).
            Event::FamilyReferred {
                family: referred,
                attributes: attributes(3, 2, 12),
            },
            Event::S47Started { family: referred },
            Event::S47Completed {
                family: referred,
                conference: true,
            },
            Event::ConferenceHeld {
                family: referred,
                plan: true,
            },
            Event::PlanStarted { family: referred },
            Event::PlanEnded {
                family: referred,
                step_down: false,
            },
            Event::EnteredCare {
                family: referred,
                route: CareRoute::Proceedings,
                placement: Placement::InHouseFoster,
                weekly_pence: 50_000,
                children: 2,
            },
        ];
        for (i, e) in events.iter().enumerate() {
            fold(&mut state, &mut metrics, (i as Minute + 1) * DAY, e).unwrap();
        }
        // To the middle of April of the next year: 31 March has passed.
        let end = calendar.minute_of(CivilDate::new(start.year() + 1, 4, 15).unwrap());
        metrics.finish(end, &state);
        let years = &metrics.who_years;
        assert_eq!(years.len(), 2, "{years:?}");
        let y = &years[0];
        assert_eq!(y.period, metrics.years[0].period);
        let family_of_three = expected(referred, &[2, 7, 12]);
        assert_eq!(y.referred, family_of_three);
        assert_eq!(y.plans_started, family_of_three);
        assert_eq!(y.care_entries, expected(referred, &[2, 7]));
        assert_eq!(y.referred.total(), metrics.years[0].referrals);
        assert_eq!(y.plans_started.total(), metrics.years[0].plans_started);
        assert_eq!(
            y.care_entries.total(),
            metrics.years[0].care_entries_total()
        );
        // At 31 March the children are a year older, whole years as the
        // birthdays fall; bands are checked directly.
        let stock = y.looked_after_at_end.expect("31 March was reached");
        assert_eq!(stock.total(), 3);
        assert_eq!(
            Some(stock.total()),
            metrics.years[0]
                .looked_after_at_end
                .map(|p| p.iter().sum::<u64>())
        );
        let with_sex_and_ethnicity = plus(expected(opened, &[16]), expected(referred, &[2, 7]));
        assert_eq!(stock.by_sex, with_sex_and_ethnicity.by_sex);
        assert_eq!(stock.by_ethnicity, with_sex_and_ethnicity.by_ethnicity);
        assert_eq!(stock.by_age[AgeBand::From16], 1, "{stock:?}");
        assert_eq!(
            stock.by_age[AgeBand::From1To4] + stock.by_age[AgeBand::From5To9],
            2,
            "{stock:?}"
        );
        // The year the run ends in has not reached its 31 March.
        assert_eq!(years[1].looked_after_at_end, None);
        assert_eq!(years[1].care_entries, Who::default());
    }

    #[test]
    fn characteristics_come_from_the_seed_so_another_seed_counts_other_children() {
        let scenario = Scenario::parse(DEFAULT_SCENARIO, "default.toml").unwrap();
        let calendar = scenario.calendar();
        let who = |seed: u64| {
            let mut state = State::new(&scenario);
            let mut metrics = Metrics::new(&calendar, seed);
            for f in 0..40 {
                let e = Event::FamilyReferred {
                    family: FamilyId(f),
                    attributes: attributes(2, 3, 9),
                };
                fold(&mut state, &mut metrics, DAY + u64::from(f), &e).unwrap();
            }
            metrics.finish(2 * DAY, &state);
            metrics.who_years[0].referred
        };
        assert_eq!(who(1), who(1));
        assert_eq!(who(1).total(), 80);
        assert_ne!(who(1).by_sex, who(2).by_sex);
    }
}
