//! `familyflow compare`: scenarios run on common random numbers, paired
//! differences with confidence intervals, the variance reduction that common
//! random numbers bring (measured), and a family-by-family counterfactual.
//!
//! # Paired differences
//!
//! Replication `i` of every scenario runs with the same seed
//! ([`replication_seed`]`(N, i)`), so each family keeps its random draws
//! across scenarios. For every metric and every scenario B after the first
//! (A), `d_i = B_i − A_i`; the report gives the mean of `d` with its 95%
//! confidence interval (Student t, n − 1 degrees of freedom).
//!
//! # Variance-reduction factor
//!
//! Each B is also run on *independent* seeds ([`independent_seed`]`(N, i)`),
//! giving `e_i = B'_i − A_i` (the same A runs). The factor reported per metric
//! is `var(e) / var(d)`, both sample variances over the replications: how
//! many times more replications independent seeds would need for the same
//! precision. It is undefined (`–`, JSON `null`) when both variances are 0,
//! and infinite (`∞`, JSON `null`, CSV `inf`) when only `var(d)` is 0.
//!
//! # Family by family
//!
//! The first replication of A and of each B is run with a sink that keeps,
//! per family, the milestones it reached (family help, enquiry, plan,
//! proceedings, family-led plan, care, placement with kin, …) and a running
//! hash of its events — streamed, so memory follows the number of families,
//! not events. Families are matched by id (the n-th new family referred);
//! with common random numbers they are the same families.

use std::fmt::Write as _;

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::analysis::fan::{self, Fans, MonthlySeries, ScenarioFans};
use crate::analysis::region::run_region;
use crate::analysis::replications::{
    csv_num, fold_jobs, independent_seed, metrics, metrics_estimate, region_metrics_estimate,
    replication_seed, to_csv, worker_threads, CsvOut, MemoryEstimate, MetricValues, Runs, Stats,
    Table, WarmUp, SEED_DERIVATION,
};
use crate::analysis::snapshot::{run_sharing, shared_until};
use crate::analysis::summary::{thousands, Summary};
use crate::analysis::{run, AnalysisError, Progress};
use crate::engine::log::LogError;
use crate::engine::EventSink;
use crate::model::calendar::{Calendar, Minute};
use crate::model::event::{Event, FamilyId, Placement, Timed, TriageDecision};
use crate::model::input::ScenarioInput;
use crate::model::region::RegionInput;
use crate::model::scenario::ScenarioError;
use crate::model::Model;

/// What a comparison compares: scenarios of one council, or regions.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A council's scenario.
    Scenario(Box<ScenarioInput>),
    /// A region of councils (see [`crate::model::region`]).
    Region(RegionInput),
}

impl Subject {
    /// A scenario or region file (a region file lists `members`); read
    /// with the scenario files' cap, whichever it is.
    pub fn load(path: &std::path::Path) -> Result<Subject, ScenarioError> {
        if RegionInput::is_region_file(path) {
            Ok(Subject::Region(RegionInput::load(path)?))
        } else {
            Ok(Subject::Scenario(Box::new(ScenarioInput::load(path)?)))
        }
    }

    /// Its file.
    pub fn source(&self) -> &str {
        match self {
            Subject::Scenario(s) => &s.source,
            Subject::Region(r) => &r.source,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            Subject::Scenario(s) => &s.scenario.name,
            Subject::Region(r) => &r.region.name,
        }
    }

    /// Why `other` cannot be compared with this, if it cannot.
    fn mismatch(&self, other: &Subject) -> Option<String> {
        match (self, other) {
            (Subject::Scenario(a), Subject::Scenario(b)) => {
                a.scenario.differs_in_population(&b.scenario).map(|key| {
                    format!(
                        "{}: its `{key}` differs from {}'s: compared scenarios must share the calendar, the families and the starting caseload (families are matched by id)",
                        b.source, a.source
                    )
                })
            }
            (Subject::Region(a), Subject::Region(b)) => {
                if a.members.len() != b.members.len() {
                    return Some(format!(
                        "{}: {} members where {} has {}: compared regions have the same members",
                        b.source,
                        b.members.len(),
                        a.source,
                        a.members.len()
                    ));
                }
                a.members.iter().zip(&b.members).enumerate().find_map(|(i, (x, y))| {
                    if x.scenario.name != y.scenario.name {
                        return Some(format!(
                            "{}: member {} is {:?} ({}) where {}'s member {} is {:?} ({}): compared regions have the same members, in the same order",
                            b.source,
                            i + 1,
                            y.scenario.name,
                            y.source,
                            a.source,
                            i + 1,
                            x.scenario.name,
                            x.source
                        ));
                    }
                    x.scenario.differs_in_population(&y.scenario).map(|key| {
                        format!(
                            "{}: member {} ({}) differs from {}'s in `{key}`: compared regions have the same members, in the same order",
                            b.source,
                            i + 1,
                            y.source,
                            a.source
                        )
                    })
                })
            }
            _ => Some(format!(
                "{} and {}: a region is compared with regions, a scenario with scenarios",
                self.source(),
                other.source()
            )),
        }
    }
}

/// Paired differences per metric `--out DIR` writes.
pub const COMPARE_CSV: &str = "compare.csv";
/// Everything `compare` reports, as JSON.
pub const COMPARE_JSON: &str = "compare.json";
/// Every run's metrics `--out DIR` writes (one row per run per metric).
pub const COMPARE_REPLICATIONS_CSV: &str = "compare-replications.csv";
/// The family-by-family counts `--out DIR` writes.
pub const COUNTERFACTUAL_CSV: &str = "counterfactual.csv";

// ---------------------------------------------------------------------------
// Family paths

/// A milestone a family can reach during a run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The front door sent it on (to family help or a strategy discussion).
    PastFrontDoor,
    /// Started family help.
    FamilyHelp,
    /// A section 47 enquiry.
    Enquiry,
    /// An initial child protection conference.
    Conference,
    /// A child protection plan.
    Plan,
    /// A plan ended in pre-proceedings / care proceedings.
    Proceedings,
    /// A family group conference made a family-led plan.
    FamilyLedPlan,
    /// A family network support package was paid.
    SupportPackage,
    /// Came into care.
    EnteredCare,
    /// Placed with kin (family and friends) on coming into care.
    PlacedWithKin,
    /// Left care.
    LeftCare,
    /// Referred again after a closure.
    ReReferred,
}

