/**
 * Adversarial inputs through the public API, on every backend, each with its documented
 * outcome. The rules these tests pin down:
 *
 * - Malformed values get a TypeError or RangeError with a `code` and a message naming the
 *   argument (and never the source of a function): non-finite, unsafe or non-number shape
 *   entries (a -0 entry is read as 0), more than 64 dimensions, nested arrays that contain
 *   themselves, data of any other typed-array kind, typed arrays whose ArrayBuffer was detached
 *   (transferred) — refused with ERR_RNN_TYPE, never read as empty or as zeros — objects that
 *   only pose as typed arrays (a Proxy, a prototype swap), and a Map for parameters.
 * - Errors thrown by the caller's own code while its objects are read (a getter, a Proxy trap, a
 *   revoked Proxy) propagate unchanged: nothing has run yet.
 * - Typed arrays are read through their internal slots: a redefined `length`, a subclass, a
 *   swapped prototype or another realm's Float64Array cannot change what is read. Every
 *   caller property is read once, so a getter cannot show the checks one value and the kernels
 *   another.
 * - Accepted as they are, with results identical to plain inputs: SharedArrayBuffer-backed and
 *   resizable buffers, views at an offset into a larger buffer, frozen wrappers, parameters
 *   that are Proxies, class instances, null-prototype objects, objects inheriting their keys,
 *   objects with extra keys or an own `__proto__` key (which never stands in for a real key).
 * - Inputs are never written to; after any failure the module gives the same results as before.
 * - NaN, ±Infinity, -0 and subnormals give what the NumPy formulas give, worked out by hand
 *   below; where rnn-wasm differs from the NumPy formula the test says so.
 * - Rows marked with a known defect elsewhere in the package run as expected failures until
 *   the defect is fixed.
 */
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  getBackend,
  lstm_backward,
  lstm_cell_backward,
  lstm_cell_forward,
  lstm_forward,
  rnn_backward,
  rnn_cell_backward,
  rnn_cell_forward,
  rnn_forward,
  setBackend,
  sigmoid,
  softmax,
  type NDArray,
} from '../ts/index.js';
import {
  BACKENDS,
  lstmParams,
  makeRng,
  sizeOf,
  snapshot,
  toNested,
  type Dims,
} from './helpers.js';
import { validArgs } from './shared/errors.js';

// Deliberately malformed arguments go through `any`: the point is what happens at run time.
type Any = any;

const D: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 3 };

/** A fresh set of valid arguments (the same values every time). */
const valid = () => validArgs(D, 2024);
type Valid = ReturnType<typeof valid>;

/**
 * Every function once, on `v`: every output (not the caches) by name. Caches pass through
 * `prepare` on their way to the backward passes.
 */
function everyFunction(v: Valid, prepare: <T>(caches: T) => T = (c) => c): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  const put = (prefix: string, o: object) => {
    for (const [k, val] of Object.entries(o)) out[`${prefix}.${k}`] = val as NDArray;
  };
  out.softmax = softmax(v.z);
  out.sigmoid = sigmoid(v.z);
  const [a, y, rc] = rnn_forward(v.x, v.a0, v.rp);
  put('rnn_forward', { a, y });
  put('rnn_backward', rnn_backward(v.da, prepare(rc)));
  const [an, yt, cache] = rnn_cell_forward(v.xt, v.a_prev, v.rp);
  put('rnn_cell_forward', { an, yt });
  put('rnn_cell_backward', rnn_cell_backward(v.da_next, prepare(cache)));
  const [la, ly, lc, lcs] = lstm_forward(v.x, v.a0, v.lp);
  put('lstm_forward', { la, ly, lc });
  put('lstm_backward', lstm_backward(v.da, prepare(lcs)));
  const [lan, lcn, lyt, lcache] = lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp);
  put('lstm_cell_forward', { lan, lcn, lyt });
  put('lstm_cell_backward', lstm_cell_backward(v.da_next, v.dc_next, prepare(lcache)));
  return out;
}

/** `v` with every array replaced by `f(array)`. */
function mapInputs(v: Valid, f: (a: NDArray) => unknown): Valid {
  const dict = (p: Record<string, NDArray>) => Object.fromEntries(Object.entries(p).map(([k, a]) => [k, f(a)]));
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) out[k] = k === 'rp' || k === 'lp' ? dict(val as Record<string, NDArray>) : f(val as NDArray);
  return out as Valid;
}

