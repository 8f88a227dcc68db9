//! `gemm_packed` with float32 panels ([`Precision::F32`]) against the sums
//! of the float32-rounded operands taken in float64, within the float32
//! rounding bound of a `k`-term dot product, over small sizes, every
//! transposition, α/β and thread counts.

mod common;

use common::Rng;
use rnn_core::gemm::{MR, NR, NR32};
use rnn_core::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs, Precision};

/// A float64 whose two halves are each a float32 NaN: a poisoned float32
/// panel shows an unwritten element whichever half it is.
const POISON: u64 = 0x7fc0_0000_7fc0_0000;

/// `α·A·B + β·C` with `A`, `B` rounded to float32, summed in float64, and
/// the float32 error bound of each element: `(k + 1)·2⁻²⁴·|α|·Σ|a||b|`.
fn model(
    alpha: f64,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c: &[f64],
    (m, k, n): (usize, usize, usize),
) -> (Vec<f64>, Vec<f64>) {
    let r = |v: f64| f64::from(v as f32);
    let (mut want, mut bound) = (vec![0.0; m * n], vec![0.0; m * n]);
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut abs) = (0.0, 0.0);
            for p in 0..k {
                s += r(a[i * k + p]) * r(b[p * n + j]);
                abs += (r(a[i * k + p]) * r(b[p * n + j])).abs();
            }
            want[i * n + j] = alpha * s
                + if beta == 0.0 {
                    0.0
                } else {
                    beta * c[i * n + j]
                };
            bound[i * n + j] =
                (k as f64 + 1.0) * f64::from(f32::EPSILON) / 2.0 * alpha.abs() * abs + 1e-300;
        }
    }
    (want, bound)
}

/// `gemm_packed` in float32 on row-major (`a_t`: `a` given transposed) operands.
#[allow(clippy::too_many_arguments)]
fn run(
    alpha: f64,
    a: &[f64],
    a_t: bool,
    b: &[f64],
    beta: f64,
    c: &mut [f64],
    (m, k, n): (usize, usize, usize),
) {
    let mut pa = vec![f64::from_bits(POISON); PackedLhs::len_for(m, k).unwrap()];
    let mut pb = vec![f64::from_bits(POISON); PackedRhs::len_for(k, n).unwrap()];
    let mut lhs = PackedLhs::with(Precision::F32, &mut pa, m, k).unwrap();
    let av = if a_t {
        MatRef::row_major(a, k, m).unwrap().t()
    } else {
        MatRef::row_major(a, m, k).unwrap()
    };
    lhs.pack(0, 0, av).unwrap();
    let mut rhs = PackedRhs::with(Precision::F32, &mut pb, k, n).unwrap();
    rhs.pack(0, 0, MatRef::row_major(b, k, n).unwrap()).unwrap();
    gemm_packed(alpha, &lhs, &rhs, beta, MatMut::row_major(c, m, n).unwrap()).unwrap();
}

fn transpose(a: &[f64], m: usize, k: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for i in 0..m {
        for p in 0..k {
            t[p * m + i] = a[i * k + p];
        }
    }
    t
}

#[test]
fn float32_products_within_the_float32_bound() {
    let mut rng = Rng::new(32);
    let sizes = [1, 2, 3, MR - 1, MR, MR + 1, NR, NR32 - 1, NR32, NR32 + 5];
    for &m in &sizes {
        for &n in &sizes {
            for k in [0, 1, 2, 7, 64, 129] {
                for (alpha, beta) in [(1.0, 0.0), (1.0, 1.0), (0.5, -2.0)] {
                    let a = rng.vec(m * k, 1.0);
                    let b = rng.vec(k * n, 1.0);
                    let c0 = rng.vec(m * n, 1.0);
                    let (want, bound) = model(alpha, &a, &b, beta, &c0, (m, k, n));
                    for a_t in [false, true] {
                        let mut c = if beta == 0.0 {
                            vec![f64::NAN; m * n]
                        } else {
                            c0.clone()
                        };
                        let src = if a_t { transpose(&a, m, k) } else { a.clone() };
                        run(alpha, &src, a_t, &b, beta, &mut c, (m, k, n));
                        for (idx, ((&got, &w), &e)) in c.iter().zip(&want).zip(&bound).enumerate() {
                            let err = (got - w).abs();
                            assert!(
                                err <= e + 4.0 * f64::EPSILON * w.abs(),
                                "m={m} k={k} n={n} α={alpha} β={beta} a_t={a_t} [{idx}]: {got} vs {w} (bound {e})"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn float32_rounds_the_operands() {
    // 1 + 2⁻³⁰ is 1 in float32: the product is exactly 1.
    let (a, b) = ([1.0 + 2f64.powi(-30)], [1.0]);
    let mut c = [0.0];
    run(1.0, &a, false, &b, 0.0, &mut c, (1, 1, 1));
    assert_eq!(c[0], 1.0);
}

#[test]
fn mixed_precisions_are_refused() {
    let (mut pa, mut pb) = (
        vec![0.0; PackedLhs::len_for(2, 2).unwrap()],
        vec![0.0; PackedRhs::len_for(2, 2).unwrap()],
    );
    let lhs = PackedLhs::with(Precision::F32, &mut pa, 2, 2).unwrap();
    let rhs = PackedRhs::with(Precision::F64, &mut pb, 2, 2).unwrap();
    let mut c = [0.0; 4];
    assert!(gemm_packed(
        1.0,
        &lhs,
        &rhs,
        0.0,
        MatMut::row_major(&mut c, 2, 2).unwrap()
    )
    .is_err());
}

#[test]
#[cfg(not(target_arch = "wasm32"))]
fn float32_rows_shared_among_threads_give_the_same_bits() {
    let (m, k, n) = (MR * 100 + 5, 300, 2 * NR32 + 3);
    let mut rng = Rng::new(78);
    let a = rng.vec(m * k, 1.0);
    let b = rng.vec(k * n, 1.0);
    let c0 = rng.vec(m * n, 1.0);
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        rnn_core::set_threads(threads);
        let mut c = c0.clone();
        run(0.75, &a, false, &b, 0.5, &mut c, (m, k, n));
        results.push(c);
    }
    rnn_core::set_threads(0);
    for r in &results[1..] {
        assert!(r
            .iter()
            .zip(&results[0])
            .all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
