/**
 * A minimal ONNX ModelProto encoder (protobuf wire format written by hand) and builders for
 * the LSTM and RNN models the onnxruntime-node system runs. Only the fields used here exist.
 */

// ---------------------------------------------------------------- protobuf wire format

class Writer {
  constructor() {
    this.chunks = [];
    this.length = 0;
  }
  bytes(u8) {
    this.chunks.push(u8);
    this.length += u8.length;
    return this;
  }
  varint(value) {
    let v = BigInt.asUintN(64, BigInt(value));
    const out = [];
    while (v >= 0x80n) {
      out.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    out.push(Number(v));
    return this.bytes(Uint8Array.from(out));
  }
  tag(field, wireType) {
    return this.varint((field << 3) | wireType);
  }
  /** Varint field (int32, int64, enum). */
  int(field, value) {
    return this.tag(field, 0).varint(value);
  }
  /** Length-delimited field: bytes, a string or an embedded message (a Writer). */
  bytesField(field, payload) {
    const u8 =
      payload instanceof Writer
        ? payload.finish()
        : typeof payload === 'string'
          ? new TextEncoder().encode(payload)
          : payload;
    return this.tag(field, 2).varint(u8.length).bytes(u8);
  }
  finish() {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------- ONNX messages

const DataType = { FLOAT: 1, INT64: 7 };
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 };

/** TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian). */
function tensorProto(name, dims, values, dataType = DataType.FLOAT) {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, dataType);
  w.bytesField(8, name);
  const typed = dataType === DataType.INT64 ? BigInt64Array.from(values, BigInt) : Float32Array.from(values);
  w.bytesField(9, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  return w;
}

/** ValueInfoProto name (1), type (2) → TypeProto.tensor_type (1) → elem_type (1), shape (2). */
function valueInfo(name, dims, elemType = DataType.FLOAT) {
  const shape = new Writer();
  for (const d of dims) shape.bytesField(1, new Writer().int(1, d)); // Dimension.dim_value
  const tensorType = new Writer().int(1, elemType).bytesField(2, shape);
  const type = new Writer().bytesField(1, tensorType);
  return new Writer().bytesField(1, name).bytesField(2, type);
}

/** AttributeProto: name (1), i (3), s (4), ints (8), strings (9), type (20). */
function attribute(name, value) {
  const w = new Writer().bytesField(1, name);
  if (Number.isInteger(value)) return w.int(3, value).int(20, AttrType.INT);
  if (typeof value === 'string') return w.bytesField(4, value).int(20, AttrType.STRING);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    for (const v of value) w.bytesField(9, v);
    return w.int(20, AttrType.STRINGS);
  }
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    return w.int(20, AttrType.INTS);
  }
  throw new TypeError(`unsupported attribute ${name}`);
}

/** NodeProto: input (1), output (2), name (3), op_type (4), attribute (5). */
function node(opType, inputs, outputs, attrs = {}, name = `${opType}_${outputs[0]}`) {
  const w = new Writer();
  for (const i of inputs) w.bytesField(1, i);
  for (const o of outputs) w.bytesField(2, o);
  w.bytesField(3, name).bytesField(4, opType);
  for (const [k, v] of Object.entries(attrs)) w.bytesField(5, attribute(k, v));
  return w;
}

/**
 * ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8).
 * GraphProto: node (1), name (2), initializer (5), input (11), output (12).
 */
function model({ nodes, initializers, inputs, outputs, opset = 17, irVersion = 8 }) {
  const g = new Writer();
  for (const n of nodes) g.bytesField(1, n);
  g.bytesField(2, 'rnn_wasm_bench');
  for (const t of initializers) g.bytesField(5, t);
  for (const i of inputs) g.bytesField(11, i);
  for (const o of outputs) g.bytesField(12, o);
  const opsetId = new Writer().bytesField(1, '').int(2, opset);
  return new Writer().int(1, irVersion).bytesField(2, 'rnn-wasm bench').bytesField(7, g).bytesField(8, opsetId).finish();
}

// ---------------------------------------------------------------- the benchmark's models

/**
 * The notebook's forward pass as an ONNX graph: an `LSTM` (or `RNN`) node over inputs
 * `X (T, m, n_x)` and `initial_h (1, m, n_a)`, then the softmax output layer on every step.
 * Outputs: `a (T, 1, m, n_a)` (the hidden states) and `y (T, m, n_y)`.
 *
 * `weights` holds the notebook's parameters as float64 arrays; ONNX wants the input and
 * recurrent weights apart, with the LSTM gates in the order i, o, f, c.
 */
export function buildModel(cell, { n_x, n_a, n_y, m, T }, params) {
  const H = n_a;
  const initializers = [];
  const nodes = [];
  let W;
  let R;
  let B;
  if (cell === 'lstm') {
    const order = ['i', 'o', 'f', 'c'];
    W = new Float32Array(4 * H * n_x);
    R = new Float32Array(4 * H * H);
    B = new Float32Array(8 * H); // Wb then Rb; Rb stays zero
    order.forEach((g, k) => {
      const Wg = params[`W${g}`].data; // (n_a, n_a + n_x) acting on [a_prev; x]
      for (let r = 0; r < H; r++) {
        for (let j = 0; j < H; j++) R[(k * H + r) * H + j] = Wg[r * (H + n_x) + j];
        for (let j = 0; j < n_x; j++) W[(k * H + r) * n_x + j] = Wg[r * (H + n_x) + H + j];
        B[k * H + r] = params[`b${g}`].data[r];
      }
    });
    initializers.push(tensorProto('initial_c', [1, m, H], new Float32Array(m * H)));
    nodes.push(
      node('LSTM', ['X', 'W', 'R', 'B', '', 'initial_h', 'initial_c'], ['a'], { hidden_size: H }),
    );
  } else {
    W = Float32Array.from(params.Wax.data);
    R = Float32Array.from(params.Waa.data);
    B = new Float32Array(2 * H);
    B.set(params.ba.data);
    nodes.push(node('RNN', ['X', 'W', 'R', 'B', '', 'initial_h'], ['a'], { hidden_size: H, activations: ['Tanh'] }));
  }
  const gates = cell === 'lstm' ? 4 : 1;
  initializers.push(
    tensorProto('W', [1, gates * H, n_x], W),
    tensorProto('R', [1, gates * H, H], R),
    tensorProto('B', [1, 2 * gates * H], B),
  );
  const Wy = cell === 'lstm' ? params.Wy.data : params.Wya.data; // (n_y, n_a)
  const WyT = new Float32Array(H * n_y);
  for (let i = 0; i < n_y; i++) for (let j = 0; j < H; j++) WyT[j * n_y + i] = Wy[i * H + j];
  initializers.push(
    tensorProto('squeeze_axes', [1], [1], DataType.INT64),
    tensorProto('WyT', [H, n_y], WyT),
    tensorProto('by', [n_y], params.by.data),
  );
  nodes.push(
    node('Squeeze', ['a', 'squeeze_axes'], ['a_tmh']),
    node('MatMul', ['a_tmh', 'WyT'], ['z_y']),
    node('Add', ['z_y', 'by'], ['z_yb']),
    node('Softmax', ['z_yb'], ['y'], { axis: -1 }),
  );
  return model({
    nodes,
    initializers,
    inputs: [valueInfo('X', [T, m, n_x]), valueInfo('initial_h', [1, m, H])],
    outputs: [valueInfo('a', [T, 1, m, H]), valueInfo('y', [T, m, n_y])],
  });
}
