//! `carecast gap`: demand against planned supply per service.

use anyhow::Result;

use super::{out, GapArgs, SelectedModel};
use crate::gap::{first_shortfall, DemandValue};
use crate::io::export::{demand_table, gap_table};
use crate::io::Table;
use crate::model::ScenarioRun;
use crate::report::{format_count, service_label, Lang, Words};
use crate::{Model, Service};

pub fn run(args: &GapArgs) -> Result<()> {
    let sel = SelectedModel::load(&args.model, args.scenario.as_deref())?;
    let (model, several) = (&sel.model, sel.several);
    // Checked before anything runs or is written.
    let years = model
        .key_years_for(&args.years)
        .map_err(|e| e.context("--years"))?;
    let regions = model
        .select_regions(args.region.as_deref())
        .map_err(|e| e.context(args.model.display().to_string()))?;
    if !regions.is_empty() {
        return run_regions(args, &sel, &regions, &years);
    }
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
        let zh = args.output.zh();
        let mut text = if zh {
            format!(
                "{}：需求、规划供给与缺口（缺口 = 需求 − 供给；正值为短缺）\n",
                Words::new(Lang::Zh).region(model)
            )
        } else {
            format!(
                "{}: demand, planned supply and gap (demand − supply; positive = shortfall)\n",
                model.name
            )
        };
        for r in &runs {
            text.push_str(&scenario_block(&model.services, r, &years, zh));
        }
        if runs.len() > 1 {
            text.push_str(&comparison(model, &runs, &years, zh));
        }
        text.push_str(&super::say::wrote(&wrote, zh));
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
fn scenario_block(services: &[Service], r: &ScenarioRun, years: &[i32], zh: bool) -> String {
    use super::say::{method_short_zh, pad};
    let mut s = if zh {
        format!("\n情景 {}\n", r.name)
    } else {
        format!("\nscenario {}\n", r.name)
    };
    let heads: [&str; 7] = if zh {
        [
            "服务",
            "测算口径",
            "年份",
            "需求",
            "供给",
            "缺口",
            "首次短缺",
        ]
    } else {
        [
            "service",
            "method",
            "year",
            "demand",
            "supply",
            "gap",
            "first shortfall",
        ]
    };
    // The service column fits the longest label (Chinese labels are long).
    let service_width = if zh {
        services
            .iter()
            .map(|sv| super::say::columns(&service_label(sv, Lang::Zh)))
            .max()
            .unwrap_or(20)
            .max(20)
    } else {
        20
    };
    let row = |cells: [String; 7]| {
        format!(
            "{} {} {} {} {} {}  {}\n",
            pad(&cells[0], service_width, true),
            pad(&cells[1], 14, true),
            pad(&cells[2], 6, false),
            pad(&cells[3], 12, false),
            pad(&cells[4], 12, false),
            pad(&cells[5], 12, false),
            cells[6]
        )
    };
    s.push_str(&row(heads.map(str::to_string)));
    for service in services {
        let name = if zh {
            service_label(service, Lang::Zh)
        } else {
            service.id.clone()
        };
        for (m, d) in service.demands.iter().enumerate() {
            let first = first_shortfall(&r.gaps, &service.id, &d.name)
                .map(|y| y.to_string())
                .unwrap_or_else(|| if zh { "无" } else { "none" }.into());
            let method = if zh {
                method_short_zh(&d.name)
            } else {
                d.name.clone()
            };
            for (k, &year) in years.iter().enumerate() {
                let demand = demand_of(r, service, &d.name, year).map(|d| d.demand);
                let g = r
                    .gaps
                    .iter()
                    .find(|g| g.year == year && g.service == service.id && g.method == d.name);
                s.push_str(&row([
                    if k == 0 && m == 0 {
                        name.clone()
                    } else {
                        String::new()
                    },
                    if k == 0 {
                        method.clone()
                    } else {
                        String::new()
                    },
                    year.to_string(),
                    demand.map(format_count).unwrap_or_else(|| "-".into()),
                    g.map(|g| format_count(g.supply))
                        .unwrap_or_else(|| if zh { "未知" } else { "unknown" }.into()),
                    g.map(|g| {
                        format!(
                            "{}{}",
                            if g.gap > 0.0 { "+" } else { "" },
                            format_count(g.gap)
                        )
                    })
                    .unwrap_or_else(|| "-".into()),
                    if k == 0 && g.is_some() {
                        first.clone()
                    } else {
                        String::new()
                    },
                ]));
            }
        }
    }
    s
}

/// For each service and demand method: the value in the middle key year by
/// scenario, and how far the scenarios lie apart.
fn comparison(model: &Model, runs: &[ScenarioRun], years: &[i32], zh: bool) -> String {
    let Some(&year) = years.get(years.len() / 2) else {
        return String::new();
    };
    let mut s = if zh {
        format!("\n{year}年各情景的需求（假设对需求的影响）\n")
    } else {
        format!("\ndemand in {year} by scenario (how much the assumptions move it)\n")
    };
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
            let (name, method) = if zh {
                (
                    service_label(service, Lang::Zh),
                    super::say::method_short_zh(&d.name),
                )
            } else {
                (service.id.clone(), d.name.clone())
            };
            if hi.1 - lo.1 < crate::gap::SHORTFALL_THRESHOLD {
                unmoved.push(if zh {
                    format!("{name}（{method}）")
                } else {
                    format!("{name} ({method})")
                });
                continue;
            }
            let rel = if hi.1 > 0.0 {
                100.0 * (lo.1 - hi.1) / hi.1
            } else {
                0.0
            };
            let vals_text = vals
                .iter()
                .map(|(n, v)| format!("{n} {}", format_count(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            s.push_str(&if zh {
                format!(
                    "{} {} {vals_text}；{} 比 {} 少 {}（{:+.1}%）\n",
                    super::say::pad(&name, 24, true),
                    super::say::pad(&method, 10, true),
                    lo.0,
                    hi.0,
                    format_count(hi.1 - lo.1),
                    rel,
                )
            } else {
                format!(
                    "{:<20} {:<14} {vals_text}; {} is {} ({:+.1}%) against {}\n",
                    name,
                    method,
                    lo.0,
                    format_count(lo.1 - hi.1),
                    rel,
                    hi.0
                )
            });
        }
    }
    if !unmoved.is_empty() {
        s.push_str(&if zh {
            format!("各情景相同：{}\n", unmoved.join("，"))
        } else {
            format!("the same in every scenario: {}\n", unmoved.join(", "))
        });
    }
    s
}

/// `gap` of a model with regions: the parent's plan on the sum of the
/// regions (`total`) and each region's own plan on its projection; every
/// table gets a `region` column.
fn run_regions(
    args: &GapArgs,
    sel: &SelectedModel,
    regions: &[String],
    years: &[i32],
) -> Result<()> {
    let zh = args.output.zh();
    let model = &sel.model;
    let (mut demand_parts, mut gap_parts) = (Vec::new(), Vec::new());
    let mut text = String::new();
    for s in sel.selected() {
        for (name, run) in model.run_regions(s)? {
            if !regions.contains(&name) {
                continue;
            }
            let label = sel.several.then_some(s.name.as_str());
            let demand_rows: Vec<_> = run.demand.iter().map(|d| (label, d)).collect();
            let gap_rows: Vec<_> = run.gaps.iter().map(|g| (label, g)).collect();
            // A region without a plan of its own has no rows (and a table
            // of no rows no scenario column).
            if !demand_rows.is_empty() {
                demand_parts.push((name.clone(), demand_table(&demand_rows)));
            }
            if !gap_rows.is_empty() {
                gap_parts.push((name.clone(), gap_table(&gap_rows)));
            }
            let services = match model.regions.iter().find(|r| r.name == name) {
                Some(r) => &r.services,
                None => &model.services,
            };
            text.push_str(&if zh {
                format!("\n地区 {name}")
            } else {
                format!("\nregion {name}")
            });
            if services.is_empty() {
                text.push_str(if zh {
                    "：无本级规划的服务\n"
                } else {
                    ": no services of its own\n"
                });
                continue;
            }
            text.push_str(&scenario_block(services, &run, years, zh));
        }
    }
    let after = if sel.several { "scenario" } else { "" };
    let wrote = args.output.write(
        "gap",
        &sel.stem,
        vec![
            ("demand", Table::stacked("region", demand_parts, after)?),
            ("gap", Table::stacked("region", gap_parts, after)?),
        ],
    )?;
    if !args.output.quiet {
        let mut head = if zh {
            format!(
                "{}：需求、规划供给与缺口（缺口 = 需求 − 供给；正值为短缺）；总计及各地区\n",
                Words::new(Lang::Zh).region(model)
            )
        } else {
            format!(
                "{}: demand, planned supply and gap (demand − supply; positive = shortfall), for the total and each region\n",
                model.name
            )
        };
        head.push_str(&text);
        head.push_str(&super::say::wrote(&wrote, zh));
        out(&head);
    }
    Ok(())
}
