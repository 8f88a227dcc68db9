// The demo end to end (`npm run test:demo`): examples/browser/ built with its Vite config, served
// over HTTP, driven in headless Chromium through the hooks documented at the top of
// examples/browser/main.js. It trains 100 steps in the worker while a monitor injected into the
// page measures how long the main thread is unavailable (the largest gap between the callbacks
// of a 4 ms interval timer, the largest gap between animation frames, and long tasks), samples names with
// the temperature slider moved, and saves a screenshot to test/artifacts/demo.png.
//
// Fails when the page reports an error, training does not complete, the loss does not fall, no
// names are sampled, or the main thread stalls for STALL_LIMIT_MS or more while the worker trains.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = join(ROOT, 'examples/browser');
const SCREENSHOT = join(ROOT, 'test/artifacts/demo.png');
const STEPS = 100;
// The target for the longest main-thread stall while the worker trains is under 50 ms. The
// assertion allows twice that: on a 2-core CI machine the worker's thread, the browser's other
// processes and whatever else runs there compete for the cores, and a main thread that is merely
// descheduled shows as a gap too. Training on the main thread instead would stall it for the
// whole run (seconds). The figure is printed either way.
const TARGET_MS = 50;
const STALL_LIMIT_MS = 100;

for (const need of ['dist/browser.js', 'dist/worker.js']) {
  if (!existsSync(join(ROOT, need))) throw new Error(`${need} is missing: run \`npm run build\``);
}

