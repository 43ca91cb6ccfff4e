//! Fan charts' data: for a few headline series, per month, the deciles
//! across replications (on common seeds), for every scenario of a
//! comparison, so the report can draw the baseline and the reform as bands
//! on the same axes, as the OBR draws its fan charts.
//!
//! Quantiles are Hyndman and Fan's type 7 (R's and numpy's default):
//! with the month's `n` values sorted, the `p` quantile lies at position
//! `(n − 1)p`, interpolated linearly between its neighbours. A month where
//! fewer than two replications have the value (a stock not yet measured)
//! has no deciles.

use serde::Serialize;

use crate::analysis::summary::Summary;
use crate::model::projection::PeriodCounts;

/// The percentiles given for each month: the nine deciles.
pub const DECILES: [u8; 9] = [10, 20, 30, 40, 50, 60, 70, 80, 90];

/// The tidy CSV of every fan: scenario, measure, month, deciles.
pub const FAN_CSV: &str = "fan.csv";

/// A series drawn as a fan.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FanMeasure {
    /// Children looked after at the month's end.
    LookedAfter,
    /// Children on child protection plans at the month's end.
    OnPlan,
    /// Families waiting for family help at the month's end.
    WaitingForHelp,
    /// Referrals in the month.
    Referrals,
    /// Spending in the month on every budget line, in pounds.
    Spend,
}

impl FanMeasure {
    /// Every measure, in the report's order.
    pub const ALL: [FanMeasure; 5] = [
        FanMeasure::LookedAfter,
        FanMeasure::OnPlan,
        FanMeasure::WaitingForHelp,
        FanMeasure::Referrals,
        FanMeasure::Spend,
    ];

    /// Its key in `compare.json` and `fan.csv`.
    pub fn key(self) -> &'static str {
        match self {
            FanMeasure::LookedAfter => "looked_after_at_end",
            FanMeasure::OnPlan => "on_plan_at_end",
            FanMeasure::WaitingForHelp => "waiting_for_help_at_end",
            FanMeasure::Referrals => "referrals",
            FanMeasure::Spend => "spend_pounds",
        }
    }

    /// A chart's title.
    pub fn title(self) -> &'static str {
        match self {
            FanMeasure::LookedAfter => "Children looked after (month end)",
            FanMeasure::OnPlan => "Children on child protection plans (month end)",
            FanMeasure::WaitingForHelp => "Families waiting for family help (month end)",
            FanMeasure::Referrals => "Referrals each month",
            FanMeasure::Spend => "Spending each month, every budget line",
        }
    }

    /// A chart's y axis.
    pub fn unit(self) -> &'static str {
        match self {
            FanMeasure::LookedAfter | FanMeasure::OnPlan => "children",
            FanMeasure::WaitingForHelp => "families",
            FanMeasure::Referrals => "referrals a month",
            FanMeasure::Spend => "£ a month",
        }
    }

    /// Its value in a month, where measured.
    fn value(self, m: &PeriodCounts) -> Option<f64> {
        match self {
            FanMeasure::LookedAfter => m
                .looked_after_at_end
                .map(|c| c.entries().map(|(_, v)| *v as f64).sum()),
            FanMeasure::OnPlan => m.on_plan_at_end.map(|v| v as f64),
            FanMeasure::WaitingForHelp => m.waiting_for_help_at_end.map(|v| v as f64),
            FanMeasure::Referrals => Some(m.referrals as f64),
            FanMeasure::Spend => Some(
                m.spend_pence
                    .entries()
                    .fold(0u64, |a, (_, v)| a.saturating_add(*v)) as f64
                    / 100.0,
            ),
        }
    }
}

/// One run's monthly values of every [`FanMeasure`], month by month from
/// its first month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonthlySeries {
    /// Its first month, as a [`month_number`].
    pub first: u32,
    /// Per month from the first, each measure's value (in [`FanMeasure::ALL`]'s order).
    pub values: Vec<[Option<f64>; 5]>,
}

impl MonthlySeries {
    /// The series of a run's summary.
    pub fn of(s: &Summary) -> MonthlySeries {
        MonthlySeries {
            first: s
                .by_month
                .first()
                .and_then(|m| month_number(&m.period))
                .unwrap_or(0),
            values: s
                .by_month
                .iter()
                .map(|m| FanMeasure::ALL.map(|f| f.value(m)))
                .collect(),
        }
    }

