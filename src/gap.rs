//! Demand against supply, per year and service.
//!
//! `gap = demand − supply` for each demand method of a service with a
//! planned supply: by the plan's own standard (the primary demand) and by
//! need (prevalence x use x staff ratio) alike. Positive is a shortfall,
//! negative a surplus. A year is short when the gap exceeds the
//! [`shortfall_tolerance`] of its supply: half a unit (so it rounds to at
//! least one bed, person or place) or 1% of the planned supply, whichever is
//! larger. Plans state their stocks to two or three significant figures,
//! and a demand that dips a few places above a stock of hundreds is within
//! that rounding, not a shortfall. The first year of shortfall is the first
//! such year.

use ndarray::Array2;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::projection::Projection;
use crate::standards::{DemandMethod, FactorInterval, LinearDemand, Service};

/// The smallest shortfall in units, whatever the supply.
pub const SHORTFALL_THRESHOLD: f64 = 0.5;

/// The smallest shortfall as a share of the planned supply.
pub const SHORTFALL_RELATIVE: f64 = 0.01;

/// The gap above which a year with planned `supply` is short:
/// `max(SHORTFALL_THRESHOLD, SHORTFALL_RELATIVE · supply)`.
pub fn shortfall_tolerance(supply: f64) -> f64 {
    SHORTFALL_THRESHOLD.max(SHORTFALL_RELATIVE * supply)
}

/// Whether `demand` against `supply` is a shortfall (see [`shortfall_tolerance`]).
pub fn is_short(demand: f64, supply: f64) -> bool {
    demand - supply > shortfall_tolerance(supply)
}

/// `demand − supply`, with rounding noise of the subtraction removed: a
/// difference within 1e-9 of the larger operand is exactly 0 (a demand of
/// 2,000 against a supply of 2,000 is no gap, not -9.1e-13).
pub fn gap_between(demand: f64, supply: f64) -> f64 {
    let gap = demand - supply;
    if gap.abs() <= 1e-9 * demand.abs().max(supply.abs()) {
        0.0
    } else {
        gap
    }
}

/// One row of `demand.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandValue {
    /// Year.
    pub year: i32,
    /// Service id.
    pub service: String,
    /// Demand method name.
    pub method: String,
    /// Demand in the service's unit.
    pub demand: f64,
}

/// One row of `gap.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct GapValue {
    /// Year.
    pub year: i32,
    /// Service id.
    pub service: String,
    /// Demand method name (`standard`, `need`, ...).
    pub method: String,
    /// Whether the method is the service's primary demand (its standard).
    pub primary: bool,
    /// Demand in the service's unit.
    pub demand: f64,
    /// Planned supply.
    pub supply: f64,
    /// Demand minus supply (positive: a shortfall).
    pub gap: f64,
}

/// Demand of every service and method in every year of a projection.
/// Services are computed in order, so a `Share` refers to an earlier one.
pub fn demand(services: &[Service], projection: &Projection) -> Result<Vec<DemandValue>> {
    let mut out = Vec::new();
    for (&year, pop) in projection.years.iter().zip(&projection.populations) {
        let mut primary: Vec<(&str, f64)> = Vec::new();
        for s in services {
            for (k, d) in s.demands.iter().enumerate() {
                let lookup = |id: &str| primary.iter().find(|p| p.0 == id).map(|p| p.1);
                let value = d
                    .method
                    .demand(pop, f64::from(year), &lookup)
                    .map_err(|e| e.context(format!("service {} demand {}", s.id, d.name)))?;
                if k == 0 {
                    primary.push((s.id.as_str(), value));
                }
                out.push(DemandValue {
                    year,
                    service: s.id.clone(),
                    method: d.name.clone(),
                    demand: value,
                });
            }
        }
    }
    Ok(out)
}

/// Gaps of every service with a known supply, for each of its demand
/// methods, in the order of `demand`.
pub fn gaps(services: &[Service], demand: &[DemandValue]) -> Vec<GapValue> {
    let mut out = Vec::new();
    for d in demand {
        let Some(service) = services.iter().find(|s| s.id == d.service) else {
            continue;
        };
        let primary = service.demands.first().map(|m| m.name.as_str()) == Some(d.method.as_str());
        if let Some(supply) = service
            .supply
            .as_ref()
            .and_then(|s| s.at(f64::from(d.year)))
        {
            out.push(GapValue {
                year: d.year,
                service: d.service.clone(),
                method: d.method.clone(),
                primary,
                demand: d.demand,
                supply,
                gap: gap_between(d.demand, supply),
            });
        }
    }
    out
}

