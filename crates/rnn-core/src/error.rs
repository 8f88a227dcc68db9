//! [`KernelError`], and the length checks every kernel runs before it
//! touches any data.

use core::fmt;

use crate::abi::Status;

/// Why a kernel refused its arguments. It is returned before anything is
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A slice has the wrong length for the dimensions. For the workspace
    /// (`ws`) `expected` is the least length accepted; a longer one is fine.
    Length {
        /// Name of the slice (a field of the kernel's input or output
        /// struct, or `ws`).
        arg: &'static str,
        /// Length the dimensions require.
        expected: usize,
        /// Length that was passed.
        actual: usize,
    },
    /// A size the dimensions require for `arg` overflows `usize`.
    Overflow {
        /// Name of the slice whose size overflows.
        arg: &'static str,
    },
    /// `targets[index]` of `output_backward` is neither
    /// [`NO_TARGET`](crate::NO_TARGET) nor an integer class index below
    /// `n_y`.
    Target {
        /// Position of the first such target.
        index: usize,
    },
    /// A dimension that selects an option (a layer's `cell`, `reverse`,
    /// `keep`) has a value outside `0..=max`; for a layer's `gates` input,
    /// `value` is the index of the first value refused (`max` the last
    /// index).
    Value {
        /// Name of the dimension (or `gates`).
        arg: &'static str,
        /// The value passed (for `gates`, the index of the value).
        value: usize,
        /// The largest value accepted.
        max: usize,
    },
    /// `lengths[index]` of a layer kernel is not an integer in `0..=t`.
    SeqLength {
        /// Position of the first such length.
        index: usize,
    },
}

impl KernelError {
    /// The boundary status code for this error.
    pub fn status(&self) -> Status {
        match self {
            Self::Length { .. } | Self::Overflow { .. } | Self::Value { .. } => Status::Dims,
            Self::Target { .. } | Self::SeqLength { .. } => Status::Target,
        }
    }

    /// Name of the argument at fault (`targets` for [`KernelError::Target`],
    /// `lengths` for [`KernelError::SeqLength`]).
    pub fn arg(&self) -> &'static str {
        match *self {
            Self::Length { arg, .. } | Self::Overflow { arg } | Self::Value { arg, .. } => arg,
            Self::Target { .. } => "targets",
            Self::SeqLength { .. } => "lengths",
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Length {
                arg: "ws",
                expected,
                actual,
            } => write!(f, "`ws` has length {actual}, expected at least {expected}"),
            Self::Length {
                arg,
                expected,
                actual,
            } => write!(f, "`{arg}` has length {actual}, expected {expected}"),
            Self::Overflow { arg } => write!(f, "the size required for `{arg}` overflows usize"),
            Self::Target { index } => write!(
                f,
                "`targets` element {index} is neither -1 nor an integer class index below n_y"
            ),
            Self::Value {
                arg: "gates",
                value,
                ..
            } => write!(
                f,
                "`gates` element {value} is a value this call does not accept"
            ),
            Self::Value { arg, value, max } => {
                write!(f, "`{arg}` is {value}, expected an integer in 0..={max}")
            }
            Self::SeqLength { index } => write!(
                f,
                "`lengths` element {index} is not an integer between 0 and t"
            ),
        }
    }
}

impl std::error::Error for KernelError {}

/// Product of `factors`, or `None` if it overflows. A zero factor makes the
/// product zero however large the others are.
pub(crate) fn product(factors: &[usize]) -> Option<usize> {
    if factors.contains(&0) {
        return Some(0);
    }
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

/// Requires `actual == product(factors)`.
pub(crate) fn expect_len(
    arg: &'static str,
    actual: usize,
    factors: &[usize],
) -> Result<(), KernelError> {
    match product(factors) {
        Some(expected) if expected == actual => Ok(()),
        Some(expected) => Err(KernelError::Length {
            arg,
            expected,
            actual,
        }),
        None => Err(KernelError::Overflow { arg }),
    }
}

/// A shape of up to three factors; unused factors are 1.
pub(crate) type Shape = [usize; 3];

/// A slice of a kernel: its name (the field of the input or output struct)
/// and the shape the dimensions give it.
pub(crate) type Arg = (&'static str, Shape);

/// Checks `lens[i] == product(args[i].1)` for every argument, in order.
pub(crate) fn check_lens<const N: usize>(
    args: &[Arg; N],
    lens: &[usize; N],
) -> Result<(), KernelError> {
    for (&(name, shape), &len) in args.iter().zip(lens) {
        expect_len(name, len, &shape)?;
    }
    Ok(())
}

/// Whether every argument's element count fits in `usize`.
pub(crate) fn sizes_fit(args: &[Arg]) -> bool {
    args.iter().all(|(_, s)| product(s).is_some())
}

/// Requires a workspace of at least `needed` elements (`None`: the size
/// overflows).
pub(crate) fn expect_workspace(actual: usize, needed: Option<usize>) -> Result<(), KernelError> {
    match needed {
        Some(n) if actual >= n => Ok(()),
        Some(n) => Err(KernelError::Length {
            arg: "ws",
            expected: n,
            actual,
        }),
        None => Err(KernelError::Overflow { arg: "ws" }),
    }
}
