//! The HTML report: one self-contained page (inline SVG and CSS, no
//! network) telling the story of a run, and of a comparison when there is one.
//!
//! Sections: headline outcomes beside England's published figures; where
//! families went (a flow diagram with counts); charts over time (referrals,
//! children on plans, children looked after by placement, the family help
//! waiting list, staff in post by pool, spending by budget line against its
//! budget); and, for a comparison, each key metric's paired difference with
//! its 95% interval (dot and whisker), the family-by-family counts, and fan
//! charts: per month, every scenario's deciles across replications as bands
//! on the same axes (from `compare.json`'s `fans`, [`crate::analysis::fan`]).
//!
//! The charts are drawn here as plain SVG (axes, ticks, lines, areas, bars)
//! rather than with a charting crate: the crates' text layout needs font
//! files at build or run time, and the few chart shapes a report needs take
//! fewer lines than configuring one.

use std::fmt::Write as _;

use crate::analysis::summary::{thousands, Summary};
use crate::analysis::text::{in_unit, shown_as};
use crate::model::event::{Placement, Pool};
use crate::model::projection::{saturating_sum, StaffAtEnd};

/// Colours, in series order (colour-blind safe, Okabe-Ito).
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// One line (or band) of a chart.
struct Series {
    name: String,
    values: Vec<Option<f64>>,
}

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round number at or above `x` (1, 2 or 5 times a power of ten).
fn nice_max(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

/// A tick label: thousands separators, a decimal only for small steps.
fn tick(v: f64, step: f64) -> String {
    if step < 1.0 {
        format!("{v:.1}")
    } else if v >= 1e9 {
        format!("{}bn", trim(v / 1e9))
    } else if v >= 1e6 {
        format!("{}m", trim(v / 1e6))
    } else {
        thousands(v.round().max(0.0) as u64)
    }
}

/// `4.0` as `4`, `2.5` as `2.5`.
fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// `2024-04` as `Apr 2024`.
fn month_label(period: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m: usize = period.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!("{} {}", NAMES[(m + 11) % 12], period.get(..4).unwrap_or(""))
}

/// The x axis's labels of a chart over `months`: each April (each quarter
/// for a year or less), at `x(month index)`.
fn month_ticks(months: &[String], x: impl Fn(usize) -> f64) -> Vec<(f64, String)> {
    months
        .iter()
        .enumerate()
        .filter(|(i, m)| m.ends_with("-04") || (months.len() <= 13 && i % 3 == 0))
        .map(|(i, m)| (x(i), month_label(m)))
        .collect()
}

/// The frame of a chart: title, y axis with ticks and label, x labels.
fn frame(
    o: &mut String,
    id: &str,
    title: &str,
    y_label: &str,
    max: f64,
    x_labels: &[(f64, String)],
) {
    let _ = write!(
        o,
        "<figure><svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"{LEFT}\" y=\"18\" class=\"title\">{t}</text>",
        t = esc(title)
    );
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = max / 5.0;
    for i in 0..=5 {
        let v = step * f64::from(i);
        let y = TOP + plot_h - plot_h * v / max;
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            tick(v, step)
        );
    }
    let _ = write!(
        o,
        "<text transform=\"translate(16 {:.1}) rotate(-90)\" class=\"axis\" text-anchor=\"middle\">{}</text>",
        TOP + plot_h / 2.0,
        esc(y_label)
    );
    for (x, label) in x_labels {
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\" class=\"axisline\"/>\
             <text x=\"{x:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
            TOP + plot_h,
            TOP + plot_h + 5.0,
            TOP + plot_h + 20.0,
            esc(label)
        );
    }
    let _ = write!(
        o,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axisline\"/>",
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h
    );
}

/// A legend along the top right.
fn legend(o: &mut String, names: &[&str]) {
    let mut x = WIDTH - RIGHT;
    for (i, name) in names.iter().enumerate().rev() {
        x -= 14.0 + 7.0 * name.chars().count() as f64;
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"26\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"35\" class=\"legend\">{}</text>",
            COLOURS[i % COLOURS.len()],
            x + 13.0,
            esc(name)
        );
        x -= 8.0;
    }
}

/// A chart over months: lines, or stacked areas when `stacked`.
fn month_chart(
    id: &str,
    title: &str,
    y_label: &str,
    months: &[String],
    series: &[Series],
    stacked: bool,
) -> String {
    let n = months.len().max(2);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * i as f64 / (n - 1) as f64;
    // Stacked: cumulative values.
    let mut tops: Vec<Vec<Option<f64>>> = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let v: Vec<Option<f64>> = (0..months.len())
            .map(|i| {
                let own = s.values.get(i).copied().flatten()?;
                let below = if stacked && k > 0 {
                    tops[k - 1][i].unwrap_or(0.0)
                } else {
                    0.0
                };
                Some(own + below)
            })
            .collect();
        tops.push(v);
    }
    let max = nice_max(
        tops.iter()
            .flatten()
            .flatten()
            .fold(0.0f64, |m, v| m.max(*v)),
    );
    let y = |v: f64| TOP + plot_h - plot_h * v / max;
    let mut o = String::new();
    frame(&mut o, id, title, y_label, max, &month_ticks(months, x));
    for (k, top) in tops.iter().enumerate().rev() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<(f64, f64)> = top
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x(i), y(v))))
            .collect();
        if points.is_empty() {
            continue;
        }
        let path: String = points
            .iter()
            .enumerate()
            .map(|(i, (px, py))| format!("{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" }))
            .collect();
        if stacked {
            let base = if k == 0 {
                format!(
                    "L{:.1},{:.1}L{:.1},{:.1}Z",
                    points[points.len() - 1].0,
                    y(0.0),
                    points[0].0,
                    y(0.0)
                )
            } else {
                let below: String = tops[k - 1]
                    .iter()
                    .enumerate()
                    .rev()
                    .filter_map(|(i, v)| v.map(|v| format!("L{:.1},{:.1}", x(i), y(v))))
                    .collect();
                format!("{below}Z")
            };
            let _ = write!(
                o,
                "<path d=\"{path}{base}\" fill=\"{colour}\" fill-opacity=\"0.8\" stroke=\"none\"/>"
            );
        } else {
            let _ = write!(
                o,
                "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>"
            );
        }
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut o, &names);
    o.push_str("</svg></figure>\n");
    o
}

