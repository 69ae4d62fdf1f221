//! The fused step kernels: where no count of a step can turn negative,
//! each chunk of eight trajectories goes through every age top down with
//! its running sums and exposure in registers; each cohort costs one load,
//! one multiply-add and one store. The plain kernel (fixed migration and
//! mortality) does the same from precomputed constants.

use crate::age_grid::AgeGrid;
use crate::indicators::median_in_groups;

use super::indicators::{Weights, TOTAL};
use super::lanes::Lanes;
use super::noise::scaled_survival;
use super::step::{Bounds, PlainSex, StepInputs};
use super::LANE_CHUNK;

impl Lanes {
    /// A cheap sufficient condition for [`Lanes::chunk_never_negative`]:
    /// the same recursion on the chunk's lowest count of every cohort, its
    /// most negative migration, its highest mortality factor and its lowest
    /// TFR factor (every step of the recursion is monotone in them), so one
    /// pass over the ages serves eight lanes. `false` says nothing: the
    /// exact check decides.
    #[inline(always)]
    pub(super) fn chunk_clearly_never_negative(
        &self,
        c: usize,
        input: &StepInputs,
        n_years: f64,
    ) -> bool {
        const W: usize = LANE_CHUNK;
        let g = self.g;
        let r = &input.rates;
        let t0 = c * W;
        let chunk = &self.pop[c * 2 * g..(c + 1) * 2 * g];
        let lanes = t0..t0 + W;
        let fold = |v: &[f64], init: f64, f: fn(f64, f64) -> f64| v.iter().copied().fold(init, f);
        let deltas = &self.mig_delta[lanes.clone()];
        let (e_lo, e_hi) = (fold(deltas, 0.0, f64::min), fold(deltas, 0.0, f64::max));
        let f_hi = |s: usize| {
            self.mort_factor.as_ref().map_or(1.0, |m| {
                fold(&m[s * self.n + t0..s * self.n + t0 + W], f64::MIN, f64::max)
            })
        };
        let tfr_lo = fold(&self.tfr_factor[lanes], f64::MAX, f64::min);
        let half_lo = |s: usize, a: usize| {
            let (m, k) = (r.migration[[s, a]], input.noise_shares[[s, a]]);
            0.5 * (m + k * e_lo).min(m + k * e_hi)
        };
        let mut fert_lo = 0.0;
        let mut factor = [1.0; 2];
        for s in 0..2 {
            factor[s] = f_hi(s);
            let row = &chunk[s * g..(s + 1) * g];
            let groups = &r.survival[s].groups;
            let (mig, shares) = (r.migration.row(s), input.noise_shares.row(s));
            let mut previous = 0.0;
            // Plain loops without closures, so that all of it is compiled
            // with the block runner's instruction set.
            for a in 0..g {
                let (m, k) = (mig[a], shares[a]);
                let half = 0.5 * (m + k * e_lo).min(m + k * e_hi);
                let cohort = &row[a];
                let mut lowest = f64::MAX;
                for &v in cohort {
                    lowest = lowest.min(v);
                }
                let st = lowest + half;
                if st < 0.0 {
                    return false;
                }
                if s == 1 {
                    fert_lo += r.asfr[a].max(0.0) * st;
                }
                if a >= 1 && previous * scaled_survival(groups[a - 1], factor[s]) + half < 0.0 {
                    return false;
                }
                previous = st;
            }
        }
        let births_lo = n_years * tfr_lo.max(0.0) * 0.5 * fert_lo;
        let male_share = r.srb / (1.0 + r.srb);
        (0..2).all(|s| {
            let share = if s == 0 { male_share } else { 1.0 - male_share };
            births_lo * share * scaled_survival(r.survival[s].birth, factor[s]) + half_lo(s, 0)
                >= 0.0
        })
    }

