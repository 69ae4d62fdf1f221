//! Supply per trajectory: each service with a planned supply has one
//! supply path per trajectory, the plan's path as it arrives under that
//! trajectory's draws of the service's [`SupplyRisk`] (delivery share of
//! the planned additions, staff attrition; see
//! [`crate::plan::realised_supply`]). Every demand method of the service
//! is set against the same path, and the gap `demand − supply` is a value
//! column of its own.
//!
//! The draws come from a stream of their own (the block's stream after a
//! long jump), so turning supply risk on or off leaves every demographic
//! and need draw as it was.

use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::gap::DemandForm;
use crate::plan::{realised_supply_lanes, SupplyRisk};

/// The distinct supplies of the demand forms (one per service with a
/// supply, in order of first use) and the risks set against them.
pub(super) struct SupplyInputs {
    /// Per supply: the service, the planned path per year and its risk.
    pub(super) supplies: Vec<PlannedSupply>,
    /// Per risk (a demand form with a supply): its form and its supply.
    pub(super) risks: Vec<Risk>,
    years: Vec<i32>,
}

/// One service's planned supply.
pub(super) struct PlannedSupply {
    pub(super) service: String,
    pub(super) planned: Vec<f64>,
    risk: Option<SupplyRisk>,
}

/// A demand form set against a supply.
#[derive(Debug, Clone, Copy)]
pub(super) struct Risk {
    /// Index of the demand form.
    pub(super) form: usize,
    /// Index of the supply.
    pub(super) supply: usize,
}

impl SupplyInputs {
    pub(super) fn new(forms: &[DemandForm], years: &[i32]) -> SupplyInputs {
        let mut supplies: Vec<PlannedSupply> = Vec::new();
        let mut risks = Vec::new();
        for (f, form) in forms.iter().enumerate() {
            let Some(planned) = &form.supply else {
                continue;
            };
            let supply = match supplies.iter().position(|s| s.service == form.service) {
                Some(s) => s,
                None => {
                    supplies.push(PlannedSupply {
                        service: form.service.clone(),
                        planned: planned.clone(),
                        risk: form.supply_risk,
                    });
                    supplies.len() - 1
                }
            };
            risks.push(Risk { form: f, supply });
        }
        SupplyInputs {
            supplies,
            risks,
            years: years.to_vec(),
        }
    }

    /// Each trajectory's supply paths, `[(s·years + y)·count + t]`: the
    /// planned path where a supply has no risk or `certain`; otherwise,
    /// per trajectory and uncertain supply in order, a delivery draw (if
    /// it has one) then an attrition draw (if it has one).
    #[inline(always)]
    pub(super) fn paths(
        &self,
        count: usize,
        certain: bool,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Vec<f64> {
        let ny = self.years.len();
        let mut out = vec![0.0; self.supplies.len() * ny * count];
        let ns = self.supplies.len();
        // Draws first, in the order above: per supply, each trajectory's
        // delivery share, attrition rate and planned attrition.
        let (mut delivery, mut attrition, mut planned_attrition) = (
            vec![1.0; ns * count],
            vec![0.0; ns * count],
            vec![0.0; ns * count],
        );
        for t in 0..count {
            for (s, supply) in self.supplies.iter().enumerate() {
                let (Some(risk), false) = (&supply.risk, certain) else {
                    continue;
                };
                if let Some(d) = risk.delivery {
                    let z: f64 = StandardNormal.sample(rng);
                    delivery[s * count + t] = d.share(z);
                }
                if let Some(a) = risk.attrition {
                    let z: f64 = StandardNormal.sample(rng);
                    attrition[s * count + t] = a.rate_at(z);
                    planned_attrition[s * count + t] = a.planned;
                }
            }
        }
        // Then the paths, every trajectory of a supply at once; a
        // trajectory delivered in full without attrition takes the plan's
        // path as it is.
        for (s, supply) in self.supplies.iter().enumerate() {
            let lanes = s * count..(s + 1) * count;
            let (d, a, p) = (
                &delivery[lanes.clone()],
                &attrition[lanes.clone()],
                &planned_attrition[lanes],
            );
            let paths = &mut out[s * ny * count..(s + 1) * ny * count];
            let as_planned = |t: usize| (d[t], a[t], p[t]) == (1.0, 0.0, 0.0);
            if !(0..count).all(as_planned) {
                realised_supply_lanes(&supply.planned, &self.years, d, a, p, paths);
            }
            for t in (0..count).filter(|&t| as_planned(t)) {
                for (y, &v) in supply.planned.iter().enumerate() {
                    paths[y * count + t] = v;
                }
            }
        }
        out
    }

    /// Writes year `y`'s supplies (`out[s·count + t]`) and gaps
    /// (`gaps[r·count + t]`, demand − supply) of the block's trajectories,
    /// from `paths` (see [`SupplyInputs::paths`]) and the year's demands
    /// (`demands[f·count + t]`).
    #[inline(always)]
    pub(super) fn emit(
        &self,
        y: usize,
        count: usize,
        paths: &[f64],
        demands: &[f64],
        out: &mut [f64],
        gaps: &mut [f64],
    ) {
        let ny = self.years.len();
        for s in 0..self.supplies.len() {
            out[s * count..(s + 1) * count]
                .copy_from_slice(&paths[(s * ny + y) * count..][..count]);
        }
        for (r, risk) in self.risks.iter().enumerate() {
            let supply = &paths[(risk.supply * ny + y) * count..][..count];
            let demand = &demands[risk.form * count..][..count];
            for ((g, d), s) in gaps[r * count..(r + 1) * count]
                .iter_mut()
                .zip(demand)
                .zip(supply)
            {
                *g = d - s;
            }
        }
    }
}