/// Grouped bars by financial year with each group's budget marked.
fn spend_chart(s: &Summary) -> String {
    let years: Vec<&str> = s
        .by_financial_year
        .iter()
        .map(|y| y.period.as_str())
        .collect();
    let lines = &s.budget;
    let pounds = |p: u64| p as f64 / 100.0;
    let max = nice_max(
        lines
            .iter()
            .flat_map(|l| {
                l.by_year
                    .iter()
                    .map(|y| pounds(y.spent_pence.max(y.budget_pence)))
            })
            .fold(0.0f64, f64::max),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let group = plot_w / years.len().max(1) as f64;
    let bar = group * 0.8 / lines.len().max(1) as f64;
    let y = |v: f64| TOP + plot_h - plot_h * v / max;
    let labels: Vec<(f64, String)> = years
        .iter()
        .enumerate()
        .map(|(i, yname)| (LEFT + group * (i as f64 + 0.5), yname.to_string()))
        .collect();
    let mut o = String::new();
    frame(
        &mut o,
        "spend",
        "Spending by budget line and financial year (— the year's budget)",
        "£ a year",
        max,
        &labels,
    );
    for (k, line) in lines.iter().enumerate() {
        for (i, yv) in line.by_year.iter().enumerate() {
            let x0 = LEFT + group * i as f64 + group * 0.1 + bar * k as f64;
            let top = y(pounds(yv.spent_pence));
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: £{} of £{}</title></rect>",
                bar * 0.9,
                (y(0.0) - top).max(0.0),
                COLOURS[k % COLOURS.len()],
                esc(&line.line),
                esc(&yv.period),
                thousands(yv.spent_pence / 100),
                thousands(yv.budget_pence / 100)
            );
            if yv.budget_pence > 0 {
                let by = y(pounds(yv.budget_pence));
                let _ = write!(
                    o,
                    "<line x1=\"{x0:.1}\" x2=\"{:.1}\" y1=\"{by:.1}\" y2=\"{by:.1}\" class=\"budget\"/>",
                    x0 + bar * 0.9
                );
            }
        }
    }
    let names: Vec<&str> = lines.iter().map(|l| l.line.as_str()).collect();
    legend(&mut o, &names);
    o.push_str("</svg></figure>\n");
    o
}

/// England's shares of children looked after at 31 March 2024 (DfE,
/// "Children looked after in England including adoptions" 2024; see
/// docs/reference/england.md): by age band, sex and ethnic group, in the
/// order of `AgeBand::ALL`, `Sex::ALL` and `EthnicGroup::ALL`.
const ENGLAND_LOOKED_AFTER_2024: ([&str; 5], [&str; 2], [&str; 6]) = (
    ["4%", "13%", "18%", "38%", "27%"],
    ["57%", "43%"],
    ["71%", "11%", "5%", "7%", "5%", "1%"],
);

/// "Who the children are": the children looked after at the run's last 31
/// March and those who started to be looked after in the year to it, by
/// age band, sex and ethnic group, beside England's shares. Empty when the
/// run reached no 31 March.
fn who_section(s: &Summary) -> String {
    use crate::model::demographics::{EthnicGroup, Sex};
    use crate::model::per::AgeBand;
    use crate::model::projection::AGE_BANDS;
    let Some(year) = s
        .characteristics_by_financial_year
        .iter()
        .rev()
        .find(|y| y.looked_after_at_end.is_some())
    else {
        return String::new();
    };
    let (day, stock) = match s.last_looked_after() {
        Some((day, stock)) => (day, *stock),
        None => return String::new(),
    };
    let entries = &year.care_entries;
    let (n_stock, n_entries) = (stock.total(), entries.total());
    let share = |count: u64, n: u64| {
        if n == 0 {
            "–".to_string()
        } else {
            format!("{}%", one_decimal(100.0 * count as f64 / n as f64))
        }
    };
    let mut o = String::from("<section id=\"who\"><h2>Who the children are</h2>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">Children looked after on {} ({}) and children who started to be looked after in {} ({}), by age (whole years then), sex and ethnic group. Sex and ethnicity are drawn for every child referred from England's children in need (2020); the model decides nothing by them. England: children looked after at 31 March 2024 (DfE, Children looked after in England including adoptions, 2024).</p>",
        esc(&day),
        thousands(n_stock),
        esc(&year.period),
        thousands(n_entries),
    );
    let (england_age, england_sex, england_ethnicity) = ENGLAND_LOOKED_AFTER_2024;
    let mut table = |id: &str, by: &str, rows: Vec<(&str, u64, u64, &str)>| {
        let _ = write!(
            o,
            "<table id=\"{}\"><thead><tr><th>{}</th><th>looked after on {}</th><th>%</th><th>started in {}</th><th>%</th><th>England, looked after 2024</th></tr></thead><tbody>",
            esc(id),
            esc(by),
            esc(&day),
            esc(&year.period)
        );
        for (what, looked_after, started, england) in rows {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(what),
                thousands(looked_after),
                share(looked_after, n_stock),
                thousands(started),
                share(started, n_entries),
                esc(england)
            );
        }
        o.push_str("</tbody></table>\n");
    };
    table(
        "who-age",
        "age",
        AgeBand::ALL
            .iter()
            .zip(AGE_BANDS)
            .zip(england_age)
            .map(|((&b, what), e)| (what, stock.by_age[b], entries.by_age[b], e))
            .collect(),
    );
    table(
        "who-sex",
        "sex",
        Sex::ALL
            .iter()
            .zip(england_sex)
            .map(|(&x, e)| (x.name(), stock.by_sex[x], entries.by_sex[x], e))
            .collect(),
    );
    table(
        "who-ethnicity",
        "ethnic group",
        EthnicGroup::ALL
            .iter()
            .zip(england_ethnicity)
            .map(|(&g, e)| (g.name(), stock.by_ethnicity[g], entries.by_ethnicity[g], e))
            .collect(),
    );
    o.push_str("</section>\n");
    o
}

