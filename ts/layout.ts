/**
 * Conversion between the notebook's `(n, m, T_x)` layout and the time-major `[T_x][n][m]`
 * layout the kernels use: each time step becomes one contiguous `(n, m)` block, exactly the
 * notebook's per-step matrix, so caches can hold zero-copy views of it.
 */

/** `(n, m, T)` C order → `[T][n][m]`, into `out`. */
export function toTimeMajor(data: Float64Array, n: number, m: number, T: number, out: Float64Array): Float64Array {
  const block = n * m;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const from = (i * m + j) * T;
      const to = i * m + j;
      for (let t = 0; t < T; t++) out[t * block + to] = data[from + t];
    }
  }
  return out;
}

/** `[T][n][m]` → `(n, m, T)` C order, into `out`. */
export function fromTimeMajor(tm: Float64Array, n: number, m: number, T: number, out: Float64Array): Float64Array {
  const block = n * m;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const to = (i * m + j) * T;
      const from = i * m + j;
      for (let t = 0; t < T; t++) out[to + t] = tm[t * block + from];
    }
  }
  return out;
}

/** Step `t` of a `[T][rows][m]` buffer as a zero-copy view. */
export function stepView(tm: Float64Array, t: number, rows: number, m: number) {
  const block = rows * m;
  return { data: tm.subarray(t * block, (t + 1) * block), shape: [rows, m] };
}
