//! `layer_backward` against a per-sequence, per-step reference written from
//! the cell equations (itself checked by central finite differences of its
//! own forward pass), over every cell, both directions and lengths of every
//! kind; plus the call contract (outputs fully written, workspace contents
//! and thread count irrelevant, bad arguments refused before any write);
//! and the same for the cells' other functions (`gates`): every activation
//! in every slot, the reference by finite differences, the kernel against
//! it, and every `gates` backward cannot run refused.

mod common;
mod layer_ref;

use common::{assert_close, Rng};
use layer_ref::{Forward, Grads, Params, Spec, Upstream};
use rnn_core::{
    layer_backward, layer_backward_f32, layer_backward_workspace_len, layer_forward,
    layer_forward_workspace_len, KernelError, LayerBackwardIn, LayerBackwardOut, LayerDims,
    LayerForwardIn, LayerForwardOut,
};

const CELLS: [usize; 5] = [0, 1, 2, 3, 4];

fn dims(s: &Spec) -> LayerDims {
    LayerDims {
        cell: s.cell,
        n_in: s.n_in,
        h: s.h,
        n: s.n,
        t: s.t,
        reverse: usize::from(s.reverse),
        keep: 1,
    }
}

/// A problem: the spec, its parameters, inputs and upstream gradients.
struct Case {
    s: Spec,
    p: Params,
    x: Vec<f64>,
    lengths: Vec<usize>,
    h0: Vec<f64>,
    c0: Vec<f64>,
    up: Upstream,
}

impl Case {
    fn new(s: Spec, lengths: &[usize], seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let g = s.gates() * s.h;
        // Weights of PyTorch's scale (±1/√h), a bit larger so that the
        // activations leave their linear range.
        let w = 1.5 / (s.h.max(1) as f64).sqrt();
        Self {
            s,
            p: Params {
                w_ih: rng.vec(g * s.n_in, w),
                w_hh: rng.vec(g * s.h, w),
                b_ih: rng.vec(g, w),
                b_hh: rng.vec(g, w),
                gates: vec![],
                p: vec![],
            },
            x: rng.vec(s.t * s.n * s.n_in, 1.0),
            lengths: lengths.to_vec(),
            h0: rng.vec(s.n * s.h, 0.8),
            c0: rng.vec(s.n * s.hc(), 0.8),
            up: Upstream {
                d_output: rng.vec(s.t * s.n * s.h, 1.0),
                dh_n: rng.vec(s.n * s.h, 1.0),
                dc_n: rng.vec(s.n * s.hc(), 1.0),
            },
        }
    }

    fn lengths_f64(&self) -> Vec<f64> {
        self.lengths.iter().map(|&l| l as f64).collect()
    }

    fn reference_forward(&self) -> Forward {
        layer_ref::forward(&self.s, &self.p, &self.x, &self.lengths, &self.h0, &self.c0)
    }

    fn reference_backward(&self) -> Grads {
        layer_ref::backward(
            &self.s,
            &self.p,
            &self.x,
            &self.lengths,
            &self.h0,
            &self.c0,
            &self.up,
        )
    }

    /// The kernel's gradients from `saved`, every output and the workspace
    /// holding `fill` before the call.
    fn kernel(&self, saved: &[f64], fill: f64) -> Grads {
        self.kernel_in(layer_backward, saved, fill)
    }

