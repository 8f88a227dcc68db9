//! The float32 tile of every kernel this CPU supports against a scalar loop
//! of `f32::mul_add` in step order, bit for bit, over lengths that exercise
//! empty, short and long panels; and its refusals.
#![cfg(target_arch = "x86_64")]

use rnn_x86::{tile_f32, Isa, MR, NR32};

const KERNELS: [Isa; 2] = [Isa::Avx512, Isa::Avx2Fma];

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u32 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The tile as the kernels' contract states it: per value one chain of
/// fused multiply-adds, `p = 0, 1, ...`, from 0.
fn scalar_tile(k: usize, a: &[f32], b: &[f32]) -> [f32; MR * NR32] {
    let mut out = [0.0f32; MR * NR32];
    for r in 0..MR {
        for j in 0..NR32 {
            out[r * NR32 + j] =
                (0..k).fold(0.0f32, |acc, p| a[p * MR + r].mul_add(b[p * NR32 + j], acc));
        }
    }
    out
}

#[test]
fn supported_kernels_have_the_bits_of_the_scalar_loop() {
    let mut checked = 0;
    for isa in KERNELS {
        if !isa.supported() {
            eprintln!("{} not supported here: not checked", isa.name());
            continue;
        }
        for k in [0, 1, 2, 7, 64, 129, 513] {
            let a = values(k * MR, k as u64 + 1);
            let b = values(k * NR32, k as u64 + 100);
            let want = scalar_tile(k, &a, &b);
            // Whatever `out` held before is overwritten, NaN included.
            let mut got = [f32::NAN; MR * NR32];
            assert!(tile_f32(isa, k, &a, &b, &mut got));
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{} k={k} ({},{}): {g} vs {w}",
                    isa.name(),
                    i / NR32,
                    i % NR32
                );
            }
            checked += 1;
        }
    }
    if checked == 0 {
        eprintln!("no vector kernel supported on this CPU");
    }
}

#[test]
fn longer_panels_are_read_only_for_k_steps() {
    // Panels packed for a longer `k` (or with room to spare) give the tile
    // of their first `k` steps.
    let k = 9;
    let (a, b) = (values((k + 3) * MR, 5), values((k + 3) * NR32, 6));
    let want = scalar_tile(k, &a, &b);
    for isa in KERNELS.into_iter().filter(|i| i.supported()) {
        let mut got = [0.0f32; MR * NR32];
        assert!(tile_f32(isa, k, &a, &b, &mut got));
        assert!(
            got.iter()
                .zip(&want)
                .all(|(g, w)| g.to_bits() == w.to_bits()),
            "{}",
            isa.name()
        );
    }
}

#[test]
fn short_panels_and_scalar_are_refused() {
    let a = vec![1.0f32; 3 * MR];
    let b = vec![1.0f32; 3 * NR32];
    let mut t = [7.0f32; MR * NR32];
    for isa in [Isa::Avx512, Isa::Avx2Fma, Isa::Scalar] {
        let name = isa.name();
        assert!(
            !tile_f32(isa, 4, &a, &b, &mut t),
            "{name}: k beyond the panels"
        );
        assert!(
            !tile_f32(isa, 3, &a[..3 * MR - 1], &b, &mut t),
            "{name}: left panel one short"
        );
        assert!(
            !tile_f32(isa, 3, &a, &b[..3 * NR32 - 1], &mut t),
            "{name}: right panel one short"
        );
        assert!(
            !tile_f32(isa, usize::MAX, &a, &b, &mut t),
            "{name}: overflowing k"
        );
    }
    assert!(!tile_f32(Isa::Scalar, 3, &a, &b, &mut t));
    assert!(
        t.iter().all(|&v| v == 7.0),
        "a refused call leaves the output untouched"
    );
}

#[test]
fn unsupported_kernels_are_refused() {
    // `tile_f32` must never run an instruction set the CPU lacks.
    let a = vec![1.0f32; MR];
    let b = vec![1.0f32; NR32];
    let mut t = [0.0f32; MR * NR32];
    for isa in KERNELS {
        assert_eq!(
            tile_f32(isa, 1, &a, &b, &mut t),
            isa.supported(),
            "{}",
            isa.name()
        );
    }
}
