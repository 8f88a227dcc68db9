//! `layer_forward` against a per-sequence, per-step reference written from
//! the cell equations (plain loops, PyTorch's packed-sequence semantics),
//! over every cell, both directions, with and without `saved`, lengths in
//! any order (0, 1 and `t` among them) and sizes past the GEMM's tiles;
//! plus the call contract (workspace contents and thread count irrelevant,
//! bad arguments refused); and the cells' other functions (`gates`, `p`)
//! against the shared plain reference, every activation, clip,
//! input_forget and peepholes, and every value of them refused.

// The reference indexes as the equations do.
#![allow(clippy::needless_range_loop)]

mod common;
mod layer_ref;

use common::{assert_close, assert_close_nonfinite, Rng};
use rnn_core::{
    layer_forward, layer_forward_f32, layer_forward_workspace_len, KernelError, LayerDims,
    LayerForwardIn, LayerForwardOut, Status,
};

const CELLS: [usize; 5] = [0, 1, 2, 3, 4];

/// Gates per cell.
fn gates(cell: usize) -> usize {
    [1, 1, 4, 3, 3][cell]
}

/// Saved rows per step, in blocks of `h`.
fn saved_blocks(cell: usize) -> usize {
    [1, 1, 6, 5, 5][cell]
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// One problem.
#[derive(Clone)]
struct Case {
    d: LayerDims,
    x: Vec<f64>,
    lengths: Vec<usize>,
    h0: Vec<f64>,
    c0: Vec<f64>,
    w_ih: Vec<f64>,
    w_hh: Vec<f64>,
    b_ih: Vec<f64>,
    b_hh: Vec<f64>,
    /// Run `layer_forward_f32` instead of `layer_forward`.
    f32: bool,
}

/// What the layer returns.
#[derive(Debug, PartialEq)]
struct Out {
    output: Vec<f64>,
    h_n: Vec<f64>,
    c_n: Vec<f64>,
    saved: Vec<f64>,
}

impl Case {
    fn new(d: LayerDims, lengths: &[usize], seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let g = gates(d.cell) * d.h;
        let hc = if d.cell == 2 { d.h } else { 0 };
        // Weights a bit larger than PyTorch's ±1/√h, so that the gates leave
        // their linear range.
        let w = 1.5 / (d.h.max(1) as f64).sqrt();
        Self {
            d,
            x: rng.vec(d.t * d.n * d.n_in, 1.0),
            lengths: lengths.to_vec(),
            h0: rng.vec(d.n * d.h, 0.8),
            c0: rng.vec(d.n * hc, 0.8),
            w_ih: rng.vec(g * d.n_in, w),
            w_hh: rng.vec(g * d.h, w),
            b_ih: rng.vec(g, w),
            b_hh: rng.vec(g, w),
            f32: false,
        }
    }

    fn hc(&self) -> usize {
        if self.d.cell == 2 {
            self.d.h
        } else {
            0
        }
    }

    fn lengths_f64(&self) -> Vec<f64> {
        self.lengths.iter().map(|&l| l as f64).collect()
    }

    /// The kernel, with a workspace filled with `fill` and outputs with NaN.
    fn run(&self, fill: f64) -> Result<Out, KernelError> {
        let d = &self.d;
        let sw = saved_blocks(d.cell) * d.h;
        let mut o = Out {
            output: vec![f64::NAN; d.t * d.n * d.h],
            h_n: vec![f64::NAN; d.n * d.h],
            c_n: vec![f64::NAN; d.n * self.hc()],
            saved: vec![f64::NAN; if d.keep == 1 { d.t * d.n * sw } else { 0 }],
        };
        let mut ws = vec![fill; layer_forward_workspace_len(d).unwrap()];
        self.run_into(&mut o, &mut ws)?;
        Ok(o)
    }

    /// The kernel, into `o` with the workspace `ws`.
    fn run_into(&self, o: &mut Out, ws: &mut [f64]) -> Result<(), KernelError> {
        let lengths = self.lengths_f64();
        let kernel = if self.f32 {
            layer_forward_f32
        } else {
            layer_forward
        };
        kernel(
            &self.d,
            LayerForwardIn {
                x: &self.x,
                lengths: &lengths,
                h0: &self.h0,
                c0: &self.c0,
                w_ih: &self.w_ih,
                w_hh: &self.w_hh,
                b_ih: &self.b_ih,
                b_hh: &self.b_hh,
                gates: &[],
                p: &[],
            },
            LayerForwardOut {
                output: &mut o.output,
                h_n: &mut o.h_n,
                c_n: &mut o.c_n,
                saved: &mut o.saved,
            },
            ws,
        )
    }

    /// The reference: each sequence on its own, a step at a time, from the
    /// equations; `saved` laid out in the packed order afterwards.
    fn reference(&self) -> Out {
        let LayerDims {
            cell,
            n_in,
            h,
            n,
            t,
            reverse,
            keep,
        } = self.d;
        let g = gates(cell) * h;
        let sw = saved_blocks(cell) * h;
        let mut output = vec![0.0; t * n * h];
        let mut h_n = vec![0.0; n * h];
        let mut c_n = vec![0.0; n * self.hc()];
        // features[j][s]: sequence j's saved rows at its step s.
        let mut features: Vec<Vec<Vec<f64>>> = vec![Vec::new(); n];
        for j in 0..n {
            let len = self.lengths[j];
            let mut hs: Vec<f64> = self.h0[j * h..(j + 1) * h].to_vec();
            let mut cs: Vec<f64> = if cell == 2 {
                self.c0[j * h..(j + 1) * h].to_vec()
            } else {
                Vec::new()
            };
            for s in 0..len {
                let time = if reverse == 1 { len - 1 - s } else { s };
                let xt = &self.x[(time * n + j) * n_in..(time * n + j + 1) * n_in];
                // W_ih x + b_ih and W_hh h + b_hh, row by row.
                let mut gi = vec![0.0; g];
                let mut gh = vec![0.0; g];
                for q in 0..g {
                    let mut a = self.b_ih[q];
                    for p in 0..n_in {
                        a += self.w_ih[q * n_in + p] * xt[p];
                    }
                    gi[q] = a;
                    let mut b = self.b_hh[q];
                    for p in 0..h {
                        b += self.w_hh[q * h + p] * hs[p];
                    }
                    gh[q] = b;
                }
                let mut feat = vec![0.0; sw];
                let mut next = vec![0.0; h];
                match cell {
                    0 | 1 => {
                        for k in 0..h {
                            let v = gi[k] + gh[k];
                            // torch.relu keeps NaN.
                            next[k] = if cell == 0 {
                                v.tanh()
                            } else if v < 0.0 {
                                0.0
                            } else {
                                v
                            };
                            feat[k] = next[k];
                        }
                    }
                    2 => {
                        for k in 0..h {
                            let i = sigmoid(gi[k] + gh[k]);
                            let f = sigmoid(gi[h + k] + gh[h + k]);
                            let gg = (gi[2 * h + k] + gh[2 * h + k]).tanh();
                            let o = sigmoid(gi[3 * h + k] + gh[3 * h + k]);
                            let c = f * cs[k] + i * gg;
                            next[k] = o * c.tanh();
                            cs[k] = c;
                            for (b, v) in [i, f, gg, o, c, next[k]].into_iter().enumerate() {
                                feat[b * h + k] = v;
                            }
                        }
                    }
                    _ => {
                        let r: Vec<f64> = (0..h).map(|k| sigmoid(gi[k] + gh[k])).collect();
                        let z: Vec<f64> = (0..h).map(|k| sigmoid(gi[h + k] + gh[h + k])).collect();
                        for k in 0..h {
                            let (hn, nn) = if cell == 3 {
                                let hn = gh[2 * h + k];
                                (hn, (gi[2 * h + k] + r[k] * hn).tanh())
                            } else {
                                let mut hn = self.b_hh[2 * h + k];
                                for p in 0..h {
                                    hn += self.w_hh[(2 * h + k) * h + p] * (r[p] * hs[p]);
                                }
                                (hn, (gi[2 * h + k] + hn).tanh())
                            };
                            next[k] = (1.0 - z[k]) * nn + z[k] * hs[k];
                            for (b, v) in [r[k], z[k], nn, hn, next[k]].into_iter().enumerate() {
                                feat[b * h + k] = v;
                            }
                        }
                    }
                }
                hs = next;
                output[(time * n + j) * h..(time * n + j + 1) * h].copy_from_slice(&hs);
                features[j].push(feat);
            }
            h_n[j * h..(j + 1) * h].copy_from_slice(&hs);
            if cell == 2 {
                c_n[j * h..(j + 1) * h].copy_from_slice(&cs);
            }
        }
        // The packed order: by length descending, ties by index.
        let mut ranks: Vec<usize> = (0..n).collect();
        ranks.sort_by_key(|&j| (std::cmp::Reverse(self.lengths[j]), j));
        let mut saved = vec![0.0; if keep == 1 { t * n * sw } else { 0 }];
        if keep == 1 {
            let mut off = 0;
            for s in 0..t {
                let active: Vec<usize> = ranks
                    .iter()
                    .copied()
                    .filter(|&j| self.lengths[j] > s)
                    .collect();
                let ns = active.len();
                for (r, &j) in active.iter().enumerate() {
                    for (q, &v) in features[j][s].iter().enumerate() {
                        saved[sw * off + q * ns + r] = v;
                    }
                }
                off += ns;
            }
        }
        Out {
            output,
            h_n,
            c_n,
            saved,
        }
    }
}

fn dims(
    cell: usize,
    n_in: usize,
    h: usize,
    n: usize,
    t: usize,
    reverse: bool,
    keep: bool,
) -> LayerDims {
    LayerDims {
        cell,
        n_in,
        h,
        n,
        t,
        reverse: usize::from(reverse),
        keep: usize::from(keep),
    }
}

/// `n` lengths in `0..=t` in no order, with 0, 1 and `t` among them when
/// `n ≥ 3`, and ties.
fn mixed_lengths(n: usize, t: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut l: Vec<usize> = (0..n).map(|_| rng.below(t as u64 + 1) as usize).collect();
    if n >= 3 {
        let spots = [t, 0, 1];
        for (i, v) in spots.into_iter().enumerate() {
            let at = (i * 7 + seed as usize) % n;
            l[at] = v;
        }
        // A tie with the longest, elsewhere.
        if n >= 5 {
            l[(seed as usize + 3) % n] = t;
        }
    }
    l
}

fn compare(what: &str, got: &Out, want: &Out) {
    assert_close(&format!("{what}: output"), &got.output, &want.output, 1e-12);
    assert_close(&format!("{what}: h_n"), &got.h_n, &want.h_n, 1e-12);
    assert_close(&format!("{what}: c_n"), &got.c_n, &want.c_n, 1e-12);
    assert_close(&format!("{what}: saved"), &got.saved, &want.saved, 1e-12);
}

fn check(d: LayerDims, lengths: &[usize], seed: u64) {
    let case = Case::new(d, lengths, seed);
    let got = case.run(f64::NAN).unwrap();
    compare(
        &format!("{d:?}, lengths {lengths:?}"),
        &got,
        &case.reference(),
    );
}

#[test]
fn every_cell_direction_and_keep_matches_the_reference() {
    // (n_in, h, n, t): ones everywhere, small, and past the GEMM's tiles.
    let sizes = [(1, 1, 1, 1), (3, 4, 5, 6), (19, 37, 13, 9), (2, 3, 40, 4)];
    let mut seed = 1;
    for cell in CELLS {
        for reverse in [false, true] {
            for keep in [false, true] {
                for (n_in, h, n, t) in sizes {
                    let d = dims(cell, n_in, h, n, t, reverse, keep);
                    seed += 1;
                    check(d, &mixed_lengths(n, t, seed), seed);
                    // Every sequence full, in order.
                    check(d, &vec![t; n], seed + 1000);
                }
            }
        }
    }
}

#[test]
fn single_sequences_of_every_length() {
    for cell in CELLS {
        for reverse in [false, true] {
            for len in [0, 1, 3, 7] {
                let d = dims(cell, 5, 6, 1, 7, reverse, true);
                check(d, &[len], 77 + len as u64);
            }
        }
    }
}

#[test]
fn lengths_in_every_order() {
    // Ascending, descending and interleaved lengths: the packed order
    // reorders the batch, the outputs return in the caller's order.
    for cell in CELLS {
        for lengths in [
            vec![1, 2, 3, 4, 5, 6],
            vec![6, 5, 4, 3, 2, 1],
            vec![3, 6, 0, 6, 1, 3],
            vec![0, 0, 0, 0, 0, 0],
        ] {
            check(
                dims(cell, 4, 5, 6, 6, true, true),
                &lengths,
                500 + cell as u64,
            );
            check(
                dims(cell, 4, 5, 6, 6, false, true),
                &lengths,
                600 + cell as u64,
            );
        }
    }
}

#[test]
fn no_steps_gives_the_initial_states() {
    for cell in CELLS {
        let case = Case::new(dims(cell, 3, 4, 2, 0, false, true), &[0, 0], 9);
        let got = case.run(f64::NAN).unwrap();
        assert!(got.output.is_empty() && got.saved.is_empty());
        assert_eq!(got.h_n, case.h0);
        assert_eq!(got.c_n, case.c0);
    }
    // Empty batches and an empty hidden size write nothing and need no
    // workspace.
    for (h, n) in [(0, 3), (3, 0), (0, 0)] {
        let d = dims(2, 2, h, n, 4, false, true);
        assert_eq!(layer_forward_workspace_len(&d), Some(0));
        let case = Case::new(d, &vec![4; n], 3);
        let got = case.run(0.0).unwrap();
        assert!(got.output.is_empty() && got.h_n.is_empty() && got.saved.is_empty());
    }
}

fn bits(o: &Out) -> Vec<u64> {
    [&o.output, &o.h_n, &o.c_n, &o.saved]
        .iter()
        .flat_map(|v| v.iter().map(|x| x.to_bits()))
        .collect()
}

#[test]
fn results_do_not_depend_on_threads_or_stale_contents() {
    // Large enough that the GEMMs and the gate passes split among threads.
    for cell in CELLS {
        for keep in [false, true] {
            let d = dims(cell, 10, 64, 70, 4, cell % 2 == 1, keep);
            let case = Case::new(d, &mixed_lengths(70, 4, cell as u64), 40 + cell as u64);
            rnn_core::set_threads(1);
            let one = case.run(f64::NAN).unwrap();
            rnn_core::set_threads(2);
            let two = case.run(-1e300).unwrap();
            rnn_core::set_threads(0);
            let stale = case.run(0.5).unwrap();
            assert_eq!(bits(&one), bits(&two), "cell {cell}: 1 vs 2 threads");
            assert_eq!(bits(&one), bits(&stale), "cell {cell}: stale workspace");
            compare(&format!("cell {cell}"), &one, &case.reference());
        }
    }
}

#[test]
fn non_finite_values_go_where_the_reference_puts_them() {
    // NaN and ±∞ in the inputs, states and weights: non-finite exactly
    // where the reference is (padding stays 0, ReLU keeps NaN).
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300];
    let mut rng = Rng::new(99);
    for cell in CELLS {
        for reverse in [false, true] {
            let d = dims(cell, 3, 4, 5, 4, reverse, true);
            let mut case = Case::new(d, &mixed_lengths(5, 4, cell as u64), 70 + cell as u64);
            for v in [&mut case.x, &mut case.h0, &mut case.w_hh, &mut case.b_ih] {
                let at = rng.below(v.len() as u64) as usize;
                v[at] = specials[rng.below(specials.len() as u64) as usize];
            }
            let got = case.run(f64::NAN).unwrap();
            let want = case.reference();
            let what = format!("{d:?}");
            assert_close_nonfinite(&format!("{what}: output"), &got.output, &want.output, 1e-12);
            assert_close_nonfinite(&format!("{what}: h_n"), &got.h_n, &want.h_n, 1e-12);
            assert_close_nonfinite(&format!("{what}: c_n"), &got.c_n, &want.c_n, 1e-12);
            assert_close_nonfinite(&format!("{what}: saved"), &got.saved, &want.saved, 1e-12);
        }
    }
}

