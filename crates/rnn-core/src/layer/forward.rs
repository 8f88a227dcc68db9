//! The forward pass of a recurrent layer ([`layer_forward`]).
//!
//! 1. The packed order of the batch ([`PackedOrder`]).
//! 2. The input projection of every packed row at once: `Z = [W_ih | b_ih]·
//!    [X; 1]`, one GEMM with `R` columns (`X` the `n_in × R` inputs in packed
//!    order), into `zx`, `(G·h) × R`. Step `s` owns its columns
//!    `off_s..off_s + n_s`.
//! 3. Per step, one GEMM `[W_hh | b_hh]·[h; 1]` over the `n_s` active
//!    columns only, added into the step's columns of `zx` (the GRU's `n`
//!    rows go to a buffer of their own, `hn`, since the reset multiplies
//!    them; with the reset before the product they need `r` first, so that
//!    GRU runs its `r, z` rows, then the `n` rows over `r ∘ h`), then one
//!    vectorised pass over the gates.
//!
//! The states are kept feature-major in rank order (`[h][n]`, column `r` the
//! sequence of rank `r`): the active sequences are always the first columns,
//! and a finished sequence's column keeps its last state. Each step's new
//! states are scattered to `output` in the caller's `[t][n][h]` order as the
//! step ends, `h_n` and `c_n` once the last step has run; `saved` is written
//! by the gate pass itself, already in its packed layout.
//!
//! The workspace is sized for the worst case `R = n·t`; the work is `R`
//! columns, so padded steps cost nothing (up to the GEMM's panel width: a
//! step's last, partial panel of columns is computed whole).

use super::gates::{self, Fns};
use super::{check_lengths, Cell, Layer, LayerDims, LayerForwardIn, LayerForwardOut, PackedOrder};
use super::{ldw, stw};
use crate::activations::{sigmoid2, tanh2};
use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs, Precision};
use crate::seq::{column, lhs_len, ones, rhs_len, sum, take};
#[cfg(not(target_arch = "wasm32"))]
use crate::simd::keep_loop_unvectorised;
use crate::simd::{wide, Lanes, LANES};
use crate::{expect_workspace, product, KernelError};

/// The parts of [`layer_forward`]'s workspace, in order.
struct Parts {
    /// The packed order.
    order: usize,
    /// `[W_ih | b_ih]`, packed.
    w_ih: usize,
    /// `[W_hh | b_hh]` packed (the GRU: its `r, z` rows).
    w_hh: usize,
    /// The GRU's `n` rows of `[W_hh | b_hh]`, packed.
    w_hn: usize,
    /// `[X; 1]` packed, for at most `n·t` packed rows.
    x: usize,
    /// The input projection, `(G·h) × R` for at most `R = n·t`.
    zx: usize,
    /// One step's `[h; 1]` (or the GRU's `[r ∘ h; 1]`), packed.
    step: usize,
    /// The hidden state, `[h][n]`.
    h: usize,
    /// The LSTM's cell state, `[h][n]`.
    c: usize,
    /// The GRU's `hn` of one step, `[h][n]`.
    hn: usize,
    /// `r ∘ h` of one step (the GRU with the reset before the product).
    rh: usize,
}

impl Parts {
    fn new(l: &Layer) -> Option<Self> {
        let Layer {
            cell,
            n_in,
            h,
            n,
            t,
            gh,
            ..
        } = *l;
        let rows = n.checked_mul(t)?;
        let hn = h.checked_mul(n)?;
        let gru = matches!(cell, Cell::Gru | Cell::GruResetBefore);
        let (k_in, k_h) = (n_in.checked_add(1), h.checked_add(1));
        Some(Self {
            order: PackedOrder::workspace_len(n, t)?,
            w_ih: lhs_len(gh, k_in)?,
            w_hh: lhs_len(if gru { h.checked_mul(2)? } else { gh }, k_h)?,
            w_hn: if gru { lhs_len(h, k_h)? } else { 0 },
            x: rhs_len(k_in, rows)?,
            zx: gh.checked_mul(rows)?,
            step: rhs_len(k_h, n)?,
            h: hn,
            c: if cell.has_c() { hn } else { 0 },
            hn: if gru { hn } else { 0 },
            rh: if cell == Cell::GruResetBefore { hn } else { 0 },
        })
    }

