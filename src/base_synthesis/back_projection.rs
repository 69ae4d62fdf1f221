//! Young ages from fertility history: back projection of births.
//!
//! A reference structure borrowed from elsewhere (a country's) carries that
//! place's children. Where the region's own fertility history is known, the
//! children born in the last `H` years before the base are rebuilt from it,
//! the way the cohort-component projection would have produced them:
//!
//! 1. **Reverse survival** of the women: the women of group `x` at the start
//!    of a past step are the base's women `k` steps older divided by the
//!    survival ratios along their cohort's diagonal (Preston, Heuveline &
//!    Guillot 2001, §6.5 and box 6.2; the UN's reverse-survival method,
//!    Manual X, 1983, ch. VII).
//! 2. **Births** of each step from those women, averaged over the step's
//!    start and end, times the history's age-specific rates
//!    (TFR × fertility pattern), split by the sex ratio at birth: exactly
//!    [`crate::projection::project_step`]'s formula.
//! 3. **Forward survival** of those births to the base year (birth ratio,
//!    then the survival ratios of each later step).
//!
//! Steps are taken oldest first, so a cohort rebuilt earlier can be a
//! mother in a later step (histories longer than the youngest fertile age).
//! Migration is left out: the rebuilt cohorts are those a closed
//! population would have; the raking that follows restores the region's
//! known totals. Projecting a population forward with the same rates and no
//! migration, then rebuilding, gives back its young ages exactly (tested).

use ndarray::Array2;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::population::{Population, Sex};
use crate::projection::StepRates;

/// Young ages rebuilt from fertility history.
#[derive(Debug, Clone)]
pub struct BackProjection {
    /// The base with its youngest groups replaced.
    pub population: Population,
    /// Births by sex (male, female) of each step, oldest first, with the
    /// step's first year.
    pub births: Vec<(i32, [f64; 2])>,
}

/// Checks that a history of `rates.len()` steps can be rebuilt on `grid`:
/// the mothers of its first step must be below the open age group at the
/// base.
pub fn check_length(grid: AgeGrid, rates: &[StepRates]) -> Result<()> {
    let g = grid.len();
    let h = rates.len();
    let n = grid.width();
    let last_fertile = rates
        .iter()
        .filter_map(|r| r.asfr.iter().rposition(|&v| v > 0.0))
        .max()
        .unwrap_or(0);
    // A mother of group x at the start of the oldest step is group x + h at
    // the base; her cohort must stay in the closed groups (< g - 1).
    if last_fertile + h + 1 >= g {
        return Err(Error::invalid(
            "fertility history",
            format!(
                "{h} steps of {n} year{} (the mothers of its first step would be {}+ at the base)",
                if n == 1 { "" } else { "s" },
                grid.lower((last_fertile + h).min(g - 1))
            ),
            format!(
                "at most {} steps, so that every mother's cohort is below the open age {}",
                g.saturating_sub(last_fertile + 2),
                grid.open_age()
            ),
        ));
    }
    Ok(())
}

