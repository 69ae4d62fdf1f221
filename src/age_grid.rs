//! The age grid every array is indexed by.
//!
//! A grid has an interval width n (1 or 5 years) and an open age group
//! (100+ by default): groups `0..n, n..2n, ..., open_age+`. Group `i` starts at
//! age `i * n`; the last group is open.

use crate::error::{Error, Result};

/// Ages as intervals of equal width closed by an open group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeGrid {
    width: u32,
    open_age: u32,
}

impl AgeGrid {
    /// The default open age.
    pub const DEFAULT_OPEN_AGE: u32 = 100;

    /// A grid of `width`-year groups (1 or 5) closed at `open_age`+, which must be
    /// a multiple of the width and at least 50 (so that 15-49 and 60+ exist).
    pub fn new(width: u32, open_age: u32) -> Result<Self> {
        if width != 1 && width != 5 {
            return Err(Error::invalid("age interval width", width, "1 or 5"));
        }
        if open_age % width != 0 || !(50..=130).contains(&open_age) {
            return Err(Error::invalid(
                "open age",
                open_age,
                format!("a multiple of {width} between 50 and 130"),
            ));
        }
        Ok(AgeGrid { width, open_age })
    }

    /// Single years 0, 1, ..., 99, 100+.
    pub fn single_years() -> Self {
        AgeGrid {
            width: 1,
            open_age: Self::DEFAULT_OPEN_AGE,
        }
    }

    /// Five-year groups 0-4, ..., 95-99, 100+.
    pub fn five_year() -> Self {
        AgeGrid {
            width: 5,
            open_age: Self::DEFAULT_OPEN_AGE,
        }
    }

    /// Interval width n in years (also the projection step).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Lower bound of the open age group.
    pub fn open_age(&self) -> u32 {
        self.open_age
    }

    /// Number of groups including the open one.
    pub fn len(&self) -> usize {
        (self.open_age / self.width) as usize + 1
    }

    /// Never empty; present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Index of the open group.
    pub fn open_index(&self) -> usize {
        self.len() - 1
    }

    /// Lower bound of group `index`.
    pub fn lower(&self, index: usize) -> u32 {
        index as u32 * self.width
    }

    /// Lower bounds of all groups.
    pub fn lowers(&self) -> Vec<u32> {
        (0..self.len()).map(|i| self.lower(i)).collect()
    }

    /// The index of the group whose lower bound is exactly `age`.
    pub fn index_of(&self, age: u32) -> Option<usize> {
        (age % self.width == 0 && age <= self.open_age).then(|| (age / self.width) as usize)
    }

    /// The index of the group containing `age` (the open group for ages above it).
    pub fn group_containing(&self, age: u32) -> usize {
        (age.min(self.open_age) / self.width) as usize
    }

    /// Label of a group: "0-4", "100+" or, for single years, "37".
    pub fn label(&self, index: usize) -> String {
        let lo = self.lower(index);
        if index == self.open_index() {
            format!("{lo}+")
        } else if self.width == 1 {
            lo.to_string()
        } else {
            format!("{}-{}", lo, lo + self.width - 1)
        }
    }

    /// The fraction of group `index` that lies in ages `[from, to)` assuming
    /// persons are spread evenly within the group (the open group counts as
    /// wholly inside whenever `to` is beyond the open age).
    pub fn fraction_in(&self, index: usize, from: u32, to: Option<u32>) -> f64 {
        let lo = self.lower(index) as f64;
        let to = to.map(f64::from).unwrap_or(f64::INFINITY);
        let from = from as f64;
        if index == self.open_index() {
            return if from <= lo && to > lo { 1.0 } else { 0.0 };
        }
        let hi = lo + self.width as f64;
        let overlap = (hi.min(to) - lo.max(from)).max(0.0);
        overlap / self.width as f64
    }
}

impl std::fmt::Display for AgeGrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-year ages to {}+", self.width, self.open_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_shapes() {
        let g = AgeGrid::five_year();
        assert_eq!(g.len(), 21);
        assert_eq!(g.label(0), "0-4");
        assert_eq!(g.label(20), "100+");
        assert_eq!(g.index_of(60), Some(12));
        assert_eq!(g.index_of(62), None);
        let s = AgeGrid::single_years();
        assert_eq!(s.len(), 101);
        assert_eq!(s.label(100), "100+");
        assert!(AgeGrid::new(3, 100).is_err());
        assert!(AgeGrid::new(5, 102).is_err());
        assert!((g.fraction_in(0, 0, Some(3)) - 0.6).abs() < 1e-12);
        assert_eq!(g.fraction_in(20, 60, None), 1.0);
    }
}

/// Ages `[from, to)` (`to = None`: and over), written "60+", "0-2" (inclusive)
/// or "37" in model files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeRange {
    /// First age in the range.
    pub from: u32,
    /// First age after it; `None`: open-ended.
    pub to: Option<u32>,
}

impl AgeRange {
    /// Parses "60+", "0-2" (both ends inclusive) or "37".
    pub fn parse(text: &str) -> Result<AgeRange> {
        let t = text.trim();
        let bad = || {
            Error::invalid(
                "ages",
                format!("{text:?}"),
                "a range such as \"60+\", \"0-2\" or \"37\"",
            )
        };
        let num = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
        if let Some(from) = t.strip_suffix('+') {
            return Ok(AgeRange {
                from: num(from)?,
                to: None,
            });
        }
        if let Some((a, b)) = t.split_once('-') {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(bad());
            }
            return Ok(AgeRange {
                from: a,
                to: Some(b + 1),
            });
        }
        let a = num(t)?;
        Ok(AgeRange {
            from: a,
            to: Some(a + 1),
        })
    }

    /// Everybody.
    pub fn all() -> AgeRange {
        AgeRange { from: 0, to: None }
    }
}

impl std::fmt::Display for AgeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to {
            None => write!(f, "{}+", self.from),
            Some(to) if to == self.from + 1 => write!(f, "{}", self.from),
            Some(to) => write!(f, "{}-{}", self.from, to - 1),
        }
    }
}
