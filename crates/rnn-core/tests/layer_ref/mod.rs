//! Plain references for the recurrent-layer kernels, written from the cell
//! equations one sequence and one step at a time, sharing nothing with the
//! kernels: the forward pass, `saved` in the documented packed layout, the
//! backward pass by hand-written backpropagation through time, and the
//! backward pass computed from a given `saved` (for random `saved` values,
//! as the fuzzing harness passes).
//!
//! The cells' functions come from the kernels' `gates` input (empty: the
//! standard ones) and the LSTM's peepholes `p` ([`Params`]), with ONNX's
//! formulas written here from their definitions.

#![allow(dead_code)]
// Index loops, so that the code reads like the equations.
#![allow(clippy::needless_range_loop)]

/// A layer call's sizes and options (the kernel's `LayerDims`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// 0 RNN tanh, 1 RNN ReLU, 2 LSTM, 3 GRU (reset after the product), 4
    /// GRU (reset before it).
    pub cell: usize,
    /// Input features.
    pub n_in: usize,
    /// Hidden size.
    pub h: usize,
    /// Sequences.
    pub n: usize,
    /// Time steps.
    pub t: usize,
    /// The reverse direction.
    pub reverse: bool,
}

impl Spec {
    /// Gates per hidden unit.
    pub fn gates(&self) -> usize {
        [1, 1, 4, 3, 3][self.cell]
    }

    /// `saved` values per sequence and step.
    pub fn saved_width(&self) -> usize {
        [1, 1, 6, 5, 5][self.cell] * self.h
    }

    /// `h` for the LSTM (its cell-state sizes), else 0.
    pub fn hc(&self) -> usize {
        if self.cell == 2 {
            self.h
        } else {
            0
        }
    }

    /// The time processing step `u` of a sequence of length `len` reads.
    pub fn time(&self, u: usize, len: usize) -> usize {
        if self.reverse {
            len - 1 - u
        } else {
            u
        }
    }
}

/// The layer's parameters, PyTorch's layout.
#[derive(Clone, Debug)]
pub struct Params {
    /// Input weights, `(G·h) × n_in`.
    pub w_ih: Vec<f64>,
    /// Recurrent weights, `(G·h) × h`.
    pub w_hh: Vec<f64>,
    /// Input bias, `[G·h]`.
    pub b_ih: Vec<f64>,
    /// Recurrent bias, `[G·h]`.
    pub b_hh: Vec<f64>,
    /// The kernels' `gates` (empty: the standard functions).
    pub gates: Vec<f64>,
    /// The LSTM's peepholes `[3][h]`, order `i, f, o` (or empty).
    pub p: Vec<f64>,
}

/// An activation function: ONNX's code, α, β.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Act(pub usize, pub f64, pub f64);

/// The functions of a cell: `f` for the gates (an RNN's state), `g` for
/// the candidate, `h` the LSTM's `h(c')`; clip (0: none), input_forget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fns {
    /// The gates' function (an RNN's state function).
    pub f: Act,
    /// The candidate's function.
    pub g: Act,
    /// The LSTM's `h(c')`.
    pub h: Act,
    /// The bound of the pre-activations; 0: none.
    pub clip: f64,
    /// LSTM: `f = 1 − i`.
    pub input_forget: bool,
    /// An empty `gates`: the cell's standard functions.
    pub standard: bool,
}

impl Fns {
    /// What `gates` (0 or 11 values, valid) means for `cell`.
    pub fn of(cell: usize, gates: &[f64]) -> Self {
        if gates.is_empty() {
            let f = match cell {
                0 => Act(1, 0.0, 0.0),
                1 => Act(2, 0.0, 0.0),
                _ => Act(0, 0.0, 0.0),
            };
            let tanh = Act(1, 0.0, 0.0);
            return Self {
                f,
                g: tanh,
                h: tanh,
                clip: 0.0,
                input_forget: false,
                standard: true,
            };
        }
        let act = |k: usize| Act(gates[k] as usize, gates[k + 1], gates[k + 2]);
        Self {
            f: act(0),
            g: act(3),
            h: act(6),
            clip: gates[9],
            input_forget: gates[10] == 1.0,
            standard: false,
        }
    }

    /// A pre-activation bounded by the clip.
    pub fn clip(&self, v: f64) -> f64 {
        if self.clip > 0.0 {
            v.clamp(-self.clip, self.clip)
        } else {
            v
        }
    }
}

