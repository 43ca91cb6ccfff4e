//! The agenda alone: the classic "hold" operation of a future-event set —
//! pop the earliest happening, push a new one a random increment later — at
//! 10^3, 10^5 and 10^6 pending happenings. The number pending stays constant
//! during the benchmark, so each figure is the cost of one hold at that size.
//!
//! Increments are exponential with a mean of one day (1,440 minutes), drawn
//! ahead of time from a cheap generator so the figure is the agenda's cost,
//! not the generator's.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use familyflow::agenda::{Agenda, Happening};
use familyflow::event::FamilyId;

/// SplitMix64: a tiny deterministic generator for the benchmark's inputs only.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Exponential minutes (at least 1) with the given mean.
    fn exponential(&mut self, mean: f64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((-mean * (1.0 - u).ln()).round() as u64).max(1)
    }
}

/// Holds done per measured iteration.
const HOLDS: u64 = 1_000;

fn filled(pending: usize, rng: &mut SplitMix) -> Agenda {
    let mut a = Agenda::new();
    for i in 0..pending {
        // Spread the initial happenings over about as long as the mean
        // increment times the number pending, as in a steady state.
        let at = rng.exponential(1_440.0 * pending as f64 / 2.0);
        a.push(at, Happening::HelpEnds(FamilyId(i as u32), 0));
    }
    a
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("agenda hold");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(HOLDS));
    for pending in [1_000usize, 100_000, 1_000_000] {
        let mut rng = SplitMix(0x5EED ^ pending as u64);
        let increments: Vec<u64> = (0..1 << 16).map(|_| rng.exponential(1_440.0)).collect();
        let mut agenda = filled(pending, &mut rng);
        let mut k = 0usize;
        g.bench_function(format!("{pending} pending"), |b| {
            b.iter(|| {
                for _ in 0..HOLDS {
                    let (now, what) = agenda.pop().expect("never empty");
                    agenda.push(now + increments[k & 0xFFFF], black_box(what));
                    k += 1;
                }
            })
        });
        assert_eq!(agenda.len(), pending);
    }
    // Building the agenda from empty, for comparison with hold at 10^6.
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("push 10^6 into an empty agenda", |b| {
        b.iter_batched(
            || SplitMix(7),
            |mut rng| filled(1_000_000, &mut rng),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
