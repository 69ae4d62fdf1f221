//! Period life tables from age-specific death rates (mx), and the survival
//! ratios a cohort-component projection needs.
//!
//! # Method
//!
//! Conventions follow the UN's World Population Prospects 2019 (and Preston,
//! Heuveline & Guillot 2001, ch. 3):
//!
//! * `nqx = n·mx / (1 + (n − ax)·mx)`, capped at 1;
//! * `a0` and `4a1` from the Coale-Demeny West formulas on `m0`
//!   (PHG table 3.3): females `a0 = 0.053 + 2.800·m0`, `4a1 = 1.522 − 1.518·m0`;
//!   males `a0 = 0.045 + 2.684·m0`, `4a1 = 1.651 − 2.816·m0`; for `m0 ≥ 0.107`
//!   the constants 0.350/1.361 (females) and 0.330/1.352 (males);
//! * `ax = n/2` at every other closed age;
//! * the open age group: `L = l/m`, i.e. a constant hazard beyond the open age
//!   ([`OpenAgeClosure::ConstantHazard`], WPP's published convention: its 100+
//!   rate is already the one implied by its internal 130+ table).
//!
//! # The oldest old
//!
//! Nursing and dementia-care demand is driven by persons aged 85+, so the open
//! group matters more here than in most uses of a life table. When a schedule
//! stops at a low open age (e.g. 85+) or its open-age rate is not trustworthy,
//! [`OpenAgeClosure::Kannisto`] fits the Kannisto logistic model
//! `m(x) = a·e^{b(x−x0)} / (1 + a·e^{b(x−x0)})` to the closed-age rates from
//! age 80 (by least squares on `logit m`, Thatcher, Kannisto & Vaupel 1998)
//! and extends the table in single years to age 130, where it closes it with
//! a constant hazard. The open group's person-years are then the sum over the
//! extension. [`kannisto_extend`] does the same to a schedule of rates, e.g.
//! to move an open age from 85+ to 100+.
//!
//! # Survival ratios
//!
//! For a projection step of n years on a grid of n-year groups
//! ([`SurvivalRatios`]): births survive to group 0 with `L(0) / (n·l0)`;
//! group i to group i+1 with `L(i+1)/L(i)`; the last closed group and the open
//! group are pooled and survive into the open group with `T(open)/T(open−n)`.

use ndarray::Array1;

use crate::age_grid::AgeGrid;
use crate::error::{Error, Result};
use crate::population::Sex;

/// How the open age group of a life table is closed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum OpenAgeClosure {
    /// `L = l/m` at the open age (WPP convention).
    #[default]
    ConstantHazard,
    /// A Kannisto extension fitted from `fit_from` to single ages up to 130.
    Kannisto {
        /// First age of the fit (e.g. 80).
        fit_from: u32,
    },
}

/// The highest age of a Kannisto extension.
pub const KANNISTO_OMEGA: u32 = 130;

/// A period life table with radix l0 = 1.
#[derive(Debug, Clone, PartialEq)]
pub struct LifeTable {
    sex: Sex,
    /// Lower bounds of the intervals; the last is the open age.
    ages: Vec<u32>,
    mx: Array1<f64>,
    ax: Array1<f64>,
    qx: Array1<f64>,
    lx: Array1<f64>,
    dx: Array1<f64>,
    big_lx: Array1<f64>,
    tx: Array1<f64>,
    ex: Array1<f64>,
}

/// Coale-Demeny West a0 and 4a1 from m0 (PHG 2001, table 3.3).
pub fn coale_demeny_a0_4a1(sex: Sex, m0: f64) -> (f64, f64) {
    match (sex, m0 >= 0.107) {
        (Sex::Female, true) => (0.350, 1.361),
        (Sex::Female, false) => (0.053 + 2.800 * m0, 1.522 - 1.518 * m0),
        (Sex::Male, true) => (0.330, 1.352),
        (Sex::Male, false) => (0.045 + 2.684 * m0, 1.651 - 2.816 * m0),
    }
}

/// Ages of an abridged table: 0, 1, 5, 10, ..., open_age.
pub fn abridged_ages(open_age: u32) -> Vec<u32> {
    let mut ages = vec![0, 1];
    ages.extend((1..=open_age / 5).map(|i| i * 5));
    ages
}

/// Ages of a single-year table: 0, 1, ..., open_age.
pub fn single_ages(open_age: u32) -> Vec<u32> {
    (0..=open_age).collect()
}

/// The life-table ages that go with a projection grid: abridged for 5-year
/// groups, single years for single-year groups.
pub fn ages_for_grid(grid: AgeGrid) -> Vec<u32> {
    if grid.width() == 5 {
        abridged_ages(grid.open_age())
    } else {
        single_ages(grid.open_age())
    }
}

