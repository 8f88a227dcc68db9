/**
 * The forward and backward passes of a stack of recurrent layers over flat time-major buffers:
 * what `LSTM`, `GRU` and `RNN` run once they have validated and converted their arguments, and
 * what a training model can build on directly.
 *
 * Each layer and direction is one backend call (`layerForward`, `layerBackward`); a
 * bidirectional layer's two outputs are interleaved into `[t][n][2H]` (forward direction in the
 * first H columns), which is the next layer's input and, for the last layer, the output.
 */
import { allocateOutputs } from '../outputs.js';
import { activeBackend } from '../registry.js';
import { CELL, gateCount, savedBlocks, type CellCode } from './cells.js';
import type { LayerDtype } from './options.js';

/**
 * The kernels of each element type. The float32 ones take the same buffers (Float64Arrays
 * holding float32 values) and keep the same `saved` layout; they compute every product in
 * float32.
 */
const LAYER_KERNELS = {
  float64: { forward: 'layerForward', backward: 'layerBackward' },
  float32: { forward: 'layerForwardF32', backward: 'layerBackwardF32' },
} as const;

/**
 * One layer and direction's weights, flat and C-ordered in PyTorch's layout and gate order:
 * `w_ih` `(G·H) × in`, `w_hh` `(G·H) × H`, `b_ih` and `b_hh` `G·H` (zeros for a layer without
 * bias). G = `gateCount(cell)`.
 */
export interface LayerWeights {
  w_ih: Float64Array;
  w_hh: Float64Array;
  b_ih: Float64Array;
  b_hh: Float64Array;
}

/** The shape of a stack. */
export interface StackSpec {
  /** The kernels' cell code (`CELL` in cells.ts). */
  cell: CellCode;
  /** Features of the first layer's input. */
  inputSize: number;
  /** H: features of every layer's state, per direction. */
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /**
   * The cell's functions as the kernels take them (`gatesArray` in activations.ts), the same for
   * every layer and direction; absent or empty: the cell's standard functions. A clip or
   * input_forget needs `keep` false (the backward pass cannot run through them).
   */
  gates?: Float64Array;
  /** The kernels' element type (`LAYER_KERNELS`); default `'float64'`. */
  dtype?: LayerDtype;
}

/** One pass's data; every buffer flat and time-major. */
export interface StackInput {
  /** `[t][n][inputSize]`. Read during the call and, when `keep`, again by `backward`: do not change it in between. */
  x: Float64Array;
  /** Steps T. */
  t: number;
  /** Sequences N (the batch). */
  n: number;
  /** N lengths, each an integer in 0..t (as numbers); absent: every sequence has t steps. */
  lengths?: Float64Array;
  /** `[numLayers·D][n][H]` (index `layer·D + direction`); absent: zeros. */
  h0?: Float64Array;
  /** The LSTM's initial cell state, as `h0`; ignored by other cells. */
  c0?: Float64Array;
  /** Keep what `backward` needs (false: inference only, no `backward`). */
  keep: boolean;
  /** Names the pass in size errors, e.g. `'LSTM.forward'`. */
  what?: string;
}

/** Upstream gradients, each shaped like the result it belongs to; absent: zero. */
export interface StackUpstream {
  /** `[t][n][D·H]`. */
  output?: Float64Array;
  /** `[numLayers·D][n][H]`. */
  h?: Float64Array;
  /** `[numLayers·D][n][H]` (LSTM). */
  c?: Float64Array;
}

/** Gradients of `sum(output·dOutput) + sum(h·dh) + sum(c·dc)`. */
export interface StackGradients {
  /** `[t][n][inputSize]`; 0 at padded steps. */
  x: Float64Array;
  /** `[numLayers·D][n][H]`. */
  h0: Float64Array;
  /** `[numLayers·D][n][H]` for the LSTM, else undefined. */
  c0: Float64Array | undefined;
  /** Per layer and direction (index `layer·D + direction`), like the weights (bias gradients even for zero biases). */
  weights: LayerWeights[];
}

