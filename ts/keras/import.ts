/**
 * Keras and TF.js recurrent layers as rnn-wasm layers: `fromKeras` builds an `LSTM` / `GRU`
 * from one Keras layer's weights and config, `kerasLayer` the same with Keras's call
 * semantics (go_backwards, return_sequences, return_state) in `predict`, and `loadTfjsModel`
 * reads a TF.js layers model (`model.json` with its weight data, as `model.save` in TF.js and
 * `tensorflowjs_converter --output_format tfjs_layers_model` write it) and returns its LSTM,
 * GRU and Bidirectional layers, plus every weight by name.
 *
 * This module reads no files (it runs in browsers); keras/import-node.ts adds paths.
 */
import { rangeError, typeError } from '../errors.js';
import { CallContext, describe, formatShape, ndarray, toNDArray, type ArrayInput, type NDArray } from '../ndarray.js';
import type { Activation } from '../layers/activations.js';
import { dtypeOption, knownKeys, type ActivationOption, type LayerArray, type LayerDtype } from '../layers/options.js';
import { GRU, LSTM, RNN } from '../layers/recurrent.js';
import type { LayerWeights } from '../layers/stack.js';
import { kerasToLayerWeights, type KerasKind } from './layout.js';

/** A weight as `fromKeras` takes it: an NDArray-like, a nested array, or a TF.js tensor (read with dataSync). */
export type KerasWeightInput = ArrayInput | { shape: readonly number[]; dataSync(): ArrayLike<number> };

/** One Keras layer's weights, by name or in `layer.getWeights()` order. */
export type KerasWeights =
  | { kernel: KerasWeightInput; recurrentKernel: KerasWeightInput; bias?: KerasWeightInput }
  | readonly KerasWeightInput[];

/** A Keras / TF.js recurrent layer's config, camelCased (what `tf.layers.lstm` takes). */
export interface KerasLayerConfig {
  /** Read from recurrentKernel when absent; checked against it when given. */
  units?: number;
  /** The candidate's (and LSTM cell state's) function; default tanh. */
  activation?: ActivationOption;
  /**
   * The gates' function; default `'sigmoid'` (Keras 2 and 3). TF.js's layers default to
   * `'hardSigmoid'` (0.2x + 0.5 clipped); Keras 3's `hard_sigmoid` is x/6 + 0.5 clipped, which
   * `{ name: 'HardSigmoid', alpha: 1 / 6 }` gives.
   */
  recurrentActivation?: ActivationOption;
  /**
   * GRU: Keras's reset_after. Read from the bias when there is one (`(2, 3·units)`: true,
   * `(3·units)`: false); needed for a GRU without bias (Keras's default is true, TF.js's false).
   */
  resetAfter?: boolean;
  /** Whether the layer has a bias; default: whether `bias` is given. */
  useBias?: boolean;
  /** The layer reads each sequence from its last step (only `kerasLayer` runs it so; `fromKeras` throws). */
  goBackwards?: boolean;
  /** x is `(T, N, F)` rather than Keras's `(N, T, F)`; default false. */
  timeMajor?: boolean;
  /** `kerasLayer`: `predict` returns every step's output (else the last); default false. */
  returnSequences?: boolean;
  /** `kerasLayer`: `predict` also returns the final states; default false. */
  returnState?: boolean;
  /** `kerasLayer`: the record's name; default the kind. */
  name?: string;
  /** The layer's element type: `'float64'` (default) or `'float32'` (see `LSTM`'s `dtype`). */
  dtype?: LayerDtype;
}

/** A Keras recurrent layer (LSTM, GRU, or a Bidirectional of one) on rnn-wasm, of element type `D`. */
export interface KerasRecurrentLayer<D extends LayerDtype = 'float64'> {
  /** The Keras layer's name. */
  name: string;
  className: 'LSTM' | 'GRU' | 'SimpleRNN' | 'Bidirectional';
  kind: KerasKind;
  /** The layer's Keras config as stored (snake_case keys); for a Bidirectional, the wrapper's. */
  config: Record<string, unknown>;
  /**
   * The equivalent layer, batch-first unless the Keras layer was time-major (bidirectional for a
   * Bidirectional). With `goBackwards`, reverse x along time before its `forward`; its
   * `output` is then in that (processing) order, as Keras returns it.
   */
  layer: LSTM<D> | GRU<D> | RNN<D>;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  /** Bidirectional only: how the two directions' outputs combine (null: a list of both). */
  mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' | null;
  /**
   * The Keras layer's output(s) for x (`(N, T, F)`, or `(T, N, F)` time-major), of the layer's
   * element type: one array, or with `returnState` (or a Bidirectional's mergeMode null) the
   * list Keras returns: [output, h (, c)] per direction after the output(s).
   */
  predict(x: ArrayInput): LayerArray<D> | LayerArray<D>[];
}

/** What `loadTfjsModel` returns. */
export interface TfjsModel<D extends LayerDtype = 'float64'> {
  /** model.json's `format` (`'layers-model'`), if it has one. */
  format: string | undefined;
  /** The topology's keras_version (`'tfjs-layers 4.22.0'`, `'2.13.1'`, ...), if any. */
  kerasVersion: string | undefined;
  /** The LSTM, GRU, SimpleRNN and Bidirectional(LSTM | GRU | SimpleRNN) layers, in the topology's order. */
  layers: KerasRecurrentLayer<D>[];
  /** Every weight of the model by its manifest name (':0' suffixes dropped), as float64. */
  weights: Record<string, NDArray>;
}

