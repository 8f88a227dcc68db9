/**
 * The environment-neutral test helpers, shared by the Node suites (through test/helpers.ts) and
 * the browser specs (through test/browser/helpers.ts): a seeded PRNG, array builders and
 * comparisons, parameter builders, and the notebook fixture as a JSON import.
 */
import type { NDArray } from '../../ts/index.js';
import notebook from '../fixtures/notebook.json' with { type: 'json' };

// ---------------------------------------------------------------------------------------------
// Seeded PRNG

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). */
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
  /** Standard normal (Box–Muller). */
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

// ---------------------------------------------------------------------------------------------
// Arrays

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A C-ordered float64 array of normal samples times `scale`. */
export function randn(rng: Rng, shape: number[], scale = 1): NDArray {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = scale * rng.normal();
  return { data, shape: shape.slice() };
}

export function fromFixture(a: { shape: number[]; data: number[] }): NDArray {
  return { data: Float64Array.from(a.data), shape: a.shape.slice() };
}

export function clone(a: NDArray): NDArray {
  return { data: Float64Array.from(a.data), shape: a.shape.slice() };
}

/** C-ordered data → plain nested JS arrays (a number for rank 0). */
export function toNested(a: { data: ArrayLike<number>; shape: readonly number[] }): unknown {
  const build = (depth: number, at: number): unknown => {
    if (depth === a.shape.length) return a.data[at];
    const inner = sizeOf(a.shape.slice(depth + 1));
    return Array.from({ length: a.shape[depth] }, (_, i) => build(depth + 1, at + i * inner));
  };
  return build(0, 0);
}

/** `a[:, :, t]` of a rank-3 C-ordered array. */
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
    if (!(v <= max)) max = v; // NaN wins
  }
  return max;
}

/** max |got - exp| (NaN if either holds a NaN where the other does not agree). */
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

/** True when both hold the same values (NaN matches NaN). */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

/** A deep copy of every array reachable from `value` (NDArray data, nested arrays, dicts). */
export function snapshot(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(snapshot);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, snapshot(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Parameters

export interface Dims {
  n_x: number;
  n_a: number;
  n_y: number;
  m: number;
  T_x: number;
}

export const GATES = ['f', 'i', 'c', 'o'] as const;
export const RNN_KEYS = ['Wax', 'Waa', 'Wya', 'ba', 'by'] as const;
export const LSTM_KEYS = ['Wf', 'bf', 'Wi', 'bi', 'Wc', 'bc', 'Wo', 'bo', 'Wy', 'by'] as const;

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

// ---------------------------------------------------------------------------------------------
// Fixtures

export interface FixtureArray {
  shape: number[];
  data: number[];
}
export type FixtureDict = Record<string, FixtureArray>;
export interface FixtureCase {
  name: string;
  dims: Dims;
  weight_scale: number;
  inputs: {
    x: FixtureArray;
    a0: FixtureArray;
    rnn_params: FixtureDict;
    lstm_params: FixtureDict;
    xt: FixtureArray;
    a_prev: FixtureArray;
    c_prev: FixtureArray;
    da: FixtureArray;
    da_next: FixtureArray;
    dc_next: FixtureArray;
    softmax_in: FixtureArray;
    softmax_in3: FixtureArray;
    sigmoid_in: FixtureArray;
    sigmoid_in3: FixtureArray;
  };
  outputs: {
    softmax: FixtureArray;
    softmax3: FixtureArray;
    sigmoid: FixtureArray;
    sigmoid3: FixtureArray;
    rnn_cell_forward: FixtureDict;
    rnn_forward: FixtureDict;
    rnn_cell_backward: FixtureDict;
    rnn_backward: FixtureDict;
    lstm_cell_forward: FixtureDict;
    lstm_forward: FixtureDict;
    lstm_cell_backward: FixtureDict;
    lstm_backward: FixtureDict;
  };
}

/** The notebook fixture's cases (test/fixtures/notebook.json). */
export const CASES: readonly FixtureCase[] = (notebook as unknown as { cases: FixtureCase[] }).cases;

export function dictFromFixture(d: FixtureDict): Record<string, NDArray> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, fromFixture(v)]));
}
