//! Every event, in the log's bytes: a golden log holding every `Event`
//! variant and every value of every enum an event carries.
//!
//! Variants and enum values are append-only (`src/event.rs`): their order is
//! their tag in the log. Swapping two variants, or two values of an enum,
//! would make every old log read silently wrong; this test makes that a
//! failure:
//!
//! * the log written now must equal `tests/golden/all-events-v{FORMAT_VERSION}.ffl`
//!   byte for byte;
//! * the golden file must read back, strictly, into the same events;
//! * each variant and value is written with its declaration position as tag,
//!   checked one by one so that the message names it;
//! * the lists below are matched without a wildcard arm, so a new variant or
//!   value does not compile until this test covers it.
//!
//! A new variant or value: add it to the lists and the events, then re-bless
//! with `FAMILYFLOW_BLESS=1 cargo test --release --test golden_events` (an
//! append changes the golden's bytes only after the old ones). Any other
//! change to the bytes needs a `log::FORMAT_VERSION` bump, which asks for a
//! new golden file.

use std::collections::BTreeSet;
use std::path::PathBuf;

use familyflow::engine::codec::{self, CODEC};
use familyflow::engine::log::{recover, Header, Item, LogReader, LogWriter, FORMAT_VERSION};
use familyflow::model::calendar::Minute;
use familyflow::model::event::{
    Attributes, BudgetLine, CareExit, CareRoute, ClosureReason, Event, FamilyId, FinalOrder,
    HelpOutcome, LeavingCareSupport, LegalStatus, Need, OpenStage, Placement, Pool, RiskFactors,
    Timed, TriageDecision,
};
use familyflow::model::scenario::scenario_hash;

const BLESS_HINT: &str = "FAMILYFLOW_BLESS=1 cargo test --release --test golden_events";
const END: Minute = 20_000_000;
const STATE_HASH: u64 = 0x0123_4567_89AB_CDEF;

// ---------------------------------------------------------------- the lists

/// Every `Event` variant, in declaration order: position = tag in the log.
const VARIANTS: [&str; 56] = [
    "FamilyReferred",
    "FamilyReReferred",
    "TriageDecided",
    "FamilyHelpQueued",
    "FamilyHelpStarted",
    "AssessmentCompleted",
    "FamilyHelpEnded",
    "CaseClosed",
    "S47Started",
    "S47Completed",
    "ConferenceHeld",
    "PlanStarted",
    "PlanReviewed",
    "PlanEnded",
    "PolicyApplied",
    "EnteredCare",
    "SiblingLeftCare",
    "LeftCare",
    "FgdmOffered",
    "FgdmHeld",
    "FnspPaid",
    "FnspRefused",
    "LeadPractitionerAssigned",
    "StaffStarted",
    "StaffLeft",
    "RecruitmentStarted",
    "StaffJoined",
    "ApprenticesStarted",
    "ApprenticeQualified",
    "ApprenticeWithdrew",
    "Spent",
    "BudgetExhausted",
    "FamilyOpened",
    "RecruitmentCancelled",
    "FgdmUnavailable",
    "FgdmCoordinationEnded",
    "MeasurementStarted",
    "RiskChanged",
    "Escalated",
    "Disengaged",
    "PreProceedingsStarted",
    "ProceedingsIssued",
    "ProceedingsEnded",
    "LegalStatusChanged",
    "KinshipArrangementMade",
    "UnaccompaniedChildArrived",
    "PlacedOutOfArea",
    "PlacementMoved",
    "FosterPlacesApproved",
    "FosterPlacesLost",
    "CooperativePlacesAllotted",
    "PlacedInCooperative",
    "CareLeaver",
    "LeavingCareSupportStarted",
    "LeavingCareSupportEnded",
    "ClosedBeforeStart",
];

