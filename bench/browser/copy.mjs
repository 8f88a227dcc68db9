// `node bench/browser/copy.mjs`: where the time of copying results out of wasm linear memory goes,
// in Node and in headless Chromium (test/browser/chromium.mjs), on the sizes of the M LSTM
// forward pass's outputs (a, c, y, gates: 9.5 MiB in all). Each copy variant runs into a
// destination already written once ("warm") and into a freshly allocated one ("fresh"), as
// `run` in ts/backends/wasm-runtime.ts does every call (fresh: `new Float64Array`, as in the
// browser; the package in Node allocates with Buffer.allocUnsafeSlow); `alloc+fill` is a fresh
// allocation written without any copy. Medians of 40 reps, in ms; rounds alternate Node and the browser.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../test/browser/chromium.mjs';

/** Runs in both engines: plain ES, no closures over module scope. */
function copyBench(wasmBytes, reps) {
  const mem = /** @type {WebAssembly.Memory} */ (new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {}).exports.memory);
  const sizes = [204800, 204800, 16000, 819200];
  const total = sizes.reduce((a, b) => a + b, 0);
  const need = total * 8 + 1048576;
  if (mem.buffer.byteLength < need * 2) mem.grow(Math.ceil((need * 2) / 65536));
  const base = mem.buffer.byteLength - need;
  const heap = new Float64Array(mem.buffer);
  for (let i = 0; i < total; i++) heap[base / 8 + i] = Math.sin(i);
  const starts = [];
  for (let s = base / 8, k = 0; k < sizes.length; s += sizes[k++]) starts.push(s);
  const alloc = () => {
    const b = new Float64Array(total);
    const outs = [];
    for (let at = 0, k = 0; k < sizes.length; at += sizes[k++]) outs.push(b.subarray(at, at + sizes[k]));
    return outs;
  };
  const variants = {
    'set(heap.subarray)': (outs) => { for (let k = 0; k < 4; k++) outs[k].set(heap.subarray(starts[k], starts[k] + outs[k].length)); },
    'set(new F64 view)': (outs) => { for (let k = 0; k < 4; k++) outs[k].set(new Float64Array(mem.buffer, starts[k] * 8, outs[k].length)); },
    'Uint8 views': (outs) => {
      for (let k = 0; k < 4; k++) {
        const o = outs[k];
        new Uint8Array(o.buffer, o.byteOffset, o.byteLength).set(new Uint8Array(mem.buffer, starts[k] * 8, o.byteLength));
      }
    },
    'BigInt64 views': (outs) => {
      for (let k = 0; k < 4; k++) {
        const o = outs[k];
        new BigInt64Array(o.buffer, o.byteOffset, o.length).set(new BigInt64Array(mem.buffer, starts[k] * 8, o.length));
      }
    },
    loop: (outs) => { for (let k = 0; k < 4; k++) { const o = outs[k]; for (let i = 0, s = starts[k]; i < o.length; i++) o[i] = heap[s + i]; } },
  };
  const times = {};
  const add = (name, t) => (times[name] ??= []).push(t);
  const warm = alloc();
  for (const f of Object.values(variants)) f(warm);
  for (let r = 0; r < reps; r++) {
    for (const [name, f] of Object.entries(variants)) {
      let t0 = performance.now();
      f(warm);
      add(`${name} warm`, performance.now() - t0);
      t0 = performance.now();
      f(alloc());
      add(`${name} fresh`, performance.now() - t0);
    }
    const t0 = performance.now();
    for (const o of alloc()) o.fill(1);
    add('alloc+fill (no copy)', performance.now() - t0);
    // The inputs' direction: JS arrays into the (warm) arena.
    const t1 = performance.now();
    for (let k = 0, at = 1024; k < 4; at += warm[k++].length) heap.set(warm[k], at);
    add('inputs into the arena', performance.now() - t1);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { resizable: /** @type {{ resizable?: boolean }} */ (/** @type {unknown} */ (mem.buffer)).resizable === true, medians: Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)])) };
}

const wasm = readFileSync(fileURLToPath(new URL('../../wasm/rnn_wasm.wasm', import.meta.url)));
const browser = await launchChromium();
const rows = {};
try {
  const page = await browser.newPage();
  await page.goto('about:blank');
  for (let round = 0; round < 3; round++) {
    const node = copyBench(wasm, 40);
    const chrome = await page.evaluate(({ src, bytes }) => (0, eval)(`(${src})`)(new Uint8Array(bytes), 40), { src: copyBench.toString(), bytes: [...wasm] });
    if (round === 0) console.log(`wasm memory buffer resizable: Node ${node.resizable}, Chromium ${chrome.resizable}`);
    for (const name of Object.keys(node.medians)) (rows[name] ??= []).push([node.medians[name], chrome.medians[name]]);
  }
} finally {
  await browser.close();
}
console.log(`${'ms, median per round'.padEnd(28)}${'Node'.padEnd(24)}Chromium ${browser.version()}`);
for (const [name, r] of Object.entries(rows)) {
  console.log(`${name.padEnd(28)}${r.map((x) => x[0].toFixed(2)).join(' ').padEnd(24)}${r.map((x) => x[1].toFixed(1)).join(' ')}`);
}
