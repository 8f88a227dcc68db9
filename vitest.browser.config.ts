// Browser runs of the parity, bad-input, model, layers, ONNX, TF.js, init and worker suites
// (test/browser/*.spec.ts) in headless Chromium through Playwright, on the package's browser
// entries (dist/browser.js and the subpaths' browser files, built by `npm run build`).
// `npm run test:browser`. The Node suites keep vitest.config.ts.
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { launchOptions } from './test/browser/chromium.mjs';

export default defineConfig({
  resolve: {
    // The package by name, as an app would import it, resolved to what a bundler picks for the
    // browser: the "default" condition of the ".", "./worker", "./onnx" and "./tfjs" exports.
    alias: [
      { find: /^rnn-wasm\/worker$/, replacement: fileURLToPath(new URL('./dist/worker.js', import.meta.url)) },
      { find: /^rnn-wasm\/onnx$/, replacement: fileURLToPath(new URL('./dist/onnx.js', import.meta.url)) },
      { find: /^rnn-wasm\/tfjs$/, replacement: fileURLToPath(new URL('./dist/tfjs/browser.js', import.meta.url)) },
      { find: /^rnn-wasm$/, replacement: fileURLToPath(new URL('./dist/browser.js', import.meta.url)) },
    ],
  },
  // Pre-bundled before the first spec runs (found mid-run, they would reload the page): the ONNX
  // reader's protobuf decoder and the TF.js peer of rnn-wasm/tfjs.
  optimizeDeps: { include: ['protobufjs/light.js', '@tensorflow/tfjs'] },
  test: {
    include: ['test/browser/**/*.spec.ts'],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: launchOptions() }),
      instances: [{ browser: 'chromium' }],
      screenshotFailures: false,
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