/// Where families went: boxes with counts and arrows as wide as the flow.
fn flow_diagram(s: &Summary) -> String {
    let count = |what: &str| {
        s.triage
            .decisions
            .iter()
            .find(|c| c.what == what)
            .map_or(0, |c| c.count)
    };
    // Saturating: a summary read from a file may hold any counts.
    let care: u64 = s
        .care
        .entries
        .iter()
        .fold(0u64, |sum, c| sum.saturating_add(c.count));
    let fh = &s.family_help;
    let cp = &s.child_protection;
    let n = &s.family_network;
    // (column, row, label, count)
    let boxes: [(u32, u32, &str, u64); 11] = [
        (0, 1, "referrals", s.referrals.total),
        (1, 0, "no further action", count("no further action")),
        (1, 1, "universal services", count("universal services")),
        (1, 2, "family help", count("family help")),
        (1, 3, "strategy discussion", count("strategy discussion")),
        (2, 1, "family help started", fh.started),
        (2, 3, "section 47 enquiries", cp.s47_enquiries),
        (3, 2, "family group conferences", n.fgdm_held),
        (3, 3, "child protection plans", cp.plans_started),
        (
            4,
            1,
            "needs met in family help",
            fh.outcomes
                .iter()
                .find(|c| c.what == "needs met")
                .map_or(0, |c| c.count),
        ),
        (4, 3, "came into care", care),
    ];
    let arrows: [(usize, usize); 11] = [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (3, 5),
        (4, 6),
        (6, 8),
        (8, 7),
        (5, 9),
        (8, 10),
        (6, 10),
    ];
    let (w, h) = (WIDTH, 330.0);
    let (bw, bh) = (128.0, 50.0);
    let pos = |c: u32, r: u32| (20.0 + f64::from(c) * 150.0, 20.0 + f64::from(r) * 75.0);
    let max = boxes.iter().map(|b| b.3).max().unwrap_or(1).max(1) as f64;
    let mut o = format!(
        "<figure><svg id=\"flow\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Where families went\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto\"><path d=\"M0,0L10,5L0,10Z\" fill=\"#777\"/></marker></defs>"
    );
    for (from, to) in arrows {
        let (a, b) = (boxes[from], boxes[to]);
        let (ax, ay) = pos(a.0, a.1);
        let (bx, by) = pos(b.0, b.1);
        let width = 1.0 + 10.0 * b.3 as f64 / max;
        let (x1, y1, x2, y2) = if a.0 == b.0 {
            (ax + bw / 2.0, ay, bx + bw / 2.0, by + bh)
        } else {
            (ax + bw, ay + bh / 2.0, bx, by + bh / 2.0)
        };
        let _ = write!(
            o,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#999\" stroke-opacity=\"0.6\" stroke-width=\"{width:.1}\" marker-end=\"url(#arrow)\"/>"
        );
    }
    for (i, (c, r, label, n)) in boxes.iter().enumerate() {
        let (x, y) = pos(*c, *r);
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{bh}\" rx=\"6\" fill=\"{}\" fill-opacity=\"0.15\" stroke=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"boxlabel\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"boxcount\" text-anchor=\"middle\">{}</text>",
            COLOURS[i % COLOURS.len()],
            COLOURS[i % COLOURS.len()],
            x + bw / 2.0,
            y + 20.0,
            esc(label),
            x + bw / 2.0,
            y + 40.0,
            thousands(*n)
        );
    }
    o.push_str("</svg></figure>\n");
    o
}

