//! Every kernel rejects wrong slice lengths with `Err`, and no combination
//! of dimensions and lengths makes one panic or run away.

mod common;

use common::Rng;
use rnn_core::gemm::{MR, NR};
use rnn_core::{
    lstm_backward, lstm_backward_workspace_len, lstm_forward, lstm_forward_workspace_len,
    rnn_backward, rnn_backward_workspace_len, rnn_forward, rnn_forward_workspace_len, Dims,
    KernelError, LstmBackwardIn, LstmBackwardOut, LstmForwardIn, LstmForwardOut, RnnBackwardIn,
    RnnBackwardOut, RnnForwardIn, RnnForwardOut,
};

type Runner = fn(&Dims, &[Vec<f64>], &mut [Vec<f64>]) -> Result<(), KernelError>;

/// A kernel seen as: dims, then its slices in order (the last one is the
/// workspace), with `n_in` leading inputs.
struct Kernel {
    name: &'static str,
    n_in: usize,
    lens: fn(&Dims) -> Vec<Option<usize>>,
    workspace: fn(&Dims) -> Option<usize>,
    run: Runner,
}

fn mul(f: &[usize]) -> Option<usize> {
    if f.contains(&0) {
        return Some(0);
    }
    f.iter().try_fold(1usize, |a, &b| a.checked_mul(b))
}

fn kernels() -> [Kernel; 4] {
    [
        Kernel {
            name: "rnn_forward",
            n_in: 7,
            lens: |d| {
                vec![
                    mul(&[d.t, d.n_x, d.m]),
                    mul(&[d.n_a, d.m]),
                    mul(&[d.n_a, d.n_x]),
                    mul(&[d.n_a, d.n_a]),
                    Some(d.n_a),
                    mul(&[d.n_y, d.n_a]),
                    Some(d.n_y),
                    mul(&[d.t, d.n_a, d.m]),
                    mul(&[d.t, d.n_y, d.m]),
                ]
            },
            workspace: rnn_forward_workspace_len,
            run: |d, i, o| {
                let [a, y, ws] = o else { unreachable!() };
                let i = RnnForwardIn {
                    x: &i[0],
                    a0: &i[1],
                    wax: &i[2],
                    waa: &i[3],
                    ba: &i[4],
                    wya: &i[5],
                    by: &i[6],
                };
                rnn_forward(d, i, RnnForwardOut { a, y }, ws)
            },
        },
        Kernel {
            name: "rnn_backward",
            n_in: 6,
            lens: |d| {
                let seq_a = mul(&[d.t, d.n_a, d.m]);
                let seq_x = mul(&[d.t, d.n_x, d.m]);
                vec![
                    seq_a,
                    seq_a,
                    seq_a,
                    seq_x,
                    mul(&[d.n_a, d.n_x]),
                    mul(&[d.n_a, d.n_a]),
                    seq_x,
                    mul(&[d.n_a, d.m]),
                    mul(&[d.n_a, d.n_x]),
                    mul(&[d.n_a, d.n_a]),
                    Some(d.n_a),
                ]
            },
            workspace: rnn_backward_workspace_len,
            run: |d, i, o| {
                let [dx, da0, dwax, dwaa, dba, ws] = o else {
                    unreachable!()
                };
                let i = RnnBackwardIn {
                    da: &i[0],
                    a_next: &i[1],
                    a_prev: &i[2],
                    x: &i[3],
                    wax: &i[4],
                    waa: &i[5],
                };
                let o = RnnBackwardOut {
                    dx,
                    da0,
                    dwax,
                    dwaa,
                    dba,
                };
                rnn_backward(d, i, o, ws)
            },
        },
        Kernel {
            name: "lstm_forward",
            n_in: 7,
            lens: |d| {
                let g = d.n_a.checked_mul(4);
                let k = d.n_a.checked_add(d.n_x);
                let w = g.zip(k).and_then(|(g, k)| mul(&[g, k]));
                vec![
                    mul(&[d.t, d.n_x, d.m]),
                    mul(&[d.n_a, d.m]),
                    mul(&[d.n_a, d.m]),
                    w,
                    g,
                    mul(&[d.n_y, d.n_a]),
                    Some(d.n_y),
                    mul(&[d.t, d.n_a, d.m]),
                    mul(&[d.t, d.n_a, d.m]),
                    mul(&[d.t, d.n_y, d.m]),
                    g.and_then(|g| mul(&[d.t, g, d.m])),
                ]
            },
            workspace: lstm_forward_workspace_len,
            run: |d, i, o| {
                let [a, c, y, gates, ws] = o else {
                    unreachable!()
                };
                let i = LstmForwardIn {
                    x: &i[0],
                    a0: &i[1],
                    c0: &i[2],
                    w: &i[3],
                    b: &i[4],
                    wy: &i[5],
                    by: &i[6],
                };
                lstm_forward(d, i, LstmForwardOut { a, c, y, gates }, ws)
            },
        },
        Kernel {
            name: "lstm_backward",
            n_in: 8,
            lens: |d| {
                let g = d.n_a.checked_mul(4);
                let k = d.n_a.checked_add(d.n_x);
                let w = g.zip(k).and_then(|(g, k)| mul(&[g, k]));
                let seq_a = mul(&[d.t, d.n_a, d.m]);
                let seq_x = mul(&[d.t, d.n_x, d.m]);
                vec![
                    seq_a,
                    mul(&[d.n_a, d.m]),
                    seq_a,
                    seq_a,
                    seq_a,
                    g.and_then(|g| mul(&[d.t, g, d.m])),
                    seq_x,
                    w,
                    seq_x,
                    mul(&[d.n_a, d.m]),
                    mul(&[d.n_a, d.m]),
                    w,
                    g,
                ]
            },
            workspace: lstm_backward_workspace_len,
            run: |d, i, o| {
                let [dx, da0, dc0, dw, db, ws] = o else {
                    unreachable!()
                };
                let i = LstmBackwardIn {
                    da: &i[0],
                    dc_last: &i[1],
                    c_next: &i[2],
                    c_prev: &i[3],
                    a_prev: &i[4],
                    gates: &i[5],
                    x: &i[6],
                    w: &i[7],
                };
                let o = LstmBackwardOut {
                    dx,
                    da0,
                    dc0,
                    dw,
                    db,
                };
                lstm_backward(d, i, o, ws)
            },
        },
    ]
}

