/**
 * Backend control: the default at load, RNN_WASM_BACKEND, setBackend / getBackend /
 * backendErrors, the package entry points from plain Node, and wasm trap recovery.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  backendErrors,
  getBackend,
  lstm_backward,
  lstm_cell_backward,
  lstm_cell_forward,
  lstm_forward,
  rnn_backward,
  rnn_cell_backward,
  rnn_cell_forward,
  rnn_forward,
  setBackend,
  sigmoid,
  softmax,
  type BackendName,
  type NDArray,
} from '../ts/index.js';
import { activeBackend } from '../ts/registry.js';
import { platformName } from '../ts/backends/native.js';
import { loadWasmBackend, type WasmBackend } from '../ts/backends/wasm.js';
import {
  BACKENDS,
  DEFAULT_BACKEND,
  NATIVE_AVAILABLE,
  NATIVE_REQUIRED,
  lstmParams,
  makeRng,
  randn,
  relErr,
  rnnParams,
  sameValues,
  type Dims,
} from './helpers.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const D: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 6 };
const rng = makeRng(21);
const x = randn(rng, [D.n_x, D.m, D.T_x]);
const a0 = randn(rng, [D.n_a, D.m]);
const da = randn(rng, [D.n_a, D.m, D.T_x]);
const rp = rnnParams(rng, D);
const lp = lstmParams(rng, D);

/** Every output of an LSTM and an RNN forward + backward, by name. */
function compute(): Record<string, NDArray> {
  const [a, y, c, caches] = lstm_forward(x, a0, lp);
  const [ra, ry, rcaches] = rnn_forward(x, a0, rp);
  return { a, y, c, ...lstm_backward(da, caches), ra, ry, ...prefixed(rnn_backward(da, rcaches)) };
}
function prefixed(o: object): Record<string, NDArray> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`rnn.${k}`, v as NDArray]));
}
function expectIdentical(got: Record<string, NDArray>, exp: Record<string, NDArray>): void {
  expect(Object.keys(got)).toEqual(Object.keys(exp));
  for (const key of Object.keys(exp)) {
    expect(got[key].shape, key).toEqual(exp[key].shape);
    expect(sameValues(got[key].data, exp[key].data), `${key} differs`).toBe(true);
  }
}
function thrownBy(run: () => unknown): Error & { code?: string; cause?: unknown } {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}

