/**
 * The plain reference of the recurrent layer kernels `layer_forward` and `layer_backward`: one
 * layer in one direction over a time-major `[t][n][n_in]` batch of variable-length sequences,
 * with PyTorch's cells (RNN tanh/ReLU, LSTM, GRU in both reset conventions) and packed-sequence
 * semantics. It is the oracle the Rust kernels are tested against, so it favours being
 * obviously right over being fast: each sequence is walked one step at a time, each step
 * computed row by row from the cell's equations.
 *
 * Lengths: sequence j runs steps s = 0..L_j−1, reading time s (forward direction) or L_j−1−s
 * (reverse direction); `output` holds its state after each time it processed and 0 at times
 * ≥ L_j; `h_n` (`c_n`) its state after its last step (h0/c0 when L_j = 0).
 *
 * `saved` (what forward keeps for backward) is laid out in packed order, which the Rust kernels
 * share exactly: sequences ranked by length descending (ties by index); step s holds the
 * n_s = #{j : L_j > s} active ranks; its block of S·n_s values starts at S·off_s
 * (off_s = Σ_{u<s} n_u) and is laid out `[S][n_s]`; everything after S·Σ L_j is 0.
 *
 * `gates` (empty, or the 11 values of `gatesArray` in layers/activations.ts) and the LSTM's
 * peepholes `p` (forward only; empty or `[3][H]` in the order i, f, o) select the general cell:
 * ONNX's activation functions, clip and input_forget, as onnxruntime computes them. Backward
 * takes each function's derivative from the value `saved` holds, so it refuses a clip and
 * input_forget, and forward refuses `keep` with those or with peepholes.
 */
import { concatBlocks, type KernelDims, type KernelInputs, type KernelOutputs } from '../backend.js';
import { rangeError } from '../errors.js';
import { GATES_LENGTH } from '../layers/activations.js';
import { CELL, gateCount, isCellCode, savedBlocks, type CellCode } from '../layers/cells.js';

type ForwardDims = KernelDims<'layerForward'>;
type BackwardDims = KernelDims<'layerBackward'>;
type ForwardIn = KernelInputs<'layerForward'>;
type ForwardOut = KernelOutputs<'layerForward'>;
type BackwardIn = KernelInputs<'layerBackward'>;
type BackwardOut = KernelOutputs<'layerBackward'>;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A kernel rejects what the TypeScript layer should never pass (as the Rust kernels do). */
function flag(value: number, name: string): 0 | 1 {
  if (value !== 0 && value !== 1) throw rangeError('ERR_RNN_VALUE', `${name} must be 0 or 1; got ${value}`);
  return value;
}

function cellOf(value: number): CellCode {
  if (!isCellCode(value)) throw rangeError('ERR_RNN_VALUE', `cell must be an integer in 0..4; got ${value}`);
  return value;
}

function requireLength(buf: Float64Array, name: string, length: number): void {
  if (buf.length !== length) throw rangeError('ERR_RNN_SHAPE', `${name} must hold ${length} values; got ${buf.length}`);
}

/** The lengths, each an integer in 0..t. */
function readLengths(lengths: Float64Array, n: number, t: number): number[] {
  requireLength(lengths, 'lengths', n);
  return Array.from(lengths, (L, j) => {
    if (!(Number.isInteger(L) && L >= 0 && L <= t)) {
      throw rangeError('ERR_RNN_VALUE', `lengths[${j}] = ${L} is not an integer in 0..${t}`);
    }
    return L;
  });
}

/** Packed order: `order[r]` is the sequence of rank r, `rank[j]` the rank of sequence j, `active[s]` = n_s, `offset[s]` = off_s. */
function packedOrder(L: readonly number[], t: number) {
  const order = L.map((_, j) => j).sort((a, b) => L[b] - L[a] || a - b);
  const rank: number[] = [];
  order.forEach((j, r) => (rank[j] = r));
  const active: number[] = [];
  const offset: number[] = [];
  let off = 0;
  for (let s = 0; s < t; s++) {
    active.push(L.filter((len) => len > s).length);
    offset.push(off);
    off += active[s];
  }
  return { order, rank, active, offset };
}

/** One activation function: its code (`ACTIVATION` in layers/activations.ts), α and β. */
interface Act {
  code: number;
  alpha: number;
  beta: number;
}

