//! Graduation: from 5-year groups to single years of age.
//!
//! * Counts ([`sprague`]): Sprague's fifth-difference osculatory multipliers
//!   (Sprague 1880; the panels as tabulated in Shryock & Siegel, *The Methods
//!   and Materials of Demography*, and Siegel & Swanson 2004, p. 727). Each
//!   closed 5-year group is split using itself and its neighbours (first two
//!   and last two groups with the end panels); the open group is kept as it
//!   is. The multipliers preserve every group total. Where small counts
//!   produce negative single years, those are set to zero and the group is
//!   rescaled to its total.
//! * Fertility patterns ([`graduate_pattern`]): the same multipliers on the
//!   5-year pattern padded with empty groups, negatives cut, renormalised.
//! * Death rates ([`single_year_mx`]): the cumulative hazard `Σ n·m` at ages
//!   1, 5, 10, ... is interpolated in single years by a monotone cubic
//!   (Fritsch & Carlson 1980); single-year rates are its increments, so each
//!   5-year group keeps its total hazard (robust where `5q` of an abridged
//!   table would reach 1). Age 0 and the open group keep their rates.

use ndarray::Array1;

use crate::error::{Error, Result};
use crate::life_table;

/// Sprague multipliers: the first group (rows: ages 0..4 of the group;
/// columns: groups 1..5).
const SPRAGUE_FIRST: [[f64; 5]; 5] = [
    [0.3616, -0.2768, 0.1488, -0.0336, 0.0],
    [0.2640, -0.0960, 0.0400, -0.0080, 0.0],
    [0.1840, 0.0400, -0.0320, 0.0080, 0.0],
    [0.1200, 0.1360, -0.0720, 0.0160, 0.0],
    [0.0704, 0.1968, -0.0848, 0.0176, 0.0],
];
/// The second group, from groups 1..5.
const SPRAGUE_SECOND: [[f64; 5]; 5] = [
    [0.0336, 0.2272, -0.0752, 0.0144, 0.0],
    [0.0080, 0.2320, -0.0480, 0.0080, 0.0],
    [-0.0080, 0.2160, -0.0080, 0.0, 0.0],
    [-0.0160, 0.1840, 0.0400, -0.0080, 0.0],
    [-0.0176, 0.1408, 0.0912, -0.0144, 0.0],
];
/// A middle group, from the two groups on either side.
const SPRAGUE_MIDDLE: [[f64; 5]; 5] = [
    [-0.0128, 0.0848, 0.1504, -0.0240, 0.0016],
    [-0.0016, 0.0144, 0.2224, -0.0416, 0.0064],
    [0.0064, -0.0336, 0.2544, -0.0336, 0.0064],
    [0.0064, -0.0416, 0.2224, 0.0144, -0.0016],
    [0.0016, -0.0240, 0.1504, 0.0848, -0.0128],
];

/// The end panels mirror the start panels (reversed rows and columns).
fn mirrored(panel: &[[f64; 5]; 5]) -> [[f64; 5]; 5] {
    let mut out = [[0.0; 5]; 5];
    for (r, row) in out.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = panel[4 - r][4 - c];
        }
    }
    out
}

/// Splits 5-year groups (the last one open) into single years, keeping the
/// open group: `k` groups give `5·(k−1) + 1` values. Needs six groups or more.
pub fn sprague(groups: &[f64]) -> Result<Vec<f64>> {
    let closed = groups.len().saturating_sub(1);
    if closed < 5 {
        return Err(Error::invalid(
            "Sprague graduation",
            format!("{} groups", groups.len()),
            "at least five closed 5-year groups and the open group",
        ));
    }
    if let Some(v) = groups.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "Sprague graduation input",
            v,
            "finite values",
        ));
    }
    let last = mirrored(&SPRAGUE_FIRST);
    let next_to_last = mirrored(&SPRAGUE_SECOND);
    let mut out = Vec::with_capacity(5 * closed + 1);
    for j in 0..closed {
        let (panel, start) = match j {
            0 => (&SPRAGUE_FIRST, 0),
            1 => (&SPRAGUE_SECOND, 0),
            _ if j + 2 == closed => (&next_to_last, closed - 5),
            _ if j + 1 == closed => (&last, closed - 5),
            _ => (&SPRAGUE_MIDDLE, j - 2),
        };
        let mut single: Vec<f64> = panel
            .iter()
            .map(|row| (0..5).map(|c| row[c] * groups[start + c]).sum())
            .collect();
        if single.iter().any(|&v| v < 0.0) {
            single.iter_mut().for_each(|v| *v = v.max(0.0));
            let sum: f64 = single.iter().sum();
            if sum > 0.0 {
                single.iter_mut().for_each(|v| *v *= groups[j] / sum);
            }
        }
        out.extend(single);
    }
    out.push(groups[closed]);
    Ok(out)
}

