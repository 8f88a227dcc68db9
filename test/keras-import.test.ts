/**
 * Keras / TF.js weights on rnn-wasm layers:
 * - `loadTfjsModel` on models TF.js saved (test/fixtures/keras/tfjs_*: TF.js's defaults with
 *   hardSigmoid gates, other activations, no bias, go_backwards, return_state, Bidirectional with
 *   each merge mode) and on tensorflowjs_converter's Keras layout (two shards, "lstm/lstm_cell/kernel"
 *   names): every recurrent layer's `predict` gives TF.js's own predictions (float32 computed in
 *   float64: 1e-5 relative to the largest magnitude); a reset_after GRU (which TF.js refuses)
 *   gives PyTorch's nn.GRU's;
 * - the same from the parsed JSON with an ArrayBuffer (the browser path), per-shard buffers, and
 *   a save handler's artifacts;
 * - `fromKeras` from a TF.js layer's own weights, and its gradients (through `layerGradsToKeras`)
 *   against TF.js's gradients of the same layer;
 * - the layout converters as each other's inverse, the LSTM/GRU activation options;
 * - every bad input's coded error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, type NDArray } from '../ts/index.js';
import { fromKeras, kerasLayer, loadTfjsModel, type KerasRecurrentLayer, type TfjsModelJson } from '../ts/keras/import-node.js';
import { loadTfjsModel as loadTfjsModelNeutral } from '../ts/keras/import.js';
import { kerasToLayerWeights, layerGradsToKeras } from '../ts/keras/layout.js';
import { expectError, makeRng, randn, relErr, type ErrorClass } from './helpers.js';

await tf.setBackend('cpu');

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'keras');

interface Fixture {
  shape: number[];
  data: number[];
}
interface Predictions {
  /** The model's input. */
  x: Fixture;
  /** Each recurrent layer's output(s) and its own input, by layer name. */
  outputs: Record<string, Fixture | Fixture[]>;
  inputs: Record<string, Fixture>;
}

/** A tensor's values as an NDArray. */
const arr = (t: tf.Tensor): NDArray => ({ data: Float64Array.from(t.dataSync()), shape: t.shape.slice() });

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** 1e-5 relative to the largest magnitude, and the same shape. */
function expectClose(got: NDArray, exp: Fixture, what: string): void {
  expect(got.shape, `${what} shape`).toEqual(exp.shape);
  expect(relErr(got.data, exp.data), what).toBeLessThan(1e-5);
}

function expectLayerMatches(layer: KerasRecurrentLayer, pred: Predictions): void {
  const y = layer.predict(pred.inputs[layer.name]);
  const exp = pred.outputs[layer.name];
  expect(exp, `predictions of ${layer.name}`).toBeDefined();
  if (Array.isArray(exp)) {
    expect(Array.isArray(y)).toBe(true);
    const ys = y as NDArray[];
    expect(ys.length).toBe(exp.length);
    ys.forEach((a, i) => expectClose(a, exp[i], `${layer.name}[${i}]`));
  } else {
    expect(Array.isArray(y)).toBe(false);
    expectClose(y as NDArray, exp, layer.name);
  }
}


