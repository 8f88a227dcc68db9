// The benchmark's peer libraries are optional dependencies, installed into bench/node_modules on
// the first `npm run bench` and absent when the sources are type-checked. Declared here as
// untyped so that their imports (dynamic, or `const x = require(...)`, which the checker resolves
// like an import) check without them; when they are installed, their own types take precedence.
// (brain.js and systems/onnxruntime.mjs load through a `require` the checker does not follow.)
declare module '@tensorflow/tfjs';
declare module '@tensorflow/tfjs-backend-wasm';
declare module 'onnxruntime-node';
declare module 'onnxruntime-node/package.json';
