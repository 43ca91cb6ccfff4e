//! Scaling: run time (and events per second) of the full model, without a
//! log, as the area grows and as the horizon grows.
//!
//! The base is `scenarios/england-baseline.toml` (national rates, bank
//! holidays to 2034), with its parsed `Scenario` edited:
//!
//! * area: 10,000, 100,000 and 1,000,000 children (1x, 10x, 100x), 1 year;
//! * horizon: 1, 5 and 10 years, 100,000 children.
//!
//! If cost is linear in events, events per second stays flat along both
//! axes; memory (see `benches/peers/memory.sh`) should follow families open
//! at once, not the horizon.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use familyflow::engine::Discard;
use familyflow::model::input::ScenarioInput;
use familyflow::model::scenario::Scenario;
use familyflow::model::simulate;
use familyflow::model::Model;

fn base() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/england-baseline.toml");
    ScenarioInput::load(&path)
        .expect("the England baseline loads")
        .scenario
}

fn sized(children: u64, years: u32) -> Model {
    let mut s = base();
    s.area.children = children;
    s.years = years;
    Model::new(s, 1)
}

fn bench_case(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    param: u64,
    model: &Model,
) {
    let (_, metrics) = simulate(model, &mut Discard).expect("runs");
    eprintln!("{label} {param}: {} events", metrics.events);
    let id = BenchmarkId::new(label, param);
    g.throughput(Throughput::Elements(metrics.events));
    g.bench_with_input(id, model, |b, m| {
        b.iter(|| simulate(m, &mut Discard).expect("runs"))
    });
}

fn area(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling area (1 year)");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for children in [10_000u64, 100_000, 1_000_000] {
        let model = sized(children, 1);
        bench_case(&mut g, "children", children, &model);
    }
    g.finish();
}

fn horizon(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling horizon (100k children)");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for years in [1u32, 5, 10] {
        let model = sized(100_000, years);
        bench_case(&mut g, "years", u64::from(years), &model);
    }
    g.finish();
}

criterion_group!(benches, area, horizon);
criterion_main!(benches);
