//! The output layer's softmax cross-entropy backward against a per-element
//! reference and against central differences of the loss.

mod common;

use common::{assert_close, block, nan_vec, shapes, softmax, Rng, Shape};
use rnn_core::{
    output_backward_workspace_len, Dims, KernelError, OutputBackwardIn, OutputBackwardOut,
    NO_TARGET,
};

/// `rnn_core::output_backward` with its slices in field order.
#[allow(clippy::too_many_arguments)]
fn output_backward(
    d: &Dims,
    y: &[f64],
    targets: &[f64],
    a: &[f64],
    wy: &[f64],
    loss: &mut [f64],
    dwy: &mut [f64],
    dby: &mut [f64],
    da: &mut [f64],
    ws: &mut [f64],
) -> Result<(), KernelError> {
    rnn_core::output_backward(
        d,
        OutputBackwardIn { y, targets, a, wy },
        OutputBackwardOut { loss, dwy, dby, da },
        ws,
    )
}

struct Out {
    loss: [f64; 2],
    dwy: Vec<f64>,
    dby: Vec<f64>,
    da: Vec<f64>,
}

fn run(s: Shape, y: &[f64], targets: &[f64], a: &[f64], wy: &[f64]) -> Result<Out, KernelError> {
    let d = s.dims();
    let mut out = Out {
        loss: [f64::NAN; 2],
        dwy: nan_vec(s.n_y * s.n_a),
        dby: nan_vec(s.n_y),
        da: nan_vec(s.t * s.n_a * s.m),
    };
    let mut ws = nan_vec(output_backward_workspace_len(&d).unwrap());
    output_backward(
        &d,
        y,
        targets,
        a,
        wy,
        &mut out.loss,
        &mut out.dwy,
        &mut out.dby,
        &mut out.da,
        &mut ws,
    )?;
    Ok(out)
}

/// `y_t = softmax(Wy·a_t + by)` written out element by element.
fn outputs(s: Shape, a: &[f64], wy: &[f64], by: &[f64]) -> Vec<f64> {
    let mut y = Vec::new();
    for t in 0..s.t {
        let a_t = block(a, t, s.n_a * s.m);
        let mut z = vec![0.0; s.n_y * s.m];
        for i in 0..s.n_y {
            for j in 0..s.m {
                z[i * s.m + j] = by[i]
                    + (0..s.n_a)
                        .map(|k| wy[i * s.n_a + k] * a_t[k * s.m + j])
                        .sum::<f64>();
            }
        }
        if s.n_y > 0 {
            y.extend(softmax(&z, s.n_y, s.m));
        }
    }
    y
}

/// Summed cross-entropy of the outputs computed from `(a, wy, by)`.
fn total_loss(s: Shape, a: &[f64], wy: &[f64], by: &[f64], targets: &[f64]) -> f64 {
    let y = outputs(s, a, wy, by);
    let mut total = 0.0;
    for t in 0..s.t {
        for j in 0..s.m {
            let k = targets[t * s.m + j];
            if k != NO_TARGET {
                total -= y[(t * s.n_y + k as usize) * s.m + j].ln();
            }
        }
    }
    total
}

struct Case {
    a: Vec<f64>,
    wy: Vec<f64>,
    by: Vec<f64>,
    targets: Vec<f64>,
}

fn case(s: Shape, seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let a = rng.vec(s.t * s.n_a * s.m, 0.9);
    let wy = rng.vec(s.n_y * s.n_a, 1.2);
    let by = rng.vec(s.n_y, 0.5);
    // Every fourth target is padding; the rest are classes (padding only when n_y = 0).
    let targets = (0..s.t * s.m)
        .map(|i| {
            if s.n_y == 0 || i % 4 == 3 {
                NO_TARGET
            } else {
                rng.below(s.n_y as u64) as f64
            }
        })
        .collect();
    Case { a, wy, by, targets }
}

#[test]
fn matches_the_reference_on_every_shape() {
    for (n, s) in shapes().enumerate() {
        let c = case(s, 40 + n as u64);
        let y = outputs(s, &c.a, &c.wy, &c.by);
        let got = run(s, &y, &c.targets, &c.a, &c.wy).unwrap();
        // Reference: dz = y − onehot per column, then plain sums.
        let mut dz = y.clone();
        let (mut count, mut total) = (0.0, 0.0);
        for t in 0..s.t {
            for j in 0..s.m {
                let k = c.targets[t * s.m + j];
                for i in 0..s.n_y {
                    let e = (t * s.n_y + i) * s.m + j;
                    if k == NO_TARGET {
                        dz[e] = 0.0;
                    } else if i == k as usize {
                        total -= y[e].ln();
                        count += 1.0;
                        dz[e] -= 1.0;
                    }
                }
            }
        }
        let mut dwy = vec![0.0; s.n_y * s.n_a];
        let mut dby = vec![0.0; s.n_y];
        let mut da = vec![0.0; s.t * s.n_a * s.m];
        for t in 0..s.t {
            for i in 0..s.n_y {
                for j in 0..s.m {
                    let g = dz[(t * s.n_y + i) * s.m + j];
                    dby[i] += g;
                    for k in 0..s.n_a {
                        dwy[i * s.n_a + k] += g * c.a[(t * s.n_a + k) * s.m + j];
                        da[(t * s.n_a + k) * s.m + j] += c.wy[i * s.n_a + k] * g;
                    }
                }
            }
        }
        let what = format!("{s:?}");
        assert_eq!(got.loss[1], count, "{what}: count");
        assert_close(&format!("{what} loss"), &got.loss[..1], &[total], 1e-13);
        assert_close(&format!("{what} dwy"), &got.dwy, &dwy, 1e-13);
        assert_close(&format!("{what} dby"), &got.dby, &dby, 1e-13);
        assert_close(&format!("{what} da"), &got.da, &da, 1e-13);
    }
}

