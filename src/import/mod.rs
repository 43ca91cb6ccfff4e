//! `familyflow import`: an authority's own SSDA903 and children in need
//! census returns in, a scenario for that authority out.
//!
//! The folder of returns is walked (at most [`MAX_DEPTH`] folders deep and
//! [`MAX_FILES`] files), whatever its layout: each file is recognised by
//! its content (an SSDA903 table by its column headers, the CIN census by
//! its XML elements), not by its name, and its collection year is taken
//! from the folder or file name (`2025`, `2024-25`, `2024_25`,
//! `cin-2024-25.xml`) or else from its data. The returns of several years
//! are merged ([`ssda903`], [`cin`]), aggregates are counted from them and
//! the scenario's rates and starting caseload estimated ([`estimate`]).
//!
//! Real returns are personal data: child identifiers, dates of birth and
//! postcodes are read only to link a child's records and count ages; none
//! of them is written to the scenario or to a message (a bad value in such
//! a column is reported without the value).

pub mod cin;
pub mod estimate;
pub mod ssda903;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::calendar::CivilDate;

/// Children's ids as read from the returns, each numbered in the order
/// first seen: kept in memory only, to link a child's records within and
/// across returns (never written out).
#[derive(Debug, Default)]
pub struct ChildIds(BTreeMap<String, u32>);

impl ChildIds {
    /// The number of `id` (a new number for an id not seen before).
    pub fn number(&mut self, id: &str) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(id.to_string()).or_insert(n)
    }

    /// Each number's id.
    pub fn by_number(&self) -> BTreeMap<u32, &String> {
        self.0.iter().map(|(k, v)| (*v, k)).collect()
    }
}

/// Folders below the one given that are searched.
pub const MAX_DEPTH: usize = 4;
/// Files looked at, at most.
pub const MAX_FILES: usize = 500;
/// The largest file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Rows read from one table, at most.
pub const MAX_ROWS: usize = 2_000_000;
/// Problems listed one by one; more are counted only.
pub const MAX_LISTED_PROBLEMS: usize = 200;

/// Why an import could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder holds no return that could be used.
    #[error("{0}")]
    NoReturns(String),
    /// The data are not enough, or the arguments do not fit them.
    #[error("{0}")]
    Invalid(String),
}

/// A row or file that could not be used: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file (as found under the folder).
    pub file: String,
    /// Line in the file (1 = the first), 0 for the whole file.
    pub line: u64,
    /// The column or element (empty for the whole row or file).
    pub column: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column.is_empty()) {
            (0, _) => write!(f, "{}: {}", self.file, self.reason),
            (l, true) => write!(f, "{}:{l}: {}", self.file, self.reason),
            (l, false) => write!(f, "{}:{l}: {}: {}", self.file, self.column, self.reason),
        }
    }
}

/// Problems found while reading, with their counts.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    /// The first [`MAX_LISTED_PROBLEMS`] problems.
    pub listed: Vec<Problem>,
    /// Rows left out because of a problem.
    pub bad_rows: u64,
    /// Files that are not a return.
    pub not_returns: u64,
    /// Dates written otherwise than the return's own format but read (as
    /// the sector's validators read them): Excel's `2024-04-01`, `1/4/24`.
    pub dates_repaired: u64,
}

impl Problems {
    /// Records a bad row (left out).
    pub fn bad_row(&mut self, file: &str, line: u64, column: &str, reason: String) {
        self.bad_rows += 1;
        self.push(file, line, column, reason);
    }

    /// Records a file that is not a return.
    pub fn not_a_return(&mut self, file: &str, reason: String) {
        self.not_returns += 1;
        self.push(file, 0, "", reason);
    }

    fn push(&mut self, file: &str, line: u64, column: &str, reason: String) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(Problem {
                file: file.to_string(),
                line,
                column: column.to_string(),
                reason,
            });
        }
    }
}

/// A collection year, named by the year it ends (`2025` for 1 April 2024
/// to 31 March 2025).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionYear(pub i32);

impl CollectionYear {
    /// Its first day (1 April).
    pub fn first_day(self) -> CivilDate {
        CivilDate::new(self.0 - 1, 4, 1).expect("1 April exists")
    }

    /// Its last day (31 March).
    pub fn last_day(self) -> CivilDate {
        CivilDate::new(self.0, 3, 31).expect("31 March exists")
    }

