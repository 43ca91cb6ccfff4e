//! Referrals: new families arriving, their attributes, and re-referrals.
//!
//! New families arrive as a Poisson process whose rate is the area's
//! referral rate, scaled by the month's weight in the monthly profile
//! (piecewise constant by calendar month; a gap that crosses into the next
//! month is redrawn from the month's start, which is exact for a Poisson
//! process). The n-th arrival's gap comes from stream (Arrivals, 0, n).

use super::{Decisions, Model};
use crate::model::calendar::{Minute, DAY};
use crate::model::event::{Attributes, Event, FamilyId, Need, RiskFactors};
use crate::model::happening::Happening;
use crate::model::purpose::Purpose;
use crate::model::scenario::{AgeBandShares, Scenario};
use crate::model::state::{Stage, State};

/// Exact arrival times are kept in millionths of a minute.
const EXACT: f64 = 1_000_000.0;

/// Rates derived from the scenario once.
#[derive(Debug, Clone)]
pub(super) struct Params {
    /// New families per minute at a month weight of 1.
    per_minute: f64,
    /// Month weights, January first, mean 1.
    monthly: [f64; 12],
    need: [f64; 4],
    prevalence: [f64; 4],
}

impl Params {
    pub(super) fn new(s: &Scenario) -> Self {
        let per_year =
            s.area.children as f64 / 10_000.0 * s.area.new_referrals_per_10k_children.get();
        let mut monthly = [1.0; 12];
        if let Some(profile) = &s.area.monthly_profile {
            let mean = profile.iter().map(|m| m.get()).sum::<f64>() / 12.0;
            for (m, p) in monthly.iter_mut().zip(profile) {
                *m = p.get() / mean;
            }
        }
        let n = &s.families.need;
        let r = &s.families.risk_factors;
        Params {
            per_minute: per_year / (365.0 * DAY as f64),
            monthly,
            need: [n.none.get(), n.low.get(), n.moderate.get(), n.high.get()],
            prevalence: [
                r.domestic_abuse.get(),
                r.substance_misuse.get(),
                r.mental_health.get(),
                r.neglect.get(),
            ],
        }
    }
}

impl Model {
    /// Puts the arrival of new family number `index` on the agenda, after
    /// the exact time `from` (in millionths of a minute). The rate is
    /// constant within a calendar month and a version of the policy
    /// timeline; at either boundary the gap is redrawn. Arrivals happen at
    /// whole minutes, but each gap is added to the exact time of the one
    /// before, so rounding never accumulates.
    pub(super) fn schedule_arrival(&self, from: u64, index: u32, out: &mut Decisions) {
        let mut stream = self.streams.stream(Purpose::Arrivals, 0, index);
        let mut t = from as f64 / EXACT;
        while (t as Minute) < self.calendar.horizon() {
            let minute = t as Minute;
            let p = &self.version(minute).referral;
            let month = self.calendar.date(minute).month() as usize - 1;
            let rate = p.per_minute * p.monthly[month];
            let mut boundary = self.calendar.next_month_start(minute);
            if let Some(change) = self.next_change(minute) {
                boundary = boundary.min(change);
            }
            if rate > 0.0 {
                let next = t + stream.exponential(1.0 / rate);
                if next < boundary as f64 {
                    let exact = libm::round(next * EXACT) as u64;
                    out.schedule
                        .push((exact / EXACT as u64, Happening::Arrival(exact)));
                    return;
                }
            }
            t = boundary as f64;
        }
    }

    /// A new family's first referral; `exact` is its time in millionths of a minute.
    pub(super) fn arrival(&self, now: Minute, exact: u64, state: &State, out: &mut Decisions) {
        let family = state.next_family_id();
        let attributes = self.draw_attributes(family);
        out.events
            .push(Event::FamilyReferred { family, attributes });
        self.schedule_triage(now, family, 0, state, out);
        self.schedule_arrival(exact, family.0 + 1, out);
    }

