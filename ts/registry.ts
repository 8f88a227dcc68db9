/**
 * Which backend runs the kernels. Chosen at load from `RNN_WASM_BACKEND` when set, else the
 * fastest that loads (native, then wasm, then the js reference); `setBackend` switches later.
 */
import type { Backend, BackendName } from './backend.js';
import { jsBackend } from './backends/js.js';
import { loadNativeBackend } from './backends/native.js';
import { loadWasmBackend } from './backends/wasm.js';
import { runtimeError, typeError } from './errors.js';
import { describe } from './ndarray.js';

const NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

const loaders: Record<BackendName, () => Backend> = {
  native: loadNativeBackend,
  wasm: loadWasmBackend,
  js: () => jsBackend,
};

const loaded = new Map<BackendName, Backend>();
const loadErrors = new Map<BackendName, string>();

function tryLoad(name: BackendName): Backend | undefined {
  const cached = loaded.get(name);
  if (cached || loadErrors.has(name)) return cached;
  try {
    const backend = loaders[name]();
    loaded.set(name, backend);
    return backend;
  } catch (error) {
    loadErrors.set(name, error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function checkName(name: unknown, source: string): BackendName {
  if (typeof name === 'string' && (NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw typeError('ERR_RNN_BACKEND', `${source} must be one of ${NAMES.join(', ')}; got ${describe(name)}`);
}

function initialBackend(): Backend {
  // A bad setting must not make the package unimportable: warn and use the default.
  const requested = process.env.RNN_WASM_BACKEND;
  if (requested !== undefined && requested !== '') {
    if (!(NAMES as readonly string[]).includes(requested)) {
      process.emitWarning(
        `RNN_WASM_BACKEND=${JSON.stringify(requested)} is not one of ${NAMES.join(', ')}; using the default backend`,
      );
    } else {
      const backend = tryLoad(requested as BackendName);
      if (backend) return backend;
      process.emitWarning(
        `RNN_WASM_BACKEND=${requested} is unavailable (${loadErrors.get(requested as BackendName)}); using the default backend`,
      );
    }
  }
  for (const name of NAMES) {
    const backend = tryLoad(name);
    if (backend) return backend;
  }
  return jsBackend;
}

let current: Backend = initialBackend();

/** The backend that runs the kernels: `'native' | 'wasm' | 'js'`. */
export function getBackend(): BackendName {
  return current.name;
}

/** Switches backend; throws (and keeps the current one) if `name` is unknown or cannot load. */
export function setBackend(name: BackendName): void {
  const checked = checkName(name, 'backend name');
  const backend = tryLoad(checked);
  if (!backend) {
    throw runtimeError(
      'ERR_RNN_BACKEND_UNAVAILABLE',
      `backend ${checked} is unavailable: ${loadErrors.get(checked)}`,
    );
  }
  current = backend;
}

/** Why each backend that failed to load did so (empty when all loaded or were not tried). */
export function backendErrors(): Partial<Record<BackendName, string>> {
  for (const name of NAMES) tryLoad(name);
  return Object.fromEntries(loadErrors);
}

/** The active backend, for the API layer. */
export function activeBackend(): Backend {
  return current;
}

/** Threads a call on the active backend may use: the native setting, else 1. */
export function getThreads(): number {
  return current.threads?.() ?? 1;
}