fn call(k: &Kernel, d: &Dims, lens: &[usize]) -> Result<(), KernelError> {
    let inputs: Vec<Vec<f64>> = lens[..k.n_in].iter().map(|&n| vec![0.5; n]).collect();
    let mut outputs: Vec<Vec<f64>> = lens[k.n_in..].iter().map(|&n| vec![f64::NAN; n]).collect();
    (k.run)(d, &inputs, &mut outputs)
}

#[test]
fn each_wrong_length_is_rejected() {
    let dims = [
        Dims {
            n_x: 3,
            n_a: 4,
            n_y: 2,
            m: 5,
            t: 3,
        },
        Dims {
            n_x: 1,
            n_a: 1,
            n_y: 1,
            m: 1,
            t: 1,
        },
        Dims {
            n_x: 2,
            n_a: 3,
            n_y: 2,
            m: 0,
            t: 2,
        },
        Dims {
            n_x: 2,
            n_a: 3,
            n_y: 2,
            m: 2,
            t: 0,
        },
    ];
    for k in kernels() {
        for d in &dims {
            let mut lens: Vec<usize> = (k.lens)(d).into_iter().map(Option::unwrap).collect();
            let ws = (k.workspace)(d).unwrap();
            lens.push(ws);
            assert_eq!(call(&k, d, &lens), Ok(()), "{} {d:?}", k.name);
            // A longer workspace is fine, a shorter one is not.
            let mut longer = lens.clone();
            *longer.last_mut().unwrap() += 7;
            assert_eq!(call(&k, d, &longer), Ok(()), "{} {d:?} long ws", k.name);
            if ws > 0 {
                let mut shorter = lens.clone();
                *shorter.last_mut().unwrap() -= 1;
                assert!(call(&k, d, &shorter).is_err(), "{} {d:?} short ws", k.name);
            }
            for i in 0..lens.len() - 1 {
                for delta in [-1isize, 1] {
                    let Some(n) = lens[i].checked_add_signed(delta) else {
                        continue;
                    };
                    let mut bad = lens.clone();
                    bad[i] = n;
                    let err = call(&k, d, &bad);
                    assert!(
                        err.is_err(),
                        "{} {d:?}: slice {i} with length {n} accepted",
                        k.name
                    );
                }
            }
        }
    }
}

#[test]
fn error_names_the_argument() {
    let d = Dims {
        n_x: 2,
        n_a: 3,
        n_y: 1,
        m: 1,
        t: 1,
    };
    let i = RnnForwardIn {
        x: &[0.0; 2],
        a0: &[0.0; 3],
        wax: &[0.0; 6],
        waa: &[0.0; 8],
        ba: &[0.0; 3],
        wya: &[0.0; 3],
        by: &[0.0],
    };
    let o = RnnForwardOut {
        a: &mut [0.0; 3],
        y: &mut [0.0],
    };
    let err = rnn_forward(&d, i, o, &mut []).unwrap_err();
    assert_eq!(
        err,
        KernelError::Length {
            arg: "waa",
            expected: 9,
            actual: 8
        }
    );
    assert_eq!(err.to_string(), "`waa` has length 8, expected 9");
}

