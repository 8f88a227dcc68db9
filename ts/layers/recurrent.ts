/**
 * The recurrent layers `LSTM`, `GRU` and `RNN`, with PyTorch's semantics: its state-dict names,
 * shapes and gate orders, `(T, N, F)` or batch-first inputs, `h0`/`c0` indexed
 * `layer·D + direction`, and packed-sequence lengths in any order. `backward` returns the
 * gradients of `sum(output·dOutput) + sum(h·dh) + sum(c·dc)` for the result of a `forward`.
 *
 * Each call validates everything first (a bad argument throws a coded error and changes
 * nothing), converts the inputs once to time-major buffers it owns, and runs the layer stack
 * (stack.ts): one backend call per layer and direction.
 */
import { rangeError, typeError } from '../errors.js';
import { CallContext, describe, formatShape, ndarray, type ArrayInput } from '../ndarray.js';
import { arrayOfRank, requireShape } from '../validate.js';
import { gatesArray, type Activation } from './activations.js';
import { CELL, type CellCode } from './cells.js';
import {
  activationOption,
  booleanOption,
  knownKeys,
  layerConfig,
  type ForwardOptions,
  type GRUOptions,
  type LayerArray,
  type LayerConfig,
  type LayerDtype,
  type LSTMForwardOptions,
  type LSTMOptions,
  type LSTMUpstream,
  type RNNOptions,
  type Upstream,
} from './options.js';
import { runLayers, type LayerWeights, type StackGradients, type StackUpstream } from './stack.js';
import { initialWeights, paramEntries, readPrefix, readStateDict, weightsOfDtype } from './weights.js';

/** What `forward` returns for GRU and RNN (Float32Array data for a `'float32'` layer). */
export interface RecurrentResult<D extends LayerDtype = 'float64'> {
  /** `(T, N, D·hiddenSize)` (batch-first `(N, T, D·hiddenSize)`): the last layer's states. */
  output: LayerArray<D>;
  /** `(D·numLayers, N, hiddenSize)`: each sequence's state after its last step. */
  h: LayerArray<D>;
  /** Only an LSTM's result has cell states. */
  c?: undefined;
}

/** What `LSTM.forward` returns. */
export interface LSTMResult<D extends LayerDtype = 'float64'> {
  output: LayerArray<D>;
  h: LayerArray<D>;
  /** The cell states, shaped like `h`. */
  c: LayerArray<D>;
}

/** What `backward` returns for GRU and RNN (Float32Array data for a `'float32'` layer). */
export interface RecurrentGradients<D extends LayerDtype = 'float64'> {
  /** Like x (0 at padded steps). */
  x: LayerArray<D>;
  /** Like h0: `(D·numLayers, N, hiddenSize)`. */
  h0: LayerArray<D>;
  /** Only an LSTM has a cell state. */
  c0?: undefined;
  /** Every state-dict entry's gradient, keyed and shaped as `stateDict()`. */
  params: Record<string, LayerArray<D>>;
}

/** What `LSTM.backward` returns. */
export interface LSTMGradients<D extends LayerDtype = 'float64'> {
  x: LayerArray<D>;
  h0: LayerArray<D>;
  /** Like c0. */
  c0: LayerArray<D>;
  params: Record<string, LayerArray<D>>;
}

/** What forward kept for backward, found from the result object (never one of its fields). */
interface Kept {
  layer: object;
  T: number;
  N: number;
  backward: ((upstream: StackUpstream) => StackGradients) | undefined;
}

const KEPT = new WeakMap<object, Kept>();

/** `[a][b][f]` → `[b][a][f]`: batch-first ↔ time-major. */
function swapLeadingAxes(src: Float64Array, a: number, b: number, f: number): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) out.set(src.subarray((i * b + j) * f, (i * b + j + 1) * f), (j * a + i) * f);
  }
  return out;
}

