#!/usr/bin/env node
/**
 * `npm run bench:layers`: the recurrent layers (`LSTM`, `GRU`) of the built package on its
 * native and wasm backends, in float64 and float32 (`dtype: 'float32'`), beside PyTorch (nn.LSTM / nn.GRU, float64 and float32) and
 * onnxruntime-node (ONNX LSTM / GRU nodes, float32), all on one thread and all with the same
 * weights and inputs, at the M and L workload sizes: forward (keeping what backward needs),
 * forward with `noGrad` (inference only) and a training step (forward + backward); plus a
 * 2-layer bidirectional LSTM with unequal lengths against the same batch at full length.
 *
 *   node bench/layers/run.mjs [--sizes=M,L] [--bidir=M] [--only=native,wasm,torch,onnx] [--quick]
 *
 * Every system's results are checked against PyTorch float64 before anything is timed. The
 * systems of one row are then timed in turn, round after round in rotating order (PyTorch in its
 * own process, answering one call per request), and the table gives each one's median and the
 * median over rounds of each round's own ratio: on a shared machine the load drifts, and a
 * burst then slows every system of a round instead of one column.
 *
 * Writes a table to stdout and bench/results/layers.json / layers.md (layers-partial.* for
 * --quick, --only or other sizes).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureNodeDeps, ensureTorchVenv, findPython, hasModule } from '../lib/install.mjs';
import { buildRecurrentLayerModel, onnxLayerTensors } from '../lib/onnx-model.mjs';
import { WORKLOADS } from '../lib/workloads.mjs';
import { layerFlops, makeCases, writeCases } from './cases.mjs';
import { startTorchWorker } from './torch-worker.mjs';
import { markdownReport, textReport } from './report.mjs';

const LAYERS_DIR = dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = dirname(LAYERS_DIR);
const REPO_ROOT = dirname(BENCH_DIR);
const RESULTS_DIR = join(BENCH_DIR, 'results');
const LAYERBENCH_PY = join(BENCH_DIR, 'py', 'layerbench.py');
const require = createRequire(join(BENCH_DIR, 'package.json'));

const log = (msg) => process.stderr.write(`${msg}\n`);

/** Wall-clock time the rounds of one row aim for (ms), and the fewest / most rounds (as lib/alternate.mjs). */
const BUDGET_MS = { S: 2000, M: 6000, L: 20000 };
const MIN_ROUNDS = 5;
const MAX_ROUNDS = 60;

/** Agreement with PyTorch float64, relative to the largest magnitude of each result. */
const TOL = { f64: 1e-10, f32: 1e-4 };

