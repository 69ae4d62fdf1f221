//! Serialisers for the contract tables (`population.csv`,
//! `indicators.csv`): pure functions from results to columns; writing is
//! [`crate::io::OutputSet`]'s job.

use crate::ensemble::{EnsembleSummary, FirstShortfall, GapRisk, RiskDriver, Summary};
use crate::gap::{DemandValue, GapValue};
use crate::indicators::{indicators, IndicatorValue};
use crate::io::tables::{ColumnData, Table};
use crate::plan::RobustStep;
use crate::population::Sex;
use crate::projection::Projection;
use crate::standards::Service;

/// One scenario's projection, named when several are written together.
pub struct Labelled<'a> {
    /// Scenario name; `None` when the projection is written alone.
    pub scenario: Option<&'a str>,
    /// The projection.
    pub projection: &'a Projection,
}

/// `[scenario,]year,sex,age,population`.
pub fn population_table(items: &[Labelled<'_>]) -> Table {
    let (mut sc, mut year, mut sex, mut age, mut value) = (vec![], vec![], vec![], vec![], vec![]);
    for item in items {
        let p = item.projection;
        let grid = p.grid();
        for (&y, pop) in p.years.iter().zip(&p.populations) {
            for s in Sex::BOTH {
                for (i, &v) in pop.of(s).iter().enumerate() {
                    sc.push(item.scenario.unwrap_or("").to_string());
                    year.push(y);
                    sex.push(s.label().to_string());
                    age.push(grid.lower(i) as i32);
                    value.push(v);
                }
            }
        }
    }
    let mut cols = Vec::new();
    if items.iter().any(|i| i.scenario.is_some()) {
        cols.push(("scenario", ColumnData::Text(sc)));
    }
    cols.extend([
        ("year", ColumnData::Int(year)),
        ("sex", ColumnData::Text(sex)),
        ("age", ColumnData::Int(age)),
        ("population", ColumnData::Float(value)),
    ]);
    Table::new(cols)
}

/// Indicator rows of each projection, with its scenario name.
pub fn indicator_rows<'a>(items: &[Labelled<'a>]) -> Vec<(Option<&'a str>, IndicatorValue)> {
    items
        .iter()
        .flat_map(|i| {
            indicators(i.projection)
                .into_iter()
                .map(move |v| (i.scenario, v))
        })
        .collect()
}

/// `[scenario,]year,indicator,value`.
pub fn indicators_table(rows: &[(Option<&str>, IndicatorValue)]) -> Table {
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    cols.extend([
        ("year", ColumnData::ints(rows, |r| r.1.year)),
        (
            "indicator",
            ColumnData::texts(rows, |r| r.1.indicator.name().to_string()),
        ),
        ("value", ColumnData::floats(rows, |r| r.1.value)),
    ]);
    Table::new(cols)
}

/// `[scenario,]year,service,method,demand`.
pub fn demand_table(rows: &[(Option<&str>, &DemandValue)]) -> Table {
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    cols.extend([
        ("year", ColumnData::ints(rows, |r| r.1.year)),
        ("service", ColumnData::texts(rows, |r| r.1.service.clone())),
        ("method", ColumnData::texts(rows, |r| r.1.method.clone())),
        ("demand", ColumnData::floats(rows, |r| r.1.demand)),
    ]);
    Table::new(cols)
}

/// `[scenario,]year,service,method,demand,supply,gap`: one row per demand
/// method of a service with a supply.
pub fn gap_table(rows: &[(Option<&str>, &GapValue)]) -> Table {
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    cols.extend([
        ("year", ColumnData::ints(rows, |r| r.1.year)),
        ("service", ColumnData::texts(rows, |r| r.1.service.clone())),
        ("method", ColumnData::texts(rows, |r| r.1.method.clone())),
        ("demand", ColumnData::floats(rows, |r| r.1.demand)),
        ("supply", ColumnData::floats(rows, |r| r.1.supply)),
        ("gap", ColumnData::floats(rows, |r| r.1.gap)),
    ]);
    Table::new(cols)
}

/// A leading `scenario` column when any row names one.
fn scenario_column<'a>(
    names: impl Iterator<Item = Option<&'a str>> + Clone,
) -> Vec<(&'static str, ColumnData)> {
    if names.clone().any(|n| n.is_some()) {
        vec![(
            "scenario",
            ColumnData::Text(names.map(|n| n.unwrap_or("").to_string()).collect()),
        )]
    } else {
        Vec::new()
    }
}

