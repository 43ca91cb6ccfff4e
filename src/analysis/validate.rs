//! `familyflow validate`: the model's validation suite, one set of checks
//! used both by the command and by `cargo test` (`tests/validate.rs`).
//!
//! A *check* is a function from a [`Context`] to [`Row`]s; each row is one
//! claim about the model (its target, the model's value with a 95% CI over
//! replications, where the target comes from, pass or fail). The suite
//! ([`suite`]) is a list of named checks:
//!
//! 1. **Queueing theory** ([`queueing`]): family help run as an M/M/c
//!    queue (`scenarios/validation/mmc.toml`) at several loads, its mean
//!    wait and probability of waiting against Erlang C, from exact counts
//!    (minutes waited, families who started after queueing), not the
//!    summary's rounded days. A row passes when the 95% CI of the mean over
//!    replications covers the Erlang C value.
//! 2. **Lever directions** ([`levers`]): reforms written as a `[[policy]]`
//!    dated on the start of the built-in default scenario (run for
//!    [`LEVER_YEARS`] years), each against the unreformed scenario on common
//!    random numbers (replication i of both arms has the same seed, as
//!    `compare` does); a row passes when the 95% CI of the paired difference
//!    ([`crate::analysis::compare::paired`]) excludes zero in the stated direction.
//! 3. **Stationarity** ([`stationarity_default`], [`stationarity_england`]):
//!    with policy unchanged, every published stock (31 March) and flow
//!    (per financial year) has a least-squares trend over the run's
//!    financial years within ±[`STATIONARY_PCT_PER_YEAR`]% of its mean a
//!    year (mean of the replications).
//! 4. **Calibration** ([`calibration`]): the England baseline at a tenth of
//!    its size, last full financial year with a 31 March figure, against
//!    the published 2024/25 figures in [`PUBLISHED`].
//! 5. **A published trial** ([`fgc_trial`]): the family group conference at
//!    pre-proceedings RCT (Taylor et al. 2024), reproduced by the scenario
//!    pair `scenarios/validation/fgc-trial-*.toml` on common random
//!    numbers: each arm's levels and the paired effects against the trial's.
//!
//! Metrics are looked up by their key in the flattened summary
//! ([`crate::analysis::replications::metrics`]); a key that is missing makes its row
//! FAIL with a message naming it (nothing is skipped silently).
//!
//! Runs go through [`run_jobs`] over `--threads` workers and come back in
//! job order, so the output is the same, byte for byte, for any number of
//! threads. Seeds: replication i uses [`replication_seed`]`(`[`BASE_SEED`]`, i)`.
//!
//! To add a check (e.g. a published trial), write a function
//! `fn(&Context) -> Result<Vec<Row>, AnalysisError>` and add it to [`suite`].

use std::collections::BTreeSet;
use std::fmt::Write as _;

use std::path::Path;
use std::sync::OnceLock;

use serde::Serialize;

use crate::analysis::compare::paired;
use crate::analysis::replications::{
    csv_num, metrics, replication_seed, run_jobs, short, to_csv, MetricValues, Stats, Table,
    SEED_DERIVATION,
};
use crate::analysis::summary::Summary;
use crate::analysis::{AnalysisError, Progress};
use crate::engine::log::LogError;
use crate::engine::EventSink;
use crate::model::calendar::{CivilDate, Minute};
use crate::model::event::{Event, FamilyId, Pool};
use crate::model::input::ScenarioInput;
use crate::model::scenario::{NonNegative, PolicyChange, Positive, Scenario};
use crate::model::simulate;
use crate::model::Model;

/// The CSV `--out DIR` writes: one row per check.
pub const VALIDATION_CSV: &str = "validation.csv";
/// The JSON `--out DIR` writes.
pub const VALIDATION_JSON: &str = "validation.json";

/// The base seed of every check's replications.
pub const BASE_SEED: u64 = 1;
/// Years the lever checks run the default scenario for.
pub const LEVER_YEARS: u32 = 5;
/// Replications of each arm of a lever check.
pub const LEVER_REPLICATIONS: usize = 20;
/// Years of the stationarity and calibration runs.
pub const LONG_RUN_YEARS: u32 = 10;
/// Replications of the stationarity and calibration runs.
pub const LONG_RUN_REPLICATIONS: usize = 5;
/// The largest trend a stationary figure may have, % of its mean a year.
pub const STATIONARY_PCT_PER_YEAR: f64 = 2.0;

/// The M/M/c scenario of the queueing check.
pub const MMC_SCENARIO: &str = "scenarios/validation/mmc.toml";
/// The mean service time of the queueing check, in hours. The M/M/c
/// scenario's own hour is stretched to this so that events falling in the
/// same whole minute (arrivals and departures are whole minutes) are rare:
/// with 1-hour services about one arrival in six meets a departure in its
/// minute, and the order within the minute moves the share who wait by
/// about 0.01.
pub const MMC_SERVICE_HOURS: f64 = 24.0;
/// Years of each queueing run: as many arrivals as the scenario's one year
/// of 1-hour services would give in 20 / 24 of a year.
pub const MMC_YEARS: u32 = 20;
/// The England baseline, run at a tenth of its size.
pub const ENGLAND_SCENARIO: &str = "scenarios/england-baseline.toml";
/// England's children under 18 (derived in docs/reference/england.md:
/// 402,400 children in need at 330.3 per 10,000).
pub const ENGLAND_CHILDREN: f64 = 12_150_000.0;

/// Where the published figures are written down.
const REFERENCE: &str = "docs/reference/england.md";

// ---------------------------------------------------------------------------
// Rows and checks

/// One claim about the model and whether it holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The kind of check: `queueing`, `levers`, `stationarity`, `calibration`, …
    pub group: &'static str,
    /// What is checked.
    pub check: String,
    /// What the model must show, in words (e.g. `40.10 (CI covers)`).
    pub target: String,
    /// The model's value (mean over replications); NaN when it could not be computed.
    pub value: f64,
    /// Lower end of the value's 95% confidence interval (Student t over replications).
    pub ci95_low: f64,
    /// Upper end of the 95% confidence interval.
    pub ci95_high: f64,
    /// The unit of value and interval.
    pub unit: &'static str,
    /// Replications behind the value.
    pub replications: usize,
    /// Where the target comes from.
    pub source: String,
    /// Whether the claim holds.
    pub pass: bool,
    /// Anything else a reader needs (the metric key used, a missing key, …).
    pub note: String,
}

impl Row {
    /// A failed row for a figure that could not be computed.
    pub fn missing(
        group: &'static str,
        check: String,
        target: String,
        source: &str,
        note: String,
    ) -> Row {
        Row {
            group,
            check,
            target,
            value: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
            unit: "",
            replications: 0,
            source: source.to_string(),
            pass: false,
            note,
        }
    }
}

/// A check: a name and the function that runs it.
#[derive(Clone, Copy)]
pub struct Check {
    /// Its name, for progress and errors.
    pub name: &'static str,
    /// Runs it.
    pub run: fn(&Context) -> Result<Vec<Row>, AnalysisError>,
}

/// What checks share: the options, and runs more than one check uses.
pub struct Context<'a> {
    /// The reduced set (fewer loads and replications).
    pub quick: bool,
    /// Worker threads.
    pub threads: usize,
    /// Told as runs end.
    pub progress: &'a dyn Progress,
    /// The England baseline's long runs, shared by stationarity and calibration.
    england: OnceLock<LongRuns>,
}

