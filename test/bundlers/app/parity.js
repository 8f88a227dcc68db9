// The check itself: `init` the package, run the notebook fixture's lstm_forward and rnn_forward
// on wasm, onnxLSTM on one ONNX operator case (float32 and float64 inputs), and the LSTM node of
// an .onnx file read by rnn-wasm/onnx; print the largest relative errors into the page (#result,
// as text and as JSON in data-result) for ../run.mjs to read. ../run.mjs writes onnx.json and
// puts the .onnx file beside the built page.
import { getBackend, init, lstm_forward, onnxLSTM, rnn_forward } from 'rnn-wasm';
import { loadOnnx } from 'rnn-wasm/onnx';
import fixture from './notebook.json';
import onnxFixture from './onnx.json';

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

/** The ONNX case's inputs as Float32Array or (the same float32 values) Float64Array tensors; sequence_lens as is. */
function onnxInputs(inputs, dtype) {
  const out = {};
  for (const [key, v] of Object.entries(inputs)) {
    if (Array.isArray(v)) out[key] = v.slice();
    else out[key] = { data: dtype === 'float32' ? Float32Array.from(v.data) : Float64Array.from(v.data, Math.fround), shape: v.shape };
  }
  return out;
}

/** Max relative errors of onnxLSTM against onnxruntime (float32) and the reference (float64), and of the file's node. */
async function onnxErrors() {
  const { op, file } = onnxFixture;
  const f32 = onnxLSTM(onnxInputs(op.inputs, 'float32'), op.attributes);
  const f64 = onnxLSTM(onnxInputs(op.inputs, 'float64'), op.attributes);
  let float32 = 0;
  let float64 = 0;
  for (const [key, want] of Object.entries(op.ort)) {
    if (!(f32[key].data instanceof Float32Array)) throw new Error(`onnxLSTM ${key}: not a Float32Array`);
    float32 = Math.max(float32, relErr(f32[key].data, want.data));
  }
  for (const [key, want] of Object.entries(op.ref)) float64 = Math.max(float64, relErr(f64[key].data, want.data));

  const response = await fetch(new URL(file.name, document.baseURI));
  if (!response.ok) throw new Error(`fetching ${file.name}: HTTP ${response.status}`);
  const model = loadOnnx(new Uint8Array(await response.arrayBuffer()));
  const feeds = Object.fromEntries(Object.entries(file.node.feeds).map(([slot, t]) => [slot, { data: Float32Array.from(t.data), shape: t.shape }]));
  const got = model.run(file.node.name, feeds);
  let fromFile = 0;
  for (const [key, want] of Object.entries(file.node.outputs)) fromFile = Math.max(fromFile, relErr(got[key].data, want.data));
  return { onnx_op_float32: float32, onnx_op_float64: float64, onnx_file: fromFile };
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
    const onnx = await onnxErrors();
    const result = { bundler, init: backend, backend: getBackend(), cases: fixture.cases.length, lstm_forward: lstm, rnn_forward: rnn, ...onnx };
    out.dataset.result = JSON.stringify(result);
    out.textContent =
      `${bundler}: ${result.backend}, max relative error lstm_forward ${lstm.toExponential(2)}, rnn_forward ${rnn.toExponential(2)} over ${result.cases} cases; ` +
      `onnxLSTM ${onnxFixture.op.name} float32 ${onnx.onnx_op_float32.toExponential(2)}, float64 ${onnx.onnx_op_float64.toExponential(2)}; ` +
      `rnn-wasm/onnx ${onnxFixture.file.name} run ${onnx.onnx_file.toExponential(2)}`;
  } catch (error) {
    out.dataset.result = JSON.stringify({ bundler, error: String(error && error.stack ? error.stack : error) });
    out.textContent = `${bundler}: ${error}`;
  }
}
