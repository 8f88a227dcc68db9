/**
 * Float64Arrays for buffers that are written whole before anything reads them (call outputs,
 * joined input blocks), allocated without the zero-fill of `new Float64Array`.
 */

/** Below this size the zero-fill costs nothing worth saving. */
const UNFILLED_FROM_BYTES = 64 * 1024;

/** A Float64Array of `length` elements whose contents are unspecified from 64 KiB up. */
export function unfilledFloat64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  if (bytes < UNFILLED_FROM_BYTES) return new Float64Array(length);
  return new Float64Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, length);
}
