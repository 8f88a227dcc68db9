//! `transpose` against index arithmetic, on shapes around the tile size and on
//! shapes large enough to be shared among threads.

mod common;

use common::{nan_vec, Rng};
use rnn_core::{KernelError, MatDims, TransposeIn, TransposeOut};

/// `rnn_core::transpose` of a `rows × cols` matrix (no workspace).
fn transpose(src: &[f64], rows: usize, cols: usize, dst: &mut [f64]) -> Result<(), KernelError> {
    rnn_core::transpose(
        &MatDims { rows, cols },
        TransposeIn { src },
        TransposeOut { dst },
        &mut [],
    )
}

#[test]
fn transpose_moves_every_element_to_its_mirrored_index() {
    let mut rng = Rng::new(31);
    for rows in [0, 1, 2, 15, 16, 17, 33] {
        for cols in [0, 1, 3, 16, 31, 50] {
            let src = rng.vec(rows * cols, 1.0);
            let mut dst = nan_vec(rows * cols);
            transpose(&src, rows, cols, &mut dst).unwrap();
            assert_transposed(&src, rows, cols, &dst, "one call");
            // Transposing back restores the original bit for bit.
            let mut back = nan_vec(rows * cols);
            transpose(&dst, cols, rows, &mut back).unwrap();
            assert!(back
                .iter()
                .zip(&src)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}

/// Asserts `dst` is `src` (`rows × cols`) transposed, bit for bit.
fn assert_transposed(src: &[f64], rows: usize, cols: usize, dst: &[f64], context: &str) {
    for r in 0..rows {
        for c in 0..cols {
            assert_eq!(
                dst[c * rows + r].to_bits(),
                src[r * cols + c].to_bits(),
                "{context}: {rows}x{cols} at ({r}, {c})"
            );
        }
    }
}

#[test]
#[cfg(not(target_arch = "wasm32"))]
fn large_transposes_shared_among_threads_move_every_element() {
    let mut rng = Rng::new(32);
    // Over the 2^11 elements per thread a split needs; runs of destination
    // rows that are not whole tiles, and fewer columns than threads' pieces.
    for (rows, cols) in [(257, 130), (130, 257), (5000, 7), (7, 5000), (100, 32768)] {
        let src = rng.vec(rows * cols, 1.0);
        for threads in [1, 2, 3] {
            rnn_core::set_threads(threads);
            let mut dst = nan_vec(rows * cols);
            transpose(&src, rows, cols, &mut dst).unwrap();
            assert_transposed(&src, rows, cols, &dst, &format!("{threads} threads"));
        }
    }
    rnn_core::set_threads(0);
}

#[test]
fn transpose_rejects_lengths_that_do_not_match() {
    let src = [0.0; 6];
    let mut dst = [0.0; 6];
    assert_eq!(
        transpose(&src[..5], 2, 3, &mut dst).unwrap_err().arg(),
        "src"
    );
    assert_eq!(
        transpose(&src, 2, 3, &mut dst[..5]).unwrap_err().arg(),
        "dst"
    );
    assert_eq!(
        transpose(&src, usize::MAX, 3, &mut dst).unwrap_err(),
        KernelError::Overflow { arg: "src" }
    );
    let mut empty: [f64; 0] = [];
    assert!(transpose(&[], 0, usize::MAX, &mut empty).is_ok());
}
