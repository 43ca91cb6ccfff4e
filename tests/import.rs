//! `familyflow import`: returns in, a scenario out. The synthetic returns
//! in `tests/data/returns/` were made by familyflow's own export (a 5,000
//! children run of the default scenario, two collection years); no real
//! child's data is anywhere here.
//!
//! * the readers find the same returns in any folder layout;
//! * messy files (byte-order mark, CRLF, extra columns, blank optional
//!   fields, Excel-mangled dates) read as the clean ones; a bad row is
//!   reported with its file, line and column and counted, never dropped
//!   silently; a file that is not a return gets one clear error;
//! * the command writes a valid scenario with no child's identifier or
//!   date of birth in it or in what it prints;
//! * the round trip: a known scenario's run, exported, imported, gives a
//!   scenario whose starting caseload is the run's stock at the date and
//!   whose rates are within 10% of the run's.

use std::path::{Path, PathBuf};
use std::process::Command;

use familyflow::analysis::export::Returns as Exported;
use familyflow::import::estimate::{estimate, observe, Calibration};
use familyflow::import::{read_returns, Kind};
use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::Scenario;

/// A temporary folder, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(tag: &str) -> Temp {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "familyflow-import-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/returns")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The stored returns copied into `dir` under `name(year, file)`.
fn copy_as(dir: &Path, name: impl Fn(&str, &str) -> String) {
    for (year, label) in [("2025", "2024-25"), ("2026", "2025-26")] {
        for file in ["header.csv", "episodes.csv", "cin.xml"] {
            let _ = year;
            write(
                &dir.join(name(label, file)),
                &read(&data().join(year).join(file)),
            );
        }
    }
}

/// The figures compared between layouts and messes.
fn figures(r: &familyflow::import::Returns) -> Vec<f64> {
    let o = observe(r);
    vec![
        o.referrals.n,
        o.rereferrals,
        o.s47.n,
        o.conferences.n,
        o.plans.n,
        o.assessments.0,
        o.entries.iter().map(|c| c.n).sum(),
        o.exits.iter().sum(),
        o.looked_after.0,
        o.placed.iter().flatten().sum(),
        o.entry_ages.iter().sum(),
    ]
}

#[test]
fn the_same_returns_are_found_in_any_layout() {
    let stored = read_returns(&data()).unwrap();
    assert_eq!(stored.problems.bad_rows, 0, "{:?}", stored.problems.listed);
    let mut kinds: Vec<(Kind, i32)> = stored.found.iter().map(|f| (f.kind, f.year.0)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (Kind::Header, 2025),
            (Kind::Header, 2026),
            (Kind::Episodes, 2025),
            (Kind::Episodes, 2026),
            (Kind::Cin, 2025),
            (Kind::Cin, 2026),
        ]
    );
    let want = figures(&stored);
    assert!(want[0] > 100.0 && want[6] > 5.0, "{want:?}");
    // Today's export layout, a council's flat folder with the year in the
    // file names, and a folder per year named 2024_25.
    type Layout = fn(&str, &str) -> String;
    let layouts: [(&str, Layout); 3] = [
        ("export", |y, f| match f {
            "cin.xml" => format!("cin/cin-{y}.xml"),
            _ => format!("ssda903/{y}/{f}"),
        }),
        ("flat", |y, f| format!("{}_{f}", y.replace('-', "_"))),
        ("years", |y, f| {
            format!("returns/{}/{}", y.replace('-', "_"), f.to_uppercase())
        }),
    ];
    for (tag, name) in layouts {
        let t = Temp::new(tag);
        copy_as(&t.0, name);
        let r = read_returns(&t.0).unwrap();
        assert_eq!(r.found.len(), 6, "{tag}");
        assert_eq!(figures(&r), want, "{tag}");
    }
}

/// Re-dates `dd/mm/yyyy` as Excel does: `yyyy-mm-dd`, or `d/m/yy`.
fn excel(date: &str, iso: bool) -> String {
    let p: Vec<&str> = date.split('/').collect();
    if iso {
        format!("{}-{}-{}", p[2], p[1], p[0])
    } else {
        format!(
            "{}/{}/{}",
            p[0].trim_start_matches('0'),
            p[1].trim_start_matches('0'),
            &p[2][2..]
        )
    }
}