/** Runs an ES module snippet in a fresh `node` from the repository root. */
function runNode(code: string, backendEnv: string | undefined) {
  const env = { ...process.env };
  delete env.RNN_WASM_BACKEND;
  if (backendEnv !== undefined) env.RNN_WASM_BACKEND = backendEnv;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

// Runs first in this file, before anything switches the backend.
test('the backend chosen at load is native when built, else wasm (or RNN_WASM_BACKEND when it names a loadable one)', () => {
  const requested = process.env.RNN_WASM_BACKEND;
  const loadable = requested === 'js' || requested === 'wasm' || (requested === 'native' && NATIVE_AVAILABLE);
  const expected: BackendName = loadable ? requested : DEFAULT_BACKEND;
  expect(getBackend()).toBe(expected);
});

describe('setBackend / getBackend / backendErrors', () => {
  test('switches between js and wasm, and both compute the same values', () => {
    setBackend('js');
    expect(getBackend()).toBe('js');
    const js = compute();
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    const wasm = compute();
    for (const key of Object.keys(js)) {
      expect(wasm[key].shape, key).toEqual(js[key].shape);
      expect(relErr(wasm[key].data, js[key].data), key).toBeLessThanOrEqual(1e-12);
    }
    setBackend('js');
    expect(getBackend()).toBe('js');
    expectIdentical(compute(), js);
    setBackend('wasm');
    expectIdentical(compute(), wasm);
  });

  test.runIf(NATIVE_REQUIRED)('the native addon is required here, and it loads', () => {
    expect(backendErrors().native).toBeUndefined();
    setBackend('native');
    expect(getBackend()).toBe('native');
  });

  test.runIf(NATIVE_AVAILABLE)('switches to native, which agrees with js and wasm to 1e-12', () => {
    setBackend('wasm');
    const wasm = compute();
    setBackend('native');
    expect(getBackend()).toBe('native');
    const native = compute();
    for (const key of Object.keys(wasm)) {
      expect(native[key].shape, key).toEqual(wasm[key].shape);
      expect(relErr(native[key].data, wasm[key].data), key).toBeLessThanOrEqual(1e-12);
    }
    expectIdentical(compute(), native);
    expect(backendErrors()).toEqual({});
  });

  test.skipIf(NATIVE_AVAILABLE).each(['js', 'wasm'] as const)("setBackend('native') throws ERR_RNN_BACKEND_UNAVAILABLE and keeps %s", (current) => {
    setBackend(current);
    const before = compute();
    const err = thrownBy(() => setBackend('native'));
    expect(err.constructor).toBe(Error);
    expect(err.code).toBe('ERR_RNN_BACKEND_UNAVAILABLE');
    expect(err.message).toContain('native');
    expect(getBackend()).toBe(current);
    expectIdentical(compute(), before);
  });

  test.skipIf(NATIVE_AVAILABLE)('backendErrors() explains why native is unavailable, and lists nothing else', () => {
    const errors = backendErrors();
    expect(Object.keys(errors)).toEqual(['native']);
    expect(typeof errors.native).toBe('string');
    expect(errors.native).toMatch(/native addon/);
    // The reason also reaches the setBackend error.
    expect(thrownBy(() => setBackend('native')).message).toContain(errors.native!);
  });

  test('unknown names throw a TypeError with ERR_RNN_BACKEND and keep the backend', () => {
    setBackend('wasm');
    for (const name of ['gpu', 'WASM', '', 'js ', 42, null]) {
      const err = thrownBy(() => setBackend(name as BackendName));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.code).toBe('ERR_RNN_BACKEND');
      expect(err.message).toContain('native, wasm, js');
      expect(getBackend()).toBe('wasm');
    }
  });
});

describe('wasm agrees with the js reference beyond the fixture shapes', () => {
  const SHAPES: Dims[] = [
    { n_x: 7, n_a: 33, n_y: 5, m: 13, T_x: 9 },
    { n_x: 2, n_a: 65, n_y: 3, m: 1, T_x: 4 },
    { n_x: 17, n_a: 9, n_y: 11, m: 31, T_x: 3 },
    { n_x: 64, n_a: 128, n_y: 10, m: 32, T_x: 3 },
  ];
  test.each(SHAPES.map((d) => [`(${d.n_x}, ${d.n_a}, ${d.n_y}, ${d.m}, ${d.T_x})`, d] as const))(
    '(n_x, n_a, n_y, m, T_x) = %s: every output of the sequence and cell functions within 1e-12',
    (_, d) => {
      const r = makeRng(d.n_x * 1000 + d.n_a);
      const args = {
        x: randn(r, [d.n_x, d.m, d.T_x]),
        a0: randn(r, [d.n_a, d.m]),
        c0: randn(r, [d.n_a, d.m]),
        da: randn(r, [d.n_a, d.m, d.T_x]),
        dc: randn(r, [d.n_a, d.m]),
        rp: rnnParams(r, d),
        lp: lstmParams(r, d),
      };
      const xt = { data: args.x.data.filter((_, i) => i % d.T_x === 0), shape: [d.n_x, d.m] };
      const da1 = { data: args.da.data.filter((_, i) => i % d.T_x === 0), shape: [d.n_a, d.m] };
      const run = (backend: BackendName): Record<string, NDArray> => {
        setBackend(backend);
        const out: Record<string, NDArray> = {};
        const put = (p: string, o: object) => Object.entries(o).forEach(([k, v]) => (out[`${p}.${k}`] = v as NDArray));
        const [a, y, caches] = rnn_forward(args.x, args.a0, args.rp);
        put('rnn_forward', { a, y });
        put('rnn_backward', rnn_backward(args.da, caches));
        const [an, yt, cache] = rnn_cell_forward(xt, args.a0, args.rp);
        put('rnn_cell_forward', { an, yt });
        put('rnn_cell_backward', rnn_cell_backward(da1, cache));
        const [la, ly, lc, lcaches] = lstm_forward(args.x, args.a0, args.lp);
        put('lstm_forward', { la, ly, lc });
        put('lstm_backward', lstm_backward(args.da, lcaches));
        const [lan, lcn, lyt, lcache] = lstm_cell_forward(xt, args.a0, args.c0, args.lp);
        put('lstm_cell_forward', { lan, lcn, lyt });
        put('lstm_cell_backward', lstm_cell_backward(da1, args.dc, lcache));
        put('softmax', { s: softmax(args.x) });
        return out;
      };
      const js = run('js');
      const wasm = run('wasm');
      expect(Object.keys(wasm)).toEqual(Object.keys(js));
      for (const key of Object.keys(js)) {
        expect(wasm[key].shape, key).toEqual(js[key].shape);
        const err = relErr(wasm[key].data, js[key].data);
        expect(err, `${key}: ${err}`).toBeLessThanOrEqual(1e-12);
      }
    },
  );
});

