/**
 * The recurrent layers against PyTorch in the browser: the shared suite of
 * test/shared/layers-torch.ts (the same fixture cases as test/layers-torch.test.ts) on the
 * package's browser entry, after `await init()`, on the wasm and js backends. The safetensors
 * fixtures are fetched from the test server as bytes.
 */
import { loadSafetensors, saveSafetensors } from 'rnn-wasm';
import { beforeAll, expect } from 'vitest';
import { defineLayersTorchSuite } from '../shared/layers-torch.js';
import { BROWSER_BACKENDS, api, init } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

async function fetchFixture(file: string): Promise<Uint8Array> {
  const response = await fetch(new URL(`../fixtures/layers/${file}`, import.meta.url));
  if (!response.ok) throw new Error(`fetching ${file}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

defineLayersTorchSuite(
  { ...api, loadSafetensors, saveSafetensors },
  BROWSER_BACKENDS,
  'recurrent layers match PyTorch in the browser on the %s backend',
  fetchFixture,
);
