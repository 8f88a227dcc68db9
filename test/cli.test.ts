/**
 * The `rnn-wasm` command end to end as a child process (the built `dist/cli/main.js`, as the
 * package's bin runs it): training on a tiny corpus writes a model, samples and the plot;
 * sampling reads the model back; bad input exits non-zero with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRUModel, loadModel } from '../ts/index.js';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const NAMES = ['Ada', 'Bea', 'Cleo', 'Dana', 'Edda', 'Fia', 'Gala', 'Hana', 'Ida', 'Jada', 'Kara', 'Lea', 'Mia', 'Nala'];

let dir: string;
const path = (name: string) => join(dir, name);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Reads a float64 `.npy` file (format 1.0) without NumPy: shape and data. */
function readNpy(bytes: Buffer): { shape: number[]; data: Float64Array } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect((10 + headerLength) % 64).toBe(0);
  expect(header).toMatch(/'descr': '<f8', 'fortran_order': False/);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLength);
  const data = new Float64Array(body.length / 8).map((_, i) => body.readDoubleLE(i * 8));
  return { shape, data };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-cli-'));
  writeFileSync(path('names.txt'), NAMES.join('\n') + '\n');
  writeFileSync(path('empty.txt'), '\n  \n');
  writeFileSync(path('not-a-model.json'), JSON.stringify({ hello: 'world' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rnn-wasm train and sample on a tiny corpus', () => {
  const train = ['train', 'names.txt', '--steps', '40', '--hidden', '8', '--batch', '4', '--seq', '6'];
  const outputs = ['--out', 'tiny.json', '--npy', 'weights', '--sample-every', '20', '--seed', '3', '--backend', 'wasm'];
  let first: ReturnType<typeof cli>;

  beforeAll(() => {
    first = cli(...train, ...outputs);
  });

  it('trains, reports held-out and unigram loss and throughput, and writes the model and the plot', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/4 examples per step/);
    expect(first.stdout).toMatch(/unigram baseline: \d+\.\d+ nats\/char held-out/);
    expect(first.stdout).toMatch(/step 20: loss \d+\.\d+, held-out \d+\.\d+ \| /);
    expect(first.stdout).toMatch(/held-out loss \d+\.\d+ nats\/char vs unigram \d+\.\d+; 40 steps, .* chars\/s, backend wasm/);
    expect(first.stdout).toMatch(/samples \(temperature 0\.8\): /);
    const model = loadModel(path('tiny.json'), 'lstm');
    expect(model.n_a).toBe(8);
    expect(model.vocabulary).toEqual(['\n', ...new Set(NAMES.join(''))].sort((a, b) => (a === '\n' ? -1 : b === '\n' ? 1 : a < b ? -1 : 1)));
    const svg = readFileSync(path('tiny-loss.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('writes each weight as .npy under the notebook names, equal to the saved model', () => {
    const model = loadModel(path('tiny.json'));
    for (const [name, array] of Object.entries(model.notebookParameters())) {
      const npy = readNpy(readFileSync(path(`weights/${name}.npy`)));
      expect(npy.shape, name).toEqual(array.shape);
      expect(npy.data, name).toEqual(array.data);
    }
  });

  it('trains in streams mode too, carrying the state across steps', () => {
    const r = cli(...train, '--batching', 'streams', '--out', 'streams.json', '--seed', '3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/4 streams of 6 chars per step/);
    expect(loadModel(path('streams.json'), 'lstm').n_a).toBe(8);
  });

  it('is deterministic for a seed', () => {
    const again = cli(...train, ...outputs.map((a) => (a === 'tiny.json' ? 'tiny2.json' : a)));
    expect(again.status).toBe(0);
    expect(readFileSync(path('tiny2.json'), 'utf8')).toBe(readFileSync(path('tiny.json'), 'utf8'));
  });

  it('samples from the saved model, reproducibly', () => {
    const r = cli('sample', 'tiny.json', '--n', '5', '--temperature', '0.5', '--seed', '2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(5);
    const alphabet = new Set(NAMES.join(''));
    for (const line of lines) for (const ch of line) expect(alphabet.has(ch)).toBe(true);
    expect(cli('sample', 'tiny.json', '--n', '5', '--temperature', '0.5', '--seed', '2').stdout).toBe(r.stdout);
  });
});

describe('rnn-wasm train --model gru --layers 2', () => {
  // The js backend: the reference, on which the layer kernels always run.
  const args = ['train', 'names.txt', '--model', 'gru', '--layers', '2', '--steps', '6', '--hidden', '6', '--batch', '4', '--backend', 'js'];
  let r: ReturnType<typeof cli>;

  beforeAll(() => {
    r = cli(...args, '--out', 'gru2.json', '--npy', 'gru-weights', '--sample-every', '3', '--seed', '2');
  });

  it('trains a few steps and saves a two-layer GRU model', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rnn-wasm train: GRU n_a=6 ×2 layers on /);
    expect(r.stdout).toMatch(/step 6: loss \d+\.\d+, held-out \d+\.\d+ \| /);
    const model = loadModel(path('gru2.json'), 'gru');
    expect(model).toBeInstanceOf(GRUModel);
    expect([model.layers, model.n_a]).toEqual([2, 6]);
    expect(JSON.parse(readFileSync(path('gru2.json'), 'utf8'))).toMatchObject({ version: 2, kind: 'gru', layers: 2 });
  });

  it('writes each weight as .npy under PyTorch state-dict names, then Wy and by', () => {
    const model = loadModel(path('gru2.json'));
    const named = model.namedParameters();
    expect(Object.keys(named)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1', 'Wy', 'by']);
    for (const [name, array] of Object.entries(named)) {
      const npy = readNpy(readFileSync(path(`gru-weights/${name}.npy`)));
      expect(npy.shape, name).toEqual(array.shape);
      expect(npy.data, name).toEqual(array.data);
    }
  });

  it('samples from the saved model', () => {
    const s = cli('sample', 'gru2.json', '--n', '3', '--seed', '1', '--backend', 'js');
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(s.stdout.split('\n').slice(0, -1)).toHaveLength(3);
  });

  it('lists --model gru and --layers in its help', () => {
    const help = cli('train', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--model rnn\|lstm\|gru/);
    expect(help.stdout).toMatch(/--layers N +stacked recurrent layers \(default 1\)/);
  });
});

describe('rnn-wasm rejects bad input with a clear message and a non-zero exit', () => {
  it.each([
    [['train', 'missing.txt'], 2, /cannot read training file missing\.txt: no such file/],
    [['train', 'empty.txt'], 2, /has no non-empty lines/],
    [['train', '--steps', '0'], 2, /--steps must be an integer from 1 to/],
    [['train', '--lr=-1'], 2, /--lr must be a number in \(0, 10\]/],
    [['train', '--lr', 'fast'], 2, /--lr must be a number/],
    [['train', '--model', 'cnn'], 2, /--model must be one of rnn, lstm, gru; got "cnn"/],
    [['train', '--layers', '0'], 2, /--layers must be an integer from 1 to 64; got "0"/],
    [['train', '--layers', 'two'], 2, /--layers must be an integer from 1 to 64; got "two"/],
    [['train', '--layers', '1.5'], 2, /--layers must be an integer/],
    [['train', '--backend', 'gpu'], 2, /--backend must be one of js, wasm, native/],
    [['train', '--out', 'no/such/dir/m.json'], 2, /the output directory no\/such\/dir does not exist/],
    [['train', '--batching', 'words'], 2, /--batching must be one of examples, streams/],
    [['train', '--bogus'], 2, /train: Unknown option '--bogus'/],
    [['train', 'a.txt', 'b.txt'], 2, /at most one file/],
    [['sample'], 2, /exactly one model file/],
    [['sample', 'nowhere.json'], 1, /cannot read model file nowhere\.json: no such file/],
    [['sample', 'names.txt'], 1, /names\.txt: not valid JSON/],
    [['sample', 'not-a-model.json'], 1, /not an rnn-wasm model/],
    [['sample', 'tiny.json', '--temperature', '0'], 2, /--temperature must be a number in \(0, 100\]/],
    [['sample', 'tiny.json', '--n', '2.5'], 2, /--n must be an integer/],
    [['fly'], 2, /unknown command "fly"/],
    [[], 2, /usage: rnn-wasm <command>/],
  ])('rnn-wasm %j', (args, status, message) => {
    const r = cli(...args);
    expect(r.status).toBe(status);
    expect(r.stderr + r.stdout).toMatch(message);
    expect(r.stderr + r.stdout).not.toMatch(/ {4}at /); // a message, not a stack trace
  });

  it('rejects a model file of the wrong kind or version', () => {
    const doc = JSON.parse(readFileSync(path('tiny.json'), 'utf8'));
    writeFileSync(path('v3.json'), JSON.stringify({ ...doc, version: 3 }));
    writeFileSync(path('gru.json'), JSON.stringify({ ...doc, kind: 'gru' }));
    const W = doc.parameters.W;
    writeFileSync(path('short.json'), JSON.stringify({ ...doc, parameters: { ...doc.parameters, W: { ...W, data: W.data.slice(1) } } }));
    expect(cli('sample', 'v3.json').stderr).toMatch(/unsupported model version 3/);
    expect(cli('sample', 'gru.json').stderr).toMatch(/kind must be "rnn" or "lstm"/);
    expect(cli('sample', 'short.json').stderr).toMatch(/parameter W must have \d+ numbers/);
    expect(existsSync(path('tiny.json'))).toBe(true);
  });
});
