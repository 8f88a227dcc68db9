/**
 * .onnx files: models exported by torch.onnx.export (test/fixtures/onnx-files, made by
 * make_files.py) load from a path or bytes; their recurrent nodes are listed with the exporter's
 * attributes; `run` gives onnxruntime's values of each node's outputs for its inputs as
 * onnxruntime computed them; `toLayer` gives an LSTM / GRU / RNN holding torch's state dict,
 * whose forward matches torch. Files built here cover what exporters do not write: clip,
 * peepholes, input_forget, other activations, reverse, layout 1, linear_before_reset 0, no bias,
 * unnamed and duplicate nodes; and the errors of run's feeds and toLayer's node lists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN } from '../ts/index.js';
import * as browser from '../ts/onnx/file.js';
import { loadOnnx, type OnnxModel, type OnnxRecurrentNode } from '../ts/onnx/file-node.js';
import { onnxGRU, onnxLSTM } from '../ts/onnx/operators.js';
import { attr, encodeModel, floatTensor, recurrentModel } from './shared/onnx-build.js';

const DIR = join(import.meta.dirname, 'fixtures/onnx-files');

interface Tensor {
  data: number[];
  shape: number[];
}
interface FileEntry {
  file: string;
  module: 'LSTM' | 'GRU' | 'RNN';
  exporter: string;
  opset: number;
  config: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; nonlinearity?: string };
  stateDict: Record<string, Tensor>;
  inputs: Record<string, Tensor>;
  torch: Record<string, Tensor>;
  nodes: {
    name: string;
    opType: string;
    inputs: string[];
    attributes: Record<string, unknown>;
    feeds: Record<string, Tensor>;
    outputs: Record<string, Tensor>;
  }[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { files: FileEntry[] };

/** max |got − want| ≤ tol · max(1, max |want|). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  expect(worst / scale, what).toBeLessThanOrEqual(tol);
}

const f64 = (entry: FileEntry) => entry.file.includes('f64');
const typed = (entry: FileEntry, t: Tensor) => ({ data: f64(entry) ? Float64Array.from(t.data) : Float32Array.from(t.data), shape: t.shape });

describe.each(EXPECTED.files.filter((e) => e.nodes.length > 0).map((e) => [e.file, e] as const))('%s', (file, entry) => {
  const path = join(DIR, file);
  const model = loadOnnx(path);

  test('loads from its path, a Uint8Array and an ArrayBuffer alike', () => {
    const bytes = readFileSync(path);
    const fromBytes = loadOnnx(new Uint8Array(bytes));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    for (const other of [fromBytes, loadOnnx(buffer), browser.loadOnnx(buffer)]) {
      expect(other.recurrentNodes()).toEqual(model.recurrentNodes());
    }
    expect(model.irVersion).toBeGreaterThanOrEqual(8);
    expect(model.opsetVersion).toBe(entry.opset);
    expect(model.producer).toMatch(/^pytorch 2\.15/);
    expect(model.inputs).toEqual(Object.keys(entry.inputs));
  });

  test('lists its recurrent nodes with the attributes and weights the exporter wrote', () => {
    const nodes = model.recurrentNodes();
    expect(nodes.map((n) => n.name)).toEqual(entry.nodes.map((n) => n.name));
    nodes.forEach((n, k) => {
      const want = entry.nodes[k];
      expect(n.opType).toBe(want.opType);
      expect(n.inputs).toEqual(want.inputs);
      expect(n.attributes).toEqual(want.attributes);
      // W, R and B (torch always writes a bias) are stored; X and the initial states are computed.
      const stored = ['W', 'R', 'B'].map((_, i) => n.inputs[i + 1]);
      expect(Object.keys(n.initializers).sort()).toEqual(stored.sort());
      const D = n.attributes.direction === 'bidirectional' ? 2 : 1;
      const G = { LSTM: 4, GRU: 3, RNN: 1 }[n.opType];
      const H = entry.config.hiddenSize;
      const W = n.initializers[n.inputs[1]];
      expect(W.data).toBeInstanceOf(f64(entry) ? Float64Array : Float32Array);
      expect(W.shape).toEqual([D, G * H, k === 0 ? entry.config.inputSize : D * H]);
      expect(n.initializers[n.inputs[2]].shape).toEqual([D, G * H, H]);
      expect(n.initializers[n.inputs[3]].shape).toEqual([D, 2 * G * H]);
    });
  });

  test('run gives onnxruntime’s outputs of every node (1e-5)', () => {
    for (const node of entry.nodes) {
      const feeds = Object.fromEntries(Object.entries(node.feeds).map(([slot, t]) => [slot, typed(entry, t)]));
      const out = model.run(node.name, feeds) as unknown as Record<string, { data: Float32Array | Float64Array; shape: number[] }>;
      for (const [key, want] of Object.entries(node.outputs)) {
        expect(out[key].shape, `${node.name} ${key}`).toEqual(want.shape);
        expect(out[key].data).toBeInstanceOf(f64(entry) ? Float64Array : Float32Array);
        expectClose(out[key].data, want.data, f64(entry) ? 1e-12 : 1e-5, `${node.name} ${key}`);
      }
    }
  });

  test('toLayer gives the class holding torch’s weights, whose forward matches torch (1e-5)', () => {
    const nodes = model.recurrentNodes();
    const layer = model.toLayer(nodes.map((n) => n.name));
    const cls = { LSTM, GRU, RNN }[entry.module];
    expect(layer).toBeInstanceOf(cls);
    const { config } = entry;
    expect(layer.inputSize).toBe(config.inputSize);
    expect(layer.hiddenSize).toBe(config.hiddenSize);
    expect(layer.numLayers).toBe(config.numLayers);
    expect(layer.bidirectional).toBe(config.bidirectional);
    expect(layer.batchFirst).toBe(false);
    if (config.nonlinearity) expect((layer as RNN).nonlinearity).toBe(config.nonlinearity);
    if (layer instanceof GRU) expect(layer.linearBeforeReset).toBe(true);
    // The same numbers as torch's state dict (float32 values, exact in float64).
    const sd = layer.stateDict();
    expect(Object.keys(sd).sort()).toEqual(Object.keys(entry.stateDict).sort());
    for (const [key, want] of Object.entries(entry.stateDict)) {
      expect(sd[key].shape, key).toEqual(want.shape);
      expect(Array.from(sd[key].data), key).toEqual(want.data.map((v) => (f64(entry) ? v : Math.fround(v))));
    }
    const x = typed(entry, entry.inputs.x);
    const h0 = typed(entry, entry.inputs.h0);
    const result = entry.inputs.c0 ? (layer as LSTM).forward(x, { h0, c0: typed(entry, entry.inputs.c0) }) : layer.forward(x, { h0 });
    const tol = f64(entry) ? 1e-12 : 1e-5;
    expectClose(result.output.data, entry.torch.output.data, tol, 'output');
    expect(result.output.shape).toEqual(entry.torch.output.shape);
    expectClose(result.h.data, entry.torch.h.data, tol, 'h');
    if (entry.torch.c) expectClose(result.c!.data, entry.torch.c.data, tol, 'c');
    // One node (the first layer) alone: a one-layer instance of the same weights.
    const one = model.toLayer(nodes[0]);
    expect(one.numLayers).toBe(1);
    expect(one.stateDict().weight_ih_l0).toEqual(sd.weight_ih_l0);
  });
});

test('the descriptor in ts/onnx/schema.ts is what scripts/onnx-schema.mjs makes of ts/onnx/onnx.proto', () => {
  const root = join(import.meta.dirname, '..');
  expect(execFileSync(process.execPath, [join(root, 'scripts/onnx-schema.mjs'), '--check'], { encoding: 'utf8' })).toMatch(/up to date/);
});

describe('the files torch writes', () => {
  test('nn.RNN through the dynamo exporter: an unrolled graph without recurrent nodes', () => {
    const model = loadOnnx(join(DIR, 'rnn1_unrolled.onnx'));
    expect(model.recurrentNodes()).toEqual([]);
    expect(() => model.toLayer('anything')).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringContaining('its recurrent nodes: none') }));
    expect(() => model.toLayer([])).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE' }));
  });

  test('a stack in the wrong order, or with a node missing, is refused naming the link', () => {
    const model = loadOnnx(join(DIR, 'lstm2bi.onnx'));
    const [a, b] = model.recurrentNodes().map((n) => n.name);
    expect(() => model.toLayer([b, a])).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringContaining(`"${b}"`) }));
    expect(() => model.toLayer([a, a])).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringContaining('listed twice') }));
    // The second layer alone is a one-layer LSTM of 2·H inputs.
    const second = model.toLayer(b);
    expect(second.inputSize).toBe(8);
    const gru = loadOnnx(join(DIR, 'gru2.onnx'));
    expect(() => model.toLayer([a, gru.recurrentNodes()[1]])).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE' }));
  });

  test('run takes feeds by tensor name as well, and refuses unknown, stored and missing ones', () => {
    const model = loadOnnx(join(DIR, 'lstm1.onnx'));
    const entry = EXPECTED.files.find((e) => e.file === 'lstm1.onnx')!;
    const node = model.recurrentNodes()[0];
    const feeds = entry.nodes[0].feeds;
    const X = Float32Array.from(feeds.X.data);
    const byName = model.run(node, {
      [node.inputs[0]]: { data: X, shape: feeds.X.shape },
      [node.inputs[5]]: { data: Float32Array.from(feeds.initial_h.data), shape: feeds.initial_h.shape },
      initial_c: { data: Float32Array.from(feeds.initial_c.data), shape: feeds.initial_c.shape },
    });
    expectClose(byName.Y.data, entry.nodes[0].outputs.Y.data, 1e-5, 'Y');
    // Optional computed inputs may be left out: zeros, as a node without them.
    const zeros = model.run(node, { X: { data: X, shape: feeds.X.shape } });
    const direct = onnxLSTM(
      { X: { data: X, shape: feeds.X.shape }, ...weightsOf(node) },
      { hidden_size: 5 },
    );
    expect(zeros.Y.data).toEqual(direct.Y.data);
    const Xin = { data: X, shape: feeds.X.shape };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return [(e as { code: string }).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code(() => model.run(node, { X: Xin, bogus: Xin }))).toEqual(['ERR_RNN_VALUE', expect.stringContaining('"bogus"')]);
    expect(code(() => model.run(node, { X: Xin, W: Xin }))).toEqual(['ERR_RNN_VALUE', expect.stringContaining('W is stored in the file')]);
    expect(code(() => model.run(node, { X: Xin, [node.inputs[0]]: Xin }))).toEqual(['ERR_RNN_VALUE', expect.stringContaining('fed twice')]);
    expect(code(() => model.run(node, {}))).toEqual(['ERR_RNN_MISSING_KEY', expect.stringContaining('X')]);
    expect(code(() => model.run(node, null as any))).toEqual(['ERR_RNN_TYPE', expect.stringContaining('feeds')]);
    expect(code(() => model.run(42 as any, { X: Xin }))).toEqual(['ERR_RNN_TYPE', expect.stringContaining('node')]);
    expect(code(() => model.run('nope', { X: Xin }))).toEqual(['ERR_RNN_VALUE', expect.stringContaining('"nope"')]);
    // The operator's own checks (here X's features) pass through with their codes.
    expect(code(() => model.run(node, { X: { data: new Float32Array(10), shape: [5, 1, 2] } }))?.[0]).toBe('ERR_RNN_SHAPE');
    // After failed calls the model works as before.
    expect(model.run(node, { X: Xin }).Y.data).toEqual(direct.Y.data);
  });

  test('the nodes recurrentNodes() hands out are copies: changing them changes nothing', () => {
    const model = loadOnnx(join(DIR, 'gru1.onnx'));
    const [node] = model.recurrentNodes();
    const before = model.toLayer(node).stateDict();
    for (const t of Object.values(node.initializers)) t.data.fill(7);
    node.attributes.hidden_size = 99;
    node.name = 'renamed';
    // The object still stands for its node (found by identity, not by its fields).
    expect(model.toLayer(node).stateDict()).toEqual(before);
    expect(model.recurrentNodes()[0].attributes.hidden_size).toBe(5);
  });

  test('paths: a missing file is ERR_RNN_MODEL_FORMAT naming it; the browser entry takes bytes only', () => {
    expect(() => loadOnnx(join(DIR, 'missing.onnx'))).toThrow(expect.objectContaining({ code: 'ERR_RNN_MODEL_FORMAT', message: expect.stringContaining('missing.onnx: no such file') }));
    expect(() => browser.loadOnnx(join(DIR, 'lstm1.onnx'))).toThrow(expect.objectContaining({ code: 'ERR_RNN_TYPE', name: 'TypeError' }));
    expect(() => loadOnnx(42 as any)).toThrow(expect.objectContaining({ code: 'ERR_RNN_TYPE' }));
  });
});

/** A model built here, loaded. */
const build = (spec: Parameters<typeof recurrentModel>[0]) => loadOnnx(encodeModel(recurrentModel(spec)));

