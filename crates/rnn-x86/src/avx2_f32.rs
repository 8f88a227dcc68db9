//! The float32 12 × 32 tile in 256-bit registers, as four 6 × 16 quarters:
//! the float64 kernel's quarters (`avx2::tile`) with 8 lanes a vector
//! instead of 4. Each quarter keeps 12 ymm accumulators, 2 right-panel
//! vectors and 1 broadcast in the 16 registers AVX2 has, and sweeps its `k`
//! steps before the next quarter starts. Both panels are prefetched
//! [`AHEAD`] steps ahead (see there).

use core::arch::x86_64::{
    __m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

use crate::{prefetch, AHEAD, MR, NR32};

const QR: usize = MR / 2;
const QC: usize = NR32 / 2;
/// Lanes of a ymm register of float32.
const L: usize = 8;

/// # Safety
///
/// The CPU supports AVX2 and FMA; `a` points to `k·MR` readable values, `b`
/// to `k·NR32`, and `out` to `MR·NR32` writable values.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn tile(k: usize, a: *const f32, b: *const f32, out: *mut f32) {
    for r0 in [0, QR] {
        for c0 in [0, QC] {
            // SAFETY: the quarter's offsets stay inside a step's MR (NR32)
            // values and inside the output's MR rows of NR32 values; the
            // caller's contract covers the k steps.
            unsafe { quarter(k, a.add(r0), b.add(c0), out.add(r0 * NR32 + c0)) };
        }
    }
}

/// # Safety
///
/// As [`tile`], with `a`, `b` and `out` offset to the quarter: `QR` rows of
/// `QC` values.
#[target_feature(enable = "avx2,fma")]
unsafe fn quarter(k: usize, a: *const f32, b: *const f32, out: *mut f32) {
    let mut acc: [[__m256; 2]; QR] = [[_mm256_setzero_ps(); 2]; QR];
    for p in 0..k {
        // A quarter's step reads 64 bytes of the right panel and 24 of the
        // left (steps back to back, so each step's start reaches every
        // cache line of it).
        prefetch(b.wrapping_add((p + AHEAD) * NR32));
        prefetch(a.wrapping_add((p + AHEAD) * MR));
        // SAFETY: p < k and c0 + 16 ≤ NR32: inside step p of the right
        // panel.
        let (b0, b1) = unsafe {
            let bp = b.add(p * NR32);
            (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(L)))
        };
        // SAFETY: r0 + QR ≤ MR: inside step p of the left panel.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < QR, see above.
            let av = _mm256_set1_ps(unsafe { *ap.add(r) });
            row[0] = _mm256_fmadd_ps(av, b0, row[0]);
            row[1] = _mm256_fmadd_ps(av, b1, row[1]);
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            // SAFETY: row r < QR of the quarter, values `L·j` to
            // `L·(j + 1)` ≤ QC of it: inside the output's MR rows of NR32
            // values from the quarter's offset.
            unsafe { _mm256_storeu_ps(out.add(r * NR32 + L * j), v) };
        }
    }
}
