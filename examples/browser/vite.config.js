// `npm run demo`: Vite's dev server on this folder. `rnn-wasm` and `rnn-wasm/worker` resolve to
// the repository's own build (dist/browser.js, dist/worker.js), so the demo always runs the code
// in this tree; `npm run build` refreshes it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  resolve: {
    alias: [
      { find: /^rnn-wasm\/worker$/, replacement: `${repo}dist/worker.js` },
      { find: /^rnn-wasm$/, replacement: `${repo}dist/browser.js` },
    ],
  },
  // The module workers import the package too; the same aliases apply to them.
  worker: { format: 'es' },
  server: {
    host: '127.0.0.1',
    port: 5173,
    // dist/, wasm/ and node_modules/ live above this folder.
    fs: { allow: [repo] },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: `${repo}examples/browser/dist`, emptyOutDir: true, target: 'es2022' },
});
