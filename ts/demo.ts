/**
 * `npm start`: one LSTM forward + backward at a realistic size on every available backend,
 * checked against the `js` reference, with the time per call.
 */
import { performance } from 'node:perf_hooks';
import { backendErrors, getBackend, lstm_backward, lstm_forward, setBackend, type BackendName, type NDArray } from './index.js';

const [n_x, n_a, n_y, m, T_x] = [64, 128, 10, 32, 50];

/** Deterministic uniform values in [-scale, scale). */
function seeded(seed: number) {
  let s = seed >>> 0;
  return (shape: number[], scale = 1): NDArray => {
    const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
    }
    return { data, shape };
  };
}

const random = seeded(42);
const w = 1 / Math.sqrt(n_a + n_x);
const parameters: Record<string, NDArray> = { Wy: random([n_y, n_a], w), by: random([n_y, 1], w) };
for (const g of ['f', 'i', 'c', 'o']) {
  parameters[`W${g}`] = random([n_a, n_a + n_x], w);
  parameters[`b${g}`] = random([n_a, 1], w);
}
const x = random([n_x, m, T_x]);
const a0 = random([n_a, m]);
const da = random([n_a, m, T_x]);

function run() {
  const [a, y, c, caches] = lstm_forward(x, a0, parameters);
  const grads = lstm_backward(da, caches);
  return { a, y, c, ...grads } as Record<string, NDArray>;
}

function time(fn: () => unknown, minMs = 300): number {
  fn();
  let calls = 0;
  const start = performance.now();
  do {
    fn();
    calls++;
  } while (performance.now() - start < minMs);
  return (performance.now() - start) / calls;
}

function worstRelativeError(got: Record<string, NDArray>, want: Record<string, NDArray>): [string, number] {
  let worst: [string, number] = ['', 0];
  for (const key of Object.keys(want)) {
    let scale = 0;
    let diff = 0;
    want[key].data.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - got[key].data[i]));
    });
    const rel = diff / (scale || 1);
    if (!(rel <= worst[1])) worst = [key, rel];
  }
  return worst;
}

const defaultBackend = getBackend();
console.log(`rnn-wasm demo: LSTM forward + backward, n_x=${n_x} n_a=${n_a} n_y=${n_y} m=${m} T_x=${T_x} (float64)`);
console.log(`default backend: ${defaultBackend}\n`);

setBackend('js');
const reference = run();
const rows: string[][] = [];
for (const name of ['native', 'wasm', 'js'] as BackendName[]) {
  try {
    setBackend(name);
  } catch {
    rows.push([name, 'unavailable', '', '', backendErrors()[name] ?? '']);
    continue;
  }
  const [key, err] = name === 'js' ? ['-', 0] : worstRelativeError(run(), reference);
  let caches: ReturnType<typeof lstm_forward>[3] | undefined;
  const fwd = time(() => (caches = lstm_forward(x, a0, parameters)[3]));
  const bwd = time(() => lstm_backward(da, caches!));
  rows.push([name, fwd.toFixed(2), bwd.toFixed(2), name === 'js' ? 'reference' : `${err.toExponential(1)} (${key})`, '']);
}
setBackend(defaultBackend);

const header = ['backend', 'forward ms', 'backward ms', 'max rel. error vs js', 'note'];
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
const line = (r: string[]) => r.map((v, k) => v.padEnd(widths[k])).join('  ').trimEnd();
console.log(line(header));
console.log(widths.map((n) => '-'.repeat(n)).join('  '));
rows.forEach((r) => console.log(line(r)));
