/**
 * Clipping and the optimisers against values worked out by hand (written out below), so a
 * wrong formula cannot agree with itself.
 */
import { describe, expect, it } from 'vitest';
import { Adam, Momentum, SGD, clipByGlobalNorm, clipByValue, globalNorm, makeOptimizer } from '../ts/index.js';

const f = (...v: number[]) => Float64Array.from(v);

describe('gradient clipping', () => {
  it('by value clamps each element', () => {
    const g = { a: f(-3, 0.5, 2), b: f(-0.25) };
    clipByValue(g, 1);
    expect(g).toEqual({ a: f(-1, 0.5, 1), b: f(-0.25) });
  });

  it('by global norm rescales all gradients together, and leaves small ones alone', () => {
    // |(3, 4, 12)| = 13; clipped to 6.5 every element halves.
    const g = { a: f(3, 4), b: f(12) };
    expect(globalNorm(g)).toBe(13);
    expect(clipByGlobalNorm(g, 6.5)).toBe(13);
    expect(g).toEqual({ a: f(1.5, 2), b: f(6) });
    expect(clipByGlobalNorm(g, 100)).toBe(6.5);
    expect(g).toEqual({ a: f(1.5, 2), b: f(6) });
  });

  it('rejects limits that are not positive numbers', () => {
    expect(() => clipByValue({ a: f(1) }, 0)).toThrow(RangeError);
    expect(() => clipByGlobalNorm({ a: f(1) }, NaN)).toThrow(/clip norm must be a finite number > 0/);
  });
});

describe('optimisers', () => {
  it('SGD: p − lr·g', () => {
    const p = { w: f(1, -2) };
    new SGD({ lr: 0.5 }).step(p, { w: f(0.2, -4) });
    expect(p.w).toEqual(f(0.9, 0));
  });

  it('Momentum: v = μv + g, p −= lr·v over two steps', () => {
    const p = { w: f(1) };
    const opt = new Momentum({ lr: 0.1, momentum: 0.5 });
    opt.step(p, { w: f(2) }); // v = 2, p = 1 − 0.2 = 0.8
    opt.step(p, { w: f(2) }); // v = 0.5·2 + 2 = 3, p = 0.8 − 0.3 = 0.5
    expect(p.w[0]).toBeCloseTo(0.5, 15);
  });

  it('Adam: bias-corrected moments over two steps', () => {
    const p = { w: f(1, 1) };
    const opt = new Adam({ lr: 0.1, beta1: 0.5, beta2: 0.75, epsilon: 1e-8 });
    // Step 1, g = (2, −1): m̂ = g, v̂ = g², so each parameter moves lr·sign(g) (up to ε).
    opt.step(p, { w: f(2, -1) });
    expect(p.w[0]).toBeCloseTo(0.9, 7);
    expect(p.w[1]).toBeCloseTo(1.1, 7);
    // Step 2, g = (1, −1), first element: after step 1 m = 0.5·2 = 1 and v = 0.25·4 = 1;
    // now m = 0.5·1 + 0.5·1 = 1, v = 0.75·1 + 0.25·1 = 1, m̂ = 1/(1 − 0.5²) = 4/3,
    // v̂ = 1/(1 − 0.75²) = 16/7, update = 0.1·(4/3)/√(16/7) = 0.0881917…
    opt.step(p, { w: f(1, -1) });
    const update = (0.1 * (4 / 3)) / (Math.sqrt(16 / 7) + 1e-8);
    const first = (0.1 * (1 / 0.5)) / (Math.sqrt(1 / 0.25) + 1e-8); // step 1: m̂ = 2, v̂ = 4
    expect(p.w[0]).toBeCloseTo(1 - first - update, 14);
    expect(update).toBeCloseTo(0.088192, 6);
    expect(opt.steps).toBe(2);
  });

  it('the learning rate can be changed between steps, and bad settings are refused', () => {
    const p = { w: f(0) };
    const opt = makeOptimizer('sgd', 1);
    opt.lr = 0.25;
    opt.step(p, { w: f(1) });
    expect(p.w[0]).toBe(-0.25);
    expect(() => (opt.lr = -1)).toThrow(/lr must be a finite number > 0/);
    expect(() => new Momentum({ momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => makeOptimizer('rmsprop', 0.1)).toThrow(/sgd, momentum, adam/);
    expect(() => new SGD().step(p, { w: f(1, 2) })).toThrow(/length 1/);
  });
});
