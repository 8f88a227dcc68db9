//! Single-thread GFLOP/s of `gemm`, `matrixmultiply`, `faer` and rnn-core's own
//! packed kernel (with the instruction set it dispatches to, and at 2 threads) on the two GEMMs
//! the LSTM kernels run per sequence, at the M and L workloads:
//! - step:  (4·n_a) × (n_a+n_x+1) times (n_a+n_x+1) × m, once per time step;
//! - grads: (4·n_a) × (T·m) times (T·m) × (n_a+n_x+1), the weight gradients.
//! Each shape is timed for a fixed wall-clock budget; the best of several
//! samples is reported, the one least disturbed by other work on the machine.
//! rnn-core packs the left operand once (as the sequence kernels pack their
//! weights once per call) and the right one on every call; the crates pack
//! both on every call, their only interface.
//!
//!   cargo run --release [budget_ms]

use std::time::{Duration, Instant};

struct Shape {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
}

fn shapes() -> Vec<Shape> {
    let mut v = Vec::new();
    for (w, n_x, n_a, m, t) in [("M", 64, 128, 32, 50), ("L", 256, 512, 64, 100)] {
        let k = n_a + n_x + 1;
        v.push(Shape { name: leak(format!("{w} step")), m: 4 * n_a, k, n: m });
        v.push(Shape { name: leak(format!("{w} grads")), m: 4 * n_a, k: t * m, n: k });
    }
    v
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Best GFLOP/s of `run` over samples of about 50 ms each, for about `budget`.
fn measure(flops: f64, budget: Duration, mut run: impl FnMut()) -> f64 {
    run();
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed() < budget {
        let s = Instant::now();
        let mut reps = 0u32;
        while s.elapsed() < Duration::from_millis(50) {
            run();
            reps += 1;
        }
        best = best.min(s.elapsed().as_secs_f64() / reps as f64);
    }
    flops / best / 1e9
}

fn fill(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        })
        .collect()
}

fn main() {
    let budget = Duration::from_millis(
        std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1500),
    );
    println!("rnn-core kernel: {}", rnn_core::isa_name());
    println!(
        "{:<10} {:>16} {:>8} {:>15} {:>8} {:>11} {:>11}",
        "shape", "(m, k, n)", "gemm", "matrixmultiply", "faer", "rnn-core 1t", "rnn-core 2t"
    );
    for s in shapes() {
        let (m, k, n) = (s.m, s.k, s.n);
        let a = fill(m * k, 1);
        let b = fill(k * n, 2);
        let mut c = vec![0.0; m * n];
        let flops = 2.0 * (m * k * n) as f64;

        let g = measure(flops, budget, || {
            // SAFETY: the three buffers are row-major m×k, k×n, m×n as the
            // strides state, and `c` overlaps neither input.
            unsafe {
                gemm::gemm(
                    m, n, k,
                    c.as_mut_ptr(), 1, n as isize,
                    false,
                    a.as_ptr(), 1, k as isize,
                    b.as_ptr(), 1, n as isize,
                    0.0, 1.0, false, false, false,
                    gemm::Parallelism::None,
                )
            }
        });
        let mm = measure(flops, budget, || {
            // SAFETY: as above.
            unsafe {
                matrixmultiply::dgemm(
                    m, k, n, 1.0,
                    a.as_ptr(), k as isize, 1,
                    b.as_ptr(), n as isize, 1,
                    0.0, c.as_mut_ptr(), n as isize, 1,
                )
            }
        });
        let fa = {
            let am = faer::MatRef::from_row_major_slice(&a, m, k);
            let bm = faer::MatRef::from_row_major_slice(&b, k, n);
            let mut cm = faer::Mat::<f64>::zeros(m, n);
            measure(flops, budget, || {
                faer::linalg::matmul::matmul(
                    cm.as_mut(), faer::Accum::Replace, am, bm, 1.0, faer::Par::Seq,
                )
            })
        };
        let mut lbuf = vec![0.0; rnn_core::PackedLhs::len_for(m, k).unwrap()];
        let mut rbuf = vec![0.0; rnn_core::PackedRhs::len_for(k, n).unwrap()];
        let mut lhs = rnn_core::PackedLhs::new(&mut lbuf, m, k).unwrap();
        lhs.pack(0, 0, rnn_core::MatRef::row_major(&a, m, k).unwrap()).unwrap();
        let mut own = |threads: usize| {
            rnn_core::set_threads(threads);
            measure(flops, budget, || {
                let mut rhs = rnn_core::PackedRhs::new(&mut rbuf, k, n).unwrap();
                rhs.pack(0, 0, rnn_core::MatRef::row_major(&b, k, n).unwrap()).unwrap();
                let cm = rnn_core::MatMut::row_major(&mut c, m, n).unwrap();
                rnn_core::gemm_packed(1.0, &lhs, &rhs, 0.0, cm).unwrap();
            })
        };
        let (r1, r2) = (own(1), own(2));
        let dims = format!("({m}, {k}, {n})");
        println!(
            "{:<10} {:>16} {:>8.1} {:>15.1} {:>8.1} {:>11.1} {:>11.1}",
            s.name, dims, g, mm, fa, r1, r2
        );
    }
}
