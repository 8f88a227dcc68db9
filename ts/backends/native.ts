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
import { concatBlocks, type Backend, type KernelDims, type KernelInputs, type KernelOutputs } from '../backend.js';
import { runtimeError } from '../errors.js';
import { KERNELS, type KernelName, type NativeAddon } from '../generated/abi.js';
import { onThreadSetting } from '../threads.js';

const NATIVE_DIR = fileURLToPath(new URL('../../native/', import.meta.url));
const BINARY_NAME = 'rnn_napi';

type Spec<K extends KernelName> = (typeof KERNELS)[K];
type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };
type Arrays<T extends readonly unknown[]> = { -readonly [I in keyof T]: Float64Array };
/** The arguments of kernel `K`'s addon function, as `KERNELS` lays them out. */
type KernelArgs<K extends KernelName> = [...Numbers<Spec<K>['dims']>, ...Arrays<Spec<K>['inputs']>, ...Arrays<Spec<K>['outputs']>];
/** Kernel `K`'s addon function, called with the arguments `KERNELS` lays out. */
type KernelFunction<K extends KernelName> = (...args: KernelArgs<K>) => void;

// Compile-time proof that `NativeAddon` and `KERNELS` agree on every kernel's arguments.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AddonAgrees = { [K in KernelName]: Same<NativeAddon[Spec<K>['native']], KernelFunction<K>> }[KernelName];
const addonAgrees: false extends AddonAgrees ? never : true = true;
void addonAgrees;

/** Every function the addon must export: the kernels' and the thread and memory controls. */
const EXPORTS: readonly (keyof NativeAddon)[] = [
  ...Object.values(KERNELS).map((spec) => spec.native),
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

function loadAddon(): NativeAddon {
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
      const addon = require(NATIVE_DIR + file) as Partial<NativeAddon>;
      const missing = EXPORTS.filter((name) => typeof addon[name] !== 'function');
      if (missing.length > 0) throw new Error(`it lacks ${missing.join(', ')} (an older build?)`);
      return addon as NativeAddon;
    } catch (error) {
      reasons.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`the native addon did not load: ${reasons.join('; ')}`);
}

/**
 * Runs kernel `kernel` of the addon: the dimensions, then every input (joined into one buffer
 * when it arrives as blocks) and every output, in the order `KERNELS` declares. A rejection by
 * the Rust side means the TypeScript checks missed something.
 */
function runKernel<K extends KernelName>(
  addon: NativeAddon,
  kernel: K,
  dims: KernelDims<K>,
  inputs: KernelInputs<K>,
  outputs: KernelOutputs<K>,
): void {
  const spec: Spec<KernelName> = KERNELS[kernel];
  const args: (number | Float64Array)[] = [];
  for (const name of spec.dims) args.push((dims as Record<string, number>)[name]);
  for (const name of spec.inputs) args.push(concatBlocks((inputs as Record<string, KernelInputs<K>[never]>)[name]));
  for (const name of spec.outputs) args.push((outputs as Record<string, Float64Array>)[name]);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- napi functions do not use `this`
  const run = addon[spec.native] as KernelFunction<KernelName>;
  try {
    run(...(args as never));
  } catch (error) {
    throw runtimeError(
      'ERR_RNN_INTERNAL',
      `native kernel ${spec.native} failed: ${error instanceof Error ? error.message : String(error)}`,
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

    run: (kernel, dims, inputs, outputs) => runKernel(addon, kernel, dims, inputs, outputs),
  };
}
