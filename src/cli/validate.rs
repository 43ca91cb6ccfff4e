//! `familyflow validate`: the command around the validation suite
//! ([`crate::analysis::validate`]): its table on stdout, its files under
//! `--out`, a failing exit when a check fails.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::replications::worker_threads;
use crate::analysis::validate::{
    run_checks, suite, Check, Context, VALIDATION_CSV, VALIDATION_JSON,
};
use crate::cli::commands::output::{OutDir, Scope};
use crate::cli::commands::{write_stdout, CommandError};
use crate::cli::progress::Terminal;

/// What `validate` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct ValidateOptions {
    /// The reduced set.
    pub quick: bool,
    /// Worker threads (None: every core).
    pub threads: Option<usize>,
    /// Folder for validation.csv and validation.json.
    pub out_dir: Option<PathBuf>,
    /// Progress bars on stderr (when it is a terminal).
    pub progress: bool,
}

/// `familyflow validate`: runs the suite ([`suite`]) and prints the table;
/// with an out folder, writes `validation.csv` and `validation.json`. Fails
/// (after writing everything) when any check fails.
pub fn validate(
    opts: &ValidateOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    validate_with(&suite(opts.quick), opts, out, note)
}

/// [`validate`] with a given list of checks.
pub fn validate_with(
    checks: &[Check],
    opts: &ValidateOptions,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> Result<(), CommandError> {
    let threads = worker_threads(opts.threads)?;
    // Locked before the checks, so that a second writer is refused at once.
    let mut folder = match &opts.out_dir {
        Some(dir) => Some(OutDir::open(dir, Scope::Results, &[])?),
        None => None,
    };
    let started = Instant::now();
    let progress = Terminal::new(opts.progress);
    let ctx = Context::new(opts.quick, threads, &progress);
    let report = run_checks(checks, &ctx)?;
    let _ = writeln!(
        note,
        "ran the validation suite in {:.1} s on {threads} threads",
        started.elapsed().as_secs_f64()
    );
    if let Some(mut dir) = folder.take() {
        dir.write(VALIDATION_CSV, &report.to_csv())?;
        dir.write(VALIDATION_JSON, report.to_json().as_bytes())?;
        let dir = {
            let path = dir.path().to_path_buf();
            dir.commit()?;
            path
        };
        let _ = writeln!(
            note,
            "wrote {} and {}",
            dir.join(VALIDATION_CSV).display(),
            dir.join(VALIDATION_JSON).display()
        );
    }
    write_stdout(out, report.to_text().as_bytes())?;
    match report.failed() {
        0 => Ok(()),
        n => Err(CommandError::Failed(format!(
            "validation: {n} of {} checks failed",
            report.rows.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::validate::Row;
    use crate::analysis::AnalysisError;

    #[test]
    fn a_failing_row_fails_the_command() {
        fn failing(_: &Context) -> Result<Vec<Row>, AnalysisError> {
            Ok(vec![Row::missing(
                "test",
                "a figure".into(),
                "1".into(),
                "here",
                "metric `x` is not in the summary".into(),
            )])
        }
        let checks = [Check {
            name: "failing",
            run: failing,
        }];
        let mut out = Vec::new();
        let err = validate_with(
            &checks,
            &ValidateOptions::default(),
            &mut out,
            &mut Vec::new(),
        )
        .unwrap_err();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("FAIL") && text.contains("0 passed, 1 failed"),
            "{text}"
        );
        assert!(text.contains("metric `x` is not in the summary"), "{text}");
        assert!(err.to_string().contains("1 of 1 checks failed"), "{err}");
    }
}
