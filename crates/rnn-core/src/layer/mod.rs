//! Recurrent layers with PyTorch's conventions: one call runs one layer in
//! one direction over a batch of sequences of given lengths.
//!
//! # Layout
//!
//! `x` is `[t][n][n_in]` (time-major), `output` `[t][n][h]`, the states
//! `[n][h]`; the weights are PyTorch's, `w_ih` `(G·h) × n_in`, `w_hh`
//! `(G·h) × h`, `b_ih`, `b_hh` `[G·h]`, with the gates stacked in PyTorch's
//! order (LSTM `i, f, g, o`; GRU `r, z, n`). The cell comes from
//! [`LayerDims::cell`]:
//!
//! | cell | layer | G | saved rows per step |
//! |---|---|---|---|
//! | 0 | RNN, tanh | 1 | `h'` |
//! | 1 | RNN, ReLU | 1 | `h'` |
//! | 2 | LSTM | 4 | `i, f, g, o` (activated), `c'`, `h'` |
//! | 3 | GRU, reset after the product (`r ∘ (W_hn h + b_hn)`) | 3 | `r, z, n`, `hn`, `h'` |
//! | 4 | GRU, reset before the product (`W_hn (r ∘ h) + b_hn`) | 3 | `r, z, n`, `hn`, `h'` |
//!
//! # Other functions: `gates` and `p`
//!
//! An empty `gates` gives the cells' standard functions (PyTorch's: sigmoid
//! gates, tanh candidate and `h(c')`, the RNN's tanh or ReLU). Otherwise
//! `gates` holds 11 values, ONNX's recurrent operators' options:
//!
//! | index | value |
//! |---|---|
//! | 0, 1, 2 | `f`: code, α, β. The gates' function (LSTM `i, f, o`; GRU `r, z`); an RNN's state function, for either RNN cell |
//! | 3, 4, 5 | `g`: the candidate's function (LSTM `g`, GRU `n`); unused by an RNN |
//! | 6, 7, 8 | `h`: the LSTM's function of the cell state in `h' = o ∘ h(c')`; unused by other cells |
//! | 9 | clip: every gate pre-activation is bounded to `[−clip, clip]` before its function; 0: none |
//! | 10 | input_forget, 0 or 1 (LSTM only): `f = 1 − i`, `f`'s weights unused |
//!
//! The codes, ONNX's functions: 0 Sigmoid, 1 Tanh, 2 Relu (`max(0, x)`),
//! 3 HardSigmoid (`max(0, min(1, αx + β))`), 4 Affine (`αx + β`),
//! 5 LeakyRelu (`x ≥ 0 ? x : αx`), 6 ThresholdedRelu (`x > α ? x : 0`),
//! 7 ScaledTanh (`α·tanh(βx)`), 8 Elu (`x ≥ 0 ? x : α(eˣ − 1)`),
//! 9 Softsign (`x / (1 + |x|)`), 10 Softplus (`log(1 + eˣ)`). α and β are
//! used as given (callers fill in ONNX's defaults) and must be finite.
//!
//! `p` (forward only), empty or for the LSTM `[3][h]`: the peepholes in the
//! order `i, f, o` (ONNX's is `i, o, f`): `p_i ∘ c` and `p_f ∘ c` are added
//! to the `i` and `f` pre-activations, `p_o ∘ c'` to `o`'s, after both
//! biases and before the clip.
//!
//! The semantics are onnxruntime's: the GRU's clip bounds `z`, `r` and the
//! whole `n` pre-activation (including `r ∘ (W_hn h + b_hn)` or
//! `W_hn (r ∘ h) + b_hn`). `saved` keeps its layout (the activated values);
//! the backward pass takes each function's derivative from its value (the
//! LSTM's `h(c')` recomputed from `c'`), so [`layer_forward`] refuses `keep`
//! 1 with peepholes, a clip or input_forget, and [`layer_backward`] refuses
//! a clip, input_forget and LeakyRelu or Elu with α < 0. A non-standard call
//! (non-empty `gates` or `p`) runs one element at a time; the standard one
//! is vectorised. A refused `gates` value is [`KernelError::Value`] with
//! `arg` `"gates"` and `value` the index of the first value refused.
//!
//! # Packed order
//!
//! Sequences run in PyTorch's packed order ([`PackedOrder`]): ranked by
//! length, longest first (ties by index), so the sequences still running at
//! processing step `s` are always ranks `0..n_s` and a step computes only
//! those columns. Padded steps cost nothing. `saved`, which the forward pass
//! writes for the backward pass, holds step `s` as an `[S][n_s]` block at
//! `S·off_s` (`S` = [`Layer::saved_width`]); its tail, from `S·R`, is zero.
//!
//! # Float32 twins
//!
//! [`layer_forward_f32`] and [`layer_backward_f32`] take the same arguments
//! and workspace and write the same layout, but run every GEMM in float32
//! ([`crate::gemm::Precision::F32`]): the packing rounds each weight, input,
//! state and gradient operand to float32, and the products and their sums
//! (biases included, as the extra column of the packed weight) are float32,
//! as in a float32 layer. The element-wise cell math (activations, `c'`,
//! `h'` and their gradients) then runs in float64 on those float32 sums, and
//! the cell state stays float64 from step to step: the GEMMs are nearly all
//! of the work, and each activation, the float64 one, is within one float32
//! ulp of the exact value once the caller rounds it to float32. The boundary
//! stays float64 (float32 values, exactly), so the twins share every
//! wrapper, check and buffer of their float64 kernels.

