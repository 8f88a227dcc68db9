//! The exported functions. Each one lists its buffers, checks them, turns
//! them into slices and calls the matching `rnn-core` kernel; no math here.
//!
//! Sibling modules are named through `super::`, not `crate::`, so that the
//! native fuzz harness (`crates/rnn-fuzz`) can compile these sources as a
//! module of its own.

#![allow(clippy::too_many_arguments)]

use std::alloc::{alloc, dealloc, Layout};

use rnn_core::{DimError, Dims};

use super::buffers::{self, slice, slice_mut, Buf, Memory, Status};

/// Linear memory: from address 0, `memory.size` pages of 64 KiB.
#[cfg(target_arch = "wasm32")]
fn memory() -> Memory {
    Memory {
        base: 0,
        bytes: core::arch::wasm32::memory_size::<0>() as u64 * 65536,
    }
}

/// Outside wasm32 there is no linear memory to address, unless a test has
/// stood a buffer in for it on this thread (see `simulated.rs`); by
/// default it is empty, so every non-empty buffer is rejected.
#[cfg(not(target_arch = "wasm32"))]
fn memory() -> Memory {
    super::simulated::current()
}

fn status(result: Result<(), DimError>) -> i32 {
    match result {
        Ok(()) => Status::Ok as i32,
        Err(_) => Status::Dims as i32,
    }
}

fn workspace(len: Option<usize>) -> isize {
    len.and_then(|n| isize::try_from(n).ok()).unwrap_or(-1)
}

/// Alignment of every block from [`rnn_alloc`]: enough for `f64` and for
/// 128-bit SIMD loads.
const ALLOC_ALIGN: usize = 16;

fn alloc_layout(bytes: usize) -> Option<Layout> {
    // Zero-byte requests get a real one-byte block, so every pointer handed
    // out is distinct and can be freed the same way.
    Layout::from_size_align(bytes.max(1), ALLOC_ALIGN).ok()
}

/// Allocates `bytes` bytes aligned to 16; returns null on failure.
/// Free with [`rnn_free`] and the same size.
#[no_mangle]
pub extern "C" fn rnn_alloc(bytes: usize) -> *mut u8 {
    match alloc_layout(bytes) {
        // SAFETY: the layout has a non-zero size.
        Some(layout) => unsafe { alloc(layout) },
        None => core::ptr::null_mut(),
    }
}

/// Frees a block from [`rnn_alloc`]. Null is ignored.
///
/// # Safety
///
/// `ptr` must be null or come from `rnn_alloc(bytes)` with the same `bytes`,
/// and not have been freed already.
#[no_mangle]
pub unsafe extern "C" fn rnn_free(ptr: *mut u8, bytes: usize) {
    if ptr.is_null() {
        return;
    }
    if let Some(layout) = alloc_layout(bytes) {
        // SAFETY: by the caller's contract `ptr` was allocated by `rnn_alloc`
        // with this same size, hence with this same layout.
        unsafe { dealloc(ptr, layout) }
    }
}

/// Executes `unreachable`, trapping the instance. Lets a host test that it
/// recovers from a trap.
#[no_mangle]
pub extern "C" fn rnn_debug_trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}

/// Checks one input and one output buffer, then runs `kernel` on them as
/// slices: the shape of every single-array export.
fn in_out(
    input: Buf,
    output: Buf,
    kernel: impl FnOnce(&[f64], &mut [f64]) -> Result<(), DimError>,
) -> i32 {
    let bufs = [input, output];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [input, output] = bufs;
    // SAFETY: both buffers passed `check` against the current memory size
    // just above, and the output overlaps no other buffer.
    let (input, output) = unsafe { (slice(input), slice_mut(output)) };
    status(kernel(input, output))
}

/// Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`.
#[no_mangle]
pub extern "C" fn rnn_softmax(
    rows: usize,
    cols: usize,
    z: *const f64,
    z_len: usize,
    out: *mut f64,
    out_len: usize,
) -> i32 {
    in_out(Buf::input(z, z_len), Buf::output(out, out_len), |z, out| {
        rnn_core::softmax(z, rows, cols, out)
    })
}

