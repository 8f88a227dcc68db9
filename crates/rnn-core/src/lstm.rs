//! LSTM over a whole sequence, with the four gates fused into one weight.
//!
//! Per step, with `concat = [a_prev; x_t]` and `w = [Wf; Wi; Wc; Wo]`:
//! `f, i, o = σ(W_{f,i,o}·concat + b)`, `c̃ = tanh(Wc·concat + bc)`,
//! `c = f·c_prev + i·c̃`, `a = o·tanh(c)`, `ŷ = softmax(Wy·a + by)`.
//!
//! The columns of `w` split into `W_a` (the first `n_a`, acting on `a_prev`)
//! and `W_x` (the last `n_x`, acting on `x_t`); both are strided views, so
//! `concat` is never built.

use crate::activations::{sigmoid1, softmax_columns_in_place};
use crate::gemm::{gemm, MatMut, MatRef};
use crate::{
    add_row_sums, bias_rows_map, check_lens, expect_workspace, product, sizes_fit, step, step_mut,
    DimError, Dims, Shape,
};

/// `(4·n_a, n_a + n_x)`, the shape of the fused weight, if it fits.
fn fused_shape(d: &Dims) -> Option<(usize, usize)> {
    Some((d.n_a.checked_mul(4)?, d.n_a.checked_add(d.n_x)?))
}

const FORWARD_ARGS: [&str; 11] = [
    "x", "a0", "c0", "w", "b", "wy", "by", "a", "c", "y", "gates",
];

fn forward_shapes(d: &Dims) -> Option<[Shape; 11]> {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    let (g, k) = fused_shape(d)?;
    Some([
        [t, n_x, m],   // x
        [n_a, m, 1],   // a0
        [n_a, m, 1],   // c0
        [g, k, 1],     // w
        [g, 1, 1],     // b
        [n_y, n_a, 1], // wy
        [n_y, 1, 1],   // by
        [t, n_a, m],   // a
        [t, n_a, m],   // c
        [t, n_y, m],   // y
        [t, g, m],     // gates
    ])
}

const BACKWARD_ARGS: [&str; 13] = [
    "da", "dc_last", "c_next", "c_prev", "a_prev", "gates", "x", "w", "dx", "da0", "dc0", "dw",
    "db",
];

fn backward_shapes(d: &Dims) -> Option<[Shape; 13]> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let (g, k) = fused_shape(d)?;
    Some([
        [t, n_a, m], // da
        [n_a, m, 1], // dc_last
        [t, n_a, m], // c_next
        [t, n_a, m], // c_prev
        [t, n_a, m], // a_prev
        [t, g, m],   // gates
        [t, n_x, m], // x
        [g, k, 1],   // w
        [t, n_x, m], // dx
        [n_a, m, 1], // da0
        [n_a, m, 1], // dc0
        [g, k, 1],   // dw
        [g, 1, 1],   // db
    ])
}

/// Error for dimensions whose fused weight size overflows `usize`.
fn overflow(arg: &'static str, actual: usize) -> DimError {
    DimError {
        arg,
        expected: None,
        actual,
    }
}

/// Workspace elements [`lstm_forward`] needs; `None` if the sizes overflow.
pub fn lstm_forward_workspace_len(d: &Dims) -> Option<usize> {
    let shapes = forward_shapes(d)?;
    sizes_fit(&shapes).then_some(0)
}

/// Workspace elements [`lstm_backward`] needs (the gate gradients of every
/// step, `[T][4·n_a][m]`); `None` if the sizes overflow.
pub fn lstm_backward_workspace_len(d: &Dims) -> Option<usize> {
    let shapes = backward_shapes(d)?;
    if !sizes_fit(&shapes) {
        return None;
    }
    product(&[d.t, d.n_a, 4, d.m])
}

/// `(W_a, W_x)`: the column blocks of the fused `g × k` weight acting on
/// `a_prev` and on `x_t`.
fn split_weight(
    w: &[f64],
    g: usize,
    n_a: usize,
    n_x: usize,
) -> Result<(MatRef<'_>, MatRef<'_>), DimError> {
    let k = n_a + n_x;
    let w_a = MatRef::new(w, g, n_a, k, 1)?;
    let w_x = MatRef::new(w.get(n_a..).unwrap_or(&[]), g, n_x, k, 1)?;
    Ok((w_a, w_x))
}

