//! Service sections: population bases, demand methods (ratio, need with a
//! prevalence table, share, absolute), uncertainty and planned supply.

use std::path::{Path, PathBuf};

use crate::age_grid::{AgeGrid, AgeRange};
use crate::error::{Error, Result};
use crate::io::tables::read_text_table;
use crate::path::YearPath;
use crate::plan::{
    linear_at, Attrition, DeliveryShare, Interpolation, RatioPopulation, Supply, SupplyRatio,
    SupplyRisk,
};
use crate::population::Sex;
use crate::standards::{
    check_path_range, Demand, DemandMethod, FactorInterval, Prevalence, Rate, Service,
    DEFAULT_BASES,
};

use super::schema::*;

/// The population bases of a model: defaults, then the model's own.
pub(super) fn population_bases(raw: &RawModel) -> Result<Vec<(String, AgeRange)>> {
    let mut bases: Vec<(String, AgeRange)> = DEFAULT_BASES
        .iter()
        .map(|(n, r)| Ok((n.to_string(), AgeRange::parse(r)?)))
        .collect::<Result<_>>()?;
    for (name, text) in &raw.populations {
        let range = AgeRange::parse(text).map_err(|e| e.context(name.to_string()))?;
        bases.retain(|b| &b.0 != name);
        bases.push((name.clone(), range));
    }
    Ok(bases)
}

