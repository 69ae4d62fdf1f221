//! Monte Carlo ensembles: many trajectories of one scenario under
//! stochastic assumptions, stepped together and summarised as they go.
//!
//! # Stochastic assumptions
//!
//! * TFR ([`TfrNoise`]): log TFR deviates from the scenario path by an AR(1)
//!   process, `d(t) = φ·d(t−1) + σ·ε(t)`, `d(0) = 0`, one draw per step. The
//!   defaults φ = 0.8, σ = 0.05 per year give a stationary spread of about
//!   ±8% (one sd) around the path, close to the year-to-year variation of
//!   low-fertility countries' TFRs around their trends in WPP 2019 estimates;
//!   they match `../shared/peers/numpy_ensemble.py`.
//! * Mortality ([`MortalityNoise`]): a Lee-Carter-style index `κ` follows
//!   a random walk without drift around the scenario's mortality (whose e0
//!   path carries the drift), `κ(t) = κ(t−1) + σ·ε(t)`, and every age's
//!   probability of dying between steps is multiplied by `exp(κ)` (capped
//!   at 1), so age-specific rates move together. The default σ = 0.015 a
//!   year is the spread of 5-year changes in log mean mortality at ages
//!   60-85 in WPP 2019 estimates for 1980-2020, divided by √5 (women:
//!   China 0.015, Japan 0.020, France 0.016, United Kingdom 0.015, USA
//!   0.017; Spain 0.007, Sweden 0.004). Scaling the probability rather than
//!   the rate `m` is the same to first order and keeps the step a
//!   multiply-add.
//! * Net migration ([`MigrationNoise`]): the annual total gets an independent
//!   normal deviation of `sd` persons a year, spread over ages and sexes like
//!   the scenario's migrants (Rogers-Castro where the scenario has none).
//!
//! # Determinism
//!
//! Trajectories run in blocks of [`BLOCK`]; block `b` draws from its own
//! Xoshiro256++ stream seeded from `(seed, b)`, in a fixed order (per step:
//! each trajectory's TFR draw, then its migration draw). A block is always
//! computed by one thread, so results do not depend on the number of threads
//! or on how blocks are scheduled.
//!
//! # Streaming summaries
//!
//! Nothing of size trajectories x years x ages is kept: a block hands each
//! year's values to the reduction as soon as they are computed (only block
//! 0, which sets the ranges, and blocks with kept trajectories are held
//! whole). Each indicator of each year is reduced into: the exact minimum
//! and maximum; a histogram of [`BINS`] equal bins over a range set by the
//! first block (its spread, widened by twice that spread on each side),
//! counted in 16 bits and moved into 32-bit totals before they could
//! overflow, with values outside the range kept exactly; and per-block sums
//! added in block order for the mean.
//! Counts are integers and the range comes from block 0, so merged results
//! are bit-identical whatever the thread count. Quantiles use numpy's
//! default (linear) definition on the ranks, with values spread evenly
//! inside a bin: exact when all trajectories agree, otherwise within one bin
//! (1/[`BINS`] of five times block 0's spread).

// Lane loops index several per-trajectory arrays in step; iterator zips of
// four or five slices would obscure them.
#![allow(clippy::needless_range_loop)]

use ndarray::{Array1, Array2};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::gap::{DemandForm, SHORTFALL_THRESHOLD};
use crate::indicators::Indicator;
use crate::population::{Population, Sex};
use crate::projection::{Assumptions, StepRates};

/// Trajectories the fast kernels handle together (lanes are padded to it).
const LANE_CHUNK: usize = 8;

/// Trajectories per block: the unit of random streams and of work.
pub const BLOCK: usize = 256;
/// Histogram bins per indicator and year.
pub const BINS: usize = 4096;

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
fn scaled_survival(s: f64, f: f64) -> f64 {
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
    pub tfr: Option<TfrNoise>,
    pub mortality: Option<MortalityNoise>,
    pub migration: Option<MigrationNoise>,
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

/// An ensemble request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleSpec {
    pub trajectories: usize,
    pub seed: u64,
    pub stochastic: Stochastic,
    /// Whole trajectories to keep (the first ones), for plots.
    pub keep: usize,
}

/// Quantiles and mean of one indicator in one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub p025: f64,
    pub p05: f64,
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p95: f64,
    pub p975: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// A demand the ensemble summarised: service and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandLabel {
    pub service: String,
    pub method: String,
    pub primary: bool,
}

/// The risk of a shortfall of one service in one year. Shortfalls are
/// signed (`demand − supply`, negative: a surplus).
#[derive(Debug, Clone, PartialEq)]
pub struct GapRisk {
    pub service: String,
    pub year: i32,
    pub supply: f64,
    /// Share of trajectories whose gap exceeds [`SHORTFALL_THRESHOLD`].
    pub p_shortfall: f64,
    pub shortfall_p50: f64,
    pub shortfall_p90: f64,
    /// Capacity that meets demand in 90% of trajectories (demand's p90).
    pub capacity_needed_p90: f64,
}

/// When a service first falls short, over the trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstShortfall {
    pub service: String,
    /// `(year, share of trajectories first short in that year)`.
    pub by_year: Vec<(i32, f64)>,
    /// Share of trajectories never short within the horizon.
    pub never: f64,
}

/// The ensemble's summaries: `get(year, indicator)`, `demand(year, i)`,
/// gap risks and first-shortfall distributions.
#[derive(Debug, Clone)]
pub struct EnsembleSummary {
    pub years: Vec<i32>,
    pub indicators: Vec<Indicator>,
    pub demands: Vec<DemandLabel>,
    pub trajectories: usize,
    /// (year index, column) -> summary, columns the indicators then the
    /// demands; `None` where there is no value (flows in the base year).
    summaries: Vec<Option<Summary>>,
    pub risks: Vec<GapRisk>,
    pub first_shortfalls: Vec<FirstShortfall>,
    /// The kept trajectories: `(trajectory, values)` with values
    /// `[year · columns + column]`, columns as in the summaries.
    pub kept: Vec<(usize, Vec<f64>)>,
}

impl EnsembleSummary {
    fn column(&self, year: i32, column: usize) -> Option<Summary> {
        let y = self.years.iter().position(|&v| v == year)?;
        self.summaries[y * (self.indicators.len() + self.demands.len()) + column]
    }

    /// The summary of `indicator` in `year`.
    pub fn get(&self, year: i32, indicator: Indicator) -> Option<Summary> {
        let k = self.indicators.iter().position(|&i| i == indicator)?;
        self.column(year, k)
    }

    /// The summary of demand `index` (of [`EnsembleSummary::demands`]) in `year`.
    pub fn demand(&self, year: i32, index: usize) -> Option<Summary> {
        if index >= self.demands.len() {
            return None;
        }
        self.column(year, self.indicators.len() + index)
    }

    /// The gap risk of `service` in `year`.
    pub fn risk(&self, service: &str, year: i32) -> Option<&GapRisk> {
        self.risks
            .iter()
            .find(|r| r.service == service && r.year == year)
    }
}

/// Demands in the form the kernels use: distinct bases (rows `s·g + a`)
/// and, per demand, its basis, per-year scale and constant.
struct DemandInputs<'a> {
    bases: Vec<Vec<f64>>,
    basis_of: Vec<Option<usize>>,
    forms: &'a [DemandForm],
}

