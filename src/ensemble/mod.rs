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
//!
//! # Glossary
//!
//! * **trajectory**: one possible future of the population, from the base
//!   year to the end year, under one draw of every uncertain assumption.
//! * **block**: [`BLOCK`] consecutive trajectories; the unit of work and of
//!   random streams (block `b` draws from a stream seeded by `(seed, b)`).
//! * **lane**: one trajectory's slot in a block's arrays; lanes are held in
//!   **chunks** of eight (the width the kernels step together), padded.
//! * **step**: one projection interval (the age grid's width in years);
//!   its deterministic rates are the **step tables** (`step`).
//! * **kernel**: the code that steps a chunk of lanes: the fused pass where
//!   no count can turn negative, the general clamping step elsewhere
//!   (`kernel`, `lanes`).
//! * **column**: one value per trajectory and year: an indicator, then a
//!   service's demand.
//! * **cell**: the streaming histogram of one (year, column)
//!   (`histogram`); a **partial** is one thread's reduction of the blocks
//!   it ran (`reduction`); partials merge into the summary.
//! * **risk**: a primary demand with a supply; the reduction counts the
//!   trajectories short in each year and the year each is first short.
//!
//! # Files
//!
//! [`request`] (the checked request), [`noise`] (the stochastic
//! processes), `step` (per-step tables), `lanes` and `kernel` (the
//! block's state and the step kernels), `indicators` (indicators of the
//! lanes), `demand` (service demand per trajectory), `block` (one
//! block, start to end), `dispatch` (run-time CPU dispatch, with its
//! safety contract), `histogram` and `reduction` (the streaming
//! summaries), [`summary`] (result types) and `run` (the runner that owns
//! the loop over blocks).

// Lane loops index several per-trajectory arrays in step; iterator zips of
// four or five slices would obscure them.
#![allow(clippy::needless_range_loop)]

mod block;
pub mod calibration;
mod demand;
mod dispatch;
pub mod drivers;
mod histogram;
mod indicators;
mod kernel;
mod lanes;
pub mod noise;
mod reduction;
mod regional;
pub mod request;
mod run;
mod step;
pub mod summary;
mod supply;

use crate::indicators::Indicator;

pub use calibration::{Calibration, PeriodBounds};
pub use drivers::{top_driver, RiskDriver, Source};
pub use noise::{MigrationNoise, MortalityNoise, Stochastic, TfrNoise};
pub use request::{check_alpha, EnsembleRequest, EnsembleSpec, DEFAULT_ALPHA};
pub use summary::{DemandLabel, EnsembleSummary, FirstShortfall, GapRisk, Summary};

/// Trajectories the fast kernels handle together (lanes are padded to it).
const LANE_CHUNK: usize = 8;

/// Trajectories per block: the unit of random streams and of work.
pub const BLOCK: usize = 256;
/// Histogram bins per indicator and year.
pub const BINS: usize = 4096;

/// The ensemble's indicators, in output order.
pub const ENSEMBLE_INDICATORS: [Indicator; 17] = Indicator::ALL;
