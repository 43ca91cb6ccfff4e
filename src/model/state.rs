//! The state of a run, changed only by [`State::apply`].
//!
//! State holds what the model needs to decide: the families currently known
//! (open, or closed with a re-referral still to come) and the family help
//! team's caseload and waiting list. A family closed for good is dropped, so
//! memory follows the families open at once, not the length of the run.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::engine::codec;
use crate::model::calendar::{Minute, DAY, WEEK};
use crate::model::event::{
    Attributes, BudgetLine, Event, FamilyId, LegalStatus, OpenStage, Placement, Pool,
    TriageDecision,
};
use crate::model::families::Families;
use crate::model::per::{PerLine, PerPlacement, PerPool, PerSupport};
use crate::model::scenario::{Placements, Scenario, Staffing, WhenSpent};

/// A financial year of 365 days, in minutes: salaries accrue over it.
const SALARY_YEAR: Minute = 365 * DAY;

/// Where a family is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Referred; the front door has not decided yet.
    AwaitingTriage,
    /// On the family help waiting list.
    WaitingForHelp,
    /// Receiving family help.
    InHelp,
    /// Between routes: only between two events of one decision (e.g. help
    /// ended and the case is closing, or stepping up to child protection).
    Between,
    /// Closed, with a re-referral to come.
    Closed,
    /// A section 47 enquiry is under way.
    InEnquiry,
    /// Awaiting the initial child protection conference.
    AwaitingConference,
    /// On a child protection plan.
    OnPlan,
    /// Looked after (in care).
    InCare,
    /// In pre-proceedings: the letter before proceedings was sent.
    PreProceedings,
    /// Care proceedings are under way and the child lives at home.
    InProceedings,
}

impl Stage {
    /// Number of stages, for count arrays.
    pub const COUNT: usize = 11;
}

/// A year of 365.25 days, in minutes: ages count in these.
pub const AGE_YEAR: Minute = 525_960;

/// Minutes from the youngest child's birth to the family's first
/// referral, for family `id` whose youngest was `age` (whole years) then.
pub fn minutes_since_birth(id: FamilyId, age: u8) -> Minute {
    u64::from(age) * AGE_YEAR + birthday_offset(id)
}

/// Where in its year of age a family's youngest child was when first
/// referred, in minutes (0 to a year): spread evenly over families by id
/// (a Weyl sequence), so that birthdays need no random draw and a replay
/// knows them.
fn birthday_offset(id: FamilyId) -> Minute {
    // Fractional part of id x (golden ratio - 1), in 2^-32 steps.
    let frac = u64::from(id.0).wrapping_mul(2_654_435_769) & 0xFFFF_FFFF;
    (frac * AGE_YEAR) >> 32
}

// A family fits a cache line with its id (it was 104 bytes with 64-bit
// times; at a million open families the table's size is most of a run's
// memory and its cache misses most of the time at full size): see
// `model::families`.

/// One family known to the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    /// Attributes drawn when it was first referred.
    pub attributes: Attributes,
    /// Its current (latest) referral: 0 for the first.
    pub episode: u16,
    /// Where it is.
    pub stage: Stage,
    /// When it entered its current stage.
    stage_since: u32,
    /// When its current referral came in.
    referred_at: u32,
    /// When its previous referral came in, if any.
    previous_referral_at: Option<u32>,
    /// The front door's decision on the current referral.
    pub triage: Option<TriageDecision>,
    /// Family help caseload when its help started, parts per 10,000 of capacity.
    pub load_at_start: u16,
    /// Whether the family help assessment is complete.
    pub assessed: bool,
    /// When a child protection enquiry on its current referral started (strategy discussion).
    enquiry_started: Option<u32>,
    /// When the family was first referred (ages count from then).
    first_referred_at: u32,
    /// Where the child lives while in care.
    pub placement: Option<Placement>,
    /// What that placement costs a week, in pence (0 when not in care).
    weekly_pence: u32,
    /// A family group conference was held on the current referral.
    pub fgdm_held: bool,
    /// Its family-led plan names kinship carers.
    pub kin_named: bool,
    /// A family network support package was paid on the current referral.
    pub fnsp_paid: bool,
    /// A lead child protection practitioner holds the family's case.
    pub lead: bool,
    /// A looked-after child's legal status.
    pub legal: Option<LegalStatus>,
    /// Care proceedings are under way.
    pub proceedings: bool,
    /// How many of its children are looked after (0 when not in care).
    pub in_care: u8,
}

/// A minute as a family holds it: runs end long before `u32::MAX` minutes
/// (8,000 years), and [`State::apply`] refuses an event later than that, so
/// four bytes a time keep the families table small (issue 18).
#[inline]
fn stamp(at: Minute) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// A weekly placement cost as a family holds it (at most `u32::MAX` pence,
/// about £43 million a week); a larger one is refused.
fn pence_a_week(pence: u64) -> Result<u32, String> {
    u32::try_from(pence)
        .map_err(|_| format!("a placement of {pence} pence a week is beyond any cost"))
}

impl Family {
    /// When it entered its current stage.
    #[inline]
    pub fn stage_since(&self) -> Minute {
        Minute::from(self.stage_since)
    }

    /// When its current referral came in.
    #[inline]
    pub fn referred_at(&self) -> Minute {
        Minute::from(self.referred_at)
    }

    /// When its previous referral came in, if any.
    #[inline]
    pub fn previous_referral_at(&self) -> Option<Minute> {
        self.previous_referral_at.map(Minute::from)
    }

    /// When a child protection enquiry on its current referral started
    /// (the strategy discussion).
    #[inline]
    pub fn enquiry_started(&self) -> Option<Minute> {
        self.enquiry_started.map(Minute::from)
    }

    /// When the family was first referred (ages count from then).
    #[inline]
    pub fn first_referred_at(&self) -> Minute {
        Minute::from(self.first_referred_at)
    }

    /// What its placement costs a week, in pence (0 when not in care).
    #[inline]
    pub fn weekly_pence(&self) -> u64 {
        u64::from(self.weekly_pence)
    }

    /// A family first known at `at`, in `stage`.
    pub fn new(attributes: Attributes, stage: Stage, at: Minute) -> Family {
        Family {
            attributes,
            episode: 0,
            stage,
            stage_since: stamp(at),
            referred_at: stamp(at),
            previous_referral_at: None,
            triage: None,
            load_at_start: 0,
            assessed: false,
            enquiry_started: None,
            first_referred_at: stamp(at),
            placement: None,
            weekly_pence: 0,
            fgdm_held: false,
            kin_named: false,
            fnsp_paid: false,
            lead: false,
            legal: None,
            proceedings: false,
            in_care: 0,
        }
    }

    /// The minute the youngest child (family `id`) turns 18.
    pub fn turns_18_at(&self, id: FamilyId) -> Minute {
        let years = 18u64.saturating_sub(u64::from(self.attributes.youngest_age));
        (self.first_referred_at() + years * AGE_YEAR).saturating_sub(birthday_offset(id))
    }

    /// The minute child `k` (0 the youngest) of family `id` turns 18:
    /// siblings share the youngest's birthday, whole years apart.
    pub fn child_turns_18_at(&self, id: FamilyId, k: u8) -> Minute {
        let older = u64::from(self.attributes.sibling_offset(k)) * AGE_YEAR;
        self.turns_18_at(id).saturating_sub(older)
    }

    /// How many of the family's children are under 18 at `at` (the
    /// youngest ones; 0 once the youngest is 18).
    pub fn children_under_18(&self, id: FamilyId, at: Minute) -> u8 {
        (0..self.attributes.children.max(1))
            .take_while(|&k| at < self.child_turns_18_at(id, k))
            .count() as u8
    }

    /// Whole years of age of child `k` (0 the youngest) at `at`.
    pub fn child_whole_age_at(&self, id: FamilyId, k: u8, at: Minute) -> u8 {
        self.whole_age_at(id, at)
            .saturating_add(self.attributes.sibling_offset(k))
    }

