/**
 * The library as the shared suites see it: the environment-neutral core that both entries export
 * (ts/index.ts for Node, ts/browser.ts — the package's browser entry — for pages). Each suite file
 * passes in the entry it tests, so the same cases run on both.
 */
import type * as core from '../../ts/core.js';

export type Api = typeof core;
