//! Fuzzing that stays in the project, on the stable toolchain (issue 14):
//! every reader of outside input is fed mutated inputs, and no input may
//! panic or make one execution hold more than [`CAP`] bytes at once.
//!
//! Targets (one `#[test]` each, `fuzz_<target>`):
//!
//! * `scenario`: `ScenarioInput::from_text` (TOML and validation), the
//!   error's text, the policy timeline and the calendar;
//! * `log_strict`: `LogReader::open` and every record to the end;
//! * `log_recover`: `engine::log::recover`;
//! * `replay`: `analysis::run::replay`, what `replay` and `verify` do to a
//!   log someone else wrote (the reader, the scenario inside, the fold);
//! * `snapshot`: `Snapshot::read` and the scenario inside it;
//! * `report`: what `familyflow report DIR` reads (`summary.json` as a
//!   `Summary`, `compare.json` through `differences_from_compare`,
//!   `summary-stats.csv` through `spreads_from_csv`), then the page.
//!
//! Inputs are seeds (golden files, the shipped scenarios, and a small run's
//! log, snapshot, summary and comparison made at the start) changed by a
//! deterministic mutation engine: each execution draws from its own ChaCha8
//! stream (`FUZZ_SEED`, the target, the execution's number), so execution
//! `n` is the same input on every machine. Mutations: bit flips,
//! interesting bytes and integers, inserts, deletes, duplications, splices
//! across seeds and dictionary tokens; and structure-aware ones: TOML lines
//! and values, JSON nodes, and log and snapshot records with their lengths,
//! checksums, checkpoints and end hash recomputed, so that the decoders and
//! the fold see hostile content behind valid framing.
//!
//! * `FUZZ_EXECS=n`: executions per target (default [`DEFAULT_EXECS`], the
//!   smoke run of `cargo test`);
//! * `FUZZ_SEED=n`: another sequence of inputs;
//! * `FUZZ_TRACE=1`: print each execution's number before it runs (to find
//!   one that aborts the process: a stack overflow, or an allocation over
//!   [`HARD_CAP`]).
//!
//! The long run: `FUZZ_EXECS=1000000 cargo test --release --test fuzz -- --nocapture`.
//!
//! A panic (or an execution over [`CAP`]) fails the target's test, and the
//! smallest input for each place it panicked is saved to
//! `tests/fuzz-corpus/<target>/<hash>.bin`; `corpus_replays_without_panics`
//! replays every saved input on every `cargo test`, so a crash once found
//! stays fixed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};
use std::time::Instant;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use familyflow::analysis::snapshot::{run_with_snapshot, Snapshot, SnapshotHead};
use familyflow::engine::codec;
use familyflow::engine::log::{Checkpoint, Header, Trailer};
use familyflow::model::event::{Event, FamilyId, Timed};
use familyflow::model::happening::Happening;
use familyflow::model::input::ScenarioInput;
use familyflow::model::projection::Metrics;
use familyflow::model::scenario::{scenario_hash, Scenario};
use familyflow::model::state::Family;

/// Executions per target when `FUZZ_EXECS` is not set: the whole file runs
/// in well under a minute in `cargo test`.
const DEFAULT_EXECS: u64 = 5_000;
/// The most bytes one execution may hold at once. The readers cap a record
/// at 16 MiB and a decode at 16 MiB, so a few of those at once fit.
const CAP: usize = 96 * 1024 * 1024;
/// A single allocation this large aborts the process at once (it would
/// not fit anyway); the message names the target and execution.
const HARD_CAP: usize = 1 << 31;
/// The largest input a mutation makes.
const MAX_INPUT: usize = 1 << 20;

// ---------------------------------------------------------------------------
// The allocation cap: a counting allocator, armed only while a target runs
// on this thread

struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static EXEC: Cell<(&'static str, u64)> = const { Cell::new(("", 0)) };
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Writes a number without allocating.
fn write_number(out: &mut dyn std::io::Write, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let _ = out.write_all(&digits[i..]);
}

/// Counts `size` more bytes; false when one allocation is over the hard cap.
fn grow(size: usize) -> bool {
    ARMED
        .try_with(|armed| {
            if !armed.get() {
                return true;
            }
            if size > HARD_CAP {
                armed.set(false);
                let (target, exec) = EXEC.with(Cell::get);
                let mut err = std::io::stderr();
                let _ = std::io::Write::write_all(&mut err, b"fuzz: target ");
                let _ = std::io::Write::write_all(&mut err, target.as_bytes());
                let _ = std::io::Write::write_all(&mut err, b", execution ");
                write_number(&mut err, exec);
                let _ = std::io::Write::write_all(&mut err, b", asks for ");
                write_number(&mut err, size as u64);
                let _ = std::io::Write::write_all(&mut err, b" bytes at once: aborting\n");
                return false;
            }
            let live = LIVE.with(Cell::get).saturating_add(size);
            LIVE.with(|l| l.set(live));
            PEAK.with(|p| p.set(p.get().max(live)));
            true
        })
        .unwrap_or(true)
}

fn shrink(size: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            LIVE.with(|l| l.set(l.get().saturating_sub(size)));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            if !grow(new_size - layout.size()) {
                return std::ptr::null_mut();
            }
        } else {
            shrink(layout.size() - new_size);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

// ---------------------------------------------------------------------------
// Running one input

/// Panics inside a target are recorded (message and place), not printed.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_TARGET.with(Cell::get) {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|m| m.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(a panic without a message)".to_string());
                let location = info
                    .location()
                    .map_or("?".to_string(), |l| format!("{}:{}", l.file(), l.line()));
                CAUGHT.with(|c| *c.borrow_mut() = Some((location, message)));
            } else {
                default(info);
            }
        }));
    });
}

/// What one execution did.
enum Outcome {
    /// Returned what the input came to, holding at most this many bytes at once.
    Fine(String, usize),
    /// Panicked: where, and the message.
    Panicked { location: String, message: String },
    /// Held more than [`CAP`] bytes at once.
    OverCap(usize),
}

/// Runs `target` on `input` under `catch_unwind` with the allocation cap.
fn execute(target: &Target, number: u64, input: &[u8]) -> Outcome {
    install_panic_hook();
    EXEC.with(|e| e.set((target.name, number)));
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    IN_TARGET.with(|t| t.set(true));
    ARMED.with(|a| a.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    ARMED.with(|a| a.set(false));
    IN_TARGET.with(|t| t.set(false));
    let peak = PEAK.with(Cell::get);
    match result {
        Ok(_) if peak > CAP => Outcome::OverCap(peak),
        Ok(class) => Outcome::Fine(class, peak),
        Err(_) => {
            let (location, message) = CAUGHT
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| ("?".into(), "(no message)".into()));
            Outcome::Panicked { location, message }
        }
    }
}

// ---------------------------------------------------------------------------
// The targets

/// How a target's inputs are mutated: from a seed, with all the seeds to splice from.
type Mutate = fn(&mut Mutator, &[u8], &[Vec<u8>]) -> Vec<u8>;

/// A reader of outside input, its seeds and how to mutate them.
struct Target {
    name: &'static str,
    run: fn(&[u8]) -> String,
    seeds: fn() -> Vec<Vec<u8>>,
    mutate: Mutate,
}

