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

use super::MatRef;
use super::{MR, NR};
use crate::KernelError;

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
    data: &'a mut [f64],
    rows: usize,
    k: usize,
}

impl<'a> PackedLhs<'a> {
    /// Buffer elements needed for a `rows × k` operand, or `None` on overflow.
    pub fn len_for(rows: usize, k: usize) -> Option<usize> {
        packed_len(rows, k, MR)
    }

    /// An operand of `rows × k` in the start of `buf`, with its padding rows
    /// zeroed; the values are filled in with [`PackedLhs::pack`].
    pub fn new(buf: &'a mut [f64], rows: usize, k: usize) -> Result<Self, KernelError> {
        let len = Self::len_for(rows, k).ok_or_else(|| too_short(buf.len(), None))?;
        let have = buf.len();
        let data = buf
            .get_mut(..len)
            .ok_or_else(|| too_short(have, Some(len)))?;
        let full = rows / MR;
        if !rows.is_multiple_of(MR) {
            let last = &mut data[full * MR * k..];
            for col in last.chunks_exact_mut(MR) {
                col[rows % MR..].fill(0.0);
            }
        }
        Ok(Self { data, rows, k })
    }

    /// An operand of `rows × k` that `buf` already holds packed (by an
    /// earlier [`PackedLhs::new`] and [`PackedLhs::pack`] on the same buffer).
    pub fn wrap(buf: &'a mut [f64], rows: usize, k: usize) -> Result<Self, KernelError> {
        let len = Self::len_for(rows, k).ok_or_else(|| too_short(buf.len(), None))?;
        let have = buf.len();
        let data = buf
            .get_mut(..len)
            .ok_or_else(|| too_short(have, Some(len)))?;
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
        if src.rs == 1 && i0.is_multiple_of(MR) {
            // Columns of the source are contiguous (a transposed row-major
            // matrix): copy MR-long pieces of each column.
            for p in 0..cols {
                let mut pieces = src.data[p * src.cs..p * src.cs + rows].chunks_exact(MR);
                let mut at = (i0 / MR) * MR * k + (k0 + p) * MR;
                for piece in &mut pieces {
                    self.data[at..at + MR].copy_from_slice(piece);
                    at += MR * k;
                }
                let rest = pieces.remainder();
                if !rest.is_empty() {
                    self.data[at..at + rest.len()].copy_from_slice(rest);
                }
            }
            return Ok(());
        }
        for i in 0..rows {
            let (ip, r) = ((i0 + i) / MR, (i0 + i) % MR);
            let panel = &mut self.data[ip * MR * k..(ip + 1) * MR * k];
            let dst = panel[k0 * MR + r..].iter_mut().step_by(MR).take(cols);
            if src.cs == 1 {
                for (d, &v) in dst.zip(src.row(i)) {
                    *d = v;
                }
            } else {
                for (p, d) in dst.enumerate() {
                    *d = src.at(i, p);
                }
            }
        }
        Ok(())
    }

    /// Panel `ip`, `MR·k` elements.
    pub(crate) fn panel(&self, ip: usize) -> &[f64] {
        &self.data[ip * MR * self.k..(ip + 1) * MR * self.k]
    }

    /// Number of row panels.
    pub(crate) fn panels(&self) -> usize {
        self.rows.div_ceil(MR)
    }
}

/// A right operand `B` (`k × cols`) packed into panels of [`NR`] columns.
#[derive(Debug)]
pub struct PackedRhs<'a> {
    data: &'a mut [f64],
    k: usize,
    cols: usize,
}

impl<'a> PackedRhs<'a> {
    /// Buffer elements needed for a `k × cols` operand, or `None` on overflow.
    pub fn len_for(k: usize, cols: usize) -> Option<usize> {
        packed_len(cols, k, NR)
    }

    /// An operand of `k × cols` in the start of `buf`, with its padding
    /// columns zeroed; the values are filled in with [`PackedRhs::pack`].
    pub fn new(buf: &'a mut [f64], k: usize, cols: usize) -> Result<Self, KernelError> {
        let len = Self::len_for(k, cols).ok_or_else(|| too_short(buf.len(), None))?;
        let have = buf.len();
        let data = buf
            .get_mut(..len)
            .ok_or_else(|| too_short(have, Some(len)))?;
        let full = cols / NR;
        if !cols.is_multiple_of(NR) {
            let last = &mut data[full * NR * k..];
            for row in last.chunks_exact_mut(NR) {
                row[cols % NR..].fill(0.0);
            }
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
        if src.cs == 1 && j0.is_multiple_of(NR) {
            // Rows of the source are contiguous: copy NR-wide pieces (fixed
            // length, so no call to memcpy).
            for p in 0..rows {
                let mut pieces = src.row(p).chunks_exact(NR);
                let mut at = (j0 / NR) * NR * k + (k0 + p) * NR;
                for piece in &mut pieces {
                    self.data[at..at + NR].copy_from_slice(piece);
                    at += NR * k;
                }
                let rest = pieces.remainder();
                if !rest.is_empty() {
                    self.data[at..at + rest.len()].copy_from_slice(rest);
                }
            }
            return Ok(());
        }
        for j in 0..cols {
            let (jp, c) = ((j0 + j) / NR, (j0 + j) % NR);
            let panel = &mut self.data[jp * NR * k..(jp + 1) * NR * k];
            let dst = panel[k0 * NR + c..].iter_mut().step_by(NR).take(rows);
            if src.rs == 1 {
                // Columns of the source are contiguous (a transposed row-major matrix).
                let start = j * src.cs;
                for (d, &v) in dst.zip(&src.data[start..start + rows]) {
                    *d = v;
                }
            } else {
                for (p, d) in dst.enumerate() {
                    *d = src.at(p, j);
                }
            }
        }
        Ok(())
    }

    /// Panel `jp`, `k·NR` elements.
    pub(crate) fn panel(&self, jp: usize) -> &[f64] {
        &self.data[jp * NR * self.k..(jp + 1) * NR * self.k]
    }

    /// Number of column panels.
    pub(crate) fn panels(&self) -> usize {
        self.cols.div_ceil(NR)
    }
}
