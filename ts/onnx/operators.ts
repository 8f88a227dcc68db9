/**
 * The ONNX recurrent operators LSTM, GRU and RNN (opset 22) as functions: ONNX's inputs,
 * attributes, shapes, gate orders, defaults and outputs, computed on the layer kernels (one
 * `layerForward` call per direction).
 *
 * Where the spec leaves a choice, onnxruntime's CPU kernels decide: clip bounds every gate's
 * pre-activation (after biases and peepholes), not the cell state; activation_alpha and
 * activation_beta are consumed in order only by the functions that read them (HardSigmoid,
 * Affine, ScaledTanh take both, LeakyRelu, ThresholdedRelu and Elu alpha only), and activation
 * names match without regard to case; a sequence of length 0 gives Y_h = Y_c = 0. Absent alpha
 * and beta take the defaults of ONNX's operators of the same name (LeakyRelu 0.01, HardSigmoid
 * 0.2 and 0.5, Elu 1, ThresholdedRelu 1, Affine 1 and 0, ScaledTanh 1 and 1), as the spec says.
 *
 * Every argument is checked before any work; X's element type decides the precision and the
 * outputs' type: a Float32Array X runs the float32 kernels (weights, inputs and states rounded to
 * float32, products and sums in float32, as onnxruntime's float32 kernels) and gives Float32Array
 * outputs.
 */
import { rangeError, typeError } from '../errors.js';
import { ACTIVATION, gatesArray, type Activation, type ActivationName } from '../layers/activations.js';
import { CELL, type CellCode } from '../layers/cells.js';
import { knownKeys } from '../layers/options.js';
import { CallContext, describe, formatShape, type ArrayInput, type NDArray } from '../ndarray.js';
import { allocateOutputs } from '../outputs.js';
import { activeBackend } from '../registry.js';
import { arrayOfRank, requireShape } from '../validate.js';
import { onnxGateCount, onnxPeepholes, onnxToLayerWeights, type OnnxRecurrentOp } from './weights.js';

/** An operator's output: data of X's element type (Float32Array for a Float32Array X, else Float64Array). */
export interface OnnxTensor {
  data: Float32Array | Float64Array;
  shape: number[];
}

/** sequence_lens: batch_size integers, as an Int32Array, a number[] or `{ data, shape }`. */
export type OnnxSequenceLens = Int32Array | readonly number[] | { data: ArrayLike<number>; shape: readonly number[] };

/** The inputs of ONNX RNN and GRU (optional ones may be absent or undefined). */
export interface OnnxRecurrentInputs {
  /** `[seq_length, batch_size, input_size]` (layout 1: `[batch_size, seq_length, input_size]`). */
  X: ArrayInput;
  /** `[num_directions, G·hidden_size, input_size]`. */
  W: ArrayInput;
  /** `[num_directions, G·hidden_size, hidden_size]`. */
  R: ArrayInput;
  /** `[num_directions, 2·G·hidden_size]`: Wb then Rb; zeros when absent. */
  B?: ArrayInput;
  /** `[batch_size]` lengths in 0..seq_length; every sequence has seq_length steps when absent. */
  sequence_lens?: OnnxSequenceLens;
  /** `[num_directions, batch_size, hidden_size]` (layout 1: `[batch_size, num_directions, hidden_size]`); zeros when absent. */
  initial_h?: ArrayInput;
}

export interface OnnxLSTMInputs extends OnnxRecurrentInputs {
  /** Like initial_h; zeros when absent. */
  initial_c?: ArrayInput;
  /** `[num_directions, 3·hidden_size]` peepholes, gates i, o, f; zeros when absent. */
  P?: ArrayInput;
}

export type OnnxGRUInputs = OnnxRecurrentInputs;
export type OnnxRNNInputs = OnnxRecurrentInputs;

/** The attributes the three operators share, with ONNX's names and defaults. */
export interface OnnxRecurrentAttributes {
  /** Read from R when absent. */
  hidden_size?: number;
  /** Default `'forward'`. */
  direction?: 'forward' | 'reverse' | 'bidirectional';
  /** Default 0. */
  layout?: 0 | 1;
  /** Functions per direction (LSTM f, g, h; GRU f, g; RNN f), ONNX's names. */
  activations?: readonly string[];
  activation_alpha?: readonly number[];
  activation_beta?: readonly number[];
  /** Bounds every gate's pre-activation to [−clip, clip]; absent: none. */
  clip?: number;
}

