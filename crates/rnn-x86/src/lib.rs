//! The native GEMM micro-kernels of `rnn-core` for x86-64, chosen at run time
//! from what the CPU offers, so one binary runs on any x86-64 machine:
//!
//! | [`Isa`] | kernel |
//! |---|---|
//! | `Avx512` | one `MR × NR` = 12 × 16 tile in 24 zmm accumulators |
//! | `Avx2Fma` | the tile as four 6 × 8 quarters, 12 ymm accumulators each |
//! | `Scalar` | none here: the caller's portable loop |
//!
//! A float32 tile, [`tile_f32`], comes in the same two kernels with twice
//! the columns (`MR × NR32` = 12 × 32): the same registers hold twice the
//! lanes. It writes a plain row-major array, not `C`: its caller widens the
//! values to float64 and applies the update there.
//!
//! The packed layouts are `rnn-core`'s: a left panel holds `MR` values per
//! step `p` (`a[p·MR + r]`), a right panel `NR` (`b[p·NR + j]`). The kernel writes the
//! tile straight into a row-major destination (`C` itself), combining it with
//! what is there as an [`Update`] says, so no tile buffer sits between the
//! accumulators and `C`.
//!
//! This crate holds the `unsafe` that intrinsics need, so that `rnn-core`
//! itself stays free of it. Every public function is safe: it checks the
//! slice lengths and the CPU feature before entering the `unsafe` kernel.

#![cfg(target_arch = "x86_64")]

use std::sync::atomic::{AtomicU8, Ordering};

/// Writes a kernel's accumulators `acc` (rows of vectors of `lanes` values)
/// into rows `rs` apart from `c`, as `up` says (see [`Update`]; the rule is
/// `rnn-core`'s `gemm/update.rs`, operation for operation), with the
/// kernel's own load, store, add, multiply and broadcast intrinsics. There is
/// one loop per kind of update, each fully unrolled with the accumulators in
/// registers: a branch per row kept them in a stack array, zeroed by memset
/// on every tile. Expands to `unsafe` writes, for use inside a kernel whose
/// contract covers `acc.len()` rows of `lanes · row.len()` values at `c`.
macro_rules! store_tile {
    ($acc:ident, $up:expr, $c:expr, $rs:expr, $lanes:expr,
     $load:ident, $store:ident, $add:ident, $mul:ident, $set1:ident) => {{
        let (up, c, rs) = ($up, $c, $rs);
        let (alpha, beta) = ($set1(up.alpha), $set1(up.beta));
        if up.alpha == 1.0 && up.beta == 0.0 {
            each_row!($acc, c, rs, $lanes, $store, |v, p| v);
        } else if up.alpha == 1.0 && up.beta == 1.0 {
            each_row!($acc, c, rs, $lanes, $store, |v, p| $add($load(p), v));
        } else {
            each_row!($acc, c, rs, $lanes, $store, |v, p| {
                let v = if up.alpha == 1.0 { v } else { $mul(alpha, v) };
                if up.beta == 0.0 {
                    v
                } else if up.beta == 1.0 {
                    $add($load(p), v)
                } else {
                    $add($mul(beta, $load(p)), v)
                }
            });
        }
    }};
}

/// `store_tile!`'s loop over the rows and their vectors: `$new` computes a
/// vector's new value from the accumulator `$v` and its destination `$p`.
macro_rules! each_row {
    ($acc:ident, $c:ident, $rs:ident, $lanes:expr, $store:ident, |$v:ident, $p:ident| $new:expr) => {
        for (r, row) in $acc.iter().enumerate() {
            for (j, &$v) in row.iter().enumerate() {
                // SAFETY: row r of the destination, values `lanes·j` to
                // `lanes·(j + 1)` of it: inside what the kernel's contract
                // covers.
                unsafe {
                    let $p = $c.add(r * $rs + $lanes * j);
                    $store($p, $new);
                }
            }
        }
    };
}

