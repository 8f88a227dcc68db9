/**
 * The options of `LSTM`, `GRU` and `RNN` and of their `forward`/`backward` calls: their types,
 * and the checks that turn each bad value into a coded error naming the option, what it
 * expects and what it got, before anything is built or run.
 */
import { rangeError, typeError } from '../errors.js';
import { describe, MAX_ELEMENTS, type ArrayInput, type NDArray } from '../ndarray.js';
import { integerIn } from '../model/checks.js';
import { ACTIVATION, ACTIVATION_DEFAULTS, fromKerasName, type Activation, type ActivationName } from './activations.js';

/** What every recurrent layer takes (PyTorch's constructor arguments, camelCased). */
export interface RecurrentOptions {
  /** Features of the input x. */
  inputSize: number;
  /** Features of the hidden state h (per direction). */
  hiddenSize: number;
  /** Stacked layers; default 1. */
  numLayers?: number;
  /** Adds a second direction reading each sequence backwards; default false. */
  bidirectional?: boolean;
  /** x and output are `(N, T, features)` instead of `(T, N, features)`; default false. */
  batchFirst?: boolean;
  /** Has the bias vectors b_ih and b_hh; default true. */
  bias?: boolean;
  /** Seed of the initial weights (an integer in [0, 2³²)); default: a random one. */
  seed?: number;
  /**
   * Element type of the parameters, inputs and results: `'float64'` (default) or `'float32'`
   * (parameters rounded to float32, Float32Array results, float32 products; see `LayerDtype`).
   */
  dtype?: LayerDtype;
}

/**
 * A layer's element type. `'float32'` rounds parameters and inputs (x, h0, c0, upstream
 * gradients) to float32, runs the float32 kernels (every product in float32, the cells'
 * activations and state in float64 on those sums) and returns Float32Array data. Its results
 * stay within 1e-5 of the float64 layer's with the same (float32) weights, relative to each
 * output's largest magnitude.
 */
export type LayerDtype = 'float64' | 'float32';

/** A C-ordered float32 array: what a `'float32'` layer returns. */
export interface Float32NDArray {
  data: Float32Array;
  shape: number[];
}

/** The array type a layer of element type `D` returns. */
export type LayerArray<D extends LayerDtype> = D extends 'float32' ? Float32NDArray : NDArray;

/**
 * An activation function: an ONNX name with optional alpha/beta (`{ name: 'HardSigmoid', alpha: 0.2 }`),
 * or a name as a string, either Keras/TF.js's (`'tanh'`, `'hard_sigmoid'`, `'hardSigmoid'`, `'relu'`, ...)
 * or ONNX's (`'Tanh'`, `'HardSigmoid'`, ...; with its default alpha/beta).
 */
export type ActivationOption = Activation | string;

/** The activations of a gated cell (LSTM, GRU), as Keras and TF.js name them. */
export interface GatedActivationOptions {
  /**
   * The candidate's function (LSTM g, GRU n) and, for an LSTM, the cell state's in
   * h' = o ∘ act(c'); default tanh.
   */
  activation?: ActivationOption;
  /** The gates' function (LSTM i, f, o; GRU z, r); default sigmoid (TF.js's default is hard_sigmoid). */
  recurrentActivation?: ActivationOption;
}

export interface LSTMOptions extends RecurrentOptions, GatedActivationOptions {}

export interface GRUOptions extends RecurrentOptions, GatedActivationOptions {
  /**
   * Where the reset gate acts: true (default, PyTorch and ONNX linear_before_reset = 1):
   * n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)); false (ONNX linear_before_reset = 0, Keras
   * reset_after = false): n = tanh(W_in x + b_in + W_hn (r ∘ h) + b_hn).
   */
  linearBeforeReset?: boolean;
}

export interface RNNOptions extends RecurrentOptions {
  /** The activation; default `'tanh'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/** `forward`'s second argument for GRU and RNN. */
export interface ForwardOptions {
  /** `(D·numLayers, N, hiddenSize)`, index `layer·D + direction`; zeros when absent. */
  h0?: ArrayInput;
  /** N integers in 1..T, any order (packed-sequence semantics); every sequence has T steps when absent. */
  lengths?: readonly number[] | Int32Array;
  /** Inference only: keeps nothing for `backward` (which then throws). */
  noGrad?: boolean;
}

/** `LSTM.forward`'s second argument. */
export interface LSTMForwardOptions extends ForwardOptions {
  /** The initial cell state, shaped like h0; zeros when absent. */
  c0?: ArrayInput;
}

/** The upstream gradients `backward` takes, each shaped like that part of the result; absent: zero. */
export interface Upstream {
  output?: ArrayInput;
  h?: ArrayInput;
}

export interface LSTMUpstream extends Upstream {
  c?: ArrayInput;
}

/** The validated options of a layer. */
export interface LayerConfig {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  seed: number;
  dtype: LayerDtype;
}

/** An object of options whose keys are all in `known` (absent: `{}`). */
export function knownKeys(value: unknown, name: string, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw typeError('ERR_RNN_TYPE', `${name} must be an options object; got ${describe(value)}`);
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw rangeError('ERR_RNN_VALUE', `${name} has an unknown key "${key}"; the known keys are ${known.join(', ')}`);
    }
  }
  return options;
}