/// One metric's paired difference, for the dot-and-whisker chart.
pub struct Difference {
    /// The metric's key (its unit: money, percent, a count).
    pub key: String,
    /// What.
    pub label: String,
    /// Mean under A.
    pub mean_a: f64,
    /// Mean of B − A.
    pub diff: f64,
    /// 95% interval of B − A.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// Paired differences as % of A's mean, with their 95% intervals.
fn dot_and_whisker(title: &str, rows: &[Difference]) -> String {
    let rows: Vec<&Difference> = rows.iter().filter(|r| r.mean_a.abs() > 0.0).collect();
    let pct = |v: f64, a: f64| 100.0 * v / a.abs();
    // The axis covers the intervals up to ±100%; a larger change is drawn
    // at the edge with its value written beside it.
    let extent = rows
        .iter()
        .flat_map(|r| [pct(r.low, r.mean_a), pct(r.high, r.mean_a)])
        .filter(|v| v.abs() <= 100.0)
        .fold(1.0f64, |m, v| m.max(v.abs()));
    let max = nice_max(extent);
    let label_w = 300.0;
    let h = 60.0 + 28.0 * rows.len() as f64;
    let plot_w = WIDTH - label_w - RIGHT;
    let x = |v: f64| label_w + plot_w * (v + max) / (2.0 * max);
    let mut o = format!(
        "<figure><svg id=\"differences\" class=\"chart\" viewBox=\"0 0 {WIDTH} {h}\" width=\"{WIDTH}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\"><text x=\"10\" y=\"18\" class=\"title\">{t}</text>",
        t = esc(title)
    );
    for i in -2..=2 {
        let v = max * f64::from(i) / 2.0;
        let _ = write!(
            o,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"30\" y2=\"{1:.1}\" class=\"{2}\"/><text x=\"{0:.1}\" y=\"{3:.1}\" class=\"tick\" text-anchor=\"middle\">{4:+.0}%</text>",
            x(v),
            h - 25.0,
            if i == 0 { "zero" } else { "grid" },
            h - 10.0,
            v
        );
    }
    for (k, r) in rows.iter().enumerate() {
        let cy = 45.0 + 28.0 * k as f64;
        let (lo, mid, hi) = (
            pct(r.low, r.mean_a),
            pct(r.diff, r.mean_a),
            pct(r.high, r.mean_a),
        );
        if ![lo, mid, hi].iter().all(|v| v.is_finite()) {
            // Not a number (absurd values in compare.json): said, not drawn.
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{} ({})</text>",
                label_w - 10.0,
                cy + 4.0,
                esc(&r.label),
                signed_pct(mid)
            );
            continue;
        }
        // An interval beyond the axis ends in an arrowhead at the edge.
        for (v, edge, sign) in [(lo, -max, -1.0), (hi, max, 1.0)] {
            if v.abs() > max && v.signum() == sign {
                let tip = x(edge) + sign * 8.0;
                let _ = write!(
                    o,
                    "<path class=\"clipped\" d=\"M{:.1},{cy:.1} L{:.1},{:.1} L{:.1},{:.1} Z\" fill=\"#0072B2\"><title>beyond the axis: {}</title></path>",
                    tip,
                    x(edge),
                    cy - 5.0,
                    x(edge),
                    cy + 5.0,
                    signed_pct(v)
                );
            }
        }
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{} ({})</text>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\" stroke=\"#0072B2\" stroke-width=\"2\"/>\
             <circle cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"#0072B2\"><title>{}: {} (95% CI {} to {})</title></circle>",
            label_w - 10.0,
            cy + 4.0,
            esc(&r.label),
            signed_pct(mid),
            x(lo.clamp(-max, max)),
            x(hi.clamp(-max, max)),
            x(mid.clamp(-max, max)),
            esc(&r.label),
            signed_pct(mid),
            signed_pct(lo),
            signed_pct(hi)
        );
    }
    o.push_str("</svg></figure>\n");
    o
}

/// The largest change the report writes as a number, in % (beyond it:
/// clipped, with a marker).
const MAX_SHOWN_PCT: f64 = 10_000.0;

/// A signed percentage with one decimal (`+1.5%`): `n/a` when it is not a
/// number (a baseline of almost 0, or absurd values read from a file),
/// and beyond ±[`MAX_SHOWN_PCT`] clipped with a marker (`≥+10000.0%`);
/// never `inf` or `NaN`.
fn signed_pct(v: f64) -> String {
    if !v.is_finite() {
        "n/a".to_string()
    } else if v > MAX_SHOWN_PCT {
        format!("≥{MAX_SHOWN_PCT:+.1}%")
    } else if v < -MAX_SHOWN_PCT {
        format!("≤{:+.1}%", -MAX_SHOWN_PCT)
    } else {
        format!("{v:+.1}%")
    }
}

/// A number with one decimal, `n/a` when it is not one (values read from a
/// file).
fn one_decimal(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "n/a".to_string()
    }
}

/// Across-replication statistics of a metric: mean and 95% interval, and how many.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// Replications.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Lower end of the 95% interval of the mean.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// Reads `summary-stats.csv` (written by `run --replications --out`): metric → spread.
pub fn spreads_from_csv(text: &str) -> std::collections::BTreeMap<String, Spread> {
    let mut out = std::collections::BTreeMap::new();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    for row in rows.records().flatten() {
        let num = |i: usize| row.get(i).and_then(|v| v.parse::<f64>().ok());
        if let (Some(n), Some(mean), Some(low), Some(high)) = (num(1), num(2), num(4), num(5)) {
            out.insert(
                row.get(0).unwrap_or("").to_string(),
                Spread {
                    n: n as u64,
                    mean,
                    low,
                    high,
                },
            );
        }
    }
    out
}

