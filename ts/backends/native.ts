/**
 * The native backend: the napi-rs addon built from `crates/rnn-napi` over the same Rust core
 * as the wasm module, with the GEMM compiled for the host CPU.
 *
 * The addon borrows every typed array it is given (no copies at the boundary) and writes the
 * outputs in place, so a call here passes the caller's arrays straight through. Inputs that
 * arrive as several blocks (per-step cache arrays, the four gate weights) are joined once,
 * since the kernels read each buffer as one slice.
 *
 * The addon is a build product (`npm run build:native`), looked for in `native/` as
 * `rnn_napi.<platform>-<arch>[-<abi>].node`; when none is there or none loads, loading throws
 * with the reasons and the registry falls back to wasm.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { concatBlocks, type Backend, type Dims } from '../backend.js';
import { runtimeError } from '../errors.js';
import { transposeInto } from '../layout.js';
import { onThreadSetting } from '../threads.js';

const NATIVE_DIR = fileURLToPath(new URL('../../native/', import.meta.url));
const BINARY_NAME = 'rnn_napi';

type F64 = Float64Array;

/** Arrays shorter than this are transposed in JS: a boundary crossing costs more. */
const TRANSPOSE_IN_JS_BELOW = 256;

/** The addon's exports (see crates/rnn-napi/src/lib.rs). */
interface Addon {
  softmax(rows: number, cols: number, z: F64, out: F64): void;
  sigmoid(z: F64, out: F64): void;
  transpose(rows: number, cols: number, src: F64, dst: F64): void;
  outputBackward(...args: [number, number, number, number, ...F64[]]): void;
  rnnForward(...args: [number, number, number, number, number, ...F64[]]): void;
  rnnBackward(...args: [number, number, number, number, ...F64[]]): void;
  lstmForward(...args: [number, number, number, number, number, ...F64[]]): void;
  lstmBackward(...args: [number, number, number, number, ...F64[]]): void;
  setThreads(n: number): void;
  getThreads(): number;
  cpuFeatures(): string;
  adviseHugePages(buf: F64): void;
}

const EXPORTS: readonly (keyof Addon)[] = [
  'softmax',
  'sigmoid',
  'transpose',
  'outputBackward',
  'rnnForward',
  'rnnBackward',
  'lstmForward',
  'lstmBackward',
  'setThreads',
  'getThreads',
  'cpuFeatures',
  'adviseHugePages',
];

/**
 * Output buffers from this size get huge pages. From 32 MiB (glibc's largest mmap threshold)
 * a buffer is always a fresh mapping whose every page faults on first write; smaller ones
 * mostly reuse heap memory that is already mapped, where the advice measured 1-2 % slower.
 */
const HUGE_PAGES_FROM_BYTES = 32 * 1024 * 1024;

/** Candidate addon files for this platform, most specific first. */
function candidates(): string[] {
  if (!existsSync(NATIVE_DIR)) return [];
  const prefix = `${BINARY_NAME}.${process.platform}-${process.arch}`;
  return readdirSync(NATIVE_DIR)
    .filter((f) => f.endsWith('.node') && (f === `${prefix}.node` || f.startsWith(`${prefix}-`)))
    .sort();
}

function loadAddon(): Addon {
  const files = candidates();
  if (files.length === 0) {
    throw new Error(
      `no native addon for ${process.platform}-${process.arch} in native/ (build it with \`npm run build:native\`)`,
    );
  }
  const require = createRequire(import.meta.url);
  const reasons: string[] = [];
  for (const file of files) {
    try {
      const addon = require(NATIVE_DIR + file) as Partial<Addon>;
      const missing = EXPORTS.filter((name) => typeof addon[name] !== 'function');
      if (missing.length > 0) throw new Error(`it lacks ${missing.join(', ')} (an older build?)`);
      return addon as Addon;
    } catch (error) {
      reasons.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`the native addon did not load: ${reasons.join('; ')}`);
}

/** Runs an addon call; a rejection by the Rust side means the TypeScript checks missed it. */
function guarded(kernel: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    throw runtimeError(
      'ERR_RNN_INTERNAL',
      `native kernel ${kernel} failed: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

export interface NativeBackend extends Backend {
  /** The instruction set the GEMM kernel dispatches to here: `avx512`, `avx2+fma` or `scalar`. */
  cpuFeatures(): string;
}

export function loadNativeBackend(): NativeBackend {
  const addon = loadAddon();
  // 0 asks the addon for its default, all cores.
  onThreadSetting((n) => addon.setThreads(n ?? 0));
  return {
    name: 'native',
    threads: () => addon.getThreads(),
    cpuFeatures: () => addon.cpuFeatures(),
    // Outputs live in ordinary JS arrays; the API layer's own element limit is the only bound.
    maxCallBytes: Infinity,

    prepareOutputs(buffer) {
      if (buffer.byteLength >= HUGE_PAGES_FROM_BYTES) addon.adviseHugePages(buffer);
    },

    softmax(z, rows, cols, out) {
      guarded('softmax', () => addon.softmax(rows, cols, z, out));
    },

    sigmoid(z, out) {
      guarded('sigmoid', () => addon.sigmoid(z, out));
    },

    transpose(src, rows, cols, out) {
      // Small arrays are quicker to transpose here than to hand across the boundary.
      if (src.length < TRANSPOSE_IN_JS_BELOW) transposeInto(src, rows, cols, out);
      else guarded('transpose', () => addon.transpose(rows, cols, src, out));
    },

    outputBackward({ n_a, n_y, m, T }: Dims, y, targets, a, Wy, out) {
      guarded('outputBackward', () =>
        addon.outputBackward(n_a, n_y, m, T, y, targets, a, Wy, out.loss, out.dWy, out.dby, out.da),
      );
    },

    rnnForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, w, out) {
      guarded('rnnForward', () =>
        addon.rnnForward(n_x, n_a, n_y, m, T, x, a0, w.Wax, w.Waa, w.ba, w.Wya, w.by, out.a, out.y),
      );
    },

    rnnBackward({ n_x, n_a, m, T }: Dims, da, aNext, aPrev, x, Wax, Waa, out) {
      const [an, ap, xs] = [concatBlocks(aNext), concatBlocks(aPrev), concatBlocks(x)];
      guarded('rnnBackward', () =>
        addon.rnnBackward(n_x, n_a, m, T, da, an, ap, xs, Wax, Waa, out.dx, out.da0, out.dWax, out.dWaa, out.dba),
      );
    },

    lstmForward({ n_x, n_a, n_y, m, T }: Dims, x, a0, c0, w, out) {
      const [W, b] = [concatBlocks(w.W), concatBlocks(w.b)];
      guarded('lstmForward', () =>
        addon.lstmForward(n_x, n_a, n_y, m, T, x, a0, c0, W, b, w.Wy, w.by, out.a, out.c, out.y, out.gates),
      );
    },

    lstmBackward({ n_x, n_a, m, T }: Dims, da, dcLast, cNext, cPrev, aPrev, gates, x, W, out) {
      const blocks = [cNext, cPrev, aPrev, gates, x, W].map(concatBlocks);
      guarded('lstmBackward', () =>
        addon.lstmBackward(n_x, n_a, m, T, da, dcLast, ...blocks, out.dx, out.da0, out.dc0, out.dW, out.db),
      );
    },
  };
}