impl<'a> DemandInputs<'a> {
    fn new(forms: &'a [DemandForm]) -> DemandInputs<'a> {
        let mut bases: Vec<Vec<f64>> = Vec::new();
        let basis_of = forms
            .iter()
            .map(|f| {
                let b: Vec<f64> = f.basis.as_ref()?.iter().copied().collect();
                Some(bases.iter().position(|x| *x == b).unwrap_or_else(|| {
                    bases.push(b);
                    bases.len() - 1
                }))
            })
            .collect();
        DemandInputs {
            bases,
            basis_of,
            forms,
        }
    }

    /// Draws each trajectory's factors (per trajectory, per uncertain
    /// demand in order), a share's times its parent's: `[f·count + t]`.
    fn factors(&self, count: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
        let nf = self.forms.len();
        let mut factors = vec![1.0; nf * count];
        for t in 0..count {
            for (f, form) in self.forms.iter().enumerate() {
                if let Some(u) = form.uncertainty {
                    let z: f64 = StandardNormal.sample(rng);
                    factors[f * count + t] = u.factor(z);
                }
            }
        }
        for (f, form) in self.forms.iter().enumerate() {
            if let Some(p) = form.parent {
                for t in 0..count {
                    factors[f * count + t] *= factors[p * count + t];
                }
            }
        }
        factors
    }

    /// Writes every demand of year `y` for the block's real trajectories
    /// into `out[f·real + t]`.
    /// `values` is scratch space (resized to bases x lanes).
    fn emit(
        &self,
        lanes: &Lanes,
        y: usize,
        factors: &[f64],
        values: &mut Vec<f64>,
        out: &mut [f64],
    ) {
        let (g, m) = (lanes.g, lanes.real);
        values.resize(self.bases.len() * lanes.n, 0.0);
        for (k, basis) in self.bases.iter().enumerate() {
            for (c, chunk) in lanes.pop.chunks_exact(2 * g).enumerate() {
                let mut sum = [0.0; LANE_CHUNK];
                for (row, &w) in chunk.iter().zip(basis) {
                    if w != 0.0 {
                        for j in 0..LANE_CHUNK {
                            sum[j] += w * row[j];
                        }
                    }
                }
                values[k * lanes.n + c * LANE_CHUNK..][..LANE_CHUNK].copy_from_slice(&sum);
            }
        }
        for (f, form) in self.forms.iter().enumerate() {
            let (scale, constant) = (form.scale[y], form.constant[y]);
            for t in 0..m {
                let term = self.basis_of[f].map_or(0.0, |k| values[k * lanes.n + t]);
                out[f * m + t] = factors[f * m + t] * (scale * term + constant);
            }
        }
    }
}

/// Deterministic per-step inputs, precomputed once.
struct StepInputs {
    rates: StepRates,
    /// Age-sex shares of migration noise (sum 1).
    noise_shares: Array2<f64>,
    /// Per sex and group (row `s·g + a`): half the migrants, half the noise
    /// share, survival, fertility rate (women).
    coef: Vec<(f64, f64, f64, f64)>,
    /// The plain kernel's tables, per sex.
    plain: [PlainSex; 2],
    /// Whether no group's migrants are negative (nothing to clamp without
    /// migration noise).
    migration_non_negative: bool,
}

impl StepInputs {
    fn new(rates: StepRates, noise_shares: Array2<f64>, bounds: &Bounds) -> StepInputs {
        let g = rates.asfr.len();
        let mut coef = Vec::with_capacity(2 * g);
        for s in 0..2 {
            for a in 0..g {
                let f = if s == 1 { rates.asfr[a] } else { 0.0 };
                coef.push((
                    0.5 * rates.migration[[s, a]],
                    0.5 * noise_shares[[s, a]],
                    rates.survival[s].groups[a],
                    f,
                ));
            }
        }
        let plain = [
            PlainSex::new(&coef[..g], bounds),
            PlainSex::new(&coef[g..], bounds),
        ];
        StepInputs {
            migration_non_negative: rates.migration.iter().all(|&m| m >= 0.0),
            rates,
            noise_shares,
            coef,
            plain,
        }
    }
}

/// Indicator weights by grid group (both sexes): fraction of each group in
/// the indicator's ages.
struct Weights {
    w60: Array1<f64>,
    w65: Array1<f64>,
    w80: Array1<f64>,
    w85: Array1<f64>,
    w0_2: Array1<f64>,
    w15_64: Array1<f64>,
}

impl Weights {
    /// The groups with a share in ages 0-2, and that share.
    fn nonzero_0_2(&self) -> Vec<(usize, f64)> {
        self.w0_2
            .iter()
            .copied()
            .enumerate()
            .filter(|x| x.1 != 0.0)
            .collect()
    }

    fn new(grid: AgeGrid) -> Self {
        let w =
            |from, to| Array1::from_iter((0..grid.len()).map(|i| grid.fraction_in(i, from, to)));
        Weights {
            w60: w(60, None),
            w65: w(65, None),
            w80: w(80, None),
            w85: w(85, None),
            w0_2: w(0, Some(3)),
            w15_64: w(15, Some(65)),
        }
    }
}

/// The ensemble's indicators, in output order.
pub const ENSEMBLE_INDICATORS: [Indicator; 17] = Indicator::ALL;

/// A block of trajectories held in chunks of [`LANE_CHUNK`]: row
/// `c·2g + s·g + a`, lane `j` is chunk `c`, sex `s`, age group `a`,
/// trajectory `c·W + j`. A chunk's whole population is contiguous (13 KB for
/// 101 ages), so the fast kernel keeps eight trajectories in registers while
/// it walks the ages.
#[derive(Clone, Default)]
struct Lanes {
    /// Lanes, a multiple of [`LANE_CHUNK`]; lanes from `real` on are padding.
    n: usize,
    real: usize,
    g: usize,
    pop: Vec<[f64; LANE_CHUNK]>,
    births: Vec<f64>,
    deaths: Vec<f64>,
    migration: Vec<f64>,
    acc: [Vec<f64>; 7],
    median: Vec<f64>,
    tfr_factor: Vec<f64>,
    /// Factor on probabilities of dying this step; `None` when mortality is
    /// not random (the survival ratios are used as they are).
    mort_factor: Option<Vec<f64>>,
    mig_delta: Vec<f64>,
    /// Totals before the current step.
    prev_total: Vec<f64>,
}

const TOTAL: usize = 0;
const P60: usize = 1;
const P65: usize = 2;
const P80: usize = 3;
const P85: usize = 4;
const P02: usize = 5;
const P1564: usize = 6;

impl Lanes {
    fn new(base: &Population, real: usize) -> Lanes {
        let mut lanes = Lanes::default();
        lanes.reset(base, real);
        lanes
    }

    /// Every lane back at `base`, for `real` trajectories (buffers reused).
    fn reset(&mut self, base: &Population, real: usize) {
        let n = real.div_ceil(LANE_CHUNK) * LANE_CHUNK;
        let g = base.grid().len();
        (self.n, self.real, self.g) = (n, real, g);
        self.pop.clear();
        for _ in 0..n / LANE_CHUNK {
            for s in 0..2 {
                self.pop
                    .extend(base.of(Sex::BOTH[s]).iter().map(|&v| [v; LANE_CHUNK]));
            }
        }
        let zeroed = [
            &mut self.births,
            &mut self.deaths,
            &mut self.migration,
            &mut self.median,
            &mut self.mig_delta,
            &mut self.prev_total,
        ];
        for v in zeroed.into_iter().chain(self.acc.iter_mut()) {
            v.clear();
            v.resize(n, 0.0);
        }
        self.tfr_factor.clear();
        self.tfr_factor.resize(n, 1.0);
        self.mort_factor = None;
    }

    /// Index of sex `s`, age `a` for trajectory `t`: (row, lane).
    #[inline(always)]
    fn at(&self, s: usize, a: usize, t: usize) -> (usize, usize) {
        (
            (t / LANE_CHUNK) * 2 * self.g + s * self.g + a,
            t % LANE_CHUNK,
        )
    }

