/**
 * The recurrent layers against PyTorch, shared by test/layers-torch.test.ts (Node entry, every
 * backend) and test/browser/layers.spec.ts (browser entry, wasm and js): LSTM, GRU (PyTorch's
 * reset and the reset-before-product variant), RNN tanh and ReLU, each over the grid of cases in
 * test/fixtures/layers/*.json (torch float64: numLayers 1/2, uni/bidirectional, with and without
 * lengths, with and without bias, batch-first and time-major, h0/c0 given or absent, every size 1,
 * one larger case). Every output of forward and every gradient of backward must be within 1e-10
 * relative to the largest magnitude of that array.
 *
 * Also the safetensors files torch wrote (float32, bfloat16, float16 on disk), handed in as bytes
 * by the caller: every tensor reads back exactly, and a layer loaded from them (a whole model's
 * file, through a key prefix) computes torch's float64 outputs for those same rounded weights.
 *
 * The fixtures come from test/fixtures/layers/make_fixtures.py; see test/fixtures/README.md.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { BackendName, NDArray } from '../../ts/index.js';
import gruJson from '../fixtures/layers/gru.json' with { type: 'json' };
import gruResetBeforeJson from '../fixtures/layers/gru_reset_before.json' with { type: 'json' };
import lstmJson from '../fixtures/layers/lstm.json' with { type: 'json' };
import rnnReluJson from '../fixtures/layers/rnn_relu.json' with { type: 'json' };
import rnnTanhJson from '../fixtures/layers/rnn_tanh.json' with { type: 'json' };
import torchGruBf16Json from '../fixtures/layers/torch_gru_bf16.json' with { type: 'json' };
import torchLstmJson from '../fixtures/layers/torch_lstm.json' with { type: 'json' };
import torchRnnF16Json from '../fixtures/layers/torch_rnn_f16.json' with { type: 'json' };
import type { Api } from './api.js';
import { fromFixture, relErr, sameValues, type FixtureArray } from './helpers.js';

export const TOLERANCE = 1e-10;

/**
 * What the suite uses of an entry: the layer classes and backend switch of the shared core, and
 * the entry's own safetensors functions (bytes in and out; the Node entry also takes paths, which
 * test/layers-torch.test.ts checks itself).
 */
export type LayersApi = Pick<Api, 'LSTM' | 'GRU' | 'RNN' | 'getBackend' | 'setBackend'> & {
  loadSafetensors: (source: Uint8Array | ArrayBuffer) => Record<string, NDArray>;
  saveSafetensors: (tensors: Record<string, NDArray>, path?: undefined, options?: { dtype?: 'float64' | 'float32' }) => Uint8Array;
};

/** A safetensors fixture file's bytes by its name in test/fixtures/layers/. */
export type ReadLayerFixture = (file: string) => Uint8Array | Promise<Uint8Array>;

export type ClassName = 'LSTM' | 'GRU' | 'RNN';

export interface LayerOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
  nonlinearity?: 'tanh' | 'relu';
  linearBeforeReset?: boolean;
}

export interface LayerCase {
  name: string;
  options: LayerOptions;
  T: number;
  N: number;
  stateDict: Record<string, FixtureArray>;
  inputs: { x: FixtureArray; h0?: FixtureArray; c0?: FixtureArray; lengths?: number[] };
  upstream: { output: FixtureArray; h: FixtureArray; c?: FixtureArray };
  outputs: { output: FixtureArray; h: FixtureArray; c?: FixtureArray };
  grads: { x: FixtureArray; h0: FixtureArray; c0?: FixtureArray; params: Record<string, FixtureArray> };
}

export interface CellFile {
  cell: string;
  class: ClassName;
  cases: LayerCase[];
}

export interface SafetensorsFixture {
  file: string;
  dtype: string;
  prefix: string;
  class: ClassName;
  options: LayerOptions;
  tensors: Record<string, FixtureArray>;
  inputs: { x: FixtureArray; h0: FixtureArray; c0?: FixtureArray; lengths: number[] };
  outputs: { output: FixtureArray; h: FixtureArray; c?: FixtureArray };
}

/** lstm, gru, gru_reset_before, rnn_tanh, rnn_relu (test/fixtures/layers/<cell>.json). */
export const CELL_FILES: readonly CellFile[] = [lstmJson, gruJson, gruResetBeforeJson, rnnTanhJson, rnnReluJson] as unknown as CellFile[];

