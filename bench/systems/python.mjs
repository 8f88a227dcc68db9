/**
 * The Python systems (the notebook's NumPy code; PyTorch), each timed inside its own
 * `python` subprocess by py/pybench.py, which prints its results as JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const encode = (nd) => ({ shape: nd.shape, data: Array.from(nd.data) });

/** Inputs as JSON (small workloads only: S), so Python runs exactly the same numbers. */
export function encodeInputs(inp) {
  const params = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, encode(v)]));
  return { x: encode(inp.x), a0: encode(inp.a0), da: encode(inp.da), rnn: params(inp.rnn), lstm: params(inp.lstm) };
}

/**
 * Runs py/pybench.py with `config`; returns its parsed output, or `{ error }`. `env` adds
 * variables (thread counts) for the child.
 */
export function runPyBench(python, script, config, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve) => {
    const child = spawn(python, [script, file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', (error) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ error: error.message });
    });
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ error: `exit code ${code}, no JSON result` });
      }
    });
  });
}
