//! [`layer_backward`]: backpropagation through time over the packed steps,
//! last step first.
//!
//! - The state gradients are kept feature-major in packed rank order: at
//!   processing step `s`, `dh` (and the LSTM's `dc`) is an `h × n_s`
//!   matrix whose columns are the active ranks `0..n_s`. A rank joins when
//!   the walk reaches its last step, with `dh_n` (`dc_n`) as its carry; the
//!   carry a step computes is written straight in the next step's width
//!   `n_{s−1}`, so nothing is moved when ranks join.
//! - Every step's gate gradients `dz` (`G·h × n_s`, the layout of `saved`)
//!   stay in the workspace, R packed columns in all. The recurrence needs
//!   one GEMM per step over the `n_s` active columns (`W_hhᵀ·dz`, with
//!   `W_hhᵀ` packed once per call); the reset-before GRU needs two, since
//!   its reset gate's gradient depends on `W_hnᵀ·dn`.
//! - The element-wise half of a step (the gate gradients from `saved`, a
//!   vector of lanes at a time) runs over feature rows, which native builds
//!   share among threads on large steps.
//! - Then the weight gradients as GEMMs over all R columns, a run of columns
//!   at a time (`dW_ih = Σ dz_x·xᵀ`, `dW_hh = Σ dz_h·h_prevᵀ`), and
//!   `dx = W_ihᵀ·dz_x` hoisted out of the recurrence the same way, its rows
//!   scattered to `[t][n][n_in]`. Padded steps cost nothing.
//!
//! `dz_x` (the gradient of the input projection's pre-activations) and
//! `dz_h` (of the recurrent one's) are the same except for the GRU's `n`
//! rows: with the reset after the product, `dz_h = dn ∘ r` for them (kept in
//! a second buffer); with the reset before it, `dz_h = dn` but the weight
//! acts on `r ∘ h_prev` (kept in that buffer instead).

use super::gates::{self, Fns};
use super::{
    check_lengths, Cell, Layer, LayerBackwardIn, LayerBackwardOut, LayerDims, PackedOrder,
};
use super::{ldw, stw};
use crate::activations::tanh2;
use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs, Precision};
use crate::seq::{lhs_len, rhs_len, sum, take};
#[cfg(target_arch = "wasm32")]
use crate::simd::LANES;
use crate::simd::{wide, Lanes};
use crate::{expect_workspace, KernelError};

/// Packed columns per run of the weight-gradient and `dx` GEMMs. A run's
/// packed `dz` is `G·h × GRAD_K` (16 MiB for the LSTM at h = 512): long runs
/// read and write the gradient matrices few times, as in `seq.rs`.
const GRAD_K: usize = 1024;

/// The workspace, part by part (elements); the worst case `R = n·t`, since
/// the lengths are not known when it is sized.
struct Plan {
    /// The packed order ([`PackedOrder`]).
    order: usize,
    /// `dz`, `G·h × R`.
    dz: usize,
    /// The GRU's second `n`-row buffer, `h × R` (see the module docs).
    dzh: usize,
    /// One state gradient, `h × n` (two of them, ping-pong), and the
    /// gathered `h0`.
    state: usize,
    /// The same for the cell state (LSTM), else 0.
    cstate: usize,
    /// `W_hnᵀ·dn` of a step (reset-before GRU), else 0.
    drh: usize,
    /// The recurrence: packed `W_hhᵀ` and one packed step of `dz`.
    recur: usize,
    /// Columns per run of the gradient GEMMs.
    kc: usize,
    /// The weight gradients: a run of packed `dz` and of `[x]` or `[h_prev]`.
    grads: usize,
    /// `dx`: packed `W_ih`, a run of packed `dzᵀ`, its `dx` rows.
    dx: usize,
}

impl Plan {
    fn new(l: &Layer) -> Option<Self> {
        let Layer {
            cell,
            n_in,
            h,
            n,
            t,
            gh,
            hc,
            ..
        } = *l;
        let cols = n.checked_mul(t)?;
        let gru = matches!(cell, Cell::Gru | Cell::GruResetBefore);
        let w_t = if cell == Cell::GruResetBefore {
            sum(&[lhs_len(h, Some(h)), lhs_len(h, h.checked_mul(2))])?
        } else {
            lhs_len(h, Some(gh))?
        };
        let kc = GRAD_K.min(cols).max(1);
        Some(Self {
            order: PackedOrder::workspace_len(n, t)?,
            dz: gh.checked_mul(cols)?,
            dzh: if gru { h.checked_mul(cols)? } else { 0 },
            state: h.checked_mul(n)?,
            cstate: hc.checked_mul(n)?,
            drh: if cell == Cell::GruResetBefore {
                h.checked_mul(n)?
            } else {
                0
            },
            recur: sum(&[Some(w_t), rhs_len(Some(gh), n)])?,
            kc,
            grads: sum(&[lhs_len(gh, Some(kc)), rhs_len(Some(kc), n_in.max(h))])?,
            dx: sum(&[
                rhs_len(Some(gh), n_in),
                lhs_len(kc, Some(gh)),
                kc.checked_mul(n_in),
            ])?,
        })
    }

    fn total(&self) -> Option<usize> {
        let phase = self.recur.max(self.grads).max(self.dx);
        sum(&[
            Some(self.order),
            Some(self.dz),
            Some(self.dzh),
            self.state.checked_mul(3),
            self.cstate.checked_mul(3),
            Some(self.drh),
            Some(phase),
        ])
    }
}

/// Whether the layer has no step to run whatever the lengths: then every
/// gradient is zero or passes `dh_n` (`dc_n`) through, and no workspace is
/// needed.
fn trivial(l: &Layer) -> bool {
    l.n == 0 || l.t == 0 || l.h == 0
}

/// Workspace elements [`layer_backward`] needs; `None` for an unknown
/// `cell` or `reverse`, or sizes that overflow.
pub fn layer_backward_workspace_len(d: &LayerDims) -> Option<usize> {
    let l = Layer::new(d, false).ok()?;
    if !l.backward_fits() {
        return None;
    }
    if trivial(&l) {
        return Some(0);
    }
    Plan::new(&l)?.total()
}