#[test]
fn relu_keeps_nan_as_torch_does() {
    // A NaN pre-activation stays NaN through ReLU (torch.relu(nan) is
    // nan), and a negative one is 0.
    let mut case = Case::new(dims(1, 1, 1, 2, 1, false, true), &[1, 1], 4);
    case.x = vec![f64::NAN, 0.0];
    case.w_ih = vec![1.0];
    case.w_hh = vec![0.0];
    case.b_ih = vec![-1.0];
    case.b_hh = vec![0.0];
    let got = case.run(0.0).unwrap();
    assert!(got.output[0].is_nan(), "{:?}", got.output);
    assert_eq!(got.output[1], 0.0);
    assert!(got.h_n[0].is_nan() && got.saved[0].is_nan());
}

#[test]
fn inference_writes_what_training_writes() {
    // keep = 0 computes the same outputs as keep = 1, without saved.
    for cell in CELLS {
        let lengths = mixed_lengths(9, 5, 3);
        let with = Case::new(dims(cell, 4, 7, 9, 5, false, true), &lengths, 11).run(1.0);
        let without = Case::new(dims(cell, 4, 7, 9, 5, false, false), &lengths, 11).run(2.0);
        let (with, without) = (with.unwrap(), without.unwrap());
        assert_eq!(with.output, without.output, "cell {cell}");
        assert_eq!(with.h_n, without.h_n, "cell {cell}");
        assert_eq!(with.c_n, without.c_n, "cell {cell}");
    }
}

