//! Model files (TOML): the raw form serde reads, and the checks that turn it
//! into a [`Model`]. Unknown keys are rejected; every problem found is
//! reported, each with the file and the key.
//!
//! Paths inside a model file are relative to the model file's folder.
//!
//! One file per part of the model file: `schema` (the raw form serde
//! reads; private: the README documents the keys), `mortality`, `scenarios` and `services` (reading and checking
//! those sections); this module assembles the [`Model`] and collects every
//! problem found.

mod mortality;
mod plan_rows;
mod regions;
mod scenarios;
mod schema;
mod services;

use std::path::{Path, PathBuf};

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::fertility::{self, Fertility};
use crate::io::tables::{self};
use crate::model::{Model, Scenario};
use crate::path::Schedule;
use crate::projection::Assumptions;

pub use plan_rows::plan_rows;
pub use schema::Fraction;

use mortality::*;
use scenarios::*;
use schema::*;
use services::*;

/// Problems found in a model: every one, not just the first.
#[derive(Debug)]
pub struct ModelProblems {
    /// The model file.
    pub file: String,
    /// Every problem found, in file order.
    pub problems: Vec<Error>,
}

impl std::fmt::Display for ModelProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_problems(f, &self.file, "in the model", &self.problems)
    }
}

/// `<file>: N problem(s) <place>:` and one line per problem.
pub(crate) fn write_problems(
    f: &mut std::fmt::Formatter<'_>,
    file: &str,
    place: &str,
    problems: &[Error],
) -> std::fmt::Result {
    writeln!(f, "{file}: {} problem(s) {place}:", problems.len())?;
    for p in problems {
        writeln!(f, "  - {p}")?;
    }
    Ok(())
}

impl std::error::Error for ModelProblems {}

/// Parses a model file without reading the tables it names.
pub fn parse(path: &Path) -> std::result::Result<RawModel, ModelProblems> {
    let file = path.display().to_string();
    let (text, _) =
        crate::io::text_file::read_text(path, "model file").map_err(|e| ModelProblems {
            file: file.clone(),
            problems: vec![e],
        })?;
    parse_text(&text, &file)
}

/// Parses a model file's text (`file` names it in errors).
fn parse_text(text: &str, file: &str) -> std::result::Result<RawModel, ModelProblems> {
    let expected = "a model file as documented in the README";
    crate::io::parse_toml::<RawModel>(text, expected).map_err(|first| {
        // Look further than the first error: every section on its own.
        let mut problems = model_toml_problems(text, expected);
        if problems.is_empty() {
            problems.push(first);
        }
        ModelProblems {
            file: file.to_string(),
            problems,
        }
    })
}

/// The top-level sections of a model file.
const MODEL_SECTIONS: [&str; 13] = [
    "region",
    "projection",
    "base",
    "mortality",
    "fertility",
    "migration",
    "scenario",
    "populations",
    "service",
    "stated",
    "uncertainty",
    "subregion",
    "flow",
];

/// Every TOML-level problem of a model file (see [`crate::io::toml_problems`]).
fn model_toml_problems(text: &str, expected: &str) -> Vec<Error> {
    use crate::io::{toml_check, toml_check_each};
    use schema::*;
    let check = |key: &str, v: toml::Spanned<toml::de::DeValue<'_>>| {
        Some(match key {
            "region" => toml_check::<RawRegion>(v),
            "projection" => toml_check::<RawProjection>(v),
            "base" => toml_check::<RawBase>(v),
            "mortality" => toml_check::<RawMortality>(v),
            "fertility" => toml_check::<RawFertility>(v),
            "migration" => toml_check::<RawMigration>(v),
            "populations" => toml_check::<std::collections::BTreeMap<String, String>>(v),
            "uncertainty" => toml_check::<RawUncertainty>(v),
            "scenario" => toml_check_each::<RawScenario>(v),
            "service" => toml_check_each::<RawService>(v),
            "stated" => toml_check_each::<RawStated>(v),
            "subregion" => toml_check_each::<RawSubregion>(v),
            "flow" => toml_check_each::<RawFlow>(v),
            _ => return None,
        })
    };
    crate::io::toml_problems(
        text,
        expected,
        &check,
        &MODEL_SECTIONS,
        &["region", "projection", "base", "mortality", "fertility"],
    )
}

