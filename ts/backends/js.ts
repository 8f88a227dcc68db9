/**
 * The plain TypeScript reference backend: the notebook's formulas as straightforward loops,
 * one time step at a time. It is the oracle the fast backends are tested against, so it
 * favours being obviously right over being fast.
 */
import { concatBlocks, NO_TARGET, type Backend, type LstmWeights, type RnnWeights } from '../backend.js';
import { rangeError } from '../errors.js';
import { transposeInto } from '../layout.js';

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

function softmax(z: Float64Array, rows: number, cols: number, out: Float64Array): void {
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

export const jsBackend: Backend = {
  name: 'js',
  maxCallBytes: Infinity,

  softmax,

  sigmoid(z, out) {
    for (let i = 0; i < z.length; i++) out[i] = sigmoidOf(z[i]);
  },

  transpose: transposeInto,

  rnnForward({ n_x, n_a, n_y, m, T }, x, a0, w: RnnWeights, { a, y }) {
    a.fill(0);
    let aPrev = a0;
    for (let t = 0; t < T; t++) {
      const aNext = step(a, t, n_a, m);
      addProduct(aNext, w.Wax, n_x, 0, n_a, n_x, step(x, t, n_x, m), m);
      addProduct(aNext, w.Waa, n_a, 0, n_a, n_a, aPrev, m);
      addBias(aNext, w.ba, n_a, m);
      for (let i = 0; i < aNext.length; i++) aNext[i] = Math.tanh(aNext[i]);
      const logits = new Float64Array(n_y * m);
      addProduct(logits, w.Wya, n_a, 0, n_y, n_a, aNext, m);
      addBias(logits, w.by, n_y, m);
      softmax(logits, n_y, m, step(y, t, n_y, m));
      aPrev = aNext;
    }
  },

  rnnBackward({ n_x, n_a, m, T }, da, aNextBlocks, aPrevBlocks, xBlocks, Wax, Waa, out) {
    const [aNext, aPrev, x] = [aNextBlocks, aPrevBlocks, xBlocks].map(concatBlocks);
    const { dx, dWax, dWaa, dba } = out;
    for (const buf of [dx, dWax, dWaa, dba]) buf.fill(0);
    let daPrev = new Float64Array(n_a * m);
    for (let t = T - 1; t >= 0; t--) {
      const daNext = step(da, t, n_a, m);
      const a = step(aNext, t, n_a, m);
      const dtanh = new Float64Array(n_a * m);
      for (let i = 0; i < dtanh.length; i++) dtanh[i] = (daNext[i] + daPrev[i]) * (1 - a[i] * a[i]);
      addTransposedProduct(step(dx, t, n_x, m), Wax, n_x, 0, n_x, n_a, dtanh, m);
      addOuterProducts(dWax, n_x, 0, dtanh, n_a, step(x, t, n_x, m), n_x, m);
      daPrev = new Float64Array(n_a * m);
      addTransposedProduct(daPrev, Waa, n_a, 0, n_a, n_a, dtanh, m);
      addOuterProducts(dWaa, n_a, 0, dtanh, n_a, step(aPrev, t, n_a, m), n_a, m);
      addRowSums(dba, dtanh, n_a, m);
    }
    out.da0.set(daPrev);
  },

  outputBackward({ n_a, n_y, m, T }, y, targets, a, Wy, out) {
    const { loss, dWy, dby, da } = out;
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
        for (let i = 0; i < n_y; i++) dz[i * m + j] = yt[i * m + j];
        dz[k * m + j] -= 1;
        loss[0] -= Math.log(yt[k * m + j]);
        loss[1] += 1;
      }
      addTransposedProduct(step(da, t, n_a, m), Wy, n_a, 0, n_a, n_y, dz, m);
      addOuterProducts(dWy, n_a, 0, dz, n_y, step(a, t, n_a, m), n_a, m);
      addRowSums(dby, dz, n_y, m);
    }
  },

  lstmForward({ n_x, n_a, n_y, m, T }, x, a0, c0, w: LstmWeights, { a, c, y, gates }) {
    const [W, b] = [w.W, w.b].map(concatBlocks);
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
      for (let i = 0; i < n_a * m; i++) {
        ft[i] = sigmoidOf(ft[i]);
        it[i] = sigmoidOf(it[i]);
        cct[i] = Math.tanh(cct[i]);
        ot[i] = sigmoidOf(ot[i]);
        cNext[i] = ft[i] * cPrev[i] + it[i] * cct[i];
        aNext[i] = ot[i] * Math.tanh(cNext[i]);
      }
      const logits = new Float64Array(n_y * m);
      addProduct(logits, w.Wy, n_a, 0, n_y, n_a, aNext, m);
      addBias(logits, w.by, n_y, m);
      softmax(logits, n_y, m, step(y, t, n_y, m));
      aPrev = aNext;
      cPrev = cNext;
    }
  },

  lstmBackward({ n_x, n_a, m, T }, da, dcLast, cNextBlocks, cPrevBlocks, aPrevBlocks, gateBlocksIn, xBlocks, WBlocks, out) {
    const [cNext, cPrev, aPrev, gates, x, W] = [cNextBlocks, cPrevBlocks, aPrevBlocks, gateBlocksIn, xBlocks, WBlocks].map(
      concatBlocks,
    );
    const cols = n_a + n_x;
    const { dx, dW, db } = out;
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
      for (let i = 0; i < n_a * m; i++) {
        const daTotal = daNext[i] + daCarry[i];
        const tc = Math.tanh(cN[i]);
        const dcTotal = dcCarry[i] + daTotal * ot[i] * (1 - tc * tc);
        dot[i] = daTotal * tc * ot[i] * (1 - ot[i]);
        dcct[i] = dcTotal * it[i] * (1 - cct[i] * cct[i]);
        dit[i] = dcTotal * cct[i] * it[i] * (1 - it[i]);
        dft[i] = dcTotal * cP[i] * ft[i] * (1 - ft[i]);
        dcPrev[i] = dcTotal * ft[i];
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
};