/** torch_lstm, torch_gru_bf16, torch_rnn_f16 (the .json beside each .safetensors file). */
export const SAFETENSORS: readonly SafetensorsFixture[] = [torchLstmJson, torchGruBf16Json, torchRnnF16Json] as unknown as SafetensorsFixture[];

export const dictOf = (d: Record<string, FixtureArray>): Record<string, NDArray> =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, fromFixture(v)]));

/** Asserts `tensors` holds exactly the fixture's tensors: same keys, shapes and float64 values. */
export function expectTensorsExact(tensors: Record<string, NDArray>, f: SafetensorsFixture, how: string): void {
  expect(Object.keys(tensors).sort(), `${f.file} (${how}): keys`).toEqual(Object.keys(f.tensors).sort());
  for (const [key, exp] of Object.entries(f.tensors)) {
    const got = tensors[key];
    expect(got.data, `${f.file} (${how}): ${key}`).toBeInstanceOf(Float64Array);
    expect(Array.from(got.shape), `${f.file} (${how}): ${key} shape`).toEqual(exp.shape);
    // Every value of F32/BF16/F16 is a float64 value: conversion must be exact.
    expect(sameValues(got.data, exp.data), `${f.file} (${how}): ${key} (${f.dtype}) values`).toBe(true);
  }
}

/**
 * Defines the suite on `api` (the entry under test), once per backend of `backends`; `title` is
 * the describe title, with %s for the backend. `readFixture` gives the safetensors files' bytes
 * (read once, before the tests). Prints the worst errors afterwards.
 */
