//! Child protection: strategy discussion and section 47 enquiry, the initial
//! child protection conference, and a child protection plan with review
//! conferences (3 months after the plan starts, then every 6 months).
//!
//! An enquiry is more likely to lead to a conference when the child really
//! is at risk of significant harm. Enquiries, and the wait for a conference,
//! take longer the more families each child protection social worker holds. A plan's length is drawn from the
//! scenario's published length bands (and ends on the child's 18th birthday
//! at the latest); it ends by stepping down to family help or in the letter
//! before proceedings (see [`super::proceedings`]). No plan starts for a
//! child within a day of 18. Enquiries and conferences that go no further
//! send families with moderate or high needs to family help and close the
//! rest.

use super::care::VoluntaryPoint;
use super::family_network::OfferPoint;
use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{CareRoute, ClosureReason, Event, FamilyId, Need, Pool};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::{Stage, State};

/// An average month, in minutes (365.25 / 12 days).
const MONTH: f64 = 365.25 / 12.0 * DAY as f64;
/// Plan length bands, in months.
const BANDS: [(f64, f64); 5] = [
    (0.0, 3.0),
    (3.0, 6.0),
    (6.0, 12.0),
    (12.0, 24.0),
    (24.0, 36.0),
];

impl Model {
    /// The two draws of a stage: a duration in working minutes (exponential
    /// with `mean_working_days`) and a uniform for its decision. Drawn in
    /// this order from (purpose, family, episode) whenever either is needed.
    fn stage_draws(
        &self,
        purpose: Purpose,
        family: FamilyId,
        episode: u16,
        mean_working_days: f64,
    ) -> (u64, f64) {
        let mut s = self
            .streams
            .stream(purpose, u64::from(family.0), u32::from(episode));
        let minutes = s.exponential_minutes(mean_working_days * DAY as f64);
        (minutes, s.uniform())
    }

    /// A duration stretched by the child protection social workers' load.
    fn slowed(&self, now: Minute, minutes: u64, state: &State) -> u64 {
        let penalty = self.at(now).child_protection.caseload_penalty.get();
        let factor = 1.0 + penalty * state.load(Pool::ChildProtection);
        (libm::round(minutes as f64 * factor) as u64).max(1)
    }

    /// A strategy discussion starts a section 47 enquiry.
    pub(super) fn start_enquiry(
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
        let cp = &self.at(now).child_protection;
        let (mut length, _) = self.stage_draws(
            Purpose::Enquiry,
            family,
            episode,
            cp.enquiry_working_days_mean.get(),
        );
        length = self.slowed(now, length, state);
        out.events.push(Event::S47Started { family });
        let leads = &state.leads;
        if leads.active < leads.capacity && !state.family(family).is_some_and(|f| f.lead) {
            out.events.push(Event::LeadPractitionerAssigned { family });
            let factor = self.at(now).lead_practitioners.enquiry_time_factor.get();
            length = ((length as f64 * factor) as u64).max(1);
        }
        let due = self.calendar.add_working_minutes(now, length);
        out.schedule
            .push((due, Happening::S47Ends(family, episode)));
    }

