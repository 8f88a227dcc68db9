/**
 * The ONNX recurrent operators (onnxLSTM, onnxGRU, onnxRNN), shared by test/onnx-ops.test.ts (Node
 * entry, every backend) and test/browser/onnx.spec.ts (browser entry, wasm and js), against
 * test/fixtures/onnx/*.json (written by make_fixtures.py):
 *
 * - generated.json: every attribute (directions, sequence_lens with a length-0 sequence,
 *   initial_h/initial_c, B, peepholes, clip, input_forget, linear_before_reset, every activation
 *   function with and without alpha/beta, hidden_size omitted) on each cell and direction.
 *   Float32Array inputs must give Float32Array outputs within 1e-5 (relative to each output's
 *   largest magnitude) of onnxruntime's float32 results, and be exactly the float64 results
 *   rounded (the computation is float64 either way); float64 inputs must match the fixture's
 *   float64 NumPy reference (itself checked against onnxruntime) within 1e-10. layout 1 must
 *   give exactly the layout-0 results, transposed.
 * - backend.json: ONNX's own backend test cases (float32 expectations of ONNX's reference;
 *   the batchwise ones use layout 1), within 1e-5.
 */
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import type { BackendName } from '../../ts/index.js';
import type { OnnxLSTMInputs, OnnxTensor } from '../../ts/onnx/operators.js';
import backendJson from '../fixtures/onnx/backend.json' with { type: 'json' };
import generatedJson from '../fixtures/onnx/generated.json' with { type: 'json' };
import type { Api } from './api.js';
import { relErr, sameValues } from './helpers.js';

/** What the suite uses of an entry: the three operators and the backend switch. */
export type OnnxOpsApi = Pick<Api, 'onnxLSTM' | 'onnxGRU' | 'onnxRNN' | 'getBackend' | 'setBackend'>;

export interface Arr {
  shape: number[];
  data: number[];
}

export interface OnnxCase {
  name: string;
  op: 'LSTM' | 'GRU' | 'RNN';
  inputs: Record<string, Arr | number[]>;
  attributes: Record<string, unknown>;
  /** generated.json: onnxruntime's float32 outputs and the float64 reference's. */
  ort?: Record<string, Arr>;
  ref?: Record<string, Arr>;
  /** backend.json: ONNX's expected outputs. */
  outputs?: Record<string, Arr>;
}

export const GENERATED = (generatedJson as unknown as { cases: OnnxCase[] }).cases;
export const ONNX_BACKEND = (backendJson as unknown as { cases: OnnxCase[] }).cases;
export const FLOAT32_TOLERANCE = 1e-5;
export const FLOAT64_TOLERANCE = 1e-10;

type AnyOp = (inputs: unknown, attributes?: unknown) => Record<string, OnnxTensor>;

const isLengths = (key: string, v: Arr | number[]): v is number[] => key === 'sequence_lens' && Array.isArray(v);

/** The case's inputs with float arrays as Float32Array or Float64Array data; sequence_lens as Int32Array or number[]. */
export function inputsOf(c: OnnxCase, dtype: 'float32' | 'float64'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(c.inputs)) {
    if (isLengths(key, v)) out[key] = dtype === 'float32' ? Int32Array.from(v) : v.slice();
    else {
      const a = v;
      // The fixtures write float32 values in their shortest form: Math.fround gives the exact value.
      out[key] = { data: dtype === 'float32' ? Float32Array.from(a.data) : Float64Array.from(a.data, Math.fround), shape: a.shape.slice() };
    }
  }
  return out;
}

/** C-ordered `data` of `shape` with its axes permuted (`axes[k]` is the source axis of result axis k). */
function permute(data: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): { data: Float64Array; shape: number[] } {
  const outShape = axes.map((a) => shape[a]);
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((p, n) => p * n, 1));
  const out = new Float64Array(data.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let at = 0;
    for (let k = 0; k < axes.length; k++) at += index[k] * strides[axes[k]];
    out[i] = data[at];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++index[k] < outShape[k]) break;
      index[k] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** A layout-0 case's inputs in layout 1: X `[batch, seq, input]`, initial states `[batch, dir, hidden]` (same element type). */
