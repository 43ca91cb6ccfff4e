//! From returns to a scenario: what the returns show ([`Observed`]: counts
//! of children, each with the years it was counted over), the starting
//! caseload at a date ([`Stock`]), and the scenario's rates.
//!
//! Rates the returns show directly are set directly (conversions from
//! conference to plan, plan lengths, assessment and enquiry times,
//! placement shares at entry, placement moves). Rates the model draws at
//! the level of a family's latent risk (the new-referral rate, the
//! re-referral hazards, the significant-harm threshold, the chance of a
//! conference, entries to care by route, time in care, the ways out) have
//! no direct counterpart in the returns, so they are calibrated: the
//! scenario is run (with its burn-in, several seeds), its own returns are
//! read by the same readers, and each parameter is moved until its run
//! shows what the authority's returns show; the last rounds are averaged.
//! Every value written says what it came from and its uncertainty (a 95%
//! interval from the counts); a rate whose count is under [`THIN`] keeps
//! the built-in default's value and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{CollectionYear, Returns};
use crate::analysis::export::Returns as ExportReturns;
use crate::model::calendar::CivilDate;
use crate::model::input::ScenarioInput;
use crate::model::scenario::{
    CareHousehold, CareLegalStatus, CarePlacement, ClosedHousehold, ClosureGroup, NonNegative,
    PlanHousehold, Positive, Probability, Scenario,
};

/// Counts under this are too few to estimate from.
pub const THIN: f64 = 20.0;

/// A count of events over some collection years, with what it counts.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Count {
    /// Events.
    pub n: f64,
    /// Years counted over.
    pub years: f64,
}

impl Count {
    /// Per year.
    pub fn per_year(&self) -> f64 {
        if self.years > 0.0 {
            self.n / self.years
        } else {
            0.0
        }
    }
}

/// What a set of returns shows: counts of children (a sibling group counts
/// each child), over the full collection years in them.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// CIN census years used.
    pub cin_years: Vec<CollectionYear>,
    /// SSDA903 years used.
    pub ssda903_years: Vec<CollectionYear>,
    /// Referrals (CIN episodes starting in the years).
    pub referrals: Count,
    /// Referrals in the years after the first, and of them those within
    /// 12 months of the child's previous referral.
    pub rereferral_base: f64,
    /// See `rereferral_base`.
    pub rereferrals: f64,
    /// Section 47 enquiries started.
    pub s47: Count,
    /// Initial conferences held.
    pub conferences: Count,
    /// Plans started.
    pub plans: Count,
    /// Plans ended, by length band (up to 3 months, 3–6, 6–12, 1–2 years, over 2).
    pub plan_lengths: [f64; 5],
    /// Completed assessments and their mean length in days.
    pub assessments: (f64, f64),
    /// Enquiries with a conference, and the mean days from the enquiry's start to it.
    pub to_conference: (f64, f64),
    /// Entries to care by route: proceedings (C1, C2, E1, J*), emergency (L*), section 20 (V*).
    pub entries: [Count; 3],
    /// Entries by placement at entry, under 13 and 13 or over: kin,
    /// in-house foster, agency foster, residential (other placements are not counted).
    pub placed: [[f64; 4]; 2],
    /// Entries by age band at entry (under 1, 1–4, 5–9, 10–15, 16–17).
    pub entry_ages: [f64; 5],
    /// Exits before 18: home, special guardianship or child arrangements, adoption.
    pub exits: [f64; 3],
    /// Exits at 18 or over.
    pub exits_at_18: f64,
    /// Children looked after at each 31 March (the mean) and how many 31 Marches.
    pub looked_after: (f64, f64),
    /// Placement moves and years in each placement type (kin, in-house, agency, residential).
    pub moves: [(f64, f64); 4],
    /// Entries of children in a UASC table (None: no UASC table read).
    pub unaccompanied: Option<Count>,
}

/// Placement group of an SSDA903 placement and provider (None: another
/// kind of placement, e.g. placed with parents or for adoption).
fn placement_group(place: &str, provider: &str) -> Option<usize> {
    match place {
        "U1" | "U2" | "U3" => Some(0),
        "U4" | "U5" | "U6" if provider == "PR1" || provider == "PR2" || provider == "PR3" => {
            Some(1)
        }
        "U4" | "U5" | "U6" => Some(2),
        "K1" | "K2" | "R1" | "R2" => Some(3),
        _ => None,
    }
}

fn route_of(ls: &str) -> usize {
    match ls.as_bytes().first() {
        Some(b'L') => 1,
        Some(b'V') => 2,
        _ => 0,
    }
}

fn age_at(dob: CivilDate, on: CivilDate) -> i32 {
    on.year() - dob.year() - i32::from((on.month(), on.day()) < (dob.month(), dob.day()))
}

fn in_years(d: CivilDate, years: &[CollectionYear]) -> bool {
    years.contains(&CollectionYear::of(d))
}

/// The years with a return that were fully covered: every year with a
/// return of that kind (the export writes whole years).
fn full_years(years: Vec<CollectionYear>) -> Vec<CollectionYear> {
    years.into_iter().filter(|y| y.0 > 0).collect()
}

/// Counts what the returns show.
pub fn observe(r: &Returns) -> Observed {
    let mut o = Observed {
        cin_years: full_years(r.cin_years()),
        ssda903_years: full_years(r.ssda903_years()),
        ..Observed::default()
    };
    let cy = o.cin_years.clone();
    let ny = cy.len() as f64;
    let first_cin = cy.first().map(|y| y.first_day());
    let mut last_referral: BTreeMap<u32, CivilDate> = BTreeMap::new();
    for e in &r.cin.episodes {
        let prev = last_referral.insert(e.child, e.referral);
        if in_years(e.referral, &cy) {
            o.referrals.n += 1.0;
            // Re-referral within 12 months, counted where 12 months of
            // returns precede the referral.
            if first_cin.is_some_and(|f| f.days_until(e.referral) >= 365) {
                o.rereferral_base += 1.0;
                if prev.is_some_and(|p| p.days_until(e.referral) <= 365) {
                    o.rereferrals += 1.0;
                }
            }
        }
        for s in &e.enquiries {
            if in_years(s.start, &cy) {
                o.s47.n += 1.0;
            }
            if let Some(c) = s.conference {
                if in_years(c, &cy) {
                    o.conferences.n += 1.0;
                    o.to_conference.0 += 1.0;
                    o.to_conference.1 += s.start.days_until(c) as f64;
                }
            }
        }
        for (start, end) in &e.plans {
            if in_years(*start, &cy) {
                o.plans.n += 1.0;
            }
            if let Some(end) = end.filter(|d| in_years(*d, &cy)) {
                let days = start.days_until(end);
                let band = match days {
                    ..=91 => 0,
                    92..=182 => 1,
                    183..=365 => 2,
                    366..=730 => 3,
                    _ => 4,
                };
                o.plan_lengths[band] += 1.0;
            }
        }
        for (start, done) in &e.assessments {
            if let Some(done) = done.filter(|d| in_years(*d, &cy)) {
                o.assessments.0 += 1.0;
                o.assessments.1 += start.days_until(done) as f64;
            }
        }
    }
    for c in [
        &mut o.referrals,
        &mut o.s47,
        &mut o.conferences,
        &mut o.plans,
    ] {
        c.years = ny;
    }
    if o.assessments.0 > 0.0 {
        o.assessments.1 /= o.assessments.0;
    }
    if o.to_conference.0 > 0.0 {
        o.to_conference.1 /= o.to_conference.0;
    }
    // Care.
    let sy = o.ssda903_years.clone();
    let my = sy.len() as f64;
    let s = &r.ssda903;
    for c in &mut o.entries {
        c.years = my;
    }
    if !s.uasc.is_empty() {
        o.unaccompanied = Some(Count { n: 0.0, years: my });
    }
    for p in &s.periods {
        let first = &s.episodes[p.episodes.start];
        let dob = s.dob.get(&p.child).copied();
        if in_years(p.start, &sy) {
            if let Some(u) = o.unaccompanied.as_mut() {
                if s.uasc.contains(&p.child) {
                    u.n += 1.0;
                }
            }
            o.entries[route_of(&first.legal_status)].n += 1.0;
            let teen = dob.is_some_and(|d| age_at(d, p.start) >= 13);
            if let Some(g) = placement_group(&first.place, &first.provider) {
                o.placed[usize::from(teen)][g] += 1.0;
            }
            if let Some(d) = dob {
                let band = match age_at(d, p.start) {
                    ..=0 => 0,
                    1..=4 => 1,
                    5..=9 => 2,
                    10..=15 => 3,
                    _ => 4,
                };
                o.entry_ages[band] += 1.0;
            }
        }
        if let Some((end, rec)) = p.end.as_ref().filter(|(d, _)| in_years(*d, &sy)) {
            let adult = dob.is_some_and(|d| age_at(d, *end) >= 18);
            let way = match rec.as_str() {
                "E4A" | "E4B" | "E13" => Some(0),
                "E41" | "E43" | "E44" | "E45" | "E46" | "E47" | "E48" => Some(1),
                "E11" | "E12" => Some(2),
                _ => None,
            };
            match way {
                Some(w) if !adult => o.exits[w] += 1.0,
                _ if adult || rec == "E8" => o.exits_at_18 += 1.0,
                _ => {}
            }
        }
        // Moves and years in each placement, within the years.
        if let (Some(f), Some(l)) = (sy.first(), sy.last()) {
            let (from, to) = (f.first_day(), l.last_day());
            for (k, e) in s.episodes[p.episodes.clone()].iter().enumerate() {
                let Some(g) = placement_group(&e.place, &e.provider) else {
                    continue;
                };
                let a = e.start.max(from);
                let b = e.end.as_ref().map_or(to, |(d, _)| (*d).min(to));
                if b > a {
                    o.moves[g].1 += a.days_until(b) as f64 / 365.0;
                }
                let next = s.episodes.get(p.episodes.start + k + 1);
                if k + 1 < p.episodes.len() {
                    if let Some(n) = next.filter(|n| {
                        matches!(n.reason_new.as_str(), "P" | "B") && in_years(n.start, &sy)
                    }) {
                        let _ = n;
                        o.moves[g].0 += 1.0;
                    }
                }
            }
        }
    }
    for y in &sy {
        let day = y.last_day();
        let n = s
            .periods
            .iter()
            .filter(|p| p.start <= day && p.end.as_ref().is_none_or(|(d, _)| *d > day))
            .count();
        o.looked_after.0 += n as f64;
        o.looked_after.1 += 1.0;
    }
    if o.looked_after.1 > 0.0 {
        o.looked_after.0 /= o.looked_after.1;
    }
    o
}

