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
use super::dispatch::step_region;
use super::indicators::{Weights, TOTAL};
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
    /// Per step: the groups where some region's women bear children.
    pub(super) fertile: Vec<Vec<usize>>,
}

/// Buffers a thread reuses from block to block.
#[derive(Default)]
pub(super) struct RegionalScratch {
    regions: Vec<Lanes>,
    parent: Lanes,
    values: Vec<f64>,
    demand: Vec<f64>,
    /// Per region: its women of the fertile groups at the start of the
    /// step (after the moves), row `c·fertile + k` for chunk `c`.
    starts: Vec<Vec<[f64; LANE_CHUNK]>>,
    /// Per region, sex and lane: persons at the start of the step.
    persons: Vec<f64>,
    /// Per region and lane: net internal migrants of the step.
    internal: Vec<f64>,
}

impl Lanes {
    /// Sets every lane's population and flows to the sum of `parts`'.
    #[inline(always)]
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

    /// Chunk `c`'s sum over its rows `rows` (relative to the chunk), per
    /// lane, in row order.
    #[inline(always)]
    fn chunk_sum(&self, c: usize, rows: std::ops::Range<usize>) -> [f64; LANE_CHUNK] {
        let base = c * 2 * self.g;
        let mut sum = [0.0; LANE_CHUNK];
        for row in &self.pop[base + rows.start..base + rows.end] {
            for (x, v) in sum.iter_mut().zip(row) {
                *x += v;
            }
        }
        sum
    }

    /// The median age of every lane, eight at a time (the arithmetic of
    /// [`crate::indicators::median_in_groups`] per lane, in the same order),
    /// from the total accumulator.
    #[inline(always)]
    fn median_chunks(&mut self, grid: AgeGrid) {
        const W: usize = LANE_CHUNK;
        let (g, width) = (self.g, f64::from(grid.width()));
        for c in 0..self.n / W {
            let mut half = [0.0; W];
            for j in 0..W {
                half[j] = 0.5 * self.acc[TOTAL][c * W + j];
            }
            let (mut cum, mut median, mut done) = ([0.0; W], [f64::NAN; W], [false; W]);
            for i in 0..g {
                let (m, f) = (&self.pop[c * 2 * g + i], &self.pop[c * 2 * g + g + i]);
                let lower = f64::from(grid.lower(i));
                // Branch-free per lane: a lane passes half in this group,
                // records its median and keeps its sum; the others add.
                for j in 0..W {
                    let v = m[j] + f[j];
                    let next = cum[j] + v;
                    let passes = !done[j] && v > 0.0 && next >= half[j];
                    let at = lower + width * (half[j] - cum[j]) / v;
                    median[j] = if passes { at } else { median[j] };
                    cum[j] = if done[j] || passes { cum[j] } else { next };
                    done[j] = done[j] || passes;
                }
                if done.iter().all(|&d| d) {
                    break;
                }
            }
            self.median[c * W..(c + 1) * W].copy_from_slice(&median);
        }
    }

    /// Sets the accumulators (total and age bands) to the sum of `parts'`:
    /// every slot is a sum of counts.
    #[inline(always)]
    fn set_acc_sum(&mut self, parts: &[Lanes]) {
        for (k, acc) in self.acc.iter_mut().enumerate() {
            for (t, v) in acc.iter_mut().enumerate() {
                *v = parts.iter().map(|p| p.acc[k][t]).sum();
            }
        }
    }
}

/// Two different elements of `lanes`, mutably.
fn pair(lanes: &mut [Lanes], a: usize, b: usize) -> (&mut Lanes, &mut Lanes) {
    if a < b {
        let (x, y) = lanes.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = lanes.split_at_mut(a);
        (&mut y[0], &mut x[b])
    }
}