    fn total(&self) -> Option<usize> {
        let parts = [
            self.order, self.w_ih, self.w_hh, self.w_hn, self.x, self.zx, self.step, self.h,
            self.c, self.hn, self.rh,
        ];
        sum(&parts.map(Some))
    }
}

/// Workspace elements [`layer_forward`] needs (the packed weights, the
/// packed inputs and input projection of `n·t` rows, one packed step, the
/// states); `None` if `cell`, `reverse` or `keep` is invalid or a size
/// overflows. It depends on the dimensions only, not on the lengths.
pub fn layer_forward_workspace_len(d: &LayerDims) -> Option<usize> {
    let layer = Layer::new(d, true).ok()?;
    if !layer.forward_fits() {
        return None;
    }
    if product(&[layer.h, layer.n]) == Some(0) {
        return Some(0); // every output is empty: nothing to compute
    }
    Parts::new(&layer)?.total()
}

/// One recurrent layer in one direction over a batch of sequences of
/// `lengths` steps (see [`LayerDims`] and the module documentation for
/// the cells, shapes and the packed order).
///
/// Writes `output` (0 past each length), `h_n` and `c_n` (the state after
/// each sequence's last step; `h0`, `c0` for a length of 0) and, with
/// `keep` 1, `saved` for [`crate::layer_backward`]. The weights are packed
/// once per call; each step costs one GEMM over its active sequences only
/// (two for the GRU), so padded steps cost nothing.
///
/// A non-empty `gates` or `p` (the module documentation of `layer`) runs
/// the cell one element at a time with those functions. Refused before
/// anything is written: a `gates` of neither 0 nor 11 values or a `p` of
/// neither 0 nor `3·h` (the LSTM; 0 for other cells) values
/// ([`KernelError::Length`]); a `gates` value out of range
/// ([`KernelError::Value`] naming `gates`, `value` its index); `keep` 1 with
/// peepholes, a clip or input_forget ([`KernelError::Value`] naming `keep`).
pub fn layer_forward(
    d: &LayerDims,
    i: LayerForwardIn<'_>,
    o: LayerForwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    forward(Precision::F64, d, i, o, ws)
}

/// [`layer_forward`] with float32 products: every GEMM (the input
/// projection and each step's recurrent product, biases included) rounds
/// its operands to float32 and sums in float32, as a float32 layer does;
/// the cell's functions and state run in float64 on the float32 sums.
/// Values in and out are float64 slices (the caller's float32 values,
/// exactly). Same arguments, workspace, refusals and `saved` layout.
pub fn layer_forward_f32(
    d: &LayerDims,
    i: LayerForwardIn<'_>,
    o: LayerForwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    forward(Precision::F32, d, i, o, ws)
}

