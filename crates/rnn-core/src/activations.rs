//! Element-wise activations: `exp`, the logistic sigmoid and `tanh`, a
//! vector of [`Lanes`] at a time, with the infinities and NaN of the
//! notebook's NumPy formulas.
//!
//! `exp` is the classic fdlibm algorithm (the one the standard library's
//! `exp` uses on wasm32): reduce `x = k·ln2 + r` with `|r| ≤ ln2/2` (ln2 split
//! in a high part with trailing zero bits and a low part, so `k·ln2_hi` is
//! exact), approximate `exp(r)` by a degree-5 rational form in `r²`, scale by
//! `2^k`. It is within 1 ulp. Lanes have no branches: out-of-range inputs are
//! clamped to `±EXP_CLAMP`, far enough for `2^k` (applied as two factors) to
//! overflow to `+∞` or underflow to `0` exactly when `exp` does, and NaN
//! passes through every step.
//!
//! `tanh(x) = e / (e + 2)` with `e = expm1(2|x|)`, the sign restored at the
//! end. `expm1` reuses the reduction above: `exp(r) − 1` is available without
//! cancellation from the rational form, and `expm1(u) = 2^k·(exp(r) − 1) +
//! (2^k − 1)`. Within a few ulp of the standard library's `tanh`.

use crate::simd::{keep_loop_unvectorised, wide, Lanes, LANES};
use crate::{expect_len, expect_workspace, product, ElemDims, KernelError, MatDims};

// The constants of fdlibm's `exp`, as bit patterns so they are exact.
/// High part of ln 2: its low 32 bits are zero, so `k·LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = core::f64::consts::LOG2_E;
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);

/// `|x|` beyond which `exp` is `+∞` or `0` anyway; small enough that each
/// half of `k` is a normal power of two.
const EXP_CLAMP: f64 = 1100.0;

/// fdlibm's overflow threshold, 709.782712893384: `exp(x)` is `+∞` exactly
/// when `x` is above it.
const EXP_OVERFLOW: f64 = f64::from_bits(0x4086_2e42_fefa_39ef);

/// `tanh(x)` rounds to `±1` for `|x| > 22`; the argument `2|x|` is clamped
/// there so that `expm1` stays finite.
const TANH_ARG_CLAMP: f64 = 44.0;

/// The reduction of `exp(x)`: `k`, `r = hi − lo` with `x = k·ln2 + r`, and
/// `c = r − r²·P(r²)`, so that `exp(r) = 1 + r + r·c/(2 − c)`
/// `= (2 − c + 2r)/(2 − c)`.
#[inline(always)]
fn reduce(x: Lanes) -> Reduced {
    let k = x.mul(Lanes::splat(INV_LN2)).nearest();
    let hi = x.sub(k.mul(Lanes::splat(LN2_HI)));
    let lo = k.mul(Lanes::splat(LN2_LO));
    let r = hi.sub(lo);
    let t = r.mul(r);
    let p = Lanes::splat(P4).add(t.mul(Lanes::splat(P5)));
    let p = Lanes::splat(P3).add(t.mul(p));
    let p = Lanes::splat(P2).add(t.mul(p));
    let p = Lanes::splat(P1).add(t.mul(p));
    let c = r.sub(t.mul(p));
    Reduced { k, hi, lo, r, c }
}

struct Reduced {
    k: Lanes,
    hi: Lanes,
    lo: Lanes,
    r: Lanes,
    c: Lanes,
}

/// `e^x` in each lane.
#[inline(always)]
pub(crate) fn exp2(x: Lanes) -> Lanes {
    let x = x
        .pmin(Lanes::splat(EXP_CLAMP))
        .pmax(Lanes::splat(-EXP_CLAMP));
    let Reduced { k, hi, lo, r, c } = reduce(x);
    // fdlibm's arrangement: 1 − ((lo − r·c/(2 − c)) − hi).
    let rc = r.mul(c).div(Lanes::splat(2.0).sub(c));
    let y = Lanes::splat(1.0).sub(lo.sub(rc).sub(hi));
    let (s1, s2) = pow2_wide(k);
    y.mul(s1).mul(s2)
}

