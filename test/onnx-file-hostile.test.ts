/**
 * Hostile .onnx files: each is refused with RangeError ERR_RNN_MODEL_FORMAT naming the problem,
 * or read normally, never any other exception or a hang. Truncation at every length of small
 * exported files, random byte changes (seeded), protobuf wire-format damage, tensors whose data
 * does not fit their dims, external data, huge and negative dims, wrong data and attribute
 * types, malformed recurrent nodes, and graphs with no recurrent node at all. A model that loads
 * is then used (recurrentNodes, run, toLayer): those calls too throw only coded errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadOnnx } from '../ts/onnx/file-node.js';
import { mulberry32 } from './shared/helpers.js';
import { attr, encodeModel, floatTensor, rawFloatTensor, recurrentModel, type ModelObject } from './shared/onnx-build.js';

const DIR = join(import.meta.dirname, 'fixtures/onnx-files');
const fileBytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

/** The error `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): (Error & { code?: string }) | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  return undefined;
}

/**
 * Codes a call on a loaded model may throw: values the operator refuses, or (a damaged name made
 * a weight a computed input) a weight missing from the feeds.
 */
const USE_CODES = ['ERR_RNN_MODEL_FORMAT', 'ERR_RNN_VALUE', 'ERR_RNN_SHAPE', 'ERR_RNN_SIZE', 'ERR_RNN_MISSING_KEY'];

/**
 * Loads `bytes`: either a model or ERR_RNN_MODEL_FORMAT. A model is then used, its nodes run on
 * a small X and turned into layers, where only coded errors may come. Returns the outcome.
 */
function probe(bytes: Uint8Array): 'refused' | 'loaded' {
  let model;
  try {
    model = loadOnnx(bytes);
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code !== 'ERR_RNN_MODEL_FORMAT' || !(e instanceof RangeError)) throw new Error(`loadOnnx threw ${e.name} ${e.code}: ${e.message}`);
    return 'refused';
  }
  for (const node of model.recurrentNodes()) {
    const W = node.initializers[node.inputs[1]];
    const F = W ? W.shape[2] : 2;
    if (F > 64) continue;
    const layout1 = node.attributes.layout === 1;
    const X = { data: new Float32Array(3 * 2 * F).fill(0.25), shape: layout1 ? [2, 3, F] : [3, 2, F] };
    for (const call of [() => model.run(node, { X }), () => model.toLayer(node)]) {
      const e = thrown(call);
      if (e && !USE_CODES.includes(e.code ?? '')) throw new Error(`using node ${node.name} threw ${e.name} ${e.code}: ${e.message}`);
    }
  }
  return 'loaded';
}

/** loadOnnx's error for `model` (which must be refused). */
function refusal(model: ModelObject | Uint8Array): Error & { code?: string } {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const e = thrown(() => loadOnnx(bytes));
  expect(e, 'refused').toBeDefined();
  expect(e).toBeInstanceOf(RangeError);
  expect(e!.code).toBe('ERR_RNN_MODEL_FORMAT');
  return e!;
}

describe('damaged exported files', () => {
  test.each(['rnn1.onnx', 'gru2.onnx', 'lstm1.onnx'])('%s truncated at every length', (name) => {
    const bytes = fileBytes(name);
    const outcomes = { refused: 0, loaded: 0 };
    for (let n = 0; n < bytes.length; n++) outcomes[probe(bytes.subarray(0, n))]++;
    // Most cuts land inside a field; a cut between top-level fields still decodes.
    expect(outcomes.refused).toBeGreaterThan(bytes.length / 2);
    expect(probe(bytes)).toBe('loaded');
  });

  test.each(['rnn2bi_relu.onnx', 'lstm2bi_torchscript.onnx', 'gru1_constants.onnx', 'lstm1_f64.onnx'])('%s with random byte changes (seeded)', (name) => {
    const original = fileBytes(name);
    const random = mulberry32(0x6f6e6e78 + name.length);
    const outcomes = { refused: 0, loaded: 0 };
    for (let k = 0; k < 1500; k++) {
      const bytes = original.slice();
      const changes = 1 + Math.floor(random() * 4);
      for (let c = 0; c < changes; c++) {
        const at = Math.floor(random() * bytes.length);
        // Half the changes hit single bits (tags and lengths), half replace the byte.
        bytes[at] = random() < 0.5 ? bytes[at] ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
      }
      outcomes[probe(bytes)]++;
    }
    expect(outcomes.refused + outcomes.loaded).toBe(1500);
  });

  test('random bytes and other formats are not ONNX models', () => {
    const random = mulberry32(7);
    for (let k = 0; k < 300; k++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256));
      probe(bytes);
    }
    for (const text of ['', '{"graph": {}}', '\x89PNG\r\n\x1a\n', 'PK\x03\x04']) {
      const e = refusal(new TextEncoder().encode(text));
      expect(e.message).toMatch(/not an ONNX model/);
    }
  });
});

