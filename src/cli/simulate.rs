//! `carecast simulate`: a Monte Carlo ensemble of one or all scenarios.

use anyhow::{Context, Result};

use super::{out, SelectedModel, SimulateArgs};
use crate::ensemble::{
    top_driver, EnsembleRequest, EnsembleSpec, EnsembleSummary, MigrationNoise, MortalityNoise,
    RiskDriver, Stochastic, TfrNoise,
};
use crate::io::export::{
    demand_quantiles_table, first_shortfall_table, gap_risk_table, quantiles_table,
    risk_drivers_table, robust_plan_table, supply_quantiles_table, trajectories_table,
};
use crate::io::wpp;
use crate::report::{service_label, Lang, Words};
use crate::standards::Service;
use crate::Indicator;
use crate::Model;

pub fn run(args: &SimulateArgs) -> Result<()> {
    let Some(model_path) = &args.model else {
        return run_wpp(args);
    };
    let sel = SelectedModel::load(model_path, args.scenario.as_deref())?;
    let model = &sel.model;
    let regions = model
        .select_regions(args.region.as_deref())
        .map_err(|e| e.context(model_path.display().to_string()))?;
    let stochastic = Stochastic {
        // Always present so that its parameters are checked; zero volatility
        // gives a factor of exactly 1.
        tfr: Some(TfrNoise {
            persistence: args.tfr_persistence,
            volatility: args.tfr_volatility,
        }),
        mortality: Some(MortalityNoise {
            sd: args.mortality_sd,
        }),
        migration: match args.migration_sd {
            Some(sd) => (sd != 0.0).then_some(MigrationNoise { sd }),
            None => model.migration_noise,
        },
        certain_need: args.certain_need,
        certain_supply: args.certain_supply,
        certain_base: args.certain_base,
        own_noise: args.own_noise,
        certain_fertility: args.certain_fertility,
        certain_mortality: args.certain_mortality,
    };
    let spec = EnsembleSpec {
        trajectories: args.trajectories,
        seed: args.seed,
        stochastic,
        keep: args.keep,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let mut results: Vec<(String, EnsembleSummary)> = Vec::new();
    // Per scenario, per area (the parent, then each region).
    let mut drivers: Vec<Vec<Vec<RiskDriver>>> = Vec::new();
    let start = std::time::Instant::now();
    for s in sel.selected() {
        let request = EnsembleRequest::for_model(model, &s.assumptions, &model.services, spec)?
            .with_alpha(args.alpha)?;
        let bar = super::trajectory_bar(args.trajectories, &s.name, args.output.quiet);
        let summary = pool.install(|| request.run(&|done| bar.set_position(done as u64)))?;
        bar.finish_and_clear();
        if args.drivers {
            let label = format!("{} drivers", s.name);
            drivers.push(super::run_drivers(
                &pool,
                &request,
                &summary,
                &label,
                args.output.quiet,
            )?);
        }
        results.push((s.name.clone(), summary));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let files = if regions.is_empty() {
        let items: Vec<(Option<&str>, &EnsembleSummary)> = results
            .iter()
            .map(|(n, s)| (sel.several.then_some(n.as_str()), s))
            .collect();
        let driver_items: Vec<(Option<&str>, &[RiskDriver])> = items
            .iter()
            .zip(&drivers)
            .map(|((sc, _), d)| (*sc, d[0].as_slice()))
            .collect();
        let with_demands = results.iter().any(|(_, s)| !s.demands.is_empty());
        tables(&items, &driver_items, &model.services, with_demands, args)
    } else {
        // Scenario by scenario, the parent (`total`) and each region
        // selected, stacked with a `region` column.
        let mut parts: Vec<(String, Vec<(&str, crate::io::Table)>)> = Vec::new();
        let with_demands = results.iter().any(|(_, s)| {
            regions
                .iter()
                .any(|r| !area_of(s, Some(r)).demands.is_empty())
        });
        for (k, (name, summary)) in results.iter().enumerate() {
            for r in &regions {
                let item = [(
                    sel.several.then_some(name.as_str()),
                    area_of(summary, Some(r)),
                )];
                let driver_item: Vec<(Option<&str>, &[RiskDriver])> = drivers
                    .get(k)
                    .map(|d| vec![(item[0].0, d[area_index(summary, Some(r))].as_slice())])
                    .unwrap_or_default();
                let services = model.services_of(Some(r));
                parts.push((
                    r.clone(),
                    tables(&item, &driver_item, services, with_demands, args),
                ));
            }
        }
        let after = if sel.several { "scenario" } else { "" };
        let kinds: Vec<&str> = parts
            .first()
            .map(|p| p.1.iter().map(|t| t.0).collect())
            .unwrap_or_default();
        let mut files = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let stacked: Vec<(String, crate::io::Table)> = parts
                .iter_mut()
                .map(|(r, tables)| {
                    let empty = crate::io::Table::new(
                        Vec::<(String, crate::io::tables::ColumnData)>::new(),
                    );
                    (r.clone(), std::mem::replace(&mut tables[i].1, empty))
                })
                .collect();
            files.push((kind, crate::io::Table::stacked("region", stacked, after)?));
        }
        files
    };
    let wrote = args.output.write("simulate", &sel.stem, files)?;
    if !args.output.quiet {
        let zh = args.output.zh();
        let mut text = if zh {
            format!(
                "{}：每个情景 {} 条模拟轨迹，随机种子 {}，用时 {:.2} 秒\n",
                Words::new(Lang::Zh).region(model),
                args.trajectories,
                args.seed,
                elapsed
            )
        } else {
            format!(
                "{}: {} trajectories per scenario, seed {}, in {:.2} s\n",
                model.name, args.trajectories, args.seed, elapsed
            )
        };
        let areas: Vec<Option<&str>> = if regions.is_empty() {
            vec![None]
        } else {
            regions.iter().map(|r| Some(r.as_str())).collect()
        };
        for (k, (name, whole)) in results.iter().enumerate() {
            for &region in &areas {
                let summary = area_of(whole, region);
                text.push_str(&match (region, zh) {
                    (None, false) => format!("scenario {name}\n"),
                    (None, true) => format!("情景 {name}\n"),
                    (Some(r), false) => format!("scenario {name}, region {r}\n"),
                    (Some(r), true) => {
                        format!("情景 {name}，地区 {}\n", region_label(model, r, zh))
                    }
                });
                let services = model.services_of(region);
                let area_drivers = drivers.get(k).map(|d| &d[area_index(whole, region)]);
                text.push_str(&key_year_lines(model, summary, zh));
                text.push_str(&risk_lines(model, services, summary, area_drivers, zh));
                text.push_str(&robust_lines(model, services, summary, args.alpha, zh));
            }
        }
        text.push_str(&super::say::wrote(&wrote, zh));
        out(&text);
    }
    Ok(())
}

/// `simulate --wpp-dir DIR --country C`: the UN medium variant with TFR
/// and e0 noise calibrated to the UN's bounds; prints the total
/// population's median and 80% and 95% intervals beside the UN's.
fn run_wpp(args: &SimulateArgs) -> Result<()> {
    let dir = args
        .wpp_dir
        .as_ref()
        .context("--model or --wpp-dir is required")?;
    let country = args.country.as_deref().unwrap_or_default();
    let super::WppCountry {
        code,
        name,
        grid,
        base,
        assumptions,
    } = super::load_wpp_country(dir, country, args.step)?;
    let calibration = wpp::read_calibration(dir, code)?;
    let spec = EnsembleSpec {
        trajectories: args.trajectories,
        seed: args.seed,
        // The calibrated sources can be switched off one at a time (the
        // draws are made all the same: common random numbers).
        stochastic: Stochastic {
            certain_fertility: args.certain_fertility,
            certain_mortality: args.certain_mortality,
            ..Stochastic::default()
        },
        keep: args.keep,
    };
    let request = EnsembleRequest::new(&base, 2020, args.end_year, &assumptions, spec, Vec::new())?
        .with_calibration(calibration)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let start = std::time::Instant::now();
    let bar = super::trajectory_bar(args.trajectories, &name, args.output.quiet);
    let summary = pool.install(|| request.run(&|done| bar.set_position(done as u64)))?;
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    let items = [(None, &summary)];
    let mut files = vec![("quantiles", quantiles_table(&items))];
    if args.keep > 0 {
        files.push(("trajectories", trajectories_table(&items)));
    }
    let wrote = args
        .output
        .write("simulate", &format!("wpp-{code}-ensemble"), files)?;
    if !args.output.quiet {
        let mut text = format!(
            "{name} (UN WPP 2019 medium variant, TFR and e0 calibrated to the UN's 80% and 95% bounds, {}-year steps, thousands): {} trajectories, seed {}, in {:.2} s\n",
            grid.width(),
            args.trajectories,
            args.seed,
            elapsed
        );
        for year in [2030, 2050, 2100] {
            let Some(s) = summary.get(year, Indicator::Total) else {
                continue;
            };
            let un = wpp::read_population_bounds(dir, code, year).ok();
            text.push_str(&format!(
                "  {year}: total {:.0} (80%: {:.0}-{:.0}; 95%: {:.0}-{:.0}){}\n",
                s.p50,
                s.p10,
                s.p90,
                s.p025,
                s.p975,
                un.map_or(String::new(), |[l95, l80, u80, u95]| format!(
                    "; UN 80%: {l80:.0}-{u80:.0}; 95%: {l95:.0}-{u95:.0}"
                ))
            ));
        }
        text.push_str(&wrote);
        out(&text);
    }
    Ok(())
}

/// One line per key year (and the end year): the 60+ share, births and
/// the children aged 0-2, each with its 90% interval.
fn key_year_lines(model: &Model, summary: &EnsembleSummary, zh: bool) -> String {
    let mut text = String::new();
    for &year in model.key_years.iter().chain([&model.end_year]) {
        if !summary.years.contains(&year) {
            continue;
        }
        let band = |ind: Indicator, pct: bool| {
            summary.get(year, ind).map(|s| match (pct, zh) {
                (true, false) => format!(
                    "{:.2}% (90%: {:.2}-{:.2}%)",
                    100.0 * s.p50,
                    100.0 * s.p05,
                    100.0 * s.p95
                ),
                (false, false) => format!("{:.0} (90%: {:.0}-{:.0})", s.p50, s.p05, s.p95),
                (true, true) => format!(
                    "{:.2}%（90%区间：{:.2}-{:.2}%）",
                    100.0 * s.p50,
                    100.0 * s.p05,
                    100.0 * s.p95
                ),
                (false, true) => format!("{:.0}（90%区间：{:.0}-{:.0}）", s.p50, s.p05, s.p95),
            })
        };
        let (share, births, young) = (
            band(Indicator::Share60Plus, true).unwrap_or_default(),
            band(Indicator::Births, false).unwrap_or_default(),
            band(Indicator::Pop0To2, false).unwrap_or_default(),
        );
        text.push_str(&if zh {
            format!("  {year}年：60岁及以上占比 {share}；出生 {births}；0-2岁 {young}\n")
        } else {
            format!("  {year}: 60+ share {share}; births {births}; aged 0-2 {young}\n")
        });
    }
    text
}

/// The summary of `region` (`None` or `total`: the parent, `summary`
/// itself; a name: that region's, from the same run).
fn area_of<'a>(summary: &'a EnsembleSummary, region: Option<&str>) -> &'a EnsembleSummary {
    summary
        .regions
        .iter()
        .find(|(name, _)| Some(name.as_str()) == region)
        .map_or(summary, |(_, s)| s)
}