    /// A family of `starting_caseload.closed` not yet referred again: its
    /// last referral was before the run, when is not known (it was opened
    /// closed, never triaged in the run, and has not moved since).
    pub fn closed_before_start(&self) -> bool {
        self.stage == Stage::Closed
            && self.episode == 0
            && self.triage.is_none()
            && self.stage_since == self.referred_at
    }

    /// Children looked after in a family already in care when the run
    /// starts: all its children under 18 (at least the youngest).
    pub fn looked_after_when_opened(&self, id: FamilyId, at: Minute) -> u8 {
        self.children_under_18(id, at).max(1)
    }

    /// The youngest child's age at `at`, in years (fractional).
    pub fn age_at(&self, id: FamilyId, at: Minute) -> f64 {
        18.0 - (self.turns_18_at(id) as f64 - at as f64) / AGE_YEAR as f64
    }

    /// A new referral (episode) of a known family at `at`.
    fn referred_again(&mut self, episode: u16, at: Minute) {
        *self = Family {
            episode,
            previous_referral_at: Some(self.referred_at),
            // What outlives a referral: when the family was first known,
            // and its place in care and in court.
            first_referred_at: self.first_referred_at,
            load_at_start: self.load_at_start,
            placement: self.placement,
            weekly_pence: self.weekly_pence,
            lead: self.lead,
            legal: self.legal,
            proceedings: self.proceedings,
            in_care: self.in_care,
            ..Family::new(self.attributes, Stage::AwaitingTriage, at)
        };
    }

    /// The youngest child's age at `at`, in whole years.
    pub fn whole_age_at(&self, id: FamilyId, at: Minute) -> u8 {
        self.age_at(id, at).clamp(0.0, 255.0).floor() as u8
    }
}

/// A pool that holds cases up to a cap: lead practitioners, FGDM coordinators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadPool {
    /// Families the pool can hold at once (from the staff in post).
    pub capacity: u32,
    /// Families it holds now.
    pub active: u32,
}

/// One staff pool's people now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Permanent staff in post.
    pub permanent: u32,
    /// Agency workers in post (each covering a vacancy under recruitment).
    pub agency: u32,
    /// Vacancies being recruited to.
    pub recruiting: u32,
    /// Apprentices in training.
    pub apprentices: u32,
    /// The id the next permanent worker gets (addresses their random stream).
    pub next_worker: u32,
    /// The number the next recruitment gets.
    pub next_vacancy: u32,
    /// The number the next apprentice gets.
    pub next_apprentice: u32,
}

impl Staff {
    /// Workers in post, permanent and agency.
    pub fn in_post(&self) -> u32 {
        self.permanent + self.agency
    }
}

/// What one version of the policy timeline sets for a staff pool, in whole numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolTerms {
    /// Funded posts: the FTE rounded up (each post holds FTE / posts).
    pub posts: u32,
    /// Funded FTE in thousandths.
    pub fte_milli: u64,
    /// Cases per full-time worker.
    pub cap: u32,
    /// A permanent worker's cost a year, in pence.
    pub permanent_pence: u64,
    /// An agency worker's cost a year, in pence.
    pub agency_pence: u64,
    /// An apprentice's cost a year, in pence.
    pub apprentice_pence: u64,
    /// The budget line paying the pool rations when spent.
    pub rations: bool,
}

impl PoolTerms {
    /// Every pool's terms in a scenario (version), in [`Pool::ALL`] order.
    pub fn of(s: &Scenario) -> PerPool<PoolTerms> {
        let staffing = s.staffing();
        let pools = s.workforce.pools();
        let lines = s.budget.lines();
        PerPool::from_fn(|pool| {
            let Staffing { fte, cap, .. } = staffing[pool];
            let p = pools[pool];
            let posts = fte.ceil() as u32;
            let per_post = if posts == 0 {
                0.0
            } else {
                fte / f64::from(posts)
            };
            let pence = |pounds: f64| libm::round(pounds * 100.0) as u64;
            let salary = p.salary_pounds_per_year.get() * per_post;
            PoolTerms {
                posts,
                fte_milli: libm::round(fte * 1000.0) as u64,
                cap,
                permanent_pence: pence(salary),
                agency_pence: pence(salary * (1.0 + p.agency_premium.get())),
                apprentice_pence: pence(p.apprentice_salary_pounds_per_year.get()),
                rations: lines[pool.line()].when_spent == WhenSpent::Ration,
            }
        })
    }

    /// Cases the pool can hold with `in_post` workers.
    pub fn capacity(&self, in_post: u32) -> u32 {
        if self.posts == 0 {
            return 0;
        }
        let cases = u128::from(in_post) * u128::from(self.fte_milli) * u128::from(self.cap)
            / (u128::from(self.posts) * 1000);
        u32::try_from(cases).unwrap_or(u32::MAX)
    }

    /// What the pool's people cost a year, in pence.
    pub fn yearly_pence(&self, staff: &Staff) -> u128 {
        u128::from(staff.permanent) * u128::from(self.permanent_pence)
            + u128::from(staff.agency) * u128::from(self.agency_pence)
            + u128::from(staff.apprentices) * u128::from(self.apprentice_pence)
    }
}

/// The funding ledger: what each budget line has spent this financial year,
/// and the staff and placement costs accrued since they were last settled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// The financial year (index from the run's first) the figures are for.
    pub year: u32,
    /// Spent in it, in pence, by [`BudgetLine::ALL`] order.
    pub spent: PerLine<u64>,
    /// Whether each line's money ran out in it (`BudgetExhausted` recorded).
    pub exhausted: PerLine<bool>,
    /// Costs accrued and not yet settled, in pence x minutes per unit
    /// (placements: per week; staff: per year).
    accrued: PerLine<u128>,
    /// What accrues per minute: weekly pence of placements open, yearly pence of staff.
    rate: PerLine<u128>,
    /// When costs were last accrued.
    last: Minute,
}

impl Ledger {
    /// A line's spending in a financial year must stay below this many
    /// pence (about £184 quadrillion): a `Spent` or `FnspPaid` that would
    /// reach it is refused as an overflow, so money never wraps.
    pub const LIMIT: u64 = u64::MAX;

    /// `spent` plus `pence`, or why the ledger cannot hold it.
    fn add_spent(&mut self, line: BudgetLine, pence: u64) -> Result<(), String> {
        match self.spent[line].checked_add(pence) {
            Some(total) if total < Ledger::LIMIT => {
                self.spent[line] = total;
                Ok(())
            }
            _ => Err(format!(
                "{} more pence on {} this financial year (after {}) overflow the ledger: spending must stay below {} pence a year on a line",
                pence,
                line.label(),
                self.spent[line],
                Ledger::LIMIT
            )),
        }
    }

    /// Minutes per unit of each line's rate.
    const UNIT: PerLine<u128> = PerLine([
        SALARY_YEAR as u128,
        SALARY_YEAR as u128,
        1,
        WEEK as u128,
        SALARY_YEAR as u128,
    ]);

    fn accrue(&mut self, at: Minute) {
        let dt = u128::from(at.saturating_sub(self.last));
        if dt > 0 {
            for (a, r) in self.accrued.iter_mut().zip(self.rate) {
                // Saturating: an amount this large is refused when settled.
                *a = a.saturating_add(r.saturating_mul(dt));
            }
            self.last = at;
        }
    }
}

/// The family help team's caseload and waiting list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyHelpTeam {
    /// Families the team can hold at once.
    pub capacity: u32,
    /// Families it holds now.
    pub active: u32,
    /// The waiting list, first come first served: each family with the
    /// minute it joined. A family that leaves the list other than by
    /// starting help (escalating, disengaging) stays in it as a stale entry
    /// until it reaches the front, so leaving costs O(1) however long the
    /// list; the front entry is always a family still waiting.
    waiting: VecDeque<(FamilyId, Minute)>,
    /// Stale entries in `waiting`.
    left: u32,
}