export interface OnnxLSTMAttributes extends OnnxRecurrentAttributes {
  /** 1: f = 1 − i. Default 0. */
  input_forget?: 0 | 1;
}

export interface OnnxGRUAttributes extends OnnxRecurrentAttributes {
  /** 1: the reset gate multiplies (R_h·H + Rb_h); 0 (default): it multiplies H before R_h. */
  linear_before_reset?: 0 | 1;
}

export type OnnxRNNAttributes = OnnxRecurrentAttributes;

export interface OnnxLSTMOutputs {
  /** `[seq_length, num_directions, batch_size, hidden_size]` (layout 1: `[batch_size, seq_length, num_directions, hidden_size]`). */
  Y: OnnxTensor;
  /** `[num_directions, batch_size, hidden_size]` (layout 1: `[batch_size, num_directions, hidden_size]`). */
  Y_h: OnnxTensor;
  /** Like Y_h. */
  Y_c: OnnxTensor;
}

export interface OnnxGRUOutputs {
  Y: OnnxTensor;
  Y_h: OnnxTensor;
}

export type OnnxRNNOutputs = OnnxGRUOutputs;

const COMMON_ATTRIBUTES = ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'];

interface OpSpec {
  op: OnnxRecurrentOp;
  /** The function's name in messages. */
  fn: string;
  attributes: readonly string[];
  inputs: readonly string[];
  /** Activation functions per direction. */
  perDirection: number;
  standard: readonly ActivationName[];
}

const SPECS: Readonly<Record<OnnxRecurrentOp, OpSpec>> = {
  LSTM: {
    op: 'LSTM',
    fn: 'onnxLSTM',
    attributes: [...COMMON_ATTRIBUTES, 'input_forget'],
    inputs: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
    perDirection: 3,
    standard: ['Sigmoid', 'Tanh', 'Tanh'],
  },
  GRU: {
    op: 'GRU',
    fn: 'onnxGRU',
    attributes: [...COMMON_ATTRIBUTES, 'linear_before_reset'],
    inputs: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
    perDirection: 2,
    standard: ['Sigmoid', 'Tanh'],
  },
  RNN: {
    op: 'RNN',
    fn: 'onnxRNN',
    attributes: COMMON_ATTRIBUTES,
    inputs: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
    perDirection: 1,
    standard: ['Tanh'],
  },
};

/** Which functions read alpha and beta (onnxruntime's table; the others ignore both). */
const READS: Readonly<Record<ActivationName, readonly [alpha: boolean, beta: boolean]>> = {
  Sigmoid: [false, false],
  Tanh: [false, false],
  Relu: [false, false],
  HardSigmoid: [true, true],
  Affine: [true, true],
  LeakyRelu: [true, false],
  ThresholdedRelu: [true, false],
  ScaledTanh: [true, true],
  Elu: [true, false],
  Softsign: [false, false],
  Softplus: [false, false],
};

const NAMES = Object.keys(ACTIVATION) as ActivationName[];
const BY_LOWER_NAME = new Map(NAMES.map((name) => [name.toLowerCase(), name]));

// ---------------------------------------------------------------------------------------------
// Attributes

interface Attributes {
  hidden?: number;
  D: 1 | 2;
  /** The direction each kernel call runs: direction 0 is reversed for 'reverse', 1 always. */
  reverse: readonly (0 | 1)[];
  layout: 0 | 1;
  /** Per direction: f, g, h (as many as the op has). */
  functions: Activation[][];
  clip?: number;
  inputForget: boolean;
  linearBeforeReset: boolean;
}

function flagAttribute(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'number') throw typeError('ERR_RNN_TYPE', `${name} must be 0 or 1; got ${describe(value)}`);
  if (value !== 0 && value !== 1) throw rangeError('ERR_RNN_VALUE', `${name} must be 0 or 1; got ${value}`);
  return value === 1;
}

/** A list attribute (array or typed array) copied into plain values, each read once. */
function listAttribute(value: unknown, name: string): unknown[] {
  if (Array.isArray(value)) return Array.from(value as unknown[]);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>);
  throw typeError('ERR_RNN_TYPE', `${name} must be an array; got ${describe(value)}`);
}

function numberList(value: unknown, name: string): number[] {
  if (value === undefined) return [];
  const list = listAttribute(value, name);
  return list.map((v, k) => {
    if (typeof v !== 'number') throw typeError('ERR_RNN_TYPE', `${name}[${k}] must be a number; got ${describe(v)}`);
    if (!Number.isFinite(v)) throw rangeError('ERR_RNN_VALUE', `${name}[${k}] must be a finite number; got ${v}`);
    return v;
  });
}