/// What an input came to, for `FUZZ_STATS`: "ok", or the first words of
/// the error with numbers left out.
fn class(result: Result<&str, String>) -> String {
    match result {
        Ok(what) => what.to_string(),
        Err(e) => e
            .split_whitespace()
            .filter(|w| !w.bytes().any(|b| b.is_ascii_digit()))
            .take(7)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn run_scenario(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    class(
        ScenarioInput::from_text(&text, "fuzz.toml")
            .map(|input| {
                let _ = input.scenario.timeline();
                let _ = input.scenario.calendar();
                let _ = familyflow::model::Model::new(input.scenario, 1);
                "ok"
            })
            .map_err(|e| e.to_string()),
    )
}

fn run_log_strict(data: &[u8]) -> String {
    let mut reader = match familyflow::engine::log::LogReader::open(data) {
        Ok(r) => r,
        Err(e) => return class(Err(e.to_string())),
    };
    loop {
        match reader.next_item::<Event>() {
            Ok(Some(familyflow::engine::log::Item::Event(t))) => {
                let _ = t.event.to_string();
            }
            Ok(Some(_)) => {}
            Ok(None) => return class(Ok("ok")),
            Err(e) => return class(Err(e.to_string())),
        }
    }
}

fn run_log_recover(data: &[u8]) -> String {
    let r = familyflow::engine::log::recover::<Event, _>(data);
    match &r.stopped {
        Some(e) => class(Err(e.to_string())),
        None => class(Ok("ok")),
    }
}

fn run_replay(data: &[u8]) -> String {
    class(
        familyflow::analysis::run::replay(data)
            .map(|done| {
                let _ = done.finished.summary.to_text();
                "ok"
            })
            .map_err(|e| e.to_string()),
    )
}

fn run_snapshot(data: &[u8]) -> String {
    class(
        Snapshot::read(data)
            .map_err(|e| e.to_string())
            .and_then(|s| s.scenario().map(|_| "ok").map_err(|e| e.to_string())),
    )
}

fn run_report(data: &[u8]) -> String {
    use familyflow::analysis::report;
    let view = serde_json::from_slice::<Value>(data)
        .ok()
        .and_then(|v| report::differences_from_compare(&v));
    let spreads = report::spreads_from_csv(&String::from_utf8_lossy(data));
    class(
        serde_json::from_slice::<familyflow::analysis::summary::Summary>(data)
            .map(|s| {
                let _ = report::html(&s, view.as_ref(), &spreads);
                "ok: a summary"
            })
            .or_else(|e| match (&view, spreads.is_empty()) {
                (Some(_), _) => Ok("ok: a comparison"),
                (None, false) => Ok("ok: statistics"),
                (None, true) => Err(e.to_string()),
            }),
    )
}

const TARGETS: [Target; 6] = [
    Target {
        name: "scenario",
        run: run_scenario,
        seeds: scenario_seeds,
        mutate: mutate_scenario,
    },
    Target {
        name: "log_strict",
        run: run_log_strict,
        seeds: log_seeds,
        mutate: mutate_log,
    },
    Target {
        name: "log_recover",
        run: run_log_recover,
        seeds: log_seeds,
        mutate: mutate_log,
    },
    Target {
        name: "replay",
        run: run_replay,
        seeds: log_seeds,
        mutate: mutate_log,
    },
    Target {
        name: "snapshot",
        run: run_snapshot,
        seeds: snapshot_seeds,
        mutate: mutate_snapshot,
    },
    Target {
        name: "report",
        run: run_report,
        seeds: report_seeds,
        mutate: mutate_report,
    },
];

fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .expect("a target of that name")
}

// ---------------------------------------------------------------------------
// Seeds

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every scenario file under `dir`, effective text (`extends` merged).
fn scenario_texts(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scenario_texts(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            // (Region files are not scenarios: left out.)
            if let Ok((_, text)) = Scenario::load(&path) {
                out.push(text.into_bytes());
            }
        }
    }
}

/// The shipped scenarios, the test scenarios and the golden run's.
fn scenario_seeds() -> Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let mut out = Vec::new();
            scenario_texts(&root().join("scenarios"), &mut out);
            for f in ["tests/data/tiny.toml", "tests/golden/golden-run.toml"] {
                out.push(std::fs::read(root().join(f)).unwrap());
            }
            out
        })
        .clone()
}

/// A small run: tiny.toml with 200 children.
fn small_input() -> ScenarioInput {
    let text = std::fs::read_to_string(root().join("tests/data/tiny.toml"))
        .unwrap()
        .replace("children = 1000 ", "children = 200 ");
    ScenarioInput::from_text(&text, "tests/data/tiny.toml (200 children)").unwrap()
}

/// The golden logs and a small run's log.
fn log_seeds() -> Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let mut out = Vec::new();
            for f in ["tests/golden/v4.ffl", "tests/golden/all-events-v4.ffl"] {
                let golden = std::fs::read(root().join(f)).unwrap();
                // As written by this familyflow (replay reads only those).
                if let Some((preamble, mut records)) = split_records(&golden) {
                    if let Ok(mut header) = codec::decode_exact::<Header>(&records[0].1) {
                        header.engine_version = familyflow::VERSION.to_string();
                        records[0].1 = encode(&header);
                        out.push(join_records(&preamble, &records));
                    }
                }
                out.push(golden);
            }
            let small = small_input();
            let mut log = Vec::new();
            familyflow::analysis::run::run(&small, 5, Some(&mut log)).unwrap();
            out.push(log);
            out
        })
        .clone()
}

/// A small run's snapshot, in its first and its last month.
fn snapshot_seeds() -> Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let small = small_input();
            let cal = small.scenario.calendar();
            [cal.horizon() / 24, cal.horizon() - cal.horizon() / 12]
                .into_iter()
                .map(|at| {
                    let (_, snap) = run_with_snapshot::<Vec<u8>>(&small, 5, None, at).unwrap();
                    snap.write(Vec::new()).unwrap()
                })
                .collect()
        })
        .clone()
}

/// The golden summary, a small run's summary (and one cut to a few months),
/// a comparison's JSON and a replication's statistics.
fn report_seeds() -> Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let mut out =
                vec![std::fs::read(root().join("tests/golden/run-summary.json")).unwrap()];
            let small = small_input();
            let mut summary = familyflow::analysis::run::run::<Vec<u8>>(&small, 5, None)
                .unwrap()
                .summary;
            out.push(summary.to_json().into_bytes());
            summary.by_month.truncate(4);
            out.push(serde_json::to_vec(&summary).unwrap());
            let subject =
                || familyflow::analysis::compare::Subject::Scenario(Box::new(small_input()));
            let done = familyflow::analysis::compare::compare_inputs(
                &[subject(), subject()],
                &familyflow::analysis::compare::CompareSpec {
                    replications: 2,
                    seed: 5,
                    threads: Some(1),
                    warm_up: None,
                    family: None,
                },
                &familyflow::analysis::Unwatched,
            )
            .unwrap();
            let spec = familyflow::analysis::compare::CompareSpec {
                replications: 2,
                seed: 5,
                threads: Some(1),
                warm_up: None,
                family: None,
            };
            out.push(done.to_json(&spec).into_bytes());
            let reps = familyflow::analysis::replications::replicate(
                &small,
                &familyflow::analysis::replications::ReplicationSpec {
                    replications: 2,
                    seed: 5,
                    threads: Some(1),
                    warm_up: None,
                },
                &familyflow::analysis::Unwatched,
            )
            .unwrap();
            out.push(reps.stats_csv());
            out
        })
        .clone()
}

