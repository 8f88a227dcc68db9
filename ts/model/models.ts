/**
 * The three concrete models, and the recurrent part of one-layer RNN and LSTM models on the
 * notebook kernels. Each holds its parameters in the layout its backend kernels take (the
 * notebook LSTM's four gates fused into one weight), so a step passes them without copies.
 *
 * Which recurrent part a model runs on is decided here, by kind and layer count: the notebook
 * kernels for one-layer RNN and LSTM models (their saved format and speed unchanged), the layer
 * stack (layer-recurrence.ts) for GRU models and for any model with more than one layer. A
 * one-layer `'float32'` RNN or LSTM keeps the notebook's parameters but runs on the layer stack's
 * float32 kernels (notebook-layers.ts).
 */
import type { Backend, Blocks } from '../backend.js';
import { ndarray, type NDArray } from '../ndarray.js';
import { allocateOutputs } from '../outputs.js';
import { LayerStackRecurrence } from './layer-recurrence.js';
import { NotebookOnLayers } from './notebook-layers.js';
import type { ParamSet } from './optimizers.js';
import type { Random } from './random.js';
import {
  SequenceModel,
  type ForwardRun,
  type ModelKind,
  type ModelOptions,
  type Recurrence,
  type RecurrenceDims,
  type SequenceDims,
  type State,
} from './sequence-model.js';

function randomMatrix(random: Random, rows: number, cols: number, scale: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => scale * random.normal());
}

/** `[a0, a_0 … a_{T−2}]`: each step's incoming state, as blocks (no copy). */
function previousSteps(initial: Float64Array, states: Float64Array, T: number, step: number): Blocks {
  return T === 0 ? [] : [initial, states.subarray(0, (T - 1) * step)];
}

/** The state after the last step (the initial one when there are no steps). */
function lastStep(initial: Float64Array, states: Float64Array, T: number, step: number): Float64Array {
  return T === 0 ? initial.slice() : states.slice((T - 1) * step);
}

/** The tanh RNN of the notebook: `a_t = tanh(Wax·x_t + Waa·a_{t−1} + ba)`, output weight Wya. */
class NotebookRNN implements Recurrence {
  readonly outputNames = ['Wya', 'by'] as const;

  constructor(private readonly dims: RecurrenceDims) {}

  shapes(): Record<string, number[]> {
    const { n_x, n_a } = this.dims;
    return { Wax: [n_a, n_x], Waa: [n_a, n_a], ba: [n_a, 1] };
  }

  initial(random: Random): ParamSet {
    const { n_x, n_a } = this.dims;
    const s = 1 / Math.sqrt(n_a + n_x);
    return { Wax: randomMatrix(random, n_a, n_x, s), Waa: randomMatrix(random, n_a, n_a, s), ba: new Float64Array(n_a) };
  }

  run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, p: ParamSet): ForwardRun {
    const step = d.n_a * d.m;
    const { a, y } = allocateOutputs(backend, 'RNNModel forward', { a: d.t * step, y: d.t * d.n_y * d.m });
    backend.run('rnnForward', d, { x, a0: state.a, wax: p.Wax, waa: p.Waa, ba: p.ba, wya: p.Wya, by: p.by }, { a, y });
    return {
      a,
      y,
      final: { a: lastStep(state.a, a, d.t, step) },
      backward(da) {
        const g = allocateOutputs(backend, 'RNNModel backward', {
          dx: x.length,
          da0: step,
          dwax: p.Wax.length,
          dwaa: p.Waa.length,
          dba: p.ba.length,
        });
        const inputs = { da, a_next: a, a_prev: previousSteps(state.a, a, d.t, step), x, wax: p.Wax, waa: p.Waa };
        backend.run('rnnBackward', d, inputs, g);
        return { Wax: g.dwax, Waa: g.dwaa, ba: g.dba };
      },
    };
  }

  namedParameters(params: ParamSet): Record<string, NDArray> {
    const shapes = this.shapes();
    return Object.fromEntries(Object.keys(shapes).map((k) => [k, ndarray(params[k].slice(), shapes[k].slice())]));
  }

  notebookParameters(params: ParamSet): Record<string, NDArray> {
    const { n_y, n_a } = this.dims;
    return { ...this.namedParameters(params), Wya: ndarray(params.Wya.slice(), [n_y, n_a]), by: ndarray(params.by.slice(), [n_y, 1]) };
  }
}

/**
 * The LSTM of the notebook, gates f, i, c̃, o. `W` is `(4·n_a) × (n_a+n_x)`, the notebook's Wf,
 * Wi, Wc, Wo stacked by rows, acting on `[a_prev; x_t]`; `b` stacks bf, bi, bc, bo.
 */
class NotebookLSTM implements Recurrence {
  readonly outputNames = ['Wy', 'by'] as const;

  constructor(private readonly dims: RecurrenceDims) {}

  shapes(): Record<string, number[]> {
    const { n_x, n_a } = this.dims;
    return { W: [4 * n_a, n_a + n_x], b: [4 * n_a, 1] };
  }

