/**
 * Keras / TF.js recurrent weights ↔ the layer kernels' PyTorch layout.
 *
 * Keras keeps one kernel `(F, G·u)` and one recurrent kernel `(u, G·u)` per layer (x·W, the
 * transpose of PyTorch's `W·x`), gates LSTM i, f, c, o (PyTorch's i, f, g, o: the same order)
 * and GRU z, r, h (PyTorch's r, z, n: z and r swap); a SimpleRNN has G = 1. Its bias is one vector `(G·u)` that plays
 * the role of b_ih (b_hh stays 0), except a GRU with reset_after = true, whose bias `(2, G·u)`
 * holds the input bias (row 0 → b_ih) and the recurrent bias (row 1 → b_hh, which sits inside
 * r ∘ (W_hn h + b_hn) as PyTorch's does).
 */
import { rangeError } from '../errors.js';
import type { LayerWeights } from '../layers/stack.js';

/** LSTM, GRU, or SimpleRNN (`'rnn'`: one gate, kernel `(F, units)`). */
export type KerasKind = 'lstm' | 'gru' | 'rnn';

/** Keras's weights of one layer (or their gradients), flat and row-major. */
export interface KerasLayerWeights {
  /** `(inputSize, G·units)`. */
  kernel: Float64Array;
  /** `(units, G·units)`. */
  recurrentKernel: Float64Array;
  /** `(G·units)`, or `(2, G·units)` for a GRU with reset_after; absent without bias. */
  bias?: Float64Array;
}

/** PyTorch's gate k is Keras's gate `PERM[kind][k]`. */
const PERM: Readonly<Record<KerasKind, readonly number[]>> = {
  lstm: [0, 1, 2, 3],
  gru: [1, 0, 2],
  rnn: [0],
};

function gatesOf(kind: unknown): readonly number[] {
  if (kind !== 'lstm' && kind !== 'gru' && kind !== 'rnn') {
    throw rangeError('ERR_RNN_VALUE', `kind must be 'lstm', 'gru' or 'rnn'; got ${JSON.stringify(kind)}`);
  }
  return PERM[kind];
}

function checkLength(a: ArrayLike<number>, n: number, name: string, dims: string): void {
  if (a.length !== n) throw rangeError('ERR_RNN_SHAPE', `${name} must hold ${n} values (${dims}); got ${a.length}`);
}

/** Keras `(rows, G·u)` row-major → PyTorch `(G·u, rows)` with the gates permuted. */
function toTorch(src: ArrayLike<number>, rows: number, u: number, perm: readonly number[]): Float64Array {
  const G = perm.length;
  const out = new Float64Array(G * u * rows);
  for (let g = 0; g < G; g++) {
    const kg = perm[g];
    for (let j = 0; j < u; j++) {
      const o = (g * u + j) * rows;
      const col = kg * u + j;
      for (let r = 0; r < rows; r++) out[o + r] = src[r * G * u + col];
    }
  }
  return out;
}

/** PyTorch `(G·u, rows)` → Keras `(rows, G·u)` row-major, gates back in Keras's order. */
function toKeras(src: ArrayLike<number>, rows: number, u: number, perm: readonly number[]): Float64Array {
  const G = perm.length;
  const out = new Float64Array(G * u * rows);
  for (let g = 0; g < G; g++) {
    const kg = perm[g];
    for (let j = 0; j < u; j++) {
      const o = (g * u + j) * rows;
      const col = kg * u + j;
      for (let r = 0; r < rows; r++) out[r * G * u + col] = src[o + r];
    }
  }
  return out;
}

/** A `G·u` vector with the gates permuted (`toTorch` on one row). */
function permuteVector(src: ArrayLike<number>, u: number, perm: readonly number[], inverse: boolean): Float64Array {
  const out = new Float64Array(perm.length * u);
  for (let g = 0; g < perm.length; g++) {
    for (let j = 0; j < u; j++) {
      if (inverse) out[perm[g] * u + j] = src[g * u + j];
      else out[g * u + j] = src[perm[g] * u + j];
    }
  }
  return out;
}

/**
 * One layer and direction's kernel weights from Keras's: `kernel` `(inputSize, G·units)`,
 * `recurrentKernel` `(units, G·units)` and `bias` (`(G·units)`; `(2, G·units)` for a GRU with
 * `resetAfter`; undefined: zeros), all flat row-major. A GRU with `resetAfter` false runs on the
 * cell with `linearBeforeReset: false`, one with `resetAfter` true on PyTorch's.
 */
export function kerasToLayerWeights(
  kind: KerasKind,
  kernel: ArrayLike<number>,
  recurrentKernel: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  units: number,
  inputSize: number,
  resetAfter: boolean,
): LayerWeights {
  const perm = gatesOf(kind);
  const Gu = perm.length * units;
  const twoBiases = kind === 'gru' && resetAfter;
  checkLength(kernel, inputSize * Gu, 'kernel', `inputSize ${inputSize} × ${perm.length}·units ${Gu}`);
  checkLength(recurrentKernel, units * Gu, 'recurrentKernel', `units ${units} × ${perm.length}·units ${Gu}`);
  const w: LayerWeights = {
    w_ih: toTorch(kernel, inputSize, units, perm),
    w_hh: toTorch(recurrentKernel, units, units, perm),
    b_ih: new Float64Array(Gu),
    b_hh: new Float64Array(Gu),
  };
  if (bias !== undefined) {
    checkLength(bias, (twoBiases ? 2 : 1) * Gu, 'bias', twoBiases ? `2 × ${perm.length}·units ${Gu} (reset_after)` : `${perm.length}·units`);
    const b = Array.from(bias);
    w.b_ih = permuteVector(b.slice(0, Gu), units, perm, false);
    if (twoBiases) w.b_hh = permuteVector(b.slice(Gu), units, perm, false);
  }
  return w;
}

/**
 * The gradients of Keras's weights from those of the kernel weights `kerasToLayerWeights`
 * made. A single Keras bias stands where b_ih is (b_hh is held at 0), so its gradient is
 * db_ih (db_hh equals it for these cells and is not added: b_hh is not a Keras weight); a GRU
 * with `resetAfter` gets `(2, G·units)`: db_ih then db_hh. Without `useBias`, no bias.
 */
export function layerGradsToKeras(
  kind: KerasKind,
  grads: LayerWeights,
  units: number,
  inputSize: number,
  resetAfter: boolean,
  useBias: boolean,
): KerasLayerWeights {
  const perm = gatesOf(kind);
  const Gu = perm.length * units;
  checkLength(grads.w_ih, inputSize * Gu, 'grads.w_ih', `${perm.length}·units ${Gu} × inputSize ${inputSize}`);
  checkLength(grads.w_hh, units * Gu, 'grads.w_hh', `${perm.length}·units ${Gu} × units ${units}`);
  const out: KerasLayerWeights = {
    kernel: toKeras(grads.w_ih, inputSize, units, perm),
    recurrentKernel: toKeras(grads.w_hh, units, units, perm),
  };
  if (useBias) {
    checkLength(grads.b_ih, Gu, 'grads.b_ih', `${perm.length}·units`);
    const bi = permuteVector(grads.b_ih, units, perm, true);
    if (kind === 'gru' && resetAfter) {
      checkLength(grads.b_hh, Gu, 'grads.b_hh', `${perm.length}·units`);
      const bias = new Float64Array(2 * Gu);
      bias.set(bi);
      bias.set(permuteVector(grads.b_hh, units, perm, true), Gu);
      out.bias = bias;
    } else {
      out.bias = bi;
    }
  }
  return out;
}
