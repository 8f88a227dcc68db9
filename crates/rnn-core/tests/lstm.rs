//! LSTM kernels against the per-step reference, plus finite differences.

mod common;

use common::{
    assert_close, assert_close_nonfinite, block, lstm_backward_ref, lstm_forward_ref, nan_vec,
    shapes, Rng, Shape,
};
use rnn_core::{
    lstm_backward, lstm_backward_workspace_len, lstm_forward, lstm_forward_workspace_len,
    LstmBackwardIn, LstmBackwardOut, LstmForwardIn, LstmForwardOut,
};

#[derive(Clone)]
struct Params {
    w: Vec<f64>,
    b: Vec<f64>,
    wy: Vec<f64>,
    by: Vec<f64>,
}

fn params(rng: &mut Rng, s: Shape) -> Params {
    Params {
        w: rng.vec(4 * s.n_a * (s.n_a + s.n_x), 0.8),
        b: rng.vec(4 * s.n_a, 0.5),
        wy: rng.vec(s.n_y * s.n_a, 1.0),
        by: rng.vec(s.n_y, 0.5),
    }
}

struct Out {
    a: Vec<f64>,
    c: Vec<f64>,
    y: Vec<f64>,
    gates: Vec<f64>,
}

fn forward(s: Shape, x: &[f64], a0: &[f64], c0: &[f64], p: &Params) -> Out {
    let d = s.dims();
    let sa = s.t * s.n_a * s.m;
    let mut o = Out {
        a: nan_vec(sa),
        c: nan_vec(sa),
        y: nan_vec(s.t * s.n_y * s.m),
        gates: nan_vec(4 * sa),
    };
    let mut ws = nan_vec(lstm_forward_workspace_len(&d).unwrap());
    let i = LstmForwardIn {
        x,
        a0,
        c0,
        w: &p.w,
        b: &p.b,
        wy: &p.wy,
        by: &p.by,
    };
    let outs = LstmForwardOut {
        a: &mut o.a,
        c: &mut o.c,
        y: &mut o.y,
        gates: &mut o.gates,
    };
    lstm_forward(&d, i, outs, &mut ws).unwrap();
    o
}

struct Grads {
    dx: Vec<f64>,
    da0: Vec<f64>,
    dc0: Vec<f64>,
    dw: Vec<f64>,
    db: Vec<f64>,
}

/// Cached per-step tensors, as the backward kernel takes them.
struct Caches {
    c_next: Vec<f64>,
    c_prev: Vec<f64>,
    a_prev: Vec<f64>,
    gates: Vec<f64>,
}

fn backward(s: Shape, da: &[f64], dc_last: &[f64], k: &Caches, x: &[f64], w: &[f64]) -> Grads {
    backward_over(f64::NAN, s, da, dc_last, k, x, w)
}

/// [`backward`] with every output and the workspace holding `fill` before the call.
fn backward_over(
    fill: f64,
    s: Shape,
    da: &[f64],
    dc_last: &[f64],
    k: &Caches,
    x: &[f64],
    w: &[f64],
) -> Grads {
    let d = s.dims();
    let filled = |n| vec![fill; n];
    let mut g = Grads {
        dx: filled(s.t * s.n_x * s.m),
        da0: filled(s.n_a * s.m),
        dc0: filled(s.n_a * s.m),
        dw: filled(4 * s.n_a * (s.n_a + s.n_x)),
        db: filled(4 * s.n_a),
    };
    let mut ws = filled(lstm_backward_workspace_len(&d).unwrap());
    let i = LstmBackwardIn {
        da,
        dc_last,
        c_next: &k.c_next,
        c_prev: &k.c_prev,
        a_prev: &k.a_prev,
        gates: &k.gates,
        x,
        w,
    };
    let o = LstmBackwardOut {
        dx: &mut g.dx,
        da0: &mut g.da0,
        dc0: &mut g.dc0,
        dw: &mut g.dw,
        db: &mut g.db,
    };
    lstm_backward(&d, i, o, &mut ws).unwrap();
    g
}

