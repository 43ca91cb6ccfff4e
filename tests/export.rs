//! Data returns and raw exports of a log: SSDA903 episodes and the children
//! in need census are structurally sound, use the published codes, count
//! children (each with its own id and date of birth), and their counts equal
//! the run's own summary, which counts children too.

mod common;

use familyflow::analysis::run;
use std::collections::{BTreeMap, BTreeSet};

use familyflow::analysis::export::{events_csv, events_jsonl, ChildId, Returns};
use familyflow::model::calendar::CivilDate;
use familyflow::model::event::FamilyId;
use familyflow::model::per::AgeBand;

/// The settled default area (burn-in included) with a family help team too
/// small for it, so families wait and some escalate: the returns cover the
/// measured years only and count what the summary counts.
fn run_default(seed: u64) -> (Vec<u8>, familyflow::analysis::summary::Summary) {
    let mut input = familyflow::model::input::ScenarioInput::builtin();
    input.scenario.family_help.fte = familyflow::model::scenario::NonNegative(80.0);
    let mut log = Vec::new();
    let finished = run::run(&input, seed, Some(&mut log)).unwrap();
    (log, finished.summary)
}

fn dmy(s: &str) -> CivilDate {
    let p: Vec<&str> = s.split('/').collect();
    CivilDate::new(
        p[2].parse().unwrap(),
        p[1].parse().unwrap(),
        p[0].parse().unwrap(),
    )
    .unwrap()
}

/// Whole years of age on `on` of a child born on `dob`.
fn age(dob: CivilDate, on: CivilDate) -> i32 {
    on.year() - dob.year() - i32::from((on.month(), on.day()) < (dob.month(), dob.day()))
}

/// True when a child born on `dob` is under 18 on `on`, or turns 18 that
/// day: the model counts ages to the minute, so an event earlier on the
/// 18th birthday finds the child 17 (and a birthday the model puts on 29
/// February is written as one on 28 February).
fn child_on(dob: CivilDate, on: CivilDate) -> bool {
    let year = dob.year() + 18;
    let birthday = CivilDate::new(year, dob.month(), dob.day())
        .unwrap_or_else(|| CivilDate::new(year, 3, 1).unwrap());
    let leap_day = CivilDate::new(year, 2, 29).filter(|_| (dob.month(), dob.day()) == (2, 28));
    on <= leap_day.unwrap_or(birthday)
}

/// A child id as the returns write it: the family id for the youngest,
/// `familySk` for child k (k from 1) of a sibling group; at most 10
/// characters, letters and digits only (CIN rule 1580). Returns the family
/// and k.
fn child_id(id: &str) -> (u32, u8) {
    assert!(!id.is_empty() && id.len() <= 10, "id {id:?}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "id {id:?}");
    let (family, k) = match id.split_once('S') {
        Some((f, k)) => {
            assert!(!k.starts_with('0'), "id {id:?}");
            (f, k.parse::<u8>().unwrap())
        }
        None => (id, 0),
    };
    assert!(family.bytes().all(|b| b.is_ascii_digit()), "id {id:?}");
    assert!(family == "0" || !family.starts_with('0'), "id {id:?}");
    (family.parse().unwrap(), k)
}

#[test]
fn child_ids_are_the_family_id_for_the_youngest_and_family_k_for_siblings() {
    let id = |family, index| {
        ChildId {
            family: FamilyId(family),
            index,
        }
        .to_string()
    };
    assert_eq!(id(1234, 0), "1234");
    assert_eq!(id(1234, 1), "1234S1");
    assert_eq!(id(1234, 11), "1234S11");
    // Within 10 characters for any family a run could have and any child the model draws.
    assert_eq!(id(9_999_999, 11).len(), 10);
    // Distinct children never share an id.
    let mut seen = BTreeSet::new();
    for family in [1, 12, 112, 121] {
        for k in 0..12 {
            assert!(seen.insert(id(family, k)));
        }
    }
}

/// Periods of care under a day (left out of the return) that began and
/// that ended in a collection year.
fn under_a_day(r: &Returns, first: CivilDate, last: CivilDate) -> (u64, u64) {
    let within = |d: CivilDate| d >= first && d <= last;
    let started = r.under_a_day.iter().filter(|e| within(e.start)).count();
    let ended = r
        .under_a_day
        .iter()
        .filter(|e| e.end.is_some_and(|(d, _)| within(d)))
        .count();
    (started as u64, ended as u64)
}

/// One row of an SSDA903 episodes file, with the child's date of birth
/// from the header file.
#[derive(Clone, Debug)]
struct Row {
    child: String,
    dob: CivilDate,
    start: CivilDate,
    rne: String,
    ls: String,
    place: String,
    end: Option<CivilDate>,
    rec: String,
    reason_place_change: String,
}

/// Each child's date of birth in an SSDA903 `header.csv`.
fn dates_of_birth(header: &str) -> BTreeMap<String, CivilDate> {
    csv::Reader::from_reader(header.as_bytes())
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), dmy(&row[2]))
        })
        .collect()
}