    /// The collection year a day falls in.
    pub fn of(d: CivilDate) -> CollectionYear {
        CollectionYear(if d.month() >= 4 {
            d.year() + 1
        } else {
            d.year()
        })
    }
}

impl fmt::Display for CollectionYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0 - 1, self.0.rem_euclid(100))
    }
}

/// A collection year named in a file or folder name: `2025`, `2024-25`,
/// `2024_25`, `2024-2025`, `cin-2024-25.xml`, `SSDA903_2025`. The first
/// match from the end of the path wins (the file, then its folders).
pub fn year_from_path(path: &Path) -> Option<CollectionYear> {
    let parts: Vec<String> = path
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    parts.iter().rev().find_map(|p| year_in_name(p))
}

/// A collection year in one name (see [`year_from_path`]).
pub fn year_in_name(name: &str) -> Option<CollectionYear> {
    let b = name.as_bytes();
    // Runs of digits with their positions.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((s, i));
        } else {
            i += 1;
        }
    }
    let num = |(s, e): (usize, usize)| name[s..e].parse::<i32>().ok();
    let plausible = |y: i32| (1990..=2100).contains(&y);
    for (k, &run) in runs.iter().enumerate() {
        if run.1 - run.0 != 4 {
            continue;
        }
        let Some(first) = num(run).filter(|&y| plausible(y)) else {
            continue;
        };
        // `2024-25`, `2024_25`, `2024-2025`, `202425`: a range.
        if let Some(&next) = runs.get(k + 1) {
            let sep = &name[run.1..next.0];
            if matches!(sep, "-" | "_" | "/" | " " | "to") {
                match (next.1 - next.0, num(next)) {
                    (2, Some(y)) if (first + 1).rem_euclid(100) == y => {
                        return Some(CollectionYear(first + 1))
                    }
                    (4, Some(y)) if y == first + 1 => return Some(CollectionYear(y)),
                    _ => {}
                }
            }
        }
        return Some(CollectionYear(first));
    }
    // `202425`.
    for &run in &runs {
        if run.1 - run.0 == 6 {
            let (a, b2) = (num((run.0, run.0 + 4)), num((run.0 + 4, run.1)));
            if let (Some(a), Some(y)) = (a, b2) {
                if plausible(a) && (a + 1).rem_euclid(100) == y {
                    return Some(CollectionYear(a + 1));
                }
            }
        }
    }
    None
}

/// How a date was written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DateForm {
    /// The return's own format.
    Expected,
    /// Another format the validators accept (Excel's re-saving).
    Repaired,
}

/// A date as SSDA903 writes it (`dd/mm/yyyy`), or as Excel re-saves one
/// (`d/m/yyyy`, `dd/mm/yy`, `yyyy-mm-dd`, `yyyy-mm-dd hh:mm:ss`,
/// `dd-mm-yyyy`, `dd.mm.yyyy`): the validators read these with day first.
/// A two-digit year is 20yy up to 69, else 19yy.
pub fn parse_dmy(s: &str) -> Option<(CivilDate, DateForm)> {
    let s = s.trim();
    // Excel's date and time: drop the time.
    let date = s.split([' ', 'T']).next().unwrap_or(s);
    let parts: Vec<&str> = date.split(['/', '-', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    if !parts.iter().all(|p| p.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let n = |p: &str| p.parse::<i32>().ok();
    let (d, m, y, form) = if parts[0].len() == 4 {
        (n(parts[2])?, n(parts[1])?, n(parts[0])?, DateForm::Repaired)
    } else {
        let y = match parts[2].len() {
            4 => n(parts[2])?,
            2 => {
                let yy = n(parts[2])?;
                if yy < 70 {
                    2000 + yy
                } else {
                    1900 + yy
                }
            }
            _ => return None,
        };
        let exact = date.contains('/')
            && parts[0].len() == 2
            && parts[1].len() == 2
            && parts[2].len() == 4
            && date.len() == s.len();
        let form = if exact {
            DateForm::Expected
        } else {
            DateForm::Repaired
        };
        (n(parts[0])?, n(parts[1])?, y, form)
    };
    let date = CivilDate::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)?;
    Some((date, form))
}

/// An ISO date as the CIN census writes it (`yyyy-mm-dd`), or another
/// form Excel leaves (see [`parse_dmy`]).
pub fn parse_iso(s: &str) -> Option<(CivilDate, DateForm)> {
    let s = s.trim();
    if s.len() == 10 {
        if let Some(d) = CivilDate::parse(s) {
            return Some((d, DateForm::Expected));
        }
    }
    parse_dmy(s).map(|(d, _)| (d, DateForm::Repaired))
}

/// What a file turned out to be.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// SSDA903 header (one row a child).
    Header,
    /// SSDA903 episodes.
    Episodes,
    /// SSDA903 unaccompanied asylum-seeking children.
    Uasc,
    /// SSDA903 reviews.
    Reviews,
    /// SSDA903 missing episodes.
    Missing,
    /// Another SSDA903 table (OC2, OC3, previous permanence, placed for adoption …).
    OtherSsda903,
    /// The children in need census.
    Cin,
}

impl Kind {
    /// A name for the summary.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Header => "SSDA903 header",
            Kind::Episodes => "SSDA903 episodes",
            Kind::Uasc => "SSDA903 UASC",
            Kind::Reviews => "SSDA903 reviews",
            Kind::Missing => "SSDA903 missing",
            Kind::OtherSsda903 => "SSDA903 (other table)",
            Kind::Cin => "CIN census",
        }
    }
}

