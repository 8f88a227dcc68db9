/**
 * rnn-wasm in a browser (and for bundlers): the same API as the Node entry without the file
 * functions and the native backend. It runs on the js reference backend until `await init()`
 * has compiled the WebAssembly module; then on wasm.
 *
 * Nothing in this module's import graph uses Node: no `node:` imports, and `process` only
 * behind a `typeof process` check (env.ts).
 */
import type { BackendName } from './backend.js';
import { warn } from './env.js';
import { chooseWasmSimd, initFrom, type InitOptions, type WasmSimd, type WasmSource } from './load-wasm.js';
import { installBackends } from './registry.js';

export * from './core.js';
// Bytes only: a file path throws, naming Node.
export { loadSafetensors, saveSafetensors } from './layers/safetensors.js';
export type { SafetensorsOptions } from './layers/safetensors.js';
// No file paths here: loadTfjsModel takes the parsed model.json and the weight bytes.
export { fromKeras, kerasLayer, loadTfjsModel } from './keras/import.js';

installBackends({}, { native: 'the native backend is only available in Node' });

let loading: Promise<BackendName> | undefined;

/**
 * The package's module for `simd`, located from this file so bundlers copy both as assets (each
 * `new URL` names its file literally, which is what bundlers look for).
 */
function shippedUrl(simd: WasmSimd): URL {
  return simd === 'relaxed' ? new URL('../wasm/rnn_wasm_relaxed.wasm', import.meta.url) : new URL('../wasm/rnn_wasm.wasm', import.meta.url);
}

/**
 * Loads the shipped module `option` asks for (see `chooseWasmSimd`); a relaxed-SIMD one that
 * fails to load falls back to SIMD128.
 */
async function loadShipped(option?: InitOptions['simd']): Promise<BackendName> {
  const simd = chooseWasmSimd(option);
  if (simd === 'relaxed') {
    try {
      return await initFrom(shippedUrl('relaxed'), true, 'relaxed');
    } catch (error) {
      warn(`could not load the relaxed-SIMD module (${(error as Error).message}); loading the SIMD128 one`);
    }
  }
  return initFrom(shippedUrl('simd128'), true, 'simd128');
}

/**
 * Loads the WebAssembly module and makes wasm the active backend (unless `setBackend` chose
 * one). `source`: a URL or string URL (fetched, compiled as it streams), a `Response` or a
 * promise of one, the module's bytes, or a compiled `WebAssembly.Module`; by default the
 * package's `wasm/rnn_wasm_relaxed.wasm` where the engine validates relaxed SIMD, else
 * `wasm/rnn_wasm.wasm` (`options.simd` chooses: `'relaxed'`, `'simd128'` or `'auto'`).
 * Calling it again without a source or options returns the first call's promise.
 */
export function init(source?: WasmSource, options?: InitOptions): Promise<BackendName> {
  if (source !== undefined) return initFrom(source, true);
  if (options?.simd !== undefined) return loadShipped(options.simd);
  loading ??= loadShipped().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
