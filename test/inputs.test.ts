/**
 * Input forms and ownership: NDArray (Float64Array), Float32Array data, number[] data, nested
 * JS arrays and scijs-style {data, shape, stride, offset} views all give identical results;
 * outputs are fresh Float64Array NDArrays; inputs are never mutated; NaN and ±Infinity
 * propagate as NumPy's would.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import {
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
  type ArrayInput,
  type NDArray,
} from '../ts/index.js';
import { BACKENDS, makeRng, sameValues, sizeOf, snapshot, toNested, type Dims } from './helpers.js';

const D: Dims = { n_x: 3, n_a: 4, n_y: 2, m: 5, T_x: 3 };

/** Values exactly representable in float32, so a Float32Array copy holds the same numbers. */
function f32randn(seed: number, shape: number[], scale = 0.5): NDArray {
  const rng = makeRng(seed);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(scale * rng.normal());
  return { data, shape };
}

/** The arguments of every function, as C-ordered float64 NDArrays. */
function baseInputs() {
  const { n_x, n_a, n_y, m, T_x } = D;
  let seed = 100;
  const r = (shape: number[]) => f32randn(seed++, shape);
  const rp: Record<string, NDArray> = { Wax: r([n_a, n_x]), Waa: r([n_a, n_a]), Wya: r([n_y, n_a]), ba: r([n_a, 1]), by: r([n_y, 1]) };
  const lp: Record<string, NDArray> = {};
  for (const g of ['f', 'i', 'c', 'o']) {
    lp[`W${g}`] = r([n_a, n_a + n_x]);
    lp[`b${g}`] = r([n_a, 1]);
  }
  lp.Wy = r([n_y, n_a]);
  lp.by = r([n_y, 1]);
  return {
    x: r([n_x, m, T_x]),
    a0: r([n_a, m]),
    xt: r([n_x, m]),
    a_prev: r([n_a, m]),
    c_prev: r([n_a, m]),
    da: r([n_a, m, T_x]),
    da_next: r([n_a, m]),
    dc_next: r([n_a, m]),
    z: r([n_y, m, T_x]),
    rp,
    lp,
  };
}
type Inputs = ReturnType<typeof baseInputs>;
type Form = (a: NDArray) => ArrayInput;

function cStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let step = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = step;
    step *= shape[k];
  }
  return s;
}

/** The same values in Fortran order with matching strides: a transposed view (all axes reversed). */
function transposedView(a: NDArray): ArrayInput {
  const rank = a.shape.length;
  const stride = new Array<number>(rank);
  let step = 1;
  for (let k = 0; k < rank; k++) {
    stride[k] = step;
    step *= a.shape[k];
  }
  const c = cStrides(a.shape);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    let rest = i;
    let at = 0;
    for (let k = 0; k < rank; k++) {
      const idx = Math.floor(rest / c[k]);
      rest -= idx * c[k];
      at += idx * stride[k];
    }
    data[at] = a.data[i];
  }
  return { data, shape: a.shape.slice(), stride, offset: 0 };
}

const JUNK = 7;
/** The values after JUNK NaNs (and followed by NaNs) in a number[] buffer, reached through `offset`. */
function offsetView(a: NDArray): ArrayInput {
  const data = [...new Array<number>(JUNK).fill(NaN), ...a.data, NaN, NaN];
  return { data, shape: a.shape.slice(), stride: cStrides(a.shape), offset: JUNK };
}

/** Axis 0 reversed in memory, read back with a negative stride (as scijs `.step(-1)` gives). */
function flippedView(a: NDArray): ArrayInput {
  const c = cStrides(a.shape);
  const n0 = a.shape[0];
  const block = c[0];
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < n0; i++) data.set(a.data.subarray(i * block, (i + 1) * block), (n0 - 1 - i) * block);
  return { data, shape: a.shape.slice(), stride: [-c[0], ...c.slice(1)], offset: (n0 - 1) * c[0] };
}

