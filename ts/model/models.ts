/**
 * The two concrete models. Each holds its parameters in the layout its backend kernels take
 * (the LSTM's four gates fused into one weight), so a step passes them without copies.
 */
import type { Backend, Blocks } from '../backend.js';
import { ndarray, type NDArray } from '../ndarray.js';
import { allocateOutputs } from '../outputs.js';
import type { ParamSet } from './optimizers.js';
import type { Random } from './random.js';
import { SequenceModel, type ForwardRun, type ModelOptions, type SequenceDims, type State } from './sequence-model.js';

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

/** A tanh RNN: `a_t = tanh(Wax·x_t + Waa·a_{t−1} + ba)`, `ŷ_t = softmax(Wya·a_t + by)`. */
export class RNNModel extends SequenceModel {
  readonly kind = 'rnn';
  protected readonly outputNames = ['Wya', 'by'] as const;

  /** A new model with seeded random weights, or (from `loadModel`) the given parameters. */
  constructor(options: ModelOptions, params?: ParamSet) {
    super(options, params);
  }

  parameterShapes(): Record<string, number[]> {
    const { n_x, n_a, n_y } = this;
    return { Wax: [n_a, n_x], Waa: [n_a, n_a], ba: [n_a, 1], Wya: [n_y, n_a], by: [n_y, 1] };
  }

  protected initialParameters(random: Random): ParamSet {
    const { n_x, n_a, n_y } = this;
    const s = 1 / Math.sqrt(n_a + n_x);
    return {
      Wax: randomMatrix(random, n_a, n_x, s),
      Waa: randomMatrix(random, n_a, n_a, s),
      ba: new Float64Array(n_a),
      Wya: randomMatrix(random, n_y, n_a, 1 / Math.sqrt(n_a)),
      by: new Float64Array(n_y),
    };
  }

  protected run(backend: Backend, d: SequenceDims, x: Float64Array, state: State): ForwardRun {
    const p = this.params;
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

  notebookParameters(): Record<string, NDArray> {
    const shapes = this.parameterShapes();
    return Object.fromEntries(Object.entries(this.params).map(([k, v]) => [k, ndarray(v.slice(), shapes[k].slice())]));
  }
}

/**
 * An LSTM with gates f, i, c̃, o. `W` is `(4·n_a) × (n_a+n_x)`, the notebook's Wf, Wi, Wc, Wo
 * stacked by rows, acting on `[a_prev; x_t]`; `b` stacks bf, bi, bc, bo.
 */
export class LSTMModel extends SequenceModel {
  readonly kind = 'lstm';
  protected readonly outputNames = ['Wy', 'by'] as const;

  /** A new model with seeded random weights, or (from `loadModel`) the given parameters. */
  constructor(options: ModelOptions, params?: ParamSet) {
    super(options, params);
  }

  parameterShapes(): Record<string, number[]> {
    const { n_x, n_a, n_y } = this;
    return { W: [4 * n_a, n_a + n_x], b: [4 * n_a, 1], Wy: [n_y, n_a], by: [n_y, 1] };
  }

  protected initialParameters(random: Random): ParamSet {
    const { n_x, n_a, n_y } = this;
    const b = new Float64Array(4 * n_a);
    // A forget-gate bias of 1 keeps the cell state flowing early in training.
    b.fill(1, 0, n_a);
    return {
      W: randomMatrix(random, 4 * n_a, n_a + n_x, 1 / Math.sqrt(n_a + n_x)),
      b,
      Wy: randomMatrix(random, n_y, n_a, 1 / Math.sqrt(n_a)),
      by: new Float64Array(n_y),
    };
  }

  protected run(backend: Backend, d: SequenceDims, x: Float64Array, state: State): ForwardRun {
    const p = this.params;
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

  notebookParameters(): Record<string, NDArray> {
    const { n_x, n_a } = this;
    const cols = n_a + n_x;
    const out: Record<string, NDArray> = {};
    ['f', 'i', 'c', 'o'].forEach((gate, k) => {
      out[`W${gate}`] = ndarray(this.params.W.slice(k * n_a * cols, (k + 1) * n_a * cols), [n_a, cols]);
      out[`b${gate}`] = ndarray(this.params.b.slice(k * n_a, (k + 1) * n_a), [n_a, 1]);
    });
    out.Wy = ndarray(this.params.Wy.slice(), [this.n_y, n_a]);
    out.by = ndarray(this.params.by.slice(), [this.n_y, 1]);
    return out;
  }
}
