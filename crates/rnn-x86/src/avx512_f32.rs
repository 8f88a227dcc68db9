//! The float32 12 × 32 tile in 512-bit registers: the float64 kernel's
//! loop (`avx512::tile`) with 16 lanes a vector instead of 8, so the same
//! 24 zmm accumulators hold twice the columns. Per step, two loads of the
//! right panel and twelve broadcasts of the left one feed 24 fused
//! multiply-adds. Both panels are prefetched [`AHEAD`] steps ahead (see
//! there).

use core::arch::x86_64::{
    __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use crate::{prefetch, AHEAD, MR, NR32};

/// Lanes of a zmm register of float32.
const L: usize = 16;

/// # Safety
///
/// The CPU supports AVX-512F; `a` points to `k·MR` readable values, `b` to
/// `k·NR32`, and `out` to `MR·NR32` writable values.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn tile(k: usize, a: *const f32, b: *const f32, out: *mut f32) {
    let mut acc: [[__m512; 2]; MR] = [[_mm512_setzero_ps(); 2]; MR];
    for p in 0..k {
        // A step reads 128 bytes of the right panel and 48 of the left:
        // steps lie back to back, so prefetching each step's start reaches
        // every cache line of the left panel.
        prefetch(b.wrapping_add((p + AHEAD) * NR32));
        prefetch(b.wrapping_add((p + AHEAD) * NR32 + L));
        prefetch(a.wrapping_add((p + AHEAD) * MR));
        // SAFETY: p < k, so both reads lie inside the panels the caller
        // vouched for.
        let (b0, b1) = unsafe {
            let bp = b.add(p * NR32);
            (_mm512_loadu_ps(bp), _mm512_loadu_ps(bp.add(L)))
        };
        // SAFETY: as above; `a` holds MR values per step.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR, inside step p of the left panel.
            let av = _mm512_set1_ps(unsafe { *ap.add(r) });
            row[0] = _mm512_fmadd_ps(av, b0, row[0]);
            row[1] = _mm512_fmadd_ps(av, b1, row[1]);
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            // SAFETY: row r < MR of the output, values `L·j` to `L·(j + 1)`
            // ≤ NR32 of it: inside the caller's `MR·NR32` values.
            unsafe { _mm512_storeu_ps(out.add(r * NR32 + L * j), v) };
        }
    }
}