/// England's published figures (2024/25) beside the run's last full year,
/// and the mean over replications with its 95% interval when there are some.
fn headline(s: &Summary, spreads: &std::collections::BTreeMap<String, Spread>) -> String {
    // The last financial year the run covers whole: twelve months, April to March.
    let last = s.by_financial_year.iter().rev().find(|y| {
        let months: Vec<&str> = s
            .by_month
            .iter()
            .map(|m| m.period.as_str())
            .filter(|p| {
                // Periods read from a file may be short: no slice may panic.
                let (Some(year), Some(month), Some(fy_start)) =
                    (p.get(..4), p.get(5..7), y.period.get(..4))
                else {
                    return false;
                };
                (month >= "04" && year == fy_start)
                    || (month < "04"
                        && year.parse::<i32>().ok() == fy_start.parse::<i32>().ok().map(|v| v + 1))
            })
            .collect();
        months.len() == 12 && y.on_plan_at_end.is_some()
    });
    let per10k = |n: u64| n as f64 / s.children as f64 * 10_000.0;
    let reps = spreads.values().map(|v| v.n).max().unwrap_or(0);
    let mut o = String::from("<table><thead><tr><th>measure</th><th>whole run</th>");
    if reps > 0 {
        let _ = write!(o, "<th>mean of {reps} replications (95% CI)</th>");
    }
    o.push_str("<th>last full year</th><th>England 2024/25</th></tr></thead><tbody>");
    let metric_of = |what: &str| match what {
        "referrals per 10,000 children a year" => "referrals.per_10k_children_per_year",
        "re-referrals within 12 months" => "referrals.rereferred_within_12_months_pct",
        "section 47 enquiries per 10,000 a year" => {
            "child_protection.s47_per_10k_children_per_year"
        }
        "plans started per 10,000 a year" => {
            "child_protection.plans_started_per_10k_children_per_year"
        }
        "started to be looked after, per 10,000 a year" => "care.entries_per_10k_children_per_year",
        "looked after at the end / 31 March, per 10,000" => "care.looked_after_per_10k_children",
        "looked after with kin" => "care.kinship_share_pct",
        "not looked after 12 months after referral" => "care.at_home_12_months_after_referral_pct",
        _ => "",
    };
    let mut row = |what: &str, run: String, year: String, england: &str| {
        let _ = write!(o, "<tr><td>{}</td><td class=\"num\">{run}</td>", esc(what));
        if reps > 0 {
            let cell = spreads.get(metric_of(what)).map_or("–".to_string(), |sp| {
                format!(
                    "{} ({} to {})",
                    one_decimal(sp.mean),
                    one_decimal(sp.low),
                    one_decimal(sp.high)
                )
            });
            let _ = write!(o, "<td class=\"num\">{cell}</td>");
        }
        let _ = write!(
            o,
            "<td class=\"num\">{year}</td><td class=\"num\">{england}</td></tr>"
        );
    };
    let y = |f: &dyn Fn(&crate::model::projection::PeriodCounts) -> Option<f64>| {
        last.and_then(f).map_or("–".into(), one_decimal)
    };
    let y_pct = |f: &dyn Fn(&crate::model::projection::PeriodCounts) -> Option<f64>| {
        last.and_then(f)
            .map_or("–".into(), |v| format!("{}%", one_decimal(v)))
    };
    row(
        "referrals per 10,000 children a year",
        format!("{:.1}", s.referrals.per_10k_children_per_year),
        y(&|p| Some(per10k(p.referrals))),
        "520.8",
    );
    row(
        "re-referrals within 12 months",
        format!("{:.1}%", s.referrals.rereferred_within_12_months_pct),
        y_pct(&|p| Some(100.0 * p.rereferrals_within_12_months as f64 / p.referrals.max(1) as f64)),
        "22.6%",
    );
    row(
        "section 47 enquiries per 10,000 a year",
        format!("{:.1}", s.child_protection.s47_per_10k_children_per_year),
        y(&|p| Some(per10k(p.s47_enquiries))),
        "189.8",
    );
    row(
        "plans started per 10,000 a year",
        format!(
            "{:.1}",
            s.child_protection.plans_started_per_10k_children_per_year
        ),
        y(&|p| Some(per10k(p.plans_started))),
        "50.9",
    );
    row(
        "on a plan at 31 March, per 10,000",
        "–".into(),
        y(&|p| p.on_plan_at_end.map(per10k)),
        "40.7",
    );
    row(
        "started to be looked after, per 10,000 a year",
        format!("{:.1}", s.care.entries_per_10k_children_per_year),
        y(&|p| Some(per10k(p.care_entries_total()))),
        "26.6",
    );
    row(
        "looked after at the end / 31 March, per 10,000",
        format!("{:.1}", s.care.looked_after_per_10k_children),
        y(&|p| {
            p.looked_after_at_end
                .map(|c| per10k(saturating_sum(c.iter().copied())))
        }),
        "67.3",
    );
    row(
        "looked after with kin",
        format!("{:.1}%", s.care.kinship_share_pct),
        y_pct(&|p| {
            p.looked_after_at_end.map(|c| {
                100.0 * c[Placement::Kinship] as f64
                    / saturating_sum(c.iter().copied()).max(1) as f64
            })
        }),
        "about 16%",
    );
    row(
        "not looked after 12 months after referral",
        format!("{:.1}%", s.care.at_home_12_months_after_referral_pct),
        "–".into(),
        "–",
    );
    o.push_str("</tbody></table>");
    if let Some(l) = last {
        let _ = write!(
            o,
            "<p class=\"note\">Last full year: {} (31 March figures from its last month).</p>",
            esc(&l.period)
        );
    }
    o
}

/// What a report shows of a comparison.
pub struct ComparisonView {
    /// "B against A".
    pub title: String,
    /// Key metrics' paired differences.
    pub differences: Vec<Difference>,
    /// Family-by-family counts, labelled.
    pub counts: Vec<(String, u64)>,
    /// Fan charts across replications, when `compare.json` has them.
    pub fans: Option<FanView>,
}

/// Fan charts of a comparison: per measure, each scenario's deciles by month.
pub struct FanView {
    /// The months (`2024-04`, …).
    pub months: Vec<String>,
    /// The scenarios' names, A first.
    pub names: Vec<String>,
    /// Replications the deciles are over.
    pub replications: usize,
    /// Per measure, one chart.
    pub charts: Vec<FanChart>,
}

/// One measure's fans, a chart.
pub struct FanChart {
    /// Its title.
    pub title: String,
    /// Its y axis.
    pub unit: String,
    /// Per scenario (A first), the deciles by month.
    pub per: Vec<Vec<Option<[f64; 9]>>>,
}

impl FanView {
    /// The charts of `fans` (a sweep's, made in this process).
    pub fn of(fans: &crate::analysis::fan::Fans) -> FanView {
        use crate::analysis::fan::FanMeasure;
        let charts = FanMeasure::ALL
            .iter()
            .map(|m| FanChart {
                title: m.title().to_string(),
                unit: m.unit().to_string(),
                per: fans
                    .scenarios
                    .iter()
                    .map(|s| {
                        s.fans
                            .iter()
                            .find(|f| f.measure == m.key())
                            .map(|f| f.deciles.clone())
                            .unwrap_or_default()
                    })
                    .collect(),
            })
            .collect();
        FanView {
            months: fans.months.clone(),
            names: fans.scenarios.iter().map(|s| s.name.clone()).collect(),
            replications: fans.scenarios.first().map_or(0, |s| s.replications),
            charts,
        }
    }
}

