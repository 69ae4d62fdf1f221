//! Base synthesis: a reference age-sex structure raked to the few totals a
//! region publishes (total population, persons 60+, children 0-2, ...).
//!
//! Raking is iterative proportional fitting (Deming & Stephan 1940): each
//! target scales the cells it covers to its total, in turn, until every
//! target holds within a relative tolerance. Cells outside all targets but
//! the total keep the reference's relative structure. Before raking, an
//! optional [`Tilt`] reshapes part of the reference (e.g. a registered
//! population that is older between 45 and 59 than the national one).

use ndarray::Array2;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::population::{Population, Sex};

/// A known total for persons aged `[from, to)` (`to = None`: and over), of
/// one sex or both.
#[derive(Debug, Clone, PartialEq)]
pub struct RakeTarget {
    /// First age of the target.
    pub from: u32,
    /// First age after it; `None`: and over.
    pub to: Option<u32>,
    /// Sex of the target; `None`: both sexes.
    pub sex: Option<Sex>,
    /// Persons in the range.
    pub total: f64,
}

/// A linear reweighting of ages `[from, to]`: the factor rises from 1 at
/// `from` to `1 + slope` at `to` (and stays there up to `to`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tilt {
    /// First age tilted.
    pub from: u32,
    /// Last age tilted.
    pub to: u32,
    /// Factor minus one at `to`.
    pub slope: f64,
}

/// Relative tolerance of raking.
pub const RAKE_TOLERANCE: f64 = 1e-10;

impl Tilt {
    fn factor(&self, age: u32) -> f64 {
        if age < self.from || age > self.to || self.to <= self.from {
            1.0
        } else {
            1.0 + self.slope * f64::from(age - self.from) / f64::from(self.to - self.from)
        }
    }
}

/// Rakes `reference` (any grid) to `targets`, after applying `tilts`.
pub fn rake(reference: &Population, tilts: &[Tilt], targets: &[RakeTarget]) -> Result<Population> {
    let grid: AgeGrid = reference.grid();
    if targets.is_empty() {
        return Err(Error::invalid(
            "base synthesis targets",
            "none",
            "at least one known total",
        ));
    }
    let mut cells: Array2<f64> = reference.counts().clone();
    for tilt in tilts {
        if !(tilt.slope.is_finite() && tilt.slope > -1.0) {
            return Err(Error::invalid("tilt slope", tilt.slope, "a number > -1"));
        }
        for i in 0..grid.len() {
            let f = tilt.factor(grid.lower(i));
            cells.column_mut(i).mapv_inplace(|v| v * f);
        }
    }
    // weights[t][s][i]: share of cell (s, i) that falls in target t.
    let weights: Vec<Array2<f64>> = targets
        .iter()
        .map(|t| {
            Array2::from_shape_fn((2, grid.len()), |(s, i)| {
                let sex_ok = t.sex.is_none_or(|x| x.index() == s);
                if sex_ok {
                    grid.fraction_in(i, t.from, t.to)
                } else {
                    0.0
                }
            })
        })
        .collect();
    for (t, w) in targets.iter().zip(&weights) {
        if !(t.total.is_finite() && t.total > 0.0) {
            return Err(Error::invalid(
                format!(
                    "target for ages {}{}",
                    t.from,
                    t.to.map(|x| format!("-{}", x - 1)).unwrap_or("+".into())
                ),
                t.total,
                "a positive total",
            ));
        }
        if (&cells * w).sum() <= 0.0 {
            return Err(Error::invalid(
                format!("reference structure for the target of ages {}+", t.from),
                0,
                "some persons in the reference where a target is set",
            ));
        }
    }
    for _ in 0..10_000 {
        let mut worst: f64 = 0.0;
        for (t, w) in targets.iter().zip(&weights) {
            let current = (&cells * w).sum();
            worst = worst.max((current / t.total - 1.0).abs());
            let f = t.total / current;
            // Scale only the covered part of each cell.
            cells.zip_mut_with(w, |c, &wi| *c *= 1.0 + wi * (f - 1.0));
        }
        if worst < RAKE_TOLERANCE {
            return Population::new(grid, cells);
        }
    }
    Err(Error::NoConvergence {
        what: "base synthesis (raking)".into(),
        detail: "the targets are inconsistent with each other (e.g. persons 60+ above the total)"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rake_hits_nested_targets() {
        let grid = AgeGrid::five_year();
        let reference = Population::new(grid, Array2::from_elem((2, grid.len()), 100.0)).unwrap();
        let targets = [
            RakeTarget {
                from: 0,
                to: None,
                sex: None,
                total: 10_000.0,
            },
            RakeTarget {
                from: 60,
                to: None,
                sex: None,
                total: 2_758.0,
            },
        ];
        let p = rake(&reference, &[], &targets).unwrap();
        assert!((p.total() - 10_000.0).abs() < 1e-6);
        assert!((p.aged(60, None) - 2_758.0).abs() < 1e-6);
        // Within each target the structure is kept.
        assert!((p.counts()[[0, 13]] - p.counts()[[1, 20]]).abs() < 1e-9);
        let bad = [
            RakeTarget {
                from: 0,
                to: None,
                sex: None,
                total: 100.0,
            },
            RakeTarget {
                from: 60,
                to: None,
                sex: None,
                total: 200.0,
            },
        ];
        assert!(rake(&reference, &[], &bad).is_err());
    }
}
