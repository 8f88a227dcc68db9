//! Test and benchmark entry points, built only with the `probes` feature
//! (the module at `test/wasm/rnn_wasm_probes.wasm`); the shipped module has
//! none of them.

/// Executes `unreachable`, trapping the instance. Lets a host test that it
/// recovers from a trap.
#[no_mangle]
pub extern "C" fn rnn_debug_trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}

/// Benchmark: runs [`rnn_core::probe::roofline`] for `iters` iterations of
/// `rnn_core::probe::ROOFLINE_FLOPS_PER_ITER` (48) FLOPs each and returns its
/// checksum. The host times the call.
#[no_mangle]
pub extern "C" fn rnn_bench_roofline(iters: u32) -> f64 {
    rnn_core::probe::roofline(iters, 0.5)
}

/// Benchmark: packs a random `m × k` weight (once for a run of calls with
/// the same sizes), then `iters` times packs a random `k × n` operand and
/// multiplies (`2·m·n·k` FLOPs each); returns a checksum, or NaN if the sizes
/// are too large. Its buffers stay reserved for later calls. The host times
/// the call; `iters = 0` only prepares.
#[no_mangle]
pub extern "C" fn rnn_bench_gemm(m: usize, n: usize, k: usize, iters: u32) -> f64 {
    static PREPARED: std::sync::Mutex<Option<(usize, usize, usize)>> = std::sync::Mutex::new(None);
    let Some(len) = rnn_core::probe::gemm_bench_len(m, n, k) else {
        return f64::NAN;
    };
    let mut prepared = PREPARED.lock().unwrap_or_else(|e| e.into_inner());
    let same = *prepared == Some((m, n, k));
    let mut buf = scratch(len, !same);
    *prepared = Some((m, n, k));
    rnn_core::probe::gemm_bench(m, n, k, iters, same, &mut buf).unwrap_or(f64::NAN)
}

/// Self-test: runs [`rnn_core::probe::gemm_check`] (the packed SIMD128 GEMM
/// against the scalar reference on random data) and returns the largest
/// relative difference, `+∞` on a NaN, infinity or padding mismatch, or -1 if
/// the sizes are rejected. `layout` bits 0, 1, 2 store A, B, C column-major.
#[no_mangle]
pub extern "C" fn rnn_test_gemm(
    m: usize,
    n: usize,
    k: usize,
    layout: u32,
    alpha: f64,
    beta: f64,
    seed: u32,
) -> f64 {
    let Some(len) = rnn_core::probe::gemm_check_len(m, n, k) else {
        return -1.0;
    };
    let mut buf = scratch(len, true);
    rnn_core::probe::gemm_check(m, n, k, layout, alpha, beta, u64::from(seed), &mut buf)
        .unwrap_or(-1.0)
}

/// A scratch vector of `len` elements (zeroed when `clear`), kept between
/// calls so that repeated benchmark and test calls do not grow memory.
fn scratch(len: usize, clear: bool) -> std::sync::MutexGuard<'static, Vec<f64>> {
    static SCRATCH: std::sync::Mutex<Vec<f64>> = std::sync::Mutex::new(Vec::new());
    let mut v = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
    if clear {
        v.clear();
    }
    v.resize(len, 0.0);
    v
}