/// Graduates a fertility pattern given by 5-year groups starting at
/// `first_age` (e.g. percent ASFR 15-19 ... 45-49) to single years, returned
/// for ages `first_age .. first_age + 5·len`, with the same total.
pub fn graduate_pattern(groups: &[f64], first_age: u32) -> Result<Vec<f64>> {
    if first_age < 10 || first_age % 5 != 0 {
        return Err(Error::invalid(
            "fertility pattern first age",
            first_age,
            "a multiple of 5, at least 10",
        ));
    }
    // Pad with two empty groups on each side and an empty open group.
    let mut padded = vec![0.0, 0.0];
    padded.extend_from_slice(groups);
    padded.extend([0.0, 0.0, 0.0]);
    let single = sprague(&padded)?;
    let mut core: Vec<f64> = single[10..10 + 5 * groups.len()]
        .iter()
        .map(|v| v.max(0.0))
        .collect();
    let total: f64 = groups.iter().sum();
    let sum: f64 = core.iter().sum();
    if sum > 0.0 {
        core.iter_mut().for_each(|v| *v *= total / sum);
    }
    Ok(core)
}

/// Monotone piecewise-cubic Hermite interpolation (Fritsch & Carlson 1980)
/// through `(xs, ys)` with strictly increasing `xs`, evaluated at `at`.
pub fn monotone_cubic(xs: &[f64], ys: &[f64], at: &[f64]) -> Vec<f64> {
    let n = xs.len();
    let h: Vec<f64> = (0..n - 1).map(|i| xs[i + 1] - xs[i]).collect();
    let delta: Vec<f64> = (0..n - 1).map(|i| (ys[i + 1] - ys[i]) / h[i]).collect();
    let mut d = vec![0.0; n];
    d[0] = delta[0];
    d[n - 1] = delta[n - 2];
    for i in 1..n - 1 {
        if delta[i - 1] * delta[i] <= 0.0 {
            d[i] = 0.0;
        } else {
            // Weighted harmonic mean (Fritsch-Butland form for uneven spacing).
            let w1 = 2.0 * h[i] + h[i - 1];
            let w2 = h[i] + 2.0 * h[i - 1];
            d[i] = (w1 + w2) / (w1 / delta[i - 1] + w2 / delta[i]);
        }
    }
    at.iter()
        .map(|&x| {
            let i = match xs.iter().rposition(|&v| v <= x) {
                Some(i) if i < n - 1 => i,
                Some(_) => n - 2,
                None => 0,
            };
            let t = (x - xs[i]) / h[i];
            let (t2, t3) = (t * t, t * t * t);
            let h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
            let h10 = t3 - 2.0 * t2 + t;
            let h01 = -2.0 * t3 + 3.0 * t2;
            let h11 = t3 - t2;
            h00 * ys[i] + h10 * h[i] * d[i] + h01 * ys[i + 1] + h11 * h[i] * d[i + 1]
        })
        .collect()
}

