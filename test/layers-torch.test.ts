/**
 * The recurrent layers against PyTorch on the Node entry, on every backend: the shared suite of
 * test/shared/layers-torch.ts (LSTM, GRU, RNN over the torch float64 cases of
 * test/fixtures/layers/*.json, forward outputs and backward gradients within 1e-10; the
 * safetensors files torch wrote, read from their bytes, loaded into layers and round-tripped).
 * Plus the Node-only part: loadSafetensors reads those files from their paths as well.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';
import * as api from '../ts/index.js';
import { BACKENDS } from './helpers.js';
import { SAFETENSORS, defineLayersTorchSuite, expectTensorsExact } from './shared/layers-torch.js';

const DIR = new URL('./fixtures/layers/', import.meta.url);
const pathOf = (file: string): string => fileURLToPath(new URL(file, DIR));

defineLayersTorchSuite(api, BACKENDS, 'recurrent layers match PyTorch on the %s backend', (file) => new Uint8Array(readFileSync(pathOf(file))));

describe('safetensors files torch wrote read back exactly from their paths', () => {
  test.each(SAFETENSORS.map((f) => [f.file, f] as const))('%s', (_name, f) => {
    expectTensorsExact(api.loadSafetensors(pathOf(f.file)), f, 'path');
  });
});
