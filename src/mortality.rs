//! Mortality assumptions: the death rates (and so the life table) of each
//! projection step.
//!
//! * [`Mortality::Periods`]: mx by period from a table (e.g. WPP's mxM/mxF),
//!   interpolated log-linearly between period midpoints for shorter steps.
//! * [`Mortality::Brass`]: a standard schedule moved to a target life
//!   expectancy with the Brass relational logit model (Brass 1971; PHG 2001
//!   §9.3): `Y(x) = α + β·Ys(x)` with `Y = ½·ln((1 − lx)/lx)` and β = 1; α is
//!   solved by bisection so that the resulting table's e0 equals the target.
//!   Rates are recovered from the moved `lx` with the same ax conventions as
//!   [`LifeTable`] (Coale-Demeny a0 and 4a1 iterated with m0); the open-age
//!   rate moves in proportion to the last closed age's rate.

use ndarray::Array1;

use crate::error::{Error, Result};
use crate::life_table::{self, coale_demeny_a0_4a1, LifeTable, OpenAgeClosure};
use crate::path::{PeriodSeries, YearPath};
use crate::population::Sex;

/// Death rates for each step.
#[derive(Debug, Clone)]
pub enum Mortality {
    /// mx by period on `ages`, one series per sex (male, female).
    Periods {
        /// Lower bounds of the age groups of `mx`.
        ages: Vec<u32>,
        /// mx by period, male and female.
        mx: [PeriodSeries; 2],
    },
    /// A standard schedule moved to e0 targets by sex.
    Brass {
        /// The standard life tables, male and female.
        standard: Box<[LifeTable; 2]>,
        /// e0 target paths, male and female.
        e0: [YearPath; 2],
    },
}

impl Mortality {
    /// The life-table ages the rates are given for.
    pub fn ages(&self) -> &[u32] {
        match self {
            Mortality::Periods { ages, .. } => ages,
            Mortality::Brass { standard, .. } => standard[0].ages(),
        }
    }

    /// The same mortality with life expectancy raised by `gain` years,
    /// phased in linearly from `from` to `to` (Brass mortality only: it is
    /// set by e0 targets).
    pub fn with_e0_gain(&self, gain: f64, from: f64, to: f64) -> Result<Self> {
        match self {
            Mortality::Brass { standard, e0 } => Ok(Mortality::Brass {
                standard: standard.clone(),
                e0: [
                    e0[0].with_ramp("male e0", gain, from, to)?,
                    e0[1].with_ramp("female e0", gain, from, to)?,
                ],
            }),
            Mortality::Periods { .. } => Err(Error::invalid(
                "e0 gain",
                "mortality given as tables by period",
                "a model whose mortality is moved to e0 targets (method = \"brass\")",
            )),
        }
    }

    /// The life table of `sex` for the step `[start, start + n)`.
    pub fn life_table(&self, sex: Sex, start: f64, n: f64) -> Result<LifeTable> {
        match self {
            Mortality::Periods { ages, mx } => {
                let rates = mx[sex.index()].at(start + 0.5 * n);
                LifeTable::from_mx(
                    sex,
                    ages,
                    rates.as_slice().unwrap_or(&[]),
                    OpenAgeClosure::ConstantHazard,
                )
            }
            Mortality::Brass { standard, e0 } => {
                let path = &e0[sex.index()];
                let target = (0..n.max(1.0) as i32)
                    .map(|k| path.at(start + f64::from(k)))
                    .sum::<f64>()
                    / n.max(1.0).floor();
                brass_to_e0(&standard[sex.index()], target)
            }
        }
    }
}

/// The Brass logit of survivorship: `½·ln((1 − l)/l)`.
fn logit(l: f64) -> f64 {
    0.5 * ((1.0 - l) / l).ln()
}

/// Rates for a moved table with logit level `alpha` (β = 1).
fn brass_rates(standard: &LifeTable, alpha: f64) -> Vec<f64> {
    let ages = standard.ages();
    let k = ages.len();
    let l: Vec<f64> = standard
        .lx()
        .iter()
        .map(|&ls| {
            if ls >= 1.0 {
                1.0
            } else {
                1.0 / (1.0 + (2.0 * (alpha + logit(ls))).exp())
            }
        })
        .collect();
    let mut mx = vec![0.0; k];
    let mut m0 = standard.mx()[0];
    for i in 0..k - 1 {
        let n = f64::from(ages[i + 1] - ages[i]);
        let q = if l[i] > 0.0 {
            1.0 - l[i + 1] / l[i]
        } else {
            1.0
        };
        mx[i] = match (ages[i], n as u32) {
            (0, 1) => {
                // a0 depends on m0: iterate to the fixed point.
                for _ in 0..50 {
                    let (a0, _) = coale_demeny_a0_4a1(standard.sex(), m0);
                    m0 = life_table::mx_from_qx(q, 1.0, a0);
                }
                m0
            }
            (1, 4) => life_table::mx_from_qx(q, 4.0, coale_demeny_a0_4a1(standard.sex(), m0).1),
            _ => life_table::mx_from_qx(q, n, 0.5 * n),
        };
    }
    let std_mx = standard.mx();
    let ratio = if std_mx[k - 2] > 0.0 {
        mx[k - 2] / std_mx[k - 2]
    } else {
        1.0
    };
    mx[k - 1] = std_mx[k - 1] * ratio;
    mx
}

/// The standard table moved (Brass relational logit, β = 1) to life
/// expectancy `target_e0`.
pub fn brass_to_e0(standard: &LifeTable, target_e0: f64) -> Result<LifeTable> {
    let table = |alpha: f64| {
        LifeTable::from_mx(
            standard.sex(),
            standard.ages(),
            &brass_rates(standard, alpha),
            OpenAgeClosure::ConstantHazard,
        )
    };
    let (mut lo, mut hi) = (-4.0, 4.0); // e0 falls as alpha rises
    let (e_hi, e_lo) = (table(lo)?.e0(), table(hi)?.e0());
    if !(target_e0 > e_lo && target_e0 < e_hi) {
        return Err(Error::invalid(
            format!("target life expectancy ({})", standard.sex().label()),
            target_e0,
            format!("a value the standard schedule can be moved to ({e_lo:.1} to {e_hi:.1})"),
        ));
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if table(mid)?.e0() > target_e0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    table(0.5 * (lo + hi))
}

/// A constant-in-time period table: one schedule for all years.
pub fn fixed_periods(ages: Vec<u32>, male: Array1<f64>, female: Array1<f64>) -> Result<Mortality> {
    let series = |mx: Array1<f64>| PeriodSeries::new("mx", vec![(0.0, 1.0, mx)], true);
    Ok(Mortality::Periods {
        ages,
        mx: [series(male)?, series(female)?],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::life_table::abridged_ages;

    #[test]
    fn brass_hits_target_and_zero_shift_is_identity() {
        let ages = abridged_ages(100);
        let mx: Vec<f64> = ages
            .iter()
            .map(|&a| 0.00005 * (0.09 * f64::from(a)).exp() + 0.0003)
            .collect();
        let std =
            LifeTable::from_mx(Sex::Female, &ages, &mx, OpenAgeClosure::ConstantHazard).unwrap();
        let back = brass_rates(&std, 0.0);
        for (a, b) in back.iter().zip(&mx) {
            assert!((a / b - 1.0).abs() < 1e-6, "{a} vs {b}");
        }
        let moved = brass_to_e0(&std, std.e0() + 3.0).unwrap();
        assert!((moved.e0() - std.e0() - 3.0).abs() < 1e-8);
        assert!(brass_to_e0(&std, -1.0).is_err());
    }
}
