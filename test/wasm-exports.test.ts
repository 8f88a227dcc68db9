/**
 * The real WebAssembly exports called directly with hostile arguments: pointers that are null,
 * misaligned, past the end of memory or near 2^32, lengths that are huge or whose byte length
 * wraps 32 bits, outputs overlapping other buffers, empty buffers with wild pointers, and
 * dimensions that are wrong, huge or overflow u32 — none of which the TypeScript layer would
 * ever send.
 *
 * Each case lays one kernel's buffers out validly in a canary-filled arena of a fresh instance,
 * then applies up to four mutations. The status must equal what an independent model of the
 * calling convention (rnn-wasm's crate docs) predicts; a rejected call must leave every arena
 * byte as it was; an accepted call may change only its declared outputs and workspace, and its
 * outputs must match the js backend's on the same inputs. Memory never grows. Outside the
 * arena, the module's own stack changes during any call, so it is not compared; no mutation
 * points an output outside the arena unless the model says the call is rejected.
 *
 * `RNN_WASM_HOSTILE_CALLS` sets the number of random cases (default 10,000).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { jsBackend } from '../ts/backends/js.js';
import { makeRng, type Rng } from './helpers.js';

const CASES = Number(process.env.RNN_WASM_HOSTILE_CALLS ?? 10_000);
const ARENA_BYTES = 256 * 1024;
const U32_MAX = 2 ** 32 - 1;

type Exports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };
const wasm = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(new URL('../wasm/rnn_wasm.wasm', import.meta.url))),
  {},
).exports as unknown as Exports;

interface D {
  n_x: number;
  n_a: number;
  n_y: number;
  m: number;
  t: number;
  /** The layer kernels' options (the others ignore them). */
  cell: number;
  reverse: number;
  keep: number;
}
type Role = 'in' | 'out' | 'ws';
/** Required length; null when no length can satisfy it (a size overflows u32). */
type Len = bigint | null;

/** u32 product as wasm32's `usize`: 0 if any factor is 0, null on overflow or a null factor. */
function prod(...factors: Len[]): Len {
  if (factors.some((f) => f === null)) return null;
  if (factors.some((f) => f === 0n)) return 0n;
  const p = (factors as bigint[]).reduce((a, b) => a * b, 1n);
  return p > BigInt(U32_MAX) ? null : p;
}
const n = (v: number): Len => BigInt(v);
/** `*_workspace` exports return -1 when the size overflows. */
const ws = (w: number): Len => (w < 0 ? null : BigInt(w));
const g4 = (d: D) => prod(4n, n(d.n_a));
const k = (d: D): Len => (d.n_a + d.n_x > U32_MAX ? null : n(d.n_a + d.n_x));

interface Kernel {
  name: string;
  dims: (d: D) => number[];
  bufs: [string, Role][];
  lens: (d: D) => Len[];
  /** The js backend's outputs (not the workspace) for these inputs. */
  reference: (d: D, i: Float64Array[], out: Float64Array[]) => void;
  /** A value for input `name`, where uniform values in [-2, 2) will not do. */
  value?: (name: string, rng: Rng, d: D) => number | undefined;
  /** Whether the input values are acceptable (checked after the buffers and lengths). */
  valuesOk?: (d: D, i: Float64Array[]) => boolean;
  /** Agreement with the reference, relative to each output's largest magnitude (default 1e-10). */
  tol?: number;
}

/** A class index or -1 (no target), and now and then something that is neither. */
function target(rng: Rng, d: D): number {
  if (rng.uniform() < 0.02) return pick(rng, [d.n_y, 0.5, NaN, -2, Infinity]);
  return Math.floor(rng.uniform() * (d.n_y + 1)) - 1;
}
const isTarget = (k: number, n_y: number) => k === -1 || (Number.isInteger(k) && k >= 0 && k < n_y);

/** A sequence length in 0..=t, and now and then something that is not. */
function seqLength(rng: Rng, d: D): number {
  if (rng.uniform() < 0.02) return pick(rng, [d.t + 1, 0.5, NaN, -1, Infinity]);
  return Math.floor(rng.uniform() * (d.t + 1));
}
const isSeqLength = (l: number, t: number) => Number.isInteger(l) && l >= 0 && l <= t;

/** A layer option below `count`, and now and then one out of range. */
function option(rng: Rng, count: number): number {
  return rng.uniform() < 0.03 ? pick(rng, [count, 7, U32_MAX]) : Math.floor(rng.uniform() * count);
}

