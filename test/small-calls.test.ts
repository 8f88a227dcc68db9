/**
 * Small calls take their outputs from a shared slab (ts/outputs.ts) and build error names only
 * when an error needs them. This suite checks what that must not change, on every backend:
 * each call's results stay its own (no later call writes into them), a caller that detaches a
 * result's buffer (transfers it) leaves the module working, small and large calls give the
 * same values as one another and as the js reference bit for bit, and errors still name the
 * exact cache entry or nested element at fault.
 */
import { describe, expect, test } from 'vitest';
import {
  lstm_backward,
  lstm_forward,
  rnn_backward,
  rnn_forward,
  setBackend,
  sigmoid,
  softmax,
  type LstmCaches,
  type NDArray,
} from '../ts/index.js';
import { unfilledFloat64Array } from '../ts/outputs.js';
import { BACKENDS, expectError, lstmParams, makeRng, randn, rnnParams, sameValues, type Dims } from './helpers.js';

const S: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 4 };

function inputs(seed: number, d: Dims = S) {
  const rng = makeRng(seed);
  return {
    x: randn(rng, [d.n_x, d.m, d.T_x]),
    a0: randn(rng, [d.n_a, d.m]),
    da: randn(rng, [d.n_a, d.m, d.T_x]),
    lstm: lstmParams(rng, d),
    rnn: rnnParams(rng, d),
  };
}

const copyOf = (a: NDArray) => Float64Array.from(a.data);