impl<'a> Context<'a> {
    /// A context for `threads` workers.
    pub fn new(quick: bool, threads: usize, progress: &'a dyn Progress) -> Context<'a> {
        Context {
            quick,
            threads,
            progress,
            england: OnceLock::new(),
        }
    }

    /// Runs jobs `0..jobs` over the workers, results in job order.
    fn jobs<T: Send>(
        &self,
        label: &str,
        jobs: usize,
        f: impl Fn(usize) -> Result<T, AnalysisError> + Sync,
    ) -> Result<Vec<T>, AnalysisError> {
        self.progress.begin(label, jobs);
        run_jobs(jobs, self.threads, self.progress, f)
    }
}

/// The checks of the suite, in the order they are reported: every check,
/// or with `quick` the reduced set (no England runs).
pub fn suite(quick: bool) -> Vec<Check> {
    let mut checks = vec![
        Check {
            name: "queueing",
            run: queueing,
        },
        Check {
            name: "levers",
            run: levers,
        },
        Check {
            name: "stationarity (default)",
            run: stationarity_default,
        },
        Check {
            name: "FGC trial",
            run: fgc_trial,
        },
    ];
    if !quick {
        checks.push(Check {
            name: "stationarity (England)",
            run: stationarity_england,
        });
        checks.push(Check {
            name: "calibration",
            run: calibration,
        });
    }
    checks
}

// ---------------------------------------------------------------------------
// Scenarios

/// A shipped scenario file: relative to the working directory, else to
/// the source tree this binary was built from.
fn scenario_file(rel: &str) -> Result<ScenarioInput, AnalysisError> {
    let here = Path::new(rel);
    let path = if here.exists() {
        here.to_path_buf()
    } else {
        let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        if !built.exists() {
            return Err(AnalysisError::Invalid(format!(
                "validate needs {rel}: not found in the working directory nor in {}",
                env!("CARGO_MANIFEST_DIR")
            )));
        }
        built
    };
    Ok(ScenarioInput::load(&path)?)
}

/// `input` with its scenario edited by `edit`, validated and written back
/// as text (so the text is the scenario that runs); `label` names it.
fn edited(
    input: &ScenarioInput,
    label: &str,
    edit: impl FnOnce(&mut Scenario),
) -> Result<ScenarioInput, AnalysisError> {
    let mut scenario = input.scenario.clone();
    edit(&mut scenario);
    let source = format!("{} ({label})", input.source);
    let text = toml::to_string(&scenario)
        .map_err(|e| AnalysisError::Invalid(format!("{source}: cannot write it as TOML: {e}")))?;
    Ok(ScenarioInput::from_text(&text, &source)?)
}

/// A nested TOML table from dotted keys: `[("family_help.fte", 52.5.into())]`.
fn changes(pairs: Vec<(&str, toml::Value)>) -> toml::Table {
    let mut out = toml::Table::new();
    for (path, value) in pairs {
        let mut at = &mut out;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at.insert(part.to_string(), value.clone());
            } else {
                at = at
                    .entry(part.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .expect("dotted keys name tables");
            }
        }
    }
    out
}

/// The England baseline at a tenth of its size (as `tests/calibration.rs`
/// builds it): a tenth of the children, staff and budgets, the same rates.
pub fn england_tenth() -> Result<ScenarioInput, AnalysisError> {
    let input = scenario_file(ENGLAND_SCENARIO)?;
    edited(&input, "a tenth of England", |s| {
        s.area.children /= 10;
        s.scale_staff_and_budgets(|x| x / 10.0);
        s.years = LONG_RUN_YEARS;
    })
}

/// The first day after a run of `s` (its horizon as a date).
fn run_end(s: &Scenario) -> Option<CivilDate> {
    s.start.plus_days(i64::from(s.years) * 365)
}

// ---------------------------------------------------------------------------
// 1. Queueing theory

/// Erlang C for arrival rate `lambda`, service rate `mu` (per the same unit
/// of time) and `c` servers: (probability of waiting, mean wait in queue in
/// that unit). NaN at or above full load.
pub fn erlang_c(lambda: f64, mu: f64, c: u32) -> (f64, f64) {
    let a = lambda / mu;
    let cf = f64::from(c);
    if c == 0 || a >= cf {
        return (f64::NAN, f64::NAN);
    }
    let mut term = 1.0; // a^k / k!
    let mut below = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        below += term;
    }
    let top = term * a / cf * cf / (cf - a);
    let p_wait = top / (below + top);
    (p_wait, p_wait / (cf * mu - lambda))
}

/// Counts families who started family help after joining its waiting list.
#[derive(Default)]
struct WaitSink {
    queued: BTreeSet<FamilyId>,
    started_after_waiting: u64,
}

impl EventSink<Event> for WaitSink {
    fn record(&mut self, _: Minute, event: &Event) -> Result<(), LogError> {
        match *event {
            Event::FamilyHelpQueued { family } => {
                self.queued.insert(family);
            }
            Event::FamilyHelpStarted { family } if self.queued.remove(&family) => {
                self.started_after_waiting += 1;
            }
            _ => {}
        }
        Ok(())
    }
}

/// One M/M/c replication: exact minutes waited, families who started, and
/// those who started after queueing; and a disagreement with the summary's
/// own exact fields, when it has them.
struct QueueRun {
    wait_minutes: u64,
    started: u64,
    waited: u64,
    summary_disagrees: Option<String>,
}

fn queue_run(input: &ScenarioInput, seed: u64) -> Result<QueueRun, AnalysisError> {
    let model = Model::new(input.scenario.clone(), seed);
    let mut sink = WaitSink::default();
    let (state, m) = simulate(&model, &mut sink)?;
    let run = QueueRun {
        wait_minutes: m.wait_minutes,
        started: m.total(|p| p.family_help_started),
        waited: sink.started_after_waiting,
        summary_disagrees: None,
    };
    // When the summary carries the exact totals, they must agree with the events.
    let summary = Summary::new(&input.scenario, &input.source, seed, &m, &state);
    let values = metrics(&summary, None).map_err(AnalysisError::Invalid)?;
    let mut disagree = Vec::new();
    for (key, exact) in [
        ("family_help.wait_minutes_total", run.wait_minutes),
        ("family_help.started_after_waiting", run.waited),
    ] {
        if let Some(x) = lookup(&values, key) {
            if x != exact as f64 {
                disagree.push(format!("summary {key} = {x}, events give {exact}"));
            }
        }
    }
    Ok(QueueRun {
        summary_disagrees: (!disagree.is_empty()).then(|| disagree.join("; ")),
        ..run
    })
}

/// Loads of the queueing check: (loads, replications per load).
fn queue_plan(quick: bool) -> (&'static [f64], usize) {
    if quick {
        (&[0.8, 0.9], 10)
    } else {
        (&[0.5, 0.8, 0.9], 20)
    }
}

