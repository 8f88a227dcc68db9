/**
 * The ONNX operators, .onnx files and TF.js-saved models in the browser, on the package's browser
 * entries after `await init()`:
 * - the shared suite of test/shared/onnx-ops.ts (the same cases as test/onnx-ops.test.ts) on the
 *   wasm and js backends;
 * - on the wasm backend, `loadOnnx` of `rnn-wasm/onnx` on the bytes of exported files (fetched from the test server):
 *   `run` gives onnxruntime's outputs of every recurrent node, `toLayer` a layer whose forward
 *   matches torch (test/fixtures/onnx-files/expected.json), within 1e-5;
 * - `loadTfjsModel` on test/fixtures/keras/tfjs_seq (the parsed model.json and the fetched
 *   weights.bin): every recurrent layer's `predict` gives TF.js's predictions within 1e-5.
 */
import { GRU, LSTM, RNN, getBackend, loadTfjsModel, setBackend } from 'rnn-wasm';
import { loadOnnx } from 'rnn-wasm/onnx';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import tfjsSeqModel from '../fixtures/keras/tfjs_seq/model.json' with { type: 'json' };
import tfjsSeqPredictions from '../fixtures/keras/tfjs_seq/predictions.json' with { type: 'json' };
import { defineOnnxOpsSuite } from '../shared/onnx-ops.js';
import { BROWSER_BACKENDS, api, init, relErr } from './helpers.js';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

// Vite rewrites `new URL(…, import.meta.url)` with a variable part into a glob of one directory:
// each directory's URL is spelled out.
async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

defineOnnxOpsSuite(api, BROWSER_BACKENDS, 'ONNX recurrent operators in the browser on the %s backend');

// The files and models below run on the wasm backend (the shared suite leaves the last of its backends set).
beforeEach(() => {
  setBackend('wasm');
});

interface Tensor {
  data: number[];
  shape: number[];
}
interface FileEntry {
  file: string;
  module: 'LSTM' | 'GRU' | 'RNN';
  opset: number;
  config: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean };
  inputs: Record<string, Tensor>;
  torch: Record<string, Tensor>;
  nodes: { name: string; opType: string; feeds: Record<string, Tensor>; outputs: Record<string, Tensor> }[];
}

function expectClose(got: { data: ArrayLike<number>; shape: readonly number[] } | undefined, want: Tensor, what: string): void {
  expect(got, what).toBeDefined();
  expect(Array.from(got!.shape), `${what} shape`).toEqual(want.shape);
  const err = relErr(got!.data, want.data);
  expect(err, `${what}: max|got-exp| / max|exp| = ${err}`).toBeLessThanOrEqual(TOLERANCE);
}

describe('.onnx files from bytes through rnn-wasm/onnx', () => {
  let expected: FileEntry[] = [];
  beforeAll(async () => {
    const bytes = await fetchBytes(new URL('../fixtures/onnx-files/expected.json', import.meta.url));
    expected = (JSON.parse(new TextDecoder().decode(bytes)) as { files: FileEntry[] }).files;
  });
  const f32 = (t: Tensor) => ({ data: Float32Array.from(t.data), shape: t.shape });

  test.each(['lstm2bi.onnx', 'gru1.onnx', 'rnn2bi_relu.onnx'])('%s: run gives onnxruntime’s outputs, toLayer torch’s', async (file) => {
    expect(getBackend()).toBe('wasm');
    const entry = expected.find((e) => e.file === file)!;
    expect(entry, file).toBeDefined();
    const model = loadOnnx(await fetchBytes(new URL(`../fixtures/onnx-files/${file}`, import.meta.url)));
    expect(model.opsetVersion).toBe(entry.opset);
    const nodes = model.recurrentNodes();
    expect(nodes.map((n) => n.name)).toEqual(entry.nodes.map((n) => n.name));
    expect(nodes.map((n) => n.opType)).toEqual(entry.nodes.map((n) => n.opType));

    for (const node of entry.nodes) {
      const feeds = Object.fromEntries(Object.entries(node.feeds).map(([slot, t]) => [slot, f32(t)]));
      const out = model.run(node.name, feeds) as unknown as Record<string, { data: Float32Array; shape: number[] }>;
      for (const [key, want] of Object.entries(node.outputs)) {
        expect(out[key].data, `${node.name} ${key}`).toBeInstanceOf(Float32Array);
        expectClose(out[key], want, `${file} ${node.name} ${key}`);
      }
    }

    const layer = model.toLayer(nodes.map((n) => n.name));
    expect(layer).toBeInstanceOf({ LSTM, GRU, RNN }[entry.module]);
    expect(layer.inputSize).toBe(entry.config.inputSize);
    expect(layer.hiddenSize).toBe(entry.config.hiddenSize);
    expect(layer.numLayers).toBe(entry.config.numLayers);
    expect(layer.bidirectional).toBe(entry.config.bidirectional);
    const x = f32(entry.inputs.x);
    const h0 = f32(entry.inputs.h0);
    const result = entry.inputs.c0 ? (layer as LSTM).forward(x, { h0, c0: f32(entry.inputs.c0) }) : layer.forward(x, { h0 });
    expectClose(result.output, entry.torch.output, `${file} toLayer output`);
    expectClose(result.h, entry.torch.h, `${file} toLayer h`);
    if (entry.torch.c) expectClose(result.c, entry.torch.c, `${file} toLayer c`);
  });
});

describe('loadTfjsModel on a TF.js-saved model (parsed model.json, fetched weights.bin)', () => {
  interface Predictions {
    inputs: Record<string, Tensor>;
    outputs: Record<string, Tensor | Tensor[]>;
  }
  const pred = tfjsSeqPredictions as unknown as Predictions;

  test('tfjs_seq: every recurrent layer gives TF.js’s predictions', async () => {
    expect(getBackend()).toBe('wasm');
    const model = loadTfjsModel(tfjsSeqModel, await fetchBytes(new URL('../fixtures/keras/tfjs_seq/weights.bin', import.meta.url)));
    expect(model.format).toBe('layers-model');
    expect(model.layers.map((l) => l.name)).toEqual(['lstm_a', 'gru_b', 'lstm_c']);
    for (const layer of model.layers) {
      const y = layer.predict(pred.inputs[layer.name]);
      const exp = pred.outputs[layer.name];
      expect(exp, `predictions of ${layer.name}`).toBeDefined();
      const ys = Array.isArray(y) ? y : [y];
      const exps = Array.isArray(exp) ? exp : [exp];
      expect(ys.length, layer.name).toBe(exps.length);
      ys.forEach((a, i) => expectClose(a, exps[i], `${layer.name}[${i}]`));
    }
  });
});