/// [`layer_forward`] in either precision.
fn forward(
    prec: Precision,
    d: &LayerDims,
    i: LayerForwardIn<'_>,
    o: LayerForwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let layer = Layer::new(d, true)?;
    let LayerForwardIn {
        x,
        lengths,
        h0,
        c0,
        w_ih,
        w_hh,
        b_ih,
        b_hh,
        gates,
        p,
    } = i;
    let LayerForwardOut {
        output,
        h_n,
        c_n,
        saved,
    } = o;
    let lens = [
        x.len(),
        lengths.len(),
        h0.len(),
        c0.len(),
        w_ih.len(),
        w_hh.len(),
        b_ih.len(),
        b_hh.len(),
        output.len(),
        h_n.len(),
        c_n.len(),
        saved.len(),
    ];
    layer.check_forward(&lens)?;
    gates::check_lens(gates.len(), Some(p.len()), layer.cell, layer.h)?;
    // Every length (the workspace's too) before any value.
    expect_workspace(ws.len(), layer_forward_workspace_len(d))?;
    // The general path, chosen once: `None` runs the vectorised one.
    let fns = Fns::parse(gates, !p.is_empty(), layer.cell, false)?;
    if layer.keep {
        Fns::check_keep(&fns, !p.is_empty())?;
    }
    check_lengths(lengths, layer.t)?;
    if layer.h == 0 || layer.n == 0 {
        return Ok(()); // every output is empty
    }
    let parts = Parts::new(&layer).ok_or(KernelError::Overflow { arg: "ws" })?;
    let Layer {
        cell,
        n_in,
        h,
        n,
        t,
        reverse,
        keep,
        gh,
        saved_width: sw,
        ..
    } = layer;

    let (order_buf, ws) = take(ws, parts.order);
    let (order, _) = PackedOrder::build(lengths, t, order_buf)?;
    let rows = order.total();
    let (wih_buf, ws) = take(ws, parts.w_ih);
    let (whh_buf, ws) = take(ws, parts.w_hh);
    let (whn_buf, ws) = take(ws, parts.w_hn);
    let (x_buf, ws) = take(ws, parts.x);
    let (zx, ws) = take(ws, parts.zx);
    let (step_buf, ws) = take(ws, parts.step);
    let (hs, ws) = take(ws, parts.h);
    let (cs, ws) = take(ws, parts.c);
    let (hn, ws) = take(ws, parts.hn);
    let (rh, _) = take(ws, parts.rh);
    let zx = &mut zx[..gh * rows];

    // The input projection of every packed row: zx ← [W_ih | b_ih]·[X; 1].
    if rows > 0 {
        let mut wih = PackedLhs::with(prec, wih_buf, gh, n_in + 1)?;
        wih.pack(0, 0, MatRef::row_major(w_ih, gh, n_in)?)?;
        wih.pack(0, n_in, column(b_ih)?)?;
        let mut xp = PackedRhs::with(prec, x_buf, n_in + 1, rows)?;
        for s in 0..t {
            let (ns, off) = (order.active(s), order.offset(s));
            for r in 0..ns {
                let at = (order.time(s, r, reverse) * n + order.seq(r)) * n_in;
                let x_row = MatRef::new(&x[at..at + n_in], n_in, 1, 1, 1)?;
                xp.pack(0, off + r, x_row)?;
            }
        }
        xp.pack(n_in, 0, ones(1, rows)?)?;
        gemm_packed(1.0, &wih, &xp, 0.0, MatMut::row_major(zx, gh, rows)?)?;
    }

    // [W_hh | b_hh], packed once (the GRU's n rows apart).
    let gru = matches!(cell, Cell::Gru | Cell::GruResetBefore);
    let g_main = if gru { 2 * h } else { gh };
    let mut whh = PackedLhs::with(prec, whh_buf, g_main, h + 1)?;
    whh.pack(0, 0, MatRef::row_major(w_hh, g_main, h)?)?;
    whh.pack(0, h, column(&b_hh[..g_main])?)?;
    let mut whn = PackedLhs::with(prec, whn_buf, if gru { h } else { 0 }, h + 1)?;
    if gru {
        whn.pack(0, 0, MatRef::row_major(&w_hh[g_main * h..], h, h)?)?;
        whn.pack(0, h, column(&b_hh[g_main..])?)?;
    }

    // The states in rank order, feature-major.
    for r in 0..n {
        let j = order.seq(r);
        for k in 0..h {
            hs[k * n + r] = h0[j * h + k];
        }
        if cell.has_c() {
            for k in 0..h {
                cs[k * n + r] = c0[j * h + k];
            }
        }
    }

    for s in 0..t {
        let ns = order.active(s);
        if ns == 0 {
            break; // n_s is non-increasing: no step is left
        }
        let off = order.offset(s);
        let mut hp = PackedRhs::with(prec, step_buf, h + 1, ns)?;
        hp.pack(0, 0, MatRef::new(hs, h, ns, n, 1)?)?;
        hp.pack(h, 0, ones(1, ns)?)?;
        // zx's step columns (its r, z rows for the GRU) += [W_hh | b_hh]·[h; 1].
        let z_step = MatMut::new(&mut zx[off..], g_main, ns, rows, 1)?;
        gemm_packed(1.0, &whh, &hp, 1.0, z_step)?;
        if cell == Cell::Gru {
            gemm_packed(1.0, &whn, &hp, 0.0, MatMut::new(hn, h, ns, n, 1)?)?;
        }
        let geo = Geometry {
            h,
            ns,
            n,
            rows,
            off,
        };
        let saved_step: &mut [f64] = if keep {
            &mut saved[sw * off..sw * (off + ns)]
        } else {
            &mut []
        };
        if cell == Cell::GruResetBefore {
            // r and z first, then hn = [W_hn | b_hn]·[r ∘ h; 1].
            match &fns {
                None => pointwise(&geo, Pass::ResetGates, zx, hs, cs, hn, rh, &mut []),
                Some(f) => general_reset_gates(&geo, f, zx, hs, rh),
            }
            let mut rhp = PackedRhs::with(prec, step_buf, h + 1, ns)?;
            rhp.pack(0, 0, MatRef::new(rh, h, ns, n, 1)?)?;
            rhp.pack(h, 0, ones(1, ns)?)?;
            gemm_packed(1.0, &whn, &rhp, 0.0, MatMut::new(hn, h, ns, n, 1)?)?;
        }
        match &fns {
            None => pointwise(
                &geo,
                Pass::Step { cell, keep },
                zx,
                hs,
                cs,
                hn,
                rh,
                saved_step,
            ),
            Some(f) => general_step(&geo, cell, f, p, zx, hs, cs, hn, saved_step),
        }

        for r in 0..ns {
            let at = (order.time(s, r, reverse) * n + order.seq(r)) * h;
            let out = &mut output[at..at + h];
            for (k, v) in out.iter_mut().enumerate() {
                *v = hs[k * n + r];
            }
        }
    }

    // Finished sequences kept their last state in their columns.
    for r in 0..n {
        let j = order.seq(r);
        for (k, v) in h_n[j * h..(j + 1) * h].iter_mut().enumerate() {
            *v = hs[k * n + r];
        }
        if cell.has_c() {
            for (k, v) in c_n[j * h..(j + 1) * h].iter_mut().enumerate() {
                *v = cs[k * n + r];
            }
        }
    }
    for (j, &len) in lengths.iter().enumerate() {
        for tt in len as usize..t {
            output[(tt * n + j) * h..(tt * n + j + 1) * h].fill(0.0);
        }
    }
    if keep {
        saved[sw * rows..].fill(0.0);
    }
    Ok(())
}

