/**
 * Models on the layer stack — GRUModel, and RNN/LSTM/GRU models of more than one layer — and the
 * compatibility of one-layer RNN and LSTM models with what they were before the layer stack:
 *
 * - the hidden states against PyTorch (test/fixtures/layers, torch float64): the softmax of
 *   `Wy·h + by` over PyTorch's `output`, and the carried state against its `h` (and `c`);
 * - full-model gradients against central differences (js reference), training on a tiny corpus,
 *   stateful continuation, sampling, save/load (version 2), `.npy` names, bad options;
 * - every other backend against the js reference within 1e-10;
 * - version-1 files written before the layer stack existed (test/fixtures/models) load, compute
 *   and re-save exactly as they did then, and new one-layer models draw the same weights.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Adam,
  GRUModel,
  LSTMModel,
  RNNModel,
  getBackend,
  loadModel,
  npyFiles,
  parseModel,
  serializeModel,
  setBackend,
  type AnyModel,
  type Batch,
  type ModelOptions,
} from '../ts/index.js';
import { BACKENDS, makeRng, maxAbsDiff, relErr } from './helpers.js';

const initial = getBackend();
afterAll(() => setBackend(initial));

const fixture = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));

type Make = (o: ModelOptions) => AnyModel;
const MAKERS = { rnn: (o: ModelOptions) => new RNNModel(o), lstm: (o: ModelOptions) => new LSTMModel(o), gru: (o: ModelOptions) => new GRUModel(o) };

/** The models on the layer stack: [title, kind, layers, make]. */
const STACKED: [string, 'rnn' | 'lstm' | 'gru', number, Make][] = [
  ['gru, 1 layer', 'gru', 1, MAKERS.gru],
  ['gru, 2 layers', 'gru', 2, MAKERS.gru],
  ['rnn, 2 layers', 'rnn', 2, MAKERS.rnn],
  ['lstm, 2 layers', 'lstm', 2, MAKERS.lstm],
  ['lstm, 3 layers', 'lstm', 3, MAKERS.lstm],
];

/** A token batch with every fifth target missing (padding) and some all-zero inputs (-1). */
function tokenBatch(seed: number, n_x: number, n_y: number, T: number, m: number): Batch & { tokens: number[]; targets: number[] } {
  const rng = makeRng(seed);
  const pick = (n: number) => Math.floor(rng.uniform() * n);
  const tokens = Array.from({ length: T * m }, (_, i) => (i % 7 === 6 ? -1 : pick(n_x)));
  const targets = Array.from({ length: T * m }, (_, i) => (i % 5 === 4 ? -1 : pick(n_y)));
  return { tokens, targets, T, m };
}

/** "abcd" repeated: every next token is determined by the current one. */
function train(make: Make, layers: number, steps: number) {
  const model = make({ n_x: 4, n_a: 8, n_y: 4, layers, seed: 11, vocabulary: ['\n', 'a', 'b', 'c'] });
  const optimizer = new Adam({ lr: 0.05 });
  const tokens = Array.from({ length: 8 * 4 }, (_, i) => (i + Math.floor(i / 4)) % 4);
  const targets = tokens.map((k) => (k + 1) % 4);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(model.trainStep({ tokens, targets, T: 8, m: 4 }, optimizer, { norm: 5 }).loss);
  return { model, losses };
}

interface TorchArray {
  shape: number[];
  data: number[];
}
interface TorchCase {
  name: string;
  options: { inputSize: number; hiddenSize: number; numLayers: number; batchFirst: boolean };
  T: number;
  N: number;
  stateDict: Record<string, TorchArray>;
  inputs: { x: TorchArray };
  outputs: { output: TorchArray; h: TorchArray; c?: TorchArray };
}

