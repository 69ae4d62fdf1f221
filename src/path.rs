//! Values that change over years: a TFR path 1.62 -> 0.81, an e0 target,
//! a service standard 16 -> 21 -> 27.
//!
//! A path is given by points `(year, value)` with strictly increasing years
//! and interpolated linearly between them; before the first point and after
//! the last it stays constant.

use crate::error::{Error, Result};

/// A piecewise-linear path over years.
#[derive(Debug, Clone, PartialEq)]
pub struct YearPath {
    points: Vec<(f64, f64)>,
}

impl YearPath {
    /// A path through `points`; years must increase strictly, values be finite.
    pub fn new(what: &str, points: Vec<(f64, f64)>) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::invalid(
                what,
                "no points",
                "at least one (year, value)",
            ));
        }
        for w in points.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err(Error::invalid(
                    format!("{what}: years"),
                    format!("{} after {}", w[1].0, w[0].0),
                    "strictly increasing years",
                ));
            }
        }
        if let Some((y, v)) = points
            .iter()
            .find(|(y, v)| !y.is_finite() || !v.is_finite())
        {
            let when = if points.len() == 1 {
                String::new()
            } else {
                format!(" in {y}")
            };
            return Err(Error::invalid(
                format!("{what}{when}"),
                v,
                "a finite number",
            ));
        }
        Ok(YearPath { points })
    }

    /// The same path with its last value (the target) set to `value`.
    pub fn with_target(&self, what: &str, value: f64) -> Result<Self> {
        let mut points = self.points.clone();
        if let Some(last) = points.last_mut() {
            last.1 = value;
        }
        YearPath::new(what, points)
    }

    /// The path plus `gain · (year − from) / (to − from)`, the added amount
    /// held at 0 before `from` and at `gain` after `to`.
    pub fn with_ramp(&self, what: &str, gain: f64, from: f64, to: f64) -> Result<Self> {
        let ramp = |y: f64| {
            if to <= from {
                if y >= to {
                    gain
                } else {
                    0.0
                }
            } else {
                gain * ((y - from) / (to - from)).clamp(0.0, 1.0)
            }
        };
        let mut years: Vec<f64> = self.points.iter().map(|p| p.0).collect();
        years.extend([from, to]);
        years.sort_by(f64::total_cmp);
        years.dedup();
        YearPath::new(
            what,
            years
                .into_iter()
                .map(|y| (y, self.at(y) + ramp(y)))
                .collect(),
        )
    }

    /// A path that never changes.
    pub fn constant(value: f64) -> Self {
        YearPath {
            points: vec![(0.0, value)],
        }
    }

    /// The value at (fractional) `year`.
    pub fn at(&self, year: f64) -> f64 {
        let p = &self.points;
        if year <= p[0].0 {
            return p[0].1;
        }
        for w in p.windows(2) {
            let ((y0, v0), (y1, v1)) = (w[0], w[1]);
            if year <= y1 {
                return v0 + (v1 - v0) * (year - y0) / (y1 - y0);
            }
        }
        p[p.len() - 1].1
    }

    /// Mean of the path over `[from, to]` (exact for a piecewise-linear path).
    pub fn mean_over(&self, from: f64, to: f64) -> f64 {
        if to <= from {
            return self.at(from);
        }
        // Integrate over breakpoints inside the interval with the trapezoid rule.
        let mut xs = vec![from];
        xs.extend(
            self.points
                .iter()
                .map(|p| p.0)
                .filter(|&y| y > from && y < to),
        );
        xs.push(to);
        let area: f64 = xs
            .windows(2)
            .map(|w| 0.5 * (self.at(w[0]) + self.at(w[1])) * (w[1] - w[0]))
            .sum();
        area / (to - from)
    }

    /// The points defining the path.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The smallest and largest value on the path.
    pub fn range(&self) -> (f64, f64) {
        self.points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
                (lo.min(v), hi.max(v))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_holds() {
        let p = YearPath::new("tfr", vec![(2016.0, 1.62), (2021.0, 0.81)]).unwrap();
        assert_eq!(p.at(2000.0), 1.62);
        assert!((p.at(2018.5) - 1.215).abs() < 1e-12);
        assert_eq!(p.at(2030.0), 0.81);
        assert!((p.mean_over(2016.0, 2021.0) - 1.215).abs() < 1e-12);
        assert!(
            (p.mean_over(2020.0, 2022.0) - (0.5 * (0.972 + 0.81) * 1.0 + 0.81) / 2.0).abs() < 1e-12
        );
        assert!(YearPath::new("tfr", vec![(2020.0, 1.0), (2020.0, 2.0)]).is_err());
    }
}

/// Values given for periods (e.g. WPP's "2020-2025"), each standing at the
/// period's midpoint; in between, interpolated linearly (on the log scale for
/// rates that act multiplicatively, such as mx), and held beyond the ends.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSeries {
    /// (first year, last year exclusive, values): sorted, non-overlapping.
    periods: Vec<(f64, f64, ndarray::Array1<f64>)>,
    log_scale: bool,
}

