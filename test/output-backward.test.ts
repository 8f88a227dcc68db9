/**
 * The `outputBackward` kernel (softmax cross-entropy through the output layer) on every
 * backend: against central differences of a loss computed here from scratch, against the js
 * reference on many shapes, and its handling of padding targets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../ts/backend.js';
import { NO_TARGET } from '../ts/generated/abi.js';
import { activeBackend } from '../ts/registry.js';
import { getBackend, setBackend } from '../ts/index.js';
import { jsBackend } from '../ts/backends/js.js';
import { BACKENDS, makeRng, type Rng } from './helpers.js';

interface Case {
  n_a: number;
  n_y: number;
  m: number;
  T: number;
  a: Float64Array;
  Wy: Float64Array;
  by: Float64Array;
  targets: Float64Array;
}

function fill(rng: Rng, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => scale * rng.normal());
}

function makeCase(n_a: number, n_y: number, m: number, T: number, seed: number): Case {
  const rng = makeRng(seed);
  const targets = Float64Array.from({ length: T * m }, (_, i) =>
    n_y === 0 || i % 5 === 4 ? NO_TARGET : Math.floor(rng.uniform() * n_y),
  );
  return { n_a, n_y, m, T, a: fill(rng, T * n_a * m, 0.8), Wy: fill(rng, n_y * n_a, 1), by: fill(rng, n_y, 0.5), targets };
}

/** `softmax(Wy·a_t + by)` per column, written independently of any backend. */
function outputs(c: Case, a = c.a, Wy = c.Wy, by = c.by): Float64Array {
  const { n_a, n_y, m, T } = c;
  const y = new Float64Array(T * n_y * m);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < m; j++) {
      const z = Array.from({ length: n_y }, (_, i) => {
        let s = by[i];
        for (let k = 0; k < n_a; k++) s += Wy[i * n_a + k] * a[(t * n_a + k) * m + j];
        return s;
      });
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((p, v) => p + v, 0);
      e.forEach((v, i) => (y[(t * n_y + i) * m + j] = v / sum));
    }
  }
  return y;
}

function summedLoss(c: Case, a = c.a, Wy = c.Wy, by = c.by): number {
  const y = outputs(c, a, Wy, by);
  let total = 0;
  for (let t = 0; t < c.T; t++) {
    for (let j = 0; j < c.m; j++) {
      const k = c.targets[t * c.m + j];
      if (k !== NO_TARGET) total -= Math.log(y[(t * c.n_y + k) * c.m + j]);
    }
  }
  return total;
}

function run(backend: Backend, c: Case) {
  const out = {
    loss: new Float64Array(2).fill(NaN),
    dWy: new Float64Array(c.n_y * c.n_a).fill(NaN),
    dby: new Float64Array(c.n_y).fill(NaN),
    da: new Float64Array(c.T * c.n_a * c.m).fill(NaN),
  };
  const dims = { n_a: c.n_a, n_y: c.n_y, m: c.m, t: c.T };
  backend.run('outputBackward', dims, { y: outputs(c), targets: c.targets, a: c.a, wy: c.Wy }, { loss: out.loss, dwy: out.dWy, dby: out.dby, da: out.da });
  return out;
}

function maxRelErr(got: Float64Array, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let scale = 1e-300;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return Number.isNaN(worst) || got.some(Number.isNaN) ? Infinity : worst;
}

function centralDifferences(param: Float64Array, f: () => number, h = 1e-6): Float64Array {
  return param.map((v, i) => {
    param[i] = v + h;
    const plus = f();
    param[i] = v - h;
    const minus = f();
    param[i] = v;
    return (plus - minus) / (2 * h);
  });
}

const initial = getBackend();
afterAll(() => setBackend(initial));

describe.each(BACKENDS)('outputBackward on the %s backend', (name) => {
  const backend = () => {
    setBackend(name);
    return activeBackend();
  };

  it('matches central differences of the summed cross-entropy (padding included)', () => {
    const c = makeCase(6, 5, 4, 3, 11);
    const got = run(backend(), c);
    expect(got.loss[0]).toBeCloseTo(summedLoss(c), 12);
    expect(got.loss[1]).toBe(c.targets.filter((k) => k !== NO_TARGET).length);
    const f = () => summedLoss(c);
    expect(maxRelErr(got.dWy, centralDifferences(c.Wy, f))).toBeLessThan(1e-7);
    expect(maxRelErr(got.dby, centralDifferences(c.by, f))).toBeLessThan(1e-7);
    expect(maxRelErr(got.da, centralDifferences(c.a, f))).toBeLessThan(1e-7);
  });

  it.each([
    [3, 2, 5, 4],
    [1, 1, 1, 1],
    [17, 9, 3, 7],
    [8, 27, 37, 29], // m·T over 1024: the weight gradient accumulates over several runs
    [4, 3, 0, 5],
    [4, 3, 2, 0],
    [0, 3, 2, 2],
    [5, 0, 2, 3],
  ])('agrees with the js reference at n_a=%i n_y=%i m=%i T=%i', (n_a, n_y, m, T) => {
    const c = makeCase(n_a, n_y, m, T, n_a * 1000 + n_y * 100 + m * 10 + T);
    const got = run(backend(), c);
    const want = run(jsBackend, c);
    expect(got.loss[1]).toBe(want.loss[1]);
    for (const key of ['loss', 'dWy', 'dby', 'da'] as const) {
      expect(maxRelErr(got[key], want[key]), key).toBeLessThan(1e-13);
    }
  });

  it('ignores columns without a target entirely', () => {
    const c = makeCase(3, 4, 3, 2, 5);
    c.targets.fill(NO_TARGET);
    const got = run(backend(), c);
    for (const key of ['loss', 'dWy', 'dby', 'da'] as const) expect([...got[key]].every((v) => v === 0)).toBe(true);
  });

  it('throws on a target that is not a class index, and stays usable', () => {
    const c = makeCase(3, 4, 2, 2, 6);
    c.targets[1] = 4;
    expect(() => run(backend(), c)).toThrow();
    c.targets[1] = 0;
    expect(run(backend(), c).loss[1]).toBe(4);
  });
});
