/**
 * What RNNModel, LSTMModel and GRUModel share: inputs and targets, the carried state, the loss
 * and the full backward pass through the output layer, training steps, evaluation and sampling.
 *
 * A model is its recurrent part (a `Recurrence`) under one softmax output layer `(Wy, by)`.
 * The recurrent part has two implementations, chosen by kind and layer count when the model is
 * made (models.ts):
 * - one-layer RNN and LSTM models run on the notebook kernels (`rnnForward`, `lstmForward` and
 *   their backward passes), which compute the output layer's softmax in the same call; their
 *   parameters keep the notebook's names and the format of version-1 model files, and their
 *   speed is what the benchmark measures;
 * - GRU models, and any model with more than one layer, run on the layer stack (the
 *   PyTorch-exact `layerForward` / `layerBackward` kernels, layer-recurrence.ts), with
 *   PyTorch's state-dict names (`weight_ih_l0`, ...).
 * A `'float32'` model runs every recurrence on the layer stack's float32 kernels
 * (`layerForwardF32` / `layerBackwardF32`): a one-layer RNN or LSTM keeps its notebook names,
 * shapes and file format, and converts them to the layers' weights per pass (notebook-layers.ts),
 * since the notebook kernels have no float32 form. See `ModelOptions.dtype` for what is float32.
 * Both end in the same place: the softmax outputs and the last hidden states `[T][n_a][m]`,
 * from which this class takes the loss and the output layer's gradients in one
 * `outputBackward` call, and the incoming gradient `da` it hands back to the recurrent part.
 *
 * Why two: routing one-layer RNN and LSTM models through the layer stack too would leave one
 * path, but would change what they are (the notebook's gate order f, i, c̃, o and fused `[a; x]`
 * weight against PyTorch's i, f, g, o and split `W_ih`, `W_hh`, two biases), so their saved
 * files, `notebookParameters` and `.npy` names, and would add layout conversions and a
 * separate output-layer pass to the benchmarked case. The notebook kernels cannot stack layers
 * or run a GRU. So each path keeps what it is exact for, and everything around the recurrence
 * (inputs, state carrying, loss, output-layer gradients, training, sampling) stays here, once.
 *
 * Every pass is a few backend calls over the whole sequence (forward, `outputBackward`, the
 * recurrent backward; per layer for the layer stack); JavaScript loops only over parameters
 * (scaling, clipping, optimiser) and, for sampling, over generated characters, where each
 * step depends on the one before.
 */
import type { Backend, KernelDims } from '../backend.js';
import { rangeError, typeError } from '../errors.js';
import { NO_TARGET } from '../generated/abi.js';
import { fromTimeMajor, toTimeMajor } from '../layout.js';
import { CallContext, describe, ndarray, type ArrayInput, type NDArray } from '../ndarray.js';
import { allocateOutputs } from '../outputs.js';
import { activeBackend } from '../registry.js';
import { arrayOfRank } from '../validate.js';
import { dtypeOption, type LayerDtype } from '../layers/options.js';
import { roundToFloat32 } from '../layers/weights.js';
import { finiteNumber, indexSequence, integerIn, optionsObject } from './checks.js';
import { clipByGlobalNorm, clipByValue, globalNorm } from './clipping.js';
import type { Optimizer, ParamSet } from './optimizers.js';
import { seededRandom, type Random } from './random.js';

export type ModelKind = 'rnn' | 'lstm' | 'gru';

/** A model's element type (see `ModelOptions.dtype`). */
export type ModelDtype = LayerDtype;

/** The most layers a model may stack (far beyond what a character model needs). */
export const MAX_LAYERS = 64;

