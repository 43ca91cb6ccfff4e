//! The metric registry: every number `run --replications` and `compare`
//! report, with its stable key, unit, meaning and the events it comes from.
//!
//! # Keys
//!
//! A key names one number in `replications.csv`, `summary-stats.csv`,
//! `compare.csv` and the JSON beside them (`child_protection.s47_enquiries`,
//! `care.entries.kinship_family_and_friends`,
//! `by_financial_year.2024-25.referrals`). R and pandas scripts read them, so
//! **a key never changes**: keys are written here, once, and never made from
//! the labels the text summary prints (a label can be reworded; the key
//! stays). A family of keys is one entry whose key has a part in braces
//! (`care.entries.{placement}`, `workforce.{pool}.turnover_pct_per_year`,
//! `by_financial_year.{year}.referrals`); the parts and their values are
//! [`Part`]s, and the value for each member of an enum is written in one
//! `match` per enum here ([`placement_key`], [`pool_key`], …), so a new
//! variant does not compile until it has a key. `{year}` is a financial year
//! of the run (`2024-25`); the `…_index` parts are positions (`0`, `1`, …)
//! in the enum's order, as the per-year arrays have always been named.
//!
//! The metrics of a run come out in the order of the entries here (the order
//! of the summary's fields), so files keep their row order.
//!
//! # Units
//!
//! Every entry has a [`Unit`]. Counts say in their meaning what is counted:
//! **children** (referrals, enquiries, conferences, plans, entries to and
//! exits from care, children looked after — England publishes these per
//! child, and the model counts a family's children under 18 one by one) or
//! **families** (front-door decisions, family help, closures, pre-proceedings
//! and proceedings, family group decision-making, support packages — the
//! model works with families). **Money is in pence**, as exact integers,
//! and every money key has `pence` in it (`care.placement_spend_pence`,
//! `budget.placements.spent_pence`, `by_financial_year.{year}.spend_pence.3`);
//! divide by 100 for pounds. Rates per 10,000 children divide by the
//! scenario's `area.children`.
//!
//! # Values
//!
//! Each entry reads its number from the [`Summary`]'s fields (the per-year
//! and monthly rows are [`PeriodCounts`]): [`summary_values`] for a run,
//! [`warm_up_values`] after a warm-up (`replications::metrics` chooses).
//! Counts are exact integers; real figures (shares, rates, means) are
//! those of the summary's JSON. A figure the run does not have (the stock
//! at the end of a financial year the run ends inside) is left out, never
//! written as 0. [`dictionary_text`], [`dictionary_json`] and
//! [`dictionary_markdown`] list the entries (`familyflow metrics`,
//! `docs/METRICS.md`).
//!
//! # Adding a metric
//!
//! 1. Add the figure to [`Summary`] (or a count to [`PeriodCounts`], which
//!    gives it per financial year and after a warm-up).
//! 2. Add an entry to `SUMMARY` (or `PERIOD`) in this file *where its
//!    column should appear* — the order here is the order of the files'
//!    rows — with a key that names it for good, its unit, a one-line
//!    meaning (children or families?) and its sources: the `Event` variants
//!    it is folded from, `scenario` (an input), `state` (the model's state
//!    at the moment it is taken) or `derived from KEY` (another metric;
//!    `KEY.*` for all under it). Money goes in pence, with `pence` in the
//!    key. A new family of keys over an enum needs a [`Part`] and a key
//!    function.
//! 3. Regenerate `docs/METRICS.md`:
//!    `FAMILYFLOW_BLESS=1 cargo test --test metrics`. `tests/metrics.rs`
//!    checks that every key a run emits matches exactly one entry.
//!
//! A figure added to the summary but not here is not reported.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::replications::MetricValues;
use crate::analysis::summary::{
    BudgetLineSummary, Count as Labelled, StaffPoolSummary, Summary, YearSpend,
};
use crate::model::event::{
    BudgetLine, CareRoute, ClosureReason, FinalOrder, HelpOutcome, LegalStatus, Placement, Pool,
    TriageDecision,
};
use crate::model::projection::PeriodCounts;

// The entries below name their units bare: `Count`, `Percent`, `Pence`, …
use Unit::*;

// ---------------------------------------------------------------------------
// Units

/// What a metric's numbers are in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// How many (children, families, staff, posts, events: the meaning says).
    Count,
    /// Per 10,000 children in the area a year.
    Per10kChildrenPerYear,
    /// Per 10,000 children in the area.
    Per10kChildren,
    /// Percent.
    Percent,
    /// Percent a year.
    PercentPerYear,
    /// Days (of 24 hours).
    Days,
    /// Working days.
    WorkingDays,
    /// Minutes.
    Minutes,
    /// Working minutes (working days of 1,440 minutes).
    WorkingMinutes,
    /// Pence.
    Pence,
    /// Pence a financial year.
    PencePerYear,
    /// Full-time equivalents.
    Fte,
    /// Families per full-time equivalent.
    FamiliesPerFte,
    /// Cases per worker in post.
    CasesPerWorker,
}

impl Unit {
    /// The unit in words, as the dictionary prints it.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Per10kChildrenPerYear => "per 10,000 children a year",
            Unit::Per10kChildren => "per 10,000 children",
            Unit::Percent => "%",
            Unit::PercentPerYear => "% a year",
            Unit::Days => "days",
            Unit::WorkingDays => "working days",
            Unit::Minutes => "minutes",
            Unit::WorkingMinutes => "working minutes",
            Unit::Pence => "pence",
            Unit::PencePerYear => "pence a year",
            Unit::Fte => "FTE",
            Unit::FamiliesPerFte => "families per FTE",
            Unit::CasesPerWorker => "cases per worker",
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

pub use crate::model::keys::{
    closure_key, exit_key, legal_status_key, line_key, order_key, outcome_key, placement_key,
    pool_key, route_key, triage_key, AGE_BAND_KEYS, CARE_EXITS,
};

/// Positions as keys (`…_index` parts).
const INDEX: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

// ---------------------------------------------------------------------------
// Parts of keys

/// A part of a key that stands for each member of a family: `{placement}`
/// in `care.entries.{placement}`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// A financial year of the run, `2024-25`.
    Year,
    /// A front-door decision.
    Triage,
    /// How a family help spell ended.
    Outcome,
    /// A placement.
    Placement,
    /// A way out of care.
    Exit,
    /// A final order of care proceedings.
    Order,
    /// A route into care.
    Route,
    /// A legal status at entry to care.
    LegalStatus,
    /// An age band at entry to care.
    AgeBand,
    /// Why a case closed.
    Closure,
    /// A staff pool.
    Pool,
    /// A budget line.
    Line,
    /// A staff pool by position.
    PoolIndex,
    /// A budget line by position.
    LineIndex,
    /// A final order by position.
    OrderIndex,
    /// A route into care by position.
    RouteIndex,
    /// A legal status by position.
    LegalStatusIndex,
    /// An age band by position.
    AgeBandIndex,
    /// A way out of care by position.
    ExitIndex,
}

impl Part {
    /// Every part, in the order the dictionary lists them.
    pub const ALL: [Part; 19] = [
        Part::Year,
        Part::Triage,
        Part::Outcome,
        Part::Placement,
        Part::Exit,
        Part::Order,
        Part::Route,
        Part::LegalStatus,
        Part::AgeBand,
        Part::Closure,
        Part::Pool,
        Part::Line,
        Part::PoolIndex,
        Part::LineIndex,
        Part::OrderIndex,
        Part::RouteIndex,
        Part::LegalStatusIndex,
        Part::AgeBandIndex,
        Part::ExitIndex,
    ];

    /// Its name in braces in a key pattern: `placement` for `{placement}`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Year => "year",
            Part::Triage => "triage",
            Part::Outcome => "outcome",
            Part::Placement => "placement",
            Part::Exit => "exit",
            Part::Order => "order",
            Part::Route => "route",
            Part::LegalStatus => "legal_status",
            Part::AgeBand => "age_band",
            Part::Closure => "closure",
            Part::Pool => "pool",
            Part::Line => "line",
            Part::PoolIndex => "pool_index",
            Part::LineIndex => "line_index",
            Part::OrderIndex => "order_index",
            Part::RouteIndex => "route_index",
            Part::LegalStatusIndex => "legal_status_index",
            Part::AgeBandIndex => "age_band_index",
            Part::ExitIndex => "exit_index",
        }
    }

    /// What it stands for, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            Part::Year => "a financial year of the run (1 April to 31 March)",
            Part::Triage => "a front-door decision (`TriageDecision`)",
            Part::Outcome => "how a family help spell ended (`HelpOutcome`)",
            Part::Placement => "a placement (`Placement`)",
            Part::Exit => "a way out of care (`CareExit`)",
            Part::Order => "a final order of care proceedings (`FinalOrder`)",
            Part::Route => "a route into care (`CareRoute`)",
            Part::LegalStatus => "a legal status at entry to care (`LegalStatus`)",
            Part::AgeBand => "an age band at entry to care",
            Part::Closure => "why a case closed (`ClosureReason`)",
            Part::Pool => "a staff pool (`Pool`)",
            Part::Line => "a budget line (`BudgetLine`)",
            Part::PoolIndex => "a staff pool by position",
            Part::LineIndex => "a budget line by position",
            Part::OrderIndex => "a final order by position",
            Part::RouteIndex => "a route into care by position",
            Part::LegalStatusIndex => "a legal status at entry by position",
            Part::AgeBandIndex => "an age band at entry by position",
            Part::ExitIndex => "a way out of care by position",
        }
    }

    /// The part a position part numbers (`pool` for `pool_index`).
    pub fn numbers(self) -> Option<Part> {
        match self {
            Part::PoolIndex => Some(Part::Pool),
            Part::LineIndex => Some(Part::Line),
            Part::OrderIndex => Some(Part::Order),
            Part::RouteIndex => Some(Part::Route),
            Part::LegalStatusIndex => Some(Part::LegalStatus),
            Part::AgeBandIndex => Some(Part::AgeBand),
            Part::ExitIndex => Some(Part::Exit),
            _ => None,
        }
    }

    /// Its values, in order (None for `{year}`, which the run decides).
    pub fn keys(self) -> Option<Vec<&'static str>> {
        if let Some(of) = self.numbers() {
            let n = of.keys().map_or(0, |k| k.len());
            return Some(INDEX[..n.min(INDEX.len())].to_vec());
        }
        Some(match self {
            Part::Year => return None,
            Part::Triage => TriageDecision::ALL.map(triage_key).to_vec(),
            Part::Outcome => HelpOutcome::ALL.map(outcome_key).to_vec(),
            Part::Placement => Placement::ALL.map(placement_key).to_vec(),
            Part::Exit => CARE_EXITS.map(exit_key).to_vec(),
            Part::Order => FinalOrder::ALL.map(order_key).to_vec(),
            Part::Route => CareRoute::ALL.map(route_key).to_vec(),
            Part::LegalStatus => LegalStatus::ALL.map(legal_status_key).to_vec(),
            Part::AgeBand => AGE_BAND_KEYS.to_vec(),
            Part::Closure => ClosureReason::ALL.map(closure_key).to_vec(),
            Part::Pool => Pool::ALL.map(pool_key).to_vec(),
            Part::Line => BudgetLine::ALL.map(line_key).to_vec(),
            _ => Vec::new(),
        })
    }

    /// Whether `segment` is one of its values.
    pub fn accepts(self, segment: &str) -> bool {
        match self.keys() {
            Some(keys) => keys.contains(&segment),
            None => {
                let b = segment.as_bytes();
                b.len() == 7
                    && b[4] == b'-'
                    && b.iter()
                        .enumerate()
                        .all(|(i, c)| i == 4 || c.is_ascii_digit())
            }
        }
    }

    fn placeholder(self) -> String {
        format!("{{{}}}", self.name())
    }
}

