#!/usr/bin/env node
// Time of the (n, m, T) ↔ [T][n][m] conversion done in JS and through the wasm module's
// rnn_transpose export (inputs copied in, result copied out), interleaved per size so both see
// the same machine load. Sets where ts/layout.ts stops transposing in JS and calls the
// backend's kernel (TRANSPOSE_IN_JS_BELOW, rnn-core's abi module, in ts/generated/abi.ts).
//
//   npm run build && node bench/layout/run.mjs

import { transposeInto } from '../../dist/layout.js';
import { loadWasmBackend } from '../../dist/backends/wasm.js';

const wasm = loadWasmBackend();
const SIZES = [
  [10, 4], // S: (n·m) × T for x
  [50, 4],
  [128, 8],
  [256, 16],
  [1024, 16],
  [4096, 50], // M: a, c
  [32768, 100], // L: a, c
];

/** Median seconds per call of `fn` over `samples` samples of `reps` calls. */
function median(fn, reps, samples = 15) {
  const times = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    times.push((performance.now() - t0) / 1000 / reps);
  }
  return times.sort((a, b) => a - b)[samples >> 1];
}

const rows = [];
for (const [r, c] of SIZES) {
  const src = Float64Array.from({ length: r * c }, (_, i) => i);
  const out = new Float64Array(r * c);
  const reps = Math.max(1, Math.round(2e5 / (r * c)));
  const run = { js: () => transposeInto(src, r, c, out), wasm: () => wasm.run('transpose', { rows: r, cols: c }, { src }, { dst: out }) };
  const t = { js: [], wasm: [] };
  for (let round = 0; round < 3; round++) for (const k of ['js', 'wasm']) t[k].push(median(run[k], reps));
  const js = Math.min(...t.js);
  const w = Math.min(...t.wasm);
  rows.push({ shape: `${r} × ${c}`, elements: r * c, js_ns_per_elem: (js * 1e9) / (r * c), wasm_ns_per_elem: (w * 1e9) / (r * c), speedup: js / w });
}
console.table(rows.map((x) => ({ ...x, js_ns_per_elem: x.js_ns_per_elem.toFixed(2), wasm_ns_per_elem: x.wasm_ns_per_elem.toFixed(2), speedup: x.speedup.toFixed(2) })));