/// Every collection year's SSDA903 episodes, by child and start.
fn ssda903_rows(r: &Returns) -> Vec<(String, CivilDate, CivilDate, Vec<Row>)> {
    r.years
        .iter()
        .map(|(year, first, last)| {
            let (header, episodes) = r.ssda903(*first, *last);
            let dobs = dates_of_birth(&header);
            let rows = csv::Reader::from_reader(episodes.as_bytes())
                .records()
                .map(|row| {
                    let row = row.unwrap();
                    Row {
                        child: row[0].to_string(),
                        dob: dobs[&row[0]],
                        start: dmy(&row[1]),
                        rne: row[2].to_string(),
                        ls: row[3].to_string(),
                        place: row[5].to_string(),
                        end: (!row[7].is_empty()).then(|| dmy(&row[7])),
                        rec: row[8].to_string(),
                        reason_place_change: row[9].to_string(),
                    }
                })
                .collect();
            (year.clone(), *first, *last, rows)
        })
        .collect()
}

/// SSDA903 rule 355: no episode lasts under 24 hours. A period of care
/// that began and ended on one day is left out; of several changes on one
/// day only the last is recorded (RNE B when both the legal status and the
/// placement changed); a change on the day the child left is not recorded.
#[test]
fn no_ssda903_episode_lasts_under_a_day() {
    let (log, _) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut changes_merged = 0;
    for (year, _, _, rows) in ssda903_rows(&r) {
        for w in rows.windows(2).filter(|w| w[0].child == w[1].child) {
            assert!(w[0].start < w[1].start, "{year}: {w:?}");
        }
        for e in &rows {
            assert_ne!(Some(e.start), e.end, "{year}: {e:?}");
            changes_merged += usize::from(e.rne == "B");
        }
    }
    // The run has them: emergency protection and a care order on one day,
    // periods of care under a day.
    assert!(changes_merged > 0 || !r.under_a_day.is_empty());
    assert!(!r.under_a_day.is_empty());
    for e in &r.under_a_day {
        assert_eq!(e.end.map(|(d, _)| d), Some(e.start), "{e:?}");
    }
}

/// SSDA903 rules 390, 408, 434, 217: a child adopted left care from a
/// placement for adoption (A4 with consent, A6 under a placement order,
/// E1), and an episode that began with a change of legal status alone kept
/// its placement.
#[test]
fn a_child_adopted_left_care_from_a_placement_for_adoption() {
    let (log, _) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut adopted = 0;
    for (year, _, _, rows) in ssda903_rows(&r) {
        for e in rows.iter().filter(|e| e.rec == "E11") {
            assert!(
                ["A3", "A4", "A5", "A6"].contains(&e.place.as_str()),
                "{year}: {e:?}"
            );
            adopted += 1;
        }
        for e in &rows {
            if ["A5", "A6"].contains(&e.place.as_str()) {
                assert_eq!(e.ls, "E1", "{year}: {e:?}");
            }
            if ["A3", "A5"].contains(&e.place.as_str()) {
                assert!(["S", "T", "U"].contains(&e.rne.as_str()), "{year}: {e:?}");
            }
        }
        for w in rows.windows(2).filter(|w| w[0].child == w[1].child) {
            if w[1].rne == "L" {
                assert_eq!(w[0].place, w[1].place, "{year}: {w:?}");
                assert_ne!(w[0].ls, w[1].ls, "{year}: {w:?}");
            }
        }
    }
    assert!(adopted > 5, "{adopted} adopted");
}

/// SSDA903 rules 516 and 407: special guardianship to former foster
/// carers (E45, E46) only from a foster placement (U1 to U6), to other
/// carers (E47) from a children's home, and never at 18 or over.
#[test]
fn special_guardianship_is_coded_by_the_placement_it_ended() {
    let (log, _) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut sgos = 0;
    for (year, _, _, rows) in ssda903_rows(&r) {
        for e in rows
            .iter()
            .filter(|e| ["E45", "E46", "E47", "E48"].contains(&e.rec.as_str()))
        {
            if ["E45", "E46"].contains(&e.rec.as_str()) {
                assert!(e.place.starts_with('U'), "{year}: {e:?}");
            }
            assert!(age(e.dob, e.end.unwrap()) < 18, "{year}: {e:?}");
            sgos += 1;
        }
    }
    assert!(sgos > 20, "{sgos} special guardianship orders");
}

/// SSDA903 rules 225 and 233: an episode that ended because the placement
/// changed (the next starts with RNE P or B) gives the reason; no other
/// episode does.
#[test]
fn a_placement_change_gives_its_reason_on_the_episode_it_ended() {
    let (log, _) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut reasons = 0;
    for (year, _, _, rows) in ssda903_rows(&r) {
        for (k, e) in rows.iter().enumerate() {
            let next = rows.get(k + 1).filter(|n| n.child == e.child);
            let moved = e.rec == "X1" && next.is_some_and(|n| ["P", "B"].contains(&n.rne.as_str()));
            assert_eq!(
                !e.reason_place_change.is_empty(),
                moved,
                "{year}: {e:?} then {next:?}"
            );
            if moved {
                assert!(
                    ["OTHER", "CARPL"].contains(&e.reason_place_change.as_str()),
                    "{year}: {e:?}"
                );
                reasons += 1;
            }
        }
    }
    assert!(reasons > 100, "{reasons} placement changes");
}

