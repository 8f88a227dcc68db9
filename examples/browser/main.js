/**
 * The rnn-wasm browser demo: pick a corpus, train a character-level RNN/LSTM in a Web Worker
 * with a live loss chart and samples, sample from the result at a chosen temperature, and
 * download the model. Training and sampling run in worker.js (one worker for the page's
 * lifetime); this thread only draws, so it never stalls while the model learns.
 *
 * Hooks for automated tests (stable; change them only together with test/browser/):
 *
 *   #corpus          <select>: "pokemon" (the built-in names) or "custom"
 *   #corpus-text     <textarea> for the custom corpus, one example per line (shown for "custom")
 *   #kind            <select>: "lstm" | "gru" | "rnn"
 *   #hidden          <select>: hidden units, 16 | 32 | 64 | 128
 *   #steps           <input type=number>: training steps
 *   #sample-every    <input type=number>: samples are drawn every N steps while training
 *   #train           <button>: starts training (disabled while training)
 *   #stop            <button>: stops training (enabled only while training)
 *   #status          <p>: text status; its data-state is "loading" | "idle" | "training" |
 *                    "done" | "stopped" | "error" ("done" once a run completes all its steps)
 *   #loss-chart      the live loss chart (a uPlot canvas inside)
 *   #stat-step, #stat-loss, #stat-speed   the numbers above the chart (step, training loss,
 *                    steps/s while training and the worker's chars/s once done)
 *   #samples         <ol>: samples drawn while training, newest first (one <li> per round)
 *   #temperature     <input type=range>: sampling temperature, 0.1 to 2
 *   #sample          <button>: samples names from the trained model (enabled after training)
 *   #sample-output   <ul>: the sampled names, one <li> each
 *   #download        <button>: downloads the trained model (enabled after training)
 *   #backend         the backend the worker runs on ("Backend: wasm" once it has loaded)
 *
 *   Every one of these also carries data-testid="<the same name>".
 *
 *   window.__demo = {
 *     state,        // same as #status's data-state
 *     backend,      // the worker's backend ("wasm", or "js" without WebAssembly), or null
 *     stepsDone,    // steps reported by the worker so far in the current/last run
 *     lastLoss,     // the latest training loss (nats per character), or null
 *     samples,      // the latest samples reported while training (string[])
 *     names,        // the latest names sampled with #sample (string[])
 *     result,       // after a completed run: { steps, loss, charsPerSecond, bytes } or null
 *     error,        // the last error message, or null
 *   }
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import pokemonNames from 'pokemon/data/en.json';
import { trainInWorker } from 'rnn-wasm/worker';

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
};

const ui = {
  corpus: $('corpus'),
  corpusText: $('corpus-text'),
  corpusTextField: $('corpus-text-field'),
  corpusInfo: $('corpus-info'),
  kind: $('kind'),
  hidden: $('hidden'),
  steps: $('steps'),
  sampleEvery: $('sample-every'),
  train: $('train'),
  stop: $('stop'),
  status: $('status'),
  chart: $('loss-chart'),
  chartEmpty: $('chart-empty'),
  samplesEmpty: $('samples-empty'),
  statStep: $('stat-step'),
  statTotal: $('stat-total'),
  statLoss: $('stat-loss'),
  statSpeed: $('stat-speed'),
  statSpeedUnit: $('stat-speed-unit'),
  samples: $('samples'),
  temperature: $('temperature'),
  temperatureValue: $('temperature-value'),
  sample: $('sample'),
  sampleOutput: $('sample-output'),
  download: $('download'),
  backend: $('backend'),
};

const demo = {
  state: 'loading',
  backend: null,
  stepsDone: 0,
  lastLoss: null,
  samples: [],
  names: [],
  result: null,
  error: null,
};
window.__demo = demo;

/** The trained model: serialized bytes and vocabulary, plus what it was trained as. */
let trained = null;
let controller = null;
let sampleSeed = 1;

// ---------------------------------------------------------------- the worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 0;

/** Asks worker.js's own handler (not the training server) for something; resolves its reply. */
function ask(type, body = {}) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ source: 'demo', id, type, ...body });
  });
}

worker.addEventListener('message', (event) => {
  const message = event.data;
  if (message === null || typeof message !== 'object' || message.source !== 'demo') return;
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.error !== undefined) waiting.reject(new Error(message.error));
  else waiting.resolve(message);
});

worker.addEventListener('error', (event) => {
  const text = event.message || 'the worker script failed to load';
  demo.error = text;
  setStatus('error', `Worker error: ${text}`);
  for (const waiting of pending.values()) waiting.reject(new Error(text));
  pending.clear();
});

