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
//! Every kernel has the same form:
//!
//! ```text
//! kernel(&dims, KernelIn { inputs.. }, KernelOut { outputs.. }, ws) -> Result<(), KernelError>
//! kernel_workspace_len(&dims) -> Option<usize>
//! ```
//!
//! The dimensions are a small struct ([`Dims`] for the sequence kernels,
//! [`MatDims`] or [`ElemDims`] for the others), the inputs a struct of
//! `&[f64]` and the outputs one of `&mut [f64]`, each field named as the
//! slice it holds. A kernel checks every slice length against the
//! dimensions before touching any data and returns [`KernelError`] on a
//! mismatch, on a size that overflows `usize` or (the loss) on a target that
//! is not a class index; no argument values can make it panic. Outputs are
//! overwritten in full and never read before being written. Kernels do not
//! allocate: scratch space comes from the workspace `ws`, whose minimum
//! length `*_workspace_len` reports (a longer one is fine; kernels that need
//! none report 0 and take an empty one).
//!
//! | module | what |
//! |---|---|
//! | `rnn.rs`, `lstm.rs` | the recurrent kernels, forward and backward |
//! | `layer/` | PyTorch's recurrent layers (RNN, LSTM, GRU) over sequences of given lengths |
//! | `loss.rs` | the output layer's softmax cross-entropy backward |
//! | `activations.rs` | [`softmax`], [`sigmoid`] and the lane functions |
//! | `layout.rs` | [`transpose`] between the notebook's and the time-major layouts |
//! | `seq.rs` | what the sequence kernels share (packed steps, weight gradients) |
//! | [`gemm`](mod@gemm) | the matrix product every kernel is built on |
//! | `threads.rs` | how native builds share work among threads |
//! | `simd.rs` | the vector type of the element-wise loops |
//! | [`abi`] | status codes and constants the boundary crates share |
//! | `error.rs` | [`KernelError`] and the length checks |

#![forbid(unsafe_code)]

pub mod abi;
mod activations;
mod error;
pub mod gemm;
mod kernels;
mod layer;
mod layout;
mod loss;
mod lstm;
#[cfg(feature = "probes")]
pub mod probe;
mod rnn;
mod seq;
mod simd;
#[cfg(not(target_arch = "wasm32"))]
mod threads;

pub use abi::{Status, ALLOC_ALIGN, NO_TARGET, TRANSPOSE_IN_JS_BELOW};
pub use activations::{
    sigmoid, sigmoid_workspace_len, softmax, softmax_workspace_len, SigmoidIn, SigmoidOut,
    SoftmaxIn, SoftmaxOut,
};
pub use error::KernelError;
pub(crate) use error::{check_lens, expect_len, expect_workspace, product, sizes_fit, Arg};
#[cfg(not(target_arch = "wasm32"))]
pub use gemm::isa_name;
pub use gemm::{gemm, gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs, Precision};
pub use layer::{
    layer_backward, layer_backward_f32, layer_backward_workspace_len, layer_forward,
    layer_forward_f32, layer_forward_workspace_len, LayerBackwardIn, LayerBackwardOut, LayerDims,
    LayerForwardIn, LayerForwardOut,
};
pub use layout::{transpose, transpose_workspace_len, TransposeIn, TransposeOut};
pub use loss::{
    output_backward, output_backward_workspace_len, OutputBackwardIn, OutputBackwardOut,
};
pub use lstm::{
    lstm_backward, lstm_backward_workspace_len, lstm_forward, lstm_forward_workspace_len,
    LstmBackwardIn, LstmBackwardOut, LstmForwardIn, LstmForwardOut,
};
pub use rnn::{
    rnn_backward, rnn_backward_workspace_len, rnn_forward, rnn_forward_workspace_len,
    RnnBackwardIn, RnnBackwardOut, RnnForwardIn, RnnForwardOut,
};
#[cfg(not(target_arch = "wasm32"))]
pub use threads::{set_threads, threads};

/// Sizes of one sequence computation (the RNN, LSTM and loss kernels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dims {
    /// Input features per step (ignored by `output_backward`).
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

/// Sizes of one C-order matrix ([`softmax`], [`transpose`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatDims {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

/// Length of an element-wise operand ([`sigmoid`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElemDims {
    /// Elements.
    pub n: usize,
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
