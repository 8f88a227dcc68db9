/**
 * rnn-wasm's TF.js layers (`lstm`, `gru` from rnn-wasm/tfjs) against TF.js's own
 * `tf.layers.lstm` / `tf.layers.gru` on TF.js's cpu backend:
 * - outputs, and gradients of a loss with respect to the input and every weight (tf.variableGrads),
 *   equal TF.js's with the same weights copied over, within 1e-4 relative to the largest
 *   magnitude of each tensor (TF.js computes in float32; rnn-wasm's products too, its cell math
 *   in float64),
 *   for the default hardSigmoid, sigmoid, other activations, returnSequences on and off,
 *   returnState, goBackwards, useBias false and (GRU) resetAfter false;
 * - `gru({ resetAfter: true })`, which TF.js refuses, against PyTorch float64 values
 *   (test/fixtures/tfjs/gru_reset_after.json, written by make_gru_reset_after.py beside it:
 *   torch.nn.GRU for sigmoid gates, Keras's equations in torch autograd for hardSigmoid);
 * - a tf.sequential model (lstm + dense) trained by model.fit ends with the same weights as the
 *   same model with TF.js's layer; weights initialise with TF.js's shapes and defaults;
 * - save / load round trip through tf.io.withSaveHandler / tf.io.fromMemory;
 * - options rnn-wasm cannot honour throw at construction (or, for masks and initialState, when
 *   the layer is applied), naming the option; a failed call leaves the layer usable.
 * Runs on each rnn-wasm backend (js reference and wasm, native when built).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gru, lstm, RnnWasmGRU, RnnWasmLSTM } from '../ts/tfjs/index.js';
import { getBackend, setBackend } from '../ts/index.js';
import { BACKENDS, makeRng } from './helpers.js';

const TOL = 1e-4;

/** max |a − b| over max |b| (absolute below magnitude 1e-6, where relative means nothing). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor | { shape: number[]; data: number[] }, what: string, tol = TOL): void {
  const shape = expected instanceof tf.Tensor ? expected.shape : expected.shape;
  const data = expected instanceof tf.Tensor ? expected.dataSync() : expected.data;
  expect(actual.shape, what).toEqual(shape);
  const d = relDiff(actual.dataSync(), data);
  expect(d, `${what}: relative difference ${d}`).toBeLessThanOrEqual(tol);
}

function randomTensor(rng: () => number, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale), shape);
}

type Kind = 'lstm' | 'gru';
const make = (kind: Kind, ours: boolean, config: Record<string, unknown>): tf.layers.Layer =>
  ours ? (kind === 'lstm' ? lstm(config as never) : gru(config as never)) : kind === 'lstm' ? tf.layers.lstm(config as never) : tf.layers.gru(config as never);

/** The layer's outputs as a list (one tensor, or output and states with returnState). */
const asList = (y: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(y) ? y : [y]);

/**
 * Forward outputs and the gradients of sum(Σ_k out_k · R_k) with respect to x and every weight
 * (in getWeights order), R_k fixed random tensors.
 */
function outputsAndGrads(layer: tf.layers.Layer, x: tf.Tensor, R: tf.Tensor[]): { outputs: tf.Tensor[]; grads: tf.Tensor[] } {
  const xv = tf.variable(x);
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputs = asList(layer.apply(xv) as tf.Tensor | tf.Tensor[]);
  const { grads } = tf.variableGrads(() => {
    const ys = asList(layer.apply(xv) as tf.Tensor | tf.Tensor[]);
    return tf.addN(ys.map((y, k) => tf.sum(tf.mul(y, R[k])))) as tf.Scalar;
  }, [xv, ...vars]);
  const result = { outputs, grads: [xv, ...vars].map((v) => grads[v.name]) };
  xv.dispose();
  return result;
}

let savedBackend: ReturnType<typeof getBackend>;
beforeAll(async () => {
  savedBackend = getBackend();
  await tf.setBackend('cpu');
});
afterAll(() => setBackend(savedBackend));

