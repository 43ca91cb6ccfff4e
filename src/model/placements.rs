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
use crate::model::state::{Stage, State, AGE_YEAR};

/// Where a placement is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Site {
    /// One of the area's own places.
    InArea,
    /// One of a regional care co-operative's places, within the region.
    Cooperative,
    /// Outside the area (and outside any co-operative's places).
    OutOfArea,
}

impl Site {
    /// The event that records a placement made at this site, if any.
    pub(super) fn event(self, family: FamilyId) -> Option<Event> {
        match self {
            Site::InArea => None,
            Site::Cooperative => Some(Event::PlacedInCooperative { family }),
            Site::OutOfArea => Some(Event::PlacedOutOfArea { family }),
        }
    }
}

/// The places of children about to move: counted as free when they are
/// matched again.
#[derive(Copy, Clone, Debug)]
struct Own {
    placement: Placement,
    site: Site,
    children: u32,
}

impl Model {
    /// Where `children` children who need `fit` are placed now.
    pub(super) fn place(
        &self,
        now: Minute,
        fit: Placement,
        children: u8,
        state: &State,
    ) -> (Placement, Site) {
        self.place_with(now, fit, children, state, None)
    }

    /// The weekly cost of a placement for each child, in pence: its type's,
    /// more out of the area, at the co-operative's price for a place it
    /// commissioned, and with kinship carers' support where given.
    pub(super) fn weekly_pence(
        &self,
        now: Minute,
        placement: Placement,
        site: Site,
        price_permille: u32,
    ) -> u64 {
        let s = self.at(now);
        let mut pence = s.care.weekly_cost_pounds.pence()[placement as usize];
        match (&s.placements, site) {
            (Some(p), Site::OutOfArea) => {
                pence = libm::round(pence as f64 * p.out_of_area_cost_factor.get()) as u64;
            }
            (_, Site::Cooperative) if placement != Placement::InHouseFoster => {
                pence = (u128::from(pence) * u128::from(price_permille) / 1000) as u64;
            }
            _ => {}
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
        let Some(current) = f
            .placement
            .filter(|_| f.stage_since() == Minute::from(since))
        else {
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
        let site = if state
            .places
            .as_ref()
            .is_some_and(|p| p.away.contains(&family))
        {
            Site::OutOfArea
        } else if state
            .cooperative
            .as_ref()
            .is_some_and(|c| c.families.contains(&family))
        {
            Site::Cooperative
        } else {
            Site::InArea
        };
        let own = Own {
            placement: current,
            site,
            children: u32::from(f.in_care),
        };
        let (placement, site) = self.place_with(now, fit, f.in_care, state, Some(own));
        out.events.push(Event::PlacementMoved {
            family,
            placement,
            weekly_pence: self.weekly_pence(now, placement, site, state.cooperative_price()),
        });
        out.events.extend(site.event(family));
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

    /// [`Model::place`], counting `own` (the places of children about to
    /// move) as free. A child who needs foster care goes to the area's
    /// in-house carers, then a regional co-operative's carers, then an
    /// agency place in the area, then one the co-operative commissioned,
    /// then one outside; a child who needs a children's home to one of the
    /// area's beds, then the co-operative's, then one outside.
    fn place_with(
        &self,
        now: Minute,
        fit: Placement,
        children: u8,
        state: &State,
        own: Option<Own>,
    ) -> (Placement, Site) {
        let version = self.at(now);
        let (Some(p), Some(places)) = (&version.placements, &state.places) else {
            return (fit, Site::InArea);
        };
        let area = version.area.children;
        let n = u32::from(children.max(1));
        let used = |t: Placement| {
            let freed = own
                .filter(|o| o.placement == t && o.site == Site::InArea)
                .map_or(0, |o| o.children);
            places.in_area[t].saturating_sub(freed)
        };
        let free_in_house = places
            .in_house_approved
            .saturating_sub(used(Placement::InHouseFoster));
        let full = |t: Placement, per_10k| used(t) + n > Placements::for_area(per_10k, area);
        let cooperative = |t: Placement| {
            state
                .cooperative
                .as_ref()
                .is_some_and(|c| c.allotted[t] >= n)
        };
        match fit {
            Placement::Kinship => (Placement::Kinship, Site::InArea),
            Placement::InHouseFoster | Placement::AgencyFoster => {
                if free_in_house >= n {
                    (Placement::InHouseFoster, Site::InArea)
                } else if cooperative(Placement::InHouseFoster) {
                    (Placement::InHouseFoster, Site::Cooperative)
                } else if !full(
                    Placement::AgencyFoster,
                    &p.agency_foster_places_in_area_per_10k_children,
                ) {
                    (Placement::AgencyFoster, Site::InArea)
                } else if cooperative(Placement::AgencyFoster) {
                    (Placement::AgencyFoster, Site::Cooperative)
                } else {
                    (Placement::AgencyFoster, Site::OutOfArea)
                }
            }
            Placement::Residential => {
                if !full(
                    Placement::Residential,
                    &p.residential_beds_in_area_per_10k_children,
                ) {
                    (Placement::Residential, Site::InArea)
                } else if cooperative(Placement::Residential) {
                    (Placement::Residential, Site::Cooperative)
                } else {
                    (Placement::Residential, Site::OutOfArea)
                }
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