export const OPS = ['forward', 'nograd', 'train'];

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const opts = { pkg: REPO_ROOT, sizes: ['M', 'L'], bidir: ['M'], only: /** @type {Set<string> | null} */ (null), quick: false, withTorch: false, args: argv };
  const list = (s) => s.split(',').map((v) => v.trim()).filter(Boolean);
  for (const arg of argv) {
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--with-torch') opts.withTorch = true;
    else if (arg.startsWith('--sizes=')) opts.sizes = list(arg.slice(8)).map((s) => s.toUpperCase());
    else if (arg.startsWith('--bidir=')) opts.bidir = list(arg.slice(8)).map((s) => s.toUpperCase());
    else if (arg.startsWith('--package=')) opts.pkg = resolve(arg.slice(10));
    else if (arg.startsWith('--only=')) opts.only = new Set(list(arg.slice(7)).map((s) => s.toLowerCase()));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench:layers -- [--sizes=M,L] [--bidir=M] [--only=...] [--quick] [--with-torch]\n' +
          '  --sizes=M,L   workloads for the single-layer LSTM and GRU rows (S, M, L; none: --sizes=)\n' +
          '  --bidir=M     workloads for the 2-layer bidirectional LSTM, unequal against full lengths\n' +
          '  --only=...    systems: native, wasm, torch (torch-f64, torch-f32), onnx; js (the slow\n' +
          '                reference backend) only when named\n' +
          '  --package=DIR the package root whose dist/ is timed (default: this repository)\n' +
          '  --quick       a third of the time budget per row, 3 rounds at least\n' +
          '  --with-torch  create bench/.venv with PyTorch when it is missing (several GB)\n',
      );
      process.exit(0);
    } else {
      log(`bench:layers: unknown option ${arg} (see --help)`);
      process.exit(2);
    }
  }
  for (const s of [...opts.sizes, ...opts.bidir]) {
    if (!WORKLOADS[s]) {
      log(`bench:layers: unknown workload ${s} (S, M or L)`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const wanted = (id) => !opts.only || opts.only.has(id) || (id.startsWith('torch') && opts.only.has('torch'));

// ------------------------------------------------------------------ helpers

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** max |a − b| / max |b|: the largest difference relative to the reference's largest magnitude. */
function maxRel(a, b) {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  }
  return diff / (scale || 1);
}

const errorText = (error) => String((error instanceof Error && error.message) || error).split('\n')[0];

function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

/** Share of CPU time taken by other guests (`steal`) since `before` (Linux only, else null). */
function stealSample() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ systems

/**
 * rnn-wasm's layer classes on one backend. `open(case, data)` returns `{ run(op), time(op),
 * results(op) }`; the backend and one thread are selected before every call, outside the timing.
 */
function rnnWasmSystem(api, backend, dtype = 'f64') {
  const select = () => {
    api.setBackend(backend);
    if (backend === 'native') api.setThreads(1);
  };
  const f32 = dtype === 'f32';
  return {
    id: `rnn-wasm:${backend}${f32 ? ':f32' : ''}`,
    label: `rnn-wasm ${backend}${f32 ? ' f32' : ''}`,
    dtype,
    ops: OPS,
    open(c, data) {
      select();
      const Cls = c.cell === 'lstm' ? api.LSTM : api.GRU;
      const layer = new Cls({
        inputSize: c.inputSize,
        hiddenSize: c.hiddenSize,
        numLayers: c.numLayers,
        bidirectional: c.bidirectional,
        ...(f32 ? { dtype: 'float32' } : {}),
      });
      layer.loadStateDict(data.state);
      const t = data.tensors;
      const state = { h0: t.h0, ...(c.cell === 'lstm' ? { c0: t.c0 } : {}), ...(c.lengths ? { lengths: c.lengths } : {}) };
      const upstream = { output: t.d_output, h: t.d_h, ...(c.cell === 'lstm' ? { c: t.d_c } : {}) };
      const run = (op) => {
        if (op === 'nograd') return { fwd: layer.forward(t.x, { ...state, noGrad: true }) };
        const fwd = layer.forward(t.x, state);
        if (op === 'forward') return { fwd };
        return { fwd, grads: layer.backward(fwd, upstream) };
      };
      return {
        time(op) {
          select();
          const t0 = performance.now();
          run(op);
          return performance.now() - t0;
        },
        results(op) {
          select();
          const { fwd, grads } = run(op);
          const named = { output: fwd.output.data, h: fwd.h.data };
          if (fwd.c) named.c = fwd.c.data;
          if (grads) {
            named.d_x = grads.x.data;
            named.d_h0 = grads.h0.data;
            if (grads.c0) named.d_c0 = grads.c0.data;
            for (const [k, v] of Object.entries(grads.params)) named[`d_${k}`] = v.data;
          }
          return named;
        },
      };
    },
  };
}

/** Whether the built package's layers take `dtype: 'float32'`. */
function supportsFloat32(api) {
  try {
    new api.LSTM({ inputSize: 1, hiddenSize: 1, dtype: 'float32' });
    return true;
  } catch {
    return false;
  }
}

/**
 * rnn-wasm's ONNX operators (`onnxLSTM`, `onnxGRU`) on one backend, given float32 tensors as
 * onnxruntime is: the same node, weights and inputs (single-layer cases; inference only).
 */
function rnnWasmOnnxSystem(api, backend) {
  const select = () => {
    api.setBackend(backend);
    if (backend === 'native') api.setThreads(1);
  };
  return {
    id: `rnn-wasm-onnx:${backend}`,
    label: `rnn-wasm onnx op ${backend}`,
    dtype: 'f32',
    ops: ['nograd'],
    accepts: (c) => c.numLayers === 1,
    open(c, data) {
      const D = c.bidirectional ? 2 : 1;
      const H = c.hiddenSize;
      const G = c.cell === 'lstm' ? 4 : 3;
      const { W, R, B } = onnxLayerTensors(c.cell, data.state, 0, c);
      const t = data.tensors;
      const f32 = (nd, shape = nd.shape) => ({ data: Float32Array.from(nd.data), shape });
      const inputs = {
        X: f32(t.x),
        W: { data: W, shape: [D, G * H, c.inputSize] },
        R: { data: R, shape: [D, G * H, H] },
        B: { data: B, shape: [D, 2 * G * H] },
        initial_h: f32(t.h0, [D, c.N, H]),
        ...(c.cell === 'lstm' ? { initial_c: f32(t.c0, [D, c.N, H]) } : {}),
        ...(c.lengths ? { sequence_lens: Int32Array.from(c.lengths) } : {}),
      };
      const attrs = { hidden_size: H, direction: c.bidirectional ? 'bidirectional' : 'forward', ...(c.cell === 'gru' ? { linear_before_reset: 1 } : {}) };
      const op = c.cell === 'lstm' ? api.onnxLSTM : api.onnxGRU;
      return {
        time() {
          select();
          const t0 = performance.now();
          op(inputs, attrs);
          return performance.now() - t0;
        },
        results() {
          select();
          const out = op(inputs, attrs);
          // Y (T, D, N, H) → (T, N, D·H), as the layer's output
          const Y = new Float64Array(out.Y.data.length);
          const rows = c.T * c.N;
          for (let r = 0; r < rows; r++) {
            const [step, n] = [Math.floor(r / c.N), r % c.N];
            for (let d = 0; d < D; d++) Y.set(out.Y.data.subarray(((step * D + d) * c.N + n) * H, ((step * D + d) * c.N + n + 1) * H), (r * D + d) * H);
          }
          const named = { output: Y, h: Float64Array.from(out.Y_h.data) };
          if (out.Y_c) named.c = Float64Array.from(out.Y_c.data);
          return named;
        },
      };
    },
  };
}

/** onnxruntime-node on one intra-op thread: inference only (the noGrad rows). */
function onnxSystem(ort) {
  return {
    id: 'onnxruntime',
    label: 'onnxruntime',
    dtype: 'f32',
    ops: ['nograd'],
    async open(c, data) {
      const D = c.bidirectional ? 2 : 1;
      const H = c.hiddenSize;
      const bytes = buildRecurrentLayerModel({ ...c, withLengths: Boolean(c.lengths) }, data.state);
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const t = data.tensors;
      const f32 = (nd, shape = nd.shape) => new ort.Tensor('float32', Float32Array.from(nd.data), shape);
      const slice = (nd, k) => ({ data: nd.data.subarray(k * D * c.N * H, (k + 1) * D * c.N * H), shape: [D, c.N, H] });
      const feeds = { X: f32(t.x) };
      for (let k = 0; k < c.numLayers; k++) {
        feeds[`h0_l${k}`] = f32(slice(t.h0, k));
        if (c.cell === 'lstm') feeds[`c0_l${k}`] = f32(slice(t.c0, k));
      }
      if (c.lengths) feeds.sequence_lens = new ort.Tensor('int32', Int32Array.from(c.lengths), [c.N]);
      const concat = (out, name) => {
        const parts = Array.from({ length: c.numLayers }, (_, k) => out[`${name}_l${k}`].data);
        const all = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
        let o = 0;
        for (const p of parts) {
          all.set(p, o);
          o += p.length;
        }
        return all;
      };
      return {
        async time() {
          const t0 = performance.now();
          await session.run(feeds);
          return performance.now() - t0;
        },
        async results() {
          const out = await session.run(feeds);
          const named = { output: Float64Array.from(out.output.data), h: concat(out, 'h') };
          if (c.cell === 'lstm') named.c = concat(out, 'c');
          return named;
        },
        dispose: () => session.release(),
      };
    },
  };
}

/** PyTorch float64 or float32 in the worker process, timed there. */
function torchSystem(worker, dtype) {
  const id = `torch-${dtype}`;
  return {
    id,
    label: `PyTorch ${dtype}`,
    dtype,
    ops: OPS,
    open(c) {
      return {
        time: async (op) => (await worker.request({ cmd: 'time', case: c.id, system: id, op })).ms,
      };
    },
  };
}

// ------------------------------------------------------------------ timing

/**
 * Times `entries` (each `{ key, time: () => ms | Promise<ms> }`) round after round, each round
 * in a rotated order. The first round is a warm-up (dropped) when it is short; the round count
 * fits `budgetMs` within MIN_ROUNDS..MAX_ROUNDS. Returns per key its samples, and the rounds.
 */
async function alternateEntries(entries, budgetMs, minRounds) {
  const once = async () => {
    const times = {};
    for (const e of entries) times[e.key] = await e.time();
    return times;
  };
  const t0 = performance.now();
  await once();
  let roundMs = performance.now() - t0;
  if (roundMs < 2000) {
    // the first round paid for warm-up; size the rounds on a second one
    const t1 = performance.now();
    await once();
    roundMs = performance.now() - t1;
  }
  const rounds = Math.max(minRounds, Math.min(MAX_ROUNDS, Math.floor(budgetMs / Math.max(roundMs, 1e-3))));
  const samples = Object.fromEntries(entries.map((e) => [e.key, []]));
  for (let i = 0; i < rounds; i++) {
    const shift = i % entries.length;
    const order = [...entries.slice(shift), ...entries.slice(0, shift)];
    for (const e of order) samples[e.key].push(await e.time());
  }
  return { rounds, samples };
}

/** Median, range and count of the per-round ratios `num[i] / den[i]`. */
function roundRatio(num, den) {
  const r = num.map((v, i) => v / den[i]);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r), rounds: r.length };
}