// ---------------------------------------------------------------------------
// The mutation engine

/// Draws for one execution.
struct Mutator {
    rng: ChaCha8Rng,
}

impl Mutator {
    /// The stream of execution `number` of `target` under `seed`.
    fn new(seed: u64, target: &str, number: u64) -> Mutator {
        let key = xxhash_rust::xxh3::xxh3_64_with_seed(target.as_bytes(), seed);
        let mut rng = ChaCha8Rng::seed_from_u64(key);
        rng.set_stream(number);
        Mutator { rng }
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.rng.next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length for an edit: mostly short, sometimes long.
    fn len(&mut self, max: usize) -> usize {
        let cap = if self.one_in(8) { max } else { max.min(16) };
        1 + self.below(cap.max(1))
    }
}

/// Integers worth trying where a length, count or time is read.
const INTERESTING_U64: [u64; 20] = [
    0,
    1,
    2,
    7,
    8,
    16,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    16 * 1024 * 1024,
    16 * 1024 * 1024 + 1,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    1 << 32,
    i64::MAX as u64,
    u64::MAX,
];

/// One byte-level edit of `data` (`donors`: other inputs to splice from).
fn mutate_bytes(m: &mut Mutator, data: &mut Vec<u8>, donors: &[Vec<u8>], dict: &[&[u8]]) {
    let n = data.len();
    match m.below(11) {
        0 if n > 0 => {
            let i = m.below(n);
            data[i] ^= 1 << m.below(8);
        }
        1 if n > 0 => {
            let i = m.below(n);
            data[i] = *m.pick(&[
                0, 1, 0x7F, 0x80, 0xFF, b'\n', b'"', b'[', b'=', b'-', b'0', b'9',
            ]);
        }
        2 if n > 0 => {
            let i = m.below(n);
            data[i] = m.rng.next_u64() as u8;
        }
        3 => {
            let at = m.below(n + 1);
            let k = m.len(64);
            let bytes: Vec<u8> = (0..k).map(|_| m.rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
        }
        4 if n > 0 => {
            let at = m.below(n);
            let k = m.len(n - at);
            data.drain(at..at + k.min(n - at));
        }
        5 if n > 0 => {
            // Duplicate a stretch somewhere else.
            let from = m.below(n);
            let k = m.len(n - from).min(n - from);
            let chunk = data[from..from + k].to_vec();
            let at = m.below(n + 1);
            data.splice(at..at, chunk);
        }
        6 if !donors.is_empty() => {
            // Splice in a stretch of another input.
            let donor = m.pick(donors);
            if !donor.is_empty() {
                let from = m.below(donor.len());
                let k = m.len(donor.len() - from).min(donor.len() - from);
                let at = m.below(n + 1);
                let end = (at + m.below(k + 1)).min(n);
                data.splice(at..end, donor[from..from + k].iter().copied());
            }
        }
        7 if n >= 4 => {
            // An interesting integer, little-endian, over what is there.
            let v = *m.pick(&INTERESTING_U64);
            let width = *m.pick(&[1usize, 2, 4, 8]);
            let at = m.below(n);
            for (k, b) in v.to_le_bytes().iter().take(width).enumerate() {
                if at + k < n {
                    data[at + k] = *b;
                }
            }
        }
        8 if !dict.is_empty() => {
            let token = m.pick(dict);
            let at = m.below(n + 1);
            data.splice(at..at, token.iter().copied());
        }
        9 if n > 0 => {
            let keep = m.below(n);
            data.truncate(keep);
        }
        _ => {
            // A varint's worth of 0xFF (a huge length in bincode).
            let at = m.below(n + 1);
            let k = 1 + m.below(9);
            data.splice(at..at, std::iter::repeat_n(0xFF, k));
        }
    }
    data.truncate(MAX_INPUT);
}

/// 1 to 8 edits, more often few.
fn edits(m: &mut Mutator) -> usize {
    let most = 1 + m.below(8);
    1 + m.below(most)
}

// ---- TOML

const TOML_VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.0",
    "-0.0",
    "1.0",
    "1.5",
    "1e308",
    "-1e308",
    "1e-308",
    "nan",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "1_000_000_000",
    "100000",
    "0.999999",
    "1.000001",
    "2024-02-29",
    "2024-04-01",
    "1970-01-01",
    "0001-01-01",
    "9999-12-31",
    "2024-04-01T09:30:00",
    "\"\"",
    "\"x\"",
    "\"ration\"",
    "\"overspend\"",
    "\"\\u001b[2J\"",
    "true",
    "false",
    "[]",
    "[0]",
    "[1, 2, 3]",
    "{}",
    "{ a = 1 }",
];

const TOML_LINES: &[&str] = &[
    "[[policy]]",
    "date = 2024-10-01",
    "date = 2099-01-01",
    "date = 2024-04-01",
    "note = \"x\"",
    "[placements]",
    "[care.leaving_care]",
    "[starting_caseload]",
    "[workforce.family_help]",
    "extends = \"x.toml\"",
    "burn_in_years = 0",
    "burn_in_years = 1000",
    "years = 0",
    "years = 1000000",
    "children = 0",
    "children = 18446744073709551615",
    "start = 2024-02-29",
    "name = \"\"",
    "bank_holidays = [2024-04-01, 2024-04-01]",
];

/// A line-level or value-level edit of TOML text.
fn mutate_toml_once(m: &mut Mutator, text: &mut Vec<u8>, donors: &[Vec<u8>]) {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    match m.below(9) {
        0 if n > 1 => {
            lines.remove(m.below(n));
        }
        1 => {
            let line = lines[m.below(n)].clone();
            lines.insert(m.below(n + 1), line);
        }
        2 if n > 1 => {
            let (i, j) = (m.below(n), m.below(n));
            lines.swap(i, j);
        }
        3 => {
            // A line from another scenario.
            let donor = m.pick(donors);
            let donor_lines: Vec<&[u8]> = donor.split(|&b| b == b'\n').collect();
            let line = m.pick(&donor_lines).to_vec();
            lines.insert(m.below(n + 1), line);
        }
        4..=6 => {
            // Another value for a key.
            let i = m.below(n);
            if let Some(eq) = lines[i].iter().position(|&b| b == b'=') {
                let value = m.pick(TOML_VALUES).as_bytes();
                if m.one_in(3) {
                    // Inside an inline table: the value after a later `=`.
                    let later: Vec<usize> = lines[i]
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b == b'=')
                        .map(|(k, _)| k)
                        .collect();
                    let at = *m.pick(&later) + 1;
                    let end = lines[i][at..]
                        .iter()
                        .position(|&b| b == b',' || b == b'}')
                        .map_or(lines[i].len(), |k| at + k);
                    let mut v = b" ".to_vec();
                    v.extend_from_slice(value);
                    v.push(b' ');
                    lines[i].splice(at..end, v);
                } else {
                    lines[i].truncate(eq + 1);
                    lines[i].push(b' ');
                    lines[i].extend_from_slice(value);
                }
            }
        }
        7 => {
            let line = m.pick(TOML_LINES).as_bytes().to_vec();
            lines.insert(m.below(n + 1), line);
        }
        _ => {
            // Deep nesting.
            let most = if m.one_in(4) { 5_000 } else { 100 };
            let depth = 1 + m.below(most);
            let mut line = b"deep = ".to_vec();
            line.extend(std::iter::repeat_n(b'[', depth));
            line.extend(std::iter::repeat_n(b']', depth));
            lines.insert(m.below(n + 1), line);
        }
    }
    *text = lines.join(&b'\n');
    text.truncate(MAX_INPUT);
}

