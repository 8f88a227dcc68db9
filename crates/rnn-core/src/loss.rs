//! The output layer's backward pass under softmax + cross-entropy, for a
//! whole sequence in one call.
//!
//! The forward kernels already produce `y_t = softmax(Wy·a_t + by)`; with a
//! one-hot target `k` the gradient of `−ln y_t[k]` with respect to the
//! logits is `y_t − e_k`, so no logits need to be kept. Steps and examples
//! without a target (padding) contribute nothing.

use crate::gemm::{gemm_packed, MatMut, MatRef, PackedLhs, PackedRhs};
use crate::seq::{
    copy_columns, lhs_len, rhs_len, sum, take, weight_gradients, weight_gradients_workspace_len,
};
use crate::{
    check_lens, expect_workspace, product, sizes_fit, step, step_mut, Arg, Dims, KernelError,
    NO_TARGET,
};

/// Inputs of [`output_backward`].
#[derive(Clone, Copy, Debug)]
pub struct OutputBackwardIn<'a> {
    /// Softmax outputs of the forward pass, `[T][n_y][m]`.
    pub y: &'a [f64],
    /// A class index per step and example as an integer-valued `f64`, or
    /// [`NO_TARGET`], `[T][m]`.
    pub targets: &'a [f64],
    /// Hidden states `y` was computed from, `[T][n_a][m]`.
    pub a: &'a [f64],
    /// Output weight, `n_y × n_a`.
    pub wy: &'a [f64],
}

/// Outputs of [`output_backward`].
#[derive(Debug)]
pub struct OutputBackwardOut<'a> {
    /// `[Σ −ln y_t[target], number of targets]`.
    pub loss: &'a mut [f64],
    /// Gradient for the output weight, `n_y × n_a`.
    pub dwy: &'a mut [f64],
    /// Gradient for the output bias, `[n_y]`.
    pub dby: &'a mut [f64],
    /// Gradient for the hidden states, `[T][n_a][m]`.
    pub da: &'a mut [f64],
}

/// [`output_backward`]'s slices and their shapes: inputs, then outputs, in
/// the order of the structs' fields.
fn shapes(d: &Dims) -> [Arg; 8] {
    let Dims { n_a, n_y, m, t, .. } = *d;
    [
        ("y", [t, n_y, m]),
        ("targets", [t, m, 1]),
        ("a", [t, n_a, m]),
        ("wy", [n_y, n_a, 1]),
        ("loss", [2, 1, 1]), // [sum, count]
        ("dwy", [n_y, n_a, 1]),
        ("dby", [n_y, 1, 1]),
        ("da", [t, n_a, m]),
    ]
}

/// The dimensions [`weight_gradients`] sees: `[dWy | dby] = Σ_t dz_t·[a_t; 1]ᵀ`
/// is a pre-activation gradient with `a_t` in the place of `a_prev` and no `x`.
fn output_dims(d: &Dims) -> Dims {
    Dims { n_x: 0, ..*d }
}

/// Workspace elements [`output_backward`] needs (the logit gradients of
/// every step, `[T][n_y][m]`, the packed `Wyᵀ`, one packed step, the
/// `[dWy | dby]` accumulator and its packing buffers); `None` on overflow.
pub fn output_backward_workspace_len(d: &Dims) -> Option<usize> {
    if !sizes_fit(&shapes(d)) {
        return None;
    }
    let k1 = d.n_a.checked_add(1);
    sum(&[
        product(&[d.t, d.n_y, d.m]),
        lhs_len(d.n_a, Some(d.n_y)),
        rhs_len(Some(d.n_y), d.m),
        product(&[d.n_y, k1?]),
        weight_gradients_workspace_len(&output_dims(d), d.n_y),
    ])
}

/// The class index a target value stands for: `Ok(None)` for [`NO_TARGET`],
/// `Err` for anything that is neither that nor an integer below `n_y`.
fn class_of(value: f64, n_y: usize) -> Result<Option<usize>, ()> {
    if value == NO_TARGET {
        return Ok(None);
    }
    // `value < n_y` also rejects NaN; `fract` rejects 0.5 and infinities.
    if value >= 0.0 && value < n_y as f64 && value.fract() == 0.0 {
        Ok(Some(value as usize))
    } else {
        Err(())
    }
}