/** The JSON of model.json, or the artifacts `tf.io.withSaveHandler` hands over. */
export type TfjsModelJson = Record<string, unknown>;

/** The weight shards: one buffer (all shards in manifest order) or one per path. */
export type TfjsWeightData = ArrayBuffer | ArrayBufferView | readonly (ArrayBuffer | ArrayBufferView)[];

/** Keras class names of the layers read, and their kinds. */
const KINDS: Readonly<Record<string, KerasKind>> = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'rnn' };
const CLASS_NAMES = { lstm: 'LSTM', gru: 'GRU', rnn: 'SimpleRNN' } as const;

/** Keras's gates per kind: the kernel has G·units columns. */
const gateCount = (kind: KerasKind) => (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1);

/** A SimpleRNN's activation as rnn-wasm's RNN nonlinearity (tanh or relu, the two it has). */
function rnnNonlinearity(activation: ActivationOption | undefined): 'tanh' | 'relu' {
  const a = activation ?? 'tanh';
  const name = typeof a === 'string' ? a : a.alpha === undefined && a.beta === undefined ? a.name : undefined;
  if (name === 'tanh' || name === 'Tanh') return 'tanh';
  if (name === 'relu' || name === 'Relu') return 'relu';
  throw rangeError('ERR_RNN_VALUE', `a SimpleRNN's activation must be tanh or relu (RNN's nonlinearity); got ${JSON.stringify(a)}`);
}

const formatError = (message: string) => rangeError('ERR_RNN_MODEL_FORMAT', message);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// fromKeras / kerasLayer

const CONFIG_KEYS = [
  'units',
  'activation',
  'recurrentActivation',
  'resetAfter',
  'useBias',
  'goBackwards',
  'timeMajor',
  'returnSequences',
  'returnState',
  'name',
  'dtype',
];

function readWeight(call: CallContext, value: unknown, name: string): NDArray {
  if (isObject(value) && typeof value.dataSync === 'function' && Array.isArray(value.shape)) {
    // A TF.js tensor: its values and shape, without touching TF.js itself.
    const data = (value.dataSync as () => ArrayLike<number>)();
    return toNDArray(call, { data: Float64Array.from(data), shape: (value.shape as number[]).slice() }, name);
  }
  return toNDArray(call, value, name);
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw typeError('ERR_RNN_TYPE', `${name} must be true or false; got ${describe(value)}`);
  return value;
}

/** The checked pieces of a layer built from Keras weights. */
interface Built {
  kind: KerasKind;
  units: number;
  inputSize: number;
  useBias: boolean;
  resetAfter: boolean;
  timeMajor: boolean;
  activation: ActivationOption | undefined;
  recurrentActivation: ActivationOption | undefined;
  weights: LayerWeights[];
}