/// Ages in the return are the model's: children come into care in each
/// age band as the summary counts them (rule 352: none at 18 or over), and
/// no child is looked after past 18 (rule 359: no episode open at the end
/// of a year for a child 18 by then).
#[test]
fn ages_in_the_returns_are_the_models() {
    let (log, summary) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    for (k, (year, first, last, rows)) in ssda903_rows(&r).into_iter().enumerate() {
        let mut bands = [0u64; 5];
        // A child coming into care on its birthday is a year older in the
        // return (ages by date) than in the model when it came in before
        // the minute it was born (ages by minute): the band below may
        // hold it instead.
        let mut on_birthday = 0u64;
        for e in rows.iter().filter(|e| e.rne == "S" && e.start >= first) {
            let a = age(e.dob, e.start);
            assert!(a < 18, "{year}: {e:?}");
            bands[AgeBand::of(a as u8) as usize] += 1;
            if (e.start.month(), e.start.day()) == (e.dob.month(), e.dob.day()) {
                on_birthday += 1;
            }
        }
        for e in r
            .under_a_day
            .iter()
            .filter(|e| e.start >= first && e.start <= last)
        {
            bands[AgeBand::of(age(e.dob, e.start) as u8) as usize] += 1;
        }
        let y = &summary.by_financial_year[k];
        let model: Vec<u64> = AgeBand::ALL
            .iter()
            .map(|&b| y.care_entries_by_age[b])
            .collect();
        assert_eq!(bands.iter().sum::<u64>(), model.iter().sum::<u64>());
        let moved: u64 = bands
            .iter()
            .zip(&model)
            .map(|(a, b)| a.abs_diff(*b))
            .sum::<u64>()
            / 2;
        assert!(
            moved <= on_birthday,
            "{year}: entries by age {bands:?}, the model's {model:?} ({on_birthday} on a birthday)"
        );
        for e in rows.iter().filter(|e| e.end.is_none()) {
            assert!(age(e.dob, last) < 18, "{year}: {e:?}");
        }
    }
}

