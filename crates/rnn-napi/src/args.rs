//! The arrays of one call: inputs stay shared slices; outputs become mutable
//! slices only after they are shown to share no memory with any argument.

use napi::bindgen_prelude::Float64ArraySlice;
use napi::{Error, Result, Status};

/// Byte range `[start, end)` of a non-empty slice, `None` for an empty one
/// (whose pointer may be dangling and aliases nothing).
fn bytes(s: &[f64]) -> Option<(usize, usize)> {
    if s.is_empty() {
        return None;
    }
    let start = s.as_ptr() as usize;
    Some((start, start + std::mem::size_of_val(s)))
}

fn overlap(a: Option<(usize, usize)>, b: Option<(usize, usize)>) -> bool {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => a0 < b1 && b0 < a1,
        _ => false,
    }
}

/// The `N` outputs of a call, checked against each other and the inputs.
pub(crate) struct Args<'env, const N: usize> {
    outputs: [Float64ArraySlice<'env>; N],
}

impl<'env, const N: usize> Args<'env, N> {
    /// Fails if any output overlaps an input or another output.
    pub(crate) fn new(
        inputs: &[&Float64ArraySlice<'_>],
        outputs: [Float64ArraySlice<'env>; N],
    ) -> Result<Self> {
        let ins: Vec<_> = inputs.iter().map(|s| bytes(s)).collect();
        let outs: Vec<_> = outputs.iter().map(|s| bytes(s)).collect();
        for (i, &out) in outs.iter().enumerate() {
            let clash = ins.iter().any(|&r| overlap(out, r))
                || outs
                    .iter()
                    .enumerate()
                    .any(|(j, &r)| j != i && overlap(out, r));
            if clash {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("rnn-napi: output {i} shares memory with another argument"),
                ));
            }
        }
        Ok(Self { outputs })
    }

    /// The outputs as mutable slices.
    pub(crate) fn outputs(&mut self) -> [&mut [f64]; N] {
        self.outputs.each_mut().map(|o| {
            // SAFETY: `new` showed that this array's memory is disjoint from
            // every other argument's, and each output is borrowed mutably
            // once here for as long as `self` is, so no other slice of it
            // exists. The array stays alive for the whole call: napi keeps
            // the call's arguments reachable until the function returns.
            unsafe { o.as_mut() }
        })
    }
}
