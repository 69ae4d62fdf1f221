//! Fertility: births to women by age, as a TFR times an age pattern, and the
//! sex ratio at birth.
//!
//! The pattern is held as shares of the TFR by group of the projection grid
//! (summing to 1), so that age-specific rates per woman-year are
//! `asfr = TFR · share / n`. Births in a step of n years use the average
//! number of women of each age at its start and end (PHG 2001 §6.3):
//! `B = n · Σ asfr · (W(t) + W(t+n)) / 2`.

use ndarray::Array1;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::graduation;
use crate::path::{PeriodSeries, Schedule};

/// Tolerance on a percent ASFR pattern's sum (percentage points).
pub const PERCENT_SUM_TOLERANCE: f64 = 0.5;

/// Fertility assumptions for a projection.
#[derive(Debug, Clone)]
pub struct Fertility {
    tfr: Schedule,
    /// Shares of the TFR by grid group (one series; one period = fixed).
    pattern: PeriodSeries,
    /// Sex ratio at birth, males per female.
    srb: Schedule,
}

/// Checks a TFR value.
pub fn check_tfr(what: &str, tfr: f64) -> Result<f64> {
    if tfr.is_finite() && tfr > 0.0 && tfr <= 10.0 {
        Ok(tfr)
    } else {
        Err(Error::invalid(
            what,
            tfr,
            "a total fertility rate > 0 and <= 10",
        ))
    }
}

/// Checks a sex ratio at birth (males per female).
pub fn check_srb(what: &str, srb: f64) -> Result<f64> {
    if srb.is_finite() && (0.8..=1.5).contains(&srb) {
        Ok(srb)
    } else {
        Err(Error::invalid(
            what,
            srb,
            "a sex ratio at birth between 0.8 and 1.5 males per female",
        ))
    }
}

/// Shares by grid group from a percent-ASFR pattern in 5-year groups starting
/// at `first_age` (percentages summing to 100 within the tolerance).
pub fn pattern_shares(grid: AgeGrid, percent: &[f64], first_age: u32) -> Result<Array1<f64>> {
    if let Some(v) = percent.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::invalid(
            "percent ASFR",
            v,
            "a finite percentage >= 0",
        ));
    }
    let sum: f64 = percent.iter().sum();
    if (sum - 100.0).abs() > PERCENT_SUM_TOLERANCE {
        return Err(Error::invalid(
            "percent ASFR sum",
            format!("{sum:.4}"),
            format!("100 (within {PERCENT_SUM_TOLERANCE})"),
        ));
    }
    let last_age = first_age + 5 * percent.len() as u32;
    if last_age > grid.open_age() {
        return Err(Error::invalid(
            "fertility ages",
            last_age,
            "below the open age",
        ));
    }
    let mut shares = Array1::zeros(grid.len());
    if grid.width() == 5 {
        for (k, p) in percent.iter().enumerate() {
            shares[grid.group_containing(first_age + 5 * k as u32)] = p / sum;
        }
    } else {
        let single = graduation::graduate_pattern(percent, first_age)?;
        let total: f64 = single.iter().sum();
        for (k, p) in single.iter().enumerate() {
            shares[first_age as usize + k] = p / total;
        }
    }
    Ok(shares)
}

impl Fertility {
    /// TFR schedule, pattern shares on the grid, SRB schedule; values checked.
    pub fn new(tfr: Schedule, pattern: PeriodSeries, srb: Schedule) -> Result<Self> {
        let (lo, hi) = tfr.range();
        check_tfr("TFR", lo)?;
        check_tfr("TFR", hi)?;
        let (lo, hi) = srb.range();
        check_srb("sex ratio at birth", lo)?;
        check_srb("sex ratio at birth", hi)?;
        for (from, to, shares) in pattern.periods() {
            let sum = shares.sum();
            if (sum - 1.0).abs() > 1e-6
                || shares.iter().any(|v| v.is_nan() || *v < 0.0)
                || shares[0] > 0.0
            {
                return Err(Error::invalid(
                    format!("fertility pattern {from}-{to}"),
                    format!("shares summing to {sum}"),
                    "non-negative shares summing to 1, none in the first age group",
                ));
            }
        }
        Ok(Fertility { tfr, pattern, srb })
    }

    /// Age-specific rates per woman-year by grid group, the TFR and the SRB
    /// for the step `[start, start + n)`.
    pub fn for_step(&self, start: f64, n: f64) -> (Array1<f64>, f64, f64) {
        let tfr = self.tfr.for_step(start, n);
        let shares = self.pattern.at(start + 0.5 * n);
        let shares = &shares / shares.sum();
        (shares * (tfr / n), tfr, self.srb.for_step(start, n))
    }

    /// The same fertility with another TFR schedule (checked).
    pub fn with_tfr(&self, tfr: Schedule) -> Result<Self> {
        Fertility::new(tfr, self.pattern.clone(), self.srb.clone())
    }

    /// The same fertility with the TFR multiplied by `ratio` (checked).
    pub fn with_tfr_ratio(&self, ratio: f64) -> Result<Self> {
        self.with_tfr(self.tfr.scaled("TFR", ratio)?)
    }

    /// The same fertility with another sex ratio at birth (checked).
    pub fn with_srb(&self, srb: Schedule) -> Result<Self> {
        Fertility::new(self.tfr.clone(), self.pattern.clone(), srb)
    }

    /// Number of grid groups the pattern covers.
    pub fn pattern_len(&self) -> usize {
        self.pattern.width()
    }
}
