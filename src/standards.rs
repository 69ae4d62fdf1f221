//! Services, their standards and how demand follows from a population.
//!
//! A standard's units are part of its type ([`Rate`]): "27 caregivers per
//! 10,000 elderly" is `Rate::PerTenThousand`, "4.6 places per 1,000
//! residents" `Rate::PerThousand`, "15% of children aged 1-3"
//! `Rate::Fraction`; they cannot be mixed up. Every rate may follow a path
//! over years (16 -> 21 -> 27 in 2020 -> 2022 -> 2025), interpolated
//! linearly and held outside its points, like every other path.
//!
//! Demand methods ([`DemandMethod`]):
//!
//! * `Ratio`: a rate times a population base (persons of an [`AgeRange`]),
//!   as plans write their standards;
//! * `Share`: a fraction of another service's demand (nursing-type beds =
//!   share x beds);
//! * `Need`: Σ over age and sex of persons x prevalence (e.g. dementia) x
//!   use rate x units per user (beds per user, or staff per user for a staff
//!   ratio), so demand follows the ageing inside the elderly population;
//! * `Absolute`: a target count.
//!
//! A service may carry several methods; the first is its *primary* demand,
//! the one gaps are measured against; the others are reported beside it.

use ndarray::{Array1, Array2};

use crate::age_grid::{AgeGrid, AgeRange};
use crate::error::{Error, Result};
use crate::path::YearPath;
use crate::population::Population;

/// A service rate with its unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Rate {
    /// Units per 1,000 persons of the base.
    PerThousand(YearPath),
    /// Units per 10,000 persons of the base.
    PerTenThousand(YearPath),
    /// Units per person of the base (a fraction, e.g. 0.15).
    Fraction(YearPath),
}

impl Rate {
    /// Units per person in `year`.
    pub fn per_person(&self, year: f64) -> f64 {
        match self {
            Rate::PerThousand(p) => p.at(year) / 1_000.0,
            Rate::PerTenThousand(p) => p.at(year) / 10_000.0,
            Rate::Fraction(p) => p.at(year),
        }
    }

    /// The path as written.
    pub fn path(&self) -> &YearPath {
        match self {
            Rate::PerThousand(p) | Rate::PerTenThousand(p) | Rate::Fraction(p) => p,
        }
    }

    /// The unit as words, for tables.
    pub fn unit(&self) -> &'static str {
        match self {
            Rate::PerThousand(_) => "per 1,000",
            Rate::PerTenThousand(_) => "per 10,000",
            Rate::Fraction(_) => "fraction",
        }
    }
}

/// How a demand is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum DemandMethod {
    /// A rate times a population base.
    Ratio {
        /// Name of the base as the model writes it ("elderly").
        base_name: String,
        /// The ages of the base.
        base: AgeRange,
        /// The standard.
        rate: Rate,
    },
    /// A fraction of another service's primary demand.
    Share {
        /// Id of the service whose primary demand this is a share of.
        of: String,
        /// The fraction, by year.
        fraction: YearPath,
    },
    /// Persons x prevalence x use x units per user, summed over age and sex.
    Need {
        /// The prevalence table on the projection grid.
        prevalence: Prevalence,
        /// Share of the prevalent who use the service.
        use_rate: YearPath,
        /// Units per user (1 bed; 0.33 caregivers for a 1:3 staff ratio).
        per_user: f64,
    },
    /// A target count, by year.
    Absolute(YearPath),
}

/// A prevalence table (dependency, dementia) on the projection grid, with
/// the uncertainty of its level.
#[derive(Debug, Clone, PartialEq)]
pub struct Prevalence {
    /// Which table this is (its file, as the model resolves it): demands
    /// naming the same table share one draw of its factor per trajectory.
    pub table: String,
    /// Prevalence by sex (rows male, female) and group of the grid.
    pub values: Array2<f64>,
    /// The 90% interval of a factor on every age's prevalence at once
    /// (the table's `low_90`/`high_90` over `prevalence`); `None`: certain.
    pub uncertainty: Option<FactorInterval>,
}

