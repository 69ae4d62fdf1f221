//! Scenario sweeps: the cartesian product of named parameters, each point
//! run as an ensemble.
//!
//! A point is identified by its parameter values, not by where it runs:
//! its random seed is derived from the sweep's seed and the point's
//! canonical text (`e0_gain=1;tfr=0.81`), so a point gives the same result
//! in a single run, in any shard of a sharded run, and on any machine.
//! Points are numbered in the order of the product (the last parameter
//! varying fastest); shard `k` of `n` (1-based) runs the points whose
//! number `i` has `i mod n = k − 1`.
//!
//! Parameters ([`Parameter`]):
//!
//! * `model` (text): a model file;
//! * `scenario` (text): one of the model's scenarios;
//! * `tfr`: TFR held at this value over the whole horizon, as the models'
//!   `tfr_*` scenarios do;
//! * `e0_gain`: years of life expectancy added to the scenario's e0 path
//!   (both sexes), phased in linearly from 0 in the base year to the full
//!   gain in the end year (models with Brass mortality);
//! * `migration`: net migrants per year, spread like the scenario's
//!   migrants (Rogers-Castro where it has none);
//! * `standard.<service>`: the target of the service's primary standard
//!   (the last value of its path, in the standard's own unit: 27 for "27
//!   per 10,000 elderly by 2025"); `standard.<region>/<service>` for a
//!   region's own plan in a model of regions;
//! * `tfr_volatility`, `mortality_sd`, `migration_sd`: the ensemble's noise
//!   (see [`crate::ensemble`]).

use crate::ensemble::{
    EnsembleRequest, EnsembleSpec, EnsembleSummary, MigrationNoise, MortalityNoise, Stochastic,
    Summary, ENSEMBLE_INDICATORS,
};
use crate::error::{Error, Result};
use crate::migration::Migration;
use crate::model::{Model, Scenario};
use crate::path::{Schedule, YearPath};
use crate::projection::Assumptions;
use crate::standards::Service;

/// A sweep parameter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Parameter {
    /// `model`: the model file.
    Model,
    /// `scenario`: the model's scenario.
    Scenario,
    /// `tfr`: TFR held at the value over the horizon.
    Tfr,
    /// `e0_gain`: years of e0 added by the end year, phased in linearly.
    E0Gain,
    /// `migration`: net migrants a year.
    Migration,
    /// `standard.<service id>`: the target of the service's primary standard, in its unit.
    Standard(String),
    /// `tfr_volatility`: σ of the TFR noise.
    TfrVolatility,
    /// `mortality_sd`: σ of the mortality noise.
    MortalitySd,
    /// `migration_sd`: σ of the migration noise.
    MigrationSd,
}

/// The parameter names a grid may use, for messages.
pub const PARAMETER_NAMES: &str = "model, scenario, tfr, e0_gain, migration, standard.<service id> (standard.<region>/<service id> for a region's plan), tfr_volatility, mortality_sd, migration_sd";

impl Parameter {
    /// Parses a grid key.
    pub fn parse(name: &str) -> Result<Parameter> {
        Ok(match name {
            "model" => Parameter::Model,
            "scenario" => Parameter::Scenario,
            "tfr" => Parameter::Tfr,
            "e0_gain" => Parameter::E0Gain,
            "migration" => Parameter::Migration,
            "tfr_volatility" => Parameter::TfrVolatility,
            "mortality_sd" => Parameter::MortalitySd,
            "migration_sd" => Parameter::MigrationSd,
            _ => match name.strip_prefix("standard.") {
                Some(id) if !id.is_empty() => Parameter::Standard(id.to_string()),
                _ => {
                    return Err(Error::invalid(
                        "grid parameter",
                        format!("{name:?}"),
                        format!("one of {PARAMETER_NAMES}"),
                    ))
                }
            },
        })
    }

    /// The name as written in grid files and table columns.
    pub fn name(&self) -> String {
        match self {
            Parameter::Model => "model".into(),
            Parameter::Scenario => "scenario".into(),
            Parameter::Tfr => "tfr".into(),
            Parameter::E0Gain => "e0_gain".into(),
            Parameter::Migration => "migration".into(),
            Parameter::Standard(id) => format!("standard.{id}"),
            Parameter::TfrVolatility => "tfr_volatility".into(),
            Parameter::MortalitySd => "mortality_sd".into(),
            Parameter::MigrationSd => "migration_sd".into(),
        }
    }

