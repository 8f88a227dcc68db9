/**
 * A recurrent layer's parameters under PyTorch's state-dict names: the key list and shapes,
 * the seeded initialisation, and reading a state dict (with an optional key prefix) with a
 * coded error naming the full key for anything missing, unknown or mis-shaped.
 */
import { rangeError, typeError } from '../errors.js';
import { describe, formatShape, toNDArray, type CallContext } from '../ndarray.js';
import { seededRandom } from '../model/random.js';
import { paramsObject } from '../validate.js';
import { gateCount, type CellCode } from './cells.js';
import type { LayerConfig, LayerDtype } from './options.js';
import type { LayerWeights } from './stack.js';

/** One state-dict entry: its key (without prefix), shape, and how the shape reads in words. */
export interface ParamEntry {
  key: string;
  shape: number[];
  dims: string;
  /** Index `layer·D + direction` into the stack's weights, and which of its arrays. */
  index: number;
  part: keyof LayerWeights;
}

/** The state-dict entries in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh. */
export function paramEntries(cell: CellCode, c: LayerConfig): ParamEntry[] {
  const G = gateCount(cell);
  const D = c.bidirectional ? 2 : 1;
  const H = c.hiddenSize;
  const rows = G === 1 ? 'hiddenSize' : `${G}·hiddenSize`;
  const entries: ParamEntry[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    for (let d = 0; d < D; d++) {
      const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const index = l * D + d;
      const inputs = l === 0 ? c.inputSize : D * H;
      const inputsName = l === 0 ? 'inputSize' : D === 2 ? '2·hiddenSize' : 'hiddenSize';
      entries.push({ key: `weight_ih${suffix}`, shape: [G * H, inputs], dims: `${rows}, ${inputsName}`, index, part: 'w_ih' });
      entries.push({ key: `weight_hh${suffix}`, shape: [G * H, H], dims: `${rows}, hiddenSize`, index, part: 'w_hh' });
      if (c.bias) {
        entries.push({ key: `bias_ih${suffix}`, shape: [G * H], dims: rows, index, part: 'b_ih' });
        entries.push({ key: `bias_hh${suffix}`, shape: [G * H], dims: rows, index, part: 'b_hh' });
      }
    }
  }
  return entries;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Zero weights for every layer and direction (biases stay zero when the layer has none). */
function zeroWeights(cell: CellCode, c: LayerConfig): LayerWeights[] {
  const G = gateCount(cell);
  const D = c.bidirectional ? 2 : 1;
  const H = c.hiddenSize;
  const weights: LayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    for (let d = 0; d < D; d++) {
      const inputs = l === 0 ? c.inputSize : D * H;
      weights.push({
        w_ih: new Float64Array(G * H * inputs),
        w_hh: new Float64Array(G * H * H),
        b_ih: new Float64Array(G * H),
        b_hh: new Float64Array(G * H),
      });
    }
  }
  return weights;
}

/**
 * PyTorch's initialisation: every weight and bias uniform in [−1/√H, 1/√H), drawn in state-dict
 * order from the seeded generator (the same numbers for the same seed, on every machine).
 */
export function initialWeights(cell: CellCode, c: LayerConfig): LayerWeights[] {
  const weights = zeroWeights(cell, c);
  const random = seededRandom(c.seed);
  const bound = 1 / Math.sqrt(c.hiddenSize);
  for (const e of paramEntries(cell, c)) {
    const data = weights[e.index][e.part];
    for (let i = 0; i < data.length; i++) data[i] = (2 * random.uniform() - 1) * bound;
  }
  return weights;
}

/** Rounds every value of `data` to float32 in place (a float32 layer's parameters and inputs); returns it. */
export function roundToFloat32(data: Float64Array): Float64Array {
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]);
  return data;
}

/**
 * The weights of a layer of element type `dtype`: a float32 layer's rounded to float32 in place.
 * They stay Float64Arrays holding float32 values: the kernels take Float64Array buffers, so the
 * weights cross the boundary as they are, with no conversion per call.
 */
