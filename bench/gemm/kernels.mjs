#!/usr/bin/env node
// Times the four sequence kernels of wasm/rnn_wasm.wasm (rnn_forward, rnn_backward,
// lstm_forward, lstm_backward) by calling the exports directly on buffers prepared once in
// linear memory: the Rust-side cost of a call, without the TypeScript layer's validation,
// layout conversion and copies. Prints ms per call and GFLOP/s at S, M and L.
//
//   node bench/gemm/kernels.mjs [--shapes=S,M,L] [--json=<path>] [--wasm=<module path>]
//
// Each figure is the best of many calls (the least disturbed by other work on the machine),
// with the median beside it.

import { readFileSync, writeFileSync } from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const SHAPES = {
  S: { n_x: 3, n_a: 5, n_y: 2, m: 10, T: 4 },
  M: { n_x: 64, n_a: 128, n_y: 10, m: 32, T: 50 },
  L: { n_x: 256, n_a: 512, n_y: 10, m: 64, T: 100 },
};
const wanted = (args.shapes ?? 'S,M,L').split(',');
// Kernels are called by export name below, so the exports are typed as a name → function map.
const instance = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(args.wasm ?? new URL('../../wasm/rnn_wasm.wasm', import.meta.url))),
  {},
);
const wasm = /** @type {import('../../ts/generated/abi.js').WasmExports & Record<string, (...args: number[]) => number>} */ (
  /** @type {unknown} */ (instance.exports)
);

/** Allocates `lengths` (in f64 elements) in linear memory; returns their byte addresses. */
function allocate(lengths) {
  return lengths.map((n) => {
    const ptr = wasm.rnn_alloc(Math.max(8, n * 8)) >>> 0;
    if (!ptr) throw new Error('rnn_alloc failed');
    const view = new Float64Array(wasm.memory.buffer, ptr, n);
    for (let i = 0; i < n; i++) view[i] = Math.sin(i * 0.7 + n) * 0.3;
    return ptr;
  });
}

/** Arguments `(ptr, len)` for each buffer. */
const pairs = (ptrs, lens) => ptrs.flatMap((p, i) => [p, lens[i]]);

function kernels({ n_x, n_a, n_y, m, T }) {
  const g = 4 * n_a;
  const k = n_a + n_x;
  const specs = {
    rnn_forward: {
      dims: [n_x, n_a, n_y, m, T],
      lens: [T * n_x * m, n_a * m, n_a * n_x, n_a * n_a, n_a, n_y * n_a, n_y, T * n_a * m, T * n_y * m],
      ws: 'rnn_forward_workspace',
      flops: 2 * T * m * n_a * k,
    },
    rnn_backward: {
      dims: [n_x, n_a, m, T],
      lens: [T * n_a * m, T * n_a * m, T * n_a * m, T * n_x * m, n_a * n_x, n_a * n_a, T * n_x * m, n_a * m, n_a * n_x, n_a * n_a, n_a],
      ws: 'rnn_backward_workspace',
      flops: 4 * T * m * n_a * k,
    },
    lstm_forward: {
      dims: [n_x, n_a, n_y, m, T],
      lens: [T * n_x * m, n_a * m, n_a * m, g * k, g, n_y * n_a, n_y, T * n_a * m, T * n_a * m, T * n_y * m, T * g * m],
      ws: 'lstm_forward_workspace',
      flops: 2 * T * m * g * k,
    },
    lstm_backward: {
      dims: [n_x, n_a, m, T],
      lens: [T * n_a * m, n_a * m, T * n_a * m, T * n_a * m, T * n_a * m, T * g * m, T * n_x * m, g * k, T * n_x * m, n_a * m, n_a * m, g * k, g],
      ws: 'lstm_backward_workspace',
      flops: 4 * T * m * g * k,
    },
  };
  return Object.entries(specs).map(([name, s]) => {
    const lens = [...s.lens, wasm[s.ws](...s.dims)];
    const ptrs = allocate(lens);
    const argv = [...s.dims, ...pairs(ptrs, lens)];
    return { name, flops: s.flops, run: () => wasm[name](...argv) };
  });
}

const rows = [];
for (const shape of wanted) {
  const d = SHAPES[shape];
  const budgetMs = shape === 'L' ? 6000 : 2000;
  for (const { name, flops, run } of kernels(d)) {
    const status = run();
    if (status !== 0) throw new Error(`${name} at ${shape} returned status ${status}`);
    const times = [];
    const start = performance.now();
    while (times.length < 5 || performance.now() - start < budgetMs) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
      if (times.length >= 20000) break;
    }
    times.sort((a, b) => a - b);
    const [best, median] = [times[0], times[times.length >> 1]];
    const row = {
      shape,
      kernel: name,
      ms_best: +best.toFixed(4),
      ms_median: +median.toFixed(4),
      gflops_best: +(flops / best / 1e6).toFixed(3),
      samples: times.length,
    };
    rows.push(row);
    console.log(
      `${shape} ${name.padEnd(14)} ${best.toFixed(3).padStart(10)} ms  (median ${median.toFixed(3).padStart(9)})  ${row.gflops_best.toFixed(2).padStart(6)} GFLOP/s`,
    );
  }
}
if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
