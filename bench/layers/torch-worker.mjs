/**
 * The PyTorch side of the layer benchmark: a long-lived `py/layerbench.py` process that answers
 * one JSON request per line, so that its calls can be timed (in that process) between the
 * JavaScript systems' calls, round after round.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts the worker on `dataDir` (manifest.json and the raw files it names); resolves to
 * `{ meta, request, close }` once PyTorch has loaded and warmed up, or rejects.
 */
export function startTorchWorker(python, script, dataDir) {
  const child = spawn(python, [script, dataDir], {
    // One thread everywhere: BLAS and OpenMP as well as torch.set_num_threads(1) in the script.
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  /** @type {Array<{ resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const waiting = [];
  let exited = null;
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (!next) return;
    try {
      next.resolve(JSON.parse(line));
    } catch {
      next.reject(new Error(`layerbench.py replied with something other than JSON: ${line.slice(0, 200)}`));
    }
  });
  const fail = (why) => {
    exited = why;
    for (const w of waiting.splice(0)) w.reject(new Error(why));
  };
  child.on('error', (error) => fail(`layerbench.py did not start (${error.message})`));
  child.on('exit', (code, signal) => fail(`layerbench.py exited (code ${code}, signal ${signal})`));

  const nextReply = () =>
    new Promise((resolve, reject) => {
      if (exited) reject(new Error(exited));
      else waiting.push({ resolve, reject });
    });
  /** Sends one request; resolves to its reply, rejects when the reply says it failed. */
  const request = async (req) => {
    const pending = nextReply();
    child.stdin.write(`${JSON.stringify(req)}\n`);
    const r = await pending;
    if (!r.ok) throw new Error(`PyTorch ${req.cmd} ${req.case ?? ''}: ${r.error}`);
    return r;
  };
  const close = async () => {
    if (!exited) {
      try {
        await request({ cmd: 'quit' });
      } catch {
        // already gone
      }
    }
    child.stdin.end();
  };
  return nextReply().then((hello) => {
    if (!hello.ready) throw new Error('layerbench.py did not report ready');
    return { meta: hello.meta, request, close };
  });
}
