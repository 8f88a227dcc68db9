//! The plain scalar loop nests: the reference every faster path is tested
//! against, and the path for calls that bring no packing workspace.

use super::update::{Rule, Update};
use super::{MatMut, MatRef};
use crate::KernelError;

/// `C ← α·A·B + β·C` for `A: m × k`, `B: k × n`, `C: m × n`.
///
/// With `β = 0` the old contents of `C` are not read. With `k = 0` the product
/// is the zero matrix, so `C ← β·C` (or zeros). Views that overlap inside `C`
/// (a zero stride, say) are allowed and give whatever the writes leave.
pub fn gemm(
    alpha: f64,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f64,
    c: MatMut<'_>,
) -> Result<(), KernelError> {
    if a.rows != c.rows {
        return Err(KernelError::Length {
            arg: "A rows",
            expected: c.rows,
            actual: a.rows,
        });
    }
    if b.cols != c.cols {
        return Err(KernelError::Length {
            arg: "B cols",
            expected: c.cols,
            actual: b.cols,
        });
    }
    if a.cols != b.rows {
        return Err(KernelError::Length {
            arg: "B rows",
            expected: a.cols,
            actual: b.rows,
        });
    }
    if c.rows == 0 || c.cols == 0 {
        return Ok(());
    }
    // Prefer a layout where C's rows are contiguous: (A·B)ᵀ = Bᵀ·Aᵀ.
    if c.cs != 1 && c.rs == 1 {
        gemm_dispatch(alpha, b.t(), a.t(), beta, c.t());
    } else {
        gemm_dispatch(alpha, a, b, beta, c);
    }
    Ok(())
}

fn gemm_dispatch(alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, c: MatMut<'_>) {
    if c.cs == 1 && b.cs == 1 {
        gemm_rows(alpha, a, b, beta, c);
    } else if a.cs == 1 && b.rs == 1 {
        gemm_dots(alpha, a, b, beta, c);
    } else {
        gemm_strided(alpha, a, b, beta, c);
    }
}

/// Scales `row` by `beta`, with `β = 0` meaning "overwrite with zeros":
/// `C`'s part of the update ([`Rule::keep`]).
fn scale_row(row: &mut [f64], beta: f64) {
    let up = Update { alpha: 1.0, beta };
    if beta != 1.0 {
        for v in row {
            *v = up.keep(*v);
        }
    }
}

/// Row-of-C axpy form, for contiguous rows of C and B:
/// `C[i,:] = β·C[i,:] + Σ_p (α·A[i,p])·B[p,:]`.
fn gemm_rows(alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, mut c: MatMut<'_>) {
    for i in 0..c.rows {
        let c_row = c.row_mut(i);
        scale_row(c_row, beta);
        for p in 0..a.cols {
            let s = alpha * a.at(i, p);
            let b_row = b.row(p);
            for (cv, &bv) in c_row.iter_mut().zip(b_row) {
                *cv += s * bv;
            }
        }
    }
}

/// Dot-product form, for contiguous rows of A and columns of B:
/// `C[i,j] = β·C[i,j] + α·(A[i,:] · B[:,j])`.
fn gemm_dots(alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, mut c: MatMut<'_>) {
    let up = Update { alpha, beta };
    let bt = b.t();
    for i in 0..c.rows {
        let a_row = a.row(i);
        for j in 0..c.cols {
            let cell = c.at_mut(i, j);
            *cell = up.combine(dot(a_row, bt.row(j)), *cell);
        }
    }
}

/// Any strides: `C[i,j] = β·C[i,j] + α·Σ_p A[i,p]·B[p,j]`.
fn gemm_strided(alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, mut c: MatMut<'_>) {
    let up = Update { alpha, beta };
    for i in 0..c.rows {
        for j in 0..c.cols {
            let mut acc = 0.0;
            for p in 0..a.cols {
                acc += a.at(i, p) * b.at(p, j);
            }
            let cell = c.at_mut(i, j);
            *cell = up.combine(acc, *cell);
        }
    }
}

/// Dot product of equal-length slices, four partial sums for throughput.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let mut acc = [0.0f64; 4];
    let xc = x.chunks_exact(4);
    let yc = y.chunks_exact(4);
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..4 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = 0.0;
    for (&xv, &yv) in xr.iter().zip(yr) {
        tail += xv * yv;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}
