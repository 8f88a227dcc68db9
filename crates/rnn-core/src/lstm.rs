//! LSTM over a whole sequence, with the four gates fused into one weight.
//!
//! Per step, with `concat = [a_prev; x_t]` and `w = [Wf; Wi; Wc; Wo]`:
//! `f, i, o = σ(W_{f,i,o}·concat + b)`, `c̃ = tanh(Wc·concat + bc)`,
//! `c = f·c_prev + i·c̃`, `a = o·tanh(c)`, `ŷ = softmax(Wy·a + by)`.
//!
//! The columns of `w` split into `W_a` (the first `n_a`, acting on `a_prev`)
//! and `W_x` (the last `n_x`, acting on `x_t`); both are strided views, so
//! `concat` is never built.

use crate::activations::{sigmoid2, tanh2};
use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};
use crate::seq::{
    column, copy_columns, lhs_len, output_layer, output_layer_workspace_len, rhs_len, step_input,
    sum, take, weight_gradients, weight_gradients_workspace_len,
};
use crate::simd::{for_lanes, ld, st, wide, Lanes};
use crate::{
    check_lens, expect_workspace, product, sizes_fit, step, step_mut, Arg, Dims, KernelError,
};

/// Inputs of [`lstm_forward`].
#[derive(Clone, Copy, Debug)]
pub struct LstmForwardIn<'a> {
    /// Inputs, `[T][n_x][m]`.
    pub x: &'a [f64],
    /// Initial hidden state, `[n_a][m]`.
    pub a0: &'a [f64],
    /// Initial cell state, `[n_a][m]`.
    pub c0: &'a [f64],
    /// Fused gate weight `[Wf; Wi; Wc; Wo]`, `(4·n_a) × (n_a + n_x)`.
    pub w: &'a [f64],
    /// Fused gate bias, `[4·n_a]`.
    pub b: &'a [f64],
    /// Output weight, `n_y × n_a`.
    pub wy: &'a [f64],
    /// Output bias, `[n_y]`.
    pub by: &'a [f64],
}

/// Outputs of [`lstm_forward`].
#[derive(Debug)]
pub struct LstmForwardOut<'a> {
    /// Hidden states, `[T][n_a][m]`.
    pub a: &'a mut [f64],
    /// Cell states, `[T][n_a][m]`.
    pub c: &'a mut [f64],
    /// Softmax outputs, `[T][n_y][m]`.
    pub y: &'a mut [f64],
    /// Activated gates `f, i, c̃, o` of every step, `[T][4·n_a][m]`.
    pub gates: &'a mut [f64],
}

/// Inputs of [`lstm_backward`].
#[derive(Clone, Copy, Debug)]
pub struct LstmBackwardIn<'a> {
    /// Gradient of the loss with respect to each hidden state from outside
    /// the recurrence, `[T][n_a][m]`.
    pub da: &'a [f64],
    /// Gradient with respect to the last cell state, `[n_a][m]`.
    pub dc_last: &'a [f64],
    /// Each step's cell state (`c` of the forward pass), `[T][n_a][m]`.
    pub c_next: &'a [f64],
    /// Each step's input cell state (`c0`, then `c` shifted by a step),
    /// `[T][n_a][m]`.
    pub c_prev: &'a [f64],
    /// Each step's input hidden state (`a0`, then `a` shifted by a step),
    /// `[T][n_a][m]`.
    pub a_prev: &'a [f64],
    /// The forward pass's activated gates, `[T][4·n_a][m]`.
    pub gates: &'a [f64],
    /// Inputs, `[T][n_x][m]`.
    pub x: &'a [f64],
    /// Fused gate weight, `(4·n_a) × (n_a + n_x)`.
    pub w: &'a [f64],
}