    /// [`Case::kernel`] through `kernel` (`layer_backward` or its float32 twin).
    fn kernel_in(&self, kernel: Backward, saved: &[f64], fill: f64) -> Grads {
        let s = &self.s;
        let d = dims(s);
        let mut g = Grads::zeros(s);
        for v in [
            &mut g.dx,
            &mut g.dh0,
            &mut g.dc0,
            &mut g.dw_ih,
            &mut g.dw_hh,
            &mut g.db_ih,
            &mut g.db_hh,
        ] {
            v.fill(fill);
        }
        let mut ws = vec![fill; layer_backward_workspace_len(&d).unwrap()];
        let lengths = self.lengths_f64();
        let i = LayerBackwardIn {
            d_output: &self.up.d_output,
            dh_n: &self.up.dh_n,
            dc_n: &self.up.dc_n,
            saved,
            x: &self.x,
            lengths: &lengths,
            h0: &self.h0,
            c0: &self.c0,
            w_ih: &self.p.w_ih,
            w_hh: &self.p.w_hh,
            gates: &self.p.gates,
        };
        let o = LayerBackwardOut {
            dx: &mut g.dx,
            dh0: &mut g.dh0,
            dc0: &mut g.dc0,
            dw_ih: &mut g.dw_ih,
            dw_hh: &mut g.dw_hh,
            db_ih: &mut g.db_ih,
            db_hh: &mut g.db_hh,
        };
        kernel(&d, i, o, &mut ws).unwrap();
        g
    }
}

/// `layer_backward`'s signature.
type Backward = fn(
    &LayerDims,
    LayerBackwardIn<'_>,
    LayerBackwardOut<'_>,
    &mut [f64],
) -> Result<(), KernelError>;

fn assert_grads(what: &str, got: &Grads, want: &Grads, tol: f64) {
    for ((name, g), (_, w)) in got.named().iter().zip(want.named()) {
        assert_close(&format!("{what}: {name}"), g, w, tol);
    }
}

fn spec(cell: usize, n_in: usize, h: usize, n: usize, t: usize, reverse: bool) -> Spec {
    Spec {
        cell,
        n_in,
        h,
        n,
        t,
        reverse,
    }
}

/// Lengths in `0..=t` for `n` sequences, from `seed`.
fn random_lengths(n: usize, t: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.below(t as u64 + 1) as usize).collect()
}

#[test]
fn the_reference_matches_finite_differences() {
    // Central differences of the reference's own forward pass: every input,
    // initial state and parameter, every cell, both directions, lengths with
    // a 0, a 1, ties and no order.
    let eps = 1e-6;
    for cell in CELLS {
        for reverse in [false, true] {
            let s = spec(cell, 2, 3, 4, 4, reverse);
            let case = Case::new(s, &[3, 0, 4, 1], 7 + cell as u64);
            let want = case.reference_backward();
            let loss = |c: &Case| layer_ref::loss(&c.reference_forward(), &c.up);
            let check = |name: &str, field: fn(&mut Case) -> &mut Vec<f64>, grad: &[f64]| {
                let len = field(&mut Case::new(s, &[3, 0, 4, 1], 0)).len();
                assert_eq!(grad.len(), len, "{name}");
                for (e, &analytic) in grad.iter().enumerate() {
                    let mut plus = Case::new(s, &[3, 0, 4, 1], 7 + cell as u64);
                    field(&mut plus)[e] += eps;
                    let mut minus = Case::new(s, &[3, 0, 4, 1], 7 + cell as u64);
                    field(&mut minus)[e] -= eps;
                    let fd = (loss(&plus) - loss(&minus)) / (2.0 * eps);
                    let err = (fd - analytic).abs();
                    assert!(
                        err <= 1e-7 * (1.0 + fd.abs()),
                        "cell {cell}, reverse {reverse}: d{name}[{e}] = {analytic}, finite differences {fd}"
                    );
                }
            };
            check("x", |c| &mut c.x, &want.dx);
            check("h0", |c| &mut c.h0, &want.dh0);
            check("c0", |c| &mut c.c0, &want.dc0);
            check("w_ih", |c| &mut c.p.w_ih, &want.dw_ih);
            check("w_hh", |c| &mut c.p.w_hh, &want.dw_hh);
            check("b_ih", |c| &mut c.p.b_ih, &want.db_ih);
            check("b_hh", |c| &mut c.p.b_hh, &want.db_hh);
            // Padded steps: no gradient for x there.
            for (j, &len) in case.lengths.iter().enumerate() {
                for tt in len..s.t {
                    let row = (tt * s.n + j) * s.n_in;
                    assert!(want.dx[row..row + s.n_in].iter().all(|&v| v == 0.0));
                }
            }
        }
    }
}