const FORMS: [string, Form][] = [
  ['NDArray (Float64Array)', (a) => ({ data: Float64Array.from(a.data), shape: a.shape.slice() })],
  ['Float32Array data', (a) => ({ data: Float32Array.from(a.data), shape: a.shape.slice() })],
  ['number[] data', (a) => ({ data: Array.from(a.data), shape: a.shape.slice() })],
  ['nested JS arrays', (a) => toNested(a) as ArrayInput],
  ['scijs view, C strides given', (a) => ({ data: Float64Array.from(a.data), shape: a.shape.slice(), stride: cStrides(a.shape), offset: 0 })],
  ['scijs transposed view', transposedView],
  ['scijs offset view', offsetView],
  ['scijs flipped view (negative stride)', flippedView],
];

function convert(inp: Inputs, form: Form) {
  const map = (o: Record<string, NDArray>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, form(v)]));
  return {
    x: form(inp.x),
    a0: form(inp.a0),
    xt: form(inp.xt),
    a_prev: form(inp.a_prev),
    c_prev: form(inp.c_prev),
    da: form(inp.da),
    da_next: form(inp.da_next),
    dc_next: form(inp.dc_next),
    z: form(inp.z),
    rp: map(inp.rp),
    lp: map(inp.lp),
  };
}
type Converted = ReturnType<typeof convert>;

/** Every function once; returns every output array by name. */
function runAll(v: Converted): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  const put = (prefix: string, o: Record<string, NDArray>) => {
    for (const [k, val] of Object.entries(o)) out[`${prefix}.${k}`] = val;
  };
  out.softmax = softmax(v.z);
  out.sigmoid = sigmoid(v.z);
  const [a, y, rc] = rnn_forward(v.x, v.a0, v.rp);
  put('rnn_forward', { a, y });
  put('rnn_backward', { ...rnn_backward(v.da, rc) });
  const [an, yt, cache] = rnn_cell_forward(v.xt, v.a_prev, v.rp);
  put('rnn_cell_forward', { an, yt });
  put('rnn_cell_backward', { ...rnn_cell_backward(v.da_next, cache) });
  const [la, ly, lc, lcs] = lstm_forward(v.x, v.a0, v.lp);
  put('lstm_forward', { la, ly, lc });
  put('lstm_backward', { ...lstm_backward(v.da, lcs) });
  const [lan, lcn, lyt, lcache] = lstm_cell_forward(v.xt, v.a_prev, v.c_prev, v.lp);
  put('lstm_cell_forward', { lan, lcn, lyt });
  put('lstm_cell_backward', { ...lstm_cell_backward(v.da_next, v.dc_next, lcache) });
  return out;
}

function expectIdentical(got: Record<string, NDArray>, exp: Record<string, NDArray>): void {
  expect(Object.keys(got)).toEqual(Object.keys(exp));
  for (const key of Object.keys(exp)) {
    expect(got[key].shape, key).toEqual(exp[key].shape);
    expect(sameValues(got[key].data, exp[key].data), `${key} differs`).toBe(true);
  }
}

