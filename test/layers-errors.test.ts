/**
 * Bad arguments to the recurrent layers, on every backend: each throws the documented error
 * class and code, with a message that names the argument and says what was expected and what
 * came; nothing changes, so the same layer computes exactly what it did before.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, setBackend, type NDArray } from '../ts/index.js';
import { BACKENDS, expectError, makeRng, randn, type ErrorClass } from './helpers.js';


const F = 3;
const H = 4;
const T = 5;
const N = 2;

/** Constructor options that are each wrong in one way. */
const BAD_OPTIONS: [string, () => unknown, ErrorClass, string, RegExp][] = [
  ['no options', () => new (LSTM as unknown as new () => LSTM)(), TypeError, 'ERR_RNN_TYPE', /LSTM options must be an object with at least inputSize and hiddenSize; got undefined/],
  ['options a number', () => new LSTM(5 as never), TypeError, 'ERR_RNN_TYPE', /LSTM options must be an options object; got number 5/],
  ['inputSize missing', () => new LSTM({ hiddenSize: 4 } as never), TypeError, 'ERR_RNN_TYPE', /LSTM option inputSize must be an integer; got undefined/],
  ['hiddenSize 0', () => new GRU({ inputSize: 3, hiddenSize: 0 }), RangeError, 'ERR_RNN_VALUE', /GRU option hiddenSize must be an integer ≥ 1; got 0/],
  ['hiddenSize 2.5', () => new RNN({ inputSize: 3, hiddenSize: 2.5 }), RangeError, 'ERR_RNN_VALUE', /RNN option hiddenSize must be an integer ≥ 1; got 2.5/],
  ['hiddenSize a string', () => new RNN({ inputSize: 3, hiddenSize: '4' as never }), TypeError, 'ERR_RNN_TYPE', /RNN option hiddenSize must be an integer; got the string "4"/],
  ['inputSize -1', () => new LSTM({ inputSize: -1, hiddenSize: 4 }), RangeError, 'ERR_RNN_VALUE', /LSTM option inputSize must be an integer ≥ 1; got -1/],
  ['numLayers 0', () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 0 }), RangeError, 'ERR_RNN_VALUE', /LSTM option numLayers must be an integer ≥ 1; got 0/],
  ['bidirectional "yes"', () => new LSTM({ inputSize: 3, hiddenSize: 4, bidirectional: 'yes' as never }), TypeError, 'ERR_RNN_TYPE', /LSTM option bidirectional must be true or false; got the string "yes"/],
  ['batchFirst 1', () => new GRU({ inputSize: 3, hiddenSize: 4, batchFirst: 1 as never }), TypeError, 'ERR_RNN_TYPE', /GRU option batchFirst must be true or false; got number 1/],
  ['bias null', () => new RNN({ inputSize: 3, hiddenSize: 4, bias: null as never }), TypeError, 'ERR_RNN_TYPE', /RNN option bias must be true or false; got null/],
  ['seed -1', () => new LSTM({ inputSize: 3, hiddenSize: 4, seed: -1 }), RangeError, 'ERR_RNN_VALUE', /LSTM option seed must be an integer in \[0, 4294967295\]; got -1/],
  ['dtype float16', () => new LSTM({ inputSize: 3, hiddenSize: 4, dtype: 'float16' as never }), RangeError, 'ERR_RNN_VALUE', /LSTM option dtype must be 'float64' or 'float32'; got the string "float16"/],
  ['unknown key', () => new LSTM({ inputSize: 3, hiddenSize: 4, hidden_size: 4 } as never), RangeError, 'ERR_RNN_VALUE', /LSTM options has an unknown key "hidden_size"; the known keys are inputSize, hiddenSize, /],
  ['dropout', () => new GRU({ inputSize: 3, hiddenSize: 4, dropout: 0.5 } as never), RangeError, 'ERR_RNN_VALUE', /GRU options has an unknown key "dropout"/],
  ['nonlinearity on an LSTM', () => new LSTM({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu' } as never), RangeError, 'ERR_RNN_VALUE', /LSTM options has an unknown key "nonlinearity"/],
  ['nonlinearity sigmoid', () => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'sigmoid' as never }), RangeError, 'ERR_RNN_VALUE', /RNN option nonlinearity must be 'tanh' or 'relu'; got the string "sigmoid"/],
  ['linearBeforeReset "no"', () => new GRU({ inputSize: 3, hiddenSize: 4, linearBeforeReset: 'no' as never }), TypeError, 'ERR_RNN_TYPE', /GRU option linearBeforeReset must be true or false; got the string "no"/],
  ['a weight too large', () => new LSTM({ inputSize: 2 ** 20, hiddenSize: 2 ** 12 }), RangeError, 'ERR_RNN_SIZE', /LSTM with inputSize 1048576, hiddenSize 4096 and numLayers 1 is too large/],
];

