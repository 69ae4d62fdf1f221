//! The reduction of an ensemble: each thread's [`Partial`] absorbs the
//! blocks it runs (cells, block sums for the means, exact shortfall
//! counts, kept trajectories); partials merge in any order to the same
//! result, which becomes the [`EnsembleSummary`].

use crate::gap::{shortfall_tolerance, DemandForm};

use super::histogram::Cell;
use super::summary::{DemandLabel, EnsembleSummary, FirstShortfall, GapRisk, Summary};
use super::supply::SupplyInputs;
use super::{BLOCK, ENSEMBLE_INDICATORS};

/// A partial reduction: cells, block sums kept by block index, and exact
/// shortfall counts. Blocks are absorbed a year at a time, as they are
/// stepped, so a block's values never leave the cache.
pub(super) struct Partial {
    cells: Vec<Cell>,
    /// Value columns per year (indicators, then demands).
    columns: usize,
    years: usize,
    /// Per year: whether its cells are summarised (else left empty; the
    /// shortfall counts cover every year).
    summarised: Vec<bool>,
    sums: Vec<(usize, Vec<f64>)>,
    /// Per risk (a demand with supply) and year: trajectories short.
    short: Vec<u64>,
    /// Per risk and year (then "never"): trajectories first short then.
    first: Vec<u64>,
    kept: Vec<(usize, Vec<f64>)>,
    /// The block being absorbed: its sum per cell, and per risk and
    /// trajectory the first year short (`years`: not yet).
    block_sums: Vec<f64>,
    block_first: Vec<usize>,
}

/// Where a risk's demand and gap sit among the value columns, and its
/// planned supply (whose tolerance decides what is short).
pub(super) struct RiskColumn<'a> {
    demand: usize,
    gap: usize,
    form: usize,
    supply: &'a [f64],
}

impl<'a> RiskColumn<'a> {
    /// The risks of `supplies`: every demand with a supply. Columns:
    /// indicators, demands, supplies, then one gap per risk.
    pub(super) fn of(supplies: &'a SupplyInputs, demands: usize) -> Vec<RiskColumn<'a>> {
        let k = ENSEMBLE_INDICATORS.len();
        let gaps = k + demands + supplies.supplies.len();
        supplies
            .risks
            .iter()
            .enumerate()
            .map(|(r, risk)| RiskColumn {
                demand: k + risk.form,
                gap: gaps + r,
                form: risk.form,
                supply: &supplies.supplies[risk.supply].planned,
            })
            .collect()
    }
}

impl Partial {
    pub(super) fn new(
        cells: &[Cell],
        columns: usize,
        risks: usize,
        summarised: &[bool],
    ) -> Partial {
        let years = summarised.len();
        Partial {
            cells: cells.to_vec(),
            columns,
            years,
            summarised: summarised.to_vec(),
            sums: Vec::new(),
            short: vec![0; risks * years],
            first: vec![0; risks * (years + 1)],
            kept: Vec::new(),
            block_sums: Vec::new(),
            block_first: Vec::new(),
        }
    }

    pub(super) fn begin_block(&mut self, count: usize, risks: &[RiskColumn]) {
        self.block_sums.clear();
        self.block_sums.resize(self.cells.len(), 0.0);
        self.block_first.clear();
        self.block_first.resize(risks.len() * count, self.years);
    }

    /// Absorbs year `y` of the block: `values[column·count + t]`.
    pub(super) fn absorb_year(
        &mut self,
        y: usize,
        values: &[f64],
        count: usize,
        risks: &[RiskColumn],
    ) {
        if self.summarised[y] {
            let cells = y * self.columns..(y + 1) * self.columns;
            Cell::add_columns(
                &mut self.cells[cells.clone()],
                &mut self.block_sums[cells],
                values,
                count,
            );
        }
        for (r, risk) in risks.iter().enumerate() {
            let supply = risk.supply[y];
            let tolerance = shortfall_tolerance(supply);
            let gap = &values[risk.gap * count..][..count];
            let first = &mut self.block_first[r * count..(r + 1) * count];
            // Branch-free: a risk near even odds would mispredict often.
            let mut short = 0;
            for (f, &g) in first.iter_mut().zip(gap) {
                let is_short = g > tolerance;
                short += u64::from(is_short);
                *f = if is_short { (*f).min(y) } else { *f };
            }
            self.short[r * self.years + y] += short;
        }
    }