/// Where one step's data lie.
struct Geometry {
    /// Hidden size.
    h: usize,
    /// Active sequences (columns) of the step.
    ns: usize,
    /// Row stride of the states, `hn` and `rh` (the batch size).
    n: usize,
    /// Row stride of `zx` (`R`).
    rows: usize,
    /// The step's first column in `zx`.
    off: usize,
}

/// What a [`pointwise`] pass computes.
#[derive(Clone, Copy)]
enum Pass {
    /// The GRU with the reset before the product, before its `n` rows:
    /// activates `r` and `z` in place in `zx` and writes `rh = r ∘ h`.
    ResetGates,
    /// The rest of the step: the new states (and with `keep`, the step's
    /// block of `saved`).
    Step { cell: Cell, keep: bool },
}

/// Rows `k0..k0 + rows` of every buffer a pass reads or writes: the gate
/// blocks of `zx` (each with row stride `R`), the states, `hn` and `rh`
/// (row stride `n`) and the blocks of the step's `saved` (row stride
/// `n_s`). Buffers a pass does not use are empty.
struct Piece<'a> {
    rows: usize,
    z: [&'a mut [f64]; 4],
    h: &'a mut [f64],
    c: &'a mut [f64],
    hn: &'a mut [f64],
    rh: &'a mut [f64],
    saved: [&'a mut [f64]; 6],
}

/// Splits `buf` into `N` blocks of `len` elements (the first `parts` of
/// them; the rest empty).
fn blocks<const N: usize>(buf: &mut [f64], parts: usize, len: usize) -> [&mut [f64]; N] {
    let mut rest = buf;
    core::array::from_fn(|i| {
        if i >= parts {
            return <&mut [f64]>::default();
        }
        let (a, b) = core::mem::take(&mut rest).split_at_mut(len);
        rest = b;
        a
    })
}

/// The first `ns` elements of a saved row with `keep`; else the (empty)
/// row as it is.
#[inline(always)]
fn cut(s: &mut [f64], ns: usize, keep: bool) -> &mut [f64] {
    if keep {
        &mut s[..ns]
    } else {
        s
    }
}

/// Splits the first `at` rows of `buf` (row stride `stride`) off; an empty
/// buffer stays empty.
fn split_rows<'a>(buf: &mut &'a mut [f64], at: usize, stride: usize) -> &'a mut [f64] {
    let whole = core::mem::take(buf);
    if whole.is_empty() {
        return whole;
    }
    let (a, b) = whole.split_at_mut((at * stride).min(whole.len()));
    *buf = b;
    a
}

