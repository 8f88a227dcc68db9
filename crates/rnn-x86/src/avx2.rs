//! The 12 × 16 tile in 256-bit registers, as four 6 × 8 quarters: each
//! quarter keeps 12 ymm accumulators, 2 right-panel vectors and 1 broadcast
//! in the 16 registers AVX2 has, and sweeps its `k` steps before the next
//! quarter starts. Both panels are prefetched [`AHEAD`] steps ahead (see
//! there).

use core::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd,
    _mm256_setzero_pd, _mm256_storeu_pd,
};

use crate::{prefetch, Update, AHEAD, MR, NR};

const QR: usize = MR / 2;
const QC: usize = NR / 2;

/// # Safety
///
/// The CPU supports AVX2 and FMA; `a` points to `k·MR` readable values, `b`
/// to `k·NR`, and `c` to `MR` rows of `NR` writable values, `rs` apart.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn tile(
    k: usize,
    a: *const f64,
    b: *const f64,
    up: Update,
    c: *mut f64,
    rs: usize,
) {
    for r0 in [0, QR] {
        for c0 in [0, QC] {
            // SAFETY: the quarter's offsets stay inside a step's MR (NR)
            // values and inside the destination's MR rows of NR values; the
            // caller's contract covers the k steps.
            unsafe { quarter(k, a.add(r0), b.add(c0), up, c.add(r0 * rs + c0), rs) };
        }
    }
}

/// # Safety
///
/// As [`tile`], with `a`, `b` and `c` offset to the quarter: `QR` rows of
/// `QC` values.
#[target_feature(enable = "avx2,fma")]
unsafe fn quarter(k: usize, a: *const f64, b: *const f64, up: Update, c: *mut f64, rs: usize) {
    let mut acc: [[__m256d; 2]; QR] = [[_mm256_setzero_pd(); 2]; QR];
    for p in 0..k {
        // A quarter's step reads 64 bytes of the right panel and 48 of the
        // left.
        prefetch(b.wrapping_add((p + AHEAD) * NR));
        prefetch(a.wrapping_add((p + AHEAD) * MR));
        // SAFETY: p < k and c0 + 8 ≤ NR: inside step p of the right panel.
        let (b0, b1) = unsafe {
            let bp = b.add(p * NR);
            (_mm256_loadu_pd(bp), _mm256_loadu_pd(bp.add(4)))
        };
        // SAFETY: r0 + QR ≤ MR: inside step p of the left panel.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < QR, see above.
            let av = _mm256_set1_pd(unsafe { *ap.add(r) });
            row[0] = _mm256_fmadd_pd(av, b0, row[0]);
            row[1] = _mm256_fmadd_pd(av, b1, row[1]);
        }
    }
    store_tile!(
        acc,
        up,
        c,
        rs,
        4,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_add_pd,
        _mm256_mul_pd,
        _mm256_set1_pd
    );
}

/// Calls `f` compiled for AVX2 and FMA (see [`crate::wide`]).
///
/// # Safety
///
/// The CPU supports AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(crate) unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
    f()
}