// ---------------------------------------------------------------------------
// The entries

/// One number of a run, before it is a metric value.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Value {
    /// An integer count (or pence, minutes).
    Count(u64),
    /// A real number. Taken as the summary's JSON gives it to a reader
    /// using serde_json (see [`as_in_summary_json`]).
    Real(f64),
}

impl Value {
    fn number(self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(n as f64),
            Value::Real(x) => as_in_summary_json(x),
        }
    }
}

/// `x` as a reader of the summary's JSON gets it with serde_json: the
/// number these metrics have always had (they were once read back from the
/// summary's JSON). serde_json's default float parser can be one unit in the
/// last place away from the shortest text for numbers with 17 significant
/// digits (`care.child_days_in_care`). Not finite: none (JSON has no NaN).
fn as_in_summary_json(x: f64) -> Option<f64> {
    if !x.is_finite() {
        return None;
    }
    let text = serde_json::to_string(&x).ok()?;
    serde_json::from_str(&text).ok()
}

fn int(n: impl Into<u64>) -> Option<Value> {
    Some(Value::Count(n.into()))
}

fn real(x: f64) -> Option<Value> {
    Some(Value::Real(x))
}

/// The index of the innermost part.
fn last(ix: &[usize]) -> usize {
    ix.last().copied().unwrap_or(usize::MAX)
}

/// Row `ix` (the innermost part) of a list of labelled counts.
fn count_at(list: &[Labelled], ix: &[usize]) -> Option<Value> {
    list.get(last(ix)).and_then(|c| int(c.count))
}

/// Element `ix` (the innermost part) of a per-period array.
fn element(values: &[u64], ix: &[usize]) -> Option<Value> {
    values.get(last(ix)).copied().and_then(int)
}

fn pool_row<'a>(s: &'a Summary, ix: &[usize]) -> Option<&'a StaffPoolSummary> {
    s.workforce.get(*ix.first()?)
}

fn line_row<'a>(s: &'a Summary, ix: &[usize]) -> Option<&'a BudgetLineSummary> {
    s.budget.get(*ix.first()?)
}

fn year_row<'a>(s: &'a Summary, ix: &[usize]) -> Option<&'a YearSpend> {
    line_row(s, ix)?.by_year.get(*ix.get(1)?)
}

/// `len` of an array (the per-period arrays' lengths, checked against their parts).
fn len<X, const N: usize>(_: &[X; N]) -> usize {
    N
}

/// `len` of an optional array.
fn opt_len<X, const N: usize>(_: &Option<[X; N]>) -> usize {
    N
}

type Get<T> = fn(&T, &[usize]) -> Option<Value>;
type Len<T> = fn(&T, &[usize]) -> usize;

/// What a metric is.
#[derive(Copy, Clone, Debug)]
struct About {
    unit: Unit,
    meaning: &'static str,
    sources: &'static [&'static str],
    /// A stock at the end of a period (summed over months it means nothing;
    /// after a warm-up it is averaged over the month ends).
    stock: bool,
}

/// Which members an item is repeated for.
enum Rows<T: 'static> {
    /// Once.
    One,
    /// Once per value of a fixed part; the data must have exactly as many
    /// (`Len`, checked).
    Each(Part, Len<T>),
    /// Once per financial year the data has.
    Years(fn(&T, &[usize]) -> Vec<String>),
}

enum Kind<T: 'static> {
    /// A metric.
    Metric(About, Get<T>),
    /// Items under a common key.
    Group(&'static [Item<T>]),
    /// [`PERIOD`] for each financial year: `KEY.{year}.…`.
    Periods(fn(&T) -> &[PeriodCounts]),
}

/// An entry of the registry (a metric, a family of metrics, or a group of
/// them under one key).
struct Item<T: 'static> {
    /// Its key below the enclosing group's, perhaps with one `{part}`.
    key: &'static str,
    rows: Rows<T>,
    kind: Kind<T>,
}

impl<T> Item<T> {
    /// Repeated for each value of `part`; `len` says how many the data has.
    const fn each(self, part: Part, len: Len<T>) -> Self {
        Item {
            key: self.key,
            rows: Rows::Each(part, len),
            kind: self.kind,
        }
    }

    /// Repeated for each financial year `years` gives.
    const fn years(self, years: fn(&T, &[usize]) -> Vec<String>) -> Self {
        Item {
            key: self.key,
            rows: Rows::Years(years),
            kind: self.kind,
        }
    }

    /// A stock at the end of a period (for a metric; a group is left as it is).
    const fn stock(self) -> Self {
        match self.kind {
            Kind::Metric(about, get) => Item {
                key: self.key,
                rows: self.rows,
                kind: Kind::Metric(
                    About {
                        stock: true,
                        ..about
                    },
                    get,
                ),
            },
            kind => Item {
                key: self.key,
                rows: self.rows,
                kind,
            },
        }
    }
}

/// A metric.
const fn m<T>(
    key: &'static str,
    unit: Unit,
    meaning: &'static str,
    sources: &'static [&'static str],
    get: Get<T>,
) -> Item<T> {
    Item {
        key,
        rows: Rows::One,
        kind: Kind::Metric(
            About {
                unit,
                meaning,
                sources,
                stock: false,
            },
            get,
        ),
    }
}

/// Items under one key.
const fn group<T>(key: &'static str, items: &'static [Item<T>]) -> Item<T> {
    Item {
        key,
        rows: Rows::One,
        kind: Kind::Group(items),
    }
}

const REFERRED: &[&str] = &["FamilyReferred", "FamilyReReferred"];
const STAFF_IN_POST: &[&str] = &[
    "StaffStarted",
    "StaffLeft",
    "StaffJoined",
    "RecruitmentStarted",
    "RecruitmentCancelled",
    "ApprenticeQualified",
];
const IN_CARE: &[&str] = &["EnteredCare", "LeftCare", "SiblingLeftCare", "FamilyOpened"];
const WAITING: &[&str] = &[
    "FamilyHelpQueued",
    "FamilyHelpStarted",
    "Escalated",
    "Disengaged",
    "FamilyOpened",
];
const SPENT: &[&str] = &["Spent", "FnspPaid"];

/// The periods of the summary's financial years.
fn financial_years(s: &Summary) -> &[PeriodCounts] {
    &s.by_financial_year
}

/// The financial years of a budget line.
fn line_years(s: &Summary, ix: &[usize]) -> Vec<String> {
    line_row(s, ix).map_or_else(Vec::new, |l| {
        l.by_year.iter().map(|y| y.period.clone()).collect()
    })
}

