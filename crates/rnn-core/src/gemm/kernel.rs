//! The register-blocked micro-kernel: one `MR × NR` tile of `A·B` from a
//! left panel and a right panel, and the store of that tile into `C`.
//!
//! The tile lives in `MR·NR/2` two-lane accumulators (8 for 4×4). Each step
//! `p` loads the right panel's `NR` values as two vectors, splats each of the
//! `MR` left values (`v128.load64_splat`) and does one multiply and one add per
//! accumulator: 16 arithmetic instructions per 6 loads. On SIMD128 this is
//! built for V8's x64 code generator, which has 15 allocatable vector
//! registers: 8 accumulators, 2 right vectors, 1 splat and 1 product fit
//! without spilling; 6×4 (12 accumulators) and 4×6 spill and measured slower.
//!
//! Each accumulator sums its products in order `p = 0, 1, ...`, exactly as a
//! plain dot product would, so within one `k` block the result is the same,
//! bit for bit, as the reference loop's.
//!
//! The relaxed-SIMD build (`wasm/rnn_wasm_relaxed.wasm`) does each step as one
//! `f64x2.relaxed_madd` ([`F64x2::mul_add`]): where the engine fuses it (V8 on
//! a CPU with FMA) a product is no longer rounded before it is added, so the
//! tile differs from the reference loop by rounding, each sum of `k` products
//! by at most about `k` units in the last place of `Σ|a·b|` (the usual dot
//! product bound); the order of the sums is unchanged. It keeps the 4×4 tile:
//! a fused step frees the product's register, but 6×4 and 5×4 tiles (12 and 10
//! accumulators) and this tile unrolled over two steps all measured 30–45 %
//! slower under V8 (Node 20, x64).

// Native builds use `native.rs` for the tile.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use super::update::{Rule, Update};
use super::MatMut;
use crate::simd::F64x2;

/// Rows of a tile (and of a left panel).
pub const MR: usize = 4;
/// Columns of a tile (and of a right panel).
pub const NR: usize = 4;

/// A tile's accumulators: row `r`, columns `2v, 2v + 1`.
type Tile = [[F64x2; NR / 2]; MR];

/// `Σ_p a[p·MR + r] · b[p·NR + j]` for the tile, over the first `k` steps of
/// the two panels.
#[inline(always)]
fn tile(k: usize, a: &[f64], b: &[f64]) -> Tile {
    let mut acc = [[F64x2::zero(); NR / 2]; MR];
    let (a, b) = (&a[..k * MR], &b[..k * NR]);
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let b0 = F64x2::load(&bp[0..2]);
        let b1 = F64x2::load(&bp[2..4]);
        for (row, &av) in acc.iter_mut().zip(ap) {
            let av = F64x2::splat(av);
            row[0] = av.mul_add(b0, row[0]);
            row[1] = av.mul_add(b1, row[1]);
        }
    }
    acc
}

/// `C ← α·tile + β·C` at `(i0, j0)` of `c` for the tile of two panels over
/// their first `k` steps.
#[inline(always)]
pub(crate) fn tile_store(
    k: usize,
    a: &[f64],
    b: &[f64],
    up: Update,
    c: &mut MatMut<'_>,
    i0: usize,
    j0: usize,
) {
    store(&tile(k, a, b), up, c, i0, j0);
}

/// Writes the tile at `(i0, j0)` of `c`, leaving out rows and columns past
/// the edges of `c`.
#[inline(always)]
fn store(acc: &Tile, up: Update, c: &mut MatMut<'_>, i0: usize, j0: usize) {
    let rows = MR.min(c.rows - i0);
    let cols = NR.min(c.cols - j0);
    if rows == MR && cols == NR && c.cs == 1 {
        for (r, acc_row) in acc.iter().enumerate() {
            let start = (i0 + r) * c.rs + j0;
            let out = &mut c.data[start..start + NR];
            let (lo, hi) = out.split_at_mut(2);
            up.apply(acc_row[0], || F64x2::load(lo)).store(lo);
            up.apply(acc_row[1], || F64x2::load(hi)).store(hi);
        }
        return;
    }
    // An edge tile: spill the accumulators, then update the cells inside C.
    let mut t = [0.0; MR * NR];
    for (acc_row, out) in acc.iter().zip(t.chunks_exact_mut(NR)) {
        acc_row[0].store(&mut out[0..2]);
        acc_row[1].store(&mut out[2..4]);
    }
    for (r, t_row) in t.chunks_exact(NR).enumerate().take(rows) {
        for (j, &v) in t_row.iter().enumerate().take(cols) {
            let cell = c.at_mut(i0 + r, j0 + j);
            *cell = up.combine(v, *cell);
        }
    }
}
