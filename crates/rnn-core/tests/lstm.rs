//! LSTM kernels against the per-step reference, plus finite differences.

mod common;

use common::{
    assert_close, block, lstm_backward_ref, lstm_forward_ref, nan_vec, shapes, Rng, Shape,
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
    let d = s.dims();
    let mut g = Grads {
        dx: nan_vec(s.t * s.n_x * s.m),
        da0: nan_vec(s.n_a * s.m),
        dc0: nan_vec(s.n_a * s.m),
        dw: nan_vec(4 * s.n_a * (s.n_a + s.n_x)),
        db: nan_vec(4 * s.n_a),
    };
    let mut ws = nan_vec(lstm_backward_workspace_len(&d).unwrap());
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