/// Family help as an M/M/c queue at loads ρ = λ / (c μ) against Erlang C:
/// mean wait (minutes) and probability of waiting, each passing when the
/// 95% CI of the replications' mean covers the Erlang C value. The load
/// is set by the arrival rate; c and μ are the scenario's.
pub fn queueing(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    let base = scenario_file(MMC_SCENARIO)?;
    let (loads, reps) = queue_plan(ctx.quick);
    let base = edited(
        &base,
        &format!("{MMC_SERVICE_HOURS}-hour services, {MMC_YEARS} years"),
        |s| {
            s.family_help.support_weeks_mean = Positive(MMC_SERVICE_HOURS / (7.0 * 24.0));
            s.years = MMC_YEARS;
        },
    )?;
    let s = &base.scenario;
    let c = s.family_help.capacity();
    let service_hours = s.family_help.support_weeks_mean.get() * 7.0 * 24.0;
    let mu = 1.0 / service_hours; // per hour
    let inputs = loads
        .iter()
        .map(|&rho| {
            let lambda = rho * f64::from(c) * mu; // per hour
            edited(&base, &format!("load {rho}"), |s| {
                let per_year = lambda * 24.0 * 365.0;
                s.area.new_referrals_per_10k_children =
                    NonNegative(per_year * 10_000.0 / s.area.children as f64);
            })
            .map(|input| (rho, lambda, input))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let runs = ctx.jobs("queueing", inputs.len() * reps, |j| {
        let (_, _, input) = &inputs[j / reps];
        queue_run(input, replication_seed(BASE_SEED, (j % reps) as u64))
    })?;
    let mut rows = Vec::new();
    for (k, (rho, lambda, _)) in inputs.iter().enumerate() {
        let runs = &runs[k * reps..(k + 1) * reps];
        let (p_wait, wait_hours) = erlang_c(*lambda, mu, c);
        let wait = Stats::of(
            &runs
                .iter()
                .map(|r| r.wait_minutes as f64 / r.started.max(1) as f64)
                .collect::<Vec<_>>(),
        );
        let waited = Stats::of(
            &runs
                .iter()
                .map(|r| r.waited as f64 / r.started.max(1) as f64)
                .collect::<Vec<_>>(),
        );
        let disagreement: Vec<String> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.summary_disagrees
                    .as_ref()
                    .map(|d| format!("replication {i}: {d}"))
            })
            .collect();
        let how = format!(
            "λ = {} a day, μ = {} a day, c = {c}; exact minutes waited and families who started after queueing, from the events",
            short(lambda * 24.0),
            short(mu * 24.0)
        );
        for (what, stats, target, unit) in [
            ("mean wait before help", wait, wait_hours * 60.0, "minutes"),
            ("probability of waiting", waited, p_wait, "share"),
        ] {
            let covers = stats.ci95_low <= target && target <= stats.ci95_high;
            let mut note = how.clone();
            if !disagreement.is_empty() {
                let _ = write!(note, "; the summary disagrees: {}", disagreement.join("; "));
            }
            rows.push(Row {
                group: "queueing",
                check: format!("M/M/{c} at ρ = {rho}: {what}"),
                target: format!("{} (CI covers)", fixed(target)),
                value: stats.mean,
                ci95_low: stats.ci95_low,
                ci95_high: stats.ci95_high,
                unit,
                replications: stats.n,
                source: "Erlang C".to_string(),
                pass: covers && disagreement.is_empty(),
                note,
            });
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// 2. Lever directions

/// Which way a lever must move a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The reform arm's value is higher: the CI of B − A is above zero.
    Up,
    /// The reform arm's value is lower: the CI of B − A is below zero.
    Down,
}

/// One expected effect of a lever: the metric key to look at, and while
/// that key is not in the summary yet, named stand-ins (each with its own
/// direction). The first key the runs have is used; if none is there, the
/// row fails naming the first.
pub struct Effect {
    /// Metric keys, preferred first, each with its direction.
    pub keys: &'static [(&'static str, Direction)],
}

