//! Base-synthesis specifications (TOML): which reference structure, which
//! known totals, how smooth the raking, and optionally the fertility history
//! the young ages are rebuilt from (with the model whose mortality, fertility
//! pattern and sex ratio at birth it uses). See [`crate::base_synthesis`].

use std::path::Path;

use serde::Deserialize;

use crate::age_grid::{AgeGrid, AgeRange};
use crate::base_synthesis::{BaseDiagnostics, RakeTarget, Synthesis, DEFAULT_SMOOTH_YEARS};
use crate::error::{Error, Result};
use crate::fertility::check_tfr;
use crate::graduation;
use crate::io::tables::{encode_table, read_population, ColumnData, Format};
use crate::path::{Schedule, YearPath};
use crate::population::{Population, Sex};
use crate::projection::StepRates;

/// A synthesis specification (`carecast synthesize --spec`), as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesisSpec {
    /// Reference population table (path relative to the spec file).
    pub reference: String,
    /// Column of the reference table with the counts (default `population`).
    #[serde(default = "population")]
    pub reference_column: String,
    /// Year of the reference table to use, when it holds several.
    #[serde(default)]
    pub reference_year: Option<i32>,
    /// Year label of the synthesized base.
    pub year: i32,
    /// Width of the output grid (1: 5-year references are graduated).
    #[serde(default = "one")]
    pub step: u32,
    /// Open age group of the output (default 100).
    #[serde(default = "open")]
    pub open_age: u32,
    /// Known totals the base is raked to.
    #[serde(rename = "target")]
    pub targets: Vec<SpecTarget>,
    /// Years of taper on each side of a target's ages (0: classic raking,
    /// with a step at every target boundary).
    #[serde(default = "smooth")]
    pub smooth_years: u32,
    /// A model file (relative to the spec): its mortality, fertility pattern
    /// and sex ratio at birth rebuild the young ages from `[history]`, and
    /// its fertility checks the base's births.
    #[serde(default)]
    pub model: Option<String>,
    /// The model's scenario to use (default: its default scenario).
    #[serde(default)]
    pub scenario: Option<String>,
    /// Fertility before the base year.
    #[serde(default)]
    pub history: Option<SpecHistory>,
    /// Removed: `[[tilt]]` (now a target with smooth raking); kept to say so.
    #[serde(rename = "tilt", default)]
    pub tilts: Vec<toml::Value>,
    /// Lines written as `#` comments at the top of the output.
    #[serde(default)]
    pub notes: Vec<String>,
}

fn population() -> String {
    "population".into()
}
fn one() -> u32 {
    1
}
fn smooth() -> u32 {
    DEFAULT_SMOOTH_YEARS
}
fn open() -> u32 {
    AgeGrid::DEFAULT_OPEN_AGE
}

/// A `[[target]]`: a known total of an age range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecTarget {
    /// "0+", "60+", "0-2" (inclusive).
    pub ages: String,
    /// `male`, `female` or absent (both sexes).
    #[serde(default)]
    pub sex: Option<String>,
    /// Persons.
    #[serde(default)]
    pub total: Option<f64>,
    /// A fraction of the all-ages total target (`0.295` or `"29.5%"`).
    #[serde(default)]
    pub share_of_total: Option<crate::io::model_file::Fraction>,
}

/// `[history]`: the fertility of the years before the base year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecHistory {
    /// `[[year, TFR], ...]`, linear between points, the first point the
    /// first year rebuilt, none after the base year.
    pub tfr: Vec<(f64, f64)>,
    /// Males per female at birth (default: the model's).
    #[serde(default)]
    pub srb: Option<f64>,
}

/// A synthesized base with the checks of it.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// The spec as read.
    pub spec: SynthesisSpec,
    /// The base and the history's births.
    pub synthesis: Synthesis,
    /// Births and age-step checks.
    pub diagnostics: BaseDiagnostics,
}

/// Reads a spec and synthesizes the base it describes.
pub fn synthesize(spec_path: &Path) -> Result<Synthesized> {
    let (text, _) = crate::io::text_file::read_text(spec_path, "synthesis spec")?;
    let dir = spec_path.parent().unwrap_or(Path::new("."));
    synthesize_text(
        &text,
        dir,
        &spec_path.display().to_string(),
        &|path: &Path| crate::io::model_file::load_scenarios(path),
    )
}

/// How a spec's `model` is read: its path (relative paths joined to the
/// spec's folder) to the model's scenarios.
pub type ModelReader<'a> = dyn Fn(
        &Path,
    ) -> std::result::Result<
        crate::io::model_file::ModelScenarios,
        crate::io::model_file::ModelProblems,
    > + 'a;

