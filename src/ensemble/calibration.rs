//! Fertility and mortality noise calibrated to a published probabilistic
//! projection (the UN's WPP 2019: median, 80% and 95% bounds of TFR and of
//! e0 by sex, per 5-year period).
//!
//! Each process is a Gaussian copula: a standardised state `x` (unit
//! variance in every step) mapped through the period's quantiles, so every
//! step's marginal distribution has the published median and 80% and 95%
//! bounds exactly (piecewise linear between the normal quantiles of the
//! five points, extended linearly beyond the 95% bounds):
//!
//! * TFR: `TFR = median-path TFR · exp(g(x))`, `g` through `ln(bound /
//!   median)` at the normal quantiles −1.96, −1.28, 0, 1.28, 1.96;
//! * mortality: each sex's probabilities of dying scaled by `exp(κ_s)`,
//!   `κ_s = h_s(y)` from one state `y` for both sexes (their deviations
//!   move together), where `h_s` passes through the κ at which the step's
//!   e0 of that sex (from the step's survival ratios) moves from its median
//!   by the published bound's distance from the published median.
//!
//! Only how deviations carry from step to step is chosen, not fitted: the
//! published bounds fix each step's spread, the state's correlation how a
//! deviation persists, and with them the spread of the population (an
//! output; nothing fits it).
//!
//! * TFR: a stationary AR(1), `x(1) = ε`, `x(k+1) = ρ·x(k) + √(1 − ρ²)·ε`,
//!   with `ρ = 0.9` per 5 years, of the order of the autoregressive
//!   coefficient of the UN's phase-III TFR model (Fosdick & Raftery 2014,
//!   Demography 51:1269-1294; Raftery, Alkema & Gerland 2014, Stat Sci
//!   29:58-68); on a 1-year grid ρ is taken to the 1/5th power per step.
//! * Mortality: a standardised random walk, as the UN's e0 model, whose
//!   gains are a random walk with drift (Raftery, Chunn, Gerland & Ševčíková
//!   2013, Demography 50:777-801): a step `t` years into the walk has
//!   `y(t) = √(s/t)·y(s) + √(1 − s/t)·ε` after the step `s` years in, the
//!   correlation `√(s/t)` of a walk's sums. The walk starts in the middle of
//!   the last observed period (2.5 years before the publication's start),
//!   so the UN's first projected period is its first 5-year step. (A
//!   stationary state with ρ = 0.97 per 5 years, used before, kept early
//!   deviations too long: China's lower population bounds came out 20% wider
//!   than the UN's, now within 16%.)
//!
//! The bounds are interpolated linearly between the periods' midpoints (on
//! a 5-year grid aligned with the periods: the periods' own).
//!
//! A model borrows another population's spread on the relative scale and
//! by horizon: a step `h` years after the model's base year takes the
//! published period `h` years after the publication's own start (2020 for
//! WPP 2019), its TFR bounds as ratios to the median and its e0 bounds as
//! distances from the median; before the middle of the first period the
//! spread grows in proportion to `h` (a base year's own rates are known).

use crate::error::{Error, Result};

use super::indicators::e0_of_survival;
use super::step::StepInputs;

/// The standard normal quantiles of the 2.5th, 10th, 50th, 90th and 97.5th
/// percentiles.
const Z: [f64; 5] = [
    -1.959_963_984_540_054,
    -1.281_551_565_544_601,
    0.0,
    1.281_551_565_544_601,
    1.959_963_984_540_054,
];

/// A period's published median and 80% and 95% bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodBounds {
    /// First year of the period.
    pub start: f64,
    /// First year after it.
    pub end: f64,
    /// Lower 95% bound, lower 80% bound, median, upper 80%, upper 95%.
    pub values: [f64; 5],
}

/// Published uncertainty of TFR and e0 (by sex), per period, and the
/// persistence of the TFR process per 5 years (the mortality state is a
/// standardised random walk, see the module).
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// TFR bounds by period.
    pub tfr: Vec<PeriodBounds>,
    /// e0 bounds by period: male, female.
    pub e0: [Vec<PeriodBounds>; 2],
    /// ρ of the TFR state per 5 years, in [0, 1).
    pub tfr_persistence: f64,
}

/// Years from the middle of the last observed 5-year period to the
/// publication's start (2017.5 to 2020 for WPP 2019): the mortality state
/// is a random walk from there, so a step `h` years after the start is
/// `h + 2.5` years into it.
const RANDOM_WALK_ORIGIN: f64 = 2.5;

