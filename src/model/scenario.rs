//! Scenarios: what a modeller writes, read from TOML and validated.
//!
//! Every field is required unless marked optional; unknown fields are errors.
//! Errors name the file, line and column, the field path, the bad value and
//! what is allowed. Range checks live in the value types (so the TOML parser
//! reports them with their position); checks across fields live in
//! [`Scenario::validate`] and are located afterwards by field path.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::model::calendar::{Calendar, CivilDate, Minute};
use crate::model::per::{PerLine, PerPlacement, PerPool};

/// The built-in default scenario (also shipped as `scenarios/default.toml`).
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");
/// How many scenario files may extend one another in a chain.
pub const MAX_EXTENDS: usize = 8;
/// The largest budget line a scenario may set, in pounds a year.
pub const MAX_BUDGET_POUNDS: f64 = 1e12;
/// The largest weekly placement cost or support package, in pounds.
pub const MAX_WEEKLY_OR_ONE_OFF_POUNDS: f64 = 1e7;
/// The largest salary, in pounds a year.
pub const MAX_SALARY_POUNDS: f64 = 1e8;
/// The largest agency premium (10: agency staff cost 11 times as much).
pub const MAX_AGENCY_PREMIUM: f64 = 10.0;
/// A staff pool's funded FTE and caseload cap, and the fields that set them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Staffing {
    /// Funded full-time equivalents.
    pub fte: f64,
    /// Cases a full-time worker holds at most.
    pub cap: u32,
    /// The field setting `fte`.
    pub fte_field: &'static str,
    /// The field setting `cap`.
    pub cap_field: &'static str,
}

/// The name under which the built-in scenario is reported.
pub const DEFAULT_SCENARIO_NAME: &str = "<built-in default>";

macro_rules! bounded_f64 {
    ($(#[$doc:meta])* $name:ident, $ok:expr, $expected:literal, $schema:tt) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, PartialOrd, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub f64);

        impl $name {
            /// The number.
            #[inline]
            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let mut schema = schemars::json_schema!($schema);
                schema.insert("description".into(), concat!("Expected: ", $expected).into());
                schema
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = f64::deserialize(d)?;
                let ok: fn(f64) -> bool = $ok;
                if v.is_finite() && ok(v) {
                    Ok($name(v))
                } else {
                    Err(de::Error::custom(format!(
                        concat!("{} is not allowed here: expected ", $expected),
                        v
                    )))
                }
            }
        }
    };
}

bounded_f64!(
    /// A probability or share: a number from 0 to 1.
    Probability,
    |v| (0.0..=1.0).contains(&v),
    "a probability from 0 to 1",
    { "type": "number", "minimum": 0, "maximum": 1 }
);
bounded_f64!(
    /// A number that is zero or more.
    NonNegative,
    |v| v >= 0.0,
    "a number that is 0 or more",
    { "type": "number", "minimum": 0 }
);
bounded_f64!(
    /// A number greater than zero.
    Positive,
    |v| v > 0.0,
    "a number greater than 0",
    { "type": "number", "exclusiveMinimum": 0 }
);

impl Serialize for CivilDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for CivilDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date", "description": "A date like 2024-04-01 (a TOML local date)" })
    }
}

impl<'de> Deserialize<'de> for CivilDate {
    /// From a TOML date (`2024-04-01`) or a string holding one.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = CivilDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like 2024-04-01, without a time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CivilDate, E> {
                CivilDate::parse(v).ok_or_else(|| {
                    E::custom(format!(
                        "{v} is not allowed here: expected a date like 2024-04-01, without a time"
                    ))
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<CivilDate, A::Error> {
                // toml hands a datetime over as a one-entry map.
                let Some((_, v)) = map.next_entry::<String, String>()? else {
                    return Err(de::Error::custom("expected a date like 2024-04-01"));
                };
                self.visit_str(&v)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The default mean gap between siblings' births, in years.
fn three_years() -> Positive {
    Positive(3.0)
}

impl Default for NonNegative {
    /// Zero.
    fn default() -> Self {
        NonNegative(0.0)
    }
}

impl Default for Probability {
    /// Zero.
    fn default() -> Self {
        Probability(0.0)
    }
}

/// A whole scenario: an area, its families, and how each route works.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for tables and reports.
    pub name: String,
    /// Free text (optional).
    #[serde(default)]
    pub description: String,
    /// The first day of the run.
    pub start: CivilDate,
    /// Length of the run in years (1 to 50); each year is 365 days.
    pub years: u32,
    /// Years simulated before `start` with the scenario's own parameters
    /// (optional, default 0, at most 50), so that the measured run starts
    /// from a settled state: stocks of open cases, children in care, staff
    /// and families who will come back. Nothing before `start` is counted.
    #[serde(default)]
    pub burn_in_years: u32,
    /// Bank holidays: not working days (optional).
    #[serde(default)]
    pub bank_holidays: Vec<CivilDate>,
    /// Count Saturdays and Sundays as working days (optional, default false;
    /// for validation scenarios that must run without weekends).
    #[serde(default)]
    pub seven_day_week: bool,
    /// The area and its demand.
    pub area: Area,
    /// What referred families are like.
    pub families: Families,
    /// The front door.
    pub triage: Triage,
    /// Family help.
    pub family_help: FamilyHelp,
    /// Child protection: section 47 enquiries, conferences and plans.
    pub child_protection: ChildProtection,
    /// Care: entry, placements, costs and exits.
    pub care: Care,
    /// Lead child protection practitioners (FFC element 2).
    pub lead_practitioners: LeadPractitioners,
    /// Family networks: family group decision-making and support packages.
    pub family_network: FamilyNetwork,
    /// How each staff pool's people come and go, and what they cost.
    pub workforce: Workforce,
    /// The funding ledger: a budget for each line, per financial year.
    pub budget: Budget,
    /// Coming back after a case closed.
    pub rereferral: ReReferral,
    /// What happens to families waiting for family help (optional; without
    /// it nobody escalates or disengages while waiting and unmet needs do
    /// not raise risk).
    #[serde(default)]
    pub escalation: Escalation,
    /// Pre-proceedings and care proceedings.
    pub proceedings: Proceedings,
    /// Families already open on the first day, by stage (optional; without
    /// it a run starts with no open cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_caseload: Option<StartingCaseload>,
    /// Placement sufficiency: the places an area has and how children are
    /// matched to them, moved and placed out of the area (optional; without
    /// it every placement drawn is available, in the area, for as long as
    /// the child is in care).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placements: Option<Placements>,
    /// Dated changes to any parameter except `name`, `description`, `start`,
    /// `years`, `bank_holidays`, `families` and `starting_caseload` (optional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicyChange>,
}

/// A dated change to the scenario: from `date` on, the parameters written
/// beside it (as dotted keys, e.g. `family_help.fte = 120`) take new values.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyChange {
    /// The day the change takes effect (at midnight).
    pub date: CivilDate,
    /// What the change is, for tables and reports (optional).
    #[serde(default)]
    pub note: String,
    /// The parameters it changes.
    #[serde(flatten)]
    #[schemars(with = "std::collections::BTreeMap<String, serde_json::Value>")]
    pub changes: toml::Table,
}

/// The area and its demand.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Children under 18 living in the area.
    pub children: u64,
    /// Referrals of new families per 10,000 children per year (re-referrals come on top).
    pub new_referrals_per_10k_children: NonNegative,
    /// Relative referral rate by calendar month, January first (optional;
    /// 12 numbers, scaled so that their mean is 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_profile: Option<Vec<NonNegative>>,
}

/// What referred families are like; drawn once per family from its own stream.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Families {
    /// Mean number of children in a referred household (1 or more).
    pub children_mean: Positive,
    /// Mean whole years between siblings' births (optional, default 3):
    /// each gap is uniform on 1 to twice this less 1. Children of 18 and
    /// over are adults at home and are not counted.
    #[serde(default = "three_years")]
    pub sibling_gap_years_mean: Positive,
    /// Shares of levels of need among families below the significant-harm threshold.
    pub need: NeedShares,
    /// Prevalence of each risk factor among referred families.
    pub risk_factors: RiskFactorPrevalence,
    /// How much each risk factor present raises latent risk: each removes
    /// this share of the remaining distance to certainty.
    pub risk_factor_weight: Probability,
    /// Latent risk at or above which a child is at risk of significant harm.
    pub significant_harm_threshold: Probability,
    /// Mean strength of a family's network (0 none, 1 strong).
    pub network_strength_mean: Probability,
    /// Shares of referred families by the age of the youngest child
    /// (optional; without it ages are spread evenly over 0 to 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_of_youngest: Option<AgeBandShares>,
    /// How much a youngest child under 1 raises latent risk, as a risk
    /// factor does (optional, default 0).
    #[serde(default)]
    pub infant_risk_weight: Probability,
}

