/**
 * brain.js (float32, pure JS): `recurrent.LSTMTimeStep` / `recurrent.RNNTimeStep` over one
 * sequence per call (its API has no batch), S and M only.
 */
import { createRequire } from 'node:module';
import { allFinite } from '../lib/check.mjs';

const require = createRequire(import.meta.url);

export async function brainSystem(notes) {
  let brain;
  let version;
  try {
    brain = require('brain.js');
    version = require('brain.js/package.json').version;
  } catch (error) {
    notes.push(`brain.js skipped: it did not install or load (${String(error instanceof Error ? error.message : error).split('\n')[0]}).`);
    return null;
  }
  notes.push(
    'brain.js runs one sequence per call (no batch dimension), so its GFLOP/s count m = 1; ' +
      'its time-step networks predict the next input, so its output layer has n_x units; ' +
      'its RNNTimeStep uses ReLU, not tanh; its training step includes its RMSProp weight update.',
  );
  return {
    id: 'brain.js',
    label: 'brain.js',
    dtype: 'f32',
    threads: 1,
    batch: 1,
    version: `brain.js ${version}`,
    supports: (w) => (w.name === 'L' ? 'skipped at L (pure JS, one sequence per call)' : null),
    prepare: (w, cell, op, inp) => prepare(brain, w, cell, op, inp),
  };
}

function prepare(brain, w, cell, op, inp) {
  const { n_x, n_a, m, T } = w;
  const Net = cell === 'lstm' ? brain.recurrent.LSTMTimeStep : brain.recurrent.RNNTimeStep;
  const net = new Net({ inputSize: n_x, hiddenLayers: [n_a], outputSize: n_x });
  // The first sequence of the batch: T steps of n_x values (x[:, 0, t]).
  const seq = [];
  for (let t = 0; t < T; t++) {
    const step = [];
    for (let i = 0; i < n_x; i++) step.push(inp.x.data[(i * m + 0) * T + t]);
    seq.push(step);
  }
  // A tiny learning rate keeps the repeated training steps on one sequence from diverging
  // (its ReLU RNN otherwise reaches NaN after a few hundred steps); the work per step is the same.
  net.train([seq], { iterations: 1, errorThresh: 0, log: false, learningRate: 1e-6 });
  const fn = op === 'forward' ? () => net.run(seq) : () => net.trainPattern(seq, true);
  return {
    fn,
    validate(out) {
      const values = op === 'forward' ? Array.from(out ?? []) : [out];
      const ok = values.length > 0 && allFinite(values);
      return { ok, problems: ok ? [] : [`output not finite: ${JSON.stringify(out)}`] };
    },
  };
}
