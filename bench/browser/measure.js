// The timing loop both sides run, unchanged: Node (run.mjs) and the page (page.js). Plain ES, no
// imports: `api` is the package (either entry), `inputs` bench/lib/workloads.mjs's makeInputs.

/** The M LSTM forward pass, and a training step (forward + backward), on the active backend. */
export function closures(api, inputs) {
  return {
    forward: () => api.lstm_forward(inputs.x, inputs.a0, inputs.lstm),
    train: () => {
      const [, , , caches] = api.lstm_forward(inputs.x, inputs.a0, inputs.lstm);
      return api.lstm_backward(inputs.da, caches);
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/**
 * `warmup` untimed calls, then `samples` timed ones of each operation (interleaved, so that a
 * slow spell of a shared machine hits both); the per-call times in ms and their medians.
 */
export function measure(api, inputs, { warmup = 3, samples = 15 } = {}) {
  const fns = closures(api, inputs);
  /** @type {{ forward: number[], train: number[] }} */
  const times = { forward: [], train: [] };
  for (let i = 0; i < warmup; i++) for (const op of Object.keys(fns)) fns[op]();
  for (let i = 0; i < samples; i++) {
    for (const op of Object.keys(fns)) {
      const t0 = performance.now();
      fns[op]();
      times[op].push(performance.now() - t0);
    }
  }
  return {
    backend: api.getBackend(),
    forward: { median: median(times.forward), times: times.forward },
    train: { median: median(times.train), times: times.train },
  };
}
