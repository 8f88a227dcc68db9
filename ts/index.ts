/**
 * rnn-wasm: the classic NumPy RNN/LSTM notebook API (forward and backward, float64) on a Rust
 * core compiled to WebAssembly, with a plain TypeScript reference backend.
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
export { RNNModel, LSTMModel } from './model/models.js';
export type {
  ModelKind,
  ModelOptions,
  Batch,
  State,
  ClipOptions,
  Gradients,
  SampleOptions,
} from './model/sequence-model.js';
export { SGD, Momentum, Adam, makeOptimizer } from './model/optimizers.js';
export type { Optimizer, ParamSet } from './model/optimizers.js';
export { clipByValue, clipByGlobalNorm, globalNorm } from './model/clipping.js';
export { modelToJSON, serializeModel, parseModel, toNpy, npyFiles, MODEL_FORMAT, MODEL_VERSION } from './model/serialize.js';
export type { SavedModel, SavedParameter } from './model/serialize.js';
export { saveModel, loadModel, exportNpy } from './model/files.js';
export { NO_TARGET } from './generated/abi.js';
export { getBackend, setBackend, backendErrors, getThreads } from './registry.js';
export { setThreads } from './threads.js';
export type { BackendName } from './backend.js';
export type { NDArray, NDArrayLike, NestedArray, ArrayInput } from './ndarray.js';
export type { ErrorCode, RnnError } from './errors.js';
