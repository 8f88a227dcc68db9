//! Every kernel export of `rnn-wasm`, called natively with hostile pointers, lengths and
//! dimensions over a canary-filled simulated linear memory.
//!
//! Each case lays the kernel's buffers out validly, then applies up to four mutations (null,
//! misaligned, below or past memory, wrapping addresses, huge or off-by-one lengths, outputs
//! overlapping other buffers, empty buffers with wild pointers, wrong or huge dimensions).
//! The export's status must equal what `rnn_fuzz::model` predicts; a rejected call must leave
//! every byte of memory as it was; an accepted call may change only the bytes of its declared
//! outputs and workspace, and its outputs must be exactly what `rnn-core` computes from the
//! same inputs.

mod harness;

use proptest::prelude::*;
use rnn_core::Dims;
use rnn_fuzz::kernels::{self, Kernel, Role};
use rnn_fuzz::model;
use rnn_fuzz::reference::Rng;

use harness::{input_values, same, Counts};

/// Simulated linear memory: 512 KiB.
const MEM_WORDS: usize = 1 << 16;

/// A word no kernel computes by chance, varied by position so that a shifted write shows.
fn canary(i: usize) -> u64 {
    0x7FF4_C0DE_0000_0000 | (i as u64).wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF
}

/// One change to an otherwise valid call.
#[derive(Clone, Debug)]
struct Mutation {
    /// Which buffer or dimension (taken modulo their count).
    target: usize,
    kind: u8,
    arg: u64,
}

const MUTATION_KINDS: u8 = 11;

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..=5,
        1 => Just(0usize),
        1 => Just(1usize),
        1 => prop::sample::select(vec![7usize, 11, 13]),
    ]
}