    /// The general step, one trajectory at a time, with clamping: half the
    /// migrants at the start (clamped at zero), survival (the open group
    /// pools), half at the end (clamped), births from the mean exposure.
    fn step_general(&mut self, input: &StepInputs, n_years: f64, fast: &[bool]) {
        let g = self.g;
        let r = &input.rates;
        let male_share = r.srb / (1.0 + r.srb);
        let mut start = vec![0.0; g];
        // Survival by group, then from birth; per trajectory when mortality
        // is random.
        let mut survival: Vec<Vec<f64>> = (0..2)
            .map(|s| {
                let mut row = r.survival[s].groups.to_vec();
                row.push(r.survival[s].birth);
                row
            })
            .collect();
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let delta = self.mig_delta[t];
            let (mut deaths, mut migration, mut fert) = (0.0, 0.0, 0.0);
            if let Some(f) = &self.mort_factor {
                for (s, row) in survival.iter_mut().enumerate() {
                    for (a, v) in row[..g].iter_mut().enumerate() {
                        *v = scaled_survival(r.survival[s].groups[a], f[t]);
                    }
                    row[g] = scaled_survival(r.survival[s].birth, f[t]);
                }
            }
            for s in 0..2 {
                let surv = &survival[s];
                let half =
                    |a: usize| 0.5 * (r.migration[[s, a]] + input.noise_shares[[s, a]] * delta);
                for (a, st) in start.iter_mut().enumerate() {
                    let (row, j) = self.at(s, a, t);
                    let old = self.pop[row][j];
                    *st = (old + half(a)).max(0.0);
                    migration += *st - old;
                    if s == 1 {
                        fert += r.asfr[a] * *st;
                    }
                }
                let start_sum: f64 = start.iter().sum();
                let mut end_sum = 0.0;
                for a in 1..g {
                    let v = if a == g - 1 {
                        start[g - 2] * surv[g - 2] + start[g - 1] * surv[g - 1]
                    } else {
                        start[a - 1] * surv[a - 1]
                    };
                    end_sum += v;
                    let arrived = (v + half(a)).max(0.0);
                    migration += arrived - v;
                    if s == 1 {
                        fert += r.asfr[a] * arrived;
                    }
                    let (row, j) = self.at(s, a, t);
                    self.pop[row][j] = arrived;
                }
                deaths += start_sum - end_sum;
            }
            let births = n_years * self.tfr_factor[t] * 0.5 * fert;
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                let b = births * share;
                let survivors = b * survival[s][g];
                deaths += b - survivors;
                let v = (survivors
                    + 0.5 * (r.migration[[s, 0]] + input.noise_shares[[s, 0]] * delta))
                    .max(0.0);
                migration += v - survivors;
                let (row, j) = self.at(s, 0, t);
                self.pop[row][j] = v;
            }
            self.births[t] = births;
            self.deaths[t] = deaths;
            self.migration[t] = migration;
        }
    }

    /// Accumulates every indicator (general weights) and writes them all
    /// into `out[k·real + t]`.
    fn indicators(
        &mut self,
        grid: AgeGrid,
        w: &Weights,
        step: Option<&StepRates>,
        out: &mut [f64],
        fast: &[bool],
    ) {
        self.accumulate(w, fast);
        self.median_pass(grid, fast);
        self.emit(grid, step, out);
    }

    /// Weighted sums of the population for every stock indicator.
    fn accumulate(&mut self, w: &Weights, fast: &[bool]) {
        let g = self.g;
        let weights: [&Array1<f64>; 6] = [&w.w60, &w.w65, &w.w80, &w.w85, &w.w0_2, &w.w15_64];
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let mut sums = [0.0; 7];
            for s in 0..2 {
                for a in 0..g {
                    let (row, j) = self.at(s, a, t);
                    let v = self.pop[row][j];
                    sums[TOTAL] += v;
                    for (k, wv) in weights.iter().enumerate() {
                        sums[k + 1] += wv[a] * v;
                    }
                }
            }
            for (acc, v) in self.acc.iter_mut().zip(sums) {
                acc[t] = v;
            }
        }
    }

    /// Median age: the first group where the cumulative count passes half.
    fn median_pass(&mut self, grid: AgeGrid, fast: &[bool]) {
        let g = self.g;
        let width = f64::from(grid.width());
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let half = 0.5 * self.acc[TOTAL][t];
            let mut cum = 0.0;
            let mut median = f64::NAN;
            for a in 0..g {
                let (m, j) = self.at(0, a, t);
                let (f, _) = self.at(1, a, t);
                let b = self.pop[m][j] + self.pop[f][j];
                if b > 0.0 && cum + b >= half {
                    median = f64::from(grid.lower(a)) + width * (half - cum) / b;
                    break;
                }
                cum += b;
            }
            self.median[t] = median;
        }
    }

    /// Writes every indicator of every real trajectory into
    /// `out[k·real + t]`.
    fn emit(&self, grid: AgeGrid, step: Option<&StepRates>, out: &mut [f64]) {
        let m = self.real;
        let width = f64::from(grid.width());
        let acc = &self.acc;
        let total = &acc[TOTAL][..m];
        for (k, ind) in ENSEMBLE_INDICATORS.into_iter().enumerate() {
            let slot = &mut out[k * m..(k + 1) * m];
            let copy = |slot: &mut [f64], src: &[f64], scale: f64| {
                for (o, &v) in slot.iter_mut().zip(src) {
                    *o = v * scale;
                }
            };
            let share = |slot: &mut [f64], src: &[f64]| {
                for ((o, &v), &t) in slot.iter_mut().zip(src).zip(total) {
                    *o = if t > 0.0 { v / t } else { 0.0 };
                }
            };
            match (ind, step) {
                (Indicator::Total, _) => copy(slot, total, 1.0),
                (Indicator::Pop60Plus, _) => copy(slot, &acc[P60], 1.0),
                (Indicator::Share60Plus, _) => share(slot, &acc[P60]),
                (Indicator::Pop65Plus, _) => copy(slot, &acc[P65], 1.0),
                (Indicator::Share65Plus, _) => share(slot, &acc[P65]),
                (Indicator::Pop80Plus, _) => copy(slot, &acc[P80], 1.0),
                (Indicator::Share80Plus, _) => share(slot, &acc[P80]),
                (Indicator::Pop85Plus, _) => copy(slot, &acc[P85], 1.0),
                (Indicator::Pop0To2, _) => copy(slot, &acc[P02], 1.0),
                (Indicator::OldAgeDependency, _) => {
                    for ((o, &a), &b) in slot.iter_mut().zip(&acc[P65]).zip(&acc[P1564]) {
                        *o = if b > 0.0 { a / b } else { f64::NAN };
                    }
                }
                (Indicator::MedianAge, _) => copy(slot, &self.median, 1.0),
                (_, None) => slot.fill(f64::NAN),
                (Indicator::Births, Some(_)) => copy(slot, &self.births, 1.0 / width),
                (Indicator::Deaths, Some(_)) => copy(slot, &self.deaths, 1.0 / width),
                (Indicator::NetMigration, Some(_)) => copy(slot, &self.migration, 1.0 / width),
                (Indicator::E0Male | Indicator::E0Female, Some(r)) => {
                    let s = usize::from(ind == Indicator::E0Female);
                    match &self.mort_factor {
                        None => slot.fill(r.e0[s]),
                        Some(f) => {
                            for (o, &f) in slot.iter_mut().zip(f) {
                                *o = e0_of_survival(&r.survival[s], width, f);
                            }
                        }
                    }
                }
                (Indicator::Tfr, Some(r)) => copy(slot, &self.tfr_factor, r.tfr),
            }
        }
    }
}

/// Life expectancy at birth implied by survival ratios (births to group 0,
/// group to group, the pooled open-group ratio last) with probabilities of
/// dying scaled by `f`: person-years `L(0) = n·S(birth)`, `L(a+1) = L(a)·S(a)`,
/// and the open group's `T = L·S/(1 − S)` from the pooled ratio.
fn e0_of_survival(sr: &crate::life_table::SurvivalRatios, n: f64, f: f64) -> f64 {
    let g = sr.groups.len();
    let mut l = n * scaled_survival(sr.birth, f);
    let mut total = 0.0;
    for a in 0..g - 1 {
        total += l;
        if a + 1 < g - 1 {
            l *= scaled_survival(sr.groups[a], f);
        }
    }
    let pooled = scaled_survival(sr.groups[g - 2], f);
    if pooled < 1.0 {
        total += l * pooled / (1.0 - pooled);
    }
    total
}

/// Group indices of the age bounds the indicators use (all multiples of 5).
struct Bounds {
    /// For each group: `Some(lower / 5)` where its lower bound is a multiple of 5.
    five: Vec<Option<usize>>,
    /// The groups at multiples of 5 above 0, with their `lower / 5`.
    five_list: Vec<(usize, usize)>,
    a15: usize,
    a60: usize,
    a65: usize,
    a80: usize,
    a85: usize,
}

impl Bounds {
    /// The snapshot slot (85+, 80+, 65+, 60+, 15+, 1+) and the suffix-sum
    /// index taken after group `a`.
    fn marks(&self, a: usize) -> (Option<usize>, Option<usize>) {
        let slot = if a == self.a85 {
            Some(0)
        } else if a == self.a80 {
            Some(1)
        } else if a == self.a65 {
            Some(2)
        } else if a == self.a60 {
            Some(3)
        } else if a == self.a15 {
            Some(4)
        } else if a == 1 {
            Some(5)
        } else {
            None
        };
        (slot, self.five[a])
    }

    fn new(grid: AgeGrid) -> Bounds {
        let at = |age: u32| grid.group_containing(age);
        Bounds {
            five: (0..grid.len())
                .map(|a| (grid.lower(a) % 5 == 0).then_some(grid.lower(a) as usize / 5))
                .collect(),
            five_list: (1..grid.len())
                .filter(|&a| grid.lower(a) % 5 == 0)
                .map(|a| (a, grid.lower(a) as usize / 5))
                .collect(),
            a15: at(15),
            a60: at(60),
            a65: at(65),
            a80: at(80),
            a85: at(85),
        }
    }
}

impl Lanes {
    /// Whether in chunk `c` no count of this step would go below zero
    /// before clamping (so the fused pass is exact there): starts
    /// `x + h + k·δ`, survivors plus arrivals, and group 0 with births
    /// bounded below by the exposure at the start of the step.
    fn chunk_never_negative(&self, c: usize, input: &StepInputs, n_years: f64) -> bool {
        const W: usize = LANE_CHUNK;
        let g = self.g;
        let r = &input.rates;
        let t0 = c * W;
        let chunk = &self.pop[c * 2 * g..(c + 1) * 2 * g];
        let male_share = r.srb / (1.0 + r.srb);
        let mut ok = true;
        for j in 0..W {
            let t = t0 + j;
            let e = self.mig_delta[t];
            let f = self.mort_factor.as_ref().map(|m| m[t]);
            let surv = |v: f64| f.map_or(v, |f| scaled_survival(v, f));
            let half =
                |s: usize, a: usize| 0.5 * (r.migration[[s, a]] + input.noise_shares[[s, a]] * e);
            let mut fert = 0.0;
            for s in 0..2 {
                let row = &chunk[s * g..(s + 1) * g];
                let groups = &r.survival[s].groups;
                let start = |a: usize| row[a][j] + half(s, a);
                for a in 0..g {
                    let st = start(a);
                    ok &= st >= 0.0;
                    if s == 1 {
                        fert += r.asfr[a] * st;
                    }
                    if a >= 1 {
                        let mut v = start(a - 1) * surv(groups[a - 1]);
                        if a == g - 1 {
                            v += st * surv(groups[a]);
                        }
                        ok &= v + half(s, a) >= 0.0;
                    }
                }
            }
            let births = n_years * self.tfr_factor[t] * 0.5 * fert.max(0.0);
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                ok &= births * share * surv(r.survival[s].birth) + half(s, 0) >= 0.0;
            }
        }
        ok
    }
}

