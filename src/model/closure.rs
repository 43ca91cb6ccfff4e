//! Closing a case, and the hazard of the family being referred again.
//!
//! The scenario gives the probability of a new referral within 12 months of
//! closure for each way a case can close; the model turns it into a constant
//! hazard (an exponential time to re-referral), cut off after the scenario's
//! horizon and at the youngest child's 18th birthday. The time is drawn at
//! closure from (ReReferral, family, episode) and recorded in the
//! `CaseClosed` event. A case closed with its needs unmet (family help that
//! did not meet them, or a family that left the waiting list) first has its
//! latent risk raised (`RiskChanged`), so unmet need escalates when the
//! family comes back.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::happening::Happening;

use crate::model::event::{ClosureReason, Event, FamilyId};
use crate::model::purpose::Purpose;
use crate::model::state::State;

const YEAR: f64 = 365.0 * DAY as f64;

impl Model {
    /// Closes a family's case, drawing when (if at all) it will be referred again.
    pub(super) fn close(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        reason: ClosureReason,
        state: &State,
        out: &mut Decisions,
    ) {
        let f = state.family(family);
        if matches!(reason, ClosureReason::NeedUnmet | ClosureReason::Disengaged) {
            if let Some(f) = f {
                self.raise_risk_after_unmet_need(now, family, episode, f.attributes.risk, out);
            }
        }
        // Nobody is referred again once the youngest child is 18.
        let adult_at = f.map_or(Minute::MAX, |f| f.turns_18_at(family));
        let rr = &self.at(now).rereferral;
        let within_year = match reason {
            ClosureReason::NoFurtherAction
            | ClosureReason::UniversalServices
            | ClosureReason::NotInNeed
            | ClosureReason::AfterEnquiry => rr.within_12_months_after_no_action.get(),
            ClosureReason::NeedMet => rr.within_12_months_after_needs_met.get(),
            // A child returned home from care may be referred again, like unmet needs.
            ClosureReason::NeedUnmet | ClosureReason::Reunified | ClosureReason::Disengaged => {
                rr.within_12_months_after_needs_unmet.get()
            }
            // Living with kin under an order or a family arrangement: like
            // needs met; a support package makes the arrangement likelier to hold.
            ClosureReason::KinshipArrangement => {
                let sustain = if f.is_some_and(|f| f.fnsp_paid) {
                    self.at(now).family_network.fnsp_sustains_kinship.get()
                } else {
                    0.0
                };
                rr.within_12_months_after_needs_met.get() * (1.0 - sustain)
            }
            ClosureReason::ToChildProtection
            | ClosureReason::ToCareProceedings
            | ClosureReason::SpecialGuardianship
            | ClosureReason::Adopted
            | ClosureReason::Aged18
            | ClosureReason::Adult => 0.0,
        };
        let mut rereferral_due = None;
        if within_year > 0.0 && within_year < 1.0 {
            // P(T < 1 year) = within_year for an exponential T.
            let mean = -YEAR / libm::log1p(-within_year);
            let t = self
                .streams
                .stream(Purpose::ReReferral, u64::from(family.0), u32::from(episode))
                .exponential(mean);
            let due = now + (libm::floor(t) as Minute).max(1);
            if t <= rr.horizon_years.get() * YEAR && due < adult_at {
                rereferral_due = Some(due);
                out.schedule.push((due, Happening::ReReferral(family)));
            }
        }
        out.events.push(Event::CaseClosed {
            family,
            reason,
            rereferral_due,
        });
    }

    /// Whether the family's youngest child is 18 at `now`; if so, its case
    /// is closed (`Adult`) and true returned: children's services do not
    /// go on with a family whose children are adults.
    pub(super) fn closed_as_adult(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) -> bool {
        let adult = state
            .family(family)
            .is_some_and(|f| now >= f.turns_18_at(family));
        if adult {
            self.close(now, family, episode, ClosureReason::Adult, state, out);
        }
        adult
    }

    /// Raises a family's latent risk after its needs went unmet: by up to
    /// twice the scenario's share of the distance to certainty (uniform),
    /// drawn from (Escalation, family, episode) after the waiting draws.
    fn raise_risk_after_unmet_need(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        risk: u16,
        out: &mut Decisions,
    ) {
        let rise = self.at(now).escalation.risk_rise_when_needs_unmet.get();
        if rise <= 0.0 {
            return;
        }
        let u = self.escalation_draws(family, episode).risk_rise;
        let keep = (1.0 - 2.0 * rise * u).max(0.0);
        let r = 1.0 - (1.0 - f64::from(risk) / 10_000.0) * keep;
        let new = (r.clamp(0.0, 1.0) * 10_000.0).floor() as u16;
        if new > risk {
            out.events.push(Event::RiskChanged { family, risk: new });
        }
    }
}