/// Relative shares by age band (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeBandShares {
    /// Under 1 (including babies referred before birth, counted from birth).
    pub under_1: NonNegative,
    /// 1 to 4.
    pub from_1_to_4: NonNegative,
    /// 5 to 9.
    pub from_5_to_9: NonNegative,
    /// 10 to 15.
    pub from_10_to_15: NonNegative,
    /// 16 and 17.
    pub from_16_to_17: NonNegative,
}

impl AgeBandShares {
    /// The bands as (first age, number of ages, share).
    pub fn bands(&self) -> [(u8, u8, f64); 5] {
        [
            (0, 1, self.under_1.get()),
            (1, 4, self.from_1_to_4.get()),
            (5, 5, self.from_5_to_9.get()),
            (10, 6, self.from_10_to_15.get()),
            (16, 2, self.from_16_to_17.get()),
        ]
    }
}

/// Relative shares of levels of need (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedShares {
    /// No additional need.
    pub none: NonNegative,
    /// Needs met by universal services.
    pub low: NonNegative,
    /// Needs targeted family help.
    pub moderate: NonNegative,
    /// Complex needs.
    pub high: NonNegative,
}

/// Prevalence of each risk factor.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskFactorPrevalence {
    /// Domestic abuse.
    pub domestic_abuse: Probability,
    /// Parental substance misuse.
    pub substance_misuse: Probability,
    /// Parental mental ill health.
    pub mental_health: Probability,
    /// Neglect.
    pub neglect: Probability,
}

/// The front door.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Triage {
    /// Mean time to a decision, in working days (exponential).
    pub decision_working_days_mean: Positive,
    /// Share of decisions that match the family's real situation with no data sharing.
    pub accuracy_without_data_sharing: Probability,
    /// The same with full multi-agency data sharing.
    pub accuracy_with_full_data_sharing: Probability,
    /// How far multi-agency data sharing has got (0 none, 1 full).
    pub data_sharing: Probability,
    /// Front-door practitioners, full-time equivalent (funded posts).
    pub fte: NonNegative,
    /// Referrals awaiting a decision a practitioner can hold before the
    /// front door counts as full.
    pub caseload_cap: u32,
    /// At a full front door, the share by which decisions take longer
    /// (linear in the load, which may reach twice the cap).
    pub caseload_penalty: NonNegative,
}

impl Triage {
    /// The probability that a decision matches the family's situation.
    pub fn accuracy(&self) -> f64 {
        let lo = self.accuracy_without_data_sharing.get();
        let hi = self.accuracy_with_full_data_sharing.get();
        lo + (hi - lo) * self.data_sharing.get()
    }
}

/// Family help: a team with a caseload cap, a waiting list, an assessment and support.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyHelp {
    /// Practitioners, full-time equivalent.
    pub fte: NonNegative,
    /// Families per full-time practitioner at most.
    pub caseload_cap: u32,
    /// Whether the team is multi-disciplinary.
    pub multidisciplinary: bool,
    /// Mean working days from the start of help to a completed assessment (exponential).
    pub assessment_working_days_mean: Positive,
    /// Mean weeks of support (exponential), at an empty caseload.
    pub support_weeks_mean: Positive,
    /// Probability that support meets the family's needs, at an empty caseload and single-discipline team.
    pub need_met_probability: Probability,
    /// Relative gain in that probability from a multi-disciplinary team (0.2 = 20% more likely).
    pub multidisciplinary_uplift: NonNegative,
    /// At a full caseload, the share by which that probability falls and by
    /// which support lasts longer (linear in caseload).
    pub caseload_penalty: Probability,
    /// Probability that a family at risk of significant harm, helped here, is stepped up.
    pub step_up_probability: Probability,
}

impl FamilyHelp {
    /// Families the team can hold at once.
    pub fn capacity(&self) -> u32 {
        (self.fte.get() * f64::from(self.caseload_cap)).floor() as u32
    }
}

/// Child protection: strategy discussion and section 47 enquiry, the initial
/// child protection conference, and a plan with its review conferences.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildProtection {
    /// Mean working days from the strategy discussion to the end of the section 47 enquiry (exponential).
    pub enquiry_working_days_mean: Positive,
    /// Probability that an enquiry about a child at risk of significant harm leads to a conference.
    pub conference_probability_at_risk: Probability,
    /// The same for a child who is not at risk of significant harm.
    pub conference_probability_not_at_risk: Probability,
    /// Mean working days from the end of the enquiry to the conference (exponential).
    pub conference_working_days_mean: Positive,
    /// Probability that a conference makes a child protection plan.
    pub plan_probability: Probability,
    /// How long plans last: relative shares of plans ending in each band.
    pub plan_length: PlanLengthShares,
    /// Probability that a plan ends by stepping down to family help (else pre-proceedings / care proceedings).
    pub step_down_probability: Probability,
    /// Child protection social workers, full-time equivalent (funded posts).
    pub fte: NonNegative,
    /// Families (in an enquiry, awaiting a conference or on a plan) per
    /// full-time social worker before the team counts as full.
    pub caseload_cap: u32,
    /// At a full caseload, the share by which enquiries and the wait for a
    /// conference take longer (linear in the load, which may reach twice the cap).
    pub caseload_penalty: NonNegative,
}

/// Relative shares of child protection plans by length (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanLengthShares {
    /// Up to 3 months.
    pub up_to_3_months: NonNegative,
    /// 3 to 6 months.
    pub from_3_to_6_months: NonNegative,
    /// 6 to 12 months.
    pub from_6_to_12_months: NonNegative,
    /// 1 to 2 years.
    pub from_1_to_2_years: NonNegative,
    /// Over 2 years (drawn up to 3 years).
    pub over_2_years: NonNegative,
}

impl PlanLengthShares {
    /// The shares in band order.
    pub fn weights(&self) -> [f64; 5] {
        [
            self.up_to_3_months.get(),
            self.from_3_to_6_months.get(),
            self.from_6_to_12_months.get(),
            self.from_1_to_2_years.get(),
            self.over_2_years.get(),
        ]
    }
}

/// Care: entry to care, placements with their weekly costs, and exits.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Care {
    /// Probability that a child at risk of significant harm comes into care
    /// in an emergency at the end of a section 47 enquiry.
    pub emergency_probability_at_risk: Probability,
    /// Probability that a family whose family help ended with needs unmet
    /// has its child accommodated under section 20, by the child's age
    /// (optional, default none).
    #[serde(default)]
    pub voluntary_when_needs_unmet: AgeShares,
    /// Probability that a child whose plan ends without stepping down is
    /// accommodated under section 20 instead of the letter before
    /// proceedings, by the child's age (optional, default none).
    #[serde(default)]
    pub voluntary_at_plan_end: AgeShares,
    /// Probability that a child accommodated under section 20 comes into
    /// care with its brothers and sisters under 18 (optional, default 0:
    /// alone); every other route takes the sibling group together.
    #[serde(default)]
    pub voluntary_siblings_together: Probability,
    /// Mean years in care (exponential) of a child accommodated under
    /// section 20, unless the child turns 18 first (optional, default
    /// `years_in_care_mean`); they leave by returning home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voluntary_years_in_care_mean: Option<Positive>,
    /// Unaccompanied asylum-seeking children accommodated on arrival, per
    /// 10,000 children a year (optional, default 0); aged 14 to 17.
    #[serde(default)]
    pub unaccompanied_per_10k_children_per_year: NonNegative,
    /// Relative shares of placements for children under 13. The kinship
    /// share is scaled by the family's network strength (x2 at a full
    /// network, x0 with none).
    pub placement: PlacementShares,
    /// The same for children aged 13 or more.
    pub placement_teenagers: PlacementShares,
    /// Weekly cost of each placement, in pounds.
    pub weekly_cost_pounds: PlacementCosts,
    /// Mean years in care (exponential), unless the child turns 18 first.
    pub years_in_care_mean: Positive,
    /// Relative shares of the ways out of care, before turning 18.
    pub exit: ExitShares,
    /// Children older than this (years, at entry) are not adopted.
    pub adoption_max_age: u8,
    /// Training and support for kinship carers (optional; none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinship_support: Option<KinshipSupport>,
    /// Young people leaving care at 18: staying put, staying close,
    /// mentoring and a lasting relationship (optional; none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaving_care: Option<LeavingCare>,
}

