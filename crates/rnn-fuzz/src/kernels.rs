//! Every kernel as a table row: its buffers in argument order, the lengths the calling
//! convention requires of them (written out here from the documented shapes, not taken from
//! the core, except the workspace minimum, which only the core's `*_workspace_len` defines),
//! and two ways to call it: the `rnn-core` function over slices and the `rnn-wasm` export over
//! `(address, length)` pairs.
//!
//! `softmax` reads its matrix as `n_y × m`, `transpose` its source as `n_x × m`, and
//! `sigmoid` takes `m` values, so one [`Dims`] describes every call. The layer kernels read
//! it through [`layer_dims`].

use rnn_core::{
    Dims, ElemDims, KernelError, LayerBackwardIn, LayerBackwardOut, LayerDims, LayerForwardIn,
    LayerForwardOut, LstmBackwardIn, LstmBackwardOut, LstmForwardIn, LstmForwardOut, MatDims,
    OutputBackwardIn, OutputBackwardOut, RnnBackwardIn, RnnBackwardOut, RnnForwardIn,
    RnnForwardOut, SigmoidIn, SigmoidOut, SoftmaxIn, SoftmaxOut, TransposeIn, TransposeOut,
};

/// How a kernel uses a buffer. Inputs come first, then outputs, then the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Read only.
    Input,
    /// Written in full.
    Output,
    /// Scratch: at least the required length, written freely.
    Workspace,
}

/// Core call: dimensions, the inputs, then the outputs and workspace.
pub type CoreFn = fn(&Dims, &[&[f64]], &mut [&mut [f64]]) -> Result<(), KernelError>;
/// Export call: dimensions and one `(byte address, length in f64)` pair per buffer.
pub type ExportFn = fn(&Dims, &[(usize, usize)]) -> i32;

/// One kernel of the calling convention.
pub struct Kernel {
    /// The export's name.
    pub name: &'static str,
    /// Buffer names and roles, in argument order.
    pub bufs: &'static [(&'static str, Role)],
    /// Required length of each buffer (the minimum, for the workspace); `None` when it
    /// overflows `usize`, so that no length can satisfy it.
    pub lens: fn(&Dims) -> Vec<Option<usize>>,
    /// The `rnn-core` function.
    pub core: CoreFn,
    /// The `rnn-wasm` export.
    pub export: ExportFn,
    /// A value for the input named first, where uniform test data will not do (`u` is uniform
    /// in [0, 1)); `None` keeps the default.
    pub value: fn(&str, f64, &Dims) -> Option<f64>,
    /// Whether the inputs' values are acceptable, checked after their lengths.
    pub values_ok: fn(&Dims, &[&[f64]]) -> bool,
}

fn any_value(_: &str, _: f64, _: &Dims) -> Option<f64> {
    None
}

fn all_values_ok(_: &Dims, _: &[&[f64]]) -> bool {
    true
}

/// A target of `output_backward`: -1 (none) or a class index below `n_y`.
pub fn is_target(v: f64, n_y: usize) -> bool {
    v == -1.0 || (v >= 0.0 && v < n_y as f64 && v.fract() == 0.0)
}

impl Kernel {
    /// How many buffers are inputs.
    pub fn n_inputs(&self) -> usize {
        self.bufs.iter().filter(|b| b.1 == Role::Input).count()
    }
}

