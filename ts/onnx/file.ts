/**
 * .onnx files: the recurrent nodes (LSTM, GRU, RNN of the default domain) of a model's main
 * graph, their attributes and stored weights, run with the operators of operators.ts or turned
 * into the library's LSTM / GRU / RNN classes. Environment-neutral: bytes in (file-node.ts adds
 * paths).
 *
 * The protobuf is decoded by protobufjs/light from a descriptor generated from the official
 * onnx.proto (schema.ts), pruned to the fields read here; everything else (functions, subgraphs
 * of If/Loop/Scan nodes, documentation, metadata) is skipped unread. Every recurrent node is
 * checked when the file is loaded: its attributes (known names, the spec's types and values),
 * its inputs and outputs, and each weight it takes from an initializer or a Constant node
 * (FLOAT or DOUBLE, INT32 for sequence_lens; raw_data little-endian or the typed fields; the
 * element count equal to the dims' product; shapes consistent with the node). A file that fails
 * any check, or is no protobuf, throws RangeError ERR_RNN_MODEL_FORMAT naming what is wrong.
 * Tensors stored outside the file (external data) are refused: the reader sees only the bytes.
 */
import protobuf from 'protobufjs/light.js';
import { rangeError, typeError } from '../errors.js';
import { describe, formatShape, type ArrayInput } from '../ndarray.js';
import { GRU, LSTM, RNN } from '../layers/recurrent.js';
import { dtypeOption, knownKeys, type LayerDtype } from '../layers/options.js';
import {
  onnxGRU,
  onnxLSTM,
  onnxRNN,
  type OnnxGRUInputs,
  type OnnxLSTMInputs,
  type OnnxRNNInputs,
  type OnnxTensor,
} from './operators.js';
import { onnxToLayerWeights } from './weights.js';
import { ONNX_SCHEMA } from './schema.js';

/** A tensor the file stores: float32 (FLOAT), float64 (DOUBLE) or, for sequence_lens, int32 data, C order. */
export interface OnnxInitializer {
  data: Float32Array | Float64Array | Int32Array;
  shape: number[];
}

/** An attribute's value: FLOAT and INT as numbers, STRING as text, FLOATS/INTS/STRINGS as arrays. */
export type OnnxAttribute = number | string | number[] | string[];

/** One LSTM, GRU or RNN node of the graph. */
export interface OnnxRecurrentNode {
  /** The node's name; a node without one is called `<opType>#<index in the graph>`. */
  name: string;
  opType: 'LSTM' | 'GRU' | 'RNN';
  /** The names of its inputs in the operator's order (X, W, R, B, sequence_lens, initial_h, ...); '' for an omitted one. */
  inputs: string[];
  /** The names of its outputs (Y, Y_h, Y_c); '' for an omitted one. */
  outputs: string[];
  /** Its attributes by their ONNX names (hidden_size, direction, activations, clip, ...), as the file sets them. */
  attributes: Record<string, OnnxAttribute>;
  /** The inputs the file stores (initializers, or Constant nodes' outputs), by input name: fresh copies. */
  initializers: Record<string, OnnxInitializer>;
}

/** What `run` returns: the operator's outputs (`{ data, shape }`, data of X's element type). */
export interface OnnxRunResult {
  Y: OnnxTensor;
  Y_h: OnnxTensor;
  /** LSTM only. */
  Y_c?: OnnxTensor;
}

/** A node given to `run` or `toLayer`: its name, or an object `recurrentNodes()` returned. */
export type OnnxNodeRef = string | OnnxRecurrentNode;

// ---------------------------------------------------------------------------------------------
// The decoded messages: the fields schema.ts keeps, as protobufjs gives them (int64 fields are
// numbers, or Long objects where the `long` package is loaded; bytes are Uint8Arrays).

type Int64 = number | { low: number; high: number; unsigned: boolean };

interface TensorMessage {
  dims: Int64[];
  data_type: number;
  segment: object | null;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  external_data: unknown[];
  data_location: number;
  double_data: number[];
}

interface AttributeMessage {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: TensorMessage | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorMessage[];
}

interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeMessage[];
}

interface ValueInfoMessage {
  name: string;
}