/// Young people leaving care at 18. One leaving foster care (kin, in-house
/// or agency carers) may stay put with their carers, one leaving a
/// children's home may stay close to it, each until 21 at the latest and
/// at a weekly cost; some are given family finding, befriending or
/// mentoring for a year; each has, or has not, a lasting relationship with
/// a trusted adult (an outcome, drawn at 18).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeavingCare {
    /// Share of young people leaving foster care at 18 who stay put.
    pub staying_put_share: Probability,
    /// Share of young people leaving a children's home at 18 who stay close.
    pub staying_close_share: Probability,
    /// Mean years a staying put or staying close arrangement lasts
    /// (exponential, ended at 21).
    pub years_mean: Positive,
    /// Weekly cost of staying put, in pounds (the carers' allowance).
    pub staying_put_weekly_pounds: NonNegative,
    /// Weekly cost of staying close, in pounds (accommodation and support).
    pub staying_close_weekly_pounds: NonNegative,
    /// Share of young people leaving care at 18 with a lasting relationship
    /// with a trusted adult, without mentoring.
    pub lasting_relationship_share: Probability,
    /// Share of young people leaving care at 18 given family finding,
    /// befriending or mentoring (for a year).
    pub mentoring_share: Probability,
    /// Of those mentored who would have had no lasting relationship, the
    /// share who have one.
    pub mentoring_lasting_relationship: Probability,
    /// Weekly cost of mentoring, in pounds, for its year.
    pub mentoring_weekly_pounds: NonNegative,
}

/// Training, support and allowances for kinship carers (as Stable Homes,
/// Built on Love's offer to all kinship carers and the kinship allowance
/// pathfinder fund): more kin come forward and take the child, placements
/// with kin last longer, at a weekly cost for each child with kin.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KinshipSupport {
    /// Weekly cost of the support for each child placed with kin, in pounds
    /// (on top of the kinship placement's own cost).
    pub weekly_pounds_per_child: NonNegative,
    /// Of the kin named by a family-led plan who would have declined, the
    /// share who take the child with support; the kinship share drawn at
    /// entry to care rises by the same proportion (0.25: a quarter more).
    pub more_kin_take_the_child: Probability,
    /// How much the kinship breakdown rate falls (0.5: by half).
    pub fewer_breakdowns: Probability,
}

/// A probability for younger children and for teenagers (13 and over).
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeShares {
    /// Children under 13.
    pub under_13: Probability,
    /// Children of 13 and over.
    pub teenagers: Probability,
}

/// What happens to families waiting for family help, and to families whose
/// needs went unmet. All rates 0 by default.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Hazard, per year, that concerns about a waiting family escalate (a
    /// new contact to the front door at the significant-harm threshold),
    /// for a family whose latent risk is at the threshold; proportional to
    /// latent risk.
    pub per_year_while_waiting: NonNegative,
    /// How much that hazard rises for each month already waited (0.5: 50%
    /// higher after one month, twice as high after two).
    pub rise_per_month_waited: NonNegative,
    /// Hazard, per year, that a waiting family leaves the list without
    /// help (its needs unmet).
    pub disengagement_per_year: NonNegative,
    /// When a family's needs go unmet (family help ended with needs unmet,
    /// or it left the waiting list), its latent risk rises by up to twice
    /// this share of the distance to certainty (uniformly; this share on average).
    pub risk_rise_when_needs_unmet: Probability,
}

/// Pre-proceedings (Public Law Outline) and care proceedings.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Proceedings {
    /// Mean weeks from the letter before proceedings to the decision to
    /// issue or not (exponential).
    pub pre_proceedings_weeks_mean: Positive,
    /// Probability that proceedings are issued at the end of pre-proceedings
    /// (before any family-led plan's effect); otherwise the family steps
    /// down to family help.
    pub issue_probability: Probability,
    /// Probability that a child living at home is removed into care (interim
    /// care order) when proceedings are issued.
    pub removal_at_issue: Probability,
    /// Mean weeks from issue to the final order (exponential).
    pub weeks_mean: Positive,
    /// Final orders for a child in care during proceedings (relative shares).
    pub orders_in_care: OrderShares,
    /// Final orders for a child living at home during proceedings (relative shares).
    pub orders_at_home: OrderShares,
    /// Mean days of police protection or an emergency protection order
    /// after an emergency entry (exponential), before proceedings, section
    /// 20 or home.
    pub emergency_days_mean: Positive,
    /// Share of emergency entries under an emergency protection order (the
    /// rest under police protection).
    pub emergency_protection_order_share: Probability,
    /// After an emergency entry: probability that proceedings are issued
    /// (the child stays in care under an interim care order).
    pub issue_after_emergency: Probability,
    /// Otherwise, probability that the child stays accommodated under
    /// section 20 (else the child goes home).
    pub section20_after_emergency: Probability,
    /// Probability that an enquiry about a baby under 1 at risk of
    /// significant harm ends in proceedings issued at once, the baby
    /// removed under an interim care order (optional, default 0).
    #[serde(default)]
    pub urgent_issue_for_babies: Probability,
}

/// Relative shares of final orders (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderShares {
    /// Full care order.
    pub care_order: NonNegative,
    /// Placement order (adoption; young children only).
    pub placement_order: NonNegative,
    /// Special guardianship order to kin.
    pub special_guardianship: NonNegative,
    /// Child arrangements order to kin.
    pub child_arrangements: NonNegative,
    /// Supervision order or no order: the child lives at home.
    pub supervision: NonNegative,
}

impl OrderShares {
    /// The shares in [`crate::model::event::FinalOrder::ALL`] order.
    pub fn weights(&self) -> [f64; 5] {
        [
            self.care_order.get(),
            self.placement_order.get(),
            self.special_guardianship.get(),
            self.child_arrangements.get(),
            self.supervision.get(),
        ]
    }
}

/// Lead child protection practitioners: a pool that takes section 47
/// enquiries while it has room and holds them through conference and plan.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadPractitioners {
    /// Practitioners, full-time equivalent (0: the role does not exist).
    pub fte: NonNegative,
    /// Families per full-time practitioner at most.
    pub caseload_cap: u32,
    /// Enquiries they lead take this share of the usual time (0.8: 20% quicker).
    pub enquiry_time_factor: Positive,
    /// Share by which they cut conferences about children not at risk of significant harm.
    pub unneeded_conference_reduction: Probability,
    /// Share by which they cut plans ending in proceedings.
    pub proceedings_reduction: Probability,
}

impl LeadPractitioners {
    /// Families the pool can hold at once.
    pub fn capacity(&self) -> u32 {
        (self.fte.get() * f64::from(self.caseload_cap)).floor() as u32
    }
}

/// Family group decision-making (FGDM) and family network support packages (FNSP).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyNetwork {
    /// Share of families offered FGDM when a family help assessment finds
    /// that they need help.
    pub offer_in_family_help: Probability,
    /// Relative gain in the chance that family help meets a family's needs
    /// when a family-led plan supports it (0.2 = 20% more likely).
    pub need_met_uplift: NonNegative,
    /// Share of families offered FGDM when a child protection plan starts.
    pub offer_at_plan: Probability,
    /// Share offered FGDM before proceedings (a plan that did not step down),
    /// if they had none at the plan's start.
    pub offer_before_proceedings: Probability,
    /// Probability that a family accepts FGDM.
    pub acceptance_probability: Probability,
    /// Probability that a family-led plan names kinship carers, at a full
    /// network (scaled by the family's network strength).
    pub kin_named_probability: Probability,
    /// Share by which a family-led plan lowers the chance that
    /// pre-proceedings end in care proceedings (0.3: 30% fewer).
    pub proceedings_reduction: Probability,
    /// Probability that a child who comes into care, with kin named, is placed with them.
    pub kinship_when_kin_named: Probability,
    /// Probability that a child whose proceedings a family-led plan
    /// diverted, with kin named, goes to live with them outside care
    /// (optional, default 0; the rest stay at home with family help).
    #[serde(default)]
    pub kin_care_when_diverted: Probability,
    /// Share by which a support package lowers the chance that a child
    /// living with kin outside care comes back to children's services
    /// within 12 months (optional, default 0).
    #[serde(default)]
    pub fnsp_sustains_kinship: Probability,
    /// Share of family-led plans that ask for a support package.
    pub fnsp_probability: Probability,
    /// Mean package, in pounds (exponential).
    pub fnsp_mean_pounds: NonNegative,
    /// Probability that a package lets a child stay at home who would
    /// otherwise come into care through proceedings.
    pub fnsp_care_avoided: Probability,
    /// FGDM coordinators, full-time equivalent (funded posts). FGDM is
    /// offered only while a coordinator has room.
    pub coordinators_fte: NonNegative,
    /// Families a full-time coordinator works with at once.
    pub coordinator_caseload_cap: u32,
    /// Weeks a coordinator works with a family that accepted FGDM
    /// (preparing the conference and following up the plan).
    pub coordinator_weeks: Positive,
}