    /// Whether in chunk `c` no count of this step would go below zero
    /// before clamping (so the fused pass is exact there): starts
    /// `x + h + k·δ`, survivors plus arrivals, and group 0 with births
    /// bounded below by the exposure at the start of the step.
    #[inline(always)]
    pub(super) fn chunk_never_negative(&self, c: usize, input: &StepInputs, n_years: f64) -> bool {
        const W: usize = LANE_CHUNK;
        let g = self.g;
        let r = &input.rates;
        let t0 = c * W;
        let chunk = &self.pop[c * 2 * g..(c + 1) * 2 * g];
        let male_share = r.srb / (1.0 + r.srb);
        let mut ok = true;
        for j in 0..W {
            let t = t0 + j;
            let e = self.mig_delta[t];
            let f = |s: usize| self.mort_factor.as_ref().map(|m| m[s * self.n + t]);
            let surv = |s: usize, v: f64| f(s).map_or(v, |f| scaled_survival(v, f));
            let half =
                |s: usize, a: usize| 0.5 * (r.migration[[s, a]] + input.noise_shares[[s, a]] * e);
            let mut fert = 0.0;
            for s in 0..2 {
                let row = &chunk[s * g..(s + 1) * g];
                let groups = &r.survival[s].groups;
                let start = |a: usize| row[a][j] + half(s, a);
                for a in 0..g {
                    let st = start(a);
                    ok &= st >= 0.0;
                    if s == 1 {
                        fert += r.asfr[a] * st;
                    }
                    if a >= 1 {
                        let mut v = start(a - 1) * surv(s, groups[a - 1]);
                        if a == g - 1 {
                            v += st * surv(s, groups[a]);
                        }
                        ok &= v + half(s, a) >= 0.0;
                    }
                }
            }
            let births = n_years * self.tfr_factor[t] * 0.5 * fert.max(0.0);
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                ok &= births * share * surv(s, r.survival[s].birth) + half(s, 0) >= 0.0;
            }
        }
        ok
    }
}

