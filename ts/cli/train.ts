/**
 * `rnn-wasm train [file]`: a character-level language model over one example per line, with
 * a progress bar, samples and held-out loss as it learns, the saved model, and the loss curve
 * as an SVG file and a terminal chart.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import asciichart from 'asciichart';
import cliProgress from 'cli-progress';
import { getBackend, setBackend } from '../index.js';
import type { BackendName } from '../backend.js';
import { exportNpy, saveModel } from '../model/files.js';
import { MODEL_CLASSES } from '../model/models.js';
import { makeOptimizer } from '../model/optimizers.js';
import { seededRandom } from '../model/random.js';
import { MAX_LAYERS } from '../model/sequence-model.js';
import {
  defaultCorpusLines,
  exampleBatches,
  heldOutBatches,
  longestExample,
  makeCorpus,
  readCorpusFile,
  streamBatches,
  unigramLoss,
  type Corpus,
} from './corpus.js';
import { lineChartSvg } from './plot.js';
import { choiceOption, intOption, numberOption, parse, UsageError } from './usage.js';

/** Longest example (in steps, its closing '\n' included) trained whole; longer ones need streams. */
const MAX_EXAMPLE_STEPS = 128;

export const TRAIN_HELP = `rnn-wasm train [file] [options]

Trains a character-level model on a text file, one example per line (default: the
Pokémon names of the npm package "pokemon").

  --model rnn|lstm|gru    model kind (default lstm)
  --hidden N              hidden units n_a per layer (default 64)
  --layers N              stacked recurrent layers (default 1)
  --steps N               training steps (default 500)
  --lr X                  initial learning rate, decayed linearly to a tenth
                          over the run (default 0.01)
  --optimizer NAME        adam, momentum or sgd (default adam)
  --batching MODE         examples: m whole examples per step, each from a zero
                          state (the default when every example has at most
                          ${MAX_EXAMPLE_STEPS - 1} characters); streams: the examples joined into
                          m streams, T characters per step, state carried over
  --batch N               examples or streams per step, m (default 32)
  --seq N                 characters per step and stream, T (streams; default 24)
  --clip X                clip gradients to this global norm, 0 = off (default 5)
  --seed N                seed of the weights, data order and samples (default 1)
  --holdout X             share of examples held out for the held-out loss (default 0.1)
  --sample-every N        print samples and held-out loss every N steps (default steps/5)
  --backend NAME          js, wasm or native (default: the fastest available)
  --out PATH              model file (default model.json); the loss curve goes
                          next to it as <name>-loss.svg
  --npy DIR               also write each weight as DIR/<name>.npy
`;

