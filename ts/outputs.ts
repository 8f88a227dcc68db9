/**
 * Where output buffers come from: every array a kernel writes (the notebook API's results and
 * scratch, the models' passes) is allocated here, so the size limit, the skipped zero-fill and
 * the test switch that poisons fresh outputs apply to all of them alike.
 */
import type { Backend } from './backend.js';
import { envVar } from './env.js';
import { rangeError } from './errors.js';
import { MAX_ELEMENTS } from './ndarray.js';

/** Below this size the zero-fill costs nothing worth saving. */
const UNFILLED_FROM_BYTES = 64 * 1024;

/**
 * A Float64Array of `length` elements whose contents are unspecified from 64 KiB up: for
 * buffers that are written whole before anything reads them (call outputs, joined input blocks).
 */
export function unfilledFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  // Node's Buffer can skip the zero-fill; a browser has no such allocation, and zero-fills.
  if (bytes < UNFILLED_FROM_BYTES || typeof Buffer === 'undefined') return new Float64Array(length);
  return new Float64Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, length);
}

/**
 * Test switch: with `RNN_WASM_POISON_OUTPUTS=1` fresh output buffers start as NaN, so an
 * element that a call leaves unwritten shows in its results instead of passing as a zero.
 */
const POISON_OUTPUTS = envVar('RNN_WASM_POISON_OUTPUTS') === '1';

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * One allocation for all the named outputs of a call on `backend`, handed out as views:
 * allocating a Float64Array costs about a microsecond, which matters for small sequences.
 * Checked against the backend's limit first, so an oversized call (`what` names it in the
 * error) fails before any memory is taken.
 *
 * Every element of every output must be written by the call that allocates it (the kernels and
 * layout conversions write each output whole; a caller that needs a zero-filled one fills it
 * itself), so the buffer is not zero-filled: that took ~10 % of an M-size LSTM forward pass.
 */
export function allocateOutputs<K extends string>(
  backend: Backend,
  what: string,
  lengths: Record<K, number>,
): Record<K, Float64Array> {
  let total = 0;
  for (const key in lengths) total += lengths[key];
  const limit = Math.min(MAX_ELEMENTS * 8, backend.maxCallBytes);
  if (total * 8 > limit) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${what} needs ${gib(total * 8)} for its outputs; the ${backend.name} backend allows ${gib(limit)} per call`,
    );
  }
  const buffer = unfilledFloat64Array(total);
  // Before anything is written: the native backend asks for huge pages here.
  backend.prepareOutputs?.(buffer);
  if (POISON_OUTPUTS) buffer.fill(NaN);
  const out = {} as Record<K, Float64Array>;
  let at = 0;
  for (const key in lengths) {
    out[key] = buffer.subarray(at, at + lengths[key]);
    at += lengths[key];
  }
  return out;
}
