/**
 * The model API, shared by test/model.test.ts (Node entry, every backend) and
 * test/browser/model.spec.ts (browser entry, wasm and js): full-model gradients against central
 * differences, agreement with the notebook functions, deterministic learning (the same losses on
 * wasm and js), stateful continuation, seeded sampling, save/load round trips with
 * serializeModel / parseModel, and bad input.
 */
import { describe, expect, it } from 'vitest';
import type { Adam as AdamClass, BackendName, Batch, LSTMModel as LSTMModelClass, NDArray, RNNModel as RNNModelClass } from '../../ts/index.js';
import type { Api } from './api.js';
import { makeRng, maxAbsDiff } from './helpers.js';

type Model = RNNModelClass | LSTMModelClass;
type Options = ConstructorParameters<typeof RNNModelClass>[0];

/** A token batch with every fifth target missing (padding). */
function tokenBatch(seed: number, n: number, T: number, m: number): Batch & { tokens: number[]; targets: number[] } {
  const rng = makeRng(seed);
  const pick = () => Math.floor(rng.uniform() * n);
  const tokens = Array.from({ length: T * m }, pick);
  const targets = Array.from({ length: T * m }, (_, i) => (i % 5 === 4 ? -1 : pick()));
  return { tokens, targets, T, m };
}

function relErr(got: Float64Array, want: Float64Array): number {
  let scale = 1e-300;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return worst;
}

/** Runs `a` `(n, m, T)` C order as T one-step batches through a stateful model. */
function column(y: NDArray, j: number, t: number): number[] {
  const [n, m, T] = y.shape;
  return Array.from({ length: n }, (_, i) => y.data[(i * m + j) * T + t]);
}

/**
 * Defines the model suites on `api` (the entry under test): the per-model tests once per backend
 * of `backends` (`title` with %s for the backend), then the checks of inputs and model files.
 */
