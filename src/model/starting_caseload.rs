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
//!
//! The detailed rows (`in_care`, `plans`) open households as the returns
//! show them: their children's ages, and for children looked after their
//! placement and legal status (`LegalStatusChanged` after `FamilyOpened`),
//! the way out scheduled as for that status; a plan's length is drawn
//! given the months it has already lasted.
//!
//! The `closed` rows are households whose case closed before the start
//! (`ClosedBeforeStart`): the re-referral hazard is constant, so the time
//! to their next referral is drawn as at closure (from (ReReferral, family,
//! 0)) with the horizon shortened by the months already past; a household
//! not coming back within it spends its id and is not kept.

use super::{Decisions, Model};
use crate::model::calendar::{Minute, WEEK};
use crate::model::event::{
    Attributes, ClosureReason, Event, FamilyId, LegalStatus, Need, OpenStage, Placement,
};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::scenario::{CareLegalStatus, CarePlacement, ClosureGroup};
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
        // The households of the detailed rows, after the counted ones.
        for h in &caseload.in_care {
            for _ in 0..h.count {
                let family = FamilyId(next);
                next += 1;
                let mut attributes = household(self.draw_attributes(family), &h.ages);
                let legal = legal_status(h.legal_status);
                if h.unaccompanied {
                    // As an unaccompanied child arriving: no family network here.
                    attributes.need = Need::High;
                    attributes.network = 0;
                } else if legal == LegalStatus::Section20 {
                    // Accommodated with the parents' agreement: in need,
                    // not necessarily at risk of significant harm.
                    attributes.need = attributes.need.max(Need::Moderate);
                } else {
                    attributes.risk = attributes.risk.max(threshold);
                }
                let placement = placement_of(h.placement);
                let f = Family::new(attributes, Stage::InCare, now);
                let weekly = self.already_in_care_as(
                    now,
                    family,
                    &f,
                    placement,
                    legal,
                    h.unaccompanied,
                    out,
                );
                out.events.push(Event::FamilyOpened {
                    family,
                    attributes,
                    stage: OpenStage::LookedAfter,
                    placement: Some((placement, weekly)),
                });
                out.events.push(Event::LegalStatusChanged { family, legal });
            }
        }
        for h in &caseload.plans {
            for _ in 0..h.count {
                let family = FamilyId(next);
                next += 1;
                let mut attributes = household(self.draw_attributes(family), &h.ages);
                attributes.risk = attributes.risk.max(threshold);
                out.events.push(Event::FamilyOpened {
                    family,
                    attributes,
                    stage: OpenStage::OnPlan,
                    placement: None,
                });
                let adult_at = Family::new(attributes, Stage::OnPlan, now).turns_18_at(family);
                self.schedule_plan_since(now, family, 0, f64::from(h.months), adult_at, out);
            }
        }
        // Households whose case closed before the start, after the open
        // ones: kept only if they are referred again within the horizon.
        for h in &caseload.closed {
            let reason = closure_reason(h.closure);
            for _ in 0..h.count {
                let family = FamilyId(next);
                next += 1;
                let attributes = household(self.draw_attributes(family), &h.ages);
                self.closed_before_start(now, family, attributes, reason, h.months, out);
            }
        }
        if caseload.waiting_for_help > 0 {
            out.schedule.push((now, Happening::FamilyHelpRoom));
        }
    }
}

/// Drawn attributes with a household's children: as many as `ages`, the
/// youngest and the eldest from them (the model spreads those between
/// evenly).
fn household(mut a: Attributes, ages: &[u8]) -> Attributes {
    let youngest = ages.iter().copied().min().unwrap_or(0);
    let eldest = ages.iter().copied().max().unwrap_or(youngest);
    a.children = ages.len().clamp(1, usize::from(u8::MAX)) as u8;
    a.youngest_age = youngest;
    a.eldest_age = eldest;
    a
}

/// The closure reason standing for a scenario's closure group.
pub fn closure_reason(g: ClosureGroup) -> ClosureReason {
    match g {
        ClosureGroup::NoAction => ClosureReason::NoFurtherAction,
        ClosureGroup::NeedsMet => ClosureReason::NeedMet,
        ClosureGroup::NeedsUnmet => ClosureReason::NeedUnmet,
    }
}

/// The model's placement for a scenario's.
pub fn placement_of(p: CarePlacement) -> Placement {
    match p {
        CarePlacement::Kinship => Placement::Kinship,
        CarePlacement::InHouseFoster => Placement::InHouseFoster,
        CarePlacement::AgencyFoster => Placement::AgencyFoster,
        CarePlacement::Residential => Placement::Residential,
    }
}

/// The model's legal status for a scenario's.
pub fn legal_status(l: CareLegalStatus) -> LegalStatus {
    match l {
        CareLegalStatus::PoliceProtection => LegalStatus::PoliceProtection,
        CareLegalStatus::EmergencyProtectionOrder => LegalStatus::EmergencyProtection,
        CareLegalStatus::InterimCareOrder => LegalStatus::InterimCareOrder,
        CareLegalStatus::CareOrder => LegalStatus::CareOrder,
        CareLegalStatus::PlacementOrder => LegalStatus::PlacementOrder,
        CareLegalStatus::Section20 => LegalStatus::Section20,
    }
}
