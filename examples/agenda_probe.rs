//! Benchmark probe (not part of the simulator): runs a scenario through the
//! same loop as `engine::simulate`, without a log, and reports how big the
//! agenda gets, how many happenings come due stale (producing no events),
//! and how many families `State` holds at most. BENCHMARKS.md uses it to
//! explain why `Agenda::pop` dominates the England-scale profile.
//!
//!     cargo run --release --example agenda_probe -- scenarios/england-baseline.toml
//!
//! It reproduces the loop of `src/engine.rs` (`simulate`); if that loop
//! changes, this copy must follow.

use std::path::Path;
use std::time::Instant;

use familyflow::agenda::{Agenda, Happening};
use familyflow::engine::ScenarioInput;
use familyflow::model::{Decisions, Model};
use familyflow::projection::{fold, Metrics};
use familyflow::state::State;

fn kind(h: &Happening) -> usize {
    match h {
        Happening::Arrival(_) => 0,
        Happening::ReReferral(_) => 1,
        Happening::TriageDue(..) => 2,
        Happening::AssessmentDue(..) => 3,
        Happening::HelpEnds(..) => 4,
        Happening::S47Ends(..) => 5,
        Happening::ConferenceDue(..) => 6,
        Happening::PlanReviewDue(..) => 7,
        Happening::PlanEnds(..) => 8,
        Happening::Policy(_) => 9,
        Happening::LeavesCare(..) => 10,
    }
}

const KINDS: [&str; 11] = [
    "Arrival",
    "ReReferral",
    "TriageDue",
    "AssessmentDue",
    "HelpEnds",
    "S47Ends",
    "ConferenceDue",
    "PlanReviewDue",
    "PlanEnds",
    "Policy",
    "LeavesCare",
];

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "scenarios/england-baseline.toml".into());
    let input = ScenarioInput::load(Path::new(&path)).expect("scenario loads");
    let model = Model::new(input.scenario.clone(), 1);
    let started = Instant::now();

    let mut state = State::new(&model.scenario);
    let mut metrics = Metrics::new(&model.calendar);
    let mut agenda = Agenda::new();
    let mut decisions = Decisions::default();
    model.start(&mut decisions);
    for &(at, what) in &decisions.schedule {
        agenda.push(at, what);
    }
    let horizon = model.calendar.horizon();
    let (mut pops, mut stale, mut pushes, mut max_len, mut max_families) = (0u64, 0u64, 0u64, 0, 0);
    let mut popped = [0u64; 11];
    let mut stale_by = [0u64; 11];
    while let Some((now, what)) = agenda.pop() {
        if now >= horizon {
            break;
        }
        pops += 1;
        popped[kind(&what)] += 1;
        decisions.clear();
        model.decide(now, what, &state, &mut decisions);
        if decisions.events.is_empty() {
            stale += 1;
            stale_by[kind(&what)] += 1;
        }
        for event in &decisions.events {
            fold(&mut state, &mut metrics, now, event).expect("consistent");
        }
        for &(at, what) in &decisions.schedule {
            agenda.push(at, what);
            pushes += 1;
        }
        max_len = max_len.max(agenda.len());
        max_families = max_families.max(state.known_families());
    }
    let secs = started.elapsed().as_secs_f64();
    println!("scenario: {path}");
    println!(
        "events {}, happenings popped {pops} ({:.2} per event), pushed {pushes}, stale {stale} ({:.1}%)",
        metrics.events,
        pops as f64 / metrics.events as f64,
        100.0 * stale as f64 / pops as f64
    );
    println!(
        "agenda: at most {max_len} pending, {} at the horizon; families held at most {max_families}, {} at the end",
        agenda.len() + 1,
        state.known_families()
    );
    println!("popped by kind (stale):");
    for (i, name) in KINDS.iter().enumerate() {
        if popped[i] > 0 {
            println!("  {name:14} {:>12} ({})", popped[i], stale_by[i]);
        }
    }
    println!("{secs:.2} s");
}