#[test]
fn messy_files_read_as_the_clean_ones_and_bad_rows_are_located_and_counted() {
    let clean = figures(&read_returns(&data()).unwrap());
    let t = Temp::new("messy");
    // 2025: a byte-order mark and CRLF line ends, an extra column in
    // front, Excel's dates on every other row; blank optional fields
    // (MOTHER, MC_DOB, postcodes, URN) as exported.
    let header = read(&data().join("2025/header.csv"));
    write(
        &t.0.join("2025/header.csv"),
        &format!("\u{feff}{}", header.replace('\n', "\r\n")),
    );
    let episodes = read(&data().join("2025/episodes.csv"));
    let mut messy = String::new();
    let mut repaired = 0;
    for (i, line) in episodes.lines().enumerate() {
        if i == 0 {
            messy.push_str(&format!("Row,{line},NOTES\r\n"));
            continue;
        }
        let fields: Vec<String> = line
            .split(',')
            .map(|f| {
                if f.len() == 10 && f.as_bytes()[2] == b'/' && i % 2 == 0 {
                    repaired += 1;
                    excel(f, i % 4 == 0)
                } else {
                    f.to_string()
                }
            })
            .collect();
        messy.push_str(&format!("{i},{},checked\r\n", fields.join(",")));
    }
    write(&t.0.join("2025/episodes.csv"), &messy);
    write(
        &t.0.join("2025/cin.xml"),
        &read(&data().join("2025/cin.xml")).replace('\n', "\r\n"),
    );
    // 2026 as exported.
    for f in ["header.csv", "episodes.csv", "cin.xml"] {
        write(
            &t.0.join("2026").join(f),
            &read(&data().join("2026").join(f)),
        );
    }
    let r = read_returns(&t.0).unwrap();
    assert_eq!(r.problems.bad_rows, 0, "{:?}", r.problems.listed);
    assert_eq!(r.problems.dates_repaired, repaired);
    assert!(repaired > 10);
    assert_eq!(figures(&r), clean);

    // A bad row: a month 13 in DECOM on line 3 of 2026's episodes; a
    // blank required LS on line 4; a CIN referral date that is no date.
    let episodes = read(&data().join("2026/episodes.csv"));
    let mut lines: Vec<String> = episodes.lines().map(String::from).collect();
    let mut f: Vec<String> = lines[2].split(',').map(String::from).collect();
    f[1] = "31/13/2025".into();
    lines[2] = f.join(",");
    let mut g: Vec<String> = lines[3].split(',').map(String::from).collect();
    g[3] = String::new();
    lines[3] = g.join(",");
    write(&t.0.join("2026/episodes.csv"), &(lines.join("\n") + "\n"));
    let xml = read(&data().join("2026/cin.xml"));
    let at = xml.find("<CINreferralDate>").unwrap() + "<CINreferralDate>".len();
    let line = xml[..at].matches('\n').count() + 1;
    let end = at + xml[at..].find('<').unwrap();
    let broken = format!("{}2025-02-30{}", &xml[..at], &xml[end..]);
    write(&t.0.join("2026/cin.xml"), &broken);
    // A UASC table (the export writes none): one child of 2025's header.
    let child = read(&data().join("2025/header.csv"))
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    write(
        &t.0.join("2026/uasc.csv"),
        &format!("CHILD,SEX,DOB,DUC\n{child},1,01/01/2010,01/01/2028\n"),
    );
    // Not returns: notes in a CSV, another XML, a workbook.
    write(&t.0.join("notes.csv"), "Name,Comment\nA,b\n");
    write(&t.0.join("2026/other.xml"), "<Report><Row/></Report>\n");
    write(&t.0.join("returns.xlsx"), "PK");
    let r = read_returns(&t.0).unwrap();
    let shown: Vec<String> = r.problems.listed.iter().map(|p| p.to_string()).collect();
    assert_eq!(r.problems.bad_rows, 3, "{shown:#?}");
    assert_eq!(r.problems.not_returns, 3, "{shown:#?}");
    let has = |s: &str| shown.iter().any(|p| p.contains(s));
    assert!(
        has("2026/episodes.csv:3: DECOM: \"31/13/2025\" is not a date"),
        "{shown:#?}"
    );
    assert!(
        has("2026/episodes.csv:4: LS: blank, but required"),
        "{shown:#?}"
    );
    assert!(
        has(&format!(
            "2026/cin.xml:{line}: CINreferralDate: \"2025-02-30\" is not a date"
        )),
        "{shown:#?}"
    );
    assert!(has("notes.csv: not an SSDA903 table"), "{shown:#?}");
    assert!(
        has("2026/other.xml: not a children in need census: the XML's root element is <Report>"),
        "{shown:#?}"
    );
    assert!(has("returns.xlsx: an Excel workbook"), "{shown:#?}");
    assert!(r
        .found
        .iter()
        .any(|f| f.kind == Kind::Uasc && f.year.0 == 2026));
    assert!(observe(&r).unaccompanied.is_some());
    // The bad rows are left out, nothing else.
    let messy = figures(&r);
    assert!(
        messy.iter().zip(&clean).all(|(m, c)| m <= c),
        "{messy:?} {clean:?}"
    );
}

