/**
 * The browser entry (ts/browser.ts), run in Node without its Node-only modules: it starts on
 * the js backend with `backendErrors().wasm` saying to `await init()`, and `init` loads the
 * module from every kind of source (bytes, a compiled module, a Response with and without the
 * wasm MIME type, a promise of one) and makes wasm active, unless `setBackend` chose a backend.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as browser from '../ts/browser.js';

const BYTES = readFileSync(new URL('../wasm/rnn_wasm.wasm', import.meta.url));

// Not test/helpers.ts: it imports the Node entry, whose backends would join this registry.
function array(shape: number[], seed: number) {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: size }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 0.5) };
}

function forward() {
  const [n_x, n_a, n_y, m, T] = [3, 5, 2, 4, 6];
  const p = {
    Wf: array([n_a, n_a + n_x], 1), bf: array([n_a, 1], 2), Wi: array([n_a, n_a + n_x], 3), bi: array([n_a, 1], 4),
    Wc: array([n_a, n_a + n_x], 5), bc: array([n_a, 1], 6), Wo: array([n_a, n_a + n_x], 7), bo: array([n_a, 1], 8),
    Wy: array([n_y, n_a], 9), by: array([n_y, 1], 10),
  };
  return browser.lstm_forward(array([n_x, m, T], 11), array([n_a, m], 12), p);
}

describe('the browser entry', () => {
  test('before init: the js backend, and backendErrors says to await init()', () => {
    expect(browser.getBackend()).toBe('js');
    const errors = browser.backendErrors();
    expect(errors.wasm).toMatch(/await init\(\)/);
    expect(errors.native).toMatch(/only available in Node/);
    expect(() => browser.setBackend('wasm')).toThrow(/await init\(\)/);
  });

  test('init from a Response served with the wrong MIME type falls back to its bytes', async () => {
    const reference = forward();
    const response = new Response(BYTES, { headers: { 'content-type': 'application/octet-stream' } });
    await expect(browser.init(response)).resolves.toBe('wasm');
    expect(browser.getBackend()).toBe('wasm');
    expect(browser.backendErrors().wasm).toBeUndefined();
    const [a, y, c] = forward();
    for (const [got, want] of [[a, reference[0]], [y, reference[1]], [c, reference[2]]] as const) {
      for (let i = 0; i < want.data.length; i++) expect(got.data[i]).toBeCloseTo(want.data[i], 12);
    }
  });

  test.each([
    ['bytes (Uint8Array)', () => new Uint8Array(BYTES)],
    ['an ArrayBuffer', () => BYTES.buffer.slice(BYTES.byteOffset, BYTES.byteOffset + BYTES.byteLength)],
    ['a compiled WebAssembly.Module', () => new WebAssembly.Module(BYTES)],
    ['a promise of a wasm Response (streamed)', () => Promise.resolve(new Response(BYTES, { headers: { 'content-type': 'application/wasm' } }))],
  ])('init from %s', async (_, source) => {
    await expect(browser.init(source())).resolves.toBe('wasm');
    expect(forward()[1].shape).toEqual([2, 4, 6]);
  });

  test('a failed fetch and bad bytes are ERR_RNN_BACKEND_UNAVAILABLE and keep the backend', async () => {
    const before = browser.getBackend();
    await expect(browser.init(new Response('missing', { status: 404 }))).rejects.toMatchObject({
      code: 'ERR_RNN_BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/HTTP 404/),
    });
    await expect(browser.init(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'ERR_RNN_BACKEND_UNAVAILABLE' });
    await expect(browser.init(42)).rejects.toMatchObject({ code: 'ERR_RNN_BACKEND_UNAVAILABLE' });
    expect(browser.getBackend()).toBe(before);
  });

  test('after setBackend, init loads wasm but keeps the chosen backend', async () => {
    browser.setBackend('js');
    await expect(browser.init(new Uint8Array(BYTES))).resolves.toBe('js');
    browser.setBackend('wasm');
    expect(browser.getBackend()).toBe('wasm');
  });

  test('models save to bytes and load back identically', () => {
    const model = new browser.LSTMModel({ n_x: 4, n_a: 3, n_y: 4, seed: 2, vocabulary: ['\n', 'a', 'b', 'c'] });
    const bytes = browser.modelToBytes(model);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bytes)).toBe(browser.serializeModel(model));
    const back = browser.modelFromBytes(bytes, 'lstm');
    expect(browser.serializeModel(back)).toBe(browser.serializeModel(model));
    expect(back.vocabulary).toEqual(['\n', 'a', 'b', 'c']);
    expect(() => browser.modelFromBytes(new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8/);
    expect(() => browser.modelFromBytes('text' as never)).toThrow(/expected the model's bytes/);
  });

  // Last: importing the Node entry installs its backends into the shared registry.
  test('has the same API as the Node entry, less the file functions, plus init', async () => {
    const node = await import('../ts/index.js');
    const expected = Object.keys(node).filter((k) => !['saveModel', 'loadModel', 'exportNpy'].includes(k));
    expect(Object.keys(browser).sort()).toEqual(expected.sort());
  });
});