describe('protobuf damage', () => {
  test('wrong wire types: a field of another type is skipped, an invalid wire type refused', () => {
    // ModelProto.graph (field 7) sent as a varint: skipped, so the model has no graph.
    expect(refusal(Uint8Array.of(0x08, 0x08, 0x38, 0x01)).message).toMatch(/no graph/);
    // Wire types 6 and 7 do not exist.
    expect(refusal(Uint8Array.of(0x08, 0x08, 0x3e, 0x01)).message).toMatch(/does not decode/);
    expect(refusal(Uint8Array.of(0x08, 0x08, 0x3f)).message).toMatch(/does not decode/);
    // A length running past the end; a varint that never ends.
    expect(refusal(Uint8Array.of(0x08, 0x08, 0x3a, 0x7f, 0x00)).message).toMatch(/does not decode/);
    expect(refusal(Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).message).toMatch(/does not decode/);
  });

  test('unknown fields nested as deep groups are refused, not a stack overflow', () => {
    // Field 99 start-group tags, 100,000 deep (an unknown field: skipped recursively).
    const start = [0x9b, 0x06];
    const bytes = new Uint8Array(2 + start.length * 100_000);
    bytes.set([0x08, 0x08]);
    for (let i = 0; i < 100_000; i++) bytes.set(start, 2 + 2 * i);
    expect(refusal(bytes).message).toMatch(/does not decode \(max depth exceeded\)/);
  });

  test('a valid model with unknown fields and subgraph attributes reads as without them', () => {
    const base = encodeModel(recurrentModel());
    // Unknown top-level field 99 (bytes), then the model.
    const withUnknown = new Uint8Array([0x9a, 0x06, 0x03, 1, 2, 3, ...base]);
    expect(loadOnnx(withUnknown).recurrentNodes()).toEqual(loadOnnx(base).recurrentNodes());
  });
});

