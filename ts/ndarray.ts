/**
 * NumPy-like arrays and the conversion of every accepted input form into them.
 *
 * Conversion is the only place where user data is read; everything after it works on
 * C-ordered Float64Array data whose length equals the product of the shape.
 */
import { rangeError, typeError } from './errors.js';

/** A C-ordered (row-major) float64 array, laid out as `numpy.ndarray.ravel()` would. */
export interface NDArray {
  data: Float64Array;
  shape: number[];
}

/** Plain nested JS arrays of numbers, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = number | readonly NestedArray[];

/** Objects with `data`/`shape` (and optionally scijs-ndarray style `stride`/`offset`). */
export interface NDArrayLike {
  data: Float64Array | Float32Array | readonly number[];
  shape: readonly number[];
  stride?: readonly number[];
  offset?: number;
}

/** Everything the API accepts where it expects an array. */
export type ArrayInput = NDArray | NDArrayLike | NestedArray;

export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** A short human description of a value, for error messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const n of shape) size *= n;
  return size;
}

export function ndarray(data: Float64Array, shape: number[]): NDArray {
  return { data, shape };
}

export function zeros(shape: number[]): NDArray {
  return { data: new Float64Array(sizeOf(shape)), shape };
}

const ACCEPTED = 'an NDArray {data, shape}, a nested array of numbers, or a number';

/**
 * Converts any accepted input into a C-ordered float64 NDArray. A C-contiguous Float64Array
 * input is used as is (never written to); everything else is copied.
 */
export function toNDArray(value: unknown, name: string): NDArray {
  if (typeof value === 'number') return { data: Float64Array.of(value), shape: [] };
  if (Array.isArray(value)) return fromNested(value, name);
  if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    return fromArrayLike(value as Record<string, unknown>, name);
  }
  throw typeError('ERR_RNN_TYPE', `${name} must be ${ACCEPTED}; got ${describe(value)}`);
}

function fromNested(value: readonly unknown[], name: string): NDArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  checkSize(shape, name);
  const data = new Float64Array(sizeOf(shape));
  let next = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw typeError('ERR_RNN_TYPE', `${path} must be a number; got ${describe(node)}`);
      }
      data[next++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `length ${node.length}` : describe(node);
      throw rangeError(
        'ERR_RNN_SHAPE',
        `${name} is a ragged nested array: ${path} must be an array of length ${shape[depth]}; got ${got}`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, name);
  return { data, shape };
}

function fromArrayLike(value: Record<string, unknown>, name: string): NDArray {
  const shape = readShape(value.shape, name);
  const source = value.data;
  if (!(source instanceof Float64Array || source instanceof Float32Array || Array.isArray(source))) {
    throw typeError(
      'ERR_RNN_TYPE',
      `${name}.data must be a Float64Array, Float32Array or number[]; got ${describe(source)}`,
    );
  }
  const size = sizeOf(shape);
  // A strided view (scijs ndarray) may cover only part of its data, even in plain C order.
  const view = value.stride !== undefined && source.length !== size;
  if (view || !isPlainCOrder(value.stride, value.offset, shape)) {
    return { data: gatherStrided(source, shape, value.stride, value.offset, name), shape };
  }
  if (source.length !== size) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${name}.data has ${source.length} elements but shape ${formatShape(shape)} needs ${size}`,
    );
  }
  if (source instanceof Float64Array) return { data: source, shape };
  return { data: copyNumbers(source, size, name), shape };
}

/** True when stride/offset are absent or describe the plain C order from index 0. */
function isPlainCOrder(stride: unknown, offset: unknown, shape: readonly number[]): boolean {
  if (offset !== undefined && offset !== 0) return false;
  if (stride === undefined) return true;
  const c = cOrderStrides(shape);
  return Array.isArray(stride) && stride.length === c.length && c.every((s, k) => shape[k] <= 1 || stride[k] === s);
}

function readShape(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape)) {
    throw typeError('ERR_RNN_TYPE', `${name}.shape must be an array of integers; got ${describe(shape)}`);
  }
  for (const n of shape) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw rangeError(
        'ERR_RNN_SHAPE',
        `${name}.shape must hold non-negative integers; got [${shape.map(String).join(', ')}]`,
      );
    }
  }
  const copy = shape.slice() as number[];
  checkSize(copy, name);
  return copy;
}

/** Largest element count of one array: the length limit of a Float64Array. */
export const MAX_ELEMENTS = 2 ** 32 - 1;

export function checkSize(shape: readonly number[], name: string): void {
  if (sizeOf(shape) > MAX_ELEMENTS) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${name} with shape ${formatShape(shape)} has more than ${MAX_ELEMENTS} elements`,
    );
  }
}

function copyNumbers(source: Float32Array | readonly unknown[], count: number, name: string): Float64Array {
  if (source instanceof Float32Array) return Float64Array.from(source);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = source[i];
    if (typeof v !== 'number') {
      throw typeError('ERR_RNN_TYPE', `${name}.data[${i}] must be a number; got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function gatherStrided(
  source: Float64Array | Float32Array | readonly unknown[],
  shape: number[],
  strideValue: unknown,
  offsetValue: unknown,
  name: string,
): Float64Array {
  const rank = shape.length;
  const stride = strideValue === undefined ? cOrderStrides(shape) : strideValue;
  if (
    !Array.isArray(stride) ||
    stride.length !== rank ||
    !stride.every((s) => typeof s === 'number' && Number.isSafeInteger(s))
  ) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${name}.stride must be ${rank} integers, one per dimension of shape ${formatShape(shape)}; got ${describe(stride)}`,
    );
  }
  const offset = offsetValue ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw rangeError('ERR_RNN_SHAPE', `${name}.offset must be a non-negative integer; got ${String(offset)}`);
  }
  const size = sizeOf(shape);
  const out = new Float64Array(size);
  if (size === 0) return out;
  // Every index the view can reach must lie inside data.
  let lo = offset;
  let hi = offset;
  for (let k = 0; k < rank; k++) {
    const reach = (shape[k] - 1) * stride[k];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (lo < 0 || hi >= source.length) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${name}: shape ${formatShape(shape)} with stride [${stride.join(', ')}] and offset ${offset} reaches ` +
        `indices ${lo}..${hi}, outside data of length ${source.length}`,
    );
  }
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < size; i++) {
    let at = offset;
    for (let k = 0; k < rank; k++) at += index[k] * stride[k];
    const v = source[at];
    if (typeof v !== 'number') {
      throw typeError('ERR_RNN_TYPE', `${name}.data[${at}] must be a number; got ${describe(v)}`);
    }
    out[i] = v;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

function cOrderStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    stride[k] = step;
    step *= shape[k];
  }
  return stride;
}
