//! The policy timeline: a dated change of parameters takes effect.
//!
//! From the change's date the model decides with the new version of the
//! parameters (`Model::at`). The change is recorded as an event so the state
//! follows it: new posts are recruited to (with agency cover where the
//! scenario says); a family help team given more room takes families off its
//! waiting list as soon as it has the staff; one given less room starts
//! nobody until its caseload falls below the new cap.

use super::workforce::Commitments;
use super::{Decisions, Model};
use crate::model::calendar::Minute;
use crate::model::event::Event;
use crate::model::happening::Happening;
use crate::model::state::State;

impl Model {
    /// Change number `change` of the timeline takes effect now.
    pub(super) fn policy_change(
        &self,
        now: Minute,
        change: u16,
        state: &State,
        out: &mut Decisions,
    ) {
        out.events.push(Event::PolicyApplied { change });
        // More posts are recruited to; fewer release agency workers first (in
        // `State::apply`), then go as permanent staff leave and are not replaced.
        self.recruit_to_vacancies(now, state, &mut Commitments::default(), out);
        out.schedule.push((now, Happening::FamilyHelpRoom));
    }
}
