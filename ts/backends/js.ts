/**
 * The plain TypeScript reference backend: the notebook's formulas as straightforward loops,
 * one time step at a time. It is the oracle the fast backends are tested against, so it
 * favours being obviously right over being fast: one function per kernel of `KERNELS`, over the
 * same named dimensions, inputs and outputs.
 */
import { concatBlocks, type Backend, type KernelDims, type KernelInputs, type KernelOutputs } from '../backend.js';
import { NO_TARGET, type KernelName } from '../generated/abi.js';
import { rangeError } from '../errors.js';
import { transposeInto } from '../layout.js';
import { layerBackward, layerForward } from './js-layers.js';

/**
 * out[i][j] += Σ_k A[i][k] · B[k][j] for an `(rows × inner)` block of A that starts at
 * `aCol` in a matrix with `aCols` columns, and `(inner × m)` B and `(rows × m)` out.
 */
function addProduct(
  out: Float64Array,
  A: Float64Array,
  aCols: number,
  aCol: number,
  rows: number,
  inner: number,
  B: Float64Array,
  m: number,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += A[i * aCols + aCol + k] * B[k * m + j];
      out[i * m + j] += sum;
    }
  }
}

/** out[i][j] += Σ_k A[k][aCol + i] · B[k][j]: Aᵀ times B, for a column block of A. */
function addTransposedProduct(
  out: Float64Array,
  A: Float64Array,
  aCols: number,
  aCol: number,
  rows: number,
  inner: number,
  B: Float64Array,
  m: number,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += A[k * aCols + aCol + i] * B[k * m + j];
      out[i * m + j] += sum;
    }
  }
}

/** dW[i][dwCol + k] += Σ_j G[i][j] · S[k][j]: accumulate G · Sᵀ into a column block of dW. */
function addOuterProducts(
  dW: Float64Array,
  dwCols: number,
  dwCol: number,
  G: Float64Array,
  rows: number,
  S: Float64Array,
  sRows: number,
  m: number,
): void {
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < sRows; k++) {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += G[i * m + j] * S[k * m + j];
      dW[i * dwCols + dwCol + k] += sum;
    }
  }
}

function addBias(out: Float64Array, bias: Float64Array, rows: number, m: number): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) out[i * m + j] += bias[i];
}

function addRowSums(db: Float64Array, G: Float64Array, rows: number, m: number): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) db[i] += G[i * m + j];
}

const sigmoidOf = (z: number) => 1 / (1 + Math.exp(-z));

function softmaxInto(z: Float64Array, rows: number, cols: number, out: Float64Array): void {
  for (let j = 0; j < cols; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) max = Math.max(max, z[i * cols + j]); // NaN propagates, as np.max
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      out[i * cols + j] = Math.exp(z[i * cols + j] - max);
      sum += out[i * cols + j];
    }
    for (let i = 0; i < rows; i++) out[i * cols + j] /= sum;
  }
}

/** Step `t` of a `[T][rows][m]` buffer. */
const step = (buf: Float64Array, t: number, rows: number, m: number) =>
  buf.subarray(t * rows * m, (t + 1) * rows * m);

/** The four `(n_a × m)` gate blocks f, i, c̃, o of a `(4·n_a × m)` step. */
const gateBlocks = (g: Float64Array, n_a: number, m: number) =>
  [0, 1, 2, 3].map((k) => g.subarray(k * n_a * m, (k + 1) * n_a * m));

/** The reference of one kernel. */
type Kernel<K extends KernelName> = (d: KernelDims<K>, i: KernelInputs<K>, o: KernelOutputs<K>) => void;