impl FamilyHelpTeam {
    /// An empty team.
    fn new() -> Self {
        FamilyHelpTeam {
            capacity: 0,
            active: 0,
            waiting: VecDeque::new(),
            left: 0,
        }
    }

    /// Families waiting now.
    pub fn waiting_count(&self) -> u32 {
        (self.waiting.len() as u32).saturating_sub(self.left)
    }

    /// The family first in the queue, if any.
    pub fn next_waiting(&self) -> Option<FamilyId> {
        self.waiting.front().map(|&(f, _)| f)
    }

    /// Caseload as parts per 10,000 of `capacity`, with `active` families held.
    pub fn load_of(active: u32, capacity: u32) -> u16 {
        if capacity == 0 {
            return 10_000;
        }
        (u64::from(active.min(capacity)) * 10_000 / u64::from(capacity)) as u16
    }
}

/// The state's counters and teams, written out with its families (a snapshot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateImage {
    /// The id the next new family gets.
    pub next_family: u32,
    /// The family help team.
    pub family_help: FamilyHelpTeam,
    /// Lead practitioners.
    pub leads: LeadPool,
    /// FGDM coordinators.
    pub coordinators: LeadPool,
    /// Each staff pool's people.
    pub staff: PerPool<Staff>,
    /// The version of the policy timeline in force.
    pub version: u32,
    /// The funding ledger.
    pub ledger: Ledger,
    /// Families in each stage.
    pub stage_count: [u32; Stage::COUNT],
    /// Placement sufficiency's bookkeeping, if the scenario has it.
    pub places: Option<Places>,
    /// Care leavers in each kind of support, once one has started.
    pub leaving_care: Option<PerSupport<u32>>,
}

/// Placement sufficiency's bookkeeping (kept only when the scenario has
/// `[placements]`, so a run without it holds and hashes what it always did).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Places {
    /// Approved places with the council's own foster carers, used or free
    /// (fewer than the children in them after carers left with a child).
    pub in_house_approved: u32,
    /// Children in each placement type within the area.
    pub in_area: PerPlacement<u32>,
    /// Children in each placement type outside the area.
    pub out_of_area: PerPlacement<u32>,
    /// Families whose children are placed outside the area.
    pub away: BTreeSet<FamilyId>,
}

impl Places {
    /// `n` children of `family` leave their placement `p`.
    fn release(&mut self, family: FamilyId, p: Placement, n: u32) -> Result<(), String> {
        let counts = if self.away.contains(&family) {
            &mut self.out_of_area
        } else {
            &mut self.in_area
        };
        counts[p] = counts[p]
            .checked_sub(n)
            .ok_or_else(|| format!("{n} children leave {} where fewer are placed", p.label()))?;
        Ok(())
    }
}

/// A regional care co-operative's places as one council sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooperative {
    /// Places the council may still fill this month, by type.
    pub allotted: PerPlacement<u32>,
    /// What a commissioned place costs, in thousandths of its type's cost.
    pub price_permille: u32,
    /// The council's children in the co-operative's places, by type.
    pub placed: PerPlacement<u32>,
    /// Families whose children are in the co-operative's places.
    pub families: BTreeSet<FamilyId>,
}

/// An event that does not fit the state it is applied to: a corrupt or
/// foreign log, or a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} at minute {at} does not fit the state: {why}")]
pub struct Inconsistent {
    /// The event's name.
    pub event: &'static str,
    /// When.
    pub at: Minute,
    /// What does not fit.
    pub why: String,
}

/// Everything a run knows.
#[derive(Clone, Debug)]
pub struct State {
    families: Families,
    next_family: u32,
    /// The family help team.
    pub family_help: FamilyHelpTeam,
    /// Lead child protection practitioners.
    pub leads: LeadPool,
    /// FGDM coordinators.
    pub coordinators: LeadPool,
    /// Each staff pool's people, in [`Pool::ALL`] order.
    pub staff: PerPool<Staff>,
    /// The pools' terms in each version of the policy timeline.
    terms: Vec<PerPool<PoolTerms>>,
    /// The version of the policy timeline in force.
    version: usize,
    /// The funding ledger.
    pub ledger: Ledger,
    /// Families in each stage, in [`Stage`] order.
    stage_count: [u32; Stage::COUNT],
    /// Placement sufficiency's bookkeeping, if the scenario has it.
    pub places: Option<Places>,
    /// A regional care co-operative's places, once the region's run has
    /// allotted some (never in a run of one council).
    pub cooperative: Option<Cooperative>,
    /// Care leavers in each kind of support now, once one has started.
    pub leaving_care: Option<PerSupport<u32>>,
    /// The minute each financial year after the first starts.
    year_starts: Vec<Minute>,
    /// The end of the run.
    horizon: Minute,
}

impl State {
    /// The state at the start of a run of `scenario`: no families, and no
    /// staff until the run's `StaffStarted` events.
    pub fn new(scenario: &Scenario) -> Self {
        let terms = scenario
            .timeline()
            .map(|versions| versions.iter().map(|(_, v)| PoolTerms::of(v)).collect())
            .unwrap_or_else(|_| vec![PoolTerms::of(scenario)]);
        let cal = scenario.calendar();
        State {
            families: Families::default(),
            next_family: 0,
            family_help: FamilyHelpTeam::new(),
            leads: LeadPool {
                capacity: 0,
                active: 0,
            },
            coordinators: LeadPool {
                capacity: 0,
                active: 0,
            },
            staff: Default::default(),
            terms,
            version: 0,
            ledger: Ledger::default(),
            stage_count: [0; Stage::COUNT],
            places: scenario.placements.as_ref().map(|p| Places {
                in_house_approved: Placements::for_area(
                    &p.in_house_foster_places_per_10k_children,
                    scenario.area.children,
                ),
                ..Places::default()
            }),
            cooperative: None,
            leaving_care: None,
            year_starts: cal.financial_year_starts(),
            horizon: cal.horizon(),
        }
    }

    /// What a regional care co-operative's commissioned place costs, in
    /// thousandths of its type's weekly cost (1000 without a co-operative).
    pub fn cooperative_price(&self) -> u32 {
        self.cooperative.as_ref().map_or(1000, |c| c.price_permille)
    }

    /// `n` children of `family` leave their placement `p` (wherever it
    /// is); with `all`, the family's last children, so it is no longer
    /// counted as placed out of the area or in the co-operative.
    fn vacate(&mut self, family: FamilyId, p: Placement, n: u32, all: bool) -> Result<(), String> {
        if let Some(c) = self
            .cooperative
            .as_mut()
            .filter(|c| c.families.contains(&family))
        {
            c.placed[p] = c.placed[p].checked_sub(n).ok_or_else(|| {
                format!(
                    "{n} children leave the co-operative's {} places where fewer are placed",
                    p.label()
                )
            })?;
            if all {
                c.families.remove(&family);
            }
            return Ok(());
        }
        if let Some(places) = &mut self.places {
            places.release(family, p, n)?;
            if all {
                places.away.remove(&family);
            }
        }
        Ok(())
    }

    /// The state written out: counters and teams, and the families in id order.
    pub fn image(&self) -> (StateImage, Vec<(FamilyId, Family)>) {
        let mut families: Vec<(FamilyId, Family)> = self
            .families
            .iter()
            .map(|(id, f)| (id, f.clone()))
            .collect();
        families.sort_unstable_by_key(|&(id, _)| id);
        (
            StateImage {
                next_family: self.next_family,
                family_help: self.family_help.clone(),
                leads: self.leads.clone(),
                coordinators: self.coordinators.clone(),
                staff: self.staff.clone(),
                version: self.version as u32,
                ledger: self.ledger.clone(),
                stage_count: self.stage_count,
                places: self.places.clone(),
                leaving_care: self.leaving_care,
            },
            families,
        )
    }

