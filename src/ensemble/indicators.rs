//! The ensemble's indicators of the lanes: weighted sums of the
//! population by age, the median age, flows, e0 and TFR, written per
//! trajectory into the value columns.

use ndarray::Array1;

use crate::age_grid::AgeGrid;
use crate::indicators::Indicator;
use crate::life_table::SurvivalRatios;
use crate::projection::StepRates;

use super::lanes::Lanes;
use super::noise::scaled_survival;
use super::{ENSEMBLE_INDICATORS, LANE_CHUNK};

/// Indicator weights by grid group (both sexes): fraction of each group in
/// the indicator's ages.
pub(super) struct Weights {
    pub(super) w60: Array1<f64>,
    pub(super) w65: Array1<f64>,
    pub(super) w80: Array1<f64>,
    pub(super) w85: Array1<f64>,
    pub(super) w0_2: Array1<f64>,
    pub(super) w15_64: Array1<f64>,
}

impl Weights {
    /// The groups with a share in ages 0-2, and that share.
    pub(super) fn nonzero_0_2(&self) -> Vec<(usize, f64)> {
        self.w0_2
            .iter()
            .copied()
            .enumerate()
            .filter(|x| x.1 != 0.0)
            .collect()
    }

    pub(super) fn new(grid: AgeGrid) -> Self {
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

pub(super) const TOTAL: usize = 0;
pub(super) const P60: usize = 1;
pub(super) const P65: usize = 2;
pub(super) const P80: usize = 3;
pub(super) const P85: usize = 4;
pub(super) const P02: usize = 5;
pub(super) const P1564: usize = 6;

impl Lanes {
    /// Accumulates every indicator (general weights) and writes them all
    /// into `out[k·real + t]`.
    pub(super) fn indicators(
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
    pub(super) fn accumulate(&mut self, w: &Weights, fast: &[bool]) {
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
    pub(super) fn median_pass(&mut self, grid: AgeGrid, fast: &[bool]) {
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
    pub(super) fn emit(&self, grid: AgeGrid, step: Option<&StepRates>, out: &mut [f64]) {
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
fn e0_of_survival(sr: &SurvivalRatios, n: f64, f: f64) -> f64 {
    let g = sr.groups.len();
    let mut l = n * scaled_survival(sr.birth, f);
    let mut total = 0.0;
    // Groups 0..g−2 add their person-years; each but the last closed group
    // passes its survivors on.
    // On a plain slice (no bounds checks, no strides) the loop costs half.
    let copied;
    let groups = match sr.groups.as_slice() {
        Some(groups) => groups,
        None => {
            copied = sr.groups.to_vec();
            &copied
        }
    };
    for &s in &groups[..g - 2] {
        total += l;
        l *= scaled_survival(s, f);
    }
    total += l;
    let pooled = scaled_survival(sr.groups[g - 2], f);
    if pooled < 1.0 {
        total += l * pooled / (1.0 - pooled);
    }
    total
}
