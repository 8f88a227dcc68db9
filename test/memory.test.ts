/**
 * Memory stays flat under sustained use: many LSTM forward + backward calls at
 * n_x = 64, n_a = 128, m = 32, T_x = 50. WebAssembly memory must not grow after the first
 * call pair (the scratch arena is reused), and process RSS must not creep after warm-up.
 *
 * Call counts: MEMORY_CALLS_WASM / MEMORY_CALLS_JS / MEMORY_CALLS_NATIVE override the defaults below, which keep
 * this file to a few minutes: a call pair at this size takes about half a second on wasm and
 * several seconds on the js reference.
 */
import { describe, expect, test } from 'vitest';
import { lstm_backward, lstm_forward, setBackend, type BackendName, type NDArray } from '../ts/index.js';
import { activeBackend } from '../ts/registry.js';
import type { WasmBackend } from '../ts/backends/wasm.js';
import { BACKENDS, lstmParams, makeRng, randn, sameValues, type Dims } from './helpers.js';

const D: Dims = { n_x: 64, n_a: 128, n_y: 10, m: 32, T_x: 50 };
const MiB = 1024 * 1024;
const RSS_BOUND = 64 * MiB;

function count(env: string | undefined, fallback: number): number {
  const n = env === undefined ? NaN : Number(env);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

const WASM_CALLS = count(process.env.MEMORY_CALLS_WASM, 250);
const JS_CALLS = count(process.env.MEMORY_CALLS_JS, 4);
// Native pairs take a few tens of milliseconds at this size, so the full count fits CI's budget.
const NATIVE_CALLS = count(process.env.MEMORY_CALLS_NATIVE, 1000);

/**
 * RSS growth is measured from the warm-up plateau: the highest of the samples taken during the
 * first `warmup` call pairs, while allocator pools and the GC settle. (A single sample at the
 * end of warm-up can land in a trough of that plateau: once 64 MiB below the plateau's later
 * level, with the last sample of 1000 pairs 14 MiB above it.)
 */
const PLAN: { backend: BackendName; calls: number; warmup: number; timeoutMs: number }[] = [
  { backend: 'wasm', calls: WASM_CALLS, warmup: Math.min(WASM_CALLS, Math.max(10, Math.ceil(WASM_CALLS / 20))), timeoutMs: 30 * 60_000 },
  { backend: 'js', calls: JS_CALLS, warmup: Math.min(JS_CALLS, 2), timeoutMs: 10 * 60_000 },
  ...(BACKENDS.includes('native')
    ? [{ backend: 'native' as const, calls: NATIVE_CALLS, warmup: Math.min(NATIVE_CALLS, Math.max(10, Math.ceil(NATIVE_CALLS / 20))), timeoutMs: 30 * 60_000 }]
    : []),
];

const gc = (globalThis as { gc?: () => void }).gc;

describe.each(PLAN.map((p) => [p.backend, p] as const))('memory under sustained use on the %s backend', (backend, plan) => {
  const rng = makeRng(99);
  const x = randn(rng, [D.n_x, D.m, D.T_x]);
  const a0 = randn(rng, [D.n_a, D.m]);
  const da = randn(rng, [D.n_a, D.m, D.T_x]);
  const p = lstmParams(rng, D, 0.1);

  const pair = () => {
    const [a, , c, caches] = lstm_forward(x, a0, p);
    const g = lstm_backward(da, caches);
    return { a, c, dx: g.dx, da0: g.da0, dWf: g.dWf, dbo: g.dbo } as Record<string, NDArray>;
  };

  test(
    `${plan.calls} LSTM forward + backward call pairs at (n_x, n_a, m, T_x) = (64, 128, 32, 50)`,
    () => {
      setBackend(backend);
      const wasm = backend === 'wasm' ? (activeBackend() as WasmBackend) : undefined;
      expect(activeBackend().name).toBe(backend);
      const wasmBytes = () => (wasm ? wasm.memoryBytes() : 0);
      const sample = () => {
        gc?.();
        return process.memoryUsage().rss;
      };

      const t0 = performance.now();
      const first = pair();
      const firstMs = performance.now() - t0;
      const wasmAfterFirst = wasmBytes();
      const warmup = plan.warmup;
      const every = Math.max(1, Math.floor(plan.calls / 50));
      let rssWarm = 0;
      let rssMax = 0;
      let rssLast = 0;
      let wasmMax = wasmAfterFirst;
      let wasmLast = wasmAfterFirst;
      let last = first;
      for (let i = 1; i < plan.calls; i++) {
        last = pair();
        if (i + 1 <= warmup && ((i + 1) % every === 0 || i + 1 === warmup)) rssWarm = Math.max(rssWarm, sample());
        if ((i + 1) % every === 0 || i + 1 === plan.calls) {
          wasmLast = wasmBytes();
          wasmMax = Math.max(wasmMax, wasmLast);
          expect(wasmLast, `wasm memory after ${i + 1} calls`).toBe(wasmAfterFirst);
          if (i + 1 >= warmup) {
            rssLast = sample();
            rssMax = Math.max(rssMax, rssLast);
          }
        }
      }
      if (plan.calls === 1) rssWarm = rssLast = rssMax = sample();
      const totalMs = performance.now() - t0;

      console.log(
        [
          `memory, ${backend} backend: ${plan.calls} LSTM forward+backward pairs in ${(totalMs / 1000).toFixed(1)} s ` +
            `(first pair ${firstMs.toFixed(0)} ms, mean ${(totalMs / plan.calls).toFixed(1)} ms/pair), gc ${gc ? 'exposed' : 'not exposed'}`,
          wasm
            ? `  wasm memory: after first pair ${(wasmAfterFirst / MiB).toFixed(1)} MiB, last ${(wasmLast / MiB).toFixed(1)} MiB, max ${(wasmMax / MiB).toFixed(1)} MiB`
            : '  wasm memory: n/a',
          `  RSS: warm-up plateau (highest sample in the first ${warmup} pairs) ${(rssWarm / MiB).toFixed(1)} MiB, last ${(rssLast / MiB).toFixed(1)} MiB, ` +
            `max ${(rssMax / MiB).toFixed(1)} MiB, growth ${((rssMax - rssWarm) / MiB).toFixed(1)} MiB (bound ${RSS_BOUND / MiB} MiB)`,
        ].join('\n'),
      );

      if (wasm) {
        expect(wasmAfterFirst).toBeGreaterThan(0);
        expect(wasmMax).toBe(wasmAfterFirst);
      }
      expect(rssMax - rssWarm).toBeLessThan(RSS_BOUND);
      expect(rssLast - rssWarm).toBeLessThan(RSS_BOUND);
      // The arena is reused, never corrupted: the last call returns what the first did.
      for (const key of Object.keys(first)) {
        expect(sameValues(last[key].data, first[key].data), `${key} of the last call`).toBe(true);
      }
    },
    plan.timeoutMs,
  );
});
