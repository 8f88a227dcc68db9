/**
 * NumPy-like arrays and the conversion of every accepted input form into them.
 *
 * Conversion is the only place where user data is read; everything after it works on
 * C-ordered Float64Array data whose length equals the product of the shape.
 *
 * What is checked is what is used: `data`, `shape`, `stride`, `offset` and every shape and
 * stride entry are read once into values of our own, and nested arrays are checked as they are
 * copied, so getters and Proxies cannot show one value to the checks and another to the
 * kernels. Typed arrays are identified and measured through their internal slots, never
 * through properties that an instance, a subclass or a Proxy could redefine.
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

/** The most dimensions an array may have (NumPy 2's limit). */
const MAX_RANK = 64;

// The accessors of %TypedArray%.prototype read a typed array's internal slots. The kind one
// returns undefined for anything that is not a typed array (including a Proxy of one) and
// never throws.
const TypedArrayPrototype = Object.getPrototypeOf(Float64Array.prototype) as object;
function slotGetter<T>(key: PropertyKey): (this: unknown) => T {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- taken unbound on purpose: always run with .call(value)
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get as (this: unknown) => T;
}
const typedArrayKind = slotGetter<string | undefined>(Symbol.toStringTag);
const typedArrayLength = slotGetter<number>('length');
const typedArrayBuffer = slotGetter<ArrayBufferLike>('buffer');
const typedArrayByteOffset = slotGetter<number>('byteOffset');

/** True when the typed array's buffer was detached (transferred): its memory is gone. */
function isDetached(view: unknown): boolean {
  const buffer = typedArrayBuffer.call(view);
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** A short human description of a value, for error messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const kind = typedArrayKind.call(value);
  if (kind !== undefined) return withArticle(kind);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? withArticle(name.slice(0, 40)) : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  const primitive = value as number | boolean | bigint | symbol; // all that is left
  return `${typeof primitive} ${String(primitive)}`;
}

function withArticle(name: string): string {
  return `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** A shape, stride or offset entry, for error messages. */
function describeEntry(value: unknown): string {
  return typeof value === 'number' ? String(value) : describe(value);
}

function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const n of shape) size *= n;
  return size;
}

export function ndarray(data: Float64Array, shape: number[]): NDArray {
  return { data, shape };
}

const ACCEPTED = 'an NDArray {data, shape}, a nested array of numbers, or a number';

/**
 * How an error names an argument: the name, or a function that makes it. Names such as
 * `caches[0][3][2] (xt)` cost more to build than checking the array they name, so the checks
 * that run on every call take the function and build the name only for an error.
 */
export type Name = string | (() => string);

export function nameOf(name: Name): string {
  return typeof name === 'string' ? name : name();
}

/**
 * Converts any accepted input into a C-ordered float64 NDArray. A C-contiguous Float64Array
 * input is not copied: the result is a view of the same memory (never written to), which `call`
 * looks at again before its data is read; everything else is copied.
 */
export function toNDArray(call: CallContext, value: unknown, name: Name): NDArray {
  if (typeof value === 'number') return { data: Float64Array.of(value), shape: [] };
  if (Array.isArray(value)) return fromNested(value, nameOf(name));
  if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    return fromArrayLike(call, value, name);
  }
  throw typeError('ERR_RNN_TYPE', `${nameOf(name)} must be ${ACCEPTED}; got ${describe(value)}`);
}

/** A length read from a caller's array: a Proxy may claim anything. */
function arrayLength(value: readonly unknown[], name: Name): number {
  const length: unknown = value.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw rangeError('ERR_RNN_SHAPE', `${nameOf(name)} has a length that is not a non-negative integer: ${describeEntry(length)}`);
  }
  return length;
}

function fromNested(value: readonly unknown[], name: string): NDArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) {
      throw rangeError(
        'ERR_RNN_SHAPE',
        `${name} is nested more than ${MAX_RANK} levels deep (does an array contain itself?)`,
      );
    }
    shape.push(arrayLength(probe, name));
    probe = probe[0];
  }
  checkSize(shape, name);
  const data = new Float64Array(sizeOf(shape));
  let next = 0;
  // The indices down to the node being read: its path in an error, built only then.
  const at: number[] = [];
  const path = (depth: number) => name + at.slice(0, depth).map((i) => `[${i}]`).join('');
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw typeError('ERR_RNN_TYPE', `${path(depth)} must be a number; got ${describe(node)}`);
      }
      data[next++] = node;
      return;
    }
    const length = Array.isArray(node) ? arrayLength(node, () => path(depth)) : -1;
    if (length !== shape[depth]) {
      const got = length >= 0 ? `length ${length}` : describe(node);
      throw rangeError(
        'ERR_RNN_SHAPE',
        `${name} is a ragged nested array: ${path(depth)} must be an array of length ${shape[depth]}; got ${got}`,
      );
    }
    const array = node as readonly unknown[];
    for (let i = 0; i < length; i++) {
      at[depth] = i;
      walk(array[i], depth + 1);
    }
  };
  walk(value, 0);
  return { data, shape };
}

function fromArrayLike(call: CallContext, value: Record<string, unknown>, name: Name): NDArray {
  const shape = readShape(value.shape, name);
  const source = readData(value.data, name);
  const strideValue = value.stride;
  const offset = value.offset;
  const stride = strideValue === undefined ? undefined : readStride(strideValue, shape, nameOf(name));
  const size = sizeOf(shape);
  const length = source.length;
  // A strided view (scijs ndarray) may cover only part of its data, even in plain C order.
  const view = stride !== undefined && length !== size;
  if (view || !isPlainCOrder(stride, offset, shape)) {
    return { data: gatherStrided(source, shape, stride, offset, nameOf(name)), shape };
  }
  if (length !== size) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${nameOf(name)}.data has ${length} elements but shape ${formatShape(shape)} needs ${size}`,
    );
  }
  return { data: asFloat64(call, source, name), shape };
}

