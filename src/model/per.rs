//! Typed maps over the model's enums: `PerPool<T>` holds one `T` per staff
//! pool and is indexed by a [`Pool`], never by a number, so the compiler
//! checks every lookup against the enum and a new pool shows up wherever a
//! map is built.
//!
//! Each map is an array underneath. Binary encodings (the log, snapshots)
//! store it as the array it always was; human-readable ones (the summary's
//! JSON) name each entry by its stable key, `{"kinship_family_and_friends":
//! 12, …}`, and read either form back.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use crate::model::demographics::{EthnicGroup, Sex};
use crate::model::event::{
    BudgetLine, CareExit, CareRoute, ClosureReason, FinalOrder, HelpOutcome, LeavingCareSupport,
    LegalStatus, Placement, Pool, TriageDecision,
};
use crate::model::keys;

/// An enum whose members index a typed map.
pub trait Keyed: Copy + 'static {
    /// Every member, in index order.
    const EVERY: &'static [Self];
    /// Its index (its position in [`Keyed::EVERY`]).
    fn index(self) -> usize;
    /// Its stable key in outputs.
    fn metric_key(self) -> &'static str;
}

macro_rules! keyed {
    ($ty:ty, $every:expr, $key:expr) => {
        impl Keyed for $ty {
            const EVERY: &'static [Self] = &$every;
            #[inline]
            fn index(self) -> usize {
                self as usize
            }
            fn metric_key(self) -> &'static str {
                $key(self)
            }
        }
    };
}

keyed!(Pool, Pool::ALL, keys::pool_key);
keyed!(BudgetLine, BudgetLine::ALL, keys::line_key);
keyed!(Placement, Placement::ALL, keys::placement_key);
keyed!(CareExit, keys::CARE_EXITS, keys::exit_key);
keyed!(CareRoute, CareRoute::ALL, keys::route_key);
keyed!(LegalStatus, LegalStatus::ALL, keys::legal_status_key);
keyed!(FinalOrder, FinalOrder::ALL, keys::order_key);
keyed!(TriageDecision, TriageDecision::ALL, keys::triage_key);
keyed!(HelpOutcome, HelpOutcome::ALL, keys::outcome_key);
keyed!(AgeBand, AgeBand::ALL, |b: AgeBand| keys::AGE_BAND_KEYS
    [b as usize]);
keyed!(ClosureReason, ClosureReason::EVERY, keys::closure_key);
keyed!(Sex, Sex::ALL, keys::sex_key);
keyed!(EthnicGroup, EthnicGroup::ALL, keys::ethnic_group_key);
keyed!(
    LeavingCareSupport,
    LeavingCareSupport::ALL,
    keys::support_key
);

/// A child's age band at entry to care, as the statutory tables group ages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    /// Under 1.
    Under1,
    /// 1 to 4.
    From1To4,
    /// 5 to 9.
    From5To9,
    /// 10 to 15.
    From10To15,
    /// 16 and over.
    From16,
}

impl AgeBand {
    /// All bands, youngest first.
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under1,
        AgeBand::From1To4,
        AgeBand::From5To9,
        AgeBand::From10To15,
        AgeBand::From16,
    ];

    /// The band of a child of `age` whole years.
    pub fn of(age: u8) -> AgeBand {
        match age {
            0 => AgeBand::Under1,
            1..=4 => AgeBand::From1To4,
            5..=9 => AgeBand::From5To9,
            10..=15 => AgeBand::From10To15,
            _ => AgeBand::From16,
        }
    }
}

/// Reads a map's entries as an array (binary) or as keyed entries (JSON),
/// accepting the positional arrays of summaries written before keys.
struct KeyedVisitor<K, T, const N: usize>(PhantomData<(K, T)>);

