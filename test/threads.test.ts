/**
 * The thread setting: setThreads / getThreads, RNN_WASM_THREADS at load, and that the native
 * kernels give the same bytes on one thread as on several.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { getThreads, lstm_backward, lstm_forward, rnn_backward, rnn_forward, setBackend, setThreads } from '../ts/index.js';
import { NATIVE_AVAILABLE, NATIVE_REQUIRED, lstmParams, makeRng, randn, rnnParams, sameValues, type Dims } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_NATIVE = NATIVE_AVAILABLE || NATIVE_REQUIRED;

afterAll(() => setThreads(availableParallelism()));

describe('setThreads', () => {
  test.each([0, -1, 1.5, NaN, Infinity, 1025, '2', null, undefined])('rejects %s with a RangeError (ERR_RNN_THREADS) and keeps the setting', (bad) => {
    setBackend('js');
    setThreads(1);
    let error: (Error & { code?: string }) | undefined;
    try {
      setThreads(bad as number);
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error?.code).toBe('ERR_RNN_THREADS');
    expect(error?.message).toContain('threads must be an integer from 1 to 1024');
    if (RUN_NATIVE) {
      setBackend('native');
      expect(getThreads()).toBe(1);
    }
  });

  test.each(['js', 'wasm'] as const)('%s runs on the calling thread: getThreads() is 1 whatever the setting', (backend) => {
    setBackend(backend);
    setThreads(2);
    expect(getThreads()).toBe(1);
  });

  test.runIf(RUN_NATIVE)('native follows the setting', () => {
    setBackend('native');
    for (const n of [1, 2, 3, 1]) {
      setThreads(n);
      expect(getThreads()).toBe(n);
    }
  });
});

describe.runIf(RUN_NATIVE)('native results do not depend on the thread count', () => {
  // Both split their per-step GEMMs (over the ~0.5 M multiply-adds a split needs: LSTM
  // 1536 × 449 × 64 and 512 × 193 × 32, RNN 384 × 449 × 64 and 128 × 193 × 32), gate passes
  // (over 4096 elements) and transposes, and the weight gradients; the second is the M
  // workload's width.
  const shapes: Dims[] = [
    { n_x: 64, n_a: 384, n_y: 10, m: 64, T_x: 4 },
    { n_x: 64, n_a: 128, n_y: 10, m: 32, T_x: 6 },
  ];
  const run = (d: Dims, threads: number) => {
    const rng = makeRng(4242);
    const x = randn(rng, [d.n_x, d.m, d.T_x]);
    const a0 = randn(rng, [d.n_a, d.m]);
    const da = randn(rng, [d.n_a, d.m, d.T_x]);
    const lp = lstmParams(rng, d, 0.1);
    const rp = rnnParams(rng, d, 0.1);
    setBackend('native');
    setThreads(threads);
    const [a, y, c, caches] = lstm_forward(x, a0, lp);
    const [ra, ry, rcaches] = rnn_forward(x, a0, rp);
    return { a, y, c, ...lstm_backward(da, caches), ra, ry, ...Object.fromEntries(Object.entries(rnn_backward(da, rcaches)).map(([k, v]) => [`rnn.${k}`, v])) };
  };

  test.each(shapes)('1, 2 and 3 threads give the same bytes for every LSTM and RNN output (n_a = $n_a, m = $m)', (d) => {
    const one = run(d, 1);
    for (const n of [2, 3]) {
      const many = run(d, n);
      for (const [key, value] of Object.entries(one)) {
        expect(sameValues((many as Record<string, typeof value>)[key].data, value.data), `${key} at ${n} threads`).toBe(true);
      }
    }
  });
});

describe('RNN_WASM_THREADS', () => {
  const probe = `
    const m = await import('./dist/index.js');
    if (m.backendErrors().native === undefined) m.setBackend('native');
    console.log(JSON.stringify({ backend: m.getBackend(), threads: m.getThreads() }));
  `;
  const run = (value: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RNN_WASM_THREADS: value };
    delete env.RNN_WASM_BACKEND;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return { ...(JSON.parse(r.stdout) as { backend: string; threads: number }), stderr: r.stderr };
  };

  test.runIf(RUN_NATIVE)('=1 makes the native kernels single-threaded from the start', () => {
    expect(run('1')).toMatchObject({ backend: 'native', threads: 1 });
  });

  test.runIf(RUN_NATIVE)('unset or empty: native uses every core', () => {
    expect(run('')).toMatchObject({ backend: 'native', threads: availableParallelism() });
  });

  test('a bad value warns and leaves the default', () => {
    const out = run('two');
    expect(out.stderr).toContain('RNN_WASM_THREADS="two" is not an integer from 1 to 1024');
    expect(out.threads).toBe(out.backend === 'native' ? availableParallelism() : 1);
  });
});