/** Gates and saved rows (in blocks of h) of a layer cell; an unknown cell is laid out as the LSTM. */
const layerGates = (cell: number) => BigInt([1, 1, 4, 3, 3][cell] ?? 4);
const layerSaved = (cell: number) => BigInt([1, 1, 6, 5, 5][cell] ?? 6);

const KERNELS: Kernel[] = [
  {
    name: 'rnn_softmax',
    dims: (d) => [d.n_y, d.m],
    bufs: [['z', 'in'], ['out', 'out']],
    lens: (d) => [prod(n(d.n_y), n(d.m)), prod(n(d.n_y), n(d.m))],
    reference: (d, i, o) => jsBackend.run('softmax', { rows: d.n_y, cols: d.m }, { z: i[0] }, { out: o[0] }),
  },
  {
    name: 'rnn_transpose',
    dims: (d) => [d.n_x, d.m],
    bufs: [['src', 'in'], ['dst', 'out']],
    lens: (d) => [prod(n(d.n_x), n(d.m)), prod(n(d.n_x), n(d.m))],
    reference: (d, i, o) => jsBackend.run('transpose', { rows: d.n_x, cols: d.m }, { src: i[0] }, { dst: o[0] }),
  },
  {
    name: 'rnn_sigmoid',
    dims: (d) => [d.m],
    bufs: [['z', 'in'], ['out', 'out']],
    lens: (d) => [n(d.m), n(d.m)],
    reference: (d, i, o) => jsBackend.run('sigmoid', { n: d.m }, { z: i[0] }, { out: o[0] }),
  },
  {
    name: 'rnn_forward',
    dims: (d) => [d.n_x, d.n_a, d.n_y, d.m, d.t],
    bufs: [['x', 'in'], ['a0', 'in'], ['wax', 'in'], ['waa', 'in'], ['ba', 'in'], ['wya', 'in'], ['by', 'in'], ['a', 'out'], ['y', 'out'], ['ws', 'ws']],
    lens: (d) => [
      prod(n(d.t), n(d.n_x), n(d.m)), prod(n(d.n_a), n(d.m)), prod(n(d.n_a), n(d.n_x)), prod(n(d.n_a), n(d.n_a)), n(d.n_a),
      prod(n(d.n_y), n(d.n_a)), n(d.n_y), prod(n(d.t), n(d.n_a), n(d.m)), prod(n(d.t), n(d.n_y), n(d.m)),
      ws(wasm.rnn_forward_workspace(d.n_x, d.n_a, d.n_y, d.m, d.t)),
    ],
    reference: (d, i, o) =>
      jsBackend.run('rnnForward', d, { x: i[0], a0: i[1], wax: i[2], waa: i[3], ba: i[4], wya: i[5], by: i[6] }, { a: o[0], y: o[1] }),
  },
  {
    name: 'rnn_backward',
    dims: (d) => [d.n_x, d.n_a, d.m, d.t],
    bufs: [['da', 'in'], ['a_next', 'in'], ['a_prev', 'in'], ['x', 'in'], ['wax', 'in'], ['waa', 'in'], ['dx', 'out'], ['da0', 'out'], ['dwax', 'out'], ['dwaa', 'out'], ['dba', 'out'], ['ws', 'ws']],
    lens: (d) => {
      const [sa, sx] = [prod(n(d.t), n(d.n_a), n(d.m)), prod(n(d.t), n(d.n_x), n(d.m))];
      return [sa, sa, sa, sx, prod(n(d.n_a), n(d.n_x)), prod(n(d.n_a), n(d.n_a)), sx, prod(n(d.n_a), n(d.m)),
        prod(n(d.n_a), n(d.n_x)), prod(n(d.n_a), n(d.n_a)), n(d.n_a), ws(wasm.rnn_backward_workspace(d.n_x, d.n_a, d.m, d.t))];
    },
    reference: (d, i, o) =>
      jsBackend.run('rnnBackward', d, { da: i[0], a_next: i[1], a_prev: i[2], x: i[3], wax: i[4], waa: i[5] }, { dx: o[0], da0: o[1], dwax: o[2], dwaa: o[3], dba: o[4] }),
  },
  {
    name: 'output_backward',
    dims: (d) => [d.n_a, d.n_y, d.m, d.t],
    bufs: [['y', 'in'], ['targets', 'in'], ['a', 'in'], ['wy', 'in'], ['loss', 'out'], ['dwy', 'out'], ['dby', 'out'], ['da', 'out'], ['ws', 'ws']],
    lens: (d) => [prod(n(d.t), n(d.n_y), n(d.m)), prod(n(d.t), n(d.m)), prod(n(d.t), n(d.n_a), n(d.m)), prod(n(d.n_y), n(d.n_a)), 2n,
      prod(n(d.n_y), n(d.n_a)), n(d.n_y), prod(n(d.t), n(d.n_a), n(d.m)), ws(wasm.output_backward_workspace(d.n_a, d.n_y, d.m, d.t))],
    reference: (d, i, o) =>
      jsBackend.run('outputBackward', d, { y: i[0], targets: i[1], a: i[2], wy: i[3] }, { loss: o[0], dwy: o[1], dby: o[2], da: o[3] }),
    // Probabilities for y (the loss takes their logarithm), class indices for the targets.
    value: (name, rng, d) => (name === 'y' ? 0.01 + rng.uniform() : name === 'targets' ? target(rng, d) : undefined),
    valuesOk: (d, i) => i[1].every((k) => isTarget(k, d.n_y)),
  },
  {
    name: 'lstm_forward',
    dims: (d) => [d.n_x, d.n_a, d.n_y, d.m, d.t],
    bufs: [['x', 'in'], ['a0', 'in'], ['c0', 'in'], ['w', 'in'], ['b', 'in'], ['wy', 'in'], ['by', 'in'], ['a', 'out'], ['c', 'out'], ['y', 'out'], ['gates', 'out'], ['ws', 'ws']],
    lens: (d) => {
      const sa = prod(n(d.t), n(d.n_a), n(d.m));
      return [prod(n(d.t), n(d.n_x), n(d.m)), prod(n(d.n_a), n(d.m)), prod(n(d.n_a), n(d.m)), prod(g4(d), k(d)), g4(d),
        prod(n(d.n_y), n(d.n_a)), n(d.n_y), sa, sa, prod(n(d.t), n(d.n_y), n(d.m)), prod(n(d.t), g4(d), n(d.m)),
        ws(wasm.lstm_forward_workspace(d.n_x, d.n_a, d.n_y, d.m, d.t))];
    },
    reference: (d, i, o) =>
      jsBackend.run('lstmForward', d, { x: i[0], a0: i[1], c0: i[2], w: i[3], b: i[4], wy: i[5], by: i[6] }, { a: o[0], c: o[1], y: o[2], gates: o[3] }),
  },
  {
    name: 'lstm_backward',
    dims: (d) => [d.n_x, d.n_a, d.m, d.t],
    bufs: [['da', 'in'], ['dc_last', 'in'], ['c_next', 'in'], ['c_prev', 'in'], ['a_prev', 'in'], ['gates', 'in'], ['x', 'in'], ['w', 'in'],
      ['dx', 'out'], ['da0', 'out'], ['dc0', 'out'], ['dw', 'out'], ['db', 'out'], ['ws', 'ws']],
    lens: (d) => {
      const [sa, sx, st] = [prod(n(d.t), n(d.n_a), n(d.m)), prod(n(d.t), n(d.n_x), n(d.m)), prod(n(d.n_a), n(d.m))];
      return [sa, st, sa, sa, sa, prod(n(d.t), g4(d), n(d.m)), sx, prod(g4(d), k(d)), sx, st, st, prod(g4(d), k(d)), g4(d),
        ws(wasm.lstm_backward_workspace(d.n_x, d.n_a, d.m, d.t))];
    },
    reference: (d, i, o) =>
      jsBackend.run('lstmBackward', d, { da: i[0], dc_last: i[1], c_next: i[2], c_prev: i[3], a_prev: i[4], gates: i[5], x: i[6], w: i[7] }, { dx: o[0], da0: o[1], dc0: o[2], dw: o[3], db: o[4] }),
  },
  {
    // n_in = n_x, h = n_a, n = m. An unknown cell, reverse or keep makes the workspace export
    // return -1, so the model rejects the call as the kernel does.
    name: 'layer_forward',
    dims: (d) => [d.cell, d.n_x, d.n_a, d.m, d.t, d.reverse, d.keep],
    // `gates` and `p` empty (the standard cells): the only length a mutation cannot turn into
    // another accepted one (0 or 11; 0 or 3·h).
    bufs: [['x', 'in'], ['lengths', 'in'], ['h0', 'in'], ['c0', 'in'], ['w_ih', 'in'], ['w_hh', 'in'], ['b_ih', 'in'], ['b_hh', 'in'],
      ['gates', 'in'], ['p', 'in'], ['output', 'out'], ['h_n', 'out'], ['c_n', 'out'], ['saved', 'out'], ['ws', 'ws']],
    lens: (d) => {
      const gh = prod(layerGates(d.cell), n(d.n_a));
      const hc = d.cell === 2 ? n(d.n_a) : 0n;
      const saved = d.keep === 1 ? prod(n(d.t), n(d.m), layerSaved(d.cell), n(d.n_a)) : 0n;
      const state = prod(n(d.m), n(d.n_a));
      return [prod(n(d.t), n(d.m), n(d.n_x)), n(d.m), state, prod(n(d.m), hc), prod(gh, n(d.n_x)), prod(gh, n(d.n_a)), gh, gh, 0n, 0n,
        prod(n(d.t), n(d.m), n(d.n_a)), state, prod(n(d.m), hc), saved,
        ws(wasm.layer_forward_workspace(d.cell, d.n_x, d.n_a, d.m, d.t, d.reverse, d.keep))];
    },
    reference: (d, i, o) =>
      jsBackend.run(
        'layerForward',
        { cell: d.cell, n_in: d.n_x, h: d.n_a, n: d.m, t: d.t, reverse: d.reverse, keep: d.keep },
        { x: i[0], lengths: i[1], h0: i[2], c0: i[3], w_ih: i[4], w_hh: i[5], b_ih: i[6], b_hh: i[7], gates: i[8], p: i[9] },
        { output: o[0], h_n: o[1], c_n: o[2], saved: o[3] },
      ),
    value: (name, rng, d) => (name === 'lengths' ? seqLength(rng, d) : undefined),
    valuesOk: (d, i) => i[1].every((l) => isSeqLength(l, d.t)),
  },
  {
    // As layer_forward, without keep (the backward pass always reads `saved`, here random
    // values with no forward pass behind them).
    name: 'layer_backward',
    dims: (d) => [d.cell, d.n_x, d.n_a, d.m, d.t, d.reverse],
    bufs: [['d_output', 'in'], ['dh_n', 'in'], ['dc_n', 'in'], ['saved', 'in'], ['x', 'in'], ['lengths', 'in'], ['h0', 'in'], ['c0', 'in'],
      ['w_ih', 'in'], ['w_hh', 'in'], ['gates', 'in'], ['dx', 'out'], ['dh0', 'out'], ['dc0', 'out'], ['dw_ih', 'out'], ['dw_hh', 'out'], ['db_ih', 'out'],
      ['db_hh', 'out'], ['ws', 'ws']],
    lens: (d) => {
      const gh = prod(layerGates(d.cell), n(d.n_a));
      const hc = d.cell === 2 ? n(d.n_a) : 0n;
      const [state, cState, seqX] = [prod(n(d.m), n(d.n_a)), prod(n(d.m), hc), prod(n(d.t), n(d.m), n(d.n_x))];
      const [wIh, wHh] = [prod(gh, n(d.n_x)), prod(gh, n(d.n_a))];
      return [prod(n(d.t), n(d.m), n(d.n_a)), state, cState, prod(n(d.t), n(d.m), layerSaved(d.cell), n(d.n_a)), seqX, n(d.m), state, cState,
        wIh, wHh, 0n, seqX, state, cState, wIh, wHh, gh, gh,
        ws(wasm.layer_backward_workspace(d.cell, d.n_x, d.n_a, d.m, d.t, d.reverse))];
    },
    reference: (d, i, o) =>
      jsBackend.run(
        'layerBackward',
        { cell: d.cell, n_in: d.n_x, h: d.n_a, n: d.m, t: d.t, reverse: d.reverse },
        { d_output: i[0], dh_n: i[1], dc_n: i[2], saved: i[3], x: i[4], lengths: i[5], h0: i[6], c0: i[7], w_ih: i[8], w_hh: i[9], gates: i[10] },
        { dx: o[0], dh0: o[1], dc0: o[2], dw_ih: o[3], dw_hh: o[4], db_ih: o[5], db_hh: o[6] },
      ),
    value: (name, rng, d) => (name === 'lengths' ? seqLength(rng, d) : undefined),
    valuesOk: (d, i) => i[5].every((l) => isSeqLength(l, d.t)),
  },
];

