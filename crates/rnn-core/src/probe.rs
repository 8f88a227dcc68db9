//! Measurement and self-check helpers for the built module, not part of the
//! numeric API: a register-only SIMD loop that measures the machine's
//! multiply-add throughput (the roofline the GEMM is judged against), a
//! packed-GEMM driver to time, and a comparison of the packed GEMM with the
//! reference loops that a host can run inside the wasm build itself.

use crate::gemm::{gemm, gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs, Precision};
use crate::simd::F64x2;
use crate::KernelError;

/// Independent accumulator chains in [`roofline`]: enough to cover the
/// add and multiply latencies on two ports.
const CHAINS: usize = 12;

/// FLOPs one iteration of [`roofline`] performs (a two-lane multiply and a
/// two-lane add per chain).
pub const ROOFLINE_FLOPS_PER_ITER: usize = 4 * CHAINS;

/// Runs `iters` iterations of `acc ← acc·s + t` on [`CHAINS`] two-lane
/// accumulators held in registers, and returns their sum (so the work cannot
/// be optimised away). With no loads or stores this is the best multiply +
/// add throughput SIMD128 code can reach.
pub fn roofline(iters: u32, seed: f64) -> f64 {
    let s = F64x2::splat(seed);
    let t = F64x2::splat(1.0 - seed);
    let mut acc = [F64x2::zero(); CHAINS];
    for (i, a) in acc.iter_mut().enumerate() {
        *a = F64x2::splat(i as f64 * 1e-3);
    }
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = a.mul(s).add(t);
        }
    }
    let total = acc.iter().fold(F64x2::zero(), |x, &a| x.add(a));
    total.lane(0) + total.lane(1)
}

