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
//!
//! Waiting has consequences: a family on the waiting list carries a hazard
//! that concerns escalate — proportional to its latent risk and rising with
//! each month waited — and then comes back to the front door as a new
//! referral at the significant-harm threshold (`Escalated`); it may also
//! leave the list without help (`Disengaged`). Both times are drawn when the
//! family joins the list, from (Escalation, family, episode). When support
//! ends with needs unmet, a child may be accommodated under section 20.

use super::care::VoluntaryPoint;
use super::family_network::OfferPoint;
use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY, WEEK};
use crate::model::event::{ClosureReason, Event, FamilyId, HelpOutcome, Need};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::{FamilyHelpTeam, Stage, State};

/// An average month, in minutes (365.25 / 12 days).
const MONTH: f64 = 365.25 / 12.0 * DAY as f64;

/// The draws of a family's wait for family help, in stream order.
pub(super) struct EscalationDraws {
    /// Unit exponential for the escalation time (integrated hazard).
    escalation: f64,
    /// Unit exponential for the disengagement time.
    disengagement: f64,
    /// Uniform for the risk rise if the family's needs go unmet.
    pub(super) risk_rise: f64,
}

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
        if self.closed_as_adult(now, family, episode, state, out) {
            return;
        }
        let team = &state.family_help;
        if team.active < team.capacity && team.waiting_count() == 0 {
            self.start_help(now, family, episode, team.active, team.capacity, out);
        } else {
            out.events.push(Event::FamilyHelpQueued { family });
            let (risk, adult_at) = state.family(family).map_or((0, Minute::MAX), |f| {
                (f.attributes.risk, f.turns_18_at(family))
            });
            self.schedule_wait_end(now, family, episode, risk, adult_at, out);
        }
    }

    /// Puts the end of a family's wait (joined the list at `now`) on the
    /// agenda, if it escalates or disengages within the run, or its
    /// youngest child turns 18 (`adult_at`) first.
    pub(super) fn schedule_wait_end(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        risk: u16,
        adult_at: Minute,
        out: &mut Decisions,
    ) {
        let ends = self
            .wait_end(now, family, episode, risk)
            .map_or(Minute::MAX, |(at, _)| at)
            .min(adult_at.max(now + 1));
        if ends < self.calendar.horizon() {
            out.schedule
                .push((ends, Happening::WaitEnds(family, episode, now)));
        }
    }

    /// The family, if it is in the spell of help on referral `episode` that
    /// started at `started` (a family can be helped twice on one referral:
    /// the first spell's happenings must not end the second).
    fn in_help_since<'s>(
        &self,
        family: FamilyId,
        episode: u16,
        started: Minute,
        state: &'s State,
    ) -> Option<&'s crate::model::state::Family> {
        state
            .family_at(family, Stage::InHelp, episode)
            .filter(|f| f.stage_since() == started)
    }

    /// The draws of a family's wait, from (Escalation, family, episode).
    pub(super) fn escalation_draws(&self, family: FamilyId, episode: u16) -> EscalationDraws {
        let mut s =
            self.streams
                .stream(Purpose::Escalation, u64::from(family.0), u32::from(episode));
        EscalationDraws {
            escalation: s.exponential(1.0),
            disengagement: s.exponential(1.0),
            risk_rise: s.uniform(),
        }
    }

    /// When a family queued at `queued` with latent `risk` would leave the
    /// waiting list if still on it, and whether by escalating (true) or
    /// disengaging; None if neither comes within the run.
    fn wait_end(
        &self,
        queued: Minute,
        family: FamilyId,
        episode: u16,
        risk: u16,
    ) -> Option<(Minute, bool)> {
        let e = &self.at(queued).escalation;
        let d = self.escalation_draws(family, episode);
        // Hazard per month: a (1 + b t) with t in months since queueing, so
        // the integrated hazard a (t + b t^2 / 2) equals the unit exponential.
        let a = e.per_year_while_waiting.get() / 12.0 * f64::from(risk)
            / f64::from(self.significant_harm_risk().max(1));
        let b = e.rise_per_month_waited.get();
        let escalate = if a <= 0.0 {
            f64::INFINITY
        } else if b <= 0.0 {
            d.escalation / a
        } else {
            ((1.0 + 2.0 * b * d.escalation / a).sqrt() - 1.0) / b
        };
        let dis = e.disengagement_per_year.get() / 12.0;
        let disengage = if dis <= 0.0 {
            f64::INFINITY
        } else {
            d.disengagement / dis
        };
        let months = escalate.min(disengage);
        let minutes = months * MONTH;
        if !minutes.is_finite() || minutes >= self.calendar.horizon() as f64 {
            return None;
        }
        Some((
            queued.saturating_add((minutes as Minute).max(1)),
            escalate <= disengage,
        ))
    }

    /// A family's time on the waiting list runs out: concerns escalate (a
    /// new referral at the significant-harm threshold) or it disengages.
    pub(super) fn wait_ends(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        queued: Minute,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::WaitingForHelp, episode) else {
            return;
        };
        if f.stage_since() != queued {
            return;
        }
        // The youngest turned 18 on the list: off it, and the case closes.
        if now >= f.turns_18_at(family) {
            out.events.push(Event::Disengaged { family });
            self.close(now, family, episode, ClosureReason::Adult, state, out);
            return;
        }
        let Some((_, escalate)) = self.wait_end(queued, family, episode, f.attributes.risk) else {
            return;
        };
        if escalate {
            let Some(next) = episode.checked_add(1) else {
                return;
            };
            let threshold = self.significant_harm_risk();
            if f.attributes.risk < threshold {
                out.events.push(Event::RiskChanged {
                    family,
                    risk: threshold,
                });
            }
            out.events.push(Event::Escalated {
                family,
                episode: next,
            });
            self.schedule_triage(now, family, next, state, out);
        } else {
            out.events.push(Event::Disengaged { family });
            self.close(now, family, episode, ClosureReason::Disengaged, state, out);
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
        let ends_at = assessed_at.max(now.saturating_add(support));
        out.events.push(Event::FamilyHelpStarted { family });
        out.schedule
            .push((assessed_at, Happening::AssessmentDue(family, episode, now)));
        out.schedule
            .push((ends_at, Happening::HelpEnds(family, episode, now)));
    }

    /// The assessment is complete: it may find the family not in need, or at
    /// risk of significant harm.
    pub(super) fn assessment(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        started: Minute,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = self.in_help_since(family, episode, started, state) else {
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
            && f.enquiry_started().is_none()
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
        started: Minute,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = self.in_help_since(family, episode, started, state) else {
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
        let waiting = self.waiting_children(now, state);
        for (active, family) in (team.active..team.capacity).zip(waiting) {
            let episode = state.family(family).map_or(0, |f| f.episode);
            self.start_help(now, family, episode, active, team.capacity, out);
        }
    }

    /// Families waiting, in order, whose youngest is not yet 18 (one who
    /// turned 18 leaves the list at its `WaitEnds`, due at the birthday).
    fn waiting_children<'s>(
        &self,
        now: Minute,
        state: &'s State,
    ) -> impl Iterator<Item = FamilyId> + 's {
        state.waiting_families().filter(move |&family| {
            state
                .family(family)
                .is_some_and(|f| now < f.turns_18_at(family))
        })
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
                self.close(now, family, episode, ClosureReason::NotInNeed, state, out)
            }
            HelpOutcome::NeedMet => {
                self.close(now, family, episode, ClosureReason::NeedMet, state, out)
            }
            HelpOutcome::NeedUnmet => {
                let shares = &self.at(now).care.voluntary_when_needs_unmet;
                if !self.accommodate_voluntarily(
                    now,
                    family,
                    shares,
                    VoluntaryPoint::NeedsUnmet,
                    state,
                    out,
                ) {
                    self.close(now, family, episode, ClosureReason::NeedUnmet, state, out)
                }
            }
            HelpOutcome::SteppedUp => self.start_enquiry(now, family, episode, state, out),
        }
        let team = &state.family_help;
        let active = team.active - 1;
        if active < team.capacity {
            if let Some(next) = self.waiting_children(now, state).next() {
                let next_episode = state.family(next).map_or(0, |f| f.episode);
                self.start_help(now, next, next_episode, active, team.capacity, out);
            }
        }
    }
}
