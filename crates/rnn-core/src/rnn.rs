//! Plain tanh RNN over a whole sequence:
//! `a_t = tanh(Wax·x_t + Waa·a_{t-1} + ba)`, `ŷ_t = softmax(Wya·a_t + by)`.

use crate::activations::{map_in_place, tanh2, with_inline};
use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};
use crate::seq::{
    column, copy_columns, lhs_len, output_layer, output_layer_workspace_len, rhs_len, step_input,
    sum, take, weight_gradients, weight_gradients_workspace_len,
};
use crate::simd::{for_lanes, ld, st, wide, Lanes};
use crate::{
    check_lens, expect_workspace, product, sizes_fit, step, step_mut, Arg, Dims, KernelError,
};

/// Inputs of [`rnn_forward`].
#[derive(Clone, Copy, Debug)]
pub struct RnnForwardIn<'a> {
    /// Inputs, `[T][n_x][m]`.
    pub x: &'a [f64],
    /// Initial hidden state, `[n_a][m]`.
    pub a0: &'a [f64],
    /// Input weight, `n_a × n_x`.
    pub wax: &'a [f64],
    /// Recurrent weight, `n_a × n_a`.
    pub waa: &'a [f64],
    /// Hidden bias, `[n_a]`.
    pub ba: &'a [f64],
    /// Output weight, `n_y × n_a`.
    pub wya: &'a [f64],
    /// Output bias, `[n_y]`.
    pub by: &'a [f64],
}

/// Outputs of [`rnn_forward`].
#[derive(Debug)]
pub struct RnnForwardOut<'a> {
    /// Hidden states, `[T][n_a][m]`.
    pub a: &'a mut [f64],
    /// Softmax outputs, `[T][n_y][m]`.
    pub y: &'a mut [f64],
}

/// Inputs of [`rnn_backward`].
#[derive(Clone, Copy, Debug)]
pub struct RnnBackwardIn<'a> {
    /// Gradient of the loss with respect to each hidden state from outside
    /// the recurrence, `[T][n_a][m]`.
    pub da: &'a [f64],
    /// Each step's output state (`a` of the forward pass), `[T][n_a][m]`.
    pub a_next: &'a [f64],
    /// Each step's input state (`a0`, then `a` shifted by a step),
    /// `[T][n_a][m]`.
    pub a_prev: &'a [f64],
    /// Inputs, `[T][n_x][m]`.
    pub x: &'a [f64],
    /// Input weight, `n_a × n_x`.
    pub wax: &'a [f64],
    /// Recurrent weight, `n_a × n_a`.
    pub waa: &'a [f64],
}

/// Outputs of [`rnn_backward`].
#[derive(Debug)]
pub struct RnnBackwardOut<'a> {
    /// Gradient for the inputs, `[T][n_x][m]`.
    pub dx: &'a mut [f64],
    /// Gradient for the initial hidden state, `[n_a][m]`.
    pub da0: &'a mut [f64],
    /// Gradient for `wax`, `n_a × n_x`.
    pub dwax: &'a mut [f64],
    /// Gradient for `waa`, `n_a × n_a`.
    pub dwaa: &'a mut [f64],
    /// Gradient for `ba`, `[n_a]`.
    pub dba: &'a mut [f64],
}

/// [`rnn_forward`]'s slices and their shapes: inputs, then outputs, in the
/// order of the structs' fields.
fn forward_shapes(d: &Dims) -> [Arg; 9] {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    [
        ("x", [t, n_x, m]),
        ("a0", [n_a, m, 1]),
        ("wax", [n_a, n_x, 1]),
        ("waa", [n_a, n_a, 1]),
        ("ba", [n_a, 1, 1]),
        ("wya", [n_y, n_a, 1]),
        ("by", [n_y, 1, 1]),
        ("a", [t, n_a, m]),
        ("y", [t, n_y, m]),
    ]
}

/// [`rnn_backward`]'s slices and their shapes, as [`forward_shapes`].
fn backward_shapes(d: &Dims) -> [Arg; 11] {
    let Dims { n_x, n_a, m, t, .. } = *d;
    [
        ("da", [t, n_a, m]),
        ("a_next", [t, n_a, m]),
        ("a_prev", [t, n_a, m]),
        ("x", [t, n_x, m]),
        ("wax", [n_a, n_x, 1]),
        ("waa", [n_a, n_a, 1]),
        ("dx", [t, n_x, m]),
        ("da0", [n_a, m, 1]),
        ("dwax", [n_a, n_x, 1]),
        ("dwaa", [n_a, n_a, 1]),
        ("dba", [n_a, 1, 1]),
    ]
}