export interface StackResult {
  /** `[t][n][D·H]`: the last layer's states, 0 at a sequence's padded steps. */
  output: Float64Array;
  /** `[numLayers·D][n][H]`: each sequence's state after its last step, per layer and direction. */
  h: Float64Array;
  /** The LSTM's cell states like `h`; undefined for other cells. */
  c: Float64Array | undefined;
  /**
   * The backward pass (only when `keep`): may be called any number of times; each call returns
   * fresh arrays and changes nothing that later calls read.
   */
  backward: ((upstream: StackUpstream) => StackGradients) | undefined;
}

/** `parts[d]` (`[t·n][H]` each) side by side into `[t·n][D·H]`. */
function interleave(parts: readonly Float64Array[], rows: number, H: number, out: Float64Array): Float64Array {
  const D = parts.length;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < D; d++) out.set(parts[d].subarray(r * H, (r + 1) * H), (r * D + d) * H);
  }
  return out;
}

/** Direction `d`'s H columns of `[t·n][D·H]`, into `[t·n][H]`. */
function columns(src: Float64Array, rows: number, H: number, D: number, d: number, out: Float64Array): Float64Array {
  for (let r = 0; r < rows; r++) out.set(src.subarray((r * D + d) * H, (r * D + d + 1) * H), r * H);
  return out;
}

/**
 * Runs the stack forward: `numLayers` layers, each one backend call per direction; returns the
 * outputs and, when `input.keep`, the backward pass as a closure over what forward kept.
 *
 * Nothing is validated here (callers check sizes and lengths first); `weights` has
 * `numLayers·D` entries, index `layer·D + direction`, and is read again by `backward`.
 */