/** Reads and checks `fromKeras`'s arguments into layer weights (nothing is built yet). */
function readKeras(what: string, kind: unknown, weights: unknown, config: unknown): Built & { config: Record<string, unknown> } {
  if (kind !== 'lstm' && kind !== 'gru' && kind !== 'rnn') {
    throw rangeError('ERR_RNN_VALUE', `${what} kind must be 'lstm', 'gru' or 'rnn' (SimpleRNN); got ${describe(kind)}`);
  }
  if (config !== undefined && !isObject(config)) {
    throw typeError('ERR_RNN_TYPE', `${what} config must be an object of layer options; got ${describe(config)}`);
  }
  const c = config ?? {};
  for (const key of Object.keys(c)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw rangeError('ERR_RNN_VALUE', `${what} config has an unknown key "${key}"; the known keys are ${CONFIG_KEYS.join(', ')}`);
    }
  }
  let raw: Record<string, unknown>;
  if (Array.isArray(weights)) {
    if (weights.length < 2 || weights.length > 3) {
      throw rangeError(
        'ERR_RNN_SHAPE',
        `${what} weights must hold 2 or 3 arrays (kernel, recurrentKernel, bias: the order of getWeights()); got ${weights.length}`,
      );
    }
    raw = { kernel: weights[0], recurrentKernel: weights[1], bias: weights[2] };
  } else if (isObject(weights)) {
    for (const key of Object.keys(weights)) {
      if (!['kernel', 'recurrentKernel', 'bias'].includes(key)) {
        throw rangeError('ERR_RNN_VALUE', `${what} weights has an unknown key "${key}"; the known keys are kernel, recurrentKernel, bias`);
      }
    }
    raw = weights;
  } else {
    throw typeError('ERR_RNN_TYPE', `${what} weights must be { kernel, recurrentKernel, bias? } or [kernel, recurrentKernel, bias?]; got ${describe(weights)}`);
  }
  for (const key of ['kernel', 'recurrentKernel']) {
    if (raw[key] === undefined) throw typeError('ERR_RNN_MISSING_KEY', `${what} weights is missing ${key}`);
  }
  const G = gateCount(kind);
  if (kind === 'rnn' && c.recurrentActivation !== undefined) {
    throw rangeError('ERR_RNN_VALUE', `${what} config recurrentActivation is for an lstm or a gru; a SimpleRNN has no gates`);
  }
  const call = new CallContext();
  const kernel = readWeight(call, raw.kernel, 'weights.kernel');
  const rec = readWeight(call, raw.recurrentKernel, 'weights.recurrentKernel');
  const bias = raw.bias === undefined ? undefined : readWeight(call, raw.bias, 'weights.bias');
  if (rec.shape.length !== 2 || rec.shape[1] !== G * rec.shape[0] || rec.shape[0] < 1) {
    throw rangeError('ERR_RNN_SHAPE', `weights.recurrentKernel must have shape (units, ${G}·units) for a ${kind}; got ${formatShape(rec.shape)}`);
  }
  const units = rec.shape[0];
  if (c.units !== undefined && c.units !== units) {
    throw rangeError('ERR_RNN_SHAPE', `${what} config units is ${describe(c.units)} but weights.recurrentKernel has shape ${formatShape(rec.shape)} (units ${units})`);
  }
  if (kernel.shape.length !== 2 || kernel.shape[1] !== G * units || kernel.shape[0] < 1) {
    throw rangeError('ERR_RNN_SHAPE', `weights.kernel must have shape (inputSize, ${G * units}) (inputSize, ${G}·units); got ${formatShape(kernel.shape)}`);
  }
  const inputSize = kernel.shape[0];
  const useBiasOpt = optionalBoolean(c.useBias, `${what} config useBias`);
  if (useBiasOpt === true && bias === undefined) throw typeError('ERR_RNN_MISSING_KEY', `${what} weights is missing bias (config useBias is true)`);
  if (useBiasOpt === false && bias !== undefined) {
    throw rangeError('ERR_RNN_VALUE', `${what} config useBias is false but weights has a bias`);
  }
  const useBias = bias !== undefined;
  let resetAfter = optionalBoolean(c.resetAfter, `${what} config resetAfter`);
  if (kind !== 'gru' && resetAfter !== undefined) {
    throw rangeError('ERR_RNN_VALUE', `${what} config resetAfter is a GRU option; got it for an ${kind}`);
  }
  if (bias !== undefined) {
    const Gu = G * units;
    const two = bias.shape.length === 2 && bias.shape[0] === 2 && bias.shape[1] === Gu;
    const one = bias.shape.length === 1 && bias.shape[0] === Gu;
    if (kind === 'gru' && two && resetAfter !== false) resetAfter = true;
    else if (one && resetAfter !== true) resetAfter = false;
    else {
      const want = kind !== 'gru' ? `(${Gu})` : resetAfter === true ? `(2, ${Gu}) (resetAfter)` : resetAfter === false ? `(${Gu})` : `(${Gu}) or (2, ${Gu}) (resetAfter)`;
      throw rangeError('ERR_RNN_SHAPE', `weights.bias must have shape ${want} for this ${kind} with ${units} units; got ${formatShape(bias.shape)}`);
    }
  } else if (kind === 'gru' && resetAfter === undefined) {
    throw rangeError(
      'ERR_RNN_VALUE',
      `${what} config resetAfter must be given for a gru without bias (Keras's default is true, TF.js's false)`,
    );
  }
  const timeMajor = optionalBoolean(c.timeMajor, `${what} config timeMajor`) ?? false;
  call.endOfCallerReads();
  const w = kerasToLayerWeights(kind, kernel.data, rec.data, bias?.data, units, inputSize, resetAfter ?? false);
  return {
    kind,
    units,
    inputSize,
    useBias,
    resetAfter: resetAfter ?? false,
    timeMajor,
    activation: c.activation as ActivationOption | undefined,
    recurrentActivation: c.recurrentActivation as ActivationOption | undefined,
    weights: [w],
    config: c,
  };
}

/** The LSTM / GRU of element type `dtype` for `b` (one direction, or both when `b.weights` has two entries). */
function buildLayer<D extends LayerDtype>(b: Built, what: string, dtype: D): LSTM<D> | GRU<D> | RNN<D> {
  const bidirectional = b.weights.length === 2;
  const options = {
    inputSize: b.inputSize,
    hiddenSize: b.units,
    bidirectional,
    batchFirst: !b.timeMajor,
    bias: b.useBias,
    seed: 0,
    dtype,
    activation: b.activation ?? 'tanh',
    recurrentActivation: b.recurrentActivation ?? 'sigmoid',
  };
  let layer: LSTM<D> | GRU<D> | RNN<D>;
  try {
    if (b.kind === 'rnn') {
      const { inputSize, hiddenSize, batchFirst, bias, seed } = options;
      layer = new RNN<D>({ inputSize, hiddenSize, bidirectional, batchFirst, bias, seed, dtype, nonlinearity: rnnNonlinearity(b.activation) });
    } else {
      layer = b.kind === 'lstm' ? new LSTM<D>(options) : new GRU<D>({ ...options, linearBeforeReset: b.resetAfter });
    }
  } catch (error) {
    // The class names its own option; say which Keras layer it came from.
    (error as Error).message = `${what}: ${(error as Error).message}`;
    throw error;
  }
  const sd: Record<string, Float64Array> = {};
  b.weights.forEach((w, d) => {
    const suffix = d === 1 ? '_l0_reverse' : '_l0';
    sd[`weight_ih${suffix}`] = w.w_ih;
    sd[`weight_hh${suffix}`] = w.w_hh;
    if (b.useBias) {
      sd[`bias_ih${suffix}`] = w.b_ih;
      sd[`bias_hh${suffix}`] = w.b_hh;
    }
  });
  layer.loadStateDict(sd);
  return layer;
}