/// Shapes and lengths the kernel is compared on: sizes 1, small, larger
/// than the GEMM tiles, and a batch whose packed columns (over 1024) take
/// several runs of the weight-gradient GEMMs.
fn kernel_cases() -> Vec<(Spec, Vec<usize>)> {
    let mut out = Vec::new();
    for cell in CELLS {
        for reverse in [false, true] {
            let sp = |n_in, h, n, t| spec(cell, n_in, h, n, t, reverse);
            out.push((sp(1, 1, 1, 1), vec![1]));
            out.push((sp(2, 3, 4, 5), vec![5, 5, 5, 5]));
            out.push((sp(2, 3, 4, 5), vec![0, 0, 0, 0]));
            out.push((sp(3, 4, 5, 6), vec![2, 6, 0, 1, 6]));
            out.push((sp(1, 2, 3, 4), vec![1, 1, 1]));
            out.push((sp(0, 3, 2, 3), vec![3, 1]));
            out.push((sp(19, 37, 13, 7), random_lengths(13, 7, cell as u64)));
            out.push((sp(19, 37, 13, 7), vec![7; 13]));
        }
        let (n, t) = (64, 44);
        let lengths = random_lengths(n, t, 99 + cell as u64);
        assert!(lengths.iter().sum::<usize>() > 1024);
        out.push((spec(cell, 3, 5, n, t, cell % 2 == 1), lengths));
    }
    out
}

#[test]
fn kernel_matches_the_reference() {
    for (k, (s, lengths)) in kernel_cases().into_iter().enumerate() {
        let case = Case::new(s, &lengths, 1000 + k as u64);
        let f = case.reference_forward();
        let got = case.kernel(&f.saved, f64::NAN);
        let want = case.reference_backward();
        assert_grads(&format!("{s:?}, lengths {lengths:?}"), &got, &want, 1e-10);
    }
}

#[test]
fn kernel_reads_saved_as_the_reference_does() {
    // Random `saved` values (no forward pass behind them): the kernel and
    // the reference must still agree on what each value means.
    for (k, (s, lengths)) in kernel_cases().into_iter().enumerate().step_by(3) {
        let case = Case::new(s, &lengths, 2000 + k as u64);
        let saved = Rng::new(k as u64).vec(s.t * s.n * s.saved_width(), 1.5);
        let got = case.kernel(&saved, f64::NAN);
        let want = layer_ref::backward_saved(
            &s,
            &saved,
            &case.x,
            &lengths,
            &case.h0,
            &case.c0,
            &case.p.w_ih,
            &case.p.w_hh,
            &case.p.gates,
            &case.up,
        );
        assert_grads(&format!("{s:?}, lengths {lengths:?}"), &got, &want, 1e-10);
    }
}

/// `layer_forward`'s outputs and `saved` (keep = 1).
fn kernel_forward(case: &Case) -> Forward {
    let s = &case.s;
    let d = dims(s);
    let mut f = Forward {
        output: vec![f64::NAN; s.t * s.n * s.h],
        h_n: vec![f64::NAN; s.n * s.h],
        c_n: vec![f64::NAN; s.n * s.hc()],
        saved: vec![f64::NAN; s.t * s.n * s.saved_width()],
    };
    let mut ws = vec![f64::NAN; layer_forward_workspace_len(&d).unwrap()];
    let lengths = case.lengths_f64();
    let i = LayerForwardIn {
        x: &case.x,
        lengths: &lengths,
        h0: &case.h0,
        c0: &case.c0,
        w_ih: &case.p.w_ih,
        w_hh: &case.p.w_hh,
        b_ih: &case.p.b_ih,
        b_hh: &case.p.b_hh,
        gates: &case.p.gates,
        p: &case.p.p,
    };
    let o = LayerForwardOut {
        output: &mut f.output,
        h_n: &mut f.h_n,
        c_n: &mut f.c_n,
        saved: &mut f.saved,
    };
    layer_forward(&d, i, o, &mut ws).unwrap();
    f
}