/// The variant's tag (its position in `VARIANTS`). No wildcard arm: a new
/// variant does not compile until it is listed here, and in `all_events`.
fn variant(e: &Event) -> usize {
    match e {
        Event::FamilyReferred { .. } => 0,
        Event::FamilyReReferred { .. } => 1,
        Event::TriageDecided { .. } => 2,
        Event::FamilyHelpQueued { .. } => 3,
        Event::FamilyHelpStarted { .. } => 4,
        Event::AssessmentCompleted { .. } => 5,
        Event::FamilyHelpEnded { .. } => 6,
        Event::CaseClosed { .. } => 7,
        Event::S47Started { .. } => 8,
        Event::S47Completed { .. } => 9,
        Event::ConferenceHeld { .. } => 10,
        Event::PlanStarted { .. } => 11,
        Event::PlanReviewed { .. } => 12,
        Event::PlanEnded { .. } => 13,
        Event::PolicyApplied { .. } => 14,
        Event::EnteredCare { .. } => 15,
        Event::SiblingLeftCare { .. } => 16,
        Event::LeftCare { .. } => 17,
        Event::FgdmOffered { .. } => 18,
        Event::FgdmHeld { .. } => 19,
        Event::FnspPaid { .. } => 20,
        Event::FnspRefused { .. } => 21,
        Event::LeadPractitionerAssigned { .. } => 22,
        Event::StaffStarted { .. } => 23,
        Event::StaffLeft { .. } => 24,
        Event::RecruitmentStarted { .. } => 25,
        Event::StaffJoined { .. } => 26,
        Event::ApprenticesStarted { .. } => 27,
        Event::ApprenticeQualified { .. } => 28,
        Event::ApprenticeWithdrew { .. } => 29,
        Event::Spent { .. } => 30,
        Event::BudgetExhausted { .. } => 31,
        Event::FamilyOpened { .. } => 32,
        Event::RecruitmentCancelled { .. } => 33,
        Event::FgdmUnavailable { .. } => 34,
        Event::FgdmCoordinationEnded { .. } => 35,
        Event::MeasurementStarted => 36,
        Event::RiskChanged { .. } => 37,
        Event::Escalated { .. } => 38,
        Event::Disengaged { .. } => 39,
        Event::PreProceedingsStarted { .. } => 40,
        Event::ProceedingsIssued { .. } => 41,
        Event::ProceedingsEnded { .. } => 42,
        Event::LegalStatusChanged { .. } => 43,
        Event::KinshipArrangementMade { .. } => 44,
        Event::UnaccompaniedChildArrived { .. } => 45,
        Event::PlacedOutOfArea { .. } => 46,
        Event::PlacementMoved { .. } => 47,
        Event::FosterPlacesApproved { .. } => 48,
        Event::FosterPlacesLost { .. } => 49,
        Event::CooperativePlacesAllotted { .. } => 50,
        Event::PlacedInCooperative { .. } => 51,
        Event::CareLeaver { .. } => 52,
        Event::LeavingCareSupportStarted { .. } => 53,
        Event::LeavingCareSupportEnded { .. } => 54,
        Event::ClosedBeforeStart { .. } => 55,
    }
}

/// A domain enum carried by events: its values in declaration order, and a
/// tag function matched without a wildcard arm.
trait Domain: Copy + std::fmt::Debug + PartialEq + serde::Serialize + 'static {
    const NAME: &'static str;
    /// Every value, in declaration order (retired ones included).
    fn all() -> Vec<Self>;
    /// Its position in declaration order.
    fn tag(self) -> usize;
}

macro_rules! domain {
    ($ty:ident { $($v:ident = $i:expr),+ $(,)? }) => {
        impl Domain for $ty {
            const NAME: &'static str = stringify!($ty);
            fn all() -> Vec<Self> {
                vec![$($ty::$v),+]
            }
            fn tag(self) -> usize {
                match self {
                    $($ty::$v => $i),+
                }
            }
        }
    };
}

