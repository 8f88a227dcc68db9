// The training worker: everything heavy happens here, off the page's main thread.
// `serveTraining()` answers the requests `trainInWorker` posts from main.js.
import { serveTraining } from 'rnn-wasm/worker';

serveTraining();
