#!/usr/bin/env node
/**
 * `npm run bench`: rnn-wasm's backends beside the notebook's NumPy code, PyTorch (opt-in),
 * TensorFlow.js (wasm), onnxruntime-node and brain.js, on the S / M / L workloads, RNN and
 * LSTM, forward and training step; plus a T_x / m scaling sweep of the wasm backend.
 *
 * The `wasm` column is the SIMD128 module (wasm/rnn_wasm.wasm) unless RNN_WASM_SIMD says
 * otherwise; `wasm relaxed` is wasm/rnn_wasm_relaxed.wasm, timed in a child node of its own per
 * workload (under --experimental-wasm-relaxed-simd where this Node needs it, as Node 20 does).
 *
 *   node bench/run.mjs [--quick] [--with-torch] [--only=<system,...>]
 *
 * Writes a table to stdout, bench/results/latest.json (every number) and latest.md
 * (partial.json / partial.md for --quick and --only runs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureNodeDeps, ensureTorchVenv, findPython, hasModule } from './lib/install.mjs';
import {
  BUDGETS,
  CELLS,
  JS_REFERENCE_BUDGET,
  OPS,
  WORKLOADS,
  flops,
  makeInputs,
  sweepPoints,
} from './lib/workloads.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = dirname(BENCH_DIR);
/** The notebook whose NumPy functions are timed: `RNN_WASM_NOTEBOOK`, else beside the repository. */
const SEED_FILE =
  process.env.RNN_WASM_NOTEBOOK || join(dirname(REPO_ROOT), 'shared', 'seed', '000_04c945554bc0edb4.txt');
const GENERATE_PY = join(REPO_ROOT, 'test', 'fixtures', 'generate.py');
const PYBENCH = join(BENCH_DIR, 'py', 'pybench.py');
const RESULTS_DIR = join(BENCH_DIR, 'results');

const log = (msg) => process.stderr.write(`${msg}\n`);

// ------------------------------------------------------------------ options

/** `--only` names: a system id, or one of these groups. */
const ALIASES = {
  wasm: ['rnn-wasm:wasm', 'rnn-wasm:wasm-relaxed'],
  relaxed: ['rnn-wasm:wasm-relaxed'],
  'wasm-relaxed': ['rnn-wasm:wasm-relaxed'],
  js: ['rnn-wasm:js'],
  native: ['rnn-wasm:native', 'rnn-wasm:native-2t'],
  'rnn-wasm': ['rnn-wasm:wasm', 'rnn-wasm:wasm-relaxed', 'rnn-wasm:js', 'rnn-wasm:native', 'rnn-wasm:native-2t'],
  numpy: ['numpy'],
  torch: ['torch'],
  pytorch: ['torch'],
  tfjs: ['tfjs-wasm'],
  tensorflow: ['tfjs-wasm'],
  onnx: ['onnxruntime'],
  onnxruntime: ['onnxruntime'],
  'onnxruntime-node': ['onnxruntime'],
  brain: ['brain.js'],
  'brain.js': ['brain.js'],
  sweep: ['sweep'],
};