    /// Whether its values are text (model files, scenario names).
    pub fn is_text(&self) -> bool {
        matches!(self, Parameter::Model | Parameter::Scenario)
    }
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A text (a model file or a scenario name).
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Number(v) => write!(f, "{v}"),
            Value::Text(t) => write!(f, "{t}"),
        }
    }
}

impl Value {
    fn number(&self) -> f64 {
        match self {
            Value::Number(v) => *v,
            Value::Text(_) => f64::NAN,
        }
    }
}

/// One parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The parameter varied.
    pub parameter: Parameter,
    /// Its values, in the grid's order.
    pub values: Vec<Value>,
}

/// The cartesian product of its axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    axes: Vec<Axis>,
}

impl Grid {
    /// Checks: at least one axis, each with at least one value of its
    /// parameter's type, no parameter twice.
    pub fn new(axes: Vec<Axis>) -> Result<Grid> {
        if axes.is_empty() {
            return Err(Error::invalid(
                "grid",
                "no parameters",
                format!("at least one parameter with values ({PARAMETER_NAMES})"),
            ));
        }
        for (i, axis) in axes.iter().enumerate() {
            let name = axis.parameter.name();
            if axis.values.is_empty() {
                return Err(Error::invalid(
                    format!("grid parameter {name}"),
                    "an empty list",
                    "at least one value",
                ));
            }
            if axes[..i].iter().any(|a| a.parameter == axis.parameter) {
                return Err(Error::invalid(
                    format!("grid parameter {name}"),
                    "given twice",
                    "each parameter once",
                ));
            }
            for v in &axis.values {
                let ok = match v {
                    Value::Text(_) => axis.parameter.is_text(),
                    Value::Number(x) => !axis.parameter.is_text() && x.is_finite(),
                };
                if !ok {
                    return Err(Error::invalid(
                        format!("grid parameter {name}"),
                        format!("{v:?}"),
                        if axis.parameter.is_text() {
                            "text values"
                        } else {
                            "finite numbers"
                        },
                    ));
                }
            }
        }
        Ok(Grid { axes })
    }

    /// The axes, in the order of the grid file.
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Whether the grid has no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of point `index` (the last axis varies fastest).
    pub fn point(&self, index: usize) -> Vec<(&Parameter, &Value)> {
        let mut rest = index;
        let mut out: Vec<(&Parameter, &Value)> = self
            .axes
            .iter()
            .rev()
            .map(|a| {
                let v = &a.values[rest % a.values.len()];
                rest /= a.values.len();
                (&a.parameter, v)
            })
            .collect();
        out.reverse();
        out
    }

    /// The value of `parameter` at point `index`, if the grid has it.
    pub fn value_of(&self, index: usize, parameter: &Parameter) -> Option<Value> {
        self.point(index)
            .into_iter()
            .find(|(p, _)| *p == parameter)
            .map(|(_, v)| v.clone())
    }