    /// The values of month `month` (a [`month_number`]), if the run has it.
    fn at(&self, month: u32) -> Option<&[Option<f64>; 5]> {
        let i = month.checked_sub(self.first)?;
        self.values.get(i as usize)
    }

    /// The month after its last (a [`month_number`]).
    pub fn end(&self) -> u32 {
        self.first.saturating_add(self.values.len() as u32)
    }
}

/// A month `YYYY-MM` as a number, `12 x year + month − 1`, so months count
/// on by one across years; `None` if it is not such a month.
pub fn month_number(period: &str) -> Option<u32> {
    let (y, m) = period.split_once('-')?;
    let (y, m) = (y.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (y <= 9999 && (1..=12).contains(&m) && period.len() == 7).then(|| 12 * y + m - 1)
}

/// A [`month_number`] as `YYYY-MM`.
pub fn period_of(month: u32) -> String {
    format!("{:04}-{:02}", month / 12, month % 12 + 1)
}

/// The months every run of `runs` covers between them: the first, and
/// `YYYY-MM` for each month from it to the last run's last (none without runs).
pub fn span<'a>(runs: impl IntoIterator<Item = &'a MonthlySeries>) -> (u32, Vec<String>) {
    let (first, end) = runs
        .into_iter()
        .filter(|r| !r.values.is_empty())
        .fold((u32::MAX, 0), |(f, e), r| (f.min(r.first), e.max(r.end())));
    if first >= end {
        return (0, Vec::new());
    }
    (first, (first..end).map(period_of).collect())
}

/// The months of a run's summary (`2024-04`, …).
pub fn months(s: &Summary) -> Vec<String> {
    s.by_month.iter().map(|m| m.period.clone()).collect()
}

/// One measure's fan for one scenario: per month, the [`DECILES`] (or
/// `None` where fewer than two replications have a value).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fan {
    /// [`FanMeasure::key`].
    pub measure: &'static str,
    /// Per month.
    pub deciles: Vec<Option<[f64; 9]>>,
}

/// One scenario's fans.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioFans {
    /// Its file.
    pub source: String,
    /// Its name.
    pub name: String,
    /// The replications the deciles are over.
    pub replications: usize,
    /// One per [`FanMeasure`], in order.
    pub fans: Vec<Fan>,
}

/// The fans of a comparison: per scenario and measure, per month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fans {
    /// The months, as in the summary (`2024-04`, …).
    pub months: Vec<String>,
    /// The percentiles of each month's array.
    pub percentiles: [u8; 9],
    /// How they are computed, and across what.
    pub quantile_method: String,
    /// Per scenario, in the comparison's order (A first).
    pub scenarios: Vec<ScenarioFans>,
}

const METHOD: &str = "type 7 (linear interpolation at (n-1)p of the sorted values)";

/// `v` to two decimals without trailing zeros (`721.7`, `675`).
fn two_decimals(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The type-7 quantile `p` of sorted values (at least one).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    match sorted.get(lo + 1) {
        Some(next) if frac > 0.0 => sorted[lo] + frac * (next - sorted[lo]),
        _ => sorted[lo],
    }
}

/// The deciles of each measure and month over `runs` (one scenario's
/// runs), for `months` months from month `first` (a [`month_number`]);
/// each run's values are taken at the same calendar month.
pub fn scenario_fans(
    source: &str,
    name: &str,
    first: u32,
    months: usize,
    runs: &[MonthlySeries],
) -> ScenarioFans {
    let mut values = Vec::with_capacity(runs.len());
    let fans = FanMeasure::ALL
        .iter()
        .enumerate()
        .map(|(k, measure)| Fan {
            measure: measure.key(),
            deciles: (0..months)
                .map(|i| {
                    values.clear();
                    let month = first.saturating_add(i as u32);
                    values.extend(runs.iter().filter_map(|r| r.at(month).and_then(|m| m[k])));
                    if values.len() < 2 {
                        return None;
                    }
                    values.sort_by(f64::total_cmp);
                    Some(DECILES.map(|d| quantile(&values, f64::from(d) / 100.0)))
                })
                .collect(),
        })
        .collect();
    ScenarioFans {
        source: source.to_string(),
        name: name.to_string(),
        replications: runs.len(),
        fans,
    }
}