export interface ModelOptions {
  n_x: number;
  n_a: number;
  n_y: number;
  /**
   * Stacked recurrent layers (default 1), each feeding its hidden states to the next; the
   * output layer reads the last one's.
   */
  layers?: number;
  /** Seed of the initial weights (default 1). */
  seed?: number;
  /** Carry the final state of each call into the next one (default false). */
  stateful?: boolean;
  /** Token strings for character models: index k ↔ `vocabulary[k]` (needs n_x = n_y). */
  vocabulary?: readonly string[];
  /**
   * Element type, `'float64'` (the default) or `'float32'`. A float32 model keeps its parameters
   * as float32 values (still Float64Arrays, rounded at construction, on load and after each
   * `trainStep`), rounds dense inputs and carried states to float32, runs the recurrence on the
   * float32 layer kernels, and rounds `forward`'s probabilities and the gradients to float32:
   * every array a float32 model holds or returns is a Float64Array of float32 values, so the
   * optimisers, files and `.npy` export are the float64 model's. The output layer's logits,
   * softmax and loss are computed in float64 from those float32 values. Names, shapes and initial
   * weights (before rounding) are the float64 model's.
   */
  dtype?: ModelDtype;
}

/**
 * A batch of `m` sequences of `T` steps. Inputs are either token indices (`tokens`, one-hot
 * inputs, -1 for an all-zero input) or dense `x` in the notebook's `(n_x, m, T_x)` layout.
 * `tokens` and `targets` are time-major: element `t·m + j` is step t of sequence j.
 * A target of -1 means "no target here" (padding); it adds nothing to loss or gradients.
 */
export type Batch =
  | { tokens: ArrayLike<number>; T: number; m: number; targets?: ArrayLike<number> }
  | { x: ArrayInput; targets?: ArrayLike<number> };

/**
 * The hidden state (and the LSTM's cell state), each `(layers, n_a, m)` C order: layer k's
 * `(n_a, m)` block from element `k·n_a·m` (just `(n_a, m)` for one layer).
 */
export interface State {
  a: Float64Array;
  c?: Float64Array;
}

export interface ClipOptions {
  /** Clamp each gradient element to [−value, value]. */
  value?: number;
  /** Scale all gradients down so their global norm is at most this. */
  norm?: number;
}

export interface Gradients {
  /** Mean cross-entropy per target (nats). */
  loss: number;
  /** Number of targets the mean is over. */
  count: number;
  /** Gradients of the mean loss, same keys and layout as `params`. */
  grads: ParamSet;
}

export interface SampleOptions {
  /** Number of sequences (generated in parallel, one batch column each); default 1. */
  n?: number;
  /** Steps per sequence at most; default 40. */
  maxLength?: number;
  /** Softmax temperature > 0: below 1 sharper, above 1 flatter; default 1. */
  temperature?: number;
  /** RNG seed; default 0. */
  seed?: number;
  /** The token fed at the first step (default 0). */
  start?: number;
  /** A token that ends a sequence and is not included (default: the start token). */
  stop?: number;
}

/** The sizes of one pass: `t` time steps of `m` sequences (the forward kernels' dimensions). */
export type SequenceDims = KernelDims<'rnnForward'>;

/** One forward pass: outputs, and a closure for the recurrent part of the backward pass. */
export interface ForwardRun {
  /** The (last layer's) hidden states, `[T][n_a][m]`. */
  a: Float64Array;
  /** The softmax outputs, `[T][n_y][m]`. */
  y: Float64Array;
  final: State;
  /** Gradients of the recurrent weights given `da` `[T][n_a][m]` (not the output layer's). */
  backward(da: Float64Array): ParamSet;
}

/**
 * A model's recurrent part: its parameters (all but the output layer's) and its pass over a
 * sequence, ending in the softmax outputs. Implemented by the notebook kernels (models.ts) and
 * by the layer stack (layer-recurrence.ts); see the top of this file for which runs when.
 */
