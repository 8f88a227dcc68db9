/**
 * `init()`'s loader, environment-neutral: a WebAssembly module from a URL (fetched and compiled
 * as it downloads with `WebAssembly.instantiateStreaming`, or from its bytes when the server
 * does not send `application/wasm`), a `Response`, bytes or a compiled `WebAssembly.Module`.
 * Always asynchronous: Chrome refuses synchronous compiles of modules over 4 KB on the main
 * thread.
 */
import type { BackendName } from './backend.js';
import { wasmBackendFrom } from './backends/wasm-runtime.js';
import { runtimeError } from './errors.js';
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
 * must not instantiate synchronously either.
 */
export async function initFrom(source: WasmSource, asyncOnly: boolean): Promise<BackendName> {
  const { module, instance } = await instantiateWasm(source);
  const backend = wasmBackendFrom(module, instance, asyncOnly);
  installBackends({ wasm: () => backend });
  preferWasm();
  return getBackend();
}
