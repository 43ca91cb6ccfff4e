//! Care: entry to care, placement, legal status, and the way out.
//!
//! A child comes into care by one of the routes England records: in an
//! emergency at the end of a section 47 enquiry (police protection or an
//! emergency protection order), when care proceedings are issued (interim
//! care order) or end in a care or placement order, accommodated under
//! section 20 when family help could not meet the family's needs, or as an
//! unaccompanied asylum-seeking child on arrival. Each entry records its
//! legal status (`LegalStatusChanged`, the SSDA903 `LS` code). Nobody comes
//! into care within a day of turning 18, and every child leaves care on
//! the 18th birthday at the latest.
//!
//! The placement is drawn from the scenario's shares (one table for
//! children under 13, one for teenagers), with the kinship share scaled by
//! the strength of the family's network; its weekly cost is recorded in the
//! `EnteredCare` event so spending is a projection. Time in care is
//! exponential; the way out (reunification, special guardianship, adoption
//! for young children) is drawn at entry; a child under a placement order
//! is adopted, a child accommodated under section 20 returns home. Kin named
//! by a family-led plan take the child with the scenario's probability.
//! Every care draw of one referral comes from (Care, family, episode) in a
//! fixed order: emergency, placement, time in care, way out, kin, siblings.
//!
//! Brothers and sisters come into care together (the family's children
//! under 18: Cafcass's care applications concern 1.65 children each),
//! except under section 20, where a child comes alone unless the
//! scenario's `voluntary_siblings_together` says otherwise, and
//! unaccompanied children, who come alone. Each older sibling leaves care
//! on the 18th birthday (`SiblingLeftCare`); the rest leave together.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{
    Attributes, CareExit, CareRoute, Event, FamilyId, LegalStatus, Need, Placement,
};
use crate::model::happening::Happening;
use crate::model::placements::Site;
use crate::model::purpose::Purpose;
use crate::model::scenario::AgeShares;
use crate::model::state::{Family, Stage, State, AGE_YEAR};

const YEAR: f64 = AGE_YEAR as f64;

/// Exact arrival times are kept in millionths of a minute.
const EXACT: f64 = 1_000_000.0;

/// Where parents may agree to their child being accommodated under section 20.
#[derive(Copy, Clone, Debug)]
pub(super) enum VoluntaryPoint {
    /// Family help ended with the family's needs unmet.
    NeedsUnmet = 0,
    /// A child protection plan ended without stepping down, instead of the
    /// letter before proceedings.
    PlanEnd = 1,
}

/// Every care draw of one referral, in stream order.
pub(super) struct CareDraws {
    /// Uniform for the emergency decision at the end of an enquiry.
    pub(super) emergency: f64,
    placement: Placement,
    /// Minutes until the child would leave care, if not 18 first.
    pub(super) stay: Minute,
    exit: CareExit,
    /// Uniform for placing with kin named by a family-led plan.
    kin: f64,
    /// Uniform for brothers and sisters coming with a child accommodated
    /// under section 20.
    together: f64,
}

