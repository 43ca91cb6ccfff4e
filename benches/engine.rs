//! The full model: events per second of whole runs, without a log, with the
//! log written to a file (in a temporary folder, through the same 1 MiB
//! `BufWriter` as `familyflow run --out`) or to memory, and of replaying a
//! log (from memory and from the file).
//!
//! Two scenarios: the built-in default (100,000 children, 3 years, about
//! 72,000 events) and `benches/scenarios/england-1pct.toml` (the England
//! baseline at 1% of its children, 10 years, about 0.3 million events). The
//! full England baseline (about 30 million events) is timed by
//! `benches/peers/memory.sh` instead: it is too slow for criterion's
//! repeated iterations.
//!
//! And a pair of scenarios on one seed as `compare` runs them: each run
//! whole, or their common beginning once and the second branched from it
//! (`run_sharing`); and a sweep of the reform's own staffing (4 points, 1
//! replication) as `sweep` runs it, the default scenario once and each
//! point's reform branched from it, against each point's pair run whole.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use familyflow::analysis::replications::replication_seed;
use familyflow::analysis::run::{self, replay};
use familyflow::analysis::snapshot::{run_sharing, shared_until};
use familyflow::analysis::sweep::{sweep, Experiment};
use familyflow::analysis::Unwatched;
use familyflow::engine::log::LogWriter;
use familyflow::engine::Discard;
use familyflow::model::input::ScenarioInput;
use familyflow::model::simulate;
use familyflow::model::Model;

fn write_log<W: Write>(input: &ScenarioInput, model: &Model, seed: u64, out: W) -> W {
    let mut w = LogWriter::new(out, &input.header(seed)).expect("header");
    let (state, _) = simulate(model, &mut w).expect("runs");
    w.finish(model.calendar.horizon(), state.hash(), true)
        .expect("trailer")
}

fn to_file(input: &ScenarioInput, model: &Model, path: &Path) {
    let file = File::create(path).expect("creates the log file");
    let w = write_log(input, model, 1, BufWriter::with_capacity(1 << 20, file));
    // Flushed (by `finish`) but not synced, as `familyflow run --out`.
    w.into_inner().expect("flushes");
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("familyflow-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates a temporary folder");
    dir
}

fn full_model(c: &mut Criterion, label: &str, input: &ScenarioInput, measure: Duration) {
    let model = Model::new(input.scenario.clone(), 1);
    let (_, metrics) = simulate(&model, &mut Discard).expect("runs");
    let log = write_log(input, &model, 1, Vec::with_capacity(32 << 20));
    let dir = temp_dir();
    let path = dir.join("events.ffl");
    to_file(input, &model, &path);
    eprintln!(
        "{label}: {} events, log {} bytes",
        metrics.events,
        log.len()
    );

    let mut g = c.benchmark_group(format!("full model/{label}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measure);
    g.throughput(Throughput::Elements(metrics.events));
    g.bench_function("run without log", |b| {
        b.iter(|| simulate(&model, &mut Discard).expect("runs"))
    });
    g.bench_function("run with log to file", |b| {
        b.iter(|| to_file(input, &model, &path))
    });
    g.bench_function("run with log in memory", |b| {
        b.iter(|| write_log(input, &model, 1, Vec::with_capacity(log.len())))
    });
    g.bench_function("replay from memory", |b| {
        b.iter(|| replay(&log[..]).expect("replays"))
    });
    g.bench_function("replay from file", |b| {
        b.iter(|| {
            let file = File::open(&path).expect("opens the log");
            replay(BufReader::with_capacity(1 << 20, file)).expect("replays")
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn default_scenario(c: &mut Criterion) {
    full_model(
        c,
        "default",
        &ScenarioInput::builtin(),
        Duration::from_secs(2),
    );
}

fn england_one_percent(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/england-1pct.toml");
    let input = ScenarioInput::load(&path).expect("the benchmark scenario loads");
    full_model(c, "england 1% 10y", &input, Duration::from_secs(4));
}

/// The default area and its FFC reform, which parts from it on 1 July 2024
/// after the 20-year burn-in, on seed 1 (which branches: no arrival pending
/// a week before was drawn past the date).
fn shared_beginning(c: &mut Criterion) {
    let a = ScenarioInput::builtin();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ffc-reform.toml");
    let b = ScenarioInput::load(&path).expect("the reform scenario loads");
    let split = shared_until(&a.scenario, &b.scenario).expect("they part on 1 July 2024");
    let (_, branches) = run_sharing(&a, &[&b], 1, split).expect("runs");
    assert!(branches, "seed 1 branches");
    let mut g = c.benchmark_group("compare pair/default vs ffc-reform");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g.bench_function("each run whole", |bench| {
        bench.iter(|| {
            run::run::<std::io::Sink>(&a, 1, None).expect("runs");
            run::run::<std::io::Sink>(&b, 1, None).expect("runs")
        })
    });
    g.bench_function("common beginning once", |bench| {
        bench.iter(|| run_sharing(&a, &[&b], 1, split).expect("runs"))
    });
    g.finish();
}

fn sweep_of_the_reform(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let (a, b) = (
        ScenarioInput::load(&root.join("default.toml")).expect("the default scenario loads"),
        ScenarioInput::load(&root.join("ffc-reform.toml")).expect("the reform scenario loads"),
    );
    let split = shared_until(&a.scenario, &b.scenario).expect("they part on 1 July 2024");
    // Branching needs the next unaccompanied child due before 1 July, which
    // in an area this size (about 1.1 a week, the snapshot about 25 days
    // before) is so on about 97% of seeds: how
    // many of the first 20 replications' seeds, and the first seed whose
    // replication 1 branches, which the sweep below uses.
    let branches = |seed: u64| {
        run_sharing(&a, &[&b], replication_seed(seed, 0), split)
            .expect("runs")
            .1
    };
    let share = (1..=20).filter(|&s| branches(s)).count();
    let seed = (1..=50)
        .find(|&s| branches(s))
        .expect("a seed that branches");
    eprintln!("sweep bench: {share} of seeds 1 to 20 branch at replication 1; seed {seed} used");
    let dir = std::env::temp_dir().join(format!("familyflow-bench-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("reform-staffing.sweep");
    std::fs::write(
        &file,
        format!(
            "scenario = {:?}\ncompare = {:?}\nseed = {seed}\nreplications = 1\n\
             outputs = [\"family_help.mean_wait_days\"]\n\n\
             [design]\nkind = \"latin_hypercube\"\npoints = 4\n\n\
             [[factor]]\nkey = \"policy[1].family_help.fte\"\nlower = 99\nupper = 119\n\
             integer = true\napplies_to = \"compare\"\n",
            root.join("default.toml").display().to_string(),
            root.join("ffc-reform.toml").display().to_string(),
        ),
    )
    .expect("the experiment is written");
    let exp = Experiment::load(&file).expect("the experiment loads");
    assert!(exp.sharing().expect("inputs").one_base.is_some());
    let mut g = c.benchmark_group("sweep/ffc-reform staffing, 4 points");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("each pair run whole", |bench| {
        bench.iter(|| {
            for p in 0..4 {
                for compare in [false, true] {
                    let input = exp.input(p, compare).expect("input");
                    run::run::<std::io::Sink>(&input, replication_seed(seed, 0), None)
                        .expect("runs");
                }
            }
        })
    });
    g.bench_function("scenario once, reforms branched", |bench| {
        bench.iter(|| sweep(&exp, Some(1), &Unwatched).expect("sweeps"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(
    benches,
    default_scenario,
    england_one_percent,
    shared_beginning,
    sweep_of_the_reform
);
criterion_main!(benches);