/// `2^k` for integral `|k| ≤ ~1600` as two normal powers of two, to be
/// applied one after the other so that a huge or tiny `2^k` overflows or
/// underflows only in the final product (and rounds only there).
#[inline(always)]
fn pow2_wide(k: Lanes) -> (Lanes, Lanes) {
    let k1 = k.mul(Lanes::splat(0.5)).floor();
    (k1.pow2i(), k.sub(k1).pow2i())
}

/// `1 / (1 + e^-z)` in each lane, with one division: for `−z = k·ln2 + r`,
/// `e^-z = 2^k·P/Q` with `Q = 2 − c`, `P = Q + 2r`, so the sigmoid is
/// `Q / (Q + 2^k·P)`. With `k = k1 + k2` (halves) it is computed as
/// `Q·2^-k1 / (Q·2^-k1 + P·2^k2)`: exact rescalings, so nothing overflows
/// before the quotient and a subnormal result is rounded once.
///
/// Where `e^-z` overflows (`z < −709.78`) the result is `0`, as the notebook's
/// `1 / (1 + np.exp(-z))` gives, not the subnormal `e^z`: the backends must
/// agree on which values are exactly zero, since `0·∞` is NaN and `e^z·∞` is not.
#[inline(always)]
pub(crate) fn sigmoid2(z: Lanes) -> Lanes {
    let minus_z = Lanes::zero().sub(z);
    let x = minus_z
        .pmin(Lanes::splat(EXP_CLAMP))
        .pmax(Lanes::splat(-EXP_CLAMP));
    let Reduced { k, r, c, .. } = reduce(x);
    let q = Lanes::splat(2.0).sub(c);
    let p = q.add(r.add(r));
    let k1 = k.mul(Lanes::splat(0.5)).floor();
    let k2 = k.sub(k1);
    let a = q.mul(Lanes::zero().sub(k1).pow2i());
    a.div(a.add(p.mul(k2.pow2i())))
        .zero_where_gt(minus_z, Lanes::splat(EXP_OVERFLOW))
}

/// `tanh(x)` in each lane, with one division. For `u = 2|x| = k·ln2 + r`,
/// `e^u = s·P/Q` (`s = 2^k`, `Q = 2 − c`, `P = Q + 2r`), so
/// `expm1(u) = N/Q` with `N = (s − 1)·Q + 2r·s` (no cancellation: `N = 2r`
/// exactly when `k = 0`) and `tanh = N / (N + 2Q)`.
#[inline(always)]
pub(crate) fn tanh2(x: Lanes) -> Lanes {
    let u = x
        .abs()
        .mul(Lanes::splat(2.0))
        .pmin(Lanes::splat(TANH_ARG_CLAMP));
    let Reduced { k, r, c, .. } = reduce(u);
    let s = k.pow2i();
    let q = Lanes::splat(2.0).sub(c);
    let n = s.sub(Lanes::splat(1.0)).mul(q).add(r.add(r).mul(s));
    n.div(n.add(q.add(q))).copysign(x)
}

/// A lane function as a closure that inlines into its caller. Passed bare, a
/// function item is called through a shim that is compiled outside
/// [`wide`], for baseline SSE2, whatever the caller's vector width.
macro_rules! with_inline {
    ($f:path) => {
        #[inline(always)]
        #[allow(clippy::redundant_closure)]
        |v| $f(v)
    };
}
pub(crate) use with_inline;

/// Applies a [`Lanes`] function to one value (for the tails of loops).
#[inline(always)]
pub(crate) fn one(f: impl Fn(Lanes) -> Lanes, v: f64) -> f64 {
    f(Lanes::splat(v)).lane(0)
}

/// `out[i] = f(z[i])`, [`LANES`] at a time; `out` must be as long as `z`.
#[inline(always)]
pub(crate) fn map_into(z: &[f64], out: &mut [f64], f: impl Fn(Lanes) -> Lanes) {
    let n = z.len().min(out.len());
    let (z, out) = (&z[..n], &mut out[..n]);
    let zc = z.chunks_exact(LANES);
    let tail = zc.remainder();
    let mut oc = out.chunks_exact_mut(LANES);
    for (zv, ov) in zc.zip(&mut oc) {
        f(Lanes::load(zv)).store(ov);
        keep_loop_unvectorised();
    }
    for (&zv, ov) in tail.iter().zip(oc.into_remainder()) {
        *ov = one(&f, zv);
    }
}

