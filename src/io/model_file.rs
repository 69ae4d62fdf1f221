//! Model files (TOML): the raw form serde reads, and the checks that turn it
//! into a [`Model`]. Unknown keys are rejected; every problem found is
//! reported, each with the file and the key.
//!
//! Paths inside a model file are relative to the model file's folder.

use std::path::{Path, PathBuf};

use ndarray::Array1;
use serde::Deserialize;

use crate::age_grid::{AgeGrid, AgeRange};
use crate::error::{Error, Result};
use crate::fertility::{self, Fertility};
use crate::graduation;
use crate::io::tables::{self, read_text_table};
use crate::life_table::{self, LifeTable, OpenAgeClosure};
use crate::migration::{Migration, RogersCastro};
use crate::model::{Model, Scenario};
use crate::mortality::Mortality;
use crate::path::{PeriodSeries, Schedule, YearPath};
use crate::plan::{Interpolation, Supply};
use crate::population::Sex;
use crate::projection::Assumptions;
use crate::standards::{Demand, DemandMethod, FactorInterval, Rate, Service};

/// A value that is constant or given by `[year, value]` points.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PathSpec {
    Constant(f64),
    Points(Vec<(f64, f64)>),
}

impl PathSpec {
    fn to_path(&self, key: &str) -> Result<YearPath> {
        match self {
            PathSpec::Constant(v) => YearPath::new(key, vec![(0.0, *v)]),
            PathSpec::Points(p) => YearPath::new(key, p.clone()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub region: RawRegion,
    pub projection: RawProjection,
    pub base: RawBase,
    pub mortality: RawMortality,
    pub fertility: RawFertility,
    #[serde(default)]
    pub migration: Option<RawMigration>,
    #[serde(rename = "scenario", default)]
    pub scenarios: Vec<RawScenario>,
    /// Named population bases, e.g. `elderly = "60+"`; see [`DEFAULT_BASES`].
    #[serde(default)]
    pub populations: std::collections::BTreeMap<String, String>,
    #[serde(rename = "service", default)]
    pub services: Vec<RawService>,
    /// Figures the plan itself states (marked on the report's charts).
    #[serde(rename = "stated", default)]
    pub stated: Vec<RawStated>,
}

/// `[[stated]]`: a figure the plan or a census states, e.g. the share aged
/// 60+ in the base year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStated {
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    #[serde(default)]
    pub source: String,
}

/// Population bases every model knows unless it redefines them.
pub const DEFAULT_BASES: [(&str, &str); 3] = [
    ("elderly", "60+"),
    ("residents", "0+"),
    ("under_three", "0-2"),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub label_zh: Option<String>,
    /// "beds", "persons", "places", "m2".
    pub unit: String,
    #[serde(rename = "demand", default)]
    pub demands: Vec<RawDemand>,
    #[serde(default)]
    pub supply: Option<RawSupply>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum DemandKind {
    Ratio,
    Share,
    Need,
    Absolute,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    pub name: String,
    pub method: DemandKind,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub per_1000: Option<PathSpec>,
    #[serde(default)]
    pub per_10000: Option<PathSpec>,
    #[serde(default)]
    pub fraction: Option<PathSpec>,
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub prevalence: Option<String>,
    #[serde(default)]
    pub use_rate: Option<PathSpec>,
    #[serde(default)]
    pub per_user: Option<f64>,
    #[serde(default)]
    pub value: Option<PathSpec>,
    /// 90% interval of a factor on this demand (standards uncertainty).
    #[serde(default)]
    pub uncertainty_90: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum RawInterpolation {
    Linear,
    Step,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupply {
    #[serde(default)]
    pub points: Option<Vec<(f64, f64)>>,
    #[serde(default)]
    pub interpolation: Option<RawInterpolation>,
    #[serde(default)]
    pub build_rate: Option<RawBuildRate>,
    /// The plan states no supply for this service.
    #[serde(default)]
    pub unknown: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuildRate {
    pub year: f64,
    pub stock: f64,
    pub per_year: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub name: String,
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProjection {
    pub base_year: i32,
    pub end_year: i32,
    #[serde(default = "default_step")]
    pub step: u32,
    #[serde(default = "default_open_age")]
    pub open_age: u32,
    pub default_scenario: String,
    /// Years the plan is judged in [default: 2025, 2030, 2035 within the horizon].
    #[serde(default)]
    pub key_years: Option<Vec<i32>>,
}

fn default_step() -> u32 {
    1
}
fn default_open_age() -> u32 {
    AgeGrid::DEFAULT_OPEN_AGE
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBase {
    /// Table `sex,age,<value_column>` (optional `year`).
    pub population: String,
    #[serde(default = "default_population_column")]
    pub value_column: String,
    #[serde(default)]
    pub year: Option<i32>,
}

fn default_population_column() -> String {
    "population".into()
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum MortalityMethod {
    /// A standard schedule moved to e0 targets (Brass relational logit).
    Brass,
    /// mx by period from a table.
    Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMortality {
    pub method: MortalityMethod,
    /// `sex,age,mx` (abridged 0,1,5,... or single years); with `table`, an
    /// optional `year` column gives each period's first year.
    #[serde(default)]
    pub standard: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    /// Both-sexes e0 path; split by `sex_gap` (female minus male, years).
    #[serde(default)]
    pub e0: Option<PathSpec>,
    #[serde(default)]
    pub sex_gap: Option<f64>,
    #[serde(default)]
    pub e0_male: Option<PathSpec>,
    #[serde(default)]
    pub e0_female: Option<PathSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFertility {
    /// `age,percent_asfr` by 5-year group of mother.
    pub pattern: String,
    /// Sex ratio at birth, males per female.
    pub srb: PathSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMigration {
    /// Net migrants per year (persons), spread by the Rogers-Castro schedule.
    #[serde(default)]
    pub net_per_year: Option<PathSpec>,
    #[serde(default = "half")]
    pub male_share: f64,
    #[serde(default)]
    pub schedule: Option<RogersCastro>,
    /// Or a table `sex,age,net_per_year`.
    #[serde(default)]
    pub counts: Option<String>,
}

fn half() -> f64 {
    0.5
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The label in Chinese, for reports.
    #[serde(default)]
    pub label_zh: Option<String>,
    pub tfr: PathSpec,
    #[serde(default)]
    pub e0: Option<PathSpec>,
    #[serde(default)]
    pub net_migration_per_year: Option<PathSpec>,
}

/// Problems found in a model: every one, not just the first.
#[derive(Debug)]
pub struct ModelProblems {
    pub file: String,
    pub problems: Vec<Error>,
}

impl std::fmt::Display for ModelProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: {} problem(s) in the model:",
            self.file,
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelProblems {}

/// Parses a model file without reading the tables it names.
pub fn parse(path: &Path) -> std::result::Result<RawModel, ModelProblems> {
    let file = path.display().to_string();
    let fail = |e: Error| ModelProblems {
        file: file.clone(),
        problems: vec![e],
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(Error::io(&file, format!("cannot read the model file: {e}"))))?;
    toml::from_str::<RawModel>(&text).map_err(|e| {
        let msg = e.message().to_string();
        let loc = e
            .span()
            .map(|s| {
                let line = text[..s.start].matches('\n').count() + 1;
                let col = s.start - text[..s.start].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                format!("line {line}, column {col}")
            })
            .unwrap_or_default();
        fail(Error::invalid(
            format!("TOML {loc}"),
            msg,
            "a model file as documented in the README",
        ))
    })
}

/// Reads, checks and builds a model; all problems are collected.
pub fn load(path: &Path) -> std::result::Result<Model, ModelProblems> {
    let raw = parse(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = path.display().to_string();
    let mut problems = Vec::new();
    let mut note = |key: &str, e: Error| problems.push(e.context(format!("[{key}]")));

    let rel = |p: &str| -> PathBuf { dir.join(p) };
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
            &rel,
            g,
            srb.as_ref()
                .map(|p| p.at(f64::from(raw.projection.base_year)))
                .unwrap_or(1.05),
        )
        .map_err(|e| note("mortality", e))
        .ok()
    });

    let migration = grid.and_then(|g| {
        read_migration(raw.migration.as_ref(), &rel, g, None)
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
                    Some(spec) => read_migration(raw.migration.as_ref(), &rel, g, Some(spec))?,
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
    let services = grid
        .map(|g| read_services(&raw, &rel, g, &mut |key, e| note(key, e)))
        .unwrap_or_default();
    let mut stated = Vec::new();
    for (i, st) in raw.stated.iter().enumerate() {
        let key = format!("stated[{}]", i + 1);
        match crate::model::StatedFigure::new(&st.indicator, st.year, st.value, &st.source) {
            Ok(f) => stated.push(f),
            Err(e) => note(&key, e),
        }
    }
    match base {
        Some(base) if problems.is_empty() => Ok(Model {
            name: raw.region.name,
            name_zh: raw.region.name_zh,
            flags: raw.region.flags,
            base_year: raw.projection.base_year,
            end_year: raw.projection.end_year,
            key_years,
            base,
            scenarios,
            default_scenario: raw.projection.default_scenario,
            services,
            stated,
        }),
        _ => Err(ModelProblems { file, problems }),
    }
}

/// The fertility pattern on the grid.
fn read_pattern(path: &Path, grid: AgeGrid) -> Result<PeriodSeries> {
    let table = read_text_table(path)?;
    let age_col = table.require("age")?;
    let pct_col = table.require("percent_asfr")?;
    let mut rows = Vec::new();
    for r in 0..table.height() {
        rows.push((table.age(r, age_col)?, table.non_negative(r, pct_col)?));
    }
    rows.sort_by_key(|r| r.0);
    let first = rows.first().map(|r| r.0).unwrap_or(15);
    for (k, (age, _)) in rows.iter().enumerate() {
        if *age != first + 5 * k as u32 {
            return Err(Error::invalid(
                format!("{}: ages", table.file()),
                format!("age {age}"),
                format!(
                    "consecutive 5-year groups from {first} ({})",
                    first + 5 * k as u32
                ),
            ));
        }
    }
    let pct: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let shares = fertility::pattern_shares(grid, &pct, first)
        .map_err(|e| e.context(table.file().to_string()))?;
    PeriodSeries::new("fertility pattern", vec![(0.0, 1.0, shares)], false)
}

/// Mortality as read, before scenario overrides.
#[derive(Debug, Clone)]
enum MortalityPlan {
    Brass {
        standard: Box<[LifeTable; 2]>,
        e0: [YearPath; 2],
        gap: f64,
        srb0: f64,
    },
    Fixed(Mortality),
}

impl MortalityPlan {
    fn mortality(&self) -> Mortality {
        match self {
            MortalityPlan::Brass { standard, e0, .. } => Mortality::Brass {
                standard: standard.clone(),
                e0: e0.clone(),
            },
            MortalityPlan::Fixed(m) => m.clone(),
        }
    }
}

/// e0 by sex from a both-sexes path: `e0_m = e0 − gap/(1+srb)`,
/// `e0_f = e0 + gap·srb/(1+srb)`, so that the birth-weighted mean is `e0`.
fn split_e0(both: &YearPath, gap: f64, srb: f64) -> Result<[YearPath; 2]> {
    let shift = |d: f64| -> Result<YearPath> {
        YearPath::new(
            "e0",
            both.points().iter().map(|&(y, v)| (y, v + d)).collect(),
        )
    };
    Ok([shift(-gap / (1.0 + srb))?, shift(gap * srb / (1.0 + srb))?])
}

fn brass_mortality(
    standard: Box<[LifeTable; 2]>,
    both: &YearPath,
    gap: f64,
    srb: f64,
) -> Result<Mortality> {
    Ok(Mortality::Brass {
        standard,
        e0: split_e0(both, gap, srb)?,
    })
}

/// Lowest open age of an mx table that is extended to the model's open age.
const KANNISTO_MIN_OPEN_AGE: u32 = 80;
/// First age of the Kannisto fit for such an extension.
const KANNISTO_FIT_FROM: u32 = 70;

/// Reads mx (`sex,age,mx`, optional `year`) onto the grid's life-table ages
/// (extending a lower open age with Kannisto rates):
/// returns (period start, rates by sex) pairs.
fn read_mx(path: &Path, grid: AgeGrid) -> Result<Vec<(f64, [Array1<f64>; 2])>> {
    let table = read_text_table(path)?;
    let age_col = table.require("age")?;
    let mut single = false;
    let mut table_open = 0;
    for r in 0..table.height() {
        let a = table.age(r, age_col)?;
        if a % 5 != 0 && a != 1 {
            single = true;
        }
        table_open = table_open.max(a);
    }
    if table_open > grid.open_age() || table_open < KANNISTO_MIN_OPEN_AGE {
        return Err(Error::invalid(
            format!("{}: open age", table.file()),
            format!("{table_open}+"),
            format!(
                "an open age between {KANNISTO_MIN_OPEN_AGE} and the model's open_age {}",
                grid.open_age()
            ),
        ));
    }
    let years: Vec<Option<i32>> = match table.optional("year") {
        Some(c) => {
            let mut ys = Vec::new();
            for r in 0..table.height() {
                let y = table.integer(r, c)? as i32;
                if !ys.contains(&Some(y)) {
                    ys.push(Some(y));
                }
            }
            ys.sort();
            ys
        }
        None => vec![None],
    };
    let table_ages = if single {
        life_table::single_ages(table_open)
    } else {
        life_table::abridged_ages(table_open)
    };
    let mut out = Vec::new();
    for y in years {
        let data = tables::read_by_sex_age(&table, "mx", &table_ages, y)?;
        let mut rates = [Array1::zeros(0), Array1::zeros(0)];
        for sex in Sex::BOTH {
            // A schedule closed below the model's open age (e.g. 85+) is
            // extended with Kannisto rates fitted from age 70.
            let (_, extended) = life_table::kannisto_extend(
                &table_ages,
                &data.values[sex.index()],
                KANNISTO_FIT_FROM,
                grid.open_age(),
            )
            .map_err(|e| e.context(format!("{} ({})", table.file(), sex.label())))?;
            let v = &extended;
            rates[sex.index()] = match (grid.width(), single) {
                (5, false) | (1, true) => Array1::from(v.clone()),
                (1, false) => graduation::single_year_mx(v, grid.open_age())
                    .map_err(|e| e.context(table.file().to_string()))?,
                _ => {
                    return Err(Error::invalid(
                        format!("{}: ages", table.file()),
                        "single-year rates",
                        "abridged rates (0, 1, 5, ...) for a 5-year projection",
                    ))
                }
            };
        }
        out.push((f64::from(y.unwrap_or(0)), rates));
    }
    Ok(out)
}

fn read_mortality(
    raw: &RawMortality,
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    srb0: f64,
) -> Result<MortalityPlan> {
    let ages = life_table::ages_for_grid(grid);
    match raw.method {
        MortalityMethod::Table => {
            let file = raw.table.as_ref().ok_or_else(|| {
                Error::invalid("table", "missing", "a file of mx for method = \"table\"")
            })?;
            let periods = read_mx(&rel(file), grid)?;
            let series = |s: Sex| -> Result<PeriodSeries> {
                let rows = periods
                    .iter()
                    .enumerate()
                    .map(|(i, (start, r))| {
                        let end = periods.get(i + 1).map(|p| p.0).unwrap_or(start + 5.0);
                        (*start, end, r[s.index()].clone())
                    })
                    .collect();
                PeriodSeries::new(&format!("mx {}", s.label()), rows, true)
            };
            Ok(MortalityPlan::Fixed(Mortality::Periods {
                ages,
                mx: [series(Sex::Male)?, series(Sex::Female)?],
            }))
        }
        MortalityMethod::Brass => {
            let file = raw.standard.as_ref().ok_or_else(|| {
                Error::invalid(
                    "standard",
                    "missing",
                    "a standard mx file for method = \"brass\"",
                )
            })?;
            let periods = read_mx(&rel(file), grid)?;
            let (_, rates) = &periods[0];
            let table = |s: Sex| {
                LifeTable::from_mx(
                    s,
                    &ages,
                    rates[s.index()].as_slice().unwrap_or(&[]),
                    OpenAgeClosure::ConstantHazard,
                )
            };
            let standard = [table(Sex::Male)?, table(Sex::Female)?];
            let gap = raw.sex_gap.unwrap_or(standard[1].e0() - standard[0].e0());
            if !(gap.is_finite() && gap.abs() < 20.0) {
                return Err(Error::invalid(
                    "sex_gap",
                    gap,
                    "a female-minus-male e0 gap within ±20 years",
                ));
            }
            let e0 = match (&raw.e0, &raw.e0_male, &raw.e0_female) {
                (Some(both), None, None) => split_e0(&both.to_path("e0")?, gap, srb0)?,
                (None, Some(m), Some(f)) => [m.to_path("e0_male")?, f.to_path("e0_female")?],
                _ => {
                    return Err(Error::invalid(
                        "e0",
                        "neither or both of e0 and e0_male/e0_female",
                        "either e0 (both sexes, with sex_gap) or e0_male and e0_female",
                    ))
                }
            };
            for (s, path) in Sex::BOTH.iter().zip(&e0) {
                let (lo, hi) = path.range();
                if !(lo > 15.0 && hi < 110.0) {
                    return Err(Error::invalid(
                        format!("e0 {}", s.label()),
                        format!("{lo}..{hi}"),
                        "life expectancies between 15 and 110",
                    ));
                }
            }
            Ok(MortalityPlan::Brass {
                standard: Box::new(standard),
                e0,
                gap,
                srb0,
            })
        }
    }
}

fn read_migration(
    raw: Option<&RawMigration>,
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    override_total: Option<&PathSpec>,
) -> Result<Migration> {
    let schedule = raw.and_then(|m| m.schedule).unwrap_or_default();
    let male_share = raw.map(|m| m.male_share).unwrap_or(0.5);
    if let Some(spec) = override_total.or(raw.and_then(|m| m.net_per_year.as_ref())) {
        let path = spec.to_path("net_per_year")?;
        return Migration::total_by_schedule(Schedule::Path(path), &schedule, male_share, grid);
    }
    if let Some(file) = raw.and_then(|m| m.counts.as_ref()) {
        let table = read_text_table(&rel(file))?;
        let data = read_signed_by_sex_age(&table, grid)?;
        return Ok(Migration::Counts(data));
    }
    Ok(Migration::None)
}

/// Net migrant counts may be negative: read them without the >= 0 check.
fn read_signed_by_sex_age(
    table: &tables::TextTable,
    grid: AgeGrid,
) -> Result<ndarray::Array2<f64>> {
    let sex_col = table.require("sex")?;
    let age_col = table.require("age")?;
    let val_col = table.require("net_per_year")?;
    let mut out = ndarray::Array2::from_elem((2, grid.len()), f64::NAN);
    for r in 0..table.height() {
        let sex = table.sex(r, sex_col)?;
        let age = table.age(r, age_col)?;
        let i = grid.index_of(age).ok_or_else(|| {
            Error::invalid(
                format!("{}: row {}, column age", table.file(), r + 1),
                age,
                format!("an age of {grid}"),
            )
        })?;
        if !out[[sex.index(), i]].is_nan() {
            return Err(Error::invalid(
                format!("{}: row {}", table.file(), r + 1),
                format!("a second row for {} age {age}", sex.label()),
                "one row per sex and age",
            ));
        }
        out[[sex.index(), i]] = table.number(r, val_col)?;
    }
    if let Some(((s, i), _)) = out.indexed_iter().find(|(_, v)| v.is_nan()) {
        return Err(Error::invalid(
            format!(
                "{}: {} age {}",
                table.file(),
                Sex::BOTH[s].label(),
                grid.lower(i)
            ),
            "no row",
            "a row for every sex and age",
        ));
    }
    Ok(out)
}

/// The population bases of a model: defaults, then the model's own.
fn population_bases(raw: &RawModel) -> Result<Vec<(String, AgeRange)>> {
    let mut bases: Vec<(String, AgeRange)> = DEFAULT_BASES
        .iter()
        .map(|(n, r)| Ok((n.to_string(), AgeRange::parse(r)?)))
        .collect::<Result<_>>()?;
    for (name, text) in &raw.populations {
        let range = AgeRange::parse(text).map_err(|e| e.context(name.to_string()))?;
        bases.retain(|b| &b.0 != name);
        bases.push((name.clone(), range));
    }
    Ok(bases)
}

/// Builds and checks every `[[service]]`; problems go to `note`.
fn read_services(
    raw: &RawModel,
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    note: &mut dyn FnMut(&str, Error),
) -> Vec<Service> {
    let bases = match population_bases(raw) {
        Ok(b) => b,
        Err(e) => {
            note("populations", e);
            return Vec::new();
        }
    };
    let mut services: Vec<Service> = Vec::new();
    for (i, rs) in raw.services.iter().enumerate() {
        let key = format!(
            "service {}",
            if rs.id.is_empty() {
                format!("#{}", i + 1)
            } else {
                rs.id.clone()
            }
        );
        if raw.services[..i].iter().any(|o| o.id == rs.id) {
            note(
                &key,
                Error::invalid(
                    "id",
                    format!("{:?} defined twice", rs.id),
                    "one [[service]] per id",
                ),
            );
            continue;
        }
        if rs.demands.is_empty() {
            note(
                &key,
                Error::invalid("demand", "none", "at least one [[service.demand]]"),
            );
        }
        let mut demands = Vec::new();
        for (k, rd) in rs.demands.iter().enumerate() {
            if rs.demands[..k].iter().any(|o| o.name == rd.name) {
                note(
                    &key,
                    Error::invalid(
                        "demand name",
                        format!("{:?} defined twice", rd.name),
                        "one demand per name",
                    ),
                );
                continue;
            }
            let dkey = format!("{key} demand {}", rd.name);
            match read_demand(rd, &bases, rel, grid, &raw.services[..i], &rs.id) {
                Ok(d) => demands.push(d),
                Err(e) => note(&dkey, e),
            }
        }
        let supply = match &rs.supply {
            None => {
                note(
                    &key,
                    Error::invalid(
                        "supply",
                        "no [service.supply]",
                        "planned supply: points = [[year, value], ...], build_rate = {...}, or unknown = true",
                    ),
                );
                None
            }
            Some(raw_supply) => match read_supply(raw_supply) {
                Ok(s) => Some(s),
                Err(e) => {
                    note(&format!("{key} supply"), e);
                    None
                }
            },
        };
        services.push(Service {
            id: rs.id.clone(),
            label: rs.label.clone(),
            label_zh: rs.label_zh.clone(),
            unit: rs.unit.clone(),
            demands,
            supply,
        });
    }
    services
}

fn read_demand(
    rd: &RawDemand,
    bases: &[(String, AgeRange)],
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    earlier: &[RawService],
    own_id: &str,
) -> Result<Demand> {
    // Keys that do not belong to the method are errors, not silently ignored.
    let given: Vec<(&str, bool)> = vec![
        ("base", rd.base.is_some()),
        ("per_1000", rd.per_1000.is_some()),
        ("per_10000", rd.per_10000.is_some()),
        ("fraction", rd.fraction.is_some()),
        ("of", rd.of.is_some()),
        ("prevalence", rd.prevalence.is_some()),
        ("use_rate", rd.use_rate.is_some()),
        ("per_user", rd.per_user.is_some()),
        ("value", rd.value.is_some()),
    ];
    let allowed: &[&str] = match rd.method {
        DemandKind::Ratio => &["base", "per_1000", "per_10000", "fraction"],
        DemandKind::Share => &["of", "fraction"],
        DemandKind::Need => &["prevalence", "use_rate", "per_user"],
        DemandKind::Absolute => &["value"],
    };
    if let Some((k, _)) = given.iter().find(|(k, set)| *set && !allowed.contains(k)) {
        return Err(Error::invalid(
            format!("key {k}"),
            format!("{k} with method = {:?}", rd.method),
            format!("only {} for this method", allowed.join(", ")),
        ));
    }
    let need = |what: &str, v: Option<&PathSpec>| -> Result<YearPath> {
        v.ok_or_else(|| {
            Error::invalid(
                what,
                "missing",
                format!("{what} for method = {:?}", rd.method),
            )
        })?
        .to_path(what)
    };
    let method = match rd.method {
        DemandKind::Ratio => {
            let base_name = rd.base.clone().ok_or_else(|| {
                Error::invalid(
                    "base",
                    "missing",
                    "a population base such as \"elderly\" or \"60+\"",
                )
            })?;
            let base = match bases.iter().find(|b| b.0 == base_name) {
                Some(b) => b.1,
                None => AgeRange::parse(&base_name).map_err(|_| {
                    Error::invalid(
                        "base",
                        format!("{base_name:?}"),
                        format!(
                            "a known population base ({}) or an age range such as \"60+\"",
                            bases
                                .iter()
                                .map(|b| b.0.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
            };
            let rate = match (&rd.per_1000, &rd.per_10000, &rd.fraction) {
                (Some(p), None, None) => Rate::PerThousand(p.to_path("per_1000")?),
                (None, Some(p), None) => Rate::PerTenThousand(p.to_path("per_10000")?),
                (None, None, Some(p)) => Rate::Fraction(p.to_path("fraction")?),
                _ => {
                    return Err(Error::invalid(
                        "rate",
                        "none or several of per_1000, per_10000, fraction",
                        "exactly one of per_1000, per_10000, fraction",
                    ))
                }
            };
            DemandMethod::Ratio {
                base_name,
                base,
                rate,
            }
        }
        DemandKind::Share => {
            let of = rd.of.clone().ok_or_else(|| {
                Error::invalid("of", "missing", "the id of the service this is a share of")
            })?;
            if of == own_id || !earlier.iter().any(|s| s.id == of) {
                return Err(Error::invalid(
                    "of",
                    format!("{of:?}"),
                    "the id of a service defined earlier in the file (not itself)",
                ));
            }
            DemandMethod::Share {
                of,
                fraction: need("fraction", rd.fraction.as_ref())?,
            }
        }
        DemandKind::Need => {
            let file = rd.prevalence.as_ref().ok_or_else(|| {
                Error::invalid("prevalence", "missing", "a table of sex,age,prevalence")
            })?;
            DemandMethod::Need {
                prevalence: read_prevalence(&rel(file), grid)?,
                use_rate: need("use_rate", rd.use_rate.as_ref())?,
                per_user: rd.per_user.unwrap_or(1.0),
            }
        }
        DemandKind::Absolute => DemandMethod::Absolute(need("value", rd.value.as_ref())?),
    };
    method.check()?;
    let uncertainty = rd
        .uncertainty_90
        .map(|[low, high]| FactorInterval { low, high });
    if let Some(u) = uncertainty {
        u.check()?;
    }
    Ok(Demand {
        name: rd.name.clone(),
        method,
        uncertainty,
    })
}

fn read_supply(raw: &RawSupply) -> Result<Supply> {
    let supply =
        match (&raw.points, &raw.build_rate, raw.unknown.unwrap_or(false)) {
            (Some(points), None, false) => Supply::Points {
                points: points.clone(),
                interpolation: match raw.interpolation {
                    Some(RawInterpolation::Step) => Interpolation::Step,
                    _ => Interpolation::Linear,
                },
            },
            (None, Some(b), false) if raw.interpolation.is_none() => Supply::BuildRate {
                year: b.year,
                stock: b.stock,
                per_year: b.per_year,
            },
            (None, None, true) if raw.interpolation.is_none() => Supply::Unknown,
            _ => return Err(Error::invalid(
                "supply",
                "none or several of points, build_rate, unknown",
                "exactly one of points (with optional interpolation), build_rate, unknown = true",
            )),
        };
    supply.check()?;
    Ok(supply)
}

/// Prevalence by sex and grid group from `sex,age,prevalence` rows whose
/// ages are the lower bounds of groups (any widths): each grid group takes
/// the value of the table group containing its lower bound; ages below the
/// first table age have none.
fn read_prevalence(path: &Path, grid: AgeGrid) -> Result<ndarray::Array2<f64>> {
    let table = read_text_table(path)?;
    let (sc, ac, vc) = (
        table.require("sex")?,
        table.require("age")?,
        table.require("prevalence")?,
    );
    let mut rows: [Vec<(u32, f64)>; 2] = [Vec::new(), Vec::new()];
    for r in 0..table.height() {
        let sex = table.sex(r, sc)?;
        let age = table.age(r, ac)?;
        let v = table.non_negative(r, vc)?;
        if v > 1.0 {
            return Err(Error::invalid(
                format!("{}: row {}, column prevalence", table.file(), r + 1),
                v,
                "a fraction between 0 and 1",
            ));
        }
        if rows[sex.index()].iter().any(|x| x.0 == age) {
            return Err(Error::invalid(
                format!("{}: row {}", table.file(), r + 1),
                format!("a second row for {} age {age}", sex.label()),
                "one row per sex and age",
            ));
        }
        rows[sex.index()].push((age, v));
    }
    let mut out = ndarray::Array2::zeros((2, grid.len()));
    for sex in Sex::BOTH {
        let r = &mut rows[sex.index()];
        if r.is_empty() {
            return Err(Error::invalid(
                format!("{}: sex", table.file()),
                format!("no rows for {}", sex.label()),
                "rows for both sexes",
            ));
        }
        r.sort_by_key(|x| x.0);
        for i in 0..grid.len() {
            let lo = grid.lower(i);
            if let Some(&(_, v)) = r.iter().rev().find(|x| x.0 <= lo) {
                out[[sex.index(), i]] = v;
            }
        }
    }
    Ok(out)
}
