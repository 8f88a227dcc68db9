#!/usr/bin/env node
/**
 * The `rnn-wasm` command: train a character model, sample from it, run the benchmark.
 * Usage mistakes exit with status 2, failures with 1, each with a one-line message.
 */
import { bench } from './bench.js';
import { sample } from './sample.js';
import { train, TRAIN_HELP, trainSettings } from './train.js';
import { UsageError } from './usage.js';

const HELP = `usage: rnn-wasm <command> [options]

commands:
  train [file]      train a character-level model (default corpus: Pokémon names)
  sample <model>    print samples from a trained model
  bench             run the benchmark (bench/run.mjs; needs a repository clone)

rnn-wasm <command> --help shows a command's options.
`;

function run(argv: string[]): number {
  const [command, ...args] = argv;
  switch (command) {
    case 'train': {
      const settings = trainSettings(args);
      if (settings === 'help') process.stdout.write(TRAIN_HELP);
      else train(settings);
      return 0;
    }
    case 'sample':
      sample(args);
      return 0;
    case 'bench':
      return bench(args);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected train, sample or bench (see rnn-wasm --help)`);
  }
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (error) {
  const usage = error instanceof UsageError;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`rnn-wasm: ${usage ? '' : 'error: '}${message}\n`);
  process.exitCode = usage ? 2 : 1;
}