interface GraphMessage {
  node: NodeMessage[];
  name: string;
  initializer: TensorMessage[];
  sparse_initializer: { values: TensorMessage | null }[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
}

interface ModelMessage {
  ir_version: Int64;
  opset_import: { domain: string; version: Int64 }[];
  producer_name: string;
  producer_version: string;
  graph: GraphMessage | null;
}

let modelType: protobuf.Type | undefined;
/**
 * The ModelProto type, built on first use (no cost for programs that never read a file), with
 * every message's decoder generated up front: protobufjs generates them with `Function`, which a
 * page's Content-Security-Policy may forbid, and that must not read as a malformed file later.
 */
function modelProto(): protobuf.Type {
  if (modelType) return modelType;
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  const setup = (ns: protobuf.NamespaceBase) => {
    for (const item of ns.nestedArray) {
      if (item instanceof protobuf.Type) item.setup();
      if (item instanceof protobuf.Namespace) setup(item);
    }
  };
  try {
    setup(root);
  } catch (cause) {
    throw new Error(
      'loadOnnx: the ONNX decoder could not be generated; protobufjs compiles its decoders with Function, ' +
        "which this page's Content-Security-Policy may forbid (script-src 'unsafe-eval')",
      { cause },
    );
  }
  return (modelType = root.lookupType('onnx.ModelProto'));
}

// ---------------------------------------------------------------------------------------------

const OPS = ['LSTM', 'GRU', 'RNN'] as const;
type Op = (typeof OPS)[number];
/** The operator's inputs in order (ONNX spec, opset 22). */
const INPUTS: Record<Op, readonly string[]> = {
  LSTM: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
  GRU: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  RNN: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
};
const OUTPUTS: Record<Op, readonly string[]> = { LSTM: ['Y', 'Y_h', 'Y_c'], GRU: ['Y', 'Y_h'], RNN: ['Y', 'Y_h'] };
const GATES: Record<Op, number> = { LSTM: 4, GRU: 3, RNN: 1 };
/** Activations per direction, and the defaults (spec). */
const ACTIVATION_DEFAULTS: Record<Op, readonly string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
/** The activation functions the spec lists. */
const ACTIVATIONS = ['Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softsign', 'Softplus'];

/** Each attribute's AttributeProto type: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8. */
const ATTRIBUTE_TYPES: Record<string, number> = {
  activation_alpha: 6,
  activation_beta: 6,
  activations: 8,
  clip: 1,
  direction: 3,
  hidden_size: 2,
  input_forget: 2,
  layout: 2,
  linear_before_reset: 2,
};
const ATTRIBUTES: Record<Op, readonly string[]> = {
  LSTM: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout'],
  GRU: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
  RNN: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'],
};
const TYPE_NAMES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS', 9: 'TENSORS' };

/** TensorProto.DataType names, for messages. */
const DATA_TYPES = [
  'UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64',
  'COMPLEX64', 'COMPLEX128', 'BFLOAT16', 'FLOAT8E4M3FN', 'FLOAT8E4M3FNUZ', 'FLOAT8E5M2', 'FLOAT8E5M2FNUZ', 'UINT4', 'INT4', 'FLOAT4E2M1',
  'FLOAT8E8M0', 'UINT2', 'INT2', 'FLOAT6E2M3', 'FLOAT6E3M2',
];
const FLOAT = 1;
const INT32 = 6;
const DOUBLE = 11;
/** The most elements one stored tensor may have (the library's array limit). */
const MAX_TENSOR_ELEMENTS = 2 ** 32 - 1;

const quote = (name: string) => JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name);

/** An int64 field as a number; NaN when it is not a safe integer. */
function int64(value: Int64): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : NaN;
  const { low, high, unsigned } = value;
  const high32 = unsigned ? high >>> 0 : high | 0;
  const n = high32 * 2 ** 32 + (low >>> 0);
  return Number.isSafeInteger(n) ? n : NaN;
}

type Fail = (message: string) => RangeError;

