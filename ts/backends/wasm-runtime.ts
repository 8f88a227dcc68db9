/**
 * The WebAssembly backend: a small loader over the raw `extern "C"` exports of
 * `crates/rnn-wasm`, typed by `WasmExports` (generated/abi.ts), and one scratch arena in linear
 * memory reused from call to call.
 *
 * Each call copies its inputs into the arena, runs one kernel over the whole sequence and
 * copies the outputs back into fresh JS-owned arrays; WebAssembly memory never owns user
 * data, so nothing needs `dispose()`. Every kernel goes through the one generic `run`, which
 * lays out the arguments as `KERNELS` declares them: the dimensions, `(pointer, length)` per
 * input and per output, then `(ws, ws_len)` when the kernel has a workspace.
 *
 * Environment-neutral: it takes a compiled module, never a file. In Node, backends/wasm.ts
 * reads and compiles the shipped file synchronously; in a browser, `init()` (load-wasm.ts)
 * compiles and instantiates asynchronously, since Chrome refuses synchronous compiles and
 * instantiations of modules over 4 KB on the main thread.
 */
import { blocksLength, copyBlocks, type Backend, type KernelDims, type KernelInputs, type KernelOutputs } from '../backend.js';
import { rangeError, runtimeError } from '../errors.js';
import {
  ALLOC_ALIGN,
  KERNELS,
  STATUS,
  STATUS_MESSAGES,
  type KernelName,
  type WasmExports,
  type WasmProbeExports,
} from '../generated/abi.js';

/** wasm32 addresses 4 GiB; a call's arena must fit beside the module's own data. */
const MAX_ARENA_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;

type Spec<K extends KernelName> = (typeof KERNELS)[K];
/** `number` for each entry of a tuple of names. */
type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };
/** `(pointer, length)` for each entry of a tuple of names. */
type Pointers<T extends readonly unknown[]> = T extends readonly [unknown, ...infer R] ? [number, number, ...Pointers<R>] : [];
/** The arguments of kernel `K`'s export, as `KERNELS` lays them out. */
type KernelArgs<K extends KernelName> = [
  ...Numbers<Spec<K>['dims']>,
  ...Pointers<Spec<K>['inputs']>,
  ...Pointers<Spec<K>['outputs']>,
  ...(Spec<K>['workspace'] extends null ? [] : [ws: number, ws_len: number]),
];
/** Kernel `K`'s export, called with the arguments `KERNELS` lays out. */
type KernelExport<K extends KernelName> = (...args: KernelArgs<K>) => number;
/** Kernel `K`'s workspace export, called with its dimensions. */
type WorkspaceExport<K extends KernelName> = (...dims: Numbers<Spec<K>['dims']>) => number;

// Compile-time proof that `WasmExports` and `KERNELS` agree: every kernel's export takes exactly
// the arguments KERNELS lays out, and every workspace export takes the kernel's dimensions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ExportsAgree = {
  [K in KernelName]: Same<WasmExports[Spec<K>['wasm']], KernelExport<K>> extends true
    ? Spec<K>['workspace'] extends keyof WasmExports
      ? Same<WasmExports[Spec<K>['workspace']], WorkspaceExport<K>>
      : Spec<K>['workspace'] extends null
        ? true
        : false
    : false;
}[KernelName];
const exportsAgree: false extends ExportsAgree ? never : true = true;
void exportsAgree;

class WasmRuntime {
  private exports!: WasmExports;
  private arenaPtr = 0;
  private arenaBytes = 0;
  private heapView = new Float64Array(0);
  /** A fresh instance made ahead of time (asynchronously), to replace one that trapped. */
  private spare: WebAssembly.Instance | undefined;

  constructor(
    private readonly module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    private readonly asyncOnly: boolean,
  ) {
    this.use(instance);
    if (asyncOnly) this.prepareSpare();
  }

  private prepareSpare(): void {
    WebAssembly.instantiate(this.module, {}).then(
      (instance) => {
        this.spare = instance;
      },
      () => {},
    );
  }

  private use(instance: WebAssembly.Instance): void {
    this.exports = instance.exports as unknown as WasmExports;
    this.heapView = new Float64Array(0);
    this.arenaPtr = 0;
    this.arenaBytes = 0;
  }

  /** A new instance after a trap: the spare where instantiation must be asynchronous. */
  private instantiate(): void {
    const spare = this.spare;
    if (this.asyncOnly && spare) {
      this.spare = undefined;
      this.use(spare);
      this.prepareSpare();
      return;
    }
    this.use(new WebAssembly.Instance(this.module, {}));
  }

