//! The ensemble's indicators of the lanes: weighted sums of the
//! population by age, the median age, flows, e0 and TFR, written per
//! trajectory into the value columns.

use ndarray::Array1;

use crate::age_grid::AgeGrid;
use crate::indicators::{median_in_groups, AgeBand, Definition, Flow, Indicator};
use crate::life_table::SurvivalRatios;
use crate::projection::StepRates;

use super::lanes::Lanes;
use super::noise::scaled_survival;
use super::{ENSEMBLE_INDICATORS, LANE_CHUNK};

/// Accumulator slot of the total population; the age bands of the
/// indicator definitions ([`Indicator::age_bands`]) follow, in order.
pub(super) const TOTAL: usize = 0;
/// Accumulator slots per lane: the total and every age band.
pub(super) const SLOTS: usize = 7;

/// The accumulator slots of the bands the fused kernel computes from its
/// running sums (suffix sums at 60, 65, 80, 85 and 15, and a weighted sum
/// for ages 0-2), found among the indicator definitions' bands.
#[derive(Debug, Clone, Copy)]
pub(super) struct KernelSlots {
    pub(super) p60: usize,
    pub(super) p65: usize,
    pub(super) p80: usize,
    pub(super) p85: usize,
    pub(super) p0_2: usize,
    pub(super) p15_64: usize,
}

/// Indicator weights by grid group (both sexes), derived from the indicator
/// definitions: for every age band, the fraction of each group in it.
pub(super) struct Weights {
    bands: Vec<AgeBand>,
    by_band: Vec<Array1<f64>>,
    pub(super) kernel: KernelSlots,
    /// The groups with a share in ages 0-2, and that share.
    pub(super) groups_0_2: Vec<(usize, f64)>,
}

impl Weights {
    pub(super) fn new(grid: AgeGrid) -> Self {
        let bands = Indicator::age_bands();
        assert_eq!(
            1 + bands.len(),
            SLOTS,
            "the lanes hold the total and every age band of the indicator definitions"
        );
        let by_band: Vec<Array1<f64>> = bands
            .iter()
            .map(|b| Array1::from_iter((0..grid.len()).map(|i| grid.fraction_in(i, b.from, b.to))))
            .collect();
        let slot = |b: AgeBand| {
            1 + bands
                .iter()
                .position(|&x| x == b)
                .expect("the fused kernel computes every age band of the indicator definitions")
        };
        let kernel = KernelSlots {
            p60: slot(AgeBand::plus(60)),
            p65: slot(AgeBand::plus(65)),
            p80: slot(AgeBand::plus(80)),
            p85: slot(AgeBand::plus(85)),
            p0_2: slot(AgeBand::between(0, 3)),
            p15_64: slot(AgeBand::between(15, 65)),
        };
        let groups_0_2 = nonzero_groups(&by_band[kernel.p0_2 - 1]);
        Weights {
            bands,
            by_band,
            kernel,
            groups_0_2,
        }
    }

    /// The accumulator slot of `band`.
    fn slot(&self, band: AgeBand) -> usize {
        1 + self
            .bands
            .iter()
            .position(|&b| b == band)
            .expect("every band of a definition is among the age bands")
    }
}

/// The groups with a non-zero weight, and that weight.
fn nonzero_groups(weights: &Array1<f64>) -> Vec<(usize, f64)> {
    weights
        .iter()
        .copied()
        .enumerate()
        .filter(|x| x.1 != 0.0)
        .collect()
}

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
        self.emit(grid, w, step, out);
    }

    /// Weighted sums of the population for every stock indicator.
    #[inline(always)]
    pub(super) fn accumulate(&mut self, w: &Weights, fast: &[bool]) {
        let g = self.g;
        let weights = &w.by_band;
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let mut sums = [0.0; SLOTS];
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
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let half = 0.5 * self.acc[TOTAL][t];
            self.median[t] = median_in_groups(grid, half, 0, 0.0, |a| {
                let (m, j) = self.at(0, a, t);
                let (f, _) = self.at(1, a, t);
                self.pop[m][j] + self.pop[f][j]
            });
        }
    }

    /// Writes every indicator of every real trajectory into
    /// `out[k·real + t]`.
    #[inline(always)]
    pub(super) fn emit(
        &self,
        grid: AgeGrid,
        w: &Weights,
        step: Option<&StepRates>,
        out: &mut [f64],
    ) {
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
            match (ind.definition(), step) {
                (Definition::Total, _) => copy(slot, total, 1.0),
                (Definition::Count(band), _) => copy(slot, &acc[w.slot(band)], 1.0),
                (Definition::Share(band), _) => share(slot, &acc[w.slot(band)]),
                (Definition::Ratio(of, to), _) => {
                    let (of, to) = (&acc[w.slot(of)], &acc[w.slot(to)]);
                    for ((o, &a), &b) in slot.iter_mut().zip(of).zip(to) {
                        *o = if b > 0.0 { a / b } else { f64::NAN };
                    }
                }
                (Definition::MedianAge, _) => copy(slot, &self.median, 1.0),
                (_, None) => slot.fill(f64::NAN),
                (Definition::Flow(Flow::Births), Some(_)) => copy(slot, &self.births, 1.0 / width),
                (Definition::Flow(Flow::Deaths), Some(_)) => copy(slot, &self.deaths, 1.0 / width),
                (Definition::Flow(Flow::NetMigration), Some(_)) => {
                    copy(slot, &self.migration, 1.0 / width)
                }
                (Definition::E0(s), Some(r)) => match &self.mort_factor {
                    None => slot.fill(r.e0[s]),
                    Some(f) => {
                        e0_of_survival_lanes(&r.survival[s], width, &f[s * self.n..][..m], slot)
                    }
                },
                (Definition::Tfr, Some(r)) => copy(slot, &self.tfr_factor, r.tfr),
            }
        }
    }
}