/// The fans of a `compare.json` ([`crate::analysis::fan::Fans`]), if any.
fn fans_from_compare(json: &serde_json::Value) -> Option<FanView> {
    use crate::analysis::fan::FanMeasure;
    let f = json.get("fans")?;
    let months: Vec<String> = f
        .get("months")?
        .as_array()?
        .iter()
        .map(|m| m.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let scenarios = f.get("scenarios")?.as_array()?;
    let names = scenarios
        .iter()
        .map(|s| {
            s.get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    let replications = scenarios
        .first()
        .and_then(|s| s.get("replications"))
        .and_then(|r| r.as_u64())
        .unwrap_or(0) as usize;
    let deciles = |v: &serde_json::Value| -> Option<[f64; 9]> {
        let a = v.as_array()?;
        let mut d = [0.0; 9];
        for (i, x) in d.iter_mut().enumerate() {
            *x = a.get(i)?.as_f64().filter(|x| x.is_finite())?;
        }
        Some(d)
    };
    let charts = FanMeasure::ALL
        .iter()
        .map(|m| {
            let per = scenarios
                .iter()
                .map(|s| {
                    s.get("fans")
                        .and_then(|f| f.as_array())
                        .and_then(|f| {
                            f.iter().find(|f| {
                                f.get("measure").and_then(|k| k.as_str()) == Some(m.key())
                            })
                        })
                        .and_then(|f| f.get("deciles"))
                        .and_then(|d| d.as_array())
                        .map(|d| d.iter().take(months.len()).map(deciles).collect())
                        .unwrap_or_default()
                })
                .collect();
            FanChart {
                title: m.title().to_string(),
                unit: m.unit().to_string(),
                per,
            }
        })
        .collect();
    Some(FanView {
        months,
        names,
        replications,
        charts,
    })
}

/// A fan chart: for each scenario, its 10–90% band (light), 30–70% band
/// (darker) and median line, on the same axes.
fn fan_chart(
    id: &str,
    title: &str,
    y_label: &str,
    months: &[String],
    names: &[String],
    per: &[Vec<Option<[f64; 9]>>],
) -> String {
    let n = months.len().max(2);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * i as f64 / (n - 1) as f64;
    let max = nice_max(
        per.iter()
            .flatten()
            .flatten()
            .fold(0.0f64, |m, d| m.max(d[8])),
    );
    let y = |v: f64| TOP + plot_h - plot_h * v.max(0.0) / max;
    let mut o = String::new();
    frame(&mut o, id, title, y_label, max, &month_ticks(months, x));
    for (k, deciles) in per.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<(usize, [f64; 9])> = deciles
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.map(|d| (i, d)))
            .collect();
        if points.is_empty() {
            continue;
        }
        // Bands: deciles (0, 8) = 10–90%, (2, 6) = 30–70%.
        for (lo, hi, opacity) in [(0, 8, 0.15), (2, 6, 0.3)] {
            let mut d = String::new();
            for (j, (i, v)) in points.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if j == 0 { "M" } else { "L" },
                    x(*i),
                    y(v[hi])
                );
            }
            for (i, v) in points.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1}", x(*i), y(v[lo]));
            }
            let _ = write!(
                o,
                "<path d=\"{d}Z\" fill=\"{colour}\" fill-opacity=\"{opacity}\" stroke=\"none\" class=\"band\"/>"
            );
        }
        let median: String = points
            .iter()
            .enumerate()
            .map(|(j, (i, v))| {
                format!(
                    "{}{:.1},{:.1}",
                    if j == 0 { "M" } else { "L" },
                    x(*i),
                    y(v[4])
                )
            })
            .collect();
        let _ = write!(
            o,
            "<path d=\"{median}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" class=\"median\"/>"
        );
    }
    let shown: Vec<&str> = names.iter().map(String::as_str).collect();
    legend(&mut o, &shown);
    o.push_str("</svg></figure>\n");
    o
}

/// The fan charts' section body, or nothing without fans.
fn fan_section(view: Option<&ComparisonView>) -> String {
    let Some(f) = view.and_then(|v| v.fans.as_ref()) else {
        return String::new();
    };
    let mut o = "<h3>Across replications</h3>".to_string();
    o.push_str(&fan_charts(
        f,
        &format!(
            "Per month, each scenario's median (line), its middle 40% (30th to 70th percentile, \
             dark band) and middle 80% (10th to 90th, light band) over {} replications on common seeds.",
            f.replications
        ),
    ));
    o.push_str("<h3>First replication of the baseline</h3>");
    o
}

/// The fan charts of `f` after a note naming the scenarios by their
/// legends' letters, then `note` (text, escaped here).
fn fan_charts(f: &FanView, note: &str) -> String {
    // Legends name scenarios by letter; the note names them in full.
    let letters: Vec<String> = (0..f.names.len())
        .map(|i| char::from(b'A' + (i % 26) as u8).to_string())
        .collect();
    let named: Vec<String> = letters
        .iter()
        .zip(&f.names)
        .map(|(l, n)| format!("{l}: {}", esc(n)))
        .collect();
    let mut o = format!("<p class=\"note\">{}. {}</p>", named.join("; "), esc(note));
    for (k, FanChart { title, unit, per }) in f.charts.iter().enumerate() {
        // A series that is zero throughout (no waiting list, say) says nothing as a fan.
        if per.iter().flatten().flatten().all(|d| d[8] == 0.0) {
            continue;
        }
        o.push_str(&fan_chart(
            &format!("fan-{k}"),
            title,
            unit,
            &f.months,
            &letters,
            per,
        ));
    }
    o
}

