//! `gemm` and `gemm_packed` against a plain triple loop, over every small
//! size, every transposition and padded strides.

mod common;

use common::{assert_close, Rng};
use rnn_core::gemm::{MR, NR};
use rnn_core::{gemm, gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};

/// A matrix stored either row- or column-major with `pad` spare elements
/// per leading dimension.
struct Stored {
    data: Vec<f64>,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl Stored {
    fn new(rng: &mut Rng, rows: usize, cols: usize, col_major: bool, pad: usize) -> Self {
        let (rs, cs, len) = if col_major {
            let ld = rows + pad;
            (1, ld, ld * cols)
        } else {
            let ld = cols + pad;
            (ld, 1, ld * rows)
        };
        Stored {
            data: rng.vec(len, 1.0),
            rows,
            cols,
            rs,
            cs,
        }
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.rs + j * self.cs]
    }

    fn view(&self) -> MatRef<'_> {
        MatRef::new(&self.data, self.rows, self.cols, self.rs, self.cs).unwrap()
    }

    fn view_mut(&mut self) -> MatMut<'_> {
        MatMut::new(&mut self.data, self.rows, self.cols, self.rs, self.cs).unwrap()
    }

    fn dense(&self) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.rows {
            for j in 0..self.cols {
                v.push(self.get(i, j));
            }
        }
        v
    }
}

fn naive(alpha: f64, a: &Stored, b: &Stored, beta: f64, c: &Stored) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut s = 0.0;
            for p in 0..a.cols {
                s += a.get(i, p) * b.get(p, j);
            }
            out.push(if beta == 0.0 {
                alpha * s
            } else {
                alpha * s + beta * c.get(i, j)
            });
        }
    }
    out
}

/// Which implementation a check runs.
#[derive(Clone, Copy, Debug)]
enum Path {
    Reference,
    Packed,
}

const PATHS: [Path; 2] = [Path::Reference, Path::Packed];

fn check_one(
    path: Path,
    rng: &mut Rng,
    (m, k, n): (usize, usize, usize),
    layout: u32,
    pad: usize,
    alpha: f64,
    beta: f64,
) {
    let a = Stored::new(rng, m, k, layout & 1 != 0, pad);
    let b = Stored::new(rng, k, n, layout & 2 != 0, pad);
    let mut c = Stored::new(rng, m, n, layout & 4 != 0, pad);
    if beta == 0.0 {
        // β = 0 must not read C: poison it.
        c.data.fill(f64::NAN);
    }
    let padding_before = c.data.clone();
    let want = naive(alpha, &a, &b, beta, &c);
    let what = format!(
        "{path:?} m={m} k={k} n={n} layout={layout:03b} pad={pad} alpha={alpha} beta={beta}"
    );
    match path {
        Path::Reference => gemm(alpha, a.view(), b.view(), beta, c.view_mut()).unwrap(),
        Path::Packed => {
            // Poison the packing buffers so that an unwritten element shows.
            let mut pa = vec![f64::NAN; PackedLhs::len_for(m, k).unwrap()];
            let mut pb = vec![f64::NAN; PackedRhs::len_for(k, n).unwrap()];
            let mut lhs = PackedLhs::new(&mut pa, m, k).unwrap();
            lhs.pack(0, 0, a.view()).unwrap();
            let mut rhs = PackedRhs::new(&mut pb, k, n).unwrap();
            rhs.pack(0, 0, b.view()).unwrap();
            gemm_packed(alpha, &lhs, &rhs, beta, c.view_mut()).unwrap();
        }
    }
    assert_close(&what, &c.dense(), &want, 1e-13);
    // Elements outside the view are untouched.
    let mut touched = vec![false; c.data.len()];
    for i in 0..m {
        for j in 0..n {
            touched[i * c.rs + j * c.cs] = true;
        }
    }
    for (idx, (&now, &before)) in c.data.iter().zip(&padding_before).enumerate() {
        if !touched[idx] {
            assert!(
                now.to_bits() == before.to_bits(),
                "{what}: padding [{idx}] changed"
            );
        }
    }
}