/// A run of groups `lo..=hi` stepped with the same code, the marks of
/// group `lo` taken after it.
struct Segment {
    hi: usize,
    lo: usize,
    fert: bool,
    slot: Option<usize>,
    five: Option<usize>,
}

/// One sex's pass when migration is fixed and mortality is not random: per
/// group one multiply-add per lane, in runs of groups between marks.
struct PlainSex {
    /// (h, s) of every group: half the migrants, survival.
    top: [(f64, f64); 2],
    top_fert: (f64, f64),
    top_marks: (Option<usize>, Option<usize>),
    /// Group `a`: survival of `a − 1` and the constant `h(a−1)·s(a−1) + h(a)`.
    step: Vec<(f64, f64)>,
    /// Group `a`: `(f(a−1), f(a−1)·h(a−1), f(a))` for births.
    fert: Vec<(f64, f64, f64)>,
    segments: Vec<Segment>,
}

impl PlainSex {
    fn new(coef: &[(f64, f64, f64, f64)], bounds: &Bounds) -> PlainSex {
        let g = coef.len();
        let step: Vec<(f64, f64)> = (0..g)
            .map(|a| {
                if a == 0 {
                    return (0.0, 0.0);
                }
                let (h0, _, s0, _) = coef[a - 1];
                (s0, h0 * s0 + coef[a].0)
            })
            .collect();
        let fert: Vec<(f64, f64, f64)> = (0..g)
            .map(|a| {
                if a == 0 {
                    return (0.0, 0.0, 0.0);
                }
                let (h0, _, _, f0) = coef[a - 1];
                (f0, f0 * h0, coef[a].3)
            })
            .collect();
        let has_fert = |a: usize| fert[a].0 != 0.0 || fert[a].2 != 0.0;
        let mut segments = Vec::new();
        let mut a = g - 2;
        while a >= 1 {
            let hi = a;
            loop {
                let marks = bounds.marks(a);
                if marks != (None, None) || a == 1 || has_fert(a - 1) != has_fert(hi) {
                    segments.push(Segment {
                        hi,
                        lo: a,
                        fert: has_fert(hi),
                        slot: marks.0,
                        five: marks.1,
                    });
                    break;
                }
                a -= 1;
            }
            a -= 1;
        }
        PlainSex {
            top: [
                (coef[g - 2].0, coef[g - 2].2),
                (coef[g - 1].0, coef[g - 1].2),
            ],
            top_fert: (coef[g - 2].3, coef[g - 1].3),
            top_marks: bounds.marks(g - 1),
            step,
            fert,
            segments,
        }
    }

