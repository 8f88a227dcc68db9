/**
 * Conversion between the notebook's `(n, m, T_x)` layout and the time-major `[T_x][n][m]`
 * layout the kernels use: each time step becomes one contiguous `(n, m)` block, exactly the
 * notebook's per-step matrix, so caches can hold zero-copy views of it.
 */
import type { Backend } from './backend.js';
import { TRANSPOSE_IN_JS_BELOW } from './generated/abi.js';

/**
 * `out ← srcᵀ` for a `rows × cols` C-order `src`. Arrays shorter than `TRANSPOSE_IN_JS_BELOW`
 * are transposed here, where crossing into a backend would cost more than the copy (measured
 * by bench/layout/run.mjs); larger ones by the backend's `transpose` kernel (a strided copy
 * costs several times a plain copy in JS).
 */
function transpose(backend: Backend, src: Float64Array, rows: number, cols: number, out: Float64Array): void {
  if (src.length < TRANSPOSE_IN_JS_BELOW) transposeInto(src, rows, cols, out);
  else backend.run('transpose', { rows, cols }, { src }, { dst: out });
}

/** `(n, m, T)` C order → `[T][n][m]`, into `out`: the transpose of an `(n·m) × T` matrix. */
export function toTimeMajor(backend: Backend, data: Float64Array, n: number, m: number, T: number, out: Float64Array): Float64Array {
  transpose(backend, data, n * m, T, out);
  return out;
}

/** `[T][n][m]` → `(n, m, T)` C order, into `out`. */
export function fromTimeMajor(backend: Backend, tm: Float64Array, n: number, m: number, T: number, out: Float64Array): Float64Array {
  transpose(backend, tm, T, n * m, out);
  return out;
}

/** Tiles of 16 × 16 keep the strided side of the copy within a few cache lines and pages. */
const TILE = 16;

/** `out ← srcᵀ` for a `rows × cols` C-order `src` (the js reference's `transpose` kernel). */
export function transposeInto(src: Float64Array, rows: number, cols: number, out: Float64Array): void {
  if (rows <= TILE || cols <= TILE) {
    // One side fits a tile: the plain loop is the tiled one, without its bookkeeping.
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < rows; r++) out[c * rows + r] = src[r * cols + c];
    }
    return;
  }
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let c = c0; c < c1; c++) {
        for (let r = r0; r < r1; r++) out[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

/** Step `t` of a `[T][rows][m]` buffer as a zero-copy view. */
export function stepView(tm: Float64Array, t: number, rows: number, m: number) {
  const block = rows * m;
  return { data: tm.subarray(t * block, (t + 1) * block), shape: [rows, m] };
}
