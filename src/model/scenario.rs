//! Scenarios: what a modeller writes, read from TOML and validated.
//!
//! Every field is required unless marked optional; unknown fields are errors.
//! Errors name the file, line and column, the field path (array entries
//! counted from 1: `policy #2.date`), the bad value and what is allowed.
//! The value types check what a number can be at all (a probability, a
//! number that is 0 or more) as the TOML is read, with its position; every
//! numeric field's allowed range is in one table, [`RANGES`], which
//! [`Scenario::validate`] checks (with the checks across fields) and
//! [`json_schema`] states; problems are located afterwards by field path,
//! the text parsed once for all of them.
//!
//! Files are read with a cap ([`read_text_file`]: a regular file; a file
//! and every file it extends at most [`MAX_SCENARIO_INPUT_BYTES`] together,
//! which a log header holds), and a scenario whose run is estimated to need
//! more memory than [`MAX_RUN_BYTES`] is refused when loaded from a file
//! unless forced ([`Scenario::size_estimate`], [`Scenario::load_forced`]).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::model::calendar::{Calendar, CivilDate, Minute};
use crate::model::per::{PerLine, PerPlacement, PerPool};

/// The built-in default scenario (also shipped as `scenarios/default.toml`).
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");
/// How many scenario files may extend one another in a chain.
pub const MAX_EXTENDS: usize = 8;
/// The largest budget line a scenario may set, in pounds a year (England's
/// children's social care spends about £13 billion a year in all).
pub const MAX_BUDGET_POUNDS: f64 = 1e11;
/// The largest weekly cost (a placement, kinship support, staying put or
/// close, mentoring) or mean support package, in pounds (the dearest
/// placements in England cost a few tens of thousands a week).
pub const MAX_WEEKLY_OR_ONE_OFF_POUNDS: f64 = 1e5;
/// The largest salary, in pounds a year, with on-costs.
pub const MAX_SALARY_POUNDS: f64 = 1e6;
/// The largest agency premium (10: agency staff cost 11 times as much).
pub const MAX_AGENCY_PREMIUM: f64 = 10.0;
/// The most funded FTE a staff pool may have (England has about 35,000
/// children's social workers in all).
pub const MAX_FTE: f64 = 100_000.0;
/// The largest caseload cap (cases a full-time worker holds at most).
pub const MAX_CASELOAD_CAP: f64 = 10_000.0;
/// The most children an area may have (England has about 12 million).
pub const MAX_CHILDREN: f64 = 20_000_000.0;
/// The most `[[policy]]` entries a scenario may have: each is a whole
/// version of the parameters in memory.
pub const MAX_POLICY_CHANGES: usize = 500;
/// The longest `name`, in bytes.
pub const MAX_NAME_BYTES: usize = 1_000;
/// The longest `description` (and a policy entry's `note`), in bytes: each
/// version of the policy timeline holds the description.
pub const MAX_DESCRIPTION_BYTES: usize = 10_000;
/// The most bank holidays a scenario may list.
pub const MAX_BANK_HOLIDAYS: usize = 5_000;
/// The most bytes of scenario text read for one scenario: the file and
/// every file it `extends`, together (1 MiB; the largest shipped chain,
/// `scenarios/`, is under 30 kB). Parsing TOML takes up to about 150 times
/// its text in memory, so a load stays under about 160 MB. Larger files,
/// and anything that is not a regular file, are refused unread.
pub const MAX_SCENARIO_INPUT_BYTES: u64 = 1 << 20;
/// The largest scenario (or region) file read, in bytes: at most
/// [`MAX_SCENARIO_INPUT_BYTES`], as a file and its bases are together.
pub const MAX_SCENARIO_FILE_BYTES: u64 = MAX_SCENARIO_INPUT_BYTES;
/// The largest effective scenario text (for a file that `extends`
/// another, the merged whole; for a log or snapshot, what its header
/// holds), in bytes: parsed only when no larger, and always small enough
/// for a log header, with the rest of the header (engine version, seed,
/// source path) in the room left.
pub const MAX_SCENARIO_TEXT_BYTES: usize = MAX_SCENARIO_INPUT_BYTES as usize;
const _: () = assert!(
    MAX_SCENARIO_TEXT_BYTES + HEADER_ROOM <= crate::engine::log::MAX_HEADER_RECORD as usize
);
/// Room kept in a log header for everything but the scenario text.
const HEADER_ROOM: usize = 64 * 1024;
/// The estimated memory a run may need before it is refused (unless
/// forced): 4 GiB. See [`Scenario::size_estimate`].
pub const MAX_RUN_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// The allowed range of a numeric scenario field. `field` is its dotted
/// path; `*` stands for any one key or array entry (every staff pool,
/// every budget line, every month). [`RANGES`] holds every numeric field's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldRange {
    /// Dotted path of the field(s), with `*` for any key or entry.
    pub field: &'static str,
    /// The smallest value allowed (or, when `above_min`, the bound that
    /// values must be greater than).
    pub min: f64,
    /// Values must be greater than `min`, not equal to it.
    pub above_min: bool,
    /// The largest value allowed (or, when `below_max`, the bound that
    /// values must be less than).
    pub max: f64,
    /// Values must be less than `max`, not equal to it.
    pub below_max: bool,
    /// What the number counts, written after it ("working days", "a year").
    pub unit: &'static str,
    /// What is expected, when the usual wording will not do (else empty).
    pub expected: &'static str,
}

impl FieldRange {
    const fn new(field: &'static str, min: f64, max: f64, unit: &'static str) -> Self {
        FieldRange {
            field,
            min,
            above_min: false,
            max,
            below_max: false,
            unit,
            expected: "",
        }
    }

    /// A range whose values must be greater than 0.
    const fn positive(field: &'static str, max: f64, unit: &'static str) -> Self {
        FieldRange {
            above_min: true,
            ..FieldRange::new(field, 0.0, max, unit)
        }
    }

    /// A probability or share from 0 to 1.
    const fn share(field: &'static str) -> Self {
        FieldRange::new(field, 0.0, 1.0, "(a share or probability)")
    }

    /// A relative share: only the proportions between its siblings matter.
    const fn relative(field: &'static str) -> Self {
        FieldRange::new(field, 0.0, 1_000_000.0, "(a relative share)")
    }

    /// Whether `v` is allowed.
    pub fn allows(&self, v: f64) -> bool {
        let low = if self.above_min {
            v > self.min
        } else {
            v >= self.min
        };
        let high = if self.below_max {
            v < self.max
        } else {
            v <= self.max
        };
        v.is_finite() && low && high
    }

    /// The range in words: `0 to 2 a year`, `more than 0 and at most 3650 weeks`.
    pub fn describe(&self) -> String {
        let low = if self.above_min {
            format!("more than {}", number(self.min))
        } else {
            number(self.min)
        };
        let high = if self.below_max {
            format!("less than {}", number(self.max))
        } else if self.above_min {
            format!("at most {}", number(self.max))
        } else {
            number(self.max)
        };
        let joint = if self.above_min { " and " } else { " to " };
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        format!("{low}{joint}{high}{unit}")
    }

    /// Why `v` is refused: the value, the side it falls off and the range.
    pub fn refusal(&self, v: f64) -> String {
        if !self.expected.is_empty() {
            return format!(
                "{} is not allowed here: expected {}",
                number(v),
                self.expected
            );
        }
        let side = if !v.is_finite() {
            "a finite number".to_string()
        } else if v > self.max || (self.below_max && v >= self.max) {
            if self.below_max {
                format!("less than {}", number(self.max))
            } else {
                format!("at most {}", number(self.max))
            }
        } else if self.above_min {
            format!("more than {}", number(self.min))
        } else {
            format!("at least {}", number(self.min))
        };
        format!(
            "{} is not allowed here: expected {side} (the allowed range is {})",
            number(v),
            self.describe()
        )
    }
}