const OPTIONS = {
  model: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  batching: { type: 'string' },
  batch: { type: 'string' },
  seq: { type: 'string' },
  clip: { type: 'string' },
  seed: { type: 'string' },
  holdout: { type: 'string' },
  'sample-every': { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
  npy: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface TrainSettings {
  file: string | undefined;
  kind: 'rnn' | 'lstm' | 'gru';
  hidden: number;
  layers: number;
  steps: number;
  lr: number;
  optimizer: 'adam' | 'momentum' | 'sgd';
  /** Undefined: chosen from the longest example. */
  batching: 'examples' | 'streams' | undefined;
  batch: number;
  seq: number;
  clip: number;
  seed: number;
  holdout: number;
  sampleEvery: number;
  backend: BackendName | undefined;
  out: string;
  npy: string | undefined;
}

export function trainSettings(args: string[]): TrainSettings | 'help' {
  const { values: v, positionals } = parse(args, OPTIONS, 'train');
  if (v.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`train takes at most one file; got ${positionals.length}`);
  const steps = intOption(v.steps, 'steps', 500, 1, 10_000_000);
  return {
    file: positionals[0],
    kind: choiceOption(v.model, 'model', 'lstm', ['rnn', 'lstm', 'gru'] as const),
    hidden: intOption(v.hidden, 'hidden', 64, 1, 4096),
    layers: intOption(v.layers, 'layers', 1, 1, MAX_LAYERS),
    steps,
    lr: numberOption(v.lr, 'lr', 0.01, 0, 10),
    optimizer: choiceOption(v.optimizer, 'optimizer', 'adam', ['adam', 'momentum', 'sgd'] as const),
    batching: v.batching === undefined ? undefined : choiceOption(v.batching, 'batching', 'examples', ['examples', 'streams'] as const),
    batch: intOption(v.batch, 'batch', 32, 1, 4096),
    seq: intOption(v.seq, 'seq', 24, 1, 4096),
    clip: numberOption(v.clip, 'clip', 5, 0, 1e6, true),
    seed: intOption(v.seed, 'seed', 1, 0, 2 ** 32 - 1),
    holdout: numberOption(v.holdout, 'holdout', 0.1, 0, 0.9, true),
    sampleEvery: intOption(v['sample-every'], 'sample-every', Math.max(1, Math.ceil(steps / 5)), 1, 10_000_000),
    backend: v.backend === undefined ? undefined : choiceOption(v.backend, 'backend', 'wasm', ['js', 'wasm', 'native'] as const),
    out: v.out ?? 'model.json',
    npy: v.npy,
  };
}

/** Prints through the progress bar when it is drawn (so lines do not tear it), else plainly. */
function reporter(total: number) {
  if (!process.stdout.isTTY) {
    // Without a terminal a bar cannot redraw in place: the periodic lines are the progress.
    return { update() {}, log: (line: string) => console.log(line), stop() {} };
  }
  const multibar = new cliProgress.MultiBar(
    {
      format: ' {bar} {value}/{total} steps | loss {loss} | {speed} chars/s | ETA {eta_formatted}',
      barsize: 24,
      stream: process.stdout,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multibar.create(total, 0, { loss: '-', speed: '-' });
  // Training runs synchronously, so the library's redraw timer never fires while it does:
  // redraw by hand, at most ten times a second, and at once after a logged line.
  let drawn = 0;
  const redraw = () => {
    multibar.update();
    drawn = performance.now();
  };
  return {
    update(step: number, loss: number, speed: number) {
      bar.update(step, { loss: loss.toFixed(3), speed: Math.round(speed).toLocaleString('en-US') });
      if (performance.now() - drawn > 100 || step === total) redraw();
    },
    log(line: string) {
      multibar.log(line + '\n');
      redraw();
    },
    stop() {
      redraw();
      multibar.stop();
    },
  };
}

/** "LSTM n_a=64", "GRU n_a=64 ×2 layers". */
const describeModel = (s: TrainSettings) => `${s.kind.toUpperCase()} n_a=${s.hidden}${s.layers > 1 ? ` ×${s.layers} layers` : ''}`;

const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));

export function train(s: TrainSettings): void {
  // Checked first, so that a long run is not lost to a typo in the output path.
  for (const dir of [dirname(s.out), ...(s.npy ? [dirname(s.npy)] : [])]) {
    if (!existsSync(dir)) throw new UsageError(`the output directory ${dir} does not exist`);
  }
  if (s.backend) setBackend(s.backend);
  const { lines, source } = s.file === undefined ? defaultCorpusLines() : { lines: readCorpusFile(s.file), source: s.file };
  const corpus = makeCorpus(lines, source, s.holdout, s.seed);
  const n = corpus.vocabulary.length;
  const streams = (s.batching ?? (longestExample(corpus) + 1 <= MAX_EXAMPLE_STEPS ? 'examples' : 'streams')) === 'streams';
  // Streams continue from one step to the next, so their model carries its state.
  const model = new MODEL_CLASSES[s.kind]({
    n_x: n,
    n_a: s.hidden,
    n_y: n,
    layers: s.layers,
    seed: s.seed,
    stateful: streams,
    vocabulary: corpus.vocabulary,
  });
  const optimizer = makeOptimizer(s.optimizer, s.lr);
  const heldOut = heldOutBatches(corpus);
  const unigram = unigramLoss(corpus);
  const clip = s.clip > 0 ? { norm: s.clip } : undefined;

  console.log(
    `rnn-wasm train: ${describeModel(s)} on ${corpus.train.length} examples from ${source} ` +
      `(${corpus.heldOut.length} held out), vocabulary ${n}, ${streams ? `${s.batch} streams of ${s.seq} chars` : `${s.batch} examples`} ` +
      `per step, backend ${getBackend()}`,
  );
  console.log(`unigram baseline: ${fmt(unigram.heldOut)} nats/char held-out (${fmt(unigram.train)} on the training text)`);

  const random = seededRandom(s.seed + 1);
  const progress = reporter(s.steps);
  const curve: [number, number][] = [];
  const heldOutCurve: [number, number][] = [];
  const epoch = (c: Corpus) => (streams ? streamBatches(c, s.batch, s.seq, random) : exampleBatches(c, s.batch, random));
  let batches = epoch(corpus);
  let smoothed: number | undefined;
  let chars = 0;
  const started = performance.now();
  // The mean over all held-out characters: batch means weighted by their counts.
  const evaluate = () => {
    let [sum, count] = [0, 0];
    for (const batch of heldOut) {
      const r = model.evaluate(batch);
      [sum, count] = [sum + r.loss * r.count, count + r.count];
    }
    return count > 0 ? sum / count : undefined;
  };
  for (let step = 1; step <= s.steps; step++) {
    let next = batches.next();
    if (next.done) {
      // A new pass in a new order: the old streams' state means nothing to the new ones.
      model.resetState();
      batches = epoch(corpus);
      next = batches.next();
    }
    // A fresh pass over a non-empty corpus always yields a batch.
    if (next.done) throw new Error('the corpus gave no training batch');
    const batch = next.value;
    // Linear decay to a tenth of the rate: large steps early, fine ones once the loss flattens.
    optimizer.lr = s.lr * (1 - (0.9 * (step - 1)) / s.steps);
    const { loss } = model.trainStep(batch, optimizer, clip);
    if (!Number.isFinite(loss)) throw new Error(`the loss diverged at step ${step} (${loss}); try a lower --lr or --clip`);
    chars += batch.chars;
    smoothed = smoothed === undefined ? loss : 0.95 * smoothed + 0.05 * loss;
    curve.push([step, loss]);
    progress.update(step, smoothed, chars / ((performance.now() - started) / 1000));
    if (step % s.sampleEvery === 0 || step === s.steps) {
      const h = evaluate();
      if (h !== undefined) heldOutCurve.push([step, h]);
      const samples = model.sampleText({ n: 4, temperature: 0.8, seed: s.seed + step, maxLength: 40 });
      progress.log(`step ${step}: loss ${smoothed.toFixed(3)}, held-out ${fmt(h)} | ${samples.join(', ')}`);
    }
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  const heldOutLoss = heldOutCurve.at(-1)?.[1];

  saveModel(model, s.out);
  const svgPath = s.out.replace(/\.json$/i, '') + '-loss.svg';
  writeFileSync(svgPath, lossChart(curve, heldOutCurve, unigram.heldOut ?? unigram.train, s));
  const npyPaths = s.npy ? exportNpy(model, s.npy) : [];

  console.log('\nloss per step (nats/char, training batches):');
  console.log(asciichart.plot(downsample(curve.map((p) => p[1]), 60), { height: 8, format: (x: number) => x.toFixed(2).padStart(6) }));
  console.log(`\nsamples (temperature 0.8): ${model.sampleText({ n: 10, temperature: 0.8, seed: s.seed }).join(', ')}`);
  console.log(
    `\nheld-out loss ${fmt(heldOutLoss)} nats/char vs unigram ${fmt(unigram.heldOut)}; ` +
      `${s.steps} steps, ${chars.toLocaleString('en-US')} chars in ${seconds.toFixed(1)} s ` +
      `(${Math.round(chars / seconds).toLocaleString('en-US')} chars/s, backend ${getBackend()})`,
  );
  console.log(`saved ${s.out}, loss curve ${svgPath}${npyPaths.length ? `, ${npyPaths.length} .npy files in ${s.npy}` : ''}`);
}

/** Means of `k` consecutive buckets, so a long curve fits the terminal. */
function downsample(values: number[], k: number): number[] {
  if (values.length <= k) return values;
  return Array.from({ length: k }, (_, i) => {
    const part = values.slice(Math.floor((i * values.length) / k), Math.floor(((i + 1) * values.length) / k));
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
}

function lossChart(curve: [number, number][], heldOut: [number, number][], unigram: number, s: TrainSettings): string {
  const smooth: [number, number][] = [];
  let ema: number | undefined;
  for (const [x, y] of curve) {
    ema = ema === undefined ? y : 0.95 * ema + 0.05 * y;
    smooth.push([x, ema]);
  }
  const thin = <T>(pts: T[]) => pts.filter((_, i) => i % Math.ceil(pts.length / 800) === 0 || i === pts.length - 1);
  return lineChartSvg(`${describeModel(s)}: loss per character`, 'step', 'nats per character', [
    { label: 'training (EMA)', color: '#1f77b4', points: thin(smooth) },
    { label: 'held-out', color: '#d62728', points: heldOut, markers: true },
    { label: 'unigram baseline', color: '#7f7f7f', points: [[0, unigram], [s.steps, unigram]], dashed: true },
  ]);
}