/// The `cols × rows` transpose of the `rows × cols` matrix `src`, into
/// `dst`: the conversion between `(n, m, T)` and time-major `[T][n][m]`.
#[no_mangle]
pub extern "C" fn rnn_transpose(
    rows: usize,
    cols: usize,
    src: *const f64,
    src_len: usize,
    dst: *mut f64,
    dst_len: usize,
) -> i32 {
    in_out(
        Buf::input(src, src_len),
        Buf::output(dst, dst_len),
        |src, dst| rnn_core::transpose(src, rows, cols, dst),
    )
}

/// Element-wise `1 / (1 + exp(-z))` of `n` values.
#[no_mangle]
pub extern "C" fn rnn_sigmoid(
    n: usize,
    z: *const f64,
    z_len: usize,
    out: *mut f64,
    out_len: usize,
) -> i32 {
    in_out(Buf::input(z, z_len), Buf::output(out, out_len), |z, out| {
        if z.len() != n {
            return Err(DimError {
                arg: "z",
                expected: Some(n),
                actual: z.len(),
            });
        }
        rnn_core::sigmoid(z, out)
    })
}

/// Workspace elements `rnn_forward` needs, or -1 on overflow.
#[no_mangle]
pub extern "C" fn rnn_forward_workspace(
    n_x: usize,
    n_a: usize,
    n_y: usize,
    m: usize,
    t: usize,
) -> isize {
    workspace(rnn_core::rnn_forward_workspace_len(&Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    }))
}

/// RNN forward pass; see `rnn_core::rnn_forward`.
#[no_mangle]
pub extern "C" fn rnn_forward(
    n_x: usize,
    n_a: usize,
    n_y: usize,
    m: usize,
    t: usize,
    x: *const f64,
    x_len: usize,
    a0: *const f64,
    a0_len: usize,
    wax: *const f64,
    wax_len: usize,
    waa: *const f64,
    waa_len: usize,
    ba: *const f64,
    ba_len: usize,
    wya: *const f64,
    wya_len: usize,
    by: *const f64,
    by_len: usize,
    a: *mut f64,
    a_len: usize,
    y: *mut f64,
    y_len: usize,
    ws: *mut f64,
    ws_len: usize,
) -> i32 {
    let bufs = [
        Buf::input(x, x_len),
        Buf::input(a0, a0_len),
        Buf::input(wax, wax_len),
        Buf::input(waa, waa_len),
        Buf::input(ba, ba_len),
        Buf::input(wya, wya_len),
        Buf::input(by, by_len),
        Buf::output(a, a_len),
        Buf::output(y, y_len),
        Buf::output(ws, ws_len),
    ];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [x, a0, wax, waa, ba, wya, by, a, y, ws] = bufs;
    let d = Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    };
    // SAFETY: every buffer passed `check` against the current memory size
    // just above, and no output overlaps any other buffer.
    let result = unsafe {
        rnn_core::rnn_forward(
            &d,
            slice(x),
            slice(a0),
            slice(wax),
            slice(waa),
            slice(ba),
            slice(wya),
            slice(by),
            slice_mut(a),
            slice_mut(y),
            slice_mut(ws),
        )
    };
    status(result)
}

/// Workspace elements `rnn_backward` needs, or -1 on overflow.
#[no_mangle]
pub extern "C" fn rnn_backward_workspace(n_x: usize, n_a: usize, m: usize, t: usize) -> isize {
    workspace(rnn_core::rnn_backward_workspace_len(&Dims {
        n_x,
        n_a,
        n_y: 0,
        m,
        t,
    }))
}