/// Product of sizes that may already have overflowed: `None` if any factor did; zero if any
/// factor is zero; `None` if the product overflows.
fn prod(factors: &[Option<usize>]) -> Option<usize> {
    let known: Option<Vec<usize>> = factors.iter().copied().collect();
    let known = known?;
    if known.contains(&0) {
        return Some(0);
    }
    known.iter().try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

fn s(v: usize) -> Option<usize> {
    Some(v)
}

use Role::{Input as I, Output as O, Workspace as W};

const SOFTMAX: &[(&str, Role)] = &[("z", I), ("out", O)];
const SIGMOID: &[(&str, Role)] = &[("z", I), ("out", O)];
const TRANSPOSE: &[(&str, Role)] = &[("src", I), ("dst", O)];
const OUTPUT_BACKWARD: &[(&str, Role)] = &[
    ("y", I),
    ("targets", I),
    ("a", I),
    ("wy", I),
    ("loss", O),
    ("dwy", O),
    ("dby", O),
    ("da", O),
    ("ws", W),
];
const RNN_FORWARD: &[(&str, Role)] = &[
    ("x", I),
    ("a0", I),
    ("wax", I),
    ("waa", I),
    ("ba", I),
    ("wya", I),
    ("by", I),
    ("a", O),
    ("y", O),
    ("ws", W),
];
const RNN_BACKWARD: &[(&str, Role)] = &[
    ("da", I),
    ("a_next", I),
    ("a_prev", I),
    ("x", I),
    ("wax", I),
    ("waa", I),
    ("dx", O),
    ("da0", O),
    ("dwax", O),
    ("dwaa", O),
    ("dba", O),
    ("ws", W),
];
const LSTM_FORWARD: &[(&str, Role)] = &[
    ("x", I),
    ("a0", I),
    ("c0", I),
    ("w", I),
    ("b", I),
    ("wy", I),
    ("by", I),
    ("a", O),
    ("c", O),
    ("y", O),
    ("gates", O),
    ("ws", W),
];
const LSTM_BACKWARD: &[(&str, Role)] = &[
    ("da", I),
    ("dc_last", I),
    ("c_next", I),
    ("c_prev", I),
    ("a_prev", I),
    ("gates", I),
    ("x", I),
    ("w", I),
    ("dx", O),
    ("da0", O),
    ("dc0", O),
    ("dw", O),
    ("db", O),
    ("ws", W),
];

const LAYER_FORWARD: &[(&str, Role)] = &[
    ("x", I),
    ("lengths", I),
    ("h0", I),
    ("c0", I),
    ("w_ih", I),
    ("w_hh", I),
    ("b_ih", I),
    ("b_hh", I),
    ("gates", I),
    ("p", I),
    ("output", O),
    ("h_n", O),
    ("c_n", O),
    ("saved", O),
    ("ws", W),
];

const LAYER_BACKWARD: &[(&str, Role)] = &[
    ("d_output", I),
    ("dh_n", I),
    ("dc_n", I),
    ("saved", I),
    ("x", I),
    ("lengths", I),
    ("h0", I),
    ("c0", I),
    ("w_ih", I),
    ("w_hh", I),
    ("gates", I),
    ("dx", O),
    ("dh0", O),
    ("dc0", O),
    ("dw_ih", O),
    ("dw_hh", O),
    ("db_ih", O),
    ("db_hh", O),
    ("ws", W),
];

/// A layer call as one [`Dims`]: `n_x` input features, `n_a` hidden units, `m` sequences,
/// `t` steps, and `n_y` the cell and direction (`cell = n_y mod 5`, reverse when
/// `⌊n_y / 5⌋` is odd), so that every cell and both directions come up among small
/// dimensions and any `n_y` names a valid pair.
pub fn layer_dims(d: &Dims, keep: usize) -> LayerDims {
    LayerDims {
        cell: d.n_y % 5,
        n_in: d.n_x,
        h: d.n_a,
        n: d.m,
        t: d.t,
        reverse: (d.n_y / 5) % 2,
        keep,
    }
}

/// `layer_forward`'s dimensions: [`layer_dims`], with `saved` kept when `⌊n_y / 10⌋ + t` is
/// even, so that both settings come up for every cell and direction.
pub fn layer_forward_dims(d: &Dims) -> LayerDims {
    let keep = usize::from((d.n_y / 10) % 2 == d.t % 2);
    layer_dims(d, keep)
}

fn layer_forward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let (gh, sw, hc) = layer_sizes(d);
    let keep = layer_forward_dims(d).keep == 1;
    let (st, sc) = (prod(&[s(m), s(n_a)]), prod(&[s(m), s(hc)]));
    vec![
        prod(&[s(t), s(m), s(n_x)]),
        s(m),
        st,
        sc,
        prod(&[gh, s(n_x)]),
        prod(&[gh, s(n_a)]),
        gh,
        gh,
        // `gates` and `p` empty: the standard cells (the general path's values are checked
        // by the core's own tests).
        s(0),
        s(0),
        prod(&[s(t), s(m), s(n_a)]),
        st,
        sc,
        if keep { prod(&[s(t), s(m), sw]) } else { s(0) },
        rnn_core::layer_forward_workspace_len(&layer_forward_dims(d)),
    ]
}