domain!(Need { None = 0, Low = 1, Moderate = 2, High = 3 });
domain!(TriageDecision {
    NoFurtherAction = 0,
    UniversalServices = 1,
    FamilyHelp = 2,
    StrategyDiscussion = 3,
});
domain!(HelpOutcome {
    NotInNeed = 0,
    NeedMet = 1,
    NeedUnmet = 2,
    SteppedUp = 3,
});
domain!(ClosureReason {
    NoFurtherAction = 0,
    UniversalServices = 1,
    NotInNeed = 2,
    NeedMet = 3,
    NeedUnmet = 4,
    ToChildProtection = 5,
    AfterEnquiry = 6,
    ToCareProceedings = 7,
    Reunified = 8,
    SpecialGuardianship = 9,
    Adopted = 10,
    Aged18 = 11,
    KinshipArrangement = 12,
    Disengaged = 13,
    Adult = 14,
});
domain!(Placement {
    Kinship = 0,
    InHouseFoster = 1,
    AgencyFoster = 2,
    Residential = 3,
});
domain!(CareRoute {
    Proceedings = 0,
    Emergency = 1,
    Voluntary = 2,
    Unaccompanied = 3,
});
domain!(LegalStatus {
    PoliceProtection = 0,
    EmergencyProtection = 1,
    InterimCareOrder = 2,
    CareOrder = 3,
    Section20 = 4,
    PlacementOrder = 5,
});
domain!(FinalOrder {
    CareOrder = 0,
    PlacementOrder = 1,
    SpecialGuardianship = 2,
    ChildArrangements = 3,
    Supervision = 4,
});
domain!(CareExit {
    Reunified = 0,
    SpecialGuardianship = 1,
    Adopted = 2,
    Aged18 = 3,
});
domain!(OpenStage {
    WaitingForHelp = 0,
    InHelp = 1,
    InEnquiry = 2,
    AwaitingConference = 3,
    OnPlan = 4,
    LookedAfter = 5,
    PreProceedings = 6,
});
domain!(Pool {
    FrontDoor = 0,
    FamilyHelp = 1,
    ChildProtection = 2,
    LeadPractitioners = 3,
    FgdmCoordinators = 4,
});
domain!(BudgetLine {
    FamilyHelp = 0,
    Fgdm = 1,
    Fnsp = 2,
    Placements = 3,
    Workforce = 4,
});
domain!(LeavingCareSupport {
    StayingPut = 0,
    StayingClose = 1,
    Mentoring = 2,
});

/// What the events carry, as `Type::Value` (and `field=bool`, `field=Some/None`).
#[derive(Default)]
struct Seen(BTreeSet<String>);

impl Seen {
    fn value<T: Domain>(&mut self, v: T) {
        self.0.insert(format!("{}::{v:?}", T::NAME));
    }
    fn flag(&mut self, what: &str, b: bool) {
        self.0.insert(format!("{what}={b}"));
    }
    fn attributes(&mut self, a: &Attributes) {
        self.value(a.need);
        for i in 0..RiskFactors::NAMES.len() {
            self.flag(&format!("risk_factor_{i}"), a.risk_factors.has(i));
        }
    }
    fn expect<T: Domain>(&self, missing: &mut Vec<String>) {
        for v in T::all() {
            let key = format!("{}::{v:?}", T::NAME);
            if !self.0.contains(&key) {
                missing.push(key);
            }
        }
    }
    fn expect_flag(&self, what: &str, missing: &mut Vec<String>) {
        for b in [false, true] {
            let key = format!("{what}={b}");
            if !self.0.contains(&key) {
                missing.push(key);
            }
        }
    }
}

