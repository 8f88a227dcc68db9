//! The plain scalar loop nests: the reference every faster path is tested
//! against, and the path for calls that bring no packing workspace.

use super::{MatMut, MatRef};
use crate::DimError;

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
) -> Result<(), DimError> {
    if a.rows != c.rows {
        return Err(DimError {
            arg: "A rows",
            expected: Some(c.rows),
            actual: a.rows,
        });
    }
    if b.cols != c.cols {
        return Err(DimError {
            arg: "B cols",
            expected: Some(c.cols),
            actual: b.cols,
        });
    }
    if a.cols != b.rows {
        return Err(DimError {
            arg: "B rows",
            expected: Some(a.cols),
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

/// Scales `row` by `beta`, with `β = 0` meaning "overwrite with zeros".
fn scale_row(row: &mut [f64], beta: f64) {
    if beta == 0.0 {
        row.fill(0.0);
    } else if beta != 1.0 {
        for v in row {
            *v *= beta;
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
    let bt = b.t();
    for i in 0..c.rows {
        let a_row = a.row(i);
        for j in 0..c.cols {
            let v = alpha * dot(a_row, bt.row(j));
            store(c.at_mut(i, j), beta, v);
        }
    }
}

/// Any strides: `C[i,j] = β·C[i,j] + α·Σ_p A[i,p]·B[p,j]`.
fn gemm_strided(alpha: f64, a: MatRef<'_>, b: MatRef<'_>, beta: f64, mut c: MatMut<'_>) {
    for i in 0..c.rows {
        for j in 0..c.cols {
            let mut acc = 0.0;
            for p in 0..a.cols {
                acc += a.at(i, p) * b.at(p, j);
            }
            store(c.at_mut(i, j), beta, alpha * acc);
        }
    }
}

fn store(c: &mut f64, beta: f64, v: f64) {
    *c = if beta == 0.0 { v } else { beta * *c + v };
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
