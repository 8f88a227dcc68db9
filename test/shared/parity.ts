/**
 * Parity with the notebook, shared by test/parity.test.ts (Node entry, every backend) and
 * test/browser/parity.spec.ts (browser entry, wasm and js): every output of every function
 * matches the NumPy values in test/fixtures/notebook.json to within 1e-10 relative to the
 * output's largest magnitude. Also checks the cache layout the forward passes return, and that
 * the backward passes accept caches rebuilt by hand from plain nested JS arrays.
 */
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import type { BackendName, LstmCache, LstmCaches, NDArray, RnnCache, RnnCaches } from '../../ts/index.js';
import type { Api } from './api.js';
import {
  CASES,
  dictFromFixture,
  fromFixture,
  maxAbsDiff,
  relErr,
  sameValues,
  sliceT,
  toNested,
  type FixtureArray,
  type FixtureDict,
} from './helpers.js';

export const TOLERANCE = 1e-10;

/**
 * Defines the parity suite on `api` (the entry under test), once per backend of `backends`;
 * `title` is the describe title, with %s for the backend. Prints the worst errors afterwards.
 */
export function defineParitySuite(api: Api, backends: readonly BackendName[], title: string): void {
  const { getBackend, lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward, setBackend, sigmoid, softmax } = api;

  const FUNCTIONS = [
    'softmax',
    'sigmoid',
    'rnn_cell_forward',
    'rnn_forward',
    'rnn_cell_backward',
    'rnn_backward',
    'lstm_cell_forward',
    'lstm_forward',
    'lstm_cell_backward',
    'lstm_backward',
  ] as const;
  type FunctionName = (typeof FUNCTIONS)[number];

  /** Worst relative error seen per function and backend (and where). */
  const worst = new Map<string, { err: number; where: string }>();

  function record(fn: FunctionName, backend: string, err: number, where: string): void {
    const key = `${fn}|${backend}`;
    const prev = worst.get(key);
    if (!prev || !(err <= prev.err)) worst.set(key, { err, where });
  }

  /** Asserts shape equality and the relative tolerance, and records the error. */
  function expectClose(fn: FunctionName, got: NDArray, exp: FixtureArray, where: string): void {
    expect(got.data, where).toBeInstanceOf(Float64Array);
    expect(got.shape, where).toEqual(exp.shape);
    const err = relErr(got.data, exp.data);
    record(fn, getBackend(), err, where);
    expect(err, `${where}: max|got-exp| / max|exp| = ${err}`).toBeLessThanOrEqual(TOLERANCE);
  }

  /** Every key of the expected dict is present with the right values, and no extra keys. */
  function expectDict(fn: FunctionName, got: Record<string, NDArray>, exp: FixtureDict, where: string, only?: string[]): void {
    const keys = only ?? Object.keys(exp);
    if (!only) expect(Object.keys(got).sort(), where).toEqual(keys.slice().sort());
    for (const key of keys) expectClose(fn, got[key], exp[key], `${where}.${key}`);
  }

  /** Asserts `got` holds exactly `exp`'s values (used for cache entries that are plain copies). */
  function expectSame(got: NDArray, exp: NDArray, where: string): void {
    expect(got.shape, where).toEqual(exp.shape);
    expect(sameValues(got.data, exp.data), `${where} differs`).toBe(true);
  }

  describe.each(backends)(title, (backend) => {
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

      test('softmax (rank 2 and rank 3)', () => {
        expectClose('softmax', softmax(fromFixture(inp.softmax_in)), out.softmax, at('softmax'));
        expectClose('softmax', softmax(fromFixture(inp.softmax_in3)), out.softmax3, at('softmax3'));
      });

      test('sigmoid (rank 2 and rank 3)', () => {
        expectClose('sigmoid', sigmoid(fromFixture(inp.sigmoid_in)), out.sigmoid, at('sigmoid'));
        expectClose('sigmoid', sigmoid(fromFixture(inp.sigmoid_in3)), out.sigmoid3, at('sigmoid3'));
      });

      test('rnn_cell_forward: outputs and cache layout', () => {
        const xt = fromFixture(inp.xt);
        const a_prev = fromFixture(inp.a_prev);
        const params = rp();
        const r = rnn_cell_forward(xt, a_prev, params);
        expect(r).toHaveLength(3);
        const [a_next, yt_pred, cache] = r;
        expectClose('rnn_cell_forward', a_next, out.rnn_cell_forward.a_next, at('rnn_cell_forward.a_next'));
        expectClose('rnn_cell_forward', yt_pred, out.rnn_cell_forward.yt_pred, at('rnn_cell_forward.yt_pred'));
        // cache = (a_next, a_prev, xt, parameters)
        expect(cache).toHaveLength(4);
        expectSame(cache[0], a_next, 'cache[0] (a_next)');
        expectSame(cache[1], a_prev, 'cache[1] (a_prev)');
        expectSame(cache[2], xt, 'cache[2] (xt)');
        expect(cache[3]).toBe(params);
      });

      test('rnn_forward: outputs and caches layout', () => {
        const x = fromFixture(inp.x);
        const a0 = fromFixture(inp.a0);
        const params = rp();
        const r = rnn_forward(x, a0, params);
        expect(r).toHaveLength(3);
        const [a, y_pred, caches] = r;
        expectClose('rnn_forward', a, out.rnn_forward.a, at('rnn_forward.a'));
        expectClose('rnn_forward', y_pred, out.rnn_forward.y_pred, at('rnn_forward.y_pred'));
        // caches = ([cache per step], x)
        expect(caches).toHaveLength(2);
        const [list, xs] = caches;
        expectSame(xs, x, 'caches[1] (x)');
        expect(list).toHaveLength(c.dims.T_x);
        list.forEach((cache, t) => {
          expect(cache).toHaveLength(4);
          expectSame(cache[0], sliceT(a, t), `caches[0][${t}][0] (a_next)`);
          expectSame(cache[1], t === 0 ? a0 : sliceT(a, t - 1), `caches[0][${t}][1] (a_prev)`);
          expectSame(cache[2], sliceT(x, t), `caches[0][${t}][2] (xt)`);
          expect(cache[3]).toBe(params);
        });
      });

      test('rnn_cell_backward: on the forward cache and on a hand-built nested-array cache', () => {
        const [, , cache] = rnn_cell_forward(fromFixture(inp.xt), fromFixture(inp.a_prev), rp());
        const exp = out.rnn_cell_backward;
        expectDict('rnn_cell_backward', { ...rnn_cell_backward(fromFixture(inp.da_next), cache) }, exp, at('rnn_cell_backward'));

        const nestedParams = Object.fromEntries(Object.entries(inp.rnn_params).map(([k, v]) => [k, toNested(v)]));
        const handMade = [
          toNested(out.rnn_cell_forward.a_next),
          toNested(inp.a_prev),
          toNested(inp.xt),
          nestedParams,
        ] as unknown as RnnCache;
        const g = rnn_cell_backward(toNested(inp.da_next) as number[][], handMade);
        expectDict('rnn_cell_backward', { ...g }, exp, at('rnn_cell_backward[hand-made cache]'));
      });

      test('rnn_backward: on the forward caches and on hand-built nested-array caches', () => {
        const x = fromFixture(inp.x);
        const [, , caches] = rnn_forward(x, fromFixture(inp.a0), rp());
        const exp = out.rnn_backward;
        expectDict('rnn_backward', { ...rnn_backward(fromFixture(inp.da), caches) }, exp, at('rnn_backward'));

        // Rebuilt from the fixture's own arrays only: a from the notebook's rnn_forward.
        const aExp = fromFixture(out.rnn_forward.a);
        const nestedParams = Object.fromEntries(Object.entries(inp.rnn_params).map(([k, v]) => [k, toNested(v)]));
        const list = Array.from({ length: c.dims.T_x }, (_, t) => [
          toNested(sliceT(aExp, t)),
          toNested(t === 0 ? fromFixture(inp.a0) : sliceT(aExp, t - 1)),
          toNested(sliceT(x, t)),
          nestedParams,
        ]);
        const handMade = [list, toNested(inp.x)] as unknown as RnnCaches;
        const g = rnn_backward(toNested(inp.da) as number[][][], handMade);
        expectDict('rnn_backward', { ...g }, exp, at('rnn_backward[hand-made caches]'));
      });

      test('lstm_cell_forward: outputs and cache layout', () => {
        const xt = fromFixture(inp.xt);
        const a_prev = fromFixture(inp.a_prev);
        const c_prev = fromFixture(inp.c_prev);
        const params = lp();
        const r = lstm_cell_forward(xt, a_prev, c_prev, params);
        expect(r).toHaveLength(4);
        const [a_next, c_next, yt_pred, cache] = r;
        const exp = out.lstm_cell_forward;
        expectClose('lstm_cell_forward', a_next, exp.a_next, at('lstm_cell_forward.a_next'));
        expectClose('lstm_cell_forward', c_next, exp.c_next, at('lstm_cell_forward.c_next'));
        expectClose('lstm_cell_forward', yt_pred, exp.yt_pred, at('lstm_cell_forward.yt_pred'));
        // cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
        expect(cache).toHaveLength(10);
        expectSame(cache[0], a_next, 'cache[0] (a_next)');
        expectSame(cache[1], c_next, 'cache[1] (c_next)');
        expectSame(cache[2], a_prev, 'cache[2] (a_prev)');
        expectSame(cache[3], c_prev, 'cache[3] (c_prev)');
        (['ft', 'it', 'cct', 'ot'] as const).forEach((gate, k) => {
          expectClose('lstm_cell_forward', cache[4 + k] as NDArray, exp[gate], at(`lstm_cell_forward cache[${4 + k}] (${gate})`));
        });
        expectSame(cache[8], xt, 'cache[8] (xt)');
        expect(cache[9]).toBe(params);
      });

      test('lstm_forward: outputs and caches layout', () => {
        const x = fromFixture(inp.x);
        const a0 = fromFixture(inp.a0);
        const params = lp();
        const r = lstm_forward(x, a0, params);
        expect(r).toHaveLength(4);
        const [a, y, cc, caches] = r;
        const exp = out.lstm_forward;
        expectClose('lstm_forward', a, exp.a, at('lstm_forward.a'));
        expectClose('lstm_forward', y, exp.y, at('lstm_forward.y'));
        expectClose('lstm_forward', cc, exp.c, at('lstm_forward.c'));
        expect(caches).toHaveLength(2);
        const [list, xs] = caches;
        expectSame(xs, x, 'caches[1] (x)');
        expect(list).toHaveLength(c.dims.T_x);
        const { n_a, m } = c.dims;
        list.forEach((cache, t) => {
          expect(cache).toHaveLength(10);
          expectSame(cache[0], sliceT(a, t), `caches[0][${t}][0] (a_next)`);
          expectSame(cache[1], sliceT(cc, t), `caches[0][${t}][1] (c_next)`);
          expectSame(cache[2], t === 0 ? a0 : sliceT(a, t - 1), `caches[0][${t}][2] (a_prev)`);
          expectSame(cache[3], t === 0 ? { data: new Float64Array(n_a * m), shape: [n_a, m] } : sliceT(cc, t - 1), `caches[0][${t}][3] (c_prev)`);
          expectSame(cache[8], sliceT(x, t), `caches[0][${t}][8] (xt)`);
          expect(cache[9]).toBe(params);
          // The gates are the ones that produced this step's state.
          const [ft, it, cct, ot] = [4, 5, 6, 7].map((k) => cache[k] as NDArray);
          for (const g of [ft, it, cct, ot]) expect(g.shape).toEqual([n_a, m]);
          const cPrev = cache[3].data;
          const cRebuilt = ft.data.map((f, i) => f * cPrev[i] + it.data[i] * cct.data[i]);
          const aRebuilt = ot.data.map((o, i) => o * Math.tanh(cRebuilt[i]));
          expect(maxAbsDiff(cRebuilt, cache[1].data)).toBeLessThanOrEqual(1e-12 * Math.max(1, ...cache[1].data.map(Math.abs)));
          expect(maxAbsDiff(aRebuilt, cache[0].data)).toBeLessThanOrEqual(1e-12);
        });
      });

      test('lstm_cell_backward: on the forward cache and on a hand-built nested-array cache', () => {
        const [, , , cache] = lstm_cell_forward(fromFixture(inp.xt), fromFixture(inp.a_prev), fromFixture(inp.c_prev), lp());
        const exp = out.lstm_cell_backward;
        const g = lstm_cell_backward(fromFixture(inp.da_next), fromFixture(inp.dc_next), cache);
        expectDict('lstm_cell_backward', { ...g }, exp, at('lstm_cell_backward'));

        const f = out.lstm_cell_forward;
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
        expectDict('lstm_cell_backward', { ...h }, exp, at('lstm_cell_backward[hand-made cache]'));
      });

      test('lstm_backward: on the forward caches and on the caches rebuilt as nested arrays', () => {
        const [, , , caches] = lstm_forward(fromFixture(inp.x), fromFixture(inp.a0), lp());
        const exp = out.lstm_backward;
        expectDict('lstm_backward', { ...lstm_backward(fromFixture(inp.da), caches) }, exp, at('lstm_backward'));

        // The fixtures hold no per-step gates of the sequence, so rebuild the forward's caches
        // entry by entry as nested JS arrays (a plain object for the parameters).
        const nestedParams = Object.fromEntries(Object.entries(inp.lstm_params).map(([k, v]) => [k, toNested(v)]));
        const list = caches[0].map((cache) => [...cache.slice(0, 9).map((v) => toNested(v as NDArray)), nestedParams]);
        const handMade = [list, toNested(caches[1])] as unknown as LstmCaches;
        const g = lstm_backward(toNested(inp.da) as number[][][], handMade);
        expectDict('lstm_backward', { ...g }, exp, at('lstm_backward[nested caches]'));
      });
    });
  });

  afterAll(() => {
    const rows = FUNCTIONS.map((fn) => {
      const cells = backends.map((b) => {
        const w = worst.get(`${fn}|${b}`);
        return w === undefined ? 'n/a'.padStart(10) : w.err.toExponential(2).padStart(10);
      });
      return `${fn.padEnd(20)} ${cells.join(' ')}`;
    });
    const header = `${'function'.padEnd(20)} ${backends.map((b) => b.padStart(10)).join(' ')}`;
    const where = backends.flatMap((b) =>
      FUNCTIONS.map((fn) => worst.get(`${fn}|${b}`)).filter((w) => w !== undefined).map((w) => `  ${w.err.toExponential(2)} at ${w.where}`),
    );
    console.log(
      [
        `worst relative error vs the notebook (max|got-exp| / max|exp|, tolerance ${TOLERANCE}):`,
        header,
        ...rows,
        'where:',
        ...where,
      ].join('\n'),
    );
  });
}
