/**
 * Backward passes against central finite differences of the forward passes, on random shapes
 * the fixtures do not cover. Sequence loss: L = Σ da ⊙ a (a = every hidden state); LSTM cell
 * loss: L = Σ da_next ⊙ a_next + Σ dc_next ⊙ c_next; RNN cell loss: L = Σ da_next ⊙ a_next.
 * Every entry of every input and parameter is perturbed.
 */
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
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
  type NDArray,
} from '../ts/index.js';
import { BACKENDS, GATES, lstmParams, makeRng, maxAbs, maxAbsDiff, randn, rnnParams, type Dims } from './helpers.js';

const H = 1e-6;
const TOLERANCE = 1e-6;

const SHAPES: Dims[] = [
  { n_x: 4, n_a: 6, n_y: 3, m: 2, T_x: 5 },
  { n_x: 1, n_a: 3, n_y: 2, m: 1, T_x: 6 },
  { n_x: 5, n_a: 2, n_y: 4, m: 3, T_x: 3 },
];
const label = (d: Dims) => `(n_x, n_a, n_y, m, T_x) = (${d.n_x}, ${d.n_a}, ${d.n_y}, ${d.m}, ${d.T_x})`;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central differences of `loss` with respect to every entry of `target` (edited in place, restored). */
function numericGradient(loss: () => number, target: NDArray): Float64Array {
  const g = new Float64Array(target.data.length);
  for (let k = 0; k < g.length; k++) {
    const saved = target.data[k];
    target.data[k] = saved + H;
    const up = loss();
    target.data[k] = saved - H;
    const down = loss();
    target.data[k] = saved;
    g[k] = (up - down) / (2 * H);
  }
  return g;
}

/** Worst observed error per backend and function, printed at the end. */
const worst = new Map<string, number>();

/**
 * Compares each analytic gradient with central differences: max|num - ana| must stay below
 * TOLERANCE times the larger of max|ana| and 1 (the loss itself is O(1) per entry).
 */
function check(fn: string, loss: () => number, targets: [string, NDArray][], analytic: Record<string, NDArray>): void {
  for (const [key, target] of targets) {
    const ana = analytic[key];
    expect(ana, key).toBeDefined();
    expect(ana.shape, key).toEqual(target.shape);
    const num = numericGradient(loss, target);
    const scale = Math.max(maxAbs(ana.data), 1);
    const err = maxAbsDiff(num, ana.data) / scale;
    const key2 = `${fn}|${getBackend()}`;
    if (!((worst.get(key2) ?? 0) >= err)) worst.set(key2, err);
    expect(err, `${key}: max|numeric - analytic| / max(max|analytic|, 1) = ${err}`).toBeLessThanOrEqual(TOLERANCE);
    // A gradient that is identically zero would pass trivially; these never are.
    expect(maxAbs(ana.data), `${key} is not all zeros`).toBeGreaterThan(0);
  }
}