    /// A state read back from its image, under `scenario` (whose staff terms
    /// it takes; a version beyond its timeline is taken as its last).
    pub fn restore(
        scenario: &Scenario,
        image: &StateImage,
        families: &[(FamilyId, Family)],
    ) -> State {
        let mut state = State::new(scenario);
        state.families = families.iter().cloned().collect();
        state.next_family = image.next_family;
        state.family_help = image.family_help.clone();
        state.leads = image.leads.clone();
        state.coordinators = image.coordinators.clone();
        state.staff = image.staff.clone();
        state.version = (image.version as usize).min(state.terms.len() - 1);
        state.ledger = image.ledger.clone();
        if state.places.is_some() {
            state.places = image.places.clone().or(state.places);
        }
        state.leaving_care = image.leaving_care;
        // Counted again from the families, not trusted from the file.
        state.stage_count = [0; Stage::COUNT];
        for (_, f) in families {
            state.stage_count[f.stage as usize] += 1;
        }
        state
    }

    /// The minute each financial year after the run's first starts (1 April).
    pub fn year_starts(&self) -> &[Minute] {
        &self.year_starts
    }

    /// When the financial year of `at` ends (or the run, if sooner).
    pub fn year_end(&self, at: Minute) -> Minute {
        self.year_starts
            .get(self.financial_year(at) as usize)
            .copied()
            .unwrap_or(self.horizon)
    }

    /// The terms of each pool in the version of the policy timeline in force.
    pub fn terms(&self) -> &PerPool<PoolTerms> {
        &self.terms[self.version]
    }

    /// Families in a stage now.
    pub fn in_stage(&self, stage: Stage) -> u32 {
        self.stage_count[stage as usize]
    }

    /// Cases a pool holds now (for the front door and child protection,
    /// families in their stages).
    pub fn cases(&self, pool: Pool) -> u32 {
        match pool {
            Pool::FrontDoor => self.in_stage(Stage::AwaitingTriage),
            Pool::FamilyHelp => self.family_help.active,
            Pool::ChildProtection => {
                self.in_stage(Stage::InEnquiry)
                    + self.in_stage(Stage::AwaitingConference)
                    + self.in_stage(Stage::OnPlan)
                    + self.in_stage(Stage::PreProceedings)
                    + self.in_stage(Stage::InProceedings)
            }
            Pool::LeadPractitioners => self.leads.active,
            Pool::FgdmCoordinators => self.coordinators.active,
        }
    }

    /// Cases a pool can hold at its cap with the staff in post now.
    pub fn capacity(&self, pool: Pool) -> u32 {
        self.terms()[pool].capacity(self.staff[pool].in_post())
    }

    /// A pool's load: cases over capacity, from 0 to 2 (2 when it has no
    /// capacity but has cases).
    pub fn load(&self, pool: Pool) -> f64 {
        let (cases, capacity) = (self.cases(pool), self.capacity(pool));
        if capacity == 0 {
            return if cases == 0 { 0.0 } else { 2.0 };
        }
        (f64::from(cases) / f64::from(capacity)).min(2.0)
    }

    /// Money spent from `line` so far in the financial year of `at`, in
    /// pence, with staff and placement costs accrued up to `at`.
    /// (At most `u64::MAX`: a sum that would not fit stays there, for
    /// comparing with a budget; the ledger refuses to record it.)
    pub fn spent(&self, line: BudgetLine, at: Minute) -> u64 {
        let settled = if self.ledger.year == self.financial_year(at) {
            self.ledger.spent[line]
        } else {
            0
        };
        settled.saturating_add(self.owed(line, at))
    }

    /// Staff or placement costs accrued on `line` up to `at` and not yet
    /// settled by a `Spent` event, in pence. An amount that does not fit
    /// in a `u64` is `u64::MAX`, never a wrapped number: settling it is
    /// then refused as an overflow (see [`Ledger::LIMIT`]).
    pub fn owed(&self, line: BudgetLine, at: Minute) -> u64 {
        let l = &self.ledger;
        let accrued = l.accrued[line]
            .saturating_add(l.rate[line].saturating_mul(u128::from(at.saturating_sub(l.last))));
        u64::try_from(accrued / Ledger::UNIT[line]).unwrap_or(u64::MAX)
    }

    /// What `line` will have spent by the end of the financial year of `at`
    /// if its staff and placements stay as they are, plus `extra_yearly`
    /// pence a year from `at` on, in pence (at most `u64::MAX`, as
    /// [`State::spent`]).
    pub fn forecast(&self, line: BudgetLine, at: Minute, extra_yearly: u128) -> u64 {
        let rest = u128::from(self.year_end(at).saturating_sub(at));
        let more = self.ledger.rate[line]
            .saturating_add(extra_yearly)
            .saturating_mul(rest)
            / Ledger::UNIT[line];
        self.spent(line, at)
            .saturating_add(u64::try_from(more).unwrap_or(u64::MAX))
    }

    /// Whether `line` already recorded `BudgetExhausted` in the financial year of `at`.
    pub fn exhausted(&self, line: BudgetLine, at: Minute) -> bool {
        self.ledger.year == self.financial_year(at) && self.ledger.exhausted[line]
    }

    /// The financial year (from 0, the run's first) that `at` falls in.
    pub fn financial_year(&self, at: Minute) -> u32 {
        self.year_starts.partition_point(|&s| s <= at) as u32
    }

    /// The family, if the run still knows it.
    #[inline]
    pub fn family(&self, id: FamilyId) -> Option<&Family> {
        self.families.get(id)
    }

    /// The family, if it is still at `stage` on referral `episode`: a
    /// happening that finds it elsewhere is stale and decides nothing.
    #[inline]
    pub fn family_at(&self, id: FamilyId, stage: Stage, episode: u16) -> Option<&Family> {
        self.families
            .get(id)
            .filter(|f| f.stage == stage && f.episode == episode)
    }

    /// The id the next new family will get.
    pub fn next_family_id(&self) -> FamilyId {
        FamilyId(self.next_family)
    }

    /// Families the run knows now (open, or closed with a re-referral to come).
    pub fn known_families(&self) -> usize {
        self.families.len()
    }

