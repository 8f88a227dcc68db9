/**
 * Bad input in the browser: the shared table of test/shared/errors.ts (the same malformed calls
 * as test/errors.test.ts) on the browser entry after `await init()`, on wasm and js. Each throws
 * the same error class and code with a message naming the argument and the shapes; afterwards
 * the module gives the same results as before. Also: the native backend is refused in a page,
 * with its code.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { defineMalformedCalls } from '../shared/errors.js';
import { BROWSER_BACKENDS, api, init } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

defineMalformedCalls(api, BROWSER_BACKENDS, 'malformed calls in the browser on the %s backend');

describe.each(BROWSER_BACKENDS)('the native backend in the browser with %s selected', (backend) => {
  test("setBackend('native') is refused in a page with ERR_RNN_BACKEND_UNAVAILABLE and keeps the backend", () => {
    api.setBackend(backend);
    expect(api.backendErrors().native).toEqual(expect.any(String));
    let thrown: unknown;
    try {
      api.setBackend('native');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string }).code).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(api.getBackend()).toBe(backend);
  });
});