impl<'a> Piece<'a> {
    /// Splits rows `..at` off as a piece of their own.
    fn split(&mut self, at: usize, g: &Geometry) -> Piece<'a> {
        let z = self.z.each_mut().map(|b| split_rows(b, at, g.rows));
        let saved = self.saved.each_mut().map(|b| split_rows(b, at, g.ns));
        let head = Piece {
            rows: at,
            z,
            h: split_rows(&mut self.h, at, g.n),
            c: split_rows(&mut self.c, at, g.n),
            hn: split_rows(&mut self.hn, at, g.n),
            rh: split_rows(&mut self.rh, at, g.n),
            saved,
        };
        self.rows -= at;
        head
    }
}

/// Runs `pass` over one step, cut into ranges of rows that threads share
/// where that pays (native builds, large steps).
#[allow(clippy::too_many_arguments)]
fn pointwise(
    g: &Geometry,
    pass: Pass,
    zx: &mut [f64],
    hs: &mut [f64],
    cs: &mut [f64],
    hn: &mut [f64],
    rh: &mut [f64],
    saved: &mut [f64],
) {
    let (h, ns) = (g.h, g.ns);
    let (gates, saved_blocks) = match pass {
        Pass::ResetGates => (2, 0),
        Pass::Step { cell, keep } => (cell.gates(), if keep { cell.saved_blocks() } else { 0 }),
    };
    let whole = Piece {
        rows: h,
        z: blocks(zx, gates, h * g.rows),
        h: &mut hs[..h * g.n],
        c: cs,
        hn,
        rh,
        saved: blocks(saved, saved_blocks, h * ns),
    };
    let run = |p: Piece<'_>| {
        wide(
            #[inline(always)]
            || run_piece(g, pass, p),
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = crate::threads::for_elements(h * ns);
        if threads > 1 {
            let per = crate::threads::piece_len(h, threads, 1);
            let mut rest = Some(whole);
            let pieces = core::iter::from_fn(move || {
                let mut p = rest.take()?;
                if p.rows <= per {
                    return Some(p);
                }
                let head = p.split(per, g);
                rest = Some(p);
                Some(head)
            });
            crate::threads::share_pieces(threads, pieces, run);
            return;
        }
    }
    run(whole);
}

/// Row `k` (columns `off..off + ns`) of a gate block of `zx`.
#[inline(always)]
fn zrow<'b>(b: &'b mut [f64], k: usize, g: &Geometry) -> &'b mut [f64] {
    let at = k * g.rows + g.off;
    &mut b[at..at + g.ns]
}

/// Row `k` (columns `..ns`) of a buffer with row stride `stride`.
#[inline(always)]
fn row(b: &mut [f64], k: usize, stride: usize, ns: usize) -> &mut [f64] {
    &mut b[k * stride..k * stride + ns]
}

/// Row `k` of a block of the step's `saved` (row stride `ns`); an empty
/// block (no `keep`) stays empty.
#[inline(always)]
fn saved_row(b: &mut [f64], k: usize, ns: usize) -> &mut [f64] {
    if b.is_empty() {
        b
    } else {
        row(b, k, ns, ns)
    }
}

/// [`Pass`] over the rows of one piece. The flags (`keep`, the cell's
/// variant) are the same for every row, so each kind of row has one body
/// that tests them as it goes, not one body per combination.
#[inline(always)]
fn run_piece(g: &Geometry, pass: Pass, p: Piece<'_>) {
    let (ns, n) = (g.ns, g.n);
    let Piece {
        rows,
        z,
        h: hs,
        c: cs,
        hn,
        rh,
        saved,
    } = p;
    let [z0, z1, z2, z3] = z;
    let [s0, s1, s2, s3, s4, s5] = saved;
    for k in 0..rows {
        let h_row = row(hs, k, n, ns);
        match pass {
            Pass::ResetGates => {
                reset_gates_row([zrow(z0, k, g), zrow(z1, k, g)], h_row, row(rh, k, n, ns))
            }
            Pass::Step { cell, keep } => match cell {
                Cell::RnnTanh | Cell::RnnRelu => {
                    let (z_row, s_row) = (zrow(z0, k, g), saved_row(s0, k, ns));
                    with_flag(
                        cell == Cell::RnnRelu,
                        #[inline(always)]
                        |use_relu| {
                            with_flag(
                                keep,
                                #[inline(always)]
                                |keep| rnn_row(use_relu, keep, z_row, h_row, s_row),
                            )
                        },
                    )
                }
                Cell::Lstm => {
                    let zr = [
                        zrow(z0, k, g),
                        zrow(z1, k, g),
                        zrow(z2, k, g),
                        zrow(z3, k, g),
                    ];
                    let sv = [
                        saved_row(s0, k, ns),
                        saved_row(s1, k, ns),
                        saved_row(s2, k, ns),
                        saved_row(s3, k, ns),
                        saved_row(s4, k, ns),
                        saved_row(s5, k, ns),
                    ];
                    let c_row = row(cs, k, n, ns);
                    with_flag(
                        keep,
                        #[inline(always)]
                        |keep| lstm_row(keep, zr, c_row, h_row, sv),
                    )
                }
                Cell::Gru | Cell::GruResetBefore => {
                    let zr = [zrow(z0, k, g), zrow(z1, k, g), zrow(z2, k, g)];
                    let sv = [
                        saved_row(s0, k, ns),
                        saved_row(s1, k, ns),
                        saved_row(s2, k, ns),
                        saved_row(s3, k, ns),
                        saved_row(s4, k, ns),
                    ];
                    let hn_row = row(hn, k, n, ns);
                    with_flag(
                        cell == Cell::GruResetBefore,
                        #[inline(always)]
                        |before| {
                            with_flag(
                                keep,
                                #[inline(always)]
                                |keep| gru_row(before, keep, zr, hn_row, h_row, sv),
                            )
                        },
                    )
                }
            },
        }
    }
}

