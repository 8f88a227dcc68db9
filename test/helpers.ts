/**
 * The Node suites' helpers: everything in test/shared/helpers.ts (PRNG, arrays, comparisons,
 * parameters, the notebook fixture), plus the Node-only backend list, read from the addon's
 * load state and RNN_WASM_REQUIRE_NATIVE.
 */
import { backendErrors, type BackendName } from '../ts/index.js';
import { expect } from 'vitest';

export * from './shared/helpers.js';

/**
 * Whether the native addon must be present (CI sets RNN_WASM_REQUIRE_NATIVE=1): then a missing
 * or broken addon fails the native tests instead of leaving them out.
 */
export const NATIVE_REQUIRED = process.env.RNN_WASM_REQUIRE_NATIVE === '1';

/** Whether the native addon was built and loads here. */
export const NATIVE_AVAILABLE = backendErrors().native === undefined;

/** The backend chosen at load when RNN_WASM_BACKEND is unset. */
export const DEFAULT_BACKEND: BackendName = NATIVE_AVAILABLE ? 'native' : 'wasm';

/**
 * Every suite runs once per backend. A backend that fails to load makes its tests fail; native
 * is left out only where it was not built and is not required.
 */
export const BACKENDS: readonly BackendName[] =
  NATIVE_AVAILABLE || NATIVE_REQUIRED ? ['js', 'wasm', 'native'] : ['js', 'wasm'];

export type ErrorClass = typeof TypeError | typeof RangeError;

/** Runs `fn` and checks that it throws `cls` with `code` and a message matching `message`. */
export function expectError(fn: () => unknown, cls: ErrorClass, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${cls.name} ${code}`).toBeInstanceOf(cls);
  expect((thrown as { code?: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(message);
}
