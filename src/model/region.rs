//! Regions: member councils, each a scenario of its own, that share a
//! region's placement market, and the terms of a regional care
//! co-operative (RCC) if the region has one.
//!
//! A region file names its members and, optionally, its co-operative:
//!
//! ```toml
//! name = "Tees Valley, with a regional care co-operative"
//! members = ["tees-valley/darlington.toml", "tees-valley/hartlepool.toml"]
//!
//! [cooperative]
//! from = "2026-07-01"                          # default: the run's first day
//! foster_places_per_10k_children = 3           # recruited regionally, reached over ramp_months
//! ramp_months = 24
//! agency_foster_places_per_10k_children = 4    # commissioned together (block contracts)
//! residential_beds_per_10k_children = 1
//! price_factor = 0.9                           # a commissioned place's cost / its type's
//! running_cost_pounds_per_year = 600_000
//! ```
//!
//! The co-operative's places belong to the region. At each month's start
//! the region's run shares the free ones among the members
//! ([`allot`]) and tells each council its share with a
//! `CooperativePlacesAllotted` event; the council's matching then uses
//! them after its own in-house carers (`model::placements`). The places'
//! sizes are per 10,000 children of the whole region.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::calendar::CivilDate;
use crate::model::event::Placement;
use crate::model::input::ScenarioInput;
use crate::model::per::PerPlacement;
use crate::model::scenario::{
    check_ranges, located, read_text_file, Diagnostic, FieldRange, Locator, NonNegative,
    Placements, Positive, ScenarioError, MAX_BUDGET_POUNDS, MAX_RUN_BYTES,
};

/// The most members a region may have.
pub const MAX_MEMBERS: usize = 64;
/// The most scenario text a region holds: its file and its members'
/// effective texts together (8 MiB; the shipped regions hold under
/// 400 kB). Each member is read as a scenario is, within
/// [`crate::model::scenario::MAX_SCENARIO_INPUT_BYTES`] with the files it
/// extends, one after another, so a region's load stays bounded too.
pub const MAX_REGION_INPUT_BYTES: u64 = 8 << 20;

/// The allowed range of each number in a region file (as
/// [`crate::model::scenario::RANGES`] for a scenario).
pub const REGION_RANGES: &[FieldRange] = &[
    FieldRange {
        field: "cooperative.ramp_months",
        min: 1.0,
        above_min: false,
        max: 120.0,
        below_max: false,
        unit: "months",
        expected: "",
    },
    FieldRange {
        field: "cooperative.foster_places_per_10k_children",
        min: 0.0,
        above_min: false,
        max: 1_000.0,
        below_max: false,
        unit: "places per 10,000 children",
        expected: "",
    },
    FieldRange {
        field: "cooperative.agency_foster_places_per_10k_children",
        min: 0.0,
        above_min: false,
        max: 1_000.0,
        below_max: false,
        unit: "places per 10,000 children",
        expected: "",
    },
    FieldRange {
        field: "cooperative.residential_beds_per_10k_children",
        min: 0.0,
        above_min: false,
        max: 1_000.0,
        below_max: false,
        unit: "beds per 10,000 children",
        expected: "",
    },
    FieldRange {
        field: "cooperative.price_factor",
        min: 0.0,
        above_min: true,
        max: 3.0,
        below_max: false,
        unit: "times the type's cost",
        expected: "",
    },
    FieldRange {
        field: "cooperative.running_cost_pounds_per_year",
        min: 0.0,
        above_min: false,
        max: MAX_BUDGET_POUNDS,
        below_max: false,
        unit: "pounds a year",
        expected: "",
    },
];

/// A region file as written.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    /// The region's name, for reports.
    pub name: String,
    /// What the region (and its co-operative) is.
    #[serde(default)]
    pub description: String,
    /// The member councils' scenario files, relative to this file.
    pub members: Vec<String>,
    /// A regional care co-operative, if the region has one.
    #[serde(default)]
    pub cooperative: Option<CooperativeTerms>,
}

/// What a regional care co-operative brings: places recruited and
/// commissioned together, at a price, for a running cost.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CooperativeTerms {
    /// The day it starts sharing places (default: the run's first day).
    #[serde(default)]
    pub from: Option<CivilDate>,
    /// Foster carers' places recruited by the region, per 10,000 of the
    /// region's children, once fully recruited.
    pub foster_places_per_10k_children: NonNegative,
    /// Months to recruit them (places grow evenly over this time): 1 to
    /// 120 ([`REGION_RANGES`]).
    pub ramp_months: u32,
    /// Independent fostering agency places commissioned together, per
    /// 10,000 of the region's children.
    pub agency_foster_places_per_10k_children: NonNegative,
    /// Children's home beds commissioned together, per 10,000 of the
    /// region's children.
    pub residential_beds_per_10k_children: NonNegative,
    /// A commissioned agency or residential place's weekly cost as a
    /// multiple of its type's (the co-operative's foster carers cost what
    /// the council's own do).
    pub price_factor: Positive,
    /// The co-operative's own cost a year (its team, recruitment hub,
    /// commissioning), in pounds; shared by the members.
    pub running_cost_pounds_per_year: NonNegative,
}