/// `buf[i] = f(buf[i])`, [`LANES`] at a time.
#[inline(always)]
pub(crate) fn map_in_place(buf: &mut [f64], f: impl Fn(Lanes) -> Lanes) {
    let mut c = buf.chunks_exact_mut(LANES);
    for v in &mut c {
        f(Lanes::load(v)).store(v);
        keep_loop_unvectorised();
    }
    for v in c.into_remainder() {
        *v = one(&f, *v);
    }
}

/// Input of [`sigmoid`].
#[derive(Clone, Copy, Debug)]
pub struct SigmoidIn<'a> {
    /// The values, `n` long.
    pub z: &'a [f64],
}

/// Output of [`sigmoid`].
#[derive(Debug)]
pub struct SigmoidOut<'a> {
    /// `σ(z)` element by element, `n` long.
    pub out: &'a mut [f64],
}

/// Workspace elements [`sigmoid`] needs: none.
pub fn sigmoid_workspace_len(_d: &ElemDims) -> Option<usize> {
    Some(0)
}

/// `out[i] = 1 / (1 + exp(-z[i]))` for the `n` elements of `z`.
///
/// `-∞ → 0`, `+∞ → 1`, NaN stays NaN, as the NumPy expression gives.
pub fn sigmoid(
    d: &ElemDims,
    i: SigmoidIn<'_>,
    o: SigmoidOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let (SigmoidIn { z }, SigmoidOut { out }) = (i, o);
    expect_len("z", z.len(), &[d.n])?;
    expect_len("out", out.len(), &[d.n])?;
    expect_workspace(ws.len(), sigmoid_workspace_len(d))?;
    wide(
        #[inline(always)]
        || map_into(z, out, with_inline!(sigmoid2)),
    );
    Ok(())
}

/// Input of [`softmax`].
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxIn<'a> {
    /// The `rows × cols` C-order matrix.
    pub z: &'a [f64],
}

/// Output of [`softmax`].
#[derive(Debug)]
pub struct SoftmaxOut<'a> {
    /// The softmax of each column of `z`, `rows × cols`.
    pub out: &'a mut [f64],
}

/// Workspace elements [`softmax`] needs: none, once `rows · cols` fits in
/// `usize` (`None` otherwise).
pub fn softmax_workspace_len(d: &MatDims) -> Option<usize> {
    product(&[d.rows, d.cols]).map(|_| 0)
}

/// Softmax over axis 0 of the `rows × cols` C-order matrix `z`, into `out`:
/// for each column, `e = exp(z - max(z)); e / sum(e)`.
///
/// The column maximum propagates NaN as `np.max` does, so a NaN anywhere in a
/// column makes the whole column NaN, and a column holding `+∞` gives NaN
/// where NumPy does (`∞ - ∞`).
pub fn softmax(
    d: &MatDims,
    i: SoftmaxIn<'_>,
    o: SoftmaxOut<'_>,
    ws: &mut [f64],
) -> Result<(), KernelError> {
    let (SoftmaxIn { z }, SoftmaxOut { out }) = (i, o);
    let MatDims { rows, cols } = *d;
    expect_len("z", z.len(), &[rows, cols])?;
    expect_len("out", out.len(), &[rows, cols])?;
    expect_workspace(ws.len(), softmax_workspace_len(d))?;
    out.copy_from_slice(z);
    softmax_columns_in_place(out, rows, cols);
    Ok(())
}

/// Column-wise softmax of a `rows × cols` C-order matrix, in place,
/// [`LANES`] columns at a time. Requires `buf.len() == rows * cols`.
pub(crate) fn softmax_columns_in_place(buf: &mut [f64], rows: usize, cols: usize) {
    wide(
        #[inline(always)]
        || softmax_columns(buf, rows, cols),
    );
}

