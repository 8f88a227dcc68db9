#!/usr/bin/env node
// Training throughput (characters per second) of the default `rnn-wasm train` model on every
// backend that loads, side by side in one process: LSTM, n_a = 64, a 62-token vocabulary, 32
// sequences of 24 characters per step, Adam with clipping. Backends take turns in rounds so
// that all of them see the same machine load; the median round is reported.
//
//   npm run build && node bench/training/run.mjs [--rounds=3]

import { performance } from 'node:perf_hooks';
import { Adam, LSTMModel, backendErrors, setBackend } from '../../dist/index.js';

const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
const [n, n_a, m, T] = [62, 64, 32, 24];
const tokens = Array.from({ length: T * m }, (_, i) => (i * 7) % n);
const targets = tokens.map((k) => (k + 1) % n);
const batch = { tokens, targets, T, m };
const unavailable = backendErrors();
const all = /** @type {import('../../dist/index.js').BackendName[]} */ (['native', 'wasm', 'js']);
const backends = all.filter((b) => !(b in unavailable));
// About a second per round and backend on this workload: js runs ~20× fewer steps.
const steps = { native: 120, wasm: 60, js: 4 };

/** @type {Record<string, number[]>} */
const rates = Object.fromEntries(backends.map((b) => [b, []]));
for (let round = 0; round < rounds; round++) {
  for (const b of backends) {
    setBackend(b);
    const model = new LSTMModel({ n_x: n, n_a, n_y: n, seed: 1 });
    const optimizer = new Adam({ lr: 0.01 });
    model.trainStep(batch, optimizer, { norm: 5 }); // warm-up: JIT, arena growth
    const t0 = performance.now();
    for (let s = 0; s < steps[b]; s++) model.trainStep(batch, optimizer, { norm: 5 });
    rates[b].push((steps[b] * T * m) / ((performance.now() - t0) / 1000));
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`training throughput, LSTM n_a=${n_a}, vocabulary ${n}, T=${T}, m=${m}; median of ${rounds} rounds`);
for (const b of backends) {
  const r = median(rates[b]);
  const vsJs = rates.js ? ` (${(r / median(rates.js)).toFixed(1)}× js)` : '';
  console.log(`  ${b.padEnd(7)} ${Math.round(r).toLocaleString('en-US').padStart(8)} chars/s${vsJs}`);
}
for (const [b, why] of Object.entries(unavailable)) console.log(`  ${b.padEnd(7)} skipped: ${why}`);