/** x of (T, N, F) = (4, 2, F), deterministic. */
function input(F: number, T = 4, N = 2) {
  return { data: Float64Array.from({ length: T * N * F }, (_, i) => Math.cos(i * 0.7) * 0.9), shape: [T, N, F] };
}

/** Checks layer.forward(x) equals run's Y (one layer, forward: Y is output with a direction axis). */
function sameAsRun(model: OnnxModel, batchFirst = false) {
  const layer = model.toLayer('rnn');
  const x = input(2);
  const X = batchFirst ? { data: transpose01(x.data, 4, 2, 2), shape: [2, 4, 2] } : x;
  const Y = model.run('rnn', { X }).Y;
  const out = layer.forward(X).output;
  expectClose(out.data, Y.data, 1e-12, 'output vs Y');
  return layer;
}

function transpose01(data: Float64Array, a: number, b: number, f: number) {
  const out = new Float64Array(data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < f; k++) out[(j * a + i) * f + k] = data[(i * b + j) * f + k];
  return out;
}

describe('built files: what toLayer expresses and what it refuses', () => {
  test('GRU with linear_before_reset 0 → linearBeforeReset false; 1 → true', () => {
    for (const lbr of [0, 1]) {
      const layer = sameAsRun(build({ op: 'GRU', attributes: [attr.int('linear_before_reset', lbr)] })) as GRU;
      expect(layer.linearBeforeReset).toBe(lbr === 1);
    }
    // Without the attribute the spec's default 0 applies.
    expect((sameAsRun(build({ op: 'GRU' })) as GRU).linearBeforeReset).toBe(false);
  });

  test('no B → bias false; RNN Relu → nonlinearity relu; layout 1 → batchFirst', () => {
    const noBias = sameAsRun(build({ bias: false }));
    expect(noBias.bias).toBe(false);
    expect(Object.keys(noBias.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect((sameAsRun(build({ op: 'RNN', attributes: [attr.strings('activations', ['Relu'])] })) as RNN).nonlinearity).toBe('relu');
    expect(sameAsRun(build({ attributes: [attr.int('layout', 1)] }), true).batchFirst).toBe(true);
    // Standard activations spelled out, and alpha/beta that those functions ignore, are fine.
    sameAsRun(build({ attributes: [attr.strings('activations', ['Sigmoid', 'Tanh', 'Tanh']), attr.floats('activation_alpha', [1, 2, 3])] }));
  });

  test('a bidirectional node → bidirectional, matching run', () => {
    const model = build({ op: 'GRU', directions: 2, attributes: [attr.int('linear_before_reset', 1)] });
    const layer = model.toLayer('rnn');
    expect(layer.bidirectional).toBe(true);
    const x = input(2);
    const Y = model.run('rnn', { X: x }).Y; // [T, 2, N, H]
    const out = layer.forward(x).output; // [T, N, 2H]
    const [T, , N, H] = Y.shape;
    for (let t = 0; t < T; t++) for (let d = 0; d < 2; d++) for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) {
      expect(Math.abs(out.data[((t * N + n) * 2 + d) * H + h] - Y.data[((t * 2 + d) * N + n) * H + h])).toBeLessThan(1e-12);
    }
  });

  const refusals: [string, Parameters<typeof recurrentModel>[0], string][] = [
    ['clip', { attributes: [attr.float('clip', 0.5)] }, 'clip'],
    ['input_forget', { attributes: [attr.int('input_forget', 1)] }, 'input_forget'],
    ['peepholes', { extraInputs: ['', '', '', 'P'], extraInitializers: [floatTensor('P', [1, 9])] }, 'peepholes'],
    ['other activations', { attributes: [attr.strings('activations', ['HardSigmoid', 'Tanh', 'Tanh'])] }, 'activations'],
    ['RNN Tanh/Relu mixed', { op: 'RNN', directions: 2, attributes: [attr.strings('activations', ['Relu', 'Tanh'])] }, 'activations'],
    ['reverse', { attributes: [attr.string('direction', 'reverse')] }, 'reverse'],
    ['stored initial state', { extraInputs: ['', 'h'], extraInitializers: [floatTensor('h', [1, 2, 3])] }, 'initial_h'],
    ['stored sequence_lens', { extraInputs: ['L'], extraInitializers: [{ name: 'L', dims: [2], data_type: 6, int32_data: [4, 3] }] }, 'sequence_lens'],
  ];
  test.each(refusals)('%s → ERR_RNN_VALUE naming it; run still works', (_, spec, word) => {
    const model = build(spec);
    expect(() => model.toLayer('rnn')).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', name: 'RangeError', message: expect.stringContaining(word) }));
    expect(model.run('rnn', { X: input(2) }).Y.shape).toEqual([4, spec?.directions ?? 1, 2, 3]);
  });

  test('zero peepholes are no peepholes, zero stored initial states no initial states', () => {
    sameAsRun(build({ extraInputs: ['', '', '', 'P'], extraInitializers: [floatTensor('P', [1, 9], new Array<number>(9).fill(0))] }));
    sameAsRun(build({ extraInputs: ['', 'h', 'c'], extraInitializers: [floatTensor('h', [1, 2, 3], new Array<number>(6).fill(0)), floatTensor('c', [1, 2, 3], new Array<number>(6).fill(0))] }));
  });

  test('a stored sequence_lens (INT32) is used by run', () => {
    const model = build({ extraInputs: ['L'], extraInitializers: [{ name: 'L', dims: [2], data_type: 6, int32_data: [4, 2] }] });
    expect(model.recurrentNodes()[0].initializers.L).toEqual({ data: Int32Array.of(4, 2), shape: [2] });
    const Y = model.run('rnn', { X: input(2) }).Y;
    // Sequence 1 stops after 2 steps: Y is 0 at its steps 2 and 3.
    for (const t of [2, 3]) expect(Array.from(Y.data.subarray((t * 2 + 1) * 3, (t * 2 + 2) * 3))).toEqual([0, 0, 0]);
  });

  test('unnamed nodes are called <op>#<index>; duplicate names need the node object', () => {
    const m = recurrentModel({ op: 'GRU', name: '' });
    const model = loadOnnx(encodeModel(m));
    expect(model.recurrentNodes()[0].name).toBe('GRU#0');
    expect(model.toLayer('GRU#0')).toBeInstanceOf(GRU);
    const g = m.graph as { node: Record<string, unknown>[] };
    g.node[0].name = 'same';
    g.node.push({ ...g.node[0], output: ['Y2', 'Yh2'] });
    const twice = loadOnnx(encodeModel(m));
    const nodes = twice.recurrentNodes();
    expect(nodes.map((n) => n.name)).toEqual(['same', 'same']);
    expect(() => twice.toLayer('same')).toThrow(expect.objectContaining({ code: 'ERR_RNN_VALUE', message: expect.stringContaining('2 recurrent nodes are named "same"') }));
    expect(twice.toLayer(nodes[1])).toBeInstanceOf(GRU);
    expect(twice.run(nodes[0], { X: input(2) }).Y.data).toEqual(onnxGRU({ X: input(2), ...weightsOf(nodes[0]) }, { hidden_size: 3 }).Y.data);
  });

  test('nodes of another domain and Constant-node weights', () => {
    const m = recurrentModel();
    const g = m.graph as { node: Record<string, unknown>[]; initializer: Record<string, unknown>[] };
    g.node.push({ ...g.node[0], name: 'custom', domain: 'com.example', output: ['a', 'b'] });
    // R as a Constant node's value instead of an initializer.
    const R = g.initializer.splice(1, 1)[0];
    g.node.unshift({ name: 'const_R', op_type: 'Constant', output: ['R'], attribute: [{ name: 'value', type: 4, t: R }] });
    const model = loadOnnx(encodeModel(m));
    expect(model.recurrentNodes().map((n) => n.name)).toEqual(['rnn']);
    expect(Object.keys(model.recurrentNodes()[0].initializers)).toEqual(['W', 'R', 'B']);
    sameAsRun(model);
  });
});

function weightsOf(node: OnnxRecurrentNode) {
  const t = (k: number) => node.initializers[node.inputs[k]] as { data: Float32Array; shape: number[] };
  return { W: t(1), R: t(2), B: t(3) };
}
