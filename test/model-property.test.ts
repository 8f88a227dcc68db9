/**
 * Property tests of the model API: for random sizes, token batches (with padding targets and
 * all-zero inputs) and seeds, every fast backend gives what the js reference gives — the
 * forward outputs, the mean loss, its count and the gradient of every parameter, output layer
 * included — and a stateful model run in two halves equals one run over the whole sequence.
 *
 * Sizes are drawn from 1, small integers and small primes (the models need n_x, n_a, n_y ≥ 1;
 * m and T ≥ 1), capped so the js reference stays quick. PROPERTY_SEED and PROPERTY_RUNS
 * (runs per property) override the fixed seed and the run count, as in property.test.ts.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { LSTMModel, RNNModel, getBackend, setBackend, type Batch } from '../ts/index.js';
import { BACKENDS, makeRng, relErr } from './helpers.js';

const TOLERANCE = 1e-10;

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
const SEED = envInt('PROPERTY_SEED', 20_261_129);
const RUNS = envInt('PROPERTY_RUNS', 60);

const initial = getBackend();
afterAll(() => setBackend(initial));

const size = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 12 }), weight: 4 },
  { arbitrary: fc.constantFrom(1, 2, 3, 5, 7, 13, 17, 31, 37), weight: 1 },
);

const caseArb = fc.record({
  kind: fc.constantFrom('rnn' as const, 'lstm' as const),
  n_x: size,
  n_a: size,
  n_y: size,
  m: size,
  T: size,
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  /** Share of positions without a target (padding) and of all-zero inputs. */
  holes: fc.constantFrom(0, 0.2, 0.9),
});
type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

function makeModel(c: Case, stateful = false) {
  const options = { n_x: c.n_x, n_a: c.n_a, n_y: c.n_y, seed: c.seed % 1000, stateful };
  return c.kind === 'rnn' ? new RNNModel(options) : new LSTMModel(options);
}

/** Tokens and targets, time-major; `holes` of them are -1 (no input / no target). */
function batchOf(c: Case): Batch & { tokens: number[]; targets: number[] } {
  const rng = makeRng(c.seed);
  const pick = (n: number) => (rng.uniform() < c.holes ? -1 : Math.floor(rng.uniform() * n));
  const tokens = Array.from({ length: c.T * c.m }, () => pick(c.n_x));
  const targets = Array.from({ length: c.T * c.m }, () => pick(c.n_y));
  return { tokens, targets, T: c.T, m: c.m };
}

/** Forward outputs, loss, count and gradients of a fresh model on `backend`. */
function run(backend: string, c: Case) {
  setBackend(backend as never);
  const batch = batchOf(c);
  const y = makeModel(c).forward(batch);
  const g = makeModel(c).gradients(batch);
  return { y: y.data, loss: g.loss, count: g.count, grads: g.grads };
}

const FAST = BACKENDS.filter((b) => b !== 'js');

describe.each(FAST)('model API on %s against the js reference', (backend) => {
  test('forward, loss, count and every gradient agree within 1e-10', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const want = run('js', c);
        const got = run(backend, c);
        expect(relErr(got.y, want.y)).toBeLessThanOrEqual(TOLERANCE);
        expect(got.count).toBe(want.count);
        expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(want.loss)));
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
        for (const [name, g] of Object.entries(want.grads)) {
          expect(relErr(got.grads[name], g), name).toBeLessThanOrEqual(TOLERANCE);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);
});

describe.each(BACKENDS)('model API on %s: stateful continuation', (backend) => {
  test('two halves through a stateful model equal one pass over the whole sequence', () => {
    fc.assert(
      fc.property(caseArb.filter((c) => c.T >= 2), (c) => {
        setBackend(backend);
        const { tokens } = batchOf(c);
        const half = Math.floor(c.T / 2) * c.m;
        const whole = makeModel(c).forward({ tokens, T: c.T, m: c.m }).data;
        const model = makeModel(c, true);
        const first = model.forward({ tokens: tokens.slice(0, half), T: half / c.m, m: c.m });
        const second = model.forward({ tokens: tokens.slice(half), T: c.T - half / c.m, m: c.m });
        // Outputs are (n_y, m, T) C order: interleave the two halves along T to compare.
        const [T1, T2] = [first.shape[2], second.shape[2]];
        const joined = new Float64Array(whole.length);
        for (let r = 0; r < c.n_y * c.m; r++) {
          joined.set(first.data.subarray(r * T1, (r + 1) * T1), r * c.T);
          joined.set(second.data.subarray(r * T2, (r + 1) * T2), r * c.T + T1);
        }
        expect(relErr(joined, whole)).toBeLessThanOrEqual(TOLERANCE);
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
    );
  }, 120_000);
});
