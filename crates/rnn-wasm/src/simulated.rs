//! Natively, a buffer of the caller's stands in for linear memory, so that
//! the exports' own checks and kernels can be exercised over real bytes by
//! tests and fuzzers (wasm32 builds do not contain this module).
//!
//! Inside [`with_memory`], address `base + k` is byte `k` of the buffer and
//! `base` itself plays wasm32's null address. Buffers the exports accept are
//! read and written there; everything else must be rejected, exactly as in
//! wasm32, where `base` is 0 and the buffer is the module's memory.

use core::cell::Cell;

use crate::buffers::Memory;

const EMPTY: Memory = Memory { base: 0, bytes: 0 };

thread_local! {
    static MEMORY: Cell<Memory> = const { Cell::new(EMPTY) };
}

/// The linear memory the exports check against on this thread.
pub(crate) fn current() -> Memory {
    MEMORY.with(Cell::get)
}

/// Puts the previous memory back when dropped, also when `f` panics.
struct Restore(Memory);

impl Drop for Restore {
    fn drop(&mut self) {
        MEMORY.with(|m| m.set(self.0));
    }
}

/// Runs `f(base)` with `mem` as this thread's linear memory.
///
/// `mem` stays mutably borrowed for the whole call, so the exports that `f`
/// calls are the only code touching its bytes. `u64` elements keep `base`
/// 8-byte aligned, as wasm32's address 0 is.
pub fn with_memory<R>(mem: &mut [u64], f: impl FnOnce(usize) -> R) -> R {
    let region = Memory {
        base: mem.as_mut_ptr() as usize,
        bytes: core::mem::size_of_val(mem) as u64,
    };
    let _restore = Restore(MEMORY.with(|m| m.replace(region)));
    f(region.base)
}
