// Vite: `init()` with no argument; Vite emits the package's wasm/rnn_wasm.wasm as an asset from
// the `new URL('../wasm/rnn_wasm.wasm', import.meta.url)` in the package's browser entry.
import { run } from './parity.js';

void run('vite');