/// Forward pass over `T` steps.
///
/// Shapes: `x [T][n_x][m]`, `a0`, `c0 [n_a][m]`, `w ((4·n_a) × (n_a+n_x))`,
/// `b [4·n_a]`, `wy (n_y × n_a)`, `by [n_y]`; outputs `a`, `c [T][n_a][m]`,
/// `y [T][n_y][m]` and `gates [T][4·n_a][m]` (activated `f, i, c̃, o`).
#[allow(clippy::too_many_arguments)]
pub fn lstm_forward(
    d: &Dims,
    x: &[f64],
    a0: &[f64],
    c0: &[f64],
    w: &[f64],
    b: &[f64],
    wy: &[f64],
    by: &[f64],
    a: &mut [f64],
    c: &mut [f64],
    y: &mut [f64],
    gates: &mut [f64],
    ws: &mut [f64],
) -> Result<(), DimError> {
    let shapes = forward_shapes(d).ok_or_else(|| overflow("w", w.len()))?;
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
    check_lens(&FORWARD_ARGS, &shapes, &lens)?;
    expect_workspace(ws.len(), lstm_forward_workspace_len(d))?;
    if a.is_empty() && y.is_empty() && gates.is_empty() {
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
    let g = 4 * n_a;
    let (sx, sa, sy, sg) = (n_x * m, n_a * m, n_y * m, g * m);
    let (w_a, w_x) = split_weight(w, g, n_a, n_x)?;
    let wy = MatRef::row_major(wy, n_y, n_a)?;

    // The input projection does not depend on the recurrence: gates_t ← W_x·x_t.
    for t in 0..steps {
        let x_t = MatRef::row_major(step(x, t, sx), n_x, m)?;
        gemm(
            1.0,
            w_x,
            x_t,
            0.0,
            MatMut::row_major(step_mut(gates, t, sg), g, m)?,
        )?;
    }
    // The recurrence.
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

        // All four gates at once: gates_t += W_a·a_{t-1}.
        gemm(
            1.0,
            w_a,
            MatRef::row_major(a_prev, n_a, m)?,
            1.0,
            MatMut::row_major(g_t, g, m)?,
        )?;
        lstm_cell_pointwise(g_t, b, c_prev, c_t, a_t, n_a, m);
    }
    // Outputs: y_t ← softmax(Wy·a_t + by).
    for t in 0..steps {
        let y_t = step_mut(y, t, sy);
        let a_t = MatRef::row_major(step(a, t, sa), n_a, m)?;
        gemm(1.0, wy, a_t, 0.0, MatMut::row_major(y_t, n_y, m)?)?;
        bias_rows_map(y_t, by, m, |v| v);
        softmax_columns_in_place(y_t, n_y, m);
    }
    Ok(())
}