  /** Bytes of linear memory currently reserved by the module (for memory-flatness checks). */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Copies the inputs into the arena, runs `kernel`, and copies its results into `outputs`. */
  run<K extends KernelName>(kernel: K, dims: KernelDims<K>, inputs: KernelInputs<K>, outputs: KernelOutputs<K>): void {
    const spec: Spec<KernelName> = KERNELS[kernel];
    const args: number[] = [];
    for (const name of spec.dims) args.push((dims as Record<string, number>)[name]);
    const dimCount = args.length;
    const wsLength = spec.workspace === null ? 0 : (this.exports[spec.workspace] as WorkspaceExport<KernelName>)(...(args as never));
    // Offsets from the arena's start for now; made addresses once the arena is reserved.
    let bytes = 0;
    const place = (length: number) => {
      args.push(bytes, length);
      bytes += Math.ceil((length * 8) / ALLOC_ALIGN) * ALLOC_ALIGN;
    };
    for (const name of spec.inputs) place(blocksLength((inputs as Record<string, KernelInputs<K>[never]>)[name]));
    for (const name of spec.outputs) place((outputs as Record<string, Float64Array>)[name].length);
    if (spec.workspace !== null) place(wsLength);
    if (wsLength < 0) bytes = Infinity;
    if (!(bytes <= MAX_ARENA_BYTES)) {
      throw rangeError(
        'ERR_RNN_SIZE',
        `${spec.wasm} with dimensions (${args.slice(0, dimCount).join(', ')}) needs ${formatBytes(bytes)} of WebAssembly memory; ` +
          `the wasm backend can address at most ${formatBytes(MAX_ARENA_BYTES)}`,
      );
    }
    const base = this.reserve(bytes);
    for (let k = dimCount; k < args.length; k += 2) args[k] += base;
    const heap = this.heap();
    let at = dimCount;
    for (const name of spec.inputs) {
      copyBlocks((inputs as Record<string, KernelInputs<K>[never]>)[name], heap, args[at] / 8);
      at += 2;
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method -- wasm exports do not use `this`
    const run = this.exports[spec.wasm] as KernelExport<KernelName>;
    let status: number;
    try {
      status = run(...(args as never));
    } catch (error) {
      throw this.afterThrow(error);
    }
    if (status !== STATUS.ok) {
      throw runtimeError('ERR_RNN_INTERNAL', `wasm kernel ${spec.wasm} failed: ${STATUS_MESSAGES[status] ?? `status ${status}`}`);
    }
    for (const name of spec.outputs) {
      const output = (outputs as Record<string, Float64Array>)[name];
      const start = args[at] / 8;
      output.set(heap.subarray(start, start + output.length));
      at += 2;
    }
  }

  /**
   * A view of linear memory, renewed when growth has replaced the buffer. Growth detaches the
   * old buffer, which empties every view of it, and a new instance starts with an empty view:
   * a length check here, rather than reading `memory.buffer` (a call into the engine) on every
   * kernel call.
   */
  private heap(): Float64Array {
    if (this.heapView.length === 0) {
      this.heapView = new Float64Array(this.exports.memory.buffer);
    }
    return this.heapView;
  }

  /**
   * Executes a trapping instruction inside the module, for tests of trap recovery: only the
   * module built with the `probes` feature (test/wasm/rnn_wasm_probes.wasm) exports one.
   */
  trap(): void {
    const exports = this.exports as Partial<WasmProbeExports>;
    const trap = exports.rnn_debug_trap;
    if (typeof trap !== 'function') {
      throw new Error('this WebAssembly module has no rnn_debug_trap export (load the probes build to test traps)');
    }
    try {
      trap();
    } catch (error) {
      throw this.afterThrow(error);
    }
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

  /**
   * What to throw for `error`, thrown by a call into the module. A trap leaves the instance in
   * an unknown state: it is replaced, and reported. (A try/catch at each call site, not a
   * wrapper taking a closure: that cost a closure per kernel call.)
   */
  private afterThrow(error: unknown): unknown {
    if (!(error instanceof WebAssembly.RuntimeError)) return error;
    this.instantiate();
    return runtimeError(
      'ERR_RNN_WASM_TRAP',
      `the WebAssembly module trapped (${error.message}); it was re-instantiated and is ready for the next call`,
      error,
    );
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export interface WasmBackend extends Backend {
  /**
   * Test hook: makes the module trap, so trap recovery can be checked. Only a module built with
   * the `probes` feature can (the shipped one throws a plain Error).
   */
  forceTrap(): void;
  /** Current size of the module's linear memory in bytes. */
  memoryBytes(): number;
}

/**
 * The wasm backend over a compiled module and its first instance. `asyncOnly` (a browser):
 * never instantiate synchronously; a spare instance is made ahead of time for trap recovery.
 */
export function wasmBackendFrom(module: WebAssembly.Module, instance: WebAssembly.Instance, asyncOnly = false): WasmBackend {
  const rt = new WasmRuntime(module, instance, asyncOnly);
  return {
    name: 'wasm',
    maxCallBytes: MAX_ARENA_BYTES,
    forceTrap: () => rt.trap(),
    memoryBytes: () => rt.memoryBytes,
    run: (kernel, dims, inputs, outputs) => rt.run(kernel, dims, inputs, outputs),
  };
}