/// A number as people write it: `3`, `0.25`, `1e300` (not 301 digits).
pub fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e16 || v.abs() < 1e-6) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The allowed range of every numeric scenario field, checked by
/// [`Scenario::validate`] (for the scenario and each version of its policy
/// timeline) and stated in the JSON Schema ([`json_schema`]). Ranges are
/// wide enough for any English authority, or all of England, and narrow
/// enough that a run's clock, counts and money cannot overflow.
pub const RANGES: &[FieldRange] = &[
    // The run.
    FieldRange::new("years", 1.0, 50.0, "years"),
    FieldRange::new("burn_in_years", 0.0, 50.0, "years"),
    // The area.
    FieldRange::new("area.children", 1.0, MAX_CHILDREN, "children"),
    FieldRange::new(
        "area.new_referrals_per_10k_children",
        0.0,
        100_000.0,
        "families a year per 10,000 children",
    ),
    FieldRange::new(
        "area.monthly_profile.*",
        0.0,
        1_000.0,
        "(relative to the other months)",
    ),
    // Families.
    FieldRange {
        expected: "a mean from 1 to 10 children (a household has at most 12; see the field's documentation)",
        ..FieldRange::new("families.children_mean", 1.0, 10.0, "children")
    },
    FieldRange::new("families.sibling_gap_years_mean", 1.0, 15.0, "years between births"),
    FieldRange::relative("families.need.*"),
    FieldRange::share("families.risk_factors.*"),
    FieldRange::share("families.risk_factor_weight"),
    FieldRange::share("families.significant_harm_threshold"),
    FieldRange::share("families.network_strength_mean"),
    FieldRange::relative("families.age_of_youngest.*"),
    FieldRange::share("families.infant_risk_weight"),
    // The front door.
    FieldRange::positive("triage.decision_working_days_mean", 3_650.0, "working days"),
    FieldRange::share("triage.accuracy_without_data_sharing"),
    FieldRange::share("triage.accuracy_with_full_data_sharing"),
    FieldRange::share("triage.data_sharing"),
    FieldRange::new("triage.fte", 0.0, MAX_FTE, "FTE"),
    FieldRange::new("triage.caseload_cap", 1.0, MAX_CASELOAD_CAP, "referrals per practitioner"),
    FieldRange::new("triage.caseload_penalty", 0.0, 10.0, "(10: ten times longer at a full front door)"),
    // Family help.
    FieldRange::new("family_help.fte", 0.0, MAX_FTE, "FTE"),
    FieldRange::new("family_help.caseload_cap", 1.0, MAX_CASELOAD_CAP, "families per practitioner"),
    FieldRange::positive("family_help.assessment_working_days_mean", 3_650.0, "working days"),
    FieldRange::positive("family_help.support_weeks_mean", 5_200.0, "weeks"),
    FieldRange::share("family_help.need_met_probability"),
    FieldRange::new("family_help.multidisciplinary_uplift", 0.0, 10.0, "(relative gain)"),
    FieldRange::share("family_help.caseload_penalty"),
    FieldRange::share("family_help.step_up_probability"),
    // Child protection.
    FieldRange::positive("child_protection.enquiry_working_days_mean", 3_650.0, "working days"),
    FieldRange::share("child_protection.conference_probability_at_risk"),
    FieldRange::share("child_protection.conference_probability_not_at_risk"),
    FieldRange::positive("child_protection.conference_working_days_mean", 3_650.0, "working days"),
    FieldRange::share("child_protection.plan_probability"),
    FieldRange::relative("child_protection.plan_length.*"),
    FieldRange::share("child_protection.step_down_probability"),
    FieldRange::new("child_protection.fte", 0.0, MAX_FTE, "FTE"),
    FieldRange::new("child_protection.caseload_cap", 1.0, MAX_CASELOAD_CAP, "families per social worker"),
    FieldRange::new("child_protection.caseload_penalty", 0.0, 10.0, "(10: ten times longer at a full caseload)"),
    // Care.
    FieldRange::share("care.emergency_probability_at_risk"),
    FieldRange::share("care.voluntary_when_needs_unmet.*"),
    FieldRange::share("care.voluntary_at_plan_end.*"),
    FieldRange::share("care.voluntary_siblings_together"),
    FieldRange::positive("care.voluntary_years_in_care_mean", 100.0, "years"),
    FieldRange::new(
        "care.unaccompanied_per_10k_children_per_year",
        0.0,
        1_000.0,
        "children a year per 10,000 children",
    ),
    FieldRange::relative("care.placement.*"),
    FieldRange::relative("care.placement_teenagers.*"),
    FieldRange::new("care.weekly_cost_pounds.*", 0.0, MAX_WEEKLY_OR_ONE_OFF_POUNDS, "pounds a week"),
    FieldRange::positive("care.years_in_care_mean", 100.0, "years"),
    FieldRange::relative("care.exit.*"),
    FieldRange {
        expected: "an age from 0 to 17",
        ..FieldRange::new("care.adoption_max_age", 0.0, 17.0, "years of age")
    },
    FieldRange::new(
        "care.kinship_support.weekly_pounds_per_child",
        0.0,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS,
        "pounds a week",
    ),
    FieldRange::share("care.kinship_support.more_kin_take_the_child"),
    FieldRange::share("care.kinship_support.fewer_breakdowns"),
    FieldRange::share("care.leaving_care.staying_put_share"),
    FieldRange::share("care.leaving_care.staying_close_share"),
    FieldRange::positive("care.leaving_care.years_mean", 3.0, "years"),
    FieldRange::new(
        "care.leaving_care.staying_put_weekly_pounds",
        0.0,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS,
        "pounds a week",
    ),
    FieldRange::new(
        "care.leaving_care.staying_close_weekly_pounds",
        0.0,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS,
        "pounds a week",
    ),
    FieldRange::share("care.leaving_care.lasting_relationship_share"),
    FieldRange::share("care.leaving_care.mentoring_share"),
    FieldRange::share("care.leaving_care.mentoring_lasting_relationship"),
    FieldRange::new(
        "care.leaving_care.mentoring_weekly_pounds",
        0.0,
        MAX_WEEKLY_OR_ONE_OFF_POUNDS,
        "pounds a week",
    ),
    // Lead practitioners.
    FieldRange::new("lead_practitioners.fte", 0.0, MAX_FTE, "FTE"),
    FieldRange::new("lead_practitioners.caseload_cap", 1.0, MAX_CASELOAD_CAP, "families per practitioner"),
    FieldRange::positive("lead_practitioners.enquiry_time_factor", 10.0, "times the usual time"),
    FieldRange::share("lead_practitioners.unneeded_conference_reduction"),
    FieldRange::share("lead_practitioners.proceedings_reduction"),
    // Family networks.
    FieldRange::share("family_network.offer_in_family_help"),
    FieldRange::new("family_network.need_met_uplift", 0.0, 10.0, "(relative gain)"),
    FieldRange::share("family_network.offer_at_plan"),
    FieldRange::share("family_network.offer_before_proceedings"),
    FieldRange::share("family_network.acceptance_probability"),
    FieldRange::share("family_network.kin_named_probability"),
    FieldRange::share("family_network.proceedings_reduction"),
    FieldRange::share("family_network.kinship_when_kin_named"),
    FieldRange::share("family_network.kin_care_when_diverted"),
    FieldRange::share("family_network.fnsp_sustains_kinship"),
    FieldRange::share("family_network.fnsp_probability"),
    FieldRange::new("family_network.fnsp_mean_pounds", 0.0, MAX_WEEKLY_OR_ONE_OFF_POUNDS, "pounds"),
    FieldRange::share("family_network.fnsp_care_avoided"),
    FieldRange::new("family_network.coordinators_fte", 0.0, MAX_FTE, "FTE"),
    FieldRange::new(
        "family_network.coordinator_caseload_cap",
        1.0,
        MAX_CASELOAD_CAP,
        "families per coordinator",
    ),
    FieldRange::positive("family_network.coordinator_weeks", 5_200.0, "weeks"),
    // The workforce, every pool alike.
    FieldRange::share("workforce.*.agency_share"),
    FieldRange::share("workforce.*.agency_cover"),
    FieldRange::new("workforce.*.agency_premium", 0.0, MAX_AGENCY_PREMIUM, "(0.5: 50% more)"),
    FieldRange::new("workforce.*.salary_pounds_per_year", 0.0, MAX_SALARY_POUNDS, "pounds a year"),
    FieldRange::new("workforce.*.attrition_per_year", 0.0, 2.0, "a year (2: 200%)"),
    FieldRange::new(
        "workforce.*.attrition_per_year_at_full_caseload",
        0.0,
        2.0,
        "a year (2: 200%)",
    ),
    FieldRange::positive("workforce.*.recruitment_weeks_mean", 5_200.0, "weeks"),
    FieldRange::new("workforce.*.apprentices_per_year", 0.0, 10_000.0, "apprentices a year"),
    FieldRange::positive("workforce.*.apprentice_years", 100.0, "years"),
    FieldRange::share("workforce.*.apprentice_completion"),
    FieldRange::new(
        "workforce.*.apprentice_salary_pounds_per_year",
        0.0,
        MAX_SALARY_POUNDS,
        "pounds a year",
    ),
    FieldRange::share("workforce.*.agency_early_career_share"),
    // Budgets.
    FieldRange::new("budget.*.pounds_per_year", 0.0, MAX_BUDGET_POUNDS, "pounds a year"),
    // Re-referrals.
    FieldRange {
        below_max: true,
        ..FieldRange::share("rereferral.within_12_months_after_no_action")
    },
    FieldRange {
        below_max: true,
        ..FieldRange::share("rereferral.within_12_months_after_needs_met")
    },
    FieldRange {
        below_max: true,
        ..FieldRange::share("rereferral.within_12_months_after_needs_unmet")
    },
    FieldRange::positive("rereferral.horizon_years", 100.0, "years"),
    // Waiting and unmet need.
    FieldRange::new("escalation.per_year_while_waiting", 0.0, 1_000.0, "a year"),
    FieldRange::new("escalation.rise_per_month_waited", 0.0, 1_000.0, "(0.5: 50% more each month)"),
    FieldRange::new("escalation.disengagement_per_year", 0.0, 1_000.0, "a year"),
    FieldRange::share("escalation.risk_rise_when_needs_unmet"),
    // Proceedings.
    FieldRange::positive("proceedings.pre_proceedings_weeks_mean", 5_200.0, "weeks"),
    FieldRange::share("proceedings.issue_probability"),
    FieldRange::share("proceedings.removal_at_issue"),
    FieldRange::positive("proceedings.weeks_mean", 5_200.0, "weeks"),
    FieldRange::relative("proceedings.orders_in_care.*"),
    FieldRange::relative("proceedings.orders_at_home.*"),
    FieldRange::positive("proceedings.emergency_days_mean", 36_500.0, "days"),
    FieldRange::share("proceedings.emergency_protection_order_share"),
    FieldRange::share("proceedings.issue_after_emergency"),
    FieldRange::share("proceedings.section20_after_emergency"),
    FieldRange::share("proceedings.urgent_issue_for_babies"),
    // The starting caseload.
    FieldRange::new("starting_caseload.*", 0.0, 1_000_000.0, "families"),
    FieldRange::new("starting_caseload.in_care.*.ages.*", 0.0, 17.0, "years"),
    FieldRange::new("starting_caseload.in_care.*.months", 0.0, 216.0, "months"),
    FieldRange::new("starting_caseload.in_care.*.count", 1.0, 1_000_000.0, "households"),
    FieldRange::new("starting_caseload.plans.*.ages.*", 0.0, 17.0, "years"),
    FieldRange::new("starting_caseload.plans.*.months", 0.0, 216.0, "months"),
    FieldRange::new("starting_caseload.plans.*.count", 1.0, 1_000_000.0, "households"),
    FieldRange::new("starting_caseload.closed.*.ages.*", 0.0, 17.0, "years"),
    FieldRange::new("starting_caseload.closed.*.months", 0.0, 1_200.0, "months"),
    FieldRange::new("starting_caseload.closed.*.count", 1.0, 1_000_000.0, "households"),
    // Placement sufficiency.
    FieldRange::new(
        "placements.in_house_foster_places_per_10k_children",
        0.0,
        10_000.0,
        "places per 10,000 children",
    ),
    FieldRange::new(
        "placements.in_house_foster_approved_per_10k_children_per_year",
        0.0,
        10_000.0,
        "places a year per 10,000 children",
    ),
    FieldRange::new("placements.in_house_foster_lost_per_year", 0.0, 12.0, "a year"),
    FieldRange::new(
        "placements.agency_foster_places_in_area_per_10k_children",
        0.0,
        10_000.0,
        "places per 10,000 children",
    ),
    FieldRange::new(
        "placements.residential_beds_in_area_per_10k_children",
        0.0,
        10_000.0,
        "beds per 10,000 children",
    ),
    FieldRange::positive("placements.out_of_area_cost_factor", 10.0, "times the cost in the area"),
    FieldRange::new("placements.moves_per_year.*", 0.0, 52.0, "moves a year"),
];

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
                    // `+ 0.0` turns -0 into 0: no negative zero reaches a run or its output.
                    Ok($name(v + 0.0))
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
    /// Mean number of children in a referred household, from 1 to 10: 1
    /// plus a geometric number of brothers and sisters with this mean. A
    /// household has at most 12 children (the draw stops there), so a run's
    /// mean falls short of a large value: 1.7 gives 1.70, 3 gives 2.98
    /// (1.2% of households at 12), 5 gives 4.66 (8.6%), 10 gives 7.18 (31%).
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
    /// Children older than this (years, at entry) are not adopted; children
    /// this young or younger are not placed in children's homes.
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
    /// after an emergency entry (exponential, at most 15 days: the law's
    /// longest order with its extension), before proceedings, section 20
    /// or home.
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
    /// Households of children looked after, each as the returns show it
    /// (optional; opened besides `looked_after`, which the model places by
    /// its shares). One row per household, `count` alike, e.g.
    /// `{ placement = "kinship", legal_status = "care_order", ages = [4, 7], months = 18 }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_care: Vec<CareHousehold>,
    /// Households on a child protection plan with how long they have been
    /// on it (optional; opened besides `on_plan`, whose time on the plan is
    /// drawn), e.g. `{ ages = [2], months = 5, count = 3 }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<PlanHousehold>,
    /// Households whose case closed before the start and who may be
    /// referred again (optional): each is referred again by the model's
    /// re-referral hazard for how its case closed, from the months already
    /// past, e.g. `{ ages = [3, 6], months = 7, closure = "no_action", count = 4 }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<ClosedHousehold>,
}