mod backward;
mod forward;
mod gates;

pub use backward::{layer_backward, layer_backward_f32, layer_backward_workspace_len};
pub use forward::{layer_forward, layer_forward_f32, layer_forward_workspace_len};

use crate::simd::{ld, st, Lanes, LANES};
use crate::{check_lens, sizes_fit, Arg, KernelError};

/// [`ld`] with the width `w` ([`LANES`] or 1) a value: a constant `w` gives
/// `ld::<w>` itself, a variable one a test per load.
#[inline(always)]
pub(super) fn ldw(s: &[f64], e: usize, w: usize) -> Lanes {
    if w == LANES {
        ld::<LANES>(s, e)
    } else {
        ld::<1>(s, e)
    }
}

/// [`st`] with the width `w` a value, as [`ldw`].
#[inline(always)]
pub(super) fn stw(v: Lanes, s: &mut [f64], e: usize, w: usize) {
    if w == LANES {
        st::<LANES>(v, s, e);
    } else {
        st::<1>(v, s, e);
    }
}

/// Sizes and options of one layer call ([`layer_forward`],
/// [`layer_backward`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerDims {
    /// The cell: 0 RNN tanh, 1 RNN ReLU, 2 LSTM, 3 GRU (reset after the
    /// product, PyTorch's), 4 GRU (reset before the product).
    pub cell: usize,
    /// Input features per step.
    pub n_in: usize,
    /// Hidden size.
    pub h: usize,
    /// Batch size (sequences).
    pub n: usize,
    /// Time steps (the longest length allowed).
    pub t: usize,
    /// 0: the forward direction; 1: the reverse direction.
    pub reverse: usize,
    /// 1: write `saved` for the backward pass; 0: inference only (`saved`
    /// is empty). Ignored by [`layer_backward`].
    pub keep: usize,
}

/// Inputs of [`layer_forward`].
#[derive(Clone, Copy, Debug)]
pub struct LayerForwardIn<'a> {
    /// Inputs, `[t][n][n_in]`.
    pub x: &'a [f64],
    /// Length of each sequence, `[n]`: integers in `0..=t`.
    pub lengths: &'a [f64],
    /// Initial hidden states, `[n][h]`.
    pub h0: &'a [f64],
    /// Initial cell states, `[n][h]` for the LSTM, else empty.
    pub c0: &'a [f64],
    /// Input weights, `(G·h) × n_in`.
    pub w_ih: &'a [f64],
    /// Recurrent weights, `(G·h) × h`.
    pub w_hh: &'a [f64],
    /// Input bias, `[G·h]`.
    pub b_ih: &'a [f64],
    /// Recurrent bias, `[G·h]`.
    pub b_hh: &'a [f64],
    /// The cell's functions: empty for the standard ones, or the 11 values
    /// the module documentation lists.
    pub gates: &'a [f64],
    /// The LSTM's peepholes `[3][h]` (order `i, f, o`), or empty (always
    /// for other cells).
    pub p: &'a [f64],
}

/// Outputs of [`layer_forward`].
#[derive(Debug)]
pub struct LayerForwardOut<'a> {
    /// Each sequence's hidden state after each time, `[t][n][h]`; 0 at
    /// times past its length.
    pub output: &'a mut [f64],
    /// Each sequence's last hidden state, `[n][h]`.
    pub h_n: &'a mut [f64],
    /// Each sequence's last cell state, `[n][h]` for the LSTM, else empty.
    pub c_n: &'a mut [f64],
    /// What the backward pass needs, `[t·n·S]` in packed order when `keep`
    /// is 1, else empty.
    pub saved: &'a mut [f64],
}

