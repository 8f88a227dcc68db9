// The check itself: `init` the package, run the notebook fixture's lstm_forward and rnn_forward
// on wasm, and print the largest relative error into the page (#result, as text and as JSON in
// data-result) for ../run.mjs to read.
import { getBackend, init, lstm_forward, rnn_forward } from 'rnn-wasm';
import fixture from './notebook.json';

const nd = (a) => ({ data: Float64Array.from(a.data), shape: a.shape });
const dict = (d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, nd(v)]));

function relErr(got, want) {
  let scale = 1e-300;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= diff)) diff = d;
  }
  return got.length === want.length ? diff / scale : NaN;
}

/** Runs the check; `source` goes to `init` (undefined: the package's default location). */
export async function run(bundler, source) {
  const out = document.getElementById('result');
  try {
    const backend = await init(source);
    let lstm = 0;
    let rnn = 0;
    for (const c of fixture.cases) {
      const [a, y, cc] = lstm_forward(nd(c.inputs.x), nd(c.inputs.a0), dict(c.inputs.lstm_params));
      const want = c.outputs.lstm_forward;
      lstm = Math.max(lstm, relErr(a.data, want.a.data), relErr(y.data, want.y.data), relErr(cc.data, want.c.data));
      const [ra, ry] = rnn_forward(nd(c.inputs.x), nd(c.inputs.a0), dict(c.inputs.rnn_params));
      rnn = Math.max(rnn, relErr(ra.data, c.outputs.rnn_forward.a.data), relErr(ry.data, c.outputs.rnn_forward.y_pred.data));
    }
    const result = { bundler, init: backend, backend: getBackend(), cases: fixture.cases.length, lstm_forward: lstm, rnn_forward: rnn };
    out.dataset.result = JSON.stringify(result);
    out.textContent = `${bundler}: ${result.backend}, max relative error lstm_forward ${lstm.toExponential(2)}, rnn_forward ${rnn.toExponential(2)} over ${result.cases} cases`;
  } catch (error) {
    out.dataset.result = JSON.stringify({ bundler, error: String(error && error.stack ? error.stack : error) });
    out.textContent = `${bundler}: ${error}`;
  }
}