/// How a case closed, as the re-referral hazard groups closures
/// (`[rereferral]`'s three probabilities).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosureGroup {
    /// No further action, universal services, not in need, or after an
    /// enquiry (`within_12_months_after_no_action`).
    NoAction,
    /// Needs met (`within_12_months_after_needs_met`).
    NeedsMet,
    /// Needs unmet, disengaged, or a child returned home from care
    /// (`within_12_months_after_needs_unmet`; the family's risk is raised as
    /// at such a closure).
    NeedsUnmet,
}

/// A household whose case closed before the first day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedHousehold {
    /// Each child's age on the first day, in whole years (0 to 17).
    pub ages: Vec<u8>,
    /// Whole months from the closure to the first day: the re-referral
    /// horizon is shortened by them (the hazard is constant, so the time
    /// left is drawn as at closure).
    pub months: u32,
    /// How the case closed (`no_action`, `needs_met`, `needs_unmet`).
    pub closure: ClosureGroup,
    /// Households alike (optional, default 1).
    #[serde(default = "one")]
    pub count: u32,
}

/// Where a child already looked after lives (SSDA903 `PLACE`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CarePlacement {
    /// With relatives or friends (`U1`–`U3`).
    Kinship,
    /// With the council's own foster carers (`U4`–`U6`, provider `PR1`).
    InHouseFoster,
    /// With an agency's foster carers (`U4`–`U6`, other providers).
    AgencyFoster,
    /// In a children's home (`K1`, `K2`, `R1`, `R2`).
    Residential,
}

/// The legal status of a child already looked after (SSDA903 `LS`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareLegalStatus {
    /// Police protection (`L1`): it runs out as the model's emergency stays do.
    PoliceProtection,
    /// An emergency protection order (`L2`, `L3`).
    EmergencyProtectionOrder,
    /// An interim care order (`C1`): proceedings go on to a final order.
    InterimCareOrder,
    /// A full care order (`C2`, and youth justice `J1`–`J3`).
    CareOrder,
    /// A placement order (`E1`, `D1`): the child is adopted.
    PlacementOrder,
    /// Accommodated under section 20 (`V2`–`V4`): the child returns home.
    #[serde(rename = "section_20")]
    Section20,
}