function parseArgs(argv) {
  const opts = {
    quick: false,
    withTorch: false,
    only: /** @type {Set<string> | null} */ (null),
    /** Set in the child that times the relaxed-SIMD module: its one workload. */
    relaxedChild: /** @type {string | null} */ (null),
    args: argv,
  };
  for (const arg of argv) {
    if (arg === '--quick') opts.quick = true;
    else if (arg.startsWith('--relaxed-child=')) opts.relaxedChild = arg.slice(16);
    else if (arg === '--with-torch') opts.withTorch = true;
    else if (arg.startsWith('--only=')) {
      const only = new Set();
      opts.only = only;
      for (const name of arg.slice(7).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
        const ids = ALIASES[name] ?? [name];
        for (const id of ids) only.add(id);
      }
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--with-torch] [--only=<system,...>]\n' +
          '  --quick       S and M only, short time budgets, shorter sweep\n' +
          '  --with-torch  add PyTorch (installs torch into bench/.venv on first use: several GB)\n' +
          `  --only=...    any of: ${Object.keys(ALIASES).join(', ')}\n`,
      );
      process.exit(0);
    } else {
      log(`bench: unknown option ${arg} (see --help)`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
// The relaxed-SIMD child times its one system only (see runRelaxedChild).
const wanted = (id) =>
  !opts.relaxedChild && (!opts.only || opts.only.has(id) || [...opts.only].some((o) => id.startsWith(`${o}-`)));

// ------------------------------------------------------------------ the relaxed-SIMD module

const RELAXED_ID = 'rnn-wasm:wasm-relaxed';
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
/** One function of two relaxed multiply-adds: validates where the engine runs relaxed SIMD. */
const RELAXED_PROBE = Buffer.from('0061736d0100000001080160037b7b7b017b030201000a14011200200020012002fd850220012002fd87020b', 'hex');

// The package reads RNN_WASM_SIMD when it loads: the `wasm` column is the SIMD128 module even
// where the engine would choose the relaxed one, and the child's is the relaxed one.
if (opts.relaxedChild) process.env.RNN_WASM_SIMD = 'relaxed';
else process.env.RNN_WASM_SIMD ||= 'simd128';

/**
 * Times the relaxed-SIMD module on workload `wName` in a child node (this script with
 * --relaxed-child); returns its `{ systems, results, notes }`, or `{ error }`.
 */
function runRelaxedChild(wName) {
  const flags = WebAssembly.validate(RELAXED_PROBE) ? [] : [RELAXED_FLAG];
  const args = [...flags, fileURLToPath(import.meta.url), `--relaxed-child=${wName}`, ...(opts.quick ? ['--quick'] : [])];
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) return { error: `exit status ${r.status}${r.error ? ` (${r.error.message})` : ''}` };
  try {
    return JSON.parse(r.stdout);
  } catch (error) {
    return { error: `unreadable output (${error instanceof Error ? error.message : error})` };
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Wall-clock time the alternating rounds of one case aim for, per workload (ms). */
const ALTERNATE_BUDGET_MS = { M: 5000, L: 40000 };

/**
 * In the relaxed-SIMD child: the SIMD128 and relaxed-SIMD modules call by call, `init` swapping
 * between the two compiled modules before each call (instantiating a compiled module takes well
 * under a millisecond; its code is compiled once), so that both see the same machine load. Per
 * case: each module's median and the median over rounds of SIMD128 time / relaxed time.
 */
async function alternateModules(api, closuresOf, inp, wName) {
  const compile = (file) => new WebAssembly.Module(readFileSync(join(REPO_ROOT, 'wasm', file)));
  const modules = { simd128: compile('rnn_wasm.wasm'), relaxed: compile('rnn_wasm_relaxed.wasm') };
  const use = async (simd) => {
    await api.init(modules[simd]);
    api.setBackend('wasm');
  };
  const rows = [];
  for (const cell of CELLS) {
    for (const op of OPS) {
      const fn = closuresOf(api, cell, inp)[op];
      for (const simd of ['simd128', 'relaxed']) {
        await use(simd);
        fn(); // warm-up
      }
      const times = { simd128: [], relaxed: [] };
      const ratios = [];
      const start = performance.now();
      for (let i = 0; i < 5 || (i < 200 && performance.now() - start < ALTERNATE_BUDGET_MS[wName]); i++) {
        for (const simd of i % 2 ? ['simd128', 'relaxed'] : ['relaxed', 'simd128']) {
          await use(simd);
          const t0 = performance.now();
          fn();
          times[simd].push(performance.now() - t0);
        }
        ratios.push(times.simd128[i] / times.relaxed[i]);
      }
      const row = {
        workload: wName,
        cell,
        op,
        simd128_ms: median(times.simd128),
        relaxed_ms: median(times.relaxed),
        speedup: median(ratios),
        speedup_min: Math.min(...ratios),
        speedup_max: Math.max(...ratios),
        rounds: ratios.length,
      };
      log(
        `  ${wName} ${cell.padEnd(4)} ${op.padEnd(7)} SIMD128 ${row.simd128_ms.toFixed(4).padStart(10)} ms, relaxed ` +
          `${row.relaxed_ms.toFixed(4).padStart(10)} ms  ${row.speedup.toFixed(2)}× (${row.rounds} rounds)`,
      );
      rows.push(row);
    }
  }
  return rows;
}

// ------------------------------------------------------------------ machine

function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

// ------------------------------------------------------------------ main

async function main() {
  const started = Date.now();
  const loadStart = os.loadavg();
  const notes = [];
  const workloadNames = opts.relaxedChild ? [opts.relaxedChild] : opts.quick ? ['S', 'M'] : ['S', 'M', 'L'];
  const budgets = opts.quick ? BUDGETS.quick : BUDGETS.full;

  if (!ensureNodeDeps(BENCH_DIR)) {
    log('bench: could not install bench/node_modules (tinybench is required); giving up');
    process.exit(1);
  }
  const { measure, timeOnce } = await import('./lib/measure.mjs');
  const { rnnWasmSystems, loadPackage, closures } = await import('./systems/rnn-wasm.mjs');
  const { tfjsSystem } = await import('./systems/tfjs.mjs');
  const { onnxSystem } = await import('./systems/onnxruntime.mjs');
  const { brainSystem } = await import('./systems/brain.mjs');
  const { runPyBench, encodeInputs } = await import('./systems/python.mjs');
  const { textReport, markdownReport } = await import('./lib/report.mjs');
  const { alternate } = await import('./lib/alternate.mjs');

  const distIndex = join(REPO_ROOT, 'dist', 'index.js');
  if (!existsSync(distIndex)) {
    log('bench: dist/ is missing; running `npm run build` ...');
    spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  }
  const pkg = await loadPackage(pathToFileURL(distIndex).href);
  if (!pkg.api) {
    log(`bench: ${pkg.reason}`);
    process.exit(1);
  }
  const api = pkg.api;
  const defaultBackend = api.getBackend();

  // Inputs per workload (float64, notebook layout), shared by every JS system; S's always, for
  // the reference below.
  const inputs = Object.fromEntries([...new Set(['S', ...workloadNames])].map((k) => [k, makeInputs(WORKLOADS[k])]));

  // The float64 js reference at S (forward outputs, gradients), the yardstick of the sanity checks.
  api.setBackend('js');
  const reference = { S: {} };
  for (const cell of CELLS) {
    const fns = closures(api, cell, inputs.S);
    const out = fns.forward();
    reference.S[cell] = { a: out[0].data, y: out[1].data, shape: out[0].shape, grads: fns.train() };
  }
  api.setBackend(defaultBackend);

  // ---------------------------------------------------------------- JS systems
  const systems = [];
  const results = [];
  /**
   * A JS system under test (bench/systems/*.mjs): `supports` says why a case is skipped (or
   * null), `prepare` returns the timed closure, the check of its result and the cleanup.
   * @type {Array<{ id: string, label: string, dtype: string, threads: number, version?: string,
   *   batch?: number, supports: (w: any, cell: string, op: string) => string | null,
   *   prepare: (w: any, cell: string, op: string, inp: any, ref: any) => any }>}
   */
  const jsSystems = rnnWasmSystems(api, notes, wanted);
  for (const { id, make } of [{ id: 'tfjs-wasm', make: tfjsSystem }, { id: 'onnxruntime', make: onnxSystem }, { id: 'brain.js', make: brainSystem }]) {
    if (!wanted(id)) continue;
    const sys = await make(notes);
    if (sys) jsSystems.push(sys);
  }
  for (const sys of jsSystems) systems.push(describe(sys));

  /** Times one JS system on one case, into a new row of `results`. */
  const timeJsCase = async (sys, wName, cell, op) => {
    const w = WORKLOADS[wName];
    const row = baseRow(sys, w, cell, op);
    results.push(row);
    const why = sys.supports(w, cell, op);
    if (why) {
      row.skipped = why;
      return;
    }
    let prepared;
    try {
      prepared = await sys.prepare(w, cell, op, inputs[wName], reference[wName]?.[cell]);
      const [out, firstMs] = await timeOnce(prepared.fn);
      row.check = prepared.validate(out);
      const budget = sys.id === 'rnn-wasm:js' && wName !== 'S' ? JS_REFERENCE_BUDGET : budgets[wName];
      const timing = await measure(`${sys.id} ${wName} ${cell} ${op}`, prepared.fn, budget, firstMs);
      Object.assign(row, timing);
      row.gflops = row.flops / (timing.median_ms * 1e6);
      progress(sys.label, row);
    } catch (error) {
      row.error = String((error instanceof Error && error.stack) || error).split('\n').slice(0, 3).join(' | ');
      log(`  ${sys.label} ${wName} ${cell} ${op}: error ${row.error}`);
    } finally {
      try {
        await prepared?.dispose?.();
      } catch {
        // disposal failures do not matter for the numbers
      }
    }
  };

  if (opts.relaxedChild) {
    // The child: the wasm backend, here the relaxed-SIMD module, on its one workload.
    const wName = opts.relaxedChild;
    const { wasmSimd } = await import(pathToFileURL(join(REPO_ROOT, 'dist', 'load-wasm.js')).href);
    const [wasm] = rnnWasmSystems(api, notes, (id) => id === 'rnn-wasm:wasm');
    if (!wasm || wasmSimd() !== 'relaxed') {
      log(`bench: the relaxed-SIMD module did not load (${wasm ? `the wasm backend runs ${wasmSimd()}` : 'no wasm backend'})`);
      process.exit(1);
    }
    const sys = { ...wasm, id: RELAXED_ID, label: 'rnn-wasm wasm relaxed' };
    for (const cell of CELLS) for (const op of OPS) await timeJsCase(sys, wName, cell, op);
    let alternation = [];
    if (wName !== 'S') {
      log(`\nSIMD128 against relaxed-SIMD wasm at ${wName}, call by call (speed-up = SIMD128 time / relaxed time)`);
      alternation = await alternateModules(api, closures, inputs[wName], wName);
    }
    process.stdout.write(JSON.stringify({ systems: [describe(sys)], results, notes, alternation }));
    return;
  }

  // ---------------------------------------------------------------- Python systems
  // Each runs in a subprocess of its own per workload (see the workload loop below).
  const meta = {};
  const dgemmRuns = [];
  const pyConfig = (system, wName) => ({
    system,
    seed_file: SEED_FILE,
    generate_py: GENERATE_PY,
    generate_py_rel: relative(REPO_ROOT, GENERATE_PY),
    budgets,
    cases: CELLS.flatMap((cell) => OPS.map((op) => ({ workload: WORKLOADS[wName], cell, op }))),
    given_inputs: wName === 'S' ? { S: encodeInputs(inputs.S) } : {},
    reference: Object.fromEntries(
      Object.entries(reference)
        .filter(([k]) => k === wName)
        .map(([k, v]) => [
          k,
          Object.fromEntries(Object.entries(v).map(([cell, r]) => [cell, { shape: r.shape, data: Array.from(r.a) }])),
        ]),
    ),
  });
  const absorb = (py, label, wName) => {
    if (py.error) {
      notes.push(`${label} skipped at ${wName}: its Python process failed (${py.error}).`);
      return;
    }
    for (const s of py.systems) if (!systems.some((known) => known.id === s.id)) systems.push(s);
    for (const r of py.results) {
      const w = WORKLOADS[r.workload];
      const sys = py.systems.find((s) => s.id === r.system);
      const row = { ...baseRow(sys, w, r.cell, r.op), ...r };
      if (Number.isFinite(row.median_ms)) row.gflops = row.flops / (row.median_ms * 1e6);
      results.push(row);
    }
    notes.push(...py.notes);
    const { dgemm_gflops: dgemm, ...rest } = py.meta;
    if (Number.isFinite(dgemm)) dgemmRuns.push({ workload: wName, gflops: dgemm });
    Object.assign(meta, rest);
  };

  /** The Python systems to run: `{ label, run(wName) }`, each timing one workload's cases. */
  const pySystems = [];
  const python = findPython();
  if (wanted('numpy')) {
    if (!python) notes.push('NumPy skipped: no python3 on PATH.');
    else if (!hasModule(python, 'numpy')) notes.push(`NumPy skipped: \`${python}\` has no numpy.`);
    else if (!existsSync(SEED_FILE)) notes.push('NumPy skipped: the notebook is missing (set RNN_WASM_NOTEBOOK to its text export; default ../shared/seed/ beside the repository).');
    else if (!existsSync(GENERATE_PY)) notes.push('NumPy skipped: test/fixtures/generate.py (the notebook loader and NumPy LSTM backward) is missing.');
    else {
      const single = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
      pySystems.push({
        label: 'NumPy',
        run: (wName) => runPyBench(python, PYBENCH, { ...pyConfig('numpy', wName), blas_threads: 1 }, single),
      });
      notes.push(
        'NumPy runs the notebook\'s own functions, read from the seed notebook at run time; its training step is the ' +
          'notebook\'s forward pass plus the NumPy LSTM backward of test/fixtures/generate.py (the notebook has none) or ' +
          'the notebook\'s rnn_backward. BLAS is limited to one thread.',
      );
    }
  }
  if (wanted('torch')) {
    if (!opts.withTorch) {
      notes.push('PyTorch skipped: opt-in, run `npm run bench -- --with-torch` (installs torch into bench/.venv; PyPI\'s Linux wheel brings several GB of CUDA libraries).');
    } else {
      const venv = ensureTorchVenv(BENCH_DIR, python);
      if (venv.reason) notes.push(`PyTorch skipped: ${venv.reason}.`);
      else {
        pySystems.push({ label: 'PyTorch', run: (wName) => runPyBench(venv.python, PYBENCH, pyConfig('torch', wName)) });
        notes.push(
          'PyTorch: nn.LSTM / nn.RNN plus a Linear + softmax output layer, the notebook\'s weights copied in; forward under ' +
            'torch.inference_mode(); training step = forward + backward of sum(a·da) with respect to weights, x and a0.',
        );
      }
    }
  }

  // ---------------------------------------------------------------- the workloads
  // Workload by workload, every system one after another (the JS systems, then each Python
  // system in a subprocess of its own), so that the calls compared in a table row are timed
  // within a few minutes of each other rather than a whole run apart: the machines are shared,
  // and their load drifts.
  const relaxedWanted = wanted(RELAXED_ID);
  /** The relaxed-SIMD module against the SIMD128 one, call by call (alternateModules). */
  const relaxedVsSimd128 = [];
  for (const wName of workloadNames) {
    log(`\nworkload ${wName}`);
    for (const sys of jsSystems) for (const cell of CELLS) for (const op of OPS) await timeJsCase(sys, wName, cell, op);
    if (relaxedWanted) {
      const child = runRelaxedChild(wName);
      if (child.error) notes.push(`rnn-wasm wasm relaxed skipped at ${wName}: its child node failed (${child.error}).`);
      else {
        for (const s of child.systems) if (!systems.some((known) => known.id === s.id)) systems.push(s);
        results.push(...child.results);
        notes.push(...child.notes);
        relaxedVsSimd128.push(...child.alternation);
      }
    }
    for (const py of pySystems) absorb(await py.run(wName), py.label, wName);
  }
  for (const w of ['M', 'L']) {
    const rows = relaxedVsSimd128.filter((r) => r.workload === w);
    if (!rows.length) continue;
    notes.push(
      `The relaxed-SIMD wasm module (wasm/rnn_wasm_relaxed.wasm: fused multiply-adds in the GEMM tile) against the SIMD128 one at ${w}, ` +
        `call by call in one process (median of the rounds' SIMD128 time / relaxed time): ` +
        `${rows.map((r) => `${r.cell} ${r.op} ${r.speedup.toFixed(2)}×`).join(', ')}.`,
    );
  }
  if (dgemmRuns.length) {
    // The best of the run's dgemm measurements: the share of it reached is then a lower bound.
    meta.dgemm_gflops = Math.max(...dgemmRuns.map((d) => d.gflops));
    meta.dgemm_gflops_by_workload = Object.fromEntries(dgemmRuns.map((d) => [d.workload, d.gflops]));
  }

  // ---------------------------------------------------------------- alternating comparisons
  // Two settings compared call by call (lib/alternate.mjs): the table's columns are timed
  // minutes apart, these within the same seconds. Native on one thread against two at M and L;
  // wasm against native at S, where per-call costs dominate and the columns swing most.
  const threadScaling = [];
  const nativeVsWasm = [];
  const nativeId = 'rnn-wasm:native';
  const hasSystem = (id) => jsSystems.some((s) => s.id === id);
  const compare = (label, workloads, setA, setB, into) => {
    log(`\n${label}`);
    for (const wName of workloads) {
      for (const cell of CELLS) {
        for (const op of OPS) {
          const r = alternate(closures(api, cell, inputs[wName])[op], setA, setB, wName);
          into.push({ workload: wName, cell, op, ...r });
          log(
            `  ${wName} ${cell.padEnd(4)} ${op.padEnd(7)} ${r.a_ms.toFixed(4).padStart(10)} ms against ` +
              `${r.b_ms.toFixed(4).padStart(10)} ms  ${r.ratio.toFixed(2)}× (${r.rounds} rounds)`,
          );
        }
      }
    }
  };
  if (hasSystem(`${nativeId}-2t`)) {
    api.setBackend('native');
    const workloads = workloadNames.filter((w) => w !== 'S');
    compare('Thread scaling (rnn-wasm native: one thread, then two)', workloads, () => api.setThreads(1), () => api.setThreads(2), threadScaling);
    api.setThreads(os.availableParallelism());
  }
  if (hasSystem(nativeId) && hasSystem('rnn-wasm:wasm') && workloadNames.includes('S')) {
    api.setThreads(1);
    compare('native against wasm at S (wasm, then native)', ['S'], () => api.setBackend('wasm'), () => api.setBackend('native'), nativeVsWasm);
    api.setThreads(os.availableParallelism());
  }

  // ---------------------------------------------------------------- sweep
  const sweep = [];
  /** @type {string | null} */
  let sweepBackend = 'wasm';
  if (wanted('sweep') || (opts.only && opts.only.has('rnn-wasm:wasm'))) {
    try {
      api.setBackend('wasm');
    } catch (error) {
      sweepBackend = null;
      notes.push(`Scaling sweep skipped: the wasm backend is unavailable (${error instanceof Error ? error.message : error}).`);
    }
    if (sweepBackend) {
      log('\nScaling sweep (rnn-wasm wasm, LSTM)');
      for (const p of sweepPoints(opts.quick)) {
        const inp = p.T === 50 && p.m === 32 && inputs.M ? inputs.M : makeInputs(p);
        for (const op of OPS) {
          const work = flops(p, 'lstm', op);
          /** @type {Record<string, unknown>} */
          const row = { name: p.name, axis: p.axis, T: p.T, m: p.m, n_x: p.n_x, n_a: p.n_a, n_y: p.n_y, op, flops: work };
          try {
            const fn = closures(api, 'lstm', inp)[op];
            const [, firstMs] = await timeOnce(fn);
            const timing = await measure(`sweep ${p.name} ${op}`, fn, budgets.M, firstMs);
            const perStepSample = (timing.median_ms * 1000) / (p.T * p.m);
            Object.assign(row, timing, { gflops: work / (timing.median_ms * 1e6), us_per_step_sample: perStepSample });
            log(`  ${p.name.padEnd(12)} ${op.padEnd(7)} ${timing.median_ms.toFixed(3).padStart(10)} ms  ${perStepSample.toFixed(3)} µs/(T·m)`);
          } catch (error) {
            row.error = String(error instanceof Error ? error.message : error);
          }
          sweep.push(row);
        }
      }
    }
  }
  api.setBackend(defaultBackend);

  // ---------------------------------------------------------------- notes and output
  if (systems.some((s) => s.id === 'rnn-wasm:js')) {
    notes.push('The rnn-wasm `js` reference backend is slow by design: it gets at most 2 samples at M and is skipped at L.');
  }
  notes.push(
    'Every forward pass also computes the softmax output layer y on every step (brain.js: its own output layer). ' +
      'float32 systems are checked against the float64 js reference at S to 1e-4; rnn-wasm backends to 1e-12. ' +
      'A (!) marks a failed sanity check (details in latest.json).',
  );
  const loadEnd = os.loadavg();
  if (Math.max(loadStart[0], loadEnd[0]) > 0.5) {
    notes.push(
      `Other work was running on this machine (1-minute load average ${loadStart[0].toFixed(2)} at the start, ` +
        `${loadEnd[0].toFixed(2)} at the end); the numbers may be noisier than on an idle machine.`,
    );
  }
  const failed = results.filter((r) => r.check && !r.check.ok);
  for (const r of failed) notes.push(`Sanity check failed: ${r.system} ${r.workload} ${r.cell} ${r.op}: ${r.check.problems.join('; ')}.`);

  const doc = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpuModel(),
      cores: os.cpus().length,
      memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.arch()}`,
      os_release: os.release(),
      node: process.versions.node,
      v8: process.versions.v8,
      ...meta,
      rnn_wasm_default_backend: defaultBackend,
      quick: opts.quick,
      with_torch: opts.withTorch,
      only: opts.only ? [...opts.only] : null,
      args: opts.args,
      workloads: workloadNames,
      workloadDims: Object.fromEntries(workloadNames.map((k) => [k, WORKLOADS[k]])),
      budgets,
      flop_model:
        'LSTM forward 2*T*m*4*n_a*(n_a+n_x); RNN forward 2*T*m*n_a*(n_a+n_x); training step (forward + backward) 3x forward; brain.js counts m = 1',
      load_average_start: loadStart,
      load_average_end: loadEnd,
      duration_s: 0,
    },
    systems,
    results,
    threadScaling,
    nativeVsWasm,
    relaxedVsSimd128,
    sweepBackend,
    sweep,
    notes: [...new Set(notes)],
  };
  doc.systems.sort((a, b) => columnRank(a.id) - columnRank(b.id));
  doc.meta.duration_s = +((Date.now() - started) / 1000).toFixed(1);
  // Only a full run replaces latest.* (which the README shows); --quick / --only runs go to partial.*.
  const stem = opts.quick || opts.only ? 'partial' : 'latest';
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${stem}.json`), scrubPaths(`${JSON.stringify(doc, null, 1)}\n`));
  writeFileSync(join(RESULTS_DIR, `${stem}.md`), scrubPaths(markdownReport(doc)));
  process.stdout.write(`\n${scrubPaths(textReport(doc))}\n`);
  log(`\nwrote ${relative(process.cwd(), join(RESULTS_DIR, `${stem}.json`))} and ${stem}.md`);
}

