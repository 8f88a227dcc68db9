//! General strided matrix product `C ← α·A·B + β·C`.
//!
//! Matrices are views over slices with a row stride and a column stride, so a
//! transpose is a swap of strides ([`MatRef::t`]) and a column block of a
//! row-major matrix is a view with a wider row stride; no data is copied.
//!
//! Semantics follow BLAS `dgemm` with two deliberate points:
//! - `β = 0` overwrites `C` without reading it, so NaN or garbage already in
//!   `C` never reaches the result;
//! - no term is skipped because a factor is zero, so `0·∞` and `0·NaN` give NaN
//!   exactly as a plain sum of products would.
//!
//! Two paths compute it:
//! - [`gemm`]: plain scalar loops over the views, needing no scratch space;
//!   the reference the fast path is tested against.
//! - [`gemm_packed`]: both operands first copied into panel layouts
//!   ([`PackedLhs`], [`PackedRhs`], in caller-provided buffers), then a
//!   register-blocked SIMD128 micro-kernel (`kernel.rs`) sweeps them
//!   (`packed.rs`). The sequence kernels pack each weight once per call and
//!   each per-step operand once per step.
//!
//! | file | what |
//! |---|---|
//! | `view.rs` | [`MatRef`], [`MatMut`] |
//! | `reference.rs` | [`gemm`], the scalar loops |
//! | `pack.rs` | the packed layouts and packing |
//! | `kernel.rs` | the SIMD128 `MR × NR` micro-kernel and tile store (wasm) |
//! | `kernel_f32.rs` | the float32 `MR × NR32` micro-kernel and its store (both builds) |
//! | `update.rs` | `C ← α·tile + β·C`: how every path stores a tile |
//! | `native.rs` | the native micro-kernel, dispatched on CPU features |
//! | `packed.rs` | [`gemm_packed`], the blocked loop nest |

mod kernel;
mod kernel_f32;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod pack;
mod packed;
mod reference;
mod update;
mod view;

// The tile kernel: SIMD128 4 × 4 in the wasm build, 12 × 16 with run-time
// AVX-512 / AVX2 dispatch in native builds.
#[cfg(target_arch = "wasm32")]
use kernel as micro;
#[cfg(not(target_arch = "wasm32"))]
use native as micro;

pub use kernel_f32::NR32;
pub use micro::{MR, NR};
#[cfg(not(target_arch = "wasm32"))]
pub use native::isa_name;
pub use pack::{PackedLhs, PackedRhs, Precision};
pub use packed::gemm_packed;
pub use reference::gemm;
pub use view::{MatMut, MatRef};
