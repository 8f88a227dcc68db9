/**
 * Bad input in the browser: a representative set of test/errors.test.ts's malformed calls, on
 * the browser entry after `await init()`, on wasm and js. Each throws the same error class and
 * code with a message naming the argument and the shapes; afterwards the module gives the same
 * results as before. Also: the native backend is refused in a page, with its code.
 */
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  backendErrors,
  getBackend,
  init,
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
  type BackendName,
  type NDArray,
} from 'rnn-wasm';
import { BROWSER_BACKENDS, lstmParams, makeRng, randn, rnnParams, sameValues, toNested, type Dims } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

const D: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 4 };
type Any = any;

function valid() {
  const rng = makeRng(7);
  return {
    x: randn(rng, [D.n_x, D.m, D.T_x]),
    a0: randn(rng, [D.n_a, D.m]),
    xt: randn(rng, [D.n_x, D.m]),
    a_prev: randn(rng, [D.n_a, D.m]),
    c_prev: randn(rng, [D.n_a, D.m]),
    da: randn(rng, [D.n_a, D.m, D.T_x]),
    da_next: randn(rng, [D.n_a, D.m]),
    dc_next: randn(rng, [D.n_a, D.m]),
    z: randn(rng, [D.n_y, D.m]),
    rp: rnnParams(rng, D) as Record<string, Any>,
    lp: lstmParams(rng, D) as Record<string, Any>,
  };
}
type Valid = ReturnType<typeof valid>;

const arr = (shape: number[], fill = 0.5): NDArray => ({ data: new Float64Array(shape.reduce((n, d) => n * d, 1)).fill(fill), shape });
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const rnnCaches = (v: Valid) => rnn_forward(v.x, v.a0, v.rp)[2];
const lstmCaches = (v: Valid) => lstm_forward(v.x, v.a0, v.lp)[3];
const rnnCache = (v: Valid) => rnn_cell_forward(v.xt, v.a_prev, v.rp)[2];
const lstmCache = (v: Valid) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp)[3];

interface Row {
  what: string;
  call: (v: Valid) => unknown;
  error: typeof TypeError | typeof RangeError;
  code: string;
  contains: string[];
}

