//! The streaming histogram of one (year, column) cell: exact minimum,
//! maximum and count, [`BINS`] equal bins over a range set by the first
//! block, values outside that range kept exactly, and quantiles by numpy's
//! linear rule on the ranks.

use super::summary::Summary;
use super::BINS;

/// Per lane of four: running minimum, maximum and sum of rows of values.
pub(super) type RangeLanes = ([f64; 4], [f64; 4], [f64; 4]);

/// [`RangeLanes`] of `values` (a multiple of four long), portably: lane
/// `k` takes `values[4i + k]` in order, a smaller value replacing the
/// minimum only when `<` holds (so exactly the vector minimum's rule).
#[inline(always)]
pub(super) fn range_lanes(values: &[f64]) -> RangeLanes {
    let (mut mn, mut mx, mut tot) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4], [0.0; 4]);
    for c in values.chunks_exact(4) {
        for k in 0..4 {
            mn[k] = if c[k] < mn[k] { c[k] } else { mn[k] };
            mx[k] = if c[k] > mx[k] { c[k] } else { mx[k] };
            tot[k] += c[k];
        }
    }
    (mn, mx, tot)
}

/// Asks for the cache lines of `staged[from..=to]` (a hint: no effect on
/// results). A block's values of one cell fall on a few dozen lines of its
/// staged counts, which other cells have usually pushed out of the core's
/// caches since the last block; fetching them all at once overlaps their
/// latencies.
#[inline(always)]
fn prefetch(staged: &[u16], from: usize, to: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        const LINE: usize = 64 / std::mem::size_of::<u16>();
        let to = to.min(staged.len() - 1);
        let mut i = from;
        while i <= to {
            // SAFETY: `i < staged.len()`; prefetching never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(staged.as_ptr().add(i).cast()) };
            i += LINE;
        }
        // SAFETY: as above.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(staged.as_ptr().add(to).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (staged, from, to);
}

/// Streaming reduction of one (year, indicator) cell.
///
/// Bin counts are staged in `u16` (half the cache footprint of the hot
/// histogram lines) and moved into the `u32` totals before any could
/// overflow; values outside the range are found from each block's minimum
/// and maximum and kept exactly, never staged.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    lo: f64,
    width: f64,
    inv_width: f64,
    /// Staged counts (allocated at the first value): bins are slots
    /// `1..=BINS`; slots 0 and `BINS + 1` catch values below and above the
    /// range (never staged).
    staged: Vec<u16>,
    /// Values added to `staged` since it was last moved into `counts`.
    pending: u32,
    /// Bin totals (`BINS` entries once anything was moved, else empty).
    counts: Vec<u32>,
    outside: Vec<f64>,
    min: f64,
    max: f64,
    n: u64,
}

