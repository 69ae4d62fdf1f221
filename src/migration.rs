//! Net migration by age and sex.
//!
//! Either net counts per year by sex and age, or a total per year spread over
//! ages by a Rogers-Castro model schedule (Rogers & Castro 1981, *Model
//! Migration Schedules*, IIASA RR-81-30) and split by sex. In a projection
//! step, half of the step's migrants join at its start (they survive and are
//! exposed to fertility) and half at its end (PHG 2001 §6.3).
//!
//! The default schedule ([`RogersCastro::default`]) is the seven-parameter
//! form `m(x) = a1·e^{−α1·x} + a2·e^{−α2(x−μ2) − e^{−λ2(x−μ2)}} + c` with
//! parameters close to the averages Rogers & Castro report for national
//! schedules: a childhood component falling with age (a1 0.02, α1 0.10), a
//! labour-force peak near age 20-25 (a2 0.06, α2 0.10, μ2 20, λ2 0.40) and a
//! small constant (c 0.003). Only its shape is used: shares by age sum to 1.

use ndarray::Array2;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::path::Schedule;

/// Migrants by age are placed below this age. Rogers-Castro schedules are
/// fitted on ages 0-84; carried beyond, the constant `c` would put as many
/// migrants at 100 as at 60 and empty the oldest groups under emigration.
pub const MIGRATION_MAX_AGE: u32 = 85;

/// The seven-parameter Rogers-Castro model migration schedule (also the
/// `[migration.schedule]` table of a model file).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RogersCastro {
    /// Level of the childhood component.
    pub a1: f64,
    /// Rate of descent of the childhood component.
    pub alpha1: f64,
    /// Level of the labour-force component.
    pub a2: f64,
    /// Rate of descent of the labour-force component.
    pub alpha2: f64,
    /// Mean age of the labour-force peak.
    pub mu2: f64,
    /// Rate of ascent of the labour-force component.
    pub lambda2: f64,
    /// Constant level.
    pub c: f64,
}

impl Default for RogersCastro {
    fn default() -> Self {
        RogersCastro {
            a1: 0.02,
            alpha1: 0.10,
            a2: 0.06,
            alpha2: 0.10,
            mu2: 20.0,
            lambda2: 0.40,
            c: 0.003,
        }
    }
}

impl RogersCastro {
    /// The schedule's value at exact age `x`.
    pub fn rate(&self, x: f64) -> f64 {
        self.a1 * (-self.alpha1 * x).exp()
            + self.a2
                * (-self.alpha2 * (x - self.mu2) - (-self.lambda2 * (x - self.mu2)).exp()).exp()
            + self.c
    }

    /// Shares by grid group (summing to 1), from single-year midpoints at
    /// ages 0 to [`MIGRATION_MAX_AGE`] − 1; none above.
    pub fn shares_on(&self, grid: AgeGrid) -> Result<ndarray::Array1<f64>> {
        let params = [
            self.a1,
            self.alpha1,
            self.a2,
            self.alpha2,
            self.mu2,
            self.lambda2,
            self.c,
        ];
        if params.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(Error::invalid(
                "Rogers-Castro parameters",
                format!("{params:?}"),
                "finite values >= 0",
            ));
        }
        let mut out = ndarray::Array1::<f64>::zeros(grid.len());
        for age in 0..MIGRATION_MAX_AGE {
            out[grid.group_containing(age)] += self.rate(f64::from(age) + 0.5);
        }
        let total = out.sum();
        if total <= 0.0 {
            return Err(Error::invalid(
                "Rogers-Castro schedule",
                total,
                "a positive total",
            ));
        }
        Ok(out / total)
    }
}

/// Net migration assumptions.
#[derive(Debug, Clone)]
pub enum Migration {
    /// No migration.
    None,
    /// Net migrants per year by sex (rows male, female) and grid group.
    Counts(Array2<f64>),
    /// A net total per year spread by `shares` (sex x group, summing to 1).
    Total {
        /// Net migrants a year, total of both sexes.
        per_year: Schedule,
        /// Shares by sex and group, summing to 1.
        shares: Array2<f64>,
    },
}

impl Migration {
    /// A total per year spread by a Rogers-Castro schedule, `male_share` of it male.
    pub fn total_by_schedule(
        per_year: Schedule,
        schedule: &RogersCastro,
        male_share: f64,
        grid: AgeGrid,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&male_share) {
            return Err(Error::invalid(
                "migration male share",
                male_share,
                "a fraction in [0, 1]",
            ));
        }
        let by_age = schedule.shares_on(grid)?;
        let mut shares = Array2::zeros((2, grid.len()));
        shares.row_mut(0).assign(&(&by_age * male_share));
        shares.row_mut(1).assign(&(&by_age * (1.0 - male_share)));
        Ok(Migration::Total { per_year, shares })
    }

    /// Age-sex shares (summing to 1) that spread noise on the net total:
    /// the scenario's own shares, or a default Rogers-Castro schedule split
    /// evenly where it has none (or its counts sum to zero).
    pub fn noise_shares(&self, grid: AgeGrid) -> Result<Array2<f64>> {
        let own = match self {
            Migration::Total { shares, .. } => Some(shares.clone()),
            Migration::Counts(c) => {
                let total = c.sum();
                (total.abs() > 0.0).then(|| c / total)
            }
            Migration::None => None,
        };
        match own {
            Some(s) => Ok(s),
            None => {
                let by_age = RogersCastro::default().shares_on(grid)?;
                let mut s = Array2::zeros((2, grid.len()));
                s.row_mut(0).assign(&(&by_age * 0.5));
                s.row_mut(1).assign(&(&by_age * 0.5));
                Ok(s)
            }
        }
    }

    /// The same migration with every count multiplied by `share` (a
    /// region's part of its parent's migration).
    pub fn scaled(&self, share: f64) -> Result<Migration> {
        Ok(match self {
            Migration::None => Migration::None,
            Migration::Counts(c) => Migration::Counts(c * share),
            Migration::Total { per_year, shares } => Migration::Total {
                per_year: per_year.scaled("net migration", share)?,
                shares: shares.clone(),
            },
        })
    }

    /// Net migrants over the step `[start, start + n)` by sex and group.
    pub fn for_step(&self, grid: AgeGrid, start: f64, n: f64) -> Array2<f64> {
        match self {
            Migration::None => Array2::zeros((2, grid.len())),
            Migration::Counts(c) => c * n,
            Migration::Total { per_year, shares } => shares * (per_year.for_step(start, n) * n),
        }
    }
}
