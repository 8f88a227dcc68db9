// The demo's worker: everything heavy happens here, off the page's main thread.
// `serveTraining()` answers the requests `trainInWorker` posts from main.js; the page's own
// messages (tagged `demo`) ask which backend the worker runs on and sample names from the
// trained model, so even parsing the model and sampling never block the page.
import { getBackend, init } from 'rnn-wasm';
import { sampleText, serveTraining } from 'rnn-wasm/worker';

serveTraining();

self.addEventListener('message', (event) => {
  const message = event.data;
  if (message === null || typeof message !== 'object' || message.source !== 'demo') return;
  const reply = (body) => self.postMessage({ source: 'demo', id: message.id, ...body });
  // init() is the same promise serveTraining waits for; without WebAssembly the js backend runs.
  init()
    .catch(() => undefined)
    .then(() => {
      if (message.type === 'hello') {
        reply({ backend: getBackend() });
      } else if (message.type === 'sample') {
        reply({ names: sampleText(message.model, message.vocabulary, message.options) });
      }
    })
    .catch((error) => reply({ error: error instanceof Error ? error.message : String(error) }));
});
