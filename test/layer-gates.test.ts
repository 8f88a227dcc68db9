/**
 * The layer kernels' other cell functions (`gates`: ONNX's activations, clip, input_forget; `p`:
 * the LSTM's peepholes), at kernel level:
 * - every backend computes what the js reference computes, within 1e-12 relative, forward
 *   (with `saved` where backward can run from it) and backward, for every activation code in
 *   every slot a cell reads, clips, input_forget and peepholes, both directions, lengths in no
 *   order with a 0;
 * - the js backward equals (five-point) central finite differences of the js forward for every
 *   activation;
 * - every backend refuses what the kernels refuse (bad values, keep with a clip).
 * The reference's own equations are checked against onnxruntime by the ONNX operator tests.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { setBackend, type BackendName } from '../ts/index.js';
import { jsBackend } from '../ts/backends/js.js';
import { activeBackend } from '../ts/registry.js';
import { ACTIVATION, ACTIVATION_DEFAULTS, gatesArray, type Activation, type ActivationName } from '../ts/layers/activations.js';
import { CELL, gateCount, savedBlocks, type CellCode } from '../ts/layers/cells.js';
import { BACKENDS, makeRng, relErr } from './helpers.js';

const TOLERANCE = 1e-12;
const [N_IN, H, N, T] = [4, 3, 5, 6];
const LENGTHS = Float64Array.of(3, 0, 6, 1, 3); // unsorted, a tie, 0 and T

/** Parameters other than ONNX's defaults where a function has them, so that they are seen used. */
const PARAMS: Partial<Record<ActivationName, [number, number]>> = {
  HardSigmoid: [0.3, 0.45],
  Affine: [0.7, 0.1],
  LeakyRelu: [0.05, 0],
  ThresholdedRelu: [0.3, 0],
  ScaledTanh: [1.3, 0.8],
  Elu: [0.9, 0],
};
const NAMES = Object.keys(ACTIVATION) as ActivationName[];
const act = (name: ActivationName): Activation => {
  const [alpha, beta] = PARAMS[name] ?? ACTIVATION_DEFAULTS[name];
  return { name, alpha, beta };
};
/** The array straight from the codes (gatesArray gives an empty one for a standard set). */
const raw = (f: Activation, g: Activation, h: Activation, clip = 0, inputForget = 0) =>
  Float64Array.from([
    ...[f, g, h].flatMap((a) => [ACTIVATION[a.name], a.alpha ?? 0, a.beta ?? 0]),
    clip,
    inputForget,
  ]);

interface Setup {
  label: string;
  gates: Float64Array;
  peepholes: boolean;
  /** Backward can run from `saved`. */
  invertible: boolean;
}

const isRnn = (cell: CellCode) => cell === CELL.rnnTanh || cell === CELL.rnnRelu;
const standardF = (cell: CellCode) => act(cell === CELL.rnnTanh ? 'Tanh' : cell === CELL.rnnRelu ? 'Relu' : 'Sigmoid');

function setups(cell: CellCode): Setup[] {
  const slots = isRnn(cell) ? 1 : cell === CELL.lstm ? 3 : 2;
  const out: Setup[] = [];
  for (let slot = 0; slot < slots; slot++) {
    for (const name of NAMES) {
      const fgh = [standardF(cell), act('Tanh'), act('Tanh')];
      fgh[slot] = act(name);
      out.push({ label: `${'fgh'[slot]} ${name}`, gates: raw(fgh[0], fgh[1], fgh[2]), peepholes: false, invertible: true });
    }
  }
  const std = standardF(cell);
  out.push({ label: 'clip', gates: gatesArray(cell, { f: std, clip: 0.4 }), peepholes: false, invertible: false });
  out.push({
    label: 'clip and other functions',
    gates: raw(act('HardSigmoid'), act('Elu'), act('Tanh'), 0.25),
    peepholes: false,
    invertible: false,
  });
  if (cell === CELL.lstm) {
    out.push({ label: 'peepholes', gates: new Float64Array(0), peepholes: true, invertible: false });
    out.push({ label: 'inputForget', gates: gatesArray(cell, { f: std, inputForget: true }), peepholes: false, invertible: false });
    out.push({
      label: 'everything',
      gates: raw(act('Softsign'), act('Softplus'), act('ScaledTanh'), 0.5, 1),
      peepholes: true,
      invertible: false,
    });
  }
  return out;
}