#[test]
fn ssda903_episodes_are_sound_and_count_children_as_the_summary_does() {
    let (log, summary) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    assert_eq!(r.years.len(), 3);
    let mut checked = 0;
    // Every child's date of birth, the same in every year.
    let mut dobs: BTreeMap<String, CivilDate> = BTreeMap::new();
    let (mut sibling_entries, mut sibling_e8) = (0u64, 0u64);
    let mut moves = 0u64;
    for (k, (year, first, last)) in r.years.iter().enumerate() {
        let (header, episodes) = r.ssda903(*first, *last);
        let mut header_ids = BTreeSet::new();
        for row in csv::Reader::from_reader(header.as_bytes()).records() {
            let row = row.unwrap();
            child_id(&row[0]);
            let dob = dmy(&row[2]);
            // One header row for each child.
            assert!(header_ids.insert(row[0].to_string()), "{year}: {}", &row[0]);
            assert_eq!(
                *dobs.entry(row[0].to_string()).or_insert(dob),
                dob,
                "{}",
                &row[0]
            );
        }
        let mut rows = csv::Reader::from_reader(episodes.as_bytes());
        assert_eq!(
            rows.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN"
            ]
        );
        let mut by_child: BTreeMap<String, Vec<(CivilDate, Option<CivilDate>)>> = BTreeMap::new();
        let (mut started, mut ended, mut open_at_end) = (0u64, 0u64, 0u64);
        let mut before: Option<csv::StringRecord> = None;
        for row in rows.records() {
            let row = row.unwrap();
            // What RNE says changed, the row shows changed from the episode
            // before (SSDA903 rules 434 to 436): B both the legal status
            // and the placement or provider, L the legal status alone.
            if let Some(p) = before.filter(|p| p[0] == row[0] && p[7] == row[1]) {
                let legal = p[3] != row[3];
                let place = (&p[5], &p[6]) != (&row[5], &row[6]);
                match &row[2] {
                    "B" => assert!(legal && place, "{}: B from {p:?} to {row:?}", &row[0]),
                    "L" => assert!(legal && !place, "{}: L from {p:?} to {row:?}", &row[0]),
                    _ => {}
                }
            }
            before = Some(row.clone());
            let (_, nth) = child_id(&row[0]);
            let dob = dobs[&row[0]];
            let start = dmy(&row[1]);
            // A period of care starts with RNE S; a change of legal status
            // starts a new episode with RNE L, a placement move with RNE P,
            // both on one day B.
            assert!(["S", "L", "P", "B"].contains(&&row[2]), "RNE {}", &row[2]);
            moves += u64::from(&row[2] == "P");
            assert!(
                ["L1", "L2", "C1", "C2", "V2", "E1"].contains(&&row[3]),
                "LS {}",
                &row[3]
            );
            assert!(
                ["U1", "U4", "K2", "A4", "A6"].contains(&&row[5]),
                "PLACE {}",
                &row[5]
            );
            assert!(["PR1", "PR4"].contains(&&row[6]));
            // Every child is under 18 when its episode starts.
            assert!(
                age(dob, start) < 18,
                "{}: born {dob}, in care {start}",
                &row[0]
            );
            let end = (!row[7].is_empty()).then(|| dmy(&row[7]));
            if let Some(e) = end {
                assert!(e >= start && e <= *last);
                assert!(
                    ["E4A", "E45", "E46", "E47", "E11", "E8", "E17", "E5", "X1"].contains(&&row[8]),
                    "REC {}",
                    &row[8]
                );
                if ["E8", "E17", "E5"].contains(&&row[8]) {
                    // A child leaving care at 18 is 18 that day.
                    assert_eq!(age(dob, e), 18, "{}: born {dob}, left {e}", &row[0]);
                    sibling_e8 += u64::from(nth > 0);
                } else {
                    assert!(child_on(dob, e), "{}: born {dob}, left {e}", &row[0]);
                }
                // X1: the episode ended and another began (legal status changed).
                ended += u64::from(&row[8] != "X1");
            } else {
                assert!(row[8].is_empty());
                open_at_end += 1;
            }
            assert!(start <= *last && end.is_none_or(|e| e >= *first));
            let entry = u64::from(start >= *first && &row[2] == "S");
            started += entry;
            sibling_entries += entry * u64::from(nth > 0);
            by_child
                .entry(row[0].to_string())
                .or_default()
                .push((start, end));
        }
        // Episodes of one child never overlap.
        for spells in by_child.values() {
            for w in spells.windows(2) {
                let prev_end = w[0].1.expect("an earlier episode ended");
                assert!(prev_end <= w[1].0, "{spells:?}");
            }
        }
        // Every child with an episode has one header row, and no other child has.
        assert_eq!(header_ids, by_child.keys().cloned().collect());
        // Counts of children equal the summary's, but for periods of care
        // under a day, which the return leaves out.
        let y = &summary.by_financial_year[k];
        assert_eq!(&y.period, year);
        let (short_started, short_ended) = under_a_day(&r, *first, *last);
        assert_eq!(
            started + short_started,
            y.care_entries_total(),
            "{year}: entries"
        );
        assert_eq!(ended + short_ended, y.care_exits, "{year}: exits");
        let looked_after: u64 = y.looked_after_at_end.unwrap().iter().sum();
        assert_eq!(open_at_end, looked_after, "{year}: looked after at the end");
        checked += started;
    }
    assert!(checked > 100);
    // Brothers and sisters came into care, and some left on turning 18.
    assert!(sibling_entries > 100, "{sibling_entries} sibling entries");
    assert!(sibling_e8 > 10, "{sibling_e8} siblings left at 18");
    // Placement moves are episodes too (the default area has [placements]).
    assert!(moves > 100, "{moves} placement moves");
}

