/**
 * The backend contract: the kernels every backend implements, over flat time-major buffers.
 *
 * The public API (api.ts) validates and converts the caller's arrays, then makes exactly one
 * backend call per sequence. Time-indexed buffers are `[T][rows][m]` (see layout.ts); weights
 * are C-ordered; the LSTM's four gate weights are fused row-wise in the order f, i, c, o into
 * one `(4·n_a) × (n_a+n_x)` matrix acting on `[a_prev; x_t]`, its biases into one `4·n_a` vector.
 *
 * Inputs may arrive as a list of blocks that concatenate to the buffer (per-step cache arrays,
 * the four gate weights): a backend copies them once into wherever it computes, so the API
 * layer never builds an intermediate copy. Outputs are written into arrays the caller
 * provides, so one allocation can serve all outputs of a call.
 */

import { unfilledFloat64Array } from './unfilled.js';

export type BackendName = 'native' | 'wasm' | 'js';

/** A buffer, or consecutive blocks whose concatenation is the buffer. */
export type Blocks = Float64Array | readonly Float64Array[];

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
  W: Blocks;
  /** `4·n_a`: bf, bi, bc, bo. */
  b: Blocks;
  Wy: Float64Array;
  by: Float64Array;
}

export interface Backend {
  readonly name: BackendName;
  /** Threads one call may use (backends without threads leave it out: one). */
  threads?(): number;
  /** The most memory one call may take for its outputs; larger calls get ERR_RNN_SIZE. */
  readonly maxCallBytes: number;
  /**
   * Called with the one fresh buffer holding all outputs of a call, before anything is written
   * to it (native: asks the OS for huge pages, so the first writes fault far less often).
   */
  prepareOutputs?(buffer: Float64Array): void;
  /** Softmax over axis 0 of a `(rows × cols)` matrix. */
  softmax(z: Float64Array, rows: number, cols: number, out: Float64Array): void;
  sigmoid(z: Float64Array, out: Float64Array): void;
  /** `out ← srcᵀ` for a `rows × cols` C-order `src`: the `(n, m, T)` ↔ `[T][n][m]` conversion. */
  transpose(src: Float64Array, rows: number, cols: number, out: Float64Array): void;
  /** `x` `[T][n_x][m]`, `a0` `(n_a, m)` → `a` `[T][n_a][m]`, `y` `[T][n_y][m]`. */
  rnnForward(
    d: Dims,
    x: Float64Array,
    a0: Float64Array,
    w: RnnWeights,
    out: { a: Float64Array; y: Float64Array },
  ): void;
  /** Per-step `a_next`, `a_prev`, `x` as the caches hold them; `da` `[T][n_a][m]`. */
  rnnBackward(
    d: Dims,
    da: Float64Array,
    aNext: Blocks,
    aPrev: Blocks,
    x: Blocks,
    Wax: Float64Array,
    Waa: Float64Array,
    out: { dx: Float64Array; da0: Float64Array; dWax: Float64Array; dWaa: Float64Array; dba: Float64Array },
  ): void;
  /** States, outputs and the activated gates `[T][4·n_a][m]` (f, i, c̃, o blocks). */
  lstmForward(
    d: Dims,
    x: Float64Array,
    a0: Float64Array,
    c0: Float64Array,
    w: LstmWeights,
    out: { a: Float64Array; c: Float64Array; y: Float64Array; gates: Float64Array },
  ): void;
  /**
   * Softmax cross-entropy through the output layer, for the whole sequence in one call.
   *
   * `y` `[T][n_y][m]` are the forward kernels' softmax outputs computed from the hidden
   * states `a` `[T][n_a][m]` and `Wy` `(n_y × n_a)`; `targets` `[T][m]` holds one class index
   * per step and example as an integer-valued float64, or `NO_TARGET` (-1) where there is
   * none (padding). With `dz_t = y_t − onehot(target)` in columns that have a target and 0
   * elsewhere, it writes `loss = [Σ −ln y_t[target], number of targets]`,
   * `dWy = Σ_t dz_t·a_tᵀ`, `dby = Σ_t Σ_columns dz_t` and `da_t = Wyᵀ·dz_t`: gradients of the
   * summed loss (divide by the count for the mean). `d.n_x` is ignored. Callers validate the
   * targets first; a backend that still meets an invalid one throws instead of guessing.
   */
  outputBackward(
    d: Dims,
    y: Float64Array,
    targets: Float64Array,
    a: Float64Array,
    Wy: Float64Array,
    out: { loss: Float64Array; dWy: Float64Array; dby: Float64Array; da: Float64Array },
  ): void;
  /** `dcLast` is the gradient flowing into the cell state after the last step. */
  lstmBackward(
    d: Dims,
    da: Float64Array,
    dcLast: Float64Array,
    cNext: Blocks,
    cPrev: Blocks,
    aPrev: Blocks,
    gates: Blocks,
    x: Blocks,
    W: Blocks,
    out: { dx: Float64Array; da0: Float64Array; dc0: Float64Array; dW: Float64Array; db: Float64Array },
  ): void;
}

/** The `targets` value of `outputBackward` that marks a step or example without a target. */
export const NO_TARGET = -1;

/** Copies `blocks` one after another into `dest` from `offset`. */
export function copyBlocks(blocks: Blocks, dest: Float64Array, offset = 0): void {
  if (blocks instanceof Float64Array) {
    dest.set(blocks, offset);
    return;
  }
  for (const block of blocks) {
    dest.set(block, offset);
    offset += block.length;
  }
}

export function blocksLength(blocks: Blocks): number {
  if (blocks instanceof Float64Array) return blocks.length;
  let n = 0;
  for (const block of blocks) n += block.length;
  return n;
}

/**
 * The blocks as one contiguous buffer: a view when they already lie one after another in one
 * buffer (as most step caches of a forward pass do), else a copy. Backends only read it.
 */
export function concatBlocks(blocks: Blocks): Float64Array {
  if (blocks instanceof Float64Array) return blocks;
  const joined = adjacentView(blocks);
  if (joined) return joined;
  const out = unfilledFloat64Array(blocksLength(blocks));
  copyBlocks(blocks, out);
  return out;
}

/** One view over `blocks` when each starts where the one before it ends, in the same buffer. */
function adjacentView(blocks: readonly Float64Array[]): Float64Array | null {
  if (blocks.length === 0) return null;
  const { buffer, byteOffset } = blocks[0];
  let end = byteOffset;
  for (const block of blocks) {
    if (block.buffer !== buffer || block.byteOffset !== end) return null;
    end += block.byteLength;
  }
  return new Float64Array(buffer, byteOffset, (end - byteOffset) / Float64Array.BYTES_PER_ELEMENT);
}