#[test]
fn forward_then_backward_matches_the_reference() {
    for (k, (s, lengths)) in kernel_cases().into_iter().enumerate().step_by(2) {
        let case = Case::new(s, &lengths, 3000 + k as u64);
        let f = kernel_forward(&case);
        let what = format!("{s:?}, lengths {lengths:?}");
        assert_close(
            &format!("{what}: saved"),
            &f.saved,
            &case.reference_forward().saved,
            1e-10,
        );
        let got = case.kernel(&f.saved, f64::NAN);
        assert_grads(&what, &got, &case.reference_backward(), 1e-10);
    }
}

fn same_bits(a: &Grads, b: &Grads) -> bool {
    a.named()
        .iter()
        .zip(b.named())
        .all(|((_, x), (_, y))| x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()))
}

#[test]
fn results_do_not_depend_on_threads_or_stale_contents() {
    // Large enough that the GEMMs and the element-wise passes split among
    // threads.
    for cell in CELLS {
        let s = spec(cell, 40, 128, 48, 6, cell == 2);
        let lengths: Vec<usize> = (0..48).map(|j| 6 - j % 7).collect();
        let case = Case::new(s, &lengths, 4000 + cell as u64);
        let saved = case.reference_forward().saved;
        rnn_core::set_threads(1);
        let one = case.kernel(&saved, f64::NAN);
        rnn_core::set_threads(2);
        let two = case.kernel(&saved, 0.0);
        rnn_core::set_threads(0);
        let stale = case.kernel(&saved, -1e300);
        assert_grads(
            &format!("cell {cell}"),
            &two,
            &case.reference_backward(),
            1e-10,
        );
        assert!(same_bits(&one, &two), "cell {cell}: 1 vs 2 threads");
        assert!(same_bits(&one, &stale), "cell {cell}: stale workspace");
    }
}

#[test]
fn workspace_sizes() {
    let d = |cell, n_in, h, n, t| LayerDims {
        cell,
        n_in,
        h,
        n,
        t,
        reverse: 0,
        keep: 0,
    };
    // Nothing to run: no workspace.
    assert_eq!(layer_backward_workspace_len(&d(2, 5, 4, 0, 9)), Some(0));
    assert_eq!(layer_backward_workspace_len(&d(2, 5, 4, 3, 0)), Some(0));
    assert_eq!(layer_backward_workspace_len(&d(3, 5, 0, 3, 4)), Some(0));
    // Overflow, and unknown options.
    assert_eq!(
        layer_backward_workspace_len(&d(2, 5, usize::MAX / 3, 3, 4)),
        None
    );
    assert_eq!(
        layer_backward_workspace_len(&d(1, 5, 1 << 22, 1 << 22, 1 << 22)),
        None
    );
    assert_eq!(layer_backward_workspace_len(&d(5, 1, 1, 1, 1)), None);
    let mut bad = d(0, 1, 1, 1, 1);
    bad.reverse = 2;
    assert_eq!(layer_backward_workspace_len(&bad), None);
    // `keep` is not read by the backward pass.
    bad.reverse = 0;
    bad.keep = 7;
    assert!(layer_backward_workspace_len(&bad).is_some());
}