/// A file found and used.
#[derive(Clone, Debug)]
pub struct Found {
    /// Its path under the folder.
    pub path: String,
    /// What it is.
    pub kind: Kind,
    /// Its collection year.
    pub year: CollectionYear,
    /// Rows (or CIN children) read.
    pub rows: u64,
}

/// Every file under `dir` that may be a return: `.csv` and `.xml` files
/// (and `.xlsx`, to be told to save it as CSV), at most [`MAX_DEPTH`] deep,
/// in name order, at most [`MAX_FILES`]. Hidden files are skipped.
pub fn walk(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>), ImportError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let meta = std::fs::metadata(dir).map_err(|source| ImportError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(ImportError::NoReturns(format!(
            "{}: not a folder (give the folder that holds the returns)",
            dir.display()
        )));
    }
    walk_into(dir, 0, &mut files, &mut skipped)?;
    Ok((files, skipped))
}

fn walk_into(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<String>,
) -> Result<(), ImportError> {
    let read = std::fs::read_dir(dir).map_err(|source| ImportError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = Vec::new();
    for e in read.take(MAX_FILES * 4) {
        let e = e.map_err(|source| ImportError::File {
            path: dir.to_path_buf(),
            source,
        })?;
        entries.push(e.path());
    }
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        // Symbolic links are not followed (no loops).
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk_into(&path, depth + 1, files, skipped)?;
            } else {
                skipped.push(format!(
                    "{}: deeper than {MAX_DEPTH} folders",
                    path.display()
                ));
            }
        } else if meta.is_file() {
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if matches!(ext.as_str(), "csv" | "xml" | "xlsx" | "xls") {
                if files.len() >= MAX_FILES {
                    return Err(ImportError::Invalid(format!(
                        "{}: more than {MAX_FILES} files to read; give the folder of one authority's returns",
                        dir.display()
                    )));
                }
                files.push(path);
            }
        }
    }
    Ok(())
}

/// Reads a whole file, refusing one larger than [`MAX_FILE_BYTES`].
pub fn read_capped(path: &Path) -> Result<Vec<u8>, std::io::Error> {
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB: not read",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// Everything read from a folder of returns.
#[derive(Debug, Default)]
pub struct Returns {
    /// SSDA903, merged over the years.
    pub ssda903: ssda903::Ssda903,
    /// The CIN census, merged over the years.
    pub cin: cin::Census,
    /// Files used.
    pub found: Vec<Found>,
    /// Files skipped (not looked at), with why.
    pub skipped: Vec<String>,
    /// Problems.
    pub problems: Problems,
}

impl Returns {
    /// The collection years with any return.
    pub fn years(&self) -> Vec<CollectionYear> {
        let mut y: Vec<CollectionYear> = self.found.iter().map(|f| f.year).collect();
        y.sort();
        y.dedup();
        y
    }

    /// The years with an SSDA903 episodes table.
    pub fn ssda903_years(&self) -> Vec<CollectionYear> {
        self.years_of(Kind::Episodes)
    }

    /// The years with a CIN census.
    pub fn cin_years(&self) -> Vec<CollectionYear> {
        self.years_of(Kind::Cin)
    }

    fn years_of(&self, kind: Kind) -> Vec<CollectionYear> {
        let mut y: Vec<CollectionYear> = self
            .found
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.year)
            .collect();
        y.sort();
        y.dedup();
        y
    }
}

