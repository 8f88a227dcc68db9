//! Checks on the `(pointer, length)` pairs that JavaScript passes in, and the
//! one place where they become slices.
//!
//! A buffer is a byte address and a length in `f64` elements. Before any
//! slice is made, every non-empty buffer must lie inside linear memory, be
//! 8-byte aligned and non-null, and no output may overlap any other buffer.
//! Empty buffers are exempt: their pointer is never used.
//!
//! Linear memory is described as a [`Memory`] region. In wasm32 it starts at
//! address 0; natively a test can stand a buffer of its own in for it (see
//! `simulated`), so the very same checks and exports run over real bytes.

use rnn_core::Status;

/// Whether a buffer is read or written by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only; may overlap other inputs.
    Input,
    /// Written; must not overlap any other buffer.
    Output,
}

/// One `(pointer, length)` argument.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    /// Byte address in linear memory.
    pub addr: usize,
    /// Length in `f64` elements.
    pub len: usize,
    /// How the kernel uses it.
    pub access: Access,
}

impl Buf {
    /// An input buffer.
    pub fn input(ptr: *const f64, len: usize) -> Self {
        Self {
            addr: ptr as usize,
            len,
            access: Access::Input,
        }
    }

    /// An output buffer.
    pub fn output(ptr: *mut f64, len: usize) -> Self {
        Self {
            addr: ptr as usize,
            len,
            access: Access::Output,
        }
    }

    /// Byte range `[start, end)`, or `None` if it overflows. Computed in
    /// `u64` so that a 4 GiB memory and wasm32 addresses cannot wrap.
    fn byte_range(&self) -> Option<(u64, u64)> {
        let start = u64::try_from(self.addr).ok()?;
        let bytes = u64::try_from(self.len).ok()?.checked_mul(8)?;
        Some((start, start.checked_add(bytes)?))
    }
}

/// Where linear memory lies in the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Address of linear memory's byte 0 (0 in wasm32), 8-byte aligned.
    pub base: usize,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Checks every buffer against linear memory `mem`: [`Status::Memory`] for a
/// non-empty buffer that is null, misaligned, outside `mem` or whose byte
/// range overflows, [`Status::Overlap`] for an output that overlaps another.
///
/// Offsets are taken from `mem.base`: offset 0 counts as null, as address 0
/// does in wasm32. Range and alignment problems are reported before overlaps.
pub fn check(bufs: &[Buf], mem: Memory) -> Result<(), Status> {
    for b in bufs.iter().filter(|b| b.len != 0) {
        let (start, end) = b.byte_range().ok_or(Status::Memory)?;
        let base = mem.base as u64;
        if start <= base || !(start - base).is_multiple_of(8) || end - base > mem.bytes {
            return Err(Status::Memory);
        }
    }
    for (i, out) in bufs.iter().enumerate() {
        if out.access != Access::Output || out.len == 0 {
            continue;
        }
        let (s1, e1) = out.byte_range().ok_or(Status::Memory)?;
        for (j, other) in bufs.iter().enumerate() {
            if i == j || other.len == 0 {
                continue;
            }
            let (s2, e2) = other.byte_range().ok_or(Status::Memory)?;
            if s1 < e2 && s2 < e1 {
                return Err(Status::Overlap);
            }
        }
    }
    Ok(())
}

/// The elements of an input buffer.
///
/// # Safety
///
/// `buf` must have passed [`check`] against the real size of linear memory,
/// within the same call, and no output slice made by [`slice_mut`] may
/// overlap it (which [`check`] guarantees for the buffers it was given).
pub unsafe fn slice<'a>(buf: Buf) -> &'a [f64] {
    if buf.len == 0 {
        return &[];
    }
    // SAFETY: `check` verified that the address is non-null, 8-byte aligned
    // and that `len * 8` bytes from it lie inside linear memory, which is
    // always readable; no `&mut` to these bytes exists (caller's contract).
    unsafe { core::slice::from_raw_parts(buf.addr as *const f64, buf.len) }
}