/// Calls the kernel with `case`'s data, `edit` applied to the dims and the
/// slice lengths (by argument position: inputs, then outputs, then `ws`),
/// outputs holding junk; returns the result and whether any output changed.
fn call_edited(
    case: &Case,
    lengths: &[f64],
    edit: impl Fn(&mut LayerDims, &mut [usize; 18]),
) -> (Result<(), KernelError>, bool) {
    let s = &case.s;
    let mut d = dims(s);
    let g = Grads::zeros(s);
    let saved = case.reference_forward().saved;
    let mut lens = [
        case.up.d_output.len(),
        case.up.dh_n.len(),
        case.up.dc_n.len(),
        saved.len(),
        case.x.len(),
        lengths.len(),
        case.h0.len(),
        case.c0.len(),
        case.p.w_ih.len(),
        case.p.w_hh.len(),
        g.dx.len(),
        g.dh0.len(),
        g.dc0.len(),
        g.dw_ih.len(),
        g.dw_hh.len(),
        g.db_ih.len(),
        g.db_hh.len(),
        layer_backward_workspace_len(&d).unwrap(),
    ];
    edit(&mut d, &mut lens);
    let buf = |k: usize, src: &[f64]| -> Vec<f64> {
        (0..lens[k])
            .map(|e| src.get(e).copied().unwrap_or(0.5))
            .collect()
    };
    let inputs: Vec<Vec<f64>> = [
        &case.up.d_output[..],
        &case.up.dh_n,
        &case.up.dc_n,
        &saved,
        &case.x,
        lengths,
        &case.h0,
        &case.c0,
        &case.p.w_ih,
        &case.p.w_hh,
    ]
    .iter()
    .enumerate()
    .map(|(k, src)| buf(k, src))
    .collect();
    let junk = 12345.5;
    let mut outs: Vec<Vec<f64>> = (10..18).map(|k| vec![junk; lens[k]]).collect();
    let [dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, ws] = &mut outs[..] else {
        unreachable!()
    };
    let i = LayerBackwardIn {
        d_output: &inputs[0],
        dh_n: &inputs[1],
        dc_n: &inputs[2],
        saved: &inputs[3],
        x: &inputs[4],
        lengths: &inputs[5],
        h0: &inputs[6],
        c0: &inputs[7],
        w_ih: &inputs[8],
        w_hh: &inputs[9],
        gates: &[],
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
    let r = layer_backward(&d, i, o, ws);
    let touched = outs[..7].iter().flatten().any(|&v| v != junk);
    (r, touched)
}

#[test]
fn bad_arguments_are_refused_before_any_write() {
    let names = [
        "d_output", "dh_n", "dc_n", "saved", "x", "lengths", "h0", "c0", "w_ih", "w_hh", "dx",
        "dh0", "dc0", "dw_ih", "dw_hh", "db_ih", "db_hh",
    ];
    for cell in CELLS {
        let s = spec(cell, 3, 4, 3, 5, false);
        let case = Case::new(s, &[5, 2, 0], 5000);
        let lengths = case.lengths_f64();
        let (ok, _) = call_edited(&case, &lengths, |_, _| {});
        assert_eq!(ok, Ok(()));
        for (k, name) in names.iter().enumerate() {
            for delta in [1usize, usize::MAX] {
                if cell != 2 && delta == usize::MAX && [2, 7, 12].contains(&k) {
                    continue; // (empty without a cell state: only one longer)
                }
                let (r, touched) = call_edited(&case, &lengths, |_, l| {
                    l[k] = l[k].wrapping_add(delta);
                });
                match r {
                    Err(KernelError::Length { arg, .. }) => assert_eq!(arg, *name),
                    other => panic!("cell {cell}, {name} off by {delta}: {other:?}"),
                }
                assert!(!touched, "cell {cell}: {name} refused after a write");
            }
        }
        let (r, touched) = call_edited(&case, &lengths, |_, l| l[17] -= 1);
        assert!(
            matches!(r, Err(KernelError::Length { arg: "ws", .. })),
            "{r:?}"
        );
        assert!(!touched);
        for (arg, edit) in [
            (
                "cell",
                (|d: &mut LayerDims| d.cell = 5) as fn(&mut LayerDims),
            ),
            ("reverse", |d: &mut LayerDims| d.reverse = 2),
        ] {
            let (r, touched) = call_edited(&case, &lengths, |d, _| edit(d));
            assert!(
                matches!(r, Err(KernelError::Value { arg: a, .. }) if a == arg),
                "{r:?}"
            );
            assert!(!touched);
        }
        for bad in [1.5, -1.0, 6.0, f64::NAN, f64::INFINITY, -0.5] {
            let (r, touched) = call_edited(&case, &[5.0, bad, 0.0], |_, _| {});
            assert_eq!(r, Err(KernelError::SeqLength { index: 1 }), "length {bad}");
            assert!(!touched);
        }
    }
}

/// The L workload (n_in 256, h 512, n 64, t 100), LSTM and GRU, one thread:
/// forward and backward with every sequence full and with lengths spread
/// evenly over 1..=t (mean about t/2). The four calls of a cell alternate and
/// each keeps its best of five, so that load from other processes hits them
/// alike. `LAYER_TIMING_THREADS` sets another thread count.
#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn timing_at_the_l_workload() {
    let threads = std::env::var("LAYER_TIMING_THREADS").map_or(1, |v| v.parse().unwrap());
    rnn_core::set_threads(threads);
    println!("{threads} thread(s)");
    let (n_in, h, n, t) = (256, 512, 64, 100);
    for cell in [2, 3] {
        let s = spec(cell, n_in, h, n, t, false);
        let full = Case::new(s, &vec![t; n], 6000);
        let half = Case::new(
            s,
            &(0..n).map(|j| 1 + (j * t) / n).collect::<Vec<_>>(),
            6000,
        );
        let saved = [kernel_forward(&full).saved, kernel_forward(&half).saved];
        let mut best = [f64::INFINITY; 4];
        for _ in 0..5 {
            for (k, case) in [&full, &half].into_iter().enumerate() {
                let t0 = std::time::Instant::now();
                kernel_forward(case);
                let t1 = std::time::Instant::now();
                case.kernel(&saved[k], 0.0);
                let t2 = std::time::Instant::now();
                best[2 * k] = best[2 * k].min((t1 - t0).as_secs_f64() * 1e3);
                best[2 * k + 1] = best[2 * k + 1].min((t2 - t1).as_secs_f64() * 1e3);
            }
        }
        let [f_full, b_full, f_half, b_half] = best;
        let r: usize = half.lengths.iter().sum();
        println!(
            "cell {cell}: full: forward {f_full:.0} ms, backward {b_full:.0} ms ({:.2}×); \
             mean t/2 (R = {r} of {}): forward {f_half:.0} ms ({:.2} of full), backward {b_half:.0} ms ({:.2} of full); \
             backward workspace {:.0} MB",
            b_full / f_full,
            n * t,
            f_half / f_full,
            b_half / b_full,
            layer_backward_workspace_len(&dims(&s)).unwrap() as f64 * 8e-6
        );
    }
    rnn_core::set_threads(0);
}

