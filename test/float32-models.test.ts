/**
 * `dtype: 'float32'` on the training models (RNNModel, LSTMModel, GRUModel; one and two layers),
 * on every backend:
 * - forward, evaluate and gradients against the float64 model holding the same (float32)
 *   parameters, fed the same float32-rounded inputs, within BOUND relative to each output's
 *   largest magnitude (the loss relative to itself);
 * - everything a float32 model holds or returns is float32 values (in Float64Arrays): its
 *   parameters (also after training steps), forward's probabilities, gradients;
 * - a few SGD and Adam steps of both models stay within BOUND of each other (losses and
 *   parameters);
 * - on wasm and native the float32 kernels really run (some gradient differs from the float64
 *   one rounded to float32);
 * - sampling runs; serializeModel / modelToBytes / saveModel record `dtype` and load it back, a
 *   float64 file has no `dtype` and a file without one loads as float64;
 * - a bad dtype throws ERR_RNN_VALUE naming `dtype` (ERR_RNN_MODEL_FORMAT in a file), and the
 *   module stays usable.
 *
 * BOUND: the recurrence runs on the float32 layer kernels (products' operands rounded to float32,
 * sums in float32); the output layer and loss are float64 on float32 values. The worst errors
 * measured here (printed after the run): forward 1.0e-7, loss 1e-8, gradients 3.8e-7 on wasm and
 * native (6e-8 on js, whose oracle computes float32 requests in float64); after 5 SGD or Adam
 * steps, losses 4e-8 and parameters 3.2e-7. 1e-5 leaves a margin of 25 and still fails for a
 * path that lost more than a few bits.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import {
  Adam,
  GRUModel,
  LSTMModel,
  RNNModel,
  SGD,
  loadModel,
  modelFromBytes,
  modelToBytes,
  parseModel,
  saveModel,
  serializeModel,
  setBackend,
  type AnyModel,
  type Batch,
  type ModelOptions,
  type Optimizer,
} from '../ts/index.js';
import { BACKENDS, expectError, makeRng, randn, relErr } from './helpers.js';

/** float32 model against float64 model with the same parameters (also after 5 training steps of each). */
const BOUND = 1e-5;

const N_X = 5;
const N_A = 7;
const N_Y = 5;
const T = 6;
const M = 3;

interface Kind {
  name: string;
  layers: number;
  make(options: ModelOptions, params?: Record<string, Float64Array>): AnyModel;
}

const KINDS: Kind[] = [1, 2].flatMap((layers) => [
  { name: `RNNModel ${layers} layer`, layers, make: (o: ModelOptions, p?: Record<string, Float64Array>) => new RNNModel(o, p) },
  { name: `LSTMModel ${layers} layer`, layers, make: (o: ModelOptions, p?: Record<string, Float64Array>) => new LSTMModel(o, p) },
  { name: `GRUModel ${layers} layer`, layers, make: (o: ModelOptions, p?: Record<string, Float64Array>) => new GRUModel(o, p) },
]);

