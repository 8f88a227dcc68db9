//! The loop nest around the micro-kernel, over packed operands.
//!
//! ```text
//! for each k block   (at most KC steps)
//!   for each row block of A   (≈ MC_BYTES of packed A: stays in L2)
//!     for each right panel    (k block × NR: stays in L1)
//!       for each left panel in the row block
//!         C tile ← α·(micro-kernel tile) + β·C tile
//! ```
//!
//! Later k blocks add to what the earlier ones stored (their `β` is 1).
//! Native builds may run the row blocks on several threads.

use super::kernel_f32::{self, Tile32, NR32};
use super::micro::{self, MR, NR};
use super::pack::{Elem, PackedLhs, PackedRhs, Panels};
use super::update::Update;
use super::MatMut;
use crate::KernelError;

/// Longest k block. Splitting k costs one more pass over `C` per block;
/// measured, the recurrent GEMMs (k up to `n_a + n_x + 1` = 769 at the L
/// workload) run faster unsplit than in 256-long blocks, in wasm (4-wide
/// right panels) and natively (16-wide panels, 128 KiB at this length: they
/// stream from L2, which feeds the 2 loads per 24 FMAs of the AVX-512 tile).
const KC: usize = 1024;

/// Target bytes of the left-operand block reused across all right panels.
const MC_BYTES: usize = 256 * 1024;

/// The k block and left-block bytes for a right operand of `b_panels` panels,
/// `k` long. A row block streams the whole right operand once; while a k
/// block of it fits in L2 that is cheap, but the weight-gradient GEMMs have
/// wide right operands (770 columns at L: 5.6 MiB per 1024-long block),
/// which then stream from L3 once per row block of only 2 left panels.
/// There, natively, shorter k blocks and a 3× larger left block reuse each
/// right panel across ~25 left panels instead. Measured in one process,
/// alternating (2048 × 1024 × 770, the L weight gradients): 19.6–22.7 →
/// 24.9–33.1 GFLOP/s; a 1.3 MiB operand (the M weight gradients) ran ~10 %
/// slower that way, so the switch sits at 2 MiB.
fn blocking(k: usize, b_panels: usize) -> (usize, usize) {
    // Bytes per step of a right panel: the same in both precisions.
    #[cfg(not(target_arch = "wasm32"))]
    if 8 * KC.min(k) * NR * b_panels > 2 << 20 {
        return (384, 3 * MC_BYTES);
    }
    let _ = (k, b_panels); // used natively only
    (KC, MC_BYTES)
}

/// `C ← α·A·B + β·C` for packed `A` (`m × k`) and `B` (`k × n`) and
/// `C: m × n`.
///
/// `β = 0` overwrites `C` without reading it; no product is skipped because a
/// factor is zero. Within a k block each element is summed in order, as in
/// [`super::gemm`]; `k` longer than `KC` is split into equal blocks whose
/// partial sums are added in order. Native builds may split the rows of `C`
/// among threads (see `crate::threads`); each element is computed the same way
/// whatever the thread count.
pub fn gemm_packed(
    alpha: f64,
    a: &PackedLhs<'_>,
    b: &PackedRhs<'_>,
    beta: f64,
    c: MatMut<'_>,
) -> Result<(), KernelError> {
    if a.rows() != c.rows {
        return Err(KernelError::Length {
            arg: "A rows",
            expected: c.rows,
            actual: a.rows(),
        });
    }
    if b.cols() != c.cols {
        return Err(KernelError::Length {
            arg: "B cols",
            expected: c.cols,
            actual: b.cols(),
        });
    }
    if a.k() != b.k() {
        return Err(KernelError::Length {
            arg: "B rows",
            expected: a.k(),
            actual: b.k(),
        });
    }
    if c.rows == 0 || c.cols == 0 {
        return Ok(());
    }
    match (a.data(), b.data()) {
        (Panels::F64(ad), Panels::F64(bd)) => run::<f64>(alpha, ad, bd, a.k(), beta, c),
        (Panels::F32(ad), Panels::F32(bd)) => run::<f32>(alpha, ad, bd, a.k(), beta, c),
        // Operands packed in different precisions: a caller's mistake.
        (ad, _) => {
            return Err(KernelError::Value {
                arg: "B precision (0 float64, 1 float32: A's)",
                value: usize::from(matches!(ad, Panels::F64(_))),
                max: usize::from(matches!(ad, Panels::F32(_))),
            })
        }
    }
    Ok(())
}

/// An element type with its micro-kernel.
trait Kernel: Elem + Sync {
    /// Columns of a right panel.
    const NR: usize;
    /// What the micro-kernel needs besides the panels, once per sweep.
    type Scratch;
    /// A fresh scratch.
    fn scratch() -> Self::Scratch;
    /// `C ← α·tile + β·C` at `(i0, j0)`: the micro-kernel and its store.
    #[allow(clippy::too_many_arguments)]
    fn tile_store(
        k: usize,
        a: &[Self],
        b: &[Self],
        up: Update,
        c: &mut MatMut<'_>,
        i0: usize,
        j0: usize,
        s: &mut Self::Scratch,
    );
}

