//! Stable keys of the enums' members: how metric keys, CSV columns and the
//! summary's JSON name a placement, a pool, a way out of care. Users'
//! scripts read them: never rename one.

use crate::model::demographics::{EthnicGroup, Sex};
use crate::model::event::{
    BudgetLine, CareExit, CareRoute, ClosureReason, FinalOrder, HelpOutcome, LeavingCareSupport,
    LegalStatus, Placement, Pool, TriageDecision,
};
use crate::model::projection::AGE_BANDS;

/// The key of a front-door decision.
pub fn triage_key(d: TriageDecision) -> &'static str {
    match d {
        TriageDecision::NoFurtherAction => "no_further_action",
        TriageDecision::UniversalServices => "universal_services",
        TriageDecision::FamilyHelp => "family_help",
        TriageDecision::StrategyDiscussion => "strategy_discussion",
    }
}

/// The key of the way a family help spell ended.
pub fn outcome_key(o: HelpOutcome) -> &'static str {
    match o {
        HelpOutcome::NotInNeed => "assessed_not_in_need",
        HelpOutcome::NeedMet => "needs_met",
        HelpOutcome::NeedUnmet => "needs_unmet",
        HelpOutcome::SteppedUp => "stepped_up",
    }
}

/// The key of a kind of support for a care leaver.
pub fn support_key(s: LeavingCareSupport) -> &'static str {
    match s {
        LeavingCareSupport::StayingPut => "staying_put",
        LeavingCareSupport::StayingClose => "staying_close",
        LeavingCareSupport::Mentoring => "mentoring",
    }
}

/// The key of a placement.
pub fn placement_key(p: Placement) -> &'static str {
    match p {
        Placement::Kinship => "kinship_family_and_friends",
        Placement::InHouseFoster => "foster_care_in-house",
        Placement::AgencyFoster => "foster_care_agency",
        Placement::Residential => "residential",
    }
}

/// The ways out of care, in the order the summary and the per-year arrays give them.
pub const CARE_EXITS: [CareExit; 4] = [
    CareExit::Reunified,
    CareExit::SpecialGuardianship,
    CareExit::Adopted,
    CareExit::Aged18,
];

/// The key of a way out of care.
pub fn exit_key(e: CareExit) -> &'static str {
    match e {
        CareExit::Reunified => "returned_home",
        CareExit::SpecialGuardianship => "special_guardianship_cao",
        CareExit::Adopted => "adopted",
        CareExit::Aged18 => "turned_18",
    }
}

/// The key of a final order of care proceedings.
pub fn order_key(o: FinalOrder) -> &'static str {
    match o {
        FinalOrder::CareOrder => "care_order",
        FinalOrder::PlacementOrder => "placement_order",
        FinalOrder::SpecialGuardianship => "special_guardianship_order",
        FinalOrder::ChildArrangements => "child_arrangements_order",
        FinalOrder::Supervision => "supervision_order_or_no_order",
    }
}

/// The key of a route into care.
pub fn route_key(r: CareRoute) -> &'static str {
    match r {
        CareRoute::Proceedings => "care_proceedings",
        CareRoute::Emergency => "emergency_after_an_enquiry",
        CareRoute::Voluntary => "section_20_voluntary",
        CareRoute::Unaccompanied => "unaccompanied_asylum-seeking_child",
    }
}

/// The key of a legal status at entry to care.
pub fn legal_status_key(l: LegalStatus) -> &'static str {
    match l {
        LegalStatus::PoliceProtection => "police_protection",
        LegalStatus::EmergencyProtection => "emergency_protection_order",
        LegalStatus::InterimCareOrder => "interim_care_order",
        LegalStatus::CareOrder => "care_order",
        LegalStatus::Section20 => "section_20",
        LegalStatus::PlacementOrder => "placement_order",
    }
}

/// The keys of the age bands at entry to care, in [`AGE_BANDS`] order.
pub const AGE_BAND_KEYS: [&str; AGE_BANDS.len()] =
    ["under_1", "1_to_4", "5_to_9", "10_to_15", "16_and_over"];

/// The key of a child's sex.
pub fn sex_key(s: Sex) -> &'static str {
    s.name()
}

/// The key of a major ethnic group.
pub fn ethnic_group_key(g: EthnicGroup) -> &'static str {
    match g {
        EthnicGroup::White => "white",
        EthnicGroup::Mixed => "mixed",
        EthnicGroup::Asian => "asian",
        EthnicGroup::Black => "black",
        EthnicGroup::Other => "other",
        EthnicGroup::NotKnown => "not_known",
    }
}

/// The key of the reason a case closed.
pub fn closure_key(r: ClosureReason) -> &'static str {
    match r {
        ClosureReason::NoFurtherAction => "no_further_action",
        ClosureReason::UniversalServices => "universal_services",
        ClosureReason::NotInNeed => "assessed_not_in_need",
        ClosureReason::NeedMet => "family_help_needs_met",
        ClosureReason::NeedUnmet => "family_help_needs_unmet",
        // Only in old logs; not in `ClosureReason::ALL`, so never reported.
        ClosureReason::ToChildProtection => "passed_to_child_protection",
        ClosureReason::AfterEnquiry => "after_a_section_47_enquiry_or_conference",
        // Only in old logs; not in `ClosureReason::ALL`, so never reported.
        ClosureReason::ToCareProceedings => "to_care_proceedings",
        ClosureReason::Reunified => "left_care_returned_home",
        ClosureReason::SpecialGuardianship => "left_care_special_guardianship",
        ClosureReason::Adopted => "left_care_adopted",
        ClosureReason::Aged18 => "left_care_turned_18",
        ClosureReason::KinshipArrangement => "living_with_kin_outside_care",
        ClosureReason::Disengaged => "left_the_family_help_waiting_list",
        ClosureReason::Adult => "the_child_turned_18_not_in_care",
    }
}

/// The key of a staff pool.
pub fn pool_key(p: Pool) -> &'static str {
    match p {
        Pool::FrontDoor => "front_door",
        Pool::FamilyHelp => "family_help",
        Pool::ChildProtection => "child_protection",
        Pool::LeadPractitioners => "lead_practitioners",
        Pool::FgdmCoordinators => "fgdm_coordinators",
    }
}

/// The key of a budget line.
pub fn line_key(l: BudgetLine) -> &'static str {
    match l {
        BudgetLine::FamilyHelp => "family_help_staff",
        BudgetLine::Fgdm => "fgdm_coordinators",
        BudgetLine::Fnsp => "support_packages",
        BudgetLine::Placements => "placements",
        BudgetLine::Workforce => "other_staff",
    }
}