/// Gradients of `sum(output·d_output) + sum(h_n·dh_n) + sum(c_n·dc_n)`
/// with respect to `x`, `h0`, `c0`, `w_ih`, `w_hh`, `b_ih` and `b_hh`, from
/// what [`layer_forward`](super::layer_forward) saved (`keep` = 1).
///
/// `d_output` past each sequence's length is ignored, and `dx` there is 0;
/// a sequence of length 0 passes `dh_n` (`dc_n`) to `dh0` (`dc0`).
///
/// `gates` must be the forward pass's (see the module documentation of
/// `layer`): without a clip or input_forget, and with LeakyRelu and Elu only
/// for α ≥ 0 in the slots the cell reads; each derivative is taken from the
/// value `saved` holds.
///
/// Refused before anything is written, in this order: an unknown `cell` or
/// `reverse` ([`KernelError::Value`]), a slice of the wrong length (`gates`:
/// 0 or 11), a workspace shorter than [`layer_backward_workspace_len`], a
/// `gates` value it cannot take ([`KernelError::Value`] naming `gates`),
/// then a length that is not an integer in `0..=t`
/// ([`KernelError::SeqLength`]).
pub fn layer_backward(
    d: &LayerDims,
    i: LayerBackwardIn<'_>,
    o: LayerBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    backward(Precision::F64, d, i, o, ws)
}

/// [`layer_backward`] with float32 products (the backward pass of
/// [`crate::layer_forward_f32`]): every GEMM — each step's `W_hhᵀ·dz`, the
/// weight gradients summed over all steps, `dx` — rounds its operands to
/// float32 and sums in float32; the element-wise gradients run in float64.
/// Same arguments, workspace and refusals.
pub fn layer_backward_f32(
    d: &LayerDims,
    i: LayerBackwardIn<'_>,
    o: LayerBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    backward(Precision::F32, d, i, o, ws)
}

/// [`layer_backward`] in either precision.
fn backward(
    prec: Precision,
    d: &LayerDims,
    i: LayerBackwardIn<'_>,
    o: LayerBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let l = Layer::new(d, false)?;
    let LayerBackwardIn {
        d_output,
        dh_n,
        dc_n,
        saved,
        x,
        lengths,
        h0,
        c0,
        w_ih,
        w_hh,
        gates,
    } = i;
    let LayerBackwardOut {
        dx,
        dh0,
        dc0,
        dw_ih,
        dw_hh,
        db_ih,
        db_hh,
    } = o;
    l.check_backward(&[
        d_output.len(),
        dh_n.len(),
        dc_n.len(),
        saved.len(),
        x.len(),
        lengths.len(),
        h0.len(),
        c0.len(),
        w_ih.len(),
        w_hh.len(),
        dx.len(),
        dh0.len(),
        dc0.len(),
        dw_ih.len(),
        dw_hh.len(),
        db_ih.len(),
        db_hh.len(),
    ])?;
    gates::check_lens(gates.len(), None, l.cell, l.h)?;
    expect_workspace(ws.len(), layer_backward_workspace_len(d))?;
    // The general path, chosen once: `None` runs the vectorised one.
    let fns = Fns::parse(gates, false, l.cell, true)?;
    check_lengths(lengths, l.t)?;
    // What a sequence without steps gets; the steps below overwrite the rest.
    dx.fill(0.0);
    dh0.copy_from_slice(dh_n);
    dc0.copy_from_slice(dc_n);
    if trivial(&l) {
        dw_ih.fill(0.0);
        dw_hh.fill(0.0);
        db_ih.fill(0.0);
        db_hh.fill(0.0);
        return Ok(());
    }
    // `trivial` is false, so the plan exists (the workspace check passed).
    let plan = Plan::new(&l).ok_or(KernelError::Overflow { arg: "ws" })?;
    let (order, ws) = PackedOrder::build(lengths, l.t, ws)?;
    let total = order.total();
    if total == 0 {
        dw_ih.fill(0.0);
        dw_hh.fill(0.0);
        db_ih.fill(0.0);
        db_hh.fill(0.0);
        return Ok(());
    }
    let (dz, ws) = take(ws, plan.dz);
    let (dzh, ws) = take(ws, plan.dzh);
    let (h0p, ws) = take(ws, plan.state);
    let (dh_a, ws) = take(ws, plan.state);
    let (dh_b, ws) = take(ws, plan.state);
    let (c0p, ws) = take(ws, plan.cstate);
    let (dc_a, ws) = take(ws, plan.cstate);
    let (dc_b, ws) = take(ws, plan.cstate);
    let (drh, ws) = take(ws, plan.drh);
    let k = Ctx {
        l,
        prec,
        fns,
        order,
        saved,
        x,
        w_ih,
        w_hh,
    };
    let (h, hc) = (l.h, l.hc);

    // The initial states of the ranks that run, gathered feature-major.
    let n0 = order.active(0);
    for r in 0..n0 {
        let j = order.seq(r);
        for (q, &v) in h0[j * h..(j + 1) * h].iter().enumerate() {
            h0p[q * n0 + r] = v;
        }
        for (q, &v) in c0[j * hc..(j + 1) * hc].iter().enumerate() {
            c0p[q * n0 + r] = v;
        }
    }
    let carry = Carry {
        dh: [dh_a, dh_b],
        dc: [dc_a, dc_b],
        drh,
    };
    let (dh, dc) = k.recurrence(
        Steps {
            dz: &mut *dz,
            dzh: &mut *dzh,
        },
        carry,
        Starts {
            h0p,
            c0p,
            d_output,
            dh_n,
            dc_n,
        },
        ws,
    )?;
    for r in 0..n0 {
        let j = order.seq(r);
        for (q, v) in dh0[j * h..(j + 1) * h].iter_mut().enumerate() {
            *v = dh[q * n0 + r];
        }
        for (q, v) in dc0[j * hc..(j + 1) * hc].iter_mut().enumerate() {
            *v = dc[q * n0 + r];
        }
    }
    let steps = Steps { dz, dzh };
    k.biases(&steps, db_ih, db_hh);
    k.weights(&steps, h0p, plan.kc, dw_ih, dw_hh, ws)?;
    k.inputs(&steps, plan.kc, dx, ws)
}

