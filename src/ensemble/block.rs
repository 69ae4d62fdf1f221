//! One block of trajectories, from the base year to the end year: the
//! random stream, the draws, the step kernels and the values handed to the
//! reduction year by year.

use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use rand_distr::{Distribution, StandardNormal};

use crate::age_grid::AgeGrid;
use crate::model::BaseUncertainty;
use crate::population::Population;
use crate::standards::FactorInterval;

use super::calibration::CalibratedSteps;
use super::demand::DemandInputs;
use super::indicators::{Weights, TOTAL};
use super::lanes::Lanes;
use super::noise::NoiseState;
use super::request::EnsembleSpec;
use super::step::{no_clamping, Bounds, StepInputs};
use super::supply::SupplyInputs;
use super::{ENSEMBLE_INDICATORS, LANE_CHUNK};

/// What every block shares.
pub(super) struct BlockInputs<'a> {
    pub base: &'a Population,
    pub steps: &'a [StepInputs],
    pub spec: &'a EnsembleSpec,
    pub weights: &'a Weights,
    pub demands: &'a DemandInputs<'a>,
    pub supplies: &'a SupplyInputs,
    pub base_factors: &'a BaseFactors,
    pub calibrated: Option<&'a CalibratedSteps>,
}

/// The base's uncertainty on the grid: its total's interval, and per band
/// its interval and each group's share in it.
pub(super) struct BaseFactors {
    total: Option<FactorInterval>,
    bands: Vec<(FactorInterval, Vec<f64>)>,
}

impl BaseFactors {
    pub(super) fn new(uncertainty: &BaseUncertainty, grid: AgeGrid) -> BaseFactors {
        BaseFactors {
            total: uncertainty.total,
            bands: uncertainty
                .bands
                .iter()
                .map(|(ages, f)| {
                    let overlap = (0..grid.len())
                        .map(|a| grid.fraction_in(a, ages.from, ages.to))
                        .collect();
                    (*f, overlap)
                })
                .collect(),
        }
    }

    pub(super) fn is_certain(&self) -> bool {
        self.total.is_none() && self.bands.is_empty()
    }

    /// One trajectory's factor on each group (the total's factor, then
    /// each band's, drawn in that order): the total's factor times
    /// `1 + overlap · (band − 1)` for every band.
    pub(super) fn draw(&self, group: &mut [f64], rng: &mut Xoshiro256PlusPlus) {
        let total = self
            .total
            .map_or(1.0, |f| f.factor(StandardNormal.sample(rng)));
        group.fill(total);
        for (f, overlap) in &self.bands {
            let band = f.factor(StandardNormal.sample(rng));
            for (v, w) in group.iter_mut().zip(overlap) {
                *v *= 1.0 + w * (band - 1.0);
            }
        }
    }

    /// Scales each lane's base by its draws (see [`BaseFactors::draw`]).
    fn apply(&self, lanes: &mut Lanes, rng: &mut Xoshiro256PlusPlus) {
        let mut group = vec![1.0; lanes.g];
        for t in 0..lanes.real {
            self.draw(&mut group, rng);
            lanes.scale_lane(t, &group);
        }
    }
}

impl Lanes {
    /// Multiplies lane `t`'s count of every sex and group `a` by `group[a]`.
    pub(super) fn scale_lane(&mut self, t: usize, group: &[f64]) {
        for s in 0..2 {
            for (a, &f) in group.iter().enumerate() {
                let (row, lane) = self.at(s, a, t);
                self.pop[row][lane] *= f;
            }
        }
    }
}

/// Buffers a thread reuses from block to block.
#[derive(Default)]
pub(super) struct Scratch {
    lanes: Option<Lanes>,
    /// One year's values of the block: `[column·count + t]`.
    year: Vec<f64>,
    demand: Vec<f64>,
}