impl PeriodSeries {
    /// Periods must be increasing and not overlap; all value vectors of one length.
    pub fn new(
        what: &str,
        mut periods: Vec<(f64, f64, ndarray::Array1<f64>)>,
        log_scale: bool,
    ) -> Result<Self> {
        periods.sort_by(|a, b| a.0.total_cmp(&b.0));
        if periods.is_empty() {
            return Err(Error::invalid(what, "no periods", "at least one period"));
        }
        let len = periods[0].2.len();
        for w in periods.windows(2) {
            if w[1].0 < w[0].1 {
                return Err(Error::invalid(
                    format!("{what}: periods"),
                    format!("{}-{} overlaps {}-{}", w[1].0, w[1].1, w[0].0, w[0].1),
                    "non-overlapping periods",
                ));
            }
        }
        if let Some(p) = periods.iter().find(|p| p.2.len() != len || p.1 <= p.0) {
            return Err(Error::invalid(
                format!("{what}: period {}-{}", p.0, p.1),
                format!("{} values", p.2.len()),
                format!("{len} values and an end after the start"),
            ));
        }
        if log_scale {
            if let Some(p) = periods
                .iter()
                .find(|p| p.2.iter().any(|v| v.is_nan() || *v <= 0.0))
            {
                return Err(Error::invalid(
                    format!("{what}: period {}-{}", p.0, p.1),
                    "a value <= 0",
                    "positive rates",
                ));
            }
        }
        Ok(PeriodSeries { periods, log_scale })
    }

    /// The value for a step centred on `mid`: exactly a period's values when
    /// `mid` is its midpoint.
    pub fn at(&self, mid: f64) -> ndarray::Array1<f64> {
        let p = &self.periods;
        let m = |i: usize| 0.5 * (p[i].0 + p[i].1);
        if mid <= m(0) {
            return p[0].2.clone();
        }
        for i in 0..p.len() - 1 {
            if mid <= m(i + 1) {
                let w = (mid - m(i)) / (m(i + 1) - m(i));
                return if self.log_scale {
                    ndarray::Zip::from(&p[i].2)
                        .and(&p[i + 1].2)
                        .map_collect(|a, b| (a.ln() * (1.0 - w) + b.ln() * w).exp())
                } else {
                    &p[i].2 * (1.0 - w) + &p[i + 1].2 * w
                };
            }
        }
        p[p.len() - 1].2.clone()
    }

    /// The value of the period containing `year` (the nearest end outside).
    pub fn containing(&self, year: f64) -> &ndarray::Array1<f64> {
        let p = &self.periods;
        p.iter()
            .find(|q| year >= q.0 && year < q.1)
            .map(|q| &q.2)
            .unwrap_or(if year < p[0].0 {
                &p[0].2
            } else {
                &p[p.len() - 1].2
            })
    }

    /// Number of values per period.
    pub fn width(&self) -> usize {
        self.periods[0].2.len()
    }

    /// The periods.
    pub fn periods(&self) -> &[(f64, f64, ndarray::Array1<f64>)] {
        &self.periods
    }
}

/// A scalar assumption over time: a path through points (model files) or
/// values by period (WPP files).
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Calendar-year values, interpolated linearly.
    Path(YearPath),
    /// Values by period, interpolated between period midpoints.
    Periods(PeriodSeries),
    /// Values by period, held constant within each period (for totals that
    /// must add up over the period, such as migrants).
    PeriodSteps(PeriodSeries),
}

impl Schedule {
    /// The value for the step `[start, start + n)`: for a path, the mean of
    /// its values in the step's calendar years; for periods, the value at the
    /// step's midpoint.
    pub fn for_step(&self, start: f64, n: f64) -> f64 {
        match self {
            Schedule::Path(p) => {
                let years = n.max(1.0).floor() as i32;
                (0..years).map(|k| p.at(start + f64::from(k))).sum::<f64>() / f64::from(years)
            }
            Schedule::Periods(s) => s.at(start + 0.5 * n)[0],
            Schedule::PeriodSteps(s) => {
                let years = n.max(1.0).floor() as i32;
                (0..years)
                    .map(|k| s.containing(start + f64::from(k) + 0.5)[0])
                    .sum::<f64>()
                    / f64::from(years)
            }
        }
    }

    /// The schedule with every value multiplied by `factor`.
    pub fn scaled(&self, what: &str, factor: f64) -> Result<Schedule> {
        let scale = |s: &PeriodSeries| {
            PeriodSeries::new(
                what,
                s.periods()
                    .iter()
                    .map(|(a, b, v)| (*a, *b, v * factor))
                    .collect(),
                s.log_scale,
            )
        };
        Ok(match self {
            Schedule::Path(p) => Schedule::Path(YearPath::new(
                what,
                p.points().iter().map(|&(y, v)| (y, v * factor)).collect(),
            )?),
            Schedule::Periods(s) => Schedule::Periods(scale(s)?),
            Schedule::PeriodSteps(s) => Schedule::PeriodSteps(scale(s)?),
        })
    }

    /// Smallest and largest value anywhere on the schedule.
    pub fn range(&self) -> (f64, f64) {
        match self {
            Schedule::Path(p) => p.range(),
            Schedule::Periods(s) | Schedule::PeriodSteps(s) => s
                .periods()
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                    (lo.min(p.2[0]), hi.max(p.2[0]))
                }),
        }
    }
}
