/**
 * concatBlocks: the per-step cache blocks a backward pass receives become one buffer, without a
 * copy when the blocks already lie one after another in one buffer.
 */
import { describe, expect, test } from 'vitest';
import { concatBlocks } from '../ts/backend.js';
import { lstm_forward } from '../ts/index.js';
import { lstmParams, makeRng, randn, type Dims } from './helpers.js';

describe('concatBlocks', () => {
  const whole = Float64Array.from({ length: 12 }, (_, i) => i + 0.5);

  test('adjacent views of one buffer: a view over them, no copy', () => {
    const blocks = [whole.subarray(2, 5), whole.subarray(5, 5), whole.subarray(5, 9)];
    const joined = concatBlocks(blocks);
    expect(joined.buffer).toBe(whole.buffer);
    expect(joined.byteOffset).toBe(2 * 8);
    expect(Array.from(joined)).toEqual(Array.from(whole.subarray(2, 9)));
  });

  test('a gap, a different order or another buffer: a copy with the same values', () => {
    const other = Float64Array.of(-1, -2);
    for (const blocks of [
      [whole.subarray(0, 3), whole.subarray(4, 6)],
      [whole.subarray(3, 6), whole.subarray(0, 3)],
      [whole.subarray(0, 3), other],
    ]) {
      const joined = concatBlocks(blocks);
      expect(joined.buffer).not.toBe(whole.buffer);
      expect(Array.from(joined)).toEqual(blocks.flatMap((b) => Array.from(b)));
    }
  });

  test('no blocks: an empty array; one array: itself', () => {
    expect(concatBlocks([]).length).toBe(0);
    expect(concatBlocks(whole)).toBe(whole);
  });

  test('the gate and cell-state caches of lstm_forward are joined without a copy', () => {
    const d: Dims = { n_x: 3, n_a: 4, n_y: 2, m: 5, T_x: 6 };
    const rng = makeRng(5);
    const [, , , caches] = lstm_forward(randn(rng, [d.n_x, d.m, d.T_x]), randn(rng, [d.n_a, d.m]), lstmParams(rng, d));
    const steps = caches[0];
    const gates = steps.flatMap((s) => [s[4], s[5], s[6], s[7]].map((g) => g.data));
    const cNext = steps.map((s) => s[1].data);
    const cPrev = steps.map((s) => s[3].data);
    for (const blocks of [gates, cNext, cPrev]) expect(concatBlocks(blocks).buffer).toBe(blocks[0].buffer);
  });
});