#[test]
fn bad_options_are_refused() {
    let base = Case::new(dims(2, 3, 4, 2, 3, false, true), &[3, 2], 5);
    for (field, value) in [
        ("cell", 5),
        ("cell", usize::MAX),
        ("reverse", 2),
        ("keep", 7),
    ] {
        let mut case = base.clone();
        match field {
            "cell" => case.d.cell = value,
            "reverse" => case.d.reverse = value,
            _ => case.d.keep = value,
        }
        assert_eq!(layer_forward_workspace_len(&case.d), None, "{field}");
        // With the slices and workspace of a valid call.
        let err = run_with_dims(&base, case.d).unwrap_err();
        assert!(
            matches!(err, KernelError::Value { arg, value: v, .. } if arg == field && v == value),
            "{field}: {err:?}"
        );
        assert_eq!(err.status(), Status::Dims);
        assert_eq!(err.arg(), field);
    }
}

/// `base`'s slices and workspace, passed with the dimensions `d`.
fn run_with_dims(base: &Case, d: LayerDims) -> Result<(), KernelError> {
    let b = &base.d;
    let sw = saved_blocks(b.cell) * b.h;
    let mut output = vec![0.0; b.t * b.n * b.h];
    let mut h_n = vec![0.0; b.n * b.h];
    let mut c_n = vec![0.0; b.n * base.hc()];
    let mut saved = vec![0.0; b.t * b.n * sw];
    let mut ws = vec![0.0; layer_forward_workspace_len(b).unwrap()];
    let lengths = base.lengths_f64();
    layer_forward(
        &d,
        LayerForwardIn {
            x: &base.x,
            lengths: &lengths,
            h0: &base.h0,
            c0: &base.c0,
            w_ih: &base.w_ih,
            w_hh: &base.w_hh,
            b_ih: &base.b_ih,
            b_hh: &base.b_hh,
            gates: &[],
            p: &[],
        },
        LayerForwardOut {
            output: &mut output,
            h_n: &mut h_n,
            c_n: &mut c_n,
            saved: &mut saved,
        },
        &mut ws,
    )
}

