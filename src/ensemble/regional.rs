//! One block of trajectories of a population that is the sum of regions:
//! every region's lanes are stepped in lockstep, trajectory by trajectory,
//! with the internal flows between them, and the parent's lanes are the
//! sum of the regions' after every step.
//!
//! # Which sources are drawn where
//!
//! Drawn once per trajectory and shared by every region (city-wide):
//! the TFR deviation (each region's TFR times the same factor), the
//! mortality index (each region's probabilities of dying times the same
//! factor; calibrated maps come from the scenario's own schedules), the
//! migration deviation (each region takes its migration share of it), the
//! base's intervals (the same factor on every region's group), and the
//! draw of every prevalence table. Drawn per region: each demand's own
//! interval (use rate, staff ratio) and each service's supply risk.
//!
//! # Streams
//!
//! Block `b` draws from the same streams as a block of one population:
//! the need factors of every area (the parent's demands, then each
//! region's, tables shared), then per step the demographic draws; the
//! supply draws (the parent's supplies, then each region's) from the
//! stream after a long jump; the base's from the stream after a jump.
//! A model of identical halves with no services of their own therefore
//! draws exactly what the one-population model draws.

use crate::age_grid::AgeGrid;
use crate::indicators::Indicator;
use crate::population::Population;
use crate::regions::{FlowSize, InternalFlow, MAX_FLOW_SHARE};

use super::block::{block_stream, split_columns, BaseFactors};
use super::calibration::CalibratedSteps;
use super::demand::DemandInputs;
use super::indicators::Weights;
use super::lanes::Lanes;
use super::noise::NoiseState;
use super::request::EnsembleSpec;
use super::step::{no_clamping, Bounds, StepInputs};
use super::supply::SupplyInputs;
use super::{ENSEMBLE_INDICATORS, LANE_CHUNK};

/// One region's share of a block's inputs.
pub(super) struct RegionInputs<'a> {
    pub(super) base: &'a Population,
    pub(super) steps: Vec<StepInputs>,
    pub(super) migration_share: f64,
    pub(super) demands: DemandInputs<'a>,
    pub(super) supplies: &'a SupplyInputs,
}

/// How many a flow moves in one step.
#[derive(Debug, Clone, Copy)]
enum FlowStep {
    /// Persons in the step.
    Persons(f64),
    /// A fraction of the origin's population in the step.
    Fraction(f64),
}

/// An internal flow on the ensemble's steps.
pub(super) struct FlowInputs {
    from: usize,
    to: usize,
    per_step: Vec<FlowStep>,
    /// Shares by row `s·g + a`.
    shares: Vec<f64>,
}

impl FlowInputs {
    /// `flow` for the `steps` steps from `base_year` on `grid`.
    pub(super) fn new(
        flow: &InternalFlow,
        grid: AgeGrid,
        base_year: i32,
        steps: usize,
    ) -> FlowInputs {
        let n = f64::from(grid.width());
        let per_step = (0..steps)
            .map(|k| {
                let start = f64::from(base_year) + n * k as f64;
                match &flow.size {
                    FlowSize::PerYear(s) => FlowStep::Persons(s.for_step(start, n) * n),
                    FlowSize::Rate(r) => FlowStep::Fraction(r.for_step(start, n) * n),
                }
            })
            .collect();
        FlowInputs {
            from: flow.from,
            to: flow.to,
            per_step,
            shares: flow.shares.iter().copied().collect(),
        }
    }
}

/// What every block of a regional ensemble shares.
pub(super) struct RegionalInputs<'a> {
    pub(super) grid: AgeGrid,
    pub(super) spec: &'a EnsembleSpec,
    pub(super) weights: &'a Weights,
    pub(super) base_factors: &'a BaseFactors,
    pub(super) calibrated: Option<&'a CalibratedSteps>,
    pub(super) regions: Vec<RegionInputs<'a>>,
    pub(super) parent_demands: DemandInputs<'a>,
    pub(super) parent_supplies: &'a SupplyInputs,
    /// Every area's demands in one list (the parent's, then each
    /// region's), for the need draws.
    pub(super) all_demands: DemandInputs<'a>,
    /// Per area (the parent, then the regions): its first demand in
    /// `all_demands`.
    pub(super) offsets: Vec<usize>,
    pub(super) flows: Vec<FlowInputs>,
}