describe('constructor options', () => {
  test.each(BAD_OPTIONS)('%s', (_name, fn, cls, code, message) => {
    expectError(fn, cls, code, message);
  });
});

describe.each(BACKENDS)('bad calls on the %s backend', (backend) => {
  beforeEach(() => setBackend(backend));

  const rng = makeRng(3);
  const x = randn(rng, [T, N, F]);
  const make = () => ({
    lstm: new LSTM({ inputSize: F, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 1 }),
    gru: new GRU({ inputSize: F, hiddenSize: H, seed: 2 }),
    bf: new RNN({ inputSize: F, hiddenSize: H, batchFirst: true, seed: 3 }),
  });
  const states = (D: number) => randn(rng, [D, N, H]);

  /** What each layer computes from (x, lengths [3, 5]) before any bad call, compared after. */
  const snapshot = (layers: ReturnType<typeof make>) => {
    const xb = { data: x.data, shape: [N, T, F] };
    return [
      Array.from(layers.lstm.forward(x, { lengths: [3, 5] }).output.data),
      Array.from(layers.gru.forward(x, { lengths: [3, 5] }).output.data),
      Array.from(layers.bf.forward(xb, { lengths: [3, 5] }).output.data),
      Object.values(layers.lstm.stateDict()).map((v) => Array.from(v.data)),
      Object.values(layers.gru.stateDict()).map((v) => Array.from(v.data)),
    ];
  };

  type Layers = ReturnType<typeof make>;
  const CASES: [string, (l: Layers) => unknown, ErrorClass, string, RegExp][] = [
    // x
    ['x of rank 2', (l) => l.gru.forward(randn(rng, [T, F])), RangeError, 'ERR_RNN_SHAPE', /x must have 3 dimensions \(T, N, inputSize\); got shape \(5, 3\)/],
    ['x with 2 features', (l) => l.gru.forward(randn(rng, [T, N, 2])), RangeError, 'ERR_RNN_SHAPE', /x must have shape \(T, N, 3\) \(T, N, inputSize\) .*inputSize 3.*; got \(5, 2, 2\)/],
    ['batch-first x with 4 features', (l) => l.bf.forward(randn(rng, [N, T, 4])), RangeError, 'ERR_RNN_SHAPE', /x must have shape \(N, T, 3\) \(N, T, inputSize\), batchFirst .*; got \(2, 5, 4\)/],
    ['batch-first x of rank 4', (l) => l.bf.forward(randn(rng, [N, T, F, 1])), RangeError, 'ERR_RNN_SHAPE', /x must have 3 dimensions \(N, T, inputSize\); got shape \(2, 5, 3, 1\)/],
    ['x with no steps', (l) => l.gru.forward({ data: new Float64Array(0), shape: [0, N, F] }), RangeError, 'ERR_RNN_SHAPE', /x must have shape \(T, N, 3\) .*T ≥ 1.*; got \(0, 2, 3\)/],
    ['x a string', (l) => l.gru.forward('x' as never), TypeError, 'ERR_RNN_TYPE', /x must be an NDArray .*; got the string "x"/],
    ['x data too short', (l) => l.gru.forward({ data: new Float64Array(5), shape: [T, N, F] }), RangeError, 'ERR_RNN_SHAPE', /x\.data has 5 elements but shape \(5, 2, 3\) needs 30/],
    // forward options
    ['options a number', (l) => l.gru.forward(x, 3 as never), TypeError, 'ERR_RNN_TYPE', /GRU\.forward options must be an options object; got number 3/],
    ['an unknown option', (l) => l.gru.forward(x, { h_0: x } as never), RangeError, 'ERR_RNN_VALUE', /GRU\.forward options has an unknown key "h_0"; the known keys are h0, lengths, noGrad/],
    ['c0 for a GRU', (l) => l.gru.forward(x, { c0: states(1) } as never), RangeError, 'ERR_RNN_VALUE', /GRU\.forward options has c0, which only an LSTM takes/],
    ['noGrad "yes"', (l) => l.gru.forward(x, { noGrad: 'yes' as never }), TypeError, 'ERR_RNN_TYPE', /GRU\.forward option noGrad must be true or false; got the string "yes"/],
    // h0, c0
    ['h0 for one direction and layer of four', (l) => l.lstm.forward(x, { h0: states(1) }), RangeError, 'ERR_RNN_SHAPE', /h0 must have shape \(4, 2, 4\) \(D·numLayers, N, hiddenSize\) to match x and this LSTM; got \(1, 2, 4\)/],
    ['h0 of another batch', (l) => l.gru.forward(x, { h0: randn(rng, [1, 3, H]) }), RangeError, 'ERR_RNN_SHAPE', /h0 must have shape \(1, 2, 4\) .*; got \(1, 3, 4\)/],
    ['h0 of rank 2', (l) => l.gru.forward(x, { h0: randn(rng, [N, H]) }), RangeError, 'ERR_RNN_SHAPE', /h0 must have 3 dimensions \(D·numLayers, N, hiddenSize\); got shape \(2, 4\)/],
    ['c0 of another hidden size', (l) => l.lstm.forward(x, { c0: randn(rng, [4, N, 5]) }), RangeError, 'ERR_RNN_SHAPE', /c0 must have shape \(4, 2, 4\) .*; got \(4, 2, 5\)/],
    ['h0 with a string inside', (l) => l.gru.forward(x, { h0: [[[1, 2, 3, 'a']]] as never }), TypeError, 'ERR_RNN_TYPE', /h0\[0\]\[0\]\[3\] must be a number; got the string "a"/],
    // lengths
    ['one length for two sequences', (l) => l.gru.forward(x, { lengths: [3] }), RangeError, 'ERR_RNN_SHAPE', /lengths must hold N = 2 values \(one per sequence of x\); got 1/],
    ['a length of 0', (l) => l.gru.forward(x, { lengths: [3, 0] }), RangeError, 'ERR_RNN_VALUE', /lengths\[1\] must be an integer in 1\.\.5 \(T, the steps of x\); got number 0/],
    ['a length over T', (l) => l.lstm.forward(x, { lengths: Int32Array.of(6, 1) }), RangeError, 'ERR_RNN_VALUE', /lengths\[0\] must be an integer in 1\.\.5 .*; got number 6/],
    ['a fractional length', (l) => l.gru.forward(x, { lengths: [2.5, 1] }), RangeError, 'ERR_RNN_VALUE', /lengths\[0\] must be an integer in 1\.\.5 .*; got number 2\.5/],
    ['a NaN length', (l) => l.gru.forward(x, { lengths: [1, NaN] }), RangeError, 'ERR_RNN_VALUE', /lengths\[1\] must be an integer in 1\.\.5 .*; got number NaN/],
    ['a string length', (l) => l.gru.forward(x, { lengths: ['2', 1] as never }), RangeError, 'ERR_RNN_VALUE', /lengths\[0\] must be an integer in 1\.\.5 .*; got the string "2"/],
    ['lengths a number', (l) => l.gru.forward(x, { lengths: 5 as never }), TypeError, 'ERR_RNN_TYPE', /lengths must be a number\[\] or an Int32Array of N = 2 sequence lengths; got number 5/],
    // backward
    ['backward of a made-up result', (l) => l.gru.backward({ output: x, h: states(1) }), TypeError, 'ERR_RNN_TYPE', /GRU\.backward's result must be the object this layer's forward returned; got an object/],
    ['backward of another layer\'s result', (l) => l.gru.backward(new GRU({ inputSize: F, hiddenSize: H, seed: 2 }).forward(x)), TypeError, 'ERR_RNN_TYPE', /GRU\.backward's result must be the object this layer's forward returned; got one that another layer's forward returned/],
    ['backward of undefined', (l) => l.gru.backward(undefined as never), TypeError, 'ERR_RNN_TYPE', /GRU\.backward's result must be .*; got undefined/],
    ['backward of a noGrad result', (l) => l.lstm.backward(l.lstm.forward(x, { noGrad: true })), RangeError, 'ERR_RNN_VALUE', /LSTM\.backward: result came from forward\(x, \{ noGrad: true \}\).*call forward without noGrad/],
    ['upstream output of another shape', (l) => l.lstm.backward(l.lstm.forward(x), { output: randn(rng, [T, N, H]) }), RangeError, 'ERR_RNN_SHAPE', /upstream\.output must have shape \(5, 2, 8\) \(T, N, D·hiddenSize\) to match result; got \(5, 2, 4\)/],
    ['batch-first upstream output time-major', (l) => l.bf.backward(l.bf.forward({ data: x.data, shape: [N, T, F] }), { output: randn(rng, [T, N, H]) }), RangeError, 'ERR_RNN_SHAPE', /upstream\.output must have shape \(2, 5, 4\) \(N, T, D·hiddenSize\) to match result; got \(5, 2, 4\)/],
    ['upstream h of another shape', (l) => l.lstm.backward(l.lstm.forward(x), { h: states(2) }), RangeError, 'ERR_RNN_SHAPE', /upstream\.h must have shape \(4, 2, 4\) .*; got \(2, 2, 4\)/],
    ['upstream c of rank 1', (l) => l.lstm.backward(l.lstm.forward(x), { c: [1, 2] }), RangeError, 'ERR_RNN_SHAPE', /upstream\.c must have 3 dimensions \(D·numLayers, N, hiddenSize\); got shape \(2,\)/],
    ['upstream c for a GRU', (l) => l.gru.backward(l.gru.forward(x), { c: states(1) } as never), RangeError, 'ERR_RNN_VALUE', /GRU\.backward upstream has c, which only an LSTM's result has/],
    ['an unknown upstream key', (l) => l.gru.backward(l.gru.forward(x), { dh: states(1) } as never), RangeError, 'ERR_RNN_VALUE', /GRU\.backward upstream has an unknown key "dh"; the known keys are output, h/],
    ['upstream a string', (l) => l.gru.backward(l.gru.forward(x), 'h' as never), TypeError, 'ERR_RNN_TYPE', /GRU\.backward upstream must be an options object; got the string "h"/],
  ];

  test.each(CASES)('%s', (_name, fn, cls, code, message) => {
    const layers = make();
    const before = snapshot(layers);
    expectError(() => fn(layers), cls, code, message);
    expect(snapshot(layers)).toEqual(before);
  });

  describe('loadStateDict', () => {
    const sdOf = (l: LSTM | GRU | RNN) => l.stateDict();
    const without = (sd: Record<string, NDArray>, key: string) => Object.fromEntries(Object.entries(sd).filter(([k]) => k !== key));
    const prefixed = (sd: Record<string, NDArray>, prefix: string): Record<string, NDArray> => Object.fromEntries(Object.entries(sd).map(([k, v]) => [prefix + k, v]));
    const SD_CASES: [string, (l: Layers) => unknown, ErrorClass, string, RegExp][] = [
      ['a missing key', (l) => l.gru.loadStateDict(without(sdOf(l.gru), 'weight_hh_l0')), TypeError, 'ERR_RNN_MISSING_KEY', /stateDict is missing key "weight_hh_l0" \(expected an array of shape \(12, 4\) \(3·hiddenSize, hiddenSize\)\)/],
      ['a missing key under a prefix', (l) => l.gru.loadStateDict(prefixed(without(sdOf(l.gru), 'bias_hh_l0'), 'enc.'), 'enc.'), TypeError, 'ERR_RNN_MISSING_KEY', /stateDict is missing key "enc\.bias_hh_l0" \(expected an array of shape \(12,\) \(3·hiddenSize\)\)/],
      ['a missing reverse key', (l) => l.lstm.loadStateDict(without(sdOf(l.lstm), 'weight_ih_l1_reverse')), TypeError, 'ERR_RNN_MISSING_KEY', /missing key "weight_ih_l1_reverse" \(expected an array of shape \(16, 8\) \(4·hiddenSize, 2·hiddenSize\)\)/],
      ['a transposed weight', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), weight_ih_l0: randn(rng, [F, 3 * H]) }), RangeError, 'ERR_RNN_SHAPE', /stateDict\["weight_ih_l0"\] must have shape \(12, 3\) \(3·hiddenSize, inputSize\); got \(3, 12\)/],
      ['a wrong shape under a prefix', (l) => l.gru.loadStateDict({ ...prefixed(sdOf(l.gru), 'm.gru.'), 'm.gru.bias_ih_l0': [1, 2] }, { prefix: 'm.gru.' }), RangeError, 'ERR_RNN_SHAPE', /stateDict\["m\.gru\.bias_ih_l0"\] must have shape \(12,\) \(3·hiddenSize\); got \(2,\)/],
      ['a Float32Array of the wrong length', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), bias_hh_l0: new Float32Array(11) }), RangeError, 'ERR_RNN_SHAPE', /stateDict\["bias_hh_l0"\] must have shape \(12,\) \(3·hiddenSize\); got a Float32Array of 11 values/],
      ['an unknown key', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), weight_ih_l1: randn(rng, [12, 4]) }), RangeError, 'ERR_RNN_VALUE', /stateDict has an unknown key "weight_ih_l1"; this GRU takes weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0/],
      ['an unknown key under a prefix', (l) => l.gru.loadStateDict({ ...prefixed(sdOf(l.gru), 'rnn.'), 'rnn.weight_ih_l0_reverse': x, 'head.weight': x }, 'rnn.'), RangeError, 'ERR_RNN_VALUE', /stateDict has an unknown key "rnn\.weight_ih_l0_reverse"; this GRU takes under the prefix "rnn\." weight_ih_l0, /],
      ['a whole model without a prefix', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), 'head.weight': x }), RangeError, 'ERR_RNN_VALUE', /unknown key "head\.weight" \(to read part of a larger state dict, pass its key prefix/],
      ['biases for a layer without', (l) => new GRU({ inputSize: F, hiddenSize: H, bias: false }).loadStateDict(sdOf(l.gru)), RangeError, 'ERR_RNN_VALUE', /unknown key "bias_ih_l0" \(this layer was built with bias: false\)/],
      ['a value that is a string', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), weight_hh_l0: 'w' as never }), TypeError, 'ERR_RNN_TYPE', /stateDict\["weight_hh_l0"\] must be an NDArray .*; got the string "w"/],
      ['an Int32Array value', (l) => l.gru.loadStateDict({ ...sdOf(l.gru), bias_hh_l0: new Int32Array(12) as never }), TypeError, 'ERR_RNN_TYPE', /stateDict\["bias_hh_l0"\]\.data must be a Float64Array, Float32Array or number\[\]; got an Int32Array/],
      ['null', (l) => l.gru.loadStateDict(null as never), TypeError, 'ERR_RNN_TYPE', /stateDict must be an object of named weight arrays; got null/],
      ['a Map', (l) => l.gru.loadStateDict(new Map() as never), TypeError, 'ERR_RNN_TYPE', /stateDict must be an object of named weight arrays; got a Map/],
      ['a numeric prefix', (l) => l.gru.loadStateDict(sdOf(l.gru), 5 as never), TypeError, 'ERR_RNN_TYPE', /loadStateDict's prefix must be a string or \{ prefix: string \}; got number 5/],
    ];

    test.each(SD_CASES)('%s', (_name, fn, cls, code, message) => {
      const layers = make();
      const before = snapshot(layers);
      expectError(() => fn(layers), cls, code, message);
      expect(snapshot(layers)).toEqual(before);
    });

    test('a bad last key leaves every weight as it was', () => {
      const layers = make();
      const before = snapshot(layers);
      const sd = new LSTM({ inputSize: F, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 77 }).stateDict();
      sd.bias_hh_l1_reverse = { data: new Float64Array(3), shape: [3] };
      expectError(() => layers.lstm.loadStateDict(sd), RangeError, 'ERR_RNN_SHAPE', /bias_hh_l1_reverse/);
      expect(snapshot(layers)).toEqual(before);
    });
  });
});
