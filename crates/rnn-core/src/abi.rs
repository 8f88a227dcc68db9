//! The vocabulary the boundary crates (`rnn-wasm`, `rnn-napi`) and the
//! TypeScript side share with the kernels: the status codes a boundary call
//! returns and the constants both sides must agree on.

/// What a boundary call reports: `0` for success, else why it did nothing.
/// A kernel's [`crate::KernelError`] maps to one of these through
/// [`crate::KernelError::status`]; the boundary crates add the checks of
/// their own (`Memory`, `Overlap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    /// The call completed; every output is written.
    Ok = 0,
    /// A slice length does not match the dimensions, or a size they
    /// require overflows.
    Dims = 1,
    /// A buffer lies (partly) outside linear memory or is misaligned.
    Memory = 2,
    /// An output overlaps another buffer of the call.
    Overlap = 3,
    /// A loss target is neither [`NO_TARGET`] nor an integer class index
    /// below `n_y`, or a layer's sequence length is not an integer in
    /// `0..=t`.
    Target = 4,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Dims,
        Status::Memory,
        Status::Overlap,
        Status::Target,
    ];

    /// The status's name in `ts/generated/abi.ts`'s `STATUS`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Dims => "dims",
            Status::Memory => "memory",
            Status::Overlap => "overlap",
            Status::Target => "target",
        }
    }

    /// What the status means, for error messages (`STATUS_MESSAGES`).
    pub fn message(self) -> &'static str {
        match self {
            Status::Ok => "success",
            Status::Dims => "dimensions or buffer lengths rejected",
            Status::Memory => "a buffer lies outside linear memory, is null or is misaligned",
            Status::Overlap => "an output buffer overlaps another buffer",
            Status::Target => {
                "a target is neither NO_TARGET nor a class index below n_y, or a sequence length is not an integer in 0..=t"
            }
        }
    }
}

/// The target value that marks "no target here" (padding) in
/// `output_backward`'s `targets`.
pub const NO_TARGET: f64 = -1.0;

/// Alignment, in bytes, of every buffer the wasm module allocates (and
/// requires of every `f64` buffer passed to it).
pub const ALLOC_ALIGN: usize = 16;

/// Arrays shorter than this many elements are transposed in JS by the wasm
/// and native backends: crossing the boundary costs more than the
/// transpose itself.
pub const TRANSPOSE_IN_JS_BELOW: usize = 256;