/// One of a case's inputs or parameters.
type Field = fn(&mut Case) -> &mut Vec<f64>;

/// `Case::new` with `gates`.
fn case_with(s: Spec, lengths: &[usize], seed: u64, gates: &[f64]) -> Case {
    let mut c = Case::new(s, lengths, seed);
    c.p.gates = gates.to_vec();
    c
}

#[test]
fn the_reference_matches_finite_differences_for_every_activation() {
    let eps = 1e-6;
    for cell in CELLS {
        let s = spec(cell, 2, 3, 4, 4, cell % 2 == 1);
        let lengths = [3, 0, 4, 1];
        for (k, gates) in layer_ref::backward_gates(cell).into_iter().enumerate() {
            let seed = 300 + k as u64;
            let case = case_with(s, &lengths, seed, &gates);
            let want = case.reference_backward();
            let loss = |c: &Case| layer_ref::loss(&c.reference_forward(), &c.up);
            let fields: [(&str, Field, &[f64]); 7] = [
                ("x", |c| &mut c.x, &want.dx),
                ("h0", |c| &mut c.h0, &want.dh0),
                ("c0", |c| &mut c.c0, &want.dc0),
                ("w_ih", |c| &mut c.p.w_ih, &want.dw_ih),
                ("w_hh", |c| &mut c.p.w_hh, &want.dw_hh),
                ("b_ih", |c| &mut c.p.b_ih, &want.db_ih),
                ("b_hh", |c| &mut c.p.b_hh, &want.db_hh),
            ];
            for (name, field, grad) in fields {
                for (e, &analytic) in grad.iter().enumerate() {
                    let mut plus = case_with(s, &lengths, seed, &gates);
                    field(&mut plus)[e] += eps;
                    let mut minus = case_with(s, &lengths, seed, &gates);
                    field(&mut minus)[e] -= eps;
                    let fd = (loss(&plus) - loss(&minus)) / (2.0 * eps);
                    assert!(
                        (fd - analytic).abs() <= 1e-6 * (1.0 + fd.abs()),
                        "cell {cell}, gates {gates:?}: d{name}[{e}] = {analytic}, finite differences {fd}"
                    );
                }
            }
        }
    }
}

