// The calls of test/concurrency.test.ts, and the worker thread that makes them.
//
// As a module it exports `callSet`, the calls one worker makes per round; the test runs the same
// function in the main thread for the serial reference. As a worker it imports the built package
// on its own (its own module instance and WebAssembly memory), waits until every sibling has
// loaded, makes `rounds` rounds of calls and posts back everything they returned.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** LSTM and RNN forward + backward over one sequence; every output and gradient. */
export function callSet(rnn, { x, a0, da, lstmParams, rnnParams }) {
  const [a, y, c, caches] = rnn.lstm_forward(x, a0, lstmParams);
  const lstm = { a, y, c, ...rnn.lstm_backward(da, caches) };
  const [ra, ry, rcaches] = rnn.rnn_forward(x, a0, rnnParams);
  const plain = { a: ra, y: ry, ...rnn.rnn_backward(da, rcaches) };
  return { lstm, rnn: plain };
}

// A worker thread always has its parent's port.
if (!isMainThread && parentPort) {
  const { entry, inputs, rounds, barrier, parties } = workerData;
  const rnn = await import(entry);
  if (barrier) {
    const count = new Int32Array(barrier);
    Atomics.add(count, 0, 1);
    Atomics.notify(count, 0);
    for (let seen = Atomics.load(count, 0); seen < parties; seen = Atomics.load(count, 0)) {
      Atomics.wait(count, 0, seen, 1000);
    }
  }
  const now = () => performance.timeOrigin + performance.now();
  const started = now();
  const results = [];
  for (let r = 0; r < rounds; r++) results.push(callSet(rnn, inputs));
  parentPort.postMessage({ backend: rnn.getBackend(), results, started, finished: now() });
}
