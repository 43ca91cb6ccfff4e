//! The state of a run, changed only by [`State::apply`].
//!
//! State holds what the model needs to decide: the families currently known
//! (open, or closed with a re-referral still to come) and the family help
//! team's caseload and waiting list. A family closed for good is dropped, so
//! memory follows the families open at once, not the length of the run.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::calendar::Minute;
use crate::codec;
use crate::event::{Attributes, Event, FamilyId, Placement, TriageDecision};
use crate::scenario::Scenario;

/// Where a family is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
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
}

impl Stage {
    /// Number of stages, for count arrays.
    pub const COUNT: usize = 9;
}

/// One family known to the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Family {
    /// Attributes drawn when it was first referred.
    pub attributes: Attributes,
    /// Its current (latest) referral: 0 for the first.
    pub episode: u16,
    /// Where it is.
    pub stage: Stage,
    /// When it entered its current stage.
    pub stage_since: Minute,
    /// When its current referral came in.
    pub referred_at: Minute,
    /// When its previous referral came in, if any.
    pub previous_referral_at: Option<Minute>,
    /// The front door's decision on the current referral.
    pub triage: Option<TriageDecision>,
    /// Family help caseload when its help started, parts per 10,000 of capacity.
    pub load_at_start: u16,
    /// Whether the family help assessment is complete.
    pub assessed: bool,
    /// When a child protection enquiry on its current referral started (strategy discussion).
    pub enquiry_started: Option<Minute>,
    /// When the family was first referred (ages count from then).
    pub first_referred_at: Minute,
    /// Where the child lives while in care.
    pub placement: Option<Placement>,
    /// What that placement costs a week, in pence (0 when not in care).
    pub weekly_pence: u64,
    /// A family group conference was held on the current referral.
    pub fgdm_held: bool,
    /// Its family-led plan names kinship carers.
    pub kin_named: bool,
    /// A family network support package was paid on the current referral.
    pub fnsp_paid: bool,
    /// A lead child protection practitioner holds the family's case.
    pub lead: bool,
}

/// The lead child protection practitioners' caseload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeadPool {
    /// Families the pool can hold at once.
    pub capacity: u32,
    /// Families it holds now.
    pub active: u32,
}

/// Spending on family network support packages in the current financial year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FnspLedger {
    /// The financial year (index from the run's first) the figure is for.
    pub year: u32,
    /// Spent in it, in pence.
    pub spent_pence: u64,
}

/// The family help team's caseload and waiting list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FamilyHelpTeam {
    /// Families the team can hold at once.
    pub capacity: u32,
    /// Families it holds now.
    pub active: u32,
    /// Families waiting, first come first served.
    pub waiting: VecDeque<FamilyId>,
}

impl FamilyHelpTeam {
    /// Caseload as parts per 10,000 of `capacity`, with `active` families held.
    pub fn load_of(active: u32, capacity: u32) -> u16 {
        if capacity == 0 {
            return 10_000;
        }
        (u64::from(active.min(capacity)) * 10_000 / u64::from(capacity)) as u16
    }
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
    families: FxHashMap<FamilyId, Family>,
    next_family: u32,
    /// The family help team.
    pub family_help: FamilyHelpTeam,
    /// Family help capacity in each version of the policy timeline.
    capacities: Vec<u32>,
    /// Support package spending this financial year.
    pub fnsp: FnspLedger,
    /// Lead child protection practitioners.
    pub leads: LeadPool,
    /// Their capacity in each version of the policy timeline.
    lead_capacities: Vec<u32>,
    /// The minute each financial year after the first starts.
    year_starts: Vec<Minute>,
}

