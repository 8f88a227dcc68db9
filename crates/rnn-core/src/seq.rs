//! Pieces shared by the RNN and LSTM sequence kernels.
//!
//! - A bias is one more column of its weight, acting on a row of ones: the
//!   fused weight `[W_a | W_x | b]` is packed once per call and each step's
//!   input `[a_prev; x_t; 1]` once per step, so a step's pre-activations are
//!   one GEMM with `k = n_a + n_x + 1` and no separate bias pass.
//! - The output layer `y_t = softmax(Wy·a_t + by)` packs `[Wy | by]` once.
//! - The weight gradients of all steps are one GEMM with `k = T·m`:
//!   `[dW_a | dW_x | db] = Σ_t dz_t·[a_prev_t; x_t; 1]ᵀ`, packed a run of
//!   steps at a time and accumulated in place, so the gradient matrix is
//!   read and written once per run instead of once per step.

use crate::activations::softmax_columns_in_place;
use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};
use crate::{step, step_mut, Dims, KernelError};

/// The value of every element of a [`ones`] view.
static ONE: [f64; 1] = [1.0];

/// A `rows × cols` view whose every element is 1 (zero strides).
pub(crate) fn ones(rows: usize, cols: usize) -> Result<MatRef<'static>, KernelError> {
    MatRef::new(&ONE, rows, cols, 0, 0)
}

/// `b` as a column vector.
pub(crate) fn column(b: &[f64]) -> Result<MatRef<'_>, KernelError> {
    MatRef::new(b, b.len(), 1, 1, 1)
}

/// Sum of workspace parts, `None` on overflow.
pub(crate) fn sum(parts: &[Option<usize>]) -> Option<usize> {
    parts
        .iter()
        .try_fold(0usize, |acc, p| acc.checked_add((*p)?))
}

/// Packed length of a left operand, zero when it has no rows (whatever `k`).
pub(crate) fn lhs_len(rows: usize, k: Option<usize>) -> Option<usize> {
    if rows == 0 {
        Some(0)
    } else {
        PackedLhs::len_for(rows, k?)
    }
}

/// Packed length of a right operand, zero when it has no columns.
pub(crate) fn rhs_len(k: Option<usize>, cols: usize) -> Option<usize> {
    if cols == 0 {
        Some(0)
    } else {
        PackedRhs::len_for(k?, cols)
    }
}

/// Splits the first `len` elements off `ws` (sized by the caller's
/// `*_workspace_len`, so `len` is in range).
pub(crate) fn take(ws: &mut [f64], len: usize) -> (&mut [f64], &mut [f64]) {
    ws.split_at_mut(len)
}

/// `[a_prev; x_t; 1]` (`(n_a + n_x + 1) × m`) packed as a right operand.
pub(crate) fn step_input<'a>(
    buf: &'a mut [f64],
    a_prev: &[f64],
    x_t: &[f64],
    n_a: usize,
    n_x: usize,
    m: usize,
) -> Result<PackedRhs<'a>, KernelError> {
    let mut rhs = PackedRhs::new(buf, n_a + n_x + 1, m)?;
    rhs.pack(0, 0, MatRef::row_major(a_prev, n_a, m)?)?;
    rhs.pack(n_a, 0, MatRef::row_major(x_t, n_x, m)?)?;
    rhs.pack(n_a + n_x, 0, ones(1, m)?)?;
    Ok(rhs)
}

/// Workspace of [`output_layer`].
pub(crate) fn output_layer_workspace_len(d: &Dims) -> Option<usize> {
    let k = d.n_a.checked_add(1);
    sum(&[lhs_len(d.n_y, k), rhs_len(k, d.m)])
}

