//! The 12 × 16 tile in 512-bit registers: per step, two loads of the right
//! panel and twelve broadcasts of the left one feed 24 fused multiply-adds
//! into 24 accumulators (of 32 zmm registers), enough independent chains to
//! cover the FMA latency on two ports. Both panels are prefetched
//! [`AHEAD`] steps ahead (see there).

use core::arch::x86_64::{
    __m512d, _mm512_add_pd, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_mul_pd, _mm512_set1_pd,
    _mm512_setzero_pd, _mm512_storeu_pd,
};

use crate::{prefetch, Update, AHEAD, MR, NR};

/// # Safety
///
/// The CPU supports AVX-512F; `a` points to `k·MR` readable values, `b` to
/// `k·NR`, and `c` to `MR` rows of `NR` writable values, `rs` apart.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn tile(
    k: usize,
    a: *const f64,
    b: *const f64,
    up: Update,
    c: *mut f64,
    rs: usize,
) {
    let mut acc: [[__m512d; 2]; MR] = [[_mm512_setzero_pd(); 2]; MR];
    for p in 0..k {
        // A step reads 128 bytes of the right panel and 96 of the left.
        prefetch(b.wrapping_add((p + AHEAD) * NR));
        prefetch(b.wrapping_add((p + AHEAD) * NR + 8));
        prefetch(a.wrapping_add((p + AHEAD) * MR));
        prefetch(a.wrapping_add((p + AHEAD) * MR + 8));
        // SAFETY: p < k, so both reads lie inside the panels the caller
        // vouched for.
        let (b0, b1) = unsafe {
            let bp = b.add(p * NR);
            (_mm512_loadu_pd(bp), _mm512_loadu_pd(bp.add(8)))
        };
        // SAFETY: as above; `a` holds MR values per step.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR, inside step p of the left panel.
            let av = _mm512_set1_pd(unsafe { *ap.add(r) });
            row[0] = _mm512_fmadd_pd(av, b0, row[0]);
            row[1] = _mm512_fmadd_pd(av, b1, row[1]);
        }
    }
    store_tile!(
        acc,
        up,
        c,
        rs,
        8,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_set1_pd
    );
}

/// Calls `f` compiled for AVX-512F (see [`crate::wide`]).
///
/// # Safety
///
/// The CPU supports AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
    f()
}