/// The default ρ per 5 years of TFR (see the module).
pub const DEFAULT_TFR_PERSISTENCE: f64 = 0.9;

impl Calibration {
    /// Checks that every period's values increase and are positive and
    /// that ρ is in [0, 1).
    pub fn check(&self) -> Result<()> {
        let p = self.tfr_persistence;
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid(
                "TFR persistence",
                p,
                "a correlation in [0, 1)",
            ));
        }
        let all = [
            ("TFR", &self.tfr),
            ("e0 male", &self.e0[0]),
            ("e0 female", &self.e0[1]),
        ];
        for (what, periods) in all {
            if periods.is_empty() {
                return Err(Error::invalid(
                    format!("{what} bounds"),
                    "none",
                    "one per period",
                ));
            }
            for b in periods {
                let v = b.values;
                if !(v.iter().all(|x| x.is_finite() && *x > 0.0)
                    && v.windows(2).all(|w| w[0] <= w[1]))
                {
                    return Err(Error::invalid(
                        format!("{what} bounds {}-{}", b.start, b.end),
                        format!("{v:?}"),
                        "positive 95% low <= 80% low <= median <= 80% high <= 95% high",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A monotone map from a standard normal deviate through five knots.
#[derive(Debug, Clone, Copy)]
pub(super) struct QuantileMap([f64; 5]);

impl QuantileMap {
    pub(super) fn at(&self, z: f64) -> f64 {
        let k = &self.0;
        // The knot interval below `z`: 0 below Z[1], ..., 3 from Z[3] on
        // (and for NaN), counted without branches (random deviates would
        // mispredict them; the knots increase).
        let below = |knot: f64| usize::from(z < knot);
        let i = 3 - below(Z[1]) - below(Z[2]) - below(Z[3]);
        k[i] + (z - Z[i]) * (k[i + 1] - k[i]) / (Z[i + 1] - Z[i])
    }
}

/// The calibration on the ensemble's steps: per step the TFR map (log
/// factor) and the κ map, and ρ per step.
pub(super) struct CalibratedSteps {
    pub(super) tfr: Vec<QuantileMap>,
    /// Per step, the κ map of each sex (male, female), from one state.
    pub(super) kappa: Vec<[QuantileMap; 2]>,
    pub(super) tfr_rho: f64,
    /// Per step, the correlation of the mortality state with the step
    /// before (a standardised random walk; step 0 starts it).
    pub(super) e0_rho: Vec<f64>,
}

/// `f` of the periods' values at year `mid`, interpolated linearly between
/// the midpoints of neighbouring periods (held beyond the first and last),
/// so the spread moves smoothly from period to period.
fn interpolated(periods: &[PeriodBounds], mid: f64, f: impl Fn(&[f64; 5]) -> [f64; 5]) -> [f64; 5] {
    let centre = |p: &PeriodBounds| 0.5 * (p.start + p.end);
    let first = &periods[0];
    if mid <= centre(first) {
        return f(&first.values);
    }
    for w in periods.windows(2) {
        let (a, b) = (centre(&w[0]), centre(&w[1]));
        if mid <= b {
            let x = (mid - a) / (b - a);
            let (fa, fb) = (f(&w[0].values), f(&w[1].values));
            return [0, 1, 2, 3, 4].map(|j| fa[j] + x * (fb[j] - fa[j]));
        }
    }
    f(&periods[periods.len() - 1].values)
}

impl CalibratedSteps {
    /// The maps of each of `steps` (step `k` covering `k·width` to
    /// `(k + 1)·width` years after the base year).
    pub(super) fn new(
        calibration: &Calibration,
        steps: &[StepInputs],
        width: f64,
    ) -> CalibratedSteps {
        let mut tfr = Vec::with_capacity(steps.len());
        let mut kappa = Vec::with_capacity(steps.len());
        // Spreads are borrowed by horizon: a step `h` years after the base
        // year takes the period `h` years after the calibration's own start,
        // and within the first period's first half the spread grows in
        // proportion to `h` from nothing at the base year.
        let origin = calibration.tfr[0].start;
        let first_mid = 0.5 * (calibration.tfr[0].start + calibration.tfr[0].end) - origin;
        for (k, step) in steps.iter().enumerate() {
            let h = width * (k as f64 + 0.5);
            let mid = origin + h;
            let scale = (h / first_mid).min(1.0);
            let log_ratios = interpolated(&calibration.tfr, mid, |b| b.map(|v| (v / b[2]).ln()));
            tfr.push(QuantileMap(log_ratios.map(|v| scale * v)));
            let maps = [0, 1].map(|s| {
                let offsets = interpolated(&calibration.e0[s], mid, |b| b.map(|v| v - b[2]));
                let e0 = |kappa: f64| e0_of_survival(&step.rates.survival[s], width, kappa.exp());
                let centre = e0(0.0);
                QuantileMap(offsets.map(|d| solve_kappa(&e0, centre + scale * d)))
            });
            kappa.push(maps);
        }
        let per_step = width / 5.0;
        CalibratedSteps {
            tfr,
            kappa,
            tfr_rho: calibration.tfr_persistence.powf(per_step),
            e0_rho: random_walk_correlations(steps.len(), width),
        }
    }
}

/// Per step of `width` years, the correlation of a standardised random
/// walk with the step before, `√(s/t)` with `s` and `t` the two steps'
/// midpoints in years into the walk (0 for the first step, which starts it).
fn random_walk_correlations(steps: usize, width: f64) -> Vec<f64> {
    let years = |k: usize| width * (k as f64 + 0.5) + RANDOM_WALK_ORIGIN;
    (0..steps)
        .map(|k| {
            if k == 0 {
                0.0
            } else {
                (years(k - 1) / years(k)).sqrt()
            }
        })
        .collect()
}

/// The κ at which the decreasing `e0(κ)` equals `target` (bisection on
/// [−6, 6]; the nearer end when out of reach).
fn solve_kappa(e0: &dyn Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (-6.0, 6.0);
    if e0(lo) <= target {
        return lo;
    }
    if e0(hi) >= target {
        return hi;
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if e0(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    /// The map is linear between knots, passes through each knot, and
    /// extrapolates the end segments (a knot takes the segment above it).
    #[test]
    fn quantile_map_interpolates_between_knots() {
        use super::{QuantileMap, Z};
        let knots = [-0.3, -0.2, 0.0, 0.25, 0.4];
        let map = QuantileMap(knots);
        for (z, k) in Z.iter().zip(knots) {
            assert!((map.at(*z) - k).abs() < 1e-15, "at {z}");
        }
        let segment = |i: usize, z: f64| {
            knots[i] + (z - Z[i]) * (knots[i + 1] - knots[i]) / (Z[i + 1] - Z[i])
        };
        for (z, i) in [
            (-3.0, 0),
            (-1.5, 0),
            (-0.5, 1),
            (0.0, 2),
            (1.0, 2),
            (1.2815515655446, 2),
            (Z[3], 3),
            (2.5, 3),
        ] {
            assert_eq!(map.at(z).to_bits(), segment(i, z).to_bits(), "at {z}");
        }
        assert!(map.at(f64::NAN).is_nan());
    }

    /// The mortality state's step correlations chain to those of a random
    /// walk's sums: `√(s/t)` between any two steps, whatever the grid.
    #[test]
    fn mortality_state_is_a_standardised_random_walk() {
        let five = super::random_walk_correlations(4, 5.0);
        let expected = [
            0.0,
            (5.0f64 / 10.0).sqrt(),
            (10.0f64 / 15.0).sqrt(),
            0.8660254037844386,
        ];
        for (a, b) in five.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{five:?}");
        }
        // On a 1-year grid step k is k + 3 years in: from step 0 to step k
        // the chained correlation is √(3 / (k + 3)).
        let one = super::random_walk_correlations(30, 1.0);
        let mut chained = 1.0;
        for (k, rho) in one.iter().enumerate().skip(1) {
            chained *= rho;
            let exact = (3.0 / (k as f64 + 3.0)).sqrt();
            assert!(
                (chained - exact).abs() < 1e-12,
                "step {k}: {chained} vs {exact}"
            );
        }
    }

    use super::*;

    #[test]
    fn quantile_map_passes_its_knots_and_extends_linearly() {
        let m = QuantileMap([-0.3, -0.2, 0.0, 0.1, 0.25]);
        for (z, k) in Z.iter().zip(m.0) {
            assert!((m.at(*z) - k).abs() < 1e-12);
        }
        let slope = (0.25 - 0.1) / (Z[4] - Z[3]);
        assert!((m.at(3.0) - (0.25 + slope * (3.0 - Z[4]))).abs() < 1e-12);
        assert!(m.at(-3.0) < -0.3);
    }

    #[test]
    fn kappa_solves_a_decreasing_function() {
        let f = |k: f64| 80.0 - 10.0 * k;
        assert!((solve_kappa(&f, 75.0) - 0.5).abs() < 1e-9);
        assert_eq!(solve_kappa(&f, 200.0), -6.0);
    }
}
