//! The 12 × 16 tile in 256-bit registers, as four 6 × 8 quarters: each
//! quarter keeps 12 ymm accumulators, 2 right-panel vectors and 1 broadcast
//! in the 16 registers AVX2 has, and sweeps its `k` steps before the next
//! quarter starts. Both panels are prefetched [`AHEAD`] steps ahead (see
//! there).

use core::arch::x86_64::{
    __m256d, __m256i, _mm256_add_pd, _mm256_cmpgt_epi64, _mm256_fmadd_pd, _mm256_loadu_pd,
    _mm256_maskload_pd, _mm256_maskstore_pd, _mm256_mul_pd, _mm256_set1_epi64x, _mm256_set1_pd,
    _mm256_setr_epi64x, _mm256_setzero_pd, _mm256_storeu_pd,
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

/// An edge tile (see [`crate::tile_part`]), computed only over the 4-wide
/// column groups that hold valid columns: each pair of groups as the 6 × 8
/// quarters of [`tile`] (only those holding valid rows), a last single group
/// as one 12 × 4 block (12 ymm accumulators, one per row). A right panel
/// with 4 valid columns is then read and computed a quarter as far as by
/// the whole tile, with 8 a half, with 12 three quarters.
///
/// # Safety
///
/// The CPU supports AVX2 and FMA; `a` points to `k·MR` readable values, `b`
/// to `k·NR`, and `c` to `rows` rows of `cols` writable values, `rs` apart,
/// with `1 ≤ rows ≤ MR` and `1 ≤ cols ≤ NR`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn part(
    k: usize,
    a: *const f64,
    b: *const f64,
    up: Update,
    c: *mut f64,
    rs: usize,
    rows: usize,
    cols: usize,
) {
    let mut c0 = 0;
    while cols - c0 > 4 {
        for r0 in [0, QR] {
            if r0 < rows {
                let (n_r, n_c) = ((rows - r0).min(QR), (cols - c0).min(QC));
                // SAFETY: the block's offsets stay inside a step's MR (NR)
                // values (r0 + QR ≤ MR, c0 + QC ≤ NR) and its `n_r` rows of
                // `n_c` values inside the destination's `rows` of `cols`;
                // the caller's contract covers the k steps.
                unsafe {
                    block::<QR, 2>(
                        k,
                        a.add(r0),
                        b.add(c0),
                        up,
                        c.add(r0 * rs + c0),
                        rs,
                        n_r,
                        n_c,
                    )
                };
            }
        }
        c0 += QC;
        if c0 >= cols {
            return;
        }
    }
    // SAFETY: 0 < cols − c0 ≤ 4 and c0 + 4 ≤ NR; as above for the rest.
    unsafe { block::<MR, 1>(k, a, b.add(c0), up, c.add(c0), rs, rows, cols - c0) };
}

/// `R` rows of `4·V` columns of a tile (`R·V = 12` accumulators), of which
/// the first `rows` rows and `cols` columns are stored: the loop of
/// [`quarter`], each value the same chain of fused multiply-adds.
///
/// # Safety
///
/// As [`part`], with `a`, `b` and `c` offset to the block, `R` rows of the
/// left panel and `4·V` columns of the right one inside a step from there,
/// `1 ≤ rows ≤ R` and `1 ≤ cols ≤ 4·V`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn block<const R: usize, const V: usize>(
    k: usize,
    a: *const f64,
    b: *const f64,
    up: Update,
    c: *mut f64,
    rs: usize,
    rows: usize,
    cols: usize,
) {
    let mut acc: [[__m256d; V]; R] = [[_mm256_setzero_pd(); V]; R];
    for p in 0..k {
        prefetch(b.wrapping_add((p + AHEAD) * NR));
        for r in (0..R).step_by(8) {
            prefetch(a.wrapping_add((p + AHEAD) * MR + r));
        }
        let mut bv = [_mm256_setzero_pd(); V];
        for (j, v) in bv.iter_mut().enumerate() {
            // SAFETY: p < k and 4·j + 4 ≤ 4·V: inside step p of the right
            // panel, from the block's offset.
            *v = unsafe { _mm256_loadu_pd(b.add(p * NR + 4 * j)) };
        }
        // SAFETY: R rows from the block's offset: inside step p of the left
        // panel.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < R, see above.
            let av = _mm256_set1_pd(unsafe { *ap.add(r) });
            for (x, &bj) in row.iter_mut().zip(&bv) {
                *x = _mm256_fmadd_pd(av, bj, *x);
            }
        }
    }
    store_part!(
        acc,
        up,
        c,
        rs,
        rows,
        cols,
        4,
        mask,
        load_masked,
        store_masked,
        _mm256_add_pd,
        _mm256_mul_pd,
        _mm256_set1_pd
    );
}

/// The first `n ≤ 4` lanes (all bits set in each).
#[target_feature(enable = "avx2")]
#[inline]
fn mask(n: usize) -> __m256i {
    _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3))
}

/// The lanes of `m` read from `p`, the others 0 (and not read).
///
/// # Safety
///
/// The CPU supports AVX2; `p` points to as many readable values as the
/// highest lane of `m` needs.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn load_masked(m: __m256i, p: *const f64) -> __m256d {
    // SAFETY: the caller's contract; masked lanes do not fault.
    unsafe { _mm256_maskload_pd(p, m) }
}

/// The lanes of `m` of `v` written to `p`, the others left alone.
///
/// # Safety
///
/// The CPU supports AVX2; `p` points to as many writable values as the
/// highest lane of `m` needs.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn store_masked(p: *mut f64, m: __m256i, v: __m256d) {
    // SAFETY: the caller's contract; masked lanes are not written.
    unsafe { _mm256_maskstore_pd(p, m, v) }
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
