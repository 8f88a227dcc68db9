/**
 * `lstm(config)` and `gru(config)`: TF.js layers (subclasses of `tf.layers.Layer`) that take the
 * config of `tf.layers.lstm` / `tf.layers.gru` and run the whole sequence in one rnn-wasm pass
 * (the float32 kernels: float32 tensors in and out, float32 products, the cell's activations and
 * state in float64) instead of TF.js's one round of tensor ops per time step.
 *
 * What is TF.js's, kept as TF.js has it: config parsing (a TF.js cell is built from the config
 * only to read its activations, initializers, regularizers and constraints, so identifiers,
 * defaults and error messages are TF.js's own), the weights (created with `addWeight` in TF.js's
 * order kernel, recurrent_kernel, bias, with TF.js's shapes, so `getWeights()` / `setWeights()`
 * copy between this layer and TF.js's), `goBackwards` (the returned sequence is in processing
 * order), `returnState` (`[output, h, c]` for the LSTM, `[output, h]` for the GRU) and the
 * serialized config (plus `resetAfter` for the GRU).
 *
 * What differs: `gru({ resetAfter: true })` works, with Keras's bias layout `(2, 3·units)` (row 0
 * the input bias, row 1 the recurrent one); TF.js refuses it. Options whose effect rnn-wasm
 * cannot reproduce throw at construction, naming the option: `dropout` and `recurrentDropout`
 * other than 0, `stateful: true`, and activations outside sigmoid, tanh, relu, hardSigmoid,
 * linear, elu, softsign, softplus. At call time a mask (from `maskZero` embeddings or a Masking
 * layer) and `initialState` throw: TF.js's masked steps carry the previous state forward, which a
 * pass over whole sequences does not model. `unroll` is accepted and, as in TF.js, changes nothing.
 *
 * Gradients: `tf.customGrad` over (x, kernel, recurrentKernel[, bias]); with `returnState` the
 * output and the states are one tensor inside it, sliced apart outside, so one backward pass
 * serves them all. Outside a gradient tape (`predict`, `evaluate`) forward keeps nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { rangeError } from '../errors.js';
import { describe } from '../ndarray.js';
import { kerasToLayerWeights, layerGradsToKeras, type KerasKind } from '../keras/layout.js';
import { fromKerasName, gatesArray } from '../layers/activations.js';
import { CELL, type CellCode } from '../layers/cells.js';
import { runLayers, type StackResult, type StackSpec } from '../layers/stack.js';

/** The config of `tf.layers.lstm`. */
export type LSTMLayerConfig = Parameters<typeof tf.layers.lstm>[0];

/** The config of `tf.layers.gru`, plus Keras's `resetAfter` (default false, as in TF.js). */
export type GRULayerConfig = Parameters<typeof tf.layers.gru>[0] & { resetAfter?: boolean };

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];
type LayerVariable = tf.LayerVariable;
type Initializer = ReturnType<typeof tf.initializers.ones>;
type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;
type Constraint = ReturnType<typeof tf.constraints.nonNeg>;
type Cell = ReturnType<typeof tf.layers.lstmCell> | ReturnType<typeof tf.layers.gruCell>;
type Float = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The cell options TF.js's own cell parses; everything else is the layer's. */
const CELL_KEYS = [
  'units',
  'activation',
  'recurrentActivation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'unitForgetBias',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'kernelConstraint',
  'recurrentConstraint',
  'biasConstraint',
  'dropout',
  'recurrentDropout',
  'implementation',
] as const;

/**
 * TF.js's `unitForgetBias` initializer: the bias initializer's values for i, then ones for f,
 * then the initializer's values for the other two gates (the same calls in the same order as
 * TF.js's, so seeded initializers give the same numbers). `addWeight` only calls `apply`, and
 * TF.js does not export the Initializer class to extend.
 */
function unitForgetBias(inner: Initializer, u: number): Initializer {
  const init = {
    apply: () => tf.tidy(() => tf.concat([inner.apply([u]), tf.ones([u]), inner.apply([2 * u])], 0)),
  };
  return init as unknown as Initializer;
}

function noUnsupported(kind: KerasKind, config: Record<string, unknown>): void {
  const name = `${kind}() config`;
  for (const key of ['dropout', 'recurrentDropout'] as const) {
    const v = config[key];
    if (v != null && v !== 0) {
      throw rangeError('ERR_RNN_VALUE', `${name}.${key} must be 0 (rnn-wasm runs whole sequences and has no dropout); got ${describe(v)}`);
    }
  }
  if (config.stateful != null && config.stateful !== false) {
    throw rangeError('ERR_RNN_VALUE', `${name}.stateful must be false (rnn-wasm layers keep no state between calls); got ${describe(config.stateful)}`);
  }
  if (kind === 'lstm' && config.resetAfter !== undefined) {
    throw rangeError('ERR_RNN_VALUE', `${name}.resetAfter is a GRU option; got ${describe(config.resetAfter)} for an LSTM`);
  }
  if (config.resetAfter != null && typeof config.resetAfter !== 'boolean') {
    throw rangeError('ERR_RNN_VALUE', `${name}.resetAfter must be a boolean; got ${describe(config.resetAfter)}`);
  }
}

