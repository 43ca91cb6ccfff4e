//! A sweep split across machines: shards and their merge.
//!
//! A sweep's jobs are its points x replications, numbered from 1 in point
//! then replication order (job `(point - 1) x replications + replication`).
//! Shard `I` of `N` (I from 1 to N, as a Slurm array `1-N` numbers its
//! tasks) holds the jobs `j` with `(j - 1) mod N = I - 1`: every N-th job,
//! so that each shard gets its share of every part of the design. A job
//! runs on the seed of its replication ([`replication_seed`]`(seed, r)`),
//! never on anything of the shard's, so the results do not depend on how
//! the work was split.
//!
//! A shard's folder holds three files (format version [`FORMAT_VERSION`]):
//!
//! * [`MANIFEST`] (`shard.json`): `format` (`familyflow-sweep-shard`),
//!   `format_version`, `familyflow` (the version that ran it), `experiment`
//!   (the experiment file, absolute), `experiment_hash`
//!   ([`Experiment::digest`]), `shard` and `shards` (I and N), `jobs_total`,
//!   `points`, `replications`, `outputs` (metric keys, in order), `jobs`
//!   (this shard's job numbers, ascending) and `month_rows` (the rows of
//!   [`MONTHS`]);
//! * [`RESULTS`] (`shard-runs.csv`): a header, then one row per job x run
//!   (`scenario`, then `compare` with a comparison) x output, in that
//!   order: `job,point,replication,run,metric,value`. Values are written
//!   as Rust's shortest text that reads back to the same `f64` (`NaN`,
//!   `inf`, `-inf` besides), so a merge sees exactly the numbers the runs
//!   made;
//! * [`MONTHS`] (`shard-months.csv`): the fan charts' monthly series, one
//!   row per job x run x month, in that order:
//!   `job,point,replication,run,period,` then each
//!   [`FanMeasure`]'s key (empty where the month has no value), values
//!   written as in [`RESULTS`].
//!
//! [`merge`] checks that the shards are of one experiment and one version,
//! that each of 1..N is there exactly once, and that every file holds
//! exactly its jobs; then it hands the results, in job order, to the same
//! [`SweepResults::from_jobs`] a single-machine sweep uses.

use serde::{Deserialize, Serialize};

use crate::analysis::fan::{month_number, period_of, FanMeasure, MonthlySeries};
use crate::analysis::sweep::{Experiment, JobOutputs, SweepResults};
use crate::analysis::AnalysisError;

/// The name of a shard's manifest.
pub const MANIFEST: &str = "shard.json";
/// The name of a shard's results.
pub const RESULTS: &str = "shard-runs.csv";
/// The name of a shard's monthly series (for the fan charts).
pub const MONTHS: &str = "shard-months.csv";
/// What the manifest's `format` says.
pub const FORMAT: &str = "familyflow-sweep-shard";
/// The version of the shard folder's format.
pub const FORMAT_VERSION: u32 = 2;
/// The most shards a sweep is split into.
pub const MAX_SHARDS: usize = 1_000_000;

/// Shard `index` of `count` (index from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which share, from 1.
    pub index: usize,
    /// How many shares.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`, checked (1 <= index <= count).
    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "shard {index}/{count}: the number of shards must be 1 to {MAX_SHARDS}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count}: shards are numbered from 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Reads `I/N` (as `--shard` takes it).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("shard {text:?}: expected I/N, such as 2/8 (I from 1 to N)");
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse::<usize>().map_err(|_| bad())?;
        let n = n.trim().parse::<usize>().map_err(|_| bad())?;
        Shard::new(i, n)
    }

    /// This shard's jobs among `total`, numbered from 1, ascending.
    pub fn jobs(&self, total: usize) -> Vec<usize> {
        (self.index..=total).step_by(self.count).collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A shard folder's manifest (`shard.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The familyflow version that ran the shard.
    pub familyflow: String,
    /// The experiment file (absolute when it could be resolved).
    pub experiment: String,
    /// [`Experiment::digest`].
    pub experiment_hash: String,
    /// I, from 1.
    pub shard: usize,
    /// N.
    pub shards: usize,
    /// The sweep's jobs (points x replications).
    pub jobs_total: usize,
    /// Design points.
    pub points: usize,
    /// Replications per point.
    pub replications: u32,
    /// The outputs' metric keys, in order.
    pub outputs: Vec<String>,
    /// This shard's jobs, from 1, ascending.
    pub jobs: Vec<usize>,
    /// The rows of its monthly series file ([`MONTHS`]) below the header,
    /// so that a file cut short is refused.
    pub month_rows: usize,
}

