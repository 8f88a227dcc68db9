/**
 * The notebook API: `rnn_forward`, `lstm_backward`, ... with the notebook's names, argument
 * order, shapes and return values. Each function validates everything, converts the inputs to
 * the kernels' time-major layout, makes one backend call, and builds fresh outputs and caches
 * (caches hold zero-copy views of per-step blocks).
 *
 * When two arguments disagree, the error names the one that does not fit the authoritative
 * source: in a backward pass the caches come from the forward pass, so the dimensions come from
 * the caches (their `xt` and parameters) and a `da` of another shape is `da`'s error.
 */
import type { Backend } from './backend.js';
import {
  LSTM_CACHE,
  RNN_CACHE,
  requireStepLimit,
  sequenceCaches,
  stepCaches,
  type LstmCache,
  type LstmCaches,
  type RnnCache,
  type RnnCaches,
  type StepCaches,
} from './caches.js';
import { rangeError } from './errors.js';
import { fromTimeMajor, stepView, toTimeMajor } from './layout.js';
import { CallContext, formatShape, ndarray, toNDArray, type ArrayInput, type NDArray } from './ndarray.js';
import { allocateOutputs } from './outputs.js';
import { activeBackend } from './registry.js';
import {
  arrayOfRank,
  arrayOfShape,
  param,
  paramName,
  paramsObject,
  readParams,
  requireRows,
  requireShape,
  type ParamSpec,
} from './validate.js';

/** A parameters dictionary as the notebook uses it: weight names → arrays. */
export type Parameters = Record<string, ArrayInput>;

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

type RnnCacheField = (typeof RNN_CACHE)['fields'][number];
type LstmCacheField = (typeof LSTM_CACHE)['fields'][number];

/**
 * The outputs of a call, once all of the caller's objects have been read: the arrays read in
 * place are looked at again first (`CallContext.endOfCallerReads`).
 */
function outputsOf<K extends string>(
  call: CallContext,
  backend: Backend,
  what: string,
  lengths: Record<K, number>,
): Record<K, Float64Array> {
  call.endOfCallerReads();
  return allocateOutputs(backend, what, lengths);
}

// ---------------------------------------------------------------------------------------------
// Activations

/** Softmax over axis 0 (numerically stable, as the notebook's). */
export function softmax(z: ArrayInput): NDArray {
  const call = new CallContext();
  const backend = activeBackend();
  const Z = toNDArray(call, z, 'z');
  if (Z.shape.length === 0) {
    throw rangeError('ERR_RNN_SHAPE', 'z must have at least 1 dimension (softmax is over axis 0); got shape ()');
  }
  requireRows(Z, 'z', 'softmax is over axis 0');
  const rows = Z.shape[0];
  const { out } = outputsOf(call, backend, 'softmax', { out: Z.data.length });
  backend.run('softmax', { rows, cols: Z.data.length / rows }, { z: Z.data }, { out });
  return ndarray(out, Z.shape.slice());
}