/** `v` bounded to [lo, hi]; NaN stays NaN. */
const bound = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** ONNX's formula of `a` at x. */
function apply(a: Act, x: number): number {
  const { alpha, beta } = a;
  switch (a.code) {
    case 0:
      return sigmoid(x);
    case 1:
      return Math.tanh(x);
    case 2:
      return x < 0 ? 0 : x;
    case 3:
      return bound(alpha * x + beta, 0, 1);
    case 4:
      return alpha * x + beta;
    case 5:
      return x >= 0 ? x : alpha * x;
    case 6:
      return x > alpha ? x : 0;
    case 7:
      return alpha * Math.tanh(beta * x);
    case 8:
      return x >= 0 ? x : alpha * (Math.exp(x) - 1);
    case 9:
      return x / (1 + Math.abs(x));
    default:
      // log(1 + e^x), arranged so that e^x cannot overflow.
      return x > 0 ? x + Math.log(1 + Math.exp(-x)) : Math.log(1 + Math.exp(x));
  }
}

/** The derivative of `a` where its value is y (what `saved` holds). */
function derivative(a: Act, y: number): number {
  const { alpha, beta } = a;
  switch (a.code) {
    case 0:
      return y * (1 - y);
    case 1:
      return 1 - y * y;
    case 2:
      return y > 0 ? 1 : 0;
    case 3:
      return y > 0 && y < 1 ? alpha : 0;
    case 4:
      return alpha;
    case 5:
      return y > 0 ? 1 : alpha;
    case 6:
      return y !== 0 ? 1 : 0;
    case 7:
      return alpha === 0 ? 0 : alpha * beta * (1 - (y / alpha) ** 2);
    case 8:
      return y > 0 ? 1 : y + alpha;
    case 9:
      return (1 - Math.abs(y)) ** 2;
    default:
      // σ(x) = 1 − e^−y for y = softplus(x).
      return 1 - Math.exp(-y);
  }
}

/** A cell's functions: f the gates' (an RNN's state), g the candidate's, h the LSTM's h(c'). */
interface Fns {
  f: Act;
  g: Act;
  h: Act;
  /** 0: none. */
  clip: number;
  inputForget: boolean;
  /** `[3][H]` (i, f, o) or empty. */
  p: Float64Array;
}

const clipped = (fns: Fns, v: number) => (fns.clip > 0 ? bound(v, -fns.clip, fns.clip) : v);

function badGates(index: number, value: number, expected: string): never {
  throw rangeError('ERR_RNN_VALUE', `gates[${index}] must be ${expected}; got ${value}`);
}

/**
 * The functions `gates` and `p` give the cell, or undefined for the standard path (both empty);
 * validated as the Rust kernels do.
 */
function readFns(gates: Float64Array, p: Float64Array, cell: CellCode, h: number, backward: boolean): Fns | undefined {
  if (gates.length !== 0 && gates.length !== GATES_LENGTH) {
    throw rangeError('ERR_RNN_SHAPE', `gates must hold 0 or ${GATES_LENGTH} values; got ${gates.length}`);
  }
  const lstm = cell === CELL.lstm;
  if (p.length !== 0 && p.length !== (lstm ? 3 * h : 0)) {
    throw rangeError('ERR_RNN_SHAPE', `p must hold 0 or ${lstm ? 3 * h : 0} values; got ${p.length}`);
  }
  if (gates.length === 0) {
    if (p.length === 0) return undefined;
    const act = (code: number): Act => ({ code, alpha: 0, beta: 0 });
    return { f: act(0), g: act(1), h: act(1), clip: 0, inputForget: false, p };
  }
  const act = (at: number): Act => {
    const code = gates[at];
    if (!(Number.isInteger(code) && code >= 0 && code <= 10)) badGates(at, code, 'an activation code in 0..10');
    for (const k of [at + 1, at + 2]) if (!Number.isFinite(gates[k])) badGates(k, gates[k], 'finite');
    return { code, alpha: gates[at + 1], beta: gates[at + 2] };
  };
  const [f, g, hAct] = [act(0), act(3), act(6)];
  const clip = gates[9];
  if (!(clip >= 0)) badGates(9, clip, 'a clip ≥ 0');
  const flag = gates[10];
  if (!(flag === 0 || (flag === 1 && lstm))) badGates(10, flag, lstm ? '0 or 1' : '0 (input_forget is for the LSTM)');
  if (backward) {
    if (clip > 0) badGates(9, clip, '0 in the backward pass');
    if (flag === 1) badGates(10, flag, '0 in the backward pass');
    // LeakyRelu and Elu with α < 0 have values y > 0 at x < 0 too: no derivative from y.
    const used = cell === CELL.rnnTanh || cell === CELL.rnnRelu ? 1 : lstm ? 3 : 2;
    [f, g, hAct].slice(0, used).forEach((a, slot) => {
      if ((a.code === 5 || a.code === 8) && a.alpha < 0) badGates(3 * slot + 1, a.alpha, '≥ 0 for backward');
    });
  }
  return { f, g, h: hAct, clip, inputForget: flag === 1, p };
}

