//! The event log alone: encoding and writing each event (framing, bincode,
//! CRC-32C, running xxh3 hash, checkpoints) into memory, and reading and
//! decoding each event back (strict reader: lengths, CRC, checkpoints),
//! and the whole replay (reading ahead on a second thread, folding,
//! summarising).
//!
//! The events are those of the built-in default scenario (seed 1), collected
//! once; throughput is in events.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use familyflow::engine::log::{LogReader, LogWriter};
use familyflow::model::event::Timed;
use familyflow::model::input::ScenarioInput;
use familyflow::model::simulate;
use familyflow::model::Model;

fn log(c: &mut Criterion) {
    let input = ScenarioInput::builtin();
    let model = Model::new(input.scenario.clone(), 1);
    let mut events: Vec<Timed> = Vec::new();
    let (state, _) = simulate(&model, &mut events).expect("runs");
    let header = input.header(1);
    let end = model.calendar.horizon();
    let hash = state.hash();
    let write = |cap: usize| {
        let mut w = LogWriter::new(Vec::with_capacity(cap), &header).expect("header");
        for t in &events {
            w.event(t.at, &t.event).expect("encodes");
        }
        w.finish(end, hash, true).expect("trailer")
    };
    let bytes = write(0);
    let n = events.len() as u64;

    let mut g = c.benchmark_group("log");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(n));
    g.bench_function("encode + write per event", |b| {
        b.iter(|| write(bytes.len()))
    });
    g.bench_function("read + decode per event", |b| {
        b.iter(|| {
            let mut r = LogReader::open(&bytes[..]).expect("opens");
            let mut k = 0u64;
            while let Some(t) = r
                .next_event::<familyflow::model::event::Event>()
                .expect("reads")
            {
                k += t.at & 1;
            }
            k
        })
    });
    // What `familyflow replay` does: read ahead on a thread of its own,
    // fold into state and metrics in order, summarise.
    g.bench_function("replay (read ahead + fold + summary) per event", |b| {
        b.iter(|| {
            familyflow::analysis::run::replay(&bytes[..])
                .expect("replays")
                .trailer
                .events
        })
    });
    g.finish();
    eprintln!(
        "log: {n} events, {} bytes ({:.1} bytes per event)",
        bytes.len(),
        bytes.len() as f64 / n as f64
    );
}

criterion_group!(benches, log);
criterion_main!(benches);
