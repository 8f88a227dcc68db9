/**
 * The layer benchmark's cases: layer shapes, PyTorch-named weights, inputs and upstream
 * gradients, all float64 and deterministic, written once as raw little-endian files that the
 * PyTorch worker reads, so that every system runs the very same numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKLOADS, seededUniform } from '../lib/workloads.mjs';

/** Gates per cell: PyTorch's LSTM i, f, g, o; GRU r, z, n. */
export const GATES = { lstm: 4, gru: 3 };

/**
 * Sequence lengths 1..T averaging about T/2, in a shuffled (unsorted) order: `floor((k+1)·T/N)`
 * for k = 0..N−1 (so one sequence spans all T steps), permuted by a seeded Fisher–Yates.
 */
export function unequalLengths(N, T, seed = 99) {
  const lengths = Array.from({ length: N }, (_, k) => Math.max(1, Math.floor(((k + 1) * T) / N)));
  let s = seed >>> 0;
  for (let i = N - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1));
    [lengths[i], lengths[j]] = [lengths[j], lengths[i]];
  }
  return lengths;
}

/**
 * One case's numbers: the state dict (PyTorch's keys and shapes; uniform in ±1/√H as PyTorch
 * initialises), `x (T, N, F)`, `h0`/`c0 (D·L, N, H)` and the upstream gradients
 * `d_output (T, N, D·H)`, `d_h`, `d_c (D·L, N, H)`, all uniform in ±1.
 */
export function makeCaseData({ cell, inputSize, hiddenSize: H, numLayers, bidirectional, N, T }, seed) {
  const rand = seededUniform(seed);
  const G = GATES[cell];
  const D = bidirectional ? 2 : 1;
  const ws = 1 / Math.sqrt(H);
  const state = {};
  for (let k = 0; k < numLayers; k++) {
    const inK = k === 0 ? inputSize : D * H;
    for (let d = 0; d < D; d++) {
      const sfx = `_l${k}${d ? '_reverse' : ''}`;
      state[`weight_ih${sfx}`] = { data: rand(G * H * inK, ws), shape: [G * H, inK] };
      state[`weight_hh${sfx}`] = { data: rand(G * H * H, ws), shape: [G * H, H] };
      state[`bias_ih${sfx}`] = { data: rand(G * H, ws), shape: [G * H] };
      state[`bias_hh${sfx}`] = { data: rand(G * H, ws), shape: [G * H] };
    }
  }
  const nd = (shape) => ({ data: rand(shape.reduce((a, b) => a * b, 1)), shape });
  const tensors = {
    x: nd([T, N, inputSize]),
    h0: nd([D * numLayers, N, H]),
    d_output: nd([T, N, D * H]),
    d_h: nd([D * numLayers, N, H]),
  };
  if (cell === 'lstm') {
    tensors.c0 = nd([D * numLayers, N, H]);
    tensors.d_c = nd([D * numLayers, N, H]);
  }
  return { state, tensors };
}

/**
 * The cases of a run. `sizes`: workloads (bench/lib/workloads.mjs: inputSize n_x, hiddenSize
 * n_a, batch m, steps T) for single-layer LSTM and GRU; `bidirSizes`: workloads for the 2-layer
 * bidirectional LSTM, once with unequal lengths and once with the same batch at full length
 * (the same weights and inputs; lengths all T, so both take the packed-sequence path).
 * Each case: `{ id, workload, label, cell, inputSize, hiddenSize, numLayers, bidirectional, N,
 * T, lengths, ops, group }`.
 */
export function makeCases(sizes, bidirSizes) {
  /** @type {any[]} */
  const cases = [];
  for (const size of sizes) {
    const w = WORKLOADS[size];
    for (const cell of ['lstm', 'gru']) {
      cases.push({
        id: `${size}-${cell}`,
        workload: size,
        label: cell.toUpperCase(),
        cell,
        inputSize: w.n_x,
        hiddenSize: w.n_a,
        numLayers: 1,
        bidirectional: false,
        N: w.m,
        T: w.T,
        lengths: null,
        group: `${size}-${cell}`,
      });
    }
  }
  for (const size of bidirSizes) {
    const w = WORKLOADS[size];
    const base = {
      workload: size,
      cell: 'lstm',
      inputSize: w.n_x,
      hiddenSize: w.n_a,
      numLayers: 2,
      bidirectional: true,
      N: w.m,
      T: w.T,
      group: `${size}-bilstm`,
      dataOf: `${size}-bilstm-unequal`,
    };
    const lengths = unequalLengths(w.m, w.T);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    cases.push(
      { ...base, id: `${size}-bilstm-unequal`, label: `LSTM 2-layer bidir, lengths mean ${mean.toFixed(1)}`, lengths },
      { ...base, id: `${size}-bilstm-full`, label: `LSTM 2-layer bidir, lengths all ${w.T}`, lengths: new Array(w.m).fill(w.T) },
    );
  }
  return cases;
}

/**
 * Generates every case's numbers (cases sharing `dataOf` share them) and writes them under
 * `dir` with `manifest.json`, the PyTorch worker's input. Returns `Map<id, { state, tensors }>`.
 */
export function writeCases(dir, cases) {
  const data = new Map();
  /** @type {{ cases: any[] }} */
  const manifest = { cases: [] };
  cases.forEach((c, i) => {
    const source = c.dataOf ?? c.id;
    if (!data.has(source)) data.set(source, makeCaseData(c, 1000 + 17 * i));
    data.set(c.id, data.get(source));
    const { state, tensors } = data.get(c.id);
    const caseDir = join(dir, c.id);
    mkdirSync(caseDir, { recursive: true });
    const put = (name, nd) => {
      const file = `${c.id}/${name}.f64`;
      const bytes = new Uint8Array(nd.data.buffer, nd.data.byteOffset, nd.data.byteLength); // little-endian hosts
      writeFileSync(join(dir, file), bytes);
      return { file, shape: nd.shape };
    };
    manifest.cases.push({
      id: c.id,
      cell: c.cell,
      input_size: c.inputSize,
      hidden_size: c.hiddenSize,
      num_layers: c.numLayers,
      bidirectional: c.bidirectional,
      N: c.N,
      T: c.T,
      lengths: c.lengths,
      state: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, put(`state-${k}`, v)])),
      tensors: Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, put(k, v)])),
    });
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return data;
}

/**
 * FLOPs of one call (gate products only, as the main benchmark counts): per layer and
 * direction `2·R·G·H·(in + H)` with R the number of (step, sequence) pairs run; a training
 * step counts 3× forward.
 */
export function layerFlops(c, op) {
  const G = GATES[c.cell];
  const D = c.bidirectional ? 2 : 1;
  const R = c.lengths ? c.lengths.reduce((a, b) => a + b, 0) : c.T * c.N;
  let f = 0;
  for (let k = 0; k < c.numLayers; k++) {
    const inK = k === 0 ? c.inputSize : D * c.hiddenSize;
    f += D * 2 * R * G * c.hiddenSize * (inK + c.hiddenSize);
  }
  return op === 'train' ? 3 * f : f;
}