/** Column order: rnn-wasm's backends, then the float64 peers, then the float32 ones. */
function columnRank(id) {
  const order = ['rnn-wasm:wasm', RELAXED_ID, 'rnn-wasm:native', 'rnn-wasm:js', 'numpy', 'torch-f64', 'torch-f32', 'torch-f32-', 'tfjs-wasm', 'onnxruntime', 'brain.js'];
  let best = order.length;
  order.forEach((prefix, i) => {
    if (id === prefix || (prefix.endsWith('-') && id.startsWith(prefix))) best = Math.min(best, i);
  });
  return best;
}

/** Results name files relative to the repository, never by this machine's absolute paths. */
function scrubPaths(text) {
  const replacements = [
    [REPO_ROOT, '<repo>'],
    [dirname(REPO_ROOT), '<repo>/..'],
    [os.tmpdir(), '<tmp>'],
    [os.homedir(), '~'],
  ].filter(([from]) => from && from.length > 1);
  let out = text;
  for (const [from, to] of replacements) {
    out = out.split(from).join(to);
    out = out.split(JSON.stringify(from).slice(1, -1)).join(to);
  }
  return out;
}

function describe(sys) {
  return { id: sys.id, label: sys.label, dtype: sys.dtype, threads: sys.threads, version: sys.version ?? null };
}