    /// The point's canonical text: `name=value` joined by `;`.
    pub fn label(&self, index: usize) -> String {
        self.point(index)
            .iter()
            .map(|(p, v)| format!("{}={v}", p.name()))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// A shard: the `k`-th (1-based) of `n` disjoint slices of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 1-based.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::invalid(
                "shard",
                format!("{text:?}"),
                "K/N with whole numbers 1 <= K <= N (e.g. 3/8)",
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// The points of a sweep of `points` that this shard runs.
    pub fn points(&self, points: usize) -> Vec<usize> {
        (self.k - 1..points).step_by(self.n).collect()
    }
}

/// FNV-1a, 64 bits: a hash that is the same on every platform and release.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's finaliser: spreads the bits of `x`.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The seed of the point labelled `label` in a sweep seeded `seed`.
pub fn point_seed(seed: u64, label: &str) -> u64 {
    mix(seed ^ mix(fnv1a(label.as_bytes())))
}

/// What one point runs: a scenario's assumptions and the services, with
/// the point's changes applied, and its noise.
#[derive(Debug, Clone)]
pub struct PointSetup {
    /// The scenario's assumptions with the point's changes.
    pub assumptions: Assumptions,
    /// The services with the point's changes to their standards.
    pub services: Vec<Service>,
    /// A model of regions: its regions, their own plans with the point's
    /// changes (`standard.<region>/<service>`); empty without regions.
    pub regions: Vec<crate::regions::RegionSpec>,
    /// The noise of the point's ensemble.
    pub stochastic: Stochastic,
}

/// Applies the point's numeric parameters to `scenario` of `model` (the
/// `model` and `scenario` parameters choose those and are skipped here).
pub fn apply(
    model: &Model,
    scenario: &Scenario,
    point: &[(&Parameter, &Value)],
    stochastic: Stochastic,
) -> Result<PointSetup> {
    let mut assumptions = scenario.assumptions.clone();
    let mut services = model.services.clone();
    let mut regions = model.regions.clone();
    let mut stochastic = stochastic;
    let (from, to) = (f64::from(model.base_year), f64::from(model.end_year));
    for &(parameter, value) in point {
        let v = value.number();
        let context = |e: Error| e.context(format!("grid parameter {}", parameter.name()));
        match parameter {
            Parameter::Model | Parameter::Scenario => {}
            Parameter::Tfr => {
                let f = assumptions
                    .fertility()
                    .with_tfr(Schedule::Path(YearPath::constant(v)))
                    .map_err(context)?;
                assumptions = assumptions.with_fertility(f)?;
            }
            Parameter::E0Gain => {
                let m = assumptions
                    .mortality()
                    .with_e0_gain(v, from, to)
                    .map_err(|e| e.context(format!("model {}", model.name)))
                    .map_err(context)?;
                assumptions = assumptions.with_mortality(m)?;
            }
            Parameter::Migration => {
                let shares = assumptions.migration().noise_shares(assumptions.grid())?;
                let m = Migration::Total {
                    per_year: Schedule::Path(YearPath::constant(v)),
                    shares,
                };
                assumptions = assumptions.with_migration(m)?;
            }
            Parameter::Standard(id) => {
                // `<region>/<service>`: a region's own plan.
                let (owner, list, id) = match id.split_once('/') {
                    Some((region, service)) => {
                        let names: Vec<&str> =
                            model.regions.iter().map(|r| r.name.as_str()).collect();
                        let r = regions
                            .iter_mut()
                            .find(|r| r.name == region)
                            .ok_or_else(|| {
                                Error::invalid(
                                    format!("grid parameter {}", parameter.name()),
                                    format!(
                                        "region {region:?}, which model {} does not have",
                                        model.name
                                    ),
                                    if names.is_empty() {
                                        "standard.<service>: the model has no [[subregion]]s"
                                            .to_string()
                                    } else {
                                        format!("one of its regions: {}", names.join(", "))
                                    },
                                )
                            })?;
                        (format!("region {region}"), &mut r.services, service)
                    }
                    None => (format!("model {}", model.name), &mut services, id.as_str()),
                };
                let ids: Vec<String> = list.iter().map(|s| s.id.clone()).collect();
                let service = list.iter_mut().find(|s| s.id == id).ok_or_else(|| {
                    Error::invalid(
                        format!("grid parameter {}", parameter.name()),
                        format!("service {id:?}, which {owner} does not have"),
                        format!("one of its services: {}", ids.join(", ")),
                    )
                })?;
                let demand = service.demands.first_mut().ok_or_else(|| {
                    Error::invalid(
                        format!("service {id}"),
                        "no demand",
                        "a primary demand to change",
                    )
                })?;
                demand.method = demand.method.with_target(v).map_err(context)?;
            }
            Parameter::TfrVolatility => {
                let mut t = stochastic.tfr.unwrap_or_default();
                t.volatility = v;
                stochastic.tfr = Some(t);
            }
            Parameter::MortalitySd => stochastic.mortality = Some(MortalityNoise { sd: v }),
            Parameter::MigrationSd => stochastic.migration = Some(MigrationNoise { sd: v }),
        }
    }
    stochastic.check().map_err(|e| e.context("grid point"))?;
    Ok(PointSetup {
        assumptions,
        services,
        regions,
        stochastic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::new(vec![
            Axis {
                parameter: Parameter::Tfr,
                values: vec![Value::Number(0.81), Value::Number(1.0), Value::Number(1.3)],
            },
            Axis {
                parameter: Parameter::E0Gain,
                values: vec![Value::Number(0.0), Value::Number(2.0)],
            },
        ])
        .unwrap()
    }

    #[test]
    fn points_are_the_product_last_axis_fastest() {
        let g = grid();
        assert_eq!(g.len(), 6);
        assert_eq!(g.label(0), "tfr=0.81;e0_gain=0");
        assert_eq!(g.label(1), "tfr=0.81;e0_gain=2");
        assert_eq!(g.label(5), "tfr=1.3;e0_gain=2");
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_sweep() {
        let mut all: Vec<usize> = (1..=4).flat_map(|k| Shard { k, n: 4 }.points(10)).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { k: 3, n: 8 });
        for bad in ["3/2", "0/2", "1/0", "2", "a/b", "-1/2"] {
            let e = Shard::parse(bad).unwrap_err().to_string();
            assert!(e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn seeds_depend_on_the_point_not_its_place() {
        let g = grid();
        let s = point_seed(42, &g.label(3));
        assert_eq!(s, point_seed(42, "tfr=1;e0_gain=2"));
        assert_ne!(s, point_seed(43, &g.label(3)));
        assert_ne!(s, point_seed(42, &g.label(2)));
        // FNV-1a reference value ("a").
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn bad_grids() {
        assert!(Grid::new(vec![])
            .unwrap_err()
            .to_string()
            .contains("no parameters"));
        let e = Grid::new(vec![Axis {
            parameter: Parameter::Tfr,
            values: vec![],
        }])
        .unwrap_err()
        .to_string();
        assert!(e.contains("tfr") && e.contains("at least one value"), "{e}");
        let e = Parameter::parse("fertility").unwrap_err().to_string();
        assert!(e.contains("\"fertility\"") && e.contains("e0_gain"), "{e}");
    }
}

/// The sweep-wide settings every point runs with (a sweep file's `[sweep]`
/// section).
#[derive(Debug, Clone, PartialEq)]
pub struct PointSettings {
    /// The scenario points start from, unless a point names one; default:
    /// the model's default scenario.
    pub scenario: Option<String>,
    /// Trajectories per point.
    pub trajectories: usize,
    /// The sweep's seed; each point's seed is derived from it and the
    /// point's label ([`point_seed`]).
    pub seed: u64,
    /// Years reported; default: every fifth year after the base.
    pub years: Option<Vec<i32>>,
    /// The ensemble's noise before the point's noise parameters apply.
    pub stochastic: Stochastic,
    /// Whether each point takes its model's migration noise (the sweep
    /// sets none of its own).
    pub model_migration: bool,
}

/// Gap columns of a service row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapColumns {
    /// Share of trajectories short.
    pub p_shortfall: f64,
    /// Median demand minus supply.
    pub shortfall_p50: f64,
    /// 90th percentile of demand minus supply.
    pub shortfall_p90: f64,
    /// Capacity that meets demand in 90% of trajectories.
    pub capacity_needed_p90: f64,
    /// Planned supply.
    pub supply: f64,
}

/// One row of the sweep table: a point, a year, an indicator or a service.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Point number (order of the grid's product).
    pub point: usize,
    /// The point's parameter values, in the grid's order.
    pub values: Vec<Value>,
    /// Year.
    pub year: i32,
    /// A model of regions: `total` (the parent) or the region's name;
    /// `None` for a model without regions.
    pub region: Option<String>,
    /// `indicator` or `service`.
    pub kind: String,
    /// The indicator's name or the service's id.
    pub quantity: String,
    /// 5th percentile.
    pub p05: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Mean.
    pub mean: f64,
    /// Gap columns (service rows with a supply).
    pub gap: Option<GapColumns>,
}

/// The scenario point `index` runs: its `scenario` value, the sweep's, or
/// the model's default.
pub fn scenario_of(grid: &Grid, index: usize, settings: &PointSettings, model: &Model) -> String {
    match grid.value_of(index, &Parameter::Scenario) {
        Some(Value::Text(s)) => s,
        _ => settings
            .scenario
            .clone()
            .unwrap_or_else(|| model.default_scenario.clone()),
    }
}

/// The years reported for `model`: the sweep's (each a year of the
/// model's), or every fifth year after the base.
pub fn report_years(settings: &PointSettings, model: &Model) -> Result<Vec<i32>> {
    let step = model.base.grid().width();
    let years = model.years();
    match &settings.years {
        Some(wanted) => {
            if let Some(y) = wanted.iter().find(|y| !years.contains(y)) {
                return Err(Error::invalid(
                    "sweep years",
                    y,
                    format!(
                        "years of model {} ({} to {} in steps of {step})",
                        model.name, model.base_year, model.end_year
                    ),
                ));
            }
            Ok(wanted.clone())
        }
        None => Ok(years
            .into_iter()
            .filter(|&y| y > model.base_year && y % 5 == 0)
            .collect()),
    }
}

/// Point `index` set up and checked: its scenario chosen, its parameters
/// applied, its report years valid for `model`.
pub fn prepare_point(
    grid: &Grid,
    settings: &PointSettings,
    model: &Model,
    index: usize,
) -> Result<PointSetup> {
    let at = |e: Error| e.context(format!("sweep point {}", grid.label(index)));
    let scenario = model
        .scenario(&scenario_of(grid, index, settings, model))
        .map_err(at)?;
    let mut stochastic = settings.stochastic;
    if settings.model_migration {
        stochastic.migration = model.migration_noise;
    }
    let setup = apply(model, scenario, &grid.point(index), stochastic).map_err(at)?;
    report_years(settings, model)?;
    Ok(setup)
}

/// Runs point `index` of `grid` on `model` as an ensemble: its rows of the
/// sweep table (every indicator, and every primary demand with a supply,
/// in the report years).
pub fn run_point(
    grid: &Grid,
    settings: &PointSettings,
    model: &Model,
    index: usize,
) -> Result<Vec<SweepRow>> {
    let setup = prepare_point(grid, settings, model, index)?;
    let ensemble = EnsembleRequest::for_model(
        model,
        &setup.assumptions,
        &setup.services,
        EnsembleSpec {
            trajectories: settings.trajectories,
            seed: point_seed(settings.seed, &grid.label(index)),
            stochastic: setup.stochastic,
            keep: 0,
        },
    )?
    .with_regions(&setup.regions, &model.flows)?
    .with_summary_years(&report_years(settings, model)?)?
    .run(&|_| {})?;
    let values: Vec<Value> = grid
        .point(index)
        .iter()
        .map(|(_, v)| (*v).clone())
        .collect();
    // The parent (`total`) then each region, for a model of regions.
    let areas: Vec<(Option<String>, &EnsembleSummary)> = if ensemble.regions.is_empty() {
        vec![(None, &ensemble)]
    } else {
        std::iter::once((Some("total".to_string()), &ensemble))
            .chain(ensemble.regions.iter().map(|(n, s)| (Some(n.clone()), s)))
            .collect()
    };
    let mut rows = Vec::new();
    for year in report_years(settings, model)? {
        for (region, ensemble) in &areas {
            let row = |kind: &str, quantity: &str, s: Summary, gap| SweepRow {
                point: index,
                values: values.clone(),
                year,
                region: region.clone(),
                kind: kind.into(),
                quantity: quantity.into(),
                p05: s.p05,
                p50: s.p50,
                p95: s.p95,
                mean: s.mean,
                gap,
            };
            for ind in ENSEMBLE_INDICATORS {
                if let Some(s) = ensemble.get(year, ind) {
                    rows.push(row("indicator", ind.name(), s, None));
                }
            }
            for (i, d) in ensemble.demands.iter().enumerate() {
                let (Some(risk), Some(s), true) = (
                    ensemble.risk(&d.service, year),
                    ensemble.demand(year, i),
                    d.primary,
                ) else {
                    continue;
                };
                rows.push(row(
                    "service",
                    &d.service,
                    s,
                    Some(GapColumns {
                        p_shortfall: risk.p_shortfall,
                        shortfall_p50: risk.shortfall_p50,
                        shortfall_p90: risk.shortfall_p90,
                        capacity_needed_p90: risk.capacity_needed_p90,
                        supply: risk.supply,
                    }),
                ));
            }
        }
    }
    Ok(rows)
}