// The layer kernels' float32 twins: the same calling convention and the same (float64) reference,
// within float32's rounding of their sums, which these weights (up to ±2, where a layer's are
// ±1/√h) amplify over the steps (as in rnn-fuzz's core tests).
for (const name of ['layer_forward', 'layer_backward']) {
  const base = KERNELS.find((k) => k.name === name);
  if (base) KERNELS.push({ ...base, name: `${name}_f32`, tol: 1e-3 });
}

/**
 * The status the calling convention prescribes: 2 if a non-empty buffer is null, misaligned or
 * not inside memory; else 3 if a non-empty output overlaps another non-empty buffer; else 1 if
 * a length does not match the dimensions (the workspace: is below its minimum); else 4 if an
 * input value is refused (a loss target that is neither -1 nor a class index, a sequence length
 * that is not an integer in 0..=t); else 0.
 */
function expectedStatus(kernel: Kernel, d: D, bufs: [number, number][], memBytes: number): number {
  const live = bufs.map(([, len]) => len !== 0);
  const span = ([ptr, len]: [number, number]) => [ptr, ptr + 8 * len];
  for (let i = 0; i < bufs.length; i++) {
    const [start, end] = span(bufs[i]);
    if (live[i] && (start === 0 || start % 8 !== 0 || end > memBytes)) return 2;
  }
  for (let i = 0; i < bufs.length; i++) {
    if (!live[i] || kernel.bufs[i][1] === 'in') continue;
    for (let j = 0; j < bufs.length; j++) {
      if (j === i || !live[j]) continue;
      const [[s1, e1], [s2, e2]] = [span(bufs[i]), span(bufs[j])];
      if (s1 < e2 && s2 < e1) return 3;
    }
  }
  const required = kernel.lens(d);
  const ok = bufs.every(([, len], i) => {
    const r = required[i];
    if (r === null) return false;
    return kernel.bufs[i][1] === 'ws' ? BigInt(len) >= r : BigInt(len) === r;
  });
  if (!ok) return 1;
  const inputs = bufs.flatMap(([p, l], i) => (kernel.bufs[i][1] === 'in' ? [f64At(p, l)] : []));
  return kernel.valuesOk && !kernel.valuesOk(d, inputs) ? 4 : 0;
}