/// Records what an event carries. No wildcard arm: a new variant's fields
/// must be thought about here.
fn carried(e: &Event, seen: &mut Seen) {
    match e {
        Event::FamilyReferred { attributes, .. }
        | Event::UnaccompaniedChildArrived { attributes, .. } => seen.attributes(attributes),
        Event::TriageDecided { decision, .. } => seen.value(*decision),
        Event::FamilyHelpEnded { outcome, .. } => seen.value(*outcome),
        Event::CaseClosed {
            reason,
            rereferral_due,
            ..
        } => {
            seen.value(*reason);
            seen.flag("rereferral_due.is_some", rereferral_due.is_some());
        }
        Event::ClosedBeforeStart {
            attributes,
            reason,
            rereferral_due,
            ..
        } => {
            seen.attributes(attributes);
            seen.value(*reason);
            seen.flag("closed_before_start.due", rereferral_due.is_some());
        }
        Event::S47Completed { conference, .. } => seen.flag("conference", *conference),
        Event::ConferenceHeld { plan, .. } => seen.flag("plan", *plan),
        Event::PlanEnded { step_down, .. } => seen.flag("step_down", *step_down),
        Event::EnteredCare {
            route, placement, ..
        } => {
            seen.value(*route);
            seen.value(*placement);
        }
        Event::LeftCare { exit, .. } => seen.value(*exit),
        Event::PlacementMoved { placement, .. } => seen.value(*placement),
        Event::PlacedOutOfArea { .. }
        | Event::FosterPlacesApproved { .. }
        | Event::FosterPlacesLost { .. }
        | Event::CooperativePlacesAllotted { .. }
        | Event::PlacedInCooperative { .. } => {}
        Event::CareLeaver {
            lasting_relationship,
            ..
        } => seen.flag("lasting_relationship", *lasting_relationship),
        Event::LeavingCareSupportStarted { support, .. }
        | Event::LeavingCareSupportEnded { support, .. } => seen.value(*support),
        Event::FgdmOffered { accepted, .. } => seen.flag("accepted", *accepted),
        Event::FgdmHeld { kin_named, .. } => seen.flag("kin_named", *kin_named),
        Event::StaffStarted { pool, .. }
        | Event::StaffLeft { pool }
        | Event::StaffJoined { pool }
        | Event::ApprenticesStarted { pool, .. }
        | Event::ApprenticeQualified { pool }
        | Event::ApprenticeWithdrew { pool }
        | Event::RecruitmentCancelled { pool } => seen.value(*pool),
        Event::RecruitmentStarted { pool, agency_cover } => {
            seen.value(*pool);
            seen.flag("agency_cover", *agency_cover);
        }
        Event::Spent { line, .. } | Event::BudgetExhausted { line } => seen.value(*line),
        Event::FamilyOpened {
            attributes,
            stage,
            placement,
            ..
        } => {
            seen.attributes(attributes);
            seen.value(*stage);
            seen.flag("placement.is_some", placement.is_some());
            if let Some((p, _)) = placement {
                seen.value(*p);
            }
        }
        Event::ProceedingsEnded { order, .. } | Event::KinshipArrangementMade { order, .. } => {
            seen.value(*order)
        }
        Event::LegalStatusChanged { legal, .. } => seen.value(*legal),
        Event::FamilyReReferred { .. }
        | Event::FamilyHelpQueued { .. }
        | Event::FamilyHelpStarted { .. }
        | Event::AssessmentCompleted { .. }
        | Event::S47Started { .. }
        | Event::PlanStarted { .. }
        | Event::PlanReviewed { .. }
        | Event::PolicyApplied { .. }
        | Event::SiblingLeftCare { .. }
        | Event::FnspPaid { .. }
        | Event::FnspRefused { .. }
        | Event::LeadPractitionerAssigned { .. }
        | Event::FgdmUnavailable { .. }
        | Event::FgdmCoordinationEnded { .. }
        | Event::MeasurementStarted
        | Event::RiskChanged { .. }
        | Event::Escalated { .. }
        | Event::Disengaged { .. }
        | Event::PreProceedingsStarted { .. }
        | Event::ProceedingsIssued { .. } => {}
    }
}

// ---------------------------------------------------------------- the events

fn attributes(k: usize) -> Attributes {
    Attributes {
        children: 1 + (k % 4) as u8,
        youngest_age: (3 * k % 18) as u8,
        eldest_age: (3 * k % 18) as u8 + (k % 3) as u8 * 4,
        need: Need::all()[k % 4],
        risk: (1234 * k % 10_001) as u16,
        risk_factors: RiskFactors([0, 1, 2, 4, 8, 15][k % 6]),
        network: (2500 * k % 10_001) as u16,
    }
}

