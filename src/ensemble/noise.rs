//! The stochastic processes of an ensemble (see the module [`crate::ensemble`]
//! for the models and their defaults) and the per-step draws of a block.

use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};

use super::calibration::CalibratedSteps;
use super::lanes::Lanes;

/// AR(1) deviations of log TFR around the scenario path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfrNoise {
    /// φ, in (−1, 1).
    pub persistence: f64,
    /// σ per year, >= 0.
    pub volatility: f64,
}

impl Default for TfrNoise {
    fn default() -> Self {
        TfrNoise {
            persistence: 0.8,
            volatility: 0.05,
        }
    }
}

/// A random walk of the log of a common factor on probabilities of dying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MortalityNoise {
    /// σ of the yearly innovation, >= 0.
    pub sd: f64,
}

impl Default for MortalityNoise {
    fn default() -> Self {
        MortalityNoise { sd: 0.015 }
    }
}

/// Survival with the probability of dying `1 − s` scaled by `f` (capped).
#[inline(always)]
pub(super) fn scaled_survival(s: f64, f: f64) -> f64 {
    (1.0 - f * (1.0 - s)).max(0.0)
}

/// Normal deviations of the annual net migration total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationNoise {
    /// Standard deviation, persons per year, >= 0.
    pub sd: f64,
}

/// Which assumptions are uncertain, and how.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stochastic {
    /// TFR noise; `None`: the scenario's TFR path as it is.
    pub tfr: Option<TfrNoise>,
    /// Mortality noise; `None`: the scenario's mortality as it is.
    pub mortality: Option<MortalityNoise>,
    /// Migration noise; `None`: the scenario's migrants as they are.
    pub migration: Option<MigrationNoise>,
    /// Need and standards taken as certain: every demand's factor is 1
    /// (the prevalence tables' and the demands' own 90% intervals are not
    /// drawn). `false` (the default): they are drawn.
    pub certain_need: bool,
    /// Supply taken as planned: no draw of any service's delivery share or
    /// attrition. `false` (the default): they are drawn.
    pub certain_supply: bool,
    /// The base population taken as certain: no draw of the model's base
    /// total or structure intervals. `false` (the default): they are drawn.
    pub certain_base: bool,
    /// Use `tfr` and `mortality` even where the model borrows a
    /// calibration (`[uncertainty] calibration`); `false` (the default):
    /// the calibration replaces them.
    pub own_noise: bool,
    /// Fertility taken as the scenario says: no TFR noise, calibrated or
    /// not (the calibrated draws are still made, so the other sources'
    /// draws stay the same).
    pub certain_fertility: bool,
    /// Mortality taken as the scenario says: no mortality noise,
    /// calibrated or not (draws made as for `certain_fertility`).
    pub certain_mortality: bool,
}

impl Stochastic {
    /// Checks parameters.
    pub fn check(&self) -> Result<()> {
        if let Some(t) = self.tfr {
            if !(t.persistence > -1.0 && t.persistence < 1.0) {
                return Err(Error::invalid(
                    "TFR persistence",
                    t.persistence,
                    "a value in (-1, 1)",
                ));
            }
            non_negative("TFR volatility", t.volatility)?;
        }
        if let Some(m) = self.mortality {
            non_negative("mortality volatility (sd)", m.sd)?;
        }
        if let Some(m) = self.migration {
            non_negative("migration volatility (sd)", m.sd)?;
        }
        Ok(())
    }
}

/// Checks that a spread is a finite number >= 0.
fn non_negative(what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(what, value, "a number >= 0"))
    }
}

/// The state of a block's processes: each trajectory's TFR deviation and
/// mortality index.
pub(super) struct NoiseState<'a> {
    stochastic: Stochastic,
    /// Calibrated TFR and mortality, replacing `stochastic`'s.
    calibrated: Option<&'a CalibratedSteps>,
    /// Draws per step (the grid's width in years).
    per_step: usize,
    /// d(t) of log TFR, per trajectory.
    tfr_deviation: Vec<f64>,
    /// κ(t), per trajectory.
    kappa: Vec<f64>,
}

