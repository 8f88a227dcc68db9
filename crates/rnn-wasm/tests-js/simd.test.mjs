/**
 * The SIMD128 paths of the built module, checked inside the module itself. The suite loads the
 * probes build (test/wasm/rnn_wasm_probes.wasm: the shipped exports plus `rnn_test_gemm`), whose
 * kernels are the shipped module's:
 *
 * - the packed, register-blocked GEMM against the scalar reference loops (`rnn_test_gemm`),
 *   over every size 0..19, odd shapes, strided layouts, general α/β and k long enough to be
 *   blocked;
 * - the vectorised activations through the public exports: `rnn_sigmoid`, `tanh` through a
 *   one-unit `rnn_forward` whose pre-activation is exactly the input, and `rnn_softmax`,
 *   against JavaScript's Math.exp / Math.tanh, special values included.
 *
 * Native `cargo test` runs the same Rust code with two-lane arithmetic emulated lane by lane;
 * this suite covers the real `v128` instructions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const wasmUrl = new URL('../../../test/wasm/rnn_wasm_probes.wasm', import.meta.url);
const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmUrl)), {}).exports;

/** Relative distance between the packed and reference GEMM for one case; fails on -1 / ∞. */
function gemmError(m, n, k, layout, alpha, beta, seed) {
  const err = wasm.rnn_test_gemm(m, n, k, layout, alpha, beta, seed);
  if (!(err >= 0 && err <= 1e-13)) {
    throw new Error(`packed GEMM m=${m} n=${n} k=${k} layout=${layout} α=${alpha} β=${beta}: error ${err}`);
  }
  return err;
}

describe('packed SIMD128 GEMM vs the scalar reference', () => {
  it('every size 0..19, rotating layouts, β = 0 (C poisoned with NaN) and β = 1', () => {
    let seed = 1;
    for (let m = 0; m <= 19; m++) {
      for (let n = 0; n <= 19; n++) {
        for (let k = 0; k <= 19; k++) {
          for (const beta of [0, 1]) gemmError(m, n, k, (m + 2 * n + 3 * k) % 8, 1, beta, seed++);
        }
      }
    }
  });

  it('sizes 0..7, every layout of A, B and C, general α and β', () => {
    let seed = 7;
    for (let m = 0; m <= 7; m++) {
      for (let n = 0; n <= 7; n++) {
        for (let k = 0; k <= 7; k++) {
          for (let layout = 0; layout < 8; layout++) {
            for (const [alpha, beta] of [[1, 0], [-0.5, 1], [2, 0.25], [0, 1]]) {
              gemmError(m, n, k, layout, alpha, beta, seed++);
            }
          }
        }
      }
    }
  });

  it('odd and long shapes, including k split into blocks', () => {
    const shapes = [
      [17, 257, 3], [63, 1, 10], [0, 64, 4], [64, 0, 4], [1, 1024, 1], [1024, 1, 1], [1, 1, 1024],
      [33, 17, 65], [5, 0, 7], [64, 64, 64], [1, 9, 300], [257, 17, 400], [100, 30, 1000],
      [512, 32, 193], [13, 6, 385], [4, 4, 2048], [9, 5, 2100], [6, 3, 3073],
    ];
    let seed = 99;
    for (const [m, n, k] of shapes) {
      for (let layout = 0; layout < 8; layout++) {
        for (const beta of [0, 1]) gemmError(m, n, k, layout, 1, beta, seed++);
      }
      gemmError(m, n, k, 0, -1.5, 0.5, seed++);
    }
  });
});

/** Runs an export over f64 arrays placed in linear memory; returns the output buffers. */
function call(name, dims, inputs, outputLengths) {
  const bufs = [...inputs.map((a) => a.length), ...outputLengths].map((len) => ({
    len,
    ptr: wasm.rnn_alloc(Math.max(8, len * 8)) >>> 0,
  }));
  inputs.forEach((a, i) => new Float64Array(wasm.memory.buffer, bufs[i].ptr, a.length).set(a));
  const status = wasm[name](...dims, ...bufs.flatMap((b) => [b.ptr, b.len]));
  expect(status, `${name} status`).toBe(0);
  const outs = bufs.slice(inputs.length).map((b) => new Float64Array(wasm.memory.buffer, b.ptr, b.len).slice());
  for (const b of bufs) wasm.rnn_free(b.ptr, Math.max(8, b.len * 8));
  return outs;
}

/** Units in the last place between two finite doubles of the same sign. */
function ulps(a, b) {
  if (a === b) return 0;
  const buf = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = buf[0] - buf[1];
  return Number(d < 0n ? -d : d);
}