/// Families (households) open at a date, by stage, as the starting
/// caseload counts them, and the children in them. Children are grouped
/// into households by what they share: a CIN episode's dates (referral,
/// closure, assessments, enquiries, plans) or a period of care's start,
/// legal status and placement (the returns hold no family link; siblings
/// share these dates, unrelated children seldom all of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stock {
    /// The date.
    pub at: Option<CivilDate>,
    /// Waiting for family help (open, nothing started yet).
    pub waiting_for_help: u32,
    /// In family help (an assessment started, no enquiry or plan open).
    pub in_family_help: u32,
    /// In a section 47 enquiry.
    pub in_enquiry: u32,
    /// Awaiting an initial conference.
    pub awaiting_conference: u32,
    /// On a child protection plan.
    pub on_plan: u32,
    /// In pre-proceedings or proceedings at home (a plan ended, the case
    /// open, no family help since).
    pub pre_proceedings: u32,
    /// Looked after.
    pub looked_after: u32,
    /// Children on a plan.
    pub children_on_plan: u32,
    /// Children looked after.
    pub children_looked_after: u32,
    /// Children looked after by placement group (kin, in-house, agency,
    /// residential, other), legal status group (proceedings/orders,
    /// emergency, section 20) and age band (under 1, 1–4, 5–9, 10–15, 16–17).
    pub looked_after_by: ([u32; 5], [u32; 3], [u32; 5]),
    /// Mean days already spent on the plan (families), and in care (children).
    pub days_spent: (f64, f64),
    /// Households looked after, as the scenario's `starting_caseload.in_care`
    /// rows: the children's ages, placement, legal status and months since
    /// the period of care began, alike households counted together.
    pub in_care: Vec<CareHousehold>,
    /// Households on a plan, as the `starting_caseload.plans` rows: the
    /// children's ages and the months since the plan started.
    pub plans: Vec<PlanHousehold>,
    /// Households whose case closed before the date within the re-referral
    /// horizon, as the `starting_caseload.closed` rows ([`closed_at`]).
    pub closed: Vec<ClosedHousehold>,
}

/// The scenario's placement for an SSDA903 placement and provider: a
/// placement the model has no type for (placed for adoption, with parents,
/// in lodgings …) is foster care, the council's own or an agency's by the
/// provider.
pub fn care_placement(place: &str, provider: &str) -> CarePlacement {
    const ALL: [CarePlacement; 4] = [
        CarePlacement::Kinship,
        CarePlacement::InHouseFoster,
        CarePlacement::AgencyFoster,
        CarePlacement::Residential,
    ];
    match placement_group(place, provider) {
        Some(g) => ALL[g],
        None if matches!(provider, "PR0" | "PR1" | "PR2" | "PR3") => CarePlacement::InHouseFoster,
        None => CarePlacement::AgencyFoster,
    }
}

/// The scenario's legal status for an SSDA903 `LS` code (an unknown one
/// is taken as a care order).
pub fn care_legal_status(ls: &str) -> CareLegalStatus {
    match ls {
        "C1" => CareLegalStatus::InterimCareOrder,
        "D1" | "E1" => CareLegalStatus::PlacementOrder,
        "L1" => CareLegalStatus::PoliceProtection,
        "L2" | "L3" => CareLegalStatus::EmergencyProtectionOrder,
        "V2" | "V3" | "V4" => CareLegalStatus::Section20,
        _ => CareLegalStatus::CareOrder,
    }
}

/// A household's children (ages sorted) as the model can hold them: it
/// spreads brothers and sisters evenly between the youngest and the eldest
/// (`Attributes::sibling_offset`), so ages that are not so spread (or more
/// children than a row takes) are split into households of two.
pub fn households_of(ages: Vec<u8>) -> Vec<Vec<u8>> {
    let n = ages.len();
    let fits = n <= crate::model::scenario::MAX_HOUSEHOLD
        && (n <= 2 || {
            let (lo, span) = (u32::from(ages[0]), u32::from(ages[n - 1] - ages[0]));
            let last = (n - 1) as u32;
            ages.iter()
                .enumerate()
                .all(|(k, &a)| u32::from(a) == lo + span * k as u32 / last)
        });
    if fits {
        vec![ages]
    } else {
        ages.chunks(2).map(<[u8]>::to_vec).collect()
    }
}

/// Whole calendar months from `from` to `to` (0 if `to` is earlier).
pub fn whole_months(from: CivilDate, to: CivilDate) -> u32 {
    let m = (to.year() - from.year()) * 12 + i32::from(to.month())
        - i32::from(from.month())
        - i32::from(to.day() < from.day());
    m.max(0) as u32
}

/// A child's age in whole years at `at` for the starting caseload (0 to
/// 17; 10 when the date of birth is not known).
fn caseload_age(dob: Option<&CivilDate>, at: CivilDate) -> u8 {
    dob.map_or(10, |d| age_at(*d, at).clamp(0, 17) as u8)
}