function setStatus(state, text) {
  demo.state = state;
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

// ---------------------------------------------------------------- corpus

function corpusLines() {
  if (ui.corpus.value === 'pokemon') return pokemonNames;
  return ui.corpusText.value
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

function describeCorpus() {
  const custom = ui.corpus.value === 'custom';
  ui.corpusTextField.hidden = !custom;
  const lines = corpusLines();
  const chars = new Set(lines.join(''));
  ui.corpusInfo.textContent =
    lines.length === 0
      ? 'Paste at least two lines.'
      : `${lines.length.toLocaleString()} examples, ${chars.size} distinct characters` +
        (custom ? '' : ' · e.g. ' + pokemonNames.slice(0, 3).join(', ') + '…');
}

ui.corpus.addEventListener('change', describeCorpus);
ui.corpusText.addEventListener('input', describeCorpus);

// ---------------------------------------------------------------- chart

const EMA = 0.9; // smoothing of the bold line; the raw losses are drawn faintly beneath it
const xs = [];
const raw = [];
const smooth = [];
let chart = null;
let chartQueued = false;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function makeChart() {
  const accent = cssVar('--accent');
  const muted = cssVar('--muted');
  const line = cssVar('--line');
  const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 }, font: '11px system-ui, sans-serif' };
  const opts = {
    width: Math.max(200, ui.chart.clientWidth),
    height: ui.chart.clientHeight,
    padding: [8, 18, 0, 0],
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false } },
    axes: [
      { ...axis, size: 32 },
      { ...axis, size: 44, values: (_u, ticks) => ticks.map((v) => v.toFixed(2)) },
    ],
    series: [
      {},
      { label: 'loss', stroke: accent + '55', width: 1, points: { show: false } },
      { label: 'smoothed', stroke: accent, width: 2, points: { show: false } },
    ],
  };
  chart = new uPlot(opts, [xs, raw, smooth], ui.chart);
}

function resetChart() {
  xs.length = 0;
  raw.length = 0;
  smooth.length = 0;
  if (chart) chart.setData([xs, raw, smooth]);
}

function pushLoss(step, loss) {
  ui.chartEmpty.hidden = true;
  xs.push(step);
  raw.push(loss);
  // An exponential moving average that starts at the first loss.
  smooth.push(smooth.length ? EMA * smooth[smooth.length - 1] + (1 - EMA) * loss : loss);
  if (!chartQueued) {
    chartQueued = true;
    requestAnimationFrame(() => {
      chartQueued = false;
      chart?.setData([xs, raw, smooth]);
    });
  }
}

new ResizeObserver(() => {
  if (!chart) return;
  chart.setSize({ width: Math.max(200, ui.chart.clientWidth), height: ui.chart.clientHeight });
}).observe(ui.chart);

// ---------------------------------------------------------------- training

