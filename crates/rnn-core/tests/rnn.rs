//! RNN kernels against the per-step reference, plus finite differences.

mod common;

use common::{assert_close, block, nan_vec, rnn_backward_ref, rnn_forward_ref, shapes, Rng, Shape};
use rnn_core::{
    rnn_backward, rnn_backward_workspace_len, rnn_forward, rnn_forward_workspace_len,
    RnnBackwardIn, RnnBackwardOut, RnnForwardIn, RnnForwardOut,
};

struct Params {
    wax: Vec<f64>,
    waa: Vec<f64>,
    ba: Vec<f64>,
    wya: Vec<f64>,
    by: Vec<f64>,
}

fn params(rng: &mut Rng, s: Shape) -> Params {
    Params {
        wax: rng.vec(s.n_a * s.n_x, 0.8),
        waa: rng.vec(s.n_a * s.n_a, 0.8),
        ba: rng.vec(s.n_a, 0.5),
        wya: rng.vec(s.n_y * s.n_a, 1.0),
        by: rng.vec(s.n_y, 0.5),
    }
}

/// Runs the kernel with NaN-filled outputs and workspace.
fn forward(s: Shape, x: &[f64], a0: &[f64], p: &Params) -> (Vec<f64>, Vec<f64>) {
    let d = s.dims();
    let mut a = nan_vec(s.t * s.n_a * s.m);
    let mut y = nan_vec(s.t * s.n_y * s.m);
    let mut ws = nan_vec(rnn_forward_workspace_len(&d).unwrap());
    let i = RnnForwardIn {
        x,
        a0,
        wax: &p.wax,
        waa: &p.waa,
        ba: &p.ba,
        wya: &p.wya,
        by: &p.by,
    };
    let o = RnnForwardOut {
        a: &mut a,
        y: &mut y,
    };
    rnn_forward(&d, i, o, &mut ws).unwrap();
    (a, y)
}

struct Grads {
    dx: Vec<f64>,
    da0: Vec<f64>,
    dwax: Vec<f64>,
    dwaa: Vec<f64>,
    dba: Vec<f64>,
}

fn backward(s: Shape, da: &[f64], a_next: &[f64], a_prev: &[f64], x: &[f64], p: &Params) -> Grads {
    let d = s.dims();
    let mut g = Grads {
        dx: nan_vec(s.t * s.n_x * s.m),
        da0: nan_vec(s.n_a * s.m),
        dwax: nan_vec(s.n_a * s.n_x),
        dwaa: nan_vec(s.n_a * s.n_a),
        dba: nan_vec(s.n_a),
    };
    let mut ws = nan_vec(rnn_backward_workspace_len(&d).unwrap());
    let i = RnnBackwardIn {
        da,
        a_next,
        a_prev,
        x,
        wax: &p.wax,
        waa: &p.waa,
    };
    let o = RnnBackwardOut {
        dx: &mut g.dx,
        da0: &mut g.da0,
        dwax: &mut g.dwax,
        dwaa: &mut g.dwaa,
        dba: &mut g.dba,
    };
    rnn_backward(&d, i, o, &mut ws).unwrap();
    g
}

#[test]
fn forward_matches_reference() {
    let mut rng = Rng::new(20);
    for s in shapes() {
        let p = params(&mut rng, s);
        let x = rng.vec(s.t * s.n_x * s.m, 2.0);
        let a0 = rng.vec(s.n_a * s.m, 1.0);
        let (a, y) = forward(s, &x, &a0, &p);
        let (a_ref, y_ref) = rnn_forward_ref(s, &x, &a0, &p.wax, &p.waa, &p.ba, &p.wya, &p.by);
        assert_close(&format!("a {s:?}"), &a, &a_ref, 1e-13);
        assert_close(&format!("y {s:?}"), &y, &y_ref, 1e-13);
    }
}

