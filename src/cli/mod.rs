//! The command line: the `clap` definition of every command and its
//! dispatch to [`commands`], which read and write files and the terminal.

pub mod commands;
pub mod compare;
pub mod import;
pub mod progress;
pub mod replications;
pub mod serve;
pub mod slurm;
pub mod sweep;
pub mod validate;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::text::printable;
use clap::{Parser, Subcommand};

/// Simulate children's social care in England: referrals, the front door,
/// family help and closure, as an event log you can replay and verify.
#[derive(Parser)]
#[command(name = "familyflow", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  familyflow run                       # the built-in default scenario\n  familyflow run scenarios/default.toml --seed 7 --out out\n  familyflow run scenarios/default.toml --replications 20 --out reps\n  familyflow compare scenarios/default.toml scenarios/ffc-reform.toml --replications 20\n  familyflow verify out/events.ffl\n  familyflow events out/events.ffl --family 12\n  familyflow run --out out --report        # out/report.html\n  familyflow export out/events.ffl --format ssda903 --out returns"
)]
struct Cli {
    /// Nothing on stderr but errors: no progress bar, timing or "wrote …" lines.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Run a scenario (or region) estimated to need more memory than
    /// familyflow allows (4 GiB), when the machine has it.
    #[arg(long, global = true)]
    force: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its summary.
    #[command(
        after_help = "Examples:\n  familyflow run\n  familyflow run scenarios/default.toml --seed 42 --out out\n  familyflow run --json > summary.json\n  familyflow run scenarios/default.toml --replications 20 --seed 7 --threads 2 --out reps\n  familyflow run scenarios/default.toml --replications 10 --warm-up 1y"
    )]
    Run {
        /// Scenario file (TOML). Without one, the built-in default scenario runs.
        scenario: Option<PathBuf>,
        /// Seed of the random streams: the same seed gives the same run.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder for the event log (events.ffl) and summary.json.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the summary as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Run this many replications (seeds derived from --seed) and print
        /// per-metric mean, sd, 95% CI, min and max; with --out, write
        /// replications.csv, replications.json and summary-stats.csv (no logs).
        #[arg(long, value_name = "R")]
        replications: Option<u32>,
        /// Worker threads for replications (default: every core). Output is the same for any number.
        #[arg(long, value_name = "T", requires = "replications")]
        threads: Option<usize>,
        /// Leave out the first part of the run from replication metrics, e.g. 2y, 18m, 90d:
        /// figures are recomputed from the monthly rows of the months after it.
        #[arg(long, value_name = "DURATION", requires = "replications")]
        warm_up: Option<crate::cli::commands::WarmUp>,
        /// Also write DIR/report.html, an HTML report of the run (needs --out;
        /// with --replications, the first replication with every replication's 95% CIs;
        /// not with --warm-up).
        #[arg(long, requires = "out", conflicts_with = "warm_up")]
        report: bool,
        /// Also write a snapshot of the run at the start of this day
        /// (DIR/snapshot-DATE.ffs, needs --out), to branch scenarios from.
        #[arg(long, value_name = "DATE", value_parser = parse_date, conflicts_with = "replications")]
        checkpoint_at: Option<crate::model::calendar::CivilDate>,
        /// Change a scenario field for this run (repeatable): a dotted key as in the
        /// file, entries of [[policy]] counted from 1, and a TOML value, e.g.
        /// --set family_help.fte=40 --set 'policy[2].family_help.fte=60' --set start=2025-04-01.
        /// The log holds the changed scenario, so replay and verify read it.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = crate::model::overrides::Override::parse)]
        set: Vec<crate::model::overrides::Override>,
    },
    /// Continue a snapshot's run under one or more scenarios (common random numbers).
    #[command(after_help = "Examples:
  familyflow run scenarios/default.toml --checkpoint-at 2025-04-01 --out base
  familyflow branch base/snapshot-2025-04-01.ffs scenarios/default.toml scenarios/ffc-reform.toml --out branches
  familyflow replay branches/ffc-reform/events.ffl --from base/snapshot-2025-04-01.ffs

