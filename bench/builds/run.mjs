#!/usr/bin/env node
// Two builds of rnn-wasm side by side in one process: every output of every call compared bit
// for bit, and the calls timed alternately, round after round, so that a busy spell of the
// machine slows both sides of a round instead of one side of the comparison. For checking that a
// refactor changes neither results nor speed.
//
//   node bench/builds/run.mjs --old=<checkout> [--new=<checkout>] [--backends=wasm,native,js]
//                             [--workloads=S,M] [--cells=rnn,lstm] [--ops=forward,train]
//                             [--budget-ms=<per case>]
//
// Each checkout needs its dist/ built (`npm run build`, and `npm run build:native` for native);
// --new defaults to this repository. Prints one markdown row per case: the median time of each
// build, the median over rounds of each round's new/old ratio, the round count, and whether
// every output array was bit-identical.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closures } from '../systems/rnn-wasm.mjs';
import { makeInputs, WORKLOADS } from '../lib/workloads.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? ''];
  }),
);
if (!args.old) {
  console.error('usage: node bench/builds/run.mjs --old=<checkout> [--new=<checkout>] [--backends=...] [--workloads=...]');
  process.exit(2);
}
const list = (value, fallback) => (value || fallback).split(',');
const load = (dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
const oldApi = await load(args.old);
const newApi = await load(args.new || new URL('../..', import.meta.url).pathname);
const BUDGET_MS = { S: 1500, M: 5000, L: 15000 };
const MAX_ROUNDS = { S: 3000, M: 60, L: 60 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

/** Every Float64Array in a result (tuples, gradient dicts, caches), with its path. */
function arrays(value, out = [], path = 'result') {
  if (value instanceof Float64Array) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => arrays(v, out, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) arrays(v, out, `${path}.${k}`);
  return out;
}

/** null when both results hold the same arrays with the same bits, else where they first differ. */
function difference(a, b) {
  const [A, B] = [arrays(a), arrays(b)];
  if (A.length !== B.length) return `${A.length} arrays against ${B.length}`;
  for (let i = 0; i < A.length; i++) {
    const x = new Uint8Array(A[i][1].buffer, A[i][1].byteOffset, A[i][1].byteLength);
    const y = new Uint8Array(B[i][1].buffer, B[i][1].byteOffset, B[i][1].byteLength);
    if (x.length !== y.length) return `${A[i][0]}: length ${x.length / 8} against ${y.length / 8}`;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return `${A[i][0]}: element ${j >> 3} differs`;
  }
  return null;
}

const format = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
console.log('| backend | workload | cell | pass | old | new | new/old | rounds | results |');
console.log('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |');
let differing = 0;
for (const backend of list(args.backends, 'wasm,native,js')) {
  oldApi.setBackend(backend);
  newApi.setBackend(backend);
  if (backend === 'native') {
    oldApi.setThreads(1);
    newApi.setThreads(1);
  }
  for (const workload of list(args.workloads, 'S,M')) {
    if (backend === 'js' && workload !== 'S') continue; // the reference is minutes per call at L
    const inputs = makeInputs(WORKLOADS[workload]);
    for (const cell of list(args.cells, 'rnn,lstm')) {
      for (const op of list(args.ops, 'forward,train')) {
        const fOld = closures(oldApi, cell, inputs)[op];
        const fNew = closures(newApi, cell, inputs)[op];
        const diff = difference(fOld(), fNew());
        if (diff) differing++;
        const t0 = performance.now();
        fOld();
        fNew();
        const first = performance.now() - t0;
        const budget = Number(args['budget-ms'] || BUDGET_MS[workload]);
        const rounds = Math.max(5, Math.min(MAX_ROUNDS[workload], Math.floor(budget / first)));
        const times = { old: [], new: [] };
        const ratios = [];
        for (let i = 0; i < rounds; i++) {
          const order = i % 2 ? [['old', fOld], ['new', fNew]] : [['new', fNew], ['old', fOld]];
          for (const [side, f] of order) {
            const start = performance.now();
            f();
            times[side].push(performance.now() - start);
          }
          ratios.push(times.new[i] / times.old[i]);
        }
        const row = [backend, workload, cell, op === 'train' ? 'fwd+bwd' : 'forward', format(median(times.old)),
          format(median(times.new)), median(ratios).toFixed(3), rounds, diff ?? 'bit-identical'];
        console.log(`| ${row.join(' | ')} |`);
      }
    }
  }
}
process.exitCode = differing ? 1 : 0;