#[test]
fn bad_lengths_are_refused() {
    let case = Case::new(dims(3, 3, 4, 3, 5, true, true), &[5, 2, 0], 8);
    for (index, bad) in [
        (0, 1.5),
        (1, -1.0),
        (2, 6.0),
        (1, f64::NAN),
        (0, f64::INFINITY),
    ] {
        let mut lengths = case.lengths_f64();
        lengths[index] = bad;
        let mut output = vec![0.0; 5 * 3 * 4];
        let mut h_n = vec![0.0; 12];
        let mut saved = vec![0.0; 5 * 3 * 20];
        let mut ws = vec![0.0; layer_forward_workspace_len(&case.d).unwrap()];
        let err = layer_forward(
            &case.d,
            LayerForwardIn {
                x: &case.x,
                lengths: &lengths,
                h0: &case.h0,
                c0: &[],
                w_ih: &case.w_ih,
                w_hh: &case.w_hh,
                b_ih: &case.b_ih,
                b_hh: &case.b_hh,
                gates: &[],
                p: &[],
            },
            LayerForwardOut {
                output: &mut output,
                h_n: &mut h_n,
                c_n: &mut [],
                saved: &mut saved,
            },
            &mut ws,
        )
        .unwrap_err();
        assert_eq!(err, KernelError::SeqLength { index }, "{bad}");
        assert_eq!(err.status(), Status::Target);
        assert_eq!(err.arg(), "lengths");
    }
}