describe.each(BACKENDS)('input forms on the %s backend', (backend) => {
  beforeEach(() => {
    setBackend(backend);
  });

  const base = baseInputs();
  const reference = () => runAll(convert(base, FORMS[0][1]));

  test('the transposed, offset and flipped views really are non-trivial layouts', () => {
    const t = transposedView(base.rp.Wax) as unknown as { data: Float64Array; stride: number[] };
    expect(t.stride).toEqual([1, D.n_a]);
    expect(sameValues(t.data, base.rp.Wax.data)).toBe(false);
    const f = flippedView(base.a0) as unknown as { data: Float32Array; offset: number };
    expect(f.offset).toBeGreaterThan(0);
    expect(sameValues(f.data, base.a0.data)).toBe(false);
  });

  test.each(FORMS.slice(1))('%s gives results identical to NDArray inputs', (_, form) => {
    expectIdentical(runAll(convert(base, form)), reference());
  });

  test('mixed forms within one call (parameters dict of different forms) give identical results', () => {
    const mixed = convert(base, FORMS[0][1]);
    const keys = Object.keys(base.rp);
    keys.forEach((k, i) => (mixed.rp[k] = FORMS[i % FORMS.length][1](base.rp[k])));
    Object.keys(base.lp).forEach((k, i) => (mixed.lp[k] = FORMS[(i + 3) % FORMS.length][1](base.lp[k])));
    mixed.x = transposedView(base.x);
    mixed.a0 = toNested(base.a0) as ArrayInput;
    mixed.da = offsetView(base.da);
    expectIdentical(runAll(mixed), reference());
  });

  test('a scijs leading-block view (ndarray.hi) over a longer buffer is accepted', () => {
    // ndarray(buffer, [n_a + 2, m]).hi(n_a, m): C strides, offset 0, buffer longer than the view.
    const { n_a, m } = D;
    const buffer = new Float64Array((n_a + 2) * m).fill(NaN);
    buffer.set(base.a0.data);
    const view = { data: buffer, shape: [n_a, m], stride: [m, 1], offset: 0 };
    const [a] = rnn_forward(base.x, view, base.rp);
    const [aRef] = rnn_forward(base.x, base.a0, base.rp);
    expect(sameValues(a.data, aRef.data)).toBe(true);
  });

  test.each(FORMS)('%s inputs are never mutated', (_, form) => {
    const v = convert(base, form);
    const before = snapshot(v);
    runAll(v);
    expect(snapshot(v)).toEqual(before);
  });

  test('outputs are fresh Float64Array NDArrays: mutating them does not affect inputs or later calls', () => {
    const v = convert(base, FORMS[0][1]);
    const inputBuffers = new Set<ArrayBufferLike>();
    const collect = (o: unknown): void => {
      if (ArrayBuffer.isView(o)) inputBuffers.add(o.buffer);
      else if (o !== null && typeof o === 'object') Object.values(o).forEach(collect);
    };
    collect(v);
    const before = snapshot(v);
    const first = runAll(v);
    // Outputs of one call may be views of one allocation, but never of the same memory.
    const regions: [ArrayBufferLike, number, number, string][] = [];
    for (const [key, out] of Object.entries(first)) {
      expect(out.data, key).toBeInstanceOf(Float64Array);
      expect(Array.isArray(out.shape), key).toBe(true);
      expect(out.data.length, key).toBe(sizeOf(out.shape));
      expect(inputBuffers.has(out.data.buffer), `${key} aliases an input`).toBe(false);
      const [start, end] = [out.data.byteOffset, out.data.byteOffset + out.data.byteLength];
      for (const [buffer, s, e, other] of regions) {
        const overlaps = buffer === out.data.buffer && start < e && s < end;
        expect(overlaps, `${key} overlaps ${other}`).toBe(false);
      }
      regions.push([out.data.buffer, start, end, key]);
    }
    const expected = snapshot(first);
    for (const out of Object.values(first)) {
      out.data.fill(12345);
      out.shape.push(99);
    }
    expect(snapshot(v)).toEqual(before);
    const again = runAll(v);
    expect(snapshot(again)).toEqual(expected);
  });

  test('forward caches are independent of the returned outputs', () => {
    const [a, , caches] = rnn_forward(base.x, base.a0, base.rp);
    const g0 = rnn_backward(base.da, caches);
    a.data.fill(0);
    const g1 = rnn_backward(base.da, caches);
    expectIdentical({ ...g1 }, { ...g0 });
    const [la, ly, lc, lcaches] = lstm_forward(base.x, base.a0, base.lp);
    const h0 = lstm_backward(base.da, lcaches);
    for (const o of [la, ly, lc]) o.data.fill(0);
    const h1 = lstm_backward(base.da, lcaches);
    expectIdentical({ ...h1 }, { ...h0 });
  });
});

