//! The speed of the float32 tile beside the float64 one, on this CPU: not a
//! check, a measurement, so ignored unless asked for. Run it optimised:
//!
//! ```text
//! cargo test --release -p rnn-x86 --test speed -- --ignored --nocapture
//! ```
#![cfg(target_arch = "x86_64")]

use std::hint::black_box;
use std::time::Instant;

use rnn_x86::{tile, tile_f32, Isa, Update, MR, NR, NR32};

/// Steps per tile: 256, the depth asked about, between a short one and the
/// L workload's 769. The panels of a deep tile outgrow L1 (at 256: 24 + 32
/// KiB for float64, 12 + 32 KiB for float32), so the depth matters.
const DEPTHS: [usize; 3] = [64, 256, 769];
/// Steps computed per timed round (tiles × depth), and rounds (the best is
/// kept: the machine may be shared).
const STEPS: usize = 1 << 20;
const ROUNDS: usize = 21;

/// The best GFLOP/s of `run` over the rounds, `flops` per call of `k` steps.
fn gflops(k: usize, flops: usize, mut run: impl FnMut()) -> f64 {
    let calls = STEPS / k;
    let best = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                run();
            }
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    (flops * calls) as f64 / best / 1e9
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture, optimised"]
fn float32_tile_beside_float64_tile() {
    for isa in [Isa::Avx512, Isa::Avx2Fma]
        .into_iter()
        .filter(|i| i.supported())
    {
        for k in DEPTHS {
            measure(isa, k);
        }
    }
}

/// Prints both tiles' rates on `isa` at depth `k`.
fn measure(isa: Isa, k: usize) {
    let a64 = vec![0.5f64; k * MR];
    let b64 = vec![0.25f64; k * NR];
    let a32 = vec![0.5f32; k * MR];
    let b32 = vec![0.25f32; k * NR32];
    let mut c64 = [0.0f64; MR * NR];
    let f64_rate = gflops(k, 2 * MR * NR * k, || {
        assert!(tile(
            isa,
            black_box(k),
            black_box(&a64),
            black_box(&b64),
            Update::SET,
            &mut c64,
            NR
        ));
        black_box(&c64);
    });
    let mut c32 = [0.0f32; MR * NR32];
    let f32_rate = gflops(k, 2 * MR * NR32 * k, || {
        assert!(tile_f32(
            isa,
            black_box(k),
            black_box(&a32),
            black_box(&b32),
            &mut c32
        ));
        black_box(&c32);
    });
    println!(
        "{:>8} k={k:3}: float64 tile {f64_rate:6.1} GFLOP/s, float32 tile {f32_rate:6.1} GFLOP/s ({:.2}×)",
        isa.name(),
        f32_rate / f64_rate
    );
}
