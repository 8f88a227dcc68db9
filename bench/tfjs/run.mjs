#!/usr/bin/env node
/**
 * `npm run bench:tfjs`: one training step (forward + backward + SGD update, `model.trainOnBatch`)
 * of a TF.js model `lstm(units n_a) → dense(n_y)`, built once with rnn-wasm's `lstm` from
 * rnn-wasm/tfjs and once with TF.js's own `tf.layers.lstm`, on TF.js's 'wasm' backend
 * (@tensorflow/tfjs-backend-wasm, XNNPACK) and its 'cpu' backend, at the M workload size
 * (bench/lib/workloads.mjs). rnn-wasm's layer runs on each of its own backends (native when built,
 * wasm); the dense layer, loss and optimizer run on TF.js's backend in both models.
 *
 *   node bench/tfjs/run.mjs [--sizes=M] [--tf=wasm,cpu] [--rnn=native,wasm] [--activation=hardSigmoid,sigmoid] [--quick]
 *
 * Both models start from the same weights and their outputs are checked to agree (1e-4 relative)
 * before anything is timed. The systems of one row are timed in turn, round after round in
 * rotating order, so a burst of load on a shared machine slows a whole round rather than one
 * column; the table gives medians and the median over rounds of each round's ratio.
 *
 * Writes a table to stdout and bench/results/tfjs.md (tfjs-partial.md for other options).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WORKLOADS } from '../lib/workloads.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = dirname(HERE);
const REPO_ROOT = dirname(BENCH_DIR);
const RESULTS_DIR = join(BENCH_DIR, 'results');
// TF.js from the package root, as dist/tfjs imports it: one TF.js instance for both models
// (bench/node_modules may hold another copy, whose layers would not mix with these).
const rootRequire = createRequire(join(REPO_ROOT, 'package.json'));

const log = (msg) => process.stderr.write(`${msg}\n`);
const TARGET = 5;
const BUDGET_MS = { S: 3000, M: 12000, L: 40000 };
const MIN_ROUNDS = 3;
const MAX_ROUNDS = 40;

function parseArgs(argv) {
  const opts = { sizes: ['M'], tf: ['wasm', 'cpu'], rnn: null, activations: ['hardSigmoid', 'sigmoid'], quick: false, custom: false };
  const list = (s) => s.split(',').map((v) => v.trim()).filter(Boolean);
  for (const arg of argv) {
    if (arg === '--quick') opts.quick = true;
    else if (arg.startsWith('--sizes=')) opts.sizes = list(arg.slice(8)).map((s) => s.toUpperCase());
    else if (arg.startsWith('--tf=')) opts.tf = list(arg.slice(5));
    else if (arg.startsWith('--rnn=')) opts.rnn = list(arg.slice(6));
    else if (arg.startsWith('--activation=')) opts.activations = list(arg.slice(13));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench:tfjs -- [--sizes=M] [--tf=wasm,cpu] [--rnn=native,wasm] [--activation=hardSigmoid,sigmoid] [--quick]\n',
      );
      process.exit(0);
    } else {
      log(`bench:tfjs: unknown option ${arg} (see --help)`);
      process.exit(2);
    }
    if (arg !== '--quick') opts.custom = true;
  }
  return opts;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function fmtTime(ms) {
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  return `${ms.toPrecision(3)} ms`;
}

/** Deterministic uniform values in [-scale, scale). */
function uniform(seed) {
  let s = seed >>> 0;
  return (n, scale = 1) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
    }
    return out;
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const tf = await import(pathToFileURL(rootRequire.resolve('@tensorflow/tfjs')).href);
  const wasmBackend = await import(pathToFileURL(rootRequire.resolve('@tensorflow/tfjs-backend-wasm')).href);
  const wasmDir = dirname(rootRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const setWasmPaths = wasmBackend.setWasmPaths ?? wasmBackend.default.setWasmPaths;
  setWasmPaths(join(wasmDir, 'dist') + '/');
  const rnn = await import(pathToFileURL(join(REPO_ROOT, 'dist', 'index.js')).href);
  const { lstm } = await import(pathToFileURL(join(REPO_ROOT, 'dist', 'tfjs', 'index.js')).href);
  const rnnBackends = opts.rnn ?? ['native', 'wasm'].filter((b) => rnn.backendErrors()[b] === undefined);
  const initialRnnBackend = rnn.getBackend();

  const rows = [];
  for (const size of opts.sizes) {
    const w = WORKLOADS[size];
    if (!w) throw new Error(`unknown size ${size}`);
    const { n_x, n_a, n_y, m, T } = w;
    const rand = uniform(19);
    for (const tfBackend of opts.tf) {
      await tf.setBackend(tfBackend);
      await tf.ready();
      for (const activation of opts.activations) {
        const x = tf.tensor3d(rand(m * T * n_x), [m, T, n_x]);
        const y = tf.tensor2d(rand(m * n_y), [m, n_y]);
        const build = (ours) => {
          const config = { units: n_a, inputShape: [T, n_x], recurrentActivation: activation };
          const model = tf.sequential({ layers: [ours ? lstm(config) : tf.layers.lstm(config), tf.layers.dense({ units: n_y })] });
          model.compile({ optimizer: tf.train.sgd(1e-3), loss: 'meanSquaredError' });
          return model;
        };
        const theirs = build(false);
        const ours = build(true);
        const start = theirs.getWeights().map((t, k) => tf.tensor(rand(t.size, k === 1 ? 0.1 : 0.3), t.shape));
        theirs.setWeights(start);
        ours.setWeights(start);
        // Same numbers before timing: predictions within float32 tolerance.
        for (const b of rnnBackends) {
          rnn.setBackend(b);
          const p = ours.predict(x).dataSync();
          const q = theirs.predict(x).dataSync();
          let diff = 0;
          let scale = 1e-6;
          for (let i = 0; i < q.length; i++) {
            diff = Math.max(diff, Math.abs(p[i] - q[i]));
            scale = Math.max(scale, Math.abs(q[i]));
          }
          if (diff / scale > 1e-4) throw new Error(`${size} ${tfBackend} ${activation}: rnn-wasm (${b}) and TF.js predictions differ by ${diff / scale} relative`);
        }

        const systems = [
          { key: 'tfjs', run: () => theirs.trainOnBatch(x, y) },
          ...rnnBackends.map((b) => ({
            key: b,
            run: () => {
              rnn.setBackend(b);
              return ours.trainOnBatch(x, y);
            },
          })),
        ];
        const t0 = performance.now();
        for (const s of systems) {
          await s.run(); // warm-up
          await s.run();
        }
        const firstMs = (performance.now() - t0) / 2;
        const budget = BUDGET_MS[size] * (opts.quick ? 1 / 3 : 1);
        const rounds = Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, Math.floor(budget / firstMs)));
        /** @type {Record<string, number[]>} */
        const times = Object.fromEntries(systems.map((s) => [s.key, /** @type {number[]} */ ([])]));
        for (let r = 0; r < rounds; r++) {
          const order = systems.map((_, i) => systems[(i + r) % systems.length]);
          for (const s of order) {
            const a = performance.now();
            await s.run();
            times[s.key].push(performance.now() - a);
          }
        }
        const row = { size, tfBackend, activation, rounds, tfjs_ms: median(times.tfjs), ours: {} };
        for (const b of rnnBackends) {
          const ratios = times.tfjs.map((t, i) => t / times[b][i]);
          row.ours[b] = { ms: median(times[b]), speedup: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
        }
        rows.push(row);
        log(
          `${size} TF.js ${tfBackend} ${activation}: TF.js LSTM ${fmtTime(row.tfjs_ms)}; ` +
            rnnBackends.map((b) => `rnn-wasm ${b} ${fmtTime(row.ours[b].ms)} (${row.ours[b].speedup.toFixed(2)}×)`).join(', ') +
            ` [${rounds} rounds]`,
        );
        tf.dispose([x, y, ...start]);
        theirs.dispose();
        ours.dispose();
      }
    }
  }
  rnn.setBackend(initialRnnBackend);

  const seconds = Math.round((performance.now() - started) / 1000);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const head = [
    '# rnn-wasm `lstm` (rnn-wasm/tfjs) against TF.js `tf.layers.lstm`: one training step',
    '',
    `${new Date().toISOString()}, ${cpu} (${os.cpus().length} cores, ${process.platform} ${process.arch}), TF.js ${tf.version.tfjs}, Node ${process.versions.node}; ${seconds} s.`,
    `Model: \`lstm(units n_a) → dense(n_y)\`, mean squared error, SGD; one \`model.trainOnBatch\` (forward, backward, update). ` +
      opts.sizes.map((s) => `${s}: n_x ${WORKLOADS[s].n_x}, n_a ${WORKLOADS[s].n_a}, n_y ${WORKLOADS[s].n_y}, batch ${WORKLOADS[s].m}, T ${WORKLOADS[s].T}`).join('; ') +
      '. Load average ' +
      os.loadavg()[0].toFixed(2) +
      ' at the end.',
    '`recurrentActivation`: hardSigmoid is TF.js\'s default; sigmoid is the standard LSTM (rnn-wasm\'s vectorised gate path). ' +
      'rnn-wasm computes the LSTM in float64; TF.js in float32. The TF.js backend runs the dense layer, loss and optimizer of both models.',
    '',
    '**Median time per training step; rnn-wasm\'s speed-up over TF.js\'s LSTM on the same TF.js backend: median over rounds of each round\'s ratio (range)**',
    '',
  ];
  const cols = ['size', 'TF.js backend', 'recurrentActivation', 'TF.js LSTM', ...rnnBackends.map((b) => `rnn-wasm lstm (${b})`), ...rnnBackends.map((b) => `${b} speed-up`), 'target (TF.js wasm)', 'rounds'];
  const lines = [`| ${cols.join(' | ')} |`, `| ${cols.map((c, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) {
    const best = Math.max(...rnnBackends.map((b) => r.ours[b].speedup));
    const target = r.tfBackend === 'wasm' ? `≥ ${TARGET}×: ${best >= TARGET ? 'met' : `missed (${best.toFixed(2)}×)`}` : '';
    lines.push(
      `| ${[
        r.size,
        r.tfBackend,
        r.activation,
        fmtTime(r.tfjs_ms),
        ...rnnBackends.map((b) => fmtTime(r.ours[b].ms)),
        ...rnnBackends.map((b) => `${r.ours[b].speedup.toFixed(2)}× (${r.ours[b].min.toFixed(2)}–${r.ours[b].max.toFixed(2)})`),
        target,
        r.rounds,
      ].join(' | ')} |`,
    );
  }
  const md = [...head, ...lines, ''].join('\n');
  process.stdout.write(`\n${lines.join('\n')}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, opts.custom || opts.quick ? 'tfjs-partial.md' : 'tfjs.md');
  writeFileSync(file, md);
  log(`wrote ${file}`);
}

main().catch((error) => {
  log(error?.stack ?? String(error));
  process.exit(1);
});
