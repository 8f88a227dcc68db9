//! Packed operands: the layouts the micro-kernel streams through.
//!
//! A packed left operand (`m × k`) is cut into panels of [`MR`] rows; panel
//! `ip` stores its `MR·k` elements column after column, so the kernel reads
//! the `MR` values it needs for step `p` from one contiguous run. A packed
//! right operand (`k × n`) is cut into panels of [`NR`] columns stored row
//! after row, so step `p` is [`NR`] contiguous values, loaded as whole
//! vectors (two lanes in wasm, four or eight natively). Rows (columns) past the end of the last panel are zero; the kernel
//! computes them like any other and the store leaves them out.
//!
//! An operand may be assembled from several views, each filling a range of
//! `k` (and of rows or columns): `[W_a | W_x | b]` for the fused gate weight,
//! `[a_prev; x_t; 1]` for a step's input, or a run of time steps for the
//! weight gradients, whose `k` is `T·m`.
//!
//! Panels hold float64 values or, for the float32 kernels, float32 ones
//! ([`Precision`]): packing rounds each value to float32 once, and the
//! float32 micro-kernel multiplies and sums in float32. A float32 right panel
//! is twice as wide ([`NR32`] columns: the same bytes per step), so a float32
//! operand never needs more bytes than the float64 one and fits in the same
//! buffer, which stays a float64 slice at every caller.

use super::MatRef;
use super::{MR, NR, NR32};
use crate::KernelError;

/// What the packed panels hold and the micro-kernel computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Float64 values, float64 products and sums.
    F64,
    /// Values rounded to float32, float32 products and sums (each tile is
    /// widened to float64 when it is stored into `C`).
    F32,
}

/// An element of packed panels.
pub(crate) trait Elem: Copy + 'static {
    /// `v` in this type (rounded to nearest for float32).
    fn from_f64(v: f64) -> Self;
    /// Zero.
    const ZERO: Self;
}

impl Elem for f64 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    const ZERO: Self = 0.0;
}

impl Elem for f32 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    const ZERO: Self = 0.0;
}

/// Packed panels of either precision.
#[derive(Debug)]
pub(crate) enum Panels<'a> {
    F64(&'a mut [f64]),
    F32(&'a mut [f32]),
}

impl<'a> Panels<'a> {
    /// The first `len` elements of `buf` (a float64 buffer, viewed as twice
    /// as many float32 values for [`Precision::F32`]).
    fn carve(buf: &'a mut [f64], prec: Precision, len: usize) -> Result<Self, KernelError> {
        match prec {
            Precision::F64 => {
                let have = buf.len();
                let data = buf
                    .get_mut(..len)
                    .ok_or_else(|| too_short(have, Some(len)))?;
                Ok(Panels::F64(data))
            }
            Precision::F32 => {
                let all: &mut [f32] = bytemuck::cast_slice_mut(buf);
                let have = all.len().div_ceil(2);
                let data = all
                    .get_mut(..len)
                    .ok_or_else(|| too_short(have, Some(len.div_ceil(2))))?;
                Ok(Panels::F32(data))
            }
        }
    }
}

/// Runs `$body` with `$d` bound to the panels' slice, whatever their element type.
macro_rules! with_panels {
    ($panels:expr, |$d:ident| $body:expr) => {
        match $panels {
            Panels::F64($d) => $body,
            Panels::F32($d) => $body,
        }
    };
}

/// Elements needed to pack `rows × k` into panels of `panel` rows.
fn packed_len(rows: usize, k: usize, panel: usize) -> Option<usize> {
    rows.div_ceil(panel).checked_mul(panel)?.checked_mul(k)
}

/// A packing buffer of `actual` elements where `expected` are needed
/// (`None`: the size overflows).
fn too_short(actual: usize, expected: Option<usize>) -> KernelError {
    match expected {
        Some(expected) => KernelError::Length {
            arg: "packing buffer",
            expected,
            actual,
        },
        None => KernelError::Overflow {
            arg: "packing buffer",
        },
    }
}

/// Rows or columns `..actual` packed into an operand of `expected`.
fn range_error(arg: &'static str, expected: usize, actual: usize) -> KernelError {
    KernelError::Length {
        arg,
        expected,
        actual,
    }
}

/// A left operand `A` (`rows × k`) packed into panels of [`MR`] rows.
#[derive(Debug)]
pub struct PackedLhs<'a> {
    data: Panels<'a>,
    rows: usize,
    k: usize,
}