describe('loadTfjsModel on TF.js-saved models', () => {
  const cases: [string, string[]][] = [
    ['tfjs_seq', ['lstm_a', 'gru_b', 'lstm_c']],
    ['tfjs_acts', ['lstm_relu', 'lstm_elu_nobias', 'lstm_back', 'lstm_state', 'gru_softsign_nobias', 'gru_linear', 'gru_back', 'gru_back_state', 'rnn_tanh', 'rnn_relu_back']],
    ['tfjs_bidi', ['bidi_concat', 'bidi_sum', 'bidi_ave', 'bidi_mul', 'bidi_rnn']],
  ];
  for (const [dir, names] of cases) {
    test(`${dir}: every recurrent layer gives TF.js's predictions`, () => {
      const model = loadTfjsModel(join(FIXTURES, dir, 'model.json'));
      expect(model.format).toBe('layers-model');
      expect(model.kerasVersion).toBe('tfjs-layers 4.22.0');
      expect(model.layers.map((l) => l.name)).toEqual(names);
      const pred = readJson<Predictions>(join(FIXTURES, dir, 'predictions.json'));
      for (const layer of model.layers) expectLayerMatches(layer, pred);
    });
  }

  test('the records describe each layer', () => {
    const { layers, weights } = loadTfjsModel(join(FIXTURES, 'tfjs_acts', 'model.json'));
    const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(byName.lstm_relu.className).toBe('LSTM');
    expect(byName.lstm_relu.layer).toBeInstanceOf(LSTM);
    expect(byName.lstm_relu.layer.batchFirst).toBe(true);
    expect((byName.lstm_relu.layer as LSTM).activation).toEqual({ name: 'Relu', alpha: 0, beta: 0 });
    expect((byName.lstm_elu_nobias.layer as LSTM).recurrentActivation).toEqual({ name: 'HardSigmoid', alpha: 0.2, beta: 0.5 });
    expect(byName.lstm_elu_nobias.layer.bias).toBe(false);
    expect(byName.lstm_back.goBackwards).toBe(true);
    expect(byName.lstm_state.returnState).toBe(true);
    const gru = byName.gru_linear.layer as GRU;
    expect(gru).toBeInstanceOf(GRU);
    expect(gru.linearBeforeReset).toBe(false);
    expect(byName.gru_linear.config.activation).toBe('linear');
    // Every weight by name, the dense layers' too.
    expect(weights['lstm_relu/kernel'].shape).toEqual([3, 12]);
    const bidi = loadTfjsModel(join(FIXTURES, 'tfjs_bidi', 'model.json')).layers;
    expect(bidi.map((l) => [l.className, l.kind, l.mergeMode, l.layer.bidirectional])).toEqual([
      ['Bidirectional', 'lstm', 'concat', true],
      ['Bidirectional', 'gru', 'sum', true],
      ['Bidirectional', 'gru', 'ave', true],
      ['Bidirectional', 'lstm', 'mul', true],
      ['Bidirectional', 'rnn', 'concat', true],
    ]);
    expect(byName.rnn_relu_back.className).toBe('SimpleRNN');
    expect(byName.rnn_relu_back.layer).toBeInstanceOf(RNN);
    expect((byName.rnn_relu_back.layer as RNN).nonlinearity).toBe('relu');
    const seq = loadTfjsModel(join(FIXTURES, 'tfjs_seq', 'model.json'));
    expect(seq.weights['dense_d/kernel'].shape).toEqual([2, 2]);
  });

  test('the layer itself: forward on the batch-first x gives the sequence output, h the last state', () => {
    const { layers } = loadTfjsModel(join(FIXTURES, 'tfjs_seq', 'model.json'));
    const pred = readJson<Predictions>(join(FIXTURES, 'tfjs_seq', 'predictions.json'));
    const r = layers[0].layer.forward(pred.inputs.lstm_a);
    expectClose(r.output, pred.outputs.lstm_a as Fixture, 'output');
  });

  test('from the parsed JSON and the bytes (the browser path): one buffer, per-shard buffers, artifacts', () => {
    const dir = join(FIXTURES, 'keras2_converted');
    const json = readJson<TfjsModelJson>(join(dir, 'model.json'));
    const shards = ['group1-shard1of2.bin', 'group1-shard2of2.bin'].map((p) => readFileSync(join(dir, p)));
    const whole = new Uint8Array(shards[0].length + shards[1].length);
    whole.set(shards[0]);
    whole.set(shards[1], shards[0].length);
    const pred = readJson<Predictions>(join(dir, 'predictions.json'));
    for (const model of [
      loadTfjsModelNeutral(json, whole.buffer),
      loadTfjsModelNeutral(json, shards),
      loadTfjsModel(json, whole),
      loadTfjsModelNeutral({ modelTopology: json.modelTopology, weightSpecs: (json.weightsManifest as { weights: unknown[] }[])[0].weights, weightData: whole.buffer }),
    ]) {
      expect(model.layers.map((l) => l.name)).toEqual(['lstm', 'gru', 'bidirectional']);
      for (const layer of model.layers) expectLayerMatches(layer, pred);
    }
  });

  test('artifacts from a TF.js save handler', async () => {
    const layer = tf.layers.gru({ units: 3, returnSequences: true, inputShape: [4, 2], name: 'g' });
    const model = tf.sequential({ layers: [layer] });
    const rng = makeRng(4);
    model.setWeights(model.getWeights().map((w) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', rng.uniform() * 1000)));
    const x = tf.randomUniform([2, 4, 2], -1, 1, 'float32', 7);
    const expected = model.predict(x) as tf.Tensor;
    let loaded: ReturnType<typeof loadTfjsModel> | undefined;
    await model.save(
      tf.io.withSaveHandler((artifacts) => {
        loaded = loadTfjsModel(artifacts as unknown as TfjsModelJson);
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } });
      }),
    );
    const y = loaded!.layers[0].predict(arr(x)) as NDArray;
    expectClose(y, { shape: expected.shape, data: Array.from(expected.dataSync()) }, 'g');
  });
});

