//! Strided matrix views: element `(i, j)` of a view is `data[i·rs + j·cs]`.

use crate::KernelError;

/// Largest index a `rows × cols` view with strides `rs`, `cs` touches, or
/// `None` for an empty view. `Err` when the arithmetic overflows.
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Result<Option<usize>, ()> {
    if rows == 0 || cols == 0 {
        return Ok(None);
    }
    let r = (rows - 1).checked_mul(rs).ok_or(())?;
    let c = (cols - 1).checked_mul(cs).ok_or(())?;
    r.checked_add(c).map(Some).ok_or(())
}

fn check_view(
    arg: &'static str,
    len: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
) -> Result<(), KernelError> {
    match last_index(rows, cols, rs, cs) {
        Ok(None) => Ok(()),
        Ok(Some(last)) if last < len => Ok(()),
        // `last ≥ len`, so `last + 1` fits.
        Ok(Some(last)) => Err(KernelError::Length {
            arg,
            expected: last + 1,
            actual: len,
        }),
        Err(()) => Err(KernelError::Overflow { arg }),
    }
}

/// Read-only matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub(crate) data: &'a [f64],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl<'a> MatRef<'a> {
    /// A `rows × cols` view with row stride `rs` and column stride `cs`.
    /// Fails if any element would fall outside `data`.
    pub fn new(
        data: &'a [f64],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, KernelError> {
        check_view("matrix view", data.len(), rows, cols, rs, cs)?;
        Ok(Self {
            data,
            rows,
            cols,
            rs,
            cs,
        })
    }

    /// A dense row-major `rows × cols` view of the start of `data`.
    pub fn row_major(data: &'a [f64], rows: usize, cols: usize) -> Result<Self, KernelError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (strides swapped).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    pub(crate) fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.rs + j * self.cs]
    }

    /// Row `i` as a contiguous slice; only for views with `cs == 1`.
    pub(crate) fn row(&self, i: usize) -> &'a [f64] {
        let start = i * self.rs;
        &self.data[start..start + self.cols]
    }
}

/// Mutable matrix view: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Debug)]
pub struct MatMut<'a> {
    pub(crate) data: &'a mut [f64],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl<'a> MatMut<'a> {
    /// A `rows × cols` view with row stride `rs` and column stride `cs`.
    /// Fails if any element would fall outside `data`.
    pub fn new(
        data: &'a mut [f64],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, KernelError> {
        check_view("matrix view", data.len(), rows, cols, rs, cs)?;
        Ok(Self {
            data,
            rows,
            cols,
            rs,
            cs,
        })
    }

    /// A dense row-major `rows × cols` view of the start of `data`.
    pub fn row_major(data: &'a mut [f64], rows: usize, cols: usize) -> Result<Self, KernelError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (strides swapped).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    pub(crate) fn at_mut(&mut self, i: usize, j: usize) -> &mut f64 {
        &mut self.data[i * self.rs + j * self.cs]
    }

    /// Splits off rows `at..` as a second view, for threads that write
    /// disjoint rows; `None` unless rows are contiguous and apart (`cs == 1`,
    /// `rs ≥ cols`) and `0 < at < rows`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn split_rows(self, at: usize) -> Result<(Self, Self), Self> {
        if self.cs != 1 || self.rs < self.cols || at == 0 || at >= self.rows {
            return Err(self);
        }
        // Row `at` exists, so its start lies inside `data`.
        let (top, bottom) = self.data.split_at_mut(at * self.rs);
        let (rows, cols, rs) = (self.rows, self.cols, self.rs);
        Ok((
            Self {
                data: top,
                rows: at,
                cols,
                rs,
                cs: 1,
            },
            Self {
                data: bottom,
                rows: rows - at,
                cols,
                rs,
                cs: 1,
            },
        ))
    }

    /// Row `i` as a contiguous slice; only for views with `cs == 1`.
    pub(crate) fn row_mut(&mut self, i: usize) -> &mut [f64] {
        let start = i * self.rs;
        &mut self.data[start..start + self.cols]
    }
}
