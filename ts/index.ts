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
  RnnCache,
  RnnCaches,
  LstmCache,
  LstmCaches,
  RnnCellGradients,
  RnnGradients,
  LstmCellGradients,
  LstmGradients,
  LstmGateGradients,
} from './api.js';
export { getBackend, setBackend, backendErrors } from './registry.js';
export type { BackendName } from './backend.js';
export type { NDArray, NDArrayLike, NestedArray, ArrayInput } from './ndarray.js';
export type { ErrorCode, RnnError } from './errors.js';
