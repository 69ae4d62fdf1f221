//! What a plan supplies: a stock and targets by year, or a build rate.
//!
//! Targets are interpolated linearly between plan years (capacity is built
//! over the period), or as steps where a plan fixes a level from a year on
//! ("by 2025": the stock stays at the previous level until the target year).
//! Outside its points a supply path is held constant.

use crate::error::{Error, Result};

/// Interpolation of supply targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// Straight lines between targets.
    #[default]
    Linear,
    /// Each target held until the next.
    Step,
}

/// Planned supply of a service.
#[derive(Debug, Clone, PartialEq)]
pub enum Supply {
    /// Stock and targets `(year, value)`, strictly increasing years.
    Points {
        /// `(year, stock)` pairs.
        points: Vec<(f64, f64)>,
        /// How stock runs between the points.
        interpolation: Interpolation,
    },
    /// A stock in `year`, growing by `per_year` (possibly negative) after it.
    BuildRate {
        /// Year of the stock.
        year: f64,
        /// Stock in that year.
        stock: f64,
        /// Net additions a year after it.
        per_year: f64,
    },
    /// The plan states no supply: demand is reported, no gap.
    Unknown,
}

impl Supply {
    /// Checks years and values.
    pub fn check(&self) -> Result<()> {
        match self {
            Supply::Points { points, .. } => {
                if points.is_empty() {
                    return Err(Error::invalid(
                        "supply points",
                        "none",
                        "at least one [year, value]",
                    ));
                }
                for w in points.windows(2) {
                    if w[1].0 <= w[0].0 {
                        return Err(Error::invalid(
                            "supply years",
                            format!("{} after {}", w[1].0, w[0].0),
                            "strictly increasing years",
                        ));
                    }
                }
                if let Some((y, v)) = points.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
                    return Err(Error::invalid(format!("supply in {y}"), v, "a count >= 0"));
                }
                Ok(())
            }
            Supply::BuildRate {
                stock, per_year, ..
            } => {
                if !(stock.is_finite() && *stock >= 0.0) {
                    return Err(Error::invalid("supply stock", stock, "a count >= 0"));
                }
                if !per_year.is_finite() {
                    return Err(Error::invalid(
                        "supply per_year",
                        per_year,
                        "a finite number",
                    ));
                }
                Ok(())
            }
            Supply::Unknown => Ok(()),
        }
    }

    /// Supply in `year`; `None` when unknown.
    pub fn at(&self, year: f64) -> Option<f64> {
        match self {
            Supply::Points {
                points,
                interpolation,
            } => {
                let first = points.first()?;
                if year <= first.0 {
                    return Some(first.1);
                }
                for w in points.windows(2) {
                    let ((y0, v0), (y1, v1)) = (w[0], w[1]);
                    if year < y1 {
                        return Some(match interpolation {
                            Interpolation::Linear => v0 + (v1 - v0) * (year - y0) / (y1 - y0),
                            Interpolation::Step => v0,
                        });
                    }
                }
                points.last().map(|p| p.1)
            }
            Supply::BuildRate {
                year: y0,
                stock,
                per_year,
            } => Some((stock + per_year * (year - y0).max(0.0)).max(0.0)),
            Supply::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_step_supply() {
        let pts = vec![(2020.0, 100.0), (2025.0, 200.0)];
        let lin = Supply::Points {
            points: pts.clone(),
            interpolation: Interpolation::Linear,
        };
        let step = Supply::Points {
            points: pts,
            interpolation: Interpolation::Step,
        };
        assert_eq!(lin.at(2022.0), Some(140.0));
        assert_eq!(step.at(2022.0), Some(100.0));
        assert_eq!(step.at(2025.0), Some(200.0));
        assert_eq!(lin.at(2030.0), Some(200.0));
        assert_eq!(lin.at(2010.0), Some(100.0));
        let build = Supply::BuildRate {
            year: 2020.0,
            stock: 50.0,
            per_year: 10.0,
        };
        assert_eq!(build.at(2023.0), Some(80.0));
        assert!(Supply::Points {
            points: vec![(2025.0, 1.0), (2020.0, 2.0)],
            interpolation: Interpolation::Linear
        }
        .check()
        .is_err());
    }
}
