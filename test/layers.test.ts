/**
 * The recurrent layers `LSTM`, `GRU` and `RNN`:
 * - on the js reference: one step of every cell against its equations written out here, the
 *   packed-sequence semantics (a padded sequence computes what it computes alone, truncated),
 *   and every gradient of `backward` against central finite differences of `forward`, for
 *   every class and option (LSTM, GRU in both reset conventions, RNN tanh and ReLU; one and two
 *   layers, one and two directions, batch-first, without bias, unsorted lengths including 1
 *   and T, given h0/c0);
 * - on every other backend: the same calls agree with the js reference within 1e-10 relative,
 *   and so do the layer kernels themselves, including what forward keeps for backward (`saved`)
 *   and sequences of length 0;
 * - `noGrad`, state dicts (round trip, prefixes, accepted value forms), seeded initialisation,
 *   input forms, and that a result's `backward` is repeatable and keeps its own weights.
 * PyTorch's own numbers are checked by test/layers-torch.test.ts.
 */
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import {
  GRU,
  LSTM,
  RNN,
  setBackend,
  type BackendName,
  type LSTMResult,
  type NDArray,
  type RecurrentResult,
} from '../ts/index.js';
import { jsBackend } from '../ts/backends/js.js';
import { activeBackend } from '../ts/registry.js';
import { BACKENDS, makeRng, maxAbs, maxAbsDiff, randn, relErr, type Rng } from './helpers.js';

type Layer = LSTM | GRU | RNN;
type AnyResult = RecurrentResult | LSTMResult;

interface Config {
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  /** Per-sequence lengths (N of them), or undefined for full sequences. */
  lengths?: number[];
  /** Pass h0 (and c0). */
  states: boolean;
}

interface Kind {
  name: string;
  lstm: boolean;
  make(options: { inputSize: number; hiddenSize: number; seed: number } & Omit<Config, 'lengths' | 'states'>): Layer;
}

const KINDS: Kind[] = [
  { name: 'LSTM', lstm: true, make: (o) => new LSTM(o) },
  { name: 'GRU', lstm: false, make: (o) => new GRU(o) },
  { name: 'GRU linearBeforeReset false', lstm: false, make: (o) => new GRU({ ...o, linearBeforeReset: false }) },
  { name: 'RNN tanh', lstm: false, make: (o) => new RNN(o) },
  { name: 'RNN relu', lstm: false, make: (o) => new RNN({ ...o, nonlinearity: 'relu' }) },
];

const F = 3;
const H = 3;
const T = 4;
const N = 3;

const CONFIGS: Config[] = [
  { numLayers: 1, bidirectional: false, batchFirst: false, bias: true, states: false },
  { numLayers: 2, bidirectional: true, batchFirst: true, bias: true, lengths: [2, 4, 1], states: true },
  { numLayers: 2, bidirectional: false, batchFirst: false, bias: false, lengths: [4, 1, 3], states: true },
  { numLayers: 1, bidirectional: true, batchFirst: false, bias: false, lengths: [3, 4, 3], states: false },
];

const label = (c: Config) =>
  `L${c.numLayers} ${c.bidirectional ? 'bi' : 'uni'} ${c.batchFirst ? 'batchFirst' : 'time-major'} ` +
  `${c.bias ? 'bias' : 'no bias'} ${c.lengths ? `lengths [${c.lengths.join(', ')}]` : 'full'}${c.states ? ' h0/c0' : ''}`;