    /// The enquiry ends: a conference, or no further child protection action.
    pub(super) fn enquiry_ends(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::InEnquiry, episode) else {
            return;
        };
        let cp = &self.at(now).child_protection;
        let (_, u) = self.stage_draws(
            Purpose::Enquiry,
            family,
            episode,
            cp.enquiry_working_days_mean.get(),
        );
        let lead = &self.at(now).lead_practitioners;
        let p = if self.at_risk_of_significant_harm(&f.attributes) {
            cp.conference_probability_at_risk.get()
        } else if f.lead {
            cp.conference_probability_not_at_risk.get()
                * (1.0 - lead.unneeded_conference_reduction.get())
        } else {
            cp.conference_probability_not_at_risk.get()
        };
        if self.urgent_proceedings(now, family, f, state, out) {
            return;
        }
        if self.emergency_care(now, family, episode, f) {
            out.events.push(Event::S47Completed {
                family,
                conference: false,
            });
            let legal = self.emergency_status(now, family, episode);
            self.enter_care(
                now,
                family,
                f,
                CareRoute::Emergency,
                legal,
                f.kin_named,
                state,
                out,
            );
            return;
        }
        let conference = u < p;
        out.events.push(Event::S47Completed { family, conference });
        if conference {
            let (lag, _) = self.stage_draws(
                Purpose::Conference,
                family,
                episode,
                cp.conference_working_days_mean.get(),
            );
            let due = self
                .calendar
                .add_working_minutes(now, self.slowed(now, lag, state));
            out.schedule
                .push((due, Happening::ConferenceDue(family, episode)));
        } else {
            self.after_enquiry(now, family, episode, f.attributes.need, state, out);
        }
    }

    /// The initial child protection conference: a plan, or no further action.
    pub(super) fn conference(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::AwaitingConference, episode) else {
            return;
        };
        let cp = &self.at(now).child_protection;
        let (_, u) = self.stage_draws(
            Purpose::Conference,
            family,
            episode,
            cp.conference_working_days_mean.get(),
        );
        let plan = u < cp.plan_probability.get() && now + DAY < f.turns_18_at(family);
        out.events.push(Event::ConferenceHeld { family, plan });
        if !plan {
            self.after_enquiry(now, family, episode, f.attributes.need, state, out);
            return;
        }
        out.events.push(Event::PlanStarted { family });
        self.offer_fgdm(now, family, f, OfferPoint::PlanStart, state, out);
        self.schedule_plan(now, family, episode, 0.0, f.turns_18_at(family), out);
    }

    /// Puts a plan's review conferences (3 months after it started, then
    /// every 6 months) and its end on the agenda. Its length is drawn from
    /// the scenario's bands; `elapsed` (0 to 1) is the share of that length
    /// already past (for plans open when the run starts). A plan lasts at
    /// least a day and ends by `adult_at` (the 18th birthday).
    pub(super) fn schedule_plan(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        elapsed: f64,
        adult_at: Minute,
        out: &mut Decisions,
    ) {
        let cp = &self.at(now).child_protection;
        let mut s = self
            .streams
            .stream(Purpose::Plan, u64::from(family.0), u32::from(episode));
        let (lo, hi) = BANDS[s.pick(&cp.plan_length.weights())];
        let length = (lo + (hi - lo) * s.uniform()) * MONTH;
        let past = length * elapsed;
        self.schedule_plan_rest(now, family, episode, length, past, adult_at, out);
    }

    /// Puts on the agenda the rest of a plan that began `months` ago (a
    /// starting caseload's): its length is drawn from the scenario's plan
    /// lengths given that it is longer than `months` (the same two draws,
    /// band and place within it, from the same address as
    /// [`Model::schedule_plan`]), its reviews every six months after the
    /// first at three. A plan past the longest band ends the next day.
    pub(super) fn schedule_plan_since(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        months: f64,
        adult_at: Minute,
        out: &mut Decisions,
    ) {
        let cp = &self.at(now).child_protection;
        let mut s = self
            .streams
            .stream(Purpose::Plan, u64::from(family.0), u32::from(episode));
        // Each band's weight times the share of it longer than `months`.
        let mut weights = cp.plan_length.weights();
        for (w, (lo, hi)) in weights.iter_mut().zip(BANDS) {
            *w *= ((hi - months.max(lo)) / (hi - lo)).clamp(0.0, 1.0);
        }
        let (band, u) = (s.pick(&weights), s.uniform());
        let past = months * MONTH;
        let length = if weights.iter().sum::<f64>() > 0.0 {
            let (lo, hi) = BANDS[band];
            let lo = lo.max(months);
            (lo + (hi - lo) * u) * MONTH
        } else {
            past
        };
        self.schedule_plan_rest(now, family, episode, length, past, adult_at, out);
    }

    /// Puts on the agenda the end and reviews of a plan of `length`
    /// minutes, `past` of them gone.
    #[allow(clippy::too_many_arguments)]
    fn schedule_plan_rest(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        length: f64,
        past: f64,
        adult_at: Minute,
        out: &mut Decisions,
    ) {
        let ends = (now + ((length - past) as Minute).max(DAY)).min(adult_at.max(now + 1));
        let mut review = 3.0 * MONTH;
        while review < length {
            let at = now + (review - past).max(0.0) as Minute;
            if review >= past && at < ends {
                out.schedule
                    .push((at, Happening::PlanReviewDue(family, episode)));
            }
            review += 6.0 * MONTH;
        }
        out.schedule
            .push((ends, Happening::PlanEnds(family, episode)));
    }

    /// A family already in an enquiry, or awaiting its conference, when the
    /// run starts: the stage's time left is drawn as if it had just started.
    pub(super) fn already_in_child_protection(
        &self,
        now: Minute,
        family: FamilyId,
        awaiting_conference: bool,
        out: &mut Decisions,
    ) {
        let cp = &self.at(now).child_protection;
        let (purpose, mean, next) = if awaiting_conference {
            (
                Purpose::Conference,
                cp.conference_working_days_mean.get(),
                Happening::ConferenceDue(family, 0),
            )
        } else {
            (
                Purpose::Enquiry,
                cp.enquiry_working_days_mean.get(),
                Happening::S47Ends(family, 0),
            )
        };
        let (lag, _) = self.stage_draws(purpose, family, 0, mean);
        out.schedule
            .push((self.calendar.add_working_minutes(now, lag), next));
    }

    /// A review conference on a plan that goes on.
    pub(super) fn plan_review(
        &self,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        if state.family_at(family, Stage::OnPlan, episode).is_some() {
            out.events.push(Event::PlanReviewed { family });
        }
    }

    /// The plan ends: step down to family help, or proceedings.
    pub(super) fn plan_ends(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family_at(family, Stage::OnPlan, episode) else {
            return;
        };
        let mut s = self
            .streams
            .stream(Purpose::Plan, u64::from(family.0), u32::from(episode));
        let _band = s.pick(&self.at(now).child_protection.plan_length.weights());
        let _within = s.uniform();
        let step_down = s.chance(self.at(now).child_protection.step_down_probability.get());
        // Three draws that decided proceedings here before pre-proceedings
        // had their own stream; skipped so that `led` keeps its place.
        for _ in 0..3 {
            s.uniform();
        }
        let led = s.uniform();
        let step_down = step_down
            || (f.lead && led < self.at(now).lead_practitioners.proceedings_reduction.get());
        out.events.push(Event::PlanEnded { family, step_down });
        if now + DAY >= f.turns_18_at(family) {
            // The child is 18: child protection ends.
            self.close(now, family, episode, ClosureReason::Adult, state, out);
        } else if step_down {
            self.enter_family_help(now, family, episode, state, out);
        } else {
            // Parents may agree to accommodation instead of the letter
            // before proceedings.
            let shares = &self.at(now).care.voluntary_at_plan_end;
            if !self.accommodate_voluntarily(
                now,
                family,
                shares,
                VoluntaryPoint::PlanEnd,
                state,
                out,
            ) {
                self.start_pre_proceedings(now, family, f, state, out);
            }
        }
    }

    /// After an enquiry or conference that went no further: family help for
    /// families with moderate or high needs, closure for the rest.
    fn after_enquiry(
        &self,
        now: Minute,
        family: FamilyId,
        episode: u16,
        need: Need,
        state: &State,
        out: &mut Decisions,
    ) {
        if need >= Need::Moderate {
            self.enter_family_help(now, family, episode, state, out);
        } else {
            self.close(
                now,
                family,
                episode,
                ClosureReason::AfterEnquiry,
                state,
                out,
            );
        }
    }
}
