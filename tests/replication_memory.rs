//! The memory of replications and comparisons (issue 14, finding 11): each
//! replication's metrics are folded into one table as its run ends, about 8
//! bytes a metric, not kept as a list of named values (about 100 bytes a
//! metric, 0.22 MB a replication of a ten-year run); a request estimated
//! beyond `MAX_REPLICATIONS_BYTES` is refused before any run (unless
//! `--force`, never given in this test binary).
//!
//! Its own test binary because it installs a counting `#[global_allocator]`
//! (live bytes and their peak). The tests take a lock so that one measures
//! while no other allocates.

use std::time::{Duration, Instant};

use familyflow::analysis::compare::{compare_inputs, CompareSpec, Subject};
use familyflow::analysis::replications::{
    memory_estimate, replicate, ReplicationSpec, MAX_REPLICATIONS_BYTES,
};
use familyflow::analysis::Unwatched;
use familyflow::cli::commands::{self, CompareOptions, ReplicationOptions};
use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::DEFAULT_SCENARIO;

mod common;
use common::counting::{measure, ONE_AT_A_TIME};
use common::TempDir;

#[global_allocator]
static GLOBAL: common::counting::Counting = common::counting::Counting;

/// The built-in scenario made tiny: 2,000 children, one year, no burn-in.
fn tiny() -> ScenarioInput {
    let mut text = DEFAULT_SCENARIO.to_string();
    for (from, to) in [
        ("\nyears = 3 ", "\nyears = 1 "),
        ("\nburn_in_years = 20", "\nburn_in_years = 0"),
        ("\nchildren = 100_000 ", "\nchildren = 2_000 "),
    ] {
        assert!(text.contains(from), "the built-in scenario has `{from}`");
        text = text.replacen(from, to, 1);
    }
    ScenarioInput::from_text(&text, "tiny.toml").expect("valid")
}

fn spec(replications: u32, threads: usize) -> ReplicationSpec {
    ReplicationSpec {
        replications,
        seed: 1,
        threads: Some(threads),
        warm_up: None,
    }
}

const KB: usize = 1024;
const MIB: usize = 1 << 20;

#[test]
fn a_replication_costs_about_eight_bytes_a_metric() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let input = tiny();
    // Once first, so that nothing allocated once for all is counted.
    replicate(&input, &spec(2, 1), &Unwatched).unwrap();
    for threads in [1, 2] {
        let few = measure(|| replicate(&input, &spec(40, threads), &Unwatched).unwrap());
        let many = measure(|| replicate(&input, &spec(400, threads), &Unwatched).unwrap());
        let metrics = many.out.stats.len();
        assert!(metrics > 300, "{metrics} metrics");
        assert_eq!(many.out.runs.len(), 400);
        let per = |a: usize, b: usize| b.saturating_sub(a) as f64 / 360.0;
        let (peak, held) = (per(few.peak, many.peak), per(few.held, many.held));
        eprintln!(
            "{threads} thread(s), {metrics} metrics: {peak:.0} bytes a replication at the peak \
             ({:.1} a metric), {held:.0} held by the result ({:.1} a metric); \
             peaks {} and {} KiB",
            peak / metrics as f64,
            held / metrics as f64,
            few.peak / KB,
            many.peak / KB
        );
        // Before: each replication's metrics were kept as named values,
        // 124 bytes a metric here (43 KiB a replication), measured.
        assert!(
            peak < 12.0 * metrics as f64 + 256.0,
            "{peak:.0} bytes a replication at the peak for {metrics} metrics"
        );
        assert!(
            held < 12.0 * metrics as f64 + 256.0,
            "{held:.0} bytes a replication held for {metrics} metrics"
        );
        assert!(peak < (40 * KB) as f64, "{peak:.0} bytes a replication");
        // The same figures as with fewer replications, where they overlap.
        assert_eq!(few.out.runs.seeds[..], many.out.runs.seeds[..40]);
        let m = metrics - 1;
        assert_eq!(
            few.out.runs.table.get(39, m),
            many.out.runs.table.get(39, m)
        );
    }
}

#[test]
fn a_huge_number_of_replications_is_refused_at_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let input = tiny();
    let huge = spec(100_000_000, 2);
    let estimate = memory_estimate(&input, &huge).unwrap();
    assert!(estimate.bytes > MAX_REPLICATIONS_BYTES, "{estimate:?}");
    assert!(
        estimate.metrics >= 300 && estimate.metrics < 1000,
        "{estimate:?}"
    );
    let started = Instant::now();
    let done = measure(|| replicate(&input, &huge, &Unwatched));
    let err = done.out.map(|_| ()).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "not run");
    assert!(done.peak < 16 * MIB, "refusing took {} KiB", done.peak / KB);
    for part in [
        "--replications 100000000",
        "estimated to need about ",
        " GiB of memory, more than the 4.0 GiB allowed",
        "100,000,000 replications x ",
        " metrics x 8.125 bytes",
        "ask for at most ",
        ", or give --force if the machine has the memory",
    ] {
        assert!(err.contains(part), "`{part}` in: {err}");
    }
    // As many as it says fit are accepted (not run here).
    let fit: String = err
        .rsplit("ask for at most ")
        .next()
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    let fit: u32 = fit.parse().unwrap();
    assert!(fit > 100_000, "{err}");
    let at_most = memory_estimate(&input, &spec(fit, 2)).unwrap();
    assert!(at_most.bytes <= MAX_REPLICATIONS_BYTES, "{at_most:?}");
    let more = memory_estimate(&input, &spec(fit + fit / 100 + 2, 2)).unwrap();
    assert!(more.bytes > MAX_REPLICATIONS_BYTES, "{more:?}");

    // The command refuses before it makes its --out folder.
    let tmp = TempDir::new("huge");
    let scenario = tmp.file("tiny.toml");
    std::fs::write(&scenario, &input.text).unwrap();
    let out = tmp.file("reps");
    let err = commands::run_replications(
        Some(&scenario),
        &ReplicationOptions {
            spec: huge.clone(),
            progress: false,
            out_dir: Some(out.clone()),
            json: false,
        },
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("more than the 4.0 GiB allowed"), "{err}");
    assert!(!out.exists(), "no folder made");

    // So does a comparison, counting its runs.
    let b = tmp.file("b.toml");
    std::fs::write(&b, "extends = \"tiny.toml\"\n[family_help]\nfte = 3\n").unwrap();
    let compare = CompareSpec {
        replications: 50_000_000,
        seed: 1,
        threads: Some(2),
        warm_up: None,
        family: None,
    };
    let inputs = [
        Subject::Scenario(Box::new(input.clone())),
        Subject::Scenario(Box::new(ScenarioInput::load(&b).unwrap())),
    ];
    let started = Instant::now();
    let err = compare_inputs(&inputs, &compare, &Unwatched)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "not run");
    for part in [
        "--replications 50000000 of 2 scenarios",
        "50,000,000 replications (150,000,000 runs) x ",
        "more than the 4.0 GiB allowed",
    ] {
        assert!(err.contains(part), "`{part}` in: {err}");
    }
    let err = commands::compare(
        &[scenario, b],
        &CompareOptions {
            spec: compare,
            progress: false,
            out_dir: Some(out.clone()),
            metrics: None,
        },
        &mut Vec::new(),
        &mut std::io::sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("more than the 4.0 GiB allowed"), "{err}");
    assert!(!out.exists(), "no folder made");
}
