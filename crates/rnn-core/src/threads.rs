//! How many threads the native kernels may use (set by [`set_threads`], else
//! all the cores the process may run on), when a split pays, and how the
//! pieces of a split are shared among the calling thread and `rnn-pool`'s
//! workers. The GEMM (row panels), the LSTM gate passes and large
//! transposes (element ranges) split their work this way; the wasm build
//! has one thread and none of this.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Cores the process may run on.
static CORES: OnceLock<usize> = OnceLock::new();

/// The setting; 0 until set.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Lets the native kernels use up to `n` threads (0 restores the default:
/// all cores).
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

/// Threads the native kernels may use (at least 1).
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => cores(),
        n => n,
    }
}

/// Cores the process may run on (at least 1).
fn cores() -> usize {
    // Asked once: on Linux the answer reads cgroup files, far too slow to do
    // per GEMM.
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Threads a split may use: the setting, but no more than the cores. The
/// kernels are compute-bound, so threads beyond the cores only take turns;
/// and pool workers spin between jobs, so extra ones would take turns with
/// the calling thread as well.
fn usable() -> usize {
    threads().min(cores())
}

/// Below this many multiply-adds per thread a GEMM stays on one thread.
/// Handing work to an awake pool worker takes under 1 µs (see `rnn-pool`),
/// but the worker reads a right operand this thread has just packed into its
/// own cache. In a GEMM harness, two threads ran the step shapes 512 × 193 ×
/// 32 (3.2 M multiply-adds, the M LSTM) and 128 × 193 × 32 (0.8 M, the M
/// RNN) 1.6× as fast as one, 128 × 128 × 32 (0.5 M) 1.09×.
const MIN_FMAS_PER_THREAD: usize = 1 << 18;

/// Threads worth using for `fmas` multiply-adds cut into `parts` pieces.
pub(crate) fn for_work(fmas: usize, parts: usize) -> usize {
    let worth = fmas / MIN_FMAS_PER_THREAD;
    if worth < 2 {
        return 1;
    }
    usable().min(worth).min(parts).max(1)
}

/// Fewest elements an element-wise pass gives a thread of its own, counted
/// in LSTM cell elements (~5 ns each): ~10 µs of work against ~1 µs to hand
/// it over. A transposed element costs about as much (~2–4 ns, cache
/// misses).
const MIN_ELEMENTS_PER_THREAD: usize = 1 << 11;

/// Threads worth using for an element-wise pass over `n` elements (of an
/// LSTM cell's cost).
pub(crate) fn for_elements(n: usize) -> usize {
    usable().min(n / MIN_ELEMENTS_PER_THREAD).max(1)
}

/// Pieces per thread when work is shared (see [`share_pieces`]): enough that
/// a thread on a core slowed by other load ends at most one short piece late.
const PIECES_PER_THREAD: usize = 8;

/// Length of each piece when `n` items are shared among `threads`: a
/// multiple of `align`, at least 1.
pub(crate) fn piece_len(n: usize, threads: usize, align: usize) -> usize {
    n.div_ceil(threads * PIECES_PER_THREAD)
        .next_multiple_of(align)
        .max(1)
}

/// Runs `work` on each of `pieces` on up to `threads` threads (this one and
/// pool workers), each taking the next piece as it finishes its last. The
/// cores of a shared machine rarely run at the same speed at the same moment:
/// with equal shares fixed up front the faster core idles until the slower
/// one is done, while taken pieces keep both busy to the end.
pub(crate) fn share_pieces<P>(
    threads: usize,
    pieces: impl Iterator<Item = P> + Send,
    work: impl Fn(P) + Sync,
) {
    let queue = Mutex::new(pieces);
    rnn_pool::help(threads, &|| loop {
        // The lock is released at the end of this statement, before `work`.
        let piece = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
        match piece {
            Some(piece) => work(piece),
            None => break,
        }
    });
}

/// Shares an element-wise pass over `n` elements among threads where that
/// pays: runs `work` on each of `pieces(per)`, ranges of `per` elements (a
/// multiple of 64, so whole vectors of lanes). Returns false, having run
/// nothing, when the pass is better left to the calling thread.
pub(crate) fn share_elements<I: Iterator + Send>(
    n: usize,
    pieces: impl FnOnce(usize) -> I,
    work: impl Fn(I::Item) + Sync,
) -> bool {
    let threads = for_elements(n);
    if threads < 2 {
        return false;
    }
    share_pieces(threads, pieces(piece_len(n, threads, 64)), work);
    true
}