impl<'a> PackedLhs<'a> {
    /// Buffer elements (float64) needed for a `rows × k` operand, or `None`
    /// on overflow; a float32 operand needs at most as many.
    pub fn len_for(rows: usize, k: usize) -> Option<usize> {
        packed_len(rows, k, MR)
    }

    /// A float64 operand of `rows × k` in the start of `buf`, with its
    /// padding rows zeroed; the values are filled in with [`PackedLhs::pack`].
    pub fn new(buf: &'a mut [f64], rows: usize, k: usize) -> Result<Self, KernelError> {
        Self::with(Precision::F64, buf, rows, k)
    }

    /// [`PackedLhs::new`] in the given precision.
    pub fn with(
        prec: Precision,
        buf: &'a mut [f64],
        rows: usize,
        k: usize,
    ) -> Result<Self, KernelError> {
        let mut lhs = Self::wrap(prec, buf, rows, k)?;
        let full = rows / MR;
        if !rows.is_multiple_of(MR) {
            with_panels!(&mut lhs.data, |d| {
                for col in d[full * MR * k..].chunks_exact_mut(MR) {
                    col[rows % MR..].fill(Elem::ZERO);
                }
            });
        }
        Ok(lhs)
    }

    /// An operand of `rows × k` that `buf` already holds packed (by an
    /// earlier [`PackedLhs::with`] and [`PackedLhs::pack`] on the same
    /// buffer, in the same precision).
    pub fn wrap(
        prec: Precision,
        buf: &'a mut [f64],
        rows: usize,
        k: usize,
    ) -> Result<Self, KernelError> {
        let len = packed_len(rows, k, MR).ok_or_else(|| too_short(buf.len(), None))?;
        let data = Panels::carve(buf, prec, len)?;
        Ok(Self { data, rows, k })
    }

    /// Rows of the operand.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of the operand (the shared dimension).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Copies `src` into rows `i0..i0 + src.rows()` and columns
    /// `k0..k0 + src.cols()` of the operand.
    pub fn pack(&mut self, i0: usize, k0: usize, src: MatRef<'_>) -> Result<(), KernelError> {
        let (rows, cols) = (src.rows, src.cols);
        if i0.checked_add(rows).is_none_or(|e| e > self.rows) {
            return Err(range_error(
                "packed rows",
                self.rows,
                i0.saturating_add(rows),
            ));
        }
        if k0.checked_add(cols).is_none_or(|e| e > self.k) {
            return Err(range_error("packed k", self.k, k0.saturating_add(cols)));
        }
        if rows == 0 || cols == 0 {
            return Ok(());
        }
        let k = self.k;
        with_panels!(&mut self.data, |d| pack_lhs(d, k, i0, k0, src));
        Ok(())
    }

    /// The panels.
    pub(crate) fn data(&self) -> &Panels<'a> {
        &self.data
    }
}

/// [`PackedLhs::pack`]'s copy, into panels `data` of a `k`-long operand.
fn pack_lhs<T: Elem>(data: &mut [T], k: usize, i0: usize, k0: usize, src: MatRef<'_>) {
    let (rows, cols) = (src.rows, src.cols);
    if src.rs == 1 && i0.is_multiple_of(MR) {
        // Columns of the source are contiguous (a transposed row-major
        // matrix): copy MR-long pieces of each column.
        for p in 0..cols {
            let mut pieces = src.data[p * src.cs..p * src.cs + rows].chunks_exact(MR);
            let mut at = (i0 / MR) * MR * k + (k0 + p) * MR;
            for piece in &mut pieces {
                convert(&mut data[at..at + MR], piece);
                at += MR * k;
            }
            let rest = pieces.remainder();
            if !rest.is_empty() {
                convert(&mut data[at..at + rest.len()], rest);
            }
        }
        return;
    }
    for i in 0..rows {
        let (ip, r) = ((i0 + i) / MR, (i0 + i) % MR);
        let panel = &mut data[ip * MR * k..(ip + 1) * MR * k];
        let dst = panel[k0 * MR + r..].iter_mut().step_by(MR).take(cols);
        if src.cs == 1 {
            for (d, &v) in dst.zip(src.row(i)) {
                *d = T::from_f64(v);
            }
        } else {
            for (p, d) in dst.enumerate() {
                *d = T::from_f64(src.at(i, p));
            }
        }
    }
}

/// `dst ← src`, each value in `dst`'s type (a plain copy for float64).
#[inline(always)]
fn convert<T: Elem>(dst: &mut [T], src: &[f64]) {
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = T::from_f64(v);
    }
}