/// Single-year mx (ages 0 .. open+) from an abridged schedule (ages 0, 1, 5,
/// ..., open+): the cumulative hazard `H(x) = Σ n·m` at the abridged ages is
/// interpolated at single ages with a monotone cubic, and the single-year
/// rate is `H(x+1) − H(x)`. Each group's single-year rates therefore add up to
/// its own `n·m`, and rates stay positive. Age 0 and the open group keep
/// their rates.
pub fn single_year_mx(abridged_mx: &[f64], open_age: u32) -> Result<Array1<f64>> {
    let ages = life_table::abridged_ages(open_age);
    if abridged_mx.len() != ages.len() {
        return Err(Error::invalid(
            "abridged mx",
            format!("{} rates", abridged_mx.len()),
            format!("{} (ages 0, 1, 5, ..., {open_age}+)", ages.len()),
        ));
    }
    if let Some(m) = abridged_mx.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(Error::invalid("abridged mx", m, "finite rates > 0"));
    }
    let xs: Vec<f64> = ages.iter().map(|&a| f64::from(a)).collect();
    let mut hazard = vec![0.0; ages.len()];
    for i in 1..ages.len() {
        hazard[i] = hazard[i - 1] + (xs[i] - xs[i - 1]) * abridged_mx[i - 1];
    }
    let at: Vec<f64> = (0..=open_age).map(f64::from).collect();
    let cumulative = monotone_cubic(&xs, &hazard, &at);
    let mut mx = Array1::zeros(open_age as usize + 1);
    mx[0] = abridged_mx[0];
    for x in 1..open_age as usize {
        mx[x] = cumulative[x + 1] - cumulative[x];
    }
    mx[open_age as usize] = abridged_mx[abridged_mx.len() - 1];
    Ok(mx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprague_keeps_group_totals_and_linear_data() {
        let groups = [500.0, 450.0, 400.0, 350.0, 300.0, 250.0, 200.0, 150.0, 90.0];
        let single = sprague(&groups).unwrap();
        assert_eq!(single.len(), 41);
        for (g, &total) in groups[..8].iter().enumerate() {
            let s: f64 = single[5 * g..5 * g + 5].iter().sum();
            assert!((s - total).abs() < 1e-9, "group {g}: {s} vs {total}");
        }
        assert_eq!(single[40], 90.0);
        // Linear data is reproduced exactly: 104, 102, 100, ... (group sums above).
        for (i, v) in single[..40].iter().enumerate() {
            assert!((v - (104.0 - 2.0 * i as f64)).abs() < 1e-9, "age {i}: {v}");
        }
    }

    #[test]
    fn pattern_graduation_keeps_total() {
        let pct = [
            2.25888, 34.52367, 34.68462, 18.6571, 6.85473, 2.71302, 0.30799,
        ];
        let single = graduate_pattern(&pct, 15).unwrap();
        assert_eq!(single.len(), 35);
        assert!((single.iter().sum::<f64>() - pct.iter().sum::<f64>()).abs() < 1e-9);
        assert!(single.iter().all(|&v| v >= 0.0));
    }

    #[test]
    fn single_year_rates_keep_group_hazards() {
        let ages = life_table::abridged_ages(100);
        let mx: Vec<f64> = ages
            .iter()
            .map(|&a| 0.0003 + 0.00005 * (0.09 * f64::from(a)).exp())
            .collect();
        let single = single_year_mx(&mx, 100).unwrap();
        for (i, &a) in ages.iter().enumerate().skip(1).take(ages.len() - 2) {
            let n = ages[i + 1] - a;
            let sum: f64 = (a..a + n).map(|x| single[x as usize]).sum();
            assert!((sum - f64::from(n) * mx[i]).abs() < 1e-12, "age {a}");
        }
        assert!(single.iter().all(|&m| m > 0.0));
    }

    #[test]
    fn monotone_cubic_hits_knots_and_stays_monotone() {
        let xs = [0.0, 1.0, 5.0, 10.0];
        let ys = [0.0, -0.01, -0.012, -0.5];
        let at: Vec<f64> = (0..=10).map(f64::from).collect();
        let v = monotone_cubic(&xs, &ys, &at);
        assert!((v[5] + 0.012).abs() < 1e-12 && (v[10] + 0.5).abs() < 1e-12);
        assert!(v.windows(2).all(|w| w[1] <= w[0] + 1e-15));
    }
}
