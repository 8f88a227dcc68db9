#![allow(dead_code)] // each test file uses part of it

//! What the property tests share: the proptest runner set up with this harness's case count and
//! failure persistence, execution counters, and random test data.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::test_runner::{Config, FileFailurePersistence, TestError, TestRunner};

use rnn_core::Dims;
use rnn_fuzz::kernels::Kernel;
use rnn_fuzz::reference::Rng;

/// A runner for `cases()` cases whose failing inputs, once shrunk, are saved next to
/// `source_file` (`tests/NAME.proptest-regressions`) and replayed first on every later run.
pub fn runner(source_file: &'static str) -> TestRunner {
    TestRunner::new(Config {
        cases: rnn_fuzz::cases(),
        source_file: Some(source_file),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    })
}

/// Executions of a property, by outcome, printed when the property ends.
#[derive(Default)]
pub struct Counts {
    names: Vec<&'static str>,
    counts: Vec<AtomicU64>,
}

impl Counts {
    /// Counters named `names`.
    pub fn new(names: &[&'static str]) -> Self {
        Self {
            names: names.to_vec(),
            counts: names.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Counts one execution under `name`.
    pub fn add(&self, name: &str) {
        let i = self
            .names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no counter {name}"));
        self.counts[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The total over every counter.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Prints `fuzz: <what>: N executions (name a, name b, ...)` and fails the test on `result`.
    pub fn finish<T: std::fmt::Debug>(&self, what: &str, result: Result<(), TestError<T>>) {
        let parts: Vec<String> = self
            .names
            .iter()
            .zip(&self.counts)
            .map(|(n, c)| format!("{n} {}", c.load(Ordering::Relaxed)))
            .collect();
        println!(
            "fuzz: {what}: {} executions ({})",
            self.total(),
            parts.join(", ")
        );
        if let Err(e) = result {
            panic!("{what}: {e}");
        }
    }
}

/// Random values: mostly uniform in [-2, 2), some large enough to saturate tanh and the
/// sigmoid, and, when `specials` is set, NaN, ±∞, ±0 and subnormals now and then.
pub fn values(rng: &mut Rng, len: usize, specials: bool) -> Vec<f64> {
    (0..len)
        .map(|_| match rng.below(if specials { 40 } else { 20 }) {
            0 => 40.0 * rng.uniform(),
            20 => f64::NAN,
            21 => f64::INFINITY,
            22 => f64::NEG_INFINITY,
            23 => -0.0,
            24 => 5e-324 * (1 + rng.below(1000)) as f64,
            _ => 2.0 * rng.uniform(),
        })
        .collect()
}

/// Values for buffer `b` of kernel `k`: [`values`], except where the kernel needs its own
/// (`Kernel::value`, e.g. class indices for targets).
pub fn input_values(
    k: &Kernel,
    b: usize,
    d: &Dims,
    rng: &mut Rng,
    len: usize,
    specials: bool,
) -> Vec<f64> {
    let name = k.bufs[b].0;
    values(rng, len, specials)
        .into_iter()
        .map(|v| (k.value)(name, (rng.uniform() + 1.0) / 2.0, d).unwrap_or(v))
        .collect()
}

/// Equal as bits, or both NaN: what two runs of the same code must give.
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}