#[test]
fn every_table_s_bad_rows_are_reported_and_no_message_quotes_a_child() {
    let t = Temp::new("tables");
    for f in ["header.csv", "episodes.csv", "cin.xml"] {
        write(
            &t.0.join("2026").join(f),
            &read(&data().join("2026").join(f)),
        );
    }
    let episodes = read(&data().join("2026/episodes.csv"));
    let first = episodes.lines().nth(1).unwrap();
    let child = first.split(',').next().unwrap().to_string();
    // The same episode twice in one table (a copy with another LS).
    let mut copy: Vec<&str> = first.split(',').collect();
    copy[3] = if copy[3] == "C2" { "V2" } else { "C2" };
    write(
        &t.0.join("2026/episodes.csv"),
        &format!("{episodes}{}\n", copy.join(",")),
    );
    let line = episodes.lines().count() + 1;
    // UASC, reviews and missing tables with dates that are none.
    write(
        &t.0.join("2026/uasc.csv"),
        &format!("CHILD,SEX,DOB,DUC\n{child},1,01/01/2010,bad\n"),
    );
    write(
        &t.0.join("2026/reviews.csv"),
        &format!("CHILD,DOB,REVIEW,REVIEW_CODE\n{child},xx/yy,01/06/2025,PN1\n{child},01/01/2010,31/02/2025,PN1\n{child},01/01/2010,01/07/2025,PN1\n"),
    );
    write(
        &t.0.join("2026/missing.csv"),
        &format!("CHILD,DOB,MISSING,MIS_START,MIS_END\n{child},01/01/2010,M,,\n"),
    );
    // A table saved by Excel as "Unicode Text" (UTF-16).
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "CHILD,DOB,REVIEW\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(t.0.join("2026/reviews2.csv"), utf16).unwrap();
    // A header table saved without its header line: its first line is a
    // child's id and date of birth, which no message may repeat.
    let header = read(&data().join("2025/header.csv"));
    let values = header.lines().skip(1).collect::<Vec<_>>().join("\n");
    write(&t.0.join("2025/header.csv"), &values);
    let r = read_returns(&t.0).unwrap();
    let shown: Vec<String> = r.problems.listed.iter().map(|p| p.to_string()).collect();
    let has = |s: &str| shown.iter().any(|p| p.contains(s));
    assert!(
        has(&format!(
            "2026/episodes.csv:{line}: DECOM: the same child and DECOM as line 2"
        )),
        "{shown:#?}"
    );
    assert!(
        has("2026/uasc.csv:2: DUC: \"bad\" is not a date"),
        "{shown:#?}"
    );
    assert!(
        has("2026/reviews.csv:2: DOB: (value not shown"),
        "{shown:#?}"
    );
    assert!(
        has("2026/reviews.csv:3: REVIEW: \"31/02/2025\" is not a date"),
        "{shown:#?}"
    );
    assert!(
        has("2026/missing.csv:2: MIS_START: blank, but required"),
        "{shown:#?}"
    );
    assert_eq!(r.problems.bad_rows, 5, "{shown:#?}");
    assert!(observe(&r).unaccompanied.is_none());
    assert!(has("2025/header.csv: not an SSDA903 table"), "{shown:#?}");
    assert!(
        has("2026/reviews2.csv: a UTF-16 text file (Excel's \"Unicode Text\"), not read: save it as CSV UTF-8"),
        "{shown:#?}"
    );
    let first_values: Vec<&str> = header.lines().nth(1).unwrap().split(',').collect();
    // Its CHILD and DOB.
    for value in [first_values[0], first_values[2]] {
        assert!(
            !shown.iter().any(|p| p.contains(value)),
            "{value} quoted: {shown:#?}"
        );
    }
}

#[test]
fn without_calibration_rounds_no_line_claims_to_be_calibrated() {
    let r = read_returns(&data()).unwrap();
    let how = Calibration {
        rounds: 0,
        ..Calibration::default()
    };
    let e = estimate(&r, 5000, None, 5, how, &mut |_, _| {}).unwrap();
    assert!(!e.text.contains("calibrated so that"), "{}", e.text);
    let uncalibrated = e.text.matches("not calibrated (--rounds 0)").count();
    assert!(uncalibrated >= 5, "{uncalibrated}: {}", e.text);
    assert!(e
        .defaults_kept
        .contains(&"area.new_referrals_per_10k_children".to_string()));
    // The values are the default's.
    let imported = ScenarioInput::from_text(&e.text, "imported").unwrap();
    let default = ScenarioInput::builtin();
    assert_eq!(
        imported.scenario.area.new_referrals_per_10k_children,
        default.scenario.area.new_referrals_per_10k_children
    );
}

#[test]
fn a_folder_without_returns_gets_one_clear_error() {
    let t = Temp::new("none");
    write(&t.0.join("budget.csv"), "Line,Amount\nstaff,100\n");
    let e = read_returns(&t.0).unwrap_err().to_string();
    assert!(e.contains("no SSDA903 table or CIN census found"), "{e}");
    assert!(e.contains("budget.csv: not an SSDA903 table"), "{e}");
    let out = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .args(["import"])
        .arg(&t.0)
        .args(["--children", "5000", "--out"])
        .arg(t.0.join("area.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!t.0.join("area.toml").exists());
}

#[test]
fn the_command_writes_a_scenario_without_identifiers_or_dates_of_birth() {
    let t = Temp::new("command");
    let out_file = t.0.join("area.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_familyflow"))
        .arg("import")
        .arg(data())
        .args(["--children", "5000", "--rounds", "1", "--out"])
        .arg(&out_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Summary: 6 files used, 0 files not a return, 0 bad rows left out"),
        "{stdout}"
    );
    let text = read(&out_file);
    let scenario = Scenario::parse(&text, "imported").unwrap();
    assert_eq!(scenario.area.children, 5000);
    assert_eq!(scenario.burn_in_years, 0);
    assert_eq!(scenario.start.to_string(), "2026-04-01");
    assert!(scenario.starting_caseload.is_some());
    // Every estimated line says what it came from.
    assert!(text.contains("new_referrals_per_10k_children = "));
    assert!(text.contains("# estimated"));
    // No child's id (letters in sibling ids, as `1234S1`) nor date of birth.
    let mut ids = Vec::new();
    let mut dobs = Vec::new();
    for year in ["2025", "2026"] {
        for line in read(&data().join(year).join("header.csv")).lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            ids.push(f[0].to_string());
            dobs.push(f[2].to_string());
            let p: Vec<&str> = f[2].split('/').collect();
            dobs.push(format!("{}-{}-{}", p[2], p[1], p[0]));
        }
    }
    let printed = format!("{text}\n{stdout}\n{stderr}");
    for id in ids.iter().filter(|id| id.contains('S')) {
        assert!(!printed.contains(id.as_str()), "child id {id} written");
    }
    for dob in &dobs {
        assert!(!printed.contains(dob.as_str()), "a date of birth written");
    }
}

