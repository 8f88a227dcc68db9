/**
 * Shape and structure checks shared by the API functions. Each throws before any work is
 * done, with a message that names the argument and gives expected and actual shapes.
 */
import { rangeError, typeError } from './errors.js';
import { describe, formatShape, nameOf, toNDArray, type CallContext, type NDArray, type Name } from './ndarray.js';

/**
 * Named dimension values, e.g. `{ n_a: 5, m: 10 }`. Shapes name their dimensions with these
 * keys, with `'1'` for a literal 1 and `'n_a+n_x'` for the LSTM's concatenated input.
 */
export type DimValues = Record<string, number>;

function resolve(dims: DimValues, name: string): number {
  if (name === '1') return 1;
  if (name === 'n_a+n_x') return dims.n_a + dims.n_x;
  return dims[name];
}

/** Converts `value` and checks that it has `dimNames.length` dimensions; returns it. */
export function arrayOfRank(call: CallContext, value: unknown, name: Name, dimNames: readonly string[]): NDArray {
  const array = toNDArray(call, value, name);
  if (array.shape.length !== dimNames.length) {
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${nameOf(name)} must have ${dimNames.length} dimensions (${dimNames.join(', ')}); got shape ${formatShape(array.shape)}`,
    );
  }
  return array;
}

/** Whether `shape` is the named dimensions' (a loop without allocation: checked on every call). */
function hasShape(shape: readonly number[], dims: DimValues, dimNames: readonly string[]): boolean {
  if (shape.length !== dimNames.length) return false;
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] !== resolve(dims, dimNames[k])) return false;
  }
  return true;
}

/**
 * Checks an array's shape against named dimensions; `context` (e.g. "to match caches (4 step
 * caches)") says where the expected dimensions came from when they are not the array's own.
 */
export function requireShape(
  array: NDArray,
  name: Name,
  dims: DimValues,
  dimNames: readonly string[],
  context: Name = '',
): NDArray {
  if (!hasShape(array.shape, dims, dimNames)) {
    const expected = dimNames.map((d) => resolve(dims, d));
    const where = nameOf(context);
    throw rangeError(
      'ERR_RNN_SHAPE',
      `${nameOf(name)} must have shape ${formatShape(expected)} (${dimNames.join(', ')})${where && ` ${where}`}; ` +
        `got ${formatShape(array.shape)}`,
    );
  }
  return array;
}

/** Converts `value` and checks its shape against named dimensions (see `requireShape`). */
export function arrayOfShape(
  call: CallContext,
  value: unknown,
  name: Name,
  dims: DimValues,
  dimNames: readonly string[],
  context: Name = '',
): NDArray {
  return requireShape(toNDArray(call, value, name), name, dims, dimNames, context);
}

/**
 * A parameters dictionary: an object whose keys hold arrays. A Map is refused rather than read
 * as an object without keys.
 */
export function paramsObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw typeError('ERR_RNN_TYPE', `${name} must be an object of named weight arrays; got ${describe(value)}`);
  }
  if (value instanceof Map) {
    throw typeError(
      'ERR_RNN_TYPE',
      `${name} must be an object of named weight arrays; got a Map (pass Object.fromEntries(map))`,
    );
  }
  return value as Record<string, unknown>;
}

/** Expected shapes of parameter keys, in named dimensions. */
export type ParamSpec = Readonly<Record<string, readonly string[]>>;

/** Reads `keys` of a parameters object, each checked against `spec` with `dims`. */
export function readParams<K extends string>(
  call: CallContext,
  params: Record<string, unknown>,
  owner: string,
  spec: ParamSpec,
  keys: readonly K[],
  dims: DimValues,
): Record<K, NDArray> {
  const out = {} as Record<K, NDArray>;
  for (const key of keys) {
    out[key] = arrayOfShape(call, param(params, owner, key, spec, dims), paramName(owner, key), dims, spec[key]);
  }
  return out;
}

/**
 * The raw value of one key, or a TypeError naming the key and its expected shape (in numbers
 * when `dims` are known, else in named dimensions).
 */
export function param(
  params: Record<string, unknown>,
  owner: string,
  key: string,
  spec: ParamSpec,
  dims?: DimValues,
): unknown {
  const value = params[key];
  if (value === undefined) {
    const names = `(${spec[key].join(', ')})`;
    const shape = dims ? `${formatShape(spec[key].map((d) => resolve(dims, d)))} ${names}` : names;
    throw typeError('ERR_RNN_MISSING_KEY', `${owner} is missing key "${key}" (expected an array of shape ${shape})`);
  }
  return value;
}

export function paramName(owner: string, key: string): string {
  return owner === 'parameters' ? key : `${owner}["${key}"]`;
}

/** A cache tuple of the notebook: an array of exactly `fields.length` entries. */
export function cacheTuple(value: unknown, name: Name, fields: readonly string[]): unknown[] {
  if (!Array.isArray(value) || value.length !== fields.length) {
    throw typeError(
      'ERR_RNN_TYPE',
      `${nameOf(name)} must be a cache tuple (${fields.join(', ')}) as the forward pass returns it; got ${describe(value)}`,
    );
  }
  return value;
}

/** At least one row along axis 0: softmax over zero classes is undefined (NumPy raises too). */
export function requireRows(array: NDArray, name: string, what: string): void {
  if (array.shape[0] === 0) {
    throw rangeError('ERR_RNN_SHAPE', `${name} must have at least one row (${what}); got shape ${formatShape(array.shape)}`);
  }
}
