// Generated from rnn-core's kernel table (crates/rnn-core/src/kernels.rs) and its `abi`
// module by crates/rnn-core/tests/abi.rs. Do not edit: change the table, then run
//   UPDATE_ABI=1 cargo test -p rnn-core --test abi
// (without UPDATE_ABI the test fails when this file differs from what the table gives).

/** Status codes of the wasm kernel exports (`rnn_core::Status`). */
export const STATUS = {
  ok: 0,
  dims: 1,
  memory: 2,
  overlap: 3,
  target: 4,
} as const;

/** What each status code means. */
export const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'dimensions or buffer lengths rejected',
  2: 'a buffer lies outside linear memory, is null or is misaligned',
  3: 'an output buffer overlaps another buffer',
  4: 'a target is neither NO_TARGET nor a class index below n_y, or a sequence length is not an integer in 0..=t',
};

/** The target of a column that has none (`output_backward`). */
export const NO_TARGET = -1;

/** Alignment in bytes of every block `rnn_alloc` returns. */
export const ALLOC_ALIGN = 16;

/** Arrays shorter than this are transposed in JS by the wasm and native backends: crossing the boundary costs more. */
export const TRANSPOSE_IN_JS_BELOW = 256;

/**
 * Every kernel: its wasm export, its native (napi) function, the wasm export that gives its
 * workspace length (`null`: it takes no workspace), and its arguments in order: the dimensions,
 * then one array per input, then one per output. A wasm export takes each array as
 * `(pointer, length)` and, when it has a workspace, `(ws, ws_len)` last; a native function
 * takes `Float64Array`s and no workspace.
 */