/// A reform: a policy dated on the scenario's start, and what it must do.
pub struct Lever {
    /// What it is.
    pub name: &'static str,
    /// The policy's parameters (dotted keys), from the unreformed scenario.
    pub policy: fn(&Scenario) -> Vec<(&'static str, toml::Value)>,
    /// The effects it must have.
    pub effects: &'static [Effect],
}

use Direction::{Down, Up};

/// Effects of less family help: more enquiries, plans and care entries.
const LESS_HELP: &[Effect] = &[
    Effect {
        keys: &[("child_protection.s47_enquiries", Up)],
    },
    Effect {
        keys: &[("child_protection.plans_started", Up)],
    },
    Effect {
        keys: &[("care.entries_per_10k_children_per_year", Up)],
    },
];

/// Effects of more family help: fewer enquiries, plans and care entries.
const MORE_HELP: &[Effect] = &[
    Effect {
        keys: &[("child_protection.s47_enquiries", Down)],
    },
    Effect {
        keys: &[("child_protection.plans_started", Down)],
    },
    Effect {
        keys: &[("care.entries_per_10k_children_per_year", Down)],
    },
];

/// The lever checks.
pub const LEVERS: &[Lever] = &[
    Lever {
        name: "family help capacity −30% (family_help.fte × 0.7)",
        policy: |s| vec![("family_help.fte", (s.family_help.fte.get() * 0.7).into())],
        effects: LESS_HELP,
    },
    Lever {
        name: "family help capacity +30% (family_help.fte × 1.3)",
        policy: |s| vec![("family_help.fte", (s.family_help.fte.get() * 1.3).into())],
        effects: MORE_HELP,
    },
    Lever {
        name:
            "FGDM offered before every proceedings (offer_before_proceedings = 1, coordinators × 5)",
        policy: |s| {
            vec![
                ("family_network.offer_before_proceedings", 1.0.into()),
                (
                    "family_network.coordinators_fte",
                    (s.family_network.coordinators_fte.get() * 5.0).into(),
                ),
            ]
        },
        effects: &[
            Effect {
                keys: &[
                    ("care.proceedings_issued", Down),
                    ("child_protection.plans_to_proceedings", Down),
                ],
            },
            Effect {
                keys: &[("care.kinship_arrangements_outside_care", Up)],
            },
        ],
    },
    Lever {
        name: "child protection social workers −30% (child_protection.fte × 0.7)",
        policy: |s| {
            vec![(
                "child_protection.fte",
                (s.child_protection.fte.get() * 0.7).into(),
            )]
        },
        effects: &[Effect {
            keys: &[
                ("child_protection.mean_working_days_to_conference", Up),
                (
                    "child_protection.conferences_within_15_working_days_pct",
                    Down,
                ),
            ],
        }],
    },
    Lever {
        name: "family help budget −30%, rationed (budget.family_help × 0.7, when_spent = ration)",
        policy: |s| {
            vec![
                (
                    "budget.family_help.pounds_per_year",
                    (s.budget.family_help.pounds_per_year.get() * 0.7).into(),
                ),
                ("budget.family_help.when_spent", "ration".into()),
            ]
        },
        effects: LESS_HELP,
    },
    Lever {
        name: "agency premium capped (social worker pools: agency_premium 0.2)",
        policy: |_| {
            vec![
                ("workforce.front_door.agency_premium", 0.2.into()),
                ("workforce.family_help.agency_premium", 0.2.into()),
                ("workforce.child_protection.agency_premium", 0.2.into()),
            ]
        },
        effects: &[Effect {
            keys: &[("budget.family_help_staff.spent_pence", Down)],
        }],
    },
    Lever {
        name: "no agency workers under three years qualified (social worker pools: early_career_agency_barred, agency_early_career_share 0.4)",
        policy: |_| {
            vec![
                ("workforce.front_door.agency_early_career_share", 0.4.into()),
                ("workforce.front_door.early_career_agency_barred", true.into()),
                ("workforce.family_help.agency_early_career_share", 0.4.into()),
                ("workforce.family_help.early_career_agency_barred", true.into()),
                ("workforce.child_protection.agency_early_career_share", 0.4.into()),
                ("workforce.child_protection.early_career_agency_barred", true.into()),
            ]
        },
        effects: &[
            Effect {
                keys: &[("workforce.child_protection.vacant_at_end", Up)],
            },
            Effect {
                keys: &[("budget.family_help_staff.spent_pence", Down)],
            },
        ],
    },
    Lever {
        name: "mentoring for care leavers (care.leaving_care: half mentored, 30% of those without a lasting relationship gain one)",
        policy: |_| {
            vec![
                ("care.leaving_care.mentoring_share", 0.5.into()),
                ("care.leaving_care.mentoring_lasting_relationship", 0.3.into()),
            ]
        },
        effects: &[
            Effect {
                keys: &[("care.care_leavers_lasting_relationship_pct", Up)],
            },
            Effect {
                keys: &[("care.leaving_care_spend_pence", Up)],
            },
        ],
    },
    Lever {
        name: "staying put for more care leavers (care.leaving_care.staying_put_share 0.55 → 0.8)",
        policy: |_| vec![("care.leaving_care.staying_put_share", 0.8.into())],
        effects: &[
            Effect {
                keys: &[("care.staying_put_started", Up)],
            },
            Effect {
                keys: &[("care.leaving_care_spend_pence", Up)],
            },
        ],
    },
    Lever {
        name: "kinship carers' support (care.kinship_support: £60 a child a week, 25% more kin take the child, 30% fewer breakdowns)",
        policy: |_| {
            vec![
                ("care.kinship_support.weekly_pounds_per_child", 60.0.into()),
                ("care.kinship_support.more_kin_take_the_child", 0.25.into()),
                ("care.kinship_support.fewer_breakdowns", 0.3.into()),
            ]
        },
        effects: &[
            Effect {
                keys: &[("care.kinship_share_pct", Up)],
            },
            Effect {
                keys: &[("care.kinship_sustained_12_months_pct", Up)],
            },
            Effect {
                keys: &[("care.agency_foster_share_pct", Down)],
            },
        ],
    },
    Lever {
        name: "foster carer recruitment ×2 (placements.in_house_foster_approved_per_10k_children_per_year × 2)",
        policy: |s| {
            let approved = s.placements.as_ref().map_or(0.0, |p| {
                p.in_house_foster_approved_per_10k_children_per_year.get()
            });
            vec![(
                "placements.in_house_foster_approved_per_10k_children_per_year",
                (approved * 2.0).into(),
            )]
        },
        effects: &[
            Effect {
                keys: &[("care.in_house_foster_places_at_end", Up)],
            },
            Effect {
                keys: &[("care.agency_foster_share_pct", Down)],
            },
            Effect {
                keys: &[("care.placed_out_of_area_pct", Down)],
            },
            Effect {
                keys: &[("care.placement_spend_pence", Down)],
            },
        ],
    },
];

/// The default scenario as the levers run it: built in, [`LEVER_YEARS`] years.
pub fn lever_baseline() -> Result<ScenarioInput, AnalysisError> {
    edited(
        &ScenarioInput::builtin(),
        &format!("{LEVER_YEARS} years"),
        |s| s.years = LEVER_YEARS,
    )
}

/// `baseline` with `lever`'s policy dated on its start date.
pub fn reformed(baseline: &ScenarioInput, lever: &Lever) -> Result<ScenarioInput, AnalysisError> {
    let table = changes((lever.policy)(&baseline.scenario));
    edited(baseline, lever.name, |s| {
        s.policy.push(PolicyChange {
            date: s.start,
            note: lever.name.to_string(),
            changes: table,
        })
    })
}

/// Each reform in [`LEVERS`] against the unreformed default scenario, on
/// common random numbers ([`LEVER_REPLICATIONS`] replications of
/// [`LEVER_YEARS`] years): one row per expected effect, passing when the
/// 95% CI of the paired difference excludes zero in the stated direction.
pub fn levers(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    let baseline = lever_baseline()?;
    let mut arms = vec![baseline.clone()];
    for lever in LEVERS {
        arms.push(reformed(&baseline, lever)?);
    }
    let reps = LEVER_REPLICATIONS;
    let runs = ctx.jobs("levers", arms.len() * reps, |j| {
        let seed = replication_seed(BASE_SEED, (j % reps) as u64);
        crate::analysis::replications::run_one(&arms[j / reps], seed, None)
    })?;
    let table = |arm: usize| Table::new(&runs[arm * reps..(arm + 1) * reps]);
    let a = table(0);
    let none = Table::default();
    let mut rows = Vec::new();
    for (k, lever) in LEVERS.iter().enumerate() {
        let diffs = paired(&a, &table(k + 1), &none);
        for effect in lever.effects {
            let (first, _) = effect.keys[0];
            let found = effect.keys.iter().enumerate().find_map(|(i, (key, dir))| {
                diffs
                    .iter()
                    .find(|d| d.metric == *key && d.n > 0)
                    .map(|d| (i, *key, *dir, d))
            });
            let Some((i, key, dir, d)) = found else {
                let (_, dir) = effect.keys[0];
                rows.push(Row::missing(
                    "levers",
                    format!("{}: {first}", lever.name),
                    direction_target(dir).to_string(),
                    "paired difference, common random numbers",
                    format!("metric `{first}` is not in the summary"),
                ));
                continue;
            };
            let pass = match dir {
                Up => d.diff.ci95_low > 0.0,
                Down => d.diff.ci95_high < 0.0,
            };
            let mut note = format!(
                "B − A on {} pairs; A mean {}, B mean {}",
                d.n,
                short(d.mean_a),
                short(d.mean_b)
            );
            if i > 0 {
                let _ = write!(
                    note,
                    "; `{first}` is not in the summary yet: stand-in `{key}`"
                );
            }
            rows.push(Row {
                group: "levers",
                check: format!("{}: {key}", lever.name),
                target: direction_target(dir).to_string(),
                value: d.diff.mean,
                ci95_low: d.diff.ci95_low,
                ci95_high: d.diff.ci95_high,
                unit: "B − A",
                replications: d.n,
                source: "paired difference, common random numbers".to_string(),
                pass,
                note,
            });
        }
    }
    Ok(rows)
}

fn direction_target(dir: Direction) -> &'static str {
    match dir {
        Up => "B − A > 0 (CI above 0)",
        Down => "B − A < 0 (CI below 0)",
    }
}

// ---------------------------------------------------------------------------
// Financial years in the flattened metrics

/// The value of `key`, if the run has it.
fn lookup(values: &MetricValues, key: &str) -> Option<f64> {
    values.iter().find(|(k, _)| k == key).map(|(_, x)| *x)
}

/// A financial-year figure: `by_financial_year.PERIOD.FIELD`, or the sum of
/// its labelled parts (`FIELD.kinship_family_and_friends`, …); None when
/// the run does not have it (a 31 March outside the run).
fn fy_value(values: &MetricValues, period: &str, field: &str) -> Option<f64> {
    let key = format!("by_financial_year.{period}.{field}");
    if let Some(x) = lookup(values, &key) {
        return Some(x);
    }
    let prefix = format!("{key}.");
    let parts: Vec<f64> = values
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, x)| *x)
        .collect();
    (!parts.is_empty()).then(|| parts.iter().sum())
}

/// The financial years a run's metrics have, in order (`2024-25`, …).
fn fy_periods(values: &MetricValues) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, _) in values {
        if let Some(rest) = k.strip_prefix("by_financial_year.") {
            if let Some((period, _)) = rest.split_once('.') {
                if !out.iter().any(|p| p == period) {
                    out.push(period.to_string());
                }
            }
        }
    }
    out
}

/// Whether financial year `period` (`2024-25`: 1 April 2024 to 31 March
/// 2025) lies wholly inside a run of `s`.
fn whole_year(s: &Scenario, period: &str) -> bool {
    let Some(first) = period
        .split_once('-')
        .and_then(|(y, _)| y.parse::<i32>().ok())
        .and_then(|y| CivilDate::new(y, 4, 1))
    else {
        return false;
    };
    let Some(next) = CivilDate::new(first.year() + 1, 4, 1) else {
        return false;
    };
    first >= s.start && run_end(s).is_some_and(|end| next <= end)
}

