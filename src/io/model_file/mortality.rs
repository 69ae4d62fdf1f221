//! Mortality sections: mx tables (abridged or single-year, by period),
//! closed at a low open age and extended with Kannisto rates; Brass
//! relational mortality on a standard with an e0 path.

use std::path::{Path, PathBuf};

use ndarray::Array1;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::graduation;
use crate::io::tables::{self, read_text_table};
use crate::life_table::{self, LifeTable, OpenAgeClosure};
use crate::mortality::Mortality;
use crate::path::{PeriodSeries, YearPath};
use crate::population::Sex;

use super::schema::*;

/// Mortality as read, before scenario overrides.
#[derive(Debug, Clone)]
pub(super) enum MortalityPlan {
    Brass {
        standard: Box<[LifeTable; 2]>,
        e0: [YearPath; 2],
        gap: f64,
        srb0: f64,
    },
    Fixed(Mortality),
}

impl MortalityPlan {
    pub(super) fn mortality(&self) -> Mortality {
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
pub(super) fn split_e0(both: &YearPath, gap: f64, srb: f64) -> Result<[YearPath; 2]> {
    let shift = |d: f64| -> Result<YearPath> {
        YearPath::new(
            "e0",
            both.points().iter().map(|&(y, v)| (y, v + d)).collect(),
        )
    };
    Ok([shift(-gap / (1.0 + srb))?, shift(gap * srb / (1.0 + srb))?])
}

pub(super) fn brass_mortality(
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
pub(super) const KANNISTO_MIN_OPEN_AGE: u32 = 80;
/// First age of the Kannisto fit for such an extension.
pub(super) const KANNISTO_FIT_FROM: u32 = 70;

/// Reads mx (`sex,age,mx`, optional `year`) onto the grid's life-table ages
/// (extending a lower open age with Kannisto rates):
/// returns (period start, rates by sex) pairs.
pub(super) fn read_mx(path: &Path, grid: AgeGrid) -> Result<Vec<(f64, [Array1<f64>; 2])>> {
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

pub(super) fn read_mortality(
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