test.each(BACKENDS)('%s: sigmoid is 0 exactly where the formula 1 / (1 + e^-z) overflows, as on js', (backend) => {
  // From z < −709.78 e^-z is +∞ and the formula gives +0, though e^z is a subnormal down to
  // −745; a backend returning that subnormal would turn 0·∞ = NaN into ±∞ in an LSTM cell.
  const z = [-709.782712893384, -709.7827128933841, -710, -720, -744, -745.2, -800];
  setBackend('js');
  const want = sigmoid({ data: z, shape: [z.length] }).data;
  setBackend(backend);
  const got = sigmoid({ data: z, shape: [z.length] }).data;
  setBackend(DEFAULT_BACKEND);
  expect(want[0]).toBeGreaterThan(0);
  expect(Math.abs(got[0] - want[0])).toBeLessThanOrEqual(1e-15 * want[0]);
  for (const out of [want, got]) expect(Array.from(out.slice(1)).every((v) => Object.is(v, 0)), `${backend}: ${Array.from(out).join(', ')}`).toBe(true);
});

describe('transpose: the kernel behind the (n, m, T) ↔ [T][n][m] conversion, on every backend', () => {
  // Every size goes through the kernel here, also those that layout.ts transposes in JS
  // (below TRANSPOSE_IN_JS_BELOW = 256 elements) in the API's own conversions.
  const SHAPES = [[0, 5], [1, 1], [3, 7], [15, 17], [16, 16], [17, 33], [40, 50], [257, 3]];
  test.each(BACKENDS.flatMap((b) => SHAPES.map(([r, c]) => [b, r, c] as const)))(
    '%s: %i × %i moves every value to its mirrored index, bit for bit',
    (backend, rows, cols) => {
      setBackend(backend);
      const src = Float64Array.from({ length: rows * cols }, (_, i) => (i % 7 === 3 ? -0 : i * 1.5 - 40));
      const copy = src.slice();
      const out = new Float64Array(rows * cols).fill(NaN);
      activeBackend().run('transpose', { rows, cols }, { src }, { dst: out });
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) expect(Object.is(out[c * rows + r], src[r * cols + c])).toBe(true);
      }
      expect(sameValues(src, copy)).toBe(true);
    },
  );
});