/// What every phase reads.
struct Ctx<'a> {
    l: Layer,
    /// The GEMMs' precision.
    prec: Precision,
    /// The functions of the general path, or `None` (the standard ones).
    fns: Option<Fns>,
    order: PackedOrder<'a>,
    saved: &'a [f64],
    x: &'a [f64],
    w_ih: &'a [f64],
    w_hh: &'a [f64],
}

/// The per-step gradients of all packed steps: `dz` (`G·h` rows) and the
/// GRU's second `n`-row buffer `dzh` (`h` rows), step `s` at column
/// `off_s`, `[rows][n_s]` like `saved`.
struct Steps<'w> {
    dz: &'w mut [f64],
    dzh: &'w mut [f64],
}

/// Inputs of the recurrence.
struct Starts<'a> {
    /// `h0` and `c0` of ranks `0..n_0`, feature-major.
    h0p: &'a [f64],
    c0p: &'a [f64],
    d_output: &'a [f64],
    dh_n: &'a [f64],
    dc_n: &'a [f64],
}

/// The state gradients (two of each, the current step's and the next's)
/// and the reset-before GRU's `W_hnᵀ·dn`.
struct Carry<'w> {
    dh: [&'w mut [f64]; 2],
    dc: [&'w mut [f64]; 2],
    drh: &'w mut [f64],
}

/// Rows `row0..row0 + rows` and rank columns `r0..r0 + cnt` of step `s`
/// (at column `off`, `n_s` wide) of a buffer laid out like `saved` with
/// `width` rows per step.
#[allow(clippy::too_many_arguments)]
fn step_view(
    buf: &[f64],
    width: usize,
    off: usize,
    ns: usize,
    row0: usize,
    rows: usize,
    r0: usize,
    cnt: usize,
) -> Result<MatRef<'_>, KernelError> {
    let start = width * off + row0 * ns + r0;
    MatRef::new(buf.get(start..).unwrap_or(&[]), rows, cnt, ns, 1)
}

/// One piece of a run of packed columns: ranks `r0..r1` of step `s`, which
/// start at column `at` of the run.
#[derive(Clone, Copy)]
struct Piece {
    s: usize,
    off: usize,
    ns: usize,
    r0: usize,
    r1: usize,
    at: usize,
}

impl<'a> Ctx<'a> {
    /// The longest length: the steps that run.
    fn steps(&self) -> usize {
        self.order.len_of_rank(0)
    }

    /// The first step with packed columns at or after `c0`, searched from
    /// step `from` on (runs come in order, so each search starts where the
    /// last one ended).
    fn first_step(&self, from: usize, c0: usize) -> usize {
        let mut s = from;
        while s < self.steps() && self.order.offset(s + 1) <= c0 {
            s += 1;
        }
        s
    }