const worst = new Map<string, number>();
function record(key: string, err: number): number {
  worst.set(key, Math.max(worst.get(key) ?? 0, err));
  return err;
}
afterAll(() => {
  if (worst.size === 0) return;
  console.log(`worst float32 model errors:\n${[...worst].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

function isFloat32Values(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (Math.fround(data[i]) !== data[i]) return false;
  return true;
}

function copies(params: Record<string, Float64Array>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.slice()]));
}

/** A float32 model (weights spread beyond their initial range) and the float64 model with its parameters. */
function pair(kind: Kind, seed: number) {
  const options: ModelOptions = { n_x: N_X, n_a: N_A, n_y: N_Y, layers: kind.layers, seed };
  const rng = makeRng(seed);
  const init = kind.make(options);
  for (const p of Object.values(init.params)) for (let i = 0; i < p.length; i++) p[i] += 0.3 * rng.normal();
  const f32 = kind.make({ ...options, dtype: 'float32' }, init.params);
  const f64 = kind.make(options, copies(f32.params));
  return { f32, f64, rng };
}

function tokenBatch(seed: number): Batch {
  const rng = makeRng(seed);
  const tokens = Array.from({ length: T * M }, () => Math.floor(rng.uniform() * N_X));
  const targets = tokens.map((_, i) => (i % 7 === 3 ? -1 : Math.floor(rng.uniform() * N_Y)));
  return { tokens, targets, T, m: M };
}

/** A dense batch, and the same batch rounded to float32 (what the float32 model reads). */
function denseBatches(seed: number): [Batch, Batch] {
  const rng = makeRng(seed);
  const x = randn(rng, [N_X, M, T]);
  const targets = Array.from({ length: T * M }, () => Math.floor(rng.uniform() * N_Y));
  return [
    { x, targets },
    { x: { data: Float64Array.from(new Float32Array(x.data)), shape: x.shape }, targets },
  ];
}

describe.each(BACKENDS)('float32 models on the %s backend', (backend) => {
  beforeEach(() => setBackend(backend));

  describe.each(KINDS)('$name', (kind) => {
    test('parameters are float32 values, with the float64 model’s names and shapes', () => {
      const { f32, f64 } = pair(kind, 3);
      expect(f32.dtype).toBe('float32');
      expect(f64.dtype).toBe('float64');
      expect(f32.parameterShapes()).toEqual(f64.parameterShapes());
      for (const p of Object.values(f32.params)) expect(isFloat32Values(p)).toBe(true);
      const fresh = kind.make({ n_x: N_X, n_a: N_A, n_y: N_Y, layers: kind.layers, seed: 9, dtype: 'float32' });
      const fresh64 = kind.make({ n_x: N_X, n_a: N_A, n_y: N_Y, layers: kind.layers, seed: 9 });
      for (const [k, v] of Object.entries(fresh.params)) expect(Array.from(v)).toEqual(Array.from(fresh64.params[k], Math.fround));
    });

    test.each(['tokens', 'dense'])('%s batch: forward, evaluate and gradients within 1e-5 of float64', (what) => {
      const { f32, f64 } = pair(kind, 5);
      const [b32, b64] = what === 'tokens' ? [tokenBatch(6), tokenBatch(6)] : denseBatches(6);
      const y32 = f32.forward(b32);
      const y64 = f64.forward(b64);
      expect(y32.shape).toEqual([N_Y, M, T]);
      expect(isFloat32Values(y32.data)).toBe(true);
      expect(record(`${backend} forward`, relErr(y32.data, y64.data))).toBeLessThanOrEqual(BOUND);

      const e32 = f32.evaluate(b32);
      const e64 = f64.evaluate(b64);
      expect(e32.count).toBe(e64.count);
      expect(record(`${backend} loss`, Math.abs(e32.loss - e64.loss) / e64.loss)).toBeLessThanOrEqual(BOUND);

      const g32 = f32.gradients(b32);
      const g64 = f64.gradients(b64);
      expect(Math.abs(g32.loss - g64.loss) / g64.loss).toBeLessThanOrEqual(BOUND);
      expect(Object.keys(g32.grads).sort()).toEqual(Object.keys(g64.grads).sort());
      for (const [k, g] of Object.entries(g32.grads)) {
        expect(g).toBeInstanceOf(Float64Array);
        expect(isFloat32Values(g)).toBe(true);
        // A bias_hh of a zero-bias layer has a gradient like any other: compare every one.
        expect(record(`${backend} gradients`, relErr(g, g64.grads[k])), k).toBeLessThanOrEqual(BOUND);
      }
      // The js backend computes float32 requests in float64; the others run float32 products.
      const exact = Object.entries(g32.grads).every(([k, g]) => relErr(g, Array.from(g64.grads[k], Math.fround)) === 0);
      expect(exact).toBe(backend === 'js');
    });

    test.each(['SGD', 'Adam'])('5 %s steps stay within the training bound', (name) => {
      const { f32, f64 } = pair(kind, 7);
      const make = (): Optimizer => (name === 'SGD' ? new SGD({ lr: 0.3 }) : new Adam({ lr: 0.01 }));
      const [o32, o64] = [make(), make()];
      for (let s = 0; s < 5; s++) {
        const batch = tokenBatch(20 + s);
        const r32 = f32.trainStep(batch, o32, { norm: 5 });
        const r64 = f64.trainStep(batch, o64, { norm: 5 });
        expect(record(`${backend} ${name} loss`, Math.abs(r32.loss - r64.loss) / r64.loss)).toBeLessThanOrEqual(BOUND);
      }
      for (const [k, p] of Object.entries(f32.params)) {
        expect(isFloat32Values(p), k).toBe(true);
        expect(record(`${backend} ${name} parameters`, relErr(p, f64.params[k])), k).toBeLessThanOrEqual(BOUND);
      }
    });

    test('sampling and a stateful pass run', () => {
      const { f32 } = pair(kind, 8);
      const samples = f32.sample({ n: 3, maxLength: 8, seed: 2 });
      expect(samples).toHaveLength(3);
      for (const s of samples) for (const k of s) expect(k >= 0 && k < N_Y).toBe(true);
      expect(f32.sample({ n: 3, maxLength: 8, seed: 2 })).toEqual(samples);
      f32.stateful = true;
      const first = f32.forward(tokenBatch(30));
      const second = f32.forward(tokenBatch(30));
      expect(relErr(first.data, second.data)).toBeGreaterThan(0);
      f32.resetState();
      expect(Array.from(f32.forward(tokenBatch(30)).data)).toEqual(Array.from(first.data));
    });

    test('serializeModel, modelToBytes and saveModel record dtype and load it back', () => {
      const { f32, f64 } = pair(kind, 9);
      const text = serializeModel(f32);
      expect(JSON.parse(text).dtype).toBe('float32');
      expect(JSON.parse(serializeModel(f64)).dtype).toBeUndefined();
      const batch = tokenBatch(10);
      const expected = Array.from(f32.forward(batch).data);
      const dir = mkdtempSync(join(tmpdir(), 'rnn-f32-model-'));
      try {
        const path = join(dir, 'model.json');
        saveModel(f32, path);
        for (const loaded of [parseModel(text), modelFromBytes(modelToBytes(f32)), loadModel(path)]) {
          expect(loaded.dtype).toBe('float32');
          expect(serializeModel(loaded)).toBe(text);
          expect(Array.from(loaded.forward(batch).data)).toEqual(expected);
        }
        // A file without dtype (every earlier one) is float64.
        const doc = JSON.parse(readFileSync(path, 'utf8'));
        delete doc.dtype;
        writeFileSync(path, JSON.stringify(doc));
        expect(loadModel(path).dtype).toBe('float64');
        expect(serializeModel(loadModel(path))).toBe(serializeModel(f64));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('a bad dtype is refused, naming dtype, and the module stays usable', () => {
    for (const bad of ['float16', 'f32', 32, null]) {
      expectError(() => new LSTMModel({ n_x: 3, n_a: 4, n_y: 3, dtype: bad as never }), RangeError, 'ERR_RNN_VALUE', /model option dtype must be 'float64' or 'float32'; got/);
    }
    expectError(() => new GRUModel({ n_x: 3, n_a: 4, n_y: 3, layers: 2, dtype: 'double' as never }), RangeError, 'ERR_RNN_VALUE', /dtype/);
    const doc = JSON.parse(serializeModel(new RNNModel({ n_x: 3, n_a: 4, n_y: 3 })));
    expectError(() => parseModel({ ...doc, dtype: 'float16' }), TypeError, 'ERR_RNN_MODEL_FORMAT', /dtype must be "float64" or "float32"/);
    const model = new RNNModel({ n_x: 3, n_a: 4, n_y: 3, dtype: 'float32' });
    expect(model.evaluate(tokenBatchSmall()).count).toBe(4);
  });
});

function tokenBatchSmall(): Batch {
  return { tokens: [0, 1, 2, 0], targets: [1, 2, 0, 1], T: 2, m: 2 };
}