export function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw typeError('ERR_RNN_TYPE', `${name} must be true or false; got ${describe(value)}`);
  return value;
}

/** The options every layer shares, checked; `extra` names the class's own keys. */
export function layerConfig(value: unknown, className: string, extra: readonly string[]): { config: LayerConfig; options: Record<string, unknown> } {
  const name = `${className} options`;
  if (value === undefined) {
    throw typeError('ERR_RNN_TYPE', `${name} must be an object with at least inputSize and hiddenSize; got undefined`);
  }
  const o = knownKeys(value, name, [
    'inputSize',
    'hiddenSize',
    'numLayers',
    'bidirectional',
    'batchFirst',
    'bias',
    'seed',
    'dtype',
    ...extra,
  ]);
  const inputSize = integerIn(o.inputSize, `${className} option inputSize`, 1);
  const hiddenSize = integerIn(o.hiddenSize, `${className} option hiddenSize`, 1);
  const numLayers = o.numLayers === undefined ? 1 : integerIn(o.numLayers, `${className} option numLayers`, 1);
  const dtype = dtypeOption(o.dtype, `${className} option dtype`);
  const bidirectional = booleanOption(o.bidirectional, `${className} option bidirectional`, false);
  const config: LayerConfig = {
    inputSize,
    hiddenSize,
    numLayers,
    bidirectional,
    batchFirst: booleanOption(o.batchFirst, `${className} option batchFirst`, false),
    bias: booleanOption(o.bias, `${className} option bias`, true),
    seed: o.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : integerIn(o.seed, `${className} option seed`, 0, 2 ** 32 - 1),
    dtype,
  };
  // Each weight must fit one Float64Array (and the layer's parameters together a sane amount).
  const widest = Math.max(inputSize, (bidirectional ? 2 : 1) * hiddenSize, hiddenSize);
  if (4 * hiddenSize * widest > MAX_ELEMENTS || numLayers > 4096) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${className} with inputSize ${inputSize}, hiddenSize ${hiddenSize} and numLayers ${numLayers} is too large: ` +
        `a weight may hold at most ${MAX_ELEMENTS} values and a stack at most 4096 layers`,
    );
  }
  return { config, options: o };
}

/** A `dtype` option: `'float64'` (also when absent) or `'float32'`. */
export function dtypeOption(value: unknown, name: string): LayerDtype {
  if (value === undefined || value === 'float64' || value === 'float32') return value ?? 'float64';
  throw rangeError('ERR_RNN_VALUE', `${name} must be 'float64' or 'float32'; got ${describe(value)}`);
}

const ACTIVATION_KEYS = ['name', 'alpha', 'beta'];

/** A Keras/TF.js name's activation; the error also lists the ONNX names a string may give. */
function kerasActivation(value: string, name: string): Activation {
  try {
    return fromKerasName(value, name);
  } catch (error) {
    (error as Error).message += ` (Keras/TF.js names), or an ONNX name: ${Object.keys(ACTIVATION).join(', ')}`;
    throw error;
  }
}

/**
 * The activation an option names, checked: a Keras/TF.js or ONNX name, or `{ name, alpha?, beta? }`
 * with an ONNX name and finite parameters (absent: ONNX's defaults, filled in). LeakyRelu and Elu
 * need α ≥ 0: their derivative is read back from the activated value, which a negative α makes
 * ambiguous.
 */
export function activationOption(value: unknown, name: string, fallback: ActivationName): Readonly<Activation> {
  let act: Activation;
  if (value === undefined) act = { name: fallback };
  else if (typeof value === 'string') act = Object.hasOwn(ACTIVATION, value) ? { name: value as ActivationName } : kerasActivation(value, name);
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = knownKeys(value, name, ACTIVATION_KEYS);
    if (typeof o.name !== 'string' || !Object.hasOwn(ACTIVATION, o.name)) {
      throw rangeError('ERR_RNN_VALUE', `${name}.name must be one of ${Object.keys(ACTIVATION).join(', ')}; got ${describe(o.name)}`);
    }
    for (const key of ['alpha', 'beta'] as const) {
      const v = o[key];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw rangeError('ERR_RNN_VALUE', `${name}.${key} must be a finite number; got ${describe(v)}`);
      }
    }
    act = { name: o.name as ActivationName, alpha: o.alpha as number | undefined, beta: o.beta as number | undefined };
  } else {
    throw typeError(
      'ERR_RNN_TYPE',
      `${name} must be an activation name (e.g. 'tanh', 'hard_sigmoid', 'Tanh') or { name, alpha?, beta? }; got ${describe(value)}`,
    );
  }
  const [alpha, beta] = ACTIVATION_DEFAULTS[act.name];
  const resolved = { name: act.name, alpha: act.alpha ?? alpha, beta: act.beta ?? beta };
  if ((resolved.name === 'LeakyRelu' || resolved.name === 'Elu') && resolved.alpha < 0) {
    throw rangeError('ERR_RNN_VALUE', `${name} ${resolved.name} must have alpha ≥ 0 (its gradient needs it); got ${resolved.alpha}`);
  }
  return Object.freeze(resolved);
}
