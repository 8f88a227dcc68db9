// The browser side of the bench: the package's browser entry on wasm, the M workload's inputs,
// the same loop as Node. run.mjs bundles this with esbuild, serves it, and reads window.benchResult.
import * as api from 'rnn-wasm';
import { makeInputs, WORKLOADS } from '../lib/workloads.mjs';
import { measure } from './measure.js';

window.runBench = async (options) => {
  await api.init(new URL('rnn_wasm.wasm', location.href));
  api.setBackend('wasm');
  return measure(api, makeInputs(WORKLOADS.M), options);
};