    /// Steps one sex of a chunk (`rows`: groups by lane), adding its
    /// exposure to `fert` and its suffix sums to `snaps` and `fives`.
    #[inline(always)]
    fn pass(
        &self,
        rows: &mut [[f64; LANE_CHUNK]],
        fert: &mut [f64; LANE_CHUNK],
        snaps: &mut [[f64; LANE_CHUNK]; 6],
        fives: &mut [[f64; LANE_CHUNK]; 32],
    ) {
        const W: usize = LANE_CHUNK;
        let g = rows.len();
        let mut running = [0.0; W];
        let mark = |running: &[f64; W],
                    marks: (Option<usize>, Option<usize>),
                    snaps: &mut [[f64; W]; 6],
                    fives: &mut [[f64; W]; 32]| {
            if let Some(i) = marks.0 {
                for j in 0..W {
                    snaps[i][j] += running[j];
                }
            }
            if let Some(i) = marks.1 {
                for j in 0..W {
                    fives[i][j] += running[j];
                }
            }
        };
        // The open group pools the last closed group and itself.
        let [(h0, s0), (h1, s1)] = self.top;
        let (f0, f1) = self.top_fert;
        let (x, top) = (rows[g - 2], rows[g - 1]);
        let mut v = [0.0; W];
        for j in 0..W {
            v[j] = (x[j] + h0) * s0 + (top[j] + h1) * s1 + h1;
        }
        if f0 != 0.0 || f1 != 0.0 {
            for j in 0..W {
                fert[j] += f1 * (top[j] + h1) + f0 * (x[j] + h0) + f1 * v[j];
            }
        }
        for j in 0..W {
            running[j] += v[j];
        }
        rows[g - 1] = v;
        mark(&running, self.top_marks, snaps, fives);
        // The exposure accumulates in a local copy, kept in registers.
        let mut exposure = *fert;
        for seg in &self.segments {
            // Groups `lo..=hi` read rows `lo − 1..hi` and write `lo..=hi`.
            let rows = &mut rows[seg.lo - 1..=seg.hi];
            let steps = &self.step[seg.lo..=seg.hi];
            if seg.fert {
                let ferts = &self.fert[seg.lo..=seg.hi];
                for i in (0..steps.len()).rev() {
                    let ((s0, cst), (f0, f0h0, f1)) = (steps[i], ferts[i]);
                    let x = rows[i];
                    let mut v = [0.0; W];
                    for j in 0..W {
                        v[j] = x[j].mul_add(s0, cst);
                    }
                    for j in 0..W {
                        exposure[j] += x[j].mul_add(f0, v[j].mul_add(f1, f0h0));
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[i + 1] = v;
                }
            } else {
                for i in (0..steps.len()).rev() {
                    let (s0, cst) = steps[i];
                    let x = rows[i];
                    let mut v = [0.0; W];
                    for j in 0..W {
                        v[j] = x[j].mul_add(s0, cst);
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[i + 1] = v;
                }
            }
            mark(&running, (seg.slot, seg.five), snaps, fives);
        }
        *fert = exposure;
    }
}

/// Whether no migration amount of this step can be negative for any lane
/// (so no count can be clamped and the fused pass is exact).
fn no_clamping(input: &StepInputs, delta: &[f64]) -> bool {
    let (lo, hi) = delta
        .iter()
        .fold((0.0f64, 0.0f64), |(l, h), &d| (l.min(d), h.max(d)));
    if lo == 0.0 && hi == 0.0 {
        return input.migration_non_negative;
    }
    let r = &input.rates.migration;
    r.iter()
        .zip(input.noise_shares.iter())
        .all(|(&m, &k)| m + k * lo >= 0.0 && m + k * hi >= 0.0)
}

impl Lanes {
    /// One step for steps where nothing can be clamped: each chunk of eight
    /// trajectories goes through every age top down with its running sums
    /// and exposure in registers; each cohort costs one load, one
    /// multiply-add and one store. Fills flows, indicator accumulators and
    /// the median age (from suffix sums at every multiple of 5).
    #[inline(always)]
    fn step_fast(
        &mut self,
        grid: AgeGrid,
        input: &StepInputs,
        n_years: f64,
        bounds: &Bounds,
        w02: &[(usize, f64)],
        fast: &[bool],
    ) {
        const W: usize = LANE_CHUNK;
        let g = self.g;
        let r = &input.rates;
        let noisy = self.mig_delta.iter().any(|&d| d != 0.0);
        let male_share = r.srb / (1.0 + r.srb);
        let mig_total = r.migration.sum();
        let noise_total = input.noise_shares.sum();
        let coef = &input.coef;
        let birth_survival = [r.survival[0].birth, r.survival[1].birth];
        let mortal = self.mort_factor.is_some();
        let plain = (!noisy && !mortal).then_some(&input.plain);
        for (c, chunk) in self.pop.chunks_exact_mut(2 * g).enumerate() {
            if !fast[c] {
                continue;
            }
            let t0 = c * W;
            let mut delta = [0.0; W];
            delta.copy_from_slice(&self.mig_delta[t0..t0 + W]);
            let mut mf = [1.0; W];
            if let Some(f) = &self.mort_factor {
                mf.copy_from_slice(&f[t0..t0 + W]);
            }
            // Survival of lane `j` from `s` (the same when mortality is fixed).
            let surv = |s: f64, j: usize| if mortal { scaled_survival(s, mf[j]) } else { s };
            let mut fert = [0.0; W];
            let mut snaps = [[0.0; W]; 6]; // 85+, 80+, 65+, 60+, 15+, 1+
            let mut fives = [[0.0; W]; 32]; // suffix sums from every multiple of 5
            for s in 0..2 {
                if let Some(plain) = &plain {
                    plain[s].pass(
                        &mut chunk[s * g..(s + 1) * g],
                        &mut fert,
                        &mut snaps,
                        &mut fives,
                    );
                    continue;
                }
                let rows = &mut chunk[s * g..(s + 1) * g];
                let coef = &coef[s * g..(s + 1) * g];
                let mut running = [0.0; W];
                for a in (1..g).rev() {
                    let (h0, k0, s0, f0) = coef[a - 1];
                    let (h1, k1, s1, f1) = coef[a];
                    let x = rows[a - 1];
                    let mut v = [0.0; W];
                    if a == g - 1 {
                        let top = rows[a];
                        for j in 0..W {
                            let e = delta[j];
                            v[j] = (x[j] + h0 + k0 * e) * surv(s0, j)
                                + (top[j] + h1 + k1 * e) * surv(s1, j)
                                + h1
                                + k1 * e;
                        }
                        if f1 != 0.0 {
                            for j in 0..W {
                                fert[j] += f1 * (top[j] + h1 + k1 * delta[j]);
                            }
                        }
                    } else if mortal {
                        for j in 0..W {
                            let e = delta[j];
                            v[j] = (x[j] + h0 + k0 * e) * scaled_survival(s0, mf[j]) + h1 + k1 * e;
                        }
                    } else if noisy {
                        for j in 0..W {
                            let e = delta[j];
                            v[j] = (x[j] + h0 + k0 * e) * s0 + h1 + k1 * e;
                        }
                    } else {
                        let cst = h0 * s0 + h1;
                        for j in 0..W {
                            v[j] = x[j] * s0 + cst;
                        }
                    }
                    if f0 != 0.0 || f1 != 0.0 {
                        for j in 0..W {
                            fert[j] += f0 * (x[j] + h0 + k0 * delta[j]) + f1 * v[j];
                        }
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[a] = v;
                    let (slot, five) = bounds.marks(a);
                    if let Some(i) = slot {
                        for j in 0..W {
                            snaps[i][j] += running[j];
                        }
                    }
                    if let Some(i) = five {
                        for j in 0..W {
                            fives[i][j] += running[j];
                        }
                    }
                }
            }
            // Births and group 0; flows by the balance identity; median age.
            // Lane by lane in short loops the compiler turns into vectors.
            let lanes = t0..t0 + W;
            let mut births = [0.0; W];
            for (j, &f) in self.tfr_factor[lanes.clone()].iter().enumerate() {
                births[j] = n_years * f * 0.5 * fert[j];
            }
            let mut total = snaps[5];
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                let (h, k, _, _) = coef[s * g];
                let row = &mut chunk[s * g];
                for j in 0..W {
                    let v = births[j] * share * surv(birth_survival[s], j) + h + k * delta[j];
                    row[j] = v;
                    total[j] += v;
                }
            }
            let mut migration = [0.0; W];
            for j in 0..W {
                migration[j] = mig_total + noise_total * delta[j];
            }
            let prev = &self.prev_total[lanes.clone()];
            for (j, d) in self.deaths[lanes.clone()].iter_mut().enumerate() {
                *d = prev[j] + migration[j] + births[j] - total[j];
            }
            self.births[lanes.clone()].copy_from_slice(&births);
            self.migration[lanes.clone()].copy_from_slice(&migration);
            self.acc[TOTAL][lanes.clone()].copy_from_slice(&total);
            self.acc[P85][lanes.clone()].copy_from_slice(&snaps[0]);
            self.acc[P80][lanes.clone()].copy_from_slice(&snaps[1]);
            self.acc[P65][lanes.clone()].copy_from_slice(&snaps[2]);
            self.acc[P60][lanes.clone()].copy_from_slice(&snaps[3]);
            for (j, v) in self.acc[P1564][lanes.clone()].iter_mut().enumerate() {
                *v = snaps[4][j] - snaps[2][j];
            }
            let mut p02 = [0.0; W];
            for &(a, wa) in w02 {
                for j in 0..W {
                    p02[j] += wa * (chunk[a][j] + chunk[g + a][j]);
                }
            }
            self.acc[P02][lanes.clone()].copy_from_slice(&p02);
            // Median: the highest multiple of 5 whose suffix still holds
            // half the population (the leading run of marks that do), then
            // at most five groups upward.
            let mut half = [0.0; W];
            for j in 0..W {
                half[j] = 0.5 * total[j];
            }
            let (mut holding, mut run) = ([true; W], [0usize; W]);
            for &(_, k) in &bounds.five_list {
                for j in 0..W {
                    holding[j] &= fives[k][j] >= half[j];
                    run[j] += usize::from(holding[j]);
                }
            }
            for j in 0..W {
                let (mut a, mut cum) = match run[j].checked_sub(1) {
                    Some(i) => {
                        let (group, k) = bounds.five_list[i];
                        (group, total[j] - fives[k][j])
                    }
                    None => (0, 0.0),
                };
                let mut median = f64::NAN;
                while a < g {
                    let b = chunk[a][j] + chunk[g + a][j];
                    if b > 0.0 && cum + b >= half[j] {
                        median = f64::from(grid.lower(a)) + n_years * (half[j] - cum) / b;
                        break;
                    }
                    cum += b;
                    a += 1;
                }
                self.median[t0 + j] = median;
            }
        }
    }
}

/// What every block shares.
struct BlockInputs<'a> {
    base: &'a Population,
    steps: &'a [StepInputs],
    spec: &'a EnsembleSpec,
    weights: &'a Weights,
    demands: &'a DemandInputs<'a>,
}

/// Buffers a thread reuses from block to block.
#[derive(Default)]
struct Scratch {
    lanes: Option<Lanes>,
    /// One year's values of the block: `[column·count + t]`.
    year: Vec<f64>,
    demand: Vec<f64>,
}

/// Runs block `b` (`count` trajectories), handing every year's values to
/// `sink(year index, values[column·count + t])` (columns: indicators, then
/// demands) as soon as they are computed. On x86-64
/// CPUs with AVX2 and FMA the same code is compiled for them and chosen at
/// run time. Rust never fuses a multiply and an add on its own, and the
/// plain kernel's explicit `mul_add` is a fused multiply-add in both builds
/// (an instruction with FMA, a correctly rounded library call without), so
/// both builds give bit-identical results.
fn run_block(
    b: usize,
    count: usize,
    inputs: &BlockInputs,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(usize, &[f64]),
) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA.
        unsafe { run_block_avx2(b, count, inputs, scratch, sink) };
        return;
    }
    run_block_impl(b, count, inputs, scratch, sink)
}

/// Whether this x86-64 CPU has AVX2 and FMA (the checks are cached).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_block_avx2(
    b: usize,
    count: usize,
    inputs: &BlockInputs,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(usize, &[f64]),
) {
    run_block_impl(b, count, inputs, scratch, sink)
}

#[inline(always)]
fn run_block_impl(
    b: usize,
    count: usize,
    inputs: &BlockInputs,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(usize, &[f64]),
) {
    let BlockInputs {
        base,
        steps,
        spec,
        weights: w,
        demands,
    } = inputs;
    let grid = base.grid();
    let n_years = f64::from(grid.width());
    let k = ENSEMBLE_INDICATORS.len();
    let kk = k + demands.forms.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (b as u64).wrapping_add(0xD1B5_4A32_D192_ED03),
    );
    let bounds = &Bounds::new(grid);
    let w02 = w.nonzero_0_2();
    let factors = demands.factors(count, &mut rng);
    let Scratch {
        lanes,
        year: values,
        demand: demand_scratch,
    } = scratch;
    let lanes = match lanes {
        Some(lanes) => {
            lanes.reset(base, count);
            lanes
        }
        None => lanes.insert(Lanes::new(base, count)),
    };
    values.resize(kk * count, 0.0);
    // Every lane starts from the same base: its indicators are computed for
    // the first chunk and copied.
    let mut first_only = vec![true; lanes.n / LANE_CHUNK];
    first_only[0] = false;
    lanes.accumulate(w, &first_only);
    lanes.median_pass(grid, &first_only);
    for acc in lanes.acc.iter_mut().chain([&mut lanes.median]) {
        let v = acc[0];
        acc.fill(v);
    }
    {
        let (slot, demand_slot) = values.split_at_mut(k * count);
        lanes.emit(grid, None, slot);
        demands.emit(lanes, 0, &factors, demand_scratch, demand_slot);
    }
    sink(0, values);
    let (phi, sigma) = spec
        .stochastic
        .tfr
        .map(|t| (t.persistence, t.volatility))
        .unwrap_or((0.0, 0.0));
    let mig_sd = spec.stochastic.migration.map(|m| m.sd).unwrap_or(0.0);
    let per_step = grid.width() as usize;
    let mut dev = vec![0.0; count];
    let mort_sd = spec.stochastic.mortality.map(|m| m.sd);
    let mut kappa = vec![0.0; count];
    if mort_sd.is_some() {
        lanes.mort_factor = Some(vec![1.0; lanes.n]);
    }
    for (y, input) in steps.iter().enumerate() {
        // Draws in a fixed order: per trajectory, its mortality innovations
        // (one per year of the step), its TFR deviations (one per year),
        // then its migration deviation.
        for t in 0..count {
            if let (Some(sd), Some(f)) = (mort_sd, lanes.mort_factor.as_mut()) {
                let mut sum = 0.0;
                for _ in 0..per_step {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    kappa[t] += sd * e;
                    sum += kappa[t].exp();
                }
                f[t] = sum / per_step as f64;
            }
            let mut factor = 1.0;
            if spec.stochastic.tfr.is_some() {
                let mut sum = 0.0;
                for _ in 0..per_step {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    dev[t] = phi * dev[t] + sigma * e;
                    sum += dev[t].exp();
                }
                factor = sum / per_step as f64;
            }
            lanes.tfr_factor[t] = factor;
            lanes.mig_delta[t] = if spec.stochastic.migration.is_some() {
                let e: f64 = StandardNormal.sample(&mut rng);
                mig_sd * e * n_years
            } else {
                0.0
            };
        }
        lanes.prev_total.copy_from_slice(&lanes.acc[TOTAL]);
        let (slot, demand_slot) = values.split_at_mut(k * count);
        // Chunks where no count can turn negative take the fused pass; the
        // rest the general step with clamping.
        let fast: Vec<bool> = if no_clamping(input, &lanes.mig_delta) {
            vec![true; lanes.n / LANE_CHUNK]
        } else {
            (0..lanes.n / LANE_CHUNK)
                .map(|c| lanes.chunk_never_negative(c, input, n_years))
                .collect()
        };
        lanes.step_fast(grid, input, n_years, bounds, &w02, &fast);
        if fast.iter().all(|&f| f) {
            lanes.emit(grid, Some(&input.rates), slot);
        } else {
            lanes.step_general(input, n_years, &fast);
            lanes.indicators(grid, w, Some(&input.rates), slot, &fast);
        }
        demands.emit(lanes, y + 1, &factors, demand_scratch, demand_slot);
        sink(y + 1, values);
    }
}