fn compare_grads(s: Shape, g: &Grads, r: &common::LstmGrads) {
    assert_close(&format!("dx {s:?}"), &g.dx, &r.dx, 1e-13);
    assert_close(&format!("da0 {s:?}"), &g.da0, &r.da0, 1e-13);
    assert_close(&format!("dc0 {s:?}"), &g.dc0, &r.dc0, 1e-13);
    assert_close(&format!("dw {s:?}"), &g.dw, &r.dw, 1e-13);
    assert_close(&format!("db {s:?}"), &g.db, &r.db, 1e-13);
}

/// `[v0, v_0, …, v_{T-2}]`: the state each step started from.
fn previous(v0: &[f64], v: &[f64], s: Shape) -> Vec<f64> {
    let mut out = v0.to_vec();
    for t in 0..s.t.saturating_sub(1) {
        out.extend_from_slice(block(v, t, s.n_a * s.m));
    }
    out.truncate(v.len());
    out
}

#[test]
fn forward_matches_reference() {
    let mut rng = Rng::new(30);
    for s in shapes() {
        let p = params(&mut rng, s);
        let x = rng.vec(s.t * s.n_x * s.m, 2.0);
        let a0 = rng.vec(s.n_a * s.m, 1.0);
        let c0 = rng.vec(s.n_a * s.m, 1.0);
        let o = forward(s, &x, &a0, &c0, &p);
        let r = lstm_forward_ref(s, &x, &a0, &c0, &p.w, &p.b, &p.wy, &p.by);
        assert_close(&format!("a {s:?}"), &o.a, &r.a, 1e-13);
        assert_close(&format!("c {s:?}"), &o.c, &r.c, 1e-13);
        assert_close(&format!("y {s:?}"), &o.y, &r.y, 1e-13);
        assert_close(&format!("gates {s:?}"), &o.gates, &r.gates, 1e-13);
    }
}

#[test]
fn backward_matches_reference_with_arbitrary_caches() {
    let mut rng = Rng::new(31);
    for s in shapes() {
        let p = params(&mut rng, s);
        let sa = s.t * s.n_a * s.m;
        let da = rng.vec(sa, 1.0);
        let dc_last = rng.vec(s.n_a * s.m, 1.0);
        let k = Caches {
            c_next: rng.vec(sa, 2.0),
            c_prev: rng.vec(sa, 2.0),
            a_prev: rng.vec(sa, 1.0),
            gates: rng.vec(4 * sa, 1.0),
        };
        let x = rng.vec(s.t * s.n_x * s.m, 1.0);
        let g = backward(s, &da, &dc_last, &k, &x, &p.w);
        let r = lstm_backward_ref(
            s, &da, &dc_last, &k.c_next, &k.c_prev, &k.a_prev, &k.gates, &x, &p.w,
        );
        compare_grads(s, &g, &r);
    }
}

#[test]
fn backward_matches_reference_on_forward_caches() {
    let mut rng = Rng::new(32);
    for s in shapes() {
        let p = params(&mut rng, s);
        let x = rng.vec(s.t * s.n_x * s.m, 2.0);
        let a0 = rng.vec(s.n_a * s.m, 1.0);
        let c0 = vec![0.0; s.n_a * s.m];
        let o = forward(s, &x, &a0, &c0, &p);
        let k = Caches {
            c_prev: previous(&c0, &o.c, s),
            a_prev: previous(&a0, &o.a, s),
            c_next: o.c,
            gates: o.gates,
        };
        let da = rng.vec(s.t * s.n_a * s.m, 1.0);
        let dc_last = vec![0.0; s.n_a * s.m];
        let g = backward(s, &da, &dc_last, &k, &x, &p.w);
        let r = lstm_backward_ref(
            s, &da, &dc_last, &k.c_next, &k.c_prev, &k.a_prev, &k.gates, &x, &p.w,
        );
        compare_grads(s, &g, &r);
    }
}

#[test]
fn zero_steps_pass_the_carries_through() {
    let s = Shape {
        n_x: 3,
        n_a: 4,
        n_y: 2,
        m: 5,
        t: 0,
    };
    let mut rng = Rng::new(33);
    let p = params(&mut rng, s);
    let dc_last = rng.vec(s.n_a * s.m, 1.0);
    let k = Caches {
        c_next: vec![],
        c_prev: vec![],
        a_prev: vec![],
        gates: vec![],
    };
    let g = backward(s, &[], &dc_last, &k, &[], &p.w);
    assert!(g.dx.is_empty());
    assert_eq!(g.dc0, dc_last);
    for v in [&g.da0, &g.dw, &g.db] {
        assert!(v.iter().all(|&e| e == 0.0));
    }
}