// Build the demo as a site (production mode), into a temporary folder.
const out = mkdtempSync(join(tmpdir(), 'rnn-wasm-demo-'));
const t0 = performance.now();
const { build } = await import('vite');
await build({ configFile: join(DEMO, 'vite.config.js'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
console.log(`demo: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml' };
const server = createServer((req, res) => {
  let path = resolve(out, `.${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`);
  if (path === out || path.endsWith('/')) path = join(path, 'index.html');
  if (!path.startsWith(out) || !existsSync(path)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
});
await new Promise((done) => server.listen(0, '127.0.0.1', () => done(undefined)));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;

/** Installed before the page's scripts: records the main thread's availability. */
function stallMonitor() {
  const INTERVAL = 4;
  /** @type {Window['__stalls']} */
  const m = { running: false, steps: 0, timerGap: 0, steadyGap: 0, frameGap: 0, longTasks: [], timerTicks: 0, frames: 0, gaps: [], startedAt: 0, start, stop };
  window.__stalls = m;
  /** @param {number} steps */
  function start(steps) {
    Object.assign(m, { running: true, steps, timerGap: 0, steadyGap: 0, frameGap: 0, longTasks: [], timerTicks: 0, frames: 0, gaps: [], startedAt: performance.now() });
    // A 4 ms interval timer: light enough not to compete with the page for the CPU; the time
    // between two callbacks beyond the interval is how long the thread was busy (or descheduled).
    /** @type {number} */
    let last = performance.now();
    let stepAtLast = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      const gap = now - last;
      const step = window.__demo?.stepsDone ?? 0;
      m.timerGap = Math.max(m.timerGap, gap);
      // Training proper: from the first progress message to the last one (not the worker's
      // start-up before it, nor the page's handling of the result after it).
      if (stepAtLast >= 1 && step < m.steps) m.steadyGap = Math.max(m.steadyGap, gap);
      m.timerTicks++;
      // Where the gaps of over 20 ms were (ms since start, and the step then), for the report.
      if (gap > 20) m.gaps.push([Math.round(last - m.startedAt), Math.round(gap), stepAtLast]);
      last = now;
      stepAtLast = step;
      if (!m.running) clearInterval(timer);
    }, INTERVAL);
    let lastFrame = performance.now();
    /** @param {number} now */
    const frame = (now) => {
      m.frameGap = Math.max(m.frameGap, now - lastFrame);
      m.frames++;
      lastFrame = now;
      if (m.running) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }
  function stop() {
    m.running = false;
    return { timerGap: m.timerGap, steadyGap: m.steadyGap, frameGap: m.frameGap, longTasks: m.longTasks, timerTicks: m.timerTicks, frames: m.frames, gaps: m.gaps };
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (m.running) m.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask', buffered: false });
}

const browser = await launchChromium();
const problems = [];
let stalls;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
  await page.addInitScript(stallMonitor);
  await page.goto(url);
  await page.waitForFunction(() => window.__demo?.state === 'idle', undefined, { timeout: 30_000 });
  const backend = (await page.locator('#backend').textContent())?.trim();
  console.log(`demo: page ready, main thread on ${backend}`);

  await page.locator('#steps').fill(String(STEPS));
  await page.evaluate((steps) => window.__stalls.start(steps), STEPS);
  const trainStart = Date.now();
  await page.locator('#train').click();
  await page.waitForFunction(() => (window.__demo?.stepsDone ?? 0) >= 1 && window.__demo?.lastLoss != null, undefined, { timeout: 60_000 });
  const [firstStep, firstLoss] = await page.evaluate(() => [window.__demo?.stepsDone ?? 0, Number(window.__demo?.lastLoss)]);
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(window.__demo?.state ?? ''), undefined, { timeout: 180_000 });
  const trainSeconds = (Date.now() - trainStart) / 1000;
  stalls = await page.evaluate(() => window.__stalls.stop());
  const demo = await page.evaluate(() => ({ ...window.__demo }));
  if (demo.state !== 'done') problems.push(`training ended in state ${demo.state}: ${demo.error}`);
  if (demo.stepsDone !== STEPS) problems.push(`the worker reported ${demo.stepsDone} steps, not ${STEPS}`);
  console.log(
    `demo: trained ${demo.stepsDone} steps in ${trainSeconds.toFixed(1)} s, loss ${firstLoss.toFixed(3)} (step ${firstStep}) → ${demo.result?.loss?.toFixed(3)}, ` +
      `${Math.round(demo.result?.charsPerSecond ?? 0)} chars/s in the worker`,
  );
  if (!((demo.result?.loss ?? NaN) < 0.9 * firstLoss)) problems.push(`the loss did not fall by 10% (${firstLoss} → ${demo.result?.loss})`);
  if (!((demo.samples?.length ?? 0) > 0)) problems.push('no samples reported while training');

  // Sampling: the slider to 0.5, then the button.
  await page.locator('#temperature').evaluate((/** @type {HTMLInputElement} */ el) => {
    el.value = '0.5';
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  // The page samples once by itself when training ends (#sample is disabled until the worker
  // answers); the names after the click must be a new answer.
  await page.locator('#sample:enabled').waitFor({ timeout: 30_000 });
  const before = await page.evaluateHandle(() => window.__demo?.names);
  await page.locator('#sample').click();
  await page.waitForFunction((old) => window.__demo?.names !== old && (window.__demo?.names.length ?? 0) > 0, before, { timeout: 30_000 });
  const names = await page.locator('#sample-output li').allTextContents();
  const shown = (await page.locator('#temperature-value').textContent())?.trim();
  console.log(`demo: temperature ${shown}: ${names.join(', ')}`);
  if (shown !== '0.50') problems.push(`the temperature shows ${shown}, not 0.50`);
  if (!names.some((n) => n.trim().length > 0)) problems.push('sampling gave no names');

  mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`demo: screenshot ${SCREENSHOT.replace(ROOT, '')}`);
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}

if (stalls) {
  const load = loadavg()[0].toFixed(1);
  console.log(
    `demo: main thread, longest gap between 4 ms timer callbacks: ${stalls.steadyGap.toFixed(1)} ms while training ` +
      `(first to last progress message), ${stalls.timerGap.toFixed(1)} ms over the whole run (worker start-up and the ` +
      `page's handling of the result included); target < ${TARGET_MS} ms, asserted < ${STALL_LIMIT_MS} ms; ` +
      `load average ${load} on ${availableParallelism()} cores`,
  );
  console.log(
    `demo: ${stalls.timerTicks} timer callbacks, ${stalls.frames} animation frames (longest gap ${stalls.frameGap.toFixed(1)} ms), ` +
      `long tasks (> 50 ms): ${stalls.longTasks.length ? `${stalls.longTasks.join(', ')} ms` : 'none'}`,
  );
  const worst = [...stalls.gaps].sort((x, y) => y[1] - x[1]).slice(0, 5);
  if (worst.length) console.log(`demo: longest gaps: ${worst.map(([at, ms, step]) => `${ms} ms at +${at} ms (step ${step})`).join(', ')}`);
  if (!(stalls.steadyGap < STALL_LIMIT_MS)) {
    problems.push(`the main thread stalled for ${stalls.steadyGap.toFixed(1)} ms while the worker trained (limit ${STALL_LIMIT_MS} ms)`);
  }
  if (!(stalls.timerTicks >= 0.5 * (stalls.gaps.length + 1))) problems.push('the monitor did not run');
}
for (const p of problems) console.error(`demo: ${p}`);
if (problems.length) process.exit(1);
console.log('demo: ok');