/// [`store_tile!`] for an edge tile: only the first `rows` rows and `cols`
/// columns are written (and, with `β ≠ 0`, read), through the kernel's
/// masked load `$load(mask, p)` and store `$store(p, mask, v)`, where
/// `$mask(n)` selects a vector's first `n` lanes. The rule is the same,
/// operation for operation; the rows stop at `rows` and a row's vectors at
/// the last one holding a valid column. Expands to `unsafe` writes, for use
/// inside a kernel whose contract covers `rows` rows of `cols` values at `c`.
macro_rules! store_part {
    ($acc:ident, $up:expr, $c:expr, $rs:expr, $rows:expr, $cols:expr, $lanes:expr,
     $mask:ident, $load:ident, $store:ident, $add:ident, $mul:ident, $set1:ident) => {{
        let (up, c, rs, rows, cols) = ($up, $c, $rs, $rows, $cols);
        let (alpha, beta) = ($set1(up.alpha), $set1(up.beta));
        for (r, row) in $acc.iter().enumerate() {
            if r >= rows {
                break;
            }
            for (j, &v) in row.iter().enumerate() {
                let n = cols.saturating_sub($lanes * j).min($lanes);
                if n == 0 {
                    break;
                }
                let m = $mask(n);
                let v = if up.alpha == 1.0 { v } else { $mul(alpha, v) };
                // SAFETY: row r < rows of the destination, its lanes
                // `lanes·j` to `lanes·j + n` (n ≤ cols − lanes·j): inside
                // what the kernel's contract covers; the masked lanes are
                // neither read nor written.
                unsafe {
                    let p = c.add(r * rs + $lanes * j);
                    let v = if up.beta == 0.0 {
                        v
                    } else if up.beta == 1.0 {
                        $add($load(m, p), v)
                    } else {
                        $add($mul(beta, $load(m, p)), v)
                    };
                    $store(p, m, v);
                }
            }
        }
    }};
}

mod avx2;
mod avx2_f32;
mod avx512;
mod avx512_f32;

/// How many steps ahead of their reads the kernels prefetch their panels
/// into L1. The panels of a long `k` (769 steps at the L workload: 74 and
/// 98 KiB) do not fit in L1 and stream from L2 on every tile, which the
/// hardware prefetchers alone do not keep up with. Measured on the per-step
/// GEMMs of the L workload (2048 or 512 × 769 × 64), alternating builds:
/// 28–30 → 33–35 GFLOP/s; 8 to 24 steps ahead measured alike.
const AHEAD: usize = 12;

/// Asks for the cache line holding `p` in L1. A hint only: it never faults,
/// so `p` may lie past the end of a panel (and is formed with wrapping
/// arithmetic there, never dereferenced).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: prefetching reads no memory architecturally and cannot fault,
    // whatever the address.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
}

/// Rows of a tile.
pub const MR: usize = 12;
/// Columns of a tile.
pub const NR: usize = 16;
/// Columns of a float32 right panel: twice NR, so a float32 panel fits in a
/// float64 panel's space.
pub const NR32: usize = 2 * NR;

/// The instruction sets the kernels come in, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// No kernel here; the caller computes the tile itself.
    Scalar = 1,
    /// 256-bit vectors with fused multiply-add.
    Avx2Fma = 2,
    /// 512-bit vectors (AVX-512 Foundation, which includes FMA).
    Avx512 = 3,
}

impl Isa {
    /// Short name for reports: `avx512`, `avx2+fma` or `scalar`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Scalar => "scalar",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn supported(self) -> bool {
        match self {
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            Isa::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            Isa::Scalar => true,
        }
    }

    fn from_u8(v: u8) -> Option<Self> {
        match v {
            1 => Some(Isa::Scalar),
            2 => Some(Isa::Avx2Fma),
            3 => Some(Isa::Avx512),
            _ => None,
        }
    }
}

/// The chosen kernel (0: not chosen yet).
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// The environment variable that caps the kernel: `avx512`, `avx2` or
/// `scalar` (other values are ignored), so that every path can be tested
/// and compared on one machine.
pub const ISA_VAR: &str = "RNN_WASM_ISA";

/// The best kernel this CPU runs, not above [`ISA_VAR`] when that is set
/// (decided once), or the one set by [`limit`].
pub fn isa() -> Isa {
    if let Some(isa) = Isa::from_u8(CHOSEN.load(Ordering::Relaxed)) {
        return isa;
    }
    let cap = match std::env::var(ISA_VAR).as_deref() {
        Ok("avx2") => Isa::Avx2Fma,
        Ok("scalar") => Isa::Scalar,
        _ => Isa::Avx512,
    };
    limit(cap)
}

