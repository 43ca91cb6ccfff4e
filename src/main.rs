//! The `familyflow` command: a thin shell over the library's `commands`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use familyflow::commands;

/// Simulate children's social care in England: referrals, the front door,
/// family help and closure, as an event log you can replay and verify.
#[derive(Parser)]
#[command(name = "familyflow", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  familyflow run                       # the built-in default scenario\n  familyflow run scenarios/default.toml --seed 7 --out out\n  familyflow verify out/events.ffl\n  familyflow events out/events.ffl --family 12"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its summary.
    #[command(
        after_help = "Examples:\n  familyflow run\n  familyflow run scenarios/default.toml --seed 42 --out out\n  familyflow run --json > summary.json"
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
    },
    /// Rebuild a run's summary from its event log alone.
    #[command(after_help = "Example:\n  familyflow replay out/events.ffl")]
    Replay {
        /// Event log written by `run --out`.
        log: PathBuf,
        /// Print the summary as JSON instead of text.
        #[arg(long)]
        json: bool,
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
    /// Work with scenario files.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut err = io::stderr();
    let result = match &cli.command {
        Command::Run {
            scenario,
            seed,
            out: dir,
            json,
        } => commands::run(
            scenario.as_deref(),
            *seed,
            dir.as_deref(),
            *json,
            &mut out,
            &mut err,
        ),
        Command::Replay { log, json } => commands::replay(log, *json, &mut out),
        Command::Verify { log } => commands::verify(log, &mut out),
        Command::Events { log, family, json } => commands::events(log, *family, *json, &mut out),
        Command::Recover { log, out: to } => commands::recover(log, to, &mut out),
        Command::Scenario(ScenarioCommand::Schema) => commands::scenario_schema(&mut out),
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
            let _ = writeln!(err, "error: {e}");
            ExitCode::FAILURE
        }
    }
}
