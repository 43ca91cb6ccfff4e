//! The agenda alone: the classic "hold" operation of a future-event set —
//! pop the earliest happening, push a new one a random increment later — at
//! 10^3, 10^5 and 10^6 pending happenings. The number pending stays constant
//! during the benchmark, so each figure is the cost of one hold at that size.
//!
//! Two increment distributions, as in the classic hold model (the agenda is
//! first filled with draws from the same distribution):
//!
//! * `exp 1d` — exponential with a mean of one day (1,440 minutes);
//! * `mix` — closer to the England baseline, where a quarter of what is put on
//!   the agenda is far ahead (re-referrals, reviews, leaving care): 3/4
//!   exponential with a mean of 2 days, 1/4 with a mean of 180 days. Far
//!   entries pile up at the bottom of the heap, so each pop sifts through
//!   more cache lines.
//!
//! Increments are drawn ahead of time from a cheap generator so the figure
//! is the agenda's cost, not the generator's.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use familyflow::engine::agenda::Agenda;
use familyflow::model::event::FamilyId;
use familyflow::model::happening::Happening;

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

    /// The `mix` increment: 3/4 exponential mean 2 days, 1/4 mean 180 days.
    fn mix(&mut self) -> u64 {
        if self.next().is_multiple_of(4) {
            self.exponential(1_440.0 * 180.0)
        } else {
            self.exponential(1_440.0 * 2.0)
        }
    }

    /// Exponential minutes (at least 1) with the given mean.
    fn exponential(&mut self, mean: f64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((-mean * (1.0 - u).ln()).round() as u64).max(1)
    }
}

/// Holds done per measured iteration.
const HOLDS: u64 = 1_000;

/// An increment distribution.
type Draw = fn(&mut SplitMix) -> u64;

fn filled(pending: usize, rng: &mut SplitMix, draw: Draw) -> Agenda<Happening> {
    let mut a = Agenda::new();
    for i in 0..pending {
        a.push(draw(rng), Happening::HelpEnds(FamilyId(i as u32), 0, 0));
    }
    a
}

fn exp_1d(rng: &mut SplitMix) -> u64 {
    rng.exponential(1_440.0)
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("agenda hold");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(HOLDS));
    let dists: [(&str, Draw); 2] = [("exp 1d", exp_1d), ("mix", SplitMix::mix)];
    for (name, draw) in dists {
        for pending in [1_000usize, 100_000, 1_000_000] {
            let mut rng = SplitMix(0x5EED ^ pending as u64);
            let increments: Vec<u64> = (0..1 << 16).map(|_| draw(&mut rng)).collect();
            let mut agenda = filled(pending, &mut rng, draw);
            let mut k = 0usize;
            g.bench_function(format!("{name}/{pending} pending"), |b| {
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
    }
    // Building the agenda from empty, for comparison with hold at 10^6.
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("push 10^6 into an empty agenda", |b| {
        b.iter_batched(
            || SplitMix(7),
            |mut rng| filled(1_000_000, &mut rng, SplitMix::mix),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
