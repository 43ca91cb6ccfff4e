//! SSDA903 tables (children looked after), read as the DfE names their
//! columns and as councils keep them: a byte-order mark, CRLF line ends,
//! columns in any order and extra ones, blank optional fields and dates
//! re-saved by Excel are all accepted; a row that cannot be used is
//! reported (file, line, column, reason) and left out.
//!
//! Several years merge: an episode is known by its child and start date
//! (`DECOM`), and the latest year's copy of it (with its end, once it
//! ended) is kept.

use std::collections::{BTreeMap, BTreeSet};

use super::{parse_dmy, CollectionYear, DateForm, Kind, Problems, MAX_ROWS};
use crate::model::calendar::CivilDate;

/// Legal statuses (`LS`) in the SSDA903 guidance.
pub const LEGAL_STATUSES: [&str; 13] = [
    "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4",
];

/// Placement types (`PLACE`) in the SSDA903 guidance.
pub const PLACES: [&str; 27] = [
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1", "T0",
    "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
];

/// One episode of care (a row of `episodes.csv`), without its child's id
/// (an index into the child table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// The child (an index, not the id in the file).
    pub child: u32,
    /// Start (`DECOM`).
    pub start: CivilDate,
    /// Reason for a new episode (`RNE`).
    pub reason_new: String,
    /// Legal status (`LS`).
    pub legal_status: String,
    /// Placement type (`PLACE`).
    pub place: String,
    /// Placement provider (`PLACE_PROVIDER`).
    pub provider: String,
    /// End (`DEC`) and reason (`REC`).
    pub end: Option<(CivilDate, String)>,
    /// The collection year of the copy kept.
    pub year: CollectionYear,
}

/// A period of care: a child's run of episodes from a start (`RNE` = `S`)
/// to leaving care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// The child.
    pub child: u32,
    /// First day.
    pub start: CivilDate,
    /// The day it ended and why (the last episode's `REC`).
    pub end: Option<(CivilDate, String)>,
    /// Its episodes, in [`Ssda903::episodes`].
    pub episodes: std::ops::Range<usize>,
}

/// The SSDA903 returns of every year, merged.
#[derive(Debug, Default)]
pub struct Ssda903 {
    /// Children's ids in the files, numbered (never written out).
    pub(crate) ids: super::ChildIds,
    /// Date of birth by child (from `header.csv`).
    pub dob: BTreeMap<u32, CivilDate>,
    /// Episodes by (child, start), the latest year's copy.
    by_key: BTreeMap<(u32, CivilDate), Episode>,
    /// Episodes in child and start order (after [`Ssda903::settle`]).
    pub episodes: Vec<Episode>,
    /// Periods of care (after [`Ssda903::settle`]).
    pub periods: Vec<Period>,
    /// Children with a row in a UASC table.
    pub uasc: BTreeSet<u32>,
    /// Rows in tables read but not used for estimates (reviews, missing …), by table.
    pub other_rows: BTreeMap<&'static str, u64>,
}

impl Ssda903 {
    /// Orders the episodes and finds the periods of care.
    pub fn settle(&mut self) {
        self.episodes = std::mem::take(&mut self.by_key).into_values().collect();
        self.periods.clear();
        let mut i = 0;
        while i < self.episodes.len() {
            let child = self.episodes[i].child;
            let first = i;
            i += 1;
            // A period goes on while each episode ended with `X1` (or was
            // left open in an earlier year's copy) and the next is not a
            // new period (`S`).
            while i < self.episodes.len()
                && self.episodes[i].child == child
                && self.episodes[i].reason_new != "S"
                && self.episodes[i - 1]
                    .end
                    .as_ref()
                    .is_none_or(|(_, rec)| rec == "X1")
            {
                // An episode left open in an earlier year's copy ends where the next starts.
                let next = self.episodes[i].start;
                let prev = &mut self.episodes[i - 1];
                if prev.end.is_none() {
                    prev.end = Some((next, "X1".into()));
                }
                i += 1;
            }
            let last = &self.episodes[i - 1];
            let end = last.end.clone().filter(|(_, rec)| rec != "X1");
            self.periods.push(Period {
                child,
                start: self.episodes[first].start,
                end,
                episodes: first..i,
            });
        }
    }
}

/// The columns of a table, upper case, with their positions.
struct Columns(BTreeMap<String, usize>);

impl Columns {
    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
        self.0
            .get(name)
            .and_then(|&i| row.get(i))
            .map_or("", str::trim)
    }
}