/** The shared machinery of the three layers; `cell` fixes the kernel's cell, `D` the element type. */
abstract class RecurrentLayer<FO extends ForwardOptions, R, U extends Upstream, G, D extends LayerDtype> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly bias: boolean;
  /** `'float64'` or `'float32'` (parameters, inputs and results rounded to float32; float32 products). */
  readonly dtype: D;
  /** Weights per layer and direction (`layer·D + direction`); replaced whole, never written in place. */
  #weights: LayerWeights[];
  readonly #config: LayerConfig;
  readonly #className: string;
  readonly #cell: CellCode;
  /** The kernels' `gates` input: empty for the cell's standard functions. */
  readonly #gates: Float64Array;

  protected constructor(className: string, cell: CellCode, config: LayerConfig, gates: Float64Array = new Float64Array(0)) {
    this.#className = className;
    this.#cell = cell;
    this.#gates = gates;
    this.#config = config;
    this.inputSize = config.inputSize;
    this.hiddenSize = config.hiddenSize;
    this.numLayers = config.numLayers;
    this.bidirectional = config.bidirectional;
    this.batchFirst = config.batchFirst;
    this.bias = config.bias;
    this.dtype = config.dtype as D;
    this.#weights = weightsOfDtype(initialWeights(cell, config), config.dtype);
  }

  get #float32(): boolean {
    return this.dtype === 'float32';
  }

  /** A result array of this layer's element type: the data itself, or rounded into a fresh Float32Array. */
  #array(data: Float64Array, shape: number[]): LayerArray<D> {
    if (!this.#float32) return ndarray(data, shape) as LayerArray<D>;
    // Allocating, then set(), is about 3× faster in V8 than new Float32Array(data).
    const out = new Float32Array(data.length);
    out.set(data);
    return { data: out, shape } as LayerArray<D>;
  }

  /** An input's data as the kernels take it: a float32 layer's rounded to float32 (a copy), a float64 layer's as is. */
  #input(data: Float64Array): Float64Array {
    // Two typed-array conversions: about 4× faster in V8 than a Math.fround loop.
    return this.#float32 ? new Float64Array(new Float32Array(data)) : data;
  }

  /** A copy of an input the layer keeps (backward reads it again), as the kernels take it. */
  #own(data: Float64Array): Float64Array {
    return this.#float32 ? this.#input(data) : data.slice();
  }

  get #lstm(): boolean {
    return this.#cell === CELL.lstm;
  }

  /** D·numLayers. */
  get #states(): number {
    return (this.bidirectional ? 2 : 1) * this.numLayers;
  }

  /** Every parameter, as fresh arrays keyed and shaped as PyTorch's `state_dict()`. */
  stateDict(): Record<string, LayerArray<D>> {
    const out: Record<string, LayerArray<D>> = {};
    for (const e of paramEntries(this.#cell, this.#config)) {
      const w = this.#weights[e.index][e.part];
      // A float32 layer's #array is already a copy.
      out[e.key] = this.#array(this.#float32 ? w : Float64Array.from(w), e.shape.slice());
    }
    return out;
  }

  /**
   * Replaces every parameter with those of `sd` (keys and shapes as `stateDict()`; values are
   * NDArray-likes, nested arrays, or flat Float64Array / Float32Array / number[] data). With a
   * prefix (`'rnn.'` or `{ prefix: 'rnn.' }`) only keys starting with it are read, so a whole
   * model's state dict can be passed. All is checked before anything changes. A float32 layer
   * rounds the values to float32.
   */
  loadStateDict(sd: Record<string, ArrayInput | Float32Array | Float64Array>, prefix?: string | { prefix: string }): void {
    const call = new CallContext();
    const p = readPrefix(prefix);
    this.#weights = weightsOfDtype(readStateDict(call, sd, p, this.#cell, this.#config, this.#className), this.dtype);
  }

  /**
   * Runs the layers over `x` (`(T, N, inputSize)`, or `(N, T, inputSize)` when batchFirst):
   * `{ output, h }` (and `c` for the LSTM). Keep the result to pass it to `backward`.
   */
  forward(x: ArrayInput, options?: FO): R {
    const call = new CallContext();
    const cls = this.#className;
    if (!this.#lstm && options !== null && typeof options === 'object' && (options as { c0?: unknown }).c0 !== undefined) {
      throw rangeError('ERR_RNN_VALUE', `${cls}.forward options has c0, which only an LSTM takes (a ${cls} has no cell state)`);
    }
    // c0 is known to every layer so that `c0: undefined` passes; any other c0 was refused above.
    const o = knownKeys(options, `${cls}.forward options`, ['h0', 'lengths', 'noGrad', 'c0']);
    const axes = this.batchFirst ? ['N', 'T', 'inputSize'] : ['T', 'N', 'inputSize'];
    const X = arrayOfRank(call, x, 'x', axes);
    const [T, N] = this.batchFirst ? [X.shape[1], X.shape[0]] : [X.shape[0], X.shape[1]];
    const layout = this.batchFirst ? '(N, T, inputSize), batchFirst' : '(T, N, inputSize)';
    if (X.shape[2] !== this.inputSize || T === 0) {
      const want = this.batchFirst ? `(N, T, ${this.inputSize})` : `(T, N, ${this.inputSize})`;
      throw rangeError(
        'ERR_RNN_SHAPE',
        `x must have shape ${want} ${layout} with T ≥ 1 for this ${cls} (inputSize ${this.inputSize}); got ${formatShape(X.shape)}`,
      );
    }
    const stateDims = { 'D·numLayers': this.#states, N, hiddenSize: this.hiddenSize };
    const stateAxes = ['D·numLayers', 'N', 'hiddenSize'];
    const context = `to match x and this ${cls}`;
    const H0 = o.h0 === undefined ? undefined : requireShape(arrayOfRank(call, o.h0, 'h0', stateAxes), 'h0', stateDims, stateAxes, context);
    const C0 = o.c0 === undefined ? undefined : requireShape(arrayOfRank(call, o.c0, 'c0', stateAxes), 'c0', stateDims, stateAxes, context);
    const lengths = o.lengths === undefined ? undefined : readLengths(o.lengths, N, T);
    const noGrad = booleanOption(o.noGrad, `${cls}.forward option noGrad`, false);
    call.endOfCallerReads();

    const F = this.inputSize;
    // Own copies: backward reads x, h0 and c0 again, whatever the caller does to theirs meanwhile.
    const xTm = this.batchFirst ? this.#input(swapLeadingAxes(X.data, N, T, F)) : this.#own(X.data);
    const result = runLayers(this.#spec(), this.#weights, {
      x: xTm,
      t: T,
      n: N,
      lengths,
      h0: H0 && this.#own(H0.data),
      c0: C0 && this.#own(C0.data),
      keep: !noGrad,
      what: `${cls}.forward`,
    });
    const DH = (this.bidirectional ? 2 : 1) * this.hiddenSize;
    const output = this.batchFirst
      ? this.#array(swapLeadingAxes(result.output, T, N, DH), [N, T, DH])
      : this.#array(result.output, [T, N, DH]);
    const stateShape = [this.#states, N, this.hiddenSize];
    const out: { output: LayerArray<D>; h: LayerArray<D>; c?: LayerArray<D> } = { output, h: this.#array(result.h, stateShape.slice()) };
    if (this.#lstm) out.c = this.#array(result.c!, stateShape.slice());
    KEPT.set(out, { layer: this, T, N, backward: result.backward });
    return out as R;
  }

  /**
   * The gradients of `sum(output·upstream.output) + sum(h·upstream.h) (+ sum(c·upstream.c))`
   * for `result` (what this layer's `forward` returned) with respect to x, h0 (c0) and every
   * state-dict entry (`params`). An absent upstream gradient is zero.
   */
  backward(result: RecurrentResult<D> | LSTMResult<D>, upstream?: U): G {
    const call = new CallContext();
    const cls = this.#className;
    const kept = result !== null && typeof result === 'object' ? KEPT.get(result) : undefined;
    if (kept === undefined || kept.layer !== this) {
      const why = kept ? `one that another layer's forward returned` : describe(result);
      throw typeError('ERR_RNN_TYPE', `${cls}.backward's result must be the object this layer's forward returned; got ${why}`);
    }
    if (kept.backward === undefined) {
      throw rangeError(
        'ERR_RNN_VALUE',
        `${cls}.backward: result came from forward(x, { noGrad: true }), which keeps nothing for backward; call forward without noGrad`,
      );
    }
    if (!this.#lstm && upstream !== null && typeof upstream === 'object' && (upstream as { c?: unknown }).c !== undefined) {
      throw rangeError('ERR_RNN_VALUE', `${cls}.backward upstream has c, which only an LSTM's result has (a ${cls} has no cell state)`);
    }
    const o = knownKeys(upstream, `${cls}.backward upstream`, ['output', 'h', 'c']);
    const { T, N } = kept;
    const D = this.bidirectional ? 2 : 1;
    const DH = D * this.hiddenSize;
    const context = `to match result`;
    const outAxes = this.batchFirst ? ['N', 'T', 'D·hiddenSize'] : ['T', 'N', 'D·hiddenSize'];
    const outDims = { N, T, 'D·hiddenSize': DH };
    const stateAxes = ['D·numLayers', 'N', 'hiddenSize'];
    const stateDims = { 'D·numLayers': this.#states, N, hiddenSize: this.hiddenSize };
    const read = (key: string, axes: string[], dims: Record<string, number>) =>
      o[key] === undefined ? undefined : requireShape(arrayOfRank(call, o[key], `upstream.${key}`, axes), `upstream.${key}`, dims, axes, context);
    const dOut = read('output', outAxes, outDims);
    const dh = read('h', stateAxes, stateDims);
    const dc = read('c', stateAxes, stateDims);
    call.endOfCallerReads();

    const g = kept.backward({
      output: dOut && this.#input(this.batchFirst ? swapLeadingAxes(dOut.data, N, T, DH) : dOut.data),
      h: dh && this.#input(dh.data),
      c: dc && this.#input(dc.data),
    });
    const F = this.inputSize;
    const x = this.batchFirst ? this.#array(swapLeadingAxes(g.x, T, N, F), [N, T, F]) : this.#array(g.x, [T, N, F]);
    const stateShape = [this.#states, N, this.hiddenSize];
    const params: Record<string, LayerArray<D>> = {};
    for (const e of paramEntries(this.#cell, this.#config)) params[e.key] = this.#array(g.weights[e.index][e.part], e.shape.slice());
    const h0 = this.#array(g.h0, stateShape.slice());
    const grads = this.#lstm ? { x, h0, c0: this.#array(g.c0!, stateShape.slice()), params } : { x, h0, params };
    return grads as G;
  }

  #spec() {
    return {
      cell: this.#cell,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      gates: this.#gates,
      dtype: this.dtype,
    };
  }
}

/** N lengths, each an integer in 1..T, from a number[] or a typed array, as the kernels take them. */
function readLengths(value: unknown, N: number, T: number): Float64Array {
  const isArray = Array.isArray(value);
  if (!isArray && !(ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array))) {
    throw typeError('ERR_RNN_TYPE', `lengths must be a number[] or an Int32Array of N = ${N} sequence lengths; got ${describe(value)}`);
  }
  const source = value as ArrayLike<unknown>;
  const count = source.length;
  if (count !== N) {
    throw rangeError('ERR_RNN_SHAPE', `lengths must hold N = ${N} values (one per sequence of x); got ${count}`);
  }
  const out = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    const L = source[j];
    if (typeof L !== 'number' || !Number.isInteger(L) || L < 1 || L > T) {
      throw rangeError('ERR_RNN_VALUE', `lengths[${j}] must be an integer in 1..${T} (T, the steps of x); got ${describe(L)}`);
    }
    out[j] = L;
  }
  return out;
}

/** The `activation` and `recurrentActivation` options of a gated cell, checked, and the kernels' `gates` for them. */
function gatedActivations(o: Record<string, unknown>, className: string, cell: CellCode) {
  const activation = activationOption(o.activation, `${className} option activation`, 'Tanh');
  const recurrentActivation = activationOption(o.recurrentActivation, `${className} option recurrentActivation`, 'Sigmoid');
  const gates = gatesArray(cell, { f: recurrentActivation, g: activation, h: activation });
  return { activation, recurrentActivation, gates };
}

const GATED_KEYS = ['activation', 'recurrentActivation'];

/**
 * A multi-layer LSTM (PyTorch's `nn.LSTM`): gates i, f, g, o; c' = f ∘ c + i ∘ g,
 * h' = o ∘ tanh(c'). `recurrentActivation` replaces the gates' sigmoid and `activation` the
 * tanh of g and of h' (Keras's names).
 */
export class LSTM<D extends LayerDtype = 'float64'> extends RecurrentLayer<LSTMForwardOptions, LSTMResult<D>, LSTMUpstream, LSTMGradients<D>, D> {
  /** The function of g and of the cell state in h' (alpha and beta filled in). */
  readonly activation: Readonly<Activation>;
  /** The function of the gates i, f, o. */
  readonly recurrentActivation: Readonly<Activation>;

  constructor(options: LSTMOptions & { dtype?: D }) {
    const { config, options: o } = layerConfig(options, 'LSTM', GATED_KEYS);
    const acts = gatedActivations(o, 'LSTM', CELL.lstm);
    super('LSTM', CELL.lstm, config, acts.gates);
    this.activation = acts.activation;
    this.recurrentActivation = acts.recurrentActivation;
  }
}

/**
 * A multi-layer GRU (PyTorch's `nn.GRU`): gates r, z, n; h' = (1 − z) ∘ n + z ∘ h, with
 * n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)), or with `linearBeforeReset: false`
 * n = tanh(W_in x + b_in + W_hn (r ∘ h) + b_hn). `recurrentActivation` replaces the sigmoid
 * of r and z and `activation` the tanh of n (Keras's names).
 */
export class GRU<D extends LayerDtype = 'float64'> extends RecurrentLayer<ForwardOptions, RecurrentResult<D>, Upstream, RecurrentGradients<D>, D> {
  readonly linearBeforeReset: boolean;
  /** The function of the candidate n (alpha and beta filled in). */
  readonly activation: Readonly<Activation>;
  /** The function of the gates r and z. */
  readonly recurrentActivation: Readonly<Activation>;

  constructor(options: GRUOptions & { dtype?: D }) {
    const { config, options: o } = layerConfig(options, 'GRU', ['linearBeforeReset', ...GATED_KEYS]);
    const linearBeforeReset = booleanOption(o.linearBeforeReset, 'GRU option linearBeforeReset', true);
    const cell = linearBeforeReset ? CELL.gru : CELL.gruResetBefore;
    const acts = gatedActivations(o, 'GRU', cell);
    super('GRU', cell, config, acts.gates);
    this.linearBeforeReset = linearBeforeReset;
    this.activation = acts.activation;
    this.recurrentActivation = acts.recurrentActivation;
  }
}

/** A multi-layer Elman RNN (PyTorch's `nn.RNN`): h' = act(W_ih x + b_ih + W_hh h + b_hh). */
export class RNN<D extends LayerDtype = 'float64'> extends RecurrentLayer<ForwardOptions, RecurrentResult<D>, Upstream, RecurrentGradients<D>, D> {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(options: RNNOptions & { dtype?: D }) {
    const { config, options: o } = layerConfig(options, 'RNN', ['nonlinearity']);
    const nonlinearity = o.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw rangeError('ERR_RNN_VALUE', `RNN option nonlinearity must be 'tanh' or 'relu'; got ${describe(nonlinearity)}`);
    }
    super('RNN', nonlinearity === 'tanh' ? CELL.rnnTanh : CELL.rnnRelu, config);
    this.nonlinearity = nonlinearity;
  }
}