/// Where families (or children) were when the run ended: `at_end.*`, also
/// reported after a warm-up.
static AT_END: &[Item<Summary>] = &[
    m(
        "awaiting_triage",
        Count,
        "Families awaiting a front-door decision when the run ended.",
        &["FamilyReferred", "FamilyReReferred", "TriageDecided", "FamilyOpened"],
        |s, _| int(s.at_end.awaiting_triage),
    ),
    m(
        "waiting_for_help",
        Count,
        "Families on the family help waiting list when the run ended.",
        WAITING,
        |s, _| int(s.at_end.waiting_for_help),
    ),
    m(
        "in_help",
        Count,
        "Families in family help when the run ended.",
        &["FamilyHelpStarted", "FamilyHelpEnded", "FamilyOpened"],
        |s, _| int(s.at_end.in_help),
    ),
    m(
        "closed_to_return",
        Count,
        "Families closed with a re-referral to come after the run's end.",
        &["CaseClosed", "FamilyReReferred"],
        |s, _| int(s.at_end.closed_to_return),
    ),
    m(
        "in_enquiry",
        Count,
        "Families in a section 47 enquiry when the run ended.",
        &["S47Started", "S47Completed", "FamilyOpened"],
        |s, _| int(s.at_end.in_enquiry),
    ),
    m(
        "awaiting_conference",
        Count,
        "Families awaiting an initial child protection conference when the run ended.",
        &["S47Completed", "ConferenceHeld", "FamilyOpened"],
        |s, _| int(s.at_end.awaiting_conference),
    ),
    m(
        "on_plan",
        Count,
        "Families on a child protection plan when the run ended.",
        &["PlanStarted", "PlanEnded", "FamilyOpened"],
        |s, _| int(s.at_end.on_plan),
    ),
    m(
        "in_care",
        Count,
        "Families with a child looked after when the run ended.",
        &["EnteredCare", "LeftCare", "FamilyOpened"],
        |s, _| int(s.at_end.in_care),
    ),
    m(
        "pre_proceedings",
        Count,
        "Families in pre-proceedings when the run ended.",
        &["PreProceedingsStarted", "ProceedingsIssued", "FamilyOpened"],
        |s, _| int(s.at_end.pre_proceedings),
    ),
    m(
        "in_proceedings_at_home",
        Count,
        "Families in care proceedings with the child at home when the run ended.",
        &["ProceedingsIssued", "ProceedingsEnded", "EnteredCare"],
        |s, _| int(s.at_end.in_proceedings_at_home),
    ),
    m(
        "children_on_plan",
        Count,
        "Children on a child protection plan when the run ended (the families' children under 18 when their plans started).",
        &["PlanStarted", "PlanEnded", "FamilyOpened"],
        |s, _| int(s.at_end.children_on_plan),
    ),
    m(
        "children_looked_after",
        Count,
        "Children looked after when the run ended (each child of a sibling group).",
        IN_CARE,
        |s, _| int(s.at_end.children_looked_after),
    ),
];