describe.each(BACKENDS)('NaN and ±Infinity on the %s backend', (backend) => {
  beforeEach(() => {
    setBackend(backend);
  });

  test('sigmoid: sigmoid(-Infinity) = 0, sigmoid(Infinity) = 1, NaN stays NaN', () => {
    // 1 / (1 + exp(-z)): exp(Infinity) = Infinity, so 1 / Infinity = 0; exp(-Infinity) = 0, so 1 / 1 = 1.
    const s = sigmoid([-Infinity, Infinity, NaN, 0, -1000, 1000]);
    expect(Array.from(s.data)).toEqual([0, 1, NaN, 0.5, 0, 1]);
    expect(s.shape).toEqual([6]);
  });

  test('softmax: a NaN column gives NaN in that column only; infinities as NumPy', () => {
    // Columns: [NaN, 1, 2] → all NaN (max is NaN); [0, 0, 0] → 1/3 each;
    // [-Inf, 0, 0] → [0, 1/2, 1/2]; [1000, 0, -1000] → [1, 0, 0] (stable);
    // [Inf, 0, 0] → all NaN (Inf - Inf is NaN, and the column sum is NaN).
    const z = [
      [NaN, 0, -Infinity, 1000, Infinity],
      [1, 0, 0, 0, 0],
      [2, 0, 0, -1000, 0],
    ];
    const s = softmax(z);
    expect(s.shape).toEqual([3, 5]);
    const col = (j: number) => [0, 1, 2].map((i) => s.data[i * 5 + j]);
    expect(col(0)).toEqual([NaN, NaN, NaN]);
    expect(col(1)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(col(2)).toEqual([0, 0.5, 0.5]);
    expect(col(3)).toEqual([1, 0, 0]);
    expect(col(4)).toEqual([NaN, NaN, NaN]);
  });

  /** `(n, m, T)` entry access. */
  const at = (a: NDArray, i: number, j: number, t: number) => a.data[(i * a.shape[1] + j) * a.shape[2] + t];

  /**
   * With one NaN at x[i0, j0, t0], every state of example j0 from step t0 on is NaN (NaN · w is
   * NaN for every weight, even 0), and everything else is exactly the NaN-free result.
   */
  function expectNaNPropagation(clean: NDArray[], dirty: NDArray[], j0: number, t0: number): void {
    for (let k = 0; k < clean.length; k++) {
      const [n, m, T] = clean[k].shape;
      expect(dirty[k].shape).toEqual(clean[k].shape);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          for (let t = 0; t < T; t++) {
            const got = at(dirty[k], i, j, t);
            if (j === j0 && t >= t0) expect(got, `output ${k} [${i}, ${j}, ${t}]`).toBeNaN();
            else expect(got, `output ${k} [${i}, ${j}, ${t}]`).toBe(at(clean[k], i, j, t));
          }
        }
      }
    }
  }

  test('a NaN in x makes exactly the affected RNN and LSTM outputs NaN', () => {
    const base = baseInputs();
    const dirtyX = { data: Float64Array.from(base.x.data), shape: base.x.shape.slice() };
    const [i0, j0, t0] = [1, 2, 1];
    dirtyX.data[(i0 * D.m + j0) * D.T_x + t0] = NaN;
    const [a, y] = rnn_forward(base.x, base.a0, base.rp);
    const [da, dy] = rnn_forward(dirtyX, base.a0, base.rp);
    expectNaNPropagation([a, y], [da, dy], j0, t0);
    const [la, ly, lc] = lstm_forward(base.x, base.a0, base.lp);
    const [dla, dly, dlc] = lstm_forward(dirtyX, base.a0, base.lp);
    expectNaNPropagation([la, ly, lc], [dla, dly, dlc], j0, t0);
  });

  test('an infinite input saturates tanh: a[r, j0, t0] = sign(Wax[r, i0]) exactly', () => {
    const base = baseInputs();
    const x = { data: Float64Array.from(base.x.data), shape: base.x.shape.slice() };
    const [i0, j0, t0] = [0, 3, 2];
    x.data[(i0 * D.m + j0) * D.T_x + t0] = Infinity;
    const [a, y] = rnn_forward(x, base.a0, base.rp);
    for (let r = 0; r < D.n_a; r++) {
      const w = base.rp.Wax.data[r * D.n_x + i0];
      expect(w).not.toBe(0);
      expect(at(a, r, j0, t0)).toBe(Math.sign(w));
    }
    expect(a.data.every(Number.isFinite)).toBe(true);
    expect(y.data.every(Number.isFinite)).toBe(true);
  });
});
