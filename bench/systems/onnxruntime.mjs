/**
 * onnxruntime-node (CPU, float32, forward only): an ONNX `LSTM` / `RNN` graph with the
 * notebook's softmax output layer, built in memory, one intra-op thread.
 */
import { createRequire } from 'node:module';
import { checkForward } from '../lib/check.mjs';
import { buildModel } from '../lib/onnx-model.mjs';
import { fromTimeBatchFeature, timeBatchFeature, transpose2 } from '../lib/workloads.mjs';

const require = createRequire(import.meta.url);

export async function onnxSystem(notes) {
  let ort;
  let version;
  try {
    ort = require('onnxruntime-node');
    version = require('onnxruntime-node/package.json').version;
  } catch (error) {
    notes.push(`onnxruntime-node skipped: it did not load (${String(error instanceof Error ? error.message : error).split('\n')[0]}).`);
    return null;
  }
  return {
    id: 'onnxruntime',
    label: 'onnxruntime',
    dtype: 'f32',
    threads: 1,
    version: `onnxruntime-node ${version}`,
    supports: (w, cell, op) => (op === 'train' ? 'inference only' : null),
    prepare: (w, cell, op, inp, ref) => prepare(ort, w, cell, inp, ref),
  };
}

async function prepare(ort, w, cell, inp, ref) {
  const { n_x, n_a, n_y, m, T } = w;
  const bytes = buildModel(cell, w, cell === 'lstm' ? inp.lstm : inp.rnn);
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    X: new ort.Tensor('float32', timeBatchFeature(inp.x, Float32Array), [T, m, n_x]),
    initial_h: new ort.Tensor('float32', transpose2(inp.a0.data, n_a, m, Float32Array), [1, m, n_a]),
  };
  return {
    fn: () => session.run(feeds),
    validate(out) {
      const a = fromTimeBatchFeature(out.a.data, n_a, m, T);
      const y = fromTimeBatchFeature(out.y.data, n_y, m, T);
      return checkForward({ a, y }, w, ref, 1e-4);
    },
    dispose: () => session.release(),
  };
}