/// A household of children already looked after on the first day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CareHousehold {
    /// The placement (`kinship`, `in_house_foster`, `agency_foster`, `residential`).
    pub placement: CarePlacement,
    /// The legal status (`police_protection`, `emergency_protection_order`,
    /// `interim_care_order`, `care_order`, `placement_order`, `section_20`).
    pub legal_status: CareLegalStatus,
    /// Each child's age on the first day, in whole years (0 to 17; the
    /// model spreads brothers and sisters evenly between the youngest and
    /// the eldest).
    pub ages: Vec<u8>,
    /// Whole months since the period of care began. Time in care is
    /// exponential in the model, so the time left does not depend on it
    /// (the 18th birthday still ends it).
    #[serde(default)]
    pub months: u32,
    /// An unaccompanied asylum-seeking child (one child, section 20): stays
    /// until 18 (optional, default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unaccompanied: bool,
    /// Households alike (optional, default 1).
    #[serde(default = "one")]
    pub count: u32,
}

/// A household on a child protection plan on the first day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanHousehold {
    /// Each child's age on the first day, in whole years (0 to 17).
    pub ages: Vec<u8>,
    /// Whole months since the plan started: its length is drawn from the
    /// scenario's plan lengths given that it has lasted this long.
    pub months: u32,
    /// Households alike (optional, default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// A household's ages: one child at least, at most [`MAX_HOUSEHOLD`].
fn check_ages(ages: &[u8], field: &str, bad: &mut impl FnMut(&str, String)) {
    if ages.is_empty() || ages.len() > MAX_HOUSEHOLD {
        bad(
            field,
            format!(
                "{} children: a household has 1 to {MAX_HOUSEHOLD} (one age each)",
                ages.len()
            ),
        );
    }
}

/// The most children in one household of the starting caseload's rows.
pub const MAX_HOUSEHOLD: usize = 20;

/// The most households of `starting_caseload.closed` (England's referrals
/// of about three years).
pub const MAX_CLOSED: u64 = 5_000_000;

impl StartingCaseload {
    /// Families opened: the counts and the households of the rows.
    pub fn families(&self) -> u64 {
        let rows = self.in_care.iter().map(|h| u64::from(h.count));
        let plans = self.plans.iter().map(|h| u64::from(h.count));
        self.counts().iter().map(|&n| u64::from(n)).sum::<u64>()
            + rows.sum::<u64>()
            + plans.sum::<u64>()
    }

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
    /// Dotted path of the field, e.g. `family_help.fte`, with array
    /// entries counted from 1 as in the file (`policy #2.family_help.fte`
    /// is the second `[[policy]]` entry's); empty when unknown.
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

impl ScenarioError {
    /// One problem with the file as a whole (not located in it).
    pub fn whole_file(file: &str, message: String) -> Self {
        ScenarioError {
            file: file.to_string(),
            problems: vec![Diagnostic {
                line: 0,
                column: 0,
                field: String::new(),
                message,
                file: None,
            }],
        }
    }
}

/// What a run of a scenario may need, estimated from the scenario alone
/// (a rough upper bound, to refuse runs that could not fit in memory).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeEstimate {
    /// New families a year: referrals of new families and unaccompanied
    /// children, at the highest rate of any version of the timeline.
    pub families_per_year: f64,
    /// Years a family may stay in the run's state: until its youngest
    /// child turns 18 (no re-referral comes after that), at most the run's
    /// length with its burn-in.
    pub years_kept: f64,
    /// Families in the state at once, at most: the starting caseload and
    /// `families_per_year` x `years_kept`.
    pub families_at_once: f64,
    /// Staff posts and apprentices, in every pool and version.
    pub staff: f64,
    /// The memory that comes to, in bytes.
    pub bytes: f64,
}

/// Bytes one family open in a run may take: its entry in the families'
/// table (which may be half empty after growing) and a few happenings on
/// the agenda, a place on a waiting list and in the metrics.
const BYTES_PER_FAMILY: f64 = 2.0
    * (std::mem::size_of::<(crate::model::event::FamilyId, crate::model::state::Family)>() + 1)
        as f64
    + 128.0;
/// Bytes a worker or apprentice may take (happenings on the agenda).
const BYTES_PER_WORKER: f64 = 128.0;

/// Set once by the command line's `--force` ([`force_size`]): every
/// scenario and region file loaded after it is not refused for its
/// estimated size. It changes only what is admitted, never a run.
static SIZE_FORCED: AtomicBool = AtomicBool::new(false);

/// From now on, [`Scenario::load`] (and region loading) do not refuse a
/// run for its estimated size: what the command line's `--force` does.
pub fn force_size() {
    SIZE_FORCED.store(true, Ordering::Relaxed);
}

/// Whether [`force_size`] was called.
pub fn size_forced() -> bool {
    SIZE_FORCED.load(Ordering::Relaxed)
}

impl Scenario {
    /// Applies `f` to every staff pool's FTE and every budget line: the
    /// same area's rates with staff and money for another size (a tenth of
    /// England, an imported authority).
    pub fn scale_staff_and_budgets(&mut self, f: impl Fn(f64) -> f64) {
        for fte in [
            &mut self.family_help.fte,
            &mut self.triage.fte,
            &mut self.child_protection.fte,
            &mut self.lead_practitioners.fte,
            &mut self.family_network.coordinators_fte,
        ] {
            *fte = NonNegative(f(fte.get()));
        }
        for line in [
            &mut self.budget.family_help,
            &mut self.budget.fgdm,
            &mut self.budget.fnsp,
            &mut self.budget.placements,
            &mut self.budget.workforce,
        ] {
            line.pounds_per_year = NonNegative(f(line.pounds_per_year.get()));
        }
    }

    /// Reads and validates a scenario file (following `extends`), and
    /// refuses one whose run is estimated to need more memory than
    /// [`MAX_RUN_BYTES`] (see [`Scenario::load_forced`]). Returns the
    /// scenario and its effective text.
    pub fn load(path: &Path) -> Result<(Scenario, String), ScenarioError> {
        Scenario::load_with(path, size_forced())
    }

    /// The same, without the estimate of the run's size (a user who knows
    /// the machine has the memory).
    pub fn load_forced(path: &Path) -> Result<(Scenario, String), ScenarioError> {
        Scenario::load_with(path, true)
    }

    fn load_with(path: &Path, force: bool) -> Result<(Scenario, String), ScenarioError> {
        // `--set key=value` on the command line (see `model::overrides`).
        if let Some(sets) = crate::model::overrides::command_line() {
            return crate::model::overrides::load(path, sets, !force);
        }
        let file = path.display().to_string();
        let text = read_text_file(path).map_err(|m| ScenarioError::whole_file(&file, m))?;
        Scenario::load_text(path, text, &mut Vec::new(), !force)
    }

    /// Parses a file's text, following `extends` (at most [`MAX_EXTENDS`]
    /// deep, no cycles). Returns the scenario and its effective text: the
    /// file itself, or for an extending file the merged whole, so a log
    /// header holds everything needed to replay it (at most
    /// [`MAX_SCENARIO_TEXT_BYTES`]). With `size`, also refuses a run
    /// estimated to be too large.
    pub(crate) fn load_text(
        path: &Path,
        text: String,
        chain: &mut Vec<PathBuf>,
        size: bool,
    ) -> Result<(Scenario, String), ScenarioError> {
        let mut read = text.len() as u64;
        Scenario::load_chain(path, text, chain, size, &mut read)
    }

