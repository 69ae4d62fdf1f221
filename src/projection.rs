//! The cohort-component projection (CCMPP; PHG 2001 ch. 6).
//!
//! One step of n years on an n-year grid, for each sex:
//!
//! 1. half of the step's net migrants join at the start: `P' = P + M/2`
//!    (clamped at zero: emigration larger than the population is reported,
//!    never turned into negative counts);
//! 2. survival: group i moves to group i+1 with ratio `S(i)`; the last closed
//!    group and the open group are pooled into the open group;
//! 3. the other half of the migrants join at the end;
//! 4. births over the step from the women of each age averaged over its start
//!    (`P'`) and end, split by the sex ratio at birth, survive to group 0 with
//!    the birth ratio; group 0 also gets its end-of-step migrants.
//!
//! Deaths are counted as the survival losses, so every step satisfies
//! `P(t+n) − P(t) = births − deaths + net migration` exactly (up to rounding),
//! where net migration is what was actually added after clamping.
//!
//! [`project`] owns the loop over steps; [`Assumptions`] give each step's
//! rates ([`StepRates`]); [`project_step`] is the pure step.

use ndarray::{Array1, Array2};

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::fertility::Fertility;
use crate::life_table::{self, SurvivalRatios};
use crate::migration::Migration;
use crate::mortality::Mortality;
use crate::population::{Population, Sex};

/// Everything one step needs.
#[derive(Debug, Clone)]
pub struct StepRates {
    /// Survival ratios, male and female.
    pub survival: [SurvivalRatios; 2],
    /// Births per woman-year by grid group.
    pub asfr: Array1<f64>,
    /// Sex ratio at birth (males per female).
    pub srb: f64,
    /// Net migrants over the whole step by sex and group.
    pub migration: Array2<f64>,
    /// Life expectancy at birth by sex (for reporting; NaN if not from a table).
    pub e0: [f64; 2],
    /// Total fertility rate of the step.
    pub tfr: f64,
}

/// What happened in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFlows {
    /// Births over the step, by sex.
    pub births: [f64; 2],
    /// Deaths over the step, by sex.
    pub deaths: [f64; 2],
    /// Net migrants actually added over the step, by sex.
    pub net_migration: [f64; 2],
    /// Emigrants that could not leave because the group was already empty.
    pub migration_clamped: f64,
    /// e0 by sex and TFR used in the step.
    pub e0: [f64; 2],
    /// Total fertility rate of the step (for indicators).
    pub tfr: f64,
}

/// Adds `m` to `p` without going below zero; returns what could not be taken.
fn add_clamped(p: &mut f64, m: f64) -> f64 {
    let v = *p + m;
    if v < 0.0 {
        *p = 0.0;
        -v
    } else {
        *p = v;
        0.0
    }
}

/// Projects `pop` over one step of `grid.width()` years.
pub fn project_step(pop: &Population, rates: &StepRates) -> Result<(Population, StepFlows)> {
    let grid = pop.grid();
    let g = grid.len();
    let n = f64::from(grid.width());
    if rates.asfr.len() != g || rates.migration.dim() != (2, g) {
        return Err(Error::invalid(
            "step rates",
            format!(
                "{} fertility rates, migration {:?}",
                rates.asfr.len(),
                rates.migration.dim()
            ),
            format!("arrays on the population's grid ({g} groups)"),
        ));
    }
    let mut end = Array2::<f64>::zeros((2, g));
    let mut start = pop.counts().clone();
    let mut flows = StepFlows {
        births: [0.0; 2],
        deaths: [0.0; 2],
        net_migration: [0.0; 2],
        migration_clamped: 0.0,
        e0: rates.e0,
        tfr: rates.tfr,
    };
    for sex in Sex::BOTH {
        let s = sex.index();
        let surv = &rates.survival[s].groups;
        for i in 0..g {
            flows.migration_clamped +=
                add_clamped(&mut start[[s, i]], 0.5 * rates.migration[[s, i]]);
        }
        for i in 0..g - 2 {
            end[[s, i + 1]] = start[[s, i]] * surv[i];
        }
        end[[s, g - 1]] = start[[s, g - 2]] * surv[g - 2] + start[[s, g - 1]] * surv[g - 1];
        flows.deaths[s] = start.row(s).sum() - end.row(s).sum();
        for i in 1..g {
            flows.migration_clamped += add_clamped(&mut end[[s, i]], 0.5 * rates.migration[[s, i]]);
        }
    }
    let f = Sex::Female.index();
    let births: f64 = (0..g)
        .map(|i| rates.asfr[i] * 0.5 * (start[[f, i]] + end[[f, i]]))
        .sum::<f64>()
        * n;
    let male_share = rates.srb / (1.0 + rates.srb);
    flows.births = [births * male_share, births * (1.0 - male_share)];
    for sex in Sex::BOTH {
        let s = sex.index();
        let survivors = flows.births[s] * rates.survival[s].birth;
        flows.deaths[s] += flows.births[s] - survivors;
        end[[s, 0]] = survivors;
        flows.migration_clamped += add_clamped(&mut end[[s, 0]], 0.5 * rates.migration[[s, 0]]);
        // Realised net migration = change - births + deaths.
        flows.net_migration[s] =
            end.row(s).sum() - pop.counts().row(s).sum() - flows.births[s] + flows.deaths[s];
    }
    Ok((Population::new(grid, end)?, flows))
}