fn toml_dict() -> Vec<&'static [u8]> {
    TOML_VALUES
        .iter()
        .chain(TOML_LINES)
        .map(|s| s.as_bytes())
        .chain([
            &b"\n"[..],
            b"=",
            b"[",
            b"]",
            b"{",
            b"}",
            b"\"",
            b"'''",
            b"\"\"\"",
            b"#",
        ])
        .collect()
}

fn toml_nodes(v: &toml::Value) -> usize {
    1 + match v {
        toml::Value::Array(a) => a.iter().map(toml_nodes).sum(),
        toml::Value::Table(t) => t.values().map(toml_nodes).sum(),
        _ => 0,
    }
}

/// Applies `f` to the `k`-th node of `v` in pre-order.
fn with_nth_toml(v: &mut toml::Value, k: &mut usize, f: &mut dyn FnMut(&mut toml::Value)) -> bool {
    if *k == 0 {
        f(v);
        return true;
    }
    *k -= 1;
    match v {
        toml::Value::Array(a) => a.iter_mut().any(|c| with_nth_toml(c, k, f)),
        toml::Value::Table(t) => t.iter_mut().any(|(_, c)| with_nth_toml(c, k, f)),
        _ => false,
    }
}

/// The pre-order number of a node reached by walking down from the top of
/// `v`, into a random child at each step, stopping one time in three.
fn descend_toml(m: &mut Mutator, v: &toml::Value) -> usize {
    let mut k = 0;
    let mut node = v;
    loop {
        let children: Vec<&toml::Value> = match node {
            toml::Value::Array(a) => a.iter().collect(),
            toml::Value::Table(t) => t.values().collect(),
            _ => Vec::new(),
        };
        if children.is_empty() || (k > 0 && m.one_in(3)) {
            return k;
        }
        let i = m.below(children.len());
        k += 1 + children[..i].iter().map(|c| toml_nodes(c)).sum::<usize>();
        node = children[i];
    }
}

/// The pre-order number of a node of a JSON document reached as in
/// [`descend_toml`].
fn descend_json(m: &mut Mutator, v: &Value) -> usize {
    let mut k = 0;
    let mut node = v;
    loop {
        let children: Vec<&Value> = match node {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) => o.values().collect(),
            _ => Vec::new(),
        };
        if children.is_empty() || (k > 0 && m.one_in(3)) {
            return k;
        }
        let i = m.below(children.len());
        k += 1 + children[..i].iter().map(|c| count_nodes(c)).sum::<usize>();
        node = children[i];
    }
}

/// The `k`-th node of `v` in pre-order, with its key when in a table.
fn nth_toml(
    v: &toml::Value,
    key: Option<&str>,
    k: &mut usize,
) -> Option<(Option<String>, toml::Value)> {
    if *k == 0 {
        return Some((key.map(str::to_string), v.clone()));
    }
    *k -= 1;
    match v {
        toml::Value::Array(a) => a.iter().find_map(|c| nth_toml(c, None, k)),
        toml::Value::Table(t) => t.iter().find_map(|(name, c)| nth_toml(c, Some(name), k)),
        _ => None,
    }
}

fn datetime(s: &str) -> toml::Value {
    toml::Value::Datetime(s.parse().expect("a TOML date"))
}

/// A value worth trying in place of `like`.
fn interesting_toml(m: &mut Mutator, like: &toml::Value) -> toml::Value {
    use toml::Value as T;
    if m.one_in(6) {
        // Another type.
        return match m.below(6) {
            0 => T::Integer(0),
            1 => T::Float(0.5),
            2 => T::String("x".into()),
            3 => T::Boolean(true),
            4 => T::Array(Vec::new()),
            _ => datetime("2024-04-01"),
        };
    }
    match like {
        T::Integer(i) => T::Integer(match m.below(4) {
            0 => i.saturating_neg(),
            1 => i.saturating_mul(10),
            2 => i / 10,
            _ => *m.pick(&[
                0,
                -1,
                1,
                2,
                12,
                100,
                10_000,
                1_000_000_000,
                1 << 32,
                i64::MAX,
                i64::MIN,
            ]),
        }),
        T::Float(x) => T::Float(match m.below(4) {
            0 => -*x,
            1 => x * 10.0,
            2 => x * 1.000_001,
            _ => *m.pick(&[
                0.0,
                -0.0,
                1.0,
                1.5,
                -1.0,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                1e308,
                1e-308,
                0.999_999,
                1.000_001,
            ]),
        }),
        T::Datetime(_) => datetime(m.pick::<&str>(&[
            "2024-02-29",
            "2024-03-31",
            "2024-04-01",
            "2025-03-31",
            "2099-01-01",
            "9999-12-31",
            "0001-01-01",
            "1970-01-01",
            "2024-04-01T09:30:00",
            "09:30:00",
        ])),
        T::String(_) => T::String(
            (*m.pick(&["", "x", "ration", "overspend", "\u{1b}[2J", "é€", "x.toml"])).to_string(),
        ),
        T::Boolean(b) => T::Boolean(!b),
        T::Array(a) => {
            let mut a = a.clone();
            match m.below(4) {
                0 => a.clear(),
                1 if !a.is_empty() => {
                    let i = m.below(a.len());
                    a.remove(i);
                }
                2 if !a.is_empty() => {
                    let i = m.below(a.len());
                    let c = a[i].clone();
                    a.insert(i, c);
                }
                _ => {
                    let most = if m.one_in(8) { 5_000 } else { 20 };
                    let n = 1 + m.below(most);
                    let c = a.first().cloned().unwrap_or(T::Integer(1));
                    a.extend(std::iter::repeat_n(c, n));
                }
            }
            T::Array(a)
        }
        T::Table(t) => {
            let mut t = t.clone();
            let keys: Vec<String> = t.keys().cloned().collect();
            if !keys.is_empty() {
                let key = m.pick(&keys).clone();
                t.remove(&key);
            }
            T::Table(t)
        }
    }
}