/** Everything one case needs: the layer, its inputs and random upstream gradients. */
function setup(kind: Kind, c: Config, seed: number) {
  const rng = makeRng(seed);
  const layer = kind.make({ inputSize: F, hiddenSize: H, numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst, bias: c.bias, seed });
  // Nonzero biases even for bias: false would not exist; randomise the weights beyond the init range.
  const sd = layer.stateDict();
  for (const v of Object.values(sd)) for (let i = 0; i < v.data.length; i++) v.data[i] = 0.6 * rng.normal();
  layer.loadStateDict(sd);
  const D = c.bidirectional ? 2 : 1;
  const x = randn(rng, c.batchFirst ? [N, T, F] : [T, N, F]);
  const states = [D * c.numLayers, N, H];
  const args: { h0?: NDArray; c0?: NDArray; lengths?: number[] } = {};
  if (c.states) {
    args.h0 = randn(rng, states, 0.5);
    if (kind.lstm) args.c0 = randn(rng, states, 0.5);
  }
  if (c.lengths) args.lengths = c.lengths.slice();
  const upstream: { output: NDArray; h: NDArray; c?: NDArray } = {
    output: randn(rng, c.batchFirst ? [N, T, D * H] : [T, N, D * H]),
    h: randn(rng, states),
  };
  if (kind.lstm) upstream.c = randn(rng, states);
  return { layer, x, args, upstream };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The loss whose gradients backward returns: Σ output·dOutput + Σ h·dh + Σ c·dc. */
function lossOf(result: AnyResult, up: { output: NDArray; h: NDArray; c?: NDArray }): number {
  let s = dot(result.output.data, up.output.data) + dot(result.h.data, up.h.data);
  if (result.c && up.c) s += dot(result.c.data, up.c.data);
  return s;
}

const STEP = 1e-6;
const FD_TOLERANCE = 1e-7;

/** Central differences of `loss` for every entry of `data` (edited in place, restored). */
function numeric(loss: () => number, data: Float64Array): Float64Array {
  const g = new Float64Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    data[k] = v + STEP;
    const up = loss();
    data[k] = v - STEP;
    const down = loss();
    data[k] = v;
    g[k] = (up - down) / (2 * STEP);
  }
  return g;
}

/** The x time index of batch-first or time-major data: (t, j) → flat offset of its feature 0. */
const at = (c: Config, t: number, j: number, width: number) => (c.batchFirst ? j * T + t : t * N + j) * width;

