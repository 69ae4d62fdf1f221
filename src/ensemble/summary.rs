//! What an ensemble returns: quantiles and means per (year, column), gap
//! risks, first-shortfall distributions and kept trajectories.

use crate::indicators::Indicator;

/// Quantiles and mean of one indicator in one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// 2.5th percentile (lower bound of the 95% interval).
    pub p025: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 10th percentile (lower bound of the 80% interval).
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 97.5th percentile.
    pub p975: f64,
    /// Mean over the trajectories.
    pub mean: f64,
    /// Standard deviation over the trajectories (population form; values
    /// inside the histogram's range counted at their bin's centre).
    pub sd: f64,
    /// Smallest value (exact).
    pub min: f64,
    /// Largest value (exact).
    pub max: f64,
}

/// A demand the ensemble summarised: service and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandLabel {
    /// Service id.
    pub service: String,
    /// Demand method label (e.g. `ratio`, `need`).
    pub method: String,
    /// Whether it is the service's primary demand (the one gaps are taken against).
    pub primary: bool,
}

/// The risk of a shortfall of one service in one year. Shortfalls are
/// signed (`demand − supply`, negative: a surplus).
#[derive(Debug, Clone, PartialEq)]
pub struct GapRisk {
    /// Service id.
    pub service: String,
    /// Demand method name (`standard`, `need`, ...).
    pub method: String,
    /// Whether the method is the service's primary demand (its standard).
    pub primary: bool,
    /// Year.
    pub year: i32,
    /// Planned supply in that year.
    pub supply: f64,
    /// Share of trajectories whose gap exceeds [`crate::gap::shortfall_tolerance`].
    pub p_shortfall: f64,
    /// Median demand minus supply.
    pub shortfall_p50: f64,
    /// 90th percentile of demand minus supply.
    pub shortfall_p90: f64,
    /// Standard deviation of demand minus supply over the trajectories.
    pub shortfall_sd: f64,
    /// Capacity that meets demand in 90% of trajectories (demand's p90).
    pub capacity_needed_p90: f64,
    /// The risk level of the request (see
    /// [`crate::ensemble::EnsembleRequest::with_alpha`]).
    pub alpha: f64,
    /// Capacity that meets demand with probability 1 − α (demand's
    /// quantile at 1 − α): what must be in service for P(shortfall) <= α.
    pub capacity_needed: f64,
}

/// When a service first falls short, over the trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstShortfall {
    /// Service id.
    pub service: String,
    /// Demand method name.
    pub method: String,
    /// Whether the method is the service's primary demand.
    pub primary: bool,
    /// `(year, share of trajectories first short in that year)`.
    pub by_year: Vec<(i32, f64)>,
    /// Share of trajectories never short within the horizon.
    pub never: f64,
}

/// The ensemble's summaries: `get(year, indicator)`, `demand(year, i)`,
/// gap risks and first-shortfall distributions.
#[derive(Debug, Clone)]
pub struct EnsembleSummary {
    /// Years summarised: the base year, then one per step.
    pub years: Vec<i32>,
    /// Indicators summarised, in column order.
    pub indicators: Vec<Indicator>,
    /// Demands summarised, in column order (after the indicators).
    pub demands: Vec<DemandLabel>,
    /// Services whose realised supply is summarised, in column order (after
    /// the demands); gaps follow, one per risk.
    pub supplies: Vec<String>,
    /// Value columns per year: indicators, demands, supplies and gaps.
    pub columns: usize,
    /// Trajectories run.
    pub trajectories: usize,
    /// The risk level of the request (see
    /// [`crate::ensemble::EnsembleRequest::with_alpha`]).
    pub alpha: f64,
    /// (year index, column) -> summary, columns the indicators, the
    /// demands, the supplies, then the gaps; `None` where there is no value
    /// (flows in the base year).
    pub(super) summaries: Vec<Option<Summary>>,
    /// Gap risks per demand of a service with a supply, and year.
    pub risks: Vec<GapRisk>,
    /// First-shortfall distributions, per demand of a service with a supply.
    pub first_shortfalls: Vec<FirstShortfall>,
    /// The kept trajectories: `(trajectory, values)` with values
    /// `[year · columns + column]`, columns as in the summaries.
    pub kept: Vec<(usize, Vec<f64>)>,
    /// A request with regions: each region's own summary (its indicators,
    /// its own services), by name, in the model's order; this summary is
    /// then the parent's (the sum of the regions). Empty without regions.
    pub regions: Vec<(String, EnsembleSummary)>,
}

