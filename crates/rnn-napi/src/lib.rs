//! Native Node boundary for `rnn-core`: each exported function takes the
//! kernel's dimensions and its buffers as JavaScript `Float64Array`s, borrows
//! them as slices (no copies), and calls the matching core kernel. No math
//! here.
//!
//! The caller (the TypeScript loader) always passes distinct, correctly sized
//! arrays, but nothing here relies on it: lengths are checked by the core
//! against the dimensions before any data is touched, and [`Args`] refuses an
//! output that shares memory with any other argument before a mutable slice
//! of it exists, so no argument combination can read or write out of bounds
//! or alias a `&mut` slice.

#![allow(clippy::too_many_arguments)]

mod args;
mod pages;
mod scratch;

use napi::bindgen_prelude::Float64ArraySlice;
use napi::{Error, Result, Status};
use napi_derive::napi;
use rnn_core::{DimError, Dims};

use args::Args;
use scratch::with_workspace;

type F64s<'a> = Float64ArraySlice<'a>;

fn dims_error(e: DimError) -> Error {
    Error::new(Status::InvalidArg, format!("rnn-napi: {e}"))
}

/// A dimension from JavaScript: a non-negative integer that fits `usize`
/// (a bare `u32` argument would silently wrap larger numbers).
fn dim(name: &str, v: f64) -> Result<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v <= usize::MAX as f64 && v < 9007199254740992.0 {
        Ok(v as usize)
    } else {
        Err(Error::new(
            Status::InvalidArg,
            format!("rnn-napi: dimension {name} must be a non-negative integer; got {v}"),
        ))
    }
}

fn dims(n_x: f64, n_a: f64, n_y: f64, m: f64, t: f64) -> Result<Dims> {
    Ok(Dims {
        n_x: dim("n_x", n_x)?,
        n_a: dim("n_a", n_a)?,
        n_y: dim("n_y", n_y)?,
        m: dim("m", m)?,
        t: dim("T", t)?,
    })
}

/// Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`.
#[napi(js_name = "softmax")]
pub fn softmax(rows: f64, cols: f64, z: F64s, out: F64s) -> Result<()> {
    let mut args = Args::new(&[&z], [out])?;
    let [out] = args.outputs();
    rnn_core::softmax(&z, dim("rows", rows)?, dim("cols", cols)?, out).map_err(dims_error)
}

/// Element-wise logistic sigmoid of `z`, into `out`.
#[napi(js_name = "sigmoid")]
pub fn sigmoid(z: F64s, out: F64s) -> Result<()> {
    let mut args = Args::new(&[&z], [out])?;
    let [out] = args.outputs();
    rnn_core::sigmoid(&z, out).map_err(dims_error)
}

/// `dst ← srcᵀ` for a `rows × cols` C-order `src`.
#[napi(js_name = "transpose")]
pub fn transpose(rows: f64, cols: f64, src: F64s, dst: F64s) -> Result<()> {
    let mut args = Args::new(&[&src], [dst])?;
    let [dst] = args.outputs();
    rnn_core::transpose(&src, dim("rows", rows)?, dim("cols", cols)?, dst).map_err(dims_error)
}

/// Softmax cross-entropy through the output layer; see
/// `rnn_core::output_backward`.
#[napi(js_name = "outputBackward")]
pub fn output_backward(
    n_a: f64,
    n_y: f64,
    m: f64,
    t: f64,
    y: F64s,
    targets: F64s,
    a: F64s,
    wy: F64s,
    loss: F64s,
    dwy: F64s,
    dby: F64s,
    da: F64s,
) -> Result<()> {
    let d = dims(0.0, n_a, n_y, m, t)?;
    let mut args = Args::new(&[&y, &targets, &a, &wy], [loss, dwy, dby, da])?;
    let [loss, dwy, dby, da] = args.outputs();
    let len = rnn_core::output_backward_workspace_len(&d);
    with_workspace(len, |ws| {
        rnn_core::output_backward(&d, &y, &targets, &a, &wy, loss, dwy, dby, da, ws)
    })
}

/// RNN forward pass; see `rnn_core::rnn_forward`.
#[napi(js_name = "rnnForward")]
pub fn rnn_forward(
    n_x: f64,
    n_a: f64,
    n_y: f64,
    m: f64,
    t: f64,
    x: F64s,
    a0: F64s,
    wax: F64s,
    waa: F64s,
    ba: F64s,
    wya: F64s,
    by: F64s,
    a: F64s,
    y: F64s,
) -> Result<()> {
    let d = dims(n_x, n_a, n_y, m, t)?;
    let mut args = Args::new(&[&x, &a0, &wax, &waa, &ba, &wya, &by], [a, y])?;
    let [a, y] = args.outputs();
    let len = rnn_core::rnn_forward_workspace_len(&d);
    with_workspace(len, |ws| {
        rnn_core::rnn_forward(&d, &x, &a0, &wax, &waa, &ba, &wya, &by, a, y, ws)
    })
}

