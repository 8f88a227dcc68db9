/**
 * Parity with the notebook on the Node entry, on every backend: the shared suite of
 * test/shared/parity.ts (every output of every function within 1e-10 of the NumPy values in
 * test/fixtures/notebook.json, the caches' layout, nested-array caches). Plus a Node-only check
 * that the native kernel CI asks for through RNN_WASM_ISA is the one that runs.
 */
import { expect, test } from 'vitest';
import * as api from '../ts/index.js';
import { loadNativeBackend } from '../ts/backends/native.js';
import { BACKENDS } from './helpers.js';
import { defineParitySuite } from './shared/parity.js';

// CI runs this file once per native kernel, capped by RNN_WASM_ISA; make sure the cap took.
const ISA_CAP = process.env.RNN_WASM_ISA;
test.runIf(BACKENDS.includes('native') && (ISA_CAP === 'avx2' || ISA_CAP === 'scalar'))(
  `native runs the kernel RNN_WASM_ISA=${ISA_CAP} asks for`,
  () => {
    const want = ISA_CAP === 'avx2' ? 'avx2+fma' : 'scalar';
    expect(loadNativeBackend().cpuFeatures()).toBe(want);
  },
);

defineParitySuite(api, BACKENDS, 'parity with the notebook on the %s backend');