    /// A closed family referred again.
    pub(super) fn rereferral(
        &self,
        now: Minute,
        family: FamilyId,
        state: &State,
        out: &mut Decisions,
    ) {
        let Some(f) = state.family(family) else {
            return;
        };
        if f.stage != Stage::Closed {
            return;
        }
        let Some(episode) = f.episode.checked_add(1) else {
            return;
        };
        out.events.push(Event::FamilyReReferred { family, episode });
        self.schedule_triage(now, family, episode, state, out);
    }

    /// A family's attributes, from its own stream.
    pub fn draw_attributes(&self, family: FamilyId) -> Attributes {
        // Families' characteristics cannot change with policy: the first version's.
        let fs = &self.scenario.families;
        let p = &self.versions[0].referral;
        let mut s = self
            .streams
            .stream(Purpose::FamilyAttributes, u64::from(family.0), 0);
        // Children: 1 plus a geometric number of siblings with the scenario's mean.
        let more = 1.0 - 1.0 / fs.children_mean.get();
        let mut children = 1u8;
        while children < 12 && s.chance(more) {
            children += 1;
        }
        let youngest_age = youngest_age(fs.age_of_youngest.as_ref(), s.uniform());
        let mut factors = 0u8;
        for (i, prevalence) in p.prevalence.iter().enumerate() {
            if s.chance(*prevalence) {
                factors |= 1 << i;
            }
        }
        let mut keep = (1.0 - fs.risk_factor_weight.get()).powi(factors.count_ones() as i32);
        if youngest_age == 0 {
            keep *= 1.0 - fs.infant_risk_weight.get();
        }
        let risk = 1.0 - (1.0 - s.uniform()) * keep;
        let need = Need::ALL[s.pick(&p.need)];
        // Network strength with the scenario's mean: U^((1-m)/m) has mean m.
        let m = fs.network_strength_mean.get().clamp(0.001, 0.999);
        let network = libm::pow(s.uniform(), (1.0 - m) / m);
        // Older siblings: whole years between births, uniform on 1 to
        // 2 x mean - 1 (drawn last, so the draws above keep their places).
        let gaps = 2.0 * fs.sibling_gap_years_mean.get() - 1.0;
        let mut eldest_age = youngest_age;
        for _ in 1..children {
            let gap = 1.0 + libm::floor(s.uniform() * gaps.max(0.0));
            eldest_age = eldest_age.saturating_add(gap.min(30.0) as u8);
        }
        Attributes {
            children,
            youngest_age,
            eldest_age,
            need,
            risk: per_10k(risk),
            risk_factors: RiskFactors(factors),
            network: per_10k(network),
        }
    }

    /// True when the family's latent risk reaches the significant-harm threshold.
    pub fn at_risk_of_significant_harm(&self, a: &Attributes) -> bool {
        a.risk >= self.significant_harm_risk()
    }

    /// The significant-harm threshold, in parts per 10,000 of latent risk.
    pub fn significant_harm_risk(&self) -> u16 {
        per_10k(self.scenario.families.significant_harm_threshold.get())
    }
}

/// The youngest child's age in whole years from one uniform `u`: evenly
/// over 0 to 17, or by the scenario's age bands (the band picked by `u`,
/// the age within it by where `u` fell in the band's share).
fn youngest_age(bands: Option<&AgeBandShares>, u: f64) -> u8 {
    let Some(bands) = bands else {
        return (u * 18.0) as u8;
    };
    let bands = bands.bands();
    let total: f64 = bands.iter().map(|b| b.2).sum();
    let mut x = u * total;
    for (first, ages, share) in bands {
        if share > 0.0 && x < share {
            return first + ((x / share * f64::from(ages)) as u8).min(ages - 1);
        }
        x -= share;
    }
    17
}

/// A share as parts per 10,000 (rounded down, at most 10,000).
fn per_10k(x: f64) -> u16 {
    (x.clamp(0.0, 1.0) * 10_000.0).floor() as u16
}