impl Milestone {
    /// All milestones, in report order.
    pub const ALL: [Milestone; 12] = [
        Milestone::PastFrontDoor,
        Milestone::FamilyHelp,
        Milestone::Enquiry,
        Milestone::Conference,
        Milestone::Plan,
        Milestone::Proceedings,
        Milestone::FamilyLedPlan,
        Milestone::SupportPackage,
        Milestone::EnteredCare,
        Milestone::PlacedWithKin,
        Milestone::LeftCare,
        Milestone::ReReferred,
    ];

    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            Milestone::PastFrontDoor => "passed the front door",
            Milestone::FamilyHelp => "started family help",
            Milestone::Enquiry => "section 47 enquiry",
            Milestone::Conference => "initial child protection conference",
            Milestone::Plan => "child protection plan",
            Milestone::Proceedings => "plan ended in care proceedings",
            Milestone::FamilyLedPlan => "family-led plan (FGDM)",
            Milestone::SupportPackage => "support package paid",
            Milestone::EnteredCare => "in care (came in, or on the first day)",
            Milestone::PlacedWithKin => "placed with kin",
            Milestone::LeftCare => "left care",
            Milestone::ReReferred => "referred again",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The milestone an event marks, if any.
    pub fn of(event: &Event) -> Option<Milestone> {
        Some(match event {
            Event::TriageDecided {
                decision: TriageDecision::FamilyHelp | TriageDecision::StrategyDiscussion,
                ..
            } => Milestone::PastFrontDoor,
            Event::FamilyHelpStarted { .. } => Milestone::FamilyHelp,
            Event::S47Started { .. } => Milestone::Enquiry,
            Event::ConferenceHeld { .. } => Milestone::Conference,
            Event::PlanStarted { .. } => Milestone::Plan,
            Event::PlanEnded {
                step_down: false, ..
            } => Milestone::Proceedings,
            Event::FgdmHeld { .. } => Milestone::FamilyLedPlan,
            Event::FnspPaid { .. } => Milestone::SupportPackage,
            Event::EnteredCare { .. }
            | Event::FamilyOpened {
                placement: Some(_), ..
            } => Milestone::EnteredCare,
            Event::LeftCare { .. } => Milestone::LeftCare,
            Event::FamilyReReferred { .. } => Milestone::ReReferred,
            _ => return None,
        })
    }
}

/// One family's path through a run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyPath {
    /// Events about the family (0: never referred in this run).
    pub events: u32,
    /// Running xxh3 hash of its `(minute, event)` records, encoded as in the log.
    pub hash: u64,
    milestones: u16,
    /// Where it was first placed, if it came into care.
    pub first_placement: Option<Placement>,
}

impl FamilyPath {
    /// True when the family reached `m`.
    pub fn reached(&self, m: Milestone) -> bool {
        self.milestones & m.bit() != 0
    }
}

/// An event sink that reduces a run to each family's path, streaming, and
/// keeps the full history of one family if asked.
#[derive(Debug, Default)]
pub struct PathSink {
    /// Paths by family id.
    pub paths: Vec<FamilyPath>,
    /// The family whose events are kept.
    pub keep: Option<FamilyId>,
    /// Its events.
    pub kept: Vec<Timed>,
    buf: Vec<u8>,
}

impl PathSink {
    /// A sink keeping the events of `keep`, if given.
    pub fn new(keep: Option<FamilyId>) -> Self {
        PathSink {
            keep,
            ..PathSink::default()
        }
    }
}

impl EventSink<Event> for PathSink {
    fn record(&mut self, at: Minute, event: &Event) -> Result<(), LogError> {
        let Some(family) = event.family() else {
            return Ok(());
        };
        let i = family.0 as usize;
        if i >= self.paths.len() {
            self.paths.resize(i + 1, FamilyPath::default());
        }
        self.buf.clear();
        crate::engine::codec::encode_into(&(at, event), &mut self.buf)?;
        let p = &mut self.paths[i];
        p.events += 1;
        p.hash = xxh3_64_with_seed(&self.buf, p.hash);
        if let Some(m) = Milestone::of(event) {
            p.milestones |= m.bit();
        }
        let placed = match event {
            Event::EnteredCare { placement, .. } => Some(placement),
            Event::FamilyOpened {
                placement: Some((placement, _)),
                ..
            } => Some(placement),
            _ => None,
        };
        if let Some(placement) = placed {
            if p.first_placement.is_none() {
                p.first_placement = Some(*placement);
                if *placement == Placement::Kinship {
                    p.milestones |= Milestone::PlacedWithKin.bit();
                }
            }
        }
        if self.keep == Some(family) {
            self.kept.push(Timed {
                at,
                event: event.clone(),
            });
        }
        Ok(())
    }
}

/// A run reduced to family paths, with its summary.
pub struct PathRun {
    /// The summary of the run (as `run` prints it).
    pub summary: Summary,
    /// The sink with the paths.
    pub sink: PathSink,
}

/// Runs `input` with `seed`, reducing it to family paths (and keeping the
/// events of `keep`).
pub fn run_paths(
    input: &ScenarioInput,
    seed: u64,
    keep: Option<FamilyId>,
) -> Result<PathRun, AnalysisError> {
    let model = Model::new(input.scenario.clone(), seed);
    let mut sink = PathSink::new(keep);
    let (state, metrics) = crate::model::simulate(&model, &mut sink)?;
    let summary = Summary::new(&input.scenario, &input.source, seed, &metrics, &state);
    Ok(PathRun { summary, sink })
}

/// How one milestone differs between A and B, in families.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MilestoneDiff {
    /// The milestone.
    pub milestone: Milestone,
    /// Its label.
    pub label: &'static str,
    /// Families that reached it under both.
    pub both: u64,
    /// Under A but not B.
    pub a_only: u64,
    /// Under B but not A.
    pub b_only: u64,
}