/// Runs `input` [`LONG_RUN_REPLICATIONS`] times and keeps their metrics.
fn long_runs(ctx: &Context, label: &str, input: &ScenarioInput) -> Result<LongRuns, AnalysisError> {
    let runs = ctx.jobs(label, LONG_RUN_REPLICATIONS, |i| {
        crate::analysis::replications::run_one(input, replication_seed(BASE_SEED, i as u64), None)
    })?;
    Ok(LongRuns {
        scenario: input.scenario.clone(),
        runs,
    })
}

/// Replications of one scenario, kept for more than one check.
#[derive(Clone)]
struct LongRuns {
    scenario: Scenario,
    runs: Vec<MetricValues>,
}

impl Context<'_> {
    /// The England baseline at a tenth, run once for every check that needs it.
    fn england(&self) -> Result<&LongRuns, AnalysisError> {
        if let Some(r) = self.england.get() {
            return Ok(r);
        }
        let runs = long_runs(self, "England (a tenth)", &england_tenth()?)?;
        Ok(self.england.get_or_init(|| runs))
    }
}

// ---------------------------------------------------------------------------
// 3. Stationarity

/// A stock (at 31 March) or flow (in the financial year) the DfE publishes.
struct Series {
    label: &'static str,
    /// The `by_financial_year` field (summed over its parts if labelled).
    field: &'static str,
    stock: bool,
}

const SERIES: &[Series] = &[
    Series {
        label: "referrals",
        field: "referrals",
        stock: false,
    },
    Series {
        label: "section 47 enquiries",
        field: "s47_enquiries",
        stock: false,
    },
    Series {
        label: "initial conferences",
        field: "conferences",
        stock: false,
    },
    Series {
        label: "plans started",
        field: "plans_started",
        stock: false,
    },
    Series {
        label: "care entries",
        field: "care_entries",
        stock: false,
    },
    Series {
        label: "care exits",
        field: "care_exits",
        stock: false,
    },
    Series {
        label: "on a plan at 31 March",
        field: "on_plan_at_end",
        stock: true,
    },
    Series {
        label: "looked after at 31 March",
        field: "looked_after_at_end",
        stock: true,
    },
    Series {
        label: "in family help at 31 March",
        field: "in_family_help_at_end",
        stock: true,
    },
    Series {
        label: "waiting for family help at 31 March",
        field: "waiting_for_help_at_end",
        stock: true,
    },
];

/// The least-squares slope of `ys` against 0, 1, 2, …
fn slope(ys: &[f64]) -> f64 {
    let n = ys.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mx;
        sxy += dx * (y - my);
        sxx += dx * dx;
    }
    sxy / sxx
}

/// Stationarity rows of `runs`, labelled `which`: per series, the
/// least-squares trend over the financial years as % of the mean a year.
fn stationarity_rows(which: &str, runs: &LongRuns) -> Vec<Row> {
    let first = runs.runs.first().cloned().unwrap_or_default();
    let periods = fy_periods(&first);
    let mut rows = Vec::new();
    for series in SERIES {
        let check = format!("{which}: {}", series.label);
        let target = format!("trend within ±{STATIONARY_PCT_PER_YEAR}%/yr of the mean");
        let source = "policy unchanged: holds still";
        // Flows: whole financial years; stocks: the years with a 31 March.
        let years: Vec<&String> = periods
            .iter()
            .filter(|p| {
                if series.stock {
                    fy_value(&first, p, series.field).is_some()
                } else {
                    whole_year(&runs.scenario, p)
                }
            })
            .collect();
        if years.len() < 3 {
            rows.push(Row::missing(
                "stationarity",
                check,
                target,
                source,
                format!(
                    "`by_financial_year.*.{}` has {} usable financial years; a trend needs 3",
                    series.field,
                    years.len()
                ),
            ));
            continue;
        }
        let mut per_run: Vec<Vec<f64>> = Vec::new();
        let mut missing = None;
        for run in &runs.runs {
            let mut ys = Vec::new();
            for p in &years {
                match fy_value(run, p, series.field) {
                    Some(y) => ys.push(y),
                    None => missing = Some(format!("by_financial_year.{p}.{}", series.field)),
                }
            }
            per_run.push(ys);
        }
        if let Some(key) = missing {
            rows.push(Row::missing(
                "stationarity",
                check,
                target,
                source,
                format!("metric `{key}` is not in every replication"),
            ));
            continue;
        }
        let n = per_run.len() as f64;
        let mean_series: Vec<f64> = (0..years.len())
            .map(|t| per_run.iter().map(|ys| ys[t]).sum::<f64>() / n)
            .collect();
        let level = mean_series.iter().sum::<f64>() / mean_series.len() as f64;
        let trend = |ys: &[f64]| {
            let b = slope(ys);
            if level > 0.0 {
                b / level * 100.0
            } else if b == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        };
        let stats = Stats::of(&per_run.iter().map(|ys| trend(ys)).collect::<Vec<_>>());
        let value = trend(&mean_series);
        rows.push(Row {
            group: "stationarity",
            check,
            target,
            value,
            ci95_low: stats.ci95_low,
            ci95_high: stats.ci95_high,
            unit: "%/yr",
            replications: runs.runs.len(),
            source: source.to_string(),
            pass: value.abs() <= STATIONARY_PCT_PER_YEAR,
            note: format!(
                "mean {} a year over {} to {} ({} years, mean of {} replications)",
                short(level),
                years[0],
                years[years.len() - 1],
                years.len(),
                runs.runs.len()
            ),
        });
    }
    rows
}

/// The built-in default scenario, run for [`LONG_RUN_YEARS`] years with
/// policy unchanged, holds still: every published stock and flow has a
/// trend within ±[`STATIONARY_PCT_PER_YEAR`]% of its mean a year.
pub fn stationarity_default(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    let input = edited(
        &ScenarioInput::builtin(),
        &format!("{LONG_RUN_YEARS} years"),
        |s| s.years = LONG_RUN_YEARS,
    )?;
    let runs = long_runs(ctx, "stationarity (default)", &input)?;
    Ok(stationarity_rows("default", &runs))
}

/// The England baseline at a tenth of its size holds still (as
/// [`stationarity_default`]).
pub fn stationarity_england(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    Ok(stationarity_rows("England (a tenth)", ctx.england()?))
}

// ---------------------------------------------------------------------------
// 4. Calibration

/// How a published figure is compared.
#[derive(Clone, Copy, Debug)]
pub enum Published {
    /// A count for England in the year: compared per 10,000 children,
    /// within ± this fraction.
    CountPer10k(f64, f64),
    /// A percentage, within ± this fraction of it.
    Percent(f64, f64),
    /// A percentage, within ± this many percentage points.
    PercentPoints(f64, f64),
    /// A published range of percentages the model must lie inside.
    Range(f64, f64),
}

/// One published figure: what it is, how the model's value is computed
/// from a financial year's metrics, the figure, and its source.
pub struct Figure {
    /// What it measures.
    pub measure: &'static str,
    /// The model's value in financial year `period` (None: a key is missing,
    /// named in the error).
    pub model: fn(&MetricValues, &str, f64) -> Result<f64, String>,
    /// The published figure and the tolerance.
    pub published: Published,
    /// Where it is published.
    pub source: &'static str,
}

fn need(values: &MetricValues, period: &str, field: &str) -> Result<f64, String> {
    fy_value(values, period, field)
        .ok_or_else(|| format!("metric `by_financial_year.{period}.{field}` is not in the summary"))
}

fn per_10k(values: &MetricValues, period: &str, field: &str, children: f64) -> Result<f64, String> {
    Ok(need(values, period, field)? / children * 10_000.0)
}