/// The assumptions of one scenario: where each step's rates come from.
#[derive(Debug, Clone)]
pub struct Assumptions {
    grid: AgeGrid,
    mortality: Mortality,
    fertility: Fertility,
    migration: Migration,
}

impl Assumptions {
    /// Checks that every part is on `grid`.
    pub fn new(
        grid: AgeGrid,
        mortality: Mortality,
        fertility: Fertility,
        migration: Migration,
    ) -> Result<Self> {
        let ages = life_table::ages_for_grid(grid);
        if mortality.ages() != ages.as_slice() {
            return Err(Error::invalid(
                "mortality ages",
                format!(
                    "{} ages up to {:?}+",
                    mortality.ages().len(),
                    mortality.ages().last()
                ),
                format!(
                    "the life-table ages of the grid ({grid}: {} ages)",
                    ages.len()
                ),
            ));
        }
        if fertility.pattern_len() != grid.len() {
            return Err(Error::invalid(
                "fertility pattern",
                format!("{} groups", fertility.pattern_len()),
                format!("{} groups ({grid})", grid.len()),
            ));
        }
        if let Migration::Counts(c) | Migration::Total { shares: c, .. } = &migration {
            if c.dim() != (2, grid.len()) {
                return Err(Error::invalid(
                    "migration by age",
                    format!("{:?}", c.dim()),
                    format!("(2, {})", grid.len()),
                ));
            }
        }
        Ok(Assumptions {
            grid,
            mortality,
            fertility,
            migration,
        })
    }

    /// The age grid of the projection.
    pub fn grid(&self) -> AgeGrid {
        self.grid
    }
    /// The same assumptions with other fertility (checked against the grid).
    pub fn with_fertility(&self, fertility: Fertility) -> Result<Self> {
        Assumptions::new(
            self.grid,
            self.mortality.clone(),
            fertility,
            self.migration.clone(),
        )
    }
    /// The same assumptions with other mortality (checked against the grid).
    pub fn with_mortality(&self, mortality: Mortality) -> Result<Self> {
        Assumptions::new(
            self.grid,
            mortality,
            self.fertility.clone(),
            self.migration.clone(),
        )
    }
    /// The same assumptions with other migration (checked against the grid).
    pub fn with_migration(&self, migration: Migration) -> Result<Self> {
        Assumptions::new(
            self.grid,
            self.mortality.clone(),
            self.fertility.clone(),
            migration,
        )
    }
    /// The mortality assumption.
    pub fn mortality(&self) -> &Mortality {
        &self.mortality
    }
    /// The fertility assumption.
    pub fn fertility(&self) -> &Fertility {
        &self.fertility
    }
    /// The migration assumption.
    pub fn migration(&self) -> &Migration {
        &self.migration
    }

    /// The rates of the step starting at `start`.
    pub fn step_rates(&self, start: i32) -> Result<StepRates> {
        let n = f64::from(self.grid.width());
        let t = f64::from(start);
        let tables = [
            self.mortality.life_table(Sex::Male, t, n)?,
            self.mortality.life_table(Sex::Female, t, n)?,
        ];
        let (asfr, tfr, srb) = self.fertility.for_step(t, n);
        Ok(StepRates {
            survival: [
                tables[0].survival_ratios(self.grid)?,
                tables[1].survival_ratios(self.grid)?,
            ],
            asfr,
            srb,
            migration: self.migration.for_step(self.grid, t, n),
            e0: [tables[0].e0(), tables[1].e0()],
            tfr,
        })
    }
}

/// A projected population: the base and one population per step.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Years of `populations` (base year first).
    pub years: Vec<i32>,
    /// The population in each year of `years`.
    pub populations: Vec<Population>,
    /// `flows[k]`: the step ending at `years[k + 1]`.
    pub flows: Vec<StepFlows>,
}

impl Projection {
    /// The age grid of every population.
    pub fn grid(&self) -> AgeGrid {
        self.populations[0].grid()
    }
}

/// Projects `base` at `base_year` to `end_year` in steps of the grid width.
pub fn project(
    base: &Population,
    base_year: i32,
    end_year: i32,
    assumptions: &Assumptions,
) -> Result<Projection> {
    project_observed(base, base_year, end_year, assumptions, &mut |_| {})
}

/// [`project`], calling `observe(year)` after each step (progress display).
pub fn project_observed(
    base: &Population,
    base_year: i32,
    end_year: i32,
    assumptions: &Assumptions,
    observe: &mut dyn FnMut(i32),
) -> Result<Projection> {
    if base.grid() != assumptions.grid() {
        return Err(Error::invalid(
            "base population grid",
            base.grid(),
            format!("the assumptions' grid ({})", assumptions.grid()),
        ));
    }
    let n = assumptions.grid().width() as i32;
    if end_year < base_year || (end_year - base_year) % n != 0 {
        return Err(Error::invalid(
            "projection horizon",
            format!("{base_year} to {end_year}"),
            format!("an end year at or after the base year, a whole number of {n}-year steps"),
        ));
    }
    let mut years = vec![base_year];
    let mut populations = vec![base.clone()];
    let mut flows = Vec::new();
    let mut year = base_year;
    while year < end_year {
        let rates = assumptions.step_rates(year)?;
        let (next, f) = project_step(populations.last().unwrap_or(base), &rates)?;
        year += n;
        years.push(year);
        populations.push(next);
        flows.push(f);
        observe(year);
    }
    Ok(Projection {
        years,
        populations,
        flows,
    })
}