const CELLS: CellCode[] = [CELL.rnnTanh, CELL.rnnRelu, CELL.lstm, CELL.gru, CELL.gruResetBefore];

/** One problem's data for `cell`. */
function problem(cell: CellCode, seed: number, peepholes: boolean) {
  const rng = makeRng(seed);
  const vec = (len: number, scale = 0.7) => Float64Array.from({ length: len }, () => scale * rng.normal());
  const G = gateCount(cell);
  const st = cell === CELL.lstm ? N * H : 0;
  return {
    x: vec(T * N * N_IN),
    lengths: LENGTHS,
    h0: vec(N * H),
    c0: vec(st),
    w_ih: vec(G * H * N_IN),
    w_hh: vec(G * H * H),
    b_ih: vec(G * H),
    b_hh: vec(G * H),
    p: peepholes ? vec(3 * H) : new Float64Array(0),
    up: { d_output: vec(T * N * H), dh_n: vec(N * H), dc_n: vec(st) },
  };
}
type Problem = ReturnType<typeof problem>;

function runOn(backend: BackendName, fn: () => void): void {
  if (backend === 'js') {
    fn();
    return;
  }
  setBackend(backend);
  fn();
}

const runKernel: typeof jsBackend.run = (kernel, dims, inputs, outputs) => activeBackend().run(kernel, dims, inputs, outputs);

function forward(backend: BackendName, cell: CellCode, pr: Problem, gates: Float64Array, reverse: number, keep: number) {
  const st = cell === CELL.lstm ? N * H : 0;
  const out = {
    output: new Float64Array(T * N * H),
    h_n: new Float64Array(N * H),
    c_n: new Float64Array(st),
    saved: new Float64Array(keep ? T * N * savedBlocks(cell) * H : 0),
  };
  const inputs = { x: pr.x, lengths: pr.lengths, h0: pr.h0, c0: pr.c0, w_ih: pr.w_ih, w_hh: pr.w_hh, b_ih: pr.b_ih, b_hh: pr.b_hh, gates, p: pr.p };
  const dims = { cell, n_in: N_IN, h: H, n: N, t: T, reverse, keep };
  runOn(backend, () => (backend === 'js' ? jsBackend.run('layerForward', dims, inputs, out) : runKernel('layerForward', dims, inputs, out)));
  return out;
}

function backward(backend: BackendName, cell: CellCode, pr: Problem, gates: Float64Array, reverse: number, saved: Float64Array) {
  const G = gateCount(cell);
  const st = cell === CELL.lstm ? N * H : 0;
  const out = {
    dx: new Float64Array(T * N * N_IN),
    dh0: new Float64Array(N * H),
    dc0: new Float64Array(st),
    dw_ih: new Float64Array(G * H * N_IN),
    dw_hh: new Float64Array(G * H * H),
    db_ih: new Float64Array(G * H),
    db_hh: new Float64Array(G * H),
  };
  const inputs = { ...pr.up, saved, x: pr.x, lengths: pr.lengths, h0: pr.h0, c0: pr.c0, w_ih: pr.w_ih, w_hh: pr.w_hh, gates };
  const dims = { cell, n_in: N_IN, h: H, n: N, t: T, reverse };
  runOn(backend, () => (backend === 'js' ? jsBackend.run('layerBackward', dims, inputs, out) : runKernel('layerBackward', dims, inputs, out)));
  return out;
}

const others = BACKENDS.filter((b) => b !== 'js');
afterAll(() => setBackend('js'));

describe.each(others)('the %s backend computes what the js reference computes', (backend) => {
  describe.each(CELLS)('cell %i', (cell) => {
    const cases = setups(cell).flatMap((s) => [0, 1].map((reverse) => [s.label, reverse, s] as const));
    test.each(cases)('%s, reverse %i', (_label, reverse, s) => {
      const pr = problem(cell, 10 + cell * 2 + reverse, s.peepholes);
      for (const keep of s.invertible ? [0, 1] : [0]) {
        const ref = forward('js', cell, pr, s.gates, reverse, keep);
        const got = forward(backend, cell, pr, s.gates, reverse, keep);
        for (const key of ['output', 'h_n', 'c_n', 'saved'] as const) {
          expect(relErr(got[key], ref[key]), `forward ${key}, keep ${keep}`).toBeLessThanOrEqual(TOLERANCE);
        }
        if (!keep) continue;
        const bref = backward('js', cell, pr, s.gates, reverse, ref.saved);
        const bgot = backward(backend, cell, pr, s.gates, reverse, ref.saved);
        for (const key of Object.keys(bref) as (keyof typeof bref)[]) {
          expect(relErr(bgot[key], bref[key]), `backward ${key}`).toBeLessThanOrEqual(TOLERANCE);
        }
      }
    });
  });
});

