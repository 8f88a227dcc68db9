//! Every kernel this CPU supports against a plain sum of products, over
//! lengths that exercise empty, short and long panels.
#![cfg(target_arch = "x86_64")]

use rnn_x86::{tile, Isa, MR, NR};

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn supported_kernels_match_the_plain_sum() {
    let mut checked = 0;
    for isa in [Isa::Avx512, Isa::Avx2Fma] {
        if !isa.supported() {
            eprintln!("{} not supported here: not checked", isa.name());
            continue;
        }
        for k in [0, 1, 2, 7, 64, 257] {
            let a = values(k * MR, k as u64 + 1);
            let b = values(k * NR, k as u64 + 100);
            let mut got = [f64::NAN; MR * NR];
            assert!(tile(isa, k, &a, &b, &mut got));
            for r in 0..MR {
                for j in 0..NR {
                    let want: f64 = (0..k).map(|p| a[p * MR + r] * b[p * NR + j]).sum();
                    let g = got[r * NR + j];
                    assert!(
                        (g - want).abs() <= 1e-13 * (1.0 + want.abs()),
                        "{} k={k} ({r},{j}): {g} vs {want}",
                        isa.name()
                    );
                }
            }
            checked += 1;
        }
    }
    // This crate exists for x86-64 machines with at least AVX2; say so when
    // one runs the tests without it.
    if checked == 0 {
        eprintln!("no vector kernel supported on this CPU");
    }
}

#[test]
fn short_panels_and_scalar_are_refused() {
    let a = vec![1.0; 3 * MR];
    let b = vec![1.0; 3 * NR];
    let mut t = [7.0; MR * NR];
    for isa in [Isa::Avx512, Isa::Avx2Fma, Isa::Scalar] {
        assert!(
            !tile(isa, 4, &a, &b, &mut t),
            "{}: k beyond the panels",
            isa.name()
        );
        assert!(
            !tile(isa, usize::MAX, &a, &b, &mut t),
            "{}: overflowing k",
            isa.name()
        );
    }
    assert!(!tile(Isa::Scalar, 3, &a, &b, &mut t));
    assert!(
        t.iter().all(|&v| v == 7.0),
        "a refused call leaves the tile untouched"
    );
}

#[test]
fn unsupported_kernels_are_refused() {
    // `tile` must never run an instruction set the CPU lacks.
    let a = vec![1.0; MR];
    let b = vec![1.0; NR];
    let mut t = [0.0; MR * NR];
    for isa in [Isa::Avx512, Isa::Avx2Fma] {
        assert_eq!(
            tile(isa, 1, &a, &b, &mut t),
            isa.supported(),
            "{}",
            isa.name()
        );
    }
}
