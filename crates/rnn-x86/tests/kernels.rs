//! Every kernel this CPU supports against a plain sum of products, over
//! lengths that exercise empty, short and long panels, destination strides
//! wider than a tile, and every kind of update.
#![cfg(target_arch = "x86_64")]

use rnn_x86::{tile, tile_part, Isa, Update, MR, NR};

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

const UPDATES: [Update; 4] = [
    Update::SET,
    Update {
        alpha: 1.0,
        beta: 1.0,
    },
    Update {
        alpha: -0.5,
        beta: 0.0,
    },
    Update {
        alpha: 2.0,
        beta: 0.25,
    },
];

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
            for up in UPDATES {
                for rs in [NR, NR + 5] {
                    let before = values(MR * rs, k as u64 + 7);
                    let mut got = before.clone();
                    assert!(tile(isa, k, &a, &b, up, &mut got, rs));
                    for r in 0..MR {
                        for j in 0..rs {
                            let (g, c) = (got[r * rs + j], before[r * rs + j]);
                            if j >= NR {
                                assert_eq!(
                                    g,
                                    c,
                                    "{} k={k} ({r},{j}): outside the tile",
                                    isa.name()
                                );
                                continue;
                            }
                            let sum: f64 = (0..k).map(|p| a[p * MR + r] * b[p * NR + j]).sum();
                            let want = up.alpha * sum + up.beta * c;
                            assert!(
                                (g - want).abs() <= 1e-13 * (1.0 + want.abs()),
                                "{} k={k} {up:?} rs={rs} ({r},{j}): {g} vs {want}",
                                isa.name()
                            );
                        }
                    }
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
fn beta_zero_never_reads_the_destination() {
    // BLAS semantics: with β = 0, NaN already in C must not reach the result.
    let (a, b) = (values(3 * MR, 1), values(3 * NR, 2));
    for isa in [Isa::Avx512, Isa::Avx2Fma]
        .into_iter()
        .filter(|i| i.supported())
    {
        let mut c = vec![f64::NAN; MR * NR];
        assert!(tile(isa, 3, &a, &b, Update::SET, &mut c, NR));
        assert!(c.iter().all(|v| v.is_finite()), "{}", isa.name());
    }
}

#[test]
fn short_panels_small_destinations_and_scalar_are_refused() {
    let a = vec![1.0; 3 * MR];
    let b = vec![1.0; 3 * NR];
    let mut t = [7.0; MR * NR];
    for isa in [Isa::Avx512, Isa::Avx2Fma, Isa::Scalar] {
        let name = isa.name();
        assert!(
            !tile(isa, 4, &a, &b, Update::SET, &mut t, NR),
            "{name}: k beyond the panels"
        );
        assert!(
            !tile(isa, usize::MAX, &a, &b, Update::SET, &mut t, NR),
            "{name}: overflowing k"
        );
        assert!(
            !tile(isa, 3, &a, &b, Update::SET, &mut t, NR - 1),
            "{name}: rows overlap"
        );
        assert!(
            !tile(isa, 3, &a, &b, Update::SET, &mut t, NR + 1),
            "{name}: last row past the end"
        );
        assert!(
            !tile(isa, 3, &a, &b, Update::SET, &mut t[..MR * NR - 1], NR),
            "{name}: destination one short"
        );
        assert!(
            !tile(isa, 3, &a, &b, Update::SET, &mut t, usize::MAX),
            "{name}: overflowing stride"
        );
    }
    assert!(!tile(Isa::Scalar, 3, &a, &b, Update::SET, &mut t, NR));
    assert!(
        t.iter().all(|&v| v == 7.0),
        "a refused call leaves the destination untouched"
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
            tile(isa, 1, &a, &b, Update::SET, &mut t, NR),
            isa.supported(),
            "{}",
            isa.name()
        );
    }
}

#[test]
fn parts_of_a_tile_have_the_bits_of_the_whole_tile() {
    // Each value of an edge tile is the same chain of fused multiply-adds as
    // in the whole tile, whichever narrower kernel computes it; cells past
    // the part are neither written nor (with β = 0) read.
    for isa in [Isa::Avx512, Isa::Avx2Fma]
        .into_iter()
        .filter(|i| i.supported())
    {
        for k in [0, 1, 3, 13, 100, 257] {
            let a = values(k * MR, k as u64 + 3);
            // Zero-padded past `cols`, as a packed partial panel is; the
            // whole tile below computes those columns too, the part not.
            let b_full = values(k * NR, k as u64 + 300);
            for cols in 1..=NR {
                let b: Vec<f64> = b_full
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| if i % NR < cols { v } else { 0.0 })
                    .collect();
                for rows in 1..=MR {
                    for up in UPDATES {
                        let rs = NR + 3;
                        let before = values(MR * rs, (k * 31 + cols * 7 + rows) as u64);
                        let mut whole = before.clone();
                        assert!(tile(isa, k, &a, &b, up, &mut whole, rs));
                        let mut dst = before.clone();
                        if up.beta == 0.0 {
                            // Unread cells: NaN there must not show up.
                            for r in 0..rows {
                                dst[r * rs..r * rs + cols].fill(f64::NAN);
                            }
                        }
                        let len = (rows - 1) * rs + cols;
                        assert!(tile_part(
                            isa,
                            k,
                            &a,
                            &b,
                            up,
                            &mut dst[..len],
                            rs,
                            rows,
                            cols
                        ));
                        for r in 0..MR {
                            for j in 0..rs {
                                let i = r * rs + j;
                                let want = if r < rows && j < cols {
                                    whole[i]
                                } else {
                                    before[i]
                                };
                                assert_eq!(
                                    dst[i].to_bits(),
                                    want.to_bits(),
                                    "{} k={k} {rows}×{cols} {up:?} ({r},{j})",
                                    isa.name()
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn bad_parts_are_refused() {
    let a = vec![1.0; 3 * MR];
    let b = vec![1.0; 3 * NR];
    let mut t = [7.0; MR * NR];
    for isa in [Isa::Avx512, Isa::Avx2Fma, Isa::Scalar] {
        let name = isa.name();
        for (rows, cols) in [(0, 4), (4, 0), (MR + 1, 4), (4, NR + 1)] {
            assert!(
                !tile_part(isa, 3, &a, &b, Update::SET, &mut t, NR, rows, cols),
                "{name}: {rows}×{cols}"
            );
        }
        assert!(
            !tile_part(isa, 4, &a, &b, Update::SET, &mut t, NR, 2, 2),
            "{name}: k beyond the panels"
        );
        assert!(
            !tile_part(isa, 3, &a, &b, Update::SET, &mut t, 4, 2, 5),
            "{name}: rows overlap"
        );
        assert!(
            !tile_part(isa, 3, &a, &b, Update::SET, &mut t[..2 * NR + 4], NR, 3, 5),
            "{name}: destination one short"
        );
        assert!(
            !tile_part(isa, 3, &a, &b, Update::SET, &mut t, usize::MAX, 2, 2),
            "{name}: overflowing stride"
        );
    }
    assert!(
        t.iter().all(|&v| v == 7.0),
        "a refused call leaves the destination untouched"
    );
}
