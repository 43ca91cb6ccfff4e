//! Happenings: what the agenda holds for the model to decide later.

use crate::model::calendar::Minute;
use crate::model::event::{FamilyId, LeavingCareSupport, Pool};

// Millions of happenings wait on the agenda: keep each one small.
const _: () = assert!(std::mem::size_of::<Happening>() <= 16);

/// Something due to be decided at a time.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Happening {
    /// The next new family's first referral, with its exact time in
    /// millionths of a minute (so rounding to minutes never accumulates).
    Arrival(u64),
    /// A family is referred again.
    ReReferral(FamilyId),
    /// The front door's decision on a family's referral (episode).
    TriageDue(FamilyId, u16),
    /// A family help assessment comes due (episode, minute the spell started).
    AssessmentDue(FamilyId, u16, Minute),
    /// A spell of family help comes to its end (episode, minute the spell
    /// started: a family can be helped twice on one referral).
    HelpEnds(FamilyId, u16, Minute),
    /// A section 47 enquiry comes to its end (episode).
    S47Ends(FamilyId, u16),
    /// An initial child protection conference comes due (episode).
    ConferenceDue(FamilyId, u16),
    /// A child protection review conference comes due (episode).
    PlanReviewDue(FamilyId, u16),
    /// A child protection plan comes to its end (episode).
    PlanEnds(FamilyId, u16),
    /// The n-th change of the policy timeline takes effect (from 1).
    Policy(u16),
    /// A child leaves care (episode).
    LeavesCare(FamilyId, u16),
    /// The run starts: staff take up their posts, the first apprentices start.
    Start,
    /// A permanent worker may leave: the k-th candidate time of a thinned
    /// Poisson process whose rate rises with the pool's caseload (pool, worker, k).
    MayLeave(Pool, u32, u32),
    /// Recruitment to a vacancy ends with a hire (pool, vacancy number).
    Hired(Pool, u32),
    /// An apprentice's training ends (pool, apprentice number).
    TrainingEnds(Pool, u32),
    /// The last minute of a calendar month (or of the run): staff and
    /// placement costs are settled.
    MonthEnd,
    /// A financial year starts (1 April): apprentices start, and vacancies
    /// frozen by a rationed budget are recruited to again.
    YearStart,
    /// An FGDM coordinator's work with a family ends (episode).
    CoordinationEnds(FamilyId, u16),
    /// Family help may have more room (staff joined, or a policy changed):
    /// families waiting start while there is room.
    FamilyHelpRoom,
    /// A family waiting for family help since the minute given escalates
    /// or disengages, if still waiting (family, episode, minute queued).
    WaitEnds(FamilyId, u16, Minute),
    /// Pre-proceedings come to their end: proceedings issued or not (episode).
    PreProceedingsEnd(FamilyId, u16),
    /// Care proceedings come to their final order (episode).
    ProceedingsEnd(FamilyId, u16),
    /// Police protection or an emergency protection order runs out:
    /// proceedings, section 20 or home (episode).
    EmergencyEnds(FamilyId, u16),
    /// The next unaccompanied asylum-seeking child arrives, with the exact
    /// time in millionths of a minute and the arrival's index.
    UnaccompaniedArrival(u64, u32),
    /// The burn-in ends: the measured run starts.
    MeasurementStart,
    /// A family of the starting caseload in pre-proceedings: family group
    /// decision-making is offered as the letter before proceedings goes.
    LetterSent(FamilyId),
    /// An older brother or sister in care turns 18 (episode).
    SiblingTurns18(FamilyId, u16),
    /// A placement may break down (with `[placements]`): the children move
    /// unless they have left care (family, episode, minute they came into
    /// care as a `u32`, which holds 8,000 years, so happenings stay 16
    /// bytes; move number from 0).
    PlacementBreaks(FamilyId, u16, u32, u16),
    /// A care leaver's staying put, staying close or mentoring ends (its
    /// kind and weekly cost in pence, for the ledger).
    LeavingCareSupportEnds(LeavingCareSupport, u32),
}

/// A chain of happenings whose times are drawn looking ahead over the policy
/// timeline: each arrival draws the gap to the next, running on across
/// month starts and policy changes under the parameters in force there
/// (`referral`, `care`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Chain {
    /// New families' first referrals.
    Referrals,
    /// Unaccompanied asylum-seeking children.
    Unaccompanied,
}

impl Happening {
    /// The chain and minute of a happening whose time was drawn looking
    /// ahead (an arrival). None for every other happening, whose time was
    /// drawn from the parameters in force when it was decided.
    pub fn drawn_ahead(&self) -> Option<(Chain, Minute)> {
        match *self {
            Happening::Arrival(exact) => Some((Chain::Referrals, exact / 1_000_000)),
            Happening::UnaccompaniedArrival(exact, _) => {
                Some((Chain::Unaccompanied, exact / 1_000_000))
            }
            _ => None,
        }
    }
}
