/**
 * Bad arguments to the ONNX recurrent operators, on every backend: each throws the documented
 * error class and code, with a message that names the input or attribute and says what was
 * expected and what came; afterwards the same call with good arguments computes exactly what it
 * did before.
 */
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { setBackend } from '../ts/index.js';
import { onnxGRU, onnxLSTM, onnxRNN, type OnnxLSTMOutputs } from '../ts/onnx/operators.js';
import { BACKENDS, expectError, makeRng, randn, sameValues, type ErrorClass } from './helpers.js';


const T = 3;
const N = 2;
const I = 8;
const H = 16;

const rng = makeRng(7);
const tensor = (shape: number[], scale = 0.3) => randn(rng, shape, scale);
const X = tensor([T, N, I], 1);
const W = tensor([1, 4 * H, I]);
const R = tensor([1, 4 * H, H]);
const B = tensor([1, 8 * H]);
const h0 = tensor([1, N, H]);
const c0 = tensor([1, N, H]);
const P = tensor([1, 3 * H]);
const good = () => ({ X, W, R, B, initial_h: h0, initial_c: c0, P, sequence_lens: [3, 1] });
const goodAttrs = { hidden_size: H, clip: 2, activations: ['Sigmoid', 'Tanh', 'Tanh'] };

const lstm = onnxLSTM as (inputs: unknown, attributes?: unknown) => unknown;
const gru = onnxGRU as (inputs: unknown, attributes?: unknown) => unknown;
const rnn = onnxRNN as (inputs: unknown, attributes?: unknown) => unknown;
const gruInputs = () => ({ X, W: tensor([1, 3 * H, I]), R: tensor([1, 3 * H, H]) });
const rnnInputs = () => ({ X, W: tensor([1, H, I]), R: tensor([1, H, H]) });

