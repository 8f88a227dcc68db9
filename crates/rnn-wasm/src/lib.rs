//! WebAssembly boundary for `rnn-core`: raw `extern "C"` exports over linear
//! memory, driven by a hand-written JavaScript loader.
//!
//! # Calling convention
//!
//! - Pointers are byte addresses in linear memory; every length is a count of
//!   `f64` elements; dimensions are `usize` (`u32` on wasm32).
//! - Every kernel export is generated from `rnn-core`'s kernel table
//!   ([`rnn_core::for_each_kernel`]): the dimensions, then a `(pointer,
//!   length)` pair per input, per output and, for kernels with a workspace,
//!   `(ws, ws_len)`; `ts/generated/abi.ts` lists them for the loader.
//! - Kernel exports return an `i32` status ([`rnn_core::Status`]): 0 success,
//!   1 dimensions or lengths rejected by the core, 2 a non-empty buffer is
//!   outside linear memory, null, not 8-byte aligned, or its byte range
//!   overflows, 3 an output buffer overlaps another buffer, 4 a loss target
//!   is neither -1 nor a class index. Inputs may overlap each other. Empty
//!   buffers may carry any pointer.
//! - All checks happen before any slice is made; on a non-zero status no
//!   output has been written.
//! - Kernels never allocate, so linear memory does not grow during a call.
//! - `*_workspace` exports return the workspace length in elements, or -1 if
//!   the sizes overflow.
//!
//! Arrays follow `rnn-core`'s layout: flat C order, time-major sequences
//! `[T][n][m]`, fused LSTM weight `(4·n_a) × (n_a + n_x)` with gate order
//! `f, i, c̃, o`.
//!
//! The module imports nothing and exports its `memory`. On targets other
//! than wasm32 the crate still builds (for tests, fuzzing and lints): linear
//! memory counts as empty there, so every non-empty buffer is rejected,
//! unless a caller lends a buffer to play it (`simulated::with_memory`).
//!
//! With the `probes` feature the module also exports test and benchmark
//! entry points (`rnn_debug_trap`, `rnn_bench_roofline`, `rnn_bench_gemm`,
//! `rnn_test_gemm`); the shipped module is built without it.

mod buffers;
mod exports;
#[cfg(feature = "probes")]
mod probes;
#[cfg(not(target_arch = "wasm32"))]
pub mod simulated;

pub use exports::*;
#[cfg(feature = "probes")]
pub use probes::*;