/// Relative shares of placements (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementShares {
    /// With relatives or friends.
    pub kinship: NonNegative,
    /// The council's own foster carers.
    pub in_house_foster: NonNegative,
    /// Independent fostering agency carers.
    pub agency_foster: NonNegative,
    /// Children's homes.
    pub residential: NonNegative,
}

impl PlacementShares {
    /// The shares in [`crate::model::event::Placement::ALL`] order.
    pub fn weights(&self) -> [f64; 4] {
        [
            self.kinship.get(),
            self.in_house_foster.get(),
            self.agency_foster.get(),
            self.residential.get(),
        ]
    }
}

/// Weekly cost of each placement, in pounds.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementCosts {
    /// With relatives or friends.
    pub kinship: NonNegative,
    /// The council's own foster carers.
    pub in_house_foster: NonNegative,
    /// Independent fostering agency carers.
    pub agency_foster: NonNegative,
    /// Children's homes.
    pub residential: NonNegative,
}

impl PlacementCosts {
    /// The costs in pence, in [`crate::model::event::Placement::ALL`] order.
    pub fn pence(&self) -> [u64; 4] {
        [
            self.kinship,
            self.in_house_foster,
            self.agency_foster,
            self.residential,
        ]
        .map(|p| libm::round(p.get() * 100.0) as u64)
    }
}

/// Placement sufficiency. A child is matched as practice does: kin first
/// where named (or where the placement drawn is kinship), then the
/// council's own foster carers while they have a free place, then an
/// independent fostering agency; a child whose needs call for a
/// children's home goes to one of the area's beds while one is free. Past
/// the area's agency places and beds, the child is placed out of the area
/// at `out_of_area_cost_factor` times the weekly cost.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placements {
    /// Approved places with the council's own foster carers at the start,
    /// per 10,000 children in the area.
    pub in_house_foster_places_per_10k_children: NonNegative,
    /// New in-house places approved a year (recruitment; Poisson, settled
    /// at each month's end), per 10,000 children.
    pub in_house_foster_approved_per_10k_children_per_year: NonNegative,
    /// Share of approved in-house places lost a year (carers leaving
    /// fostering; one with a child keeps it until it moves on).
    pub in_house_foster_lost_per_year: NonNegative,
    /// Independent fostering agency places within the area, per 10,000 children.
    pub agency_foster_places_in_area_per_10k_children: NonNegative,
    /// Children's home beds within the area, per 10,000 children.
    pub residential_beds_in_area_per_10k_children: NonNegative,
    /// Weekly cost of a placement outside the area, as a multiple of its
    /// type's cost (1: the same).
    pub out_of_area_cost_factor: Positive,
    /// Placement moves (breakdowns) a year, by the placement a child is in.
    pub moves_per_year: PlacementRates,
}

impl Placements {
    /// A per-10,000 figure as a whole number for an area of `children`.
    pub fn for_area(per_10k: &NonNegative, children: u64) -> u32 {
        libm::round(per_10k.get() * children as f64 / 10_000.0).min(f64::from(u32::MAX)) as u32
    }
}

/// A rate a year for each placement type.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementRates {
    /// With relatives or friends.
    pub kinship: NonNegative,
    /// The council's own foster carers.
    pub in_house_foster: NonNegative,
    /// Independent fostering agency carers.
    pub agency_foster: NonNegative,
    /// Children's homes.
    pub residential: NonNegative,
}

impl PlacementRates {
    /// The rates by placement.
    pub fn rates(&self) -> PerPlacement<f64> {
        PerPlacement([
            self.kinship.get(),
            self.in_house_foster.get(),
            self.agency_foster.get(),
            self.residential.get(),
        ])
    }
}

/// Relative shares of the ways out of care before 18 (they need not sum to 1).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitShares {
    /// Returned home.
    pub reunification: NonNegative,
    /// Special guardianship or child arrangements order.
    pub special_guardianship: NonNegative,
    /// Adoption (young children only).
    pub adoption: NonNegative,
}

/// The hazard of a closed case being referred again.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReReferral {
    /// Probability of a new referral within 12 months after the front door took no action or signposted.
    pub within_12_months_after_no_action: Probability,
    /// The same after family help met the family's needs.
    pub within_12_months_after_needs_met: Probability,
    /// The same after family help ended with needs unmet.
    pub within_12_months_after_needs_unmet: Probability,
    /// Re-referrals later than this many years after closure are not modelled.
    pub horizon_years: Positive,
}

/// Families already open on the run's first day, by where they are. Each
/// gets its own attributes (raised where needed to fit its stage: need for
/// help in family help, risk of significant harm in child protection and
/// care) and the time left in its stage is drawn as if the stage had just
/// started for the memoryless stages, and uniformly within the plan's drawn
/// length for plans.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartingCaseload {
    /// On the family help waiting list.
    pub waiting_for_help: u32,
    /// In family help (at most the team's room: fte x caseload_cap).
    pub in_family_help: u32,
    /// In a section 47 enquiry.
    pub in_enquiry: u32,
    /// Awaiting an initial child protection conference.
    pub awaiting_conference: u32,
    /// On a child protection plan.
    pub on_plan: u32,
    /// Looked after, placed by the scenario's placement shares.
    pub looked_after: u32,
    /// In pre-proceedings: the letter before proceedings was sent today
    /// (optional, default 0).
    #[serde(default)]
    pub pre_proceedings: u32,
}

impl StartingCaseload {
    /// The counts in [`crate::model::event::OpenStage::ALL`] order.
    pub fn counts(&self) -> [u32; 7] {
        [
            self.waiting_for_help,
            self.in_family_help,
            self.in_enquiry,
            self.awaiting_conference,
            self.on_plan,
            self.looked_after,
            self.pre_proceedings,
        ]
    }
}

/// The staff pools, by role: how their people come and go and what they
/// cost. How many posts each has is set in its route's table (`fte`).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workforce {
    /// The front door (`triage.fte`).
    pub front_door: StaffPool,
    /// Family help (`family_help.fte`).
    pub family_help: StaffPool,
    /// Child protection social workers (`child_protection.fte`).
    pub child_protection: StaffPool,
    /// Lead child protection practitioners (`lead_practitioners.fte`).
    pub lead_practitioners: StaffPool,
    /// FGDM coordinators (`family_network.coordinators_fte`).
    pub fgdm_coordinators: StaffPool,
}

impl Workforce {
    /// The pools in [`crate::model::event::Pool::ALL`] order.
    pub fn pools(&self) -> PerPool<&StaffPool> {
        PerPool([
            &self.front_door,
            &self.family_help,
            &self.child_protection,
            &self.lead_practitioners,
            &self.fgdm_coordinators,
        ])
    }
}

/// How one pool's people come and go, and what they cost.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPool {
    /// Share of posts held by agency workers at the start (those posts are being recruited to).
    pub agency_share: Probability,
    /// Share of vacancies an agency worker covers while the post is recruited to.
    pub agency_cover: Probability,
    /// How much more an agency worker costs than a permanent one (0.5 = 50% more).
    pub agency_premium: NonNegative,
    /// Cost of a permanent full-time post a year, with on-costs, in pounds.
    pub salary_pounds_per_year: NonNegative,
    /// Share of permanent staff who leave in a year, at an empty caseload.
    pub attrition_per_year: NonNegative,
    /// The same at a full caseload (linear in between, and beyond up to twice the cap).
    pub attrition_per_year_at_full_caseload: NonNegative,
    /// Mean weeks to fill a vacancy with a permanent worker (exponential).
    pub recruitment_weeks_mean: Positive,
    /// Apprentices who start each 1 April (0: no apprenticeship scheme).
    pub apprentices_per_year: u32,
    /// Years an apprentice trains before qualifying and joining the pool.
    pub apprentice_years: Positive,
    /// Share of apprentices who qualify (the rest leave at the end of training).
    pub apprentice_completion: Probability,
    /// Cost of an apprentice a year, in pounds.
    pub apprentice_salary_pounds_per_year: NonNegative,
    /// Share of the agency workers who would cover a vacancy that qualified
    /// less than three years ago (0 when not given).
    #[serde(default = "no_share")]
    pub agency_early_career_share: Probability,
    /// The national rule barring agency workers with under three years'
    /// post-qualification experience: agency cover shrinks by
    /// `agency_early_career_share` (false when not given).
    #[serde(default)]
    pub early_career_agency_barred: bool,
}