/// Softmax cross-entropy over a whole sequence and its gradients.
///
/// Shapes: `y [T][n_y][m]` (softmax outputs), `targets [T][m]` (a class index
/// per step and example as an integer-valued `f64`, or [`NO_TARGET`]),
/// `a [T][n_a][m]` (the hidden states `y` was computed from), `wy (n_y × n_a)`.
/// Outputs: `loss = [Σ −ln y_t[target], number of targets]`,
/// `dwy = Σ_t dz_t·a_tᵀ`, `dby = Σ_t Σ_columns dz_t` and `da_t = Wyᵀ·dz_t`,
/// where `dz_t = y_t − onehot(target)` in columns with a target and 0
/// elsewhere. These are gradients of the summed loss; a caller who wants
/// the mean scales them by the count.
///
/// Every target is checked before anything is written; the first invalid
/// one is a [`KernelError::Target`] with its position.
pub fn output_backward(
    d: &Dims,
    i: OutputBackwardIn<'_>,
    o: OutputBackwardOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let OutputBackwardIn { y, targets, a, wy } = i;
    let OutputBackwardOut { loss, dwy, dby, da } = o;
    let lens = [
        y.len(),
        targets.len(),
        a.len(),
        wy.len(),
        loss.len(),
        dwy.len(),
        dby.len(),
        da.len(),
    ];
    check_lens(&shapes(d), &lens)?;
    expect_workspace(ws.len(), output_backward_workspace_len(d))?;
    let Dims { n_a, n_y, m, .. } = *d;
    if let Some(bad) = targets.iter().position(|&v| class_of(v, n_y).is_err()) {
        return Err(KernelError::Target { index: bad });
    }
    loss.fill(0.0);
    dwy.fill(0.0);
    dby.fill(0.0);
    da.fill(0.0);
    if targets.is_empty() {
        return Ok(());
    }
    let sy = n_y * m;
    let sa = n_a * m;
    let (dz, ws) = take(ws, d.t * sy);
    let (wy_buf, ws) = take(ws, lhs_len(n_a, Some(n_y)).unwrap_or(0));
    let (rbuf, ws) = take(ws, rhs_len(Some(n_y), m).unwrap_or(0));
    let (ext, ws) = take(ws, n_y * (n_a + 1));

    let (mut total, mut count) = (0.0, 0usize);
    for t in 0..d.t {
        let (y_t, dz_t) = (step(y, t, sy), step_mut(dz, t, sy));
        for j in 0..m {
            match class_of(targets[t * m + j], n_y) {
                Ok(Some(k)) => {
                    for i in 0..n_y {
                        dz_t[i * m + j] = y_t[i * m + j];
                    }
                    dz_t[k * m + j] -= 1.0;
                    total -= y_t[k * m + j].ln();
                    count += 1;
                }
                _ => {
                    for i in 0..n_y {
                        dz_t[i * m + j] = 0.0;
                    }
                }
            }
        }
    }
    loss[0] = total;
    loss[1] = count as f64;

    // da_t = Wyᵀ·dz_t, over Wyᵀ packed once.
    let mut wy_t = PackedLhs::new(wy_buf, n_a, n_y)?;
    wy_t.pack(0, 0, MatRef::row_major(wy, n_y, n_a)?.t())?;
    for t in 0..d.t {
        let mut dz_packed = PackedRhs::new(rbuf, n_y, m)?;
        dz_packed.pack(0, 0, MatRef::row_major(step(dz, t, sy), n_y, m)?)?;
        let da_t = MatMut::row_major(step_mut(da, t, sa), n_a, m)?;
        gemm_packed(1.0, &wy_t, &dz_packed, 0.0, da_t)?;
    }
    // [dWy | dby] = Σ_t dz_t·[a_t; 1]ᵀ, one GEMM with k = T·m.
    weight_gradients(&output_dims(d), n_y, dz, a, &[], ext, ws)?;
    copy_columns(ext, n_a + 1, 0, n_a, dwy);
    copy_columns(ext, n_a + 1, n_a, n_a + 1, dby);
    Ok(())
}
