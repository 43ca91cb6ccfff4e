//! Events: the facts a run records, in the order they happened.
//!
//! An event is a fact about an entity at a time. The log stores `(at, event)`;
//! `State::apply` is the only code that changes state, and it does so from
//! these alone. Variants are append-only: their order is part of the log
//! format (see `log::FORMAT_VERSION`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::calendar::Minute;

/// A family's identity for the whole run: the n-th new family referred is `n`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FamilyId(pub u32);

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How much help a family needs, as the front door would judge it with
/// perfect information.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Need {
    /// No additional need: the referral needs no action.
    None,
    /// Needs met by universal services (school, health visitor, GP).
    Low,
    /// Needs targeted family help.
    Moderate,
    /// Complex needs: intensive, multi-disciplinary family help.
    High,
}

impl Need {
    /// All levels, in order.
    pub const ALL: [Need; 4] = [Need::None, Need::Low, Need::Moderate, Need::High];
}

/// Risk factors present in a family (bit set).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RiskFactors(pub u8);

impl RiskFactors {
    /// Domestic abuse.
    pub const DOMESTIC_ABUSE: u8 = 1;
    /// Parental substance misuse.
    pub const SUBSTANCE_MISUSE: u8 = 2;
    /// Parental mental ill health.
    pub const MENTAL_HEALTH: u8 = 4;
    /// Neglect.
    pub const NEGLECT: u8 = 8;
    /// Names in bit order, for display.
    pub const NAMES: [&'static str; 4] = [
        "domestic abuse",
        "substance misuse",
        "mental health",
        "neglect",
    ];

    /// True when the factor with bit index `i` (0..4) is present.
    pub fn has(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
}

/// A family's attributes, drawn once from its own stream when it is first referred.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attributes {
    /// Number of children in the household (1 or more).
    pub children: u8,
    /// Age in years of the youngest child (0 to 17).
    pub youngest_age: u8,
    /// Age in years of the eldest child (the youngest's for an only child;
    /// 18 or more for an adult son or daughter at home, who is not counted).
    /// The children between are spread evenly from youngest to eldest.
    pub eldest_age: u8,
    /// Level of need.
    pub need: Need,
    /// Latent risk of significant harm, in parts per 10,000.
    pub risk: u16,
    /// Risk factors present.
    pub risk_factors: RiskFactors,
    /// Strength of the family's network of relatives and friends, parts per 10,000.
    pub network: u16,
}

impl Attributes {
    /// How many years older than the youngest child number `k` is (0 the
    /// youngest, `children - 1` the eldest).
    pub fn sibling_offset(&self, k: u8) -> u8 {
        let n = u32::from(self.children.max(1));
        if n <= 1 {
            return 0;
        }
        let span = u32::from(self.eldest_age.saturating_sub(self.youngest_age));
        (span * u32::from(k).min(n - 1) / (n - 1)) as u8
    }
}

/// The front door's decision on a referral.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TriageDecision {
    /// No further action.
    NoFurtherAction,
    /// Signposted to universal services.
    UniversalServices,
    /// Family help.
    FamilyHelp,
    /// A strategy discussion: the child may be at risk of significant harm.
    StrategyDiscussion,
}

impl TriageDecision {
    /// All decisions, in order of escalation.
    pub const ALL: [TriageDecision; 4] = [
        TriageDecision::NoFurtherAction,
        TriageDecision::UniversalServices,
        TriageDecision::FamilyHelp,
        TriageDecision::StrategyDiscussion,
    ];

    /// Position in [`TriageDecision::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            TriageDecision::NoFurtherAction => "no further action",
            TriageDecision::UniversalServices => "universal services",
            TriageDecision::FamilyHelp => "family help",
            TriageDecision::StrategyDiscussion => "strategy discussion",
        }
    }
}

/// How a spell of family help ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HelpOutcome {
    /// The assessment found no need for family help.
    NotInNeed,
    /// Support ended with the family's needs met.
    NeedMet,
    /// Support ended with needs still unmet.
    NeedUnmet,
    /// Concerns grew: stepped up to child protection.
    SteppedUp,
}

impl HelpOutcome {
    /// All outcomes, in order.
    pub const ALL: [HelpOutcome; 4] = [
        HelpOutcome::NotInNeed,
        HelpOutcome::NeedMet,
        HelpOutcome::NeedUnmet,
        HelpOutcome::SteppedUp,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            HelpOutcome::NotInNeed => "assessed, not in need",
            HelpOutcome::NeedMet => "needs met",
            HelpOutcome::NeedUnmet => "needs unmet",
            HelpOutcome::SteppedUp => "stepped up",
        }
    }
}

/// Why a case closed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClosureReason {
    /// The front door took no further action.
    NoFurtherAction,
    /// Signposted to universal services at the front door.
    UniversalServices,
    /// Assessed as not in need of family help.
    NotInNeed,
    /// Family help ended with needs met.
    NeedMet,
    /// Family help ended with needs unmet.
    NeedUnmet,
    /// Passed to child protection and out of the simulated routes. Written
    /// only by familyflow 0.1 (before the child protection route existed);
    /// kept so those logs still read.
    ToChildProtection,
    /// A section 47 enquiry or conference found no need to go on, and no
    /// need for family help.
    AfterEnquiry,
    /// A child protection plan ended in pre-proceedings or care proceedings
    /// and the case left the simulated routes. Written only by logs of format
    /// 1 (before the care route existed); kept so the variant order holds.
    ToCareProceedings,
    /// Left care: returned home to parents.
    Reunified,
    /// Left care: special guardianship or child arrangements order.
    SpecialGuardianship,
    /// Left care: adopted.
    Adopted,
    /// Left care: turned 18.
    Aged18,
    /// The child went to live with kin outside care (a child arrangements
    /// or special guardianship order, or an arrangement agreed with the
    /// family, instead of proceedings or at their end).
    KinshipArrangement,
    /// The family left the family help waiting list without help.
    Disengaged,
    /// The youngest child turned 18 while the case was open outside care:
    /// children's services close it.
    Adult,
}

