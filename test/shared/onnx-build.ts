/**
 * Small .onnx files built in the tests, encoded with protobufjs from the same descriptor the
 * reader decodes with (generated from the official onnx.proto): a graph of one or more
 * recurrent nodes whose weights are initializers, plus whatever a test changes.
 */
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from '../../ts/onnx/schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');

/** ModelProto fields as protobufjs's fromObject takes them (ONNX's field names). */
export type ModelObject = Record<string, unknown>;

/** The bytes of a model given as a plain object. */
export function encodeModel(model: ModelObject): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** A FLOAT tensor initializer (float_data) named `name`. */
export function floatTensor(name: string, dims: number[], values?: number[]): Record<string, unknown> {
  const count = dims.reduce((a, b) => a * b, 1);
  return { name, dims, data_type: 1, float_data: values ?? Array.from({ length: count }, (_, i) => Math.fround(Math.sin(i + name.length) * 0.5)) };
}

/** A FLOAT tensor stored as raw_data (little-endian). */
export function rawFloatTensor(name: string, dims: number[], values: number[]): Record<string, unknown> {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return { name, dims, data_type: 1, raw_data: raw };
}

export interface RecurrentSpec {
  op?: 'LSTM' | 'GRU' | 'RNN';
  name?: string;
  hidden?: number;
  inputSize?: number;
  directions?: 1 | 2;
  /** Extra attributes as AttributeProto objects. */
  attributes?: Record<string, unknown>[];
  bias?: boolean;
  /** Extra inputs after B: [sequence_lens, initial_h, initial_c, P] names ('' to omit). */
  extraInputs?: string[];
  extraInitializers?: Record<string, unknown>[];
}

/** A model with one recurrent node named `spec.name` (default 'rnn'), X fed as graph input 'X'. */
export function recurrentModel(spec: RecurrentSpec = {}): ModelObject {
  const { op = 'LSTM', name = 'rnn', hidden = 3, inputSize = 2, directions = 1, attributes = [], bias = true, extraInputs = [], extraInitializers = [] } = spec;
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const D = directions;
  const inits = [floatTensor('W', [D, G * hidden, inputSize]), floatTensor('R', [D, G * hidden, hidden])];
  if (bias) inits.push(floatTensor('B', [D, 2 * G * hidden]));
  const attrs: Record<string, unknown>[] = [{ name: 'hidden_size', type: 2, i: hidden }, ...attributes];
  if (D === 2) attrs.push({ name: 'direction', type: 3, s: new TextEncoder().encode('bidirectional') });
  return {
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    producer_name: 'test',
    graph: {
      name: 'g',
      node: [{ name, op_type: op, input: ['X', 'W', 'R', bias ? 'B' : '', ...extraInputs], output: ['Y', 'Y_h', ...(op === 'LSTM' ? ['Y_c'] : [])], attribute: attrs }],
      initializer: [...inits, ...extraInitializers],
      input: [{ name: 'X' }],
      output: [{ name: 'Y' }],
    },
  };
}

/** An AttributeProto object. */
export const attr = {
  int: (name: string, i: number) => ({ name, type: 2, i }),
  float: (name: string, f: number) => ({ name, type: 1, f }),
  string: (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) }),
  strings: (name: string, list: string[]) => ({ name, type: 8, strings: list.map((s) => new TextEncoder().encode(s)) }),
  floats: (name: string, floats: number[]) => ({ name, type: 6, floats }),
};
