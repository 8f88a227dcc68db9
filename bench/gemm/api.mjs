#!/usr/bin/env node
// Times lstm_forward / lstm_backward / rnn_forward / rnn_backward through the built package
// (`npm run build` first) on the wasm backend at the S, M and L shapes, and prints time per
// call and GFLOP/s. Backward is timed on its own (the forward that makes its caches is not
// counted); a training step is forward + backward. Each call is timed on its own; the best
// (least disturbed by other work on the machine) and the median are printed, GFLOP/s from both.
//
//   node bench/gemm/api.mjs [--shapes=S,M,L] [--json=out.json] [--pkg=<package dir>] [--min=<samples>]
//
// --pkg times another copy of the package (a directory holding dist/ and wasm/).

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const SHAPES = {
  S: { n_x: 3, n_a: 5, n_y: 2, m: 10, T: 4 },
  M: { n_x: 64, n_a: 128, n_y: 10, m: 32, T: 50 },
  L: { n_x: 256, n_a: 512, n_y: 10, m: 64, T: 100 },
};

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const wanted = (args.shapes ?? 'S,M,L').split(',');
const pkgUrl = args.pkg ? pathToFileURL(`${resolve(args.pkg)}/`) : new URL('../../', import.meta.url);
const api = await import(new URL('dist/index.js', pkgUrl).href);
api.setBackend('wasm');

let seed = 12345;
function rand() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
}
function arr(shape, scale = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = scale * rand();
  return { data, shape };
}

function inputs({ n_x, n_a, n_y, m, T }) {
  const s = 1 / Math.sqrt(n_a + n_x);
  const lstm = {};
  for (const g of ['f', 'i', 'c', 'o']) {
    lstm[`W${g}`] = arr([n_a, n_a + n_x], s);
    lstm[`b${g}`] = arr([n_a, 1], 0.1);
  }
  lstm.Wy = arr([n_y, n_a], s);
  lstm.by = arr([n_y, 1], 0.1);
  const rnn = {
    Wax: arr([n_a, n_x], s),
    Waa: arr([n_a, n_a], s),
    Wya: arr([n_y, n_a], s),
    ba: arr([n_a, 1], 0.1),
    by: arr([n_y, 1], 0.1),
  };
  return { x: arr([n_x, m, T]), a0: arr([n_a, m], 0.5), da: arr([n_a, m, T]), lstm, rnn };
}

function time(fn, budgetMs, minIters) {
  fn();
  const samples = [];
  const start = performance.now();
  while (samples.length < minIters || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    if (samples.length >= 10000) break;
  }
  samples.sort((a, b) => a - b);
  return { best: samples[0], median: samples[samples.length >> 1], samples: samples.length };
}

const rows = [];
for (const name of wanted) {
  const d = SHAPES[name];
  const inp = inputs(d);
  const budget = name === 'S' ? 500 : name === 'M' ? 1500 : 4000;
  const minIters = Number(args.min ?? (name === 'L' ? 3 : 5));
  for (const cell of ['rnn', 'lstm']) {
    const gates = cell === 'lstm' ? 4 : 1;
    const fwdFlops = 2 * d.T * d.m * gates * d.n_a * (d.n_a + d.n_x);
    const fwd = cell === 'lstm'
      ? () => api.lstm_forward(inp.x, inp.a0, inp.lstm)
      : () => api.rnn_forward(inp.x, inp.a0, inp.rnn);
    const caches = fwd()[cell === 'lstm' ? 3 : 2];
    const bwd = cell === 'lstm'
      ? () => api.lstm_backward(inp.da, caches)
      : () => api.rnn_backward(inp.da, caches);
    const train = () => {
      const c = fwd()[cell === 'lstm' ? 3 : 2];
      return cell === 'lstm' ? api.lstm_backward(inp.da, c) : api.rnn_backward(inp.da, c);
    };
    /** @type {[string, () => unknown, number][]} */
    const ops = [
      ['forward', fwd, fwdFlops],
      ['backward', bwd, 2 * fwdFlops],
      ['train', train, 3 * fwdFlops],
    ];
    for (const [op, fn, flops] of ops) {
      const t = time(fn, budget, minIters);
      const row = {
        shape: name,
        cell,
        op,
        ms_best: t.best,
        ms_median: t.median,
        gflops_best: flops / t.best / 1e6,
        gflops_median: flops / t.median / 1e6,
        samples: t.samples,
      };
      rows.push(row);
      console.log(
        `${name} ${cell.padEnd(4)} ${op.padEnd(8)} ${t.best.toFixed(3).padStart(10)} ms best ${t.median.toFixed(3).padStart(10)} ms median  ${row.gflops_best.toFixed(2).padStart(6)} GFLOP/s best  (${t.samples} samples)`,
      );
    }
  }
}
if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