// ---------------------------------------------------------------------------------------------
// The arena

const base = wasm.rnn_alloc(ARENA_BYTES) >>> 0;
const memBytes = () => wasm.memory.buffer.byteLength;
const bytes = () => new Uint8Array(wasm.memory.buffer, base, ARENA_BYTES);
/** An empty buffer may carry any pointer: it reads as empty. */
const f64At = (ptr: number, len: number) => (len === 0 ? new Float64Array(0) : new Float64Array(wasm.memory.buffer, ptr, len));

/** Finite words, varied by position, so that a stray or shifted write shows. */
const CANARY = new Uint8Array(Float64Array.from({ length: ARENA_BYTES / 8 }, (_, i) => -1 + ((i * 7919) % 2003) / 1000).buffer);
const fillCanary = () => bytes().set(CANARY);

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
const int = (rng: Rng, below: number) => Math.floor(rng.uniform() * below);

function smallDim(rng: Rng): number {
  const r = rng.uniform();
  if (r < 0.6) return int(rng, 6);
  if (r < 0.75) return 0;
  if (r < 0.9) return 1;
  return pick(rng, [7, 11, 13]);
}

const HUGE_DIMS = [0, 1, 2, 3, U32_MAX, 2 ** 31, 2 ** 30, 2 ** 30 + 1, 65536, 2 ** 29];
const HUGE_LENS = [U32_MAX, 2 ** 29, 2 ** 29 + 1, 2 ** 31, 2 ** 30];

