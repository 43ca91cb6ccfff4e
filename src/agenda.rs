//! The agenda: happenings due in the future, taken in (time, insertion) order.
//!
//! Ties in time resolve by the order in which happenings were put on the
//! agenda, so a run takes them the same way every time. Happenings are never
//! removed early: one that no longer applies (its family moved on) is
//! recognised as stale when it comes due and produces no events.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::calendar::Minute;
use crate::event::{FamilyId, Pool};

/// Something due to be decided at a time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// The next new family's first referral, with its exact time in
    /// millionths of a minute (so rounding to minutes never accumulates).
    Arrival(u64),
    /// A family is referred again.
    ReReferral(FamilyId),
    /// The front door's decision on a family's referral (episode).
    TriageDue(FamilyId, u16),
    /// A family help assessment comes due (episode).
    AssessmentDue(FamilyId, u16),
    /// A spell of family help comes to its end (episode).
    HelpEnds(FamilyId, u16),
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
}

#[derive(Copy, Clone, Debug)]
struct Entry {
    at: Minute,
    seq: u64,
    what: Happening,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the max-heap yields the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Pending happenings in (time, insertion sequence) order.
#[derive(Debug, Default)]
pub struct Agenda {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl Agenda {
    /// An empty agenda.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `what` on the agenda at `at`.
    #[inline]
    pub fn push(&mut self, at: Minute, what: Happening) {
        self.heap.push(Entry {
            at,
            seq: self.seq,
            what,
        });
        self.seq += 1;
    }

    /// Takes the earliest happening (first inserted among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(Minute, Happening)> {
        self.heap.pop().map(|e| (e.at, e.what))
    }

    /// Happenings pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_resolve_in_insertion_order() {
        let mut a = Agenda::new();
        a.push(10, Happening::HelpEnds(FamilyId(1), 0));
        a.push(5, Happening::Arrival(5_000_000));
        a.push(10, Happening::TriageDue(FamilyId(2), 0));
        a.push(10, Happening::ReReferral(FamilyId(0)));
        let order: Vec<_> = std::iter::from_fn(|| a.pop()).collect();
        assert_eq!(
            order,
            vec![
                (5, Happening::Arrival(5_000_000)),
                (10, Happening::HelpEnds(FamilyId(1), 0)),
                (10, Happening::TriageDue(FamilyId(2), 0)),
                (10, Happening::ReReferral(FamilyId(0))),
            ]
        );
    }
}