/// The starting caseload at `at`.
pub fn stock_at(r: &Returns, at: CivilDate, enquiry_days: f64) -> Stock {
    let mut st = Stock {
        at: Some(at),
        ..Stock::default()
    };
    let s = &r.ssda903;
    let open =
        |p: &super::ssda903::Period| p.start <= at && p.end.as_ref().is_none_or(|(d, _)| *d > at);
    let mut in_care_ids: BTreeSet<String> = BTreeSet::new();
    let ids_903: BTreeMap<u32, &String> = s.ids.by_number();
    // The referral date of each child's CIN episode open at the date: it
    // tells apart two households that came into care on one day.
    let c = &r.cin;
    let ids_cin: BTreeMap<u32, &String> = c.ids.by_number();
    let open_referral: BTreeMap<&String, CivilDate> = c
        .episodes
        .iter()
        .filter(|e| e.referral <= at && e.closure.as_ref().is_none_or(|(d, _)| *d > at))
        .filter_map(|e| ids_cin.get(&e.child).map(|id| (*id, e.referral)))
        .collect();
    type CareKey = (CivilDate, String, String, String, Option<CivilDate>);
    let mut households: BTreeSet<CareKey> = BTreeSet::new();
    // The same, told apart by the episode open at the date too (legal
    // status and placement): the children of each, by age.
    type NowKey = (
        CivilDate,
        String,
        String,
        String,
        Option<CivilDate>,
        String,
        u8,
    );
    let mut households_now: BTreeMap<NowKey, (Vec<u8>, bool)> = BTreeMap::new();
    let mut days_in_care = 0.0;
    for p in s.periods.iter().filter(|p| open(p)) {
        // The episode open at the date.
        let Some(e) = s.episodes[p.episodes.clone()]
            .iter()
            .rev()
            .find(|e| e.start <= at)
        else {
            continue;
        };
        let first = &s.episodes[p.episodes.start];
        let dob = s.dob.get(&p.child);
        // A period of care's household: its start, first episode and referral.
        let key = (
            p.start,
            first.legal_status.clone(),
            first.place.clone(),
            first.provider.clone(),
            ids_903
                .get(&p.child)
                .and_then(|id| open_referral.get(*id).copied()),
        );
        let household = households_now
            .entry((
                key.0,
                key.1.clone(),
                key.2.clone(),
                key.3.clone(),
                key.4,
                e.legal_status.clone(),
                care_placement(&e.place, &e.provider) as u8,
            ))
            .or_insert_with(|| (Vec::new(), false));
        household.0.push(caseload_age(dob, at));
        household.1 |= s.uasc.contains(&p.child);
        households.insert(key);
        st.children_looked_after += 1;
        days_in_care += p.start.days_until(at) as f64;
        let g = placement_group(&e.place, &e.provider).unwrap_or(4);
        st.looked_after_by.0[g] += 1;
        st.looked_after_by.1[route_of(&e.legal_status)] += 1;
        if let Some(d) = s.dob.get(&p.child) {
            let band = match age_at(*d, at) {
                ..=0 => 0,
                1..=4 => 1,
                5..=9 => 2,
                10..=15 => 3,
                _ => 4,
            };
            st.looked_after_by.2[band] += 1;
        }
        if let Some(id) = ids_903.get(&p.child) {
            in_care_ids.insert((*id).clone());
        }
    }
    st.looked_after = households.len() as u32;
    let mut rows: BTreeMap<(u8, String, Vec<u8>, u32, bool), u32> = BTreeMap::new();
    for (k, (mut ages, uasc)) in households_now {
        ages.sort_unstable();
        let youngest = u32::from(ages[0]);
        let months = whole_months(k.0, at).min(youngest * 12 + 11);
        let legal = care_legal_status(&k.5);
        let unaccompanied = uasc && ages.len() == 1 && legal == CareLegalStatus::Section20;
        for ages in households_of(ages) {
            let months = months.min(u32::from(ages[0]) * 12 + 11);
            *rows
                .entry((k.6, k.5.clone(), ages, months, unaccompanied))
                .or_insert(0) += 1;
        }
    }
    const PLACEMENTS: [CarePlacement; 4] = [
        CarePlacement::Kinship,
        CarePlacement::InHouseFoster,
        CarePlacement::AgencyFoster,
        CarePlacement::Residential,
    ];
    st.in_care = rows
        .into_iter()
        .map(
            |((p, ls, ages, months, unaccompanied), count)| CareHousehold {
                placement: PLACEMENTS[usize::from(p)],
                legal_status: care_legal_status(&ls),
                ages,
                months,
                unaccompanied,
                count,
            },
        )
        .collect();
    if st.children_looked_after > 0 {
        st.days_spent.1 = days_in_care / f64::from(st.children_looked_after);
    }
    // Children in need, by household.
    type Dates = Vec<(CivilDate, Option<CivilDate>)>;
    type Key = (CivilDate, Option<CivilDate>, bool, Dates, Dates, Dates);
    let mut groups: BTreeMap<Key, (u8, u32)> = BTreeMap::new();
    let mut looked_after_groups: BTreeSet<Key> = BTreeSet::new();
    // Children on a plan by group: their ages, and the plan's months.
    let mut on_plan: BTreeMap<Key, (Vec<u8>, u32)> = BTreeMap::new();
    let mut plan_days = 0.0;
    for e in &c.episodes {
        let open_now = e.referral <= at && e.closure.as_ref().is_none_or(|(d, _)| *d > at);
        if !open_now {
            continue;
        }
        let key = || -> Key {
            (
                e.referral,
                e.closure.as_ref().map(|(d, _)| *d),
                e.nfa,
                e.assessments.clone(),
                e.enquiries
                    .iter()
                    .map(|q| (q.start, q.conference))
                    .collect(),
                e.plans.clone(),
            )
        };
        if ids_cin
            .get(&e.child)
            .is_some_and(|id| in_care_ids.contains(*id))
        {
            // Its household is looked after (brothers and sisters left at
            // home by a child accommodated alone under section 20 are not
            // a household of their own in another stage).
            looked_after_groups.insert(key());
            continue;
        }
        let on_plan_now = e
            .plans
            .iter()
            .find(|(s0, end)| *s0 <= at && end.is_none_or(|d| d > at));
        let enquiry = e
            .enquiries
            .iter()
            .find(|q| q.start <= at && !q.not_required && q.conference.is_none_or(|c| c > at));
        let last_plan_end = e
            .plans
            .iter()
            .filter_map(|p| p.1)
            .filter(|d| *d <= at)
            .max();
        let stage = if let Some((start, _)) = on_plan_now {
            plan_days += start.days_until(at) as f64;
            4
        } else if let Some(q) = enquiry {
            if (q.start.days_until(at) as f64) < enquiry_days {
                2
            } else {
                3
            }
        } else if e
            .assessments
            .iter()
            .any(|(a, _)| *a <= at && last_plan_end.is_none_or(|end| *a >= end))
        {
            1
        } else if last_plan_end.is_some() {
            // A plan ended without stepping down (no family help since):
            // pre-proceedings, or proceedings with the child at home.
            5
        } else if e.nfa {
            continue;
        } else {
            0
        };
        let key = key();
        if let (4, Some((start, _))) = (stage, on_plan_now) {
            let g = on_plan
                .entry(key.clone())
                .or_insert_with(|| (Vec::new(), whole_months(*start, at)));
            g.0.push(caseload_age(e.dob.as_ref(), at));
        }
        let g = groups.entry(key).or_insert((stage, 0));
        g.1 += 1;
        if stage == 4 {
            st.children_on_plan += 1;
        }
    }
    // A group with a completed step (an assessment authorised, a
    // conference held, a plan ended) is one household: two families seldom
    // share all those days. A group with none (a referral and what started
    // with it, still going on) may be several families referred on one
    // day: it counts as its children over the mean household of the
    // others (rounded, at least one).
    let distinct = |k: &Key| {
        k.3.iter().any(|a| a.1.is_some())
            || k.4.iter().any(|q| q.1.is_some())
            || k.5.iter().any(|p| p.1.is_some())
    };
    let (mut kids, mut homes) = (0.0, 0.0);
    for (k, (_, n)) in &groups {
        if distinct(k) {
            kids += f64::from(*n);
            homes += 1.0;
        }
    }
    let mean = if homes >= THIN { kids / homes } else { 1.0 };
    let mut plan_rows: BTreeMap<(Vec<u8>, u32), u32> = BTreeMap::new();
    for (k, (stage, n)) in &groups {
        if looked_after_groups.contains(k) {
            continue;
        }
        let households = if distinct(k) {
            1
        } else {
            ((f64::from(*n) / mean).round() as u32).max(1)
        };
        if *stage == 4 {
            // Its children shared out among its households, by age.
            if let Some((ages, months)) = on_plan.get(k) {
                let mut ages = ages.clone();
                ages.sort_unstable();
                let n = households.max(1) as usize;
                for h in 0..n {
                    let mine: Vec<u8> = ages.iter().skip(h).step_by(n).copied().collect();
                    if mine.is_empty() {
                        continue;
                    }
                    for mine in households_of(mine) {
                        *plan_rows.entry((mine, *months)).or_insert(0) += 1;
                    }
                }
            }
        }
        let slot = match stage {
            0 => &mut st.waiting_for_help,
            1 => &mut st.in_family_help,
            2 => &mut st.in_enquiry,
            3 => &mut st.awaiting_conference,
            4 => &mut st.on_plan,
            _ => &mut st.pre_proceedings,
        };
        *slot += households;
    }
    st.plans = plan_rows
        .into_iter()
        .map(|((ages, months), count)| PlanHousehold {
            ages,
            months,
            count,
        })
        .collect();
    if st.children_on_plan > 0 {
        st.days_spent.0 = plan_days / f64::from(st.children_on_plan);
    }
    st
}

/// Households whose case closed on or before `at` (the day before the
/// start `start`), fewer than `horizon_months` whole months before `start`,
/// and who may be referred again: children whose latest CIN episode is
/// closed (none open, not looked after) and who are under 18 at `at`,
/// grouped into households by the episode's dates as [`stock_at`] groups
/// them (a group with no completed step counts as its children over the
/// mean household of the others). The closure group is the reason's:
/// `RC8`/`RC9` (after assessment, no further action or early help)
/// `no_action`; `RC7` (services ceased) `needs_unmet` for a child who left
/// care in the episode or a family never assessed (it left the waiting
/// list), otherwise `needs_met` with probability `need_met` (alternating
/// by a running sum, so the shares hold without a draw); other reasons
/// (adopted, orders, moved, 18) are not referred again.
pub fn closed_at(
    r: &Returns,
    at: CivilDate,
    start: CivilDate,
    horizon_months: u32,
    need_met: f64,
) -> Vec<ClosedHousehold> {
    let c = &r.cin;
    let s = &r.ssda903;
    let ids_cin: BTreeMap<u32, &String> = c.ids.by_number();
    let ids_903: BTreeMap<u32, &String> = s.ids.by_number();
    // Children looked after at `at`, and the days periods of care ended.
    let mut in_care: BTreeSet<&String> = BTreeSet::new();
    let mut left_care: BTreeMap<&String, Vec<CivilDate>> = BTreeMap::new();
    for p in &s.periods {
        let Some(id) = ids_903.get(&p.child) else {
            continue;
        };
        match &p.end {
            Some((d, _)) if *d <= at => left_care.entry(*id).or_default().push(*d),
            _ if p.start <= at => {
                in_care.insert(*id);
            }
            _ => {}
        }
    }
    // Each child's latest episode referred by `at`.
    let mut latest: BTreeMap<u32, &super::cin::Episode> = BTreeMap::new();
    for e in c.episodes.iter().filter(|e| e.referral <= at) {
        let slot = latest.entry(e.child).or_insert(e);
        if (e.referral, e.year) > (slot.referral, slot.year) {
            *slot = e;
        }
    }
    type Dates = Vec<(CivilDate, Option<CivilDate>)>;
    type Key = (CivilDate, CivilDate, String, bool, Dates, Dates, Dates);
    // By group: the children's ages, and the group's closure.
    let mut groups: BTreeMap<Key, (Vec<u8>, ClosureGroup, bool)> = BTreeMap::new();
    for (child, e) in latest {
        let Some((closed, code)) = &e.closure else {
            continue;
        };
        if *closed > at || whole_months(*closed, start) >= horizon_months {
            continue;
        }
        if e.dob.is_some_and(|d| age_at(d, at) >= 18) {
            continue;
        }
        let id = ids_cin.get(&child).copied();
        if id.is_some_and(|id| in_care.contains(id)) {
            continue;
        }
        let left = id
            .and_then(|id| left_care.get(id))
            .is_some_and(|ends| ends.iter().any(|d| *d >= e.referral && d <= closed));
        let assessed = !e.assessments.is_empty();
        let (group, split) = match code.trim().to_ascii_uppercase().as_str() {
            "RC8" | "RC9" => (ClosureGroup::NoAction, false),
            "RC7" if left || !assessed => (ClosureGroup::NeedsUnmet, false),
            "RC7" => (ClosureGroup::NeedsMet, true),
            _ => continue,
        };
        let key = (
            e.referral,
            *closed,
            code.clone(),
            e.nfa,
            e.assessments.clone(),
            e.enquiries
                .iter()
                .map(|q| (q.start, q.conference))
                .collect(),
            e.plans.clone(),
        );
        let g = groups.entry(key).or_insert((Vec::new(), group, split));
        g.0.push(caseload_age(e.dob.as_ref(), at));
    }
    let distinct = |k: &Key| {
        k.4.iter().any(|a| a.1.is_some())
            || k.5.iter().any(|q| q.1.is_some())
            || k.6.iter().any(|p| p.1.is_some())
    };
    let (mut kids, mut homes) = (0.0, 0.0);
    for (k, (ages, _, _)) in &groups {
        if distinct(k) {
            kids += ages.len() as f64;
            homes += 1.0;
        }
    }
    let mean = if homes >= THIN { kids / homes } else { 1.0 };
    let mut rows: BTreeMap<(Vec<u8>, u32, u8), u32> = BTreeMap::new();
    let mut unmet = 0.0;
    for (k, (mut ages, group, split)) in groups {
        let months = whole_months(k.1, start);
        let n = if distinct(&k) {
            1
        } else {
            ((ages.len() as f64 / mean).round() as usize).max(1)
        };
        ages.sort_unstable();
        for h in 0..n {
            let mine: Vec<u8> = ages.iter().skip(h).step_by(n).copied().collect();
            if mine.is_empty() {
                continue;
            }
            let mut group = group;
            if split {
                unmet += 1.0 - need_met;
                if unmet >= 0.5 {
                    unmet -= 1.0;
                    group = ClosureGroup::NeedsUnmet;
                }
            }
            for mine in households_of(mine) {
                *rows.entry((mine, months, group as u8)).or_insert(0) += 1;
            }
        }
    }
    const GROUPS: [ClosureGroup; 3] = [
        ClosureGroup::NoAction,
        ClosureGroup::NeedsMet,
        ClosureGroup::NeedsUnmet,
    ];
    rows.into_iter()
        .map(|((ages, months, g), count)| ClosedHousehold {
            ages,
            months,
            closure: GROUPS[usize::from(g)],
            count,
        })
        .collect()
}