/// Inputs of [`layer_backward`].
#[derive(Clone, Copy, Debug)]
pub struct LayerBackwardIn<'a> {
    /// Gradient for `output`, `[t][n][h]` (ignored past each length).
    pub d_output: &'a [f64],
    /// Gradient for `h_n`, `[n][h]`.
    pub dh_n: &'a [f64],
    /// Gradient for `c_n`, `[n][h]` for the LSTM, else empty.
    pub dc_n: &'a [f64],
    /// `saved` as [`layer_forward`] wrote it with `keep` 1, `[t·n·S]`.
    pub saved: &'a [f64],
    /// Inputs of the forward pass, `[t][n][n_in]`.
    pub x: &'a [f64],
    /// Lengths of the forward pass, `[n]`.
    pub lengths: &'a [f64],
    /// Initial hidden states of the forward pass, `[n][h]`.
    pub h0: &'a [f64],
    /// Initial cell states of the forward pass, `[n][h]` (LSTM) or empty.
    pub c0: &'a [f64],
    /// Input weights, `(G·h) × n_in`.
    pub w_ih: &'a [f64],
    /// Recurrent weights, `(G·h) × h`.
    pub w_hh: &'a [f64],
    /// The forward pass's `gates` (empty, or 11 values without a clip or
    /// input_forget).
    pub gates: &'a [f64],
}

/// Outputs of [`layer_backward`].
#[derive(Debug)]
pub struct LayerBackwardOut<'a> {
    /// Gradient for `x`, `[t][n][n_in]`; 0 at times past each length.
    pub dx: &'a mut [f64],
    /// Gradient for `h0`, `[n][h]`.
    pub dh0: &'a mut [f64],
    /// Gradient for `c0`, `[n][h]` (LSTM) or empty.
    pub dc0: &'a mut [f64],
    /// Gradient for `w_ih`, `(G·h) × n_in`.
    pub dw_ih: &'a mut [f64],
    /// Gradient for `w_hh`, `(G·h) × h`.
    pub dw_hh: &'a mut [f64],
    /// Gradient for `b_ih`, `[G·h]`.
    pub db_ih: &'a mut [f64],
    /// Gradient for `b_hh`, `[G·h]`.
    pub db_hh: &'a mut [f64],
}

/// The recurrent cell of a layer ([`LayerDims::cell`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    RnnTanh,
    /// `h' = max(0, W_ih x + b_ih + W_hh h + b_hh)`.
    RnnRelu,
    /// PyTorch's LSTM, gates `i, f, g, o`.
    Lstm,
    /// PyTorch's GRU: `n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))`.
    Gru,
    /// The GRU with the reset applied before the product:
    /// `n = tanh(W_in x + b_in + W_hn (r ∘ h) + b_hn)`.
    GruResetBefore,
}

impl Cell {
    /// Largest valid value of [`LayerDims::cell`].
    pub(crate) const MAX: usize = 4;

    /// The cell `v` names, or the error for an unknown one.
    pub(crate) fn from_dim(v: usize) -> Result<Self, KernelError> {
        Ok(match v {
            0 => Self::RnnTanh,
            1 => Self::RnnRelu,
            2 => Self::Lstm,
            3 => Self::Gru,
            4 => Self::GruResetBefore,
            _ => {
                return Err(KernelError::Value {
                    arg: "cell",
                    value: v,
                    max: Self::MAX,
                })
            }
        })
    }

    /// Gates `G`: the rows of the weights are `G·h`.
    pub(crate) fn gates(self) -> usize {
        match self {
            Self::RnnTanh | Self::RnnRelu => 1,
            Self::Lstm => 4,
            Self::Gru | Self::GruResetBefore => 3,
        }
    }

    /// Blocks of `h` rows each step writes to `saved` (`S = blocks·h`).
    pub(crate) fn saved_blocks(self) -> usize {
        match self {
            Self::RnnTanh | Self::RnnRelu => 1,
            Self::Lstm => 6,
            Self::Gru | Self::GruResetBefore => 5,
        }
    }

    /// Whether the cell has a cell state (`c0`, `c_n`, `dc_n`, `dc0`).
    pub(crate) fn has_c(self) -> bool {
        self == Self::Lstm
    }
}

/// A 0/1 option of [`LayerDims`], or the error naming it.
fn flag(arg: &'static str, v: usize) -> Result<bool, KernelError> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(KernelError::Value {
            arg,
            value: v,
            max: 1,
        }),
    }
}

