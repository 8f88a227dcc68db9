/**
 * The wasm backend in Node: the shipped `wasm/rnn_wasm.wasm` read and compiled synchronously at
 * load (Node has no main-thread limit on synchronous compiles). The runtime itself is
 * environment-neutral (wasm-runtime.ts).
 */
import { readFileSync } from 'node:fs';
import { wasmBackendFrom, type WasmBackend } from './wasm-runtime.js';

export type { WasmBackend } from './wasm-runtime.js';

/** The shipped module, next to dist/ in the package. */
export const WASM_FILE = new URL('../../wasm/rnn_wasm.wasm', import.meta.url);

/** The wasm backend over `bytes` (by default the shipped `wasm/rnn_wasm.wasm`). */
export function loadWasmBackend(bytes: Uint8Array = readFileSync(WASM_FILE)): WasmBackend {
  const module = new WebAssembly.Module(bytes);
  return wasmBackendFrom(module, new WebAssembly.Instance(module, {}));
}
