/**
 * The notebook API: `rnn_forward`, `lstm_backward`, ... with the notebook's names, argument
 * order, shapes and return values. Each function validates everything, converts the inputs to
 * the kernels' time-major layout, makes one backend call, and builds fresh outputs and caches
 * (caches hold zero-copy views of per-step blocks).
 */
import { fromTimeMajor, stepView, toTimeMajor } from './layout.js';
import {
  beginCall,
  describe,
  endOfCallerReads,
  formatShape,
  ndarray,
  toNDArray,
  zeros,
  type ArrayInput,
  type NDArray,
} from './ndarray.js';
import { activeBackend } from './registry.js';
import { unfilledFloat64Array } from './unfilled.js';
import { rangeError, typeError } from './errors.js';
import { MAX_ELEMENTS } from './ndarray.js';
import {
  arrayOfRank,
  arrayOfShape,
  cacheTuple,
  param,
  paramsObject,
  readParams,
  requireRows,
  type DimValues,
  type ParamSpec,
} from './validate.js';

/** A parameters dictionary as the notebook uses it: weight names → arrays. */
export type Parameters = Record<string, ArrayInput>;

export type RnnCache = [a_next: NDArray, a_prev: NDArray, xt: NDArray, parameters: Parameters];
export type RnnCaches = [caches: RnnCache[], x: NDArray];
export type LstmCache = [
  a_next: NDArray,
  c_next: NDArray,
  a_prev: NDArray,
  c_prev: NDArray,
  ft: NDArray,
  it: NDArray,
  cct: NDArray,
  ot: NDArray,
  xt: NDArray,
  parameters: Parameters,
];
export type LstmCaches = [caches: LstmCache[], x: NDArray];

export interface RnnCellGradients {
  dxt: NDArray;
  da_prev: NDArray;
  dWax: NDArray;
  dWaa: NDArray;
  dba: NDArray;
}
export interface RnnGradients {
  dx: NDArray;
  da0: NDArray;
  dWax: NDArray;
  dWaa: NDArray;
  dba: NDArray;
}
export interface LstmGateGradients {
  dWf: NDArray;
  dbf: NDArray;
  dWi: NDArray;
  dbi: NDArray;
  dWc: NDArray;
  dbc: NDArray;
  dWo: NDArray;
  dbo: NDArray;
}
export interface LstmCellGradients extends LstmGateGradients {
  dxt: NDArray;
  da_prev: NDArray;
  dc_prev: NDArray;
}
export interface LstmGradients extends LstmGateGradients {
  dx: NDArray;
  da0: NDArray;
}

const RNN_SPEC: ParamSpec = {
  Wax: ['n_a', 'n_x'],
  Waa: ['n_a', 'n_a'],
  Wya: ['n_y', 'n_a'],
  ba: ['n_a', '1'],
  by: ['n_y', '1'],
};
const GATES = ['f', 'i', 'c', 'o'] as const;
const LSTM_SPEC: ParamSpec = {
  ...Object.fromEntries(GATES.flatMap((g) => [[`W${g}`, ['n_a', 'n_a+n_x']], [`b${g}`, ['n_a', '1']]])),
  Wy: ['n_y', 'n_a'],
  by: ['n_y', '1'],
};
const RNN_CACHE_FIELDS = ['a_next', 'a_prev', 'xt', 'parameters'] as const;
const LSTM_CACHE_FIELDS = ['a_next', 'c_next', 'a_prev', 'c_prev', 'ft', 'it', 'cct', 'ot', 'xt', 'parameters'] as const;

// ---------------------------------------------------------------------------------------------
// Activations

/** Softmax over axis 0 (numerically stable, as the notebook's). */
export function softmax(z: ArrayInput): NDArray {
  const call = beginCall();
  const Z = toNDArray(z, 'z');
  if (Z.shape.length === 0) {
    throw rangeError('ERR_RNN_SHAPE', 'z must have at least 1 dimension (softmax is over axis 0); got shape ()');
  }
  requireRows(Z, 'z', 'softmax is over axis 0');
  const rows = Z.shape[0];
  endOfCallerReads(call);
  const out = new Float64Array(Z.data.length);
  activeBackend().softmax(Z.data, rows, Z.data.length / rows, out);
  return ndarray(out, Z.shape.slice());
}

