//! The step tables: everything about a projection step that is the same
//! for every trajectory, computed once per step before any block runs.

use ndarray::Array2;

use crate::age_grid::AgeGrid;
use crate::error::Result;
use crate::projection::{Assumptions, StepRates};

/// Deterministic per-step inputs, precomputed once.
pub(super) struct StepInputs {
    pub(super) rates: StepRates,
    /// Age-sex shares of migration noise (sum 1).
    pub(super) noise_shares: Array2<f64>,
    /// Per sex and group (row `s·g + a`): half the migrants, half the noise
    /// share, survival, fertility rate (women).
    pub(super) coef: Vec<(f64, f64, f64, f64)>,
    /// The plain kernel's tables, per sex.
    pub(super) plain: [PlainSex; 2],
    /// Whether no group's migrants are negative (nothing to clamp without
    /// migration noise).
    pub(super) migration_non_negative: bool,
}

impl StepInputs {
    pub(super) fn new(rates: StepRates, noise_shares: Array2<f64>, bounds: &Bounds) -> StepInputs {
        let g = rates.asfr.len();
        let mut coef = Vec::with_capacity(2 * g);
        for s in 0..2 {
            for a in 0..g {
                let f = if s == 1 { rates.asfr[a] } else { 0.0 };
                coef.push((
                    0.5 * rates.migration[[s, a]],
                    0.5 * noise_shares[[s, a]],
                    rates.survival[s].groups[a],
                    f,
                ));
            }
        }
        let plain = [
            PlainSex::new(&coef[..g], bounds),
            PlainSex::new(&coef[g..], bounds),
        ];
        StepInputs {
            migration_non_negative: rates.migration.iter().all(|&m| m >= 0.0),
            rates,
            noise_shares,
            coef,
            plain,
        }
    }
}

/// Group indices of the age bounds the indicators use (all multiples of 5).
pub(super) struct Bounds {
    /// For each group: `Some(lower / 5)` where its lower bound is a multiple of 5.
    pub(super) five: Vec<Option<usize>>,
    /// The groups at multiples of 5 above 0, with their `lower / 5`.
    pub(super) five_list: Vec<(usize, usize)>,
    pub(super) a15: usize,
    pub(super) a60: usize,
    pub(super) a65: usize,
    pub(super) a80: usize,
    pub(super) a85: usize,
    /// [`Bounds::marks`] of every group.
    marks: Vec<(Option<usize>, Option<usize>)>,
}

impl Bounds {
    /// The snapshot slot (85+, 80+, 65+, 60+, 15+, 1+) and the suffix-sum
    /// index taken after group `a` (a table look-up).
    #[inline(always)]
    pub(super) fn marks(&self, a: usize) -> (Option<usize>, Option<usize>) {
        self.marks[a]
    }

    fn find_marks(&self, a: usize) -> (Option<usize>, Option<usize>) {
        let slot = if a == self.a85 {
            Some(0)
        } else if a == self.a80 {
            Some(1)
        } else if a == self.a65 {
            Some(2)
        } else if a == self.a60 {
            Some(3)
        } else if a == self.a15 {
            Some(4)
        } else if a == 1 {
            Some(5)
        } else {
            None
        };
        (slot, self.five[a])
    }

    pub(super) fn new(grid: AgeGrid) -> Bounds {
        let at = |age: u32| grid.group_containing(age);
        let mut bounds = Bounds {
            five: (0..grid.len())
                .map(|a| (grid.lower(a) % 5 == 0).then_some(grid.lower(a) as usize / 5))
                .collect(),
            five_list: (1..grid.len())
                .filter(|&a| grid.lower(a) % 5 == 0)
                .map(|a| (a, grid.lower(a) as usize / 5))
                .collect(),
            a15: at(15),
            a60: at(60),
            a65: at(65),
            a80: at(80),
            a85: at(85),
            marks: Vec::new(),
        };
        bounds.marks = (0..grid.len()).map(|a| bounds.find_marks(a)).collect();
        bounds
    }
}

