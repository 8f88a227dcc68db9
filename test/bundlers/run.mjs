// The bundler check (`npm run test:bundlers`): test/bundlers/app, a page that imports rnn-wasm by
// name and runs the notebook fixture's lstm_forward and rnn_forward, built with Vite and with
// esbuild; each output is served over HTTP, loaded in headless Chromium, and must report the wasm
// backend and a max relative error ≤ 1e-10. The page also runs onnxLSTM on one case of
// test/fixtures/onnx/generated.json (float32 within 1e-5 of onnxruntime, float64 within 1e-10 of
// the reference) and, through rnn-wasm/onnx, reads lstm1.onnx (test/fixtures/onnx-files, served
// beside the page) and runs its LSTM node (within 1e-5 of onnxruntime).
//
// The app is copied to a temporary directory with the package in its node_modules/: by default
// the files a tarball holds (package.json, dist/, wasm/) copied from this checkout (run `npm run
// build` first); with `--tarball <file>` (CI: `npm run pack`'s pkg/rnn-wasm-<version>.tgz), that
// tarball unpacked.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../browser/chromium.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '../..');
const TOLERANCE = 1e-10;
const ONNX_FLOAT32_TOLERANCE = 1e-5;
const ONNX_CASE = 'lstm_bidirectional_full';
const ONNX_FILE = 'lstm1.onnx';

const tarballAt = process.argv.indexOf('--tarball');
const tarball = tarballAt > 0 ? resolve(process.argv[tarballAt + 1] ?? '') : undefined;
const keep = process.argv.includes('--keep');