describe('loadTfjsModel on tensorflowjs_converter layouts', () => {
  test("Keras 2 h5 conversion (model_config, cell names, two shards): TF.js's predictions", () => {
    const model = loadTfjsModel(join(FIXTURES, 'keras2_converted', 'model.json'));
    expect(model.kerasVersion).toBe('2.13.1');
    const pred = readJson<Predictions>(join(FIXTURES, 'keras2_converted', 'predictions.json'));
    for (const layer of model.layers) expectLayerMatches(layer, pred);
    expect((model.layers[0].layer as LSTM).recurrentActivation.name).toBe('Sigmoid');
    expect(model.weights['lstm/lstm_cell/kernel'].shape).toEqual([3, 16]);
  });

  test("GRU with reset_after true (bias (2, 3·units)): PyTorch's nn.GRU", () => {
    const model = loadTfjsModel(join(FIXTURES, 'keras_reset_after', 'model.json'));
    const pred = readJson<Predictions>(join(FIXTURES, 'keras_reset_after', 'predictions.json'));
    expect(model.layers.map((l) => [l.name, (l.layer as GRU).linearBeforeReset])).toEqual([
      ['gru', true],
      ['bidirectional', true],
    ]);
    for (const layer of model.layers) expectLayerMatches(layer, pred);
  });

  test("Keras 3's numbered variable names (layer/cell/0, 1, 2)", () => {
    const dir = join(FIXTURES, 'tfjs_seq');
    const json = readJson<Record<string, any>>(join(dir, 'model.json'));
    for (const w of json.weightsManifest[0].weights) {
      w.name = w.name.replace(/\/kernel$/, '/cell/0').replace(/\/recurrent_kernel$/, '/cell/1').replace(/\/bias$/, '/cell/2');
    }
    const model = loadTfjsModel(json, readFileSync(join(dir, 'weights.bin')));
    const pred = readJson<Predictions>(join(dir, 'predictions.json'));
    expect(model.layers.length).toBe(3);
    for (const layer of model.layers) expectLayerMatches(layer, pred);
  });

  test('a nested Sequential inside a functional model, and time_major', () => {
    const dir = join(FIXTURES, 'tfjs_seq');
    const bin = readFileSync(join(dir, 'weights.bin'));
    const pred = readJson<Predictions>(join(dir, 'predictions.json'));
    const json = readJson<Record<string, any>>(join(dir, 'model.json'));
    const inner = json.modelTopology;
    json.modelTopology = { class_name: 'Functional', config: { name: 'outer', layers: [{ class_name: 'Sequential', config: inner.config, name: 'inner' }] } };
    const nested = loadTfjsModel(json, bin);
    expect(nested.layers.map((l) => l.name)).toEqual(['lstm_a', 'gru_b', 'lstm_c']);
    for (const layer of nested.layers) expectLayerMatches(layer, pred);
    inner.config.layers[0].config.time_major = true;
    const tm = loadTfjsModel(json, bin).layers[0];
    expect(tm.layer.batchFirst).toBe(false);
    // (N, T, F) → (T, N, F) in, and the output back.
    const swap = (a: { shape: number[]; data: ArrayLike<number> }) => {
      const [A, B, C] = a.shape;
      const out = new Float64Array(A * B * C);
      for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) for (let c = 0; c < C; c++) out[(j * A + i) * C + c] = a.data[(i * B + j) * C + c];
      return { data: out, shape: [B, A, C] };
    };
    const y = tm.predict(swap(pred.inputs.lstm_a)) as NDArray;
    const back = swap(y);
    expectClose({ data: back.data, shape: back.shape }, pred.outputs.lstm_a as Fixture, 'time-major lstm_a');
  });

  test("Keras 3's hard_sigmoid is relu6(x + 3) / 6", () => {
    const json = readJson<Record<string, any>>(join(FIXTURES, 'keras_reset_after', 'model.json'));
    json.modelTopology.keras_version = '3.6.0';
    json.modelTopology.model_config.config.layers[1].config.recurrent_activation = 'hard_sigmoid';
    const dir = join(FIXTURES, 'keras_reset_after');
    const shards = ['group1-shard1of2.bin', 'group1-shard2of2.bin'].map((p) => readFileSync(join(dir, p)));
    const gru = loadTfjsModel(json, shards).layers[0].layer as GRU;
    expect(gru.recurrentActivation).toEqual({ name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 });
  });

  test('uint8-quantized and float16 weights are dequantized as TF.js does', () => {
    const values = [0.25, -1.5, 3, 0.1];
    const f16 = new Uint16Array([0x3400, 0xbe00, 0x4200, 0x2e66]); // 0.25, -1.5, 3, ≈0.1
    const q8 = new Uint8Array([0, 1, 255, 10]);
    const bytes = new Uint8Array(12);
    bytes.set(new Uint8Array(f16.buffer), 0);
    bytes.set(q8, 8);
    const json = {
      modelTopology: { class_name: 'Sequential', config: { layers: [] } },
      weightsManifest: [
        {
          paths: ['a.bin'],
          weights: [
            { name: 'w16', shape: [4], dtype: 'float32', quantization: { dtype: 'float16' } },
            { name: 'w8', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          ],
        },
      ],
    };
    const { weights } = loadTfjsModel(json, bytes);
    const expected16 = tf.io.decodeWeights(bytes.buffer, json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[]);
    expect(Array.from(weights.w16.data)).toEqual(Array.from(expected16.w16.dataSync()));
    expect(weights.w16.data[0]).toBe(values[0]);
    expect(Array.from(weights.w8.data)).toEqual(Array.from(expected16.w8.dataSync()));
    expect(weights.w8.shape).toEqual([2, 2]);
  });
});

