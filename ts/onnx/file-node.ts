/** .onnx files on disk (Node): file.ts's reader plus file paths. */
import { readFileSync } from 'node:fs';
import { rangeError } from '../errors.js';
import { decodeOnnx, type OnnxModel } from './file.js';

export { OnnxModel, type OnnxAttribute, type OnnxInitializer, type OnnxNodeRef, type OnnxRecurrentNode, type OnnxRunResult } from './file.js';

/**
 * A model from an .onnx file's path or bytes: its LSTM, GRU and RNN nodes, to inspect
 * (`recurrentNodes()`), run (`run`) or turn into layers (`toLayer`). A missing or malformed
 * file throws a RangeError with code ERR_RNN_MODEL_FORMAT naming the file and the problem.
 */
export function loadOnnx(source: string | Uint8Array | ArrayBuffer): OnnxModel {
  if (typeof source !== 'string') return decodeOnnx(source);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw rangeError('ERR_RNN_MODEL_FORMAT', `cannot read ONNX file ${source}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  return decodeOnnx(bytes, source);
}
