/**
 * `rnn-wasm/worker` in a browser: train a character model in a Web Worker. The worker script
 * calls `serveTraining()`; the page calls `trainInWorker(worker, request, onProgress)`. The
 * worker loads the WebAssembly module (`init()`) before its first request. Node gets
 * worker-node.ts, the same API over worker_threads.
 */
import { init } from './browser.js';
import { serve, type MessageTarget } from './worker/training.js';

export { trainInWorker, sampleText } from './worker/training.js';
export type { TrainRequest, TrainProgress, TrainResult, SampleTextOptions, MessageTarget } from './worker/training.js';

/** Answers training requests; call it in the worker script. `port` defaults to the worker's `self`. */
export function serveTraining(port: MessageTarget = globalThis as unknown as MessageTarget): void {
  serve(port, () => init());
}
