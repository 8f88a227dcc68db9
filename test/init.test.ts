/**
 * `init` in the Node entry: the shipped module is loaded at import, so `init()` resolves at
 * once with the active backend and changes nothing; given a source (a path, a file: URL, bytes)
 * it loads that module as the wasm backend instead.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { getBackend, init, rnn_forward, setBackend } from '../ts/index.js';
import { DEFAULT_BACKEND, makeRng, randn, rnnParams } from './helpers.js';

const FILE = new URL('../wasm/rnn_wasm.wasm', import.meta.url);

test('init() resolves with the backend chosen at load and changes nothing', async () => {
  const expected = process.env.RNN_WASM_BACKEND || DEFAULT_BACKEND;
  await expect(init()).resolves.toBe(expected);
  expect(getBackend()).toBe(expected);
});

test.each([
  ['a path', () => fileURLToPath(FILE)],
  ['a file: URL', () => FILE],
  ['a file: URL string', () => FILE.href],
  ['bytes', () => readFileSync(FILE)],
])('init(%s) loads that module as the wasm backend', async (_, source) => {
  setBackend('wasm');
  await expect(init(source())).resolves.toBe('wasm');
  const rng = makeRng(1);
  const D = { n_x: 2, n_a: 3, n_y: 2, m: 2, T_x: 3 };
  const [, y] = rnn_forward(randn(rng, [D.n_x, D.m, D.T_x]), randn(rng, [D.n_a, D.m]), rnnParams(rng, D));
  expect(y.shape).toEqual([2, 2, 3]);
});

test('a missing file is ERR_RNN_BACKEND_UNAVAILABLE', async () => {
  await expect(init('/no/such/rnn_wasm.wasm')).rejects.toMatchObject({ code: 'ERR_RNN_BACKEND_UNAVAILABLE' });
});