/// A layer's gate rows `G·h`, `saved` values per sequence and step `S`, and the cell-state
/// size per sequence (`h` for the LSTM, else 0), from the documented table.
fn layer_sizes(d: &Dims) -> (Option<usize>, Option<usize>, usize) {
    let cell = d.n_y % 5;
    let gates = [1, 1, 4, 3, 3][cell];
    let saved = [1, 1, 6, 5, 5][cell];
    let hc = if cell == 2 { d.n_a } else { 0 };
    (d.n_a.checked_mul(gates), d.n_a.checked_mul(saved), hc)
}

/// `lengths` of a layer kernel: integers in `0..=t`.
pub fn layer_lengths_ok(d: &Dims, lengths: &[f64]) -> bool {
    lengths
        .iter()
        .all(|&v| v >= 0.0 && v <= d.t as f64 && v.fract() == 0.0)
}

/// A length in `0..=t` from `u` in [0, 1), and now and then one that is not.
fn layer_length(u: f64, d: &Dims) -> f64 {
    if u < 0.02 {
        [d.t as f64 + 1.0, 0.5, f64::NAN, -1.0][(u * 200.0) as usize % 4]
    } else {
        (((u - 0.02) / 0.98) * (d.t as f64 + 1.0)).floor()
    }
}

fn layer_backward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let (gh, sw, hc) = layer_sizes(d);
    let seq_h = prod(&[s(t), s(m), s(n_a)]);
    let seq_x = prod(&[s(t), s(m), s(n_x)]);
    let (st, sc) = (prod(&[s(m), s(n_a)]), prod(&[s(m), s(hc)]));
    let (w_ih, w_hh) = (prod(&[gh, s(n_x)]), prod(&[gh, s(n_a)]));
    vec![
        seq_h,
        st,
        sc,
        prod(&[s(t), s(m), sw]),
        seq_x,
        s(m),
        st,
        sc,
        w_ih,
        w_hh,
        s(0),
        seq_x,
        st,
        sc,
        w_ih,
        w_hh,
        gh,
        gh,
        rnn_core::layer_backward_workspace_len(&layer_dims(d, 0)),
    ]
}

/// The fused LSTM weight's rows `4·n_a` and columns `n_a + n_x`.
fn fused(d: &Dims) -> (Option<usize>, Option<usize>) {
    (d.n_a.checked_mul(4), d.n_a.checked_add(d.n_x))
}

fn rnn_forward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    vec![
        prod(&[s(t), s(n_x), s(m)]),
        prod(&[s(n_a), s(m)]),
        prod(&[s(n_a), s(n_x)]),
        prod(&[s(n_a), s(n_a)]),
        s(n_a),
        prod(&[s(n_y), s(n_a)]),
        s(n_y),
        prod(&[s(t), s(n_a), s(m)]),
        prod(&[s(t), s(n_y), s(m)]),
        rnn_core::rnn_forward_workspace_len(d),
    ]
}

fn rnn_backward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let seq_a = prod(&[s(t), s(n_a), s(m)]);
    let seq_x = prod(&[s(t), s(n_x), s(m)]);
    vec![
        seq_a,
        seq_a,
        seq_a,
        seq_x,
        prod(&[s(n_a), s(n_x)]),
        prod(&[s(n_a), s(n_a)]),
        seq_x,
        prod(&[s(n_a), s(m)]),
        prod(&[s(n_a), s(n_x)]),
        prod(&[s(n_a), s(n_a)]),
        s(n_a),
        rnn_core::rnn_backward_workspace_len(d),
    ]
}

fn lstm_forward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    } = *d;
    let (g, k) = fused(d);
    let seq_a = prod(&[s(t), s(n_a), s(m)]);
    vec![
        prod(&[s(t), s(n_x), s(m)]),
        prod(&[s(n_a), s(m)]),
        prod(&[s(n_a), s(m)]),
        prod(&[g, k]),
        g,
        prod(&[s(n_y), s(n_a)]),
        s(n_y),
        seq_a,
        seq_a,
        prod(&[s(t), s(n_y), s(m)]),
        prod(&[s(t), g, s(m)]),
        rnn_core::lstm_forward_workspace_len(d),
    ]
}

