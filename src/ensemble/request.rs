//! An ensemble request: raw parameters ([`EnsembleSpec`]) become a checked
//! [`EnsembleRequest`] before any computation sees them.
//!
//! Every caller (`carecast simulate`, `sweep`, `report`, the benches and
//! the tests) builds its run the same way: [`EnsembleRequest::for_model`]
//! from a model, a scenario's assumptions and the services to size, or
//! [`EnsembleRequest::new`] from a base population and demand forms. Once
//! built, the request is known to be runnable: at least one trajectory,
//! noise parameters in range, a horizon of whole steps on the assumptions'
//! grid, and demand forms for exactly its years and grid.

use crate::error::{Error, Result};
use crate::gap::{demand_forms, DemandForm};
use crate::model::{BaseUncertainty, Model};
use crate::population::Population;
use crate::projection::Assumptions;
use crate::regions::{InternalFlow, Region, RegionSpec};
use crate::standards::Service;

use super::calibration::Calibration;
use super::noise::Stochastic;
use super::summary::EnsembleSummary;

/// The raw parameters of an ensemble, as a command line or a sweep point
/// gives them; [`EnsembleSpec::check`] (and every [`EnsembleRequest`]
/// constructor) validates them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleSpec {
    /// Trajectories to run, at least 1.
    pub trajectories: usize,
    /// Random seed: the same seed gives the same result on any number of
    /// threads.
    pub seed: u64,
    /// Which assumptions are uncertain, and how.
    pub stochastic: Stochastic,
    /// Whole trajectories to keep (the first ones), for plots.
    pub keep: usize,
}

impl EnsembleSpec {
    /// Checks the parameters: at least one trajectory, noise parameters in
    /// range.
    pub fn check(&self) -> Result<()> {
        if self.trajectories == 0 {
            return Err(Error::invalid("trajectories", 0, "at least 1"));
        }
        self.stochastic.check()
    }
}

/// A checked ensemble run: a base population and its year, the end year,
/// a scenario's assumptions, the demands to size and the ensemble's
/// parameters, all known to fit together. [`EnsembleRequest::run`] runs it.
#[derive(Debug, Clone)]
pub struct EnsembleRequest<'a> {
    pub(super) base: &'a Population,
    pub(super) base_year: i32,
    pub(super) end_year: i32,
    pub(super) assumptions: &'a Assumptions,
    pub(super) spec: EnsembleSpec,
    pub(super) demands: Vec<DemandForm>,
    pub(super) years: Vec<i32>,
    pub(super) base_uncertainty: BaseUncertainty,
    pub(super) calibration: Option<Calibration>,
    pub(super) alpha: f64,
    /// Per year of `years`: whether it is summarised.
    pub(super) summarised: Vec<bool>,
    /// The regions the population is the sum of (empty: one population,
    /// `base`); `demands` are then the parent's.
    pub(super) regions: Vec<RegionRequest>,
    /// Migration between the regions.
    pub(super) flows: Vec<InternalFlow>,
}

/// One region of a request: its base and assumptions, its share of the
/// migration from outside the parent, and its own demands.
#[derive(Debug, Clone)]
pub(super) struct RegionRequest {
    pub(super) region: Region,
    pub(super) migration_share: f64,
    pub(super) demands: Vec<DemandForm>,
}

/// The default risk level of the robust build schedule: P(shortfall) at
/// most 10% in every year.
pub const DEFAULT_ALPHA: f64 = 0.10;

/// Checks a risk level α in (0, 1).
pub fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "alpha (risk level)",
            alpha,
            "a probability in (0, 1), e.g. 0.10",
        ))
    }
}