/// Moves every flow of step `y` in every lane, each flow taking from what
/// the flows before it left; `internal[r·n + t]` gets each region's net.
#[inline(always)]
fn move_internal(flows: &[FlowInputs], y: usize, lanes: &mut [Lanes], internal: &mut [f64]) {
    const W: usize = LANE_CHUNK;
    let (n, g) = (lanes[0].n, lanes[0].g);
    internal.fill(0.0);
    for f in flows {
        let (from, to) = pair(lanes, f.from, f.to);
        for c in 0..n / W {
            let size = match f.per_step[y] {
                FlowStep::Persons(p) => [p.max(0.0); W],
                FlowStep::Fraction(x) => from.chunk_sum(c, 0..2 * g).map(|t| (x * t).max(0.0)),
            };
            let rows = c * 2 * g..(c + 1) * 2 * g;
            let mut moved = [0.0; W];
            for ((src, dst), &share) in from.pop[rows.clone()]
                .iter_mut()
                .zip(&mut to.pop[rows])
                .zip(&f.shares)
            {
                for j in 0..W {
                    let m = (share * size[j]).min(MAX_FLOW_SHARE * src[j]);
                    src[j] -= m;
                    dst[j] += m;
                    moved[j] += m;
                }
            }
            for j in 0..W {
                internal[f.from * n + c * W + j] -= moved[j];
                internal[f.to * n + c * W + j] += moved[j];
            }
        }
    }
}

/// Steps one region's lanes (`internal`: each lane's net internal
/// migrants, moved before) and writes its indicators into `slot`.
#[inline(always)]
pub(super) fn step_region_impl(
    l: &mut Lanes,
    grid: AgeGrid,
    input: &StepInputs,
    bounds: &Bounds,
    w: &Weights,
    internal: &[f64],
    slot: &mut [f64],
) {
    let n_years = f64::from(grid.width());
    let mut fast = vec![true; l.n / LANE_CHUNK];
    let check = !no_clamping(input, &l.mig_delta);
    l.step_fast(grid, input, bounds, w, &mut fast, check);
    let all_fast = fast.iter().all(|&f| f);
    if !all_fast {
        l.step_general(input, n_years, &fast);
    }
    for (m, &v) in l.migration.iter_mut().zip(internal) {
        *m += v;
    }
    if all_fast {
        l.emit(grid, w, Some(&input.rates), slot);
    } else {
        l.indicators(grid, w, Some(&input.rates), slot, &fast);
    }
}

/// One area of a block (the parent or a region): its demands and
/// supplies, and the block's need factors and supply paths of it.
struct BlockArea<'b> {
    demands: &'b DemandInputs<'b>,
    supplies: &'b SupplyInputs,
    factors: &'b [f64],
    paths: Vec<f64>,
}

