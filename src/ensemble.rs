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
//! Nothing of size trajectories x years x ages is kept. Each indicator of
//! each year is reduced into: the exact minimum and maximum; a histogram of
//! [`BINS`] equal bins over a range set by the first block (its spread,
//! widened by twice that spread on each side), with values outside the
//! range kept exactly; and per-block sums added in block order for the mean.
//! Counts are integers and the range comes from block 0, so merged results
//! are bit-identical whatever the thread count. Quantiles use numpy's
//! default (linear) definition on the ranks, with values spread evenly
//! inside a bin: exact when all trajectories agree, otherwise within one bin
//! (1/[`BINS`] of five times block 0's spread).

use ndarray::{Array1, Array2};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::indicators::Indicator;
use crate::population::{Population, Sex};
use crate::projection::{Assumptions, StepRates};

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
            if !(t.volatility.is_finite() && t.volatility >= 0.0) {
                return Err(Error::invalid(
                    "TFR volatility",
                    t.volatility,
                    "a number >= 0",
                ));
            }
        }
        if let Some(m) = self.migration {
            if !(m.sd.is_finite() && m.sd >= 0.0) {
                return Err(Error::invalid(
                    "migration volatility (sd)",
                    m.sd,
                    "a number >= 0",
                ));
            }
        }
        Ok(())
    }
}

/// An ensemble request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleSpec {
    pub trajectories: usize,
    pub seed: u64,
    pub stochastic: Stochastic,
}

/// Quantiles and mean of one indicator in one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// The ensemble's summaries: `summary(year, indicator)`.
#[derive(Debug, Clone)]
pub struct EnsembleSummary {
    pub years: Vec<i32>,
    pub indicators: Vec<Indicator>,
    pub trajectories: usize,
    /// (year index, indicator index) -> summary; `None` where the indicator
    /// has no value (flows in the base year).
    summaries: Vec<Option<Summary>>,
}

impl EnsembleSummary {
    /// The summary of `indicator` in `year`.
    pub fn get(&self, year: i32, indicator: Indicator) -> Option<Summary> {
        let y = self.years.iter().position(|&v| v == year)?;
        let k = self.indicators.iter().position(|&i| i == indicator)?;
        self.summaries[y * self.indicators.len() + k]
    }
}