/// ONNX's definition of activation `a` at `x`.
pub fn act_value(a: Act, x: f64) -> f64 {
    let Act(code, al, be) = a;
    match code {
        0 => sigmoid(x),
        1 => x.tanh(),
        // (PyTorch's ReLU keeps a NaN, as NumPy's maximum does)
        2 => {
            if x.is_nan() {
                x
            } else {
                x.max(0.0)
            }
        }
        3 => (al * x + be).clamp(0.0, 1.0),
        4 => al * x + be,
        5 => {
            if x >= 0.0 {
                x
            } else {
                al * x
            }
        }
        6 => {
            if x > al {
                x
            } else {
                0.0
            }
        }
        7 => al * (be * x).tanh(),
        8 => {
            if x >= 0.0 {
                x
            } else {
                al * x.exp_m1()
            }
        }
        9 => x / (1.0 + x.abs()),
        10 => {
            if x > 0.0 {
                x + (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        }
        _ => panic!("activation code {code}"),
    }
}

/// The derivative of `a` where its value is `y` (the kernels' rule: the
/// backward pass has only the values).
pub fn act_deriv(a: Act, y: f64) -> f64 {
    let Act(code, al, be) = a;
    match code {
        0 => y * (1.0 - y),
        1 => 1.0 - y * y,
        2 => {
            if y > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        3 => {
            if y > 0.0 && y < 1.0 {
                al
            } else {
                0.0
            }
        }
        4 => al,
        5 => {
            if y > 0.0 {
                1.0
            } else {
                al
            }
        }
        6 => {
            if y != 0.0 {
                1.0
            } else {
                0.0
            }
        }
        7 => {
            if al == 0.0 {
                0.0
            } else {
                al * be * (1.0 - (y / al).powi(2))
            }
        }
        8 => {
            if y > 0.0 {
                1.0
            } else {
                y + al
            }
        }
        9 => (1.0 - y.abs()).powi(2),
        10 => -(-y).exp_m1(),
        _ => panic!("activation code {code}"),
    }
}

/// Everything one step of one sequence computed.
#[derive(Clone, Debug)]
pub struct StepCache {
    /// The step's input.
    pub x: Vec<f64>,
    /// The hidden state before the step.
    pub h_prev: Vec<f64>,
    /// The cell state before the step (LSTM).
    pub c_prev: Vec<f64>,
    /// Activated gates, `G·h` (LSTM `i, f, g, o`; GRU `r, z, n`).
    pub gates: Vec<f64>,
    /// GRU: `W_hn h + b_hn` (reset after) or `W_hn (r∘h) + b_hn` (before).
    pub hn: Vec<f64>,
    /// The new cell state (LSTM).
    pub c: Vec<f64>,
    /// The new hidden state.
    pub h: Vec<f64>,
}

/// The logistic sigmoid.
pub fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// `W·v` for a row-major `rows × cols` matrix `w`.
pub fn matvec(w: &[f64], rows: usize, cols: usize, v: &[f64]) -> Vec<f64> {
    (0..rows)
        .map(|i| (0..cols).map(|k| w[i * cols + k] * v[k]).sum())
        .collect()
}

/// `Wᵀ·v` for a row-major `rows × cols` matrix `w` (`v` has `rows` values).
pub fn matvec_t(w: &[f64], rows: usize, cols: usize, v: &[f64]) -> Vec<f64> {
    (0..cols)
        .map(|k| (0..rows).map(|i| w[i * cols + k] * v[i]).sum())
        .collect()
}

/// One cell step from input `x` and states `h`, `c`.
pub fn cell_step(s: &Spec, p: &Params, x: &[f64], h: &[f64], c: &[f64]) -> StepCache {
    let hs = s.h;
    let g = s.gates() * hs;
    let ax: Vec<f64> = matvec(&p.w_ih, g, s.n_in, x)
        .iter()
        .zip(&p.b_ih)
        .map(|(a, b)| a + b)
        .collect();
    let ah: Vec<f64> = matvec(&p.w_hh, g, hs, h)
        .iter()
        .zip(&p.b_hh)
        .map(|(a, b)| a + b)
        .collect();
    let mut out = StepCache {
        x: x.to_vec(),
        h_prev: h.to_vec(),
        c_prev: c.to_vec(),
        gates: vec![0.0; g],
        hn: vec![],
        c: vec![],
        h: vec![0.0; hs],
    };
    let fns = Fns::of(s.cell, &p.gates);
    let act = |a: Act, v: f64| act_value(a, fns.clip(v));
    // Without peepholes nothing is added (`0·c` would be NaN for an infinite `c`).
    let peep = |v: f64, b: usize, q: usize, c: f64| {
        if p.p.is_empty() {
            v
        } else {
            v + p.p[b * hs + q] * c
        }
    };

    match s.cell {
        0 | 1 => {
            for q in 0..hs {
                out.h[q] = act(fns.f, ax[q] + ah[q]);
            }
        }
        2 => {
            out.c = vec![0.0; hs];
            for q in 0..hs {
                let pre = |k: usize| ax[k * hs + q] + ah[k * hs + q];
                let i = act(fns.f, peep(pre(0), 0, q, c[q]));
                let f = if fns.input_forget {
                    1.0 - i
                } else {
                    act(fns.f, peep(pre(1), 1, q, c[q]))
                };
                let gg = act(fns.g, pre(2));
                out.c[q] = f * c[q] + i * gg;
                let o = act(fns.f, peep(pre(3), 2, q, out.c[q]));
                out.gates[q] = i;
                out.gates[hs + q] = f;
                out.gates[2 * hs + q] = gg;
                out.gates[3 * hs + q] = o;
                out.h[q] = o * act_value(fns.h, out.c[q]);
            }
        }
        _ => {
            let r: Vec<f64> = (0..hs).map(|q| act(fns.f, ax[q] + ah[q])).collect();
            let z: Vec<f64> = (0..hs)
                .map(|q| act(fns.f, ax[hs + q] + ah[hs + q]))
                .collect();
            let hn: Vec<f64> = if s.cell == 3 {
                ah[2 * hs..].to_vec()
            } else {
                let rh: Vec<f64> = (0..hs).map(|q| r[q] * h[q]).collect();
                let w_hn = &p.w_hh[2 * hs * hs..];
                matvec(w_hn, hs, hs, &rh)
                    .iter()
                    .zip(&p.b_hh[2 * hs..])
                    .map(|(a, b)| a + b)
                    .collect()
            };
            for q in 0..hs {
                let nv = if s.cell == 3 {
                    act(fns.g, ax[2 * hs + q] + r[q] * hn[q])
                } else {
                    act(fns.g, ax[2 * hs + q] + hn[q])
                };
                out.gates[q] = r[q];
                out.gates[hs + q] = z[q];
                out.gates[2 * hs + q] = nv;
                out.h[q] = (1.0 - z[q]) * nv + z[q] * h[q];
            }
            out.hn = hn;
        }
    }
    out
}

/// The steps of sequence `j` (`x [t][n][n_in]`), in processing order.
pub fn run_sequence(
    s: &Spec,
    p: &Params,
    x: &[f64],
    len: usize,
    j: usize,
    h0: &[f64],
    c0: &[f64],
) -> Vec<StepCache> {
    let (hs, hc) = (s.h, s.hc());
    let mut h = h0[j * hs..(j + 1) * hs].to_vec();
    let mut c = c0[j * hc..(j + 1) * hc].to_vec();
    let mut steps = Vec::new();
    for u in 0..len {
        let tt = s.time(u, len);
        let xt = &x[(tt * s.n + j) * s.n_in..(tt * s.n + j + 1) * s.n_in];
        let st = cell_step(s, p, xt, &h, &c);
        h = st.h.clone();
        c = st.c.clone();
        steps.push(st);
    }
    steps
}

/// The forward pass's outputs.
#[derive(Clone, Debug)]
pub struct Forward {
    /// Hidden states, `[t][n][h]`, 0 past each length.
    pub output: Vec<f64>,
    /// Last hidden states, `[n][h]`.
    pub h_n: Vec<f64>,
    /// Last cell states, `[n][h]` (LSTM).
    pub c_n: Vec<f64>,
    /// In the packed layout the kernels document.
    pub saved: Vec<f64>,
}

/// PyTorch's packed order: the sequences by length descending, ties by
/// index.
pub fn ranks(lengths: &[usize]) -> Vec<usize> {
    let mut r: Vec<usize> = (0..lengths.len()).collect();
    r.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
    r
}

/// The index in `saved` of feature row `q` of the rank-`rank` sequence at
/// processing step `u` (`width` rows per step).
pub fn saved_index(lengths: &[usize], width: usize, u: usize, rank: usize, q: usize) -> usize {
    let active = |v: usize| lengths.iter().filter(|&&l| l > v).count();
    let off: usize = (0..u).map(active).sum();
    width * off + q * active(u) + rank
}

/// The forward pass of every sequence, and `saved` packed as the kernels document.
pub fn forward(
    s: &Spec,
    p: &Params,
    x: &[f64],
    lengths: &[usize],
    h0: &[f64],
    c0: &[f64],
) -> Forward {
    let (hs, hc, sw) = (s.h, s.hc(), s.saved_width());
    let mut f = Forward {
        output: vec![0.0; s.t * s.n * hs],
        h_n: h0.to_vec(),
        c_n: c0.to_vec(),
        saved: vec![0.0; s.t * s.n * sw],
    };
    let order = ranks(lengths);
    for (rank, &j) in order.iter().enumerate() {
        let len = lengths[j];
        let steps = run_sequence(s, p, x, len, j, h0, c0);
        for (u, st) in steps.iter().enumerate() {
            let tt = s.time(u, len);
            f.output[(tt * s.n + j) * hs..(tt * s.n + j + 1) * hs].copy_from_slice(&st.h);
            let rows: Vec<f64> = match s.cell {
                0 | 1 => st.h.clone(),
                2 => [&st.gates[..], &st.c, &st.h].concat(),
                _ => [&st.gates[..], &st.hn, &st.h].concat(),
            };
            for (q, &v) in rows.iter().enumerate() {
                f.saved[saved_index(lengths, sw, u, rank, q)] = v;
            }
        }
        if let Some(last) = steps.last() {
            f.h_n[j * hs..(j + 1) * hs].copy_from_slice(&last.h);
            f.c_n[j * hc..(j + 1) * hc].copy_from_slice(&last.c);
        }
    }
    f
}

/// The gradients the backward kernel returns.
#[derive(Clone, Debug)]
pub struct Grads {
    /// For `x`.
    pub dx: Vec<f64>,
    /// For `h0`.
    pub dh0: Vec<f64>,
    /// For `c0`.
    pub dc0: Vec<f64>,
    /// For `w_ih`.
    pub dw_ih: Vec<f64>,
    /// For `w_hh`.
    pub dw_hh: Vec<f64>,
    /// For `b_ih`.
    pub db_ih: Vec<f64>,
    /// For `b_hh`.
    pub db_hh: Vec<f64>,
}

impl Grads {
    /// All zero, shaped for `s`.
    pub fn zeros(s: &Spec) -> Self {
        let g = s.gates() * s.h;
        Self {
            dx: vec![0.0; s.t * s.n * s.n_in],
            dh0: vec![0.0; s.n * s.h],
            dc0: vec![0.0; s.n * s.hc()],
            dw_ih: vec![0.0; g * s.n_in],
            dw_hh: vec![0.0; g * s.h],
            db_ih: vec![0.0; g],
            db_hh: vec![0.0; g],
        }
    }

    /// The outputs in the kernel's order, with their names.
    pub fn named(&self) -> [(&'static str, &[f64]); 7] {
        [
            ("dx", &self.dx),
            ("dh0", &self.dh0),
            ("dc0", &self.dc0),
            ("dw_ih", &self.dw_ih),
            ("dw_hh", &self.dw_hh),
            ("db_ih", &self.db_ih),
            ("db_hh", &self.db_hh),
        ]
    }
}

/// The upstream gradients.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// For `output`.
    pub d_output: Vec<f64>,
    /// For `h_n`.
    pub dh_n: Vec<f64>,
    /// For `c_n`.
    pub dc_n: Vec<f64>,
}

/// `sum(output·d_output) + sum(h_n·dh_n) + sum(c_n·dc_n)`, the loss whose
/// gradients the backward pass returns.
pub fn loss(f: &Forward, u: &Upstream) -> f64 {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    dot(&f.output, &u.d_output) + dot(&f.h_n, &u.dh_n) + dot(&f.c_n, &u.dc_n)
}

/// The derivatives of one step: the pre-activation gradients of the input
/// projection (`dz_x`, which `W_ih` and `b_ih` get) and of the recurrent
/// one (`dz_h`, which `W_hh` and `b_hh` get), what `W_hh`'s rows act on,
/// and the gradients of the previous states.
struct StepGrads {
    dz_x: Vec<f64>,
    dz_h: Vec<f64>,
    /// What each row block of `W_hh` multiplies, `G·h` blocks of `h`
    /// values (`h_prev`, or `r∘h_prev` for the reset-before GRU's `n` rows).
    h_in: Vec<Vec<f64>>,
    dh_prev: Vec<f64>,
    dc_prev: Vec<f64>,
}

/// Backpropagation through one step, from the equations: `dh` and `dc` are
/// the total gradients of the step's new states.
#[allow(clippy::too_many_arguments)]
fn step_backward(
    s: &Spec,
    fns: &Fns,
    w_hh: &[f64],
    gates: &[f64],
    hn: &[f64],
    c_new: &[f64],
    h_new: &[f64],
    h_prev: &[f64],
    c_prev: &[f64],
    dh: &[f64],
    dc: &[f64],
) -> StepGrads {
    let hs = s.h;
    let g = s.gates() * hs;
    let mut dz = vec![0.0; g];
    let mut dc_prev = vec![];
    let mut direct = vec![0.0; hs];
    let mut h_in = vec![h_prev.to_vec(); s.gates()];
    let (df, dg) = (|y: f64| act_deriv(fns.f, y), |y: f64| act_deriv(fns.g, y));
    match s.cell {
        // PyTorch's ReLU: d max(0, a)/da = 1 for a > 0 (h' > 0), else 0 (a
        // NaN h' passes the gradient).
        1 if fns.standard => {
            for q in 0..hs {
                dz[q] = if h_new[q] <= 0.0 { 0.0 } else { dh[q] };
            }
        }
        0 | 1 => {
            for q in 0..hs {
                dz[q] = dh[q] * df(h_new[q]);
            }
        }
        2 => {
            dc_prev = vec![0.0; hs];
            for q in 0..hs {
                let (i, f) = (gates[q], gates[hs + q]);
                let (gg, o) = (gates[2 * hs + q], gates[3 * hs + q]);
                let tc = act_value(fns.h, c_new[q]);
                // h' = o·h(c'), c' = f·c + i·g.
                let dct = dc[q] + dh[q] * o * act_deriv(fns.h, tc);
                dz[3 * hs + q] = dh[q] * tc * df(o);
                dz[2 * hs + q] = dct * i * dg(gg);
                dz[q] = dct * gg * df(i);
                dz[hs + q] = dct * c_prev[q] * df(f);
                dc_prev[q] = dct * f;
            }
        }
        _ => {
            // h' = (1 − z)·n + z·h.
            for q in 0..hs {
                let (z, nv) = (gates[hs + q], gates[2 * hs + q]);
                dz[2 * hs + q] = dh[q] * (1.0 - z) * dg(nv);
                dz[hs + q] = dh[q] * (h_prev[q] - nv) * df(z);
                direct[q] = dh[q] * z;
            }
        }
    }
    let mut dz_h = dz.clone();
    match s.cell {
        3 => {
            // n = tanh(a_in + r·hn), hn = W_hn h + b_hn.
            for q in 0..hs {
                let r = gates[q];
                let dn = dz[2 * hs + q];
                dz[q] = dn * hn[q] * df(r);
                dz_h[q] = dz[q];
                dz_h[2 * hs + q] = dn * r;
            }
        }
        4 => {
            // n = tanh(a_in + W_hn (r∘h) + b_hn).
            let w_hn = &w_hh[2 * hs * hs..];
            let d_rh = matvec_t(w_hn, hs, hs, &dz[2 * hs..]);
            for q in 0..hs {
                let r = gates[q];
                dz[q] = d_rh[q] * h_prev[q] * df(r);
                dz_h[q] = dz[q];
                direct[q] += d_rh[q] * r;
            }
            h_in[2] = (0..hs).map(|q| gates[q] * h_prev[q]).collect();
        }
        _ => {}
    }
    // The reset-before GRU's n rows reach h only through r∘h (above).
    let through_w = if s.cell == 4 { 2 * hs } else { g };
    let dh_w = matvec_t(&w_hh[..through_w * hs], through_w, hs, &dz_h[..through_w]);
    StepGrads {
        dz_x: dz,
        dz_h,
        h_in,
        dh_prev: dh_w.iter().zip(&direct).map(|(a, b)| a + b).collect(),
        dc_prev,
    }
}

/// What [`backward_from`] needs of each step of each sequence.
pub struct StepValues {
    /// Activated gates.
    pub gates: Vec<f64>,
    /// `hn` (GRU).
    pub hn: Vec<f64>,
    /// The new cell state (LSTM).
    pub c: Vec<f64>,
    /// The new hidden state.
    pub h: Vec<f64>,
}

/// Backpropagation through time over every sequence, given each step's
/// values (`values(j, u)` for step `u` of sequence `j`) and the states
/// before it (`h0`, `c0`, or the previous step's `h`, `c`).
#[allow(clippy::too_many_arguments)]
fn backward_from(
    s: &Spec,
    lengths: &[usize],
    x: &[f64],
    h0: &[f64],
    c0: &[f64],
    w_ih: &[f64],
    w_hh: &[f64],
    gates: &[f64],
    up: &Upstream,
    values: impl Fn(usize, usize) -> StepValues,
) -> Grads {
    let fns = Fns::of(s.cell, gates);
    let (hs, hc, ni) = (s.h, s.hc(), s.n_in);
    let g = s.gates() * hs;
    let mut out = Grads::zeros(s);
    for (j, &len) in lengths.iter().enumerate() {
        let mut dh = up.dh_n[j * hs..(j + 1) * hs].to_vec();
        let mut dc = up.dc_n[j * hc..(j + 1) * hc].to_vec();
        for u in (0..len).rev() {
            let tt = s.time(u, len);
            let row = (tt * s.n + j) * hs;
            for q in 0..hs {
                dh[q] += up.d_output[row + q];
            }
            let v = values(j, u);
            let (h_prev, c_prev) = if u == 0 {
                (
                    h0[j * hs..(j + 1) * hs].to_vec(),
                    c0[j * hc..(j + 1) * hc].to_vec(),
                )
            } else {
                let p = values(j, u - 1);
                (p.h, p.c)
            };
            let sg = step_backward(
                s, &fns, w_hh, &v.gates, &v.hn, &v.c, &v.h, &h_prev, &c_prev, &dh, &dc,
            );
            let xt = &x[(tt * s.n + j) * ni..(tt * s.n + j + 1) * ni];
            for a in 0..g {
                for k in 0..ni {
                    out.dw_ih[a * ni + k] += sg.dz_x[a] * xt[k];
                }
                let h_in = &sg.h_in[a / hs];
                for k in 0..hs {
                    out.dw_hh[a * hs + k] += sg.dz_h[a] * h_in[k];
                }
                out.db_ih[a] += sg.dz_x[a];
                out.db_hh[a] += sg.dz_h[a];
            }
            let dxt = matvec_t(w_ih, g, ni, &sg.dz_x);
            out.dx[(tt * s.n + j) * ni..(tt * s.n + j + 1) * ni].copy_from_slice(&dxt);
            dh = sg.dh_prev;
            dc = sg.dc_prev;
        }
        out.dh0[j * hs..(j + 1) * hs].copy_from_slice(&dh);
        out.dc0[j * hc..(j + 1) * hc].copy_from_slice(&dc);
    }
    out
}

/// The backward pass by recomputing every sequence's forward steps.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    s: &Spec,
    p: &Params,
    x: &[f64],
    lengths: &[usize],
    h0: &[f64],
    c0: &[f64],
    up: &Upstream,
) -> Grads {
    let seqs: Vec<Vec<StepCache>> = (0..s.n)
        .map(|j| run_sequence(s, p, x, lengths[j], j, h0, c0))
        .collect();
    backward_from(
        s,
        lengths,
        x,
        h0,
        c0,
        &p.w_ih,
        &p.w_hh,
        &p.gates,
        up,
        |j, u| {
            let st = &seqs[j][u];
            StepValues {
                gates: st.gates.clone(),
                hn: st.hn.clone(),
                c: st.c.clone(),
                h: st.h.clone(),
            }
        },
    )
}

/// The backward pass reading each step's values from `saved` (any values,
/// as the kernel reads them): gates, `hn`, `c'` and `h'` of step `u` of
/// sequence `j` at the packed position of its rank.
#[allow(clippy::too_many_arguments)]
pub fn backward_saved(
    s: &Spec,
    saved: &[f64],
    x: &[f64],
    lengths: &[usize],
    h0: &[f64],
    c0: &[f64],
    w_ih: &[f64],
    w_hh: &[f64],
    gates: &[f64],
    up: &Upstream,
) -> Grads {
    let hs = s.h;
    let g = s.gates() * hs;
    let sw = s.saved_width();
    let order = ranks(lengths);
    let rank_of = |j: usize| order.iter().position(|&o| o == j).unwrap();
    let block = |j: usize, u: usize, b0: usize, rows: usize| -> Vec<f64> {
        let rank = rank_of(j);
        (b0..b0 + rows)
            .map(|q| saved[saved_index(lengths, sw, u, rank, q)])
            .collect()
    };
    backward_from(
        s,
        lengths,
        x,
        h0,
        c0,
        w_ih,
        w_hh,
        gates,
        up,
        |j, u| match s.cell {
            0 | 1 => StepValues {
                gates: vec![0.0; g],
                hn: vec![],
                c: vec![],
                h: block(j, u, 0, hs),
            },
            2 => StepValues {
                gates: block(j, u, 0, g),
                hn: vec![],
                c: block(j, u, g, hs),
                h: block(j, u, g + hs, hs),
            },
            _ => StepValues {
                gates: block(j, u, 0, g),
                hn: block(j, u, g, hs),
                c: vec![],
                h: block(j, u, g + hs, hs),
            },
        },
    )
}

/// Every activation code with its α and β (ONNX's defaults changed where a
/// function has them, so that they are seen to be used): `[code, α, β]`.
pub const ACTIVATIONS: [[f64; 3]; 11] = [
    [0.0, 0.0, 0.0],
    [1.0, 0.0, 0.0],
    [2.0, 0.0, 0.0],
    [3.0, 0.3, 0.45],
    [4.0, 0.7, 0.1],
    [5.0, 0.05, 0.0],
    [6.0, 0.3, 0.0],
    [7.0, 1.3, 0.8],
    [8.0, 0.9, 0.0],
    [9.0, 0.0, 0.0],
    [10.0, 0.0, 0.0],
];

/// Sigmoid as `[code, α, β]`.
pub const SIGMOID: [f64; 3] = [0.0, 0.0, 0.0];
/// Tanh as `[code, α, β]`.
pub const TANH: [f64; 3] = [1.0, 0.0, 0.0];

/// The kernels' `gates` for `f`, `g`, `h`, `clip` and `input_forget`.
pub fn gates_array(
    f: [f64; 3],
    g: [f64; 3],
    h: [f64; 3],
    clip: f64,
    input_forget: bool,
) -> Vec<f64> {
    [&f[..], &g, &h, &[clip, f64::from(u8::from(input_forget))]].concat()
}

/// The `gates` a backward pass can take for `cell`: each activation in each
/// slot the cell uses (the others standard).
pub fn backward_gates(cell: usize) -> Vec<Vec<f64>> {
    let slots = match cell {
        0 | 1 => 1,
        2 => 3,
        _ => 2,
    };
    let mut out = Vec::new();
    for slot in 0..slots {
        for a in ACTIVATIONS {
            let mut fgh = [SIGMOID, TANH, TANH];
            fgh[slot] = a;
            out.push(gates_array(fgh[0], fgh[1], fgh[2], 0.0, false));
        }
    }
    out
}

/// `(gates, peepholes)` a forward pass is checked with for `cell`: those of
/// [`backward_gates`], then clips, input_forget and peepholes (LSTM) alone
/// and together with other functions.
pub fn forward_gates(cell: usize) -> Vec<(Vec<f64>, bool)> {
    let mut out: Vec<(Vec<f64>, bool)> = backward_gates(cell)
        .into_iter()
        .map(|g| (g, false))
        .collect();
    let std_f = if cell == 0 {
        TANH
    } else if cell == 1 {
        ACTIVATIONS[2]
    } else {
        SIGMOID
    };
    out.push((gates_array(std_f, TANH, TANH, 0.4, false), false));
    out.push((
        gates_array(ACTIVATIONS[3], ACTIVATIONS[8], TANH, 0.25, false),
        false,
    ));
    if cell == 2 {
        out.push((vec![], true));
        out.push((gates_array(SIGMOID, TANH, TANH, 0.0, true), false));
        out.push((gates_array(SIGMOID, TANH, TANH, 0.3, true), true));
        out.push((
            gates_array(ACTIVATIONS[3], ACTIVATIONS[10], ACTIVATIONS[7], 0.5, false),
            true,
        ));
    }
    out
}