#[inline(always)]
fn softmax_columns(buf: &mut [f64], rows: usize, cols: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    let at = |i: usize, j: usize| i * cols + j;
    let full = cols - cols % LANES;
    for j in (0..full).step_by(LANES) {
        let mut max = Lanes::load(&buf[at(0, j)..]);
        for i in 1..rows {
            max = max.max_nan(Lanes::load(&buf[at(i, j)..]));
        }
        let mut sum = Lanes::zero();
        for i in 0..rows {
            let e = exp2(Lanes::load(&buf[at(i, j)..]).sub(max));
            e.store(&mut buf[at(i, j)..]);
            sum = sum.add(e);
        }
        for i in 0..rows {
            Lanes::load(&buf[at(i, j)..])
                .div(sum)
                .store(&mut buf[at(i, j)..]);
        }
    }
    for j in full..cols {
        let mut max = Lanes::splat(buf[at(0, j)]);
        for i in 1..rows {
            max = max.max_nan(Lanes::splat(buf[at(i, j)]));
        }
        let mut sum = Lanes::zero();
        for i in 0..rows {
            let e = exp2(Lanes::splat(buf[at(i, j)]).sub(max));
            buf[at(i, j)] = e.lane(0);
            sum = sum.add(e);
        }
        let sum = sum.lane(0);
        for i in 0..rows {
            buf[at(i, j)] /= sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place (same-sign finite values).
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        let (ia, ib) = (a.to_bits() as i64, b.to_bits() as i64);
        ia.abs_diff(ib)
    }

    fn sweep() -> impl Iterator<Item = f64> {
        // Dense near zero, then out to the overflow thresholds.
        let mut v = Vec::new();
        let mut x = 1e-310;
        while x < 800.0 {
            v.push(x);
            v.push(-x);
            x *= 1.0 + 1.0 / 1024.0 + 1e-9;
        }
        for i in 0..200_000 {
            let x = -50.0 + f64::from(i) * 5e-4 + 1e-7;
            v.push(x);
        }
        v.into_iter()
    }

    #[test]
    fn exp_is_within_one_ulp() {
        let mut worst = 0;
        for x in sweep() {
            let (got, want) = (one(exp2, x), x.exp());
            if got == want {
                continue;
            }
            if want == 0.0 || want.is_infinite() || want < f64::MIN_POSITIVE {
                assert!(
                    (got - want).abs() <= f64::MIN_POSITIVE * 2f64.powi(-51),
                    "exp({x}) = {got}, want {want}"
                );
                continue;
            }
            worst = worst.max(ulps(got, want));
            assert!(ulps(got, want) <= 1, "exp({x}) = {got}, want {want}");
        }
        assert!(worst <= 1);
    }

    #[test]
    fn tanh_is_within_a_few_ulp() {
        for x in sweep() {
            let (got, want) = (one(tanh2, x), x.tanh());
            assert!(ulps(got, want) <= 3, "tanh({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn sigmoid_is_within_a_few_ulp() {
        for x in sweep() {
            let (got, want) = (one(sigmoid2, x), 1.0 / (1.0 + (-x).exp()));
            if want < f64::MIN_POSITIVE {
                // Below the normal range the formula's exp(-z) overflows to ∞
                // (giving 0) a little before the true value leaves the
                // subnormals; this kernel keeps the subnormal.
                assert!(
                    got < f64::MIN_POSITIVE,
                    "sigmoid({x}) = {got:e}, want {want:e}"
                );
                continue;
            }
            // Both sides round exp, 1 + e and the quotient: up to 4 ulp apart.
            assert!(ulps(got, want) <= 4, "sigmoid({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn special_values_follow_the_formulas() {
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        assert_eq!(one(exp2, inf), inf);
        assert_eq!(one(exp2, -inf), 0.0);
        assert_eq!(one(exp2, 0.0), 1.0);
        assert_eq!(one(exp2, -0.0), 1.0);
        assert_eq!(one(exp2, 709.78), 709.78f64.exp());
        assert_eq!(one(exp2, 709.8), inf);
        assert_eq!(one(exp2, -746.0), 0.0);
        assert!(one(exp2, nan).is_nan());
        assert_eq!(one(sigmoid2, inf), 1.0);
        assert_eq!(one(sigmoid2, -inf), 0.0);
        assert_eq!(one(sigmoid2, -800.0), 0.0);
        assert_eq!(one(sigmoid2, 800.0), 1.0);
        assert_eq!(one(sigmoid2, 0.0), 0.5);
        assert!(one(sigmoid2, nan).is_nan());
        assert_eq!(one(tanh2, inf), 1.0);
        assert_eq!(one(tanh2, -inf), -1.0);
        assert_eq!(one(tanh2, 30.0), 1.0);
        assert_eq!(one(tanh2, -30.0), -1.0);
        assert_eq!(one(tanh2, 0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(one(tanh2, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(one(tanh2, 1e-300), 1e-300);
        assert!(one(tanh2, nan).is_nan());
    }
}