/** `data` as what it really is, with its true length. */
type Source =
  | { kind: 'Float64Array' | 'Float32Array'; array: Float64Array | Float32Array; length: number }
  | { kind: 'array'; array: readonly unknown[]; length: number };

function readData(data: unknown, name: Name): Source {
  const kind = typedArrayKind.call(data);
  if (kind === 'Float64Array' || kind === 'Float32Array') {
    if (isDetached(data)) {
      throw typeError(
        'ERR_RNN_TYPE',
        `${nameOf(name)}.data is a ${kind} whose ArrayBuffer was detached (transferred); its contents are gone`,
      );
    }
    return { kind, array: data as Float64Array | Float32Array, length: typedArrayLength.call(data) };
  }
  if (kind === undefined && Array.isArray(data)) {
    return { kind: 'array', array: data, length: arrayLength(data, `${nameOf(name)}.data`) };
  }
  const posing = kind === undefined && data instanceof (TypedArrayPrototype.constructor as typeof Float64Array);
  throw typeError(
    'ERR_RNN_TYPE',
    `${nameOf(name)}.data must be a Float64Array, Float32Array or number[]; got ` +
      (posing ? 'an object that inherits from a typed array but is not one (a Proxy?)' : describe(data)),
  );
}

/** True when stride/offset are absent or describe the plain C order from index 0. */
function isPlainCOrder(stride: number[] | undefined, offset: unknown, shape: readonly number[]): boolean {
  if (offset !== undefined && offset !== 0) return false;
  if (stride === undefined) return true;
  const c = cOrderStrides(shape);
  return c.every((s, k) => shape[k] <= 1 || stride[k] === s);
}

/** A copy of the caller's array, each entry read once; `what` names it in errors. */
function readEntries(value: unknown, what: string): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const length = arrayLength(value, what);
  if (length > MAX_RANK) {
    throw rangeError('ERR_RNN_SHAPE', `${what} has ${length} entries; at most ${MAX_RANK} dimensions are supported`);
  }
  const copy: unknown[] = [];
  for (let k = 0; k < length; k++) copy.push(value[k]);
  return copy;
}

function readShape(value: unknown, name: Name): number[] {
  return plainShape(value) ?? checkedShape(value, nameOf(name));
}

/**
 * The common case in one pass, allocating only the result: an array of at most MAX_RANK
 * non-negative safe integers, each read once, whose product fits. Anything else is undefined,
 * and `checkedShape` reads it again to say what is wrong.
 */
function plainShape(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const length: unknown = value.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || length > MAX_RANK) return undefined;
  // Exactly `length` long from the start: pushing onto [] reserves room for 17 entries.
  const shape = new Array<number>(length);
  let size = 1;
  for (let k = 0; k < length; k++) {
    const n: unknown = value[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined;
    shape[k] = n + 0; // -0 → 0
    size *= n;
  }
  return size <= MAX_ELEMENTS ? shape : undefined;
}

