//! Children's sex, ethnicity and disability, drawn from England's published
//! distributions for children in need.
//!
//! The model decides nothing by them: they are characteristics for the
//! returns and the summary's breakdowns. Each is a pure function of the run
//! seed, the family and the child's number in it (0 the youngest), read from
//! its own stream ([`Purpose::Demographics`]), so no other draw of the run
//! moves, the event log is unchanged, and common random numbers hold: the
//! same child has the same characteristics in every scenario run with the
//! same seed.
//!
//! * Ethnicity is the family's (siblings share it): the stream of the
//!   family's occasion 0.
//! * Sex and disability are each child's: the stream of occasion `1 + k`
//!   for child `k`.
//!
//! Sources (docs/reference/england.md, "Children's characteristics"):
//!
//! * sex: children in need at 31 March 2020 (DfE, Children in need,
//!   table A4): 209,430 male and 172,030 female (54.9% male of those with
//!   a sex recorded; 930 unknown and 6,860 unborn, which the model does not
//!   have, are left out);
//! * ethnicity: the same table: of 389,260 children in need, 268,070 White,
//!   32,940 Mixed, 27,650 Asian, 32,260 Black, 12,870 other, 15,470 not
//!   known (4.0%). The split of each group into the DfE's codes is an
//!   assumption (roughly England's children in the 2021 Census);
//! * disability: children in need at 31 March 2022 (DfE, Children in need,
//!   table B2): 49,680 of 404,310 (12.3%) with a disability recorded; of
//!   them 39% autism, 20% behaviour, 18% communication. The shares of the
//!   other codes, and that 40% of disabled children have a second code,
//!   are assumptions.

use crate::engine::stream::{Stream, Streams};
use crate::model::event::FamilyId;
use crate::model::purpose::Purpose;