/// Every variant, every value of every enum, both values of every flag,
/// small and large numbers; times never go back.
fn all_events() -> Vec<Timed> {
    let mut out: Vec<Timed> = Vec::new();
    let mut at: Minute = 0;
    let mut k = 0usize;
    let mut push = |event: Event| {
        // Steps of 0 (ties), small and large.
        at += [0, 1, 59, 1_440, 100_000][k % 5];
        k += 1;
        out.push(Timed { at, event });
    };
    let f = |n: u32| FamilyId(n);

    push(Event::MeasurementStarted);
    for (i, pool) in Pool::all().into_iter().enumerate() {
        push(Event::StaffStarted {
            pool,
            permanent: [0, 7, 130, 12_000, u32::MAX][i],
            agency: [0, 1, 250, 2_100, 65_536][i],
        });
    }
    for i in 0..6 {
        push(Event::FamilyReferred {
            family: f(i),
            attributes: attributes(i as usize),
        });
    }
    push(Event::FamilyReReferred {
        family: f(1),
        episode: 1,
    });
    push(Event::FamilyReReferred {
        family: f(2),
        episode: u16::MAX,
    });
    for (i, decision) in TriageDecision::all().into_iter().enumerate() {
        push(Event::TriageDecided {
            family: f(i as u32),
            decision,
        });
    }
    push(Event::FamilyHelpQueued { family: f(2) });
    push(Event::FamilyHelpStarted { family: f(2) });
    push(Event::AssessmentCompleted { family: f(2) });
    for (i, outcome) in HelpOutcome::all().into_iter().enumerate() {
        push(Event::FamilyHelpEnded {
            family: f(i as u32),
            outcome,
        });
    }
    for (i, reason) in ClosureReason::all().into_iter().enumerate() {
        push(Event::CaseClosed {
            family: f(i as u32),
            reason,
            rereferral_due: if i % 2 == 0 {
                None
            } else {
                Some(1_000_000 * i as Minute + 17)
            },
        });
    }
    push(Event::S47Started { family: f(3) });
    push(Event::S47Completed {
        family: f(3),
        conference: true,
    });
    push(Event::S47Completed {
        family: f(4),
        conference: false,
    });
    push(Event::ConferenceHeld {
        family: f(3),
        plan: true,
    });
    push(Event::ConferenceHeld {
        family: f(4),
        plan: false,
    });
    push(Event::PlanStarted { family: f(3) });
    push(Event::PlanReviewed { family: f(3) });
    push(Event::PlanEnded {
        family: f(3),
        step_down: true,
    });
    push(Event::PlanEnded {
        family: f(4),
        step_down: false,
    });
    push(Event::PolicyApplied { change: 1 });
    push(Event::PolicyApplied { change: 300 });
    for (i, route) in CareRoute::all().into_iter().enumerate() {
        push(Event::EnteredCare {
            family: f(10 + i as u32),
            route,
            placement: Placement::all()[i],
            weekly_pence: [30_000, 64_600, 82_000, 610_000][i],
            children: 1 + i as u8,
        });
    }
    push(Event::SiblingLeftCare { family: f(11) });
    for (i, exit) in CareExit::all().into_iter().enumerate() {
        push(Event::LeftCare {
            family: f(10 + i as u32),
            exit,
        });
    }
    for (i, b) in [true, false].into_iter().enumerate() {
        push(Event::FgdmOffered {
            family: f(20 + i as u32),
            accepted: b,
        });
        push(Event::FgdmHeld {
            family: f(20 + i as u32),
            kin_named: b,
        });
    }
    push(Event::FnspPaid {
        family: f(20),
        pence: 150_000,
    });
    push(Event::FnspRefused { family: f(21) });
    push(Event::LeadPractitionerAssigned { family: f(3) });
    push(Event::StaffLeft {
        pool: Pool::FamilyHelp,
    });
    push(Event::RecruitmentStarted {
        pool: Pool::FamilyHelp,
        agency_cover: true,
    });
    push(Event::RecruitmentStarted {
        pool: Pool::ChildProtection,
        agency_cover: false,
    });
    push(Event::StaffJoined {
        pool: Pool::FrontDoor,
    });
    push(Event::ApprenticesStarted {
        pool: Pool::FamilyHelp,
        count: 3,
    });
    push(Event::ApprenticeQualified {
        pool: Pool::FamilyHelp,
    });
    push(Event::ApprenticeWithdrew {
        pool: Pool::LeadPractitioners,
    });
    for (i, line) in BudgetLine::all().into_iter().enumerate() {
        push(Event::Spent {
            line,
            pence: [0, 1, 4_200_000, 987_654_321, u64::MAX][i],
        });
    }
    push(Event::BudgetExhausted {
        line: BudgetLine::Fnsp,
    });
    for (i, stage) in OpenStage::all().into_iter().enumerate() {
        push(Event::FamilyOpened {
            family: f(100 + i as u32),
            attributes: attributes(i + 2),
            stage,
            placement: if stage == OpenStage::LookedAfter {
                Some((Placement::Residential, 610_000))
            } else {
                None
            },
        });
    }
    push(Event::RecruitmentCancelled {
        pool: Pool::FgdmCoordinators,
    });
    push(Event::FgdmUnavailable { family: f(22) });
    push(Event::FgdmCoordinationEnded { family: f(20) });
    push(Event::RiskChanged {
        family: f(5),
        risk: 10_000,
    });
    push(Event::Escalated {
        family: f(5),
        episode: 2,
    });
    push(Event::Disengaged { family: f(5) });
    push(Event::PreProceedingsStarted { family: f(4) });
    push(Event::ProceedingsIssued { family: f(4) });
    for (i, order) in FinalOrder::all().into_iter().enumerate() {
        push(Event::ProceedingsEnded {
            family: f(30 + i as u32),
            order,
        });
    }
    for (i, legal) in LegalStatus::all().into_iter().enumerate() {
        push(Event::LegalStatusChanged {
            family: f(40 + i as u32),
            legal,
        });
    }
    push(Event::KinshipArrangementMade {
        family: f(31),
        order: FinalOrder::ChildArrangements,
    });
    push(Event::KinshipArrangementMade {
        family: f(32),
        order: FinalOrder::Supervision,
    });
    push(Event::UnaccompaniedChildArrived {
        family: f(u32::MAX),
        attributes: Attributes {
            children: 1,
            youngest_age: 16,
            eldest_age: 16,
            need: Need::High,
            risk: 0,
            risk_factors: RiskFactors(0),
            network: 0,
        },
    });
    push(Event::PlacedOutOfArea { family: f(3) });
    for (i, placement) in Placement::all().into_iter().enumerate() {
        push(Event::PlacementMoved {
            family: f(i as u32),
            placement,
            weekly_pence: [0, 1, 650_000, u64::MAX][i],
        });
    }
    push(Event::FosterPlacesApproved { places: 7 });
    push(Event::FosterPlacesLost { places: u32::MAX });
    push(Event::CooperativePlacesAllotted {
        in_house_foster: 0,
        agency_foster: u32::MAX,
        residential: 7,
        price_permille: 900,
    });
    push(Event::PlacedInCooperative { family: f(3) });
    for lasting_relationship in [false, true] {
        push(Event::CareLeaver {
            family: f(3),
            lasting_relationship,
        });
    }
    for support in LeavingCareSupport::ALL {
        push(Event::LeavingCareSupportStarted {
            family: f(3),
            support,
            weekly_pence: u32::MAX,
        });
        push(Event::LeavingCareSupportEnded {
            support,
            weekly_pence: 0,
        });
    }
    for (i, rereferral_due) in [None, Some(END - 1)].into_iter().enumerate() {
        push(Event::ClosedBeforeStart {
            family: f(200 + i as u32),
            attributes: attributes(i + 3),
            reason: ClosureReason::NeedUnmet,
            rereferral_due,
        });
    }
    out
}

