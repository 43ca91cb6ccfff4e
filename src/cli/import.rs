//! `familyflow import DIR --children N [--at DATE] --out AREA.toml`: reads
//! an authority's returns, prints what was read (files, rows, every bad
//! row with its file, line and column, and their counts) and writes the
//! scenario estimated from them.

use std::io::Write;
use std::path::Path;

use crate::cli::commands::output::Staged;
use crate::cli::commands::CommandError;
use crate::import::estimate::{estimate, Calibration};
use crate::import::{read_returns, ImportError, MAX_LISTED_PROBLEMS};
use crate::model::calendar::CivilDate;

/// How the import runs.
pub struct ImportArgs<'a> {
    /// The folder of returns.
    pub dir: &'a Path,
    /// Children under 18 in the area.
    pub children: u64,
    /// The starting caseload's date (default: the day after the latest collection year).
    pub at: Option<CivilDate>,
    /// Years the written scenario runs.
    pub years: u32,
    /// The scenario file to write.
    pub out: &'a Path,
    /// Calibration rounds (0: none, the default's latent rates kept).
    pub rounds: u32,
}

fn failed(e: ImportError) -> CommandError {
    match e {
        ImportError::File { path, source } => CommandError::File { path, source },
        other => CommandError::Failed(other.to_string()),
    }
}

/// Runs the import: the summary on `out`, progress on `note`.
pub fn import(
    args: &ImportArgs,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let returns = read_returns(args.dir).map_err(failed)?;
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(s, "Returns read from {}", args.dir.display());
    for f in &returns.found {
        let _ = writeln!(
            s,
            "  {:<48} {:<22} {}  {} rows",
            f.path,
            f.kind.name(),
            if f.year.0 > 0 {
                f.year.to_string()
            } else {
                "year unknown".into()
            },
            f.rows
        );
    }
    for why in &returns.skipped {
        let _ = writeln!(s, "  skipped: {why}");
    }
    let p = &returns.problems;
    if !p.listed.is_empty() {
        let _ = writeln!(s, "Problems");
        for problem in &p.listed {
            let _ = writeln!(s, "  {problem}");
        }
        if (p.bad_rows + p.not_returns) as usize > p.listed.len() {
            let _ = writeln!(
                s,
                "  … and {} more (the first {MAX_LISTED_PROBLEMS} are listed)",
                (p.bad_rows + p.not_returns) as usize - p.listed.len()
            );
        }
    }
    let _ = writeln!(
        s,
        "Summary: {} files used, {} files not a return, {} bad rows left out, {} dates read from another format than dd/mm/yyyy (the SSDA903 validator would take them as blank)",
        returns.found.len(),
        p.not_returns,
        p.bad_rows,
        p.dates_repaired
    );
    out.write_all(s.as_bytes())
        .map_err(|source| CommandError::File {
            path: "standard output".into(),
            source,
        })?;
    let how = Calibration {
        rounds: args.rounds,
        ..Calibration::default()
    };
    let mut progress = |round: u32, figures: &[crate::import::estimate::Figure]| {
        let _ = writeln!(
            note,
            "calibration round {} of {}: the returns / its runs",
            round + 1,
            how.rounds
        );
        for (name, want, got) in figures {
            let f = |x: &Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
            let _ = writeln!(note, "  {name:<50} {:>10} {:>10}", f(want), f(got));
        }
    };
    let e = estimate(
        &returns,
        args.children,
        args.at,
        args.years,
        how,
        &mut progress,
    )
    .map_err(CommandError::Failed)?;
    let mut s = String::new();
    let o = &e.observed;
    let st = &e.stock;
    let _ = writeln!(
        s,
        "Estimated from {} referrals, {} section 47 enquiries, {} plans, {} entries to care",
        o.referrals.n,
        o.s47.n,
        o.plans.n,
        o.entries.iter().map(|c| c.n).sum::<f64>()
    );
    let _ = writeln!(
        s,
        "Starting caseload (open at the end of {}, the day before the run starts): {} families waiting, {} in family help, {} in an enquiry, {} awaiting a conference, {} on a plan ({} children), {} in pre-proceedings, {} looked after ({} children)",
        st.at.map_or_else(String::new, |d| d.to_string()),
        st.waiting_for_help,
        st.in_family_help,
        st.in_enquiry,
        st.awaiting_conference,
        st.on_plan,
        st.children_on_plan,
        st.pre_proceedings,
        st.looked_after,
        st.children_looked_after
    );
    if !e.defaults_kept.is_empty() {
        let _ = writeln!(
            s,
            "Too few records to estimate, the default kept: {}",
            e.defaults_kept.join(", ")
        );
    }
    out.write_all(s.as_bytes())
        .map_err(|source| CommandError::File {
            path: "standard output".into(),
            source,
        })?;
    let mut file = Staged::beside(args.out)?;
    file.write_all(e.text.as_bytes())
        .map_err(|source| CommandError::File {
            path: args.out.to_path_buf(),
            source,
        })?;
    let written = file.commit()?;
    let _ = writeln!(note, "wrote {}", written.display());
    Ok(())
}
