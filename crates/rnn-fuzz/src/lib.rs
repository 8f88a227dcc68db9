//! Property-based fuzzing of the Rust side, natively.
//!
//! - `tests/core.rs`: every `rnn-core` kernel over random dimensions (0, 1, odd, prime) and
//!   values against the naive per-step references, and over random dimensions and slice
//!   lengths (including ones no caller would send) against an independent model of which
//!   calls are valid: never a panic, never a write before the checks pass.
//! - `tests/exports.rs`: every kernel export of `rnn-wasm` called with hostile pointers,
//!   lengths and dimensions over a canary-filled simulated linear memory
//!   (`rnn_wasm::simulated`): the status must be what an independent model of the calling
//!   convention predicts, a rejected call must leave every byte as it was, and an accepted one
//!   may write only inside its declared outputs, and must write what the core computes.
//!
//! Case counts: `RNN_FUZZ_CASES` (default [`DEFAULT_CASES`]) per property; see the README.

pub mod kernels;
pub mod model;

/// The crate under test, built natively (its rlib; the `.wasm` build asks for the cdylib
/// alone, so this changes nothing in the module).
pub use rnn_wasm;

/// The naive per-step references, shared with `rnn-core`'s own tests (not a copy).
#[path = "../../rnn-core/tests/common/mod.rs"]
pub mod reference;

/// The naive per-sequence references of the layer kernels, shared with `rnn-core`'s tests.
#[path = "../../rnn-core/tests/layer_ref/mod.rs"]
pub mod layer_reference;

/// Cases per property when `RNN_FUZZ_CASES` is not set: about 20 s of testing for the whole
/// harness on a 2-core machine, most of it the export property's memory comparisons.
pub const DEFAULT_CASES: u32 = 20_000;

/// Cases per property: `RNN_FUZZ_CASES`, or [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    match std::env::var("RNN_FUZZ_CASES") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("RNN_FUZZ_CASES must be a positive integer; got {v:?}")),
        Err(_) => DEFAULT_CASES,
    }
}