/** A TF.js layer with random weights (biases too), built for (N, T, F) inputs. */
function tfjsLayer(make: () => tf.layers.Layer, T: number, F: number, seed: number): tf.layers.Layer {
  const layer = make();
  layer.apply(tf.input({ shape: [T, F] }));
  const rng = makeRng(seed);
  layer.setWeights(layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rng.uniform() - 0.5), w.shape)));
  return layer;
}

describe('fromKeras and kerasLayer', () => {
  const N = 2;
  const T = 4;
  const F = 3;
  const xs = tf.randomUniform([N, T, F], -1.5, 1.5, 'float32', 3);
  const x = arr(xs);

  const lstmCases: [string, Parameters<typeof tf.layers.lstm>[0]][] = [
    ['hardSigmoid (TF.js default)', { units: 3, returnSequences: true }],
    ['sigmoid, relu', { units: 2, recurrentActivation: 'sigmoid', activation: 'relu', returnSequences: true }],
  ];
  for (const [name, config] of lstmCases) {
    test(`lstm ${name}: TF.js's outputs from getWeights()`, () => {
      const layer = tfjsLayer(() => tf.layers.lstm(config), T, F, 1);
      const ours = fromKeras('lstm', layer.getWeights(), {
        activation: config.activation as string | undefined,
        recurrentActivation: (config.recurrentActivation) ?? 'hardSigmoid',
      });
      expect(ours).toBeInstanceOf(LSTM);
      const expected = layer.apply(xs) as tf.Tensor;
      expectClose(ours.forward(x).output, { shape: expected.shape, data: Array.from(expected.dataSync()) }, name);
    });
  }

  test('gru (reset_after false) from { kernel, recurrentKernel, bias } tensors', () => {
    const layer = tfjsLayer(() => tf.layers.gru({ units: 3, returnSequences: true }), T, F, 2);
    const [kernel, recurrentKernel, bias] = layer.getWeights();
    const ours = fromKeras('gru', { kernel, recurrentKernel, bias }, { recurrentActivation: 'hard_sigmoid', units: 3 });
    expect(ours.linearBeforeReset).toBe(false);
    const expected = layer.apply(xs) as tf.Tensor;
    expectClose(ours.forward(x).output, { shape: expected.shape, data: Array.from(expected.dataSync()) }, 'gru');
  });

  test('rnn (SimpleRNN, relu) from getWeights()', () => {
    const layer = tfjsLayer(() => tf.layers.simpleRNN({ units: 3, activation: 'relu', returnSequences: true }), T, F, 6);
    const ours = fromKeras('rnn', layer.getWeights(), { activation: 'relu' });
    expect(ours).toBeInstanceOf(RNN);
    const expected = layer.apply(xs) as tf.Tensor;
    expectClose(ours.forward(arr(xs)).output, { shape: expected.shape, data: Array.from(expected.dataSync()) }, 'rnn');
  });

  test('kerasLayer with goBackwards and returnState: TF.js outputs in processing order', () => {
    const layer = tfjsLayer(() => tf.layers.lstm({ units: 2, goBackwards: true, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' }), T, F, 3);
    const ours = kerasLayer('lstm', layer.getWeights(), { goBackwards: true, returnSequences: true, returnState: true, name: 'back' });
    expect(ours.name).toBe('back');
    const expected = layer.apply(xs) as tf.Tensor[];
    const got = ours.predict(x) as NDArray[];
    expect(got.length).toBe(3);
    got.forEach((g, i) => expectClose(g, { shape: expected[i].shape, data: Array.from(expected[i].dataSync()) }, `output ${i}`));
  });

  const gradCases: [string, 'lstm' | 'gru', () => tf.layers.Layer, string][] = [
    ['lstm sigmoid', 'lstm', () => tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }), 'sigmoid'],
    ['gru sigmoid', 'gru', () => tf.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }), 'sigmoid'],
    ['lstm hardSigmoid', 'lstm', () => tf.layers.lstm({ units: 2, returnSequences: true }), 'hardSigmoid'],
    ['gru hardSigmoid, softsign', 'gru', () => tf.layers.gru({ units: 2, returnSequences: true, activation: 'softsign' }), 'hardSigmoid'],
  ];
  for (const [name, kind, make, rec] of gradCases) {
    test(`${name}: gradients through layerGradsToKeras equal TF.js's`, () => {
      const layer = tfjsLayer(make, T, F, 5);
      const dy = tf.randomUniform([N, T, (layer.getConfig().units as number)], -1, 1, 'float32', 9);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(layer.apply(xs) as tf.Tensor, dy)), vars);
      const expected = vars.map((v) => grads[v.name]);
      const units = layer.getConfig().units as number;
      const ours = fromKeras(kind, layer.getWeights(), { recurrentActivation: rec, activation: layer.getConfig().activation as string });
      const r = ours.forward(x);
      const g = ours.backward(r, { output: arr(dy) });
      const p = g.params;
      const k = layerGradsToKeras(kind, { w_ih: p.weight_ih_l0.data, w_hh: p.weight_hh_l0.data, b_ih: p.bias_ih_l0.data, b_hh: p.bias_hh_l0.data }, units, F, false, true);
      for (const [i, got] of [k.kernel, k.recurrentKernel, k.bias!].entries()) {
        expect(relErr(got, expected[i].dataSync()), `${name} weight ${i}`).toBeLessThan(1e-5);
      }
    });
  }
});