describe('hidden states match PyTorch (float64): softmax(Wy·output + by) and the carried h, c', () => {
  const cases: [string, string, string, Make][] = [
    ['gru', 'gru_L2_uni_full_bias_tm_noh0', 'layers/gru.json', MAKERS.gru],
    ['gru', 'gru_L1_uni_full_bias_bf_noh0', 'layers/gru.json', MAKERS.gru],
    ['lstm', 'lstm_L2_uni_full_bias_tm_noh0', 'layers/lstm.json', MAKERS.lstm],
    ['rnn', 'rnn_tanh_L2_uni_full_bias_tm_noh0', 'layers/rnn_tanh.json', MAKERS.rnn],
  ];
  describe.each(BACKENDS)('on the %s backend', (backend) => {
    it.each(cases)('%s: %s', (_kind, name, file, make) => {
      setBackend(backend);
      const c = (fixture(`./fixtures/${file}`).cases as TorchCase[]).find((k) => k.name === name)!;
      const { inputSize: F, hiddenSize: H, numLayers: L, batchFirst } = c.options;
      const { T, N } = c;
      const n_y = 5; // four rows of Wy at a time in the output layer, and one left over
      const model = make({ n_x: F, n_a: H, n_y, layers: L, seed: 2, stateful: true });
      for (const [key, value] of Object.entries(c.stateDict)) {
        expect(model.params[key].length, key).toBe(value.data.length);
        model.params[key].set(value.data);
      }
      // x (T, N, F) or (N, T, F) as PyTorch takes it → the model's (n_x, m, T).
      const at = (t: number, j: number, f: number) => c.inputs.x.data[(batchFirst ? j * T + t : t * N + j) * F + f];
      const x = { shape: [F, N, T], data: Float64Array.from({ length: F * N * T }, (_, i) => at(i % T, Math.floor(i / T) % N, Math.floor(i / (T * N)))) };
      const y = model.forward({ x });
      // The expected softmax outputs, from PyTorch's output and the model's own Wy, by.
      const out = (t: number, j: number, i: number) => c.outputs.output.data[(batchFirst ? j * T + t : t * N + j) * H + i];
      const { Wy, by } = model.params;
      const want = new Float64Array(n_y * N * T);
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < N; j++) {
          const z = Array.from({ length: n_y }, (_, k) => by[k] + Array.from({ length: H }, (_, i) => Wy[k * H + i] * out(t, j, i)).reduce((a, b) => a + b));
          const max = Math.max(...z);
          const e = z.map((v) => Math.exp(v - max));
          const sum = e.reduce((a, b) => a + b);
          for (let k = 0; k < n_y; k++) want[(k * N + j) * T + t] = e[k] / sum;
        }
      }
      expect(y.shape).toEqual([n_y, N, T]);
      expect(relErr(y.data, want)).toBeLessThan(1e-10);
      // The carried state is (layers, n_a, m); PyTorch's h is (layers, N, H).
      const state = model.state!;
      const torchState = (a: TorchArray) => Float64Array.from({ length: L * H * N }, (_, i) => a.data[(Math.floor(i / (H * N)) * N + (i % N)) * H + (Math.floor(i / N) % H)]);
      expect(relErr(state.a, torchState(c.outputs.h))).toBeLessThan(1e-10);
      if (c.outputs.c) expect(relErr(state.c!, torchState(c.outputs.c))).toBeLessThan(1e-10);
      else expect(state.c).toBeUndefined();
    });
  });
});

