/**
 * Argument checks for the model API: every bad value becomes a TypeError or RangeError whose
 * message names the argument and what was expected.
 */
import { rangeError, typeError } from '../errors.js';
import { describe } from '../ndarray.js';

/** An integer in `[min, max]`. */
export function integerIn(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError('ERR_RNN_TYPE', `${name} must be an integer; got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw rangeError('ERR_RNN_VALUE', `${name} must be an integer ${range}; got ${value}`);
  }
  return value;
}

/** A finite number, `> 0` when `positive`, else `≥ 0`. */
export function finiteNumber(value: unknown, name: string, positive: boolean): number {
  if (typeof value !== 'number') throw typeError('ERR_RNN_TYPE', `${name} must be a number; got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw rangeError('ERR_RNN_VALUE', `${name} must be a finite number ${positive ? '> 0' : '≥ 0'}; got ${value}`);
  }
  return value;
}

/** A number in `[0, 1)` (momentum and Adam's decay rates). */
export function fraction(value: unknown, name: string): number {
  const v = finiteNumber(value, name, false);
  if (v >= 1) throw rangeError('ERR_RNN_VALUE', `${name} must be in [0, 1); got ${v}`);
  return v;
}

/** An options object (absent means all defaults). */
export function optionsObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError('ERR_RNN_TYPE', `${name} must be an options object; got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * `length` class indices, each an integer in `[0, count)` or -1 (none), copied into a fresh
 * Float64Array (the kernels' element type) so the caller's array is never kept or changed.
 */
export function indexSequence(value: unknown, name: string, length: number, count: number): Float64Array {
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof (value as ArrayLike<number>).length !== 'number' ||
    !(Array.isArray(value) || ArrayBuffer.isView(value))
  ) {
    throw typeError('ERR_RNN_TYPE', `${name} must be an array of class indices; got ${describe(value)}`);
  }
  const source = value as ArrayLike<unknown>;
  if (source.length !== length) {
    throw rangeError('ERR_RNN_SHAPE', `${name} must hold T·m = ${length} indices (time-major [T][m]); got ${source.length}`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const k = source[i];
    if (typeof k !== 'number' || !(k === -1 || (Number.isInteger(k) && k >= 0 && k < count))) {
      throw rangeError(
        'ERR_RNN_VALUE',
        `${name}[${i}] must be -1 (none) or an integer index in [0, ${count}); got ${describe(k)}`,
      );
    }
    out[i] = k;
  }
  return out;
}