/// One named demand method of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Label in tables (`standard`, `need`, ...).
    pub name: String,
    /// How it is computed.
    pub method: DemandMethod,
    /// Uncertainty in the standard itself (ensembles only).
    pub uncertainty: Option<FactorInterval>,
}

/// z of the 95th percentile of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// Uncertainty in a standard or a table: a 90% interval `[low, high]` of
/// a factor on the demand, around the central value 1 (e.g. `[0.8, 1.25]`:
/// the true prevalence may be 20% lower or 25% higher). Ensembles draw the
/// factor once per trajectory from a split log-normal distribution whose
/// median is 1 (the central value stays the median, as in the deterministic
/// projection) and whose 5th and 95th percentiles are `low` and `high`:
/// `exp(z · ln(low) / -1.645)` for a standard normal `z < 0`,
/// `exp(z · ln(high) / 1.645)` above. A symmetric interval (`low · high = 1`)
/// is a plain log-normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorInterval {
    /// 5th percentile of the factor.
    pub low: f64,
    /// 95th percentile of the factor.
    pub high: f64,
}

impl FactorInterval {
    /// Checks `0 < low <= 1 <= high`, both finite.
    pub fn check(&self) -> Result<()> {
        if !(self.low.is_finite() && self.high.is_finite() && self.low > 0.0) {
            return Err(Error::invalid(
                "uncertainty_90",
                format!("[{}, {}]", self.low, self.high),
                "two finite factors > 0",
            ));
        }
        if !(self.low <= 1.0 && 1.0 <= self.high) {
            return Err(Error::invalid(
                "uncertainty_90",
                format!("[{}, {}]", self.low, self.high),
                "[low, high] with low <= 1 <= high (factors on the central value)",
            ));
        }
        Ok(())
    }

    /// Standard deviation of the log factor below the median.
    pub fn log_sd_low(&self) -> f64 {
        -self.low.ln() / Z95
    }

    /// Standard deviation of the log factor above the median.
    pub fn log_sd_high(&self) -> f64 {
        self.high.ln() / Z95
    }

    /// The factor at standard normal deviate `z`.
    pub fn factor(&self, z: f64) -> f64 {
        if z < 0.0 {
            (z * self.log_sd_low()).exp()
        } else {
            (z * self.log_sd_high()).exp()
        }
    }
}

/// A demand in one year as a linear function of the population counts:
/// `scale · Σ basis ⊙ counts + constant`. Every method is of this form, so
/// ensembles compute demand per trajectory from a few weighted sums.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearDemand {
    /// Weights by sex (rows male, female) and group; `None`: no
    /// population term.
    pub basis: Option<Array2<f64>>,
    /// Factor on the weighted sum.
    pub scale: f64,
    /// Term that does not depend on the population.
    pub constant: f64,
}

impl LinearDemand {
    /// The demand for `pop`.
    pub fn apply(&self, pop: &Population) -> f64 {
        let term = self
            .basis
            .as_ref()
            .map_or(0.0, |b| (b * pop.counts()).sum());
        self.scale * term + self.constant
    }
}

/// A service a plan provides.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Id used in tables and in `of` references.
    pub id: String,
    /// Label in English.
    pub label: String,
    /// Label in Chinese, if the model gives one.
    pub label_zh: Option<String>,
    /// Unit of counts: "beds", "persons", "places", "m2".
    pub unit: String,
    /// Demand methods; the first is the primary one.
    pub demands: Vec<Demand>,
    /// Planned supply, if the plan states one.
    pub supply: Option<crate::plan::Supply>,
    /// Whether the planned supply arrives (delivery, attrition); `None`:
    /// as planned.
    pub supply_risk: Option<crate::plan::SupplyRisk>,
    /// The most the service can add in a year (its build or training
    /// capacity), which the robust build schedule respects; `None`: no
    /// limit.
    pub max_build_per_year: Option<f64>,
}