describe('layout converters', () => {
  test('layerGradsToKeras inverts kerasToLayerWeights (every gate and column in place)', () => {
    for (const [kind, resetAfter, G] of [['lstm', false, 4], ['gru', false, 3], ['gru', true, 3], ['rnn', false, 1]] as const) {
      const u = 3;
      const F = 2;
      const kernel = Float64Array.from({ length: F * G * u }, (_, i) => i + 1);
      const rec = Float64Array.from({ length: u * G * u }, (_, i) => 100 + i);
      const bias = Float64Array.from({ length: (resetAfter ? 2 : 1) * G * u }, (_, i) => 1000 + i);
      const w = kerasToLayerWeights(kind, kernel, rec, bias, u, F, resetAfter);
      const back = layerGradsToKeras(kind, w, u, F, resetAfter, true);
      expect(Array.from(back.kernel)).toEqual(Array.from(kernel));
      expect(Array.from(back.recurrentKernel)).toEqual(Array.from(rec));
      expect(Array.from(back.bias!)).toEqual(Array.from(bias));
      expect(layerGradsToKeras(kind, w, u, F, resetAfter, false).bias).toBeUndefined();
    }
  });

  test('the gate orders and transposes', () => {
    // Keras GRU kernel (1, 3·1): z = 1, r = 2, h = 3 → PyTorch r, z, n = 2, 1, 3.
    const w = kerasToLayerWeights('gru', [1, 2, 3], [4, 5, 6], [7, 8, 9, 10, 11, 12], 1, 1, true);
    expect(Array.from(w.w_ih)).toEqual([2, 1, 3]);
    expect(Array.from(w.w_hh)).toEqual([5, 4, 6]);
    expect(Array.from(w.b_ih)).toEqual([8, 7, 9]);
    expect(Array.from(w.b_hh)).toEqual([11, 10, 12]);
    // Keras LSTM kernel (2, 4·1) → w_ih (4, 2), same gate order; a single bias → b_ih, b_hh = 0.
    const l = kerasToLayerWeights('lstm', [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12], [1, 2, 3, 4], 1, 2, false);
    expect(Array.from(l.w_ih)).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    expect(Array.from(l.b_ih)).toEqual([1, 2, 3, 4]);
    expect(Array.from(l.b_hh)).toEqual([0, 0, 0, 0]);
  });

  test('bad sizes and kinds', () => {
    expectError(() => kerasToLayerWeights('lstm', new Float64Array(7), new Float64Array(4), undefined, 1, 2, false), RangeError, 'ERR_RNN_SHAPE', /kernel must hold 8 values \(inputSize 2 × 4·units 4\); got 7/);
    expectError(() => kerasToLayerWeights('gru', new Float64Array(3), new Float64Array(3), new Float64Array(3), 1, 1, true), RangeError, 'ERR_RNN_SHAPE', /bias must hold 6 values/);
    expectError(() => kerasToLayerWeights('cnn' as never, [], [], undefined, 1, 1, false), RangeError, 'ERR_RNN_VALUE', /kind must be 'lstm', 'gru' or 'rnn'; got "cnn"/);
  });
});