export const KERNELS = {
  /** Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`. */
  softmax: {
    wasm: 'rnn_softmax',
    native: 'softmax',
    workspace: null,
    dims: ['rows', 'cols'],
    inputs: ['z'],
    outputs: ['out'],
  },
  /** Element-wise logistic sigmoid `1 / (1 + exp(-z))` of `n` values, into `out`. */
  sigmoid: {
    wasm: 'rnn_sigmoid',
    native: 'sigmoid',
    workspace: null,
    dims: ['n'],
    inputs: ['z'],
    outputs: ['out'],
  },
  /** The `cols × rows` transpose of the `rows × cols` matrix `src`, into `dst`. */
  transpose: {
    wasm: 'rnn_transpose',
    native: 'transpose',
    workspace: null,
    dims: ['rows', 'cols'],
    inputs: ['src'],
    outputs: ['dst'],
  },
  /** RNN forward pass; see `rnn_core::rnn_forward`. */
  rnnForward: {
    wasm: 'rnn_forward',
    native: 'rnnForward',
    workspace: 'rnn_forward_workspace',
    dims: ['n_x', 'n_a', 'n_y', 'm', 't'],
    inputs: ['x', 'a0', 'wax', 'waa', 'ba', 'wya', 'by'],
    outputs: ['a', 'y'],
  },
  /** RNN backward pass; see `rnn_core::rnn_backward`. */
  rnnBackward: {
    wasm: 'rnn_backward',
    native: 'rnnBackward',
    workspace: 'rnn_backward_workspace',
    dims: ['n_x', 'n_a', 'm', 't'],
    inputs: ['da', 'a_next', 'a_prev', 'x', 'wax', 'waa'],
    outputs: ['dx', 'da0', 'dwax', 'dwaa', 'dba'],
  },
  /** LSTM forward pass; see `rnn_core::lstm_forward`. */
  lstmForward: {
    wasm: 'lstm_forward',
    native: 'lstmForward',
    workspace: 'lstm_forward_workspace',
    dims: ['n_x', 'n_a', 'n_y', 'm', 't'],
    inputs: ['x', 'a0', 'c0', 'w', 'b', 'wy', 'by'],
    outputs: ['a', 'c', 'y', 'gates'],
  },
  /** LSTM backward pass; see `rnn_core::lstm_backward`. */
  lstmBackward: {
    wasm: 'lstm_backward',
    native: 'lstmBackward',
    workspace: 'lstm_backward_workspace',
    dims: ['n_x', 'n_a', 'm', 't'],
    inputs: ['da', 'dc_last', 'c_next', 'c_prev', 'a_prev', 'gates', 'x', 'w'],
    outputs: ['dx', 'da0', 'dc0', 'dw', 'db'],
  },
  /** Softmax cross-entropy backward through the output layer; see `rnn_core::output_backward`. */
  outputBackward: {
    wasm: 'output_backward',
    native: 'outputBackward',
    workspace: 'output_backward_workspace',
    dims: ['n_a', 'n_y', 'm', 't'],
    inputs: ['y', 'targets', 'a', 'wy'],
    outputs: ['loss', 'dwy', 'dby', 'da'],
  },
  /** One recurrent layer (RNN, LSTM or GRU) in one direction over a batch of sequences of given lengths; see `rnn_core::layer_forward`. */
  layerForward: {
    wasm: 'layer_forward',
    native: 'layerForward',
    workspace: 'layer_forward_workspace',
    dims: ['cell', 'n_in', 'h', 'n', 't', 'reverse', 'keep'],
    inputs: ['x', 'lengths', 'h0', 'c0', 'w_ih', 'w_hh', 'b_ih', 'b_hh', 'gates', 'p'],
    outputs: ['output', 'h_n', 'c_n', 'saved'],
  },
  /** Backward pass of `layer_forward`; see `rnn_core::layer_backward`. */
  layerBackward: {
    wasm: 'layer_backward',
    native: 'layerBackward',
    workspace: 'layer_backward_workspace',
    dims: ['cell', 'n_in', 'h', 'n', 't', 'reverse'],
    inputs: ['d_output', 'dh_n', 'dc_n', 'saved', 'x', 'lengths', 'h0', 'c0', 'w_ih', 'w_hh', 'gates'],
    outputs: ['dx', 'dh0', 'dc0', 'dw_ih', 'dw_hh', 'db_ih', 'db_hh'],
  },
  /** `layer_forward` with float32 products (the float32 layers); see `rnn_core::layer_forward_f32`. */
  layerForwardF32: {
    wasm: 'layer_forward_f32',
    native: 'layerForwardF32',
    workspace: 'layer_forward_f32_workspace',
    dims: ['cell', 'n_in', 'h', 'n', 't', 'reverse', 'keep'],
    inputs: ['x', 'lengths', 'h0', 'c0', 'w_ih', 'w_hh', 'b_ih', 'b_hh', 'gates', 'p'],
    outputs: ['output', 'h_n', 'c_n', 'saved'],
  },
  /** `layer_backward` with float32 products; see `rnn_core::layer_backward_f32`. */
  layerBackwardF32: {
    wasm: 'layer_backward_f32',
    native: 'layerBackwardF32',
    workspace: 'layer_backward_f32_workspace',
    dims: ['cell', 'n_in', 'h', 'n', 't', 'reverse'],
    inputs: ['d_output', 'dh_n', 'dc_n', 'saved', 'x', 'lengths', 'h0', 'c0', 'w_ih', 'w_hh', 'gates'],
    outputs: ['dx', 'dh0', 'dc0', 'dw_ih', 'dw_hh', 'db_ih', 'db_hh'],
  },
} as const;

/** A kernel's key in `KERNELS`. */
export type KernelName = keyof typeof KERNELS;
/** The names of kernel `K`'s dimensions. */
export type DimName<K extends KernelName> = (typeof KERNELS)[K]['dims'][number];
/** The names of kernel `K`'s inputs. */
export type InputName<K extends KernelName> = (typeof KERNELS)[K]['inputs'][number];
/** The names of kernel `K`'s outputs. */
export type OutputName<K extends KernelName> = (typeof KERNELS)[K]['outputs'][number];