describe('tensors', () => {
  const withW = (W: Record<string, unknown>) => {
    const m = recurrentModel();
    const g = m.graph as { initializer: Record<string, unknown>[] };
    g.initializer[0] = W;
    return m;
  };

  test('an element count that is not the dims’ product, in float_data or raw_data', () => {
    expect(refusal(withW(floatTensor('W', [1, 12, 2], new Array<number>(23).fill(0)))).message).toMatch(/input W \("W"\): dims \(1, 12, 2\) give 24 elements; float_data holds 23/);
    expect(refusal(withW(rawFloatTensor('W', [1, 12, 2], new Array<number>(25).fill(0)))).message).toMatch(/"W"\): dims \(1, 12, 2\) give 24 elements \(96 bytes\); raw_data holds 100 bytes/);
    const odd = rawFloatTensor('W', [1, 12, 2], new Array<number>(24).fill(0));
    odd.raw_data = (odd.raw_data as Uint8Array).subarray(0, 95);
    expect(refusal(withW(odd)).message).toMatch(/raw_data holds 95 bytes/);
    const both = { ...floatTensor('W', [1, 12, 2]), raw_data: new Uint8Array(96) };
    expect(refusal(withW(both)).message).toMatch(/both raw_data and float_data/);
    // No data at all for 24 elements.
    expect(refusal(withW({ name: 'W', dims: [1, 12, 2], data_type: 1 })).message).toMatch(/give 24 elements; float_data holds 0/);
  });

  test('raw_data is read little-endian, unaligned', () => {
    const values = Array.from({ length: 24 }, (_, i) => Math.fround(i / 7 - 1));
    const model = loadOnnx(encodeModel(withW(rawFloatTensor('W', [1, 12, 2], values))));
    expect(Array.from(model.recurrentNodes()[0].initializers.W.data)).toEqual(values);
    const double = { name: 'W', dims: [1, 12, 2], data_type: 11, double_data: values.map((v) => v / 3) };
    expect(Array.from(loadOnnx(encodeModel(withW(double))).recurrentNodes()[0].initializers.W.data)).toEqual(values.map((v) => v / 3));
  });

  test('external data is refused naming the tensor', () => {
    const external = { name: 'W', dims: [1, 12, 2], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '0' }] };
    const e = refusal(withW(external));
    expect(e.message).toMatch(/input W \("W"\) is stored outside the file \(external data\)/);
    // The entries alone (no data_location) mean the same.
    expect(refusal(withW({ ...external, data_location: 0 })).message).toMatch(/external data/);
  });

  test('huge, negative and out-of-range dims', () => {
    expect(refusal(withW({ name: 'W', dims: [1 << 20, 1 << 20, 1 << 20], data_type: 1 })).message).toMatch(/elements, over the limit/);
    expect(refusal(withW({ name: 'W', dims: [1, -12, 2], data_type: 1 })).message).toMatch(/dimension -12/);
    expect(refusal(withW({ name: 'W', dims: ['9223372036854775807'], data_type: 1 })).message).toMatch(/beyond 2\*\*53/);
    expect(refusal(withW({ name: 'W', dims: [2 ** 40, 2 ** 40], data_type: 1, raw_data: new Uint8Array(8) })).message).toMatch(/over the limit/);
  });

  test('other data types, segments and sparse initializers', () => {
    expect(refusal(withW({ name: 'W', dims: [1, 12, 2], data_type: 10, raw_data: new Uint8Array(48) })).message).toMatch(/data type FLOAT16; FLOAT or DOUBLE expected/);
    expect(refusal(withW({ name: 'W', dims: [1, 12, 2], data_type: 99 })).message).toMatch(/data type code 99/);
    expect(refusal(withW({ ...floatTensor('W', [1, 12, 2]), segment: { begin: 0, end: 24 } })).message).toMatch(/segment/);
    const m = recurrentModel();
    const g = m.graph as { initializer: Record<string, unknown>[]; sparse_initializer?: unknown[] };
    g.initializer.splice(0, 1);
    g.sparse_initializer = [{ values: floatTensor('W', [3]), dims: [1, 12, 2] }];
    expect(refusal(m).message).toMatch(/sparse initializer/);
    // sequence_lens must be INT32.
    const lens = recurrentModel({ extraInputs: ['L'], extraInitializers: [floatTensor('L', [2])] });
    expect(refusal(lens).message).toMatch(/sequence_lens \("L"\) has data type FLOAT; INT32 expected/);
  });

  test('two initializers of one name; Constant nodes without a tensor', () => {
    const m = recurrentModel();
    const g = m.graph as { initializer: Record<string, unknown>[]; node: Record<string, unknown>[] };
    g.initializer.push(floatTensor('W', [1, 12, 2]));
    expect(refusal(m).message).toMatch(/two initializers are named "W"/);
    const c = recurrentModel();
    const gc = c.graph as { initializer: Record<string, unknown>[]; node: Record<string, unknown>[] };
    gc.initializer.splice(0, 1);
    gc.node.unshift({ op_type: 'Constant', output: ['W'], attribute: [attr.string('value_string', 'x')] });
    expect(refusal(c).message).toMatch(/Constant node whose attribute "value_string" holds no FLOAT or DOUBLE tensor/);
    gc.node[0].attribute = [];
    expect(refusal(c).message).toMatch(/Constant node with 0 attributes/);
    gc.node[0].attribute = [attr.floats('value_floats', [1, 2])];
    expect(refusal(c).message).toMatch(/input W must have shape/);
  });
});