function intFrom(input, fallback, min, max) {
  const n = Math.round(Number(input.value));
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

function setTraining(on) {
  ui.train.disabled = on;
  ui.stop.disabled = !on;
  for (const el of [ui.corpus, ui.corpusText, ui.kind, ui.hidden, ui.steps, ui.sampleEvery]) el.disabled = on;
  ui.sample.disabled = on || !trained;
  ui.download.disabled = on || !trained;
}

function addSampleRound(step, texts) {
  const li = document.createElement('li');
  const at = document.createElement('span');
  at.className = 'at';
  at.textContent = `step ${step}`;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = texts.map((t) => t || '∅').join(' · ');
  li.append(at, text);
  ui.samples.prepend(li);
  ui.samplesEmpty.hidden = true;
}

const compactFormat = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const compact = (n) => compactFormat.format(n);

function formatLoss(loss) {
  return Number.isFinite(loss) ? loss.toFixed(3) : String(loss);
}

async function train() {
  const lines = corpusLines();
  if (lines.length < 2) {
    setStatus('error', 'The corpus needs at least two non-empty lines.');
    return;
  }
  const steps = intFrom(ui.steps, 500, 1, 100000);
  const request = {
    text: lines,
    kind: ['rnn', 'gru'].includes(ui.kind.value) ? ui.kind.value : 'lstm',
    hidden: intFrom(ui.hidden, 64, 1, 1024),
    steps,
    sampleEvery: intFrom(ui.sampleEvery, 50, 1, 100000),
    samples: 5,
    temperature: 0.8,
    seed: 1,
  };
  ui.steps.value = String(steps);

  demo.stepsDone = 0;
  demo.lastLoss = null;
  demo.samples = [];
  demo.result = null;
  demo.error = null;
  resetChart();
  ui.samples.replaceChildren();
  ui.samplesEmpty.hidden = false;
  ui.samplesEmpty.textContent = `Names the model makes up as it learns, every ${request.sampleEvery} steps.`;
  ui.chartEmpty.hidden = false;
  ui.chartEmpty.textContent = 'Starting the worker…';
  ui.statStep.textContent = '0';
  ui.statTotal.textContent = `/ ${steps.toLocaleString()}`;
  ui.statLoss.textContent = '–';
  ui.statSpeed.textContent = '–';
  ui.statSpeedUnit.textContent = 'Speed';
  setTraining(true);
  const article = request.kind === 'gru' ? 'a' : 'an'; // "an LSTM", "an RNN", "a GRU"
  setStatus('training', `Training ${article} ${request.kind.toUpperCase()} (${request.hidden} hidden units) in a worker…`);

  controller = new AbortController();
  const started = performance.now();
  let lastSpeedUpdate = 0;
  const onProgress = (message) => {
    demo.stepsDone = message.step;
    demo.lastLoss = message.loss;
    pushLoss(message.step, message.loss);
    ui.statStep.textContent = message.step.toLocaleString();
    ui.statLoss.textContent = formatLoss(message.loss);
    const now = performance.now();
    if (now - lastSpeedUpdate > 250) {
      lastSpeedUpdate = now;
      ui.statSpeedUnit.textContent = 'Steps/s';
      ui.statSpeed.textContent = compact((message.step / (now - started)) * 1000);
    }
    if (message.samples?.length) {
      demo.samples = message.samples;
      addSampleRound(message.step, message.samples);
    }
  };

  try {
    const result = await trainInWorker(worker, request, onProgress, { signal: controller.signal });
    trained = { bytes: result.model, vocabulary: result.vocabulary, kind: request.kind, hidden: request.hidden };
    demo.stepsDone = result.steps;
    demo.lastLoss = result.loss;
    demo.result = { steps: result.steps, loss: result.loss, charsPerSecond: result.charsPerSecond, bytes: result.model.byteLength };
    ui.statStep.textContent = result.steps.toLocaleString();
    ui.statLoss.textContent = formatLoss(result.loss);
    if (Number.isFinite(result.charsPerSecond)) {
      ui.statSpeedUnit.textContent = 'Chars/s';
      ui.statSpeed.textContent = compact(result.charsPerSecond);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    setStatus('done', `Done: ${result.steps} steps in ${seconds} s, loss ${formatLoss(result.loss)}. Sample some names below.`);
    ui.download.textContent = `Download model (${kilobytes(result.model.byteLength)})`;
    setTraining(false);
    void sampleNames();
  } catch (error) {
    const aborted = controller.signal.aborted;
    setTraining(false);
    if (xs.length === 0) ui.chartEmpty.textContent = aborted ? 'Stopped before the first step.' : 'No steps ran.';
    if (aborted) {
      setStatus('stopped', `Stopped after ${demo.stepsDone} steps.` + (trained ? ' The previous model is still loaded.' : ''));
    } else {
      demo.error = error instanceof Error ? error.message : String(error);
      setStatus('error', `Training failed: ${demo.error}`);
      console.error(error);
    }
  } finally {
    controller = null;
  }
}

ui.train.addEventListener('click', () => void train());
ui.stop.addEventListener('click', () => controller?.abort());

// ---------------------------------------------------------------- sampling and download

function temperature() {
  const t = Number(ui.temperature.value);
  return Number.isFinite(t) && t > 0 ? t : 1;
}

ui.temperature.addEventListener('input', () => {
  ui.temperatureValue.textContent = temperature().toFixed(2);
});

async function sampleNames() {
  if (!trained) return;
  const options = { temperature: temperature(), count: 12, seed: sampleSeed++ };
  ui.sample.disabled = true;
  try {
    // The bytes are copied (not transferred): the page keeps them for the download.
    const { names } = await ask('sample', { model: trained.bytes, vocabulary: trained.vocabulary, options });
    demo.names = names;
    ui.sampleOutput.replaceChildren(
      ...names.map((name) => {
        const li = document.createElement('li');
        li.textContent = name || '∅';
        return li;
      }),
    );
  } catch (error) {
    demo.error = error instanceof Error ? error.message : String(error);
    setStatus('error', `Sampling failed: ${demo.error}`);
    console.error(error);
  } finally {
    ui.sample.disabled = !trained || demo.state === 'training';
  }
}

ui.sample.addEventListener('click', () => void sampleNames());

function kilobytes(n) {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** JSON text when the bytes hold a JSON document (the package's model format), else raw bytes. */
function isJson(bytes) {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b; // '{'
  }
  return false;
}

ui.download.addEventListener('click', () => {
  if (!trained) return;
  const json = isJson(trained.bytes);
  const blob = new Blob([trained.bytes], { type: json ? 'application/json' : 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `rnn-wasm-${trained.kind}-${trained.hidden}.${json ? 'json' : 'bin'}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

// ---------------------------------------------------------------- start

describeCorpus();
ui.temperatureValue.textContent = temperature().toFixed(2);
makeChart();
setTraining(false);
setStatus('loading', 'Loading WebAssembly in the worker…');
ui.train.disabled = true;
ask('hello')
  .then(({ backend }) => {
    demo.backend = backend;
    ui.backend.textContent = `Backend: ${backend}` + (backend === 'wasm' ? '' : ' (WebAssembly did not load)');
    ui.train.disabled = false;
    setStatus('idle', 'Ready. Pick a corpus and press Train.');
  })
  .catch((error) => {
    demo.error = error instanceof Error ? error.message : String(error);
    setStatus('error', `The worker did not start: ${demo.error}`);
  });