/// `f(v)`: natively as `if v { f(true) } else { f(false) }`, so that each
/// copy of `f` (inlined) has the flag as a constant; on wasm one call, the
/// flag tested where `f` uses it (one copy: the module's size).
#[inline(always)]
fn with_flag<R>(v: bool, f: impl FnOnce(bool) -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    return if v { f(true) } else { f(false) };
    #[cfg(target_arch = "wasm32")]
    return f(v);
}

/// Runs `$compute` (which only reads) then `$store` (which writes what it
/// computed, `$v`) on each vector of `$w` elements of a row of `ns`, so
/// that every element is computed from the values the row held on entry.
///
/// On wasm (two lanes) `$w` is a value: [`LANES`] for each full vector, then
/// 1 for the element left over, if any (a vector of one element in every
/// lane: it costs what a whole vector costs); `$compute` and `$store`
/// appear once, for the module's size (the activations are long).
///
/// Natively `$w` is a constant. A row that is not a whole number of vectors
/// gets one more vector, the last `LANES` elements: computed before
/// anything is stored and stored last, rewriting the elements it shares
/// with the vector before it with the same values (a leftover element would
/// cost a whole vector anyway, and rows are short, `n_s` columns). Rows
/// shorter than a vector go an element at a time.
#[cfg(target_arch = "wasm32")]
macro_rules! row_lanes {
    ($ns:expr, |$e:ident, $w:ident| $compute:block, |$v:ident| $store:block) => {{
        let ns: usize = $ns;
        let mut $e = 0;
        while $e < ns {
            #[allow(non_snake_case)]
            let $w: usize = if $e + LANES <= ns { LANES } else { 1 };
            let $v = $compute;
            $store
            $e += $w;
        }
    }};
}

#[cfg(not(target_arch = "wasm32"))]
macro_rules! row_lanes {
    ($ns:expr, |$e:ident, $w:ident| $compute:block, |$v:ident| $store:block) => {{
        let ns: usize = $ns;
        if ns >= LANES {
            let tail = if ns % LANES != 0 {
                let $e = ns - LANES;
                const $w: usize = LANES;
                Some($compute)
            } else {
                None
            };
            let mut at = 0;
            while at + LANES <= ns {
                let $e = at;
                const $w: usize = LANES;
                let $v = $compute;
                $store
                keep_loop_unvectorised();
                at += LANES;
            }
            if let Some($v) = tail {
                let $e = ns - LANES;
                const $w: usize = LANES;
                $store
            }
        } else {
            for at in 0..ns {
                let $e = at;
                const $w: usize = 1;
                let $v = $compute;
                $store
            }
        }
    }};
}

/// `max(0, z)`, NaN kept.
#[inline(always)]
fn relu(z: Lanes) -> Lanes {
    z.max_nan(Lanes::zero())
}

