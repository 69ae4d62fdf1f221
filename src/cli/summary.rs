//! The short summary table printed after a projection.

use crate::indicators::{indicators, lookup};
use crate::projection::Projection;
use crate::Indicator;

/// Rows of the summary table: the base, every multiple of 5 up to 2050, then every 25 years, and the end.
fn summary_years(p: &Projection) -> Vec<i32> {
    let (first, last) = (p.years[0], *p.years.last().unwrap_or(&p.years[0]));
    p.years
        .iter()
        .copied()
        .filter(|&y| y == first || y == last || (y % 5 == 0 && y <= 2050) || y % 25 == 0)
        .collect()
}

/// A fixed-width table of the main indicators in key years.
pub fn table(scenario: Option<&str>, p: &Projection, zh: bool) -> String {
    let values = indicators(p);
    let mut s = String::new();
    if let Some(name) = scenario {
        s.push_str(&format!(
            "{} {name}\n",
            if zh { "情景" } else { "scenario" }
        ));
    }
    if zh {
        let heads = [
            ("年份", 6),
            ("总人口", 14),
            ("60岁+", 8),
            ("65岁+", 8),
            ("80岁+", 8),
            ("年出生", 12),
            ("0-2岁", 12),
            ("老年抚养比", 11),
            ("生育率", 6),
        ];
        let cells: Vec<String> = heads
            .iter()
            .map(|(h, w)| super::say::pad(h, *w, false))
            .collect();
        s.push_str(&cells.join(" "));
        s.push('\n');
    } else {
        s.push_str(&format!(
            "{:>6} {:>14} {:>8} {:>8} {:>8} {:>12} {:>12} {:>7} {:>6}\n",
            "year", "total", "60+", "65+", "80+", "births/yr", "aged 0-2", "OADR", "TFR"
        ));
    }
    let oadr_width = if zh { 11 } else { 7 };
    for y in summary_years(p) {
        let v = |i: Indicator| lookup(&values, y, i);
        let pct = |i| {
            v(i).map(|x| format!("{:.2}%", 100.0 * x))
                .unwrap_or_else(|| "-".into())
        };
        let num = |i| {
            v(i).map(|x| format!("{x:.0}"))
                .unwrap_or_else(|| "-".into())
        };
        s.push_str(&format!(
            "{:>6} {:>14} {:>8} {:>8} {:>8} {:>12} {:>12} {:>oadr_width$} {:>6}\n",
            y,
            num(Indicator::Total),
            pct(Indicator::Share60Plus),
            pct(Indicator::Share65Plus),
            pct(Indicator::Share80Plus),
            num(Indicator::Births),
            num(Indicator::Pop0To2),
            v(Indicator::OldAgeDependency)
                .map(|x| format!("{x:.3}"))
                .unwrap_or_else(|| "-".into()),
            v(Indicator::Tfr)
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "-".into()),
        ));
    }
    s
}
