/**
 * rnn-wasm's TF.js drop-in in the browser: `lstm` of `rnn-wasm/tfjs` (its browser entry), after
 * `init()` of the main entry, gives the outputs of TF.js's own `tf.layers.lstm` (cpu backend) with
 * the same weights copied over, within 1e-4 relative to the largest magnitude (TF.js computes in
 * float32, rnn-wasm in float64 rounded at the end). test/tfjs.test.ts covers the rest in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { getBackend } from 'rnn-wasm';
import { lstm } from 'rnn-wasm/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { init, makeRng, relErr } from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
  await tf.setBackend('cpu');
});

test('lstm gives tf.layers.lstm’s outputs with its weights (returnSequences, returnState)', () => {
  expect(getBackend()).toBe('wasm');
  const rng = makeRng(11);
  const random = (shape: number[], scale: number) =>
    tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() * 2 - 1) * scale), shape);
  const config = { units: 5, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' } as const;
  const x = random([3, 6, 4], 1);
  const theirs = tf.layers.lstm(config);
  const ours = lstm(config);
  // apply() builds (TF.js's RNN.build leaves `built` to apply).
  theirs.apply(x);
  ours.apply(x);
  theirs.setWeights(theirs.getWeights().map((w) => random(w.shape, 0.6)));
  ours.setWeights(theirs.getWeights());
  const want = theirs.apply(x) as tf.Tensor[];
  const got = ours.apply(x) as tf.Tensor[];
  expect(got.length).toBe(3);
  got.forEach((y, k) => {
    expect(y.shape, `output ${k}`).toEqual(want[k].shape);
    expect(y.dtype).toBe('float32');
    const err = relErr(y.dataSync(), want[k].dataSync());
    expect(err, `output ${k}: relative difference ${err}`).toBeLessThanOrEqual(1e-4);
  });
});