describe.each(STACKED)('%s (js reference)', (_title, kind, layers, make) => {
  it('full-model gradients match central differences, on every parameter', () => {
    setBackend('js');
    const model = make({ n_x: 5, n_a: 3, n_y: 4, layers, seed: 3 });
    // Larger weights than the initialisation, so every gate is exercised off its linear part.
    for (const p of Object.values(model.params)) for (let i = 0; i < p.length; i++) p[i] *= 2.5;
    const b = tokenBatch(9, 5, 4, 4, 3);
    const { grads, count } = model.gradients(b);
    expect(count).toBe(b.targets.filter((k) => k >= 0).length);
    const h = 1e-6;
    expect(Object.keys(grads).sort()).toEqual(Object.keys(model.params).sort());
    for (const [name, p] of Object.entries(model.params)) {
      const numeric = p.map((v, i) => {
        p[i] = v + h;
        const plus = model.evaluate(b).loss;
        p[i] = v - h;
        const minus = model.evaluate(b).loss;
        p[i] = v;
        return (plus - minus) / (2 * h);
      });
      expect(relErr(grads[name], numeric), name).toBeLessThan(1e-6);
    }
  });

  it('the loss falls on a tiny corpus, deterministically', () => {
    setBackend('js');
    const first = train(make, layers, 60).losses;
    expect(train(make, layers, 60).losses).toEqual(first);
    expect(first[0]).toBeGreaterThan(1);
    expect(first[59]).toBeLessThan(0.05 * first[0]);
  });

  it('has PyTorch state-dict names and shapes, then Wy, by; no notebook names', () => {
    const model = make({ n_x: 5, n_a: 3, n_y: 4, layers, seed: 1 });
    const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
    const shapes: Record<string, number[]> = {};
    for (let k = 0; k < layers; k++) {
      Object.assign(shapes, {
        [`weight_ih_l${k}`]: [3 * G, k === 0 ? 5 : 3],
        [`weight_hh_l${k}`]: [3 * G, 3],
        [`bias_ih_l${k}`]: [3 * G],
        [`bias_hh_l${k}`]: [3 * G],
      });
    }
    Object.assign(shapes, { Wy: [4, 3], by: [4, 1] });
    expect(model.parameterShapes()).toEqual(shapes);
    expect(Object.keys(model.parameterShapes())).toEqual(Object.keys(shapes));
    const named = model.namedParameters();
    expect(Object.keys(named)).toEqual(Object.keys(shapes));
    for (const [k, v] of Object.entries(named)) {
      expect(v.shape, k).toEqual(shapes[k]);
      expect(v.data, k).toEqual(model.params[k]);
      expect(v.data).not.toBe(model.params[k]);
    }
    expect(Object.keys(npyFiles(model))).toEqual(Object.keys(shapes).map((k) => `${k}.npy`));
    expect(() => model.notebookParameters()).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringMatching(/notebookParameters.*namedParameters/) }));
    // PyTorch's initialisation: every recurrent weight and bias within ±1/√n_a, not all equal.
    for (const [k, v] of Object.entries(model.params)) {
      if (k === 'Wy' || k === 'by') continue;
      expect(Math.max(...v.map(Math.abs)), k).toBeLessThanOrEqual(1 / Math.sqrt(3));
      expect(new Set(v).size, k).toBeGreaterThan(1);
    }
  });

  it('stateful continuation: two halves give what the whole sequence gives, every layer carried; reset starts over', () => {
    setBackend('js');
    const model = make({ n_x: 4, n_a: 5, n_y: 4, layers, seed: 5, stateful: true });
    const { tokens } = tokenBatch(3, 4, 4, 6, 2);
    const whole = model.forward({ tokens, T: 6, m: 2 });
    const end = model.state!;
    expect(end.a).toHaveLength(layers * 5 * 2);
    if (kind === 'lstm') expect(end.c).toHaveLength(layers * 5 * 2);
    model.resetState();
    const first = model.forward({ tokens: tokens.slice(0, 6), T: 3, m: 2 });
    const second = model.forward({ tokens: tokens.slice(6), T: 3, m: 2 });
    const [n, m, T] = whole.shape;
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < m; j++) {
        for (let t = 0; t < T; t++) {
          const part = t < 3 ? first.data[(k * m + j) * 3 + t] : second.data[(k * m + j) * 3 + t - 3];
          expect(Math.abs(part - whole.data[(k * m + j) * T + t])).toBeLessThan(1e-14);
        }
      }
    }
    expect(maxAbsDiff(model.state!.a, end.a)).toBeLessThan(1e-14);
    expect(() => model.forward({ tokens: [0, 1, 2], T: 1, m: 3 })).toThrow(/resetState/);
    model.resetState();
    expect(model.forward({ tokens: tokens.slice(0, 6), T: 3, m: 2 }).data).toEqual(first.data);
  });

  it('samples reproducibly; a trained model samples text from its vocabulary', () => {
    setBackend('js');
    const { model } = train(make, layers, 30);
    const text = model.sampleText({ n: 4, seed: 5, temperature: 0.5 });
    expect(model.sampleText({ n: 4, seed: 5, temperature: 0.5 })).toEqual(text);
    expect(text).toHaveLength(4);
    for (const line of text) expect(line).toMatch(/^[abc]*$/);
    expect(text.some((line) => line.includes('abc'))).toBe(true);
  });

  it('train → save → load: version 2 with kind and layers, bit-identical parameters and outputs, training continues', () => {
    setBackend('js');
    const { model } = train(make, layers, 10);
    const saved = serializeModel(model);
    const doc = JSON.parse(saved);
    expect(doc).toMatchObject({ format: 'rnn-wasm-model', version: 2, kind, layers, n_x: 4, n_a: 8, n_y: 4 });
    expect(Object.keys(doc.parameters)).toEqual(Object.keys(model.parameterShapes()));
    const loaded = parseModel(saved, kind);
    expect(loaded).toBeInstanceOf(model.constructor);
    expect(loaded.layers).toBe(layers);
    for (const [k, v] of Object.entries(model.params)) expect(loaded.params[k], k).toEqual(v);
    const batch = { tokens: [1, 2, 3, 0, 2, 3, 1, 1], T: 4, m: 2 };
    expect(loaded.forward(batch).data).toEqual(model.forward(batch).data);
    expect(loaded.sampleText({ n: 4, seed: 3 })).toEqual(model.sampleText({ n: 4, seed: 3 }));
    expect(serializeModel(loaded)).toBe(saved);
    expect(Number.isFinite(loaded.trainStep({ ...batch, targets: [2, 3, 0, 1, 3, 0, 2, 2] }, new Adam({ lr: 0.01 })).loss)).toBe(true);
  });
});