const CASES: { name: string; config: Record<string, unknown>; kinds?: Kind[] }[] = [
  { name: 'defaults (hardSigmoid recurrent activation)', config: {} },
  { name: 'sigmoid', config: { recurrentActivation: 'sigmoid' } },
  { name: 'returnSequences', config: { returnSequences: true } },
  { name: 'returnState', config: { returnState: true } },
  { name: 'returnSequences + returnState', config: { returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' } },
  { name: 'goBackwards', config: { goBackwards: true } },
  { name: 'goBackwards + returnSequences + returnState', config: { goBackwards: true, returnSequences: true, returnState: true } },
  { name: 'useBias false', config: { useBias: false, returnSequences: true } },
  { name: 'activation elu, recurrentActivation sigmoid', config: { activation: 'elu', recurrentActivation: 'sigmoid', returnSequences: true } },
  { name: 'activation softsign, recurrentActivation linear', config: { activation: 'softsign', recurrentActivation: 'linear' } },
  { name: 'activation relu', config: { activation: 'relu', returnSequences: true } },
];

describe.each(BACKENDS)('rnn-wasm backend %s', (backend) => {
  beforeAll(() => setBackend(backend));

  describe.each(['lstm', 'gru'] as Kind[])('%s matches TF.js', (kind) => {
    test.each(CASES)('$name', ({ config }) => {
      const gen = makeRng(kind === 'lstm' ? 7 : 8);
      const rng = () => gen.uniform();
      const [N, T, F, H] = [3, 6, 4, 5];
      const x = randomTensor(rng, [N, T, F]);
      const theirs = make(kind, false, { units: H, ...config });
      const ours = make(kind, true, { units: H, ...config });
      // apply() builds (TF.js's RNN.build leaves `built` to apply).
      theirs.apply(x);
      ours.apply(x);
      // Random weights (biases included), copied from TF.js's layer into ours.
      theirs.setWeights(theirs.getWeights().map((w) => randomTensor(rng, w.shape, 0.6)));
      ours.setWeights(theirs.getWeights());
      expect(ours.getWeights().map((w) => w.shape)).toEqual(theirs.getWeights().map((w) => w.shape));

      const shapes = asList(theirs.apply(x) as tf.Tensor | tf.Tensor[]).map((y) => y.shape);
      const R = shapes.map((s) => randomTensor(rng, s));
      const a = outputsAndGrads(ours, x, R);
      const b = outputsAndGrads(theirs, x, R);
      expect(a.outputs.length).toBe(b.outputs.length);
      a.outputs.forEach((y, k) => expectClose(y, b.outputs[k], `output ${k}`));
      expect(a.outputs[0].dtype).toBe('float32');
      const names = ['x', 'kernel', 'recurrentKernel', 'bias'];
      a.grads.forEach((g, k) => expectClose(g, b.grads[k], `gradient of ${names[k]}`));
      // Inference (no tape) gives the same numbers as the taped pass.
      const plain = asList(ours.apply(x) as tf.Tensor | tf.Tensor[]);
      plain.forEach((y, k) => expect(Array.from(y.dataSync())).toEqual(Array.from(a.outputs[k].dataSync())));
    });
  });

  describe('gru resetAfter true against PyTorch (float64 reference)', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/tfjs/gru_reset_after.json', import.meta.url), 'utf8'));
    const t = (a: { shape: number[]; data: number[] }) => tf.tensor(a.data, a.shape, 'float32');
    test.each(['sigmoid', 'hardSigmoid'] as const)('%s', (act) => {
      const { N, T, F, units } = fixture.dims;
      const layer = gru({ units, resetAfter: true, recurrentActivation: act, returnSequences: true, returnState: true });
      layer.apply(tf.zeros([N, T, F]));
      expect(layer.getWeights().map((w) => w.shape)).toEqual([
        [F, 3 * units],
        [units, 3 * units],
        [2, 3 * units],
      ]);
      layer.setWeights([t(fixture.inputs.kernel), t(fixture.inputs.recurrentKernel), t(fixture.inputs.bias)]);
      const ref = fixture.cases[act];
      const { outputs, grads } = outputsAndGrads(layer, t(fixture.inputs.x), [t(fixture.inputs.R), t(fixture.inputs.Rh)]);
      expectClose(outputs[0], ref.output, 'output');
      expectClose(outputs[1], ref.h, 'h');
      expectClose(grads[0], ref.dx, 'dx');
      expectClose(grads[1], ref.dkernel, 'dkernel');
      expectClose(grads[2], ref.drecurrentKernel, 'drecurrentKernel');
      expectClose(grads[3], ref.dbias, 'dbias');
    });
  });
});

describe('models', () => {
  const [N, T, F, H] = [8, 7, 3, 6];
  const gen = makeRng(99);
  const rng = () => gen.uniform();
  const x = randomTensor(rng, [N, T, F]);
  const y = randomTensor(rng, [N, 2]);

  function model(ours: boolean, config: Record<string, unknown> = {}): tf.Sequential {
    const rnn = ours ? lstm({ units: H, inputShape: [T, F], ...config }) : tf.layers.lstm({ units: H, inputShape: [T, F], ...config });
    return tf.sequential({ layers: [rnn, tf.layers.dense({ units: 2 })] });
  }

  test.each([
    ['sgd', () => tf.train.sgd(0.2)],
    ['adam', () => tf.train.adam(0.01)],
  ] as const)('model.fit (%s, 4 steps) ends with the weights of the same model with TF.js LSTM', async (_name, optimizer) => {
    const a = model(true);
    const b = model(false);
    b.setWeights(b.getWeights().map((w) => randomTensor(rng, w.shape, 0.5)));
    a.setWeights(b.getWeights());
    for (const m of [a, b]) m.compile({ optimizer: optimizer(), loss: 'meanSquaredError' });
    const ha = await a.fit(x, y, { epochs: 4, batchSize: N, shuffle: false, verbose: 0 });
    const hb = await b.fit(x, y, { epochs: 4, batchSize: N, shuffle: false, verbose: 0 });
    const la = ha.history.loss as number[];
    const lb = hb.history.loss as number[];
    la.forEach((l, i) => expect(Math.abs(l - lb[i])).toBeLessThanOrEqual(TOL * Math.abs(lb[i])));
    expect(la[3]).toBeLessThan(la[0]);
    const wa = a.getWeights();
    b.getWeights().forEach((w, k) => expectClose(wa[k], w, `weight ${k} after fit`));
    expectClose(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor, 'predict after fit');
  });

  test('initial weights: TF.js shapes, zero bias, unitForgetBias sets the forget gate to 1', () => {
    const plain = lstm({ units: 4 });
    plain.apply(tf.zeros([1, 2, 3]));
    const ws = plain.getWeights();
    expect(ws.map((w) => w.shape)).toEqual([[3, 16], [4, 16], [16]]);
    expect(Array.from(ws[2].dataSync()).every((v) => v === 0)).toBe(true);
    expect(plain.weights.map((w) => w.name.split('/').pop())).toEqual(['kernel', 'recurrent_kernel', 'bias']);
    // TF.js's default recurrent initializer is orthogonal: the (4, 16) kernel has orthonormal rows.
    const rk = ws[1];
    const gram = tf.matMul(rk, rk, false, true).dataSync();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(gram[i * 4 + j]).toBeCloseTo(i === j ? 1 : 0, 4);
    const ufb = lstm({ units: 4, unitForgetBias: true });
    ufb.apply(tf.zeros([1, 2, 3]));
    expect(Array.from(ufb.getWeights()[2].dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const custom = gru({ units: 2, kernelInitializer: 'ones', biasInitializer: tf.initializers.constant({ value: 3 }), useBias: true });
    custom.apply(tf.zeros([1, 2, 2]));
    expect(Array.from(custom.getWeights()[0].dataSync())).toEqual(new Array(12).fill(1));
    expect(Array.from(custom.getWeights()[2].dataSync())).toEqual(new Array(6).fill(3));
  });

  test('save and load round trip (withSaveHandler / fromMemory)', async () => {
    const m = tf.sequential({
      layers: [
        gru({ units: 5, inputShape: [T, F], returnSequences: true, resetAfter: true, goBackwards: true, activation: 'softsign' }),
        lstm({ units: H, recurrentActivation: 'sigmoid', unitForgetBias: true }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await m.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      }),
    );
    expect(saved).toBeDefined();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers[0]).toBeInstanceOf(RnnWasmGRU);
    expect(loaded.layers[1]).toBeInstanceOf(RnnWasmLSTM);
    expect(loaded.layers[0].getClassName()).toBe('RnnWasmGRU');
    const cfg = loaded.layers[0].getConfig();
    expect(cfg).toMatchObject({ units: 5, resetAfter: true, goBackwards: true, returnSequences: true, activation: 'softsign' });
    expect(loaded.layers[1].getConfig()).toMatchObject({ units: H, recurrentActivation: 'sigmoid', unitForgetBias: true });
    const p = (m.predict(x) as tf.Tensor).dataSync();
    const q = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(q)).toEqual(Array.from(p));
  });

  test('works in a functional model with returnState', () => {
    const input = tf.input({ shape: [T, F] });
    const [out, h, c] = lstm({ units: H, returnState: true, returnSequences: true }).apply(input) as tf.SymbolicTensor[];
    expect(out.shape).toEqual([null, T, H]);
    expect(h.shape).toEqual([null, H]);
    expect(c.shape).toEqual([null, H]);
    const m = tf.model({ inputs: input, outputs: [out, h, c] });
    const ys = m.predict(x) as tf.Tensor[];
    expect(ys.map((v) => v.shape)).toEqual([
      [N, T, H],
      [N, H],
      [N, H],
    ]);
    // The last output step is h.
    expectClose(tf.squeeze(tf.slice(ys[0], [0, T - 1, 0], [N, 1, H]), [1]), ys[1], 'last step = h', 0);
  });
});

describe('errors', () => {
  const expectError = (fn: () => unknown, code: string, words: RegExp) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error, 'threw').toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe(code);
    expect((error as Error).message).toMatch(words);
  };

  test.each([
    ['dropout', { dropout: 0.2 }, /dropout must be 0/],
    ['recurrentDropout', { recurrentDropout: 0.5 }, /recurrentDropout must be 0/],
    ['stateful', { stateful: true }, /stateful must be false/],
    ['activation', { activation: 'selu' }, /config\.activation must be one of .*"selu"/],
    ['recurrentActivation', { recurrentActivation: 'relu6' }, /config\.recurrentActivation must be one of .*"relu6"/],
  ])('%s throws at construction, naming it', (_name, config, words) => {
    expectError(() => lstm({ units: 3, ...config } as never), 'ERR_RNN_VALUE', words);
    expectError(() => gru({ units: 3, ...config } as never), 'ERR_RNN_VALUE', words);
  });

  test('resetAfter on an LSTM, a non-boolean resetAfter and bad units throw', () => {
    expectError(() => lstm({ units: 3, resetAfter: true } as never), 'ERR_RNN_VALUE', /resetAfter is a GRU option/);
    expectError(() => gru({ units: 3, resetAfter: 'yes' } as never), 'ERR_RNN_VALUE', /resetAfter must be a boolean/);
    expect(() => lstm({ units: 0 })).toThrow(/units/);
    expectError(() => lstm(undefined as never), 'ERR_RNN_VALUE', /config must be an object/);
  });

  test('unroll and implementation are accepted (TF.js ignores them too)', () => {
    expect(() => lstm({ units: 3, unroll: true, implementation: 2 })).not.toThrow();
  });

  test('a mask (maskZero embedding) throws when the model runs, naming the mask', () => {
    // TF.js hands masks over only when a model executes, not when it is built.
    const emb = tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputLength: 5 });
    const m = tf.sequential({ layers: [emb, lstm({ units: 3 })] });
    expectError(() => m.predict(tf.tensor2d([[1, 2, 3, 0, 0]])), 'ERR_RNN_VALUE', /mask/);
    // Without the mask the same layers run.
    const plain = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }), lstm({ units: 3 })] });
    expect((plain.predict(tf.tensor2d([[1, 2, 3, 0, 0]])) as tf.Tensor).shape).toEqual([1, 3]);
  });

  test('initialState throws, naming it; a wrong input shape throws; the layer stays usable', () => {
    const layer = lstm({ units: 3 });
    const x = tf.ones([2, 4, 5]);
    const y0 = (layer.apply(x) as tf.Tensor).dataSync();
    expectError(() => layer.apply(x, { initialState: [tf.zeros([2, 3]), tf.zeros([2, 3])] }), 'ERR_RNN_VALUE', /initialState/);
    expect(() => layer.apply(tf.ones([2, 4, 6]))).toThrow(/5|shape/);
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(Array.from(y0));
  });
});
