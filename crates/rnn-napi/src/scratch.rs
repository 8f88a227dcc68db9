//! Per-thread scratch space for the kernels' workspaces, grown to the largest
//! call seen and never shrunk, so steady use allocates nothing.

use std::cell::RefCell;

use napi::{Error, Result, Status};
use rnn_core::KernelError;

thread_local! {
    // Node runs each worker's JavaScript on its own thread, so every
    // JavaScript realm gets its own buffer and calls never share one.
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `kernel` with a workspace of `len` elements (`None`: the size
/// overflows, which is reported as an error).
pub(crate) fn with_workspace(
    len: Option<usize>,
    kernel: impl FnOnce(&mut [f64]) -> std::result::Result<(), KernelError>,
) -> Result<()> {
    let len = len
        .ok_or_else(|| Error::new(Status::InvalidArg, "rnn-napi: the workspace size overflows"))?;
    SCRATCH.with(|cell| {
        let mut buf = cell.borrow_mut();
        if buf.len() < len {
            // Replace rather than extend: the old contents need not be kept.
            let mut fresh = Vec::new();
            fresh.try_reserve_exact(len).map_err(|_| {
                Error::new(
                    Status::GenericFailure,
                    format!("rnn-napi: cannot allocate {len} workspace elements"),
                )
            })?;
            fresh.resize(len, 0.0);
            *buf = fresh;
        }
        kernel(&mut buf[..len])
            .map_err(|e| Error::new(Status::InvalidArg, format!("rnn-napi: {e}")))
    })
}