/// Reads, checks and builds a model; all problems are collected.
pub fn load(path: &Path) -> std::result::Result<Model, ModelProblems> {
    let raw = parse(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    build(raw, dir, path.display().to_string())
}

/// Checks and builds a model from a model file's text, as if it were the
/// file `file` in folder `dir` (its paths are relative to `dir`): used to
/// check a model before it is written.
pub fn load_text(text: &str, dir: &Path, file: &str) -> std::result::Result<Model, ModelProblems> {
    build(parse_text(text, file)?, dir.to_path_buf(), file.to_string())
}

/// Checks and builds a parsed model.
fn build(raw: RawModel, dir: PathBuf, file: String) -> std::result::Result<Model, ModelProblems> {
    let mut problems = Vec::new();
    let mut note = |key: &str, e: Error| problems.push(e.context(format!("[{key}]")));

    let rel = |p: &str| -> PathBuf { crate::io::builtin::resolve(&dir, p) };
    let p = &raw.projection;
    let grid = match AgeGrid::new(p.step, p.open_age) {
        Ok(g) => Some(g),
        Err(e) => {
            note("projection", e);
            None
        }
    };
    if p.end_year <= p.base_year || (p.end_year - p.base_year) % p.step.max(1) as i32 != 0 {
        note(
            "projection",
            Error::invalid(
                "end_year",
                p.end_year,
                format!(
                    "a year after base_year {} by a whole number of steps",
                    p.base_year
                ),
            ),
        );
    }
    let key_years: Vec<i32> = match &p.key_years {
        Some(years) => {
            let sorted = years.windows(2).all(|w| w[0] < w[1]);
            if let Some(y) = years
                .iter()
                .find(|y| !(p.base_year..=p.end_year).contains(y))
            {
                note(
                    "projection",
                    Error::invalid(
                        "key_years",
                        y,
                        format!("years from {} to {}", p.base_year, p.end_year),
                    ),
                );
            } else if years.is_empty() || !sorted {
                note(
                    "projection",
                    Error::invalid(
                        "key_years",
                        format!("{years:?}"),
                        "at least one year, in ascending order",
                    ),
                );
            }
            years.clone()
        }
        None => crate::model::DEFAULT_KEY_YEARS
            .into_iter()
            .filter(|y| (p.base_year..=p.end_year).contains(y))
            .collect(),
    };
    if !raw.scenarios.iter().any(|s| s.name == p.default_scenario) {
        note(
            "projection",
            Error::invalid(
                "default_scenario",
                format!("{:?}", p.default_scenario),
                "the name of a [[scenario]]",
            ),
        );
    }
    for (i, s) in raw.scenarios.iter().enumerate() {
        if raw.scenarios[..i].iter().any(|o| o.name == s.name)
            || s.name == "all"
            || s.name.is_empty()
        {
            note(
                "scenario",
                Error::invalid(
                    "name",
                    format!("{:?}", s.name),
                    "unique, non-empty names other than \"all\"",
                ),
            );
        }
    }
    if raw.scenarios.is_empty() {
        note(
            "scenario",
            Error::invalid("scenarios", "none", "at least one [[scenario]]"),
        );
    }

    let base = grid.and_then(|g| {
        tables::read_population(
            &rel(&raw.base.population),
            &raw.base.value_column,
            g.open_age(),
            raw.base.year,
        )
        .and_then(|pop| {
            if pop.grid() != g {
                Err(Error::invalid(
                    "population",
                    format!("a table on {}", pop.grid()),
                    format!("ages matching step = {} ({g})", g.width()),
                ))
            } else {
                Ok(pop)
            }
        })
        .map_err(|e| note("base", e))
        .ok()
    });

    let (flags, flags_zh) = (raw.region.flags.len(), raw.region.flags_zh.len());
    if flags_zh > 0 && flags_zh != flags {
        note(
            "region",
            Error::invalid(
                "flags_zh",
                format!("{flags_zh} flag(s)"),
                format!("one Chinese flag per flag, in the same order ({flags})"),
            ),
        );
    }
    let scenarios = read_scenarios(&raw, &rel, grid, &mut note);
    let mut services = grid
        .map(|g| read_services(&raw, None, &rel, g, &mut |key, e| note(key, e)))
        .unwrap_or_default();
    let mut stated = Vec::new();
    for (i, st) in raw.stated.iter().enumerate() {
        let key = format!("stated[{}]", i + 1);
        match crate::model::StatedFigure::new(&st.indicator, st.year, st.value, &st.source) {
            Ok(f) => stated.push(f),
            Err(e) => note(&key, e),
        }
    }
    let base_uncertainty = match read_base_uncertainty(&raw.base) {
        Ok(u) => u,
        Err(e) => {
            note("base", e);
            crate::model::BaseUncertainty::default()
        }
    };
    let migration_sd = raw.uncertainty.as_ref().and_then(|u| u.migration_sd);
    let calibration = match raw
        .uncertainty
        .as_ref()
        .and_then(|u| u.calibration.as_ref())
    {
        None => None,
        Some(table) => {
            let path = rel(table);
            match read_calibration_table(&path) {
                Ok(c) => Some((path.display().to_string(), c)),
                Err(e) => {
                    note("uncertainty calibration", e);
                    None
                }
            }
        }
    };
    if let Some(sd) = migration_sd.filter(|sd| !(sd.is_finite() && *sd >= 0.0)) {
        note(
            "uncertainty",
            Error::invalid("migration_sd", sd, "persons a year, a number >= 0"),
        );
    }
    let (mut regions, flows) = match (&base, grid) {
        (Some(b), Some(g)) => regions::read_regions(&raw, b, g, &rel, &mut note),
        _ => (Vec::new(), Vec::new()),
    };
    if let Some(g) = grid {
        for r in regions.iter_mut() {
            r.services = read_services(&raw, Some(&r.name), &rel, g, &mut |key, e| note(key, e));
        }
    }
    for s in &raw.services {
        if let Some(name) = &s.region {
            if !raw.subregions.iter().any(|r| &r.name == name) {
                note(
                    &format!("service {}", s.id),
                    Error::invalid(
                        "region",
                        format!("{name:?}, no such region"),
                        if raw.subregions.is_empty() {
                            "no region: the model has no [[subregion]]s".to_string()
                        } else {
                            format!(
                                "one of the [[subregion]]s: {}",
                                raw.subregions
                                    .iter()
                                    .map(|r| format!("{:?}", r.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        },
                    ),
                );
            }
        }
    }
    if let Some(b) = &base {
        let years = (raw.projection.base_year, raw.projection.end_year);
        let default = &raw.projection.default_scenario;
        // A ratio supply is resolved on the model's own projection (with
        // regions: their sum); a region's, on the region's. Each scenario's
        // regions are projected once for all of them.
        let mut own: Vec<Vec<crate::standards::Service>> = regions
            .iter_mut()
            .map(|r| std::mem::take(&mut r.services))
            .collect();
        let cache =
            std::cell::RefCell::new(Vec::<(String, crate::regions::RegionalProjection)>::new());
        let regional = |s: &crate::model::Scenario| -> Result<crate::regions::RegionalProjection> {
            if let Some((_, p)) = cache.borrow().iter().find(|c| c.0 == s.name) {
                return Ok(p.clone());
            }
            let p =
                crate::regions::project_specs(&regions, &flows, &s.assumptions, years.0, years.1)?;
            cache.borrow_mut().push((s.name.clone(), p.clone()));
            Ok(p)
        };
        let project = |s: &crate::model::Scenario| -> Result<crate::projection::Projection> {
            if regions.is_empty() {
                return crate::projection::project(b, years.0, years.1, &s.assumptions);
            }
            Ok(regional(s)?.parent)
        };
        for (id, e) in
            services::resolve_ratio_supplies(&mut services, &project, default, &scenarios)
        {
            note(&format!("service {id} supply"), e);
        }
        for (k, services) in own.iter_mut().enumerate() {
            let project_region =
                |s: &crate::model::Scenario| -> Result<crate::projection::Projection> {
                    Ok(regional(s)?.regions.swap_remove(k))
                };
            for (id, e) in
                services::resolve_ratio_supplies(services, &project_region, default, &scenarios)
            {
                note(
                    &format!("subregion {} service {id} supply", regions[k].name),
                    e,
                );
            }
        }
        for (r, services) in regions.iter_mut().zip(own) {
            r.services = services;
        }
    }
    match base {
        Some(base) if problems.is_empty() => Ok(Model {
            name: raw.region.name,
            name_zh: raw.region.name_zh,
            flags: raw.region.flags,
            flags_zh: raw.region.flags_zh,
            base_year: raw.projection.base_year,
            end_year: raw.projection.end_year,
            key_years,
            base,
            scenarios,
            default_scenario: raw.projection.default_scenario,
            services,
            stated,
            base_uncertainty,
            migration_noise: migration_sd
                .filter(|&sd| sd > 0.0)
                .map(|sd| crate::ensemble::MigrationNoise { sd }),
            calibration,
            regions,
            flows,
        }),
        _ => Err(ModelProblems { file, problems }),
    }
}

/// A model's projection grid and scenarios, read without its base (for
/// `synthesize`, which builds the base).
#[derive(Debug, Clone)]
pub struct ModelScenarios {
    /// `[projection] base_year`.
    pub base_year: i32,
    /// The projection's age grid.
    pub grid: AgeGrid,
    /// `[projection] default_scenario`.
    pub default_scenario: String,
    /// Every scenario.
    pub scenarios: Vec<Scenario>,
}

impl ModelScenarios {
    /// The scenario named `name`, or the default one.
    pub fn scenario(&self, name: Option<&str>) -> Result<&Scenario> {
        let wanted = name.unwrap_or(&self.default_scenario);
        self.scenarios
            .iter()
            .find(|s| s.name == wanted)
            .ok_or_else(|| {
                Error::invalid(
                    "scenario",
                    format!("{wanted:?}"),
                    format!(
                        "one of the model's scenarios: {}",
                        self.scenarios
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

/// Reads a model's projection grid and scenarios; its base is not read.
pub fn load_scenarios(path: &Path) -> std::result::Result<ModelScenarios, ModelProblems> {
    let raw = parse(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    build_scenarios(raw, dir, path.display().to_string())
}

/// [`load_scenarios`] of a model file's text, as if it were the file
/// `file` in folder `dir`.
pub fn load_scenarios_text(
    text: &str,
    dir: &Path,
    file: &str,
) -> std::result::Result<ModelScenarios, ModelProblems> {
    build_scenarios(parse_text(text, file)?, dir.to_path_buf(), file.to_string())
}

fn build_scenarios(
    raw: RawModel,
    dir: PathBuf,
    file: String,
) -> std::result::Result<ModelScenarios, ModelProblems> {
    let mut problems = Vec::new();
    let mut note = |key: &str, e: Error| problems.push(e.context(format!("[{key}]")));
    let rel = |p: &str| -> PathBuf { crate::io::builtin::resolve(&dir, p) };
    let p = &raw.projection;
    let grid = AgeGrid::new(p.step, p.open_age)
        .map_err(|e| note("projection", e))
        .ok();
    let scenarios = read_scenarios(&raw, &rel, grid, &mut note);
    match grid {
        Some(grid) if problems.is_empty() => Ok(ModelScenarios {
            base_year: p.base_year,
            grid,
            default_scenario: p.default_scenario.clone(),
            scenarios,
        }),
        _ => Err(ModelProblems { file, problems }),
    }
}

/// The scenarios of a model (fertility, mortality and migration read and
/// checked); problems go to `note`.
fn read_scenarios(
    raw: &RawModel,
    rel: &dyn Fn(&str) -> PathBuf,
    grid: Option<AgeGrid>,
    note: &mut dyn FnMut(&str, Error),
) -> Vec<Scenario> {
    let srb = raw.fertility.srb.to_path("srb").and_then(|path| {
        let (lo, hi) = path.range();
        fertility::check_srb("srb", lo)?;
        fertility::check_srb("srb", hi)?;
        Ok(path)
    });
    let srb = srb.map_err(|e| note("fertility", e)).ok();
    let pattern = grid.and_then(|g| {
        read_pattern(&rel(&raw.fertility.pattern), g)
            .map_err(|e| note("fertility", e))
            .ok()
    });

    let mortality_base = grid.and_then(|g| {
        read_mortality(
            &raw.mortality,
            rel,
            g,
            srb.as_ref()
                .map(|p| p.at(f64::from(raw.projection.base_year)))
                .unwrap_or(1.05),
        )
        .map_err(|e| note("mortality", e))
        .ok()
    });

    let migration = grid.and_then(|g| {
        read_migration(raw.migration.as_ref(), rel, g, None)
            .map_err(|e| note("migration", e))
            .ok()
    });

    let mut scenarios = Vec::new();
    if let (Some(g), Some(pattern), Some(srb), Some(mortality), Some(migration)) =
        (grid, &pattern, &srb, &mortality_base, &migration)
    {
        for s in &raw.scenarios {
            let key = format!("scenario {}", s.name);
            let built = (|| -> Result<Scenario> {
                let tfr = s.tfr.to_path("tfr")?;
                let fertility = Fertility::new(
                    Schedule::Path(tfr),
                    pattern.clone(),
                    Schedule::Path(srb.clone()),
                )?;
                let mortality = match (&s.e0, mortality) {
                    (
                        Some(e0),
                        MortalityPlan::Brass {
                            standard,
                            gap,
                            srb0,
                            ..
                        },
                    ) => brass_mortality(standard.clone(), &e0.to_path("e0")?, *gap, *srb0)?,
                    (Some(_), MortalityPlan::Fixed(_)) => {
                        return Err(Error::invalid(
                            "e0",
                            "an e0 path",
                            "mortality method = \"brass\" to move e0",
                        ))
                    }
                    (None, plan) => plan.mortality(),
                };
                let migration = match &s.net_migration_per_year {
                    Some(spec) => read_migration(raw.migration.as_ref(), rel, g, Some(spec))?,
                    None => migration.clone(),
                };
                Ok(Scenario {
                    name: s.name.clone(),
                    label: s.label.clone().unwrap_or_else(|| s.name.clone()),
                    label_zh: s.label_zh.clone(),
                    assumptions: Assumptions::new(g, mortality, fertility, migration)?,
                })
            })();
            match built {
                Ok(sc) => scenarios.push(sc),
                Err(e) => note(&key, e),
            }
        }
    }
    scenarios
}

/// Published bounds `quantity,start,end,l95,l80,median,u80,u95` (quantity
/// `tfr`, `e0_male`, `e0_female`, one row per 5-year period) as a
/// calibration with the default persistence.
pub fn read_calibration_table(path: &Path) -> Result<crate::ensemble::Calibration> {
    use crate::ensemble::PeriodBounds;
    let t = tables::read_text_table(path)?;
    let names = [
        "quantity", "start", "end", "l95", "l80", "median", "u80", "u95",
    ];
    t.only_columns(&names)?;
    let cols = names
        .iter()
        .map(|n| t.require(n))
        .collect::<Result<Vec<_>>>()?;
    let (mut tfr, mut male, mut female) = (Vec::new(), Vec::new(), Vec::new());
    for row in 0..t.height() {
        let mut values = [0.0; 5];
        for (v, &c) in values.iter_mut().zip(&cols[3..]) {
            *v = t.number(row, c)?;
        }
        let bounds = PeriodBounds {
            start: t.number(row, cols[1])?,
            end: t.number(row, cols[2])?,
            values,
        };
        match t.text(row, cols[0])? {
            "tfr" => tfr.push(bounds),
            "e0_male" => male.push(bounds),
            "e0_female" => female.push(bounds),
            other => {
                return Err(Error::invalid(
                    format!("{}: row {}, quantity", t.file(), row + 2),
                    format!("{other:?}"),
                    "tfr, e0_male or e0_female",
                ))
            }
        }
    }
    let tfr_persistence = crate::ensemble::calibration::DEFAULT_TFR_PERSISTENCE;
    let calibration = crate::ensemble::Calibration {
        tfr,
        e0: [male, female],
        tfr_persistence,
    };
    calibration
        .check()
        .map_err(|e| e.context(t.file().to_string()))?;
    Ok(calibration)
}

/// The base's `total_90` and `structure_90` intervals.
fn read_base_uncertainty(raw: &RawBase) -> Result<crate::model::BaseUncertainty> {
    let interval = |[low, high]: [f64; 2]| crate::standards::FactorInterval { low, high };
    let mut bands = Vec::new();
    for (i, b) in raw.structure_90.iter().enumerate() {
        let ages = crate::age_grid::AgeRange::parse(&b.ages)
            .map_err(|e| e.context(format!("structure_90[{}]", i + 1)))?;
        bands.push((ages, interval(b.factor_90)));
    }
    let u = crate::model::BaseUncertainty {
        total: raw.total_90.map(interval),
        bands,
    };
    u.check()?;
    Ok(u)
}