/// The ages of a population base: a name of `[populations]` (or a
/// default one), or an age range such as "60+".
fn find_base(bases: &[(String, AgeRange)], base_name: &str) -> Result<AgeRange> {
    match bases.iter().find(|b| b.0 == base_name) {
        Some(b) => Ok(b.1),
        None => AgeRange::parse(base_name).map_err(|_| {
            Error::invalid(
                "base",
                format!("{base_name:?}"),
                format!(
                    "a known population base ({}) or an age range such as \"60+\"",
                    bases
                        .iter()
                        .map(|b| b.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
    }
}

/// Builds and checks every `[[service]]`; problems go to `note`.
pub(super) fn read_services(
    raw: &RawModel,
    region: Option<&str>,
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    note: &mut dyn FnMut(&str, Error),
) -> Vec<Service> {
    let bases = match population_bases(raw) {
        Ok(b) => b,
        Err(e) => {
            note("populations", e);
            return Vec::new();
        }
    };
    let mut services: Vec<Service> = Vec::new();
    // The services of one region (or of the parent), each region on its own.
    let mine: Vec<&RawService> = raw
        .services
        .iter()
        .filter(|s| s.region.as_deref() == region)
        .collect();
    for (i, rs) in mine.iter().enumerate() {
        let key = format!(
            "{}service {}",
            region.map_or(String::new(), |r| format!("subregion {r} ")),
            if rs.id.is_empty() {
                format!("#{}", i + 1)
            } else {
                rs.id.clone()
            }
        );
        if mine[..i].iter().any(|o| o.id == rs.id) {
            note(
                &key,
                Error::invalid(
                    "id",
                    format!("{:?} defined twice", rs.id),
                    "one [[service]] per id",
                ),
            );
            continue;
        }
        if rs.demands.is_empty() {
            note(
                &key,
                Error::invalid("demand", "none", "at least one [[service.demand]]"),
            );
        }
        let mut demands = Vec::new();
        for (k, rd) in rs.demands.iter().enumerate() {
            if rs.demands[..k].iter().any(|o| o.name == rd.name) {
                note(
                    &key,
                    Error::invalid(
                        "demand name",
                        format!("{:?} defined twice", rd.name),
                        "one demand per name",
                    ),
                );
                continue;
            }
            let dkey = format!("{key} demand {}", rd.name);
            match read_demand(rd, &bases, rel, grid, &mine[..i], &rs.id) {
                Ok(d) => demands.push(d),
                Err(e) => note(&dkey, e),
            }
        }
        let supply_risk = match rs.supply.as_ref().map(read_supply_risk) {
            Some(Ok(risk)) => risk,
            Some(Err(e)) => {
                note(&format!("{key} supply"), e);
                None
            }
            None => None,
        };
        let supply = match &rs.supply {
            None => {
                note(
                    &key,
                    Error::invalid(
                        "supply",
                        "no [service.supply]",
                        "planned supply: points = [[year, value], ...], build_rate = {...}, or unknown = true",
                    ),
                );
                None
            }
            Some(raw_supply) => match read_supply(raw_supply, &bases) {
                Ok(s) => Some(s),
                Err(e) => {
                    note(&format!("{key} supply"), e);
                    None
                }
            },
        };
        let max_build_per_year = rs.supply.as_ref().and_then(|s| s.max_build_per_year);
        if let Some(v) = max_build_per_year.filter(|v| !(v.is_finite() && *v > 0.0)) {
            note(
                &format!("{key} supply"),
                Error::invalid("max_build_per_year", v, "a count > 0 a year"),
            );
        }
        services.push(Service {
            id: rs.id.clone(),
            label: rs.label.clone(),
            label_zh: rs.label_zh.clone(),
            unit: rs.unit.clone(),
            demands,
            supply,
            supply_risk,
            max_build_per_year,
        });
    }
    services
}

pub(super) fn read_demand(
    rd: &RawDemand,
    bases: &[(String, AgeRange)],
    rel: &dyn Fn(&str) -> PathBuf,
    grid: AgeGrid,
    earlier: &[&RawService],
    own_id: &str,
) -> Result<Demand> {
    // Keys that do not belong to the method are errors, not silently ignored.
    let given: Vec<(&str, bool)> = vec![
        ("base", rd.base.is_some()),
        ("per_1000", rd.per_1000.is_some()),
        ("per_10000", rd.per_10000.is_some()),
        ("fraction", rd.fraction.is_some()),
        ("of", rd.of.is_some()),
        ("prevalence", rd.prevalence.is_some()),
        ("use_rate", rd.use_rate.is_some()),
        ("per_user", rd.per_user.is_some()),
        ("value", rd.value.is_some()),
    ];
    let allowed: &[&str] = match rd.method {
        DemandKind::Ratio => &["base", "per_1000", "per_10000", "fraction"],
        DemandKind::Share => &["of", "fraction"],
        DemandKind::Need => &["prevalence", "use_rate", "per_user"],
        DemandKind::Absolute => &["value"],
    };
    if let Some((k, _)) = given.iter().find(|(k, set)| *set && !allowed.contains(k)) {
        return Err(Error::invalid(
            format!("key {k}"),
            format!("{k} with method = {:?}", rd.method),
            format!("only {} for this method", allowed.join(", ")),
        ));
    }
    let missing = |what: &str| {
        Error::invalid(
            what,
            "missing",
            format!("{what} for method = {:?}", rd.method),
        )
    };
    let need = |what: &str, v: Option<&PathSpec>| -> Result<YearPath> {
        v.ok_or_else(|| missing(what))?.to_path(what)
    };
    let need_fraction = |what: &str, v: Option<&FractionSpec>| -> Result<YearPath> {
        v.ok_or_else(|| missing(what))?.to_path(what)
    };
    let method = match rd.method {
        DemandKind::Ratio => {
            let base_name = rd.base.clone().ok_or_else(|| {
                Error::invalid(
                    "base",
                    "missing",
                    "a population base such as \"elderly\" or \"60+\"",
                )
            })?;
            let base = find_base(bases, &base_name)?;
            let rate = match (&rd.per_1000, &rd.per_10000, &rd.fraction) {
                (Some(p), None, None) => Rate::PerThousand(p.to_path("per_1000")?),
                (None, Some(p), None) => Rate::PerTenThousand(p.to_path("per_10000")?),
                (None, None, Some(p)) => Rate::Fraction(p.to_path("fraction")?),
                _ => {
                    return Err(Error::invalid(
                        "rate",
                        "none or several of per_1000, per_10000, fraction",
                        "exactly one of per_1000, per_10000, fraction",
                    ))
                }
            };
            DemandMethod::Ratio {
                base_name,
                base,
                rate,
            }
        }
        DemandKind::Share => {
            let of = rd.of.clone().ok_or_else(|| {
                Error::invalid("of", "missing", "the id of the service this is a share of")
            })?;
            if of == own_id || !earlier.iter().any(|s| s.id == of) {
                return Err(Error::invalid(
                    "of",
                    format!("{of:?}"),
                    "the id of a service defined earlier in the file (not itself)",
                ));
            }
            DemandMethod::Share {
                of,
                fraction: need_fraction("fraction", rd.fraction.as_ref())?,
            }
        }
        DemandKind::Need => {
            let file = rd.prevalence.as_ref().ok_or_else(|| {
                Error::invalid(
                    "prevalence",
                    "missing",
                    "a table of sex,age,prevalence (optionally low_90,high_90)",
                )
            })?;
            DemandMethod::Need {
                prevalence: read_prevalence(&rel(file), grid)?,
                use_rate: need_fraction("use_rate", rd.use_rate.as_ref())?,
                per_user: rd.per_user.unwrap_or(1.0),
            }
        }
        DemandKind::Absolute => DemandMethod::Absolute(need("value", rd.value.as_ref())?),
    };
    method.check()?;
    let uncertainty = rd
        .uncertainty_90
        .map(|[low, high]| FactorInterval { low, high });
    if let Some(u) = uncertainty {
        u.check()?;
    }
    Ok(Demand {
        name: rd.name.clone(),
        method,
        uncertainty,
    })
}

pub(super) fn read_supply(raw: &RawSupply, bases: &[(String, AgeRange)]) -> Result<Supply> {
    let interpolation = match raw.interpolation {
        Some(RawInterpolation::Step) => Interpolation::Step,
        _ => Interpolation::Linear,
    };
    let ratio = match (&raw.per_1000, &raw.per_10000) {
        (Some(p), None) => Some(Rate::PerThousand(p.to_path("per_1000")?)),
        (None, Some(p)) => Some(Rate::PerTenThousand(p.to_path("per_10000")?)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "supply",
                "both per_1000 and per_10000",
                "one ratio: per_1000 or per_10000",
            ))
        }
    };
    if ratio.is_none() {
        for (key, given) in [
            ("base", raw.base.is_some()),
            ("on_scenario", raw.on_scenario.is_some()),
            ("population", raw.population.is_some()),
        ] {
            if given {
                return Err(Error::invalid(
                    format!("supply {key}"),
                    "given without a ratio",
                    "per_1000 or per_10000 for it to apply to",
                ));
            }
        }
    }
    let supply = match (
        &raw.points,
        &raw.build_rate,
        raw.unknown.unwrap_or(false),
        ratio,
    ) {
        (Some(points), None, false, None) => Supply::Points {
            points: points.clone(),
            interpolation,
        },
        (None, Some(b), false, None) if raw.interpolation.is_none() => Supply::BuildRate {
            year: b.year,
            stock: b.stock,
            per_year: b.per_year,
        },
        (None, None, true, None) if raw.interpolation.is_none() => Supply::Unknown,
        (None, None, false, Some(rate)) => {
            check_path_range(
                "supply ratio",
                rate.path(),
                0.0,
                match rate {
                    Rate::PerThousand(_) => 1_000.0,
                    _ => 10_000.0,
                },
            )?;
            let base_name = raw.base.clone().ok_or_else(|| {
                Error::invalid(
                    "supply base",
                    "missing",
                    "the population the ratio is of, e.g. base = \"elderly\"",
                )
            })?;
            let base = find_base(bases, &base_name)?;
            let on = match (&raw.population, &raw.on_scenario) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "supply",
                        "both population and on_scenario",
                        "one population to resolve the ratio on",
                    ))
                }
                (Some(stated), None) => {
                    Supply::Points {
                        points: stated.clone(),
                        interpolation: Interpolation::Linear,
                    }
                    .check()
                    .map_err(|e| e.context("supply population"))?;
                    RatioPopulation::Stated(stated.clone())
                }
                (None, scenario) => RatioPopulation::Scenario(scenario.clone().unwrap_or_default()),
            };
            let ratio = SupplyRatio {
                base_name,
                base,
                rate,
                on,
            };
            let points = match &ratio.on {
                RatioPopulation::Stated(stated) => ratio.resolve(&|y| linear_at(stated, y))?,
                RatioPopulation::Scenario(_) => Vec::new(),
            };
            Supply::Ratio {
                ratio,
                points,
                interpolation,
            }
        }
        _ => {
            return Err(Error::invalid(
                "supply",
                "none or several of points, build_rate, unknown, per_1000/per_10000",
                "exactly one of points (with optional interpolation), build_rate, unknown = true, \
                 or a ratio (per_1000 or per_10000 of a base)",
            ))
        }
    };
    supply.check()?;
    Ok(supply)
}