const SCENARIO_TEXT: &str = "name = \"every event\"\n";

fn header() -> Header {
    Header {
        engine_version: "golden".into(),
        codec: CODEC.into(),
        seed: 42,
        scenario_hash: scenario_hash(SCENARIO_TEXT),
        scenario_source: "tests/golden_events.rs".into(),
        scenario: SCENARIO_TEXT.into(),
        // Checkpoints in the golden too.
        checkpoint_every: 16,
    }
}

fn golden_bytes() -> Vec<u8> {
    let mut w = LogWriter::new(Vec::new(), &header()).expect("the header writes");
    for t in all_events() {
        w.event(t.at, &t.event).expect("an event writes");
    }
    w.finish(END, STATE_HASH, true).expect("the trailer writes")
}

fn blessing() -> bool {
    std::env::var("FAMILYFLOW_BLESS").as_deref() == Ok("1")
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/golden/all-events-v{FORMAT_VERSION}.ffl"))
}

/// The record boundaries of a log: (start, end, type).
fn frames(bytes: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    let mut at = 12;
    // (Stops at a frame that does not fit: only used to place a difference.)
    while at + 9 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, at + 8 + len, bytes[at + 8]));
        at += 8 + len;
    }
    out
}

// ---------------------------------------------------------------- tests