/// The area of the round trip: the default scenario at 60,000 children,
/// its staff and budgets scaled alike, five years after its burn-in, with
/// rates away from the default's (which the import starts from): more
/// referrals, fewer enquiries, fewer plans per conference, shorter stays
/// in care, fewer proceedings issued, more kin.
fn source() -> ScenarioInput {
    use familyflow::model::scenario::{NonNegative, Positive, Probability};
    let mut s = ScenarioInput::builtin().scenario;
    familyflow::import::estimate::scale_area(&mut s, 60_000);
    s.years = 5;
    s.area.new_referrals_per_10k_children = NonNegative(175.0);
    s.families.significant_harm_threshold = Probability(0.75);
    s.child_protection.plan_probability = Probability(0.75);
    s.care.years_in_care_mean = Positive(5.5);
    s.proceedings.issue_probability = Probability(0.6);
    s.care.placement.kinship = NonNegative(0.3);
    let text = toml::to_string(&s).unwrap();
    ScenarioInput::from_text(&text, "round trip").unwrap()
}

/// The rates compared, per 10,000 children a year (shares as shares).
fn rates(s: &familyflow::analysis::summary::Summary) -> Vec<(&'static str, f64)> {
    let route = |what: &str| {
        s.care
            .entries_by_route
            .iter()
            .filter(|c| c.what.contains(what))
            .map(|c| c.count as f64)
            .sum::<f64>()
    };
    let years = s.by_financial_year.len().max(1) as f64;
    let per10k = |n: f64| n / years / s.children as f64 * 10_000.0;
    let exits = |what: &str| {
        s.care
            .exits
            .iter()
            .filter(|c| c.what.contains(what))
            .map(|c| c.count as f64)
            .sum::<f64>()
    };
    vec![
        ("referrals", s.referrals.per_10k_children_per_year),
        (
            "re-referred within 12 months (%)",
            s.referrals.rereferred_within_12_months_pct,
        ),
        (
            "s47 enquiries",
            s.child_protection.s47_per_10k_children_per_year,
        ),
        (
            "plans started",
            s.child_protection.plans_started_per_10k_children_per_year,
        ),
        ("entries to care", s.care.entries_per_10k_children_per_year),
        ("entries: care proceedings", per10k(route("proceedings"))),
        ("entries: emergency", per10k(route("emergency"))),
        (
            "entries: section 20 and unaccompanied",
            per10k(route("section 20") + route("unaccompanied")),
        ),
        ("exits: home", per10k(exits("home"))),
        ("exits: special guardianship", per10k(exits("guardianship"))),
        ("exits: at 18", per10k(exits("18"))),
        (
            "looked after at the end",
            s.care.looked_after_per_10k_children,
        ),
        // Time in care: children's days looked after, as children looked
        // after on an average day.
        (
            "looked after on an average day",
            per10k(s.care.child_days_in_care / 365.0),
        ),
        (
            "proceedings issued",
            per10k(s.care.proceedings_issued as f64),
        ),
    ]
}

/// Children looked after by (placement, legal status, age band) and
/// children on a plan by age band, in `state` at minute `at`.
type StockTable = (
    std::collections::BTreeMap<(String, String, u8), u32>,
    std::collections::BTreeMap<u8, u32>,
);

fn stock_of(state: &familyflow::model::state::State, at: u64) -> StockTable {
    use familyflow::model::event::FamilyId;
    use familyflow::model::state::Stage;
    let band = |age: u8| match age {
        0 => 0,
        1..=4 => 1,
        5..=9 => 2,
        10..=15 => 3,
        _ => 4,
    };
    let mut table = StockTable::default();
    for id in 0..state.next_family_id().0 {
        let id = FamilyId(id);
        let Some(f) = state.family(id) else { continue };
        if f.stage == Stage::InCare {
            let place = f
                .placement
                .map(|p| p.label().to_string())
                .unwrap_or_default();
            let legal = f.legal.map(|l| format!("{l:?}")).unwrap_or_default();
            for k in 0..f.in_care {
                let age = band(f.child_whole_age_at(id, k, at));
                *table
                    .0
                    .entry((place.clone(), legal.clone(), age))
                    .or_insert(0) += 1;
            }
        } else if f.stage == Stage::OnPlan {
            // Children on a plan as at its start (a child turning 18 on
            // it is in the returns until it ends).
            for k in 0..f.children_under_18(id, f.stage_since()) {
                *table
                    .1
                    .entry(band(f.child_whole_age_at(id, k, at)))
                    .or_insert(0) += 1;
            }
        }
    }
    table
}

