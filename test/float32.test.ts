/**
 * `dtype: 'float32'` on the recurrent layers, on every backend:
 * - forward and backward of every cell (LSTM, GRU in both reset conventions, RNN tanh and
 *   ReLU), stacked, bidirectional, batch-first, with lengths and h0/c0, against the float64
 *   layer holding the same (float32-rounded) weights and fed the same float32-rounded inputs,
 *   within BOUND relative to each output's largest magnitude;
 * - results are Float32Array; parameters are float32 (stateDict gives Float32Arrays, and
 *   loadStateDict rounds), and a state dict round-trips exactly;
 * - on the wasm and native backends the float32 kernels really run (their results differ from
 *   the float64 layer's rounded to float32); the js backend computes float32 requests in float64;
 * - the options that pass a dtype through (fromKeras, kerasLayer, loadTfjsModel, ONNX toLayer);
 *   a bad dtype (on layers and models; float32 models: test/float32-models.test.ts) throws a
 *   coded error naming `dtype`, and the module stays usable.
 *
 * BOUND: the float32 kernels round every product's operands to float32 and sum in float32. The
 * worst relative errors measured over these cases: 5.8e-7 forward and 6.2e-7 backward on wasm
 * (SIMD128, and native with RNN_WASM_ISA=scalar), 4.3e-7 and 3.5e-7 natively with FMA (and on
 * the relaxed-SIMD wasm), 6e-8 on js (only the final rounding to float32). 1e-5 leaves a margin
 * of 15 and still fails for a path that lost more than a few bits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { GRU, GRUModel, LSTM, LSTMModel, RNN, RNNModel, fromKeras, kerasLayer, setBackend, type NDArray } from '../ts/index.js';
import { loadOnnx } from '../ts/onnx/file-node.js';
import { BACKENDS, expectError, makeRng, maxAbs, randn, relErr, toNested, type Rng } from './helpers.js';

/** The documented bound: float32 results against float64 ones, relative to each output's largest magnitude. */
const BOUND = 1e-5;

type Dtype = 'float64' | 'float32';
interface Options {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  seed: number;
}
type AnyLayer = LSTM<Dtype> | GRU<Dtype> | RNN<Dtype>;
interface Result {
  output: { data: Float32Array | Float64Array; shape: number[] };
  h: { data: Float32Array | Float64Array; shape: number[] };
  c?: { data: Float32Array | Float64Array; shape: number[] };
}

interface Kind {
  name: string;
  lstm: boolean;
  make(options: Options, dtype: Dtype): AnyLayer;
}

const KINDS: Kind[] = [
  { name: 'LSTM', lstm: true, make: (o, dtype) => new LSTM({ ...o, dtype }) },
  { name: 'GRU', lstm: false, make: (o, dtype) => new GRU({ ...o, dtype }) },
  { name: 'GRU linearBeforeReset false', lstm: false, make: (o, dtype) => new GRU({ ...o, dtype, linearBeforeReset: false }) },
  { name: 'RNN tanh', lstm: false, make: (o, dtype) => new RNN({ ...o, dtype }) },
  { name: 'RNN relu', lstm: false, make: (o, dtype) => new RNN({ ...o, dtype, nonlinearity: 'relu' }) },
];

interface Config {
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  lengths?: number[];
  states: boolean;
}

const F = 7;
const H = 9;
const T = 5;
const N = 3;

const CONFIGS: Config[] = [
  { numLayers: 1, bidirectional: false, batchFirst: false, bias: true, states: false },
  { numLayers: 2, bidirectional: true, batchFirst: true, bias: true, lengths: [2, 5, 1], states: true },
  { numLayers: 2, bidirectional: false, batchFirst: false, bias: false, lengths: [5, 1, 3], states: true },
  { numLayers: 1, bidirectional: true, batchFirst: false, bias: true, states: true },
];

const label = (c: Config) =>
  `L${c.numLayers} ${c.bidirectional ? 'bi' : 'uni'} ${c.batchFirst ? 'batchFirst' : 'time-major'} ` +
  `${c.bias ? 'bias' : 'no bias'} ${c.lengths ? `lengths [${c.lengths.join(', ')}]` : 'full'}${c.states ? ' h0/c0' : ''}`;

