//! `rnn-core` under random dimensions and values.
//!
//! - Valid calls (dimensions 0, 1, odd and prime; values with NaN, ±∞, ±0 and subnormals now
//!   and then) match the naive per-step references to 1e-10 (the layer kernels' float32
//!   twins, given float32 values: 1e-3) of each output's largest magnitude, NaN for NaN;
//!   with specials, non-finite where the reference is, NaN and ±∞ alike (rounding may pick
//!   the sign of an ∞: see `assert_close_nonfinite`); whatever the outputs held before,
//!   with a workspace of any length at or over the minimum; guard words around every slice
//!   stay untouched.
//! - Any dimensions (up to `usize::MAX`) with any slice lengths: the call is accepted exactly
//!   when `rnn_fuzz::model` says so, never panics, and a rejected call writes nothing.

mod harness;

use proptest::prelude::*;
use rnn_core::Dims;
use rnn_fuzz::kernels::{self, Kernel, Role};
use rnn_fuzz::layer_reference as lr;
use rnn_fuzz::model;
use rnn_fuzz::reference::{self as r, Rng, Shape};

use harness::{input_values, Counts};

const GUARD: usize = 3;

/// A word the kernels never compute, as a guard and as stale output contents.
fn junk() -> f64 {
    f64::from_bits(0x7FF4_0BAD_F00D_0001)
}

fn small_dim() -> impl Strategy<Value = usize> + Clone {
    prop_oneof![
        4 => 0usize..=6,
        1 => Just(0usize),
        1 => Just(1usize),
        1 => prop::sample::select(vec![7usize, 11, 13, 17]),
    ]
}

fn any_dim() -> impl Strategy<Value = usize> + Clone {
    prop_oneof![
        4 => 0usize..=6,
        1 => prop::sample::select(vec![
            usize::MAX,
            usize::MAX / 2 + 1,
            usize::MAX / 4 + 1,
            1 << 32,
            (1 << 32) - 1,
            1 << 31,
            1 << 20,
        ]),
        1 => any::<usize>(),
    ]
}

fn dims(
    dim: impl Strategy<Value = usize> + Clone,
    t: impl Strategy<Value = usize>,
) -> impl Strategy<Value = Dims> {
    (dim.clone(), dim.clone(), dim.clone(), dim, t).prop_map(|(n_x, n_a, n_y, m, t)| Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    })
}

/// A slice of `len` values inside guard words.
struct Guarded(Vec<f64>);

impl Guarded {
    fn new(data: Vec<f64>) -> Self {
        let mut v = vec![junk(); GUARD];
        v.extend(data);
        v.extend([junk(); GUARD]);
        Self(v)
    }
    fn len(&self) -> usize {
        self.0.len() - 2 * GUARD
    }
    fn inner(&self) -> &[f64] {
        let n = self.len();
        &self.0[GUARD..GUARD + n]
    }
    fn inner_mut(&mut self) -> &mut [f64] {
        let n = self.len();
        &mut self.0[GUARD..GUARD + n]
    }
    fn guards_intact(&self) -> bool {
        let n = self.len();
        self.0[..GUARD]
            .iter()
            .chain(&self.0[GUARD + n..])
            .all(|v| v.to_bits() == junk().to_bits())
    }
}

/// Calls `k.core` over guarded copies of `inputs` and outputs of `out_lens` elements that
/// start as junk; returns the result, the outputs, and whether every guard held.
fn call(
    k: &Kernel,
    d: &Dims,
    inputs: &[Vec<f64>],
    out_lens: &[usize],
) -> (bool, Vec<Vec<f64>>, bool) {
    let ins: Vec<Guarded> = inputs.iter().map(|v| Guarded::new(v.clone())).collect();
    let mut outs: Vec<Guarded> = out_lens
        .iter()
        .map(|&n| Guarded::new(vec![junk(); n]))
        .collect();
    let in_refs: Vec<&[f64]> = ins.iter().map(Guarded::inner).collect();
    let mut out_refs: Vec<&mut [f64]> = outs.iter_mut().map(Guarded::inner_mut).collect();
    let ok = (k.core)(d, &in_refs, &mut out_refs).is_ok();
    let guards = ins.iter().chain(&outs).all(Guarded::guards_intact);
    let outs = outs.iter().map(|g| g.inner().to_vec()).collect();
    (ok, outs, guards)
}