    pub(super) fn end_block(&mut self, block: usize, count: usize) {
        self.sums
            .push((block, std::mem::take(&mut self.block_sums)));
        for (i, &f) in self.block_first.iter().enumerate() {
            self.first[(i / count) * (self.years + 1) + f] += 1;
        }
    }

    /// Absorbs a whole block: `values[(y·columns + column)·count + t]`.
    pub(super) fn absorb(
        &mut self,
        block: usize,
        values: &[f64],
        count: usize,
        risks: &[RiskColumn],
    ) {
        self.begin_block(count, risks);
        let per_year = self.columns * count;
        for (y, year) in values.chunks_exact(per_year).enumerate() {
            self.absorb_year(y, year, count, risks);
        }
        self.end_block(block, count);
    }

    pub(super) fn merge(mut self, other: Partial) -> Partial {
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
    pub(super) fn keep(&mut self, block: usize, values: &[f64], count: usize, keep: usize) {
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

    /// The summary of every cell, and the gap risks and first-shortfall
    /// distributions of `risks`, for `trajectories` trajectories.
    pub(super) fn into_summary(
        mut self,
        trajectories: usize,
        years: &[i32],
        demands: &[DemandForm],
        supplies: &SupplyInputs,
        risks: &[RiskColumn],
        alpha: f64,
    ) -> EnsembleSummary {
        self.sums.sort_by_key(|s| s.0);
        self.kept.sort_by_key(|k| k.0);
        let k = self.columns;
        // Every cell's summary, and its quantile at 1 − α.
        let (summaries, at_level): (Vec<Option<Summary>>, Vec<f64>) = self
            .cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if cell.is_empty() {
                    return (None, f64::NAN);
                }
                let sum: f64 = self.sums.iter().map(|s| s.1[c]).sum();
                let (summary, at) = cell.summary_at(sum, &[1.0 - alpha]);
                (Some(summary), at[0])
            })
            .unzip();
        let n = trajectories as f64;
        let ny = years.len();
        let mut gap_risks = Vec::new();
        let mut first_shortfalls = Vec::new();
        for (r, col) in risks.iter().enumerate() {
            let form = &demands[col.form];
            for (y, &year) in years.iter().enumerate() {
                let (Some(demand), Some(gap)) =
                    (summaries[y * k + col.demand], summaries[y * k + col.gap])
                else {
                    continue;
                };
                let supply = col.supply[y];
                gap_risks.push(GapRisk {
                    service: form.service.clone(),
                    method: form.method.clone(),
                    primary: form.primary,
                    year,
                    supply,
                    p_shortfall: self.short[r * ny + y] as f64 / n,
                    shortfall_p50: gap.p50,
                    shortfall_p90: gap.p90,
                    shortfall_sd: gap.sd,
                    capacity_needed_p90: demand.p90,
                    alpha,
                    capacity_needed: at_level[y * k + col.demand],
                });
            }
            let first = &self.first[r * (ny + 1)..(r + 1) * (ny + 1)];
            first_shortfalls.push(FirstShortfall {
                service: form.service.clone(),
                method: form.method.clone(),
                primary: form.primary,
                by_year: years
                    .iter()
                    .zip(first)
                    .map(|(&year, &c)| (year, c as f64 / n))
                    .collect(),
                never: first[ny] as f64 / n,
            });
        }
        EnsembleSummary {
            years: years.to_vec(),
            indicators: ENSEMBLE_INDICATORS.to_vec(),
            demands: demands
                .iter()
                .map(|d| DemandLabel {
                    service: d.service.clone(),
                    method: d.method.clone(),
                    primary: d.primary,
                })
                .collect(),
            supplies: supplies
                .supplies
                .iter()
                .map(|s| s.service.clone())
                .collect(),
            columns: k,
            trajectories,
            alpha,
            summaries,
            risks: gap_risks,
            first_shortfalls,
            kept: self.kept,
            regions: Vec::new(),
        }
    }
}