impl<'a> EnsembleRequest<'a> {
    /// A request from `base` at `base_year` to `end_year` under
    /// `assumptions`, summarising `demands` (forms for every year of the
    /// horizon, see [`demand_forms`]).
    pub fn new(
        base: &'a Population,
        base_year: i32,
        end_year: i32,
        assumptions: &'a Assumptions,
        spec: EnsembleSpec,
        demands: Vec<DemandForm>,
    ) -> Result<EnsembleRequest<'a>> {
        spec.check()?;
        let grid = base.grid();
        let n = grid.width() as i32;
        if base.grid() != assumptions.grid()
            || end_year < base_year
            || (end_year - base_year) % n != 0
        {
            return Err(Error::invalid(
                "ensemble horizon",
                format!("{base_year} to {end_year} on {grid}"),
                "a whole number of steps on the assumptions' grid",
            ));
        }
        let years: Vec<i32> = (base_year..=end_year).step_by(n as usize).collect();
        for d in &demands {
            let shape_ok = d.basis.as_ref().is_none_or(|b| b.dim() == (2, grid.len()));
            let years_ok = d.scale.len() == years.len()
                && d.constant.len() == years.len()
                && d.supply.as_ref().is_none_or(|s| s.len() == years.len());
            if !shape_ok || !years_ok || d.parent.is_some_and(|p| p >= demands.len()) {
                return Err(Error::invalid(
                    format!("demand {} {}", d.service, d.method),
                    "a form for other years or another grid",
                    format!("a form for {base_year} to {end_year} on {grid}"),
                ));
            }
            if let Some(u) = d.uncertainty {
                u.check()?;
            }
            if let Some(r) = d.supply_risk {
                r.check()
                    .map_err(|e| e.context(format!("service {} supply", d.service)))?;
            }
        }
        Ok(EnsembleRequest {
            base,
            base_year,
            end_year,
            assumptions,
            spec,
            demands,
            base_uncertainty: BaseUncertainty::default(),
            calibration: None,
            alpha: DEFAULT_ALPHA,
            summarised: vec![true; years.len()],
            years,
            regions: Vec::new(),
            flows: Vec::new(),
        })
    }

    /// The request for a population that is the sum of `regions` (each
    /// under this request's assumptions as its spec departs from them,
    /// sizing its own services), with `flows` between them; the request's
    /// demands are then the parent's, sized on the sum. Sources drawn once
    /// per trajectory for every region (city-wide): fertility, mortality
    /// and migration noise (a region takes its migration share of the
    /// deviation), the base's intervals, and every prevalence table.
    /// Drawn per region: each demand's own interval (use rate, staff
    /// ratio) and each service's supply risk.
    pub fn with_regions(
        mut self,
        regions: &[RegionSpec],
        flows: &[InternalFlow],
    ) -> Result<EnsembleRequest<'a>> {
        let grid = self.base.grid();
        let mut out = Vec::with_capacity(regions.len());
        for spec in regions {
            let at = |e: Error| e.context(format!("region {}", spec.name));
            let region = spec.region(self.assumptions).map_err(at)?;
            if region.base.grid() != grid {
                return Err(at(Error::invalid(
                    "base",
                    format!("a base on {}", region.base.grid()),
                    format!("the model's grid ({grid})"),
                )));
            }
            let demands = demand_forms(&spec.services, grid, &self.years).map_err(at)?;
            out.push(RegionRequest {
                region,
                migration_share: spec.migration_share,
                demands,
            });
        }
        for f in flows {
            f.check(regions.len(), grid)?;
        }
        self.regions = out;
        self.flows = flows.to_vec();
        Ok(self)
    }

    /// The request with fertility and mortality noise calibrated to
    /// published bounds (see [`super::calibration`]); it replaces the
    /// spec's TFR and mortality noise.
    pub fn with_calibration(mut self, calibration: Calibration) -> Result<EnsembleRequest<'a>> {
        calibration.check()?;
        self.calibration = Some(calibration);
        Ok(self)
    }

    /// The request with risk level `alpha` in (0, 1) (default
    /// [`DEFAULT_ALPHA`]): every gap risk then reports the capacity that
    /// meets demand with probability 1 − α, the basis of the robust build
    /// schedule ([`crate::plan::robust_schedule`]).
    pub fn with_alpha(mut self, alpha: f64) -> Result<EnsembleRequest<'a>> {
        check_alpha(alpha)?;
        self.alpha = alpha;
        Ok(self)
    }

    /// The request summarising only `years` (each a year of the horizon):
    /// the other years are still projected, and counted in the shortfall
    /// probabilities and first-shortfall years, but their indicators,
    /// demands and gaps are not summarised (`get` gives `None`, and they
    /// have no gap risk). Summaries of the years kept are unchanged; a
    /// sweep, which reports a few years, saves most of its per-point cost.
    pub fn with_summary_years(mut self, years: &[i32]) -> Result<EnsembleRequest<'a>> {
        if let Some(&y) = years.iter().find(|y| !self.years.contains(y)) {
            return Err(Error::invalid(
                "ensemble summary years",
                y,
                format!(
                    "a year of the horizon, {} to {} in steps of {}",
                    self.base_year,
                    self.end_year,
                    self.base.grid().width()
                ),
            ));
        }
        self.summarised = self.years.iter().map(|y| years.contains(y)).collect();
        Ok(self)
    }

    /// The same request under other stochastic assumptions (the drivers'
    /// one-source-at-a-time runs); checked like a new one.
    pub fn with_stochastic(&self, stochastic: Stochastic) -> Result<EnsembleRequest<'a>> {
        let spec = EnsembleSpec {
            stochastic,
            ..self.spec
        };
        spec.check()?;
        Ok(EnsembleRequest {
            spec,
            ..self.clone()
        })
    }

    /// The request with an uncertain base: each trajectory starts from the
    /// base times its draws of `uncertainty` (unless the spec's
    /// `certain_base`).
    pub fn with_base_uncertainty(
        mut self,
        uncertainty: BaseUncertainty,
    ) -> Result<EnsembleRequest<'a>> {
        uncertainty.check()?;
        self.base_uncertainty = uncertainty;
        Ok(self)
    }

    /// A request for `model`'s base and horizon under `assumptions` (a
    /// scenario's, or a sweep point's), sizing `services` (the model's, or
    /// a sweep point's variant of them).
    pub fn for_model(
        model: &'a Model,
        assumptions: &'a Assumptions,
        services: &[Service],
        spec: EnsembleSpec,
    ) -> Result<EnsembleRequest<'a>> {
        spec.check()?;
        let forms = demand_forms(services, model.base.grid(), &model.years())
            .map_err(|e| e.context("service demands"))?;
        let request = EnsembleRequest::new(
            &model.base,
            model.base_year,
            model.end_year,
            assumptions,
            spec,
            forms,
        )?
        .with_base_uncertainty(model.base_uncertainty.clone())?
        .with_regions(&model.regions, &model.flows)?;
        match &model.calibration {
            Some((_, c)) if !spec.stochastic.own_noise => request.with_calibration(c.clone()),
            _ => Ok(request),
        }
    }

    /// The years summarised: the base year, then one per step.
    pub fn years(&self) -> &[i32] {
        &self.years
    }

    /// The demand forms summarised, in column order.
    pub fn demands(&self) -> &[DemandForm] {
        &self.demands
    }

    /// The parent's demands, then every region's.
    pub(super) fn all_demands(&self) -> impl Iterator<Item = &DemandForm> {
        self.demands
            .iter()
            .chain(self.regions.iter().flat_map(|r| &r.demands))
    }

    /// The names of the request's regions (none without regions).
    pub fn region_names(&self) -> Vec<&str> {
        self.regions
            .iter()
            .map(|r| r.region.name.as_str())
            .collect()
    }

    /// The ensemble's parameters.
    pub fn spec(&self) -> &EnsembleSpec {
        &self.spec
    }

    /// Runs the ensemble; `progress(done)` is called as blocks finish.
    pub fn run(&self, progress: &(dyn Fn(usize) + Sync)) -> Result<EnsembleSummary> {
        super::run::run(self, progress)
    }
}
