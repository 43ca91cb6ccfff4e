//! Benchmark probe (not part of the simulator): runs a scenario happening by
//! happening through the engine's own `Run::step`, without a log, and
//! reports how big the agenda gets, how many happenings come due stale
//! (producing no events), and how many families `State` holds at most.
//! BENCHMARKS.md uses it to explain what dominates the England-scale profile.
//!
//!     cargo run --release --example agenda_probe -- scenarios/england-baseline.toml

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use familyflow::engine::{Discard, Run};
use familyflow::model::input::ScenarioInput;
use familyflow::model::Model;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "scenarios/england-baseline.toml".into());
    let input = ScenarioInput::load(Path::new(&path)).expect("scenario loads");
    let model = Model::new(input.scenario.clone(), 1);
    let started = Instant::now();
    let horizon = model.calendar.horizon();
    let mut run = Run::start(&model);
    let (mut pops, mut stale, mut max_len, mut max_families) = (0u64, 0u64, 0, 0);
    // (popped, stale) by kind of happening.
    let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    while run.agenda.next_time().is_some_and(|t| t < horizon) {
        let (now, what) = run.agenda.pop().expect("a happening is pending");
        let kind = format!("{what:?}");
        let kind = kind.split('(').next().unwrap_or("").to_string();
        let before = run.metrics.events;
        run.step(&model, now, what, &mut Discard)
            .expect("consistent");
        pops += 1;
        let k = by_kind.entry(kind).or_default();
        k.0 += 1;
        if run.metrics.events == before {
            stale += 1;
            k.1 += 1;
        }
        max_len = max_len.max(run.agenda.len());
        max_families = max_families.max(run.state.known_families());
    }
    let secs = started.elapsed().as_secs_f64();
    let events = run.metrics.events;
    println!("scenario: {path}");
    println!(
        "events {events}, happenings popped {pops} ({:.2} per event), stale {stale} ({:.1}%)",
        pops as f64 / events as f64,
        100.0 * stale as f64 / pops as f64
    );
    println!(
        "agenda: at most {max_len} pending, {} at the horizon; families held at most {max_families}, {} at the end",
        run.agenda.len(),
        run.state.known_families()
    );
    println!("popped by kind (stale):");
    for (name, (popped, stale)) in &by_kind {
        println!("  {name:22} {popped:>12} ({stale})");
    }
    println!("{secs:.2} s");
}