/** A static tensor, checked: its element count against dims and its data. */
function readTensor(t: TensorMessage, what: string, fail: Fail, accept: readonly number[]): OnnxInitializer {
  if (t.data_location === 1 || t.external_data.length > 0) {
    throw fail(`${what} is stored outside the file (external data), which is not read; save the model as one file (onnx.save_model(model, path, save_as_external_data=False))`);
  }
  if (t.segment) throw fail(`${what} is one segment of a larger tensor, which is not read`);
  const type = t.data_type;
  if (!accept.includes(type)) {
    const name = DATA_TYPES[type] ?? `code ${type}`;
    throw fail(`${what} has data type ${name}; ${accept.map((c) => DATA_TYPES[c]).join(' or ')} expected`);
  }
  const shape: number[] = [];
  let count = 1;
  for (const d of t.dims) {
    const n = int64(d);
    if (!(n >= 0)) throw fail(`${what} has a dimension ${Number.isNaN(n) ? 'beyond 2**53' : n}; dims must be non-negative integers`);
    shape.push(n);
    count *= n;
  }
  if (count > MAX_TENSOR_ELEMENTS) throw fail(`${what} has dims ${formatShape(shape).slice(0, 80)}: ${count} elements, over the limit of ${MAX_TENSOR_ELEMENTS}`);
  const width = type === DOUBLE ? 8 : 4;
  const typed = type === FLOAT ? t.float_data : type === DOUBLE ? t.double_data : t.int32_data;
  const field = type === FLOAT ? 'float_data' : type === DOUBLE ? 'double_data' : 'int32_data';
  const raw = t.raw_data;
  if (raw.length > 0 && typed.length > 0) throw fail(`${what} has both raw_data and ${field}; a tensor holds its data in one of them`);
  const shapeText = formatShape(shape).slice(0, 80);
  const data = type === FLOAT ? new Float32Array(count) : type === DOUBLE ? new Float64Array(count) : new Int32Array(count);
  if (raw.length > 0) {
    if (raw.length !== count * width) throw fail(`${what}: dims ${shapeText} give ${count} elements (${count * width} bytes); raw_data holds ${raw.length} bytes`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    for (let i = 0; i < count; i++) {
      data[i] = type === FLOAT ? view.getFloat32(4 * i, true) : type === DOUBLE ? view.getFloat64(8 * i, true) : view.getInt32(4 * i, true);
    }
  } else {
    if (typed.length !== count) throw fail(`${what}: dims ${shapeText} give ${count} elements; ${field} holds ${typed.length}`);
    data.set(typed);
  }
  return { data, shape };
}

/** The tensor a Constant node holds (value, value_float or value_floats), or a reason it has none. */
function constantTensor(node: NodeMessage, what: string, fail: Fail, accept: readonly number[]): OnnxInitializer {
  if (node.attribute.length !== 1) throw fail(`${what} is the output of a Constant node with ${node.attribute.length} attributes; exactly one is expected`);
  const a = node.attribute[0];
  if (a.name === 'value' && a.t) return readTensor(a.t, what, fail, accept);
  if (a.name === 'value_float' && accept.includes(FLOAT)) return { data: Float32Array.of(a.f), shape: [] };
  if (a.name === 'value_floats' && accept.includes(FLOAT)) return { data: Float32Array.from(a.floats), shape: [a.floats.length] };
  throw fail(`${what} is the output of a Constant node whose attribute ${quote(a.name)} holds no ${accept.map((c) => DATA_TYPES[c]).join(' or ')} tensor`);
}

/** A recurrent node's attribute, of the type the spec gives it. */
function readAttribute(a: AttributeMessage, where: string, fail: Fail): OnnxAttribute {
  const want = ATTRIBUTE_TYPES[a.name];
  const decode = (bytes: Uint8Array, what: string) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw fail(`${what} is not UTF-8 text`);
    }
  };
  const what = `${where} attribute ${a.name}`;
  // Files from before AttributeProto had `type` (IR 1) leave it 0: read the field of the spec's type.
  const type = a.type || want;
  if (type !== want) throw fail(`${what} must be ${TYPE_NAMES[want]}; the file gives ${TYPE_NAMES[type] ?? `type ${type}`}`);
  switch (want) {
    case 1:
      return a.f;
    case 2: {
      const n = int64(a.i);
      if (Number.isNaN(n)) throw fail(`${what} is an integer beyond 2**53`);
      return n;
    }
    case 3:
      return decode(a.s, what);
    case 6:
      return a.floats.slice();
    default:
      return a.strings.map((s, k) => decode(s, `${what}[${k}]`));
  }
}

/** A recurrent node as the model keeps it (fields never handed out: `recurrentNodes` copies them). */
interface Node {
  index: number;
  name: string;
  op: Op;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
  /** Static inputs by slot name (X, W, ...). */
  stored: Record<string, OnnxInitializer>;
  /** The slots fed at run time: slot name → tensor name. */
  computed: Record<string, string>;
  hidden: number;
  directions: number;
  layout: number;
}

function copyTensor(t: OnnxInitializer): OnnxInitializer {
  return { data: t.data.slice(), shape: t.shape.slice() };
}

