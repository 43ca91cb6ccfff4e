//! A region's run: its member councils simulated in step, month by month,
//! sharing a regional care co-operative's places; and the region's summary.
//!
//! Each member is an ordinary run of its own scenario with its own seed
//! ([`member_seed`]) and its own log. Without a co-operative nothing passes
//! between them, so each member's log is exactly that council's run alone.
//! With one, at the start of each month from the co-operative's first day
//! the region's run advances every member to that minute, counts the
//! co-operative's free places (its places then, less those its members'
//! children fill), shares them out ([`allot`]) in proportion to each
//! member's children placed outside its area or in the co-operative's
//! places (plus one per 10,000 children) and injects a
//! `CooperativePlacesAllotted` event into each member's run. The event is
//! in the member's log, so the log replays alone; members are advanced in
//! file order, and only whole months pass between the exchanges, so the
//! result does not depend on anything but the files and the seed.

use std::io::Write;

use serde::Serialize;

use crate::analysis::replications::{replication_seed, MetricValues};
use crate::analysis::run::Finished;
use crate::analysis::summary::{thousands, Summary};
use crate::engine::log::LogWriter;
use crate::engine::{EventSink, Run};
use crate::model::calendar::DAY;
use crate::model::event::{Event, Placement};
use crate::model::per::PerPlacement;
use crate::model::projection::Metrics;
use crate::model::region::{allot, RegionInput};
use crate::model::state::State;
use crate::model::{Model, RunError};

/// Salt for members' seeds ("REGION").
const REGION: u64 = 0x5245_4749_4F4E;

/// The seed of member `i` (from 0) in a region run with `seed`.
pub fn member_seed(seed: u64, i: usize) -> u64 {
    replication_seed(seed ^ REGION, i as u64)
}

/// A finished region run: each member's end and the region's summary.
pub struct RegionFinished {
    /// The members, in the file's order, with their seeds.
    pub members: Vec<(u64, Finished)>,
    /// The region's summary.
    pub summary: RegionSummary,
}

/// Runs a region with `seed`; with `logs` (one writer per member, in the
/// file's order), writes each member's event log.
pub fn run_region<W: Write>(
    input: &RegionInput,
    seed: u64,
    logs: Option<Vec<W>>,
) -> Result<RegionFinished, RunError> {
    let models: Vec<Model> = input
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| Model::new(m.scenario.clone(), member_seed(seed, i)))
        .collect();
    let ends = match logs {
        Some(outs) => {
            let mut writers = Vec::with_capacity(outs.len());
            for (i, out) in outs.into_iter().enumerate() {
                writers.push(LogWriter::new(
                    out,
                    &input.members[i].header(member_seed(seed, i)),
                )?);
            }
            let ends = in_step(input, &models, &mut writers)?;
            for ((w, (state, _)), model) in writers.into_iter().zip(&ends).zip(&models) {
                w.finish(model.calendar.horizon(), state.hash(), true)?;
            }
            ends
        }
        None => {
            let mut sinks: Vec<crate::engine::Discard> =
                models.iter().map(|_| crate::engine::Discard).collect();
            in_step(input, &models, &mut sinks)?
        }
    };
    let members: Vec<(u64, Finished)> = ends
        .into_iter()
        .enumerate()
        .map(|(i, (state, metrics))| {
            let m = &input.members[i];
            let summary = Summary::new(
                &m.scenario,
                &m.source,
                member_seed(seed, i),
                &metrics,
                &state,
            );
            (
                member_seed(seed, i),
                Finished {
                    state,
                    metrics,
                    summary,
                },
            )
        })
        .collect();
    let summary = RegionSummary::new(input, seed, &members);
    Ok(RegionFinished { members, summary })
}

