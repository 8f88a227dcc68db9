/**
 * `rnn-wasm/onnx` in Node: .onnx files from a path or bytes, on the Node entry's backends
 * (loaded by importing it). Its own entry so that the protobuf decoder (protobufjs) is loaded
 * only by code that reads ONNX files.
 */
import './index.js';

export { loadOnnx } from './onnx/file-node.js';
export { OnnxModel } from './onnx/file.js';
export type { OnnxAttribute, OnnxInitializer, OnnxNodeRef, OnnxRecurrentNode, OnnxRunResult } from './onnx/file.js';