/// The supply risk of `[service.supply]`: `delivery`/`delivery_90` and
/// `attrition`/`attrition_90`/`planned_attrition`; `None` when it gives
/// neither. A median without an interval is a fixed value; an interval
/// without `delivery` takes its midpoint as the median.
pub(super) fn read_supply_risk(raw: &RawSupply) -> Result<Option<SupplyRisk>> {
    let value = |f: Option<Fraction>| f.map(Fraction::value);
    let pair = |f: Option<[Fraction; 2]>| f.map(|[a, b]| [a.value(), b.value()]);
    let (delivery, delivery_90) = (value(raw.delivery), pair(raw.delivery_90));
    let (attrition, attrition_90) = (value(raw.attrition), pair(raw.attrition_90));
    let planned_attrition = value(raw.planned_attrition);
    let delivery = match (delivery, delivery_90) {
        (None, None) => None,
        (central, interval) => {
            let [low, high] = interval.unwrap_or([central.unwrap_or(1.0); 2]);
            Some(DeliveryShare {
                central: central.unwrap_or((low + high) / 2.0),
                low,
                high,
            })
        }
    };
    let attrition = match (attrition, attrition_90, planned_attrition) {
        (None, None, None) => None,
        (Some(rate), interval, planned) => {
            let [low, high] = interval.unwrap_or([rate; 2]);
            Some(Attrition {
                rate,
                low,
                high,
                planned: planned.unwrap_or(rate),
            })
        }
        (None, _, _) => {
            return Err(Error::invalid(
                "attrition",
                "attrition_90 or planned_attrition without attrition",
                "attrition = the median annual rate, with them",
            ))
        }
    };
    if delivery.is_none() && attrition.is_none() {
        return Ok(None);
    }
    if raw.unknown == Some(true) {
        return Err(Error::invalid(
            "supply",
            "delivery or attrition with unknown = true",
            "a planned supply (points or build_rate) for them to apply to",
        ));
    }
    let risk = SupplyRisk {
        delivery,
        attrition,
    };
    risk.check()?;
    Ok(Some(risk))
}