impl ClosureReason {
    /// All reasons, in order.
    pub const ALL: [ClosureReason; 13] = [
        ClosureReason::NoFurtherAction,
        ClosureReason::UniversalServices,
        ClosureReason::NotInNeed,
        ClosureReason::NeedMet,
        ClosureReason::NeedUnmet,
        ClosureReason::AfterEnquiry,
        ClosureReason::Reunified,
        ClosureReason::SpecialGuardianship,
        ClosureReason::Adopted,
        ClosureReason::Aged18,
        ClosureReason::KinshipArrangement,
        ClosureReason::Disengaged,
        ClosureReason::Adult,
    ];

    /// Number of variants (including retired ones), for count arrays.
    pub const COUNT: usize = 15;

    /// Every variant, retired ones included, in declaration order.
    pub const EVERY: [ClosureReason; ClosureReason::COUNT] = [
        ClosureReason::NoFurtherAction,
        ClosureReason::UniversalServices,
        ClosureReason::NotInNeed,
        ClosureReason::NeedMet,
        ClosureReason::NeedUnmet,
        ClosureReason::ToChildProtection,
        ClosureReason::AfterEnquiry,
        ClosureReason::ToCareProceedings,
        ClosureReason::Reunified,
        ClosureReason::SpecialGuardianship,
        ClosureReason::Adopted,
        ClosureReason::Aged18,
        ClosureReason::KinshipArrangement,
        ClosureReason::Disengaged,
        ClosureReason::Adult,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            ClosureReason::NoFurtherAction => "no further action",
            ClosureReason::UniversalServices => "universal services",
            ClosureReason::NotInNeed => "assessed, not in need",
            ClosureReason::NeedMet => "family help, needs met",
            ClosureReason::NeedUnmet => "family help, needs unmet",
            ClosureReason::ToChildProtection => "passed to child protection (0.1 logs)",
            ClosureReason::AfterEnquiry => "after a section 47 enquiry or conference",
            ClosureReason::ToCareProceedings => "to care proceedings (format 1 logs)",
            ClosureReason::Reunified => "left care: returned home",
            ClosureReason::SpecialGuardianship => "left care: special guardianship",
            ClosureReason::Adopted => "left care: adopted",
            ClosureReason::Aged18 => "left care: turned 18",
            ClosureReason::KinshipArrangement => "living with kin outside care",
            ClosureReason::Disengaged => "left the family help waiting list",
            ClosureReason::Adult => "the child turned 18 (not in care)",
        }
    }
}

/// Where a child in care lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Placement {
    /// With relatives or friends (kinship foster care).
    Kinship,
    /// With the council's own (unrelated) foster carers.
    InHouseFoster,
    /// With unrelated foster carers from an independent fostering agency.
    AgencyFoster,
    /// In a children's home.
    Residential,
}

impl Placement {
    /// All placements, in order.
    pub const ALL: [Placement; 4] = [
        Placement::Kinship,
        Placement::InHouseFoster,
        Placement::AgencyFoster,
        Placement::Residential,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            Placement::Kinship => "kinship (family and friends)",
            Placement::InHouseFoster => "foster care, in-house",
            Placement::AgencyFoster => "foster care, agency",
            Placement::Residential => "residential",
        }
    }
}

/// How a child came into care.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CareRoute {
    /// Care proceedings after a child protection plan.
    Proceedings,
    /// An emergency at the end of a section 47 enquiry (police protection,
    /// emergency protection order or accommodation).
    Emergency,
    /// Accommodated with the parents' agreement (section 20, Children Act
    /// 1989) from family help or a plan.
    Voluntary,
    /// An unaccompanied asylum-seeking child, accommodated on arrival.
    Unaccompanied,
}

impl CareRoute {
    /// All routes, in order.
    pub const ALL: [CareRoute; 4] = [
        CareRoute::Proceedings,
        CareRoute::Emergency,
        CareRoute::Voluntary,
        CareRoute::Unaccompanied,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            CareRoute::Proceedings => "care proceedings",
            CareRoute::Emergency => "emergency after an enquiry",
            CareRoute::Voluntary => "section 20 (voluntary)",
            CareRoute::Unaccompanied => "unaccompanied asylum-seeking child",
        }
    }
}

/// A looked-after child's legal status, as the SSDA903 return codes it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LegalStatus {
    /// Police protection (L1).
    PoliceProtection,
    /// Emergency protection order (L2).
    EmergencyProtection,
    /// Interim care order (C1).
    InterimCareOrder,
    /// Full care order (C2).
    CareOrder,
    /// Accommodated under section 20 (V2).
    Section20,
    /// Placement order granted (E1).
    PlacementOrder,
}

impl LegalStatus {
    /// All statuses, in order.
    pub const ALL: [LegalStatus; 6] = [
        LegalStatus::PoliceProtection,
        LegalStatus::EmergencyProtection,
        LegalStatus::InterimCareOrder,
        LegalStatus::CareOrder,
        LegalStatus::Section20,
        LegalStatus::PlacementOrder,
    ];