export interface Recurrence {
  /** The output layer's parameter names (the notebook RNN calls its weight Wya). */
  readonly outputNames: readonly [weight: string, bias: string];
  /** The recurrent parameters' names and shapes, in the order they are saved. */
  shapes(): Record<string, number[]>;
  /** Seeded initial recurrent parameters (drawn before the output layer's). */
  initial(random: Random): ParamSet;
  /**
   * The forward pass from `state` (see `State`) over `x` `[T][n_x][m]`, `params` the model's.
   * `keep` false: no `backward` will follow (an implementation may then keep less).
   */
  run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, params: ParamSet, keep: boolean): ForwardRun;
  /** The parameters under the names `.npy` export uses, as copies. */
  namedParameters(params: ParamSet): Record<string, NDArray>;
  /** The notebook's names and shapes (one-layer RNN and LSTM only; otherwise throws). */
  notebookParameters(params: ParamSet): Record<string, NDArray>;
}

/** The sizes and element type a recurrent part is made for. */
export interface RecurrenceDims {
  n_x: number;
  n_a: number;
  n_y: number;
  layers: number;
  dtype: ModelDtype;
}

/** Sequence arrays ready for the kernels. */
interface Prepared {
  d: SequenceDims;
  x: Float64Array;
  targets: Float64Array | undefined;
}

export abstract class SequenceModel {
  readonly kind: ModelKind;
  /** The element type (see `ModelOptions.dtype`). */
  readonly dtype: ModelDtype;
  readonly n_x: number;
  readonly n_a: number;
  readonly n_y: number;
  /** Stacked recurrent layers. */
  readonly layers: number;
  /** The parameters, owned by the model, in the backends' layout (live; see `parameterShapes`). */
  readonly params: ParamSet;
  readonly vocabulary: readonly string[] | undefined;
  stateful: boolean;
  private carried: State | undefined;
  /** The recurrent part, fixed by kind and layer count (see the top of this file). */
  private readonly recurrence: Recurrence;

