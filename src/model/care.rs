//! Care: entry to care, placement, and the way out.
//!
//! A child comes into care in an emergency at the end of a section 47
//! enquiry, or through care proceedings after a child protection plan that
//! did not step down. The placement is drawn from the scenario's shares (one
//! table for children under 13, one for teenagers), with the kinship share
//! scaled by the strength of the family's network; its weekly cost is
//! recorded in the `EnteredCare` event so spending is a projection. Time in
//! care is exponential; the way out (reunification, special guardianship,
//! adoption for young children) is drawn at entry, unless the child turns 18
//! first. Kin named by a family-led plan take the child with the scenario's
//! probability. Every care draw of one referral comes from (Care, family, episode)
//! in a fixed order: emergency, placement, time in care, way out, kin.

use super::{Decisions, Model};
use crate::agenda::Happening;
use crate::calendar::{Minute, DAY};
use crate::event::{Attributes, CareExit, CareRoute, Event, FamilyId, Placement};
use crate::state::{Family, Stage, State};
use crate::stream::Purpose;

const YEAR: f64 = 365.25 * DAY as f64;

/// Every care draw of one referral, in stream order.
struct CareDraws {
    /// Uniform for the emergency decision at the end of an enquiry.
    emergency: f64,
    placement: Placement,
    /// Minutes until the child would leave care, if not 18 first.
    stay: Minute,
    exit: CareExit,
    /// Uniform for placing with kin named by a family-led plan.
    kin: f64,
}

impl Model {
    fn care_draws(&self, now: Minute, family: FamilyId, episode: u16, f: &Family) -> CareDraws {
        self.care_draws_at_age(now, family, episode, &f.attributes, self.age_at(now, f))
    }

    /// The care draws of a child of `age` with these family attributes.
    fn care_draws_at_age(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        attributes: &Attributes,
        age: u8,
    ) -> CareDraws {
        let c = &self.at(now).care;
        let mut s = self
            .streams
            .stream(Purpose::Care, u64::from(family.0), u32::from(episode));
        let emergency = s.uniform();
        let mut weights = if age >= 13 {
            c.placement_teenagers.weights()
        } else {
            c.placement.weights()
        };
        weights[0] *= 2.0 * f64::from(attributes.network) / 10_000.0;
        if weights.iter().sum::<f64>() <= 0.0 {
            weights[1] = 1.0; // no kin and no other share: in-house foster care
        }
        let placement = Placement::ALL[s.pick(&weights)];
        let stay = (s.exponential(c.years_in_care_mean.get() * YEAR) as Minute).max(1);
        let mut exits = [
            c.exit.reunification.get(),
            c.exit.special_guardianship.get(),
            c.exit.adoption.get(),
        ];
        if age > c.adoption_max_age {
            exits[2] = 0.0;
        }
        if exits.iter().sum::<f64>() <= 0.0 {
            exits[0] = 1.0;
        }
        let exit = [
            CareExit::Reunified,
            CareExit::SpecialGuardianship,
            CareExit::Adopted,
        ][s.pick(&exits)];
        CareDraws {
            emergency,
            placement,
            stay,
            exit,
            kin: s.uniform(),
        }
    }

    /// The youngest child's age in whole years at `now`.
    fn age_at(&self, now: Minute, f: &Family) -> u8 {
        let years = now.saturating_sub(f.first_referred_at) as f64 / YEAR;
        (f64::from(f.attributes.youngest_age) + years).min(255.0) as u8
    }

    /// Whether a child at risk comes into care in an emergency at the end of an enquiry.
    pub(super) fn emergency_care(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
    ) -> bool {
        self.at_risk_of_significant_harm(&f.attributes)
            && self.care_draws(now, family, episode, f).emergency
                < self.at(now).care.emergency_probability_at_risk.get()
    }

    /// The child comes into care now and is placed (with kin, when a
    /// family-led plan named them and they can take the child); its way out
    /// is scheduled.
    pub(super) fn enter_care(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        route: CareRoute,
        kin_named: bool,
        out: &mut Decisions,
    ) {
        let episode = f.episode;
        let d = self.care_draws(now, family, episode, f);
        let with_kin =
            kin_named && d.kin < self.at(now).family_network.kinship_when_kin_named.get();
        let placement = if with_kin {
            Placement::Kinship
        } else {
            d.placement
        };
        let weekly_pence = self.at(now).care.weekly_cost_pounds.pence()[placement as usize];
        out.events.push(Event::EnteredCare {
            family,
            route,
            placement,
            weekly_pence,
        });
        self.schedule_leaving_care(now, family, episode, self.age_at(now, f), d.stay, out);
    }

    /// Puts a child's way out of care on the agenda: after `stay`, or at 18.
    fn schedule_leaving_care(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        age: u8,
        stay: Minute,
        out: &mut Decisions,
    ) {
        let until_18 = ((18.0 - f64::from(age)).max(0.0) * YEAR) as Minute;
        let leaves = now + stay.min(until_18.max(1));
        out.schedule
            .push((leaves, Happening::LeavesCare(family, episode)));
    }

    /// A child already looked after when the run starts: a placement drawn
    /// as at entry, and the way out scheduled. Returns the placement and its
    /// weekly cost in pence.
    pub(super) fn already_in_care(
        &self,
        now: Minute,
        family: FamilyId,
        attributes: &Attributes,
        out: &mut Decisions,
    ) -> (Placement, u64) {
        let age = attributes.youngest_age;
        let d = self.care_draws_at_age(now, family, 0, attributes, age);
        let weekly = self.at(now).care.weekly_cost_pounds.pence()[d.placement as usize];
        self.schedule_leaving_care(now, family, 0, age, d.stay, out);
        (d.placement, weekly)
    }

    /// The child leaves care: the way drawn at entry, or turning 18 if that came first.
    pub(super) fn leaves_care(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InCare, episode) else {
            return;
        };
        let d = self.care_draws(f.stage_since, family, episode, f);
        let exit = if self.age_at(now, f) >= 18 || d.stay > now - f.stage_since {
            CareExit::Aged18
        } else {
            d.exit
        };
        out.events.push(Event::LeftCare { family, exit });
        self.close(now, family, episode, exit.closure(), out);
    }
}