/// The share of a year's entries to care in the given parts of an
/// indexed entry count (`care_entries_by_legal_status.4`, …), %.
fn entry_share(
    values: &MetricValues,
    period: &str,
    field: &str,
    parts: &[usize],
) -> Result<f64, String> {
    let mut part = 0.0;
    for i in parts {
        part += need(values, period, &format!("{field}.{i}"))?;
    }
    Ok(part / need(values, period, "care_entries")? * 100.0)
}

/// Social workers: the family help and child protection pools.
const SOCIAL_WORKERS: [Pool; 2] = [Pool::FamilyHelp, Pool::ChildProtection];

/// A staff figure summed over the social worker pools: `FIELD.POOL` (e.g.
/// `staff_left.1`), or with `part`, `FIELD.POOL.PART` (`staff_at_end.1.agency`).
fn staff(
    values: &MetricValues,
    period: &str,
    field: &str,
    part: Option<&str>,
) -> Result<f64, String> {
    SOCIAL_WORKERS
        .iter()
        .map(|&p| {
            let key = match part {
                Some(part) => format!("{field}.{}.{part}", p as usize),
                None => format!("{field}.{}", p as usize),
            };
            need(values, period, &key)
        })
        .sum()
}

/// The published figures of the calibration check, England 2024/25 (and
/// the workforce at 30 September 2023 and 2024), from
/// `docs/reference/england.md`.
pub const PUBLISHED: &[Figure] = &[
    Figure {
        measure: "referrals per 10,000 children",
        model: |v, p, c| per_10k(v, p, "referrals", c),
        published: Published::CountPer10k(632_830.0, 0.10),
        source: "England 2024/25: 632,830; DfE Children in need",
    },
    Figure {
        measure: "re-referred within 12 months, %",
        model: |v, p, _| {
            Ok(need(v, p, "rereferrals_within_12_months")? / need(v, p, "referrals")? * 100.0)
        },
        published: Published::Percent(22.6, 0.10),
        source: "England 2024/25: 22.6%; DfE Children in need",
    },
    Figure {
        measure: "section 47 enquiries per 10,000 children",
        model: |v, p, c| per_10k(v, p, "s47_enquiries", c),
        published: Published::CountPer10k(230_590.0, 0.10),
        source: "England 2024/25: 230,590; DfE Children in need",
    },
    Figure {
        measure: "initial conferences per 10,000 children",
        model: |v, p, c| per_10k(v, p, "conferences", c),
        published: Published::CountPer10k(72_100.0, 0.10),
        source: "England 2024/25: 72,100; DfE Children in need",
    },
    Figure {
        measure: "plans started per 10,000 children",
        model: |v, p, c| per_10k(v, p, "plans_started", c),
        published: Published::CountPer10k(61_840.0, 0.10),
        source: "England 2024/25: 61,840; DfE Children in need",
    },
    Figure {
        measure: "on a plan at 31 March per 10,000 children",
        model: |v, p, c| per_10k(v, p, "on_plan_at_end", c),
        published: Published::CountPer10k(49_420.0, 0.10),
        source: "England 31 March 2025: 49,420; DfE Children in need",
    },
    Figure {
        measure: "started to be looked after per 10,000 children",
        model: |v, p, c| per_10k(v, p, "care_entries", c),
        published: Published::CountPer10k(32_270.0, 0.10),
        source: "England 2024/25: 32,270; DfE Children looked after",
    },
    Figure {
        measure: "ceased to be looked after per 10,000 children",
        model: |v, p, c| per_10k(v, p, "care_exits", c),
        published: Published::CountPer10k(34_450.0, 0.10),
        source: "England 2024/25: 34,450; DfE Children looked after",
    },
    Figure {
        measure: "entries under section 20, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_legal_status", &[4]),
        published: Published::PercentPoints(56.5, 5.0),
        source: "England 2024/25: 18,240 of 32,270 (with unaccompanied children); DfE Children looked after",
    },
    Figure {
        measure: "entries under an interim or full care order or placement order, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_legal_status", &[2, 3, 5]),
        published: Published::PercentPoints(31.7, 5.0),
        source: "England 2024/25: 10,030 interim, 190 full care orders, about 10 placement orders of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries under police protection or an emergency protection order, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_legal_status", &[0, 1]),
        published: Published::PercentPoints(10.2, 5.0),
        source: "England 2024/25: 2,920 police protection, 370 emergency protection orders of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries aged under 1, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_age", &[0]),
        published: Published::PercentPoints(15.9, 5.0),
        source: "England 2024/25: 5,140 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries aged 1 to 4, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_age", &[1]),
        published: Published::PercentPoints(13.7, 5.0),
        source: "England 2024/25: 4,430 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries aged 5 to 9, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_age", &[2]),
        published: Published::PercentPoints(15.2, 5.0),
        source: "England 2024/25: 4,920 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries aged 10 to 15, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_age", &[3]),
        published: Published::PercentPoints(26.8, 5.0),
        source: "England 2024/25: 8,660 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries aged 16 and over, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_age", &[4]),
        published: Published::PercentPoints(28.2, 5.0),
        source: "England 2024/25: 9,110 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "entries of unaccompanied asylum-seeking children, % of entries",
        model: |v, p, _| entry_share(v, p, "care_entries_by_route", &[3]),
        published: Published::PercentPoints(21.5, 5.0),
        source: "England 2024/25: 6,950 of 32,270; DfE Children looked after",
    },
    Figure {
        measure: "looked after at 31 March per 10,000 children",
        model: |v, p, c| per_10k(v, p, "looked_after_at_end", c),
        published: Published::CountPer10k(81_770.0, 0.10),
        source: "England 31 March 2025: 81,770; DfE Children looked after",
    },
    Figure {
        measure: "looked after with kin at 31 March, %",
        model: |v, p, _| {
            Ok(
                need(v, p, "looked_after_at_end.kinship_family_and_friends")?
                    / need(v, p, "looked_after_at_end")?
                    * 100.0,
            )
        },
        published: Published::PercentPoints(16.0, 5.0),
        source: "England 2024: about 16% in kinship foster care; DfE Children looked after",
    },
    Figure {
        measure: "social worker turnover, %",
        model: |v, p, _| {
            Ok(
                staff(v, p, "staff_left", None)? / staff(v, p, "staff_at_end", Some("permanent"))?
                    * 100.0,
            )
        },
        published: Published::Range(13.8, 15.9),
        source: "England 2024 13.8%, 2023 15.9%; DfE Children's social work workforce",
    },
    Figure {
        measure: "agency share of social workers, %",
        model: |v, p, _| {
            let agency = staff(v, p, "staff_at_end", Some("agency"))?;
            Ok(agency / (agency + staff(v, p, "staff_at_end", Some("permanent"))?) * 100.0)
        },
        published: Published::Range(15.9, 17.8),
        source:
            "England 2024 about 15.9% (derived), 2023 17.8%; DfE Children's social work workforce",
    },
];

impl Published {
    /// The target in words, in the model's unit.
    pub fn target(self) -> String {
        match self {
            Published::CountPer10k(count, tol) => format!(
                "{} ± {}%",
                fixed(count / ENGLAND_CHILDREN * 10_000.0),
                tol * 100.0
            ),
            Published::Percent(t, tol) => format!("{} ± {}%", fixed(t), tol * 100.0),
            Published::PercentPoints(t, pp) => format!("{} ± {pp} pp", fixed(t)),
            Published::Range(lo, hi) => format!("{lo} to {hi}"),
        }
    }