impl Manifest {
    /// The manifest of `shard` of `exp`, whose file is `experiment`.
    pub fn new(exp: &Experiment, experiment: &str, shard: Shard) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            familyflow: crate::VERSION.into(),
            experiment: experiment.into(),
            experiment_hash: exp.digest.clone(),
            shard: shard.index,
            shards: shard.count,
            jobs_total: exp.jobs(),
            points: exp.sample.rows.len(),
            replications: exp.replications,
            outputs: exp.outputs.clone(),
            jobs: shard.jobs(exp.jobs()),
            month_rows: 0,
        }
    }

    /// Records the rows [`write_months`] writes for `outputs` (its jobs').
    pub fn count_months(&mut self, outputs: &[JobOutputs]) {
        self.month_rows = outputs
            .iter()
            .map(|o| {
                o.base_months.values.len() + o.compare_months.as_ref().map_or(0, |m| m.values.len())
            })
            .sum();
    }

    /// The manifest as JSON text.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a manifest serialises");
        s.push('\n');
        s
    }

    /// Reads a manifest's text; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Manifest, AnalysisError> {
        let bad = |m: String| AnalysisError::Invalid(format!("{file}: {m}"));
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a shard manifest (JSON): {e}")))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(bad(format!(
                "not a shard manifest (no \"format\": \"{FORMAT}\")"
            )));
        }
        let version = v.get("format_version").and_then(|f| f.as_u64());
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(bad(format!(
                "shard format version {}: this familyflow reads version {FORMAT_VERSION}",
                version.map_or("(none)".to_string(), |x| x.to_string())
            )));
        }
        let m: Manifest = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
        let shard = Shard::new(m.shard, m.shards).map_err(bad)?;
        if m.jobs != shard.jobs(m.jobs_total)
            || m.points.checked_mul(m.replications as usize) != Some(m.jobs_total)
        {
            return Err(bad(format!(
                "the job list is not shard {shard}'s of {} jobs",
                m.jobs_total
            )));
        }
        Ok(m)
    }

    fn shard(&self) -> Shard {
        Shard {
            index: self.shard,
            count: self.shards,
        }
    }
}

/// Runs (`scenario`, then `compare` with a comparison) in a job.
fn run_names(exp: &Experiment) -> &'static [&'static str] {
    if exp.compare.is_some() {
        &["scenario", "compare"]
    } else {
        &["scenario"]
    }
}

/// A value as the results file holds it: text that reads back to the
/// same `f64`.
fn exact(x: f64) -> String {
    format!("{x}")
}

/// The first columns of a shard file's row: the job (from 1), its design
/// point and replication (from 1) and the run.
fn job_columns(job: usize, reps: usize, run: &str) -> [String; 4] {
    let (p, r) = ((job - 1) / reps + 1, (job - 1) % reps + 1);
    [
        job.to_string(),
        p.to_string(),
        r.to_string(),
        run.to_string(),
    ]
}

/// Writes a shard's results (`shard-runs.csv`): `jobs` (from 1) and their
/// outputs, in the same order.
pub fn write_results(
    exp: &Experiment,
    jobs: &[usize],
    outputs: &[JobOutputs],
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let reps = exp.replications as usize;
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["job", "point", "replication", "run", "metric", "value"])?;
    for (&job, o) in jobs.iter().zip(outputs) {
        let runs = std::iter::once(&o.base).chain(o.compare.as_ref());
        for (run, values) in run_names(exp).iter().zip(runs) {
            let columns = job_columns(job, reps, run);
            for (key, x) in exp.outputs.iter().zip(values) {
                out.write_record(columns.iter().cloned().chain([key.clone(), exact(*x)]))?;
            }
        }
    }
    out.flush()
}