/// group `lo` taken after it.
pub(super) struct Segment {
    pub(super) hi: usize,
    pub(super) lo: usize,
    pub(super) fert: bool,
    pub(super) slot: Option<usize>,
    pub(super) five: Option<usize>,
}

/// One sex's pass when migration is fixed and mortality is not random: per
/// group one multiply-add per lane, in runs of groups between marks.
pub(super) struct PlainSex {
    /// (h, s) of every group: half the migrants, survival.
    pub(super) top: [(f64, f64); 2],
    pub(super) top_fert: (f64, f64),
    pub(super) top_marks: (Option<usize>, Option<usize>),
    /// Group `a`: survival of `a − 1` and the constant `h(a−1)·s(a−1) + h(a)`.
    pub(super) step: Vec<(f64, f64)>,
    /// Group `a`: `(f(a−1), f(a−1)·h(a−1), f(a))` for births.
    pub(super) fert: Vec<(f64, f64, f64)>,
    pub(super) segments: Vec<Segment>,
}

impl PlainSex {
    pub(super) fn new(coef: &[(f64, f64, f64, f64)], bounds: &Bounds) -> PlainSex {
        let g = coef.len();
        let step: Vec<(f64, f64)> = (0..g)
            .map(|a| {
                if a == 0 {
                    return (0.0, 0.0);
                }
                let (h0, _, s0, _) = coef[a - 1];
                (s0, h0 * s0 + coef[a].0)
            })
            .collect();
        let fert: Vec<(f64, f64, f64)> = (0..g)
            .map(|a| {
                if a == 0 {
                    return (0.0, 0.0, 0.0);
                }
                let (h0, _, _, f0) = coef[a - 1];
                (f0, f0 * h0, coef[a].3)
            })
            .collect();
        let has_fert = |a: usize| fert[a].0 != 0.0 || fert[a].2 != 0.0;
        let mut segments = Vec::new();
        let mut a = g - 2;
        while a >= 1 {
            let hi = a;
            loop {
                let marks = bounds.marks(a);
                if marks != (None, None) || a == 1 || has_fert(a - 1) != has_fert(hi) {
                    segments.push(Segment {
                        hi,
                        lo: a,
                        fert: has_fert(hi),
                        slot: marks.0,
                        five: marks.1,
                    });
                    break;
                }
                a -= 1;
            }
            a -= 1;
        }
        PlainSex {
            top: [
                (coef[g - 2].0, coef[g - 2].2),
                (coef[g - 1].0, coef[g - 1].2),
            ],
            top_fert: (coef[g - 2].3, coef[g - 1].3),
            top_marks: bounds.marks(g - 1),
            step,
            fert,
            segments,
        }
    }
}

/// Whether no migration amount of this step can be negative for any lane
/// (so no count can be clamped and the fused pass is exact).
pub(super) fn no_clamping(input: &StepInputs, delta: &[f64]) -> bool {
    let (lo, hi) = delta
        .iter()
        .fold((0.0f64, 0.0f64), |(l, h), &d| (l.min(d), h.max(d)));
    if lo == 0.0 && hi == 0.0 {
        return input.migration_non_negative;
    }
    let r = &input.rates.migration;
    r.iter()
        .zip(input.noise_shares.iter())
        .all(|(&m, &k)| m + k * lo >= 0.0 && m + k * hi >= 0.0)
}

/// Deterministic step inputs for every step of the horizon.
pub(super) fn step_inputs(
    assumptions: &Assumptions,
    base_year: i32,
    end_year: i32,
) -> Result<Vec<StepInputs>> {
    let grid = assumptions.grid();
    let n = grid.width() as i32;
    let noise_shares = assumptions.migration().noise_shares(grid)?;
    let bounds = Bounds::new(grid);
    let mut out = Vec::new();
    let mut year = base_year;
    while year < end_year {
        out.push(StepInputs::new(
            assumptions.step_rates(year)?,
            noise_shares.clone(),
            &bounds,
        ));
        year += n;
    }
    Ok(out)
}