/** Row `row` of the `rows × cols` matrix W times v, plus b[row]. */
function rowDot(W: Float64Array, cols: number, row: number, v: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < cols; k++) sum += W[row * cols + k] * v[k];
  return sum + b[row];
}

/** One layer's weights and sizes. */
interface Layer {
  cell: CellCode;
  n_in: number;
  h: number;
  w_ih: Float64Array;
  w_hh: Float64Array;
  b_ih: Float64Array;
  b_hh: Float64Array;
}

/**
 * One step of the cell from input x and previous state hPrev (cPrev for the LSTM): the saved
 * feature blocks, each h long, in the order `saved` keeps them; the new h is the last block,
 * the LSTM's new c the one before it.
 */
function cellStep(p: Layer, x: Float64Array, hPrev: Float64Array, cPrev: Float64Array, fns?: Fns): Float64Array {
  const { cell, n_in, h, w_ih, w_hh, b_ih, b_hh } = p;
  const S = savedBlocks(cell);
  const f = new Float64Array(S * h);
  const ax = (row: number) => rowDot(w_ih, n_in, row, x, b_ih);
  const ah = (row: number) => rowDot(w_hh, h, row, hPrev, b_hh);
  if (fns) {
    generalStep(p, fns, ax, ah, hPrev, cPrev, f);
  } else if (cell === CELL.rnnTanh || cell === CELL.rnnRelu) {
    for (let k = 0; k < h; k++) {
      const a = ax(k) + ah(k);
      f[k] = cell === CELL.rnnTanh ? Math.tanh(a) : a < 0 ? 0 : a; // relu keeps NaN, as torch.relu does
    }
  } else if (cell === CELL.lstm) {
    for (let k = 0; k < h; k++) {
      const i = sigmoid(ax(k) + ah(k));
      const fg = sigmoid(ax(h + k) + ah(h + k));
      const g = Math.tanh(ax(2 * h + k) + ah(2 * h + k));
      const o = sigmoid(ax(3 * h + k) + ah(3 * h + k));
      const c = fg * cPrev[k] + i * g;
      f[k] = i;
      f[h + k] = fg;
      f[2 * h + k] = g;
      f[3 * h + k] = o;
      f[4 * h + k] = c;
      f[5 * h + k] = o * Math.tanh(c);
    }
  } else {
    for (let k = 0; k < h; k++) {
      f[k] = sigmoid(ax(k) + ah(k)); // r
      f[h + k] = sigmoid(ax(h + k) + ah(h + k)); // z
    }
    const rh = new Float64Array(h);
    for (let k = 0; k < h; k++) rh[k] = f[k] * hPrev[k];
    for (let k = 0; k < h; k++) {
      const r = f[k];
      const z = f[h + k];
      // hn: W_hn h + b_hn (PyTorch), or W_hn (r ∘ h) + b_hn (reset before the product)
      const hn = cell === CELL.gru ? ah(2 * h + k) : rowDot(w_hh, h, 2 * h + k, rh, b_hh);
      const n = Math.tanh(ax(2 * h + k) + (cell === CELL.gru ? r * hn : hn));
      f[2 * h + k] = n;
      f[3 * h + k] = hn;
      f[4 * h + k] = (1 - z) * n + z * hPrev[k];
    }
  }
  return f;
}