/** Elementwise `1 / (1 + exp(-z))`. */
export function sigmoid(z: ArrayInput): NDArray {
  const call = beginCall();
  const Z = toNDArray(z, 'z');
  endOfCallerReads(call);
  const out = new Float64Array(Z.data.length);
  activeBackend().sigmoid(Z.data, out);
  return ndarray(out, Z.shape.slice());
}

// ---------------------------------------------------------------------------------------------
// RNN

/** One step: `[a_next, yt_pred, cache]`. */
export function rnn_cell_forward(
  xt: ArrayInput,
  a_prev: ArrayInput,
  parameters: Parameters,
): [a_next: NDArray, yt_pred: NDArray, cache: RnnCache] {
  const call = beginCall();
  const XT = arrayOfRank(xt, 'xt', ['n_x', 'm']);
  const [n_x, m] = XT.shape;
  const { dims, w } = rnnParameters(parameters, n_x, m);
  const A_prev = arrayOfShape(a_prev, 'a_prev', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const out = allocate(call, 'rnn_cell_forward', { a: n_a * m, y: n_y * m });
  activeBackend().rnnForward({ ...dims, T: 1 }, XT.data, A_prev.data, w, out);
  const a_next = ndarray(out.a, [n_a, m]);
  return [a_next, ndarray(out.y, [n_y, m]), [a_next, A_prev, XT, parameters]];
}

/** The whole sequence: `[a, y_pred, caches]` with `a` `(n_a, m, T_x)`, `y_pred` `(n_y, m, T_x)`. */
export function rnn_forward(
  x: ArrayInput,
  a0: ArrayInput,
  parameters: Parameters,
): [a: NDArray, y_pred: NDArray, caches: RnnCaches] {
  const call = beginCall();
  const X = arrayOfRank(x, 'x', ['n_x', 'm', 'T_x']);
  const [n_x, m, T] = X.shape;
  requireStepLimit('rnn_forward', T);
  const { dims, w } = rnnParameters(parameters, n_x, m);
  const A0 = arrayOfShape(a0, 'a0', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const [sx, sa, sy] = [n_x * m, n_a * m, n_y * m];
  const out = allocate(call, 'rnn_forward', { x: T * sx, a: T * sa, y: T * sy, aOut: T * sa, yOut: T * sy });
  toTimeMajor(activeBackend(), X.data, n_x, m, T, out.x);
  activeBackend().rnnForward({ ...dims, T }, out.x, A0.data, w, out);
  const caches: RnnCache[] = [];
  for (let t = 0; t < T; t++) {
    const a_prev = t === 0 ? A0 : caches[t - 1][0];
    caches.push([stepView(out.a, t, n_a, m), a_prev, stepView(out.x, t, n_x, m), parameters]);
  }
  return [
    ndarray(fromTimeMajor(activeBackend(), out.a, n_a, m, T, out.aOut), [n_a, m, T]),
    ndarray(fromTimeMajor(activeBackend(), out.y, n_y, m, T, out.yOut), [n_y, m, T]),
    [caches, X],
  ];
}

/** Dimensions from `Wya` (as the notebook takes them) and every RNN weight, checked. */
function rnnParameters(parameters: unknown, n_x: number, m: number) {
  const p = paramsObject(parameters, 'parameters');
  const [n_y, n_a] = arrayOfRank(param(p, 'parameters', 'Wya', RNN_SPEC), 'Wya', ['n_y', 'n_a']).shape;
  const dims = { n_x, n_a, n_y, m };
  const P = readParams(p, 'parameters', RNN_SPEC, ['Wax', 'Waa', 'Wya', 'ba', 'by'], dims);
  requireRows(P.Wya, 'Wya', 'softmax needs n_y ≥ 1 classes');
  const w = { Wax: P.Wax.data, Waa: P.Waa.data, ba: P.ba.data, Wya: P.Wya.data, by: P.by.data };
  return { dims, w };
}

/** Gradients of one step: `{dxt, da_prev, dWax, dWaa, dba}`. */
export function rnn_cell_backward(da_next: ArrayInput, cache: RnnCache): RnnCellGradients {
  const call = beginCall();
  const DA = arrayOfRank(da_next, 'da_next', ['n_a', 'm']);
  const steps = stepCaches([cache], () => 'cache', RNN_CACHE_FIELDS, `to match da_next of shape ${formatShape(DA.shape)}`);
  const g = rnnBackwardSteps(call, DA, steps);
  return { dxt: g.dx, da_prev: g.da0, dWax: g.dWax, dWaa: g.dWaa, dba: g.dba };
}

/** Gradients of the whole sequence: `{dx, da0, dWax, dWaa, dba}`. */
export function rnn_backward(da: ArrayInput, caches: RnnCaches): RnnGradients {
  const call = beginCall();
  const DA = arrayOfRank(da, 'da', ['n_a', 'm', 'T_x']);
  const T = DA.shape[2];
  const { list, x } = sequenceCaches(caches, T, 'rnn_forward', DA.shape);
  if (T === 0) {
    endOfCallerReads(call);
    return emptyGradients(x, DA, ['dWax', 'n_x'], ['dWaa', 'n_a'], ['dba', '1']) as unknown as RnnGradients;
  }
  const steps = stepCaches(list, (t) => `caches[0][${t}]`, RNN_CACHE_FIELDS, `to match da of shape ${formatShape(DA.shape)}`);
  return rnnBackwardSteps(call, DA, steps);
}

/**
 * The shared backward of cell (`da` of shape `(n_a, m)`, one step cache) and sequence (`da`
 * of shape `(n_a, m, T_x)`); `dx` comes back in the shape of `da` with n_x rows.
 */
function rnnBackwardSteps(call: ReturnType<typeof beginCall>, DA: NDArray, steps: StepCaches) {
  const [n_a, m] = DA.shape;
  const T = steps.tuples.length;
  const n_x = arrayOfRank(steps.tuples[0][2], steps.name(0, 2), ['n_x', 'm']).shape[0];
  const dims = { n_a, m, n_x };
  const p = paramsObject(steps.tuples[0][3], steps.name(0, 3));
  const P = readParams(p, steps.name(0, 3), RNN_SPEC, ['Wax', 'Waa'], dims);
  const aNext = steps.blocks([0], dims, ['n_a', 'm']);
  const aPrev = steps.blocks([1], dims, ['n_a', 'm']);
  const x = steps.blocks([2], dims, ['n_x', 'm']);
  const [sx, sa] = [n_x * m, n_a * m];
  const out = allocate(call, 'rnn_backward', { daTm: T * sa, dx: T * sx, dxOut: T * sx, da0: sa, dWax: n_a * n_x, dWaa: n_a * n_a, dba: n_a });
  const da = sequenceToTimeMajor(DA, out.daTm);
  activeBackend().rnnBackward({ ...dims, n_y: 0, T }, da, aNext, aPrev, x, P.Wax.data, P.Waa.data, out);
  return {
    dx: sequenceFromTimeMajor(DA, out.dx, n_x, out.dxOut),
    da0: ndarray(out.da0, [n_a, m]),
    dWax: ndarray(out.dWax, [n_a, n_x]),
    dWaa: ndarray(out.dWaa, [n_a, n_a]),
    dba: ndarray(out.dba, [n_a, 1]),
  };
}

/** A cell's `(n, m)` array is already one time-major step; a sequence's is converted. */
function sequenceToTimeMajor(A: NDArray, scratch: Float64Array): Float64Array {
  if (A.shape.length === 2) return A.data;
  const [n, m, T] = A.shape;
  return toTimeMajor(activeBackend(), A.data, n, m, T, scratch);
}

/** The time-major result `tm` with `rows` rows, shaped like `like` (a cell's or a sequence's). */
function sequenceFromTimeMajor(like: NDArray, tm: Float64Array, rows: number, out: Float64Array): NDArray {
  const [, m, T] = like.shape;
  if (like.shape.length === 2) return ndarray(tm, [rows, m]);
  return ndarray(fromTimeMajor(activeBackend(), tm, rows, m, T, out), [rows, m, T]);
}

// ---------------------------------------------------------------------------------------------
// LSTM

/** One step: `[a_next, c_next, yt_pred, cache]`. */
export function lstm_cell_forward(
  xt: ArrayInput,
  a_prev: ArrayInput,
  c_prev: ArrayInput,
  parameters: Parameters,
): [a_next: NDArray, c_next: NDArray, yt_pred: NDArray, cache: LstmCache] {
  const call = beginCall();
  const XT = arrayOfRank(xt, 'xt', ['n_x', 'm']);
  const [n_x, m] = XT.shape;
  const { dims, w } = lstmParameters(parameters, n_x, m);
  const A_prev = arrayOfShape(a_prev, 'a_prev', dims, ['n_a', 'm']);
  const C_prev = arrayOfShape(c_prev, 'c_prev', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const out = allocate(call, 'lstm_cell_forward', { a: n_a * m, c: n_a * m, y: n_y * m, gates: 4 * n_a * m });
  activeBackend().lstmForward({ ...dims, T: 1 }, XT.data, A_prev.data, C_prev.data, w, out);
  const a_next = ndarray(out.a, [n_a, m]);
  const c_next = ndarray(out.c, [n_a, m]);
  const [ft, it, cct, ot] = gateViews(out.gates, 0, n_a, m);
  return [a_next, c_next, ndarray(out.y, [n_y, m]), [a_next, c_next, A_prev, C_prev, ft, it, cct, ot, XT, parameters]];
}

/** The whole sequence from `c = 0`: `[a, y, c, caches]`. */
export function lstm_forward(
  x: ArrayInput,
  a0: ArrayInput,
  parameters: Parameters,
): [a: NDArray, y: NDArray, c: NDArray, caches: LstmCaches] {
  const call = beginCall();
  const X = arrayOfRank(x, 'x', ['n_x', 'm', 'T_x']);
  const [n_x, m, T] = X.shape;
  requireStepLimit('lstm_forward', T);
  const { dims, w } = lstmParameters(parameters, n_x, m);
  const A0 = arrayOfShape(a0, 'a0', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const [sx, sa, sy] = [n_x * m, n_a * m, n_y * m];
  // c0 right before c: the backward pass then reads every step's c_prev as one view, no copy.
  const out = allocate(call, 'lstm_forward', {
    x: T * sx,
    a: T * sa,
    c0: sa,
    c: T * sa,
    y: T * sy,
    gates: 4 * T * sa,
    aOut: T * sa,
    yOut: T * sy,
    cOut: T * sa,
  });
  out.c0.fill(0); // the notebook's initial cell state
  toTimeMajor(activeBackend(), X.data, n_x, m, T, out.x);
  activeBackend().lstmForward({ ...dims, T }, out.x, A0.data, out.c0, w, out);
  const C0 = ndarray(out.c0, [n_a, m]);
  const caches: LstmCache[] = [];
  for (let t = 0; t < T; t++) {
    const [a_prev, c_prev] = t === 0 ? [A0, C0] : [caches[t - 1][0], caches[t - 1][1]];
    const [ft, it, cct, ot] = gateViews(out.gates, t, n_a, m);
    const xt = stepView(out.x, t, n_x, m);
    caches.push([stepView(out.a, t, n_a, m), stepView(out.c, t, n_a, m), a_prev, c_prev, ft, it, cct, ot, xt, parameters]);
  }
  return [
    ndarray(fromTimeMajor(activeBackend(), out.a, n_a, m, T, out.aOut), [n_a, m, T]),
    ndarray(fromTimeMajor(activeBackend(), out.y, n_y, m, T, out.yOut), [n_y, m, T]),
    ndarray(fromTimeMajor(activeBackend(), out.c, n_a, m, T, out.cOut), [n_a, m, T]),
    [caches, X],
  ];
}

/** Views of the four activated gates of step `t` in a `[T][4·n_a][m]` buffer. */
function gateViews(gates: Float64Array, t: number, n_a: number, m: number): NDArray[] {
  return GATES.map((_, k) => stepView(gates, 4 * t + k, n_a, m));
}

/** Dimensions from `Wy`, every LSTM weight checked, and the gates fused as the kernels want. */
function lstmParameters(parameters: unknown, n_x: number, m: number) {
  const p = paramsObject(parameters, 'parameters');
  const [n_y, n_a] = arrayOfRank(param(p, 'parameters', 'Wy', LSTM_SPEC), 'Wy', ['n_y', 'n_a']).shape;
  const dims = { n_x, n_a, n_y, m };
  const P = readParams(p, 'parameters', LSTM_SPEC, Object.keys(LSTM_SPEC), dims);
  requireRows(P.Wy, 'Wy', 'softmax needs n_y ≥ 1 classes');
  const W = GATES.map((g) => P[`W${g}`].data);
  const b = GATES.map((g) => P[`b${g}`].data);
  return { dims, w: { W, b, Wy: P.Wy.data, by: P.by.data } };
}

/** Gradients of one step: `{dxt, da_prev, dc_prev, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo}`. */
export function lstm_cell_backward(da_next: ArrayInput, dc_next: ArrayInput, cache: LstmCache): LstmCellGradients {
  const call = beginCall();
  const DA = arrayOfRank(da_next, 'da_next', ['n_a', 'm']);
  const [n_a, m] = DA.shape;
  const DC = arrayOfShape(dc_next, 'dc_next', { n_a, m }, ['n_a', 'm']);
  const steps = stepCaches([cache], () => 'cache', LSTM_CACHE_FIELDS, `to match da_next of shape ${formatShape(DA.shape)}`);
  const { dx, da0, dc0, gates } = lstmBackwardSteps(call, DA, DC.data, steps);
  return { dxt: dx, da_prev: da0, dc_prev: dc0, ...gates };
}

/** Gradients of the whole sequence (`dc` is zero after the last step): `{dx, da0, dWf, ...}`. */
export function lstm_backward(da: ArrayInput, caches: LstmCaches): LstmGradients {
  const call = beginCall();
  const DA = arrayOfRank(da, 'da', ['n_a', 'm', 'T_x']);
  const [n_a, m, T] = DA.shape;
  const { list, x } = sequenceCaches(caches, T, 'lstm_forward', DA.shape);
  if (T === 0) {
    endOfCallerReads(call);
    const pairs = GATES.flatMap((g) => [[`dW${g}`, 'n_a+n_x'], [`db${g}`, '1']] as [string, string][]);
    return emptyGradients(x, DA, ...pairs) as unknown as LstmGradients;
  }
  const steps = stepCaches(list, (t) => `caches[0][${t}]`, LSTM_CACHE_FIELDS, `to match da of shape ${formatShape(DA.shape)}`);
  const { dx, da0, gates } = lstmBackwardSteps(call, DA, new Float64Array(n_a * m), steps);
  return { dx, da0, ...gates };
}

/** The shared backward of cell and sequence, as `rnnBackwardSteps`. */
function lstmBackwardSteps(
  call: ReturnType<typeof beginCall>,
  DA: NDArray,
  dcLast: Float64Array,
  steps: StepCaches,
) {
  const [n_a, m] = DA.shape;
  const T = steps.tuples.length;
  const n_x = arrayOfRank(steps.tuples[0][8], steps.name(0, 8), ['n_x', 'm']).shape[0];
  const dims = { n_a, m, n_x };
  const p = paramsObject(steps.tuples[0][9], steps.name(0, 9));
  const P = readParams(p, steps.name(0, 9), LSTM_SPEC, GATES.map((g) => `W${g}`), dims);
  const W = GATES.map((g) => P[`W${g}`].data);
  const cNext = steps.blocks([1], dims, ['n_a', 'm']);
  const aPrev = steps.blocks([2], dims, ['n_a', 'm']);
  const cPrev = steps.blocks([3], dims, ['n_a', 'm']);
  const gates = steps.blocks([4, 5, 6, 7], dims, ['n_a', 'm']);
  const x = steps.blocks([8], dims, ['n_x', 'm']);
  const [sx, sa, cols] = [n_x * m, n_a * m, n_a + n_x];
  const out = allocate(call, 'lstm_backward', {
    daTm: T * sa,
    dx: T * sx,
    dxOut: T * sx,
    da0: sa,
    dc0: sa,
    dW: 4 * n_a * cols,
    db: 4 * n_a,
  });
  const da = sequenceToTimeMajor(DA, out.daTm);
  activeBackend().lstmBackward({ ...dims, n_y: 0, T }, da, dcLast, cNext, cPrev, aPrev, gates, x, W, out);
  const gateGrads = {} as Record<string, NDArray>;
  GATES.forEach((g, k) => {
    gateGrads[`dW${g}`] = ndarray(out.dW.subarray(k * n_a * cols, (k + 1) * n_a * cols), [n_a, cols]);
    gateGrads[`db${g}`] = ndarray(out.db.subarray(k * n_a, (k + 1) * n_a), [n_a, 1]);
  });
  return {
    dx: sequenceFromTimeMajor(DA, out.dx, n_x, out.dxOut),
    da0: ndarray(out.da0, [n_a, m]),
    dc0: ndarray(out.dc0, [n_a, m]),
    gates: gateGrads as unknown as LstmGateGradients,
  };
}

// ---------------------------------------------------------------------------------------------
// Outputs and caches

/**
 * One allocation for all the named outputs of a call, handed out as views: allocating a
 * Float64Array costs about a microsecond, which matters for small sequences. Checked against
 * the backend's limit first, so an oversized call fails before any memory is taken. Every call
 * allocates once all of the caller's objects have been read, so this is also where the arrays
 * read in place are looked at again (`endOfCallerReads`).
 */
function allocate<K extends string>(
  call: ReturnType<typeof beginCall>,
  what: string,
  lengths: Record<K, number>,
): Record<K, Float64Array> {
  endOfCallerReads(call);
  let total = 0;
  for (const key in lengths) total += lengths[key];
  const limit = Math.min(MAX_ELEMENTS * 8, activeBackend().maxCallBytes);
  if (total * 8 > limit) {
    const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
    throw rangeError(
      'ERR_RNN_SIZE',
      `${what} needs ${gib(total * 8)} for its outputs; the ${activeBackend().name} backend allows ${gib(limit)} per call`,
    );
  }
  const buffer = freshOutputBuffer(total);
  const out = {} as Record<K, Float64Array>;
  let at = 0;
  for (const key in lengths) {
    out[key] = buffer.subarray(at, at + lengths[key]);
    at += lengths[key];
  }
  return out;
}

/**
 * Test switch: with `RNN_WASM_POISON_OUTPUTS=1` fresh output buffers start as NaN, so an
 * element that a call leaves unwritten shows in its results instead of passing as a zero.
 */
const POISON_OUTPUTS = process.env.RNN_WASM_POISON_OUTPUTS === '1';

/** The one buffer for all outputs of a call, `length` float64s. */
function freshOutputBuffer(length: number): Float64Array {
  // Every element of every output is written by the call that allocates it (the kernels and
  // layout conversions write each output whole; the one exception, `c0`, is zeroed where it is
  // allocated), so a zero-fill would be wasted: it took ~10 % of an M-size LSTM forward pass.
  const buffer = unfilledFloat64Array(length);
  // Before anything is written: the native backend asks for huge pages here.
  activeBackend().prepareOutputs?.(buffer);
  if (POISON_OUTPUTS) buffer.fill(NaN);
  return buffer;
}

/**
 * The most time steps one forward pass takes. Its result holds one cache tuple per step, about
 * 1.5 KB of JavaScript heap and 20 µs to build whatever the sizes, so a long sequence of empty
 * data (m = 0 or n_x = 0 with T_x = 1e9, which passes every memory check) would otherwise
 * exhaust the heap and crash the process. 2^20 steps take about 1.5 GB.
 */
export const MAX_TIME_STEPS = 2 ** 20;

function requireStepLimit(what: string, T: number): void {
  if (T > MAX_TIME_STEPS) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${what} would build ${T} step caches (T_x = ${T}); at most ${MAX_TIME_STEPS} time steps per call are allowed`,
    );
  }
}

/** Validated per-step cache tuples and how to name their fields in errors. */
interface StepCaches {
  tuples: unknown[][];
  name(t: number, field: number): string;
  /**
   * The data of `fields` of every step, in time order (for each step, the fields in the order
   * given), each checked against `dimNames`: the blocks of a time-major buffer.
   */
  blocks(fields: number[], dims: DimValues, dimNames: string[]): Float64Array[];
}

function stepCaches(
  list: unknown[],
  tupleName: (t: number) => string,
  fields: readonly string[],
  context: string,
): StepCaches {
  // Array.from visits holes too, so a sparse list gets a clear error rather than a skipped step.
  const tuples = Array.from(list, (tuple, t) => cacheTuple(tuple, tupleName(t), fields));
  const name = (t: number, field: number) => `${tupleName(t)}[${field}] (${fields[field]})`;
  return {
    tuples,
    name,
    blocks(wanted, dims, dimNames) {
      const out: Float64Array[] = [];
      for (let t = 0; t < tuples.length; t++) {
        for (const field of wanted) out.push(arrayOfShape(tuples[t][field], name(t, field), dims, dimNames, context).data);
      }
      return out;
    },
  };
}

/** The `[caches, x]` pair a forward pass returns, with one step cache per time step of `da`. */
function sequenceCaches(caches: unknown, T: number, forward: string, daShape: number[]) {
  if (!Array.isArray(caches) || caches.length !== 2 || !Array.isArray(caches[0])) {
    throw typeError('ERR_RNN_TYPE', `caches must be the [caches, x] pair that ${forward} returns; got ${describe(caches)}`);
  }
  const list = caches[0] as unknown[];
  if (list.length !== T) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `caches[0] must hold T_x = ${T} step caches to match da of shape ${formatShape(daShape)}; got ${list.length}`,
    );
  }
  return { list, x: caches[1] as unknown };
}

/**
 * T_x = 0: no step ran, so every gradient is exactly zero (NumPy's notebook code raises an
 * IndexError here instead). n_x comes from `x`, the second entry of the caches pair.
 */
function emptyGradients(x: unknown, DA: NDArray, ...weights: [string, string][]) {
  const [n_a, m] = DA.shape;
  const n_x = arrayOfRank(x, 'caches[1] (x)', ['n_x', 'm', 'T_x']).shape[0];
  arrayOfShape(x, 'caches[1] (x)', { n_x, m, T_x: 0 }, ['n_x', 'm', 'T_x'], `to match da of shape ${formatShape(DA.shape)}`);
  const cols: Record<string, number> = { n_x, n_a, 'n_a+n_x': n_a + n_x, '1': 1 };
  return {
    dx: zeros([n_x, m, 0]),
    da0: zeros([n_a, m]),
    ...Object.fromEntries(weights.map(([key, c]) => [key, zeros([n_a, cols[c]])])),
  };
}
