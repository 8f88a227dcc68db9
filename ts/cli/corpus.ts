/**
 * The CLI's corpus: the lines from a file or the `pokemon` package, prepared by the
 * environment-neutral text/corpus.ts (re-exported here), whose errors become usage errors.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { makeCorpus as prepare, type Corpus } from '../text/corpus.js';
import { UsageError } from './usage.js';

export {
  END,
  tokenizer,
  streamBatches,
  exampleBatches,
  heldOutBatches,
  longestExample,
  unigramLoss,
  type Corpus,
} from '../text/corpus.js';

/** The default corpus: the English Pokémon names the `pokemon` package ships (MIT). */
export function defaultCorpusLines(): { lines: string[]; source: string } {
  const require = createRequire(import.meta.url);
  const path = require.resolve('pokemon/data/en.json');
  return { lines: JSON.parse(readFileSync(path, 'utf8')) as string[], source: 'pokemon names (npm package pokemon, MIT)' };
}

export function readCorpusFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(error);
    throw new UsageError(`cannot read training file ${path}: ${why}`);
  }
  return text.split('\n');
}

/** `text/corpus.ts`'s `makeCorpus`, its error (no non-empty line) a usage error. */
export function makeCorpus(lines: string[], source: string, heldOutShare: number, seed: number): Corpus {
  try {
    return prepare(lines, source, heldOutShare, seed);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_RNN_VALUE') throw new UsageError((error as Error).message);
    throw error;
  }
}