/** A loaded .onnx model: its recurrent nodes, to inspect, run or turn into layers. */
export class OnnxModel {
  /** ModelProto.ir_version. */
  readonly irVersion: number;
  /** The opset version of the default domain (ai.onnx); 0 when the file imports none. */
  readonly opsetVersion: number;
  /** The producer's name and version, e.g. `'pytorch 2.15.0'`. */
  readonly producer: string;
  /** The graph's inputs fed at run time (names; initializers listed as inputs are left out). */
  readonly inputs: string[];
  /** The graph's outputs (names). */
  readonly outputs: string[];
  readonly #nodes: Node[];
  readonly #graph: GraphMessage;
  /** The objects `recurrentNodes()` returned → the node each stands for. */
  readonly #handed = new WeakMap<object, Node>();

  /** Use `loadOnnx`. */
  constructor(bytes: Uint8Array, where: string) {
    const fail: Fail = (message) => rangeError('ERR_RNN_MODEL_FORMAT', `${where}: ${message}`);
    let model: ModelMessage;
    try {
      model = modelProto().decode(bytes) as unknown as ModelMessage;
    } catch (error) {
      throw fail(`not an ONNX model: the protobuf does not decode (${(error as Error).message})`);
    }
    this.irVersion = int64(model.ir_version);
    if (!(this.irVersion >= 1)) {
      const n = this.irVersion;
      throw fail(`not an ONNX model: ir_version is ${n === 0 ? 'missing' : Number.isNaN(n) ? 'beyond 2**53' : n}`);
    }
    const graph = model.graph;
    if (!graph) throw fail('not an ONNX model: it has no graph');
    this.#graph = graph;
    const defaultSet = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
    this.opsetVersion = defaultSet ? int64(defaultSet.version) : 0;
    if (Number.isNaN(this.opsetVersion)) throw fail('the default domain\'s opset version is beyond 2**53');
    this.producer = `${model.producer_name} ${model.producer_version}`.trim();

    const initializers = new Map<string, TensorMessage>();
    for (const t of graph.initializer) {
      if (initializers.has(t.name)) throw fail(`two initializers are named ${quote(t.name)}`);
      initializers.set(t.name, t);
    }
    const sparse = new Set(graph.sparse_initializer.map((s) => s.values?.name ?? ''));
    const producers = new Map<string, NodeMessage>();
    for (const n of graph.node) for (const o of n.output) if (o !== '') producers.set(o, n);
    this.inputs = graph.input.map((v) => v.name).filter((name) => !initializers.has(name));
    this.outputs = graph.output.map((v) => v.name);

    this.#nodes = [];
    graph.node.forEach((n, index) => {
      if (!(OPS as readonly string[]).includes(n.op_type) || (n.domain !== '' && n.domain !== 'ai.onnx')) return;
      const op = n.op_type as Op;
      const name = n.name || `${op}#${index}`;
      const where = `${op} node ${quote(name)}`;
      const slots = INPUTS[op];
      if (n.input.length > slots.length) throw fail(`${where} has ${n.input.length} inputs; ${op} takes at most ${slots.length} (${slots.join(', ')})`);
      if (n.output.length > OUTPUTS[op].length) throw fail(`${where} has ${n.output.length} outputs; ${op} gives at most ${OUTPUTS[op].length} (${OUTPUTS[op].join(', ')})`);
      for (let k = 0; k < 3; k++) if (!n.input[k]) throw fail(`${where} lacks its input ${slots[k]}, which ${op} requires`);

      const attributes: Record<string, OnnxAttribute> = {};
      for (const a of n.attribute) {
        if (!ATTRIBUTES[op].includes(a.name)) throw fail(`${where} has an attribute ${quote(a.name)}, which ${op} does not take (it takes ${ATTRIBUTES[op].join(', ')})`);
        if (a.name in attributes) throw fail(`${where} has the attribute ${a.name} twice`);
        if (a.ref_attr_name) throw fail(`${where} attribute ${a.name} refers to a function's attribute, which a graph node cannot`);
        attributes[a.name] = readAttribute(a, where, fail);
      }

      const stored: Record<string, OnnxInitializer> = {};
      const computed: Record<string, string> = {};
      n.input.forEach((input, k) => {
        if (input === '') return;
        const slot = slots[k];
        const what = `${where} input ${slot} (${quote(input)})`;
        const accept = slot === 'sequence_lens' ? [INT32] : [FLOAT, DOUBLE];
        const init = initializers.get(input);
        const producer = producers.get(input);
        if (init) stored[slot] = readTensor(init, what, fail, accept);
        else if (producer?.op_type === 'Constant' && (producer.domain === '' || producer.domain === 'ai.onnx')) stored[slot] = constantTensor(producer, what, fail, accept);
        else if (sparse.has(input)) throw fail(`${what} is a sparse initializer, which is not read`);
        else computed[slot] = input;
      });
      const node: Node = { index, name, op, inputs: n.input.slice(), outputs: n.output.slice(), attributes, stored, computed, hidden: 0, directions: 1, layout: 0 };
      checkNode(node, where, fail);
      this.#nodes.push(node);
    });
  }