/// Reads a shard's results file (`text`, named `file` in errors): exactly
/// the rows [`write_results`] writes for the manifest's jobs, in order.
pub fn read_results(
    exp: &Experiment,
    manifest: &Manifest,
    text: &str,
    file: &str,
) -> Result<Vec<JobOutputs>, AnalysisError> {
    let reps = exp.replications as usize;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut line = 0usize;
    // The next row, whose first cells must be `want`; then its value.
    let mut next = |want: &[&str], value: bool| -> Result<f64, AnalysisError> {
        let rec = match records.next() {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                return Err(AnalysisError::Invalid(format!("{file}:{}: {e}", line + 1)))
            }
            None => {
                return Err(AnalysisError::Invalid(format!(
                    "{file}: ends at line {line}; expected a row {}",
                    want.join(",")
                )))
            }
        };
        line = rec.position().map_or(line + 1, |p| p.line() as usize);
        let at = |m: String| AnalysisError::Invalid(format!("{file}:{line}: {m}"));
        let cells: Vec<&str> = rec.iter().collect();
        let width = want.len() + usize::from(value);
        if cells.len() != width || cells[..want.len()] != *want {
            return Err(at(format!(
                "expected a row {}{}, found {}",
                want.join(","),
                if value { ",VALUE" } else { "" },
                cells.join(",")
            )));
        }
        if !value {
            return Ok(0.0);
        }
        cells[want.len()]
            .parse::<f64>()
            .map_err(|_| at(format!("value {:?} is not a number", cells[want.len()])))
    };
    next(
        &["job", "point", "replication", "run", "metric", "value"],
        false,
    )?;
    let mut out = Vec::with_capacity(manifest.jobs.len());
    for &job in &manifest.jobs {
        let (j, p, r) = (
            job.to_string(),
            ((job - 1) / reps + 1).to_string(),
            ((job - 1) % reps + 1).to_string(),
        );
        let mut runs = Vec::with_capacity(2);
        for run in run_names(exp) {
            let values = exp
                .outputs
                .iter()
                .map(|key| next(&[&j, &p, &r, run, key], true))
                .collect::<Result<Vec<f64>, _>>()?;
            runs.push(values);
        }
        let compare = if runs.len() == 2 { runs.pop() } else { None };
        let base = runs.pop().unwrap_or_default();
        out.push(JobOutputs {
            base,
            base_months: MonthlySeries::default(),
            compare_months: compare.as_ref().map(|_| MonthlySeries::default()),
            compare,
        });
    }
    if let Some(extra) = records.next() {
        let l = extra
            .ok()
            .and_then(|r| r.position().map(|p| p.line() as usize));
        return Err(AnalysisError::Invalid(format!(
            "{file}:{}: a row past the shard's last job",
            l.unwrap_or(line + 1)
        )));
    }
    Ok(out)
}

/// Writes a shard's monthly series (`shard-months.csv`): `jobs` (from 1)
/// and their outputs' series, in the same order.
pub fn write_months(
    exp: &Experiment,
    jobs: &[usize],
    outputs: &[JobOutputs],
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let reps = exp.replications as usize;
    let mut out = csv::Writer::from_writer(w);
    let mut head = vec!["job", "point", "replication", "run", "period"];
    head.extend(FanMeasure::ALL.iter().map(|m| m.key()));
    out.write_record(&head)?;
    for (&job, o) in jobs.iter().zip(outputs) {
        let runs = std::iter::once(&o.base_months).chain(o.compare_months.as_ref());
        for (run, series) in run_names(exp).iter().zip(runs) {
            let columns = job_columns(job, reps, run);
            for (i, month) in series.values.iter().enumerate() {
                let mut row = columns.to_vec();
                row.push(period_of(series.first + i as u32));
                row.extend(month.iter().map(|v| v.map_or_else(String::new, exact)));
                out.write_record(&row)?;
            }
        }
    }
    out.flush()
}