impl EnsembleSummary {
    fn column(&self, year: i32, column: usize) -> Option<Summary> {
        let y = self.years.iter().position(|&v| v == year)?;
        self.summaries[y * self.columns + column]
    }

    /// The summary of the realised supply of `service` in `year` (the
    /// plan's path as delivered and staffed in each trajectory).
    pub fn supply(&self, year: i32, service: &str) -> Option<Summary> {
        let s = self.supplies.iter().position(|v| v == service)?;
        self.column(year, self.indicators.len() + self.demands.len() + s)
    }

    /// The summary of `indicator` in `year`.
    pub fn get(&self, year: i32, indicator: Indicator) -> Option<Summary> {
        let k = self.indicators.iter().position(|&i| i == indicator)?;
        self.column(year, k)
    }

    /// The summary of demand `index` (of [`EnsembleSummary::demands`]) in `year`.
    pub fn demand(&self, year: i32, index: usize) -> Option<Summary> {
        if index >= self.demands.len() {
            return None;
        }
        self.column(year, self.indicators.len() + index)
    }

    /// The gap risk of `service` in `year` by its primary demand (the
    /// plan's standard).
    pub fn risk(&self, service: &str, year: i32) -> Option<&GapRisk> {
        self.risks
            .iter()
            .find(|r| r.service == service && r.primary && r.year == year)
    }

    /// The gap risk of `service` in `year` by demand `method`.
    pub fn risk_by(&self, service: &str, method: &str, year: i32) -> Option<&GapRisk> {
        self.risks
            .iter()
            .find(|r| r.service == service && r.method == method && r.year == year)
    }
}

impl EnsembleSummary {
    /// The robust build schedule of `service` by demand `method`: the
    /// smallest non-decreasing stock path with P(shortfall) <= α (the
    /// request's) in every year, against the plan's supply (see
    /// [`crate::plan::robust_schedule`]); empty when the demand has no
    /// supply.
    pub fn robust_schedule(
        &self,
        service: &str,
        method: &str,
        max_build_per_year: Option<f64>,
    ) -> Vec<crate::plan::RobustStep> {
        let risks: Vec<&GapRisk> = self
            .risks
            .iter()
            .filter(|r| r.service == service && r.method == method)
            .collect();
        let years: Vec<i32> = risks.iter().map(|r| r.year).collect();
        let required: Vec<f64> = risks.iter().map(|r| r.capacity_needed).collect();
        let planned: Vec<f64> = risks.iter().map(|r| r.supply).collect();
        crate::plan::robust_schedule(&years, &required, &planned, max_build_per_year)
    }

    /// Every robust schedule, one per demand with a supply (in the order of
    /// [`EnsembleSummary::first_shortfalls`]): `(service, method, steps)`,
    /// within each service's `max_build_per_year` (from `services`).
    pub fn robust_schedules(
        &self,
        services: &[crate::standards::Service],
    ) -> Vec<(&str, &str, Vec<crate::plan::RobustStep>)> {
        self.first_shortfalls
            .iter()
            .map(|fs| {
                let limit = services
                    .iter()
                    .find(|s| s.id == fs.service)
                    .and_then(|s| s.max_build_per_year);
                let steps = self.robust_schedule(&fs.service, &fs.method, limit);
                (fs.service.as_str(), fs.method.as_str(), steps)
            })
            .collect()
    }
}
