//! A model file as the rows of a plan workbook (`carecast template --from`):
//! every key the model sets, in the long form the workbook's sheets take
//! (see [`crate::io::plan_workbook`]). Nothing is checked here beyond the
//! parse; the workbook is checked when it is imported.

use std::path::Path;

use super::schema::*;
use super::ModelProblems;
use crate::io::plan_workbook::{CellValue, PlanRows};

fn num(v: f64) -> CellValue {
    CellValue::Number(v)
}

fn text(s: &str) -> CellValue {
    CellValue::Text(s.to_string())
}

/// `[year, value]` rows of a path (one row without a year for a constant).
fn path_rows(p: &PathSpec) -> Vec<(Option<f64>, CellValue)> {
    match p {
        PathSpec::Constant(v) => vec![(None, num(*v))],
        PathSpec::Points(points) => points.iter().map(|&(y, v)| (Some(y), num(v))).collect(),
    }
}

fn fraction_rows(p: &FractionSpec) -> Vec<(Option<f64>, CellValue)> {
    match p {
        FractionSpec::Constant(v) => vec![(None, num(v.value()))],
        FractionSpec::Points(points) => points
            .iter()
            .map(|&(y, v)| (Some(y), num(v.value())))
            .collect(),
    }
}

/// The rows of the model file at `path`; `table` turns a table path as the
/// model writes it (relative to the model's folder) into the path the
/// workbook writes.
pub fn plan_rows(
    path: &Path,
    table: &dyn Fn(&str) -> String,
) -> std::result::Result<PlanRows, ModelProblems> {
    let raw = super::parse(path)?;
    let mut rows = PlanRows::default();
    for r in &raw.subregions {
        let opt = |v: Option<f64>| v.map_or(text(""), num);
        let population = if r.population.trim() == super::regions::REMAINDER {
            r.population.clone()
        } else {
            table(&r.population)
        };
        rows.regions.push([
            text(&r.name),
            text(r.name_zh.as_deref().unwrap_or("")),
            text(r.label.as_deref().unwrap_or("")),
            text(&population),
            opt(r.tfr_ratio),
            opt(r.e0_difference),
            opt(r.migration_share.map(|m| m.value())),
        ]);
    }
    for f in &raw.flows {
        let mut put = |key: &str, y: Option<f64>, v: CellValue| {
            rows.flows
                .push((f.from.clone(), f.to.clone(), key.to_string(), y, v));
        };
        for (y, v) in f.per_year.as_ref().map(path_rows).unwrap_or_default() {
            put("per_year", y, v);
        }
        for (y, v) in f.rate.as_ref().map(fraction_rows).unwrap_or_default() {
            put("rate", y, v);
        }
        if let Some(m) = f.male_share {
            put("male_share", None, num(m.value()));
        }
    }
    let mut set = |key: &str, v: CellValue| rows.settings.push((key.to_string(), v));
    set("region.name", text(&raw.region.name));
    if let Some(z) = &raw.region.name_zh {
        set("region.name_zh", text(z));
    }
    let p = &raw.projection;
    set("projection.base_year", num(f64::from(p.base_year)));
    set("projection.end_year", num(f64::from(p.end_year)));
    set("projection.step", num(f64::from(p.step)));
    set("projection.open_age", num(f64::from(p.open_age)));
    set("projection.default_scenario", text(&p.default_scenario));
    if let Some(years) = &p.key_years {
        let list: Vec<String> = years.iter().map(i32::to_string).collect();
        set("projection.key_years", text(&list.join(", ")));
    }
    let b = &raw.base;
    set("base.population", text(&table(&b.population)));
    if b.value_column != "population" {
        set("base.value_column", text(&b.value_column));
    }
    if let Some(y) = b.year {
        set("base.year", num(f64::from(y)));
    }
    if let Some([lo, hi]) = b.total_90 {
        set("base.total_90_low", num(lo));
        set("base.total_90_high", num(hi));
    }
    let m = &raw.mortality;
    set(
        "mortality.method",
        text(match m.method {
            MortalityMethod::Brass => "brass",
            MortalityMethod::Table => "table",
        }),
    );
    if let Some(s) = &m.standard {
        set("mortality.standard", text(&table(s)));
    }
    if let Some(s) = &m.table {
        set("mortality.table", text(&table(s)));
    }
    if let Some(g) = m.sex_gap {
        set("mortality.sex_gap", num(g));
    }
    set("fertility.pattern", text(&table(&raw.fertility.pattern)));
    if let Some(mig) = &raw.migration {
        set("migration.male_share", num(mig.male_share));
        if let Some(c) = &mig.counts {
            set("migration.counts", text(&table(c)));
        }
        if let Some(s) = &mig.schedule {
            for (k, v) in [
                ("a1", s.a1),
                ("alpha1", s.alpha1),
                ("a2", s.a2),
                ("alpha2", s.alpha2),
                ("mu2", s.mu2),
                ("lambda2", s.lambda2),
                ("c", s.c),
            ] {
                set(&format!("migration.schedule.{k}"), num(v));
            }
        }
    }
    if let Some(u) = &raw.uncertainty {
        if let Some(sd) = u.migration_sd {
            set("uncertainty.migration_sd", num(sd));
        }
        if let Some(c) = &u.calibration {
            set("uncertainty.calibration", text(&table(c)));
        }
    }

    let mut series = |name: &str, p: &PathSpec| {
        for (y, v) in path_rows(p) {
            rows.paths.push((name.to_string(), y, v));
        }
    };
    for (name, p) in [
        ("mortality.e0", &m.e0),
        ("mortality.e0_male", &m.e0_male),
        ("mortality.e0_female", &m.e0_female),
    ] {
        if let Some(p) = p {
            series(name, p);
        }
    }
    series("fertility.srb", &raw.fertility.srb);
    if let Some(p) = raw.migration.as_ref().and_then(|m| m.net_per_year.as_ref()) {
        series("migration.net_per_year", p);
    }

    for s in &raw.scenarios {
        let mut put = |key: &str, y: Option<f64>, v: CellValue| {
            rows.scenarios.push((s.name.clone(), key.to_string(), y, v));
        };
        if let Some(l) = &s.label {
            put("label", None, text(l));
        }
        if let Some(l) = &s.label_zh {
            put("label_zh", None, text(l));
        }
        for (key, p) in [
            ("tfr", Some(&s.tfr)),
            ("e0", s.e0.as_ref()),
            ("net_migration_per_year", s.net_migration_per_year.as_ref()),
        ] {
            for (y, v) in p.map(path_rows).unwrap_or_default() {
                put(key, y, v);
            }
        }
    }

    for (name, ages) in &raw.populations {
        rows.populations.push((name.clone(), ages.clone()));
    }

    for s in &raw.services {
        rows.services.push([
            s.id.clone(),
            s.label.clone(),
            s.label_zh.clone().unwrap_or_default(),
            s.unit.clone(),
            s.region.clone().unwrap_or_default(),
        ]);
        // A region's service is `region:id` on the demands and supply sheets.
        let sid = match &s.region {
            Some(r) => format!("{r}:{}", s.id),
            None => s.id.clone(),
        };
        for d in &s.demands {
            let mut put = |key: &str, y: Option<f64>, v: CellValue| {
                rows.demands
                    .push((sid.clone(), d.name.clone(), key.to_string(), y, v));
            };
            put(
                "method",
                None,
                text(match d.method {
                    DemandKind::Ratio => "ratio",
                    DemandKind::Share => "share",
                    DemandKind::Need => "need",
                    DemandKind::Absolute => "absolute",
                }),
            );
            for (key, v) in [("base", &d.base), ("of", &d.of)] {
                if let Some(v) = v {
                    put(key, None, text(v));
                }
            }
            if let Some(p) = &d.prevalence {
                put("prevalence", None, text(&table(p)));
            }
            for (key, p) in [
                ("per_1000", &d.per_1000),
                ("per_10000", &d.per_10000),
                ("value", &d.value),
            ] {
                for (y, v) in p.as_ref().map(path_rows).unwrap_or_default() {
                    put(key, y, v);
                }
            }
            for (key, p) in [("fraction", &d.fraction), ("use_rate", &d.use_rate)] {
                for (y, v) in p.as_ref().map(fraction_rows).unwrap_or_default() {
                    put(key, y, v);
                }
            }
            if let Some(u) = d.per_user {
                put("per_user", None, num(u));
            }
            if let Some([lo, hi]) = d.uncertainty_90 {
                put("uncertainty_90_low", None, num(lo));
                put("uncertainty_90_high", None, num(hi));
            }
        }
        let Some(sup) = &s.supply else { continue };
        let mut put = |key: &str, y: Option<f64>, v: CellValue| {
            rows.supply.push((sid.clone(), key.to_string(), y, v));
        };
        for &(y, v) in sup.points.iter().flatten() {
            put("count", Some(y), num(v));
        }
        for &(y, v) in sup.population.iter().flatten() {
            put("population", Some(y), num(v));
        }
        if let Some(i) = sup.interpolation {
            put(
                "interpolation",
                None,
                text(match i {
                    RawInterpolation::Linear => "linear",
                    RawInterpolation::Step => "step",
                }),
            );
        }
        if let Some(u) = sup.unknown {
            put("unknown", None, text(if u { "true" } else { "false" }));
        }
        for (key, v) in [("base", &sup.base), ("on_scenario", &sup.on_scenario)] {
            if let Some(v) = v {
                put(key, None, text(v));
            }
        }
        for (key, p) in [("per_1000", &sup.per_1000), ("per_10000", &sup.per_10000)] {
            for (y, v) in p.as_ref().map(path_rows).unwrap_or_default() {
                put(key, y, v);
            }
        }
        for (key, f) in [
            ("delivery", sup.delivery),
            ("attrition", sup.attrition),
            ("planned_attrition", sup.planned_attrition),
        ] {
            if let Some(f) = f {
                put(key, None, num(f.value()));
            }
        }
        for (key, pair) in [
            ("delivery_90", sup.delivery_90),
            ("attrition_90", sup.attrition_90),
        ] {
            if let Some([lo, hi]) = pair {
                put(&format!("{key}_low"), None, num(lo.value()));
                put(&format!("{key}_high"), None, num(hi.value()));
            }
        }
        if let Some(m) = sup.max_build_per_year {
            put("max_build_per_year", None, num(m));
        }
        if let Some(b) = &sup.build_rate {
            put("build_rate_year", None, num(b.year));
            put("build_rate_stock", None, num(b.stock));
            put("build_rate_per_year", None, num(b.per_year));
        }
    }

    for s in &raw.stated {
        rows.stated
            .push((s.indicator.clone(), s.year, s.value, s.source.clone()));
    }
    let n = raw.region.flags.len().max(raw.region.flags_zh.len());
    for i in 0..n {
        let get = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
        rows.flags
            .push((get(&raw.region.flags), get(&raw.region.flags_zh)));
    }
    for f in &raw.base.structure_90 {
        rows.base_structure
            .push((f.ages.clone(), f.factor_90[0], f.factor_90[1]));
    }
    Ok(rows)
}
