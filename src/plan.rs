//! What a plan supplies: a stock and targets by year, or a build rate.
//!
//! Targets are interpolated linearly between plan years (capacity is built
//! over the period), or as steps where a plan fixes a level from a year on
//! ("by 2025": the stock stays at the previous level until the target year).
//! Outside its points a supply path is held constant.
//!
//! Whether the supply arrives is uncertain too ([`SupplyRisk`]): part of
//! the planned additions may come late, and staff leave faster than the
//! plan's recruitment allows for ([`realised_supply`]).

use crate::age_grid::AgeRange;
use crate::error::{Error, Result};
use crate::standards::Rate;

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
    /// Targets written as a ratio of a population base ("27 caregivers per
    /// 10,000 elderly"), turned into counts at the rate's years on a
    /// population (see [`SupplyRatio`]), then run as [`Supply::Points`].
    Ratio {
        /// The ratio as the plan writes it.
        ratio: SupplyRatio,
        /// `(year, count)` at the rate's years; empty until resolved.
        points: Vec<(f64, f64)>,
        /// How stock runs between the points.
        interpolation: Interpolation,
    },
    /// The plan states no supply: demand is reported, no gap.
    Unknown,
}

/// A supply target as a ratio of a population base.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyRatio {
    /// The base as the model names it ("elderly").
    pub base_name: String,
    /// Its ages.
    pub base: AgeRange,
    /// Units per person (per 1,000 or 10,000) by year.
    pub rate: Rate,
    /// The population the ratio is resolved on.
    pub on: RatioPopulation,
}

/// The population a ratio supply is resolved on.
#[derive(Debug, Clone, PartialEq)]
pub enum RatioPopulation {
    /// The base population of this scenario's deterministic projection:
    /// the count the plan builds for the future it expects, which every
    /// scenario and trajectory is then tested against.
    Scenario(String),
    /// The base population the plan states, `(year, persons)`, linear
    /// between its years and held outside them.
    Stated(Vec<(f64, f64)>),
}

impl SupplyRatio {
    /// Counts at the rate's years, the base population of each year given
    /// by `base_at` (`None`: not available in that year).
    pub fn resolve(&self, base_at: &dyn Fn(f64) -> Option<f64>) -> Result<Vec<(f64, f64)>> {
        self.rate
            .path()
            .points()
            .iter()
            .map(|&(year, _)| {
                let persons = base_at(year).ok_or_else(|| {
                    Error::invalid(
                        format!("supply ratio in {year}"),
                        "a year outside the projection",
                        "target years from the base year to the end year",
                    )
                })?;
                Ok((year, self.rate.per_person(year) * persons))
            })
            .collect()
    }

    /// `27 per 10,000 elderly`-style words for year `year`.
    pub fn describe(&self, year: f64) -> String {
        let v = self.rate.path().at(year);
        match self.rate {
            Rate::Fraction(_) => format!("{:.4} per person of {}", v, self.base_name),
            _ => format!("{} {} {}", v, self.rate.unit(), self.base_name),
        }
    }

    /// [`SupplyRatio::describe`] in Chinese: "每万名老年人 27".
    pub fn describe_zh(&self, year: f64) -> String {
        let v = self.rate.path().at(year);
        let base = base_label_zh(&self.base_name);
        match self.rate {
            Rate::Fraction(_) => format!("{base}每人 {v:.4}"),
            Rate::PerThousand(_) => format!("每千名{base} {v}"),
            Rate::PerTenThousand(_) => format!("每万名{base} {v}"),
        }
    }
}

/// A population base's name in Chinese, for the default bases (others as
/// the model names them).
pub fn base_label_zh(name: &str) -> &str {
    match name {
        "elderly" => "老年人",
        "residents" => "常住人口",
        "under_three" => "3岁以下婴幼儿",
        other => other,
    }
}

/// Linear interpolation in `points` (held outside them), as a stated population.
pub fn linear_at(points: &[(f64, f64)], year: f64) -> Option<f64> {
    points_at(points, Interpolation::Linear, year)
}