/// The members run in step, exchanging the co-operative's places at each
/// month's start; each ends at its horizon.
fn in_step<S: EventSink<Event>>(
    input: &RegionInput,
    models: &[Model],
    sinks: &mut [S],
) -> Result<Vec<(State, Metrics)>, RunError> {
    let mut runs: Vec<Run<Model>> = models.iter().map(Run::start).collect();
    if let Some(terms) = &input.region.cooperative {
        let cal = &models[0].calendar;
        let horizon = cal.horizon();
        let start = terms.from.map_or(0, |d| cal.minute_of(d));
        let children = input.children();
        let price = terms.price_permille();
        let mut at = start;
        let mut months = 0u64;
        while at < horizon {
            for ((run, model), sink) in runs.iter_mut().zip(models).zip(sinks.iter_mut()) {
                run.advance(model, at, sink)?;
            }
            let places = terms.places(months, children);
            let mut allotted: Vec<PerPlacement<u32>> = vec![PerPlacement::default(); runs.len()];
            for t in [
                Placement::InHouseFoster,
                Placement::AgencyFoster,
                Placement::Residential,
            ] {
                // The foster carers and agency places meet the same need.
                let group = |p: Placement| match t {
                    Placement::Residential => p == Placement::Residential,
                    _ => matches!(p, Placement::InHouseFoster | Placement::AgencyFoster),
                };
                let mut filled = 0u32;
                let mut weights = Vec::with_capacity(runs.len());
                for (run, m) in runs.iter().zip(&input.members) {
                    let c = run.state.cooperative.as_ref();
                    filled += c.map_or(0, |c| c.placed[t]);
                    let away = run.state.places.as_ref().map_or(0, |p| {
                        Placement::ALL
                            .iter()
                            .filter(|&&p| group(p))
                            .map(|&q| u64::from(p.out_of_area[q]))
                            .sum::<u64>()
                    });
                    let shared = c.map_or(0, |c| {
                        Placement::ALL
                            .iter()
                            .filter(|&&p| group(p))
                            .map(|&q| u64::from(c.placed[q]))
                            .sum::<u64>()
                    });
                    weights.push(away + shared + (m.scenario.area.children / 10_000).max(1));
                }
                for (a, n) in allotted
                    .iter_mut()
                    .zip(allot(places[t].saturating_sub(filled), &weights))
                {
                    a[t] = n;
                }
            }
            for ((run, sink), a) in runs.iter_mut().zip(sinks.iter_mut()).zip(&allotted) {
                run.inject(
                    at,
                    &Event::CooperativePlacesAllotted {
                        in_house_foster: a[Placement::InHouseFoster],
                        agency_foster: a[Placement::AgencyFoster],
                        residential: a[Placement::Residential],
                        price_permille: price,
                    },
                    sink,
                )?;
            }
            at = cal.next_month_start(at);
            months += 1;
        }
    }
    let mut ends = Vec::with_capacity(runs.len());
    for ((run, model), sink) in runs.into_iter().zip(models).zip(sinks.iter_mut()) {
        ends.push(run.finish(model, sink)?);
    }
    Ok(ends)
}

/// One member's lines in a region's summary.
#[derive(Clone, Debug, Serialize)]
pub struct MemberSummary {
    /// The council's name.
    pub name: String,
    /// Its scenario file.
    pub source: String,
    /// Its seed.
    pub seed: u64,
    /// Its children.
    pub children: u64,
    /// Its figures.
    pub figures: RegionFigures,
}

/// The placement figures a region reports, for a member or the whole.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegionFigures {
    /// Children looked after at the end.
    pub looked_after_at_end: u64,
    /// The same, per 10,000 children.
    pub looked_after_per_10k_children: f64,
    /// Children placed (at entry and at each move).
    pub placements_made: u64,
    /// Of those, placed outside the area and outside any co-operative's places, %.
    pub placed_out_of_area_pct: f64,
    /// Of those, placed in the co-operative's places (within the region), %.
    pub placed_in_cooperative_pct: f64,
    /// Placement moves per child-year in care.
    pub placement_moves_per_child_year: f64,
    /// Looked-after children with kinship carers at the end, %.
    pub kinship_share_pct: f64,
    /// With independent fostering agency carers at the end, %.
    pub agency_foster_share_pct: f64,
    /// In children's homes at the end, %.
    pub residential_share_pct: f64,
    /// Placed outside the area at the end.
    pub out_of_area_at_end: u64,
    /// Placement spending over the measured run, by type, in pence.
    pub spend_by_placement_pence: PerPlacement<u64>,
    /// All spending over the measured run (every budget line), in pence.
    pub spend_pence: u64,
    /// The co-operative's running cost over the measured run, in pence
    /// (the region's; a member's share by its children).
    pub cooperative_running_pence: u64,
}