describe('the built package from plain Node', () => {
  const probeOf = (specifier: string) => `
    const m = await import(${JSON.stringify(specifier)});
    const s = m.sigmoid([[0, 1], [-1, 2]]);
    console.log(JSON.stringify({ backend: m.getBackend(), shape: s.shape, data: Array.from(s.data), exports: Object.keys(m).sort() }));
  `;
  const probe = probeOf('./dist/index.js');
  const expectedSigmoid = Array.from(sigmoid([[0, 1], [-1, 2]]).data);

  test('dist/index.js exists (npm test builds it first)', () => {
    expect(existsSync(DIST_INDEX), 'dist/index.js is missing: run `npm run build`').toBe(true);
  });

  test.each([
    ['js', 'js', 'js'],
    ['wasm', 'wasm', 'wasm'],
    ['unset', DEFAULT_BACKEND, undefined],
    ['empty', DEFAULT_BACKEND, ''],
  ] as const)('RNN_WASM_BACKEND %s: %s at load', (_, expected, env) => {
    const r = runNode(probe, env);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; shape: number[]; data: number[] };
    expect(out.backend).toBe(expected);
    expect(out.shape).toEqual([2, 2]);
    for (let i = 0; i < 4; i++) expect(Math.abs(out.data[i] - expectedSigmoid[i])).toBeLessThanOrEqual(1e-15);
  });

  test.skipIf(NATIVE_AVAILABLE)('RNN_WASM_BACKEND=native (not built) warns and falls back to the default', () => {
    const r = runNode(probe, 'native');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe('wasm');
    expect(r.stderr).toContain('RNN_WASM_BACKEND=native is unavailable');
  });

  test('RNN_WASM_BACKEND with an unknown name warns and falls back to the default', () => {
    const r = runNode(probe, 'gpu');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe(DEFAULT_BACKEND);
    expect(r.stderr).toContain('RNN_WASM_BACKEND="gpu" is not one of native, wasm, js');
  });

  test("the package self-import import('rnn-wasm') works and exposes the whole API", () => {
    const r = runNode(probeOf('rnn-wasm'), undefined);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; exports: string[] };
    expect(out.backend).toBe(DEFAULT_BACKEND);
    expect(out.exports).toEqual(
      [
        'backendErrors',
        'getBackend',
        'getThreads',
        'init',
        'lstm_backward',
        'lstm_cell_backward',
        'lstm_cell_forward',
        'lstm_forward',
        'rnn_backward',
        'rnn_cell_backward',
        'rnn_cell_forward',
        'rnn_forward',
        'setBackend',
        'setThreads',
        'sigmoid',
        'softmax',
        'wasmSimd',
        // The model API and training.
        'Adam',
        'GRUModel',
        'LSTMModel',
        'MODEL_FORMAT',
        'MODEL_VERSION',
        'Momentum',
        'NO_TARGET',
        'RNNModel',
        'SGD',
        'clipByGlobalNorm',
        'clipByValue',
        'exportNpy',
        'globalNorm',
        'loadModel',
        'makeOptimizer',
        'modelFromBytes',
        'modelToBytes',
        'modelToJSON',
        'npyFiles',
        'parseModel',
        'saveModel',
        'serializeModel',
        'toNpy',
        // The recurrent layers and their weight files.
        'GRU',
        'LSTM',
        'RNN',
        'loadSafetensors',
        'saveSafetensors',
        // Models from other tools (the .onnx reader and the TF.js layers have their own entries).
        'onnxLSTM',
        'onnxGRU',
        'onnxRNN',
        'fromKeras',
        'kerasLayer',
        'loadTfjsModel',
      ].sort(),
    );
  });
});