describe.each(BACKENDS.filter((b) => b !== 'js'))('the %s backend agrees with the js reference within 1e-10', (backend) => {
  it.each(STACKED)('%s: outputs, loss, every gradient, the carried state', (_title, _kind, layers, make) => {
    const run = (name: 'js' | typeof backend) => {
      setBackend(name);
      const model = make({ n_x: 6, n_a: 7, n_y: 5, layers, seed: 4, stateful: true });
      const batch = tokenBatch(2, 6, 5, 9, 5);
      const { loss, grads } = model.gradients(batch);
      return { loss, grads, y: model.forward(batch).data, state: model.state! };
    };
    const want = run('js');
    const got = run(backend);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-10);
    expect(relErr(got.y, want.y)).toBeLessThan(1e-10);
    expect(relErr(got.state.a, want.state.a)).toBeLessThan(1e-10);
    for (const [k, g] of Object.entries(want.grads)) expect(relErr(got.grads[k], g), k).toBeLessThan(1e-10);
  });
});

describe('version-1 model files written before the layer stack', () => {
  const expected = fixture('./fixtures/models/v1-expected.json');

  describe.each(BACKENDS)('on the %s backend', (backend) => {
    it.each(['rnn', 'lstm'] as const)('%s: loads, computes as then (bit-identical on js), re-saves byte for byte', (kind) => {
      setBackend(backend);
      const want = expected.models[kind];
      const path = new URL(`./fixtures/models/${want.file}`, import.meta.url).pathname;
      const model = loadModel(path, kind);
      expect(model).toBeInstanceOf(kind === 'rnn' ? RNNModel : LSTMModel);
      expect(model.layers).toBe(1);
      expect(serializeModel(model) + '\n').toBe(readFileSync(path, 'utf8'));
      const y = model.forward(expected.batch);
      const g = model.gradients(expected.batch);
      const tolerance = backend === 'js' ? 0 : 1e-10;
      expect(y.shape).toEqual(want.forward.shape);
      expect(relErr(y.data, want.forward.data)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(g.loss - want.loss) / want.loss).toBeLessThanOrEqual(tolerance);
      expect(g.count).toBe(want.count);
      expect(Object.keys(g.grads).sort()).toEqual(Object.keys(want.grads).sort());
      for (const [k, v] of Object.entries(g.grads)) expect(relErr(v, want.grads[k]), k).toBeLessThanOrEqual(tolerance);
      expect(Object.keys(model.notebookParameters())).toEqual(want.notebookParameterNames);
      expect(Object.keys(npyFiles(model))).toEqual(want.notebookParameterNames.map((k: string) => `${k}.npy`));
      if (backend === 'js') expect(model.sample({ n: 3, maxLength: 10, seed: 4, temperature: 0.9 })).toEqual(want.samples);
    });
  });

  it('new one-layer models draw the same initial weights and save as version 1, without layers', () => {
    const { options, rnn, lstm } = expected.initial;
    expect(JSON.parse(serializeModel(new RNNModel(options)))).toEqual(rnn);
    expect(JSON.parse(serializeModel(new LSTMModel(options)))).toEqual(lstm);
    expect(JSON.parse(serializeModel(new LSTMModel({ ...options, layers: 1 })))).toEqual(lstm);
  });
});