/// `ax` for a closed interval under the WPP conventions.
fn ax_for(sex: Sex, age: u32, width: f64, m0: f64) -> f64 {
    let (a0, a1) = coale_demeny_a0_4a1(sex, m0);
    match (age, width as u32) {
        (0, 1) => a0,
        (1, 4) => a1,
        _ => width / 2.0,
    }
}

/// `nqx` from `nmx` and `nax`.
pub fn qx_from_mx(mx: f64, n: f64, ax: f64) -> f64 {
    (n * mx / (1.0 + (n - ax) * mx)).min(1.0)
}

/// `nmx` from `nqx` and `nax` (the inverse of [`qx_from_mx`]).
pub fn mx_from_qx(qx: f64, n: f64, ax: f64) -> f64 {
    qx / (n - (n - ax) * qx)
}

impl LifeTable {
    /// A table for `ages` (lower bounds, the last open) from `mx`.
    pub fn from_mx(sex: Sex, ages: &[u32], mx: &[f64], closure: OpenAgeClosure) -> Result<Self> {
        if ages.len() != mx.len() || ages.len() < 3 {
            return Err(Error::invalid(
                "life table rates",
                format!("{} rates for {} ages", mx.len(), ages.len()),
                "one mx per age, at least three ages",
            ));
        }
        if ages[0] != 0 || ages.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::invalid(
                "life table ages",
                format!("{ages:?}"),
                "increasing ages starting at 0",
            ));
        }
        for (&age, &m) in ages.iter().zip(mx) {
            if !(m.is_finite() && m >= 0.0) {
                return Err(Error::invalid(
                    format!("mx {} age {age}", sex.label()),
                    m,
                    "a finite rate >= 0",
                ));
            }
        }
        let k = ages.len();
        let open = k - 1;
        if mx[open] <= 0.0 {
            return Err(Error::invalid(
                format!("mx {} open age {}+", sex.label(), ages[open]),
                mx[open],
                "a rate > 0 (everybody dies eventually)",
            ));
        }
        let mut t = LifeTable {
            sex,
            ages: ages.to_vec(),
            mx: Array1::from(mx.to_vec()),
            ax: Array1::zeros(k),
            qx: Array1::zeros(k),
            lx: Array1::zeros(k),
            dx: Array1::zeros(k),
            big_lx: Array1::zeros(k),
            tx: Array1::zeros(k),
            ex: Array1::zeros(k),
        };
        let m0 = mx[0];
        let mut l = 1.0;
        for i in 0..open {
            let n = f64::from(ages[i + 1] - ages[i]);
            let a = ax_for(sex, ages[i], n, m0);
            let q = qx_from_mx(mx[i], n, a);
            let d = l * q;
            t.ax[i] = a;
            t.qx[i] = q;
            t.lx[i] = l;
            t.dx[i] = d;
            t.big_lx[i] = n * (l - d) + a * d;
            l -= d;
        }
        t.lx[open] = l;
        t.dx[open] = l;
        t.qx[open] = 1.0;
        let open_l = match closure {
            OpenAgeClosure::ConstantHazard => l / mx[open],
            OpenAgeClosure::Kannisto { fit_from } => {
                let ext = kannisto_tail(ages, mx, fit_from, ages[open])?;
                l * ext
            }
        };
        t.big_lx[open] = open_l;
        t.ax[open] = if l > 0.0 { open_l / l } else { 0.0 };
        if matches!(closure, OpenAgeClosure::Kannisto { .. }) && open_l > 0.0 {
            t.mx[open] = l / open_l;
        }
        let mut acc = 0.0;
        for i in (0..k).rev() {
            acc += t.big_lx[i];
            t.tx[i] = acc;
            t.ex[i] = if t.lx[i] > 0.0 { acc / t.lx[i] } else { 0.0 };
        }
        Ok(t)
    }

    /// An abridged table (ages 0, 1-4, 5-9, ..., open+).
    pub fn abridged(sex: Sex, mx: &[f64], open_age: u32) -> Result<Self> {
        Self::from_mx(
            sex,
            &abridged_ages(open_age),
            mx,
            OpenAgeClosure::ConstantHazard,
        )
    }

    /// A single-year table (ages 0, 1, ..., open+).
    pub fn single_year(sex: Sex, mx: &[f64], open_age: u32) -> Result<Self> {
        Self::from_mx(
            sex,
            &single_ages(open_age),
            mx,
            OpenAgeClosure::ConstantHazard,
        )
    }

    /// Sex of the table.
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// Lower bounds of the age intervals.
    pub fn ages(&self) -> &[u32] {
        &self.ages
    }
    /// Death rates `nmx`.
    pub fn mx(&self) -> &Array1<f64> {
        &self.mx
    }
    /// Average person-years lived in the interval by those dying in it, `nax`.
    pub fn ax(&self) -> &Array1<f64> {
        &self.ax
    }
    /// Probabilities of dying in the interval, `nqx`.
    pub fn qx(&self) -> &Array1<f64> {
        &self.qx
    }
    /// Survivors at the start of the interval, `lx` (radix 1).
    pub fn lx(&self) -> &Array1<f64> {
        &self.lx
    }
    /// Deaths in the interval, `ndx`.
    pub fn dx(&self) -> &Array1<f64> {
        &self.dx
    }
    /// Person-years lived in each interval, `nLx`.
    pub fn person_years(&self) -> &Array1<f64> {
        &self.big_lx
    }
    /// Person-years lived from the interval's start on, `Tx`.
    pub fn tx(&self) -> &Array1<f64> {
        &self.tx
    }
    /// Life expectancy at the interval's start, `ex`.
    pub fn ex(&self) -> &Array1<f64> {
        &self.ex
    }

    /// Life expectancy at birth.
    pub fn e0(&self) -> f64 {
        self.ex[0]
    }

    /// Person-years summed over the groups of `grid`: each table interval
    /// must lie inside one grid group, and the open ages must agree.
    pub fn person_years_on(&self, grid: AgeGrid) -> Result<Array1<f64>> {
        if *self.ages.last().unwrap_or(&0) != grid.open_age()
            || self
                .ages
                .iter()
                .any(|&a| grid.lower(grid.group_containing(a)) > a)
            || (0..grid.len()).any(|g| !self.ages.contains(&grid.lower(g)))
        {
            return Err(Error::invalid(
                "life table ages",
                format!("{:?}", self.ages),
                format!("intervals nested in the projection grid ({grid})"),
            ));
        }
        let mut out = Array1::zeros(grid.len());
        for (i, &a) in self.ages.iter().enumerate() {
            out[grid.group_containing(a)] += self.big_lx[i];
        }
        Ok(out)
    }

    /// Survival ratios for a projection step of `grid.width()` years.
    pub fn survival_ratios(&self, grid: AgeGrid) -> Result<SurvivalRatios> {
        let person_years = self.person_years_on(grid)?;
        SurvivalRatios::from_person_years(grid, 1.0, person_years.as_slice().unwrap_or(&[]))
    }
}