/// One row of an RNN step: `h' = act(z)` (ReLU with `use_relu`, else tanh),
/// into `h` (and with `keep`, `saved`).
#[inline(always)]
fn rnn_row(use_relu: bool, keep: bool, z: &[f64], h: &mut [f64], saved: &mut [f64]) {
    let ns = h.len();
    let z = &z[..ns];
    let saved = cut(saved, ns, keep);
    row_lanes!(
        ns,
        |e, W| {
            let v = ldw(z, e, W);
            if use_relu {
                relu(v)
            } else {
                tanh2(v)
            }
        },
        |hv| {
            stw(hv, h, e, W);
            if keep {
                stw(hv, saved, e, W);
            }
        }
    );
}

/// One row of an LSTM step: from the pre-activations `i, f, g, o`, the new
/// `c` and `h` (in place), and with `keep` the six saved rows.
#[inline(always)]
fn lstm_row(keep: bool, z: [&mut [f64]; 4], c: &mut [f64], h: &mut [f64], saved: [&mut [f64]; 6]) {
    let ns = h.len();
    let [zi, zf, zg, zo] = z;
    let (zi, zf, zg, zo) = (&zi[..ns], &zf[..ns], &zg[..ns], &zo[..ns]);
    let c = &mut c[..ns];
    let [si, sf, sg, so, sc, sh] = saved.map(|s| cut(s, ns, keep));
    row_lanes!(
        ns,
        |e, W| {
            let i = sigmoid2(ldw(zi, e, W));
            let f = sigmoid2(ldw(zf, e, W));
            let gg = tanh2(ldw(zg, e, W));
            let o = sigmoid2(ldw(zo, e, W));
            let c_next = f.mul(ldw(c, e, W)).add(i.mul(gg));
            (i, f, gg, o, c_next, o.mul(tanh2(c_next)))
        },
        |v| {
            let (i, f, gg, o, c_next, h_next) = v;
            stw(c_next, c, e, W);
            stw(h_next, h, e, W);
            if keep {
                stw(i, si, e, W);
                stw(f, sf, e, W);
                stw(gg, sg, e, W);
                stw(o, so, e, W);
                stw(c_next, sc, e, W);
                stw(h_next, sh, e, W);
            }
        }
    );
}

/// One row of the first pass of a GRU step with the reset before the
/// product: `r`, `z` activated in place and `rh = r ∘ h`.
#[inline(always)]
fn reset_gates_row(z: [&mut [f64]; 2], h: &[f64], rh: &mut [f64]) {
    let ns = h.len();
    let [zr, zz] = z;
    let (zr, zz, rh) = (&mut zr[..ns], &mut zz[..ns], &mut rh[..ns]);
    row_lanes!(
        ns,
        |e, W| {
            let r = sigmoid2(ldw(zr, e, W));
            (r, sigmoid2(ldw(zz, e, W)), r.mul(ldw(h, e, W)))
        },
        |v| {
            let (r, z, r_h) = v;
            stw(r, zr, e, W);
            stw(z, zz, e, W);
            stw(r_h, rh, e, W);
        }
    );
}

/// One row of a GRU step: `n` and the new `h` (in place), and with `keep`
/// the saved rows `r, z, n, hn, h'`. `hn` is `W_hn h + b_hn`
/// (`before` false) or `W_hn (r ∘ h) + b_hn` with `r` and `z` already
/// activated in `z` (`before` true). `h' = n + z ∘ (h − n)`, PyTorch's
/// arrangement of `(1 − z) ∘ n + z ∘ h`.
#[inline(always)]
fn gru_row(
    before: bool,
    keep: bool,
    z: [&mut [f64]; 3],
    hn: &mut [f64],
    h: &mut [f64],
    saved: [&mut [f64]; 5],
) {
    let ns = h.len();
    let [zr, zz, zn] = z;
    let (zr, zz, zn, hn) = (&zr[..ns], &zz[..ns], &zn[..ns], &hn[..ns]);
    let [sr, sz, sn, shn, sh] = saved.map(|s| cut(s, ns, keep));
    row_lanes!(
        ns,
        |e, W| {
            let (r, zg) = if before {
                (ldw(zr, e, W), ldw(zz, e, W))
            } else {
                (sigmoid2(ldw(zr, e, W)), sigmoid2(ldw(zz, e, W)))
            };
            let hn_v = ldw(hn, e, W);
            let pre = if before {
                ldw(zn, e, W).add(hn_v)
            } else {
                ldw(zn, e, W).add(r.mul(hn_v))
            };
            let nn = tanh2(pre);
            (r, zg, nn, hn_v, ldw(h, e, W).sub(nn).mul(zg).add(nn))
        },
        |v| {
            let (r, zg, nn, hn_v, h_next) = v;
            stw(h_next, h, e, W);
            if keep {
                stw(r, sr, e, W);
                stw(zg, sz, e, W);
                stw(nn, sn, e, W);
                stw(hn_v, shn, e, W);
                stw(h_next, sh, e, W);
            }
        }
    );
}