    /// Families with children looked after now, in no particular order:
    /// for counts, whose sums do not depend on it.
    pub fn families_in_care(&self) -> impl Iterator<Item = (FamilyId, &Family)> + '_ {
        self.families.iter().filter(|(_, f)| f.in_care > 0)
    }

    /// Families in each stage, in [`Stage`] order.
    pub fn stage_counts(&self) -> [u64; Stage::COUNT] {
        let mut c = [0u64; Stage::COUNT];
        for (_, f) in self.families.iter() {
            c[f.stage as usize] += 1;
        }
        c
    }

    /// Applies one event: the only place state changes.
    pub fn apply(&mut self, at: Minute, event: &Event) -> Result<(), Inconsistent> {
        if at > Minute::from(u32::MAX) {
            return Err(Inconsistent {
                event: event.name(),
                at,
                why:
                    "it is more than 8,000 years after the start (families hold minutes in 32 bits)"
                        .into(),
            });
        }
        let id = event.family();
        let before = id.and_then(|id| self.families.get(id).map(|f| f.stage));
        self.apply_event(at, event)?;
        if let Some(id) = id {
            let f = self.families.get_mut(id);
            let after = f.as_ref().map(|f| f.stage);
            if before != after {
                if let Some(s) = before {
                    self.stage_count[s as usize] = self.stage_count[s as usize].saturating_sub(1);
                }
                if let Some(s) = after {
                    self.stage_count[s as usize] += 1;
                }
            }
            // A lead practitioner lets the case go when the family leaves
            // child protection (closing, care, or family help).
            if let Some(f) = f {
                if f.lead
                    && !matches!(
                        f.stage,
                        Stage::InEnquiry
                            | Stage::AwaitingConference
                            | Stage::OnPlan
                            | Stage::PreProceedings
                            | Stage::InProceedings
                            | Stage::Between
                    )
                {
                    f.lead = false;
                    self.leads.active = self.leads.active.saturating_sub(1);
                }
            }
        }
        Ok(())
    }

    fn apply_event(&mut self, at: Minute, event: &Event) -> Result<(), Inconsistent> {
        let bad = |why: String| Inconsistent {
            event: event.name(),
            at,
            why,
        };
        match *event {
            Event::FamilyReferred { family, attributes } => {
                self.new_family(family, attributes, Stage::AwaitingTriage, at)
                    .map_err(bad)?;
            }
            Event::FamilyReReferred { family, episode } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::Closed || episode != f.episode.wrapping_add(1) {
                    return Err(bad(format!(
                        "family {family} is {:?} at episode {}, not closed before episode {episode}",
                        f.stage, f.episode
                    )));
                }
                f.referred_again(episode, at);
            }
            Event::Escalated { family, episode } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::WaitingForHelp || episode != f.episode.wrapping_add(1) {
                    return Err(bad(format!(
                        "family {family} is {:?} at episode {}, not waiting before episode {episode}",
                        f.stage, f.episode
                    )));
                }
                f.referred_again(episode, at);
                self.left_waiting_list();
            }
            Event::Disengaged { family } => {
                self.move_family(family, at, event, Stage::WaitingForHelp, Stage::Between)?;
                self.left_waiting_list();
            }
            Event::RiskChanged { family, risk } => {
                if risk > 10_000 {
                    return Err(bad(format!("risk {risk} is over 10,000 parts")));
                }
                self.family_mut(family, at, event)?.attributes.risk = risk;
            }
            Event::PreProceedingsStarted { family } => {
                self.move_family(family, at, event, Stage::Between, Stage::PreProceedings)?;
            }
            Event::ProceedingsIssued { family } => {
                let f = self.family_mut(family, at, event)?;
                match f.stage {
                    // Urgent proceedings at the end of an enquiry come
                    // without pre-proceedings.
                    Stage::PreProceedings | Stage::Between => {
                        f.stage = Stage::InProceedings;
                        f.stage_since = stamp(at);
                    }
                    Stage::InCare => {}
                    s => return Err(bad(format!("family {family} is {s:?}"))),
                }
                if f.proceedings {
                    return Err(bad(format!("family {family} is already in proceedings")));
                }
                f.proceedings = true;
            }
            Event::ProceedingsEnded { family, .. } => {
                let f = self.family_mut(family, at, event)?;
                if !f.proceedings {
                    return Err(bad(format!("family {family} is not in proceedings")));
                }
                f.proceedings = false;
                if f.stage == Stage::InProceedings {
                    f.stage = Stage::Between;
                    f.stage_since = stamp(at);
                }
            }
            Event::LegalStatusChanged { family, legal } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::InCare {
                    return Err(bad(format!(
                        "family {family} is {:?}, not in care",
                        f.stage
                    )));
                }
                f.legal = Some(legal);
                // A child under an interim care order is in proceedings
                // (already so, except for a starting caseload's child).
                if legal == LegalStatus::InterimCareOrder {
                    f.proceedings = true;
                }
            }
            Event::KinshipArrangementMade { family, .. } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(
                    f.stage,
                    Stage::Between | Stage::PreProceedings | Stage::InProceedings
                ) || f.proceedings
                {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                f.stage = Stage::Between;
                f.stage_since = stamp(at);
            }
            Event::UnaccompaniedChildArrived { family, attributes } => {
                self.new_family(family, attributes, Stage::Between, at)
                    .map_err(bad)?;
            }
            Event::MeasurementStarted => {}
            Event::TriageDecided { family, decision } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::AwaitingTriage || f.triage.is_some() {
                    return Err(bad(format!("family {family} is not awaiting triage")));
                }
                f.triage = Some(decision);
            }
            Event::FamilyHelpQueued { family } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(
                    f.stage,
                    Stage::AwaitingTriage | Stage::Between | Stage::PreProceedings
                ) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                f.stage = Stage::WaitingForHelp;
                f.stage_since = stamp(at);
                self.family_help.waiting.push_back((family, at));
            }
            Event::FamilyHelpStarted { family } => {
                let team = &mut self.family_help;
                if team.active >= team.capacity {
                    return Err(bad(format!(
                        "the family help team is full ({} of {})",
                        team.active, team.capacity
                    )));
                }
                let load = FamilyHelpTeam::load_of(team.active, team.capacity);
                let f = self
                    .families
                    .get_mut(family)
                    .ok_or_else(|| bad(format!("family {family} is not known")))?;
                let from_list = match f.stage {
                    Stage::AwaitingTriage | Stage::Between | Stage::PreProceedings => false,
                    Stage::WaitingForHelp if team.next_waiting() == Some(family) => {
                        team.waiting.pop_front();
                        true
                    }
                    s => return Err(bad(format!("family {family} is {s:?}, not next for help"))),
                };
                team.active += 1;
                f.stage = Stage::InHelp;
                f.stage_since = stamp(at);
                f.load_at_start = load;
                f.assessed = false;
                if from_list {
                    self.prune_waiting_list();
                }
            }
            Event::AssessmentCompleted { family } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::InHelp || f.assessed {
                    return Err(bad(format!("family {family} has no assessment under way")));
                }
                f.assessed = true;
            }
            Event::FamilyHelpEnded { family, .. } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::InHelp {
                    return Err(bad(format!(
                        "family {family} is {:?}, not in help",
                        f.stage
                    )));
                }
                f.stage = Stage::Between;
                f.stage_since = stamp(at);
                self.family_help.active = self.family_help.active.saturating_sub(1);
            }
            Event::CaseClosed {
                family,
                rereferral_due,
                ..
            } => {
                let f = self.family_mut(family, at, event)?;
                if matches!(
                    f.stage,
                    Stage::Closed | Stage::WaitingForHelp | Stage::InHelp | Stage::InProceedings
                ) || f.proceedings
                {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                match rereferral_due {
                    Some(due) if due > at => {
                        f.stage = Stage::Closed;
                        f.stage_since = stamp(at);
                    }
                    Some(due) => {
                        return Err(bad(format!(
                            "re-referral due at minute {due} is not after closure"
                        )))
                    }
                    None => {
                        if self.families.remove(family).is_some_and(|f| f.lead) {
                            self.leads.active = self.leads.active.saturating_sub(1);
                        }
                    }
                }
            }
            Event::S47Started { family } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(f.stage, Stage::AwaitingTriage | Stage::Between) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                f.stage = Stage::InEnquiry;
                f.stage_since = stamp(at);
                f.enquiry_started = Some(stamp(at));
            }
            Event::S47Completed { family, conference } => {
                self.move_family(
                    family,
                    at,
                    event,
                    Stage::InEnquiry,
                    if conference {
                        Stage::AwaitingConference
                    } else {
                        Stage::Between
                    },
                )?;
            }
            Event::ConferenceHeld { family, .. } => {
                self.move_family(family, at, event, Stage::AwaitingConference, Stage::Between)?;
            }
            Event::PlanStarted { family } => {
                self.move_family(family, at, event, Stage::Between, Stage::OnPlan)?;
            }
            Event::PlanReviewed { family } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::OnPlan {
                    return Err(bad(format!(
                        "family {family} is {:?}, not on a plan",
                        f.stage
                    )));
                }
            }
            Event::PlanEnded { family, .. } => {
                self.move_family(family, at, event, Stage::OnPlan, Stage::Between)?;
            }
            Event::EnteredCare {
                family,
                placement,
                weekly_pence,
                children,
                ..
            } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(
                    f.stage,
                    Stage::Between | Stage::InEnquiry | Stage::InProceedings
                ) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                if children == 0 || children > f.attributes.children.max(1) {
                    return Err(bad(format!(
                        "{children} children of family {family}'s {} came into care",
                        f.attributes.children
                    )));
                }
                f.stage = Stage::InCare;
                f.stage_since = stamp(at);
                f.placement = Some(placement);
                f.weekly_pence = pence_a_week(weekly_pence).map_err(bad)?;
                f.in_care = children;
                self.ledger.accrue(at);
                self.ledger.rate[BudgetLine::Placements] +=
                    u128::from(weekly_pence) * u128::from(children);
                if let Some(places) = &mut self.places {
                    places.in_area[placement] += u32::from(children);
                }
            }
            Event::SiblingLeftCare { family } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::InCare || f.in_care < 2 {
                    return Err(bad(format!(
                        "family {family} is {:?} with {} children in care",
                        f.stage, f.in_care
                    )));
                }
                f.in_care -= 1;
                let (weekly, placement) = (f.weekly_pence, f.placement);
                self.ledger.accrue(at);
                self.ledger.rate[BudgetLine::Placements] -= u128::from(weekly);
                if let Some(p) = placement {
                    self.vacate(family, p, 1, false).map_err(&bad)?;
                }
            }
            Event::LeftCare { family, .. } => {
                self.move_family(family, at, event, Stage::InCare, Stage::Between)?;
                if let Some(f) = self.families.get_mut(family) {
                    let placement = f.placement.take();
                    f.legal = None;
                    f.proceedings = false;
                    let children = std::mem::take(&mut f.in_care);
                    self.ledger.accrue(at);
                    self.ledger.rate[BudgetLine::Placements] -=
                        u128::from(std::mem::take(&mut f.weekly_pence)) * u128::from(children);
                    if let Some(p) = placement {
                        self.vacate(family, p, u32::from(children), true)
                            .map_err(&bad)?;
                    }
                }
            }
            Event::PlacedOutOfArea { family } => {
                let f = self.family_mut(family, at, event)?;
                let (stage, placement, n) = (f.stage, f.placement, u32::from(f.in_care));
                let places = self
                    .places
                    .as_mut()
                    .ok_or_else(|| bad("the scenario has no [placements]".into()))?;
                let Some(p) = placement.filter(|_| stage == Stage::InCare) else {
                    return Err(bad(format!("family {family} is not in care")));
                };
                places.release(family, p, n).map_err(&bad)?;
                if !places.away.insert(family) {
                    return Err(bad(format!("family {family} is already out of the area")));
                }
                places.out_of_area[p] += n;
            }
            Event::PlacementMoved {
                family,
                placement,
                weekly_pence,
            } => {
                let f = self.family_mut(family, at, event)?;
                let Some(old) = f.placement.filter(|_| f.stage == Stage::InCare) else {
                    return Err(bad(format!("family {family} is not in care")));
                };
                let n = f.in_care;
                let before = f.weekly_pence;
                f.placement = Some(placement);
                f.weekly_pence = pence_a_week(weekly_pence).map_err(bad)?;
                self.ledger.accrue(at);
                let rate = &mut self.ledger.rate[BudgetLine::Placements];
                *rate = *rate - u128::from(before) * u128::from(n)
                    + u128::from(weekly_pence) * u128::from(n);
                self.vacate(family, old, u32::from(n), true).map_err(&bad)?;
                if let Some(places) = &mut self.places {
                    places.in_area[placement] += u32::from(n);
                }
            }
            Event::FosterPlacesApproved { places: n } => {
                let places = self
                    .places
                    .as_mut()
                    .ok_or_else(|| bad("the scenario has no [placements]".into()))?;
                places.in_house_approved += n;
            }
            Event::FosterPlacesLost { places: n } => {
                let places = self
                    .places
                    .as_mut()
                    .ok_or_else(|| bad("the scenario has no [placements]".into()))?;
                if n > places.in_house_approved {
                    return Err(bad(format!(
                        "{n} places lost where {} are approved",
                        places.in_house_approved
                    )));
                }
                places.in_house_approved -= n;
            }
            Event::CooperativePlacesAllotted {
                in_house_foster,
                agency_foster,
                residential,
                price_permille,
            } => {
                if self.places.is_none() {
                    return Err(bad("the scenario has no [placements]".into()));
                }
                let c = self.cooperative.get_or_insert_with(Cooperative::default);
                c.allotted[Placement::InHouseFoster] = in_house_foster;
                c.allotted[Placement::AgencyFoster] = agency_foster;
                c.allotted[Placement::Residential] = residential;
                c.price_permille = price_permille;
            }
            Event::PlacedInCooperative { family } => {
                let f = self.family_mut(family, at, event)?;
                let (stage, placement, n) = (f.stage, f.placement, u32::from(f.in_care));
                let Some(p) = placement.filter(|_| stage == Stage::InCare) else {
                    return Err(bad(format!("family {family} is not in care")));
                };
                let (Some(places), Some(c)) = (&mut self.places, &mut self.cooperative) else {
                    return Err(bad("no co-operative places were allotted".into()));
                };
                if places.away.contains(&family) || !c.families.insert(family) {
                    return Err(bad(format!("family {family} is already placed elsewhere")));
                }
                c.allotted[p] = c.allotted[p].checked_sub(n).ok_or_else(|| {
                    bad(format!(
                        "{n} children placed where {} {} places are allotted",
                        c.allotted[p],
                        p.label()
                    ))
                })?;
                c.placed[p] += n;
                places.release(family, p, n).map_err(&bad)?;
            }
            Event::CareLeaver { family, .. } => {
                self.family_mut(family, at, event)?;
            }
            Event::LeavingCareSupportStarted {
                family,
                support,
                weekly_pence,
            } => {
                self.family_mut(family, at, event)?;
                self.ledger.accrue(at);
                self.ledger.rate[BudgetLine::Placements] += u128::from(weekly_pence);
                self.leaving_care.get_or_insert_with(PerSupport::default)[support] += 1;
            }
            Event::LeavingCareSupportEnded {
                support,
                weekly_pence,
            } => {
                let active = self
                    .leaving_care
                    .as_mut()
                    .map(|c| &mut c[support])
                    .filter(|n| **n > 0)
                    .ok_or_else(|| bad(format!("no {} has started", support.label())))?;
                *active -= 1;
                self.ledger.accrue(at);
                let rate = &mut self.ledger.rate[BudgetLine::Placements];
                *rate = rate
                    .checked_sub(u128::from(weekly_pence))
                    .ok_or_else(|| bad("more ends than the placements line pays for".into()))?;
            }
            Event::FgdmOffered { family, .. } | Event::FnspRefused { family } => {
                self.family_mut(family, at, event)?;
            }
            Event::FgdmHeld { family, kin_named } => {
                let f = self.family_mut(family, at, event)?;
                if f.fgdm_held {
                    return Err(bad(format!(
                        "family {family} already had a family group conference"
                    )));
                }
                f.fgdm_held = true;
                f.kin_named = kin_named;
                if self.coordinators.active >= self.coordinators.capacity {
                    return Err(bad(format!(
                        "the FGDM coordinators are full ({} of {})",
                        self.coordinators.active, self.coordinators.capacity
                    )));
                }
                self.coordinators.active += 1;
            }
            Event::FnspPaid { family, pence } => {
                let f = self.family_mut(family, at, event)?;
                if !f.fgdm_held || f.fnsp_paid {
                    return Err(bad(format!(
                        "family {family} has no family-led plan waiting for a package"
                    )));
                }
                f.fnsp_paid = true;
                self.roll_year(at);
                self.ledger
                    .add_spent(BudgetLine::Fnsp, pence)
                    .map_err(bad)?;
            }
            Event::LeadPractitionerAssigned { family } => {
                if self.leads.active >= self.leads.capacity {
                    return Err(bad(format!(
                        "the lead practitioners are full ({} of {})",
                        self.leads.active, self.leads.capacity
                    )));
                }
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::InEnquiry || f.lead {
                    return Err(bad(format!("family {family} is not in a new enquiry")));
                }
                f.lead = true;
                self.leads.active += 1;
            }
            Event::PolicyApplied { change } => {
                if usize::from(change) >= self.terms.len() {
                    return Err(bad(format!("the scenario has no policy change {change}")));
                }
                self.version = usize::from(change);
                // Fewer posts: agency workers go first, down to the new establishment.
                for pool in Pool::ALL {
                    self.limit_agency(pool);
                }
                self.staff_changed(at);
            }
            Event::FamilyOpened {
                family,
                attributes,
                stage,
                placement,
            } => {
                if family.0 != self.next_family {
                    return Err(bad(format!(
                        "opened family {family} is out of sequence (expected {})",
                        self.next_family
                    )));
                }
                let weekly_pence =
                    pence_a_week(placement.map_or(0, |(_, pence)| pence)).map_err(bad)?;
                let stage = match stage {
                    OpenStage::WaitingForHelp => {
                        self.family_help.waiting.push_back((family, at));
                        Stage::WaitingForHelp
                    }
                    OpenStage::InHelp => {
                        let team = &mut self.family_help;
                        if team.active >= team.capacity {
                            return Err(bad(format!(
                                "the family help team is full ({} of {})",
                                team.active, team.capacity
                            )));
                        }
                        team.active += 1;
                        Stage::InHelp
                    }
                    OpenStage::InEnquiry => Stage::InEnquiry,
                    OpenStage::AwaitingConference => Stage::AwaitingConference,
                    OpenStage::OnPlan => Stage::OnPlan,
                    OpenStage::PreProceedings => Stage::PreProceedings,
                    OpenStage::LookedAfter => {
                        let Some((p, pence)) = placement else {
                            return Err(bad(format!(
                                "looked-after family {family} has no placement"
                            )));
                        };
                        let children = Family::new(attributes, Stage::InCare, at)
                            .looked_after_when_opened(family, at);
                        self.ledger.accrue(at);
                        self.ledger.rate[BudgetLine::Placements] +=
                            u128::from(pence) * u128::from(children);
                        if let Some(places) = &mut self.places {
                            places.in_area[p] += u32::from(children);
                        }
                        Stage::InCare
                    }
                };
                self.next_family += 1;
                let mut f = Family::new(attributes, stage, at);
                if stage == Stage::InCare {
                    f.in_care = f.looked_after_when_opened(family, at);
                }
                f.assessed = stage == Stage::InHelp;
                f.enquiry_started = matches!(stage, Stage::InEnquiry | Stage::AwaitingConference)
                    .then_some(stamp(at));
                f.placement = placement.map(|(p, _)| p);
                f.weekly_pence = weekly_pence;
                self.families.insert(family, f);
            }
            Event::ClosedBeforeStart {
                family,
                attributes,
                rereferral_due,
                ..
            } => {
                if family.0 != self.next_family {
                    return Err(bad(format!(
                        "family {family} closed before the start is out of sequence (expected {})",
                        self.next_family
                    )));
                }
                match rereferral_due {
                    Some(due) if due > at => {
                        self.families
                            .insert(family, Family::new(attributes, Stage::Closed, at));
                    }
                    Some(due) => {
                        return Err(bad(format!(
                            "re-referral due at minute {due} is not after the start"
                        )))
                    }
                    // Not coming back: its id is spent, nothing is kept.
                    None => {}
                }
                self.next_family += 1;
            }
            Event::FgdmUnavailable { family } => {
                self.family_mut(family, at, event)?;
            }
            Event::FgdmCoordinationEnded { .. } => {
                if self.coordinators.active == 0 {
                    return Err(bad("no coordinator is working with a family".into()));
                }
                self.coordinators.active -= 1;
            }
            Event::StaffStarted {
                pool,
                permanent,
                agency,
            } => {
                let s = &mut self.staff[pool];
                if s.next_worker != 0 || s.in_post() != 0 {
                    return Err(bad(format!(
                        "the {} pool has already started",
                        pool.label()
                    )));
                }
                let posts = self.terms()[pool].posts;
                if permanent.checked_add(agency).is_none_or(|n| n > posts) {
                    return Err(bad(format!(
                        "the {} pool starts with {permanent} permanent and {agency} agency workers in {posts} funded posts",
                        pool.label()
                    )));
                }
                let s = &mut self.staff[pool];
                s.permanent = permanent;
                s.agency = agency;
                s.recruiting = agency;
                s.next_vacancy = agency;
                s.next_worker = permanent;
                self.staff_changed(at);
            }
            Event::StaffLeft { pool } => {
                let s = &mut self.staff[pool];
                if s.permanent == 0 {
                    return Err(bad(format!(
                        "the {} pool has no permanent staff",
                        pool.label()
                    )));
                }
                s.permanent -= 1;
                self.staff_changed(at);
            }
            Event::RecruitmentStarted { pool, agency_cover } => {
                let s = &mut self.staff[pool];
                s.recruiting += 1;
                s.next_vacancy += 1;
                s.agency += u32::from(agency_cover);
                self.staff_changed(at);
            }
            Event::StaffJoined { pool } => {
                let s = &mut self.staff[pool];
                if s.recruiting == 0 {
                    return Err(bad(format!(
                        "the {} pool is recruiting to no post",
                        pool.label()
                    )));
                }
                s.recruiting -= 1;
                s.permanent += 1;
                s.next_worker += 1;
                self.limit_agency(pool);
                self.staff_changed(at);
            }
            Event::RecruitmentCancelled { pool } => {
                let s = &mut self.staff[pool];
                if s.recruiting == 0 {
                    return Err(bad(format!(
                        "the {} pool is recruiting to no post",
                        pool.label()
                    )));
                }
                s.recruiting -= 1;
                self.limit_agency(pool);
                self.staff_changed(at);
            }
            Event::ApprenticesStarted { pool, count } => {
                let s = &mut self.staff[pool];
                s.apprentices += count;
                s.next_apprentice += count;
                self.staff_changed(at);
            }
            Event::ApprenticeQualified { pool } | Event::ApprenticeWithdrew { pool } => {
                let s = &mut self.staff[pool];
                if s.apprentices == 0 {
                    return Err(bad(format!("the {} pool has no apprentices", pool.label())));
                }
                s.apprentices -= 1;
                if matches!(event, Event::ApprenticeQualified { .. }) {
                    s.permanent += 1;
                    s.next_worker += 1;
                }
                // A qualified apprentice fills a vacancy an agency worker covered.
                self.limit_agency(pool);
                self.staff_changed(at);
            }
            Event::Spent { line, pence } => {
                self.roll_year(at);
                if line != BudgetLine::Fnsp {
                    self.ledger.accrue(at);
                    let owed = u128::from(pence) * Ledger::UNIT[line];
                    if owed > self.ledger.accrued[line] {
                        return Err(bad(format!(
                            "{} pence is more than the {} owed",
                            pence,
                            line.label()
                        )));
                    }
                    self.ledger.accrued[line] -= owed;
                }
                self.ledger.add_spent(line, pence).map_err(bad)?;
            }
            Event::BudgetExhausted { line } => {
                self.roll_year(at);
                self.ledger.exhausted[line] = true;
            }
        }
        Ok(())
    }

    /// A family left the waiting list other than by starting help: its entry
    /// goes stale (see [`FamilyHelpTeam`]).
    fn left_waiting_list(&mut self) {
        self.family_help.left += 1;
        self.prune_waiting_list();
    }

    /// Drops stale entries from the front of the waiting list, so that the
    /// front is a family still waiting (the one that joined at that minute).
    fn prune_waiting_list(&mut self) {
        let team = &mut self.family_help;
        while let Some(&(family, queued)) = team.waiting.front() {
            let waiting = self
                .families
                .get(family)
                .is_some_and(|f| f.stage == Stage::WaitingForHelp && f.stage_since() == queued);
            if waiting {
                break;
            }
            team.waiting.pop_front();
            team.left = team.left.saturating_sub(1);
        }
    }

    /// The families waiting for help, first in the queue first.
    pub fn waiting_families(&self) -> impl Iterator<Item = FamilyId> + '_ {
        self.family_help
            .waiting
            .iter()
            .filter(|&&(family, queued)| {
                self.families
                    .get(family)
                    .is_some_and(|f| f.stage == Stage::WaitingForHelp && f.stage_since() == queued)
            })
            .map(|&(family, _)| family)
    }

    /// A family the run meets for the first time: it must take the next id.
    fn new_family(
        &mut self,
        family: FamilyId,
        attributes: Attributes,
        stage: Stage,
        at: Minute,
    ) -> Result<(), String> {
        if family.0 != self.next_family {
            return Err(format!(
                "new family {family} is out of sequence (expected {})",
                self.next_family
            ));
        }
        self.next_family += 1;
        self.families
            .insert(family, Family::new(attributes, stage, at));
        Ok(())
    }

    /// Agency workers cover only vacancies: posts under recruitment that no
    /// permanent worker holds (call before `staff_changed`, which settles
    /// costs up to now at the old rates first).
    fn limit_agency(&mut self, pool: Pool) {
        let posts = self.terms[self.version][pool].posts;
        let s = &mut self.staff[pool];
        s.agency = s
            .agency
            .min(s.recruiting)
            .min(posts.saturating_sub(s.permanent));
    }

    /// Starts the ledger's new financial year if `at` is in one.
    fn roll_year(&mut self, at: Minute) {
        let year = self.financial_year(at);
        if self.ledger.year != year {
            self.ledger.year = year;
            self.ledger.spent = PerLine::default();
            self.ledger.exhausted = PerLine::default();
        }
    }

    /// Recomputes what follows from the staff in post at `at`: capacities and
    /// staff cost rates (costs up to `at` accrue at the old rates first).
    fn staff_changed(&mut self, at: Minute) {
        self.ledger.accrue(at);
        let terms = self.terms[self.version];
        self.family_help.capacity =
            terms[Pool::FamilyHelp].capacity(self.staff[Pool::FamilyHelp].in_post());
        self.leads.capacity =
            terms[Pool::LeadPractitioners].capacity(self.staff[Pool::LeadPractitioners].in_post());
        self.coordinators.capacity =
            terms[Pool::FgdmCoordinators].capacity(self.staff[Pool::FgdmCoordinators].in_post());
        for line in [
            BudgetLine::FamilyHelp,
            BudgetLine::Fgdm,
            BudgetLine::Workforce,
        ] {
            self.ledger.rate[line] = 0;
        }
        for pool in Pool::ALL {
            let cost = terms[pool].yearly_pence(&self.staff[pool]);
            // Apprentices are paid from the workforce line whatever their pool.
            let apprentices =
                u128::from(self.staff[pool].apprentices) * u128::from(terms[pool].apprentice_pence);
            self.ledger.rate[pool.line()] += cost - apprentices;
            self.ledger.rate[BudgetLine::Workforce] += apprentices;
        }
    }

    fn move_family(
        &mut self,
        id: FamilyId,
        at: Minute,
        event: &Event,
        from: Stage,
        to: Stage,
    ) -> Result<(), Inconsistent> {
        let f = self.family_mut(id, at, event)?;
        if f.stage != from {
            return Err(Inconsistent {
                event: event.name(),
                at,
                why: format!("family {id} is {:?}, not {from:?}", f.stage),
            });
        }
        f.stage = to;
        f.stage_since = stamp(at);
        Ok(())
    }

    fn family_mut(
        &mut self,
        id: FamilyId,
        at: Minute,
        event: &Event,
    ) -> Result<&mut Family, Inconsistent> {
        self.families.get_mut(id).ok_or_else(|| Inconsistent {
            event: event.name(),
            at,
            why: format!("family {id} is not known (never referred, or closed for good)"),
        })
    }

    /// A hash of the whole state, independent of hash-map order: families
    /// are hashed in id order through the payload codec.
    pub fn hash(&self) -> u64 {
        let mut families: Vec<(FamilyId, &Family)> = self.families.iter().collect();
        families.sort_unstable_by_key(|&(id, _)| id);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = Vec::with_capacity(64);
        codec::encode_into(
            &(
                self.next_family,
                &self.family_help,
                &self.leads,
                &self.coordinators,
                &self.staff,
                &self.ledger,
                self.version as u32,
            ),
            &mut buf,
        )
        .expect("state encodes");
        hasher.update(&buf);
        if let Some(places) = &self.places {
            buf.clear();
            codec::encode_into(places, &mut buf).expect("state encodes");
            hasher.update(&buf);
        }
        if let Some(cooperative) = &self.cooperative {
            buf.clear();
            codec::encode_into(cooperative, &mut buf).expect("state encodes");
            hasher.update(&buf);
        }
        if let Some(support) = &self.leaving_care {
            buf.clear();
            codec::encode_into(support, &mut buf).expect("state encodes");
            hasher.update(&buf);
        }
        for (id, family) in families {
            buf.clear();
            codec::encode_into(&(id, family), &mut buf).expect("state encodes");
            hasher.update(&buf);
        }
        hasher.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_refuses_spending_that_would_overflow_and_never_wraps() {
        let mut ledger = Ledger::default();
        ledger
            .add_spent(BudgetLine::Placements, u64::MAX / 2)
            .unwrap();
        let err = ledger
            .add_spent(BudgetLine::Placements, u64::MAX / 2 + 1)
            .unwrap_err();
        assert!(err.contains("overflow the ledger"), "{err}");
        assert_eq!(ledger.spent[BudgetLine::Placements], u64::MAX / 2);
        // `u64::MAX` is what an amount too large to count becomes: refused.
        assert!(Ledger::default()
            .add_spent(BudgetLine::Workforce, u64::MAX)
            .is_err());
        // Accrual saturates instead of wrapping.
        let mut ledger = Ledger::default();
        ledger.rate[BudgetLine::Placements] = u128::MAX / 2;
        ledger.accrue(10);
        ledger.accrue(20);
        assert_eq!(ledger.accrued[BudgetLine::Placements], u128::MAX);
    }

    /// Families hold minutes and weekly costs in 32 bits: an event past
    /// that, or a cost beyond it, is refused and changes nothing.
    #[test]
    fn times_and_costs_beyond_32_bits_are_refused_not_wrapped() {
        let scenario = crate::model::scenario::Scenario::default_scenario();
        let attributes = Attributes {
            children: 1,
            youngest_age: 3,
            eldest_age: 3,
            need: crate::model::event::Need::High,
            risk: 9_000,
            risk_factors: crate::model::event::RiskFactors(0),
            network: 5_000,
        };
        let opened = |pence: u64| Event::FamilyOpened {
            family: FamilyId(0),
            attributes,
            stage: OpenStage::LookedAfter,
            placement: Some((Placement::InHouseFoster, pence)),
        };
        let mut state = State::new(&scenario);
        let late = Minute::from(u32::MAX) + 1;
        let err = state.apply(late, &opened(50_000)).unwrap_err();
        assert!(err.why.contains("8,000 years"), "{}", err.why);
        let err = state
            .apply(0, &opened(u64::from(u32::MAX) + 1))
            .unwrap_err();
        assert!(err.why.contains("beyond any cost"), "{}", err.why);
        assert_eq!(state.known_families(), 0);
        assert_eq!(state.ledger.rate[BudgetLine::Placements], 0);
        // The largest of each is held exactly.
        state
            .apply(Minute::from(u32::MAX), &opened(u64::from(u32::MAX)))
            .unwrap();
        let f = state.family(FamilyId(0)).unwrap();
        assert_eq!(f.stage_since(), Minute::from(u32::MAX));
        assert_eq!(f.weekly_pence(), u64::from(u32::MAX));
    }
}