// The same rows, messages and codes as test/errors.test.ts (one or two of each kind).
const ROWS: Row[] = [
  { what: 'Waa wrong shape', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Waa: arr([5, 4]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Waa must have shape (5, 5) (n_a, n_a); got (5, 4)'] },
  { what: 'ba given as (n_a,)', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, ba: arr([5]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['ba', '(5, 1)', '(5,)'] },
  { what: 'Wf wrong shape', call: (v) => lstm_forward(v.x, v.a0, { ...v.lp, Wf: arr([5, 7]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wf', '(5, 8)', '(5, 7)', 'n_a+n_x'] },
  { what: 'Wc wrong n_a', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, { ...v.lp, Wc: arr([4, 8]) }), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['Wc', '(5, 8)', '(4, 8)'] },
  { what: 'RNN parameters missing Waa', call: (v) => rnn_forward(v.x, v.a0, without(v.rp, 'Waa') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"Waa"', '(n_a, n_a)'] },
  { what: 'LSTM parameters missing bo', call: (v) => lstm_forward(v.x, v.a0, without(v.lp, 'bo') as Any), error: TypeError, code: 'ERR_RNN_MISSING_KEY', contains: ['parameters', '"bo"', '(n_a, 1)'] },
  { what: 'x of rank 2 for rnn_forward', call: (v) => rnn_forward(v.xt, v.a0, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['x must have 3 dimensions', '(n_x, m, T_x)', '(3, 10)'] },
  { what: 'da of rank 2 for rnn_backward', call: (v) => rnn_backward(v.da_next, rnnCaches(v)), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['da must have 3 dimensions', '(5, 10)'] },
  { what: 'x a string', call: (v) => rnn_forward('abc' as Any, v.a0, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['x must be', 'the string "abc"'] },
  { what: 'a0 null', call: (v) => rnn_forward(v.x, null as Any, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['a0 must be', 'null'] },
  { what: 'Wax.data a string', call: (v) => rnn_forward(v.x, v.a0, { ...v.rp, Wax: { data: 'abc', shape: [5, 3] } as Any }), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['Wax.data must be a Float64Array, Float32Array or number[]'] },
  { what: 'nested x with a string entry', call: (v) => rnn_forward(((n) => ((n[0][1][2] = 'a'), n))(toNested(v.x) as Any), v.a0, v.rp), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['x[0][1][2] must be a number', 'the string "a"'] },
  { what: 'a0 with n_a ≠ the weights', call: (v) => rnn_forward(v.x, arr([4, 10]), v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0 must have shape (5, 10) (n_a, m); got (4, 10)'] },
  { what: 'c_prev with m ≠ xt', call: (v) => lstm_cell_forward(v.xt, v.a_prev, arr([5, 11]), v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['c_prev', '(5, 10)', '(5, 11)'] },
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
  { what: 'parameters an array', call: (v) => lstm_cell_forward(v.xt, v.a_prev, v.c_prev, [v.lp] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['parameters must be an object', 'an array of length 1'] },
  { what: 'cached parameters a number', call: (v) => rnn_cell_backward(v.da_next, [...rnnCache(v).slice(0, 3), 42] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['cache[3] (parameters) must be an object', 'number 42'] },
  { what: 'caches: the list without x', call: (v) => rnn_backward(v.da, rnnCaches(v)[0] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches must be the [caches, x] pair that rnn_forward returns', 'an array of length 4'] },
  { what: 'caches: a one-element array', call: (v) => lstm_backward(v.da, [lstmCaches(v)[0]] as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['caches must be the [caches, x] pair that lstm_forward returns', 'an array of length 1'] },
  { what: 'ragged nested x', call: (v) => rnn_forward(((n) => (n[1][3].pop(), n))(toNested(v.x) as Any), v.a0, v.rp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['x is a ragged nested array', 'x[1][3] must be an array of length 4', 'length 3'] },
  { what: 'NaN shape entry', call: (v) => lstm_forward(v.x, { data: v.a0.data, shape: [5, NaN] }, v.lp), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['a0.shape must hold non-negative integers', '[5, NaN]'] },
  { what: 'softmax of a scalar', call: () => softmax(3), error: RangeError, code: 'ERR_RNN_SHAPE', contains: ['z must have at least 1 dimension', '()'] },
  { what: 'sigmoid of a string', call: () => sigmoid('z' as Any), error: TypeError, code: 'ERR_RNN_TYPE', contains: ['z must be', 'the string "z"'] },
  { what: 'setBackend with an unknown name', call: () => setBackend('gpu' as BackendName), error: TypeError, code: 'ERR_RNN_BACKEND', contains: ['backend name must be one of native, wasm, js', 'the string "gpu"'] },
];

function correctCalls(v: Valid): Record<string, NDArray> {
  const [a, y, rc] = rnn_forward(v.x, v.a0, v.rp);
  const rg = rnn_backward(v.da, rc);
  const [la, ly, lc, lcs] = lstm_forward(v.x, v.a0, v.lp);
  const lg = lstm_backward(v.da, lcs);
  const prefix = (p: string, o: Record<string, NDArray>) => Object.fromEntries(Object.entries(o).map(([k, val]) => [p + k, val]));
  return { a, y, ...prefix('rnn.', { ...rg }), la, ly, lc, ...prefix('lstm.', { ...lg }), s: softmax(v.z), g: sigmoid(v.z) };
}

describe.each(BROWSER_BACKENDS)('malformed calls in the browser on the %s backend', (backend) => {
  let baseline: Record<string, NDArray> | undefined;

  beforeEach(() => {
    setBackend(backend);
    baseline ??= correctCalls(valid());
  });

  test.each(ROWS.map((r) => [r.what, r] as const))('%s', (_, row) => {
    let thrown: unknown;
    try {
      row.call(valid());
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'the call must throw').toBeDefined();
    const err = thrown as Error & { code?: string };
    expect(err.constructor).toBe(row.error);
    expect(err.code).toBe(row.code);
    for (const part of row.contains) expect(err.message).toContain(part);

    expect(getBackend()).toBe(backend);
    const after = correctCalls(valid());
    for (const [key, value] of Object.entries(after)) {
      expect(value.shape, key).toEqual(baseline![key].shape);
      expect(sameValues(value.data, baseline![key].data), `${key} changed after a failed call`).toBe(true);
    }
  });

  test("setBackend('native') is refused in a page with ERR_RNN_BACKEND_UNAVAILABLE and keeps the backend", () => {
    expect(backendErrors().native).toEqual(expect.any(String));
    let thrown: unknown;
    try {
      setBackend('native');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string }).code).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(getBackend()).toBe(backend);
  });
});