    /// The SSDA903 `LS` code.
    pub fn code(self) -> &'static str {
        match self {
            LegalStatus::PoliceProtection => "L1",
            LegalStatus::EmergencyProtection => "L2",
            LegalStatus::InterimCareOrder => "C1",
            LegalStatus::CareOrder => "C2",
            LegalStatus::Section20 => "V2",
            LegalStatus::PlacementOrder => "E1",
        }
    }

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            LegalStatus::PoliceProtection => "police protection",
            LegalStatus::EmergencyProtection => "emergency protection order",
            LegalStatus::InterimCareOrder => "interim care order",
            LegalStatus::CareOrder => "care order",
            LegalStatus::Section20 => "section 20",
            LegalStatus::PlacementOrder => "placement order",
        }
    }
}

/// How care proceedings ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FinalOrder {
    /// A full care order: the child is (or stays) looked after.
    CareOrder,
    /// A placement order: the child is to be adopted.
    PlacementOrder,
    /// A special guardianship order to kin.
    SpecialGuardianship,
    /// A child arrangements order to kin.
    ChildArrangements,
    /// A supervision order, or no order: the child lives at home.
    Supervision,
}

impl FinalOrder {
    /// All orders, in order.
    pub const ALL: [FinalOrder; 5] = [
        FinalOrder::CareOrder,
        FinalOrder::PlacementOrder,
        FinalOrder::SpecialGuardianship,
        FinalOrder::ChildArrangements,
        FinalOrder::Supervision,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            FinalOrder::CareOrder => "care order",
            FinalOrder::PlacementOrder => "placement order",
            FinalOrder::SpecialGuardianship => "special guardianship order",
            FinalOrder::ChildArrangements => "child arrangements order",
            FinalOrder::Supervision => "supervision order or no order",
        }
    }

    /// The legal status a looked-after child holds under this order (None:
    /// the order does not keep the child in care).
    pub fn legal_status(self) -> Option<LegalStatus> {
        match self {
            FinalOrder::CareOrder => Some(LegalStatus::CareOrder),
            FinalOrder::PlacementOrder => Some(LegalStatus::PlacementOrder),
            FinalOrder::SpecialGuardianship
            | FinalOrder::ChildArrangements
            | FinalOrder::Supervision => None,
        }
    }

    /// Whether the child goes to live with kin under this order.
    pub fn to_kin(self) -> bool {
        matches!(
            self,
            FinalOrder::SpecialGuardianship | FinalOrder::ChildArrangements
        )
    }
}

/// How a child left care.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CareExit {
    /// Returned home to parents.
    Reunified,
    /// Special guardianship or child arrangements order.
    SpecialGuardianship,
    /// Adopted.
    Adopted,
    /// Turned 18.
    Aged18,
}

impl CareExit {
    /// The closure reason of a case that ends this way.
    pub fn closure(self) -> ClosureReason {
        match self {
            CareExit::Reunified => ClosureReason::Reunified,
            CareExit::SpecialGuardianship => ClosureReason::SpecialGuardianship,
            CareExit::Adopted => ClosureReason::Adopted,
            CareExit::Aged18 => ClosureReason::Aged18,
        }
    }
}

/// Where a family already open on the run's first day is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OpenStage {
    /// On the family help waiting list.
    WaitingForHelp,
    /// In family help (assessed).
    InHelp,
    /// In a section 47 enquiry.
    InEnquiry,
    /// Awaiting an initial child protection conference.
    AwaitingConference,
    /// On a child protection plan.
    OnPlan,
    /// Looked after.
    LookedAfter,
    /// In pre-proceedings: the local authority has sent the letter before
    /// proceedings (Public Law Outline).
    PreProceedings,
}

impl OpenStage {
    /// All stages, in order.
    pub const ALL: [OpenStage; 7] = [
        OpenStage::WaitingForHelp,
        OpenStage::InHelp,
        OpenStage::InEnquiry,
        OpenStage::AwaitingConference,
        OpenStage::OnPlan,
        OpenStage::LookedAfter,
        OpenStage::PreProceedings,
    ];
}

/// A staff pool, by role.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Pool {
    /// Front-door practitioners.
    FrontDoor,
    /// Family help practitioners.
    FamilyHelp,
    /// Child protection social workers.
    ChildProtection,
    /// Lead child protection practitioners.
    LeadPractitioners,
    /// Family group decision-making coordinators.
    FgdmCoordinators,
}

impl Pool {
    /// All pools, in order.
    pub const ALL: [Pool; 5] = [
        Pool::FrontDoor,
        Pool::FamilyHelp,
        Pool::ChildProtection,
        Pool::LeadPractitioners,
        Pool::FgdmCoordinators,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            Pool::FrontDoor => "front door",
            Pool::FamilyHelp => "family help",
            Pool::ChildProtection => "child protection",
            Pool::LeadPractitioners => "lead practitioners",
            Pool::FgdmCoordinators => "FGDM coordinators",
        }
    }

    /// Its name in scenario files and CSV columns.
    pub fn key(self) -> &'static str {
        match self {
            Pool::FrontDoor => "front_door",
            Pool::FamilyHelp => "family_help",
            Pool::ChildProtection => "child_protection",
            Pool::LeadPractitioners => "lead_practitioners",
            Pool::FgdmCoordinators => "fgdm_coordinators",
        }
    }

    /// The budget line that pays its salaries.
    pub fn line(self) -> BudgetLine {
        match self {
            Pool::FamilyHelp => BudgetLine::FamilyHelp,
            Pool::FgdmCoordinators => BudgetLine::Fgdm,
            Pool::FrontDoor | Pool::ChildProtection | Pool::LeadPractitioners => {
                BudgetLine::Workforce
            }
        }
    }
}