/// Deterministic per-step inputs, precomputed once.
struct StepInputs {
    rates: StepRates,
    /// Age-sex shares of migration noise (sum 1).
    noise_shares: Array2<f64>,
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

/// Flows of one trajectory-step.
#[derive(Default, Clone, Copy)]
struct Flows {
    births: f64,
    deaths: f64,
    migration: f64,
}

/// Projects one trajectory (`pop`: male then female, `g` groups each) over
/// one step in place.
#[inline]
fn step_trajectory(
    pop: &mut [f64],
    g: usize,
    n: f64,
    input: &StepInputs,
    tfr_factor: f64,
    mig_total_delta: f64,
) -> Flows {
    let r = &input.rates;
    let mut flows = Flows::default();
    let before: f64 = pop.iter().sum();
    let mut fert_start = 0.0;
    let mut fert_end = 0.0;
    for s in 0..2 {
        let p = &mut pop[s * g..(s + 1) * g];
        let surv = r.survival[s].groups.as_slice().unwrap_or(&[]);
        let mig = r.migration.row(s);
        let shares = input.noise_shares.row(s);
        // Half of the migrants at the start.
        for i in 0..g {
            let half = 0.5 * (mig[i] + mig_total_delta * shares[i]);
            p[i] = (p[i] + half).max(0.0);
        }
        if s == 1 {
            fert_start = p.iter().zip(r.asfr.iter()).map(|(a, b)| a * b).sum();
        }
        let start_sum: f64 = p.iter().sum();
        // Survival, top down in place; the open group pools.
        p[g - 1] = p[g - 2] * surv[g - 2] + p[g - 1] * surv[g - 1];
        for i in (1..g - 1).rev() {
            p[i] = p[i - 1] * surv[i - 1];
        }
        p[0] = 0.0;
        flows.deaths += start_sum - p[1..].iter().sum::<f64>();
        for i in 1..g {
            let half = 0.5 * (mig[i] + mig_total_delta * shares[i]);
            p[i] = (p[i] + half).max(0.0);
        }
        if s == 1 {
            fert_end = p.iter().zip(r.asfr.iter()).map(|(a, b)| a * b).sum();
        }
    }
    let births = n * tfr_factor * 0.5 * (fert_start + fert_end);
    let male_share = r.srb / (1.0 + r.srb);
    for s in 0..2 {
        let b = births * if s == 0 { male_share } else { 1.0 - male_share };
        let survivors = b * r.survival[s].birth;
        flows.deaths += b - survivors;
        let half = 0.5 * (r.migration[[s, 0]] + mig_total_delta * input.noise_shares[[s, 0]]);
        pop[s * g] = (survivors + half).max(0.0);
    }
    flows.births = births;
    let after: f64 = pop.iter().sum();
    flows.migration = after - before - births + flows.deaths;
    flows
}

/// All indicators of one trajectory after a step, in [`ENSEMBLE_INDICATORS`] order.
fn indicator_values(
    pop: &[f64],
    g: usize,
    grid: AgeGrid,
    w: &Weights,
    flows: Option<(Flows, &StepRates, f64)>,
    out: &mut [f64],
) {
    let n = f64::from(grid.width());
    let (mut total, mut p60, mut p65, mut p80, mut p85, mut p02, mut p1564) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..g {
        let b = pop[i] + pop[g + i];
        total += b;
        p60 += b * w.w60[i];
        p65 += b * w.w65[i];
        p80 += b * w.w80[i];
        p85 += b * w.w85[i];
        p02 += b * w.w0_2[i];
        p1564 += b * w.w15_64[i];
    }
    let share = |v: f64| if total > 0.0 { v / total } else { 0.0 };
    let half = 0.5 * total;
    let mut median = f64::NAN;
    let mut cum = 0.0;
    for i in 0..g {
        let b = pop[i] + pop[g + i];
        if cum + b >= half && b > 0.0 {
            median = f64::from(grid.lower(i)) + n * (half - cum) / b;
            break;
        }
        cum += b;
    }
    for (slot, ind) in out.iter_mut().zip(ENSEMBLE_INDICATORS) {
        *slot = match ind {
            Indicator::Total => total,
            Indicator::Births => flows.map(|f| f.0.births / n).unwrap_or(f64::NAN),
            Indicator::Deaths => flows.map(|f| f.0.deaths / n).unwrap_or(f64::NAN),
            Indicator::NetMigration => flows.map(|f| f.0.migration / n).unwrap_or(f64::NAN),
            Indicator::Pop60Plus => p60,
            Indicator::Share60Plus => share(p60),
            Indicator::Pop65Plus => p65,
            Indicator::Share65Plus => share(p65),
            Indicator::Pop80Plus => p80,
            Indicator::Share80Plus => share(p80),
            Indicator::Pop85Plus => p85,
            Indicator::Pop0To2 => p02,
            Indicator::OldAgeDependency => {
                if p1564 > 0.0 {
                    p65 / p1564
                } else {
                    f64::NAN
                }
            }
            Indicator::MedianAge => median,
            Indicator::E0Male => flows.map(|f| f.1.e0[0]).unwrap_or(f64::NAN),
            Indicator::E0Female => flows.map(|f| f.1.e0[1]).unwrap_or(f64::NAN),
            Indicator::Tfr => flows.map(|f| f.1.tfr * f.2).unwrap_or(f64::NAN),
        };
    }
}

/// Runs block `b` (trajectories `b·BLOCK ..`), writing every indicator of
/// every trajectory and year into `values` (trajectory, year, indicator).
fn run_block(
    b: usize,
    count: usize,
    base: &Population,
    steps: &[StepInputs],
    spec: &EnsembleSpec,
    w: &Weights,
    values: &mut [f64],
) {
    let grid = base.grid();
    let g = grid.len();
    let n = f64::from(grid.width());
    let k = ENSEMBLE_INDICATORS.len();
    let years = steps.len() + 1;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (b as u64).wrapping_add(0xD1B5_4A32_D192_ED03),
    );
    let mut pops: Vec<f64> = Vec::with_capacity(count * 2 * g);
    for _ in 0..count {
        pops.extend(base.of(Sex::Male).iter());
        pops.extend(base.of(Sex::Female).iter());
    }
    let mut dev = vec![0.0; count];
    for t in 0..count {
        let slot = &mut values[(t * years) * k..(t * years + 1) * k];
        indicator_values(&pops[t * 2 * g..(t + 1) * 2 * g], g, grid, w, None, slot);
    }
    let (phi, sigma) = spec
        .stochastic
        .tfr
        .map(|t| (t.persistence, t.volatility))
        .unwrap_or((0.0, 0.0));
    let mig_sd = spec.stochastic.migration.map(|m| m.sd).unwrap_or(0.0);
    // The AR(1) runs per year; a step of n years applies n updates.
    let per_step = n as usize;
    for (y, input) in steps.iter().enumerate() {
        for (t, d) in dev.iter_mut().enumerate() {
            let mut factor = 0.0;
            if spec.stochastic.tfr.is_some() {
                for _ in 0..per_step {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    *d = phi * *d + sigma * e;
                    factor += d.exp();
                }
                factor /= per_step as f64;
            } else {
                factor = 1.0;
            }
            let mig_delta = if spec.stochastic.migration.is_some() {
                let e: f64 = StandardNormal.sample(&mut rng);
                mig_sd * e * n
            } else {
                0.0
            };
            let pop = &mut pops[t * 2 * g..(t + 1) * 2 * g];
            let flows = step_trajectory(pop, g, n, input, factor, mig_delta);
            let slot = &mut values[(t * years + y + 1) * k..(t * years + y + 2) * k];
            indicator_values(pop, g, grid, w, Some((flows, &input.rates, factor)), slot);
        }
    }
}