/// A right operand `B` (`k × cols`) packed into panels of [`NR`] columns
/// ([`NR32`] in float32).
#[derive(Debug)]
pub struct PackedRhs<'a> {
    data: Panels<'a>,
    k: usize,
    cols: usize,
}

/// Columns of a right panel in precision `prec`.
pub(crate) fn panel_cols(prec: Precision) -> usize {
    match prec {
        Precision::F64 => NR,
        Precision::F32 => NR32,
    }
}

impl<'a> PackedRhs<'a> {
    /// Buffer elements (float64) needed for a `k × cols` operand, or `None`
    /// on overflow; a float32 operand needs at most as many.
    pub fn len_for(k: usize, cols: usize) -> Option<usize> {
        packed_len(cols, k, NR)
    }

    /// A float64 operand of `k × cols` in the start of `buf`, with its
    /// padding columns zeroed; the values are filled in with
    /// [`PackedRhs::pack`].
    pub fn new(buf: &'a mut [f64], k: usize, cols: usize) -> Result<Self, KernelError> {
        Self::with(Precision::F64, buf, k, cols)
    }

    /// [`PackedRhs::new`] in the given precision.
    pub fn with(
        prec: Precision,
        buf: &'a mut [f64],
        k: usize,
        cols: usize,
    ) -> Result<Self, KernelError> {
        let nr = panel_cols(prec);
        let len = packed_len(cols, k, nr).ok_or_else(|| too_short(buf.len(), None))?;
        let mut data = Panels::carve(buf, prec, len)?;
        let full = cols / nr;
        if !cols.is_multiple_of(nr) {
            with_panels!(&mut data, |d| {
                for row in d[full * nr * k..].chunks_exact_mut(nr) {
                    row[cols % nr..].fill(Elem::ZERO);
                }
            });
        }
        Ok(Self { data, k, cols })
    }

    /// Rows of the operand (the shared dimension).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns of the operand.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Copies `src` into rows `k0..k0 + src.rows()` and columns
    /// `j0..j0 + src.cols()` of the operand.
    pub fn pack(&mut self, k0: usize, j0: usize, src: MatRef<'_>) -> Result<(), KernelError> {
        let (rows, cols) = (src.rows, src.cols);
        if k0.checked_add(rows).is_none_or(|e| e > self.k) {
            return Err(range_error("packed k", self.k, k0.saturating_add(rows)));
        }
        if j0.checked_add(cols).is_none_or(|e| e > self.cols) {
            return Err(range_error(
                "packed cols",
                self.cols,
                j0.saturating_add(cols),
            ));
        }
        if rows == 0 || cols == 0 {
            return Ok(());
        }
        let k = self.k;
        match &mut self.data {
            Panels::F64(d) => pack_rhs::<f64, NR>(d, k, k0, j0, src),
            Panels::F32(d) => pack_rhs::<f32, NR32>(d, k, k0, j0, src),
        }
        Ok(())
    }

    /// The panels.
    pub(crate) fn data(&self) -> &Panels<'a> {
        &self.data
    }
}

/// [`PackedRhs::pack`]'s copy, into panels `data` of `W` columns of a
/// `k`-long operand.
fn pack_rhs<T: Elem, const W: usize>(
    data: &mut [T],
    k: usize,
    k0: usize,
    j0: usize,
    src: MatRef<'_>,
) {
    let (rows, cols) = (src.rows, src.cols);
    if src.cs == 1 && j0.is_multiple_of(W) {
        // Rows of the source are contiguous: copy W-wide pieces (fixed
        // length, so no call to memcpy).
        for p in 0..rows {
            let mut pieces = src.row(p).chunks_exact(W);
            let mut at = (j0 / W) * W * k + (k0 + p) * W;
            for piece in &mut pieces {
                convert(&mut data[at..at + W], piece);
                at += W * k;
            }
            let rest = pieces.remainder();
            if !rest.is_empty() {
                convert(&mut data[at..at + rest.len()], rest);
            }
        }
        return;
    }
    for j in 0..cols {
        let (jp, c) = ((j0 + j) / W, (j0 + j) % W);
        let panel = &mut data[jp * W * k..(jp + 1) * W * k];
        let dst = panel[k0 * W + c..].iter_mut().step_by(W).take(rows);
        if src.rs == 1 {
            // Columns of the source are contiguous (a transposed row-major matrix).
            let start = j * src.cs;
            for (d, &v) in dst.zip(&src.data[start..start + rows]) {
                *d = T::from_f64(v);
            }
        } else {
            for (p, d) in dst.enumerate() {
                *d = T::from_f64(src.at(p, j));
            }
        }
    }
}
