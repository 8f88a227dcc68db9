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

// ---------------------------------------------------------------- recurrent layers (PyTorch weights)

/** Gate blocks of PyTorch's layout in ONNX's order: LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h. */
const TORCH_TO_ONNX_GATES = { lstm: [0, 3, 1, 2], gru: [1, 0, 2] };

/** PyTorch's `(G·H, cols)` weight (flat, C order) with its G row blocks put in ONNX's gate order. */
function reorderGates(cell, data, H, cols) {
  const perm = TORCH_TO_ONNX_GATES[cell];
  const out = new Float32Array(data.length);
  perm.forEach((src, dst) => out.set(data.subarray(src * H * cols, (src + 1) * H * cols), dst * H * cols));
  return out;
}

/**
 * Layer `k`'s ONNX `W (D, G·H, in)`, `R (D, G·H, H)` and `B (D, 2·G·H)` (float32, flat) from a
 * PyTorch state dict (`{ weight_ih_l0: { data, shape }, ... }`): gates reordered, B = [b_ih; b_hh].
 */
export function onnxLayerTensors(cell, stateDict, k, { inputSize, hiddenSize: H, bidirectional }) {
  const G = cell === 'lstm' ? 4 : 3;
  const D = bidirectional ? 2 : 1;
  const inK = k === 0 ? inputSize : D * H;
  const W = new Float32Array(D * G * H * inK);
  const R = new Float32Array(D * G * H * H);
  const B = new Float32Array(D * 2 * G * H);
  for (let d = 0; d < D; d++) {
    const sfx = `_l${k}${d ? '_reverse' : ''}`;
    W.set(reorderGates(cell, stateDict[`weight_ih${sfx}`].data, H, inK), d * G * H * inK);
    R.set(reorderGates(cell, stateDict[`weight_hh${sfx}`].data, H, H), d * G * H * H);
    const bih = stateDict[`bias_ih${sfx}`];
    const bhh = stateDict[`bias_hh${sfx}`];
    if (bih) B.set(reorderGates(cell, bih.data, H, 1), d * 2 * G * H);
    if (bhh) B.set(reorderGates(cell, bhh.data, H, 1), d * 2 * G * H + G * H);
  }
  return { W, R, B };
}

/**
 * A stack of PyTorch-style recurrent layers (`nn.LSTM` / `nn.GRU` with `num_layers`,
 * `bidirectional`) as ONNX `LSTM` / `GRU` nodes, float32, from a PyTorch state dict
 * (`{ weight_ih_l0: { data, shape }, ... }`, float64): per layer and direction W from
 * `weight_ih`, R from `weight_hh`, B = [bias_ih; bias_hh], gates reordered, and GRU with
 * `linear_before_reset = 1` (PyTorch's reset). Between layers `Y (T, D, N, H)` becomes
 * `(T, N, D·H)`, the next layer's input, as in PyTorch.
 *
 * Inputs: `X (T, N, inputSize)`, `h0_l{k}` (and `c0_l{k}` for LSTM) `(D, N, H)` per layer, and
 * `sequence_lens` (int32, `N`) when `withLengths`. Outputs: `output (T, N, D·H)`, `h_l{k}`
 * (and `c_l{k}`) `(D, N, H)` per layer.
 */
export function buildRecurrentLayerModel(
  { cell, inputSize, hiddenSize: H, numLayers, bidirectional, N, T, withLengths },
  stateDict,
) {
  const G = cell === 'lstm' ? 4 : 3;
  const D = bidirectional ? 2 : 1;
  const INT32 = 6;
  const nodes = [];
  const initializers = [tensorProto('to_features', [3], [0, 0, -1], DataType.INT64)];
  const inputs = [valueInfo('X', [T, N, inputSize])];
  const outputs = [];
  let layerInput = 'X';
  for (let k = 0; k < numLayers; k++) {
    const inK = k === 0 ? inputSize : D * H;
    const { W, R, B } = onnxLayerTensors(cell, stateDict, k, { inputSize, hiddenSize: H, bidirectional });
    initializers.push(
      tensorProto(`W_l${k}`, [D, G * H, inK], W),
      tensorProto(`R_l${k}`, [D, G * H, H], R),
      tensorProto(`B_l${k}`, [D, 2 * G * H], B),
    );
    inputs.push(valueInfo(`h0_l${k}`, [D, N, H]));
    if (cell === 'lstm') inputs.push(valueInfo(`c0_l${k}`, [D, N, H]));
    const lens = withLengths ? 'sequence_lens' : '';
    const ins = [layerInput, `W_l${k}`, `R_l${k}`, `B_l${k}`, lens, `h0_l${k}`];
    const outs = [`Y_l${k}`, `h_l${k}`];
    const attrs = { hidden_size: H, direction: bidirectional ? 'bidirectional' : 'forward' };
    if (cell === 'lstm') {
      ins.push(`c0_l${k}`);
      outs.push(`c_l${k}`);
    } else {
      attrs.linear_before_reset = 1;
    }
    nodes.push(node(cell === 'lstm' ? 'LSTM' : 'GRU', ins, outs, attrs));
    // Y (T, D, N, H) → (T, N, D, H) → (T, N, D·H)
    const out = k === numLayers - 1 ? 'output' : `X_l${k + 1}`;
    nodes.push(node('Transpose', [`Y_l${k}`], [`Yt_l${k}`], { perm: [0, 2, 1, 3] }), node('Reshape', [`Yt_l${k}`, 'to_features'], [out]));
    layerInput = out;
    outputs.push(valueInfo(`h_l${k}`, [D, N, H]));
    if (cell === 'lstm') outputs.push(valueInfo(`c_l${k}`, [D, N, H]));
  }
  if (withLengths) inputs.push(valueInfo('sequence_lens', [N], INT32));
  outputs.unshift(valueInfo('output', [T, N, D * H]));
  return model({ nodes, initializers, inputs, outputs });
}
