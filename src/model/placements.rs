//! Placement sufficiency (with a scenario's `[placements]`): matching a
//! child to a place, placement moves, and the council's foster carers.
//!
//! Matching follows practice. A child whose placement is kinship (kin
//! named by a family-led plan, or kinship drawn from the shares) goes to
//! kin. A child who needs foster care goes to the council's own foster
//! carers while a place is free, then to an independent fostering agency:
//! within the area while the area's agency places last, outside it after.
//! A child who needs a children's home takes one of the area's beds while
//! one is free, else a bed outside the area. A sibling group needs a place
//! for each child. A placement outside the area costs the scenario's
//! `out_of_area_cost_factor` times its type's weekly cost.
//!
//! A placement breaks down at the scenario's rate for its type; the
//! children then move: from kin or foster care to foster care (matched
//! again, so a child in agency care moves in-house when a place is free),
//! from a children's home to another. The time to each breakdown comes
//! from (Placement, family, episode << 16 | move number).
//!
//! At each month's end, in-house places are approved (Poisson at the yearly
//! rate) and lost (Poisson at the yearly share of the approved places), from
//! (FosterCarers, 0, day of the run). A carer who stops fostering keeps the
//! child they have until the child moves on; the place is not used again, so
//! approved places can be fewer than the children in them for a while.
//! Approved places settle near approvals / loss rate.
//!
//! Without `[placements]` nothing here runs: every placement drawn is
//! available, in the area, for the whole stay.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{Event, FamilyId, Placement};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::scenario::Placements;
use crate::model::state::{Places, Stage, State, AGE_YEAR};

/// The places of children about to move: counted as free when they are
/// matched again.
#[derive(Copy, Clone, Debug)]
struct Own {
    placement: Placement,
    away: bool,
    children: u32,
}

impl Model {
    /// Where `children` children who need `fit` are placed now, and
    /// whether outside the area.
    pub(super) fn place(
        &self,
        now: Minute,
        fit: Placement,
        children: u8,
        state: &State,
    ) -> (Placement, bool) {
        match &state.places {
            Some(places) => self.place_with(now, fit, children, places, None),
            None => (fit, false),
        }
    }

    /// The weekly cost of a placement for each child, in pence: its type's,
    /// more out of the area, and with kinship carers' support where given.
    pub(super) fn weekly_pence(&self, now: Minute, placement: Placement, away: bool) -> u64 {
        let s = self.at(now);
        let mut pence = s.care.weekly_cost_pounds.pence()[placement as usize];
        if let (Some(p), true) = (&s.placements, away) {
            pence = libm::round(pence as f64 * p.out_of_area_cost_factor.get()) as u64;
        }
        if let (Some(k), Placement::Kinship) = (&s.care.kinship_support, placement) {
            pence += libm::round(k.weekly_pounds_per_child.get() * 100.0) as u64;
        }
        pence
    }

    /// The probability that kin named by a family-led plan take the child:
    /// the scenario's, raised by kinship carers' support.
    pub(super) fn kin_take_the_child(&self, now: Minute) -> f64 {
        let s = self.at(now);
        let p = s.family_network.kinship_when_kin_named.get();
        s.care
            .kinship_support
            .as_ref()
            .map_or(p, |k| p + (1.0 - p) * k.more_kin_take_the_child.get())
    }