/// Outputs of [`lstm_backward`].
#[derive(Debug)]
pub struct LstmBackwardOut<'a> {
    /// Gradient for the inputs, `[T][n_x][m]`.
    pub dx: &'a mut [f64],
    /// Gradient for the initial hidden state, `[n_a][m]`.
    pub da0: &'a mut [f64],
    /// Gradient for the initial cell state, `[n_a][m]`.
    pub dc0: &'a mut [f64],
    /// Gradient for `w`, shaped like it.
    pub dw: &'a mut [f64],
    /// Gradient for `b`, `[4·n_a]`.
    pub db: &'a mut [f64],
}

/// `(4·n_a, n_a + n_x)`, the shape of the fused weight, if it fits.
fn fused_shape(d: &Dims) -> Option<(usize, usize)> {
    Some((d.n_a.checked_mul(4)?, d.n_a.checked_add(d.n_x)?))
}

/// [`lstm_forward`]'s slices and their shapes: inputs, then outputs, in the
/// order of the structs' fields; `None` if the fused weight's shape
/// overflows.
fn forward_shapes(d: &Dims) -> Option<[Arg; 11]> {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    let (g, k) = fused_shape(d)?;
    Some([
        ("x", [t, n_x, m]),
        ("a0", [n_a, m, 1]),
        ("c0", [n_a, m, 1]),
        ("w", [g, k, 1]),
        ("b", [g, 1, 1]),
        ("wy", [n_y, n_a, 1]),
        ("by", [n_y, 1, 1]),
        ("a", [t, n_a, m]),
        ("c", [t, n_a, m]),
        ("y", [t, n_y, m]),
        ("gates", [t, g, m]),
    ])
}

/// [`lstm_backward`]'s slices and their shapes, as [`forward_shapes`].
fn backward_shapes(d: &Dims) -> Option<[Arg; 13]> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let (g, k) = fused_shape(d)?;
    Some([
        ("da", [t, n_a, m]),
        ("dc_last", [n_a, m, 1]),
        ("c_next", [t, n_a, m]),
        ("c_prev", [t, n_a, m]),
        ("a_prev", [t, n_a, m]),
        ("gates", [t, g, m]),
        ("x", [t, n_x, m]),
        ("w", [g, k, 1]),
        ("dx", [t, n_x, m]),
        ("da0", [n_a, m, 1]),
        ("dc0", [n_a, m, 1]),
        ("dw", [g, k, 1]),
        ("db", [g, 1, 1]),
    ])
}

/// The error for dimensions whose fused weight size overflows `usize`.
const W_OVERFLOWS: KernelError = KernelError::Overflow { arg: "w" };

/// Workspace elements [`lstm_forward`] needs (the packed fused weight
/// `[W | b]`, one packed step input, the output layer's packed operands);
/// `None` if the sizes overflow.
pub fn lstm_forward_workspace_len(d: &Dims) -> Option<usize> {
    let shapes = forward_shapes(d)?;
    if !sizes_fit(&shapes) {
        return None;
    }
    if shapes[7..].iter().all(|(_, s)| product(s) == Some(0)) {
        return Some(0); // every output is empty: nothing to compute
    }
    let (g, k) = fused_shape(d)?;
    let k1 = k.checked_add(1);
    sum(&[
        lhs_len(g, k1),
        rhs_len(k1, d.m),
        output_layer_workspace_len(d),
    ])
}

/// Workspace elements [`lstm_backward`] needs (the gate gradients of every
/// step, `[T][4·n_a][m]`, the packed transposed weights, one packed step,
/// the weight-gradient accumulator and its packing buffers); `None` if the
/// sizes overflow.
pub fn lstm_backward_workspace_len(d: &Dims) -> Option<usize> {
    let shapes = backward_shapes(d)?;
    if !sizes_fit(&shapes) {
        return None;
    }
    if product(&[d.t, d.n_a, d.m]) == Some(0) && product(&[d.t, d.n_x, d.m]) == Some(0) {
        return Some(0); // no step gradient and no dx: nothing to compute
    }
    let (g, k) = fused_shape(d)?;
    sum(&[
        product(&[d.t, g, d.m]),
        lhs_len(d.n_a, Some(g)),
        lhs_len(d.n_x, Some(g)),
        rhs_len(Some(g), d.m),
        product(&[g, k.checked_add(1)?]),
        weight_gradients_workspace_len(d, g),
    ])
}