describe('the js backward equals finite differences of the js forward', () => {
  describe.each(CELLS)('cell %i', (cell) => {
    const cases = setups(cell)
      .filter((s) => s.invertible)
      .map((s) => [s.label, s] as const);
    test.each(cases)('%s', (_label, s) => {
      const reverse = cell % 2;
      const pr = problem(cell, 40 + cell, false);
      const loss = (q: Problem) => {
        const f = forward('js', cell, q, s.gates, reverse, 0);
        let sum = 0;
        for (const [a, b] of [
          [f.output, q.up.d_output],
          [f.h_n, q.up.dh_n],
          [f.c_n, q.up.dc_n],
        ] as const) {
          for (let e = 0; e < a.length; e++) sum += a[e] * b[e];
        }
        return sum;
      };
      const grads = backward('js', cell, pr, s.gates, reverse, forward('js', cell, pr, s.gates, reverse, 1).saved);
      // Five-point central differences: error O(eps⁴), so unbounded gates (Affine, Softplus),
      // whose loss curves steeply, are still measured well above rounding.
      const eps = 1e-4;
      const L = loss(pr);
      for (const [name, grad] of [
        ['x', grads.dx],
        ['h0', grads.dh0],
        ['c0', grads.dc0],
        ['w_ih', grads.dw_ih],
        ['w_hh', grads.dw_hh],
        ['b_ih', grads.db_ih],
        ['b_hh', grads.db_hh],
      ] as const) {
        for (let e = 0; e < grad.length; e++) {
          const at = (delta: number) => {
            const q = { ...pr, [name]: Float64Array.from(pr[name]) };
            q[name][e] += delta;
            return loss(q);
          };
          const fd = (8 * (at(eps) - at(-eps)) - (at(2 * eps) - at(-2 * eps))) / (12 * eps);
          // Plus what rounding the loss allows: unbounded gates (Affine) make it large.
          const tolerance = 1e-6 * (1 + Math.abs(fd)) + (1e-14 * Math.abs(L)) / eps;
          expect(Math.abs(fd - grad[e]), `d${name}[${e}]: ${grad[e]} vs ${fd}`).toBeLessThanOrEqual(tolerance);
        }
      }
    });
  });
});

describe.each(BACKENDS)('the %s backend refuses what the kernels refuse', (backend) => {
  const cell = CELL.lstm;
  const pr = problem(cell, 5, false);
  const good = raw(act('Sigmoid'), act('Tanh'), act('Tanh'));
  const edited = (at: number, v: number) => {
    const g = Float64Array.from(good);
    g[at] = v;
    return g;
  };
  test.each([
    ['a code out of range', edited(0, 11), 0],
    ['a code that is not an integer', edited(3, 1.5), 0],
    ['a non-finite alpha', edited(4, NaN), 0],
    ['a negative clip', edited(9, -1), 0],
    ['inputForget 2', edited(10, 2), 0],
    ['keep with a clip', edited(9, 0.5), 1],
    ['keep with inputForget', edited(10, 1), 1],
    ['11 values wanted', new Float64Array(5), 0],
  ] as const)('forward: %s', (_what, gates, keep) => {
    expect(() => forward(backend, cell, pr, gates, 0, keep)).toThrow();
  });
  test.each([
    ['a clip', edited(9, 0.5)],
    ['inputForget', edited(10, 1)],
    ['LeakyRelu with a negative alpha', Float64Array.from([5, -0.5, 0, ...good.subarray(3)])],
  ] as const)('backward: %s', (_what, gates) => {
    const saved = forward('js', cell, pr, good, 0, 1).saved;
    expect(() => backward(backend, cell, pr, gates, 0, saved)).toThrow();
  });
});