/** A dense sweep from 1e-300 out past the overflow thresholds, both signs, plus a grid. */
function sweep() {
  const v = [];
  for (let x = 1e-300; x < 800; x *= 1.01) v.push(x, -x);
  for (let i = 0; i < 40000; i++) v.push(-40 + i * 0.002 + 1e-7);
  return Float64Array.from(v);
}

describe('vectorised activations on SIMD128', () => {
  const specials = [0, -0, 1, -1, 40, -40, 709.7, -709.7, 745.2, -745.2, 800, -800, Infinity, -Infinity, NaN, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE];

  it('sigmoid: within 4 ulp of 1 / (1 + exp(-z)); special values as the formula', () => {
    const z = sweep();
    const [out] = call('rnn_sigmoid', [z.length], [z], [z.length]);
    let worst = 0;
    z.forEach((v, i) => {
      const want = 1 / (1 + Math.exp(-v));
      if (want < 2.2250738585072014e-308) {
        expect(out[i]).toBeLessThan(2.2250738585072014e-308);
        return;
      }
      worst = Math.max(worst, ulps(out[i], want));
    });
    expect(worst).toBeLessThanOrEqual(4);
    const s = Float64Array.from(specials);
    const [so] = call('rnn_sigmoid', [s.length], [s], [s.length]);
    const byValue = (v) => so[specials.indexOf(v)];
    expect(byValue(0)).toBe(0.5);
    expect(byValue(-0)).toBe(0.5);
    expect(byValue(Infinity)).toBe(1);
    expect(byValue(-Infinity)).toBe(0);
    expect(byValue(800)).toBe(1);
    expect(byValue(-800)).toBe(0);
    expect(byValue(Number.MAX_VALUE)).toBe(1);
    expect(byValue(-Number.MAX_VALUE)).toBe(0);
    expect(byValue(5e-324)).toBe(0.5);
    expect(Number.isNaN(so[specials.findIndex(Number.isNaN)])).toBe(true);
  });

  it('tanh (one-unit rnn_forward with Wax = 1, Waa = ba = 0): within 3 ulp of Math.tanh', () => {
    const check = (x) => {
      const m = x.length;
      // a = tanh(Waa·a0 + Wax·x + ba) = tanh(0 + x + 0) = tanh(x) exactly for a0 = 0.
      const [a] = call(
        'rnn_forward',
        [1, 1, 1, m, 1],
        [x, new Float64Array(m), [1], [0], [0], [0], [0]].map((v) => Float64Array.from(v)),
        [m, m, wasm.rnn_forward_workspace(1, 1, 1, m, 1)],
      );
      return a;
    };
    const x = sweep();
    const a = check(x);
    let worst = 0;
    x.forEach((v, i) => {
      worst = Math.max(worst, ulps(a[i], Math.tanh(v)));
    });
    expect(worst).toBeLessThanOrEqual(3);
    const s = Float64Array.from(specials.filter((v) => !Object.is(v, -0)));
    const as = check(s);
    Array.from(s).forEach((v, i) => {
      if (Number.isNaN(v)) expect(Number.isNaN(as[i])).toBe(true);
      else if (Math.abs(v) >= 22) expect(as[i]).toBe(Math.sign(v));
      else expect(ulps(as[i], Math.tanh(v))).toBeLessThanOrEqual(3);
    });
  });

  it('softmax: columns as exp(z - max) / sum, NaN and ±∞ as NumPy', () => {
    const rows = 7;
    const cols = 9;
    const z = new Float64Array(rows * cols).map((_, i) => Math.sin(i * 1.3) * 50);
    z[0 * cols + 3] = NaN; // column 3 all NaN
    z[2 * cols + 4] = Infinity; // ∞ - ∞: column 4 NaN
    for (let i = 0; i < rows; i++) z[i * cols + 5] = -Infinity; // all -∞: NaN
    z[1 * cols + 6] = -Infinity; // one -∞: exactly 0 there
    const [out] = call('rnn_softmax', [rows, cols], [z], [z.length]);
    for (let j = 0; j < cols; j++) {
      const col = Array.from({ length: rows }, (_, i) => z[i * cols + j]);
      const max = col.some(Number.isNaN) ? NaN : Math.max(...col);
      const e = col.map((v) => Math.exp(v - max));
      const sum = e.reduce((s, v) => s + v, 0);
      for (let i = 0; i < rows; i++) {
        const want = e[i] / sum;
        const got = out[i * cols + j];
        if (Number.isNaN(want)) expect(Number.isNaN(got), `(${i}, ${j})`).toBe(true);
        else expect(Math.abs(got - want), `(${i}, ${j})`).toBeLessThanOrEqual(4e-16);
      }
    }
    expect(out[1 * cols + 6]).toBe(0);
  });
});