impl BlockArea<'_> {
    /// `values` sized for the area's columns of `count` trajectories, and
    /// its indicator columns (the first ones) to fill.
    fn indicator_slot<'v>(&self, values: &'v mut Vec<f64>, count: usize) -> &'v mut [f64] {
        let columns = ENSEMBLE_INDICATORS.len()
            + self.demands.forms.len()
            + self.supplies.supplies.len()
            + self.supplies.risks.len();
        values.resize(columns * count, 0.0);
        &mut values[..ENSEMBLE_INDICATORS.len() * count]
    }

    /// Writes the area's demands, supplies and gaps of year `y` after its
    /// indicators (already in `values`) and hands them to
    /// `sink(index, y, ..)`.
    #[inline(always)]
    fn finish(
        &self,
        index: usize,
        y: usize,
        lanes: &Lanes,
        values: &mut [f64],
        demand_scratch: &mut Vec<f64>,
        sink: &mut dyn FnMut(usize, usize, &[f64]),
    ) {
        let count = lanes.real;
        let sizes = [
            ENSEMBLE_INDICATORS.len(),
            self.demands.forms.len(),
            self.supplies.supplies.len(),
        ]
        .map(|c| c * count);
        let [_, demand_slot, supply_slot, gap_slot] = split_columns(values, sizes);
        self.demands
            .emit(lanes, y, self.factors, demand_scratch, demand_slot);
        self.supplies
            .emit(y, count, &self.paths, demand_slot, supply_slot, gap_slot);
        sink(index, y, values);
    }
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
        fertile,
    } = inputs;
    let grid = *grid;
    let g = grid.len();
    let n_years = f64::from(grid.width());
    let st = &spec.stochastic;
    let mut rng = block_stream(spec.seed, b);
    let mut supply_rng = rng.clone();
    supply_rng.long_jump();
    let mut base_rng = rng.clone();
    base_rng.jump();
    let bounds = &Bounds::new(grid);
    let factors = all_demands.factors(count, st.certain_need, &mut rng);
    // The parent, then each region; the supply draws in that order.
    let areas: Vec<BlockArea> = std::iter::once((parent_demands, *parent_supplies))
        .chain(regions.iter().map(|r| (&r.demands, r.supplies)))
        .enumerate()
        .map(|(a, (demands, supplies))| BlockArea {
            demands,
            supplies,
            factors: &factors[offsets[a] * count..][..demands.forms.len() * count],
            paths: supplies.paths(count, st.certain_supply, &mut supply_rng),
        })
        .collect();
    let RegionalScratch {
        regions: lanes,
        parent,
        values,
        demand: demand_scratch,
        starts,
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
    parent.set_acc_sum(lanes);
    parent.median_chunks(grid);
    // Year 0: every region, then the parent.
    for (r, l) in lanes.iter().enumerate() {
        l.emit(grid, w, None, areas[1 + r].indicator_slot(values, count));
        areas[1 + r].finish(1 + r, 0, l, values, demand_scratch, sink);
    }
    parent.emit(grid, w, None, areas[0].indicator_slot(values, count));
    areas[0].finish(0, 0, parent, values, demand_scratch, sink);

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
    starts.resize_with(nr, Vec::new);
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
        let fertile = &fertile[y];
        e0_sums.fill(0.0);
        for (r, (l, ri)) in lanes.iter_mut().zip(regions).enumerate() {
            starts[r].clear();
            for c in 0..n / LANE_CHUNK {
                starts[r].extend(fertile.iter().map(|&a| l.pop[c * 2 * g + g + a]));
            }
            for c in 0..n / LANE_CHUNK {
                let lanes = c * LANE_CHUNK..(c + 1) * LANE_CHUNK;
                let total = l.chunk_sum(c, 0..2 * g);
                l.prev_total[lanes.clone()].copy_from_slice(&total);
                for s in 0..2 {
                    let at = (r * 2 + s) * n;
                    persons[at + lanes.start..at + lanes.end]
                        .copy_from_slice(&l.chunk_sum(c, s * g..(s + 1) * g));
                }
            }
            let input = &ri.steps[y];
            let slot = areas[1 + r].indicator_slot(values, count);
            step_region(
                l,
                grid,
                input,
                bounds,
                w,
                &internal[r * n..(r + 1) * n],
                slot,
            );
            for s in 0..2 {
                for t in 0..count {
                    let p = persons[(r * 2 + s) * n + t];
                    e0_sums[2 * s * n + t] += slot[e0_at[s] * count + t] * p;
                    e0_sums[(2 * s + 1) * n + t] += p;
                }
            }
            areas[1 + r].finish(1 + r, y + 1, l, values, demand_scratch, sink);
        }
        // The parent: the sum of the regions; its TFR their age rates
        // weighted by their women of each age (mean of the start and end of
        // the step), its e0 theirs weighted by their persons at the start.
        parent.set_sum(lanes);
        parent.set_acc_sum(lanes);
        parent.median_chunks(grid);
        let slot = areas[0].indicator_slot(values, count);
        // Its e0 and TFR are written below: emitted without the mortality
        // factors, they are not computed twice.
        let factors = parent.mort_factor.take();
        parent.emit(grid, w, Some(&regions[0].steps[y].rates), slot);
        parent.mort_factor = factors;
        for c in 0..n / LANE_CHUNK {
            const W: usize = LANE_CHUNK;
            let mut tfr = [0.0; W];
            for (k, &a) in fertile.iter().enumerate() {
                let row = c * 2 * g + g + a;
                let (mut births, mut exposure) = ([0.0; W], [0.0; W]);
                for (r, (l, ri)) in lanes.iter().zip(regions).enumerate() {
                    let asfr = ri.steps[y].rates.asfr[a];
                    let (start, end) = (&starts[r][c * fertile.len() + k], &l.pop[row]);
                    for j in 0..W {
                        let wa = 0.5 * (start[j] + end[j]);
                        births[j] += asfr * wa;
                        exposure[j] += wa;
                    }
                }
                for j in 0..W {
                    if exposure[j] > 0.0 {
                        tfr[j] += births[j] / exposure[j] * n_years;
                    }
                }
            }
            for j in 0..W {
                let t = c * W + j;
                if t < count {
                    slot[tfr_at * count + t] = tfr[j] * parent.tfr_factor[t];
                }
            }
        }
        for t in 0..count {
            for s in 0..2 {
                let weight = e0_sums[(2 * s + 1) * n + t];
                slot[e0_at[s] * count + t] = if weight > 0.0 {
                    e0_sums[2 * s * n + t] / weight
                } else {
                    f64::NAN
                };
            }
        }
        areas[0].finish(0, y + 1, parent, values, demand_scratch, sink);
    }
}
