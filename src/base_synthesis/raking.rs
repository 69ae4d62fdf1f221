//! Raking a reference structure to known totals with a factor that is smooth
//! in age.
//!
//! Classic raking (iterative proportional fitting, Deming & Stephan 1940)
//! multiplies every cell a target covers by one factor per target. Its
//! solution is `cell = reference · exp(Σ_t c_t · w_t(cell))` with `w_t` the
//! share of the cell inside target `t`: a step in the factor at every target
//! boundary (a 60+ share raises everybody 60+ and lowers everybody under 60,
//! so the pyramid jumps between 59 and 60).
//!
//! Here each target's *membership* is its age range widened by a cosine
//! taper over `smooth_years` on each side that is not an end of the grid:
//! 1 inside the range, falling smoothly to 0 over the next `smooth_years`
//! ages outside it. The factor `exp(Σ_t c_t · m_t(age))` then changes
//! gradually across every boundary, and the coefficients `c_t` are solved
//! (Newton's method on the log totals) so that every target is met exactly:
//! `Σ_cells w_t · cell = total_t`. With `smooth_years = 0` the memberships
//! are the targets' own cell shares and the result is the classic raking's.
//!
//! This is the generalised raking of Deville & Särndal (1992) with a
//! smoothed design matrix; the taper plays the role of overlapping age
//! bands.

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

impl RakeTarget {
    /// "60+", "0-2" (inclusive), with the sex when it has one.
    pub fn label(&self) -> String {
        let ages = match self.to {
            Some(to) => format!("{}-{}", self.from, to.saturating_sub(1)),
            None => format!("{}+", self.from),
        };
        match self.sex {
            Some(s) => format!("{ages} ({})", s.label()),
            None => ages,
        }
    }
}

/// Relative tolerance of raking: every target is met to this.
pub const RAKE_TOLERANCE: f64 = 1e-12;

/// Default width in years of the taper on each side of a target's range.
pub const DEFAULT_SMOOTH_YEARS: u32 = 10;

/// Cosine taper: 1 at distance 0 from the range, 0 from `smooth_years + 1`.
fn taper(distance: u32, smooth_years: u32) -> f64 {
    if distance == 0 {
        1.0
    } else if distance > smooth_years {
        0.0
    } else {
        let x = f64::from(distance) / f64::from(smooth_years + 1);
        0.5 * (1.0 + (std::f64::consts::PI * x).cos())
    }
}

/// Membership of single age `age` in `[from, to)`, widened by the taper.
fn membership_at(age: u32, from: u32, to: Option<u32>, smooth_years: u32) -> f64 {
    let distance = if age < from {
        from - age
    } else {
        match to {
            Some(to) if age >= to => age + 1 - to,
            _ => 0,
        }
    };
    taper(distance, smooth_years)
}

/// Membership of grid cell (sex `s`, group `i`) in a target: the mean over
/// the single ages of the group (the open group: its first age).
fn membership(grid: AgeGrid, s: usize, i: usize, t: &RakeTarget, smooth_years: u32) -> f64 {
    if t.sex.is_some_and(|x| x.index() != s) {
        return 0.0;
    }
    if smooth_years == 0 {
        return grid.fraction_in(i, t.from, t.to);
    }
    let lo = grid.lower(i);
    let ages: Vec<u32> = if i == grid.open_index() {
        vec![lo]
    } else {
        (lo..lo + grid.width()).collect()
    };
    ages.iter()
        .map(|&a| membership_at(a, t.from, t.to, smooth_years))
        .sum::<f64>()
        / ages.len() as f64
}