/// Forward pass over `T` steps.
///
/// Shapes: `x [T][n_x][m]`, `a0`, `c0 [n_a][m]`, `w ((4·n_a) × (n_a+n_x))`,
/// `b [4·n_a]`, `wy (n_y × n_a)`, `by [n_y]`; outputs `a`, `c [T][n_a][m]`,
/// `y [T][n_y][m]` and `gates [T][4·n_a][m]` (activated `f, i, c̃, o`).
///
/// Each step is one GEMM, `[W | b]·[a_prev; x_t; 1]`, over the weight packed
/// once per call, then one vectorised pass over the gates.
pub fn lstm_forward(
    d: &Dims,
    i: LstmForwardIn<'_>,
    o: LstmForwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let LstmForwardIn {
        x,
        a0,
        c0,
        w,
        b,
        wy,
        by,
    } = i;
    let LstmForwardOut { a, c, y, gates } = o;
    let shapes = forward_shapes(d).ok_or(W_OVERFLOWS)?;
    let lens = [
        x.len(),
        a0.len(),
        c0.len(),
        w.len(),
        b.len(),
        wy.len(),
        by.len(),
        a.len(),
        c.len(),
        y.len(),
        gates.len(),
    ];
    check_lens(&shapes, &lens)?;
    expect_workspace(ws.len(), lstm_forward_workspace_len(d))?;
    if a.is_empty() && y.is_empty() && gates.is_empty() {
        return Ok(());
    }
    let Dims {
        n_x,
        n_a,
        m,
        t: steps,
        ..
    } = *d;
    // Lengths are validated, so these products cannot overflow.
    let (g, k) = (4 * n_a, n_a + n_x);
    let (sx, sa, sg) = (n_x * m, n_a * m, g * m);
    let (wbuf, ws) = take(ws, lhs_len(g, Some(k + 1)).unwrap_or(0));
    let (rbuf, ws) = take(ws, rhs_len(Some(k + 1), m).unwrap_or(0));
    let mut wp = PackedLhs::new(wbuf, g, k + 1)?;
    wp.pack(0, 0, MatRef::row_major(w, g, k)?)?;
    wp.pack(0, k, column(b)?)?;

    for t in 0..steps {
        let (a_done, a_rest) = a.split_at_mut(t * sa);
        let a_prev = if t == 0 { a0 } else { &a_done[(t - 1) * sa..] };
        let a_t = &mut a_rest[..sa];
        let (c_done, c_rest) = c.split_at_mut(t * sa);
        let c_prev = if t == 0 {
            c0
        } else {
            &c_done[(t - 1) * sa..t * sa]
        };
        let c_t = &mut c_rest[..sa];
        let g_t = step_mut(gates, t, sg);

        // All four gates at once: gates_t ← W·[a_{t-1}; x_t] + b.
        let input = step_input(rbuf, &a_prev[..sa], step(x, t, sx), n_a, n_x, m)?;
        gemm_packed(1.0, &wp, &input, 0.0, MatMut::row_major(g_t, g, m)?)?;
        cell_pointwise(g_t, &c_prev[..sa], c_t, a_t);
    }
    output_layer(d, wy, by, a, y, ws)
}

