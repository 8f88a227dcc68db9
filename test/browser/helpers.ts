/**
 * The browser suites' helpers: the pure parts of test/helpers.ts (which reads the fixture with
 * node:fs and imports the Node entry, so it cannot load in a page), and the fixture as a JSON
 * import. Same PRNG, builders and comparisons, so the values match the Node suites'.
 */
import type { NDArray } from 'rnn-wasm';
import type { Dims, FixtureArray, FixtureCase, FixtureDict } from '../helpers.js';
import notebook from '../fixtures/notebook.json' with { type: 'json' };

export type { Dims, FixtureArray, FixtureCase, FixtureDict };

/** The notebook fixture's cases (test/fixtures/notebook.json). */
export const CASES = (notebook as unknown as { cases: FixtureCase[] }).cases;

/** The backends a page can run: the wasm module after `init()`, and the js reference. */
export const BROWSER_BACKENDS = ['wasm', 'js'] as const;

/** mulberry32, as test/helpers.ts. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  uniform(): number;
  normal(): number;
}

export function makeRng(seed: number): Rng {
  const u = mulberry32(seed);
  return {
    uniform: u,
    normal() {
      let a = u();
      while (a === 0) a = u();
      const b = u();
      return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
    },
  };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function randn(rng: Rng, shape: number[], scale = 1): NDArray {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = scale * rng.normal();
  return { data, shape: shape.slice() };
}

export function fromFixture(a: FixtureArray): NDArray {
  return { data: Float64Array.from(a.data), shape: a.shape.slice() };
}

export function dictFromFixture(d: FixtureDict): Record<string, NDArray> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, fromFixture(v)]));
}

export function toNested(a: { data: ArrayLike<number>; shape: readonly number[] }): unknown {
  const build = (depth: number, at: number): unknown => {
    if (depth === a.shape.length) return a.data[at];
    const inner = sizeOf(a.shape.slice(depth + 1));
    return Array.from({ length: a.shape[depth] }, (_, i) => build(depth + 1, at + i * inner));
  };
  return build(0, 0);
}

export function sliceT(a: NDArray, t: number): NDArray {
  const [n, m, T] = a.shape;
  const data = new Float64Array(n * m);
  for (let i = 0; i < n * m; i++) data[i] = a.data[i * T + t];
  return { data, shape: [n, m] };
}

export function maxAbs(data: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i]);
    if (!(v <= max)) max = v;
  }
  return max;
}

export function maxAbsDiff(got: ArrayLike<number>, exp: ArrayLike<number>): number {
  if (got.length !== exp.length) return NaN;
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - exp[i]);
    if (!(d <= max)) max = d;
  }
  return max;
}

/** max|got-exp| / max(1e-300, max|exp|): the parity measure of the design. */
export function relErr(got: ArrayLike<number>, exp: ArrayLike<number>): number {
  return maxAbsDiff(got, exp) / Math.max(1e-300, maxAbs(exp));
}

export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

export const GATES = ['f', 'i', 'c', 'o'] as const;

export function rnnParams(rng: Rng, d: Dims, scale = 0.5): Record<string, NDArray> {
  return {
    Wax: randn(rng, [d.n_a, d.n_x], scale),
    Waa: randn(rng, [d.n_a, d.n_a], scale),
    Wya: randn(rng, [d.n_y, d.n_a], scale),
    ba: randn(rng, [d.n_a, 1], scale),
    by: randn(rng, [d.n_y, 1], scale),
  };
}

export function lstmParams(rng: Rng, d: Dims, scale = 0.5): Record<string, NDArray> {
  const p: Record<string, NDArray> = {};
  for (const g of GATES) {
    p[`W${g}`] = randn(rng, [d.n_a, d.n_a + d.n_x], scale);
    p[`b${g}`] = randn(rng, [d.n_a, 1], scale);
  }
  p.Wy = randn(rng, [d.n_y, d.n_a], scale);
  p.by = randn(rng, [d.n_y, 1], scale);
  return p;
}