/// [`synthesize`] of a spec's text, as if it were the file `file` in folder
/// `dir`, its model read by `read_model` (used to check a spec and its
/// model before either is written).
pub fn synthesize_text(
    text: &str,
    dir: &Path,
    file: &str,
    read_model: &ModelReader<'_>,
) -> Result<Synthesized> {
    let file = file.to_string();
    let spec: SynthesisSpec = crate::io::parse_toml(text, "a synthesis spec (see README)")
        .map_err(|e| e.context(&file))?;
    let reference = read_population(
        &crate::io::builtin::resolve(dir, &spec.reference),
        &spec.reference_column,
        spec.open_age,
        spec.reference_year,
    )
    .map_err(|e| e.context(format!("{file}: reference")))?;
    let grid =
        AgeGrid::new(spec.step, spec.open_age).map_err(|e| e.context(format!("{file}: step")))?;
    let reference = match (reference.grid().width(), grid.width()) {
        (a, b) if a == b => reference,
        (5, 1) => {
            let rows: Vec<Vec<f64>> = Sex::BOTH
                .iter()
                .map(|&s| graduation::sprague(reference.of(s).as_slice().unwrap_or(&[])))
                .collect::<Result<_>>()?;
            Population::new(
                grid,
                ndarray::Array2::from_shape_fn((2, grid.len()), |(s, i)| rows[s][i]),
            )?
        }
        _ => {
            return Err(Error::invalid(
                format!("{file}: step"),
                spec.step,
                "a width no finer than the reference's, or 1 from 5",
            ))
        }
    };
    let total = spec
        .targets
        .iter()
        .find(|t| t.ages.trim() == "0+" && t.sex.is_none())
        .and_then(|t| t.total);
    let mut targets = Vec::new();
    for (k, t) in spec.targets.iter().enumerate() {
        let key = format!("{file}: [[target]] {} (ages {})", k + 1, t.ages);
        let AgeRange { from, to } = AgeRange::parse(&t.ages).map_err(|e| e.context(&key))?;
        let sex = t
            .sex
            .as_deref()
            .map(Sex::parse)
            .transpose()
            .map_err(|e| e.context(&key))?;
        let share = t.share_of_total.map(|f| f.value());
        let value = match (t.total, share, total) {
            (Some(v), None, _) => v,
            (None, Some(s), Some(tot)) if (0.0..=1.0).contains(&s) => s * tot,
            (None, Some(s), Some(_)) => {
                return Err(Error::invalid(
                    format!("{key}: share_of_total"),
                    s,
                    crate::standards::FRACTION_EXPECTED,
                ))
            }
            (None, Some(_), None) => {
                return Err(Error::invalid(
                    format!("{key}: share_of_total"),
                    "no total of all ages to take it of",
                    "a [[target]] with ages = \"0+\" and total = persons",
                ))
            }
            (Some(_), Some(_), _) => {
                return Err(Error::invalid(
                    key,
                    "both total and share_of_total",
                    "one of them",
                ))
            }
            (None, None, _) => {
                return Err(Error::invalid(
                    key,
                    "no total",
                    "total = persons, or share_of_total = a fraction of the \"0+\" total",
                ))
            }
        };
        targets.push(RakeTarget {
            from,
            to,
            sex,
            total: value,
        });
    }
    if !spec.tilts.is_empty() {
        return Err(Error::invalid(
            format!("{file}: [[tilt]]"),
            "a tilt",
            "a [[target]] on the ages instead: the raking is smooth across every target \
             boundary (smooth_years), so a target shapes the ages around it (README \
             \"From plan document to model file\")",
        ));
    }
    let model = match &spec.model {
        None => None,
        Some(m) => {
            let path = dir.join(m);
            let model = read_model(&path).map_err(|p| {
                Error::invalid(
                    format!("{file}: model"),
                    format!("{m:?}: {}", p.to_string().trim_end()),
                    "a model file that loads (see `carecast validate`)",
                )
            })?;
            if model.grid != grid || model.base_year != spec.year {
                return Err(Error::invalid(
                    format!("{file}: model"),
                    format!("{m:?} with base year {} on {}", model.base_year, model.grid),
                    format!(
                        "a model with this spec's year {} and grid ({grid})",
                        spec.year
                    ),
                ));
            }
            let scenario = model
                .scenario(spec.scenario.as_deref())
                .map_err(|e| e.context(format!("{file}: scenario")))?
                .clone();
            Some(scenario)
        }
    };
    let history = match (&spec.history, &model) {
        (None, _) => vec![],
        (Some(_), None) => {
            return Err(Error::invalid(
                format!("{file}: [history]"),
                "no model",
                "model = the model file whose mortality, fertility pattern and sex ratio at \
                 birth rebuild the young ages",
            ))
        }
        (Some(h), Some(scenario)) => history_rates(h, &scenario.assumptions, spec.year)
            .map_err(|e| e.context(format!("{file}: [history]")))?,
    };
    let synthesis = crate::base_synthesis::synthesize(
        &reference,
        &targets,
        spec.smooth_years,
        &history,
        spec.year,
    )
    .map_err(|e| e.context(&file))?;
    let first_step = model
        .as_ref()
        .map(|s| s.assumptions.step_rates(spec.year))
        .transpose()
        .map_err(|e| e.context(format!("{file}: model")))?;
    let diagnostics = BaseDiagnostics::of(&synthesis.population, spec.year, first_step.as_ref())?;
    Ok(Synthesized {
        spec,
        synthesis,
        diagnostics,
    })
}

