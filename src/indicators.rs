//! Indicators of a projection, each named once.
//!
//! Stocks refer to the population at the year; flows (births, deaths, net
//! migration) are annual averages over the step ending at the year, so 1-year
//! and 5-year projections give comparable figures. Shares are fractions
//! (0.2758, not 27.58). Where an age bound falls inside a group (children
//! 0-2 on a 5-year grid), persons are spread evenly within the group.

use crate::age_grid::AgeGrid;
use crate::population::Population;
use crate::projection::{Projection, StepFlows};

/// Persons aged `from` up to (not including) `to`; `to = None`: and over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeBand {
    /// First age in the band.
    pub from: u32,
    /// First age after the band; `None` for an open band (`60+`).
    pub to: Option<u32>,
}

impl AgeBand {
    /// The open band `from+`.
    pub const fn plus(from: u32) -> AgeBand {
        AgeBand { from, to: None }
    }

    /// The band `from` to `to − 1`.
    pub const fn between(from: u32, to: u32) -> AgeBand {
        AgeBand { from, to: Some(to) }
    }

    /// Persons of `pop` in the band (groups split by the bound count in
    /// proportion, see [`crate::AgeGrid::fraction_in`]).
    pub fn count(self, pop: &Population) -> f64 {
        pop.aged(self.from, self.to)
    }
}

/// A flow over the step ending at the year, per year of the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Births.
    Births,
    /// Deaths.
    Deaths,
    /// Net migrants.
    NetMigration,
}

/// What an indicator is: the one definition both the deterministic
/// indicators ([`Indicator::value`]) and the ensemble's derive from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Definition {
    /// The whole population.
    Total,
    /// Persons in an age band.
    Count(AgeBand),
    /// Persons in an age band over the total (0 for an empty population).
    Share(AgeBand),
    /// Persons in one band over persons in another (NaN when that is empty).
    Ratio(AgeBand, AgeBand),
    /// The age that halves the population, linear within its group.
    MedianAge,
    /// A flow of the step, per year.
    Flow(Flow),
    /// Life expectancy at birth of the step's mortality (0: male, 1: female).
    E0(usize),
    /// The step's total fertility rate.
    Tfr,
}

/// The indicators carecast reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// Total population.
    Total,
    /// Births per year over the step.
    Births,
    /// Deaths per year over the step.
    Deaths,
    /// Net migrants per year over the step.
    NetMigration,
    /// Persons aged 60+.
    Pop60Plus,
    /// Share aged 60+ (a fraction).
    Share60Plus,
    /// Persons aged 65+.
    Pop65Plus,
    /// Share aged 65+ (a fraction).
    Share65Plus,
    /// Persons aged 80+.
    Pop80Plus,
    /// Share aged 80+ (a fraction).
    Share80Plus,
    /// Persons aged 85+.
    Pop85Plus,
    /// Children aged 0-2.
    Pop0To2,
    /// Persons 65+ per person aged 15-64.
    OldAgeDependency,
    /// Median age, years.
    MedianAge,
    /// Male life expectancy at birth of the step, years.
    E0Male,
    /// Female life expectancy at birth of the step, years.
    E0Female,
    /// Total fertility rate of the step.
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

    /// What the indicator is.
    pub fn definition(self) -> Definition {
        use Definition as D;
        match self {
            Indicator::Total => D::Total,
            Indicator::Births => D::Flow(Flow::Births),
            Indicator::Deaths => D::Flow(Flow::Deaths),
            Indicator::NetMigration => D::Flow(Flow::NetMigration),
            Indicator::Pop60Plus => D::Count(AgeBand::plus(60)),
            Indicator::Share60Plus => D::Share(AgeBand::plus(60)),
            Indicator::Pop65Plus => D::Count(AgeBand::plus(65)),
            Indicator::Share65Plus => D::Share(AgeBand::plus(65)),
            Indicator::Pop80Plus => D::Count(AgeBand::plus(80)),
            Indicator::Share80Plus => D::Share(AgeBand::plus(80)),
            Indicator::Pop85Plus => D::Count(AgeBand::plus(85)),
            Indicator::Pop0To2 => D::Count(AgeBand::between(0, 3)),
            Indicator::OldAgeDependency => D::Ratio(AgeBand::plus(65), AgeBand::between(15, 65)),
            Indicator::MedianAge => D::MedianAge,
            Indicator::E0Male => D::E0(0),
            Indicator::E0Female => D::E0(1),
            Indicator::Tfr => D::Tfr,
        }
    }

    /// The age bands the indicators count, each once, in the order the
    /// indicators first use them.
    pub fn age_bands() -> Vec<AgeBand> {
        let mut bands = Vec::new();
        for indicator in Indicator::ALL {
            let used = match indicator.definition() {
                Definition::Count(b) | Definition::Share(b) => vec![b],
                Definition::Ratio(a, b) => vec![a, b],
                _ => Vec::new(),
            };
            for b in used {
                if !bands.contains(&b) {
                    bands.push(b);
                }
            }
        }
        bands
    }

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
        Some(match self.definition() {
            Definition::Total => total,
            Definition::Flow(Flow::Births) => flows?.births.iter().sum::<f64>() / n,
            Definition::Flow(Flow::Deaths) => flows?.deaths.iter().sum::<f64>() / n,
            Definition::Flow(Flow::NetMigration) => flows?.net_migration.iter().sum::<f64>() / n,
            Definition::Count(band) => band.count(pop),
            Definition::Share(band) => share(band.count(pop)),
            Definition::Ratio(of, to) => {
                let denominator = to.count(pop);
                if denominator > 0.0 {
                    of.count(pop) / denominator
                } else {
                    f64::NAN
                }
            }
            Definition::MedianAge => median_age(pop),
            Definition::E0(s) => flows?.e0[s],
            Definition::Tfr => flows?.tfr,
        })
    }
}

/// Median age, interpolating linearly within the group that holds it.
pub fn median_age(pop: &Population) -> f64 {
    let both = pop.both_sexes();
    median_in_groups(pop.grid(), 0.5 * both.sum(), 0, 0.0, |i| both[i])
}

/// The median age rule, written once (the deterministic indicator and both
/// of the ensemble's kernels use it): from group `from`, with `before`
/// persons in the groups below it, the first group (with anyone in it)
/// where the cumulative count reaches `half`, and the age within it by
/// linear interpolation; NaN where no group does. `count(i)`: persons in
/// group `i`, both sexes.
#[inline(always)]
pub fn median_in_groups(
    grid: AgeGrid,
    half: f64,
    from: usize,
    before: f64,
    count: impl Fn(usize) -> f64,
) -> f64 {
    let width = f64::from(grid.width());
    let mut cum = before;
    for i in from..grid.len() {
        let v = count(i);
        if v > 0.0 && cum + v >= half {
            return f64::from(grid.lower(i)) + width * (half - cum) / v;
        }
        cum += v;
    }
    f64::NAN
}

/// One row of `indicators.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    /// Year.
    pub year: i32,
    /// Which indicator.
    pub indicator: Indicator,
    /// Its value (shares as fractions).
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