/// The area index of `region` in a run's drivers (0: the parent).
fn area_index(summary: &EnsembleSummary, region: Option<&str>) -> usize {
    summary
        .regions
        .iter()
        .position(|(name, _)| Some(name.as_str()) == region)
        .map_or(0, |i| i + 1)
}

/// A region's name for the terminal: its Chinese name in Chinese where
/// the model gives one (`total`: 全市 or the model's region).
fn region_label(model: &Model, region: &str, zh: bool) -> String {
    if !zh {
        return region.to_string();
    }
    if region == "total" {
        return format!("{}（合计）", Words::new(Lang::Zh).region(model));
    }
    model
        .regions
        .iter()
        .find(|r| r.name == region)
        .and_then(|r| r.name_zh.clone())
        .unwrap_or_else(|| region.to_string())
}

/// The tables of one set of summaries (one area).
fn tables<'a>(
    items: &[(Option<&str>, &EnsembleSummary)],
    driver_items: &[(Option<&str>, &[RiskDriver])],
    services: &[Service],
    with_demands: bool,
    args: &SimulateArgs,
) -> Vec<(&'a str, crate::io::Table)> {
    let mut files = vec![("quantiles", quantiles_table(items))];
    if with_demands {
        files.push(("demand_quantiles", demand_quantiles_table(items)));
        files.push(("gap_risk", gap_risk_table(items)));
        files.push(("supply_quantiles", supply_quantiles_table(items)));
        files.push(("first_shortfall", first_shortfall_table(items)));
        files.push(("robust_plan", robust_plan_table(items, services)));
    }
    if args.drivers {
        files.push(("risk_drivers", risk_drivers_table(driver_items)));
    }
    if args.keep > 0 {
        files.push(("trajectories", trajectories_table(items)));
    }
    files
}