#[test]
fn huge_and_random_dims_never_panic() {
    let pool = [
        0usize,
        1,
        2,
        3,
        5,
        usize::MAX,
        usize::MAX / 2,
        usize::MAX / 4 + 1,
        1 << 32,
        (1 << 32) + 1,
        1 << 62,
    ];
    let mut rng = Rng::new(40);
    for k in kernels() {
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut pick = || pool[rng.below(pool.len() as u64) as usize];
            let d = Dims {
                n_x: pick(),
                n_a: pick(),
                n_y: pick(),
                m: pick(),
                t: pick(),
            };
            let mut lens: Vec<usize> = (k.lens)(&d)
                .into_iter()
                .map(|want| match want {
                    Some(n) if n <= 64 && rng.below(8) != 0 => n,
                    _ => rng.below(4) as usize,
                })
                .collect();
            let ws = match (k.workspace)(&d) {
                Some(n) if n <= 64 => n,
                _ => rng.below(4) as usize,
            };
            lens.push(ws);
            accepted += usize::from(call(&k, &d, &lens).is_ok());
        }
        // Some calls must get past validation for the run to mean anything.
        assert!(accepted > 50, "{}: only {accepted} calls accepted", k.name);
        println!("{}: {accepted} of 20000 random calls accepted", k.name);
    }
}

#[test]
fn empty_sequences_with_huge_step_counts_return_at_once() {
    // Every per-step buffer is empty, so the work is nil whatever T is.
    for k in kernels() {
        for d in [
            Dims {
                n_x: 2,
                n_a: 3,
                n_y: 4,
                m: 0,
                t: usize::MAX,
            },
            Dims {
                n_x: 0,
                n_a: 0,
                n_y: 0,
                m: 9,
                t: usize::MAX,
            },
            Dims {
                n_x: 1 << 40,
                n_a: 0,
                n_y: 0,
                m: 0,
                t: usize::MAX,
            },
        ] {
            let mut lens: Vec<usize> = (k.lens)(&d).into_iter().map(Option::unwrap).collect();
            lens.push((k.workspace)(&d).unwrap());
            assert_eq!(call(&k, &d, &lens), Ok(()), "{} {d:?}", k.name);
        }
    }
}

#[test]
fn workspace_len_is_none_on_overflow() {
    let d = Dims {
        n_x: 1,
        n_a: usize::MAX / 2,
        n_y: 1,
        m: 1,
        t: 1,
    };
    assert_eq!(rnn_forward_workspace_len(&d), None);
    assert_eq!(rnn_backward_workspace_len(&d), None);
    assert_eq!(lstm_forward_workspace_len(&d), None);
    assert_eq!(lstm_backward_workspace_len(&d), None);
    let d = Dims {
        n_x: 1,
        n_a: 1 << 40,
        n_y: 1,
        m: 0,
        t: 1,
    };
    assert_eq!(
        lstm_backward_workspace_len(&d),
        None,
        "w has 4·n_a·(n_a+n_x) elements"
    );
    let d = Dims {
        n_x: 3,
        n_a: 4,
        n_y: 2,
        m: 5,
        t: 6,
    };
    // Packed operands round rows (left) or columns (right) up to whole
    // panels of MR rows (NR columns): [W | b] (n_a or 4·n_a) × 8, a step
    // input 8 × 5, [Wy | by] 2 × 5, a hidden state with its ones row 5 × 5.
    let (lr, rc) = (
        |n: usize| n.div_ceil(MR) * MR,
        |n: usize| n.div_ceil(NR) * NR,
    );
    let output_layer = lr(2) * 5 + 5 * rc(5);
    assert_eq!(
        rnn_forward_workspace_len(&d),
        Some(lr(4) * 8 + 8 * rc(5) + output_layer)
    );
    assert_eq!(
        lstm_forward_workspace_len(&d),
        Some(lr(16) * 8 + 8 * rc(5) + output_layer)
    );
    // Backward: per-step gradients T·rows·m, Waᵀ and Wxᵀ packed (n_a and
    // n_x rows, k = rows), one packed step (rows × 5), the gradient
    // accumulator rows × 8, and one run of all 6 steps (k = 30) packed on
    // both sides (rows × 30, 30 × 8).
    let backward = |rows: usize| {
        6 * rows * 5 + (lr(4) + lr(3)) * rows + rows * rc(5) + rows * 8 + lr(rows) * 30 + 30 * rc(8)
    };
    assert_eq!(rnn_backward_workspace_len(&d), Some(backward(4)));
    assert_eq!(lstm_backward_workspace_len(&d), Some(backward(16)));
}