/// One edit of a scenario as a TOML document: a value changed, removed,
/// or taken from another scenario (with its key).
fn mutate_toml_value(m: &mut Mutator, doc: &mut toml::Value, donors: &[toml::Value]) {
    // A node drawn uniformly, or by walking down from the top (so that a
    // long array does not take most of the draws).
    let mut k = if m.one_in(2) {
        m.below(toml_nodes(doc))
    } else {
        descend_toml(m, doc)
    };
    let mut donor = if donors.is_empty() || m.one_in(2) {
        None
    } else {
        let from = m.pick(donors);
        let mut j = m.below(toml_nodes(from));
        nth_toml(from, None, &mut j)
    };
    with_nth_toml(doc, &mut k, &mut |node| match donor.take() {
        Some((Some(key), value)) => {
            if let toml::Value::Table(t) = node {
                t.insert(key, value);
            } else {
                *node = value;
            }
        }
        Some((None, value)) => *node = value,
        None => *node = interesting_toml(m, node),
    });
}

/// Scenarios as TOML documents, to take values from.
fn toml_donors() -> &'static [toml::Value] {
    static DONORS: OnceLock<Vec<toml::Value>> = OnceLock::new();
    DONORS.get_or_init(|| {
        scenario_seeds()
            .iter()
            .filter_map(|s| std::str::from_utf8(s).ok()?.parse::<toml::Table>().ok())
            .map(toml::Value::Table)
            .collect()
    })
}

fn mutate_scenario(m: &mut Mutator, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let dict = toml_dict();
    let mut data = seed.to_vec();
    // Mostly edits of values (the text stays TOML, so validation sees
    // them), then of lines and bytes.
    if !m.one_in(3) {
        if let Some(table) = std::str::from_utf8(seed)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
        {
            let mut doc = toml::Value::Table(table);
            for _ in 0..edits(m) {
                mutate_toml_value(m, &mut doc, toml_donors());
            }
            if let Ok(text) = toml::to_string(&doc) {
                data = text.into_bytes();
            }
            if !m.one_in(4) {
                return data;
            }
        }
    }
    for _ in 0..edits(m) {
        if m.one_in(3) {
            mutate_bytes(m, &mut data, seeds, &dict);
        } else {
            mutate_toml_once(m, &mut data, seeds);
        }
    }
    data
}

// ---- JSON

const JSON_STRINGS: &[&str] = &[
    "",
    "x",
    "-",
    "2024",
    "2024-",
    "2024-0",
    "2024-04",
    "2024-04-01",
    "2024-25",
    "99999-99",
    "0000-00",
    "€€€€€€€€",
    "é2024-04",
    "\u{1b}[2J",
    "<script>alert(1)</script>",
    "=1+1",
    "ration",
    "overspend",
    "family help",
    "needs met",
    "no further action",
    "kinship",
    "\u{0}",
];

fn interesting_json(m: &mut Mutator, like: &Value) -> Value {
    match (like, m.below(3)) {
        (Value::Number(_), 0 | 1) | (Value::Null, 0) => {
            let f = *m.pick(&[
                0.5,
                -0.5,
                -1.0,
                1e308,
                -1e308,
                1e-308,
                f64::EPSILON,
                0.1,
                99.999,
            ]);
            if m.one_in(2) {
                Value::from(*m.pick(&INTERESTING_U64))
            } else if m.one_in(2) {
                Value::from(*m.pick(&[-1i64, i64::MIN, -2, -128]))
            } else {
                Value::from(f)
            }
        }
        (Value::String(s), 0) if !s.is_empty() => {
            // Cut or extend what is there.
            let mut s = s.clone();
            if m.one_in(2) {
                let keep = m.below(s.len());
                let keep = (0..=keep)
                    .rev()
                    .find(|&k| s.is_char_boundary(k))
                    .unwrap_or(0);
                s.truncate(keep);
            } else {
                s.push_str(m.pick::<&str>(JSON_STRINGS));
            }
            Value::from(s)
        }
        (Value::Bool(b), _) => Value::from(!b),
        (_, 2) => match m.below(4) {
            0 => Value::Null,
            1 => Value::Array(Vec::new()),
            2 => Value::Object(Default::default()),
            _ => Value::from(m.rng.next_u64() % 1000),
        },
        _ => {
            let s = m.pick(JSON_STRINGS);
            if m.one_in(8) {
                Value::from(s.repeat(1 + m.below(2000)))
            } else {
                Value::from(*s)
            }
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies `f` to the `k`-th node of `v` in pre-order; false when there is none.
fn with_nth(v: &mut Value, k: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if *k == 0 {
        f(v);
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| with_nth(c, k, f)),
        Value::Object(o) => o.values_mut().any(|c| with_nth(c, k, f)),
        _ => false,
    }
}

/// The `k`-th node of `v` in pre-order.
fn nth(v: &Value, k: &mut usize) -> Option<Value> {
    if *k == 0 {
        return Some(v.clone());
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter().find_map(|c| nth(c, k)),
        Value::Object(o) => o.values().find_map(|c| nth(c, k)),
        _ => None,
    }
}

/// A node of `v` chosen at random.
fn random_node(m: &mut Mutator, v: &Value) -> Value {
    let mut k = m.below(count_nodes(v));
    nth(v, &mut k).unwrap_or(Value::Null)
}

/// One edit of a JSON document (`donors`: documents to take nodes from).
fn mutate_json_once(m: &mut Mutator, doc: &mut Value, donors: &[Value]) {
    let mut k = if m.one_in(2) {
        m.below(count_nodes(doc))
    } else {
        descend_json(m, doc)
    };
    let donor = if donors.is_empty() || m.one_in(3) {
        None
    } else {
        let from = m.pick(donors);
        Some(random_node(m, from))
    };
    let mut donor = donor;
    with_nth(doc, &mut k, &mut |node| edit_node(m, node, donor.take()));
}

/// One edit of one node: another node in its place, an array or object
/// changed, or an interesting value.
fn edit_node(m: &mut Mutator, node: &mut Value, donor: Option<Value>) {
    match (m.below(6), donor) {
        (0, Some(d)) => *node = d,
        (1, _) => match node {
            Value::Array(a) if !a.is_empty() => match m.below(5) {
                0 => {
                    let i = m.below(a.len());
                    a.remove(i);
                }
                1 => {
                    let i = m.below(a.len());
                    let c = a[i].clone();
                    a.insert(i, c);
                }
                2 => a.clear(),
                3 => a.truncate(1),
                _ => {
                    let (i, j) = (m.below(a.len()), m.below(a.len()));
                    a.swap(i, j);
                }
            },
            Value::Object(o) if !o.is_empty() => {
                let keys: Vec<String> = o.keys().cloned().collect();
                let key = m.pick(&keys).clone();
                if m.one_in(2) {
                    o.remove(&key);
                } else {
                    let other = m.pick(&keys).clone();
                    if let Some(v) = o.get(&other).cloned() {
                        o.insert(key, v);
                    }
                }
            }
            _ => *node = interesting_json(m, node),
        },
        _ => *node = interesting_json(m, node),
    }
}

/// Round-trips `value` through JSON with 1 to 8 edits; None when the edited
/// JSON no longer fits the type.
fn mutate_typed<T: serde::Serialize + serde::de::DeserializeOwned>(
    m: &mut Mutator,
    value: &T,
) -> Option<T> {
    let mut doc = serde_json::to_value(value).ok()?;
    let donors = [doc.clone()];
    for _ in 0..edits(m) {
        mutate_json_once(m, &mut doc, &donors);
    }
    serde_json::from_value(doc).ok()
}

// ---- report inputs

fn json_dict() -> Vec<&'static [u8]> {
    JSON_STRINGS
        .iter()
        .map(|s| s.as_bytes())
        .chain([
            &b"\""[..],
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"null",
            b"-1",
            b"1e400",
            b"18446744073709551616",
        ])
        .collect()
}

fn mutate_report(m: &mut Mutator, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let parsed = serde_json::from_slice::<Value>(seed).ok();
    match parsed {
        Some(mut doc) if !m.one_in(4) => {
            static DONORS: OnceLock<Vec<Value>> = OnceLock::new();
            let donors = DONORS.get_or_init(|| {
                report_seeds()
                    .iter()
                    .filter_map(|s| serde_json::from_slice(s).ok())
                    .collect()
            });
            for _ in 0..edits(m) {
                mutate_json_once(m, &mut doc, donors);
            }
            if m.one_in(2) {
                serde_json::to_vec(&doc).unwrap()
            } else {
                serde_json::to_vec_pretty(&doc).unwrap()
            }
        }
        _ => {
            let dict = json_dict();
            let mut data = seed.to_vec();
            for _ in 0..edits(m) {
                mutate_bytes(m, &mut data, seeds, &dict);
            }
            data
        }
    }
}

// ---- framed records (logs and snapshots)

/// Records of a log or snapshot: `(type, payload)`.
type Records = Vec<(u8, Vec<u8>)>;

/// A log or snapshot as its 12-byte preamble and records `(type, payload)`;
/// None when the framing does not parse.
fn split_records(bytes: &[u8]) -> Option<(Vec<u8>, Records)> {
    if bytes.len() < 12 {
        return None;
    }
    let mut records = Vec::new();
    let mut at = 12;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let body = bytes.get(at + 8..at + 8 + len)?;
        let (&ty, payload) = body.split_first()?;
        records.push((ty, payload.to_vec()));
        at += 8 + len;
    }
    Some((bytes[..12].to_vec(), records))
}