/// A line of the funding ledger.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BudgetLine {
    /// Family help staff.
    FamilyHelp,
    /// FGDM coordinators.
    Fgdm,
    /// Family network support packages.
    Fnsp,
    /// Care placements.
    Placements,
    /// Front door, child protection and lead practitioner staff, and apprentices.
    Workforce,
}

impl BudgetLine {
    /// All lines, in order.
    pub const ALL: [BudgetLine; 5] = [
        BudgetLine::FamilyHelp,
        BudgetLine::Fgdm,
        BudgetLine::Fnsp,
        BudgetLine::Placements,
        BudgetLine::Workforce,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            BudgetLine::FamilyHelp => "family help staff",
            BudgetLine::Fgdm => "FGDM coordinators",
            BudgetLine::Fnsp => "support packages",
            BudgetLine::Placements => "placements",
            BudgetLine::Workforce => "other staff",
        }
    }

    /// Its name in scenario files and CSV columns.
    pub fn key(self) -> &'static str {
        match self {
            BudgetLine::FamilyHelp => "family_help",
            BudgetLine::Fgdm => "fgdm",
            BudgetLine::Fnsp => "fnsp",
            BudgetLine::Placements => "placements",
            BudgetLine::Workforce => "workforce",
        }
    }
}

/// Something that happened. Each variant names the family it happened to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A new family's first referral, with the attributes drawn for it.
    FamilyReferred {
        /// The new family.
        family: FamilyId,
        /// Its attributes.
        attributes: Attributes,
    },
    /// A known family referred again after its case closed.
    FamilyReReferred {
        /// The family.
        family: FamilyId,
        /// Which referral this is for the family (the first is 0).
        episode: u16,
    },
    /// The front door decided what to do with a referral.
    TriageDecided {
        /// The family.
        family: FamilyId,
        /// The decision.
        decision: TriageDecision,
    },
    /// Family help was full: the family joined its waiting list.
    FamilyHelpQueued {
        /// The family.
        family: FamilyId,
    },
    /// A family help worker took the case.
    FamilyHelpStarted {
        /// The family.
        family: FamilyId,
    },
    /// The family help assessment was completed.
    AssessmentCompleted {
        /// The family.
        family: FamilyId,
    },
    /// A spell of family help ended.
    FamilyHelpEnded {
        /// The family.
        family: FamilyId,
        /// How it ended.
        outcome: HelpOutcome,
    },
    /// The case closed. `rereferral_due` is the latent time of the family's
    /// next referral, drawn from the re-referral hazard at closure (None: it
    /// will not come back within the horizon of the hazard).
    CaseClosed {
        /// The family.
        family: FamilyId,
        /// Why.
        reason: ClosureReason,
        /// When the family will be referred again, if it will.
        rereferral_due: Option<Minute>,
    },
    /// A strategy discussion started a section 47 enquiry.
    S47Started {
        /// The family.
        family: FamilyId,
    },
    /// The section 47 enquiry ended; `conference` when it led to an initial
    /// child protection conference.
    S47Completed {
        /// The family.
        family: FamilyId,
        /// Whether an initial child protection conference follows.
        conference: bool,
    },
    /// The initial child protection conference was held.
    ConferenceHeld {
        /// The family.
        family: FamilyId,
        /// Whether it made a child protection plan.
        plan: bool,
    },
    /// A child protection plan started.
    PlanStarted {
        /// The family.
        family: FamilyId,
    },
    /// A child protection review conference was held; the plan goes on.
    PlanReviewed {
        /// The family.
        family: FamilyId,
    },
    /// A child protection plan ended.
    PlanEnded {
        /// The family.
        family: FamilyId,
        /// True: stepped down to family help; false: pre-proceedings / care proceedings.
        step_down: bool,
    },
    /// A dated change from the scenario's policy timeline took effect.
    PolicyApplied {
        /// Which change, counting the scenario's `[[policy]]` entries from 1.
        change: u16,
    },
    /// The child, or the family's children together, came into care and were placed.
    EnteredCare {
        /// The family.
        family: FamilyId,
        /// How.
        route: CareRoute,
        /// Where the children live.
        placement: Placement,
        /// What the placement costs a week for each child, in pence.
        weekly_pence: u64,
        /// How many of the family's children came into care: the youngest
        /// this many (a sibling group), 1 or more.
        children: u8,
    },
    /// The eldest child of a sibling group in care turned 18 and left care;
    /// the younger ones stay.
    SiblingLeftCare {
        /// The family.
        family: FamilyId,
    },
    /// The child left care.
    LeftCare {
        /// The family.
        family: FamilyId,
        /// How.
        exit: CareExit,
    },
    /// Family group decision-making was offered.
    FgdmOffered {
        /// The family.
        family: FamilyId,
        /// Whether the family accepted.
        accepted: bool,
    },
    /// A family group conference made a family-led plan.
    FgdmHeld {
        /// The family.
        family: FamilyId,
        /// Whether the plan names kinship carers.
        kin_named: bool,
    },
    /// A family network support package was paid.
    FnspPaid {
        /// The family.
        family: FamilyId,
        /// How much, in pence.
        pence: u64,
    },
    /// A family network support package was refused: the financial year's budget is spent.
    FnspRefused {
        /// The family.
        family: FamilyId,
    },
    /// A lead child protection practitioner took the family's enquiry (and
    /// keeps the case while it stays in child protection).
    LeadPractitionerAssigned {
        /// The family.
        family: FamilyId,
    },
    /// A staff pool's people at the start of the run: its posts held by
    /// permanent staff, and those held by agency workers while they are
    /// recruited to.
    StaffStarted {
        /// The pool.
        pool: Pool,
        /// Permanent staff in post.
        permanent: u32,
        /// Agency workers in post (each post under recruitment).
        agency: u32,
    },
    /// A permanent worker left the pool.
    StaffLeft {
        /// The pool.
        pool: Pool,
    },
    /// Recruitment to a vacant post started.
    RecruitmentStarted {
        /// The pool.
        pool: Pool,
        /// Whether an agency worker covers the post meanwhile.
        agency_cover: bool,
    },
    /// A recruited permanent worker joined (an agency worker covering a
    /// vacancy leaves when no vacancy is left for them to cover).
    StaffJoined {
        /// The pool.
        pool: Pool,
    },
    /// Apprentices started training for a pool.
    ApprenticesStarted {
        /// The pool.
        pool: Pool,
        /// How many.
        count: u32,
    },
    /// An apprentice qualified and joined the pool as permanent staff.
    ApprenticeQualified {
        /// The pool.
        pool: Pool,
    },
    /// An apprentice left at the end of training without qualifying.
    ApprenticeWithdrew {
        /// The pool.
        pool: Pool,
    },
    /// Money spent from a budget line (staff and placements are settled at
    /// the end of each month; packages are recorded as `FnspPaid`).
    Spent {
        /// The line.
        line: BudgetLine,
        /// How much, in pence.
        pence: u64,
    },
    /// A budget line's money for the financial year is spent: a rationed
    /// line commits nothing more until 1 April; an overspending line goes on.
    BudgetExhausted {
        /// The line.
        line: BudgetLine,
    },
    /// A family already open when the run starts (the scenario's starting
    /// caseload), with its attributes and where it is.
    FamilyOpened {
        /// The family.
        family: FamilyId,
        /// Its attributes.
        attributes: Attributes,
        /// Where it is.
        stage: OpenStage,
        /// For a child looked after: the placement and its weekly cost in pence.
        placement: Option<(Placement, u64)>,
    },
    /// A recruitment ended with no hire: the post had gone meanwhile
    /// (filled by a qualified apprentice, or cut by a policy change).
    RecruitmentCancelled {
        /// The pool.
        pool: Pool,
    },
    /// FGDM would have been offered but no coordinator had room.
    FgdmUnavailable {
        /// The family.
        family: FamilyId,
    },
    /// A coordinator's work with a family ended, freeing a place.
    FgdmCoordinationEnded {
        /// The family.
        family: FamilyId,
    },
    /// The burn-in is over: the measured part of the run starts here
    /// (the scenario's start date). Metrics count from this event on.
    MeasurementStarted,
    /// A family's latent risk of significant harm changed (its needs went
    /// unmet, or a crisis came while it waited), in parts per 10,000.
    RiskChanged {
        /// The family.
        family: FamilyId,
        /// The new latent risk.
        risk: u16,
    },
    /// Concerns about a family waiting for family help escalated: a new
    /// contact to the front door, as a new referral (episode).
    Escalated {
        /// The family.
        family: FamilyId,
        /// Which referral this is for the family.
        episode: u16,
    },
    /// A family left the family help waiting list without help.
    Disengaged {
        /// The family.
        family: FamilyId,
    },
    /// The local authority sent the letter before proceedings: the family
    /// is in pre-proceedings (Public Law Outline).
    PreProceedingsStarted {
        /// The family.
        family: FamilyId,
    },
    /// Care proceedings were issued (from pre-proceedings, or after an
    /// emergency entry to care).
    ProceedingsIssued {
        /// The family.
        family: FamilyId,
    },
    /// Care proceedings ended with a final order.
    ProceedingsEnded {
        /// The family.
        family: FamilyId,
        /// The order.
        order: FinalOrder,
    },
    /// A looked-after child's legal status: at entry (right after
    /// `EnteredCare`) and whenever it changes.
    LegalStatusChanged {
        /// The family.
        family: FamilyId,
        /// The new status.
        legal: LegalStatus,
    },
    /// The child went to live with kin outside care (the case closes next).
    KinshipArrangementMade {
        /// The family.
        family: FamilyId,
        /// The order that secures it (`Supervision` for an arrangement
        /// agreed with the family without an order).
        order: FinalOrder,
    },
    /// An unaccompanied asylum-seeking child arrived and is accommodated
    /// (a new family; `EnteredCare` follows).
    UnaccompaniedChildArrived {
        /// The new family (the child).
        family: FamilyId,
        /// Its attributes.
        attributes: Attributes,
    },
    /// The placement just made (`EnteredCare` or `PlacementMoved`) is
    /// outside the area: no place of its type was free within it.
    PlacedOutOfArea {
        /// The family.
        family: FamilyId,
    },
    /// The children in care moved to another placement (a breakdown).
    PlacementMoved {
        /// The family.
        family: FamilyId,
        /// Where they live now.
        placement: Placement,
        /// What it costs a week for each child, in pence.
        weekly_pence: u64,
    },
    /// New places with the council's own foster carers were approved.
    FosterPlacesApproved {
        /// How many.
        places: u32,
    },
    /// Places with the council's own foster carers were lost (carers
    /// stopped fostering; one with a child keeps it until it moves on).
    FosterPlacesLost {
        /// How many.
        places: u32,
    },
    /// A regional care co-operative's places the council may fill this
    /// month (set afresh at each month's start by the region's run). It
    /// comes from outside the council and is recorded so that the
    /// council's log replays alone.
    CooperativePlacesAllotted {
        /// Places with the co-operative's foster carers (recruited regionally).
        in_house_foster: u32,
        /// Independent fostering agency places the co-operative commissioned.
        agency_foster: u32,
        /// Children's home beds the co-operative commissioned.
        residential: u32,
        /// What a commissioned place costs, in thousandths of its type's
        /// weekly cost.
        price_permille: u32,
    },
    /// The placement just made (`EnteredCare` or `PlacementMoved`) is one
    /// of the co-operative's places, within the region.
    PlacedInCooperative {
        /// The family.
        family: FamilyId,
    },
    /// A young person left care at 18 (after `LeftCare` or
    /// `SiblingLeftCare`; with `care.leaving_care`).
    CareLeaver {
        /// The family.
        family: FamilyId,
        /// Whether they have a lasting relationship with a trusted adult.
        lasting_relationship: bool,
    },
    /// Staying put, staying close or mentoring started for a care leaver.
    LeavingCareSupportStarted {
        /// The family.
        family: FamilyId,
        /// Which.
        support: LeavingCareSupport,
        /// Its weekly cost, in pence.
        weekly_pence: u32,
    },
    /// Staying put, staying close or mentoring ended (at 21 at the latest).
    LeavingCareSupportEnded {
        /// Which.
        support: LeavingCareSupport,
        /// Its weekly cost, in pence.
        weekly_pence: u32,
    },
    /// A family of the starting caseload whose case closed before the run
    /// began (`starting_caseload.closed`): its attributes, how the case
    /// closed, and when it will be referred again (None: not within the
    /// horizon, and the family is not kept).
    ClosedBeforeStart {
        /// The family.
        family: FamilyId,
        /// Its attributes.
        attributes: Attributes,
        /// How its case closed.
        reason: ClosureReason,
        /// When the family will be referred again, if it will.
        rereferral_due: Option<Minute>,
    },
}

