/**
 * The thread setting of the native backend: `setThreads(n)`, or `RNN_WASM_THREADS` at load;
 * by default the native kernels use every core. The wasm and js backends run on the calling
 * thread whatever the setting.
 */
import { envVar, warn } from './env.js';
import { rangeError } from './errors.js';
import { describe } from './ndarray.js';

/** Most threads a setting may ask for: far beyond any machine, small enough to stay exact. */
const MAX_THREADS = 1024;

function isThreadCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_THREADS;
}

/** From RNN_WASM_THREADS: a bad value warns and leaves the default, so import never fails. */
function fromEnvironment(): number | undefined {
  const raw = envVar('RNN_WASM_THREADS');
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (isThreadCount(n)) return n;
  warn(
    `RNN_WASM_THREADS=${JSON.stringify(raw)} is not an integer from 1 to ${MAX_THREADS}; using all cores`,
  );
  return undefined;
}

let setting: number | undefined = fromEnvironment();
const listeners = new Set<(n: number | undefined) => void>();

/** Calls `apply` with the setting now and whenever it changes (backends that use threads). */
export function onThreadSetting(apply: (n: number | undefined) => void): void {
  listeners.add(apply);
  apply(setting);
}

/** Lets the native kernels use up to `n` threads (an integer from 1 to 1024). */
export function setThreads(n: number): void {
  if (!isThreadCount(n)) {
    throw rangeError('ERR_RNN_THREADS', `threads must be an integer from 1 to ${MAX_THREADS}; got ${describe(n)}`);
  }
  setting = n;
  for (const apply of listeners) apply(n);
}
