/**
 * The recurrent part of GRU models and of models with more than one layer: the layer stack of
 * ts/layers/stack.ts (the PyTorch-exact `layerForward` / `layerBackward` kernels, one call per
 * layer), under the model's softmax output layer.
 *
 * Parameters are PyTorch's state dict of `nn.RNN` / `nn.LSTM` / `nn.GRU` with `num_layers =
 * layers`: `weight_ih_l{k}` `(G·n_a, in_k)`, `weight_hh_l{k}` `(G·n_a, n_a)`, `bias_ih_l{k}` and
 * `bias_hh_l{k}` `(G·n_a)` (G = 1, 4, 3; gates i, f, g, o for the LSTM, r, z, n for the GRU;
 * in_0 = n_x, in_k = n_a), so they copy to and from PyTorch by name. The output layer keeps the
 * models' `Wy` `(n_y, n_a)`, `by` `(n_y, 1)`.
 *
 * The model's buffers are the notebook's `[T][rows][m]` (what `outputBackward` takes); the
 * layers' are PyTorch's `[T][m][features]`. The few conversions between them are copies of
 * O(T·m·(n_x + n_a)) elements, small beside the layers' products. The output layer's logits
 * are a loop here (no kernel computes `Wy·a + by` alone: the notebook kernels fuse it into their
 * forward pass) and its softmax the backends' `softmax` kernel; at the command line's default
 * sizes that loop is about 40 % of a one-layer GRU's forward pass on wasm, a fifth of a
 * training step.
 *
 * A `'float32'` model runs the float32 kernels (`layerForwardF32` / `layerBackwardF32`) on its
 * float32 parameters, with its inputs and initial states rounded to float32 here, as the float32
 * layers do; the output layer stays the float64 loop above, on those float32 values.
 */
import type { Backend } from '../backend.js';
import { rangeError, runtimeError } from '../errors.js';
import { CELL, gateCount, type CellCode } from '../layers/cells.js';
import { runLayers, type LayerWeights, type StackResult } from '../layers/stack.js';
import { roundToFloat32 } from '../layers/weights.js';
import { transposeInto } from '../layout.js';
import { ndarray, type NDArray } from '../ndarray.js';
import { allocateOutputs } from '../outputs.js';
import type { ParamSet } from './optimizers.js';
import type { Random } from './random.js';
import type { ForwardRun, ModelKind, Recurrence, RecurrenceDims, SequenceDims, State } from './sequence-model.js';

const CELLS: Record<ModelKind, CellCode> = { rnn: CELL.rnnTanh, lstm: CELL.lstm, gru: CELL.gru };
const CLASS_NAMES: Record<ModelKind, string> = { rnn: 'RNNModel', lstm: 'LSTMModel', gru: 'GRUModel' };

/** `[T][rows][cols]` → `[T][cols][rows]`, into `out`: each step's block transposed. */
function transposeSteps(src: Float64Array, T: number, rows: number, cols: number, out: Float64Array): Float64Array {
  const block = rows * cols;
  for (let t = 0; t < T; t++) {
    transposeInto(src.subarray(t * block, (t + 1) * block), rows, cols, out.subarray(t * block, (t + 1) * block));
  }
  return out;
}

export class LayerStackRecurrence implements Recurrence {
  readonly outputNames = ['Wy', 'by'] as const;
  private readonly cell: CellCode;
  private readonly gates: number;

  constructor(
    private readonly kind: ModelKind,
    private readonly dims: RecurrenceDims,
  ) {
    this.cell = CELLS[kind];
    this.gates = gateCount(this.cell);
  }

  /** The names of layer k's weights, in PyTorch's order. */
  private names(k: number) {
    return { w_ih: `weight_ih_l${k}`, w_hh: `weight_hh_l${k}`, b_ih: `bias_ih_l${k}`, b_hh: `bias_hh_l${k}` };
  }

  shapes(): Record<string, number[]> {
    const { n_x, n_a, layers } = this.dims;
    const rows = this.gates * n_a;
    const out: Record<string, number[]> = {};
    for (let k = 0; k < layers; k++) {
      const n = this.names(k);
      out[n.w_ih] = [rows, k === 0 ? n_x : n_a];
      out[n.w_hh] = [rows, n_a];
      out[n.b_ih] = [rows];
      out[n.b_hh] = [rows];
    }
    return out;
  }