#[test]
fn kernel_matches_the_reference_for_every_activation() {
    // Forward (keep 1) then backward through the kernels, against the
    // reference; and random `saved` read as the reference reads it.
    for cell in CELLS {
        for (k, gates) in layer_ref::backward_gates(cell).into_iter().enumerate() {
            for reverse in [false, true] {
                let s = spec(cell, 3, 9, 11, 5, reverse);
                let lengths = random_lengths(11, 5, k as u64);
                let case = case_with(s, &lengths, 400 + k as u64, &gates);
                let f = kernel_forward(&case);
                let what = format!("cell {cell}, reverse {reverse}, gates {gates:?}");
                assert_grads(
                    &what,
                    &case.kernel(&f.saved, f64::NAN),
                    &case.reference_backward(),
                    1e-10,
                );
                let saved = Rng::new(k as u64).vec(s.t * s.n * s.saved_width(), 1.5);
                let want = layer_ref::backward_saved(
                    &s,
                    &saved,
                    &case.x,
                    &lengths,
                    &case.h0,
                    &case.c0,
                    &case.p.w_ih,
                    &case.p.w_hh,
                    &gates,
                    &case.up,
                );
                assert_grads(
                    &format!("{what}, random saved"),
                    &case.kernel(&saved, f64::NAN),
                    &want,
                    1e-10,
                );
            }
        }
    }
}