/// RNN backward pass; see `rnn_core::rnn_backward`.
#[no_mangle]
pub extern "C" fn rnn_backward(
    n_x: usize,
    n_a: usize,
    m: usize,
    t: usize,
    da: *const f64,
    da_len: usize,
    a_next: *const f64,
    a_next_len: usize,
    a_prev: *const f64,
    a_prev_len: usize,
    x: *const f64,
    x_len: usize,
    wax: *const f64,
    wax_len: usize,
    waa: *const f64,
    waa_len: usize,
    dx: *mut f64,
    dx_len: usize,
    da0: *mut f64,
    da0_len: usize,
    dwax: *mut f64,
    dwax_len: usize,
    dwaa: *mut f64,
    dwaa_len: usize,
    dba: *mut f64,
    dba_len: usize,
    ws: *mut f64,
    ws_len: usize,
) -> i32 {
    let bufs = [
        Buf::input(da, da_len),
        Buf::input(a_next, a_next_len),
        Buf::input(a_prev, a_prev_len),
        Buf::input(x, x_len),
        Buf::input(wax, wax_len),
        Buf::input(waa, waa_len),
        Buf::output(dx, dx_len),
        Buf::output(da0, da0_len),
        Buf::output(dwax, dwax_len),
        Buf::output(dwaa, dwaa_len),
        Buf::output(dba, dba_len),
        Buf::output(ws, ws_len),
    ];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [da, a_next, a_prev, x, wax, waa, dx, da0, dwax, dwaa, dba, ws] = bufs;
    let d = Dims {
        n_x,
        n_a,
        n_y: 0,
        m,
        t,
    };
    // SAFETY: every buffer passed `check` against the current memory size
    // just above, and no output overlaps any other buffer.
    let result = unsafe {
        rnn_core::rnn_backward(
            &d,
            slice(da),
            slice(a_next),
            slice(a_prev),
            slice(x),
            slice(wax),
            slice(waa),
            slice_mut(dx),
            slice_mut(da0),
            slice_mut(dwax),
            slice_mut(dwaa),
            slice_mut(dba),
            slice_mut(ws),
        )
    };
    status(result)
}

/// Workspace elements `lstm_forward` needs, or -1 on overflow.
#[no_mangle]
pub extern "C" fn lstm_forward_workspace(
    n_x: usize,
    n_a: usize,
    n_y: usize,
    m: usize,
    t: usize,
) -> isize {
    workspace(rnn_core::lstm_forward_workspace_len(&Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    }))
}

/// LSTM forward pass; see `rnn_core::lstm_forward`.
#[no_mangle]
pub extern "C" fn lstm_forward(
    n_x: usize,
    n_a: usize,
    n_y: usize,
    m: usize,
    t: usize,
    x: *const f64,
    x_len: usize,
    a0: *const f64,
    a0_len: usize,
    c0: *const f64,
    c0_len: usize,
    w: *const f64,
    w_len: usize,
    b: *const f64,
    b_len: usize,
    wy: *const f64,
    wy_len: usize,
    by: *const f64,
    by_len: usize,
    a: *mut f64,
    a_len: usize,
    c: *mut f64,
    c_len: usize,
    y: *mut f64,
    y_len: usize,
    gates: *mut f64,
    gates_len: usize,
    ws: *mut f64,
    ws_len: usize,
) -> i32 {
    let bufs = [
        Buf::input(x, x_len),
        Buf::input(a0, a0_len),
        Buf::input(c0, c0_len),
        Buf::input(w, w_len),
        Buf::input(b, b_len),
        Buf::input(wy, wy_len),
        Buf::input(by, by_len),
        Buf::output(a, a_len),
        Buf::output(c, c_len),
        Buf::output(y, y_len),
        Buf::output(gates, gates_len),
        Buf::output(ws, ws_len),
    ];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [x, a0, c0, w, b, wy, by, a, c, y, gates, ws] = bufs;
    let d = Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    };
    // SAFETY: every buffer passed `check` against the current memory size
    // just above, and no output overlaps any other buffer.
    let result = unsafe {
        rnn_core::lstm_forward(
            &d,
            slice(x),
            slice(a0),
            slice(c0),
            slice(w),
            slice(b),
            slice(wy),
            slice(by),
            slice_mut(a),
            slice_mut(c),
            slice_mut(y),
            slice_mut(gates),
            slice_mut(ws),
        )
    };
    status(result)
}

/// Workspace elements `lstm_backward` needs, or -1 on overflow.
#[no_mangle]
pub extern "C" fn lstm_backward_workspace(n_x: usize, n_a: usize, m: usize, t: usize) -> isize {
    workspace(rnn_core::lstm_backward_workspace_len(&Dims {
        n_x,
        n_a,
        n_y: 0,
        m,
        t,
    }))
}