    /// The pieces of packed columns `c0..c1`, from step `first` (see
    /// [`Ctx::first_step`]) on.
    fn pieces(&self, first: usize, c0: usize, c1: usize) -> impl Iterator<Item = Piece> + '_ {
        let order = self.order;
        let steps = self.steps();
        (first..steps)
            .map(move |s| (s, order.offset(s), order.active(s)))
            .take_while(move |&(_, off, _)| off < c1)
            .filter_map(move |(s, off, ns)| {
                let (lo, hi) = (c0.max(off), c1.min(off + ns));
                (lo < hi).then_some(Piece {
                    s,
                    off,
                    ns,
                    r0: lo - off,
                    r1: hi - off,
                    at: lo - c0,
                })
            })
    }

    /// The hidden states step `s` started from, as a buffer and the offset
    /// and row stride of its `h × n_s` block: `h0` gathered for `s = 0`,
    /// else the `h'` rows `saved` holds for step `s − 1`.
    fn h_prev<'b>(&'b self, s: usize, h0p: &'b [f64]) -> (&'b [f64], usize, usize) {
        let l = &self.l;
        if s == 0 {
            return (h0p, 0, self.order.active(0));
        }
        let (ps, po) = (self.order.active(s - 1), self.order.offset(s - 1));
        let rows = (l.cell.saved_blocks() - 1) * l.h;
        (self.saved, l.saved_width * po + rows * ps, ps)
    }

    /// The walk from the last step to the first: fills `dz` (and `dzh`) and
    /// returns the state gradients for the initial states, `h × n_0` (and
    /// the cell state's).
    fn recurrence<'w>(
        &self,
        st: Steps<'_>,
        carry: Carry<'w>,
        i: Starts<'_>,
        ws: &mut [f64],
    ) -> Result<(&'w [f64], &'w [f64]), KernelError> {
        let Layer {
            cell,
            h,
            n,
            reverse,
            gh,
            hc,
            saved_width: sw,
            ..
        } = self.l;
        let prec = self.prec;
        let order = self.order;
        let Steps { dz, dzh } = st;
        let Carry { dh, dc, drh } = carry;
        let [mut cur, mut nxt] = dh;
        let [mut ccur, mut cnxt] = dc;

        // W_hhᵀ packed once (the reset-before GRU: W_hnᵀ and [W_hr; W_hz]ᵀ).
        let w_len = if cell == Cell::GruResetBefore {
            lhs_len(h, Some(h)).unwrap_or(0)
        } else {
            lhs_len(h, Some(gh)).unwrap_or(0)
        };
        let (wbuf, ws) = take(ws, w_len);
        let (w2buf, rbuf) = if cell == Cell::GruResetBefore {
            take(ws, lhs_len(h, Some(2 * h)).unwrap_or(0))
        } else {
            take(ws, 0)
        };
        let w = MatRef::row_major(self.w_hh, gh, h)?;
        let (wt, w2t) = if cell == Cell::GruResetBefore {
            let mut wn = PackedLhs::with(prec, wbuf, h, h)?;
            wn.pack(0, 0, MatRef::new(&self.w_hh[2 * h * h..], h, h, h, 1)?.t())?;
            let mut wrz = PackedLhs::with(prec, w2buf, h, 2 * h)?;
            wrz.pack(0, 0, MatRef::row_major(self.w_hh, 2 * h, h)?.t())?;
            (wn, Some(wrz))
        } else {
            let mut wt = PackedLhs::with(prec, wbuf, h, gh)?;
            wt.pack(0, 0, w.t())?;
            (wt, None)
        };

        let steps = self.steps();
        let n0 = order.active(0);
        for s in (0..steps).rev() {
            let ns = order.active(s);
            let off = order.offset(s);
            // Columns carried from step s + 1; the rest join here.
            let carried = if s + 1 < steps {
                order.active(s + 1)
            } else {
                0
            };
            // The width of the step the carry computed here goes to.
            let nn = if s > 0 { order.active(s - 1) } else { ns };
            for r in carried..ns {
                let j = order.seq(r);
                for (q, &v) in i.dh_n[j * h..(j + 1) * h].iter().enumerate() {
                    cur[q * ns + r] = v;
                }
                for (q, &v) in i.dc_n[j * hc..(j + 1) * hc].iter().enumerate() {
                    ccur[q * ns + r] = v;
                }
            }
            for r in 0..ns {
                let (j, tt) = (order.seq(r), order.time(s, r, reverse));
                let row = &i.d_output[(tt * n + j) * h..(tt * n + j + 1) * h];
                for (q, &v) in row.iter().enumerate() {
                    cur[q * ns + r] += v;
                }
            }
            let sv = &self.saved[sw * off..sw * (off + ns)];
            let (hbuf, hstart, ps) = self.h_prev(s, i.h0p);
            let hp = &hbuf[hstart..];
            let dz_s = &mut dz[gh * off..gh * (off + ns)];
            let dzh_s = if dzh.is_empty() {
                &mut []
            } else {
                &mut dzh[h * off..h * (off + ns)]
            };
            let (cbuf, cstart, cs) = if !cell.has_c() {
                (&[][..], 0, 0)
            } else if s == 0 {
                (i.c0p, 0, n0)
            } else {
                let (ps, po) = (order.active(s - 1), order.offset(s - 1));
                (self.saved, sw * po + 4 * h * ps, ps)
            };
            let input = StepIn {
                h,
                ns,
                nn,
                sv,
                dh: &cur[..h * ns],
                dc: &ccur[..hc * ns],
                hp,
                ps,
                cp: &cbuf[cstart..],
                cs,
                drh: &[],
            };
            let pass = match cell {
                Cell::RnnTanh => Pass::RnnTanh,
                Cell::RnnRelu => Pass::RnnRelu,
                Cell::Lstm => Pass::Lstm,
                Cell::Gru => Pass::Gru,
                Cell::GruResetBefore => Pass::GruFirst,
            };
            let rows = Rows::new(h, &mut *dz_s, ns, &mut *dzh_s, &mut *nxt, &mut *cnxt);
            match &self.fns {
                None => pointwise(pass, rows, &input),
                Some(f) => general_rows(pass, f, rows, &input),
            }
            if cell == Cell::GruResetBefore {
                // d(r∘h) = W_hnᵀ·dn, then what needs it.
                let mut rhs = PackedRhs::with(prec, rbuf, h, ns)?;
                rhs.pack(0, 0, MatRef::row_major(&dz_s[2 * h * ns..], h, ns)?)?;
                gemm_packed(1.0, &wt, &rhs, 0.0, MatMut::row_major(drh, h, ns)?)?;
                let input = StepIn {
                    drh: &drh[..h * ns],
                    ..input
                };
                let rows = Rows::new(h, &mut *dz_s, ns, &mut *dzh_s, &mut *nxt, &mut []);
                match &self.fns {
                    None => pointwise(Pass::GruSecond, rows, &input),
                    Some(f) => general_rows(Pass::GruSecond, f, rows, &input),
                }
            }
            // The carry for step s − 1: W_hhᵀ·dz_h over the active columns,
            // added to the direct terms the GRUs wrote.
            let out = MatMut::new(nxt, h, ns, nn, 1)?;
            match cell {
                Cell::RnnTanh | Cell::RnnRelu | Cell::Lstm => {
                    let mut rhs = PackedRhs::with(prec, rbuf, gh, ns)?;
                    rhs.pack(0, 0, MatRef::row_major(dz_s, gh, ns)?)?;
                    gemm_packed(1.0, &wt, &rhs, 0.0, out)?;
                }
                Cell::Gru => {
                    let mut rhs = PackedRhs::with(prec, rbuf, gh, ns)?;
                    rhs.pack(0, 0, MatRef::row_major(dz_s, 2 * h, ns)?)?;
                    let dhn = &dzh[h * off..h * (off + ns)];
                    rhs.pack(2 * h, 0, MatRef::row_major(dhn, h, ns)?)?;
                    gemm_packed(1.0, &wt, &rhs, 1.0, out)?;
                }
                Cell::GruResetBefore => {
                    let mut rhs = PackedRhs::with(prec, rbuf, 2 * h, ns)?;
                    rhs.pack(0, 0, MatRef::row_major(dz_s, 2 * h, ns)?)?;
                    if let Some(w2t) = &w2t {
                        gemm_packed(1.0, w2t, &rhs, 1.0, out)?;
                    }
                }
            }
            core::mem::swap(&mut cur, &mut nxt);
            core::mem::swap(&mut ccur, &mut cnxt);
        }
        Ok((cur, ccur))
    }

    /// `db_ih` and `db_hh`: the row sums of `dz_x` and `dz_h` over all
    /// packed columns.
    fn biases(&self, st: &Steps<'_>, db_ih: &mut [f64], db_hh: &mut [f64]) {
        let Layer { cell, h, gh, .. } = self.l;
        db_ih.fill(0.0);
        for s in 0..self.steps() {
            let (off, ns) = (self.order.offset(s), self.order.active(s));
            let block = &st.dz[gh * off..gh * (off + ns)];
            for (b, row) in db_ih.iter_mut().zip(block.chunks_exact(ns)) {
                *b += row_sum(row);
            }
        }
        db_hh.copy_from_slice(db_ih);
        if cell == Cell::Gru {
            let db_hn = &mut db_hh[2 * h..];
            db_hn.fill(0.0);
            for s in 0..self.steps() {
                let (off, ns) = (self.order.offset(s), self.order.active(s));
                let block = &st.dzh[h * off..h * (off + ns)];
                for (b, row) in db_hn.iter_mut().zip(block.chunks_exact(ns)) {
                    *b += row_sum(row);
                }
            }
        }
    }

    /// `dW_ih = Σ dz_x·xᵀ` and `dW_hh = Σ dz_h·h_prevᵀ` over all packed
    /// columns, a run of [`GRAD_K`] columns at a time.
    #[allow(clippy::too_many_arguments)]
    fn weights(
        &self,
        st: &Steps<'_>,
        h0p: &[f64],
        kc: usize,
        dw_ih: &mut [f64],
        dw_hh: &mut [f64],
        ws: &mut [f64],
    ) -> Result<(), KernelError> {
        let Layer {
            cell,
            n_in,
            h,
            n,
            reverse,
            gh,
            ..
        } = self.l;
        let prec = self.prec;
        let order = self.order;
        let total = order.total();
        let (lbuf, rbuf) = take(ws, lhs_len(gh, Some(kc)).unwrap_or(0));
        let (mut first, mut c0) = (0, 0);
        while c0 < total {
            let c1 = total.min(c0 + kc);
            let k = c1 - c0;
            let beta = if c0 == 0 { 0.0 } else { 1.0 };
            // dz_x, shared by both products except where noted.
            let mut lhs = PackedLhs::with(prec, &mut *lbuf, gh, k)?;
            first = self.first_step(first, c0);
            for p in self.pieces(first, c0, c1) {
                let v = step_view(st.dz, gh, p.off, p.ns, 0, gh, p.r0, p.r1 - p.r0)?;
                lhs.pack(0, p.at, v)?;
            }
            if n_in > 0 {
                let mut rhs = PackedRhs::with(prec, &mut *rbuf, k, n_in)?;
                for p in self.pieces(first, c0, c1) {
                    for r in p.r0..p.r1 {
                        let (j, tt) = (order.seq(r), order.time(p.s, r, reverse));
                        let row = &self.x[(tt * n + j) * n_in..(tt * n + j + 1) * n_in];
                        rhs.pack(p.at + r - p.r0, 0, MatRef::row_major(row, 1, n_in)?)?;
                    }
                }
                gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(dw_ih, gh, n_in)?)?;
            }
            let mut rhs = PackedRhs::with(prec, &mut *rbuf, k, h)?;
            for p in self.pieces(first, c0, c1) {
                let (buf, at, stride) = self.h_prev(p.s, h0p);
                let v = MatRef::new(&buf[at + p.r0..], h, p.r1 - p.r0, stride, 1)?;
                rhs.pack(p.at, 0, v.t())?;
            }
            match cell {
                Cell::RnnTanh | Cell::RnnRelu | Cell::Lstm => {
                    gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(dw_hh, gh, h)?)?;
                }
                Cell::Gru => {
                    // The n rows of dz_h are dn ∘ r.
                    let mut lhs = PackedLhs::with(prec, &mut *lbuf, gh, k)?;
                    for p in self.pieces(first, c0, c1) {
                        let cnt = p.r1 - p.r0;
                        lhs.pack(
                            0,
                            p.at,
                            step_view(st.dz, gh, p.off, p.ns, 0, 2 * h, p.r0, cnt)?,
                        )?;
                        lhs.pack(
                            2 * h,
                            p.at,
                            step_view(st.dzh, h, p.off, p.ns, 0, h, p.r0, cnt)?,
                        )?;
                    }
                    gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(dw_hh, gh, h)?)?;
                }
                Cell::GruResetBefore => {
                    // The r and z rows act on h_prev, the n rows on r ∘ h_prev.
                    let (w_rz, w_n) = dw_hh.split_at_mut(2 * h * h);
                    let mut lhs = PackedLhs::with(prec, &mut *lbuf, 2 * h, k)?;
                    for p in self.pieces(first, c0, c1) {
                        let cnt = p.r1 - p.r0;
                        lhs.pack(
                            0,
                            p.at,
                            step_view(st.dz, gh, p.off, p.ns, 0, 2 * h, p.r0, cnt)?,
                        )?;
                    }
                    gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(w_rz, 2 * h, h)?)?;
                    let mut lhs = PackedLhs::with(prec, &mut *lbuf, h, k)?;
                    let mut rhs = PackedRhs::with(prec, &mut *rbuf, k, h)?;
                    for p in self.pieces(first, c0, c1) {
                        let cnt = p.r1 - p.r0;
                        let v = step_view(st.dz, gh, p.off, p.ns, 2 * h, h, p.r0, cnt)?;
                        lhs.pack(0, p.at, v)?;
                        let v = step_view(st.dzh, h, p.off, p.ns, 0, h, p.r0, cnt)?;
                        rhs.pack(p.at, 0, v.t())?;
                    }
                    gemm_packed(1.0, &lhs, &rhs, beta, MatMut::row_major(w_n, h, h)?)?;
                }
            }
            c0 = c1;
        }
        Ok(())
    }

    /// `dx = W_ihᵀ·dz_x`, computed as `dz_xᵀ·W_ih` a run of packed columns
    /// at a time, so that each packed column's `dx` is a contiguous row to
    /// copy to its place in `[t][n][n_in]`.
    fn inputs(
        &self,
        st: &Steps<'_>,
        kc: usize,
        dx: &mut [f64],
        ws: &mut [f64],
    ) -> Result<(), KernelError> {
        let Layer {
            n_in,
            n,
            reverse,
            gh,
            ..
        } = self.l;
        let prec = self.prec;
        if n_in == 0 {
            return Ok(());
        }
        let order = self.order;
        let total = order.total();
        let (wbuf, ws) = take(ws, rhs_len(Some(gh), n_in).unwrap_or(0));
        let (lbuf, tmp) = take(ws, lhs_len(kc, Some(gh)).unwrap_or(0));
        let mut w = PackedRhs::with(prec, wbuf, gh, n_in)?;
        w.pack(0, 0, MatRef::row_major(self.w_ih, gh, n_in)?)?;
        let (mut first, mut c0) = (0, 0);
        while c0 < total {
            let c1 = total.min(c0 + kc);
            let k = c1 - c0;
            first = self.first_step(first, c0);
            let mut lhs = PackedLhs::with(prec, &mut *lbuf, k, gh)?;
            for p in self.pieces(first, c0, c1) {
                let v = step_view(st.dz, gh, p.off, p.ns, 0, gh, p.r0, p.r1 - p.r0)?;
                lhs.pack(p.at, 0, v.t())?;
            }
            gemm_packed(1.0, &lhs, &w, 0.0, MatMut::row_major(tmp, k, n_in)?)?;
            for p in self.pieces(first, c0, c1) {
                for r in p.r0..p.r1 {
                    let (j, tt) = (order.seq(r), order.time(p.s, r, reverse));
                    let c = p.at + r - p.r0;
                    dx[(tt * n + j) * n_in..(tt * n + j + 1) * n_in]
                        .copy_from_slice(&tmp[c * n_in..(c + 1) * n_in]);
                }
            }
            c0 = c1;
        }
        Ok(())
    }
}

