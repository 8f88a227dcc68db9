/**
 * The backend contract: every backend runs the kernels of `generated/abi.ts` over flat
 * time-major buffers, through one generic `run`.
 *
 * The public API (api.ts) validates and converts the caller's arrays, then makes exactly one
 * backend call per sequence. Time-indexed buffers are `[T][rows][m]` (see layout.ts); weights
 * are C-ordered; the LSTM's four gate weights are fused row-wise in the order f, i, c, o into
 * one `(4·n_a) × (n_a+n_x)` matrix acting on `[a_prev; x_t]`, its biases into one `4·n_a` vector.
 *
 * A kernel's dimensions, inputs and outputs are passed by the names `KERNELS` gives them; the
 * wasm and native backends turn them into the boundary's argument order from that table, so
 * adding a kernel adds no code here or in those backends.
 *
 * Inputs may arrive as a list of blocks that concatenate to the buffer (per-step cache arrays,
 * the four gate weights): a backend copies them once into wherever it computes, so the API
 * layer never builds an intermediate copy. Outputs are written into arrays the caller
 * provides, so one allocation can serve all outputs of a call (see outputs.ts).
 */
import type { DimName, InputName, KernelName, OutputName } from './generated/abi.js';
import { unfilledFloat64Array } from './outputs.js';

export type BackendName = 'native' | 'wasm' | 'js';

/** A buffer, or consecutive blocks whose concatenation is the buffer. */
export type Blocks = Float64Array | readonly Float64Array[];

/** Kernel `K`'s dimensions by name, e.g. `{ rows, cols }` for `softmax`. */
export type KernelDims<K extends KernelName> = Readonly<Record<DimName<K>, number>>;
/** Kernel `K`'s inputs by name. */
export type KernelInputs<K extends KernelName> = Readonly<Record<InputName<K>, Blocks>>;
/** Kernel `K`'s outputs by name, each exactly as long as the kernel writes it. */
export type KernelOutputs<K extends KernelName> = Readonly<Record<OutputName<K>, Float64Array>>;

export interface Backend {
  readonly name: BackendName;
  /** Threads one call may use (backends without threads leave it out: one). */
  threads?(): number;
  /** The most memory one call may take for its outputs; larger calls get ERR_RNN_SIZE. */
  readonly maxCallBytes: number;
  /**
   * Called with the one fresh buffer holding all outputs of a call, before anything is written
   * to it (native: asks the OS for huge pages, so the first writes fault far less often).
   */
  prepareOutputs?(buffer: Float64Array): void;
  /**
   * Runs `kernel` (see `KERNELS` in generated/abi.ts and the kernel's doc in rnn-core): reads
   * `inputs`, writes every element of every output. `output_backward` validates its targets
   * too; a backend that meets an invalid one throws instead of guessing.
   */
  run<K extends KernelName>(kernel: K, dims: KernelDims<K>, inputs: KernelInputs<K>, outputs: KernelOutputs<K>): void;
}

/** Copies `blocks` one after another into `dest` from `offset`. */
export function copyBlocks(blocks: Blocks, dest: Float64Array, offset = 0): void {
  if (blocks instanceof Float64Array) {
    dest.set(blocks, offset);
    return;
  }
  for (const block of blocks) {
    dest.set(block, offset);
    offset += block.length;
  }
}

export function blocksLength(blocks: Blocks): number {
  if (blocks instanceof Float64Array) return blocks.length;
  let n = 0;
  for (const block of blocks) n += block.length;
  return n;
}

/**
 * The blocks as one contiguous buffer: a view when they already lie one after another in one
 * buffer (as most step caches of a forward pass do), else a copy. Backends only read it.
 */
export function concatBlocks(blocks: Blocks): Float64Array {
  if (blocks instanceof Float64Array) return blocks;
  const joined = adjacentView(blocks);
  if (joined) return joined;
  const out = unfilledFloat64Array(blocksLength(blocks));
  copyBlocks(blocks, out);
  return out;
}

/** One view over `blocks` when each starts where the one before it ends, in the same buffer. */
function adjacentView(blocks: readonly Float64Array[]): Float64Array | null {
  if (blocks.length === 0) return null;
  const { buffer, byteOffset } = blocks[0];
  let end = byteOffset;
  for (const block of blocks) {
    if (block.buffer !== buffer || block.byteOffset !== end) return null;
    end += block.byteLength;
  }
  return new Float64Array(buffer, byteOffset, (end - byteOffset) / Float64Array.BYTES_PER_ELEMENT);
}