#[test]
fn gradients_match_central_differences_of_the_loss() {
    let s = Shape {
        n_x: 0,
        n_a: 5,
        n_y: 4,
        m: 3,
        t: 3,
    };
    let c = case(s, 7);
    let y = outputs(s, &c.a, &c.wy, &c.by);
    let got = run(s, &y, &c.targets, &c.a, &c.wy).unwrap();
    let h = 1e-6;
    let numeric = |param: &[f64], f: &dyn Fn(&[f64]) -> f64| -> Vec<f64> {
        (0..param.len())
            .map(|i| {
                let (mut plus, mut minus) = (param.to_vec(), param.to_vec());
                plus[i] += h;
                minus[i] -= h;
                (f(&plus) - f(&minus)) / (2.0 * h)
            })
            .collect()
    };
    let l = |a: &[f64], wy: &[f64], by: &[f64]| total_loss(s, a, wy, by, &c.targets);
    assert_close(
        "dwy",
        &got.dwy,
        &numeric(&c.wy, &|w| l(&c.a, w, &c.by)),
        1e-7,
    );
    assert_close(
        "dby",
        &got.dby,
        &numeric(&c.by, &|b| l(&c.a, &c.wy, b)),
        1e-7,
    );
    assert_close("da", &got.da, &numeric(&c.a, &|a| l(a, &c.wy, &c.by)), 1e-7);
    assert_close("loss", &got.loss[..1], &[l(&c.a, &c.wy, &c.by)], 1e-14);
}

#[test]
fn invalid_targets_are_rejected_before_any_output_is_written() {
    let s = Shape {
        n_x: 0,
        n_a: 2,
        n_y: 3,
        m: 2,
        t: 2,
    };
    let c = case(s, 3);
    let y = outputs(s, &c.a, &c.wy, &c.by);
    for bad in [3.0, -2.0, 0.5, f64::NAN, f64::INFINITY, -0.5] {
        let mut targets = c.targets.clone();
        targets[2] = bad;
        let err = run(s, &y, &targets, &c.a, &c.wy).err().expect("rejected");
        assert_eq!(err, KernelError::Target { index: 2 }, "target {bad}");
        assert!(err.to_string().contains("element 2"), "{err}");
    }
}

#[test]
fn wrong_lengths_and_short_workspace_are_rejected() {
    let d = Dims {
        n_x: 0,
        n_a: 2,
        n_y: 3,
        m: 2,
        t: 2,
    };
    let need = output_backward_workspace_len(&d).unwrap();
    let (y, t, a, wy) = (vec![0.2; 12], vec![0.0; 4], vec![0.1; 8], vec![0.3; 6]);
    let (mut loss, mut dwy, mut dby, mut da) =
        (vec![0.0; 2], vec![0.0; 6], vec![0.0; 3], vec![0.0; 8]);
    let mut ws = vec![0.0; need - 1];
    let err = output_backward(
        &d, &y, &t, &a, &wy, &mut loss, &mut dwy, &mut dby, &mut da, &mut ws,
    )
    .unwrap_err();
    assert_eq!(err.arg(), "ws");
    let mut ws = vec![0.0; need];
    let err = output_backward(
        &d,
        &y,
        &t[..3],
        &a,
        &wy,
        &mut loss,
        &mut dwy,
        &mut dby,
        &mut da,
        &mut ws,
    )
    .unwrap_err();
    assert_eq!(
        err,
        KernelError::Length {
            arg: "targets",
            expected: 4,
            actual: 3
        }
    );
    let err = output_backward(
        &d,
        &y,
        &t,
        &a,
        &wy,
        &mut loss[..1],
        &mut dwy,
        &mut dby,
        &mut da,
        &mut ws,
    )
    .unwrap_err();
    assert_eq!(err.arg(), "loss");
    assert_eq!(
        output_backward_workspace_len(&Dims {
            n_a: usize::MAX,
            ..d
        }),
        None
    );
}