/// The metrics of a run without a warm-up, in the order they are reported
/// (the order of the summary's fields).
static SUMMARY: &[Item<Summary>] = &[
    m(
        "starting_caseload",
        Count,
        "Families already open on the run's first day (the starting caseload).",
        &["FamilyOpened"],
        |s, _| int(s.starting_caseload),
    ),
    m(
        "starting_caseload_children",
        Count,
        "Children under 18 in the starting caseload's families when they were opened.",
        &["FamilyOpened"],
        |s, _| int(s.starting_caseload_children),
    ),
    m(
        "events",
        Count,
        "Events in the run, including those of a burn-in.",
        &["every event"],
        |s, _| int(s.events),
    ),
    group(
        "referrals",
        &[
            m(
                "total",
                Count,
                "Referrals, one for each child under 18 in the family referred (as England counts them).",
                REFERRED,
                |s, _| int(s.referrals.total),
            ),
            m(
                "new_families",
                Count,
                "First referrals of new families (families).",
                &["FamilyReferred"],
                |s, _| int(s.referrals.new_families),
            ),
            m(
                "rereferrals",
                Count,
                "Referrals of families referred before (families).",
                &["FamilyReReferred"],
                |s, _| int(s.referrals.rereferrals),
            ),
            m(
                "per_10k_children_per_year",
                Per10kChildrenPerYear,
                "Referrals (children) per 10,000 children in the area a year.",
                &["derived from referrals.total", "scenario"],
                |s, _| real(s.referrals.per_10k_children_per_year),
            ),
            m(
                "rereferred_within_12_months_pct",
                Percent,
                "Share of referrals (children) made within 12 months of the family's previous referral.",
                &["FamilyReReferred", "derived from referrals.total"],
                |s, _| real(s.referrals.rereferred_within_12_months_pct),
            ),
        ],
    ),
    group(
        "triage",
        &[
            m::<Summary>(
                "decisions.{triage}",
                Count,
                "Front-door decisions of this kind (families).",
                &["TriageDecided"],
                |s, ix| count_at(&s.triage.decisions, ix),
            )
            .each(Part::Triage, |s, _| s.triage.decisions.len()),
            m(
                "within_1_working_day_pct",
                Percent,
                "Share of front-door decisions made within 1 working day of the referral (families).",
                &["TriageDecided", "FamilyReferred", "FamilyReReferred"],
                |s, _| real(s.triage.within_1_working_day_pct),
            ),
        ],
    ),
    group(
        "family_help",
        &[
            m(
                "fte",
                Fte,
                "Family help practitioners funded, as in force at the end (policy changes included).",
                &["scenario"],
                |s, _| real(s.family_help.fte),
            ),
            m(
                "capacity",
                Count,
                "Families the family help team could hold at once at the end (its staff in post at its caseload cap).",
                &[
                    "scenario",
                    "PolicyApplied",
                    "StaffStarted",
                    "StaffLeft",
                    "StaffJoined",
                    "RecruitmentStarted",
                    "RecruitmentCancelled",
                    "ApprenticeQualified",
                ],
                |s, _| int(s.family_help.capacity),
            ),
            m(
                "queued",
                Count,
                "Families who had to join the family help waiting list.",
                &["FamilyHelpQueued"],
                |s, _| int(s.family_help.queued),
            ),
            m(
                "started",
                Count,
                "Families who started family help.",
                &["FamilyHelpStarted"],
                |s, _| int(s.family_help.started),
            ),
            m(
                "mean_wait_days",
                Days,
                "Mean wait before family help started over the families who started it (0 for those who did not wait), to 0.01 day.",
                &["FamilyHelpQueued", "FamilyHelpStarted"],
                |s, _| real(s.family_help.mean_wait_days),
            ),
            m(
                "wait_minutes_total",
                Minutes,
                "Minutes waited on the list by the families who started family help, summed (exact).",
                &["FamilyHelpQueued", "FamilyHelpStarted"],
                |s, _| int(s.family_help.wait_minutes_total),
            ),
            m(
                "started_after_waiting",
                Count,
                "Families who started family help after waiting on the list.",
                &["FamilyHelpStarted"],
                |s, _| int(s.family_help.started_after_waiting),
            ),
            m(
                "escalated",
                Count,
                "Families on the waiting list whose concerns escalated (a new referral).",
                &["Escalated"],
                |s, _| int(s.family_help.escalated),
            ),
            m(
                "disengaged",
                Count,
                "Families who left the waiting list without help.",
                &["Disengaged"],
                |s, _| int(s.family_help.disengaged),
            ),
            m(
                "max_wait_days",
                Days,
                "Longest wait of a family that started family help, to 0.01 day.",
                &["FamilyHelpQueued", "FamilyHelpStarted"],
                |s, _| real(s.family_help.max_wait_days),
            ),
            m(
                "mean_waiting",
                Count,
                "Mean families on the waiting list over the run (time-weighted), to 0.01.",
                WAITING,
                |s, _| real(s.family_help.mean_waiting),
            ),
            m(
                "max_waiting",
                Count,
                "Longest waiting list (families).",
                WAITING,
                |s, _| int(s.family_help.max_waiting),
            ),
            m(
                "assessments",
                Count,
                "Family help assessments completed (families).",
                &["AssessmentCompleted"],
                |s, _| int(s.family_help.assessments),
            ),
            m(
                "assessments_within_45_working_days_pct",
                Percent,
                "Share of assessments completed within 45 working days of the referral (families).",
                &["AssessmentCompleted", "FamilyReferred", "FamilyReReferred"],
                |s, _| real(s.family_help.assessments_within_45_working_days_pct),
            ),
            m(
                "mean_families_in_help",
                Count,
                "Mean families in family help at once (time-weighted), to 0.01.",
                &["FamilyHelpStarted", "FamilyHelpEnded", "FamilyOpened"],
                |s, _| real(s.family_help.mean_families_in_help),
            ),
            m(
                "mean_caseload_per_fte",
                FamiliesPerFte,
                "Mean families in help per funded practitioner, to 0.01.",
                &[
                    "derived from family_help.mean_families_in_help",
                    "derived from family_help.fte",
                ],
                |s, _| real(s.family_help.mean_caseload_per_fte),
            ),
            m::<Summary>(
                "outcomes.{outcome}",
                Count,
                "Family help spells that ended this way (families).",
                &["FamilyHelpEnded"],
                |s, ix| count_at(&s.family_help.outcomes, ix),
            )
            .each(Part::Outcome, |s, _| s.family_help.outcomes.len()),
        ],
    ),
    group(
        "child_protection",
        &[
            m(
                "s47_enquiries",
                Count,
                "Section 47 enquiries started, one for each child under 18 in the family.",
                &["S47Started"],
                |s, _| int(s.child_protection.s47_enquiries),
            ),
            m(
                "s47_per_10k_children_per_year",
                Per10kChildrenPerYear,
                "Section 47 enquiries (children) per 10,000 children in the area a year.",
                &["derived from child_protection.s47_enquiries", "scenario"],
                |s, _| real(s.child_protection.s47_per_10k_children_per_year),
            ),
            m(
                "conferences",
                Count,
                "Initial child protection conferences, one for each child under 18 in the family.",
                &["ConferenceHeld"],
                |s, _| int(s.child_protection.conferences),
            ),
            m(
                "conferences_within_15_working_days_pct",
                Percent,
                "Share of initial conferences (children) held within 15 working days of the strategy discussion.",
                &["ConferenceHeld", "S47Started"],
                |s, _| real(s.child_protection.conferences_within_15_working_days_pct),
            ),
            m(
                "plans_started",
                Count,
                "Child protection plans started, one for each child under 18 in the family.",
                &["PlanStarted"],
                |s, _| int(s.child_protection.plans_started),
            ),
            m(
                "plans_started_per_10k_children_per_year",
                Per10kChildrenPerYear,
                "Child protection plans started (children) per 10,000 children in the area a year.",
                &["derived from child_protection.plans_started", "scenario"],
                |s, _| real(s.child_protection.plans_started_per_10k_children_per_year),
            ),
            m(
                "plans_stepped_down",
                Count,
                "Plans that ended by stepping down to family help (families).",
                &["PlanEnded"],
                |s, _| int(s.child_protection.plans_stepped_down),
            ),
            m(
                "plans_to_proceedings",
                Count,
                "Plans that ended in pre-proceedings or care proceedings (families).",
                &["PlanEnded"],
                |s, _| int(s.child_protection.plans_to_proceedings),
            ),
            m(
                "enquiries_led_by_lead_practitioners",
                Count,
                "Enquiries taken by a lead child protection practitioner (families).",
                &["LeadPractitionerAssigned"],
                |s, _| int(s.child_protection.enquiries_led_by_lead_practitioners),
            ),
            m(
                "mean_working_days_to_conference",
                WorkingDays,
                "Mean working days from the strategy discussion to the initial conference, over conferences (children), to 0.01.",
                &["ConferenceHeld", "S47Started"],
                |s, _| real(s.child_protection.mean_working_days_to_conference),
            ),
        ],
    ),
    group(
        "family_network",
        &[
            m(
                "fgdm_offered",
                Count,
                "Family group decision-making offered (families).",
                &["FgdmOffered"],
                |s, _| int(s.family_network.fgdm_offered),
            ),
            m(
                "fgdm_held",
                Count,
                "Family group conferences held: family-led plans made (families).",
                &["FgdmHeld"],
                |s, _| int(s.family_network.fgdm_held),
            ),
            m(
                "kin_named",
                Count,
                "Family-led plans naming kinship carers (families).",
                &["FgdmHeld"],
                |s, _| int(s.family_network.kin_named),
            ),
            m(
                "fnsp_paid",
                Count,
                "Family network support packages paid (families).",
                &["FnspPaid"],
                |s, _| int(s.family_network.fnsp_paid),
            ),
            m(
                "fnsp_pence",
                Pence,
                "Paid in family network support packages.",
                &["FnspPaid"],
                |s, _| int(s.family_network.fnsp_pence),
            ),
            m(
                "fnsp_refused",
                Count,
                "Support packages refused because the financial year's budget was spent (families).",
                &["FnspRefused"],
                |s, _| int(s.family_network.fnsp_refused),
            ),
            m(
                "fgdm_unavailable",
                Count,
                "Family group decision-making not offered because no coordinator had room (families).",
                &["FgdmUnavailable"],
                |s, _| int(s.family_network.fgdm_unavailable),
            ),
        ],
    ),
    group(
        "care",
        &[
            m::<Summary>(
                "entries.{placement}",
                Count,
                "Children who came into care, by first placement.",
                &["EnteredCare"],
                |s, ix| count_at(&s.care.entries, ix),
            )
            .each(Part::Placement, |s, _| s.care.entries.len()),
            m(
                "entries_per_10k_children_per_year",
                Per10kChildrenPerYear,
                "Children who came into care per 10,000 children in the area a year.",
                &["derived from care.entries.{placement}", "scenario"],
                |s, _| real(s.care.entries_per_10k_children_per_year),
            ),
            m::<Summary>(
                "exits.{exit}",
                Count,
                "Children who left care this way.",
                &["LeftCare", "SiblingLeftCare"],
                |s, ix| count_at(&s.care.exits, ix),
            )
            .each(Part::Exit, |s, _| s.care.exits.len()),
            m::<Summary>(
                "looked_after_at_end.{placement}",
                Count,
                "Children looked after when the run ended, by placement.",
                IN_CARE,
                |s, ix| count_at(&s.care.looked_after_at_end, ix),
            )
            .each(Part::Placement, |s, _| s.care.looked_after_at_end.len()),
            m(
                "looked_after_per_10k_children",
                Per10kChildren,
                "Children looked after when the run ended per 10,000 children in the area.",
                &["derived from care.looked_after_at_end.{placement}", "scenario"],
                |s, _| real(s.care.looked_after_per_10k_children),
            ),
            m(
                "kinship_share_pct",
                Percent,
                "Share of the children looked after when the run ended who live with kin.",
                &["derived from care.looked_after_at_end.{placement}"],
                |s, _| real(s.care.kinship_share_pct),
            ),
            m(
                "placement_spend_pence",
                Pence,
                "Spent on placements (the placements budget line).",
                &["Spent"],
                |s, _| int(s.care.placement_spend_pence),
            ),
            m::<Summary>(
                "spend_by_placement_pence.{placement}",
                Pence,
                "Placement costs by type over the measured run, accrued to the end (the placements line, by type).",
                &["EnteredCare", "PlacementMoved", "LeftCare", "SiblingLeftCare", "FamilyOpened"],
                |s, ix| element(&s.care.sufficiency.spend_by_placement_pence.0, ix),
            )
            .each(Part::Placement, |_, _| 4),
            m(
                "placements_made",
                Count,
                "Children placed: at entry to care and at each placement move.",
                &["EnteredCare", "PlacementMoved"],
                |s, _| int(s.care.sufficiency.placements_made),
            ),
            m(
                "placed_out_of_area_pct",
                Percent,
                "Share of placements made outside the area (no place of the type free within it; needs `[placements]`).",
                &["PlacedOutOfArea", "derived from care.placements_made"],
                |s, _| real(s.care.sufficiency.placed_out_of_area_pct),
            ),
            m(
                "placement_moves",
                Count,
                "Children who moved placement after a breakdown (needs `[placements]`).",
                &["PlacementMoved"],
                |s, _| int(s.care.sufficiency.placement_moves),
            ),
            m(
                "placement_moves_per_child_year",
                Count,
                "Placement moves per child-year in care.",
                &["derived from care.placement_moves", "derived from care.child_days_in_care"],
                |s, _| real(s.care.sufficiency.placement_moves_per_child_year),
            ),
            m(
                "out_of_area_at_end",
                Count,
                "Children looked after outside the area when the run ended.",
                &["PlacedOutOfArea", "PlacementMoved", "LeftCare", "SiblingLeftCare"],
                |s, _| int(s.care.sufficiency.out_of_area_at_end),
            ),
            m(
                "agency_foster_share_pct",
                Percent,
                "Share of the children looked after when the run ended who live with independent fostering agency carers.",
                &["derived from care.looked_after_at_end.{placement}"],
                |s, _| real(s.care.sufficiency.agency_foster_share_pct),
            ),
            m(
                "residential_share_pct",
                Percent,
                "Share of the children looked after when the run ended who live in children's homes.",
                &["derived from care.looked_after_at_end.{placement}"],
                |s, _| real(s.care.sufficiency.residential_share_pct),
            ),
            m(
                "in_house_foster_places_at_end",
                Count,
                "Approved places with the council's own foster carers when the run ended (needs `[placements]`).",
                &["FosterPlacesApproved", "FosterPlacesLost", "scenario"],
                |s, _| int(s.care.sufficiency.in_house_foster_places_at_end),
            ),
            m(
                "placed_in_cooperative_pct",
                Percent,
                "Share of placements made in a regional care co-operative's places (a region run with a co-operative; within the region, not counted as out of the area).",
                &["PlacedInCooperative", "derived from care.placements_made"],
                |s, _| real(s.care.sufficiency.placed_in_cooperative_pct),
            ),
            m(
                "in_cooperative_at_end",
                Count,
                "Children looked after in a regional care co-operative's places when the run ended.",
                &["PlacedInCooperative", "PlacementMoved", "LeftCare", "SiblingLeftCare"],
                |s, _| int(s.care.sufficiency.in_cooperative_at_end),
            ),
            m(
                "kinship_placements_due_12_months",
                Count,
                "Children placed with kin in care whose 12-month mark fell within the measured run.",
                &["EnteredCare"],
                |s, _| int(s.care.sufficiency.kinship_placements_due_12_months),
            ),
            m(
                "kinship_sustained_12_months_pct",
                Percent,
                "Of the children placed with kin whose 12-month mark fell within the run, the share whose placement did not break down before it (they were still with kin, or had left care home, on an order or at 18). Needs `[placements]` for breakdowns.",
                &["EnteredCare", "PlacementMoved", "LeftCare"],
                |s, _| real(s.care.sufficiency.kinship_sustained_12_months_pct),
            ),
            m(
                "care_leavers",
                Count,
                "Young people who left care at 18 (needs `care.leaving_care`).",
                &["CareLeaver"],
                |s, _| int(s.care.leaving_care.care_leavers),
            ),
            m(
                "care_leavers_lasting_relationship_pct",
                Percent,
                "Of the young people who left care at 18, the share with a lasting relationship with a trusted adult (an outcome drawn at 18; its share is an assumption, raised by mentoring).",
                &["CareLeaver"],
                |s, _| real(s.care.leaving_care.lasting_relationship_pct),
            ),
            m(
                "staying_put_started",
                Count,
                "Care leavers who stayed put with their foster carers.",
                &["LeavingCareSupportStarted"],
                |s, _| int(s.care.leaving_care.staying_put_started),
            ),
            m(
                "staying_close_started",
                Count,
                "Care leavers who stayed close to the children's home they left.",
                &["LeavingCareSupportStarted"],
                |s, _| int(s.care.leaving_care.staying_close_started),
            ),
            m(
                "care_leavers_mentored",
                Count,
                "Care leavers given family finding, befriending or mentoring.",
                &["LeavingCareSupportStarted"],
                |s, _| int(s.care.leaving_care.mentored),
            ),
            m(
                "leaving_care_spend_pence",
                Pence,
                "Spent on care leavers' staying put, staying close and mentoring over the measured run (part of the placements line).",
                &["LeavingCareSupportStarted", "LeavingCareSupportEnded"],
                |s, _| int(s.care.leaving_care.spend_pence),
            ),
            m(
                "referrals_followed_up_12_months",
                Count,
                "Referrals (families) whose 12-month mark fell inside the run.",
                REFERRED,
                |s, _| int(s.care.referrals_followed_up_12_months),
            ),
            m(
                "at_home_12_months_after_referral_pct",
                Percent,
                "Share of those referrals (families) with no child looked after 12 months after the referral.",
                &["FamilyReferred", "FamilyReReferred", "EnteredCare", "LeftCare"],
                |s, _| real(s.care.at_home_12_months_after_referral_pct),
            ),
            m(
                "pre_proceedings_started",
                Count,
                "Letters before proceedings sent: pre-proceedings started (families).",
                &["PreProceedingsStarted"],
                |s, _| int(s.care.pre_proceedings_started),
            ),
            m(
                "proceedings_issued",
                Count,
                "Care proceedings issued (families).",
                &["ProceedingsIssued"],
                |s, _| int(s.care.proceedings_issued),
            ),
            m::<Summary>(
                "final_orders.{order}",
                Count,
                "Care proceedings that ended with this final order (families).",
                &["ProceedingsEnded"],
                |s, ix| count_at(&s.care.final_orders, ix),
            )
            .each(Part::Order, |s, _| s.care.final_orders.len()),
            m(
                "kinship_arrangements_outside_care",
                Count,
                "Children who went to live with kin outside care (a child arrangements or special guardianship order, or an arrangement agreed with the family), not counting children leaving care to kin.",
                &["KinshipArrangementMade"],
                |s, _| int(s.care.kinship_arrangements_outside_care),
            ),
            m::<Summary>(
                "entries_by_route.{route}",
                Count,
                "Children who came into care by this route.",
                &["EnteredCare"],
                |s, ix| count_at(&s.care.entries_by_route, ix),
            )
            .each(Part::Route, |s, _| s.care.entries_by_route.len()),
            m::<Summary>(
                "entries_by_legal_status.{legal_status}",
                Count,
                "Children who came into care with this legal status at entry.",
                &["EnteredCare", "LegalStatusChanged"],
                |s, ix| count_at(&s.care.entries_by_legal_status, ix),
            )
            .each(Part::LegalStatus, |s, _| s.care.entries_by_legal_status.len()),
            m::<Summary>(
                "entries_by_age.{age_band}",
                Count,
                "Children who came into care, by age at entry.",
                &["EnteredCare"],
                |s, ix| count_at(&s.care.entries_by_age, ix),
            )
            .each(Part::AgeBand, |s, _| s.care.entries_by_age.len()),
            m(
                "unaccompanied_arrivals",
                Count,
                "Unaccompanied asylum-seeking children who arrived (children).",
                &["UnaccompaniedChildArrived"],
                |s, _| int(s.care.unaccompanied_arrivals),
            ),
            m(
                "child_days_in_care",
                Days,
                "Days in care, summed over children (exact).",
                IN_CARE,
                |s, _| real(s.care.child_days_in_care),
            ),
        ],
    ),
    m::<Summary>(
        "closures.{closure}",
        Count,
        "Cases closed for this reason (families).",
        &["CaseClosed"],
        |s, ix| count_at(&s.closures, ix),
    )
    .each(Part::Closure, |s, _| s.closures.len()),
    group("at_end", AT_END),
    group::<Summary>(
        "workforce.{pool}",
        &[
            m(
                "fte",
                Fte,
                "The pool's funded FTE, as in force at the end (policy changes included).",
                &["scenario"],
                |s, ix| pool_row(s, ix).and_then(|p| real(p.fte)),
            ),
            m(
                "at_end.posts",
                Count,
                "Funded posts in the pool at the end.",
                &["scenario", "PolicyApplied"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.at_end.posts)),
            ),
            m(
                "at_end.permanent",
                Count,
                "Permanent staff in post at the end.",
                &["StaffStarted", "StaffLeft", "StaffJoined", "ApprenticeQualified"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.at_end.permanent)),
            ),
            m(
                "at_end.agency",
                Count,
                "Agency workers in post at the end.",
                &[
                    "StaffStarted",
                    "RecruitmentStarted",
                    "RecruitmentCancelled",
                    "StaffJoined",
                    "ApprenticeQualified",
                ],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.at_end.agency)),
            ),
            m(
                "at_end.apprentices",
                Count,
                "Apprentices in training at the end.",
                &["ApprenticesStarted", "ApprenticeQualified", "ApprenticeWithdrew"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.at_end.apprentices)),
            ),
            m(
                "at_end.cases",
                Count,
                "Cases (families) the pool held at the end: awaiting a front-door decision; in family help; in an enquiry, awaiting a conference, on a plan, in pre-proceedings or proceedings; with a lead practitioner; with an FGDM coordinator.",
                &["state"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.at_end.cases)),
            ),
            m(
                "vacant_at_end",
                Count,
                "Posts vacant at the end: neither filled permanently nor covered by an agency worker.",
                &["derived from workforce.{pool}.at_end.*"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.vacant_at_end)),
            ),
            m(
                "agency_share_at_end_pct",
                Percent,
                "Share of the workers in post at the end who are agency workers.",
                &["derived from workforce.{pool}.at_end.*"],
                |s, ix| pool_row(s, ix).and_then(|p| real(p.agency_share_at_end_pct)),
            ),
            m(
                "caseload_per_worker_at_end",
                CasesPerWorker,
                "Cases per worker in post at the end, to 0.01.",
                &["derived from workforce.{pool}.at_end.*"],
                |s, ix| pool_row(s, ix).and_then(|p| real(p.caseload_per_worker_at_end)),
            ),
            m(
                "left",
                Count,
                "Permanent staff who left the pool.",
                &["StaffLeft"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.left)),
            ),
            m(
                "joined",
                Count,
                "Recruited permanent staff who joined the pool.",
                &["StaffJoined"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.joined)),
            ),
            m(
                "apprentices_started",
                Count,
                "Apprentices who started in the pool.",
                &["ApprenticesStarted"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.apprentices_started)),
            ),
            m(
                "apprentices_qualified",
                Count,
                "Apprentices who qualified into the pool.",
                &["ApprenticeQualified"],
                |s, ix| pool_row(s, ix).and_then(|p| int(p.apprentices_qualified)),
            ),
            m(
                "turnover_pct_per_year",
                PercentPerYear,
                "Permanent staff who left a year per permanent worker in post (the mean over month ends), to 0.01.",
                &["StaffLeft", "derived from by_financial_year.{year}.staff_at_end.{pool_index}.permanent"],
                |s, ix| pool_row(s, ix).and_then(|p| real(p.turnover_pct_per_year)),
            ),
        ],
    )
    .each(Part::Pool, |s, _| s.workforce.len()),
    group::<Summary>(
        "budget.{line}",
        &[
            m(
                "budget_pence_per_year",
                PencePerYear,
                "The line's budget for a financial year, as at the start.",
                &["scenario"],
                |s, ix| line_row(s, ix).and_then(|l| int(l.budget_pence_per_year)),
            ),
            m(
                "spent_pence",
                Pence,
                "Spent from the line over the run.",
                SPENT,
                |s, ix| line_row(s, ix).and_then(|l| int(l.spent_pence)),
            ),
            m(
                "years_exhausted",
                Count,
                "Financial years in which the line's money ran out.",
                &["BudgetExhausted"],
                |s, ix| line_row(s, ix).and_then(|l| int(l.years_exhausted)),
            ),
            group::<Summary>(
                "by_year.{year}",
                &[
                    m(
                        "budget_pence",
                        Pence,
                        "The line's budget for the financial year: the one in force on its last day in the run (policy changes included).",
                        &["scenario"],
                        |s, ix| year_row(s, ix).and_then(|y| int(y.budget_pence)),
                    ),
                    m(
                        "spent_pence",
                        Pence,
                        "Spent from the line in the financial year.",
                        SPENT,
                        |s, ix| year_row(s, ix).and_then(|y| int(y.spent_pence)),
                    ),
                ],
            )
            .years(line_years),
        ],
    )
    .each(Part::Line, |s, _| s.budget.len()),
    Item {
        key: "by_financial_year",
        rows: Rows::One,
        kind: Kind::Periods(financial_years),
    },
];

