/**
 * `rnn-wasm/worker` in Node: a real worker_threads Worker running test/training.worker.mjs
 * (the built dist/worker-node.js) trains a character model while the main thread gets progress
 * messages, the model comes back as bytes that load, a cancel stops it, and bad requests
 * reject. The browser build's worker code (dist/worker.js) is run over a MessageChannel.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterAll, describe, expect, test } from 'vitest';
import { modelFromBytes, parseModel } from '../ts/index.js';
import { sampleText, trainInWorker, type TrainProgress, type TrainResult } from '../ts/worker-node.js';

const WORKER = new URL('./training.worker.mjs', import.meta.url);
const NAMES = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('pokemon/data/en.json'), 'utf8')) as string[];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('trainInWorker with a worker_threads Worker', () => {
  const worker = new Worker(WORKER);
  afterAll(() => worker.terminate());
  let trained: TrainResult;

  test('trains 20 steps: a progress message per step, samples every 10, the loss falls, the model comes back', async () => {
    const progress: TrainProgress[] = [];
    trained = await trainInWorker(worker, { text: NAMES, kind: 'lstm', hidden: 32, steps: 20, lr: 0.02, sampleEvery: 10, samples: 3 }, (p) =>
      progress.push(p),
    );
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.every((p) => p.type === 'progress' && Number.isFinite(p.loss))).toBe(true);
    expect(progress.filter((p) => p.samples).map((p) => p.step)).toEqual([10, 20]);
    expect(progress[9].samples).toHaveLength(3);
    expect(mean(progress.slice(-5).map((p) => p.loss))).toBeLessThan(mean(progress.slice(0, 5).map((p) => p.loss)) - 0.3);

    expect(trained.model).toBeInstanceOf(Uint8Array);
    expect(trained.steps).toBe(20);
    expect(trained.charsPerSecond).toBeGreaterThan(0);
    expect(trained.loss).toBeGreaterThan(0);
    expect(trained.vocabulary[0]).toBe('\n');
    const model = parseModel(new TextDecoder().decode(trained.model), 'lstm');
    expect(model.n_a).toBe(32);
    expect(model.vocabulary).toEqual(trained.vocabulary);
    expect(modelFromBytes(trained.model).n_x).toBe(trained.vocabulary.length);
  });

  test('sampleText gives names from the bytes, reproducibly', () => {
    const names = sampleText(trained.model, trained.vocabulary, { count: 5, temperature: 0.8, seed: 3 });
    expect(names).toHaveLength(5);
    expect(names.every((s) => typeof s === 'string' && !s.includes('\n'))).toBe(true);
    expect(sampleText(trained.model, trained.vocabulary, { count: 5, temperature: 0.8, seed: 3 })).toEqual(names);
    expect(() => sampleText(trained.model, ['a'])).toThrow(/vocabulary/);
  });

  test('continues from a saved model (transferred) with its vocabulary', async () => {
    const bytes = trained.model.slice();
    const more = await trainInWorker(worker, { text: NAMES.slice(0, 100), kind: 'lstm', hidden: 8, steps: 3, model: bytes });
    expect(bytes.byteLength).toBe(0); // transferred to the worker
    expect(more.vocabulary).toEqual(trained.vocabulary);
    expect(modelFromBytes(more.model).n_a).toBe(32);
  });

  test('an AbortSignal cancels: the promise rejects, the worker stops and serves the next request', async () => {
    const controller = new AbortController();
    let seen = 0;
    const run = trainInWorker(worker, { text: NAMES, kind: 'lstm', hidden: 32, steps: 1_000_000 }, () => {
      if (++seen === 3) controller.abort();
    }, { signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const next = await trainInWorker(worker, { text: ['abc', 'abd'], kind: 'rnn', hidden: 4, steps: 2 });
    expect(next.steps).toBe(2);
    await expect(trainInWorker(worker, { text: ['x'], kind: 'rnn', hidden: 4, steps: 1 }, undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  test('trains a two-layer GRU (kind and layers in the request)', async () => {
    // On the js backend (the reference, where the layer kernels always run), in a worker of its own.
    const js = new Worker(WORKER, { env: { ...process.env, RNN_WASM_BACKEND: 'js' } });
    const progress: TrainProgress[] = [];
    const result = await trainInWorker(js, { text: NAMES.slice(0, 200), kind: 'gru', layers: 2, hidden: 6, steps: 3, batch: 4 }, (p) =>
      progress.push(p),
    ).finally(() => js.terminate());
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(progress[2].samples).toHaveLength(4);
    const model = modelFromBytes(result.model, 'gru');
    expect([model.kind, model.layers, model.n_a]).toEqual(['gru', 2, 6]);
  });

  test('a bad request rejects with the error and its code', async () => {
    await expect(trainInWorker(worker, { text: NAMES, kind: 'cnn' as never, hidden: 8, steps: 2 })).rejects.toMatchObject({
      code: 'ERR_RNN_TYPE',
      message: expect.stringMatching(/kind must be "lstm", "rnn" or "gru"/),
    });
    await expect(trainInWorker(worker, { text: NAMES, kind: 'gru', hidden: 8, layers: 0, steps: 2 })).rejects.toMatchObject({
      code: 'ERR_RNN_VALUE',
      message: expect.stringMatching(/^layers must be an integer in \[1, 64\]/),
    });
    await expect(trainInWorker(worker, { text: ['', ' '], kind: 'rnn', hidden: 8, steps: 2 })).rejects.toMatchObject({ code: 'ERR_RNN_VALUE' });
    await expect(trainInWorker(worker, { text: NAMES, kind: 'rnn', hidden: 8, steps: 0 })).rejects.toMatchObject({ code: 'ERR_RNN_VALUE' });
  });
});

test('the browser build of the worker code serves over any message port', async () => {
  const { serveTraining, trainInWorker: train } = (await import('../dist/worker.js'));
  const { port1, port2 } = new MessageChannel();
  serveTraining(port1);
  try {
    const steps: number[] = [];
    const result = await train(port2, { text: 'ab\nabc\nba\n', kind: 'rnn', hidden: 4, steps: 3, batch: 2 }, (p) => steps.push(p.step));
    expect(steps).toEqual([1, 2, 3]);
    expect(modelFromBytes(result.model, 'rnn').vocabulary).toEqual(result.vocabulary);
  } finally {
    port1.close();
    port2.close();
  }
});
