/**
 * rnn-wasm's TF.js layers, Node entry (`rnn-wasm/tfjs`): `lstm(config)` and `gru(config)`, drop-ins
 * for `tf.layers.lstm` / `tf.layers.gru`. Loads the Node backends (native, else wasm) at import,
 * as the package root does, so the layers run on the fast kernels without another import.
 * `@tensorflow/tfjs` is a peer dependency: this entry imports it, the package root never does.
 */
import '../node-backends.js';

export { lstm, gru, RnnWasmLSTM, RnnWasmGRU, RnnWasmRecurrent } from './layers.js';
export type { LSTMLayerConfig, GRULayerConfig } from './layers.js';
