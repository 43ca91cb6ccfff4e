//! Closing a case, and the hazard of the family being referred again.
//!
//! The scenario gives the probability of a new referral within 12 months of
//! closure for each way a case can close; the model turns it into a constant
//! hazard (an exponential time to re-referral), cut off after the scenario's
//! horizon. The time is drawn at closure from (ReReferral, family, episode)
//! and recorded in the `CaseClosed` event.

use super::{Decisions, Model};
use crate::agenda::Happening;
use crate::calendar::{Minute, DAY};
use crate::event::{ClosureReason, Event, FamilyId};
use crate::stream::Purpose;

const YEAR: f64 = 365.0 * DAY as f64;

impl Model {
    /// Closes a family's case, drawing when (if at all) it will be referred again.
    pub(super) fn close(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        reason: ClosureReason,
        out: &mut Decisions,
    ) {
        let rr = &self.at(now).rereferral;
        let within_year = match reason {
            ClosureReason::NoFurtherAction
            | ClosureReason::UniversalServices
            | ClosureReason::NotInNeed
            | ClosureReason::AfterEnquiry => rr.within_12_months_after_no_action.get(),
            ClosureReason::NeedMet => rr.within_12_months_after_needs_met.get(),
            // A child returned home from care may be referred again, like unmet needs.
            ClosureReason::NeedUnmet | ClosureReason::Reunified => {
                rr.within_12_months_after_needs_unmet.get()
            }
            ClosureReason::ToChildProtection
            | ClosureReason::ToCareProceedings
            | ClosureReason::SpecialGuardianship
            | ClosureReason::Adopted
            | ClosureReason::Aged18 => 0.0,
        };
        let mut rereferral_due = None;
        if within_year > 0.0 && within_year < 1.0 {
            // P(T < 1 year) = within_year for an exponential T.
            let mean = -YEAR / libm::log1p(-within_year);
            let t = self
                .streams
                .stream(Purpose::ReReferral, u64::from(family.0), u32::from(episode))
                .exponential(mean);
            if t <= rr.horizon_years.get() * YEAR {
                let due = now + (libm::floor(t) as Minute).max(1);
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
}