/**
 * An `LSTM`, `GRU` or (kind `'rnn'`, Keras's SimpleRNN with tanh or relu) `RNN` computing what
 * the Keras / TF.js layer with these weights computes: `weights` are the layer's kernel
 * `(F, G·units)`, recurrent kernel `(units, G·units)` and bias
 * (`{ kernel, recurrentKernel, bias }` or `getWeights()`'s list; NDArray-likes, nested arrays or
 * TF.js tensors), `config` its options (camelCased; see `KerasLayerConfig`). The layer is
 * batch-first (`(N, T, F)`, as Keras) unless `timeMajor`; its `output` is Keras's
 * return_sequences output and `h` (`c`) its final states, with a leading axis of 1.
 *
 * A GRU with reset_after false (TF.js, Keras 1 and 2.0–2.2) becomes `linearBeforeReset: false`
 * with b_hh = 0; reset_after true (later Keras) becomes PyTorch's GRU with Keras's input bias as
 * b_ih and recurrent bias as b_hh. `goBackwards: true` throws ERR_RNN_VALUE: the class has no
 * such option, so use `kerasLayer` (whose `predict` reverses x) or reverse x along time yourself.
 */
export function fromKeras<D extends LayerDtype = 'float64'>(kind: 'lstm', weights: KerasWeights, config?: KerasLayerConfig & { dtype?: D }): LSTM<D>;
export function fromKeras<D extends LayerDtype = 'float64'>(kind: 'gru', weights: KerasWeights, config?: KerasLayerConfig & { dtype?: D }): GRU<D>;
export function fromKeras<D extends LayerDtype = 'float64'>(kind: 'rnn', weights: KerasWeights, config?: KerasLayerConfig & { dtype?: D }): RNN<D>;
export function fromKeras<D extends LayerDtype = 'float64'>(
  kind: KerasKind,
  weights: KerasWeights,
  config?: KerasLayerConfig & { dtype?: D },
): LSTM<D> | GRU<D> | RNN<D>;
export function fromKeras<D extends LayerDtype>(kind: KerasKind, weights: KerasWeights, config?: KerasLayerConfig & { dtype?: D }): LSTM<D> | GRU<D> | RNN<D> {
  const b = readKeras('fromKeras', kind, weights, config);
  if (optionalBoolean(b.config.goBackwards, 'fromKeras config goBackwards')) {
    throw rangeError(
      'ERR_RNN_VALUE',
      'fromKeras config goBackwards: true has no LSTM/GRU option (the Keras layer reads each sequence from its end and ' +
        'returns outputs in that order); use kerasLayer(...), whose predict reverses x, or reverse x along time and pass goBackwards false',
    );
  }
  return buildLayer(b, 'fromKeras', dtypeOption(b.config.dtype, 'fromKeras config dtype') as D);
}

/**
 * Like `fromKeras`, but returns the layer with Keras's call semantics: `predict(x)` reverses x for
 * `goBackwards` and returns what the Keras layer returns for `returnSequences` / `returnState`.
 */
export function kerasLayer<D extends LayerDtype = 'float64'>(
  kind: KerasKind,
  weights: KerasWeights,
  config?: KerasLayerConfig & { dtype?: D },
): KerasRecurrentLayer<D> {
  const b = readKeras('kerasLayer', kind, weights, config);
  const c = b.config;
  if (c.name !== undefined && typeof c.name !== 'string') {
    throw typeError('ERR_RNN_TYPE', `kerasLayer config name must be a string; got ${describe(c.name)}`);
  }
  return makeRecord({
    name: (c.name) ?? kind,
    className: CLASS_NAMES[kind],
    kind,
    config: { ...c },
    layer: buildLayer(b, 'kerasLayer', dtypeOption(c.dtype, 'kerasLayer config dtype') as D),
    goBackwards: optionalBoolean(c.goBackwards, 'kerasLayer config goBackwards') ?? false,
    returnSequences: optionalBoolean(c.returnSequences, 'kerasLayer config returnSequences') ?? false,
    returnState: optionalBoolean(c.returnState, 'kerasLayer config returnState') ?? false,
    timeMajor: b.timeMajor,
  });
}

// ---------------------------------------------------------------------------------------------
// predict

/** x reversed along its time axis. */
function reverseTime(x: NDArray, timeMajor: boolean): NDArray {
  const [A, B, F] = x.shape;
  const out = new Float64Array(x.data.length);
  if (timeMajor) {
    for (let t = 0; t < A; t++) out.set(x.data.subarray(t * B * F, (t + 1) * B * F), (A - 1 - t) * B * F);
  } else {
    for (let n = 0; n < A; n++) {
      for (let t = 0; t < B; t++) out.set(x.data.subarray((n * B + t) * F, (n * B + t + 1) * F), (n * B + B - 1 - t) * F);
    }
  }
  return ndarray(out, [A, B, F]);
}

/** A layer's result array: float64, or float32 from a float32 layer (what predict returns keeps its type). */
type Result = LayerArray<LayerDtype>;

