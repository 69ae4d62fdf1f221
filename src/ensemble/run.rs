//! The runner: owns the loop over blocks. Block 0 runs first and sets the
//! histogram ranges; the other blocks run in parallel in a few contiguous
//! ranges per thread, each reduced into its own partial; the partials merge
//! into the summary.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::Result;

use super::block::{BaseFactors, BlockInputs, Scratch};
use super::calibration::CalibratedSteps;
use super::demand::DemandInputs;
use super::dispatch::run_block;
use super::histogram::Cell;
use super::indicators::Weights;
use super::reduction::{Partial, RiskColumn};
use super::request::EnsembleRequest;
use super::step::step_inputs;
use super::summary::EnsembleSummary;
use super::supply::SupplyInputs;
use super::{BLOCK, ENSEMBLE_INDICATORS};

/// Runs a checked request (see [`EnsembleRequest::run`]).
pub(super) fn run(
    request: &EnsembleRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<EnsembleSummary> {
    let EnsembleRequest {
        base,
        base_year,
        end_year,
        assumptions,
        spec,
        demands,
        years,
        base_uncertainty,
        calibration,
        alpha,
        summarised,
    } = request;
    let steps = step_inputs(assumptions, *base_year, *end_year)?;
    let w = Weights::new(base.grid());
    let calibrated = calibration
        .as_ref()
        .map(|c| CalibratedSteps::new(c, &steps, f64::from(base.grid().width())));
    let demand_inputs = DemandInputs::new(demands);
    let supply_inputs = SupplyInputs::new(demands, years);
    let risk_columns = RiskColumn::of(&supply_inputs, demands.len());
    // Columns: indicators, demands, supplies, gaps (one per risk).
    let k = ENSEMBLE_INDICATORS.len()
        + demands.len()
        + supply_inputs.supplies.len()
        + risk_columns.len();
    let cells_len = years.len() * k;
    let blocks = spec.trajectories.div_ceil(BLOCK);
    let count_of = |b: usize| BLOCK.min(spec.trajectories - b * BLOCK);

    let inputs = BlockInputs {
        base,
        steps: &steps,
        spec,
        weights: &w,
        demands: &demand_inputs,
        supplies: &supply_inputs,
        base_factors: &BaseFactors::new(base_uncertainty, base.grid()),
        calibrated: calibrated.as_ref(),
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
    let empty = || Partial::new(&cells, k, risk_columns.len(), summarised);
    let mut first = empty();
    first.absorb(0, &values0, n0, &risk_columns);
    first.keep(0, &values0, n0, spec.keep);
    drop((scratch0, values0));
    progress(n0);
    let done = AtomicUsize::new(n0);
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
                let total = done.fetch_add(count, Ordering::Relaxed) + count;
                progress(total);
            }
            partial
        })
        .collect();
    let all = partials.into_iter().fold(first, Partial::merge);
    Ok(all.into_summary(
        spec.trajectories,
        years,
        demands,
        &supply_inputs,
        &risk_columns,
        *alpha,
    ))
}
