//! Throughput of the engine on the built-in scenario (issue 5 extends this).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use familyflow::engine::{simulate, Discard};
use familyflow::model::Model;
use familyflow::scenario::Scenario;

fn default_scenario(c: &mut Criterion) {
    let model = Model::new(Scenario::default_scenario(), 1);
    let (_, metrics) = simulate(&model, &mut Discard).expect("runs");
    let mut g = c.benchmark_group("default scenario");
    g.sample_size(10);
    g.throughput(Throughput::Elements(metrics.events));
    g.bench_function("run without log", |b| {
        b.iter(|| simulate(&model, &mut Discard).expect("runs"))
    });
    g.finish();
}

criterion_group!(benches, default_scenario);
criterion_main!(benches);