const work = mkdtempSync(join(tmpdir(), 'rnn-wasm-bundlers-'));
const app = join(work, 'app');
cpSync(join(HERE, 'app'), app, { recursive: true });
cpSync(join(ROOT, 'test/fixtures/notebook.json'), join(app, 'notebook.json'));
// The ONNX part: one operator case, and one file with its node's feeds and onnxruntime's outputs.
// The file goes into public/, which Vite copies to its output as is (and the esbuild step too).
{
  const generated = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/onnx/generated.json'), 'utf8'));
  const op = generated.cases.find((c) => c.name === ONNX_CASE);
  const files = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/onnx-files/expected.json'), 'utf8'));
  const file = files.files.find((f) => f.file === ONNX_FILE);
  if (!op || !file) throw new Error(`${ONNX_CASE} or ${ONNX_FILE} is missing from the ONNX fixtures`);
  writeFileSync(join(app, 'onnx.json'), JSON.stringify({ op, file: { name: ONNX_FILE, node: file.nodes[0] } }));
  mkdirSync(join(app, 'public'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/onnx-files', ONNX_FILE), join(app, 'public', ONNX_FILE));
}

// The package, as an install would leave it.
const pkgDir = join(app, 'node_modules/rnn-wasm');
mkdirSync(pkgDir, { recursive: true });
if (tarball) {
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run \`npm run pack\``);
  execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  console.log(`package: ${tarball.replace(`${ROOT}/`, '')}, unpacked`);
} else {
  if (!existsSync(join(ROOT, 'dist/browser.js'))) throw new Error('dist/browser.js is missing: run `npm run build`');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  cpSync(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
  for (const entry of pkg.files) cpSync(join(ROOT, entry), join(pkgDir, entry), { recursive: true });
  console.log(`package: this checkout's ${['package.json', ...pkg.files].join(', ')}`);
}

// Its dependencies (protobufjs for rnn-wasm/onnx, …) with theirs, as an install would put them
// beside it: copied from this checkout's node_modules.
{
  // Appended to while it is walked: for…of sees the new names.
  const pending = Object.keys(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).dependencies ?? {});
  const copied = [];
  for (const name of pending) {
    const to = join(app, 'node_modules', name);
    if (existsSync(to)) continue;
    const from = join(ROOT, 'node_modules', name);
    if (!existsSync(from)) throw new Error(`${name} is missing from node_modules: run \`npm ci\``);
    cpSync(from, to, { recursive: true });
    copied.push(name);
    pending.push(...Object.keys(JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')).dependencies ?? {}));
  }
  console.log(`dependencies: ${copied.join(', ')}`);
}

const outputs = {};
const timed = async (name, fn) => {
  const t0 = performance.now();
  await fn();
  console.log(`${name}: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
};

// Vite: a production build of index.html (root: the app).
await timed('vite', async () => {
  const { build } = await import('vite');
  await build({
    root: app,
    base: './',
    logLevel: 'warn',
    configFile: false,
    // The fixture (700 kB of JSON) is bundled into the page: no chunk-size advice.
    build: { outDir: join(work, 'out/vite'), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  });
  outputs.vite = 'out/vite/index.html';
});

// esbuild: one ES module bundle; the .wasm, imported by its exports-map name, through the `file` loader.
await timed('esbuild', async () => {
  const esbuild = await import('esbuild');
  const outdir = join(work, 'out/esbuild');
  await esbuild.build({
    absWorkingDir: app,
    entryPoints: ['main-esbuild.js'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outdir,
    loader: { '.wasm': 'file' },
    logLevel: 'warning',
  });
  cpSync(join(app, 'public'), outdir, { recursive: true });
  writeFileSync(join(outdir, 'index.html'), readFileSync(join(app, 'index.html'), 'utf8').replace('./main-vite.js', './main-esbuild.js'));
  outputs.esbuild = 'out/esbuild/index.html';
});

// A static server for the outputs, with the MIME types a web server would send.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = createServer((req, res) => {
  const path = join(work, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  if (!path.startsWith(join(work, 'out')) || !existsSync(path)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
  res.end(readFileSync(path));
});
await new Promise((done) => server.listen(0, '127.0.0.1', () => done(undefined)));
const address = server.address();
const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const browser = await launchChromium();
let failed = 0;
try {
  for (const page of Object.values(outputs)) {
    const tab = await browser.newPage();
    const problems = [];
    tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    tab.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
    tab.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));
    const wasmRequests = [];
    tab.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(r.url().replace(origin, '')));
    await tab.goto(`${origin}/${page}`);
    await tab.waitForFunction(() => document.getElementById('result')?.dataset.result !== undefined, undefined, { timeout: 30_000 });
    const result = JSON.parse((await tab.locator('#result').getAttribute('data-result')) ?? '{}');
    const text = await tab.locator('#result').textContent();
    await tab.close();
    if (result.error) problems.push(result.error);
    if (result.backend !== 'wasm' || result.init !== 'wasm') problems.push(`ran on ${result.backend}, init() gave ${result.init}; want wasm`);
    if (!(result.lstm_forward <= TOLERANCE && result.rnn_forward <= TOLERANCE)) problems.push(`error above ${TOLERANCE}`);
    if (!(result.onnx_op_float32 <= ONNX_FLOAT32_TOLERANCE && result.onnx_file <= ONNX_FLOAT32_TOLERANCE)) problems.push(`ONNX float32 error above ${ONNX_FLOAT32_TOLERANCE}`);
    if (!(result.onnx_op_float64 <= TOLERANCE)) problems.push(`ONNX float64 error above ${TOLERANCE}`);
    if (wasmRequests.length !== 1) problems.push(`expected one .wasm request, saw ${JSON.stringify(wasmRequests)}`);
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${text} (wasm: ${wasmRequests.join(', ')})`);
    for (const p of problems) console.log(`     ${p}`);
    if (problems.length) failed++;
  }
} finally {
  await browser.close();
  server.close();
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
if (failed) {
  console.error(`bundler check: ${failed} of ${Object.keys(outputs).length} builds failed`);
  process.exit(1);
}
console.log(`bundler check: ${Object.keys(outputs).join(' and ')} builds load the package and match the notebook and the ONNX fixtures`);