/// Reads a shard's monthly series file (`text`, named `file` in errors)
/// into `outputs` (the manifest's jobs, as [`read_results`] read them):
/// exactly the rows [`write_months`] writes, each run's months consecutive.
pub fn read_months(
    exp: &Experiment,
    manifest: &Manifest,
    outputs: &mut [JobOutputs],
    text: &str,
    file: &str,
) -> Result<(), AnalysisError> {
    let reps = exp.replications as usize;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut head = vec!["job", "point", "replication", "run", "period"];
    head.extend(FanMeasure::ALL.iter().map(|m| m.key()));
    let width = head.len();
    let mut rows = reader.records().peekable();
    let mut read = 0usize;
    let at = |line: usize, m: String| AnalysisError::Invalid(format!("{file}:{line}: {m}"));
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line() as usize);
    match rows.next() {
        Some(Ok(r)) if r.iter().eq(head.iter().copied()) => {}
        Some(Ok(r)) => {
            return Err(at(
                line_of(&r),
                format!("expected the header {}", head.join(",")),
            ))
        }
        Some(Err(e)) => return Err(at(1, e.to_string())),
        None => return Err(AnalysisError::Invalid(format!("{file}: empty"))),
    }
    for (&job, o) in manifest.jobs.iter().zip(outputs.iter_mut()) {
        let (j, p, r) = (
            job.to_string(),
            ((job - 1) / reps + 1).to_string(),
            ((job - 1) % reps + 1).to_string(),
        );
        for run in run_names(exp) {
            let mut series = MonthlySeries::default();
            // This run's rows: those whose first four cells name it.
            loop {
                let rec = match rows.peek() {
                    Some(Ok(rec)) => rec,
                    Some(Err(_)) => {
                        let e = rows.next().and_then(Result::err).map(|e| e.to_string());
                        return Err(AnalysisError::Invalid(format!(
                            "{file}: {}",
                            e.unwrap_or_default()
                        )));
                    }
                    None => break,
                };
                let line = line_of(rec);
                if rec.len() != width {
                    return Err(at(
                        line,
                        format!("expected {width} cells, found {}", rec.len()),
                    ));
                }
                if rec.iter().take(4).ne([j.as_str(), &p, &r, run]) {
                    break;
                }
                let month = month_number(&rec[4])
                    .ok_or_else(|| at(line, format!("period {:?} is not YYYY-MM", &rec[4])))?;
                if series.values.is_empty() {
                    series.first = month;
                } else if month != series.end() {
                    return Err(at(
                        line,
                        format!(
                            "period {} does not follow {}",
                            &rec[4],
                            period_of(series.end() - 1)
                        ),
                    ));
                }
                let mut values = [None; 5];
                for (k, v) in values.iter_mut().enumerate() {
                    let cell = &rec[5 + k];
                    if !cell.is_empty() {
                        *v =
                            Some(cell.parse::<f64>().map_err(|_| {
                                at(line, format!("value {cell:?} is not a number"))
                            })?);
                    }
                }
                series.values.push(values);
                read += 1;
                rows.next();
            }
            if *run == "scenario" {
                o.base_months = series;
            } else {
                o.compare_months = Some(series);
            }
        }
    }
    if let Some(extra) = rows.next() {
        let line = extra.ok().map_or(0, |r| line_of(&r));
        return Err(at(
            line,
            "a row that is not the next month of the shard's next job and run".into(),
        ));
    }
    if read != manifest.month_rows {
        return Err(AnalysisError::Invalid(format!(
            "{file}: {read} rows of monthly series where the shard wrote {}",
            manifest.month_rows
        )));
    }
    Ok(())
}