describe('LSTM and GRU activation options', () => {
  test('names, ONNX objects and defaults', () => {
    expect(new LSTM({ inputSize: 2, hiddenSize: 2 }).activation).toEqual({ name: 'Tanh', alpha: 0, beta: 0 });
    expect(new LSTM({ inputSize: 2, hiddenSize: 2 }).recurrentActivation).toEqual({ name: 'Sigmoid', alpha: 0, beta: 0 });
    expect(new GRU({ inputSize: 2, hiddenSize: 2, recurrentActivation: 'hard_sigmoid' }).recurrentActivation).toEqual({ name: 'HardSigmoid', alpha: 0.2, beta: 0.5 });
    expect(new GRU({ inputSize: 2, hiddenSize: 2, activation: 'Softsign' }).activation).toEqual({ name: 'Softsign', alpha: 0, beta: 0 });
    expect(new LSTM({ inputSize: 2, hiddenSize: 2, activation: { name: 'LeakyRelu', alpha: 0.1 } }).activation).toEqual({ name: 'LeakyRelu', alpha: 0.1, beta: 0 });
  });

  test('the standard functions given explicitly compute exactly the default layer', () => {
    const a = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 5 });
    const b = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 5, activation: 'tanh', recurrentActivation: { name: 'Sigmoid' } });
    const x = [[[0.5, -1]], [[2, 0.25]]];
    expect(Array.from(b.forward(x).output.data)).toEqual(Array.from(a.forward(x).output.data));
  });

  test('backward with activations equals central differences of forward (stacked, bidirectional, both GRU kinds)', () => {
    const rng = makeRng(21);
    const layers = [
      new LSTM({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 3, activation: 'elu', recurrentActivation: 'hard_sigmoid' }),
      new GRU({ inputSize: 3, hiddenSize: 2, bidirectional: true, seed: 4, activation: 'softsign', recurrentActivation: { name: 'HardSigmoid', alpha: 0.3 } }),
      new GRU({ inputSize: 3, hiddenSize: 2, linearBeforeReset: false, seed: 5, activation: 'softplus', recurrentActivation: 'sigmoid' }),
    ];
    for (const layer of layers) {
      const T = 3;
      const N = 2;
      const x = randn(rng, [T, N, 3]);
      const dOut = randn(rng, [T, N, (layer.bidirectional ? 2 : 1) * 2]);
      const loss = () => {
        const r = layer.forward(x, { noGrad: true });
        let sum = 0;
        for (let i = 0; i < r.output.data.length; i++) sum += r.output.data[i] * dOut.data[i];
        return sum;
      };
      const g = layer.backward(layer.forward(x), { output: dOut });
      const sd = layer.stateDict();
      const eps = 1e-6;
      for (const [key, value] of Object.entries(sd)) {
        for (const i of [0, Math.floor(value.data.length / 2), value.data.length - 1]) {
          const orig = value.data[i];
          value.data[i] = orig + eps;
          layer.loadStateDict(sd);
          const up = loss();
          value.data[i] = orig - eps;
          layer.loadStateDict(sd);
          const down = loss();
          value.data[i] = orig;
          layer.loadStateDict(sd);
          const fd = (up - down) / (2 * eps);
          expect(Math.abs(g.params[key].data[i] - fd), `${layer.constructor.name} ${key}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        }
      }
    }
  });

  const bad: [string, () => unknown, ErrorClass, string, RegExp][] = [
    ['unknown name', () => new LSTM({ inputSize: 2, hiddenSize: 2, activation: 'swish' }), RangeError, 'ERR_RNN_VALUE', /LSTM option activation must be one of sigmoid, tanh, .*got "swish".*or an ONNX name: Sigmoid/],
    ['unknown ONNX name', () => new GRU({ inputSize: 2, hiddenSize: 2, recurrentActivation: { name: 'Swish' as never } }), RangeError, 'ERR_RNN_VALUE', /GRU option recurrentActivation.name must be one of Sigmoid, Tanh/],
    ['alpha NaN', () => new GRU({ inputSize: 2, hiddenSize: 2, activation: { name: 'Affine', alpha: NaN } }), RangeError, 'ERR_RNN_VALUE', /GRU option activation.alpha must be a finite number; got number NaN/],
    ['unknown key', () => new LSTM({ inputSize: 2, hiddenSize: 2, activation: { name: 'Tanh', gamma: 1 } as never }), RangeError, 'ERR_RNN_VALUE', /LSTM option activation has an unknown key "gamma"/],
    ['negative Elu alpha', () => new LSTM({ inputSize: 2, hiddenSize: 2, activation: { name: 'Elu', alpha: -1 } }), RangeError, 'ERR_RNN_VALUE', /LSTM option activation Elu must have alpha ≥ 0/],
    ['a number', () => new LSTM({ inputSize: 2, hiddenSize: 2, recurrentActivation: 3 as never }), TypeError, 'ERR_RNN_TYPE', /LSTM option recurrentActivation must be an activation name .*got number 3/],
    ['on an RNN', () => new RNN({ inputSize: 2, hiddenSize: 2, activation: 'tanh' } as never), RangeError, 'ERR_RNN_VALUE', /RNN options has an unknown key "activation"/],
  ];
  for (const [name, fn, cls, code, message] of bad) test(`rejects ${name}`, () => expectError(fn, cls, code, message));
});

describe('bad inputs', () => {
  const k = { kernel: { data: new Float64Array(24), shape: [2, 12] }, recurrentKernel: { data: new Float64Array(36), shape: [3, 12] } };
  const fromKerasBad: [string, () => unknown, ErrorClass, string, RegExp][] = [
    ['kind', () => fromKeras('cnn' as never, k), RangeError, 'ERR_RNN_VALUE', /fromKeras kind must be 'lstm', 'gru' or 'rnn' \(SimpleRNN\); got the string "cnn"/],
    ['a SimpleRNN activation RNN lacks', () => fromKeras('rnn', { kernel: [[1]], recurrentKernel: [[1]] }, { activation: 'sigmoid' }), RangeError, 'ERR_RNN_VALUE', /fromKeras: a SimpleRNN's activation must be tanh or relu \(RNN's nonlinearity\); got "sigmoid"/],
    ['a SimpleRNN recurrentActivation', () => fromKeras('rnn', { kernel: [[1]], recurrentKernel: [[1]] }, { recurrentActivation: 'sigmoid' }), RangeError, 'ERR_RNN_VALUE', /recurrentActivation is for an lstm or a gru; a SimpleRNN has no gates/],
    ['weights a number', () => fromKeras('lstm', 5 as never), TypeError, 'ERR_RNN_TYPE', /fromKeras weights must be \{ kernel, recurrentKernel, bias\? \}/],
    ['missing kernel', () => fromKeras('lstm', { recurrentKernel: k.recurrentKernel } as never), TypeError, 'ERR_RNN_MISSING_KEY', /fromKeras weights is missing kernel/],
    ['unknown weight key', () => fromKeras('lstm', { ...k, gamma: 1 } as never), RangeError, 'ERR_RNN_VALUE', /weights has an unknown key "gamma"/],
    ['one weight', () => fromKeras('lstm', [k.kernel]), RangeError, 'ERR_RNN_SHAPE', /weights must hold 2 or 3 arrays/],
    ['recurrent kernel shape', () => fromKeras('gru', k), RangeError, 'ERR_RNN_SHAPE', /weights.recurrentKernel must have shape \(units, 3·units\) for a gru; got \(3, 12\)/],
    ['kernel shape', () => fromKeras('lstm', { ...k, kernel: { data: new Float64Array(22), shape: [2, 11] } }), RangeError, 'ERR_RNN_SHAPE', /weights.kernel must have shape \(inputSize, 12\) \(inputSize, 4·units\); got \(2, 11\)/],
    ['units', () => fromKeras('lstm', k, { units: 4 }), RangeError, 'ERR_RNN_SHAPE', /config units is number 4 but weights.recurrentKernel has shape \(3, 12\) \(units 3\)/],
    ['bias shape', () => fromKeras('lstm', { ...k, bias: new Array(11).fill(0) }), RangeError, 'ERR_RNN_SHAPE', /weights.bias must have shape \(12\) for this lstm with 3 units; got \(11,\)/],
    ['useBias without bias', () => fromKeras('lstm', k, { useBias: true }), TypeError, 'ERR_RNN_MISSING_KEY', /missing bias \(config useBias is true\)/],
    ['gru without bias or resetAfter', () => fromKeras('gru', { kernel: [[0, 0, 0]], recurrentKernel: [[0, 0, 0]] }), RangeError, 'ERR_RNN_VALUE', /config resetAfter must be given for a gru without bias/],
    ['resetAfter against the bias', () => fromKeras('gru', { kernel: [[0, 0, 0]], recurrentKernel: [[0, 0, 0]], bias: [0, 0, 0] }, { resetAfter: true }), RangeError, 'ERR_RNN_SHAPE', /weights.bias must have shape \(2, 3\) \(resetAfter\)/],
    ['resetAfter on an lstm', () => fromKeras('lstm', k, { resetAfter: true }), RangeError, 'ERR_RNN_VALUE', /resetAfter is a GRU option/],
    ['unknown config key', () => fromKeras('lstm', k, { dropout: 0.5 } as never), RangeError, 'ERR_RNN_VALUE', /fromKeras config has an unknown key "dropout"/],
    ['goBackwards', () => fromKeras('lstm', k, { goBackwards: true }), RangeError, 'ERR_RNN_VALUE', /goBackwards: true has no LSTM\/GRU option.*kerasLayer/],
    ['activation', () => fromKeras('lstm', k, { activation: 'gelu' }), RangeError, 'ERR_RNN_VALUE', /fromKeras: LSTM option activation must be one of/],
    ['predict x rank', () => kerasLayer('lstm', k).predict([[1, 2]]), RangeError, 'ERR_RNN_SHAPE', /x must have rank 3 \(N, T, F\); got \(1, 2\)/],
  ];
  for (const [name, fn, cls, code, message] of fromKerasBad) test(`fromKeras: ${name}`, () => expectError(fn, cls, code, message));

  const dir = join(FIXTURES, 'tfjs_seq');
  const good = () => readJson<Record<string, any>>(join(dir, 'model.json'));
  const bin = readFileSync(join(dir, 'weights.bin'));
  /** A copy of model.json in a directory without its weights.bin. */
  const lonelyModelJson = () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keras-')), 'model.json');
    writeFileSync(path, JSON.stringify(good()));
    return path;
  };
  const edit = (f: (j: Record<string, any>) => void) => {
    const j = good();
    f(j);
    return j;
  };
  const fileBad: [string, () => unknown, ErrorClass, string, RegExp][] = [
    ['a missing file', () => loadTfjsModel(join(dir, 'nope.json')), RangeError, 'ERR_RNN_MODEL_FORMAT', /cannot read model.json .*nope.json: no such file/],
    ['a file that is not JSON', () => loadTfjsModel(join(dir, 'weights.bin')), RangeError, 'ERR_RNN_MODEL_FORMAT', /weights.bin is not JSON/],
    ['a missing shard', () => loadTfjsModel(lonelyModelJson()), RangeError, 'ERR_RNN_MODEL_FORMAT', /cannot read weight shard .*weights.bin \(listed in the weightsManifest of .*model.json\): no such file/],
    ['not an object', () => loadTfjsModel([] as never), TypeError, 'ERR_RNN_TYPE', /must be the parsed model.json object/],
    ['no modelTopology', () => loadTfjsModel(edit((j) => delete j.modelTopology), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /model.json must have a modelTopology object; got undefined/],
    ['a graph model', () => loadTfjsModel(edit((j) => (j.format = 'graph-model')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /graph model/],
    ['no model config', () => loadTfjsModel(edit((j) => (j.modelTopology = { node: [] })), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /modelTopology must hold a Keras model config/],
    ['no layers', () => loadTfjsModel(edit((j) => (j.modelTopology.config = {})), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /model config has no layers list/],
    ['a bad layer', () => loadTfjsModel(edit((j) => j.modelTopology.config.layers.push(3)), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /is not \{ class_name, config \}/],
    ['no weightsManifest', () => loadTfjsModel(edit((j) => delete j.weightsManifest), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /must have a weightsManifest list/],
    ['a bad manifest group', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].paths = 'weights.bin')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /weightsManifest\[0\] must be \{ paths: string\[\], weights/],
    ['a bad weight spec', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].weights[1].shape = [3, -1])), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /weightsManifest\[0\].weights\[1\] must be \{ name, shape, dtype \}/],
    ['short data', () => loadTfjsModel(good(), bin.subarray(0, 500)), RangeError, 'ERR_RNN_MODEL_FORMAT', /weight data ends at byte 500 inside weight "lstm_a\/bias" \(which needs bytes 448..512\); a shard is missing or short/],
    ['no data', () => loadTfjsModel(good()), TypeError, 'ERR_RNN_TYPE', /needs the weight data/],
    ['data of the wrong type', () => loadTfjsModel(good(), 'abc' as never), TypeError, 'ERR_RNN_TYPE', /weightData must be an ArrayBuffer or a typed array/],
    ['an unknown dtype', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].weights[0].dtype = 'float64')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /weight "lstm_a\/kernel" has dtype "float64"/],
    ['a bad quantization', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' })), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /uint8-quantized without numeric scale and min/],
    ['a duplicate weight', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].weights[1].name = 'lstm_a/kernel')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /names weight "lstm_a\/kernel" twice/],
    ['a missing weight', () => loadTfjsModel(edit((j) => (j.weightsManifest[0].weights[2].name = 'lstm_a/other')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /no bias for layer "lstm_a"/],
    ['a weight of the wrong shape', () => loadTfjsModel(edit((j) => (j.modelTopology.config.layers[0].config.units = 5)), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /kernel of layer "lstm_a" must have shape \(3, 20\) \(lstm with 5 units\); got \(3, 16\)/],
    ['units not an integer', () => loadTfjsModel(edit((j) => (j.modelTopology.config.layers[0].config.units = 'four')), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /layer "lstm_a" config units must be a positive integer; got "four"/],
    ['an activation rnn-wasm lacks', () => loadTfjsModel(edit((j) => (j.modelTopology.config.layers[1].config.activation = 'selu')), bin), RangeError, 'ERR_RNN_VALUE', /GRU layer "gru_b": GRU option activation must be one of .*got "selu"/],
    ['a bad merge mode', () => loadTfjsModel(edit((j) => (j.modelTopology.config.layers[0] = { class_name: 'Bidirectional', config: { name: 'b', merge_mode: 'max', layer: j.modelTopology.config.layers[0] } })), bin), RangeError, 'ERR_RNN_VALUE', /Bidirectional layer "b" merge_mode must be one of/],
    ['a Bidirectional without layer', () => loadTfjsModel(edit((j) => (j.modelTopology.config.layers[0] = { class_name: 'Bidirectional', config: { name: 'b' } })), bin), RangeError, 'ERR_RNN_MODEL_FORMAT', /Bidirectional layer "b" config has no layer/],
  ];
  for (const [name, fn, cls, code, message] of fileBad) test(`loadTfjsModel: ${name}`, () => expectError(fn, cls, code, message));

  test('a Bidirectional with an unlike backward_layer or an inner go_backwards', () => {
    const bdir = join(FIXTURES, 'tfjs_bidi');
    const bbin = readFileSync(join(bdir, 'weights.bin'));
    const j = readJson<Record<string, any>>(join(bdir, 'model.json'));
    const layers = j.modelTopology.config.layers;
    const bidi = layers.find((l: any) => l.config.name === 'bidi_concat');
    bidi.config.backward_layer = { class_name: 'LSTM', config: { ...bidi.config.layer.config, units: 7 } };
    expectError(() => loadTfjsModel(j, bbin), RangeError, 'ERR_RNN_VALUE', /Bidirectional layer "bidi_concat" has a backward_layer configured unlike its forward layer/);
    bidi.config.backward_layer = { class_name: 'LSTM', config: { ...bidi.config.layer.config, go_backwards: true } };
    expect(loadTfjsModel(j, bbin).layers.length).toBe(5);
    delete bidi.config.backward_layer;
    bidi.config.layer.config.go_backwards = true;
    expectError(() => loadTfjsModel(j, bbin), RangeError, 'ERR_RNN_VALUE', /wraps a layer with go_backwards true/);
  });
});