function toLayout1(inputs: Record<string, unknown>): Record<string, unknown> {
  const out = { ...inputs };
  for (const key of ['X', 'initial_h', 'initial_c']) {
    const a = inputs[key] as { data: Float64Array | Float32Array; shape: number[] } | undefined;
    if (!a) continue;
    const p = permute(a.data, a.shape, [1, 0, 2]);
    out[key] = { data: a.data instanceof Float32Array ? Float32Array.from(p.data) : p.data, shape: p.shape };
  }
  return out;
}

/** Layout-0 outputs as layout 1 would give them. */
function outputsToLayout1(outputs: Record<string, OnnxTensor>): Record<string, { data: Float64Array; shape: number[] }> {
  const out: Record<string, { data: Float64Array; shape: number[] }> = {};
  for (const [key, v] of Object.entries(outputs)) out[key] = permute(v.data, v.shape, key === 'Y' ? [2, 0, 1, 3] : [1, 0, 2]);
  return out;
}

/**
 * Defines the suite: one `describe` per backend (titled by `title` with `%s` for the backend), each
 * with every generated case, every ONNX backend case, nested-array inputs and empty shapes.
 */
export function defineOnnxOpsSuite(api: OnnxOpsApi, backends: readonly BackendName[], title: string): void {
  const { getBackend, onnxLSTM, setBackend } = api;
  const OPS = { LSTM: api.onnxLSTM as unknown as AnyOp, GRU: api.onnxGRU as unknown as AnyOp, RNN: api.onnxRNN as unknown as AnyOp };

  const worst = new Map<string, { err: number; where: string }>();
  function record(kind: string, err: number, where: string): void {
    const w = worst.get(kind);
    if (!w || err > w.err) worst.set(kind, { err, where });
  }

  afterAll(() => {
    const lines = [...worst.entries()].map(([k, v]) => `  ${k}: ${v.err.toExponential(2)} (${v.where})`);
    if (lines.length > 0) console.log(`worst relative errors of the ONNX operators:\n${lines.join('\n')}`);
  });

  function expectClose(got: OnnxTensor | undefined, exp: Arr, tol: number, kind: string, where: string): void {
    expect(got, where).toBeDefined();
    expect(got!.shape, where).toEqual(exp.shape);
    const err = relErr(got!.data, exp.data);
    record(kind, err, where);
    expect(err, where).toBeLessThanOrEqual(tol);
  }

  describe.each(backends)(title, (backend) => {
    beforeEach(() => {
      setBackend(backend);
      expect(getBackend()).toBe(backend);
    });

    describe('every attribute, against onnxruntime (float32) and the float64 reference', () => {
      test.each(GENERATED.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const op = OPS[c.op];
        const f32 = op(inputsOf(c, 'float32'), c.attributes);
        const f64 = op(inputsOf(c, 'float64'), c.attributes);
        expect(Object.keys(f32).sort()).toEqual(Object.keys(c.ort!).sort());
        for (const [key, exp] of Object.entries(c.ort!)) {
          expect(f32[key].data, `${c.name} ${key}`).toBeInstanceOf(Float32Array);
          expectClose(f32[key], exp, FLOAT32_TOLERANCE, `float32 vs onnxruntime (${backend})`, `${c.name} ${key}`);
          // The float32 kernels against the float64 ones on the same inputs: float32's rounding only.
          // The js backend (the reference) computes float32 requests in float64: exactly rounded.
          if (backend === 'js') expect(sameValues(f32[key].data, Float32Array.from(f64[key].data)), `${c.name} ${key} float32 = rounded float64`).toBe(true);
          else expectClose(f32[key], { data: Array.from(f64[key].data), shape: exp.shape }, FLOAT32_TOLERANCE, `float32 vs float64 (${backend})`, `${c.name} ${key}`);
        }
        for (const [key, exp] of Object.entries(c.ref!)) {
          expect(f64[key].data, `${c.name} ${key}`).toBeInstanceOf(Float64Array);
          expectClose(f64[key], exp, FLOAT64_TOLERANCE, `float64 vs reference (${backend})`, `${c.name} ${key}`);
        }

        // layout 1: the same results, transposed.
        const batchwise = op(toLayout1(inputsOf(c, 'float64')), { ...c.attributes, layout: 1 });
        const expected = outputsToLayout1(f64);
        const batchwise32 = op(toLayout1(inputsOf(c, 'float32')), { ...c.attributes, layout: 1 });
        const expected32 = outputsToLayout1(f32);
        for (const [key, exp] of Object.entries(expected)) {
          expect(batchwise[key].shape, `${c.name} ${key} layout 1`).toEqual(exp.shape);
          expect(sameValues(batchwise[key].data, exp.data), `${c.name} ${key} layout 1`).toBe(true);
          expect(batchwise32[key].data, `${c.name} ${key} layout 1 float32`).toBeInstanceOf(Float32Array);
          expect(sameValues(batchwise32[key].data, Float32Array.from(expected32[key].data)), `${c.name} ${key} layout 1 float32`).toBe(true);
        }
      });
    });

    describe("ONNX's backend test cases", () => {
      test.each(ONNX_BACKEND.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const op = OPS[c.op];
        for (const dtype of ['float32', 'float64'] as const) {
          const got = op(inputsOf(c, dtype), c.attributes);
          for (const [key, exp] of Object.entries(c.outputs!)) {
            expect(got[key].data).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
            expectClose(got[key], exp, FLOAT32_TOLERANCE, `ONNX backend cases (${backend})`, `${c.name} ${key} ${dtype}`);
          }
        }
      });
    });

    test('nested arrays and number[] data are accepted (float64 outputs)', () => {
      const c = GENERATED.find((g) => g.name === 'lstm_bidirectional_full')!;
      const nested = (a: Arr): unknown => {
        const build = (depth: number, at: number): unknown => {
          if (depth === a.shape.length) return Math.fround(a.data[at]);
          const inner = a.shape.slice(depth + 1).reduce((p, n) => p * n, 1);
          return Array.from({ length: a.shape[depth] }, (_, i) => build(depth + 1, at + i * inner));
        };
        return build(0, 0);
      };
      const inputs: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(c.inputs)) inputs[key] = isLengths(key, v) ? { data: v, shape: [v.length] } : key === 'W' ? { data: v.data.map(Math.fround), shape: v.shape } : nested(v);
      const got = onnxLSTM(inputs as unknown as OnnxLSTMInputs, c.attributes);
      for (const [key, exp] of Object.entries(c.ref!)) {
        expect(got[key as 'Y'].data).toBeInstanceOf(Float64Array);
        expectClose(got[key as 'Y'], exp, FLOAT64_TOLERANCE, `float64 vs reference (${backend})`, `nested ${key}`);
      }
    });

    test('an empty batch and zero steps give empty Y and zero states', () => {
      const W = { data: new Float64Array(4 * 2 * 3).fill(0.1), shape: [1, 8, 3] };
      const R = { data: new Float64Array(4 * 2 * 2).fill(0.1), shape: [1, 8, 2] };
      const h = { data: Float64Array.of(1, 2, 3, 4), shape: [1, 2, 2] };
      const noBatch = onnxLSTM({ X: { data: new Float32Array(0), shape: [3, 0, 3] }, W, R });
      expect(noBatch.Y.shape).toEqual([3, 1, 0, 2]);
      expect(noBatch.Y_h.shape).toEqual([1, 0, 2]);
      expect(noBatch.Y_c.data).toBeInstanceOf(Float32Array);
      const noSteps = onnxLSTM({ X: { data: [], shape: [0, 2, 3] }, W, R, initial_h: h, initial_c: h });
      expect(noSteps.Y.shape).toEqual([0, 1, 2, 2]);
      expect(Array.from(noSteps.Y_h.data)).toEqual([0, 0, 0, 0]);
      expect(Array.from(noSteps.Y_c.data)).toEqual([0, 0, 0, 0]);
    });
  });
}
