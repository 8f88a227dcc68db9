#!/usr/bin/env node
/**
 * Small calls side by side: the fixed cost of one notebook-API call at the S workload, on every
 * backend that loads (wasm, native, js), in µs per call. Each round times a batch of calls per
 * backend, backends alternating within the round so that machine noise hits them alike; the
 * table gives the median over rounds (and the best round).
 *
 *   npm run build && node bench/small-calls.mjs [--rounds=N] [--calls=N] [--ops=lstm_forward,...] [--cpu]
 *
 * `--cpu` times the process's CPU time instead of the wall clock: steadier on a machine that
 * other work shares (it still counts the garbage collector's helper threads).
 *
 * Ops: lstm_forward, lstm_backward (forward + backward), rnn_forward, rnn_backward,
 * lstm_cell_forward, sigmoid.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WORKLOADS, makeInputs } from './lib/workloads.mjs';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(REPO_ROOT, 'dist', 'index.js');

function option(name, fallback) {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

const ROUNDS = Number(option('rounds', '15'));
const CALLS = Number(option('calls', '2000'));
const OPS = option('ops', 'lstm_forward,lstm_backward,rnn_forward,rnn_backward').split(',');
const CPU = process.argv.includes('--cpu');

/** Microseconds: of CPU time with `--cpu`, else of wall time. */
function clock() {
  if (CPU) {
    const { user, system } = process.cpuUsage();
    return user + system;
  }
  return Number(process.hrtime.bigint()) / 1000;
}

/** One closure per op over the S inputs; backward ops time a forward and a backward call. */
function operations(api, inp) {
  const [, , , lstmCaches] = api.lstm_forward(inp.x, inp.a0, inp.lstm);
  const [, , rnnCaches] = api.rnn_forward(inp.x, inp.a0, inp.rnn);
  const xt = { data: inp.x.data.slice(0, inp.x.shape[0] * inp.x.shape[1]), shape: inp.x.shape.slice(0, 2) };
  const c0 = { data: new Float64Array(inp.a0.data.length), shape: inp.a0.shape };
  return {
    lstm_forward: () => api.lstm_forward(inp.x, inp.a0, inp.lstm),
    lstm_backward: () => api.lstm_backward(inp.da, lstmCaches),
    rnn_forward: () => api.rnn_forward(inp.x, inp.a0, inp.rnn),
    rnn_backward: () => api.rnn_backward(inp.da, rnnCaches),
    lstm_cell_forward: () => api.lstm_cell_forward(xt, inp.a0, c0, inp.lstm),
    sigmoid: () => api.sigmoid(inp.a0),
  };
}

/** µs per call of `calls` calls of `fn`. */
function timeBatch(fn, calls) {
  let sink = 0;
  const start = clock();
  for (let i = 0; i < calls; i++) sink += fn().length ?? 0;
  const us = clock() - start;
  if (sink < 0) console.log(sink);
  return us / calls;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  if (!existsSync(DIST)) {
    console.error('small-calls: dist/ is missing; run `npm run build` first');
    process.exit(1);
  }
  const api = await import(pathToFileURL(DIST).href);
  const inp = makeInputs(WORKLOADS.S);
  const backends = [];
  for (const name of ['wasm', 'native', 'js']) {
    try {
      api.setBackend(name);
      backends.push({ name, ops: operations(api, inp) });
    } catch (error) {
      console.error(`small-calls: ${name} skipped (${error instanceof Error ? error.message : error})`);
    }
  }
  const { n_x, n_a, m, T } = WORKLOADS.S;
  console.log(`S workload (n_x ${n_x}, n_a ${n_a}, m ${m}, T_x ${T}); ${ROUNDS} rounds × ${CALLS} calls; ${CPU ? 'µs of CPU time' : 'µs'} per call, median (best)`);
  const header = ['op', ...backends.map((b) => b.name)];
  const rows = [];
  for (const op of OPS) {
    /** @type {Record<string, number[]>} */
    const samples = Object.fromEntries(backends.map((b) => [b.name, []]));
    for (const b of backends) {
      api.setBackend(b.name);
      timeBatch(b.ops[op], CALLS); // warm-up
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const b of backends) {
        api.setBackend(b.name);
        samples[b.name].push(timeBatch(b.ops[op], CALLS));
      }
    }
    rows.push([op, ...backends.map((b) => `${median(samples[b.name]).toFixed(2)} (${Math.min(...samples[b.name]).toFixed(2)})`)]);
  }
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells) => cells.map((c, k) => c.padEnd(widths[k])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

await main();
