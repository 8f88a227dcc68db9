/**
 * Which backend runs the kernels. The registry itself is environment-neutral: it starts on the
 * js reference, and each entry installs the loaders its environment has. The Node entry
 * (node-backends.ts) installs native and wasm and chooses at load from `RNN_WASM_BACKEND` when
 * set, else the fastest that loads (native, then wasm, then js); the browser entry installs
 * wasm when `init()` has compiled the module. `setBackend` switches later.
 */
import type { Backend, BackendName } from './backend.js';
import { jsBackend } from './backends/js.js';
import { envVar, warn } from './env.js';
import { runtimeError, typeError } from './errors.js';
import { describe } from './ndarray.js';

const NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

/** Why a backend without a loader is unavailable (replaced by each entry's own reasons). */
const missing: Record<BackendName, string> = {
  native: 'the native backend is only available in Node',
  wasm: 'the WebAssembly module is not loaded yet: `await init()` first',
  js: '',
};

const loaders: Partial<Record<BackendName, () => Backend>> = { js: () => jsBackend };

const loaded = new Map<BackendName, Backend>();
const loadErrors = new Map<BackendName, string>();

function tryLoad(name: BackendName): Backend | undefined {
  const cached = loaded.get(name);
  if (cached || loadErrors.has(name)) return cached;
  const loader = loaders[name];
  if (!loader) {
    loadErrors.set(name, missing[name]);
    return undefined;
  }
  try {
    const backend = loader();
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

let current: Backend = jsBackend;
/** Whether `setBackend` or `RNN_WASM_BACKEND` chose the backend (then `init` keeps it). */
let chosen = false;

/**
 * Installs backend loaders (replacing earlier ones and what they loaded or why they failed). A
 * loader runs when its backend is first asked for; `missing` says why a backend without one is
 * unavailable.
 */
export function installBackends(
  add: Partial<Record<BackendName, () => Backend>>,
  reasons: Partial<Record<BackendName, string>> = {},
): void {
  for (const [name, loader] of Object.entries(add) as [BackendName, () => Backend][]) {
    loaders[name] = loader;
    loaded.delete(name);
    loadErrors.delete(name);
  }
  for (const [name, reason] of Object.entries(reasons) as [BackendName, string][]) {
    missing[name] = reason;
    if (!loaders[name]) loadErrors.delete(name);
  }
}

/**
 * Picks the backend at load: `RNN_WASM_BACKEND` when set and loadable (a bad setting warns and
 * is ignored, so it cannot make the package unimportable), else the fastest that loads.
 */
export function chooseInitialBackend(): void {
  const requested = envVar('RNN_WASM_BACKEND');
  if (requested !== undefined && requested !== '') {
    if (!(NAMES as readonly string[]).includes(requested)) {
      warn(`RNN_WASM_BACKEND=${JSON.stringify(requested)} is not one of ${NAMES.join(', ')}; using the default backend`);
    } else {
      const backend = tryLoad(requested as BackendName);
      if (backend) {
        current = backend;
        chosen = true;
        return;
      }
      warn(`RNN_WASM_BACKEND=${requested} is unavailable (${loadErrors.get(requested as BackendName)}); using the default backend`);
    }
  }
  for (const name of NAMES) {
    const backend = tryLoad(name);
    if (backend) {
      current = backend;
      return;
    }
  }
  current = jsBackend;
}

/**
 * Makes the freshly installed wasm backend the active one, unless a backend was chosen on
 * purpose (`setBackend`, `RNN_WASM_BACKEND`). For `init`.
 */
export function preferWasm(): void {
  if (chosen) return;
  const backend = tryLoad('wasm');
  if (backend) current = backend;
}

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
  chosen = true;
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
