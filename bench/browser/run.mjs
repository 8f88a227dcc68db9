// `npm run bench:browser`: the wasm backend in headless Chromium against the wasm backend in
// Node, on bench/lib/workloads.mjs's M workload (n_x 64, n_a 128, n_y 10, m 32, T 50): the LSTM
// forward pass and a training step (forward + backward). Both run measure.js's loop on the same
// inputs; rounds alternate between Node and the browser so drift on a shared machine hits both.
// Prints each side's median per call and the browser/Node ratio.
//
//   node bench/browser/run.mjs [--rounds 3] [--samples 15] [--json out.json]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../test/browser/chromium.mjs';
import { makeInputs, WORKLOADS } from '../lib/workloads.mjs';
import { measure } from './measure.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', 3));
const samples = Number(arg('samples', 15));
const jsonOut = arg('json');

if (!existsSync(`${ROOT}dist/browser.js`)) throw new Error('dist/ is missing: run `npm run build`');

// Node: the package's Node entry, forced onto wasm.
const node = await import(`${ROOT}dist/index.js`);
node.setBackend('wasm');
const inputs = makeInputs(WORKLOADS.M);

// The browser: page.js bundled with the package's browser entry, and the .wasm beside it.
const esbuild = await import('esbuild');
const bundle = await esbuild.build({
  entryPoints: [fileURLToPath(new URL('page.js', import.meta.url))],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  alias: { 'rnn-wasm': `${ROOT}dist/browser.js` },
  logLevel: 'warning',
});
const files = {
  '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>bench</title><link rel="icon" href="data:,"><script type="module" src="page.js"></script>'],
  '/page.js': ['text/javascript', bundle.outputFiles[0].contents],
  '/rnn_wasm.wasm': ['application/wasm', readFileSync(`${ROOT}wasm/rnn_wasm.wasm`)],
};
const server = createServer((req, res) => {
  const file = files[req.url ?? '/'];
  if (!file) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
});
await new Promise((done) => server.listen(0, '127.0.0.1', () => done(undefined)));
const address = server.address();
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
await page.waitForFunction(() => 'runBench' in window);
const version = browser.version();

/** @type {{ node: ReturnType<typeof measure>[], browser: ReturnType<typeof measure>[] }} */
const runs = { node: [], browser: [] };
try {
  for (let r = 0; r < rounds; r++) {
    runs.node.push(measure(node, inputs, { samples }));
    runs.browser.push(await page.evaluate((options) => window.runBench(options), { samples }));
    const last = (side) => runs[side].at(-1);
    console.log(
      `round ${r + 1}/${rounds}: forward node ${last('node').forward.median.toFixed(2)} ms, browser ${last('browser').forward.median.toFixed(2)} ms; ` +
        `train node ${last('node').train.median.toFixed(2)} ms, browser ${last('browser').train.median.toFixed(2)} ms`,
    );
  }
} finally {
  await browser.close();
  server.close();
}

for (const side of ['node', 'browser']) {
  const backends = new Set(runs[side].map((r) => r.backend));
  if (backends.size !== 1 || !backends.has('wasm')) throw new Error(`${side} ran on ${[...backends]}, not wasm`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const summary = {};
for (const op of ['forward', 'train']) {
  const all = (side) => runs[side].flatMap((r) => r[op].times);
  const n = median(all('node'));
  const b = median(all('browser'));
  summary[op] = { node_ms: n, browser_ms: b, ratio: b / n, samples: all('node').length };
}
const w = WORKLOADS.M;
console.log(`\nLSTM, workload M (n_x ${w.n_x}, n_a ${w.n_a}, n_y ${w.n_y}, m ${w.m}, T ${w.T}), wasm backend, one thread`);
console.log(`Node ${process.version} vs Chromium ${version}; median of ${rounds}×${samples} calls each\n`);
console.log(`${'operation'.padEnd(30)} ${'Node (ms)'.padStart(10)} ${'browser (ms)'.padStart(13)} ${'browser/Node'.padStart(13)}`);
const label = { forward: 'lstm_forward', train: 'training step (fwd + bwd)' };
for (const [op, s] of Object.entries(summary)) {
  console.log(`${label[op].padEnd(30)} ${s.node_ms.toFixed(2).padStart(10)} ${s.browser_ms.toFixed(2).padStart(13)} ${`${s.ratio.toFixed(3)}×`.padStart(13)}`);
}
if (jsonOut) {
  writeFileSync(jsonOut, `${JSON.stringify({ workload: w, node: process.version, chromium: version, rounds, samples, summary, runs }, null, 1)}\n`);
  console.log(`\nwrote ${jsonOut}`);
}
