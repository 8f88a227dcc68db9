/**
 * Saving and loading models: a versioned JSON document, and `.npy` files of each weight for
 * NumPy users (the notebook's names for one-layer RNN and LSTM models, PyTorch's state-dict
 * names for the others).
 *
 * Two versions, both read:
 * - version 1: one-layer `rnn` and `lstm` models, parameters under the notebook's names
 *   (`Wax`, `Waa`, `ba`, `Wya`, `by`; the LSTM's fused `W`, `b`, then `Wy`, `by`);
 * - version 2 adds `layers` (≥ 1) and kind `gru`: GRU models and models of more than one layer,
 *   parameters under PyTorch's names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
 *   `bias_hh_l0`, ...), then `Wy`, `by`.
 * A model is written in the oldest version that can hold it, so a one-layer RNN or LSTM file is
 * exactly what earlier releases wrote and read.
 *
 * Either version may carry `dtype: "float32"` (a float32 model: its parameters are float32
 * values); a float64 model writes no `dtype`, and a file without one loads as float64. A build
 * that predates the field loads a float32 file as a float64 model with the same values.
 *
 * Numbers are written with JavaScript's shortest round-trip formatting, so a saved and
 * reloaded model has bit-identical parameters and gives identical outputs.
 */
import { rangeError, typeError } from '../errors.js';
import { describe, type NDArray } from '../ndarray.js';
import { MODEL_CLASSES, type ModelOf } from './models.js';
import type { ParamSet } from './optimizers.js';
import { MAX_LAYERS, type ModelDtype, type ModelKind, type SequenceModel } from './sequence-model.js';

export const MODEL_FORMAT = 'rnn-wasm-model';
/** The newest version this build writes (for models version 1 cannot hold) and reads. */
export const MODEL_VERSION = 2;

export interface SavedParameter {
  shape: number[];
  data: number[];
}

export interface SavedModel {
  format: typeof MODEL_FORMAT;
  /** 1 or 2 (see the top of this file). */
  version: number;
  kind: ModelKind;
  /** Version 2 only. */
  layers?: number;
  n_x: number;
  n_a: number;
  n_y: number;
  vocabulary?: string[];
  /** `'float32'` for a float32 model; absent for float64. */
  dtype?: 'float32';
  parameters: Record<string, SavedParameter>;
}

export function modelToJSON(model: SequenceModel): SavedModel {
  const shapes = model.parameterShapes();
  const parameters: Record<string, SavedParameter> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    parameters[name] = { shape, data: Array.from(model.params[name]) };
  }
  const version1 = model.layers === 1 && model.kind !== 'gru';
  return {
    format: MODEL_FORMAT,
    version: version1 ? 1 : 2,
    kind: model.kind,
    ...(version1 ? {} : { layers: model.layers }),
    n_x: model.n_x,
    n_a: model.n_a,
    n_y: model.n_y,
    ...(model.vocabulary ? { vocabulary: model.vocabulary.slice() } : {}),
    ...(model.dtype === 'float32' ? { dtype: 'float32' as const } : {}),
    parameters,
  };
}

export function serializeModel(model: SequenceModel): string {
  return JSON.stringify(modelToJSON(model));
}

/** The saved model as bytes: `serializeModel`'s JSON text in UTF-8 (what a model file holds). */
export function modelToBytes(model: SequenceModel): Uint8Array {
  return new TextEncoder().encode(serializeModel(model));
}