impl Model {
    /// The care draws of family `family`'s referral `episode` at `now`.
    pub(super) fn care_draws(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
    ) -> CareDraws {
        self.care_draws_at_age(
            now,
            family,
            episode,
            &f.attributes,
            f.whole_age_at(family, now),
        )
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
        // Children young enough to be adopted are not placed in children's
        // homes: an adoption placement follows foster care (SSDA903 rule 336).
        if age <= c.adoption_max_age {
            weights[Placement::Residential as usize] = 0.0;
        }
        weights[0] *= 2.0 * f64::from(attributes.network) / 10_000.0;
        if let Some(k) = &c.kinship_support {
            // More kin come forward with support.
            weights[0] *= 1.0 + k.more_kin_take_the_child.get();
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            weights[1] = 1.0; // no kin and no other share: in-house foster care
        }
        let placement = Placement::ALL[s.pick(&weights)];
        let stay = (s.exponential(c.years_in_care_mean.get() * YEAR) as Minute).max(DAY);
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
            together: s.uniform(),
        }
    }

    /// Whether the child may come into care now: not within a day of 18.
    pub(super) fn may_enter_care(&self, now: Minute, family: FamilyId, f: &Family) -> bool {
        now + DAY < f.turns_18_at(family)
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
            && self.may_enter_care(now, family, f)
            && self.care_draws(now, family, episode, f).emergency
                < self.at(now).care.emergency_probability_at_risk.get()
    }

    /// The child comes into care now by `route` under `legal`, and is
    /// placed (with kin, when a family-led plan named them and they can take
    /// the child). A child accommodated voluntarily has its way out
    /// scheduled now; one under police protection, an emergency protection
    /// order or an interim care order has it scheduled by the proceedings
    /// route.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn enter_care(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        route: CareRoute,
        legal: LegalStatus,
        kin_named: bool,
        state: &State,
        out: &mut Decisions,
    ) {
        let episode = f.episode;
        let d = self.care_draws(now, family, episode, f);
        let with_kin = kin_named && d.kin < self.kin_take_the_child(now);
        let fit = if with_kin {
            Placement::Kinship
        } else {
            d.placement
        };
        let alone = match route {
            CareRoute::Unaccompanied => true,
            CareRoute::Voluntary => {
                d.together >= self.at(now).care.voluntary_siblings_together.get()
            }
            _ => false,
        };
        // Brothers and sisters within a day of 18 stay out, as the youngest would.
        let children = if alone {
            1
        } else {
            f.children_under_18(family, now + DAY).max(1)
        };
        let (placement, site) = self.place(now, fit, children, state);
        let weekly_pence = self.weekly_pence(now, placement, site, state.cooperative_price());
        out.events.push(Event::EnteredCare {
            family,
            route,
            placement,
            weekly_pence,
            children,
        });
        self.schedule_placement_break(now, family, episode, now, 0, placement, out);
        self.schedule_siblings_turning_18(now, family, episode, f, children, out);
        out.events.push(Event::LegalStatusChanged { family, legal });
        out.events.extend(site.event(family));
        match legal {
            // Unaccompanied children stay until they are 18.
            LegalStatus::Section20 if route == CareRoute::Unaccompanied => {
                self.schedule_leaving_care(now, family, episode, f, Minute::MAX / 4, out);
            }
            LegalStatus::Section20 => {
                let stay = self.voluntary_stay(now, d.stay);
                self.schedule_leaving_care(now, family, episode, f, stay, out);
            }
            LegalStatus::CareOrder | LegalStatus::PlacementOrder => {
                self.schedule_leaving_care(now, family, episode, f, d.stay, out);
            }
            LegalStatus::PoliceProtection | LegalStatus::EmergencyProtection => {
                self.schedule_emergency_end(now, family, episode, f, out);
            }
            // Proceedings have their final order scheduled already.
            LegalStatus::InterimCareOrder => {}
        }
    }

    /// A section 20 stay: the scenario's own mean if it sets one, else the
    /// drawn stay (which has the mean of all children in care).
    pub(super) fn voluntary_stay(&self, now: Minute, stay: Minute) -> Minute {
        let c = &self.at(now).care;
        match c.voluntary_years_in_care_mean {
            Some(mean) => {
                let scale = mean.get() / c.years_in_care_mean.get();
                ((stay as f64 * scale) as Minute).max(DAY)
            }
            None => stay,
        }
    }

    /// Puts a child's way out of care on the agenda: after `stay`, or on
    /// the 18th birthday if that comes first.
    pub(super) fn schedule_leaving_care(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
        stay: Minute,
        out: &mut Decisions,
    ) {
        let leaves = (now + stay.max(DAY)).min(f.turns_18_at(family).max(now + 1));
        out.schedule
            .push((leaves, Happening::LeavesCare(family, episode)));
    }

    /// Puts on the agenda the 18th birthday of each older child of the
    /// `children` in care (the youngest's ends the stay, see
    /// [`Model::schedule_leaving_care`]).
    fn schedule_siblings_turning_18(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
        children: u8,
        out: &mut Decisions,
    ) {
        for k in 1..children {
            let at = f.child_turns_18_at(family, k);
            if at > now && at < f.turns_18_at(family) {
                out.schedule
                    .push((at, Happening::SiblingTurns18(family, episode)));
            }
        }
    }

    /// An older child in care turns 18 and leaves; the younger ones stay.
    pub(super) fn sibling_turns_18(
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
        if f.in_care > 1 && f.children_under_18(family, now) < f.in_care {
            out.events.push(Event::SiblingLeftCare { family });
            self.care_leaver(now, family, episode, f.placement, f.in_care - 1, out);
        }
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
        let f = Family::new(*attributes, Stage::InCare, now);
        let age = f.whole_age_at(family, now);
        let d = self.care_draws_at_age(now, family, 0, attributes, age);
        let weekly = self.weekly_pence(now, d.placement, Site::InArea, 1000);
        self.schedule_leaving_care(now, family, 0, &f, d.stay, out);
        let children = f.looked_after_when_opened(family, now);
        self.schedule_siblings_turning_18(now, family, 0, &f, children, out);
        self.schedule_placement_break(now, family, 0, now, 0, d.placement, out);
        (d.placement, weekly)
    }

    /// A household of the starting caseload's `in_care` rows, already
    /// looked after when the run starts in its own placement under its own
    /// legal status (recorded after its `FamilyOpened`): its way out is
    /// scheduled as for a child who came in under that status, the time
    /// left drawn as a whole stay (time in care, proceedings and emergency
    /// stays are exponential, so the time already spent does not change
    /// it), by the 18th birthday. Returns the placement's weekly cost in pence.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn already_in_care_as(
        &self,
        now: Minute,
        family: FamilyId,
        f: &Family,
        placement: Placement,
        legal: LegalStatus,
        unaccompanied: bool,
        out: &mut Decisions,
    ) -> u64 {
        let weekly = self.weekly_pence(now, placement, Site::InArea, 1000);
        let d = self.care_draws(now, family, 0, f);
        let children = f.looked_after_when_opened(family, now);
        self.schedule_siblings_turning_18(now, family, 0, f, children, out);
        self.schedule_placement_break(now, family, 0, now, 0, placement, out);
        match legal {
            LegalStatus::Section20 if unaccompanied => {
                self.schedule_leaving_care(now, family, 0, f, Minute::MAX / 4, out);
            }
            LegalStatus::Section20 => {
                let stay = self.voluntary_stay(now, d.stay);
                self.schedule_leaving_care(now, family, 0, f, stay, out);
            }
            LegalStatus::CareOrder | LegalStatus::PlacementOrder => {
                self.schedule_leaving_care(now, family, 0, f, d.stay, out);
            }
            LegalStatus::PoliceProtection | LegalStatus::EmergencyProtection => {
                self.schedule_emergency_end(now, family, 0, f, out);
            }
            LegalStatus::InterimCareOrder => {
                self.schedule_proceedings_under_way(now, family, f, out);
            }
        }
        weekly
    }

    /// The child leaves care: on the 18th birthday, adopted under a
    /// placement order, home from section 20, or the way drawn at entry.
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
        // Proceedings decide the way out of a child under an interim order.
        if f.proceedings {
            return;
        }
        let exit = if now >= f.turns_18_at(family) {
            CareExit::Aged18
        } else {
            match f.legal {
                Some(LegalStatus::PlacementOrder) => CareExit::Adopted,
                Some(LegalStatus::Section20) => CareExit::Reunified,
                _ => self.care_draws(f.stage_since(), family, episode, f).exit,
            }
        };
        self.left_care(now, family, episode, f, exit, state, out);
    }

    /// The children of `f` leave care by `exit` now, as care leavers when
    /// at 18, and the case closes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn left_care(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        f: &Family,
        exit: CareExit,
        state: &State,
        out: &mut Decisions,
    ) {
        out.events.push(Event::LeftCare { family, exit });
        if exit == CareExit::Aged18 {
            for rest in (0..f.in_care.max(1)).rev() {
                self.care_leaver(now, family, episode, f.placement, rest, out);
            }
        }
        self.close(now, family, episode, exit.closure(), state, out);
    }

    /// Puts the arrival of unaccompanied child number `index` on the
    /// agenda, after the exact time `from` (millionths of a minute): a
    /// Poisson process at the scenario's rate, redrawn at policy changes.
    pub(super) fn schedule_unaccompanied(&self, from: u64, index: u32, out: &mut Decisions) {
        let mut stream = self
            .streams
            .stream(Purpose::UnaccompaniedArrivals, 0, index);
        let mut t = from as f64 / EXACT;
        while (t as Minute) < self.calendar.horizon() {
            let minute = t as Minute;
            let s = self.at(minute);
            let per_year = s.area.children as f64 / 10_000.0
                * s.care.unaccompanied_per_10k_children_per_year.get();
            let rate = per_year / (365.0 * DAY as f64);
            let boundary = self.next_change(minute).unwrap_or(self.calendar.horizon());
            if rate > 0.0 {
                let next = t + stream.exponential(1.0 / rate);
                if next < boundary as f64 {
                    let exact = libm::round(next * EXACT) as u64;
                    out.schedule.push((
                        exact / EXACT as u64,
                        Happening::UnaccompaniedArrival(exact, index),
                    ));
                    return;
                }
            }
            t = boundary as f64;
        }
    }

    /// An unaccompanied asylum-seeking child arrives (aged 16 or 17 with
    /// probability 0.87, else 14 or 15: England 2022, 13% of unaccompanied
    /// children in care were under 16; from (Unaccompanied, family, 0)) and
    /// is accommodated under section 20.
    pub(super) fn unaccompanied_arrival(
        &self,
        now: Minute,
        exact: u64,
        index: u32,
        state: &State,
        out: &mut Decisions,
    ) {
        self.schedule_unaccompanied(exact, index.saturating_add(1), out);
        let family = state.next_family_id();
        let mut attributes = self.draw_attributes(family);
        let age = self
            .streams
            .stream(Purpose::Unaccompanied, u64::from(family.0), 0)
            .uniform();
        attributes.children = 1;
        attributes.youngest_age = if age < 0.13 {
            14 + (age / 0.13 * 2.0).min(1.0) as u8
        } else {
            16 + ((age - 0.13) / 0.87 * 2.0).min(1.0) as u8
        };
        attributes.eldest_age = attributes.youngest_age;
        attributes.need = Need::High;
        // No family network here to place the child with.
        attributes.network = 0;
        out.events
            .push(Event::UnaccompaniedChildArrived { family, attributes });
        let f = Family::new(attributes, Stage::Between, now);
        if !self.may_enter_care(now, family, &f) {
            out.events.push(Event::CaseClosed {
                family,
                reason: crate::model::event::ClosureReason::Aged18,
                rereferral_due: None,
            });
            return;
        }
        self.enter_care(
            now,
            family,
            &f,
            CareRoute::Unaccompanied,
            LegalStatus::Section20,
            false,
            state,
            out,
        );
    }

    /// The child may be accommodated under section 20 at `point`, with the
    /// probability `shares` gives for its age (the `point`-th uniform of
    /// (Voluntary, family, episode)). Returns whether the child came into care.
    pub(super) fn accommodate_voluntarily(
        &self,
        now: Minute,
        family: FamilyId,
        shares: &AgeShares,
        point: VoluntaryPoint,
        state: &State,
        out: &mut Decisions,
    ) -> bool {
        let Some(f) = state.family(family) else {
            return false;
        };
        let p = if f.whole_age_at(family, now) >= 13 {
            shares.teenagers.get()
        } else {
            shares.under_13.get()
        };
        if p <= 0.0 || !self.may_enter_care(now, family, f) {
            return false;
        }
        let mut s = self.streams.stream(
            Purpose::Voluntary,
            u64::from(family.0),
            u32::from(f.episode),
        );
        let mut u = s.uniform();
        for _ in 0..point as u8 {
            u = s.uniform();
        }
        if u >= p {
            return false;
        }
        self.enter_care(
            now,
            family,
            f,
            CareRoute::Voluntary,
            LegalStatus::Section20,
            f.kin_named,
            state,
            out,
        );
        true
    }
}
