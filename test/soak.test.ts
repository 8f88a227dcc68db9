/**
 * Soak: a long run of mixed calls — every notebook function and the models' forward and
 * gradient passes, random small sizes (0, 1, odd) — on every backend, with WebAssembly memory, RSS and the JavaScript heap
 * sampled along the way. After a warm-up (the first 5% of calls, by which time every size in
 * the pool has been seen), wasm memory must not grow at all and RSS and heap must stay within
 * fixed bounds; and whenever a (problem, function) pair comes round again at a sample point,
 * its outputs must be bit-identical to the first time (the reused arena is never corrupted).
 *
 * Calls per backend: SOAK_CALLS (default 100,000; a backward call counts with the forward call
 * that made its caches); SOAK_CALLS_JS overrides it for the js reference alone.
 */
import { describe, expect, test } from 'vitest';
import {
  lstm_backward,
  lstm_cell_backward,
  lstm_cell_forward,
  lstm_forward,
  rnn_backward,
  rnn_cell_backward,
  rnn_cell_forward,
  rnn_forward,
  setBackend,
  sigmoid,
  softmax,
  LSTMModel,
  RNNModel,
  type BackendName,
  type NDArray,
} from '../ts/index.js';
import { activeBackend } from '../ts/registry.js';
import { BACKENDS, lstmParams, makeRng, randn, rnnParams, sameValues, type Dims } from './helpers.js';

const MiB = 1024 * 1024;
const RSS_BOUND = 64 * MiB;
const HEAP_BOUND = 16 * MiB;