/// LSTM backward pass; see `rnn_core::lstm_backward`.
#[no_mangle]
pub extern "C" fn lstm_backward(
    n_x: usize,
    n_a: usize,
    m: usize,
    t: usize,
    da: *const f64,
    da_len: usize,
    dc_last: *const f64,
    dc_last_len: usize,
    c_next: *const f64,
    c_next_len: usize,
    c_prev: *const f64,
    c_prev_len: usize,
    a_prev: *const f64,
    a_prev_len: usize,
    gates: *const f64,
    gates_len: usize,
    x: *const f64,
    x_len: usize,
    w: *const f64,
    w_len: usize,
    dx: *mut f64,
    dx_len: usize,
    da0: *mut f64,
    da0_len: usize,
    dc0: *mut f64,
    dc0_len: usize,
    dw: *mut f64,
    dw_len: usize,
    db: *mut f64,
    db_len: usize,
    ws: *mut f64,
    ws_len: usize,
) -> i32 {
    let bufs = [
        Buf::input(da, da_len),
        Buf::input(dc_last, dc_last_len),
        Buf::input(c_next, c_next_len),
        Buf::input(c_prev, c_prev_len),
        Buf::input(a_prev, a_prev_len),
        Buf::input(gates, gates_len),
        Buf::input(x, x_len),
        Buf::input(w, w_len),
        Buf::output(dx, dx_len),
        Buf::output(da0, da0_len),
        Buf::output(dc0, dc0_len),
        Buf::output(dw, dw_len),
        Buf::output(db, db_len),
        Buf::output(ws, ws_len),
    ];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [da, dc_last, c_next, c_prev, a_prev, gates, x, w, dx, da0, dc0, dw, db, ws] = bufs;
    let d = Dims {
        n_x,
        n_a,
        n_y: 0,
        m,
        t,
    };
    // SAFETY: every buffer passed `check` against the current memory size
    // just above, and no output overlaps any other buffer.
    let result = unsafe {
        rnn_core::lstm_backward(
            &d,
            slice(da),
            slice(dc_last),
            slice(c_next),
            slice(c_prev),
            slice(a_prev),
            slice(gates),
            slice(x),
            slice(w),
            slice_mut(dx),
            slice_mut(da0),
            slice_mut(dc0),
            slice_mut(dw),
            slice_mut(db),
            slice_mut(ws),
        )
    };
    status(result)
}

/// Workspace elements `output_backward` needs, or -1 on overflow.
#[no_mangle]
pub extern "C" fn output_backward_workspace(n_a: usize, n_y: usize, m: usize, t: usize) -> isize {
    workspace(rnn_core::output_backward_workspace_len(&Dims {
        n_x: 0,
        n_a,
        n_y,
        m,
        t,
    }))
}