/** `cellStep` with the functions `fns`: the same saved blocks, in the same places. */
function generalStep(
  p: Layer,
  fns: Fns,
  ax: (row: number) => number,
  ah: (row: number) => number,
  hPrev: Float64Array,
  cPrev: Float64Array,
  f: Float64Array,
): void {
  const { cell, h, w_hh, b_hh } = p;
  const act = (a: Act, v: number) => apply(a, clipped(fns, v));
  // v + p ∘ c for peephole row b; without peepholes v itself (v + 0·c is NaN for an infinite c).
  const peep = (v: number, b: number, k: number, c: number) => (fns.p.length ? v + fns.p[b * h + k] * c : v);
  if (cell === CELL.rnnTanh || cell === CELL.rnnRelu) {
    for (let k = 0; k < h; k++) f[k] = act(fns.f, ax(k) + ah(k));
  } else if (cell === CELL.lstm) {
    for (let k = 0; k < h; k++) {
      const i = act(fns.f, peep(ax(k) + ah(k), 0, k, cPrev[k]));
      const fg = fns.inputForget ? 1 - i : act(fns.f, peep(ax(h + k) + ah(h + k), 1, k, cPrev[k]));
      const g = act(fns.g, ax(2 * h + k) + ah(2 * h + k));
      const c = fg * cPrev[k] + i * g;
      const o = act(fns.f, peep(ax(3 * h + k) + ah(3 * h + k), 2, k, c));
      for (const [b, v] of [i, fg, g, o, c, o * apply(fns.h, c)].entries()) f[b * h + k] = v;
    }
  } else {
    for (let k = 0; k < h; k++) {
      f[k] = act(fns.f, ax(k) + ah(k)); // r
      f[h + k] = act(fns.f, ax(h + k) + ah(h + k)); // z
    }
    const rh = new Float64Array(h);
    for (let k = 0; k < h; k++) rh[k] = f[k] * hPrev[k];
    for (let k = 0; k < h; k++) {
      const [r, z] = [f[k], f[h + k]];
      const hn = cell === CELL.gru ? ah(2 * h + k) : rowDot(w_hh, h, 2 * h + k, rh, b_hh);
      const n = act(fns.g, ax(2 * h + k) + (cell === CELL.gru ? r * hn : hn));
      f[2 * h + k] = n;
      f[3 * h + k] = hn;
      f[4 * h + k] = (1 - z) * n + z * hPrev[k];
    }
  }
}

/** Sequence j's (h-long) row of an `[n][h]` buffer, or of step `time` of a `[t][n][h]` buffer. */
const row = (buf: Float64Array, index: number, width: number) => buf.subarray(index * width, (index + 1) * width);

export function layerForward(d: ForwardDims, i: ForwardIn, out: ForwardOut): void {
  const cell = cellOf(d.cell);
  const { n_in, h, n, t } = d;
  const reverse = flag(d.reverse, 'reverse');
  const keep = flag(d.keep, 'keep');
  const [x, lengths, h0, c0, w_ih, w_hh, b_ih, b_hh, gates, p] = [
    i.x,
    i.lengths,
    i.h0,
    i.c0,
    i.w_ih,
    i.w_hh,
    i.b_ih,
    i.b_hh,
    i.gates,
    i.p,
  ].map(concatBlocks);
  const G = gateCount(cell);
  const S = savedBlocks(cell) * h;
  const lstm = cell === CELL.lstm;
  requireLength(x, 'x', t * n * n_in);
  requireLength(h0, 'h0', n * h);
  requireLength(c0, 'c0', lstm ? n * h : 0);
  requireLength(w_ih, 'w_ih', G * h * n_in);
  requireLength(w_hh, 'w_hh', G * h * h);
  requireLength(b_ih, 'b_ih', G * h);
  requireLength(b_hh, 'b_hh', G * h);
  requireLength(out.output, 'output', t * n * h);
  requireLength(out.h_n, 'h_n', n * h);
  requireLength(out.c_n, 'c_n', lstm ? n * h : 0);
  requireLength(out.saved, 'saved', keep ? t * n * S : 0);
  const fns = readFns(gates, p, cell, h, false);
  if (keep && fns && (fns.p.length > 0 || fns.clip > 0 || fns.inputForget)) {
    throw rangeError('ERR_RNN_VALUE', 'keep must be 0 with peepholes, a clip or input_forget (backward cannot run from saved)');
  }
  const L = readLengths(lengths, n, t);
  const { rank, active, offset } = packedOrder(L, t);
  const layer: Layer = { cell, n_in, h, w_ih, w_hh, b_ih, b_hh };

  out.output.fill(0);
  out.saved.fill(0);
  for (let j = 0; j < n; j++) {
    let hPrev = row(h0, j, h);
    let cPrev = lstm ? row(c0, j, h) : new Float64Array(0);
    for (let s = 0; s < L[j]; s++) {
      const time = reverse ? L[j] - 1 - s : s;
      const f = cellStep(layer, row(x, time * n + j, n_in), hPrev, cPrev, fns);
      hPrev = f.subarray(S - h);
      if (lstm) cPrev = f.subarray(4 * h, 5 * h);
      row(out.output, time * n + j, h).set(hPrev);
      if (keep) {
        const base = S * offset[s];
        for (let k = 0; k < S; k++) out.saved[base + k * active[s] + rank[j]] = f[k];
      }
    }
    row(out.h_n, j, h).set(hPrev);
    if (lstm) row(out.c_n, j, h).set(cPrev);
  }
}