/// The naive reference's outputs for kernel `name`, in the kernel's output order (without
/// the workspace).
fn reference(name: &str, d: &Dims, i: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let s = Shape {
        n_x: d.n_x,
        n_a: d.n_a,
        n_y: d.n_y,
        m: d.m,
        t: d.t,
    };
    match name {
        "rnn_softmax" => vec![r::softmax(&i[0], d.n_y, d.m)],
        "rnn_sigmoid" => vec![r::map(&i[0], r::sigmoid)],
        "rnn_transpose" => vec![r::transpose(&i[0], d.n_x, d.m)],
        "rnn_forward" => {
            let (a, y) = r::rnn_forward_ref(s, &i[0], &i[1], &i[2], &i[3], &i[4], &i[5], &i[6]);
            vec![a, y]
        }
        "rnn_backward" => {
            let g = r::rnn_backward_ref(s, &i[0], &i[1], &i[2], &i[3], &i[4], &i[5]);
            vec![g.dx, g.da0, g.dwax, g.dwaa, g.dba]
        }
        "lstm_forward" => {
            let o = r::lstm_forward_ref(s, &i[0], &i[1], &i[2], &i[3], &i[4], &i[5], &i[6]);
            vec![o.a, o.c, o.y, o.gates]
        }
        "lstm_backward" => {
            let g = r::lstm_backward_ref(s, &i[0], &i[1], &i[2], &i[3], &i[4], &i[5], &i[6], &i[7]);
            vec![g.dx, g.da0, g.dc0, g.dw, g.db]
        }
        "output_backward" => {
            // dz_t = y_t − onehot(target) in columns with a target, 0 elsewhere.
            let (n_a, n_y, m) = (d.n_a, d.n_y, d.m);
            let (mut loss, mut dwy, mut dby) = (vec![0.0; 2], vec![0.0; n_y * n_a], vec![0.0; n_y]);
            let mut da = Vec::new();
            for step in 0..d.t {
                let yt = r::block(&i[0], step, n_y * m);
                let mut dz = vec![0.0; n_y * m];
                for j in 0..m {
                    let k = i[1][step * m + j];
                    if k == -1.0 {
                        continue;
                    }
                    let k = k as usize;
                    for c in 0..n_y {
                        dz[c * m + j] = yt[c * m + j];
                    }
                    dz[k * m + j] -= 1.0;
                    loss[0] -= yt[k * m + j].ln();
                    loss[1] += 1.0;
                }
                da.extend(r::matmul(&r::transpose(&i[3], n_y, n_a), &dz, n_a, n_y, m));
                let at = r::block(&i[2], step, n_a * m);
                dwy = r::add(
                    &dwy,
                    &r::matmul(&dz, &r::transpose(at, n_a, m), n_y, m, n_a),
                );
                dby = r::add(&dby, &r::row_sums(&dz, n_y, m));
            }
            vec![loss, dwy, dby, da]
        }
        // The float32 twins against the same references, within float32's rounding.
        "layer_forward" | "layer_forward_f32" => {
            let l = kernels::layer_forward_dims(d);
            let spec = lr::Spec {
                cell: l.cell,
                n_in: l.n_in,
                h: l.h,
                n: l.n,
                t: l.t,
                reverse: l.reverse == 1,
            };
            let p = lr::Params {
                w_ih: i[4].clone(),
                w_hh: i[5].clone(),
                b_ih: i[6].clone(),
                b_hh: i[7].clone(),
                gates: i[8].clone(),
                p: i[9].clone(),
            };
            let lengths: Vec<usize> = i[1].iter().map(|&v| v as usize).collect();
            let f = lr::forward(&spec, &p, &i[0], &lengths, &i[2], &i[3]);
            let saved = if l.keep == 1 { f.saved } else { Vec::new() };
            vec![f.output, f.h_n, f.c_n, saved]
        }
        "layer_backward" | "layer_backward_f32" => {
            // The backward pass from `saved` as given (random values: no forward pass behind
            // them), read as the packed layout defines.
            let l = kernels::layer_dims(d, 0);
            let spec = lr::Spec {
                cell: l.cell,
                n_in: l.n_in,
                h: l.h,
                n: l.n,
                t: l.t,
                reverse: l.reverse == 1,
            };
            let lengths: Vec<usize> = i[5].iter().map(|&v| v as usize).collect();
            let up = lr::Upstream {
                d_output: i[0].clone(),
                dh_n: i[1].clone(),
                dc_n: i[2].clone(),
            };
            let g = lr::backward_saved(
                &spec, &i[3], &i[4], &lengths, &i[6], &i[7], &i[8], &i[9], &i[10], &up,
            );
            vec![g.dx, g.dh0, g.dc0, g.dw_ih, g.dw_hh, g.db_ih, g.db_hh]
        }
        other => panic!("no reference for {other}"),
    }
}

