/**
 * The Node entry's backends: the native addon and the shipped wasm module, both loaded
 * synchronously at import, and the choice at load (`RNN_WASM_BACKEND`, else the fastest).
 * Imported first by index.ts, for its effect.
 */
import { readFile } from 'node:fs/promises';
import type { BackendName } from './backend.js';
import { loadNativeBackend } from './backends/native.js';
import { loadWasmBackend } from './backends/wasm.js';
import { runtimeError } from './errors.js';
import { initFrom, type WasmSource } from './load-wasm.js';
import { chooseInitialBackend, getBackend, installBackends } from './registry.js';

installBackends({ native: loadNativeBackend, wasm: () => loadWasmBackend() });
chooseInitialBackend();

/** A path or `file:` URL, which Node's fetch cannot read. */
function isFile(source: WasmSource): source is string | URL {
  if (source instanceof URL) return source.protocol === 'file:';
  return typeof source === 'string' && (source.startsWith('file:') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(source));
}

/**
 * Resolves with the active backend. In Node the shipped module is already loaded at import, so
 * `init()` changes nothing; given a `source` (a path, URL, Response, bytes or compiled module) it
 * loads that module as the wasm backend instead and makes wasm active (unless `setBackend` or
 * `RNN_WASM_BACKEND` chose a backend).
 */
export async function init(source?: WasmSource): Promise<BackendName> {
  if (source === undefined) return getBackend();
  if (isFile(source)) {
    const path = source instanceof URL || source.startsWith('file:') ? new URL(source) : source;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw runtimeError('ERR_RNN_BACKEND_UNAVAILABLE', `could not load the WebAssembly module: ${(error as Error).message}`, error);
    }
    return initFrom(bytes, false);
  }
  return initFrom(source, false);
}
