/**
 * `init()`'s loader, environment-neutral: a WebAssembly module from a URL (fetched and compiled
 * as it downloads with `WebAssembly.instantiateStreaming`, or from its bytes when the server
 * does not send `application/wasm`), a `Response`, bytes or a compiled `WebAssembly.Module`.
 * Always asynchronous: Chrome refuses synchronous compiles of modules over 4 KB on the main
 * thread.
 */
import type { BackendName } from './backend.js';
import { wasmBackendFrom } from './backends/wasm-runtime.js';
import { envVar, warn } from './env.js';
import { runtimeError, typeError } from './errors.js';
import { getBackend, installBackends, preferWasm } from './registry.js';

/** What `init` accepts: where the module is, its bytes, or the compiled module. */
export type WasmSource =
  | string
  | URL
  | Response
  | PromiseLike<Response>
  | ArrayBuffer
  | ArrayBufferView
  | WebAssembly.Module;

/**
 * The shipped modules: `simd128` runs on every engine with SIMD; `relaxed` adds relaxed SIMD
 * (the GEMM tiles' multiply-adds are `f64x2.relaxed_madd` / `f32x4.relaxed_madd`, fused where
 * the CPU has FMA, so its results may differ from `simd128`'s by rounding).
 */
export type WasmSimd = 'simd128' | 'relaxed';

/** `init()`'s options. */
export interface InitOptions {
  /**
   * Which shipped module `init()` loads when given no source: `'auto'` (the default) the
   * relaxed-SIMD one where the engine validates relaxed SIMD, else the SIMD128 one. In Node the
   * `RNN_WASM_SIMD` environment variable sets the default, for the module loaded at import too.
   */
  simd?: WasmSimd | 'auto';
}

/** The file of each shipped module, in the package's `wasm/` folder. */
export const WASM_FILES: Readonly<Record<WasmSimd, string>> = {
  simd128: 'rnn_wasm.wasm',
  relaxed: 'rnn_wasm_relaxed.wasm',
};

const SIMD_SETTINGS: readonly string[] = ['auto', 'simd128', 'relaxed'];

/**
 * A module of one function, `(a, b, c) => f64x2.relaxed_madd(f32x4.relaxed_madd(a, b, c), b, c)`:
 * an engine validates it exactly when it runs relaxed SIMD (Node 22+; Node 20 under
 * `--experimental-wasm-relaxed-simd`; current browsers).
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x14, 0x01, 0x12, 0x00, // code: one body of 18 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, // local.get 0 1 2, f32x4.relaxed_madd
  0x20, 0x01, 0x20, 0x02, 0xfd, 0x87, 0x02, 0x0b, // local.get 1 2, f64x2.relaxed_madd, end
]);

let relaxedValidates: boolean | undefined;

/** Whether this engine runs relaxed SIMD (checked once). */
export function relaxedSimdSupported(): boolean {
  relaxedValidates ??= typeof WebAssembly.validate === 'function' && WebAssembly.validate(RELAXED_SIMD_PROBE);
  return relaxedValidates;
}

/**
 * The shipped module to load for `option` (`init`'s `simd`), else `RNN_WASM_SIMD`, else `'auto'`.
 * A bad `option` throws; a bad `RNN_WASM_SIMD` warns and counts as `'auto'`. Asking for
 * `'relaxed'` where the engine lacks relaxed SIMD warns and gives `'simd128'`.
 */
export function chooseWasmSimd(option?: unknown): WasmSimd {
  let setting = option;
  if (setting !== undefined && !SIMD_SETTINGS.includes(setting as string)) {
    throw typeError('ERR_RNN_TYPE', `init's simd option must be one of ${SIMD_SETTINGS.join(', ')}; got ${JSON.stringify(setting)}`);
  }
  if (setting === undefined) {
    const env = envVar('RNN_WASM_SIMD');
    if (env && !SIMD_SETTINGS.includes(env)) {
      warn(`RNN_WASM_SIMD=${JSON.stringify(env)} is not one of ${SIMD_SETTINGS.join(', ')}; choosing automatically`);
    } else setting = env || undefined;
  }
  const supported = relaxedSimdSupported();
  if (setting === 'simd128') return 'simd128';
  if (setting === 'relaxed' && !supported) {
    warn('relaxed SIMD was asked for but this engine does not validate it; loading the SIMD128 module');
  }
  return supported ? 'relaxed' : 'simd128';
}

let shipped: WasmSimd | undefined;

/**
 * Which shipped module the wasm backend runs: `'relaxed'` or `'simd128'`; undefined before one
 * is loaded or after `init` loaded a module it was given.
 */
export function wasmSimd(): WasmSimd | undefined {
  return shipped;
}

/** Records which shipped module the wasm backend runs (undefined: one given to `init`). */
export function setWasmSimd(simd: WasmSimd | undefined): void {
  shipped = simd;
}

function unavailable(message: string, cause?: unknown) {
  return runtimeError('ERR_RNN_BACKEND_UNAVAILABLE', `could not load the WebAssembly module: ${message}`, cause);
}

async function fromResponse(response: Response): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
  if (!response.ok) throw unavailable(`fetching ${response.url || 'it'} gave HTTP ${response.status}`);
  const streaming = WebAssembly.instantiateStreaming;
  if (typeof streaming === 'function') {
    // A server that sends another MIME type makes streaming fail: compile from the bytes then.
    const fallback = response.clone();
    try {
      return await streaming(response, {});
    } catch (error) {
      if (error instanceof WebAssembly.CompileError) throw unavailable(error.message, error);
      return WebAssembly.instantiate(await fallback.arrayBuffer(), {});
    }
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), {});
}

/** Compiles and instantiates `source`, without ever compiling synchronously. */
export async function instantiateWasm(source: WasmSource): Promise<{ module: WebAssembly.Module; instance: WebAssembly.Instance }> {
  try {
    if (source instanceof WebAssembly.Module) return { module: source, instance: await WebAssembly.instantiate(source, {}) };
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return await WebAssembly.instantiate(source, {});
    if (typeof source === 'string' || source instanceof URL) return await fromResponse(await fetch(source));
    if (source !== null && typeof source === 'object' && 'then' in source) return await fromResponse(await source);
    if (source !== null && typeof source === 'object' && 'arrayBuffer' in source) return await fromResponse(source);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_RNN_BACKEND_UNAVAILABLE') throw error;
    throw unavailable((error as Error).message, error);
  }
  throw unavailable('the source must be a URL, a Response, bytes or a WebAssembly.Module');
}

/**
 * Loads `source` as the wasm backend and makes it the active one unless a backend was chosen
 * on purpose (`setBackend`, `RNN_WASM_BACKEND`). `asyncOnly`: a browser, where trap recovery
 * must not instantiate synchronously either. `simd`: which shipped module `source` is, if it is one.
 */
export async function initFrom(source: WasmSource, asyncOnly: boolean, simd?: WasmSimd): Promise<BackendName> {
  const { module, instance } = await instantiateWasm(source);
  const backend = wasmBackendFrom(module, instance, asyncOnly);
  installBackends({ wasm: () => backend });
  setWasmSimd(simd);
  preferWasm();
  return getBackend();
}