impl State {
    /// The state at the start of a run of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let capacities = scenario
            .timeline()
            .map(|versions| {
                versions
                    .iter()
                    .map(|(_, v)| v.family_help.capacity())
                    .collect()
            })
            .unwrap_or_else(|_| vec![scenario.family_help.capacity()]);
        State {
            families: FxHashMap::default(),
            next_family: 0,
            family_help: FamilyHelpTeam {
                capacity: scenario.family_help.capacity(),
                active: 0,
                waiting: VecDeque::new(),
            },
            capacities,
            fnsp: FnspLedger::default(),
            leads: LeadPool {
                capacity: scenario.lead_practitioners.capacity(),
                active: 0,
            },
            lead_capacities: scenario
                .timeline()
                .map(|versions| {
                    versions
                        .iter()
                        .map(|(_, v)| v.lead_practitioners.capacity())
                        .collect()
                })
                .unwrap_or_else(|_| vec![scenario.lead_practitioners.capacity()]),
            year_starts: {
                let cal = scenario.calendar();
                let mut starts = Vec::new();
                let mut at = 0;
                loop {
                    let mut next = cal.next_month_start(at);
                    while next < cal.horizon() && cal.date(next).month() != 4 {
                        next = cal.next_month_start(next);
                    }
                    if next >= cal.horizon() {
                        break;
                    }
                    starts.push(next);
                    at = next;
                }
                starts
            },
        }
    }

    /// The financial year (from 0, the run's first) that `at` falls in.
    pub fn financial_year(&self, at: Minute) -> u32 {
        self.year_starts.partition_point(|&s| s <= at) as u32
    }

    /// Support package money spent so far in the financial year of `at`, in pence.
    pub fn fnsp_spent(&self, at: Minute) -> u64 {
        if self.fnsp.year == self.financial_year(at) {
            self.fnsp.spent_pence
        } else {
            0
        }
    }

    /// The family, if the run still knows it.
    #[inline]
    pub fn family(&self, id: FamilyId) -> Option<&Family> {
        self.families.get(&id)
    }

    /// The family, if it is still at `stage` on referral `episode`: a
    /// happening that finds it elsewhere is stale and decides nothing.
    #[inline]
    pub fn family_at(&self, id: FamilyId, stage: Stage, episode: u16) -> Option<&Family> {
        self.families
            .get(&id)
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

    /// Families in each stage, in [`Stage`] order.
    pub fn stage_counts(&self) -> [u64; Stage::COUNT] {
        let mut c = [0u64; Stage::COUNT];
        for f in self.families.values() {
            c[f.stage as usize] += 1;
        }
        c
    }

    /// Applies one event: the only place state changes.
    pub fn apply(&mut self, at: Minute, event: &Event) -> Result<(), Inconsistent> {
        self.apply_event(at, event)?;
        // A lead practitioner lets the case go when the family leaves child
        // protection (closing, care, or family help).
        if let Some(id) = event.family() {
            if let Some(f) = self.families.get_mut(&id) {
                if f.lead
                    && !matches!(
                        f.stage,
                        Stage::InEnquiry
                            | Stage::AwaitingConference
                            | Stage::OnPlan
                            | Stage::Between
                    )
                {
                    f.lead = false;
                    self.leads.active -= 1;
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
                if family.0 != self.next_family {
                    return Err(bad(format!(
                        "new family {family} is out of sequence (expected {})",
                        self.next_family
                    )));
                }
                self.next_family += 1;
                self.families.insert(
                    family,
                    Family {
                        attributes,
                        episode: 0,
                        stage: Stage::AwaitingTriage,
                        stage_since: at,
                        referred_at: at,
                        previous_referral_at: None,
                        triage: None,
                        load_at_start: 0,
                        assessed: false,
                        enquiry_started: None,
                        first_referred_at: at,
                        placement: None,
                        weekly_pence: 0,
                        fgdm_held: false,
                        kin_named: false,
                        fnsp_paid: false,
                        lead: false,
                    },
                );
            }
            Event::FamilyReReferred { family, episode } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::Closed || episode != f.episode.wrapping_add(1) {
                    return Err(bad(format!(
                        "family {family} is {:?} at episode {}, not closed before episode {episode}",
                        f.stage, f.episode
                    )));
                }
                f.episode = episode;
                f.previous_referral_at = Some(f.referred_at);
                f.referred_at = at;
                f.stage = Stage::AwaitingTriage;
                f.stage_since = at;
                f.triage = None;
                f.assessed = false;
                f.enquiry_started = None;
                f.fgdm_held = false;
                f.kin_named = false;
                f.fnsp_paid = false;
            }
            Event::TriageDecided { family, decision } => {
                let f = self.family_mut(family, at, event)?;
                if f.stage != Stage::AwaitingTriage || f.triage.is_some() {
                    return Err(bad(format!("family {family} is not awaiting triage")));
                }
                f.triage = Some(decision);
            }
            Event::FamilyHelpQueued { family } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(f.stage, Stage::AwaitingTriage | Stage::Between) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                f.stage = Stage::WaitingForHelp;
                f.stage_since = at;
                self.family_help.waiting.push_back(family);
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
                    .get_mut(&family)
                    .ok_or_else(|| bad(format!("family {family} is not known")))?;
                match f.stage {
                    Stage::AwaitingTriage | Stage::Between => {}
                    Stage::WaitingForHelp if team.waiting.front() == Some(&family) => {
                        team.waiting.pop_front();
                    }
                    s => return Err(bad(format!("family {family} is {s:?}, not next for help"))),
                }
                team.active += 1;
                f.stage = Stage::InHelp;
                f.stage_since = at;
                f.load_at_start = load;
                f.assessed = false;
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
                f.stage_since = at;
                self.family_help.active -= 1;
            }
            Event::CaseClosed {
                family,
                rereferral_due,
                ..
            } => {
                let f = self.family_mut(family, at, event)?;
                if matches!(
                    f.stage,
                    Stage::Closed | Stage::WaitingForHelp | Stage::InHelp
                ) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                match rereferral_due {
                    Some(due) if due > at => {
                        f.stage = Stage::Closed;
                        f.stage_since = at;
                    }
                    Some(due) => {
                        return Err(bad(format!(
                            "re-referral due at minute {due} is not after closure"
                        )))
                    }
                    None => {
                        if self.families.remove(&family).is_some_and(|f| f.lead) {
                            self.leads.active -= 1;
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
                f.stage_since = at;
                f.enquiry_started = Some(at);
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
                ..
            } => {
                let f = self.family_mut(family, at, event)?;
                if !matches!(f.stage, Stage::Between | Stage::InEnquiry) {
                    return Err(bad(format!("family {family} is {:?}", f.stage)));
                }
                f.stage = Stage::InCare;
                f.stage_since = at;
                f.placement = Some(placement);
                f.weekly_pence = weekly_pence;
            }
            Event::LeftCare { family, .. } => {
                self.move_family(family, at, event, Stage::InCare, Stage::Between)?;
                if let Some(f) = self.families.get_mut(&family) {
                    f.placement = None;
                    f.weekly_pence = 0;
                }
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
            }
            Event::FnspPaid { family, pence } => {
                let f = self.family_mut(family, at, event)?;
                if !f.fgdm_held || f.fnsp_paid {
                    return Err(bad(format!(
                        "family {family} has no family-led plan waiting for a package"
                    )));
                }
                f.fnsp_paid = true;
                let year = self.financial_year(at);
                if self.fnsp.year != year {
                    self.fnsp = FnspLedger {
                        year,
                        spent_pence: 0,
                    };
                }
                self.fnsp.spent_pence += pence;
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
                if let Some(&c) = self.lead_capacities.get(usize::from(change)) {
                    self.leads.capacity = c;
                }
                let capacity = self
                    .capacities
                    .get(usize::from(change))
                    .ok_or_else(|| bad(format!("the scenario has no policy change {change}")))?;
                self.family_help.capacity = *capacity;
            }
        }
        Ok(())
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
        f.stage_since = at;
        Ok(())
    }

    fn family_mut(
        &mut self,
        id: FamilyId,
        at: Minute,
        event: &Event,
    ) -> Result<&mut Family, Inconsistent> {
        self.families.get_mut(&id).ok_or_else(|| Inconsistent {
            event: event.name(),
            at,
            why: format!("family {id} is not known (never referred, or closed for good)"),
        })
    }

    /// A hash of the whole state, independent of hash-map order: families
    /// are hashed in id order through the payload codec.
    pub fn hash(&self) -> u64 {
        let mut ids: Vec<&FamilyId> = self.families.keys().collect();
        ids.sort_unstable();
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = Vec::with_capacity(64);
        codec::encode_into(
            &(self.next_family, &self.family_help, &self.fnsp, &self.leads),
            &mut buf,
        )
        .expect("state encodes");
        hasher.update(&buf);
        for id in ids {
            buf.clear();
            codec::encode_into(&(id, &self.families[id]), &mut buf).expect("state encodes");
            hasher.update(&buf);
        }
        hasher.digest()
    }
}
