//! The policy timeline: a dated change of parameters takes effect.
//!
//! From the change's date the model decides with the new version of the
//! parameters (`Model::at`). The change is recorded as an event so the state
//! follows it: a family help team given more room takes families off its
//! waiting list at once; one given less room starts nobody until its
//! caseload falls below the new cap.

use super::{Decisions, Model};
use crate::calendar::Minute;
use crate::event::Event;
use crate::state::State;

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
        let capacity = self.at(now).family_help.capacity();
        let team = &state.family_help;
        for (active, &family) in (team.active..capacity).zip(team.waiting.iter()) {
            let episode = state.family(family).map_or(0, |f| f.episode);
            self.start_help(now, family, episode, active, out);
        }
    }
}