/** A zero array of `n` values of `a`'s element type. */
function zerosLike(a: Result, n: number): Float64Array | Float32Array {
  return a.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/** Columns [from, from + width) of the last axis. */
function lastAxisSlice(a: Result, from: number, width: number): Result {
  const W = a.shape[a.shape.length - 1];
  const rows = a.data.length / W;
  const out = zerosLike(a, rows * width);
  for (let r = 0; r < rows; r++) out.set(a.data.subarray(r * W + from, r * W + from + width), r * width);
  return { data: out, shape: [...a.shape.slice(0, -1), width] } as Result;
}

/** State `k` of `(D, N, H)` as `(N, H)`. */
function stateAt(s: Result, k: number): Result {
  const [, N, H] = s.shape;
  return { data: s.data.slice(k * N * H, (k + 1) * N * H), shape: [N, H] } as Result;
}

function merge(a: Result, b: Result, mode: 'sum' | 'mul' | 'ave'): Result {
  const out = zerosLike(a, a.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = mode === 'sum' ? a.data[i] + b.data[i] : mode === 'mul' ? a.data[i] * b.data[i] : (a.data[i] + b.data[i]) / 2;
  }
  return { data: out, shape: a.shape.slice() } as Result;
}

type RecordFields<D extends LayerDtype> = Omit<KerasRecurrentLayer<D>, 'predict'> & { timeMajor: boolean };

function makeRecord<D extends LayerDtype>(f: RecordFields<D>): KerasRecurrentLayer<D> {
  const { timeMajor, ...fields } = f;
  const layer = f.layer as LSTM<LayerDtype> | GRU<LayerDtype> | RNN<LayerDtype>;
  const record: KerasRecurrentLayer<D> = {
    ...fields,
    predict(x: ArrayInput): LayerArray<D> | LayerArray<D>[] {
      return predict(x) as LayerArray<D> | LayerArray<D>[];
    },
  };
  function predict(x: ArrayInput): Result | Result[] {
    const call = new CallContext();
    let X = toNDArray(call, x, 'x');
    call.endOfCallerReads();
    if (X.shape.length !== 3) {
      throw rangeError('ERR_RNN_SHAPE', `x must have rank 3 ${timeMajor ? '(T, N, F)' : '(N, T, F)'}; got ${formatShape(X.shape)}`);
    }
    if (f.goBackwards) X = reverseTime(X, timeMajor);
    const r = layer.forward(X, { noGrad: true });
    const H = layer.hiddenSize;
    const lstm = f.kind === 'lstm';
    // A SimpleRNN's and a GRU's state is h alone.
    const statesOf = (k: number) => (lstm ? [stateAt(r.h, k), stateAt(r.c!, k)] : [stateAt(r.h, k)]);
    if (f.className !== 'Bidirectional') {
      const y = f.returnSequences ? r.output : stateAt(r.h, 0);
      return f.returnState ? [y, ...statesOf(0)] : y;
    }
    // Keras reverses the backward layer's sequence back into input order, as the layer's output already is.
    const fw = f.returnSequences ? lastAxisSlice(r.output, 0, H) : stateAt(r.h, 0);
    const bw = f.returnSequences ? lastAxisSlice(r.output, H, H) : stateAt(r.h, 1);
    const mode = f.mergeMode;
    const ys = mode === null ? [fw, bw] : mode === 'concat' || mode === undefined ? [f.returnSequences ? r.output : concatLast(fw, bw)] : [merge(fw, bw, mode)];
    if (!f.returnState && ys.length === 1) return ys[0];
    return f.returnState ? [...ys, ...statesOf(0), ...statesOf(1)] : ys;
  }
  return record;
}

function concatLast(a: Result, b: Result): Result {
  const W = a.shape[a.shape.length - 1];
  const rows = a.data.length / W;
  const out = zerosLike(a, rows * 2 * W);
  for (let r = 0; r < rows; r++) {
    out.set(a.data.subarray(r * W, (r + 1) * W), r * 2 * W);
    out.set(b.data.subarray(r * W, (r + 1) * W), r * 2 * W + W);
  }
  return { data: out, shape: [...a.shape.slice(0, -1), 2 * W] } as Result;
}

// ---------------------------------------------------------------------------------------------
// loadTfjsModel

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** The manifest's weight specs in data order, checked. */
function readManifest(json: TfjsModelJson): { specs: WeightSpec[]; paths: string[] } {
  const specs: WeightSpec[] = [];
  const paths: string[] = [];
  const checkSpec = (w: unknown, where: string): WeightSpec => {
    if (!isObject(w) || typeof w.name !== 'string' || typeof w.dtype !== 'string' || !Array.isArray(w.shape) ||
      !w.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw formatError(`${where} must be { name, shape, dtype } with a string name and dtype and a list of sizes; got ${JSON.stringify(w)?.slice(0, 200)}`);
    }
    if (w.quantization !== undefined && (!isObject(w.quantization) || typeof w.quantization.dtype !== 'string')) {
      throw formatError(`${where}.quantization must be { dtype, scale?, min? }; got ${JSON.stringify(w.quantization)?.slice(0, 200)}`);
    }
    return w as unknown as WeightSpec;
  };
  if (Array.isArray(json.weightSpecs)) {
    // ModelArtifacts (tf.io.withSaveHandler): the specs without a manifest.
    json.weightSpecs.forEach((w, i) => specs.push(checkSpec(w, `weightSpecs[${i}]`)));
    return { specs, paths };
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw formatError(`model.json must have a weightsManifest list (or, as artifacts, weightSpecs); got ${describe(manifest)}`);
  }
  manifest.forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string') || !Array.isArray(group.weights)) {
      throw formatError(`weightsManifest[${g}] must be { paths: string[], weights: [...] }; got ${JSON.stringify(group)?.slice(0, 200)}`);
    }
    paths.push(...(group.paths));
    group.weights.forEach((w, i) => specs.push(checkSpec(w, `weightsManifest[${g}].weights[${i}]`)));
  });
  return { specs, paths };
}