impl GapValue {
    /// Whether this year is short (gap above [`shortfall_tolerance`]).
    pub fn is_shortfall(&self) -> bool {
        is_short(self.demand, self.supply)
    }
}

/// The first year in which `service` is short by demand `method`, if any.
pub fn first_shortfall(gaps: &[GapValue], service: &str, method: &str) -> Option<i32> {
    gaps.iter()
        .filter(|g| g.service == service && g.method == method && g.is_shortfall())
        .map(|g| g.year)
        .min()
}

/// One demand method of one service over a run of years, as a linear
/// function of the population (see [`LinearDemand`]), with what the
/// ensemble needs to draw its uncertainty and measure its gap.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandForm {
    /// Service id.
    pub service: String,
    /// Demand method name (`standard`, `need`, ...).
    pub method: String,
    /// Whether this is the service's primary demand (gaps are measured on it).
    pub primary: bool,
    /// Weights by sex and group (rows male, female); `None`: a fixed count.
    pub basis: Option<Array2<f64>>,
    /// Per year: `scale · Σ basis ⊙ counts + constant`.
    pub scale: Vec<f64>,
    /// Per year: the constant term.
    pub constant: Vec<f64>,
    /// The standard's own uncertainty (use rate, staff ratio, ...).
    pub uncertainty: Option<FactorInterval>,
    /// The uncertainty of the prevalence table a need demand reads: one
    /// draw per trajectory for every demand that reads the same table.
    pub table: Option<TableFactor>,
    /// For a share: the index of the parent's primary form, whose drawn
    /// factor applies too.
    pub parent: Option<usize>,
    /// Per year, the planned supply (every demand of a service with a
    /// known supply).
    pub supply: Option<Vec<f64>>,
    /// Whether that supply arrives as planned (the service's risk).
    pub supply_risk: Option<crate::plan::SupplyRisk>,
}

/// An uncertain table shared between demands: its name and the 90%
/// interval of its factor.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFactor {
    /// The table (its file).
    pub table: String,
    /// 90% interval of the factor on the whole table.
    pub interval: FactorInterval,
}

/// Every demand of `services` in `years` in linear form, in the order of
/// [`demand`]; on population `p` of year `y` each gives the same demand
/// as [`demand`] does.
pub fn demand_forms(services: &[Service], grid: AgeGrid, years: &[i32]) -> Result<Vec<DemandForm>> {
    let mut forms: Vec<DemandForm> = Vec::new();
    // Primary forms so far, by service id: (index in `forms`, per year).
    let mut primary: Vec<(String, usize, Vec<LinearDemand>)> = Vec::new();
    for s in services {
        for (k, d) in s.demands.iter().enumerate() {
            let context = |e: Error| e.context(format!("service {} demand {}", s.id, d.name));
            let mut per_year = Vec::with_capacity(years.len());
            for (y, &year) in years.iter().enumerate() {
                let lookup = |id: &str| primary.iter().find(|p| p.0 == id).map(|p| p.2[y].clone());
                per_year.push(
                    d.method
                        .linear(grid, f64::from(year), &lookup)
                        .map_err(context)?,
                );
            }
            let parent = match &d.method {
                DemandMethod::Share { of, .. } => primary.iter().find(|p| &p.0 == of).map(|p| p.1),
                _ => None,
            };
            let supply = match &s.supply {
                Some(supply) => years
                    .iter()
                    .map(|&y| supply.at(f64::from(y)))
                    .collect::<Option<Vec<f64>>>(),
                _ => None,
            };
            let form = DemandForm {
                service: s.id.clone(),
                method: d.name.clone(),
                primary: k == 0,
                basis: per_year.first().and_then(|l| l.basis.clone()),
                scale: per_year.iter().map(|l| l.scale).collect(),
                constant: per_year.iter().map(|l| l.constant).collect(),
                uncertainty: d.uncertainty,
                table: match &d.method {
                    DemandMethod::Need { prevalence, .. } => {
                        prevalence.uncertainty.map(|interval| TableFactor {
                            table: prevalence.table.clone(),
                            interval,
                        })
                    }
                    _ => None,
                },
                parent,
                supply_risk: supply.as_ref().and(s.supply_risk),
                supply,
            };
            if k == 0 {
                primary.push((s.id.clone(), forms.len(), per_year));
            }
            forms.push(form);
        }
    }
    Ok(forms)
}
