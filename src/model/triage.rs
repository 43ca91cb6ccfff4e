//! The front door: how long a decision on a referral takes, and what it is.
//!
//! Every family has a right answer — a strategy discussion when its latent
//! risk reaches the significant-harm threshold; otherwise no further action,
//! universal services or family help by its level of need. The front door
//! finds it with the scenario's accuracy (which grows with multi-agency data
//! sharing); when it errs, it errs by one step, up or down.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{Attributes, ClosureReason, Event, FamilyId, Need, Pool, TriageDecision};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::{Stage, State};

impl Model {
    /// Puts the front door's decision on a new referral on the agenda; a
    /// busy front door (referrals waiting over its capacity) takes longer.
    pub(super) fn schedule_triage(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let t = &self.at(now).triage;
        let slower = 1.0 + t.caseload_penalty.get() * state.load(Pool::FrontDoor);
        let mean = t.decision_working_days_mean.get() * DAY as f64 * slower;
        let lag = self
            .streams
            .stream(
                Purpose::TriageTiming,
                u64::from(family.0),
                u32::from(episode),
            )
            .exponential_minutes(mean);
        let due = self.calendar.add_working_minutes(now, lag);
        out.schedule
            .push((due, Happening::TriageDue(family, episode)));
    }

    /// The right decision for a family, with perfect information.
    pub fn right_decision(&self, a: &Attributes) -> TriageDecision {
        if self.at_risk_of_significant_harm(a) {
            return TriageDecision::StrategyDiscussion;
        }
        match a.need {
            Need::None => TriageDecision::NoFurtherAction,
            Need::Low => TriageDecision::UniversalServices,
            Need::Moderate | Need::High => TriageDecision::FamilyHelp,
        }
    }

    /// The front door decides on a family's referral and routes it.
    pub(super) fn triage(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::AwaitingTriage, episode) else {
            return;
        };
        if f.triage.is_some() {
            return;
        }
        let right = self.right_decision(&f.attributes);
        let mut s = self.streams.stream(
            Purpose::TriageDecision,
            u64::from(family.0),
            u32::from(episode),
        );
        let decision = if s.chance(self.at(now).triage.accuracy()) {
            right
        } else {
            let i = right.index();
            let up = match i {
                0 => true,
                3 => false,
                _ => s.chance(0.5),
            };
            TriageDecision::ALL[if up { i + 1 } else { i - 1 }]
        };
        out.events.push(Event::TriageDecided { family, decision });
        match decision {
            TriageDecision::NoFurtherAction => self.close(
                now,
                family,
                episode,
                ClosureReason::NoFurtherAction,
                state,
                out,
            ),
            TriageDecision::UniversalServices => self.close(
                now,
                family,
                episode,
                ClosureReason::UniversalServices,
                state,
                out,
            ),
            TriageDecision::FamilyHelp => self.enter_family_help(now, family, episode, state, out),
            TriageDecision::StrategyDiscussion => {
                self.start_enquiry(now, family, episode, state, out)
            }
        }
    }
}
