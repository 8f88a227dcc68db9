//! The cells' non-standard functions: the `gates` input of the layer
//! kernels (ONNX's activation list, clip and input_forget) and the LSTM's
//! peepholes `p`.
//!
//! A call with an empty `gates` and `p` runs the cells' standard functions
//! on the vectorised path; any other call runs the general path, one element
//! at a time, which computes every function through [`Act`].

use super::Cell;
use crate::activations::{exp2, one, sigmoid2, tanh2};
use crate::KernelError;

/// The values in a non-empty `gates`.
pub(crate) const GATES_LEN: usize = 11;

/// Largest activation code.
const MAX_CODE: usize = 10;

/// Index in `gates` of clip and of input_forget.
const CLIP: usize = 9;
const INPUT_FORGET: usize = 10;

/// One activation function with its parameters (ONNX's formulas).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Act {
    code: usize,
    alpha: f64,
    beta: f64,
}

/// `v` bounded to `[lo, hi]`; NaN stays NaN.
#[inline(always)]
fn bound(v: f64, lo: f64, hi: f64) -> f64 {
    if v < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v
    }
}

impl Act {
    const SIGMOID: Self = Self::new(0);
    const TANH: Self = Self::new(1);
    const RELU: Self = Self::new(2);

    const fn new(code: usize) -> Self {
        Self {
            code,
            alpha: 0.0,
            beta: 0.0,
        }
    }

    /// The function of `x`. Not inlined, and each lane function appears
    /// once: the general path calls it from many places (the module's
    /// size).
    #[inline(never)]
    pub(crate) fn apply(self, x: f64) -> f64 {
        let (a, b) = (self.alpha, self.beta);
        match self.code {
            0 => one(sigmoid2, x),
            // Tanh is ScaledTanh with α = β = 1 (exactly: both products are exact).
            1 | 7 => {
                let (a, b) = if self.code == 1 { (1.0, 1.0) } else { (a, b) };
                a * one(tanh2, b * x)
            }
            2 => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            3 => bound(a * x + b, 0.0, 1.0),
            4 => a * x + b,
            5 => {
                if x >= 0.0 {
                    x
                } else {
                    a * x
                }
            }
            6 => {
                if x > a {
                    x
                } else {
                    0.0
                }
            }
            9 => x / (1.0 + x.abs()),
            // Elu, and Softplus log(1 + e^x) as x + log(1 + e^−x) for x > 0,
            // so that e^x cannot overflow.
            _ => {
                let elu = self.code == 8;
                let e = one(exp2, if elu || x <= 0.0 { x } else { -x });
                if elu {
                    if x >= 0.0 {
                        x
                    } else {
                        a * (e - 1.0)
                    }
                } else if x > 0.0 {
                    x + (1.0 + e).ln()
                } else {
                    (1.0 + e).ln()
                }
            }
        }
    }

    /// The derivative where the function's value is `y` (what `saved`
    /// holds).
    #[inline(never)]
    pub(crate) fn deriv(self, y: f64) -> f64 {
        let (a, b) = (self.alpha, self.beta);
        match self.code {
            0 => y * (1.0 - y),
            1 => 1.0 - y * y,
            2 => f64::from(u8::from(y > 0.0)),
            3 => {
                if y > 0.0 && y < 1.0 {
                    a
                } else {
                    0.0
                }
            }
            4 => a,
            5 => {
                if y > 0.0 {
                    1.0
                } else {
                    a
                }
            }
            6 => f64::from(u8::from(y != 0.0)),
            7 => {
                if a == 0.0 {
                    0.0
                } else {
                    let u = y / a;
                    a * b * (1.0 - u * u)
                }
            }
            8 => {
                if y > 0.0 {
                    1.0
                } else {
                    y + a
                }
            }
            9 => {
                let u = 1.0 - y.abs();
                u * u
            }
            // σ(x) = 1 − e^−y for y = softplus(x).
            _ => 1.0 - one(exp2, -y),
        }
    }
}

/// A cell's functions: `f` the gates' (LSTM `i, f, o`, GRU `r, z`; an RNN's
/// state), `g` the candidate's (LSTM `g`, GRU `n`), `h` the LSTM's `h(c')`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fns {
    pub(crate) f: Act,
    pub(crate) g: Act,
    pub(crate) h: Act,
    /// Bound of every gate pre-activation; 0: none.
    clip: f64,
    /// LSTM: `f = 1 − i`.
    pub(crate) input_forget: bool,
}

