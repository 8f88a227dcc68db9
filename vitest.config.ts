import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'crates/rnn-wasm/tests-js/*.test.mjs'],
    environment: 'node',
    pool: 'forks',
    // global.gc for the memory suite's samples.
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
