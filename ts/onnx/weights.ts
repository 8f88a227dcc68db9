/**
 * ONNX's recurrent weights in the layer kernels' layout. ONNX keeps every direction of an
 * operator in one tensor — W `[num_directions, G·H, input_size]`, R `[num_directions, G·H, H]`,
 * B `[num_directions, 2·G·H]` (Wb then Rb), P `[num_directions, 3·H]` — with its own gate orders
 * (LSTM i, o, f, c; GRU z, r, h), while the kernels take one direction at a time in PyTorch's
 * gate order (LSTM i, f, g, o; GRU r, z, n). Only rows move: each gate's block of H rows is
 * copied whole.
 *
 * The caller has checked the sizes (the operators and the ONNX file reader both do).
 */
import type { LayerWeights } from '../layers/stack.js';

export type OnnxRecurrentOp = 'LSTM' | 'GRU' | 'RNN';

/** For each kernel gate, the ONNX gate whose rows it takes. */
const GATE_ORDER: Readonly<Record<OnnxRecurrentOp, readonly number[]>> = {
  // kernel i, f, g, o ← ONNX i (0), f (2), c (3), o (1)
  LSTM: [0, 2, 3, 1],
  // kernel r, z, n ← ONNX r (1), z (0), h (2)
  GRU: [1, 0, 2],
  RNN: [0],
};

/** Gates G of an ONNX recurrent operator. */
export function onnxGateCount(op: OnnxRecurrentOp): number {
  return GATE_ORDER[op].length;
}

/**
 * `G·H` rows of `cols` values starting at row `first` of `src`, with the gate blocks permuted
 * into kernel order.
 */
function permuteRows(src: ArrayLike<number>, order: readonly number[], H: number, cols: number, first: number): Float64Array {
  const out = new Float64Array(order.length * H * cols);
  const block = H * cols;
  for (let k = 0; k < order.length; k++) {
    const from = (first + order[k] * H) * cols;
    for (let e = 0; e < block; e++) out[k * block + e] = src[from + e];
  }
  return out;
}

/**
 * Direction `dir`'s weights of an ONNX LSTM/GRU/RNN node as the layer kernels take them.
 *
 * `W`, `R` and `B` are the whole tensors, flat in C order (`W` `[num_dir, G·hidden, inputSize]`,
 * `R` `[num_dir, G·hidden, hidden]`, `B` `[num_dir, 2·G·hidden]` or undefined for zeros).
 * Returns `w_ih` `(G·H) × inputSize`, `w_hh` `(G·H) × H`, `b_ih` (Wb), `b_hh` (Rb), PyTorch's
 * gate order.
 */
export function onnxToLayerWeights(
  op: OnnxRecurrentOp,
  W: ArrayLike<number>,
  R: ArrayLike<number>,
  B: ArrayLike<number> | undefined,
  hidden: number,
  dir: number,
  inputSize: number,
): LayerWeights {
  const order = GATE_ORDER[op];
  const GH = order.length * hidden;
  return {
    w_ih: permuteRows(W, order, hidden, inputSize, dir * GH),
    w_hh: permuteRows(R, order, hidden, hidden, dir * GH),
    // B's row for a direction is [Wb (G·H) | Rb (G·H)]: two blocks of G gates of one value each.
    b_ih: B === undefined ? new Float64Array(GH) : permuteRows(B, order, hidden, 1, dir * 2 * GH),
    b_hh: B === undefined ? new Float64Array(GH) : permuteRows(B, order, hidden, 1, dir * 2 * GH + GH),
  };
}

/**
 * Direction `dir`'s peepholes of an ONNX LSTM (`P` `[num_dir, 3·hidden]` flat, gates i, o, f) as
 * the kernels' `p` input: `[3][hidden]` in the order i, f, o.
 */
export function onnxPeepholes(P: ArrayLike<number>, hidden: number, dir: number): Float64Array {
  // kernel i, f, o ← ONNX i (0), f (2), o (1)
  return permuteRows(P, [0, 2, 1], hidden, 1, dir * 3 * hidden);
}