    /// How far the model's value `x` is from the figure, in words.
    pub fn gap(self, x: f64) -> String {
        match self {
            Published::CountPer10k(count, _) => {
                format!(
                    "{:+.1}%",
                    (x / (count / ENGLAND_CHILDREN * 10_000.0) - 1.0) * 100.0
                )
            }
            Published::Percent(t, _) => format!("{:+.1}%", (x / t - 1.0) * 100.0),
            Published::PercentPoints(t, _) => format!("{:+.1} pp", x - t),
            Published::Range(lo, hi) => {
                if x < lo {
                    format!("{:.1} pp below the range", lo - x)
                } else if x > hi {
                    format!("{:.1} pp above the range", x - hi)
                } else {
                    "inside the range".to_string()
                }
            }
        }
    }

    /// Whether the model's value `x` meets the target.
    pub fn meets(self, x: f64) -> bool {
        match self {
            Published::CountPer10k(count, tol) => {
                (x / (count / ENGLAND_CHILDREN * 10_000.0) - 1.0).abs() <= tol
            }
            Published::Percent(t, tol) => (x / t - 1.0).abs() <= tol,
            Published::PercentPoints(t, pp) => (x - t).abs() <= pp,
            Published::Range(lo, hi) => lo <= x && x <= hi,
        }
    }
}

/// The England baseline at a tenth of its size ([`LONG_RUN_REPLICATIONS`]
/// replications of [`LONG_RUN_YEARS`] years), in its last whole financial
/// year with a 31 March figure, against each figure in [`PUBLISHED`]: the
/// mean over replications within the tolerance.
pub fn calibration(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    let england = ctx.england()?;
    let first = england.runs.first().cloned().unwrap_or_default();
    let period = fy_periods(&first).into_iter().rev().find(|p| {
        whole_year(&england.scenario, p) && fy_value(&first, p, "on_plan_at_end").is_some()
    });
    let children = england.scenario.area.children as f64;
    let mut rows = Vec::new();
    for fig in PUBLISHED {
        let target = fig.published.target();
        let Some(period) = &period else {
            rows.push(Row::missing(
                "calibration",
                fig.measure.to_string(),
                target,
                fig.source,
                "the run has no whole financial year with a 31 March figure".to_string(),
            ));
            continue;
        };
        let values: Result<Vec<f64>, String> = england
            .runs
            .iter()
            .map(|run| (fig.model)(run, period, children))
            .collect();
        let values = match values {
            Ok(v) => v,
            Err(e) => {
                rows.push(Row::missing(
                    "calibration",
                    format!("{} ({period})", fig.measure),
                    target,
                    fig.source,
                    e,
                ));
                continue;
            }
        };
        let stats = Stats::of(&values);
        let pass = fig.published.meets(stats.mean);
        rows.push(Row {
            group: "calibration",
            check: format!("{} ({period})", fig.measure),
            target,
            value: stats.mean,
            ci95_low: stats.ci95_low,
            ci95_high: stats.ci95_high,
            unit: if fig.measure.contains('%') { "%" } else { "per 10,000" },
            replications: stats.n,
            source: fig.source.to_string(),
            pass,
            note: format!(
                "{} from the published figure; England baseline at a tenth ({} children), {LONG_RUN_YEARS} years; figures in {REFERENCE}",
                fig.published.gap(stats.mean),
                england.scenario.area.children
            ),
        });
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// A published trial

/// The usual-practice arm of the family group conference trial.
pub const FGC_USUAL: &str = "scenarios/validation/fgc-trial-usual.toml";
/// The family group conference arm.
pub const FGC_ARM: &str = "scenarios/validation/fgc-trial-fgc.toml";
/// Where the trial is published.
const FGC_SOURCE: &str =
    "Taylor et al. 2024, British Journal of Social Work, doi:10.1093/bjsw/bcae035 (21 councils, 1,511 families)";

/// One replication of a trial arm: shares of the cohort and days in care
/// per child over the 12 months after the letter before proceedings.
fn fgc_outcomes(values: &MetricValues) -> Result<[f64; 3], String> {
    let get = |key: &str| {
        lookup(values, key).ok_or_else(|| format!("metric `{key}` is not in the summary"))
    };
    // Proceedings are issued for a family; the trial counts children
    // looked after and their days in care.
    let cohort = get("starting_caseload")?;
    let children = get("starting_caseload_children")?;
    if cohort <= 0.0 || children <= 0.0 {
        return Err("the trial scenario has no cohort (starting_caseload.pre_proceedings)".into());
    }
    let looked_after: f64 = values
        .iter()
        .filter(|(k, _)| k.starts_with("care.looked_after_at_end."))
        .map(|(_, x)| *x)
        .sum();
    Ok([
        get("care.proceedings_issued")? / cohort * 100.0,
        looked_after / children * 100.0,
        get("care.child_days_in_care")? / children,
    ])
}

/// The family group conference at pre-proceedings trial (Taylor et al.
/// 2024): the scenario pair [`FGC_USUAL`] and [`FGC_ARM`] on common random
/// numbers. Each arm's proceedings issued, looked after 12 months after the
/// letter (±5 points) and days in care (±20%) against the trial's, and the
/// paired effects: differences within ±4 points of the published ones and
/// the ratio of days in care within ±20% of 87 / 115. The effect comes only
/// from the model's family-network parameters (see the scenario files).
pub fn fgc_trial(ctx: &Context) -> Result<Vec<Row>, AnalysisError> {
    let usual = scenario_file(FGC_USUAL)?;
    let fgc = scenario_file(FGC_ARM)?;
    let reps = if ctx.quick { 10 } else { LEVER_REPLICATIONS };
    let runs = ctx.jobs("FGC trial", reps * 2, |j| {
        let input = if j % 2 == 0 { &usual } else { &fgc };
        crate::analysis::replications::run_one(
            input,
            replication_seed(BASE_SEED, (j / 2) as u64),
            None,
        )
    })?;
    let mut arms: [Vec<[f64; 3]>; 2] = [Vec::new(), Vec::new()];
    for (j, values) in runs.iter().enumerate() {
        match fgc_outcomes(values) {
            Ok(o) => arms[j % 2].push(o),
            Err(e) => {
                return Ok(vec![Row::missing(
                    "published trial",
                    "FGC trial outcomes".into(),
                    "the trial's outcomes".into(),
                    FGC_SOURCE,
                    e,
                )])
            }
        }
    }
    let column = |arm: usize, k: usize| arms[arm].iter().map(|o| o[k]).collect::<Vec<f64>>();
    let mut rows = Vec::new();
    let mut row = |check: String,
                   target: String,
                   stats: Stats,
                   unit: &'static str,
                   pass: bool,
                   note: String| {
        rows.push(Row {
            group: "published trial",
            check,
            target,
            value: stats.mean,
            ci95_low: stats.ci95_low,
            ci95_high: stats.ci95_high,
            unit,
            replications: stats.n,
            source: FGC_SOURCE.to_string(),
            pass,
            note,
        })
    };
    // Levels of each arm.
    let published = [[71.7, 44.8, 115.0], [59.2, 36.2, 87.0]];
    let names = [
        "care proceedings issued, %",
        "looked after 12 months after the letter, %",
        "days in care in the 12 months, per child",
    ];
    for (arm, label) in [(0, "usual practice"), (1, "FGC")] {
        for k in 0..3 {
            let stats = Stats::of(&column(arm, k));
            let target = published[arm][k];
            let (text, pass) = if k == 2 {
                (
                    format!("{} ± 20%", fixed(target)),
                    (stats.mean / target - 1.0).abs() <= 0.20,
                )
            } else {
                (
                    format!("{} ± 5 pp", fixed(target)),
                    (stats.mean - target).abs() <= 5.0,
                )
            };
            row(
                format!("{label} arm: {}", names[k]),
                text,
                stats,
                if k == 2 { "days" } else { "%" },
                pass,
                "a cohort of 5,000 families sent the letter before proceedings, followed 12 months"
                    .into(),
            );
        }
    }
    // Paired effects.
    for k in 0..2 {
        let d: Vec<f64> = arms[1]
            .iter()
            .zip(&arms[0])
            .map(|(b, a)| b[k] - a[k])
            .collect();
        let stats = Stats::of(&d);
        let target = published[1][k] - published[0][k];
        row(
            format!(
                "effect of FGC: {} (FGC − usual), pp",
                names[k].trim_end_matches(", %")
            ),
            format!("{target:+.1} ± 4 pp"),
            stats,
            "pp",
            (stats.mean - target).abs() <= 4.0,
            "paired on common random numbers".into(),
        );
    }
    let ratios: Vec<f64> = arms[1]
        .iter()
        .zip(&arms[0])
        .map(|(b, a)| b[2] / a[2])
        .collect();
    let stats = Stats::of(&ratios);
    let target = 87.0 / 115.0;
    row(
        "effect of FGC: days in care, FGC / usual".into(),
        format!("{} ± 20%", fixed(target)),
        stats,
        "ratio",
        (stats.mean / target - 1.0).abs() <= 0.20,
        "paired on common random numbers; the trial's window for days in care is taken as the 12 months after the letter".into(),
    );
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Running and reporting

/// The rows of a suite and what they add up to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The reduced set.
    pub quick: bool,
    /// Every row, in check order.
    pub rows: Vec<Row>,
}

impl Report {
    /// Rows that pass.
    pub fn passed(&self) -> usize {
        self.rows.iter().filter(|r| r.pass).count()
    }

    /// Rows that fail.
    pub fn failed(&self) -> usize {
        self.rows.len() - self.passed()
    }

    /// `N passed, M failed`.
    pub fn summary_line(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }

    /// The table a reader sees.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "familyflow {} — validation ({}) · base seed {BASE_SEED} · {SEED_DERIVATION}",
            crate::VERSION,
            if self.quick { "quick set" } else { "full set" }
        );
        let mut group = "";
        for r in &self.rows {
            if r.group != group {
                group = r.group;
                let _ = writeln!(
                    o,
                    "\n{:<6}{:<78}{:>28}{:>36}  source",
                    "", group, "target", "model (95% CI)"
                );
            }
            let model = if r.value.is_nan() {
                "–".to_string()
            } else {
                format!(
                    "{} ({})",
                    fixed(r.value),
                    if r.ci95_low.is_nan() {
                        "–".to_string()
                    } else {
                        format!("{} to {}", fixed(r.ci95_low), fixed(r.ci95_high))
                    }
                )
            };
            let _ = writeln!(
                o,
                "{:<6}{:<78}{:>28}{:>36}  {}",
                if r.pass { "PASS" } else { "FAIL" },
                r.check,
                r.target,
                model,
                r.source
            );
            if !r.pass && !r.note.is_empty() {
                let _ = writeln!(o, "{:<6}  ↳ {}", "", r.note);
            }
        }
        let _ = writeln!(o, "\n{}", self.summary_line());
        o
    }

    /// `validation.csv`: one row per check, stable column names.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut rows = vec![[
            "group",
            "check",
            "target",
            "value",
            "ci95_low",
            "ci95_high",
            "unit",
            "replications",
            "result",
            "source",
            "note",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
        for r in &self.rows {
            rows.push(vec![
                r.group.to_string(),
                r.check.clone(),
                r.target.clone(),
                csv_num(r.value),
                csv_num(r.ci95_low),
                csv_num(r.ci95_high),
                r.unit.to_string(),
                r.replications.to_string(),
                if r.pass { "pass" } else { "fail" }.to_string(),
                r.source.clone(),
                r.note.clone(),
            ]);
        }
        to_csv(rows)
    }

    /// `validation.json`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            familyflow: &'a str,
            quick: bool,
            base_seed: u64,
            seed_derivation: &'a str,
            passed: usize,
            failed: usize,
            checks: &'a [Row],
        }
        let mut text = serde_json::to_string_pretty(&Json {
            familyflow: crate::VERSION,
            quick: self.quick,
            base_seed: BASE_SEED,
            seed_derivation: SEED_DERIVATION,
            passed: self.passed(),
            failed: self.failed(),
            checks: &self.rows,
        })
        .expect("rows serialise");
        text.push('\n');
        text
    }
}

