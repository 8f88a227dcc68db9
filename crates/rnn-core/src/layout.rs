//! Transposition between the notebook's `(n, m, T)` arrays and the kernels'
//! time-major `[T][n][m]` blocks.
//!
//! Both layouts are the same data seen as a matrix: `(n·m) × T` in the
//! notebook's order, `T × (n·m)` time-major, so converting is a plain 2-D
//! transpose. It runs in square tiles so that the strided side of each tile
//! stays within a few cache lines and pages.

use crate::{expect_len, expect_workspace, product, KernelError, MatDims};

/// Side of a tile: 16 × 16 values (2 KiB) read strided and written in runs.
const TILE: usize = 16;

/// Input of [`transpose`].
#[derive(Clone, Copy, Debug)]
pub struct TransposeIn<'a> {
    /// The `rows × cols` C-order matrix.
    pub src: &'a [f64],
}

/// Output of [`transpose`].
#[derive(Debug)]
pub struct TransposeOut<'a> {
    /// `srcᵀ`, `cols × rows`.
    pub dst: &'a mut [f64],
}

/// Workspace elements [`transpose`] needs: none, once `rows · cols` fits in
/// `usize` (`None` otherwise).
pub fn transpose_workspace_len(d: &MatDims) -> Option<usize> {
    product(&[d.rows, d.cols]).map(|_| 0)
}

/// `dst ← srcᵀ` for the `rows × cols` C-order matrix `src`; `dst` is
/// `cols × rows`.
///
/// With `rows = n·m` and `cols = T` this takes a notebook array to
/// time-major; with `rows = T` and `cols = n·m`, back. Native builds share
/// large ones among threads, in runs of `dst` rows.
pub fn transpose(
    d: &MatDims,
    i: TransposeIn<'_>,
    o: TransposeOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let (TransposeIn { src }, TransposeOut { dst }) = (i, o);
    let MatDims { rows, cols } = *d;
    expect_len("src", src.len(), &[rows, cols])?;
    expect_len("dst", dst.len(), &[rows, cols])?;
    expect_workspace(ws.len(), transpose_workspace_len(d))?;
    if rows == 0 {
        return Ok(());
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = crate::threads::for_elements(rows * cols);
        if threads > 1 {
            let per = crate::threads::piece_len(cols, threads, TILE);
            let pieces = dst.chunks_mut(per * rows).enumerate();
            crate::threads::share_pieces(threads, pieces, |(i, part)| {
                transpose_columns(src, rows, cols, i * per, part)
            });
            return Ok(());
        }
    }
    transpose_columns(src, rows, cols, 0, dst);
    Ok(())
}

/// Rows `c0..` of `srcᵀ` (columns `c0..` of `src`, `rows × cols`) into
/// `part`, which holds whole rows of the transpose.
fn transpose_columns(src: &[f64], rows: usize, cols: usize, c0: usize, part: &mut [f64]) {
    let c_end = c0 + part.len() / rows;
    for r0 in (0..rows).step_by(TILE) {
        let r1 = rows.min(r0 + TILE);
        for t0 in (c0..c_end).step_by(TILE) {
            for c in t0..c_end.min(t0 + TILE) {
                let out = &mut part[(c - c0) * rows + r0..(c - c0) * rows + r1];
                for (o, r) in out.iter_mut().zip(r0..r1) {
                    *o = src[r * cols + c];
                }
            }
        }
    }
}
