//! The model of children's social care: how each happening is decided.
//!
//! Deciding reads the state and draws from addressed random streams, and
//! writes events and follow-up happenings into [`Decisions`]; it never changes
//! state. Each route lives in its own module:
//!
//! * [`referral`] — new families arriving, their attributes, re-referrals;
//! * [`triage`] — the front door's decision;
//! * [`family_help`] — the team, its waiting list, assessment and support;
//! * [`family_network`] — family group decision-making and support packages;
//! * [`child_protection`] — section 47 enquiries, conferences and plans;
//! * [`proceedings`] — pre-proceedings, care proceedings, emergency
//!   protection and the final order;
//! * [`care`] — entry to care (and by which legal route), placements and the way out;
//! * [`closure`] — closing a case and the hazard of coming back;
//! * [`starting_caseload`] — families already open when the run starts;
//! * [`policy`] — dated changes of parameters taking effect;
//! * [`workforce`] — staff pools: leavers, recruitment, agency cover, apprentices;
//! * [`ledger`] — the funding ledger: settling costs, rationing, overspends.

pub mod calendar;
pub mod care;
pub mod child_protection;
pub mod closure;
pub mod demographics;
pub mod event;
pub mod families;
pub mod family_help;
pub mod family_network;
pub mod happening;
pub mod input;
pub mod keys;
pub mod leaving_care;
pub mod ledger;
pub mod overrides;
pub mod per;
pub mod placements;
pub mod policy;
pub mod proceedings;
pub mod projection;
pub mod purpose;
pub mod referral;
pub mod region;
pub mod scenario;
pub mod starting_caseload;
pub mod state;
pub mod triage;
pub mod workforce;

use crate::engine::log::LogError;
use crate::engine::stream::Streams;
use crate::engine::{Domain, EventSink, Run, StepError};
use crate::model::calendar::{Calendar, Minute};
use crate::model::event::Event;
use crate::model::happening::Happening;
use crate::model::per::PerPool;
use crate::model::projection::{fold, Metrics};
use crate::model::scenario::{Scenario, ScenarioError};
use crate::model::state::{Inconsistent, PoolTerms, State};

/// What one decision produced: events to apply in order, and happenings to
/// put on the agenda.
pub type Decisions = crate::engine::Decisions<Happening, Event>;

/// A run or replay that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The log could not be written or read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The scenario (for a replay: the one inside the log) is not valid.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// An event did not fit the state.
    #[error("event {index}: {source}")]
    Inconsistent {
        /// Which event, from 0.
        index: u64,
        /// What did not fit.
        source: Inconsistent,
    },
}

impl From<StepError<Inconsistent>> for RunError {
    fn from(e: StepError<Inconsistent>) -> Self {
        match e {
            StepError::Log(e) => RunError::Log(e),
            StepError::Misfit { index, source } => RunError::Inconsistent { index, source },
        }
    }
}

impl Domain for Model {
    type Happening = Happening;
    type Event = Event;
    type State = State;
    type Projection = Metrics;
    type Misfit = Inconsistent;

    fn fresh(&self) -> (State, Metrics) {
        (
            State::new(&self.scenario),
            Metrics::new(&self.calendar, self.seed),
        )
    }

    fn start(&self, out: &mut Decisions) {
        Model::start(self, out)
    }

    #[inline]
    fn decide(&self, now: Minute, what: Happening, state: &State, out: &mut Decisions) {
        Model::decide(self, now, what, state, out)
    }

    #[inline]
    fn fold(
        state: &mut State,
        metrics: &mut Metrics,
        at: Minute,
        event: &Event,
    ) -> Result<(), Inconsistent> {
        fold(state, metrics, at, event)
    }

    fn close(state: &State, metrics: &mut Metrics, end: Minute) {
        metrics.finish(end, state)
    }

    fn horizon(&self) -> Minute {
        self.calendar.horizon()
    }
}