function readAttributes(spec: OpSpec, value: unknown): Attributes {
  const { fn } = spec;
  const a = knownKeys(value, `${fn} attributes`, spec.attributes);

  let hidden: number | undefined;
  if (a.hidden_size !== undefined) {
    const h = a.hidden_size;
    if (typeof h !== 'number') throw typeError('ERR_RNN_TYPE', `${fn}: hidden_size must be an integer; got ${describe(h)}`);
    if (!Number.isInteger(h) || h < 1) throw rangeError('ERR_RNN_VALUE', `${fn}: hidden_size must be an integer ≥ 1; got ${h}`);
    hidden = h;
  }

  const direction = a.direction ?? 'forward';
  if (typeof direction !== 'string') {
    throw typeError('ERR_RNN_TYPE', `${fn}: direction must be 'forward', 'reverse' or 'bidirectional'; got ${describe(direction)}`);
  }
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw rangeError('ERR_RNN_VALUE', `${fn}: direction must be 'forward', 'reverse' or 'bidirectional'; got ${JSON.stringify(direction)}`);
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  const reverse: (0 | 1)[] = direction === 'bidirectional' ? [0, 1] : [direction === 'reverse' ? 1 : 0];

  const layout = a.layout ?? 0;
  if (typeof layout !== 'number') throw typeError('ERR_RNN_TYPE', `${fn}: layout must be 0 or 1; got ${describe(layout)}`);
  if (layout !== 0 && layout !== 1) throw rangeError('ERR_RNN_VALUE', `${fn}: layout must be 0 or 1; got ${layout}`);

  let clip: number | undefined;
  if (a.clip !== undefined) {
    const c = a.clip;
    if (typeof c !== 'number') throw typeError('ERR_RNN_TYPE', `${fn}: clip must be a number > 0; got ${describe(c)}`);
    // onnxruntime refuses clip ≤ 0 for LSTM and GRU; the same holds here for RNN.
    if (!(c > 0)) throw rangeError('ERR_RNN_VALUE', `${fn}: clip must be a number > 0; got ${c}`);
    clip = c;
  }

  const inputForget = spec.op === 'LSTM' && flagAttribute(a.input_forget, `${fn}: input_forget`);
  const linearBeforeReset = spec.op === 'GRU' && flagAttribute(a.linear_before_reset, `${fn}: linear_before_reset`);
  const functions = readActivations(spec, a, D);
  return { hidden, D, reverse, layout, functions, clip, inputForget, linearBeforeReset };
}

/** The functions of each direction, with alpha and beta handed out in order to those that read them. */
function readActivations(spec: OpSpec, a: Record<string, unknown>, D: 1 | 2): Activation[][] {
  const { fn, perDirection } = spec;
  const alphas = numberList(a.activation_alpha, `${fn}: activation_alpha`);
  const betas = numberList(a.activation_beta, `${fn}: activation_beta`);
  let names: unknown[];
  if (a.activations === undefined) {
    names = Array.from({ length: D }, () => spec.standard).flat();
  } else {
    names = listAttribute(a.activations, `${fn}: activations`);
    // onnxruntime reads the schema's default for RNN, ["Tanh", "Tanh"], on one direction as its first entry.
    if (spec.op === 'RNN' && D === 1 && names.length === 2) names = names.slice(0, 1);
    if (names.length !== perDirection * D) {
      const per = spec.op === 'LSTM' ? 'f, g, h' : spec.op === 'GRU' ? 'f, g' : 'f';
      throw rangeError(
        'ERR_RNN_VALUE',
        `${fn}: activations must hold ${perDirection * D} names (${per} for each of ${D} direction${D > 1 ? 's' : ''}); got ${names.length}`,
      );
    }
  }
  const out: Activation[] = names.map((value, k) => {
    const name = typeof value === 'string' ? BY_LOWER_NAME.get(value.toLowerCase()) : undefined;
    if (name === undefined) {
      const what = `${fn}: activations[${k}] must be one of ${NAMES.join(', ')}`;
      if (typeof value !== 'string') throw typeError('ERR_RNN_TYPE', `${what}; got ${describe(value)}`);
      throw rangeError('ERR_RNN_VALUE', `${what}; got ${JSON.stringify(value)}`);
    }
    const [readsAlpha, readsBeta] = READS[name];
    const act: Activation = { name };
    if (readsAlpha && alphas.length > 0) act.alpha = alphas.shift();
    if (readsBeta && betas.length > 0) act.beta = betas.shift();
    return act;
  });
  return Array.from({ length: D }, (_, d) => out.slice(d * perDirection, (d + 1) * perDirection));
}

