//! The starting caseload: families already open on the run's first day.
//!
//! A modeller starts from today's position rather than from empty: the
//! scenario's `starting_caseload` gives how many families are waiting for
//! family help, in it, in a section 47 enquiry, awaiting a conference, on a
//! plan and looked after. Each is a family with the next id, its attributes
//! drawn from its own stream as for a new family, then raised where its
//! stage needs it (a need for help in family help; a risk of significant
//! harm in child protection and care). Each is recorded as `FamilyOpened`
//! and its stage goes on from there: the time left in a memoryless stage
//! (support, enquiry, wait for conference, time in care) is drawn as if the
//! stage had just started; a plan's time left is its drawn length less a
//! uniformly drawn share already past (from (StartingCaseload, family, 0)).
//! A family in pre-proceedings had its letter today: FGDM may be offered,
//! and its pre-proceedings run their full course.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, WEEK};
use crate::model::event::{Event, FamilyId, Need, OpenStage};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::state::{Family, Stage, State};

impl Model {
    /// Opens the scenario's starting caseload (staff are in post already).
    pub(super) fn open_starting_caseload(&self, now: Minute, state: &State, out: &mut Decisions) {
        let Some(caseload) = &self.scenario.starting_caseload else {
            return;
        };
        let threshold = self.significant_harm_risk();
        let mut next = state.next_family_id().0;
        for (stage, count) in OpenStage::ALL.into_iter().zip(caseload.counts()) {
            for _ in 0..count {
                let family = FamilyId(next);
                next += 1;
                let mut attributes = self.draw_attributes(family);
                match stage {
                    OpenStage::WaitingForHelp | OpenStage::InHelp => {
                        attributes.need = attributes.need.max(Need::Moderate);
                    }
                    _ => attributes.risk = attributes.risk.max(threshold),
                }
                let placement = (stage == OpenStage::LookedAfter)
                    .then(|| self.already_in_care(now, family, &attributes, out));
                out.events.push(Event::FamilyOpened {
                    family,
                    attributes,
                    stage,
                    placement,
                });
                match stage {
                    // Started by `FamilyHelpRoom` as the team has room;
                    // meanwhile it may escalate or disengage like any family waiting.
                    OpenStage::WaitingForHelp => {
                        let adult_at =
                            Family::new(attributes, Stage::WaitingForHelp, now).turns_18_at(family);
                        self.schedule_wait_end(now, family, 0, attributes.risk, adult_at, out)
                    }
                    OpenStage::InHelp => {
                        let fh = &self.at(now).family_help;
                        let left = self
                            .streams
                            .stream(Purpose::StartingCaseload, u64::from(family.0), 0)
                            .exponential_minutes(fh.support_weeks_mean.get() * WEEK as f64);
                        out.schedule
                            .push((now + left, Happening::HelpEnds(family, 0, now)));
                    }
                    OpenStage::InEnquiry | OpenStage::AwaitingConference => self
                        .already_in_child_protection(
                            now,
                            family,
                            stage == OpenStage::AwaitingConference,
                            out,
                        ),
                    OpenStage::OnPlan => {
                        let past = self
                            .streams
                            .stream(Purpose::StartingCaseload, u64::from(family.0), 0)
                            .uniform();
                        let adult_at =
                            Family::new(attributes, Stage::OnPlan, now).turns_18_at(family);
                        self.schedule_plan(now, family, 0, past, adult_at, out);
                    }
                    // FGDM may be offered as the letter goes; then the
                    // pre-proceedings run their course.
                    OpenStage::PreProceedings => {
                        out.schedule.push((now, Happening::LetterSent(family)));
                        let f = Family::new(attributes, Stage::PreProceedings, now);
                        self.schedule_pre_proceedings_end(now, family, &f, out);
                    }
                    // Its way out was scheduled with the placement.
                    OpenStage::LookedAfter => {}
                }
            }
        }
        if caseload.waiting_for_help > 0 {
            out.schedule.push((now, Happening::FamilyHelpRoom));
        }
    }
}