/// Runs `model` to its horizon, sending every event to `sink`.
pub fn simulate<S: EventSink<Event>>(
    model: &Model,
    sink: &mut S,
) -> Result<(State, Metrics), RunError> {
    Ok(Run::start(model).finish(model, sink)?)
}

/// A scenario made ready to decide with: its calendar, streams, and the
/// version of its parameters in force at each point of the policy timeline.
#[derive(Debug, Clone)]
pub struct Model {
    /// The scenario as written (its first version, with its timeline).
    pub scenario: Scenario,
    /// Its calendar.
    pub calendar: Calendar,
    /// The seed the streams come from.
    seed: u64,
    streams: Streams,
    versions: Vec<Version>,
}

/// The parameters in force from a minute on.
#[derive(Debug, Clone)]
struct Version {
    from: Minute,
    scenario: Scenario,
    referral: referral::Params,
    terms: PerPool<PoolTerms>,
}

impl Model {
    /// The model of `scenario` (validated) with streams from `seed`.
    pub fn new(scenario: Scenario, seed: u64) -> Self {
        let calendar = scenario.calendar();
        let timeline = scenario
            .timeline()
            .expect("scenarios are validated, timeline included, before a model is built");
        let versions = timeline
            .into_iter()
            .map(|(date, s)| Version {
                from: calendar.minute_of(date),
                referral: referral::Params::new(&s),
                terms: PoolTerms::of(&s),
                scenario: s,
            })
            .collect::<Vec<_>>();
        Model {
            scenario,
            calendar,
            seed,
            streams: Streams::new(seed),
            versions,
        }
    }

    fn version(&self, now: Minute) -> &Version {
        let i = self.versions.partition_point(|v| v.from <= now);
        &self.versions[i.saturating_sub(1)]
    }

    /// The number of the version in force at `now` (0: the scenario's own).
    pub(super) fn version_index(&self, now: Minute) -> u16 {
        self.versions
            .partition_point(|v| v.from <= now)
            .saturating_sub(1) as u16
    }

    /// The parameters in force at `now`.
    pub fn at(&self, now: Minute) -> &Scenario {
        &self.version(now).scenario
    }

    /// The parameters of version `v` of the timeline (0: the scenario's own).
    pub fn version_scenario(&self, v: u16) -> &Scenario {
        &self.versions[usize::from(v).min(self.versions.len() - 1)].scenario
    }

    /// The timeline seen from `at`: the version in force just before it, and
    /// each later change (from `at` on) that takes effect, with the minute it
    /// starts (of several changes on one date only the last, as in a run).
    pub fn timeline_from(&self, at: Minute) -> (u16, Vec<(Minute, u16)>) {
        let before = self
            .versions
            .partition_point(|v| v.from < at)
            .saturating_sub(1);
        let later = self
            .versions
            .iter()
            .enumerate()
            .skip(1)
            .filter(|&(i, v)| v.from >= at && !self.superseded(i))
            .map(|(i, v)| (v.from, i as u16))
            .collect();
        (before as u16, later)
    }

    /// Every version that takes effect in a run, from its first minute:
    /// the scenario's own (from 0), then each change as [`Model::timeline_from`]
    /// lists them.
    pub fn versions_in_effect(&self) -> Vec<(Minute, u16)> {
        let (first, later) = self.timeline_from(0);
        std::iter::once((0, first)).chain(later).collect()
    }

    /// Whether change `i` is followed by another on the same date, which
    /// carries it: only the last of a date takes effect.
    fn superseded(&self, i: usize) -> bool {
        let from = self.versions[i].from;
        self.versions.get(i + 1).is_some_and(|n| n.from == from)
    }

    /// When the version after the one in force at `now` starts, if any.
    fn next_change(&self, now: Minute) -> Option<Minute> {
        self.versions
            .iter()
            .map(|v| v.from)
            .find(|&from| from > now)
    }