  /**
   * Checks the options, then asks `makeRecurrence` for the recurrent part of those sizes; a
   * new model gets seeded random weights, `loadModel` passes the saved `params`.
   */
  protected constructor(
    kind: ModelKind,
    options: ModelOptions,
    params: ParamSet | undefined,
    makeRecurrence: (dims: RecurrenceDims) => Recurrence,
  ) {
    const o = optionsObject(options, 'model options');
    this.kind = kind;
    this.n_x = integerIn(o.n_x, 'n_x', 1);
    this.n_a = integerIn(o.n_a, 'n_a', 1);
    this.n_y = integerIn(o.n_y, 'n_y', 1);
    this.layers = integerIn(o.layers ?? 1, 'layers', 1, MAX_LAYERS);
    this.stateful = o.stateful === undefined ? false : booleanOption(o.stateful, 'stateful');
    this.vocabulary = o.vocabulary === undefined ? undefined : checkVocabulary(o.vocabulary, this.n_x, this.n_y);
    this.dtype = dtypeOption(o.dtype, 'model option dtype');
    const seed = integerIn(o.seed ?? 1, 'seed', 0, 2 ** 32 - 1);
    this.recurrence = makeRecurrence({ n_x: this.n_x, n_a: this.n_a, n_y: this.n_y, layers: this.layers, dtype: this.dtype });
    if (this.float32) {
      // Copies: given parameters are not the caller's to change.
      const initial = params ?? this.initialParameters(seededRandom(seed));
      this.params = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, roundToFloat32(v.slice())]));
    } else {
      this.params = params ?? this.initialParameters(seededRandom(seed));
    }
  }

  private get float32(): boolean {
    return this.dtype === 'float32';
  }

  /** Parameter names and shapes, in the order they are saved: the recurrent part's, then Wy, by. */
  parameterShapes(): Record<string, number[]> {
    const [w, b] = this.recurrence.outputNames;
    return { ...this.recurrence.shapes(), [w]: [this.n_y, this.n_a], [b]: [this.n_y, 1] };
  }

  /**
   * The parameters as copies, under the names they are saved with and exported as `.npy`: the
   * notebook's for one-layer RNN and LSTM models (the LSTM's gates split: Wf, bf, ...), PyTorch's
   * state-dict names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, ... in
   * PyTorch's shapes and gate order) for the others, then the output layer's.
   */
  namedParameters(): Record<string, NDArray> {
    const out = this.recurrence.namedParameters(this.params);
    for (const name of this.recurrence.outputNames) out[name] = this.parameterCopy(name);
    return out;
  }

  /**
   * The parameters under the notebook's names and shapes, as copies (for the notebook API).
   * Only one-layer RNN and LSTM models have them; others throw ERR_RNN_VALUE (see
   * `namedParameters`).
   */
  notebookParameters(): Record<string, NDArray> {
    return this.recurrence.notebookParameters(this.params);
  }

  /** A copy of one parameter in its saved shape. */
  private parameterCopy(name: string): NDArray {
    return ndarray(this.params[name].slice(), this.parameterShapes()[name].slice());
  }

  private initialParameters(random: Random): ParamSet {
    const recurrent = this.recurrence.initial(random);
    const [w, b] = this.recurrence.outputNames;
    const scale = 1 / Math.sqrt(this.n_a);
    return {
      ...recurrent,
      [w]: Float64Array.from({ length: this.n_y * this.n_a }, () => scale * random.normal()),
      [b]: new Float64Array(this.n_y),
    };
  }

  private run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, keep = false): ForwardRun {
    return this.recurrence.run(backend, d, x, state, this.params, keep);
  }

  /** Forgets the carried state: the next call starts from zeros. */
  resetState(): void {
    this.carried = undefined;
  }

  /** A copy of the carried state, if any. */
  get state(): State | undefined {
    const s = this.carried;
    return s && { a: s.a.slice(), c: s.c?.slice() };
  }

  /**
   * The softmax outputs `(n_y, m, T_x)` for `batch` (its targets are ignored); a float32 model's
   * rounded to float32 (like its parameters, float32 values in a Float64Array).
   */
  forward(batch: Batch): NDArray {
    const backend = activeBackend();
    const { d, x } = this.prepare(backend, batch, false);
    const run = this.run(backend, d, x, this.startState(d.m));
    this.keepState(run.final);
    const { y } = allocateOutputs(backend, 'forward', { y: run.y.length });
    const data = fromTimeMajor(backend, run.y, d.n_y, d.m, d.t, y);
    if (this.float32) roundToFloat32(data);
    return ndarray(data, [d.n_y, d.m, d.t]);
  }

  /** Mean loss and its gradients for every parameter, output layer included. */
  gradients(batch: Batch): Gradients {
    const backend = activeBackend();
    const { d, x, targets } = this.prepare(backend, batch, true);
    const run = this.run(backend, d, x, this.startState(d.m), true);
    this.keepState(run.final);
    const out = this.outputLayerBackward(backend, d, run, targets!);
    const [wName, bName] = this.recurrence.outputNames;
    const grads = { ...run.backward(out.da), [wName]: out.dwy, [bName]: out.dby };
    const count = out.loss[1];
    // Every kernel is linear in its incoming gradient, so scaling the sums at the end gives
    // the gradients of the mean exactly as scaling da would.
    if (count > 0) for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] /= count;
    if (this.float32) for (const g of Object.values(grads)) roundToFloat32(g);
    return { loss: count > 0 ? out.loss[0] / count : 0, count, grads };
  }

  /** Mean loss over the batch's targets, from a zero state, leaving the carried state alone. */
  evaluate(batch: Batch): { loss: number; count: number } {
    const backend = activeBackend();
    const { d, x, targets } = this.prepare(backend, batch, true);
    const run = this.run(backend, d, x, this.zeroState(d.m));
    const { loss } = this.outputLayerBackward(backend, d, run, targets!);
    return { loss: loss[1] > 0 ? loss[0] / loss[1] : 0, count: loss[1] };
  }

  /** The summed loss, its count and the output layer's gradients: one `outputBackward` call. */
  private outputLayerBackward(backend: Backend, d: SequenceDims, run: ForwardRun, targets: Float64Array) {
    const out = allocateOutputs(backend, 'the output layer backward', {
      loss: 2,
      dwy: this.n_y * this.n_a,
      dby: this.n_y,
      da: d.t * this.n_a * d.m,
    });
    const inputs = { y: run.y, targets, a: run.a, wy: this.params[this.recurrence.outputNames[0]] };
    backend.run('outputBackward', d, inputs, out);
    return out;
  }

  /**
   * One optimisation step: gradients of the mean loss, optional clipping (by value, then by
   * global norm), then the optimiser's update. Returns the loss and the gradient norm before
   * clipping.
   */
  trainStep(batch: Batch, optimizer: Optimizer, clip?: ClipOptions): { loss: number; count: number; gradNorm: number } {
    const c = optionsObject(clip, 'clip options') as ClipOptions;
    if (!optimizer || typeof optimizer.step !== 'function') {
      throw typeError('ERR_RNN_TYPE', `optimizer must be an SGD, Momentum or Adam instance; got ${describe(optimizer)}`);
    }
    const { loss, count, grads } = this.gradients(batch);
    const gradNorm = globalNorm(grads);
    if (c.value !== undefined) clipByValue(grads, c.value);
    if (c.norm !== undefined) clipByGlobalNorm(grads, c.norm);
    optimizer.step(this.params, grads);
    if (this.float32) for (const p of Object.values(this.params)) roundToFloat32(p);
    return { loss, count, gradNorm };
  }

  /**
   * Generates sequences by feeding each sampled token back as the next input, `n` at a time
   * in one batch. Starts from a zero state and leaves the carried state alone.
   */
  sample(options?: SampleOptions): number[][] {
    const o = optionsObject(options, 'sample options');
    const n = integerIn(o.n ?? 1, 'n', 1, 100_000);
    const maxLength = integerIn(o.maxLength ?? 40, 'maxLength', 1, 1_000_000);
    const temperature = finiteNumber(o.temperature ?? 1, 'temperature', true);
    const random = seededRandom(integerIn(o.seed ?? 0, 'seed', 0, 2 ** 32 - 1));
    const start = integerIn(o.start ?? 0, 'start', 0, this.n_x - 1);
    const stop = o.stop === undefined ? (start < this.n_y ? start : -1) : integerIn(o.stop, 'stop', 0, this.n_y - 1);
    const backend = activeBackend();
    const d: SequenceDims = { n_x: this.n_x, n_a: this.n_a, n_y: this.n_y, m: n, t: 1 };
    const out: number[][] = Array.from({ length: n }, () => []);
    const done = new Uint8Array(n);
    let state = this.zeroState(n);
    let tokens = new Array<number>(n).fill(start);
    for (let t = 0; t < maxLength && done.includes(0); t++) {
      const run = this.run(backend, d, oneHot(tokens, this.n_x, 1, n), state);
      state = run.final;
      tokens = tokens.map((_, j) => {
        if (done[j]) return start;
        const k = drawToken(run.y, j, n, this.n_y, temperature, random);
        if (k === stop) done[j] = 1;
        else out[j].push(k);
        return k;
      });
    }
    return out;
  }

  /** Samples as strings, for models with a vocabulary. */
  sampleText(options?: SampleOptions): string[] {
    const vocab = this.vocabulary;
    if (!vocab) throw typeError('ERR_RNN_TYPE', 'sampleText needs a model created with a vocabulary');
    return this.sample(options).map((seq) => seq.map((k) => vocab[k]).join(''));
  }

  private prepare(backend: Backend, batch: Batch, needTargets: boolean): Prepared {
    const call = new CallContext();
    const b = optionsObject(batch, 'batch');
    let T: number;
    let m: number;
    let x: Float64Array;
    let dense: Float64Array | undefined;
    if ('tokens' in b) {
      T = integerIn(b.T, 'batch.T', 0);
      m = integerIn(b.m, 'batch.m', 0);
      const tokens = indexSequence(b.tokens, 'batch.tokens', T * m, this.n_x);
      x = oneHot(tokens, this.n_x, T, m);
    } else if ('x' in b) {
      const array = arrayOfRank(call, b.x, 'batch.x', ['n_x', 'm', 'T_x']);
      if (array.shape[0] !== this.n_x) {
        throw rangeError('ERR_RNN_SHAPE', `batch.x must have n_x = ${this.n_x} rows (n_x, m, T_x); got shape (${array.shape.join(', ')})`);
      }
      [, m, T] = array.shape;
      dense = array.data;
      x = allocateOutputs(backend, 'batch.x', { x: dense.length }).x;
    } else {
      throw typeError('ERR_RNN_TYPE', 'batch must have either tokens (with T and m) or x');
    }
    if (needTargets && b.targets === undefined) {
      throw typeError('ERR_RNN_MISSING_KEY', 'batch.targets is required for the loss (time-major [T][m] class indices, -1 for none)');
    }
    const targets = b.targets === undefined ? undefined : indexSequence(b.targets, 'batch.targets', T * m, this.n_y);
    // batch.x is read in place: converted only once the targets (which a getter may hide) are read.
    call.endOfCallerReads();
    if (dense) toTimeMajor(backend, dense, this.n_x, m, T, x);
    return { d: { n_x: this.n_x, n_a: this.n_a, n_y: this.n_y, m, t: T }, x, targets };
  }

  protected zeroState(m: number): State {
    const size = this.layers * this.n_a * m;
    return { a: new Float64Array(size), c: this.kind === 'lstm' ? new Float64Array(size) : undefined };
  }

  private startState(m: number): State {
    const s = this.carried;
    if (!this.stateful || !s) return this.zeroState(m);
    if (s.a.length !== this.layers * this.n_a * m) {
      throw rangeError(
        'ERR_RNN_STATE',
        `the carried state is for batches of ${s.a.length / (this.layers * this.n_a)} sequences, this batch has m = ${m}; call resetState() first`,
      );
    }
    return s;
  }

  private keepState(final: State): void {
    if (this.stateful) this.carried = final;
  }
}