  /** The graph's LSTM, GRU and RNN nodes in graph order, each a fresh copy. */
  recurrentNodes(): OnnxRecurrentNode[] {
    return this.#nodes.map((n) => {
      const initializers: Record<string, OnnxInitializer> = {};
      for (const [slot, t] of Object.entries(n.stored)) initializers[n.inputs[INPUTS[n.op].indexOf(slot)]] = copyTensor(t);
      const attributes: Record<string, OnnxAttribute> = {};
      for (const [key, value] of Object.entries(n.attributes)) attributes[key] = Array.isArray(value) ? (value.slice()) : value;
      const out: OnnxRecurrentNode = { name: n.name, opType: n.op, inputs: n.inputs.slice(), outputs: n.outputs.slice(), attributes, initializers };
      this.#handed.set(out, n);
      return out;
    });
  }

  /** The node `ref` names (a name, or an object `recurrentNodes()` returned). */
  #find(ref: unknown, what: string): Node {
    if (ref !== null && typeof ref === 'object') {
      const handed = this.#handed.get(ref);
      if (handed) return handed;
      const name = (ref as { name?: unknown }).name;
      if (typeof name !== 'string') throw typeError('ERR_RNN_TYPE', `${what} must be a node name or a node recurrentNodes() returned; got ${describe(ref)}`);
      ref = name;
    }
    if (typeof ref !== 'string') throw typeError('ERR_RNN_TYPE', `${what} must be a node name or a node recurrentNodes() returned; got ${describe(ref)}`);
    const found = this.#nodes.filter((n) => n.name === ref);
    if (found.length === 1) return found[0];
    const known = this.#nodes.map((n) => quote(n.name)).join(', ') || 'none';
    if (found.length === 0) throw rangeError('ERR_RNN_VALUE', `${what}: the model has no LSTM, GRU or RNN node named ${quote(ref)} (its recurrent nodes: ${known})`);
    throw rangeError('ERR_RNN_VALUE', `${what}: ${found.length} recurrent nodes are named ${quote(ref)}; pass one of the objects recurrentNodes() returns`);
  }

  /**
   * Runs one node with onnxLSTM / onnxGRU / onnxRNN: its stored inputs from the file, the others
   * from `feeds`, keyed by the operator's input name (`X`, `initial_h`, `initial_c`,
   * `sequence_lens`, ...) or by the tensor's name in the graph. X is required; an optional input
   * computed by another node may be left out (the node then runs as if it had none: zeros).
   * Returns the operator's `{ Y, Y_h, Y_c? }`, of X's element type.
   */
  run(node: OnnxNodeRef, feeds: Record<string, ArrayInput | Int32Array | readonly number[]>): OnnxRunResult {
    const n = this.#find(node, 'run: node');
    if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds)) {
      throw typeError('ERR_RNN_TYPE', `run: feeds must be an object of arrays by input name (e.g. { X }); got ${describe(feeds)}`);
    }
    const slots = INPUTS[n.op];
    const inputs: Record<string, unknown> = {};
    for (const key of Object.keys(feeds)) {
      let slot = slots.includes(key) ? key : undefined;
      slot ??= Object.keys(n.computed).find((s) => n.computed[s] === key);
      const where = `run: feeds[${quote(key)}]`;
      if (slot === undefined || !(slot in n.computed)) {
        const stored = slot ?? slots[n.inputs.indexOf(key)];
        const hint = stored && stored in n.stored ? `: ${stored} is stored in the file` : slot ? `: node ${quote(n.name)} has no input ${slot}` : '';
        throw rangeError('ERR_RNN_VALUE', `${where} is not an input to feed${hint}; node ${quote(n.name)} takes ${Object.keys(n.computed).join(', ')} from feeds`);
      }
      if (slot in inputs) throw rangeError('ERR_RNN_VALUE', `${where}: ${slot} is fed twice (by its input name and by its tensor name ${quote(n.computed[slot])})`);
      inputs[slot] = feeds[key];
    }
    for (const slot of ['X', 'W', 'R']) {
      if (slot in n.computed && inputs[slot] === undefined) {
        throw typeError('ERR_RNN_MISSING_KEY', `run: feeds lacks ${slot} (tensor ${quote(n.computed[slot])}) of node ${quote(n.name)}`);
      }
    }
    for (const [slot, t] of Object.entries(n.stored)) inputs[slot] = t;
    const attrs = n.attributes;
    // The attributes were checked against the spec when the file was read.
    if (n.op === 'LSTM') return onnxLSTM(inputs as unknown as OnnxLSTMInputs, attrs);
    if (n.op === 'GRU') return onnxGRU(inputs as unknown as OnnxGRUInputs, attrs);
    return onnxRNN(inputs as unknown as OnnxRNNInputs, attrs);
  }

  /**
   * The node, or a stack of nodes (in order, each fed by the previous one's Y through the
   * Transpose / Reshape / Squeeze nodes exporters put between them), as an `LSTM`, `GRU` or
   * `RNN` instance holding the file's weights: numLayers = the count, bidirectional for
   * bidirectional nodes, batchFirst for layout 1, bias unless no node has B. What the classes
   * cannot express (clip, input_forget, peepholes, a reverse-only direction, activations other
   * than the standard ones, initial states or sequence_lens stored in the file) throws
   * ERR_RNN_VALUE naming it. `options.dtype` is the layer's (`'float64'` default, or `'float32'`).
   */
  toLayer<D extends LayerDtype = 'float64'>(nodes: OnnxNodeRef | readonly OnnxNodeRef[], options?: { dtype?: D }): LSTM<D> | GRU<D> | RNN<D> {
    const dtype = dtypeOption(knownKeys(options, 'toLayer options', ['dtype']).dtype, 'toLayer option dtype') as D;
    const list = Array.isArray(nodes) ? (nodes as readonly OnnxNodeRef[]) : [nodes as OnnxNodeRef];
    if (list.length === 0) throw rangeError('ERR_RNN_VALUE', 'toLayer: nodes is an empty list; give one node or the nodes of a stack, first layer first');
    const stack = list.map((ref, k) => this.#find(ref, Array.isArray(nodes) ? `toLayer: nodes[${k}]` : 'toLayer: node'));
    const first = stack[0];
    const refuse = (n: Node, message: string) => rangeError('ERR_RNN_VALUE', `toLayer: ${n.op} node ${quote(n.name)} ${message}`);
    const D = first.directions;
    const H = first.hidden;
    const seen = new Set<Node>();
    stack.forEach((n, k) => {
      if (seen.has(n)) throw refuse(n, 'is listed twice');
      seen.add(n);
      if (n.op !== first.op) throw refuse(n, `is a ${n.op}; a stack's nodes are all ${first.op}s like ${quote(first.name)}`);
      const a = n.attributes;
      if (a.clip !== undefined) throw refuse(n, `has attribute clip (${String(a.clip)}), which the ${n.op} class cannot express; use run`);
      if (a.input_forget !== undefined && a.input_forget !== 0) throw refuse(n, `has attribute input_forget = ${String(a.input_forget)}, which the LSTM class cannot express; use run`);
      if (a.direction === 'reverse') throw refuse(n, 'has direction reverse (one direction reading backwards), which the classes cannot express; use run');
      const activations = (a.activations as string[] | undefined) ?? [];
      const standard = n.op === 'RNN' ? [nonlinearity(n) === 'relu' ? 'Relu' : 'Tanh'] : ACTIVATION_DEFAULTS[n.op];
      activations.forEach((f, i) => {
        if (f.toLowerCase() !== standard[i % standard.length].toLowerCase()) {
          const can = n.op === 'RNN' ? 'Tanh or Relu, the same in both directions' : standard.join(', ');
          throw refuse(n, `has activations [${activations.join(', ')}]; the ${n.op} class computes ${can} only; use run`);
        }
      });
      const P = n.stored.P;
      if (P && P.data.some((v) => v !== 0) || 'P' in n.computed) throw refuse(n, 'has peepholes (input P), which the LSTM class cannot express; use run');
      for (const slot of ['initial_h', 'initial_c']) {
        const t = n.stored[slot];
        if (t && t.data.some((v) => v !== 0)) throw refuse(n, `stores its ${slot} in the file; the class starts from zeros or forward's ${slot === 'initial_h' ? 'h0' : 'c0'}`);
      }
      if (n.stored.sequence_lens) throw refuse(n, "stores its sequence_lens in the file; the class takes forward's lengths");
      for (const slot of ['W', 'R', 'B']) if (slot in n.computed) throw refuse(n, `takes ${slot} from another node (${quote(n.computed[slot])}); toLayer needs it stored in the file`);
      if (n.directions !== D || n.hidden !== H) throw refuse(n, `has ${n.directions} direction(s) and hidden size ${n.hidden}; ${quote(first.name)} has ${D} and ${H}`);
      if (n.layout !== first.layout) throw refuse(n, `has layout ${n.layout}; ${quote(first.name)} has ${first.layout}`);
      if (n.op === 'GRU' && (a.linear_before_reset ?? 0) !== (first.attributes.linear_before_reset ?? 0)) throw refuse(n, `has linear_before_reset ${String(a.linear_before_reset ?? 0)}, unlike ${quote(first.name)}`);
      if (n.op === 'RNN' && nonlinearity(n) !== nonlinearity(first)) throw refuse(n, `computes ${nonlinearity(n)}, unlike ${quote(first.name)} (${nonlinearity(first)})`);
      if (k > 0) {
        const previous = stack[k - 1];
        const inputSize = n.stored.W.shape[2];
        if (inputSize !== D * H) throw refuse(n, `takes ${inputSize} input features; as layer ${k} of the stack it must take ${D * H} (${D === 2 ? '2·' : ''}hidden size of ${quote(previous.name)})`);
        this.#checkLink(previous, n, refuse);
      }
    });

    const inputSize = first.stored.W.shape[2];
    const bias = stack.some((n) => 'B' in n.stored);
    const common = { inputSize, hiddenSize: H, numLayers: stack.length, bidirectional: D === 2, batchFirst: first.layout === 1, bias, seed: 0, dtype };
    const layer =
      first.op === 'LSTM'
        ? new LSTM<D>(common)
        : first.op === 'GRU'
          ? new GRU<D>({ ...common, linearBeforeReset: (first.attributes.linear_before_reset ?? 0) !== 0 })
          : new RNN<D>({ ...common, nonlinearity: nonlinearity(first) });
    const sd: Record<string, Float64Array> = {};
    stack.forEach((n, l) => {
      const inputs = n.stored.W.shape[2];
      for (let d = 0; d < D; d++) {
        const w = onnxToLayerWeights(first.op, n.stored.W.data, n.stored.R.data, n.stored.B?.data, H, d, inputs);
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        sd[`weight_ih${suffix}`] = w.w_ih;
        sd[`weight_hh${suffix}`] = w.w_hh;
        if (bias) {
          sd[`bias_ih${suffix}`] = w.b_ih;
          sd[`bias_hh${suffix}`] = w.b_hh;
        }
      }
    });
    layer.loadStateDict(sd);
    return layer;
  }

  /**
   * Checks that `next`'s X is `previous`'s Y reshaped as a stacked layer reads it: through
   * Transpose (perm [0, 2, 1, 3]: directions next to features, needed for two directions in
   * layout 0), Reshape, Squeeze, Unsqueeze or Identity nodes only.
   */
  #checkLink(previous: Node, next: Node, refuse: (n: Node, message: string) => RangeError): void {
    const producers = new Map<string, NodeMessage>();
    for (const n of this.#graph.node) for (const o of n.output) if (o !== '') producers.set(o, n);
    const y = previous.outputs[0];
    let name = next.computed.X;
    const transposes: number[][] = [];
    const not = `'s input X is not ${quote(previous.name)}'s output Y`;
    for (let steps = 0; name !== y; steps++) {
      const p = producers.get(name ?? '');
      if (!p || steps > 16 || !['Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity'].includes(p.op_type)) {
        throw refuse(next, `${not} (reshaped by Transpose, Reshape, Squeeze or Unsqueeze nodes); list the nodes of one stack, first layer first`);
      }
      if (p.op_type === 'Transpose') transposes.push((p.attribute.find((a) => a.name === 'perm')?.ints ?? []).map(int64));
      name = p.input[0];
    }
    const want = previous.directions === 2 && previous.layout === 0 ? ['0,2,1,3'] : [];
    if (transposes.map((t) => t.join(',')).join(';') !== want.join(';')) {
      throw refuse(next, `${not} in the layout a stacked layer reads (Y's direction axis ${want.length ? 'moved next to the features by one Transpose perm [0, 2, 1, 3]' : 'dropped without a Transpose'})`);
    }
  }
}

