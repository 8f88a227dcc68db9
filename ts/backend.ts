/**
 * The backend contract: the kernels every backend implements, over flat time-major buffers.
 *
 * The public API (api.ts) validates and converts the caller's arrays, then makes exactly one
 * backend call per sequence. Time-indexed buffers are `[T][rows][m]` (see layout.ts); weights
 * are C-ordered; the LSTM's four gate weights are fused row-wise in the order f, i, c, o into
 * one `(4·n_a) × (n_a+n_x)` matrix acting on `[a_prev; x_t]`, its biases into one `4·n_a` vector.
 */

export type BackendName = 'native' | 'wasm' | 'js';

export interface Dims {
  n_x: number;
  n_a: number;
  n_y: number;
  m: number;
  T: number;
}

export interface RnnWeights {
  Wax: Float64Array;
  Waa: Float64Array;
  ba: Float64Array;
  Wya: Float64Array;
  by: Float64Array;
}

export interface LstmWeights {
  /** `(4·n_a) × (n_a+n_x)`: Wf, Wi, Wc, Wo stacked. */
  W: Float64Array;
  /** `4·n_a`: bf, bi, bc, bo. */
  b: Float64Array;
  Wy: Float64Array;
  by: Float64Array;
}

export interface Backend {
  readonly name: BackendName;
  /** Softmax over axis 0 of a `(rows × cols)` matrix. */
  softmax(z: Float64Array, rows: number, cols: number): Float64Array;
  sigmoid(z: Float64Array): Float64Array;
  /** `x` `[T][n_x][m]`, `a0` `(n_a, m)` → `a` `[T][n_a][m]`, `y` `[T][n_y][m]`. */
  rnnForward(d: Dims, x: Float64Array, a0: Float64Array, w: RnnWeights): { a: Float64Array; y: Float64Array };
  /** Per-step `a_next`, `a_prev`, `x` as the caches hold them; `da` `[T][n_a][m]`. */
  rnnBackward(
    d: Dims,
    da: Float64Array,
    aNext: Float64Array,
    aPrev: Float64Array,
    x: Float64Array,
    Wax: Float64Array,
    Waa: Float64Array,
  ): { dx: Float64Array; da0: Float64Array; dWax: Float64Array; dWaa: Float64Array; dba: Float64Array };
  /** Returns states, outputs and the activated gates `[T][4·n_a][m]` (f, i, c̃, o blocks). */
  lstmForward(
    d: Dims,
    x: Float64Array,
    a0: Float64Array,
    c0: Float64Array,
    w: LstmWeights,
  ): { a: Float64Array; c: Float64Array; y: Float64Array; gates: Float64Array };
  /** `dcLast` is the gradient flowing into the cell state after the last step. */
  lstmBackward(
    d: Dims,
    da: Float64Array,
    dcLast: Float64Array,
    cNext: Float64Array,
    cPrev: Float64Array,
    aPrev: Float64Array,
    gates: Float64Array,
    x: Float64Array,
    W: Float64Array,
  ): { dx: Float64Array; da0: Float64Array; dc0: Float64Array; dW: Float64Array; db: Float64Array };
}