/// A record's frame: length, CRC-32C, type and payload.
fn frame(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(payload.len() + 1);
    body.push(ty);
    body.extend_from_slice(payload);
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn join_records(preamble: &[u8], records: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = preamble.to_vec();
    for (ty, payload) in records {
        out.extend(frame(*ty, payload));
    }
    out
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    codec::encode_into(value, &mut out).expect("encodes");
    out
}

/// Record-level edits: drop, duplicate, swap or move records.
fn shuffle_records(m: &mut Mutator, records: &mut Vec<(u8, Vec<u8>)>) {
    let n = records.len();
    if n == 0 {
        return;
    }
    match m.below(4) {
        0 => {
            records.remove(m.below(n));
        }
        1 => {
            let r = records[m.below(n)].clone();
            records.insert(m.below(n + 1), r);
        }
        2 => {
            let (i, j) = (m.below(n), m.below(n));
            records.swap(i, j);
        }
        _ => {
            let r = records.remove(m.below(n));
            records.insert(m.below(n), r);
        }
    }
}

// ---- logs

/// Log record types.
const HEADER: u8 = 1;
const EVENT: u8 = 2;
const CHECKPOINT: u8 = 3;
const TRAILER: u8 = 4;

/// Makes a log's framing whole again: checkpoints where the header says,
/// with the right counts and running hash, and a trailer that agrees, so
/// that a strict reader reads every (edited) event and replay folds them.
fn rehash_log(records: &[(u8, Vec<u8>)]) -> Vec<(u8, Vec<u8>)> {
    let every = records
        .iter()
        .find(|(ty, _)| *ty == HEADER)
        .and_then(|(_, p)| codec::decode_exact::<Header>(p).ok())
        .map_or(u64::MAX, |h| h.checkpoint_every.max(1));
    let trailer = records
        .iter()
        .rev()
        .find(|(ty, _)| *ty == TRAILER)
        .and_then(|(_, p)| codec::decode_exact::<Trailer>(p).ok());
    let mut out = Vec::new();
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    let (mut events, mut last_at) = (0u64, 0);
    for (ty, payload) in records {
        match *ty {
            CHECKPOINT | TRAILER => continue,
            EVENT => {
                let framed = frame(EVENT, payload);
                hash.update(&framed);
                events += 1;
                if let Ok(t) = codec::decode_exact::<Timed>(payload) {
                    last_at = t.at;
                }
                out.push((EVENT, payload.clone()));
                if events % every == 0 {
                    let cp = Checkpoint {
                        events,
                        at: last_at,
                        running_hash: hash.digest(),
                    };
                    out.push((CHECKPOINT, encode(&cp)));
                }
            }
            other => out.push((other, payload.clone())),
        }
    }
    let t = Trailer {
        events,
        end: trailer.map_or(last_at, |t| t.end),
        state_hash: trailer.map_or(0, |t| t.state_hash),
        running_hash: hash.digest(),
        clean: trailer.is_none_or(|t| t.clean),
    };
    out.push((TRAILER, encode(&t)));
    out
}

fn log_dict() -> Vec<&'static [u8]> {
    vec![
        &b"\x89FFLOG\r\n"[..],
        b"\x04\x00\x00\x00",
        b"\x05\x00\x00\x00",
        b"\x00\x00\x00\x00",
        b"\xFF\xFF\xFF\xFF",
        b"\x01",
        b"\x02",
        b"\x03",
        b"\x04",
    ]
}

