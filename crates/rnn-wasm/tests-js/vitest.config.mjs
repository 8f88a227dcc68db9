// Runs this folder's suite on its own, from the repository root (so that vitest's cache stays in
// the root's node_modules, outside the sources the wasm build hashes):
//   npx vitest run --config crates/rnn-wasm/tests-js/vitest.config.mjs
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['crates/rnn-wasm/tests-js/*.test.mjs'],
    environment: 'node',
    testTimeout: 120_000,
  },
});