/// Population bases every model knows unless it redefines them: the
/// elderly are those aged 60+ (China's statutory definition of 老年人, Law
/// on the Protection of the Rights and Interests of the Elderly, art. 2),
/// residents everyone, and children under three the ages 0-2 that nursery
/// standards count.
pub const DEFAULT_BASES: [(&str, &str); 3] = [
    ("elderly", "60+"),
    ("residents", "0+"),
    ("under_three", "0-2"),
];

/// A capacity read as the rate of a ratio standard: "27.1 per 10,000
/// elderly".
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityRate<'a> {
    /// The rate, in `unit`.
    pub rate: f64,
    /// The rate's unit, e.g. `per 10,000`.
    pub unit: &'static str,
    /// What the rate is of, e.g. `elderly`.
    pub base_name: &'a str,
}

impl Service {
    /// `capacity` as the rate of the service's primary standard in `year`,
    /// when that standard is a ratio: the standard scaled by `capacity`
    /// over the demand it gives (`demand`, e.g. the median projection's).
    /// `None` for other standards or a demand that is not positive.
    pub fn capacity_as_rate(
        &self,
        year: i32,
        capacity: f64,
        demand: f64,
    ) -> Option<CapacityRate<'_>> {
        let DemandMethod::Ratio {
            base_name, rate, ..
        } = &self.demands.first()?.method
        else {
            return None;
        };
        (demand > 0.0).then(|| CapacityRate {
            rate: rate.path().at(f64::from(year)) * capacity / demand,
            unit: rate.unit(),
            base_name,
        })
    }
}

/// What a fraction must be, in every message about one.
pub const FRACTION_EXPECTED: &str = "a fraction in [0, 1] (27.58% is 0.2758, or write \"27.58%\")";

/// Checks that every point of `path` is in `[lo, hi]`.
pub fn check_path_range(what: &str, path: &YearPath, lo: f64, hi: f64) -> Result<()> {
    for &(y, v) in path.points() {
        if !(v >= lo && v <= hi) {
            let when = if path.points().len() == 1 {
                String::new()
            } else {
                format!(" in {y}")
            };
            return Err(Error::invalid(
                format!("{what}{when}"),
                v,
                if hi.is_infinite() {
                    format!("a value >= {lo}")
                } else if (lo, hi) == (0.0, 1.0) {
                    FRACTION_EXPECTED.to_string()
                } else {
                    format!("a value between {lo} and {hi}")
                },
            ));
        }
    }
    Ok(())
}

/// The error for a share of a service not defined before it.
fn unknown_parent(of: &str) -> Error {
    Error::invalid(
        "share of",
        format!("service {of:?}"),
        "a service defined before this one",
    )
}

impl DemandMethod {
    /// Checks values: rates >= 0, fractions within [0, 1].
    pub fn check(&self) -> Result<()> {
        match self {
            DemandMethod::Ratio { rate, .. } => match rate {
                Rate::Fraction(p) => check_path_range("fraction", p, 0.0, 1.0),
                Rate::PerThousand(p) => check_path_range("per_1000", p, 0.0, 1_000.0),
                Rate::PerTenThousand(p) => check_path_range("per_10000", p, 0.0, 10_000.0),
            },
            DemandMethod::Share { fraction, .. } => {
                check_path_range("fraction", fraction, 0.0, 1.0)
            }
            DemandMethod::Need {
                prevalence,
                use_rate,
                per_user,
            } => {
                if let Some(v) = prevalence
                    .values
                    .iter()
                    .find(|v| !(**v >= 0.0 && **v <= 1.0))
                {
                    return Err(Error::invalid("prevalence", v, FRACTION_EXPECTED));
                }
                check_path_range("use_rate", use_rate, 0.0, 1.0)?;
                if !(per_user.is_finite() && *per_user >= 0.0) {
                    return Err(Error::invalid("per_user", per_user, "a number >= 0"));
                }
                Ok(())
            }
            DemandMethod::Absolute(p) => check_path_range("value", p, 0.0, f64::INFINITY),
        }
    }