/// [`LayerDims`] validated, with the sizes derived from it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layer {
    pub(crate) cell: Cell,
    pub(crate) n_in: usize,
    pub(crate) h: usize,
    pub(crate) n: usize,
    pub(crate) t: usize,
    pub(crate) reverse: bool,
    /// `keep` (always true for the backward pass, which reads `saved`).
    pub(crate) keep: bool,
    /// `G·h`, the rows of the weights.
    pub(crate) gh: usize,
    /// `S`, the values `saved` holds per sequence and step.
    pub(crate) saved_width: usize,
    /// `h` for the LSTM (the length of `c0` etc. per sequence), else 0.
    pub(crate) hc: usize,
}

impl Layer {
    /// Validates `cell`, `reverse` and (when `use_keep`) `keep`, and derives
    /// the sizes; an error for an unknown value or a size that overflows.
    pub(crate) fn new(d: &LayerDims, use_keep: bool) -> Result<Self, KernelError> {
        let cell = Cell::from_dim(d.cell)?;
        let reverse = flag("reverse", d.reverse)?;
        let keep = if use_keep {
            flag("keep", d.keep)?
        } else {
            true
        };
        let gh = cell
            .gates()
            .checked_mul(d.h)
            .ok_or(KernelError::Overflow { arg: "w_ih" })?;
        let saved_width = cell
            .saved_blocks()
            .checked_mul(d.h)
            .ok_or(KernelError::Overflow { arg: "saved" })?;
        Ok(Self {
            cell,
            n_in: d.n_in,
            h: d.h,
            n: d.n,
            t: d.t,
            reverse,
            keep,
            gh,
            saved_width,
            hc: if cell.has_c() { d.h } else { 0 },
        })
    }

    /// [`layer_forward`]'s slices and their shapes: the inputs, then the
    /// outputs, in the order of the structs' fields.
    pub(crate) fn forward_shapes(&self) -> [Arg; 12] {
        let Self {
            n_in, h, n, t, gh, ..
        } = *self;
        let saved_n = if self.keep { n } else { 0 };
        [
            ("x", [t, n, n_in]),
            ("lengths", [n, 1, 1]),
            ("h0", [n, h, 1]),
            ("c0", [n, self.hc, 1]),
            ("w_ih", [gh, n_in, 1]),
            ("w_hh", [gh, h, 1]),
            ("b_ih", [gh, 1, 1]),
            ("b_hh", [gh, 1, 1]),
            ("output", [t, n, h]),
            ("h_n", [n, h, 1]),
            ("c_n", [n, self.hc, 1]),
            ("saved", [t, saved_n, self.saved_width]),
        ]
    }

    /// [`layer_backward`]'s slices and their shapes, as
    /// [`Layer::forward_shapes`].
    pub(crate) fn backward_shapes(&self) -> [Arg; 17] {
        let Self {
            n_in, h, n, t, gh, ..
        } = *self;
        [
            ("d_output", [t, n, h]),
            ("dh_n", [n, h, 1]),
            ("dc_n", [n, self.hc, 1]),
            ("saved", [t, n, self.saved_width]),
            ("x", [t, n, n_in]),
            ("lengths", [n, 1, 1]),
            ("h0", [n, h, 1]),
            ("c0", [n, self.hc, 1]),
            ("w_ih", [gh, n_in, 1]),
            ("w_hh", [gh, h, 1]),
            ("dx", [t, n, n_in]),
            ("dh0", [n, h, 1]),
            ("dc0", [n, self.hc, 1]),
            ("dw_ih", [gh, n_in, 1]),
            ("dw_hh", [gh, h, 1]),
            ("db_ih", [gh, 1, 1]),
            ("db_hh", [gh, 1, 1]),
        ]
    }

    /// Checks the lengths of [`layer_forward`]'s slices (in the order of
    /// [`Layer::forward_shapes`]).
    pub(crate) fn check_forward(&self, lens: &[usize; 12]) -> Result<(), KernelError> {
        check_lens(&self.forward_shapes(), lens)
    }

    /// Checks the lengths of [`layer_backward`]'s slices (in the order of
    /// [`Layer::backward_shapes`]).
    pub(crate) fn check_backward(&self, lens: &[usize; 17]) -> Result<(), KernelError> {
        check_lens(&self.backward_shapes(), lens)
    }

    /// Whether every slice of [`layer_forward`] has a size that fits.
    pub(crate) fn forward_fits(&self) -> bool {
        sizes_fit(&self.forward_shapes())
    }

    /// Whether every slice of [`layer_backward`] has a size that fits.
    pub(crate) fn backward_fits(&self) -> bool {
        sizes_fit(&self.backward_shapes())
    }
}