/// Uses at most `max` from now on (for tests and comparisons of the
/// kernels); the best supported kernel not above `max` is chosen.
pub fn limit(max: Isa) -> Isa {
    let best = [Isa::Avx512, Isa::Avx2Fma]
        .into_iter()
        .find(|&i| i <= max && i.supported())
        .unwrap_or(Isa::Scalar);
    CHOSEN.store(best as u8, Ordering::Relaxed);
    best
}

/// Runs `f` inside a function compiled for the widest vectors of [`isa`]
/// (AVX-512F, else AVX2, else SSE4.1), so that the element-wise loops inlined into it may
/// use them. Rust never fuses a multiply and an add unasked, and the vector
/// forms of `+ − × ÷`, comparisons and rounding are IEEE-exact, so `f`
/// computes the same bits either way; only its speed changes.
#[inline]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    match isa() {
        // SAFETY: `isa()` only returns an instruction set this CPU supports
        // (it is detected, or checked by `limit`).
        Isa::Avx512 => unsafe { avx512::run(f) },
        // SAFETY: as above.
        Isa::Avx2Fma => unsafe { avx2::run(f) },
        // SSE4.1 makes rounding (`f64::round_ties_even`, `floor`) one
        // instruction instead of a libm call per value.
        Isa::Scalar if std::arch::is_x86_feature_detected!("sse4.1") => {
            // SAFETY: the CPU supports SSE4.1 (detected just above).
            unsafe { run_sse41(f) }
        }
        Isa::Scalar => f(),
    }
}

/// Calls `f` compiled for SSE4.1 (see [`wide`]).
///
/// # Safety
///
/// The CPU supports SSE4.1.
#[target_feature(enable = "sse4.1")]
#[inline]
unsafe fn run_sse41<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// How a computed tile value `v` lands in its destination cell `c`:
/// `α·v + β·c`, where `β = 0` does not read `c` and `α = 1` does not scale.
/// The same IEEE operations as the plain expression, in the same order (a
/// multiply for each factor that is not 1, then one add), so that a tile
/// stored here has the bits of one stored by a scalar loop.
///
/// This is the one update type of the GEMM on x86-64: `rnn-core` passes it
/// through its loop nest and applies it to edge tiles with its own portable
/// store (`gemm/update.rs`, the rule written once for every value type);
/// the kernels' `store_tile!` is the same rule in intrinsics for whole tiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Update {
    /// Scales the computed tile.
    pub alpha: f64,
    /// Scales what the destination held.
    pub beta: f64,
}

impl Update {
    /// Overwrite the destination with the tile.
    pub const SET: Update = Update {
        alpha: 1.0,
        beta: 0.0,
    };
}

/// The tile `Σ_{p<k} a[p·MR + r] · b[p·NR + j]`, computed by `isa`'s kernel
/// and written through `up` into `dst[r·rs + j]` (`r < MR`, `j < NR`): the
/// tile lands straight in a row-major `C`, with no buffer in between. Returns
/// `false`, leaving `dst` untouched, when `isa` is `Scalar` or not supported
/// by this CPU, when a panel is shorter than `k` steps, or when `dst` does
/// not hold `MR` rows of `NR` values `rs ≥ NR` apart.
#[inline]
pub fn tile(
    isa: Isa,
    k: usize,
    a: &[f64],
    b: &[f64],
    up: Update,
    dst: &mut [f64],
    rs: usize,
) -> bool {
    let long_enough = k.checked_mul(MR).is_some_and(|n| n <= a.len())
        && k.checked_mul(NR).is_some_and(|n| n <= b.len());
    let dst_fits = rs >= NR
        && rs
            .checked_mul(MR - 1)
            .and_then(|n| n.checked_add(NR))
            .is_some_and(|n| n <= dst.len());
    // `isa` is any value a caller chose, so the CPU is asked (a cached
    // load inside std) before an instruction of it runs.
    if !long_enough || !dst_fits || !isa.supported() {
        return false;
    }
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), dst.as_mut_ptr());
    match isa {
        // SAFETY: the CPU supports AVX-512F, the panels hold at least `k`
        // steps and `dst` the MR rows of NR values `rs` apart (all checked
        // above).
        Isa::Avx512 => unsafe { avx512::tile(k, a, b, up, c, rs) },
        // SAFETY: as above, for AVX2 and FMA.
        Isa::Avx2Fma => unsafe { avx2::tile(k, a, b, up, c, rs) },
        Isa::Scalar => return false,
    }
    true
}