  /** PyTorch's initialisation: every weight and bias uniform in ±1/√n_a. */
  initial(random: Random): ParamSet {
    const bound = 1 / Math.sqrt(this.dims.n_a);
    const out: ParamSet = {};
    for (const [name, shape] of Object.entries(this.shapes())) {
      out[name] = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => bound * (2 * random.uniform() - 1));
    }
    return out;
  }

  private weights(params: ParamSet): LayerWeights[] {
    return Array.from({ length: this.dims.layers }, (_, k) => {
      const n = this.names(k);
      return { w_ih: params[n.w_ih], w_hh: params[n.w_hh], b_ih: params[n.b_ih], b_hh: params[n.b_hh] };
    });
  }

  run(backend: Backend, d: SequenceDims, x: Float64Array, state: State, params: ParamSet, keep: boolean): ForwardRun {
    const { n_x, n_a, n_y, m, t: T } = d;
    const L = this.dims.layers;
    const what = `${CLASS_NAMES[this.kind]} forward`;
    const lstm = this.cell === CELL.lstm;
    const buf = allocateOutputs(backend, what, {
      x: T * m * n_x,
      h0: L * m * n_a,
      c0: lstm ? L * m * n_a : 0,
      a: T * n_a * m,
      logits: n_y * T * m,
      softmax: n_y * T * m,
      y: T * n_y * m,
      finalA: L * n_a * m,
      finalC: lstm ? L * n_a * m : 0,
    });
    // The model's (layers, n_a, m) states are the layers' [layers][m][n_a] transposed per layer.
    transposeSteps(state.a, L, n_a, m, buf.h0);
    if (lstm) transposeSteps(state.c!, L, n_a, m, buf.c0);
    transposeSteps(x, T, n_x, m, buf.x);
    const { dtype } = this.dims;
    if (dtype === 'float32') for (const b of [buf.x, buf.h0, buf.c0]) roundToFloat32(b);
    const result: StackResult = runLayers(
      { cell: this.cell, inputSize: n_x, hiddenSize: n_a, numLayers: L, bidirectional: false, dtype },
      this.weights(params),
      { x: buf.x, t: T, n: m, h0: buf.h0, c0: lstm ? buf.c0 : undefined, keep, what },
    );
    const out = result.output; // [T][m][n_a]
    const a = transposeSteps(out, T, m, n_a, buf.a);
    const y = this.outputLayer(backend, out, params, d, buf);
    const final: State = { a: transposeSteps(result.h, L, m, n_a, buf.finalA) };
    if (lstm) final.c = transposeSteps(result.c!, L, m, n_a, buf.finalC);
    const names = (k: number) => this.names(k);
    return {
      a,
      y,
      final,
      backward(da) {
        if (!result.backward) throw runtimeError('ERR_RNN_INTERNAL', `${what}: an inference-only pass has no backward`);
        const dOut = allocateOutputs(backend, `${what} (backward)`, { output: T * m * n_a }).output;
        const g = result.backward({ output: transposeSteps(da, T, n_a, m, dOut) });
        const grads: ParamSet = {};
        g.weights.forEach((w, k) => {
          const n = names(k);
          Object.assign(grads, { [n.w_ih]: w.w_ih, [n.w_hh]: w.w_hh, [n.b_ih]: w.b_ih, [n.b_hh]: w.b_hh });
        });
        return grads;
      },
    };
  }

  /**
   * `ŷ_t = softmax(Wy·a_t + by)` for every step: the logits `[n_y][T·m]` from the layers'
   * `[T·m][n_a]` output (both operands' rows contiguous), one `softmax` call over them, then
   * rearranged into the model's `[T][n_y][m]`.
   */
  private outputLayer(
    backend: Backend,
    out: Float64Array,
    params: ParamSet,
    d: SequenceDims,
    buf: { logits: Float64Array; softmax: Float64Array; y: Float64Array },
  ): Float64Array {
    const { n_a, n_y, m, t: T } = d;
    const { Wy, by } = params;
    const cols = T * m;
    const { logits, softmax, y } = buf;
    // Four rows of Wy at a time share each load of a hidden state (1.7× faster in V8 than one
    // row); every logit is still one sum in the order i = 0, 1, ..., so the result is the same.
    let k = 0;
    for (; k + 4 <= n_y; k += 4) {
      const w0 = k * n_a;
      const w1 = w0 + n_a;
      const w2 = w1 + n_a;
      const w3 = w2 + n_a;
      for (let r = 0; r < cols; r++) {
        const h = r * n_a;
        let s0 = by[k];
        let s1 = by[k + 1];
        let s2 = by[k + 2];
        let s3 = by[k + 3];
        for (let i = 0; i < n_a; i++) {
          const v = out[h + i];
          s0 += Wy[w0 + i] * v;
          s1 += Wy[w1 + i] * v;
          s2 += Wy[w2 + i] * v;
          s3 += Wy[w3 + i] * v;
        }
        logits[k * cols + r] = s0;
        logits[(k + 1) * cols + r] = s1;
        logits[(k + 2) * cols + r] = s2;
        logits[(k + 3) * cols + r] = s3;
      }
    }
    for (; k < n_y; k++) {
      const w = k * n_a;
      for (let r = 0; r < cols; r++) {
        const h = r * n_a;
        let s = by[k];
        for (let i = 0; i < n_a; i++) s += Wy[w + i] * out[h + i];
        logits[k * cols + r] = s;
      }
    }
    backend.run('softmax', { rows: n_y, cols }, { z: logits }, { out: softmax });
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < n_y; k++) y.set(softmax.subarray(k * cols + t * m, k * cols + (t + 1) * m), (t * n_y + k) * m);
    }
    return y;
  }

  namedParameters(params: ParamSet): Record<string, NDArray> {
    const shapes = this.shapes();
    return Object.fromEntries(Object.keys(shapes).map((k) => [k, ndarray(params[k].slice(), shapes[k].slice())]));
  }

  notebookParameters(): Record<string, NDArray> {
    const { layers } = this.dims;
    throw rangeError(
      'ERR_RNN_VALUE',
      `notebookParameters() is for one-layer RNN and LSTM models (the notebook's); this ${layers}-layer ${this.kind} model ` +
        `has PyTorch's state-dict names: use namedParameters()`,
    );
  }
}
