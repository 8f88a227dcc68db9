/**
 * Thread safety: every worker thread that imports the package gets its own module instance —
 * its own WebAssembly instance and scratch memory — so four workers calling LSTM and RNN
 * forward + backward at the same time get, bit for bit, what the same calls give serially in
 * the main thread. A worker also honours RNN_WASM_BACKEND at import.
 *
 * Workers import the built package (dist/index.js, which `npm test` builds first); the serial
 * reference uses the same build in the main thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, test } from 'vitest';
import type { BackendName, NDArray } from '../ts/index.js';
import { BACKENDS, DEFAULT_BACKEND, lstmParams, makeRng, randn, rnnParams, type Dims } from './helpers.js';

type Api = typeof import('../ts/index.js');
type Inputs = { x: NDArray; a0: NDArray; da: NDArray; lstmParams: Record<string, NDArray>; rnnParams: Record<string, NDArray> };
type CallSet = (rnn: Api, inputs: Inputs) => Record<string, Record<string, NDArray>>;

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const WORKER = new URL('./concurrency.worker.mjs', import.meta.url);

const WORKERS = 4;
const ROUNDS = 6;
const D: Dims = { n_x: 24, n_a: 48, n_y: 10, m: 16, T_x: 24 };

function inputsFor(seed: number, d: Dims = D): Inputs {
  const rng = makeRng(seed);
  return {
    x: randn(rng, [d.n_x, d.m, d.T_x]),
    a0: randn(rng, [d.n_a, d.m]),
    da: randn(rng, [d.n_a, d.m, d.T_x]),
    lstmParams: lstmParams(rng, d, 0.3),
    rnnParams: rnnParams(rng, d, 0.3),
  };
}

interface WorkerReport {
  backend: BackendName;
  results: ReturnType<CallSet>[];
  /** When the worker began and ended its calls (ms since the epoch). */
  started: number;
  finished: number;
}

/** Starts a worker on `inputs`; resolves with what it posts, rejects on an error or a bad exit. */
function startWorker(inputs: Inputs, options: { rounds: number; env: NodeJS.ProcessEnv; barrier?: SharedArrayBuffer; parties?: number }) {
  const worker = new Worker(WORKER, {
    workerData: { entry: pathToFileURL(DIST_INDEX).href, inputs, rounds: options.rounds, barrier: options.barrier, parties: options.parties },
    env: options.env,
  });
  return new Promise<WorkerReport>((resolve, reject) => {
    let report: WorkerReport | undefined;
    worker.on('message', (m: WorkerReport) => (report = m));
    worker.on('error', reject);
    worker.on('exit', (code) => (report && code === 0 ? resolve(report) : reject(new Error(`worker exited with code ${code} before reporting`))));
  });
}

/** The environment without RNN_WASM_BACKEND, or with it set to `backend`. */
function envWith(backend?: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.RNN_WASM_BACKEND;
  if (backend !== undefined) env.RNN_WASM_BACKEND = backend;
  return env;
}

/** Same structure, shapes and bytes (NaN payloads and zero signs included). */
function expectBitIdentical(got: ReturnType<CallSet>, exp: ReturnType<CallSet>, where: string): void {
  expect(Object.keys(got)).toEqual(Object.keys(exp));
  for (const [group, outputs] of Object.entries(exp)) {
    expect(Object.keys(got[group]), `${where} ${group}`).toEqual(Object.keys(outputs));
    for (const [key, e] of Object.entries(outputs)) {
      const g = got[group][key];
      expect(g.shape, `${where} ${group}.${key}`).toEqual(e.shape);
      const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(bytes(g.data).equals(bytes(e.data)), `${where} ${group}.${key} differs`).toBe(true);
    }
  }
}

describe('worker threads', () => {
  let rnn: Api;
  let callSet: CallSet;

  beforeAll(async () => {
    if (!existsSync(DIST_INDEX)) {
      throw new Error('dist/index.js is missing: run `npm run build` first (`npm test` builds it before running the tests)');
    }
    rnn = (await import(pathToFileURL(DIST_INDEX).href)) as Api;
    callSet = ((await import(WORKER.href)) as { callSet: CallSet }).callSet;
  });

  test(`${WORKERS} workers calling LSTM and RNN forward + backward at once match serial main-thread calls bit for bit`, async () => {
    const inputs = Array.from({ length: WORKERS }, (_, w) => inputsFor(500 + w));
    const barrier = new SharedArrayBuffer(4);
    const reports = inputs.map((i) => startWorker(i, { rounds: ROUNDS, env: envWith(), barrier, parties: WORKERS }));

    // The serial reference, computed while the workers run, on the default backend they load.
    rnn.setBackend(DEFAULT_BACKEND);
    const expected = inputs.map((i) => callSet(rnn, i));

    const got = await Promise.all(reports);
    // The calls really ran at the same time: every worker started before any had finished.
    expect(Math.max(...got.map((r) => r.started))).toBeLessThan(Math.min(...got.map((r) => r.finished)));
    got.forEach((report, w) => {
      expect(report.backend).toBe(DEFAULT_BACKEND);
      expect(report.results).toHaveLength(ROUNDS);
      report.results.forEach((result, r) => expectBitIdentical(result, expected[w], `worker ${w}, round ${r}:`));
    });
    // Different inputs gave different results: the workers did not all compute one thing.
    expect(Buffer.from(expected[0].lstm.a.data.buffer).equals(Buffer.from(expected[1].lstm.a.data.buffer))).toBe(false);
  });

  test.each(BACKENDS)('a worker started with RNN_WASM_BACKEND=%s loads that backend and matches the main thread', async (backend) => {
    const small: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 6 };
    const inputs = inputsFor(77, small);
    const report = await startWorker(inputs, { rounds: 1, env: envWith(backend) });
    expect(report.backend).toBe(backend);
    rnn.setBackend(backend);
    expectBitIdentical(report.results[0], callSet(rnn, inputs), `RNN_WASM_BACKEND=${backend}:`);
    rnn.setBackend('wasm');
  });
});