/** Elementwise `1 / (1 + exp(-z))`. */
export function sigmoid(z: ArrayInput): NDArray {
  const call = new CallContext();
  const backend = activeBackend();
  const Z = toNDArray(call, z, 'z');
  const { out } = outputsOf(call, backend, 'sigmoid', { out: Z.data.length });
  backend.run('sigmoid', { n: Z.data.length }, { z: Z.data }, { out });
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
  const call = new CallContext();
  const backend = activeBackend();
  const XT = arrayOfRank(call, xt, 'xt', ['n_x', 'm']);
  const [n_x, m] = XT.shape;
  const { dims, w } = rnnParameters(call, parameters, n_x, m);
  const A_prev = arrayOfShape(call, a_prev, 'a_prev', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const out = outputsOf(call, backend, 'rnn_cell_forward', { a: n_a * m, y: n_y * m });
  backend.run('rnnForward', { n_x, n_a, n_y, m, t: 1 }, { x: XT.data, a0: A_prev.data, ...w }, out);
  const a_next = ndarray(out.a, [n_a, m]);
  return [a_next, ndarray(out.y, [n_y, m]), [a_next, A_prev, XT, parameters]];
}

/** The whole sequence: `[a, y_pred, caches]` with `a` `(n_a, m, T_x)`, `y_pred` `(n_y, m, T_x)`. */
export function rnn_forward(
  x: ArrayInput,
  a0: ArrayInput,
  parameters: Parameters,
): [a: NDArray, y_pred: NDArray, caches: RnnCaches] {
  const call = new CallContext();
  const backend = activeBackend();
  const X = arrayOfRank(call, x, 'x', ['n_x', 'm', 'T_x']);
  const [n_x, m, T] = X.shape;
  requireStepLimit('rnn_forward', T);
  const { dims, w } = rnnParameters(call, parameters, n_x, m);
  const A0 = arrayOfShape(call, a0, 'a0', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const [sx, sa, sy] = [n_x * m, n_a * m, n_y * m];
  const out = outputsOf(call, backend, 'rnn_forward', { x: T * sx, a: T * sa, y: T * sy, aOut: T * sa, yOut: T * sy });
  toTimeMajor(backend, X.data, n_x, m, T, out.x);
  backend.run('rnnForward', { n_x, n_a, n_y, m, t: T }, { x: out.x, a0: A0.data, ...w }, out);
  const caches: RnnCache[] = [];
  for (let t = 0; t < T; t++) {
    const a_prev = t === 0 ? A0 : caches[t - 1][RNN_CACHE.at.a_next];
    caches.push([stepView(out.a, t, n_a, m), a_prev, stepView(out.x, t, n_x, m), parameters]);
  }
  return [
    ndarray(fromTimeMajor(backend, out.a, n_a, m, T, out.aOut), [n_a, m, T]),
    ndarray(fromTimeMajor(backend, out.y, n_y, m, T, out.yOut), [n_y, m, T]),
    [caches, X],
  ];
}

/** The RNN weights other than `Wya`, in the order they are checked. */
const RNN_OTHER_KEYS = ['Wax', 'Waa', 'ba', 'by'] as const;

/**
 * Dimensions from `Wya` (as the notebook takes them) and every RNN weight, checked. `Wya` is
 * read once: its shape is the dimensions, so it passes the shape check by construction.
 */
function rnnParameters(call: CallContext, parameters: unknown, n_x: number, m: number) {
  const p = paramsObject(parameters, 'parameters');
  const Wya = arrayOfRank(call, param(p, 'parameters', 'Wya', RNN_SPEC), 'Wya', ['n_y', 'n_a']);
  const [n_y, n_a] = Wya.shape;
  const dims = { n_x, n_a, n_y, m };
  const P = readParams(call, p, 'parameters', RNN_SPEC, RNN_OTHER_KEYS, dims);
  requireRows(Wya, 'Wya', 'softmax needs n_y ≥ 1 classes');
  const w = { wax: P.Wax.data, waa: P.Waa.data, ba: P.ba.data, wya: Wya.data, by: P.by.data };
  return { dims, w };
}

/** Gradients of one step: `{dxt, da_prev, dWax, dWaa, dba}`. */
export function rnn_cell_backward(da_next: ArrayInput, cache: RnnCache): RnnCellGradients {
  const call = new CallContext();
  const DA = arrayOfRank(call, da_next, 'da_next', ['n_a', 'm']);
  const steps = stepCaches(call, [cache], () => 'cache', RNN_CACHE);
  const g = rnnBackwardSteps(call, DA, 'da_next', steps);
  return { dxt: g.dx, da_prev: g.da0, dWax: g.dWax, dWaa: g.dWaa, dba: g.dba };
}

/** Gradients of the whole sequence: `{dx, da0, dWax, dWaa, dba}`. */
export function rnn_backward(da: ArrayInput, caches: RnnCaches): RnnGradients {
  const call = new CallContext();
  const DA = arrayOfRank(call, da, 'da', ['n_a', 'm', 'T_x']);
  const { list, x } = sequenceCaches(caches, 'rnn_forward');
  if (list.length === 0) {
    return emptyGradients(call, x, DA, ['dWax', 'n_x'], ['dWaa', 'n_a'], ['dba', '1']) as unknown as RnnGradients;
  }
  const steps = stepCaches(call, list, (t) => `caches[0][${t}]`, RNN_CACHE);
  return rnnBackwardSteps(call, DA, 'da', steps);
}

/**
 * The dimensions of a backward pass, from the caches the forward pass made: n_x and m from the
 * first step's `xt`, n_a from its parameters' `key` weight (checked against n_x), T from the
 * number of step caches. Returns that weight, the parameters object and the context
 * later checks name.
 */
function cacheDims(call: CallContext, steps: StepCaches<'xt' | 'parameters'>, spec: ParamSpec, key: string) {
  const xtName = () => steps.name(0, 'xt');
  const [n_x, m] = arrayOfRank(call, steps.field(0, 'xt'), xtName, ['n_x', 'm']).shape;
  const owner = steps.name(0, 'parameters');
  const p = paramsObject(steps.field(0, 'parameters'), owner);
  const first = arrayOfRank(call, param(p, owner, key, spec), paramName(owner, key), spec[key]);
  const dims = { n_x, n_a: first.shape[0], m };
  requireShape(first, paramName(owner, key), dims, spec[key], () => `to match ${xtName()}`);
  const context = () => `to match ${xtName()} and ${owner}`;
  return { T: steps.count, dims, p, owner, first, context };
}

/**
 * `da` (`daName`) as the caches (of one step or of a sequence) want it: `(n_a, m)` for a cell,
 * `(n_a, m, T_x)` for a sequence, with every dimension taken from the caches.
 */
function requireGradientShape(DA: NDArray, daName: string, dims: { n_a: number; m: number }, T: number): void {
  if (DA.shape.length === 2) requireShape(DA, daName, dims, ['n_a', 'm'], 'to match cache');
  else requireShape(DA, daName, { ...dims, T_x: T }, ['n_a', 'm', 'T_x'], () => `to match caches (${T} step caches)`);
}

/**
 * The shared backward of cell (`da` of shape `(n_a, m)`, one step cache) and sequence (`da`
 * of shape `(n_a, m, T_x)`); `dx` comes back in the shape of `da` with n_x rows. The dimensions
 * come from the first step's `xt` (n_x, m) and cached `Wax` (n_a).
 */
function rnnBackwardSteps(call: CallContext, DA: NDArray, daName: string, steps: StepCaches<RnnCacheField>) {
  const backend = activeBackend();
  const { T, dims, p, owner, first: Wax, context } = cacheDims(call, steps, RNN_SPEC, 'Wax');
  const { n_x, n_a, m } = dims;
  const { Waa } = readParams(call, p, owner, RNN_SPEC, ['Waa'], dims);
  requireGradientShape(DA, daName, dims, T);
  const aNext = steps.blocks(['a_next'], dims, ['n_a', 'm'], context);
  const aPrev = steps.blocks(['a_prev'], dims, ['n_a', 'm'], context);
  const x = steps.blocks(['xt'], dims, ['n_x', 'm'], context);
  const [sx, sa] = [n_x * m, n_a * m];
  const out = outputsOf(call, backend, 'rnn_backward', {
    daTm: T * sa,
    dx: T * sx,
    dxOut: T * sx,
    da0: sa,
    dwax: n_a * n_x,
    dwaa: n_a * n_a,
    dba: n_a,
  });
  const da = sequenceToTimeMajor(backend, DA, out.daTm);
  const inputs = { da, a_next: aNext, a_prev: aPrev, x, wax: Wax.data, waa: Waa.data };
  backend.run('rnnBackward', { n_x, n_a, m, t: T }, inputs, out);
  return {
    dx: sequenceFromTimeMajor(backend, DA, out.dx, n_x, out.dxOut),
    da0: ndarray(out.da0, [n_a, m]),
    dWax: ndarray(out.dwax, [n_a, n_x]),
    dWaa: ndarray(out.dwaa, [n_a, n_a]),
    dba: ndarray(out.dba, [n_a, 1]),
  };
}

/** A cell's `(n, m)` array is already one time-major step; a sequence's is converted. */
function sequenceToTimeMajor(backend: Backend, A: NDArray, scratch: Float64Array): Float64Array {
  if (A.shape.length === 2) return A.data;
  const [n, m, T] = A.shape;
  return toTimeMajor(backend, A.data, n, m, T, scratch);
}

/** The time-major result `tm` with `rows` rows, shaped like `like` (a cell's or a sequence's). */
function sequenceFromTimeMajor(backend: Backend, like: NDArray, tm: Float64Array, rows: number, out: Float64Array): NDArray {
  const [, m, T] = like.shape;
  if (like.shape.length === 2) return ndarray(tm, [rows, m]);
  return ndarray(fromTimeMajor(backend, tm, rows, m, T, out), [rows, m, T]);
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
  const call = new CallContext();
  const backend = activeBackend();
  const XT = arrayOfRank(call, xt, 'xt', ['n_x', 'm']);
  const [n_x, m] = XT.shape;
  const { dims, w } = lstmParameters(call, parameters, n_x, m);
  const A_prev = arrayOfShape(call, a_prev, 'a_prev', dims, ['n_a', 'm']);
  const C_prev = arrayOfShape(call, c_prev, 'c_prev', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const out = outputsOf(call, backend, 'lstm_cell_forward', { a: n_a * m, c: n_a * m, y: n_y * m, gates: 4 * n_a * m });
  backend.run('lstmForward', { n_x, n_a, n_y, m, t: 1 }, { x: XT.data, a0: A_prev.data, c0: C_prev.data, ...w }, out);
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
  const call = new CallContext();
  const backend = activeBackend();
  const X = arrayOfRank(call, x, 'x', ['n_x', 'm', 'T_x']);
  const [n_x, m, T] = X.shape;
  requireStepLimit('lstm_forward', T);
  const { dims, w } = lstmParameters(call, parameters, n_x, m);
  const A0 = arrayOfShape(call, a0, 'a0', dims, ['n_a', 'm']);
  const { n_a, n_y } = dims;
  const [sx, sa, sy] = [n_x * m, n_a * m, n_y * m];
  // c0 right before c: the backward pass then reads every step's c_prev as one view, no copy.
  const out = outputsOf(call, backend, 'lstm_forward', {
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
  toTimeMajor(backend, X.data, n_x, m, T, out.x);
  backend.run('lstmForward', { n_x, n_a, n_y, m, t: T }, { x: out.x, a0: A0.data, c0: out.c0, ...w }, out);
  const C0 = ndarray(out.c0, [n_a, m]);
  const caches: LstmCache[] = [];
  // Step by step, each step's a_prev and c_prev being the step before's a_next and c_next.
  let a_prev: NDArray = A0;
  let c_prev: NDArray = C0;
  for (let t = 0; t < T; t++) {
    const a_next = stepView(out.a, t, n_a, m);
    const c_next = stepView(out.c, t, n_a, m);
    const xt = stepView(out.x, t, n_x, m);
    const [ft, it, cct, ot] = gateViews(out.gates, t, n_a, m);
    caches.push([a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters]);
    a_prev = a_next;
    c_prev = c_next;
  }
  return [
    ndarray(fromTimeMajor(backend, out.a, n_a, m, T, out.aOut), [n_a, m, T]),
    ndarray(fromTimeMajor(backend, out.y, n_y, m, T, out.yOut), [n_y, m, T]),
    ndarray(fromTimeMajor(backend, out.c, n_a, m, T, out.cOut), [n_a, m, T]),
    [caches, X],
  ];
}

/** Views of the four activated gates of step `t` in a `[T][4·n_a][m]` buffer. */
function gateViews(gates: Float64Array, t: number, n_a: number, m: number): [NDArray, NDArray, NDArray, NDArray] {
  const at = 4 * t;
  return [stepView(gates, at, n_a, m), stepView(gates, at + 1, n_a, m), stepView(gates, at + 2, n_a, m), stepView(gates, at + 3, n_a, m)];
}

/** The LSTM weights other than `Wy`, in the order they are checked. */
const LSTM_OTHER_KEYS = ['Wf', 'bf', 'Wi', 'bi', 'Wc', 'bc', 'Wo', 'bo', 'by'] as const;

/**
 * Dimensions from `Wy`, every LSTM weight checked, and the gates fused as the kernels want.
 * `Wy` is read once, as in `rnnParameters`.
 */
function lstmParameters(call: CallContext, parameters: unknown, n_x: number, m: number) {
  const p = paramsObject(parameters, 'parameters');
  const Wy = arrayOfRank(call, param(p, 'parameters', 'Wy', LSTM_SPEC), 'Wy', ['n_y', 'n_a']);
  const [n_y, n_a] = Wy.shape;
  const dims = { n_x, n_a, n_y, m };
  const P = readParams(call, p, 'parameters', LSTM_SPEC, LSTM_OTHER_KEYS, dims);
  requireRows(Wy, 'Wy', 'softmax needs n_y ≥ 1 classes');
  const w = [P.Wf.data, P.Wi.data, P.Wc.data, P.Wo.data];
  const b = [P.bf.data, P.bi.data, P.bc.data, P.bo.data];
  return { dims, w: { w, b, wy: Wy.data, by: P.by.data } };
}

/** Gradients of one step: `{dxt, da_prev, dc_prev, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo}`. */
export function lstm_cell_backward(da_next: ArrayInput, dc_next: ArrayInput, cache: LstmCache): LstmCellGradients {
  const call = new CallContext();
  const DA = arrayOfRank(call, da_next, 'da_next', ['n_a', 'm']);
  const DC = arrayOfRank(call, dc_next, 'dc_next', ['n_a', 'm']);
  const steps = stepCaches(call, [cache], () => 'cache', LSTM_CACHE);
  const { dx, da0, dc0, gates } = lstmBackwardSteps(call, DA, 'da_next', DC, steps);
  return { dxt: dx, da_prev: da0, dc_prev: dc0, ...gates };
}

/** Gradients of the whole sequence (`dc` is zero after the last step): `{dx, da0, dWf, ...}`. */
export function lstm_backward(da: ArrayInput, caches: LstmCaches): LstmGradients {
  const call = new CallContext();
  const DA = arrayOfRank(call, da, 'da', ['n_a', 'm', 'T_x']);
  const { list, x } = sequenceCaches(caches, 'lstm_forward');
  if (list.length === 0) {
    const pairs = GATES.flatMap((g) => [[`dW${g}`, 'n_a+n_x'], [`db${g}`, '1']] as [string, string][]);
    return emptyGradients(call, x, DA, ...pairs) as unknown as LstmGradients;
  }
  const steps = stepCaches(call, list, (t) => `caches[0][${t}]`, LSTM_CACHE);
  const { dx, da0, gates } = lstmBackwardSteps(call, DA, 'da', undefined, steps);
  return { dx, da0, ...gates };
}

/**
 * The shared backward of cell and sequence, as `rnnBackwardSteps`; `DC` is the cell's
 * `dc_next` (a sequence's `dc` is zero after the last step). n_a comes from the cached `Wf`.
 */
function lstmBackwardSteps(
  call: CallContext,
  DA: NDArray,
  daName: string,
  DC: NDArray | undefined,
  steps: StepCaches<LstmCacheField>,
) {
  const backend = activeBackend();
  const { T, dims, p, owner, first: Wf, context } = cacheDims(call, steps, LSTM_SPEC, 'Wf');
  const { n_x, n_a, m } = dims;
  const P = readParams(call, p, owner, LSTM_SPEC, ['Wi', 'Wc', 'Wo'], dims);
  requireGradientShape(DA, daName, dims, T);
  if (DC) requireShape(DC, 'dc_next', dims, ['n_a', 'm'], 'to match cache');
  const cNext = steps.blocks(['c_next'], dims, ['n_a', 'm'], context);
  const aPrev = steps.blocks(['a_prev'], dims, ['n_a', 'm'], context);
  const cPrev = steps.blocks(['c_prev'], dims, ['n_a', 'm'], context);
  const gates = steps.blocks(['ft', 'it', 'cct', 'ot'], dims, ['n_a', 'm'], context);
  const x = steps.blocks(['xt'], dims, ['n_x', 'm'], context);
  const [sx, sa, cols] = [n_x * m, n_a * m, n_a + n_x];
  const out = outputsOf(call, backend, 'lstm_backward', {
    daTm: T * sa,
    dx: T * sx,
    dxOut: T * sx,
    da0: sa,
    dc0: sa,
    dw: 4 * n_a * cols,
    db: 4 * n_a,
  });
  const da = sequenceToTimeMajor(backend, DA, out.daTm);
  const dcLast = DC ? DC.data : new Float64Array(sa);
  const w = [Wf.data, P.Wi.data, P.Wc.data, P.Wo.data];
  const inputs = { da, dc_last: dcLast, c_next: cNext, c_prev: cPrev, a_prev: aPrev, gates, x, w };
  backend.run('lstmBackward', { n_x, n_a, m, t: T }, inputs, out);
  const gateGrads = {} as Record<string, NDArray>;
  GATES.forEach((g, k) => {
    gateGrads[`dW${g}`] = ndarray(out.dw.subarray(k * n_a * cols, (k + 1) * n_a * cols), [n_a, cols]);
    gateGrads[`db${g}`] = ndarray(out.db.subarray(k * n_a, (k + 1) * n_a), [n_a, 1]);
  });
  return {
    dx: sequenceFromTimeMajor(backend, DA, out.dx, n_x, out.dxOut),
    da0: ndarray(out.da0, [n_a, m]),
    dc0: ndarray(out.dc0, [n_a, m]),
    gates: gateGrads as unknown as LstmGateGradients,
  };
}

/**
 * T_x = 0: no step ran, so every gradient is exactly zero (NumPy's notebook code raises an
 * IndexError here instead). n_x and m come from `x`, the second entry of the caches pair; n_a,
 * which nothing in empty caches records, from `da`.
 */
function emptyGradients(call: CallContext, x: unknown, DA: NDArray, ...weights: [string, string][]) {
  const X = arrayOfRank(call, x, 'caches[1] (x)', ['n_x', 'm', 'T_x']);
  const [n_x, m] = X.shape;
  requireShape(X, 'caches[1] (x)', { n_x, m, T_x: 0 }, ['n_x', 'm', 'T_x'], 'to match caches[0] (0 step caches)');
  const n_a = DA.shape[0];
  const context = `to match caches (0 step caches, x of shape ${formatShape(X.shape)})`;
  requireShape(DA, 'da', { n_a, m, T_x: 0 }, ['n_a', 'm', 'T_x'], context);
  const cols: Record<string, number> = { n_x, n_a, 'n_a+n_x': n_a + n_x, '1': 1 };
  const shapes: Record<string, number[]> = { dx: [n_x, m, 0], da0: [n_a, m] };
  for (const [key, c] of weights) shapes[key] = [n_a, cols[c]];
  const lengths = Object.fromEntries(Object.entries(shapes).map(([key, shape]) => [key, shape[0] * shape[1] * (shape[2] ?? 1)]));
  const out = outputsOf(call, activeBackend(), 'the backward pass', lengths);
  return Object.fromEntries(Object.entries(shapes).map(([key, shape]) => [key, ndarray(out[key].fill(0), shape)]));
}
