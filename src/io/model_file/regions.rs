//! `[[subregion]]` and `[[flow]]`: the regions a model's population is the
//! sum of, and the migration between them.

use std::path::PathBuf;

use ndarray::Array2;

use super::schema::*;
use crate::age_grid::AgeGrid;
use crate::error::Error;
use crate::io::tables;
use crate::path::Schedule;
use crate::population::{Population, Sex};
use crate::regions::{FlowSize, InternalFlow, RegionSpec};

/// The base written `population = "remainder"`: the model's base minus the
/// other regions'.
pub const REMAINDER: &str = "remainder";

/// Names a region may not take: `all` selects every region, `total` is the
/// parent's rows.
pub const RESERVED_REGION_NAMES: [&str; 2] = ["all", "total"];

/// Tolerance of "the regions sum to the base" and of a remainder's
/// negative counts: persons per group, relative to the base's largest group.
const SUM_TOLERANCE: f64 = 1e-6;

/// Reads the regions and flows of `raw`; problems go to `note`.
pub(super) fn read_regions(
    raw: &RawModel,
    base: &Population,
    grid: AgeGrid,
    rel: &dyn Fn(&str) -> PathBuf,
    note: &mut dyn FnMut(&str, Error),
) -> (Vec<RegionSpec>, Vec<InternalFlow>) {
    if raw.subregions.is_empty() {
        if let Some(f) = raw.flows.first() {
            note(
                "flow",
                Error::invalid(
                    format!("from = {:?}", f.from),
                    "a flow in a model without [[subregion]]s",
                    "[[subregion]] tables for the regions the flows connect",
                ),
            );
        }
        return (Vec::new(), Vec::new());
    }
    let mut ok = true;
    let mut bases: Vec<Option<Population>> = Vec::new();
    for (i, r) in raw.subregions.iter().enumerate() {
        let key = format!(
            "subregion {}",
            if r.name.is_empty() { "\"\"" } else { &r.name }
        );
        let mut bad = |e: Error| {
            note(&key, e);
        };
        if r.name.trim().is_empty()
            || RESERVED_REGION_NAMES.contains(&r.name.as_str())
            || !r
                .name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            bad(Error::invalid(
                "name",
                format!("{:?}", r.name),
                "a name of letters, digits, _ or -, other than \"all\" and \"total\"",
            ));
            ok = false;
        }
        if raw.subregions[..i].iter().any(|o| o.name == r.name) {
            bad(Error::invalid(
                "name",
                format!("{:?} a second time", r.name),
                "one [[subregion]] per name",
            ));
            ok = false;
        }
        if let Some(t) = r.tfr_ratio.filter(|t| !(t.is_finite() && *t > 0.0)) {
            bad(Error::invalid(
                "tfr_ratio",
                t,
                "a ratio > 0 (1: the scenario's TFR)",
            ));
            ok = false;
        }
        if let Some(d) = r
            .e0_difference
            .filter(|d| !(d.is_finite() && d.abs() <= 30.0))
        {
            bad(Error::invalid(
                "e0_difference",
                d,
                "years added to the scenario's e0, within ±30",
            ));
            ok = false;
        }
        if let Some(m) = r
            .migration_share
            .filter(|m| !(0.0..=1.0).contains(&m.value()))
        {
            bad(Error::invalid(
                "migration_share",
                m.value(),
                crate::standards::FRACTION_EXPECTED,
            ));
            ok = false;
        }
        if r.population.trim() == REMAINDER {
            bases.push(None);
            continue;
        }
        match tables::read_population(
            &rel(&r.population),
            &r.value_column,
            grid.open_age(),
            raw.base.year,
        ) {
            Ok(p) if p.grid() == grid => bases.push(Some(p)),
            Ok(p) => {
                bad(Error::invalid(
                    "population",
                    format!("a table on {}", p.grid()),
                    format!("ages on the model's grid ({grid})"),
                ));
                ok = false;
                bases.push(None);
            }
            Err(e) => {
                bad(e.context("population"));
                ok = false;
                bases.push(None);
            }
        }
    }
    let remainders: Vec<usize> = raw
        .subregions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.population.trim() == REMAINDER)
        .map(|(i, _)| i)
        .collect();
    if remainders.len() > 1 {
        note(
            &format!("subregion {}", raw.subregions[remainders[1]].name),
            Error::invalid(
                "population",
                "a second \"remainder\"",
                "at most one region whose base is the remainder",
            ),
        );
        ok = false;
    }
    if !ok {
        return (Vec::new(), Vec::new());
    }
    // The remainder, or the check that the regions sum to the base.
    let largest = base.counts().iter().cloned().fold(0.0, f64::max).max(1.0);
    let mut rest = base.counts().clone();
    for p in bases.iter().flatten() {
        rest -= p.counts();
    }
    let first_bad = |limit: &dyn Fn(f64) -> bool| -> Option<(Sex, u32, f64)> {
        for s in Sex::BOTH {
            for (i, &v) in rest.row(s.index()).iter().enumerate() {
                if limit(v) {
                    return Some((s, grid.lower(i), v));
                }
            }
        }
        None
    };
    let tolerance = SUM_TOLERANCE * largest;
    if let Some(&k) = remainders.first() {
        if let Some((s, age, v)) = first_bad(&|v| v < -tolerance) {
            note(
                &format!("subregion {}", raw.subregions[k].name),
                Error::invalid(
                    "population",
                    format!(
                        "a remainder of {v:.1} {} aged {age}: the other regions hold more than the model's base",
                        s.label()
                    ),
                    "regions whose bases fit inside the model's [base]",
                ),
            );
            return (Vec::new(), Vec::new());
        }
        rest.mapv_inplace(|v| v.max(0.0));
        match Population::new(grid, rest) {
            Ok(p) => bases[k] = Some(p),
            Err(e) => {
                note(&format!("subregion {}", raw.subregions[k].name), e);
                return (Vec::new(), Vec::new());
            }
        }
    } else if let Some((s, age, v)) = first_bad(&|v| v.abs() > tolerance) {
        note(
            "subregion",
            Error::invalid(
                "population",
                format!(
                    "regions that differ from the model's [base] by {v:.1} {} aged {age}",
                    s.label()
                ),
                "region bases that sum to the model's base (or one region with population = \"remainder\")",
            ),
        );
        return (Vec::new(), Vec::new());
    }
    let bases: Vec<Population> = bases.into_iter().flatten().collect();
    let total = base.total();
    let given: Vec<Option<f64>> = raw
        .subregions
        .iter()
        .map(|r| r.migration_share.map(|m| m.value()))
        .collect();
    let shares: Vec<f64> = if given.iter().all(Option::is_none) {
        bases
            .iter()
            .map(|b| if total > 0.0 { b.total() / total } else { 0.0 })
            .collect()
    } else if given.iter().all(Option::is_some) {
        let shares: Vec<f64> = given.iter().flatten().copied().collect();
        let sum: f64 = shares.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            note(
                "subregion",
                Error::invalid(
                    "migration_share",
                    format!("shares summing to {sum}"),
                    "shares of the external migration that sum to 1 (or none: by base population)",
                ),
            );
            return (Vec::new(), Vec::new());
        }
        shares
    } else {
        let missing = raw
            .subregions
            .iter()
            .find(|r| r.migration_share.is_none())
            .map_or(String::new(), |r| r.name.clone());
        note(
            &format!("subregion {missing}"),
            Error::invalid(
                "migration_share",
                "none, while other regions give one",
                "a migration_share for every region, or for none",
            ),
        );
        return (Vec::new(), Vec::new());
    };
    let regions: Vec<RegionSpec> = raw
        .subregions
        .iter()
        .zip(bases)
        .zip(shares)
        .map(|((r, base), migration_share)| RegionSpec {
            name: r.name.clone(),
            name_zh: r.name_zh.clone(),
            label: r.label.clone(),
            base,
            tfr_ratio: r.tfr_ratio.unwrap_or(1.0),
            e0_difference: r.e0_difference.unwrap_or(0.0),
            migration_share,
            services: Vec::new(),
        })
        .collect();

    // Flows, spread by the model's migration schedule.
    let schedule = raw
        .migration
        .as_ref()
        .and_then(|m| m.schedule)
        .unwrap_or_default();
    let by_age = match schedule.shares_on(grid) {
        Ok(s) => s,
        Err(e) => {
            note("flow", e);
            return (regions, Vec::new());
        }
    };
    let index = |name: &str| regions.iter().position(|r| r.name == name);
    let names = || {
        regions
            .iter()
            .map(|r| format!("{:?}", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut flows = Vec::new();
    for (k, f) in raw.flows.iter().enumerate() {
        let key = format!("flow {} ({} -> {})", k + 1, f.from, f.to);
        let (from, to) = (index(&f.from), index(&f.to));
        for (which, name, found) in [("from", &f.from, from), ("to", &f.to, to)] {
            if found.is_none() {
                note(
                    &key,
                    Error::invalid(
                        which,
                        format!("{name:?}, no such region"),
                        format!("one of the [[subregion]]s: {}", names()),
                    ),
                );
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            note(
                &key,
                Error::invalid(
                    "to",
                    format!("{:?}", f.to),
                    "a region other than the origin",
                ),
            );
            continue;
        }
        let size = match (&f.per_year, &f.rate) {
            (Some(p), None) => p.to_path("per_year").and_then(|path| {
                let (lo, _) = path.range();
                if lo < 0.0 {
                    Err(Error::invalid(
                        "per_year",
                        lo,
                        "persons a year >= 0 (a flow the other way is its own [[flow]])",
                    ))
                } else {
                    Ok(FlowSize::PerYear(Schedule::Path(path)))
                }
            }),
            (None, Some(r)) => r.to_path("rate").and_then(|path| {
                crate::standards::check_path_range("rate", &path, 0.0, 1.0)
                    .map(|_| FlowSize::Rate(Schedule::Path(path)))
            }),
            _ => Err(Error::invalid(
                "per_year, rate",
                "both or neither",
                "one of per_year (persons a year) or rate (a fraction of the origin a year)",
            )),
        };
        let male = f.male_share.map_or(0.5, |m| m.value());
        if !(0.0..=1.0).contains(&male) {
            note(
                &key,
                Error::invalid("male_share", male, crate::standards::FRACTION_EXPECTED),
            );
            continue;
        }
        match size {
            Ok(size) => {
                let mut shares = Array2::zeros((2, grid.len()));
                shares.row_mut(0).assign(&(&by_age * male));
                shares.row_mut(1).assign(&(&by_age * (1.0 - male)));
                flows.push(InternalFlow {
                    from,
                    to,
                    size,
                    shares,
                });
            }
            Err(e) => note(&key, e),
        }
    }
    (regions, flows)
}