/// [`Pass::ResetGates`] with the functions `f` (the general path): `r`, `z`
/// clipped and activated in place in `zx`, and `rh = r ∘ h`. The general
/// path's functions are not inlined (they are called once per step; the
/// module's size).
#[inline(never)]
fn general_reset_gates(g: &Geometry, f: &Fns, zx: &mut [f64], hs: &[f64], rh: &mut [f64]) {
    let (h, n) = (g.h, g.n);
    for k in 0..h {
        for r in 0..g.ns {
            let (zr, zz) = ((k * g.rows) + g.off + r, ((h + k) * g.rows) + g.off + r);
            let rv = f.f.apply(f.clip(zx[zr]));
            zx[zr] = rv;
            zx[zz] = f.f.apply(f.clip(zx[zz]));
            rh[k * n + r] = rv * hs[k * n + r];
        }
    }
}

/// [`Pass::Step`] with the functions `f` and the LSTM's peepholes `p`
/// (empty or `[3][h]`), one element at a time: the same values in the same
/// places as [`run_piece`]'s rows.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn general_step(
    g: &Geometry,
    cell: Cell,
    f: &Fns,
    p: &[f64],
    zx: &[f64],
    hs: &mut [f64],
    cs: &mut [f64],
    hn: &[f64],
    saved: &mut [f64],
) {
    let (h, n, ns) = (g.h, g.n, g.ns);
    // Gate block `b`, row `k`, column `r` of the step in `zx`.
    let z = |b: usize, k: usize, r: usize| zx[(b * h + k) * g.rows + g.off + r];
    let keep = !saved.is_empty();
    let mut save = |b: usize, k: usize, r: usize, v: f64| {
        if keep {
            saved[(b * h + k) * ns + r] = v;
        }
    };
    // `v + p ∘ c` for peephole row `b`; without peepholes `v` itself (not
    // `v + 0·c`, which is NaN for an infinite `c`).
    let peep = |v: f64, b: usize, k: usize, c: f64| {
        if p.is_empty() {
            v
        } else {
            v + p[b * h + k] * c
        }
    };
    for k in 0..h {
        for r in 0..ns {
            let at = k * n + r;
            match cell {
                Cell::RnnTanh | Cell::RnnRelu => {
                    let hv = f.f.apply(f.clip(z(0, k, r)));
                    hs[at] = hv;
                    save(0, k, r, hv);
                }
                Cell::Lstm => {
                    let c = cs[at];
                    let i = f.f.apply(f.clip(peep(z(0, k, r), 0, k, c)));
                    let fg = if f.input_forget {
                        1.0 - i
                    } else {
                        f.f.apply(f.clip(peep(z(1, k, r), 1, k, c)))
                    };
                    let gg = f.g.apply(f.clip(z(2, k, r)));
                    let c_next = fg * c + i * gg;
                    let o = f.f.apply(f.clip(peep(z(3, k, r), 2, k, c_next)));
                    let h_next = o * f.h.apply(c_next);
                    cs[at] = c_next;
                    hs[at] = h_next;
                    for (b, v) in [i, fg, gg, o, c_next, h_next].into_iter().enumerate() {
                        save(b, k, r, v);
                    }
                }
                Cell::Gru | Cell::GruResetBefore => {
                    let before = cell == Cell::GruResetBefore;
                    // The reset-before GRU's r and z are activated already.
                    let (rv, zv) = if before {
                        (z(0, k, r), z(1, k, r))
                    } else {
                        (f.f.apply(f.clip(z(0, k, r))), f.f.apply(f.clip(z(1, k, r))))
                    };
                    let hn_v = hn[at];
                    let pre = if before {
                        z(2, k, r) + hn_v
                    } else {
                        z(2, k, r) + rv * hn_v
                    };
                    let nn = f.g.apply(f.clip(pre));
                    let h_next = (hs[at] - nn) * zv + nn;
                    hs[at] = h_next;
                    for (b, v) in [rv, zv, nn, hn_v, h_next].into_iter().enumerate() {
                        save(b, k, r, v);
                    }
                }
            }
        }
    }
}