/// `y_t ← softmax(Wy·a_t + by)` for every step; `a [T][n_a][m]`,
/// `y [T][n_y][m]`.
pub(crate) fn output_layer(
    d: &Dims,
    wy: &[f64],
    by: &[f64],
    a: &[f64],
    y: &mut [f64],
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let Dims { n_a, n_y, m, .. } = *d;
    if y.is_empty() {
        return Ok(());
    }
    let (sa, sy) = (n_a * m, n_y * m);
    let (wbuf, rbuf) = take(ws, PackedLhs::len_for(n_y, n_a + 1).unwrap_or(0));
    let mut wyp = PackedLhs::new(wbuf, n_y, n_a + 1)?;
    wyp.pack(0, 0, MatRef::row_major(wy, n_y, n_a)?)?;
    wyp.pack(0, n_a, column(by)?)?;
    for t in 0..d.t {
        let mut rhs = PackedRhs::new(rbuf, n_a + 1, m)?;
        rhs.pack(0, 0, MatRef::row_major(step(a, t, sa), n_a, m)?)?;
        rhs.pack(n_a, 0, ones(1, m)?)?;
        let y_t = step_mut(y, t, sy);
        gemm_packed(1.0, &wyp, &rhs, 0.0, MatMut::row_major(y_t, n_y, m)?)?;
        softmax_columns_in_place(y_t, n_y, m);
    }
    Ok(())
}

/// Target `k` of one run of steps in [`weight_gradients`]. Each run reads and
/// writes the whole gradient matrix once (12 MiB at the L workload), so runs
/// are long; the GEMM splits them no further (its longest k block is 1024).
const GRAD_K: usize = 1024;

/// Steps packed together in [`weight_gradients`].
fn steps_per_run(m: usize, t: usize) -> usize {
    let per = GRAD_K.checked_div(m).map_or(1, |q| q.max(1));
    per.min(t.max(1))
}

/// Workspace of [`weight_gradients`] for `rows` gradient rows.
pub(crate) fn weight_gradients_workspace_len(d: &Dims, rows: usize) -> Option<usize> {
    let kc = steps_per_run(d.m, d.t).checked_mul(d.m);
    let cols = d.n_a.checked_add(d.n_x)?.checked_add(1)?;
    sum(&[lhs_len(rows, kc), rhs_len(kc, cols)])
}

/// `ext ← Σ_t dz_t·[a_prev_t; x_t; 1]ᵀ`, the gradients `[dW_a | dW_x | db]`
/// (`rows × (n_a + n_x + 1)`) of a pre-activation `z_t = W_a·a_prev_t +
/// W_x·x_t + b`, given `dz [T][rows][m]`, `a_prev [T][n_a][m]`, `x [T][n_x][m]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn weight_gradients(
    d: &Dims,
    rows: usize,
    dz: &[f64],
    a_prev: &[f64],
    x: &[f64],
    ext: &mut [f64],
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let Dims { n_x, n_a, m, .. } = *d;
    let cols = n_a + n_x + 1;
    let per = steps_per_run(m, d.t);
    let kc = per * m;
    let (lbuf, rbuf) = take(ws, PackedLhs::len_for(rows, kc).unwrap_or(0));
    let (sz, sa, sx) = (rows * m, n_a * m, n_x * m);
    let mut t0 = 0;
    while t0 < d.t {
        let steps = per.min(d.t - t0);
        let k = steps * m;
        let mut lhs = PackedLhs::new(lbuf, rows, k)?;
        let mut rhs = PackedRhs::new(rbuf, k, cols)?;
        for s in 0..steps {
            let t = t0 + s;
            lhs.pack(0, s * m, MatRef::row_major(step(dz, t, sz), rows, m)?)?;
            rhs.pack(
                s * m,
                0,
                MatRef::row_major(step(a_prev, t, sa), n_a, m)?.t(),
            )?;
            rhs.pack(s * m, n_a, MatRef::row_major(step(x, t, sx), n_x, m)?.t())?;
            rhs.pack(s * m, n_a + n_x, ones(m, 1)?)?;
        }
        let beta = if t0 == 0 { 0.0 } else { 1.0 };
        gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(ext, rows, cols)?)?;
        t0 += steps;
    }
    Ok(())
}

/// Copies columns `c0..c1` of the `rows × ext_cols` matrix `ext` into the
/// row-major `rows × (c1 − c0)` matrix `out`.
pub(crate) fn copy_columns(ext: &[f64], ext_cols: usize, c0: usize, c1: usize, out: &mut [f64]) {
    let w = c1 - c0;
    if w == 0 {
        return;
    }
    for (src, dst) in ext.chunks_exact(ext_cols).zip(out.chunks_exact_mut(w)) {
        dst.copy_from_slice(&src[c0..c1]);
    }
}