#[test]
fn the_cin_census_counts_children_as_the_summary_does() {
    let (log, summary) = run_default(3);
    // Escalations from the waiting list are contacts, not referrals.
    assert!(summary.family_help.escalated > 0);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut siblings = 0;
    let mut dobs: BTreeMap<String, CivilDate> = BTreeMap::new();
    for (k, (year, first, last)) in r.years.iter().enumerate() {
        let xml = r.cin_xml(year, *first, *last);
        assert!(xml.starts_with("<?xml"));
        assert_eq!(
            xml.matches("<Child>").count(),
            xml.matches("</Child>").count()
        );
        assert_eq!(
            xml.matches("<CINdetails>").count(),
            xml.matches("</CINdetails>").count()
        );
        let dates_in = |text: &str, tag: &str| -> Vec<CivilDate> {
            let open = format!("<{tag}>");
            text.split(&open)
                .skip(1)
                .map(|rest| CivilDate::parse(&rest[..10]).unwrap())
                .collect()
        };
        let dates = |tag: &str| dates_in(&xml, tag);
        let in_year = |tag: &str| {
            dates(tag)
                .into_iter()
                .filter(|d| d >= first && d <= last)
                .count() as u64
        };
        // Each child once, with its own id and date of birth, a child at
        // every referral, enquiry, conference and plan start.
        let mut ids = BTreeSet::new();
        for child in xml.split("<Child>").skip(1) {
            let id = child
                .split("<LAchildID>")
                .nth(1)
                .and_then(|s| s.split_once("</LAchildID>"))
                .unwrap()
                .0;
            let (_, nth) = child_id(id);
            siblings += usize::from(nth > 0);
            assert!(ids.insert(id.to_string()), "{year}: {id} twice");
            let dob = dates_in(child, "PersonBirthDate")[0];
            assert_eq!(*dobs.entry(id.to_string()).or_insert(dob), dob, "{id}");
            for tag in [
                "CINreferralDate",
                "S47ActualStartDate",
                "CPPstartDate",
                "DateOfInitialCPC",
            ] {
                for d in dates_in(child, tag) {
                    assert!(child_on(dob, d), "{id}: born {dob}, {tag} {d}");
                }
            }
            // Closed by the 18th birthday, or when a plan that went on
            // past it ended.
            for episode in child.split("<CINdetails>").skip(1) {
                for d in dates_in(episode, "CINclosureDate") {
                    let plan_end = dates_in(episode, "CPPendDate").into_iter().max();
                    assert!(
                        child_on(dob, d) || plan_end == Some(d),
                        "{id}: born {dob}, closed {d}"
                    );
                }
            }
        }
        let y = &summary.by_financial_year[k];
        // A re-referral on the day the last referral came and closed
        // continues its episode (rule 8820).
        let continued = r
            .continued
            .iter()
            .filter(|(_, d)| d >= first && d <= last)
            .count() as u64;
        assert_eq!(
            in_year("CINreferralDate") + continued,
            y.referrals,
            "{year}: referrals"
        );
        assert_eq!(
            in_year("S47ActualStartDate"),
            y.s47_enquiries,
            "{year}: s47"
        );
        assert_eq!(in_year("DateOfInitialCPC"), y.conferences, "{year}: ICPCs");
        assert_eq!(in_year("CPPstartDate"), y.plans_started, "{year}: plans");
        assert_eq!(in_year("CPPendDate"), y.plans_ended, "{year}: plans ended");
        for rc in xml.split("<ReasonForClosure>").skip(1) {
            let code = &rc[..3];
            assert!(
                ["RC1", "RC4", "RC6", "RC7", "RC8", "RC9"].contains(&code),
                "{code}"
            );
        }
        // Nothing dated after the collection year's end.
        for tag in [
            "CINclosureDate",
            "CPPendDate",
            "AssessmentAuthorisationDate",
        ] {
            assert!(dates(tag).iter().all(|d| d <= last), "{tag} after {last}");
        }
    }
    // Brothers and sisters have episodes of their own.
    assert!(siblings > 1000, "{siblings} siblings");
}

/// The text of each `<tag>…</tag>` in `text`.
fn elements<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.split(open.as_str())
        .skip(1)
        .map(|rest| rest.split_once(close.as_str()).unwrap().0)
        .collect()
}

/// The CIN census holds what its readers need and keeps the DfE's rules
/// on what the model knows (Data to Insight's csc-validator-be-cin): every
/// child has its characteristics block (the reader stops without one), the
/// header its serial number and time, every plan its latest category of
/// abuse (8910); a year's return holds only the assessments, enquiries and
/// plans open in it (8696, 8715, 8930), no assessment starts while another
/// goes on (8863Q, but for one starting the day another ended), a closed
/// episode has its assessments and enquiries over (8867, 8868), closed
/// after an assessment (RC8, RC9) only with one and with no enquiry or plan
/// (8825Q, 2990), no plan starts and ends on one day (8840), no child is
/// over 25 (8775Q), and child ids are letters and digits (1580).
/// SSDA903: police protection lasts 72 hours at most (rule 361), then an
/// emergency protection order; the header has sex, ethnicity and a UPN
/// with the DfE's check letter for every child (rules 101, 103, 442, 168),
/// the same ones every year.
#[test]
fn police_protection_lasts_three_days_at_most_and_children_have_characteristics() {
    let (log, _) = run_default(4);
    let r = Returns::from_log(&log[..]).unwrap();
    let mut lapsed = 0;
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (year, _, last, rows) in ssda903_rows(&r) {
        for w in rows.chunk_by(|a, b| a.child == b.child) {
            let mut run_start: Option<CivilDate> = None;
            for (k, e) in w.iter().enumerate() {
                let flows = k > 0 && w[k - 1].end == Some(e.start) && w[k - 1].ls == "L1";
                if e.ls == "L1" {
                    let from = if flows { run_start.unwrap() } else { e.start };
                    run_start = Some(from);
                    assert!(from.days_until(e.end.unwrap_or(last)) <= 3, "{year}: {e:?}");
                }
                if e.ls == "L2" && flows {
                    lapsed += 1;
                }
            }
        }
        let (header, _) = r.ssda903(r.years[0].1, last);
        for row in csv::Reader::from_reader(header.as_bytes()).records() {
            let row = row.unwrap();
            assert!(["M", "F"].contains(&&row[1]), "{row:?}");
            assert_eq!(row[3].len(), 4, "{row:?}");
            let upn = row[4].as_bytes();
            let sum: u32 = (1..13)
                .map(|i| u32::from(upn[i] - b'0') * (i as u32 + 1))
                .sum();
            assert_eq!(
                upn[0],
                b"ABCDEFGHJKLMNPQRTUVWXYZ"[(sum % 23) as usize],
                "{row:?}"
            );
            let now = vec![row[1].to_string(), row[3].to_string(), row[4].to_string()];
            let before = seen
                .entry(row[0].to_string())
                .or_insert_with(|| now.clone());
            assert_eq!(*before, now, "{row:?}");
        }
    }
    assert!(lapsed > 0, "no police protection went on past three days");
}

