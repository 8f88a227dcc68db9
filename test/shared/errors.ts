/**
 * Malformed calls, shared by test/errors.test.ts (Node entry, every backend) and
 * test/browser/errors.spec.ts (browser entry, wasm and js): each throws the documented error
 * class and code with a message that names the argument and gives the expected shape, before
 * any work; afterwards the module gives the same results as before. Also the valid arguments
 * the bad-input suites (and test/adversarial.test.ts) start from.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { BackendName, NDArray } from '../../ts/index.js';
import type { Api } from './api.js';
import { lstmParams, makeRng, randn, rnnParams, sameValues, toNested, type Dims } from './helpers.js';

// Deliberately malformed arguments go through `any`: the point is what happens at run time.
type Any = any;

// n_x = 3, n_a = 5, n_y = 2, m = 10, T_x = 4: the notebook's classic shapes.
export const D: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 4 };

/** A fresh set of valid arguments of dimensions `d` (the same values for the same seed). */
export function validArgs(d: Dims, seed: number) {
  const rng = makeRng(seed);
  return {
    x: randn(rng, [d.n_x, d.m, d.T_x]),
    a0: randn(rng, [d.n_a, d.m]),
    xt: randn(rng, [d.n_x, d.m]),
    a_prev: randn(rng, [d.n_a, d.m]),
    c_prev: randn(rng, [d.n_a, d.m]),
    da: randn(rng, [d.n_a, d.m, d.T_x]),
    da_next: randn(rng, [d.n_a, d.m]),
    dc_next: randn(rng, [d.n_a, d.m]),
    z: randn(rng, [d.n_y, d.m]),
    rp: rnnParams(rng, d),
    lp: lstmParams(rng, d),
  };
}

/** The bad-input suites' valid arguments: `D`, seed 7, parameters open to anything. */
function valid() {
  const v = validArgs(D, 7);
  return { ...v, rp: v.rp as Record<string, Any>, lp: v.lp as Record<string, Any> };
}
type Valid = ReturnType<typeof valid>;

/** An array of `shape` filled with `fill`. */
export const arr = (shape: number[], fill = 0.5): NDArray => ({
  data: new Float64Array(shape.reduce((n, d) => n * d, 1)).fill(fill),
  shape,
});
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

export interface Row {
  what: string;
  call: (v: Valid) => unknown;
  error: typeof TypeError | typeof RangeError;
  code: string;
  /** Substrings the message must contain: the argument's name, expected (and actual) shapes. */
  contains: string[];
}