/// A 95% interval for a share `k` of `n` (Wilson).
pub fn share_interval(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z = 1.96;
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// A 95% interval for a Poisson count `n` as a factor of it (low, high).
pub fn count_factor(n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, f64::INFINITY);
    }
    let h = 1.96 / n.sqrt();
    ((1.0 - h).max(0.0), 1.0 + h)
}

/// The calibrated parameters, each paired with the observed figure it is
/// moved to match.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Calibrated {
    /// `area.new_referrals_per_10k_children`.
    pub new_referrals: f64,
    /// The factor on the three re-referral probabilities (in odds).
    pub rereferral_odds: f64,
    /// `families.significant_harm_threshold`.
    pub threshold: f64,
    /// `child_protection.conference_probability_at_risk`.
    pub conference: f64,
    /// `proceedings.issue_probability`.
    pub issue: f64,
    /// `care.emergency_probability_at_risk`.
    pub emergency: f64,
    /// The factor on the four section 20 probabilities (in odds).
    pub voluntary_odds: f64,
    /// `care.years_in_care_mean`.
    pub years_in_care: f64,
    /// `care.exit`: special guardianship and adoption, relative to reunification.
    pub exit_sg: f64,
    /// See `exit_sg`.
    pub exit_adoption: f64,
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn odds_scaled(p: f64, factor: f64) -> f64 {
    logistic(logit(p) + factor.ln())
}

impl Calibrated {
    /// The base scenario's values.
    pub fn of(s: &Scenario) -> Calibrated {
        Calibrated {
            new_referrals: s.area.new_referrals_per_10k_children.get(),
            rereferral_odds: 1.0,
            threshold: s.families.significant_harm_threshold.get(),
            conference: s.child_protection.conference_probability_at_risk.get(),
            issue: s.proceedings.issue_probability.get(),
            emergency: s.care.emergency_probability_at_risk.get(),
            voluntary_odds: 1.0,
            years_in_care: s.care.years_in_care_mean.get(),
            exit_sg: s.care.exit.special_guardianship.get() / s.care.exit.reunification.get(),
            exit_adoption: s.care.exit.adoption.get() / s.care.exit.reunification.get(),
        }
    }

    /// Sets them on `s` (its base values for the factors).
    pub fn apply(&self, base: &Scenario, s: &mut Scenario) {
        s.area.new_referrals_per_10k_children = NonNegative(self.new_referrals);
        let r = &base.rereferral;
        s.rereferral.within_12_months_after_no_action = Probability(odds_scaled(
            r.within_12_months_after_no_action.get(),
            self.rereferral_odds,
        ));
        s.rereferral.within_12_months_after_needs_met = Probability(odds_scaled(
            r.within_12_months_after_needs_met.get(),
            self.rereferral_odds,
        ));
        s.rereferral.within_12_months_after_needs_unmet = Probability(odds_scaled(
            r.within_12_months_after_needs_unmet.get(),
            self.rereferral_odds,
        ));
        s.families.significant_harm_threshold = Probability(self.threshold);
        s.child_protection.conference_probability_at_risk = Probability(self.conference);
        s.proceedings.issue_probability = Probability(self.issue);
        s.care.emergency_probability_at_risk = Probability(self.emergency);
        let v = &base.care;
        let f = self.voluntary_odds;
        s.care.voluntary_when_needs_unmet.under_13 =
            Probability(odds_scaled(v.voluntary_when_needs_unmet.under_13.get(), f));
        s.care.voluntary_when_needs_unmet.teenagers =
            Probability(odds_scaled(v.voluntary_when_needs_unmet.teenagers.get(), f));
        s.care.voluntary_at_plan_end.under_13 =
            Probability(odds_scaled(v.voluntary_at_plan_end.under_13.get(), f));
        s.care.voluntary_at_plan_end.teenagers =
            Probability(odds_scaled(v.voluntary_at_plan_end.teenagers.get(), f));
        s.care.years_in_care_mean = Positive(self.years_in_care);
        if let Some(vy) = base.care.voluntary_years_in_care_mean {
            s.care.voluntary_years_in_care_mean = Some(Positive(
                vy.get() * self.years_in_care / base.care.years_in_care_mean.get(),
            ));
        }
        let reun = base.care.exit.reunification.get();
        s.care.exit.special_guardianship = NonNegative(self.exit_sg * reun);
        s.care.exit.adoption = NonNegative(self.exit_adoption * reun);
    }
}

/// A calibration figure: its name, the returns' value and the runs' (None: too few).
pub type Figure = (&'static str, Option<f64>, Option<f64>);

/// What each calibration target is.
pub const TARGET_NAMES: [&str; 10] = [
    "referrals of children per 10,000 a year",
    "share of referrals within 12 months of the last",
    "section 47 enquiries per 10,000 a year",
    "initial conferences per enquiry",
    "entries under a care order per 10,000 a year",
    "emergency entries per 10,000 a year",
    "section 20 entries per 10,000 a year",
    "looked after at 31 March per 10,000",
    "special guardianship share of exits",
    "adoption share of exits",
];

/// The figures calibration matches, from a set of observations (None: too
/// few to match, the default kept).
fn targets(o: &Observed, children: u64) -> [Option<f64>; 10] {
    let per10k = |c: &Count| c.per_year() / children as f64 * 10_000.0;
    let enough = |n: f64| (n >= THIN).then_some(());
    let exits: f64 = o.exits.iter().sum();
    [
        enough(o.referrals.n).map(|_| per10k(&o.referrals)),
        enough(o.rereferrals).map(|_| o.rereferrals / o.rereferral_base),
        enough(o.s47.n).map(|_| per10k(&o.s47)),
        enough(o.conferences.n).map(|_| o.conferences.n / o.s47.n),
        enough(o.entries[0].n).map(|_| per10k(&o.entries[0])),
        enough(o.entries[1].n).map(|_| per10k(&o.entries[1])),
        enough(o.entries[2].n).map(|_| per10k(&o.entries[2])),
        enough(o.looked_after.0).map(|_| o.looked_after.0 / children as f64 * 10_000.0),
        enough(o.exits[1]).map(|_| o.exits[1] / exits),
        enough(o.exits[2]).map(|_| o.exits[2] / exits),
    ]
}

/// Runs `s` and reads its returns back as an authority's.
fn simulate(s: &Scenario, seed: u64) -> Result<Observed, String> {
    let text = toml::to_string(s).map_err(|e| e.to_string())?;
    let input = ScenarioInput {
        scenario: s.clone(),
        text,
        source: "calibration".into(),
    };
    let mut log = Vec::new();
    crate::analysis::run::run(&input, seed, Some(&mut log)).map_err(|e| e.to_string())?;
    let ret = ExportReturns::from_log(&log[..]).map_err(|e| e.to_string())?;
    let mut r = Returns::default();
    for (year, first, last) in &ret.years {
        let y = super::year_in_name(year).unwrap_or(CollectionYear(0));
        let (header, episodes) = ret.ssda903(*first, *last);
        let xml = ret.cin_xml(year, *first, *last);
        let mut p = super::Problems::default();
        for (name, text) in [("header.csv", header), ("episodes.csv", episodes)] {
            if let Ok((kind, year, rows)) =
                super::ssda903::read(text.as_bytes(), name, Some(y), &mut r.ssda903, &mut p)
            {
                r.found.push(super::Found {
                    path: name.into(),
                    kind,
                    year,
                    rows,
                });
            }
        }
        if let Ok((year, rows)) =
            super::cin::read(xml.as_bytes(), "cin.xml", Some(y), &mut r.cin, &mut p)
        {
            r.found.push(super::Found {
                path: "cin.xml".into(),
                kind: super::Kind::Cin,
                year,
                rows,
            });
        }
    }
    r.ssda903.settle();
    r.cin.settle();
    Ok(observe(&r))
}

/// How calibration runs the scenario.
#[derive(Copy, Clone, Debug)]
pub struct Calibration {
    /// Rounds of adjustment.
    pub rounds: u32,
    /// Runs (seeds) a round, pooled.
    pub runs: u32,
    /// Years each run measures (after its burn-in).
    pub years: u32,
    /// Children in the calibration runs at least (rates per 10,000 do not
    /// depend on it; staff and places scale with it).
    pub min_children: u64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            rounds: 8,
            runs: 1,
            years: 10,
            min_children: 50_000,
        }
    }
}

/// Scales the base scenario's staff and budgets to an area of `children`.
pub fn scale_area(s: &mut Scenario, children: u64) {
    let f = children as f64 / s.area.children.max(1) as f64;
    s.area.children = children;
    s.scale_staff_and_budgets(|x| x * f);
}