/** All buffers as one byte array. */
function concatBytes(data: TfjsWeightData): Uint8Array {
  const asBytes = (b: unknown, what: string): Uint8Array => {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw typeError('ERR_RNN_TYPE', `${what} must be an ArrayBuffer or a typed array (the weight shards' bytes); got ${describe(b)}`);
  };
  if (!Array.isArray(data)) return asBytes(data, 'weightData');
  const parts = (data as unknown[]).map((b, i) => asBytes(b, `weightData[${i}]`));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** float16 bits → number. */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Every weight's values, decoded as TF.js decodes them (quantized ones dequantized). */
function decodeWeights(specs: WeightSpec[], bytes: Uint8Array): Record<string, NDArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, NDArray> = {};
  let offset = 0;
  const need = (n: number, spec: WeightSpec) => {
    if (offset + n > bytes.length) {
      throw formatError(`the weight data ends at byte ${bytes.length} inside weight "${spec.name}" (which needs bytes ${offset}..${offset + n}); a shard is missing or short`);
    }
  };
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const name = spec.name.replace(/:\d+$/, '');
    if (Object.hasOwn(out, name)) throw formatError(`the weights manifest names weight "${name}" twice`);
    if (spec.dtype === 'string') {
      // Skipped (no recurrent layer has one): each element is a uint32 byte length and the bytes.
      for (let i = 0; i < count; i++) {
        need(4, spec);
        const n = view.getUint32(offset, true);
        offset += 4;
        need(n, spec);
        offset += n;
      }
      continue;
    }
    const data = new Float64Array(count);
    const q = spec.quantization;
    if (q !== undefined) {
      const size = q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' || q.dtype === 'float16' ? 2 : 0;
      if (size === 0) throw formatError(`weight "${name}" has quantization dtype ${JSON.stringify(q.dtype)}; expected uint8, uint16 or float16`);
      if (size !== 2 || q.dtype !== 'float16') {
        if (typeof q.scale !== 'number' || typeof q.min !== 'number') throw formatError(`weight "${name}" is ${q.dtype}-quantized without numeric scale and min`);
      }
      need(count * size, spec);
      for (let i = 0; i < count; i++) {
        const v = size === 1 ? bytes[offset + i] : view.getUint16(offset + 2 * i, true);
        data[i] = q.dtype === 'float16' ? half(v) : v * q.scale! + q.min!;
      }
      offset += count * size;
    } else if (spec.dtype === 'float32' || spec.dtype === 'int32') {
      need(count * 4, spec);
      for (let i = 0; i < count; i++) data[i] = spec.dtype === 'float32' ? view.getFloat32(offset + 4 * i, true) : view.getInt32(offset + 4 * i, true);
      offset += count * 4;
    } else if (spec.dtype === 'bool') {
      need(count, spec);
      for (let i = 0; i < count; i++) data[i] = bytes[offset + i] ? 1 : 0;
      offset += count;
    } else {
      throw formatError(`weight "${name}" has dtype ${JSON.stringify(spec.dtype)}; expected float32, int32, bool or string`);
    }
    out[name] = ndarray(data, spec.shape.slice());
  }
  return out;
}

/** The Keras model config (`{ class_name, config }`) inside modelTopology, and the keras_version. */
function modelConfig(json: TfjsModelJson): { model: Record<string, unknown>; kerasVersion: string | undefined } {
  if (json.format === 'graph-model') {
    throw formatError(`model.json is a graph model (format 'graph-model'), which has no layers; convert with --output_format tfjs_layers_model`);
  }
  const topo = json.modelTopology;
  if (!isObject(topo)) throw formatError(`model.json must have a modelTopology object; got ${describe(topo)}`);
  const model = isObject(topo.model_config) ? topo.model_config : topo;
  if (typeof model.class_name !== 'string' || model.config === undefined) {
    throw formatError(`modelTopology must hold a Keras model config { class_name, config } (directly or as model_config); got keys ${Object.keys(topo).join(', ')}`);
  }
  const version = topo.keras_version ?? model.keras_version;
  return { model, kerasVersion: typeof version === 'string' ? version : undefined };
}

/** Every layer config `{ class_name, config }` of a model config, nested models' layers included. */
function layerConfigs(model: Record<string, unknown>, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  const config = model.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw formatError(`the ${String(model.class_name)} model config has no layers list`);
  for (const l of layers) {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) {
      throw formatError(`a layer of the ${String(model.class_name)} model config is not { class_name, config }: ${JSON.stringify(l)?.slice(0, 200)}`);
    }
    if (['Sequential', 'Functional', 'Model'].includes(l.class_name)) layerConfigs(l, out);
    else out.push(l);
  }
  return out;
}

const ROLES = ['kernel', 'recurrent_kernel', 'bias'] as const;
type Role = (typeof ROLES)[number];

/**
 * The kernel, recurrent kernel and bias of a layer named `layerName` (or its `direction` inside a
 * Bidirectional): names `layer/kernel`, `layer/cell/kernel` (Keras ≥ 2.3 puts the cell's name
 * in between), `bidi/forward_lstm/...`, `layer/cell/0` (Keras 3's numbered variables), possibly
 * under a nested model's name.
 */