    /// [`Scenario::load_text`], with `read` the bytes read so far for the
    /// chain: a base is read only while the chain's files together stay
    /// within [`MAX_SCENARIO_INPUT_BYTES`].
    fn load_chain(
        path: &Path,
        text: String,
        chain: &mut Vec<PathBuf>,
        size: bool,
        read: &mut u64,
    ) -> Result<(Scenario, String), ScenarioError> {
        let file = path.display().to_string();
        let problem = |field: &str, message: String| {
            let (line, column) = Locator::new(&text).locate(field);
            ScenarioError {
                file: file.clone(),
                problems: vec![Diagnostic {
                    line,
                    column,
                    field: field.to_string(),
                    message,
                    file: None,
                }],
            }
        };
        let Ok(mut table) = toml::from_str::<toml::Table>(&text) else {
            // A syntax error: the typed parse locates and explains it.
            let scenario = Scenario::parse_checked(&text, &file, size)?;
            return Ok((scenario, text));
        };
        let Some(extends) = table.remove("extends") else {
            let scenario = Scenario::parse_checked(&text, &file, size)?;
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
            let left = MAX_SCENARIO_INPUT_BYTES.saturating_sub(*read);
            let base_text = read_text_capped(&base_path, left, |found| {
                chain_too_large(read.saturating_add(found))
            })
            .map_err(|e| {
                problem(
                    "extends",
                    format!("cannot read the base scenario {}: {e}", base_path.display()),
                )
            })?;
            *read += base_text.len() as u64;
            Scenario::load_chain(&base_path, base_text, chain, false, read)?
        };
        let mut merged: toml::Table =
            toml::from_str(&base_text).expect("an effective scenario is valid TOML");
        merge(&mut merged, table);
        // The paths go into a comment of text parsed again: escaped, so a
        // newline or control character in a file name cannot end the
        // comment and add settings (or make the text invalid TOML).
        let effective = format!(
            "# The effective scenario: {} (extends {}), merged.\n{}",
            file.escape_debug(),
            base_path.display().to_string().escape_debug(),
            toml::to_string(&merged).expect("a merged TOML table serialises")
        );
        match Scenario::parse_checked(&effective, &file, size) {
            Ok(scenario) => Ok((scenario, effective)),
            Err(mut e) => {
                // Point each problem at the file that sets the field: this
                // one, else the base; failing that, the nearest enclosing
                // table or entry, in the same order.
                let base_file = base_path.display().to_string();
                let (here, base) = (Locator::new(&text), Locator::new(&base_text));
                for d in &mut e.problems {
                    let field = raw_path(&d.field);
                    let found = [
                        (&here, here.span(&field), None),
                        (&base, base.span(&field), Some(&base_file)),
                        (&here, here.nearest(&field), None),
                        (&base, base.nearest(&field), Some(&base_file)),
                    ]
                    .into_iter()
                    .find_map(|(loc, span, f)| span.map(|s| (loc.line_column(s.start), f)));
                    match found {
                        Some(((line, column), f)) if !field.is_empty() => {
                            (d.line, d.column) = (line, column);
                            d.file = f.cloned();
                        }
                        _ => (d.line, d.column) = (0, 0),
                    }
                }
                Err(e)
            }
        }
    }

