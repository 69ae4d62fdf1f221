//! `carecast validate`.

use anyhow::Result;

use super::{out, ValidateArgs};
use crate::io::model_file;
use crate::{DemandMethod, Model};

/// What an ensemble draws for need and standards: each prevalence table
/// with its 90% factor and the demands sharing its draw, then each
/// demand's own interval.
fn uncertain_need(model: &Model) -> String {
    let mut tables: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut own = Vec::new();
    for s in &model.services {
        for d in &s.demands {
            let name = format!("{} {}", s.id, d.name);
            if let DemandMethod::Need { prevalence, .. } = &d.method {
                if let Some(u) = prevalence.uncertainty {
                    let file = std::path::Path::new(&prevalence.table)
                        .file_name()
                        .map_or(prevalence.table.clone(), |f| {
                            f.to_string_lossy().into_owned()
                        });
                    let interval = format!("x{} ... x{}", fmt(u.low), fmt(u.high));
                    match tables.iter_mut().find(|t| t.0 == prevalence.table) {
                        Some(t) => t.2.push(name.clone()),
                        None => tables.push((
                            prevalence.table.clone(),
                            format!("{file} ({interval})"),
                            vec![name.clone()],
                        )),
                    }
                }
            }
            if let Some(u) = d.uncertainty {
                own.push(format!("{name} x{} ... x{}", fmt(u.low), fmt(u.high)));
            }
        }
    }
    let mut text = String::new();
    for (_, label, users) in &tables {
        text.push_str(&format!(
            "prevalence table drawn once per trajectory: {label}, read by {}\n",
            users.join(", ")
        ));
    }
    if !own.is_empty() {
        text.push_str(&format!(
            "demands with their own 90% interval: {}\n",
            own.join("; ")
        ));
    }
    text
}

/// What an ensemble draws for supply: each service's delivery share and
/// attrition, with their 90% intervals.
fn uncertain_supply(model: &Model) -> String {
    let mut text = String::new();
    for s in &model.services {
        let Some(risk) = &s.supply_risk else {
            continue;
        };
        let mut parts = Vec::new();
        if let Some(d) = risk.delivery {
            parts.push(format!(
                "delivery {} of the planned additions (90%: {} ... {})",
                fmt(d.central),
                fmt(d.low),
                fmt(d.high)
            ));
        }
        if let Some(a) = risk.attrition {
            parts.push(format!(
                "attrition {} a year (90%: {} ... {}; the plan recruits for {})",
                fmt(a.rate),
                fmt(a.low),
                fmt(a.high),
                fmt(a.planned)
            ));
        }
        text.push_str(&format!(
            "supply drawn once per trajectory: {} {}\n",
            s.id,
            parts.join(", ")
        ));
    }
    text
}

/// A factor as written, without float noise.
fn fmt(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn run(args: &ValidateArgs) -> Result<()> {
    let model = model_file::load(&args.model)?;
    let mut text = format!(
        "{}: ok: {} ({}), base {} with {:.0} persons on {}, projected to {}; scenarios: {} (default {})\n",
        args.model.display(),
        model.name,
        model.name_zh.as_deref().unwrap_or("-"),
        model.base_year,
        model.base.total(),
        model.base.grid(),
        model.end_year,
        model.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        model.default_scenario,
    );
    for s in &model.scenarios {
        model.run(s)?;
    }
    text.push_str(&format!(
        "every scenario projects without error; {} service(s) with demand computed: {}\n",
        model.services.len(),
        model.service_ids()
    ));
    // Regions: each with its base, its departures and its own plan.
    for s in model.scenarios.iter().filter(|_| !model.regions.is_empty()) {
        model.run_regions(s)?;
    }
    let total = model.base.total();
    for r in &model.regions {
        let services: Vec<&str> = r.services.iter().map(|s| s.id.as_str()).collect();
        text.push_str(&format!(
            "region {}: base {:.0} persons ({:.1}%), TFR x{} and e0 {:+} years against the scenario, {:.1}% of the migration from outside; {}\n",
            r.name,
            r.base.total(),
            100.0 * r.base.total() / total,
            r.tfr_ratio,
            r.e0_difference,
            100.0 * r.migration_share,
            if services.is_empty() {
                "no plan of its own".to_string()
            } else {
                format!("its own plan: {}", services.join(", "))
            }
        ));
    }
    for f in &model.flows {
        let size = match &f.size {
            crate::regions::FlowSize::PerYear(s) => format!(
                "{:.0} persons a year",
                s.for_step(f64::from(model.base_year), 1.0)
            ),
            crate::regions::FlowSize::Rate(s) => format!(
                "{:.2}% of the origin a year",
                100.0 * s.for_step(f64::from(model.base_year), 1.0)
            ),
        };
        text.push_str(&format!(
            "flow {} -> {}: {size} (in {})\n",
            model.regions[f.from].name, model.regions[f.to].name, model.base_year
        ));
    }
    let default = model.scenario(&model.default_scenario)?;
    let first_step = default.assumptions.step_rates(model.base_year)?;
    let checks = crate::base_synthesis::BaseDiagnostics::of(
        &model.base,
        model.base_year,
        Some(&first_step),
    )?;
    for line in checks.lines(model.base.grid().width()) {
        let (head, rest) = match line.strip_prefix("warning: ") {
            Some(rest) => ("warning: ", rest),
            None => ("", line.as_str()),
        };
        text.push_str(&format!("{head}base ({} scenario): {rest}\n", default.name));
    }
    for w in model.input_warnings() {
        text.push_str(&format!("warning: {w}\n"));
    }
    let (source, _) = crate::io::text_file::read_text(&args.model, "model file")?;
    for b in crate::io::builtin::used_in(&source) {
        text.push_str(&format!(
            "built-in table {}{}: {} (data/reference/{})\n",
            crate::io::builtin::PREFIX,
            b.name,
            b.what,
            b.file
        ));
    }
    for service in &model.services {
        if let Some(crate::plan::Supply::Ratio { ratio, points, .. }) = &service.supply {
            let on = match &ratio.on {
                crate::plan::RatioPopulation::Scenario(name) => {
                    format!("scenario {name}'s projection")
                }
                crate::plan::RatioPopulation::Stated(_) => "the population the plan states".into(),
            };
            let counts: Vec<String> = points
                .iter()
                .map(|&(y, v)| {
                    format!(
                        "{y}: {} ({})",
                        crate::report::format_count(v),
                        ratio.describe(y)
                    )
                })
                .collect();
            text.push_str(&format!(
                "{} supply from its ratio on {on}: {} {}\n",
                service.id,
                counts.join(", "),
                service.unit
            ));
        }
    }
    text.push_str(&uncertain_need(&model));
    text.push_str(&uncertain_supply(&model));
    if let Some((table, _)) = &model.calibration {
        text.push_str(&format!(
            "fertility and mortality noise calibrated to the bounds in {table} (relative, by horizon)\n"
        ));
    }
    let base = &model.base_uncertainty;
    if !base.is_certain() {
        let mut parts: Vec<String> = base
            .total
            .iter()
            .map(|u| format!("total x{} ... x{}", fmt(u.low), fmt(u.high)))
            .collect();
        parts.extend(
            base.bands
                .iter()
                .map(|(ages, u)| format!("ages {ages} x{} ... x{}", fmt(u.low), fmt(u.high))),
        );
        text.push_str(&format!(
            "base drawn once per trajectory: {}\n",
            parts.join(", ")
        ));
    }
    for f in &model.flags {
        text.push_str(&format!("flagged assumption: {f}\n"));
    }
    out(&text);
    Ok(())
}
