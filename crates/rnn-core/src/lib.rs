//! Float64 kernels for plain tanh RNNs and LSTMs: forward and backward passes
//! over whole sequences, computed on flat slices.
//!
//! # Layout
//!
//! Every array is a flat `f64` slice in C (row-major) order. Sequence data is
//! time-major: an `[T][n][m]` array holds step `t` as one contiguous `n × m`
//! block, the notebook's per-step `(n, m)` matrix. Biases have length `n`.
//!
//! The LSTM uses one fused weight `w` of shape `(4·n_a) × (n_a + n_x)`: the
//! gate weights `Wf, Wi, Wc, Wo` stacked by rows in that order, with columns
//! acting on `concat = [a_prev; x_t]`. The fused bias `b` has length `4·n_a`,
//! and the `gates` cache holds the activated gates `f, i, c̃, o` per step as an
//! `[T][4·n_a][m]` array.
//!
//! # Contract
//!
//! Each kernel checks every slice length against [`Dims`] before touching any
//! data and returns [`DimError`] on a mismatch or when a size overflows
//! `usize`; no argument values can make it panic. Outputs are overwritten in
//! full and never read before being written. Kernels do not allocate: scratch
//! space comes from a caller-provided workspace whose minimum length the
//! matching `*_workspace_len` function reports (a longer one is fine).

#![forbid(unsafe_code)]

mod activations;
pub mod gemm;
mod layout;
mod loss;
mod lstm;
pub mod probe;
mod rnn;
mod seq;
mod simd;

use core::fmt;

pub use activations::{sigmoid, softmax};
pub use gemm::{gemm, gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};
#[cfg(not(target_arch = "wasm32"))]
pub use gemm::{isa_name, set_threads, threads};
pub use layout::transpose;
pub use loss::{output_backward, output_backward_workspace_len, NO_TARGET};
pub use lstm::{
    lstm_backward, lstm_backward_workspace_len, lstm_forward, lstm_forward_workspace_len,
};
pub use rnn::{rnn_backward, rnn_backward_workspace_len, rnn_forward, rnn_forward_workspace_len};

/// Sizes of one sequence computation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dims {
    /// Input features per step.
    pub n_x: usize,
    /// Hidden units.
    pub n_a: usize,
    /// Output classes (ignored by the recurrent backward kernels).
    pub n_y: usize,
    /// Batch size: columns of every per-step matrix.
    pub m: usize,
    /// Number of time steps.
    pub t: usize,
}

/// A slice whose length does not match what the dimensions require.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DimError {
    /// Name of the offending argument.
    pub arg: &'static str,
    /// Required length, or `None` when it overflows `usize`.
    pub expected: Option<usize>,
    /// Length that was passed.
    pub actual: usize,
}

impl fmt::Display for DimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "`{}` has length {}, expected {}",
                self.arg, self.actual, n
            ),
            // An element-wise check (the loss targets) reports the position it rejected.
            None if self.arg == "targets" => write!(
                f,
                "`targets` element {} is neither -1 nor an integer class index below n_y",
                self.actual
            ),
            None => write!(f, "the size required for `{}` overflows usize", self.arg),
        }
    }
}

impl std::error::Error for DimError {}

/// Product of `factors`, or `None` if it overflows. A zero factor makes the
/// product zero however large the others are.
pub(crate) fn product(factors: &[usize]) -> Option<usize> {
    if factors.contains(&0) {
        return Some(0);
    }
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

/// Requires `actual == product(factors)`.
pub(crate) fn expect_len(
    arg: &'static str,
    actual: usize,
    factors: &[usize],
) -> Result<(), DimError> {
    let expected = product(factors);
    if expected == Some(actual) {
        Ok(())
    } else {
        Err(DimError {
            arg,
            expected,
            actual,
        })
    }
}

/// A shape of up to three factors; unused factors are 1.
pub(crate) type Shape = [usize; 3];

/// Checks `lens[i] == product(shapes[i])` for every argument, in order.
/// The shared `N` keeps the three tables in step at compile time.
pub(crate) fn check_lens<const N: usize>(
    names: &[&'static str; N],
    shapes: &[Shape; N],
    lens: &[usize; N],
) -> Result<(), DimError> {
    for ((&name, shape), &len) in names.iter().zip(shapes).zip(lens) {
        expect_len(name, len, shape)?;
    }
    Ok(())
}

/// Whether every shape's element count fits in `usize`.
pub(crate) fn sizes_fit(shapes: &[Shape]) -> bool {
    shapes.iter().all(|s| product(s).is_some())
}

/// Requires a workspace of at least `needed` elements.
pub(crate) fn expect_workspace(actual: usize, needed: Option<usize>) -> Result<(), DimError> {
    match needed {
        Some(n) if actual >= n => Ok(()),
        _ => Err(DimError {
            arg: "ws",
            expected: needed,
            actual,
        }),
    }
}

/// Step `t` of a time-major array whose steps are `step` elements long.
///
/// Callers have validated `buf.len() == T * step` and pass `t < T`, so the
/// range is in bounds and its arithmetic cannot overflow.
pub(crate) fn step(buf: &[f64], t: usize, step: usize) -> &[f64] {
    &buf[t * step..(t + 1) * step]
}

/// Mutable counterpart of [`step`].
pub(crate) fn step_mut(buf: &mut [f64], t: usize, step: usize) -> &mut [f64] {
    &mut buf[t * step..(t + 1) * step]
}
