//! An independent model of the calling convention: which calls must be accepted, and which
//! status a rejected export call must return. Written from the documented rules (rnn-wasm's
//! crate docs), in 128-bit arithmetic so that nothing here can wrap, and never calling the
//! code under test.

use rnn_core::Dims;

use crate::kernels::{Kernel, Role};

/// Whether the core accepts these slice lengths: each equals its required length, the
/// workspace is at least its minimum, and no required length overflows.
pub fn lengths_ok(k: &Kernel, d: &Dims, lens: &[usize]) -> bool {
    let required = (k.lens)(d);
    k.bufs
        .iter()
        .zip(required)
        .zip(lens)
        .all(|((&(_, role), req), &len)| match (role, req) {
            (_, None) => false,
            (Role::Workspace, Some(r)) => len >= r,
            (_, Some(r)) => len == r,
        })
}

/// The status an export must return for `bufs` over a linear memory of `bytes` bytes whose
/// byte 0 sits at address `base`: 2 for a non-empty buffer that is null, misaligned or not
/// inside memory; else 3 for a non-empty output overlapping another non-empty buffer; else 1
/// for lengths the dimensions reject; else 4 for input values the kernel refuses (a loss target
/// that is not a class index); else 0. `read(i)`
/// gives input `i`'s values (called only once every buffer has passed).
pub fn export_status(
    k: &Kernel,
    d: &Dims,
    bufs: &[(usize, usize)],
    base: usize,
    bytes: u64,
    read: impl Fn(usize) -> Vec<f64>,
) -> i32 {
    let span = |(addr, len): (usize, usize)| {
        let start = addr as i128 - base as i128;
        (start, start + 8 * len as i128)
    };
    let live = |i: usize| bufs[i].1 != 0;
    for i in (0..bufs.len()).filter(|&i| live(i)) {
        let (start, end) = span(bufs[i]);
        if start <= 0 || start % 8 != 0 || end > bytes as i128 {
            return 2;
        }
    }
    for i in (0..bufs.len()).filter(|&i| live(i) && k.bufs[i].1 != Role::Input) {
        for j in (0..bufs.len()).filter(|&j| j != i && live(j)) {
            let ((s1, e1), (s2, e2)) = (span(bufs[i]), span(bufs[j]));
            if s1 < e2 && s2 < e1 {
                return 3;
            }
        }
    }
    let lens: Vec<usize> = bufs.iter().map(|b| b.1).collect();
    if !lengths_ok(k, d, &lens) {
        return 1;
    }
    let inputs: Vec<Vec<f64>> = (0..k.n_inputs()).map(read).collect();
    let refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
    if (k.values_ok)(d, &refs) {
        0
    } else {
        4
    }
}