export function runLayers(spec: StackSpec, weights: readonly LayerWeights[], input: StackInput): StackResult {
  const backend = activeBackend();
  const { cell, inputSize, hiddenSize: H, numLayers } = spec;
  const D = spec.bidirectional ? 2 : 1;
  const { x, t, n, keep } = input;
  const what = input.what ?? 'the recurrent layers';
  const lstm = cell === CELL.lstm;
  const block = n * H; // one layer and direction's state
  const rows = t * n;
  const S = savedBlocks(cell) * H;
  const lengths = input.lengths ?? new Float64Array(n).fill(t);
  const gates = spec.gates ?? new Float64Array(0);
  const kernels = LAYER_KERNELS[spec.dtype ?? 'float64'];
  const noPeepholes = new Float64Array(0);
  const h0 = input.h0 ?? new Float64Array(numLayers * D * block);
  const c0 = lstm ? (input.c0 ?? new Float64Array(numLayers * D * block)) : undefined;
  const state = (buf: Float64Array | undefined, k: number) => (buf ? buf.subarray(k * block, (k + 1) * block) : new Float64Array(0));

  const sizes: Record<string, number> = { output: rows * D * H, h: numLayers * D * block, c: lstm ? numLayers * D * block : 0 };
  for (let l = 0; l < numLayers; l++) {
    const last = l === numLayers - 1;
    for (let d = 0; d < D; d++) {
      if (D === 2 || !last) sizes[`out${l}.${d}`] = rows * H;
      if (keep) sizes[`saved${l}.${d}`] = rows * S;
    }
    if (D === 2 && !last) sizes[`in${l + 1}`] = rows * D * H;
  }
  const out = allocateOutputs(backend, what, sizes);

  const inputs: Float64Array[] = [x]; // each layer's input
  const saved: Float64Array[] = [];
  for (let l = 0; l < numLayers; l++) {
    const last = l === numLayers - 1;
    const nIn = l === 0 ? inputSize : D * H;
    const parts: Float64Array[] = [];
    for (let d = 0; d < D; d++) {
      const k = l * D + d;
      const w = weights[k];
      const output = D === 1 && last ? out.output : out[`out${l}.${d}`];
      const kept = keep ? out[`saved${l}.${d}`] : new Float64Array(0);
      // A batch of no sequences has nothing to compute (every output is empty).
      if (n > 0) {
        backend.run(
          kernels.forward,
          { cell, n_in: nIn, h: H, n, t, reverse: d, keep: keep ? 1 : 0 },
          {
            x: inputs[l],
            lengths,
            h0: state(h0, k),
            c0: state(c0, k),
            w_ih: w.w_ih,
            w_hh: w.w_hh,
            b_ih: w.b_ih,
            b_hh: w.b_hh,
            gates,
            p: noPeepholes,
          },
          { output, h_n: state(out.h, k), c_n: state(lstm ? out.c : undefined, k), saved: kept },
        );
      }
      parts.push(output);
      saved.push(kept);
    }
    if (!last) inputs.push(D === 1 ? parts[0] : interleave(parts, rows, H, out[`in${l + 1}`]));
    else if (D === 2) interleave(parts, rows, H, out.output);
  }

  const backward = (upstream: StackUpstream): StackGradients => {
    const G = gateCount(cell);
    const gsizes: Record<string, number> = { h0: numLayers * D * block, c0: lstm ? numLayers * D * block : 0, zeros: rows * H };
    for (let l = 0; l < numLayers; l++) {
      const nIn = l === 0 ? inputSize : D * H;
      gsizes[`dx${l}`] = rows * nIn;
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        if (d > 0) gsizes[`dx${l}.${d}`] = rows * nIn;
        if (D === 2) gsizes[`dout${l}.${d}`] = rows * H;
        gsizes[`dw_ih${k}`] = G * H * nIn;
        gsizes[`dw_hh${k}`] = G * H * H;
        gsizes[`db_ih${k}`] = G * H;
        gsizes[`db_hh${k}`] = G * H;
      }
    }
    const g = allocateOutputs(backend, `${what} (backward)`, gsizes);
    const zeros = g.zeros.fill(0);
    const zeroState = new Float64Array(block);
    const grads: LayerWeights[] = [];

    // The gradient reaching each direction's output of layer l: from upstream for the last
    // layer, else from the next layer's dx.
    let dOut: Float64Array | undefined = upstream.output;
    for (let l = numLayers - 1; l >= 0; l--) {
      const nIn = l === 0 ? inputSize : D * H;
      const dx = g[`dx${l}`];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const dOutput = dOut === undefined ? zeros : D === 1 ? dOut : columns(dOut, rows, H, D, d, g[`dout${l}.${d}`]);
        const w = weights[k];
        const gw: LayerWeights = {
          w_ih: g[`dw_ih${k}`],
          w_hh: g[`dw_hh${k}`],
          b_ih: g[`db_ih${k}`],
          b_hh: g[`db_hh${k}`],
        };
        if (n === 0) {
          // No sequences: no kernel call, and nothing reaches the weights.
          for (const grad of [gw.w_ih, gw.w_hh, gw.b_ih, gw.b_hh]) grad.fill(0);
        } else {
          backend.run(
            kernels.backward,
            { cell, n_in: nIn, h: H, n, t, reverse: d },
            {
              d_output: dOutput,
              dh_n: upstream.h ? state(upstream.h, k) : zeroState,
              dc_n: lstm ? (upstream.c ? state(upstream.c, k) : zeroState) : new Float64Array(0),
              saved: saved[k],
              x: inputs[l],
              lengths,
              h0: state(h0, k),
              c0: state(c0, k),
              w_ih: w.w_ih,
              w_hh: w.w_hh,
              gates,
            },
            {
              dx: d === 0 ? dx : g[`dx${l}.${d}`],
              dh0: state(g.h0, k),
              dc0: state(lstm ? g.c0 : undefined, k),
              dw_ih: gw.w_ih,
              dw_hh: gw.w_hh,
              db_ih: gw.b_ih,
              db_hh: gw.b_hh,
            },
          );
        }
        if (d > 0) {
          const other = g[`dx${l}.${d}`];
          for (let e = 0; e < dx.length; e++) dx[e] += other[e];
        }
        grads[k] = gw;
      }
      dOut = dx;
    }
    return { x: g.dx0, h0: g.h0, c0: lstm ? g.c0 : undefined, weights: grads };
  };

  return { output: out.output, h: out.h, c: lstm ? out.c : undefined, backward: keep ? backward : undefined };
}