/** Applies one random mutation to `bufs` or `d`; returns its description. */
function mutate(rng: Rng, kernel: Kernel, bufs: [number, number][], d: D): string {
  const i = int(rng, bufs.length);
  const [name, role] = kernel.bufs[i];
  const b = bufs[i];
  const which = int(rng, 11);
  switch (which) {
    case 0:
      b[0] = 0;
      return `${name}: null`;
    case 1:
      b[0] += 1 + int(rng, 7);
      return `${name}: misaligned`;
    case 2:
      // Starts inside memory, ends past it (when not empty).
      b[0] = memBytes() - 8 * int(rng, Math.max(b[1], 1));
      return `${name}: runs past the end of memory`;
    case 3:
      b[0] = 2 ** 32 - 8 * (1 + int(rng, 4));
      return `${name}: near 2^32`;
    case 4:
      // Byte length 8·len over 4 GiB: wraps to a small number in 32-bit arithmetic.
      b[1] = pick(rng, HUGE_LENS);
      return `${name}: length ${b[1]}`;
    case 5:
    case 6:
      // Only a buffer still in the arena: a moved one (past the end of memory, a wild pointer)
      // could otherwise become a valid output outside it.
      if (!(b[0] >= base && b[0] < base + ARENA_BYTES)) return `${name}: kept its length outside the arena`;
      b[1] = which === 5 ? b[1] + 1 : Math.max(0, b[1] - 1);
      return `${name}: one too ${which === 5 ? 'long' : 'short'}`;
    case 7: {
      // (Into a buffer that is still in the arena: an output elsewhere could be accepted.)
      const j = int(rng, bufs.length);
      const inArena = bufs[j][0] >= base && bufs[j][0] < base + ARENA_BYTES;
      b[0] = inArena ? bufs[j][0] + 8 * int(rng, 3) : 0;
      return `${name}: into ${kernel.bufs[j][0]}`;
    }
    case 8:
      b[0] = int(rng, 2 ** 32);
      b[1] = 0;
      return `${name}: empty, wild pointer`;
    case 9:
      // An input may read the module's own memory below the arena: harmless, and accepted.
      if (role === 'in' && b[1] > 0 && base > 8 * b[1] + 8) b[0] = 8 * (1 + int(rng, base / 8 - b[1] - 1));
      else b[0] = 0;
      return `${name}: below the arena`;
    default: {
      const key = pick(rng, ['n_x', 'n_a', 'n_y', 'm', 't', 'cell', 'reverse', 'keep'] as const);
      d[key] = pick(rng, HUGE_DIMS);
      return `${key} = ${d[key]}`;
    }
  }
}