/// Solves `a · x = b` (small, dense) by Gaussian elimination with partial
/// pivoting; `None` if `a` is singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, bottom) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (offset, row) in bottom.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// Rakes `reference` (any grid) to `targets` with a factor smooth over
/// `smooth_years` on each side of every target boundary (0: classic
/// raking). Every target is met to [`RAKE_TOLERANCE`].
pub fn rake(
    reference: &Population,
    targets: &[RakeTarget],
    smooth_years: u32,
) -> Result<Population> {
    let grid = reference.grid();
    if targets.is_empty() {
        return Err(Error::invalid(
            "base synthesis targets",
            "none",
            "at least one known total",
        ));
    }
    let shape = (2, grid.len());
    let weights: Vec<Array2<f64>> = targets
        .iter()
        .map(|t| {
            Array2::from_shape_fn(shape, |(s, i)| {
                if t.sex.is_none_or(|x| x.index() == s) {
                    grid.fraction_in(i, t.from, t.to)
                } else {
                    0.0
                }
            })
        })
        .collect();
    let members: Vec<Array2<f64>> = targets
        .iter()
        .map(|t| Array2::from_shape_fn(shape, |(s, i)| membership(grid, s, i, t, smooth_years)))
        .collect();
    let reference = reference.counts();
    for (t, w) in targets.iter().zip(&weights) {
        if !(t.total.is_finite() && t.total > 0.0) {
            return Err(Error::invalid(
                format!("target for ages {}", t.label()),
                t.total,
                "a positive total",
            ));
        }
        if (reference * w).sum() <= 0.0 {
            return Err(Error::invalid(
                format!("reference structure for the target of ages {}", t.label()),
                0,
                "some persons in the reference where a target is set",
            ));
        }
    }
    let n = targets.len();
    let cells_for = |c: &[f64]| -> Array2<f64> {
        let mut log_factor = Array2::<f64>::zeros(shape);
        for (cj, m) in c.iter().zip(&members) {
            log_factor.scaled_add(*cj, m);
        }
        reference * &log_factor.mapv(f64::exp)
    };
    // Residuals: log of each target's current total over its target.
    let residuals = |cells: &Array2<f64>| -> Vec<f64> {
        targets
            .iter()
            .zip(&weights)
            .map(|(t, w)| ((cells * w).sum() / t.total).ln())
            .collect()
    };
    let norm = |r: &[f64]| r.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut c = vec![0.0; n];
    let mut cells = cells_for(&c);
    let mut r = residuals(&cells);
    for _ in 0..200 {
        if norm(&r) < RAKE_TOLERANCE {
            return Population::new(grid, cells);
        }
        // Jacobian of the log totals in the coefficients.
        let jacobian: Vec<Vec<f64>> = weights
            .iter()
            .map(|w| {
                let wc = &cells * w;
                let current = wc.sum();
                members.iter().map(|m| (&wc * m).sum() / current).collect()
            })
            .collect();
        let step =
            solve(jacobian, r.iter().map(|v| -v).collect()).ok_or_else(|| {
                Error::invalid(
                "base synthesis targets",
                targets.iter().map(RakeTarget::label).collect::<Vec<_>>().join(", "),
                "targets that are not determined by each other (e.g. not both sexes' totals and \
                 the total of both)",
            )
            })?;
        // Damped step: halve until the worst residual falls.
        let mut lambda = 1.0;
        let before = norm(&r);
        loop {
            let trial: Vec<f64> = c.iter().zip(&step).map(|(a, d)| a + lambda * d).collect();
            let trial_cells = cells_for(&trial);
            let trial_r = residuals(&trial_cells);
            let after = norm(&trial_r);
            if after.is_finite() && (after < before || lambda < 1e-6) {
                c = trial;
                cells = trial_cells;
                r = trial_r;
                break;
            }
            lambda *= 0.5;
        }
    }
    Err(Error::NoConvergence {
        what: "base synthesis (raking)".into(),
        detail: format!(
            "the targets {} are inconsistent with each other (e.g. persons 60+ above the total); \
             worst relative miss {:.2e}",
            targets
                .iter()
                .map(RakeTarget::label)
                .collect::<Vec<_>>()
                .join(", "),
            norm(&r).exp_m1()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(from: u32, to: Option<u32>, total: f64) -> RakeTarget {
        RakeTarget {
            from,
            to,
            sex: None,
            total,
        }
    }

    #[test]
    fn classic_raking_keeps_the_structure_within_each_target() {
        let grid = AgeGrid::five_year();
        let reference = Population::new(grid, Array2::from_elem((2, grid.len()), 100.0)).unwrap();
        let targets = [target(0, None, 10_000.0), target(60, None, 2_758.0)];
        let p = rake(&reference, &targets, 0).unwrap();
        assert!((p.total() / 10_000.0 - 1.0).abs() < 1e-11);
        assert!((p.aged(60, None) / 2_758.0 - 1.0).abs() < 1e-11);
        assert!((p.counts()[[0, 13]] - p.counts()[[1, 20]]).abs() < 1e-9);
        assert!((p.counts()[[0, 0]] - p.counts()[[1, 11]]).abs() < 1e-9);
        let bad = [target(0, None, 100.0), target(60, None, 200.0)];
        assert!(rake(&reference, &bad, 0).is_err());
        assert!(rake(&reference, &bad, 10).is_err());
    }

    #[test]
    fn smooth_raking_meets_every_target_without_a_step() {
        let grid = AgeGrid::single_years();
        let reference = Population::new(grid, Array2::from_elem((2, grid.len()), 100.0)).unwrap();
        let targets = [
            target(0, None, 20_000.0),
            target(60, None, 12_000.0),
            target(0, Some(3), 300.0),
        ];
        let p = rake(&reference, &targets, 10).unwrap();
        for t in &targets {
            let got = p.aged(t.from, t.to);
            assert!((got / t.total - 1.0).abs() < 1e-11, "{}: {got}", t.label());
        }
        // Largest step between neighbouring ages below the open group.
        let women = p.of(Sex::Female);
        let step = (0..99)
            .map(|a| (women[a + 1] / women[a]).max(women[a] / women[a + 1]) - 1.0)
            .fold(0.0, f64::max);
        assert!(step < 0.25, "largest step {step}");
        // The classic raking has its step at 60: 12,000 over 82 cells against
        // 7,700 over the 114 cells aged 3-59.
        let classic = rake(&reference, &targets, 0).unwrap();
        let w = classic.of(Sex::Female);
        let expected = (12_000.0 / 82.0) / (7_700.0 / 114.0);
        assert!((w[60] / w[59] - expected).abs() < 1e-9, "{}", w[60] / w[59]);
        // Redundant targets are reported, not solved.
        let redundant = [target(0, None, 20_000.0), target(0, None, 20_000.0)];
        assert!(rake(&reference, &redundant, 10).is_err());
    }
}
