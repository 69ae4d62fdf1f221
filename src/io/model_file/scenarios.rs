//! Scenario inputs: the fertility pattern and migration (totals with an
//! age schedule, or counts by age and sex).

use std::path::{Path, PathBuf};

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::fertility::{self};
use crate::io::tables::{self, read_text_table};
use crate::migration::Migration;
use crate::path::{PeriodSeries, Schedule};
use crate::population::Sex;

use super::schema::*;

/// The fertility pattern on the grid.
pub(super) fn read_pattern(path: &Path, grid: AgeGrid) -> Result<PeriodSeries> {
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

pub(super) fn read_migration(
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
pub(super) fn read_signed_by_sex_age(
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
                table.cell_place(r, age_col),
                age,
                format!("an age of {grid}"),
            )
        })?;
        if !out[[sex.index(), i]].is_nan() {
            return Err(Error::invalid(
                table.row_place(r),
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