#[test]
fn wrong_slice_lengths_are_refused() {
    // Each slice one element too long in turn (the LSTM: c0 and c_n too),
    // then the GRU given cell states and a keep-0 call given saved.
    let lstm = Case::new(dims(2, 3, 4, 2, 3, false, true), &[3, 1], 6);
    let names = [
        "x", "lengths", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "output", "h_n", "c_n", "saved",
    ];
    for (which, name) in names.iter().enumerate() {
        let err = run_lengths(&lstm, lstm.d, which, 1).unwrap_err();
        assert!(
            matches!(err, KernelError::Length { arg, .. } if arg == *name),
            "{name}: {err:?}"
        );
        assert_eq!(err.status(), Status::Dims);
    }
    let gru = Case::new(dims(3, 3, 4, 2, 3, false, true), &[3, 1], 6);
    let err = run_lengths(&gru, gru.d, 3, 4).unwrap_err();
    assert!(
        matches!(err, KernelError::Length { arg: "c0", .. }),
        "{err:?}"
    );
    let mut no_keep = gru.d;
    no_keep.keep = 0;
    let err = run_lengths(&gru, no_keep, 99, 0).unwrap_err();
    assert!(
        matches!(err, KernelError::Length { arg: "saved", .. }),
        "{err:?}"
    );
    // A workspace one element short.
    let err = run_lengths(&lstm, lstm.d, 12, 0).unwrap_err();
    assert!(
        matches!(err, KernelError::Length { arg: "ws", .. }),
        "{err:?}"
    );
}

/// Runs `case` with the dimensions `d` (its slices sized for `case.d`),
/// slice number `which` (in the order of the structs' fields; 12: the
/// workspace, one short) made `extra` elements longer.
fn run_lengths(case: &Case, d: LayerDims, which: usize, extra: usize) -> Result<(), KernelError> {
    let b = &case.d;
    let sw = saved_blocks(b.cell) * b.h;
    let lengths = case.lengths_f64();
    let grow = |i: usize, v: &[f64]| {
        let mut v = v.to_vec();
        if i == which {
            v.extend(std::iter::repeat_n(0.0, extra));
        }
        v
    };
    let (x, l, h0, c0) = (
        grow(0, &case.x),
        grow(1, &lengths),
        grow(2, &case.h0),
        grow(3, &case.c0),
    );
    let (w_ih, w_hh) = (grow(4, &case.w_ih), grow(5, &case.w_hh));
    let (b_ih, b_hh) = (grow(6, &case.b_ih), grow(7, &case.b_hh));
    let mut output = grow(8, &vec![0.0; b.t * b.n * b.h]);
    let mut h_n = grow(9, &vec![0.0; b.n * b.h]);
    let mut c_n = grow(10, &vec![0.0; b.n * case.hc()]);
    let mut saved = grow(11, &vec![0.0; b.t * b.n * sw]);
    let need = layer_forward_workspace_len(b).unwrap();
    let mut ws = vec![0.0; if which == 12 { need - 1 } else { need }];
    layer_forward(
        &d,
        LayerForwardIn {
            x: &x,
            lengths: &l,
            h0: &h0,
            c0: &c0,
            w_ih: &w_ih,
            w_hh: &w_hh,
            b_ih: &b_ih,
            b_hh: &b_hh,
            gates: &[],
            p: &[],
        },
        LayerForwardOut {
            output: &mut output,
            h_n: &mut h_n,
            c_n: &mut c_n,
            saved: &mut saved,
        },
        &mut ws,
    )
}

