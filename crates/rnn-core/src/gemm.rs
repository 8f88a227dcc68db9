//! General strided matrix product `C ← α·A·B + β·C`.
//!
//! Matrices are views over slices with a row stride and a column stride, so a
//! transpose is a swap of strides ([`MatRef::t`]) and a column block of a
//! row-major matrix is a view with a wider row stride; no data is copied.
//!
//! Semantics follow BLAS `dgemm` with two deliberate points:
//! - `β = 0` overwrites `C` without reading it, so NaN or garbage already in
//!   `C` never reaches the result;
//! - no term is skipped because a factor is zero, so `0·∞` and `0·NaN` give NaN
//!   exactly as a plain sum of products would.
//!
//! The loop nests below are scalar and ordered for unit-stride inner loops; a
//! packed, register-blocked kernel can replace them behind the same [`gemm`]
//! signature.

use crate::DimError;

/// Largest index a `rows × cols` view with strides `rs`, `cs` touches, or
/// `None` for an empty view. `Err` when the arithmetic overflows.
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Result<Option<usize>, ()> {
    if rows == 0 || cols == 0 {
        return Ok(None);
    }
    let r = (rows - 1).checked_mul(rs).ok_or(())?;
    let c = (cols - 1).checked_mul(cs).ok_or(())?;
    r.checked_add(c).map(Some).ok_or(())
}

fn check_view(
    arg: &'static str,
    len: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
) -> Result<(), DimError> {
    match last_index(rows, cols, rs, cs) {
        Ok(None) => Ok(()),
        Ok(Some(last)) if last < len => Ok(()),
        Ok(Some(last)) => Err(DimError {
            arg,
            expected: last.checked_add(1),
            actual: len,
        }),
        Err(()) => Err(DimError {
            arg,
            expected: None,
            actual: len,
        }),
    }
}

/// Read-only matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatRef<'a> {
    /// A `rows × cols` view with row stride `rs` and column stride `cs`.
    /// Fails if any element would fall outside `data`.
    pub fn new(
        data: &'a [f64],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, DimError> {
        check_view("matrix view", data.len(), rows, cols, rs, cs)?;
        Ok(Self {
            data,
            rows,
            cols,
            rs,
            cs,
        })
    }

    /// A dense row-major `rows × cols` view of the start of `data`.
    pub fn row_major(data: &'a [f64], rows: usize, cols: usize) -> Result<Self, DimError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (strides swapped).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.rs + j * self.cs]
    }

    /// Row `i` as a contiguous slice; only for views with `cs == 1`.
    fn row(&self, i: usize) -> &'a [f64] {
        let start = i * self.rs;
        &self.data[start..start + self.cols]
    }
}

/// Mutable matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatMut<'a> {
    /// A `rows × cols` view with row stride `rs` and column stride `cs`.
    /// Fails if any element would fall outside `data`.
    pub fn new(
        data: &'a mut [f64],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, DimError> {
        check_view("matrix view", data.len(), rows, cols, rs, cs)?;
        Ok(Self {
            data,
            rows,
            cols,
            rs,
            cs,
        })
    }

    /// A dense row-major `rows × cols` view of the start of `data`.
    pub fn row_major(data: &'a mut [f64], rows: usize, cols: usize) -> Result<Self, DimError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (strides swapped).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    fn at_mut(&mut self, i: usize, j: usize) -> &mut f64 {
        &mut self.data[i * self.rs + j * self.cs]
    }

    /// Row `i` as a contiguous slice; only for views with `cs == 1`.
    fn row_mut(&mut self, i: usize) -> &mut [f64] {
        let start = i * self.rs;
        &mut self.data[start..start + self.cols]
    }
}

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