/// The error for `gates[index]`.
fn bad(index: usize) -> KernelError {
    KernelError::Value {
        arg: "gates",
        value: index,
        max: GATES_LEN - 1,
    }
}

impl Fns {
    /// The cell's standard functions.
    fn standard(cell: Cell) -> Self {
        let f = match cell {
            Cell::RnnTanh => Act::TANH,
            Cell::RnnRelu => Act::RELU,
            _ => Act::SIGMOID,
        };
        Self {
            f,
            g: Act::TANH,
            h: Act::TANH,
            clip: 0.0,
            input_forget: false,
        }
    }

    /// `v` bounded by the clip.
    #[inline(always)]
    pub(crate) fn clip(&self, v: f64) -> f64 {
        if self.clip > 0.0 {
            bound(v, -self.clip, self.clip)
        } else {
            v
        }
    }

    /// Whether backward can run from what forward saved: no clip, no
    /// input_forget (the forward pass refuses `keep` with either).
    fn invertible(&self) -> bool {
        self.clip == 0.0 && !self.input_forget
    }

    /// The functions `gates` (validated, length 0 or [`GATES_LEN`]) gives
    /// `cell`, or `None` for an empty `gates` when `peepholes` is false too
    /// (the standard path). `backward` adds the backward pass's rules.
    pub(crate) fn parse(
        gates: &[f64],
        peepholes: bool,
        cell: Cell,
        backward: bool,
    ) -> Result<Option<Self>, KernelError> {
        if gates.is_empty() {
            return Ok(peepholes.then(|| Self::standard(cell)));
        }
        let act = |at: usize| -> Result<Act, KernelError> {
            let code = gates[at];
            if !(code >= 0.0 && code <= MAX_CODE as f64 && code.fract() == 0.0) {
                return Err(bad(at));
            }
            if let Some(k) = (at + 1..at + 3).find(|&k| !gates[k].is_finite()) {
                return Err(bad(k));
            }
            Ok(Act {
                code: code as usize,
                alpha: gates[at + 1],
                beta: gates[at + 2],
            })
        };
        let (f, g, h) = (act(0)?, act(3)?, act(6)?);
        let clip = gates[CLIP];
        if clip.is_nan() || clip < 0.0 {
            return Err(bad(CLIP));
        }
        let flag = gates[INPUT_FORGET];
        let input_forget = flag == 1.0;
        if !(flag == 0.0 || (input_forget && cell == Cell::Lstm)) {
            return Err(bad(INPUT_FORGET));
        }
        let fns = Self {
            f,
            g,
            h,
            clip,
            input_forget,
        };
        if backward {
            if clip > 0.0 {
                return Err(bad(CLIP));
            }
            if input_forget {
                return Err(bad(INPUT_FORGET));
            }
            // LeakyRelu and Elu with α < 0 take a value `y > 0` at x < 0
            // too: their derivative is no function of `y`.
            let used = match cell {
                Cell::RnnTanh | Cell::RnnRelu => 1,
                Cell::Gru | Cell::GruResetBefore => 2,
                Cell::Lstm => 3,
            };
            for (slot, a) in [f, g, h].iter().enumerate().take(used) {
                if matches!(a.code, 5 | 8) && a.alpha < 0.0 {
                    return Err(bad(3 * slot + 1));
                }
            }
        }
        Ok(Some(fns))
    }

    /// The forward pass's rule: `keep` only for what backward can invert.
    pub(crate) fn check_keep(fns: &Option<Self>, peepholes: bool) -> Result<(), KernelError> {
        match fns {
            Some(f) if peepholes || !f.invertible() => Err(KernelError::Value {
                arg: "keep",
                value: 1,
                max: 0,
            }),
            _ => Ok(()),
        }
    }
}

/// Requires `gates` to hold 0 or [`GATES_LEN`] values and `p` 0 or `3·h`
/// (the LSTM) or 0 (other cells).
pub(crate) fn check_lens(
    gates: usize,
    p: Option<usize>,
    cell: Cell,
    h: usize,
) -> Result<(), KernelError> {
    if gates != 0 && gates != GATES_LEN {
        return Err(KernelError::Length {
            arg: "gates",
            expected: GATES_LEN,
            actual: gates,
        });
    }
    if let Some(p) = p {
        let expected = if cell == Cell::Lstm { 3 * h } else { 0 };
        if p != 0 && p != expected {
            return Err(KernelError::Length {
                arg: "p",
                expected,
                actual: p,
            });
        }
    }
    Ok(())
}