Each scenario must keep the run's calendar and families (start, years, bank holidays,
families, starting caseload). Families keep their random draws, and everything already
under way carries on; from the snapshot's day each scenario's own parameters and policy
timeline apply.")]
    Branch {
        /// Snapshot written by `run --checkpoint-at`.
        snapshot: PathBuf,
        /// Scenario files (TOML) to continue under.
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
        /// Folder for each branch's log (events after the snapshot), summary and monthly series.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the summaries as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run scenarios on common random numbers and compare them with paired differences.
    #[command(
        after_help = "Examples:\n  familyflow compare scenarios/default.toml scenarios/ffc-reform.toml --replications 20\n  familyflow compare a.toml b.toml c.toml --replications 50 --seed 7 --out cmp --family 12\n\nEvery scenario runs replication i on the same seed, so families keep their random draws.\nFor each later scenario (B, C, …) and metric: the mean of B − A with its 95% CI, and the\nvariance-reduction factor var(B' − A) / var(B − A), where B' is B run on independent seeds.\nThe first replication is also compared family by family."
    )]
    Compare {
        /// Scenario files (TOML): the first is the baseline A.
        #[arg(required = true, num_args = 2.., value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
        /// Replications per scenario (at least 2).
        #[arg(long, value_name = "R", default_value_t = 20)]
        replications: u32,
        /// Base seed of the replication seeds.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (default: every core). Output is the same for any number.
        #[arg(long, value_name = "T")]
        threads: Option<usize>,
        /// Folder for compare.csv, compare.json, compare-replications.csv and counterfactual.csv.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print this family's event histories under A and B side by side (first replication).
        #[arg(long, value_name = "ID")]
        family: Option<u32>,
        /// Leave out the first part of the run from the metrics, e.g. 2y, 18m, 90d.
        #[arg(long, value_name = "DURATION")]
        warm_up: Option<crate::cli::commands::WarmUp>,
        /// Also write DIR/report.html (with A's first replication as the run shown; needs --out;
        /// not with --warm-up).
        #[arg(long, requires = "out", conflicts_with = "warm_up")]
        report: bool,
        /// Which metrics the table shows: comma-separated patterns (`*` any
        /// characters), e.g. 'care.*,*_pence', or all (default: the headline
        /// ones; every metric is in compare.csv with --out).
        #[arg(long, value_name = "PATTERNS")]
        metrics: Option<String>,
        /// Change a field of every scenario compared (repeatable), as `run --set`.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = crate::model::overrides::Override::parse)]
        set: Vec<crate::model::overrides::Override>,
    },
    /// Run a scenario at every point of an experiment design (sweeps and sensitivity analysis).
    #[command(
        after_help = "Examples:\n  familyflow sweep scenarios/experiments/ffc-morris.sweep --out sweep\n  familyflow sweep EXPERIMENT.toml --threads 2 --out sweep && salib analyze morris -p sweep/salib/params.txt -X sweep/salib/samples.txt -Y sweep/salib/outputs.txt -c 0\n\nThe experiment file names the scenario (and a compare scenario), the factors (scenario fields\nby their --set keys, with unif/triang/norm/lognorm distributions or levels), the design\n(full_factorial, one_at_a_time, latin_hypercube, morris, saltelli, or a SALib sample matrix),\nreplications per point, seed, outputs (metric keys) and optionally a target.\nReplication r of every point runs on the same seed; the output is the same for any --threads."
    )]
    Sweep {
        /// Experiment file (TOML).
        experiment: PathBuf,
        /// Worker threads (default: every core). Output is the same for any number.
        #[arg(long, value_name = "T")]
        threads: Option<usize>,
        /// Folder for sweep-runs.csv, sweep-points.csv, sweep-indices.csv,
        /// sweep-target.csv, sweep-fan.csv and salib/ (params.txt, samples.txt,
        /// outputs.txt); with --shard, the shard's folder (shard.json,
        /// shard-runs.csv, shard-months.csv).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Run only shard I of N (I from 1): every N-th job (point x replication)
        /// from job I. `auto` takes them from a Slurm array task (SLURM_ARRAY_TASK_ID,
        /// _MIN, _COUNT) or a Kubernetes indexed job (JOB_COMPLETION_INDEX from 0,
        /// FAMILYFLOW_SHARDS); `auto/N` gives N. Then familyflow merge.
        #[arg(long, value_name = "I/N", conflicts_with = "slurm")]
        shard: Option<String>,
        /// Write a Slurm array script (sweep-array.sbatch), its merge job
        /// (sweep-merge.sbatch) and submit.sh into DIR, sized by a pilot run
        /// of one job; results go to --out (default DIR/results).
        #[arg(long, value_name = "DIR")]
        slurm: Option<PathBuf>,
        /// With --slurm: array tasks (shards); default one per job, at most 100.
        #[arg(long, value_name = "N", requires = "slurm")]
        tasks: Option<usize>,
        /// With --slurm: tasks running at once (the array's % limit); default 20.
        #[arg(long, value_name = "K", requires = "slurm")]
        max_running: Option<usize>,
        /// Also write DIR/report.html: fan charts across every point and
        /// replication (needs --out; with --slurm, the merge writes it).
        #[arg(long, conflicts_with = "shard")]
        report: bool,
    },
    /// Merge the shards of a sweep (sweep --shard I/N) into the files one sweep writes.
    #[command(
        after_help = "Examples:\n  for i in 1 2 3; do familyflow sweep exp.sweep --shard $i/3 --out shards/$i; done\n  familyflow merge shards/1 shards/2 shards/3 --out sweep\n\nThe shards must be of one experiment (its hash: the file, its scenarios, factors and\nsample) and one familyflow version, each of 1..N exactly once; the files written are\nbyte for byte those of a single-machine sweep. A failed shard is re-run alone."
    )]
    Merge {
        /// The shard folders (each with shard.json, shard-runs.csv and shard-months.csv).
        #[arg(required = true, value_name = "SHARD_DIR")]
        shards: Vec<PathBuf>,
        /// Folder for the sweep's files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The experiment file, when it has moved since the shards ran
        /// (default: the path in shard.json). It must be unchanged.
        #[arg(long, value_name = "FILE")]
        experiment: Option<PathBuf>,
        /// Also write DIR/report.html, the sweep's fan charts.
        #[arg(long)]
        report: bool,
    },
    /// Write an HTML report (DIR/report.html) from a run's or a comparison's --out folder.
    #[command(
        after_help = "Examples:\n  familyflow run --out out && familyflow report out\n  familyflow run --out out --report\n  familyflow compare a.toml b.toml --replications 20 --out cmp --report\n\nOne self-contained file (inline SVG and CSS, no network) that opens in any browser."
    )]
    Report {
        /// Folder written by `run --out` (summary.json) or `compare --out --report`.
        dir: PathBuf,
    },
    /// Rebuild a run's summary from its event log alone.
    #[command(after_help = "Example:\n  familyflow replay out/events.ffl")]
    Replay {
        /// Event log written by `run --out` (or by `branch --out`, with --from).
        log: PathBuf,
        /// Print the summary as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The snapshot a branch's log continues from.
        #[arg(long, value_name = "SNAPSHOT")]
        from: Option<PathBuf>,
    },
    /// Check a log's integrity and that replaying it reproduces its final state.
    #[command(after_help = "Example:\n  familyflow verify out/events.ffl")]
    Verify {
        /// Event log.
        log: PathBuf,
    },
    /// Print a log's events, as text or JSON lines.
    #[command(
        after_help = "Examples:\n  familyflow events out/events.ffl | head\n  familyflow events out/events.ffl --family 12\n  familyflow events out/events.ffl --json > events.jsonl"
    )]
    Events {
        /// Event log.
        log: PathBuf,
        /// Only this family's events.
        #[arg(long, value_name = "ID")]
        family: Option<u32>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Write a log as data returns (SSDA903, CIN census) or as CSV / JSON lines.
    #[command(
        after_help = "Examples:\n  familyflow export out/events.ffl --format ssda903 --out returns\n  familyflow export out/events.ffl --format cin --out returns\n  familyflow export out/events.ffl --format csv --out raw\n\nOne folder per collection year (1 April to 31 March), named by the year it ends, as councils\nkeep their returns: ssda903 writes returns/2025/header.csv and episodes.csv, cin writes\nreturns/2025/cin.xml; both formats can share a folder. Sex, ethnicity and disability are drawn\nfrom England's published shares, UPNs are made up (with a valid check letter), and what the\nmodel does not know (postcodes, URNs, mothers) is left blank: see the README's Data returns."
    )]
    Export {
        /// Event log.
        log: PathBuf,
        /// ssda903, cin, csv or jsonl.
        #[arg(long, value_enum)]
        format: FormatArg,
        /// Folder to write into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Estimate a scenario for an authority from its own SSDA903 and CIN census returns.
    #[command(
        after_help = "Examples:\n  familyflow import returns --children 60000 --out area.toml\n  familyflow import returns --children 60000 --at 2025-04-01 --out area.toml\n\nDIR is walked (4 folders deep at most) and each file recognised by its content: SSDA903\ntables by their columns (header, episodes, UASC, reviews, missing), the CIN census XML by its\nelements; the collection year comes from the folder or file name (2025, 2024-25, 2024_25) or\nthe data. Bad rows are listed with file, line and column, counted, and left out. Only\naggregates are written: no child's identifier, date of birth or postcode."
    )]
    Import {
        /// The folder holding the returns (any layout, one folder per year or not).
        dir: PathBuf,
        /// Children under 18 living in the area.
        #[arg(long, value_name = "N")]
        children: u64,
        /// The starting caseload's date, the run's first day (default: the day after the latest collection year).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        at: Option<crate::model::calendar::CivilDate>,
        /// Years the written scenario runs.
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// Rounds of calibration (runs of the scenario against the returns; 0: the default's latent rates).
        #[arg(long, default_value_t = 8)]
        rounds: u32,
        /// The scenario file to write.
        #[arg(long, value_name = "AREA.toml")]
        out: PathBuf,
    },
    /// Copy the intact part of a cut or damaged log to a new log.
    #[command(
        after_help = "Example:\n  familyflow recover out/events.ffl --out out/recovered.ffl"
    )]
    Recover {
        /// The damaged log.
        log: PathBuf,
        /// Where to write the recovered log.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Run the model's validation suite: queueing theory, lever directions,
    /// stationarity, calibration against published figures, a published trial.
    #[command(
        after_help = "Examples:\n  familyflow validate --quick\n  familyflow validate --threads 2 --out validation\n\nEach check is a row: target, the model's value with its 95% CI over replications,\nthe source of the target, PASS or FAIL; the exit status is non-zero if any fails.\n--quick: M/M/c at two loads, the levers, stationarity of the default scenario and the FGC trial\n(no England runs).\nThe output is the same, byte for byte, for any number of threads."
    )]
    Validate {
        /// The reduced set (under 2 minutes): no England runs, fewer queueing loads.
        #[arg(long)]
        quick: bool,
        /// Worker threads (default: every core). Output is the same for any number.
        #[arg(long, value_name = "T")]
        threads: Option<usize>,
        /// Folder for validation.csv and validation.json.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Serve the web app: check, run, watch and compare scenarios in a browser.
    #[command(
        after_help = "Examples:\n  familyflow serve                      # http://127.0.0.1:8080/\n  familyflow serve --bind 127.0.0.1:0 --data /tmp/ff\n  familyflow serve --bind 0.0.0.0:8080 --token \"$(cat token.txt)\"\n\nRuns are kept under --data (default: $XDG_DATA_HOME/familyflow or ~/.local/share/familyflow),\nkeyed by what determines them, so asking again for a run returns it at once. Binding beyond\nloopback needs a bearer token: --token, or one is generated and printed. The API is in the README."
    )]
    Serve {
        /// Address and port to listen on (port 0: any free port, printed).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        bind: String,
        /// Folder for the stored runs.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Bearer token every API request must carry (at least 16 characters).
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
        /// Cores runs may use at once (default: every core); more runs wait.
        #[arg(long, value_name = "N")]
        cores: Option<usize>,
    },
    /// Work with scenario files.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Print the data dictionary: every metric key with its unit, meaning and source events.
    #[command(
        after_help = "Examples:\n  familyflow metrics\n  familyflow metrics --json > metrics.json"
    )]
    Metrics {
        /// As JSON (an array of objects: key, unit, meaning, sources).
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script for bash, zsh or fish.
    #[command(
        after_help = "Examples:\n  familyflow completions bash > ~/.local/share/bash-completion/completions/familyflow\n  familyflow completions zsh > ~/.zfunc/_familyflow\n  familyflow completions fish > ~/.config/fish/completions/familyflow.fish"
    )]
    Completions {
        /// The shell.
        shell: ShellArg,
    },
}

