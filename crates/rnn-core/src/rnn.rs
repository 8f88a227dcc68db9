//! Plain tanh RNN over a whole sequence:
//! `a_t = tanh(Wax·x_t + Waa·a_{t-1} + ba)`, `ŷ_t = softmax(Wya·a_t + by)`.

use crate::activations::softmax_columns_in_place;
use crate::gemm::{gemm, MatMut, MatRef};
use crate::{
    add_row_sums, bias_rows_map, check_lens, expect_workspace, product, sizes_fit, step, step_mut,
    DimError, Dims, Shape,
};

const FORWARD_ARGS: [&str; 9] = ["x", "a0", "wax", "waa", "ba", "wya", "by", "a", "y"];

fn forward_shapes(d: &Dims) -> [Shape; 9] {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    [
        [t, n_x, m],   // x
        [n_a, m, 1],   // a0
        [n_a, n_x, 1], // wax
        [n_a, n_a, 1], // waa
        [n_a, 1, 1],   // ba
        [n_y, n_a, 1], // wya
        [n_y, 1, 1],   // by
        [t, n_a, m],   // a
        [t, n_y, m],   // y
    ]
}

const BACKWARD_ARGS: [&str; 11] = [
    "da", "a_next", "a_prev", "x", "wax", "waa", "dx", "da0", "dwax", "dwaa", "dba",
];

fn backward_shapes(d: &Dims) -> [Shape; 11] {
    let Dims { n_x, n_a, m, t, .. } = *d;
    [
        [t, n_a, m],   // da
        [t, n_a, m],   // a_next
        [t, n_a, m],   // a_prev
        [t, n_x, m],   // x
        [n_a, n_x, 1], // wax
        [n_a, n_a, 1], // waa
        [t, n_x, m],   // dx
        [n_a, m, 1],   // da0
        [n_a, n_x, 1], // dwax
        [n_a, n_a, 1], // dwaa
        [n_a, 1, 1],   // dba
    ]
}

/// Workspace elements [`rnn_forward`] needs; `None` if the sizes overflow.
pub fn rnn_forward_workspace_len(d: &Dims) -> Option<usize> {
    sizes_fit(&forward_shapes(d)).then_some(0)
}

/// Workspace elements [`rnn_backward`] needs (one `n_a × m` block per step
/// for the pre-activation gradients); `None` if the sizes overflow.
pub fn rnn_backward_workspace_len(d: &Dims) -> Option<usize> {
    if !sizes_fit(&backward_shapes(d)) {
        return None;
    }
    product(&[d.t, d.n_a, d.m])
}

