/**
 * The relaxed-SIMD module (wasm/rnn_wasm_relaxed.wasm): chosen at load where the engine validates
 * relaxed SIMD, the SIMD128 module otherwise, `RNN_WASM_SIMD` and `init`'s `simd` option forcing
 * either; and its results against the SIMD128 module's and the js reference's.
 *
 * Node 20 runs relaxed SIMD only under `--experimental-wasm-relaxed-simd` (a V8 flag that
 * NODE_OPTIONS refuses), so the comparisons run in child processes started with it. In-process
 * checks follow whatever this process runs: CI runs this file again under the flag with
 * `RNN_WASM_SIMD=relaxed` (vitest's --execArgv), where the module loaded must be the relaxed one.
 *
 * Tolerance: the relaxed module differs from the SIMD128 one only in its GEMM tile, whose
 * multiply-adds the engine may fuse (one rounding instead of two). Each dot product then moves
 * by at most about k units in the last place of Σ|a·b|; through the gates and T steps of
 * recurrence that stays far below RELAXED_TOLERANCE (relative to each output's largest
 * magnitude), and every output stays within the notebook parity bound, 1e-10, of the js
 * reference.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test, vi } from 'vitest';
import { getBackend, init, lstm_forward, setBackend } from '../ts/index.js';
import { chooseWasmSimd, relaxedSimdSupported, wasmSimd } from '../ts/load-wasm.js';
import { lstmParams, makeRng, randn } from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLAG = '--experimental-wasm-relaxed-simd';
/** Largest |relaxed − simd128| over an output, relative to max(1, the output's largest |value|). */
const RELAXED_TOLERANCE = 1e-12;
/** The notebook parity bound, the same relative measure against the js reference. */
const PARITY_TOLERANCE = 1e-10;

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
/** Whether this process runs relaxed SIMD: Node 22+, or Node 20 under the flag. */
const HERE_RELAXED = NODE_MAJOR >= 22 || process.execArgv.includes(FLAG);

/**
 * Run in a child from the repository root: the notebook functions and the LSTM and GRU layers
 * (forward and backward) on the backend BACKEND, every output flattened, as JSON.
 */
const CHILD = `
import * as api from './dist/index.js';
import { relaxedSimdSupported, wasmSimd } from './dist/load-wasm.js';
api.setBackend(process.env.BACKEND);
let s = 12345;
const rand = (n, scale = 1) => Float64Array.from({ length: n }, () => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return (s / 2 ** 32 - 0.5) * 2 * scale;
});
const nd = (shape, scale) => ({ data: rand(shape.reduce((a, b) => a * b, 1), scale), shape });
const [n_x, n_a, n_y, m, T] = [48, 64, 5, 6, 10];
const ws = 1 / Math.sqrt(n_a + n_x);
const x = nd([n_x, m, T], 1), a0 = nd([n_a, m], 1), da = nd([n_a, m, T], 1);
const lstm = { Wy: nd([n_y, n_a], ws), by: nd([n_y, 1], ws) };
for (const g of 'fico') Object.assign(lstm, { ['W' + g]: nd([n_a, n_a + n_x], ws), ['b' + g]: nd([n_a, 1], ws) });
const rnn = { Wax: nd([n_a, n_x], ws), Waa: nd([n_a, n_a], ws), Wya: nd([n_y, n_a], ws), ba: nd([n_a, 1], ws), by: nd([n_y, 1], ws) };
const out = {};
const collect = (name, v) => {
  if (v === null || typeof v !== 'object') return;
  // JSON has no NaN, infinities or -0: those travel as strings.
  if (ArrayBuffer.isView(v)) out[name] = Array.from(v, (e) => (Number.isFinite(e) && !Object.is(e, -0) ? e : String(Object.is(e, -0) ? '-0' : e)));
  else if (Array.isArray(v)) v.forEach((e, i) => collect(name + '.' + i, e));
  else for (const [k, e] of Object.entries(v)) collect(name + '.' + k, e);
};
const lf = api.lstm_forward(x, a0, lstm);
collect('lstm_forward', lf.slice(0, 3));
collect('lstm_backward', api.lstm_backward(da, lf[3]));
const rf = api.rnn_forward(x, a0, rnn);
collect('rnn_forward', rf.slice(0, 2));
collect('rnn_backward', api.rnn_backward(da, rf[2]));
const xl = nd([T, m, n_x], 1);
for (const Layer of [api.LSTM, api.GRU]) {
  const layer = new Layer({ inputSize: n_x, hiddenSize: n_a, numLayers: 2, bidirectional: true, seed: 7 });
  const r = layer.forward(xl);
  collect(Layer.name + '.forward', r);
  collect(Layer.name + '.backward', layer.backward(r));
}
// Special values: a NaN, infinities and -0 must come out as the SIMD128 module gives them.
const xs = nd([n_x, m, T], 1);
[NaN, Infinity, -Infinity, -0].forEach((v, i) => { xs.data[i * 97 + 5] = v; });
collect('lstm_forward_special', api.lstm_forward(xs, a0, lstm).slice(0, 3));
collect('rnn_forward_special', api.rnn_forward(xs, a0, rnn).slice(0, 2));
collect('sigmoid_special', api.sigmoid({ data: Float64Array.of(NaN, Infinity, -Infinity, -0, 0, 5e-324, 1e308), shape: [7] }));
process.stdout.write(JSON.stringify({ simd: wasmSimd() ?? null, supported: relaxedSimdSupported(), backend: api.getBackend(), out }));
`;

