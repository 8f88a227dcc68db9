//! `help`: every piece of a shared job is done once, workers do take part,
//! and nested, concurrent and panicking calls leave the pool usable.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rnn_pool::help;

/// Runs `pieces` pieces on `threads` threads through `help`; returns how many
/// times each piece ran and the threads that ran any.
fn share(threads: usize, pieces: usize, piece_time: Duration) -> (Vec<usize>, usize) {
    let next = AtomicUsize::new(0);
    let runs: Vec<AtomicUsize> = (0..pieces).map(|_| AtomicUsize::new(0)).collect();
    let who = Mutex::new(HashSet::new());
    help(threads, &|| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= pieces {
            break;
        }
        runs[i].fetch_add(1, Ordering::Relaxed);
        who.lock().unwrap().insert(std::thread::current().id());
        std::thread::sleep(piece_time);
    });
    let runs = runs.into_iter().map(AtomicUsize::into_inner).collect();
    (runs, who.into_inner().unwrap().len())
}

#[test]
fn every_piece_runs_once_whatever_the_thread_count() {
    for threads in [0, 1, 2, 3, 5] {
        for round in 0..200 {
            let (runs, _) = share(threads, 1 + round % 17, Duration::ZERO);
            assert!(runs.iter().all(|&r| r == 1), "{threads} threads: {runs:?}");
        }
    }
}

#[test]
fn workers_take_part() {
    // Pieces long enough that a worker, even one woken from sleep, joins
    // before this thread has run them all.
    let (runs, threads_used) = share(3, 40, Duration::from_millis(2));
    assert!(runs.iter().all(|&r| r == 1));
    assert!(threads_used >= 2, "only {threads_used} thread ran pieces");
    // After a pause longer than the workers stay awake (they sleep), too.
    std::thread::sleep(Duration::from_millis(20));
    let (_, threads_used) = share(2, 40, Duration::from_millis(2));
    assert!(
        threads_used >= 2,
        "after sleeping: {threads_used} thread ran pieces"
    );
}

#[test]
fn nested_and_concurrent_calls_complete() {
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    let inner_done = AtomicUsize::new(0);
                    help(2, &|| {
                        let (runs, _) = share(2, 5, Duration::ZERO);
                        assert!(runs.iter().all(|&r| r == 1));
                        inner_done.fetch_add(1, Ordering::Relaxed);
                    });
                    assert!(inner_done.into_inner() >= 1);
                }
            });
        }
    });
}

#[test]
fn a_panic_reaches_the_caller_and_the_pool_stays_usable() {
    for _ in 0..20 {
        let calls = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(|| {
            help(2, &|| {
                // The second call to start panics, whichever thread makes it;
                // the first waits so that the worker has time to join.
                if calls.fetch_add(1, Ordering::SeqCst) == 1 {
                    panic!("piece failed");
                }
                std::thread::sleep(Duration::from_millis(5));
            })
        });
        if calls.load(Ordering::SeqCst) >= 2 {
            assert!(result.is_err(), "the panic was lost");
        }
        let (runs, _) = share(2, 9, Duration::ZERO);
        assert!(runs.iter().all(|&r| r == 1));
    }
}
