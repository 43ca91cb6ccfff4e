//! Throughput of the engine on the built-in scenario: events per second with
//! and without the log, and replay. (Issue 5 extends this set.)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use familyflow::engine::{replay, simulate, Discard, ScenarioInput};
use familyflow::log::LogWriter;
use familyflow::model::Model;

fn write_log(input: &ScenarioInput, model: &Model, seed: u64) -> Vec<u8> {
    let mut w = LogWriter::new(Vec::with_capacity(2 << 20), &input.header(seed)).expect("header");
    let (state, _) = simulate(model, &mut w).expect("runs");
    w.finish(model.calendar.horizon(), state.hash(), true)
        .expect("trailer")
}

fn default_scenario(c: &mut Criterion) {
    let input = ScenarioInput::builtin();
    let model = Model::new(input.scenario.clone(), 1);
    let (_, metrics) = simulate(&model, &mut Discard).expect("runs");
    let log = write_log(&input, &model, 1);
    let mut g = c.benchmark_group("default scenario");
    g.sample_size(20);
    g.throughput(Throughput::Elements(metrics.events));
    g.bench_function("run without log", |b| {
        b.iter(|| simulate(&model, &mut Discard).expect("runs"))
    });
    g.bench_function("run with log in memory", |b| {
        b.iter(|| write_log(&input, &model, 1))
    });
    g.bench_function("replay", |b| b.iter(|| replay(&log[..]).expect("replays")));
    g.finish();
}

criterion_group!(benches, default_scenario);
criterion_main!(benches);
