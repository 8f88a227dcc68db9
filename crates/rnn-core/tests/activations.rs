//! `softmax` and `sigmoid` against the notebook formulas, special values
//! included.

mod common;

use common::{assert_close, nan_vec, Rng};
use rnn_core::{ElemDims, KernelError, MatDims, SigmoidIn, SigmoidOut, SoftmaxIn, SoftmaxOut};

/// `rnn_core::softmax` on a `rows × cols` matrix (no workspace).
fn softmax(z: &[f64], rows: usize, cols: usize, out: &mut [f64]) -> Result<(), KernelError> {
    rnn_core::softmax(
        &MatDims { rows, cols },
        SoftmaxIn { z },
        SoftmaxOut { out },
        &mut [],
    )
}

/// `rnn_core::sigmoid` over all of `z` (no workspace).
fn sigmoid(z: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    rnn_core::sigmoid(
        &ElemDims { n: z.len() },
        SigmoidIn { z },
        SigmoidOut { out },
        &mut [],
    )
}

#[test]
fn softmax_matches_reference_on_random_matrices() {
    let mut rng = Rng::new(10);
    for rows in 0..=7 {
        for cols in 0..=7 {
            let z = rng.vec(rows * cols, 30.0);
            let mut out = nan_vec(rows * cols);
            softmax(&z, rows, cols, &mut out).unwrap();
            assert_close(
                &format!("softmax {rows}x{cols}"),
                &out,
                &common::softmax(&z, rows, cols),
                1e-15,
            );
            for j in (0..cols).filter(|_| rows > 0) {
                let s: f64 = (0..rows).map(|i| out[i * cols + j]).sum();
                assert!((s - 1.0).abs() < 1e-14);
            }
        }
    }
}

#[test]
fn softmax_special_values_follow_numpy() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    // 3 × 5, columns: NaN present / +inf / all -inf / -inf with finite / huge.
    #[rustfmt::skip]
    let z = [
        1.0, inf,  -inf, -inf, 1000.0,
        nan, 0.0,  -inf, 2.0,  1001.0,
        2.0, inf,  -inf, 0.0,  -1e308,
    ];
    let mut out = nan_vec(15);
    softmax(&z, 3, 5, &mut out).unwrap();
    let col = |j: usize| [out[j], out[5 + j], out[10 + j]];
    assert!(
        col(0).iter().all(|v| v.is_nan()),
        "NaN spreads over its column: {:?}",
        col(0)
    );
    // ∞ - ∞ is NaN, so the column sum is NaN and every entry with it.
    assert!(col(1).iter().all(|v| v.is_nan()), "{:?}", col(1));
    assert!(col(2).iter().all(|v| v.is_nan()));
    assert_eq!(col(3)[0], 0.0);
    assert!(col(4).iter().all(|v| v.is_finite()));
    assert_close("softmax special", &out, &common::softmax(&z, 3, 5), 1e-15);
}

#[test]
fn softmax_nan_in_first_row_propagates() {
    let z = [f64::NAN, 1.0, 2.0];
    let mut out = [0.0; 3];
    softmax(&z, 3, 1, &mut out).unwrap();
    assert!(out.iter().all(|v| v.is_nan()));
}

#[test]
fn softmax_rejects_wrong_lengths() {
    let z = [0.0; 6];
    let mut out = [0.0; 6];
    assert!(softmax(&z, 2, 3, &mut out).is_ok());
    assert!(softmax(&z, 2, 2, &mut out).is_err());
    assert!(softmax(&z, 2, 3, &mut out[..5]).is_err());
    assert!(softmax(&z[..5], 2, 3, &mut out).is_err());
    assert!(softmax(&[], usize::MAX, 2, &mut []).is_err());
    assert!(softmax(&[], usize::MAX, 0, &mut []).is_ok());
}

#[test]
fn sigmoid_matches_formula_and_special_values() {
    let z = [
        0.0,
        1.0,
        -1.0,
        40.0,
        -40.0,
        800.0,
        -800.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -0.0,
    ];
    let mut out = nan_vec(z.len());
    sigmoid(&z, &mut out).unwrap();
    let want: Vec<f64> = z.iter().map(|&v| common::sigmoid(v)).collect();
    // The vectorised exp is within 1 ulp of the reference's, not always equal.
    assert_close("sigmoid", &out, &want, 4e-16);
    assert_eq!(out[0], 0.5);
    assert_eq!(out[7], 1.0);
    assert_eq!(out[8], 0.0);
    assert_eq!(out[6], 0.0);
    assert!(out[9].is_nan());
    assert!(sigmoid(&z, &mut out[1..]).is_err());
    assert!(sigmoid(&[], &mut []).is_ok());
}

#[test]
fn sigmoid_is_zero_exactly_where_the_formula_overflows() {
    // 1 / (1 + e^-z) is 0 from where e^-z overflows (z < −709.78…), though e^z is still a
    // subnormal down to −745: every backend gives the formula's 0 there, the sign included.
    let threshold = -709.782712893384_f64;
    let below = f64::from_bits(threshold.to_bits() + 1);
    let z = [threshold, below, -710.0, -720.0, -744.0, -745.2];
    let mut out = nan_vec(z.len());
    sigmoid(&z, &mut out).unwrap();
    assert!(
        out[0] > 0.0 && out[0] < 1e-307,
        "at the threshold: {}",
        out[0]
    );
    for (i, &v) in out.iter().enumerate().skip(1) {
        assert_eq!(v.to_bits(), 0, "sigmoid({})", z[i]);
        assert_eq!(common::sigmoid(z[i]).to_bits(), 0, "reference at {}", z[i]);
    }
}