/// The element-wise passes of a step ([`run_rows`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
    /// The reset-before GRU before `W_hnᵀ·dn`: `d_z`, `d_n`, `dh·z`.
    GruFirst,
    /// The reset-before GRU after it: `d_r`, `r∘h_prev`, the carry.
    GruSecond,
}

/// What the element-wise passes of step `s` read: `h × n_s` blocks with row
/// stride `n_s`, except `h_prev` (`hp`, stride `ps`) and `c_prev` (`cp`,
/// stride `cs`).
#[derive(Clone, Copy)]
struct StepIn<'a> {
    h: usize,
    ns: usize,
    /// Row stride of the carries written (the next step's width).
    nn: usize,
    sv: &'a [f64],
    dh: &'a [f64],
    dc: &'a [f64],
    hp: &'a [f64],
    ps: usize,
    cp: &'a [f64],
    cs: usize,
    drh: &'a [f64],
}

/// Rows `q0..q0 + rows` of what a step's element-wise pass writes: the row
/// blocks of `dz` (`h` rows each, stride `n_s`; unused ones empty), `dzh`
/// (stride `n_s`), and the carries (stride `n_{s−1}`).
struct Rows<'w> {
    q0: usize,
    rows: usize,
    dz: [&'w mut [f64]; 4],
    dzh: &'w mut [f64],
    carry: &'w mut [f64],
    ccarry: &'w mut [f64],
}