/// Forward pass over `T` steps.
///
/// Shapes: `x [T][n_x][m]`, `a0 [n_a][m]`, `wax (n_a × n_x)`, `waa (n_a × n_a)`,
/// `ba [n_a]`, `wya (n_y × n_a)`, `by [n_y]`; outputs `a [T][n_a][m]` (hidden
/// states) and `y [T][n_y][m]` (softmax over the `n_y` rows of each column).
#[allow(clippy::too_many_arguments)]
pub fn rnn_forward(
    d: &Dims,
    x: &[f64],
    a0: &[f64],
    wax: &[f64],
    waa: &[f64],
    ba: &[f64],
    wya: &[f64],
    by: &[f64],
    a: &mut [f64],
    y: &mut [f64],
    ws: &mut [f64],
) -> Result<(), DimError> {
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
    check_lens(&FORWARD_ARGS, &forward_shapes(d), &lens)?;
    expect_workspace(ws.len(), rnn_forward_workspace_len(d))?;
    if a.is_empty() && y.is_empty() {
        return Ok(());
    }
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t: steps,
    } = *d;
    // Lengths are validated, so these products cannot overflow.
    let (sx, sa, sy) = (n_x * m, n_a * m, n_y * m);
    let wax = MatRef::row_major(wax, n_a, n_x)?;
    let waa = MatRef::row_major(waa, n_a, n_a)?;
    let wya = MatRef::row_major(wya, n_y, n_a)?;

    // The input projection does not depend on the recurrence: a_t ← Wax·x_t.
    for t in 0..steps {
        let x_t = MatRef::row_major(step(x, t, sx), n_x, m)?;
        gemm(
            1.0,
            wax,
            x_t,
            0.0,
            MatMut::row_major(step_mut(a, t, sa), n_a, m)?,
        )?;
    }
    // The recurrence: a_t ← tanh(a_t + Waa·a_{t-1} + ba).
    for t in 0..steps {
        let (done, rest) = a.split_at_mut(t * sa);
        let a_prev = if t == 0 { a0 } else { &done[(t - 1) * sa..] };
        let a_t = &mut rest[..sa];
        let a_prev = MatRef::row_major(a_prev, n_a, m)?;
        gemm(1.0, waa, a_prev, 1.0, MatMut::row_major(a_t, n_a, m)?)?;
        bias_rows_map(a_t, ba, m, f64::tanh);
    }
    // Outputs: y_t ← softmax(Wya·a_t + by).
    for t in 0..steps {
        let y_t = step_mut(y, t, sy);
        let a_t = MatRef::row_major(step(a, t, sa), n_a, m)?;
        gemm(1.0, wya, a_t, 0.0, MatMut::row_major(y_t, n_y, m)?)?;
        bias_rows_map(y_t, by, m, |v| v);
        softmax_columns_in_place(y_t, n_y, m);
    }
    Ok(())
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
#[allow(clippy::too_many_arguments)]
pub fn rnn_backward(
    d: &Dims,
    da: &[f64],
    a_next: &[f64],
    a_prev: &[f64],
    x: &[f64],
    wax: &[f64],
    waa: &[f64],
    dx: &mut [f64],
    da0: &mut [f64],
    dwax: &mut [f64],
    dwaa: &mut [f64],
    dba: &mut [f64],
    ws: &mut [f64],
) -> Result<(), DimError> {
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
    check_lens(&BACKWARD_ARGS, &backward_shapes(d), &lens)?;
    let ws_len = rnn_backward_workspace_len(d);
    expect_workspace(ws.len(), ws_len)?;
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
    let wax = MatRef::row_major(wax, n_a, n_x)?;
    let waa = MatRef::row_major(waa, n_a, n_a)?;
    // dtanh for every step, kept for the weight gradients after the loop.
    let dtanh = &mut ws[..steps * sa];

    // The recurrence, with da0 holding the carry.
    for t in (0..steps).rev() {
        let dt = step_mut(dtanh, t, sa);
        for (((g, &d_out), &carry), &an) in dt
            .iter_mut()
            .zip(step(da, t, sa))
            .zip(da0.iter())
            .zip(step(a_next, t, sa))
        {
            *g = (d_out + carry) * (1.0 - an * an);
        }
        let dt = MatRef::row_major(dt, n_a, m)?;
        gemm(1.0, waa.t(), dt, 0.0, MatMut::row_major(da0, n_a, m)?)?;
    }
    // Everything else reads dtanh only.
    for t in (0..steps).rev() {
        let dt_slice = step(dtanh, t, sa);
        let dt = MatRef::row_major(dt_slice, n_a, m)?;
        gemm(
            1.0,
            wax.t(),
            dt,
            0.0,
            MatMut::row_major(step_mut(dx, t, sx), n_x, m)?,
        )?;
        let x_t = MatRef::row_major(step(x, t, sx), n_x, m)?;
        gemm(1.0, dt, x_t.t(), 1.0, MatMut::row_major(dwax, n_a, n_x)?)?;
        let a_prev_t = MatRef::row_major(step(a_prev, t, sa), n_a, m)?;
        gemm(
            1.0,
            dt,
            a_prev_t.t(),
            1.0,
            MatMut::row_major(dwaa, n_a, n_a)?,
        )?;
        add_row_sums(dba, dt_slice, m);
    }
    Ok(())
}
