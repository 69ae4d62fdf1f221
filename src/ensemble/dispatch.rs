//! Run-time CPU dispatch, in one place.
//!
//! On x86-64 CPUs with AVX2 and FMA, the block runner and the histogram's
//! bulk add are compiled a second time for those instructions and chosen at
//! run time; elsewhere the portable build runs. Both builds do the same
//! arithmetic in the same order: Rust never fuses a multiply and an add on
//! its own, and the plain kernel's explicit `mul_add` is a fused
//! multiply-add in both builds (an instruction with FMA, a correctly
//! rounded library call without), so both give bit-identical results.
//!
//! # Safety
//!
//! The one contract of every `unsafe` call below: a function compiled with
//! `#[target_feature(enable = "avx2,fma")]` is called only after
//! [`avx2_fma`] has returned `true` on this CPU. Nothing else here is
//! unsafe; the `_impl` functions are `#[inline(always)]` so that each build
//! inlines them with its own instruction set.

use super::block::{run_block_impl, BlockInputs, Scratch};
use super::histogram::{range_lanes, Cell, RangeLanes};
use super::indicators::Weights;
use super::lanes::Lanes;
use super::regional::{run_regional_block_impl, step_region_impl, RegionalInputs, RegionalScratch};
use super::step::{Bounds, StepInputs};
use crate::age_grid::AgeGrid;

/// Whether this x86-64 CPU has AVX2 and FMA (the checks are cached).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Runs block `b` (`count` trajectories), handing every year's values to
/// `sink(year index, values[column·count + t])` (columns: indicators, then
/// demands) as soon as they are computed.
pub(super) fn run_block(
    b: usize,
    count: usize,
    inputs: &BlockInputs,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(usize, &[f64]),
) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: avx2_fma() holds (the module's contract).
        unsafe { run_block_avx2(b, count, inputs, scratch, sink) };
        return;
    }
    run_block_impl(b, count, inputs, scratch, sink)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_block_avx2(
    b: usize,
    count: usize,
    inputs: &BlockInputs,
    scratch: &mut Scratch,
    sink: &mut dyn FnMut(usize, &[f64]),
) {
    run_block_impl(b, count, inputs, scratch, sink)
}

/// Runs block `b` of a regional ensemble (see
/// `regional::run_regional_block_impl`).
pub(super) fn run_regional_block(
    b: usize,
    count: usize,
    inputs: &RegionalInputs,
    scratch: &mut RegionalScratch,
    sink: &mut dyn FnMut(usize, usize, &[f64]),
) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: avx2_fma() holds (the module's contract).
        unsafe { run_regional_block_avx2(b, count, inputs, scratch, sink) };
        return;
    }
    run_regional_block_impl(b, count, inputs, scratch, sink)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_regional_block_avx2(
    b: usize,
    count: usize,
    inputs: &RegionalInputs,
    scratch: &mut RegionalScratch,
    sink: &mut dyn FnMut(usize, usize, &[f64]),
) {
    run_regional_block_impl(b, count, inputs, scratch, sink)
}

/// One region's step of a regional block (see
/// `regional::step_region_impl`), compiled on its own: inlined into the
/// regional block, the fused kernel loses its registers.
#[inline(never)]
pub(super) fn step_region(
    l: &mut Lanes,
    grid: AgeGrid,
    input: &StepInputs,
    bounds: &Bounds,
    w: &Weights,
    internal: &[f64],
    slot: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: avx2_fma() holds (the module's contract).
        unsafe { step_region_avx2(l, grid, input, bounds, w, internal, slot) };
        return;
    }
    step_region_impl(l, grid, input, bounds, w, internal, slot)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn step_region_avx2(
    l: &mut Lanes,
    grid: AgeGrid,
    input: &StepInputs,
    bounds: &Bounds,
    w: &Weights,
    internal: &[f64],
    slot: &mut [f64],
) {
    step_region_impl(l, grid, input, bounds, w, internal, slot)
}

impl Cell {
    /// Every cell of `cells` takes its column of `values`
    /// (`values[c·count..(c + 1)·count]`, finite values in order), its sum
    /// added to `sums[c]`: min, max, count and the bin of each value.
    pub(super) fn add_columns(cells: &mut [Cell], sums: &mut [f64], values: &[f64], count: usize) {
        #[cfg(target_arch = "x86_64")]
        if avx2_fma() {
            // SAFETY: avx2_fma() holds (the module's contract).
            return unsafe { Cell::add_columns_avx2(cells, sums, values, count) };
        }
        Cell::add_columns_impl(cells, sums, values, count, range_lanes)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_columns_avx2(cells: &mut [Cell], sums: &mut [f64], values: &[f64], count: usize) {
        // SAFETY: this function runs only where avx2_fma() holds.
        Cell::add_columns_impl(cells, sums, values, count, |rows| unsafe {
            range_lanes_avx2(rows)
        })
    }
}

/// [`range_lanes`] in AVX instructions (compilers turn the portable loop
/// into a slow shuffle sequence). `vminpd(x, m)` is `x < m ? x : m` and
/// `vmaxpd(x, m)` is `x > m ? x : m` lane by lane, the portable rule, and
/// each lane's sum adds in the same order: the results are identical.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn range_lanes_avx2(values: &[f64]) -> RangeLanes {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_max_pd, _mm256_min_pd, _mm256_set1_pd,
        _mm256_setzero_pd, _mm256_storeu_pd,
    };
    let mut mn = _mm256_set1_pd(f64::INFINITY);
    let mut mx = _mm256_set1_pd(f64::NEG_INFINITY);
    let mut tot = _mm256_setzero_pd();
    for row in values.chunks_exact(4) {
        // SAFETY: `row` is four readable f64 (unaligned loads).
        let x = unsafe { _mm256_loadu_pd(row.as_ptr()) };
        mn = _mm256_min_pd(x, mn);
        mx = _mm256_max_pd(x, mx);
        tot = _mm256_add_pd(tot, x);
    }
    let mut out = ([0.0; 4], [0.0; 4], [0.0; 4]);
    // SAFETY: each array is four writable f64.
    unsafe {
        _mm256_storeu_pd(out.0.as_mut_ptr(), mn);
        _mm256_storeu_pd(out.1.as_mut_ptr(), mx);
        _mm256_storeu_pd(out.2.as_mut_ptr(), tot);
    }
    out
}