/// Softmax cross-entropy backward through the output layer; see
/// `rnn_core::output_backward`. Targets are integer-valued `f64`s, -1 for
/// none; an invalid target is status 1 like any other rejected argument.
#[no_mangle]
pub extern "C" fn output_backward(
    n_a: usize,
    n_y: usize,
    m: usize,
    t: usize,
    y: *const f64,
    y_len: usize,
    targets: *const f64,
    targets_len: usize,
    a: *const f64,
    a_len: usize,
    wy: *const f64,
    wy_len: usize,
    loss: *mut f64,
    loss_len: usize,
    dwy: *mut f64,
    dwy_len: usize,
    dby: *mut f64,
    dby_len: usize,
    da: *mut f64,
    da_len: usize,
    ws: *mut f64,
    ws_len: usize,
) -> i32 {
    let bufs = [
        Buf::input(y, y_len),
        Buf::input(targets, targets_len),
        Buf::input(a, a_len),
        Buf::input(wy, wy_len),
        Buf::output(loss, loss_len),
        Buf::output(dwy, dwy_len),
        Buf::output(dby, dby_len),
        Buf::output(da, da_len),
        Buf::output(ws, ws_len),
    ];
    if let Err(s) = buffers::check(&bufs, memory()) {
        return s as i32;
    }
    let [y, targets, a, wy, loss, dwy, dby, da, ws] = bufs;
    let d = Dims {
        n_x: 0,
        n_a,
        n_y,
        m,
        t,
    };
    // SAFETY: every buffer passed `check` against the current memory size
    // just above, and no output overlaps any other buffer.
    let result = unsafe {
        rnn_core::output_backward(
            &d,
            slice(y),
            slice(targets),
            slice(a),
            slice(wy),
            slice_mut(loss),
            slice_mut(dwy),
            slice_mut(dby),
            slice_mut(da),
            slice_mut(ws),
        )
    };
    status(result)
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

#[cfg(test)]
mod tests {
    //! Natively, linear memory counts as empty unless a test simulates one:
    //! calls with empty buffers run the whole path, and any non-empty buffer
    //! is rejected with status 2.

    use super::*;
    use core::ptr::{null, null_mut};

    #[test]
    fn empty_problems_succeed_and_wrong_dims_are_rejected() {
        let (i, o) = (null::<f64>(), null_mut::<f64>());
        assert_eq!(rnn_softmax(0, 5, i, 0, o, 0), 0);
        assert_eq!(rnn_softmax(1, 5, i, 0, o, 0), 1);
        assert_eq!(rnn_sigmoid(0, i, 0, o, 0), 0);
        assert_eq!(rnn_transpose(0, 7, i, 0, o, 0), 0);
        assert_eq!(rnn_transpose(2, 7, i, 0, o, 0), 1);
        assert_eq!(rnn_sigmoid(1, i, 0, o, 0), 1);
        let f = |t| {
            rnn_forward(
                3, 0, 0, 2, t, i, 0, i, 0, i, 0, i, 0, i, 0, i, 0, i, 0, o, 0, o, 0, o, 0,
            )
        };
        assert_eq!(f(0), 0);
        assert_eq!(f(1), 1);
        let l = |n_a| {
            lstm_backward(
                0, n_a, 0, 7, i, 0, i, 0, i, 0, i, 0, i, 0, i, 0, i, 0, i, 0, o, 0, o, 0, o, 0, o,
                0, o, 0, o, 0,
            )
        };
        assert_eq!(l(0), 0);
        assert_eq!(l(1), 1);
        let o_b = |m| {
            output_backward(
                4, 3, m, 2, i, 0, i, 0, i, 0, i, 12, o, 2, o, 12, o, 3, o, 0, o, 0,
            )
        };
        // With m = 0 only the weights, loss and weight gradients are non-empty,
        // and non-empty buffers are out of range natively.
        assert_eq!(o_b(0), 2);
        let e = |t| {
            output_backward(
                0, 0, 3, t, i, 0, i, 0, i, 0, i, 0, o, 0, o, 0, o, 0, o, 0, o, 0,
            )
        };
        assert_eq!(e(0), 1); // the loss output needs its two elements
    }

    #[test]
    fn non_empty_buffers_are_out_of_range_natively() {
        let z = [1.0f64];
        let mut out = [0.0f64];
        assert_eq!(rnn_sigmoid(1, z.as_ptr(), 1, out.as_mut_ptr(), 1), 2);
    }

    #[test]
    fn workspace_sizes_report_overflow() {
        // The exports pass on the core's sizes (which depend on the build's
        // GEMM tile; the core's tests pin them down); an empty problem
        // needs none.
        let d = |n_x, n_a, n_y, m, t| Dims {
            n_x,
            n_a,
            n_y,
            m,
            t,
        };
        let core = |n: Option<usize>| n.unwrap() as isize;
        assert_eq!(
            lstm_backward_workspace(1, 2, 3, 4),
            core(rnn_core::lstm_backward_workspace_len(&d(1, 2, 0, 3, 4)))
        );
        assert_eq!(
            rnn_backward_workspace(1, 2, 3, 4),
            core(rnn_core::rnn_backward_workspace_len(&d(1, 2, 0, 3, 4)))
        );
        assert_eq!(
            rnn_forward_workspace(1, 2, 3, 4, 5),
            core(rnn_core::rnn_forward_workspace_len(&d(1, 2, 3, 4, 5)))
        );
        assert!(lstm_backward_workspace(1, 2, 3, 4) > 0);
        assert_eq!(rnn_forward_workspace(1, 2, 3, 0, 5), 0);
        assert_eq!(lstm_backward_workspace(1, 2, 3, 0), 0);
        assert_eq!(lstm_forward_workspace(1, usize::MAX, 1, 1, 1), -1);
        assert_eq!(rnn_backward_workspace(1, usize::MAX, 2, 1), -1);
    }

    #[test]
    fn alloc_and_free_round_trip() {
        for bytes in [0usize, 1, 8, 100, 4096] {
            let p = rnn_alloc(bytes);
            assert!(!p.is_null());
            assert_eq!(p as usize % 16, 0);
            // SAFETY: `p` came from `rnn_alloc(bytes)` and is freed once.
            unsafe { rnn_free(p, bytes) };
        }
        assert!(rnn_alloc(usize::MAX).is_null());
        // SAFETY: null is always accepted.
        unsafe { rnn_free(null_mut(), 8) };
    }
}