impl PlainSex {
    /// Steps one sex of a chunk (`rows`: groups by lane), adding its
    /// exposure to `fert` and its suffix sums to `snaps` and `fives`.
    #[inline(always)]
    pub(super) fn pass(
        &self,
        rows: &mut [[f64; LANE_CHUNK]],
        fert: &mut [f64; LANE_CHUNK],
        snaps: &mut [[f64; LANE_CHUNK]; 6],
        fives: &mut [[f64; LANE_CHUNK]; 32],
    ) {
        const W: usize = LANE_CHUNK;
        let g = rows.len();
        let mut running = [0.0; W];
        let mark = |running: &[f64; W],
                    marks: (Option<usize>, Option<usize>),
                    snaps: &mut [[f64; W]; 6],
                    fives: &mut [[f64; W]; 32]| {
            if let Some(i) = marks.0 {
                for j in 0..W {
                    snaps[i][j] += running[j];
                }
            }
            if let Some(i) = marks.1 {
                for j in 0..W {
                    fives[i][j] += running[j];
                }
            }
        };
        // The open group pools the last closed group and itself.
        let [(h0, s0), (h1, s1)] = self.top;
        let (f0, f1) = self.top_fert;
        let (x, top) = (rows[g - 2], rows[g - 1]);
        let mut v = [0.0; W];
        for j in 0..W {
            v[j] = (x[j] + h0) * s0 + (top[j] + h1) * s1 + h1;
        }
        if f0 != 0.0 || f1 != 0.0 {
            for j in 0..W {
                fert[j] += f1 * (top[j] + h1) + f0 * (x[j] + h0) + f1 * v[j];
            }
        }
        for j in 0..W {
            running[j] += v[j];
        }
        rows[g - 1] = v;
        mark(&running, self.top_marks, snaps, fives);
        // The exposure accumulates in a local copy, kept in registers.
        let mut exposure = *fert;
        for seg in &self.segments {
            // Groups `lo..=hi` read rows `lo − 1..hi` and write `lo..=hi`.
            let rows = &mut rows[seg.lo - 1..=seg.hi];
            let steps = &self.step[seg.lo..=seg.hi];
            if seg.fert {
                let ferts = &self.fert[seg.lo..=seg.hi];
                for i in (0..steps.len()).rev() {
                    let ((s0, cst), (f0, f0h0, f1)) = (steps[i], ferts[i]);
                    let x = rows[i];
                    let mut v = [0.0; W];
                    for j in 0..W {
                        v[j] = x[j].mul_add(s0, cst);
                    }
                    for j in 0..W {
                        exposure[j] += x[j].mul_add(f0, v[j].mul_add(f1, f0h0));
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[i + 1] = v;
                }
            } else {
                for i in (0..steps.len()).rev() {
                    let (s0, cst) = steps[i];
                    let x = rows[i];
                    let mut v = [0.0; W];
                    for j in 0..W {
                        v[j] = x[j].mul_add(s0, cst);
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[i + 1] = v;
                }
            }
            mark(&running, (seg.slot, seg.five), snaps, fives);
        }
        *fert = exposure;
    }
}

impl Lanes {
    /// The fused step of every chunk with `fast[c]`: each chunk of eight
    /// trajectories goes through every age top down with its running sums
    /// and exposure in registers; each cohort costs one load, one
    /// multiply-add and one store. Fills flows, indicator accumulators and
    /// the median age (from suffix sums at every multiple of 5).
    ///
    /// With `check` (some count could turn negative this step), a chunk
    /// where a start, an arrival or group 0 would be negative is put back
    /// as it was and `fast[c]` cleared, for [`Lanes::step_general`]: the
    /// chunks kept are those whose fused values need no clamping, found by
    /// the pass's own values instead of a second walk over the ages
    /// ([`Lanes::chunk_never_negative`], the same test with births bounded
    /// below by the exposure at the start of the step, serves the plain
    /// pass).
    #[inline(always)]
    pub(super) fn step_fast(
        &mut self,
        grid: AgeGrid,
        input: &StepInputs,
        bounds: &Bounds,
        weights: &Weights,
        fast: &mut [bool],
        check: bool,
    ) {
        const W: usize = LANE_CHUNK;
        let g = self.g;
        let n_years = f64::from(grid.width());
        let r = &input.rates;
        let noisy = self.mig_delta.iter().any(|&d| d != 0.0);
        let male_share = r.srb / (1.0 + r.srb);
        let mig_total = r.migration.sum();
        let noise_total = input.noise_shares.sum();
        let coef = &input.coef;
        let birth_survival = [r.survival[0].birth, r.survival[1].birth];
        let mortal = self.mort_factor.is_some();
        let plain = (!noisy && !mortal).then_some(&input.plain);
        if check && plain.is_some() {
            // The plain pass keeps no starts: its chunks are checked first.
            for (c, f) in fast.iter_mut().enumerate() {
                *f = *f
                    && (self.chunk_clearly_never_negative(c, input, n_years)
                        || self.chunk_never_negative(c, input, n_years));
            }
        }
        // Otherwise every start and arrival the pass computes is checked as
        // it goes (the union of their sign bits, so a -0.0 counts too); a
        // chunk where one is negative is left to the general step, its start
        // untouched in `pop`.
        let check = check && plain.is_none();
        // The plain pass works in place; the others read the step's start
        // from `pop` and write its end into `next` (swapped in at the end),
        // so a chunk that must clamp is still as it was, with no copy.
        let double = plain.is_none();
        if double {
            self.next.resize(self.pop.len(), [0.0; W]);
        }
        for c in 0..fast.len() {
            if !fast[c] {
                continue;
            }
            let rows_of_chunk = c * 2 * g..(c + 1) * 2 * g;
            let (start, chunk): (&[[f64; W]], &mut [[f64; W]]) = if double {
                (
                    &self.pop[rows_of_chunk.clone()],
                    &mut self.next[rows_of_chunk],
                )
            } else {
                (&[], &mut self.pop[rows_of_chunk])
            };
            let mut signs = [0u64; W];
            let t0 = c * W;
            let mut delta = [0.0; W];
            delta.copy_from_slice(&self.mig_delta[t0..t0 + W]);
            // Per sex and lane, the factor on probabilities of dying.
            let mut mf = [[1.0; W]; 2];
            if let Some(f) = &self.mort_factor {
                for (s, row) in mf.iter_mut().enumerate() {
                    row.copy_from_slice(&f[s * self.n + t0..s * self.n + t0 + W]);
                }
            }
            // Survival of lane `j` of sex `x` from `s` (the same when
            // mortality is fixed).
            let surv = |x: usize, s: f64, j: usize| {
                if mortal {
                    scaled_survival(s, mf[x][j])
                } else {
                    s
                }
            };
            let mut fert = [0.0; W];
            let mut snaps = [[0.0; W]; 6]; // 85+, 80+, 65+, 60+, 15+, 1+
            let mut fives = [[0.0; W]; 32]; // suffix sums from every multiple of 5
            for s in 0..2 {
                if let Some(plain) = &plain {
                    plain[s].pass(
                        &mut chunk[s * g..(s + 1) * g],
                        &mut fert,
                        &mut snaps,
                        &mut fives,
                    );
                    continue;
                }
                let from = &start[s * g..(s + 1) * g];
                let rows = &mut chunk[s * g..(s + 1) * g];
                let coef = &coef[s * g..(s + 1) * g];
                let mut running = [0.0; W];
                for a in (1..g).rev() {
                    let (h0, k0, s0, f0) = coef[a - 1];
                    let (h1, k1, s1, f1) = coef[a];
                    let x = from[a - 1];
                    let mut v = [0.0; W];
                    if a == g - 1 {
                        let top = from[a];
                        for j in 0..W {
                            let e = delta[j];
                            let (below, start) = (x[j] + h0 + k0 * e, top[j] + h1 + k1 * e);
                            v[j] = below * surv(s, s0, j) + start * surv(s, s1, j) + h1 + k1 * e;
                            signs[j] |= below.to_bits() | start.to_bits() | v[j].to_bits();
                        }
                        if f1 != 0.0 {
                            for j in 0..W {
                                fert[j] += f1 * (top[j] + h1 + k1 * delta[j]);
                            }
                        }
                    } else if mortal {
                        for j in 0..W {
                            let e = delta[j];
                            let start = x[j] + h0 + k0 * e;
                            v[j] = start * scaled_survival(s0, mf[s][j]) + h1 + k1 * e;
                            signs[j] |= start.to_bits() | v[j].to_bits();
                        }
                    } else {
                        // Noisy migration, fixed mortality (the plain pass
                        // takes the rest).
                        for j in 0..W {
                            let e = delta[j];
                            let start = x[j] + h0 + k0 * e;
                            v[j] = start * s0 + h1 + k1 * e;
                            signs[j] |= start.to_bits() | v[j].to_bits();
                        }
                    }
                    if f0 != 0.0 || f1 != 0.0 {
                        for j in 0..W {
                            fert[j] += f0 * (x[j] + h0 + k0 * delta[j]) + f1 * v[j];
                        }
                    }
                    for j in 0..W {
                        running[j] += v[j];
                    }
                    rows[a] = v;
                    let (slot, five) = bounds.marks(a);
                    if let Some(i) = slot {
                        for j in 0..W {
                            snaps[i][j] += running[j];
                        }
                    }
                    if let Some(i) = five {
                        for j in 0..W {
                            fives[i][j] += running[j];
                        }
                    }
                }
            }
            // Births and group 0; flows by the balance identity; median age.
            // Lane by lane in short loops the compiler turns into vectors.
            let lanes = t0..t0 + W;
            let mut births = [0.0; W];
            for (j, &f) in self.tfr_factor[lanes.clone()].iter().enumerate() {
                births[j] = n_years * f * 0.5 * fert[j];
            }
            let mut total = snaps[5];
            for s in 0..2 {
                let share = if s == 0 { male_share } else { 1.0 - male_share };
                let (h, k, _, _) = coef[s * g];
                let row = &mut chunk[s * g];
                for j in 0..W {
                    let v = births[j] * share * surv(s, birth_survival[s], j) + h + k * delta[j];
                    row[j] = v;
                    total[j] += v;
                    signs[j] |= v.to_bits();
                }
            }
            if check && signs.iter().any(|&bits| bits >> 63 != 0) {
                fast[c] = false;
                continue;
            }
            let mut migration = [0.0; W];
            for j in 0..W {
                migration[j] = mig_total + noise_total * delta[j];
            }
            let prev = &self.prev_total[lanes.clone()];
            for (j, d) in self.deaths[lanes.clone()].iter_mut().enumerate() {
                *d = prev[j] + migration[j] + births[j] - total[j];
            }
            self.births[lanes.clone()].copy_from_slice(&births);
            self.migration[lanes.clone()].copy_from_slice(&migration);
            self.acc[TOTAL][lanes.clone()].copy_from_slice(&total);
            let slots = weights.kernel;
            self.acc[slots.p85][lanes.clone()].copy_from_slice(&snaps[0]);
            self.acc[slots.p80][lanes.clone()].copy_from_slice(&snaps[1]);
            self.acc[slots.p65][lanes.clone()].copy_from_slice(&snaps[2]);
            self.acc[slots.p60][lanes.clone()].copy_from_slice(&snaps[3]);
            for (j, v) in self.acc[slots.p15_64][lanes.clone()].iter_mut().enumerate() {
                *v = snaps[4][j] - snaps[2][j];
            }
            let mut p02 = [0.0; W];
            for &(a, wa) in &weights.groups_0_2 {
                for j in 0..W {
                    p02[j] += wa * (chunk[a][j] + chunk[g + a][j]);
                }
            }
            self.acc[slots.p0_2][lanes.clone()].copy_from_slice(&p02);
            // Median: the highest multiple of 5 whose suffix still holds
            // half the population (the leading run of marks that do), then
            // at most five groups upward.
            let mut half = [0.0; W];
            for j in 0..W {
                half[j] = 0.5 * total[j];
            }
            let (mut holding, mut run) = ([true; W], [0usize; W]);
            for &(_, k) in &bounds.five_list {
                for j in 0..W {
                    holding[j] &= fives[k][j] >= half[j];
                    run[j] += usize::from(holding[j]);
                }
            }
            for j in 0..W {
                let (a, cum) = match run[j].checked_sub(1) {
                    Some(i) => {
                        let (group, k) = bounds.five_list[i];
                        (group, total[j] - fives[k][j])
                    }
                    None => (0, 0.0),
                };
                let median =
                    median_in_groups(grid, half[j], a, cum, |a| chunk[a][j] + chunk[g + a][j]);
                self.median[t0 + j] = median;
            }
        }
        if double {
            // Chunks left to the general step take their start with them.
            for (c, _) in fast.iter().enumerate().filter(|(_, &f)| !f) {
                let rows_of_chunk = c * 2 * g..(c + 1) * 2 * g;
                self.next[rows_of_chunk.clone()].copy_from_slice(&self.pop[rows_of_chunk]);
            }
            std::mem::swap(&mut self.pop, &mut self.next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::indicators::Weights;
    use crate::ensemble::step::step_inputs;
    use crate::ensemble::ENSEMBLE_INDICATORS;

    /// The fused pass where it is chosen and the general clamping step give
    /// the same populations, flows and indicators, under migration noise
    /// large enough that some chunks clamp and others do not.
    #[test]
    pub(super) fn fused_and_general_steps_agree() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let model = crate::io::model_file::load(&root.join("models/jiaxing.toml")).unwrap();
        let plan = model.scenario("plan").unwrap();
        let grid = model.base.grid();
        let steps = step_inputs(&plan.assumptions, model.base_year, model.base_year + 6).unwrap();
        let w = Weights::new(grid);
        let bounds = Bounds::new(grid);
        let count = 64;
        let mut mixed = Lanes::new(&model.base, count);
        mixed.mort_factor = Some(vec![1.0; 2 * mixed.n]);
        let chunks = mixed.n / LANE_CHUNK;
        let k = ENSEMBLE_INDICATORS.len();
        let (mut out_a, mut out_b) = (vec![0.0; k * count], vec![0.0; k * count]);
        mixed.indicators(grid, &w, None, &mut out_a, &vec![false; chunks]);
        let mut general = mixed.clone();
        let mut clamped = 0;
        for (y, input) in steps.iter().enumerate() {
            for lanes in [&mut mixed, &mut general] {
                for t in 0..lanes.n {
                    // Chunks alternate between mild and extreme emigration.
                    let scale = if (t / LANE_CHUNK) % 2 == 0 { 1e3 } else { 4e6 };
                    lanes.mig_delta[t] = -scale * (1.0 + (t % 5) as f64) * (1 + y) as f64;
                    lanes.tfr_factor[t] = 0.8 + 0.05 * (t % 7) as f64;
                    let n = lanes.n;
                    if let Some(f) = lanes.mort_factor.as_mut() {
                        f[t] = 0.7 + 0.1 * (t % 6) as f64;
                        f[n + t] = 0.75 + 0.1 * (t % 4) as f64;
                    }
                }
                lanes.prev_total.copy_from_slice(&lanes.acc[TOTAL]);
            }
            let fast: Vec<bool> = (0..chunks)
                .map(|c| mixed.chunk_never_negative(c, input, 1.0))
                .collect();
            clamped += fast.iter().filter(|f| !**f).count();
            // The cheap check is sufficient: never true where the exact
            // one is false, and true on some mild chunk.
            let cheap: Vec<bool> = (0..chunks)
                .map(|c| mixed.chunk_clearly_never_negative(c, input, 1.0))
                .collect();
            assert!(cheap.iter().zip(&fast).all(|(c, f)| !c || *f), "step {y}");
            assert!(
                cheap.iter().any(|c| *c),
                "step {y}: the cheap check never holds"
            );
            assert!(
                fast.iter().any(|f| *f),
                "step {y}: no chunk takes the fused pass"
            );
            // The fused pass finds the same chunks as the exact check.
            let mut found = vec![true; chunks];
            mixed.step_fast(grid, input, &bounds, &w, &mut found, true);
            assert_eq!(found, fast, "step {y}");
            mixed.step_general(input, 1.0, &fast);
            mixed.indicators(grid, &w, Some(&input.rates), &mut out_a, &fast);
            let none = vec![false; chunks];
            general.step_general(input, 1.0, &none);
            general.indicators(grid, &w, Some(&input.rates), &mut out_b, &none);
            for (i, (a, b)) in out_a.iter().zip(&out_b).enumerate() {
                let tol = 1e-9 * b.abs().max(1e3);
                assert!(
                    (a - b).abs() <= tol || (a.is_nan() && b.is_nan()),
                    "step {y}, {} trajectory {}: {a} vs {b}",
                    ENSEMBLE_INDICATORS[i / count].name(),
                    i % count
                );
            }
            for (ra, rb) in mixed.pop.iter().zip(&general.pop) {
                for j in 0..LANE_CHUNK {
                    assert!(ra[j] >= 0.0);
                    assert!((ra[j] - rb[j]).abs() <= 1e-9 * rb[j].abs().max(1.0));
                }
            }
        }
        assert!(clamped > 0, "no chunk needed clamping");
    }
}
