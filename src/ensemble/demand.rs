//! Service demand per trajectory: each demand is a linear function of the
//! population (see [`crate::gap::demand_forms`]), times the trajectory's
//! draws of the demand's uncertainty factors: its prevalence table's
//! (one draw per table, shared by every demand that reads it), its own
//! (use rate, staff ratio) and, for a share, its parent's.

use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::gap::DemandForm;

use super::lanes::Lanes;
use super::LANE_CHUNK;

/// Demands in the form the kernels use: distinct bases (rows `s·g + a`)
/// and, per demand, its basis, per-year scale and constant.
pub(super) struct DemandInputs<'a> {
    pub(super) bases: Vec<Vec<f64>>,
    pub(super) basis_of: Vec<Option<usize>>,
    /// Per basis, the rows from its first to its last non-zero weight.
    rows: Vec<std::ops::Range<usize>>,
    pub(super) forms: &'a [DemandForm],
    /// Distinct uncertain tables, and per demand the index of its table.
    tables: Vec<crate::standards::FactorInterval>,
    table_of: Vec<Option<usize>>,
}

impl<'a> DemandInputs<'a> {
    pub(super) fn new(forms: &'a [DemandForm]) -> DemandInputs<'a> {
        let mut bases: Vec<Vec<f64>> = Vec::new();
        let basis_of = forms
            .iter()
            .map(|f| {
                let b: Vec<f64> = f.basis.as_ref()?.iter().copied().collect();
                Some(bases.iter().position(|x| *x == b).unwrap_or_else(|| {
                    bases.push(b);
                    bases.len() - 1
                }))
            })
            .collect();
        let mut names: Vec<&str> = Vec::new();
        let mut tables = Vec::new();
        let table_of = forms
            .iter()
            .map(|f| {
                let t = f.table.as_ref()?;
                Some(names.iter().position(|n| *n == t.table).unwrap_or_else(|| {
                    names.push(&t.table);
                    tables.push(t.interval);
                    tables.len() - 1
                }))
            })
            .collect();
        let rows = bases
            .iter()
            .map(|b| {
                let first = b.iter().position(|&w| w != 0.0).unwrap_or(0);
                let last = b.iter().rposition(|&w| w != 0.0).map_or(first, |l| l + 1);
                first..last
            })
            .collect();
        DemandInputs {
            rows,
            bases,
            basis_of,
            forms,
            tables,
            table_of,
        }
    }

    /// Normal draws per trajectory: one per uncertain table, one per
    /// demand with its own interval.
    fn draws_per_trajectory(&self) -> usize {
        self.tables.len()
            + self
                .forms
                .iter()
                .filter(|f| f.uncertainty.is_some())
                .count()
    }

    /// Draws each trajectory's factors (per trajectory: each uncertain
    /// table in order of first use, then each uncertain demand in order);
    /// a demand's factor is its own times its table's, a share's times its
    /// parent's: `[f·count + t]`. All 1 when `certain`; the draws are made
    /// all the same, so the demographic draws after them do not depend on
    /// whether need is certain (common random numbers for the drivers).
    pub(super) fn factors(
        &self,
        count: usize,
        certain: bool,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Vec<f64> {
        let nf = self.forms.len();
        let mut factors = vec![1.0; nf * count];
        if certain {
            for _ in 0..count * self.draws_per_trajectory() {
                let _: f64 = StandardNormal.sample(rng);
            }
            return factors;
        }
        let mut table_factors = vec![1.0; self.tables.len()];
        for t in 0..count {
            for (factor, interval) in table_factors.iter_mut().zip(&self.tables) {
                let z: f64 = StandardNormal.sample(rng);
                *factor = interval.factor(z);
            }
            for (f, form) in self.forms.iter().enumerate() {
                if let Some(k) = self.table_of[f] {
                    factors[f * count + t] = table_factors[k];
                }
                if let Some(u) = form.uncertainty {
                    let z: f64 = StandardNormal.sample(rng);
                    factors[f * count + t] *= u.factor(z);
                }
            }
        }
        for (f, form) in self.forms.iter().enumerate() {
            if let Some(p) = form.parent {
                for t in 0..count {
                    factors[f * count + t] *= factors[p * count + t];
                }
            }
        }
        factors
    }

    /// Writes every demand of year `y` for the block's real trajectories
    /// into `out[f·real + t]`.
    /// `values` is scratch space (resized to bases x lanes).
    #[inline(always)]
    pub(super) fn emit(
        &self,
        lanes: &Lanes,
        y: usize,
        factors: &[f64],
        values: &mut Vec<f64>,
        out: &mut [f64],
    ) {
        const W: usize = LANE_CHUNK;
        let (g, m, n) = (lanes.g, lanes.real, lanes.n);
        values.resize(self.bases.len() * n, 0.0);
        // Two chunks at a time (four independent sums in flight), every
        // basis on them while they are in L1; each basis walks only its
        // rows with a weight, in order. A zero weight inside the range adds
        // +0.0 to a sum that is never -0.0, so the sums are the same as
        // skipping it.
        let mut pairs = lanes.pop.chunks_exact(4 * g);
        let mut c = 0;
        for pair in &mut pairs {
            let (a, b) = pair.split_at(2 * g);
            for (k, (basis, rows)) in self.bases.iter().zip(&self.rows).enumerate() {
                let basis = &basis[rows.clone()];
                let (a, b) = (&a[rows.clone()], &b[rows.clone()]);
                let (mut sa, mut sb) = ([0.0; W], [0.0; W]);
                for ((ra, rb), &w) in a.iter().zip(b).zip(basis) {
                    for j in 0..W {
                        sa[j] += w * ra[j];
                        sb[j] += w * rb[j];
                    }
                }
                let out = &mut values[k * n..(k + 1) * n];
                out[c * W..(c + 1) * W].copy_from_slice(&sa);
                out[(c + 1) * W..(c + 2) * W].copy_from_slice(&sb);
            }
            c += 2;
        }
        let rest = pairs.remainder();
        if !rest.is_empty() {
            for (k, (basis, rows)) in self.bases.iter().zip(&self.rows).enumerate() {
                let basis = &basis[rows.clone()];
                let mut sa = [0.0; W];
                for (ra, &w) in rest[rows.clone()].iter().zip(basis) {
                    for j in 0..W {
                        sa[j] += w * ra[j];
                    }
                }
                values[k * n + c * W..k * n + (c + 1) * W].copy_from_slice(&sa);
            }
        }
        for (f, form) in self.forms.iter().enumerate() {
            let (scale, constant) = (form.scale[y], form.constant[y]);
            let (factors, out) = (&factors[f * m..(f + 1) * m], &mut out[f * m..(f + 1) * m]);
            match self.basis_of[f] {
                Some(k) => {
                    for ((o, &x), &term) in out.iter_mut().zip(factors).zip(&values[k * n..]) {
                        *o = x * (scale * term + constant);
                    }
                }
                None => {
                    for (o, &x) in out.iter_mut().zip(factors) {
                        *o = x * (scale * 0.0 + constant);
                    }
                }
            }
        }
    }
}