fn dims() -> impl Strategy<Value = Dims> {
    (dim(), dim(), dim(), dim(), 0usize..=6).prop_map(|(n_x, n_a, n_y, m, t)| Dims {
        n_x,
        n_a,
        n_y,
        m,
        t,
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (any::<usize>(), 0..MUTATION_KINDS, any::<u64>()).prop_map(|(target, kind, arg)| Mutation {
        target,
        kind,
        arg,
    })
}

/// Applies `m` to the buffers `bufs` (byte address, length) or the dimensions `d`.
fn mutate(m: &Mutation, bufs: &mut [(usize, usize)], d: &mut Dims, base: usize) {
    let i = m.target % bufs.len();
    let small = (m.arg % 9) as usize;
    let end = base + MEM_WORDS * 8;
    match m.kind {
        0 => bufs[i].0 = base,                               // null (wasm32 address 0)
        1 => bufs[i].0 += 1 + small % 7,                     // misaligned
        2 => bufs[i].0 = end - 8 * small,                    // runs past the end of memory
        3 => bufs[i].0 = base.wrapping_sub(8 * (1 + small)), // below memory
        4 => bufs[i].0 = usize::MAX - 7 - 8 * small,         // the top of the address space: wraps
        5 => {
            bufs[i].1 = [
                usize::MAX,
                usize::MAX / 8 + 1, // byte length wraps exactly to 0 in 64 bits
                u32::MAX as usize,
                (u32::MAX as usize + 1) / 8, // 4 GiB
                1 << 61,
            ][small % 5]
        }
        6 => bufs[i].1 = bufs[i].1.wrapping_add(1),
        7 => bufs[i].1 = bufs[i].1.saturating_sub(1),
        8 => {
            // Point this buffer into another one (an output overlapping is rejected; inputs
            // may share bytes).
            let j = (m.arg as usize / 16) % bufs.len();
            let shift = 8 * (small % 3);
            bufs[i].0 = bufs[j].0.wrapping_add(shift);
        }
        9 => *bufs.get_mut(i).unwrap() = (m.arg as usize, 0), // empty, with a wild pointer
        _ => {
            let v = [
                0,
                1,
                2,
                usize::MAX,
                1 << 32,
                1 << 31,
                usize::MAX / 4 + 1,
                6,
                3,
            ][small];
            match m.target % 5 {
                0 => d.n_x = v,
                1 => d.n_a = v,
                2 => d.n_y = v,
                3 => d.m = v,
                _ => d.t = v,
            }
        }
    }
}

/// Runs one case; returns the export's status.
fn run_case(
    k: &Kernel,
    d0: Dims,
    gaps: &[u8],
    seed: u64,
    mutations: &[Mutation],
) -> Result<i32, TestCaseError> {
    let mut mem: Vec<u64> = (0..MEM_WORDS).map(canary).collect();
    let lens: Vec<usize> = (k.lens)(&d0)
        .into_iter()
        .map(|l| l.expect("small dimensions never overflow"))
        .collect();
    let mut rng = Rng::new(seed);

    // A valid layout from word 1 on (word 0 is the null address), inputs filled with data.
    let mut word = 1;
    let mut places = Vec::new();
    for (b, &len) in lens.iter().enumerate() {
        word += usize::from(gaps[b % gaps.len()]);
        places.push((word, len));
        if k.bufs[b].1 == Role::Input && word + len <= MEM_WORDS {
            for (w, v) in input_values(k, b, &d0, &mut rng, len, true)
                .into_iter()
                .enumerate()
            {
                mem[word + w] = v.to_bits();
            }
        }
        word += len;
    }

    let snapshot = mem.clone();
    let result = rnn_fuzz::rnn_wasm::simulated::with_memory(&mut mem, |base| {
        let mut bufs: Vec<(usize, usize)> =
            places.iter().map(|&(w, l)| (base + 8 * w, l)).collect();
        let mut d = d0;
        for m in mutations {
            mutate(m, &mut bufs, &mut d, base);
        }
        let got = (k.export)(&d, &bufs);
        (d, got, bufs, base)
    });
    let (d, got, bufs, base) = result;
    // The model reads input values from memory as it was before the call.
    let read = |i: usize| {
        let (addr, len) = bufs[i];
        if len == 0 {
            return Vec::new(); // any pointer
        }
        let at = (addr - base) / 8;
        snapshot[at..at + len]
            .iter()
            .map(|&b| f64::from_bits(b))
            .collect()
    };
    let want = model::export_status(k, &d, &bufs, base, (MEM_WORDS * 8) as u64, read);
    // Where each buffer lies as word indices (meaningful only for an accepted call).
    let words: Vec<(usize, usize)> = bufs
        .iter()
        .map(|&(addr, len)| (addr.wrapping_sub(base) / 8, len))
        .collect();
    prop_assert_eq!(
        got,
        want,
        "{}: status for dims {:?}, buffers {:?}",
        k.name,
        d,
        words
    );

    if got != 0 {
        let changed = (0..MEM_WORDS).find(|&w| mem[w] != snapshot[w]);
        prop_assert!(
            changed.is_none(),
            "{}: rejected call wrote word {:?}",
            k.name,
            changed
        );
        return Ok(got);
    }

    // Accepted: nothing outside the outputs and workspace changed...
    let writable = |w: usize| {
        words.iter().zip(k.bufs).any(|(&(at, len), &(_, role))| {
            role != Role::Input && len > 0 && (at..at + len).contains(&w)
        })
    };
    let stray = (0..MEM_WORDS).find(|&w| mem[w] != snapshot[w] && !writable(w));
    prop_assert!(
        stray.is_none(),
        "{}: wrote word {:?} outside its outputs",
        k.name,
        stray
    );

    // ...and the outputs are what the core computes from the same inputs, whatever the
    // outputs held before (the core's start as zeros, the export's as canaries).
    // (An empty buffer may carry any pointer: it reads as empty.)
    let f = |w: &(usize, usize), from: &[u64]| -> Vec<f64> {
        if w.1 == 0 {
            return Vec::new();
        }
        from[w.0..w.0 + w.1]
            .iter()
            .map(|&b| f64::from_bits(b))
            .collect()
    };
    let n_in = k.n_inputs();
    let inputs: Vec<Vec<f64>> = words[..n_in].iter().map(|w| f(w, &snapshot)).collect();
    let mut outputs: Vec<Vec<f64>> = words[n_in..].iter().map(|w| vec![0.0; w.1]).collect();
    let input_refs: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
    let mut output_refs: Vec<&mut [f64]> = outputs.iter_mut().map(|v| v.as_mut_slice()).collect();
    prop_assert!((k.core)(&d, &input_refs, &mut output_refs).is_ok());
    for (o, (w, &(name, role))) in outputs
        .iter()
        .zip(words[n_in..].iter().zip(&k.bufs[n_in..]))
    {
        if role == Role::Workspace {
            continue;
        }
        let got = f(w, &mem);
        let bad = (0..o.len()).find(|&e| !same(got[e], o[e]));
        prop_assert!(
            bad.is_none(),
            "{}: output {} differs from the core at {:?}",
            k.name,
            name,
            bad
        );
    }
    Ok(0)
}

#[test]
fn exports_validate_every_argument() {
    let all = kernels::all();
    let counts = Counts::new(&["accepted", "status 1", "status 2", "status 3", "status 4"]);
    let strategy = (
        0..all.len(),
        dims(),
        prop::collection::vec(0u8..=3, 1..=6),
        any::<u64>(),
        // No mutation in about one case in five: valid calls must work, and be right.
        prop_oneof![1 => Just(Vec::new()), 4 => prop::collection::vec(mutation(), 1..=4)],
    );
    let result = harness::runner(file!()).run(&strategy, |(ki, d, gaps, seed, muts)| {
        let status = run_case(&all[ki], d, &gaps, seed, &muts)?;
        counts.add(match status {
            0 => "accepted",
            1 => "status 1",
            2 => "status 2",
            3 => "status 3",
            _ => "status 4",
        });
        Ok(())
    });
    counts.finish("rnn-wasm exports over simulated memory", result);
}