impl RegionFigures {
    fn of<'a>(
        parts: impl Iterator<Item = (&'a Metrics, u64)> + Clone,
        children: u64,
        running: u64,
    ) -> RegionFigures {
        let sum = |f: &dyn Fn(&Metrics) -> u64| parts.clone().map(|(m, _)| f(m)).sum::<u64>();
        let made = sum(&|m| m.total(|y| y.placements_made));
        let mut in_care = PerPlacement::<u64>::default();
        let mut spend_by = PerPlacement::<u64>::default();
        let mut child_minutes = 0u128;
        for (m, _) in parts.clone() {
            for p in Placement::ALL {
                in_care[p] += m.in_care()[p];
                spend_by[p] +=
                    (m.spend_by_placement[p] / u128::from(crate::model::calendar::WEEK)) as u64;
            }
            child_minutes += m.in_care_minutes;
        }
        let looked_after: u64 = in_care.iter().sum();
        let pct = |n: u64, d: u64| {
            if d == 0 {
                0.0
            } else {
                round2(n as f64 * 100.0 / d as f64)
            }
        };
        let child_years = child_minutes as f64 / (365.0 * DAY as f64);
        let moves = sum(&|m| m.total(|y| y.placement_moves));
        RegionFigures {
            looked_after_at_end: looked_after,
            looked_after_per_10k_children: round2(
                looked_after as f64 * 10_000.0 / children.max(1) as f64,
            ),
            placements_made: made,
            placed_out_of_area_pct: pct(sum(&|m| m.total(|y| y.placed_out_of_area)), made),
            placed_in_cooperative_pct: pct(sum(&|m| m.total(|y| y.placed_in_cooperative)), made),
            placement_moves_per_child_year: if child_years > 0.0 {
                round2(moves as f64 / child_years)
            } else {
                0.0
            },
            kinship_share_pct: pct(in_care[Placement::Kinship], looked_after),
            agency_foster_share_pct: pct(in_care[Placement::AgencyFoster], looked_after),
            residential_share_pct: pct(in_care[Placement::Residential], looked_after),
            out_of_area_at_end: sum(&|m| m.out_of_area),
            spend_by_placement_pence: spend_by,
            spend_pence: sum(&|m| m.total(|y| y.spend_pence.iter().sum())) + running,
            cooperative_running_pence: running,
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A region run's summary: the region and each member.
#[derive(Clone, Debug, Serialize)]
pub struct RegionSummary {
    /// The version of familyflow.
    pub familyflow: String,
    /// The region's name.
    pub region: String,
    /// Its file.
    pub source: String,
    /// The region run's seed (members' seeds derive from it).
    pub seed: u64,
    /// First and last day measured.
    pub start: String,
    /// Last day measured.
    pub end: String,
    /// Whether the region has a co-operative.
    pub cooperative: bool,
    /// The region's children.
    pub children: u64,
    /// The whole region.
    pub figures: RegionFigures,
    /// Each member.
    pub members: Vec<MemberSummary>,
}

impl RegionSummary {
    /// The summary of a region run's members.
    pub fn new(input: &RegionInput, seed: u64, members: &[(u64, Finished)]) -> RegionSummary {
        let children = input.children();
        let first = &members[0].1;
        let running_total = input.region.cooperative.as_ref().map_or(0, |c| {
            let m = &first.metrics;
            let cal = m.calendar();
            let from = c.from.map_or(0, |d| cal.minute_of(d)).max(m.measured_from);
            let minutes = m.end.saturating_sub(from);
            let pence = c.running_cost_pounds_per_year.get() * 100.0 * minutes as f64
                / (365.0 * DAY as f64);
            libm::round(pence) as u64
        });
        let share = |c: u64| {
            (u128::from(running_total) * u128::from(c) / u128::from(children.max(1))) as u64
        };
        RegionSummary {
            familyflow: crate::VERSION.to_string(),
            region: input.region.name.clone(),
            source: input.source.clone(),
            seed,
            start: first.summary.start.clone(),
            end: first.summary.end.clone(),
            cooperative: input.region.cooperative.is_some(),
            children,
            figures: RegionFigures::of(
                members.iter().map(|(_, f)| (&f.metrics, 0)),
                children,
                running_total,
            ),
            members: members
                .iter()
                .zip(&input.members)
                .map(|((seed, f), m)| MemberSummary {
                    name: m.scenario.name.clone(),
                    source: m.source.clone(),
                    seed: *seed,
                    children: m.scenario.area.children,
                    figures: RegionFigures::of(
                        std::iter::once((&f.metrics, 0)),
                        m.scenario.area.children,
                        share(m.scenario.area.children),
                    ),
                })
                .collect(),
        }
    }

    /// The figures as metrics for replications and comparisons:
    /// `region.*` for the whole, `member.<n>.*` for member n (from 1).
    pub fn metrics(&self) -> MetricValues {
        let mut out = Vec::new();
        figures_into(&mut out, "region", &self.figures);
        for (i, m) in self.members.iter().enumerate() {
            figures_into(&mut out, &format!("member.{}", i + 1), &m.figures);
        }
        out
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serialises") + "\n"
    }

    /// The summary as a modeller reads it.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o, "familyflow {}  region: {}", self.familyflow, self.region);
        let _ = writeln!(
            o,
            "{} councils, {} children; seed {}; measured {} to {}; {}",
            self.members.len(),
            self.children,
            self.seed,
            self.start,
            self.end,
            if self.cooperative {
                "with a regional care co-operative"
            } else {
                "each council on its own"
            }
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<28} {:>9} {:>8} {:>10} {:>9} {:>8} {:>8} {:>7} {:>14}",
            "", "in care", "per 10k", "out of", "in co-op", "moves/", "agency", "resid.", "spend"
        );
        let _ = writeln!(
            o,
            "{:<28} {:>9} {:>8} {:>10} {:>9} {:>8} {:>8} {:>7} {:>14}",
            "", "at end", "", "area %", "%", "child-yr", "%", "%", "£"
        );
        let line = |o: &mut String, name: &str, f: &RegionFigures| {
            let _ = writeln!(
                o,
                "{:<28} {:>9} {:>8.1} {:>10.1} {:>9.1} {:>8.2} {:>8.1} {:>7.1} {:>14}",
                truncate(name, 28),
                f.looked_after_at_end,
                f.looked_after_per_10k_children,
                f.placed_out_of_area_pct,
                f.placed_in_cooperative_pct,
                f.placement_moves_per_child_year,
                f.agency_foster_share_pct,
                f.residential_share_pct,
                thousands(f.spend_pence / 100)
            );
        };
        for m in &self.members {
            line(&mut o, &m.name, &m.figures);
        }
        line(&mut o, "region", &self.figures);
        if self.cooperative {
            let _ = writeln!(
                o,
                "\nThe co-operative's running cost, £{}, is in the region's spend (members' by their children).",
                thousands(self.figures.cooperative_running_pence / 100)
            );
        }
        let _ = writeln!(
            o,
            "Out of area: placed outside the council's area and outside any co-operative's places.\nEach member's own summary: `familyflow run REGION.toml --out DIR` writes it with the member's log."
        );
        o
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn figures_into(out: &mut MetricValues, prefix: &str, f: &RegionFigures) {
    let mut put = |k: &str, v: f64| out.push((format!("{prefix}.{k}"), v));
    put("looked_after_at_end", f.looked_after_at_end as f64);
    put(
        "looked_after_per_10k_children",
        f.looked_after_per_10k_children,
    );
    put("placements_made", f.placements_made as f64);
    put("placed_out_of_area_pct", f.placed_out_of_area_pct);
    put("placed_in_cooperative_pct", f.placed_in_cooperative_pct);
    put(
        "placement_moves_per_child_year",
        f.placement_moves_per_child_year,
    );
    put("kinship_share_pct", f.kinship_share_pct);
    put("agency_foster_share_pct", f.agency_foster_share_pct);
    put("residential_share_pct", f.residential_share_pct);
    put("out_of_area_at_end", f.out_of_area_at_end as f64);
    for p in Placement::ALL {
        put(
            &format!(
                "spend_by_placement_pence.{}",
                crate::model::keys::placement_key(p)
            ),
            f.spend_by_placement_pence[p] as f64,
        );
    }
    put(
        "placement_spend_pence",
        f.spend_by_placement_pence.iter().sum::<u64>() as f64,
    );
    put(
        "cooperative_running_pence",
        f.cooperative_running_pence as f64,
    );
    put("spend_pence", f.spend_pence as f64);
}
