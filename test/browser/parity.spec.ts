/**
 * Parity with the notebook in the browser: the shared suite of test/shared/parity.ts (the same
 * cases as test/parity.test.ts) on the package's browser entry, after `await init()`, on the wasm
 * and js backends.
 */
import { beforeAll, expect } from 'vitest';
import { defineParitySuite } from '../shared/parity.js';
import { BROWSER_BACKENDS, api, init } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

defineParitySuite(api, BROWSER_BACKENDS, 'parity with the notebook in the browser on the %s backend');
