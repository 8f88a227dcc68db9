/**
 * rnn-wasm: the classic NumPy RNN/LSTM notebook API (forward and backward, float64) on a Rust
 * core compiled to WebAssembly, with a plain TypeScript reference backend.
 *
 * The Node entry: the shared API (core.ts), the native backend and the wasm module loaded at
 * import, `init`, and the file functions. Browsers and bundlers get browser.ts instead.
 */
export { init } from './node-backends.js';
export * from './core.js';
export { saveModel, loadModel, exportNpy } from './model/files.js';
export { loadSafetensors, saveSafetensors } from './layers/safetensors-node.js';
export type { SafetensorsOptions } from './layers/safetensors.js';
export { fromKeras, kerasLayer, loadTfjsModel } from './keras/import-node.js';