/// Streaming reduction of one (year, indicator) cell.
///
/// Bin counts are staged in `u16` (half the cache footprint of the hot
/// histogram lines) and moved into the `u32` totals before any could
/// overflow; values outside the range are found from each block's minimum
/// and maximum and kept exactly, never staged.
#[derive(Debug, Clone)]
struct Cell {
    lo: f64,
    width: f64,
    inv_width: f64,
    /// Staged counts (allocated at the first value): bins are slots
    /// `1..=BINS`; slots 0 and `BINS + 1` catch values below and above the
    /// range (never staged).
    staged: Vec<u16>,
    /// Values added to `staged` since it was last moved into `counts`.
    pending: u32,
    /// Bin totals (`BINS` entries once anything was moved, else empty).
    counts: Vec<u32>,
    outside: Vec<f64>,
    min: f64,
    max: f64,
    n: u64,
}

impl Cell {
    fn new(sample: &[f64]) -> Cell {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in sample {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let mut spread = hi - lo;
        if spread.is_nan() || spread <= 0.0 {
            spread = (lo.abs() * 1e-6).max(1e-12);
        }
        let lo = lo - 2.0 * spread;
        let width = 5.0 * spread / BINS as f64;
        Cell {
            lo,
            width,
            inv_width: 1.0 / width,
            staged: Vec::new(),
            pending: 0,
            counts: Vec::new(),
            outside: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            n: 0,
        }
    }

    /// The slot of `v` in `staged`: bins are slots `1..=BINS`; slot 0 and
    /// `BINS + 1` catch values below and above the range (kept exactly).
    #[inline(always)]
    fn slot(&self, v: f64) -> usize {
        // Saturating conversion (NaN to 0).
        self.position(v) as usize
    }

    /// Where `v` falls, in slots, clamped to `0..=BINS + 1`.
    #[inline(always)]
    fn position(&self, v: f64) -> f64 {
        ((v - self.lo) * self.inv_width + 1.0).clamp(0.0, (BINS + 1) as f64)
    }

    /// Makes room for `more` staged values, moving the staged counts into
    /// the totals when they could overflow.
    #[inline(always)]
    fn reserve(&mut self, more: usize) {
        if self.staged.is_empty() {
            self.staged = vec![0; BINS + 2];
        }
        if self.pending as usize + more > usize::from(u16::MAX) {
            self.flush();
        }
        self.pending += more as u32;
    }

    /// Moves the staged counts into the totals.
    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BINS];
        }
        for (total, staged) in self.counts.iter_mut().zip(&mut self.staged[1..=BINS]) {
            *total += u32::from(*staged);
            *staged = 0;
        }
        self.pending = 0;
    }

    /// The slot of a finite `v`, as [`Cell::slot`]: the clamped position
    /// is floored and read from the low bits of `2^52 + position`, which
    /// compilers turn into vector instructions.
    #[inline(always)]
    fn slot_of_finite(&self, v: f64) -> u32 {
        const TWO_52: f64 = 4_503_599_627_370_496.0;
        (self.position(v).floor() + TWO_52).to_bits() as u32
    }

    /// Adds the finite values of `values` (in order) and their sum to `sum`:
    /// min, max, count and the bin of each value. Built for AVX2 where the
    /// CPU has it (the same arithmetic, so the same result).
    fn add_all(&mut self, values: &[f64], sum: &mut f64) {
        #[cfg(target_arch = "x86_64")]
        if avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { self.add_all_avx2(values, sum) };
        }
        self.add_all_impl(values, sum)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_all_avx2(&mut self, values: &[f64], sum: &mut f64) {
        self.add_all_impl(values, sum)
    }

    #[inline(always)]
    fn add_all_impl(&mut self, values: &[f64], sum: &mut f64) {
        // A branch-free pass for the range and the sum (four running
        // minima, maxima and sums, combined in a fixed order).
        const L: usize = 4;
        let (mut mn, mut mx, mut tot) = ([f64::INFINITY; L], [f64::NEG_INFINITY; L], [0.0; L]);
        let mut chunks = values.chunks_exact(L);
        for c in &mut chunks {
            for k in 0..L {
                mn[k] = if c[k] < mn[k] { c[k] } else { mn[k] };
                mx[k] = if c[k] > mx[k] { c[k] } else { mx[k] };
                tot[k] += c[k];
            }
        }
        for (k, &v) in chunks.remainder().iter().enumerate() {
            mn[k] = if v < mn[k] { v } else { mn[k] };
            mx[k] = if v > mx[k] { v } else { mx[k] };
            tot[k] += v;
        }
        let total = (tot[0] + tot[1]) + (tot[2] + tot[3]);
        let (min, max) = (
            mn[0].min(mn[1]).min(mn[2].min(mn[3])),
            mx[0].max(mx[1]).max(mx[2].max(mx[3])),
        );
        if !total.is_finite() {
            return self.add_each(values, sum);
        }
        self.min = self.min.min(min);
        self.max = self.max.max(max);
        self.n += values.len() as u64;
        *sum += total;
        let outside = self.slot(min) == 0 || self.slot(max) == BINS + 1;
        if outside {
            // Rare: values beyond the range are kept exactly, the rest binned.
            for &v in values {
                self.bin_or_keep(v);
            }
            return;
        }
        self.reserve(values.len());
        // A block whose values are all equal (an indicator fertility cannot
        // reach yet) goes into one bin at once.
        if min == max {
            let slot = self.slot(min);
            self.staged[slot] += values.len() as u16;
            return;
        }
        // Slots first (vectorized), then the counts.
        let mut slots = [0u32; 64];
        for chunk in values.chunks(slots.len()) {
            for (slot, &v) in slots.iter_mut().zip(chunk) {
                *slot = self.slot_of_finite(v);
            }
            for &slot in &slots[..chunk.len()] {
                self.staged[slot as usize] += 1;
            }
        }
    }

    /// Counts `v` in its bin, or keeps it exactly when it is outside the range.
    fn bin_or_keep(&mut self, v: f64) {
        let slot = self.slot(v);
        if slot == 0 || slot == BINS + 1 {
            self.outside.push(v);
        } else {
            self.reserve(1);
            self.staged[slot] += 1;
        }
    }

    /// [`Cell::add_all`] value by value, skipping values that are not finite.
    fn add_each(&mut self, values: &[f64], sum: &mut f64) {
        let (mut min, mut max, mut n, mut total) = (self.min, self.max, 0u64, *sum);
        for &v in values {
            if !v.is_finite() {
                continue;
            }
            min = min.min(v);
            max = max.max(v);
            n += 1;
            total += v;
            self.bin_or_keep(v);
        }
        self.min = min;
        self.max = max;
        self.n += n;
        *sum = total;
    }

    fn merge(&mut self, mut other: Cell) {
        if !other.counts.is_empty() {
            if self.counts.is_empty() {
                self.counts = std::mem::take(&mut other.counts);
            } else {
                for (a, b) in self.counts.iter_mut().zip(&other.counts) {
                    *a += b;
                }
            }
        }
        // The staged counts are taken or added as they are while they
        // cannot overflow (no totals to allocate and clear).
        if self.staged.is_empty() {
            self.staged = other.staged;
            self.pending = other.pending;
        } else if !other.staged.is_empty() {
            self.reserve(other.pending as usize);
            for (a, b) in self.staged.iter_mut().zip(&other.staged) {
                *a += b;
            }
        }
        self.outside.extend_from_slice(&other.outside);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.n += other.n;
    }

    /// The value of rank `r` (0-based, fractional ranks interpolated).
    fn at_rank(&self, below: &[f64], above: &[f64], cumulative: &[u64], r: f64) -> f64 {
        let lo_rank = r.floor() as u64;
        let frac = r - lo_rank as f64;
        let a = self.value_of(below, above, cumulative, lo_rank);
        if frac == 0.0 || lo_rank + 1 >= self.n {
            return a;
        }
        let b = self.value_of(below, above, cumulative, lo_rank + 1);
        a + frac * (b - a)
    }

    /// The value of integer rank `r`: exact for values outside the range,
    /// spread evenly within a bin otherwise; clamped to [min, max].
    /// `cumulative[i]`: values in bins `0..=i`.
    fn value_of(&self, below: &[f64], above: &[f64], cumulative: &[u64], r: u64) -> f64 {
        if self.min == self.max {
            return self.min;
        }
        let mut r = r;
        if r < below.len() as u64 {
            return below[r as usize];
        }
        r -= below.len() as u64;
        let i = cumulative.partition_point(|&c| c <= r);
        if i < BINS {
            let before = if i == 0 { 0 } else { cumulative[i - 1] };
            let c = (cumulative[i] - before) as f64;
            let v = self.lo + self.width * (i as f64 + ((r - before) as f64 + 0.5) / c);
            return v.clamp(self.min, self.max);
        }
        let r = (r - cumulative[BINS - 1]) as usize;
        above.get(r).copied().unwrap_or(self.max)
    }

    fn summary(&self, sum: f64) -> Summary {
        let mut outside = self.outside.clone();
        outside.sort_by(f64::total_cmp);
        let split = outside.partition_point(|&v| v < self.lo);
        let (below, above) = outside.split_at(split);
        // Values in bins `0..=i`; not needed when every value is the same.
        let mut cumulative = Vec::new();
        if self.min != self.max {
            cumulative = vec![0u64; BINS];
            for (c, &v) in cumulative.iter_mut().zip(&self.counts) {
                *c = u64::from(v);
            }
            for (c, &v) in cumulative.iter_mut().zip(self.staged.iter().skip(1)) {
                *c += u64::from(v);
            }
            let mut acc = 0;
            for c in &mut cumulative {
                acc += *c;
                *c = acc;
            }
        }
        let q = |p: f64| self.at_rank(below, above, &cumulative, p * (self.n as f64 - 1.0));
        Summary {
            p025: q(0.025),
            p05: q(0.05),
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
            p975: q(0.975),
            mean: sum / self.n as f64,
            min: self.min,
            max: self.max,
        }
    }
}