export function layerBackward(d: BackwardDims, i: BackwardIn, out: BackwardOut): void {
  const cell = cellOf(d.cell);
  const { n_in, h, n, t } = d;
  const reverse = flag(d.reverse, 'reverse');
  const [dOutput, dh_n, dc_n, saved, x, lengths, h0, c0, w_ih, w_hh, gates] = [
    i.d_output,
    i.dh_n,
    i.dc_n,
    i.saved,
    i.x,
    i.lengths,
    i.h0,
    i.c0,
    i.w_ih,
    i.w_hh,
    i.gates,
  ].map(concatBlocks);
  const G = gateCount(cell);
  const S = savedBlocks(cell) * h;
  const lstm = cell === CELL.lstm;
  const state = lstm ? n * h : 0;
  requireLength(dOutput, 'd_output', t * n * h);
  requireLength(dh_n, 'dh_n', n * h);
  requireLength(dc_n, 'dc_n', state);
  requireLength(saved, 'saved', t * n * S);
  requireLength(x, 'x', t * n * n_in);
  requireLength(h0, 'h0', n * h);
  requireLength(c0, 'c0', state);
  requireLength(w_ih, 'w_ih', G * h * n_in);
  requireLength(w_hh, 'w_hh', G * h * h);
  for (const [name, length] of [
    ['dx', t * n * n_in],
    ['dh0', n * h],
    ['dc0', state],
    ['dw_ih', G * h * n_in],
    ['dw_hh', G * h * h],
    ['db_ih', G * h],
    ['db_hh', G * h],
  ] as const) {
    requireLength(out[name], name, length);
  }
  // Checked before anything is written, as the Rust kernels do.
  const fns = readFns(gates, new Float64Array(0), cell, h, true);
  for (const name of ['dx', 'dh0', 'dc0', 'dw_ih', 'dw_hh', 'db_ih', 'db_hh'] as const) out[name].fill(0);
  const L = readLengths(lengths, n, t);
  const { rank, active, offset } = packedOrder(L, t);

  /** Sequence j's saved features at its processing step s. */
  const features = (j: number, s: number) => {
    const f = new Float64Array(S);
    const base = S * offset[s];
    for (let k = 0; k < S; k++) f[k] = saved[base + k * active[s] + rank[j]];
    return f;
  };

  for (let j = 0; j < n; j++) {
    let dhNext = Float64Array.from(row(dh_n, j, h));
    let dcNext = lstm ? Float64Array.from(row(dc_n, j, h)) : new Float64Array(0);
    for (let s = L[j] - 1; s >= 0; s--) {
      const time = reverse ? L[j] - 1 - s : s;
      const f = features(j, s);
      const before = s > 0 ? features(j, s - 1) : undefined;
      const hPrev = before ? before.subarray(S - h) : row(h0, j, h);
      const cPrev = lstm ? (before ? before.subarray(4 * h, 5 * h) : row(c0, j, h)) : new Float64Array(0);
      const dh = new Float64Array(h);
      const dOut = row(dOutput, time * n + j, h);
      for (let k = 0; k < h; k++) dh[k] = dhNext[k] + dOut[k];

      // Gradients of the gate pre-activations: gx for the input side (W_ih x + b_ih), gh for
      // the recurrent side (W_hh h + b_hh); they differ only in the GRU's n rows.
      const gx = new Float64Array(G * h);
      const gh = new Float64Array(G * h);
      const dhPrev = new Float64Array(h);
      const dcPrev = new Float64Array(lstm ? h : 0);
      // What the recurrent rows multiply: h, except the n rows of the reset-before GRU (r ∘ h).
      let hnInput: Float64Array | undefined;
      if (fns && (cell === CELL.rnnTanh || cell === CELL.rnnRelu)) {
        for (let k = 0; k < h; k++) gx[k] = dh[k] * derivative(fns.f, f[k]);
        gh.set(gx);
      } else if (fns && cell === CELL.lstm) {
        // The derivatives from the values saved; h(c') recomputed from c'.
        for (let k = 0; k < h; k++) {
          const [ig, fg, g, o, c] = [f[k], f[h + k], f[2 * h + k], f[3 * h + k], f[4 * h + k]];
          const tc = apply(fns.h, c);
          const dc = dcNext[k] + dh[k] * o * derivative(fns.h, tc);
          gx[k] = dc * g * derivative(fns.f, ig);
          gx[h + k] = dc * cPrev[k] * derivative(fns.f, fg);
          gx[2 * h + k] = dc * ig * derivative(fns.g, g);
          gx[3 * h + k] = dh[k] * tc * derivative(fns.f, o);
          dcPrev[k] = dc * fg;
        }
        gh.set(gx);
      } else if (cell === CELL.rnnTanh || cell === CELL.rnnRelu) {
        for (let k = 0; k < h; k++) {
          const y = f[k];
          gx[k] = dh[k] * (cell === CELL.rnnTanh ? 1 - y * y : y > 0 ? 1 : 0);
        }
        gh.set(gx);
      } else if (cell === CELL.lstm) {
        for (let k = 0; k < h; k++) {
          const [ig, fg, g, o, c] = [f[k], f[h + k], f[2 * h + k], f[3 * h + k], f[4 * h + k]];
          const tc = Math.tanh(c);
          const dc = dcNext[k] + dh[k] * o * (1 - tc * tc);
          gx[k] = dc * g * ig * (1 - ig);
          gx[h + k] = dc * cPrev[k] * fg * (1 - fg);
          gx[2 * h + k] = dc * ig * (1 - g * g);
          gx[3 * h + k] = dh[k] * tc * o * (1 - o);
          dcPrev[k] = dc * fg;
        }
        gh.set(gx);
      } else {
        const dr = new Float64Array(h);
        for (let k = 0; k < h; k++) {
          const [r, z, nn, hn] = [f[k], f[h + k], f[2 * h + k], f[3 * h + k]];
          const dn = dh[k] * (1 - z);
          const dzh = dh[k] * (hPrev[k] - nn);
          gx[h + k] = fns ? dzh * derivative(fns.f, z) : dzh * z * (1 - z);
          dhPrev[k] += dh[k] * z;
          const da = dn * (fns ? derivative(fns.g, nn) : 1 - nn * nn);
          gx[2 * h + k] = da;
          if (cell === CELL.gru) {
            gh[2 * h + k] = da * r;
            dr[k] = da * hn;
          } else {
            gh[2 * h + k] = da;
          }
        }
        if (cell === CELL.gruResetBefore) {
          // hn = W_hn (r ∘ h) + b_hn: the gradient reaching r ∘ h splits between r and h.
          hnInput = new Float64Array(h);
          for (let m = 0; m < h; m++) {
            hnInput[m] = f[m] * hPrev[m];
            let dRh = 0;
            for (let k = 0; k < h; k++) dRh += w_hh[(2 * h + k) * h + m] * gh[2 * h + k];
            dr[m] = dRh * hPrev[m];
            dhPrev[m] += dRh * f[m];
          }
        }
        for (let k = 0; k < h; k++) {
          const r = f[k];
          gx[k] = fns ? dr[k] * derivative(fns.f, r) : dr[k] * r * (1 - r);
          gh[k] = gx[k];
          gh[h + k] = gx[h + k];
        }
      }

      const xt = row(x, time * n + j, n_in);
      const dxt = row(out.dx, time * n + j, n_in);
      for (let q = 0; q < G * h; q++) {
        out.db_ih[q] += gx[q];
        out.db_hh[q] += gh[q];
        for (let m = 0; m < n_in; m++) {
          out.dw_ih[q * n_in + m] += gx[q] * xt[m];
          dxt[m] += w_ih[q * n_in + m] * gx[q];
        }
        const resetBeforeRow = hnInput !== undefined && q >= 2 * h;
        const v = resetBeforeRow ? hnInput! : hPrev;
        for (let m = 0; m < h; m++) {
          out.dw_hh[q * h + m] += gh[q] * v[m];
          if (!resetBeforeRow) dhPrev[m] += w_hh[q * h + m] * gh[q];
        }
      }
      dhNext = dhPrev;
      dcNext = dcPrev;
    }
    row(out.dh0, j, h).set(dhNext);
    if (lstm) row(out.dc0, j, h).set(dcNext);
  }
}