/** One-hot `[T][n][m]` inputs from time-major token indices (-1 gives a zero column). */
function oneHot(tokens: ArrayLike<number>, n: number, T: number, m: number): Float64Array {
  const x = new Float64Array(T * n * m);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < m; j++) {
      const k = tokens[t * m + j];
      if (k !== NO_TARGET) x[(t * n + k) * m + j] = 1;
    }
  }
  return x;
}

/**
 * Draws from column `j` of the one-step softmax `y` `(n_y, m)` sharpened by `temperature`:
 * `p_k ∝ y_k^(1/τ)`, which is `softmax(z/τ)` of the logits z without needing them.
 */
function drawToken(y: Float64Array, j: number, m: number, n_y: number, temperature: number, random: Random): number {
  const logp = new Float64Array(n_y);
  let max = -Infinity;
  for (let k = 0; k < n_y; k++) {
    logp[k] = Math.log(y[k * m + j]) / temperature;
    max = Math.max(max, logp[k]);
  }
  let sum = 0;
  for (let k = 0; k < n_y; k++) sum += logp[k] = Math.exp(logp[k] - max);
  let u = random.uniform() * sum;
  for (let k = 0; k < n_y; k++) {
    u -= logp[k];
    if (u < 0) return k;
  }
  return n_y - 1; // rounding left u ≥ 0 after the last term
}

function booleanOption(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw typeError('ERR_RNN_TYPE', `${name} must be a boolean; got ${describe(value)}`);
  return value;
}

function checkVocabulary(value: unknown, n_x: number, n_y: number): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw typeError('ERR_RNN_TYPE', `vocabulary must be an array of strings; got ${describe(value)}`);
  }
  if (value.length !== n_x || n_x !== n_y) {
    throw rangeError('ERR_RNN_SHAPE', `vocabulary must have n_x = n_y = ${n_x} entries (with n_y = ${n_y}); got ${value.length}`);
  }
  if (new Set(value).size !== value.length) throw rangeError('ERR_RNN_VALUE', 'vocabulary entries must be distinct');
  return (value as string[]).slice();
}