#[test]
fn huge_dimensions_are_refused_without_panicking() {
    let big = usize::MAX / 2;
    for (n_in, h, n, t) in [
        (big, 2, 2, 2),
        (2, big, 2, 2),
        (2, 2, big, 2),
        (2, 2, 2, big),
        (0, 0, 2, big),
        (big, big, big, big),
    ] {
        for cell in CELLS {
            let d = dims(cell, n_in, h, n, t, false, true);
            let _ = layer_forward_workspace_len(&d);
            let err = layer_forward(
                &d,
                LayerForwardIn {
                    x: &[],
                    lengths: &[],
                    h0: &[],
                    c0: &[],
                    w_ih: &[],
                    w_hh: &[],
                    b_ih: &[],
                    b_hh: &[],
                    gates: &[],
                    p: &[],
                },
                LayerForwardOut {
                    output: &mut [],
                    h_n: &mut [],
                    c_n: &mut [],
                    saved: &mut [],
                },
                &mut [],
            );
            assert!(err.is_err(), "{d:?}");
        }
    }
}

/// The L workload timed, single-threaded, the full batch against one with
/// lengths averaging `t/2` (timed alternately, best of several runs):
/// `cargo test -p rnn-core --release --test layer_forward -- --ignored
/// --nocapture` (`LAYER_F32=1`: the float32 twin).
#[test]
#[ignore]
fn time_the_l_workload() {
    use std::time::Instant;
    rnn_core::set_threads(1);
    let (n_in, h, n, t) = (256, 512, 64, 100);
    let rounds: usize = std::env::var("LAYER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    for cell in [2, 3] {
        for keep in [true, false] {
            let d = dims(cell, n_in, h, n, t, false, keep);
            // Lengths 1..=t spread evenly: mean (t + 1)/2.
            let half: Vec<usize> = (0..n).map(|j| 1 + (j * (t - 1)) / (n - 1)).collect();
            let mut cases = [Case::new(d, &vec![t; n], 1), Case::new(d, &half, 1)];
            let f32 = std::env::var("LAYER_F32").is_ok_and(|v| v == "1");
            for c in &mut cases {
                c.f32 = f32;
            }
            // Buffers allocated and touched once, outside the timing.
            let mut outs: Vec<Out> = cases.iter().map(|c| c.run(0.0).unwrap()).collect();
            let mut ws = vec![0.0; layer_forward_workspace_len(&d).unwrap()];
            let mut best = [f64::INFINITY; 2];
            for _ in 0..rounds {
                for (k, case) in cases.iter().enumerate() {
                    let start = Instant::now();
                    case.run_into(&mut outs[k], &mut ws).unwrap();
                    best[k] = best[k].min(start.elapsed().as_secs_f64());
                }
            }
            let flops = |c: &Case| {
                let rows: usize = c.lengths.iter().sum();
                2.0 * (rows * gates(cell) * h * (n_in + h + 2)) as f64
            };
            println!(
                "cell {cell} keep {}: full {:.1} ms ({:.1} GFLOP/s), mean length {:.1}: {:.1} ms = {:.2} of full",
                u8::from(keep),
                best[0] * 1e3,
                flops(&cases[0]) / best[0] * 1e-9,
                half.iter().sum::<usize>() as f64 / n as f64,
                best[1] * 1e3,
                best[1] / best[0]
            );
        }
    }
    rnn_core::set_threads(0);
}

/// `case` with `gates` and `p`, run by the kernel (outputs `fill`ed first).
fn run_gates(case: &Case, gates: &[f64], p: &[f64], fill: f64) -> (Result<(), KernelError>, Out) {
    let d = &case.d;
    let sw = saved_blocks(d.cell) * d.h;
    let mut o = Out {
        output: vec![fill; d.t * d.n * d.h],
        h_n: vec![fill; d.n * d.h],
        c_n: vec![fill; d.n * case.hc()],
        saved: vec![fill; if d.keep == 1 { d.t * d.n * sw } else { 0 }],
    };
    let mut ws = vec![fill; layer_forward_workspace_len(d).unwrap()];
    let lengths = case.lengths_f64();
    let r = layer_forward(
        d,
        LayerForwardIn {
            x: &case.x,
            lengths: &lengths,
            h0: &case.h0,
            c0: &case.c0,
            w_ih: &case.w_ih,
            w_hh: &case.w_hh,
            b_ih: &case.b_ih,
            b_hh: &case.b_hh,
            gates,
            p,
        },
        LayerForwardOut {
            output: &mut o.output,
            h_n: &mut o.h_n,
            c_n: &mut o.c_n,
            saved: &mut o.saved,
        },
        &mut ws,
    );
    (r, o)
}