fn mutate_log(m: &mut Mutator, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let Some((preamble, mut records)) = split_records(seed).filter(|_| !m.one_in(5)) else {
        let mut data = seed.to_vec();
        for _ in 0..edits(m) {
            mutate_bytes(m, &mut data, seeds, &log_dict());
        }
        return data;
    };
    for _ in 0..edits(m) {
        if records.is_empty() {
            break;
        }
        match m.below(8) {
            0 => shuffle_records(m, &mut records),
            1 | 2 => {
                // An event edited as a value: it still decodes.
                let events: Vec<usize> = (0..records.len())
                    .filter(|&i| records[i].0 == EVENT)
                    .collect();
                if let Some(&i) = (!events.is_empty()).then(|| m.pick(&events)) {
                    if let Ok(t) = codec::decode_exact::<Timed>(&records[i].1) {
                        if let Some(t) = mutate_typed(m, &t) {
                            records[i].1 = encode(&t);
                        }
                    }
                }
            }
            3 => {
                // The header: its scenario text, or its other fields.
                if let Some(h) = records
                    .iter_mut()
                    .find(|(ty, _)| *ty == HEADER)
                    .map(|(_, p)| p)
                {
                    if let Ok(mut header) = codec::decode_exact::<Header>(h) {
                        if m.one_in(4) {
                            if let Some(edited) = mutate_typed(m, &header) {
                                header = edited;
                            }
                        } else {
                            let scenarios = scenario_seeds();
                            let text = mutate_scenario(m, header.scenario.as_bytes(), &scenarios);
                            header.scenario = String::from_utf8_lossy(&text).into_owned();
                            if !m.one_in(8) {
                                header.scenario_hash = scenario_hash(&header.scenario);
                            }
                        }
                        *h = encode(&header);
                    }
                }
            }
            4 => {
                // An event's bytes, with the frame fixed.
                let i = m.below(records.len());
                let mut payload = records[i].1.clone();
                mutate_bytes(m, &mut payload, &[], &log_dict());
                records[i].1 = payload;
            }
            5 => {
                // An event from another log.
                let donor = split_records(&m.pick(seeds).clone())
                    .map(|(_, r)| r)
                    .unwrap_or_default();
                let donor_events: Vec<&(u8, Vec<u8>)> =
                    donor.iter().filter(|(ty, _)| *ty == EVENT).collect();
                if !donor_events.is_empty() {
                    let r = (*m.pick(&donor_events)).clone();
                    let at = m.below(records.len() + 1);
                    records.insert(at, r);
                }
            }
            6 => {
                let i = m.below(records.len());
                records[i].0 = *m.pick(&[0, 1, 2, 3, 4, 5, 255]);
            }
            _ => {
                // A whole event invented: a variant of the golden log's with
                // another family and time.
                let events: Vec<usize> = (0..records.len())
                    .filter(|&i| records[i].0 == EVENT)
                    .collect();
                if let Some(&i) = (!events.is_empty()).then(|| m.pick(&events)) {
                    if let Ok(mut t) = codec::decode_exact::<Timed>(&records[i].1) {
                        t.at = t.at.wrapping_add(m.below(1 << 20) as _);
                        if let Ok(mut v) = serde_json::to_value(&t) {
                            retarget_family(m, &mut v);
                            if let Ok(t) = serde_json::from_value::<Timed>(v) {
                                records[i].1 = encode(&t);
                            }
                        }
                    }
                }
            }
        }
    }
    let records = if m.one_in(5) {
        records
    } else {
        rehash_log(&records)
    };
    let mut out = join_records(&preamble, &records);
    if m.one_in(10) {
        mutate_bytes(m, &mut out, seeds, &log_dict());
    }
    out
}