/** An RNN node's function (checkNode allows only known names; toLayer refuses all but Tanh and Relu). */
function nonlinearity(n: Node): 'tanh' | 'relu' {
  return (n.attributes.activations as string[] | undefined)?.[0]?.toLowerCase() === 'relu' ? 'relu' : 'tanh';
}

/** A recurrent node's attributes, shapes and stored inputs, consistent with one another and the spec. */
function checkNode(n: Node, where: string, fail: Fail): void {
  const a = n.attributes;
  const direction = a.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw fail(`${where} attribute direction must be forward, reverse or bidirectional; got ${quote(String(direction))}`);
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  const layout = a.layout ?? 0;
  if (layout !== 0 && layout !== 1) throw fail(`${where} attribute layout must be 0 or 1; got ${String(layout)}`);
  for (const flag of ['input_forget', 'linear_before_reset']) {
    if (a[flag] !== undefined && a[flag] !== 0 && a[flag] !== 1) throw fail(`${where} attribute ${flag} must be 0 or 1; got ${String(a[flag])}`);
  }
  if (a.clip !== undefined && !((a.clip as number) > 0)) throw fail(`${where} attribute clip must be positive; got ${String(a.clip)}`);
  const perDirection = ACTIVATION_DEFAULTS[n.op].length;
  if (a.activations !== undefined) {
    const list = a.activations as string[];
    if (list.length !== perDirection * D) throw fail(`${where} attribute activations must list ${perDirection * D} functions (${perDirection} per direction); got ${list.length}`);
    for (const f of list) {
      if (!ACTIVATIONS.some((known) => known.toLowerCase() === f.toLowerCase())) throw fail(`${where} attribute activations has ${quote(f)}, which is not one of ${ACTIVATIONS.join(', ')}`);
    }
  }
  const G = GATES[n.op];
  const { W, R, B, P, initial_h, initial_c, sequence_lens } = n.stored;
  const rank = (t: OnnxInitializer, slot: string, dims: string, want: (number | undefined)[]) => {
    const ok = t.shape.length === want.length && want.every((d, k) => d === undefined || t.shape[k] === d);
    if (!ok) throw fail(`${where} input ${slot} must have shape (${dims}) = ${formatShape(want.map((d) => d ?? -1)).replace(/-1/g, '?')}; got ${formatShape(t.shape)}`);
  };
  let H = a.hidden_size as number | undefined;
  if (H !== undefined && !(H >= 1)) throw fail(`${where} attribute hidden_size must be a positive integer; got ${H}`);
  if (R) {
    if (R.shape.length === 3 && H === undefined) H = R.shape[2];
    rank(R, 'R', `num_directions, ${G}·hidden_size, hidden_size`, [D, G * (H ?? 0), H]);
  }
  n.directions = D;
  n.layout = layout;
  if (H === undefined) {
    // R comes from another node and no attribute gives the size: the operator finds it in the
    // fed R when the node runs (toLayer refuses such a node anyway).
    return;
  }
  if (H < 1) throw fail(`${where} input R gives hidden size 0`);
  if (W) rank(W, 'W', `num_directions, ${G}·hidden_size, input_size`, [D, G * H, undefined]);
  if (B) rank(B, 'B', `num_directions, ${2 * G}·hidden_size`, [D, 2 * G * H]);
  if (P) rank(P, 'P', 'num_directions, 3·hidden_size', [D, 3 * H]);
  const state = layout === 0 ? 'num_directions, batch_size, hidden_size' : 'batch_size, num_directions, hidden_size';
  for (const [slot, t] of [['initial_h', initial_h], ['initial_c', initial_c]] as const) {
    if (t) rank(t, slot, state, layout === 0 ? [D, undefined, H] : [undefined, D, H]);
  }
  if (sequence_lens && sequence_lens.shape.length !== 1) throw fail(`${where} input sequence_lens must have shape (batch_size); got ${formatShape(sequence_lens.shape)}`);
  n.hidden = H;
}

/** The browser entry's: bytes only (Node's entry also reads a path). */
export function loadOnnx(source: string | Uint8Array | ArrayBuffer): OnnxModel {
  if (typeof source === 'string') throw typeError('ERR_RNN_TYPE', "loadOnnx: file paths need Node; in a browser pass the file's bytes (a Uint8Array or ArrayBuffer)");
  return decodeOnnx(source);
}

/** A model from the bytes of an .onnx file; `where` names the source in errors. */
export function decodeOnnx(source: Uint8Array | ArrayBuffer, where = 'onnx'): OnnxModel {
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (!(bytes instanceof Uint8Array)) {
    throw typeError('ERR_RNN_TYPE', `${where}: expected the file's bytes (a Uint8Array or ArrayBuffer) or, in Node, its path; got ${describe(source)}`);
  }
  return new OnnxModel(bytes, where);
}