/**
 * A new row of `results`: what runs. The outcome (timings, check, error or why it was skipped)
 * is added as the case runs.
 * @returns {{ system: string, workload: string, cell: string, op: string, dtype: string,
 *   threads: number, dims: object, flops: number } & Record<string, any>}
 */
function baseRow(sys, w, cell, op) {
  const countDims = sys.batch ? { ...w, m: sys.batch } : w;
  return {
    system: sys.id,
    workload: w.name,
    cell,
    op,
    dtype: sys.dtype,
    threads: sys.threads,
    dims: { n_x: w.n_x, n_a: w.n_a, n_y: w.n_y, m: w.m, T_x: w.T },
    flops: flops(countDims, cell, op),
  };
}

function progress(label, row) {
  const t = row.median_ms;
  const mark = row.check && !row.check.ok ? `  CHECK FAILED: ${row.check.problems.join('; ')}` : '';
  log(
    `  ${label.padEnd(18)} ${row.workload} ${row.cell.padEnd(4)} ${row.op.padEnd(7)} ` +
      `${t.toFixed(4).padStart(11)} ms  ${row.gflops.toFixed(3).padStart(8)} GFLOP/s  (${row.samples} samples)${mark}`,
  );
}

main().catch((error) => {
  log(`bench: ${error?.stack ?? error}`);
  process.exit(1);
});