function count(env: string | undefined, fallback: number): number {
  const n = env === undefined ? NaN : Number(env);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
const CALLS = count(process.env.SOAK_CALLS, 100_000);
const CALLS_JS = count(process.env.SOAK_CALLS_JS, CALLS);

const gc = (globalThis as { gc?: () => void }).gc;

/** A pool of problems with random small sizes, made once, so the loop measures the library. */
function problems(count: number) {
  const rng = makeRng(7);
  const pickDim = (max: number) => Math.floor(rng.uniform() * (max + 1));
  return Array.from({ length: count }, () => {
    const d: Dims = { n_x: 1 + pickDim(6), n_a: 1 + pickDim(6), n_y: 1 + pickDim(3), m: pickDim(5), T_x: pickDim(5) };
    return {
      d,
      x: randn(rng, [d.n_x, d.m, d.T_x]),
      xt: randn(rng, [d.n_x, d.m]),
      a0: randn(rng, [d.n_a, d.m]),
      c0: randn(rng, [d.n_a, d.m]),
      da: randn(rng, [d.n_a, d.m, d.T_x]),
      daNext: randn(rng, [d.n_a, d.m]),
      z: randn(rng, [d.n_y, 1 + d.m]),
      rp: rnnParams(rng, d),
      lp: lstmParams(rng, d),
      targets: Float64Array.from({ length: d.T_x * d.m }, () => Math.floor(rng.uniform() * d.n_y)),
      rnnModel: new RNNModel({ n_x: d.n_x, n_a: d.n_a, n_y: d.n_y, seed: 3 }),
      lstmModel: new LSTMModel({ n_x: d.n_x, n_a: d.n_a, n_y: d.n_y, seed: 3 }),
    };
  });
}
type Problem = ReturnType<typeof problems>[number];

/** Each function once on `p`: its NDArray outputs, and how many API calls that took. */
const FUNCTIONS: [string, (p: Problem) => [NDArray[], number]][] = [
  ['softmax', (p) => [[softmax(p.z)], 1]],
  ['sigmoid', (p) => [[sigmoid(p.z)], 1]],
  ['rnn_cell_forward', (p) => [rnn_cell_forward(p.xt, p.a0, p.rp).slice(0, 2) as NDArray[], 1]],
  ['rnn_forward', (p) => [rnn_forward(p.x, p.a0, p.rp).slice(0, 2) as NDArray[], 1]],
  ['lstm_cell_forward', (p) => [lstm_cell_forward(p.xt, p.a0, p.c0, p.lp).slice(0, 3) as NDArray[], 1]],
  ['lstm_forward', (p) => [lstm_forward(p.x, p.a0, p.lp).slice(0, 3) as NDArray[], 1]],
  ['rnn_cell_backward', (p) => [Object.values(rnn_cell_backward(p.daNext, rnn_cell_forward(p.xt, p.a0, p.rp)[2])), 2]],
  ['rnn_backward', (p) => [Object.values(rnn_backward(p.da, rnn_forward(p.x, p.a0, p.rp)[2])), 2]],
  ['lstm_cell_backward', (p) => [Object.values(lstm_cell_backward(p.daNext, p.a0, lstm_cell_forward(p.xt, p.a0, p.c0, p.lp)[3])), 2]],
  ['lstm_backward', (p) => [Object.values(lstm_backward(p.da, lstm_forward(p.x, p.a0, p.lp)[3])), 2]],
  ['RNNModel.forward', (p) => [[p.rnnModel.forward({ x: p.x })], 1]],
  ['LSTMModel.forward', (p) => [[p.lstmModel.forward({ x: p.x })], 1]],
  ['RNNModel.gradients', (p) => [gradientArrays(p.rnnModel.gradients({ x: p.x, targets: p.targets })), 1]],
  ['LSTMModel.gradients', (p) => [gradientArrays(p.lstmModel.gradients({ x: p.x, targets: p.targets })), 1]],
];

/** A model's loss, count and gradients as arrays. */
function gradientArrays(g: { loss: number; count: number; grads: Record<string, Float64Array> }): NDArray[] {
  const flat = (data: Float64Array) => ({ data, shape: [data.length] });
  return [flat(Float64Array.of(g.loss, g.count)), ...Object.values(g.grads).map(flat)];
}

interface Sample {
  calls: number;
  wasm: number;
  rss: number;
  heap: number;
}

const PLAN = BACKENDS.map((b) => [b, b === 'js' ? CALLS_JS : CALLS] as [BackendName, number]);

describe.each(PLAN)('soak on the %s backend', (backend, calls) => {
  test(`${calls} mixed calls of every function at random small sizes: memory bounded, results stable`, () => {
    setBackend(backend);
    const be = activeBackend() as { memoryBytes?: () => number };
    const wasmBytes = () => (typeof be.memoryBytes === 'function' ? be.memoryBytes() : 0);
    const pool = problems(64);
    const rng = makeRng(11);
    const firstSeen = new Map<string, NDArray[]>();
    const sample = (n: number): Sample => {
      gc?.();
      const m = process.memoryUsage();
      return { calls: n, wasm: wasmBytes(), rss: m.rss, heap: m.heapUsed };
    };
    const every = Math.max(1, Math.floor(calls / 50));
    const warmup = Math.ceil(calls / 20);
    const samples: Sample[] = [];
    let warm: Sample | undefined;
    let done = 0;
    let nextSample = every;
    let compared = 0;
    const t0 = performance.now();
    while (done < calls) {
      const pi = Math.floor(rng.uniform() * pool.length);
      const fi = Math.floor(rng.uniform() * FUNCTIONS.length);
      const [outputs, n] = FUNCTIONS[fi][1](pool[pi]);
      done += n;
      const key = `${pi}:${fi}`;
      const first = firstSeen.get(key);
      if (!first) firstSeen.set(key, outputs.map((o) => ({ data: o.data.slice(), shape: o.shape.slice() })));
      if (done >= nextSample || done >= calls) {
        nextSample += every;
        if (first) {
          compared++;
          outputs.forEach((o, i) => expect(sameValues(o.data, first[i].data), `${FUNCTIONS[fi][0]} output ${i} after ${done} calls`).toBe(true));
        }
        const s = sample(done);
        samples.push(s);
        if (!warm && done >= warmup) warm = s;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(warm).toBeDefined();
    const w = warm!;
    const after = samples.filter((s) => s.calls >= w.calls);
    const stat = (key: keyof Sample, list: Sample[]) => ({
      first: list[0][key],
      last: list[list.length - 1][key],
      max: Math.max(...list.map((s) => s[key])),
    });
    const fmt = (v: { first: number; last: number; max: number }) =>
      `first ${(v.first / MiB).toFixed(1)} MiB, last ${(v.last / MiB).toFixed(1)} MiB, max ${(v.max / MiB).toFixed(1)} MiB`;
    const [wasmS, rssS, heapS] = (['wasm', 'rss', 'heap'] as const).map((k) => stat(k, samples));
    console.log(
      [
        `soak, ${backend} backend: ${done} calls (${firstSeen.size} distinct problem × function pairs) in ${seconds.toFixed(1)} s, ` +
          `${samples.length} samples, ${compared} repeat results compared bit for bit; gc ${gc ? 'exposed' : 'not exposed'}`,
        `  wasm memory: ${wasmBytes() ? fmt(wasmS) : 'n/a'}`,
        `  RSS:  ${fmt(rssS)}; growth after warm-up (${w.calls} calls) ${((stat('rss', after).max - w.rss) / MiB).toFixed(1)} MiB (bound ${RSS_BOUND / MiB})`,
        `  heap: ${fmt(heapS)}; growth after warm-up ${((stat('heap', after).max - w.heap) / MiB).toFixed(1)} MiB (bound ${HEAP_BOUND / MiB})`,
      ].join('\n'),
    );
    for (const s of after) expect(s.wasm, `wasm memory after ${s.calls} calls`).toBe(w.wasm);
    expect(stat('rss', after).max - w.rss).toBeLessThan(RSS_BOUND);
    expect(stat('heap', after).max - w.heap).toBeLessThan(HEAP_BOUND);
    expect(compared).toBeGreaterThan(10);
  }, 15 * 60_000);
});