/// What a table with these columns is (None: not an SSDA903 table).
fn kind_of(c: &Columns) -> Option<Kind> {
    if !c.has("CHILD") {
        return None;
    }
    if c.has("DECOM") && c.has("LS") && c.has("PLACE") {
        Some(Kind::Episodes)
    } else if c.has("DUC") {
        Some(Kind::Uasc)
    } else if c.has("REVIEW") {
        Some(Kind::Reviews)
    } else if c.has("MISSING") || c.has("MIS_START") {
        Some(Kind::Missing)
    } else if c.has("DOB") && c.has("SEX") {
        Some(Kind::Header)
    } else if [
        "IN_TOUCH",
        "ACTIV",
        "ACCOM",
        "CONVICTED",
        "HEALTH_CHECK",
        "DATE_INT",
        "DATE_MATCH",
        "PREV_PERM",
        "DATE_PLACED",
        "SW_ID",
        "DOB",
    ]
    .iter()
    .any(|n| c.has(n))
    {
        Some(Kind::OtherSsda903)
    } else {
        None
    }
}

/// Columns whose values are personal data: never quoted in a message.
/// The column names of the SSDA903 tables (header, episodes, UASC,
/// reviews, missing, OC2, OC3, AD1, placed for adoption, previous
/// permanence, social worker episodes), as the DfE's guidance names them.
#[rustfmt::skip]
const SSDA903_COLUMNS: &[&str] = &[
    "CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB", "DECOM", "RNE", "LS", "CIN",
    "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST",
    "URN", "DUC", "REVIEW", "REVIEW_CODE", "MISSING", "MIS_START", "MIS_END", "SDQ_SCORE",
    "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK",
    "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED",
    "IN_TOUCH", "ACTIV", "ACCOM", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR",
    "SEX_ADOPTR", "LS_ADOPTR", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED",
    "PREV_PERM", "LA_PERM", "DATE_PERM", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON",
];

fn personal(column: &str) -> bool {
    matches!(
        column,
        "CHILD" | "DOB" | "UPN" | "MC_DOB" | "HOME_POST" | "PL_POST" | "MOTHER"
    )
}

/// A value as a message may quote it.
fn shown(column: &str, value: &str) -> String {
    if personal(column) {
        "(value not shown: personal data)".into()
    } else {
        format!("{:?}", value.chars().take(40).collect::<String>())
    }
}