/// Stands for the period in a [`PERIOD`] meaning that names it.
const PERIOD_WORD: &str = "{period}";

/// The counts of one period ([`PeriodCounts`]): each financial year of the
/// run (`by_financial_year.{year}.…`), and the months after a warm-up
/// (`after_warm_up.…`). A meaning here is a noun phrase; the dictionary
/// says which period (where [`PERIOD_WORD`] is, or after it). Stocks are
/// figures at the period's end.
static PERIOD: &[Item<PeriodCounts>] = &[
    m(
        "referrals",
        Count,
        "referrals (one for each child under 18 in the family referred)",
        REFERRED,
        |p, _| int(p.referrals),
    ),
    m(
        "rereferrals_within_12_months",
        Count,
        "referrals within 12 months of the family's previous referral (children)",
        &["FamilyReReferred"],
        |p, _| int(p.rereferrals_within_12_months),
    ),
    m::<PeriodCounts>(
        "triage.{triage}",
        Count,
        "front-door decisions of this kind (families)",
        &["TriageDecided"],
        |p, ix| element(&p.triage.0, ix),
    )
    .each(Part::Triage, |p, _| len(&p.triage)),
    m(
        "triage_within_1_working_day",
        Count,
        "front-door decisions made within 1 working day of the referral (families)",
        &["TriageDecided"],
        |p, _| int(p.triage_within_1_working_day),
    ),
    m(
        "family_help_started",
        Count,
        "families who started family help",
        &["FamilyHelpStarted"],
        |p, _| int(p.family_help_started),
    ),
    m(
        "assessments",
        Count,
        "family help assessments completed (families)",
        &["AssessmentCompleted"],
        |p, _| int(p.assessments),
    ),
    m(
        "assessments_within_45_working_days",
        Count,
        "assessments completed within 45 working days of the referral (families)",
        &["AssessmentCompleted"],
        |p, _| int(p.assessments_within_45_working_days),
    ),
    m(
        "closures",
        Count,
        "cases closed (families)",
        &["CaseClosed"],
        |p, _| int(p.closures),
    ),
    m(
        "s47_enquiries",
        Count,
        "section 47 enquiries started (one for each child under 18 in the family)",
        &["S47Started"],
        |p, _| int(p.s47_enquiries),
    ),
    m(
        "conferences",
        Count,
        "initial child protection conferences (one for each child under 18 in the family)",
        &["ConferenceHeld"],
        |p, _| int(p.conferences),
    ),
    m(
        "conferences_within_15_working_days",
        Count,
        "initial conferences held within 15 working days of the strategy discussion (children)",
        &["ConferenceHeld"],
        |p, _| int(p.conferences_within_15_working_days),
    ),
    m(
        "plans_started",
        Count,
        "child protection plans started (one for each child under 18 in the family)",
        &["PlanStarted"],
        |p, _| int(p.plans_started),
    ),
    m(
        "plans_ended",
        Count,
        "child protection plans ended (the children counted when each plan started)",
        &["PlanEnded"],
        |p, _| int(p.plans_ended),
    ),
    m::<PeriodCounts>(
        "waiting_for_help_at_end",
        Count,
        "families on the family help waiting list",
        WAITING,
        |p, _| p.waiting_for_help_at_end.and_then(int),
    )
    .stock(),
    m::<PeriodCounts>(
        "in_family_help_at_end",
        Count,
        "families in family help",
        &["FamilyHelpStarted", "FamilyHelpEnded", "FamilyOpened"],
        |p, _| p.in_family_help_at_end.and_then(int),
    )
    .stock(),
    m::<PeriodCounts>(
        "on_plan_at_end",
        Count,
        "children on a child protection plan",
        &["PlanStarted", "PlanEnded", "FamilyOpened"],
        |p, _| p.on_plan_at_end.and_then(int),
    )
    .stock(),
    m::<PeriodCounts>(
        "care_entries.{placement}",
        Count,
        "children who came into care, by first placement",
        &["EnteredCare"],
        |p, ix| element(&p.care_entries.0, ix),
    )
    .each(Part::Placement, |p, _| len(&p.care_entries)),
    m(
        "care_exits",
        Count,
        "children who left care",
        &["LeftCare", "SiblingLeftCare"],
        |p, _| int(p.care_exits),
    ),
    m::<PeriodCounts>(
        "looked_after_at_end.{placement}",
        Count,
        "children looked after, by placement",
        IN_CARE,
        |p, ix| p.looked_after_at_end.and_then(|a| element(&a.0, ix)),
    )
    .each(Part::Placement, |p, _| opt_len(&p.looked_after_at_end.map(|a| a.0)))
    .stock(),
    m(
        "fgdm_offered",
        Count,
        "family group decision-making offered (families)",
        &["FgdmOffered"],
        |p, _| int(p.fgdm_offered),
    ),
    m(
        "fgdm_held",
        Count,
        "family group conferences held: family-led plans made (families)",
        &["FgdmHeld"],
        |p, _| int(p.fgdm_held),
    ),
    m(
        "kin_named",
        Count,
        "family-led plans naming kinship carers (families)",
        &["FgdmHeld"],
        |p, _| int(p.kin_named),
    ),
    m(
        "fnsp_paid",
        Count,
        "family network support packages paid (families)",
        &["FnspPaid"],
        |p, _| int(p.fnsp_paid),
    ),
    m(
        "fnsp_pence",
        Pence,
        "paid in family network support packages",
        &["FnspPaid"],
        |p, _| int(p.fnsp_pence),
    ),
    m(
        "fnsp_refused",
        Count,
        "support packages refused because the financial year's budget was spent (families)",
        &["FnspRefused"],
        |p, _| int(p.fnsp_refused),
    ),
    m(
        "lead_enquiries",
        Count,
        "enquiries taken by a lead child protection practitioner (families)",
        &["LeadPractitionerAssigned"],
        |p, _| int(p.lead_enquiries),
    ),
    m(
        "fgdm_unavailable",
        Count,
        "family group decision-making not offered because no coordinator had room (families)",
        &["FgdmUnavailable"],
        |p, _| int(p.fgdm_unavailable),
    ),
    m::<PeriodCounts>(
        "spend_pence.{line_index}",
        Pence,
        "spent from the budget line",
        SPENT,
        |p, ix| element(&p.spend_pence.0, ix),
    )
    .each(Part::LineIndex, |p, _| len(&p.spend_pence)),
    m::<PeriodCounts>(
        "budget_exhausted.{line_index}",
        Count,
        "times the budget line's money ran out",
        &["BudgetExhausted"],
        |p, ix| element(&p.budget_exhausted.0, ix),
    )
    .each(Part::LineIndex, |p, _| len(&p.budget_exhausted)),
    m::<PeriodCounts>(
        "staff_left.{pool_index}",
        Count,
        "permanent staff who left the pool",
        &["StaffLeft"],
        |p, ix| element(&p.staff_left.0, ix),
    )
    .each(Part::PoolIndex, |p, _| len(&p.staff_left)),
    m::<PeriodCounts>(
        "staff_joined.{pool_index}",
        Count,
        "recruited permanent staff who joined the pool",
        &["StaffJoined"],
        |p, ix| element(&p.staff_joined.0, ix),
    )
    .each(Part::PoolIndex, |p, _| len(&p.staff_joined)),
    m::<PeriodCounts>(
        "apprentices_started.{pool_index}",
        Count,
        "apprentices who started in the pool",
        &["ApprenticesStarted"],
        |p, ix| element(&p.apprentices_started.0, ix),
    )
    .each(Part::PoolIndex, |p, _| len(&p.apprentices_started)),
    m::<PeriodCounts>(
        "apprentices_qualified.{pool_index}",
        Count,
        "apprentices who qualified into the pool",
        &["ApprenticeQualified"],
        |p, ix| element(&p.apprentices_qualified.0, ix),
    )
    .each(Part::PoolIndex, |p, _| len(&p.apprentices_qualified)),
    group::<PeriodCounts>(
        "staff_at_end.{pool_index}",
        &[
            m::<PeriodCounts>(
                "posts",
                Count,
                "funded posts in the pool",
                &["scenario", "PolicyApplied"],
                |p, ix| staff_at_end(p, ix).and_then(|a| int(a.posts)),
            )
            .stock(),
            m::<PeriodCounts>(
                "permanent",
                Count,
                "permanent staff in post in the pool",
                &["StaffStarted", "StaffLeft", "StaffJoined", "ApprenticeQualified"],
                |p, ix| staff_at_end(p, ix).and_then(|a| int(a.permanent)),
            )
            .stock(),
            m::<PeriodCounts>(
                "agency",
                Count,
                "agency workers in post in the pool",
                STAFF_IN_POST,
                |p, ix| staff_at_end(p, ix).and_then(|a| int(a.agency)),
            )
            .stock(),
            m::<PeriodCounts>(
                "apprentices",
                Count,
                "apprentices in training in the pool",
                &["ApprenticesStarted", "ApprenticeQualified", "ApprenticeWithdrew"],
                |p, ix| staff_at_end(p, ix).and_then(|a| int(a.apprentices)),
            )
            .stock(),
            m::<PeriodCounts>(
                "cases",
                Count,
                "cases (families) the pool held",
                &["state"],
                |p, ix| staff_at_end(p, ix).and_then(|a| int(a.cases)),
            )
            .stock(),
        ],
    )
    .each(Part::PoolIndex, |p, _| opt_len(&p.staff_at_end.map(|a| a.0))),
    m(
        "followed_up_12_months",
        Count,
        "referrals (families) made in the {period} whose 12-month mark came within the run",
        REFERRED,
        |p, _| int(p.followed_up_12_months),
    ),
    m(
        "at_home_12_months_later",
        Count,
        "referrals (families) made in the {period} whose 12-month mark came within the run, with no child looked after then",
        &["FamilyReferred", "FamilyReReferred", "EnteredCare", "LeftCare"],
        |p, _| int(p.at_home_12_months_later),
    ),
    m(
        "escalations",
        Count,
        "families on the waiting list whose concerns escalated (a new referral)",
        &["Escalated"],
        |p, _| int(p.escalations),
    ),
    m(
        "disengaged",
        Count,
        "families who left the waiting list without help",
        &["Disengaged"],
        |p, _| int(p.disengaged),
    ),
    m(
        "conference_working_minutes",
        WorkingMinutes,
        "working minutes from the strategy discussion to the initial conference, summed over conferences (children)",
        &["ConferenceHeld", "S47Started"],
        |p, _| int(p.conference_working_minutes),
    ),
    m(
        "pre_proceedings_started",
        Count,
        "letters before proceedings: pre-proceedings started (families)",
        &["PreProceedingsStarted"],
        |p, _| int(p.pre_proceedings_started),
    ),
    m(
        "proceedings_issued",
        Count,
        "care proceedings issued (families)",
        &["ProceedingsIssued"],
        |p, _| int(p.proceedings_issued),
    ),
    m::<PeriodCounts>(
        "final_orders.{order_index}",
        Count,
        "care proceedings that ended with this final order (families)",
        &["ProceedingsEnded"],
        |p, ix| element(&p.final_orders.0, ix),
    )
    .each(Part::OrderIndex, |p, _| len(&p.final_orders)),
    m(
        "kinship_arrangements",
        Count,
        "children who went to live with kin outside care",
        &["KinshipArrangementMade"],
        |p, _| int(p.kinship_arrangements),
    ),
    m::<PeriodCounts>(
        "care_entries_by_route.{route_index}",
        Count,
        "children who came into care by this route",
        &["EnteredCare"],
        |p, ix| element(&p.care_entries_by_route.0, ix),
    )
    .each(Part::RouteIndex, |p, _| len(&p.care_entries_by_route)),
    m::<PeriodCounts>(
        "care_entries_by_legal_status.{legal_status_index}",
        Count,
        "children who came into care with this legal status at entry",
        &["EnteredCare", "LegalStatusChanged"],
        |p, ix| element(&p.care_entries_by_legal_status.0, ix),
    )
    .each(Part::LegalStatusIndex, |p, _| {
        len(&p.care_entries_by_legal_status)
    }),
    m::<PeriodCounts>(
        "care_entries_by_age.{age_band_index}",
        Count,
        "children who came into care in this age band",
        &["EnteredCare"],
        |p, ix| element(&p.care_entries_by_age.0, ix),
    )
    .each(Part::AgeBandIndex, |p, _| len(&p.care_entries_by_age)),
    m::<PeriodCounts>(
        "care_exits_by_reason.{exit_index}",
        Count,
        "children who left care this way",
        &["LeftCare", "SiblingLeftCare"],
        |p, ix| element(&p.care_exits_by_reason.0, ix),
    )
    .each(Part::ExitIndex, |p, _| len(&p.care_exits_by_reason)),
];

