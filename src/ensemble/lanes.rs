//! A block's state: its trajectories' populations held lane by lane, with
//! their flows, indicator sums and this step's noise factors; and the
//! general step, which clamps counts at zero.

use crate::population::{Population, Sex};

use super::indicators::SLOTS;
use super::noise::scaled_survival;
use super::step::StepInputs;
use super::LANE_CHUNK;

/// A block of trajectories held in chunks of [`LANE_CHUNK`]: row
/// `c·2g + s·g + a`, lane `j` is chunk `c`, sex `s`, age group `a`,
/// trajectory `c·W + j`. A chunk's whole population is contiguous (13 KB for
/// 101 ages), so the fast kernel keeps eight trajectories in registers while
/// it walks the ages.
#[derive(Clone, Default)]
pub(super) struct Lanes {
    /// Lanes, a multiple of [`LANE_CHUNK`]; lanes from `real` on are padding.
    pub(super) n: usize,
    pub(super) real: usize,
    pub(super) g: usize,
    pub(super) pop: Vec<[f64; LANE_CHUNK]>,
    pub(super) births: Vec<f64>,
    pub(super) deaths: Vec<f64>,
    pub(super) migration: Vec<f64>,
    pub(super) acc: [Vec<f64>; SLOTS],
    pub(super) median: Vec<f64>,
    pub(super) tfr_factor: Vec<f64>,
    /// Factor on probabilities of dying this step, `[s·n + t]` (sex, then
    /// lane); `None` when mortality is not random (the survival ratios are
    /// used as they are).
    pub(super) mort_factor: Option<Vec<f64>>,
    pub(super) mig_delta: Vec<f64>,
    /// Totals before the current step.
    pub(super) prev_total: Vec<f64>,
    /// The end of a step of the fused pass with random mortality or
    /// migration (laid out as `pop`, swapped with it).
    pub(super) next: Vec<[f64; LANE_CHUNK]>,
}

impl Lanes {
    pub(super) fn new(base: &Population, real: usize) -> Lanes {
        let mut lanes = Lanes::default();
        lanes.reset(base, real);
        lanes
    }

    /// Every lane back at `base`, for `real` trajectories (buffers reused).
    pub(super) fn reset(&mut self, base: &Population, real: usize) {
        let n = real.div_ceil(LANE_CHUNK) * LANE_CHUNK;
        let g = base.grid().len();
        (self.n, self.real, self.g) = (n, real, g);
        self.pop.clear();
        for _ in 0..n / LANE_CHUNK {
            for s in 0..2 {
                self.pop
                    .extend(base.of(Sex::BOTH[s]).iter().map(|&v| [v; LANE_CHUNK]));
            }
        }
        let zeroed = [
            &mut self.births,
            &mut self.deaths,
            &mut self.migration,
            &mut self.median,
            &mut self.mig_delta,
            &mut self.prev_total,
        ];
        for v in zeroed.into_iter().chain(self.acc.iter_mut()) {
            v.clear();
            v.resize(n, 0.0);
        }
        self.tfr_factor.clear();
        self.tfr_factor.resize(n, 1.0);
        self.mort_factor = None;
    }

    /// Index of sex `s`, age `a` for trajectory `t`: (row, lane).
    #[inline(always)]
    pub(super) fn at(&self, s: usize, a: usize, t: usize) -> (usize, usize) {
        (
            (t / LANE_CHUNK) * 2 * self.g + s * self.g + a,
            t % LANE_CHUNK,
        )
    }

    /// The general step, one trajectory at a time, with clamping: half the
    /// migrants at the start (clamped at zero), survival (the open group
    /// pools), half at the end (clamped), births from the mean exposure.
    pub(super) fn step_general(&mut self, input: &StepInputs, n_years: f64, fast: &[bool]) {
        let g = self.g;
        let r = &input.rates;
        let male_share = r.srb / (1.0 + r.srb);
        let mut start = vec![0.0; g];
        // Survival by group, then from birth; per trajectory when mortality
        // is random.
        let mut survival: Vec<Vec<f64>> = (0..2)
            .map(|s| {
                let mut row = r.survival[s].groups.to_vec();
                row.push(r.survival[s].birth);
                row
            })
            .collect();
        for t in 0..self.n {
            if fast[t / LANE_CHUNK] {
                continue;
            }
            let delta = self.mig_delta[t];
            let (mut deaths, mut migration, mut fert) = (0.0, 0.0, 0.0);
            if let Some(f) = &self.mort_factor {
                for (s, row) in survival.iter_mut().enumerate() {
                    let f = f[s * self.n + t];
                    for (a, v) in row[..g].iter_mut().enumerate() {
                        *v = scaled_survival(r.survival[s].groups[a], f);
                    }
                    row[g] = scaled_survival(r.survival[s].birth, f);
                }
            }
            for s in 0..2 {
                let surv = &survival[s];
                let half =
                    |a: usize| 0.5 * (r.migration[[s, a]] + input.noise_shares[[s, a]] * delta);
                for (a, st) in start.iter_mut().enumerate() {
                    let (row, j) = self.at(s, a, t);
                    let old = self.pop[row][j];
                    *st = (old + half(a)).max(0.0);
                    migration += *st - old;
                    if s == 1 {
                        fert += r.asfr[a] * *st;
                    }
                }
                let start_sum: f64 = start.iter().sum();
                let mut end_sum = 0.0;
                for a in 1..g {
                    let v = if a == g - 1 {
                        start[g - 2] * surv[g - 2] + start[g - 1] * surv[g - 1]
                    } else {
                        start[a - 1] * surv[a - 1]
                    };
                    end_sum += v;
                    let arrived = (v + half(a)).max(0.0);
                    migration += arrived - v;
                    if s == 1 {
                        fert += r.asfr[a] * arrived;
                    }
                    let (row, j) = self.at(s, a, t);
                    self.pop[row][j] = arrived;
                }
                deaths += start_sum - end_sum;
            }
            let births = n_years * self.tfr_factor[t] * 0.5 * fert;
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                let b = births * share;
                let survivors = b * survival[s][g];
                deaths += b - survivors;
                let v = (survivors
                    + 0.5 * (r.migration[[s, 0]] + input.noise_shares[[s, 0]] * delta))
                    .max(0.0);
                migration += v - survivors;
                let (row, j) = self.at(s, 0, t);
                self.pop[row][j] = v;
            }
            self.births[t] = births;
            self.deaths[t] = deaths;
            self.migration[t] = migration;
        }
    }
}