/// Workspace elements [`rnn_forward`] needs (the packed fused weight
/// `[Waa | Wax | ba]`, one packed step input, the output layer's packed
/// operands); `None` if the sizes overflow.
pub fn rnn_forward_workspace_len(d: &Dims) -> Option<usize> {
    let shapes = forward_shapes(d);
    if !sizes_fit(&shapes) {
        return None;
    }
    if shapes[7..].iter().all(|(_, s)| product(s) == Some(0)) {
        return Some(0); // every output is empty: nothing to compute
    }
    let k1 = d.n_a.checked_add(d.n_x)?.checked_add(1);
    sum(&[
        lhs_len(d.n_a, k1),
        rhs_len(k1, d.m),
        output_layer_workspace_len(d),
    ])
}

/// Workspace elements [`rnn_backward`] needs (the pre-activation gradients
/// of every step, `[T][n_a][m]`, the packed transposed weights, one packed
/// step, the weight-gradient accumulator and its packing buffers); `None` if
/// the sizes overflow.
pub fn rnn_backward_workspace_len(d: &Dims) -> Option<usize> {
    if !sizes_fit(&backward_shapes(d)) {
        return None;
    }
    if product(&[d.t, d.n_a, d.m]) == Some(0) && product(&[d.t, d.n_x, d.m]) == Some(0) {
        return Some(0); // no step gradient and no dx: nothing to compute
    }
    let k1 = d.n_a.checked_add(d.n_x)?.saturating_add(1);
    sum(&[
        product(&[d.t, d.n_a, d.m]),
        lhs_len(d.n_a, Some(d.n_a)),
        lhs_len(d.n_x, Some(d.n_a)),
        rhs_len(Some(d.n_a), d.m),
        product(&[d.n_a, k1]),
        weight_gradients_workspace_len(d, d.n_a),
    ])
}