/// Requires every `lengths[j]` to be an integer in `0..=t`.
pub(crate) fn check_lengths(lengths: &[f64], t: usize) -> Result<(), KernelError> {
    for (index, &v) in lengths.iter().enumerate() {
        // NaN fails the range test; `t as f64` may round up for a huge `t`,
        // so the conversion is checked again.
        let ok = v >= 0.0 && v.fract() == 0.0 && v <= t as f64 && (v as usize) <= t;
        if !ok {
            return Err(KernelError::SeqLength { index });
        }
    }
    Ok(())
}

/// PyTorch's packed order of a batch: ranks (sequences by length
/// descending, ties by index ascending), the active count `n_s` and the
/// offset `off_s` of every processing step. Built in a slice of the
/// workspace (indices stored as `f64`, exact: they count elements of
/// slices that exist).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedOrder<'a> {
    /// The sequence of each rank, `[n]`.
    seq: &'a [f64],
    /// `n_s` for `s` in `0..t`.
    active: &'a [f64],
    /// `off_s` for `s` in `0..=t` (`off_t = R`).
    offset: &'a [f64],
    /// The lengths, by sequence.
    lengths: &'a [f64],
}

impl<'a> PackedOrder<'a> {
    /// Workspace elements [`PackedOrder::build`] needs: `n + 2t + 1`.
    pub(crate) fn workspace_len(n: usize, t: usize) -> Option<usize> {
        n.checked_add(t.checked_mul(2)?)?.checked_add(1)
    }

    /// The order of `lengths` (validated by [`check_lengths`] against `t`),
    /// built in `buf` (at least [`PackedOrder::workspace_len`] long); the
    /// rest of `buf` is returned. An error only if `R` would overflow.
    pub(crate) fn build(
        lengths: &'a [f64],
        t: usize,
        buf: &'a mut [f64],
    ) -> Result<(Self, &'a mut [f64]), KernelError> {
        let n = lengths.len();
        let (seq, rest) = buf.split_at_mut(n);
        let (active, rest) = rest.split_at_mut(t);
        let (offset, rest) = rest.split_at_mut(t + 1);
        // Ranked by a counting sort on the lengths (integers in 0..=t),
        // longest first, stable, so ties keep the order of the indices;
        // `offset` holds the counts, then the next free rank, of each length
        // (slot t − L for length L) until it is filled below.
        offset.fill(0.0);
        for &len in lengths {
            offset[t - len as usize] += 1.0;
        }
        let mut next = 0.0;
        for v in offset.iter_mut() {
            let count = *v;
            *v = next;
            next += count;
        }
        for (j, &len) in lengths.iter().enumerate() {
            let slot = &mut offset[t - len as usize];
            seq[*slot as usize] = j as f64;
            *slot += 1.0;
        }
        // n_s = #{rank r : L_r > s}, non-increasing in s.
        let mut n_s = n;
        let mut off = 0usize;
        for s in 0..t {
            while n_s > 0 && lengths[seq[n_s - 1] as usize] as usize <= s {
                n_s -= 1;
            }
            active[s] = n_s as f64;
            offset[s] = off as f64;
            off = off
                .checked_add(n_s)
                .ok_or(KernelError::Overflow { arg: "saved" })?;
        }
        offset[t] = off as f64;
        Ok((
            Self {
                seq,
                active,
                offset,
                lengths,
            },
            rest,
        ))
    }

    /// Processing steps (`t`).
    pub(crate) fn steps(&self) -> usize {
        self.active.len()
    }

    /// The sequence of rank `r`.
    #[inline]
    pub(crate) fn seq(&self, r: usize) -> usize {
        self.seq[r] as usize
    }

    /// The length of the sequence of rank `r`.
    #[inline]
    pub(crate) fn len_of_rank(&self, r: usize) -> usize {
        self.lengths[self.seq(r)] as usize
    }

    /// `n_s`: the ranks active at processing step `s` are `0..n_s`.
    #[inline]
    pub(crate) fn active(&self, s: usize) -> usize {
        self.active[s] as usize
    }

    /// `off_s = Σ_{u<s} n_u`, for `s` in `0..=t`.
    #[inline]
    pub(crate) fn offset(&self, s: usize) -> usize {
        self.offset[s] as usize
    }

    /// `R = Σ_j L_j`, the packed rows.
    pub(crate) fn total(&self) -> usize {
        self.offset(self.steps())
    }

    /// The time processing step `s` of rank `r` (active at `s`) reads:
    /// `s` in the forward direction, `L − 1 − s` in the reverse one.
    #[inline]
    pub(crate) fn time(&self, s: usize, r: usize, reverse: bool) -> usize {
        if reverse {
            self.len_of_rank(r) - 1 - s
        } else {
            s
        }
    }
}