describe.each(BACKENDS)('finite differences on the %s backend', (backend) => {
  beforeEach(() => {
    setBackend(backend);
  });

  describe.each(SHAPES.map((d, k) => [label(d), d, k] as const))('%s', (_, d, k) => {
    test('rnn_backward: dx, da0, dWax, dWaa, dba', () => {
      const rng = makeRng(1000 + k);
      const x = randn(rng, [d.n_x, d.m, d.T_x]);
      const a0 = randn(rng, [d.n_a, d.m]);
      const p = rnnParams(rng, d);
      const da = randn(rng, [d.n_a, d.m, d.T_x]);
      const [, , caches] = rnn_forward(x, a0, p);
      const g = rnn_backward(da, caches);
      expect(Object.keys(g).sort()).toEqual(['dWaa', 'dWax', 'da0', 'dba', 'dx']);
      const loss = () => dot(da.data, rnn_forward(x, a0, p)[0].data);
      check('rnn_backward', loss, [['dx', x], ['da0', a0], ['dWax', p.Wax], ['dWaa', p.Waa], ['dba', p.ba]], { ...g });
    });

    test('rnn_backward: Wya and by do not affect the loss (sanity of the loss)', () => {
      const rng = makeRng(1100 + k);
      const x = randn(rng, [d.n_x, d.m, d.T_x]);
      const a0 = randn(rng, [d.n_a, d.m]);
      const p = rnnParams(rng, d);
      const da = randn(rng, [d.n_a, d.m, d.T_x]);
      const loss = () => dot(da.data, rnn_forward(x, a0, p)[0].data);
      expect(maxAbs(numericGradient(loss, p.Wya))).toBe(0);
      expect(maxAbs(numericGradient(loss, p.by))).toBe(0);
    });

    test('rnn_cell_backward: dxt, da_prev, dWax, dWaa, dba', () => {
      const rng = makeRng(2000 + k);
      const xt = randn(rng, [d.n_x, d.m]);
      const a_prev = randn(rng, [d.n_a, d.m]);
      const p = rnnParams(rng, d);
      const da_next = randn(rng, [d.n_a, d.m]);
      const [, , cache] = rnn_cell_forward(xt, a_prev, p);
      const g = rnn_cell_backward(da_next, cache);
      expect(Object.keys(g).sort()).toEqual(['dWaa', 'dWax', 'da_prev', 'dba', 'dxt']);
      const loss = () => dot(da_next.data, rnn_cell_forward(xt, a_prev, p)[0].data);
      check('rnn_cell_backward', loss, [['dxt', xt], ['da_prev', a_prev], ['dWax', p.Wax], ['dWaa', p.Waa], ['dba', p.ba]], { ...g });
    });

    test('lstm_backward: dx, da0 and every gate weight and bias', () => {
      const rng = makeRng(3000 + k);
      const x = randn(rng, [d.n_x, d.m, d.T_x]);
      const a0 = randn(rng, [d.n_a, d.m]);
      const p = lstmParams(rng, d);
      const da = randn(rng, [d.n_a, d.m, d.T_x]);
      const [, , , caches] = lstm_forward(x, a0, p);
      const g = lstm_backward(da, caches);
      const gateKeys = GATES.flatMap((gate) => [`dW${gate}`, `db${gate}`]);
      expect(Object.keys(g).sort()).toEqual(['dx', 'da0', ...gateKeys].sort());
      const loss = () => dot(da.data, lstm_forward(x, a0, p)[0].data);
      const params = GATES.flatMap((gate) => [[`dW${gate}`, p[`W${gate}`]], [`db${gate}`, p[`b${gate}`]]] as [string, NDArray][]);
      check('lstm_backward', loss, [['dx', x], ['da0', a0], ...params], { ...g });
    });

    test('lstm_cell_backward: dxt, da_prev, dc_prev and every gate weight and bias', () => {
      const rng = makeRng(4000 + k);
      const xt = randn(rng, [d.n_x, d.m]);
      const a_prev = randn(rng, [d.n_a, d.m]);
      const c_prev = randn(rng, [d.n_a, d.m]);
      const p = lstmParams(rng, d);
      const da_next = randn(rng, [d.n_a, d.m]);
      const dc_next = randn(rng, [d.n_a, d.m]);
      const [, , , cache] = lstm_cell_forward(xt, a_prev, c_prev, p);
      const g = lstm_cell_backward(da_next, dc_next, cache);
      const gateKeys = GATES.flatMap((gate) => [`dW${gate}`, `db${gate}`]);
      expect(Object.keys(g).sort()).toEqual(['dxt', 'da_prev', 'dc_prev', ...gateKeys].sort());
      const loss = () => {
        const [a_next, c_next] = lstm_cell_forward(xt, a_prev, c_prev, p);
        return dot(da_next.data, a_next.data) + dot(dc_next.data, c_next.data);
      };
      const params = GATES.flatMap((gate) => [[`dW${gate}`, p[`W${gate}`]], [`db${gate}`, p[`b${gate}`]]] as [string, NDArray][]);
      check('lstm_cell_backward', loss, [['dxt', xt], ['da_prev', a_prev], ['dc_prev', c_prev], ...params], { ...g });
    });
  });
});

afterAll(() => {
  const fns = ['rnn_cell_backward', 'rnn_backward', 'lstm_cell_backward', 'lstm_backward'];
  const lines = fns.map((fn) => `${fn.padEnd(20)} ${BACKENDS.map((b) => (worst.get(`${fn}|${b}`)?.toExponential(2) ?? 'n/a').padStart(10)).join(' ')}`);
  console.log(
    [
      `worst finite-difference error (max|numeric - analytic| / max(max|analytic|, 1), h = ${H}, tolerance ${TOLERANCE}):`,
      `${'function'.padEnd(20)} ${BACKENDS.map((b) => b.padStart(10)).join(' ')}`,
      ...lines,
    ].join('\n'),
  );
});
