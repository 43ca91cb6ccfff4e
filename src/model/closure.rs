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

use crate::model::event::{Attributes, ClosureReason, Event, FamilyId};
use crate::model::purpose::Purpose;
use crate::model::state::{Family, Stage, State};

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
        let within_year = self.within_year(now, reason, f.is_some_and(|f| f.fnsp_paid));
        let rereferral_due =
            self.rereferral_due(now, family, episode, within_year, 0.0, adult_at, out);
        out.events.push(Event::CaseClosed {
            family,
            reason,
            rereferral_due,
        });
    }

    /// The probability of a re-referral within 12 months of a closure for
    /// `reason` (`fnsp_paid`: a support package was paid to the family's kin).
    fn within_year(&self, now: Minute, reason: ClosureReason, fnsp_paid: bool) -> f64 {
        let rr = &self.at(now).rereferral;
        match reason {
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
                let sustain = if fnsp_paid {
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
        }
    }

    /// Draws the time to the family's next referral from (ReReferral,
    /// family, episode) and, if it falls within the horizon (less `past`
    /// minutes already gone since the closure) and before `adult_at`, puts
    /// the re-referral on the agenda and returns its minute. The hazard is
    /// constant, so the time left after `past` minutes is drawn exactly as
    /// at closure.
    #[allow(clippy::too_many_arguments)]
    fn rereferral_due(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        within_year: f64,
        past: f64,
        adult_at: Minute,
        out: &mut Decisions,
    ) -> Option<Minute> {
        if !(within_year > 0.0 && within_year < 1.0) {
            return None;
        }
        // P(T < 1 year) = within_year for an exponential T.
        let mean = -YEAR / libm::log1p(-within_year);
        let t = self
            .streams
            .stream(Purpose::ReReferral, u64::from(family.0), u32::from(episode))
            .exponential(mean);
        let due = now + (libm::floor(t) as Minute).max(1);
        let horizon = self.at(now).rereferral.horizon_years.get() * YEAR;
        if t <= horizon - past && due < adult_at {
            out.schedule.push((due, Happening::ReReferral(family)));
            Some(due)
        } else {
            None
        }
    }

    /// A household of `starting_caseload.closed`: family `family`, its case
    /// closed `months` months before `now` for `reason`. Its risk is raised
    /// as at a closure with needs unmet; its re-referral is drawn as at the
    /// closure (episode 0) with the horizon shortened by the months past.
    pub(super) fn closed_before_start(
        &self,
        now: Minute,
        family: FamilyId,
        mut attributes: Attributes,
        reason: ClosureReason,
        months: u32,
        out: &mut Decisions,
    ) {
        if matches!(reason, ClosureReason::NeedUnmet | ClosureReason::Disengaged) {
            if let Some(risk) = self.raised_risk(now, family, 0, attributes.risk) {
                attributes.risk = risk;
            }
        }
        let adult_at = Family::new(attributes, Stage::Closed, now).turns_18_at(family);
        let within_year = self.within_year(now, reason, false);
        let past = f64::from(months) * YEAR / 12.0;
        let rereferral_due = self.rereferral_due(now, family, 0, within_year, past, adult_at, out);
        out.events.push(Event::ClosedBeforeStart {
            family,
            attributes,
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
        if let Some(new) = self.raised_risk(now, family, episode, risk) {
            out.events.push(Event::RiskChanged { family, risk: new });
        }
    }

    /// The risk after needs went unmet, if it rises.
    fn raised_risk(&self, now: Minute, family: FamilyId, episode: u16, risk: u16) -> Option<u16> {
        let rise = self.at(now).escalation.risk_rise_when_needs_unmet.get();
        if rise <= 0.0 {
            return None;
        }
        let u = self.escalation_draws(family, episode).risk_rise;
        let keep = (1.0 - 2.0 * rise * u).max(0.0);
        let r = 1.0 - (1.0 - f64::from(risk) / 10_000.0) * keep;
        let new = (r.clamp(0.0, 1.0) * 10_000.0).floor() as u16;
        (new > risk).then_some(new)
    }
}
