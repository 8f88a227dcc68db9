/**
 * Corpus preparation for `rnn-wasm train`: the split, the batches (every training character
 * is a target exactly once per pass, inputs lead targets by one), held-out batching and the
 * unigram baseline.
 */
import { describe, expect, it } from 'vitest';
import {
  END,
  exampleBatches,
  heldOutBatches,
  makeCorpus,
  streamBatches,
  tokenizer,
  unigramLoss,
} from '../ts/cli/corpus.js';
import { seededRandom } from '../ts/model/random.js';
import { LSTMModel } from '../ts/index.js';

const NAMES = ['Ada', 'Bea', 'Cleo', 'Dana', 'Edda', 'Fia', 'Gala', 'Hana', 'Ida', 'Jada', 'Kara', 'Lea', 'Mia', 'Nala', 'Ola'];
const corpus = makeCorpus(['', ...NAMES, '  ', 'Pia\r'], 'test', 0.2, 5);

/** The target characters of a batch, per column, padding dropped. */
function columns(b: { targets: number[]; T: number; m: number }, vocab: string[]): string[] {
  return Array.from({ length: b.m }, (_, j) =>
    Array.from({ length: b.T }, (_, t) => b.targets[t * b.m + j])
      .filter((k) => k >= 0)
      .map((k) => vocab[k])
      .join(''),
  );
}

describe('corpus', () => {
  it('drops blank lines and carriage returns, holds out a share, puts the end marker first', () => {
    expect(corpus.train.length + corpus.heldOut.length).toBe(16);
    expect(corpus.heldOut).toHaveLength(3);
    expect([...corpus.train, ...corpus.heldOut].sort()).toEqual([...NAMES, 'Pia'].sort());
    expect(corpus.vocabulary[0]).toBe(END);
    expect(corpus.vocabulary).not.toContain('\r');
  });

  it('example batches hold each training example once per pass, inputs one step behind targets', () => {
    const batches = [...exampleBatches(corpus, 4, seededRandom(1))];
    const seen = batches.flatMap((b) => columns(b, corpus.vocabulary));
    expect(seen.sort()).toEqual(corpus.train.map((e) => e + END).sort());
    for (const b of batches) {
      for (let t = 1; t < b.T; t++) {
        for (let j = 0; j < b.m; j++) if (b.tokens[t * b.m + j] >= 0) expect(b.tokens[t * b.m + j]).toBe(b.targets[(t - 1) * b.m + j]);
      }
      expect(b.chars).toBe(b.targets.filter((k) => k >= 0).length);
    }
  });

  it('stream batches continue each stream from one batch to the next', () => {
    const encode = tokenizer(corpus.vocabulary);
    const batches = [...streamBatches(corpus, 3, 4, seededRandom(2))];
    const streams = ['', '', ''];
    for (const b of batches) columns(b, corpus.vocabulary).forEach((c, j) => (streams[j] += c));
    const text = streams.join('');
    // The streams, end to end, are the pass's text: every example followed by the end marker,
    // except that the last fewer-than-m characters, which do not fill a stream, wait for the
    // next pass (in a new order).
    const total = corpus.train.reduce((n, e) => n + e.length + 1, 0);
    expect(text.length).toBeGreaterThan(total - 3);
    expect(text.length).toBeLessThanOrEqual(total);
    const whole = corpus.train.filter((e) => text.includes(END + e + END) || text.startsWith(e + END));
    expect(whole.length).toBeGreaterThanOrEqual(corpus.train.length - 1);
    expect(encode(text).every((k) => k >= 0)).toBe(true);
  });

  it('held-out loss over small batches equals the loss over one batch', () => {
    const model = new LSTMModel({ n_x: corpus.vocabulary.length, n_a: 5, n_y: corpus.vocabulary.length, seed: 2 });
    const mean = (size: number) => {
      let [sum, count] = [0, 0];
      for (const b of heldOutBatches(corpus, size)) {
        const r = model.evaluate(b);
        [sum, count] = [sum + r.loss * r.count, count + r.count];
      }
      return sum / count;
    };
    expect(heldOutBatches(corpus, 2)).toHaveLength(2);
    expect(mean(2)).toBeCloseTo(mean(1000), 12);
  });

  it('the unigram baseline is the add-one smoothed cross-entropy of the characters', () => {
    const tiny = makeCorpus(['ab', 'a'], 'tiny', 0, 1);
    // Training text "ab\na\n": counts a 2, b 1, \n 2, plus one each: a 3, b 2, \n 3 of 8.
    const want = -(2 * Math.log(3 / 8) + Math.log(2 / 8) + 2 * Math.log(3 / 8)) / 5;
    expect(unigramLoss(tiny).train).toBeCloseTo(want, 14);
    expect(unigramLoss(tiny).heldOut).toBeUndefined();
  });
});