/// The shared reference's forward pass of `case` with `gates` and `p`.
fn reference_gates(case: &Case, gates: &[f64], p: &[f64]) -> layer_ref::Forward {
    let d = &case.d;
    let s = layer_ref::Spec {
        cell: d.cell,
        n_in: d.n_in,
        h: d.h,
        n: d.n,
        t: d.t,
        reverse: d.reverse == 1,
    };
    let params = layer_ref::Params {
        w_ih: case.w_ih.clone(),
        w_hh: case.w_hh.clone(),
        b_ih: case.b_ih.clone(),
        b_hh: case.b_hh.clone(),
        gates: gates.to_vec(),
        p: p.to_vec(),
    };
    layer_ref::forward(&s, &params, &case.x, &case.lengths, &case.h0, &case.c0)
}

#[test]
fn other_functions_match_the_reference() {
    // Every activation in every slot the cell reads, clips, input_forget and
    // peepholes; `keep` 1 wherever backward can run from `saved`.
    for cell in CELLS {
        for (k, (gates, peepholes)) in layer_ref::forward_gates(cell).into_iter().enumerate() {
            for reverse in [false, true] {
                let invertible = !peepholes
                    && gates.get(9).is_none_or(|&c| c == 0.0)
                    && gates.get(10).is_none_or(|&f| f == 0.0);
                for keep in [false, true] {
                    if keep && !invertible {
                        continue;
                    }
                    // Sizes past the vector width, lengths in no order with a 0.
                    let d = dims(cell, 3, 5, 11, 4, reverse, keep);
                    let case = Case::new(d, &[3, 0, 4, 1, 4, 2, 2, 4, 1, 3, 4], 50 + k as u64);
                    let p = if peepholes {
                        Rng::new(k as u64).vec(3 * d.h, 0.9)
                    } else {
                        vec![]
                    };
                    let (r, got) = run_gates(&case, &gates, &p, f64::NAN);
                    assert_eq!(r, Ok(()), "cell {cell}, gates {gates:?}");
                    let want = reference_gates(&case, &gates, &p);
                    let what = format!("cell {cell}, reverse {reverse}, keep {keep}, gates {gates:?}, peepholes {peepholes}");
                    assert_close(&format!("{what}: output"), &got.output, &want.output, 1e-12);
                    assert_close(&format!("{what}: h_n"), &got.h_n, &want.h_n, 1e-12);
                    assert_close(&format!("{what}: c_n"), &got.c_n, &want.c_n, 1e-12);
                    if keep {
                        assert_close(&format!("{what}: saved"), &got.saved, &want.saved, 1e-12);
                    }
                }
            }
        }
    }
}

#[test]
fn the_standard_functions_written_out_give_the_standard_results() {
    // The general path with the standard functions agrees with the vectorised one.
    for cell in CELLS {
        let d = dims(cell, 3, 9, 10, 5, true, true);
        let case = Case::new(d, &mixed_lengths(10, 5, cell as u64), 7);
        let f = match cell {
            0 => layer_ref::TANH,
            1 => layer_ref::ACTIVATIONS[2],
            _ => layer_ref::SIGMOID,
        };
        let gates = layer_ref::gates_array(f, layer_ref::TANH, layer_ref::TANH, 0.0, false);
        let (r, got) = run_gates(&case, &gates, &[], f64::NAN);
        assert_eq!(r, Ok(()));
        compare(&format!("cell {cell}"), &got, &case.run(f64::NAN).unwrap());
    }
}

/// `gates`, `p` and what the kernel answers.
type GatesCase = (Vec<f64>, Vec<f64>, Result<(), KernelError>);

