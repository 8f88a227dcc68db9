//! Transposition between the notebook's `(n, m, T)` arrays and the kernels'
//! time-major `[T][n][m]` blocks.
//!
//! Both layouts are the same data seen as a matrix: `(n·m) × T` in the
//! notebook's order, `T × (n·m)` time-major, so converting is a plain 2-D
//! transpose. It runs in square tiles so that the strided side of each tile
//! stays within a few cache lines and pages.

use crate::{expect_len, DimError};

/// Side of a tile: 16 × 16 values (2 KiB) read strided and written in runs.
const TILE: usize = 16;

/// `dst ← srcᵀ` for the `rows × cols` C-order matrix `src`; `dst` is
/// `cols × rows`.
///
/// With `rows = n·m` and `cols = T` this takes a notebook array to
/// time-major; with `rows = T` and `cols = n·m`, back.
pub fn transpose(src: &[f64], rows: usize, cols: usize, dst: &mut [f64]) -> Result<(), DimError> {
    expect_len("src", src.len(), &[rows, cols])?;
    expect_len("dst", dst.len(), &[rows, cols])?;
    for r0 in (0..rows).step_by(TILE) {
        let r1 = rows.min(r0 + TILE);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = cols.min(c0 + TILE);
            for c in c0..c1 {
                let out = &mut dst[c * rows + r0..c * rows + r1];
                for (o, r) in out.iter_mut().zip(r0..r1) {
                    *o = src[r * cols + c];
                }
            }
        }
    }
    Ok(())
}