/// The quantile columns of `summaries` (one per row):
/// `p05,p10,p25,p50,p75,p90,p95,mean`, with `p025` first and `p975` before
/// the mean when `tails`.
fn quantile_columns(summaries: &[Summary], tails: bool) -> Vec<(&'static str, ColumnData)> {
    /// A column: its name, its value, whether it is a 95% tail.
    type QuantileColumn = (&'static str, fn(&Summary) -> f64, bool);
    let columns: [QuantileColumn; 10] = [
        ("p025", |s| s.p025, true),
        ("p05", |s| s.p05, false),
        ("p10", |s| s.p10, false),
        ("p25", |s| s.p25, false),
        ("p50", |s| s.p50, false),
        ("p75", |s| s.p75, false),
        ("p90", |s| s.p90, false),
        ("p95", |s| s.p95, false),
        ("p975", |s| s.p975, true),
        ("mean", |s| s.mean, false),
    ];
    columns
        .into_iter()
        .filter(|c| tails || !c.2)
        .map(|(name, f, _)| (name, ColumnData::floats(summaries, f)))
        .collect()
}

/// `[scenario,]year,indicator,p025,p05,p10,p25,p50,p75,p90,p95,p975,mean`.
pub fn quantiles_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let mut rows: Vec<(Option<&str>, i32, &str, Summary)> = Vec::new();
    for (scenario, summary) in items {
        for &year in &summary.years {
            for &ind in &summary.indicators {
                if let Some(s) = summary.get(year, ind) {
                    rows.push((*scenario, year, ind.name(), s));
                }
            }
        }
    }
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let summaries: Vec<Summary> = rows.iter().map(|r| r.3).collect();
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.1)),
        ("indicator", ColumnData::texts(&rows, |r| r.2.to_string())),
    ]);
    cols.extend(quantile_columns(&summaries, true));
    Table::new(cols)
}

/// `[scenario,]year,service,method,primary,p05,p10,p25,p50,p75,p90,p95,mean`:
/// the ensemble's demand of every service and method.
pub fn demand_quantiles_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let mut rows: Vec<(Option<&str>, i32, usize, &EnsembleSummary, Summary)> = Vec::new();
    for (scenario, summary) in items {
        for &year in &summary.years {
            for i in 0..summary.demands.len() {
                if let Some(s) = summary.demand(year, i) {
                    rows.push((*scenario, year, i, summary, s));
                }
            }
        }
    }
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let summaries: Vec<Summary> = rows.iter().map(|r| r.4).collect();
    let label = |f: fn(&crate::ensemble::DemandLabel) -> String| {
        ColumnData::texts(&rows, |r| f(&r.3.demands[r.2]))
    };
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.1)),
        ("service", label(|d| d.service.clone())),
        ("method", label(|d| d.method.clone())),
        ("primary", label(|d| d.primary.to_string())),
    ]);
    cols.extend(quantile_columns(&summaries, false));
    Table::new(cols)
}

/// `[scenario,]year,service,planned,p05,p10,p25,p50,p75,p90,p95,mean`: the
/// supply that arrives of every service with a planned supply (the plan's
/// path under each trajectory's delivery share and staff attrition).
pub fn supply_quantiles_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let mut rows: Vec<(Option<&str>, i32, &str, f64, Summary)> = Vec::new();
    for (scenario, summary) in items {
        for &year in &summary.years {
            for service in &summary.supplies {
                let planned = summary
                    .risks
                    .iter()
                    .find(|r| &r.service == service && r.year == year)
                    .map(|r| r.supply);
                if let (Some(s), Some(planned)) = (summary.supply(year, service), planned) {
                    rows.push((*scenario, year, service.as_str(), planned, s));
                }
            }
        }
    }
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let summaries: Vec<Summary> = rows.iter().map(|r| r.4).collect();
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.1)),
        ("service", ColumnData::texts(&rows, |r| r.2.to_string())),
        ("planned", ColumnData::floats(&rows, |r| r.3)),
    ]);
    cols.extend(quantile_columns(&summaries, false));
    Table::new(cols)
}

/// `[scenario,]year,service,method,p_shortfall,shortfall_p50,shortfall_p90,capacity_needed_p90,supply`:
/// one row per demand method of a service with a supply; shortfalls are
/// `demand − supply` (negative: a surplus).
pub fn gap_risk_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let rows: Vec<(Option<&str>, &GapRisk)> = items
        .iter()
        .flat_map(|(sc, s)| s.risks.iter().map(move |r| (*sc, r)))
        .collect();
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let f = |f: fn(&GapRisk) -> f64| ColumnData::floats(&rows, |r| f(r.1));
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.1.year)),
        ("service", ColumnData::texts(&rows, |r| r.1.service.clone())),
        ("method", ColumnData::texts(&rows, |r| r.1.method.clone())),
        ("p_shortfall", f(|r| r.p_shortfall)),
        ("shortfall_p50", f(|r| r.shortfall_p50)),
        ("shortfall_p90", f(|r| r.shortfall_p90)),
        ("capacity_needed_p90", f(|r| r.capacity_needed_p90)),
        ("supply", f(|r| r.supply)),
    ]);
    Table::new(cols)
}