describe('recurrent nodes', () => {
  const cases: [string, ModelObject, RegExp][] = [
    ['unknown attribute', recurrentModel({ attributes: [attr.int('output_sequence', 1)] }), /attribute "output_sequence", which LSTM does not take/],
    ['attribute of the wrong type', recurrentModel({ attributes: [attr.float('layout', 1)] }), /attribute layout must be INT; the file gives FLOAT/],
    ['direction unknown', recurrentModel({ attributes: [attr.string('direction', 'sideways')] }), /direction must be forward, reverse or bidirectional/],
    ['direction not UTF-8', recurrentModel({ attributes: [{ name: 'direction', type: 3, s: Uint8Array.of(0xff) }] }), /not UTF-8/],
    ['layout 2', recurrentModel({ attributes: [attr.int('layout', 2)] }), /layout must be 0 or 1/],
    ['clip 0', recurrentModel({ attributes: [attr.float('clip', 0)] }), /clip must be positive/],
    ['activations unknown', recurrentModel({ attributes: [attr.strings('activations', ['Sigmoid', 'Tanh', 'Swish'])] }), /"Swish", which is not one of/],
    ['activations miscounted', recurrentModel({ attributes: [attr.strings('activations', ['Sigmoid', 'Tanh'])] }), /must list 3 functions/],
    ['an attribute twice', recurrentModel({ attributes: [attr.int('hidden_size', 4)] }), /attribute hidden_size twice/],
    ['too many inputs', recurrentModel({ op: 'GRU', extraInputs: ['', '', 'c'] }), /7 inputs; GRU takes at most 6/],
    ['B of the wrong shape', (() => {
      const m = recurrentModel();
      (m.graph as { initializer: Record<string, unknown>[] }).initializer[2] = floatTensor('B', [1, 12]);
      return m;
    })(), /input B must have shape \(num_directions, 8·hidden_size\) = \(1, 24\); got \(1, 12\)/],
    ['W for two directions in a forward node', (() => {
      const m = recurrentModel();
      (m.graph as { initializer: Record<string, unknown>[] }).initializer[0] = floatTensor('W', [2, 12, 2]);
      return m;
    })(), /input W must have shape/],
    ['missing R', (() => {
      const m = recurrentModel();
      ((m.graph as { node: { input: string[] }[] }).node[0].input[2] = '');
      return m;
    })(), /lacks its input R/],
    ['no ir_version', { ...recurrentModel(), ir_version: 0 }, /ir_version is missing/],
  ];
  test.each(cases)('%s', (_, model, message) => {
    expect(refusal(model).message).toMatch(message);
  });

  test('hidden_size that disagrees with R', () => {
    const m = recurrentModel();
    const node = (m.graph as { node: { attribute: Record<string, unknown>[] }[] }).node[0];
    node.attribute[0] = attr.int('hidden_size', 4);
    expect(refusal(m).message).toMatch(/input R must have shape \(num_directions, 4·hidden_size, hidden_size\) = \(1, 16, 4\); got \(1, 12, 3\)/);
    node.attribute[0] = attr.int('hidden_size', -3);
    expect(refusal(m).message).toMatch(/hidden_size must be a positive integer/);
  });

  test('graphs without recurrent nodes load with none', () => {
    const m = recurrentModel();
    const g = m.graph as { node: Record<string, unknown>[] };
    g.node[0].op_type = 'Conv';
    const model = loadOnnx(encodeModel(m));
    expect(model.recurrentNodes()).toEqual([]);
    expect(thrown(() => model.run('rnn', {}))?.code).toBe('ERR_RNN_VALUE');
    // An empty graph.
    expect(loadOnnx(encodeModel({ ir_version: 8, graph: {} })).recurrentNodes()).toEqual([]);
    // A node's bad attribute outside the recurrent nodes is not read.
    g.node[0].attribute = [attr.float('hidden_size', 1)];
    expect(loadOnnx(encodeModel(m)).recurrentNodes()).toEqual([]);
  });

  test('a weight computed by another node: listed, fed to run, refused by toLayer', () => {
    const m = recurrentModel();
    const g = m.graph as { node: Record<string, unknown>[]; initializer: Record<string, unknown>[] };
    g.initializer.splice(1, 1); // R
    g.node.unshift({ op_type: 'Identity', input: ['R0'], output: ['R'] });
    const model = loadOnnx(encodeModel(m));
    const [node] = model.recurrentNodes();
    expect(Object.keys(node.initializers)).toEqual(['W', 'B']);
    const R = { data: new Float32Array(36).fill(0.1), shape: [1, 12, 3] };
    const X = { data: new Float32Array(12).fill(0.5), shape: [3, 2, 2] };
    expect(model.run(node, { X, R }).Y.shape).toEqual([3, 1, 2, 3]);
    expect(thrown(() => model.run(node, { X }))?.code).toBe('ERR_RNN_MISSING_KEY');
    expect(thrown(() => model.toLayer(node))?.message).toMatch(/takes R from another node/);
  });
});
