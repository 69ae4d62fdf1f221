//! `carecast project`.

use anyhow::{Context, Result};

use super::{out, summary, ProjectArgs, SelectedModel};
use crate::io::export::{indicator_rows, indicators_table, population_table, Labelled};
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
