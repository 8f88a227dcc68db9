//! The micro-kernel of native builds: a 12 × 16 tile, computed by the best
//! x86-64 kernel the CPU runs (AVX-512 or AVX2+FMA, from the `rnn-x86` crate,
//! detected at run time) or else by a portable loop.
//!
//! The tile is larger than wasm's 4 × 4 because native vector registers are
//! wider and more numerous: at 12 × 16 an AVX-512 step does 24 fused
//! multiply-adds per 2 loads and 12 broadcasts. Its width, 16, also divides
//! the batch sizes of the M and L workloads (32, 64), which are the columns
//! of the per-step GEMMs, so no lanes are wasted there.
//!
//! Fused multiply-add rounds once per product and sum, so native results may
//! differ from the reference loop (and from wasm) in the last bits; the sum
//! order within a `k` block is the same, `p = 0, 1, ...`.

use super::update::{Rule, Update};
use super::MatMut;

/// Rows of a tile (and of a left panel).
pub const MR: usize = 12;
/// Columns of a tile (and of a right panel).
pub const NR: usize = 16;

#[cfg(target_arch = "x86_64")]
const _: () = assert!(MR == rnn_x86::MR && NR == rnn_x86::NR);

/// A computed tile, row-major.
type Tile = [f64; MR * NR];

/// Name of the instruction set the kernel runs on this CPU.
pub fn isa_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    return rnn_x86::isa().name();
    #[cfg(not(target_arch = "x86_64"))]
    return "scalar";
}

/// `C ← α·tile + β·C` at `(i0, j0)` of `c` for the tile
/// `Σ_p a[p·MR + r] · b[p·NR + j]` over the first `k` steps of two panels.
/// A tile in a row-major `C` is written by the x86 kernel itself, from its
/// registers: a whole one by the full kernel, an edge one (its rows or
/// columns cut by `C`'s edges) by the kernel for a part, which computes only
/// the column groups holding valid columns. A right panel with few valid
/// columns, the last one of the per-step GEMMs whose column count shrinks
/// as sequences end, is then read and computed only as far as those need.
/// A strided `C` goes through a tile buffer and [`store`], as does every
/// tile on a CPU without a kernel.
#[inline]
pub(crate) fn tile_store(
    k: usize,
    a: &[f64],
    b: &[f64],
    up: Update,
    c: &mut MatMut<'_>,
    i0: usize,
    j0: usize,
) {
    let rows = MR.min(c.rows - i0);
    let cols = NR.min(c.cols - j0);
    #[cfg(target_arch = "x86_64")]
    if c.cs == 1 {
        let isa = rnn_x86::isa();
        let dst = &mut c.data[i0 * c.rs + j0..];
        let done = if rows == MR && cols == NR {
            rnn_x86::tile(isa, k, a, b, up, dst, c.rs)
        } else {
            rnn_x86::tile_part(isa, k, a, b, up, dst, c.rs, rows, cols)
        };
        if done {
            return;
        }
    }
    let mut t = [0.0; MR * NR];
    #[cfg(target_arch = "x86_64")]
    let done = rnn_x86::tile_part(
        rnn_x86::isa(),
        k,
        a,
        b,
        rnn_x86::Update::SET,
        &mut t,
        NR,
        rows,
        cols,
    );
    #[cfg(not(target_arch = "x86_64"))]
    let done = false;
    if !done {
        portable_tile(k, a, b, &mut t);
    }
    store(&t, up, c, i0, j0, rows, cols);
}

/// The same sums in plain Rust, for CPUs without a vector kernel.
fn portable_tile(k: usize, a: &[f64], b: &[f64], out: &mut Tile) {
    for (ap, bp) in a[..k * MR]
        .chunks_exact(MR)
        .zip(b[..k * NR].chunks_exact(NR))
    {
        for (row, &av) in out.chunks_exact_mut(NR).zip(ap) {
            for (o, &bv) in row.iter_mut().zip(bp) {
                *o += av * bv;
            }
        }
    }
}

/// Writes the first `rows` rows and `cols` columns of the tile at `(i0, j0)`
/// of `c`: those inside its edges.
#[inline]
fn store(t: &Tile, up: Update, c: &mut MatMut<'_>, i0: usize, j0: usize, rows: usize, cols: usize) {
    for (r, t_row) in t.chunks_exact(NR).enumerate().take(rows) {
        if c.cs == 1 {
            let start = (i0 + r) * c.rs + j0;
            for (cell, &v) in c.data[start..start + cols].iter_mut().zip(t_row) {
                *cell = up.combine(v, *cell);
            }
        } else {
            for (j, &v) in t_row.iter().enumerate().take(cols) {
                let cell = c.at_mut(i0 + r, j0 + j);
                *cell = up.combine(v, *cell);
            }
        }
    }
}