#[test]
fn every_small_size_and_layout() {
    let mut rng = Rng::new(1);
    for m in 0..=9 {
        for k in 0..=9 {
            for n in 0..=9 {
                for layout in 0..8 {
                    for beta in [0.0, 1.0] {
                        for path in PATHS {
                            check_one(path, &mut rng, (m, k, n), layout, 0, 1.0, beta);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn padded_strides_and_general_scalars() {
    let mut rng = Rng::new(2);
    for m in 0..=6 {
        for k in 0..=6 {
            for n in 0..=6 {
                for layout in 0..8 {
                    for (alpha, beta) in [(1.0, 0.0), (-0.5, 1.0), (2.0, 0.25), (0.0, 1.0)] {
                        for path in PATHS {
                            check_one(path, &mut rng, (m, k, n), layout, 3, alpha, beta);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn odd_shapes() {
    let mut rng = Rng::new(3);
    let shapes = [
        (17, 257, 3),
        (63, 1, 10),
        (0, 64, 4),
        (1, 1024, 1),
        (33, 17, 65),
        (5, 0, 7),
        (64, 64, 64),
        (1, 9, 300),
        // k long enough for the packed path to split it into blocks.
        (13, 385, 6),
        (9, 1000, 11),
        (3, 2100, 5),
        (1024, 1, 1),
        (1, 1, 1024),
        // A right operand over 2 MiB per k block: the native blocking for
        // wide operands (shorter k blocks, larger left blocks).
        (30, 700, 500),
    ];
    for shape in shapes {
        for layout in 0..8 {
            for beta in [0.0, 1.0] {
                for path in PATHS {
                    check_one(path, &mut rng, shape, layout, 1, 1.0, beta);
                }
            }
        }
    }
}

#[test]
fn whole_tiles_with_general_scalars() {
    // Shapes with whole native 12 × 16 tiles, which the x86 kernels update in
    // place, and edge tiles beside them.
    let mut rng = Rng::new(4);
    for shape in [(24, 33, 32), (40, 50, 70)] {
        for layout in 0..8 {
            for (alpha, beta) in [(-0.5, 1.0), (2.0, 0.25), (0.0, 1.0), (3.0, 0.0)] {
                for path in PATHS {
                    check_one(path, &mut rng, shape, layout, 2, alpha, beta);
                }
            }
        }
    }
}

#[test]
fn zero_times_infinity_is_nan() {
    let a = [0.0, 1.0];
    let b = [f64::INFINITY, 2.0];
    let mut c = [0.0];
    gemm(
        1.0,
        MatRef::row_major(&a, 1, 2).unwrap(),
        MatRef::row_major(&b, 2, 1).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 1, 1).unwrap(),
    )
    .unwrap();
    assert!(c[0].is_nan());
    // Same through the dot-product path (B transposed).
    let mut c = [0.0];
    gemm(
        1.0,
        MatRef::row_major(&a, 1, 2).unwrap(),
        MatRef::row_major(&b, 1, 2).unwrap().t(),
        0.0,
        MatMut::row_major(&mut c, 1, 1).unwrap(),
    )
    .unwrap();
    assert!(c[0].is_nan());
    // And with α = 0.
    let a = [f64::INFINITY];
    let b = [1.0];
    let mut c = [5.0];
    gemm(
        0.0,
        MatRef::row_major(&a, 1, 1).unwrap(),
        MatRef::row_major(&b, 1, 1).unwrap(),
        1.0,
        MatMut::row_major(&mut c, 1, 1).unwrap(),
    )
    .unwrap();
    assert!(c[0].is_nan());
}

#[test]
fn k_zero_gives_beta_c() {
    let mut c = [f64::NAN, f64::NAN];
    gemm(
        1.0,
        MatRef::row_major(&[], 2, 0).unwrap(),
        MatRef::row_major(&[], 0, 1).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 2, 1).unwrap(),
    )
    .unwrap();
    assert_eq!(c, [0.0, 0.0]);
    let mut c = [3.0, -1.0];
    gemm(
        1.0,
        MatRef::row_major(&[], 2, 0).unwrap(),
        MatRef::row_major(&[], 0, 1).unwrap(),
        2.0,
        MatMut::row_major(&mut c, 2, 1).unwrap(),
    )
    .unwrap();
    assert_eq!(c, [6.0, -2.0]);
}

#[test]
fn zero_strides_broadcast() {
    // A is a 3 × 2 matrix whose rows all alias one stored row.
    let a = [1.0, 2.0];
    let b = [1.0, 10.0, 100.0, 1000.0];
    let mut c = [0.0; 6];
    gemm(
        1.0,
        MatRef::new(&a, 3, 2, 0, 1).unwrap(),
        MatRef::row_major(&b, 2, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 3, 2).unwrap(),
    )
    .unwrap();
    assert_eq!(c, [201.0, 2010.0, 201.0, 2010.0, 201.0, 2010.0]);
}

#[test]
fn views_out_of_bounds_are_rejected() {
    let data = [0.0; 6];
    assert!(MatRef::new(&data, 2, 3, 3, 1).is_ok());
    assert!(MatRef::new(&data, 2, 4, 3, 1).is_err());
    assert!(MatRef::new(&data, 3, 2, 1, 3).is_ok());
    assert!(MatRef::new(&data, 3, 2, 1, 4).is_err());
    assert!(MatRef::new(&data, 0, 1000, 1000, 1000).is_ok());
    assert!(MatRef::new(&data, 2, 2, usize::MAX, 1).is_err());
    assert!(MatRef::new(&data, usize::MAX, 2, usize::MAX / 2, 1).is_err());
    assert!(MatRef::new(&[], 1, 1, 0, 0).is_err());
    let mut out = [0.0; 4];
    assert!(MatMut::new(&mut out, 2, 2, 2, 1).is_ok());
    assert!(MatMut::new(&mut out, 2, 3, 2, 1).is_err());
}

#[test]
fn mismatched_shapes_are_rejected() {
    let a = [0.0; 6];
    let b = [0.0; 6];
    let mut c = [0.0; 9];
    let ok = gemm(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 2, 2).unwrap(),
    );
    assert!(ok.is_ok());
    let bad_k = gemm(
        1.0,
        MatRef::row_major(&a, 3, 2).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 3, 2).unwrap(),
    );
    assert!(bad_k.is_err());
    let bad_m = gemm(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 3, 2).unwrap(),
    );
    assert!(bad_m.is_err());
    let bad_n = gemm(
        1.0,
        MatRef::row_major(&a, 2, 3).unwrap(),
        MatRef::row_major(&b, 3, 2).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 2, 3).unwrap(),
    );
    assert!(bad_n.is_err());
}

/// Runs `gemm_packed` on row-major `a` (m × k) and `b` (k × n) into `c`.
fn packed(
    alpha: f64,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c: &mut [f64],
    (m, k, n): (usize, usize, usize),
) {
    let mut pa = vec![0.0; PackedLhs::len_for(m, k).unwrap()];
    let mut pb = vec![0.0; PackedRhs::len_for(k, n).unwrap()];
    let mut lhs = PackedLhs::new(&mut pa, m, k).unwrap();
    lhs.pack(0, 0, MatRef::row_major(a, m, k).unwrap()).unwrap();
    let mut rhs = PackedRhs::new(&mut pb, k, n).unwrap();
    rhs.pack(0, 0, MatRef::row_major(b, k, n).unwrap()).unwrap();
    gemm_packed(alpha, &lhs, &rhs, beta, MatMut::row_major(c, m, n).unwrap()).unwrap();
}

#[test]
#[cfg(not(target_arch = "wasm32"))]
fn packed_rows_shared_among_threads_give_the_same_bits() {
    // Over the 2^18 multiply-adds per thread a split needs, with the last row
    // panel cut short. A row-major C is shared among threads in runs of row
    // panels; a column-major one cannot be cut by rows and stays one piece.
    let (m, k, n) = (MR * 100 + 5, 300, 2 * NR + 3);
    let mut rng = Rng::new(77);
    let a = rng.vec(m * k, 1.0);
    let b = rng.vec(k * n, 1.0);
    let c0 = rng.vec(m * n, 1.0);
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        rnn_core::set_threads(threads);
        let mut c = c0.clone();
        packed(0.75, &a, &b, 0.5, &mut c, (m, k, n));
        results.push(c);
        for layout in [0, 4] {
            check_one(Path::Packed, &mut rng, (m, k, n), layout, 3, 1.5, 0.5);
        }
    }
    rnn_core::set_threads(0);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&results[1]), bits(&results[0]), "2 threads");
    assert_eq!(bits(&results[2]), bits(&results[0]), "3 threads");
    assert_close(
        "1 thread",
        &results[0],
        &{
            let mut want = common::matmul(&a, &b, m, k, n);
            for (w, c) in want.iter_mut().zip(&c0) {
                *w = 0.75 * *w + 0.5 * c;
            }
            want
        },
        1e-13,
    );
}

#[test]
fn packed_zero_times_infinity_is_nan_and_beta_zero_ignores_c() {
    let mut c = [f64::NAN];
    packed(
        1.0,
        &[0.0, 1.0],
        &[f64::INFINITY, 2.0],
        0.0,
        &mut c,
        (1, 2, 1),
    );
    assert!(c[0].is_nan());
    let mut c = [5.0];
    packed(0.0, &[f64::INFINITY], &[1.0], 1.0, &mut c, (1, 1, 1));
    assert!(c[0].is_nan());
    // A NaN in the padding rows or columns of a tile must not leak into C.
    let mut c = [f64::NAN; 5 * 3];
    let a: Vec<f64> = (0..5 * 2).map(f64::from).collect();
    let b: Vec<f64> = (0..2 * 3).map(f64::from).collect();
    packed(1.0, &a, &b, 0.0, &mut c, (5, 2, 3));
    assert_eq!(c.to_vec(), common::matmul(&a, &b, 5, 2, 3));
    // k = 0: C ← β·C.
    let mut c = [3.0, -1.0];
    packed(1.0, &[], &[], 2.0, &mut c, (2, 0, 1));
    assert_eq!(c, [6.0, -2.0]);
}

#[test]
fn packed_operands_assemble_from_blocks() {
    // [A1 | A2 | bias] · [B1; B2; ones] = A1·B1 + A2·B2 + bias, each block from
    // a view of its own layout.
    let mut rng = Rng::new(5);
    let (m, k1, k2, n) = (7, 5, 3, 6);
    let a1 = rng.vec(m * k1, 1.0);
    let a2t = rng.vec(k2 * m, 1.0); // stored transposed
    let bias = rng.vec(m, 1.0);
    let b1 = rng.vec(k1 * n, 1.0);
    let b2t = rng.vec(n * k2, 1.0); // stored transposed
    let k = k1 + k2 + 1;
    let mut pa = vec![f64::NAN; PackedLhs::len_for(m, k).unwrap()];
    let mut lhs = PackedLhs::new(&mut pa, m, k).unwrap();
    lhs.pack(0, 0, MatRef::row_major(&a1, m, k1).unwrap())
        .unwrap();
    lhs.pack(0, k1, MatRef::row_major(&a2t, k2, m).unwrap().t())
        .unwrap();
    lhs.pack(0, k1 + k2, MatRef::new(&bias, m, 1, 1, 1).unwrap())
        .unwrap();
    let mut pb = vec![f64::NAN; PackedRhs::len_for(k, n).unwrap()];
    let mut rhs = PackedRhs::new(&mut pb, k, n).unwrap();
    rhs.pack(0, 0, MatRef::row_major(&b1, k1, n).unwrap())
        .unwrap();
    rhs.pack(k1, 0, MatRef::row_major(&b2t, n, k2).unwrap().t())
        .unwrap();
    rhs.pack(k1 + k2, 0, MatRef::new(&[1.0], 1, n, 0, 0).unwrap())
        .unwrap();
    let mut c = vec![f64::NAN; m * n];
    gemm_packed(
        1.0,
        &lhs,
        &rhs,
        0.0,
        MatMut::row_major(&mut c, m, n).unwrap(),
    )
    .unwrap();
    let mut want = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0;
            for p in 0..k1 {
                s += a1[i * k1 + p] * b1[p * n + j];
            }
            for p in 0..k2 {
                s += a2t[p * m + i] * b2t[j * k2 + p];
            }
            want[i * n + j] = s + bias[i];
        }
    }
    assert_close("assembled", &c, &want, 1e-14);
    // Blocks may also split the rows (columns) of an operand.
    let mut pb2 = vec![f64::NAN; PackedRhs::len_for(k1, n).unwrap()];
    let mut rhs2 = PackedRhs::new(&mut pb2, k1, n).unwrap();
    rhs2.pack(0, 0, MatRef::new(&b1, k1, 2, n, 1).unwrap())
        .unwrap();
    rhs2.pack(0, 2, MatRef::new(&b1[2..], k1, n - 2, n, 1).unwrap())
        .unwrap();
    let mut pa2 = vec![f64::NAN; PackedLhs::len_for(m, k1).unwrap()];
    let mut lhs2 = PackedLhs::new(&mut pa2, m, k1).unwrap();
    lhs2.pack(0, 0, MatRef::row_major(&a1, 3, k1).unwrap())
        .unwrap();
    lhs2.pack(3, 0, MatRef::row_major(&a1[3 * k1..], m - 3, k1).unwrap())
        .unwrap();
    let mut c2 = vec![f64::NAN; m * n];
    gemm_packed(
        1.0,
        &lhs2,
        &rhs2,
        0.0,
        MatMut::row_major(&mut c2, m, n).unwrap(),
    )
    .unwrap();
    assert_close("split", &c2, &common::matmul(&a1, &b1, m, k1, n), 1e-14);
}

#[test]
fn packed_shapes_and_blocks_are_checked() {
    // Panels are MR rows (NR columns) tall, whatever the build's tile.
    let round = |n: usize, to: usize| n.div_ceil(to) * to;
    let mut buf = vec![0.0; round(5, MR) * 4];
    assert!(PackedLhs::new(&mut buf, 5, 4).is_ok());
    assert!(
        PackedLhs::new(&mut buf, 5, 5).is_err(),
        "needs one more k step"
    );
    assert_eq!(PackedLhs::len_for(5, 3), Some(round(5, MR) * 3));
    assert_eq!(PackedRhs::len_for(3, 5), Some(round(5, NR) * 3));
    assert_eq!(PackedLhs::len_for(usize::MAX, 2), None);
    let data = [0.0; 12];
    let mut lhs = PackedLhs::new(&mut buf, 3, 4).unwrap();
    assert!(lhs
        .pack(0, 0, MatRef::row_major(&data, 3, 4).unwrap())
        .is_ok());
    assert!(lhs
        .pack(1, 0, MatRef::row_major(&data, 3, 4).unwrap())
        .is_err());
    assert!(lhs
        .pack(0, 1, MatRef::row_major(&data, 3, 4).unwrap())
        .is_err());
    let mut buf2 = vec![0.0; round(2, NR) * 5];
    let rhs = PackedRhs::new(&mut buf2, 5, 2).unwrap();
    let mut c = [0.0; 6];
    let bad_k = gemm_packed(
        1.0,
        &lhs,
        &rhs,
        0.0,
        MatMut::row_major(&mut c, 3, 2).unwrap(),
    );
    assert!(bad_k.is_err());
}