/// Checks that `manifests` (each with the folder it came from) are one
/// whole set: the same experiment, the same familyflow version and format,
/// the same number of shards, and each of 1..N exactly once. Errors name
/// the folders and the shards.
pub fn check_set(manifests: &[(String, Manifest)]) -> Result<(), AnalysisError> {
    let bad = |m: String| Err(AnalysisError::Invalid(m));
    let Some((first_dir, first)) = manifests.first() else {
        return bad("no shards given".into());
    };
    for (dir, m) in &manifests[1..] {
        if m.experiment_hash != first.experiment_hash {
            return bad(format!(
                "{dir} is a shard of another experiment than {first_dir} ({} with hash {}, not {} with hash {})",
                m.experiment, m.experiment_hash, first.experiment, first.experiment_hash
            ));
        }
        if m.familyflow != first.familyflow {
            return bad(format!(
                "{dir} was run by familyflow {}, {first_dir} by familyflow {}: re-run the shards with one version",
                m.familyflow, first.familyflow
            ));
        }
        if m.shards != first.shards {
            return bad(format!(
                "{dir} is shard {} of a split into {}, {first_dir} shard {}: the shards must be of one split",
                m.shard(),
                m.shards,
                first.shard()
            ));
        }
        if (m.jobs_total, m.replications, &m.outputs)
            != (first.jobs_total, first.replications, &first.outputs)
        {
            return bad(format!(
                "{dir} and {first_dir} differ in their jobs or outputs"
            ));
        }
    }
    let n = first.shards;
    let mut seen: Vec<Option<&str>> = vec![None; n];
    for (dir, m) in manifests {
        if let Some(other) = seen[m.shard - 1] {
            return bad(format!(
                "shard {} is given twice: {other} and {dir}",
                m.shard()
            ));
        }
        seen[m.shard - 1] = Some(dir);
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| seen[i - 1].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        let shown = missing
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return bad(format!(
            "shard{} {shown}{} missing ({} of {n} given); run {} with sweep --shard {} \
             and merge again",
            if missing.len() == 1 { "" } else { "s" },
            if missing.len() > 20 { ", …" } else { "" },
            manifests.len(),
            if missing.len() == 1 { "it" } else { "each" },
            missing[0]
        ));
    }
    Ok(())
}

/// A shard as [`merge`] takes it: its folder, manifest, and the texts of
/// its results file and its monthly series file.
pub type ShardFiles = (String, Manifest, String, String);

/// Merges a whole set of shards of `exp` into the results a
/// single-machine sweep of `exp` makes. Checks the set ([`check_set`])
/// and that it is `exp`'s.
pub fn merge(exp: &Experiment, shards: &[ShardFiles]) -> Result<SweepResults, AnalysisError> {
    let manifests: Vec<(String, Manifest)> = shards
        .iter()
        .map(|(d, m, _, _)| (d.clone(), m.clone()))
        .collect();
    check_set(&manifests)?;
    let (dir, m) = &manifests[0];
    if m.experiment_hash != exp.digest {
        return Err(AnalysisError::Invalid(format!(
            "{dir} is a shard of another experiment (hash {}) than {} as it is now (hash {}): \
             the experiment or a file it reads has changed since the shards ran",
            m.experiment_hash, exp.file, exp.digest
        )));
    }
    if m.jobs_total != exp.jobs() || m.outputs != exp.outputs {
        return Err(AnalysisError::Invalid(format!(
            "{dir}: its jobs or outputs are not {}'s",
            exp.file
        )));
    }
    let mut jobs: Vec<Option<JobOutputs>> = vec![None; exp.jobs()];
    for (dir, m, text, months) in shards {
        let file = format!("{dir}/{RESULTS}");
        let mut outputs = read_results(exp, m, text, &file)?;
        read_months(exp, m, &mut outputs, months, &format!("{dir}/{MONTHS}"))?;
        for (job, o) in m.jobs.iter().zip(outputs) {
            jobs[job - 1] = Some(o);
        }
    }
    let jobs: Vec<JobOutputs> = jobs.into_iter().flatten().collect();
    SweepResults::from_jobs(exp, jobs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_jobs_exactly_once() {
        for total in [1, 7, 12] {
            for n in 1..=14 {
                let mut all: Vec<usize> = (1..=n)
                    .flat_map(|i| Shard::new(i, n).unwrap().jobs(total))
                    .collect();
                all.sort_unstable();
                assert_eq!(
                    all,
                    (1..=total).collect::<Vec<_>>(),
                    "{total} jobs, {n} shards"
                );
            }
        }
        assert_eq!(Shard::parse("2/3").unwrap().jobs(8), vec![2, 5, 8]);
        for bad in ["0/3", "4/3", "1/0", "x/2", "3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_read_back_exactly() {
        for x in [
            0.1 + 0.2,
            -0.0,
            1e-310,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123_456_789.123_456_79,
            1.0 / 3.0,
        ] {
            let y: f64 = exact(x).parse().unwrap();
            assert_eq!(x.to_bits(), y.to_bits(), "{x}");
        }
        assert!(exact(f64::NAN).parse::<f64>().unwrap().is_nan());
    }
}
