//! M/M/c queue (arrivals 9 an hour, 10 servers, exponential service with a
//! mean of 1 hour) in NeXosim 1.0 on one thread, for benches/peers/compare.sh.
//!
//! One model holds the queue: `arrive` and `depart` are its self-scheduled
//! inputs. Model events are counted as in the other peers: arrivals, service
//! starts and departures. Prints one line,
//! `engine=nexosim model_events=N seconds=S`, where S is the wall time of the
//! simulation loop alone (the bench's construction is left out, as for the
//! Python peers).
//!
//!     cargo run --release -- --hours 43800 --seed 1

use std::time::{Duration, Instant};

use nexosim::model::{schedulable, Context, Model};
use nexosim::ports::QuerySource;
use nexosim::simulation::{Mailbox, SimInit};
use nexosim::time::MonotonicTime;
use serde::{Deserialize, Serialize};

/// SplitMix64: a small, fast generator, enough for a throughput benchmark.
#[derive(Serialize, Deserialize)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An exponential variate with the given rate per hour, as a duration.
    fn exponential(&mut self, rate_per_hour: f64) -> Duration {
        // Uniform in (0, 1]: 53 random bits, shifted away from zero.
        let u = ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        Duration::from_secs_f64(-u.ln() / rate_per_hour * 3600.0)
    }
}

/// The queue and its servers.
#[derive(Serialize, Deserialize)]
pub struct Mmc {
    lambda: f64,
    mu: f64,
    servers: u32,
    busy: u32,
    waiting: u64,
    rng: Rng,
    arrivals: u64,
    starts: u64,
    departures: u64,
}

#[Model]
impl Mmc {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        let first = self.rng.exponential(self.lambda);
        cx.schedule_event(first, schedulable!(Self::arrive), ())
            .unwrap();
    }

    /// A customer arrives: served at once if a server is free, else queued.
    #[nexosim(schedulable)]
    fn arrive(&mut self, _: (), cx: &Context<Self>) {
        self.arrivals += 1;
        let next = self.rng.exponential(self.lambda);
        cx.schedule_event(next, schedulable!(Self::arrive), ())
            .unwrap();
        if self.busy < self.servers {
            self.busy += 1;
            self.start(cx);
        } else {
            self.waiting += 1;
        }
    }

    /// A service ends: the server takes the next in the queue, if any.
    #[nexosim(schedulable)]
    fn depart(&mut self, _: (), cx: &Context<Self>) {
        self.departures += 1;
        if self.waiting > 0 {
            self.waiting -= 1;
            self.start(cx);
        } else {
            self.busy -= 1;
        }
    }

    fn start(&mut self, cx: &Context<Self>) {
        self.starts += 1;
        let service = self.rng.exponential(self.mu);
        cx.schedule_event(service, schedulable!(Self::depart), ())
            .unwrap();
    }

    /// Arrivals, service starts and departures so far.
    pub async fn model_events(&mut self) -> u64 {
        self.arrivals + self.starts + self.departures
    }
}

fn main() {
    let mut hours: u64 = 43_800;
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        let parsed: u64 = match value.parse() {
            Ok(v) => v,
            Err(_) => {
                eprintln!(
                    "usage: nexosim-mmc [--hours H] [--seed S] (bad value {value:?} for {arg})"
                );
                std::process::exit(2);
            }
        };
        match arg.as_str() {
            "--hours" => hours = parsed,
            "--seed" => seed = parsed,
            _ => {
                eprintln!("usage: nexosim-mmc [--hours H] [--seed S] (unknown {arg})");
                std::process::exit(2);
            }
        }
    }

    let model = Mmc {
        lambda: 9.0,
        mu: 1.0,
        servers: 10,
        busy: 0,
        waiting: 0,
        rng: Rng(seed),
        arrivals: 0,
        starts: 0,
        departures: 0,
    };
    let mbox = Mailbox::new();
    let t0 = MonotonicTime::EPOCH;
    let mut bench = SimInit::with_num_threads(1);
    let count = QuerySource::new()
        .connect(Mmc::model_events, &mbox)
        .register(&mut bench);
    let mut simu = bench.add_model(model, mbox, "mmc").init(t0).expect("init");

    let started = Instant::now();
    simu.step_until(t0 + Duration::from_secs(hours * 3600))
        .expect("run");
    let seconds = started.elapsed().as_secs_f64();

    let events = simu.process_query(&count, ()).expect("query");
    println!("engine=nexosim model_events={events} seconds={seconds:.6} hours={hours} seed={seed}");
}