/// Survival ratios for one step of n years on an n-year grid.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalRatios {
    /// Births during the step surviving to group 0 at its end.
    pub birth: f64,
    /// `groups[i]`: share of group i at the start alive (one group older) at
    /// the end. The last two entries are the pooled open-group ratio.
    pub groups: Array1<f64>,
}

impl SurvivalRatios {
    /// From person-years `nLx` by grid group with radix `l0`.
    pub fn from_person_years(grid: AgeGrid, l0: f64, person_years: &[f64]) -> Result<Self> {
        let g = grid.len();
        if person_years.len() != g {
            return Err(Error::invalid(
                "person-years",
                format!("{} values", person_years.len()),
                format!("{g} (one per group of {grid})"),
            ));
        }
        if let Some((i, v)) = person_years
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(Error::invalid(
                format!("person-years at age {}", grid.label(i)),
                v,
                "a finite number > 0",
            ));
        }
        let n = f64::from(grid.width());
        let mut groups = Array1::zeros(g);
        for i in 0..g - 2 {
            groups[i] = person_years[i + 1] / person_years[i];
        }
        let open = person_years[g - 1] / (person_years[g - 2] + person_years[g - 1]);
        groups[g - 2] = open;
        groups[g - 1] = open;
        Ok(SurvivalRatios {
            birth: person_years[0] / (n * l0),
            groups,
        })
    }

    /// Ratios of 1 everywhere (nobody dies): for null projections.
    pub fn immortal(grid: AgeGrid) -> Self {
        SurvivalRatios {
            birth: 1.0,
            groups: Array1::ones(grid.len()),
        }
    }
}

/// Fits `logit m(x) = ln a + b·x` to the closed-age rates at or above
/// `fit_from` (at interval midpoints); returns `(ln a, b)`.
pub fn kannisto_fit(ages: &[u32], mx: &[f64], fit_from: u32) -> Result<(f64, f64)> {
    let open = ages.len() - 1;
    let pts: Vec<(f64, f64)> = (0..open)
        .filter(|&i| ages[i] >= fit_from && mx[i] > 0.0 && mx[i] < 1.0)
        .map(|i| {
            let mid = 0.5 * f64::from(ages[i] + ages[i + 1]);
            (mid, (mx[i] / (1.0 - mx[i])).ln())
        })
        .collect();
    if pts.len() < 2 {
        return Err(Error::invalid(
            format!("Kannisto fit from age {fit_from}"),
            format!("{} usable rates", pts.len()),
            "at least two closed age groups with 0 < mx < 1 above the fitting age",
        ));
    }
    let nf = pts.len() as f64;
    let mx_ = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx_).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx_) * (p.1 - my)).sum();
    let b = sxy / sxx;
    Ok((my - b * mx_, b))
}