/// A pool's people at a period's end (the innermost part is the pool).
fn staff_at_end(p: &PeriodCounts, ix: &[usize]) -> Option<crate::model::projection::StaffAtEnd> {
    p.staff_at_end.and_then(|a| a.get(last(ix)).copied())
}

// ---------------------------------------------------------------------------
// After a warm-up

/// The whole months after a warm-up, from which the `after_warm_up.*`
/// figures are recomputed.
pub struct Window<'a> {
    /// The monthly rows of the months that start on or after the warm-up's end.
    pub months: Vec<&'a PeriodCounts>,
    /// Years from the first of those months to the run's last day (days / 365).
    pub years: f64,
    /// Children in the area (at least 1).
    pub children: f64,
}

impl Window<'_> {
    /// Sum of one count over the window's months.
    fn total(&self, f: impl Fn(&PeriodCounts) -> u64) -> f64 {
        self.months.iter().map(|m| f(m)).sum::<u64>() as f64
    }

    fn per_10k_year(&self, f: impl Fn(&PeriodCounts) -> u64) -> f64 {
        self.total(f) / self.years / self.children * 10_000.0
    }
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part * 100.0 / whole
    } else {
        0.0
    }
}

/// A share or rate the summary gives, recomputed from the window's sums.
struct Rate {
    key: &'static str,
    unit: Unit,
    meaning: &'static str,
    sources: &'static [&'static str],
    get: fn(&Window) -> f64,
}