#[test]
fn nan_and_infinity_propagate() {
    let s = Shape {
        n_x: 2,
        n_a: 3,
        n_y: 2,
        m: 2,
        t: 3,
    };
    let mut rng = Rng::new(34);
    let p = params(&mut rng, s);
    let mut x = rng.vec(s.t * s.n_x * s.m, 1.0);
    let a0 = rng.vec(s.n_a * s.m, 1.0);
    let c0 = vec![0.0; s.n_a * s.m];
    x[1] = f64::NAN;
    x[4] = f64::INFINITY;
    x[9] = f64::NEG_INFINITY;
    let o = forward(s, &x, &a0, &c0, &p);
    let r = lstm_forward_ref(s, &x, &a0, &c0, &p.w, &p.b, &p.wy, &p.by);
    assert_close("a", &o.a, &r.a, 1e-13);
    assert_close("c", &o.c, &r.c, 1e-13);
    assert_close("y", &o.y, &r.y, 1e-13);
    assert_close("gates", &o.gates, &r.gates, 1e-13);
    assert!(o.a[1].is_nan());
}

#[test]
fn gradients_match_finite_differences() {
    let s = Shape {
        n_x: 2,
        n_a: 3,
        n_y: 2,
        m: 2,
        t: 4,
    };
    let mut rng = Rng::new(35);
    let p = params(&mut rng, s);
    let x = rng.vec(s.t * s.n_x * s.m, 1.0);
    let a0 = rng.vec(s.n_a * s.m, 1.0);
    let c0 = rng.vec(s.n_a * s.m, 1.0);
    let ga = rng.vec(s.t * s.n_a * s.m, 1.0);
    let gc = rng.vec(s.n_a * s.m, 1.0);
    let last = (s.t - 1) * s.n_a * s.m;
    // L = Σ_t ⟨ga_t, a_t⟩ + ⟨gc, c_{T-1}⟩.
    let loss = |x: &[f64], a0: &[f64], c0: &[f64], p: &Params| -> f64 {
        let o = forward(s, x, a0, c0, p);
        let la: f64 = o.a.iter().zip(&ga).map(|(u, v)| u * v).sum();
        let lc: f64 = o.c[last..].iter().zip(&gc).map(|(u, v)| u * v).sum();
        la + lc
    };
    let o = forward(s, &x, &a0, &c0, &p);
    let k = Caches {
        c_prev: previous(&c0, &o.c, s),
        a_prev: previous(&a0, &o.a, s),
        c_next: o.c,
        gates: o.gates,
    };
    let g = backward(s, &ga, &gc, &k, &x, &p.w);

    let eps = 1e-6;
    let fd = |f: &dyn Fn(f64) -> f64| (f(eps) - f(-eps)) / (2.0 * eps);
    let check = |what: &str, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-7 * (1.0 + want.abs()),
            "{what}: analytic {got}, numeric {want}"
        );
    };
    let bump = |v: &[f64], i: usize, h: f64| {
        let mut v = v.to_vec();
        v[i] += h;
        v
    };
    for i in 0..x.len() {
        check(
            &format!("dx[{i}]"),
            g.dx[i],
            fd(&|h| loss(&bump(&x, i, h), &a0, &c0, &p)),
        );
    }
    for i in 0..a0.len() {
        check(
            &format!("da0[{i}]"),
            g.da0[i],
            fd(&|h| loss(&x, &bump(&a0, i, h), &c0, &p)),
        );
        check(
            &format!("dc0[{i}]"),
            g.dc0[i],
            fd(&|h| loss(&x, &a0, &bump(&c0, i, h), &p)),
        );
    }
    for i in 0..p.w.len() {
        let num = fd(&|h| {
            loss(
                &x,
                &a0,
                &c0,
                &Params {
                    w: bump(&p.w, i, h),
                    ..p.clone()
                },
            )
        });
        check(&format!("dw[{i}]"), g.dw[i], num);
    }
    for i in 0..p.b.len() {
        let num = fd(&|h| {
            loss(
                &x,
                &a0,
                &c0,
                &Params {
                    b: bump(&p.b, i, h),
                    ..p.clone()
                },
            )
        });
        check(&format!("db[{i}]"), g.db[i], num);
    }
}

