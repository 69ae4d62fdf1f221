//! Indicators of a projection, each named once.
//!
//! Stocks refer to the population at the year; flows (births, deaths, net
//! migration) are annual averages over the step ending at the year, so 1-year
//! and 5-year projections give comparable figures. Shares are fractions
//! (0.2758, not 27.58). Where an age bound falls inside a group (children
//! 0-2 on a 5-year grid), persons are spread evenly within the group.

use crate::population::Population;
use crate::projection::{Projection, StepFlows};

/// The indicators carecast reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    Total,
    Births,
    Deaths,
    NetMigration,
    Pop60Plus,
    Share60Plus,
    Pop65Plus,
    Share65Plus,
    Pop80Plus,
    Share80Plus,
    Pop85Plus,
    Pop0To2,
    OldAgeDependency,
    MedianAge,
    E0Male,
    E0Female,
    Tfr,
}

impl Indicator {
    /// Every indicator, in table order.
    pub const ALL: [Indicator; 17] = [
        Indicator::Total,
        Indicator::Births,
        Indicator::Deaths,
        Indicator::NetMigration,
        Indicator::Pop60Plus,
        Indicator::Share60Plus,
        Indicator::Pop65Plus,
        Indicator::Share65Plus,
        Indicator::Pop80Plus,
        Indicator::Share80Plus,
        Indicator::Pop85Plus,
        Indicator::Pop0To2,
        Indicator::OldAgeDependency,
        Indicator::MedianAge,
        Indicator::E0Male,
        Indicator::E0Female,
        Indicator::Tfr,
    ];

    /// Whether the indicator is a share of the total (a fraction).
    pub fn is_share(self) -> bool {
        matches!(
            self,
            Indicator::Share60Plus | Indicator::Share65Plus | Indicator::Share80Plus
        )
    }

    /// The snake_case name used in `indicators.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Total => "total",
            Indicator::Births => "births",
            Indicator::Deaths => "deaths",
            Indicator::NetMigration => "net_migration",
            Indicator::Pop60Plus => "pop_60plus",
            Indicator::Share60Plus => "share_60plus",
            Indicator::Pop65Plus => "pop_65plus",
            Indicator::Share65Plus => "share_65plus",
            Indicator::Pop80Plus => "pop_80plus",
            Indicator::Share80Plus => "share_80plus",
            Indicator::Pop85Plus => "pop_85plus",
            Indicator::Pop0To2 => "pop_0_2",
            Indicator::OldAgeDependency => "old_age_dependency",
            Indicator::MedianAge => "median_age",
            Indicator::E0Male => "e0_male",
            Indicator::E0Female => "e0_female",
            Indicator::Tfr => "tfr",
        }
    }

    /// The value for a population, with the flows of the step that led to it.
    pub fn value(self, pop: &Population, flows: Option<&StepFlows>) -> Option<f64> {
        let n = f64::from(pop.grid().width());
        let total = pop.total();
        let share = |v: f64| if total > 0.0 { v / total } else { 0.0 };
        Some(match self {
            Indicator::Total => total,
            Indicator::Births => flows?.births.iter().sum::<f64>() / n,
            Indicator::Deaths => flows?.deaths.iter().sum::<f64>() / n,
            Indicator::NetMigration => flows?.net_migration.iter().sum::<f64>() / n,
            Indicator::Pop60Plus => pop.aged(60, None),
            Indicator::Share60Plus => share(pop.aged(60, None)),
            Indicator::Pop65Plus => pop.aged(65, None),
            Indicator::Share65Plus => share(pop.aged(65, None)),
            Indicator::Pop80Plus => pop.aged(80, None),
            Indicator::Share80Plus => share(pop.aged(80, None)),
            Indicator::Pop85Plus => pop.aged(85, None),
            Indicator::Pop0To2 => pop.aged(0, Some(3)),
            Indicator::OldAgeDependency => {
                let working = pop.aged(15, Some(65));
                if working > 0.0 {
                    pop.aged(65, None) / working
                } else {
                    f64::NAN
                }
            }
            Indicator::MedianAge => median_age(pop),
            Indicator::E0Male => flows?.e0[0],
            Indicator::E0Female => flows?.e0[1],
            Indicator::Tfr => flows?.tfr,
        })
    }
}

/// Median age, interpolating linearly within the group that holds it.
pub fn median_age(pop: &Population) -> f64 {
    let both = pop.both_sexes();
    let half = 0.5 * both.sum();
    let grid = pop.grid();
    let mut cum = 0.0;
    for (i, &v) in both.iter().enumerate() {
        if cum + v >= half && v > 0.0 {
            return f64::from(grid.lower(i)) + f64::from(grid.width()) * (half - cum) / v;
        }
        cum += v;
    }
    f64::NAN
}

/// One row of `indicators.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub year: i32,
    pub indicator: Indicator,
    pub value: f64,
}

/// All indicators of a projection, by year then indicator.
pub fn indicators(projection: &Projection) -> Vec<IndicatorValue> {
    let mut out = Vec::new();
    for (k, (&year, pop)) in projection
        .years
        .iter()
        .zip(&projection.populations)
        .enumerate()
    {
        let flows = k.checked_sub(1).and_then(|j| projection.flows.get(j));
        for indicator in Indicator::ALL {
            if let Some(value) = indicator.value(pop, flows) {
                out.push(IndicatorValue {
                    year,
                    indicator,
                    value,
                });
            }
        }
    }
    out
}

/// The value of one indicator in one year, if present.
pub fn lookup(values: &[IndicatorValue], year: i32, indicator: Indicator) -> Option<f64> {
    values
        .iter()
        .find(|v| v.year == year && v.indicator == indicator)
        .map(|v| v.value)
}