/// Streaming reduction of one (year, indicator) cell.
#[derive(Debug, Clone)]
struct Cell {
    lo: f64,
    width: f64,
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
        Cell {
            lo,
            width: 5.0 * spread / BINS as f64,
            counts: vec![0; BINS],
            outside: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            n: 0,
        }
    }

    #[inline]
    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.n += 1;
        let pos = (v - self.lo) / self.width;
        if pos >= 0.0 && pos < BINS as f64 {
            self.counts[pos as usize] += 1;
        } else {
            self.outside.push(v);
        }
    }

    fn merge(&mut self, other: &Cell) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.outside.extend_from_slice(&other.outside);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.n += other.n;
    }

    /// The value of rank `r` (0-based, fractional ranks interpolated).
    fn at_rank(&self, below: &[f64], above: &[f64], r: f64) -> f64 {
        let lo_rank = r.floor() as u64;
        let frac = r - lo_rank as f64;
        let a = self.value_of(below, above, lo_rank);
        if frac == 0.0 || lo_rank + 1 >= self.n {
            return a;
        }
        let b = self.value_of(below, above, lo_rank + 1);
        a + frac * (b - a)
    }

    /// The value of integer rank `r`: exact for values outside the range,
    /// spread evenly within a bin otherwise; clamped to [min, max].
    fn value_of(&self, below: &[f64], above: &[f64], r: u64) -> f64 {
        if self.min == self.max {
            return self.min;
        }
        let mut r = r as usize;
        if r < below.len() {
            return below[r];
        }
        r -= below.len();
        for (i, &c) in self.counts.iter().enumerate() {
            let c = c as usize;
            if r < c {
                let v = self.lo + self.width * (i as f64 + (r as f64 + 0.5) / c as f64);
                return v.clamp(self.min, self.max);
            }
            r -= c;
        }
        above.get(r).copied().unwrap_or(self.max)
    }

    fn summary(&self, sum: f64) -> Summary {
        let mut outside = self.outside.clone();
        outside.sort_by(f64::total_cmp);
        let split = outside.partition_point(|&v| v < self.lo);
        let (below, above) = outside.split_at(split);
        let q = |p: f64| self.at_rank(below, above, p * (self.n as f64 - 1.0));
        Summary {
            p05: q(0.05),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p95: q(0.95),
            mean: sum / self.n as f64,
            min: self.min,
            max: self.max,
        }
    }
}

/// A partial reduction: cells, and block sums kept by block index.
struct Partial {
    cells: Vec<Cell>,
    sums: Vec<(usize, Vec<f64>)>,
}

impl Partial {
    fn absorb(&mut self, block: usize, values: &[f64], count: usize, cells_len: usize) {
        let mut sums = vec![0.0; cells_len];
        for t in 0..count {
            let row = &values[t * cells_len..(t + 1) * cells_len];
            for (c, &v) in row.iter().enumerate() {
                if v.is_finite() {
                    self.cells[c].add(v);
                    sums[c] += v;
                }
            }
        }
        self.sums.push((block, sums));
    }

    fn merge(mut self, other: Partial) -> Partial {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.merge(b);
        }
        self.sums.extend(other.sums);
        self
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
    let mut out = Vec::new();
    let mut year = base_year;
    while year < end_year {
        out.push(StepInputs {
            rates: assumptions.step_rates(year)?,
            noise_shares: noise_shares.clone(),
        });
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
    let k = ENSEMBLE_INDICATORS.len();
    let cells_len = years.len() * k;
    let w = Weights::new(grid);
    let blocks = spec.trajectories.div_ceil(BLOCK);
    let count_of = |b: usize| BLOCK.min(spec.trajectories - b * BLOCK);

    // Block 0 sets the histogram ranges.
    let mut values0 = vec![0.0; count_of(0) * cells_len];
    run_block(0, count_of(0), base, &steps, spec, &w, &mut values0);
    let cells: Vec<Cell> = (0..cells_len)
        .map(|c| {
            let sample: Vec<f64> = (0..count_of(0))
                .map(|t| values0[t * cells_len + c])
                .filter(|v| v.is_finite())
                .collect();
            Cell::new(&sample)
        })
        .collect();
    let empty = || Partial {
        cells: cells.clone(),
        sums: Vec::new(),
    };
    let mut first = empty();
    first.absorb(0, &values0, count_of(0), cells_len);
    progress(count_of(0));
    let done = std::sync::atomic::AtomicUsize::new(count_of(0));
    let rest = (1..blocks)
        .into_par_iter()
        .fold(
            || (empty(), Vec::new()),
            |(mut partial, mut buffer): (Partial, Vec<f64>), b| {
                let count = count_of(b);
                buffer.resize(count * cells_len, 0.0);
                run_block(b, count, base, &steps, spec, &w, &mut buffer);
                partial.absorb(b, &buffer, count, cells_len);
                let total = done.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
                progress(total);
                (partial, buffer)
            },
        )
        .map(|(p, _)| p)
        .reduce(empty, Partial::merge);
    let mut all = first.merge(rest);
    all.sums.sort_by_key(|s| s.0);
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
    Ok(EnsembleSummary {
        years,
        indicators: ENSEMBLE_INDICATORS.to_vec(),
        trajectories: spec.trajectories,
        summaries,
    })
}