/// Sets the rates the returns show directly on `s`.
pub fn set_direct(o: &Observed, s: &mut Scenario) {
    if let Some(u) = o.unaccompanied.filter(|u| u.years > 0.0) {
        s.care.unaccompanied_per_10k_children_per_year = NonNegative(round3(
            u.per_year() / s.area.children.max(1) as f64 * 10_000.0,
        ));
    }
    if o.conferences.n >= THIN {
        s.child_protection.plan_probability =
            Probability((o.plans.n / o.conferences.n).clamp(0.0, 1.0));
    }
    if o.plan_lengths.iter().sum::<f64>() >= THIN {
        let w = o.plan_lengths;
        let p = &mut s.child_protection.plan_length;
        p.up_to_3_months = NonNegative(w[0]);
        p.from_3_to_6_months = NonNegative(w[1]);
        p.from_6_to_12_months = NonNegative(w[2]);
        p.from_1_to_2_years = NonNegative(w[3]);
        p.over_2_years = NonNegative(w[4]);
        let total: f64 = w.iter().sum();
        for x in [
            &mut p.up_to_3_months,
            &mut p.from_3_to_6_months,
            &mut p.from_6_to_12_months,
            &mut p.from_1_to_2_years,
            &mut p.over_2_years,
        ] {
            *x = NonNegative(round3(x.get() / total));
        }
    }
    if o.assessments.0 >= THIN && o.assessments.1 > 0.0 {
        s.family_help.assessment_working_days_mean =
            Positive(round1(o.assessments.1 * 5.0 / 7.0).max(0.1));
    }
    if o.to_conference.0 >= THIN && o.to_conference.1 > 0.0 {
        // The enquiry and the wait for the conference, in the base's proportion.
        let cp = &s.child_protection;
        let (e, c) = (
            cp.enquiry_working_days_mean.get(),
            cp.conference_working_days_mean.get(),
        );
        let f = o.to_conference.1 * 5.0 / 7.0 / (e + c);
        s.child_protection.enquiry_working_days_mean = Positive(round1(e * f).max(0.1));
        s.child_protection.conference_working_days_mean = Positive(round1(c * f).max(0.1));
    }
    for (teen, shares) in [
        (0, &mut s.care.placement),
        (1, &mut s.care.placement_teenagers),
    ] {
        let w = o.placed[teen];
        let n: f64 = w.iter().sum();
        if n >= THIN {
            shares.kinship = NonNegative(round3(w[0] / n));
            shares.in_house_foster = NonNegative(round3(w[1] / n));
            shares.agency_foster = NonNegative(round3(w[2] / n));
            shares.residential = NonNegative(round3(w[3] / n));
        }
    }
    if let Some(p) = s.placements.as_mut() {
        let rates = &mut p.moves_per_year;
        for (g, r) in [
            &mut rates.kinship,
            &mut rates.in_house_foster,
            &mut rates.agency_foster,
            &mut rates.residential,
        ]
        .into_iter()
        .enumerate()
        {
            let (moves, years) = o.moves[g];
            if moves >= THIN && years > 0.0 {
                *r = NonNegative(round3(moves / years));
            }
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Calibrates the latent rates of `base` (already scaled and with its
/// direct rates set) to `o`: returns the averaged parameters and what the
/// last round's runs showed.
pub fn calibrate(
    base: &Scenario,
    o: &Observed,
    children: u64,
    how: Calibration,
    progress: &mut dyn FnMut(u32, &[Figure]),
) -> Result<(Calibrated, Observed), String> {
    let target = targets(o, children);
    let mut sim_base = base.clone();
    let sim_children = children.max(how.min_children);
    scale_area(&mut sim_base, sim_children);
    sim_base.years = how.years;
    sim_base.starting_caseload = None;
    sim_base.policy.clear();
    let mut c = Calibrated::of(base);
    let mut history: Vec<Calibrated> = Vec::new();
    let mut last = Observed::default();
    for round in 0..how.rounds {
        let mut s = sim_base.clone();
        c.apply(base, &mut s);
        let mut pooled: Option<Observed> = None;
        for k in 0..how.runs {
            let run = simulate(&s, 1 + u64::from(k) * 7919 + u64::from(round) * 104_729)?;
            pooled = Some(match pooled {
                None => run,
                Some(p) => pool(p, run),
            });
        }
        let sim = pooled.unwrap_or_default();
        let got = targets(&sim, sim_children);
        let shown: Vec<(&'static str, Option<f64>, Option<f64>)> = TARGET_NAMES
            .iter()
            .zip(target.iter().zip(got.iter()))
            .map(|(n, (t, g))| (*n, *t, *g))
            .collect();
        progress(round, &shown);
        last = sim;
        // Move each parameter by the log-ratio of target to run, over an
        // assumed elasticity (kept small enough not to overshoot).
        let step = |x: f64, t: Option<f64>, g: Option<f64>, e: f64| -> f64 {
            match (t, g) {
                (Some(t), Some(g)) if t > 0.0 && g > 0.0 => x + ((t / g).ln() / e).clamp(-1.0, 1.0),
                (Some(t), None) if t > 0.0 => x + 0.5_f64.copysign(e),
                _ => x,
            }
        };
        c.new_referrals = step(c.new_referrals.ln(), target[0], got[0], 1.0).exp();
        c.rereferral_odds = step(c.rereferral_odds.ln(), target[1], got[1], 1.0).exp();
        c.threshold = logistic(step(logit(c.threshold), target[2], got[2], -1.5));
        c.conference = logistic(step(logit(c.conference), target[3], got[3], 1.2));
        c.issue = logistic(step(logit(c.issue), target[4], got[4], 0.8));
        c.emergency = logistic(step(logit(c.emergency), target[5], got[5], 1.2));
        c.voluntary_odds = step(c.voluntary_odds.ln(), target[6], got[6], 1.0).exp();
        c.years_in_care = step(c.years_in_care.ln(), target[7], got[7], 0.8).exp();
        c.exit_sg = step(c.exit_sg.ln(), target[8], got[8], 1.2).exp();
        c.exit_adoption = step(c.exit_adoption.ln(), target[9], got[9], 1.2).exp();
        c.years_in_care = c.years_in_care.clamp(0.1, 30.0);
        c.new_referrals = c.new_referrals.clamp(0.01, 10_000.0);
        history.push(c);
    }
    // The mean of the last half of the rounds (in the parameters' own
    // scales): each round's runs are noisy, the mean less so.
    let tail = &history[history.len() / 2..];
    if tail.is_empty() {
        return Ok((c, last));
    }
    let n = tail.len() as f64;
    let mean = |f: &dyn Fn(&Calibrated) -> f64| tail.iter().map(f).sum::<f64>() / n;
    Ok((
        Calibrated {
            new_referrals: mean(&|c| c.new_referrals),
            rereferral_odds: mean(&|c| c.rereferral_odds),
            threshold: mean(&|c| c.threshold),
            conference: mean(&|c| c.conference),
            issue: mean(&|c| c.issue),
            emergency: mean(&|c| c.emergency),
            voluntary_odds: mean(&|c| c.voluntary_odds),
            years_in_care: mean(&|c| c.years_in_care),
            exit_sg: mean(&|c| c.exit_sg),
            exit_adoption: mean(&|c| c.exit_adoption),
        },
        last,
    ))
}

/// Two runs' observations as one (counts add; years add).
fn pool(a: Observed, b: Observed) -> Observed {
    let add = |x: Count, y: Count| Count {
        n: x.n + y.n,
        years: x.years + y.years,
    };
    let mut o = a.clone();
    o.referrals = add(a.referrals, b.referrals);
    o.rereferral_base += b.rereferral_base;
    o.rereferrals += b.rereferrals;
    o.s47 = add(a.s47, b.s47);
    o.conferences = add(a.conferences, b.conferences);
    o.plans = add(a.plans, b.plans);
    for i in 0..3 {
        o.entries[i] = add(a.entries[i], b.entries[i]);
        o.exits[i] += b.exits[i];
    }
    o.looked_after = (
        (a.looked_after.0 * a.looked_after.1 + b.looked_after.0 * b.looked_after.1)
            / (a.looked_after.1 + b.looked_after.1).max(1.0),
        a.looked_after.1 + b.looked_after.1,
    );
    o
}

/// A line's comment for a rate from a count `n` over `years`.
fn from_count(what: &str, n: f64, years: &[CollectionYear]) -> String {
    let (lo, hi) = count_factor(n);
    format!(
        "estimated from {n:.0} {what} in {} (95% interval x{lo:.2} to x{hi:.2})",
        span(years)
    )
}

fn span(years: &[CollectionYear]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("{a} to {b} ({} years)", years.len()),
        _ => "no year".into(),
    }
}

/// What the import wrote, for the command's summary.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The scenario's text.
    pub text: String,
    /// What the returns showed.
    pub observed: Observed,
    /// The starting caseload.
    pub stock: Stock,
    /// Lines that kept the default's value for want of data.
    pub defaults_kept: Vec<String>,
}

/// Replaces the value of `key` in section `section` of a scenario text
/// (one line `key = value # comment`), with a new comment.
fn set_line(text: &mut String, section: &str, key: &str, value: &str, comment: &str) -> bool {
    let mut out = String::with_capacity(text.len() + 200);
    let mut current = String::new();
    let mut done = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').to_string();
            current = current.split(']').next().unwrap_or("").to_string();
        }
        let is_key = t
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == key && !t.starts_with('#'));
        if !done && current == section && is_key {
            let _ = writeln!(out, "{key} = {value}    # {comment}");
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    *text = out;
    done
}

fn shares_inline(names: &[&str], values: &[f64]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n} = {}", round4(*v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// Writes the scenario: the built-in default's text with the estimated
/// lines replaced (each with its comment), the area's size, the start at
/// `at`, no burn-in, and the starting caseload. Unless `calibrated`, the
/// lines calibration sets say the default was kept.
pub fn write_scenario(
    base_text: &str,
    s: &Scenario,
    o: &Observed,
    stock: &Stock,
    at: CivilDate,
    years: u32,
    calibrated: bool,
) -> Result<(String, Vec<String>), String> {
    let name = "Imported from the authority's returns";
    let mut t = base_text.to_string();
    let mut kept = Vec::new();
    let cy = &o.cin_years;
    let sy = &o.ssda903_years;
    let default = Scenario::default_scenario();
    let set = |t: &mut String, sec: &str, key: &str, value: String, comment: String| {
        if !set_line(t, sec, key, &value, &comment) {
            return Err(format!("the base scenario has no line {sec}.{key}"));
        }
        Ok(())
    };
    let mut header = String::new();
    let _ = writeln!(
        header,
        "# Written by `familyflow import` {}.",
        crate::VERSION
    );
    let _ = writeln!(
        header,
        "# Estimated from the authority's returns: CIN census {}; SSDA903 {}.",
        span(cy),
        span(sy)
    );
    let _ = writeln!(
        header,
        "# Only aggregates were read out of them: no child's identifier, date of birth or"
    );
    let _ = writeln!(
        header,
        "# postcode is in this file. Lines marked \"estimated\" come from the returns;"
    );
    let _ = writeln!(
        header,
        "# the rest are the built-in default scenario's (England's rates and assumptions)."
    );
    let _ = writeln!(header, "#");
    // The default's own opening comment describes the default area: left out.
    let body: String = t
        .lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let _ = writeln!(header);
    t = format!("{header}{body}");
    set(
        &mut t,
        "",
        "name",
        format!("{name:?}"),
        "from `familyflow import`".into(),
    )?;
    set(
        &mut t,
        "",
        "description",
        format!(
            "\"Calibrated from the authority's returns ({} CIN, {} SSDA903)\"",
            span(cy),
            span(sy)
        ),
        "from `familyflow import`".into(),
    )?;
    set(
        &mut t,
        "",
        "start",
        at.to_string(),
        "the starting caseload's date (--at)".into(),
    )?;
    set(
        &mut t,
        "",
        "years",
        years.to_string(),
        "length of the run".into(),
    )?;
    set(
        &mut t,
        "",
        "burn_in_years",
        "0".into(),
        "none: the run starts from the starting caseload counted in the returns".into(),
    )?;
    // Bank holidays: the default's, from the start on.
    let holidays: Vec<String> = s
        .bank_holidays
        .iter()
        .filter(|d| **d >= at)
        .map(|d| d.to_string())
        .collect();
    t = replace_array(&t, "bank_holidays", &holidays);
    set(
        &mut t,
        "area",
        "children",
        s.area.children.to_string(),
        "--children: the authority's children under 18".into(),
    )?;
    let children = s.area.children as f64;
    // Direct rates.
    let n = o.referrals.n;
    let cal_comment =
        |what: &str, n: f64, years: &[CollectionYear], kept: &mut Vec<String>, key: &str| {
            if !calibrated {
                kept.push(key.to_string());
                format!("default kept: not calibrated (--rounds 0); the returns show {n:.0} {what}")
            } else if n >= THIN {
                format!(
                    "estimated: calibrated so that runs show the returns' {what}; {}",
                    from_count(what, n, years)
                )
            } else {
                kept.push(key.to_string());
                format!("default kept: only {n:.0} {what} in the returns (fewer than {THIN:.0})")
            }
        };
    let v = cal_comment(
        "referrals",
        n,
        cy,
        &mut kept,
        "area.new_referrals_per_10k_children",
    );
    set(
        &mut t,
        "area",
        "new_referrals_per_10k_children",
        round3(s.area.new_referrals_per_10k_children.get()).to_string(),
        format!(
            "{v}: {:.0} referrals of children per 10,000 a year",
            o.referrals.per_year() / children * 10_000.0
        ),
    )?;
    let rr = o.rereferrals / o.rereferral_base.max(1.0);
    let (lo, hi) = share_interval(o.rereferrals, o.rereferral_base);
    for key in [
        "within_12_months_after_no_action",
        "within_12_months_after_needs_met",
        "within_12_months_after_needs_unmet",
    ] {
        let value = match key {
            "within_12_months_after_no_action" => {
                s.rereferral.within_12_months_after_no_action.get()
            }
            "within_12_months_after_needs_met" => {
                s.rereferral.within_12_months_after_needs_met.get()
            }
            _ => s.rereferral.within_12_months_after_needs_unmet.get(),
        };
        let comment = if o.rereferrals >= THIN {
            format!(
                "estimated: the default's split scaled so that runs show the returns' re-referrals within 12 months, {:.1}% of {:.0} referrals (95% interval {:.1}% to {:.1}%)",
                rr * 100.0,
                o.rereferral_base,
                lo * 100.0,
                hi * 100.0
            )
        } else {
            kept.push(format!("rereferral.{key}"));
            format!(
                "default kept: only {:.0} re-referrals within 12 months in the returns",
                o.rereferrals
            )
        };
        set(
            &mut t,
            "rereferral",
            key,
            round4(value).to_string(),
            comment,
        )?;
    }
    let v = cal_comment(
        "section 47 enquiries",
        o.s47.n,
        cy,
        &mut kept,
        "families.significant_harm_threshold",
    );
    set(
        &mut t,
        "families",
        "significant_harm_threshold",
        round4(s.families.significant_harm_threshold.get()).to_string(),
        format!(
            "{v}: {:.0} per 10,000 children a year",
            o.s47.per_year() / children * 10_000.0
        ),
    )?;
    let (lo, hi) = share_interval(o.conferences.n, o.s47.n);
    let v = cal_comment(
        "initial conferences",
        o.conferences.n,
        cy,
        &mut kept,
        "child_protection.conference_probability_at_risk",
    );
    set(
        &mut t,
        "child_protection",
        "conference_probability_at_risk",
        round4(s.child_protection.conference_probability_at_risk.get()).to_string(),
        format!(
            "{v}: {:.1}% of enquiries (95% interval {:.1}% to {:.1}%)",
            100.0 * o.conferences.n / o.s47.n.max(1.0),
            lo * 100.0,
            hi * 100.0
        ),
    )?;
    let (lo, hi) = share_interval(o.plans.n, o.conferences.n);
    let comment = if o.conferences.n >= THIN {
        format!(
            "estimated: {:.0} plans from {:.0} initial conferences in {} (95% interval {:.3} to {:.3})",
            o.plans.n,
            o.conferences.n,
            span(cy),
            lo,
            hi
        )
    } else {
        kept.push("child_protection.plan_probability".into());
        format!(
            "default kept: only {:.0} conferences in the returns",
            o.conferences.n
        )
    };
    set(
        &mut t,
        "child_protection",
        "plan_probability",
        round4(s.child_protection.plan_probability.get()).to_string(),
        comment,
    )?;
    let ended: f64 = o.plan_lengths.iter().sum();
    let p = &s.child_protection.plan_length;
    let comment = if ended >= THIN {
        format!(
            "estimated: lengths of {ended:.0} plans that ended in {} (each share within about ±{:.1} points, 95%)",
            span(cy),
            196.0 * (0.25 / ended).sqrt()
        )
    } else {
        kept.push("child_protection.plan_length".into());
        format!("default kept: only {ended:.0} plans ended in the returns")
    };
    set(
        &mut t,
        "child_protection",
        "plan_length",
        shares_inline(
            &[
                "up_to_3_months",
                "from_3_to_6_months",
                "from_6_to_12_months",
                "from_1_to_2_years",
                "over_2_years",
            ],
            &p.weights(),
        ),
        comment,
    )?;
    let comment = if o.assessments.0 >= THIN {
        format!(
            "estimated: mean of {:.0} assessments completed in {}, {:.1} days (x5/7 for working days)",
            o.assessments.0,
            span(cy),
            o.assessments.1
        )
    } else {
        kept.push("family_help.assessment_working_days_mean".into());
        format!(
            "default kept: only {:.0} completed assessments in the returns",
            o.assessments.0
        )
    };
    set(
        &mut t,
        "family_help",
        "assessment_working_days_mean",
        s.family_help.assessment_working_days_mean.get().to_string(),
        comment,
    )?;
    for key in ["enquiry_working_days_mean", "conference_working_days_mean"] {
        let value = if key == "enquiry_working_days_mean" {
            s.child_protection.enquiry_working_days_mean.get()
        } else {
            s.child_protection.conference_working_days_mean.get()
        };
        let comment = if o.to_conference.0 >= THIN {
            format!(
                "estimated: {:.1} days on average from an enquiry's start to its conference ({:.0} conferences in {}), split as the default splits it",
                o.to_conference.1,
                o.to_conference.0,
                span(cy)
            )
        } else {
            kept.push(format!("child_protection.{key}"));
            format!(
                "default kept: only {:.0} conferences in the returns",
                o.to_conference.0
            )
        };
        set(&mut t, "child_protection", key, value.to_string(), comment)?;
    }
    // Care.
    let per10k = |c: &Count| c.per_year() / children * 10_000.0;
    let v = cal_comment(
        "entries to care under an interim or full care order",
        o.entries[0].n,
        sy,
        &mut kept,
        "proceedings.issue_probability",
    );
    set(
        &mut t,
        "proceedings",
        "issue_probability",
        round4(s.proceedings.issue_probability.get()).to_string(),
        format!(
            "{v}: {:.1} per 10,000 children a year",
            per10k(&o.entries[0])
        ),
    )?;
    let v = cal_comment(
        "entries under police protection or an emergency protection order",
        o.entries[1].n,
        sy,
        &mut kept,
        "care.emergency_probability_at_risk",
    );
    set(
        &mut t,
        "care",
        "emergency_probability_at_risk",
        round4(s.care.emergency_probability_at_risk.get()).to_string(),
        format!(
            "{v}: {:.1} per 10,000 children a year",
            per10k(&o.entries[1])
        ),
    )?;
    let v = cal_comment(
        "entries under section 20",
        o.entries[2].n,
        sy,
        &mut kept,
        "care.voluntary_*",
    );
    let va = &s.care.voluntary_when_needs_unmet;
    set(
        &mut t,
        "care",
        "voluntary_when_needs_unmet",
        format!(
            "{{ under_13 = {}, teenagers = {} }}",
            round4(va.under_13.get()),
            round4(va.teenagers.get())
        ),
        format!(
            "{v}: {:.1} per 10,000 children a year (the default's split by age and route scaled)",
            per10k(&o.entries[2])
        ),
    )?;
    let vb = &s.care.voluntary_at_plan_end;
    set(
        &mut t,
        "care",
        "voluntary_at_plan_end",
        format!(
            "{{ under_13 = {}, teenagers = {} }}",
            round4(vb.under_13.get()),
            round4(vb.teenagers.get())
        ),
        "estimated with the line above".into(),
    )?;
    let v = cal_comment(
        "children looked after at 31 March (mean)",
        o.looked_after.0,
        sy,
        &mut kept,
        "care.years_in_care_mean",
    );
    set(
        &mut t,
        "care",
        "years_in_care_mean",
        round3(s.care.years_in_care_mean.get()).to_string(),
        format!(
            "{v}: {:.1} per 10,000 children",
            o.looked_after.0 / children * 10_000.0
        ),
    )?;
    if let Some(vy) = s.care.voluntary_years_in_care_mean {
        set(
            &mut t,
            "care",
            "voluntary_years_in_care_mean",
            round3(vy.get()).to_string(),
            "estimated: the default's ratio to years_in_care_mean".into(),
        )?;
    }
    let exits: f64 = o.exits.iter().sum();
    let comment = if exits >= THIN {
        let (a, b) = share_interval(o.exits[1], exits);
        let (c2, d) = share_interval(o.exits[2], exits);
        format!(
            "estimated: calibrated to {exits:.0} ways out before 18 in {}: home {:.0}, special guardianship or child arrangements {:.0} ({:.0}% to {:.0}%), adoption {:.0} ({:.0}% to {:.0}%, 95%)",
            span(sy), o.exits[0], o.exits[1], a * 100.0, b * 100.0, o.exits[2], c2 * 100.0, d * 100.0
        )
    } else {
        kept.push("care.exit".into());
        format!("default kept: only {exits:.0} ways out before 18 in the returns")
    };
    let e = &s.care.exit;
    set(
        &mut t,
        "care",
        "exit",
        shares_inline(
            &["reunification", "special_guardianship", "adoption"],
            &[
                e.reunification.get(),
                e.special_guardianship.get(),
                e.adoption.get(),
            ],
        ),
        comment,
    )?;
    for (teen, key) in [(0, "placement"), (1, "placement_teenagers")] {
        let w = o.placed[teen];
        let n: f64 = w.iter().sum();
        let sh = if teen == 0 {
            &s.care.placement
        } else {
            &s.care.placement_teenagers
        };
        let comment = if n >= THIN {
            format!(
                "estimated: placements at entry of {n:.0} children {} in {} (kin U1-U3, own foster carers U4-U6 PR1-PR3, agency U4-U6 other providers, children's homes K1/K2/R1/R2; each share within about ±{:.1} points, 95%)",
                if teen == 0 { "under 13" } else { "13 or over" },
                span(sy),
                196.0 * (0.25 / n).sqrt()
            )
        } else {
            kept.push(format!("care.{key}"));
            format!("default kept: only {n:.0} entries in the returns")
        };
        set(
            &mut t,
            "care",
            key,
            shares_inline(
                &["kinship", "in_house_foster", "agency_foster", "residential"],
                &sh.weights(),
            ),
            comment,
        )?;
    }
    let comment = match o.unaccompanied {
        Some(u) => format!(
            "estimated: {:.0} entries of children in the UASC table in {}{}",
            u.n,
            span(sy),
            if u.n >= THIN {
                let (lo, hi) = count_factor(u.n);
                format!(" (95% interval x{lo:.2} to x{hi:.2})")
            } else {
                " (few: a wide interval)".to_string()
            }
        ),
        None => {
            kept.push("care.unaccompanied_per_10k_children_per_year".into());
            "default kept: no SSDA903 UASC table in the returns".to_string()
        }
    };
    set(
        &mut t,
        "care",
        "unaccompanied_per_10k_children_per_year",
        round3(s.care.unaccompanied_per_10k_children_per_year.get()).to_string(),
        comment,
    )?;
    let a = o.entry_ages;
    let _ = writeln!(
        t,
        "# (Entries to care in the returns by age at entry: under 1 {:.0}, 1-4 {:.0}, 5-9 {:.0}, 10-15 {:.0}, 16-17 {:.0};",
        a[0], a[1], a[2], a[3], a[4]
    );
    let _ = writeln!(
        t,
        "# the model's ages follow families.age_of_youngest and infant_risk_weight, not estimated here.)"
    );
    if let Some(p) = &s.placements {
        let m = &p.moves_per_year;
        let moves: f64 = o.moves.iter().map(|m| m.0).sum();
        let years: f64 = o.moves.iter().map(|m| m.1).sum();
        let comment = format!(
            "estimated where 20 moves or more: {moves:.0} placement moves (RNE P or B) in {years:.0} child-years in care in {}; otherwise the default",
            span(sy)
        );
        set(
            &mut t,
            "placements",
            "moves_per_year",
            shares_inline(
                &["kinship", "in_house_foster", "agency_foster", "residential"],
                &[
                    m.kinship.get(),
                    m.in_house_foster.get(),
                    m.agency_foster.get(),
                    m.residential.get(),
                ],
            ),
            comment,
        )?;
    }
    // Staff and budgets scale with the area.
    let f = s.area.children as f64 / default.area.children as f64;
    for (sec, key, v) in [
        ("triage", "fte", s.triage.fte.get()),
        ("family_help", "fte", s.family_help.fte.get()),
        ("child_protection", "fte", s.child_protection.fte.get()),
        (
            "family_network",
            "coordinators_fte",
            s.family_network.coordinators_fte.get(),
        ),
    ] {
        set(
            &mut t,
            sec,
            key,
            round1(v).to_string(),
            format!("the default's, scaled to the area (x{f:.3}): the returns hold no staff"),
        )?;
    }
    for (key, line) in [
        ("family_help", &s.budget.family_help),
        ("fgdm", &s.budget.fgdm),
        ("fnsp", &s.budget.fnsp),
        ("placements", &s.budget.placements),
        ("workforce", &s.budget.workforce),
    ] {
        let when = match line.when_spent {
            crate::model::scenario::WhenSpent::Ration => "ration",
            crate::model::scenario::WhenSpent::Overspend => "overspend",
        };
        set(
            &mut t,
            "budget",
            key,
            format!(
                "{{ pounds_per_year = {}, when_spent = \"{when}\" }}",
                line.pounds_per_year.get().round()
            ),
            format!("the default's, scaled to the area (x{f:.3})"),
        )?;
    }
    // The starting caseload.
    let _ = writeln!(t);
    let _ = writeln!(t, "[starting_caseload]");
    let _ = writeln!(
        t,
        "# Counted in the returns as open at the end of {}, the day before the run starts ({at}): families (children grouped into households by the dates they share), by stage.",
        stock.at.unwrap_or(at)
    );
    let (pl, ls, ages) = stock.looked_after_by;
    let _ = writeln!(
        t,
        "# Children looked after: {} in {} households; by placement kin {}, own foster carers {}, agency {}, children's homes {}, other {};",
        stock.children_looked_after, stock.looked_after, pl[0], pl[1], pl[2], pl[3], pl[4]
    );
    let _ = writeln!(
        t,
        "# by legal status orders and proceedings {}, emergency {}, section 20 {}; by age under 1 {}, 1-4 {}, 5-9 {}, 10-15 {}, 16-17 {};",
        ls[0], ls[1], ls[2], ages[0], ages[1], ages[2], ages[3], ages[4]
    );
    let _ = writeln!(
        t,
        "# {:.0} days in care so far on average. Children on a plan: {}, {:.0} days into it on average.",
        stock.days_spent.1, stock.children_on_plan, stock.days_spent.0
    );
    let detailed = !stock.in_care.is_empty() || !stock.plans.is_empty();
    if detailed {
        let _ = writeln!(
            t,
            "# Households looked after and on a plan are the rows of in_care and plans below (looked_after and"
        );
        let _ = writeln!(
            t,
            "# on_plan count none besides): each child's age, the placement, legal status and months since the"
        );
        let _ = writeln!(
            t,
            "# period of care began as the SSDA903 episodes open then show them, the months since the plan started."
        );
    }
    // The family help team holds at most fte x caseload_cap families: any
    // more counted in help start on its waiting list.
    let room = s.family_help.capacity();
    let over = stock.in_family_help.saturating_sub(room);
    if over > 0 {
        let _ = writeln!(
            t,
            "# {} families were in family help in the returns, more than this team holds ({room} = fte x caseload_cap):",
            stock.in_family_help
        );
        let _ = writeln!(
            t,
            "# {over} start on the waiting list. Set [family_help] fte to the authority's own to keep them in help."
        );
    }
    let _ = writeln!(
        t,
        "waiting_for_help = {}",
        stock.waiting_for_help.saturating_add(over)
    );
    let _ = writeln!(t, "in_family_help = {}", stock.in_family_help - over);
    let _ = writeln!(t, "in_enquiry = {}", stock.in_enquiry);
    let _ = writeln!(t, "awaiting_conference = {}", stock.awaiting_conference);
    let (on_plan, looked_after) = if detailed {
        (0, 0)
    } else {
        (stock.on_plan, stock.looked_after)
    };
    let _ = writeln!(t, "on_plan = {on_plan}");
    let _ = writeln!(t, "looked_after = {looked_after}");
    let _ = writeln!(
        t,
        "pre_proceedings = {}    # a plan ended, the case still open, no family help since (proceedings at home too)",
        stock.pre_proceedings
    );
    if !stock.in_care.is_empty() {
        let _ = writeln!(t, "in_care = [");
        for h in &stock.in_care {
            let _ = write!(
                t,
                "    {{ placement = \"{}\", legal_status = \"{}\", ages = {}, months = {}",
                key_of(&h.placement),
                key_of(&h.legal_status),
                ages_inline(&h.ages),
                h.months
            );
            if h.unaccompanied {
                let _ = write!(t, ", unaccompanied = true");
            }
            if h.count != 1 {
                let _ = write!(t, ", count = {}", h.count);
            }
            let _ = writeln!(t, " }},");
        }
        let _ = writeln!(t, "]");
    }
    if !stock.closed.is_empty() {
        let households: u32 = stock.closed.iter().map(|h| h.count).sum();
        let _ = writeln!(
            t,
            "# Households whose case closed before {at} within the re-referral horizon ({households}, CIN closure reasons RC7-RC9):"
        );
        let _ = writeln!(
            t,
            "# each child's age, the months since the closure, and how it closed; the model refers them again by its hazard."
        );
        let _ = writeln!(t, "closed = [");
        for h in &stock.closed {
            let _ = write!(
                t,
                "    {{ ages = {}, months = {}, closure = \"{}\"",
                ages_inline(&h.ages),
                h.months,
                key_of(&h.closure)
            );
            if h.count != 1 {
                let _ = write!(t, ", count = {}", h.count);
            }
            let _ = writeln!(t, " }},");
        }
        let _ = writeln!(t, "]");
    }
    if !stock.plans.is_empty() {
        let _ = writeln!(t, "plans = [");
        for h in &stock.plans {
            let _ = write!(
                t,
                "    {{ ages = {}, months = {}",
                ages_inline(&h.ages),
                h.months
            );
            if h.count != 1 {
                let _ = write!(t, ", count = {}", h.count);
            }
            let _ = writeln!(t, " }},");
        }
        let _ = writeln!(t, "]");
    }
    Ok((t, kept))
}

/// A scenario enum's key as written in a scenario (its serde name).
fn key_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ages_inline(ages: &[u8]) -> String {
    let list: Vec<String> = ages.iter().map(u8::to_string).collect();
    format!("[{}]", list.join(", "))
}

fn replace_array(text: &str, key: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.lines() {
        if skipping {
            if line.trim_end().ends_with(']') {
                skipping = false;
            }
            continue;
        }
        let t = line.trim_start();
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            let _ = writeln!(out, "{key} = [{}]", values.join(", "));
            skipping = !line.trim_end().ends_with(']');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Estimates a scenario for an area of `children` from `r`, its starting
/// caseload at `at` (default: the end of the latest collection year), run
/// for `years`.
pub fn estimate(
    r: &Returns,
    children: u64,
    at: Option<CivilDate>,
    years: u32,
    how: Calibration,
    progress: &mut dyn FnMut(u32, &[Figure]),
) -> Result<Estimate, String> {
    if children == 0 {
        return Err("--children must be at least 1".into());
    }
    let observed = observe(r);
    let latest = r.years().into_iter().filter(|y| y.0 > 0).max();
    let at = match (at, latest) {
        (Some(d), _) => d,
        // The day after the latest collection year: 1 April.
        (None, Some(y)) => y.last_day().plus_days(1).unwrap_or(y.last_day()),
        (None, None) => {
            return Err("no collection year found in the returns' names or data: give --at".into())
        }
    };
    let input = ScenarioInput::builtin();
    let mut s = input.scenario.clone();
    scale_area(&mut s, children);
    set_direct(&observed, &mut s);
    let (c, _) = calibrate(&s, &observed, children, how, progress)?;
    let base = s.clone();
    c.apply(&base, &mut s);
    // The stock the day before `at` ends: what is open on the run's first day.
    let stock_day = at.plus_days(-1).unwrap_or(at);
    let mut stock = stock_at(
        r,
        stock_day,
        s.child_protection.enquiry_working_days_mean.get() * 7.0 / 5.0,
    );
    stock.closed = closed_at(
        r,
        stock_day,
        at,
        (s.rereferral.horizon_years.get() * 12.0).ceil() as u32,
        s.family_help.need_met_probability.get(),
    );
    let (text, defaults_kept) = write_scenario(
        &input.text,
        &s,
        &observed,
        &stock,
        at,
        years,
        how.rounds > 0,
    )?;
    // The text must be a valid scenario.
    let imported = Scenario::parse(&text, "the imported scenario")
        .map_err(|e| format!("the scenario written is not valid (a bug): {e}"))?;
    let mut text = text;
    if how.rounds > 0 && observed.referrals.n >= THIN {
        let target = observed.referrals.per_year() / children as f64 * 10_000.0;
        let factors = warm_start(&imported, target, how)?;
        // With the households closed before the start (`closed`), the
        // runs need none (measured: x1.00 to x1.01); returns covering less
        // than the re-referral horizon may still.
        if factors.iter().any(|f| *f >= WARM_START_MIN) {
            text.push_str(&warm_start_policy(&imported, at, &factors));
        }
        Scenario::parse(&text, "the imported scenario")
            .map_err(|e| format!("the scenario written is not valid (a bug): {e}"))?;
    }
    Ok(Estimate {
        text,
        observed,
        stock,
        defaults_kept,
    })
}

/// Years a run from a starting caseload may have fewer referrals than the
/// returns show: families whose cases closed before the start and who
/// would be referred again are in the starting caseload only as far as the
/// returns reach back (`closed`; the re-referral horizon is 3 years by
/// default).
pub const WARM_START_YEARS: usize = 3;

/// The least factor on a year's new-referral rate for which the warm start
/// is written: below it, the runs from the starting caseload (with its
/// `closed` households) already show the returns' referrals, within their
/// noise.
pub const WARM_START_MIN: f64 = 1.03;

/// The same day `k` calendar years later (28 February for 29 February).
fn years_after(d: CivilDate, k: i32) -> CivilDate {
    CivilDate::new(d.year() + k, d.month(), d.day())
        .or_else(|| CivilDate::new(d.year() + k, 2, 28))
        .unwrap_or(d)
}

/// The policy changes that make up for referrals missing in the first
/// years of a run from the starting caseload.
/// Only those inside the run (a change must fall inside it): a run of
/// fewer years than the warm start has no change restoring the rate.
fn warm_start_changes(s: &Scenario, factors: &[f64]) -> Vec<(usize, f64)> {
    let base = s.area.new_referrals_per_10k_children.get();
    let mut out: Vec<(usize, f64)> = factors
        .iter()
        .enumerate()
        .map(|(k, f)| (k, round3(base * f)))
        .collect();
    out.push((factors.len(), round3(base)));
    let last = s
        .start
        .plus_days(i64::from(s.years) * 365 - 1)
        .unwrap_or(s.start);
    out.retain(|(k, _)| years_after(s.start, *k as i32) <= last);
    out
}

/// Runs the imported scenario from its starting caseload (no burn-in)
/// and finds, for each of its first years, the factor on the new-referral
/// rate that brings its referrals to `target` (per 10,000 children a year).
fn warm_start(s: &Scenario, target: f64, how: Calibration) -> Result<Vec<f64>, String> {
    let mut sim = s.clone();
    let children = s.area.children.max(how.min_children);
    let f = children as f64 / s.area.children.max(1) as f64;
    scale_area(&mut sim, children);
    if let Some(c) = sim.starting_caseload.as_mut() {
        for n in [
            &mut c.waiting_for_help,
            &mut c.in_family_help,
            &mut c.in_enquiry,
            &mut c.awaiting_conference,
            &mut c.on_plan,
            &mut c.looked_after,
            &mut c.pre_proceedings,
        ] {
            *n = (f64::from(*n) * f).round() as u32;
        }
        for h in &mut c.in_care {
            h.count = (f64::from(h.count) * f).round() as u32;
        }
        for h in &mut c.plans {
            h.count = (f64::from(h.count) * f).round() as u32;
        }
        for h in &mut c.closed {
            h.count = (f64::from(h.count) * f).round() as u32;
        }
        c.in_care.retain(|h| h.count > 0);
        c.plans.retain(|h| h.count > 0);
        c.closed.retain(|h| h.count > 0);
    }
    sim.years = WARM_START_YEARS as u32;
    let mut factors = vec![1.0; WARM_START_YEARS];
    for round in 0..2u64 {
        let mut trial = sim.clone();
        trial.policy = warm_start_changes(&sim, &factors)
            .into_iter()
            .skip(1)
            .map(|(k, v)| policy_change(years_after(sim.start, k as i32), v))
            .collect();
        trial.area.new_referrals_per_10k_children =
            NonNegative(sim.area.new_referrals_per_10k_children.get() * factors[0]);
        let mut per_year = [0.0; WARM_START_YEARS];
        for k in 0..how.runs.max(1) {
            let input = ScenarioInput {
                scenario: trial.clone(),
                text: toml::to_string(&trial).map_err(|e| e.to_string())?,
                source: "warm start".into(),
            };
            let done = crate::analysis::run::run(
                &input,
                11 + u64::from(k) * 7919 + round * 104_729,
                None::<std::io::Sink>,
            )
            .map_err(|e| e.to_string())?;
            for (m, month) in done.summary.by_month.iter().enumerate() {
                if let Some(y) = per_year.get_mut(m / 12) {
                    *y += month.referrals as f64;
                }
            }
        }
        let runs = f64::from(how.runs.max(1));
        for (k, got) in per_year.iter().enumerate() {
            let got = got / runs / children as f64 * 10_000.0;
            if got > 0.0 {
                factors[k] = (factors[k] * target / got).clamp(1.0, 4.0);
            }
        }
    }
    Ok(factors)
}

fn policy_change(date: CivilDate, rate: f64) -> crate::model::scenario::PolicyChange {
    let mut area = toml::Table::new();
    area.insert(
        "new_referrals_per_10k_children".into(),
        toml::Value::Float(rate),
    );
    let mut changes = toml::Table::new();
    changes.insert("area".into(), toml::Value::Table(area));
    crate::model::scenario::PolicyChange {
        date,
        note: "warm start".into(),
        changes,
    }
}

/// The `[[policy]]` entries of the warm start, as scenario text.
fn warm_start_policy(s: &Scenario, at: CivilDate, factors: &[f64]) -> String {
    let mut t = String::new();
    let changes = warm_start_changes(s, factors);
    let restored = changes.len() > factors.len();
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "# Warm start: families whose cases closed before {at} and who would come back are not in the"
    );
    let _ = writeln!(
        t,
        "# starting caseload, so for its first {WARM_START_YEARS} years (the re-referral horizon) the run would show fewer"
    );
    let _ = writeln!(
        t,
        "# referrals than the returns do. These changes raise the new-referral rate to make up for them"
    );
    let _ = writeln!(
        t,
        "# (factors found by runs of this scenario from the starting caseload), then restore it."
    );
    if !restored {
        let _ = writeln!(
            t,
            "# The run ends before the rate is restored: a longer run needs a last change, {} on {}.",
            round3(s.area.new_referrals_per_10k_children.get()),
            years_after(at, factors.len() as i32)
        );
    }
    for (k, rate) in changes {
        let _ = writeln!(t, "[[policy]]");
        let _ = writeln!(t, "date = {}", years_after(at, k as i32));
        let note = if k < factors.len() {
            format!(
                "warm start, year {}: referrals of families closed before the start (x{:.2})",
                k + 1,
                factors[k]
            )
        } else {
            "warm start over: the estimated new-referral rate".to_string()
        };
        let _ = writeln!(t, "note = {note:?}");
        let _ = writeln!(t, "area.new_referrals_per_10k_children = {rate}");
    }
    t
}
