/**
 * Parity with the notebook in the browser: test/parity.test.ts's checks on the package's browser
 * entry, after `await init()`, on the wasm and js backends. Every output of every function
 * matches test/fixtures/notebook.json to within 1e-10 relative to its largest magnitude; the
 * forward caches have the notebook's layout; the backward passes accept nested-array caches.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
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
  type LstmCache,
  type LstmCaches,
  type NDArray,
  type RnnCache,
  type RnnCaches,
} from 'rnn-wasm';
import {
  BROWSER_BACKENDS,
  CASES,
  dictFromFixture,
  fromFixture,
  relErr,
  sameValues,
  sliceT,
  toNested,
  type FixtureArray,
  type FixtureDict,
} from './helpers.js';

const TOLERANCE = 1e-10;

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

/** Worst relative error per backend and function. */
const worst = new Map<string, number>();

function expectClose(fn: string, got: NDArray, exp: FixtureArray, where: string): void {
  expect(got.data, where).toBeInstanceOf(Float64Array);
  expect(got.shape, where).toEqual(exp.shape);
  const err = relErr(got.data, exp.data);
  const key = `${getBackend()} ${fn}`;
  if (!((worst.get(key) ?? 0) >= err)) worst.set(key, err);
  expect(err, `${where}: max|got-exp| / max|exp| = ${err}`).toBeLessThanOrEqual(TOLERANCE);
}

function expectDict(fn: string, got: Record<string, NDArray>, exp: FixtureDict, where: string): void {
  expect(Object.keys(got).sort(), where).toEqual(Object.keys(exp).sort());
  for (const key of Object.keys(exp)) expectClose(fn, got[key], exp[key], `${where}.${key}`);
}

function expectSame(got: NDArray, exp: NDArray, where: string): void {
  expect(got.shape, where).toEqual(exp.shape);
  expect(sameValues(got.data, exp.data), `${where} differs`).toBe(true);
}