#[test]
fn single_step_is_the_cell_backward() {
    // T = 1 with a non-zero dc_next is the notebook's cell-level backward.
    let s = Shape {
        n_x: 3,
        n_a: 2,
        n_y: 1,
        m: 3,
        t: 1,
    };
    let mut rng = Rng::new(36);
    let p = params(&mut rng, s);
    let x = rng.vec(s.n_x * s.m, 1.0);
    let a0 = rng.vec(s.n_a * s.m, 1.0);
    let c0 = rng.vec(s.n_a * s.m, 1.0);
    let o = forward(s, &x, &a0, &c0, &p);
    let k = Caches {
        c_next: o.c,
        c_prev: c0.clone(),
        a_prev: a0.clone(),
        gates: o.gates,
    };
    let da = rng.vec(s.n_a * s.m, 1.0);
    let dc = rng.vec(s.n_a * s.m, 1.0);
    let g = backward(s, &da, &dc, &k, &x, &p.w);
    let r = lstm_backward_ref(
        s, &da, &dc, &k.c_next, &k.c_prev, &k.a_prev, &k.gates, &x, &p.w,
    );
    compare_grads(s, &g, &r);
}

#[test]
fn an_infinity_whose_sign_is_rounding_noise() {
    // Shrunk from a failure of the fuzz property (column 0; column 1 is ordinary and sets the
    // comparison's scale). At c = −18.727…, 1 − tanh²(c) is 0 here (tanh is −1) and 2⁻⁵² with
    // libm's tanh (−(1 − 2⁻⁵³)), a few ulp apart as the activations allow. So
    // dc_total = dc_last + da·o·(1 − tanh²) is the subnormal dc_last here and −4.7e-16 in the
    // reference: equal to any tolerance, yet times c_prev = −∞ they give d_f = ∓∞, and so
    // da0 = ∓∞. The kernel computes the same bits whatever its outputs and workspace held
    // before (NaN, ±∞, stale values), and the fuzz property's comparison, which matches
    // non-finite outputs by class and not by the sign of an infinity, accepts it.
    let s = Shape {
        n_x: 0,
        n_a: 1,
        n_y: 0,
        m: 2,
        t: 1,
    };
    let da = [1.187603100197995, 0.6];
    let dc_last = [1.38e-321, -0.4];
    let k = Caches {
        c_next: vec![-18.72721909137298, 0.3],
        c_prev: vec![f64::NEG_INFINITY, 0.9],
        a_prev: vec![0.5, -0.7],
        // f, i, c̃, o.
        gates: vec![
            0.41024560153479417,
            0.6,
            1.6626205734897535,
            0.2,
            0.9262032961267495,
            -0.5,
            -1.7937642142596966,
            0.7,
        ],
    };
    let w = [
        1.5265252129414,
        1.0082198643179936,
        -0.8127177635914089,
        1.427235734499885,
    ];
    let g = backward(s, &da, &dc_last, &k, &[], &w);
    for fill in [f64::INFINITY, f64::NEG_INFINITY, 0.0, -7.5] {
        let other = backward_over(fill, s, &da, &dc_last, &k, &[], &w);
        for (name, a, b) in [
            ("da0", &g.da0, &other.da0),
            ("dc0", &g.dc0, &other.dc0),
            ("dw", &g.dw, &other.dw),
            ("db", &g.db, &other.db),
        ] {
            let same = a
                .iter()
                .zip(b.iter())
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
            assert!(same, "{name} over {fill}: {a:?} vs {b:?}");
        }
    }
    let r = lstm_backward_ref(
        s,
        &da,
        &dc_last,
        &k.c_next,
        &k.c_prev,
        &k.a_prev,
        &k.gates,
        &[],
        &w,
    );
    assert!(g.da0[0].is_infinite() && r.da0[0].is_infinite());
    assert_close_nonfinite("dx", &g.dx, &r.dx, 1e-13);
    assert_close_nonfinite("da0", &g.da0, &r.da0, 1e-13);
    assert_close_nonfinite("dc0", &g.dc0, &r.dc0, 1e-13);
    assert_close_nonfinite("dw", &g.dw, &r.dw, 1e-13);
    assert_close_nonfinite("db", &g.db, &r.db, 1e-13);
}