/// `[scenario,]year,service,method,source,variance_share,gap_sd_alone,gap_sd_all,p_shortfall_alone,p_shortfall_without,p_shortfall_all`:
/// what drives each gap (see [`crate::ensemble::drivers`]).
pub fn risk_drivers_table(items: &[(Option<&str>, &[RiskDriver])]) -> Table {
    let rows: Vec<(Option<&str>, &RiskDriver)> = items
        .iter()
        .flat_map(|(sc, d)| d.iter().map(move |r| (*sc, r)))
        .collect();
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let f = |f: fn(&RiskDriver) -> f64| ColumnData::floats(&rows, |r| f(r.1));
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.1.year)),
        ("service", ColumnData::texts(&rows, |r| r.1.service.clone())),
        ("method", ColumnData::texts(&rows, |r| r.1.method.clone())),
        (
            "source",
            ColumnData::texts(&rows, |r| r.1.source.name().to_string()),
        ),
        ("variance_share", f(|r| r.variance_share)),
        ("gap_sd_alone", f(|r| r.gap_sd_alone)),
        ("gap_sd_all", f(|r| r.gap_sd_all)),
        ("p_shortfall_alone", f(|r| r.p_shortfall_alone)),
        ("p_shortfall_without", f(|r| r.p_shortfall_without)),
        ("p_shortfall_all", f(|r| r.p_shortfall_all)),
    ]);
    Table::new(cols)
}

/// `[scenario,]year,service,method,stock_needed,additions,planned,extra_vs_plan`:
/// per service with a supply and demand method, the robust build schedule
/// (the smallest non-decreasing stock path with P(shortfall) <= α in every
/// year, within the service's `max_build_per_year`) against the plan.
pub fn robust_plan_table(
    items: &[(Option<&str>, &EnsembleSummary)],
    services: &[Service],
) -> Table {
    let rows = robust_rows(items, services);
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    let f = |f: fn(&RobustStep) -> f64| ColumnData::floats(&rows, |r| f(&r.3));
    cols.extend([
        ("year", ColumnData::ints(&rows, |r| r.3.year)),
        ("service", ColumnData::texts(&rows, |r| r.1.to_string())),
        ("method", ColumnData::texts(&rows, |r| r.2.to_string())),
        ("stock_needed", f(|r| r.stock_needed)),
        ("additions", f(|r| r.additions)),
        ("planned", f(|r| r.planned)),
        ("extra_vs_plan", f(|r| r.extra_vs_plan)),
    ]);
    Table::new(cols)
}

/// The robust schedule's rows: `(scenario, service, method, step)`, per
/// scenario, risk (in the summary's order) and year.
fn robust_rows<'a>(
    items: &[(Option<&'a str>, &'a EnsembleSummary)],
    services: &[Service],
) -> Vec<(Option<&'a str>, &'a str, &'a str, RobustStep)> {
    let mut rows = Vec::new();
    for (scenario, summary) in items {
        for (service, method, steps) in summary.robust_schedules(services) {
            rows.extend(
                steps
                    .into_iter()
                    .map(|step| (*scenario, service, method, step)),
            );
        }
    }
    rows
}

/// `[scenario,]service,method,first_shortfall_year,probability`: when each
/// service first falls short by each demand method; an empty year is "not
/// within the horizon".
pub fn first_shortfall_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let mut rows: Vec<(Option<&str>, &FirstShortfall, Option<i32>, f64)> = Vec::new();
    for (scenario, summary) in items {
        for fs in &summary.first_shortfalls {
            for &(year, p) in &fs.by_year {
                if p > 0.0 {
                    rows.push((*scenario, fs, Some(year), p));
                }
            }
            rows.push((*scenario, fs, None, fs.never));
        }
    }
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    cols.extend([
        ("service", ColumnData::texts(&rows, |r| r.1.service.clone())),
        ("method", ColumnData::texts(&rows, |r| r.1.method.clone())),
        (
            "first_shortfall_year",
            ColumnData::OptInt(rows.iter().map(|r| r.2).collect()),
        ),
        ("probability", ColumnData::floats(&rows, |r| r.3)),
    ]);
    Table::new(cols)
}

/// `[scenario,]trajectory,year,indicator,value`: the kept trajectories.
pub fn trajectories_table(items: &[(Option<&str>, &EnsembleSummary)]) -> Table {
    let mut rows: Vec<(Option<&str>, i32, i32, &str, f64)> = Vec::new();
    for (scenario, summary) in items {
        let columns = summary.columns;
        for (t, values) in &summary.kept {
            for (y, &year) in summary.years.iter().enumerate() {
                for (k, ind) in summary.indicators.iter().enumerate() {
                    let v = values[y * columns + k];
                    if v.is_finite() {
                        rows.push((*scenario, *t as i32, year, ind.name(), v));
                    }
                }
            }
        }
    }
    let mut cols = scenario_column(rows.iter().map(|r| r.0));
    cols.extend([
        ("trajectory", ColumnData::ints(&rows, |r| r.1)),
        ("year", ColumnData::ints(&rows, |r| r.2)),
        ("indicator", ColumnData::texts(&rows, |r| r.3.to_string())),
        ("value", ColumnData::floats(&rows, |r| r.4)),
    ]);
    Table::new(cols)
}
