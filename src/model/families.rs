//! The open-families table: each family in one cache line, its id inside.
//!
//! At England's size about a million families are open at once, and nearly
//! every happening looks one up at random: the lookup's cache misses are
//! most of a full-size run's time (issue 18). std's hash map of
//! `(FamilyId, Family)` pairs (64 bytes, aligned to 4, in an array aligned
//! to 16) put most pairs across two cache lines; here each entry is aligned
//! to 64 bytes and holds its own id, so a lookup touches one line of entries
//! (and one of the table's control bytes). Ids are never reused and closed families are dropped, so a table
//! indexed by id would grow with every family ever referred, not with those
//! open; this one grows with the open families.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use rustc_hash::FxBuildHasher;

use crate::model::event::FamilyId;
use crate::model::state::Family;

/// A family and its id: exactly one cache line.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
struct Entry {
    id: FamilyId,
    family: Family,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 64);

/// The families a run knows, by id. Iteration order is the table's (it
/// depends on the ids and the history of inserts, never on anything
/// outside the run); callers that write it out sort by id.
#[derive(Clone, Debug, Default)]
pub struct Families {
    table: HashTable<Entry>,
}

#[inline]
fn hash(id: FamilyId) -> u64 {
    FxBuildHasher.hash_one(id.0)
}

impl Families {
    /// The family with this id, if known.
    #[inline]
    pub fn get(&self, id: FamilyId) -> Option<&Family> {
        self.table.find(hash(id), |e| e.id == id).map(|e| &e.family)
    }

    /// The family with this id, to change, if known.
    #[inline]
    pub fn get_mut(&mut self, id: FamilyId) -> Option<&mut Family> {
        self.table
            .find_mut(hash(id), |e| e.id == id)
            .map(|e| &mut e.family)
    }

    /// Puts a family in the table, in place of any with the same id.
    pub fn insert(&mut self, id: FamilyId, family: Family) {
        match self.table.entry(hash(id), |e| e.id == id, |e| hash(e.id)) {
            TableEntry::Occupied(mut o) => o.get_mut().family = family,
            TableEntry::Vacant(v) => {
                v.insert(Entry { id, family });
            }
        }
    }

    /// Takes a family out of the table, if it was there.
    pub fn remove(&mut self, id: FamilyId) -> Option<Family> {
        self.table
            .find_entry(hash(id), |e| e.id == id)
            .ok()
            .map(|o| o.remove().0.family)
    }

    /// How many families the table holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether it holds none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every family with its id, in the table's order.
    pub fn iter(&self) -> impl Iterator<Item = (FamilyId, &Family)> + '_ {
        self.table.iter().map(|e| (e.id, &e.family))
    }
}

impl FromIterator<(FamilyId, Family)> for Families {
    fn from_iter<I: IntoIterator<Item = (FamilyId, Family)>>(iter: I) -> Self {
        let mut families = Families::default();
        for (id, family) in iter {
            families.insert(id, family);
        }
        families
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Attributes, Need, RiskFactors};
    use crate::model::state::Stage;

    fn family(at: u64) -> Family {
        let attributes = Attributes {
            children: 1,
            youngest_age: 3,
            eldest_age: 3,
            need: Need::High,
            risk: 9_000,
            risk_factors: RiskFactors(0),
            network: 5_000,
        };
        Family::new(attributes, Stage::AwaitingTriage, at)
    }

    #[test]
    fn finds_changes_replaces_and_removes_by_id() {
        let mut t = Families::default();
        for i in 0..10_000u32 {
            t.insert(FamilyId(i), family(u64::from(i)));
        }
        assert_eq!(t.len(), 10_000);
        assert_eq!(t.get(FamilyId(1234)).unwrap().referred_at(), 1234);
        assert!(t.get(FamilyId(10_000)).is_none());
        t.get_mut(FamilyId(7)).unwrap().stage = Stage::Closed;
        assert_eq!(t.get(FamilyId(7)).unwrap().stage, Stage::Closed);
        t.insert(FamilyId(7), family(99));
        assert_eq!(t.len(), 10_000);
        assert_eq!(t.get(FamilyId(7)).unwrap().referred_at(), 99);
        for i in (0..10_000u32).step_by(2) {
            assert!(t.remove(FamilyId(i)).is_some());
        }
        assert!(t.remove(FamilyId(0)).is_none());
        assert_eq!(t.len(), 5_000);
        let mut ids: Vec<u32> = t.iter().map(|(id, _)| id.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..10_000).step_by(2).collect::<Vec<_>>());
    }
}
