// The benchmark's peer libraries are optional dependencies, installed into bench/node_modules on
// the first `npm run bench` and absent when the sources are type-checked. Declared here as
// untyped (like brain.js and onnxruntime-node, which load through require) so that their dynamic
// imports check without them; when they are installed, their own types take precedence.
declare module '@tensorflow/tfjs';
declare module '@tensorflow/tfjs-backend-wasm';