#[test]
fn the_events_cover_every_variant_and_every_value() {
    let events = all_events();
    let mut variants = [0usize; VARIANTS.len()];
    let mut seen = Seen::default();
    for t in &events {
        let v = variant(&t.event);
        assert_eq!(
            VARIANTS[v],
            t.event.name(),
            "VARIANTS and variant() disagree on {}",
            t.event.name()
        );
        variants[v] += 1;
        carried(&t.event, &mut seen);
    }
    let missing: Vec<&str> = VARIANTS
        .iter()
        .zip(variants)
        .filter(|(_, n)| *n == 0)
        .map(|(name, _)| *name)
        .collect();
    assert!(
        missing.is_empty(),
        "all_events() lacks the variants {missing:?}"
    );

    let mut missing = Vec::new();
    seen.expect::<Need>(&mut missing);
    seen.expect::<TriageDecision>(&mut missing);
    seen.expect::<HelpOutcome>(&mut missing);
    seen.expect::<ClosureReason>(&mut missing);
    seen.expect::<Placement>(&mut missing);
    seen.expect::<CareRoute>(&mut missing);
    seen.expect::<LegalStatus>(&mut missing);
    seen.expect::<FinalOrder>(&mut missing);
    seen.expect::<CareExit>(&mut missing);
    seen.expect::<OpenStage>(&mut missing);
    seen.expect::<Pool>(&mut missing);
    seen.expect::<BudgetLine>(&mut missing);
    for flag in [
        "rereferral_due.is_some",
        "closed_before_start.due",
        "conference",
        "plan",
        "step_down",
        "accepted",
        "kin_named",
        "agency_cover",
        "placement.is_some",
        "risk_factor_0",
        "risk_factor_1",
        "risk_factor_2",
        "risk_factor_3",
    ] {
        seen.expect_flag(flag, &mut missing);
    }
    assert!(missing.is_empty(), "all_events() lacks {missing:?}");
}

/// The hand-written lists agree with the crate's own `ALL` constants (where
/// it has them), so that a value missing from both is noticed.
#[test]
fn the_lists_agree_with_the_crate() {
    assert_eq!(Need::all(), Need::ALL);
    assert_eq!(TriageDecision::all(), TriageDecision::ALL);
    assert_eq!(HelpOutcome::all(), HelpOutcome::ALL);
    assert_eq!(Placement::all(), Placement::ALL);
    assert_eq!(CareRoute::all(), CareRoute::ALL);
    assert_eq!(LegalStatus::all(), LegalStatus::ALL);
    assert_eq!(FinalOrder::all(), FinalOrder::ALL);
    assert_eq!(OpenStage::all(), OpenStage::ALL);
    assert_eq!(Pool::all(), Pool::ALL);
    assert_eq!(BudgetLine::all(), BudgetLine::ALL);
    // ClosureReason::ALL leaves out the two retired reasons; COUNT has them.
    assert_eq!(ClosureReason::all().len(), ClosureReason::COUNT);
    let live: Vec<ClosureReason> = ClosureReason::all()
        .into_iter()
        .filter(|r| {
            !matches!(
                r,
                ClosureReason::ToChildProtection | ClosureReason::ToCareProceedings
            )
        })
        .collect();
    assert_eq!(live, ClosureReason::ALL);
    for i in 0..TriageDecision::ALL.len() {
        assert_eq!(TriageDecision::ALL[i].index(), i);
    }
}

fn check_tags<T: Domain>(problems: &mut Vec<String>) {
    for (i, v) in T::all().into_iter().enumerate() {
        assert_eq!(
            v.tag(),
            i,
            "{}::{v:?}: the list and tag() disagree",
            T::NAME
        );
        let mut buf = Vec::new();
        codec::encode_into(&v, &mut buf).unwrap();
        if buf != [i as u8] {
            problems.push(format!(
                "{}::{v:?} is written as {buf:?}, the format has it as [{i}]",
                T::NAME
            ));
        }
    }
}