/// One line per service and demand method with a supply in the first two
/// key years (the plan's target year and the next, to keep the summary
/// short): P(shortfall) by the plan's standard and by need, and the capacity
/// that meets demand in 90% of trajectories, also as the standard's rate on
/// the median projection when the standard is a ratio.
fn risk_lines(
    model: &Model,
    services: &[Service],
    summary: &EnsembleSummary,
    drivers: Option<&Vec<RiskDriver>>,
    zh: bool,
) -> String {
    let words = Words::new(if zh { Lang::Zh } else { Lang::En });
    let mut text = String::new();
    for &year in model.key_years.iter().take(2) {
        for (i, label) in summary.demands.iter().enumerate() {
            let Some(risk) = summary.risk_by(&label.service, &label.method, year) else {
                continue;
            };
            let service = services.iter().find(|s| s.id == label.service);
            let unit = service.map_or(String::new(), |s| words.unit(&s.unit));
            let as_rate = service
                .filter(|_| label.primary)
                .zip(summary.demand(year, i))
                .and_then(|(s, d)| s.capacity_as_rate(year, risk.capacity_needed_p90, d.p50))
                .map_or(String::new(), |r| {
                    if zh {
                        format!(
                            "，即{}{:.1}",
                            super::say::rate_zh(r.unit, r.base_name),
                            r.rate
                        )
                    } else {
                        format!(" = {:.1} {} {}", r.rate, r.unit, r.base_name)
                    }
                });
            // The supply that arrives, where it is uncertain.
            let arriving = summary
                .supply(year, &label.service)
                .filter(|s| s.p95 > s.p05)
                .map_or(String::new(), |s| {
                    if zh {
                        format!(
                            "；实际到位 {:.0}，90%区间：{:.0}-{:.0}",
                            s.p50, s.p05, s.p95
                        )
                    } else {
                        format!("; arriving {:.0}, 90%: {:.0}-{:.0}", s.p50, s.p05, s.p95)
                    }
                });
            let driver = drivers
                .and_then(|d| top_driver(d, &label.service, &label.method, year))
                .map_or(String::new(), |d| {
                    if zh {
                        format!(
                            "；主要来源：{}（占方差 {:.0}%）",
                            words.source_name(d.source),
                            100.0 * d.variance_share
                        )
                    } else {
                        format!(
                            "; driven by {} ({:.0}% of the variance)",
                            d.source.name(),
                            100.0 * d.variance_share
                        )
                    }
                });
            text.push_str(&if zh {
                let name = service.map_or(label.service.clone(), |s| service_label(s, Lang::Zh));
                format!(
                    "  P({name}短缺，{year}年，{}) = {:.2}；90%把握所需容量：{:.0} {unit}{as_rate}（规划 {:.0}{arriving}）{driver}\n",
                    super::say::method_zh(label.primary, &label.method),
                    risk.p_shortfall,
                    risk.capacity_needed_p90,
                    risk.supply
                )
            } else {
                format!(
                    "  P({} shortfall in {year}, {}) = {:.2}; capacity for 90% confidence: {:.0} {unit}{as_rate} (planned {:.0}{arriving}){driver}\n",
                    label.service,
                    view(label.primary, &label.method),
                    risk.p_shortfall,
                    risk.capacity_needed_p90,
                    risk.supply
                )
            });
        }
    }
    text
}