/// The first `rows` rows and `cols` columns of [`tile`]'s tile, written
/// through `up` into `dst[r·rs + j]` (`r < rows`, `j < cols`) and nothing
/// else of `dst` touched: an edge tile, stored straight into `C` with masked
/// vector stores. A right panel with few valid columns (the rest zero
/// padding) is read and computed only as far as those need: up to 8
/// columns take an `MR × 8` kernel on AVX-512, and AVX2 runs only the
/// 4-wide column groups that hold valid columns. Every value is the same
/// chain of fused multiply-adds, `p = 0, 1, ...`, as in [`tile`], so the
/// bits equal those of the whole tile's. Returns `false`, leaving `dst`
/// untouched, when [`tile`] would refuse, when `rows` or `cols` is 0 or
/// above `MR` or `NR`, or when `dst` does not hold `rows` rows of `cols`
/// values `rs ≥ cols` apart.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn tile_part(
    isa: Isa,
    k: usize,
    a: &[f64],
    b: &[f64],
    up: Update,
    dst: &mut [f64],
    rs: usize,
    rows: usize,
    cols: usize,
) -> bool {
    let shape = (1..=MR).contains(&rows) && (1..=NR).contains(&cols);
    let long_enough = k.checked_mul(MR).is_some_and(|n| n <= a.len())
        && k.checked_mul(NR).is_some_and(|n| n <= b.len());
    let dst_fits = shape
        && rs >= cols
        && rs
            .checked_mul(rows - 1)
            .and_then(|n| n.checked_add(cols))
            .is_some_and(|n| n <= dst.len());
    if !long_enough || !dst_fits || !isa.supported() {
        return false;
    }
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), dst.as_mut_ptr());
    match isa {
        // SAFETY: the CPU supports AVX-512F, the panels hold at least `k`
        // steps and `dst` the `rows` rows of `cols` values `rs` apart, with
        // 1 ≤ rows ≤ MR and 1 ≤ cols ≤ NR (all checked above).
        Isa::Avx512 => unsafe { avx512::part(k, a, b, up, c, rs, rows, cols) },
        // SAFETY: as above, for AVX2 and FMA.
        Isa::Avx2Fma => unsafe { avx2::part(k, a, b, up, c, rs, rows, cols) },
        Isa::Scalar => return false,
    }
    true
}

/// The float32 tile `out[r·NR32 + j] = Σ_{p<k} a[p·MR + r] · b[p·NR32 + j]`
/// (`r < MR`, `j < NR32`), computed by `isa`'s kernel: per value one chain
/// of float32 fused multiply-adds, `p = 0, 1, ...`, from 0, so the bits are
/// those of a scalar loop of `f32::mul_add`. `out` is a plain row-major
/// array that is overwritten (the caller widens it and applies α and β).
/// Returns `false`, leaving `out` untouched, when `isa` is `Scalar` or not
/// supported by this CPU, or when a panel is shorter than `k` steps
/// (`a`: `k·MR` values, `b`: `k·NR32`).
#[inline]
pub fn tile_f32(isa: Isa, k: usize, a: &[f32], b: &[f32], out: &mut [f32; MR * NR32]) -> bool {
    let long_enough = k.checked_mul(MR).is_some_and(|n| n <= a.len())
        && k.checked_mul(NR32).is_some_and(|n| n <= b.len());
    // As in `tile`: the CPU is asked before an instruction of `isa` runs.
    if !long_enough || !isa.supported() {
        return false;
    }
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    match isa {
        // SAFETY: the CPU supports AVX-512F, the panels hold at least `k`
        // steps (both checked above) and `out` its MR·NR32 values (by type).
        Isa::Avx512 => unsafe { avx512_f32::tile(k, a, b, c) },
        // SAFETY: as above, for AVX2 and FMA.
        Isa::Avx2Fma => unsafe { avx2_f32::tile(k, a, b, c) },
        Isa::Scalar => return false,
    }
    true
}
