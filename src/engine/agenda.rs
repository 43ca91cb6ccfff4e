//! The agenda: happenings due in the future, taken in (time, insertion) order.
//!
//! Generic over what a happening is (the domain's own small `Copy` type).
//!
//! Ties in time resolve by the order in which happenings were put on the
//! agenda, so a run takes them the same way every time. Happenings are never
//! removed early: one that no longer applies (its family moved on) is
//! recognised as stale when it comes due and produces no events.

use super::Minute;

/// Bits of a key that hold the insertion sequence; the minute sits above them.
const SEQ_BITS: u32 = 37;
/// Sequence numbers below this are for [`Agenda::push_first`]'s ranks.
const FIRST_SEQ: u64 = 1 << 16;
/// Happenings due at or after this minute (about 255 years) are kept at it:
/// they lie beyond any run's horizon (at most 50 years), so their order
/// among themselves never matters.
const LAST_MINUTE: Minute = (1 << (64 - SEQ_BITS)) - 1;

/// Pending happenings in (time, insertion sequence) order.
///
/// A radix heap over the packed key `minute << 37 | sequence`: the engine
/// only ever schedules at or after the minute it is deciding, so keys are
/// monotone and a push costs O(1); a pop moves each entry through at most
/// 64 buckets over its life. (A binary heap of millions of pending
/// happenings spent most of its time in cache misses.) Keys are unique, so
/// the order taken does not depend on the heap's layout.
pub struct Agenda<H> {
    heap: RadixHeap<H>,
    seq: u64,
    /// The minute of the last happening taken (no earlier one may be pushed).
    now: Minute,
    /// A happening taken off the heap by [`Agenda::next_time`] and not yet popped.
    held: Option<(u64, H)>,
}

/// An agenda written out: its pending happenings by key, and its counters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgendaImage<H> {
    /// The next insertion sequence number.
    pub seq: u64,
    /// The minute of the last happening taken.
    pub now: Minute,
    /// Pending happenings with their packed keys (bit-inverted), earliest first.
    pub pending: Vec<(u64, H)>,
}

impl<H> std::fmt::Debug for Agenda<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agenda")
            .field("pending", &self.heap.len())
            .field("now", &self.now)
            .finish()
    }
}

impl<H: Copy> Default for Agenda<H> {
    fn default() -> Self {
        Agenda {
            heap: RadixHeap::new(0),
            seq: FIRST_SEQ,
            now: 0,
            held: None,
        }
    }
}

impl<H: Copy> Agenda<H> {
    /// An empty agenda.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `what` on the agenda at `at` (a time before the last one taken
    /// is taken as that time: the agenda never goes back).
    #[inline]
    pub fn push(&mut self, at: Minute, what: H) {
        debug_assert!(at >= self.now, "scheduled at {at}, before {}", self.now);
        debug_assert!(self.seq < 1 << SEQ_BITS, "too many happenings");
        let at = at.clamp(self.now, LAST_MINUTE);
        self.heap.push(at << SEQ_BITS | self.seq, what);
        self.seq += 1;
    }

    /// Puts `what` on the agenda at `at`, before everything else due then
    /// that was pushed normally (as if it had been put there at the start of
    /// the run, as policy changes are); among such, lower `rank` first.
    pub fn push_first(&mut self, at: Minute, rank: u16, what: H) {
        let at = at.clamp(self.now, LAST_MINUTE);
        self.heap.push(at << SEQ_BITS | u64::from(rank), what);
    }

    /// Takes the earliest happening (first inserted among equal times).
    #[inline]
    pub fn pop(&mut self) -> Option<(Minute, H)> {
        self.held
            .take()
            .or_else(|| self.heap.pop())
            .map(|(key, what)| {
                self.now = key >> SEQ_BITS;
                (self.now, what)
            })
    }

    /// When the earliest pending happening is due, without taking it.
    pub fn next_time(&mut self) -> Option<Minute> {
        if self.held.is_none() {
            self.held = self.heap.pop();
        }
        self.held.map(|(key, _)| key >> SEQ_BITS)
    }

    /// Happenings pending.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.held.is_some())
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The agenda written out, earliest happening first.
    pub fn image(&self) -> AgendaImage<H> {
        let mut pending: Vec<(u64, H)> = self
            .heap
            .iter()
            .chain(self.held)
            .map(|(k, v)| (!k, v))
            .collect();
        pending.sort_unstable_by_key(|&(key, _)| std::cmp::Reverse(key));
        AgendaImage {
            seq: self.seq,
            now: self.now,
            pending,
        }
    }

    /// The agenda an image was written from; happenings `keep` refuses are
    /// left out.
    pub fn restore(image: &AgendaImage<H>, keep: impl Fn(&H) -> bool) -> Agenda<H> {
        let top = !(image.now << SEQ_BITS);
        let mut heap = RadixHeap::new(image.now << SEQ_BITS);
        for &(key, what) in &image.pending {
            if key <= top && keep(&what) {
                heap.push(!key, what);
            }
        }
        Agenda {
            heap,
            seq: image.seq,
            now: image.now,
            held: None,
        }
    }
}