fn fill(seed: u64, out: &mut [f64]) {
    let mut state = seed;
    for v in out {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        *v = (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    }
}

fn sizes(parts: &[usize]) -> Option<[usize; 8]> {
    let mut out = [0; 8];
    let mut total = 0usize;
    for (o, &p) in out.iter_mut().zip(parts) {
        *o = p;
        total = total.checked_add(p)?;
    }
    out[7] = total;
    Some(out)
}

/// Buffer elements [`gemm_bench`] needs for `C (m × n) = A (m × k)·B (k × n)`.
pub fn gemm_bench_len(m: usize, n: usize, k: usize) -> Option<usize> {
    Some(
        sizes(&[
            m.checked_mul(k)?,
            k.checked_mul(n)?,
            m.checked_mul(n)?,
            PackedLhs::len_for(m, k)?,
            PackedRhs::len_for(k, n)?,
        ])?[7],
    )
}

/// Packs a random `A` once (unless `prepared`: `buf` then holds what an
/// earlier call with the same sizes left), then `iters` times packs a random
/// `B` and runs `C ← A·B`, the way a sequence kernel treats a weight and a
/// per-step operand. Returns a checksum of `C`.
pub fn gemm_bench(
    m: usize,
    n: usize,
    k: usize,
    iters: u32,
    prepared: bool,
    buf: &mut [f64],
) -> Result<f64, KernelError> {
    let need = gemm_bench_len(m, n, k);
    crate::expect_workspace(buf.len(), need)?;
    let (a, rest) = buf.split_at_mut(m * k);
    let (b, rest) = rest.split_at_mut(k * n);
    let (c, rest) = rest.split_at_mut(m * n);
    let (pa, pb) = rest.split_at_mut(PackedLhs::len_for(m, k).unwrap_or(0));
    if !prepared {
        fill(1, a);
        fill(2, b);
        let mut lhs = PackedLhs::new(&mut pa[..], m, k)?;
        lhs.pack(0, 0, MatRef::row_major(a, m, k)?)?;
    }
    // The weight is packed already: this only re-wraps it.
    let lhs = PackedLhs::wrap(Precision::F64, pa, m, k)?;
    for _ in 0..iters {
        let mut rhs = PackedRhs::new(pb, k, n)?;
        rhs.pack(0, 0, MatRef::row_major(b, k, n)?)?;
        gemm_packed(1.0, &lhs, &rhs, 0.0, MatMut::row_major(c, m, n)?)?;
    }
    Ok(c.iter().sum())
}

/// Buffer elements [`gemm_check`] needs.
pub fn gemm_check_len(m: usize, n: usize, k: usize) -> Option<usize> {
    let (mp, np, kp) = (m.checked_add(1)?, n.checked_add(1)?, k.checked_add(1)?);
    Some(
        sizes(&[
            mp.checked_mul(kp)?,
            kp.checked_mul(np)?,
            mp.checked_mul(np)?,
            mp.checked_mul(np)?,
            PackedLhs::len_for(m, k)?,
            PackedRhs::len_for(k, n)?,
        ])?[7],
    )
}

/// Computes `C ← α·A·B + β·C` with the packed path and with the reference
/// loops on random data and returns how far apart they are: the largest
/// difference relative to the largest reference magnitude, or `+∞` when NaN
/// appears in different places, when the packed path read a `β = 0` output
/// (poisoned with NaN) or when it wrote outside the view.
///
/// Bit `i` of `layout` stores operand `i` (A, B, C) column-major instead of
/// row-major; every leading dimension is padded by one element.
#[allow(clippy::too_many_arguments)]
pub fn gemm_check(
    m: usize,
    n: usize,
    k: usize,
    layout: u32,
    alpha: f64,
    beta: f64,
    seed: u64,
    buf: &mut [f64],
) -> Result<f64, KernelError> {
    crate::expect_workspace(buf.len(), gemm_check_len(m, n, k))?;
    let (mp, np, kp) = (m + 1, n + 1, k + 1);
    let (a, rest) = buf.split_at_mut(mp * kp);
    let (b, rest) = rest.split_at_mut(kp * np);
    let (c_ref, rest) = rest.split_at_mut(mp * np);
    let (c_fast, rest) = rest.split_at_mut(mp * np);
    let (pa, pb) = rest.split_at_mut(PackedLhs::len_for(m, k).unwrap_or(0));
    fill(seed, a);
    fill(seed ^ 0x5555, b);
    fill(seed ^ 0xAAAA, c_ref);
    if beta == 0.0 {
        c_ref.fill(f64::NAN);
    }
    c_fast.copy_from_slice(c_ref);
    // (rows, cols, rs, cs) with one spare element per leading dimension.
    let strides = |rows: usize, cols: usize, col_major: bool| {
        if col_major {
            (1, rows + 1)
        } else {
            (cols + 1, 1)
        }
    };
    let (ars, acs) = strides(m, k, layout & 1 != 0);
    let (brs, bcs) = strides(k, n, layout & 2 != 0);
    let (crs, ccs) = strides(m, n, layout & 4 != 0);
    let a = MatRef::new(a, m, k, ars, acs)?;
    let b = MatRef::new(b, k, n, brs, bcs)?;
    gemm(alpha, a, b, beta, MatMut::new(c_ref, m, n, crs, ccs)?)?;
    let mut lhs = PackedLhs::new(pa, m, k)?;
    lhs.pack(0, 0, a)?;
    let mut rhs = PackedRhs::new(pb, k, n)?;
    rhs.pack(0, 0, b)?;
    gemm_packed(
        alpha,
        &lhs,
        &rhs,
        beta,
        MatMut::new(c_fast, m, n, crs, ccs)?,
    )?;
    let scale = c_ref
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let mut worst = 0.0f64;
    for (&want, &got) in c_ref.iter().zip(c_fast.iter()) {
        if want.is_nan() || got.is_nan() {
            if want.is_nan() != got.is_nan() {
                return Ok(f64::INFINITY);
            }
            continue;
        }
        if want.is_infinite() || got.is_infinite() {
            if want != got {
                return Ok(f64::INFINITY);
            }
            continue;
        }
        worst = worst.max((want - got).abs() / scale);
    }
    Ok(worst)
}