interface ChildResult {
  simd: string | null;
  supported: boolean;
  backend: string;
  /** Output values; NaN, ±Infinity and -0 as strings. */
  out: Record<string, (number | string)[]>;
}

/** Runs CHILD in a fresh node with `flags` and the environment `env` on top of this one's. */
function runChild(flags: string[], env: Record<string, string | undefined>): { result: ChildResult; stderr: string } {
  const childEnv: Record<string, string | undefined> = { ...process.env, RNN_WASM_BACKEND: undefined, RNN_WASM_SIMD: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', CHILD], {
    cwd: REPO_ROOT,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`child node failed (${r.status}): ${r.stderr}`);
  return { result: JSON.parse(r.stdout) as ChildResult, stderr: r.stderr };
}

/**
 * |a − b|, with NaN, the infinities and -0 (strings, see CHILD) compared exactly: 0 when both
 * are the same special value, Infinity when only one is.
 */
function difference(a: number | string, b: number | string): number {
  if (typeof a === 'string' || typeof b === 'string') return a === b ? 0 : Infinity;
  return Math.abs(a - b);
}

/** max over outputs of max|a − b| / max(1, max|b|), and the output where it is reached. */
function worstRelative(a: ChildResult, b: ChildResult): { error: number; where: string } {
  let worst = { error: 0, where: '' };
  expect(Object.keys(a.out).sort()).toEqual(Object.keys(b.out).sort());
  for (const [name, ref] of Object.entries(b.out)) {
    const got = a.out[name];
    expect(got.length, name).toBe(ref.length);
    const scale = Math.max(1, ...ref.map((v) => (typeof v === 'number' ? Math.abs(v) : 0)));
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, difference(got[i], ref[i]));
    if (!(diff / scale <= worst.error)) worst = { error: diff / scale, where: name };
  }
  return worst;
}