/// Buffers a thread reuses from block to block.
#[derive(Default)]
pub(super) struct RegionalScratch {
    regions: Vec<Lanes>,
    parent: Lanes,
    values: Vec<f64>,
    demand: Vec<f64>,
    /// Per region, group and lane: women at the start of the step.
    women: Vec<f64>,
    /// Per region, sex and lane: persons at the start of the step.
    persons: Vec<f64>,
    /// Per region and lane: net internal migrants of the step.
    internal: Vec<f64>,
}

impl Lanes {
    /// Sets every lane's population and flows to the sum of `parts`'.
    fn set_sum(&mut self, parts: &[Lanes]) {
        for (i, row) in self.pop.iter_mut().enumerate() {
            let mut v = [0.0; LANE_CHUNK];
            for p in parts {
                for (x, y) in v.iter_mut().zip(&p.pop[i]) {
                    *x += y;
                }
            }
            *row = v;
        }
        for t in 0..self.n {
            let sum = |f: fn(&Lanes) -> &Vec<f64>| parts.iter().map(|p| f(p)[t]).sum::<f64>();
            self.births[t] = sum(|l| &l.births);
            self.deaths[t] = sum(|l| &l.deaths);
            self.migration[t] = sum(|l| &l.migration);
        }
    }

    /// Lane `t`'s population.
    fn lane_total(&self, t: usize) -> f64 {
        let mut total = 0.0;
        for s in 0..2 {
            for a in 0..self.g {
                let (row, j) = self.at(s, a, t);
                total += self.pop[row][j];
            }
        }
        total
    }
}

/// Moves every flow of step `y` in every lane, each flow taking from what
/// the flows before it left; `internal[r·n + t]` gets each region's net.
fn move_internal(flows: &[FlowInputs], y: usize, lanes: &mut [Lanes], internal: &mut [f64]) {
    let (n, g) = (lanes[0].n, lanes[0].g);
    internal.fill(0.0);
    for f in flows {
        for t in 0..lanes[0].real {
            let size = match f.per_step[y] {
                FlowStep::Persons(p) => p,
                FlowStep::Fraction(x) => x * lanes[f.from].lane_total(t),
            }
            .max(0.0);
            let mut moved = 0.0;
            for s in 0..2 {
                for a in 0..g {
                    let (row, j) = lanes[f.from].at(s, a, t);
                    let have = lanes[f.from].pop[row][j];
                    let c = (f.shares[s * g + a] * size).min(MAX_FLOW_SHARE * have);
                    lanes[f.from].pop[row][j] = have - c;
                    lanes[f.to].pop[row][j] += c;
                    moved += c;
                }
            }
            internal[f.from * n + t] -= moved;
            internal[f.to * n + t] += moved;
        }
    }
}

/// Writes an area's demands, supplies and gaps of year `y` after its
/// indicators (already in `values`) and hands them to `sink(area, y, ..)`.
#[allow(clippy::too_many_arguments)]
fn finish_area(
    area: usize,
    y: usize,
    lanes: &Lanes,
    demands: &DemandInputs,
    supplies: &SupplyInputs,
    factors: &[f64],
    paths: &[f64],
    values: &mut [f64],
    demand_scratch: &mut Vec<f64>,
    sink: &mut dyn FnMut(usize, usize, &[f64]),
) {
    let count = lanes.real;
    let sizes = [
        ENSEMBLE_INDICATORS.len(),
        demands.forms.len(),
        supplies.supplies.len(),
    ]
    .map(|c| c * count);
    let [_, demand_slot, supply_slot, gap_slot] = split_columns(values, sizes);
    demands.emit(lanes, y, factors, demand_scratch, demand_slot);
    supplies.emit(y, count, paths, demand_slot, supply_slot, gap_slot);
    sink(area, y, values);
}

/// The value columns of an area.
fn columns(demands: &DemandInputs, supplies: &SupplyInputs) -> usize {
    ENSEMBLE_INDICATORS.len() + demands.forms.len() + supplies.supplies.len() + supplies.risks.len()
}