fn points_at(points: &[(f64, f64)], interpolation: Interpolation, year: f64) -> Option<f64> {
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
            Supply::Ratio { points, .. } if points.is_empty() => Ok(()),
            Supply::Ratio {
                points,
                interpolation,
                ..
            } => Supply::Points {
                points: points.clone(),
                interpolation: *interpolation,
            }
            .check(),
            Supply::Unknown => Ok(()),
        }
    }

    /// The stated targets `(year, count)`, for points and resolved ratios.
    pub fn targets(&self) -> Option<&[(f64, f64)]> {
        match self {
            Supply::Points { points, .. } | Supply::Ratio { points, .. } => Some(points),
            _ => None,
        }
    }

    /// Supply in `year`; `None` when unknown.
    pub fn at(&self, year: f64) -> Option<f64> {
        match self {
            Supply::Points {
                points,
                interpolation,
            }
            | Supply::Ratio {
                points,
                interpolation,
                ..
            } => points_at(points, *interpolation, year),
            Supply::BuildRate {
                year: y0,
                stock,
                per_year,
            } => Some((stock + per_year * (year - y0).max(0.0)).max(0.0)),
            Supply::Unknown => None,
        }
    }
}

/// 1.645: the standard normal's 95th percentile.
const Z95: f64 = 1.644_853_626_951_472_2;

/// A value drawn from a split normal: median `central`, 5th percentile
/// `low`, 95th percentile `high` (`low <= central <= high`), clamped to
/// `[min, max]`.
fn split_normal(central: f64, low: f64, high: f64, z: f64, min: f64, max: f64) -> f64 {
    let sd = if z < 0.0 {
        central - low
    } else {
        high - central
    } / Z95;
    (central + z * sd).clamp(min, max)
}

/// Whether the plan's supply arrives: the share of planned additions
/// delivered on time and, for staff, the annual attrition against the
/// recruitment the plan implies. Each part is drawn once per trajectory
/// and service (see [`realised_supply`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupplyRisk {
    /// Share of the planned additions (the change from the first year's
    /// stock) delivered by their year.
    pub delivery: Option<DeliveryShare>,
    /// Annual attrition of the stock (staff who leave).
    pub attrition: Option<Attrition>,
}

/// The share of planned additions delivered on time: a split normal with
/// median `central` and 90% interval `low..high`, clamped to `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryShare {
    /// Median share.
    pub central: f64,
    /// 5th percentile.
    pub low: f64,
    /// 95th percentile.
    pub high: f64,
}

/// Annual attrition: the rate actually drawn is a split normal with median
/// `rate` and 90% interval `low..high`, clamped to `[0, MAX_ATTRITION]`;
/// the plan recruits as if the rate were `planned`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attrition {
    /// Median annual rate.
    pub rate: f64,
    /// 5th percentile of the annual rate.
    pub low: f64,
    /// 95th percentile of the annual rate.
    pub high: f64,
    /// The annual rate the plan's recruitment allows for.
    pub planned: f64,
}

/// The largest annual attrition a draw can take.
pub const MAX_ATTRITION: f64 = 0.99;

impl DeliveryShare {
    /// Checks `0 < low <= central <= high <= 1`.
    pub fn check(&self) -> Result<()> {
        let DeliveryShare { central, low, high } = *self;
        if ![low, central, high]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0 && *v <= 1.0)
        {
            return Err(Error::invalid(
                "delivery_90",
                format!("[{low}, {high}] around {central}"),
                "shares of the planned additions in (0, 1]",
            ));
        }
        if !(low <= central && central <= high) {
            return Err(Error::invalid(
                "delivery_90",
                format!("[{low}, {high}] around {central}"),
                "[low, high] with low <= delivery <= high",
            ));
        }
        Ok(())
    }

    /// The share at standard normal deviate `z`.
    pub fn share(&self, z: f64) -> f64 {
        split_normal(self.central, self.low, self.high, z, 0.0, 1.0)
    }
}

impl Attrition {
    /// Checks every rate in `[0, 1)` and `low <= rate <= high`.
    pub fn check(&self) -> Result<()> {
        let Attrition {
            rate,
            low,
            high,
            planned,
        } = *self;
        if ![low, rate, high, planned]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0 && *v < 1.0)
        {
            return Err(Error::invalid(
                "attrition",
                format!("{rate} (90%: [{low}, {high}]; planned {planned})"),
                "annual rates in [0, 1)",
            ));
        }
        if !(low <= rate && rate <= high) {
            return Err(Error::invalid(
                "attrition_90",
                format!("[{low}, {high}] around {rate}"),
                "[low, high] with low <= attrition <= high",
            ));
        }
        Ok(())
    }

    /// The annual rate at standard normal deviate `z`.
    pub fn rate_at(&self, z: f64) -> f64 {
        split_normal(self.rate, self.low, self.high, z, 0.0, MAX_ATTRITION)
    }
}