/** A model from `modelToBytes`'s bytes (or a model file's); rejected as `parseModel` does. */
export function modelFromBytes<K extends ModelKind = ModelKind>(
  bytes: Uint8Array | ArrayBuffer,
  expectedKind?: K,
  where = 'model',
): ModelOf<K> {
  if (!(bytes instanceof ArrayBuffer) && !(bytes instanceof Uint8Array)) {
    throw formatError(where, `expected the model's bytes (a Uint8Array or ArrayBuffer); got ${describe(bytes)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError(where, 'not UTF-8 text');
  }
  return parseModel(text, expectedKind, where);
}

function formatError(where: string, message: string) {
  return typeError('ERR_RNN_MODEL_FORMAT', `${where}: ${message}`);
}

/**
 * A model from its JSON text or parsed document. Anything malformed, of another version, of
 * another kind than `expectedKind`, or with parameters that do not match its dimensions is
 * rejected with ERR_RNN_MODEL_FORMAT; `where` names the source (e.g. the file) in messages.
 */
export function parseModel<K extends ModelKind = ModelKind>(source: unknown, expectedKind?: K, where = 'model'): ModelOf<K> {
  let doc: unknown = source;
  if (typeof source === 'string') {
    try {
      doc = JSON.parse(source);
    } catch (error) {
      throw formatError(where, `not valid JSON (${(error as Error).message})`);
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw formatError(where, `expected a JSON object; got ${describe(doc)}`);
  }
  const o = doc as Record<string, unknown>;
  if (o.format !== MODEL_FORMAT) {
    throw formatError(where, `not an rnn-wasm model (format must be "${MODEL_FORMAT}"; got ${describe(o.format)})`);
  }
  if (o.version !== 1 && o.version !== 2) {
    throw formatError(where, `unsupported model version ${typeof o.version === 'number' ? o.version : describe(o.version)}; this build reads versions 1 to ${MODEL_VERSION}`);
  }
  let layers = 1;
  if (o.version === 1) {
    if (o.kind !== 'rnn' && o.kind !== 'lstm') throw formatError(where, `kind must be "rnn" or "lstm" in a version-1 file; got ${describe(o.kind)}`);
  } else {
    if (o.kind !== 'rnn' && o.kind !== 'lstm' && o.kind !== 'gru') {
      throw formatError(where, `kind must be "rnn", "lstm" or "gru"; got ${describe(o.kind)}`);
    }
    if (typeof o.layers !== 'number' || !Number.isInteger(o.layers) || o.layers < 1 || o.layers > MAX_LAYERS) {
      throw formatError(where, `layers must be an integer from 1 to ${MAX_LAYERS} in a version-2 file; got ${describe(o.layers)}`);
    }
    layers = o.layers;
  }
  const kind: ModelKind = o.kind;
  if (expectedKind !== undefined && kind !== expectedKind) {
    throw formatError(where, `is ${article(kind)} ${kind} model, expected ${article(expectedKind)} ${expectedKind} model`);
  }
  for (const dim of ['n_x', 'n_a', 'n_y']) {
    const v = o[dim];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1e6) {
      throw formatError(where, `${dim} must be a positive integer; got ${describe(v)}`);
    }
  }
  const dims = { n_x: o.n_x as number, n_a: o.n_a as number, n_y: o.n_y as number };
  if (o.vocabulary !== undefined && !Array.isArray(o.vocabulary)) {
    throw formatError(where, `vocabulary must be an array of strings; got ${describe(o.vocabulary)}`);
  }
  if (o.dtype !== undefined && o.dtype !== 'float64' && o.dtype !== 'float32') {
    throw formatError(where, `dtype must be "float64" or "float32" (absent: float64); got ${describe(o.dtype)}`);
  }
  const dtype: ModelDtype = o.dtype ?? 'float64';
  const options = { ...dims, layers, vocabulary: o.vocabulary as string[] | undefined, dtype };
  // A throwaway instance knows the expected shapes; its random weights are replaced below.
  const Model = MODEL_CLASSES[kind];
  let shapes: Record<string, number[]>;
  try {
    shapes = new Model(options).parameterShapes();
  } catch (error) {
    throw formatError(where, (error as Error).message);
  }
  const saved = o.parameters;
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) {
    throw formatError(where, `parameters must be an object; got ${describe(saved)}`);
  }
  const extra = Object.keys(saved).filter((k) => !(k in shapes));
  if (extra.length) {
    const what = layers === 1 ? `${article(kind)} ${kind}` : `a ${layers}-layer ${kind}`;
    throw formatError(where, `unexpected parameter ${extra[0]} for ${what} model (expected ${Object.keys(shapes).join(', ')})`);
  }
  const params: ParamSet = {};
  for (const [name, shape] of Object.entries(shapes)) {
    params[name] = readParameter((saved as Record<string, unknown>)[name], shape, `${where}: parameter ${name}`);
  }
  return new Model(options, params) as ModelOf<K>;
}

/** "an rnn", "an lstm", "a gru" (as the kinds are read: R, L as letters, GRU as a word). */
function article(kind: ModelKind): string {
  return kind === 'gru' ? 'a' : 'an';
}

function readParameter(value: unknown, shape: number[], where: string): Float64Array {
  if (value === null || typeof value !== 'object') throw typeError('ERR_RNN_MODEL_FORMAT', `${where} is missing`);
  const p = value as Record<string, unknown>;
  const shapeText = `(${shape.join(', ')})`;
  if (!Array.isArray(p.shape) || p.shape.length !== shape.length || p.shape.some((n, k) => n !== shape[k])) {
    const got = Array.isArray(p.shape) ? `(${p.shape.join(', ')})` : describe(p.shape);
    throw rangeError('ERR_RNN_MODEL_FORMAT', `${where} must have shape ${shapeText} for these dimensions; got ${got}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(p.data) || p.data.length !== size) {
    throw rangeError('ERR_RNN_MODEL_FORMAT', `${where} must have ${size} numbers in data; got ${describe(p.data)}`);
  }
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v: unknown = p.data[i];
    // JSON writes NaN and ±Infinity as null: a model holding them is not a usable model.
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw rangeError('ERR_RNN_MODEL_FORMAT', `${where}: data[${i}] must be a finite number; got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * A C-ordered float64 array in NumPy's `.npy` format (version 1.0): magic, header length,
 * a Python dict literal padded so the data starts on a 64-byte boundary, little-endian data.
 */
export function toNpy(array: NDArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const bytes = new Uint8Array(10 + header.length + array.data.length * 8);
  bytes.set([0x93, ...ascii('NUMPY'), 1, 0], 0);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(ascii(header), 10);
  const view = new DataView(bytes.buffer, 10 + header.length);
  array.data.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return bytes;
}

/** The bytes of ASCII text (the header is ASCII only). */
function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * `.npy` bytes of each weight under `namedParameters()`'s names: the notebook's for one-layer
 * RNN and LSTM models (`Wf.npy`, …, `by.npy`), PyTorch's state-dict names for the others
 * (`weight_ih_l0.npy`, …, then `Wy.npy`, `by.npy`).
 */
export function npyFiles(model: SequenceModel): Record<string, Uint8Array> {
  return Object.fromEntries(
    Object.entries(model.namedParameters()).map(([name, array]) => [`${name}.npy`, toNpy(array)]),
  );
}