/// A partial reduction: cells, block sums kept by block index, and exact
/// shortfall counts. Blocks are absorbed a year at a time, as they are
/// stepped, so a block's values never leave the cache.
struct Partial {
    cells: Vec<Cell>,
    /// Value columns per year (indicators, then demands).
    columns: usize,
    years: usize,
    sums: Vec<(usize, Vec<f64>)>,
    /// Per risk (a primary demand with supply) and year: trajectories short.
    short: Vec<u64>,
    /// Per risk and year (then "never"): trajectories first short then.
    first: Vec<u64>,
    kept: Vec<(usize, Vec<f64>)>,
    /// The block being absorbed: its sum per cell, and per risk and
    /// trajectory the first year short (`years`: not yet).
    block_sums: Vec<f64>,
    block_first: Vec<usize>,
}

/// Where a risk's demand sits among the value columns, and its supply.
struct RiskColumn<'a> {
    column: usize,
    supply: &'a [f64],
}

impl Partial {
    fn new(cells: &[Cell], columns: usize, risks: usize, years: usize) -> Partial {
        Partial {
            cells: cells.to_vec(),
            columns,
            years,
            sums: Vec::new(),
            short: vec![0; risks * years],
            first: vec![0; risks * (years + 1)],
            kept: Vec::new(),
            block_sums: Vec::new(),
            block_first: Vec::new(),
        }
    }

    fn begin_block(&mut self, count: usize, risks: &[RiskColumn]) {
        self.block_sums.clear();
        self.block_sums.resize(self.cells.len(), 0.0);
        self.block_first.clear();
        self.block_first.resize(risks.len() * count, self.years);
    }

    /// Absorbs year `y` of the block: `values[column·count + t]`.
    fn absorb_year(&mut self, y: usize, values: &[f64], count: usize, risks: &[RiskColumn]) {
        let cells = y * self.columns..(y + 1) * self.columns;
        for (c, (cell, sum)) in self.cells[cells.clone()]
            .iter_mut()
            .zip(&mut self.block_sums[cells])
            .enumerate()
        {
            cell.add_all(&values[c * count..(c + 1) * count], sum);
        }
        for (r, risk) in risks.iter().enumerate() {
            let supply = risk.supply[y];
            let demand = &values[risk.column * count..][..count];
            let first = &mut self.block_first[r * count..(r + 1) * count];
            for (f, &d) in first.iter_mut().zip(demand) {
                if d - supply > SHORTFALL_THRESHOLD {
                    self.short[r * self.years + y] += 1;
                    *f = (*f).min(y);
                }
            }
        }
    }

    fn end_block(&mut self, block: usize, count: usize) {
        self.sums
            .push((block, std::mem::take(&mut self.block_sums)));
        for (i, &f) in self.block_first.iter().enumerate() {
            self.first[(i / count) * (self.years + 1) + f] += 1;
        }
    }

    /// Absorbs a whole block: `values[(y·columns + column)·count + t]`.
    fn absorb(&mut self, block: usize, values: &[f64], count: usize, risks: &[RiskColumn]) {
        self.begin_block(count, risks);
        let per_year = self.columns * count;
        for (y, year) in values.chunks_exact(per_year).enumerate() {
            self.absorb_year(y, year, count, risks);
        }
        self.end_block(block, count);
    }

    fn merge(mut self, other: Partial) -> Partial {
        for (a, b) in self.cells.iter_mut().zip(other.cells) {
            a.merge(b);
        }
        self.sums.extend(other.sums);
        for (a, b) in self.short.iter_mut().zip(&other.short) {
            *a += b;
        }
        for (a, b) in self.first.iter_mut().zip(&other.first) {
            *a += b;
        }
        self.kept.extend(other.kept);
        self
    }

    /// Keeps the trajectories of block `block` numbered below `keep`.
    fn keep(&mut self, block: usize, values: &[f64], count: usize, keep: usize) {
        let cells = values.len() / count.max(1);
        for t in 0..count {
            let trajectory = block * BLOCK + t;
            if trajectory < keep {
                self.kept.push((
                    trajectory,
                    (0..cells).map(|c| values[c * count + t]).collect(),
                ));
            }
        }
    }
}

/// Deterministic step inputs for every step of the horizon.
fn step_inputs(
    assumptions: &Assumptions,
    base_year: i32,
    end_year: i32,
) -> Result<Vec<StepInputs>> {
    let grid = assumptions.grid();
    let n = grid.width() as i32;
    let noise_shares = assumptions.migration().noise_shares(grid)?;
    let bounds = Bounds::new(grid);
    let mut out = Vec::new();
    let mut year = base_year;
    while year < end_year {
        out.push(StepInputs::new(
            assumptions.step_rates(year)?,
            noise_shares.clone(),
            &bounds,
        ));
        year += n;
    }
    Ok(out)
}