/** What one call computes besides the tensors: shapes, the spec and how the value tensor is laid out. */
interface Pass {
  n: number;
  t: number;
  f: number;
  /** Columns of the value tensor per sequence: output (T·H or H), then h, then c (with returnState). */
  cols: number;
  outCols: number;
}

/**
 * The layer behind `lstm()` and `gru()`. Its weights are its own (`addWeight`), named and shaped
 * as TF.js's: `kernel` `(F, G·units)`, `recurrent_kernel` `(units, G·units)`, `bias` `(G·units)`
 * (`(2, 3·units)` for a GRU with `resetAfter`).
 */
export abstract class RnnWasmRecurrent extends tf.layers.Layer {
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  readonly useBias: boolean;
  readonly resetAfter: boolean;
  protected readonly kind: KerasKind;
  protected readonly cellConfig: tf.serialization.ConfigDict;
  private readonly parsed: Cell;
  private readonly spec: Omit<StackSpec, 'inputSize'> & { gates: Float64Array };
  kernel: LayerVariable | null = null;
  recurrentKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  protected constructor(kind: KerasKind, config: LSTMLayerConfig | GRULayerConfig) {
    if (config == null || typeof config !== 'object') {
      throw rangeError('ERR_RNN_VALUE', `${kind}() config must be an object with at least units; got ${describe(config)}`);
    }
    const raw = config as unknown as Record<string, unknown>;
    noUnsupported(kind, raw);
    super(config);
    this.kind = kind;
    const cellArgs: Record<string, unknown> = {};
    for (const key of CELL_KEYS) if (raw[key] !== undefined) cellArgs[key] = raw[key];
    // TF.js's cell parses the options (and checks units), exactly as its own layer would.
    this.parsed = kind === 'lstm' ? tf.layers.lstmCell(cellArgs as never) : tf.layers.gruCell(cellArgs as never);
    this.cellConfig = this.parsed.getConfig();
    this.units = (this.parsed as unknown as { units: number }).units;
    this.useBias = (this.parsed as unknown as { useBias: boolean }).useBias;
    this.resetAfter = kind === 'gru' && raw.resetAfter === true;
    this.returnSequences = raw.returnSequences == null ? false : Boolean(raw.returnSequences);
    this.returnState = raw.returnState == null ? false : Boolean(raw.returnState);
    this.goBackwards = raw.goBackwards == null ? false : Boolean(raw.goBackwards);
    this.unroll = raw.unroll == null ? false : Boolean(raw.unroll);

    const cells = this.parsed as unknown as { activation: { getClassName(): string }; recurrentActivation: { getClassName(): string } };
    const g = fromKerasName(cells.activation.getClassName(), `${kind}() config.activation`);
    const f = fromKerasName(cells.recurrentActivation.getClassName(), `${kind}() config.recurrentActivation`);
    const cell: CellCode = kind === 'lstm' ? CELL.lstm : this.resetAfter ? CELL.gru : CELL.gruResetBefore;
    // TF.js tensors are float32: the float32 kernels lose nothing they hold.
    const gates = gatesArray(cell, { f, g, h: g });
    this.spec = { cell, hiddenSize: this.units, numLayers: 1, bidirectional: false, gates, dtype: 'float32' };
    this.supportsMasking = false;
    this.inputSpec = [new tf.InputSpec({ ndim: 3 })];
  }

  private get gateCount(): number {
    return this.kind === 'lstm' ? 4 : 3;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const F = shape[shape.length - 1];
    if (F == null) throw rangeError('ERR_RNN_SHAPE', `${this.name}: the input's last dimension (features) must be known; got shape [${shape.join(', ')}]`);
    const u = this.units;
    const Gu = this.gateCount * u;
    const p = this.parsed as unknown as {
      kernelInitializer: Initializer;
      recurrentInitializer: Initializer;
      biasInitializer: Initializer;
      kernelRegularizer?: Regularizer;
      recurrentRegularizer?: Regularizer;
      biasRegularizer?: Regularizer;
      kernelConstraint?: Constraint;
      recurrentConstraint?: Constraint;
      biasConstraint?: Constraint;
      unitForgetBias?: boolean;
    };
    this.inputSpec = [new tf.InputSpec({ shape: [null, null, F] })];
    this.kernel = this.addWeight('kernel', [F, Gu], undefined, p.kernelInitializer, p.kernelRegularizer, true, p.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, Gu], undefined, p.recurrentInitializer, p.recurrentRegularizer, true, p.recurrentConstraint);
    if (this.useBias) {
      const init = this.kind === 'lstm' && p.unitForgetBias ? unitForgetBias(p.biasInitializer, u) : p.biasInitializer;
      const shapeB = this.resetAfter ? [2, Gu] : [Gu];
      this.bias = this.addWeight('bias', shapeB, undefined, init, p.biasRegularizer, true, p.biasConstraint);
    } else {
      this.bias = null;
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const output = this.returnSequences ? [shape[0], shape[1], this.units] : [shape[0], this.units];
    if (!this.returnState) return output;
    const states = this.kind === 'lstm' ? 2 : 1;
    return [output, ...Array.from({ length: states }, () => [shape[0], this.units])] as Shape[];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    if (mask != null && (!Array.isArray(mask) || mask.some((m) => m != null))) this.refuseMask();
    return (this.returnState ? [null, ...Array.from({ length: this.kind === 'lstm' ? 2 : 1 }, () => null)] : null) as unknown as tf.Tensor;
  }

