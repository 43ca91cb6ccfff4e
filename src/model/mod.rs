//! The model of children's social care: how each happening is decided.
//!
//! Deciding reads the state and draws from addressed random streams, and
//! writes events and follow-up happenings into [`Decisions`]; it never changes
//! state. Each route lives in its own module:
//!
//! * [`referral`] — new families arriving, their attributes, re-referrals;
//! * [`triage`] — the front door's decision;
//! * [`family_help`] — the team, its waiting list, assessment and support;
//! * [`child_protection`] — section 47 enquiries, conferences and plans;
//! * [`closure`] — closing a case and the hazard of coming back.

pub mod child_protection;
pub mod closure;
pub mod family_help;
pub mod referral;
pub mod triage;

use crate::agenda::Happening;
use crate::calendar::{Calendar, Minute};
use crate::event::Event;
use crate::scenario::Scenario;
use crate::state::State;
use crate::stream::Streams;

/// What one decision produced: events to apply in order, and happenings to
/// put on the agenda. Reused across decisions so the hot loop does not allocate.
#[derive(Debug, Default)]
pub struct Decisions {
    /// Events, in the order they happen.
    pub events: Vec<Event>,
    /// Happenings to put on the agenda, in this order.
    pub schedule: Vec<(Minute, Happening)>,
}

impl Decisions {
    /// Empties both lists, keeping their capacity.
    pub fn clear(&mut self) {
        self.events.clear();
        self.schedule.clear();
    }
}

/// A scenario made ready to decide with: its calendar, streams and derived rates.
#[derive(Debug, Clone)]
pub struct Model {
    /// The scenario.
    pub scenario: Scenario,
    /// Its calendar.
    pub calendar: Calendar,
    streams: Streams,
    referral: referral::Params,
}

impl Model {
    /// The model of `scenario` with streams from `seed`.
    pub fn new(scenario: Scenario, seed: u64) -> Self {
        let calendar = scenario.calendar();
        let referral = referral::Params::new(&scenario);
        Model {
            scenario,
            calendar,
            streams: Streams::new(seed),
            referral,
        }
    }

    /// The happenings that start a run.
    pub fn start(&self, out: &mut Decisions) {
        self.schedule_arrival(0, 0, out);
    }

    /// Decides `what`, due now, against `state`.
    pub fn decide(&self, now: Minute, what: Happening, state: &State, out: &mut Decisions) {
        match what {
            Happening::Arrival => self.arrival(now, state, out),
            Happening::ReReferral(family) => self.rereferral(now, family, state, out),
            Happening::TriageDue(family, episode) => self.triage(now, family, episode, state, out),
            Happening::AssessmentDue(family, episode) => {
                self.assessment(now, family, episode, state, out)
            }
            Happening::HelpEnds(family, episode) => {
                self.help_ends(now, family, episode, state, out)
            }
            Happening::S47Ends(family, episode) => {
                self.enquiry_ends(now, family, episode, state, out)
            }
            Happening::ConferenceDue(family, episode) => {
                self.conference(now, family, episode, state, out)
            }
            Happening::PlanReviewDue(family, episode) => {
                self.plan_review(family, episode, state, out)
            }
            Happening::PlanEnds(family, episode) => {
                self.plan_ends(now, family, episode, state, out)
            }
        }
    }
}