// ------------------------------------------------------------------ main

async function main() {
  const started = Date.now();
  const loadStart = os.loadavg();
  const stealStart = stealSample();
  const notes = [];
  const budgetScale = opts.quick ? 1 / 3 : 1;
  const minRounds = opts.quick ? 3 : MIN_ROUNDS;
  if (!ensureNodeDeps(BENCH_DIR)) log('bench:layers: bench/node_modules could not be installed; onnxruntime-node may be missing');

  // ---------------------------------------------------------------- systems
  const systems = [];
  const meta = {};
  const distIndex = join(opts.pkg, 'dist', 'index.js');
  let api = null;
  if (wanted('native') || wanted('wasm') || opts.only?.has('js')) {
    try {
      api = await import(pathToFileURL(distIndex).href);
    } catch (error) {
      notes.push(`rnn-wasm skipped: cannot import the built package (${errorText(error)}); run \`npm run build\`.`);
    }
  }
  if (api && !(typeof api.LSTM === 'function' && typeof api.GRU === 'function')) {
    notes.push('rnn-wasm skipped: the built package exports no LSTM / GRU classes (run `npm run build`).');
    api = null;
  }
  if (api) {
    const errors = api.backendErrors?.() ?? {};
    for (const backend of ['native', 'wasm', 'js']) {
      if (backend === 'js' ? !opts.only?.has('js') : !wanted(backend)) continue;
      try {
        api.setBackend(backend);
        systems.push(rnnWasmSystem(api, backend));
        if (backend !== 'js' && supportsFloat32(api)) systems.push(rnnWasmSystem(api, backend, 'f32'));
        if (backend !== 'js' && typeof api.onnxLSTM === 'function') systems.push(rnnWasmOnnxSystem(api, backend));
      } catch (error) {
        notes.push(`rnn-wasm \`${backend}\` skipped: unavailable (${errors[backend] ?? errorText(error)}).`);
      }
    }
    const pkg = JSON.parse(readFileSync(join(opts.pkg, 'package.json'), 'utf8'));
    meta.rnn_wasm = pkg.version;
  }

  const cases = makeCases(opts.sizes, opts.bidir);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'rnn-wasm-layers-'));
  log(`bench:layers: writing ${cases.length} cases' weights and inputs ...`);
  const caseData = writeCases(dataDir, cases);

  let worker = null;
  // PyTorch float64 is every check's reference: its worker starts even when --only leaves
  // PyTorch's own rows out.
  {
    let python = null;
    const venvPython = join(BENCH_DIR, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
    if (existsSync(venvPython) && hasModule(venvPython, 'torch')) python = venvPython;
    else if (process.env.PYTHON && hasModule(process.env.PYTHON, 'torch')) python = process.env.PYTHON;
    else if (opts.withTorch) {
      const venv = ensureTorchVenv(BENCH_DIR, findPython());
      if (venv.python) python = venv.python;
      else notes.push(`PyTorch skipped: ${venv.reason}.`);
    } else {
      notes.push('PyTorch skipped: no bench/.venv with torch (`--with-torch` creates it; PyPI\'s Linux wheel brings several GB).');
    }
    if (python) {
      try {
        log('bench:layers: starting PyTorch ...');
        worker = await startTorchWorker(python, LAYERBENCH_PY, dataDir);
        Object.assign(meta, worker.meta);
        for (const dtype of ['f64', 'f32']) if (wanted(`torch-${dtype}`)) systems.push(torchSystem(worker, dtype));
      } catch (error) {
        notes.push(`PyTorch skipped: ${errorText(error)}.`);
      }
    }
  }
  // The reference of every check is PyTorch float64; without it the checks cannot run.
  const reference = worker !== null;
  if (!reference) notes.push('No PyTorch float64 reference: outputs were not checked.');

  if (wanted('onnx') || wanted('onnxruntime')) {
    try {
      const ort = require('onnxruntime-node');
      meta.onnxruntime_node = require('onnxruntime-node/package.json').version;
      systems.push(onnxSystem(ort));
    } catch (error) {
      notes.push(`onnxruntime-node skipped: it did not load (${errorText(error)}).`);
    }
  }
  log(`bench:layers: systems ${systems.map((s) => s.id).join(', ')}`);

  // ---------------------------------------------------------------- cases
  const rows = []; // one per (case, op, system)
  const ratios = []; // per-round ratios
  const groups = [...new Set(cases.map((c) => c.group))];
  for (const group of groups) {
    const members = cases.filter((c) => c.group === group);
    const workload = members[0].workload;
    log(`\n${group}`);
    /** @type {Map<string, any>} open handles, key `${caseId}|${systemId}` */
    const handles = new Map();
    const row = (c, op, s) => rows.find((r) => r.case === c.id && r.op === op && r.system === s.id);
    for (const c of members) {
      const data = caseData.get(c.id);
      /** @type {Record<string, Record<string, Float64Array>> | null} */
      let refs = null;
      let f32Diffs = null;
      if (worker) {
        try {
          await worker.request({ cmd: 'prepare', case: c.id });
          const checked = await worker.request({ cmd: 'check', case: c.id, ops: ['forward', 'train'] });
          f32Diffs = checked.f32_vs_f64;
          /** @type {Record<string, Record<string, Float64Array>>} */
          const loaded = {};
          for (const [op, files] of Object.entries(checked.ref)) {
            loaded[op] = {};
            for (const [k, spec] of Object.entries(files)) {
              const buf = readFileSync(join(dataDir, spec.file)); // copied: a Buffer's offset need not be 8-aligned
              loaded[op][k] = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
            }
          }
          refs = loaded;
        } catch (error) {
          notes.push(`PyTorch failed on ${c.id}: ${errorText(error)}`);
        }
      }
      for (const s of systems) {
        if (s.accepts && !s.accepts(c)) continue;
        let handle = null;
        try {
          handle = await s.open(c, data);
          handles.set(`${c.id}|${s.id}`, handle);
        } catch (error) {
          for (const op of s.ops) rows.push(baseRow(c, op, s, { error: `setup: ${errorText(error)}` }));
          log(`  ${s.label} ${c.id}: setup failed: ${errorText(error)}`);
          continue;
        }
        for (const op of s.ops) {
          const r = baseRow(c, op, s);
          rows.push(r);
          const want = refs?.[op === 'train' ? 'train' : 'forward'];
          try {
            if (s.id === 'torch-f64') {
              r.check = { ok: Boolean(want), reference: true };
            } else if (s.id === 'torch-f32') {
              const diffs = f32Diffs?.[op === 'train' ? 'train' : 'forward'];
              r.check = diffs ? verdict(diffs, TOL.f32) : { ok: false, problems: ['no reference'] };
            } else {
              const got = await handle.results(op);
              if (want) {
                const diffs = {};
                for (const [k, v] of Object.entries(want)) diffs[k] = k in got ? maxRel(got[k], v) : Infinity;
                r.check = verdict(diffs, TOL[s.dtype]);
              } else {
                r.check = { ok: false, problems: ['no reference'] };
              }
            }
          } catch (error) {
            r.error = errorText(error);
            log(`  ${s.label} ${c.id} ${op}: ${r.error}`);
          }
          if (r.check && !r.check.ok) log(`  CHECK FAILED ${s.label} ${c.id} ${op}: ${r.check.problems.join('; ')}`);
        }
      }
    }

    // Time: one set of rounds per op over every (case, system) of the group that works.
    for (const op of OPS) {
      const entries = [];
      for (const c of members) {
        for (const s of systems) {
          const r = row(c, op, s);
          if (!r || r.error) continue;
          const h = handles.get(`${c.id}|${s.id}`);
          entries.push({ key: `${c.id}|${s.id}`, time: () => h.time(op) });
        }
      }
      if (!entries.length) continue;
      let timed;
      try {
        timed = await alternateEntries(entries, BUDGET_MS[workload] * budgetScale, minRounds);
      } catch (error) {
        notes.push(`Timing ${group} ${op} failed: ${errorText(error)}`);
        continue;
      }
      for (const c of members) {
        for (const s of systems) {
          const r = row(c, op, s);
          const xs = timed.samples[`${c.id}|${s.id}`];
          if (!r || !xs) continue;
          Object.assign(r, {
            median_ms: median(xs),
            min_ms: Math.min(...xs),
            max_ms: Math.max(...xs),
            rounds: xs.length,
            gflops: r.flops / (median(xs) * 1e6),
          });
          log(`  ${c.id.padEnd(18)} ${op.padEnd(8)} ${s.label.padEnd(18)} ${r.median_ms.toFixed(3).padStart(11)} ms  (${xs.length} rounds)`);
        }
        // speed of each system against PyTorch float64, round by round
        const ref = timed.samples[`${c.id}|torch-f64`];
        if (ref) {
          for (const s of systems) {
            const xs = timed.samples[`${c.id}|${s.id}`];
            if (s.id === 'torch-f64' || !xs) continue;
            ratios.push({ kind: 'speedup_vs_torch_f64', case: c.id, group, op, system: s.id, ...roundRatio(ref, xs) });
          }
        }
      }
      // the ONNX operators against onnxruntime on the same node, round by round
      for (const c of members) {
        const ort = timed.samples[`${c.id}|onnxruntime`];
        for (const s of systems) {
          const xs = timed.samples[`${c.id}|${s.id}`];
          if (ort && xs && s.id.startsWith('rnn-wasm-onnx')) ratios.push({ kind: 'onnx_op_vs_onnxruntime', case: c.id, group, op, system: s.id, ...roundRatio(ort, xs) });
        }
      }
      // the float32 layers against PyTorch float32, onnxruntime and their own backend in float64
      for (const c of members) {
        for (const s of systems) {
          const xs = timed.samples[`${c.id}|${s.id}`];
          if (!xs || !/^rnn-wasm:.*:f32$/.test(s.id)) continue;
          const against = { speedup_vs_torch_f32: 'torch-f32', speedup_vs_onnxruntime: 'onnxruntime', f32_over_f64: s.id.slice(0, -4) };
          for (const [kind, id] of Object.entries(against)) {
            const ref = timed.samples[`${c.id}|${id}`];
            if (ref) ratios.push({ kind, case: c.id, group, op, system: s.id, ...roundRatio(ref, xs) });
          }
        }
      }
      // unequal lengths against full length, per system, round by round
      const unequal = members.find((c) => c.id.endsWith('-unequal'));
      const full = members.find((c) => c.id.endsWith('-full'));
      if (unequal && full) {
        for (const s of systems) {
          const a = timed.samples[`${unequal.id}|${s.id}`];
          const b = timed.samples[`${full.id}|${s.id}`];
          if (a && b) ratios.push({ kind: 'unequal_over_full', case: unequal.id, group, op, system: s.id, ...roundRatio(a, b) });
        }
      }
    }
    for (const h of handles.values()) {
      try {
        await h.dispose?.();
      } catch {
        // disposal does not matter for the numbers
      }
    }
    if (worker) for (const c of members) await worker.request({ cmd: 'release', case: c.id }).catch(() => {});
  }
  if (worker) await worker.close();
  rmSync(dataDir, { recursive: true, force: true });

  // ---------------------------------------------------------------- output
  const loadEnd = os.loadavg();
  const stealEnd = stealSample();
  if (stealStart && stealEnd && stealEnd.total > stealStart.total) {
    meta.steal_pct = +((100 * (stealEnd.steal - stealStart.steal)) / (stealEnd.total - stealStart.total)).toFixed(1);
  }
  for (const r of rows) if (r.error) notes.push(`${r.system} failed (${r.op}${r.case.includes('bilstm') ? ', bidirectional' : ''}): ${r.error}`);
  for (const r of rows) if (r.check && !r.check.ok) notes.push(`Check failed: ${r.system} ${r.case} ${r.op}: ${r.check.problems.join('; ')}.`);
  const doc = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpuModel(),
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      node: process.versions.node,
      ...meta,
      threads: 1,
      args: opts.args,
      sizes: opts.sizes,
      bidir_sizes: opts.bidir,
      workloads: Object.fromEntries([...new Set([...opts.sizes, ...opts.bidir])].map((k) => [k, WORKLOADS[k]])),
      tolerance: TOL,
      load_average_start: loadStart,
      load_average_end: loadEnd,
      duration_s: +((Date.now() - started) / 1000).toFixed(1),
    },
    cases: cases.map((c) => ({ ...c, dataOf: undefined })),
    systems: systems.map((s) => ({ id: s.id, label: s.label, dtype: s.dtype })),
    rows,
    ratios,
    notes: [...new Set(notes)],
  };
  const partial = opts.quick || opts.only || opts.pkg !== REPO_ROOT || opts.sizes.join() !== 'M,L' || opts.bidir.join() !== 'M';
  const stem = partial ? 'layers-partial' : 'layers';
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${stem}.json`), scrubPaths(`${JSON.stringify(doc, null, 1)}\n`));
  writeFileSync(join(RESULTS_DIR, `${stem}.md`), scrubPaths(markdownReport(doc)));
  process.stdout.write(`\n${scrubPaths(textReport(doc))}\n`);
  log(`\nwrote ${relative(process.cwd(), join(RESULTS_DIR, `${stem}.json`))} and ${stem}.md`);
}

/** `{ ok, worst, max_rel, problems }` from per-result relative differences. */
function verdict(diffs, tol) {
  const problems = Object.entries(diffs)
    .filter(([, v]) => !(v <= tol))
    .map(([k, v]) => `${k} differs by ${Number(v).toExponential(2)} > ${tol}`);
  const worst = Math.max(0, ...Object.values(diffs).map(Number));
  return { ok: problems.length === 0, worst, tolerance: tol, max_rel: diffs, problems };
}

/** @returns {Record<string, any>} */
function baseRow(c, op, s, extra = {}) {
  return {
    case: c.id,
    group: c.group,
    workload: c.workload,
    label: c.label,
    op,
    system: s.id,
    dtype: s.dtype,
    flops: layerFlops(c, op),
    ...extra,
  };
}

/** Results name files relative to the repository, never by this machine's absolute paths. */
function scrubPaths(text) {
  let out = text;
  for (const [from, to] of [
    [REPO_ROOT, '<repo>'],
    [os.tmpdir(), '<tmp>'],
    [os.homedir(), '~'],
  ]) {
    if (from && from.length > 1) out = out.split(from).join(to);
  }
  return out;
}

main().catch((error) => {
  log(`bench:layers: ${error?.stack ?? error}`);
  process.exit(1);
});