/// Support for a young person who left care at 18.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LeavingCareSupport {
    /// Living on with their foster carers.
    StayingPut,
    /// Living near the children's home they left, with its support.
    StayingClose,
    /// Family finding, befriending or mentoring.
    Mentoring,
}

impl LeavingCareSupport {
    /// All kinds, in order.
    pub const ALL: [LeavingCareSupport; 3] = [
        LeavingCareSupport::StayingPut,
        LeavingCareSupport::StayingClose,
        LeavingCareSupport::Mentoring,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            LeavingCareSupport::StayingPut => "staying put",
            LeavingCareSupport::StayingClose => "staying close",
            LeavingCareSupport::Mentoring => "mentoring",
        }
    }
}

impl Event {
    /// The family the event happened to (None for events about the area).
    pub fn family(&self) -> Option<FamilyId> {
        let family = match *self {
            Event::FamilyReferred { family, .. }
            | Event::ClosedBeforeStart { family, .. }
            | Event::FamilyReReferred { family, .. }
            | Event::TriageDecided { family, .. }
            | Event::FamilyHelpQueued { family }
            | Event::FamilyHelpStarted { family }
            | Event::AssessmentCompleted { family }
            | Event::FamilyHelpEnded { family, .. }
            | Event::CaseClosed { family, .. }
            | Event::S47Started { family }
            | Event::S47Completed { family, .. }
            | Event::ConferenceHeld { family, .. }
            | Event::PlanStarted { family }
            | Event::PlanReviewed { family }
            | Event::PlanEnded { family, .. }
            | Event::EnteredCare { family, .. }
            | Event::LeftCare { family, .. }
            | Event::SiblingLeftCare { family }
            | Event::PlacedOutOfArea { family }
            | Event::PlacedInCooperative { family }
            | Event::CareLeaver { family, .. }
            | Event::LeavingCareSupportStarted { family, .. }
            | Event::PlacementMoved { family, .. }
            | Event::FgdmOffered { family, .. }
            | Event::FgdmHeld { family, .. }
            | Event::FnspPaid { family, .. }
            | Event::FnspRefused { family }
            | Event::LeadPractitionerAssigned { family }
            | Event::FgdmUnavailable { family }
            | Event::FamilyOpened { family, .. }
            | Event::FgdmCoordinationEnded { family }
            | Event::RiskChanged { family, .. }
            | Event::Escalated { family, .. }
            | Event::Disengaged { family }
            | Event::PreProceedingsStarted { family }
            | Event::ProceedingsIssued { family }
            | Event::ProceedingsEnded { family, .. }
            | Event::LegalStatusChanged { family, .. }
            | Event::KinshipArrangementMade { family, .. }
            | Event::UnaccompaniedChildArrived { family, .. } => family,
            Event::PolicyApplied { .. }
            | Event::StaffStarted { .. }
            | Event::StaffLeft { .. }
            | Event::RecruitmentStarted { .. }
            | Event::StaffJoined { .. }
            | Event::ApprenticesStarted { .. }
            | Event::ApprenticeQualified { .. }
            | Event::ApprenticeWithdrew { .. }
            | Event::Spent { .. }
            | Event::RecruitmentCancelled { .. }
            | Event::BudgetExhausted { .. }
            | Event::FosterPlacesApproved { .. }
            | Event::FosterPlacesLost { .. }
            | Event::CooperativePlacesAllotted { .. }
            | Event::LeavingCareSupportEnded { .. }
            | Event::MeasurementStarted => return None,
        };
        Some(family)
    }