#[test]
fn the_cin_census_keeps_the_dfe_rules() {
    let (log, _) = run_default(3);
    let r = Returns::from_log(&log[..]).unwrap();
    // No child's CIN episodes overlap (8820).
    assert_eq!(overlapping_cin_episodes(&r), []);
    let (mut rc8, mut repeated) = (0, 0);
    for (year, first, last) in &r.years {
        let xml = r.cin_xml(year, *first, *last);
        let header = elements(&xml, "Header")[0];
        assert_eq!(elements(header, "SerialNo"), ["1"], "{year}");
        assert_eq!(elements(header, "DateTime").len(), 1, "{year}");
        let date = |s: &str| CivilDate::parse(&s[..10]).unwrap();
        let in_year = |d: CivilDate| d >= *first && d <= *last;
        for child in elements(&xml, "Child") {
            assert_eq!(
                child.matches("<ChildCharacteristics>").count(),
                1,
                "{child}"
            );
            // Sex, ethnicity and disabilities with the DfE's codes, and a
            // UPN with its check letter (rules 4180, 4220, 8540, 1510).
            assert!(["M", "F"].contains(&elements(child, "Sex")[0]), "{child}");
            assert_eq!(elements(child, "Ethnicity")[0].len(), 4, "{child}");
            let disabilities = elements(child, "Disability");
            assert!(
                disabilities == ["NONE"]
                    || (!disabilities.is_empty() && !disabilities.contains(&"NONE")),
                "{child}"
            );
            assert_eq!(elements(child, "UPN")[0].len(), 13, "{child}");
            // Every enquiry is made through an assessment (2991Q), and a
            // completed assessment says what it found (8897Q).
            for e in elements(child, "CINdetails") {
                if !elements(e, "Section47").is_empty() {
                    assert!(!elements(e, "Assessments").is_empty(), "{year}: {e}");
                }
                for a in elements(e, "Assessments") {
                    let done = !elements(a, "AssessmentAuthorisationDate").is_empty();
                    assert_eq!(done, !elements(a, "AssessmentFactors").is_empty(), "{a}");
                }
            }
            let dob = date(elements(child, "PersonBirthDate")[0]);
            assert!(age(dob, *last) <= 25, "{child}");
            for e in elements(child, "CINdetails") {
                let mut spans: Vec<(CivilDate, Option<CivilDate>)> = Vec::new();
                for a in elements(e, "Assessments") {
                    let start = date(elements(a, "AssessmentActualStartDate")[0]);
                    let done = elements(a, "AssessmentAuthorisationDate")
                        .first()
                        .map(|d| date(d));
                    assert!(done.is_none_or(in_year), "{year}: {e}");
                    spans.push((start, done));
                }
                // One ends before the next starts, or the day it starts (a
                // family help assessment after an enquiry that closed
                // the one before: 8863Q still queries that day).
                for w in spans.windows(2) {
                    assert!(w[0].1.is_some_and(|end| end <= w[1].0), "{year}: {e}");
                }
                let closed = !elements(e, "CINclosureDate").is_empty();
                if closed {
                    assert!(spans.iter().all(|s| s.1.is_some()), "{year}: {e}");
                }
                for s in elements(e, "Section47") {
                    let icpc = elements(s, "DateOfInitialCPC");
                    assert!(icpc.iter().all(|d| in_year(date(d))), "{year}: {e}");
                    if closed {
                        assert!(
                            !icpc.is_empty() || s.contains("<ICPCnotRequired>true"),
                            "{year}: {e}"
                        );
                    }
                    repeated += usize::from(!in_year(date(elements(s, "S47ActualStartDate")[0])));
                }
                for p in elements(e, "ChildProtectionPlans") {
                    assert_eq!(elements(p, "LatestCategoryOfAbuse"), ["NEG"], "{year}: {e}");
                    let start = elements(p, "CPPstartDate")[0];
                    for end in elements(p, "CPPendDate") {
                        assert!(in_year(date(end)) && end != start, "{year}: {e}");
                    }
                }
                for rc in elements(e, "ReasonForClosure") {
                    if ["RC8", "RC9"].contains(&rc) {
                        assert!(spans.iter().any(|s| s.1.is_some()), "{year}: {e}");
                        assert!(
                            !e.contains("<Section47>") && !e.contains("<ChildProtectionPlans>"),
                            "{year}: {e}"
                        );
                        rc8 += 1;
                    }
                }
            }
        }
    }
    // Children assessed and not in need; enquiries that went on over 31 March.
    assert!(rc8 > 10, "{rc8} closed after an assessment");
    assert!(repeated > 10, "{repeated} enquiries over a year end");
}

