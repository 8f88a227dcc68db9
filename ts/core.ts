/**
 * The API both entries export (index.ts for Node, browser.ts for browsers and bundlers), all
 * environment-neutral: the notebook functions, the PyTorch-style recurrent layers, models,
 * optimizers, clipping, serialization to JSON text and bytes, and backend control.
 */
export {
  softmax,
  sigmoid,
  rnn_cell_forward,
  rnn_forward,
  rnn_cell_backward,
  rnn_backward,
  lstm_cell_forward,
  lstm_forward,
  lstm_cell_backward,
  lstm_backward,
} from './api.js';
export type {
  Parameters,
  RnnCellGradients,
  RnnGradients,
  LstmCellGradients,
  LstmGradients,
  LstmGateGradients,
} from './api.js';
export type { RnnCache, RnnCaches, LstmCache, LstmCaches } from './caches.js';
export { RNNModel, LSTMModel, GRUModel } from './model/models.js';
export type { AnyModel, ModelOf } from './model/models.js';
export type {
  ModelKind,
  ModelOptions,
  Batch,
  State,
  ClipOptions,
  Gradients,
  SampleOptions,
  ModelDtype,
} from './model/sequence-model.js';
export { SGD, Momentum, Adam, makeOptimizer } from './model/optimizers.js';
export type { Optimizer, ParamSet } from './model/optimizers.js';
export { clipByValue, clipByGlobalNorm, globalNorm } from './model/clipping.js';
export {
  modelToJSON,
  serializeModel,
  parseModel,
  modelToBytes,
  modelFromBytes,
  toNpy,
  npyFiles,
  MODEL_FORMAT,
  MODEL_VERSION,
} from './model/serialize.js';
export type { SavedModel, SavedParameter } from './model/serialize.js';
export { NO_TARGET } from './generated/abi.js';
export { getBackend, setBackend, backendErrors, getThreads } from './registry.js';
export { setThreads } from './threads.js';
export type { BackendName } from './backend.js';
export type { NDArray, NDArrayLike, NestedArray, ArrayInput } from './ndarray.js';
export type { ErrorCode, RnnError } from './errors.js';
export { wasmSimd } from './load-wasm.js';
export type { WasmSource, InitOptions, WasmSimd } from './load-wasm.js';
export { LSTM, GRU, RNN } from './layers/recurrent.js';
export type { RecurrentResult, LSTMResult, RecurrentGradients, LSTMGradients } from './layers/recurrent.js';
export type {
  RecurrentOptions,
  LSTMOptions,
  GRUOptions,
  RNNOptions,
  ForwardOptions,
  LSTMForwardOptions,
  Upstream,
  LSTMUpstream,
} from './layers/options.js';
export type { ActivationOption, GatedActivationOptions, LayerDtype, Float32NDArray, LayerArray } from './layers/options.js';
export type { Activation, ActivationName } from './layers/activations.js';
export { onnxLSTM, onnxGRU, onnxRNN } from './onnx/operators.js';
export type {
  OnnxTensor,
  OnnxSequenceLens,
  OnnxRecurrentInputs,
  OnnxLSTMInputs,
  OnnxGRUInputs,
  OnnxRNNInputs,
  OnnxRecurrentAttributes,
  OnnxLSTMAttributes,
  OnnxGRUAttributes,
  OnnxRNNAttributes,
  OnnxLSTMOutputs,
  OnnxGRUOutputs,
  OnnxRNNOutputs,
} from './onnx/operators.js';
export type {
  KerasLayerConfig,
  KerasRecurrentLayer,
  KerasWeightInput,
  KerasWeights,
  TfjsModel,
  TfjsModelJson,
  TfjsWeightData,
} from './keras/import.js';
