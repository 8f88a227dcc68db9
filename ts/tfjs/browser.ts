/**
 * rnn-wasm's TF.js layers for browsers and bundlers (`rnn-wasm/tfjs`): the same `lstm` and `gru`
 * as the Node entry. They run on the js reference backend until `init()` from `rnn-wasm` has
 * loaded the WebAssembly module (the two entries share one backend registry).
 */
export { lstm, gru, RnnWasmLSTM, RnnWasmGRU, RnnWasmRecurrent } from './layers.js';
export type { LSTMLayerConfig, GRULayerConfig } from './layers.js';
