//! `carecast gap`: demand against planned supply per service.

use anyhow::Result;

use super::{out, GapArgs, SelectedModel};
use crate::gap::{first_shortfall, DemandValue};
use crate::io::export::{demand_table, gap_table};
use crate::model::ScenarioRun;
use crate::report::format_count;
use crate::{Model, Service};

pub fn run(args: &GapArgs) -> Result<()> {
    let sel = SelectedModel::load(&args.model, args.scenario.as_deref())?;
    let (model, several) = (&sel.model, sel.several);
    // Checked before anything runs or is written.
    let years = model
        .key_years_for(&args.years)
        .map_err(|e| e.context("--years"))?;
    let mut runs = Vec::new();
    for s in sel.selected() {
        runs.push(model.run(s)?);
    }
    fn label(r: &ScenarioRun, several: bool) -> Option<&str> {
        several.then_some(r.name.as_str())
    }
    let demand_rows: Vec<_> = runs
        .iter()
        .flat_map(|r| r.demand.iter().map(move |d| (label(r, several), d)))
        .collect();
    let gap_rows: Vec<_> = runs
        .iter()
        .flat_map(|r| r.gaps.iter().map(move |g| (label(r, several), g)))
        .collect();
    let demand_bytes = demand_table(&demand_rows);
    let gap_bytes = gap_table(&gap_rows);
    let wrote = args.output.write(
        "gap",
        &sel.stem,
        vec![("demand", demand_bytes), ("gap", gap_bytes)],
    )?;
    if !args.output.quiet {
        let mut text = format!(
            "{}: demand, planned supply and gap (demand − supply; positive = shortfall)\n",
            model.name
        );
        for r in &runs {
            text.push_str(&scenario_block(model, r, &years));
        }
        if runs.len() > 1 {
            text.push_str(&comparison(model, &runs, &years));
        }
        text.push_str(&wrote);
        out(&text);
    }
    Ok(())
}

fn demand_of<'a>(
    r: &'a ScenarioRun,
    service: &Service,
    method: &str,
    year: i32,
) -> Option<&'a DemandValue> {
    r.demand
        .iter()
        .find(|d| d.year == year && d.service == service.id && d.method == method)
}

/// Every service and demand method in the key years: demand, supply, gap
/// and the first shortfall by that method (the plan's standard first, then
/// the need-based views).
fn scenario_block(model: &Model, r: &ScenarioRun, years: &[i32]) -> String {
    let mut s = format!("\nscenario {}\n", r.name);
    s.push_str(&format!(
        "{:<20} {:<14} {:>6} {:>12} {:>12} {:>12}  {}\n",
        "service", "method", "year", "demand", "supply", "gap", "first shortfall"
    ));
    for service in &model.services {
        for (m, d) in service.demands.iter().enumerate() {
            let first = first_shortfall(&r.gaps, &service.id, &d.name)
                .map(|y| y.to_string())
                .unwrap_or_else(|| "none".into());
            for (k, &year) in years.iter().enumerate() {
                let demand = demand_of(r, service, &d.name, year).map(|d| d.demand);
                let g = r
                    .gaps
                    .iter()
                    .find(|g| g.year == year && g.service == service.id && g.method == d.name);
                s.push_str(&format!(
                    "{:<20} {:<14} {:>6} {:>12} {:>12} {:>12}  {}\n",
                    if k == 0 && m == 0 {
                        service.id.as_str()
                    } else {
                        ""
                    },
                    if k == 0 { d.name.as_str() } else { "" },
                    year,
                    demand.map(format_count).unwrap_or_else(|| "-".into()),
                    g.map(|g| format_count(g.supply))
                        .unwrap_or_else(|| "unknown".into()),
                    g.map(|g| format!(
                        "{}{}",
                        if g.gap > 0.0 { "+" } else { "" },
                        format_count(g.gap)
                    ))
                    .unwrap_or_else(|| "-".into()),
                    if k == 0 && g.is_some() {
                        first.as_str()
                    } else {
                        ""
                    },
                ));
            }
        }
    }
    s
}

/// For each service and demand method: the value in the middle key year by
/// scenario, and how far the scenarios lie apart.
fn comparison(model: &Model, runs: &[ScenarioRun], years: &[i32]) -> String {
    let Some(&year) = years.get(years.len() / 2) else {
        return String::new();
    };
    let mut s = format!("\ndemand in {year} by scenario (how much the assumptions move it)\n");
    let mut unmoved = Vec::new();
    for service in &model.services {
        for d in &service.demands {
            let vals: Vec<(&str, f64)> = runs
                .iter()
                .filter_map(|r| {
                    r.demand
                        .iter()
                        .find(|v| v.year == year && v.service == service.id && v.method == d.name)
                        .map(|v| (r.name.as_str(), v.demand))
                })
                .collect();
            let (Some(lo), Some(hi)) = (
                vals.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
                vals.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            ) else {
                continue;
            };
            if hi.1 - lo.1 < crate::gap::SHORTFALL_THRESHOLD {
                unmoved.push(format!("{} ({})", service.id, d.name));
                continue;
            }
            let rel = if hi.1 > 0.0 {
                100.0 * (lo.1 - hi.1) / hi.1
            } else {
                0.0
            };
            s.push_str(&format!(
                "{:<20} {:<14} {}; {} is {} ({:+.1}%) against {}\n",
                service.id,
                d.name,
                vals.iter()
                    .map(|(n, v)| format!("{n} {}", format_count(*v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                lo.0,
                format_count(lo.1 - hi.1),
                rel,
                hi.0
            ));
        }
    }
    if !unmoved.is_empty() {
        s.push_str(&format!(
            "the same in every scenario: {}\n",
            unmoved.join(", ")
        ));
    }
    s
}
