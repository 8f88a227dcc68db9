// The Web Worker script of worker.spec.ts: the package's worker helper and nothing else.
import { serveTraining } from 'rnn-wasm/worker';

serveTraining();