impl SupplyRisk {
    /// Checks both parts.
    pub fn check(&self) -> Result<()> {
        if let Some(d) = &self.delivery {
            d.check()?;
        }
        if let Some(a) = &self.attrition {
            a.check()?;
        }
        Ok(())
    }
}

/// The supply that arrives in `years` when the plan's stock is `planned`
/// (one value per year), a share `delivery` of the planned additions is
/// delivered, and a share `attrition` of the stock leaves every year while
/// the plan recruits for a rate `planned_attrition`:
///
/// - delivered target `D(y) = P(y0) + delivery · (P(y) − P(y0))`, `y0`
///   the first year;
/// - the plan's recruitment over a step of `h` years
///   `R = D(y + h) − D(y) · (1 − planned_attrition)^h`;
/// - the stock `N(y0) = D(y0)`, `N(y + h) = N(y) · (1 − attrition)^h + R`,
///   never below 0.
///
/// With `delivery = 1` and `attrition = planned_attrition` this is the
/// plan's path. Writes into `out` (same length as `years`).
pub fn realised_supply(
    planned: &[f64],
    years: &[i32],
    delivery: f64,
    attrition: f64,
    planned_attrition: f64,
    out: &mut [f64],
) {
    // One trajectory: the many-trajectory path with one lane.
    realised_supply_lanes(
        planned,
        years,
        &[delivery],
        &[attrition],
        &[planned_attrition],
        out,
    );
}

/// [`realised_supply`] of many trajectories at once: trajectory `t` has
/// `delivery[t]`, `attrition[t]` and `planned_attrition[t]`, and its path
/// is written to `out[y·count + t]` (`count = delivery.len()`). The same
/// arithmetic in the same order per trajectory, years outer and
/// trajectories inner, so the steps of different trajectories overlap
/// (one trajectory's path is a chain of dependent steps). The steps'
/// powers are computed again only when the step's length changes.
pub fn realised_supply_lanes(
    planned: &[f64],
    years: &[i32],
    delivery: &[f64],
    attrition: &[f64],
    planned_attrition: &[f64],
    out: &mut [f64],
) {
    let count = delivery.len();
    let Some(&first) = planned.first() else {
        return;
    };
    out[..count].fill(first);
    let (mut stays, mut stays_planned) = (vec![1.0; count], vec![1.0; count]);
    let mut step = 0;
    for i in 1..planned.len() {
        let h = years[i] - years[i - 1];
        if h != step {
            step = h;
            // A power of one is the base itself (as `powi(1)` gives it).
            let power = |x: f64| if h == 1 { x } else { x.powi(h) };
            for t in 0..count {
                stays[t] = power(1.0 - attrition[t]);
                stays_planned[t] = power(1.0 - planned_attrition[t]);
            }
        }
        let (done, rest) = out.split_at_mut(i * count);
        let previous = &done[(i - 1) * count..];
        let now = &mut rest[..count];
        let (p_now, p_before) = (planned[i] - first, planned[i - 1] - first);
        for t in 0..count {
            let d = delivery[t];
            let recruited = (first + d * p_now) - (first + d * p_before) * stays_planned[t];
            now[t] = (previous[t] * stays[t] + recruited).max(0.0);
        }
    }
}

/// One year of a robust build schedule (see [`robust_schedule`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustStep {
    /// Year.
    pub year: i32,
    /// Stock that must be in service in that year.
    pub stock_needed: f64,
    /// Additions since the previous year of the schedule (0 in the first
    /// year, whose stock is the existing one).
    pub additions: f64,
    /// The plan's stock in that year.
    pub planned: f64,
    /// `stock_needed − planned` (negative: the plan has more).
    pub extra_vs_plan: f64,
    /// The highest requirement from the year after the base year up to
    /// this year (0 in the base year, whose requirement does not count):
    /// below the existing stock, that stock covers the need.
    pub peak_required: f64,
}

impl RobustStep {
    /// What the existing stock (`existing`, the base year's) has to spare
    /// over every requirement up to this year; `None` when it does not
    /// cover them.
    pub fn spare_in_existing(&self, existing: f64) -> Option<f64> {
        (self.peak_required < existing).then_some(existing - self.peak_required)
    }
}