impl Kernel for f64 {
    const NR: usize = NR;
    type Scratch = ();
    fn scratch() {}
    #[inline(always)]
    fn tile_store(
        k: usize,
        a: &[f64],
        b: &[f64],
        up: Update,
        c: &mut MatMut<'_>,
        i0: usize,
        j0: usize,
        _: &mut (),
    ) {
        micro::tile_store(k, a, b, up, c, i0, j0);
    }
}

impl Kernel for f32 {
    const NR: usize = NR32;
    type Scratch = Tile32;
    fn scratch() -> Tile32 {
        [0.0; MR * NR32]
    }
    #[inline(always)]
    fn tile_store(
        k: usize,
        a: &[f32],
        b: &[f32],
        up: Update,
        c: &mut MatMut<'_>,
        i0: usize,
        j0: usize,
        t: &mut Tile32,
    ) {
        kernel_f32::tile_store_f32(k, a, b, up, c, i0, j0, t);
    }
}

/// The operands' panels: `a` in panels of `MR` rows, `b` of `T::NR`
/// columns, both `k` long.
#[derive(Clone, Copy)]
struct Operands<'p, T> {
    a: &'p [T],
    b: &'p [T],
    k: usize,
}

impl<T: Kernel> Operands<'_, T> {
    fn a_panel(&self, ip: usize) -> &[T] {
        &self.a[ip * MR * self.k..(ip + 1) * MR * self.k]
    }

    fn b_panel(&self, jp: usize) -> &[T] {
        &self.b[jp * T::NR * self.k..(jp + 1) * T::NR * self.k]
    }
}

/// [`gemm_packed`] for checked operands, on one thread or several.
fn run<T: Kernel>(alpha: f64, a: &[T], b: &[T], k: usize, beta: f64, c: MatMut<'_>) {
    let ops = Operands { a, b, k };
    let panels = c.rows.div_ceil(MR);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let fmas = c.rows.saturating_mul(c.cols).saturating_mul(k);
        let threads = crate::threads::for_work(fmas, panels);
        if threads > 1 {
            split_among(threads, alpha, ops, beta, c);
            return;
        }
    }
    sweep(alpha, ops, beta, c, 0, panels);
}

/// Runs [`sweep`] on `threads` threads sharing pieces of contiguous row
/// panels and the rows of `C` they cover (one piece when `C`'s rows are not
/// apart in memory).
#[cfg(not(target_arch = "wasm32"))]
fn split_among<T: Kernel>(
    threads: usize,
    alpha: f64,
    ops: Operands<'_, T>,
    beta: f64,
    c: MatMut<'_>,
) {
    let panels = c.rows.div_ceil(MR);
    let per = crate::threads::piece_len(panels, threads, 1);
    // The rows not yet handed out, and the panel they start at.
    let (mut rest, mut p0) = (Some(c), 0);
    let pieces = std::iter::from_fn(move || {
        let whole = rest.take()?;
        let start = p0;
        let split = if start + per < panels {
            whole.split_rows(per * MR)
        } else {
            Err(whole)
        };
        let (piece, end) = match split {
            Ok((piece, tail)) => {
                rest = Some(tail);
                (piece, start + per)
            }
            Err(whole) => (whole, panels),
        };
        p0 = end;
        Some((piece, start, end))
    });
    crate::threads::share_pieces(threads, pieces, |(piece, p0, p1)| {
        sweep(alpha, ops, beta, piece, p0, p1)
    });
}

/// `C ← α·A·B + β·C` for row panels `p0..p1` of `A`; row 0 of `c` is the
/// first row of panel `p0`.
fn sweep<T: Kernel>(
    alpha: f64,
    ops: Operands<'_, T>,
    beta: f64,
    mut c: MatMut<'_>,
    p0: usize,
    p1: usize,
) {
    let mut scratch = T::scratch();
    let k = ops.k;
    let b_panels = c.cols.div_ceil(T::NR);
    let (kc_max, mc_bytes) = blocking(k, b_panels);
    let k_blocks = k.div_ceil(kc_max).max(1);
    let kc = k.div_ceil(k_blocks).max(1);
    let panels_per_block = (mc_bytes / (core::mem::size_of::<T>() * MR * kc)).max(1);
    let mut k0 = 0;
    loop {
        let len = kc.min(k - k0);
        let up = Update {
            alpha,
            beta: if k0 == 0 { beta } else { 1.0 },
        };
        for ib in (p0..p1).step_by(panels_per_block) {
            for jp in 0..b_panels {
                let bp = &ops.b_panel(jp)[k0 * T::NR..];
                for ip in ib..p1.min(ib + panels_per_block) {
                    let ap = &ops.a_panel(ip)[k0 * MR..];
                    let (i0, j0) = ((ip - p0) * MR, jp * T::NR);
                    T::tile_store(len, ap, bp, up, &mut c, i0, j0, &mut scratch);
                }
            }
        }
        k0 += len;
        if k0 >= k {
            break;
        }
    }
}
