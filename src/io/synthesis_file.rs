//! Base-synthesis specifications (TOML): which reference structure, which
//! known totals, which tilts. See [`crate::base_synthesis`].

use std::path::Path;

use serde::Deserialize;

use crate::age_grid::{AgeGrid, AgeRange};
use crate::base_synthesis::{RakeTarget, Tilt};
use crate::error::{Error, Result};
use crate::graduation;
use crate::io::tables::read_population;
use crate::population::{Population, Sex};

/// A synthesis specification (`carecast synthesize --spec`), as read.
#[derive(Debug, Deserialize)]
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
    /// Reweightings of age ranges, applied before raking.
    #[serde(rename = "tilt", default)]
    pub tilts: Vec<SpecTilt>,
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
fn open() -> u32 {
    AgeGrid::DEFAULT_OPEN_AGE
}

/// A `[[target]]`: a known total of an age range.
#[derive(Debug, Deserialize)]
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
    /// A fraction of the all-ages total target.
    #[serde(default)]
    pub share_of_total: Option<f64>,
}

/// A `[[tilt]]`: a linear reweighting of an age range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecTilt {
    /// "45-59" (inclusive).
    pub ages: String,
    /// Factor minus one at the range's last age.
    pub slope: f64,
}

/// Reads a spec and synthesizes the base it describes.
pub fn synthesize(spec_path: &Path) -> Result<(SynthesisSpec, Population)> {
    let file = spec_path.display().to_string();
    let text = std::fs::read_to_string(spec_path).map_err(|e| Error::io(&file, e))?;
    let spec: SynthesisSpec = crate::io::parse_toml(&text, "a synthesis spec (see README)")
        .map_err(|e| e.context(&file))?;
    let dir = spec_path.parent().unwrap_or(Path::new("."));
    let reference = read_population(
        &dir.join(&spec.reference),
        &spec.reference_column,
        spec.open_age,
        spec.reference_year,
    )?;
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
        let value =
            match (t.total, t.share_of_total, total) {
                (Some(v), None, _) => v,
                (None, Some(s), Some(tot)) if (0.0..=1.0).contains(&s) => s * tot,
                _ => return Err(Error::invalid(
                    key,
                    "no usable total",
                    "total = persons, or share_of_total = a fraction with a \"0+\" total target",
                )),
            };
        targets.push(RakeTarget {
            from,
            to,
            sex,
            total: value,
        });
    }
    let mut tilts = Vec::new();
    for t in &spec.tilts {
        let AgeRange { from, to } =
            AgeRange::parse(&t.ages).map_err(|e| e.context(format!("{file}: [[tilt]]")))?;
        tilts.push(Tilt {
            from,
            to: to.map(|x| x - 1).unwrap_or(spec.open_age),
            slope: t.slope,
        });
    }
    let pop =
        crate::base_synthesis::rake(&reference, &tilts, &targets).map_err(|e| e.context(file))?;
    Ok((spec, pop))
}