fn lstm_backward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims { n_x, n_a, m, t, .. } = *d;
    let (g, k) = fused(d);
    let seq_a = prod(&[s(t), s(n_a), s(m)]);
    let seq_x = prod(&[s(t), s(n_x), s(m)]);
    vec![
        seq_a,
        prod(&[s(n_a), s(m)]),
        seq_a,
        seq_a,
        seq_a,
        prod(&[s(t), g, s(m)]),
        seq_x,
        prod(&[g, k]),
        seq_x,
        prod(&[s(n_a), s(m)]),
        prod(&[s(n_a), s(m)]),
        prod(&[g, k]),
        g,
        rnn_core::lstm_backward_workspace_len(d),
    ]
}

fn output_backward_lens(d: &Dims) -> Vec<Option<usize>> {
    let Dims { n_a, n_y, m, t, .. } = *d;
    let dims = Dims { n_x: 0, ..*d };
    vec![
        prod(&[s(t), s(n_y), s(m)]),
        prod(&[s(t), s(m)]),
        prod(&[s(t), s(n_a), s(m)]),
        prod(&[s(n_y), s(n_a)]),
        s(2),
        prod(&[s(n_y), s(n_a)]),
        s(n_y),
        prod(&[s(t), s(n_a), s(m)]),
        rnn_core::output_backward_workspace_len(&dims),
    ]
}

fn ip(b: (usize, usize)) -> *const f64 {
    b.0 as *const f64
}

fn op(b: (usize, usize)) -> *mut f64 {
    b.0 as *mut f64
}

