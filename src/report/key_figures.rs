//! The key-figures table of a report: for each key year, the 60+
//! population and share, the 65+ share, births, children 0-2, and every
//! service's demand (each method), planned supply, gap, P(shortfall) and
//! capacity for 90% confidence, with the text the page shows.

use super::text::{self, format_count, format_percent};
use super::{KeyFigure, KeyValue, Report, ReportInput};
use crate::error::Result;
use crate::indicators::{lookup, Indicator};
use crate::io::tables::{encode_table, ColumnData};
use crate::io::Format;

pub(super) fn key_figures(input: &ReportInput, t: &text::Words) -> Vec<KeyFigure> {
    let central = &input.runs[input.central];
    let years = &input.key_years;
    let row = |id: String, label: String, unit: String, value: &dyn Fn(i32) -> Option<f64>| {
        let percent = unit == "%";
        KeyFigure {
            id,
            label,
            unit,
            values: years
                .iter()
                .map(|&y| {
                    let v = value(y).filter(|v| v.is_finite());
                    let shown = match v {
                        Some(v) if percent => format_percent(v),
                        Some(v) => format_count(v),
                        None => "–".to_string(),
                    };
                    (y, v, shown)
                })
                .collect(),
        }
    };
    let persons = t.persons_unit();
    let mut rows: Vec<KeyFigure> = [
        Indicator::Pop60Plus,
        Indicator::Share60Plus,
        Indicator::Share65Plus,
        Indicator::Births,
        Indicator::Pop0To2,
    ]
    .into_iter()
    .map(|indicator| {
        row(
            indicator.name().into(),
            t.indicator(indicator),
            if indicator.is_share() {
                "%".into()
            } else {
                persons.clone()
            },
            &|y| lookup(&central.indicators, y, indicator),
        )
    })
    .collect();
    for s in &input.model.services {
        let label = text::service_label(s, t.lang);
        let unit = t.unit(&s.unit);
        for (m, d) in s.demands.iter().enumerate() {
            let value = |y: i32| {
                central
                    .demand
                    .iter()
                    .find(|v| v.year == y && v.service == s.id && v.method == d.name)
                    .map(|v| v.demand)
            };
            rows.push(row(
                format!("{}:demand:{}", s.id, d.name),
                t.required(&label, &d.name, m == 0),
                unit.clone(),
                &value,
            ));
        }
        // Gap, P(shortfall) and capacity by each demand method with a
        // supply: the plan's standard (ids `<service>:...`), then the
        // need-based views (`<service>:<method>:...`).
        for (m, d) in s.demands.iter().enumerate() {
            let gap = |y: i32| {
                central
                    .gaps
                    .iter()
                    .find(|g| g.year == y && g.service == s.id && g.method == d.name)
            };
            if central
                .gaps
                .iter()
                .all(|g| g.service != s.id || g.method != d.name)
            {
                continue;
            }
            let (id, viewed) = if m == 0 {
                (s.id.clone(), label.clone())
            } else {
                (format!("{}:{}", s.id, d.name), t.by_method(&label, &d.name))
            };
            let risk = |y: i32| input.ensemble.risk_by(&s.id, &d.name, y);
            if m == 0 {
                rows.push(row(
                    format!("{id}:supply"),
                    t.planned(&label),
                    unit.clone(),
                    &|y| gap(y).map(|g| g.supply),
                ));
            }
            rows.push(row(
                format!("{id}:gap"),
                t.gap_row(&viewed),
                unit.clone(),
                &|y| gap(y).map(|g| g.gap),
            ));
            rows.push(row(
                format!("{id}:p_shortfall"),
                t.p_shortfall_row(&viewed),
                "%".into(),
                &|y| risk(y).map(|r| r.p_shortfall),
            ));
            rows.push(row(
                format!("{id}:capacity_needed_p90"),
                t.capacity_row(&viewed),
                unit.clone(),
                &|y| risk(y).map(|r| r.capacity_needed_p90),
            ));
            let robust = input
                .ensemble
                .robust_schedule(&s.id, &d.name, s.max_build_per_year);
            rows.push(row(
                format!("{id}:robust_extra_vs_plan"),
                t.robust_row(&viewed, input.ensemble.alpha),
                unit.clone(),
                &|y| robust.iter().find(|r| r.year == y).map(|r| r.extra_vs_plan),
            ));
        }
    }
    rows
}

/// `key_figures.csv`: `id,quantity,unit,year,value,shown` (shares and
/// probabilities as fractions; `shown` is the text in the report). A
/// report of a model of regions puts a `region` column first: `total` for
/// the parent's rows, then each region's name and its rows.
pub fn key_figures_table(report: &Report) -> Result<Vec<u8>> {
    let mut parts: Vec<(&str, &[KeyFigure])> = vec![("total", &report.key_figures)];
    for (name, _, rows) in &report.region_key_figures {
        parts.push((name, rows));
    }
    let flat: Vec<(&str, &KeyFigure, &KeyValue)> = parts
        .iter()
        .flat_map(|(region, rows)| {
            rows.iter()
                .flat_map(move |r| r.values.iter().map(move |v| (*region, r, v)))
        })
        .collect();
    let mut columns = Vec::new();
    if !report.region_key_figures.is_empty() {
        columns.push((
            "region",
            ColumnData::texts(&flat, |(g, _, _)| g.to_string()),
        ));
    }
    columns.extend([
        ("id", ColumnData::texts(&flat, |(_, r, _)| r.id.clone())),
        (
            "quantity",
            ColumnData::texts(&flat, |(_, r, _)| r.label.clone()),
        ),
        ("unit", ColumnData::texts(&flat, |(_, r, _)| r.unit.clone())),
        ("year", ColumnData::ints(&flat, |(_, _, v)| v.0)),
        ("value", ColumnData::opt_floats(&flat, |(_, _, v)| v.1)),
        ("shown", ColumnData::texts(&flat, |(_, _, v)| v.2.clone())),
    ]);
    encode_table(columns, Format::Csv)
}