describe('bad layer options and version-2 files', () => {
  it.each([0, 1.5, 65, -1])('layers = %s is a RangeError naming layers', (layers) => {
    for (const Model of [RNNModel, LSTMModel, GRUModel]) {
      expect(() => new Model({ n_x: 2, n_a: 2, n_y: 2, layers })).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_RNN_VALUE', message: expect.stringMatching(/^layers must be an integer in \[1, 64\]/) }),
      );
    }
    expect(() => new GRUModel({ n_x: 2, n_a: 2, n_y: 2, layers: '2' as never })).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^layers must be an integer/) }));
  });

  const good = JSON.parse(serializeModel(new GRUModel({ n_x: 2, n_a: 3, n_y: 2, layers: 2, seed: 1 })));
  it.each([
    ['no layers', { ...good, layers: undefined }, /layers must be an integer from 1 to 64 in a version-2 file; got undefined/],
    ['layers 0', { ...good, layers: 0 }, /layers must be an integer from 1 to 64/],
    ['more layers than parameters', { ...good, layers: 3 }, /parameter weight_ih_l2 is missing/],
    ['fewer layers than parameters', { ...good, layers: 1 }, /unexpected parameter weight_ih_l1 for a gru model/],
    ['an unknown kind', { ...good, kind: 'transformer' }, /kind must be "rnn", "lstm" or "gru"; got the string "transformer"/],
    ['a gru in a version-1 file', { ...good, version: 1 }, /kind must be "rnn" or "lstm" in a version-1 file; got the string "gru"/],
    ['a later version', { ...good, version: 3 }, /unsupported model version 3; this build reads versions 1 to 2/],
    ['a wrong gate count', { ...good, parameters: { ...good.parameters, bias_ih_l1: { shape: [3], data: [0, 0, 0] } } }, /parameter bias_ih_l1 must have shape \(9\)/],
  ])('rejects %s', (_, doc, message) => {
    expect(() => parseModel(JSON.stringify(doc))).toThrow(expect.objectContaining({ code: 'ERR_RNN_MODEL_FORMAT', message: expect.stringMatching(message) }));
  });

  it('a GRU file is refused where an LSTM is expected', () => {
    expect(() => parseModel(JSON.stringify(good), 'lstm')).toThrow(/is a gru model, expected an lstm model/);
    expect(parseModel(JSON.stringify(good), 'gru')).toBeInstanceOf(GRUModel);
  });
});