#[test]
fn bad_gates_and_peepholes_are_refused() {
    let good = layer_ref::gates_array(
        layer_ref::SIGMOID,
        layer_ref::TANH,
        layer_ref::TANH,
        0.0,
        false,
    );
    let with = |at: usize, v: f64| {
        let mut g = good.clone();
        g[at] = v;
        g
    };
    let value = |arg: &'static str, value: usize| {
        Err(KernelError::Value {
            arg,
            value,
            max: if arg == "gates" { 10 } else { 0 },
        })
    };
    for cell in CELLS {
        let lstm = cell == 2;
        for keep in [false, true] {
            let d = dims(cell, 2, 3, 4, 3, false, keep);
            let case = Case::new(d, &[3, 0, 2, 3], 9);
            let p_ok = vec![0.25; if lstm { 3 * d.h } else { 0 }];
            let mut cases: Vec<GatesCase> = Vec::new();
            for at in [0, 3, 6] {
                for v in [-1.0, 11.0, 0.5, f64::NAN, f64::INFINITY] {
                    cases.push((with(at, v), vec![], value("gates", at)));
                }
            }
            for at in [1, 2, 4, 5, 7, 8] {
                for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    cases.push((with(at, v), vec![], value("gates", at)));
                }
            }
            for v in [-0.5, f64::NAN, f64::NEG_INFINITY] {
                cases.push((with(9, v), vec![], value("gates", 9)));
            }
            for v in [2.0, 0.5, -1.0, f64::NAN] {
                cases.push((with(10, v), vec![], value("gates", 10)));
            }
            // input_forget is the LSTM's only.
            if !lstm {
                cases.push((with(10, 1.0), vec![], value("gates", 10)));
            }
            for len in [1, 10, 12] {
                let err = KernelError::Length {
                    arg: "gates",
                    expected: 11,
                    actual: len,
                };
                cases.push((vec![0.0; len], vec![], Err(err)));
            }
            let p_expected = if lstm { 3 * d.h } else { 0 };
            for len in [1, 3 * d.h - 1, 3 * d.h + 1, 3 * d.h] {
                if len == p_expected {
                    continue;
                }
                let err = KernelError::Length {
                    arg: "p",
                    expected: p_expected,
                    actual: len,
                };
                cases.push((vec![], vec![0.5; len], Err(err)));
            }
            // What backward could not invert, with keep.
            let refuse_keep = |ok: bool| {
                if keep && !ok {
                    value("keep", 1)
                } else {
                    Ok(())
                }
            };
            cases.push((with(9, 0.5), vec![], refuse_keep(false)));
            cases.push((with(9, f64::INFINITY), vec![], refuse_keep(false)));
            if lstm {
                cases.push((with(10, 1.0), vec![], refuse_keep(false)));
                cases.push((vec![], p_ok.clone(), refuse_keep(false)));
                cases.push((good.clone(), p_ok.clone(), refuse_keep(false)));
            }
            // Activations alone are fine with keep (LeakyRelu's α < 0 too:
            // only backward refuses it).
            cases.push((with(1, -3.0), vec![], Ok(())));
            let mut leaky = good.clone();
            leaky[3..6].copy_from_slice(&[5.0, -0.5, 0.0]);
            cases.push((leaky, vec![], Ok(())));
            for (gates, p, want) in cases {
                let (r, o) = run_gates(&case, &gates, &p, 12345.5);
                assert_eq!(
                    r, want,
                    "cell {cell}, keep {keep}, gates {gates:?}, p {p:?}"
                );
                if let Err(e) = r {
                    let untouched = [&o.output, &o.h_n, &o.c_n, &o.saved]
                        .iter()
                        .all(|v| v.iter().all(|&x| x == 12345.5));
                    assert!(untouched, "refused after a write: {gates:?}");
                    assert_eq!(e.status(), Status::Dims);
                }
            }
        }
    }
}

/// The largest difference between `got` and `want`, relative to the largest
/// magnitude in `want`.
fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    let scale = want
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (g, w)| m.max((g - w).abs()))
        / scale
}

#[test]
fn float32_products_stay_within_the_float32_bound() {
    // Every cell, both directions, with and without `saved`, sizes past the
    // float32 tile (32 columns natively): float32 sums of 20–70 terms over
    // 9 steps stay within 2e-6 of the float64 layer (the bound the TypeScript
    // layers document is 1e-5).
    let mut worst = 0.0f64;
    for cell in 0..5 {
        for reverse in [false, true] {
            for keep in [false, true] {
                let d = dims(cell, 21, 37, 35, 9, reverse, keep);
                let lengths = mixed_lengths(35, 9, 5 + cell as u64);
                let mut case = Case::new(d, &lengths, 40 + cell as u64);
                let want = case.run(f64::NAN).unwrap();
                case.f32 = true;
                let got = case.run(f64::NAN).unwrap();
                for (name, g, w) in [
                    ("output", &got.output, &want.output),
                    ("h_n", &got.h_n, &want.h_n),
                    ("c_n", &got.c_n, &want.c_n),
                    ("saved", &got.saved, &want.saved),
                ] {
                    let e = rel_err(g, w);
                    assert!(e < 2e-6, "{d:?} {name}: {e:e}");
                    worst = worst.max(e);
                }
                // Not the float64 result: the products are float32's.
                assert_ne!(got, want, "{d:?}");
            }
        }
    }
    println!("float32 layer_forward: worst relative difference {worst:e}");
}