interface Tally {
  calls: number;
  /** Accepted with a dimension over 2^16 (all buffers empty): outputs not compared. */
  hugeAccepted: number;
  byStatus: Record<number, number>;
}

/** Runs one case; fails the test with a description on any violation. */
function runCase(rng: Rng, tally: Tally): void {
  const kernel = pick(rng, KERNELS);
  const d: D = {
    n_x: smallDim(rng),
    n_a: smallDim(rng),
    n_y: smallDim(rng),
    m: smallDim(rng),
    t: int(rng, 6),
    cell: option(rng, 5),
    reverse: option(rng, 2),
    keep: option(rng, 2),
  };
  const lens = kernel.lens(d).map((l) => Number(l));
  fillCanary();
  const bufs: [number, number][] = [];
  let at = base + 8 * int(rng, 4);
  for (let i = 0; i < lens.length; i++) {
    bufs.push([at, lens[i]]);
    if (kernel.bufs[i][1] === 'in') {
      const data = f64At(at, lens[i]);
      const name = kernel.bufs[i][0];
      for (let e = 0; e < data.length; e++) data[e] = kernel.value?.(name, rng, d) ?? 4 * rng.uniform() - 2;
    }
    at += 8 * (lens[i] + int(rng, 3));
  }
  expect(at, 'the layout fits the arena').toBeLessThanOrEqual(base + ARENA_BYTES);

  const changes = rng.uniform() < 0.2 ? [] : Array.from({ length: 1 + int(rng, 4) }, () => mutate(rng, kernel, bufs, d));
  // The module sees every argument as a u32 (an i32 parameter): 2^32 arrives as 0.
  for (const b of bufs) b.forEach((v, i) => (b[i] = v >>> 0));
  const memBefore = memBytes();
  const want = expectedStatus(kernel, d, bufs, memBefore);
  const what = `${kernel.name} ${JSON.stringify(d)} after [${changes.join('; ')}] with buffers ${JSON.stringify(bufs.map(([p, l]) => [p - base, l]))} (arena offsets)`;
  // Outputs must stay in the arena whenever the call is accepted (see the file comment).
  if (want === 0) {
    for (let i = 0; i < bufs.length; i++) {
      const [p, l] = bufs[i];
      if (kernel.bufs[i][1] !== 'in' && l > 0) expect(p >= base && p + 8 * l <= base + ARENA_BYTES, what).toBe(true);
    }
  }
  const inputs = bufs.map(([p, l], i) => (kernel.bufs[i][1] === 'in' && want === 0 ? f64At(p, l).slice() : new Float64Array(0)));
  const before = bytes().slice();

  const got = wasm[kernel.name](...kernel.dims(d), ...bufs.flat());
  tally.calls++;
  tally.byStatus[got] = (tally.byStatus[got] ?? 0) + 1;
  expect(got, `status of ${what}`).toBe(want);
  expect(memBytes(), 'memory never grows during a call').toBe(memBefore);

  const after = bytes();
  if (got !== 0) {
    expect(Buffer.compare(after, before), `rejected ${what} changed the arena`).toBe(0);
    return;
  }
  // Compare the arena between the writable ranges (outputs and workspace), in order.
  const writable = bufs
    .filter(([, l], i) => kernel.bufs[i][1] !== 'in' && l > 0)
    .map(([p, l]) => [p - base, p - base + 8 * l])
    .sort((a, b) => a[0] - b[0]);
  let from = 0;
  for (const [start, end] of [...writable, [ARENA_BYTES, ARENA_BYTES]]) {
    if (start > from && Buffer.compare(after.subarray(from, start), before.subarray(from, start)) !== 0) {
      const byte = from + after.subarray(from, start).findIndex((v, i) => v !== before[from + i]);
      expect.fail(`${what} wrote arena byte ${byte} outside its outputs`);
    }
    from = Math.max(from, end);
  }
  const outIdx = kernel.bufs.flatMap(([, role], i) => (role === 'out' ? [i] : []));
  const expected = outIdx.map((i) => new Float64Array(bufs[i][1]));
  // A dimension of 2^16 or more can only be accepted alongside empty buffers, yet the js
  // reference may loop over it (T steps, or n_x rows of nothing): not compared, but counted.
  if (Object.values(d).some((v) => v >= 2 ** 16)) {
    tally.hugeAccepted++;
    return;
  }
  kernel.reference(d, inputs.filter((_, i) => kernel.bufs[i][1] === 'in'), expected);
  outIdx.forEach((i, o) => {
    const actual = f64At(bufs[i][0], bufs[i][1]);
    const scale = Math.max(1e-300, ...Array.from(expected[o], Math.abs).filter(Number.isFinite));
    for (let e = 0; e < actual.length; e++) {
      const err = Math.abs(actual[e] - expected[o][e]);
      if (!(err <= (kernel.tol ?? 1e-10) * scale) && !Object.is(actual[e], expected[o][e]) && !(Number.isNaN(actual[e]) && Number.isNaN(expected[o][e]))) expect.fail(`${what}: ${kernel.bufs[i][0]}[${e}] = ${actual[e]}, js gives ${expected[o][e]}`);
    }
  });
}

