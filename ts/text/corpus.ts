/**
 * A corpus of short examples (one per line) prepared for a character-level model, in any
 * environment (the CLI reads the lines from files; the worker gets them from the page): the
 * vocabulary, a held-out share of the examples, the training text as parallel streams, the
 * held-out examples as one padded batch, and a unigram baseline.
 *
 * Every example ends with '\n', which is token 0: it marks both "start a new example" (as an
 * input) and "the example is over" (as a target), so sampling starts from '\n' and stops at it.
 */
import { rangeError } from '../errors.js';
import { seededRandom, type Random } from '../model/random.js';

export const END = '\n';

export interface Corpus {
  source: string;
  vocabulary: string[];
  train: string[];
  heldOut: string[];
}

function shuffle<T>(items: T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Splits `lines` (blank ones dropped) into training and held-out examples; no non-empty line
 * is an ERR_RNN_VALUE error.
 */
export function makeCorpus(lines: string[], source: string, heldOutShare: number, seed: number): Corpus {
  const examples = lines.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (examples.length === 0) throw rangeError('ERR_RNN_VALUE', `the training data (${source}) has no non-empty lines`);
  const shuffled = shuffle(examples, seededRandom(seed));
  // With fewer than 2 examples nothing can be held out and still leave data to train on.
  const nHeld = examples.length < 2 ? 0 : Math.min(examples.length - 1, Math.round(heldOutShare * examples.length));
  const chars = new Set(examples.join(''));
  chars.delete(END);
  return {
    source,
    vocabulary: [END, ...[...chars].sort()],
    heldOut: shuffled.slice(0, nHeld),
    train: shuffled.slice(nHeld),
  };
}

export function tokenizer(vocabulary: readonly string[]): (text: string) => number[] {
  const index = new Map(vocabulary.map((c, i) => [c, i]));
  return (text) => [...text].map((c) => index.get(c)!);
}

/**
 * One pass over the training examples in a fresh seeded order, as `m` parallel streams cut
 * into chunks of `T` steps: chunk k of stream j continues where chunk k−1 ended, so a model
 * that carries its state across chunks sees each stream as one long text. The last fewer than
 * `m` characters, too few to lengthen every stream, are left for the next pass.
 */
export function* streamBatches(
  corpus: Corpus,
  m: number,
  T: number,
  random: Random,
): Generator<{ tokens: number[]; targets: number[]; T: number; m: number; chars: number }, void, undefined> {
  const encode = tokenizer(corpus.vocabulary);
  const text = encode(END + shuffle(corpus.train, random).join(END) + END);
  const width = Math.max(1, Math.min(m, Math.floor((text.length - 1) / 2)));
  const length = Math.floor((text.length - 1) / width); // each stream has length + 1 tokens
  for (let start = 0; start < length; start += T) {
    const steps = Math.min(T, length - start);
    const tokens = new Array<number>(steps * width);
    const targets = new Array<number>(steps * width);
    for (let t = 0; t < steps; t++) {
      for (let j = 0; j < width; j++) {
        const at = j * length + start + t;
        tokens[t * width + j] = text[at];
        targets[t * width + j] = text[at + 1];
      }
    }
    yield { tokens, targets, T: steps, m: width, chars: steps * width };
  }
}

/** Examples from '\n' to their closing '\n' as one batch, each a column, padded with -1. */
function paddedBatch(examples: string[], encode: (text: string) => number[]) {
  const seqs = examples.map((e) => encode(END + e + END));
  const m = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length)) - 1;
  const tokens = new Array<number>(T * m).fill(-1);
  const targets = new Array<number>(T * m).fill(-1);
  seqs.forEach((s, j) => {
    for (let t = 0; t + 1 < s.length; t++) {
      tokens[t * m + j] = s[t];
      targets[t * m + j] = s[t + 1];
    }
  });
  return { tokens, targets, T, m, chars: seqs.reduce((n, s) => n + s.length - 1, 0) };
}

/**
 * One pass over the training examples in a fresh seeded order, `m` whole examples per batch,
 * each read from a zero state: exactly how the held-out loss is measured and how sampling
 * starts. `chars` counts real characters (padding excluded).
 */
export function* exampleBatches(
  corpus: Corpus,
  m: number,
  random: Random,
): Generator<{ tokens: number[]; targets: number[]; T: number; m: number; chars: number }, void, undefined> {
  const encode = tokenizer(corpus.vocabulary);
  const order = shuffle(corpus.train, random);
  for (let i = 0; i < order.length; i += m) yield paddedBatch(order.slice(i, i + m), encode);
}

/**
 * The held-out examples as batches of at most `size` (see `exampleBatches`): one batch for all
 * of a large file would need its whole one-hot input in memory at once.
 */
export function heldOutBatches(corpus: Corpus, size = 256) {
  const encode = tokenizer(corpus.vocabulary);
  const batches = [];
  for (let i = 0; i < corpus.heldOut.length; i += size) batches.push(paddedBatch(corpus.heldOut.slice(i, i + size), encode));
  return batches;
}

/** The longest example in characters. */
export function longestExample(corpus: Corpus): number {
  return Math.max(0, ...[...corpus.train, ...corpus.heldOut].map((e) => [...e].length));
}

/**
 * Per-character cross-entropy (nats) of the held-out examples under the training text's
 * character frequencies (add-one smoothed): the baseline a sequence model must beat.
 */
export function unigramLoss(corpus: Corpus): { heldOut: number | undefined; train: number } {
  const counts = new Map<string, number>(corpus.vocabulary.map((c) => [c, 1]));
  let total = corpus.vocabulary.length;
  for (const e of corpus.train) {
    for (const c of e + END) {
      counts.set(c, counts.get(c)! + 1);
      total += 1;
    }
  }
  const loss = (examples: string[]) => {
    let sum = 0;
    let n = 0;
    for (const e of examples) {
      for (const c of e + END) {
        sum -= Math.log(counts.get(c)! / total);
        n += 1;
      }
    }
    return sum / n;
  };
  return { heldOut: corpus.heldOut.length ? loss(corpus.heldOut) : undefined, train: loss(corpus.train) };
}