/// Every kernel export, in the order of `rnn-wasm`'s exports.
pub fn all() -> [Kernel; 12] {
    [
        Kernel {
            name: "rnn_softmax",
            bufs: SOFTMAX,
            lens: |d| vec![prod(&[s(d.n_y), s(d.m)]), prod(&[s(d.n_y), s(d.m)])],
            core: |d, i, o| {
                let dims = MatDims {
                    rows: d.n_y,
                    cols: d.m,
                };
                let [out] = o else { unreachable!() };
                rnn_core::softmax(&dims, SoftmaxIn { z: i[0] }, SoftmaxOut { out }, &mut [])
            },
            export: |d, b| {
                crate::rnn_wasm::rnn_softmax(d.n_y, d.m, ip(b[0]), b[0].1, op(b[1]), b[1].1)
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "rnn_transpose",
            bufs: TRANSPOSE,
            lens: |d| vec![prod(&[s(d.n_x), s(d.m)]), prod(&[s(d.n_x), s(d.m)])],
            core: |d, i, o| {
                let dims = MatDims {
                    rows: d.n_x,
                    cols: d.m,
                };
                let [dst] = o else { unreachable!() };
                rnn_core::transpose(
                    &dims,
                    TransposeIn { src: i[0] },
                    TransposeOut { dst },
                    &mut [],
                )
            },
            export: |d, b| {
                crate::rnn_wasm::rnn_transpose(d.n_x, d.m, ip(b[0]), b[0].1, op(b[1]), b[1].1)
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "rnn_sigmoid",
            bufs: SIGMOID,
            lens: |d| vec![s(d.m), s(d.m)],
            core: |d, i, o| {
                let [out] = o else { unreachable!() };
                let (i, o) = (SigmoidIn { z: i[0] }, SigmoidOut { out });
                rnn_core::sigmoid(&ElemDims { n: d.m }, i, o, &mut [])
            },
            export: |d, b| crate::rnn_wasm::rnn_sigmoid(d.m, ip(b[0]), b[0].1, op(b[1]), b[1].1),
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "rnn_forward",
            bufs: RNN_FORWARD,
            lens: rnn_forward_lens,
            core: |d, i, o| {
                let [a, y, ws] = o else { unreachable!() };
                let i = RnnForwardIn {
                    x: i[0],
                    a0: i[1],
                    wax: i[2],
                    waa: i[3],
                    ba: i[4],
                    wya: i[5],
                    by: i[6],
                };
                rnn_core::rnn_forward(d, i, RnnForwardOut { a, y }, ws)
            },
            export: |d, b| {
                crate::rnn_wasm::rnn_forward(
                    d.n_x,
                    d.n_a,
                    d.n_y,
                    d.m,
                    d.t,
                    ip(b[0]),
                    b[0].1,
                    ip(b[1]),
                    b[1].1,
                    ip(b[2]),
                    b[2].1,
                    ip(b[3]),
                    b[3].1,
                    ip(b[4]),
                    b[4].1,
                    ip(b[5]),
                    b[5].1,
                    ip(b[6]),
                    b[6].1,
                    op(b[7]),
                    b[7].1,
                    op(b[8]),
                    b[8].1,
                    op(b[9]),
                    b[9].1,
                )
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "rnn_backward",
            bufs: RNN_BACKWARD,
            lens: rnn_backward_lens,
            core: |d, i, o| {
                let [dx, da0, dwax, dwaa, dba, ws] = o else {
                    unreachable!()
                };
                let i = RnnBackwardIn {
                    da: i[0],
                    a_next: i[1],
                    a_prev: i[2],
                    x: i[3],
                    wax: i[4],
                    waa: i[5],
                };
                let o = RnnBackwardOut {
                    dx,
                    da0,
                    dwax,
                    dwaa,
                    dba,
                };
                rnn_core::rnn_backward(d, i, o, ws)
            },
            export: |d, b| {
                crate::rnn_wasm::rnn_backward(
                    d.n_x,
                    d.n_a,
                    d.m,
                    d.t,
                    ip(b[0]),
                    b[0].1,
                    ip(b[1]),
                    b[1].1,
                    ip(b[2]),
                    b[2].1,
                    ip(b[3]),
                    b[3].1,
                    ip(b[4]),
                    b[4].1,
                    ip(b[5]),
                    b[5].1,
                    op(b[6]),
                    b[6].1,
                    op(b[7]),
                    b[7].1,
                    op(b[8]),
                    b[8].1,
                    op(b[9]),
                    b[9].1,
                    op(b[10]),
                    b[10].1,
                    op(b[11]),
                    b[11].1,
                )
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "output_backward",
            bufs: OUTPUT_BACKWARD,
            lens: output_backward_lens,
            core: |d, i, o| {
                let [loss, dwy, dby, da, ws] = o else {
                    unreachable!()
                };
                let d = Dims { n_x: 0, ..*d };
                let i = OutputBackwardIn {
                    y: i[0],
                    targets: i[1],
                    a: i[2],
                    wy: i[3],
                };
                let o = OutputBackwardOut { loss, dwy, dby, da };
                rnn_core::output_backward(&d, i, o, ws)
            },
            export: |d, b| {
                crate::rnn_wasm::output_backward(
                    d.n_a,
                    d.n_y,
                    d.m,
                    d.t,
                    ip(b[0]),
                    b[0].1,
                    ip(b[1]),
                    b[1].1,
                    ip(b[2]),
                    b[2].1,
                    ip(b[3]),
                    b[3].1,
                    op(b[4]),
                    b[4].1,
                    op(b[5]),
                    b[5].1,
                    op(b[6]),
                    b[6].1,
                    op(b[7]),
                    b[7].1,
                    op(b[8]),
                    b[8].1,
                )
            },
            // Probabilities for y (the loss takes their logarithm); class indices or -1 for
            // the targets, and now and then something that is neither.
            value: |name, u, d| match name {
                "y" => Some(0.01 + u),
                "targets" if u < 0.02 => {
                    Some([d.n_y as f64, 0.5, f64::NAN, -2.0][(u * 200.0) as usize % 4])
                }
                "targets" => Some((((u - 0.02) / 0.98) * (d.n_y as f64 + 1.0)).floor() - 1.0),
                _ => None,
            },
            values_ok: |d, i| i[1].iter().all(|&v| is_target(v, d.n_y)),
        },
        Kernel {
            name: "lstm_forward",
            bufs: LSTM_FORWARD,
            lens: lstm_forward_lens,
            core: |d, i, o| {
                let [a, c, y, gates, ws] = o else {
                    unreachable!()
                };
                let i = LstmForwardIn {
                    x: i[0],
                    a0: i[1],
                    c0: i[2],
                    w: i[3],
                    b: i[4],
                    wy: i[5],
                    by: i[6],
                };
                rnn_core::lstm_forward(d, i, LstmForwardOut { a, c, y, gates }, ws)
            },
            export: |d, b| {
                crate::rnn_wasm::lstm_forward(
                    d.n_x,
                    d.n_a,
                    d.n_y,
                    d.m,
                    d.t,
                    ip(b[0]),
                    b[0].1,
                    ip(b[1]),
                    b[1].1,
                    ip(b[2]),
                    b[2].1,
                    ip(b[3]),
                    b[3].1,
                    ip(b[4]),
                    b[4].1,
                    ip(b[5]),
                    b[5].1,
                    ip(b[6]),
                    b[6].1,
                    op(b[7]),
                    b[7].1,
                    op(b[8]),
                    b[8].1,
                    op(b[9]),
                    b[9].1,
                    op(b[10]),
                    b[10].1,
                    op(b[11]),
                    b[11].1,
                )
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "lstm_backward",
            bufs: LSTM_BACKWARD,
            lens: lstm_backward_lens,
            core: |d, i, o| {
                let [dx, da0, dc0, dw, db, ws] = o else {
                    unreachable!()
                };
                let i = LstmBackwardIn {
                    da: i[0],
                    dc_last: i[1],
                    c_next: i[2],
                    c_prev: i[3],
                    a_prev: i[4],
                    gates: i[5],
                    x: i[6],
                    w: i[7],
                };
                let o = LstmBackwardOut {
                    dx,
                    da0,
                    dc0,
                    dw,
                    db,
                };
                rnn_core::lstm_backward(d, i, o, ws)
            },
            export: |d, b| {
                crate::rnn_wasm::lstm_backward(
                    d.n_x,
                    d.n_a,
                    d.m,
                    d.t,
                    ip(b[0]),
                    b[0].1,
                    ip(b[1]),
                    b[1].1,
                    ip(b[2]),
                    b[2].1,
                    ip(b[3]),
                    b[3].1,
                    ip(b[4]),
                    b[4].1,
                    ip(b[5]),
                    b[5].1,
                    ip(b[6]),
                    b[6].1,
                    ip(b[7]),
                    b[7].1,
                    op(b[8]),
                    b[8].1,
                    op(b[9]),
                    b[9].1,
                    op(b[10]),
                    b[10].1,
                    op(b[11]),
                    b[11].1,
                    op(b[12]),
                    b[12].1,
                    op(b[13]),
                    b[13].1,
                )
            },
            value: any_value,
            values_ok: all_values_ok,
        },
        Kernel {
            name: "layer_forward",
            bufs: LAYER_FORWARD,
            lens: layer_forward_lens,
            core: |d, i, o| layer_forward_core(rnn_core::layer_forward, d, i, o),
            export: |d, b| layer_forward_export(crate::rnn_wasm::layer_forward, d, b),
            value: |name, u, d| (name == "lengths").then(|| layer_length(u, d)),
            values_ok: |d, i| layer_lengths_ok(d, i[1]),
        },
        Kernel {
            name: "layer_forward_f32",
            bufs: LAYER_FORWARD,
            lens: layer_forward_lens,
            core: |d, i, o| layer_forward_core(rnn_core::layer_forward_f32, d, i, o),
            export: |d, b| layer_forward_export(crate::rnn_wasm::layer_forward_f32, d, b),
            value: |name, u, d| (name == "lengths").then(|| layer_length(u, d)),
            values_ok: |d, i| layer_lengths_ok(d, i[1]),
        },
        Kernel {
            name: "layer_backward",
            bufs: LAYER_BACKWARD,
            lens: layer_backward_lens,
            core: |d, i, o| layer_backward_core(rnn_core::layer_backward, d, i, o),
            export: |d, b| layer_backward_export(crate::rnn_wasm::layer_backward, d, b),
            value: |name, u, d| (name == "lengths").then(|| layer_length(u, d)),
            values_ok: |d, i| layer_lengths_ok(d, i[5]),
        },
        Kernel {
            name: "layer_backward_f32",
            bufs: LAYER_BACKWARD,
            lens: layer_backward_lens,
            core: |d, i, o| layer_backward_core(rnn_core::layer_backward_f32, d, i, o),
            export: |d, b| layer_backward_export(crate::rnn_wasm::layer_backward_f32, d, b),
            value: |name, u, d| (name == "lengths").then(|| layer_length(u, d)),
            values_ok: |d, i| layer_lengths_ok(d, i[5]),
        },
    ]
}

/// `layer_forward`'s signature (and its float32 twin's).
type LayerForwardFn =
    fn(&LayerDims, LayerForwardIn<'_>, LayerForwardOut<'_>, &mut [f64]) -> Result<(), KernelError>;
/// `layer_backward`'s signature (and its float32 twin's).
type LayerBackwardFn = fn(
    &LayerDims,
    LayerBackwardIn<'_>,
    LayerBackwardOut<'_>,
    &mut [f64],
) -> Result<(), KernelError>;
/// The `layer_forward` export's signature (and its float32 twin's).
type LayerForwardExport = extern "C" fn(
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
) -> i32;
/// The `layer_backward` export's signature (and its float32 twin's).
type LayerBackwardExport = extern "C" fn(
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
    *mut f64,
    usize,
) -> i32;

/// [`Kernel::core`] for `layer_forward` or its float32 twin `f`.
fn layer_forward_core(
    f: LayerForwardFn,
    d: &Dims,
    i: &[&[f64]],
    o: &mut [&mut [f64]],
) -> Result<(), KernelError> {
    let [output, h_n, c_n, saved, ws] = o else {
        unreachable!()
    };
    let i = LayerForwardIn {
        x: i[0],
        lengths: i[1],
        h0: i[2],
        c0: i[3],
        w_ih: i[4],
        w_hh: i[5],
        b_ih: i[6],
        b_hh: i[7],
        gates: i[8],
        p: i[9],
    };
    let o = LayerForwardOut {
        output,
        h_n,
        c_n,
        saved,
    };
    f(&layer_forward_dims(d), i, o, ws)
}

/// [`Kernel::export`] for the `layer_forward` export or its float32 twin `f`.
fn layer_forward_export(f: LayerForwardExport, d: &Dims, b: &[(usize, usize)]) -> i32 {
    let l = layer_forward_dims(d);
    f(
        l.cell,
        l.n_in,
        l.h,
        l.n,
        l.t,
        l.reverse,
        l.keep,
        ip(b[0]),
        b[0].1,
        ip(b[1]),
        b[1].1,
        ip(b[2]),
        b[2].1,
        ip(b[3]),
        b[3].1,
        ip(b[4]),
        b[4].1,
        ip(b[5]),
        b[5].1,
        ip(b[6]),
        b[6].1,
        ip(b[7]),
        b[7].1,
        ip(b[8]),
        b[8].1,
        ip(b[9]),
        b[9].1,
        op(b[10]),
        b[10].1,
        op(b[11]),
        b[11].1,
        op(b[12]),
        b[12].1,
        op(b[13]),
        b[13].1,
        op(b[14]),
        b[14].1,
    )
}

/// [`Kernel::core`] for `layer_backward` or its float32 twin `f`.
fn layer_backward_core(
    f: LayerBackwardFn,
    d: &Dims,
    i: &[&[f64]],
    o: &mut [&mut [f64]],
) -> Result<(), KernelError> {
    let [dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, ws] = o else {
        unreachable!()
    };
    let i = LayerBackwardIn {
        d_output: i[0],
        dh_n: i[1],
        dc_n: i[2],
        saved: i[3],
        x: i[4],
        lengths: i[5],
        h0: i[6],
        c0: i[7],
        w_ih: i[8],
        w_hh: i[9],
        gates: i[10],
    };
    let o = LayerBackwardOut {
        dx,
        dh0,
        dc0,
        dw_ih,
        dw_hh,
        db_ih,
        db_hh,
    };
    f(&layer_dims(d, 0), i, o, ws)
}

/// [`Kernel::export`] for the `layer_backward` export or its float32 twin `f`.
fn layer_backward_export(f: LayerBackwardExport, d: &Dims, b: &[(usize, usize)]) -> i32 {
    let l = layer_dims(d, 0);
    f(
        l.cell,
        l.n_in,
        l.h,
        l.n,
        l.t,
        l.reverse,
        ip(b[0]),
        b[0].1,
        ip(b[1]),
        b[1].1,
        ip(b[2]),
        b[2].1,
        ip(b[3]),
        b[3].1,
        ip(b[4]),
        b[4].1,
        ip(b[5]),
        b[5].1,
        ip(b[6]),
        b[6].1,
        ip(b[7]),
        b[7].1,
        ip(b[8]),
        b[8].1,
        ip(b[9]),
        b[9].1,
        ip(b[10]),
        b[10].1,
        op(b[11]),
        b[11].1,
        op(b[12]),
        b[12].1,
        op(b[13]),
        b[13].1,
        op(b[14]),
        b[14].1,
        op(b[15]),
        b[15].1,
        op(b[16]),
        b[16].1,
        op(b[17]),
        b[17].1,
        op(b[18]),
        b[18].1,
    )
}