impl CooperativeTerms {
    /// The co-operative's places `months` whole months after it started,
    /// for a region of `children` children.
    pub fn places(&self, months: u64, children: u64) -> PerPlacement<u32> {
        let mut places = PerPlacement::default();
        let foster = Placements::for_area(&self.foster_places_per_10k_children, children);
        let ramp = u64::from(self.ramp_months.max(1));
        places[Placement::InHouseFoster] = (u64::from(foster) * months.min(ramp) / ramp) as u32;
        places[Placement::AgencyFoster] =
            Placements::for_area(&self.agency_foster_places_per_10k_children, children);
        places[Placement::Residential] =
            Placements::for_area(&self.residential_beds_per_10k_children, children);
        places
    }

    /// The price factor in thousandths, as the allotment event carries it.
    pub fn price_permille(&self) -> u32 {
        libm::round(self.price_factor.get() * 1000.0) as u32
    }
}

/// Shares `free` places among members in proportion to `weights`, by the
/// largest remainder (ties to the earlier member); all to nobody when
/// every weight is zero.
pub fn allot(free: u32, weights: &[u64]) -> Vec<u32> {
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<u32> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = u128::from(free) * u128::from(w);
        shares.push((exact / total) as u32);
        remainders.push((exact % total, i));
    }
    let left = free - shares.iter().sum::<u32>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

/// A region as a run takes it: its file, text and source, and its members.
#[derive(Clone, Debug)]
pub struct RegionInput {
    /// The region file.
    pub region: RegionFile,
    /// Its text.
    pub text: String,
    /// Its path.
    pub source: String,
    /// The member councils, in the file's order.
    pub members: Vec<ScenarioInput>,
}