/** Detaches `buffer` the way a transfer to a worker does. */
function detach(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

describe('pooled output buffers', () => {
  test('pieces never overlap and are as long as asked', () => {
    const pieces = [3, 1, 0, 100, 7, 4096, 5].map((n) => unfilledFloat64Array(n));
    pieces.forEach((p, k) => expect(p.length).toBe([3, 1, 0, 100, 7, 4096, 5][k]));
    const ranges = pieces
      .filter((p) => p.length > 0)
      .map((p) => ({ buffer: p.buffer, start: p.byteOffset, end: p.byteOffset + p.byteLength }));
    for (const a of ranges) {
      for (const b of ranges) {
        if (a !== b && a.buffer === b.buffer) expect(a.end <= b.start || b.end <= a.start).toBe(true);
      }
    }
  });

  test('a detached slab is replaced', () => {
    const first = unfilledFloat64Array(8);
    detach(first.buffer);
    const next = unfilledFloat64Array(8);
    expect(next.length).toBe(8);
    expect(unfilledFloat64Array(0).length).toBe(0);
  });
});

describe.each(BACKENDS)('small calls on %s', (backend) => {
  test('results stay their own across many calls', () => {
    setBackend(backend);
    const one = inputs(1);
    const [a, y, c, caches] = lstm_forward(one.x, one.a0, one.lstm);
    const kept = [a, y, c, caches[0][2][4]].map(copyOf);
    const grads = lstm_backward(one.da, caches);
    const keptGrads = [grads.dx, grads.dWf, grads.dbo].map(copyOf);
    // Enough further calls to fill several slabs.
    for (let k = 0; k < 60; k++) {
      const other = inputs(100 + k);
      const [, , , otherCaches] = lstm_forward(other.x, other.a0, other.lstm);
      lstm_backward(other.da, otherCaches);
      rnn_forward(other.x, other.a0, other.rnn);
    }
    [a, y, c, caches[0][2][4]].forEach((arr, k) => expect(sameValues(arr.data, kept[k])).toBe(true));
    [grads.dx, grads.dWf, grads.dbo].forEach((arr, k) => expect(sameValues(arr.data, keptGrads[k])).toBe(true));
  });

  test('the same call gives the same bits every time, as on the js reference', () => {
    const one = inputs(2);
    setBackend('js');
    const [ja, jy] = lstm_forward(one.x, one.a0, one.lstm);
    setBackend(backend);
    const first = lstm_forward(one.x, one.a0, one.lstm);
    for (let k = 0; k < 20; k++) {
      const again = lstm_forward(one.x, one.a0, one.lstm);
      expect(sameValues(again[0].data, first[0].data)).toBe(true);
      expect(sameValues(again[1].data, first[1].data)).toBe(true);
    }
    // Summation order may differ from the js reference's (see the parity suite), nothing more.
    expect(Math.max(...first[0].data.map((v, i) => Math.abs(v - ja.data[i])))).toBeLessThan(1e-13);
    expect(Math.max(...first[1].data.map((v, i) => Math.abs(v - jy.data[i])))).toBeLessThan(1e-13);
  });

  test('a caller that transfers a result buffer leaves the module working', () => {
    setBackend(backend);
    const one = inputs(3);
    const expected = lstm_forward(one.x, one.a0, one.lstm).map((r) => (Array.isArray(r) ? null : copyOf(r)));
    const [a, , , caches] = lstm_forward(one.x, one.a0, one.lstm);
    detach(a.data.buffer);
    expect(a.data.length).toBe(0);
    // The caches of that call were in the detached buffer too: their backward pass is refused.
    expectError(() => lstm_backward(one.da, caches), TypeError, 'ERR_RNN_TYPE', /detached/);
    const again = lstm_forward(one.x, one.a0, one.lstm);
    again.forEach((r, k) => {
      const want = expected[k];
      if (want) expect(sameValues((r as NDArray).data, want)).toBe(true);
    });
    const [, , , fresh] = lstm_forward(one.x, one.a0, one.lstm);
    expect(lstm_backward(one.da, fresh).dx.shape).toEqual([S.n_x, S.m, S.T_x]);
    expect(sigmoid([[0]]).data[0]).toBe(0.5);
    expect(softmax([1, 1]).data).toEqual(Float64Array.of(0.5, 0.5));
  });

  test('a large call after small ones, and small ones after it, agree with fresh runs', () => {
    setBackend(backend);
    const L: Dims = { n_x: 16, n_a: 32, n_y: 3, m: 24, T_x: 12 }; // outputs over 32 KiB
    const big = inputs(4, L);
    const small = inputs(5);
    const [bigA] = rnn_forward(big.x, big.a0, big.rnn);
    const [smallA, , caches] = rnn_forward(small.x, small.a0, small.rnn);
    const grads = rnn_backward(small.da, caches);
    const [bigAgain] = rnn_forward(big.x, big.a0, big.rnn);
    expect(sameValues(bigA.data, bigAgain.data)).toBe(true);
    expect(sameValues(smallA.data, rnn_forward(small.x, small.a0, small.rnn)[0].data)).toBe(true);
    expect(sameValues(grads.dWaa.data, rnn_backward(small.da, caches).dWaa.data)).toBe(true);
  });

  test('errors still name the exact entry at fault', () => {
    setBackend(backend);
    const one = inputs(6);
    const [, , , caches] = lstm_forward(one.x, one.a0, one.lstm);
    const bad = [caches[0].map((step) => step.slice()), caches[1]] as unknown as LstmCaches;
    bad[0][2][5] = { data: new Float64Array(4), shape: [2, 2] };
    expectError(
      () => lstm_backward(one.da, bad),
      RangeError,
      'ERR_RNN_SHAPE',
      /^caches\[0\]\[2\]\[5\] \(it\) must have shape \(5, 10\) \(n_a, m\) to match caches\[0\]\[0\]\[8\] \(xt\) and caches\[0\]\[0\]\[9\] \(parameters\); got \(2, 2\)$/,
    );
    const shortDa = { data: new Float64Array(S.n_a * S.m * 3), shape: [S.n_a, S.m, 3] };
    expectError(() => lstm_backward(shortDa, caches), RangeError, 'ERR_RNN_SHAPE', /to match caches \(4 step caches\); got \(5, 10, 3\)$/);
    bad[0][1] = [] as never;
    expectError(() => lstm_backward(one.da, bad), TypeError, 'ERR_RNN_TYPE', /^caches\[0\]\[1\] must be a cache tuple/);
    const nested = [[[1, 2], [3, 4]], [[5, 6], [7]]];
    expectError(() => sigmoid(nested), RangeError, 'ERR_RNN_SHAPE', /^z is a ragged nested array: z\[1\]\[1\] must be an array of length 2; got length 1$/);
    const notNumber = [[[1, 2], [3, 4]], [[5, 6], [7, 'x']]];
    expectError(() => sigmoid(notNumber as never), TypeError, 'ERR_RNN_TYPE', /^z\[1\]\[1\]\[1\] must be a number; got the string "x"$/);
  });
});
