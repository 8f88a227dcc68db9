//! Shared test helpers: a tiny deterministic PRNG, plain reference
//! implementations written as directly as possible from the notebook, and
//! comparisons that treat an unexpected NaN as a failure.

#![allow(dead_code)]

/// SplitMix64: small, fast and good enough for test data.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Uniform in `0..n` (`n > 0`), near enough for tests.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` values uniform in `[-scale, scale)`.
    pub fn vec(&mut self, len: usize, scale: f64) -> Vec<f64> {
        (0..len).map(|_| scale * self.uniform()).collect()
    }
}

/// `len` NaNs: an output buffer whose unwritten cells show.
pub fn nan_vec(len: usize) -> Vec<f64> {
    vec![f64::NAN; len]
}

/// Asserts `got ≈ want` elementwise, relative to the largest magnitude in
/// `want`. NaN must appear in exactly the same places.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], rel_tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |acc, v| acc.max(v.abs()))
        .max(1e-300);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() || g.is_nan() {
            assert!(w.is_nan() && g.is_nan(), "{what}[{i}]: got {g}, want {w}");
            continue;
        }
        if w.is_infinite() || g.is_infinite() {
            assert_eq!(g, w, "{what}[{i}]");
            continue;
        }
        let err = (g - w).abs();
        assert!(
            err <= rel_tol * scale,
            "{what}[{i}]: got {g}, want {w} (err {err:e}, scale {scale:e})"
        );
    }
}

/// [`assert_close`] for inputs that hold NaN and ±∞: an output is non-finite exactly where the
/// reference's is, and its finite outputs are close; NaN, +∞ and −∞ stand in for each other.
///
/// Which non-finite value an output is can hang on rounding. An ∞ takes the sign of the finite
/// factor it meets, and that factor may be a cancellation left at rounding-noise size, whose
/// sign no tolerance fixes: the activations are a few ulp from libm's (tanh(−18.73) is −1 here
/// and −(1 − 2⁻⁵³) in libm, so 1 − tanh² is 0 or 2⁻⁵²), and native GEMMs fuse multiply-adds.
/// So `dc_last + da·o·(1 − tanh²)` is a tiny positive `dc_last` in one and −4.7e-16 in the
/// other, and times `c_prev = −∞` it gives −∞ in one and +∞ in the other; an exact 0 against
/// a tiny value gives NaN against ∞ the same way. Finite inputs, compared with
/// [`assert_close`], test the sign of every term.
pub fn assert_close_nonfinite(what: &str, got: &[f64], want: &[f64], rel_tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.is_finite(),
            w.is_finite(),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
    let finite = |v: &[f64]| {
        v.iter()
            .map(|&x| if x.is_finite() { x } else { 0.0 })
            .collect::<Vec<_>>()
    };
    assert_close(what, &finite(got), &finite(want), rel_tol);
}

/// Plain row-major `(r × k)·(k × c)`.
pub fn matmul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            let mut s = 0.0;
            for p in 0..k {
                s += a[i * k + p] * b[p * c + j];
            }
            out[i * c + j] = s;
        }
    }
    out
}

/// The `c × r` transpose of the row-major `r × c` matrix `a`.
pub fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = a[i * c + j];
        }
    }
    out
}

/// Element-wise `a + b`.
pub fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Element-wise `a · b`.
pub fn mul(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x * y).collect()
}

/// `a` (rows of `m`) plus `bias[i]` on every element of row `i`.
pub fn add_col(a: &[f64], bias: &[f64], m: usize) -> Vec<f64> {
    a.iter().enumerate().map(|(i, v)| v + bias[i / m]).collect()
}

/// `f` applied to every element.
pub fn map(a: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    a.iter().map(|&v| f(v)).collect()
}

/// The notebook's `1 / (1 + exp(-z))`.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The sum of each row of the row-major `r × c` matrix `a`.
pub fn row_sums(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    (0..r).map(|i| a[i * c..(i + 1) * c].iter().sum()).collect()
}