  initial(random: Random): ParamSet {
    const { n_x, n_a } = this.dims;
    const b = new Float64Array(4 * n_a);
    // A forget-gate bias of 1 keeps the cell state flowing early in training.
    b.fill(1, 0, n_a);
    return { W: randomMatrix(random, 4 * n_a, n_a + n_x, 1 / Math.sqrt(n_a + n_x)), b };
  }

  run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, p: ParamSet): ForwardRun {
    const step = d.n_a * d.m;
    const out = allocateOutputs(backend, 'LSTMModel forward', {
      a: d.t * step,
      c: d.t * step,
      y: d.t * d.n_y * d.m,
      gates: 4 * d.t * step,
    });
    const { a, c, gates } = out;
    const c0 = state.c!;
    backend.run('lstmForward', d, { x, a0: state.a, c0, w: p.W, b: p.b, wy: p.Wy, by: p.by }, out);
    return {
      a,
      y: out.y,
      final: { a: lastStep(state.a, a, d.t, step), c: lastStep(c0, c, d.t, step) },
      backward(da) {
        const g = allocateOutputs(backend, 'LSTMModel backward', {
          dx: x.length,
          da0: step,
          dc0: step,
          dw: p.W.length,
          db: p.b.length,
        });
        const inputs = {
          da,
          dc_last: new Float64Array(step),
          c_next: c,
          c_prev: previousSteps(c0, c, d.t, step),
          a_prev: previousSteps(state.a, a, d.t, step),
          gates,
          x,
          w: p.W,
        };
        backend.run('lstmBackward', d, inputs, g);
        return { W: g.dw, b: g.db };
      },
    };
  }

  namedParameters(params: ParamSet): Record<string, NDArray> {
    const out = this.notebookParameters(params);
    delete out.Wy;
    delete out.by;
    return out;
  }

  notebookParameters(params: ParamSet): Record<string, NDArray> {
    const { n_x, n_a, n_y } = this.dims;
    const cols = n_a + n_x;
    const out: Record<string, NDArray> = {};
    ['f', 'i', 'c', 'o'].forEach((gate, k) => {
      out[`W${gate}`] = ndarray(params.W.slice(k * n_a * cols, (k + 1) * n_a * cols), [n_a, cols]);
      out[`b${gate}`] = ndarray(params.b.slice(k * n_a, (k + 1) * n_a), [n_a, 1]);
    });
    out.Wy = ndarray(params.Wy.slice(), [n_y, n_a]);
    out.by = ndarray(params.by.slice(), [n_y, 1]);
    return out;
  }
}

/**
 * A tanh RNN, `a_t = tanh(Wax·x_t + Waa·a_{t−1} + ba)` (for more layers PyTorch's `nn.RNN`,
 * each layer reading the one below), with `ŷ_t = softmax(Wya·a_t + by)` on the last layer
 * (`Wy` for more than one layer).
 */
export class RNNModel extends SequenceModel {
  declare readonly kind: 'rnn';

  /** A new model with seeded random weights, or (from `loadModel`) the given parameters. */
  constructor(options: ModelOptions, params?: ParamSet) {
    super('rnn', options, params, (dims) => {
      if (dims.layers > 1) return new LayerStackRecurrence('rnn', dims);
      return dims.dtype === 'float64' ? new NotebookRNN(dims) : new NotebookOnLayers('rnn', dims, new NotebookRNN(dims));
    });
  }
}

/**
 * An LSTM: one layer as the notebook's (gates f, i, c̃, o fused into `W`, `b`), more layers as
 * PyTorch's `nn.LSTM` (gates i, f, g, o); softmax output `(Wy, by)` on the last layer.
 */
export class LSTMModel extends SequenceModel {
  declare readonly kind: 'lstm';

  /** A new model with seeded random weights, or (from `loadModel`) the given parameters. */
  constructor(options: ModelOptions, params?: ParamSet) {
    super('lstm', options, params, (dims) => {
      if (dims.layers > 1) return new LayerStackRecurrence('lstm', dims);
      return dims.dtype === 'float64' ? new NotebookLSTM(dims) : new NotebookOnLayers('lstm', dims, new NotebookLSTM(dims));
    });
  }
}

/**
 * A GRU as PyTorch's `nn.GRU` (gates r, z, n; `n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))`,
 * `h' = (1 − z) ∘ n + z ∘ h`), one or more layers, softmax output `(Wy, by)` on the last.
 */
export class GRUModel extends SequenceModel {
  declare readonly kind: 'gru';

  /** A new model with seeded random weights, or (from `loadModel`) the given parameters. */
  constructor(options: ModelOptions, params?: ParamSet) {
    super('gru', options, params, (dims) => new LayerStackRecurrence('gru', dims));
  }
}

/** The model class of each kind. */
export const MODEL_CLASSES = { rnn: RNNModel, lstm: LSTMModel, gru: GRUModel } as const;

export type AnyModel = RNNModel | LSTMModel | GRUModel;

/** The model class of kind `K` (any model for the union of kinds). */
export type ModelOf<K extends ModelKind> = { rnn: RNNModel; lstm: LSTMModel; gru: GRUModel }[K];
