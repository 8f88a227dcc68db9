//! The 12 × 16 tile in 512-bit registers: per step, two loads of the right
//! panel and twelve broadcasts of the left one feed 24 fused multiply-adds
//! into 24 accumulators (of 32 zmm registers), enough independent chains to
//! cover the FMA latency on two ports. Both panels are prefetched
//! [`AHEAD`] steps ahead (see there).

use core::arch::x86_64::{
    __m512d, __mmask8, _mm512_add_pd, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_mask_storeu_pd,
    _mm512_maskz_loadu_pd, _mm512_mul_pd, _mm512_set1_pd, _mm512_setzero_pd, _mm512_storeu_pd,
};

use crate::{avx2, prefetch, Update, AHEAD, MR, NR};

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

/// An edge tile (see [`crate::tile_part`]), computed over the 4-wide column
/// groups holding valid columns: up to 4 columns as one 12 × 4 block of ymm
/// accumulators (`avx2::block`), up to 8 in the 12 × 8 kernel below, up to
/// 12 as both side by side, more in the whole 12 × 16 one. Each reads only
/// its columns of each step of the right panel. Where a 512-bit operation
/// costs two 256-bit ones (AMD Zen 4), the 12 × 4 block does half the work
/// of the 12 × 8 kernel; elsewhere the same number of instructions.
///
/// # Safety
///
/// The CPU supports AVX-512F; `a` points to `k·MR` readable values, `b` to
/// `k·NR`, and `c` to `rows` rows of `cols` writable values, `rs` apart, with
/// `1 ≤ rows ≤ MR` and `1 ≤ cols ≤ NR`.
#[target_feature(enable = "avx512f")]
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
    // In every arm: the caller's contract, passed on, with each block's
    // columns (`c0 + 4·V ≤ NR` from its offset, `cols − c0 ≤ 4·V` stored)
    // inside a step of the right panel and the destination's `cols`.
    // AVX-512F implies AVX2 and FMA (as rustc's `target_feature`
    // implications declare), so `avx2::block` runs.
    match cols.div_ceil(4) {
        // SAFETY: see above; cols ≤ 4.
        1 => unsafe { avx2::block::<MR, 1>(k, a, b, up, c, rs, rows, cols) },
        // SAFETY: see above; cols ≤ 8.
        2 => unsafe { part_of::<1>(k, a, b, up, c, rs, rows, cols) },
        // SAFETY: see above; 8 < cols ≤ 12: columns 0..8, then 8..cols.
        3 => unsafe {
            part_of::<1>(k, a, b, up, c, rs, rows, 8);
            avx2::block::<MR, 1>(k, a, b.add(8), up, c.add(8), rs, rows, cols - 8);
        },
        // SAFETY: see above; cols ≤ 16.
        _ => unsafe { part_of::<2>(k, a, b, up, c, rs, rows, cols) },
    }
}

/// [`part`] with `V` vectors of 8 columns per row (`cols ≤ 8·V`): the loop
/// of [`tile`] over the first `8·V` columns of each step, each value the
/// same chain of fused multiply-adds.
///
/// # Safety
///
/// As [`part`], with `1 ≤ V ≤ 2` and `cols ≤ 8·V`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn part_of<const V: usize>(
    k: usize,
    a: *const f64,
    b: *const f64,
    up: Update,
    c: *mut f64,
    rs: usize,
    rows: usize,
    cols: usize,
) {
    let mut acc: [[__m512d; V]; MR] = [[_mm512_setzero_pd(); V]; MR];
    for p in 0..k {
        for j in 0..V {
            prefetch(b.wrapping_add((p + AHEAD) * NR + 8 * j));
        }
        prefetch(a.wrapping_add((p + AHEAD) * MR));
        prefetch(a.wrapping_add((p + AHEAD) * MR + 8));
        let mut bv = [_mm512_setzero_pd(); V];
        for (j, v) in bv.iter_mut().enumerate() {
            // SAFETY: p < k and 8·j + 8 ≤ NR: inside step p of the right
            // panel.
            *v = unsafe { _mm512_loadu_pd(b.add(p * NR + 8 * j)) };
        }
        // SAFETY: as above; `a` holds MR values per step.
        let ap = unsafe { a.add(p * MR) };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR, inside step p of the left panel.
            let av = _mm512_set1_pd(unsafe { *ap.add(r) });
            for (x, &bj) in row.iter_mut().zip(&bv) {
                *x = _mm512_fmadd_pd(av, bj, *x);
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
        8,
        mask,
        load_masked,
        store_masked,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_set1_pd
    );
}

/// The first `n ≤ 8` lanes.
#[inline(always)]
fn mask(n: usize) -> __mmask8 {
    (((1u16 << n) - 1) & 0xff) as __mmask8
}

/// The lanes of `m` read from `p`, the others 0 (and not read).
///
/// # Safety
///
/// The CPU supports AVX-512F; `p` points to as many readable values as the
/// highest lane of `m` needs.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn load_masked(m: __mmask8, p: *const f64) -> __m512d {
    // SAFETY: the caller's contract; masked lanes do not fault.
    unsafe { _mm512_maskz_loadu_pd(m, p) }
}

/// The lanes of `m` of `v` written to `p`, the others left alone.
///
/// # Safety
///
/// The CPU supports AVX-512F; `p` points to as many writable values as the
/// highest lane of `m` needs.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn store_masked(p: *mut f64, m: __mmask8, v: __m512d) {
    // SAFETY: the caller's contract; masked lanes are not written.
    unsafe { _mm512_mask_storeu_pd(p, m, v) }
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