#[test]
fn round_trip_starting_stock_and_rates() {
    // The source run and its returns, written in today's export layout.
    let input = source();
    let mut log = Vec::new();
    let run = familyflow::analysis::run::run(&input, 1, Some(&mut log)).unwrap();
    let exported = Exported::from_log(&log[..]).unwrap();
    let t = Temp::new("roundtrip");
    for (year, first, last) in &exported.years {
        let (header, episodes) = exported.ssda903(*first, *last);
        write(&t.0.join(format!("ssda903/{year}/header.csv")), &header);
        write(&t.0.join(format!("ssda903/{year}/episodes.csv")), &episodes);
        write(
            &t.0.join(format!("cin/cin-{year}.xml")),
            &exported.cin_xml(year, *first, *last),
        );
    }
    let returns = read_returns(&t.0).unwrap();
    assert_eq!(
        returns.problems.bad_rows, 0,
        "{:?}",
        returns.problems.listed
    );
    let how = Calibration {
        rounds: 8,
        runs: 1,
        years: 10,
        min_children: 60_000,
    };
    let e = estimate(&returns, 60_000, None, 5, how, &mut |round, figures| {
        for (name, want, got) in figures {
            eprintln!("calibration round {round}: {name:<48} {want:>8.3?} {got:>8.3?}");
        }
    })
    .unwrap();
    let imported = ScenarioInput::from_text(&e.text, "imported").unwrap();
    for line in e.text.lines().filter(|l| l.contains("warm start")) {
        eprintln!("{line}");
    }

    // The starting stock is the run's at its end (the day before the start).
    let at_end = &run.summary.at_end;
    let st = &e.stock;
    let counts = familyflow::import::estimate::Stock {
        in_care: Vec::new(),
        plans: Vec::new(),
        closed: Vec::new(),
        ..st.clone()
    };
    eprintln!("stock: source {at_end:?}\n       imported {counts:?}");
    assert_eq!(u64::from(st.on_plan), at_end.on_plan);
    assert_eq!(u64::from(st.children_on_plan), at_end.children_on_plan);
    assert_eq!(
        u64::from(st.children_looked_after),
        at_end.children_looked_after
    );
    assert_eq!(u64::from(st.looked_after), at_end.in_care);
    // Families in family help, waiting or in an enquiry are counted by
    // grouping children with the same dates (the returns hold no family
    // link): two families referred on one day whose help (or enquiry)
    // started on one day and has not ended look like one, and such a group
    // counts as its children over the mean household. So these are near
    // the run's, not equal to them.
    let near = |a: u32, b: u64| (f64::from(a) / b as f64 - 1.0).abs() <= 0.15;
    // Waiting or in help: told apart by whether an assessment of the
    // family's own started (the export's assessments are being reworked
    // for the validators' rules), so checked together.
    assert!(near(
        st.in_family_help + st.waiting_for_help,
        at_end.in_help + at_end.waiting_for_help + at_end.awaiting_triage
    ));
    assert!(near(
        st.in_enquiry + st.awaiting_conference,
        at_end.in_enquiry + at_end.awaiting_conference
    ));
    let c = imported.scenario.starting_caseload.as_ref().unwrap();
    // Households looked after and on a plan are the detailed rows.
    assert_eq!(
        (c.on_plan, c.looked_after, c.pre_proceedings),
        (0, 0, st.pre_proceedings)
    );
    assert_eq!((&c.in_care, &c.plans), (&st.in_care, &st.plans));
    let households = |rows: &[u32]| rows.iter().sum::<u32>();
    let care_rows: Vec<u32> = c.in_care.iter().map(|h| h.count).collect();
    let plan_rows: Vec<u32> = c.plans.iter().map(|h| h.count).collect();
    // A household whose children's ages the model cannot hold (it spreads
    // brothers and sisters evenly) is split, so there may be more.
    assert!(households(&care_rows) >= st.looked_after);
    assert!(households(&plan_rows) >= st.on_plan);
    eprintln!(
        "households: in care {} rows {}, on a plan {} rows {}",
        st.looked_after,
        households(&care_rows),
        st.on_plan,
        households(&plan_rows)
    );
    let closed: Vec<u32> = c.closed.iter().map(|h| h.count).collect();
    eprintln!(
        "households closed before the start: {} in {} rows (the source keeps {} closed families with a re-referral to come)",
        households(&closed),
        closed.len(),
        at_end.closed_to_return
    );

    // The imported run's first day holds the source run's stock at the
    // date exactly: children looked after by placement, legal status and
    // age band, and children on a plan by age band.
    let source_stock = stock_of(&run.state, input.scenario.calendar().horizon() - 1);
    let first_day = {
        let model = familyflow::model::Model::new(imported.scenario.clone(), 1);
        let mut r = familyflow::engine::Run::start(&model);
        r.advance(&model, 1, &mut familyflow::engine::Discard)
            .unwrap();
        stock_of(&r.state, 0)
    };
    eprintln!(
        "first day in care by (placement, legal status, age band): {:?}",
        first_day.0
    );
    assert!(!source_stock.0.is_empty() && !source_stock.1.is_empty());
    assert_eq!(first_day.0, source_stock.0, "children looked after");
    assert_eq!(
        u64::from(first_day.1.values().sum::<u32>()),
        at_end.children_on_plan,
        "children on a plan"
    );
    assert_eq!(
        first_day.1, source_stock.1,
        "children on a plan by age band"
    );
    // Families in help past the team's room start on its waiting list.
    let room = imported.scenario.family_help.capacity();
    assert_eq!(c.in_family_help, st.in_family_help.min(room));
    assert_eq!(
        c.waiting_for_help + c.in_family_help,
        st.waiting_for_help + st.in_family_help
    );

    // The rates: the imported scenario as written (from its starting
    // caseload, with its households closed before the start), two seeds
    // pooled.
    let source_rates = rates(&run.summary);
    let mut sums = vec![0.0; source_rates.len()];
    for seed in [1, 2] {
        let r = familyflow::analysis::run::run(&imported, seed, None::<std::io::Sink>).unwrap();
        eprintln!(
            "seed {seed}: the run opened {} families with {} children",
            r.summary.starting_caseload, r.summary.starting_caseload_children
        );
        // Year by year beside the source: where the start still shows.
        let by_year = |s: &familyflow::analysis::summary::Summary| -> Vec<(u64, u64)> {
            s.by_financial_year
                .iter()
                .map(|y| (y.proceedings_issued, y.care_entries.0.iter().sum()))
                .collect()
        };
        eprintln!(
            "seed {seed}: (proceedings issued, children entering care) by year: source {:?} imported {:?}",
            by_year(&run.summary),
            by_year(&r.summary)
        );
        // Babies referred, the main source of urgent proceedings (issued
        // at the end of an enquiry, the baby removed).
        let babies = |s: &familyflow::analysis::summary::Summary| -> Vec<u64> {
            s.characteristics_by_financial_year
                .iter()
                .map(|y| y.referred.by_age[familyflow::model::per::AgeBand::Under1])
                .collect()
        };
        eprintln!(
            "seed {seed}: children referred under 1 by year: source {:?} imported {:?}",
            babies(&run.summary),
            babies(&r.summary)
        );
        for (s, (_, v)) in sums.iter_mut().zip(rates(&r.summary)) {
            *s += v / 2.0;
        }
    }
    // The same rates, the imported parameters run from a burn-in (no
    // starting caseload, no warm start): what the parameters give apart
    // from how the run starts.
    let mut settled = imported.scenario.clone();
    settled.burn_in_years = 20;
    settled.starting_caseload = None;
    settled.policy.clear();
    let settled = ScenarioInput::from_text(&toml::to_string(&settled).unwrap(), "settled").unwrap();
    let mut settled_sums = vec![0.0; source_rates.len()];
    for seed in [1, 2] {
        let r = familyflow::analysis::run::run(&settled, seed, None::<std::io::Sink>).unwrap();
        for (s, (_, v)) in settled_sums.iter_mut().zip(rates(&r.summary)) {
            *s += v / 2.0;
        }
    }
    let mut failed = Vec::new();
    for ((name, want), got) in source_rates.iter().zip(&settled_sums) {
        let off = got / want - 1.0;
        eprintln!(
            "settled: {name:<40} source {want:>8.2} imported {got:>8.2} ({:+.1}%)",
            off * 100.0
        );
        let checked = [
            "referrals",
            "re-referred within 12 months (%)",
            "s47 enquiries",
            "plans started",
            "entries to care",
            "entries: section 20 and unaccompanied",
            "looked after at the end",
            "looked after on an average day",
        ]
        .contains(name);
        if checked && off.abs() > 0.10 {
            failed.push(format!("settled {name}: {want:.2} vs {got:.2}"));
        }
    }
    for ((name, want), got) in source_rates.iter().zip(&sums) {
        let off = got / want - 1.0;
        eprintln!(
            "{name:<40} source {want:>8.2} imported {got:>8.2} ({:+.1}%)",
            off * 100.0
        );
        // Rates from fewer than about 300 events in the source run
        // (entries by emergency, exits to special guardianship: about 100
        // to 120 in five years) differ by more than 10% between seeds of
        // one scenario: printed only. Exits home (about 470) and at 18
        // (about 290), entries under section 20 (about 480) and time in
        // care (children looked after on an average day) are checked.
        //
        // Entries to care and proceedings issued came out 11% and 15% high
        // while a warm start (the new-referral rate raised in the first
        // years) stood in for the re-referrals of families closed before
        // the start with new families, who are referred younger (babies
        // referred in the first year 340–384 against the source's 178), so
        // urgent proceedings about babies nearly doubled (issue 15). The
        // returns' households closed within the re-referral horizon are now
        // opened closed (`starting_caseload.closed`, about 4,100) and
        // re-referred by the model's own hazard; the warm start's factors
        // come out x1.00–1.01 and it is not written. Measured: entries to
        // care +6.5%, proceedings issued +5.5%, looked after at the end
        // +3.7%, re-referred within 12 months −3.8% (a re-referral of a
        // family closed before the start does not count as within 12
        // months: its referral's date is not in the scenario); babies
        // referred in the first year 166 and 143 against 178, in five
        // years −9%. Entries through care proceedings (about 50 a year)
        // +12%: printed.
        let checked = [
            "referrals",
            "re-referred within 12 months (%)",
            "s47 enquiries",
            "plans started",
            "entries to care",
            "proceedings issued",
            "entries: section 20 and unaccompanied",
            "looked after at the end",
            "looked after on an average day",
            "exits: home",
            "exits: at 18",
        ]
        .contains(name);
        if checked && off.abs() > 0.10 {
            failed.push(format!("{name}: {want:.2} vs {got:.2}"));
        }
    }
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn a_detailed_starting_caseload_is_checked_by_file_line_and_field() {
    let text = |rows: &str| {
        familyflow::model::scenario::DEFAULT_SCENARIO.to_string()
            + "\n[starting_caseload]\nwaiting_for_help = 0\nin_family_help = 0\nin_enquiry = 0\nawaiting_conference = 0\non_plan = 0\nlooked_after = 0\n"
            + rows
    };
    let lines = familyflow::model::scenario::DEFAULT_SCENARIO
        .lines()
        .count();
    // Each mistake names the row's field and its line.
    for (rows, field, says, line) in [
        (
            "in_care = [\n  { placement = \"kinship\", legal_status = \"care_order\", ages = [4], months = 12 },\n  { placement = \"residential\", legal_status = \"care_order\", ages = [2], months = 40 },\n]\n",
            "starting_caseload.in_care #2.months",
            "longer than the youngest child (2) has lived",
            lines + 11,
        ),
        (
            "in_care = [{ placement = \"kinship\", legal_status = \"care_order\", ages = [], months = 0 }]\n",
            "starting_caseload.in_care #1.ages",
            "0 children",
            lines + 9,
        ),
        (
            "in_care = [{ placement = \"kinship\", legal_status = \"care_order\", ages = [4, 19], months = 0 }]\n",
            "starting_caseload.in_care #1.ages #2",
            "19",
            lines + 9,
        ),
        (
            "in_care = [{ placement = \"kinship\", legal_status = \"care_order\", ages = [15], unaccompanied = true }]\n",
            "starting_caseload.in_care #1.unaccompanied",
            "section 20",
            lines + 9,
        ),
        (
            "plans = [{ ages = [3], months = 300 }]\n",
            "starting_caseload.plans #1.months",
            "300",
            lines + 9,
        ),
        (
            "closed = [\n  { ages = [3, 6], months = 7, closure = \"no_action\", count = 4 },\n  { ages = [], months = 2, closure = \"needs_met\" },\n]\n",
            "starting_caseload.closed #2.ages",
            "0 children",
            lines + 11,
        ),
        (
            "closed = [{ ages = [2, 18], months = 1, closure = \"needs_unmet\" }]\n",
            "starting_caseload.closed #1.ages #2",
            "18",
            lines + 9,
        ),
        (
            "closed = [{ ages = [2], months = 5000, closure = \"needs_met\" }]\n",
            "starting_caseload.closed #1.months",
            "5000",
            lines + 9,
        ),
        (
            "closed = [{ ages = [2], months = 5, closure = \"no_action\", count = 0 }]\n",
            "starting_caseload.closed #1.count",
            "0",
            lines + 9,
        ),
    ] {
        let err = Scenario::parse(&text(rows), "start.toml").unwrap_err();
        let p = &err.problems[0];
        assert_eq!(p.field, field, "{err}");
        assert!(p.message.contains(says), "{err}");
        assert_eq!(p.line, line, "{err}");
    }
    // An unknown placement is refused by the parser, located too.
    let err = Scenario::parse(
        &text("in_care = [{ placement = \"boarding_school\", legal_status = \"care_order\", ages = [9] }]\n"),
        "start.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("boarding_school"), "{err}");
    assert!(err.problems[0].line > lines, "{err}");
    // So is an unknown closure group.
    let err = Scenario::parse(
        &text("closed = [{ ages = [9], months = 2, closure = \"adopted\" }]\n"),
        "start.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("adopted"), "{err}");
    assert!(err.problems[0].line > lines, "{err}");
}

/// Households closed before the start spend ids after the open ones, and
/// come back only by the re-referral hazard: within the horizon less the
/// months already past, before the youngest child's 18th birthday, the
/// same on every run of the scenario.
#[test]
fn households_closed_before_the_start_are_referred_again_by_the_hazard() {
    use familyflow::model::event::Event;
    let mut s = ScenarioInput::builtin().scenario;
    familyflow::import::estimate::scale_area(&mut s, 5_000);
    s.burn_in_years = 0;
    s.years = 4;
    let rows = "waiting_for_help = 0\nin_family_help = 0\nin_enquiry = 0\nawaiting_conference = 0\non_plan = 1\nlooked_after = 0\n\
        closed = [\n\
          { ages = [3, 6], months = 7, closure = \"no_action\", count = 400 },\n\
          { ages = [17], months = 1, closure = \"needs_unmet\", count = 300 },\n\
          { ages = [1], months = 30, closure = \"needs_met\", count = 300 },\n\
        ]\n";
    let mut t: toml::Table = toml::from_str(&toml::to_string(&s).unwrap()).unwrap();
    t.insert(
        "starting_caseload".into(),
        toml::from_str::<toml::Table>(rows).unwrap().into(),
    );
    let input = ScenarioInput::from_text(&toml::to_string(&t).unwrap(), "closed").unwrap();
    let horizon = s.rereferral.horizon_years.get() * 365.0 * 1440.0;
    let read = |seed: u64| {
        let mut log = Vec::new();
        familyflow::analysis::run::run(&input, seed, Some(&mut log)).unwrap();
        let mut reader = familyflow::engine::log::LogReader::open(&log[..]).unwrap();
        let mut closed = Vec::new();
        let mut again = std::collections::BTreeMap::new();
        while let Some(t) = reader.next_event::<Event>().unwrap() {
            match t.event {
                Event::ClosedBeforeStart {
                    family,
                    attributes,
                    rereferral_due,
                    ..
                } => {
                    assert_eq!(t.at, 0);
                    closed.push((family.0, attributes.youngest_age, rereferral_due));
                }
                // The first time back (a family may come back again later).
                Event::FamilyReReferred { family, episode: 1 }
                    if family.0 >= 1 && family.0 <= 1000 =>
                {
                    assert!(again.insert(family.0, t.at).is_none());
                }
                _ => {}
            }
        }
        (closed, again)
    };
    let (closed, again) = read(5);
    // Ids after the one family on a plan, every household opened.
    assert_eq!(closed.len(), 1000);
    assert!(closed.iter().enumerate().all(|(i, c)| c.0 == i as u32 + 1));
    let due =
        |range: std::ops::Range<usize>| closed[range].iter().filter(|c| c.2.is_some()).count();
    let (no_action, unmet, met) = (due(0..400), due(400..700), due(700..1000));
    eprintln!("due: no action {no_action}/400, needs unmet {unmet}/300, needs met {met}/300");
    // No action: 32% within a year, the horizon 3 years less 7 months.
    assert!((150..330).contains(&no_action), "{no_action}");
    // Aged 17: only before the 18th birthday, within a year.
    assert!((5..200).contains(&unmet), "{unmet}");
    // Needs met, 30 of the 36 months past: a few within the last 6.
    assert!(met < 60, "{met}");
    for (i, (family, youngest, d)) in closed.iter().enumerate() {
        let Some(d) = d else { continue };
        let past = [7.0, 1.0, 30.0][usize::from(i >= 400) + usize::from(i >= 700)];
        assert!(
            (*d as f64) <= horizon - past * horizon / 36.0 + 1.0,
            "{family}: {d}"
        );
        if *youngest == 17 {
            assert!(*d < 366 * 1440, "{family} referred again at 18: {d}");
        }
        // Each due re-referral happens when it was drawn (within the run).
        if *d < 4 * 365 * 1440 {
            assert_eq!(again.get(family), Some(d), "{family}");
        }
    }
    assert_eq!(
        again.len(),
        closed
            .iter()
            .filter(|c| c.2.is_some_and(|d| d < 4 * 365 * 1440))
            .count()
    );
    // The same draws on another run of the scenario with another seed?
    // No: the seed changes the streams; the same seed repeats them.
    assert_eq!(read(5).0, closed);
}

#[test]
fn a_detailed_starting_caseload_opens_each_household_as_written() {
    use familyflow::model::event::{Event, LegalStatus, OpenStage, Placement};
    let mut s = ScenarioInput::builtin().scenario;
    familyflow::import::estimate::scale_area(&mut s, 5_000);
    s.burn_in_years = 0;
    s.years = 1;
    let rows = "waiting_for_help = 0\nin_family_help = 0\nin_enquiry = 0\nawaiting_conference = 0\non_plan = 0\nlooked_after = 0\n\
        in_care = [\n\
          { placement = \"residential\", legal_status = \"interim_care_order\", ages = [13, 15], months = 3 },\n\
          { placement = \"kinship\", legal_status = \"section_20\", ages = [16], months = 30, unaccompanied = true, count = 2 },\n\
          { placement = \"agency_foster\", legal_status = \"police_protection\", ages = [0], months = 0 },\n\
        ]\n\
        plans = [{ ages = [2, 5, 8], months = 40 }, { ages = [6], months = 2, count = 3 }]\n";
    let mut t: toml::Table = toml::from_str(&toml::to_string(&s).unwrap()).unwrap();
    t.insert(
        "starting_caseload".into(),
        toml::from_str::<toml::Table>(rows).unwrap().into(),
    );
    let input = ScenarioInput::from_text(&toml::to_string(&t).unwrap(), "rows").unwrap();
    let mut log = Vec::new();
    let run = familyflow::analysis::run::run(&input, 3, Some(&mut log)).unwrap();
    let mut reader = familyflow::engine::log::LogReader::open(&log[..]).unwrap();
    let mut opened = Vec::new();
    let mut legal = Vec::new();
    let mut left = Vec::new();
    let mut plans_ended = Vec::new();
    while let Some(t) = reader.next_event::<Event>().unwrap() {
        match t.event {
            Event::FamilyOpened {
                family,
                attributes,
                stage,
                placement,
            } => opened.push((
                family.0,
                stage,
                attributes.children,
                attributes.youngest_age,
                placement.map(|p| p.0),
            )),
            Event::LegalStatusChanged { family, legal: l } if t.at == 0 => {
                legal.push((family.0, l))
            }
            Event::LeftCare { family, .. } => left.push((family.0, t.at)),
            Event::PlanEnded { family, .. } => plans_ended.push((family.0, t.at)),
            _ => {}
        }
    }
    use OpenStage::{LookedAfter, OnPlan};
    assert_eq!(
        opened,
        [
            (0, LookedAfter, 2, 13, Some(Placement::Residential)),
            (1, LookedAfter, 1, 16, Some(Placement::Kinship)),
            (2, LookedAfter, 1, 16, Some(Placement::Kinship)),
            (3, LookedAfter, 1, 0, Some(Placement::AgencyFoster)),
            (4, OnPlan, 3, 2, None),
            (5, OnPlan, 1, 6, None),
            (6, OnPlan, 1, 6, None),
            (7, OnPlan, 1, 6, None),
        ]
    );
    assert_eq!(
        legal,
        [
            (0, LegalStatus::InterimCareOrder),
            (1, LegalStatus::Section20),
            (2, LegalStatus::Section20),
            (3, LegalStatus::PoliceProtection),
        ]
    );
    assert_eq!(
        run.summary.starting_caseload_children,
        2 + 1 + 1 + 1 + 3 + 3
    );
    // Unaccompanied children stay until 18 (more than a year away).
    assert!(!left.iter().any(|(f, _)| *f == 1 || *f == 2), "{left:?}");
    // A plan 40 months old is past the longest band (36 months): it ends
    // within days.
    let day = 1_440;
    assert!(
        plans_ended.iter().any(|(f, at)| *f == 4 && *at <= 2 * day),
        "{plans_ended:?}"
    );
}