/// Reads every return under `dir`.
pub fn read_returns(dir: &Path) -> Result<Returns, ImportError> {
    let (files, skipped) = walk(dir)?;
    let mut r = Returns {
        skipped,
        ..Returns::default()
    };
    for path in files {
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext == "xlsx" || ext == "xls" {
            r.problems.not_a_return(
                &shown,
                "an Excel workbook: save each table as CSV (the SSDA903 tables) to import it"
                    .into(),
            );
            continue;
        }
        let bytes = match read_capped(&path) {
            Ok(b) => b,
            Err(e) => {
                r.problems.not_a_return(&shown, format!("not read: {e}"));
                continue;
            }
        };
        let named_year = year_from_path(path.strip_prefix(dir).unwrap_or(&path));
        if ext == "xml" {
            match cin::read(&bytes, &shown, named_year, &mut r.cin, &mut r.problems) {
                Ok((year, rows)) => r.found.push(Found {
                    path: shown,
                    kind: Kind::Cin,
                    year,
                    rows,
                }),
                Err(why) => r.problems.not_a_return(&shown, why),
            }
        } else {
            match ssda903::read(&bytes, &shown, named_year, &mut r.ssda903, &mut r.problems) {
                Ok((kind, year, rows)) => r.found.push(Found {
                    path: shown,
                    kind,
                    year,
                    rows,
                }),
                Err(why) => r.problems.not_a_return(&shown, why),
            }
        }
    }
    if r.found.is_empty() {
        let why = r
            .problems
            .listed
            .iter()
            .take(5)
            .map(|p| format!("\n  {p}"))
            .collect::<String>();
        return Err(ImportError::NoReturns(format!(
            "{}: no SSDA903 table or CIN census found (looked at .csv and .xml files up to {MAX_DEPTH} folders deep){why}",
            dir.display()
        )));
    }
    r.ssda903.settle();
    r.cin.settle();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_from_names() {
        let y = |s: &str| year_in_name(s).map(|y| y.0);
        assert_eq!(y("2025"), Some(2025));
        assert_eq!(y("2024-25"), Some(2025));
        assert_eq!(y("2024_25"), Some(2025));
        assert_eq!(y("2024-2025"), Some(2025));
        assert_eq!(y("cin-2024-25.xml"), Some(2025));
        assert_eq!(y("SSDA903_2025_episodes.csv"), Some(2025));
        assert_eq!(y("202425"), Some(2025));
        assert_eq!(y("episodes.csv"), None);
        assert_eq!(y("1234"), None);
        let p = Path::new("returns/2024-25/header.csv");
        assert_eq!(year_from_path(p), Some(CollectionYear(2025)));
        assert_eq!(CollectionYear(2025).to_string(), "2024-25");
    }

    #[test]
    fn dates_as_validators_read_them() {
        let d = |s: &str| parse_dmy(s).map(|(d, f)| (d.to_string(), f));
        assert_eq!(
            d("01/04/2024"),
            Some(("2024-04-01".into(), DateForm::Expected))
        );
        assert_eq!(
            d("1/4/2024"),
            Some(("2024-04-01".into(), DateForm::Repaired))
        );
        assert_eq!(
            d("01/04/24"),
            Some(("2024-04-01".into(), DateForm::Repaired))
        );
        assert_eq!(
            d("2024-04-01"),
            Some(("2024-04-01".into(), DateForm::Repaired))
        );
        assert_eq!(
            d("2024-04-01 00:00:00"),
            Some(("2024-04-01".into(), DateForm::Repaired))
        );
        assert_eq!(d("31/02/2024"), None);
        assert_eq!(d("2024/13/01"), None);
        assert_eq!(d("yesterday"), None);
        assert_eq!(d(""), None);
        assert_eq!(
            parse_iso("2024-04-01").map(|(d, f)| (d.to_string(), f)),
            Some(("2024-04-01".into(), DateForm::Expected))
        );
    }
}