/// Relative tolerance on a table's factor: `low_90 / prevalence` (and
/// `high_90 / prevalence`) must agree between rows to this, since one
/// factor moves every age at once.
const TABLE_FACTOR_TOLERANCE: f64 = 1e-3;

/// A prevalence table from `sex,age,prevalence[,low_90,high_90]` rows
/// whose ages are the lower bounds of groups (any widths): each grid group
/// takes the value of the table group containing its lower bound; ages
/// below the first table age have none. `low_90`/`high_90` bound a 90%
/// interval; their ratio to `prevalence` must be the same on every row
/// (one factor for the whole table, drawn once per trajectory).
pub(super) fn read_prevalence(path: &Path, grid: AgeGrid) -> Result<Prevalence> {
    let table = read_text_table(path)?;
    table.only_columns(&["sex", "age", "prevalence", "low_90", "high_90"])?;
    let (sc, ac, vc) = (
        table.require("sex")?,
        table.require("age")?,
        table.require("prevalence")?,
    );
    let bounds = match (table.optional("low_90"), table.optional("high_90")) {
        (Some(l), Some(h)) => Some((l, h)),
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                format!("{}: columns", table.file()),
                "only one of low_90, high_90",
                "both low_90 and high_90, or neither",
            ))
        }
    };
    let fraction = |r: usize, c: usize| -> Result<f64> {
        let v = table.non_negative(r, c)?;
        if v > 1.0 {
            return Err(Error::invalid(
                table.cell_place(r, c),
                v,
                "a fraction between 0 and 1",
            ));
        }
        Ok(v)
    };
    let mut rows: [Vec<(u32, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut factor: Option<(usize, FactorInterval)> = None;
    for r in 0..table.height() {
        let sex = table.sex(r, sc)?;
        let age = table.age(r, ac)?;
        let v = fraction(r, vc)?;
        if let Some((lc, hc)) = bounds {
            let (low, high) = (fraction(r, lc)?, fraction(r, hc)?);
            if !(low <= v && v <= high) {
                return Err(Error::invalid(
                    table.row_place(r),
                    format!("low_90 {low}, prevalence {v}, high_90 {high}"),
                    "low_90 <= prevalence <= high_90",
                ));
            }
            if v > 0.0 {
                let here = FactorInterval {
                    low: low / v,
                    high: high / v,
                };
                if here.low <= 0.0 {
                    return Err(Error::invalid(
                        table.cell_place(r, lc),
                        low,
                        "a bound > 0 where the prevalence is > 0",
                    ));
                }
                match factor {
                    None => factor = Some((r, here)),
                    Some((first, f)) => {
                        let off = |a: f64, b: f64| (a / b - 1.0).abs() > TABLE_FACTOR_TOLERANCE;
                        if off(here.low, f.low) || off(here.high, f.high) {
                            return Err(Error::invalid(
                                table.row_place(r),
                                format!(
                                    "bounds x{:.4} ... x{:.4} the prevalence",
                                    here.low, here.high
                                ),
                                format!(
                                    "the factors of row {} (x{:.4} ... x{:.4}): one factor for every age",
                                    first + 1,
                                    f.low,
                                    f.high
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if rows[sex.index()].iter().any(|x| x.0 == age) {
            return Err(Error::invalid(
                table.row_place(r),
                format!("a second row for {} age {age}", sex.label()),
                "one row per sex and age",
            ));
        }
        rows[sex.index()].push((age, v));
    }
    let mut out = ndarray::Array2::zeros((2, grid.len()));
    for sex in Sex::BOTH {
        let r = &mut rows[sex.index()];
        if r.is_empty() {
            return Err(Error::invalid(
                format!("{}: sex", table.file()),
                format!("no rows for {}", sex.label()),
                "rows for both sexes",
            ));
        }
        r.sort_by_key(|x| x.0);
        for i in 0..grid.len() {
            let lo = grid.lower(i);
            if let Some(&(_, v)) = r.iter().rev().find(|x| x.0 <= lo) {
                out[[sex.index(), i]] = v;
            }
        }
    }
    Ok(Prevalence {
        table: std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
        values: out,
        uncertainty: factor.map(|(_, f)| f),
    })
}

/// Resolves every ratio supply that is to be resolved on a scenario's
/// projection (the default scenario unless `on_scenario` names one): the
/// base population of each target year, linear between projected years.
/// Returns the problems, by service id.
pub(super) fn resolve_ratio_supplies(
    services: &mut [Service],
    project: &dyn Fn(
        &crate::model::Scenario,
    ) -> crate::error::Result<crate::projection::Projection>,
    default_scenario: &str,
    scenarios: &[crate::model::Scenario],
) -> Vec<(String, Error)> {
    let mut problems = Vec::new();
    let mut projections: Vec<(String, crate::projection::Projection)> = Vec::new();
    for service in services.iter_mut() {
        let Some(Supply::Ratio { ratio, points, .. }) = &mut service.supply else {
            continue;
        };
        let RatioPopulation::Scenario(name) = &mut ratio.on else {
            continue;
        };
        if name.is_empty() {
            *name = default_scenario.to_string();
        }
        if !projections.iter().any(|p| &p.0 == name) {
            let Some(scenario) = scenarios.iter().find(|s| &s.name == name) else {
                problems.push((
                    service.id.clone(),
                    Error::invalid(
                        "on_scenario",
                        format!("{name:?}"),
                        format!(
                            "one of the model's scenarios: {}",
                            scenarios
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                ));
                continue;
            };
            match project(scenario) {
                Ok(p) => projections.push((name.clone(), p)),
                Err(e) => {
                    problems.push((service.id.clone(), e.context(format!("scenario {name}"))));
                    continue;
                }
            }
        }
        let Some((_, projection)) = projections.iter().find(|p| &p.0 == name) else {
            continue;
        };
        let range = ratio.base;
        let counts: Vec<(f64, f64)> = projection
            .years
            .iter()
            .zip(&projection.populations)
            .map(|(&y, pop)| (f64::from(y), pop.aged(range.from, range.to)))
            .collect();
        let (first, last) = (counts[0].0, counts[counts.len() - 1].0);
        let base_at = |y: f64| {
            (first..=last)
                .contains(&y)
                .then(|| linear_at(&counts, y))
                .flatten()
        };
        match ratio.resolve(&base_at) {
            Ok(p) => *points = p,
            Err(e) => problems.push((service.id.clone(), e)),
        }
    }
    problems
}