/// RNN backward pass; see `rnn_core::rnn_backward`.
#[napi(js_name = "rnnBackward")]
pub fn rnn_backward(
    n_x: f64,
    n_a: f64,
    m: f64,
    t: f64,
    da: F64s,
    a_next: F64s,
    a_prev: F64s,
    x: F64s,
    wax: F64s,
    waa: F64s,
    dx: F64s,
    da0: F64s,
    dwax: F64s,
    dwaa: F64s,
    dba: F64s,
) -> Result<()> {
    let d = dims(n_x, n_a, 0.0, m, t)?;
    let inputs = [&da, &a_next, &a_prev, &x, &wax, &waa];
    let mut args = Args::new(&inputs, [dx, da0, dwax, dwaa, dba])?;
    let [dx, da0, dwax, dwaa, dba] = args.outputs();
    let len = rnn_core::rnn_backward_workspace_len(&d);
    with_workspace(len, |ws| {
        rnn_core::rnn_backward(
            &d, &da, &a_next, &a_prev, &x, &wax, &waa, dx, da0, dwax, dwaa, dba, ws,
        )
    })
}

/// LSTM forward pass; see `rnn_core::lstm_forward`.
#[napi(js_name = "lstmForward")]
pub fn lstm_forward(
    n_x: f64,
    n_a: f64,
    n_y: f64,
    m: f64,
    t: f64,
    x: F64s,
    a0: F64s,
    c0: F64s,
    w: F64s,
    b: F64s,
    wy: F64s,
    by: F64s,
    a: F64s,
    c: F64s,
    y: F64s,
    gates: F64s,
) -> Result<()> {
    let d = dims(n_x, n_a, n_y, m, t)?;
    let mut args = Args::new(&[&x, &a0, &c0, &w, &b, &wy, &by], [a, c, y, gates])?;
    let [a, c, y, gates] = args.outputs();
    let len = rnn_core::lstm_forward_workspace_len(&d);
    with_workspace(len, |ws| {
        rnn_core::lstm_forward(&d, &x, &a0, &c0, &w, &b, &wy, &by, a, c, y, gates, ws)
    })
}

/// LSTM backward pass; see `rnn_core::lstm_backward`.
#[napi(js_name = "lstmBackward")]
pub fn lstm_backward(
    n_x: f64,
    n_a: f64,
    m: f64,
    t: f64,
    da: F64s,
    dc_last: F64s,
    c_next: F64s,
    c_prev: F64s,
    a_prev: F64s,
    gates: F64s,
    x: F64s,
    w: F64s,
    dx: F64s,
    da0: F64s,
    dc0: F64s,
    dw: F64s,
    db: F64s,
) -> Result<()> {
    let d = dims(n_x, n_a, 0.0, m, t)?;
    let inputs = [&da, &dc_last, &c_next, &c_prev, &a_prev, &gates, &x, &w];
    let mut args = Args::new(&inputs, [dx, da0, dc0, dw, db])?;
    let [dx, da0, dc0, dw, db] = args.outputs();
    let len = rnn_core::lstm_backward_workspace_len(&d);
    with_workspace(len, |ws| {
        rnn_core::lstm_backward(
            &d, &da, &dc_last, &c_next, &c_prev, &a_prev, &gates, &x, &w, dx, da0, dc0, dw, db, ws,
        )
    })
}

/// Asks the OS to back `buf`, a large output array not yet written, with
/// huge pages (see `pages.rs`). Writes nothing.
#[napi(js_name = "adviseHugePages")]
pub fn advise_huge_pages(buf: F64s) {
    pages::advise_huge_pages(&buf);
}

/// Lets the kernels use up to `n` threads (0: all cores, the default).
#[napi(js_name = "setThreads")]
pub fn set_threads(n: f64) -> Result<()> {
    rnn_core::set_threads(dim("threads", n)?);
    Ok(())
}

/// Threads the kernels may use.
#[napi(js_name = "getThreads")]
pub fn get_threads() -> u32 {
    u32::try_from(rnn_core::threads()).unwrap_or(u32::MAX)
}

/// The instruction set the GEMM kernel runs on this CPU: `avx512`,
/// `avx2+fma` or `scalar`.
#[napi(js_name = "cpuFeatures")]
pub fn cpu_features() -> &'static str {
    rnn_core::isa_name()
}