/// Reads one CSV file into `into`: its kind, collection year and rows
/// read; `Err` (one message) when it is not an SSDA903 table.
pub fn read(
    bytes: &[u8],
    file: &str,
    named_year: Option<CollectionYear>,
    into: &mut Ssda903,
    problems: &mut Problems,
) -> Result<(Kind, CollectionYear, u64), String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(
            "a UTF-16 text file (Excel's \"Unicode Text\"), not read: save it as CSV UTF-8 and import again"
                .into(),
        );
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("not a CSV table ({e})"))?
        .clone();
    let columns = Columns(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().trim_matches('\u{feff}').to_ascii_uppercase(), i))
            .collect(),
    );
    let Some(kind) = kind_of(&columns) else {
        // Only column names are quoted: a first line of values (a table
        // saved without its header line) may hold a child's id or date of
        // birth, which no message repeats.
        let names: Vec<String> = headers
            .iter()
            .take(6)
            .map(|h| {
                let name = h.trim().trim_matches('\u{feff}').to_ascii_uppercase();
                if SSDA903_COLUMNS.contains(&name.as_str()) {
                    format!("{name:?}")
                } else {
                    "(not an SSDA903 column name; not shown)".into()
                }
            })
            .collect();
        return Err(format!(
            "not an SSDA903 table: its first line has no CHILD column with DECOM/LS/PLACE (episodes), SEX/DOB (header), DUC (UASC), REVIEW or MISSING; it starts {}",
            names.join(", ")
        ));
    };
    let mut rows = 0u64;
    let mut latest: Option<CivilDate> = None;
    let mut read_rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.bad_row(file, line, "", format!("not read as CSV: {e}"));
                continue;
            }
        }
        rows += 1;
        if rows as usize > MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows: not read"));
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        read_rows.push((line, record.clone()));
    }
    let date = |row: &csv::StringRecord,
                line: u64,
                col: &str,
                required: bool,
                problems: &mut Problems|
     -> Result<Option<CivilDate>, ()> {
        let v = columns.get(row, col);
        if v.is_empty() {
            if required {
                problems.bad_row(file, line, col, "blank, but required".into());
                return Err(());
            }
            return Ok(None);
        }
        match parse_dmy(v) {
            Some((d, form)) => {
                if form == DateForm::Repaired {
                    problems.dates_repaired += 1;
                }
                Ok(Some(d))
            }
            None => {
                problems.bad_row(
                    file,
                    line,
                    col,
                    format!("{} is not a date (dd/mm/yyyy)", shown(col, v)),
                );
                Err(())
            }
        }
    };
    // Episode rows kept: the row, its start and its end.
    type Kept = (
        u64,
        csv::StringRecord,
        CivilDate,
        Option<(CivilDate, String)>,
    );
    let mut kept: Vec<Kept> = Vec::new();
    for (line, row) in read_rows {
        let child = columns.get(&row, "CHILD");
        if child.is_empty() {
            problems.bad_row(file, line, "CHILD", "blank, but required".into());
            continue;
        }
        match kind {
            Kind::Episodes => {
                let Ok(Some(start)) = date(&row, line, "DECOM", true, problems) else {
                    continue;
                };
                let Ok(dec) = date(&row, line, "DEC", false, problems) else {
                    continue;
                };
                let mut bad = false;
                for (col, list) in [("LS", &LEGAL_STATUSES[..]), ("PLACE", &PLACES[..])] {
                    let v = columns.get(&row, col).to_ascii_uppercase();
                    if !list.contains(&v.as_str()) {
                        let why = if v.is_empty() {
                            "blank, but required".to_string()
                        } else {
                            format!("{} is not a code of the SSDA903 guidance", shown(col, &v))
                        };
                        problems.bad_row(file, line, col, why);
                        bad = true;
                        break;
                    }
                }
                if bad {
                    continue;
                }
                let rec = columns.get(&row, "REC").to_ascii_uppercase();
                let end = match dec {
                    Some(d) if d < start => {
                        problems.bad_row(file, line, "DEC", "before DECOM".into());
                        continue;
                    }
                    Some(_) if rec.is_empty() => {
                        problems.bad_row(
                            file,
                            line,
                            "REC",
                            "blank, but DEC is given (the reason the episode ended)".into(),
                        );
                        continue;
                    }
                    Some(d) => Some((d, rec)),
                    None => None,
                };
                let last = end.as_ref().map_or(start, |(d, _)| *d);
                latest = Some(latest.map_or(last, |l| l.max(last)));
                kept.push((line, row, start, end));
            }
            Kind::Header => {
                let Ok(dob) = date(&row, line, "DOB", true, problems) else {
                    continue;
                };
                let c = into.ids.number(child);
                if let Some(d) = dob {
                    into.dob.insert(c, d);
                }
            }
            // The dates these tables must hold: a row whose date is not
            // one is reported and left out, as an episode's is.
            Kind::Uasc => {
                if date(&row, line, "DUC", true, problems).is_err()
                    || date(&row, line, "DOB", false, problems).is_err()
                {
                    continue;
                }
                let c = into.ids.number(child);
                into.uasc.insert(c);
            }
            other => {
                let dates: &[(&str, bool)] = match other {
                    Kind::Reviews => &[("REVIEW", true), ("DOB", false)],
                    Kind::Missing if columns.has("MIS_START") => {
                        &[("MIS_START", true), ("MIS_END", false), ("DOB", false)]
                    }
                    _ => &[("DOB", false)],
                };
                if dates
                    .iter()
                    .any(|&(col, required)| date(&row, line, col, required, problems).is_err())
                {
                    continue;
                }
                *into.other_rows.entry(other.name()).or_default() += 1
            }
        }
    }
    // The collection year: named, or the one of the latest date in the table.
    let year = named_year
        .or_else(|| latest.map(CollectionYear::of))
        .unwrap_or(CollectionYear(0));
    // Two rows of one table for the same child and start are one episode
    // told twice: the first is kept, the other reported.
    let mut first_line: std::collections::BTreeMap<(u32, CivilDate), u64> = Default::default();
    for (line, row, start, end) in kept {
        let child = into.ids.number(columns.get(&row, "CHILD"));
        if let Some(first) = first_line.get(&(child, start)) {
            problems.bad_row(
                file,
                line,
                "DECOM",
                format!("the same child and DECOM as line {first}: one episode twice, this row left out"),
            );
            continue;
        }
        first_line.insert((child, start), line);
        let e = Episode {
            child,
            start,
            reason_new: columns.get(&row, "RNE").to_ascii_uppercase(),
            legal_status: columns.get(&row, "LS").to_ascii_uppercase(),
            place: columns.get(&row, "PLACE").to_ascii_uppercase(),
            provider: columns.get(&row, "PLACE_PROVIDER").to_ascii_uppercase(),
            end,
            year,
        };
        let key = (child, start);
        match into.by_key.get(&key) {
            // A later year's copy, or one that says how the episode ended, wins.
            Some(old) if old.year > year || (old.year == year && old.end.is_some()) => {}
            _ => {
                into.by_key.insert(key, e);
            }
        }
    }
    Ok((kind, year, rows))
}