function checkedShape(value: unknown, name: string): number[] {
  const entries = readEntries(value, `${name}.shape`);
  if (entries === undefined) {
    throw typeError('ERR_RNN_TYPE', `${name}.shape must be an array of integers; got ${describe(value)}`);
  }
  if (!entries.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${name}.shape must hold non-negative integers; got [${entries.map(describeEntry).join(', ')}]`,
    );
  }
  const shape = (entries as number[]).map((n) => n + 0); // -0 → 0
  checkSize(shape, name);
  return shape;
}

function readStride(value: unknown, shape: readonly number[], name: string): number[] {
  const entries = readEntries(value, `${name}.stride`);
  if (
    entries === undefined ||
    entries.length !== shape.length ||
    !entries.every((s) => typeof s === 'number' && Number.isSafeInteger(s))
  ) {
    const got = entries === undefined ? describe(value) : `[${entries.map(describeEntry).join(', ')}]`;
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${name}.stride must be ${shape.length} integers, one per dimension of shape ${formatShape(shape)}; got ${got}`,
    );
  }
  return entries as number[];
}

/** Largest element count of one array: the length limit of a Float64Array. */
export const MAX_ELEMENTS = 2 ** 32 - 1;

function checkSize(shape: readonly number[], name: string): void {
  if (sizeOf(shape) > MAX_ELEMENTS) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${name} with shape ${formatShape(shape)} has more than ${MAX_ELEMENTS} elements`,
    );
  }
}

/**
 * C-ordered data of exactly `source.length` elements as a Float64Array: for Float64Array data a
 * new view of the same memory (no copy, and none of the caller's own properties), else a copy.
 */
function asFloat64(call: CallContext, source: Source, name: Name): Float64Array {
  if (source.kind === 'Float64Array') {
    const view = new Float64Array(typedArrayBuffer.call(source.array), typedArrayByteOffset.call(source.array), source.length);
    call.readsInPlace(name, view, source.length);
    return view;
  }
  const out = new Float64Array(source.length);
  if (source.kind === 'Float32Array') {
    out.set(source.array); // reads the internal slots of a typed array
    return out;
  }
  for (let i = 0; i < source.length; i++) {
    const v = source.array[i];
    if (typeof v !== 'number') {
      throw typeError('ERR_RNN_TYPE', `${nameOf(name)}.data[${i}] must be a number; got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function gatherStrided(
  source: Source,
  shape: number[],
  strideValue: number[] | undefined,
  offsetValue: unknown,
  name: string,
): Float64Array {
  const rank = shape.length;
  const stride = strideValue ?? cOrderStrides(shape);
  const offset = offsetValue ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw rangeError('ERR_RNN_SHAPE', `${name}.offset must be a non-negative integer; got ${describeEntry(offset)}`);
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
  const data = source.array;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < size; i++) {
    let at = offset;
    for (let k = 0; k < rank; k++) at += index[k] * stride[k];
    const v = data[at];
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

// ---------------------------------------------------------------------------------------------
// Arrays read in place, looked at again before use

/** A caller's Float64Array that a call reads in place, and the length checked. */
interface InPlace {
  name: Name;
  view: Float64Array;
  length: number;
}

/**
 * One API call's reading of the caller's objects: the Float64Arrays it reads in place (no copy).
 * A getter or Proxy of the caller's that runs while later arguments are read can still detach
 * an array checked earlier (transfer its ArrayBuffer); `endOfCallerReads` looks again once no
 * more of the caller's code can run, so that no backend ever reads memory that is gone.
 *
 * Each API function makes its own and passes it to every conversion, so calls nested through a
 * caller's getter keep theirs apart and nothing outlives the call.
 */
export class CallContext {
  private inPlace: InPlace[] | undefined;

  /** Remembers that `view` (named `name` in errors) of `length` elements is read in place. */
  readsInPlace(name: Name, view: Float64Array, length: number): void {
    (this.inPlace ??= []).push({ name, view, length });
  }

  /**
   * Throws a TypeError if an array read in place was detached (or changed length) after it was
   * checked. Called after the last read of the caller's objects and before the first read of
   * their data.
   */
  endOfCallerReads(): void {
    const views = this.inPlace;
    if (views === undefined) return;
    this.inPlace = undefined;
    for (const { name, view, length } of views) {
      if (isDetached(view) || typedArrayLength.call(view) !== length) {
        throw typeError(
          'ERR_RNN_TYPE',
          `${nameOf(name)}.data was detached while rnn-wasm read the call's other arguments ` +
            '(a getter or Proxy transferred its ArrayBuffer); its contents are gone',
        );
      }
    }
  }
}