function findWeights(weights: Record<string, NDArray>, layerName: string, direction?: 'forward' | 'backward'): Partial<Record<Role, NDArray>> {
  const found: Partial<Record<Role, NDArray>> = {};
  const where = direction ? `${direction} layer of "${layerName}"` : `layer "${layerName}"`;
  for (const [name, value] of Object.entries(weights)) {
    const tokens = name.split('/');
    const at = tokens.indexOf(layerName);
    if (at < 0 || at === tokens.length - 1) continue;
    if (direction !== undefined && !tokens[at + 1].startsWith(`${direction}_`)) continue;
    const last = tokens[tokens.length - 1];
    // Keras 3 files number a layer's variables (kernel 0, recurrent kernel 1, bias 2).
    const role = (/^[0-2]$/.test(last) ? ROLES[Number(last)] : last) as Role;
    if (!ROLES.includes(role)) continue;
    if (found[role] !== undefined) throw formatError(`the weights manifest has two ${role} weights for the ${where}`);
    found[role] = value;
  }
  return found;
}

const ACTIVATION_CONFIG = ['activation', 'recurrent_activation'] as const;

/**
 * A Keras config's activation: a name, or a serialized built-in (`{ class_name: 'function',
 * config: 'tanh' }` in newer Keras, `{ class_name: 'tanh' }`).
 */
function configActivation(value: unknown, keras3: boolean, where: string): ActivationOption {
  const name = !isObject(value) ? value : typeof value.config === 'string' ? value.config : value.class_name;
  if (typeof name !== 'string') throw formatError(`${where} must be an activation name; got ${JSON.stringify(value)?.slice(0, 100)}`);
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6.
  if (keras3 && name === 'hard_sigmoid') return { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 } satisfies Activation;
  return name;
}

/** One LSTM / GRU config (inside a Bidirectional or alone) as the pieces to build it. */
function recurrentFromConfig(
  cls: string,
  config: Record<string, unknown>,
  weights: Record<string, NDArray>,
  layerName: string,
  directions: ('forward' | 'backward' | undefined)[],
  keras3: boolean,
): Built & { goBackwards: boolean; returnSequences: boolean; returnState: boolean } {
  const kind = KINDS[cls];
  const G = gateCount(kind);
  const where = `layer "${layerName}"`;
  const units = config.units;
  if (!Number.isInteger(units) || (units as number) < 1) throw formatError(`${where} config units must be a positive integer; got ${JSON.stringify(units)}`);
  const u = units as number;
  const bool = (key: string, fallback: boolean): boolean => {
    const v = config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw formatError(`${where} config ${key} must be true or false; got ${JSON.stringify(v)}`);
    return v;
  };
  const useBias = bool('use_bias', true);
  // Absent reset_after: Keras 1 and TF.js had none (false); Keras ≥ 2.3 writes it.
  const resetAfter = kind === 'gru' && bool('reset_after', false);
  const [activation, recurrentActivation] = ACTIVATION_CONFIG.map((key) =>
    config[key] === undefined || config[key] === null ? (key === 'activation' ? 'tanh' : 'hard_sigmoid') : configActivation(config[key], keras3, `${where} config ${key}`),
  );
  const all: LayerWeights[] = [];
  let inputSize = 0;
  for (const dir of directions) {
    const found = findWeights(weights, layerName, dir);
    const label = dir ? `the ${dir} layer of ${where}` : where;
    const need = useBias ? ROLES : ROLES.slice(0, 2);
    for (const role of need) {
      if (found[role] === undefined) {
        throw formatError(`the weights manifest has no ${role} for ${label} (expected a weight named like "${layerName}/${dir ? `${dir}_${kind}/` : ''}${role}")`);
      }
    }
    if (!useBias && found.bias !== undefined) throw formatError(`${label} has use_bias false but the manifest has a bias for it`);
    const kernel = found.kernel!;
    const rec = found.recurrent_kernel!;
    const check = (a: NDArray, shape: number[], what: string) => {
      if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) {
        throw formatError(`${what} of ${label} must have shape ${formatShape(shape)} (${kind} with ${u} units); got ${formatShape(a.shape)}`);
      }
    };
    if (kernel.shape.length !== 2) check(kernel, [0, G * u], 'the kernel');
    check(kernel, [kernel.shape[0], G * u], 'the kernel');
    check(rec, [u, G * u], 'the recurrent_kernel');
    if (found.bias) check(found.bias, resetAfter ? [2, G * u] : [G * u], 'the bias');
    if (inputSize !== 0 && kernel.shape[0] !== inputSize) throw formatError(`the two directions of ${where} have kernels of different input sizes`);
    inputSize = kernel.shape[0];
    all.push(kerasToLayerWeights(kind, kernel.data, rec.data, found.bias?.data, u, inputSize, resetAfter));
  }
  if (inputSize < 1) throw formatError(`the kernel of ${where} has no input features`);
  return {
    kind,
    units: u,
    inputSize,
    useBias,
    resetAfter,
    timeMajor: bool('time_major', false),
    activation,
    recurrentActivation,
    weights: all,
    goBackwards: bool('go_backwards', false),
    returnSequences: bool('return_sequences', false),
    returnState: bool('return_state', false),
  };
}