/// Kannisto rate at exact age `x` (single-year interval midpoint x + 0.5).
fn kannisto_rate(ln_a: f64, b: f64, x: f64) -> f64 {
    let z = (ln_a + b * x).exp();
    z / (1.0 + z)
}

/// Person-years lived from `from_age` on by one person alive at `from_age`,
/// on a Kannisto extension in single years to [`KANNISTO_OMEGA`].
fn kannisto_tail(ages: &[u32], mx: &[f64], fit_from: u32, from_age: u32) -> Result<f64> {
    let (ln_a, b) = kannisto_fit(ages, mx, fit_from)?;
    let mut l = 1.0;
    let mut person_years = 0.0;
    for x in from_age..KANNISTO_OMEGA {
        let m = kannisto_rate(ln_a, b, f64::from(x) + 0.5);
        let q = qx_from_mx(m, 1.0, 0.5);
        person_years += l - 0.5 * l * q;
        l *= 1.0 - q;
    }
    person_years += l / kannisto_rate(ln_a, b, f64::from(KANNISTO_OMEGA) + 0.5);
    Ok(person_years)
}

/// Extends a schedule whose open age is below `new_open_age` with Kannisto
/// rates fitted from `fit_from`: the old open group is replaced by closed
/// groups of the same width as the last closed one, and the new open group gets
/// the rate `l/L` implied by the extension. Returns `(ages, mx)`.
pub fn kannisto_extend(
    ages: &[u32],
    mx: &[f64],
    fit_from: u32,
    new_open_age: u32,
) -> Result<(Vec<u32>, Vec<f64>)> {
    let open = ages.len() - 1;
    let old_open = ages[open];
    if new_open_age <= old_open {
        return Ok((ages.to_vec(), mx.to_vec()));
    }
    let width = ages[open] - ages[open - 1];
    if (new_open_age - old_open) % width != 0 {
        return Err(Error::invalid(
            "new open age",
            new_open_age,
            format!("the old open age {old_open} plus a multiple of {width}"),
        ));
    }
    let (ln_a, b) = kannisto_fit(ages, mx, fit_from)?;
    let mut out_ages = ages[..open].to_vec();
    let mut out_mx = mx[..open].to_vec();
    let mut age = old_open;
    while age < new_open_age {
        // Central rate of the group: deaths over person-years in single years.
        let (mut l, mut deaths, mut py) = (1.0, 0.0, 0.0);
        for x in age..age + width {
            let q = qx_from_mx(kannisto_rate(ln_a, b, f64::from(x) + 0.5), 1.0, 0.5);
            deaths += l * q;
            py += l - 0.5 * l * q;
            l *= 1.0 - q;
        }
        out_ages.push(age);
        out_mx.push(deaths / py);
        age += width;
    }
    let tail = kannisto_tail(ages, mx, fit_from, new_open_age)?;
    out_ages.push(new_open_age);
    out_mx.push(1.0 / tail);
    Ok((out_ages, out_mx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_hazard_table_is_exponential() {
        // With a constant rate the open age closes exactly: e0 = 1/m.
        let ages = single_ages(100);
        let mx = vec![0.02; ages.len()];
        let t =
            LifeTable::from_mx(Sex::Female, &ages, &mx, OpenAgeClosure::ConstantHazard).unwrap();
        // ax = 0.5 and a0 from Coale-Demeny give e0 close to, not exactly, 50.
        assert!((t.e0() - 50.0).abs() < 0.05, "e0 = {}", t.e0());
        assert!((t.lx().sum() - t.lx().iter().sum::<f64>()).abs() < 1e-12);
        let sum_d: f64 = t.dx().sum();
        assert!((sum_d - 1.0).abs() < 1e-12);
    }

    #[test]
    fn kannisto_recovers_a_logistic_schedule() {
        let ages = abridged_ages(85);
        let mx: Vec<f64> = ages
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let mid = if i + 1 < ages.len() {
                    0.5 * (a + ages[i + 1]) as f64
                } else {
                    a as f64 + 2.5
                };
                kannisto_rate((0.0001f64).ln(), 0.1, mid)
            })
            .collect();
        let (ln_a, b) = kannisto_fit(&ages, &mx, 60).unwrap();
        assert!((b - 0.1).abs() < 1e-9 && (ln_a - 0.0001f64.ln()).abs() < 1e-7);
        let (a2, m2) = kannisto_extend(&ages, &mx, 60, 100).unwrap();
        assert_eq!(a2.last(), Some(&100));
        assert_eq!(a2.len(), ages.len() + 3);
        assert!(m2.windows(2).skip(5).all(|w| w[1] > w[0]));
    }
}