/// Forward pass over `T` steps.
///
/// Shapes: `x [T][n_x][m]`, `a0 [n_a][m]`, `wax (n_a × n_x)`, `waa (n_a × n_a)`,
/// `ba [n_a]`, `wya (n_y × n_a)`, `by [n_y]`; outputs `a [T][n_a][m]` (hidden
/// states) and `y [T][n_y][m]` (softmax over the `n_y` rows of each column).
///
/// Each step is one GEMM, `[Waa | Wax | ba]·[a_prev; x_t; 1]`, over the
/// weight packed once per call, then a vectorised `tanh`.
pub fn rnn_forward(
    d: &Dims,
    i: RnnForwardIn<'_>,
    o: RnnForwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let RnnForwardIn {
        x,
        a0,
        wax,
        waa,
        ba,
        wya,
        by,
    } = i;
    let RnnForwardOut { a, y } = o;
    let lens = [
        x.len(),
        a0.len(),
        wax.len(),
        waa.len(),
        ba.len(),
        wya.len(),
        by.len(),
        a.len(),
        y.len(),
    ];
    check_lens(&forward_shapes(d), &lens)?;
    expect_workspace(ws.len(), rnn_forward_workspace_len(d))?;
    if a.is_empty() && y.is_empty() {
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
    let (sx, sa) = (n_x * m, n_a * m);
    let k = n_a + n_x;
    let (wbuf, ws) = take(ws, lhs_len(n_a, Some(k + 1)).unwrap_or(0));
    let (rbuf, ws) = take(ws, rhs_len(Some(k + 1), m).unwrap_or(0));
    let mut wp = PackedLhs::new(wbuf, n_a, k + 1)?;
    wp.pack(0, 0, MatRef::row_major(waa, n_a, n_a)?)?;
    wp.pack(0, n_a, MatRef::row_major(wax, n_a, n_x)?)?;
    wp.pack(0, k, column(ba)?)?;

    for t in 0..steps {
        let (done, rest) = a.split_at_mut(t * sa);
        let a_prev = if t == 0 { a0 } else { &done[(t - 1) * sa..] };
        let a_t = &mut rest[..sa];
        // a_t ← tanh([Waa | Wax | ba]·[a_{t-1}; x_t; 1]).
        let input = step_input(rbuf, &a_prev[..sa], step(x, t, sx), n_a, n_x, m)?;
        gemm_packed(1.0, &wp, &input, 0.0, MatMut::row_major(a_t, n_a, m)?)?;
        // `with_inline!`: the bare `tanh2` ran as baseline SSE2 and took a
        // quarter of an M forward pass.
        wide(
            #[inline(always)]
            || map_in_place(a_t, with_inline!(tanh2)),
        );
    }
    output_layer(d, wya, by, a, y, ws)
}

/// Backward pass over `T` steps: the notebook's `rnn_backward`.
///
/// `da [T][n_a][m]` is the gradient of the loss with respect to each hidden
/// state from outside the recurrence; `a_next` and `a_prev` (both
/// `[T][n_a][m]`) are each step's cached output and input state, and `x` its
/// input. Going from the last step back, with a carry starting at zero:
/// `dtanh = (da_t + carry)·(1 − a_next_t²)`, `carry = Waaᵀ·dtanh`,
/// `dx_t = Waxᵀ·dtanh`, `dwax += dtanh·x_tᵀ`, `dwaa += dtanh·a_prev_tᵀ`,
/// `dba += Σ_columns dtanh`; finally `da0 = carry`.
///
/// The recurrence runs two GEMMs per step over weights packed once per
/// call; the weight and bias gradients of all steps follow as one GEMM with
/// `k = T·m`.
pub fn rnn_backward(
    d: &Dims,
    i: RnnBackwardIn<'_>,
    o: RnnBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let RnnBackwardIn {
        da,
        a_next,
        a_prev,
        x,
        wax,
        waa,
    } = i;
    let RnnBackwardOut {
        dx,
        da0,
        dwax,
        dwaa,
        dba,
    } = o;
    let lens = [
        da.len(),
        a_next.len(),
        a_prev.len(),
        x.len(),
        wax.len(),
        waa.len(),
        dx.len(),
        da0.len(),
        dwax.len(),
        dwaa.len(),
        dba.len(),
    ];
    check_lens(&backward_shapes(d), &lens)?;
    expect_workspace(ws.len(), rnn_backward_workspace_len(d))?;
    da0.fill(0.0);
    dwax.fill(0.0);
    dwaa.fill(0.0);
    dba.fill(0.0);
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
    let (sx, sa) = (n_x * m, n_a * m);
    let k = n_a + n_x;
    let (dtanh, ws) = take(ws, steps * sa);
    let (waa_buf, ws) = take(ws, lhs_len(n_a, Some(n_a)).unwrap_or(0));
    let (wax_buf, ws) = take(ws, lhs_len(n_x, Some(n_a)).unwrap_or(0));
    let (rbuf, ws) = take(ws, rhs_len(Some(n_a), m).unwrap_or(0));
    let (ext, ws) = take(ws, n_a * (k + 1));
    let mut waa_t = PackedLhs::new(waa_buf, n_a, n_a)?;
    waa_t.pack(0, 0, MatRef::row_major(waa, n_a, n_a)?.t())?;
    let mut wax_t = PackedLhs::new(wax_buf, n_x, n_a)?;
    wax_t.pack(0, 0, MatRef::row_major(wax, n_a, n_x)?.t())?;

    // The recurrence, with da0 holding the carry.
    let one = Lanes::splat(1.0);
    for t in (0..steps).rev() {
        let dt = step_mut(dtanh, t, sa);
        let (da_t, an) = (step(da, t, sa), step(a_next, t, sa));
        let carry = &da0[..sa];
        wide(
            #[inline(always)]
            || {
                for_lanes!(sa, |e, W| {
                    let a_n = ld::<W>(an, e);
                    let g = ld::<W>(da_t, e).add(ld::<W>(carry, e));
                    st::<W>(g.mul(one.sub(a_n.mul(a_n))), dt, e);
                })
            },
        );
        let mut dt_packed = PackedRhs::new(rbuf, n_a, m)?;
        dt_packed.pack(0, 0, MatRef::row_major(dt, n_a, m)?)?;
        gemm_packed(
            1.0,
            &waa_t,
            &dt_packed,
            0.0,
            MatMut::row_major(da0, n_a, m)?,
        )?;
        let dx_t = MatMut::row_major(step_mut(dx, t, sx), n_x, m)?;
        gemm_packed(1.0, &wax_t, &dt_packed, 0.0, dx_t)?;
    }
    // [dWaa | dWax | dba] = Σ_t dtanh_t·[a_prev_t; x_t; 1]ᵀ.
    weight_gradients(d, n_a, dtanh, a_prev, x, ext, ws)?;
    copy_columns(ext, k + 1, 0, n_a, dwaa);
    copy_columns(ext, k + 1, n_a, k, dwax);
    copy_columns(ext, k + 1, k, k + 1, dba);
    Ok(())
}