impl<'de, K: Keyed, T: serde::Deserialize<'de>, const N: usize> Visitor<'de>
    for KeyedVisitor<K, T, N>
{
    type Value = [T; N];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{N} values, as a list or keyed by ")?;
        let keys: Vec<&str> = K::EVERY.iter().map(|k| k.metric_key()).collect();
        write!(f, "{}", keys.join(", "))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[T; N], A::Error> {
        let mut values = Vec::with_capacity(N);
        while let Some(v) = seq.next_element()? {
            if values.len() == N {
                return Err(serde::de::Error::invalid_length(N + 1, &self));
            }
            values.push(v);
        }
        let n = values.len();
        values
            .try_into()
            .map_err(|_| serde::de::Error::invalid_length(n, &self))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<[T; N], A::Error> {
        let mut slots: Vec<Option<T>> = (0..N).map(|_| None).collect();
        while let Some(key) = map.next_key::<String>()? {
            let Some(i) = K::EVERY.iter().position(|k| k.metric_key() == key) else {
                return Err(serde::de::Error::custom(format!("unknown key `{key}`")));
            };
            if slots[i].is_some() {
                return Err(serde::de::Error::custom(format!("`{key}` given twice")));
            }
            slots[i] = Some(map.next_value()?);
        }
        let mut values = Vec::with_capacity(N);
        for (i, slot) in slots.into_iter().enumerate() {
            match slot {
                Some(v) => values.push(v),
                None => {
                    return Err(serde::de::Error::custom(format!(
                        "`{}` is missing",
                        K::EVERY[i].metric_key()
                    )))
                }
            }
        }
        values
            .try_into()
            .map_err(|_| serde::de::Error::custom("wrong number of entries"))
    }
}

/// Reads `[T; N]` keyed by `K` as [`KeyedVisitor`] does.
fn read_keyed<'de, D, K, T, const N: usize>(d: D) -> Result<[T; N], D::Error>
where
    D: Deserializer<'de>,
    K: Keyed,
    T: serde::Deserialize<'de>,
    [T; N]: serde::Deserialize<'de>,
{
    if d.is_human_readable() {
        d.deserialize_any(KeyedVisitor::<K, T, N>(PhantomData))
    } else {
        <[T; N] as serde::Deserialize>::deserialize(d)
    }
}

macro_rules! per {
    ($(#[$doc:meta])* $name:ident, $key:ty, $n:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $name<T>(pub [T; $n]);

        impl<T> std::ops::Index<$key> for $name<T> {
            type Output = T;
            #[inline]
            fn index(&self, k: $key) -> &T {
                &self.0[Keyed::index(k)]
            }
        }

        impl<T> std::ops::IndexMut<$key> for $name<T> {
            #[inline]
            fn index_mut(&mut self, k: $key) -> &mut T {
                &mut self.0[Keyed::index(k)]
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = [T; $n];
            #[inline]
            fn deref(&self) -> &[T; $n] {
                &self.0
            }
        }

        impl<T> std::ops::DerefMut for $name<T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut [T; $n] {
                &mut self.0
            }
        }

        impl<T> IntoIterator for $name<T> {
            type Item = T;
            type IntoIter = std::array::IntoIter<T, $n>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }

        impl<'a, T> IntoIterator for &'a $name<T> {
            type Item = &'a T;
            type IntoIter = std::slice::Iter<'a, T>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }

        impl<T> $name<T> {
            /// A map with `f(k)` at each `k`.
            pub fn from_fn(mut f: impl FnMut($key) -> T) -> Self {
                $name(std::array::from_fn(|i| f(<$key as Keyed>::EVERY[i])))
            }

            /// Each member with its value, in order.
            pub fn entries(&self) -> impl Iterator<Item = ($key, &T)> {
                <$key as Keyed>::EVERY.iter().copied().zip(self.0.iter())
            }

            /// The same map with `f` applied to each value.
            pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> $name<U> {
                $name(std::array::from_fn(|i| f(&self.0[i])))
            }
        }

        impl<T: serde::Serialize> serde::Serialize for $name<T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    use serde::ser::SerializeMap;
                    let mut m = s.serialize_map(Some($n))?;
                    for (k, v) in self.entries() {
                        m.serialize_entry(k.metric_key(), v)?;
                    }
                    m.end()
                } else {
                    self.0.serialize(s)
                }
            }
        }

        impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                read_keyed::<D, $key, T, $n>(d).map($name)
            }
        }
    };
}

