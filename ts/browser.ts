/**
 * rnn-wasm in a browser (and for bundlers): the same API as the Node entry without the file
 * functions and the native backend. It runs on the js reference backend until `await init()`
 * has compiled the WebAssembly module; then on wasm.
 *
 * Nothing in this module's import graph uses Node: no `node:` imports, and `process` only
 * behind a `typeof process` check (env.ts).
 */
import type { BackendName } from './backend.js';
import { initFrom, type WasmSource } from './load-wasm.js';
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
 * Loads the WebAssembly module and makes wasm the active backend (unless `setBackend` chose
 * one). `source`: a URL or string URL (fetched, compiled as it streams), a `Response` or a
 * promise of one, the module's bytes, or a compiled `WebAssembly.Module`; by default the
 * package's `wasm/rnn_wasm.wasm`, located from this file so bundlers copy it as an asset.
 * Calling it again without a source returns the first call's promise.
 */
export function init(source?: WasmSource): Promise<BackendName> {
  if (source !== undefined) return initFrom(source, true);
  loading ??= initFrom(new URL('../wasm/rnn_wasm.wasm', import.meta.url), true).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
