// The worker thread of test/worker.test.ts: serves training requests with the built package's
// Node worker entry, as a user's worker script would with `rnn-wasm/worker`.
import { serveTraining } from '../dist/worker-node.js';

serveTraining();