describe.each(BROWSER_BACKENDS)('parity with the notebook in the browser on the %s backend', (backend) => {
  beforeEach(() => {
    setBackend(backend);
    expect(getBackend()).toBe(backend);
  });

  describe.each(CASES.map((c) => [c.name, c] as const))('case %s', (name, c) => {
    const inp = c.inputs;
    const out = c.outputs;
    const rp = () => dictFromFixture(inp.rnn_params);
    const lp = () => dictFromFixture(inp.lstm_params);
    const at = (fn: string) => `${backend}/${name}/${fn}`;

    test('softmax and sigmoid (rank 2 and rank 3)', () => {
      expectClose('softmax', softmax(fromFixture(inp.softmax_in)), out.softmax, at('softmax'));
      expectClose('softmax', softmax(fromFixture(inp.softmax_in3)), out.softmax3, at('softmax3'));
      expectClose('sigmoid', sigmoid(fromFixture(inp.sigmoid_in)), out.sigmoid, at('sigmoid'));
      expectClose('sigmoid', sigmoid(fromFixture(inp.sigmoid_in3)), out.sigmoid3, at('sigmoid3'));
    });

    test('rnn_cell_forward and rnn_cell_backward (forward cache and a nested-array cache)', () => {
      const xt = fromFixture(inp.xt);
      const a_prev = fromFixture(inp.a_prev);
      const params = rp();
      const [a_next, yt_pred, cache] = rnn_cell_forward(xt, a_prev, params);
      expectClose('rnn_cell_forward', a_next, out.rnn_cell_forward.a_next, at('rnn_cell_forward.a_next'));
      expectClose('rnn_cell_forward', yt_pred, out.rnn_cell_forward.yt_pred, at('rnn_cell_forward.yt_pred'));
      expect(cache).toHaveLength(4);
      expectSame(cache[0], a_next, 'cache[0] (a_next)');
      expectSame(cache[1], a_prev, 'cache[1] (a_prev)');
      expectSame(cache[2], xt, 'cache[2] (xt)');
      expect(cache[3]).toBe(params);

      const exp = out.rnn_cell_backward;
      expectDict('rnn_cell_backward', { ...rnn_cell_backward(fromFixture(inp.da_next), cache) }, exp, at('rnn_cell_backward'));
      const nestedParams = Object.fromEntries(Object.entries(inp.rnn_params).map(([k, v]) => [k, toNested(v)]));
      const handMade = [toNested(out.rnn_cell_forward.a_next), toNested(inp.a_prev), toNested(inp.xt), nestedParams] as unknown as RnnCache;
      const g = rnn_cell_backward(toNested(inp.da_next) as number[][], handMade);
      expectDict('rnn_cell_backward', { ...g }, exp, at('rnn_cell_backward[nested cache]'));
    });

    test('rnn_forward (caches layout) and rnn_backward (forward caches and nested-array caches)', () => {
      const x = fromFixture(inp.x);
      const a0 = fromFixture(inp.a0);
      const params = rp();
      const [a, y_pred, caches] = rnn_forward(x, a0, params);
      expectClose('rnn_forward', a, out.rnn_forward.a, at('rnn_forward.a'));
      expectClose('rnn_forward', y_pred, out.rnn_forward.y_pred, at('rnn_forward.y_pred'));
      const [list, xs] = caches;
      expectSame(xs, x, 'caches[1] (x)');
      expect(list).toHaveLength(c.dims.T_x);
      list.forEach((cache, t) => {
        expectSame(cache[0], sliceT(a, t), `caches[0][${t}][0] (a_next)`);
        expectSame(cache[1], t === 0 ? a0 : sliceT(a, t - 1), `caches[0][${t}][1] (a_prev)`);
        expectSame(cache[2], sliceT(x, t), `caches[0][${t}][2] (xt)`);
        expect(cache[3]).toBe(params);
      });

      const exp = out.rnn_backward;
      expectDict('rnn_backward', { ...rnn_backward(fromFixture(inp.da), caches) }, exp, at('rnn_backward'));
      const aExp = fromFixture(out.rnn_forward.a);
      const nestedParams = Object.fromEntries(Object.entries(inp.rnn_params).map(([k, v]) => [k, toNested(v)]));
      const nested = Array.from({ length: c.dims.T_x }, (_, t) => [
        toNested(sliceT(aExp, t)),
        toNested(t === 0 ? fromFixture(inp.a0) : sliceT(aExp, t - 1)),
        toNested(sliceT(x, t)),
        nestedParams,
      ]);
      const g = rnn_backward(toNested(inp.da) as number[][][], [nested, toNested(inp.x)] as unknown as RnnCaches);
      expectDict('rnn_backward', { ...g }, exp, at('rnn_backward[nested caches]'));
    });

    test('lstm_cell_forward (gates in the cache) and lstm_cell_backward (forward cache and a nested-array cache)', () => {
      const xt = fromFixture(inp.xt);
      const a_prev = fromFixture(inp.a_prev);
      const c_prev = fromFixture(inp.c_prev);
      const params = lp();
      const [a_next, c_next, yt_pred, cache] = lstm_cell_forward(xt, a_prev, c_prev, params);
      const f = out.lstm_cell_forward;
      expectClose('lstm_cell_forward', a_next, f.a_next, at('lstm_cell_forward.a_next'));
      expectClose('lstm_cell_forward', c_next, f.c_next, at('lstm_cell_forward.c_next'));
      expectClose('lstm_cell_forward', yt_pred, f.yt_pred, at('lstm_cell_forward.yt_pred'));
      expect(cache).toHaveLength(10);
      (['ft', 'it', 'cct', 'ot'] as const).forEach((gate, k) => {
        expectClose('lstm_cell_forward', cache[4 + k] as NDArray, f[gate], at(`lstm_cell_forward cache[${4 + k}] (${gate})`));
      });
      expectSame(cache[8], xt, 'cache[8] (xt)');
      expect(cache[9]).toBe(params);

      const exp = out.lstm_cell_backward;
      expectDict('lstm_cell_backward', { ...lstm_cell_backward(fromFixture(inp.da_next), fromFixture(inp.dc_next), cache) }, exp, at('lstm_cell_backward'));
      const nestedParams = Object.fromEntries(Object.entries(inp.lstm_params).map(([k, v]) => [k, toNested(v)]));
      const handMade = [
        toNested(f.a_next),
        toNested(f.c_next),
        toNested(inp.a_prev),
        toNested(inp.c_prev),
        toNested(f.ft),
        toNested(f.it),
        toNested(f.cct),
        toNested(f.ot),
        toNested(inp.xt),
        nestedParams,
      ] as unknown as LstmCache;
      const h = lstm_cell_backward(toNested(inp.da_next) as number[][], toNested(inp.dc_next) as number[][], handMade);
      expectDict('lstm_cell_backward', { ...h }, exp, at('lstm_cell_backward[nested cache]'));
    });

    test('lstm_forward (caches layout) and lstm_backward (forward caches and nested-array caches)', () => {
      const x = fromFixture(inp.x);
      const a0 = fromFixture(inp.a0);
      const params = lp();
      const [a, y, cc, caches] = lstm_forward(x, a0, params);
      const exp = out.lstm_forward;
      expectClose('lstm_forward', a, exp.a, at('lstm_forward.a'));
      expectClose('lstm_forward', y, exp.y, at('lstm_forward.y'));
      expectClose('lstm_forward', cc, exp.c, at('lstm_forward.c'));
      const [list, xs] = caches;
      expectSame(xs, x, 'caches[1] (x)');
      expect(list).toHaveLength(c.dims.T_x);
      list.forEach((cache, t) => {
        expect(cache).toHaveLength(10);
        expectSame(cache[0], sliceT(a, t), `caches[0][${t}][0] (a_next)`);
        expectSame(cache[1], sliceT(cc, t), `caches[0][${t}][1] (c_next)`);
        expectSame(cache[2], t === 0 ? a0 : sliceT(a, t - 1), `caches[0][${t}][2] (a_prev)`);
        expectSame(cache[8], sliceT(x, t), `caches[0][${t}][8] (xt)`);
        expect(cache[9]).toBe(params);
      });

      const bexp = out.lstm_backward;
      expectDict('lstm_backward', { ...lstm_backward(fromFixture(inp.da), caches) }, bexp, at('lstm_backward'));
      const nestedParams = Object.fromEntries(Object.entries(inp.lstm_params).map(([k, v]) => [k, toNested(v)]));
      const nested = caches[0].map((cache) => [...cache.slice(0, 9).map((v) => toNested(v as NDArray)), nestedParams]);
      const g = lstm_backward(toNested(inp.da) as number[][][], [nested, toNested(caches[1])] as unknown as LstmCaches);
      expectDict('lstm_backward', { ...g }, bexp, at('lstm_backward[nested caches]'));
    });
  });
});

afterAll(() => {
  const lines = [...worst.entries()].map(([k, v]) => `  ${k.padEnd(24)} ${v.toExponential(2)}`);
  console.log(`browser: worst relative error vs the notebook (tolerance ${TOLERANCE}):\n${lines.join('\n')}`);
});
