/**
 * `rnn-wasm/onnx` for browsers and bundlers: .onnx files from bytes (`init()` of the main entry
 * selects the wasm backend). Its own entry so that the protobuf decoder (protobufjs) is bundled
 * only into code that reads ONNX files.
 */
export { OnnxModel, loadOnnx } from './onnx/file.js';
export type { OnnxAttribute, OnnxInitializer, OnnxNodeRef, OnnxRecurrentNode, OnnxRunResult } from './onnx/file.js';
