// esbuild does not follow `new URL(…, import.meta.url)`: the app imports the package's module
// file by the name its exports map gives it, "rnn-wasm/wasm/rnn_wasm.wasm", with the `file`
// loader (which copies it next to the bundle and gives its URL), and hands that URL to `init`.
import wasmUrl from 'rnn-wasm/wasm/rnn_wasm.wasm';
import { run } from './parity.js';

void run('esbuild', new URL(wasmUrl, import.meta.url));
