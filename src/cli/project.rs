//! `carecast project`.

use anyhow::{Context, Result};

use super::{out, summary, ProjectArgs, SelectedModel};
use crate::io::export::{indicator_rows, indicators_table, population_table, Labelled};
use crate::io::Table;
use crate::projection::{project, Projection};

pub fn run(args: &ProjectArgs) -> Result<()> {
    let (title, default_dir, runs, notes) = if let Some(dir) = &args.wpp_dir {
        let country = args.country.as_deref().unwrap_or_default();
        let super::WppCountry {
            code,
            name,
            grid,
            base,
            assumptions,
        } = super::load_wpp_country(dir, country, args.step)?;
        let projection = project(&base, 2020, args.end_year, &assumptions)?;
        let title = format!(
            "{name} (UN WPP 2019 medium-variant inputs, {}-year steps, thousands)",
            grid.width()
        );
        (
            title,
            format!("wpp-{code}"),
            vec![(None, projection)],
            vec![],
        )
    } else {
        let path = args
            .model
            .as_ref()
            .context("--model or --wpp-dir is required")?;
        let sel = SelectedModel::load(path, args.scenario.as_deref())?;
        let regions = sel
            .model
            .select_regions(args.region.as_deref())
            .map_err(|e| e.context(path.display().to_string()))?;
        if !regions.is_empty() {
            return run_regions(args, &sel, &regions);
        }
        let mut runs: Vec<(Option<String>, Projection)> = Vec::new();
        let mut labels = Vec::new();
        for s in sel.selected() {
            runs.push((sel.several.then(|| s.name.clone()), sel.model.project(s)?));
            labels.push(match (&s.label_zh, args.output.zh()) {
                (Some(zh), true) => zh.clone(),
                _ => s.label.clone(),
            });
        }
        let zh = args.output.zh();
        let region = crate::report::Words::new(if zh {
            crate::report::Lang::Zh
        } else {
            crate::report::Lang::En
        })
        .region(&sel.model);
        let title = match (sel.several, zh) {
            (true, false) => format!("{}: all scenarios", sel.model.name),
            (false, false) => format!("{}: scenario {}", sel.model.name, labels.join(", ")),
            (true, true) => format!("{region}：全部情景"),
            (false, true) => format!("{region}：情景 {}", labels.join("，")),
        };
        let flags = if zh && !sel.model.flags_zh.is_empty() {
            sel.model.flags_zh.clone()
        } else {
            sel.model.flags.clone()
        };
        (title, sel.stem, runs, flags)
    };
    let items: Vec<Labelled<'_>> = runs
        .iter()
        .map(|(s, p)| Labelled {
            scenario: s.as_deref(),
            projection: p,
        })
        .collect();
    let population = population_table(&items);
    let rows = indicator_rows(&items);
    let indicators = indicators_table(&rows);
    let wrote = args.output.write(
        "project",
        &default_dir,
        vec![("population", population), ("indicators", indicators)],
    )?;
    if !args.output.quiet {
        let zh = args.output.zh();
        let mut text = format!("{title}\n");
        for (scenario, p) in &runs {
            text.push_str(&summary::table(scenario.as_deref(), p, zh));
            let clamped: f64 = p.flows.iter().map(|f| f.migration_clamped).sum();
            if clamped > 0.0 {
                text.push_str(&if zh {
                    format!("警告：{clamped:.0} 名迁出者所在人群已为零，无法迁出（人数截为零）\n")
                } else {
                    format!(
                        "warning: {clamped:.0} emigrants could not leave groups that were already empty (counts clamped at zero)\n"
                    )
                });
            }
        }
        for n in notes {
            text.push_str(&if zh {
                format!("注：{n}\n")
            } else {
                format!("note: {n}\n")
            });
        }
        text.push_str(&super::say::wrote(&wrote, zh));
        out(&text);
    }
    Ok(())
}

/// `project` of a model with regions: every table gets a `region` column
/// (`total` for the parent); the summary shows each selected region.
fn run_regions(args: &ProjectArgs, sel: &SelectedModel, regions: &[String]) -> Result<()> {
    let zh = args.output.zh();
    let model = &sel.model;
    let (mut population, mut indicators) = (Vec::new(), Vec::new());
    let mut text = String::new();
    for s in sel.selected() {
        let rp = model.project_regions(s)?;
        for name in regions {
            let projection = match model.regions.iter().position(|r| &r.name == name) {
                Some(i) => &rp.regions[i],
                None => &rp.parent,
            };
            let item = [Labelled {
                scenario: sel.several.then_some(s.name.as_str()),
                projection,
            }];
            population.push((name.clone(), population_table(&item)));
            indicators.push((name.clone(), indicators_table(&indicator_rows(&item))));
            let heading = match (zh, sel.several) {
                (false, false) => format!("region {name}\n"),
                (false, true) => format!("scenario {}, region {name}\n", s.name),
                (true, false) => format!("地区 {name}\n"),
                (true, true) => format!("情景 {}，地区 {name}\n", s.name),
            };
            text.push_str(&heading);
            text.push_str(&summary::table(None, projection, zh));
        }
        for c in &rp.capped {
            let flow = &model.flows[c.flow];
            let (from, to) = (&model.regions[flow.from].name, &model.regions[flow.to].name);
            text.push_str(&if zh {
                format!(
                    "警告：{} 年起的一步中，{from} → {to} 的迁移有 {:.0} 人因迁出地人口不足而未迁移\n",
                    c.year, c.persons
                )
            } else {
                format!(
                    "warning: in the step from {}, {:.0} migrants of the flow {from} -> {to} were not moved: the origin had too few\n",
                    c.year, c.persons
                )
            });
        }
    }
    let after = if sel.several { "scenario" } else { "" };
    let wrote = args.output.write(
        "project",
        &sel.stem,
        vec![
            ("population", Table::stacked("region", population, after)?),
            ("indicators", Table::stacked("region", indicators, after)?),
        ],
    )?;
    if !args.output.quiet {
        let region = crate::report::Words::new(if zh {
            crate::report::Lang::Zh
        } else {
            crate::report::Lang::En
        })
        .region(model);
        let mut head = if zh {
            format!("{region}：{} 个地区\n", model.regions.len())
        } else {
            format!("{region}: {} regions\n", model.regions.len())
        };
        head.push_str(&text);
        let flags = if zh && !model.flags_zh.is_empty() {
            &model.flags_zh
        } else {
            &model.flags
        };
        for n in flags {
            head.push_str(&if zh {
                format!("注：{n}\n")
            } else {
                format!("note: {n}\n")
            });
        }
        head.push_str(&super::say::wrote(&wrote, zh));
        out(&head);
    }
    Ok(())
}
