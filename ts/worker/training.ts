/**
 * Character-model training off the main thread, environment-neutral: the request and messages
 * (`TrainRequest`, `TrainProgress`, `TrainResult`), the training loop a worker runs, the worker
 * side (`serve`) and the main-thread side (`trainInWorker`). worker.ts (browsers, Web Workers)
 * and worker-node.ts (Node, worker_threads) wrap them with their default port and backend.
 *
 * Messages carry `source: 'rnn-wasm'` and the request's `id`, so one worker can serve several
 * requests and share its port with the page's own messages.
 */
import { typeError, rangeError } from '../errors.js';
import { describe } from '../ndarray.js';
import { integerIn, finiteNumber, optionsObject } from '../model/checks.js';
import { MODEL_CLASSES, type AnyModel } from '../model/models.js';
import { MAX_LAYERS, type ModelKind } from '../model/sequence-model.js';
import { makeOptimizer } from '../model/optimizers.js';
import { seededRandom } from '../model/random.js';
import { modelFromBytes, modelToBytes, parseModel } from '../model/serialize.js';
import { exampleBatches, longestExample, makeCorpus, streamBatches, type Corpus } from '../text/corpus.js';

/** What to train. */
export interface TrainRequest {
  /** The examples, one per line (a string is split at line breaks); blank lines are dropped. */
  text: string | string[];
  kind: 'lstm' | 'rnn' | 'gru';
  /** Hidden units n_a (ignored when continuing from `model`). */
  hidden: number;
  /** Stacked recurrent layers; default 1 (ignored when continuing from `model`). */
  layers?: number;
  /** Training steps. */
  steps: number;
  /** Examples (or streams) per step; default 32. */
  batch?: number;
  /** Initial Adam learning rate, decayed linearly to a tenth over the run; default 0.01. */
  lr?: number;
  /** Seed of the weights, the data order and the samples; default 1. */
  seed?: number;
  /** Samples with the progress message every this many steps; default steps / 5. */
  sampleEvery?: number;
  /** Samples per sampling step; default 4 (0: none). */
  samples?: number;
  /** Sampling temperature; default 0.8. */
  temperature?: number;
  /** A saved model to continue from (`modelToBytes` / `serializeModel`); its vocabulary is kept. */
  model?: Uint8Array | string;
}

/** Sent after every step; `samples` every `sampleEvery` steps and at the last. */
export interface TrainProgress {
  type: 'progress';
  step: number;
  /** This step's training loss (nats per character). */
  loss: number;
  samples?: string[];
}

export interface TrainResult {
  /** The trained model, `modelToBytes` form (load it with `modelFromBytes` or `parseModel`). */
  model: Uint8Array;
  vocabulary: string[];
  steps: number;
  /** The training loss at the end, smoothed over the last steps (exponential moving average). */
  loss: number;
  charsPerSecond: number;
}

export interface SampleTextOptions {
  /** Softmax temperature > 0; default 0.8. */
  temperature?: number;
  /** Number of samples; default 10. */
  count?: number;
  /** Seed of the sampler; default 0. */
  seed?: number;
  /** Characters per sample at most; default 40. */
  maxLength?: number;
}

/** Longest example (in steps, its closing '\n' included) trained whole; longer ones need streams. */
const MAX_EXAMPLE_STEPS = 128;
/** Characters per stream and step when the examples are too long to train whole. */
const STREAM_STEPS = 24;
/** Longest stretch of training between two looks at the message queue (a cancel). */
const YIELD_EVERY_MS = 30;

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());

function loadSaved(model: unknown, kind?: ModelKind): AnyModel {
  if (typeof model === 'string') return parseModel(model, kind);
  return modelFromBytes(model as Uint8Array, kind);
}

/** Names from a saved model: `count` samples, each from '\n' to the next '\n' (left out). */
export function sampleText(model: Uint8Array | string, vocabulary: readonly string[], options: SampleTextOptions = {}): string[] {
  const o = optionsObject(options, 'sampleText options');
  const loaded = loadSaved(model);
  if (!Array.isArray(vocabulary) || vocabulary.length !== loaded.n_y) {
    throw rangeError('ERR_RNN_VALUE', `vocabulary must be an array of the model's ${loaded.n_y} tokens; got ${describe(vocabulary)}`);
  }
  const { count = 10, temperature = 0.8, seed = 0, maxLength = 40 } = o as SampleTextOptions;
  const sequences = loaded.sample({ n: count, temperature, seed, maxLength });
  const tokens: readonly string[] = vocabulary;
  return sequences.map((seq) => seq.map((k) => tokens[k]).join(''));
}

/** A whole, unshared buffer to transfer: `bytes` itself when it is one, else a copy. */
export function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

/**
 * Trains as `request` asks, calling `progress` after each step; between steps it lets the
 * event loop run every few milliseconds, and stops (resolving undefined) once `cancelled()`.
 */