/// The elements of an output buffer.
///
/// # Safety
///
/// As for [`slice`]; in addition nothing else may read or write these bytes
/// while the returned slice lives, which [`check`] guarantees with respect to
/// the other buffers of the call.
pub unsafe fn slice_mut<'a>(buf: Buf) -> &'a mut [f64] {
    if buf.len == 0 {
        return &mut [];
    }
    // SAFETY: as in `slice`, and `check` verified that this range overlaps no
    // other buffer of the call, so the unique borrow is not aliased.
    unsafe { core::slice::from_raw_parts_mut(buf.addr as *mut f64, buf.len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inp(addr: usize, len: usize) -> Buf {
        Buf {
            addr,
            len,
            access: Access::Input,
        }
    }

    fn out(addr: usize, len: usize) -> Buf {
        Buf {
            addr,
            len,
            access: Access::Output,
        }
    }

    const MEM: Memory = Memory {
        base: 0,
        bytes: 65536,
    };

    fn mem(bytes: u64) -> Memory {
        Memory { base: 0, bytes }
    }

    #[test]
    fn accepts_disjoint_in_range_buffers() {
        assert_eq!(check(&[inp(8, 4), out(40, 2), out(56, 1)], MEM), Ok(()));
        assert_eq!(check(&[inp(65528, 1)], MEM), Ok(()));
    }

    #[test]
    fn empty_buffers_may_have_any_pointer() {
        assert_eq!(
            check(&[inp(0, 0), out(3, 0), out(usize::MAX, 0), inp(8, 1)], MEM),
            Ok(())
        );
    }

    #[test]
    fn rejects_out_of_range_misaligned_null_and_overflowing() {
        assert_eq!(check(&[inp(65528, 2)], MEM), Err(Status::Memory));
        assert_eq!(check(&[inp(65536, 1)], MEM), Err(Status::Memory));
        assert_eq!(check(&[inp(12, 1)], MEM), Err(Status::Memory));
        assert_eq!(check(&[out(0, 1)], MEM), Err(Status::Memory));
        assert_eq!(
            check(&[inp(8, usize::MAX)], mem(u64::MAX)),
            Err(Status::Memory)
        );
        assert_eq!(
            check(&[inp(usize::MAX - 7, 1)], mem(u64::MAX)),
            Err(Status::Memory)
        );
    }

    #[test]
    fn full_4gib_memory_does_not_wrap() {
        let four_gib = mem(65536u64 * 65536);
        assert_eq!(check(&[inp(0xFFFF_FFF8, 1)], four_gib), Ok(()));
        assert_eq!(check(&[inp(0xFFFF_FFF8, 2)], four_gib), Err(Status::Memory));
    }

    #[test]
    fn offsets_count_from_the_base() {
        let m = Memory {
            base: 4096,
            bytes: 64,
        };
        assert_eq!(check(&[inp(4096 + 8, 7)], m), Ok(()));
        assert_eq!(check(&[inp(4096, 1)], m), Err(Status::Memory));
        assert_eq!(check(&[inp(4088, 1)], m), Err(Status::Memory));
        assert_eq!(check(&[inp(8, 1)], m), Err(Status::Memory));
        assert_eq!(check(&[inp(4096 + 12, 1)], m), Err(Status::Memory));
        assert_eq!(check(&[inp(4096 + 8, 8)], m), Err(Status::Memory));
    }

    #[test]
    fn inputs_may_overlap_outputs_may_not() {
        assert_eq!(check(&[inp(8, 4), inp(16, 4), out(64, 1)], MEM), Ok(()));
        assert_eq!(check(&[inp(8, 4), out(32, 1)], MEM), Err(Status::Overlap));
        assert_eq!(check(&[inp(8, 4), out(40, 1)], MEM), Ok(()));
        assert_eq!(
            check(&[out(8, 4), inp(0, 0), out(16, 1)], MEM),
            Err(Status::Overlap)
        );
        assert_eq!(check(&[out(16, 1), out(8, 4)], MEM), Err(Status::Overlap));
        assert_eq!(check(&[out(8, 1), out(8, 1)], MEM), Err(Status::Overlap));
        assert_eq!(check(&[out(8, 2), out(8, 0)], MEM), Ok(()));
    }

    #[test]
    fn range_errors_win_over_overlaps() {
        assert_eq!(
            check(&[out(8, 4), out(8, 4), inp(4, 1)], MEM),
            Err(Status::Memory)
        );
    }
}