/** Keras's merge modes. */
const MERGE_MODES = ['concat', 'sum', 'mul', 'ave', null] as const;

/** Keys of two recurrent configs that must agree for a Bidirectional to be one rnn-wasm layer. */
const SAME_KEYS = ['units', 'activation', 'recurrent_activation', 'use_bias', 'reset_after', 'return_sequences', 'return_state'];

/**
 * The LSTM, GRU and Bidirectional layers of a TF.js layers model and all its weights. `json` is
 * the parsed model.json (`{ modelTopology, weightsManifest, format, ... }`, from TF.js's
 * `model.save` or from tensorflowjs_converter's Keras conversion) or the artifacts TF.js hands
 * a save handler (`{ modelTopology, weightSpecs, weightData }`); `weightData` the bytes of the
 * manifest's shards, concatenated in manifest order or one buffer per path (not needed for
 * artifacts, which carry theirs). Float32, int32, bool and uint8/uint16/float16-quantized
 * weights are read. A malformed file throws ERR_RNN_MODEL_FORMAT; a layer rnn-wasm cannot
 * express (an activation outside its list, a Bidirectional with a different backward layer)
 * throws ERR_RNN_VALUE naming it. `options.dtype` is the layers' element type (`'float64'`
 * default, or `'float32'`); `weights` stay float64.
 */
export function loadTfjsModel<D extends LayerDtype = 'float64'>(json: TfjsModelJson, weightData?: TfjsWeightData, options?: { dtype?: D }): TfjsModel<D> {
  if (!isObject(json)) {
    throw typeError('ERR_RNN_TYPE', `loadTfjsModel's model must be the parsed model.json object (or save-handler artifacts); got ${describe(json)}`);
  }
  const dtype = dtypeOption(knownKeys(options, 'loadTfjsModel options', ['dtype']).dtype, 'loadTfjsModel option dtype') as D;
  const { model, kerasVersion } = modelConfig(json);
  const { specs } = readManifest(json);
  const data = weightData ?? (json.weightData as TfjsWeightData | undefined);
  if (data === undefined) {
    throw typeError('ERR_RNN_TYPE', `loadTfjsModel needs the weight data: the bytes of the shards listed in weightsManifest`);
  }
  const weights = decodeWeights(specs, concatBytes(data));
  const keras3 = kerasVersion !== undefined && /^3\./.test(kerasVersion);
  const layers: KerasRecurrentLayer<D>[] = [];
  for (const l of layerConfigs(model)) {
    const cls = l.class_name as string;
    const config = l.config as Record<string, unknown>;
    const name = typeof config.name === 'string' ? config.name : typeof l.name === 'string' ? l.name : undefined;
    if (!Object.hasOwn(KINDS, cls) && cls !== 'Bidirectional') continue;
    if (name === undefined) throw formatError(`a ${cls} layer config has no name`);
    if (cls === 'Bidirectional') {
      const inner = config.layer;
      if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) {
        throw formatError(`Bidirectional layer "${name}" config has no layer { class_name, config }`);
      }
      const innerCls = inner.class_name;
      if (!Object.hasOwn(KINDS, innerCls)) continue;
      const ic = inner.config;
      const mergeMode = config.merge_mode === undefined ? 'concat' : config.merge_mode;
      if (!MERGE_MODES.includes(mergeMode as never)) {
        throw rangeError('ERR_RNN_VALUE', `Bidirectional layer "${name}" merge_mode must be one of concat, sum, mul, ave, null; got ${JSON.stringify(mergeMode)}`);
      }
      if (ic.go_backwards === true) {
        throw rangeError('ERR_RNN_VALUE', `Bidirectional layer "${name}" wraps a layer with go_backwards true, which rnn-wasm's bidirectional layers cannot express`);
      }
      const back = config.backward_layer;
      if (isObject(back)) {
        const bc = isObject(back.config) ? back.config : {};
        const differs = back.class_name !== innerCls || SAME_KEYS.some((k) => JSON.stringify(bc[k]) !== JSON.stringify(ic[k]));
        if (differs) {
          throw rangeError('ERR_RNN_VALUE', `Bidirectional layer "${name}" has a backward_layer configured unlike its forward layer, which rnn-wasm's bidirectional layers cannot express`);
        }
      }
      const b = recurrentFromConfig(innerCls, ic, weights, name, ['forward', 'backward'], keras3);
      layers.push(
        makeRecord({
          name,
          className: 'Bidirectional',
          kind: b.kind,
          config,
          layer: buildLayer(b, `Bidirectional layer "${name}"`, dtype),
          goBackwards: false,
          returnSequences: b.returnSequences,
          returnState: b.returnState,
          mergeMode: mergeMode as KerasRecurrentLayer['mergeMode'],
          timeMajor: b.timeMajor,
        }),
      );
    } else {
      const b = recurrentFromConfig(cls, config, weights, name, [undefined], keras3);
      layers.push(
        makeRecord({
          name,
          className: cls as KerasRecurrentLayer['className'],
          kind: b.kind,
          config,
          layer: buildLayer(b, `${cls} layer "${name}"`, dtype),
          goBackwards: b.goBackwards,
          returnSequences: b.returnSequences,
          returnState: b.returnState,
          timeMajor: b.timeMajor,
        }),
      );
    }
  }
  return { format: typeof json.format === 'string' ? json.format : undefined, kerasVersion, layers, weights };
}