/// The synthesized base as a table file in `format` (`year,sex,age,population`).
/// A CSV keeps every bit of each count (an input, not a report: a base
/// written again reproduces the projection exactly) and starts with
/// comments: the command that made it (naming `spec`) and the spec's notes.
pub fn encode_base(done: &Synthesized, format: Format, spec: &str) -> Result<Vec<u8>> {
    let pop = &done.synthesis.population;
    let grid = pop.grid();
    let rows = || {
        Sex::BOTH.into_iter().flat_map(move |s| {
            pop.of(s)
                .iter()
                .enumerate()
                .map(move |(i, &v)| (s, grid.lower(i) as i32, v))
                .collect::<Vec<_>>()
        })
    };
    if format != Format::Csv {
        let (sex, age, value): (Vec<_>, Vec<_>, Vec<_>) = rows()
            .map(|(s, a, v)| (s.label().to_string(), a, v))
            .fold((vec![], vec![], vec![]), |mut c, (s, a, v)| {
                c.0.push(s);
                c.1.push(a);
                c.2.push(v);
                c
            });
        return encode_table(
            vec![
                ("year", ColumnData::Int(vec![done.spec.year; age.len()])),
                ("sex", ColumnData::Text(sex)),
                ("age", ColumnData::Int(age)),
                ("population", ColumnData::Float(value)),
            ],
            format,
        );
    }
    let mut text = format!("# Synthesized by `carecast synthesize --spec {spec}`.\n");
    for n in &done.spec.notes {
        text.push_str(&format!("# {n}\n"));
    }
    text.push_str("year,sex,age,population\n");
    for (s, a, v) in rows() {
        text.push_str(&format!("{},{},{a},{v}\n", done.spec.year, s.label()));
    }
    Ok(text.into_bytes())
}

/// The rates of each step of the history, newest first (the base year's
/// first): the model's, with the history's TFR and SRB.
fn history_rates(
    history: &SpecHistory,
    assumptions: &crate::projection::Assumptions,
    base_year: i32,
) -> Result<Vec<StepRates>> {
    let (Some(&(first, _)), Some(&(last, _))) = (history.tfr.first(), history.tfr.last()) else {
        return Err(Error::invalid(
            "tfr",
            "no points",
            "[[year, TFR], ...] from the first year to rebuild",
        ));
    };
    for &(y, v) in &history.tfr {
        check_tfr(&format!("tfr in {y}"), v)?;
    }
    if last > f64::from(base_year) {
        return Err(Error::invalid(
            "tfr",
            format!("a path ending in {last}"),
            format!("points at or before the base year {base_year}: a history ends there"),
        ));
    }
    // The base counts people at the end of its year (registries: 31
    // December; censuses: 1 November), so its age 0 was born in the base
    // year: the history's calendar years `first..=base_year` are its steps.
    let n = assumptions.grid().width() as i32;
    let span = f64::from(base_year) - first + 1.0;
    if first.fract() != 0.0 || span < f64::from(n) || (span as i32) % n != 0 {
        return Err(Error::invalid(
            "tfr",
            format!("a path starting in {first}"),
            format!(
                "a whole first year at or before the base year {base_year}, a whole number \
                 of {n}-year steps before its end: the first calendar year whose births are \
                 rebuilt"
            ),
        ));
    }
    let path = YearPath::new("tfr", history.tfr.clone())?;
    let mut fertility = assumptions.fertility().with_tfr(Schedule::Path(path))?;
    if let Some(srb) = history.srb {
        crate::fertility::check_srb("srb", srb)?;
        fertility = fertility.with_srb(Schedule::Path(YearPath::constant(srb)))?;
    }
    let assumptions = assumptions.with_fertility(fertility)?;
    let steps = span as i32 / n;
    let rates = (1..=steps)
        .map(|k| assumptions.step_rates(base_year + 1 - n * k))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| e.context("tfr"))?;
    crate::base_synthesis::back_projection::check_length(assumptions.grid(), &rates)
        .map_err(|e| e.context("tfr"))?;
    Ok(rates)
}