describe('a package without a working native addon', () => {
  /** dist/, wasm/ and package.json copied to a fresh folder, with `native` as given. */
  function packageCopy(native: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-pkg-'));
    for (const part of ['dist', 'wasm', 'package.json']) cpSync(join(REPO_ROOT, part), join(dir, part), { recursive: true });
    if (Object.keys(native).length > 0) mkdirSync(join(dir, 'native'));
    for (const [file, text] of Object.entries(native)) writeFileSync(join(dir, 'native', file), text);
    return dir;
  }
  const probe = `
    const m = await import('./dist/index.js');
    console.log(JSON.stringify({ backend: m.getBackend(), errors: m.backendErrors(), s: Array.from(m.sigmoid([0]).data) }));
  `;
  function run(dir: string) {
    const env = { ...process.env };
    delete env.RNN_WASM_BACKEND;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { backend: string; errors: Record<string, string>; s: number[] };
  }

  test('no platform package, never built: runs on wasm, and backendErrors() says both', () => {
    const out = run(packageCopy({}));
    expect(out.backend).toBe('wasm');
    expect(out.s).toEqual([0.5]);
    expect(Object.keys(out.errors)).toEqual(['native']);
    expect(out.errors.native).toContain(`rnn-wasm-${platformName()} is not installed`);
    expect(out.errors.native).toContain('npm run build:native');
  });

  /** Installs a platform package `rnn-wasm-<platform>` into the copy, its main file `addon`. */
  function withPlatformPackage(dir: string, addon: Buffer | string): string {
    const name = `rnn-wasm-${platformName()}`;
    const pkgDir = join(dir, 'node_modules', name);
    mkdirSync(pkgDir, { recursive: true });
    const main = `rnn_napi.${platformName()}.node`;
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name, version: '0.0.0', main }));
    writeFileSync(join(pkgDir, main), addon);
    return dir;
  }
  const builtAddon = () => readFileSync(join(REPO_ROOT, 'native', `rnn_napi.${platformName()}.node`));

  test.runIf(NATIVE_AVAILABLE)('the platform package, when installed, is the addon loaded (no native/ needed)', () => {
    const out = run(withPlatformPackage(packageCopy({}), builtAddon()));
    expect(out.backend).toBe('native');
    expect(out.errors).toEqual({});
  });

  test('a platform package that does not load: native/ is tried next, the reason kept', () => {
    const file = `rnn_napi.${platformName()}.node`;
    const dir = withPlatformPackage(packageCopy({ [file]: 'not a shared library' }), 'not a shared library either');
    const out = run(dir);
    expect(out.backend).toBe('wasm');
    expect(out.errors.native).toContain(`rnn-wasm-${platformName()}: `);
    expect(out.errors.native).toContain(`native/${file}`);
  });

  test('an addon file that does not load: runs on wasm, and backendErrors() names the file and the reason', () => {
    const file = `rnn_napi.${process.platform}-${process.arch}.node`;
    const out = run(packageCopy({ [file]: 'not a shared library' }));
    expect(out.backend).toBe('wasm');
    expect(out.s).toEqual([0.5]);
    expect(out.errors.native).toContain('did not load');
    expect(out.errors.native).toContain(file);
  });
});

/** The wasm module built with the `probes` feature: the shipped exports plus `rnn_debug_trap`. */
const PROBES_WASM = new URL('./wasm/rnn_wasm_probes.wasm', import.meta.url);

/**
 * Every output of an LSTM forward and backward kernel call on `backend`, with fixed inputs
 * (the kernels directly: a backend loaded from other bytes is not one `setBackend` can pick).
 */
