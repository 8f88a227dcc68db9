/**
 * The model API in the browser: the shared suites of test/shared/model.ts (the same cases as
 * test/model.test.ts) on the browser entry, on wasm and js after `await init()`: gradients,
 * deterministic training with falling loss and the same losses on both backends, stateful
 * continuation, seeded sampling, save → load round trips (serializeModel / parseModel) with
 * bit-identical parameters and outputs, and bad input.
 */
import { beforeAll, expect } from 'vitest';
import { defineModelSuite } from '../shared/model.js';
import { BROWSER_BACKENDS, api, init } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

defineModelSuite(api, BROWSER_BACKENDS, 'models in the browser on the %s backend');