    /// Parses and validates scenario text; `file` names it in errors.
    /// (Text read back from a log or snapshot is not refused for its
    /// estimated size: it has been run.)
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_checked(text, file, false)
    }

    /// The same, with the estimate of the run's size when `size`.
    pub(crate) fn parse_checked(
        text: &str,
        file: &str,
        size: bool,
    ) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_TEXT_BYTES {
            return Err(ScenarioError::whole_file(file, text_too_large(text.len())));
        }
        let scenario: Scenario = toml::from_str(text).map_err(|e| located(text, file, &e))?;
        let mut problems = scenario.validate();
        if size && problems.is_empty() {
            problems.extend(scenario.size_problem());
        }
        if problems.is_empty() {
            return Ok(scenario);
        }
        let at = Locator::new(text);
        let mut located: Vec<Diagnostic> = problems
            .into_iter()
            .map(|(field, message)| {
                let (line, column) = at.locate(&field);
                Diagnostic {
                    line,
                    column,
                    field: shown_path(&field),
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

    /// What a run of this scenario may need: new families a year at the
    /// highest rate of any version, each kept at most 18 years (or the
    /// run's length), with the starting caseload and the staff; a rough
    /// upper bound, in families and bytes.
    pub fn size_estimate(&self) -> SizeEstimate {
        let versions: Vec<Scenario> = match self.timeline() {
            Ok(v) => v.into_iter().map(|(_, s)| s).collect(),
            Err(_) => vec![self.clone()],
        };
        let families_per_year = versions
            .iter()
            .map(|s| {
                s.area.children as f64 / 10_000.0
                    * (s.area.new_referrals_per_10k_children.get()
                        + s.care.unaccompanied_per_10k_children_per_year.get())
            })
            .fold(0.0, f64::max);
        let years_kept = (f64::from(self.years) + f64::from(self.burn_in_years)).min(18.0);
        let starting = self
            .starting_caseload
            .as_ref()
            .map_or(0.0, |c| c.counts().iter().map(|&n| f64::from(n)).sum());
        let families_at_once = starting + families_per_year * years_kept;
        let staff = versions
            .iter()
            .map(|s| {
                let posts: f64 = s.staffing().0.iter().map(|p| p.fte.ceil()).sum();
                let apprentices: f64 = s
                    .workforce
                    .pools()
                    .0
                    .iter()
                    .map(|p| f64::from(p.apprentices_per_year) * p.apprentice_years.get().ceil())
                    .sum();
                posts + apprentices
            })
            .fold(0.0, f64::max);
        let versions_bytes = versions.len() as f64
            * (std::mem::size_of::<Scenario>() + self.description.len() + 4096) as f64;
        let calendar_bytes = 4.0 * (self.horizon_days() as f64 + 3.0 * 366.0);
        SizeEstimate {
            families_per_year,
            years_kept,
            families_at_once,
            staff,
            bytes: families_at_once * BYTES_PER_FAMILY
                + staff * BYTES_PER_WORKER
                + versions_bytes
                + calendar_bytes,
        }
    }

    /// The problem with a scenario whose run is estimated to need more than
    /// [`MAX_RUN_BYTES`] (see [`Scenario::size_estimate`]), if it is one.
    pub fn size_problem(&self) -> Option<(String, String)> {
        let e = self.size_estimate();
        if e.bytes <= MAX_RUN_BYTES {
            return None;
        }
        let gib = |b: f64| format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0));
        Some((
            "area.children".into(),
            format!(
                "a run of this scenario may need about {} of memory, more than the {} allowed: about {} families at once ({} new families a year, kept up to {} years each, with the starting caseload); make the area smaller, the referral rate lower or the run shorter, or force the run (the command line's --force) if the machine has the memory",
                gib(e.bytes),
                gib(MAX_RUN_BYTES),
                grouped(e.families_at_once),
                grouped(e.families_per_year),
                e.years_kept
            ),
        ))
    }

    /// Checks: every numeric field against its range ([`RANGES`]), then
    /// the checks across fields. `(field path, message)` for each problem.
    pub fn validate(&self) -> Problems {
        let mut p = Vec::new();
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(fields) = &mut value {
            // Each version of the timeline is checked on its own.
            fields.remove("policy");
        }
        check_ranges(&value, RANGES, &mut p);
        self.check_run(&mut p);
        self.check_families(&mut p);
        self.check_staffing(&mut p);
        self.check_shares(&mut p);
        self.check_policy(&mut p);
        p
    }

    /// The run and the area: name, description, start, bank holidays, monthly profile.
    fn check_run(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        if self.name.trim().is_empty() {
            bad("name", "must not be empty".into());
        }
        if let Some(why) = not_one_line(&self.name) {
            bad("name", why);
        }
        for (field, text, most) in [
            ("name", &self.name, MAX_NAME_BYTES),
            ("description", &self.description, MAX_DESCRIPTION_BYTES),
        ] {
            if text.len() > most {
                bad(
                    field,
                    format!(
                        "is {} bytes long: expected at most {}",
                        grouped(text.len() as f64),
                        grouped(most as f64)
                    ),
                );
            }
        }
        if self.bank_holidays.len() > MAX_BANK_HOLIDAYS {
            bad(
                "bank_holidays",
                format!(
                    "lists {} days: expected at most {}",
                    grouped(self.bank_holidays.len() as f64),
                    grouped(MAX_BANK_HOLIDAYS as f64)
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

    /// Families: levels of need.
    fn check_families(&self, p: &mut Problems) {
        let n = &self.families.need;
        if n.none.get() + n.low.get() + n.moderate.get() + n.high.get() <= 0.0 {
            p.push((
                "families.need".into(),
                "all shares are 0: at least one must be greater than 0".into(),
            ));
        }
    }

    /// Staffing: the front door's accuracy, and the starting caseload the
    /// family help team can hold.
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
            for (i, h) in c.in_care.iter().enumerate() {
                let at = |field: &str| format!("starting_caseload.in_care.{i}.{field}");
                check_ages(&h.ages, &at("ages"), &mut bad);
                let youngest = h.ages.iter().copied().min().unwrap_or(0);
                if h.months > u32::from(youngest) * 12 + 11 {
                    bad(
                        &at("months"),
                        format!(
                            "{} months in care is longer than the youngest child ({youngest}) has lived: at most {}",
                            h.months,
                            u32::from(youngest) * 12 + 11
                        ),
                    );
                }
                if h.unaccompanied
                    && (h.legal_status != CareLegalStatus::Section20 || h.ages.len() != 1)
                {
                    bad(
                        &at("unaccompanied"),
                        "an unaccompanied child is one child accommodated under section 20 (legal_status = \"section_20\", one age)".into(),
                    );
                }
            }
            for (i, h) in c.plans.iter().enumerate() {
                check_ages(
                    &h.ages,
                    &format!("starting_caseload.plans.{i}.ages"),
                    &mut bad,
                );
            }
            if c.families() > 1_000_000 {
                bad(
                    "starting_caseload",
                    "more than 1,000,000 open families: expected at most 1,000,000".into(),
                );
            }
            for (i, h) in c.closed.iter().enumerate() {
                check_ages(
                    &h.ages,
                    &format!("starting_caseload.closed.{i}.ages"),
                    &mut bad,
                );
            }
            let closed: u64 = c.closed.iter().map(|h| u64::from(h.count)).sum();
            if closed > MAX_CLOSED {
                bad(
                    "starting_caseload.closed",
                    format!("{closed} households closed before the start: expected at most {MAX_CLOSED}"),
                );
            }
        }
    }

    /// Shares that must not all be 0, and placements that cannot ration.
    fn check_shares(&self, p: &mut Problems) {
        let mut bad = |field: &str, message: String| p.push((field.to_string(), message));
        let all_zero = "all shares are 0: at least one must be greater than 0";
        if self.budget.placements.when_spent == WhenSpent::Ration {
            bad(
                "budget.placements.when_spent",
                "\"ration\" is not allowed here: a child who needs care is placed, so the placements line can only overspend".into(),
            );
        }
        let c = &self.care;
        let pr = &self.proceedings;
        let mut sums: Vec<(&str, f64)> = vec![
            (
                "child_protection.plan_length",
                self.child_protection.plan_length.weights().iter().sum(),
            ),
            ("care.placement", c.placement.weights().iter().sum()),
            (
                "care.placement_teenagers",
                c.placement_teenagers.weights().iter().sum(),
            ),
            (
                "care.exit",
                c.exit.reunification.get()
                    + c.exit.special_guardianship.get()
                    + c.exit.adoption.get(),
            ),
            (
                "proceedings.orders_in_care",
                pr.orders_in_care.weights().iter().sum(),
            ),
            (
                "proceedings.orders_at_home",
                pr.orders_at_home.weights().iter().sum(),
            ),
        ];
        if let Some(a) = &self.families.age_of_youngest {
            sums.push((
                "families.age_of_youngest",
                a.bands().iter().map(|b| b.2).sum(),
            ));
        }
        for (field, sum) in sums {
            if sum <= 0.0 {
                bad(field, all_zero.into());
            }
        }
    }

    /// The policy timeline: how many entries, their notes, and each version.
    fn check_policy(&self, p: &mut Problems) {
        for (i, change) in self.policy.iter().enumerate() {
            if change.note.len() > MAX_DESCRIPTION_BYTES {
                p.push((
                    format!("policy.{i}.note"),
                    format!(
                        "is {} bytes long: expected at most {}",
                        grouped(change.note.len() as f64),
                        grouped(MAX_DESCRIPTION_BYTES as f64)
                    ),
                ));
            }
        }
        if let Err(problems) = self.timeline() {
            p.extend(problems);
        }
    }

    /// The scenario in force from each policy date: the scenario itself from
    /// its start, then one version per change (changes accumulate). Problems
    /// come as `(field path, message)`; a change that cannot apply is left
    /// out of the versions after it, so each entry's problems are its own.
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
        if self.policy.len() > MAX_POLICY_CHANGES {
            return Err(vec![(
                "policy".into(),
                format!(
                    "{} [[policy]] entries: expected at most {MAX_POLICY_CHANGES} (each holds a whole version of the parameters)",
                    self.policy.len()
                ),
            )]);
        }
        let base = self.clone_without_policy();
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
        // Problems of the version before, so that each is reported once,
        // at the change that brought it.
        let mut known: std::collections::HashSet<(String, String)> =
            base.validate().into_iter().collect();
        let end = self.start.plus_days(self.horizon_days() as i64);
        let mut previous = self.start;
        for (i, change) in self.policy.iter().enumerate() {
            let at = format!("policy.{i}");
            let run = format!(
                "{} to {}",
                self.start,
                end.map_or(String::new(), |e| e.to_string())
            );
            if change.date < self.start {
                // Before the start, whatever comes above it: said so, once.
                problems.push((
                    format!("{at}.date"),
                    format!(
                        "{} is before the run's start ({}): outside the run ({run}); a change must fall inside it",
                        change.date, self.start
                    ),
                ));
            } else if end.is_some_and(|e| change.date >= e) {
                problems.push((
                    format!("{at}.date"),
                    format!(
                        "{} is after the run's end: outside the run ({run}); a change must fall inside it",
                        change.date
                    ),
                ));
            } else if change.date < previous {
                problems.push((
                    format!("{at}.date"),
                    format!(
                        "{} is before the change above it ({previous}): list changes in date order",
                        change.date
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
            let mut next = table.clone();
            merge(&mut next, change.changes.clone());
            match next.clone().try_into::<Scenario>() {
                Ok(version) if version.placements.is_some() != self.placements.is_some() => {
                    problems.push((
                        format!("{at}.placements"),
                        "`placements` cannot be switched on or off during a run: give the scenario a `[placements]` table and change its values".into(),
                    ));
                }
                Ok(version) => {
                    let now: Vec<(String, String)> = version.validate();
                    let mut set = Vec::new();
                    flatten(&change.changes, String::new(), &mut set);
                    let sets = |field: &str| {
                        set.iter().any(|(key, _)| {
                            key == field
                                || field.starts_with(&format!("{key}."))
                                || key.starts_with(&format!("{field}."))
                        })
                    };
                    for (field, message) in &now {
                        if sets(field) || !known.contains(&(field.clone(), message.clone())) {
                            problems.push((
                                format!("{at}.{field}"),
                                format!("after this change, {}: {message}", shown_path(field)),
                            ));
                        }
                    }
                    known = now.into_iter().collect();
                    versions.push((change.date, version));
                    table = next;
                }
                Err(e) => problems.extend(unappliable(&table, &at, &change.changes, &e)),
            }
        }
        if problems.is_empty() {
            Ok(versions)
        } else {
            Err(problems)
        }
    }

    /// A copy without the policy timeline (which a version does not hold).
    fn clone_without_policy(&self) -> Scenario {
        let policy = Vec::new();
        let Scenario {
            name,
            description,
            start,
            years,
            burn_in_years,
            bank_holidays,
            seven_day_week,
            area,
            families,
            triage,
            family_help,
            child_protection,
            care,
            lead_practitioners,
            family_network,
            workforce,
            budget,
            rereferral,
            escalation,
            proceedings,
            starting_caseload,
            placements,
            policy: _,
        } = self;
        Scenario {
            name: name.clone(),
            description: description.clone(),
            start: *start,
            years: *years,
            burn_in_years: *burn_in_years,
            bank_holidays: bank_holidays.clone(),
            seven_day_week: *seven_day_week,
            area: area.clone(),
            families: families.clone(),
            triage: triage.clone(),
            family_help: family_help.clone(),
            child_protection: child_protection.clone(),
            care: care.clone(),
            lead_practitioners: lead_practitioners.clone(),
            family_network: family_network.clone(),
            workforce: workforce.clone(),
            budget: budget.clone(),
            rereferral: rereferral.clone(),
            escalation: escalation.clone(),
            proceedings: proceedings.clone(),
            starting_caseload: starting_caseload.clone(),
            placements: placements.clone(),
            policy,
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
        (u64::from(self.years) + u64::from(self.burn_in_years)) * 365
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

/// The JSON Schema of the scenario format, generated from the types above,
/// with each numeric field's allowed range from [`RANGES`] (as `minimum`,
/// `maximum`, `exclusiveMinimum` or `exclusiveMaximum`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    let mut value = serde_json::to_value(&schema).expect("a schema is JSON");
    annotate_ranges(&mut value, RANGES);
    if let serde_json::Value::Object(root) = &mut value {
        root.insert(
            "description".into(),
            "A familyflow scenario (written as TOML; `extends = \"base.toml\"` is also allowed at the top).".into(),
        );
    }
    let mut s = serde_json::to_string_pretty(&value).expect("a schema serialises");
    s.push('\n');
    s
}

/// Writes each range onto the schema of the field(s) it covers: the
/// property itself (beside any `$ref`), or an array's `items`.
pub(crate) fn annotate_ranges(schema: &mut serde_json::Value, ranges: &[FieldRange]) {
    for range in ranges {
        let segments: Vec<&str> = range.field.split('.').collect();
        let mut at = Vec::new();
        schema_locations(schema, String::new(), &segments, &mut at);
        for pointer in at {
            let Some(serde_json::Value::Object(node)) = schema.pointer_mut(&pointer) else {
                continue;
            };
            node.remove("minimum");
            node.remove("exclusiveMinimum");
            let min = if range.above_min {
                "exclusiveMinimum"
            } else {
                "minimum"
            };
            let max = if range.below_max {
                "exclusiveMaximum"
            } else {
                "maximum"
            };
            node.insert(min.into(), json_number(range.min));
            node.insert(max.into(), json_number(range.max));
        }
    }
}

/// A bound as JSON: a whole number where it is one (so `1` not `1.0`).
fn json_number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// JSON pointers, in `schema`, of the schemas of the fields `segments`
/// names (from the node at `pointer`), following `$ref`s and `anyOf`s.
fn schema_locations(
    schema: &serde_json::Value,
    pointer: String,
    segments: &[&str],
    out: &mut Vec<String>,
) {
    let Some(node) = schema.pointer(&pointer) else {
        return;
    };
    let Some((first, rest)) = segments.split_first() else {
        out.push(pointer);
        return;
    };
    if let Some(target) = node.get("$ref").and_then(|r| r.as_str()) {
        if let Some(target) = target.strip_prefix('#') {
            schema_locations(schema, target.to_string(), segments, out);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = node.get(key).and_then(|o| o.as_array()) {
            for i in 0..options.len() {
                schema_locations(schema, format!("{pointer}/{key}/{i}"), segments, out);
            }
        }
    }
    if let Some(props) = node.get("properties").and_then(|p| p.as_object()) {
        for key in props.keys() {
            if *first == "*" || first == key {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                schema_locations(schema, format!("{pointer}/properties/{escaped}"), rest, out);
            }
        }
    }
    if *first == "*" && node.get("items").is_some() {
        schema_locations(schema, format!("{pointer}/items"), rest, out);
    }
}

/// Checks every number in `value` (a scenario or region as JSON) that a
/// range in `ranges` covers, adding a problem for each outside its range.
pub(crate) fn check_ranges(value: &serde_json::Value, ranges: &[FieldRange], p: &mut Problems) {
    for range in ranges {
        let segments: Vec<&str> = range.field.split('.').collect();
        numbers_at(value, &segments, &mut Vec::new(), &mut |path, v| {
            if !range.allows(v) {
                p.push((path.join("."), range.refusal(v)));
            }
        });
    }
}

/// Calls `found` with the path and value of each number at `pattern`.
fn numbers_at(
    value: &serde_json::Value,
    pattern: &[&str],
    path: &mut Vec<String>,
    found: &mut dyn FnMut(&[String], f64),
) {
    let Some((first, rest)) = pattern.split_first() else {
        if let Some(v) = value.as_f64() {
            found(path, v);
        }
        return;
    };
    match value {
        serde_json::Value::Object(fields) => {
            for (key, v) in fields {
                if *first == "*" || first == key {
                    path.push(key.clone());
                    numbers_at(v, rest, path, found);
                    path.pop();
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if *first == "*" || first.parse::<usize>() == Ok(i) {
                    path.push(i.to_string());
                    numbers_at(v, rest, path, found);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// The range that covers the field at dotted `path`, if any.
pub fn range_of(path: &str) -> Option<&'static FieldRange> {
    let parts: Vec<&str> = path.split('.').collect();
    RANGES.iter().find(|r| {
        let pattern: Vec<&str> = r.field.split('.').collect();
        pattern.len() == parts.len()
            && pattern
                .iter()
                .zip(&parts)
                .all(|(want, got)| *want == "*" || want == got)
    })
}

/// Reads a scenario or region file as text: refuses, unread, anything that
/// is not a regular file (a directory, a FIFO, a device such as
/// `/dev/zero`) or that is larger than [`MAX_SCENARIO_FILE_BYTES`] (and
/// reads no more than that, whatever the file claims). The error says why,
/// without the file's name (the caller names it).
pub fn read_text_file(path: &Path) -> Result<String, String> {
    read_text_capped(path, MAX_SCENARIO_FILE_BYTES, file_too_large)
}

/// Reads a file as text with a cap: refuses, unread, anything that is not
/// a regular file (a directory, a FIFO, a device such as `/dev/zero`) or
/// that is larger than `cap` bytes, and reads no more than `cap` (+1),
/// whatever the file claims. `too_large` says why a file is refused for
/// its size (it is given the bytes found, or the first `cap + 1`). The
/// error does not name the file (the caller names it). The readers of
/// every input file use it (scenarios, regions, a run's `summary.json`
/// and `compare.json`).
pub fn read_text_capped(
    path: &Path,
    cap: u64,
    too_large: impl Fn(u64) -> String,
) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(format!(
            "cannot read the file: it is {what}; it is read from a regular file"
        ));
    }
    if meta.len() > cap {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn file_too_large(bytes: u64) -> String {
    format!(
        "the file is larger than {} bytes (1 MiB, the most a scenario and the files it extends may hold together): found {} or more",
        grouped(MAX_SCENARIO_FILE_BYTES as f64),
        grouped(bytes as f64)
    )
}

fn chain_too_large(bytes: u64) -> String {
    format!(
        "the scenario and the files it extends are more than {} bytes together (1 MiB, the most read for one scenario): found {} or more",
        grouped(MAX_SCENARIO_INPUT_BYTES as f64),
        grouped(bytes as f64)
    )
}

/// Why `text` is not one line of printable text (it holds a line break,
/// tab, escape or other control character), if it is not: names, printed
/// in the terminal's tables and reports, must not break their layout.
pub fn not_one_line(text: &str) -> Option<String> {
    let (at, c) = text.char_indices().find(|(_, c)| c.is_control())?;
    let what = match c {
        '\n' | '\r' => "a line break",
        '\t' => "a tab",
        '\u{1b}' => "an escape (terminal control)",
        _ => "a control character",
    };
    Some(format!(
        "holds {what} (U+{:04X}) at byte {at}: expected one line of printable text",
        u32::from(c)
    ))
}

fn text_too_large(bytes: usize) -> String {
    format!(
        "the scenario is {} bytes (merged with any file it extends): at most {} (1 MiB) are read, and fit in a run's log",
        grouped(bytes as f64),
        grouped(MAX_SCENARIO_TEXT_BYTES as f64)
    )
}

/// A whole number with thousands separators: `1,234,567`.
fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .map(|g| std::str::from_utf8(g).unwrap_or(""))
        .collect();
    groups.reverse();
    groups.join(",")
}

/// A hash of scenario text, recorded in log headers.
pub fn scenario_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// A field path as a person reads it: array entries counted from 1 as in
/// the file (`policy.0.date` is `policy #1.date`).
pub fn shown_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for (i, part) in path.split('.').enumerate() {
        match part.parse::<usize>() {
            Ok(n) if !part.is_empty() => {
                out.push_str(" #");
                out.push_str(&(n + 1).to_string());
            }
            _ => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(part);
            }
        }
    }
    out
}

/// The dotted path of a shown one (`policy #1.date` is `policy.0.date`).
fn raw_path(shown: &str) -> String {
    let mut out = String::with_capacity(shown.len());
    for (i, piece) in shown.split(" #").enumerate() {
        if i == 0 {
            out.push_str(piece);
            continue;
        }
        let digits = piece.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = piece[..digits].parse().unwrap_or(1);
        out.push('.');
        out.push_str(&n.saturating_sub(1).to_string());
        out.push_str(&piece[digits..]);
    }
    out
}

/// A `[[policy]]` change that could not apply (a value of the wrong type,
/// an unknown key): each key it sets is tried alone on the version before,
/// so the problem names the key at fault.
fn unappliable(
    before: &toml::Table,
    at: &str,
    changes: &toml::Table,
    whole: &toml::de::Error,
) -> Problems {
    let mut leaves = Vec::new();
    flatten(changes, String::new(), &mut leaves);
    let mut problems = Vec::new();
    for (key, value) in leaves {
        let mut one = toml::Table::new();
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut inner = toml::Table::new();
        inner.insert(last.to_string(), value);
        for part in parts.into_iter().rev() {
            let mut outer = toml::Table::new();
            outer.insert(part.to_string(), toml::Value::Table(inner));
            inner = outer;
        }
        merge(&mut one, inner);
        let mut probe = before.clone();
        merge(&mut probe, one);
        if let Err(e) = probe.try_into::<Scenario>() {
            problems.push((
                format!("{at}.{key}"),
                missing_field_hint(&plain_message(e.message().trim(), Some(&key))),
            ));
        }
    }
    if problems.is_empty() {
        problems.push((
            at.to_string(),
            format!(
                "after this change: {}",
                plain_message(whole.message().trim(), None)
            ),
        ));
    }
    problems
}

/// The dotted keys of every value in `table` that is not itself a table.
fn flatten(table: &toml::Table, prefix: String, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) if !inner.is_empty() => flatten(inner, path, out),
            _ => out.push((path, value.clone())),
        }
    }
}

/// A TOML or typing error in `text` (read from `file`), located by line,
/// column and field. Reading stops at the first such error, so its message
/// says so.
pub(crate) fn located(text: &str, file: &str, e: &toml::de::Error) -> ScenarioError {
    let at = Locator::new(text);
    let message = e.message().trim();
    let span = match e.span() {
        Some(span) => span,
        // The parser gives no place for keys nested too deeply.
        None if message.contains("recursion limit") => deepest_key(text).unwrap_or(0..0),
        None => 0..0,
    };
    let mut field = field_at(&at, &span);
    if field.is_empty() {
        field = key_on_line(text, span.start);
    }
    let (line, column) = at.line_column(span.start);
    let message = if message == "recursion limit" {
        "keys or tables are nested too deeply (the reader stops at about 80 levels; a scenario needs 4)".to_string()
    } else {
        with_found_value(&plain_message(message, Some(&field)), text, &span)
    };
    ScenarioError {
        file: file.to_string(),
        problems: vec![Diagnostic {
            line,
            column,
            field: shown_path(&field),
            message: format!("{} ({STOPPED})", missing_field_hint(&message)),
            file: None,
        }],
    }
}

/// What follows an error that stopped the reading of a file.
const STOPPED: &str =
    "checking stopped at this error: fix it and check again for any other problems";

/// The parser's and serde's words for types, as a modeller would say them:
/// `invalid type: string "x", expected f64` becomes `"x" is not allowed
/// here: expected a number`. For a whole-number field with a range, the
/// range is given.
fn plain_message(message: &str, field: Option<&str>) -> String {
    let (found, expected) = if let Some(rest) = message.strip_prefix("invalid type: ") {
        match rest.rsplit_once(", expected ") {
            Some(parts) => parts,
            None => return message.to_string(),
        }
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        match rest.rsplit_once(", expected ") {
            Some(parts) => parts,
            None => return message.to_string(),
        }
    } else {
        return message.to_string();
    };
    let found = if let Some(v) = found.strip_prefix("string ") {
        v.to_string()
    } else if let Some(v) = found
        .strip_prefix("integer ")
        .or_else(|| found.strip_prefix("floating point "))
        .or_else(|| found.strip_prefix("boolean "))
    {
        v.trim_matches('`').to_string()
    } else {
        match found {
            "map" => "a table".to_string(),
            "sequence" => "an array".to_string(),
            other => other.to_string(),
        }
    };
    // A scenario's field, else a region file's (whose reader shares this).
    let range = field.and_then(|f| {
        range_of(f).or_else(|| {
            crate::model::region::REGION_RANGES
                .iter()
                .find(|r| r.field == f)
        })
    });
    let whole = |signed: bool| match range {
        Some(r) => format!("a whole number from {}", r.describe()),
        None if signed => "a whole number".to_string(),
        None => "a whole number that is 0 or more".to_string(),
    };
    let expected = match expected {
        "f64" | "f32" => "a number".to_string(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => whole(false),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => whole(true),
        "a boolean" => "true or false".to_string(),
        "a string" => "text in quotes".to_string(),
        "a sequence" => "an array, in [ ]".to_string(),
        "a map" => "a table".to_string(),
        other if other.starts_with("struct ") => "a table".to_string(),
        other => other.to_string(),
    };
    format!("{found} is not allowed here: expected {expected}")
}

/// The place of the most deeply nested key or table header, for an error
/// the parser cannot place.
fn deepest_key(text: &str) -> Option<Range<usize>> {
    let mut best: Option<(usize, Range<usize>)> = None;
    let mut table_depth = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let depth = if t.starts_with('[') {
            let header = t.trim_start_matches('[');
            let header = header.split(']').next().unwrap_or("");
            table_depth = header.split('.').count();
            // Ahead of the keys beneath it, which add one level.
            table_depth + 1
        } else if let Some((key, _)) = t.split_once('=') {
            table_depth + key.split('.').count()
        } else {
            0
        };
        if depth > best.as_ref().map_or(0, |b| b.0) {
            best = Some((depth, offset + indent..offset + indent + 1));
        }
        offset += line.len();
    }
    best.map(|b| b.1)
}

/// A document parsed once, to locate any number of fields and offsets in it.
pub(crate) struct Locator<'a> {
    text: &'a str,
    doc: Option<toml::de::DeTable<'a>>,
    /// The byte offset at which each line starts.
    lines: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Locator {
            text,
            doc: toml::de::DeTable::parse(text).ok().map(|d| d.into_inner()),
            lines,
        }
    }

    /// The span of the value at a dotted field path (`a.b.3` indexes arrays).
    pub(crate) fn span(&self, path: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut parts = path.split('.');
        let first = parts.next()?;
        let (_, mut value) = doc.iter().find(|(k, _)| k.get_ref() == first)?;
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

    /// The span of the field, else of the nearest table or entry holding it.
    pub(crate) fn nearest(&self, path: &str) -> Option<Range<usize>> {
        let mut path = path;
        loop {
            if let Some(span) = self.span(path) {
                return Some(span);
            }
            path = path.rsplit_once('.')?.0;
        }
    }

    /// Line and column (from 1) of the field or its nearest enclosing
    /// table, or (0, 0).
    pub(crate) fn locate(&self, path: &str) -> (usize, usize) {
        if path.is_empty() {
            return (0, 0);
        }
        self.nearest(path)
            .map_or((0, 0), |s| self.line_column(s.start))
    }

    /// Line and column, from 1, of a byte offset.
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    Locator::new(text).line_column(offset)
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
/// key written on the error's line, under the table header above it (an
/// entry of an array of tables, such as `[[policy]]`, by its index).
fn key_on_line(text: &str, offset: usize) -> String {
    let (line, _) = line_column(text, offset);
    let mut table = String::new();
    let mut entries: std::collections::HashMap<String, usize> = Default::default();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if i + 1 == line {
            if t.starts_with('[') {
                return table;
            }
            let Some((key, _)) = t.split_once('=') else {
                return table;
            };
            let key = key.trim();
            if key.is_empty() || key.starts_with('#') {
                return table;
            }
            return if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            };
        }
        if let Some(name) = t.strip_prefix("[[") {
            let name = name.split("]]").next().unwrap_or("").trim().to_string();
            let n = entries.entry(name.clone()).or_insert(0);
            table = format!("{name}.{n}");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[') {
            table = name.split(']').next().unwrap_or("").trim().to_string();
        }
    }
    String::new()
}

/// The dotted path of the innermost key whose key or value contains `span`.
fn field_at(at: &Locator<'_>, span: &Range<usize>) -> String {
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
    let Some(doc) = &at.doc else {
        return String::new();
    };
    let mut path = Vec::new();
    for (k, v) in doc.iter() {
        path.push(k.get_ref().to_string());
        let inside = |s: Range<usize>| s.start <= span.start && span.start < s.end.max(s.start + 1);
        if inside(k.span()) || search(v.get_ref(), span.start, &mut path) || inside(v.span()) {
            return path.join(".");
        }
        path.pop();
    }
    String::new()
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