/** `a` with every value rounded to float32 (still float64 data): what a float32 layer reads. */
function rounded(a: NDArray): NDArray {
  return { data: Float64Array.from(new Float32Array(a.data)), shape: a.shape.slice() };
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/**
 * A float32 layer and a float64 one with its weights (weights randomised beyond the init
 * range), random inputs and upstream gradients, and what the float64 layer is fed (the same
 * inputs rounded to float32).
 */
function setup(kind: Kind, c: Config, seed: number) {
  const rng: Rng = makeRng(seed);
  const options: Options = { inputSize: F, hiddenSize: H, numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, seed };
  const f32 = kind.make(options, 'float32');
  const f64 = kind.make(options, 'float64');
  const sd = mapValues(f64.stateDict(), (v) => randn(rng, v.shape, 0.4));
  f32.loadStateDict(sd);
  f64.loadStateDict(f32.stateDict());
  const D = c.bidirectional ? 2 : 1;
  const states = [D * c.numLayers, N, H];
  const x = randn(rng, c.batchFirst ? [N, T, F] : [T, N, F]);
  const args: { h0?: NDArray; c0?: NDArray; lengths?: number[] } = {};
  if (c.states) {
    args.h0 = randn(rng, states, 0.5);
    if (kind.lstm) args.c0 = randn(rng, states, 0.5);
  }
  if (c.lengths) args.lengths = c.lengths.slice();
  const upstream: Record<string, NDArray> = { output: randn(rng, c.batchFirst ? [N, T, D * H] : [T, N, D * H]), h: randn(rng, states) };
  if (kind.lstm) upstream.c = randn(rng, states);
  const args64 = { ...args, h0: args.h0 && rounded(args.h0), c0: args.c0 && rounded(args.c0) };
  return { f32, f64, x, args, upstream, x64: rounded(x), args64, upstream64: mapValues(upstream, rounded) };
}

const worst = new Map<string, number>();
afterAll(() => {
  if (worst.size === 0) return;
  console.log(`worst float32 errors (relative to each output's largest magnitude):\n${[...worst].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

/** Checks a float32 result array against the float64 one: Float32Array data, same shape, within BOUND. */
function expectClose(got: { data: Float32Array | Float64Array; shape: number[] } | undefined, want: { data: ArrayLike<number>; shape: number[] } | undefined, what: string, key: string) {
  expect(got, what).toBeDefined();
  expect(got!.data, what).toBeInstanceOf(Float32Array);
  expect(got!.shape, what).toEqual(want!.shape);
  const err = maxAbs(want!.data) === 0 ? maxAbs(got!.data) : relErr(got!.data, want!.data);
  worst.set(key, Math.max(worst.get(key) ?? 0, err));
  expect(err, what).toBeLessThanOrEqual(BOUND);
}

describe.each(BACKENDS)('float32 layers on the %s backend', (backend) => {
  beforeEach(() => setBackend(backend));

  describe.each(KINDS)('$name', (kind) => {
    test.each(CONFIGS.map((c) => [label(c), c] as const))('%s: forward and backward against float64 within 1e-5', (_, c) => {
      const s = setup(kind, c, 11);
      const r32 = s.f32.forward(s.x, s.args) as Result;
      const r64 = s.f64.forward(s.x64, s.args64) as Result;
      for (const key of ['output', 'h', 'c'] as const) {
        if (key === 'c' && !kind.lstm) continue;
        expectClose(r32[key], r64[key], `forward ${key}`, `forward ${backend}`);
      }
      const g32 = s.f32.backward(r32 as never, s.upstream);
      const g64 = s.f64.backward(r64 as never, s.upstream64);
      for (const key of ['x', 'h0', 'c0'] as const) {
        if (key === 'c0' && !kind.lstm) continue;
        expectClose(g32[key as 'x'], g64[key as 'x'], `backward ${key}`, `backward ${backend}`);
      }
      expect(Object.keys(g32.params)).toEqual(Object.keys(g64.params));
      for (const [k, v] of Object.entries(g32.params)) expectClose(v, g64.params[k], `backward params.${k}`, `backward ${backend}`);
    });
  });

  test('noGrad forward gives the same float32 results', () => {
    const s = setup(KINDS[0], CONFIGS[1], 3);
    const a = s.f32.forward(s.x, s.args) as Result;
    const b = s.f32.forward(s.x, { ...s.args, noGrad: true }) as Result;
    expect(b.output.data).toBeInstanceOf(Float32Array);
    expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
    expect(Array.from(b.c!.data)).toEqual(Array.from(a.c!.data));
  });

  test('accepts x, h0 and c0 as Float32Array data, nested arrays or float64, with the same results', () => {
    const s = setup(KINDS[0], CONFIGS[3], 5);
    const lstm = s.f32 as LSTM<'float32'>;
    const base = lstm.forward(s.x, s.args);
    const asF32 = (a: NDArray) => ({ data: new Float32Array(a.data), shape: a.shape });
    const asNested = (a: NDArray) => toNested(a) as number[][][];
    for (const convert of [asF32, asNested, rounded]) {
      const other = lstm.forward(convert(s.x), { h0: convert(s.args.h0!), c0: convert(s.args.c0!) });
      expect(Array.from(other.output.data)).toEqual(Array.from(base.output.data));
      expect(Array.from(other.c.data)).toEqual(Array.from(base.c.data));
    }
  });

  if (backend !== 'js') {
    test('the float32 kernels run: results differ from the float64 layer rounded to float32', () => {
      const rng = makeRng(9);
      const o = { inputSize: 96, hiddenSize: 64, seed: 2 };
      const f32 = new LSTM({ ...o, dtype: 'float32' });
      const f64 = new LSTM(o);
      f64.loadStateDict(f32.stateDict());
      const x = randn(rng, [6, 4, 96]);
      const a = f32.forward(x).output.data;
      const b = new Float32Array(f64.forward(rounded(x)).output.data);
      let differ = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
      expect(differ).toBeGreaterThan(0);
      expect(relErr(a, b)).toBeLessThanOrEqual(BOUND);
    });
  }
});

describe('float32 parameters', () => {
  beforeEach(() => setBackend('js'));

  test('stateDict gives Float32Arrays of float32 values; a round trip is exact', () => {
    const layer = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 4, dtype: 'float32' });
    expect(layer.dtype).toBe('float32');
    const sd = layer.stateDict();
    for (const v of Object.values(sd)) expect(v.data).toBeInstanceOf(Float32Array);
    const other = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 99, dtype: 'float32' });
    other.loadStateDict(sd);
    const back = other.stateDict();
    for (const [k, v] of Object.entries(sd)) expect(Array.from(back[k].data), k).toEqual(Array.from(v.data));
    // The initial weights are the float64 layer's of the same seed, rounded.
    const f64 = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 4 }).stateDict();
    for (const [k, v] of Object.entries(sd)) expect(Array.from(v.data), k).toEqual(Array.from(f64[k].data, Math.fround));
  });

  test('loadStateDict rounds float64 values to float32; a float64 layer keeps them', () => {
    const values = [0.1, 1 / 3, -2.000000001, 1e-40];
    const sd = { weight_ih_l0: [values], weight_hh_l0: [[0.7]], bias_ih_l0: [0.2], bias_hh_l0: [0.3] };
    const f32 = new RNN({ inputSize: 4, hiddenSize: 1, dtype: 'float32' });
    f32.loadStateDict(sd);
    expect(Array.from(f32.stateDict().weight_ih_l0.data)).toEqual(values.map(Math.fround));
    const f64 = new RNN({ inputSize: 4, hiddenSize: 1 });
    f64.loadStateDict(sd);
    expect(Array.from(f64.stateDict().weight_ih_l0.data)).toEqual(values);
    expect(f64.stateDict().weight_ih_l0.data).toBeInstanceOf(Float64Array);
  });

  test('a float64 layer is unchanged by the option: dtype float64 gives the default results', () => {
    const rng = makeRng(1);
    const a = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 7 });
    const b = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 7, dtype: 'float64' });
    expect(a.dtype).toBe('float64');
    const x = randn(rng, [3, 2, 3]);
    const ra = a.forward(x);
    const rb = b.forward(x);
    expect(ra.output.data).toBeInstanceOf(Float64Array);
    expect(Array.from(rb.output.data)).toEqual(Array.from(ra.output.data));
  });
});

describe('dtype errors', () => {
  beforeEach(() => setBackend('js'));

  test.each([
    ['LSTM float16', () => new LSTM({ inputSize: 3, hiddenSize: 4, dtype: 'float16' as never }), /LSTM option dtype must be 'float64' or 'float32'; got the string "float16"/],
    ['GRU a number', () => new GRU({ inputSize: 3, hiddenSize: 4, dtype: 32 as never }), /GRU option dtype must be 'float64' or 'float32'; got/],
    ['RNN null', () => new RNN({ inputSize: 3, hiddenSize: 4, dtype: null as never }), /RNN option dtype must be 'float64' or 'float32'; got null/],
    ['LSTMModel float16', () => new LSTMModel({ n_x: 3, n_a: 4, n_y: 3, dtype: 'float16' as never }), /model option dtype must be 'float64' or 'float32'; got the string "float16"/],
    ['GRUModel a number', () => new GRUModel({ n_x: 3, n_a: 4, n_y: 3, layers: 2, dtype: 32 as never }), /model option dtype must be 'float64' or 'float32'/],
    ['RNNModel float16', () => new RNNModel({ n_x: 3, n_a: 4, n_y: 3, dtype: 'float16' as never }), /model option dtype must be 'float64' or 'float32'/],
    ['fromKeras', () => fromKeras('lstm', kerasWeights(), { dtype: 'half' as never }), /fromKeras config dtype must be 'float64' or 'float32'/],
  ])('%s', (_, fn, message) => {
    expectError(fn, RangeError, 'ERR_RNN_VALUE', message);
    // The module stays usable.
    const layer = new LSTM({ inputSize: 2, hiddenSize: 2, seed: 1, dtype: 'float32' });
    expect(layer.forward([[[1, 2]]]).output.data).toBeInstanceOf(Float32Array);
  });

  test('a model accepts dtype float64', () => {
    expect(new LSTMModel({ n_x: 3, n_a: 4, n_y: 3, dtype: 'float64' }).n_a).toBe(4);
  });
});

/** An LSTM's Keras weights (F = 2, units = 3). */
function kerasWeights() {
  const rng = makeRng(6);
  return { kernel: randn(rng, [2, 12], 0.5), recurrentKernel: randn(rng, [3, 12], 0.5), bias: randn(rng, [12], 0.5) };
}

describe('the dtype option passes through to the layer', () => {
  beforeEach(() => setBackend('js'));

  test('fromKeras and kerasLayer', () => {
    const w = kerasWeights();
    const x = randn(makeRng(2), [2, 4, 2]);
    const f32 = fromKeras('lstm', w, { dtype: 'float32' });
    const f64 = fromKeras('lstm', w);
    expect(f32.dtype).toBe('float32');
    expect(f64.dtype).toBe('float64');
    const got = f32.forward(x).output;
    expect(got.data).toBeInstanceOf(Float32Array);
    expect(relErr(got.data, f64.forward(x).output.data)).toBeLessThanOrEqual(BOUND);
    const record = kerasLayer('lstm', w, { dtype: 'float32', returnState: true });
    const out = record.predict(x) as { data: Float32Array }[];
    for (const a of out) expect(a.data).toBeInstanceOf(Float32Array);
  });

  test('ONNX toLayer({ dtype }) matches torch within 1e-5 and holds float32 weights', () => {
    const dir = join(import.meta.dirname, 'fixtures', 'onnx-files');
    interface Tensor { data: number[]; shape: number[] }
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      files: { file: string; inputs: Record<string, Tensor>; torch: Record<string, Tensor> }[];
    };
    const entry = expected.files.find((e) => e.file === 'lstm2bi.onnx')!;
    const model = loadOnnx(join(dir, entry.file));
    const layer = model.toLayer(model.recurrentNodes().map((n) => n.name), { dtype: 'float32' }) as LSTM<'float32'>;
    expect(layer.dtype).toBe('float32');
    const f32 = (t: Tensor) => ({ data: Float32Array.from(t.data), shape: t.shape });
    const r = layer.forward(f32(entry.inputs.x), { h0: f32(entry.inputs.h0), c0: f32(entry.inputs.c0) });
    for (const key of ['output', 'h', 'c'] as const) {
      expect(r[key].data).toBeInstanceOf(Float32Array);
      expect(relErr(r[key].data, entry.torch[key].data), key).toBeLessThanOrEqual(BOUND);
    }
    expectError(() => model.toLayer(model.recurrentNodes()[0].name, { dtype: 'f32' as never }), RangeError, 'ERR_RNN_VALUE', /toLayer option dtype must be 'float64' or 'float32'/);
  });
});