/// "by the plan's standard" (the primary demand) or "by <method>".
fn view(primary: bool, method: &str) -> String {
    if primary {
        "by the plan's standard".to_string()
    } else {
        format!("by {method}")
    }
}

/// One line per service and demand method with a supply: the robust
/// schedule's stock against the plan in the first key year (the plan's
/// target year) and the last year of the horizon.
fn robust_lines(
    model: &Model,
    services: &[Service],
    summary: &EnsembleSummary,
    alpha: f64,
    zh: bool,
) -> String {
    let words = Words::new(if zh { Lang::Zh } else { Lang::En });
    let target = model.key_years.first().copied();
    let mut text = String::new();
    for (service, method, steps) in summary.robust_schedules(services) {
        let of = |year: Option<i32>| steps.iter().find(|r| Some(r.year) == year);
        let found = services.iter().find(|s| s.id == service);
        let unit = found.map_or(String::new(), |s| words.unit(&s.unit));
        let unit = unit.as_str();
        let primary = summary
            .demands
            .iter()
            .any(|d| d.service == service && d.method == method && d.primary);
        // The existing stock: the base year's.
        let existing = steps.first().map_or(0.0, |r| r.stock_needed);
        let phrase = |r: &crate::plan::RobustStep| {
            if zh {
                return if r.extra_vs_plan > 0.5 {
                    format!("到{}年需比规划多 {:.0} {unit}", r.year, r.extra_vs_plan)
                } else if let Some(spare) = r.spare_in_existing(existing) {
                    format!(
                        "到{}年无需超出规划（现有 {existing:.0} {unit} 已足够，富余 {spare:.0}）",
                        r.year
                    )
                } else {
                    format!(
                        "到{}年无需超出规划（富余 {:.0} {unit}）",
                        r.year,
                        (-r.extra_vs_plan).max(0.0)
                    )
                };
            }
            if r.extra_vs_plan > 0.5 {
                format!(
                    "{:.0} more {unit} than planned by {}",
                    r.extra_vs_plan, r.year
                )
            } else if let Some(spare) = r.spare_in_existing(existing) {
                format!(
                    "nothing beyond the plan by {} (the existing {existing:.0} {unit} cover it; {spare:.0} to spare)",
                    r.year
                )
            } else {
                format!(
                    "nothing beyond the plan by {} ({:.0} {unit} to spare)",
                    r.year,
                    (-r.extra_vs_plan).max(0.0)
                )
            }
        };
        let parts: Vec<String> = [of(target), of(Some(model.end_year))]
            .into_iter()
            .flatten()
            .map(phrase)
            .collect();
        if parts.is_empty() {
            continue;
        }
        text.push_str(&if zh {
            format!(
                "  {}在每一年都有 {:.0}% 把握，{}：{}\n",
                super::say::method_zh(primary, method),
                100.0 * (1.0 - alpha),
                found.map_or(service.to_string(), |s| service_label(s, Lang::Zh)),
                parts.join("；")
            )
        } else {
            format!(
                "  to stay {:.0}% safe {} in every year, {service}: {}\n",
                100.0 * (1.0 - alpha),
                view(primary, method),
                parts.join(" and ")
            )
        });
    }
    text
}