/// A sweep's page: `title`, `meta` lines, and the fan charts of `fans`
/// across every design point and replication, explained by `note`.
pub fn sweep_html(title: &str, meta: &[String], fans: &FanView, note: &str) -> String {
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>familyflow — {t}</title>\n<style>{CSS}</style></head><body>\n<h1>{t}</h1>",
        t = esc(title)
    );
    for m in meta {
        let _ = write!(o, "<p class=\"meta\">{}</p>", esc(m));
    }
    o.push_str("\n<section id=\"fans\"><h2>Across everything the sweep leaves uncertain</h2>");
    o.push_str(&fan_charts(fans, note));
    o.push_str("</section>\n</body></html>\n");
    o
}

/// The whole report for a run's summary, with a comparison's differences
/// and counterfactual counts when given.
pub fn html(
    s: &Summary,
    comparison: Option<&ComparisonView>,
    spreads: &std::collections::BTreeMap<String, Spread>,
) -> String {
    let months: Vec<String> = s.by_month.iter().map(|m| m.period.clone()).collect();
    let col =
        |f: &dyn Fn(&crate::model::projection::PeriodCounts) -> Option<f64>| -> Vec<Option<f64>> {
            s.by_month.iter().map(f).collect()
        };
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>familyflow — {name}</title>\n<style>{CSS}</style></head><body>\n\
         <h1>{name}</h1><p class=\"meta\">{} to {} · {} children · seed {} · {} events · familyflow {}</p>\n",
        esc(&s.start),
        esc(&s.end),
        thousands(s.children),
        s.seed,
        thousands(s.events),
        esc(&s.familyflow),
        name = esc(&s.scenario)
    );
    for p in &s.policy {
        let _ = write!(o, "<p class=\"meta\">policy from {}</p>", esc(p));
    }
    let _ = writeln!(
        o,
        "<section id=\"headline\"><h2>Headline outcomes</h2>{}</section>",
        headline(s, spreads)
    );
    if let Some(ComparisonView {
        title,
        differences,
        counts,
        ..
    }) = comparison
    {
        let _ = write!(o, "<section id=\"comparison\"><h2>{}</h2>", esc(title));
        o.push_str(&dot_and_whisker(
            "Change in each outcome, % of the baseline (dot: mean of paired differences; line: 95% CI; an arrowhead: beyond the axis)",
            differences,
        ));
        o.push_str("<table id=\"difference-table\"><thead><tr><th>outcome</th><th>baseline (A)</th><th>change (B − A)</th><th>95% CI</th><th>% of A</th></tr></thead><tbody>");
        for d in differences {
            let shown = shown_as(&d.key);
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} to {}</td><td class=\"num\">{}</td></tr>",
                esc(&d.label),
                esc(&in_unit(d.mean_a, shown, false)),
                esc(&in_unit(d.diff, shown, true)),
                esc(&in_unit(d.low, shown, true)),
                esc(&in_unit(d.high, shown, true)),
                if d.mean_a == 0.0 { "n/a".to_string() } else { signed_pct(100.0 * d.diff / d.mean_a.abs()) }
            );
        }
        o.push_str("</tbody></table>");
        o.push_str("<table><thead><tr><th>family by family (first replication)</th><th>families</th></tr></thead><tbody>");
        for (what, n) in counts {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(what),
                thousands(*n)
            );
        }
        o.push_str("</tbody></table></section>\n");
    }
    o.push_str("<section id=\"flow-section\"><h2>Where families went</h2>");
    o.push_str(&flow_diagram(s));
    o.push_str("</section>\n");
    o.push_str(&who_section(s));
    o.push_str("<section id=\"time\"><h2>Over time</h2>\n");
    o.push_str(&fan_section(comparison));
    let f = |v: u64| Some(v as f64);
    o.push_str(&month_chart(
        "referrals",
        "Referrals each month",
        "referrals a month",
        &months,
        &[
            Series {
                name: "all referrals".into(),
                values: col(&|m| f(m.referrals)),
            },
            Series {
                name: "re-referred within 12 months".into(),
                values: col(&|m| f(m.rereferrals_within_12_months)),
            },
        ],
        false,
    ));
    o.push_str(&month_chart(
        "plans",
        "Children on child protection plans (month end)",
        "children",
        &months,
        &[Series {
            name: "on a plan".into(),
            values: col(&|m| m.on_plan_at_end.map(|v| v as f64)),
        }],
        false,
    ));
    let placements = [
        "kinship",
        "foster, in-house",
        "foster, agency",
        "residential",
    ];
    let cla: Vec<Series> = placements
        .iter()
        .zip(Placement::ALL)
        .map(|(name, placement)| Series {
            name: (*name).into(),
            values: col(&|m| m.looked_after_at_end.map(|c| c[placement] as f64)),
        })
        .collect();
    o.push_str(&month_chart(
        "looked-after",
        "Children looked after by placement (month end)",
        "children",
        &months,
        &cla,
        true,
    ));
    o.push_str(&month_chart(
        "waiting",
        "Family help: waiting list and families in help (month end)",
        "families",
        &months,
        &[
            Series {
                name: "waiting".into(),
                values: col(&|m| m.waiting_for_help_at_end.map(|v| v as f64)),
            },
            Series {
                name: "in family help".into(),
                values: col(&|m| m.in_family_help_at_end.map(|v| v as f64)),
            },
        ],
        false,
    ));
    // One line per staff pool that has posts, of a figure of its month-end people.
    let per_pool = |f: fn(&StaffAtEnd) -> Option<f64>| -> Vec<Series> {
        s.workforce
            .iter()
            .zip(Pool::ALL)
            .filter(|(p, _)| p.fte > 0.0)
            .map(|(p, pool)| Series {
                name: p.pool.clone(),
                values: col(&|m| m.staff_at_end.and_then(|st| f(&st[pool]))),
            })
            .collect()
    };
    o.push_str(&month_chart(
        "staff",
        "Staff in post by pool, permanent and agency (month end)",
        "workers in post",
        &months,
        &per_pool(|st| Some(f64::from(st.permanent) + f64::from(st.agency))),
        false,
    ));
    o.push_str(&month_chart(
        "caseloads",
        "Cases per worker in post by pool (month end)",
        "cases per worker",
        &months,
        &per_pool(|st| {
            let n = f64::from(st.permanent) + f64::from(st.agency);
            (n > 0.0).then(|| f64::from(st.cases) / n)
        }),
        false,
    ));
    o.push_str(&month_chart(
        "agency",
        "Agency share of workers in post by pool (month end)",
        "% of workers",
        &months,
        &per_pool(|st| {
            let n = f64::from(st.permanent) + f64::from(st.agency);
            (n > 0.0).then(|| 100.0 * f64::from(st.agency) / n)
        }),
        false,
    ));
    o.push_str(&spend_chart(s));
    o.push_str("</section>\n");
    o.push_str(concat!(
        "<script>\n",
        "// Records each chart's rendered size and the page's width (read by the browser test).\n",
        "for (const svg of document.querySelectorAll('svg.chart')) {\n",
        "  const r = svg.getBoundingClientRect();\n",
        "  svg.setAttribute('data-rendered', Math.round(r.width) + 'x' + Math.round(r.height));\n",
        "}\n",
        "document.body.setAttribute('data-viewport', String(document.documentElement.clientWidth));\n",
        "</script>\n</body></html>\n"
    ));
    o
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}\
.meta{color:#555;margin:.2em 0}.note{color:#555;font-size:.9em}\
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #eee;text-align:left}\
td.num,th:not(:first-child){text-align:right}figure{margin:1em 0}\
svg.chart{max-width:100%;height:auto}table{display:block;overflow-x:auto}\
svg text{font-family:system-ui,sans-serif}.title{font-size:14px;font-weight:600}.tick{font-size:11px;fill:#444}\
.axis{font-size:12px;fill:#444}.legend{font-size:11px;fill:#333}.grid{stroke:#e5e5e5}.axisline{stroke:#888}\
.zero{stroke:#444;stroke-dasharray:3 3}.budget{stroke:#000;stroke-width:2}.boxlabel{font-size:11px}.boxcount{font-size:14px;font-weight:600}";

/// The comparison rows a report shows: key metrics from a `compare.json`.
pub fn differences_from_compare(json: &serde_json::Value) -> Option<ComparisonView> {
    const KEY: [(&str, &str); 12] = [
        ("referrals.total", "referrals"),
        ("referrals.rereferrals", "re-referrals"),
        ("family_help.started", "families starting family help"),
        ("family_help.queued", "families who had to wait for help"),
        ("child_protection.s47_enquiries", "section 47 enquiries"),
        ("child_protection.conferences", "initial conferences"),
        ("child_protection.plans_started", "plans started"),
        (
            "child_protection.plans_to_proceedings",
            "plans ending in proceedings",
        ),
        ("family_network.fgdm_held", "family group conferences"),
        ("care.entries_per_10k_children_per_year", "entries to care"),
        (
            "care.kinship_share_pct",
            "share of looked-after children with kin",
        ),
        ("care.placement_spend_pence", "spending on placements"),
    ];
    let c = json.get("comparisons")?.as_array()?.first()?;
    let title = format!(
        "{} against {}",
        c.get("b_name").and_then(|v| v.as_str()).unwrap_or("B"),
        c.get("a").and_then(|v| v.as_str()).unwrap_or("A")
    );
    let metrics = c.get("metrics")?.as_array()?;
    let mut rows = Vec::new();
    for (name, label) in KEY {
        let Some(m) = metrics
            .iter()
            .find(|m| m.get("metric").and_then(|v| v.as_str()) == Some(name))
        else {
            continue;
        };
        let num = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_f64());
        let d = m.get("diff");
        if let (Some(mean_a), Some(diff), Some(low), Some(high)) = (
            num(m.get("mean_a")),
            num(d.and_then(|d| d.get("mean"))),
            num(d.and_then(|d| d.get("ci95_low"))),
            num(d.and_then(|d| d.get("ci95_high"))),
        ) {
            rows.push(Difference {
                key: name.into(),
                label: label.into(),
                mean_a,
                diff,
                low,
                high,
            });
        }
    }
    let f = c.get("families")?;
    let n = |k: &str| f.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let counts = vec![
        ("histories identical".to_string(), n("identical")),
        ("histories diverged".to_string(), n("diverged")),
        (
            "came into care under A, stayed at home under B".to_string(),
            n("care_a_home_b"),
        ),
        (
            "… of whom had a family-led plan under B".to_string(),
            n("care_a_home_b_family_led_plan_b"),
        ),
        (
            "… of whom had a support package under B".to_string(),
            n("care_a_home_b_package_b"),
        ),
        (
            "came into care under B, stayed at home under A".to_string(),
            n("care_b_home_a"),
        ),
        (
            "… of whom were placed with kin under B".to_string(),
            n("care_b_home_a_kin_b"),
        ),
        (
            "in care under both, placed differently".to_string(),
            n("placement_differs"),
        ),
    ];
    Some(ComparisonView {
        title,
        differences: rows,
        counts,
        fans: fans_from_compare(json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up_and_label_compactly() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(1_234.0), 2_000.0);
        assert_eq!(nice_max(4_269_345_254.0), 5e9);
        assert_eq!(tick(0.5, 0.2), "0.5");
        assert_eq!(tick(40_000.0, 20_000.0), "40,000");
        assert_eq!(tick(12_000_000.0, 4e6), "12m");
        assert_eq!(tick(2.5e9, 1e9), "2.5bn");
        assert_eq!(month_label("2025-04"), "Apr 2025");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