  private refuseMask(): never {
    throw rangeError(
      'ERR_RNN_VALUE',
      `${this.name}: an input mask (maskZero embedding or Masking layer) is not supported by rnn-wasm's ${this.kind}(); got a mask. ` +
        `Use TF.js's own layer for masked inputs`,
    );
  }

  override apply(inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], kwargs?: Kwargs) {
    if (kwargs?.initialState != null) {
      throw rangeError('ERR_RNN_VALUE', `${this.name}: initialState is not supported by rnn-wasm's ${this.kind}() (its states start at 0); got initialState`);
    }
    return super.apply(inputs, kwargs);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      if (kwargs?.mask != null) this.refuseMask();
      if (kwargs?.initialState != null) {
        throw rangeError('ERR_RNN_VALUE', `${this.name}: initialState is not supported by rnn-wasm's ${this.kind}() (its states start at 0); got initialState`);
      }
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (Array.isArray(inputs) && inputs.length !== 1) {
        throw rangeError('ERR_RNN_VALUE', `${this.name}: expects one input tensor; got ${inputs.length}`);
      }
      if (!this.kernel || !this.recurrentKernel) throw rangeError('ERR_RNN_VALUE', `${this.name}: call() before build()`);
      const F = this.kernel.shape[0];
      if (x.rank !== 3 || x.shape[2] !== F) {
        throw rangeError('ERR_RNN_SHAPE', `${this.name}: input must have shape [batch, steps, ${F}]; got [${x.shape.join(', ')}]`);
      }
      const [n, t] = x.shape as [number, number, number];
      const H = this.units;
      const outCols = this.returnSequences ? t * H : H;
      const states = this.returnState ? (this.kind === 'lstm' ? 2 : 1) : 0;
      const pass: Pass = { n, t, f: F, outCols, cols: outCols + states * H };
      const weights = [this.kernel.read(), this.recurrentKernel.read(), ...(this.bias ? [this.bias.read()] : [])];

      let value: tf.Tensor2D;
      if (tf.engine().isTapeOn()) {
        const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
          const tensors = args.slice(0, 1 + weights.length) as tf.Tensor[];
          const result = this.forward(pass, tensors, true);
          return {
            value: tf.tensor2d(result.value, [n, pass.cols]),
            gradFunc: (dy: tf.Tensor) => this.backward(pass, tensors, result.run, dy.dataSync()),
          };
        });
        value = op(x, ...weights) as tf.Tensor2D;
      } else {
        value = tf.tensor2d(this.forward(pass, [x, ...weights], false).value, [n, pass.cols]);
      }

      if (!this.returnState) return this.returnSequences ? tf.reshape(value, [n, t, H]) : value;
      const output = this.returnSequences ? tf.reshape(tf.slice(value, [0, 0], [n, outCols]), [n, t, H]) : tf.slice(value, [0, 0], [n, H]);
      const parts: tf.Tensor[] = [output];
      for (let s = 0; s < states; s++) parts.push(tf.slice(value, [0, outCols + s * H], [n, H]));
      return parts;
    });
  }

  /** One rnn-wasm pass; `value` is `[n][cols]` (output, then h, then c), float32. */
  private forward(pass: Pass, tensors: tf.Tensor[], keep: boolean): { value: Float32Array; run: StackResult } {
    const { n, t, f, cols, outCols } = pass;
    const H = this.units;
    const [x, kernel, recurrentKernel, bias] = tensors.map((tensor) => tensor.dataSync() as Float);
    // [n][t][f] batch-major → [t][n][f] time-major; goBackwards feeds the steps in reverse, so
    // the output comes out in processing order as TF.js returns it.
    const xs = new Float64Array(t * n * f);
    for (let b = 0; b < n; b++) {
      for (let s = 0; s < t; s++) {
        const src = (b * t + s) * f;
        const dst = ((this.goBackwards ? t - 1 - s : s) * n + b) * f;
        for (let k = 0; k < f; k++) xs[dst + k] = x[src + k];
      }
    }
    const w = kerasToLayerWeights(this.kind, kernel, recurrentKernel, bias, H, f, this.resetAfter);
    const run = runLayers({ ...this.spec, inputSize: f }, [w], { x: xs, t, n, keep, what: `${this.name} (${this.kind})` });
    const value = new Float32Array(n * cols);
    for (let b = 0; b < n; b++) {
      const row = b * cols;
      if (this.returnSequences) {
        for (let s = 0; s < t; s++) value.set(run.output.subarray((s * n + b) * H, (s * n + b + 1) * H), row + s * H);
      } else {
        value.set(run.h.subarray(b * H, (b + 1) * H), row);
      }
      if (this.returnState) {
        value.set(run.h.subarray(b * H, (b + 1) * H), row + outCols);
        if (run.c) value.set(run.c.subarray(b * H, (b + 1) * H), row + outCols + H);
      }
    }
    return { value, run };
  }

  /** The gradients of (x, kernel, recurrentKernel[, bias]) from the value tensor's `dy`. */
  private backward(pass: Pass, tensors: tf.Tensor[], run: StackResult, dy: Float): tf.Tensor[] {
    const { n, t, f, cols, outCols } = pass;
    const H = this.units;
    const dOutput = this.returnSequences ? new Float64Array(t * n * H) : undefined;
    const dh = new Float64Array(n * H);
    const dc = this.kind === 'lstm' && this.returnState ? new Float64Array(n * H) : undefined;
    for (let b = 0; b < n; b++) {
      const row = b * cols;
      if (dOutput) {
        for (let s = 0; s < t; s++) {
          const o = (s * n + b) * H;
          for (let j = 0; j < H; j++) dOutput[o + j] = dy[row + s * H + j];
        }
      } else {
        // Without returnSequences the output is the last state itself.
        for (let j = 0; j < H; j++) dh[b * H + j] = dy[row + j];
      }
      if (this.returnState) {
        for (let j = 0; j < H; j++) dh[b * H + j] += dy[row + outCols + j];
        if (dc) for (let j = 0; j < H; j++) dc[b * H + j] = dy[row + outCols + H + j];
      }
    }
    if (!run.backward) throw rangeError('ERR_RNN_VALUE', `${this.name}: backward of a pass that kept nothing`);
    const grads = run.backward({ output: dOutput, h: dh, c: dc });
    const dx = new Float32Array(n * t * f);
    for (let b = 0; b < n; b++) {
      for (let s = 0; s < t; s++) {
        const src = ((this.goBackwards ? t - 1 - s : s) * n + b) * f;
        dx.set(grads.x.subarray(src, src + f), (b * t + s) * f);
      }
    }
    const k = layerGradsToKeras(this.kind, grads.weights[0], H, f, this.resetAfter, tensors.length > 3);
    const out: tf.Tensor[] = [
      tf.tensor(dx, tensors[0].shape),
      tf.tensor(Float32Array.from(k.kernel), tensors[1].shape),
      tf.tensor(Float32Array.from(k.recurrentKernel), tensors[2].shape),
    ];
    if (tensors.length > 3) out.push(tf.tensor(Float32Array.from(k.bias ?? []), tensors[3].shape));
    return out;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...this.cellConfig,
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
    };
    if (this.kind === 'gru') config.resetAfter = this.resetAfter;
    return config;
  }
}

/** rnn-wasm's LSTM as a TF.js layer; serialized as `RnnWasmLSTM`. */
export class RnnWasmLSTM extends RnnWasmRecurrent {
  static className = 'RnnWasmLSTM';
  constructor(config: LSTMLayerConfig) {
    super('lstm', config);
  }
}

/** rnn-wasm's GRU as a TF.js layer; serialized as `RnnWasmGRU`. */
export class RnnWasmGRU extends RnnWasmRecurrent {
  static className = 'RnnWasmGRU';
  constructor(config: GRULayerConfig) {
    super('gru', config);
  }
}

tf.serialization.registerClass(RnnWasmLSTM);
tf.serialization.registerClass(RnnWasmGRU);

/** A drop-in for `tf.layers.lstm(config)`: same config, weights, outputs and gradients. */
export function lstm(config: LSTMLayerConfig): RnnWasmLSTM {
  return new RnnWasmLSTM(config);
}

/**
 * A drop-in for `tf.layers.gru(config)`; also takes `resetAfter: true` (Keras's GRU with the
 * reset gate applied after the recurrent product, bias `(2, 3·units)`), which TF.js refuses.
 */
export function gru(config: GRULayerConfig): RnnWasmGRU {
  return new RnnWasmGRU(config);
}