export function weightsOfDtype(weights: LayerWeights[], dtype: LayerDtype): LayerWeights[] {
  if (dtype === 'float32') {
    for (const w of weights) for (const part of [w.w_ih, w.w_hh, w.b_ih, w.b_hh]) roundToFloat32(part);
  }
  return weights;
}

/** The prefix argument of `loadStateDict`: a string, `{ prefix }`, or absent (''). */
export function readPrefix(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const prefix = (value as { prefix?: unknown }).prefix;
    if (keys.every((k) => k === 'prefix') && (prefix === undefined || typeof prefix === 'string')) return prefix ?? '';
  }
  throw typeError('ERR_RNN_TYPE', `loadStateDict's prefix must be a string or { prefix: string }; got ${describe(value)}`);
}

/**
 * One value of a state dict as an array of `entry`'s shape (a copy the layer owns). NDArray-likes
 * and nested arrays must have exactly that shape; a bare Float64Array or Float32Array, or a flat
 * number[], carries no shape of its own and is taken as the C-ordered data when its length fits.
 */
function readValue(call: CallContext, value: unknown, name: string, entry: ParamEntry): Float64Array {
  const expected = size(entry.shape);
  const bare = ArrayBuffer.isView(value) && !(value instanceof DataView);
  // A bare typed array is read as the data of a 1-D array (the conversion checks its kind and
  // true length); a flat number[] converts to one anyway.
  const array = toNDArray(call, bare ? { data: value, shape: [(value as Float64Array).length] } : value, name);
  if ((bare || Array.isArray(value)) && array.shape.length === 1 && array.data.length === expected) {
    return Float64Array.from(array.data);
  }
  const same = array.shape.length === entry.shape.length && array.shape.every((n, k) => n === entry.shape[k]);
  if (!same) {
    const got = bare ? `${describe(value)} of ${array.data.length} values` : formatShape(array.shape);
    throw rangeError('ERR_RNN_SHAPE', `${name} must have shape ${formatShape(entry.shape)} (${entry.dims}); got ${got}`);
  }
  return Float64Array.from(array.data);
}

/**
 * The weights a state dict gives, checked whole before anything changes: the keys under
 * `prefix` (others are ignored) must be exactly `entries`' keys, each of its shape.
 */
export function readStateDict(
  call: CallContext,
  sd: unknown,
  prefix: string,
  cell: CellCode,
  c: LayerConfig,
  className: string,
): LayerWeights[] {
  const dict = paramsObject(sd, 'stateDict');
  const entries = paramEntries(cell, c);
  const known = new Set(entries.map((e) => e.key));
  const under = prefix === '' ? '' : ` under the prefix "${prefix}"`;
  for (const full of Object.keys(dict)) {
    if (!full.startsWith(prefix)) continue;
    const key = full.slice(prefix.length);
    if (known.has(key)) continue;
    const hint = /^bias_/.test(key) && !c.bias
      ? ' (this layer was built with bias: false)'
      : prefix === '' && key.includes('.')
        ? ' (to read part of a larger state dict, pass its key prefix as loadStateDict\'s second argument)'
        : '';
    throw rangeError(
      'ERR_RNN_VALUE',
      `stateDict has an unknown key "${full}"${hint}; this ${className} takes${under} ${[...known].join(', ')}`,
    );
  }
  const weights = zeroWeights(cell, c);
  for (const e of entries) {
    const full = prefix + e.key;
    const value = dict[full];
    const name = `stateDict["${full}"]`;
    if (value === undefined) {
      throw typeError(
        'ERR_RNN_MISSING_KEY',
        `stateDict is missing key "${full}" (expected an array of shape ${formatShape(e.shape)} (${e.dims}))`,
      );
    }
    weights[e.index][e.part] = readValue(call, value, name, e);
  }
  return weights;
}