const CASES: [string, () => unknown, ErrorClass, string, RegExp][] = [
  ['no inputs', () => lstm(undefined), TypeError, 'ERR_RNN_TYPE', /onnxLSTM's inputs must be an object with at least X, W and R; got undefined/],
  ['inputs a number', () => lstm(5), TypeError, 'ERR_RNN_TYPE', /onnxLSTM inputs must be an options object; got number 5/],
  ['attributes a string', () => lstm(good(), 'forward'), TypeError, 'ERR_RNN_TYPE', /onnxLSTM attributes must be an options object; got the string "forward"/],
  ['unknown input', () => lstm({ ...good(), Q: X }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM inputs has an unknown key "Q"; the known keys are X, W, R, B, sequence_lens, initial_h, initial_c, P/],
  ['initial_c to a GRU', () => gru({ ...gruInputs(), initial_c: c0 }), RangeError, 'ERR_RNN_VALUE', /onnxGRU inputs has an unknown key "initial_c"/],
  ['P to an RNN', () => rnn({ ...rnnInputs(), P }), RangeError, 'ERR_RNN_VALUE', /onnxRNN inputs has an unknown key "P"/],
  ['X missing', () => lstm({ W, R }), TypeError, 'ERR_RNN_MISSING_KEY', /onnxLSTM inputs are missing X/],
  ['R missing', () => gru({ X, W }), TypeError, 'ERR_RNN_MISSING_KEY', /onnxGRU inputs are missing R/],
  ['unknown attribute', () => lstm(good(), { hidden_size: H, foo: 1 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM attributes has an unknown key "foo"/],
  ['input_forget to a GRU', () => gru(gruInputs(), { input_forget: 1 }), RangeError, 'ERR_RNN_VALUE', /onnxGRU attributes has an unknown key "input_forget"/],
  ['linear_before_reset to an LSTM', () => lstm(good(), { linear_before_reset: 1 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM attributes has an unknown key "linear_before_reset"/],
  ['camelCase attribute', () => rnn(rnnInputs(), { hiddenSize: H }), RangeError, 'ERR_RNN_VALUE', /onnxRNN attributes has an unknown key "hiddenSize"/],
  ['W rows', () => lstm({ ...good(), W: tensor([1, 60, I]) }), RangeError, 'ERR_RNN_SHAPE', /^onnxLSTM: W must have shape \(1, 64, 8\) \(num_directions, 4·hidden_size, input_size\); got \(1, 60, 8\)$/],
  ['W rank', () => lstm({ ...good(), W: tensor([64, 8]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: W must have 3 dimensions \(num_directions, 4·hidden_size, input_size\); got shape \(64, 8\)/],
  ['W of one direction for bidirectional', () => lstm({ X, W, R }, { direction: 'bidirectional' }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: R must have shape \(2, 64, 16\) \(num_directions, 4·hidden_size, hidden_size\); got \(1, 64, 16\)/],
  ['R for another hidden_size', () => lstm(good(), { hidden_size: 15 }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: R must have shape \(1, 60, 15\) \(num_directions, 4·hidden_size, hidden_size\) for hidden_size 15; got \(1, 64, 16\)/],
  ['R rows disagree with its columns', () => gru({ X, W: tensor([1, 48, I]), R: tensor([1, 45, H]) }), RangeError, 'ERR_RNN_SHAPE', /onnxGRU: R must have shape \(1, 48, 16\) \(num_directions, 3·hidden_size, hidden_size\); got \(1, 45, 16\)/],
  ['R with hidden 0', () => rnn({ X, W: tensor([1, 0, I]), R: tensor([1, 0, 0]) }), RangeError, 'ERR_RNN_SHAPE', /onnxRNN: R must have shape .* with hidden_size ≥ 1; got \(1, 0, 0\)/],
  ['X rank 2', () => lstm({ ...good(), X: tensor([T, I]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: X must have 3 dimensions \(seq_length, batch_size, input_size\); got shape \(3, 8\)/],
  ['X rank 2, layout 1', () => lstm({ ...good(), X: tensor([T, I]) }, { layout: 1 }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: X must have 3 dimensions \(batch_size, seq_length, input_size\)/],
  ['X features', () => lstm({ ...good(), X: tensor([T, N, 7]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: W must have shape \(1, 64, 7\) \(num_directions, 4·hidden_size, input_size\); got \(1, 64, 8\)/],
  ['X data a string', () => lstm({ ...good(), X: { data: 'abc', shape: [1, 1, 3] } }), TypeError, 'ERR_RNN_TYPE', /onnxLSTM: X.data must be a Float64Array, Float32Array or number\[\]; got the string "abc"/],
  ['X data too short', () => lstm({ ...good(), X: { data: new Float32Array(5), shape: [T, N, I] } }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: X.data has 5 elements but shape \(3, 2, 8\) needs 48/],
  ['B', () => lstm({ ...good(), B: tensor([1, 64]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: B must have shape \(1, 128\) \(num_directions, 8·hidden_size\); got \(1, 64\)/],
  ['initial_h', () => lstm({ ...good(), initial_h: tensor([1, 3, H]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: initial_h must have shape \(1, 2, 16\) \(num_directions, batch_size, hidden_size\); got \(1, 3, 16\)/],
  ['initial_h in layout 0 order for layout 1', () => lstm({ ...good(), X: tensor([N, T, I]), initial_h: tensor([1, N, H]), initial_c: undefined }, { layout: 1 }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: initial_h must have shape \(2, 1, 16\) \(batch_size, num_directions, hidden_size\); got \(1, 2, 16\)/],
  ['initial_c', () => lstm({ ...good(), initial_c: tensor([1, N, 4]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: initial_c must have shape \(1, 2, 16\) \(num_directions, batch_size, hidden_size\); got \(1, 2, 4\)/],
  ['P', () => lstm({ ...good(), P: tensor([1, 4 * H]) }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: P must have shape \(1, 48\) \(num_directions, 3·hidden_size\); got \(1, 64\)/],
  ['sequence_lens length', () => lstm({ ...good(), sequence_lens: [1, 2, 3] }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: sequence_lens must have shape \(2,\) \(batch_size\); got \(3,\)/],
  ['sequence_lens rank', () => lstm({ ...good(), sequence_lens: { data: Int32Array.of(1, 2), shape: [1, 2] } }), RangeError, 'ERR_RNN_SHAPE', /onnxLSTM: sequence_lens must have shape \(2,\) \(batch_size\); got \(1, 2\) with 2 values/],
  ['sequence_lens over seq_length', () => lstm({ ...good(), sequence_lens: Int32Array.of(3, 4) }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: sequence_lens\[1\] must be an integer in 0..3 \(seq_length\); got 4/],
  ['sequence_lens negative', () => gru({ ...gruInputs(), sequence_lens: [-1, 2] }), RangeError, 'ERR_RNN_VALUE', /onnxGRU: sequence_lens\[0\] must be an integer in 0..3 \(seq_length\); got -1/],
  ['sequence_lens fractional', () => rnn({ ...rnnInputs(), sequence_lens: [1.5, 2] }), RangeError, 'ERR_RNN_VALUE', /onnxRNN: sequence_lens\[0\] must be an integer in 0..3 \(seq_length\); got 1.5/],
  ['sequence_lens a string', () => rnn({ ...rnnInputs(), sequence_lens: '3,3' }), TypeError, 'ERR_RNN_TYPE', /onnxRNN: sequence_lens must be an Int32Array, a number\[\] or \{ data, shape \} of batch_size integers; got the string "3,3"/],
  ['sequence_lens entry a string', () => rnn({ ...rnnInputs(), sequence_lens: ['3', 3] }), TypeError, 'ERR_RNN_TYPE', /onnxRNN: sequence_lens\[0\] must be an integer; got the string "3"/],
  ['direction backward', () => lstm(good(), { direction: 'backward' }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: direction must be 'forward', 'reverse' or 'bidirectional'; got "backward"/],
  ['direction a number', () => gru(gruInputs(), { direction: 1 }), TypeError, 'ERR_RNN_TYPE', /onnxGRU: direction must be 'forward', 'reverse' or 'bidirectional'; got number 1/],
  ['layout 2', () => lstm(good(), { layout: 2 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: layout must be 0 or 1; got 2/],
  ['layout a string', () => lstm(good(), { layout: '1' }), TypeError, 'ERR_RNN_TYPE', /onnxLSTM: layout must be 0 or 1; got the string "1"/],
  ['hidden_size 0', () => lstm(good(), { hidden_size: 0 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: hidden_size must be an integer ≥ 1; got 0/],
  ['hidden_size 1.5', () => gru(gruInputs(), { hidden_size: 1.5 }), RangeError, 'ERR_RNN_VALUE', /onnxGRU: hidden_size must be an integer ≥ 1; got 1.5/],
  ['hidden_size a string', () => rnn(rnnInputs(), { hidden_size: '16' }), TypeError, 'ERR_RNN_TYPE', /onnxRNN: hidden_size must be an integer; got the string "16"/],
  ['clip 0', () => lstm(good(), { clip: 0 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: clip must be a number > 0; got 0/],
  ['clip -1', () => rnn(rnnInputs(), { clip: -1 }), RangeError, 'ERR_RNN_VALUE', /onnxRNN: clip must be a number > 0; got -1/],
  ['clip NaN', () => gru(gruInputs(), { clip: NaN }), RangeError, 'ERR_RNN_VALUE', /onnxGRU: clip must be a number > 0; got NaN/],
  ['clip a string', () => gru(gruInputs(), { clip: '1' }), TypeError, 'ERR_RNN_TYPE', /onnxGRU: clip must be a number > 0; got the string "1"/],
  ['input_forget 2', () => lstm(good(), { input_forget: 2 }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: input_forget must be 0 or 1; got 2/],
  ['input_forget true', () => lstm(good(), { input_forget: true }), TypeError, 'ERR_RNN_TYPE', /onnxLSTM: input_forget must be 0 or 1; got boolean true/],
  ['linear_before_reset -1', () => gru(gruInputs(), { linear_before_reset: -1 }), RangeError, 'ERR_RNN_VALUE', /onnxGRU: linear_before_reset must be 0 or 1; got -1/],
  ['activations count', () => lstm(good(), { activations: ['Sigmoid', 'Tanh'] }), RangeError, 'ERR_RNN_VALUE', /onnxLSTM: activations must hold 3 names \(f, g, h for each of 1 direction\); got 2/],
  ['activations count, bidirectional', () => gru(gruInputs(), { direction: 'bidirectional', activations: ['Sigmoid', 'Tanh'] }), RangeError, 'ERR_RNN_VALUE', /onnxGRU: activations must hold 4 names \(f, g for each of 2 directions\); got 2/],
  ['activations unknown', () => rnn(rnnInputs(), { activations: ['Swish'] }), RangeError, 'ERR_RNN_VALUE', /onnxRNN: activations\[0\] must be one of Sigmoid, Tanh, Relu, HardSigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, Elu, Softsign, Softplus; got "Swish"/],
  ['activations entry a number', () => lstm(good(), { activations: ['Sigmoid', 1, 'Tanh'] }), TypeError, 'ERR_RNN_TYPE', /onnxLSTM: activations\[1\] must be one of .*; got number 1/],
  ['activations a string', () => rnn(rnnInputs(), { activations: 'Tanh' }), TypeError, 'ERR_RNN_TYPE', /onnxRNN: activations must be an array; got the string "Tanh"/],
  ['activation_alpha NaN', () => rnn(rnnInputs(), { activations: ['LeakyRelu'], activation_alpha: [NaN] }), RangeError, 'ERR_RNN_VALUE', /onnxRNN: activation_alpha\[0\] must be a finite number; got NaN/],
  ['activation_beta entry a string', () => rnn(rnnInputs(), { activations: ['Affine'], activation_beta: ['1'] }), TypeError, 'ERR_RNN_TYPE', /onnxRNN: activation_beta\[0\] must be a number; got the string "1"/],
];

describe.each(BACKENDS)('bad calls on the %s backend', (backend) => {
  let before: OnnxLSTMOutputs;
  beforeAll(() => {
    setBackend(backend);
    before = onnxLSTM(good(), goodAttrs);
  });
  beforeEach(() => setBackend(backend));

  test.each(CASES)('%s', (_name, fn, cls, code, message) => {
    expectError(fn, cls, code, message);
    // Nothing changed: the same good call gives the same results.
    const after = onnxLSTM(good(), goodAttrs);
    for (const key of ['Y', 'Y_h', 'Y_c'] as const) {
      expect(after[key].shape).toEqual(before[key].shape);
      expect(sameValues(after[key].data, before[key].data)).toBe(true);
    }
  });

  test('optional inputs may be undefined; names match without regard to case', () => {
    const a = onnxLSTM({ X, W, R, B: undefined, sequence_lens: undefined, initial_h: undefined, initial_c: undefined, P: undefined }, { activations: ['sigmoid', 'TANH', 'Tanh'] });
    const b = onnxLSTM({ X, W, R });
    expect(sameValues(a.Y.data, b.Y.data)).toBe(true);
  });
});
