//! Element-wise activations, written with the notebook's formulas so that
//! infinities and NaN come out as NumPy gives them.

use crate::{expect_len, DimError};

/// Logistic function of one value: `1 / (1 + exp(-z))`.
///
/// `-∞ → 0`, `+∞ → 1`, NaN stays NaN, as the NumPy expression does.
#[inline]
pub(crate) fn sigmoid1(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `out[i] = 1 / (1 + exp(-z[i]))`; both slices must have the same length.
pub fn sigmoid(z: &[f64], out: &mut [f64]) -> Result<(), DimError> {
    expect_len("out", out.len(), &[z.len()])?;
    for (o, &v) in out.iter_mut().zip(z) {
        *o = sigmoid1(v);
    }
    Ok(())
}

/// Softmax over axis 0 of the `rows × cols` C-order matrix `z`, into `out`:
/// for each column, `e = exp(z - max(z)); e / sum(e)`.
///
/// The column maximum propagates NaN as `np.max` does, so a NaN anywhere in a
/// column makes the whole column NaN, and a column holding `+∞` gives NaN
/// where NumPy does (`∞ - ∞`).
pub fn softmax(z: &[f64], rows: usize, cols: usize, out: &mut [f64]) -> Result<(), DimError> {
    expect_len("z", z.len(), &[rows, cols])?;
    expect_len("out", out.len(), &[rows, cols])?;
    out.copy_from_slice(z);
    softmax_columns_in_place(out, rows, cols);
    Ok(())
}

/// `max` that returns NaN when either argument is NaN (unlike `f64::max`).
#[inline]
fn nan_max(acc: f64, v: f64) -> f64 {
    if acc.is_nan() || v.is_nan() {
        f64::NAN
    } else if v > acc {
        v
    } else {
        acc
    }
}

/// Column-wise softmax of a `rows × cols` C-order matrix, in place.
/// Requires `buf.len() == rows * cols`.
pub(crate) fn softmax_columns_in_place(buf: &mut [f64], rows: usize, cols: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    for j in 0..cols {
        let mut max = buf[j];
        for i in 1..rows {
            max = nan_max(max, buf[i * cols + j]);
        }
        let mut sum = 0.0;
        for i in 0..rows {
            let e = (buf[i * cols + j] - max).exp();
            buf[i * cols + j] = e;
            sum += e;
        }
        for i in 0..rows {
            buf[i * cols + j] /= sum;
        }
    }
}