const KERNELS: { [K in KernelName]: Kernel<K> } = {
  softmax({ rows, cols }, { z }, { out }) {
    softmaxInto(concatBlocks(z), rows, cols, out);
  },

  sigmoid({ n }, i, { out }) {
    const z = concatBlocks(i.z);
    for (let k = 0; k < n; k++) out[k] = sigmoidOf(z[k]);
  },

  transpose({ rows, cols }, { src }, { dst }) {
    transposeInto(concatBlocks(src), rows, cols, dst);
  },

  rnnForward({ n_x, n_a, n_y, m, t: T }, i, { a, y }) {
    const [x, a0, Wax, Waa, ba, Wya, by] = [i.x, i.a0, i.wax, i.waa, i.ba, i.wya, i.by].map(concatBlocks);
    a.fill(0);
    let aPrev = a0;
    for (let t = 0; t < T; t++) {
      const aNext = step(a, t, n_a, m);
      addProduct(aNext, Wax, n_x, 0, n_a, n_x, step(x, t, n_x, m), m);
      addProduct(aNext, Waa, n_a, 0, n_a, n_a, aPrev, m);
      addBias(aNext, ba, n_a, m);
      for (let k = 0; k < aNext.length; k++) aNext[k] = Math.tanh(aNext[k]);
      const logits = new Float64Array(n_y * m);
      addProduct(logits, Wya, n_a, 0, n_y, n_a, aNext, m);
      addBias(logits, by, n_y, m);
      softmaxInto(logits, n_y, m, step(y, t, n_y, m));
      aPrev = aNext;
    }
  },

  rnnBackward({ n_x, n_a, m, t: T }, i, out) {
    const [da, aNext, aPrev, x, Wax, Waa] = [i.da, i.a_next, i.a_prev, i.x, i.wax, i.waa].map(concatBlocks);
    const { dx, dwax: dWax, dwaa: dWaa, dba } = out;
    for (const buf of [dx, dWax, dWaa, dba]) buf.fill(0);
    let daPrev = new Float64Array(n_a * m);
    for (let t = T - 1; t >= 0; t--) {
      const daNext = step(da, t, n_a, m);
      const a = step(aNext, t, n_a, m);
      const dtanh = new Float64Array(n_a * m);
      for (let k = 0; k < dtanh.length; k++) dtanh[k] = (daNext[k] + daPrev[k]) * (1 - a[k] * a[k]);
      addTransposedProduct(step(dx, t, n_x, m), Wax, n_x, 0, n_x, n_a, dtanh, m);
      addOuterProducts(dWax, n_x, 0, dtanh, n_a, step(x, t, n_x, m), n_x, m);
      daPrev = new Float64Array(n_a * m);
      addTransposedProduct(daPrev, Waa, n_a, 0, n_a, n_a, dtanh, m);
      addOuterProducts(dWaa, n_a, 0, dtanh, n_a, step(aPrev, t, n_a, m), n_a, m);
      addRowSums(dba, dtanh, n_a, m);
    }
    out.da0.set(daPrev);
  },

  outputBackward({ n_a, n_y, m, t: T }, i, out) {
    const [y, targets, a, Wy] = [i.y, i.targets, i.a, i.wy].map(concatBlocks);
    const { loss, dwy: dWy, dby, da } = out;
    for (const buf of [loss, dWy, dby, da]) buf.fill(0);
    for (let t = 0; t < T; t++) {
      const yt = step(y, t, n_y, m);
      const dz = new Float64Array(n_y * m);
      for (let j = 0; j < m; j++) {
        const k = targets[t * m + j];
        if (k === NO_TARGET) continue;
        if (!(Number.isInteger(k) && k >= 0 && k < n_y)) {
          throw rangeError('ERR_RNN_VALUE', `targets[${t * m + j}] = ${k} is neither ${NO_TARGET} nor a class index below ${n_y}`);
        }
        for (let r = 0; r < n_y; r++) dz[r * m + j] = yt[r * m + j];
        dz[k * m + j] -= 1;
        loss[0] -= Math.log(yt[k * m + j]);
        loss[1] += 1;
      }
      addTransposedProduct(step(da, t, n_a, m), Wy, n_a, 0, n_a, n_y, dz, m);
      addOuterProducts(dWy, n_a, 0, dz, n_y, step(a, t, n_a, m), n_a, m);
      addRowSums(dby, dz, n_y, m);
    }
  },

  lstmForward({ n_x, n_a, n_y, m, t: T }, i, { a, c, y, gates }) {
    const [x, a0, c0, W, b, Wy, by] = [i.x, i.a0, i.c0, i.w, i.b, i.wy, i.by].map(concatBlocks);
    const cols = n_a + n_x;
    gates.fill(0);
    let aPrev = a0;
    let cPrev = c0;
    for (let t = 0; t < T; t++) {
      const g = step(gates, t, 4 * n_a, m);
      addProduct(g, W, cols, 0, 4 * n_a, n_a, aPrev, m);
      addProduct(g, W, cols, n_a, 4 * n_a, n_x, step(x, t, n_x, m), m);
      addBias(g, b, 4 * n_a, m);
      const [ft, it, cct, ot] = gateBlocks(g, n_a, m);
      const cNext = step(c, t, n_a, m);
      const aNext = step(a, t, n_a, m);
      for (let k = 0; k < n_a * m; k++) {
        ft[k] = sigmoidOf(ft[k]);
        it[k] = sigmoidOf(it[k]);
        cct[k] = Math.tanh(cct[k]);
        ot[k] = sigmoidOf(ot[k]);
        cNext[k] = ft[k] * cPrev[k] + it[k] * cct[k];
        aNext[k] = ot[k] * Math.tanh(cNext[k]);
      }
      const logits = new Float64Array(n_y * m);
      addProduct(logits, Wy, n_a, 0, n_y, n_a, aNext, m);
      addBias(logits, by, n_y, m);
      softmaxInto(logits, n_y, m, step(y, t, n_y, m));
      aPrev = aNext;
      cPrev = cNext;
    }
  },

  lstmBackward({ n_x, n_a, m, t: T }, i, out) {
    const [da, dcLast, cNext, cPrev, aPrev, gates, x, W] = [i.da, i.dc_last, i.c_next, i.c_prev, i.a_prev, i.gates, i.x, i.w].map(
      concatBlocks,
    );
    const cols = n_a + n_x;
    const { dx, dw: dW, db } = out;
    for (const buf of [dx, dW, db]) buf.fill(0);
    let daCarry = new Float64Array(n_a * m);
    let dcCarry = Float64Array.from(dcLast);
    for (let t = T - 1; t >= 0; t--) {
      const [ft, it, cct, ot] = gateBlocks(step(gates, t, 4 * n_a, m), n_a, m);
      const daNext = step(da, t, n_a, m);
      const cN = step(cNext, t, n_a, m);
      const cP = step(cPrev, t, n_a, m);
      const dgates = new Float64Array(4 * n_a * m);
      const [dft, dit, dcct, dot] = gateBlocks(dgates, n_a, m);
      const dcPrev = new Float64Array(n_a * m);
      for (let k = 0; k < n_a * m; k++) {
        const daTotal = daNext[k] + daCarry[k];
        const tc = Math.tanh(cN[k]);
        const dcTotal = dcCarry[k] + daTotal * ot[k] * (1 - tc * tc);
        dot[k] = daTotal * tc * ot[k] * (1 - ot[k]);
        dcct[k] = dcTotal * it[k] * (1 - cct[k] * cct[k]);
        dit[k] = dcTotal * cct[k] * it[k] * (1 - it[k]);
        dft[k] = dcTotal * cP[k] * ft[k] * (1 - ft[k]);
        dcPrev[k] = dcTotal * ft[k];
      }
      daCarry = new Float64Array(n_a * m);
      addTransposedProduct(daCarry, W, cols, 0, n_a, 4 * n_a, dgates, m);
      addTransposedProduct(step(dx, t, n_x, m), W, cols, n_a, n_x, 4 * n_a, dgates, m);
      addOuterProducts(dW, cols, 0, dgates, 4 * n_a, step(aPrev, t, n_a, m), n_a, m);
      addOuterProducts(dW, cols, n_a, dgates, 4 * n_a, step(x, t, n_x, m), n_x, m);
      addRowSums(db, dgates, 4 * n_a, m);
      dcCarry = dcPrev;
    }
    out.da0.set(daCarry);
    out.dc0.set(dcCarry);
  },

  layerForward,
  layerBackward,
  // The reference computes the float32 kernels' requests in float64: the oracle the float32
  // results are checked against (the others differ from it by float32 rounding only).
  layerForwardF32: layerForward,
  layerBackwardF32: layerBackward,
};

export const jsBackend: Backend = {
  name: 'js',
  maxCallBytes: Infinity,
  run(kernel, dims, inputs, outputs) {
    (KERNELS[kernel] as Kernel<typeof kernel>)(dims, inputs, outputs);
  },
};