/// Where families' paths diverge between A and B on the same seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterfactual {
    /// The seed of both runs.
    pub seed: u64,
    /// Families referred under A.
    pub families_a: u64,
    /// Families referred under B.
    pub families_b: u64,
    /// Referred under both.
    pub in_both: u64,
    /// Families whose event histories (times and events) are identical.
    pub identical: u64,
    /// Families referred under both whose histories differ.
    pub diverged: u64,
    /// Milestone by milestone.
    pub milestones: Vec<MilestoneDiff>,
    /// Came into care under A, stayed at home (never in care) under B.
    pub care_a_home_b: u64,
    /// … of whom had a family-led plan under B.
    pub care_a_home_b_family_led_plan_b: u64,
    /// … of whom had a support package under B.
    pub care_a_home_b_package_b: u64,
    /// Came into care under B, stayed at home under A.
    pub care_b_home_a: u64,
    /// … of whom were placed with kin under B.
    pub care_b_home_a_kin_b: u64,
    /// In care under both, first placed differently.
    pub placement_differs: u64,
    /// … with kin under B, not under A.
    pub kin_b_not_a: u64,
    /// … with kin under A, not under B.
    pub kin_a_not_b: u64,
}

/// Compares two runs' family paths.
pub fn counterfactual(seed: u64, a: &[FamilyPath], b: &[FamilyPath]) -> Counterfactual {
    let none = FamilyPath::default();
    let mut c = Counterfactual {
        seed,
        families_a: 0,
        families_b: 0,
        in_both: 0,
        identical: 0,
        diverged: 0,
        milestones: Milestone::ALL
            .iter()
            .map(|m| MilestoneDiff {
                milestone: *m,
                label: m.label(),
                both: 0,
                a_only: 0,
                b_only: 0,
            })
            .collect(),
        care_a_home_b: 0,
        care_a_home_b_family_led_plan_b: 0,
        care_a_home_b_package_b: 0,
        care_b_home_a: 0,
        care_b_home_a_kin_b: 0,
        placement_differs: 0,
        kin_b_not_a: 0,
        kin_a_not_b: 0,
    };
    for i in 0..a.len().max(b.len()) {
        let pa = a.get(i).unwrap_or(&none);
        let pb = b.get(i).unwrap_or(&none);
        let (in_a, in_b) = (pa.events > 0, pb.events > 0);
        c.families_a += u64::from(in_a);
        c.families_b += u64::from(in_b);
        if in_a && in_b {
            c.in_both += 1;
            if pa.events == pb.events && pa.hash == pb.hash {
                c.identical += 1;
            } else {
                c.diverged += 1;
            }
        }
        for d in &mut c.milestones {
            match (pa.reached(d.milestone), pb.reached(d.milestone)) {
                (true, true) => d.both += 1,
                (true, false) => d.a_only += 1,
                (false, true) => d.b_only += 1,
                (false, false) => {}
            }
        }
        let (care_a, care_b) = (
            pa.reached(Milestone::EnteredCare),
            pb.reached(Milestone::EnteredCare),
        );
        match (care_a, care_b) {
            (true, false) => {
                c.care_a_home_b += 1;
                c.care_a_home_b_family_led_plan_b +=
                    u64::from(pb.reached(Milestone::FamilyLedPlan));
                c.care_a_home_b_package_b += u64::from(pb.reached(Milestone::SupportPackage));
            }
            (false, true) => {
                c.care_b_home_a += 1;
                c.care_b_home_a_kin_b += u64::from(pb.reached(Milestone::PlacedWithKin));
            }
            (true, true) if pa.first_placement != pb.first_placement => {
                c.placement_differs += 1;
                let kin = |p: &FamilyPath| p.first_placement == Some(Placement::Kinship);
                c.kin_b_not_a += u64::from(kin(pb) && !kin(pa));
                c.kin_a_not_b += u64::from(kin(pa) && !kin(pb));
            }
            _ => {}
        }
    }
    c
}

impl Counterfactual {
    /// The counts as `(category, count)` rows, for CSV and text.
    pub fn rows(&self) -> Vec<(String, u64)> {
        let mut r = vec![
            ("families in the run under A".to_string(), self.families_a),
            ("families in the run under B".to_string(), self.families_b),
            ("families in both runs".to_string(), self.in_both),
            ("  identical event histories".to_string(), self.identical),
            ("  histories that differ".to_string(), self.diverged),
        ];
        for d in &self.milestones {
            r.push((format!("{}: under A only", d.label), d.a_only));
            r.push((format!("{}: under B only", d.label), d.b_only));
        }
        r.extend([
            (
                "came into care under A, stayed at home under B".to_string(),
                self.care_a_home_b,
            ),
            (
                "  of whom had a family-led plan under B".to_string(),
                self.care_a_home_b_family_led_plan_b,
            ),
            (
                "  of whom had a support package under B".to_string(),
                self.care_a_home_b_package_b,
            ),
            (
                "came into care under B, stayed at home under A".to_string(),
                self.care_b_home_a,
            ),
            (
                "  of whom were placed with kin under B".to_string(),
                self.care_b_home_a_kin_b,
            ),
            (
                "in care under both, first placed differently".to_string(),
                self.placement_differs,
            ),
            (
                "  with kin under B, not under A".to_string(),
                self.kin_b_not_a,
            ),
            (
                "  with kin under A, not under B".to_string(),
                self.kin_a_not_b,
            ),
        ]);
        r
    }

    /// The counts as a text table, appended to `o`.
    pub fn to_text(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "  {:<52}{:>12}{:>12}{:>12}",
            "milestone reached (families)", "A only", "B only", "both"
        );
        for d in &self.milestones {
            let _ = writeln!(
                o,
                "  {:<52}{:>12}{:>12}{:>12}",
                d.label,
                thousands(d.a_only),
                thousands(d.b_only),
                thousands(d.both)
            );
        }
        let _ = writeln!(o);
        for (what, n) in self.rows() {
            if what.contains(": under ") {
                continue;
            }
            let _ = writeln!(o, "  {what:<52}{:>12}", thousands(n));
        }
    }
}

// ---------------------------------------------------------------------------
// One family side by side

use crate::analysis::export::stamp;
use crate::analysis::text::printable;

/// An event line without the family (the header names it).
fn line(cal: &Calendar, t: &Timed) -> String {
    let text = t.event.to_string();
    let text = match t.event.family() {
        Some(f) => text.replacen(&format!(" family={f}"), "", 1),
        None => text,
    };
    format!("{}  {}", stamp(cal, t.at), text.trim_end())
}