/// The fans of every scenario over the same `months`, their deciles taken
/// `across` (the runs, in words: "replications on common seeds").
pub fn fans(months: Vec<String>, scenarios: Vec<ScenarioFans>, across: &str) -> Fans {
    Fans {
        months,
        percentiles: DECILES,
        quantile_method: format!("{METHOD}, across {across}"),
        scenarios,
    }
}

impl Fans {
    /// [`FAN_CSV`]: one row per scenario × measure × month with a value:
    /// `scenario,measure,period,p10,…,p90`.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["scenario".to_string(), "measure".into(), "period".into()];
        header.extend(DECILES.iter().map(|d| format!("p{d}")));
        // Writing to memory cannot fail.
        let _ = w.write_record(&header);
        for s in &self.scenarios {
            for fan in &s.fans {
                for (period, d) in self.months.iter().zip(&fan.deciles) {
                    let Some(d) = d else { continue };
                    let mut row = vec![s.source.clone(), fan.measure.to_string(), period.clone()];
                    row.extend(d.iter().map(|v| two_decimals(*v)));
                    let _ = w.write_record(&row);
                }
            }
        }
        w.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_quantiles_match_a_hand_calculation() {
        // R: quantile(c(1, 2, 4, 8), c(.1, .5, .9), type = 7) = 1.3, 3, 6.8
        let v = [1.0, 2.0, 4.0, 8.0];
        assert!((quantile(&v, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile(&v, 0.5) - 3.0).abs() < 1e-12);
        assert!((quantile(&v, 0.9) - 6.8).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.9), 5.0);
    }

    #[test]
    fn deciles_are_per_month_and_skip_months_with_one_value() {
        let first = month_number("2024-04").unwrap();
        let run = |a: Option<f64>, b: f64| MonthlySeries {
            first,
            values: vec![[a; 5], [Some(b); 5]],
        };
        // Month 0: only one run has a value; month 1: 0, 10, 20 in any order.
        let runs = [run(Some(3.0), 20.0), run(None, 0.0), run(None, 10.0)];
        let f = scenario_fans("a.toml", "A", first, 2, &runs);
        assert_eq!(f.replications, 3);
        assert_eq!(f.fans.len(), FanMeasure::ALL.len());
        let d = &f.fans[0].deciles;
        assert_eq!(d[0], None);
        let m1 = d[1].expect("three values");
        assert_eq!(m1[4], 10.0); // the median
        assert!((m1[0] - 2.0).abs() < 1e-12); // p10 at (3-1)*0.1 = 0.2 → 2
        assert!(m1.windows(2).all(|w| w[0] <= w[1]));
        let csv = String::from_utf8(
            fans(vec!["2024-04".into(), "2024-05".into()], vec![f], "runs").csv(),
        )
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "scenario,measure,period,p10,p20,p30,p40,p50,p60,p70,p80,p90"
        );
        // Only month 1, once per measure.
        assert_eq!(lines.len(), 1 + FanMeasure::ALL.len());
        assert!(lines[1].starts_with("a.toml,looked_after_at_end,2024-05,2,4,6,8,10,"));
    }

    #[test]
    fn runs_are_aligned_by_calendar_month() {
        assert_eq!(month_number("2024-04"), Some(2024 * 12 + 3));
        assert_eq!(period_of(month_number("1999-12").unwrap()), "1999-12");
        assert_eq!(period_of(month_number("2000-01").unwrap()), "2000-01");
        for bad in ["2024-13", "2024-00", "2024-4", "24-04", "x"] {
            assert_eq!(month_number(bad), None, "{bad}");
        }
        // One run from 2024-04 (two months), one from 2024-05 (two months).
        let a = month_number("2024-04").unwrap();
        let runs = [
            MonthlySeries {
                first: a,
                values: vec![[Some(1.0); 5], [Some(2.0); 5]],
            },
            MonthlySeries {
                first: a + 1,
                values: vec![[Some(4.0); 5], [Some(8.0); 5]],
            },
        ];
        let (first, months) = span(&runs);
        assert_eq!(
            (first, months.clone()),
            (
                a,
                vec!["2024-04".to_string(), "2024-05".into(), "2024-06".into()]
            )
        );
        let f = scenario_fans("a", "A", first, months.len(), &runs);
        let d = &f.fans[0].deciles;
        // 2024-04 and 2024-06: one run each; 2024-05: 2 and 4.
        assert_eq!((d[0], d[2]), (None, None));
        assert_eq!(d[1].unwrap()[4], 3.0);
        assert_eq!(span(&[]), (0, Vec::new()));
    }
}