// ---------------------------------------------------------------------------------------------
// Inputs

// The typed-array kind read from the internal slot (undefined for anything else, a Proxy included).
const typedArrayKind = (() => {
  const proto = Object.getPrototypeOf(Float64Array.prototype) as object;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- run with .call(value) only
  const get = Object.getOwnPropertyDescriptor(proto, Symbol.toStringTag)!.get as (this: unknown) => string | undefined;
  return (value: unknown) => get.call(value);
})();

/** sequence_lens as the kernels take lengths: N integers in 0..T. */
function readSequenceLens(fn: string, value: unknown, N: number, T: number): Float64Array {
  const name = `${fn}: sequence_lens`;
  let values: ArrayLike<unknown>;
  let shape: string;
  if (Array.isArray(value)) {
    values = Array.from(value as unknown[]);
    shape = formatShape([values.length]);
  } else if (typedArrayKind(value) !== undefined) {
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
      values = Array.from(value, (v) => Number(v));
    } else {
      values = Array.from(value as ArrayLike<number>);
    }
    shape = formatShape([values.length]);
  } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    const data: unknown = value.data;
    const dimsValue: unknown = value.shape;
    const dims = Array.isArray(dimsValue) ? Array.from(dimsValue as unknown[]) : undefined;
    if (dims === undefined || !dims.every((n): n is number => typeof n === 'number')) {
      throw typeError('ERR_RNN_TYPE', `${name}.shape must be an array of integers; got ${describe(dimsValue)}`);
    }
    if (!(Array.isArray(data) || typedArrayKind(data) !== undefined)) {
      throw typeError('ERR_RNN_TYPE', `${name}.data must be an Int32Array, a typed array or a number[]; got ${describe(data)}`);
    }
    values = Array.from(data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
    shape = formatShape(dims);
    if (dims.length !== 1 || dims[0] !== values.length) {
      throw rangeError('ERR_RNN_SHAPE', `${name} must have shape (${N},) (batch_size); got ${shape} with ${values.length} values`);
    }
  } else {
    throw typeError('ERR_RNN_TYPE', `${name} must be an Int32Array, a number[] or { data, shape } of batch_size integers; got ${describe(value)}`);
  }
  if (values.length !== N) {
    throw rangeError('ERR_RNN_SHAPE', `${name} must have shape (${N},) (batch_size); got ${shape}`);
  }
  const out = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    const L = values[j];
    if (typeof L !== 'number') throw typeError('ERR_RNN_TYPE', `${name}[${j}] must be an integer; got ${describe(L)}`);
    if (!Number.isInteger(L) || L < 0 || L > T) {
      throw rangeError('ERR_RNN_VALUE', `${name}[${j}] must be an integer in 0..${T} (seq_length); got ${L}`);
    }
    out[j] = L;
  }
  return out;
}

/** Whether X's data is a Float32Array (read from the internal slot, never through properties). */
function isFloat32(X: unknown): boolean {
  if (X === null || typeof X !== 'object' || Array.isArray(X) || !('data' in X)) return false;
  return typedArrayKind(X.data) === 'Float32Array';
}

/** `[a][b][f]` → `[b][a][f]`. */
function swapLeadingAxes(src: Float64Array, a: number, b: number, f: number): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) out.set(src.subarray((i * b + j) * f, (i * b + j + 1) * f), (j * a + i) * f);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The operators