/// Pairs two histories by their longest common subsequence (equal time and
/// event), so a row is either shared or in one history only.
fn align(a: &[Timed], b: &[Timed]) -> Vec<(Option<usize>, Option<usize>)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 4_000_000 {
        // Too long to align: pair by position.
        return (0..n.max(m))
            .map(|i| ((i < n).then_some(i), (i < m).then_some(i)))
            .collect();
    }
    let mut l = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[at(i, j)] = if a[i] == b[j] {
                l[at(i + 1, j + 1)] + 1
            } else {
                l[at(i + 1, j)].max(l[at(i, j + 1)])
            };
        }
    }
    // Walk the common subsequence; between two shared rows, set the rows
    // found in one history only side by side.
    let (mut i, mut j) = (0, 0);
    let mut rows = Vec::new();
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let flush = |rows: &mut Vec<(Option<usize>, Option<usize>)>,
                 only_a: &mut Vec<usize>,
                 only_b: &mut Vec<usize>| {
        for k in 0..only_a.len().max(only_b.len()) {
            rows.push((only_a.get(k).copied(), only_b.get(k).copied()));
        }
        only_a.clear();
        only_b.clear();
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut rows, &mut only_a, &mut only_b);
            rows.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j == m || (i < n && l[at(i + 1, j)] >= l[at(i, j + 1)]) {
            only_a.push(i);
            i += 1;
        } else {
            only_b.push(j);
            j += 1;
        }
    }
    flush(&mut rows, &mut only_a, &mut only_b);
    rows
}

/// One family's two histories side by side; `*` marks rows that differ.
pub fn side_by_side(
    family: FamilyId,
    cal_a: &Calendar,
    a: &[Timed],
    cal_b: &Calendar,
    b: &[Timed],
    names: (&str, &str),
) -> String {
    // Scenario names reach the terminal only through `printable`.
    let names = (printable(names.0), printable(names.1));
    let la: Vec<String> = a.iter().map(|t| line(cal_a, t)).collect();
    let lb: Vec<String> = b.iter().map(|t| line(cal_b, t)).collect();
    let width = la
        .iter()
        .map(|s| s.chars().count())
        .chain([names.0.chars().count() + 3])
        .max()
        .unwrap_or(0);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Family {family}: {} and {} events (* marks rows that differ; shared rows are matched by time and event)",
        a.len(),
        b.len()
    );
    if a.is_empty() && b.is_empty() {
        let _ = writeln!(o, "  (not referred in either run)");
        return o;
    }
    let pad = |s: &str| format!("{s}{}", " ".repeat(width - s.chars().count().min(width)));
    let _ = writeln!(o, "  {} | B: {}", pad(&format!("A: {}", names.0)), names.1);
    for (i, j) in align(a, b) {
        let left = i.map_or("", |i| la[i].as_str());
        let right = j.map_or("", |j| lb[j].as_str());
        let same = matches!((i, j), (Some(i), Some(j)) if a[i] == b[j]);
        let mark = if same { ' ' } else { '*' };
        let row = format!("{mark} {} | {right}", pad(left));
        let _ = writeln!(o, "{}", row.trim_end());
    }
    o
}

// ---------------------------------------------------------------------------
// The command

/// A comparison to make: replications on common seeds, from a base seed.
#[derive(Clone, Debug)]
pub struct CompareSpec {
    /// Replications per scenario (at least 2).
    pub replications: u32,
    /// The base seed.
    pub seed: u64,
    /// Worker threads (None: every core).
    pub threads: Option<usize>,
    /// A warm-up excluded from the metrics.
    pub warm_up: Option<WarmUp>,
    /// Keep this family's whole histories (first replication) for a side-by-side view.
    pub family: Option<u32>,
}

/// A paired comparison of one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDiff {
    /// The metric.
    pub metric: String,
    /// Pairs (replications where both have the metric).
    pub n: usize,
    /// Mean under A.
    pub mean_a: f64,
    /// Mean under B.
    pub mean_b: f64,
    /// B − A on common random numbers.
    pub diff: Stats,
    /// B − A with B on independent seeds.
    pub diff_independent: Stats,
    /// var(independent difference) / var(common-random-numbers difference).
    pub variance_reduction_factor: f64,
}

/// B against A.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// A's file.
    pub a: String,
    /// B's file.
    pub b: String,
    /// B's scenario name.
    pub b_name: String,
    /// Per metric.
    pub metrics: Vec<MetricDiff>,
    /// Family by family, first replication (None for regions: families
    /// are matched within one council's run).
    pub families: Option<Counterfactual>,
}

