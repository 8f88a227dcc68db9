/**
 * The WebAssembly backend: a small hand-written loader over the raw `extern "C"` exports of
 * `crates/rnn-wasm`, and one scratch arena in linear memory reused from call to call.
 *
 * Each call copies its inputs into the arena, runs one kernel over the whole sequence and
 * copies the outputs back into fresh JS-owned arrays; WebAssembly memory never owns user
 * data, so nothing needs `dispose()`.
 */
import { readFileSync } from 'node:fs';
import type { Backend, Dims } from '../backend.js';
import { rangeError, runtimeError } from '../errors.js';

const WASM_FILE = new URL('../../wasm/rnn_wasm.wasm', import.meta.url);

/** wasm32 addresses 4 GiB; a call's arena must fit beside the module's own data. */
const MAX_ARENA_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;

/** Regions start on 16-byte boundaries so SIMD kernels may use aligned loads. */
const ALIGN = 16;

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
   * Runs `kernel(...dims, in0, in0_len, ..., out0, out0_len, ..., [ws, ws_len])` and returns
   * copies of the outputs. `workspace` names the export that sizes the kernel's scratch space.
   */
  call(
    kernel: string,
    dims: number[],
    inputs: Float64Array[],
    outputLengths: number[],
    workspace?: string,
  ): Float64Array[] {
    const wsLength = workspace === undefined ? undefined : (this.exports[workspace] as Kernel)(...dims);
    const lengths = [...inputs.map((a) => a.length), ...outputLengths];
    if (wsLength !== undefined) lengths.push(wsLength);
    const offsets: number[] = [];
    let bytes = 0;
    for (const length of lengths) {
      offsets.push(bytes);
      bytes += Math.ceil((length * 8) / ALIGN) * ALIGN;
    }
    if (wsLength !== undefined && wsLength < 0) bytes = Infinity;
    if (!(bytes <= MAX_ARENA_BYTES)) {
      throw rangeError(
        'ERR_RNN_SIZE',
        `${kernel} with dimensions (${dims.join(', ')}) needs ${formatBytes(bytes)} of WebAssembly memory; ` +
          `the wasm backend can address at most ${formatBytes(MAX_ARENA_BYTES)}`,
      );
    }
    const base = this.reserve(bytes);
    let heap = new Float64Array(this.exports.memory.buffer);
    inputs.forEach((input, k) => heap.set(input, (base + offsets[k]) / 8));
    const args = [...dims];
    lengths.forEach((length, k) => args.push(base + offsets[k], length));
    const status = this.guarded(() => (this.exports[kernel] as Kernel)(...args));
    if (status !== 0) {
      throw runtimeError('ERR_RNN_INTERNAL', `wasm kernel ${kernel} failed: ${STATUS[status] ?? `status ${status}`}`);
    }
    heap = new Float64Array(this.exports.memory.buffer); // the kernel cannot grow memory, but stay safe
    return outputLengths.map((length, k) => {
      const start = (base + offsets[inputs.length + k]) / 8;
      return heap.slice(start, start + length);
    });
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

    forceTrap: () => rt.trap(),
    memoryBytes: () => rt.memoryBytes,

    softmax(z, rows, cols) {
      return rt.call('rnn_softmax', [rows, cols], [z], [z.length])[0];
    },

    sigmoid(z) {
      return rt.call('rnn_sigmoid', [z.length], [z], [z.length])[0];
    },

    rnnForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, w) {
      const [a, y] = rt.call(
        'rnn_forward',
        [n_x, n_a, n_y, m, T],
        [x, a0, w.Wax, w.Waa, w.ba, w.Wya, w.by],
        [T * n_a * m, T * n_y * m],
        'rnn_forward_workspace',
      );
      return { a, y };
    },

    rnnBackward({ n_x, n_a, m, T }: Dims, da, aNext, aPrev, x, Wax, Waa) {
      const [dx, da0, dWax, dWaa, dba] = rt.call(
        'rnn_backward',
        [n_x, n_a, m, T],
        [da, aNext, aPrev, x, Wax, Waa],
        [T * n_x * m, n_a * m, n_a * n_x, n_a * n_a, n_a],
        'rnn_backward_workspace',
      );
      return { dx, da0, dWax, dWaa, dba };
    },

    lstmForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, c0, w) {
      const [a, c, y, gates] = rt.call(
        'lstm_forward',
        [n_x, n_a, n_y, m, T],
        [x, a0, c0, w.W, w.b, w.Wy, w.by],
        [T * n_a * m, T * n_a * m, T * n_y * m, T * 4 * n_a * m],
        'lstm_forward_workspace',
      );
      return { a, c, y, gates };
    },

    lstmBackward({ n_x, n_a, m, T }: Dims, da, dcLast, cNext, cPrev, aPrev, gates, x, W) {
      const [dx, da0, dc0, dW, db] = rt.call(
        'lstm_backward',
        [n_x, n_a, m, T],
        [da, dcLast, cNext, cPrev, aPrev, gates, x, W],
        [T * n_x * m, n_a * m, n_a * m, 4 * n_a * (n_a + n_x), 4 * n_a],
        'lstm_backward_workspace',
      );
      return { dx, da0, dc0, dW, db };
    },
  };
}
