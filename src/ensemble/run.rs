//! The runner: owns the loop over blocks. Block 0 runs first and sets the
//! histogram ranges; the other blocks run in parallel in a few contiguous
//! ranges per thread, each reduced into its own partial; the partials merge
//! into the summary.
//!
//! A block hands its values area by area: one area for a population, the
//! parent and every region for a model of regions. Each area has its own
//! columns, cells and partials.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::Result;
use crate::gap::DemandForm;

use super::block::{BaseFactors, BlockInputs, Scratch};
use super::calibration::CalibratedSteps;
use super::demand::DemandInputs;
use super::dispatch::{run_block, run_regional_block};
use super::histogram::Cell;
use super::indicators::Weights;
use super::reduction::{Partial, RiskColumn};
use super::regional::{FlowInputs, RegionInputs, RegionalInputs, RegionalScratch};
use super::request::EnsembleRequest;
use super::step::step_inputs;
use super::summary::EnsembleSummary;
use super::supply::SupplyInputs;
use super::{BLOCK, ENSEMBLE_INDICATORS};

/// One area's demands and supplies (the columns it summarises).
struct Area<'a> {
    demands: &'a [DemandForm],
    supplies: SupplyInputs,
}

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
        summarised: _,
        alpha: _,
        regions,
        flows,
    } = request;
    let steps = step_inputs(assumptions, *base_year, *end_year)?;
    let w = Weights::new(base.grid());
    let calibrated = calibration
        .as_ref()
        .map(|c| CalibratedSteps::new(c, &steps, f64::from(base.grid().width())));
    let base_factors = BaseFactors::new(base_uncertainty, base.grid());
    if regions.is_empty() {
        let area = [Area {
            demands,
            supplies: SupplyInputs::new(demands, years),
        }];
        let inputs = BlockInputs {
            base,
            steps: &steps,
            spec,
            weights: &w,
            demands: &DemandInputs::new(demands),
            supplies: &area[0].supplies,
            base_factors: &base_factors,
            calibrated: calibrated.as_ref(),
        };
        let block = |b: usize,
                     count: usize,
                     scratch: &mut Scratch,
                     sink: &mut dyn FnMut(usize, usize, &[f64])| {
            run_block(b, count, &inputs, scratch, &mut |y, v| sink(0, y, v))
        };
        let mut all = run_areas(request, &area, &block, progress);
        return Ok(all.remove(0));
    }
    // The parent's demands, then each region's, in one list for the need
    // draws (a share's parent index moved with its list).
    let mut all_forms: Vec<DemandForm> = demands.clone();
    let mut offsets = vec![0];
    for r in regions {
        offsets.push(all_forms.len());
        let first = all_forms.len();
        all_forms.extend(r.demands.iter().cloned().map(|mut d| {
            d.parent = d.parent.map(|p| p + first);
            d
        }));
    }
    let areas: Vec<Area> = std::iter::once(demands)
        .chain(regions.iter().map(|r| &r.demands))
        .map(|d| Area {
            demands: d,
            supplies: SupplyInputs::new(d, years),
        })
        .collect();
    let region_inputs = regions
        .iter()
        .zip(&areas[1..])
        .map(|(r, area)| {
            Ok(RegionInputs {
                base: &r.region.base,
                steps: step_inputs(&r.region.assumptions, *base_year, *end_year)
                    .map_err(|e| e.context(format!("region {}", r.region.name)))?,
                migration_share: r.migration_share,
                demands: DemandInputs::new(&r.demands),
                supplies: &area.supplies,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Per step, the groups where some region's women bear children.
    let fertile = (0..steps.len())
        .map(|y| {
            (0..base.grid().len())
                .filter(|&a| {
                    region_inputs
                        .iter()
                        .any(|r| r.steps[y].rates.asfr[a] != 0.0)
                })
                .collect()
        })
        .collect();
    let inputs = RegionalInputs {
        grid: base.grid(),
        spec,
        weights: &w,
        base_factors: &base_factors,
        calibrated: calibrated.as_ref(),
        regions: region_inputs,
        parent_demands: DemandInputs::new(demands),
        parent_supplies: &areas[0].supplies,
        all_demands: DemandInputs::new(&all_forms),
        offsets,
        flows: flows
            .iter()
            .map(|f| FlowInputs::new(f, base.grid(), *base_year, steps.len()))
            .collect(),
        fertile,
    };
    let block = |b: usize,
                 count: usize,
                 scratch: &mut RegionalScratch,
                 sink: &mut dyn FnMut(usize, usize, &[f64])| {
        run_regional_block(b, count, &inputs, scratch, sink)
    };
    let mut all = run_areas(request, &areas, &block, progress);
    let mut parent = all.remove(0);
    parent.regions = regions
        .iter()
        .map(|r| r.region.name.clone())
        .zip(all)
        .collect();
    Ok(parent)
}

/// A block runner: `block(b, count, scratch, sink(area, year index, values))`.
type BlockFn<'f, S> =
    dyn Fn(usize, usize, &mut S, &mut dyn FnMut(usize, usize, &[f64])) + Sync + 'f;

/// Runs every block of `request` with `block` and reduces each area's
/// values into its summary.
fn run_areas<S: Default>(
    request: &EnsembleRequest,
    areas: &[Area],
    block: &BlockFn<S>,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<EnsembleSummary> {
    let EnsembleRequest {
        spec,
        years,
        alpha,
        summarised,
        ..
    } = request;
    let risk_columns: Vec<Vec<RiskColumn>> = areas
        .iter()
        .map(|a| RiskColumn::of(&a.supplies, a.demands.len()))
        .collect();
    // Columns: indicators, demands, supplies, gaps (one per risk).
    let ks: Vec<usize> = areas
        .iter()
        .zip(&risk_columns)
        .map(|(a, r)| {
            ENSEMBLE_INDICATORS.len() + a.demands.len() + a.supplies.supplies.len() + r.len()
        })
        .collect();
    let cells_lens: Vec<usize> = ks.iter().map(|k| years.len() * k).collect();
    let blocks = spec.trajectories.div_ceil(BLOCK);
    let count_of = |b: usize| BLOCK.min(spec.trajectories - b * BLOCK);

    // A whole block's values per area, `[(y·k + column)·count + t]`, for
    // the blocks that are buffered rather than absorbed as they go.
    let run_buffered = |b: usize, scratch: &mut S, buffers: &mut Vec<Vec<f64>>| {
        let count = count_of(b);
        buffers.resize_with(areas.len(), Vec::new);
        for (buffer, len) in buffers.iter_mut().zip(&cells_lens) {
            buffer.resize(count * len, 0.0);
        }
        block(b, count, scratch, &mut |area, y, v| {
            buffers[area][y * v.len()..(y + 1) * v.len()].copy_from_slice(v)
        });
    };

    // Block 0 sets the histogram ranges.
    let (mut scratch0, mut values0) = (S::default(), Vec::new());
    run_buffered(0, &mut scratch0, &mut values0);
    let n0 = count_of(0);
    let cells: Vec<Vec<Cell>> = values0
        .iter()
        .zip(&cells_lens)
        .map(|(values, &len)| {
            (0..len)
                .map(|c| {
                    let sample: Vec<f64> = values[c * n0..(c + 1) * n0]
                        .iter()
                        .copied()
                        .filter(|v| v.is_finite())
                        .collect();
                    Cell::new(&sample)
                })
                .collect()
        })
        .collect();
    let empty = || -> Vec<Partial> {
        cells
            .iter()
            .zip(&ks)
            .zip(&risk_columns)
            .map(|((c, &k), r)| Partial::new(c, k, r.len(), summarised))
            .collect()
    };
    let mut first = empty();
    for ((p, values), risks) in first.iter_mut().zip(&values0).zip(&risk_columns) {
        p.absorb(0, values, n0, risks);
        p.keep(0, values, n0, spec.keep);
    }
    drop((scratch0, values0));
    progress(n0);
    let done = AtomicUsize::new(n0);
    // A few contiguous ranges of blocks per thread, each with one
    // accumulator; merging exact counts in any order gives the same result.
    let pieces = (rayon::current_num_threads() * 2).clamp(1, blocks.max(2) - 1);
    let ranges: Vec<std::ops::Range<usize>> = (0..pieces)
        .map(|i| 1 + i * (blocks - 1) / pieces..1 + (i + 1) * (blocks - 1) / pieces)
        .collect();
    let partials: Vec<Vec<Partial>> = ranges
        .into_par_iter()
        .map(|range| {
            let mut partials = empty();
            let (mut scratch, mut buffers) = (S::default(), Vec::new());
            for b in range {
                let count = count_of(b);
                if b * BLOCK < spec.keep {
                    // Kept trajectories need the whole block.
                    run_buffered(b, &mut scratch, &mut buffers);
                    for ((p, values), risks) in partials.iter_mut().zip(&buffers).zip(&risk_columns)
                    {
                        p.absorb(b, values, count, risks);
                        p.keep(b, values, count, spec.keep);
                    }
                } else {
                    for (p, risks) in partials.iter_mut().zip(&risk_columns) {
                        p.begin_block(count, risks);
                    }
                    block(b, count, &mut scratch, &mut |area, y, v| {
                        partials[area].absorb_year(y, v, count, &risk_columns[area])
                    });
                    for p in partials.iter_mut() {
                        p.end_block(b, count);
                    }
                }
                let total = done.fetch_add(count, Ordering::Relaxed) + count;
                progress(total);
            }
            partials
        })
        .collect();
    let merged = partials.into_iter().fold(first, |acc, other| {
        acc.into_iter()
            .zip(other)
            .map(|(a, b)| a.merge(b))
            .collect()
    });
    merged
        .into_iter()
        .zip(areas)
        .zip(&risk_columns)
        .map(|((p, area), risks)| {
            p.into_summary(
                spec.trajectories,
                years,
                area.demands,
                &area.supplies,
                risks,
                *alpha,
            )
        })
        .collect()
}