impl RegionInput {
    /// Whether scenario-like TOML text is a region file (it lists `members`).
    pub fn is_region(text: &str) -> bool {
        toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("members"))
    }

    /// Whether the file at `path` is a region file; reads it as a scenario
    /// is read (a regular file, at most
    /// [`crate::model::scenario::MAX_SCENARIO_FILE_BYTES`]), so it is safe
    /// on any path.
    pub fn is_region_file(path: &Path) -> bool {
        read_text_file(path).is_ok_and(|t| RegionInput::is_region(&t))
    }

    /// Reads a region file and its members, and checks that they can run
    /// together: distinct members sharing the calendar, with placement
    /// sufficiency when there is a co-operative. Refused if a member's run,
    /// or the members' runs together, are estimated to need more than
    /// [`MAX_RUN_BYTES`] (see [`RegionInput::load_forced`]).
    pub fn load(path: &Path) -> Result<RegionInput, ScenarioError> {
        RegionInput::load_with(path, crate::model::scenario::size_forced())
    }

    /// The same, without the estimate of the members' size.
    pub fn load_forced(path: &Path) -> Result<RegionInput, ScenarioError> {
        RegionInput::load_with(path, true)
    }

    fn load_with(path: &Path, force: bool) -> Result<RegionInput, ScenarioError> {
        let source = path.display().to_string();
        let text = read_text_file(path).map_err(|m| ScenarioError::whole_file(&source, m))?;
        let region: RegionFile = toml::from_str(&text).map_err(|e| located(&text, &source, &e))?;
        let locator = Locator::new(&text);
        let diagnostic_at = |field: &str, message: String| {
            let (line, column) = locator.locate(field);
            diagnostic(line, column, field, message)
        };
        let at = |field: &str, message: String| ScenarioError {
            file: source.clone(),
            problems: vec![diagnostic_at(field, message)],
        };
        if region.members.is_empty() || region.members.len() > MAX_MEMBERS {
            return Err(at(
                "members",
                format!(
                    "{} members: a region has 1 to {MAX_MEMBERS}",
                    region.members.len()
                ),
            ));
        }
        if let Some(why) = crate::model::scenario::not_one_line(&region.name) {
            return Err(at("name", why));
        }
        let mut problems = Vec::new();
        check_ranges(
            &serde_json::to_value(&region).unwrap_or_default(),
            REGION_RANGES,
            &mut problems,
        );
        if !problems.is_empty() {
            let mut problems: Vec<Diagnostic> = problems
                .into_iter()
                .map(|(field, message)| diagnostic_at(&field, message))
                .collect();
            problems.sort_by_key(|d| (d.line, d.column));
            return Err(ScenarioError {
                file: source.clone(),
                problems,
            });
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut members: Vec<ScenarioInput> = Vec::with_capacity(region.members.len());
        let mut held = text.len() as u64;
        for (i, m) in region.members.iter().enumerate() {
            let field = format!("members[{i}]");
            let member = if force {
                ScenarioInput::load_forced(&dir.join(m))
            } else {
                ScenarioInput::load(&dir.join(m))
            }
            .map_err(|e| at("members", format!("{field} = {m:?}: {e}")))?;
            held += member.text.len() as u64;
            if held > MAX_REGION_INPUT_BYTES {
                return Err(at(
                    "members",
                    format!(
                        "{field} = {m:?}: the region and its members so far hold {} bytes of scenario text, more than the {} (8 MiB) a region may hold",
                        held,
                        MAX_REGION_INPUT_BYTES
                    ),
                ));
            }
            if let Some(first) = members.first() {
                let (a, b) = (&first.scenario, &member.scenario);
                if a.calendar().start() != b.calendar().start()
                    || a.horizon_days() != b.horizon_days()
                    || a.measured_from() != b.measured_from()
                {
                    return Err(at(
                        "members",
                        format!(
                            "{field} = {m:?} runs over other dates than {}: members share the start, the length and the burn-in",
                            first.source
                        ),
                    ));
                }
            }
            if region.cooperative.is_some() && member.scenario.placements.is_none() {
                return Err(at(
                    "members",
                    format!("{field} = {m:?} has no [placements]: a co-operative shares places among councils that count theirs"),
                ));
            }
            if members
                .iter()
                .any(|o| o.scenario.name == member.scenario.name)
            {
                return Err(at(
                    "members",
                    format!(
                        "{field} = {m:?}: another member is also named {:?}",
                        member.scenario.name
                    ),
                ));
            }
            members.push(member);
        }
        // The members run at once: together they must fit, as one
        // scenario must.
        let together: f64 = members
            .iter()
            .map(|m| m.scenario.size_estimate().bytes)
            .sum();
        if !force && together > MAX_RUN_BYTES {
            let gib = |b: f64| format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0));
            return Err(at(
                "members",
                format!(
                    "the members run together and may need about {} of memory, more than the {} allowed; run fewer or smaller members, or force the run (--force) if the machine has the memory",
                    gib(together),
                    gib(MAX_RUN_BYTES)
                ),
            ));
        }
        if let Some(from) = region.cooperative.as_ref().and_then(|c| c.from) {
            let cal = members[0].scenario.calendar();
            let start = cal.start();
            if from < start || cal.minute_of(from) >= cal.horizon() {
                return Err(at(
                    "cooperative.from",
                    format!(
                        "{from}: outside the members' run ({start} for {} days)",
                        members[0].scenario.horizon_days()
                    ),
                ));
            }
        }
        Ok(RegionInput {
            region,
            text,
            source,
            members,
        })
    }

    /// The region's children: its members' together.
    pub fn children(&self) -> u64 {
        self.members.iter().map(|m| m.scenario.area.children).sum()
    }
}

fn diagnostic(line: usize, column: usize, field: &str, message: String) -> Diagnostic {
    Diagnostic {
        line,
        column,
        field: field.to_string(),
        message,
        file: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allotment_shares_by_weight_and_keeps_every_place() {
        assert_eq!(allot(10, &[1, 1, 2]), vec![3, 2, 5]);
        assert_eq!(allot(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allot(7, &[0, 0]), vec![0, 0]);
        assert_eq!(allot(3, &[1, 1, 1, 1]), vec![1, 1, 1, 0]);
        let shares = allot(1_000_003, &[7, 11, 13, 0, 1]);
        assert_eq!(shares.iter().sum::<u32>(), 1_000_003);
        assert_eq!(shares[3], 0);
    }

    #[test]
    fn foster_places_grow_over_the_ramp() {
        let c = CooperativeTerms {
            from: None,
            foster_places_per_10k_children: NonNegative(4.0),
            ramp_months: 24,
            agency_foster_places_per_10k_children: NonNegative(2.0),
            residential_beds_per_10k_children: NonNegative(1.0),
            price_factor: Positive(0.9),
            running_cost_pounds_per_year: NonNegative(0.0),
        };
        let at = |m| c.places(m, 100_000);
        assert_eq!(at(0)[Placement::InHouseFoster], 0);
        assert_eq!(at(12)[Placement::InHouseFoster], 20);
        assert_eq!(at(24)[Placement::InHouseFoster], 40);
        assert_eq!(at(99)[Placement::InHouseFoster], 40);
        assert_eq!(at(0)[Placement::AgencyFoster], 20);
        assert_eq!(at(0)[Placement::Residential], 10);
        assert_eq!(c.price_permille(), 900);
    }
}