fn no_share() -> Probability {
    Probability(0.0)
}

impl StaffPool {
    /// The share of vacancies an agency worker covers, under the rules in force.
    pub fn effective_agency_cover(&self) -> f64 {
        let cover = self.agency_cover.get();
        if self.early_career_agency_barred {
            cover * (1.0 - self.agency_early_career_share.get())
        } else {
            cover
        }
    }
}

/// The funding ledger: a budget line for each kind of spending.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Family help staff (the family help pool's salaries and agency costs).
    pub family_help: BudgetLine,
    /// FGDM coordinators' salaries and agency costs.
    pub fgdm: BudgetLine,
    /// Family network support packages. Packages exist only where this line
    /// has money (`pounds_per_year` above 0).
    pub fnsp: BudgetLine,
    /// Care placements (cannot ration: a child who needs care is placed).
    pub placements: BudgetLine,
    /// The rest of the workforce: front door, child protection and lead
    /// practitioners, and every pool's apprentices.
    pub workforce: BudgetLine,
}

impl Budget {
    /// The lines in [`crate::model::event::BudgetLine::ALL`] order.
    pub fn lines(&self) -> PerLine<&BudgetLine> {
        PerLine([
            &self.family_help,
            &self.fgdm,
            &self.fnsp,
            &self.placements,
            &self.workforce,
        ])
    }
}

/// One budget line: money per financial year and what happens when it is spent.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    /// Budget for each financial year (1 April to 31 March), in pounds.
    pub pounds_per_year: NonNegative,
    /// When the year's budget is spent: `ration` (staff lines stop
    /// recruiting, agency cover and apprentice intake; packages are refused)
    /// or `overspend` (spending goes on and the overspend is reported).
    pub when_spent: WhenSpent,
}

impl BudgetLine {
    /// The budget in pence.
    pub fn pence(&self) -> u64 {
        libm::round(self.pounds_per_year.get() * 100.0) as u64
    }
}

/// What a budget line does once its year's money is spent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WhenSpent {
    /// Stop committing new spending until the next 1 April.
    Ration,
    /// Go on spending; the overspend is reported.
    Overspend,
}

/// Problems found in a scenario, as `(field path, message)`, not yet located.
pub type Problems = Vec<(String, String)>;

/// One problem found in a scenario, located in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Line, from 1 (0 when it could not be located).
    pub line: usize,
    /// Column, from 1 (0 when it could not be located).
    pub column: usize,
    /// Dotted path of the field, e.g. `family_help.fte` (empty when unknown).
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// The file the problem is in, when not the scenario's own (a base it extends).
    pub file: Option<String>,
}