describe('wasm exports called directly with hostile arguments', () => {
  test(`${CASES} random cases over a canary-filled arena: the predicted status, no stray byte, right outputs`, () => {
    expect(base).toBeGreaterThan(0);
    const rng = makeRng(0x5eed);
    const tally: Tally = { calls: 0, hugeAccepted: 0, byStatus: {} };
    for (let c = 0; c < CASES; c++) runCase(rng, tally);
    const s = tally.byStatus;
    console.log(
      `wasm exports: ${tally.calls} direct calls with hostile arguments ` +
        `(accepted ${s[0] ?? 0}, of which ${tally.hugeAccepted} with a dimension over 2^16 and only empty buffers; ` +
        `rejected: status 1 ${s[1] ?? 0}, status 2 ${s[2] ?? 0}, status 3 ${s[3] ?? 0}, status 4 ${s[4] ?? 0})`,
    );
    // Every outcome is exercised in quantity.
    for (const status of [0, 1, 2, 3]) expect(s[status] ?? 0, `status ${status}`).toBeGreaterThan(CASES / 100);
  }, 60_000 + 10 * CASES); // about 1 ms a case alone on a 2-core machine; longer runs get longer

  test('the instance still computes correctly after all of them', () => {
    const z = f64At(base, 4);
    z.set([0, 1, -1, 2]);
    expect(wasm.rnn_sigmoid(4, base, 4, base + 64, 4)).toBe(0);
    const out = f64At(base + 64, 4);
    [0, 1, -1, 2].forEach((v, i) => expect(out[i]).toBeCloseTo(1 / (1 + Math.exp(-v)), 15));
  });
});
