//! Projecting a country from the UN World Population Prospects 2019 inputs,
//! the way the UN's medium variant does: base population on 1 July 2020,
//! mx, TFR, percent ASFR and sex ratio at birth by 5-year period, and net
//! migration totals by period spread over ages by a Rogers-Castro schedule
//! and split evenly by sex (WPP publishes no age pattern of migrants).
//!
//! On a 5-year grid the period rates are used as they are; on a single-year
//! grid the base is graduated with Sprague multipliers, mx through the life
//! table ([`crate::graduation::single_year_mx`]), the ASFR pattern with
//! Sprague, and period rates are interpolated between period midpoints
//! (migration is held constant within each period so its totals add up).

use ndarray::{Array1, Array2};

use crate::age_grid::AgeGrid;
use crate::error::Result;
use crate::fertility::{self, Fertility};
use crate::graduation;
use crate::life_table;
use crate::migration::{Migration, RogersCastro};
use crate::mortality::Mortality;
use crate::path::{PeriodSeries, Schedule};
use crate::population::{Population, Sex};
use crate::projection::Assumptions;

/// The WPP inputs of one country (see [`crate::io::wpp::read_country`]).
#[derive(Debug, Clone)]
pub struct WppInputs {
    /// First year of the projection (the base population's year).
    pub base_year: i32,
    /// Population by 5-year group 0-4 ... 95-99, 100+ (thousands).
    pub pop_male: Vec<f64>,
    /// Population by 5-year group 0-4 ... 95-99, 100+ (thousands).
    pub pop_female: Vec<f64>,
    /// (start, end, mx at ages 0, 1, 5, ..., 100+) by period.
    pub mx_male: Vec<(f64, f64, Vec<f64>)>,
    /// (start, end, mx at ages 0, 1, 5, ..., 100+) by period.
    pub mx_female: Vec<(f64, f64, Vec<f64>)>,
    /// (start, end, percent by 15-19 ... 45-49) by period.
    pub percent_asfr: Vec<(f64, f64, Vec<f64>)>,
    /// (start, end, value) by period.
    pub tfr: Vec<(f64, f64, f64)>,
    /// (start, end, males per female at birth) by period.
    pub srb: Vec<(f64, f64, f64)>,
    /// Net migrants over the period, both sexes, thousands.
    pub migration: Vec<(f64, f64, f64)>,
}

fn scalar_series(what: &str, values: &[(f64, f64, f64)], scale: f64) -> Result<PeriodSeries> {
    PeriodSeries::new(
        what,
        values
            .iter()
            .map(|&(a, b, v)| (a, b, Array1::from(vec![v * scale])))
            .collect(),
        false,
    )
}

impl WppInputs {
    /// The base population on `grid` (5-year as published, or graduated).
    pub fn base(&self, grid: AgeGrid) -> Result<Population> {
        let rows: Vec<Vec<f64>> = if grid.width() == 5 {
            vec![self.pop_male.clone(), self.pop_female.clone()]
        } else {
            vec![
                graduation::sprague(&self.pop_male)?,
                graduation::sprague(&self.pop_female)?,
            ]
        };
        let g = rows[0].len();
        let counts = Array2::from_shape_fn((2, g), |(s, i)| rows[s][i]);
        Population::new(grid, counts)
    }

    /// The medium-variant assumptions on `grid` (open age 100).
    pub fn assumptions(&self, grid: AgeGrid) -> Result<Assumptions> {
        let ages = life_table::ages_for_grid(grid);
        let mx_series = |sex: Sex, periods: &[(f64, f64, Vec<f64>)]| -> Result<PeriodSeries> {
            let rows = periods
                .iter()
                .map(|(a, b, mx)| {
                    let values = if grid.width() == 5 {
                        Array1::from(mx.clone())
                    } else {
                        graduation::single_year_mx(mx, grid.open_age())?
                    };
                    Ok((*a, *b, values))
                })
                .collect::<Result<Vec<_>>>()?;
            PeriodSeries::new(&format!("mx {}", sex.label()), rows, true)
        };
        let mortality = Mortality::Periods {
            ages,
            mx: [
                mx_series(Sex::Male, &self.mx_male)?,
                mx_series(Sex::Female, &self.mx_female)?,
            ],
        };
        let pattern = PeriodSeries::new(
            "fertility pattern",
            self.percent_asfr
                .iter()
                .map(|(a, b, pct)| Ok((*a, *b, fertility::pattern_shares(grid, pct, 15)?)))
                .collect::<Result<Vec<_>>>()?,
            false,
        )?;
        let fertility = Fertility::new(
            Schedule::Periods(scalar_series("TFR", &self.tfr, 1.0)?),
            pattern,
            Schedule::Periods(scalar_series("sex ratio at birth", &self.srb, 1.0)?),
        )?;
        let per_year: Vec<(f64, f64, f64)> = self
            .migration
            .iter()
            .map(|&(a, b, v)| (a, b, v / (b - a)))
            .collect();
        let migration = Migration::total_by_schedule(
            Schedule::PeriodSteps(scalar_series("net migration", &per_year, 1.0)?),
            &RogersCastro::default(),
            0.5,
            grid,
        )?;
        Assumptions::new(grid, mortality, fertility, migration)
    }
}
