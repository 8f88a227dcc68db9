//! The exported functions: `rnn_alloc` and `rnn_free` here, and one export
//! per kernel of `rnn-core`'s table ([`rnn_core::for_each_kernel`]), which
//! lists its buffers, checks them, turns them into slices and calls the
//! kernel; no math here.

use std::alloc::{alloc, dealloc, Layout};

use rnn_core::{KernelError, Status, ALLOC_ALIGN};

#[allow(unused_imports)] // used by the generated exports
use crate::buffers::{self, slice, slice_mut, Buf, Memory};

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
    crate::simulated::current()
}

fn status(result: Result<(), KernelError>) -> i32 {
    match result {
        Ok(()) => Status::Ok as i32,
        Err(e) => e.status() as i32,
    }
}

fn workspace(len: Option<usize>) -> isize {
    len.and_then(|n| isize::try_from(n).ok()).unwrap_or(-1)
}

fn alloc_layout(bytes: usize) -> Option<Layout> {
    // Zero-byte requests get a real one-byte block, so every pointer handed
    // out is distinct and can be freed the same way.
    Layout::from_size_align(bytes.max(1), ALLOC_ALIGN).ok()
}

/// Allocates `bytes` bytes aligned to [`ALLOC_ALIGN`] (16: enough for `f64`
/// and for 128-bit SIMD loads); returns null on failure. Free with
/// [`rnn_free`] and the same size.
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

/// Turns one kernel declaration of `rnn_core::for_each_kernel!` into its
/// export (and its workspace export): the dimensions as `usize`, a
/// `(pointer, length)` pair per input, per output and for the workspace.
///
/// The `@args` rules add one buffer at a time; each step's length parameter
/// is called `len`, which macro hygiene keeps distinct from every other
/// step's (so no identifiers need gluing together).
macro_rules! export {
    (
        name: $name:ident,
        doc: $doc:literal,
        wasm: $wasm:ident,
        js: $js:tt,
        dims: $Dims:ident { $($d:ident),* },
        unused: { $($u:ident),* },
        inputs: $In:ident { $($i:ident),* },
        outputs: $Out:ident { $($o:ident),* },
        workspace: [$($ws_len:ident => $ws_export:ident)?],
    ) => {
        export!(@workspace [$($ws_len => $ws_export)?] $wasm $Dims { $($d),* } { $($u),* });
        export!(@args
            [$name $doc $wasm $Dims { $($d),* } { $($u),* } $In { $($i),* } $Out { $($o),* }]
            [] [] [] [&mut []]
            $(in $i,)* $(out $o,)* $(ws $ws_export,)?
        );
    };

    (@workspace [] $($rest:tt)*) => {};
    (@workspace [$ws_len:ident => $ws_export:ident]
        $wasm:ident $Dims:ident { $($d:ident),* } { $($u:ident),* }) => {
        #[doc = concat!("Workspace elements `", stringify!($wasm), "` needs, or -1 when the sizes overflow.")]
        #[no_mangle]
        pub extern "C" fn $ws_export($($d: usize),*) -> isize {
            workspace(rnn_core::$ws_len(&rnn_core::$Dims { $($d,)* $($u: 0,)* }))
        }
    };

    // [declaration] [parameters] [buffers] [buffer names] [workspace argument]
    (@args [$($decl:tt)*] [$($p:tt)*] [$($b:tt)*] [$($n:tt)*] [$($w:tt)*] in $i:ident, $($rest:tt)*) => {
        export!(@args [$($decl)*] [$($p)* $i: *const f64, len: usize,] [$($b)* Buf::input($i, len),]
            [$($n)* $i,] [$($w)*] $($rest)*);
    };
    (@args [$($decl:tt)*] [$($p:tt)*] [$($b:tt)*] [$($n:tt)*] [$($w:tt)*] out $o:ident, $($rest:tt)*) => {
        export!(@args [$($decl)*] [$($p)* $o: *mut f64, len: usize,] [$($b)* Buf::output($o, len),]
            [$($n)* $o,] [$($w)*] $($rest)*);
    };
    (@args [$($decl:tt)*] [$($p:tt)*] [$($b:tt)*] [$($n:tt)*] [$($w:tt)*] ws $ws_export:ident,) => {
        export!(@args [$($decl)*] [$($p)* ws: *mut f64, len: usize,] [$($b)* Buf::output(ws, len),]
            [$($n)* ws,] [slice_mut(ws)]);
    };
    (@args
        [$name:ident $doc:literal $wasm:ident $Dims:ident { $($d:ident),* } { $($u:ident),* }
            $In:ident { $($i:ident),* } $Out:ident { $($o:ident),* }]
        [$($p:tt)*] [$($b:tt)*] [$($n:tt)*] [$($w:tt)*]
    ) => {
        #[doc = $doc]
        // One scalar per dimension, pointer and length: the calling convention.
        #[allow(clippy::too_many_arguments)]
        #[no_mangle]
        pub extern "C" fn $wasm($($d: usize,)* $($p)*) -> i32 {
            let bufs = [$($b)*];
            if let Err(s) = buffers::check(&bufs, memory()) {
                return s as i32;
            }
            let [$($n)*] = bufs;
            let d = rnn_core::$Dims { $($d,)* $($u: 0,)* };
            // SAFETY: every buffer passed `check` against the current memory
            // size just above, and no output overlaps any other buffer.
            let result = unsafe {
                rnn_core::$name(
                    &d,
                    rnn_core::$In { $($i: slice($i),)* },
                    rnn_core::$Out { $($o: slice_mut($o),)* },
                    $($w)*,
                )
            };
            status(result)
        }
    };
}

rnn_core::for_each_kernel!(export);

#[cfg(test)]
mod tests {
    //! Natively, linear memory counts as empty unless a test simulates one:
    //! calls with empty buffers run the whole path, and any non-empty buffer
    //! is rejected with status 2.

    use super::*;
    use core::ptr::{null, null_mut};
    use rnn_core::Dims;

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
    fn a_target_that_is_not_a_class_gets_its_own_status() {
        // n_a = 0, n_y = 2, m = 1, t = 1: y and targets hold one column,
        // the loss two elements and the bias gradient two.
        let mut mem = vec![0u64; 1 << 12];
        let status = crate::simulated::with_memory(&mut mem, |base| {
            let at = |word: usize| base + 8 * word;
            let y = at(1) as *mut f64;
            // SAFETY: words 1..=3 lie inside `mem`, which `with_memory`
            // lends to this closure alone.
            unsafe {
                y.write(0.5);
                y.add(1).write(0.5);
                y.add(2).write(2.0); // targets[0]: not a class below n_y = 2
            }
            let p = |word: usize| at(word) as *const f64;
            let o = |word: usize| at(word) as *mut f64;
            let ws = output_backward_workspace(0, 2, 1, 1) as usize;
            output_backward(
                0,
                2,
                1,
                1,
                p(1),
                2,
                p(3),
                1,
                null(),
                0,
                null(),
                0,
                o(4),
                2,
                null_mut(),
                0,
                o(6),
                2,
                null_mut(),
                0,
                o(16),
                ws,
            )
        });
        assert_eq!(status, Status::Target as i32);
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
