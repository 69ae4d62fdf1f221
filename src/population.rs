//! A population by sex and age at one date.

use ndarray::{Array1, Array2, ArrayView1, Axis};

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};

/// Sex, in the order of the rows of every (sex x age) array: male, female.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// Males (row 0).
    Male,
    /// Females (row 1).
    Female,
}

impl Sex {
    /// Both sexes in row order.
    pub const BOTH: [Sex; 2] = [Sex::Male, Sex::Female];

    /// Row index in (sex x age) arrays.
    pub fn index(self) -> usize {
        match self {
            Sex::Male => 0,
            Sex::Female => 1,
        }
    }

    /// The label used in tables: `male` / `female`.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses `male`/`female` (also `m`/`f`, any case).
    pub fn parse(text: &str) -> Result<Sex> {
        match text.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "男" | "男性" => Ok(Sex::Male),
            "female" | "f" | "女" | "女性" => Ok(Sex::Female),
            _ => Err(Error::invalid(
                "sex",
                format!("{text:?}"),
                "male or female (男 or 女)",
            )),
        }
    }
}

/// Counts by sex (rows: male, female) and age group (columns: the grid).
/// Always finite and non-negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    grid: AgeGrid,
    counts: Array2<f64>,
}

impl Population {
    /// Validates shape and values.
    pub fn new(grid: AgeGrid, counts: Array2<f64>) -> Result<Self> {
        if counts.dim() != (2, grid.len()) {
            return Err(Error::invalid(
                "population shape",
                format!("{:?}", counts.dim()),
                format!("(2 sexes, {} age groups of {grid})", grid.len()),
            ));
        }
        for sex in Sex::BOTH {
            for (i, &v) in counts.row(sex.index()).iter().enumerate() {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::invalid(
                        format!("population {} age {}", sex.label(), grid.label(i)),
                        v,
                        "a finite count >= 0",
                    ));
                }
            }
        }
        Ok(Population { grid, counts })
    }

    /// The grid.
    pub fn grid(&self) -> AgeGrid {
        self.grid
    }

    /// Counts (sex x age).
    pub fn counts(&self) -> &Array2<f64> {
        &self.counts
    }

    /// Counts of one sex by age.
    pub fn of(&self, sex: Sex) -> ArrayView1<'_, f64> {
        self.counts.row(sex.index())
    }

    /// Both sexes by age.
    pub fn both_sexes(&self) -> Array1<f64> {
        self.counts.sum_axis(Axis(0))
    }

    /// Total population.
    pub fn total(&self) -> f64 {
        self.counts.sum()
    }

    /// Persons (both sexes) aged `[from, to)` (`to = None`: and over), spreading
    /// each group evenly over its ages where a bound falls inside it.
    pub fn aged(&self, from: u32, to: Option<u32>) -> f64 {
        let both = self.both_sexes();
        both.iter()
            .enumerate()
            .map(|(i, v)| v * self.grid.fraction_in(i, from, to))
            .sum()
    }
}
