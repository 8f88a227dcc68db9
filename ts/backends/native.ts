/**
 * The native backend: the napi-rs addon built from `crates/rnn-napi` over the same Rust core
 * as the wasm module, with the GEMM compiled for the host CPU.
 *
 * The addon borrows every typed array it is given (no copies at the boundary) and writes the
 * outputs in place, so a call here passes the caller's arrays straight through. Inputs that
 * arrive as several blocks (per-step cache arrays, the four gate weights) are joined once,
 * since the kernels read each buffer as one slice.
 *
 * Where the addon comes from, in order (as napi-rs's generated loaders look):
 * 1. the prebuilt platform package, `rnn-wasm-<platform>` (`rnn-wasm-linux-x64-gnu`, ...), an
 *    optional dependency npm installs only on the platform it was built for;
 * 2. a local build in `native/` (`npm run build:native`), `rnn_napi.<platform>.node`.
 * When neither loads, loading throws with every reason and the registry falls back to wasm.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { concatBlocks, type Backend, type KernelDims, type KernelInputs, type KernelOutputs } from '../backend.js';
import { runtimeError } from '../errors.js';
import { KERNELS, type KernelName, type NativeAddon } from '../generated/abi.js';
import { onThreadSetting } from '../threads.js';

const NATIVE_DIR = fileURLToPath(new URL('../../native/', import.meta.url));
const BINARY_NAME = 'rnn_napi';
/** The npm package name; each platform package is `<PACKAGE_NAME>-<platform>`. */
const PACKAGE_NAME = 'rnn-wasm';

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

/** Whether this Linux runs on musl rather than glibc, found as napi-rs's loaders do. */
function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    // No ldd to read: ask Node's diagnostic report which C library it runs on.
  }
  // No DNS lookups for the report's network section (an option newer than these typings).
  (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
  const report = process.report.getReport() as
    | { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] }
    | undefined;
  if (!report || report.header?.glibcVersionRuntime) return false;
  return (report.sharedObjects ?? []).some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'));
}

/**
 * napi-rs's name for this platform: `linux-x64-gnu`, `linux-x64-musl`, `darwin-arm64`,
 * `win32-x64-msvc`, ... The suffix of the platform package and of the addon file.
 */
export function platformName(): string {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const musl = isMusl();
    if (arch === 'arm') return `linux-arm-${musl ? 'musleabihf' : 'gnueabihf'}`;
    return `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  if (platform === 'android' && arch === 'arm') return 'android-arm-eabi';
  return `${platform}-${arch}`;
}

/** Addon files in `native/` for this platform: the exact name first, then same OS and CPU. */
function localCandidates(platform: string): string[] {
  if (!existsSync(NATIVE_DIR)) return [];
  const exact = `${BINARY_NAME}.${platform}.node`;
  const prefix = `${BINARY_NAME}.${process.platform}-${process.arch}`;
  const files = readdirSync(NATIVE_DIR).filter(
    (f) => f.endsWith('.node') && (f === `${prefix}.node` || f.startsWith(`${prefix}-`)),
  );
  return files.sort((a, b) => Number(b === exact) - Number(a === exact) || a.localeCompare(b));
}

/** The addon `load` returns, once its exports are checked. */
function checked(load: () => unknown): NativeAddon {
  const addon = load() as Partial<NativeAddon>;
  const missing = EXPORTS.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) throw new Error(`it lacks ${missing.join(', ')} (an older build?)`);
  return addon as NativeAddon;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  const platform = platformName();
  const reasons: string[] = [];

  // 1. The prebuilt platform package.
  const packageName = `${PACKAGE_NAME}-${platform}`;
  try {
    return checked(() => require(packageName));
  } catch (error) {
    const notFound =
      (error as { code?: string }).code === 'MODULE_NOT_FOUND' && messageOf(error).includes(`'${packageName}'`);
    reasons.push(notFound ? `${packageName} is not installed` : `${packageName}: ${messageOf(error)}`);
  }

  // 2. A local build in native/.
  const files = localCandidates(platform);
  if (files.length === 0) {
    reasons.push(`no local build for ${platform} in native/ (\`npm run build:native\` in a clone of the repository)`);
  }
  for (const file of files) {
    try {
      return checked(() => require(NATIVE_DIR + file));
    } catch (error) {
      reasons.push(`native/${file}: ${messageOf(error)}`);
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