/// `after_warm_up.*` rates and shares, after the sums and means.
static WARM_UP_RATES: &[Rate] = &[
    Rate {
        key: "referrals_per_10k_children_per_year",
        unit: Per10kChildrenPerYear,
        meaning: "Referrals (children) after the warm-up per 10,000 children in the area a year.",
        sources: &["derived from after_warm_up.referrals", "scenario"],
        get: |w| w.per_10k_year(|m| m.referrals),
    },
    Rate {
        key: "rereferred_within_12_months_pct",
        unit: Percent,
        meaning: "Share of the referrals (children) after the warm-up made within 12 months of the family's previous referral.",
        sources: &[
            "derived from after_warm_up.rereferrals_within_12_months",
            "derived from after_warm_up.referrals",
        ],
        get: |w| pct(w.total(|m| m.rereferrals_within_12_months), w.total(|m| m.referrals)),
    },
    Rate {
        key: "triage_within_1_working_day_pct",
        unit: Percent,
        meaning: "Share of the front-door decisions (families) after the warm-up made within 1 working day of the referral.",
        sources: &[
            "derived from after_warm_up.triage_within_1_working_day",
            "derived from after_warm_up.triage.{triage}",
        ],
        get: |w| {
            pct(
                w.total(|m| m.triage_within_1_working_day),
                w.total(|m| m.triage.iter().sum()),
            )
        },
    },
    Rate {
        key: "assessments_within_45_working_days_pct",
        unit: Percent,
        meaning: "Share of the assessments (families) after the warm-up completed within 45 working days of the referral.",
        sources: &[
            "derived from after_warm_up.assessments_within_45_working_days",
            "derived from after_warm_up.assessments",
        ],
        get: |w| {
            pct(
                w.total(|m| m.assessments_within_45_working_days),
                w.total(|m| m.assessments),
            )
        },
    },
    Rate {
        key: "conferences_within_15_working_days_pct",
        unit: Percent,
        meaning: "Share of the initial conferences (children) after the warm-up held within 15 working days of the strategy discussion.",
        sources: &[
            "derived from after_warm_up.conferences_within_15_working_days",
            "derived from after_warm_up.conferences",
        ],
        get: |w| {
            pct(
                w.total(|m| m.conferences_within_15_working_days),
                w.total(|m| m.conferences),
            )
        },
    },
    Rate {
        key: "s47_per_10k_children_per_year",
        unit: Per10kChildrenPerYear,
        meaning: "Section 47 enquiries (children) after the warm-up per 10,000 children in the area a year.",
        sources: &["derived from after_warm_up.s47_enquiries", "scenario"],
        get: |w| w.per_10k_year(|m| m.s47_enquiries),
    },
    Rate {
        key: "plans_started_per_10k_children_per_year",
        unit: Per10kChildrenPerYear,
        meaning: "Child protection plans started (children) after the warm-up per 10,000 children in the area a year.",
        sources: &["derived from after_warm_up.plans_started", "scenario"],
        get: |w| w.per_10k_year(|m| m.plans_started),
    },
    Rate {
        key: "at_home_12_months_after_referral_pct",
        unit: Percent,
        meaning: "Share of the referrals (families) made after the warm-up and followed up 12 months later with no child looked after then.",
        sources: &[
            "derived from after_warm_up.at_home_12_months_later",
            "derived from after_warm_up.followed_up_12_months",
        ],
        get: |w| {
            pct(
                w.total(|m| m.at_home_12_months_later),
                w.total(|m| m.followed_up_12_months),
            )
        },
    },
    Rate {
        key: "care_entries_per_10k_children_per_year",
        unit: Per10kChildrenPerYear,
        meaning: "Children who came into care after the warm-up per 10,000 children in the area a year.",
        sources: &["derived from after_warm_up.care_entries.{placement}", "scenario"],
        get: |w| w.per_10k_year(|m| m.care_entries.iter().sum()),
    },
];

/// The prefix of the figures after a warm-up.
const AFTER_WARM_UP: &str = "after_warm_up";

// ---------------------------------------------------------------------------
// Values

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Calls `emit(key, value, about)` for each metric of `items` over `t`, in order.
fn walk<T>(
    items: &[Item<T>],
    t: &T,
    prefix: &str,
    ix: &mut Vec<usize>,
    emit: &mut dyn FnMut(String, f64, &About),
) -> Result<(), String> {
    for item in items {
        match &item.rows {
            Rows::One => visit(item, t, join(prefix, item.key), ix, emit)?,
            Rows::Each(part, len) => {
                let keys = part.keys().unwrap_or_default();
                let have = len(t, ix);
                if have != keys.len() {
                    return Err(format!(
                        "`{}`: the run has {have} rows, the metric registry {} values of {{{}}}",
                        join(prefix, item.key),
                        keys.len(),
                        part.name()
                    ));
                }
                let placeholder = part.placeholder();
                for (i, k) in keys.iter().enumerate() {
                    ix.push(i);
                    let key = join(prefix, &item.key.replace(&placeholder, k));
                    let r = visit(item, t, key, ix, emit);
                    ix.pop();
                    r?;
                }
            }
            Rows::Years(years) => {
                let placeholder = Part::Year.placeholder();
                for (i, y) in years(t, ix).iter().enumerate() {
                    ix.push(i);
                    let key = join(prefix, &item.key.replace(&placeholder, y));
                    let r = visit(item, t, key, ix, emit);
                    ix.pop();
                    r?;
                }
            }
        }
    }
    Ok(())
}

fn visit<T>(
    item: &Item<T>,
    t: &T,
    key: String,
    ix: &mut Vec<usize>,
    emit: &mut dyn FnMut(String, f64, &About),
) -> Result<(), String> {
    match &item.kind {
        Kind::Metric(about, get) => {
            if let Some(x) = get(t, ix).and_then(Value::number) {
                emit(key, x, about);
            }
            Ok(())
        }
        Kind::Group(items) => walk(items, t, &key, ix, emit),
        Kind::Periods(rows) => {
            for row in rows(t) {
                walk(PERIOD, row, &join(&key, &row.period), &mut Vec::new(), emit)?;
            }
            Ok(())
        }
    }
}

/// The metrics of a run without a warm-up, in the registry's order.
pub fn summary_values(summary: &Summary) -> Result<MetricValues, String> {
    let mut out = Vec::with_capacity(640);
    walk(SUMMARY, summary, "", &mut Vec::new(), &mut |k, x, _| {
        out.push((k, x))
    })?;
    Ok(out)
}

/// The metrics of a run after a warm-up: the counts of `window`'s months
/// summed, their end-of-month stocks averaged (`….mean`), the rates
/// recomputed, then `at_end.*` from `summary`.
pub fn warm_up_values(summary: &Summary, window: &Window) -> Result<MetricValues, String> {
    // Sums (and month counts) per key, in the order keys are first seen.
    let mut order: Vec<(String, bool)> = Vec::new();
    let mut sums: Vec<(f64, u32)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for month in &window.months {
        walk(PERIOD, *month, "", &mut Vec::new(), &mut |k, x, about| {
            let i = match index.get(&k) {
                Some(&i) => i,
                None => {
                    index.insert(k.clone(), order.len());
                    order.push((k, about.stock));
                    sums.push((0.0, 0));
                    order.len() - 1
                }
            };
            sums[i].0 += x;
            sums[i].1 += 1;
        })?;
    }
    let mut out = Vec::with_capacity(order.len() + WARM_UP_RATES.len() + AT_END.len());
    for ((key, stock), (sum, n)) in order.into_iter().zip(sums) {
        if stock {
            out.push((
                format!("{AFTER_WARM_UP}.{key}.mean"),
                sum / f64::from(n.max(1)),
            ));
        } else {
            out.push((format!("{AFTER_WARM_UP}.{key}"), sum));
        }
    }
    for rate in WARM_UP_RATES {
        out.push((format!("{AFTER_WARM_UP}.{}", rate.key), (rate.get)(window)));
    }
    walk(
        AT_END,
        summary,
        "at_end",
        &mut Vec::new(),
        &mut |k, x, _| out.push((k, x)),
    )?;
    Ok(out)
}

