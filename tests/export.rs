//! Data returns and raw exports of a log: SSDA903 episodes and the children
//! in need census are structurally sound, use the published codes, and their
//! counts equal the run's own summary.

mod common;

use std::collections::BTreeMap;

use familyflow::calendar::CivilDate;
use familyflow::engine;
use familyflow::export::{events_csv, events_jsonl, Returns};

/// The settled default area (burn-in included) with a family help team too
/// small for it, so families wait and some escalate: the returns cover the
/// measured years only and count what the summary counts.
fn run_default(seed: u64) -> (Vec<u8>, familyflow::summary::Summary) {
    let mut input = engine::ScenarioInput::builtin();
    input.scenario.family_help.fte = familyflow::scenario::NonNegative(80.0);
    let mut log = Vec::new();
    let finished = engine::run(&input, seed, Some(&mut log)).unwrap();
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

#[test]
fn ssda903_episodes_are_sound_and_count_what_the_summary_counts() {
    let (log, summary) = run_default(2);
    let r = Returns::from_log(&log[..]).unwrap();
    assert_eq!(r.years.len(), 3);
    let mut checked = 0;
    for (k, (year, first, last)) in r.years.iter().enumerate() {
        let (header, episodes) = r.ssda903(*first, *last);
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
        let mut by_child: BTreeMap<u32, Vec<(CivilDate, Option<CivilDate>)>> = BTreeMap::new();
        let (mut started, mut ended) = (0u64, 0u64);
        for row in rows.records() {
            let row = row.unwrap();
            let start = dmy(&row[1]);
            // A period of care starts with RNE S; a change of legal status
            // starts a new episode with RNE L.
            assert!(["S", "L"].contains(&&row[2]), "RNE {}", &row[2]);
            assert!(
                ["L1", "L2", "C1", "C2", "V2", "E1"].contains(&&row[3]),
                "LS {}",
                &row[3]
            );
            assert!(["U1", "U4", "K2"].contains(&&row[5]), "PLACE {}", &row[5]);
            assert!(["PR1", "PR4"].contains(&&row[6]));
            let end = (!row[7].is_empty()).then(|| dmy(&row[7]));
            if let Some(e) = end {
                assert!(e >= start && e <= *last);
                assert!(
                    ["E4A", "E45", "E46", "E11", "E8", "X1"].contains(&&row[8]),
                    "REC {}",
                    &row[8]
                );
                // X1: the episode ended and another began (legal status changed).
                ended += u64::from(&row[8] != "X1");
            } else {
                assert!(row[8].is_empty());
            }
            assert!(start <= *last && end.is_none_or(|e| e >= *first));
            started += u64::from(start >= *first && &row[2] == "S");
            by_child
                .entry(row[0].parse().unwrap())
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
        // Every child with an episode has one header row.
        let header_rows = csv::Reader::from_reader(header.as_bytes())
            .records()
            .count();
        assert_eq!(header_rows, by_child.len());
        // Counts equal the summary's.
        let y = &summary.by_financial_year[k];
        assert_eq!(&y.period, year);
        assert_eq!(started, y.care_entries_total(), "{year}: entries");
        assert_eq!(ended, y.care_exits, "{year}: exits");
        checked += started;
    }
    assert!(checked > 100);
}

#[test]
fn the_cin_census_counts_what_the_summary_counts() {
    let (log, summary) = run_default(3);
    // Escalations from the waiting list are contacts, not referrals.
    assert!(summary.family_help.escalated > 0);
    let r = Returns::from_log(&log[..]).unwrap();
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
        let dates = |tag: &str| -> Vec<CivilDate> {
            let open = format!("<{tag}>");
            xml.split(&open)
                .skip(1)
                .map(|rest| CivilDate::parse(&rest[..10]).unwrap())
                .collect()
        };
        let in_year = |tag: &str| {
            dates(tag)
                .into_iter()
                .filter(|d| d >= first && d <= last)
                .count() as u64
        };
        let y = &summary.by_financial_year[k];
        assert_eq!(in_year("CINreferralDate"), y.referrals, "{year}: referrals");
        assert_eq!(
            in_year("S47ActualStartDate"),
            y.s47_enquiries,
            "{year}: s47"
        );
        assert_eq!(in_year("DateOfInitialCPC"), y.conferences, "{year}: ICPCs");
        assert_eq!(in_year("CPPstartDate"), y.plans_started, "{year}: plans");
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
    for f in [
        "x/ssda903/2024-25/header.csv",
        "x/ssda903/2024-25/episodes.csv",
        "x/cin/cin-2024-25.xml",
        "x/events.csv",
        "x/events.jsonl",
    ] {
        assert!(dir.path().join(f).exists(), "{f}");
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
        familyflow::snapshot::run_with_snapshot::<Vec<u8>>(&input, 1, None, at).unwrap();
    let mut tail = Vec::new();
    familyflow::snapshot::branch_to_log(&snapshot, &input, &mut tail).unwrap();
    let err = Returns::from_log(&tail[..]).unwrap_err().to_string();
    assert!(err.contains("continues a snapshot"), "{err}");
}