/// A scenario that could not be read: every problem found, with the file's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `<built-in default>`).
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", p.file.as_deref().unwrap_or(&self.file))?;
            if p.line > 0 {
                write!(f, ":{}:{}", p.line, p.column)?;
            }
            if !p.field.is_empty() {
                write!(f, ": {}", p.field)?;
            }
            write!(f, ": {}", p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<(Scenario, String), ScenarioError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![Diagnostic {
                line: 0,
                column: 0,
                field: String::new(),
                message: format!("cannot read the file: {e}"),
                file: None,
            }],
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![Diagnostic {
                line: 0,
                column: 0,
                field: String::new(),
                message: format!(
                    "not UTF-8 text (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                file: None,
            }],
        })?;
        Scenario::load_text(path, text, &mut Vec::new())
    }

    /// Parses a file's text, following `extends` (at most [`MAX_EXTENDS`]
    /// deep, no cycles). Returns the scenario and its effective text: the
    /// file itself, or for an extending file the merged whole, so a log
    /// header holds everything needed to replay it.
    fn load_text(
        path: &Path,
        text: String,
        chain: &mut Vec<PathBuf>,
    ) -> Result<(Scenario, String), ScenarioError> {
        let file = path.display().to_string();
        let problem = |field: &str, message: String| ScenarioError {
            file: file.clone(),
            problems: vec![Diagnostic {
                line: span_of(&text, field).map_or(0, |s| line_column(&text, s.start).0),
                column: span_of(&text, field).map_or(0, |s| line_column(&text, s.start).1),
                field: field.to_string(),
                message,
                file: None,
            }],
        };
        let Ok(mut table) = toml::from_str::<toml::Table>(&text) else {
            // A syntax error: the typed parse locates and explains it.
            let scenario = Scenario::parse(&text, &file)?;
            return Ok((scenario, text));
        };
        let Some(extends) = table.remove("extends") else {
            let scenario = Scenario::parse(&text, &file)?;
            return Ok((scenario, text));
        };
        let Some(base_name) = extends.as_str() else {
            return Err(problem(
                "extends",
                "expected the path of the base scenario, in quotes".into(),
            ));
        };
        let base_path = path.parent().unwrap_or(Path::new("")).join(base_name);
        let canonical = base_path
            .canonicalize()
            .unwrap_or_else(|_| base_path.clone());
        chain.push(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()));
        if chain.contains(&canonical) {
            return Err(problem(
                "extends",
                format!("{base_name} extends this file again: a cycle"),
            ));
        }
        if chain.len() > MAX_EXTENDS {
            return Err(problem(
                "extends",
                format!("more than {MAX_EXTENDS} files extend one another"),
            ));
        }
        let (_, base_text) = {
            let base_text = std::fs::read_to_string(&base_path).map_err(|e| {
                problem(
                    "extends",
                    format!("cannot read the base scenario {}: {e}", base_path.display()),
                )
            })?;
            Scenario::load_text(&base_path, base_text, chain)?
        };
        let mut merged: toml::Table =
            toml::from_str(&base_text).expect("an effective scenario is valid TOML");
        merge(&mut merged, table);
        let effective = format!(
            "# The effective scenario: {file} (extends {}), merged.\n{}",
            base_path.display(),
            toml::to_string(&merged).expect("a merged TOML table serialises")
        );
        match Scenario::parse(&effective, &file) {
            Ok(scenario) => Ok((scenario, effective)),
            Err(mut e) => {
                // Point each problem at the file that sets the field: this one, else the base.
                for d in &mut e.problems {
                    let base_file = base_path.display().to_string();
                    if let Some(s) = span_of(&text, &d.field) {
                        (d.line, d.column) = line_column(&text, s.start);
                        d.file = None;
                    } else if let Some(s) = span_of(&base_text, &d.field) {
                        (d.line, d.column) = line_column(&base_text, s.start);
                        d.file = Some(base_file);
                    } else {
                        (d.line, d.column) = (0, 0);
                    }
                }
                Err(e)
            }
        }
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| located(text, file, &e))?;
        let problems = scenario.validate();
        if problems.is_empty() {
            return Ok(scenario);
        }
        let mut located: Vec<Diagnostic> = problems
            .into_iter()
            .map(|(field, message)| {
                let (line, column) = span_of(text, &field)
                    .map(|s| line_column(text, s.start))
                    .unwrap_or((0, 0));
                Diagnostic {
                    line,
                    column,
                    field,
                    message,
                    file: None,
                }
            })
            .collect();
        located.sort_by_key(|d| (d.line, d.column));
        Err(ScenarioError {
            file: file.to_string(),
            problems: located,
        })
    }

    /// The built-in default scenario.
    pub fn default_scenario() -> Scenario {
        Scenario::parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME)
            .expect("the built-in scenario is valid (a test checks it)")
    }

    /// Checks across fields: `(field path, message)` for each problem.
    pub fn validate(&self) -> Problems {
        let mut p = Vec::new();
        self.check_run(&mut p);
        self.check_families(&mut p);
        self.check_staffing(&mut p);
        self.check_workforce(&mut p);
        self.check_lengths(&mut p);
        self.check_shares(&mut p);
        self.check_money(&mut p);
        self.check_rates(&mut p);
        self.check_placements(&mut p);
        self.check_leaving_care(&mut p);
        self.check_rereferral(&mut p);
        p
    }

    /// The run and the area: name, length, start, children, monthly profile.
    fn check_run(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        if self.name.trim().is_empty() {
            bad("name", "must not be empty".into());
        }
        if !(1..=50).contains(&self.years) {
            bad(
                "years",
                format!("{} is not allowed here: expected 1 to 50", self.years),
            );
        }
        if self.burn_in_years > 50 {
            bad(
                "burn_in_years",
                format!(
                    "{} is not allowed here: expected 0 to 50",
                    self.burn_in_years
                ),
            );
        }
        if self.start.year() < 1900 || self.start.year() > 2200 {
            bad(
                "start",
                format!(
                    "{} is not allowed here: expected a date from 1900 to 2200",
                    self.start
                ),
            );
        }
        if self.area.children == 0 {
            bad(
                "area.children",
                "0 is not allowed here: expected at least 1 child".into(),
            );
        }
        if let Some(profile) = &self.area.monthly_profile {
            if profile.len() != 12 {
                bad(
                    "area.monthly_profile",
                    format!("has {} numbers: expected 12, January first", profile.len()),
                );
            } else if profile.iter().all(|m| m.get() == 0.0) {
                bad(
                    "area.monthly_profile",
                    "all 12 numbers are 0: at least one must be greater than 0".into(),
                );
            }
        }
    }

    /// Families: children, sibling gaps, need.
    fn check_families(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        if self.families.children_mean.get() < 1.0 {
            bad(
                "families.children_mean",
                format!(
                    "{} is not allowed here: expected 1 or more (every referred household has a child)",
                    self.families.children_mean.get()
                ),
            );
        }
        let gap = self.families.sibling_gap_years_mean.get();
        if !(1.0..=15.0).contains(&gap) {
            bad(
                "families.sibling_gap_years_mean",
                format!("{gap} is not allowed here: expected from 1 to 15 (years between births)"),
            );
        }
        let n = &self.families.need;
        if n.none.get() + n.low.get() + n.moderate.get() + n.high.get() <= 0.0 {
            bad(
                "families.need",
                "all shares are 0: at least one must be greater than 0".into(),
            );
        }
    }

    /// Staffing, pool by pool: caseload caps and FTEs, the front door's accuracy, and the starting caseload the family help team can hold.
    fn check_staffing(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        let t = &self.triage;
        if t.accuracy_with_full_data_sharing.get() < t.accuracy_without_data_sharing.get() {
            bad(
                "triage.accuracy_with_full_data_sharing",
                format!(
                    "{} is below accuracy_without_data_sharing ({}): data sharing cannot make decisions worse",
                    t.accuracy_with_full_data_sharing.get(),
                    t.accuracy_without_data_sharing.get()
                ),
            );
        }
        for staffing in self.staffing() {
            if staffing.cap == 0 {
                bad(
                    staffing.cap_field,
                    "0 is not allowed here: expected at least 1 family per practitioner".into(),
                );
            }
            if staffing.cap > 1_000_000 {
                bad(
                    staffing.cap_field,
                    format!(
                        "{} is not allowed here: expected at most 1,000,000",
                        staffing.cap
                    ),
                );
            }
            if staffing.fte > 10_000_000.0 {
                bad(
                    staffing.fte_field,
                    format!(
                        "{} is not allowed here: expected at most 10000000",
                        staffing.fte
                    ),
                );
            }
        }
        if let Some(c) = &self.starting_caseload {
            // The room the run's state will give the team with every post filled.
            let terms =
                crate::model::state::PoolTerms::of(self)[crate::model::event::Pool::FamilyHelp];
            let room = terms.capacity(terms.posts);
            if c.in_family_help > room {
                bad(
                    "starting_caseload.in_family_help",
                    format!(
                        "{} is more than the family help team can hold ({room} = fte x caseload_cap): put the rest on waiting_for_help",
                        c.in_family_help
                    ),
                );
            }
            if c.counts().iter().map(|&n| u64::from(n)).sum::<u64>() > 10_000_000 {
                bad(
                    "starting_caseload",
                    "more than 10,000,000 open families: expected at most 10,000,000".into(),
                );
            }
        }
    }

    /// The workforce tables, pool by pool: attrition, recruitment, apprentices.
    fn check_workforce(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        for (p, pool) in self.workforce.pools().entries() {
            let name = p.key();
            for (field, v) in [
                ("attrition_per_year", pool.attrition_per_year.get()),
                (
                    "attrition_per_year_at_full_caseload",
                    pool.attrition_per_year_at_full_caseload.get(),
                ),
            ] {
                if v > 2.0 {
                    bad(
                        &format!("workforce.{name}.{field}"),
                        format!("{v} is not allowed here: expected at most 2 (200% a year)"),
                    );
                }
            }
            for (field, v, most) in [
                (
                    "recruitment_weeks_mean",
                    pool.recruitment_weeks_mean.get(),
                    5_200.0,
                ),
                ("apprentice_years", pool.apprentice_years.get(), 100.0),
            ] {
                if v > most {
                    bad(
                        &format!("workforce.{name}.{field}"),
                        format!("{v} is not allowed here: expected at most {most}"),
                    );
                }
            }
            if pool.apprentices_per_year > 100_000 {
                bad(
                    &format!("workforce.{name}.apprentices_per_year"),
                    format!(
                        "{} is not allowed here: expected at most 100,000",
                        pool.apprentices_per_year
                    ),
                );
            }
        }
    }

    /// Durations and sizes past which the calendar or the counts would overflow.
    fn check_lengths(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        // Durations and sizes past these would overflow the calendar or the counts.
        for (field, v, most) in [
            (
                "triage.decision_working_days_mean",
                self.triage.decision_working_days_mean.get(),
                3_650.0,
            ),
            (
                "family_help.assessment_working_days_mean",
                self.family_help.assessment_working_days_mean.get(),
                3_650.0,
            ),
            (
                "family_help.support_weeks_mean",
                self.family_help.support_weeks_mean.get(),
                5_200.0,
            ),
            (
                "child_protection.enquiry_working_days_mean",
                self.child_protection.enquiry_working_days_mean.get(),
                3_650.0,
            ),
            (
                "child_protection.conference_working_days_mean",
                self.child_protection.conference_working_days_mean.get(),
                3_650.0,
            ),
            (
                "care.years_in_care_mean",
                self.care.years_in_care_mean.get(),
                100.0,
            ),
            (
                "family_network.coordinator_weeks",
                self.family_network.coordinator_weeks.get(),
                5_200.0,
            ),
            (
                "rereferral.horizon_years",
                self.rereferral.horizon_years.get(),
                100.0,
            ),
        ] {
            if v > most {
                bad(
                    field,
                    format!("{v} is not allowed here: expected at most {most}"),
                );
            }
        }
    }

    /// Shares that must not all be 0, and placements that cannot ration.
    fn check_shares(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        if self.budget.placements.when_spent == WhenSpent::Ration {
            bad(
                "budget.placements.when_spent",
                "\"ration\" is not allowed here: a child who needs care is placed, so the placements line can only overspend".into(),
            );
        }
        if self
            .child_protection
            .plan_length
            .weights()
            .iter()
            .sum::<f64>()
            <= 0.0
        {
            bad(
                "child_protection.plan_length",
                "all shares are 0: at least one must be greater than 0".into(),
            );
        }
        let c = &self.care;
        for (field, w) in [
            ("placement", c.placement.weights()),
            ("placement_teenagers", c.placement_teenagers.weights()),
        ] {
            if w.iter().sum::<f64>() <= 0.0 {
                bad(
                    &format!("care.{field}"),
                    "all shares are 0: at least one must be greater than 0".into(),
                );
            }
        }
        if c.exit.reunification.get() + c.exit.special_guardianship.get() + c.exit.adoption.get()
            <= 0.0
        {
            bad(
                "care.exit",
                "all shares are 0: at least one must be greater than 0".into(),
            );
        }
        if let Some(a) = &self.families.age_of_youngest {
            if a.bands().iter().map(|b| b.2).sum::<f64>() <= 0.0 {
                bad(
                    "families.age_of_youngest",
                    "all shares are 0: at least one must be greater than 0".into(),
                );
            }
        }
    }

    /// Money, bounded so that a year's spending in pence cannot overflow the ledger.
    fn check_money(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        // Money: bounded so that a year's spending, in pence, cannot
        // overflow the ledger (England's children's services spend about
        // £13 billion a year).
        let mut money: Vec<(String, f64, f64)> = vec![(
            "family_network.fnsp_mean_pounds".into(),
            self.family_network.fnsp_mean_pounds.get(),
            MAX_WEEKLY_OR_ONE_OFF_POUNDS,
        )];
        for (l, line) in self.budget.lines().entries() {
            let name = l.key();
            money.push((
                format!("budget.{name}.pounds_per_year"),
                line.pounds_per_year.get(),
                MAX_BUDGET_POUNDS,
            ));
        }
        let costs = &self.care.weekly_cost_pounds;
        for (name, v) in [
            ("kinship", costs.kinship.get()),
            ("in_house_foster", costs.in_house_foster.get()),
            ("agency_foster", costs.agency_foster.get()),
            ("residential", costs.residential.get()),
        ] {
            money.push((
                format!("care.weekly_cost_pounds.{name}"),
                v,
                MAX_WEEKLY_OR_ONE_OFF_POUNDS,
            ));
        }
        for (p, pool) in self.workforce.pools().entries() {
            let name = p.key();
            for (field, v) in [
                ("salary_pounds_per_year", pool.salary_pounds_per_year.get()),
                (
                    "apprentice_salary_pounds_per_year",
                    pool.apprentice_salary_pounds_per_year.get(),
                ),
            ] {
                money.push((format!("workforce.{name}.{field}"), v, MAX_SALARY_POUNDS));
            }
        }
        for (p, pool) in self.workforce.pools().entries() {
            let name = p.key();
            money.push((
                format!("workforce.{name}.agency_premium"),
                pool.agency_premium.get(),
                MAX_AGENCY_PREMIUM,
            ));
        }
        for (field, v, most) in money {
            if v > most {
                bad(
                    &field,
                    format!("{v} is not allowed here: expected at most {most}"),
                );
            }
        }
    }

    /// Rates, lengths and orders of proceedings, escalation and care.
    fn check_rates(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        let c = &self.care;
        let pr = &self.proceedings;
        let e = &self.escalation;
        // Rates and lengths beyond these are not a scenario but a typo: they
        // would stall a run or overflow its clock.
        for (field, v, most) in [
            (
                "area.new_referrals_per_10k_children",
                self.area.new_referrals_per_10k_children.get(),
                100_000.0,
            ),
            (
                "care.unaccompanied_per_10k_children_per_year",
                c.unaccompanied_per_10k_children_per_year.get(),
                100_000.0,
            ),
            (
                "care.voluntary_years_in_care_mean",
                c.voluntary_years_in_care_mean.map_or(0.0, |m| m.get()),
                100.0,
            ),
            (
                "proceedings.pre_proceedings_weeks_mean",
                pr.pre_proceedings_weeks_mean.get(),
                5_200.0,
            ),
            ("proceedings.weeks_mean", pr.weeks_mean.get(), 5_200.0),
            (
                "proceedings.emergency_days_mean",
                pr.emergency_days_mean.get(),
                36_500.0,
            ),
            (
                "escalation.per_year_while_waiting",
                e.per_year_while_waiting.get(),
                1_000.0,
            ),
            (
                "escalation.rise_per_month_waited",
                e.rise_per_month_waited.get(),
                1_000.0,
            ),
            (
                "escalation.disengagement_per_year",
                e.disengagement_per_year.get(),
                1_000.0,
            ),
        ] {
            if v > most {
                bad(
                    field,
                    format!("{v} is not allowed here: expected at most {most}"),
                );
            }
        }
        for (field, w) in [
            ("orders_in_care", pr.orders_in_care.weights()),
            ("orders_at_home", pr.orders_at_home.weights()),
        ] {
            if w.iter().sum::<f64>() <= 0.0 {
                bad(
                    &format!("proceedings.{field}"),
                    "all shares are 0: at least one must be greater than 0".into(),
                );
            }
        }
        if c.adoption_max_age > 17 {
            bad(
                "care.adoption_max_age",
                format!(
                    "{} is not allowed here: expected an age from 0 to 17",
                    c.adoption_max_age
                ),
            );
        }
    }

    /// Leaving care: durations and weekly costs within bounds.
    fn check_leaving_care(&self, p: &mut Problems) {
        let Some(l) = &self.care.leaving_care else {
            return;
        };
        for (field, v, most) in [
            ("years_mean", l.years_mean.get(), 3.0),
            (
                "staying_put_weekly_pounds",
                l.staying_put_weekly_pounds.get(),
                100_000.0,
            ),
            (
                "staying_close_weekly_pounds",
                l.staying_close_weekly_pounds.get(),
                100_000.0,
            ),
            (
                "mentoring_weekly_pounds",
                l.mentoring_weekly_pounds.get(),
                100_000.0,
            ),
        ] {
            if v > most {
                p.push((
                    format!("care.leaving_care.{field}"),
                    format!("{v} is not allowed here: expected at most {most}"),
                ));
            }
        }
    }

    /// Placement sufficiency: places and rates within bounds.
    fn check_placements(&self, p: &mut Problems) {
        let Some(pl) = &self.placements else {
            return;
        };
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        let r = &pl.moves_per_year;
        for (field, v, most) in [
            (
                "in_house_foster_places_per_10k_children",
                pl.in_house_foster_places_per_10k_children.get(),
                10_000.0,
            ),
            (
                "agency_foster_places_in_area_per_10k_children",
                pl.agency_foster_places_in_area_per_10k_children.get(),
                10_000.0,
            ),
            (
                "residential_beds_in_area_per_10k_children",
                pl.residential_beds_in_area_per_10k_children.get(),
                10_000.0,
            ),
            (
                "in_house_foster_approved_per_10k_children_per_year",
                pl.in_house_foster_approved_per_10k_children_per_year.get(),
                10_000.0,
            ),
            (
                "in_house_foster_lost_per_year",
                pl.in_house_foster_lost_per_year.get(),
                12.0,
            ),
            (
                "out_of_area_cost_factor",
                pl.out_of_area_cost_factor.get(),
                10.0,
            ),
            ("moves_per_year.kinship", r.kinship.get(), 52.0),
            (
                "moves_per_year.in_house_foster",
                r.in_house_foster.get(),
                52.0,
            ),
            ("moves_per_year.agency_foster", r.agency_foster.get(), 52.0),
            ("moves_per_year.residential", r.residential.get(), 52.0),
        ] {
            if v > most {
                bad(
                    &format!("placements.{field}"),
                    format!("{v} is not allowed here: expected at most {most}"),
                );
            }
        }
    }

    /// Re-referral probabilities and the policy timeline.
    fn check_rereferral(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        if let Err(problems) = self.timeline() {
            for (field, message) in problems {
                bad(&field, message);
            }
        }
        let rr = &self.rereferral;
        for (field, v) in [
            (
                "within_12_months_after_no_action",
                rr.within_12_months_after_no_action,
            ),
            (
                "within_12_months_after_needs_met",
                rr.within_12_months_after_needs_met,
            ),
            (
                "within_12_months_after_needs_unmet",
                rr.within_12_months_after_needs_unmet,
            ),
        ] {
            if v.get() >= 1.0 {
                bad(
                    &format!("rereferral.{field}"),
                    "1 is not allowed here: expected a probability below 1".into(),
                );
            }
        }
    }

    /// The scenario in force from each policy date: the scenario itself from
    /// its start, then one version per change (changes accumulate). Problems
    /// come as `(field path, message)`.
    pub fn timeline(&self) -> Result<Vec<(CivilDate, Scenario)>, Problems> {
        const FIXED: [&str; 10] = [
            "name",
            "description",
            "start",
            "years",
            "burn_in_years",
            "bank_holidays",
            "seven_day_week",
            "families",
            "starting_caseload",
            "policy",
        ];
        let mut base = self.clone();
        base.policy.clear();
        let mut versions = vec![(self.start, base.clone())];
        if self.policy.is_empty() {
            return Ok(versions);
        }
        let mut problems = Vec::new();
        let mut table = match toml::Table::try_from(&base) {
            Ok(t) => t,
            Err(e) => {
                return Err(vec![(
                    "policy".into(),
                    format!("cannot apply the policy timeline: {e}"),
                )])
            }
        };
        let end = self.start.plus_days(self.horizon_days() as i64);
        let mut previous = self.start;
        for (i, change) in self.policy.iter().enumerate() {
            let at = format!("policy.{i}");
            if change.date < previous {
                problems.push((
                    format!("{at}.date"),
                    format!(
                        "{} is before the change above it ({previous}): list changes in date order",
                        change.date
                    ),
                ));
            }
            if change.date < self.start || end.is_some_and(|e| change.date >= e) {
                problems.push((
                    format!("{at}.date"),
                    format!(
                        "{} is outside the run ({} to {}): a change must fall inside it",
                        change.date,
                        self.start,
                        end.map_or(String::new(), |e| e.to_string())
                    ),
                ));
            }
            previous = previous.max(change.date);
            if change.changes.is_empty() {
                problems.push((format!("{at}.date"), "the change sets no parameters".into()));
            }
            for key in change.changes.keys() {
                if FIXED.contains(&key.as_str()) {
                    problems.push((
                        format!("{at}.{key}"),
                        format!("`{key}` cannot change during a run"),
                    ));
                }
            }
            merge(&mut table, change.changes.clone());
            match table.clone().try_into::<Scenario>() {
                Ok(version) if version.placements.is_some() != self.placements.is_some() => {
                    problems.push((
                        format!("{at}.placements"),
                        "`placements` cannot be switched on or off during a run: give the scenario a `[placements]` table and change its values".into(),
                    ));
                }
                Ok(version) => {
                    for (field, message) in version.validate() {
                        problems.push((
                            format!("{at}.{field}"),
                            format!("after this change, {field}: {message}"),
                        ));
                    }
                    versions.push((change.date, version));
                }
                Err(e) => problems.push((
                    at.clone(),
                    format!("after this change: {}", e.message().trim()),
                )),
            }
        }
        if problems.is_empty() {
            Ok(versions)
        } else {
            Err(problems)
        }
    }

    /// The first of the settings two scenarios must share for their runs to
    /// meet the same families on the same calendar (`start`, `years`,
    /// `bank_holidays`, `seven_day_week`, `families`, `starting_caseload`):
    /// compared and branched runs match families by id.
    pub fn differs_in_population(&self, other: &Scenario) -> Option<&'static str> {
        let table = |s: &Scenario| toml::Table::try_from(s).unwrap_or_default();
        let (a, b) = (table(self), table(other));
        [
            "start",
            "years",
            "burn_in_years",
            "bank_holidays",
            "seven_day_week",
            "families",
            "starting_caseload",
        ]
        .into_iter()
        .find(|key| a.get(*key) != b.get(*key))
    }

    /// Funded FTE and caseload cap of each staff pool, with the fields
    /// that set them.
    pub fn staffing(&self) -> PerPool<Staffing> {
        let at = |fte: &NonNegative, fte_field, cap: u32, cap_field| Staffing {
            fte: fte.get(),
            cap,
            fte_field,
            cap_field,
        };
        PerPool([
            at(
                &self.triage.fte,
                "triage.fte",
                self.triage.caseload_cap,
                "triage.caseload_cap",
            ),
            at(
                &self.family_help.fte,
                "family_help.fte",
                self.family_help.caseload_cap,
                "family_help.caseload_cap",
            ),
            at(
                &self.child_protection.fte,
                "child_protection.fte",
                self.child_protection.caseload_cap,
                "child_protection.caseload_cap",
            ),
            at(
                &self.lead_practitioners.fte,
                "lead_practitioners.fte",
                self.lead_practitioners.caseload_cap,
                "lead_practitioners.caseload_cap",
            ),
            at(
                &self.family_network.coordinators_fte,
                "family_network.coordinators_fte",
                self.family_network.coordinator_caseload_cap,
                "family_network.coordinator_caseload_cap",
            ),
        ])
    }

    /// Days the run lasts, burn-in included.
    pub fn horizon_days(&self) -> u64 {
        u64::from(self.years + self.burn_in_years) * 365
    }

    /// The run's calendar: minute 0 is the start of the burn-in (the
    /// scenario's `start` when it has none).
    pub fn calendar(&self) -> Calendar {
        let first = self
            .start
            .plus_days(-(i64::from(self.burn_in_years) * 365))
            .unwrap_or(self.start);
        Calendar::with_week(
            first,
            self.horizon_days(),
            &self.bank_holidays,
            self.seven_day_week,
        )
    }

    /// The minute the measured run starts (the end of the burn-in).
    pub fn measured_from(&self) -> Minute {
        u64::from(self.burn_in_years) * 365 * crate::model::calendar::DAY
    }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// The JSON Schema of the scenario format, generated from the types above.
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(Scenario);
    schema.insert(
        "description".into(),
        "A familyflow scenario (written as TOML; `extends = \"base.toml\"` is also allowed at the top).".into(),
    );
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    s.push('\n');
    s
}