/// Column softmax exactly as the notebook writes it, with `np.max` semantics.
pub fn softmax(z: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    for j in 0..cols {
        let col: Vec<f64> = (0..rows).map(|i| z[i * cols + j]).collect();
        let max = if col.iter().any(|v| v.is_nan()) {
            f64::NAN
        } else {
            col.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        };
        let e: Vec<f64> = col.iter().map(|v| (v - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        for i in 0..rows {
            out[i * cols + j] = e[i] / sum;
        }
    }
    out
}

/// Step `t` of a time-major array whose steps are `size` long.
pub fn block(buf: &[f64], t: usize, size: usize) -> &[f64] {
    &buf[t * size..(t + 1) * size]
}

/// The sizes of one test case (see [`Shape::dims`]).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Input features per step.
    pub n_x: usize,
    /// Hidden units.
    pub n_a: usize,
    /// Output classes.
    pub n_y: usize,
    /// Batch size.
    pub m: usize,
    /// Time steps.
    pub t: usize,
}

impl Shape {
    /// The kernels' [`rnn_core::Dims`] for this shape.
    pub fn dims(&self) -> rnn_core::Dims {
        rnn_core::Dims {
            n_x: self.n_x,
            n_a: self.n_a,
            n_y: self.n_y,
            m: self.m,
            t: self.t,
        }
    }
}

/// `(n_x, n_a, n_y, m, T)` shapes covering the edge cases.
pub const SHAPES: [(usize, usize, usize, usize, usize); 18] = [
    (3, 5, 2, 4, 6),
    (1, 4, 3, 2, 3),
    (2, 3, 2, 1, 4),
    (4, 3, 5, 3, 1),
    (3, 4, 2, 5, 0),
    (3, 4, 2, 0, 3),
    (1, 17, 3, 2, 3),
    (7, 2, 1, 3, 2),
    (1, 1, 1, 1, 1),
    (0, 3, 2, 2, 2),
    (3, 0, 2, 2, 2),
    (2, 3, 0, 2, 2),
    (5, 9, 4, 7, 5),
    (11, 6, 3, 13, 3),
    (2, 2, 2, 0, 0),
    (0, 0, 0, 3, 4),
    // m·T over 1024: the weight gradients accumulate over several runs of
    // steps (27 + 2 steps here, 3 + 1 below).
    (3, 6, 2, 37, 29),
    (5, 9, 4, 300, 4),
];

/// [`SHAPES`] as [`Shape`]s.
pub fn shapes() -> impl Iterator<Item = Shape> {
    SHAPES.iter().map(|&(n_x, n_a, n_y, m, t)| Shape {
        n_x,
        n_a,
        n_y,
        m,
        t,
    })
}

/// Per-step reference RNN forward: returns `(a, y)` time-major.
#[allow(clippy::too_many_arguments)]
pub fn rnn_forward_ref(
    s: Shape,
    x: &[f64],
    a0: &[f64],
    wax: &[f64],
    waa: &[f64],
    ba: &[f64],
    wya: &[f64],
    by: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let Shape {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = s;
    let mut a = Vec::new();
    let mut y = Vec::new();
    let mut a_prev = a0.to_vec();
    for step in 0..t {
        let xt = block(x, step, n_x * m);
        let z = add(
            &matmul(wax, xt, n_a, n_x, m),
            &matmul(waa, &a_prev, n_a, n_a, m),
        );
        let a_next = map(&add_col(&z, ba, m), f64::tanh);
        let yt = softmax(&add_col(&matmul(wya, &a_next, n_y, n_a, m), by, m), n_y, m);
        a.extend_from_slice(&a_next);
        y.extend_from_slice(&yt);
        a_prev = a_next;
    }
    (a, y)
}

/// The gradients [`rnn_backward_ref`] returns, named as the kernel's outputs.
pub struct RnnGrads {
    /// For the inputs, `[T][n_x][m]`.
    pub dx: Vec<f64>,
    /// For the initial hidden state.
    pub da0: Vec<f64>,
    /// For `wax`.
    pub dwax: Vec<f64>,
    /// For `waa`.
    pub dwaa: Vec<f64>,
    /// For `ba`.
    pub dba: Vec<f64>,
}

/// The notebook's `rnn_backward`, one `rnn_cell_backward` per step.
#[allow(clippy::too_many_arguments)]
pub fn rnn_backward_ref(
    s: Shape,
    da: &[f64],
    a_next: &[f64],
    a_prev: &[f64],
    x: &[f64],
    wax: &[f64],
    waa: &[f64],
) -> RnnGrads {
    let Shape { n_x, n_a, m, t, .. } = s;
    let mut dx = vec![0.0; t * n_x * m];
    let mut dwax = vec![0.0; n_a * n_x];
    let mut dwaa = vec![0.0; n_a * n_a];
    let mut dba = vec![0.0; n_a];
    let mut da_prevt = vec![0.0; n_a * m];
    for step in (0..t).rev() {
        let da_next = add(block(da, step, n_a * m), &da_prevt);
        let an = block(a_next, step, n_a * m);
        let dtanh = mul(&da_next, &map(an, |v| 1.0 - v * v));
        let dxt = matmul(&transpose(wax, n_a, n_x), &dtanh, n_x, n_a, m);
        let dwaxt = matmul(
            &dtanh,
            &transpose(block(x, step, n_x * m), n_x, m),
            n_a,
            m,
            n_x,
        );
        da_prevt = matmul(&transpose(waa, n_a, n_a), &dtanh, n_a, n_a, m);
        let dwaat = matmul(
            &dtanh,
            &transpose(block(a_prev, step, n_a * m), n_a, m),
            n_a,
            m,
            n_a,
        );
        dx[step * n_x * m..(step + 1) * n_x * m].copy_from_slice(&dxt);
        dwax = add(&dwax, &dwaxt);
        dwaa = add(&dwaa, &dwaat);
        dba = add(&dba, &row_sums(&dtanh, n_a, m));
    }
    RnnGrads {
        dx,
        da0: da_prevt,
        dwax,
        dwaa,
        dba,
    }
}

/// What [`lstm_forward_ref`] returns, named as the kernel's outputs.
pub struct LstmOut {
    /// Hidden states, `[T][n_a][m]`.
    pub a: Vec<f64>,
    /// Cell states, `[T][n_a][m]`.
    pub c: Vec<f64>,
    /// Softmax outputs, `[T][n_y][m]`.
    pub y: Vec<f64>,
    /// Activated gates `f, i, c̃, o`, `[T][4·n_a][m]`.
    pub gates: Vec<f64>,
}

/// Per-step reference LSTM forward with an explicit `concat`.
#[allow(clippy::too_many_arguments)]
pub fn lstm_forward_ref(
    s: Shape,
    x: &[f64],
    a0: &[f64],
    c0: &[f64],
    w: &[f64],
    b: &[f64],
    wy: &[f64],
    by: &[f64],
) -> LstmOut {
    let Shape {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = s;
    let k = n_a + n_x;
    let sa = n_a * m;
    let mut out = LstmOut {
        a: Vec::new(),
        c: Vec::new(),
        y: Vec::new(),
        gates: Vec::new(),
    };
    let (mut a_prev, mut c_prev) = (a0.to_vec(), c0.to_vec());
    for step in 0..t {
        let mut concat = a_prev.clone();
        concat.extend_from_slice(block(x, step, n_x * m));
        let z = add_col(&matmul(w, &concat, 4 * n_a, k, m), b, m);
        let ft = map(&z[0..sa], sigmoid);
        let it = map(&z[sa..2 * sa], sigmoid);
        let cct = map(&z[2 * sa..3 * sa], f64::tanh);
        let ot = map(&z[3 * sa..4 * sa], sigmoid);
        let c_next = add(&mul(&ft, &c_prev), &mul(&it, &cct));
        let a_next = mul(&ot, &map(&c_next, f64::tanh));
        let yt = softmax(&add_col(&matmul(wy, &a_next, n_y, n_a, m), by, m), n_y, m);
        for g in [&ft, &it, &cct, &ot] {
            out.gates.extend_from_slice(g);
        }
        out.a.extend_from_slice(&a_next);
        out.c.extend_from_slice(&c_next);
        out.y.extend_from_slice(&yt);
        a_prev = a_next;
        c_prev = c_next;
    }
    out
}

/// The gradients [`lstm_backward_ref`] returns, named as the kernel's outputs.
pub struct LstmGrads {
    /// For the inputs, `[T][n_x][m]`.
    pub dx: Vec<f64>,
    /// For the initial hidden state.
    pub da0: Vec<f64>,
    /// For the initial cell state.
    pub dc0: Vec<f64>,
    /// For the fused weight `w`.
    pub dw: Vec<f64>,
    /// For the fused bias `b`.
    pub db: Vec<f64>,
}

/// Per-step reference LSTM backward with an explicit `concat` and `wᵀ`.
#[allow(clippy::too_many_arguments)]
pub fn lstm_backward_ref(
    s: Shape,
    da: &[f64],
    dc_last: &[f64],
    c_next: &[f64],
    c_prev: &[f64],
    a_prev: &[f64],
    gates: &[f64],
    x: &[f64],
    w: &[f64],
) -> LstmGrads {
    let Shape { n_x, n_a, m, t, .. } = s;
    let k = n_a + n_x;
    let sa = n_a * m;
    let sg = 4 * sa;
    let wt = transpose(w, 4 * n_a, k);
    let mut g = LstmGrads {
        dx: vec![0.0; t * n_x * m],
        da0: vec![0.0; sa],
        dc0: dc_last.to_vec(),
        dw: vec![0.0; 4 * n_a * k],
        db: vec![0.0; 4 * n_a],
    };
    for step in (0..t).rev() {
        let gt = block(gates, step, sg);
        let (ft, it, cct, ot) = (
            &gt[0..sa],
            &gt[sa..2 * sa],
            &gt[2 * sa..3 * sa],
            &gt[3 * sa..],
        );
        let da_total = add(block(da, step, sa), &g.da0);
        let tc = map(block(c_next, step, sa), f64::tanh);
        let dc_total = add(
            &g.dc0,
            &mul(&mul(&da_total, ot), &map(&tc, |v| 1.0 - v * v)),
        );
        let d_ot = mul(&mul(&da_total, &tc), &map(ot, |o| o * (1.0 - o)));
        let d_cct = mul(&mul(&dc_total, it), &map(cct, |c| 1.0 - c * c));
        let d_it = mul(&mul(&dc_total, cct), &map(it, |i| i * (1.0 - i)));
        let d_ft = mul(
            &mul(&dc_total, block(c_prev, step, sa)),
            &map(ft, |f| f * (1.0 - f)),
        );
        let mut dg = Vec::new();
        for d in [&d_ft, &d_it, &d_cct, &d_ot] {
            dg.extend_from_slice(d);
        }
        let dconcat = matmul(&wt, &dg, k, 4 * n_a, m);
        g.da0 = dconcat[..sa].to_vec();
        g.dx[step * n_x * m..(step + 1) * n_x * m].copy_from_slice(&dconcat[sa..]);
        g.dc0 = mul(&dc_total, ft);
        let mut concat = block(a_prev, step, sa).to_vec();
        concat.extend_from_slice(block(x, step, n_x * m));
        g.dw = add(
            &g.dw,
            &matmul(&dg, &transpose(&concat, k, m), 4 * n_a, m, k),
        );
        g.db = add(&g.db, &row_sums(&dg, 4 * n_a, m));
    }
    g
}