export async function runTraining(
  request: TrainRequest,
  progress: (message: TrainProgress) => void,
  cancelled: () => boolean = () => false,
): Promise<TrainResult | undefined> {
  const r = optionsObject(request, 'training request');
  if (r.kind !== 'lstm' && r.kind !== 'rnn' && r.kind !== 'gru') {
    throw typeError('ERR_RNN_TYPE', `kind must be "lstm", "rnn" or "gru"; got ${describe(r.kind)}`);
  }
  const kind = r.kind;
  const layers = integerIn(r.layers ?? 1, 'layers', 1, MAX_LAYERS);
  const steps = integerIn(r.steps, 'steps', 1, 10_000_000);
  const batch = integerIn(r.batch ?? 32, 'batch', 1, 4096);
  const lr = finiteNumber(r.lr ?? 0.01, 'lr', true);
  const seed = integerIn(r.seed ?? 1, 'seed', 0, 2 ** 32 - 1);
  const sampleEvery = integerIn(r.sampleEvery ?? Math.max(1, Math.ceil(steps / 5)), 'sampleEvery', 1);
  const samples = integerIn(r.samples ?? 4, 'samples', 0, 1000);
  const temperature = finiteNumber(r.temperature ?? 0.8, 'temperature', true);
  let lines: string[];
  if (typeof r.text === 'string') lines = r.text.split('\n');
  else if (Array.isArray(r.text) && r.text.every((l) => typeof l === 'string')) lines = r.text;
  else throw typeError('ERR_RNN_TYPE', `text must be a string or an array of strings; got ${describe(r.text)}`);

  const saved = r.model === undefined ? undefined : loadSaved(r.model, kind);
  let corpus: Corpus;
  if (saved) {
    const vocabulary = saved.vocabulary;
    if (!vocabulary) throw typeError('ERR_RNN_MODEL_FORMAT', 'model: a model without a vocabulary cannot continue training on text');
    // The model's vocabulary is kept: characters it does not know are left out of the text.
    const known = new Set(vocabulary);
    const kept = lines.map((l) => [...l].filter((c) => known.has(c)).join(''));
    corpus = { ...makeCorpus(kept, 'text', 0, seed), vocabulary: vocabulary.slice() };
  } else {
    corpus = makeCorpus(lines, 'text', 0, seed);
  }
  const n = corpus.vocabulary.length;
  const streams = longestExample(corpus) + 1 > MAX_EXAMPLE_STEPS;
  const model =
    saved ??
    new MODEL_CLASSES[kind]({
      n_x: n,
      n_a: integerIn(r.hidden, 'hidden', 1, 4096),
      n_y: n,
      layers,
      seed,
      stateful: streams,
      vocabulary: corpus.vocabulary,
    });
  const optimizer = makeOptimizer('adam', lr);
  const random = seededRandom(seed + 1);
  const epoch = () => (streams ? streamBatches(corpus, batch, STREAM_STEPS, random) : exampleBatches(corpus, batch, random));
  let batches = epoch();
  let smoothed = NaN;
  let chars = 0;
  const started = now();
  let lastYield = started;
  for (let step = 1; step <= steps; step++) {
    if (now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = now();
    }
    if (cancelled()) return undefined;
    let next = batches.next();
    if (next.done) {
      model.resetState();
      batches = epoch();
      next = batches.next();
    }
    if (next.done) throw new Error('the corpus gave no training batch');
    optimizer.lr = lr * (1 - (0.9 * (step - 1)) / steps);
    const { loss } = model.trainStep(next.value, optimizer, { norm: 5 });
    if (!Number.isFinite(loss)) throw rangeError('ERR_RNN_VALUE', `the loss diverged at step ${step} (${loss}); try a lower lr`);
    chars += next.value.chars;
    smoothed = step === 1 ? loss : 0.95 * smoothed + 0.05 * loss;
    const message: TrainProgress = { type: 'progress', step, loss };
    if (samples > 0 && (step % sampleEvery === 0 || step === steps)) {
      message.samples = model.sampleText({ n: samples, temperature, seed: seed + step, maxLength: 40 });
    }
    progress(message);
  }
  const seconds = Math.max(1e-9, (now() - started) / 1000);
  return { model: modelToBytes(model), vocabulary: corpus.vocabulary.slice(), steps, loss: smoothed, charsPerSecond: chars / seconds };
}

// ---------------------------------------------------------------------------------------------
// The messages between the threads.

/** A `Worker`, a worker's `self`, a Node `Worker` or `MessagePort`: whatever posts and listens. */
export interface MessageTarget {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
}

const SOURCE = 'rnn-wasm';

type Incoming = { source: typeof SOURCE; id: string } & (
  | { type: 'train'; request: TrainRequest }
  | { type: 'cancel' }
);
type Outgoing = { source: typeof SOURCE; id: string } & (
  | TrainProgress
  | { type: 'done'; result: TrainResult }
  | { type: 'error'; error: { name: string; message: string; code?: string } }
);

type Listener = (data: unknown) => void;

