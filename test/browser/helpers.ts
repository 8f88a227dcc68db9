/**
 * The browser specs' helpers: the environment-neutral ones of test/shared/helpers.ts (test/helpers.ts
 * adds Node-only parts: the addon's state and RNN_WASM_* variables), the backends a page has, and
 * the package's browser entry as the shared suites take it.
 */
import * as entry from 'rnn-wasm';
import type { Api } from '../shared/api.js';

export * from '../shared/helpers.js';

/** The backends a page can run: the wasm module after `init()`, and the js reference. */
export const BROWSER_BACKENDS = ['wasm', 'js'] as const;

/**
 * The browser entry (dist/browser.js, aliased as 'rnn-wasm') for the shared suites. It is
 * ts/browser.ts built, which exports all of ts/core.ts; the cast is only needed because its
 * classes are declared in dist/ rather than ts/ (and so are different types to tsc). Every name
 * the suites use must be there.
 */
export const api = (entry satisfies Record<keyof Api, unknown>) as unknown as Api;

/** Loads the wasm module into the page; the suites' beforeAll expects 'wasm'. */
export const init = entry.init;