/// The smallest non-decreasing stock path from the existing stock
/// (`planned[0]`, in the first year) that meets `required` in every later
/// year, building at most `max_build_per_year` a year where given.
///
/// `required` is what must be in service each year (for a risk level α,
/// the demand's 1 − α quantile: then P(demand > stock) <= α in every
/// year). The first year is the base year: its stock exists and nothing
/// can be built in it, so its requirement does not count (a shortfall
/// there is a fact of the base, not a build target). The path is the
/// running maximum of the later requirements from the existing stock; a
/// build limit then moves additions earlier, backwards from the last year,
/// `s(y) = max(s(y), s(y + h) − limit · h)`, down to the second year (whose
/// additions exceed the limit only when even building at the limit from
/// the start could not meet a requirement). `years`, `required` and
/// `planned` have the same length.
pub fn robust_schedule(
    years: &[i32],
    required: &[f64],
    planned: &[f64],
    max_build_per_year: Option<f64>,
) -> Vec<RobustStep> {
    let n = years.len().min(required.len()).min(planned.len());
    if n == 0 {
        return Vec::new();
    }
    let mut stock = vec![planned[0]; n];
    let mut peak = vec![0.0; n];
    for i in 1..n {
        peak[i] = if i == 1 {
            required[1]
        } else {
            peak[i - 1].max(required[i])
        };
        stock[i] = planned[0].max(peak[i]);
    }
    if let Some(limit) = max_build_per_year {
        for i in (1..n - 1).rev() {
            let h = f64::from(years[i + 1] - years[i]);
            stock[i] = stock[i].max(stock[i + 1] - limit * h);
        }
    }
    (0..n)
        .map(|i| RobustStep {
            year: years[i],
            stock_needed: stock[i],
            additions: stock[i] - if i == 0 { planned[0] } else { stock[i - 1] },
            planned: planned[i],
            extra_vs_plan: stock[i] - planned[i],
            peak_required: peak[i],
        })
        .collect()
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

    #[test]
    fn realised_supply_is_the_plan_when_delivered_and_recruited_as_planned() {
        let years = [2021, 2022, 2025, 2030];
        let planned = [1837.0, 2169.0, 3110.0, 3110.0];
        let mut out = [0.0; 4];
        for a in [0.0, 0.3] {
            realised_supply(&planned, &years, 1.0, a, a, &mut out);
            for (o, p) in out.iter().zip(&planned) {
                assert!((o - p).abs() < 1e-9, "{out:?}");
            }
        }
    }

    /// Many trajectories at once give each trajectory's path bit for bit,
    /// over steps of one and of several years (a path clamped at 0 too).
    #[test]
    fn realised_supply_lanes_is_each_trajectory_path() {
        let years = [2021, 2022, 2023, 2025, 2030, 2031];
        let planned = [1837.0, 2169.0, 2400.5, 3110.0, 3110.0, 2000.0];
        let delivery = [1.0, 0.62, 0.9, 0.35, 1.0];
        let attrition = [0.0, 0.17, 0.05, 0.9, 0.12];
        let planned_attrition = [0.0, 0.1, 0.1, 0.0, 0.12];
        let count = delivery.len();
        let mut out = vec![f64::NAN; years.len() * count];
        realised_supply_lanes(
            &planned,
            &years,
            &delivery,
            &attrition,
            &planned_attrition,
            &mut out,
        );
        let mut one = [0.0; 6];
        for t in 0..count {
            realised_supply(
                &planned,
                &years,
                delivery[t],
                attrition[t],
                planned_attrition[t],
                &mut one,
            );
            for (y, &v) in one.iter().enumerate() {
                assert_eq!(out[y * count + t].to_bits(), v.to_bits(), "t {t}, y {y}");
            }
        }
        // The cut in the last year takes trajectory 3 below 0: clamped.
        assert_eq!(out[5 * count + 3], 0.0);
    }

    #[test]
    fn realised_supply_by_hand() {
        // Half the additions delivered, no attrition: 100 + 0.5 · 100.
        let mut out = [0.0; 2];
        realised_supply(&[100.0, 200.0], &[2020, 2025], 0.5, 0.0, 0.0, &mut out);
        assert_eq!(out, [100.0, 150.0]);
        // A flat stock of 100 recruited for 10% a year while 20% leave:
        // N(1) = 100 · 0.8 + (100 − 100 · 0.9) = 90, N(2) = 90 · 0.8 + 10 = 82.
        let mut out = [0.0; 3];
        realised_supply(&[100.0; 3], &[2020, 2021, 2022], 1.0, 0.2, 0.1, &mut out);
        assert!(
            (out[1] - 90.0).abs() < 1e-9 && (out[2] - 82.0).abs() < 1e-9,
            "{out:?}"
        );
        // A 5-year step compounds: 100 · 0.8^5 + (100 − 100 · 0.9^5).
        let mut out = [0.0; 2];
        realised_supply(&[100.0; 2], &[2020, 2025], 1.0, 0.2, 0.1, &mut out);
        let expected = 100.0 * 0.8f64.powi(5) + 100.0 - 100.0 * 0.9f64.powi(5);
        assert!((out[1] - expected).abs() < 1e-9);
    }

    #[test]
    fn robust_schedule_by_hand() {
        let years = [2020, 2025, 2030, 2035];
        let planned = [100.0, 150.0, 200.0, 200.0];
        // The base year's requirement does not count (its stock exists);
        // requirements that dip are held: 180, 160 -> 180, 260.
        let s = robust_schedule(&years, &[190.0, 180.0, 160.0, 260.0], &planned, None);
        let stock: Vec<f64> = s.iter().map(|r| r.stock_needed).collect();
        assert_eq!(stock, [100.0, 180.0, 180.0, 260.0]);
        let adds: Vec<f64> = s.iter().map(|r| r.additions).collect();
        assert_eq!(adds, [0.0, 80.0, 0.0, 80.0]);
        let peaks: Vec<f64> = s.iter().map(|r| r.peak_required).collect();
        assert_eq!(peaks, [0.0, 180.0, 180.0, 260.0]);
        assert_eq!(s[1].extra_vs_plan, 30.0);
        assert_eq!(s[2].extra_vs_plan, -20.0);
        // Below the existing stock: the existing stock.
        let s = robust_schedule(&years, &[0.0, 50.0, 90.0, 120.0], &planned, None);
        let stock: Vec<f64> = s.iter().map(|r| r.stock_needed).collect();
        assert_eq!(stock, [100.0, 100.0, 100.0, 120.0]);
        // At most 10 a year: 260 in 2035 needs 210 by 2030, 180 by 2025;
        // at most 5 a year: 260 needs 235, then 210 (above 180), and 110
        // more in the first step than the limit allows (the limit cannot
        // be met from 100).
        let s = robust_schedule(&years, &[90.0, 180.0, 160.0, 260.0], &planned, Some(10.0));
        let stock: Vec<f64> = s.iter().map(|r| r.stock_needed).collect();
        assert_eq!(stock, [100.0, 180.0, 210.0, 260.0]);
        let s = robust_schedule(&years, &[90.0, 180.0, 160.0, 260.0], &planned, Some(5.0));
        let stock: Vec<f64> = s.iter().map(|r| r.stock_needed).collect();
        assert_eq!(stock, [100.0, 210.0, 235.0, 260.0]);
        assert_eq!(s[1].additions, 110.0);
        assert!(s.windows(2).all(|w| w[1].stock_needed >= w[0].stock_needed));
        assert!(robust_schedule(&[], &[], &[], None).is_empty());
    }

    #[test]
    fn supply_risk_bounds() {
        let d = |central, low, high| DeliveryShare { central, low, high };
        assert!(d(0.9, 0.7, 1.0).check().is_ok());
        assert!(d(0.9, 0.0, 1.0).check().is_err());
        assert!(d(0.9, 0.7, 1.2).check().is_err());
        assert!(d(0.6, 0.7, 1.0).check().is_err());
        assert_eq!(d(0.9, 0.7, 1.0).share(0.0), 0.9);
        assert!((d(0.9, 0.7, 1.0).share(-Z95) - 0.7).abs() < 1e-12);
        assert_eq!(d(0.9, 0.7, 1.0).share(5.0), 1.0);
        let a = |rate, low, high, planned| Attrition {
            rate,
            low,
            high,
            planned,
        };
        assert!(a(0.3, 0.2, 0.45, 0.3).check().is_ok());
        assert!(a(0.3, 0.2, 1.0, 0.3).check().is_err());
        assert!(a(0.3, -0.1, 0.45, 0.3).check().is_err());
        assert!(a(0.3, 0.2, 0.45, 1.0).check().is_err());
        assert!(a(0.5, 0.2, 0.45, 0.3).check().is_err());
        assert!((a(0.3, 0.2, 0.45, 0.3).rate_at(Z95) - 0.45).abs() < 1e-12);
        assert_eq!(a(0.3, 0.2, 0.45, 0.3).rate_at(-9.0), 0.0);
    }
}