/// A monotone radix heap of `(key, value)` taking the smallest key first,
/// for keys never below the last one taken.
///
/// An entry sits in bucket `64 - (key ^ last).leading_zeros()`: bucket 0
/// holds keys equal to `last`, bucket `b` keys that first differ from it at
/// bit `b - 1`. Taking from an empty bucket 0 finds the first non-empty
/// bucket from a bit mask, makes its smallest key `last`, and moves its
/// entries to lower buckets. (The `radix-heap` crate's `RadixHeapMap` did
/// the same, but scanned the buckets one by one and went through iterators
/// on every move: 14% of a run's instructions, issue 18.)
struct RadixHeap<H> {
    /// The last key taken (or the floor given): no key below it is pushed.
    last: u64,
    /// Entries pending.
    len: usize,
    /// Bit `b` set when bucket `b` is not empty.
    occupied: u128,
    buckets: [Vec<(u64, H)>; 65],
}

impl<H> RadixHeap<H> {
    /// Entries pending.
    fn len(&self) -> usize {
        self.len
    }
}

impl<H: Copy> RadixHeap<H> {
    /// An empty heap whose keys will be at least `floor`.
    fn new(floor: u64) -> Self {
        RadixHeap {
            last: floor,
            len: 0,
            occupied: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }

    #[inline(always)]
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds an entry; `key` must not be below the last key taken.
    #[inline]
    fn push(&mut self, key: u64, value: H) {
        assert!(
            key >= self.last,
            "key {key} is below the last taken, {}",
            self.last
        );
        let b = self.bucket(key);
        self.buckets[b].push((key, value));
        self.occupied |= 1 << b;
        self.len += 1;
    }

    /// Takes the entry with the smallest key.
    #[inline]
    fn pop(&mut self) -> Option<(u64, H)> {
        if self.occupied & 1 == 0 {
            if self.occupied == 0 {
                return None;
            }
            self.redistribute();
        }
        let entry = self.buckets[0].pop();
        if self.buckets[0].is_empty() {
            self.occupied &= !1;
        }
        self.len -= 1;
        entry
    }

    /// Makes the smallest key of the first non-empty bucket the last taken
    /// and moves that bucket's entries down (its smallest into bucket 0).
    fn redistribute(&mut self) {
        let b = self.occupied.trailing_zeros() as usize;
        let mut moving = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << b);
        let mut min = u64::MAX;
        for &(key, _) in &moving {
            min = min.min(key);
        }
        self.last = min;
        for &(key, value) in &moving {
            let to = self.bucket(key);
            self.buckets[to].push((key, value));
            self.occupied |= 1 << to;
        }
        moving.clear();
        // Keep the bucket's allocation for its next entries.
        self.buckets[b] = moving;
    }

    /// Every pending entry, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (u64, H)> + '_ {
        self.buckets.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for a domain's happenings.
    #[derive(Copy, Clone, Debug, PartialEq, Eq)]
    enum Happening {
        Arrival(u64),
        HelpEnds(u32),
        TriageDue(u32),
        ReReferral(u32),
        MonthEnd,
    }

    #[test]
    fn ties_resolve_in_insertion_order() {
        let mut a = Agenda::new();
        a.push(10, Happening::HelpEnds(1));
        a.push(5, Happening::Arrival(5_000_000));
        a.push(10, Happening::TriageDue(2));
        a.push(10, Happening::ReReferral(0));
        a.push(1 << 40, Happening::MonthEnd);
        let order: Vec<_> = std::iter::from_fn(|| a.pop()).collect();
        assert_eq!(
            order,
            vec![
                (5, Happening::Arrival(5_000_000)),
                (10, Happening::HelpEnds(1)),
                (10, Happening::TriageDue(2)),
                (10, Happening::ReReferral(0)),
                (LAST_MINUTE, Happening::MonthEnd),
            ]
        );
    }

    /// The radix heap takes keys in order, across all 64 bits, pushes
    /// interleaved with pops, against a sorted reference.
    #[test]
    fn radix_heap_takes_the_smallest_key() {
        let mut heap = RadixHeap::new(0);
        let mut reference = std::collections::BTreeSet::new();
        let mut x = 99u64;
        let mut last = 0u64;
        for i in 0..50_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Increments of every size, some zero-width (the last key + 1).
            let step = (x >> 1) >> (x % 64);
            let key = last.saturating_add(step).max(last + 1) | (i & 1);
            if reference.insert(key) {
                heap.push(key, key);
            }
            if i % 2 == 0 {
                let want = reference.pop_first();
                assert_eq!(heap.pop(), want.map(|k| (k, k)));
                last = want.unwrap_or(last);
            }
            assert_eq!(heap.len(), reference.len());
        }
        while let Some(want) = reference.pop_first() {
            assert_eq!(heap.pop(), Some((want, want)));
        }
        assert_eq!(heap.pop(), None);
    }

    #[test]
    fn many_happenings_come_out_in_time_then_insertion_order() {
        let mut a = Agenda::new();
        let mut expected = Vec::new();
        let mut x = 12345u64;
        let mut now = 0;
        for i in 0..20_000u32 {
            // Pushes only at or after the last minute taken, as the engine does.
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = now + (x >> 54);
            a.push(at, Happening::ReReferral(i));
            expected.push((at, i));
            if i % 3 == 0 {
                let (t, _) = a.pop().unwrap();
                now = t;
            }
        }
        let mut rest: Vec<(u64, u32)> = std::iter::from_fn(|| a.pop())
            .map(|(t, h)| match h {
                Happening::ReReferral(f) => (t, f),
                _ => unreachable!(),
            })
            .collect();
        let sorted = {
            let mut r = rest.clone();
            r.sort();
            r
        };
        assert_eq!(
            rest, sorted,
            "time order, ties by insertion (ids grow with it)"
        );
        rest.dedup();
        assert_eq!(rest.len() + 20_000 / 3 + 1, expected.len());
    }
}
