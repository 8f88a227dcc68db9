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
 * Small calls take their output buffer from a shared slab. A fresh ArrayBuffer costs 1-3 µs
 * whatever its size (the allocator, the zero-fill, the garbage collector's bookkeeping of
 * external memory), as much as the whole kernel of a small call; a view of a slab costs a few
 * tens of nanoseconds. As with Node's own `Buffer` pool, a view keeps its whole slab alive:
 * pieces are at most an eighth of a slab, so that is bounded, and pieces are never reused, so
 * each call's arrays stay its own. A slab is taken afresh once full (or detached: a caller
 * may transfer the buffer of a result).
 */
const SLAB_BYTES = 256 * 1024;
const POOLED_UP_TO_BYTES = SLAB_BYTES / 8;

let slab: ArrayBuffer | undefined;
/** Bytes of `slab` handed out; pieces start on 64-byte boundaries (cache lines). */
let slabUsed = 0;

/** A fresh buffer whose contents are unspecified (zeroed where only that is available). */
function freshBuffer(bytes: number): ArrayBuffer {
  // Node's Buffer can skip the zero-fill; a browser has no such allocation, and zero-fills.
  if (typeof Buffer === 'undefined') return new ArrayBuffer(bytes);
  return Buffer.allocUnsafeSlow(bytes).buffer;
}

/** `length` float64 elements of the current slab (a new one when it is full or gone). */
function pooledFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  if (bytes === 0) return new Float64Array(0);
  if (slab === undefined || slabUsed + bytes > slab.byteLength) {
    slab = freshBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Float64Array(slab, slabUsed, length);
  slabUsed += Math.ceil(bytes / 64) * 64;
  return view;
}

/**
 * A Float64Array of `length` elements whose contents are unspecified (zeroed only between the
 * pooled sizes and 64 KiB): for buffers that are written whole before anything reads them
 * (call outputs, joined input blocks).
 */
export function unfilledFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  if (bytes <= POOLED_UP_TO_BYTES) return pooledFloat64Array(length);
  if (bytes < UNFILLED_FROM_BYTES || typeof Buffer === 'undefined') return new Float64Array(length);
  return new Float64Array(freshBuffer(bytes), 0, length);
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
