//! The heat-map of a sweep: which of the swept parameters become the axes,
//! which service and year are shown, and P(shortfall) on that grid.

use crate::error::{Error, Result};
use crate::model::Model;
use crate::sweep::{Parameter, SweepRow, Value};

use super::SweepHeat;

/// The heat-map of a sweep's P(shortfall) (`params` and `rows` as read
/// from `sweep.csv`): the first two numeric parameters that vary are the
/// axes, other parameters are held at their first value. The service is
/// `service`, else caregivers, nursery places or beds (the first swept),
/// else the first with a gap; the year is `year`, else the model's first
/// key year if the points differ there, else the year in which they
/// differ most.
pub fn sweep_heat(
    params: &[Parameter],
    rows: &[SweepRow],
    service: Option<&str>,
    year: Option<i32>,
    model: &Model,
) -> Result<SweepHeat> {
    let numeric = |k: usize| {
        let mut values: Vec<f64> = rows
            .iter()
            .filter_map(|r| match r.values.get(k) {
                Some(Value::Number(v)) => Some(*v),
                _ => None,
            })
            .collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    };
    let varying: Vec<usize> = (0..params.len())
        .filter(|&k| numeric(k).len() > 1)
        .collect();
    let (kx, ky) = match varying.as_slice() {
        [x, y, ..] => (*x, Some(*y)),
        [x] => (*x, None),
        [] => {
            return Err(Error::invalid(
                "swept parameters",
                format!(
                    "none numeric that varies ({})",
                    params
                        .iter()
                        .map(|p| p.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "a sweep over at least one numeric parameter, e.g. tfr",
            ))
        }
    };
    let services: Vec<&str> = rows
        .iter()
        .filter(|r| r.gap.is_some())
        .map(|r| r.quantity.as_str())
        .collect();
    let service = match service {
        Some(s) if services.contains(&s) => s.to_string(),
        Some(s) => {
            return Err(Error::invalid(
                "--sweep-service",
                format!("{s:?}"),
                format!(
                    "a service with a gap: one of {}",
                    dedup(&services).join(", ")
                ),
            ))
        }
        None => ["caregivers", "nursery_places", "beds"]
            .iter()
            .find(|s| services.contains(s))
            .map(|s| s.to_string())
            .or_else(|| services.first().map(|s| s.to_string()))
            .ok_or_else(|| {
                Error::invalid(
                    "sweep rows",
                    "no service rows with a gap",
                    "a sweep of a model with planned supply",
                )
            })?,
    };
    let mut years: Vec<i32> = rows
        .iter()
        .filter(|r| r.quantity == service)
        .map(|r| r.year)
        .collect();
    years.sort_unstable();
    years.dedup();
    let held: Vec<(usize, Value)> = (0..params.len())
        .filter(|&k| k != kx && Some(k) != ky)
        .filter_map(|k| {
            rows.first()
                .and_then(|r| r.values.get(k))
                .map(|v| (k, v.clone()))
        })
        .collect();
    let (service_ref, held_ref) = (&service, &held);
    let cells = |year: i32| {
        rows.iter().filter(move |r| {
            r.quantity == *service_ref
                && r.year == year
                && r.gap.is_some()
                && held_ref.iter().all(|(k, v)| r.values.get(*k) == Some(v))
        })
    };
    // The asked year; else the model's first key year where the points
    // differ there; else the
    // year in which P(shortfall) differs most between points.
    let spread = |year: i32| {
        let ps: Vec<f64> = cells(year)
            .filter_map(|r| r.gap.map(|g| g.p_shortfall))
            .collect();
        let hi = ps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lo = ps.iter().copied().fold(f64::INFINITY, f64::min);
        if ps.is_empty() {
            0.0
        } else {
            hi - lo
        }
    };
    let year = match year {
        Some(y) if years.contains(&y) => y,
        Some(y) => {
            return Err(Error::invalid(
                "--sweep-year",
                y,
                format!(
                    "a year of the sweep: one of {}",
                    years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
        None if model
            .key_years
            .first()
            .is_some_and(|y| years.contains(y) && spread(*y) > 0.0) =>
        {
            model.key_years[0]
        }
        None => {
            let mut best = (years.first().copied().unwrap_or(model.base_year), -1.0);
            for &y in &years {
                let s = spread(y);
                if s > best.1 {
                    best = (y, s);
                }
            }
            best.0
        }
    };
    let xs = numeric(kx);
    let ys = ky.map_or(vec![0.0], numeric);
    let mut grid = vec![vec![None; xs.len()]; ys.len()];
    for r in cells(year) {
        let (Some(Value::Number(x)), Some(gap)) = (r.values.get(kx), r.gap) else {
            continue;
        };
        let y = match ky.and_then(|k| r.values.get(k)) {
            Some(Value::Number(y)) => *y,
            _ => 0.0,
        };
        let i = xs.iter().position(|v| v == x);
        let j = ys.iter().position(|v| *v == y);
        if let (Some(i), Some(j)) = (i, j) {
            grid[j][i] = Some(gap.p_shortfall);
        }
    }
    Ok(SweepHeat {
        service,
        year,
        x_name: params[kx].name(),
        y_name: ky.map_or_else(String::new, |k| params[k].name()),
        x_label: String::new(),
        y_label: String::new(),
        xs,
        ys,
        p_shortfall: grid,
        fixed: held
            .iter()
            .map(|(k, v)| format!("{} = {v}", params[*k].name()))
            .collect(),
    })
}

/// `items` without repeats, in first-seen order.
fn dedup<'a>(items: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::GapColumns;

    /// Rows of a tfr x e0_gain x standard sweep (the standard at one
    /// value), caregivers in 2025 and 2030 with P(shortfall) `p(x, y, year)`.
    fn rows(p: impl Fn(f64, f64, i32) -> f64) -> Vec<SweepRow> {
        let mut rows = Vec::new();
        let mut point = 0;
        for tfr in [0.8, 1.2, 1.6] {
            for gain in [0.0, 2.0] {
                for year in [2025, 2030] {
                    rows.push(SweepRow {
                        point,
                        values: vec![Value::Number(tfr), Value::Number(gain), Value::Number(27.0)],
                        year,
                        region: None,
                        kind: "service".into(),
                        quantity: "caregivers".into(),
                        p05: 0.0,
                        p50: 0.0,
                        p95: 0.0,
                        mean: 0.0,
                        gap: Some(GapColumns {
                            p_shortfall: p(tfr, gain, year),
                            shortfall_p50: 0.0,
                            shortfall_p90: 0.0,
                            capacity_needed_p90: 0.0,
                            supply: 0.0,
                        }),
                    });
                }
                point += 1;
            }
        }
        rows
    }

    fn params() -> Vec<Parameter> {
        ["tfr", "e0_gain", "standard.caregivers"]
            .iter()
            .map(|n| Parameter::parse(n).unwrap())
            .collect()
    }

    fn model() -> Model {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        crate::io::model_file::load(&root.join("models/jiaxing.toml")).unwrap()
    }

    #[test]
    fn varying_parameters_are_the_axes_and_the_rest_is_held() {
        let model = model();
        let rows = rows(|tfr, gain, year| {
            if year == 2025 {
                tfr / 2.0 + gain / 10.0
            } else {
                1.0
            }
        });
        let heat = sweep_heat(&params(), &rows, None, None, &model).unwrap();
        assert_eq!(
            (heat.x_name.as_str(), heat.y_name.as_str()),
            ("tfr", "e0_gain")
        );
        assert_eq!(heat.fixed, vec!["standard.caregivers = 27".to_string()]);
        assert_eq!(heat.service, "caregivers");
        // The points differ in the model's first key year: that year.
        assert_eq!(heat.year, model.key_years[0]);
        assert_eq!(heat.xs, vec![0.8, 1.2, 1.6]);
        assert_eq!(heat.ys, vec![0.0, 2.0]);
        assert_eq!(heat.p_shortfall[1][2], Some(1.6 / 2.0 + 0.2));
    }

    #[test]
    fn the_year_defaults_to_where_the_points_differ_most() {
        let model = model();
        let rows = rows(|tfr, _, year| if year == 2025 { 0.5 } else { tfr / 2.0 });
        let heat = sweep_heat(&params(), &rows, None, None, &model).unwrap();
        assert_eq!(heat.year, 2030);
        let asked = sweep_heat(&params(), &rows, None, Some(2025), &model).unwrap();
        assert_eq!(asked.year, 2025);
        let e = sweep_heat(&params(), &rows, None, Some(2040), &model).unwrap_err();
        assert!(e.to_string().contains("2025, 2030"), "{e}");
        let e = sweep_heat(&params(), &rows, Some("beds"), None, &model).unwrap_err();
        assert!(e.to_string().contains("caregivers"), "{e}");
    }
}