/** The wasm module's exports, typed. Kernels return a `STATUS` code; pointers are byte addresses, lengths count `f64` elements. */
export interface WasmExports {
  memory: WebAssembly.Memory;
  /** Allocates `bytes` bytes aligned to `ALLOC_ALIGN`; returns 0 on failure. */
  rnn_alloc(bytes: number): number;
  /** Frees a block from `rnn_alloc` of the same size; 0 is ignored. */
  rnn_free(ptr: number, bytes: number): void;
  /** Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`. */
  rnn_softmax(rows: number, cols: number, z: number, z_len: number, out: number, out_len: number): number;
  /** Element-wise logistic sigmoid `1 / (1 + exp(-z))` of `n` values, into `out`. */
  rnn_sigmoid(n: number, z: number, z_len: number, out: number, out_len: number): number;
  /** The `cols × rows` transpose of the `rows × cols` matrix `src`, into `dst`. */
  rnn_transpose(rows: number, cols: number, src: number, src_len: number, dst: number, dst_len: number): number;
  /** Workspace elements `rnn_forward` needs, or -1 when the sizes overflow. */
  rnn_forward_workspace(n_x: number, n_a: number, n_y: number, m: number, t: number): number;
  /** RNN forward pass; see `rnn_core::rnn_forward`. */
  rnn_forward(n_x: number, n_a: number, n_y: number, m: number, t: number, x: number, x_len: number, a0: number, a0_len: number, wax: number, wax_len: number, waa: number, waa_len: number, ba: number, ba_len: number, wya: number, wya_len: number, by: number, by_len: number, a: number, a_len: number, y: number, y_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `rnn_backward` needs, or -1 when the sizes overflow. */
  rnn_backward_workspace(n_x: number, n_a: number, m: number, t: number): number;
  /** RNN backward pass; see `rnn_core::rnn_backward`. */
  rnn_backward(n_x: number, n_a: number, m: number, t: number, da: number, da_len: number, a_next: number, a_next_len: number, a_prev: number, a_prev_len: number, x: number, x_len: number, wax: number, wax_len: number, waa: number, waa_len: number, dx: number, dx_len: number, da0: number, da0_len: number, dwax: number, dwax_len: number, dwaa: number, dwaa_len: number, dba: number, dba_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `lstm_forward` needs, or -1 when the sizes overflow. */
  lstm_forward_workspace(n_x: number, n_a: number, n_y: number, m: number, t: number): number;
  /** LSTM forward pass; see `rnn_core::lstm_forward`. */
  lstm_forward(n_x: number, n_a: number, n_y: number, m: number, t: number, x: number, x_len: number, a0: number, a0_len: number, c0: number, c0_len: number, w: number, w_len: number, b: number, b_len: number, wy: number, wy_len: number, by: number, by_len: number, a: number, a_len: number, c: number, c_len: number, y: number, y_len: number, gates: number, gates_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `lstm_backward` needs, or -1 when the sizes overflow. */
  lstm_backward_workspace(n_x: number, n_a: number, m: number, t: number): number;
  /** LSTM backward pass; see `rnn_core::lstm_backward`. */
  lstm_backward(n_x: number, n_a: number, m: number, t: number, da: number, da_len: number, dc_last: number, dc_last_len: number, c_next: number, c_next_len: number, c_prev: number, c_prev_len: number, a_prev: number, a_prev_len: number, gates: number, gates_len: number, x: number, x_len: number, w: number, w_len: number, dx: number, dx_len: number, da0: number, da0_len: number, dc0: number, dc0_len: number, dw: number, dw_len: number, db: number, db_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `output_backward` needs, or -1 when the sizes overflow. */
  output_backward_workspace(n_a: number, n_y: number, m: number, t: number): number;
  /** Softmax cross-entropy backward through the output layer; see `rnn_core::output_backward`. */
  output_backward(n_a: number, n_y: number, m: number, t: number, y: number, y_len: number, targets: number, targets_len: number, a: number, a_len: number, wy: number, wy_len: number, loss: number, loss_len: number, dwy: number, dwy_len: number, dby: number, dby_len: number, da: number, da_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `layer_forward` needs, or -1 when the sizes overflow. */
  layer_forward_workspace(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, keep: number): number;
  /** One recurrent layer (RNN, LSTM or GRU) in one direction over a batch of sequences of given lengths; see `rnn_core::layer_forward`. */
  layer_forward(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, keep: number, x: number, x_len: number, lengths: number, lengths_len: number, h0: number, h0_len: number, c0: number, c0_len: number, w_ih: number, w_ih_len: number, w_hh: number, w_hh_len: number, b_ih: number, b_ih_len: number, b_hh: number, b_hh_len: number, gates: number, gates_len: number, p: number, p_len: number, output: number, output_len: number, h_n: number, h_n_len: number, c_n: number, c_n_len: number, saved: number, saved_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `layer_backward` needs, or -1 when the sizes overflow. */
  layer_backward_workspace(cell: number, n_in: number, h: number, n: number, t: number, reverse: number): number;
  /** Backward pass of `layer_forward`; see `rnn_core::layer_backward`. */
  layer_backward(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, d_output: number, d_output_len: number, dh_n: number, dh_n_len: number, dc_n: number, dc_n_len: number, saved: number, saved_len: number, x: number, x_len: number, lengths: number, lengths_len: number, h0: number, h0_len: number, c0: number, c0_len: number, w_ih: number, w_ih_len: number, w_hh: number, w_hh_len: number, gates: number, gates_len: number, dx: number, dx_len: number, dh0: number, dh0_len: number, dc0: number, dc0_len: number, dw_ih: number, dw_ih_len: number, dw_hh: number, dw_hh_len: number, db_ih: number, db_ih_len: number, db_hh: number, db_hh_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `layer_forward_f32` needs, or -1 when the sizes overflow. */
  layer_forward_f32_workspace(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, keep: number): number;
  /** `layer_forward` with float32 products (the float32 layers); see `rnn_core::layer_forward_f32`. */
  layer_forward_f32(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, keep: number, x: number, x_len: number, lengths: number, lengths_len: number, h0: number, h0_len: number, c0: number, c0_len: number, w_ih: number, w_ih_len: number, w_hh: number, w_hh_len: number, b_ih: number, b_ih_len: number, b_hh: number, b_hh_len: number, gates: number, gates_len: number, p: number, p_len: number, output: number, output_len: number, h_n: number, h_n_len: number, c_n: number, c_n_len: number, saved: number, saved_len: number, ws: number, ws_len: number): number;
  /** Workspace elements `layer_backward_f32` needs, or -1 when the sizes overflow. */
  layer_backward_f32_workspace(cell: number, n_in: number, h: number, n: number, t: number, reverse: number): number;
  /** `layer_backward` with float32 products; see `rnn_core::layer_backward_f32`. */
  layer_backward_f32(cell: number, n_in: number, h: number, n: number, t: number, reverse: number, d_output: number, d_output_len: number, dh_n: number, dh_n_len: number, dc_n: number, dc_n_len: number, saved: number, saved_len: number, x: number, x_len: number, lengths: number, lengths_len: number, h0: number, h0_len: number, c0: number, c0_len: number, w_ih: number, w_ih_len: number, w_hh: number, w_hh_len: number, gates: number, gates_len: number, dx: number, dx_len: number, dh0: number, dh0_len: number, dc0: number, dc0_len: number, dw_ih: number, dw_ih_len: number, dw_hh: number, dw_hh_len: number, db_ih: number, db_ih_len: number, db_hh: number, db_hh_len: number, ws: number, ws_len: number): number;
}

/** The exports of the test module built with the `probes` feature (test/wasm/rnn_wasm_probes.wasm): the shipped ones and the probes. */
export interface WasmProbeExports extends WasmExports {
  /** Executes `unreachable`, trapping the instance. */
  rnn_debug_trap(): void;
  /** Runs `iters` iterations of the roofline loop (48 FLOPs each); returns a checksum. */
  rnn_bench_roofline(iters: number): number;
  /** Packs and multiplies random operands `iters` times (`2·m·n·k` FLOPs each); returns a checksum, NaN if the sizes are too large. */
  rnn_bench_gemm(m: number, n: number, k: number, iters: number): number;
  /** The packed GEMM against the scalar reference: the largest relative difference, -1 if the sizes are rejected. */
  rnn_test_gemm(m: number, n: number, k: number, layout: number, alpha: number, beta: number, seed: number): number;
}

/** The native addon's exports, typed (napi's generated native/native.d.ts says the same). */
export interface NativeAddon {
  /** Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`. */
  softmax(rows: number, cols: number, z: Float64Array, out: Float64Array): void;
  /** Element-wise logistic sigmoid `1 / (1 + exp(-z))` of `n` values, into `out`. */
  sigmoid(n: number, z: Float64Array, out: Float64Array): void;
  /** The `cols × rows` transpose of the `rows × cols` matrix `src`, into `dst`. */
  transpose(rows: number, cols: number, src: Float64Array, dst: Float64Array): void;
  /** RNN forward pass; see `rnn_core::rnn_forward`. */
  rnnForward(nX: number, nA: number, nY: number, m: number, t: number, x: Float64Array, a0: Float64Array, wax: Float64Array, waa: Float64Array, ba: Float64Array, wya: Float64Array, by: Float64Array, a: Float64Array, y: Float64Array): void;
  /** RNN backward pass; see `rnn_core::rnn_backward`. */
  rnnBackward(nX: number, nA: number, m: number, t: number, da: Float64Array, aNext: Float64Array, aPrev: Float64Array, x: Float64Array, wax: Float64Array, waa: Float64Array, dx: Float64Array, da0: Float64Array, dwax: Float64Array, dwaa: Float64Array, dba: Float64Array): void;
  /** LSTM forward pass; see `rnn_core::lstm_forward`. */
  lstmForward(nX: number, nA: number, nY: number, m: number, t: number, x: Float64Array, a0: Float64Array, c0: Float64Array, w: Float64Array, b: Float64Array, wy: Float64Array, by: Float64Array, a: Float64Array, c: Float64Array, y: Float64Array, gates: Float64Array): void;
  /** LSTM backward pass; see `rnn_core::lstm_backward`. */
  lstmBackward(nX: number, nA: number, m: number, t: number, da: Float64Array, dcLast: Float64Array, cNext: Float64Array, cPrev: Float64Array, aPrev: Float64Array, gates: Float64Array, x: Float64Array, w: Float64Array, dx: Float64Array, da0: Float64Array, dc0: Float64Array, dw: Float64Array, db: Float64Array): void;
  /** Softmax cross-entropy backward through the output layer; see `rnn_core::output_backward`. */
  outputBackward(nA: number, nY: number, m: number, t: number, y: Float64Array, targets: Float64Array, a: Float64Array, wy: Float64Array, loss: Float64Array, dwy: Float64Array, dby: Float64Array, da: Float64Array): void;
  /** One recurrent layer (RNN, LSTM or GRU) in one direction over a batch of sequences of given lengths; see `rnn_core::layer_forward`. */
  layerForward(cell: number, nIn: number, h: number, n: number, t: number, reverse: number, keep: number, x: Float64Array, lengths: Float64Array, h0: Float64Array, c0: Float64Array, wIh: Float64Array, wHh: Float64Array, bIh: Float64Array, bHh: Float64Array, gates: Float64Array, p: Float64Array, output: Float64Array, hN: Float64Array, cN: Float64Array, saved: Float64Array): void;
  /** Backward pass of `layer_forward`; see `rnn_core::layer_backward`. */
  layerBackward(cell: number, nIn: number, h: number, n: number, t: number, reverse: number, dOutput: Float64Array, dhN: Float64Array, dcN: Float64Array, saved: Float64Array, x: Float64Array, lengths: Float64Array, h0: Float64Array, c0: Float64Array, wIh: Float64Array, wHh: Float64Array, gates: Float64Array, dx: Float64Array, dh0: Float64Array, dc0: Float64Array, dwIh: Float64Array, dwHh: Float64Array, dbIh: Float64Array, dbHh: Float64Array): void;
  /** `layer_forward` with float32 products (the float32 layers); see `rnn_core::layer_forward_f32`. */
  layerForwardF32(cell: number, nIn: number, h: number, n: number, t: number, reverse: number, keep: number, x: Float64Array, lengths: Float64Array, h0: Float64Array, c0: Float64Array, wIh: Float64Array, wHh: Float64Array, bIh: Float64Array, bHh: Float64Array, gates: Float64Array, p: Float64Array, output: Float64Array, hN: Float64Array, cN: Float64Array, saved: Float64Array): void;
  /** `layer_backward` with float32 products; see `rnn_core::layer_backward_f32`. */
  layerBackwardF32(cell: number, nIn: number, h: number, n: number, t: number, reverse: number, dOutput: Float64Array, dhN: Float64Array, dcN: Float64Array, saved: Float64Array, x: Float64Array, lengths: Float64Array, h0: Float64Array, c0: Float64Array, wIh: Float64Array, wHh: Float64Array, gates: Float64Array, dx: Float64Array, dh0: Float64Array, dc0: Float64Array, dwIh: Float64Array, dwHh: Float64Array, dbIh: Float64Array, dbHh: Float64Array): void;
  /** Lets the kernels use up to `n` threads (0: all cores, the default). */
  setThreads(n: number): void;
  /** Threads the kernels may use. */
  getThreads(): number;
  /** The instruction set the GEMM kernel runs on this CPU: `avx512`, `avx2+fma` or `scalar`. */
  cpuFeatures(): string;
  /** Asks the OS to back `buf`, a large output array not yet written, with huge pages. Writes nothing. */
  adviseHugePages(buf: Float64Array): void;
}