function kernelOutputs(backend: WasmBackend): Record<string, Float64Array> {
  const r = makeRng(5);
  const [n_x, n_a, n_y, m, t] = [3, 4, 2, 5, 6];
  const fill = (n: number) => Float64Array.from({ length: n }, () => r.normal());
  const [x, a0, c0, w, b, wy, by] = [t * n_x * m, n_a * m, n_a * m, 4 * n_a * (n_a + n_x), 4 * n_a, n_y * n_a, n_y].map(fill);
  const fwd = { a: new Float64Array(t * n_a * m), c: new Float64Array(t * n_a * m), y: new Float64Array(t * n_y * m), gates: new Float64Array(4 * t * n_a * m) };
  backend.run('lstmForward', { n_x, n_a, n_y, m, t }, { x, a0, c0, w, b, wy, by }, fwd);
  const back = { dx: new Float64Array(t * n_x * m), da0: new Float64Array(n_a * m), dc0: new Float64Array(n_a * m), dw: new Float64Array(w.length), db: new Float64Array(b.length) };
  const steps = (first: Float64Array, all: Float64Array) => [first, all.subarray(0, (t - 1) * n_a * m)];
  const inputs = { da: fill(t * n_a * m), dc_last: fill(n_a * m), c_next: fwd.c, c_prev: steps(c0, fwd.c), a_prev: steps(a0, fwd.a), gates: fwd.gates, x, w };
  backend.run('lstmBackward', { n_x, n_a, m, t }, inputs, back);
  return { ...fwd, ...back };
}

describe('wasm backend: size limit and trap recovery', () => {
  test('the active wasm backend exposes its test hooks', () => {
    setBackend('wasm');
    const backend = activeBackend() as WasmBackend;
    expect(backend.name).toBe('wasm');
    expect(typeof backend.forceTrap).toBe('function');
    expect(typeof backend.memoryBytes).toBe('function');
  });

  test('the shipped module has no trap probe: forceTrap says so, and the backend keeps working', () => {
    setBackend('wasm');
    const backend = activeBackend() as WasmBackend;
    const before = compute();
    const err = thrownBy(() => backend.forceTrap());
    expect(err.constructor).toBe(Error);
    expect(err.code).toBeUndefined();
    expect(err.message).toContain('rnn_debug_trap');
    expectIdentical(compute(), before);
  });

  test('after a forced trap (probes module): ERR_RNN_WASM_TRAP, then the next calls succeed with identical values', () => {
    const backend = loadWasmBackend(readFileSync(PROBES_WASM));
    const before = kernelOutputs(backend);
    // The probes module runs the same kernels as the shipped one, bit for bit.
    const shipped = kernelOutputs(loadWasmBackend());
    for (const key of Object.keys(shipped)) expect(sameValues(before[key], shipped[key]), key).toBe(true);

    const err = thrownBy(() => backend.forceTrap());
    expect(err.constructor).toBe(Error);
    expect(err.code).toBe('ERR_RNN_WASM_TRAP');
    expect(err.message).toMatch(/re-instantiated/);
    expect(err.cause).toBeInstanceOf(WebAssembly.RuntimeError);

    const after = kernelOutputs(backend);
    for (const key of Object.keys(before)) expect(sameValues(after[key], before[key]), key).toBe(true);

    // Repeated traps recover as well.
    for (let i = 0; i < 3; i++) expect(thrownBy(() => backend.forceTrap()).code).toBe('ERR_RNN_WASM_TRAP');
    const again = kernelOutputs(backend);
    for (const key of Object.keys(before)) expect(sameValues(again[key], before[key]), key).toBe(true);
    expect(backend.memoryBytes()).toBeGreaterThan(0);
  });

  test('a call needing more WebAssembly memory than wasm32 addresses throws ERR_RNN_SIZE up front', () => {
    setBackend('wasm');
    const before = compute();
    // n_x = 0 keeps the inputs tiny while a and y_pred need 2^30 elements each.
    const [m, T] = [2 ** 16, 2 ** 14];
    const one = () => ({ data: Float64Array.of(0.5), shape: [1, 1] });
    const p = { Wax: { data: new Float64Array(0), shape: [1, 0] }, Waa: one(), Wya: one(), ba: one(), by: one() };
    const err = thrownBy(() => rnn_forward({ data: new Float64Array(0), shape: [0, m, T] }, { data: new Float64Array(m), shape: [1, m] }, p));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_RNN_SIZE');
    expect(err.message).toContain('rnn_forward');
    expect(err.message).toContain('GiB');
    expectIdentical(compute(), before);
  });
});