function run(spec: OpSpec, inputsValue: unknown, attributesValue: unknown): Record<string, OnnxTensor> {
  const { op, fn } = spec;
  const call = new CallContext();
  if (inputsValue === undefined) {
    throw typeError('ERR_RNN_TYPE', `${fn}'s inputs must be an object with at least X, W and R; got undefined`);
  }
  const inputs = knownKeys(inputsValue, `${fn} inputs`, spec.inputs);
  const attrs = readAttributes(spec, attributesValue);
  for (const key of ['X', 'W', 'R']) {
    if (inputs[key] === undefined) throw typeError('ERR_RNN_MISSING_KEY', `${fn} inputs are missing ${key}`);
  }
  const float32 = isFloat32(inputs.X);
  const { D, layout } = attrs;
  const G = onnxGateCount(op);
  const GH = `${G}·hidden_size`;

  const xAxes = layout === 0 ? ['seq_length', 'batch_size', 'input_size'] : ['batch_size', 'seq_length', 'input_size'];
  const X = arrayOfRank(call, inputs.X, `${fn}: X`, xAxes);
  const [T, N] = layout === 0 ? [X.shape[0], X.shape[1]] : [X.shape[1], X.shape[0]];
  const I = X.shape[2];
  const Rraw = arrayOfRank(call, inputs.R, `${fn}: R`, ['num_directions', GH, 'hidden_size']);
  const H = attrs.hidden ?? Rraw.shape[2];
  if (H < 1) {
    throw rangeError('ERR_RNN_SHAPE', `${fn}: R must have shape (${D}, ${G}·hidden_size, hidden_size) with hidden_size ≥ 1; got ${formatShape(Rraw.shape)}`);
  }
  const dims = { num_directions: D, [GH]: G * H, [`${2 * G}·hidden_size`]: 2 * G * H, '3·hidden_size': 3 * H, hidden_size: H, input_size: I, batch_size: N, seq_length: T };
  const context = attrs.hidden === undefined ? '' : `for hidden_size ${H}`;
  const R = requireShape(Rraw, `${fn}: R`, dims, ['num_directions', GH, 'hidden_size'], context);
  const W = requireShape(arrayOfRank(call, inputs.W, `${fn}: W`, ['num_directions', GH, 'input_size']), `${fn}: W`, dims, ['num_directions', GH, 'input_size']);
  const optional = (key: string, axes: string[]): NDArray | undefined =>
    inputs[key] === undefined ? undefined : requireShape(arrayOfRank(call, inputs[key], `${fn}: ${key}`, axes), `${fn}: ${key}`, dims, axes);
  const B = optional('B', ['num_directions', `${2 * G}·hidden_size`]);
  const stateAxes = layout === 0 ? ['num_directions', 'batch_size', 'hidden_size'] : ['batch_size', 'num_directions', 'hidden_size'];
  const H0 = optional('initial_h', stateAxes);
  const C0 = op === 'LSTM' ? optional('initial_c', stateAxes) : undefined;
  const P = op === 'LSTM' ? optional('P', ['num_directions', '3·hidden_size']) : undefined;
  const lengths = inputs.sequence_lens === undefined ? new Float64Array(N).fill(T) : readSequenceLens(fn, inputs.sequence_lens, N, T);
  call.endOfCallerReads();

  const cell: CellCode =
    op === 'LSTM' ? CELL.lstm : op === 'GRU' ? (attrs.linearBeforeReset ? CELL.gru : CELL.gruResetBefore) : CELL.rnnTanh;
  const x = layout === 0 ? X.data : swapLeadingAxes(X.data, N, T, I);
  const backend = activeBackend();
  const lstm = op === 'LSTM';
  const block = N * H;
  const sizes: Record<string, number> = {};
  for (let d = 0; d < D; d++) {
    sizes[`out${d}`] = T * N * H;
    sizes[`h${d}`] = block;
    if (lstm) sizes[`c${d}`] = block;
  }
  const out = allocateOutputs(backend, fn, sizes);
  const none = new Float64Array(0);
  /** Direction d's `[batch][hidden]` rows of a state input in either layout. */
  const stateOf = (S: NDArray | undefined, d: number): Float64Array => {
    if (S === undefined) return new Float64Array(block);
    if (layout === 0) return S.data.subarray(d * block, (d + 1) * block);
    const rows = new Float64Array(block);
    for (let j = 0; j < N; j++) rows.set(S.data.subarray((j * D + d) * H, (j * D + d + 1) * H), j * H);
    return rows;
  };

  for (let d = 0; d < D; d++) {
    const w = onnxToLayerWeights(op, W.data, R.data, B?.data, H, d, I);
    const [f, g, h] = attrs.functions[d];
    // An RNN whose function is Relu runs the kernels' ReLU cell (their fast path).
    const dirCell = op === 'RNN' && f.name === 'Relu' ? CELL.rnnRelu : cell;
    const gates = gatesArray(dirCell, { f, g, h, clip: attrs.clip, inputForget: attrs.inputForget });
    if (T === 0 || N === 0) {
      out[`out${d}`].fill(0);
      out[`h${d}`].fill(0);
      if (lstm) out[`c${d}`].fill(0);
      continue;
    }
    backend.run(
      float32 ? 'layerForwardF32' : 'layerForward',
      { cell: dirCell, n_in: I, h: H, n: N, t: T, reverse: attrs.reverse[d], keep: 0 },
      {
        x,
        lengths,
        h0: stateOf(H0, d),
        c0: lstm ? stateOf(C0, d) : none,
        w_ih: w.w_ih,
        w_hh: w.w_hh,
        b_ih: w.b_ih,
        b_hh: w.b_hh,
        gates,
        p: P === undefined ? none : onnxPeepholes(P.data, H, d),
      },
      { output: out[`out${d}`], h_n: out[`h${d}`], c_n: lstm ? out[`c${d}`] : none, saved: none },
    );
  }

  // The kernels leave h0 (c0) as the state of a sequence that has no steps; ONNX gives 0.
  for (let j = 0; j < N; j++) {
    if (lengths[j] !== 0) continue;
    for (let d = 0; d < D; d++) {
      out[`h${d}`].fill(0, j * H, (j + 1) * H);
      if (lstm) out[`c${d}`].fill(0, j * H, (j + 1) * H);
    }
  }

  const Yshape = layout === 0 ? [T, D, N, H] : [N, T, D, H];
  const stateShape = () => (layout === 0 ? [D, N, H] : [N, D, H]);
  // One float64 direction in layout 0 is already laid out as ONNX's outputs: no copies.
  if (!float32 && layout === 0 && D === 1) {
    const direct: Record<string, OnnxTensor> = { Y: { data: out.out0, shape: Yshape }, Y_h: { data: out.h0, shape: stateShape() } };
    if (lstm) direct.Y_c = { data: out.c0, shape: stateShape() };
    return direct;
  }
  const make = (length: number) => (float32 ? new Float32Array(length) : new Float64Array(length));
  // Y: [t][d][n][h] (layout 1: [n][t][d][h]) from each direction's [t][n][h].
  const Y = make(T * D * N * H);
  for (let d = 0; d < D; d++) {
    const src = out[`out${d}`];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < N; j++) {
        const at = layout === 0 ? ((t * D + d) * N + j) * H : ((j * T + t) * D + d) * H;
        Y.set(src.subarray((t * N + j) * H, (t * N + j + 1) * H), at);
      }
    }
  }
  const state = (key: 'h' | 'c'): OnnxTensor => {
    const S = make(D * N * H);
    for (let d = 0; d < D; d++) {
      const src = out[`${key}${d}`];
      for (let j = 0; j < N; j++) S.set(src.subarray(j * H, (j + 1) * H), (layout === 0 ? d * N + j : j * D + d) * H);
    }
    return { data: S, shape: stateShape() };
  };
  const result: Record<string, OnnxTensor> = {
    Y: { data: Y, shape: Yshape },
    Y_h: state('h'),
  };
  if (lstm) result.Y_c = state('c');
  return result;
}

