/**
 * `init()` in a page: before it resolves the browser entry runs on js and says why wasm is not
 * there yet; `init()` and every source the contract allows (URL, string URL, a Response or a
 * promise of one, one served with the wrong MIME type, bytes, a compiled module) make wasm the
 * active backend with the notebook's results; a missing or broken module is refused with
 * ERR_RNN_BACKEND_UNAVAILABLE and leaves the package working.
 */
import { describe, expect, test } from 'vitest';
import { backendErrors, getBackend, init, lstm_forward, setBackend } from 'rnn-wasm';
import { CASES, dictFromFixture, fromFixture, relErr } from './helpers.js';

const WASM_URL = new URL('../../wasm/rnn_wasm.wasm', import.meta.url);
const classic = CASES[0];

/** lstm_forward on the first fixture case: the relative error of `a` on the active backend. */
function lstmError(): number {
  const [a] = lstm_forward(fromFixture(classic.inputs.x), fromFixture(classic.inputs.a0), dictFromFixture(classic.inputs.lstm_params));
  return relErr(a.data, classic.outputs.lstm_forward.a.data);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'resolved';
}

// In file order: the first test sees the package before any init().
describe('the browser entry before and after init()', () => {
  test('before init(): js is active and works; wasm is unavailable and says to await init()', async () => {
    expect(getBackend()).toBe('js');
    expect(backendErrors().wasm).toMatch(/init\(\)/);
    expect(lstmError()).toBeLessThanOrEqual(1e-10);
    let code: string | undefined;
    try {
      setBackend('wasm');
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(getBackend()).toBe('js');
    await Promise.resolve();
  });

  test('init() loads the packaged module next to the entry and makes wasm active', async () => {
    const first = init();
    expect(init()).toBe(first);
    expect(await first).toBe('wasm');
    expect(getBackend()).toBe('wasm');
    expect(backendErrors().wasm).toBeUndefined();
    expect(lstmError()).toBeLessThanOrEqual(1e-10);
  });
});

describe('init(source) with every kind of source', () => {
  const bytes = async () => new Uint8Array(await (await fetch(WASM_URL)).arrayBuffer());

  test.each([
    ['a URL', () => WASM_URL],
    ['a string URL', () => WASM_URL.href],
    ['a Response', () => fetch(WASM_URL).then((r) => r)],
    ['a promise of a Response', () => fetch(WASM_URL)],
    ['a Response with the wrong MIME type', async () => new Response(await bytes(), { headers: { 'content-type': 'application/octet-stream' } })],
    ['an ArrayBuffer', async () => (await bytes()).buffer],
    ['a Uint8Array', bytes],
    ['a compiled WebAssembly.Module', async () => (await WebAssembly.instantiate(await bytes())).module],
  ] as const)('%s', async (_, make) => {
    setBackend('js');
    const source: unknown = await make();
    // A promise of a Response is handed over unresolved.
    const arg = _ === 'a promise of a Response' ? fetch(WASM_URL) : source;
    expect(await init(arg as Parameters<typeof init>[0])).toBe('js'); // setBackend chose js on purpose
    setBackend('wasm');
    expect(lstmError()).toBeLessThanOrEqual(1e-10);
  });

  test('a missing module and broken bytes are refused with ERR_RNN_BACKEND_UNAVAILABLE; the package keeps working', async () => {
    setBackend('wasm');
    expect(await codeOf(init(new URL('/no-such-module.wasm', WASM_URL)))).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(await codeOf(init(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9])))).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(getBackend()).toBe('wasm');
    expect(lstmError()).toBeLessThanOrEqual(1e-10);
  });
});