/** NDArray leaves of a result (an NDArray, a tuple, a dict), by path. */
function leaves(value: unknown, path = '', out: Record<string, NDArray> = {}): Record<string, NDArray> {
  const v = value as NDArray;
  if (v !== null && typeof v === 'object' && ArrayBuffer.isView(v.data) && Array.isArray(v.shape)) out[path] = v;
  else if (Array.isArray(value)) value.forEach((e, i) => leaves(e, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') for (const [k, e] of Object.entries(value)) leaves(e, `${path}.${k}`, out);
  return out;
}

/** Same keys, shapes and values bit for bit (NaN matches NaN; +0 and -0 differ). */
function expectIdentical(got: unknown, exp: unknown): void {
  const [g, e] = [leaves(got), leaves(exp)];
  expect(Object.keys(g)).toEqual(Object.keys(e));
  for (const key of Object.keys(e)) {
    expect(g[key].shape, key).toEqual(e[key].shape);
    expect(g[key].data, key).toBeInstanceOf(Float64Array);
    expect(bitsEqual(g[key].data, e[key].data), `${key} differs`).toBe(true);
  }
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const f64 = (shape: number[], values: number[] | ((i: number) => number)): NDArray => {
  const n = sizeOf(shape);
  const data = typeof values === 'function' ? Float64Array.from({ length: n }, (_, i) => values(i)) : Float64Array.from(values);
  expect(data.length).toBe(n);
  return { data, shape };
};
const full = (shape: number[], value: number): NDArray => ({ data: new Float64Array(sizeOf(shape)).fill(value), shape });

/** An error of the caller's own making, thrown from a getter or a Proxy trap. */
class CallerError extends Error {}
const boom = (): never => {
  throw new CallerError('thrown by the caller');
};

/** Transfers `buffer` away, leaving every view of it detached. */
function transfer(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

/** A copy of `a` whose ArrayBuffer has been transferred away (detached). */
function detachedCopy(a: NDArray, Kind: typeof Float64Array | typeof Float32Array = Float64Array): Any {
  const data = Kind.from(a.data);
  transfer(data.buffer);
  expect(data.length).toBe(0);
  return { data, shape: a.shape.slice() };
}

/**
 * Calls `run` with a copy of `a` and `detach(value)`, which makes a getter returning `value`
 * that first transfers the copy's buffer away: the copy is checked, then detached mid-call.
 */
function detachLater<R>(a: NDArray, run: (copy: NDArray, detach: (value: unknown) => () => unknown) => R): R {
  const copy = { data: a.data.slice(), shape: a.shape.slice() };
  return run(copy, (value) => () => {
    transfer(copy.data.buffer);
    return value;
  });
}

/** `obj` with `key` replaced by a getter. */
function withGetter<T extends object>(obj: T, key: PropertyKey, get: () => unknown): T {
  return Object.defineProperty(obj, key, { get, enumerable: true, configurable: true });
}

function withBuffer(a: NDArray, buffer: ArrayBufferLike, byteOffset = 0): NDArray {
  const data = new Float64Array(buffer, byteOffset, a.data.length);
  data.set(a.data);
  return { data, shape: a.shape.slice() };
}

/** A Float64Array subclass whose members lie; only its internal slots tell the truth. */
class LyingFloat64Array extends Float64Array {}
Object.defineProperties(LyingFloat64Array.prototype, {
  length: { get: () => 1 },
  subarray: { value: () => boom() },
  [Symbol.iterator]: { value: () => boom() },
});

const rnnRun = (x: unknown, a0: unknown, p: unknown, da: unknown) => {
  const [a, y, caches] = rnn_forward(x as Any, a0 as Any, p as Any);
  return { a, y, ...rnn_backward(da as Any, caches) };
};
const lstmRun = (x: unknown, a0: unknown, p: unknown, da: unknown) => {
  const [a, y, c, caches] = lstm_forward(x as Any, a0 as Any, p as Any);
  return { a, y, c, ...lstm_backward(da as Any, caches) };
};

type ErrorClass = typeof TypeError | typeof RangeError;
type Outcome =
  /** Our own error: exactly this class, this code, these parts in the message. */
  | { error: ErrorClass; code: string; contains: string[] }
  /** The caller's CallerError, unchanged. */
  | { propagates: 'caller' }
  /** An engine TypeError raised by the caller's object itself (a revoked Proxy). */
  | { propagates: 'engine'; contains: string }
  /** Accepted: the same results, bit for bit, as this call on plain inputs. */
  | { same: (v: Valid) => unknown };

interface Row {
  what: string;
  call: (v: Valid) => unknown;
  outcome: Outcome;
  /** A known defect outside the input layer: the row is expected to fail until it is fixed. */
  bug?: string;
}

const range = (contains: string[]): Outcome => ({ error: RangeError, code: 'ERR_RNN_SHAPE', contains });
const type = (contains: string[]): Outcome => ({ error: TypeError, code: 'ERR_RNN_TYPE', contains });
const caller: Outcome = { propagates: 'caller' };
const a0With = (v: Valid, a0: unknown) => rnn_forward(v.x, a0 as Any, v.rp);
const sameRnn: Outcome = { same: (v) => rnnRun(v.x, v.a0, v.rp, v.da) };
const sameLstm: Outcome = { same: (v) => lstmRun(v.x, v.a0, v.lp, v.da) };

function nestedDeep(depth: number): unknown {
  let n: unknown = 0.25;
  for (let k = 0; k < depth; k++) n = [n];
  return n;
}

/** The notebook's parameters as JSON text with an own "__proto__" key holding a decoy. */
function jsonWithProto(p: Record<string, NDArray>, drop?: string): Any {
  const plain = Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k !== drop)
      .map(([k, a]) => [k, { data: Array.from(a.data), shape: a.shape }]),
  );
  const decoy = JSON.stringify({ Wax: { data: [1], shape: [1, 1] }, Waa: { data: [2], shape: [1, 1] } });
  const parsed = JSON.parse(`{"__proto__": ${decoy}, ${JSON.stringify(plain).slice(1)}`);
  expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
  expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  return parsed;
}

const ROWS: Row[] = [
  // --- shape entries
  { what: 'shape entry Infinity', call: (v) => rnn_forward({ data: v.x.data, shape: [3, 4, Infinity] }, v.a0, v.rp), outcome: range(['x.shape must hold non-negative integers', '[3, 4, Infinity]']) },
  { what: 'shape entry -Infinity', call: (v) => a0With(v, { data: v.a0.data, shape: [-Infinity, 4] }), outcome: range(['a0.shape must hold non-negative integers', '[-Infinity, 4]']) },
  { what: 'shape entry 2^53 (not a safe integer)', call: () => sigmoid({ data: [], shape: [2 ** 53, 0] }), outcome: range(['z.shape must hold non-negative integers', '9007199254740992']) },
  { what: 'shape entry a numeric string', call: (v) => a0With(v, { data: v.a0.data, shape: ['5', 4] }), outcome: range(['a0.shape', 'the string "5"']) },
  { what: 'shape entry a BigInt', call: (v) => a0With(v, { data: v.a0.data, shape: [5n, 4] }), outcome: range(['a0.shape', 'bigint 5']) },
  { what: 'shape entry a Number object', call: (v) => a0With(v, { data: v.a0.data, shape: [new Number(5), 4] }), outcome: range(['a0.shape', 'a Number']) },
  // eslint-disable-next-line no-sparse-arrays
  { what: 'shape with a hole', call: (v) => rnn_forward({ data: v.x.data, shape: [3, , 3] as Any }, v.a0, v.rp), outcome: range(['x.shape', '[3, undefined, 3]']) },
  { what: 'shape an Int32Array', call: (v) => a0With(v, { data: v.a0.data, shape: Int32Array.of(5, 4) }), outcome: type(['a0.shape must be an array of integers', 'Int32Array']) },
  { what: 'shape an array-like object', call: (v) => a0With(v, { data: v.a0.data, shape: { 0: 5, 1: 4, length: 2 } }), outcome: type(['a0.shape must be an array of integers', 'an object']) },
  { what: 'shape with 65 entries', call: () => sigmoid({ data: [0.5], shape: new Array(65).fill(1) }), outcome: range(['z.shape has 65 entries', 'at most 64 dimensions']) },
  {
    what: 'shape entry -0 (read as 0)',
    call: () => {
      const s = sigmoid({ data: [], shape: [-0, 3] });
      expect(Object.is(s.shape[0], 0)).toBe(true);
      return s;
    },
    outcome: { same: () => sigmoid({ data: [], shape: [0, 3] }) },
  },
  {
    what: 'shape entry getter that changes after the first read (read once)',
    call: (v) => {
      let reads = 0;
      const shape = withGetter([0, 4], 0, () => (reads++ === 0 ? 5 : 2.5));
      const out = a0With(v, { data: v.a0.data, shape }).slice(0, 2);
      expect(reads).toBe(1);
      return out;
    },
    outcome: { same: (v) => rnn_forward(v.x, v.a0, v.rp).slice(0, 2) },
  },
  { what: 'shape entry getter throws', call: (v) => a0With(v, { data: v.a0.data, shape: withGetter([5, 4], 1, boom) }), outcome: caller },
  { what: 'shape getter throws', call: (v) => a0With(v, withGetter({ data: v.a0.data, shape: [5, 4] }, 'shape', boom)), outcome: caller },

  // --- data
  { what: 'data longer than the shape', call: (v) => a0With(v, { data: new Float64Array(21), shape: [5, 4] }), outcome: range(['a0.data has 21 elements but shape (5, 4) needs 20']) },
  {
    what: 'Float64Array too short whose own length property claims the full size',
    call: (v) => a0With(v, { data: Object.defineProperty(v.a0.data.slice(0, 7), 'length', { value: 20 }), shape: [5, 4] }),
    outcome: range(['a0.data has 7 elements but shape (5, 4) needs 20']),
  },
  {
    what: 'Float64Array subclass whose length, subarray and iterator lie',
    call: (v) => {
      const lying = (a: NDArray) => ({ data: LyingFloat64Array.from(a.data) as Float64Array, shape: a.shape.slice() });
      expect(lying(v.a0).data.length).toBe(1);
      return {
        cell: rnn_cell_forward(lying(v.xt), lying(v.a_prev), v.rp).slice(0, 2),
        back: lstm_cell_backward(lying(v.da_next), lying(v.dc_next), lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3]),
        seq: rnnRun(lying(v.x), lying(v.a0), v.rp, lying(v.da)),
      };
    },
    outcome: {
      same: (v) => ({
        cell: rnn_cell_forward(v.xt, v.a_prev, v.rp).slice(0, 2),
        back: lstm_cell_backward(v.da_next, v.dc_next, lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3]),
        seq: rnnRun(v.x, v.a0, v.rp, v.da),
      }),
    },
  },
  {
    what: 'Float64Array whose prototype was swapped to Float32Array.prototype',
    call: (v) => lstmRun(v.x, { data: Object.setPrototypeOf(v.a0.data.slice(), Float32Array.prototype), shape: [5, 4] }, v.lp, v.da),
    outcome: sameLstm,
  },
  {
    what: 'Float64Array from another realm',
    call: (v) => {
      const foreign = runInNewContext('new Float64Array(n)', { n: 20 }) as Float64Array;
      expect(foreign instanceof Float64Array).toBe(false);
      foreign.set(v.a0.data);
      return rnnRun(v.x, { data: foreign, shape: [5, 4] }, v.rp, v.da);
    },
    outcome: sameRnn,
  },
  { what: 'data an Int32Array', call: (v) => a0With(v, { data: new Int32Array(20), shape: [5, 4] }), outcome: type(['a0.data must be a Float64Array, Float32Array or number[]', 'Int32Array']) },
  { what: 'data a BigInt64Array', call: (v) => a0With(v, { data: new BigInt64Array(20), shape: [5, 4] }), outcome: type(['a0.data must be', 'BigInt64Array']) },
  { what: 'data a DataView', call: (v) => a0With(v, { data: new DataView(v.a0.data.buffer), shape: [5, 4] }), outcome: type(['a0.data must be', 'a DataView']) },
  { what: 'data an ArrayBuffer', call: (v) => a0With(v, { data: v.a0.data.buffer, shape: [5, 4] }), outcome: type(['a0.data must be', 'an ArrayBuffer']) },
  { what: 'data an array-like object', call: (v) => a0With(v, { data: { ...Array.from(v.a0.data), length: 20 }, shape: [5, 4] }), outcome: type(['a0.data must be', 'an object']) },
  { what: 'data a Proxy of a Float64Array', call: (v) => a0With(v, { data: new Proxy(v.a0.data, {}), shape: [5, 4] }), outcome: type(['a0.data must be', 'not one (a Proxy?)']) },
  { what: 'data an object posing as a Float64Array', call: (v) => a0With(v, { data: Object.setPrototypeOf({ length: 20 }, Float64Array.prototype), shape: [5, 4] }), outcome: type(['a0.data must be', 'inherits from a typed array but is not one']) },
  { what: 'number[] data holding a BigInt', call: (v) => a0With(v, { data: [...Array.from(v.a0.data.subarray(0, 19)), 1n], shape: [5, 4] }), outcome: type(['a0.data[19] must be a number', 'bigint 1']) },
  { what: 'number[] data holding a boolean', call: (v) => a0With(v, { data: [true, ...Array.from(v.a0.data.subarray(1))], shape: [5, 4] }), outcome: type(['a0.data[0] must be a number', 'boolean true']) },
  { what: 'number[] data holding a numeric string', call: (v) => a0With(v, { data: [...Array.from(v.a0.data.subarray(0, 3)), '1', ...Array.from(v.a0.data.subarray(4))], shape: [5, 4] }), outcome: type(['a0.data[3] must be a number', 'the string "1"']) },
  { what: 'number[] data with a hole', call: (v) => a0With(v, { data: Object.assign(new Array(20), Array.from(v.a0.data.subarray(0, 7))), shape: [5, 4] }), outcome: type(['a0.data[7] must be a number', 'undefined']) },
  { what: 'number[] data element getter throws', call: (v) => a0With(v, { data: withGetter(Array.from(v.a0.data), 3, boom), shape: [5, 4] }), outcome: caller },
  { what: 'data getter throws', call: (v) => a0With(v, withGetter({ data: v.a0.data, shape: [5, 4] }, 'data', boom)), outcome: caller },
  { what: 'the `in` check on a Proxy input throws', call: (v) => a0With(v, new Proxy(v.a0, { has: boom })), outcome: caller },

  // --- detached buffers: refused, never read as empty or as zeros
  { what: 'detached Float64Array data', call: (v) => a0With(v, detachedCopy(v.a0)), outcome: type(['a0.data is a Float64Array whose ArrayBuffer was detached']) },
  { what: 'detached Float32Array data', call: (v) => rnn_forward(detachedCopy(v.x, Float32Array), v.a0, v.rp), outcome: type(['x.data is a Float32Array whose ArrayBuffer was detached']) },
  { what: 'detached data with a zero-size shape', call: () => sigmoid(detachedCopy(full([0, 3], 0))), outcome: type(['z.data is a Float64Array whose ArrayBuffer was detached']) },
  { what: 'detached data in a strided view', call: (v) => a0With(v, { ...detachedCopy(v.a0), stride: [1, 5], offset: 0 }), outcome: type(['a0.data', 'detached']) },
  { what: 'a parameter whose buffer was detached', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, bc: detachedCopy(v.lp.bc) }), outcome: type(['bc.data is a Float64Array whose ArrayBuffer was detached']) },
  {
    what: 'RNN caches after the forward outputs’ buffer was transferred',
    call: (v) => {
      const [a, , caches] = rnn_forward(v.x, v.a0, v.rp);
      transfer(a.data.buffer);
      return rnn_backward(v.da, caches);
    },
    outcome: type(['caches[0][0][2] (xt).data is a Float64Array whose ArrayBuffer was detached']),
  },
  {
    what: 'an LSTM cell cache after its buffer was transferred',
    call: (v) => {
      const [a_next, , , cache] = lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp);
      transfer(a_next.data.buffer);
      return lstm_cell_backward(v.da_next, v.dc_next, cache);
    },
    outcome: type(['cache[1] (c_next).data is a Float64Array whose ArrayBuffer was detached']),
  },


  // --- a huge T_x over empty data passes every memory check, but would build T_x step caches
  { what: 'T_x = 1e9 with m = 0 (rnn_forward)', call: (v) => rnn_forward({ data: new Float64Array(0), shape: [D.n_x, 0, 1e9] }, { data: new Float64Array(0), shape: [D.n_a, 0] }, v.rp), outcome: { error: RangeError, code: 'ERR_RNN_SIZE', contains: ['rnn_forward would build 1000000000 step caches', 'at most 1048576 time steps'] } },
  { what: 'T_x = 2^20 + 1 with n_x = 0 (lstm_forward)', call: (v) => lstm_forward({ data: new Float64Array(0), shape: [0, D.m, 2 ** 20 + 1] }, v.a0, lstmParams(makeRng(1), { ...D, n_x: 0 })), outcome: { error: RangeError, code: 'ERR_RNN_SIZE', contains: ['lstm_forward would build 1048577 step caches'] } },
  { what: 'T_x = 2^53 - 1 with m = 0 (lstm_forward)', call: (v) => lstm_forward({ data: new Float64Array(0), shape: [D.n_x, 0, Number.MAX_SAFE_INTEGER] }, { data: new Float64Array(0), shape: [D.n_a, 0] }, v.lp), outcome: { error: RangeError, code: 'ERR_RNN_SIZE', contains: ['T_x = 9007199254740991'] } },

  // --- detached mid-call: a getter that runs while a later argument is read transfers the
  // buffer of an array already checked. The call looks again before reading any data, so it
  // throws rather than read memory that is gone; an input that was copied on reading (not a
  // Float64Array) is unaffected and gives the right answer from that copy.
  { what: 'x detached by a parameters getter after it was checked', call: (v) => detachLater(v.x, (x, detach) => rnn_forward(x, v.a0, withGetter({ ...v.rp }, 'by', detach(v.rp.by)))), outcome: type(['x.data was detached while']) },
  { what: 'Wax detached by a getter of a0, read after the parameters', call: (v) => detachLater(v.rp.Wax, (Wax, detach) => rnn_forward(v.x, withGetter({ data: v.a0.data } as Any, 'shape', detach(v.a0.shape)), { ...v.rp, Wax })), outcome: type(['Wax.data was detached while']) },
  { what: 'xt detached by a parameters getter (rnn_cell_forward)', call: (v) => detachLater(v.xt, (xt, detach) => rnn_cell_forward(xt, v.a_prev, withGetter({ ...v.rp }, 'ba', detach(v.rp.ba)))), outcome: type(['xt.data was detached while']) },
  { what: 'x detached by the Wy getter (lstm_forward)', call: (v) => detachLater(v.x, (x, detach) => lstm_forward(x, v.a0, withGetter({ ...v.lp }, 'Wy', detach(v.lp.Wy)))), outcome: type(['x.data was detached while']) },
  { what: 'a_prev detached by a getter of c_prev, read after it (lstm_cell_forward)', call: (v) => detachLater(v.a_prev, (a_prev, detach) => lstm_cell_forward(v.xt, a_prev, withGetter({ data: v.c_prev.data } as Any, 'shape', detach(v.c_prev.shape)), v.lp)), outcome: type(['a_prev.data was detached while']) },
  {
    what: 'da detached by a getter in the step cache’s parameters (rnn_backward)',
    call: (v) => {
      const [, , [steps, x]] = rnn_forward(v.x, v.a0, v.rp);
      return detachLater(v.da, (da, detach) => {
        const first = steps[0].slice() as typeof steps[0];
        first[3] = withGetter({ ...v.rp }, 'Waa', detach(v.rp.Waa));
        return rnn_backward(da, [[first, ...steps.slice(1)], x]);
      });
    },
    outcome: type(['da.data was detached while']),
  },
  {
    what: 'one step’s c_next detached by a getter of a later step’s xt (lstm_backward)',
    call: (v) => {
      const [, , , [steps, x]] = lstm_forward(v.x, v.a0, v.lp);
      const copies = steps.map((s) => s.slice() as typeof s);
      const victim = { data: copies[0][1].data.slice(), shape: copies[0][1].shape.slice() };
      copies[0][1] = victim;
      copies[2][8] = withGetter({ data: copies[2][8].data } as Any, 'shape', () => {
        transfer(victim.data.buffer);
        return [D.n_x, D.m];
      });
      return lstm_backward(v.da, [copies, x]);
    },
    outcome: type(['caches[0][0][1] (c_next).data was detached while']),
  },
  { what: 'da_next detached by a getter in the cache (rnn_cell_backward)', call: (v) => detachLater(v.da_next, (da_next, detach) => { const [, , cache] = rnn_cell_forward(v.xt, v.a_prev, v.rp); const c = cache.slice() as typeof cache; c[3] = withGetter({ ...v.rp }, 'Wax', detach(v.rp.Wax)); return rnn_cell_backward(da_next, c); }), outcome: type(['da_next.data was detached while']) },
  { what: 'dc_next detached by a getter in the cache (lstm_cell_backward)', call: (v) => detachLater(v.dc_next, (dc_next, detach) => { const [, , , cache] = lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp); const c = cache.slice() as typeof cache; c[9] = withGetter({ ...v.lp }, 'Wc', detach(v.lp.Wc)); return lstm_cell_backward(v.da_next, dc_next, c); }), outcome: type(['dc_next.data was detached while']) },
  { what: 'z detached by its own shape getter (softmax)', call: (v) => detachLater(v.z, (z, detach) => softmax(withGetter({ data: z.data } as Any, 'shape', detach(z.shape)))), outcome: type(['z.data', 'detached']) },
  { what: 'z detached by its own shape getter (sigmoid)', call: (v) => detachLater(v.z, (z, detach) => sigmoid(withGetter({ data: z.data } as Any, 'shape', detach(z.shape)))), outcome: type(['z.data', 'detached']) },
  {
    what: 'a Float32Array x detached by a later getter: already copied, the right answer',
    call: (v) => {
      const x32 = Float32Array.from(v.x.data);
      const p = withGetter({ ...v.rp }, 'by', () => {
        transfer(x32.buffer);
        return v.rp.by;
      });
      return rnn_forward({ data: x32, shape: v.x.shape.slice() }, v.a0, p).slice(0, 2);
    },
    outcome: { same: (v) => rnn_forward({ data: Float64Array.from(Float32Array.from(v.x.data)), shape: v.x.shape.slice() }, v.a0, v.rp).slice(0, 2) },
  },

  // --- strides and offsets
  { what: 'stride entry NaN', call: (v) => a0With(v, { data: v.a0.data, shape: [5, 4], stride: [NaN, 1] }), outcome: range(['a0.stride must be 2 integers', '[NaN, 1]']) },
  { what: 'stride entry Infinity', call: (v) => a0With(v, { data: v.a0.data, shape: [5, 4], stride: [4, Infinity] }), outcome: range(['a0.stride must be 2 integers', '[4, Infinity]']) },
  { what: 'offset a numeric string', call: (v) => a0With(v, { data: v.a0.data, shape: [5, 4], offset: '0' }), outcome: range(['a0.offset must be a non-negative integer', 'the string "0"']) },
  { what: 'offset negative', call: (v) => a0With(v, { data: v.a0.data, shape: [5, 4], offset: -1 }), outcome: range(['a0.offset must be a non-negative integer', '-1']) },
  { what: 'offset fractional', call: (v) => a0With(v, { data: v.a0.data, shape: [5, 4], stride: [4, 1], offset: 0.5 }), outcome: range(['a0.offset must be a non-negative integer', '0.5']) },
  { what: 'stride getter throws', call: (v) => a0With(v, withGetter({ data: v.a0.data, shape: [5, 4] }, 'stride', boom)), outcome: caller },
  { what: 'offset getter throws', call: (v) => a0With(v, withGetter({ data: v.a0.data, shape: [5, 4] }, 'offset', boom)), outcome: caller },

  // --- values that are not arrays
  { what: 'a bare Float64Array (no shape)', call: (v) => sigmoid(v.z.data as Any), outcome: type(['z must be', 'got a Float64Array']) },
  {
    what: 'a function (its source never appears in the message)',
    call: () => sigmoid(function secretSource() { return 42; } as Any),
    outcome: type(['z must be', 'got a function']),
  },
  { what: 'an object whose constructor name is a Symbol', call: () => sigmoid({ constructor: { name: Symbol('evil') } } as Any), outcome: type(['z must be', 'got an object']) },
  { what: 'an object whose constructor name is 10 000 characters', call: () => sigmoid({ constructor: { name: 'N'.repeat(10_000) } } as Any), outcome: type(['z must be', `got a ${'N'.repeat(40)}`]) },
  { what: 'a BigInt scalar', call: () => sigmoid(1n as Any), outcome: type(['z must be', 'bigint 1']) },
  { what: 'a boolean scalar', call: () => sigmoid(true as Any), outcome: type(['z must be', 'boolean true']) },
  { what: 'a boxed Number', call: () => sigmoid(new Number(1) as Any), outcome: type(['z must be', 'a Number']) },
  { what: 'a Symbol', call: () => sigmoid(Symbol('s') as Any), outcome: type(['z must be', 'symbol Symbol(s)']) },
  { what: 'a revoked Proxy as an input array', call: (v) => { const r = Proxy.revocable(v.a0, {}); r.revoke(); return a0With(v, r.proxy); }, outcome: { propagates: 'engine', contains: 'revoked' } },

  // --- nested arrays
  { what: 'a nested array that contains itself', call: () => { const c: unknown[] = []; c.push(c); return sigmoid(c as Any); }, outcome: range(['z is nested more than 64 levels deep']) },
  { what: 'two nested arrays that contain each other', call: (v) => { const p: unknown[] = [[1]]; const q: unknown[] = [p]; p.unshift(q); return rnn_forward(p as Any, v.a0, v.rp); }, outcome: range(['x is nested more than 64 levels deep']) },
  { what: 'a nested array 65 levels deep', call: () => sigmoid(nestedDeep(65) as Any), outcome: range(['z is nested more than 64 levels deep']) },
  {
    what: 'a nested array 64 levels deep (the limit)',
    call: () => sigmoid(nestedDeep(64) as Any),
    outcome: { same: () => ({ data: sigmoid(0.25).data, shape: new Array(64).fill(1) }) },
  },
  // eslint-disable-next-line no-sparse-arrays
  { what: 'a nested array with a hole', call: () => sigmoid([[1, , 3]] as Any), outcome: type(['z[0][1] must be a number', 'undefined']) },
  { what: 'a nested array with a typed-array row', call: () => sigmoid([Float64Array.of(1, 2)] as Any), outcome: type(['z[0] must be a number', 'a Float64Array']) },
  { what: 'a nested Proxy array whose length is fractional', call: () => sigmoid(new Proxy([1, 2], { get: (t, k) => (k === 'length' ? 2.5 : Reflect.get(t, k)) })), outcome: range(['z has a length that is not a non-negative integer: 2.5']) },
  { what: 'a nested-array element getter throws', call: (v) => { const n = toNested(v.a0) as number[][]; withGetter(n[1], 2, boom); return a0With(v, n); }, outcome: caller },

  // --- parameters
  { what: 'parameters with extra keys', call: (v) => rnnRun(v.x, v.a0, { ...v.rp, Wy: v.lp.Wy, extra: 'ignored', 42: null }, v.da), outcome: sameRnn },
  { what: 'parameters from JSON with an own "__proto__" key', call: (v) => rnnRun(v.x, v.a0, jsonWithProto(v.rp), v.da), outcome: sameRnn },
  { what: 'parameters whose own "__proto__" key holds the missing Waa', call: (v) => rnn_forward(v.x, v.a0, jsonWithProto(v.rp, 'Waa')), outcome: { error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters is missing key "Waa"'] } },
  {
    what: 'parameters with an own "__proto__" key from defineProperty',
    call: (v) => lstmRun(v.x, v.a0, Object.defineProperty({ ...v.lp }, '__proto__', { value: { Wf: 0 }, enumerable: true }), v.da),
    outcome: sameLstm,
  },
  { what: 'parameters inheriting every key from a prototype', call: (v) => rnnRun(v.x, v.a0, Object.create(v.rp), v.da), outcome: sameRnn },
  { what: 'parameters with a null prototype', call: (v) => lstmRun(v.x, v.a0, Object.assign(Object.create(null), v.lp), v.da), outcome: sameLstm },
  {
    what: 'parameters as a class instance with getters',
    call: (v) => {
      class Weights {
        readonly #p: Record<string, NDArray>;
        constructor(p: Record<string, NDArray>) {
          this.#p = p;
        }
        get Wax() { return this.#p.Wax; }
        get Waa() { return this.#p.Waa; }
        get Wya() { return this.#p.Wya; }
        get ba() { return this.#p.ba; }
        get by() { return this.#p.by; }
      }
      return rnnRun(v.x, v.a0, new Weights(v.rp), v.da);
    },
    outcome: sameRnn,
  },
  { what: 'parameters as a forwarding Proxy', call: (v) => lstmRun(v.x, v.a0, new Proxy(v.lp, {}), v.da), outcome: sameLstm },
  { what: 'parameters as a Proxy that hides a key', call: (v) => lstm_forward(v.x, v.a0, new Proxy(v.lp, { get: (t, k) => (k === 'bi' ? undefined : Reflect.get(t, k)) })), outcome: { error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters is missing key "bi"', '(5, 1)'] } },
  { what: 'parameters as a Proxy whose get trap throws', call: (v) => lstm_forward(v.x, v.a0, new Proxy(v.lp, { get: boom })), outcome: caller },
  { what: 'parameters key getter throws', call: (v) => rnn_forward(v.x, v.a0, withGetter({ ...v.rp }, 'ba', boom)), outcome: caller },
  { what: 'parameters a revoked Proxy', call: (v) => { const r = Proxy.revocable(v.rp, {}); r.revoke(); return rnn_forward(v.x, v.a0, r.proxy); }, outcome: { propagates: 'engine', contains: 'revoked' } },
  { what: 'parameters a Map', call: (v) => rnn_forward(v.x, v.a0, new Map(Object.entries(v.rp)) as Any), outcome: type(['parameters must be an object of named weight arrays', 'got a Map']) },
  { what: 'parameters a function carrying the keys', call: (v) => lstm_forward(v.x, v.a0, Object.assign(() => 0, v.lp)), outcome: type(['parameters must be an object', 'got a function']) },

  // --- caches
  {
    what: 'caches[0] with a hole',
    call: (v) => {
      const [list, x] = rnn_forward(v.x, v.a0, v.rp)[2];
      const holey = [...list];
      delete (holey as Any)[1];
      return rnn_backward(v.da, [holey, x]);
    },
    outcome: type(['caches[0][1] must be a cache tuple', 'undefined']),
  },
  {
    what: 'cache tuples as an Array subclass',
    call: (v) => {
      class Tuple extends Array {}
      const [list, x] = lstm_forward(v.x, v.a0, v.lp)[3];
      return lstm_backward(v.da, [list.map((c) => Tuple.from(c)) as Any, x]);
    },
    outcome: { same: (v) => lstm_backward(v.da, lstm_forward(v.x, v.a0, v.lp)[3]) },
  },
  { what: 'a cache tuple entry getter throws', call: (v) => { const cache = [...rnn_cell_forward(v.xt, v.a_prev, v.rp)[2]]; withGetter(cache, 2, boom); return rnn_cell_backward(v.da_next, cache as Any); }, outcome: caller },
];

describe.each(BACKENDS)('adversarial inputs on the %s backend', (backend) => {
  let baseline: Record<string, NDArray>;

  beforeAll(() => {
    setBackend(backend);
    baseline = everyFunction(valid());
  });

  afterEach(() => {
    // After anything, on the same backend, the module gives exactly the results it gave before.
    expect(getBackend()).toBe(backend);
    expectIdentical(everyFunction(valid()), baseline);
  });

  test('the table covers at least 40 distinct malformed-input kinds', () => {
    if (backend === BACKENDS[0]) console.log(`adversarial table: ${ROWS.length} distinct malformed or adversarial inputs`);
    expect(ROWS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ROWS.map((r) => r.what)).size).toBe(ROWS.length);
  });

  for (const row of ROWS) {
    test(row.bug ? `${row.what} (known defect: ${row.bug})` : row.what, { fails: row.bug !== undefined }, () => checkRow(row));
  }

  function checkRow(row: Row): void {
    setBackend(backend);
    const v = valid();
    const before = snapshot(v);
    let thrown: unknown;
    let result: unknown;
    try {
      result = row.call(v);
    } catch (error) {
      thrown = error;
    }
    const o = row.outcome;
    if ('same' in o) {
      expect(thrown, 'the call must succeed').toBeUndefined();
      expectIdentical(result, o.same(valid()));
    } else {
      expect(thrown, 'the call must throw').toBeDefined();
      if ('error' in o) {
        const err = thrown as Error & { code?: string };
        expect(err.constructor).toBe(o.error);
        expect(err.code).toBe(o.code);
        for (const part of o.contains) expect(err.message).toContain(part);
        expect(err.message.length).toBeLessThan(400);
        expect(err.message).not.toContain('secretSource');
      } else if (o.propagates === 'caller') {
        expect(thrown).toBeInstanceOf(CallerError);
      } else {
        expect((thrown as Error).constructor).toBe(TypeError);
        expect((thrown as { code?: string }).code).toBeUndefined();
        expect((thrown as Error).message).toContain(o.contains);
      }
    }
    expect(snapshot(v), 'inputs must not change').toEqual(before);
  }

  test.each([
    ['a SharedArrayBuffer', (a: NDArray) => withBuffer(a, new SharedArrayBuffer(8 * a.data.length))],
    ['a resizable ArrayBuffer (length-tracking view)', (a: NDArray) => {
      const buffer: ArrayBuffer = new (ArrayBuffer as Any)(8 * a.data.length, { maxByteLength: 8 * a.data.length + 64 });
      const data = new Float64Array(buffer);
      data.set(a.data);
      return { data, shape: a.shape.slice() };
    }],
    ['a view at an offset into a larger buffer', (a: NDArray) => withBuffer(a, new ArrayBuffer(8 * a.data.length + 24), 16)],
    ['frozen NDArray wrappers and shapes', (a: NDArray) => Object.freeze({ data: a.data.slice(), shape: Object.freeze(a.shape.slice()) })],
    ['NDArray objects behind a forwarding Proxy', (a: NDArray) => new Proxy({ data: a.data.slice(), shape: a.shape.slice() }, {})],
    ['NDArray objects with extra keys', (a: NDArray) => ({ data: a.data.slice(), shape: a.shape.slice(), dtype: 'float32', strides: [1], size: -1 })],
  ] as const)('every input in %s gives identical results; the inputs are unchanged', (_, form) => {
    setBackend(backend);
    const v = mapInputs(valid(), form);
    const before = snapshot(v);
    expectIdentical(everyFunction(v), baseline);
    expect(snapshot(v)).toEqual(before);
  });

  test('frozen inputs, parameter dicts and caches are accepted and never written to', () => {
    setBackend(backend);
    const deepFreeze = <T>(value: T): T => {
      if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
      if (ArrayBuffer.isView(value)) return value; // a typed array with elements cannot be frozen
      for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
      return Object.freeze(value);
    };
    const v = deepFreeze(valid());
    const before = snapshot(v);
    expectIdentical(everyFunction(v, deepFreeze), baseline);
    expect(snapshot(v)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// IEEE special values: outcomes worked out from the notebook's formulas.

/** `(n, m, T)` entry. */
const at3 = (a: NDArray, i: number, j: number, t: number) => a.data[(i * a.shape[1] + j) * a.shape[2] + t];
const TINY = 2 ** -1060; // subnormal
const isPlusZero = (x: number) => Object.is(x, 0);
const isMinusZero = (x: number) => Object.is(x, -0);

/**
 * `got` equals `expected` entry by entry: NaN, infinities and zeros (with their sign) exactly;
 * other values within a few ulp, since a backend's tanh and exp may differ in the last bit.
 */
function expectValues(got: ArrayLike<number>, expected: number[], what: string): void {
  expect(got.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [g, e] = [got[i], expected[i]];
    if (Number.isFinite(e) && e !== 0) expect(Math.abs(g - e) / Math.abs(e), `${what}[${i}]: ${g} vs ${e}`).toBeLessThanOrEqual(1e-15);
    else expect(Object.is(g, e), `${what}[${i}]: ${g} vs ${e}`).toBe(true);
  }
}

describe.each(BACKENDS)('NaN, ±Infinity, -0 and subnormals on the %s backend', (backend) => {
  let baseline: Record<string, NDArray>;
  beforeAll(() => {
    setBackend(backend);
    baseline = everyFunction(valid());
  });
  afterEach(() => {
    // A call full of NaN leaves nothing behind that a clean call could pick up.
    expectIdentical(everyFunction(valid()), baseline);
  });

  test('sigmoid: -0 and subnormals give exactly 0.5; ±Infinity and ±MAX_VALUE saturate; NaN stays NaN', () => {
    setBackend(backend);
    // 1 / (1 + exp(-z)): exp(±tiny) rounds to 1, so 1 / 2; exp(MAX) = Infinity, so 1 / Infinity = 0.
    const z = [-0, 0, Number.MIN_VALUE, -Number.MIN_VALUE, TINY, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, NaN];
    const s = sigmoid(z);
    expect(Array.from(s.data)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0, NaN]);
    expect(sigmoid(-0).data[0]).toBe(0.5);
    expect(sigmoid(-0).shape).toEqual([]);
  });

  test('softmax: ±0 and subnormal columns are uniform; -Infinity columns are NaN; MAX_VALUE stays finite', () => {
    setBackend(backend);
    // Columns: [-0, 0] and [MIN_VALUE, 0] → [1/2, 1/2]; [-Inf, -Inf] → z - max = -Inf - -Inf = NaN;
    // [MAX, MAX] → z - max = 0 → [1/2, 1/2]; [MAX, -MAX] → exp(-Inf) = 0 → [1, 0]; [-0, -Inf] → [1, 0].
    const s = softmax([
      [-0, Number.MIN_VALUE, -Infinity, Number.MAX_VALUE, Number.MAX_VALUE, -0],
      [0, 0, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, -Infinity],
    ]);
    expect(Array.from(s.data)).toEqual([0.5, 0.5, NaN, 0.5, 1, 1, 0.5, 0.5, NaN, 0.5, 0, 0]);
    expect(Array.from(softmax([[-0, -0]]).data)).toEqual([1, 1]);
  });

  test('RNN: a zero pre-activation made of -0 products and a -0 bias is +0, as NumPy sums it', () => {
    setBackend(backend);
    // np.dot starts each sum at +0 (any shape but 1×1·1×1), and +0 + -0 = +0, so tanh gives +0.
    const p = { Wax: full([2, 3], -0), Waa: full([2, 2], -0), Wya: full([2, 2], 1), ba: full([2, 1], -0), by: full([2, 1], -0) };
    const [a_next, yt] = rnn_cell_forward(full([3, 4], 1.5), full([2, 4], 0.5), p);
    expect(Array.from(a_next.data).every(isPlusZero)).toBe(true);
    expect(Array.from(yt.data)).toEqual(new Array(8).fill(0.5));
    const [a] = rnn_forward(full([3, 4, 2], 1.5), full([2, 4], 0.5), p);
    expect(Array.from(a.data).every(isPlusZero)).toBe(true);
  });

  test('RNN: subnormals pass through the products and tanh without being flushed to zero', () => {
    setBackend(backend);
    // n_x = n_a = 1, so every sum has one term: pre = 0 + 0.5·x + ba, and tanh(tiny) = tiny.
    // 0.5 · MIN_VALUE is exactly half-way between 0 and MIN_VALUE: it rounds to even, +0.
    const p = { Wax: f64([1, 1], [0.5]), Waa: f64([1, 1], [0.5]), Wya: f64([1, 1], [1]), ba: f64([1, 1], [0]), by: f64([1, 1], [0]) };
    const x = f64([1, 4, 1], [TINY, -TINY, Number.MIN_VALUE, 4 * Number.MIN_VALUE]);
    const [a, y, caches] = rnn_forward(x, full([1, 4], 0), p);
    expect(Array.from(a.data)).toEqual([TINY / 2, -TINY / 2, 0, 2 * Number.MIN_VALUE]);
    expect(isPlusZero(a.data[2])).toBe(true);
    expect(Array.from(y.data)).toEqual([1, 1, 1, 1]);
    // dtanh = da · (1 - a²) = da exactly; dx = Wax · dtanh = da / 2; dba = Σ dtanh.
    const g = rnn_backward(f64([1, 4, 1], [TINY, TINY, -TINY, 0]), caches);
    expect(Array.from(g.dx.data)).toEqual([TINY / 2, TINY / 2, -TINY / 2, 0]);
    expect(Array.from(g.dba.data)).toEqual([TINY]);
    const pb = { ...p, ba: f64([1, 1], [-TINY]) };
    const [an] = rnn_cell_forward(full([1, 2], 0), full([1, 2], 0), pb);
    expect(Array.from(an.data)).toEqual([-TINY, -TINY]);
  });

  test('LSTM: c_next = ft·c_prev + it·cct = -0 + -0 keeps -0, and a_next = ot·tanh(-0) = -0, as NumPy gives', () => {
    setBackend(backend);
    // n_a = n_x = 1, concat = [a_prev; x]. Step 1 (x = 0): ft = it = ot = 1/2, cct = tanh(-1),
    // c = tanh(-1)/2 < 0. Step 2 (x = -1): ft = it = sigmoid(-1000) = 0 exactly, so
    // c = 0·(negative) + 0·tanh(-1) = -0 + -0 = -0 and a = 1/2 · tanh(-0) = -0.
    const p = {
      Wf: f64([1, 2], [0, 1000]), bf: f64([1, 1], [0]),
      Wi: f64([1, 2], [0, 1000]), bi: f64([1, 1], [0]),
      Wc: f64([1, 2], [0, 0]), bc: f64([1, 1], [-1]),
      Wo: f64([1, 2], [0, 0]), bo: f64([1, 1], [0]),
      Wy: f64([1, 1], [1]), by: f64([1, 1], [0]),
    };
    const [a, y, c] = lstm_forward(f64([1, 1, 2], [0, -1]), f64([1, 1], [0]), p);
    expectValues(c.data, [Math.tanh(-1) / 2, -0], 'c');
    expectValues(a.data, [Math.tanh(Math.tanh(-1) / 2) / 2, -0], 'a');
    expect(Array.from(y.data)).toEqual([1, 1]);
    // The same from the cell: c_prev < 0, both gates shut.
    const [a_next, c_next] = lstm_cell_forward(f64([1, 3], [-1, -1, -1]), f64([1, 3], [0, 0, 0]), f64([1, 3], [-2, -TINY, -0]), p);
    expect(Array.from(c_next.data).every(isMinusZero)).toBe(true);
    expect(Array.from(a_next.data).every(isMinusZero)).toBe(true);
  });

  test('LSTM: saturated gates are exact: ft = 1 and it = 0 carry c_prev through unchanged, subnormals and infinities included', () => {
    setBackend(backend);
    const n = 2;
    const p = {
      Wf: full([n, n + 1], 0), bf: full([n, 1], 1000), // ft = 1 / (1 + exp(-1000)) = 1
      Wi: full([n, n + 1], 0), bi: full([n, 1], -1000), // it = 1 / (1 + exp(1000)) = 0
      Wc: full([n, n + 1], 0), bc: full([n, 1], -0.5), // cct = tanh(-0.5) < 0, so it·cct = -0
      Wo: full([n, n + 1], 0), bo: full([n, 1], 0), // ot = 1/2
      Wy: full([1, n], 1), by: full([1, 1], 0),
    };
    const c_prev = f64([n, 3], [1.25, -TINY, Number.MIN_VALUE, Infinity, -Infinity, -0]);
    const [a_next, c_next, , cache] = lstm_cell_forward(full([1, 3], 7), full([n, 3], 0.5), c_prev, p);
    expect(bitsEqual(c_next.data, c_prev.data)).toBe(true);
    expect(Array.from(cache[4].data)).toEqual(new Array(6).fill(1));
    expect(Array.from(cache[5].data)).toEqual(new Array(6).fill(0));
    // a = 1/2 · tanh(c): tanh(±Infinity) = ±1 and tanh(±tiny) = ±tiny (halving MIN_VALUE gives +0).
    expectValues(a_next.data, [Math.tanh(1.25) / 2, -TINY / 2, 0, 0.5, -0.5, -0], 'a_next');
    // With the forget gate shut instead (ft = 0): 0 · ±Infinity = NaN, everything else is it·cct.
    const shut = { ...p, bf: full([n, 1], -1000), bi: full([n, 1], 1000) };
    const [, c2] = lstm_cell_forward(full([1, 3], 7), full([n, 3], 0.5), c_prev, shut);
    const cct = Math.tanh(-0.5);
    expectValues(c2.data, [cct, cct, cct, NaN, NaN, cct], 'c_next');
  });

  test('RNN: a NaN weight poisons exactly its row at the first step, every y at that step, and everything after', () => {
    setBackend(backend);
    const v = valid();
    const [i0, k0] = [2, 4];
    const Waa = { data: v.rp.Waa.data.slice(), shape: [5, 5] };
    Waa.data[i0 * 5 + k0] = NaN; // NaN · a_prev is NaN even where a_prev is 0
    const [clean, cleanY] = rnn_forward(v.x, v.a0, v.rp);
    const [a, y] = rnn_forward(v.x, v.a0, { ...v.rp, Waa });
    for (let i = 0; i < D.n_a; i++) {
      for (let j = 0; j < D.m; j++) {
        for (let t = 0; t < D.T_x; t++) {
          if (t > 0 || i === i0) expect(at3(a, i, j, t), `a[${i}, ${j}, ${t}]`).toBeNaN();
          else expect(at3(a, i, j, t)).toBe(at3(clean, i, j, t));
        }
      }
    }
    expect(Array.from(y.data).every(Number.isNaN)).toBe(true);
    expect(cleanY.data.every(Number.isFinite)).toBe(true);
  });

  test('RNN: Infinity times a zero input is NaN; elsewhere the row saturates to ±1; -Infinity bias pins a row to -1', () => {
    setBackend(backend);
    const v = valid();
    const [i0, k0, j0, t0] = [1, 2, 3, 1];
    const Wax = { data: v.rp.Wax.data.slice(), shape: [5, 3] };
    Wax.data[i0 * 3 + k0] = Infinity;
    const x = { data: v.x.data.slice(), shape: v.x.shape.slice() };
    x.data[(k0 * D.m + j0) * D.T_x + t0] = 0; // Infinity · 0 = NaN
    const [a] = rnn_forward(x, v.a0, { ...v.rp, Wax });
    for (let i = 0; i < D.n_a; i++) {
      for (let j = 0; j < D.m; j++) {
        for (let t = 0; t < D.T_x; t++) {
          const got = at3(a, i, j, t);
          if (j === j0 && (t > t0 || (t === t0 && i === i0))) expect(got, `a[${i}, ${j}, ${t}]`).toBeNaN();
          else if (i === i0) expect(got).toBe(Math.sign(at3(x, k0, j, t)));
          else expect(Number.isFinite(got) && Math.abs(got) < 1).toBe(true);
        }
      }
    }
    const ba = { data: v.rp.ba.data.slice(), shape: [5, 1] };
    ba.data[3] = -Infinity;
    const [b] = rnn_forward(v.x, v.a0, { ...v.rp, ba });
    for (let j = 0; j < D.m; j++) for (let t = 0; t < D.T_x; t++) expect(at3(b, 3, j, t)).toBe(-1);
    expect(b.data.every(Number.isFinite)).toBe(true);
    // Infinity - Infinity within one sum is NaN for that row at every step, then for everything.
    const Wax2 = { data: v.rp.Wax.data.slice(), shape: [5, 3] };
    Wax2.data.set([Infinity, -Infinity, 0], 0);
    const [c] = rnn_forward(full([3, 4, 2], 1), v.a0, { ...v.rp, Wax: Wax2 });
    for (let i = 0; i < D.n_a; i++) for (let j = 0; j < D.m; j++) expect(Number.isNaN(at3(c, i, j, 0))).toBe(i === 0);
    for (let i = 0; i < D.n_a; i++) for (let j = 0; j < D.m; j++) expect(at3(c, i, j, 1)).toBeNaN();
  });

  test('backward: a NaN in da poisons its column at and before its step, da0 in that column, and every weight gradient', () => {
    setBackend(backend);
    const v = valid();
    const [i0, j0, t0] = [1, 2, 1];
    const da = { data: v.da.data.slice(), shape: v.da.shape.slice() };
    da.data[(i0 * D.m + j0) * D.T_x + t0] = NaN;
    const grads = [rnn_backward(da, rnn_forward(v.x, v.a0, v.rp)[2]), lstm_backward(da, lstm_forward(v.x, v.a0, v.lp)[3])];
    for (const g of grads) {
      for (let r = 0; r < D.n_x; r++) {
        for (let j = 0; j < D.m; j++) {
          for (let t = 0; t < D.T_x; t++) expect(Number.isNaN(at3(g.dx, r, j, t)), `dx[${r}, ${j}, ${t}]`).toBe(j === j0 && t <= t0);
        }
      }
      for (let i = 0; i < D.n_a; i++) for (let j = 0; j < D.m; j++) expect(Number.isNaN(g.da0.data[i * D.m + j])).toBe(j === j0);
      for (const [key, value] of Object.entries(g)) {
        if (key.startsWith('dW') || key.startsWith('db')) expect(value.data.every(Number.isNaN), key).toBe(true);
      }
    }
  });

  test('backward: da = -0 everywhere gives +0 gradients (sums of zero terms start at +0, as NumPy sums)', () => {
    setBackend(backend);
    const v = valid();
    const daZero = full(v.da.shape, -0);
    const dNext = full([D.n_a, D.m], -0);
    const results = {
      rnn: rnn_backward(daZero, rnn_forward(v.x, v.a0, v.rp)[2]),
      rnnCell: rnn_cell_backward(dNext, rnn_cell_forward(v.xt, v.a_prev, v.rp)[2]),
      lstm: lstm_backward(daZero, lstm_forward(v.x, v.a0, v.lp)[3]),
      // dc_prev here is +0 where the fixture generator's NumPy formula, dc = dc_next + da_next · ...,
      // gives -0 + -0 = -0: rnn-wasm adds the zero carry from the next step into da_next first.
      lstmCell: lstm_cell_backward(dNext, dNext, lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3]),
    };
    for (const [fn, g] of Object.entries(results)) {
      for (const [key, value] of Object.entries(g as unknown as Record<string, NDArray>)) expect(Array.from(value.data).every(isPlusZero), `${fn}.${key}`).toBe(true);
    }
  });
});

describe.each(BACKENDS.filter((b) => b !== 'js'))('special values: %s agrees with the js reference', (fast) => {
  /** Every output of every function on `v`, with js and with the backend under test (`wasm`). */
  function both(v: Valid) {
    setBackend('js');
    const js = everyFunction(v);
    setBackend(fast);
    const wasm = everyFunction(v);
    return { js, wasm };
  }

  /** Mostly ±0, some `specials`, and (when `finite`) some quarter-integers. */
  function sprinkled(seed: number, specials: number[], finite: boolean): Valid {
    const rng = makeRng(seed);
    return mapInputs(valid(), (a) => {
      const data = a.data.map((x) => {
        const u = rng.uniform();
        if (u < 0.7 || (!finite && u >= 0.85)) return u < 0.35 ? 0 : -0;
        if (u < 0.85) return specials[Math.floor(rng.uniform() * specials.length)];
        return Math.round(x * 4) / 4;
      });
      return { data, shape: a.shape.slice() };
    });
  }

  test('±0 only: every output agrees bit for bit, the sign of every zero included', () => {
    // Every sum is of zeros and every activation is of ±0, so nothing is rounded: both backends
    // must give the same bits, and each zero the sign the notebook's formulas give it.
    for (let seed = 1; seed <= 4; seed++) {
      const { js, wasm } = both(sprinkled(seed, [-0, 0], false));
      expectIdentical(wasm, js);
    }
  });

  test.each([
    ['subnormals', [TINY, -TINY, Number.MIN_VALUE, -Number.MIN_VALUE]],
    ['±Infinity', [Infinity, -Infinity]],
    ['NaN', [NaN]],
    ['all of them', [NaN, Infinity, -Infinity, TINY, -Number.MIN_VALUE, -0]],
  ])('%s among ±0 and quarter-integers: the same NaN and infinities, finite values within 1e-10', (_, specials) => {
    let specialOutputs = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const { js, wasm } = both(sprinkled(seed, specials, true));
      for (const key of Object.keys(js)) {
        const [g, e] = [wasm[key].data, js[key].data];
        expect(wasm[key].shape, key).toEqual(js[key].shape);
        let scale = 0;
        for (const x of e) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
        for (let i = 0; i < e.length; i++) {
          if (!Number.isFinite(e[i])) {
            specialOutputs++;
            expect(Object.is(g[i], e[i]), `${key}[${i}]: wasm ${g[i]}, js ${e[i]}`).toBe(true);
          } else {
            expect(Math.abs(g[i] - e[i]), `${key}[${i}]: wasm ${g[i]}, js ${e[i]}`).toBeLessThanOrEqual(1e-10 * scale);
          }
        }
      }
    }
    if (!specials.every((x) => Number.isFinite(x))) expect(specialOutputs).toBeGreaterThan(0);
    setBackend('wasm');
  });

  test('the sprinkled inputs hold every special value', () => {
    const v = sprinkled(1, [NaN, Infinity, -Infinity, TINY, -Number.MIN_VALUE, -0], true);
    const all = Object.values(leaves(v)).flatMap((a) => Array.from(a.data));
    for (const s of [NaN, Infinity, -Infinity, TINY, -Number.MIN_VALUE, -0, 0, 0.25]) {
      expect(all.some((x) => Object.is(x, s) || (s === 0.25 && Number.isInteger(4 * x) && x !== 0)), String(s)).toBe(true);
    }
  });
});