#[test]
fn every_event_exports_as_csv_and_json_lines() {
    let (log, summary) = run_default(4);
    let csv_text = events_csv(&log[..]).unwrap();
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        ["minute", "date", "event", "family", "fields"]
    );
    assert_eq!(rows.records().count() as u64, summary.events);
    let jsonl = events_jsonl(&log[..]).unwrap();
    assert_eq!(jsonl.lines().count() as u64, summary.events);
    for line in jsonl.lines().take(500) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["at"].is_u64() && v["event"].is_object());
    }
}

#[test]
fn the_export_command_writes_every_year() {
    let dir = common::TempDir::new("export");
    let bin = env!("CARGO_BIN_EXE_familyflow");
    let out = dir.path().join("run");
    let o = std::process::Command::new(bin)
        .args(["run", "tests/data/tiny.toml", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    for format in ["ssda903", "cin", "csv", "jsonl"] {
        let o = std::process::Command::new(bin)
            .arg("export")
            .arg(out.join("events.ffl"))
            .args(["--format", format, "--out"])
            .arg(dir.path().join("x"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // One folder a collection year, named by the year it ends, holding
    // both returns.
    let returns = ["x/2025/header.csv", "x/2025/episodes.csv", "x/2025/cin.xml"];
    for f in returns.iter().chain(&["x/events.csv", "x/events.jsonl"]) {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    // Exporting one format again leaves the other's files alone, and the
    // files it replaces are the same files.
    let before: Vec<Vec<u8>> = returns
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    for format in ["cin", "ssda903"] {
        let o = std::process::Command::new(bin)
            .arg("export")
            .arg(out.join("events.ffl"))
            .args(["--format", format, "--out"])
            .arg(dir.path().join("x"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for (f, bytes) in returns.iter().zip(&before) {
            let now = std::fs::read(dir.path().join(f));
            assert_eq!(
                now.ok().as_ref(),
                Some(bytes),
                "{f} after exporting {format}"
            );
        }
    }
    // A damaged log is refused, naming it.
    let bad = dir.path().join("bad.ffl");
    std::fs::write(&bad, b"not a log").unwrap();
    let o = std::process::Command::new(bin)
        .arg("export")
        .arg(&bad)
        .args(["--format", "cin", "--out"])
        .arg(dir.path().join("y"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.ffl"));
}

#[test]
fn a_branchs_log_is_not_exported_as_returns() {
    let input = common::builtin_cold();
    let at = input
        .scenario
        .calendar()
        .minute_of(CivilDate::new(2025, 4, 1).unwrap());
    let (_, snapshot) =
        familyflow::analysis::snapshot::run_with_snapshot::<Vec<u8>>(&input, 1, None, at).unwrap();
    let mut tail = Vec::new();
    familyflow::analysis::snapshot::branch_to_log(&snapshot, &input, &mut tail).unwrap();
    let err = Returns::from_log(&tail[..]).unwrap_err().to_string();
    assert!(err.contains("continues a snapshot"), "{err}");
}

/// Children young enough to be adopted (`care.adoption_max_age`) are not
/// placed in children's homes, so no adoption follows one (SSDA903 rule
/// 336): with the default age (4) no child of 4 or under starts a period of
/// care in one (`K2`); with the age set to 0, children of 1 to 4 do.
#[test]
fn children_young_enough_to_be_adopted_are_not_placed_in_children_s_homes() {
    let young_in_homes = |max_age: u8| -> usize {
        let mut input = familyflow::model::input::ScenarioInput::builtin();
        input.scenario.care.adoption_max_age = max_age;
        // Half of children under 13 drawn to children's homes: enough to see.
        input.scenario.care.placement.residential = familyflow::model::scenario::NonNegative(1.0);
        let mut log = Vec::new();
        run::run(&input, 3, Some(&mut log)).unwrap();
        let r = Returns::from_log(&log[..]).unwrap();
        let mut starts = BTreeSet::new();
        for (_, first, last) in &r.years {
            let (header, episodes) = r.ssda903(*first, *last);
            let dobs = dates_of_birth(&header);
            for row in csv::Reader::from_reader(episodes.as_bytes()).records() {
                let row = row.unwrap();
                let start = dmy(&row[1]);
                // Ages by date are at least the model's (by minute).
                if &row[2] == "S" && &row[5] == "K2" && age(dobs[&row[0]], start) <= 4 {
                    starts.insert((row[0].to_string(), start));
                }
            }
        }
        starts.len()
    };
    assert_eq!(young_in_homes(4), 0);
    assert!(young_in_homes(0) > 0);
}

/// CIN rule 8820: a child's CIN episodes do not overlap. An episode may
/// begin the day another ended, but not on or after another's referral
/// and before its closure (or while it is open). Returns the overlapping
/// pairs (child, referral of one, referral of the other).
fn overlapping_cin_episodes(r: &Returns) -> Vec<(ChildId, CivilDate, CivilDate)> {
    let mut by_child: BTreeMap<ChildId, Vec<_>> = BTreeMap::new();
    for e in &r.cin {
        by_child.entry(e.child).or_default().push(e);
    }
    let mut out = Vec::new();
    for (child, episodes) in by_child {
        for (i, a) in episodes.iter().enumerate() {
            for (j, b) in episodes.iter().enumerate() {
                let inside = a.referral >= b.referral
                    && b.closure.is_none_or(|(closed, _)| a.referral < closed);
                if i != j && inside {
                    out.push((child, a.referral, b.referral));
                }
            }
        }
    }
    out
}

#[test]
fn a_re_referral_on_the_day_a_referral_came_and_closed_continues_it() {
    use familyflow::engine::log::LogWriter;
    use familyflow::model::calendar::DAY;
    use familyflow::model::event::{
        Attributes, ClosureReason, Event, Need, RiskFactors, TriageDecision,
    };
    let input = common::builtin_cold();
    let start = input.scenario.start;
    let attributes = Attributes {
        children: 2,
        youngest_age: 5,
        eldest_age: 9,
        need: Need::Low,
        risk: 2000,
        risk_factors: RiskFactors(0),
        network: 5000,
    };
    let hour = 60;
    let f = FamilyId;
    let triage = |family: u32| Event::TriageDecided {
        family: f(family),
        decision: TriageDecision::UniversalServices,
    };
    let closed = |family: u32, again: Option<u64>| Event::CaseClosed {
        family: f(family),
        reason: ClosureReason::UniversalServices,
        rereferral_due: again,
    };
    let again = |family: u32, episode: u16| Event::FamilyReReferred {
        family: f(family),
        episode,
    };
    // Family 1 is referred, closed and referred again within one day (as
    // England's tenth had it three times in 2024-25); family 2 is referred
    // again the day after its closure, family 3 the day its case closed,
    // a day after the referral.
    let (d1, d2, d3) = (10 * DAY, 20 * DAY, 30 * DAY);
    // A family referred, closed at triage, referred again and closed
    // again at these minutes.
    let twice = |family: u32, referred: u64, closed_at: u64, again_at: u64, last: u64| {
        vec![
            (
                referred,
                Event::FamilyReferred {
                    family: f(family),
                    attributes,
                },
            ),
            (closed_at, triage(family)),
            (closed_at, closed(family, Some(again_at))),
            (again_at, again(family, 1)),
            (last, triage(family)),
            (last, closed(family, None)),
        ]
    };
    let mut events = vec![(
        0,
        Event::FamilyReferred {
            family: f(9),
            attributes,
        },
    )];
    events.extend(twice(
        1,
        d1 + hour,
        d1 + 14 * hour,
        d1 + 17 * hour,
        d1 + 2 * DAY,
    ));
    events.extend(twice(
        2,
        d2 + hour,
        d2 + 14 * hour,
        d2 + DAY + hour,
        d2 + 2 * DAY,
    ));
    events.extend(twice(
        3,
        d3 + hour,
        d3 + DAY + hour,
        d3 + DAY + 2 * hour,
        d3 + 3 * DAY,
    ));
    let mut w = LogWriter::new(Vec::new(), &input.header(1)).unwrap();
    for (at, e) in &events {
        w.event(*at, e).unwrap();
    }
    let log = w.finish(d3 + 3 * DAY, 0, true).unwrap();
    let r = Returns::from_log(&log[..]).unwrap();
    assert_eq!(overlapping_cin_episodes(&r), []);
    let day = |minute: u64| start.plus_days((minute / DAY) as i64).unwrap();
    let episodes = |family: u32| -> Vec<(CivilDate, Option<CivilDate>)> {
        r.cin
            .iter()
            .filter(|e| {
                e.child
                    == ChildId {
                        family: f(family),
                        index: 0,
                    }
            })
            .map(|e| (e.referral, e.closure.map(|(d, _)| d)))
            .collect()
    };
    // One referral, from the first to the last closure, for each child.
    assert_eq!(episodes(1), [(day(d1), Some(day(d1 + 2 * DAY)))]);
    assert_eq!(r.cin.iter().filter(|e| e.child.family == f(1)).count(), 2);
    let child = |index| ChildId {
        family: f(1),
        index,
    };
    assert_eq!(r.continued, [(child(0), day(d1)), (child(1), day(d1))]);
    // A referral the next day, or the day a longer one closed, is a new one.
    assert_eq!(
        episodes(2),
        [
            (day(d2), Some(day(d2))),
            (day(d2 + DAY), Some(day(d2 + 2 * DAY)))
        ]
    );
    assert_eq!(
        episodes(3),
        [
            (day(d3), Some(day(d3 + DAY))),
            (day(d3 + DAY), Some(day(d3 + 3 * DAY)))
        ]
    );
}