/// Runs `checks` in order and gathers their rows.
pub fn run_checks(checks: &[Check], ctx: &Context) -> Result<Report, AnalysisError> {
    let mut rows = Vec::new();
    for check in checks {
        let more = (check.run)(ctx).map_err(|e| {
            AnalysisError::Invalid(format!(
                "validation check `{}` could not run: {e}",
                check.name
            ))
        })?;
        rows.extend(more);
    }
    Ok(Report {
        quick: ctx.quick,
        rows,
    })
}

/// A number for the table: 2 decimals below 100, 1 below 10,000, else whole.
fn fixed(x: f64) -> String {
    if x.is_nan() {
        return "–".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    let a = x.abs();
    let s = if a >= 10_000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    };
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_known_values() {
        // λ = 9, μ = 1, c = 10: Wq = 0.6687 hours (40.1 minutes).
        let (p, w) = erlang_c(9.0, 1.0, 10);
        assert!((w * 60.0 - 40.12).abs() < 0.01, "{w}");
        assert!((p - 0.6687).abs() < 0.001, "{p}");
        // c = 1 is M/M/1: P(wait) = ρ, Wq = ρ / (μ − λ).
        let (p, w) = erlang_c(0.5, 1.0, 1);
        assert!((p - 0.5).abs() < 1e-12 && (w - 1.0).abs() < 1e-12);
        assert!(erlang_c(10.0, 1.0, 10).0.is_nan());
    }

    #[test]
    fn slopes_and_changes() {
        assert!((slope(&[1.0, 2.0, 3.0, 4.0]) - 1.0).abs() < 1e-12);
        assert_eq!(slope(&[5.0, 5.0, 5.0]), 0.0);
        let t = changes(vec![
            ("a.b", 1.0.into()),
            ("a.c", "x".into()),
            ("d", 2.into()),
        ]);
        assert_eq!(t.to_string(), "d = 2\n\n[a]\nb = 1.0\nc = \"x\"\n");
    }

    #[test]
    fn financial_years() {
        let s = Scenario::default_scenario();
        assert!(whole_year(&s, "2024-25"));
        assert!(whole_year(&s, "2025-26"));
        // Three 365-day years from 1 April 2024 end on 31 March 2027 (no 29
        // February in between); ten end two days before 31 March 2034.
        assert!(whole_year(&s, "2026-27"));
        assert!(!whole_year(&s, "2027-28"));
        let mut ten = s.clone();
        ten.years = 10;
        assert!(whole_year(&ten, "2032-33"));
        assert!(!whole_year(&ten, "2033-34"));
        assert!(!whole_year(&s, "2023-24"));
        let v: MetricValues = vec![
            ("by_financial_year.2024-25.x.a".into(), 1.0),
            ("by_financial_year.2024-25.x.b".into(), 2.0),
            ("by_financial_year.2025-26.x".into(), 4.0),
        ];
        assert_eq!(fy_value(&v, "2024-25", "x"), Some(3.0));
        assert_eq!(fy_value(&v, "2025-26", "x"), Some(4.0));
        assert_eq!(fy_value(&v, "2025-26", "y"), None);
        assert_eq!(fy_periods(&v), ["2024-25", "2025-26"]);
    }
}