/// Rebuilds the youngest `rates.len()` age groups of `base` from the births
/// of the steps before it. `rates[0]` are the rates of the step that ends
/// at the base (its births are group 0), `rates[k]` of the step `k` steps
/// earlier; only their survival, fertility and sex ratio are used.
/// `newest_step` labels the births: the first year of `rates[0]`'s step.
/// Errors if a mother's cohort would pass through the open age group.
pub fn rebuild_young_ages(
    base: &Population,
    rates: &[StepRates],
    newest_step: i32,
) -> Result<BackProjection> {
    let grid = base.grid();
    let h = rates.len();
    let n = grid.width() as i32;
    let mut counts: Array2<f64> = base.counts().clone();
    if h == 0 {
        return Ok(BackProjection {
            population: base.clone(),
            births: vec![],
        });
    }
    check_length(grid, rates)?;
    let f = Sex::Female.index();
    let mut births_by_step = Vec::with_capacity(h);
    for k in (1..=h).rev() {
        let step = &rates[k - 1];
        // Women at the start of the step: base group i + k, reverse-survived
        // along the diagonal through the k steps since.
        let women_start = |i: usize| -> f64 {
            let mut w = counts[[f, i + k]];
            for m in 0..k {
                w /= rates[k - 1 - m].survival[f].groups[i + m];
            }
            w
        };
        let mut births = 0.0;
        for (i, &asfr) in step.asfr.iter().enumerate() {
            if asfr <= 0.0 {
                continue;
            }
            let start = women_start(i);
            // The end of the step: those one group younger at its start, survived.
            let end = if i == 0 {
                0.0
            } else {
                women_start(i - 1) * step.survival[f].groups[i - 1]
            };
            births += asfr * 0.5 * (start + end);
        }
        births *= f64::from(n as u32);
        let male_share = step.srb / (1.0 + step.srb);
        let by_sex = [births * male_share, births * (1.0 - male_share)];
        for sex in Sex::BOTH {
            let s = sex.index();
            // Group 0 at the step's end, then one group older per later step.
            let mut v = by_sex[s] * step.survival[s].birth;
            for m in 1..k {
                v *= rates[k - 1 - m].survival[s].groups[m - 1];
            }
            counts[[s, k - 1]] = v;
        }
        births_by_step.push((newest_step - n * (k as i32 - 1), by_sex));
    }
    Ok(BackProjection {
        population: Population::new(grid, counts)?,
        births: births_by_step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fertility::Fertility;
    use crate::migration::Migration;
    use crate::path::{PeriodSeries, Schedule, YearPath};
    use crate::projection::{project, Assumptions};
    use ndarray::Array1;

    fn assumptions(grid: AgeGrid) -> Assumptions {
        let ages = crate::life_table::ages_for_grid(grid);
        let mx = |k: f64| -> Array1<f64> {
            ages.iter()
                .map(|&a| 0.0005 * k + 0.00004 * (0.095 * f64::from(a)).exp())
                .collect()
        };
        let mortality = crate::mortality::fixed_periods(ages.clone(), mx(1.2), mx(0.8)).unwrap();
        let mut pattern = Array1::<f64>::zeros(grid.len());
        for a in 18..45 {
            pattern[a] = 1.0;
        }
        pattern /= pattern.sum();
        let fertility = Fertility::new(
            Schedule::Path(
                YearPath::new("tfr", vec![(1990.0, 2.1), (2005.0, 1.6), (2020.0, 0.9)]).unwrap(),
            ),
            PeriodSeries::new("pattern", vec![(1900.0, 2200.0, pattern)], false).unwrap(),
            Schedule::Path(YearPath::constant(1.08)),
        )
        .unwrap();
        Assumptions::new(grid, mortality, fertility, Migration::None).unwrap()
    }

    #[test]
    fn rebuilding_a_projection_gives_back_its_young_ages() {
        let grid = AgeGrid::single_years();
        let a = assumptions(grid);
        let start = Population::new(
            grid,
            Array2::from_shape_fn((2, grid.len()), |(s, i)| {
                1000.0 + 10.0 * s as f64 - 8.0 * i as f64 + 40.0 * (i as f64 / 7.0).sin()
            }),
        )
        .unwrap();
        // 20 years: longer than the youngest fertile age, so rebuilt cohorts
        // are mothers too.
        let run = project(&start, 2000, 2020, &a).unwrap();
        let end = run.populations.last().unwrap();
        let rates: Vec<StepRates> = (1..=20).map(|k| a.step_rates(2020 - k).unwrap()).collect();
        // Scramble the young ages, then rebuild them.
        let mut scrambled = end.counts().clone();
        for i in 0..20 {
            scrambled[[0, i]] = 1.0;
            scrambled[[1, i]] = 5000.0;
        }
        let scrambled = Population::new(grid, scrambled).unwrap();
        let rebuilt = rebuild_young_ages(&scrambled, &rates, 2019).unwrap();
        for s in 0..2 {
            for i in 0..grid.len() {
                let (got, want) = (rebuilt.population.counts()[[s, i]], end.counts()[[s, i]]);
                assert!(
                    (got / want - 1.0).abs() < 1e-10,
                    "sex {s} age {i}: {got} vs {want}"
                );
            }
        }
        for (k, (year, b)) in rebuilt.births.iter().enumerate() {
            assert_eq!(*year, 2000 + k as i32);
            let engine = run.flows[k].births;
            assert!((b[0] / engine[0] - 1.0).abs() < 1e-10);
            assert!((b[1] / engine[1] - 1.0).abs() < 1e-10);
        }
        // Too long a history: the first mothers would be in the open group.
        let too_long: Vec<StepRates> = (1..=60).map(|k| a.step_rates(2020 - k).unwrap()).collect();
        let e = rebuild_young_ages(end, &too_long, 2019)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 55 steps"), "{e}");
    }
}