/** The table of malformed calls on `api`, with the error class, code and message parts each gives. */
export function malformedCalls(api: Api): Row[] {
  const { lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward, setBackend, sigmoid, softmax } = api;
  const rnnCaches = (v: Valid) => rnn_forward(v.x, v.a0, v.rp)[2];
  const lstmCaches = (v: Valid) => lstm_forward(v.x, v.a0, v.lp)[3];
  const rnnCache = (v: Valid) => rnn_cell_forward(v.xt, v.a_prev, v.rp)[2];
  const lstmCache = (v: Valid) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3];

  return [
    // --- every RNN parameter with a wrong shape
    { what: 'Wax wrong shape', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wax: arr([5, 4]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wax', '(5, 3)', '(5, 4)'] },
    { what: 'Waa wrong shape', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Waa: arr([5, 4]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Waa must have shape (5, 5) (n_a, n_a); got (5, 4)'] },
    { what: 'Wya wrong rank', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wya: arr([10]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wya', '(n_y, n_a)', '(10,)'] },
    // n_y and n_a are read from Wya (as the notebook does), so a Wya of the wrong width is
    // reported through the first weight that disagrees with it.
    { what: 'Wya wrong n_a', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wya: arr([2, 4]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wax', '(4, 3)', '(5, 3)'] },
    { what: 'ba given as (n_a,)', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, ba: arr([5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['ba', '(5, 1)', '(5,)'] },
    { what: 'ba transposed', call: (v) => rnn_cell_forward(v.xt, v.a_prev, { ...v.rp, ba: arr([1, 5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['ba', '(5, 1)', '(1, 5)'] },
    { what: 'by wrong shape', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, by: arr([3, 1]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['by', '(2, 1)', '(3, 1)'] },
    { what: 'Wya with zero rows', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wya: arr([0, 5]), by: arr([0, 1]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wya', 'at least one row', '(0, 5)'] },
    // --- every LSTM parameter with a wrong shape
    { what: 'Wf wrong shape', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wf: arr([5, 7]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wf', '(5, 8)', '(5, 7)', 'n_a+n_x'] },
    { what: 'Wi transposed', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wi: arr([8, 5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wi', '(5, 8)', '(8, 5)'] },
    { what: 'Wc wrong n_a', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, { ...v.lp, Wc: arr([4, 8]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wc', '(5, 8)', '(4, 8)'] },
    { what: 'Wo wrong width', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wo: arr([5, 9]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wo', '(5, 8)', '(5, 9)'] },
    { what: 'bf given as (n_a,)', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, bf: arr([5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['bf', '(5, 1)', '(5,)'] },
    { what: 'bi wrong n_a', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, bi: arr([4, 1]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['bi', '(5, 1)', '(4, 1)'] },
    { what: 'bc two columns', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, { ...v.lp, bc: arr([5, 2]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['bc', '(5, 1)', '(5, 2)'] },
    { what: 'bo transposed', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, bo: arr([1, 5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['bo', '(5, 1)', '(1, 5)'] },
    { what: 'Wy wrong rank', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wy: arr([2, 5, 1]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wy', '(n_y, n_a)', '(2, 5, 1)'] },
    { what: 'LSTM by wrong shape', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, by: arr([2]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['by', '(2, 1)', '(2,)'] },
    // --- missing keys
    { what: 'RNN parameters missing Waa', call: (v) => rnn_forward(v.x, v.a0, without(v.rp, 'Waa') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"Waa"', '(n_a, n_a)'] },
    { what: 'RNN parameters missing Wya', call: (v) => rnn_cell_forward(v.xt, v.a_prev, without(v.rp, 'Wya') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"Wya"', '(n_y, n_a)'] },
    { what: 'LSTM parameters missing bo', call: (v) => lstm_forward(v.x, v.a0, without(v.lp, 'bo') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"bo"', '(n_a, 1)'] },
    { what: 'LSTM parameters missing Wy', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, without(v.lp, 'Wy') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"Wy"', '(n_y, n_a)'] },
    {
      what: 'cached parameters missing Wax',
      call: (v) => {
        const [list, x] = rnnCaches(v);
        return rnn_backward(v.da, [list.map((c) => [c[0], c[1], c[2], without(v.rp, 'Wax')]), x] as Any);
      },
      error: TypeError,
      code: 'ERR_RNN_MISSING_KEY',
      contains: ['caches[0][0][3] (parameters)', '"Wax"', '(n_a, n_x)'],
    },
    // --- wrong rank
    { what: 'x of rank 2 for rnn_forward', call: (v) => rnn_forward(v.xt, v.a0, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['x must have 3 dimensions', '(n_x, m, T_x)', '(3, 10)'] },
    { what: 'xt of rank 3 for lstm_cell_forward', call: (v) => lstm_cell_forward(v.x, v.a_prev, v.c_prev, v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['xt must have 2 dimensions', '(n_x, m)', '(3, 10, 4)'] },
    { what: 'da of rank 2 for rnn_backward', call: (v) => rnn_backward(v.da_next, rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have 3 dimensions', '(5, 10)'] },
    // --- not an array
    { what: 'x a string', call: (v) => rnn_forward('abc' as Any, v.a0, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['x must be', 'the string "abc"'] },
    { what: 'a0 null', call: (v) => rnn_forward(v.x, null as Any, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['a0 must be', 'null'] },
    { what: 'a_prev undefined', call: (v) => lstm_cell_forward(v.xt, undefined as Any, v.c_prev, v.lp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['a_prev must be', 'undefined'] },
    { what: 'x an object without data', call: (v) => lstm_forward({ shape: [3, 10, 4] } as Any, v.a0, v.lp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['x must be', 'an object'] },
    { what: 'Wax.data a string', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wax: { data: 'abc', shape: [5, 3] } as Any }), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['Wax.data must be a Float64Array, Float32Array or number[]'] },
    { what: 'nested x with a string entry', call: (v) => rnn_forward(((n) => ((n[0][1][2] = 'a'), n))(toNested(v.x) as Any), v.a0, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['x[0][1][2] must be a number', 'the string "a"'] },
    { what: 'number[] data with null', call: (v) => rnn_forward(v.x, { data: [...v.a0.data.slice(0, 49), null], shape: [5, 10] } as Any, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['a0.data[49] must be a number', 'null'] },
    // --- dimensions that disagree with each other
    { what: 'a0 with n_a ≠ the weights', call: (v) => rnn_forward(v.x, arr([4, 10]), v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0 must have shape (5, 10) (n_a, m); got (4, 10)'] },
    { what: 'LSTM a0 with n_a ≠ the weights', call: (v) => lstm_forward(v.x, arr([6, 10]), v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0', '(5, 10)', '(6, 10)'] },
    { what: 'a0 with m ≠ x', call: (v) => rnn_forward(v.x, arr([5, 9]), v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0', '(5, 10)', '(5, 9)'] },
    { what: 'c_prev with m ≠ xt', call: (v) => lstm_cell_forward(v.xt, v.a_prev, arr([5, 11]), v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['c_prev', '(5, 10)', '(5, 11)'] },
    // In a backward pass the caches come from the forward pass: they fix n_x, n_a, m and T_x, so
    // a gradient that disagrees with them is the gradient's error, whichever dimension differs.
    { what: 'rnn_backward: da with m ≠ the caches', call: (v) => rnn_backward(arr([5, 9, 4]), rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (5, 9, 4)'] },
    { what: 'rnn_backward: da with T_x ≠ the caches', call: (v) => rnn_backward(arr([5, 10, 3]), rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (5, 10, 3)'] },
    { what: 'rnn_backward: da with n_a ≠ the caches', call: (v) => rnn_backward(arr([4, 10, 4]), rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (4, 10, 4)'] },
    { what: 'rnn_backward: da with T_x = 0 for caches of 4 steps', call: (v) => rnn_backward(arr([5, 10, 0]), rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4)', 'got (5, 10, 0)'] },
    { what: 'rnn_backward: da with T_x = 2 for empty caches', call: (v) => rnn_backward(arr([5, 10, 2]), rnn_forward(arr([3, 10, 0]), v.a0, v.rp)[2]), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 0) (n_a, m, T_x) to match caches (0 step caches, x of shape (3, 10, 0)); got (5, 10, 2)'] },
    { what: 'lstm_backward: da with T_x ≠ the caches', call: (v) => lstm_backward(arr([5, 10, 5]), lstmCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (5, 10, 5)'] },
    { what: 'lstm_backward: da with m ≠ the caches', call: (v) => lstm_backward(arr([5, 3, 4]), lstmCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (5, 3, 4)'] },
    { what: 'lstm_backward: da with n_a ≠ the caches', call: (v) => lstm_backward(arr([4, 10, 4]), lstmCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have shape (5, 10, 4) (n_a, m, T_x) to match caches (4 step caches); got (4, 10, 4)'] },
    { what: 'lstm_cell_backward: dc_next with m ≠ the cache', call: (v) => lstm_cell_backward(v.da_next, arr([5, 9]), lstmCache(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['dc_next must have shape (5, 10) (n_a, m) to match cache; got (5, 9)'] },
    { what: 'lstm_cell_backward: dc_next with n_a ≠ the cache', call: (v) => lstm_cell_backward(v.da_next, arr([6, 10]), lstmCache(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['dc_next must have shape (5, 10) (n_a, m) to match cache; got (6, 10)'] },
    { what: 'lstm_cell_backward: da_next with n_a ≠ the cache (dc_next agreeing with it)', call: (v) => lstm_cell_backward(arr([4, 10]), arr([4, 10]), lstmCache(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da_next must have shape (5, 10) (n_a, m) to match cache; got (4, 10)'] },
    { what: 'rnn_cell_backward: da_next with m ≠ the cache', call: (v) => rnn_cell_backward(arr([5, 4]), rnnCache(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da_next must have shape (5, 10) (n_a, m) to match cache; got (5, 4)'] },
    { what: 'rnn_cell_backward: da_next with n_a ≠ the cache', call: (v) => rnn_cell_backward(arr([4, 10]), rnnCache(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da_next must have shape (5, 10) (n_a, m) to match cache; got (4, 10)'] },
    // Within the caches, the first step's xt (n_x, m) and cached weights (n_a) are the reference.
    {
      what: 'rnn_backward: one step cache with another m',
      call: (v) => {
        const [list, x] = rnnCaches(v);
        const steps = list.map((c) => c.slice() as typeof c);
        steps[2][0] = arr([5, 9]);
        return rnn_backward(v.da, [steps, x]);
      },
      error: RangeError,
      code: 'ERR_RNN_SHAPE',
      contains: ['caches[0][2][0] (a_next) must have shape (5, 10) (n_a, m) to match caches[0][0][2] (xt) and caches[0][0][3] (parameters); got (5, 9)'],
    },
    {
      what: 'lstm_cell_backward: cached Wi of another n_a than the cached Wf',
      call: (v) => {
        const cache = lstmCache(v).slice() as ReturnType<typeof lstmCache>;
        cache[9] = { ...v.lp, Wi: arr([4, 8]) };
        return lstm_cell_backward(v.da_next, v.dc_next, cache);
      },
      error: RangeError,
      code: 'ERR_RNN_SHAPE',
      contains: ['cache[9] (parameters)["Wi"] must have shape (5, 8) (n_a, n_a+n_x); got (4, 8)'],
    },
    // --- parameters not an object
    { what: 'parameters a string', call: (v) => rnn_forward(v.x, v.a0, 'params' as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['parameters must be an object', 'the string "params"'] },
    { what: 'parameters null', call: (v) => lstm_forward(v.x, v.a0, null as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['parameters must be an object', 'null'] },
    { what: 'parameters an array', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, [v.lp] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['parameters must be an object', 'an array of length 1'] },
    { what: 'cached parameters a number', call: (v) => rnn_cell_backward(v.da_next, [...rnnCache(v).slice(0, 3), 42] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['cache[3] (parameters) must be an object', 'number 42'] },
    // --- caches not a pair, cache tuples of the wrong length
    { what: 'caches: the list without x', call: (v) => rnn_backward(v.da, rnnCaches(v)[0] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches must be the [caches, x] pair that rnn_forward returns', 'an array of length 4'] },
    { what: 'caches: a one-element array', call: (v) => lstm_backward(v.da, [lstmCaches(v)[0]] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches must be the [caches, x] pair that lstm_forward returns', 'an array of length 1'] },
    { what: 'caches: an object', call: (v) => lstm_backward(v.da, {} as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches must be', 'an object'] },
    { what: 'RNN cache of 3 entries', call: (v) => rnn_cell_backward(v.da_next, rnnCache(v).slice(0, 3) as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['cache must be a cache tuple (a_next, a_prev, xt, parameters)', 'an array of length 3'] },
    { what: 'LSTM step cache of 9 entries', call: (v) => { const [l, x] = lstmCaches(v); l[2] = l[2].slice(0, 9) as Any; return lstm_backward(v.da, [l, x]); }, error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches[0][2] must be a cache tuple (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)', 'an array of length 9'] },
    { what: 'RNN cache given to lstm_cell_backward', call: (v) => lstm_cell_backward(v.da_next, v.dc_next, rnnCache(v) as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['cache must be a cache tuple (a_next, c_next', 'an array of length 4'] },
    // --- ragged nested arrays
    { what: 'ragged nested x', call: (v) => rnn_forward(((n) => (n[1][3].pop(), n))(toNested(v.x) as Any), v.a0, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['x is a ragged nested array', 'x[1][3] must be an array of length 4', 'length 3'] },
    { what: 'ragged nested a0 (a number for a row)', call: (v) => rnn_forward(v.x, ((n) => ((n[2] = 5), n))(toNested(v.a0) as Any), v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0 is a ragged nested array', 'a0[2] must be an array of length 10', 'number 5'] },
    { what: 'nested array deeper in a later entry', call: () => sigmoid([1, [2]]), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['z[1] must be a number', 'an array of length 1'] },
    // --- bad shape entries, data length
    { what: 'non-integer shape entry', call: (v) => rnn_forward({ data: v.x.data, shape: [3, 10, 4.5] }, v.a0, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['x.shape must hold non-negative integers', '[3, 10, 4.5]'] },
    { what: 'negative shape entry', call: (v) => rnn_forward(v.x, { data: v.a0.data, shape: [-5, -10] }, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0.shape must hold non-negative integers', '[-5, -10]'] },
    { what: 'NaN shape entry', call: (v) => lstm_forward(v.x, { data: v.a0.data, shape: [5, NaN] }, v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0.shape must hold non-negative integers', '[5, NaN]'] },
    { what: 'shape not an array', call: (v) => rnn_forward(v.x, { data: v.a0.data, shape: '5,10' } as Any, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['a0.shape must be an array of integers', 'the string "5,10"'] },
    { what: 'data length ≠ shape', call: (v) => rnn_forward(v.x, { data: new Float64Array(49), shape: [5, 10] }, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0.data has 49 elements but shape (5, 10) needs 50'] },
    { what: 'number[] data length ≠ shape', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wy: { data: [1, 2, 3], shape: [2, 5] } }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wy.data has 3 elements but shape (2, 5) needs 10'] },
    { what: 'strided view out of bounds', call: (v) => rnn_forward(v.x, { data: v.a0.data, shape: [5, 10], stride: [10, 1], offset: 1 }, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0', 'outside data of length 50'] },
    { what: 'stride of the wrong length', call: (v) => rnn_forward(v.x, { data: v.a0.data, shape: [5, 10], stride: [1] }, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0.stride must be 2 integers', '(5, 10)'] },
    { what: 'more elements than an array can hold', call: () => sigmoid({ data: [], shape: [2 ** 20, 2 ** 20] }), error: RangeError, code: 'ERR_RNN_SIZE', contains: ['z with shape (1048576, 1048576)', 'more than 4294967295 elements'] },
    // --- activations
    { what: 'softmax of a scalar', call: () => softmax(3), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['z must have at least 1 dimension', '()'] },
    { what: 'sigmoid of a string', call: () => sigmoid('z' as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['z must be', 'the string "z"'] },
    // --- backend names
    { what: 'setBackend with an unknown name', call: () => setBackend('gpu' as BackendName), error: TypeError, code: 'ERR_RNN_BACKEND', contains: ['backend name must be one of native, wasm, js', 'the string "gpu"'] },
    { what: 'setBackend with no name', call: () => setBackend(undefined as Any), error: TypeError, code: 'ERR_RNN_BACKEND', contains: ['backend name must be one of', 'undefined'] },
  ];
}

/**
 * Defines the malformed-calls suite on `api` (the entry under test), once per backend of
 * `backends`; `title` is the describe title, with %s for the backend.
 */
export function defineMalformedCalls(api: Api, backends: readonly BackendName[], title: string): void {
  const { getBackend, lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, rnn_backward, rnn_forward, setBackend, sigmoid, softmax } = api;
  const ROWS = malformedCalls(api);
  const lstmCache = (v: Valid) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3];

  /** Everything a correct call returns, for comparison before and after the failures. */
  function correctCalls(v: Valid) {
    const [a, y, rc] = rnn_forward(v.x, v.a0, v.rp);
    const rg = rnn_backward(v.da, rc);
    const [la, ly, lc, lcs] = lstm_forward(v.x, v.a0, v.lp);
    const lg = lstm_backward(v.da, lcs);
    const cg = lstm_cell_backward(v.da_next, v.dc_next, lstmCache(v));
    return { a, y, ...prefix('rnn.', { ...rg }), la, ly, lc, ...prefix('lstm.', { ...lg }), ...prefix('cell.', { ...cg }), s: softmax(v.z), g: sigmoid(v.z) };
  }
  function prefix(p: string, o: Record<string, NDArray>) {
    return Object.fromEntries(Object.entries(o).map(([k, val]) => [p + k, val]));
  }

  describe.each(backends)(title, (backend) => {
    let baseline: Record<string, NDArray> | undefined;

    beforeEach(() => {
      setBackend(backend);
      baseline ??= correctCalls(valid());
    });

    test('the table covers at least 30 malformed calls', () => {
      expect(ROWS.length).toBeGreaterThanOrEqual(30);
      expect(new Set(ROWS.map((r) => r.what)).size).toBe(ROWS.length);
    });

    test.each(ROWS.map((r) => [r.what, r] as const))('%s', (_, row) => {
      const v = valid();
      let thrown: unknown;
      try {
        row.call(v);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, 'the call must throw').toBeDefined();
      expect(thrown).toBeInstanceOf(row.error);
      const err = thrown as Error & { code?: string };
      expect(err.constructor).toBe(row.error); // TypeError vs RangeError exactly
      expect(err.code).toBe(row.code);
      for (const part of row.contains) expect(err.message).toContain(part);

      // The module stays fully usable on the same backend, with unchanged results.
      expect(getBackend()).toBe(backend);
      const after = correctCalls(valid());
      expect(Object.keys(after)).toEqual(Object.keys(baseline!));
      for (const [key, value] of Object.entries(after)) {
        expect(value.shape, key).toEqual(baseline![key].shape);
        expect(sameValues(value.data, baseline![key].data), `${key} changed after a failed call`).toBe(true);
      }
    });
  });
}