    /// Puts the `k`-th breakdown of a placement made at `now` on the
    /// agenda, if the scenario has placement moves.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn schedule_placement_break(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        since: Minute,
        k: u16,
        placement: Placement,
        out: &mut Decisions,
    ) {
        let Some(p) = &self.at(now).placements else {
            return;
        };
        let mut rate = p.moves_per_year.rates()[placement];
        if let (Some(k), Placement::Kinship) = (&self.at(now).care.kinship_support, placement) {
            rate *= 1.0 - k.fewer_breakdowns.get();
        }
        if rate <= 0.0 {
            return;
        }
        let mut s = self.streams.stream(
            Purpose::Placement,
            u64::from(family.0),
            u32::from(episode) << 16 | u32::from(k),
        );
        let gap = s.exponential(AGE_YEAR as f64 / rate);
        if gap >= (self.calendar.horizon() - now.min(self.calendar.horizon())) as f64 {
            return;
        }
        let at = now + (gap as Minute).max(DAY);
        let since = u32::try_from(since).unwrap_or(u32::MAX);
        out.schedule
            .push((at, Happening::PlacementBreaks(family, episode, since, k)));
    }

    /// A placement breaks down: the children move, unless they have left care.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn placement_breaks(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        since: u32,
        k: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InCare, episode) else {
            return;
        };
        let Some(current) = f.placement.filter(|_| f.stage_since == Minute::from(since)) else {
            return;
        };
        if self.at(now).placements.is_none() || now + DAY >= f.turns_18_at(family) {
            return;
        }
        let fit = match current {
            Placement::Residential => Placement::Residential,
            _ => Placement::AgencyFoster,
        };
        // The children's own places are free once they move.
        let own = Own {
            placement: current,
            away: state
                .places
                .as_ref()
                .is_some_and(|p| p.away.contains(&family)),
            children: u32::from(f.in_care),
        };
        let (placement, away) = match &state.places {
            Some(places) => self.place_with(now, fit, f.in_care, places, Some(own)),
            None => (fit, false),
        };
        out.events.push(Event::PlacementMoved {
            family,
            placement,
            weekly_pence: self.weekly_pence(now, placement, away),
        });
        if away {
            out.events.push(Event::PlacedOutOfArea { family });
        }
        self.schedule_placement_break(
            now,
            family,
            episode,
            Minute::from(since),
            k + 1,
            placement,
            out,
        );
    }

    /// [`Model::place`] against given places, counting `own` (the places
    /// of children about to move) as free.
    fn place_with(
        &self,
        now: Minute,
        fit: Placement,
        children: u8,
        places: &Places,
        own: Option<Own>,
    ) -> (Placement, bool) {
        let version = self.at(now);
        let Some(p) = &version.placements else {
            return (fit, false);
        };
        let area = version.area.children;
        let n = u32::from(children.max(1));
        let used = |t: Placement| {
            let freed = own
                .filter(|o| o.placement == t && !o.away)
                .map_or(0, |o| o.children);
            places.in_area[t].saturating_sub(freed)
        };
        let free_in_house = places
            .in_house_approved
            .saturating_sub(used(Placement::InHouseFoster));
        let full = |t: Placement, per_10k| used(t) + n > Placements::for_area(per_10k, area);
        match fit {
            Placement::Kinship => (Placement::Kinship, false),
            Placement::InHouseFoster | Placement::AgencyFoster => {
                if free_in_house >= n {
                    (Placement::InHouseFoster, false)
                } else {
                    let away = full(
                        Placement::AgencyFoster,
                        &p.agency_foster_places_in_area_per_10k_children,
                    );
                    (Placement::AgencyFoster, away)
                }
            }
            Placement::Residential => {
                let away = full(
                    Placement::Residential,
                    &p.residential_beds_in_area_per_10k_children,
                );
                (Placement::Residential, away)
            }
        }
    }

    /// At a month's end: in-house foster places approved and lost.
    pub(super) fn foster_carers(&self, now: Minute, state: &State, out: &mut Decisions) {
        let version = self.at(now);
        let (Some(p), Some(places)) = (&version.placements, &state.places) else {
            return;
        };
        let month = 1.0 / 12.0;
        let per_10k = version.area.children as f64 / 10_000.0;
        let mut s = self
            .streams
            .stream(Purpose::FosterCarers, 0, (now / DAY) as u32);
        let approved =
            s.poisson(p.in_house_foster_approved_per_10k_children_per_year.get() * per_10k * month);
        // Carers leave whether or not they have a child; one with a child
        // keeps it until it moves on, and the place is not used again.
        let lost = s
            .poisson(
                f64::from(places.in_house_approved) * p.in_house_foster_lost_per_year.get() * month,
            )
            .min(places.in_house_approved);
        if approved > 0 {
            out.events
                .push(Event::FosterPlacesApproved { places: approved });
        }
        if lost > 0 {
            out.events.push(Event::FosterPlacesLost { places: lost });
        }
    }
}