/** Listens on Node's EventEmitter ports (`on`) or the web's EventTargets; returns the remover. */
function listen(target: MessageTarget, event: 'message' | 'error' | 'exit', listener: Listener): () => void {
  const t = target as {
    on?: (event: string, f: Listener) => void;
    off?: (event: string, f: Listener) => void;
    addEventListener?: (event: string, f: (e: unknown) => void) => void;
    removeEventListener?: (event: string, f: (e: unknown) => void) => void;
  };
  if (typeof t.on === 'function' && typeof t.off === 'function') {
    t.on.call(target, event, listener);
    return () => t.off?.call(target, event, listener);
  }
  if (typeof t.addEventListener === 'function') {
    const handler = (e: unknown) => listener(event === 'message' ? (e as { data: unknown }).data : e);
    t.addEventListener.call(target, event, handler);
    return () => t.removeEventListener?.call(target, event, handler);
  }
  throw typeError('ERR_RNN_TYPE', `expected a Worker or a message port; got ${describe(target)}`);
}

function isMessage(data: unknown): data is { source: string; id: string; type: string } {
  return data !== null && typeof data === 'object' && (data as { source?: unknown }).source === SOURCE;
}

/**
 * The worker side: answers training requests that arrive on `port`. `ready` runs once before
 * the first request (the browser loads the wasm module there).
 */
export function serve(port: MessageTarget, ready: () => Promise<unknown>): void {
  const running = new Map<string, { cancelled: boolean }>();
  let prepared: Promise<unknown> | undefined;
  const post = (message: Outgoing, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  listen(port, 'message', (data) => {
    if (!isMessage(data)) return;
    const message = data as Incoming;
    if (message.type === 'cancel') {
      const job = running.get(message.id);
      if (job) job.cancelled = true;
      return;
    }
    if (message.type !== 'train') return;
    const { id } = message;
    const job = { cancelled: false };
    running.set(id, job);
    prepared ??= ready().catch(() => undefined);
    prepared
      .then(() => runTraining(message.request, (p) => post({ source: SOURCE, id, ...p }), () => job.cancelled))
      .then(
        (result) => {
          if (!result) return;
          const model = transferable(result.model);
          post({ source: SOURCE, id, type: 'done', result: { ...result, model } }, [model.buffer as ArrayBuffer]);
        },
        (error: unknown) => {
          const e = error instanceof Error ? error : new Error(String(error));
          const code = (e as { code?: unknown }).code;
          post({ source: SOURCE, id, type: 'error', error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) } });
        },
      )
      .finally(() => running.delete(id));
  });
}

let requests = 0;

/**
 * Trains in `worker` (which called `serveTraining`): resolves with the result, calls
 * `onProgress` with each progress message, and rejects with `signal.reason` when `signal`
 * aborts (the worker stops at its next step). A `request.model` given as bytes is transferred.
 */
export function trainInWorker(
  worker: MessageTarget,
  request: TrainRequest,
  onProgress?: (progress: TrainProgress) => void,
  options: { signal?: AbortSignal } = {},
): Promise<TrainResult> {
  const { signal } = options;
  return new Promise<TrainResult>((resolve, reject) => {
    // An AbortSignal's reason: an 'AbortError' DOMException unless the caller gave another.
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const id = `${Date.now().toString(36)}-${(++requests).toString(36)}-${Math.random().toString(36).slice(2)}`;
    const removers: (() => void)[] = [];
    const finish = () => {
      for (const remove of removers) remove();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      worker.postMessage({ source: SOURCE, id, type: 'cancel' });
      reject(signal?.reason as Error);
    };
    removers.push(
      listen(worker, 'message', (data) => {
        if (!isMessage(data) || data.id !== id) return;
        const message = data as Outgoing;
        if (message.type === 'progress') {
          const { type, step, loss, samples } = message;
          onProgress?.(samples === undefined ? { type, step, loss } : { type, step, loss, samples });
        } else if (message.type === 'done') {
          finish();
          resolve(message.result);
        } else if (message.type === 'error') {
          finish();
          reject(Object.assign(new Error(message.error.message), message.error));
        }
      }),
      listen(worker, 'error', (e) => {
        finish();
        reject(e instanceof Error ? e : new Error(`the worker failed: ${(e as { message?: string }).message ?? 'unknown error'}`));
      }),
    );
    if (typeof (worker as { on?: unknown }).on === 'function') {
      removers.push(
        listen(worker, 'exit', (code) => {
          finish();
          reject(new Error(`the worker exited (code ${String(code)}) before training finished`));
        }),
      );
    }
    signal?.addEventListener('abort', onAbort);
    let transfer: ArrayBuffer[] | undefined;
    let payload = request;
    if (request !== null && typeof request === 'object' && request.model instanceof Uint8Array) {
      const model = transferable(request.model);
      payload = { ...request, model };
      transfer = [model.buffer as ArrayBuffer];
    }
    worker.postMessage({ source: SOURCE, id, type: 'train', request: payload }, transfer);
  });
}
