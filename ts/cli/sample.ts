/** `rnn-wasm sample <model>`: text from a saved character model. */
import { setBackend } from '../index.js';
import type { BackendName } from '../backend.js';
import { loadModel } from '../model/files.js';
import { choiceOption, intOption, numberOption, parse, UsageError } from './usage.js';

const SAMPLE_HELP = `rnn-wasm sample <model> [options]

Prints samples from a model saved by rnn-wasm train, one per line.

  --n N                   number of samples (default 10)
  --temperature X         softmax temperature > 0; lower is more conservative (default 0.8)
  --seed N                seed of the sampler (default 0)
  --max-length N          characters per sample at most (default 40)
  --backend NAME          js, wasm or native (default: the fastest available)
`;

const OPTIONS = {
  n: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  'max-length': { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function sample(args: string[]): void {
  const { values: v, positionals } = parse(args, OPTIONS, 'sample');
  if (v.help) {
    process.stdout.write(SAMPLE_HELP);
    return;
  }
  if (positionals.length !== 1) throw new UsageError('sample needs exactly one model file: rnn-wasm sample <model>');
  const n = intOption(v.n, 'n', 10, 1, 100_000);
  const temperature = numberOption(v.temperature, 'temperature', 0.8, 0, 100);
  const seed = intOption(v.seed, 'seed', 0, 0, 2 ** 32 - 1);
  const maxLength = intOption(v['max-length'], 'max-length', 40, 1, 1_000_000);
  if (v.backend !== undefined) setBackend(choiceOption(v.backend, 'backend', 'wasm', ['js', 'wasm', 'native'] as BackendName[]));
  const model = loadModel(positionals[0]);
  if (!model.vocabulary) {
    throw new UsageError(`${positionals[0]} is a model without a vocabulary, not a character model from rnn-wasm train`);
  }
  for (const text of model.sampleText({ n, temperature, seed, maxLength })) console.log(text);
}
