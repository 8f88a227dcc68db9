/**
 * Workload shapes, FLOP counts, time budgets and deterministic inputs shared by every system.
 */

/** Named workloads: (n_x, n_a, m, T_x) from the benchmark spec, n_y small. */
export const WORKLOADS = {
  S: { name: 'S', n_x: 3, n_a: 5, n_y: 2, m: 10, T: 4 },
  M: { name: 'M', n_x: 64, n_a: 128, n_y: 10, m: 32, T: 50 },
  L: { name: 'L', n_x: 256, n_a: 512, n_y: 10, m: 64, T: 100 },
};

export const CELLS = ['rnn', 'lstm'];
export const OPS = ['forward', 'train'];

/**
 * FLOPs of one call. Forward counts the gate products only: LSTM `2·T·m·4·n_a·(n_a+n_x)`,
 * RNN `2·T·m·n_a·(n_a+n_x)`; a training step (forward + backward) counts as 3× forward.
 */
export function flops({ n_x, n_a, m, T }, cell, op) {
  const gates = cell === 'lstm' ? 4 : 1;
  const forward = 2 * T * m * gates * n_a * (n_a + n_x);
  return op === 'train' ? 3 * forward : forward;
}

/**
 * Per-workload time budgets (ms). `time` is tinybench's minimum measuring time, `minIters` its
 * minimum sample count; `capMs` bounds one task: a task whose single call takes longer than
 * `capMs / minIters` gets fewer samples (never fewer than one).
 */
export const BUDGETS = {
  full: {
    S: { time: 400, minIters: 20, warmupTime: 100, capMs: 1500 },
    M: { time: 800, minIters: 5, warmupTime: 100, capMs: 3000 },
    L: { time: 1500, minIters: 3, warmupTime: 0, capMs: 6000 },
  },
  quick: {
    S: { time: 150, minIters: 10, warmupTime: 50, capMs: 600 },
    M: { time: 300, minIters: 3, warmupTime: 50, capMs: 1500 },
    L: { time: 600, minIters: 2, warmupTime: 0, capMs: 3000 },
  },
};

/** Fixed budget for the slow js reference backend: a few calls at M, none at L. */
export const JS_REFERENCE_BUDGET = { time: 0, minIters: 2, warmupTime: 0, capMs: 2500 };

/** The T_x and m sweep at M's n_x / n_a / n_y (T_x at m = 32, then m at T_x = 50). */
export function sweepPoints(quick) {
  const base = WORKLOADS.M;
  const Ts = quick ? [10, 50, 100] : [10, 25, 50, 100];
  const ms = quick ? [8, 32, 64] : [8, 16, 32, 64];
  const points = [];
  for (const T of Ts) points.push({ ...base, name: `T=${T},m=32`, T, m: 32, axis: 'T' });
  for (const m of ms) if (m !== 32) points.push({ ...base, name: `T=50,m=${m}`, T: 50, m, axis: 'm' });
  return points;
}

/** Deterministic uniform values in [-scale, scale) from a 32-bit LCG. */
export function seededUniform(seed) {
  let s = seed >>> 0;
  return (length, scale = 1) => {
    const data = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
    }
    return data;
  };
}

const nd = (data, shape) => ({ data, shape });

/**
 * Inputs of one workload in the notebook's layout, float64, C order: `x (n_x, m, T)`,
 * `a0 (n_a, m)`, upstream gradient `da (n_a, m, T)`, and the RNN and LSTM parameter dicts.
 * Weights are uniform in ±1/√(n_a+n_x), inputs in ±1, so gates stay out of saturation.
 */
export function makeInputs(w, seed = 1234) {
  const { n_x, n_a, n_y, m, T } = w;
  const rand = seededUniform(seed);
  const ws = 1 / Math.sqrt(n_a + n_x);
  const rnn = {
    Wax: nd(rand(n_a * n_x, ws), [n_a, n_x]),
    Waa: nd(rand(n_a * n_a, ws), [n_a, n_a]),
    Wya: nd(rand(n_y * n_a, ws), [n_y, n_a]),
    ba: nd(rand(n_a, ws), [n_a, 1]),
    by: nd(rand(n_y, ws), [n_y, 1]),
  };
  const lstm = {};
  for (const g of ['f', 'i', 'c', 'o']) {
    lstm[`W${g}`] = nd(rand(n_a * (n_a + n_x), ws), [n_a, n_a + n_x]);
    lstm[`b${g}`] = nd(rand(n_a, ws), [n_a, 1]);
  }
  lstm.Wy = nd(rand(n_y * n_a, ws), [n_y, n_a]);
  lstm.by = nd(rand(n_y, ws), [n_y, 1]);
  return {
    x: nd(rand(n_x * m * T), [n_x, m, T]),
    a0: nd(rand(n_a * m), [n_a, m]),
    da: nd(rand(n_a * m * T), [n_a, m, T]),
    rnn,
    lstm,
  };
}

/** `(d0, d1, d2)` C-order array → its `(d2, d0, d1)` permutation (time-major), as Float32 or Float64. */
/** @param {Float32ArrayConstructor | Float64ArrayConstructor} [Type] */
export function timeMajor(arr, Type = Float64Array) {
  const [d0, d1, d2] = arr.shape;
  const out = new Type(arr.data.length);
  for (let i = 0; i < d0; i++)
    for (let j = 0; j < d1; j++)
      for (let t = 0; t < d2; t++) out[(t * d0 + i) * d1 + j] = arr.data[(i * d1 + j) * d2 + t];
  return out;
}

/** `(d0, d1, d2)` C-order array → `(d2, d1, d0)` (time, batch, feature: the PyTorch / ONNX layout). */
/** @param {Float32ArrayConstructor | Float64ArrayConstructor} [Type] */
export function timeBatchFeature(arr, Type = Float64Array) {
  const [d0, d1, d2] = arr.shape;
  const out = new Type(arr.data.length);
  for (let i = 0; i < d0; i++)
    for (let j = 0; j < d1; j++)
      for (let t = 0; t < d2; t++) out[(t * d1 + j) * d0 + i] = arr.data[(i * d1 + j) * d2 + t];
  return out;
}

/** 2-D C-order `(r, c)` → its transpose `(c, r)`. */
/** @param {Float32ArrayConstructor | Float64ArrayConstructor} [Type] */
export function transpose2(data, r, c, Type = Float64Array) {
  const out = new Type(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j];
  return out;
}

/** Time-major `(T, n, m)` → the notebook layout `(n, m, T)` (float64). */
export function fromTimeMajor(data, n, m, T) {
  const out = new Float64Array(n * m * T);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[(i * m + j) * T + t] = data[(t * n + i) * m + j];
  return out;
}

/** Time, batch, feature `(T, m, n)` → the notebook layout `(n, m, T)` (float64). */
export function fromTimeBatchFeature(data, n, m, T) {
  const out = new Float64Array(n * m * T);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) out[(i * m + j) * T + t] = data[(t * m + j) * n + i];
  return out;
}