    /// The pools' terms in force at `now`.
    pub fn terms(&self, now: Minute) -> &PerPool<PoolTerms> {
        &self.version(now).terms
    }

    /// The happenings that start a run: the start (staff), the policy
    /// changes, the first arrival, the first month's end and the financial
    /// years' starts.
    pub fn start(&self, out: &mut Decisions) {
        out.schedule.push((0, Happening::Start));
        // Changes dated on the first day are in force from `Start`; of
        // several changes on one date, the last takes effect (it carries
        // the ones before it).
        for (i, v) in self.versions.iter().enumerate().skip(1) {
            if v.from > 0 && !self.superseded(i) {
                out.schedule.push((v.from, Happening::Policy(i as u16)));
            }
        }
        self.schedule_arrival(0, 0, out);
        self.schedule_unaccompanied(0, 0, out);
        let from = self.scenario.measured_from();
        if from > 0 {
            out.schedule.push((from, Happening::MeasurementStart));
        }
        self.schedule_month_end(0, out);
        for at in self.calendar.financial_year_starts() {
            out.schedule.push((at, Happening::YearStart));
        }
    }

    /// Decides `what`, due now, against `state`.
    pub fn decide(&self, now: Minute, what: Happening, state: &State, out: &mut Decisions) {
        match what {
            Happening::Arrival(exact) => self.arrival(now, exact, state, out),
            Happening::ReReferral(family) => self.rereferral(now, family, state, out),
            Happening::TriageDue(family, episode) => self.triage(now, family, episode, state, out),
            Happening::AssessmentDue(family, episode, started) => {
                self.assessment(now, family, episode, started, state, out)
            }
            Happening::HelpEnds(family, episode, started) => {
                self.help_ends(now, family, episode, started, state, out)
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
            Happening::Policy(change) => self.policy_change(now, change, state, out),
            Happening::LeavesCare(family, episode) => {
                self.leaves_care(now, family, episode, state, out)
            }
            Happening::SiblingTurns18(family, episode) => {
                self.sibling_turns_18(now, family, episode, state, out)
            }
            Happening::PlacementBreaks(family, episode, since, k) => {
                self.placement_breaks(now, family, episode, since, k, state, out)
            }
            Happening::Start => self.start_staff(now, state, out),
            Happening::MayLeave(pool, worker, k) => {
                self.may_leave(now, pool, worker, k, state, out)
            }
            Happening::Hired(pool, _) => self.hired(now, pool, state, out),
            Happening::TrainingEnds(pool, apprentice) => {
                self.training_ends(now, pool, apprentice, state, out)
            }
            Happening::MonthEnd => self.month_end(now, state, out),
            Happening::YearStart => self.year_start(now, state, out),
            Happening::FamilyHelpRoom => self.family_help_room(now, state, out),
            Happening::CoordinationEnds(family, _) => {
                out.events.push(Event::FgdmCoordinationEnded { family })
            }
            Happening::WaitEnds(family, episode, queued) => {
                self.wait_ends(now, family, episode, queued, state, out)
            }
            Happening::PreProceedingsEnd(family, episode) => {
                self.pre_proceedings_end(now, family, episode, state, out)
            }
            Happening::ProceedingsEnd(family, episode) => {
                self.proceedings_end(now, family, episode, state, out)
            }
            Happening::EmergencyEnds(family, episode) => {
                self.emergency_ends(now, family, episode, state, out)
            }
            Happening::UnaccompaniedArrival(exact, index) => {
                self.unaccompanied_arrival(now, exact, index, state, out)
            }
            Happening::LetterSent(family) => self.letter_sent(now, family, state, out),
            Happening::MeasurementStart => out.events.push(Event::MeasurementStarted),
            Happening::LeavingCareSupportEnds(support, weekly_pence) => {
                out.events.push(Event::LeavingCareSupportEnded {
                    support,
                    weekly_pence,
                })
            }
        }
    }
}