/// Points every `family` field of an event at another family.
fn retarget_family(m: &mut Mutator, v: &mut Value) {
    let to = *m.pick(&[0u64, 1, 2, 3, 1000, u64::from(u32::MAX)]);
    fn walk(v: &mut Value, to: u64) {
        match v {
            Value::Object(o) => {
                for (k, c) in o.iter_mut() {
                    if k == "family" && c.is_number() {
                        *c = Value::from(to);
                    } else {
                        walk(c, to);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|c| walk(c, to)),
            _ => {}
        }
    }
    walk(v, to);
}

// ---- snapshots

/// Snapshot record types.
const S_HEAD: u8 = 1;
const S_FAMILIES: u8 = 2;
const S_PENDING: u8 = 3;
const S_METRICS: u8 = 4;
const S_END: u8 = 5;

/// Makes the end record's hash that of the records before it.
fn rehash_snapshot(records: &mut Vec<(u8, Vec<u8>)>) {
    if records.last().is_some_and(|(ty, _)| *ty == S_END) {
        records.pop();
    }
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    for (ty, payload) in records.iter() {
        hash.update(&frame(*ty, payload));
    }
    records.push((S_END, encode(&hash.digest())));
}

/// Edits a snapshot record as a value of its type.
fn mutate_snapshot_record(m: &mut Mutator, ty: u8, payload: &[u8]) -> Option<Vec<u8>> {
    fn edit<T: serde::Serialize + serde::de::DeserializeOwned>(
        m: &mut Mutator,
        payload: &[u8],
    ) -> Option<Vec<u8>> {
        let value: T = codec::decode_exact(payload).ok()?;
        Some(encode(&mutate_typed(m, &value)?))
    }
    match ty {
        S_HEAD => {
            let mut head: SnapshotHead = codec::decode_exact(payload).ok()?;
            if m.one_in(3) {
                let scenarios = scenario_seeds();
                let text = mutate_scenario(m, head.scenario.as_bytes(), &scenarios);
                head.scenario = String::from_utf8_lossy(&text).into_owned();
                Some(encode(&head))
            } else {
                Some(encode(&mutate_typed(m, &head)?))
            }
        }
        S_FAMILIES => edit::<Vec<(FamilyId, Family)>>(m, payload),
        S_PENDING => edit::<Vec<(u64, Happening)>>(m, payload),
        S_METRICS => edit::<Metrics>(m, payload),
        _ => None,
    }
}

fn mutate_snapshot(m: &mut Mutator, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let dict: Vec<&[u8]> = vec![&b"\x89FFSNP\r\n"[..], b"\x05\x00\x00\x00", b"\x01", b"\x05"];
    let Some((preamble, mut records)) = split_records(seed).filter(|_| !m.one_in(5)) else {
        let mut data = seed.to_vec();
        for _ in 0..edits(m) {
            mutate_bytes(m, &mut data, seeds, &dict);
        }
        return data;
    };
    for _ in 0..edits(m) {
        if records.is_empty() {
            break;
        }
        let i = m.below(records.len());
        match m.below(4) {
            0 => shuffle_records(m, &mut records),
            1 => {
                let mut payload = records[i].1.clone();
                mutate_bytes(m, &mut payload, &[], &dict);
                records[i].1 = payload;
            }
            _ => {
                if let Some(p) = mutate_snapshot_record(m, records[i].0, &records[i].1) {
                    records[i].1 = p;
                }
            }
        }
    }
    if !m.one_in(5) {
        rehash_snapshot(&mut records);
    }
    let mut out = join_records(&preamble, &records);
    if m.one_in(10) {
        mutate_bytes(m, &mut out, seeds, &dict);
    }
    out
}

// ---------------------------------------------------------------------------
// The loop

/// What fuzzing one target found.
struct Found {
    /// Per place it panicked (or "over the cap"): the message, how many
    /// inputs, and the smallest.
    crashes: BTreeMap<String, (String, u64, Vec<u8>)>,
    /// What the inputs came to, and how often.
    classes: BTreeMap<String, u64>,
    peak: usize,
    execs: u64,
}

/// Where an input panics (or "over the cap"), with the message; None when it does not.
fn failure(target: &Target, number: u64, input: &[u8]) -> Option<(String, String)> {
    match execute(target, number, input) {
        Outcome::Fine(..) => None,
        Outcome::Panicked { location, message } => Some((location, message)),
        Outcome::OverCap(peak) => Some((
            "over the allocation cap".to_string(),
            format!("held {peak} bytes at once (cap {CAP})"),
        )),
    }
}

/// A JSON input made smaller while it still fails at `place`: arrays
/// emptied or halved, strings emptied, compact (at most `budget` executions).
fn minimize_json(target: &Target, input: &[u8], place: &str, budget: &mut u64) -> Option<Vec<u8>> {
    let fails = |bytes: &[u8], budget: &mut u64| {
        *budget = budget.saturating_sub(1);
        failure(target, 0, bytes).is_some_and(|(p, _)| p == place)
    };
    let mut doc: Value = serde_json::from_slice(input).ok()?;
    let mut best = serde_json::to_vec(&doc).ok()?;
    if !fails(&best, budget) {
        return None;
    }
    let mut k = 0;
    while k < count_nodes(&doc) && *budget > 0 {
        let mut shrunk = false;
        for op in 0..3 {
            let mut candidate = doc.clone();
            let mut j = k;
            let mut changed = false;
            with_nth(&mut candidate, &mut j, &mut |node| match (op, node) {
                (0, Value::Array(a)) if !a.is_empty() => {
                    a.clear();
                    changed = true;
                }
                (1, Value::Array(a)) if a.len() > 1 => {
                    a.truncate(a.len() / 2);
                    changed = true;
                }
                (2, Value::String(s)) if s.len() > 1 => {
                    s.clear();
                    changed = true;
                }
                _ => {}
            });
            if !changed {
                continue;
            }
            let bytes = serde_json::to_vec(&candidate).ok()?;
            if fails(&bytes, budget) {
                doc = candidate;
                best = bytes;
                shrunk = true;
                break;
            }
        }
        if !shrunk {
            k += 1;
        }
    }
    Some(best)
}

/// A smaller input failing at the same place: for JSON, smaller values;
/// then stretches removed while it still does (at most `budget` executions).
fn minimize(target: &Target, input: &[u8], place: &str, budget: u64) -> Vec<u8> {
    let mut budget = budget;
    let mut best =
        minimize_json(target, input, place, &mut budget).unwrap_or_else(|| input.to_vec());
    let mut tries = 0;
    let mut chunk = best.len() / 2;
    while chunk >= 1 && tries < budget {
        let mut at = 0;
        let mut shrunk = false;
        while at < best.len() && tries < budget {
            let end = (at + chunk).min(best.len());
            let mut candidate = best[..at].to_vec();
            candidate.extend_from_slice(&best[end..]);
            tries += 1;
            if failure(target, 0, &candidate).is_some_and(|(p, _)| p == place) {
                best = candidate;
                shrunk = true;
            } else {
                at += chunk;
            }
        }
        if !shrunk {
            chunk /= 2;
        }
    }
    best
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("tests/fuzz-corpus").join(target)
}

/// The file name a crashing input is saved under.
fn input_name(input: &[u8]) -> String {
    format!("{:016x}.bin", xxhash_rust::xxh3::xxh3_64(input))
}

fn fuzz(name: &str) {
    let target = target(name);
    let execs = env_u64("FUZZ_EXECS", DEFAULT_EXECS);
    let seed = env_u64("FUZZ_SEED", 0);
    let trace = std::env::var("FUZZ_TRACE").is_ok_and(|v| v == "1");
    let stats = std::env::var("FUZZ_STATS").is_ok_and(|v| v == "1");
    let seeds = (target.seeds)();
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let started = Instant::now();
    let mut found = Found {
        crashes: BTreeMap::new(),
        classes: BTreeMap::new(),
        peak: 0,
        execs: 0,
    };
    for number in 0..execs {
        // The seeds as they are first, then mutations of them.
        let input = if (number as usize) < seeds.len() {
            seeds[number as usize].clone()
        } else {
            let mut m = Mutator::new(seed, name, number);
            let base = m.pick(&seeds).clone();
            (target.mutate)(&mut m, &base, &seeds)
        };
        if trace {
            eprintln!("fuzz {name} {number} ({} bytes)", input.len());
        }
        found.execs += 1;
        let (place, message) = match execute(target, number, &input) {
            Outcome::Fine(class, peak) => {
                found.peak = found.peak.max(peak);
                if stats {
                    *found.classes.entry(class).or_default() += 1;
                }
                continue;
            }
            Outcome::Panicked { location, message } => (location, message),
            Outcome::OverCap(peak) => (
                "over the allocation cap".to_string(),
                format!("held {peak} bytes at once (cap {CAP})"),
            ),
        };
        if stats {
            *found
                .classes
                .entry(format!("PANIC at {place}"))
                .or_default() += 1;
        }
        let entry = found
            .crashes
            .entry(place)
            .or_insert_with(|| (message, 0, input.clone()));
        entry.1 += 1;
        if input.len() < entry.2.len() {
            entry.2 = input;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if stats {
        let mut classes: Vec<(&String, &u64)> = found.classes.iter().collect();
        classes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (class, n) in classes.iter().take(25) {
            println!("fuzz {name}: {n:>9} {class}");
        }
    }
    let mut new = Vec::new();
    for (place, (message, count, input)) in &found.crashes {
        let small = minimize(target, input, place, 4_000);
        let dir = corpus_dir(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(input_name(&small)), &small).unwrap();
        println!(
            "fuzz {name}: panic at {place}: {message} ({count} inputs; {} bytes saved as tests/fuzz-corpus/{name}/{})",
            small.len(),
            input_name(&small)
        );
        new.push(format!("{place}: {message}"));
    }
    println!(
        "fuzz {name}: {} executions in {secs:.1} s ({:.0}/s), {} places that panic ({} new), largest execution held {:.1} MiB",
        found.execs,
        found.execs as f64 / secs.max(1e-9),
        found.crashes.len(),
        new.len(),
        found.peak as f64 / (1024.0 * 1024.0)
    );
    assert!(
        new.is_empty(),
        "{name}: inputs that panic (saved under tests/fuzz-corpus/{name}/):\n{}",
        new.join("\n")
    );
}

#[test]
fn fuzz_scenario() {
    fuzz("scenario");
}

#[test]
fn fuzz_log_strict() {
    fuzz("log_strict");
}

#[test]
fn fuzz_log_recover() {
    fuzz("log_recover");
}

#[test]
fn fuzz_replay() {
    fuzz("replay");
}

#[test]
fn fuzz_snapshot() {
    fuzz("snapshot");
}

#[test]
fn fuzz_report() {
    fuzz("report");
}

// ---------------------------------------------------------------------------
// The corpus

/// Runs one saved input; Err says how it failed.
fn replay_input(target: &Target, path: &Path) -> Result<(), String> {
    let input = std::fs::read(path).unwrap();
    match execute(target, 0, &input) {
        Outcome::Fine(..) => Ok(()),
        Outcome::Panicked { location, message } => Err(format!(
            "{}: panics at {location}: {message}",
            path.display()
        )),
        Outcome::OverCap(peak) => Err(format!(
            "{}: held {peak} bytes at once (cap {CAP})",
            path.display()
        )),
    }
}

#[test]
fn corpus_replays_without_panics() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in &TARGETS {
        let Ok(dir) = std::fs::read_dir(corpus_dir(target.name)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files {
            replayed += 1;
            if let Err(e) = replay_input(target, &path) {
                failures.push(e);
            }
        }
    }
    println!("replayed {replayed} saved inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_mutation_engine_is_deterministic() {
    for t in &TARGETS {
        let seeds = (t.seeds)();
        let one = |n| {
            let mut m = Mutator::new(0, t.name, n);
            let base = m.pick(&seeds).clone();
            (t.mutate)(&mut m, &base, &seeds)
        };
        for n in [17, 18, 1_000_003] {
            assert_eq!(one(n), one(n), "{}: execution {n}", t.name);
        }
    }
}
