// esbuild does not follow `new URL(…, import.meta.url)`: the app imports the module with the
// `file` loader (which copies it next to the bundle and gives its URL) and hands that URL to
// `init`. The package's exports map does not list the .wasm file, so the build aliases
// "rnn-wasm-module" to node_modules/rnn-wasm/wasm/rnn_wasm.wasm (see ../run.mjs).
import wasmUrl from 'rnn-wasm-module';
import { run } from './parity.js';

void run('esbuild', new URL(wasmUrl, import.meta.url));
