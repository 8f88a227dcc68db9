/**
 * The WebAssembly backend: a small hand-written loader over the raw `extern "C"` exports of
 * `crates/rnn-wasm`, and one scratch arena in linear memory reused from call to call.
 *
 * Each call copies its inputs into the arena, runs one kernel over the whole sequence and
 * copies the outputs back into fresh JS-owned arrays; WebAssembly memory never owns user
 * data, so nothing needs `dispose()`.
 */
import { readFileSync } from 'node:fs';
import { blocksLength, copyBlocks, type Backend, type Blocks, type Dims } from '../backend.js';
import { rangeError, runtimeError } from '../errors.js';
import { transposeInto } from '../layout.js';

const WASM_FILE = new URL('../../wasm/rnn_wasm.wasm', import.meta.url);

/** wasm32 addresses 4 GiB; a call's arena must fit beside the module's own data. */
const MAX_ARENA_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;

/** Regions start on 16-byte boundaries so SIMD kernels may use aligned loads. */
const ALIGN = 16;

/** Arrays shorter than this are transposed in JS (measured crossover: bench/layout.mjs). */
const TRANSPOSE_IN_JS_BELOW = 256;

type Kernel = (...args: number[]) => number;

interface RnnExports {
  memory: WebAssembly.Memory;
  rnn_alloc(bytes: number): number;
  rnn_free(ptr: number, bytes: number): void;
  rnn_debug_trap(): void;
  [kernel: string]: unknown;
}

const STATUS: Record<number, string> = {
  1: 'dimensions or buffer lengths rejected',
  2: 'a buffer lies outside linear memory or is misaligned',
  3: 'an output buffer overlaps another buffer',
};

class WasmRuntime {
  private readonly module: WebAssembly.Module;
  private exports!: RnnExports;
  private arenaPtr = 0;
  private arenaBytes = 0;
  private heapView = new Float64Array(0);

  constructor(bytes: Uint8Array) {
    this.module = new WebAssembly.Module(bytes);
    this.instantiate();
  }

  private instantiate(): void {
    this.exports = new WebAssembly.Instance(this.module, {}).exports as unknown as RnnExports;
    this.arenaPtr = 0;
    this.arenaBytes = 0;
  }

  /** Bytes of linear memory currently reserved by the module (for memory-flatness checks). */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * Runs `kernel(...dims, in0, in0_len, ..., out0, out0_len, ..., [ws, ws_len])`: copies the
   * inputs into the arena and the results into `outputs`. `workspace` names the export that
   * sizes the kernel's scratch space.
   */
  call(kernel: string, dims: number[], inputs: Blocks[], outputs: Float64Array[], workspace?: string): void {
    const wsLength = workspace === undefined ? 0 : (this.exports[workspace] as Kernel)(...dims);
    const lengths = inputs.map(blocksLength);
    for (const output of outputs) lengths.push(output.length);
    if (workspace !== undefined) lengths.push(wsLength);
    const offsets: number[] = [];
    let bytes = 0;
    for (const length of lengths) {
      offsets.push(bytes);
      bytes += Math.ceil((length * 8) / ALIGN) * ALIGN;
    }
    if (wsLength < 0) bytes = Infinity;
    if (!(bytes <= MAX_ARENA_BYTES)) {
      throw rangeError(
        'ERR_RNN_SIZE',
        `${kernel} with dimensions (${dims.join(', ')}) needs ${formatBytes(bytes)} of WebAssembly memory; ` +
          `the wasm backend can address at most ${formatBytes(MAX_ARENA_BYTES)}`,
      );
    }
    const base = this.reserve(bytes);
    const heap = this.heap();
    const args = dims.slice();
    lengths.forEach((length, k) => args.push(base + offsets[k], length));
    inputs.forEach((input, k) => copyBlocks(input, heap, (base + offsets[k]) / 8));
    const status = this.guarded(() => (this.exports[kernel] as Kernel)(...args));
    if (status !== 0) {
      throw runtimeError('ERR_RNN_INTERNAL', `wasm kernel ${kernel} failed: ${STATUS[status] ?? `status ${status}`}`);
    }
    outputs.forEach((output, k) => {
      const start = (base + offsets[inputs.length + k]) / 8;
      output.set(heap.subarray(start, start + output.length));
    });
  }