impl Cell {
    pub(super) fn new(sample: &[f64]) -> Cell {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in sample {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let mut spread = hi - lo;
        if spread.is_nan() || spread <= 0.0 {
            spread = (lo.abs() * 1e-6).max(1e-12);
        }
        let lo = lo - 2.0 * spread;
        let width = 5.0 * spread / BINS as f64;
        Cell {
            lo,
            width,
            inv_width: 1.0 / width,
            staged: Vec::new(),
            pending: 0,
            counts: Vec::new(),
            outside: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            n: 0,
        }
    }

    /// The slot of `v` in `staged`: bins are slots `1..=BINS`; slot 0 and
    /// `BINS + 1` catch values below and above the range (kept exactly).
    #[inline(always)]
    fn slot(&self, v: f64) -> usize {
        // Saturating conversion (NaN to 0).
        self.position(v) as usize
    }

    /// Where `v` falls, in slots, clamped to `0..=BINS + 1`.
    #[inline(always)]
    fn position(&self, v: f64) -> f64 {
        ((v - self.lo) * self.inv_width + 1.0).clamp(0.0, (BINS + 1) as f64)
    }

    /// Makes room for `more` staged values, moving the staged counts into
    /// the totals when they could overflow.
    #[inline(always)]
    fn reserve(&mut self, more: usize) {
        if self.staged.is_empty() {
            self.staged = vec![0; BINS + 2];
        }
        if self.pending as usize + more > usize::from(u16::MAX) {
            self.flush();
        }
        self.pending += more as u32;
    }

    /// Moves the staged counts into the totals.
    fn flush(&mut self) {
        if self.pending == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BINS];
        }
        for (total, staged) in self.counts.iter_mut().zip(&mut self.staged[1..=BINS]) {
            *total += u32::from(*staged);
            *staged = 0;
        }
        self.pending = 0;
    }

    /// The bulk add of one block's values: [`Cell::prepare_impl`], then
    /// [`Cell::count_impl`] where it asks for it.
    #[cfg(test)]
    pub(super) fn add_all_impl<F>(&mut self, values: &[f64], sum: &mut f64, lanes: F)
    where
        F: Fn(&[f64]) -> RangeLanes,
    {
        if self.prepare_impl(values, sum, lanes) {
            self.count_impl(values);
        }
    }

    /// Every cell of `cells` takes its column of `values`
    /// (`values[c·count..(c + 1)·count]`), its sum added to `sums[c]`: each
    /// cell's range pass (which asks for the lines its counts will touch)
    /// runs before the previous cell's counts, so fetching one cell's lines
    /// overlaps counting the other's. Each cell sees the same operations in
    /// the same order as [`Cell::add_all_impl`].
    #[inline(always)]
    pub(super) fn add_columns_impl<F>(
        cells: &mut [Cell],
        sums: &mut [f64],
        values: &[f64],
        count: usize,
        lanes: F,
    ) where
        F: Fn(&[f64]) -> RangeLanes,
    {
        let column = |c: usize| &values[c * count..(c + 1) * count];
        let mut waiting: Option<usize> = None;
        for c in 0..cells.len() {
            let counts = cells[c].prepare_impl(column(c), &mut sums[c], &lanes);
            if let Some(w) = waiting.take() {
                cells[w].count_impl(column(w));
            }
            if counts {
                waiting = Some(c);
            }
        }
        if let Some(w) = waiting {
            cells[w].count_impl(column(w));
        }
    }

    /// The first half of a bulk add: min, max, count and sum of `values`
    /// (their sum added to `sum`). Values outside the range, non-finite
    /// values and a block of one value are counted here too (`false`);
    /// otherwise the staged counts are made ready and their lines asked
    /// for, and [`Cell::count_impl`] must follow with the same values
    /// (`true`).
    #[inline(always)]
    fn prepare_impl<F>(&mut self, values: &[f64], sum: &mut f64, lanes: F) -> bool
    where
        F: Fn(&[f64]) -> RangeLanes,
    {
        // Callers add a block's values at a time; more than the staged
        // counters hold in one call could overflow a bin.
        debug_assert!(values.len() <= usize::from(u16::MAX));
        // A branch-free pass for the range and the sum (four running
        // minima, maxima and sums, combined in a fixed order).
        const L: usize = 4;
        let whole = values.len() / L * L;
        let (mut mn, mut mx, mut tot) = lanes(&values[..whole]);
        let remainder = &values[whole..];
        for (k, &v) in remainder.iter().enumerate() {
            mn[k] = if v < mn[k] { v } else { mn[k] };
            mx[k] = if v > mx[k] { v } else { mx[k] };
            tot[k] += v;
        }
        let total = (tot[0] + tot[1]) + (tot[2] + tot[3]);
        let (min, max) = (
            mn[0].min(mn[1]).min(mn[2].min(mn[3])),
            mx[0].max(mx[1]).max(mx[2].max(mx[3])),
        );
        if !total.is_finite() {
            self.add_each(values, sum);
            return false;
        }
        self.min = self.min.min(min);
        self.max = self.max.max(max);
        self.n += values.len() as u64;
        *sum += total;
        let (first, last) = (self.slot(min), self.slot(max));
        if first == 0 || last == BINS + 1 {
            // Rare: values beyond the range are kept exactly, the rest binned.
            for &v in values {
                self.bin_or_keep(v);
            }
            return false;
        }
        self.reserve(values.len());
        // A block whose values are all equal (an indicator fertility cannot
        // reach yet) goes into one bin at once.
        if min == max {
            self.staged[first] += values.len() as u16;
            return false;
        }
        prefetch(&self.staged, first, last);
        true
    }

    /// The second half of a bulk add ([`Cell::prepare_impl`] returned
    /// `true` for these values): slots first (vectorized), then the counts.
    /// Every value lies in [min, max], whose slots are bins, and the
    /// position is monotone in the value: no clamping, and the positive
    /// position truncates to its floor.
    #[inline(always)]
    fn count_impl(&mut self, values: &[f64]) {
        let (lo, inv_width) = (self.lo, self.inv_width);
        let staged = &mut self.staged[..BINS + 2];
        let mut slots = [0i32; 64];
        for chunk in values.chunks(slots.len()) {
            for (slot, &v) in slots.iter_mut().zip(chunk) {
                let position = (v - lo) * inv_width + 1.0;
                debug_assert!((1.0..(BINS + 1) as f64).contains(&position));
                // SAFETY: `position` is finite and in [1, BINS + 1): the
                // values lie in the block's [min, max], checked inside the
                // range by `prepare_impl`.
                *slot = unsafe { position.to_int_unchecked::<i32>() };
            }
            for &slot in &slots[..chunk.len()] {
                staged[slot as usize] += 1;
            }
        }
    }

    /// Counts `v` in its bin, or keeps it exactly when it is outside the range.
    fn bin_or_keep(&mut self, v: f64) {
        let slot = self.slot(v);
        if slot == 0 || slot == BINS + 1 {
            self.outside.push(v);
        } else {
            self.reserve(1);
            self.staged[slot] += 1;
        }
    }

    /// [`Cell::add_all`] value by value, skipping values that are not finite.
    fn add_each(&mut self, values: &[f64], sum: &mut f64) {
        let (mut min, mut max, mut n, mut total) = (self.min, self.max, 0u64, *sum);
        for &v in values {
            if !v.is_finite() {
                continue;
            }
            min = min.min(v);
            max = max.max(v);
            n += 1;
            total += v;
            self.bin_or_keep(v);
        }
        self.min = min;
        self.max = max;
        self.n += n;
        *sum = total;
    }

    pub(super) fn merge(&mut self, mut other: Cell) {
        if !other.counts.is_empty() {
            if self.counts.is_empty() {
                self.counts = std::mem::take(&mut other.counts);
            } else {
                for (a, b) in self.counts.iter_mut().zip(&other.counts) {
                    *a += b;
                }
            }
        }
        // The staged counts are taken or added as they are while they
        // cannot overflow (no totals to allocate and clear).
        if self.staged.is_empty() {
            self.staged = other.staged;
            self.pending = other.pending;
        } else if !other.staged.is_empty() {
            self.reserve(other.pending as usize);
            for (a, b) in self.staged.iter_mut().zip(&other.staged) {
                *a += b;
            }
        }
        self.outside.extend_from_slice(&other.outside);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.n += other.n;
    }

    /// The value of rank `r` (0-based, fractional ranks interpolated).
    fn at_rank(&self, below: &[f64], above: &[f64], cumulative: &[u64], r: f64) -> f64 {
        let lo_rank = r.floor() as u64;
        let frac = r - lo_rank as f64;
        let a = self.value_of(below, above, cumulative, lo_rank);
        if frac == 0.0 || lo_rank + 1 >= self.n {
            return a;
        }
        let b = self.value_of(below, above, cumulative, lo_rank + 1);
        a + frac * (b - a)
    }

    /// The value of integer rank `r`: exact for values outside the range,
    /// spread evenly within a bin otherwise; clamped to [min, max].
    /// `cumulative[i]`: values in bins `0..=i`.
    fn value_of(&self, below: &[f64], above: &[f64], cumulative: &[u64], r: u64) -> f64 {
        if self.min == self.max {
            return self.min;
        }
        let mut r = r;
        if r < below.len() as u64 {
            return below[r as usize];
        }
        r -= below.len() as u64;
        let i = cumulative.partition_point(|&c| c <= r);
        if i < BINS {
            let before = if i == 0 { 0 } else { cumulative[i - 1] };
            let c = (cumulative[i] - before) as f64;
            let v = self.lo + self.width * (i as f64 + ((r - before) as f64 + 0.5) / c);
            return v.clamp(self.min, self.max);
        }
        let r = (r - cumulative[BINS - 1]) as usize;
        above.get(r).copied().unwrap_or(self.max)
    }

    /// Whether no value was added.
    pub(super) fn is_empty(&self) -> bool {
        self.n == 0
    }

    #[cfg(test)]
    pub(super) fn summary(&self, sum: f64) -> Summary {
        self.summary_at(sum, &[]).0
    }

    /// The summary, and the quantiles at `levels` (each in [0, 1]) by the
    /// same rule. The sd counts each binned value at its bin's centre
    /// (exact for values outside the range), an error below the bin width.
    pub(super) fn summary_at(&self, sum: f64, levels: &[f64]) -> (Summary, Vec<f64>) {
        let mut outside = self.outside.clone();
        outside.sort_by(f64::total_cmp);
        let split = outside.partition_point(|&v| v < self.lo);
        let (below, above) = outside.split_at(split);
        let mean = sum / self.n as f64;
        // Values in bins `0..=i`; not needed when every value is the same.
        let mut cumulative = Vec::new();
        let mut squares = 0.0;
        if self.min != self.max {
            cumulative = vec![0u64; BINS];
            for (c, &v) in cumulative.iter_mut().zip(&self.counts) {
                *c = u64::from(v);
            }
            for (c, &v) in cumulative.iter_mut().zip(self.staged.iter().skip(1)) {
                *c += u64::from(v);
            }
            let mut acc = 0;
            for (i, c) in cumulative.iter_mut().enumerate() {
                if *c > 0 {
                    let d = self.lo + self.width * (i as f64 + 0.5) - mean;
                    squares += *c as f64 * d * d;
                }
                acc += *c;
                *c = acc;
            }
            squares += outside.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
        }
        let q = |p: f64| self.at_rank(below, above, &cumulative, p * (self.n as f64 - 1.0));
        let summary = Summary {
            p025: q(0.025),
            p05: q(0.05),
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
            p975: q(0.975),
            mean,
            sd: (squares / self.n as f64).sqrt(),
            min: self.min,
            max: self.max,
        };
        (summary, levels.iter().map(|&p| q(p)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// `n` draws of `10 + 2·z`, z standard normal, from `seed`.
    fn draws(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                10.0 + 2.0 * z
            })
            .collect()
    }

    /// numpy's default (linear) quantile of sorted values.
    fn exact(sorted: &[f64], p: f64) -> f64 {
        let r = p * (sorted.len() - 1) as f64;
        let (lo, frac) = (r.floor() as usize, r - r.floor());
        if lo + 1 < sorted.len() {
            sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
        } else {
            sorted[lo]
        }
    }

    /// A cell ranged on the first 256 values, fed `values` 256 at a time
    /// (as blocks are); returns it and the sum.
    fn fed(range_from: &[f64], values: &[f64]) -> (Cell, f64) {
        let mut cell = Cell::new(&range_from[..256.min(range_from.len())]);
        let mut sum = 0.0;
        for block in values.chunks(256) {
            cell.add_all_impl(block, &mut sum, range_lanes);
        }
        (cell, sum)
    }

    fn quantiles(s: &Summary) -> [(f64, f64); 9] {
        [
            (0.025, s.p025),
            (0.05, s.p05),
            (0.10, s.p10),
            (0.25, s.p25),
            (0.50, s.p50),
            (0.75, s.p75),
            (0.90, s.p90),
            (0.95, s.p95),
            (0.975, s.p975),
        ]
    }

    /// Every quantile within one bin of numpy's on the sorted values; min,
    /// max and mean exact.
    fn assert_close(cell: &Cell, sum: f64, values: &[f64]) {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let s = cell.summary(sum);
        for (p, q) in quantiles(&s) {
            let e = exact(&sorted, p);
            assert!(
                (q - e).abs() <= cell.width * (1.0 + 1e-9),
                "p{p}: {q} vs exact {e} (bin width {})",
                cell.width
            );
        }
        assert_eq!(s.min, sorted[0]);
        assert_eq!(s.max, sorted[sorted.len() - 1]);
        let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
        assert!((s.mean - mean).abs() <= 1e-9 * mean.abs());
        // The sd within a bin width; any level by the same rule.
        let var = sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / sorted.len() as f64;
        assert!(
            (s.sd - var.sqrt()).abs() <= cell.width,
            "sd {} vs {}",
            s.sd,
            var.sqrt()
        );
        let (s2, at) = cell.summary_at(sum, &[0.9, 0.333, 1.0]);
        assert_eq!(s2, s);
        assert_eq!(at[0], s.p90);
        assert!((at[1] - exact(&sorted, 0.333)).abs() <= cell.width * (1.0 + 1e-9));
        assert!((at[2] - s.max).abs() <= cell.width);
    }

    #[test]
    fn quantiles_agree_with_a_sorted_reference() {
        let values = draws(20_000, 1);
        let (cell, sum) = fed(&values, &values);
        assert_eq!(cell.n, 20_000);
        assert_close(&cell, sum, &values);
    }

    #[test]
    fn merged_cells_equal_one_cell_fed_everything() {
        let values = draws(9_000, 2);
        let (whole, sum) = fed(&values, &values);
        let (mut a, _) = fed(&values, &values[..5_120]);
        let (b, _) = fed(&values, &values[5_120..]);
        a.merge(b);
        assert_eq!(a.n, whole.n);
        assert_eq!(a.summary(sum), whole.summary(sum));
    }

    #[test]
    fn cells_fed_column_by_column_equal_cells_fed_one_at_a_time() {
        // Five columns of 256 values a block: ordinary, a constant, one
        // whose later blocks leave the range, one with a NaN, ordinary.
        const COUNT: usize = 256;
        let blocks = 6;
        let mut columns: Vec<Vec<f64>> = (0..5)
            .map(|c| draws(COUNT * blocks, 10 + c as u64))
            .collect();
        columns[1].iter_mut().for_each(|v| *v = 3.5);
        for (i, v) in columns[2].iter_mut().enumerate() {
            if i >= COUNT && i % 7 == 0 {
                *v *= 4.0;
            }
        }
        columns[3][COUNT * 2 + 5] = f64::NAN;
        let fresh = || -> Vec<Cell> { columns.iter().map(|c| Cell::new(&c[..COUNT])).collect() };
        let (mut together, mut apart) = (fresh(), fresh());
        let (mut sums_together, mut sums_apart) = (vec![0.0; 5], vec![0.0; 5]);
        for b in 0..blocks {
            let block: Vec<f64> = columns
                .iter()
                .flat_map(|c| c[b * COUNT..(b + 1) * COUNT].iter().copied())
                .collect();
            Cell::add_columns_impl(
                &mut together,
                &mut sums_together,
                &block,
                COUNT,
                range_lanes,
            );
            for (c, (cell, sum)) in apart.iter_mut().zip(&mut sums_apart).enumerate() {
                cell.add_all_impl(&block[c * COUNT..(c + 1) * COUNT], sum, range_lanes);
            }
        }
        assert_eq!(sums_together, sums_apart);
        assert!(!together[2].outside.is_empty());
        for (a, b) in together.iter().zip(&apart) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    #[test]
    fn values_outside_the_range_are_kept_exactly() {
        // The range comes from a narrow first block; a tenth of the later
        // values lie far below it and a tenth far above.
        let narrow = draws(256, 3)
            .iter()
            .map(|v| 10.0 + 0.001 * v)
            .collect::<Vec<_>>();
        let mut values = narrow.clone();
        for (i, v) in draws(2_560, 4).into_iter().enumerate() {
            values.push(match i % 10 {
                0 => -1_000.0 - v,
                1 => 1_000.0 + v,
                _ => 10.0 + 0.001 * v,
            });
        }
        let (cell, sum) = fed(&narrow, &values);
        assert!(!cell.outside.is_empty());
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let s = cell.summary(sum);
        // The 2.5% and 97.5% points fall among the outside values: exact.
        assert_eq!(s.p025, exact(&sorted, 0.025));
        assert_eq!(s.p975, exact(&sorted, 0.975));
        assert_eq!((s.min, s.max), (sorted[0], sorted[sorted.len() - 1]));
        // The median lies inside the range: within one bin.
        assert!((s.p50 - exact(&sorted, 0.5)).abs() <= cell.width * (1.0 + 1e-9));
    }

    #[test]
    fn more_than_65535_values_in_one_partial_are_all_counted() {
        // 16-bit staged counts must move into the 32-bit totals before they
        // overflow: 70,000 values (and 140,000 after a merge) in one cell,
        // half of them in a single bin.
        let mut values = draws(70_000, 5);
        for v in values.iter_mut().skip(1).step_by(2) {
            *v = 10.0;
        }
        let (mut cell, sum) = fed(&values, &values);
        assert!(!cell.counts.is_empty(), "staged counts were never moved");
        assert_eq!(cell.n, 70_000);
        assert_close(&cell, sum, &values);
        let (other, other_sum) = fed(&values, &values);
        cell.merge(other);
        let doubled: Vec<f64> = values.iter().chain(&values).copied().collect();
        assert_eq!(cell.n, 140_000);
        assert_close(&cell, sum + other_sum, &doubled);
        let binned: u64 = cell.counts.iter().map(|&c| u64::from(c)).sum::<u64>()
            + cell.staged.iter().map(|&c| u64::from(c)).sum::<u64>()
            + cell.outside.len() as u64;
        assert_eq!(binned, 140_000);
    }
}