/// Paired differences of metric tables `b` − `a` (rows are replications),
/// with `b_indep` the independent-seed runs of B.
pub fn paired(a: &Table, b: &Table, b_indep: &Table) -> Vec<MetricDiff> {
    let mut names: Vec<&String> = a.names().iter().collect();
    for n in b.names() {
        if a.index(n).is_none() {
            names.push(n);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let col = |t: &Table| -> Vec<Option<f64>> {
                let m = t.index(name);
                (0..t.len()).map(|r| m.and_then(|m| t.get(r, m))).collect()
            };
            let (va, vb, vi) = (col(a), col(b), col(b_indep));
            let pairs = |other: &[Option<f64>]| -> Vec<f64> {
                va.iter()
                    .zip(other)
                    .filter_map(|(x, y)| Some((*y)? - (*x)?))
                    .collect()
            };
            let d = pairs(&vb);
            let e = pairs(&vi);
            let mean = |v: &[Option<f64>]| {
                Stats::of(&v.iter().flatten().copied().collect::<Vec<_>>()).mean
            };
            let (sd, se) = (Stats::of(&d), Stats::of(&e));
            // Differences that vary only in their last bits (figures the
            // summary rounds) have no variance.
            let noise = |s: &Stats, v: &[f64]| {
                let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
                if s.sd <= 1e-9 * scale {
                    0.0
                } else {
                    s.sd * s.sd
                }
            };
            let (vd, ve) = (noise(&sd, &d), noise(&se, &e));
            let factor = if vd > 0.0 {
                ve / vd
            } else if ve > 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            };
            MetricDiff {
                metric: name.clone(),
                n: d.len(),
                mean_a: mean(&va),
                mean_b: mean(&vb),
                diff: sd,
                diff_independent: se,
                variance_reduction_factor: factor,
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seeds {
    Common,
    Independent,
}

struct Job {
    scenario: usize,
    seeds: Seeds,
    replication: u32,
    /// Every scenario on the common seed, their common part run once (see
    /// [`shared_prefix`]); `scenario` is 0.
    shared: bool,
}

impl Job {
    /// Job `j` of a comparison of `k` scenarios: replication by
    /// replication, every scenario on the common seed, then each later one
    /// on the independent seed (so the first replication of each scenario,
    /// the slow one with paths, comes first). When the runs on a common
    /// seed share their beginning, replications after the first run them
    /// in one job.
    fn nth(j: usize, k: usize, shared: bool) -> Job {
        let per = 2 * k - 1;
        let (replication, i, shared) = if shared && j >= per {
            // Per later replication: the shared job, then the independent runs.
            let (j, first) = (j - per, (j - per).is_multiple_of(k));
            (
                (1 + j / k) as u32,
                if first { 0 } else { k - 1 + j % k },
                first,
            )
        } else {
            ((j / per) as u32, j % per, false)
        };
        if i < k {
            Job {
                scenario: i,
                seeds: Seeds::Common,
                replication,
                shared,
            }
        } else {
            Job {
                scenario: i - k + 1,
                seeds: Seeds::Independent,
                replication,
                shared,
            }
        }
    }

    /// Jobs of `r` replications of `k` scenarios.
    fn count(r: usize, k: usize, shared: bool) -> usize {
        if shared {
            (2 * k - 1) + r.saturating_sub(1) * k
        } else {
            r * (2 * k - 1)
        }
    }
}

/// The minute before which every scenario's run on a seed is, event for
/// event, the first scenario's (`snapshot::shared_until`): a comparison
/// runs that part once a replication and branches every scenario from it.
/// None for regions, or when some scenario differs within the first week.
pub fn shared_prefix(inputs: &[Subject]) -> Option<Minute> {
    let Some(Subject::Scenario(first)) = inputs.first() else {
        return None;
    };
    if inputs.len() < 2 {
        return None;
    }
    inputs[1..].iter().try_fold(Minute::MAX, |at, b| match b {
        Subject::Scenario(b) => shared_until(&first.scenario, &b.scenario).map(|m| at.min(m)),
        Subject::Region(_) => None,
    })
}

struct JobOut {
    scenario: usize,
    seeds: Seeds,
    seed: u64,
    metrics: MetricValues,
    paths: Option<PathSink>,
    /// On common seeds, a scenario's monthly series for the fan charts.
    monthly: Option<MonthlySeries>,
    /// The months of A's first replication.
    months: Option<Vec<String>>,
}

/// What a comparison found: every run, the paired differences of each
/// later scenario against the first, and the counterfactual.
pub struct Compared {
    /// The scenarios' sources and names, in order (A first).
    pub scenarios: Vec<(String, String)>,
    /// Per scenario, the runs on common seeds, in replication order.
    pub common: Vec<Runs>,
    /// Per scenario, the runs on independent seeds (none for A).
    pub independent: Vec<Runs>,
    /// Each later scenario against A.
    pub comparisons: Vec<Comparison>,
    /// Per scenario, the kept family's events in the first replication.
    pub kept: Vec<Vec<Timed>>,
    /// The seed of the first replication.
    pub seed0: u64,
    /// Per month, the deciles across replications of headline series, per
    /// scenario (None for regions).
    pub fans: Option<Fans>,
    /// Runs made.
    pub runs: usize,
    /// The minute before which each replication's runs on the common seed
    /// were one run, branched there (see [`shared_prefix`]).
    pub shared_until: Option<Minute>,
    /// Worker threads used.
    pub threads: usize,
}

/// Checks a comparison before any run: two inputs or more that can be
/// compared, at least two replications, options that fit the inputs, and
/// an estimated memory ([`compare_memory_estimate`]) within
/// [`MAX_REPLICATIONS_BYTES`](crate::analysis::replications::MAX_REPLICATIONS_BYTES)
/// unless forced (`--force`).
pub fn check(inputs: &[Subject], spec: &CompareSpec) -> Result<(), AnalysisError> {
    if inputs.len() < 2 {
        return Err(AnalysisError::Invalid(
            "compare needs at least two scenario files".to_string(),
        ));
    }
    if spec.replications < 2 {
        return Err(AnalysisError::Invalid(
            "--replications must be at least 2 for differences with confidence intervals"
                .to_string(),
        ));
    }
    for input in inputs.iter().skip(1) {
        if let Some(why) = inputs[0].mismatch(input) {
            return Err(AnalysisError::Invalid(why));
        }
    }
    let regions = matches!(inputs[0], Subject::Region(_));
    if regions && (spec.warm_up.is_some() || spec.family.is_some()) {
        return Err(AnalysisError::Invalid(
            "--warm-up and --family are for scenarios of one council, not regions".to_string(),
        ));
    }
    let k = inputs.len() as u64;
    compare_memory_estimate(inputs, spec)?.check(
        &format!(
            "--replications {} of {} scenarios",
            spec.replications,
            inputs.len()
        ),
        2 * k - 1,
    )
}

/// The memory a comparison is estimated to need: every run's metrics
/// (each replication runs every scenario on the common seed and each later
/// one on the independent seed), and one run of the largest input per
/// worker thread, two when the runs share their beginning (a snapshot
/// beside the branch; see [`MemoryEstimate`]).
pub fn compare_memory_estimate(
    inputs: &[Subject],
    spec: &CompareSpec,
) -> Result<MemoryEstimate, AnalysisError> {
    let k = inputs.len().max(1) as u64;
    let runs = u64::from(spec.replications) * (2 * k - 1);
    let workers = worker_threads(spec.threads)?.clamp(1, (runs as usize).max(1));
    let (mut metrics, mut run_bytes) = (0, 0.0f64);
    for input in inputs {
        let (m, b) = match input {
            Subject::Scenario(s) => (
                metrics_estimate(&s.scenario, spec.warm_up.is_some()),
                s.scenario.size_estimate().bytes,
            ),
            Subject::Region(r) => (
                region_metrics_estimate(r.members.len()),
                r.members
                    .iter()
                    .map(|m| m.scenario.size_estimate().bytes)
                    .sum(),
            ),
        };
        metrics = metrics.max(m);
        run_bytes = run_bytes.max(b);
    }
    // A run that shares its beginning keeps a snapshot of it beside the
    // branch under way.
    if shared_prefix(inputs).is_some() {
        run_bytes *= 2.0;
    }
    Ok(MemoryEstimate::new(runs, metrics, workers, run_bytes))
}

/// Runs every scenario on the same seeds (and each later one on
/// independent seeds too), telling `progress` as each run ends, and
/// returns the paired differences of each later scenario against the
/// first, the measured variance reduction and a family-by-family
/// counterfactual. The scenarios must share the calendar, the families and
/// the starting caseload. Each run's metrics go into its scenario's table
/// as soon as the runs before it are done; a request estimated beyond
/// [`MAX_REPLICATIONS_BYTES`](crate::analysis::replications::MAX_REPLICATIONS_BYTES)
/// is refused before any run ([`check`]) unless forced (`--force`).
pub fn compare_inputs(
    inputs: &[Subject],
    spec: &CompareSpec,
    progress: &dyn Progress,
) -> Result<Compared, AnalysisError> {
    check(inputs, spec)?;
    let regions = matches!(inputs[0], Subject::Region(_));
    let threads = worker_threads(spec.threads)?;
    let keep = spec.family.map(FamilyId);
    let r = spec.replications as usize;
    let k = inputs.len();
    let shared = shared_prefix(inputs);
    let jobs = Job::count(r, k, shared.is_some());
    progress.begin("compare", jobs);
    // By scenario and seeds, in replication order.
    let mut common: Vec<Runs> = (0..k).map(|_| Runs::with_capacity(r)).collect();
    let mut independent: Vec<Runs> = (0..k)
        .map(|s| Runs::with_capacity(if s == 0 { 0 } else { r }))
        .collect();
    let mut paths: Vec<Option<PathSink>> = (0..k).map(|_| None).collect();
    let mut monthly: Vec<Vec<MonthlySeries>> = (0..k).map(|_| Vec::with_capacity(r)).collect();
    let mut months = Vec::new();
    fold_jobs(
        jobs,
        threads,
        progress,
        |j| -> Result<Vec<JobOut>, AnalysisError> {
            crate::analysis::stop_requested(progress)?;
            let job = Job::nth(j, k, shared.is_some());
            let i = u64::from(job.replication);
            let seed = match job.seeds {
                Seeds::Common => replication_seed(spec.seed, i),
                Seeds::Independent => independent_seed(spec.seed, i),
            };
            let out = |scenario: usize,
                       summary: &Summary,
                       paths: Option<PathSink>|
             -> Result<JobOut, AnalysisError> {
                let named = |e: String| {
                    AnalysisError::Invalid(format!("{}: {e}", inputs[scenario].source()))
                };
                Ok(JobOut {
                    scenario,
                    seeds: job.seeds,
                    seed,
                    metrics: metrics(summary, spec.warm_up.as_ref()).map_err(named)?,
                    paths,
                    monthly: (job.seeds == Seeds::Common).then(|| MonthlySeries::of(summary)),
                    months: (job.seeds == Seeds::Common && job.replication == 0 && scenario == 0)
                        .then(|| fan::months(summary)),
                })
            };
            if let (true, Some(split), Subject::Scenario(first)) = (job.shared, shared, &inputs[0])
            {
                // The common part once, then each scenario from there.
                let others: Vec<&ScenarioInput> = inputs[1..]
                    .iter()
                    .filter_map(|b| match b {
                        Subject::Scenario(b) => Some(&**b),
                        Subject::Region(_) => None,
                    })
                    .collect();
                let (summaries, _) = run_sharing(first, &others, seed, split)
                    .map_err(|(i, e)| e.in_file(inputs[i].source()))?;
                return summaries
                    .iter()
                    .enumerate()
                    .map(|(s, summary)| out(s, summary, None))
                    .collect();
            }
            let input = match &inputs[job.scenario] {
                Subject::Scenario(input) => input,
                Subject::Region(region) => {
                    let done = run_region::<std::io::Sink>(region, seed, None)?;
                    return Ok(vec![JobOut {
                        scenario: job.scenario,
                        seeds: job.seeds,
                        seed,
                        metrics: done.summary.metrics(),
                        paths: None,
                        monthly: None,
                        months: None,
                    }]);
                }
            };
            if job.seeds == Seeds::Common && job.replication == 0 {
                let run = run_paths(input, seed, keep)?;
                Ok(vec![out(job.scenario, &run.summary, Some(run.sink))?])
            } else {
                let done = run::run::<std::io::Sink>(input, seed, None)?;
                Ok(vec![out(job.scenario, &done.summary, None)?])
            }
        },
        |_, outs| {
            for out in outs {
                match out.seeds {
                    Seeds::Common => {
                        if out.paths.is_some() {
                            paths[out.scenario] = out.paths;
                        }
                        if let Some(m) = out.monthly {
                            monthly[out.scenario].push(m);
                        }
                        if let Some(m) = out.months {
                            months = m;
                        }
                        common[out.scenario].push(out.seed, &out.metrics)
                    }
                    Seeds::Independent => independent[out.scenario].push(out.seed, &out.metrics),
                }
            }
        },
    )?;
    // Regions keep no paths.
    let paths: Vec<PathSink> = paths
        .into_iter()
        .map(|p| p.unwrap_or_else(|| PathSink::new(None)))
        .collect();
    let seed0 = common[0].seeds[0];
    let comparisons: Vec<Comparison> = (1..k)
        .map(|b| Comparison {
            a: inputs[0].source().to_string(),
            b: inputs[b].source().to_string(),
            b_name: inputs[b].name().to_string(),
            metrics: paired(&common[0].table, &common[b].table, &independent[b].table),
            families: (!regions).then(|| counterfactual(seed0, &paths[0].paths, &paths[b].paths)),
        })
        .collect();
    let fans = (!regions).then(|| {
        let n = months.len();
        let first = months
            .first()
            .and_then(|m| fan::month_number(m))
            .unwrap_or(0);
        let per: Vec<ScenarioFans> = inputs
            .iter()
            .zip(&monthly)
            .map(|(i, runs)| fan::scenario_fans(i.source(), i.name(), first, n, runs))
            .collect();
        fan::fans(months, per, "replications on common seeds")
    });
    Ok(Compared {
        scenarios: inputs
            .iter()
            .map(|i| (i.source().to_string(), i.name().to_string()))
            .collect(),
        common,
        independent,
        comparisons,
        kept: paths.into_iter().map(|p| p.kept).collect(),
        seed0,
        fans,
        runs: r * (2 * k - 1),
        shared_until: shared,
        threads: threads.min(jobs),
    })
}

#[derive(Serialize)]
struct CompareJson<'a> {
    familyflow: &'a str,
    base_seed: u64,
    replications: u32,
    seed_derivation: &'a str,
    independent_seed_derivation: &'a str,
    variance_reduction_factor: &'a str,
    counterfactual: &'a str,
    warm_up: Option<String>,
    scenarios: Vec<ScenarioJson<'a>>,
    comparisons: &'a [Comparison],
    #[serde(skip_serializing_if = "Option::is_none")]
    fans: Option<&'a Fans>,
}

#[derive(Serialize)]
struct ScenarioJson<'a> {
    source: &'a str,
    name: &'a str,
}

const INDEPENDENT_DERIVATION: &str = "independent replication i uses the (i+1)-th output of SplitMix64 started from the base seed XOR 0x494E444550454E44";
const FACTOR_DEFINITION: &str = "var(B_independent_i - A_i) / var(B_common_i - A_i), sample variances over replications i; null when undefined or infinite";

impl Compared {
    /// Everything as JSON ([`COMPARE_JSON`]).
    pub fn to_json(&self, spec: &CompareSpec) -> String {
        let json = CompareJson {
            familyflow: crate::VERSION,
            base_seed: spec.seed,
            replications: spec.replications,
            seed_derivation: SEED_DERIVATION,
            independent_seed_derivation: INDEPENDENT_DERIVATION,
            variance_reduction_factor: FACTOR_DEFINITION,
            counterfactual: "first replication only (common seed), streamed: each family reduced to its milestones and a hash of its events",
            warm_up: spec.warm_up.as_ref().map(|w| w.to_string()),
            scenarios: self
                .scenarios
                .iter()
                .map(|(source, name)| ScenarioJson { source, name })
                .collect(),
            comparisons: &self.comparisons,
            fans: self.fans.as_ref(),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("comparisons serialise");
        text.push('\n');
        text
    }

    /// Paired differences per metric ([`COMPARE_CSV`]).
    pub fn differences_csv(&self) -> Vec<u8> {
        let header = [
            "scenario_a",
            "scenario_b",
            "metric",
            "n",
            "mean_a",
            "mean_b",
            "diff_mean",
            "diff_sd",
            "diff_ci95_low",
            "diff_ci95_high",
            "independent_diff_mean",
            "independent_diff_sd",
            "independent_diff_ci95_low",
            "independent_diff_ci95_high",
            "variance_reduction_factor",
        ];
        let mut rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
        for c in &self.comparisons {
            for m in &c.metrics {
                rows.push(vec![
                    c.a.clone(),
                    c.b.clone(),
                    m.metric.clone(),
                    m.n.to_string(),
                    csv_num(m.mean_a),
                    csv_num(m.mean_b),
                    csv_num(m.diff.mean),
                    csv_num(m.diff.sd),
                    csv_num(m.diff.ci95_low),
                    csv_num(m.diff.ci95_high),
                    csv_num(m.diff_independent.mean),
                    csv_num(m.diff_independent.sd),
                    csv_num(m.diff_independent.ci95_low),
                    csv_num(m.diff_independent.ci95_high),
                    csv_num(m.variance_reduction_factor),
                ]);
            }
        }
        to_csv(rows)
    }

    /// Every run's metrics ([`COMPARE_REPLICATIONS_CSV`]).
    pub fn runs_csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_runs_csv(&mut out).expect("CSV into memory");
        out
    }

    /// [`Compared::runs_csv`] written into `w` row by row.
    pub fn write_runs_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut csv = CsvOut::new(w);
        csv.row([
            "scenario",
            "seeds",
            "replication",
            "seed",
            "metric",
            "value",
        ])?;
        for (s, (source, _)) in self.scenarios.iter().enumerate() {
            for (name, runs) in [
                ("common", &self.common[s]),
                ("independent", &self.independent[s]),
            ] {
                for (i, seed) in runs.seeds.iter().enumerate() {
                    let (i_text, seed_text) = (i.to_string(), seed.to_string());
                    for (m, x) in runs.table.row(i) {
                        csv.row([
                            source.as_str(),
                            name,
                            i_text.as_str(),
                            seed_text.as_str(),
                            m,
                            csv_num(x).as_str(),
                        ])?;
                    }
                }
            }
        }
        csv.finish()
    }

    /// The family-by-family counts ([`COUNTERFACTUAL_CSV`]).
    pub fn counterfactual_csv(&self) -> Vec<u8> {
        let mut rows = vec![["scenario_a", "scenario_b", "seed", "category", "families"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()];
        for c in &self.comparisons {
            let Some(families) = &c.families else {
                continue;
            };
            for (what, n) in families.rows() {
                rows.push(vec![
                    c.a.clone(),
                    c.b.clone(),
                    families.seed.to_string(),
                    what.trim().to_string(),
                    n.to_string(),
                ]);
            }
        }
        to_csv(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, values: &[f64]) -> Table {
        let runs: Vec<MetricValues> = values
            .iter()
            .map(|&x| vec![(name.to_string(), x)])
            .collect();
        Table::new(runs.iter())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4 * b.abs().max(1.0)
    }

    #[test]
    fn every_run_is_in_exactly_one_job_whether_shared_or_not() {
        for k in 2..5 {
            for r in 1..5 {
                for shared in [false, true] {
                    let mut runs = Vec::new();
                    for j in 0..Job::count(r, k, shared) {
                        let job = Job::nth(j, k, shared);
                        if job.shared {
                            assert_eq!((job.scenario, job.seeds), (0, Seeds::Common));
                            assert!(job.replication > 0, "the first replication keeps paths");
                            runs.extend((0..k).map(|s| (job.replication, s, true)));
                        } else {
                            runs.push((job.replication, job.scenario, job.seeds == Seeds::Common));
                        }
                    }
                    runs.sort();
                    let mut all: Vec<(u32, usize, bool)> = (0..r as u32)
                        .flat_map(|i| {
                            (0..k)
                                .map(move |s| (i, s, true))
                                .chain((1..k).map(move |s| (i, s, false)))
                        })
                        .collect();
                    all.sort();
                    assert_eq!(runs, all, "k {k} r {r} shared {shared}");
                }
            }
        }
    }

    /// Differences, their CI and the variance-reduction factor, by hand:
    /// common diffs 1, 2, 0, 2 (mean 1.25, variance 2.75/3); independent
    /// diffs 4, −2, 0, −3 (mean −0.25, variance 28.75/3); t(0.975, 3) = 3.182446.
    #[test]
    fn paired_differences_match_a_hand_calculation() {
        let a = table("x", &[1.0, 2.0, 3.0, 4.0]);
        let b = table("x", &[2.0, 4.0, 3.0, 6.0]);
        let i = table("x", &[5.0, 0.0, 3.0, 1.0]);
        let d = paired(&a, &b, &i);
        assert_eq!(d.len(), 1);
        let m = &d[0];
        assert_eq!((m.metric.as_str(), m.n), ("x", 4));
        assert!(close(m.mean_a, 2.5) && close(m.mean_b, 3.75));
        assert!(close(m.diff.mean, 1.25), "{}", m.diff.mean);
        let sd = (2.75f64 / 3.0).sqrt();
        assert!(close(m.diff.sd, sd), "{}", m.diff.sd);
        let half = 3.182446 * sd / 2.0;
        assert!(close(m.diff.ci95_low, 1.25 - half), "{}", m.diff.ci95_low);
        assert!(close(m.diff.ci95_high, 1.25 + half), "{}", m.diff.ci95_high);
        assert!(close(m.diff_independent.mean, -0.25));
        assert!(
            close(m.variance_reduction_factor, 28.75 / 2.75),
            "{}",
            m.variance_reduction_factor
        );
    }

    /// Pairs only where both runs have the metric; a difference with no
    /// variance gives an infinite factor when the independent one varies,
    /// and none (NaN) when neither does.
    #[test]
    fn paired_handles_missing_values_and_no_variance() {
        let runs = |v: &[Option<f64>]| -> Table {
            let r: Vec<MetricValues> = v
                .iter()
                .map(|x| x.map(|x| vec![("y".to_string(), x)]).unwrap_or_default())
                .collect();
            Table::new(r.iter())
        };
        let a = runs(&[Some(1.0), Some(2.0), None, Some(4.0)]);
        let b = runs(&[Some(2.0), Some(3.0), Some(9.0), Some(5.0)]);
        let i = runs(&[Some(3.0), Some(1.0), Some(0.0), Some(8.0)]);
        let m = &paired(&a, &b, &i)[0];
        assert_eq!(m.n, 3, "the third replication lacks A's value");
        assert!(close(m.diff.mean, 1.0) && m.diff.sd == 0.0);
        assert!(m.variance_reduction_factor.is_infinite());
        let m = &paired(&a, &b, &b)[0];
        assert!(m.variance_reduction_factor.is_nan());
    }

    fn path(events: u32, hash: u64, reached: &[Milestone], first: Option<Placement>) -> FamilyPath {
        FamilyPath {
            events,
            hash,
            milestones: reached.iter().fold(0, |m, r| m | r.bit()),
            first_placement: first,
        }
    }

    /// Four families on one seed, counted by hand: one identical, one in
    /// care only under A (with a family-led plan and a package under B),
    /// one in care only under B (with kin), one placed differently.
    #[test]
    fn the_counterfactual_counts_families_by_hand() {
        use Milestone::*;
        let a = [
            path(2, 7, &[FamilyHelp], None),
            path(5, 9, &[Plan, EnteredCare], Some(Placement::InHouseFoster)),
            path(0, 0, &[], None),
            path(4, 1, &[EnteredCare], Some(Placement::Kinship)),
        ];
        let b = [
            path(2, 7, &[FamilyHelp], None),
            path(6, 10, &[Plan, FamilyLedPlan, SupportPackage], None),
            path(
                3,
                5,
                &[EnteredCare, PlacedWithKin],
                Some(Placement::Kinship),
            ),
            path(4, 2, &[EnteredCare], Some(Placement::AgencyFoster)),
        ];
        let c = counterfactual(11, &a, &b);
        assert_eq!(c.seed, 11);
        assert_eq!((c.families_a, c.families_b, c.in_both), (3, 4, 3));
        assert_eq!((c.identical, c.diverged), (1, 2));
        let count = |m: Milestone| {
            let d = c.milestones.iter().find(|d| d.milestone == m).unwrap();
            (d.both, d.a_only, d.b_only)
        };
        assert_eq!(count(FamilyHelp), (1, 0, 0));
        assert_eq!(count(Plan), (1, 0, 0));
        assert_eq!(count(EnteredCare), (1, 1, 1));
        assert_eq!(count(FamilyLedPlan), (0, 0, 1));
        assert_eq!(count(SupportPackage), (0, 0, 1));
        assert_eq!(count(PlacedWithKin), (0, 0, 1));
        assert_eq!(count(Enquiry), (0, 0, 0));
        assert_eq!(
            (
                c.care_a_home_b,
                c.care_a_home_b_family_led_plan_b,
                c.care_a_home_b_package_b
            ),
            (1, 1, 1)
        );
        assert_eq!((c.care_b_home_a, c.care_b_home_a_kin_b), (1, 1));
        assert_eq!(
            (c.placement_differs, c.kin_b_not_a, c.kin_a_not_b),
            (1, 0, 1)
        );
        // A family missing from the shorter list is one never referred.
        let c = counterfactual(0, &a[..2], &b);
        assert_eq!((c.families_a, c.families_b, c.in_both), (2, 4, 2));
    }
}