/// Life expectancy at birth implied by survival ratios (births to group 0,
/// group to group, the pooled open-group ratio last) with probabilities of
/// dying scaled by `f`: person-years `L(0) = n·S(birth)`, `L(a+1) = L(a)·S(a)`,
/// and the open group's `T = L·S/(1 − S)` from the pooled ratio.
#[inline(always)]
pub(super) fn e0_of_survival(sr: &SurvivalRatios, n: f64, f: f64) -> f64 {
    let g = sr.groups.len();
    let mut l = n * scaled_survival(sr.birth, f);
    let mut total = 0.0;
    // Groups 0..g−2 add their person-years; each but the last closed group
    // passes its survivors on.
    let groups = plain_groups(sr);
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

/// The survival ratios of the groups as a plain slice (no bounds checks,
/// no strides: the loops over it cost half), copied only if strided.
fn plain_groups(sr: &SurvivalRatios) -> std::borrow::Cow<'_, [f64]> {
    match sr.groups.as_slice() {
        Some(groups) => std::borrow::Cow::Borrowed(groups),
        None => std::borrow::Cow::Owned(sr.groups.to_vec()),
    }
}

/// [`e0_of_survival`] of every factor of `factors` into `out`: the same
/// arithmetic in the same order per lane, eight lanes at a time so that
/// their independent chains of products overlap (one lane's chain is
/// bound by the latency of its multiplies).
#[inline(always)]
fn e0_of_survival_lanes(sr: &SurvivalRatios, n: f64, factors: &[f64], out: &mut [f64]) {
    const W: usize = LANE_CHUNK;
    let g = sr.groups.len();
    let groups = plain_groups(sr);
    let whole = factors.len() / W * W;
    for (f, o) in factors[..whole]
        .chunks_exact(W)
        .zip(out[..whole].chunks_exact_mut(W))
    {
        let mut l = [0.0; W];
        let mut total = [0.0; W];
        for j in 0..W {
            l[j] = n * scaled_survival(sr.birth, f[j]);
        }
        for &s in &groups[..g - 2] {
            for j in 0..W {
                total[j] += l[j];
                l[j] *= scaled_survival(s, f[j]);
            }
        }
        for j in 0..W {
            total[j] += l[j];
            let pooled = scaled_survival(groups[g - 2], f[j]);
            if pooled < 1.0 {
                total[j] += l[j] * pooled / (1.0 - pooled);
            }
            o[j] = total[j];
        }
    }
    for (o, &f) in out[whole..].iter_mut().zip(&factors[whole..]) {
        *o = e0_of_survival(sr, n, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lanes' slots and the fused kernel's marks cover exactly the age
    /// bands of the indicator definitions, on both grids.
    /// Eight lanes at a time give exactly the one-lane answer.
    #[test]
    fn e0_of_lanes_is_e0_of_each_lane() {
        let grid = AgeGrid::single_years();
        let g = grid.len();
        let groups: Vec<f64> = (0..g)
            .map(|a| 1.0 - 0.0005 * (1.08f64).powi(a as i32).min(1900.0))
            .collect();
        let sr = SurvivalRatios {
            birth: 0.995,
            groups: ndarray::Array1::from(
                groups.iter().map(|v| v.clamp(0.0, 1.0)).collect::<Vec<_>>(),
            ),
        };
        let factors: Vec<f64> = (0..19).map(|i| 0.7 + 0.05 * i as f64).collect();
        let mut out = vec![0.0; factors.len()];
        e0_of_survival_lanes(&sr, 1.0, &factors, &mut out);
        for (o, &f) in out.iter().zip(&factors) {
            assert_eq!(*o, e0_of_survival(&sr, 1.0, f));
        }
    }

    #[test]
    fn weights_derive_from_the_indicator_definitions() {
        for grid in [AgeGrid::single_years(), AgeGrid::five_year()] {
            let w = Weights::new(grid);
            let k = w.kernel;
            let mut slots = vec![k.p60, k.p65, k.p80, k.p85, k.p0_2, k.p15_64];
            slots.sort_unstable();
            assert_eq!(slots, (1..SLOTS).collect::<Vec<_>>());
            for (band, weights) in w.bands.iter().zip(&w.by_band) {
                for (i, &f) in weights.iter().enumerate() {
                    assert_eq!(f, grid.fraction_in(i, band.from, band.to));
                }
            }
            // Ages 0-2: the first three single years, or 3/5 of group 0-4.
            let expected: Vec<(usize, f64)> = if grid.width() == 1 {
                vec![(0, 1.0), (1, 1.0), (2, 1.0)]
            } else {
                vec![(0, 0.6)]
            };
            assert_eq!(w.groups_0_2, expected);
        }
    }
}
