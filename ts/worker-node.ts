/**
 * `rnn-wasm/worker` in Node: the same API as worker.ts over `worker_threads`, on the Node
 * entry's backends (native when installed, else wasm, both loaded at import).
 */
import { parentPort } from 'node:worker_threads';
import { typeError } from './errors.js';
import { init } from './index.js';
import { serve, type MessageTarget } from './worker/training.js';

export { trainInWorker, sampleText } from './worker/training.js';
export type { TrainRequest, TrainProgress, TrainResult, SampleTextOptions, MessageTarget } from './worker/training.js';

/** Answers training requests; call it in the worker's script. `port` defaults to `parentPort`. */
export function serveTraining(port: MessageTarget | null = parentPort): void {
  if (!port) throw typeError('ERR_RNN_TYPE', 'serveTraining needs a port: call it in a worker thread, or pass one');
  serve(port, () => init());
}