    /// The variant's name, as `events` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            Event::FamilyReferred { .. } => "FamilyReferred",
            Event::FamilyReReferred { .. } => "FamilyReReferred",
            Event::TriageDecided { .. } => "TriageDecided",
            Event::FamilyHelpQueued { .. } => "FamilyHelpQueued",
            Event::FamilyHelpStarted { .. } => "FamilyHelpStarted",
            Event::AssessmentCompleted { .. } => "AssessmentCompleted",
            Event::FamilyHelpEnded { .. } => "FamilyHelpEnded",
            Event::CaseClosed { .. } => "CaseClosed",
            Event::S47Started { .. } => "S47Started",
            Event::S47Completed { .. } => "S47Completed",
            Event::ConferenceHeld { .. } => "ConferenceHeld",
            Event::PlanStarted { .. } => "PlanStarted",
            Event::PlanReviewed { .. } => "PlanReviewed",
            Event::PlanEnded { .. } => "PlanEnded",
            Event::PolicyApplied { .. } => "PolicyApplied",
            Event::EnteredCare { .. } => "EnteredCare",
            Event::LeftCare { .. } => "LeftCare",
            Event::SiblingLeftCare { .. } => "SiblingLeftCare",
            Event::PlacedOutOfArea { .. } => "PlacedOutOfArea",
            Event::PlacementMoved { .. } => "PlacementMoved",
            Event::FosterPlacesApproved { .. } => "FosterPlacesApproved",
            Event::FosterPlacesLost { .. } => "FosterPlacesLost",
            Event::CooperativePlacesAllotted { .. } => "CooperativePlacesAllotted",
            Event::PlacedInCooperative { .. } => "PlacedInCooperative",
            Event::CareLeaver { .. } => "CareLeaver",
            Event::LeavingCareSupportStarted { .. } => "LeavingCareSupportStarted",
            Event::LeavingCareSupportEnded { .. } => "LeavingCareSupportEnded",
            Event::FgdmOffered { .. } => "FgdmOffered",
            Event::FgdmHeld { .. } => "FgdmHeld",
            Event::FnspPaid { .. } => "FnspPaid",
            Event::FnspRefused { .. } => "FnspRefused",
            Event::LeadPractitionerAssigned { .. } => "LeadPractitionerAssigned",
            Event::StaffStarted { .. } => "StaffStarted",
            Event::StaffLeft { .. } => "StaffLeft",
            Event::RecruitmentStarted { .. } => "RecruitmentStarted",
            Event::StaffJoined { .. } => "StaffJoined",
            Event::ApprenticesStarted { .. } => "ApprenticesStarted",
            Event::ApprenticeQualified { .. } => "ApprenticeQualified",
            Event::ApprenticeWithdrew { .. } => "ApprenticeWithdrew",
            Event::Spent { .. } => "Spent",
            Event::BudgetExhausted { .. } => "BudgetExhausted",
            Event::FgdmUnavailable { .. } => "FgdmUnavailable",
            Event::FamilyOpened { .. } => "FamilyOpened",
            Event::RecruitmentCancelled { .. } => "RecruitmentCancelled",
            Event::FgdmCoordinationEnded { .. } => "FgdmCoordinationEnded",
            Event::MeasurementStarted => "MeasurementStarted",
            Event::RiskChanged { .. } => "RiskChanged",
            Event::Escalated { .. } => "Escalated",
            Event::Disengaged { .. } => "Disengaged",
            Event::PreProceedingsStarted { .. } => "PreProceedingsStarted",
            Event::ProceedingsIssued { .. } => "ProceedingsIssued",
            Event::ProceedingsEnded { .. } => "ProceedingsEnded",
            Event::LegalStatusChanged { .. } => "LegalStatusChanged",
            Event::KinshipArrangementMade { .. } => "KinshipArrangementMade",
            Event::UnaccompaniedChildArrived { .. } => "UnaccompaniedChildArrived",
            Event::ClosedBeforeStart { .. } => "ClosedBeforeStart",
        }
    }
}