    /// The same method with its target (the last value of its rate,
    /// fraction, use rate or count path) set to `value`, checked.
    pub fn with_target(&self, value: f64) -> Result<DemandMethod> {
        let method = match self {
            DemandMethod::Ratio {
                base_name,
                base,
                rate,
            } => {
                let path = rate.path().with_target("standard", value)?;
                DemandMethod::Ratio {
                    base_name: base_name.clone(),
                    base: *base,
                    rate: match rate {
                        Rate::PerThousand(_) => Rate::PerThousand(path),
                        Rate::PerTenThousand(_) => Rate::PerTenThousand(path),
                        Rate::Fraction(_) => Rate::Fraction(path),
                    },
                }
            }
            DemandMethod::Share { of, fraction } => DemandMethod::Share {
                of: of.clone(),
                fraction: fraction.with_target("fraction", value)?,
            },
            DemandMethod::Need {
                prevalence,
                use_rate,
                per_user,
            } => DemandMethod::Need {
                prevalence: prevalence.clone(),
                use_rate: use_rate.with_target("use_rate", value)?,
                per_user: *per_user,
            },
            DemandMethod::Absolute(p) => DemandMethod::Absolute(p.with_target("value", value)?),
        };
        method.check()?;
        Ok(method)
    }

    /// Demand in `year` for population `pop`; `primary_of` gives another
    /// service's primary demand in the same year (for `Share`).
    pub fn demand(
        &self,
        pop: &Population,
        year: f64,
        primary_of: &dyn Fn(&str) -> Option<f64>,
    ) -> Result<f64> {
        Ok(match self {
            DemandMethod::Ratio { base, rate, .. } => {
                pop.aged(base.from, base.to) * rate.per_person(year)
            }
            DemandMethod::Share { of, fraction } => {
                let parent = primary_of(of).ok_or_else(|| unknown_parent(of))?;
                parent * fraction.at(year)
            }
            DemandMethod::Need {
                prevalence,
                use_rate,
                per_user,
            } => {
                if prevalence.values.dim() != pop.counts().dim() {
                    return Err(Error::invalid(
                        "prevalence table",
                        format!("{:?}", prevalence.values.dim()),
                        format!("the population's shape {:?}", pop.counts().dim()),
                    ));
                }
                (pop.counts() * &prevalence.values).sum() * use_rate.at(year) * per_user
            }
            DemandMethod::Absolute(p) => p.at(year),
        })
    }

    /// This method in `year` as a linear function of the counts on `grid`;
    /// `primary_of` gives another service's primary demand in the same form.
    pub fn linear(
        &self,
        grid: AgeGrid,
        year: f64,
        primary_of: &dyn Fn(&str) -> Option<LinearDemand>,
    ) -> Result<LinearDemand> {
        Ok(match self {
            DemandMethod::Ratio { base, rate, .. } => {
                let row = Array1::from_iter(
                    (0..grid.len()).map(|i| grid.fraction_in(i, base.from, base.to)),
                );
                LinearDemand {
                    basis: Some(ndarray::stack![ndarray::Axis(0), row, row]),
                    scale: rate.per_person(year),
                    constant: 0.0,
                }
            }
            DemandMethod::Share { of, fraction } => {
                let parent = primary_of(of).ok_or_else(|| unknown_parent(of))?;
                let f = fraction.at(year);
                LinearDemand {
                    basis: parent.basis,
                    scale: parent.scale * f,
                    constant: parent.constant * f,
                }
            }
            DemandMethod::Need {
                prevalence,
                use_rate,
                per_user,
            } => {
                if prevalence.values.dim() != (2, grid.len()) {
                    return Err(Error::invalid(
                        "prevalence table",
                        format!("{:?}", prevalence.values.dim()),
                        format!("the grid's shape {:?}", (2, grid.len())),
                    ));
                }
                LinearDemand {
                    basis: Some(prevalence.values.clone()),
                    scale: use_rate.at(year) * per_user,
                    constant: 0.0,
                }
            }
            DemandMethod::Absolute(p) => LinearDemand {
                basis: None,
                scale: 0.0,
                constant: p.at(year),
            },
        })
    }
}
