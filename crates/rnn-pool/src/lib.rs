//! A process-wide pool of worker threads for jobs a few hundred microseconds
//! long, such as one time step's GEMM.
//!
//! Starting a thread per job cost ~100 µs on the machines measured (a
//! virtual machine), as much as a whole split step of the workloads. The
//! pool's workers start once and then, after each job, spin for
//! [`STAY_AWAKE`] watching for the next one: handing a job to a spinning
//! worker took under 1 µs. Past that time they sleep on a condition
//! variable, so an idle process costs no CPU.
//!
//! [`help`] is the only entry point. The job is borrowed, not `'static`:
//! `help` returns only after every worker that took the job is done with it,
//! which is what makes lending it to the workers sound.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};
use std::time::{Duration, Instant};

/// How long a worker spins for the next job before it sleeps.
const STAY_AWAKE: Duration = Duration::from_micros(200);

/// Spins between two looks at the clock.
const SPINS_PER_CHECK: u32 = 64;

/// A job lent to the workers.
#[derive(Clone, Copy)]
struct Job {
    /// The caller's closure with its lifetime erased; see [`help`].
    run: *const (dyn Fn() + Sync + 'static),
    /// Workers `1..helpers + 1` may take it.
    helpers: usize,
}

// SAFETY: the closure behind `run` is `Sync`, so calling it from other
// threads is allowed; the pointer is only used while `help` keeps the
// closure alive (it waits for every worker that took it).
unsafe impl Send for Job {}

/// What the workers read under the lock.
struct Slot {
    /// The job on offer; `None` once its caller has finished its own call.
    job: Option<Job>,
    /// Bumped for each job; a worker takes each epoch's job at most once.
    epoch: usize,
    /// Workers waiting on [`Pool::wake`].
    sleeping: usize,
}

struct Pool {
    slot: Mutex<Slot>,
    wake: Condvar,
    /// `slot.epoch`, readable without the lock (what spinning workers watch).
    epoch: AtomicUsize,
    /// Workers that took the current job and have not finished it.
    active: AtomicUsize,
    /// Set by a worker whose part of the job panicked.
    panicked: AtomicBool,
    /// Held by the one [`help`] call using the pool.
    busy: Mutex<()>,
    /// Workers started so far.
    workers: Mutex<usize>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        slot: Mutex::new(Slot {
            job: None,
            epoch: 0,
            sleeping: 0,
        }),
        wake: Condvar::new(),
        epoch: AtomicUsize::new(0),
        active: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        busy: Mutex::new(()),
        workers: Mutex::new(0),
    })
}

/// Locks `m`, ignoring poisoning: every critical section here leaves its
/// data consistent (they cannot panic part-way).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Calls `job` on this thread and, while that call runs, on up to
/// `threads − 1` pool workers that pick it up; returns when every call has
/// returned. `job` must finish the whole work whoever runs it: each call
/// takes pieces from a shared queue until none is left, so a worker that
/// comes late finds nothing to do.
///
/// A call made while another thread is using the pool, or from inside a job,
/// starts threads of its own instead; if the OS refuses to start a worker,
/// `job` runs on this thread alone. A panic in any call is resumed here once
/// every call has finished.
pub fn help(threads: usize, job: &(dyn Fn() + Sync)) {
    if threads <= 1 {
        job();
        return;
    }
    let pool = pool();
    let _busy = match pool.busy.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => return spawn_each(threads, job),
    };
    let helpers = threads - 1;
    if !pool.start_workers(helpers) {
        // The OS refused a thread: the job does all the work alone.
        job();
        return;
    }
    // SAFETY: only the lifetime is changed. A worker uses the pointer between
    // taking the job from the slot (counted in `active`, under the lock) and
    // decrementing `active`. Below, the job leaves the slot (under the lock)
    // and then this function waits for `active` to reach zero before it
    // returns, so `job` outlives every use.
    let run: *const (dyn Fn() + Sync + 'static) =
        unsafe { std::mem::transmute::<*const (dyn Fn() + Sync + '_), _>(job as *const _) };
    pool.panicked.store(false, Ordering::Relaxed);
    {
        let mut slot = lock(&pool.slot);
        slot.job = Some(Job { run, helpers });
        slot.epoch = slot.epoch.wrapping_add(1);
        pool.epoch.store(slot.epoch, Ordering::Release);
        if slot.sleeping > 0 {
            pool.wake.notify_all();
        }
    }
    let mine = catch_unwind(AssertUnwindSafe(job));
    lock(&pool.slot).job = None;
    let mut spins = 0u32;
    while pool.active.load(Ordering::Acquire) != 0 {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(SPINS_PER_CHECK) {
            // More threads than cores: let a descheduled worker finish.
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
    if let Err(payload) = mine {
        resume_unwind(payload);
    }
    if pool.panicked.load(Ordering::Relaxed) {
        panic!("rnn-pool: a worker's call of the job panicked");
    }
}

/// [`help`] on threads started for this call alone.
fn spawn_each(threads: usize, job: &(dyn Fn() + Sync)) {
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(job);
        }
        job();
    });
}

impl Pool {
    /// Starts workers until there are `want`; false if the OS refused one.
    fn start_workers(&'static self, want: usize) -> bool {
        let mut started = lock(&self.workers);
        while *started < want {
            let index = *started + 1;
            // Read here, before the job this worker is started for is
            // published, so that the worker sees that job as new.
            let seen = self.epoch.load(Ordering::Acquire);
            let spawned = std::thread::Builder::new()
                .name(format!("rnn-pool-{index}"))
                .spawn(move || self.work(index, seen));
            if spawned.is_err() {
                return false;
            }
            *started += 1;
        }
        true
    }

    /// Worker `index` (from 1): takes each job offered to it and calls it.
    fn work(&self, index: usize, mut seen: usize) {
        loop {
            if let Some(job) = self.take_job(index, &mut seen) {
                // SAFETY: this worker took the job from the slot and is
                // counted in `active`, so its `help` is still waiting and
                // the closure is alive.
                let run = unsafe { &*job.run };
                if catch_unwind(AssertUnwindSafe(run)).is_err() {
                    self.panicked.store(true, Ordering::Relaxed);
                }
                self.active.fetch_sub(1, Ordering::Release);
            }
        }
    }

    /// Waits for an epoch after `seen` (spinning, then sleeping) and takes
    /// its job if it is still on offer and open to worker `index`.
    fn take_job(&self, index: usize, seen: &mut usize) -> Option<Job> {
        let start = Instant::now();
        let mut spins = 0u32;
        while self.epoch.load(Ordering::Acquire) == *seen {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(SPINS_PER_CHECK) && start.elapsed() > STAY_AWAKE {
                break;
            }
            std::hint::spin_loop();
        }
        let mut slot = lock(&self.slot);
        while slot.epoch == *seen {
            slot.sleeping += 1;
            slot = self.wake.wait(slot).unwrap_or_else(PoisonError::into_inner);
            slot.sleeping -= 1;
        }
        *seen = slot.epoch;
        let job = slot.job.filter(|job| index <= job.helpers)?;
        self.active.fetch_add(1, Ordering::Relaxed);
        Some(job)
    }
}
