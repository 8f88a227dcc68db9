/**
 * The Node entry's backends: the native addon and the shipped wasm module, both loaded
 * synchronously at import, and the choice at load (`RNN_WASM_BACKEND`, else the fastest). The
 * wasm module is the relaxed-SIMD build where the engine validates relaxed SIMD, else the
 * SIMD128 one (`RNN_WASM_SIMD=simd128|relaxed|auto` overrides; see load-wasm.ts).
 * Imported first by index.ts, for its effect.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { BackendName } from './backend.js';
import { loadNativeBackend } from './backends/native.js';
import { loadWasmBackend } from './backends/wasm.js';
import { runtimeError } from './errors.js';
import { warn } from './env.js';
import { chooseWasmSimd, initFrom, setWasmSimd, WASM_FILES, type InitOptions, type WasmSimd, type WasmSource } from './load-wasm.js';
import { chooseInitialBackend, getBackend, installBackends } from './registry.js';

/** Where a shipped module is: next to dist/ in the package. */
function shippedUrl(simd: WasmSimd): URL {
  return new URL(`../wasm/${WASM_FILES[simd]}`, import.meta.url);
}

/** The bytes of a shipped module. */
function shippedBytes(simd: WasmSimd): Uint8Array {
  return readFileSync(shippedUrl(simd));
}

/** The bytes of the module file at `path`; a failed read is ERR_RNN_BACKEND_UNAVAILABLE. */
async function readModule(path: string | URL): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw runtimeError('ERR_RNN_BACKEND_UNAVAILABLE', `could not load the WebAssembly module: ${(error as Error).message}`, error);
  }
}

/**
 * The wasm backend over the shipped module `RNN_WASM_SIMD` or the engine picks. A relaxed-SIMD
 * module that does not load falls back to the SIMD128 one, with a warning.
 */
function loadShippedWasm() {
  const simd = chooseWasmSimd();
  if (simd === 'relaxed') {
    try {
      const backend = loadWasmBackend(shippedBytes('relaxed'));
      setWasmSimd('relaxed');
      return backend;
    } catch (error) {
      warn(`could not load the relaxed-SIMD module (${(error as Error).message}); loading the SIMD128 one`);
    }
  }
  const backend = loadWasmBackend(shippedBytes('simd128'));
  setWasmSimd('simd128');
  return backend;
}

installBackends({ native: loadNativeBackend, wasm: loadShippedWasm });
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
 * `RNN_WASM_BACKEND` chose a backend). Given no source but `options.simd`, it loads that shipped
 * module (`'auto'`: as at import) the same way.
 */
export async function init(source?: WasmSource, options?: InitOptions): Promise<BackendName> {
  if (source === undefined) {
    if (options?.simd === undefined) return getBackend();
    const simd = chooseWasmSimd(options.simd);
    return initFrom(await readModule(shippedUrl(simd)), false, simd);
  }
  if (isFile(source)) {
    return initFrom(await readModule(source instanceof URL || source.startsWith('file:') ? new URL(source) : source), false);
  }
  return initFrom(source, false);
}
