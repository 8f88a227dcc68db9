/** safetensors files on disk (Node): the neutral functions of safetensors.ts plus file paths. */
import { readFileSync, writeFileSync } from 'node:fs';
import { rangeError } from '../errors.js';
import type { ArrayInput, NDArray } from '../ndarray.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsOptions } from './safetensors.js';

/**
 * The tensors of a safetensors file, from its path or its bytes, as float64 arrays by name
 * (F64, F32, F16, BF16 and the integer dtypes are read). A missing or malformed file throws a
 * RangeError with code ERR_RNN_MODEL_FORMAT naming the file and the problem.
 */
export function loadSafetensors(source: string | Uint8Array | ArrayBuffer): Record<string, NDArray> {
  if (typeof source !== 'string') return decodeSafetensors(source);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw rangeError('ERR_RNN_MODEL_FORMAT', `cannot read safetensors file ${source}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  return decodeSafetensors(bytes, source);
}

/**
 * The tensors as a safetensors file's bytes (F64, or F32 with `{ dtype: 'float32' }`), as
 * `safetensors.torch.save_file` writes them; also written to `path` when one is given.
 * `saveSafetensors(tensors, options)` only returns the bytes.
 */
export function saveSafetensors(
  tensors: Record<string, NDArray | ArrayInput>,
  path?: string | SafetensorsOptions,
  options?: SafetensorsOptions,
): Uint8Array {
  const bytes = encodeSafetensors(tensors, typeof path === 'string' ? options : (path ?? options));
  if (typeof path === 'string') writeFileSync(path, bytes);
  return bytes;
}