#[test]
fn gates_backward_cannot_run_from_are_refused_before_any_write() {
    let base = layer_ref::gates_array(
        layer_ref::SIGMOID,
        layer_ref::TANH,
        layer_ref::TANH,
        0.0,
        false,
    );
    for cell in CELLS {
        let s = spec(cell, 3, 4, 3, 5, false);
        let lengths = [5.0, 2.0, 0.0];
        let case = Case::new(s, &[5, 2, 0], 17);
        let used = match cell {
            0 | 1 => 1,
            2 => 3,
            _ => 2,
        };
        let mut cases: Vec<(Vec<f64>, Option<usize>)> = Vec::new();
        let with = |edits: &[(usize, f64)]| {
            let mut g = base.clone();
            for &(at, v) in edits {
                g[at] = v;
            }
            g
        };
        cases.push((with(&[(9, 0.5)]), Some(9)));
        cases.push((with(&[(9, f64::INFINITY)]), Some(9)));
        cases.push((with(&[(10, 1.0)]), Some(10)));
        cases.push((with(&[(0, 12.0)]), Some(0)));
        cases.push((with(&[(4, f64::NAN)]), Some(4)));
        for slot in 0..3 {
            for code in [5.0, 8.0] {
                // LeakyRelu and Elu with α < 0 in a slot the cell reads.
                let g = with(&[(3 * slot, code), (3 * slot + 1, -0.5)]);
                cases.push((g, (slot < used).then_some(3 * slot + 1)));
            }
        }
        for (gates, bad) in cases {
            let (r, touched) = call_edited_gates(&case, &lengths, &gates);
            match bad {
                Some(index) => {
                    assert_eq!(
                        r,
                        Err(KernelError::Value {
                            arg: "gates",
                            value: index,
                            max: 10
                        }),
                        "cell {cell}, gates {gates:?}"
                    );
                    assert!(!touched, "cell {cell}: refused after a write");
                }
                None => assert_eq!(r, Ok(()), "cell {cell}, gates {gates:?}"),
            }
        }
        let (r, touched) = call_edited_gates(&case, &lengths, &[0.0; 5]);
        assert_eq!(
            r,
            Err(KernelError::Length {
                arg: "gates",
                expected: 11,
                actual: 5
            })
        );
        assert!(!touched);
    }
}

/// `case`'s backward call with `gates`, outputs holding junk; the result and
/// whether any output changed.
fn call_edited_gates(
    case: &Case,
    lengths: &[f64],
    gates: &[f64],
) -> (Result<(), KernelError>, bool) {
    let s = &case.s;
    let d = dims(s);
    let saved = case.reference_forward().saved;
    let junk = 12345.5;
    let mut g = Grads::zeros(s);
    for v in [
        &mut g.dx,
        &mut g.dh0,
        &mut g.dc0,
        &mut g.dw_ih,
        &mut g.dw_hh,
        &mut g.db_ih,
        &mut g.db_hh,
    ] {
        v.fill(junk);
    }
    let mut ws = vec![junk; layer_backward_workspace_len(&d).unwrap()];
    let i = LayerBackwardIn {
        d_output: &case.up.d_output,
        dh_n: &case.up.dh_n,
        dc_n: &case.up.dc_n,
        saved: &saved,
        x: &case.x,
        lengths,
        h0: &case.h0,
        c0: &case.c0,
        w_ih: &case.p.w_ih,
        w_hh: &case.p.w_hh,
        gates,
    };
    let o = LayerBackwardOut {
        dx: &mut g.dx,
        dh0: &mut g.dh0,
        dc0: &mut g.dc0,
        dw_ih: &mut g.dw_ih,
        dw_hh: &mut g.dw_hh,
        db_ih: &mut g.db_ih,
        db_hh: &mut g.db_hh,
    };
    let r = layer_backward(&d, i, o, &mut ws);
    let touched = g.named().iter().any(|(_, v)| v.iter().any(|&x| x != junk));
    (r, touched)
}

#[test]
fn float32_products_stay_within_the_float32_bound() {
    // The gradients of the float32 twin against the float64 kernel's, from
    // the same `saved`: each within 1e-5 of that gradient's largest magnitude.
    let mut worst = 0.0f64;
    for (k, (s, lengths)) in kernel_cases().into_iter().enumerate() {
        let case = Case::new(s, &lengths, 4000 + k as u64);
        let f = kernel_forward(&case);
        let want = case.kernel(&f.saved, f64::NAN);
        let got = case.kernel_in(layer_backward_f32, &f.saved, f64::NAN);
        for ((name, g), (_, w)) in got.named().iter().zip(want.named()) {
            let scale = w
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()))
                .max(f64::MIN_POSITIVE);
            let e = g
                .iter()
                .zip(w.iter())
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
                / scale;
            assert!(e < 1e-5, "{s:?} {name}: {e:e}");
            worst = worst.max(e);
        }
    }
    println!("float32 layer_backward: worst relative difference {worst:e}");
}
