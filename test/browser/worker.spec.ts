/**
 * rnn-wasm/worker in a page: trainInWorker against a real module Web Worker that calls
 * serveTraining() (it loads the wasm module itself): a progress message per step, samples every
 * `sampleEvery` steps, a result with the model bytes and vocabulary that sampleText reads on the
 * page, the same result for the same seed, a request continued from saved bytes, cancellation
 * through an AbortSignal, and a bad request rejected with its message.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { sampleText, trainInWorker, type TrainProgress, type TrainRequest } from 'rnn-wasm/worker';

// The page's Worker (the project's types are Node's, which have no global Worker).
type PageWorker = Parameters<typeof trainInWorker>[0] & { terminate(): void };
const { Worker } = globalThis as unknown as { Worker: new (url: URL, options: { type: 'module' }) => PageWorker };
const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' });
afterAll(() => worker.terminate());

const NAMES = ['bulbasaur', 'ivysaur', 'venusaur', 'charmander', 'charmeleon', 'charizard', 'squirtle', 'wartortle', 'blastoise', 'pikachu', 'raichu', 'eevee'];
const request: TrainRequest = { text: NAMES, kind: 'lstm', hidden: 16, steps: 30, batch: 4, sampleEvery: 10, samples: 2, seed: 3 };
const letters = new Set(NAMES.join(''));

describe('training in a Web Worker', () => {
  test('progress every step, samples every sampleEvery steps, a result sampleText can read', async () => {
    const progress: TrainProgress[] = [];
    const result = await trainInWorker(worker, request, (p) => progress.push(p));
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const p of progress) expect(Number.isFinite(p.loss)).toBe(true);
    expect(progress.filter((p) => p.samples).map((p) => p.step)).toEqual([10, 20, 30]);
    for (const p of progress.filter((q) => q.samples)) expect(p.samples).toHaveLength(2);
    expect(progress[29].loss).toBeLessThan(progress[0].loss);

    expect(result.steps).toBe(30);
    expect(result.model).toBeInstanceOf(Uint8Array);
    expect(result.model.byteLength).toBeGreaterThan(0);
    expect(result.vocabulary).toContain('a');
    expect(result.charsPerSecond).toBeGreaterThan(0);
    const names = sampleText(result.model, result.vocabulary, { count: 6, seed: 1, temperature: 0.7 });
    expect(names).toHaveLength(6);
    for (const name of names) for (const ch of name) expect(letters.has(ch), `${JSON.stringify(ch)} in ${JSON.stringify(name)}`).toBe(true);
    expect(sampleText(result.model, result.vocabulary, { count: 6, seed: 1, temperature: 0.7 })).toEqual(names);
  });

  test('the same request gives the same model; continuing from its bytes trains on', async () => {
    const a = await trainInWorker(worker, { ...request, samples: 0 });
    const b = await trainInWorker(worker, { ...request, samples: 0 });
    expect(b.loss).toBe(a.loss);
    expect(b.model).toEqual(a.model);
    const more = await trainInWorker(worker, { ...request, samples: 0, steps: 10, model: a.model.slice() });
    expect(more.steps).toBe(10);
    expect(more.vocabulary).toEqual(a.vocabulary);
    expect(Number.isFinite(more.loss)).toBe(true);
  });

  test('an AbortSignal cancels a run; the worker then serves the next request', async () => {
    const controller = new AbortController();
    let seen = 0;
    const run = trainInWorker(worker, { ...request, steps: 100000, samples: 0 }, (p) => {
      seen = p.step;
      if (p.step === 3) controller.abort();
    }, { signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeGreaterThanOrEqual(3);
    const next = await trainInWorker(worker, { ...request, steps: 2, samples: 0 });
    expect(next.steps).toBe(2);
  });

  test('a bad request is rejected with the validation message', async () => {
    await expect(trainInWorker(worker, { ...request, kind: 'cnn' as 'lstm' })).rejects.toThrow(/kind/);
    await expect(trainInWorker(worker, { ...request, steps: 0 })).rejects.toThrow(/steps/);
  });
});