  /** A view of linear memory, renewed when growth has replaced the buffer. */
  private heap(): Float64Array {
    if (this.heapView.buffer !== this.exports.memory.buffer) {
      this.heapView = new Float64Array(this.exports.memory.buffer);
    }
    return this.heapView;
  }

  /** Executes a trapping instruction inside the module; for tests of trap recovery. */
  trap(): void {
    this.guarded(() => this.exports.rnn_debug_trap());
  }

  /** Grows the arena to at least `bytes`; it is never shrunk, so steady use allocates nothing. */
  private reserve(bytes: number): number {
    if (bytes <= this.arenaBytes) return this.arenaPtr;
    const size = Math.min(MAX_ARENA_BYTES, Math.max(bytes, Math.ceil(this.arenaBytes * 1.25)));
    if (this.arenaBytes > 0) this.exports.rnn_free(this.arenaPtr, this.arenaBytes);
    this.arenaPtr = 0;
    this.arenaBytes = 0;
    const ptr = this.exports.rnn_alloc(size) >>> 0;
    if (ptr === 0) {
      throw rangeError('ERR_RNN_SIZE', `could not grow WebAssembly memory by ${formatBytes(size)}`);
    }
    this.arenaPtr = ptr;
    this.arenaBytes = size;
    return ptr;
  }

  /** A trap leaves the instance in an unknown state: replace it, then report. */
  private guarded<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      this.instantiate();
      throw runtimeError(
        'ERR_RNN_WASM_TRAP',
        `the WebAssembly module trapped (${error.message}); it was re-instantiated and is ready for the next call`,
        error,
      );
    }
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export interface WasmBackend extends Backend {
  /** Test hook: makes the module trap, so trap recovery can be checked. */
  forceTrap(): void;
  /** Current size of the module's linear memory in bytes. */
  memoryBytes(): number;
}

export function loadWasmBackend(bytes: Uint8Array = readFileSync(WASM_FILE)): WasmBackend {
  const rt = new WasmRuntime(bytes);
  return {
    name: 'wasm',
    maxCallBytes: MAX_ARENA_BYTES,

    forceTrap: () => rt.trap(),
    memoryBytes: () => rt.memoryBytes,

    softmax(z, rows, cols, out) {
      rt.call('rnn_softmax', [rows, cols], [z], [out]);
    },

    sigmoid(z, out) {
      rt.call('rnn_sigmoid', [z.length], [z], [out]);
    },

    transpose(src, rows, cols, out) {
      // Below this size crossing into the module costs more than the copy saves.
      if (src.length < TRANSPOSE_IN_JS_BELOW) transposeInto(src, rows, cols, out);
      else rt.call('rnn_transpose', [rows, cols], [src], [out]);
    },

    rnnForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, w, out) {
      const inputs = [x, a0, w.Wax, w.Waa, w.ba, w.Wya, w.by];
      rt.call('rnn_forward', [n_x, n_a, n_y, m, T], inputs, [out.a, out.y], 'rnn_forward_workspace');
    },

    rnnBackward({ n_x, n_a, m, T }: Dims, da, aNext, aPrev, x, Wax, Waa, out) {
      const outputs = [out.dx, out.da0, out.dWax, out.dWaa, out.dba];
      rt.call('rnn_backward', [n_x, n_a, m, T], [da, aNext, aPrev, x, Wax, Waa], outputs, 'rnn_backward_workspace');
    },

    outputBackward({ n_a, n_y, m, T }: Dims, y, targets, a, Wy, out) {
      const outputs = [out.loss, out.dWy, out.dby, out.da];
      rt.call('output_backward', [n_a, n_y, m, T], [y, targets, a, Wy], outputs, 'output_backward_workspace');
    },

    lstmForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, c0, w, out) {
      const inputs = [x, a0, c0, w.W, w.b, w.Wy, w.by];
      const outputs = [out.a, out.c, out.y, out.gates];
      rt.call('lstm_forward', [n_x, n_a, n_y, m, T], inputs, outputs, 'lstm_forward_workspace');
    },

    lstmBackward({ n_x, n_a, m, T }: Dims, da, dcLast, cNext, cPrev, aPrev, gates, x, W, out) {
      const inputs = [da, dcLast, cNext, cPrev, aPrev, gates, x, W];
      const outputs = [out.dx, out.da0, out.dc0, out.dW, out.db];
      rt.call('lstm_backward', [n_x, n_a, m, T], inputs, outputs, 'lstm_backward_workspace');
    },
  };
}