#[derive(Copy, Clone, clap::ValueEnum)]
enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Copy, Clone, clap::ValueEnum)]
enum FormatArg {
    Ssda903,
    Cin,
    Csv,
    Jsonl,
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Validate a scenario file: every problem with its line, column and field.
    #[command(after_help = "Example:\n  familyflow scenario check scenarios/default.toml")]
    Check {
        /// Scenario file (TOML).
        file: PathBuf,
    },
    /// Print the JSON Schema of the scenario format (for editors and tools).
    #[command(after_help = "Example:\n  familyflow scenario schema > scenario.schema.json")]
    Schema,
}

/// A date like 2025-04-01.
fn parse_date(s: &str) -> Result<crate::model::calendar::CivilDate, String> {
    crate::model::calendar::CivilDate::parse(s)
        .ok_or_else(|| format!("{s} is not a date like 2025-04-01"))
}

/// Runs the command line: parses the arguments, runs the command, and
/// reports an error on stderr with a failing exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut err = io::stderr();
    let quiet = cli.quiet;
    if cli.force {
        crate::model::scenario::force_size();
    }
    if let Command::Run { set, scenario, .. } = &cli.command {
        if !set.is_empty() && scenario.is_none() {
            let _ = writeln!(
                io::stderr(),
                "error: --set changes a scenario file: name one (e.g. scenarios/default.toml)"
            );
            return ExitCode::FAILURE;
        }
    }
    if let Command::Run { set, .. } | Command::Compare { set, .. } = &cli.command {
        crate::model::overrides::set_command_line(set.clone());
    }
    let mut silent = io::sink();
    let note: &mut dyn Write = if quiet { &mut silent } else { &mut err };
    let result = match &cli.command {
        Command::Run {
            scenario,
            seed,
            out: dir,
            json,
            replications: Some(replications),
            threads,
            warm_up,
            report,
            ..
        } => commands::run_replications(
            scenario.as_deref(),
            &commands::ReplicationOptions {
                spec: commands::ReplicationSpec {
                    replications: *replications,
                    seed: *seed,
                    threads: *threads,
                    warm_up: warm_up.clone(),
                },
                progress: !quiet,
                out_dir: dir.clone(),
                json: *json,
            },
            &mut out,
            &mut *note,
        )
        .and_then(|()| match (report, dir) {
            (true, Some(dir)) => {
                commands::first_replication_report(scenario.as_deref(), *seed, dir, &mut *note)
            }
            _ => Ok(()),
        }),
        Command::Run {
            scenario,
            seed,
            out: dir,
            json,
            replications: None,
            checkpoint_at,
            report,
            ..
        } => commands::refuse_region_report(
            *report,
            &scenario.as_deref().into_iter().collect::<Vec<_>>(),
        )
        .and_then(|()| {
            commands::run_with_checkpoint(
                scenario.as_deref(),
                *seed,
                dir.as_deref(),
                *checkpoint_at,
                !quiet,
                *json,
                &mut out,
                &mut *note,
            )
        })
        .and_then(|()| match (report, dir) {
            (true, Some(dir)) => commands::report(dir, &mut *note),
            _ => Ok(()),
        }),
        Command::Branch {
            snapshot,
            scenarios,
            out: dir,
            json,
        } => commands::branch(
            snapshot,
            scenarios,
            dir.as_deref(),
            *json,
            &mut out,
            &mut *note,
        ),
        Command::Compare {
            scenarios,
            replications,
            seed,
            threads,
            out: dir,
            family,
            warm_up,
            report,
            metrics,
            ..
        } => commands::refuse_region_report(
            *report,
            &scenarios.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        )
        .and_then(|()| {
            commands::compare(
                scenarios,
                &commands::CompareOptions {
                    spec: commands::CompareSpec {
                        replications: *replications,
                        seed: *seed,
                        threads: *threads,
                        warm_up: warm_up.clone(),
                        family: *family,
                    },
                    progress: !quiet,
                    out_dir: dir.clone(),
                    metrics: metrics.clone(),
                },
                &mut out,
                &mut *note,
            )
        })
        .and_then(|()| match (report, dir) {
            (true, Some(dir)) => {
                commands::first_replication_report(Some(&scenarios[0]), *seed, dir, &mut *note)
            }
            _ => Ok(()),
        }),
        Command::Sweep {
            experiment,
            threads,
            out: dir,
            shard,
            slurm,
            tasks,
            max_running,
            report,
        } => sweep::sweep(
            experiment,
            &sweep::SweepOptions {
                threads: *threads,
                progress: !quiet,
                out_dir: dir.clone(),
                shard: shard.clone(),
                slurm: slurm.as_ref().map(|d| slurm::SlurmOptions {
                    dir: d.clone(),
                    tasks: *tasks,
                    max_running: *max_running,
                }),
                report: *report,
            },
            &mut out,
            &mut *note,
        ),
        Command::Merge {
            shards,
            out: dir,
            experiment,
            report,
        } => sweep::merge(
            shards,
            experiment.as_deref(),
            dir,
            *report,
            &mut out,
            &mut *note,
        ),
        Command::Report { dir } => commands::report(dir, &mut *note),
        Command::Replay {
            log,
            json,
            from: None,
        } => commands::replay(log, *json, &mut out),
        Command::Replay {
            log,
            json,
            from: Some(snapshot),
        } => commands::replay_from(log, snapshot, *json, &mut out),
        Command::Verify { log } => commands::verify(log, &mut out),
        Command::Events { log, family, json } => commands::events(log, *family, *json, &mut out),
        Command::Recover { log, out: to } => commands::recover(log, to, &mut out, &mut *note),
        Command::Export {
            log,
            format,
            out: dir,
        } => commands::export(
            log,
            match format {
                FormatArg::Ssda903 => commands::ExportFormat::Ssda903,
                FormatArg::Cin => commands::ExportFormat::Cin,
                FormatArg::Csv => commands::ExportFormat::Csv,
                FormatArg::Jsonl => commands::ExportFormat::Jsonl,
            },
            dir,
            &mut *note,
        ),
        Command::Validate {
            quick,
            threads,
            out: dir,
        } => commands::validate(
            &commands::ValidateOptions {
                quick: *quick,
                threads: *threads,
                out_dir: dir.clone(),
                progress: !quiet,
            },
            &mut out,
            &mut *note,
        ),
        Command::Serve {
            bind,
            data,
            token,
            cores,
        } => serve::serve(
            &serve::ServeOptions {
                bind: bind.clone(),
                data: data.clone(),
                token: token.clone(),
                cores: *cores,
            },
            &mut out,
            &mut *note,
        ),
        Command::Scenario(ScenarioCommand::Schema) => commands::scenario_schema(&mut out),
        Command::Metrics { json } => {
            let text = if *json {
                crate::analysis::metric_registry::dictionary_json()
            } else {
                crate::analysis::metric_registry::dictionary_text()
            };
            out.write_all(text.as_bytes())
                .map_err(|e| commands::CommandError::Failed(format!("cannot write to stdout: {e}")))
        }
        Command::Import {
            dir,
            children,
            at,
            years,
            rounds,
            out: to,
        } => import::import(
            &import::ImportArgs {
                dir,
                children: *children,
                at: *at,
                years: *years,
                out: to,
                rounds: *rounds,
            },
            &mut out,
            &mut *note,
        ),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let shell = match shell {
                ShellArg::Bash => clap_complete::Shell::Bash,
                ShellArg::Zsh => clap_complete::Shell::Zsh,
                ShellArg::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut Cli::command(), "familyflow", &mut out);
            Ok(())
        }
        Command::Scenario(ScenarioCommand::Check { file }) => {
            commands::check_scenario(file, &mut out)
        }
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(commands::CommandError::File { source, .. })
            if source.kind() == io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Errors quote file names and text from files: nothing in them
            // may reach the terminal as an escape sequence.
            let _ = writeln!(err, "error: {}", printable(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}
