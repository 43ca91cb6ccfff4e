//! Random streams: the cost of creating the ChaCha8 stream for an address
//! (purpose, entity, occasion) — which the model does for almost every
//! decision — and of drawing from it.
//!
//! * `create` — `Streams::stream` alone (key copy, set stream, set word
//!   position);
//! * `create + 1 uniform` / `create + 8 uniforms` — the typical patterns: a
//!   decision takes one to a handful of draws from a fresh address (the first
//!   draw also generates ChaCha8's first 256-byte block);
//! * `draw` — uniforms and exponentials from a stream already open, per draw.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use familyflow::engine::stream::Streams;
use familyflow::model::purpose::Purpose;

/// Addresses per measured iteration.
const N: u64 = 1_000;

fn streams(c: &mut Criterion) {
    let s = Streams::new(1);
    let mut g = c.benchmark_group("streams");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(N));
    g.bench_function("create", |b| {
        b.iter(|| {
            for family in 0..N {
                black_box(s.stream(Purpose::TriageDecision, black_box(family), 3));
            }
        })
    });
    g.bench_function("create + 1 uniform", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for family in 0..N {
                acc += s
                    .stream(Purpose::TriageDecision, black_box(family), 3)
                    .uniform();
            }
            acc
        })
    });
    g.bench_function("create + 8 uniforms", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for family in 0..N {
                let mut st = s.stream(Purpose::FamilyAttributes, black_box(family), 0);
                for _ in 0..8 {
                    acc += st.uniform();
                }
            }
            acc
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stream draws");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(N));
    let mut st = s.stream(Purpose::Arrivals, 0, 0);
    g.bench_function("uniform", |b| {
        b.iter(|| (0..N).map(|_| st.uniform()).sum::<f64>())
    });
    let mut st = s.stream(Purpose::Arrivals, 0, 1);
    g.bench_function("exponential_minutes", |b| {
        b.iter(|| {
            (0..N)
                .map(|_| st.exponential_minutes(black_box(1_440.0)))
                .sum::<u64>()
        })
    });
    g.finish();
}

criterion_group!(benches, streams);
criterion_main!(benches);
