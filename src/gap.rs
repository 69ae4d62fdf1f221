//! Demand against supply, per year and service.
//!
//! `gap = demand − supply` with the service's primary demand: positive is a
//! shortfall, negative a surplus. A year is short when the gap exceeds
//! [`SHORTFALL_THRESHOLD`] (half a unit: it rounds to at least one bed,
//! person or place); the first year of shortfall is the first such year.

use crate::error::Result;
use crate::projection::Projection;
use crate::standards::Service;

/// A gap above this many units is a shortfall.
pub const SHORTFALL_THRESHOLD: f64 = 0.5;

/// One row of `demand.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandValue {
    pub year: i32,
    pub service: String,
    pub method: String,
    pub demand: f64,
}

/// One row of `gap.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct GapValue {
    pub year: i32,
    pub service: String,
    pub demand: f64,
    pub supply: f64,
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

/// Gaps of every service with a known supply, from its primary demand.
pub fn gaps(services: &[Service], demand: &[DemandValue]) -> Vec<GapValue> {
    let mut out = Vec::new();
    for d in demand {
        let Some(service) = services.iter().find(|s| s.id == d.service) else {
            continue;
        };
        if service.demands.first().map(|m| m.name.as_str()) != Some(d.method.as_str()) {
            continue;
        }
        if let Some(supply) = service
            .supply
            .as_ref()
            .and_then(|s| s.at(f64::from(d.year)))
        {
            out.push(GapValue {
                year: d.year,
                service: d.service.clone(),
                demand: d.demand,
                supply,
                gap: d.demand - supply,
            });
        }
    }
    out
}

impl GapValue {
    /// Whether this year is short (gap above [`SHORTFALL_THRESHOLD`]).
    pub fn is_shortfall(&self) -> bool {
        self.gap > SHORTFALL_THRESHOLD
    }
}

/// The first year in which `service` is short, if any.
pub fn first_shortfall(gaps: &[GapValue], service: &str) -> Option<i32> {
    gaps.iter()
        .filter(|g| g.service == service && g.is_shortfall())
        .map(|g| g.year)
        .min()
}
