/**
 * Malformed calls on the Node entry, on every backend: the shared table of test/shared/errors.ts
 * (each call throws the documented error class and code with a message that names the argument
 * and gives the expected shape, before any work; afterwards the module is fully usable). Also
 * documents the zero-size behaviour.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import * as api from '../ts/index.js';
import { lstm_backward, lstm_forward, rnn_backward, rnn_forward, setBackend, sigmoid, softmax, type NDArray, type RnnCaches } from '../ts/index.js';
import { BACKENDS, lstmParams, makeRng, maxAbsDiff, randn, rnnParams, toNested, type Dims } from './helpers.js';
import { D, arr, defineMalformedCalls } from './shared/errors.js';

defineMalformedCalls(api, BACKENDS, 'malformed calls on the %s backend');

describe.each(BACKENDS)('zero-size inputs on the %s backend', (backend) => {
  beforeEach(() => {
    setBackend(backend);
  });
  const rng = makeRng(11);
  const rp = rnnParams(rng, D);
  const lp = lstmParams(rng, D);
  const empty = (shape: number[]): NDArray => ({ data: new Float64Array(0), shape });
  const expectZeros = (a: NDArray, shape: number[], key: string) => {
    expect(a.shape, key).toEqual(shape);
    expect(a.data, key).toBeInstanceOf(Float64Array);
    expect(a.data.length, key).toBe(shape.reduce((n, d) => n * d, 1));
    expect(a.data.every((x) => x === 0), `${key} is all zeros`).toBe(true);
  };

  test('m = 0: forward passes return empty arrays of the right shapes; backward gives zero weight gradients', () => {
    const x = empty([3, 0, 4]);
    const a0 = empty([5, 0]);
    const [a, y, caches] = rnn_forward(x, a0, rp);
    expectZeros(a, [5, 0, 4], 'a');
    expectZeros(y, [2, 0, 4], 'y_pred');
    expect(caches[0]).toHaveLength(4);
    expect(caches[0][3][0].shape).toEqual([5, 0]);
    const [la, ly, lc, lcaches] = lstm_forward(x, a0, lp);
    expectZeros(la, [5, 0, 4], 'lstm a');
    expectZeros(ly, [2, 0, 4], 'lstm y');
    expectZeros(lc, [5, 0, 4], 'lstm c');
    expect(lcaches[0]).toHaveLength(4);

    const g = rnn_backward(empty([5, 0, 4]), caches);
    expectZeros(g.dx, [3, 0, 4], 'dx');
    expectZeros(g.da0, [5, 0], 'da0');
    expectZeros(g.dWax, [5, 3], 'dWax');
    expectZeros(g.dWaa, [5, 5], 'dWaa');
    expectZeros(g.dba, [5, 1], 'dba');
    const lg = lstm_backward(empty([5, 0, 4]), lcaches);
    expectZeros(lg.dx, [3, 0, 4], 'lstm dx');
    expectZeros(lg.da0, [5, 0], 'lstm da0');
    for (const gate of ['f', 'i', 'c', 'o']) {
      expectZeros(lg[`dW${gate}` as 'dWf'], [5, 8], `dW${gate}`);
      expectZeros(lg[`db${gate}` as 'dbf'], [5, 1], `db${gate}`);
    }
  });

  test('T_x = 0: forward passes return empty arrays and an empty cache list', () => {
    const x = empty([3, 10, 0]);
    const a0 = arr([5, 10]);
    const [a, y, caches] = rnn_forward(x, a0, rp);
    expectZeros(a, [5, 10, 0], 'a');
    expectZeros(y, [2, 10, 0], 'y_pred');
    expect(caches).toHaveLength(2);
    expect(caches[0]).toEqual([]);
    expect(caches[1].shape).toEqual([3, 10, 0]);
    const [la, ly, lc, lcaches] = lstm_forward(x, a0, lp);
    expectZeros(la, [5, 10, 0], 'lstm a');
    expectZeros(ly, [2, 10, 0], 'lstm y');
    expectZeros(lc, [5, 10, 0], 'lstm c');
    expect(lcaches[0]).toEqual([]);
  });

  test('T_x = 0: backward passes return exact zero gradients of the right shapes (NumPy raises IndexError)', () => {
    const x = empty([3, 10, 0]);
    const a0 = arr([5, 10]);
    const da = empty([5, 10, 0]);
    const g = rnn_backward(da, rnn_forward(x, a0, rp)[2]);
    expect(Object.keys(g).sort()).toEqual(['dWaa', 'dWax', 'da0', 'dba', 'dx']);
    expectZeros(g.dx, [3, 10, 0], 'dx');
    expectZeros(g.da0, [5, 10], 'da0');
    expectZeros(g.dWax, [5, 3], 'dWax');
    expectZeros(g.dWaa, [5, 5], 'dWaa');
    expectZeros(g.dba, [5, 1], 'dba');
    const lg = lstm_backward(da, lstm_forward(x, a0, lp)[3]);
    expect(Object.keys(lg).sort()).toEqual(['dWc', 'dWf', 'dWi', 'dWo', 'da0', 'dbc', 'dbf', 'dbi', 'dbo', 'dx']);
    expectZeros(lg.dx, [3, 10, 0], 'lstm dx');
    expectZeros(lg.da0, [5, 10], 'lstm da0');
    for (const gate of ['f', 'i', 'c', 'o']) {
      expectZeros(lg[`dW${gate}` as 'dWf'], [5, 8], `dW${gate}`);
      expectZeros(lg[`db${gate}` as 'dbf'], [5, 1], `db${gate}`);
    }
    // Hand-built: an empty list and x as a nested array.
    const h = rnn_backward(da, [[], toNested(x)] as unknown as RnnCaches);
    expectZeros(h.dx, [3, 10, 0], 'hand-built dx');
  });

  test('n_x = 0: the input term vanishes (same as n_x = 1 with x = 0)', () => {
    const d1: Dims = { ...D, n_x: 1 };
    const p1 = rnnParams(makeRng(12), d1);
    const p0 = { ...p1, Wax: empty([5, 0]) };
    const a0 = randn(makeRng(13), [5, 10]);
    const [a0out, y0out] = rnn_forward(empty([0, 10, 4]), a0, p0);
    const [a1out, y1out] = rnn_forward(arr([1, 10, 4], 0), a0, p1);
    expect(a0out.shape).toEqual([5, 10, 4]);
    expect(maxAbsDiff(a0out.data, a1out.data)).toBeLessThanOrEqual(1e-14);
    expect(maxAbsDiff(y0out.data, y1out.data)).toBeLessThanOrEqual(1e-14);
  });

  test('n_a = 0: no hidden state, so y_pred is softmax(by) in every column and step; gradients are empty', () => {
    const p = { Wax: empty([0, 3]), Waa: empty([0, 0]), Wya: empty([2, 0]), ba: empty([0, 1]), by: { data: Float64Array.of(1, 2), shape: [2, 1] } };
    const [a, y, caches] = rnn_forward(arr([3, 4, 2]), empty([0, 4]), p);
    expect(a.shape).toEqual([0, 4, 2]);
    expect(y.shape).toEqual([2, 4, 2]);
    // softmax([1, 2]) = [1 / (1 + e), e / (1 + e)]
    const expected = [1 / (1 + Math.E), Math.E / (1 + Math.E)];
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 8; k++) expect(Math.abs(y.data[i * 8 + k] - expected[i])).toBeLessThanOrEqual(1e-15);
    }
    const g = rnn_backward(empty([0, 4, 2]), caches);
    expectZeros(g.dx, [3, 4, 2], 'dx');
    expectZeros(g.da0, [0, 4], 'da0');
    expectZeros(g.dWax, [0, 3], 'dWax');
    expectZeros(g.dWaa, [0, 0], 'dWaa');
    expectZeros(g.dba, [0, 1], 'dba');
  });

  test('softmax of z with zero rows throws RangeError; zero columns give an empty result', () => {
    for (const z of [empty([0, 3]), [] as number[], empty([0, 2, 2])]) {
      let thrown: unknown;
      try {
        softmax(z);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RangeError);
      expect((thrown as { code?: string }).code).toBe('ERR_RNN_SHAPE');
      expect((thrown as Error).message).toContain('z must have at least one row');
    }
    const s = softmax(empty([3, 0]));
    expect(s.shape).toEqual([3, 0]);
    expect(s.data.length).toBe(0);
    const g = sigmoid(empty([0, 4]));
    expect(g.shape).toEqual([0, 4]);
    expect(g.data.length).toBe(0);
  });
});
