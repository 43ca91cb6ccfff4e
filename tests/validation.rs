//! Queueing validation: with every other route switched off, family help is
//! an M/M/c queue (Poisson arrivals at 9 an hour, exponential support with a
//! mean of 1 hour, c = 10 places), so its mean wait must match Erlang C.

use std::path::Path;

use familyflow::engine::Discard;
use familyflow::model::input::ScenarioInput;
use familyflow::model::simulate;
use familyflow::model::Model;

/// Erlang C mean wait in queue, in the unit of 1/mu, for arrival rate
/// `lambda`, service rate `mu` and `c` servers.
fn erlang_c_wait(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let mut term = 1.0; // a^k / k!
    let mut below = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        below += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    let p_wait = top / (below + top);
    p_wait / (f64::from(c) * mu - lambda)
}

#[test]
fn family_help_as_m_m_c_matches_erlang_c() {
    let input = ScenarioInput::load(Path::new("scenarios/validation/mmc.toml")).unwrap();
    let expected_minutes = erlang_c_wait(9.0, 1.0, 10) * 60.0;
    assert!((expected_minutes - 40.1).abs() < 0.1, "{expected_minutes}");

    let replications = 20;
    let waits: Vec<f64> = (1..=replications)
        .map(|seed| {
            let model = Model::new(input.scenario.clone(), seed);
            let (_, m) = simulate(&model, &mut Discard).unwrap();
            let started = m.total(|p| p.family_help_started);
            m.wait_minutes as f64 / started as f64
        })
        .collect();
    let n = waits.len() as f64;
    let mean = waits.iter().sum::<f64>() / n;
    let sd = (waits.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let half = 2.093 * sd / n.sqrt(); // Student t, 19 degrees of freedom, 95%
    println!(
        "M/M/c mean wait: simulated {mean:.2} ± {half:.2} minutes over {replications} replications; Erlang C {expected_minutes:.2}"
    );
    assert!(
        (mean - expected_minutes).abs() <= half,
        "simulated {mean:.2} ± {half:.2} minutes does not cover Erlang C's {expected_minutes:.2}"
    );
    assert!(
        half < 5.0,
        "the interval is too wide to mean anything: ± {half:.2}"
    );
}