describe('in this process', () => {
  test('relaxed SIMD is detected exactly where this engine runs it', () => {
    expect(relaxedSimdSupported()).toBe(HERE_RELAXED);
  });

  test('the module loaded at import is the one RNN_WASM_SIMD and the engine call for', () => {
    const before = getBackend();
    setBackend('wasm');
    const requested = process.env.RNN_WASM_SIMD;
    // A run that asks for relaxed SIMD (CI's, under the flag) must really have it.
    if (requested === 'relaxed') expect(HERE_RELAXED, `RNN_WASM_SIMD=relaxed needs Node 22+ or ${FLAG}`).toBe(true);
    expect(wasmSimd()).toBe(requested === 'simd128' || !HERE_RELAXED ? 'simd128' : 'relaxed');
    setBackend(before);
  });

  test('a bad simd option is ERR_RNN_TYPE, from chooseWasmSimd and from init', async () => {
    expect(() => chooseWasmSimd('fma')).toThrow(expect.objectContaining({ code: 'ERR_RNN_TYPE' }) as Error);
    await expect(init(undefined, { simd: 'avx' as 'auto' })).rejects.toMatchObject({ code: 'ERR_RNN_TYPE' });
  });

  test("init(undefined, { simd }) loads that shipped module; 'relaxed' without engine support gives simd128", async () => {
    const rng = makeRng(3);
    const D = { n_x: 3, n_a: 4, n_y: 2, m: 2, T_x: 3 };
    const x = randn(rng, [D.n_x, D.m, D.T_x]);
    const a0 = randn(rng, [D.n_a, D.m]);
    const p = lstmParams(rng, D);
    setBackend('js');
    const reference = lstm_forward(x, a0, p)[0].data;
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    for (const simd of ['simd128', 'relaxed', 'auto'] as const) {
      setBackend('wasm');
      warning.mockClear();
      await expect(init(undefined, { simd })).resolves.toBe('wasm');
      expect(wasmSimd()).toBe(simd === 'simd128' || !HERE_RELAXED ? 'simd128' : 'relaxed');
      expect(warning).toHaveBeenCalledTimes(simd === 'relaxed' && !HERE_RELAXED ? 1 : 0);
      const a = lstm_forward(x, a0, p)[0].data;
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - reference[i])).toBeLessThanOrEqual(1e-12);
    }
    warning.mockRestore();
  });
});

describe(`in child processes under ${FLAG}`, () => {
  const simd128 = runChild([FLAG], { BACKEND: 'wasm', RNN_WASM_SIMD: 'simd128' });
  const relaxed = runChild([FLAG], { BACKEND: 'wasm', RNN_WASM_SIMD: 'relaxed' });
  const automatic = runChild([FLAG], { BACKEND: 'wasm' });
  const reference = runChild([], { BACKEND: 'js' });

  test('each loads the module asked for, and the default is the relaxed one', () => {
    expect([simd128.result.simd, relaxed.result.simd, automatic.result.simd]).toEqual(['simd128', 'relaxed', 'relaxed']);
    expect(relaxed.result.supported).toBe(true);
    expect(relaxed.result.backend).toBe('wasm');
    expect(relaxed.stderr).toBe('');
  });

  test(`the relaxed module's results are the SIMD128 module's within ${RELAXED_TOLERANCE} (relative)`, () => {
    const { error, where } = worstRelative(relaxed.result, simd128.result);
    expect(error, where).toBeLessThanOrEqual(RELAXED_TOLERANCE);
  });

  test(`both are within the parity bound ${PARITY_TOLERANCE} of the js reference`, () => {
    for (const run of [relaxed, simd128, automatic]) {
      const { error, where } = worstRelative(run.result, reference.result);
      expect(error, `${run.result.simd ?? ''} ${where}`).toBeLessThanOrEqual(PARITY_TOLERANCE);
    }
  });
});

describe.runIf(NODE_MAJOR < 22)('in a child process without the flag (Node 20)', () => {
  test('RNN_WASM_SIMD=relaxed warns and loads the SIMD128 module', () => {
    const { result, stderr } = runChild([], { BACKEND: 'wasm', RNN_WASM_SIMD: 'relaxed' });
    expect(result.supported).toBe(false);
    expect(result.simd).toBe('simd128');
    expect(stderr).toMatch(/relaxed SIMD was asked for but this engine does not validate it/);
  });
});

test('a bad RNN_WASM_SIMD warns and chooses automatically', () => {
  const { result, stderr } = runChild([FLAG], { BACKEND: 'wasm', RNN_WASM_SIMD: 'fast' });
  expect(result.simd).toBe('relaxed');
  expect(stderr).toMatch(/RNN_WASM_SIMD="fast" is not one of auto, simd128, relaxed/);
});