/// A hash of scenario text, recorded in log headers.
pub fn scenario_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// A TOML or typing error in `text` (read from `file`), located by line,
/// column and field.
pub(crate) fn located(text: &str, file: &str, e: &toml::de::Error) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let mut field = field_at(text, &span);
    if field.is_empty() {
        field = key_on_line(text, span.start);
    }
    let (line, column) = line_column(text, span.start);
    ScenarioError {
        file: file.to_string(),
        problems: vec![Diagnostic {
            line,
            column,
            field,
            message: missing_field_hint(&with_found_value(e.message().trim(), text, &span)),
            file: None,
        }],
    }
}

pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The parser's message, with the offending text appended when the message
/// does not already show it (e.g. "invalid date …: found `2023-02-30`").
fn with_found_value(message: &str, text: &str, span: &Range<usize>) -> String {
    let found = text
        .get(span.clone())
        .map(str::trim)
        .filter(|f| !f.is_empty() && f.len() <= 80 && !f.contains('\n'));
    match found {
        Some(f) if !message.contains(f) => format!("{message}: found `{f}`"),
        _ => message.to_string(),
    }
}

/// A missing field's message with where to find it: every field, with its
/// source, is in the built-in scenario.
fn missing_field_hint(message: &str) -> String {
    if message.starts_with("missing field") {
        format!(
            "{message}: every field is required; scenarios/default.toml has each one with its source (or write `extends = \"default.toml\"` to take the rest from it)"
        )
    } else if message.starts_with("unknown field `care_order_probability`") {
        format!(
            "{message}; care_order_probability was replaced by the [proceedings] table (issue_probability, removal_at_issue, orders_in_care, orders_at_home): see scenarios/default.toml"
        )
    } else {
        message.to_string()
    }
}