impl fmt::Display for Event {
    /// One line a person can read: `TriageDecided family=12 decision=family help`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family() {
            Some(family) => write!(f, "{:<20} family={family}", self.name())?,
            None => write!(f, "{:<20}", self.name())?,
        }
        match self {
            Event::FamilyReferred { attributes: a, .. }
            | Event::UnaccompaniedChildArrived { attributes: a, .. } => {
                write!(
                    f,
                    " children={} youngest={} eldest={} need={:?} risk={}/10000 network={}/10000 factors=[",
                    a.children, a.youngest_age, a.eldest_age, a.need, a.risk, a.network
                )?;
                let mut first = true;
                for (i, name) in RiskFactors::NAMES.iter().enumerate() {
                    if a.risk_factors.has(i) {
                        write!(f, "{}{}", if first { "" } else { ", " }, name)?;
                        first = false;
                    }
                }
                write!(f, "]")
            }
            Event::FamilyReReferred { episode, .. } => write!(f, " episode={episode}"),
            Event::TriageDecided { decision, .. } => write!(f, " decision={}", decision.label()),
            Event::FamilyHelpEnded { outcome, .. } => write!(f, " outcome={}", outcome.label()),
            Event::CaseClosed {
                reason,
                rereferral_due,
                ..
            } => {
                write!(f, " reason={}", reason.label())?;
                if let Some(t) = rereferral_due {
                    write!(f, " rereferral_due_minute={t}")?;
                }
                Ok(())
            }
            Event::S47Completed { conference, .. } => write!(f, " conference={conference}"),
            Event::PolicyApplied { change } => write!(f, " change={change}"),
            Event::ConferenceHeld { plan, .. } => write!(f, " plan={plan}"),
            Event::PlanEnded { step_down, .. } => write!(
                f,
                " to={}",
                if *step_down {
                    "family help"
                } else {
                    "care proceedings"
                }
            ),
            Event::EnteredCare {
                route,
                placement,
                weekly_pence,
                children,
                ..
            } => write!(
                f,
                " route={route:?} children={children} placement={} weekly_cost=£{}.{:02}",
                placement.label(),
                weekly_pence / 100,
                weekly_pence % 100
            ),
            Event::LeftCare { exit, .. } => write!(f, " exit={exit:?}"),
            Event::FgdmOffered { accepted, .. } => write!(f, " accepted={accepted}"),
            Event::FgdmHeld { kin_named, .. } => write!(f, " kin_named={kin_named}"),
            Event::FnspPaid { pence, .. } => {
                write!(f, " amount=£{}.{:02}", pence / 100, pence % 100)
            }
            Event::StaffStarted {
                pool,
                permanent,
                agency,
            } => write!(
                f,
                " pool={} permanent={permanent} agency={agency}",
                pool.label()
            ),
            Event::StaffLeft { pool }
            | Event::StaffJoined { pool }
            | Event::RecruitmentCancelled { pool }
            | Event::ApprenticeQualified { pool }
            | Event::ApprenticeWithdrew { pool } => write!(f, " pool={}", pool.label()),
            Event::RecruitmentStarted { pool, agency_cover } => {
                write!(f, " pool={} agency_cover={agency_cover}", pool.label())
            }
            Event::ApprenticesStarted { pool, count } => {
                write!(f, " pool={} count={count}", pool.label())
            }
            Event::Spent { line, pence } => write!(
                f,
                " line={} amount=£{}.{:02}",
                line.label(),
                pence / 100,
                pence % 100
            ),
            Event::BudgetExhausted { line } => write!(f, " line={}", line.label()),
            Event::FamilyOpened {
                attributes: a,
                stage,
                placement,
                ..
            } => {
                write!(
                    f,
                    " stage={stage:?} children={} youngest={} eldest={} need={:?} risk={}/10000 network={}/10000",
                    a.children, a.youngest_age, a.eldest_age, a.need, a.risk, a.network
                )?;
                if let Some((p, pence)) = placement {
                    write!(
                        f,
                        " placement={} weekly_cost=£{}.{:02}",
                        p.label(),
                        pence / 100,
                        pence % 100
                    )?;
                }
                Ok(())
            }
            Event::ClosedBeforeStart {
                attributes: a,
                reason,
                rereferral_due,
                ..
            } => {
                write!(
                    f,
                    " reason={} children={} youngest={} eldest={} risk={}/10000",
                    reason.label(),
                    a.children,
                    a.youngest_age,
                    a.eldest_age,
                    a.risk
                )?;
                if let Some(t) = rereferral_due {
                    write!(f, " rereferral_due_minute={t}")?;
                }
                Ok(())
            }
            Event::RiskChanged { risk, .. } => write!(f, " risk={risk}/10000"),
            Event::Escalated { episode, .. } => write!(f, " episode={episode}"),
            Event::ProceedingsEnded { order, .. } | Event::KinshipArrangementMade { order, .. } => {
                write!(f, " order={}", order.label())
            }
            Event::LegalStatusChanged { legal, .. } => {
                write!(f, " legal_status={} ({})", legal.code(), legal.label())
            }
            Event::MeasurementStarted
            | Event::Disengaged { .. }
            | Event::PreProceedingsStarted { .. }
            | Event::ProceedingsIssued { .. }
            | Event::SiblingLeftCare { .. }
            | Event::PlacedOutOfArea { .. }
            | Event::PlacedInCooperative { .. } => Ok(()),
            Event::CareLeaver {
                lasting_relationship,
                ..
            } => write!(f, " lasting_relationship={lasting_relationship}"),
            Event::LeavingCareSupportStarted {
                support,
                weekly_pence,
                ..
            }
            | Event::LeavingCareSupportEnded {
                support,
                weekly_pence,
            } => write!(
                f,
                " support={} weekly=£{:.2}",
                support.label(),
                f64::from(*weekly_pence) / 100.0
            ),
            Event::CooperativePlacesAllotted {
                in_house_foster,
                agency_foster,
                residential,
                price_permille,
            } => write!(
                f,
                " in_house_foster={in_house_foster} agency_foster={agency_foster} residential={residential} price={}.{:03}",
                price_permille / 1000,
                price_permille % 1000
            ),
            Event::PlacementMoved {
                placement,
                weekly_pence,
                ..
            } => write!(
                f,
                " placement={} weekly=£{:.2}",
                placement.label(),
                *weekly_pence as f64 / 100.0
            ),
            Event::FosterPlacesApproved { places } | Event::FosterPlacesLost { places } => {
                write!(f, " places={places}")
            }
            Event::FamilyHelpQueued { .. }
            | Event::FgdmUnavailable { .. }
            | Event::FgdmCoordinationEnded { .. }
            | Event::FamilyHelpStarted { .. }
            | Event::AssessmentCompleted { .. }
            | Event::S47Started { .. }
            | Event::PlanStarted { .. }
            | Event::PlanReviewed { .. }
            | Event::FnspRefused { .. }
            | Event::LeadPractitionerAssigned { .. } => Ok(()),
        }
    }
}

/// An event with the minute it happened at: what the log stores.
pub type Timed = crate::engine::log::Timed<Event>;