/// A year's value columns, split into indicators, demands, supplies and
/// gaps (the first three of `sizes` long, the gaps the rest).
pub(super) fn split_columns(values: &mut [f64], sizes: [usize; 3]) -> [&mut [f64]; 4] {
    let (indicators, rest) = values.split_at_mut(sizes[0]);
    let (demands, rest) = rest.split_at_mut(sizes[1]);
    let (supplies, gaps) = rest.split_at_mut(sizes[2]);
    [indicators, demands, supplies, gaps]
}

/// Block `b`'s random stream under `seed`.
pub(super) fn block_stream(seed: u64, b: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (b as u64).wrapping_add(0xD1B5_4A32_D192_ED03),
    )
}

/// One block from the base year to the end year (see `dispatch::run_block`).
#[inline(always)]
pub(super) fn run_block_impl(
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
        supplies,
        base_factors,
        calibrated,
    } = inputs;
    let grid = base.grid();
    let n_years = f64::from(grid.width());
    let k = ENSEMBLE_INDICATORS.len();
    let nf = demands.forms.len();
    let ns = supplies.supplies.len();
    let kk = k + nf + ns + supplies.risks.len();
    let mut rng = block_stream(spec.seed, b);
    // Supply draws come from the block's stream after a long jump, so they
    // never shift the demographic or need draws.
    let mut supply_rng = rng.clone();
    supply_rng.long_jump();
    // The base's draws likewise, from the stream after a jump.
    let mut base_rng = rng.clone();
    base_rng.jump();
    let uncertain_base = !spec.stochastic.certain_base && !base_factors.is_certain();
    let bounds = &Bounds::new(grid);
    let factors = demands.factors(count, spec.stochastic.certain_need, &mut rng);
    let supply_paths = supplies.paths(count, spec.stochastic.certain_supply, &mut supply_rng);
    let sizes = [k, nf, ns].map(|c| c * count);
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
    if uncertain_base {
        base_factors.apply(lanes, &mut base_rng);
        let all = vec![false; lanes.n / LANE_CHUNK];
        lanes.accumulate(w, &all);
        lanes.median_pass(grid, &all);
    } else {
        // Every lane starts from the same base: its indicators are computed
        // for the first chunk and copied.
        let mut first_only = vec![true; lanes.n / LANE_CHUNK];
        first_only[0] = false;
        lanes.accumulate(w, &first_only);
        lanes.median_pass(grid, &first_only);
        for acc in lanes.acc.iter_mut().chain([&mut lanes.median]) {
            let v = acc[0];
            acc.fill(v);
        }
    }
    {
        let [slot, demand_slot, supply_slot, gap_slot] = split_columns(values, sizes);
        lanes.emit(grid, w, None, slot);
        demands.emit(lanes, 0, &factors, demand_scratch, demand_slot);
        supplies.emit(0, count, &supply_paths, demand_slot, supply_slot, gap_slot);
    }
    sink(0, values);
    let mut noise = NoiseState::new(
        spec.stochastic,
        *calibrated,
        grid.width() as usize,
        count,
        lanes,
    );
    for (y, input) in steps.iter().enumerate() {
        noise.draw_step(y, lanes, &mut rng);
        lanes.prev_total.copy_from_slice(&lanes.acc[TOTAL]);
        let [slot, demand_slot, supply_slot, gap_slot] = split_columns(values, sizes);
        // Chunks where no count turns negative keep the fused pass; the
        // rest (found by the pass itself) take the general step with
        // clamping.
        let mut fast = vec![true; lanes.n / LANE_CHUNK];
        let check = !no_clamping(input, &lanes.mig_delta);
        lanes.step_fast(grid, input, bounds, w, &mut fast, check);
        if fast.iter().all(|&f| f) {
            lanes.emit(grid, w, Some(&input.rates), slot);
        } else {
            lanes.step_general(input, n_years, &fast);
            lanes.indicators(grid, w, Some(&input.rates), slot, &fast);
        }
        demands.emit(lanes, y + 1, &factors, demand_scratch, demand_slot);
        supplies.emit(
            y + 1,
            count,
            &supply_paths,
            demand_slot,
            supply_slot,
            gap_slot,
        );
        sink(y + 1, values);
    }
}
