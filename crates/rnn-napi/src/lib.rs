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
//!
//! Every kernel function is generated from `rnn-core`'s kernel table
//! ([`rnn_core::for_each_kernel`]): the dimensions (JavaScript numbers,
//! checked to be non-negative integers), then one `Float64Array` per input,
//! then one per output, named as in the core's input and output structs.
//! The workspace is this crate's own per-thread scratch (`scratch.rs`).

mod args;
mod pages;
mod scratch;

use napi::bindgen_prelude::Float64ArraySlice;
use napi::{Error, Result, Status};
use napi_derive::napi;

use args::Args;
use scratch::with_workspace;

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

/// Turns one kernel declaration of `rnn_core::for_each_kernel!` into its
/// `#[napi]` function.
macro_rules! napi_kernel {
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
        #[doc = $doc]
        // One JavaScript argument per dimension and array: the calling convention.
        #[allow(clippy::too_many_arguments)]
        #[napi(js_name = $js)]
        pub fn $name(
            $($d: f64,)*
            $($i: Float64ArraySlice<'_>,)*
            $($o: Float64ArraySlice<'_>,)*
        ) -> Result<()> {
            let d = rnn_core::$Dims { $($d: dim(stringify!($d), $d)?,)* $($u: 0,)* };
            let mut args = Args::new(&[$(&$i),*], [$($o),*])?;
            let [$($o),*] = args.outputs();
            napi_kernel!(@run [$($ws_len)?] d, |ws| rnn_core::$name(
                &d,
                rnn_core::$In { $($i: &$i,)* },
                rnn_core::$Out { $($o,)* },
                ws,
            ))
        }
    };
    // No workspace: an empty one, without touching the scratch.
    (@run [] $d:ident, |$ws:ident| $call:expr) => {{
        let $ws: &mut [f64] = &mut [];
        $call.map_err(|e| Error::new(Status::InvalidArg, format!("rnn-napi: {e}")))
    }};
    (@run [$ws_len:ident] $d:ident, |$ws:ident| $call:expr) => {
        with_workspace(rnn_core::$ws_len(&$d), |$ws| $call)
    };
}

rnn_core::for_each_kernel!(napi_kernel);

/// Asks the OS to back `buf`, a large output array not yet written, with
/// huge pages (see `pages.rs`). Writes nothing.
#[napi(js_name = "adviseHugePages")]
pub fn advise_huge_pages(buf: Float64ArraySlice<'_>) {
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