/// The element-wise half of a cell step. `g_t` holds the four gate
/// pre-activations without bias on entry and the activated gates on exit;
/// writes `c_t` and `a_t`. Slices are `4·n_a × m`, `4·n_a`, and `n_a × m`.
fn lstm_cell_pointwise(
    g_t: &mut [f64],
    b: &[f64],
    c_prev: &[f64],
    c_t: &mut [f64],
    a_t: &mut [f64],
    n_a: usize,
    m: usize,
) {
    let sa = n_a * m;
    let (f_blk, rest) = g_t.split_at_mut(sa);
    let (i_blk, rest) = rest.split_at_mut(sa);
    let (cc_blk, o_blk) = rest.split_at_mut(sa);
    for r in 0..n_a {
        let (bf, bi, bc, bo) = (b[r], b[n_a + r], b[2 * n_a + r], b[3 * n_a + r]);
        let row = r * m..(r + 1) * m;
        let f_row = &mut f_blk[row.clone()];
        let i_row = &mut i_blk[row.clone()];
        let cc_row = &mut cc_blk[row.clone()];
        let o_row = &mut o_blk[row.clone()];
        let cp_row = &c_prev[row.clone()];
        let c_row = &mut c_t[row.clone()];
        let a_row = &mut a_t[row];
        for j in 0..m {
            let f = sigmoid1(f_row[j] + bf);
            let i = sigmoid1(i_row[j] + bi);
            let cc = (cc_row[j] + bc).tanh();
            let o = sigmoid1(o_row[j] + bo);
            let c_next = f * cp_row[j] + i * cc;
            f_row[j] = f;
            i_row[j] = i;
            cc_row[j] = cc;
            o_row[j] = o;
            c_row[j] = c_next;
            a_row[j] = o * c_next.tanh();
        }
    }
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
#[allow(clippy::too_many_arguments)]
pub fn lstm_backward(
    d: &Dims,
    da: &[f64],
    dc_last: &[f64],
    c_next: &[f64],
    c_prev: &[f64],
    a_prev: &[f64],
    gates: &[f64],
    x: &[f64],
    w: &[f64],
    dx: &mut [f64],
    da0: &mut [f64],
    dc0: &mut [f64],
    dw: &mut [f64],
    db: &mut [f64],
    ws: &mut [f64],
) -> Result<(), DimError> {
    let shapes = backward_shapes(d).ok_or_else(|| overflow("w", w.len()))?;
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
    check_lens(&BACKWARD_ARGS, &shapes, &lens)?;
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
    let g = 4 * n_a;
    let k = n_a + n_x;
    let (sx, sa, sg) = (n_x * m, n_a * m, g * m);
    let (w_a, w_x) = split_weight(w, g, n_a, n_x)?;
    // Gate gradients for every step, kept for the weight gradients.
    let dgates = &mut ws[..steps * sg];

    // The recurrence, with da0 and dc0 holding the carries.
    for t in (0..steps).rev() {
        let dg_t = step_mut(dgates, t, sg);
        lstm_cell_backward_pointwise(
            dg_t,
            step(gates, t, sg),
            step(da, t, sa),
            step(c_next, t, sa),
            step(c_prev, t, sa),
            da0,
            dc0,
        );
        let dg_t = MatRef::row_major(dg_t, g, m)?;
        gemm(1.0, w_a.t(), dg_t, 0.0, MatMut::row_major(da0, n_a, m)?)?;
    }
    // Everything else reads the gate gradients only.
    for t in (0..steps).rev() {
        let dg_slice = step(dgates, t, sg);
        let dg_t = MatRef::row_major(dg_slice, g, m)?;
        gemm(
            1.0,
            w_x.t(),
            dg_t,
            0.0,
            MatMut::row_major(step_mut(dx, t, sx), n_x, m)?,
        )?;
        let a_prev_t = MatRef::row_major(step(a_prev, t, sa), n_a, m)?;
        gemm(1.0, dg_t, a_prev_t.t(), 1.0, MatMut::new(dw, g, n_a, k, 1)?)?;
        let x_t = MatRef::row_major(step(x, t, sx), n_x, m)?;
        let dw_x = dw.get_mut(n_a..).unwrap_or(&mut []);
        gemm(1.0, dg_t, x_t.t(), 1.0, MatMut::new(dw_x, g, n_x, k, 1)?)?;
        add_row_sums(db, dg_slice, m);
    }
    Ok(())
}

/// The element-wise half of a backward cell step. Reads the step's activated
/// gates, `da_t`, `c_next`, `c_prev` and the carries `da_carry`, `dc_carry`;
/// writes the gate pre-activation gradients `dg_t` (`[d_f; d_i; d_c̃; d_o]`)
/// and replaces `dc_carry` with the gradient for the previous cell state.
/// `da_carry` is left for the caller to overwrite with `W_aᵀ·dg_t`.
fn lstm_cell_backward_pointwise(
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
    let (f_blk, rest) = g_t.split_at(sa);
    let (i_blk, rest) = rest.split_at(sa);
    let (cc_blk, o_blk) = rest.split_at(sa);
    let (d_o, d_cc, d_i, d_f) = (
        &mut d_o[..sa],
        &mut d_cc[..sa],
        &mut d_i[..sa],
        &mut d_f[..sa],
    );
    let (f_blk, i_blk, cc_blk, o_blk) = (&f_blk[..sa], &i_blk[..sa], &cc_blk[..sa], &o_blk[..sa]);
    let (c_next, c_prev, da_carry, dc_carry) = (
        &c_next[..sa],
        &c_prev[..sa],
        &da_carry[..sa],
        &mut dc_carry[..sa],
    );
    for e in 0..sa {
        let (f, i, cc, o) = (f_blk[e], i_blk[e], cc_blk[e], o_blk[e]);
        let da_total = da_t[e] + da_carry[e];
        let tc = c_next[e].tanh();
        let dc_total = dc_carry[e] + da_total * o * (1.0 - tc * tc);
        d_o[e] = da_total * tc * o * (1.0 - o);
        d_cc[e] = dc_total * i * (1.0 - cc * cc);
        d_i[e] = dc_total * cc * i * (1.0 - i);
        d_f[e] = dc_total * c_prev[e] * f * (1.0 - f);
        dc_carry[e] = dc_total * f;
    }
}