#[test]
fn backward_matches_reference_with_arbitrary_caches() {
    let mut rng = Rng::new(21);
    for s in shapes() {
        let p = params(&mut rng, s);
        let sa = s.t * s.n_a * s.m;
        let (da, a_next, a_prev) = (rng.vec(sa, 1.0), rng.vec(sa, 1.0), rng.vec(sa, 1.0));
        let x = rng.vec(s.t * s.n_x * s.m, 1.0);
        let g = backward(s, &da, &a_next, &a_prev, &x, &p);
        let r = rnn_backward_ref(s, &da, &a_next, &a_prev, &x, &p.wax, &p.waa);
        assert_close(&format!("dx {s:?}"), &g.dx, &r.dx, 1e-13);
        assert_close(&format!("da0 {s:?}"), &g.da0, &r.da0, 1e-13);
        assert_close(&format!("dwax {s:?}"), &g.dwax, &r.dwax, 1e-13);
        assert_close(&format!("dwaa {s:?}"), &g.dwaa, &r.dwaa, 1e-13);
        assert_close(&format!("dba {s:?}"), &g.dba, &r.dba, 1e-13);
    }
}

#[test]
fn zero_steps_give_zero_gradients() {
    let s = Shape {
        n_x: 3,
        n_a: 4,
        n_y: 2,
        m: 5,
        t: 0,
    };
    let p = params(&mut Rng::new(22), s);
    let g = backward(s, &[], &[], &[], &[], &p);
    assert!(g.dx.is_empty());
    for v in [&g.da0, &g.dwax, &g.dwaa, &g.dba] {
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
    let mut rng = Rng::new(23);
    let p = params(&mut rng, s);
    let mut x = rng.vec(s.t * s.n_x * s.m, 1.0);
    let a0 = rng.vec(s.n_a * s.m, 1.0);
    x[1] = f64::NAN; // step 0, feature 0, column 1
    x[4] = f64::INFINITY; // step 1, feature 0, column 0
    let (a, y) = forward(s, &x, &a0, &p);
    let (a_ref, y_ref) = rnn_forward_ref(s, &x, &a0, &p.wax, &p.waa, &p.ba, &p.wya, &p.by);
    assert_close("a", &a, &a_ref, 1e-13);
    assert_close("y", &y, &y_ref, 1e-13);
    assert!(a[1].is_nan());
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
    let mut rng = Rng::new(24);
    let p = params(&mut rng, s);
    let x = rng.vec(s.t * s.n_x * s.m, 1.0);
    let a0 = rng.vec(s.n_a * s.m, 1.0);
    let w_out = rng.vec(s.t * s.n_a * s.m, 1.0);
    // Loss L = Σ_t ⟨w_out_t, a_t⟩, so dL/da_t from outside is w_out_t.
    let loss = |x: &[f64], a0: &[f64], p: &Params| -> f64 {
        let (a, _) = forward(s, x, a0, p);
        a.iter().zip(&w_out).map(|(u, v)| u * v).sum()
    };
    let (a, _) = forward(s, &x, &a0, &p);
    let sa = s.n_a * s.m;
    let mut a_prev = a0.clone();
    for t in 0..s.t - 1 {
        a_prev.extend_from_slice(block(&a, t, sa));
    }
    let g = backward(s, &w_out, &a, &a_prev, &x, &p);

    let eps = 1e-6;
    let fd = |f: &dyn Fn(f64) -> f64| (f(eps) - f(-eps)) / (2.0 * eps);
    let check = |what: &str, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-7 * (1.0 + want.abs()),
            "{what}: analytic {got}, numeric {want}"
        );
    };
    for i in 0..x.len() {
        let num = fd(&|h| {
            let mut x2 = x.clone();
            x2[i] += h;
            loss(&x2, &a0, &p)
        });
        check(&format!("dx[{i}]"), g.dx[i], num);
    }
    for i in 0..a0.len() {
        let num = fd(&|h| {
            let mut a2 = a0.clone();
            a2[i] += h;
            loss(&x, &a2, &p)
        });
        check(&format!("da0[{i}]"), g.da0[i], num);
    }
    let perturbed = |which: usize, i: usize, h: f64| -> f64 {
        let mut q = Params {
            wax: p.wax.clone(),
            waa: p.waa.clone(),
            ba: p.ba.clone(),
            wya: p.wya.clone(),
            by: p.by.clone(),
        };
        match which {
            0 => q.wax[i] += h,
            1 => q.waa[i] += h,
            _ => q.ba[i] += h,
        }
        loss(&x, &a0, &q)
    };
    for (which, got) in [(0, &g.dwax), (1, &g.dwaa), (2, &g.dba)] {
        for (i, &gv) in got.iter().enumerate() {
            let num = fd(&|h| perturbed(which, i, h));
            check(&format!("param {which} [{i}]"), gv, num);
        }
    }
}