// ---------------------------------------------------------------------------
// The dictionary

/// One entry of the data dictionary: a key (or a key pattern with parts in
/// braces), its unit, what it means and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The key, or its pattern: `care.entries.{placement}`.
    pub key: String,
    /// Its unit.
    pub unit: Unit,
    /// What it means, in one line.
    pub meaning: String,
    /// Where it comes from: the `Event` variants it is folded from,
    /// `scenario`, `state`, `every event`, or `derived from KEY`.
    pub sources: Vec<String>,
}

impl Entry {
    /// The parts in its key, outermost first.
    pub fn parts(&self) -> Vec<Part> {
        self.key
            .split('.')
            .filter_map(|s| Part::ALL.into_iter().find(|p| p.placeholder() == s))
            .collect()
    }

    /// Whether `key` is this entry's key or one of its pattern's keys.
    pub fn matches(&self, key: &str) -> bool {
        let pattern: Vec<&str> = self.key.split('.').collect();
        let segments: Vec<&str> = key.split('.').collect();
        pattern.len() == segments.len()
            && pattern.iter().zip(&segments).all(|(p, s)| {
                match Part::ALL.into_iter().find(|part| part.placeholder() == *p) {
                    Some(part) => part.accepts(s),
                    None => p == s,
                }
            })
    }

    /// Every key of its pattern, `{year}` taking the values `years`.
    pub fn keys(&self, years: &[&str]) -> Vec<String> {
        let mut keys = vec![String::new()];
        for (i, segment) in self.key.split('.').enumerate() {
            let values: Vec<String> =
                match Part::ALL.into_iter().find(|p| p.placeholder() == segment) {
                    Some(part) => part.keys().map_or_else(
                        || years.iter().map(|y| y.to_string()).collect(),
                        |k| k.iter().map(|k| k.to_string()).collect(),
                    ),
                    None => vec![segment.to_string()],
                };
            keys = keys
                .iter()
                .flat_map(|k| {
                    values.iter().map(move |v| {
                        if i == 0 {
                            v.clone()
                        } else {
                            format!("{k}.{v}")
                        }
                    })
                })
                .collect();
        }
        keys
    }
}

fn sources(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

/// Appends the entries of `items` under `prefix` (a pattern), with their
/// meanings passed through `meaning`.
fn patterns<T>(
    items: &[Item<T>],
    prefix: &str,
    meaning: &dyn Fn(&About) -> (String, String),
    out: &mut Vec<Entry>,
) {
    for item in items {
        let key = join(prefix, item.key);
        match &item.kind {
            Kind::Metric(about, _) => {
                let (suffix, meaning) = meaning(about);
                out.push(Entry {
                    key: key + &suffix,
                    unit: about.unit,
                    meaning,
                    sources: sources(about.sources),
                });
            }
            Kind::Group(items) => patterns(items, &key, meaning, out),
            Kind::Periods(_) => patterns(
                PERIOD,
                &join(&key, &Part::Year.placeholder()),
                &|a: &About| {
                    let m = capitalised(a.meaning);
                    let text = if a.stock {
                        format!("{m} at the financial year's end (31 March; absent when the run ends before March).")
                    } else if m.contains(PERIOD_WORD) {
                        format!("{}.", m.replace(PERIOD_WORD, "financial year"))
                    } else {
                        format!("{m}, in the financial year.")
                    };
                    (String::new(), text)
                },
                out,
            ),
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Every entry of the registry, in the order runs report them: a run's
/// metrics (`by_financial_year.{year}.*` included), then the figures after
/// a warm-up (`after_warm_up.*`; `at_end.*` is reported with them too).
pub fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    patterns(
        SUMMARY,
        "",
        &|a: &About| (String::new(), a.meaning.to_string()),
        &mut out,
    );
    patterns(
        PERIOD,
        AFTER_WARM_UP,
        &|a: &About| {
            if a.stock {
                (
                    ".mean".to_string(),
                    format!(
                        "Mean over the month ends after the warm-up of the {}.",
                        a.meaning
                    ),
                )
            } else if a.meaning.contains(PERIOD_WORD) {
                (
                    String::new(),
                    format!(
                        "{}.",
                        capitalised(a.meaning)
                            .replace(PERIOD_WORD, "whole months after the warm-up")
                    ),
                )
            } else {
                (
                    String::new(),
                    format!(
                        "{}, summed over the whole months after the warm-up.",
                        capitalised(a.meaning)
                    ),
                )
            }
        },
        &mut out,
    );
    for rate in WARM_UP_RATES {
        out.push(Entry {
            key: join(AFTER_WARM_UP, rate.key),
            unit: rate.unit,
            meaning: rate.meaning.to_string(),
            sources: sources(rate.sources),
        });
    }
    out
}

/// The entry whose pattern `key` matches, if any.
pub fn lookup(key: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.matches(key))
}

/// What a part's values are: `0 front_door`, `1 family_help`, … for a
/// position part, the values for the others.
fn part_values(part: Part) -> Vec<String> {
    if let Some(of) = part.numbers() {
        return of
            .keys()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{i} {k}"))
            .collect();
    }
    match part.keys() {
        Some(keys) => keys.iter().map(|k| k.to_string()).collect(),
        None => vec![
            "YYYY-YY: 2024-25".into(),
            "2025-26".into(),
            "… (the run's years)".into(),
        ],
    }
}

const INTRO: &str = "Every number `familyflow run --replications` and `familyflow compare` report (replications.csv, summary-stats.csv, compare.csv and their JSON), by key. Keys never change. A part in braces stands for each of its values. Money is in pence (keys with `pence`); counts say whether they count children or families.";

/// The data dictionary as a table for a terminal.
pub fn dictionary_text() -> String {
    let entries = entries();
    let mut o = String::new();
    let _ = writeln!(o, "familyflow {} — metrics", crate::VERSION);
    let _ = writeln!(o);
    let words: Vec<String> = INTRO.split_whitespace().map(String::from).collect();
    for line in wrap_items(&words, " ", 78) {
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Parts of keys");
    for part in Part::ALL {
        let name = format!("{{{}}}", part.name());
        let _ = writeln!(o, "  {name:<22}{}", part.meaning().replace('`', ""));
        for line in wrap_items(&part_values(part), ", ", 72) {
            let _ = writeln!(o, "  {:<22}  {line}", "");
        }
    }
    let _ = writeln!(o);
    const KEY: usize = 52;
    let unit_width = entries
        .iter()
        .map(|e| e.unit.label().chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let _ = writeln!(o, "{:<KEY$}{:<unit_width$}meaning", "key", "unit");
    for e in &entries {
        if e.key.len() >= KEY - 1 {
            let _ = writeln!(o, "{}", e.key);
            let _ = write!(o, "{:<KEY$}", "");
        } else {
            let _ = write!(o, "{:<KEY$}", e.key);
        }
        let _ = writeln!(o, "{:<unit_width$}{}", e.unit.label(), e.meaning);
        let _ = writeln!(
            o,
            "{:<KEY$}{:<unit_width$}  sources: {}",
            "",
            "",
            e.sources.join(", ")
        );
    }
    o
}

/// `items` joined by `sep` in lines of at most `width` characters (an
/// item is not split).
fn wrap_items(items: &[String], sep: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty()
            && line.chars().count() + sep.chars().count() + item.chars().count() > width
        {
            line.push_str(sep.trim_end());
            lines.push(std::mem::take(&mut line));
        } else if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The data dictionary as JSON: an array of objects with `key`, `unit`,
/// `meaning` and `sources`, in the registry's order.
pub fn dictionary_json() -> String {
    let mut s = serde_json::to_string_pretty(&entries()).expect("the dictionary serialises");
    s.push('\n');
    s
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The data dictionary as Markdown: the parts of keys, then one table row per entry.
pub fn dictionary_markdown() -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{INTRO}");
    let _ = writeln!(o);
    let _ = writeln!(o, "## Parts of keys");
    let _ = writeln!(o);
    let _ = writeln!(o, "| part | stands for | values |");
    let _ = writeln!(o, "| --- | --- | --- |");
    for part in Part::ALL {
        let _ = writeln!(
            o,
            "| `{{{}}}` | {} | {} |",
            part.name(),
            cell(part.meaning()),
            cell(&part_values(part).join(", "))
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "## Metrics");
    let _ = writeln!(o);
    let _ = writeln!(o, "| key | unit | meaning | from |");
    let _ = writeln!(o, "| --- | --- | --- | --- |");
    for e in entries() {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} |",
            e.key,
            cell(e.unit.label()),
            cell(&e.meaning),
            cell(&e.sources.join(", "))
        );
    }
    o
}

/// `docs/METRICS.md`: a header saying how it is made, then [`dictionary_markdown`].
pub fn metrics_doc() -> String {
    format!(
        "# Metrics\n\n\
         <!-- Generated from src/analysis/metric_registry.rs (`metric_registry::dictionary_markdown`). \
         Do not edit: regenerate with `FAMILYFLOW_BLESS=1 cargo test --test metrics`. -->\n\n\
         {}",
        dictionary_markdown()
    )
}