#[test]
fn kernels_match_the_naive_reference() {
    let all = kernels::all();
    let counts = Counts::new(&["finite", "with specials", "values refused"]);
    let strategy = (
        0..all.len(),
        dims(small_dim(), 0usize..=7),
        any::<u64>(),
        0usize..=3,
        prop::bool::weighted(0.25),
    );
    let result = harness::runner(file!()).run(&strategy, |(ki, d, seed, extra_ws, specials)| {
        let k = &all[ki];
        let lens: Vec<usize> = (k.lens)(&d).into_iter().map(Option::unwrap).collect();
        let n_in = k.n_inputs();
        let mut rng = Rng::new(seed);
        // The float32 twins take float32 values (a float64 subnormal is 0 there, and 0·∞
        // is NaN where the subnormal's product is ∞).
        let f32 = k.name.ends_with("_f32");
        let inputs: Vec<Vec<f64>> = lens[..n_in]
            .iter()
            .enumerate()
            .map(|(b, &n)| input_values(k, b, &d, &mut rng, n, specials))
            .map(|v| {
                if f32 {
                    v.iter().map(|&x| f64::from(x as f32)).collect()
                } else {
                    v
                }
            })
            .collect();
        let mut out_lens = lens[n_in..].to_vec();
        if k.bufs.last().map(|b| b.1) == Some(Role::Workspace) {
            *out_lens.last_mut().unwrap() += extra_ws;
        }
        let (ok, outs, guards) = call(k, &d, &inputs, &out_lens);
        let input_refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
        if !(k.values_ok)(&d, &input_refs) {
            // (Now and then a target that is not a class index: refused, nothing written.)
            prop_assert!(!ok && guards, "{} accepted refused values", k.name);
            let untouched = outs
                .iter()
                .flatten()
                .all(|v| v.to_bits() == junk().to_bits());
            prop_assert!(untouched, "{}: a refused call wrote to its outputs", k.name);
            counts.add("values refused");
            return Ok(());
        }
        prop_assert!(ok, "{} rejected valid dims {:?}", k.name, d);
        prop_assert!(guards, "{} wrote outside its slices for {:?}", k.name, d);
        let want = reference(k.name, &d, &inputs);
        // The float32 twins' sums round to float32, and these weights (up to ±2, where a
        // layer's are ±1/√h) amplify that over the steps: 4.4e-5 seen after 3 steps of 17 units.
        let tol = if f32 { 1e-3 } else { 1e-10 };
        for (((got, want), &(name, _)), _) in outs.iter().zip(&want).zip(&k.bufs[n_in..]).zip(0..) {
            let result = std::panic::catch_unwind(|| {
                if specials {
                    r::assert_close_nonfinite(name, got, want, tol)
                } else {
                    r::assert_close(name, got, want, tol)
                }
            });
            prop_assert!(
                result.is_ok(),
                "{}: {} differs from the reference for {:?}",
                k.name,
                name,
                d
            );
        }
        counts.add(if specials { "with specials" } else { "finite" });
        Ok(())
    });
    counts.finish("rnn-core against the naive reference", result);
}

#[test]
fn any_dimensions_and_lengths_are_checked_before_any_write() {
    let all = kernels::all();
    let counts = Counts::new(&["accepted", "rejected"]);
    let len_choice = (0u8..5, 0usize..64);
    let strategy = (
        0..all.len(),
        dims(any_dim(), any_dim()),
        // One choice per buffer of the kernel with the most.
        prop::collection::vec(
            len_choice,
            all.iter().map(|k| k.bufs.len()).max().unwrap_or(0),
        ),
        any::<u64>(),
        any::<bool>(),
    );
    let result = harness::runner(file!()).run(&strategy, |(ki, d, choices, seed, perturb)| {
        let k = &all[ki];
        // Each length: the required one where it is small enough to allocate, or (in half the
        // cases) now and then one off it, or anything small.
        let lens: Vec<usize> = (k.lens)(&d)
            .into_iter()
            .zip(&choices)
            .map(
                |(req, &(how, any))| match (req.filter(|&n| n <= 1 << 14), how) {
                    (Some(n), _) if !perturb => n,
                    (Some(n), 0 | 1) => n,
                    (Some(n), 2) => n + 1,
                    (Some(n), 3) => n.saturating_sub(1),
                    _ => any,
                },
            )
            .collect();
        let n_in = k.n_inputs();
        let mut rng = Rng::new(seed);
        let inputs: Vec<Vec<f64>> = lens[..n_in]
            .iter()
            .enumerate()
            .map(|(b, &n)| input_values(k, b, &d, &mut rng, n, true))
            .collect();
        let input_refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
        let expected = model::lengths_ok(k, &d, &lens) && (k.values_ok)(&d, &input_refs);
        let (ok, outs, guards) = call(k, &d, &inputs, &lens[n_in..]);
        prop_assert_eq!(ok, expected, "{}: dims {:?}, lengths {:?}", k.name, d, lens);
        prop_assert!(guards, "{} wrote outside its slices", k.name);
        if !ok {
            let untouched = outs
                .iter()
                .flatten()
                .all(|v| v.to_bits() == junk().to_bits());
            prop_assert!(
                untouched,
                "{}: a rejected call wrote to its outputs",
                k.name
            );
        }
        counts.add(if ok { "accepted" } else { "rejected" });
        Ok(())
    });
    counts.finish("rnn-core length and dimension checks", result);
}