/// A child's sex as the returns record it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl Sex {
    /// Both, in the order of their codes.
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    /// The code of SSDA903 (`SEX`) and the CIN census (`Sex`) from 2024 to
    /// 2025 on: `M` or `F`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }

    /// Lower-case name, for summary keys.
    pub fn name(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Share of boys among children in need with a sex recorded (209,430 of
/// 381,460; CIN 2020, table A4).
pub const MALE_SHARE: f64 = 209_430.0 / 381_460.0;

/// A major ethnic group's row of [`ETHNIC_GROUPS`]: its name, its children
/// in need, and its codes with their weights.
pub type EthnicGroupRow = (&'static str, u32, &'static [(&'static str, u32)]);

/// The DfE's major ethnic groups (the top level of the returns' codes), in
/// the order of [`ETHNIC_GROUPS`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EthnicGroup {
    /// White (`W…`).
    White,
    /// Mixed or multiple ethnic groups (`M…`).
    Mixed,
    /// Asian or Asian British (`A…`).
    Asian,
    /// Black, African, Caribbean or Black British (`B…`).
    Black,
    /// Other ethnic groups (`CHNE`, `OOTH`).
    Other,
    /// Not known: refused or not yet obtained (`REFU`, `NOBT`).
    NotKnown,
}

impl EthnicGroup {
    /// Every group, in the order of [`ETHNIC_GROUPS`].
    pub const ALL: [EthnicGroup; 6] = [
        EthnicGroup::White,
        EthnicGroup::Mixed,
        EthnicGroup::Asian,
        EthnicGroup::Black,
        EthnicGroup::Other,
        EthnicGroup::NotKnown,
    ];

    /// The group's name as [`ETHNIC_GROUPS`] gives it (`white`, …, `not known`).
    pub fn name(self) -> &'static str {
        ETHNIC_GROUPS[self as usize].0
    }
}

/// The DfE's major ethnic groups, with the children in need at 31 March
/// 2020 in each (CIN 2020, table A4) and each group's codes with an assumed
/// share of the group.
pub const ETHNIC_GROUPS: [EthnicGroupRow; 6] = [
    (
        "white",
        268_070,
        &[
            ("WBRI", 860),
            ("WIRI", 6),
            ("WIRT", 2),
            ("WROM", 12),
            ("WOTH", 120),
        ],
    ),
    (
        "mixed",
        32_940,
        &[("MWBC", 30), ("MWBA", 15), ("MWAS", 25), ("MOTH", 30)],
    ),
    (
        "asian",
        27_650,
        &[("AIND", 30), ("APKN", 38), ("ABAN", 14), ("AOTH", 18)],
    ),
    ("black", 32_260, &[("BAFR", 65), ("BCRB", 20), ("BOTH", 15)]),
    ("other", 12_870, &[("CHNE", 10), ("OOTH", 90)]),
    ("not known", 15_470, &[("NOBT", 75), ("REFU", 25)]),
];

/// Share of children in need with a disability recorded (49,680 of
/// 404,310; CIN 2022, table B2).
pub const DISABLED_SHARE: f64 = 49_680.0 / 404_310.0;

/// The CIN census's disability codes with the weight of each among disabled
/// children: autism, behaviour and communication from CIN 2022 table B2
/// (39, 20, 18 per 100), the rest assumptions.
pub const DISABILITIES: [(&str, u32); 12] = [
    ("AUT", 39),
    ("BEH", 20),
    ("COMM", 18),
    ("LD", 16),
    ("CON", 10),
    ("PC", 8),
    ("MOB", 7),
    ("DDA", 6),
    ("HEAR", 4),
    ("INC", 4),
    ("HAND", 3),
    ("VIS", 3),
];

/// Share of disabled children with a second disability code (assumption).
pub const SECOND_DISABILITY_SHARE: f64 = 0.4;

/// A child's characteristics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Characteristics {
    /// Sex.
    pub sex: Sex,
    /// Major ethnic group: an index into [`ETHNIC_GROUPS`].
    pub ethnic_group: u8,
    /// The DfE ethnicity code (`WBRI`, `MWBC`, …, `NOBT`).
    pub ethnicity: &'static str,
    /// Disability codes (none for a child with no disability recorded, the
    /// CIN census's `NONE`).
    pub disabilities: [Option<&'static str>; 2],
}

impl Characteristics {
    /// The name of the child's major ethnic group (`white`, …, `not known`).
    pub fn ethnic_group_name(&self) -> &'static str {
        ETHNIC_GROUPS[usize::from(self.ethnic_group)].0
    }

    /// The child's major ethnic group.
    pub fn group(&self) -> EthnicGroup {
        EthnicGroup::ALL[usize::from(self.ethnic_group)]
    }

    /// True when a disability is recorded.
    pub fn disabled(&self) -> bool {
        self.disabilities[0].is_some()
    }
}

/// Picks an index with probability proportional to its weight.
fn pick(s: &mut Stream, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u64 = weights.clone().map(u64::from).sum();
    let mut x = (s.uniform() * total as f64) as u64;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        let w = u64::from(w);
        if x < w {
            return i;
        }
        x -= w;
        last = i;
    }
    last
}

/// The family's stream (ethnicity).
fn family_stream(streams: &Streams, family: FamilyId) -> Stream {
    streams.stream(Purpose::Demographics, u64::from(family.0), 0)
}

/// Child `index`'s stream (sex, then disability).
fn child_stream(streams: &Streams, family: FamilyId, index: u8) -> Stream {
    streams.stream(
        Purpose::Demographics,
        u64::from(family.0),
        1 + u32::from(index),
    )
}

/// The major ethnic group: the family stream's first draw.
fn draw_group(s: &mut Stream) -> usize {
    pick(s, ETHNIC_GROUPS.iter().map(|g| g.1))
}

/// The sex: the child stream's first draw.
fn draw_sex(s: &mut Stream) -> Sex {
    if s.chance(MALE_SHARE) {
        Sex::Male
    } else {
        Sex::Female
    }
}

/// The family's major ethnic group, as [`of_child`] gives every child of
/// it, without drawing the rest (for counts, which need only the group).
pub fn group_of_family(streams: &Streams, family: FamilyId) -> EthnicGroup {
    EthnicGroup::ALL[draw_group(&mut family_stream(streams, family))]
}

/// Child `index`'s sex, as [`of_child`] gives it, without drawing the rest.
pub fn sex_of_child(streams: &Streams, family: FamilyId, index: u8) -> Sex {
    draw_sex(&mut child_stream(streams, family, index))
}

/// Child `index` (0 the youngest) of family `family` in the run whose
/// streams are `streams`.
pub fn of_child(streams: &Streams, family: FamilyId, index: u8) -> Characteristics {
    let mut s = family_stream(streams, family);
    let group = draw_group(&mut s);
    let codes = ETHNIC_GROUPS[group].2;
    let ethnicity = codes[pick(&mut s, codes.iter().map(|c| c.1))].0;
    let mut s = child_stream(streams, family, index);
    let sex = draw_sex(&mut s);
    let mut disabilities = [None; 2];
    if s.chance(DISABLED_SHARE) {
        let first = pick(&mut s, DISABILITIES.iter().map(|d| d.1));
        disabilities[0] = Some(DISABILITIES[first].0);
        if s.chance(SECOND_DISABILITY_SHARE) {
            let weights = DISABILITIES
                .iter()
                .enumerate()
                .map(move |(i, d)| if i == first { 0 } else { d.1 });
            disabilities[1] = Some(DISABILITIES[pick(&mut s, weights)].0);
        }
    }
    Characteristics {
        sex,
        ethnic_group: group as u8,
        ethnicity,
        disabilities,
    }
}

/// A valid-format Unique Pupil Number for a child, made up (the model has
/// none): a check letter, `001` (a pseudo local authority code the DfE
/// recognises), the family id in 7 digits and the child's number in 2, so
/// no two children share one (family ids have at most 7 digits). The check
/// letter is the DfE's: digits 2 to 13 weighted 2 to 13, summed, modulo 23,
/// as `ABCDEFGHJKLMNPQRTUVWXYZ`.
pub fn upn(family: FamilyId, index: u8) -> String {
    let digits = format!("001{:07}{:02}", family.0 % 10_000_000, index % 100);
    let sum: u32 = digits
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (i as u32 + 2))
        .sum();
    let letter = b"ABCDEFGHJKLMNPQRTUVWXYZ"[(sum % 23) as usize] as char;
    format!("{letter}{digits}")
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_cheap_draws_for_counts_are_of_child_s() {
        let streams = Streams::new(11);
        for f in 0..2_000u32 {
            let family = FamilyId(f);
            let group = group_of_family(&streams, family);
            for k in 0..4u8 {
                let c = of_child(&streams, family, k);
                assert_eq!(c.group(), group, "family {f}");
                assert_eq!(
                    c.sex,
                    sex_of_child(&streams, family, k),
                    "family {f} child {k}"
                );
            }
        }
    }

    use super::*;

    #[test]
    fn a_childs_characteristics_depend_only_on_seed_family_and_child() {
        let a = Streams::new(7);
        let b = Streams::new(7);
        for f in 0..200 {
            for k in 0..3 {
                assert_eq!(of_child(&a, FamilyId(f), k), of_child(&b, FamilyId(f), k));
            }
            // Siblings share their ethnicity.
            assert_eq!(
                of_child(&a, FamilyId(f), 0).ethnicity,
                of_child(&a, FamilyId(f), 2).ethnicity
            );
        }
        let other = Streams::new(8);
        assert!((0..50).any(|f| of_child(&a, FamilyId(f), 0) != of_child(&other, FamilyId(f), 0)));
    }

    #[test]
    fn shares_are_the_published_ones() {
        let s = Streams::new(1);
        let n = 40_000u32;
        let (mut male, mut disabled, mut two, mut white, mut unknown) = (0, 0, 0, 0, 0);
        for f in 0..n {
            let c = of_child(&s, FamilyId(f), 0);
            male += u32::from(c.sex == Sex::Male);
            disabled += u32::from(c.disabled());
            two += u32::from(c.disabilities[1].is_some());
            white += u32::from(c.ethnic_group_name() == "white");
            unknown += u32::from(c.ethnic_group_name() == "not known");
            assert_eq!(c.group().name(), c.ethnic_group_name());
            if c.disabilities[1].is_some() {
                assert_ne!(c.disabilities[0], c.disabilities[1]);
            }
        }
        let share = |k: u32| f64::from(k) / f64::from(n);
        // Within about four standard errors.
        assert!((share(male) - MALE_SHARE).abs() < 0.01, "{}", share(male));
        assert!(
            (share(disabled) - DISABLED_SHARE).abs() < 0.007,
            "{}",
            share(disabled)
        );
        assert!((share(white) - 268_070.0 / 389_260.0).abs() < 0.01);
        assert!((share(unknown) - 15_470.0 / 389_260.0).abs() < 0.005);
        let second = f64::from(two) / f64::from(disabled);
        assert!((second - SECOND_DISABILITY_SHARE).abs() < 0.04, "{second}");
    }

    #[test]
    fn upns_have_the_dfe_check_letter_and_are_unique() {
        let u = upn(FamilyId(1234), 1);
        assert_eq!(u.len(), 13);
        assert_eq!(&u[1..], "001000123401");
        // 0*2+0*3+1*4+0*5+0*6+0*7+1*8+2*9+3*10+4*11+0*12+1*13 = 117; 117 % 23 = 2: C.
        assert_eq!(&u[..1], "C");
        assert_ne!(upn(FamilyId(1234), 0), upn(FamilyId(12340), 0));
    }
}
