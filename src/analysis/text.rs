//! Text from outside (a scenario's name, source and notes, a log's header,
//! a summary read back) made safe for where it is shown: a terminal
//! ([`printable`]) or a spreadsheet ([`csv_cell`], [`write_csv_record`]).
//! HTML escaping is the report's (`analysis::report`).

use std::borrow::Cow;

use crate::analysis::metric_registry::{lookup, Unit};
use crate::analysis::summary::fixed;

/// What a control character is shown as.
pub const REPLACEMENT: char = '\u{FFFD}';

/// True for characters a terminal must not receive raw: C0 and C1 controls
/// and DEL (escape sequences, carriage returns that overwrite a line,
/// backspaces), except newline and tab, and the Unicode bidirectional
/// controls that make text display in another order than it is read.
fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` safe to print on a terminal: every control character except newline
/// and tab (so every escape sequence), and every bidirectional control, is
/// replaced by U+FFFD. Borrowed, not copied, when there is none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unprintable) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if unprintable(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// True when `s` is a number as familyflow writes one in a CSV cell
/// (`-12`, `0.25`, `-1.5e-7`, `inf`, `-inf`, `NaN`): a spreadsheet reads it
/// as a number, never as a formula.
fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(t, "inf" | "NaN") {
        return true;
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(whole.is_empty() && frac.is_empty()) && digits(whole) && digits(frac) && exponent_ok
}

/// A CSV cell that a spreadsheet cannot take for a formula: text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
/// (OWASP's advice for CSV injection). Numbers (see [`is_number`]) and
/// every other cell are left as they are, so it is safe to pass every cell
/// of a row through it. Every CSV familyflow writes does.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        Some(b'+' | b'-') if !is_number(s) => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Writes one CSV record, every cell through [`csv_cell`].
pub fn write_csv_record<W: std::io::Write, I, S>(
    w: &mut csv::Writer<W>,
    cells: I,
) -> csv::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for cell in cells {
        w.write_field(csv_cell(cell.as_ref()).as_bytes())?;
    }
    w.write_record(std::iter::empty::<&[u8]>())
}

/// How a metric's values read for people (the terminal, the report).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shown {
    /// Pounds, from pence.
    Money,
    /// Percent; a difference in percentage points.
    Percent,
    /// Days.
    Days,
    /// A count (thousands separators).
    Count,
    /// A rate or ratio, one decimal.
    Decimal,
}

/// How the metric `key` reads: by its unit in the registry, else by its name.
pub fn shown_as(key: &str) -> Shown {
    match lookup(key).map(|e| e.unit) {
        Some(Unit::Pence | Unit::PencePerYear) => Shown::Money,
        Some(Unit::Percent | Unit::PercentPerYear) => Shown::Percent,
        Some(Unit::Days | Unit::WorkingDays) => Shown::Days,
        Some(Unit::Count | Unit::Minutes | Unit::WorkingMinutes) => Shown::Count,
        Some(_) => Shown::Decimal,
        // Region figures are not in the registry: by their names.
        None if key.ends_with("_pence") => Shown::Money,
        None if key.ends_with("_pct") => Shown::Percent,
        None if key.contains("per_") => Shown::Decimal,
        None => Shown::Count,
    }
}

/// A value in its unit: pounds (from pence), percent, days or a count with
/// thousands separators; `signed` puts + before a positive difference, and
/// a difference of percentages is in percentage points.
pub fn in_unit(x: f64, shown: Shown, signed: bool) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let sign = if signed && x > 0.0 { "+" } else { "" };
    let minus = if x < 0.0 { "-" } else { "" };
    match shown {
        Shown::Money => {
            let pounds = x.abs() / 100.0;
            let body = if pounds >= 1e6 {
                format!("£{}m", fixed(pounds / 1e6, 2))
            } else if pounds >= 1e3 {
                format!("£{}k", fixed(pounds / 1e3, 1))
            } else {
                format!("£{}", fixed(pounds, 0))
            };
            format!("{sign}{minus}{body}")
        }
        Shown::Percent if signed => format!("{sign}{} pp", fixed(x, 2)),
        Shown::Percent => format!("{}%", fixed(x, 1)),
        Shown::Days => format!("{sign}{} d", fixed(x, 1)),
        Shown::Count if x.abs() >= 100.0 => format!("{sign}{}", fixed(x, 0)),
        Shown::Count | Shown::Decimal => {
            format!("{sign}{}", fixed(x, if x.abs() >= 1000.0 { 0 } else { 1 }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_replaced_but_newlines_and_tabs_kept() {
        assert!(matches!(printable("Tiny test area"), Cow::Borrowed(_)));
        assert_eq!(printable("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
        assert_eq!(
            printable("a\rb\u{7f}\u{9b}c"),
            "a\u{FFFD}b\u{FFFD}\u{FFFD}c"
        );
        assert_eq!(printable("l1\n\tl2"), "l1\n\tl2");
        assert_eq!(printable("abc\u{202E}fed"), "abc\u{FFFD}fed");
        assert_eq!(printable("Café — ½"), "Café — ½");
    }

    #[test]
    fn formula_text_is_quoted_and_numbers_are_not() {
        for formula in [
            "=HYPERLINK(\"x\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "+",
            "-cmd|' /C calc'!A0",
            "-1e",
            "--1",
        ] {
            assert_eq!(csv_cell(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in [
            "-1",
            "-0.25",
            "+3",
            "-1.5e-7",
            "1e300",
            "-inf",
            "inf",
            "NaN",
            "",
            "2024-04",
            "a=b",
            "scenarios/x.toml",
            "'=already",
            "1234-1",
        ] {
            assert!(matches!(csv_cell(kept), Cow::Borrowed(_)), "{kept:?}");
        }
    }

    #[test]
    fn records_go_through_csv_cell() {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_csv_record(&mut w, ["=1+1", "-2", "a,b"]).unwrap();
        write_csv_record(&mut w, vec!["x".to_string(), String::new(), "+1".into()]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "'=1+1,-2,\"a,b\"\nx,,+1\n");
    }

    #[test]
    fn values_read_in_their_units() {
        assert_eq!(in_unit(11_876_967_900.0, Shown::Money, false), "£118.77m");
        assert_eq!(in_unit(-21_000_000.0, Shown::Money, true), "-£210.0k");
        assert_eq!(in_unit(4_500.0, Shown::Money, true), "+£45");
        assert_eq!(in_unit(20.93, Shown::Percent, false), "20.9%");
        assert_eq!(in_unit(-0.684, Shown::Percent, true), "-0.68 pp");
        assert_eq!(in_unit(15_184.0, Shown::Count, false), "15,184");
        assert_eq!(in_unit(-325.2, Shown::Count, true), "-325");
        assert_eq!(in_unit(4.5, Shown::Count, true), "+4.5");
        assert_eq!(in_unit(f64::NAN, Shown::Count, false), "–");
    }
}
