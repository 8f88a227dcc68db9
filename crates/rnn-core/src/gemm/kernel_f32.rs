//! The float32 micro-kernel: one `MR × NR32` tile of `A·B` from float32
//! panels, summed in float32 and stored into the float64 `C`.
//!
//! A float32 right panel has twice the columns of a float64 one
//! ([`NR32`] = 2·`NR`): the same bytes per step, twice the lanes per vector.
//! The tile is computed into a float32 buffer (by `f32x4` accumulators in
//! wasm, by `rnn-x86`'s AVX-512 or AVX2+FMA kernel natively, else by a
//! plain loop), then widened to float64 and combined with `C` as
//! `update.rs` says. The spill costs `MR·NR32` stores per tile against
//! `MR·NR32·k` products, so it is not worth a masked-store kernel per edge.
//!
//! Each value sums its products in order `p = 0, 1, ...` in float32: with
//! fused multiply-adds natively and in the relaxed-SIMD wasm build, a
//! product and a sum rounding separately in the SIMD128 build and the plain
//! loop.

use super::micro::{MR, NR};
use super::update::{Rule, Update};
use super::MatMut;

/// Columns of a float32 tile (and of a float32 right panel).
pub const NR32: usize = 2 * NR;

#[cfg(target_arch = "x86_64")]
const _: () = assert!(MR == rnn_x86::MR && NR32 == rnn_x86::NR32);

/// A computed tile, row-major: the scratch each sweep over a `C` reuses
/// for all its tiles (zeroing 1.5 KB per tile took 3 % of an M forward pass).
pub(crate) type Tile32 = [f32; MR * NR32];

/// `C ← α·tile + β·C` at `(i0, j0)` of `c` for the float32 tile
/// `Σ_p a[p·MR + r] · b[p·NR32 + j]` over the first `k` steps of two panels,
/// computed into `t` (any contents: every value is overwritten).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn tile_store_f32(
    k: usize,
    a: &[f32],
    b: &[f32],
    up: Update,
    c: &mut MatMut<'_>,
    i0: usize,
    j0: usize,
    t: &mut Tile32,
) {
    tile(k, a, b, t);
    store(t, up, c, i0, j0);
}

/// The tile in `f32x4` accumulators, two per row (eight for 4 × 8, as the
/// float64 kernel's 4 × 4).
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn tile(k: usize, a: &[f32], b: &[f32], out: &mut Tile32) {
    use crate::simd::F32x4;
    let mut acc = [[F32x4::zero(); NR32 / 4]; MR];
    let (a, b) = (&a[..k * MR], &b[..k * NR32]);
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR32)) {
        let b0 = F32x4::load(&bp[0..4]);
        let b1 = F32x4::load(&bp[4..8]);
        for (row, &av) in acc.iter_mut().zip(ap) {
            let av = F32x4::splat(av);
            row[0] = av.mul_add(b0, row[0]);
            row[1] = av.mul_add(b1, row[1]);
        }
    }
    for (acc_row, o) in acc.iter().zip(out.chunks_exact_mut(NR32)) {
        acc_row[0].store(&mut o[0..4]);
        acc_row[1].store(&mut o[4..8]);
    }
}

/// The tile from `rnn-x86`'s kernel for this CPU, or the plain loop.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
fn tile(k: usize, a: &[f32], b: &[f32], out: &mut Tile32) {
    #[cfg(target_arch = "x86_64")]
    if rnn_x86::tile_f32(rnn_x86::isa(), k, a, b, out) {
        return;
    }
    out.fill(0.0);
    for (ap, bp) in a[..k * MR]
        .chunks_exact(MR)
        .zip(b[..k * NR32].chunks_exact(NR32))
    {
        for (row, &av) in out.chunks_exact_mut(NR32).zip(ap) {
            for (o, &bv) in row.iter_mut().zip(bp) {
                *o += av * bv;
            }
        }
    }
}

/// Widens the tile and writes its rows and columns inside the edges of `c`.
#[inline(always)]
fn store(t: &Tile32, up: Update, c: &mut MatMut<'_>, i0: usize, j0: usize) {
    let rows = MR.min(c.rows - i0);
    let cols = NR32.min(c.cols - j0);
    for (r, t_row) in t.chunks_exact(NR32).enumerate().take(rows) {
        if c.cs == 1 {
            let start = (i0 + r) * c.rs + j0;
            let cells = c.data[start..start + cols].iter_mut().zip(t_row);
            // The two rules of the layers' GEMMs as plain loops, which vectorise
            // (the general rule branches per value); the same operations.
            if up.alpha == 1.0 && up.beta == 0.0 {
                cells.for_each(|(cell, &v)| *cell = f64::from(v));
            } else if up.alpha == 1.0 && up.beta == 1.0 {
                cells.for_each(|(cell, &v)| *cell += f64::from(v));
            } else {
                cells.for_each(|(cell, &v)| *cell = up.combine(f64::from(v), *cell));
            }
        } else {
            for (j, &v) in t_row.iter().enumerate().take(cols) {
                let cell = c.at_mut(i0 + r, j0 + j);
                *cell = up.combine(f64::from(v), *cell);
            }
        }
    }
}