/// One block of a regional ensemble, from the base year to the end year:
/// `sink(area, year index, values[column·count + t])`, area 0 the parent
/// and `1 + r` region `r` (see `dispatch::run_regional_block`).
#[inline(always)]
pub(super) fn run_regional_block_impl(
    b: usize,
    count: usize,
    inputs: &RegionalInputs,
    scratch: &mut RegionalScratch,
    sink: &mut dyn FnMut(usize, usize, &[f64]),
) {
    let RegionalInputs {
        grid,
        spec,
        weights: w,
        base_factors,
        calibrated,
        regions,
        parent_demands,
        parent_supplies,
        all_demands,
        offsets,
        flows,
    } = inputs;
    let grid = *grid;
    let g = grid.len();
    let n_years = f64::from(grid.width());
    let k = ENSEMBLE_INDICATORS.len();
    let st = &spec.stochastic;
    let mut rng = block_stream(spec.seed, b);
    let mut supply_rng = rng.clone();
    supply_rng.long_jump();
    let mut base_rng = rng.clone();
    base_rng.jump();
    let bounds = &Bounds::new(grid);
    let factors = all_demands.factors(count, st.certain_need, &mut rng);
    let factors_of = |area: usize, nf: usize| &factors[offsets[area] * count..][..nf * count];
    let paths: Vec<Vec<f64>> = std::iter::once(*parent_supplies)
        .chain(regions.iter().map(|r| r.supplies))
        .map(|s| s.paths(count, st.certain_supply, &mut supply_rng))
        .collect();
    let RegionalScratch {
        regions: lanes,
        parent,
        values,
        demand: demand_scratch,
        women,
        persons,
        internal,
    } = scratch;
    lanes.resize_with(regions.len(), Lanes::default);
    for (l, r) in lanes.iter_mut().zip(regions) {
        l.reset(r.base, count);
    }
    if !st.certain_base && !base_factors.is_certain() {
        let mut group = vec![1.0; g];
        for t in 0..count {
            base_factors.draw(&mut group, &mut base_rng);
            for l in lanes.iter_mut() {
                l.scale_lane(t, &group);
            }
        }
    }
    let n = lanes[0].n;
    let all = vec![false; n / LANE_CHUNK];
    parent.reset(regions[0].base, count);
    for l in lanes.iter_mut() {
        l.accumulate(w, &all);
        l.median_pass(grid, &all);
    }
    parent.set_sum(lanes);
    parent.accumulate(w, &all);
    parent.median_pass(grid, &all);
    // Year 0: every region, then the parent.
    for (r, (l, ri)) in lanes.iter().zip(regions).enumerate() {
        values.resize(columns(&ri.demands, ri.supplies) * count, 0.0);
        l.emit(grid, w, None, &mut values[..k * count]);
        let nf = ri.demands.forms.len();
        finish_area(
            1 + r,
            0,
            l,
            &ri.demands,
            ri.supplies,
            factors_of(1 + r, nf),
            &paths[1 + r],
            values,
            demand_scratch,
            sink,
        );
    }
    values.resize(columns(parent_demands, parent_supplies) * count, 0.0);
    parent.emit(grid, w, None, &mut values[..k * count]);
    finish_area(
        0,
        0,
        parent,
        parent_demands,
        parent_supplies,
        factors_of(0, parent_demands.forms.len()),
        &paths[0],
        values,
        demand_scratch,
        sink,
    );

    let mut noise = NoiseState::new(*st, *calibrated, grid.width() as usize, count, parent);
    let at = |ind: Indicator| {
        ENSEMBLE_INDICATORS
            .iter()
            .position(|&i| i == ind)
            .expect("an ensemble indicator")
    };
    let (e0_at, tfr_at) = (
        [at(Indicator::E0Male), at(Indicator::E0Female)],
        at(Indicator::Tfr),
    );
    let nr = regions.len();
    women.resize(nr * g * n, 0.0);
    persons.resize(nr * 2 * n, 0.0);
    internal.resize(nr * n, 0.0);
    let mut e0_sums = vec![0.0; 4 * n];
    let steps = regions[0].steps.len();
    for y in 0..steps {
        noise.draw_step(y, parent, &mut rng);
        for (l, ri) in lanes.iter_mut().zip(regions) {
            l.tfr_factor.copy_from_slice(&parent.tfr_factor);
            l.mort_factor.clone_from(&parent.mort_factor);
            for (d, &p) in l.mig_delta.iter_mut().zip(&parent.mig_delta) {
                *d = ri.migration_share * p;
            }
        }
        move_internal(flows, y, lanes, internal);
        e0_sums.fill(0.0);
        for (r, (l, ri)) in lanes.iter_mut().zip(regions).enumerate() {
            for t in 0..n {
                l.prev_total[t] = l.lane_total(t);
                for s in 0..2 {
                    persons[(r * 2 + s) * n + t] = (0..g)
                        .map(|a| {
                            let (row, j) = l.at(s, a, t);
                            l.pop[row][j]
                        })
                        .sum();
                }
                for a in 0..g {
                    let (row, j) = l.at(1, a, t);
                    women[(r * g + a) * n + t] = l.pop[row][j];
                }
            }
            let input = &ri.steps[y];
            values.resize(columns(&ri.demands, ri.supplies) * count, 0.0);
            let slot = &mut values[..k * count];
            let mut fast = vec![true; n / LANE_CHUNK];
            let check = !no_clamping(input, &l.mig_delta);
            l.step_fast(grid, input, bounds, w, &mut fast, check);
            let all_fast = fast.iter().all(|&f| f);
            if !all_fast {
                l.step_general(input, n_years, &fast);
            }
            for (m, &v) in l.migration.iter_mut().zip(&internal[r * n..(r + 1) * n]) {
                *m += v;
            }
            if all_fast {
                l.emit(grid, w, Some(&input.rates), slot);
            } else {
                l.indicators(grid, w, Some(&input.rates), slot, &fast);
            }
            for s in 0..2 {
                for t in 0..count {
                    let p = persons[(r * 2 + s) * n + t];
                    e0_sums[2 * s * n + t] += slot[e0_at[s] * count + t] * p;
                    e0_sums[(2 * s + 1) * n + t] += p;
                }
            }
            let nf = ri.demands.forms.len();
            finish_area(
                1 + r,
                y + 1,
                l,
                &ri.demands,
                ri.supplies,
                factors_of(1 + r, nf),
                &paths[1 + r],
                values,
                demand_scratch,
                sink,
            );
        }
        // The parent: the sum of the regions; its TFR their age rates
        // weighted by their women of each age (mean of the start and end of
        // the step), its e0 theirs weighted by their persons at the start.
        parent.set_sum(lanes);
        parent.accumulate(w, &all);
        parent.median_pass(grid, &all);
        values.resize(columns(parent_demands, parent_supplies) * count, 0.0);
        let slot = &mut values[..k * count];
        parent.emit(grid, w, Some(&regions[0].steps[y].rates), slot);
        for t in 0..count {
            let mut tfr = 0.0;
            for a in 0..g {
                let (mut births, mut exposure) = (0.0, 0.0);
                for (r, (l, ri)) in lanes.iter().zip(regions).enumerate() {
                    let (row, j) = l.at(1, a, t);
                    let wa = 0.5 * (women[(r * g + a) * n + t] + l.pop[row][j]);
                    births += ri.steps[y].rates.asfr[a] * wa;
                    exposure += wa;
                }
                if exposure > 0.0 {
                    tfr += births / exposure * n_years;
                }
            }
            slot[tfr_at * count + t] = tfr * parent.tfr_factor[t];
            for s in 0..2 {
                let weight = e0_sums[(2 * s + 1) * n + t];
                slot[e0_at[s] * count + t] = if weight > 0.0 {
                    e0_sums[2 * s * n + t] / weight
                } else {
                    f64::NAN
                };
            }
        }
        finish_area(
            0,
            y + 1,
            parent,
            parent_demands,
            parent_supplies,
            factors_of(0, parent_demands.forms.len()),
            &paths[0],
            values,
            demand_scratch,
            sink,
        );
    }
}