/// Runs an ensemble of `spec.trajectories` trajectories from `base` at
/// `base_year` to `end_year`; `progress(done)` is called as blocks finish.
pub fn simulate(
    base: &Population,
    base_year: i32,
    end_year: i32,
    assumptions: &Assumptions,
    spec: &EnsembleSpec,
    demands: &[DemandForm],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<EnsembleSummary> {
    if spec.trajectories == 0 {
        return Err(Error::invalid("trajectories", 0, "at least 1"));
    }
    spec.stochastic.check()?;
    let grid = base.grid();
    let n = grid.width() as i32;
    if base.grid() != assumptions.grid() || end_year < base_year || (end_year - base_year) % n != 0
    {
        return Err(Error::invalid(
            "ensemble horizon",
            format!("{base_year} to {end_year} on {grid}"),
            "a whole number of steps on the assumptions' grid",
        ));
    }
    let steps = step_inputs(assumptions, base_year, end_year)?;
    let years: Vec<i32> = (0..=steps.len())
        .map(|k| base_year + n * k as i32)
        .collect();
    for d in demands {
        let shape_ok = d.basis.as_ref().is_none_or(|b| b.dim() == (2, grid.len()));
        let years_ok = d.scale.len() == years.len()
            && d.constant.len() == years.len()
            && d.supply.as_ref().is_none_or(|s| s.len() == years.len());
        if !shape_ok || !years_ok || d.parent.is_some_and(|p| p >= demands.len()) {
            return Err(Error::invalid(
                format!("demand {} {}", d.service, d.method),
                "a form for other years or another grid",
                format!("a form for {base_year} to {end_year} on {grid}"),
            ));
        }
        if let Some(u) = d.uncertainty {
            u.check()?;
        }
    }
    let k = ENSEMBLE_INDICATORS.len() + demands.len();
    let cells_len = years.len() * k;
    let w = Weights::new(grid);
    let demand_inputs = DemandInputs::new(demands);
    let risk_columns: Vec<RiskColumn> = demands
        .iter()
        .enumerate()
        .filter(|(_, d)| d.primary)
        .filter_map(|(i, d)| {
            Some(RiskColumn {
                column: ENSEMBLE_INDICATORS.len() + i,
                supply: d.supply.as_deref()?,
            })
        })
        .collect();
    let blocks = spec.trajectories.div_ceil(BLOCK);
    let count_of = |b: usize| BLOCK.min(spec.trajectories - b * BLOCK);

    let inputs = BlockInputs {
        base,
        steps: &steps,
        spec,
        weights: &w,
        demands: &demand_inputs,
    };
    // A whole block's values, `[(y·k + column)·count + t]`, for the blocks
    // that are buffered rather than absorbed as they go.
    let run_buffered = |b: usize, scratch: &mut Scratch, buffer: &mut Vec<f64>| {
        let count = count_of(b);
        buffer.resize(count * cells_len, 0.0);
        run_block(b, count, &inputs, scratch, &mut |y, v| {
            buffer[y * v.len()..(y + 1) * v.len()].copy_from_slice(v)
        });
    };

    // Block 0 sets the histogram ranges.
    let (mut scratch0, mut values0) = (Scratch::default(), Vec::new());
    run_buffered(0, &mut scratch0, &mut values0);
    let n0 = count_of(0);
    let cells: Vec<Cell> = (0..cells_len)
        .map(|c| {
            let sample: Vec<f64> = values0[c * n0..(c + 1) * n0]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            Cell::new(&sample)
        })
        .collect();
    let empty = || Partial::new(&cells, k, risk_columns.len(), years.len());
    let mut first = empty();
    first.absorb(0, &values0, n0, &risk_columns);
    first.keep(0, &values0, n0, spec.keep);
    drop((scratch0, values0));
    progress(n0);
    let done = std::sync::atomic::AtomicUsize::new(n0);
    // A few contiguous ranges of blocks per thread, each with one
    // accumulator; merging exact counts in any order gives the same result.
    let pieces = (rayon::current_num_threads() * 2).clamp(1, blocks.max(2) - 1);
    let ranges: Vec<std::ops::Range<usize>> = (0..pieces)
        .map(|i| 1 + i * (blocks - 1) / pieces..1 + (i + 1) * (blocks - 1) / pieces)
        .collect();
    let partials: Vec<Partial> = ranges
        .into_par_iter()
        .map(|range| {
            let mut partial = empty();
            let (mut scratch, mut buffer) = (Scratch::default(), Vec::new());
            for b in range {
                let count = count_of(b);
                if b * BLOCK < spec.keep {
                    // Kept trajectories need the whole block.
                    run_buffered(b, &mut scratch, &mut buffer);
                    partial.absorb(b, &buffer, count, &risk_columns);
                    partial.keep(b, &buffer, count, spec.keep);
                } else {
                    partial.begin_block(count, &risk_columns);
                    run_block(b, count, &inputs, &mut scratch, &mut |y, v| {
                        partial.absorb_year(y, v, count, &risk_columns)
                    });
                    partial.end_block(b, count);
                }
                let total = done.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
                progress(total);
            }
            partial
        })
        .collect();
    let mut all = partials.into_iter().fold(first, Partial::merge);
    all.sums.sort_by_key(|s| s.0);
    all.kept.sort_by_key(|k| k.0);
    let mut summaries = Vec::with_capacity(cells_len);
    for c in 0..cells_len {
        let cell = &all.cells[c];
        if cell.n == 0 {
            summaries.push(None);
            continue;
        }
        let sum: f64 = all.sums.iter().map(|s| s.1[c]).sum();
        summaries.push(Some(cell.summary(sum)));
    }
    let n = spec.trajectories as f64;
    let ny = years.len();
    let mut risks = Vec::new();
    let mut first_shortfalls = Vec::new();
    for (r, col) in risk_columns.iter().enumerate() {
        let service = &demands[col.column - ENSEMBLE_INDICATORS.len()].service;
        for (y, &year) in years.iter().enumerate() {
            let Some(demand) = summaries[y * k + col.column] else {
                continue;
            };
            let supply = col.supply[y];
            risks.push(GapRisk {
                service: service.clone(),
                year,
                supply,
                p_shortfall: all.short[r * ny + y] as f64 / n,
                shortfall_p50: demand.p50 - supply,
                shortfall_p90: demand.p90 - supply,
                capacity_needed_p90: demand.p90,
            });
        }
        let first = &all.first[r * (ny + 1)..(r + 1) * (ny + 1)];
        first_shortfalls.push(FirstShortfall {
            service: service.clone(),
            by_year: years
                .iter()
                .zip(first)
                .map(|(&year, &c)| (year, c as f64 / n))
                .collect(),
            never: first[ny] as f64 / n,
        });
    }
    Ok(EnsembleSummary {
        years,
        indicators: ENSEMBLE_INDICATORS.to_vec(),
        demands: demands
            .iter()
            .map(|d| DemandLabel {
                service: d.service.clone(),
                method: d.method.clone(),
                primary: d.primary,
            })
            .collect(),
        trajectories: spec.trajectories,
        summaries,
        risks,
        first_shortfalls,
        kept: all.kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused pass where it is chosen and the general clamping step give
    /// the same populations, flows and indicators, under migration noise
    /// large enough that some chunks clamp and others do not.
    #[test]
    fn fused_and_general_steps_agree() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let model = crate::io::model_file::load(&root.join("models/jiaxing.toml")).unwrap();
        let plan = model.scenario("plan").unwrap();
        let grid = model.base.grid();
        let steps = step_inputs(&plan.assumptions, model.base_year, model.base_year + 6).unwrap();
        let w = Weights::new(grid);
        let bounds = Bounds::new(grid);
        let w02 = w.nonzero_0_2();
        let count = 64;
        let mut mixed = Lanes::new(&model.base, count);
        mixed.mort_factor = Some(vec![1.0; mixed.n]);
        let chunks = mixed.n / LANE_CHUNK;
        let k = ENSEMBLE_INDICATORS.len();
        let (mut out_a, mut out_b) = (vec![0.0; k * count], vec![0.0; k * count]);
        mixed.indicators(grid, &w, None, &mut out_a, &vec![false; chunks]);
        let mut general = mixed.clone();
        let mut clamped = 0;
        for (y, input) in steps.iter().enumerate() {
            for lanes in [&mut mixed, &mut general] {
                for t in 0..lanes.n {
                    // Chunks alternate between mild and extreme emigration.
                    let scale = if (t / LANE_CHUNK) % 2 == 0 { 1e3 } else { 4e6 };
                    lanes.mig_delta[t] = -scale * (1.0 + (t % 5) as f64) * (1 + y) as f64;
                    lanes.tfr_factor[t] = 0.8 + 0.05 * (t % 7) as f64;
                    if let Some(f) = lanes.mort_factor.as_mut() {
                        f[t] = 0.7 + 0.1 * (t % 6) as f64;
                    }
                }
                lanes.prev_total.copy_from_slice(&lanes.acc[TOTAL]);
            }
            let fast: Vec<bool> = (0..chunks)
                .map(|c| mixed.chunk_never_negative(c, input, 1.0))
                .collect();
            clamped += fast.iter().filter(|f| !**f).count();
            assert!(
                fast.iter().any(|f| *f),
                "step {y}: no chunk takes the fused pass"
            );
            mixed.step_fast(grid, input, 1.0, &bounds, &w02, &fast);
            mixed.step_general(input, 1.0, &fast);
            mixed.indicators(grid, &w, Some(&input.rates), &mut out_a, &fast);
            let none = vec![false; chunks];
            general.step_general(input, 1.0, &none);
            general.indicators(grid, &w, Some(&input.rates), &mut out_b, &none);
            for (i, (a, b)) in out_a.iter().zip(&out_b).enumerate() {
                let tol = 1e-9 * b.abs().max(1e3);
                assert!(
                    (a - b).abs() <= tol || (a.is_nan() && b.is_nan()),
                    "step {y}, {} trajectory {}: {a} vs {b}",
                    ENSEMBLE_INDICATORS[i / count].name(),
                    i % count
                );
            }
            for (ra, rb) in mixed.pop.iter().zip(&general.pop) {
                for j in 0..LANE_CHUNK {
                    assert!(ra[j] >= 0.0);
                    assert!((ra[j] - rb[j]).abs() <= 1e-9 * rb[j].abs().max(1.0));
                }
            }
        }
        assert!(clamped > 0, "no chunk needed clamping");
    }
}