export function defineModelSuite(api: Api, backends: readonly BackendName[], title: string): void {
  const { Adam, LSTMModel, RNNModel, lstm_forward, parseModel, rnn_forward, serializeModel, setBackend } = api;
  const KINDS = [
    ['rnn', (o: Options): Model => new RNNModel(o)],
    ['lstm', (o: Options): Model => new LSTMModel(o)],
  ] as const;

  /** "abcd" repeated: every next token is determined by the current one. */
  function train(make: (o: Options) => Model, steps: number): { model: Model; losses: number[] } {
    const model = make({ n_x: 4, n_a: 8, n_y: 4, seed: 11, vocabulary: ['\n', 'a', 'b', 'c'] });
    const optimizer = new Adam({ lr: 0.05 });
    const tokens = Array.from({ length: 8 * 4 }, (_, i) => (i + Math.floor(i / 4)) % 4);
    const targets = tokens.map((k) => (k + 1) % 4);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) losses.push(model.trainStep({ tokens, targets, T: 8, m: 4 }, optimizer, { norm: 5 }).loss);
    return { model, losses };
  }

  /** The losses of the first of wasm and js to train each kind. */
  const lossesByKind = new Map<string, number[]>();

  describe.each(backends)(title, (backend) => {
    const use = () => setBackend(backend);

    describe.each(KINDS)('%s', (kind, make) => {
      it('full-model gradients (output layer included, no clipping) match central differences', () => {
        use();
        const model: Model = make({ n_x: 5, n_a: 4, n_y: 5, seed: 3 });
        // Larger weights than the initialisation, so every gate is exercised off its linear part.
        for (const p of Object.values(model.params)) for (let i = 0; i < p.length; i++) p[i] *= 2.5;
        const batch = tokenBatch(9, 5, 4, 3);
        const { grads, count } = model.gradients(batch);
        expect(count).toBe(batch.targets.filter((k) => k >= 0).length);
        const h = 1e-6;
        for (const [name, p] of Object.entries(model.params)) {
          const numeric = p.map((v, i) => {
            p[i] = v + h;
            const plus = model.gradients(batch).loss;
            p[i] = v - h;
            const minus = model.gradients(batch).loss;
            p[i] = v;
            return (plus - minus) / (2 * h);
          });
          expect(relErr(grads[name], numeric), name).toBeLessThan(1e-6);
        }
      });

      it('forward agrees with the notebook function on the same parameters', () => {
        use();
        const model: Model = make({ n_x: 3, n_a: 5, n_y: 2, seed: 4 });
        const rng = makeRng(2);
        const x = { data: Float64Array.from({ length: 3 * 4 * 6 }, () => rng.normal()), shape: [3, 4, 6] };
        const y = model.forward({ x });
        const p = model.notebookParameters();
        const a0 = { data: new Float64Array(5 * 4), shape: [5, 4] };
        const want = kind === 'rnn' ? rnn_forward(x, a0, p)[1] : lstm_forward(x, a0, p)[1];
        expect(y.shape).toEqual(want.shape);
        expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-13);
      });

      it('loss decreases deterministically on a tiny corpus with a fixed seed', () => {
        use();
        const first = train(make, 60).losses;
        expect(train(make, 60).losses).toEqual(first);
        expect(first[0]).toBeGreaterThan(1);
        expect(first[59]).toBeLessThan(0.1 * first[0]);
        if (backend === 'native') return;
        const other = lossesByKind.get(kind);
        if (other) {
          // wasm and js agree step by step (the second of them to run compares with the first).
          expect(maxAbsDiff(first, other)).toBeLessThan(1e-9);
        } else {
          lossesByKind.set(kind, first);
        }
      });

      it('stateful continuation: two halves give what the whole sequence gives; reset starts over', () => {
        use();
        const model: Model = make({ n_x: 4, n_a: 6, n_y: 4, seed: 5, stateful: true });
        const { tokens } = tokenBatch(3, 4, 6, 2);
        const whole = model.forward({ tokens, T: 6, m: 2 });
        model.resetState();
        const first = model.forward({ tokens: tokens.slice(0, 6), T: 3, m: 2 });
        const second = model.forward({ tokens: tokens.slice(6), T: 3, m: 2 });
        for (let j = 0; j < 2; j++) {
          for (let t = 0; t < 6; t++) {
            const part = t < 3 ? column(first, j, t) : column(second, j, t - 3);
            const diff = Math.max(...part.map((v, i) => Math.abs(v - column(whole, j, t)[i])));
            expect(diff).toBeLessThan(1e-14);
          }
        }
        expect(() => model.forward({ tokens: [0, 1, 2], T: 1, m: 3 })).toThrow(/resetState/);
        model.resetState();
        const again = model.forward({ tokens: tokens.slice(0, 6), T: 3, m: 2 });
        expect(maxAbsDiff(again.data, first.data)).toBe(0);
      });

      it('sampling is seeded, a near-zero temperature gives greedy decoding, a trained model samples text from its vocabulary', () => {
        use();
        const model: Model = make({ n_x: 6, n_a: 8, n_y: 6, seed: 8 });
        for (const p of Object.values(model.params)) for (let i = 0; i < p.length; i++) p[i] *= 3;
        const a = model.sample({ n: 5, maxLength: 12, seed: 1, temperature: 0.8 });
        expect(model.sample({ n: 5, maxLength: 12, seed: 1, temperature: 0.8 })).toEqual(a);
        expect(model.sample({ n: 5, maxLength: 12, seed: 2, temperature: 0.8 })).not.toEqual(a);
        // Greedy decoding written out with the stateful forward pass, one step at a time.
        const greedy: number[] = [];
        const stepper: Model = parseModel(serializeModel(model), kind);
        stepper.stateful = true;
        let token = 0;
        for (let t = 0; t < 12; t++) {
          const y = stepper.forward({ tokens: [token], T: 1, m: 1 });
          token = y.data.indexOf(Math.max(...y.data));
          if (token === 0) break;
          greedy.push(token);
        }
        expect(model.sample({ n: 3, maxLength: 12, temperature: 1e-4, seed: 9 })).toEqual([greedy, greedy, greedy]);
        const text = train(make, 30).model.sampleText({ n: 3, seed: 5 });
        expect(text).toHaveLength(3);
        for (const line of text) expect(line).toMatch(/^[abc]*$/);
      });

      it('save → load gives bit-identical parameters and identical outputs', () => {
        use();
        const model: Model = make({ n_x: 4, n_a: 3, n_y: 4, seed: 6, vocabulary: ['\n', 'a', 'b', 'c'] });
        const loaded = parseModel(serializeModel(model), kind);
        expect(loaded).toBeInstanceOf(model.constructor);
        for (const [k, v] of Object.entries(model.params)) expect(loaded.params[k]).toEqual(v);
        expect(loaded.vocabulary).toEqual(model.vocabulary);
        const batch = tokenBatch(1, 4, 5, 2);
        expect(loaded.forward(batch).data).toEqual(model.forward(batch).data);
        expect(loaded.sampleText({ n: 4, seed: 3 })).toEqual(model.sampleText({ n: 4, seed: 3 }));
      });

      it('train → save → load: bit-identical parameters, identical outputs and samples, training continues', () => {
        use();
        const { model } = train(make, 20);
        const saved = serializeModel(model);
        const loaded = parseModel(saved, kind);
        expect(loaded).toBeInstanceOf(model.constructor);
        for (const [k, v] of Object.entries(model.params)) expect(loaded.params[k], k).toEqual(v);
        expect(loaded.vocabulary).toEqual(model.vocabulary);
        const batch = { tokens: [1, 2, 3, 0, 2, 3, 1, 1], T: 4, m: 2 };
        expect(loaded.forward(batch).data).toEqual(model.forward(batch).data);
        expect(loaded.sampleText({ n: 4, seed: 3 })).toEqual(model.sampleText({ n: 4, seed: 3 }));
        expect(serializeModel(loaded)).toBe(saved);
        const step = loaded.trainStep({ ...batch, targets: [2, 3, 0, 1, 3, 0, 2, 2] }, new Adam({ lr: 0.01 }));
        expect(Number.isFinite(step.loss)).toBe(true);
      });
    });
  });

  describe('model inputs are checked and never mutated', () => {
    const model = new LSTMModel({ n_x: 3, n_a: 2, n_y: 3 });
    const ok = { tokens: Object.freeze([0, 1, 2, -1]), targets: Object.freeze([1, 2, 0, -1]), T: 2, m: 2 };

    it('leaves frozen inputs as they were', () => {
      model.trainStep(ok, new Adam());
      expect(ok.tokens).toEqual([0, 1, 2, -1]);
    });

    it.each([
      ['a token out of range', { ...ok, tokens: [0, 3, 1, 1] }, RangeError, /batch\.tokens\[1\].*\[0, 3\)/],
      ['a fractional target', { ...ok, targets: [0, 1.5, 1, 1] }, RangeError, /batch\.targets\[1\]/],
      ['wrong token count', { ...ok, tokens: [0, 1, 2] }, RangeError, /T·m = 4/],
      ['negative T', { ...ok, T: -1 }, RangeError, /batch\.T/],
      ['tokens not an array', { ...ok, tokens: 'abc' }, TypeError, /batch\.tokens must be an array/],
      ['no inputs', { targets: [0] }, TypeError, /either tokens/],
      ['x with the wrong n_x', { x: [[[1]]], targets: [0] }, RangeError, /n_x = 3/],
    ])('rejects %s', (_, batch, type, message) => {
      expect(() => model.gradients(batch as Batch)).toThrow(type);
      expect(() => model.gradients(batch as Batch)).toThrow(message);
    });

    it('requires targets for the loss, and checks model options', () => {
      expect(() => model.gradients({ tokens: [0], T: 1, m: 1 })).toThrow(/targets is required/);
      expect(() => new RNNModel({ n_x: 0, n_a: 2, n_y: 2 })).toThrow(/n_x must be an integer ≥ 1/);
      expect(() => new RNNModel({ n_x: 2, n_a: 2, n_y: 2, vocabulary: ['a'] })).toThrow(/vocabulary/);
      expect(() => model.sample({ temperature: 0 })).toThrow(/temperature must be a finite number > 0/);
      expect(() => model.trainStep(ok, {} as AdamClass)).toThrow(/optimizer/);
      expect(() => model.trainStep(ok, new Adam(), { norm: -1 })).toThrow(/clip norm/);
    });
  });

  describe('loading rejects malformed and mismatched model files', () => {
    const good = JSON.parse(serializeModel(new RNNModel({ n_x: 2, n_a: 3, n_y: 2, seed: 1 })));
    const withParam = (name: string, value: unknown) => ({ ...good, parameters: { ...good.parameters, [name]: value } });

    it.each([
      ['text that is not JSON', '{"format":', /not valid JSON/],
      ['a JSON array', '[]', /expected a JSON object/],
      ['another format', { ...good, format: 'keras' }, /not an rnn-wasm model/],
      ['another version', { ...good, version: 99 }, /unsupported model version 99/],
      ['an unknown kind', { ...good, kind: 'gru' }, /kind must be "rnn" or "lstm"/],
      ['a non-integer dimension', { ...good, n_a: 2.5 }, /n_a must be a positive integer/],
      ['a missing parameter', withParam('Waa', undefined), /parameter Waa is missing/],
      ['an extra parameter', withParam('Wf', { shape: [1], data: [0] }), /unexpected parameter Wf/],
      ['a wrong shape', withParam('Waa', { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }), /Waa must have shape \(3, 3\).*got \(3, 2\)/],
      ['a NaN written as null', withParam('ba', { shape: [3, 1], data: [0, null, 0] }), /ba: data\[1\] must be a finite number/],
      ['a vocabulary of the wrong size', { ...good, vocabulary: ['a'] }, /vocabulary must have n_x = n_y = 2/],
    ])('%s', (_, doc, message) => {
      const source = typeof doc === 'string' ? doc : JSON.stringify(doc);
      expect(() => parseModel(source)).toThrow(message);
      try {
        parseModel(source);
      } catch (error) {
        expect((error as { code: string }).code).toBe('ERR_RNN_MODEL_FORMAT');
      }
    });

    it('an RNN file is refused where an LSTM is expected', () => {
      expect(() => parseModel(JSON.stringify(good), 'lstm')).toThrow(/is an rnn model, expected an lstm model/);
      expect(parseModel(JSON.stringify(good), 'rnn')).toBeInstanceOf(RNNModel);
    });
  });
}