/// For a syntax error, where the document cannot be parsed into keys: the
/// key written on the error's line, under the table header above it.
fn key_on_line(text: &str, offset: usize) -> String {
    let (line, _) = line_column(text, offset);
    let mut table = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if i + 1 == line {
            let Some((key, _)) = t.split_once('=') else {
                return String::new();
            };
            let key = key.trim();
            if key.is_empty() || key.starts_with('#') {
                return String::new();
            }
            return if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            };
        }
        if t.starts_with('[') && !t.starts_with("[[") {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
    }
    String::new()
}

/// The span of the value at a dotted field path (`a.b.3` indexes arrays).
pub(crate) fn span_of(text: &str, path: &str) -> Option<Range<usize>> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut parts = path.split('.');
    let first = parts.next()?;
    let (_, mut value) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == first)?;
    for part in parts {
        let next = match value.get_ref() {
            toml::de::DeValue::Table(t) => {
                t.iter().find(|(k, _)| k.get_ref() == part).map(|(_, v)| v)
            }
            toml::de::DeValue::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        value = next?;
    }
    Some(value.span())
}

/// The dotted path of the innermost key whose key or value contains `span`.
fn field_at(text: &str, span: &Range<usize>) -> String {
    fn search(value: &toml::de::DeValue<'_>, at: usize, path: &mut Vec<String>) -> bool {
        let inside = |s: Range<usize>| s.start <= at && at < s.end.max(s.start + 1);
        match value {
            toml::de::DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    path.push(k.get_ref().to_string());
                    if inside(k.span()) || search(v.get_ref(), at, path) || inside(v.span()) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            toml::de::DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    path.push(i.to_string());
                    if search(v.get_ref(), at, path) || inside(v.span()) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            _ => false,
        }
    }
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return String::new();
    };
    let mut path = Vec::new();
    let root = toml::de::DeValue::Table(doc.into_inner());
    search(&root, span.start, &mut path);
    path.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scenario_is_valid() {
        let s = Scenario::default_scenario();
        assert!(s.family_help.capacity() > 0);
    }

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