/// Splits the first `n` elements (or all there are) off `b`.
fn cut<'x>(b: &mut &'x mut [f64], n: usize) -> &'x mut [f64] {
    let whole = core::mem::take(b);
    let (head, tail) = whole.split_at_mut(n.min(whole.len()));
    *b = tail;
    head
}

impl<'w> Rows<'w> {
    /// All `h` rows of a step.
    fn new(
        h: usize,
        mut dz: &'w mut [f64],
        ns: usize,
        dzh: &'w mut [f64],
        carry: &'w mut [f64],
        ccarry: &'w mut [f64],
    ) -> Self {
        let mut blocks: [&'w mut [f64]; 4] = Default::default();
        for b in &mut blocks {
            *b = cut(&mut dz, h * ns);
        }
        Self {
            q0: 0,
            rows: h,
            dz: blocks,
            dzh,
            carry,
            ccarry,
        }
    }

    /// Splits rows `..at` off as rows of their own.
    #[cfg(not(target_arch = "wasm32"))]
    fn split(&mut self, at: usize, ns: usize, nn: usize) -> Self {
        let mut dz: [&'w mut [f64]; 4] = Default::default();
        for (d, b) in dz.iter_mut().zip(&mut self.dz) {
            *d = cut(b, at * ns);
        }
        let head = Self {
            q0: self.q0,
            rows: at,
            dz,
            dzh: cut(&mut self.dzh, at * ns),
            carry: cut(&mut self.carry, at * nn),
            ccarry: cut(&mut self.ccarry, at * nn),
        };
        self.q0 += at;
        self.rows -= at;
        head
    }
}

/// Runs `pass` over the rows of a step, cut into ranges of rows that threads
/// share where that pays (native builds, large steps).
fn pointwise(pass: Pass, whole: Rows<'_>, i: &StepIn<'_>) {
    let run = |p: Rows<'_>| {
        wide(
            #[inline(always)]
            || run_rows(pass, p, i),
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = crate::threads::for_elements(i.h * i.ns);
        if threads > 1 {
            let per = crate::threads::piece_len(i.h, threads, 1);
            let (ns, nn) = (i.ns, i.nn);
            let mut rest = Some(whole);
            let pieces = core::iter::from_fn(move || {
                let mut p = rest.take()?;
                if p.rows <= per {
                    return Some(p);
                }
                let head = p.split(per, ns, nn);
                rest = Some(p);
                Some(head)
            });
            crate::threads::share_pieces(threads, pieces, run);
            return;
        }
    }
    run(whole);
}

/// `pass` over rows `p.q0..p.q0 + p.rows`.
#[inline(always)]
fn run_rows(pass: Pass, p: Rows<'_>, i: &StepIn<'_>) {
    let StepIn { h, ns, nn, .. } = *i;
    let Rows {
        q0,
        rows,
        dz,
        dzh,
        carry,
        ccarry,
    } = p;
    let [d0, d1, d2, d3] = dz;
    // Row q of an input block `b` of `saved`, of `dh` and of `h_prev`.
    let sv = |b: usize, q: usize| &i.sv[(b * h + q) * ns..(b * h + q + 1) * ns];
    let dh = |q: usize| &i.dh[q * ns..(q + 1) * ns];
    let hp = |q: usize| &i.hp[q * i.ps..q * i.ps + ns];
    match pass {
        // Rows of the same stride everywhere: one run over all of them.
        Pass::RnnTanh | Pass::RnnRelu => {
            let e = q0 * ns..(q0 + rows) * ns;
            let (d, g, y) = (&mut d0[..rows * ns], &i.dh[e.clone()], &i.sv[e]);
            if pass == Pass::RnnTanh {
                rnn_tanh_backward(d, g, y);
            } else {
                rnn_relu_backward(d, g, y);
            }
        }
        Pass::Lstm => {
            for k in 0..rows {
                let (q, e) = (q0 + k, k * ns..(k + 1) * ns);
                lstm_row(
                    [
                        &mut d0[e.clone()],
                        &mut d1[e.clone()],
                        &mut d2[e.clone()],
                        &mut d3[e],
                        &mut ccarry[k * nn..k * nn + ns],
                    ],
                    [sv(0, q), sv(1, q), sv(2, q), sv(3, q), sv(4, q)],
                    dh(q),
                    &i.dc[q * ns..(q + 1) * ns],
                    &i.cp[q * i.cs..q * i.cs + ns],
                );
            }
        }
        Pass::Gru => {
            for k in 0..rows {
                let (q, e) = (q0 + k, k * ns..(k + 1) * ns);
                gru_row(
                    [
                        &mut d0[e.clone()],
                        &mut d1[e.clone()],
                        &mut d2[e.clone()],
                        &mut dzh[e],
                        &mut carry[k * nn..k * nn + ns],
                    ],
                    [sv(0, q), sv(1, q), sv(2, q), sv(3, q)],
                    dh(q),
                    hp(q),
                );
            }
        }
        Pass::GruFirst => {
            for k in 0..rows {
                let (q, e) = (q0 + k, k * ns..(k + 1) * ns);
                gru_before_row(
                    [
                        &mut d1[e.clone()],
                        &mut d2[e],
                        &mut carry[k * nn..k * nn + ns],
                    ],
                    [sv(1, q), sv(2, q)],
                    dh(q),
                    hp(q),
                );
            }
        }
        Pass::GruSecond => {
            for k in 0..rows {
                let (q, e) = (q0 + k, k * ns..(k + 1) * ns);
                gru_reset_row(
                    [
                        &mut d0[e.clone()],
                        &mut dzh[e],
                        &mut carry[k * nn..k * nn + ns],
                    ],
                    sv(0, q),
                    &i.drh[q * ns..(q + 1) * ns],
                    hp(q),
                );
            }
        }
    }
}

/// Sum of `row`, in order.
fn row_sum(row: &[f64]) -> f64 {
    row.iter().fold(0.0, |acc, &v| acc + v)
}

/// Runs the body on each vector of `W` elements of `0..n` (starting at
/// `e`): `W` is [`LANES`] for each full group, then 1 for each element left
/// over. On wasm `W` is a value, so the body appears once (the module's
/// size); natively it is [`for_lanes`](crate::simd::for_lanes), a constant and a copy of the body per
/// width.
#[cfg(target_arch = "wasm32")]
macro_rules! row_lanes {
    ($n:expr, |$e:ident, $w:ident| $body:block) => {{
        let n: usize = $n;
        let mut $e = 0;
        while $e < n {
            #[allow(non_snake_case)]
            let $w: usize = if $e + LANES <= n { LANES } else { 1 };
            $body
            $e += $w;
        }
    }};
}
#[cfg(not(target_arch = "wasm32"))]
use crate::simd::for_lanes as row_lanes;

/// tanh RNN: `dz = dh·(1 − h'²)`, over a whole step (`dz`, `dh` and `h'`
/// are `h × n_s`, the same layout).
#[inline(always)]
fn rnn_tanh_backward(dz: &mut [f64], dh: &[f64], y: &[f64]) {
    let len = dz.len();
    let (dh, y) = (&dh[..len], &y[..len]);
    let one = Lanes::splat(1.0);
    row_lanes!(len, |e, W| {
        let v = ldw(y, e, W);
        stw(ldw(dh, e, W).mul(one.sub(v.mul(v))), dz, e, W);
    });
}

/// ReLU RNN: `dz = dh` where `h' > 0`, else 0 (PyTorch's rule, `h' ≤ 0`
/// gives 0: a NaN `h'` lets the gradient through).
#[inline(always)]
fn rnn_relu_backward(dz: &mut [f64], dh: &[f64], y: &[f64]) {
    for ((o, &g), &v) in dz.iter_mut().zip(dh).zip(y) {
        *o = if v <= 0.0 { 0.0 } else { g };
    }
}

/// One feature row of an LSTM step, a vector of lanes at a time. Reads the
/// activated `i, f, g, o` and `c'`, the total `dh`, the carried `dc` and
/// `c_prev`; writes `d_i, d_f, d_g, d_o` (pre-activation gradients) and the
/// carry `dc_prev = dc·f`. All slices have the same length.
#[inline(always)]
fn lstm_row(out: [&mut [f64]; 5], sv: [&[f64]; 5], dh: &[f64], dc_in: &[f64], c_prev: &[f64]) {
    let [d_i, d_f, d_g, d_o, dc_out] = out;
    let len = dc_out.len();
    let (d_i, d_f, d_g, d_o) = (
        &mut d_i[..len],
        &mut d_f[..len],
        &mut d_g[..len],
        &mut d_o[..len],
    );
    let [i_r, f_r, g_r, o_r, c_r] = sv;
    let (i_r, f_r, g_r, o_r, c_r) = (
        &i_r[..len],
        &f_r[..len],
        &g_r[..len],
        &o_r[..len],
        &c_r[..len],
    );
    let (dh, dc_in, c_prev) = (&dh[..len], &dc_in[..len], &c_prev[..len]);
    let one = Lanes::splat(1.0);
    row_lanes!(len, |e, W| {
        let (i, f) = (ldw(i_r, e, W), ldw(f_r, e, W));
        let (g, o) = (ldw(g_r, e, W), ldw(o_r, e, W));
        let dh = ldw(dh, e, W);
        let tc = tanh2(ldw(c_r, e, W));
        let dc = ldw(dc_in, e, W).add(dh.mul(o).mul(one.sub(tc.mul(tc))));
        stw(dh.mul(tc).mul(o).mul(one.sub(o)), d_o, e, W);
        stw(dc.mul(i).mul(one.sub(g.mul(g))), d_g, e, W);
        stw(dc.mul(g).mul(i).mul(one.sub(i)), d_i, e, W);
        stw(dc.mul(ldw(c_prev, e, W)).mul(f).mul(one.sub(f)), d_f, e, W);
        stw(dc.mul(f), dc_out, e, W);
    });
}

/// One feature row of a GRU step (reset after the product). Reads the
/// activated `r, z, n`, `hn = W_hn h + b_hn`, the total `dh` and `h_prev`;
/// writes `d_r, d_z, d_n` (pre-activations; `d_n` is also `b_in`'s and
/// `W_in`'s), `d_hn = d_n ∘ r` (`W_hn`'s and `b_hn`'s) and the direct part
/// of the carry, `dh·z`.
#[inline(always)]
fn gru_row(out: [&mut [f64]; 5], sv: [&[f64]; 4], dh: &[f64], h_prev: &[f64]) {
    let [d_r, d_z, d_n, d_hn, carry] = out;
    let len = carry.len();
    let (d_r, d_z, d_n, d_hn) = (
        &mut d_r[..len],
        &mut d_z[..len],
        &mut d_n[..len],
        &mut d_hn[..len],
    );
    let [r_r, z_r, n_r, hn_r] = sv;
    let (r_r, z_r, n_r, hn_r) = (&r_r[..len], &z_r[..len], &n_r[..len], &hn_r[..len]);
    let (dh, h_prev) = (&dh[..len], &h_prev[..len]);
    let one = Lanes::splat(1.0);
    row_lanes!(len, |e, W| {
        let (r, z, nv) = (ldw(r_r, e, W), ldw(z_r, e, W), ldw(n_r, e, W));
        let dh = ldw(dh, e, W);
        let dn = dh.mul(one.sub(z)).mul(one.sub(nv.mul(nv)));
        let dzv = dh.mul(ldw(h_prev, e, W).sub(nv)).mul(z).mul(one.sub(z));
        stw(dn.mul(ldw(hn_r, e, W)).mul(r).mul(one.sub(r)), d_r, e, W);
        stw(dzv, d_z, e, W);
        stw(dn, d_n, e, W);
        stw(dn.mul(r), d_hn, e, W);
        stw(dh.mul(z), carry, e, W);
    });
}

/// The first half of one feature row of a reset-before GRU step: `d_z`,
/// `d_n` and the direct part of the carry, `dh·z`. (`d_r` needs `W_hnᵀ·d_n`
/// first: [`gru_reset_row`].)
#[inline(always)]
fn gru_before_row(out: [&mut [f64]; 3], sv: [&[f64]; 2], dh: &[f64], h_prev: &[f64]) {
    let [d_z, d_n, carry] = out;
    let len = carry.len();
    let (d_z, d_n) = (&mut d_z[..len], &mut d_n[..len]);
    let [z_r, n_r] = sv;
    let (z_r, n_r, dh, h_prev) = (&z_r[..len], &n_r[..len], &dh[..len], &h_prev[..len]);
    let one = Lanes::splat(1.0);
    row_lanes!(len, |e, W| {
        let (z, nv) = (ldw(z_r, e, W), ldw(n_r, e, W));
        let dh = ldw(dh, e, W);
        stw(dh.mul(one.sub(z)).mul(one.sub(nv.mul(nv))), d_n, e, W);
        stw(
            dh.mul(ldw(h_prev, e, W).sub(nv)).mul(z).mul(one.sub(z)),
            d_z,
            e,
            W,
        );
        stw(dh.mul(z), carry, e, W);
    });
}

/// The second half of a reset-before GRU row: from `drh = (W_hnᵀ·d_n)`'s
/// row, `d_r = drh·h_prev·r(1 − r)`, `r ∘ h_prev` (what `W_hn` acted on) and
/// the carry `+= drh·r`.
#[inline(always)]
fn gru_reset_row(out: [&mut [f64]; 3], r_row: &[f64], drh: &[f64], h_prev: &[f64]) {
    let [d_r, rh, carry] = out;
    let len = carry.len();
    let (d_r, rh) = (&mut d_r[..len], &mut rh[..len]);
    let (r_row, drh, h_prev) = (&r_row[..len], &drh[..len], &h_prev[..len]);
    let one = Lanes::splat(1.0);
    row_lanes!(len, |e, W| {
        let (r, g, hp) = (ldw(r_row, e, W), ldw(drh, e, W), ldw(h_prev, e, W));
        stw(g.mul(hp).mul(r).mul(one.sub(r)), d_r, e, W);
        stw(r.mul(hp), rh, e, W);
        stw(ldw(carry, e, W).add(g.mul(r)), carry, e, W);
    });
}

/// `pass` with the functions `f` (the general path), one element at a time:
/// what [`run_rows`] writes, with each function's derivative taken from its
/// value in `saved` ([`super::gates::Act::deriv`]); the LSTM's `h(c')` is
/// recomputed from `c'`. Not inlined: called from two places.
#[inline(never)]
fn general_rows(pass: Pass, f: &Fns, p: Rows<'_>, i: &StepIn<'_>) {
    let StepIn { h, ns, nn, .. } = *i;
    let Rows {
        q0,
        rows,
        dz,
        dzh,
        carry,
        ccarry,
    } = p;
    let [d0, d1, d2, d3] = dz;
    let sv = |b: usize, q: usize, e: usize| i.sv[(b * h + q) * ns + e];
    let dh = |q: usize, e: usize| i.dh[q * ns + e];
    let hp = |q: usize, e: usize| i.hp[q * i.ps + e];
    for k in 0..rows {
        let q = q0 + k;
        for e in 0..ns {
            let (at, next) = (k * ns + e, k * nn + e);
            let g = dh(q, e);
            match pass {
                Pass::RnnTanh | Pass::RnnRelu => d0[at] = g * f.f.deriv(sv(0, q, e)),
                Pass::Lstm => {
                    let (iv, fv) = (sv(0, q, e), sv(1, q, e));
                    let (gv, ov) = (sv(2, q, e), sv(3, q, e));
                    let yc = f.h.apply(sv(4, q, e));
                    let dc = i.dc[q * ns + e] + g * ov * f.h.deriv(yc);
                    d3[at] = g * yc * f.f.deriv(ov);
                    d2[at] = dc * iv * f.g.deriv(gv);
                    d0[at] = dc * gv * f.f.deriv(iv);
                    d1[at] = dc * i.cp[q * i.cs + e] * f.f.deriv(fv);
                    ccarry[next] = dc * fv;
                }
                Pass::Gru | Pass::GruFirst => {
                    let (zv, nv) = (sv(1, q, e), sv(2, q, e));
                    let dn = g * (1.0 - zv) * f.g.deriv(nv);
                    d1[at] = g * (hp(q, e) - nv) * f.f.deriv(zv);
                    d2[at] = dn;
                    if pass == Pass::Gru {
                        let rv = sv(0, q, e);
                        d0[at] = dn * sv(3, q, e) * f.f.deriv(rv);
                        dzh[at] = dn * rv;
                    }
                    carry[next] = g * zv;
                }
                Pass::GruSecond => {
                    let (rv, d, x) = (sv(0, q, e), i.drh[q * ns + e], hp(q, e));
                    d0[at] = d * x * f.f.deriv(rv);
                    dzh[at] = rv * x;
                    carry[next] += d * rv;
                }
            }
        }
    }
}