/// [`lstm_cell_pointwise`] over a step, cut into element ranges that threads
/// share where that pays (native builds, large steps).
fn cell_pointwise(g_t: &mut [f64], c_prev: &[f64], c_t: &mut [f64], a_t: &mut [f64]) {
    let sa = c_t.len();
    let (f, rest) = g_t.split_at_mut(sa);
    let (i, rest) = rest.split_at_mut(sa);
    let (cc, o) = rest.split_at_mut(sa);
    let run = |f: &mut [f64],
               i: &mut [f64],
               cc: &mut [f64],
               o: &mut [f64],
               cp: &[f64],
               ct: &mut [f64],
               at: &mut [f64]| {
        wide(
            #[inline(always)]
            || lstm_cell_pointwise([f, i, cc, o], cp, ct, at),
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    if crate::threads::share_elements(
        sa,
        |per| {
            f.chunks_mut(per)
                .zip(i.chunks_mut(per))
                .zip(cc.chunks_mut(per))
                .zip(o.chunks_mut(per))
                .zip(c_prev.chunks(per))
                .zip(c_t.chunks_mut(per))
                .zip(a_t.chunks_mut(per))
        },
        |((((((f, i), cc), o), cp), ct), at)| run(f, i, cc, o, cp, ct, at),
    ) {
        return;
    }
    run(f, i, cc, o, c_prev, c_t, a_t);
}

/// The element-wise half of a cell step, a vector of lanes at a time, over
/// one range of elements. `gates` (`f, i, c̃, o`) hold the pre-activations,
/// bias included, on entry and the activated gates on exit; writes `c_t` and
/// `a_t`. All slices have the same length.
#[inline(always)]
fn lstm_cell_pointwise(gates: [&mut [f64]; 4], c_prev: &[f64], c_t: &mut [f64], a_t: &mut [f64]) {
    let sa = c_t.len();
    let [f_blk, i_blk, cc_blk, o_blk] = gates;
    // Every slice exactly `sa` long, so the compiler drops the bounds checks
    // and the loop vectorises.
    let (f_blk, i_blk, cc_blk) = (&mut f_blk[..sa], &mut i_blk[..sa], &mut cc_blk[..sa]);
    let (o_blk, cp, a_t) = (&mut o_blk[..sa], &c_prev[..sa], &mut a_t[..sa]);
    for_lanes!(sa, |e, W| {
        let f = sigmoid2(ld::<W>(f_blk, e));
        let i = sigmoid2(ld::<W>(i_blk, e));
        let cc = tanh2(ld::<W>(cc_blk, e));
        let o = sigmoid2(ld::<W>(o_blk, e));
        let c_next = f.mul(ld::<W>(cp, e)).add(i.mul(cc));
        st::<W>(f, f_blk, e);
        st::<W>(i, i_blk, e);
        st::<W>(cc, cc_blk, e);
        st::<W>(o, o_blk, e);
        st::<W>(c_next, c_t, e);
        st::<W>(o.mul(tanh2(c_next)), a_t, e);
    });
}

/// Backward pass over `T` steps: exact gradients of a loss whose gradient
/// with respect to each hidden state (from outside the recurrence) is `da`
/// and with respect to the last cell state is `dc_last`.
///
/// Inputs per step (all `[T][·][m]`): `da`, the cached `c_next` (the step's
/// cell state), `c_prev`, `a_prev`, the activated `gates` and `x`; `w` is the
/// fused weight. Outputs: `dx [T][n_x][m]`, `da0`, `dc0 [n_a][m]` (gradients
/// for the initial states), `dw` shaped like `w` and `db [4·n_a]`. With
/// `T = 1` this is the single-cell backward.
///
/// The recurrence runs two GEMMs per step over weights packed once per call
/// (`W_aᵀ·dg_t` for the carry, `W_xᵀ·dg_t` for `dx_t`, sharing the packed
/// `dg_t`); the weight and bias gradients of all steps follow as one GEMM
/// with `k = T·m`.
pub fn lstm_backward(
    d: &Dims,
    i: LstmBackwardIn<'_>,
    o: LstmBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let LstmBackwardIn {
        da,
        dc_last,
        c_next,
        c_prev,
        a_prev,
        gates,
        x,
        w,
    } = i;
    let LstmBackwardOut {
        dx,
        da0,
        dc0,
        dw,
        db,
    } = o;
    let shapes = backward_shapes(d).ok_or(W_OVERFLOWS)?;
    let lens = [
        da.len(),
        dc_last.len(),
        c_next.len(),
        c_prev.len(),
        a_prev.len(),
        gates.len(),
        x.len(),
        w.len(),
        dx.len(),
        da0.len(),
        dc0.len(),
        dw.len(),
        db.len(),
    ];
    check_lens(&shapes, &lens)?;
    expect_workspace(ws.len(), lstm_backward_workspace_len(d))?;
    da0.fill(0.0);
    dc0.copy_from_slice(dc_last);
    dw.fill(0.0);
    db.fill(0.0);
    if da.is_empty() && dx.is_empty() {
        return Ok(());
    }
    let Dims {
        n_x,
        n_a,
        m,
        t: steps,
        ..
    } = *d;
    let (g, k) = (4 * n_a, n_a + n_x);
    let (sx, sa, sg) = (n_x * m, n_a * m, g * m);
    let (dgates, ws) = take(ws, steps * sg);
    let (wa_buf, ws) = take(ws, lhs_len(n_a, Some(g)).unwrap_or(0));
    let (wx_buf, ws) = take(ws, lhs_len(n_x, Some(g)).unwrap_or(0));
    let (rbuf, ws) = take(ws, rhs_len(Some(g), m).unwrap_or(0));
    let (ext, ws) = take(ws, g * (k + 1));
    let mut wa_t = PackedLhs::new(wa_buf, n_a, g)?;
    wa_t.pack(0, 0, MatRef::new(w, g, n_a, k, 1)?.t())?;
    let mut wx_t = PackedLhs::new(wx_buf, n_x, g)?;
    wx_t.pack(
        0,
        0,
        MatRef::new(w.get(n_a..).unwrap_or(&[]), g, n_x, k, 1)?.t(),
    )?;

    // The recurrence, with da0 and dc0 holding the carries.
    for t in (0..steps).rev() {
        let dg_t = step_mut(dgates, t, sg);
        let (g_t, da_t) = (step(gates, t, sg), step(da, t, sa));
        let (cn_t, cp_t) = (step(c_next, t, sa), step(c_prev, t, sa));
        cell_backward(dg_t, g_t, da_t, cn_t, cp_t, da0, dc0);
        let mut dg_packed = PackedRhs::new(rbuf, g, m)?;
        dg_packed.pack(0, 0, MatRef::row_major(dg_t, g, m)?)?;
        gemm_packed(1.0, &wa_t, &dg_packed, 0.0, MatMut::row_major(da0, n_a, m)?)?;
        let dx_t = MatMut::row_major(step_mut(dx, t, sx), n_x, m)?;
        gemm_packed(1.0, &wx_t, &dg_packed, 0.0, dx_t)?;
    }
    // [dW_a | dW_x | db] = Σ_t dg_t·[a_prev_t; x_t; 1]ᵀ.
    weight_gradients(d, g, dgates, a_prev, x, ext, ws)?;
    copy_columns(ext, k + 1, 0, k, dw);
    copy_columns(ext, k + 1, k, k + 1, db);
    Ok(())
}

/// [`lstm_cell_backward_pointwise`] over a step, cut into element ranges
/// that threads share where that pays (native builds, large steps).
fn cell_backward(
    dg_t: &mut [f64],
    g_t: &[f64],
    da_t: &[f64],
    c_next: &[f64],
    c_prev: &[f64],
    da_carry: &[f64],
    dc_carry: &mut [f64],
) {
    let sa = da_t.len();
    let (d_f, rest) = dg_t.split_at_mut(sa);
    let (d_i, rest) = rest.split_at_mut(sa);
    let (d_cc, d_o) = rest.split_at_mut(sa);
    let (f, rest) = g_t.split_at(sa);
    let (i, rest) = rest.split_at(sa);
    let (cc, o) = rest.split_at(sa);
    // Elements `e0..` of every input, as many as the outputs hold.
    let run = |e0: usize, outputs: [&mut [f64]; 5]| {
        let r = e0..e0 + outputs[4].len();
        let inputs = [&f[r.clone()], &i[r.clone()], &cc[r.clone()], &o[r.clone()]];
        let (da_t, c_next, c_prev) = (&da_t[r.clone()], &c_next[r.clone()], &c_prev[r.clone()]);
        let da_carry = &da_carry[r];
        wide(
            #[inline(always)]
            || lstm_cell_backward_pointwise(outputs, inputs, da_t, c_next, c_prev, da_carry),
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    if crate::threads::share_elements(
        sa,
        |per| {
            d_f.chunks_mut(per)
                .zip(d_i.chunks_mut(per))
                .zip(d_cc.chunks_mut(per))
                .zip(d_o.chunks_mut(per))
                .zip(dc_carry.chunks_mut(per))
                .enumerate()
                .map(move |(n, outputs)| (n * per, outputs))
        },
        |(e0, ((((d_f, d_i), d_cc), d_o), dc))| run(e0, [d_f, d_i, d_cc, d_o, dc]),
    ) {
        return;
    }
    run(0, [d_f, d_i, d_cc, d_o, dc_carry]);
}

/// The element-wise half of a backward cell step, a vector of lanes at a time,
/// over one range of elements. Reads the step's activated gates (`f, i, c̃,
/// o`), `da_t`, `c_next`, `c_prev` and the carry `da_carry`; writes the gate
/// pre-activation gradients `d_f, d_i, d_c̃, d_o` and replaces the carry
/// `dc_carry` with the gradient for the previous cell state. `da_carry` is left
/// for the caller to overwrite with `W_aᵀ·dg_t`. All slices have the same
/// length.
#[inline(always)]
fn lstm_cell_backward_pointwise(
    outputs: [&mut [f64]; 5],
    gates: [&[f64]; 4],
    da_t: &[f64],
    c_next: &[f64],
    c_prev: &[f64],
    da_carry: &[f64],
) {
    let [d_f, d_i, d_cc, d_o, dc_carry] = outputs;
    let [f_blk, i_blk, cc_blk, o_blk] = gates;
    let sa = dc_carry.len();
    // Every slice exactly `sa` long, so the compiler drops the bounds checks.
    let (d_f, d_i, d_cc, d_o) = (
        &mut d_f[..sa],
        &mut d_i[..sa],
        &mut d_cc[..sa],
        &mut d_o[..sa],
    );
    let (f_blk, i_blk, cc_blk, o_blk) = (&f_blk[..sa], &i_blk[..sa], &cc_blk[..sa], &o_blk[..sa]);
    let (da_t, c_next, c_prev, da_carry) =
        (&da_t[..sa], &c_next[..sa], &c_prev[..sa], &da_carry[..sa]);
    let one = Lanes::splat(1.0);
    for_lanes!(sa, |e, W| {
        let (f, i) = (ld::<W>(f_blk, e), ld::<W>(i_blk, e));
        let (cc, o) = (ld::<W>(cc_blk, e), ld::<W>(o_blk, e));
        let da_total = ld::<W>(da_t, e).add(ld::<W>(da_carry, e));
        let tc = tanh2(ld::<W>(c_next, e));
        let dc_total = ld::<W>(dc_carry, e).add(da_total.mul(o).mul(one.sub(tc.mul(tc))));
        st::<W>(da_total.mul(tc).mul(o).mul(one.sub(o)), d_o, e);
        st::<W>(dc_total.mul(i).mul(one.sub(cc.mul(cc))), d_cc, e);
        st::<W>(dc_total.mul(cc).mul(i).mul(one.sub(i)), d_i, e);
        let cp = ld::<W>(c_prev, e);
        st::<W>(dc_total.mul(cp).mul(f).mul(one.sub(f)), d_f, e);
        st::<W>(dc_total.mul(f), dc_carry, e);
    });
}
