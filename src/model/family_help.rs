//! Family help: a team with a caseload cap, a waiting list, an assessment
//! and a spell of support.
//!
//! A family the front door sends to family help starts at once if the team
//! has room and nobody is waiting, else joins the waiting list (first come,
//! first served). Support lasts longer, and meets needs less often, the fuller
//! the team's caseload was when the family's help started; a multi-disciplinary
//! team meets needs more often, and so does one whose family has made a
//! family-led plan (FGDM may be offered when the assessment finds a need).
//! The assessment finds families sent here in error: those with no need for
//! help are closed, and those at risk of significant harm may be stepped up
//! to a section 47 enquiry.

use super::family_network::OfferPoint;
use super::{Decisions, Model};
use crate::agenda::Happening;
use crate::calendar::{Minute, DAY, WEEK};
use crate::event::{ClosureReason, Event, FamilyId, HelpOutcome, Need};
use crate::state::{FamilyHelpTeam, Stage, State};
use crate::stream::Purpose;

impl Model {
    /// A family sent to family help: started now, or put on the waiting list.
    pub(super) fn enter_family_help(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let team = &state.family_help;
        if team.active < team.capacity && team.waiting.is_empty() {
            self.start_help(now, family, episode, team.active, team.capacity, out);
        } else {
            out.events.push(Event::FamilyHelpQueued { family });
        }
    }

    /// Starts a family's help with `active` families already held of the
    /// team's `capacity`, drawing the assessment and support durations.
    pub(super) fn start_help(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        active: u32,
        capacity: u32,
        out: &mut Decisions,
    ) {
        let fh = &self.at(now).family_help;
        let load = f64::from(FamilyHelpTeam::load_of(active, capacity)) / 10_000.0;
        let mut s = self.streams.stream(
            Purpose::FamilyHelpDurations,
            u64::from(family.0),
            u32::from(episode),
        );
        let assess = s.exponential_minutes(fh.assessment_working_days_mean.get() * DAY as f64);
        let support = s.exponential_minutes(
            fh.support_weeks_mean.get() * WEEK as f64 * (1.0 + fh.caseload_penalty.get() * load),
        );
        let assessed_at = self.calendar.add_working_minutes(now, assess);
        let ends_at = assessed_at.max(now + support);
        out.events.push(Event::FamilyHelpStarted { family });
        out.schedule
            .push((assessed_at, Happening::AssessmentDue(family, episode)));
        out.schedule
            .push((ends_at, Happening::HelpEnds(family, episode)));
    }

    /// The assessment is complete: it may find the family not in need, or at
    /// risk of significant harm.
    pub(super) fn assessment(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InHelp, episode) else {
            return;
        };
        if f.assessed {
            return;
        }
        out.events.push(Event::AssessmentCompleted { family });
        let mut s =
            self.streams
                .stream(Purpose::Assessment, u64::from(family.0), u32::from(episode));
        // A family already enquired into on this referral is not stepped up again.
        let step_up = self.at_risk_of_significant_harm(&f.attributes)
            && f.enquiry_started.is_none()
            && s.chance(self.at(now).family_help.step_up_probability.get());
        if step_up {
            self.end_help(now, family, episode, HelpOutcome::SteppedUp, state, out);
        } else if f.attributes.need <= Need::Low && !self.at_risk_of_significant_harm(&f.attributes)
        {
            self.end_help(now, family, episode, HelpOutcome::NotInNeed, state, out);
        } else {
            self.offer_fgdm(now, family, f, OfferPoint::FamilyHelp, state, out);
        }
    }

    /// Support comes to its planned end: needs met or not.
    pub(super) fn help_ends(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InHelp, episode) else {
            return;
        };
        let fh = &self.at(now).family_help;
        let mut p = fh.need_met_probability.get();
        if fh.multidisciplinary {
            p *= 1.0 + fh.multidisciplinary_uplift.get();
        }
        if f.fgdm_held {
            p *= 1.0 + self.at(now).family_network.need_met_uplift.get();
        }
        p *= 1.0 - fh.caseload_penalty.get() * f64::from(f.load_at_start) / 10_000.0;
        let met = self
            .streams
            .stream(
                Purpose::HelpOutcome,
                u64::from(family.0),
                u32::from(episode),
            )
            .chance(p.min(1.0));
        let outcome = if met {
            HelpOutcome::NeedMet
        } else {
            HelpOutcome::NeedUnmet
        };
        self.end_help(now, family, episode, outcome, state, out);
    }

    /// Starts families off the waiting list while the team has room.
    pub(super) fn family_help_room(&self, now: Minute, state: &State, out: &mut Decisions) {
        let team = &state.family_help;
        for (active, &family) in (team.active..team.capacity).zip(team.waiting.iter()) {
            let episode = state.family(family).map_or(0, |f| f.episode);
            self.start_help(now, family, episode, active, team.capacity, out);
        }
    }

    /// Ends a family's help, closes its case, and gives the freed place to
    /// the first family waiting.
    fn end_help(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        outcome: HelpOutcome,
        state: &State,
        out: &mut Decisions,
    ) {
        out.events.push(Event::FamilyHelpEnded { family, outcome });
        match outcome {
            HelpOutcome::NotInNeed => {
                self.close(now, family, episode, ClosureReason::NotInNeed, out)
            }
            HelpOutcome::NeedMet => self.close(now, family, episode, ClosureReason::NeedMet, out),
            HelpOutcome::NeedUnmet => {
                self.close(now, family, episode, ClosureReason::NeedUnmet, out)
            }
            HelpOutcome::SteppedUp => self.start_enquiry(now, family, episode, state, out),
        }
        let team = &state.family_help;
        let active = team.active - 1;
        if active < team.capacity {
            if let Some(&next) = team.waiting.front() {
                let next_episode = state.family(next).map_or(0, |f| f.episode);
                self.start_help(now, next, next_episode, active, team.capacity, out);
            }
        }
    }
}