/**
 * ONNX LSTM (opset 22): gates i, o, f, c in W, R and B, peepholes P (i, o, f), every attribute
 * of the spec. Returns `{ Y, Y_h, Y_c }`; Y is 0 past a sequence's length, Y_h and Y_c hold each
 * sequence's state at its last step per direction (0 for a sequence of length 0).
 */
export function onnxLSTM(inputs: OnnxLSTMInputs, attributes?: OnnxLSTMAttributes): OnnxLSTMOutputs {
  return run(SPECS.LSTM, inputs, attributes) as unknown as OnnxLSTMOutputs;
}

/**
 * ONNX GRU (opset 22): gates z, r, h in W, R and B; linear_before_reset 0 (default, the reset
 * gate multiplies H before R_h) or 1. Returns `{ Y, Y_h }`.
 */
export function onnxGRU(inputs: OnnxGRUInputs, attributes?: OnnxGRUAttributes): OnnxGRUOutputs {
  return run(SPECS.GRU, inputs, attributes) as unknown as OnnxGRUOutputs;
}

/** ONNX RNN (opset 22): H_t = f(X_t·Wᵀ + H_{t−1}·Rᵀ + Wb + Rb), f Tanh by default. Returns `{ Y, Y_h }`. */
export function onnxRNN(inputs: OnnxRNNInputs, attributes?: OnnxRNNAttributes): OnnxRNNOutputs {
  return run(SPECS.RNN, inputs, attributes) as unknown as OnnxRNNOutputs;
}