/// Each variant and each enum value is written with its position as its
/// tag: a swap is named here, not only as a byte difference.
#[test]
fn every_variant_and_value_keeps_its_tag() {
    let mut problems = Vec::new();
    for t in all_events() {
        let mut buf = Vec::new();
        codec::encode_into(&t.event, &mut buf).unwrap();
        let v = variant(&t.event);
        if buf[0] as usize != v {
            problems.push(format!(
                "Event::{} is written with tag {}, the format has it as {v}: variants are append-only",
                t.event.name(),
                buf[0]
            ));
        }
    }
    check_tags::<Need>(&mut problems);
    check_tags::<TriageDecision>(&mut problems);
    check_tags::<HelpOutcome>(&mut problems);
    check_tags::<ClosureReason>(&mut problems);
    check_tags::<Placement>(&mut problems);
    check_tags::<CareRoute>(&mut problems);
    check_tags::<LegalStatus>(&mut problems);
    check_tags::<FinalOrder>(&mut problems);
    check_tags::<CareExit>(&mut problems);
    check_tags::<OpenStage>(&mut problems);
    check_tags::<Pool>(&mut problems);
    check_tags::<BudgetLine>(&mut problems);
    problems.dedup();
    assert!(
        problems.is_empty(),
        "old logs would be misread:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_log_of_every_event_matches_the_golden() {
    let bytes = golden_bytes();
    let path = golden_path();
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); a new FORMAT_VERSION needs its own golden file: create it \
             with {BLESS_HINT}",
            path.display()
        )
    });
    if bytes == golden {
        return;
    }
    let first = bytes
        .iter()
        .zip(&golden)
        .position(|(a, b)| a != b)
        .unwrap_or(bytes.len().min(golden.len()));
    // Name the record (and event) the first difference is in.
    let fr = frames(&golden);
    let events = all_events();
    let mut event_no = 0usize;
    let mut place = format!("byte {first}");
    for (record, &(start, end, ty)) in fr.iter().enumerate() {
        if first < end {
            place = format!(
                "byte {first}, in record {record} (type {ty}, bytes {start}..{end}){}",
                match (ty, events.get(event_no)) {
                    (2, Some(t)) => format!(", event {event_no}, now {:?}", t.event),
                    (2, None) => format!(", event {event_no}, past the events written now"),
                    _ => String::new(),
                }
            );
            break;
        }
        if ty == 2 {
            event_no += 1;
        }
    }
    panic!(
        "the bytes of a log of every event differ from {} (first difference at {place}; {} bytes \
         now, {} in the golden). Logs written before would be misread. If an event variant or \
         enum value was inserted or reordered, undo that: they are append-only. If the format \
         changed on purpose, bump log::FORMAT_VERSION and create its golden with {BLESS_HINT}.",
        path.display(),
        bytes.len(),
        golden.len()
    );
}

/// The golden file reads back, strictly, into exactly these events.
#[test]
fn the_golden_reads_back_event_for_event() {
    let path = golden_path();
    // While blessing, the file may not be written yet: read what will be.
    let golden = if blessing() {
        golden_bytes()
    } else {
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {} ({e}); create it with {BLESS_HINT}",
                path.display()
            )
        })
    };
    let expected = all_events();
    let mut reader = LogReader::open(&golden[..]).expect("the golden log opens");
    assert_eq!(reader.header(), &header());
    let mut got = Vec::new();
    let mut checkpoints = 0;
    loop {
        match reader.next_item::<familyflow::model::event::Event>() {
            Ok(Some(Item::Event(t))) => {
                let i = got.len();
                match expected.get(i) {
                    Some(e) => assert!(
                        &t == e,
                        "event {i} of the golden log reads as {t:?}, it was written as {e:?}"
                    ),
                    None => panic!("the golden log has more than {} events", expected.len()),
                }
                got.push(t);
            }
            Ok(Some(Item::Checkpoint(_))) => checkpoints += 1,
            Ok(Some(Item::Trailer(t))) => {
                assert_eq!(t.events, expected.len() as u64);
                assert_eq!(t.end, END);
                assert_eq!(t.state_hash, STATE_HASH);
                assert!(t.clean);
            }
            Ok(None) => break,
            Err(e) => panic!("the golden log does not read strictly: {e}"),
        }
    }
    assert_eq!(got.len(), expected.len(), "events in the golden log");
    assert_eq!(checkpoints, expected.len() / 16);
    let rec = recover::<familyflow::model::event::Event, _>(&golden[..]);
    assert!(rec.stopped.is_none(), "{:?}", rec.stopped);
    assert_eq!(rec.events, expected);
}
