/**
 * The recurrent part of one-layer `'float32'` RNN and LSTM models: the notebook's parameters
 * (names, shapes, initialisation, saved format) run on the layer stack's float32 kernels, since
 * the notebook kernels are float64 only.
 *
 * Each pass converts the notebook weights into the layers' (PyTorch's) and the layers' weight
 * gradients back; both are copies of O(parameters) elements, small beside the pass itself
 * except for one-step passes of few sequences (sampling), where they cost about as much as the
 * kernel. The cells are the same functions: the notebook RNN's `tanh(Wax·x + Waa·a + ba)` is
 * `nn.RNN` with `W_ih = Wax`, `W_hh = Waa`, `b_ih = ba`, `b_hh = 0`; the notebook LSTM's gates
 * f, i, c̃, o over `[a; x]` are `nn.LSTM`'s i, f, g, o with `W` split by columns into `W_hh` (the
 * first n_a) and `W_ih`, and `b` as `b_ih` (`b_hh = 0`). With a zero `b_hh`, the gradient of
 * `b_ih` is the notebook bias's.
 */
import type { Backend } from '../backend.js';
import type { NDArray } from '../ndarray.js';
import { LayerStackRecurrence } from './layer-recurrence.js';
import type { ParamSet } from './optimizers.js';
import type { Random } from './random.js';
import type { ForwardRun, Recurrence, RecurrenceDims, SequenceDims, State } from './sequence-model.js';

/** The notebook LSTM's gate (f, i, c̃, o) at each of PyTorch's gate positions (i, f, g, o); its own inverse. */
const NOTEBOOK_GATE = [1, 0, 2, 3];

export class NotebookOnLayers implements Recurrence {
  readonly outputNames: readonly [weight: string, bias: string];
  private readonly stack: LayerStackRecurrence;

  /** `notebook` gives the names, shapes and initial weights; the passes run on the layer stack. */
  constructor(
    private readonly kind: 'rnn' | 'lstm',
    private readonly dims: RecurrenceDims,
    private readonly notebook: Recurrence,
  ) {
    this.outputNames = notebook.outputNames;
    this.stack = new LayerStackRecurrence(kind, dims);
  }

  shapes(): Record<string, number[]> {
    return this.notebook.shapes();
  }

  initial(random: Random): ParamSet {
    return this.notebook.initial(random);
  }

  namedParameters(params: ParamSet): Record<string, NDArray> {
    return this.notebook.namedParameters(params);
  }

  notebookParameters(params: ParamSet): Record<string, NDArray> {
    return this.notebook.notebookParameters(params);
  }

  run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, params: ParamSet, keep: boolean): ForwardRun {
    const [w, b] = this.outputNames;
    const layer = this.kind === 'rnn' ? this.rnnWeights(params) : this.lstmWeights(params);
    const run = this.stack.run(backend, d, x, state, { ...layer, Wy: params[w], by: params[b] }, keep);
    const toNotebook = (g: ParamSet) => (this.kind === 'rnn' ? { Wax: g.weight_ih_l0, Waa: g.weight_hh_l0, ba: g.bias_ih_l0 } : this.lstmGradients(g));
    return { ...run, backward: (da) => toNotebook(run.backward(da)) };
  }

  private rnnWeights(p: ParamSet): ParamSet {
    return { weight_ih_l0: p.Wax, weight_hh_l0: p.Waa, bias_ih_l0: p.ba, bias_hh_l0: new Float64Array(this.dims.n_a) };
  }

  private lstmWeights(p: ParamSet): ParamSet {
    const { n_x, n_a } = this.dims;
    const cols = n_a + n_x;
    const w_ih = new Float64Array(4 * n_a * n_x);
    const w_hh = new Float64Array(4 * n_a * n_a);
    const b_ih = new Float64Array(4 * n_a);
    for (let q = 0; q < 4; q++) {
      for (let r = 0; r < n_a; r++) {
        const row = q * n_a + r;
        const src = NOTEBOOK_GATE[q] * n_a + r;
        w_hh.set(p.W.subarray(src * cols, src * cols + n_a), row * n_a);
        w_ih.set(p.W.subarray(src * cols + n_a, (src + 1) * cols), row * n_x);
        b_ih[row] = p.b[src];
      }
    }
    return { weight_ih_l0: w_ih, weight_hh_l0: w_hh, bias_ih_l0: b_ih, bias_hh_l0: new Float64Array(4 * n_a) };
  }

  /** The layer's weight gradients as the notebook LSTM's `W`, `b` (the inverse of `lstmWeights`). */
  private lstmGradients(g: ParamSet): ParamSet {
    const { n_x, n_a } = this.dims;
    const cols = n_a + n_x;
    const W = new Float64Array(4 * n_a * cols);
    const b = new Float64Array(4 * n_a);
    for (let q = 0; q < 4; q++) {
      for (let r = 0; r < n_a; r++) {
        const row = q * n_a + r;
        const dst = NOTEBOOK_GATE[q] * n_a + r;
        W.set(g.weight_hh_l0.subarray(row * n_a, (row + 1) * n_a), dst * cols);
        W.set(g.weight_ih_l0.subarray(row * n_x, (row + 1) * n_x), dst * cols + n_a);
        b[dst] = g.bias_ih_l0[row];
      }
    }
    return { W, b };
  }
}