export function defineLayersTorchSuite(api: LayersApi, backends: readonly BackendName[], title: string, readFixture: ReadLayerFixture): void {
  const { getBackend, loadSafetensors, saveSafetensors, setBackend } = api;
  const CLASSES = { LSTM: api.LSTM, GRU: api.GRU, RNN: api.RNN };
  const build = (cls: ClassName, options: LayerOptions) => new CLASSES[cls](options);

  const bytes = new Map<string, Uint8Array>();
  beforeAll(async () => {
    for (const f of SAFETENSORS) bytes.set(f.file, await readFixture(f.file));
  });
  const bytesOf = (file: string): Uint8Array => {
    const b = bytes.get(file);
    if (b === undefined) throw new Error(`${file} was not read`);
    return b;
  };

  /** Worst relative error per (file, backend, array), printed after the suite. */
  const worst = new Map<string, { err: number; where: string }>();

  function expectClose(got: NDArray | undefined, exp: FixtureArray, group: string, what: string, where: string): void {
    expect(got, `${where}: ${what} is missing`).toBeDefined();
    expect(got!.data, `${where}: ${what}`).toBeInstanceOf(Float64Array);
    expect(Array.from(got!.shape), `${where}: ${what} shape`).toEqual(exp.shape);
    const err = relErr(got!.data, exp.data);
    const key = `${group} | ${getBackend()} | ${what}`;
    const prev = worst.get(key);
    if (!prev || !(err <= prev.err)) worst.set(key, { err, where });
    expect(err, `${where}: ${what}: max|got-exp| / max|exp| = ${err}`).toBeLessThanOrEqual(TOLERANCE);
  }

  afterAll(() => {
    if (worst.size === 0) return;
    const lines = [...worst.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v.err.toExponential(2)} (${v.where})`);
    console.log(`worst relative errors against torch:\n${lines.join('\n')}`);
  });

  describe.each(backends)(title, (backend) => {
    beforeEach(() => {
      setBackend(backend);
      expect(getBackend()).toBe(backend);
    });

    for (const file of CELL_FILES) {
      describe(file.cell, () => {
        test.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
          const where = `${c.name} (${backend})`;
          const isLstm = file.class === 'LSTM';
          const layer = build(file.class, c.options);
          layer.loadStateDict(dictOf(c.stateDict));

          const args: { h0?: NDArray; c0?: NDArray; lengths?: number[] } = {};
          if (c.inputs.h0) args.h0 = fromFixture(c.inputs.h0);
          if (c.inputs.c0) args.c0 = fromFixture(c.inputs.c0);
          if (c.inputs.lengths) args.lengths = c.inputs.lengths.slice();
          const result = layer.forward(fromFixture(c.inputs.x), args);
          expectClose(result.output, c.outputs.output, file.cell, 'output', where);
          expectClose(result.h, c.outputs.h, file.cell, 'h', where);
          if (isLstm) expectClose(result.c, c.outputs.c!, file.cell, 'c', where);
          else expect((result as { c?: unknown }).c, `${where}: c`).toBeUndefined();

          const upstream: { output: NDArray; h: NDArray; c?: NDArray } = {
            output: fromFixture(c.upstream.output),
            h: fromFixture(c.upstream.h),
          };
          if (isLstm) upstream.c = fromFixture(c.upstream.c!);
          const grads = layer.backward(result, upstream);
          expectClose(grads.x, c.grads.x, file.cell, 'dx', where);
          // h0's gradient is defined (and returned) whether or not the case gave an h0.
          expectClose(grads.h0, c.grads.h0, file.cell, 'dh0', where);
          if (isLstm) expectClose(grads.c0, c.grads.c0!, file.cell, 'dc0', where);
          expect(Object.keys(grads.params).sort(), `${where}: gradient keys`).toEqual(Object.keys(c.grads.params).sort());
          for (const [key, exp] of Object.entries(c.grads.params)) {
            expectClose(grads.params[key], exp, file.cell, `d${key.replace(/_l\d+(_reverse)?$/, '')}`, `${where} ${key}`);
          }
        });
      });
    }

    describe('layers loaded from safetensors files torch wrote', () => {
      test.each(SAFETENSORS.map((f) => [f.file, f] as const))('%s', (_name, f) => {
        const where = `${f.file} (${backend})`;
        const sd = loadSafetensors(bytesOf(f.file));
        const layer = build(f.class, f.options);
        if (f.prefix) layer.loadStateDict(sd, f.prefix);
        else layer.loadStateDict(sd);
        const args: { h0: NDArray; c0?: NDArray; lengths: number[] } = {
          h0: fromFixture(f.inputs.h0),
          lengths: f.inputs.lengths.slice(),
        };
        if (f.inputs.c0) args.c0 = fromFixture(f.inputs.c0);
        const result = layer.forward(fromFixture(f.inputs.x), args);
        const group = `safetensors ${f.dtype}`;
        expectClose(result.output, f.outputs.output, group, 'output', where);
        expectClose(result.h, f.outputs.h, group, 'h', where);
        if (f.outputs.c) expectClose(result.c, f.outputs.c, group, 'c', where);
      });
    });
  });

  describe('safetensors files torch wrote read back exactly', () => {
    test.each(SAFETENSORS.map((f) => [f.file, f] as const))('%s', (_name, f) => {
      const b = bytesOf(f.file);
      expectTensorsExact(loadSafetensors(b), f, 'Uint8Array');
      // The same bytes as an ArrayBuffer of their own.
      expectTensorsExact(loadSafetensors(b.slice().buffer), f, 'ArrayBuffer');
    });

    test('the whole-model file loads into the layer through a prefix given as an object too', () => {
      const f = SAFETENSORS.find((s) => s.prefix !== '')!;
      const sd = loadSafetensors(bytesOf(f.file));
      const layer = build(f.class, f.options);
      layer.loadStateDict(sd, { prefix: f.prefix });
      const own = layer.stateDict();
      const expectedKeys = Object.keys(f.tensors).filter((k) => k.startsWith(f.prefix)).map((k) => k.slice(f.prefix.length));
      expect(Object.keys(own).sort()).toEqual(expectedKeys.sort());
      for (const key of expectedKeys) {
        expect(sameValues(own[key].data, f.tensors[f.prefix + key].data), key).toBe(true);
      }
    });

    test('saveSafetensors then loadSafetensors gives back the same tensors (float64, and float32 for float32 values)', () => {
      const f = SAFETENSORS.find((s) => s.dtype === 'F32')!;
      const tensors = dictOf(f.tensors);
      for (const dtype of ['float64', 'float32'] as const) {
        const back = loadSafetensors(saveSafetensors(tensors, undefined, { dtype }));
        expect(Object.keys(back).sort(), dtype).toEqual(Object.keys(tensors).sort());
        for (const [key, exp] of Object.entries(tensors)) {
          expect(Array.from(back[key].shape), `${dtype} ${key} shape`).toEqual(exp.shape);
          expect(sameValues(back[key].data, exp.data), `${dtype} ${key} values`).toBe(true);
        }
      }
    });
  });
}