per!(
    /// One value per staff pool.
    PerPool, Pool, 5
);
per!(
    /// One value per budget line.
    PerLine, BudgetLine, 5
);
per!(
    /// One value per placement type.
    PerPlacement, Placement, 4
);
per!(
    /// One value per way out of care.
    PerExit, CareExit, 4
);
per!(
    /// One value per route into care.
    PerRoute, CareRoute, 4
);
per!(
    /// One value per legal status at entry to care.
    PerLegalStatus, LegalStatus, 6
);
per!(
    /// One value per final order of care proceedings.
    PerOrder, FinalOrder, 5
);
per!(
    /// One value per front-door decision.
    PerTriage, TriageDecision, 4
);
per!(
    /// One value per way a spell of family help ends.
    PerOutcome, HelpOutcome, 4
);
per!(
    /// One value per age band at entry to care.
    PerAgeBand, AgeBand, 5
);
per!(
    /// One value per reason a case closed (old logs' reasons included).
    PerClosure, ClosureReason, 15
);
per!(
    /// One value per kind of support for a care leaver.
    PerSupport, LeavingCareSupport, 3
);

per!(
    /// One value per sex.
    PerSex, Sex, 2
);
per!(
    /// One value per major ethnic group.
    PerEthnicGroup, EthnicGroup, 6
);

const _: () = assert!(
    ClosureReason::COUNT == 15,
    "PerClosure holds every closure reason"
);

#[cfg(test)]
mod tests {
    use super::*;

    mod erased {
        pub trait Enc {
            fn bytes(&self) -> Vec<u8>;
        }
        impl<T: serde::Serialize> Enc for T {
            fn bytes(&self) -> Vec<u8> {
                let mut out = Vec::new();
                crate::engine::codec::encode_into(self, &mut out).unwrap();
                out
            }
        }
    }

    #[test]
    fn every_member_sits_at_its_own_index() {
        fn check<K: Keyed + PartialEq + fmt::Debug>() {
            for (i, k) in K::EVERY.iter().enumerate() {
                assert_eq!(k.index(), i, "{k:?}");
            }
            let mut keys: Vec<&str> = K::EVERY.iter().map(|k| k.metric_key()).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), K::EVERY.len(), "keys are distinct");
        }
        check::<Pool>();
        check::<BudgetLine>();
        check::<Placement>();
        check::<CareExit>();
        check::<CareRoute>();
        check::<LegalStatus>();
        check::<FinalOrder>();
        check::<TriageDecision>();
        check::<HelpOutcome>();
        check::<AgeBand>();
        check::<ClosureReason>();
        check::<Sex>();
        check::<EthnicGroup>();
    }

    #[test]
    fn json_names_entries_and_binary_keeps_the_array() {
        let m = PerPlacement([1u64, 2, 3, 4]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"kinship_family_and_friends":1,"foster_care_in-house":2,"foster_care_agency":3,"residential":4}"#
        );
        assert_eq!(serde_json::from_str::<PerPlacement<u64>>(&json).unwrap(), m);
        assert_eq!(
            serde_json::from_str::<PerPlacement<u64>>("[1,2,3,4]").unwrap(),
            m
        );
        assert!(serde_json::from_str::<PerPlacement<u64>>("[1,2,3]").is_err());
        assert!(serde_json::from_str::<PerPlacement<u64>>(r#"{"nowhere":1}"#).is_err());
        let encode = |v: &dyn erased::Enc| v.bytes();
        let bytes = encode(&m);
        assert_eq!(bytes, encode(&[1u64, 2, 3, 4]));
        let back: PerPlacement<u64> = crate::engine::codec::decode_exact(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(m[Placement::AgencyFoster], 3);
        assert_eq!(AgeBand::of(0), AgeBand::Under1);
        assert_eq!(AgeBand::of(17), AgeBand::From16);
    }
}