impl<'a> NoiseState<'a> {
    /// Every process at its start (`d = κ = 0`) for `count` trajectories;
    /// gives `lanes` a mortality factor when mortality is random.
    pub(super) fn new(
        stochastic: Stochastic,
        calibrated: Option<&'a CalibratedSteps>,
        per_step: usize,
        count: usize,
        lanes: &mut Lanes,
    ) -> NoiseState<'a> {
        // A source taken as certain keeps its draws at zero spread, so the
        // other sources see the same random numbers.
        let mut stochastic = stochastic;
        if stochastic.certain_fertility {
            if let Some(t) = &mut stochastic.tfr {
                t.volatility = 0.0;
            }
        }
        if stochastic.certain_mortality {
            if let Some(m) = &mut stochastic.mortality {
                m.sd = 0.0;
            }
        }
        if stochastic.mortality.is_some() || calibrated.is_some() {
            lanes.mort_factor = Some(vec![1.0; 2 * lanes.n]);
        }
        NoiseState {
            stochastic,
            calibrated,
            per_step,
            tfr_deviation: vec![0.0; count],
            kappa: vec![0.0; count],
        }
    }

    /// Draws one step of every process for the block's trajectories and
    /// sets the lanes' factors: the mean of `exp(κ)` and of `exp(d)` over
    /// the step's years, and the migration deviation (persons in the step).
    /// Draws come in a fixed order: per trajectory, its mortality
    /// innovations (one per year of the step), its TFR deviations (one per
    /// year), then its migration deviation.
    ///
    /// Calibrated (see [`super::calibration`]), step `step` draws per
    /// trajectory one mortality innovation, one TFR innovation, then the
    /// migration deviation; the states start at the first step's draw.
    #[inline(always)]
    pub(super) fn draw_step(
        &mut self,
        step: usize,
        lanes: &mut Lanes,
        rng: &mut Xoshiro256PlusPlus,
    ) {
        if let Some(c) = self.calibrated {
            let mig_sd = self.stochastic.migration.map(|m| m.sd);
            let n_years = self.per_step as f64;
            let (tfr_map, kappa_map) = (&c.tfr[step], &c.kappa[step]);
            let innovation = |state: &mut f64, rho: f64, e: f64| {
                *state = if step == 0 {
                    e
                } else {
                    rho * *state + (1.0 - rho * rho).sqrt() * e
                };
            };
            let n = lanes.n;
            let fertility = !self.stochastic.certain_fertility;
            for t in 0..self.kappa.len() {
                let e: f64 = StandardNormal.sample(rng);
                innovation(&mut self.kappa[t], c.e0_rho[step], e);
                if !self.stochastic.certain_mortality {
                    let f = lanes.mort_factor.as_mut().expect("calibrated mortality");
                    f[t] = kappa_map[0].at(self.kappa[t]).exp();
                    f[n + t] = kappa_map[1].at(self.kappa[t]).exp();
                }
                let e: f64 = StandardNormal.sample(rng);
                innovation(&mut self.tfr_deviation[t], c.tfr_rho, e);
                if fertility {
                    lanes.tfr_factor[t] = tfr_map.at(self.tfr_deviation[t]).exp();
                }
                lanes.mig_delta[t] = match mig_sd {
                    Some(sd) => {
                        let e: f64 = StandardNormal.sample(rng);
                        sd * e * n_years
                    }
                    None => 0.0,
                };
            }
            return;
        }
        let per_step = self.per_step;
        let (phi, sigma) = self
            .stochastic
            .tfr
            .map(|t| (t.persistence, t.volatility))
            .unwrap_or((0.0, 0.0));
        let mig_sd = self.stochastic.migration.map(|m| m.sd).unwrap_or(0.0);
        let mort_sd = self.stochastic.mortality.map(|m| m.sd);
        let n_years = per_step as f64;
        let n = lanes.n;
        for t in 0..self.kappa.len() {
            if let (Some(sd), Some(f)) = (mort_sd, lanes.mort_factor.as_mut()) {
                let mut sum = 0.0;
                for _ in 0..per_step {
                    let e: f64 = StandardNormal.sample(rng);
                    self.kappa[t] += sd * e;
                    sum += self.kappa[t].exp();
                }
                // One index for both sexes.
                f[t] = sum / per_step as f64;
                f[n + t] = f[t];
            }
            let mut factor = 1.0;
            if self.stochastic.tfr.is_some() {
                let mut sum = 0.0;
                for _ in 0..per_step {
                    let e: f64 = StandardNormal.sample(rng);
                    self.tfr_deviation[t] = phi * self.tfr_deviation[t] + sigma * e;
                    sum += self.tfr_deviation[t].exp();
                }
                factor = sum / per_step as f64;
            }
            lanes.tfr_factor[t] = factor;
            lanes.mig_delta[t] = if self.stochastic.migration.is_some() {
                let e: f64 = StandardNormal.sample(rng);
                mig_sd * e * n_years
            } else {
                0.0
            };
        }
    }
}