const worst = new Map<string, number>();
afterAll(() => {
  if (worst.size === 0) return;
  console.log(`worst finite-difference errors:\n${[...worst].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

describe('the layers on the js reference', () => {
  beforeEach(() => setBackend('js'));

  describe.each(KINDS)('$name', (kind) => {
    test.each(CONFIGS.map((c) => [label(c), c] as const))('backward matches finite differences: %s', (_name, c) => {
      const { layer, x, args, upstream } = setup(kind, c, 11);
      const result = layer.forward(x, args);
      const grads = layer.backward(result, upstream);
      const sd = layer.stateDict();
      // Weights are perturbed in `sd` and loaded for each evaluation.
      const loss = () => {
        layer.loadStateDict(sd);
        return lossOf(layer.forward(x, { ...args, noGrad: true }), upstream);
      };
      const check = (what: string, analytic: NDArray, data: Float64Array, shape: number[]) => {
        expect(analytic.shape, what).toEqual(shape);
        const num = numeric(loss, data);
        const err = maxAbsDiff(analytic.data, num) / Math.max(1, maxAbs(num));
        const key = `${kind.name} d${/^(weight|bias)_/.test(what) ? 'params' : what}`;
        worst.set(key, Math.max(worst.get(key) ?? 0, err));
        expect(err, `${kind.name} ${label(c)}: ${what}`).toBeLessThan(FD_TOLERANCE);
      };
      check('x', grads.x, x.data, x.shape);
      const states = [(c.bidirectional ? 2 : 1) * c.numLayers, N, H];
      // h0/c0 as given, or zeros passed explicitly to differentiate at the same point.
      const h0 = args.h0 ?? { data: new Float64Array(states[0] * N * H), shape: states };
      args.h0 = h0;
      check('h0', grads.h0, h0.data, states);
      if (kind.lstm) {
        const c0 = args.c0 ?? { data: new Float64Array(states[0] * N * H), shape: states };
        args.c0 = c0;
        check('c0', grads.c0!, c0.data, states);
      } else {
        expect(grads.c0).toBeUndefined();
      }
      expect(Object.keys(grads.params)).toEqual(Object.keys(sd));
      for (const [key, value] of Object.entries(sd)) check(key, grads.params[key], value.data, value.shape);
      // Padded steps: output exactly 0, dx exactly 0.
      if (c.lengths) {
        const DH = (c.bidirectional ? 2 : 1) * H;
        c.lengths.forEach((L, j) => {
          for (let t = L; t < T; t++) {
            expect(Array.from(result.output.data.subarray(at(c, t, j, DH), at(c, t, j, DH) + DH))).toEqual(new Array(DH).fill(0));
            expect(Array.from(grads.x.data.subarray(at(c, t, j, F), at(c, t, j, F) + F))).toEqual(new Array(F).fill(0));
          }
        });
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// One step of each cell, from its equations

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** W (rows × cols, C order) row `r` · v. */
const rowDot = (W: Float64Array, cols: number, r: number, v: Float64Array) => {
  let s = 0;
  for (let k = 0; k < cols; k++) s += W[r * cols + k] * v[k];
  return s;
};

describe('one step of each cell equals its equations (js)', () => {
  beforeEach(() => setBackend('js'));

  test.each(KINDS)('$name', (kind) => {
    const rng = makeRng(5);
    const layer = kind.make({ inputSize: F, hiddenSize: H, numLayers: 1, bidirectional: false, batchFirst: false, bias: true, seed: 3 });
    const sd = layer.stateDict();
    for (const v of Object.values(sd)) for (let i = 0; i < v.data.length; i++) v.data[i] = rng.normal();
    layer.loadStateDict(sd);
    const x = randn(rng, [1, 1, F]);
    const h0 = randn(rng, [1, 1, H]);
    const c0 = randn(rng, [1, 1, H]);
    const result = layer.forward(x, kind.lstm ? { h0, c0 } : { h0 });
    const [Wi, Wh, bi, bh] = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map((k) => sd[k].data);
    const xv = x.data;
    const h = h0.data;
    const pre = (gate: number, k: number) => rowDot(Wi, F, gate * H + k, xv) + bi[gate * H + k] + rowDot(Wh, H, gate * H + k, h) + bh[gate * H + k];
    const expected = new Float64Array(H);
    const cell = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      if (kind.name === 'RNN tanh') expected[k] = Math.tanh(pre(0, k));
      else if (kind.name === 'RNN relu') expected[k] = Math.max(0, pre(0, k));
      else if (kind.lstm) {
        const [i, f, g, o] = [sig(pre(0, k)), sig(pre(1, k)), Math.tanh(pre(2, k)), sig(pre(3, k))];
        cell[k] = f * c0.data[k] + i * g;
        expected[k] = o * Math.tanh(cell[k]);
      } else {
        const r = sig(pre(0, k));
        const z = sig(pre(1, k));
        const xn = rowDot(Wi, F, 2 * H + k, xv) + bi[2 * H + k];
        let n: number;
        if (kind.name === 'GRU') n = Math.tanh(xn + r * (rowDot(Wh, H, 2 * H + k, h) + bh[2 * H + k]));
        else {
          const rh = h.map((hv, m) => sig(pre(0, m)) * hv);
          n = Math.tanh(xn + rowDot(Wh, H, 2 * H + k, rh) + bh[2 * H + k]);
        }
        expected[k] = (1 - z) * n + z * h[k];
      }
    }
    expect(relErr(result.output.data, expected)).toBeLessThan(1e-14);
    expect(relErr(result.h.data, expected)).toBeLessThan(1e-14);
    if (kind.lstm) expect(relErr(result.c!.data, cell)).toBeLessThan(1e-14);
  });
});

describe('lengths: a padded sequence computes what it computes alone (js)', () => {
  beforeEach(() => setBackend('js'));

  test.each(KINDS)('$name, two layers, bidirectional', (kind) => {
    const c: Config = { numLayers: 2, bidirectional: true, batchFirst: false, bias: true, lengths: [2, 4, 1], states: true };
    const { layer, x, args } = setup(kind, c, 21);
    const all = layer.forward(x, args);
    const D = 2;
    c.lengths!.forEach((L, j) => {
      // Sequence j alone: its first L steps, its own h0/c0.
      const xj = new Float64Array(L * F);
      for (let t = 0; t < L; t++) xj.set(x.data.subarray((t * N + j) * F, (t * N + j + 1) * F), t * F);
      const state = (s: NDArray) => {
        const out = new Float64Array(D * 2 * H);
        for (let k = 0; k < D * 2; k++) out.set(s.data.subarray((k * N + j) * H, (k * N + j + 1) * H), k * H);
        return { data: out, shape: [D * 2, 1, H] };
      };
      const alone = layer.forward({ data: xj, shape: [L, 1, F] }, kind.lstm ? { h0: state(args.h0!), c0: state(args.c0!) } : { h0: state(args.h0!) });
      for (let t = 0; t < L; t++) {
        const got = all.output.data.subarray((t * N + j) * D * H, (t * N + j + 1) * D * H);
        expect(relErr(got, alone.output.data.subarray(t * D * H, (t + 1) * D * H)), `sequence ${j} step ${t}`).toBeLessThan(1e-14);
      }
      expect(relErr(state(all.h).data, alone.h.data)).toBeLessThan(1e-14);
      if (kind.lstm) expect(relErr(state(all.c!).data, alone.c!.data)).toBeLessThan(1e-14);
      // The reverse direction's h is its state after step 0: output[0]'s second half (last layer).
      const last = all.h.data.subarray((3 * N + j) * H, (3 * N + j + 1) * H);
      expect(Array.from(last)).toEqual(Array.from(all.output.data.subarray(j * D * H + H, (j + 1) * D * H)));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Every backend against the js reference

const AGREEMENT = 1e-10;

/** Runs forward and backward of one case on `backend`. */
function runOn(backend: BackendName, kind: Kind, c: Config) {
  setBackend(backend);
  const { layer, x, args, upstream } = setup(kind, c, 31);
  const result = layer.forward(x, args);
  const grads = layer.backward(result, upstream);
  const inference = layer.forward(x, { ...args, noGrad: true });
  return { result, grads, inference };
}

const others = BACKENDS.filter((b) => b !== 'js');

describe.each(others)('the %s backend agrees with the js reference', (backend) => {
  describe.each(KINDS)('$name', (kind) => {
    test.each(CONFIGS.map((c) => [label(c), c] as const))('%s', (_name, c) => {
      const ref = runOn('js', kind, c);
      const got = runOn(backend, kind, c);
      const close = (what: string, a: NDArray | undefined, b: NDArray | undefined) => {
        expect(a?.shape, what).toEqual(b?.shape);
        if (a && b) expect(relErr(a.data, b.data), `${backend} ${kind.name} ${label(c)}: ${what}`).toBeLessThanOrEqual(AGREEMENT);
      };
      close('output', got.result.output, ref.result.output);
      close('h', got.result.h, ref.result.h);
      close('c', got.result.c, ref.result.c);
      close('output (noGrad)', got.inference.output, ref.result.output);
      close('dx', got.grads.x, ref.grads.x);
      close('dh0', got.grads.h0, ref.grads.h0);
      close('dc0', got.grads.c0, ref.grads.c0);
      for (const key of Object.keys(ref.grads.params)) close(`d${key}`, got.grads.params[key], ref.grads.params[key]);
    });
  });

  // The kernels directly: every cell, both directions, lengths from 0 to t, including what
  // forward keeps for backward, which must be laid out exactly as the reference lays it out.
  describe('the layer kernels', () => {
    const CELLS = [
      { cell: 0, G: 1, S: 1, lstm: false },
      { cell: 1, G: 1, S: 1, lstm: false },
      { cell: 2, G: 4, S: 6, lstm: true },
      { cell: 3, G: 3, S: 5, lstm: false },
      { cell: 4, G: 3, S: 5, lstm: false },
    ];
    const cases = CELLS.flatMap((k) => [0, 1].map((reverse) => [k.cell, reverse, k] as const));
    test.each(cases)('cell %i, reverse %i', (_cell, reverse, k) => {
      const rng: Rng = makeRng(100 + k.cell * 2 + reverse);
      const [n_in, h, n, t] = [4, 3, 5, 6];
      const lengths = Float64Array.of(3, 0, 6, 1, 3); // unsorted, a tie, 0 and t
      const vec = (len: number, scale = 0.7) => Float64Array.from({ length: len }, () => scale * rng.normal());
      const st = k.lstm ? n * h : 0;
      const inputs = {
        x: vec(t * n * n_in),
        lengths,
        h0: vec(n * h),
        c0: vec(st),
        w_ih: vec(k.G * h * n_in),
        w_hh: vec(k.G * h * h),
        b_ih: vec(k.G * h),
        b_hh: vec(k.G * h),
        gates: new Float64Array(0),
        p: new Float64Array(0),
      };
      const dims = { cell: k.cell, n_in, h, n, t, reverse, keep: 1 };
      const fwd = () => ({ output: new Float64Array(t * n * h), h_n: new Float64Array(n * h), c_n: new Float64Array(st), saved: new Float64Array(t * n * k.S * h) });
      const ref = fwd();
      jsBackend.run('layerForward', dims, inputs, ref);
      setBackend(backend);
      const got = fwd();
      activeBackend().run('layerForward', dims, inputs, got);
      for (const key of ['output', 'h_n', 'c_n', 'saved'] as const) {
        expect(relErr(got[key], ref[key]), `layerForward ${key}`).toBeLessThanOrEqual(AGREEMENT);
      }
      const bdims = { cell: k.cell, n_in, h, n, t, reverse };
      const binputs = {
        d_output: vec(t * n * h),
        dh_n: vec(n * h),
        dc_n: vec(st),
        saved: ref.saved,
        x: inputs.x,
        lengths,
        h0: inputs.h0,
        c0: inputs.c0,
        w_ih: inputs.w_ih,
        w_hh: inputs.w_hh,
        gates: inputs.gates,
      };
      const bwd = () => ({
        dx: new Float64Array(t * n * n_in),
        dh0: new Float64Array(n * h),
        dc0: new Float64Array(st),
        dw_ih: new Float64Array(k.G * h * n_in),
        dw_hh: new Float64Array(k.G * h * h),
        db_ih: new Float64Array(k.G * h),
        db_hh: new Float64Array(k.G * h),
      });
      const bref = bwd();
      jsBackend.run('layerBackward', bdims, binputs, bref);
      const bgot = bwd();
      activeBackend().run('layerBackward', bdims, binputs, bgot);
      for (const key of Object.keys(bref) as (keyof typeof bref)[]) {
        expect(relErr(bgot[key], bref[key]), `layerBackward ${key}`).toBeLessThanOrEqual(AGREEMENT);
      }
      // A length-0 sequence: h_n = h0, no output, no gradient but dh0 = dh_n.
      expect(Array.from(ref.h_n.subarray(h, 2 * h))).toEqual(Array.from(inputs.h0.subarray(h, 2 * h)));
      expect(Array.from(bref.dh0.subarray(h, 2 * h))).toEqual(Array.from(binputs.dh_n.subarray(h, 2 * h)));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The API on every backend

describe.each(BACKENDS)('the layer API on the %s backend', (backend) => {
  beforeEach(() => setBackend(backend));

  test('noGrad gives the same outputs and no backward', () => {
    const c = CONFIGS[1];
    const { layer, x, args } = setup(KINDS[0], c, 41);
    const full = layer.forward(x, args);
    const inference = layer.forward(x, { ...args, noGrad: true });
    expect(Array.from(inference.output.data)).toEqual(Array.from(full.output.data));
    expect(Array.from(inference.h.data)).toEqual(Array.from(full.h.data));
    expect(Array.from(inference.c!.data)).toEqual(Array.from(full.c!.data));
    expect(() => layer.backward(inference)).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringMatching(/noGrad/) }));
  });

  test('a result holds only its arrays; backward is repeatable and uses the weights of its forward', () => {
    const kind = KINDS[1];
    const c = CONFIGS[2];
    const { layer, x, args, upstream } = setup(kind, c, 43);
    const result = layer.forward(x, args);
    expect(Object.keys(result)).toEqual(['output', 'h']);
    expect(result.output.data).toBeInstanceOf(Float64Array);
    const first = layer.backward(result, upstream);
    const before = layer.stateDict();
    const other = kind.make({ inputSize: F, hiddenSize: H, numLayers: 2, bidirectional: false, batchFirst: false, bias: false, seed: 99 });
    layer.loadStateDict(other.stateDict());
    const again = layer.backward(result, upstream);
    expect(Array.from(again.x.data)).toEqual(Array.from(first.x.data));
    for (const key of Object.keys(first.params)) expect(Array.from(again.params[key].data)).toEqual(Array.from(first.params[key].data));
    layer.loadStateDict(before);
    // Absent upstream gradients are zero.
    const zero = layer.backward(result);
    expect(maxAbs(zero.x.data)).toBe(0);
    const onlyH = layer.backward(result, { h: upstream.h });
    const withZeroOutput = layer.backward(result, { h: upstream.h, output: { data: new Float64Array(upstream.output.data.length), shape: upstream.output.shape } });
    expect(Array.from(onlyH.x.data)).toEqual(Array.from(withZeroOutput.x.data));
  });

  test('inputs as nested arrays, Float32Array data and Int32Array lengths give the same results', () => {
    const c = CONFIGS[1];
    const { layer, x, args } = setup(KINDS[0], c, 47);
    const x32 = { data: Float32Array.from(x.data), shape: x.shape };
    const h32 = { data: Float32Array.from(args.h0!.data), shape: args.h0!.shape };
    const c32 = { data: Float32Array.from(args.c0!.data), shape: args.c0!.shape };
    const exact = layer.forward(
      { data: Float64Array.from(x32.data), shape: x.shape },
      { h0: { data: Float64Array.from(h32.data), shape: h32.shape }, c0: { data: Float64Array.from(c32.data), shape: c32.shape }, lengths: args.lengths },
    );
    const converted = layer.forward(x32, { h0: h32, c0: c32, lengths: Int32Array.from(args.lengths!) });
    expect(Array.from(converted.output.data)).toEqual(Array.from(exact.output.data));
    const nested = (a: NDArray) => {
      const [p, q, r] = a.shape;
      return Array.from({ length: p }, (_, i) => Array.from({ length: q }, (_, j) => Array.from(a.data.subarray((i * q + j) * r, (i * q + j + 1) * r))));
    };
    const fromNested = layer.forward(nested(x), { h0: nested(args.h0!), c0: nested(args.c0!), lengths: args.lengths });
    const direct = layer.forward(x, args);
    expect(Array.from(fromNested.output.data)).toEqual(Array.from(direct.output.data));
    expect(fromNested.output.shape).toEqual([N, T, 2 * H]);
  });
});

// ---------------------------------------------------------------------------------------------
// State dicts and initialisation (no kernel involved)

describe('state dicts', () => {
  test('keys, shapes and order are PyTorch\'s', () => {
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 1 });
    const sd = lstm.stateDict();
    const keys: string[] = [];
    for (const l of [0, 1]) for (const s of ['', '_reverse']) keys.push(...['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((k) => `${k}_l${l}${s}`));
    expect(Object.keys(sd)).toEqual(keys);
    expect(sd.weight_ih_l0.shape).toEqual([16, 5]);
    expect(sd.weight_ih_l1_reverse.shape).toEqual([16, 8]);
    expect(sd.weight_hh_l1.shape).toEqual([16, 4]);
    expect(sd.bias_hh_l0_reverse.shape).toEqual([16]);
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, bias: false, seed: 1 });
    expect(Object.keys(gru.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0', 'weight_ih_l1', 'weight_hh_l1']);
    expect(gru.stateDict().weight_ih_l1.shape).toEqual([9, 3]);
    expect(new RNN({ inputSize: 2, hiddenSize: 3, seed: 1 }).stateDict().weight_hh_l0.shape).toEqual([3, 3]);
  });

  test('round trip: another layer loaded with a state dict computes the same, and the dict is a copy', () => {
    setBackend('js');
    const a = new GRU({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 7 });
    const b = new GRU({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 8 });
    const x = randn(makeRng(1), [4, 2, 3]);
    expect(Array.from(b.forward(x).output.data)).not.toEqual(Array.from(a.forward(x).output.data));
    const sd = a.stateDict();
    b.loadStateDict(sd);
    expect(Array.from(b.forward(x).output.data)).toEqual(Array.from(a.forward(x).output.data));
    sd.weight_ih_l0.data.fill(0); // changing a returned dict changes neither layer
    expect(Array.from(b.forward(x).output.data)).toEqual(Array.from(a.forward(x).output.data));
    expect(Array.from(b.stateDict().weight_ih_l0.data)).toEqual(Array.from(a.stateDict().weight_ih_l0.data));
  });

  test('values as Float32Array, number[], nested arrays or flat data; a prefix selects keys', () => {
    const a = new RNN({ inputSize: 2, hiddenSize: 3, seed: 3 });
    const sd = a.stateDict();
    const f32 = (v: NDArray) => Float32Array.from(v.data);
    const forms = {
      weight_ih_l0: { data: f32(sd.weight_ih_l0), shape: [3, 2] },
      weight_hh_l0: Array.from({ length: 3 }, (_, i) => Array.from(sd.weight_hh_l0.data.subarray(i * 3, i * 3 + 3))),
      bias_ih_l0: Array.from(sd.bias_ih_l0.data),
      bias_hh_l0: f32(sd.bias_hh_l0),
    };
    const b = new RNN({ inputSize: 2, hiddenSize: 3, seed: 4 });
    b.loadStateDict(forms);
    const got = b.stateDict();
    expect(Array.from(got.weight_ih_l0.data)).toEqual(Array.from(f32(sd.weight_ih_l0)));
    expect(Array.from(got.weight_hh_l0.data)).toEqual(Array.from(sd.weight_hh_l0.data));
    expect(Array.from(got.bias_hh_l0.data)).toEqual(Array.from(f32(sd.bias_hh_l0)));
    // A bare flat Float64Array (no shape of its own) of the right length is the C-ordered data.
    b.loadStateDict({ ...sd, weight_ih_l0: Float64Array.from(sd.weight_ih_l0.data) });
    expect(Array.from(b.stateDict().weight_ih_l0.data)).toEqual(Array.from(sd.weight_ih_l0.data));
    // A whole model's dict: only "rnn." keys are read, under both prefix forms.
    const model: Record<string, NDArray> = { 'decoder.weight': { data: new Float64Array(6), shape: [2, 3] } };
    for (const [k, v] of Object.entries(sd)) model[`rnn.${k}`] = v;
    const c = new RNN({ inputSize: 2, hiddenSize: 3, seed: 5 });
    c.loadStateDict(model, 'rnn.');
    expect(Array.from(c.stateDict().weight_hh_l0.data)).toEqual(Array.from(sd.weight_hh_l0.data));
    const d = new RNN({ inputSize: 2, hiddenSize: 3, seed: 6 });
    d.loadStateDict(model, { prefix: 'rnn.' });
    expect(Array.from(d.stateDict().bias_ih_l0.data)).toEqual(Array.from(sd.bias_ih_l0.data));
  });
});

describe('seeded initialisation', () => {
  test('the same seed gives the same weights; another seed others', () => {
    const a = new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 12 }).stateDict();
    const b = new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 12 }).stateDict();
    const c = new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 13 }).stateDict();
    for (const key of Object.keys(a)) {
      expect(Array.from(b[key].data), key).toEqual(Array.from(a[key].data));
      expect(Array.from(c[key].data), key).not.toEqual(Array.from(a[key].data));
    }
    // Without a seed, two layers differ (as PyTorch's do).
    const u = new GRU({ inputSize: 4, hiddenSize: 5 }).stateDict();
    const v = new GRU({ inputSize: 4, hiddenSize: 5 }).stateDict();
    expect(Array.from(u.weight_ih_l0.data)).not.toEqual(Array.from(v.weight_ih_l0.data));
  });

  test.each([
    ['LSTM', () => new LSTM({ inputSize: 30, hiddenSize: 25, numLayers: 2, bidirectional: true, seed: 1 }), 25],
    ['GRU', () => new GRU({ inputSize: 30, hiddenSize: 16, numLayers: 2, seed: 2 }), 16],
    ['RNN', () => new RNN({ inputSize: 30, hiddenSize: 9, seed: 3 }), 9],
  ] as const)('%s: every weight and bias uniform in ±1/√H', (_name, make, hidden) => {
    const bound = 1 / Math.sqrt(hidden);
    const all: number[] = [];
    for (const [key, v] of Object.entries(make().stateDict())) {
      for (const value of v.data) expect(Math.abs(value), key).toBeLessThanOrEqual(bound);
      all.push(...v.data);
    }
    // Spread over the whole interval, centred: mean ≈ 0, variance ≈ bound²/3.
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const variance = all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan((4 * bound) / Math.sqrt(3 * all.length));
    expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
    expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
    expect(Math.max(...all)).toBeGreaterThan(0.95 * bound);
    expect(Math.min(...all)).toBeLessThan(-0.95 * bound);
  });
});

