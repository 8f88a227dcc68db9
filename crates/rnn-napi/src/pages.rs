//! Huge pages for large fresh output arrays.
//!
//! Every call returns fresh arrays, hundreds of MiB at the L workload, and
//! Linux maps fresh memory one 4 KiB page at a time on first write: one fault
//! per page, measured at about 100 ms per 100 MiB here, a tenth of an L
//! forward pass. Under the common transparent-huge-page setting `madvise`,
//! memory advised `MADV_HUGEPAGE` before its first write is mapped 2 MiB at a
//! time instead (about 33 ms per 100 MiB, measured). Advice never changes
//! contents, so it is safe on any memory, written or not.

/// Huge pages are 2 MiB on x86-64 and on most arm64 kernels.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Asks for huge pages over the whole 2 MiB-aligned pages inside `buf` (none
/// when it is too small to hold one). Best effort: a kernel without the
/// feature, or another OS, leaves it as it was.
pub(crate) fn advise_huge_pages(buf: &[f64]) {
    #[cfg(target_os = "linux")]
    {
        let start = buf.as_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let first = start.next_multiple_of(HUGE_PAGE);
        let last = end - end % HUGE_PAGE;
        if first < last {
            // SAFETY: the range lies inside `buf`, which stays borrowed for
            // the call; MADV_HUGEPAGE only changes how the kernel backs the
            // pages, never their contents. Its result is ignored: advice
            // that is not taken leaves the memory as it was.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}
