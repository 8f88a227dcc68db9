/**
 * safetensors: files written by the Python package are read, and written back byte for byte;
 * float64 and float32 round trips; half and bfloat16 values built from their bits; hostile files,
 * each refused with RangeError ERR_RNN_MODEL_FORMAT naming the problem (and, under truncation
 * at every length and random byte changes, never any other error); the Node file functions and
 * the browser entry's, which take bytes only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
// Both entries in one file: these functions use no backend, so the browser entry's backend
// registration (which would join the Node entry's) changes nothing here.
import * as browser from '../ts/browser.js';
import { loadSafetensors, saveSafetensors } from '../ts/index.js';
import * as neutral from '../ts/layers/safetensors.js';

/**
 * Written by safetensors 0.8.0 with torch 2.15 (`safetensors.torch.save`), from
 *   t = {'weight_ih_l0': [[1.5, -2.25, 3.0], [0.1, 1e-300, -0.0]], 'bias_ih_l0': [inf, nan],
 *        'scalar': 2.0 ** -1074 (shape ()), 'empty': zeros((2, 0, 3)), 'Zed': [7.0]}  (float64)
 * F64: save(t, metadata={'format\n"\\': 'pt é\u0001'}); F32: save({k: v.float() for k, v in t.items()}).
 */
const PY_F64 =
  'aAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXRcblwiXFwiOiJwdCDDqVx1MDAwMSJ9LCJaZWQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiYmlhc19paF9sMCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzgsMjRdfSwiZW1wdHkiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzIsMCwzXSwiZGF0YV9vZmZzZXRzIjpbMjQsMjRdfSwic2NhbGFyIjp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOlsyNCwzMl19LCJ3ZWlnaHRfaWhfbDAiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0cyI6WzMyLDgwXX19ICAgICAAAAAAAAAcQAAAAAAAAPB/AAAAAAAA+H8BAAAAAAAAAAAAAAAAAPg/AAAAAAAAAsAAAAAAAAAIQJqZmZmZmbk/WfP4wh9upQEAAAAAAAAAgA==';
const PY_F32 =
  'OAEAAAAAAAB7IlplZCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzAsNF19LCJiaWFzX2loX2wwIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNCwxMl19LCJlbXB0eSI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwwLDNdLCJkYXRhX29mZnNldHMiOlsxMiwxMl19LCJzY2FsYXIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzEyLDE2XX0sIndlaWdodF9paF9sMCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMTYsNDBdfX0gICAAAOBAAACAfwAAwH8AAAAAAADAPwAAEMAAAEBAzczMPQAAAAAAAACA';
/**
 * Every dtype the reader converts, written by the same versions (mixed dtypes: the writer orders
 * them by alignment, so offsets are not in name order):
 *   f16 [1/3, -65504, 2**-24, 1e-5, -inf], bf16 [[3.14159265, -1e38], [2**-133, 1/3]],
 *   i64 [-2**63, 2**53 + 1, -5], i32 [-2**31, 2**31 - 1], i16 [-32768, 7], i8 [-128, 127],
 *   u8 [255, 0], u16 [65535], u32 [2**32 - 1], u64 [2**64 - 1], b [True, False] (bool), f32 [0.1].
 */
const PY_MIXED =
  'sAIAAAAAAAB7InU2NCI6eyJkdHlwZSI6IlU2NCIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzAsOF19LCJpNjQiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls4LDMyXX0sImYzMiI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzMyLDM2XX0sInUzMiI6eyJkdHlwZSI6IlUzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzM2LDQwXX0sImkzMiI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzQwLDQ4XX0sImJmMTYiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlsyLDJdLCJkYXRhX29mZnNldHMiOls0OCw1Nl19LCJmMTYiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzVdLCJkYXRhX29mZnNldHMiOls1Niw2Nl19LCJ1MTYiOnsiZHR5cGUiOiJVMTYiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOls2Niw2OF19LCJpMTYiOnsiZHR5cGUiOiJJMTYiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls2OCw3Ml19LCJpOCI6eyJkdHlwZSI6Ikk4Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNzIsNzRdfSwidTgiOnsiZHR5cGUiOiJVOCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6Wzc0LDc2XX0sImIiOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNzYsNzhdfX0gICAgICAg//////////8AAAAAAAAAgAEAAAAAACAA+//////////NzMw9/////wAAAID///9/SUCW/gEAqz5VNf/7AQCoAAD8//8AgAcAgH//AAEA';

const bytesOf = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

/** The tensors of PY_F64, as JavaScript arrays. */
function pythonTensors() {
  return {
    weight_ih_l0: { shape: [2, 3], data: Float64Array.of(1.5, -2.25, 3.0, 0.1, 1e-300, -0) },
    bias_ih_l0: { shape: [2], data: Float64Array.of(Infinity, NaN) },
    scalar: { shape: [], data: Float64Array.of(2 ** -1074) },
    empty: { shape: [2, 0, 3], data: new Float64Array(0) },
    Zed: { shape: [1], data: Float64Array.of(7) },
  };
}

/** Same values, bit for bit (NaN equal to NaN, -0 unequal to 0). */
function expectSame(actual: Float64Array, expected: ArrayLike<number>) {
  expect(Array.from(actual, (v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(
    Array.from(expected, (v) => (Object.is(v, -0) ? '-0' : String(v))),
  );
}

/** A file: the header (JSON text, or an object to stringify), then the data bytes. */
function file(header: string | object, data: ArrayLike<number> = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A tensor entry of the header. */
const entry = (dtype: unknown, shape: unknown, data_offsets: unknown) => ({ dtype, shape, data_offsets });

function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

describe('files written by the Python package', () => {
  test('float64 with metadata: every value, shape and name (scalar, zero-size, NaN, ±Infinity, -0, subnormal)', () => {
    const read = loadSafetensors(bytesOf(PY_F64));
    const expected = pythonTensors();
    expect(Object.keys(read)).toEqual(['Zed', 'bias_ih_l0', 'empty', 'scalar', 'weight_ih_l0']);
    for (const [name, { shape, data }] of Object.entries(expected)) {
      expect(read[name].shape).toEqual(shape);
      expect(read[name].data).toBeInstanceOf(Float64Array);
      expectSame(read[name].data, data);
    }
  });

  test('float64 with metadata: written back byte for byte', () => {
    const written = saveSafetensors(pythonTensors(), { metadata: { 'format\n"\\': 'pt é\u0001' } });
    expect(Buffer.from(written).toString('base64')).toBe(PY_F64);
  });

  test('float32: read as the float32 values, and written byte for byte from the float64 tensors', () => {
    const read = loadSafetensors(bytesOf(PY_F32));
    expectSame(read.weight_ih_l0.data, [1.5, -2.25, 3, Math.fround(0.1), 0, -0]);
    expectSame(read.bias_ih_l0.data, [Infinity, NaN]);
    expectSame(read.scalar.data, [0]);
    expect(read.empty.shape).toEqual([2, 0, 3]);
    expect(Buffer.from(saveSafetensors(pythonTensors(), { dtype: 'float32' })).toString('base64')).toBe(PY_F32);
  });

  test('every converted dtype, as torch converts it to float64', () => {
    const read = loadSafetensors(bytesOf(PY_MIXED));
    // torch's `.double()` / Python's float() of each, as printed by Python.
    const expected: Record<string, number[]> = {
      f16: [0.333251953125, -65504.0, 5.960464477539063e-8, 1.0013580322265625e-5, -Infinity],
      bf16: [3.140625, -9.969209968386869e37, 9.183549615799121e-41, 0.333984375],
      i64: [-9.223372036854776e18, 9007199254740992.0, -5.0],
      i32: [-2147483648.0, 2147483647.0],
      i16: [-32768.0, 7.0],
      i8: [-128.0, 127.0],
      u8: [255.0, 0.0],
      u16: [65535.0],
      u32: [4294967295.0],
      u64: [1.8446744073709552e19],
      b: [1.0, 0.0],
      f32: [0.10000000149011612],
    };
    expect(Object.keys(read).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, values] of Object.entries(expected)) expectSame(read[name].data, values);
    expect(read.bf16.shape).toEqual([2, 2]);
  });
});

describe('half and bfloat16 from their bits', () => {
  // F16: sign, 5 exponent bits (bias 15), 10 fraction bits; exponent 0 is subnormal (fraction × 2**-24).
  const F16: [number, number][] = [
    [0x3c00, 1], // exponent 15, fraction 0
    [0xc000, -2], // sign, exponent 16
    [0x3555, 1365 / 4096], // exponent 13: (1 + 341/1024) / 4
    [0x7bff, 65504], // largest finite: (2 - 2**-10) * 2**15
    [0x0400, 2 ** -14], // smallest normal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
    [0x7c01, NaN], // any nonzero fraction with exponent 31
    [0x8000, -0],
    [0x0000, 0],
  ];
  // BF16: the high 16 bits of a float32: sign, 8 exponent bits (bias 127), 7 fraction bits.
  const BF16: [number, number][] = [
    [0x3f80, 1], // exponent 127
    [0x4049, 3.140625], // exponent 128: 2 * (1 + 73/128)
    [0xc2f7, -123.5], // exponent 133: -(2**6) * (1 + 119/128)
    [0x7f7f, (2 - 2 ** -7) * 2 ** 127], // largest finite
    [0x0080, 2 ** -126], // smallest normal
    [0x0001, 2 ** -133], // smallest subnormal: 2**-149 * 2**16
    [0x7f80, Infinity],
    [0xff80, -Infinity],
    [0x7fc0, NaN],
    [0x8000, -0],
  ];

  test.each([
    ['F16', F16],
    ['BF16', BF16],
  ])('%s', (dtype, table) => {
    const data = new Uint8Array(table.length * 2);
    table.forEach(([bits], i) => new DataView(data.buffer).setUint16(2 * i, bits, true));
    const read = loadSafetensors(file({ t: entry(dtype, [table.length], [0, data.length]) }, data));
    expectSame(read.t.data, table.map(([, value]) => value));
  });
});

describe('round trips', () => {
  const SPECIAL = [0, -0, 1, -1, 0.1, 1e308, -1e-308, 2 ** -1074, Number.MAX_VALUE, NaN, Infinity, -Infinity, Math.PI];
  const SHAPES = [[], [0], [1], [13], [2, 0, 3], [3, 4], [2, 3, 2], [0, 0]];
  const tensors = () =>
    Object.fromEntries(
      SHAPES.map((shape, k) => {
        const size = shape.reduce((a, b) => a * b, 1);
        return [`t${k}.${shape.join('x')}`, { shape, data: Float64Array.from({ length: size }, (_, i) => SPECIAL[(i + k) % SPECIAL.length] * (1 + i / 7)) }];
      }),
    );

  test('float64: bit for bit, every shape (scalar and zero-size included)', () => {
    const original = tensors();
    const read = loadSafetensors(saveSafetensors(original));
    expect(Object.keys(read).sort()).toEqual(Object.keys(original).sort());
    for (const [name, { shape, data }] of Object.entries(original)) {
      expect(read[name].shape).toEqual(shape);
      expectSame(read[name].data, data);
    }
  });

  test('float32: each value rounded to float32 (Math.fround), every shape', () => {
    const original = tensors();
    const bytes = saveSafetensors(original, { dtype: 'float32' });
    expect(headerText(bytes)).not.toContain('F64');
    const read = loadSafetensors(bytes);
    for (const [name, { shape, data }] of Object.entries(original)) {
      expect(read[name].shape).toEqual(shape);
      expectSame(read[name].data, Array.from(data, Math.fround));
    }
  });

  test('inputs in any accepted form: nested arrays, numbers, Float32Array data, strided views', () => {
    const bytes = saveSafetensors({
      nested: [
        [1, 2],
        [3, 4],
      ],
      number: 5,
      f32: { shape: [2], data: Float32Array.of(0.5, 0.25) },
      strided: { shape: [2], data: Float64Array.of(1, 9, 2, 9), stride: [2] },
    });
    const read = loadSafetensors(bytes);
    expect(read.nested).toEqual({ shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) });
    expect(read.number).toEqual({ shape: [], data: Float64Array.of(5) });
    expect(read.f32).toEqual({ shape: [2], data: Float64Array.of(0.5, 0.25) });
    expect(read.strided).toEqual({ shape: [2], data: Float64Array.of(1, 2) });
  });

  test('the header: compact JSON, names in UTF-8 byte order, metadata first, padded with spaces to a multiple of 8', () => {
    // UTF-8 order: "10" < "2" < "B" < "a" < U+FFFD (EF BF BD) < U+1F600 (F0 9F 98 80); in UTF-16
    // order (JavaScript's sort) U+1F600 (D83D DE00) would come before U+FFFD.
    const names = ['a', '2', '\u{1f600}', '\ufffd', 'B', '10'];
    const bytes = saveSafetensors(Object.fromEntries(names.map((n) => [n, [1]])), { metadata: { z: '1', a: '2' } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = headerText(bytes);
    expect(text).toMatch(/^\{"__metadata__":\{"a":"2","z":"1"\},"10":\{"dtype":"F64","shape":\[1\],"data_offsets":\[0,8\]\},"2":/);
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const order = [...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    expect(order).toEqual(['10', '2', 'B', 'a', '\ufffd', '\u{1f600}']);
    expect(bytes.length).toBe(8 + n + 6 * 8);
  });

  test('no tensors: the header {} padded to 8 bytes', () => {
    const bytes = saveSafetensors({});
    expect(Array.from(bytes.subarray(0, 8))).toEqual([8, 0, 0, 0, 0, 0, 0, 0]);
    expect(headerText(bytes)).toBe('{}      ');
    expect(Object.keys(loadSafetensors(bytes))).toEqual([]);
  });

  test('"__proto__" and "constructor" are names like any other: own keys of a null-prototype result, nothing polluted', () => {
    const tensors = JSON.parse('{"__proto__": [1, 2], "constructor": [3], "toString": [4]}');
    const read = loadSafetensors(saveSafetensors(tensors));
    expect(Object.getPrototypeOf(read)).toBe(null);
    expect(Object.keys(read).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(read['__proto__' as string]).toEqual({ shape: [2], data: Float64Array.of(1, 2) });
    expect(({} as Record<string, unknown>).shape).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('data');
    // A hand-made file too, where JSON.parse makes "__proto__" an own key.
    const own = loadSafetensors(file('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [7]));
    expect(Object.keys(own)).toEqual(['__proto__']);
    expect(Array.from(own['__proto__' as string].data)).toEqual([7]);
  });
});

describe('bad arguments to the writer', () => {
  test.each([
    ['tensors not an object', () => saveSafetensors(null as any), TypeError, 'ERR_RNN_TYPE', 'tensors must be an object'],
    ['tensors an array', () => saveSafetensors([[1]] as any), TypeError, 'ERR_RNN_TYPE', 'tensors must be an object'],
    ['a tensor that is not an array', () => saveSafetensors({ w: 'x' } as any), TypeError, 'ERR_RNN_TYPE', 'tensors["w"]'],
    ['a ragged tensor', () => saveSafetensors({ w: [[1], [1, 2]] }), RangeError, 'ERR_RNN_SHAPE', 'tensors["w"]'],
    ['the reserved name', () => saveSafetensors({ __metadata__: [1] }), RangeError, 'ERR_RNN_VALUE', '__metadata__'],
    ['an unpaired surrogate in a name', () => saveSafetensors({ '\ud800': [1] }), RangeError, 'ERR_RNN_VALUE', 'unpaired surrogate'],
    ['dtype float16', () => saveSafetensors({ w: [1] }, { dtype: 'float16' as any }), RangeError, 'ERR_RNN_VALUE', "options.dtype must be 'float64' or 'float32'"],
    ['metadata not an object', () => saveSafetensors({}, { metadata: 'x' as any }), TypeError, 'ERR_RNN_TYPE', 'options.metadata must be an object'],
    ['a metadata value not a string', () => saveSafetensors({}, { metadata: { k: 1 } as any }), TypeError, 'ERR_RNN_TYPE', 'options.metadata["k"] must be a string'],
    ['options not an object', () => saveSafetensors({}, undefined, 5 as any), TypeError, 'ERR_RNN_TYPE', 'options must be an object'],
  ])('%s', (_, call, type, code, message) => {
    let error: any;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  test('the reader rejects what is not bytes with a TypeError', () => {
    expect(() => loadSafetensors(5 as any)).toThrow(expect.objectContaining({ code: 'ERR_RNN_TYPE', name: 'TypeError' }));
    expect(() => loadSafetensors([1, 2] as any)).toThrow("expected the file's bytes (a Uint8Array or ArrayBuffer) or, in Node, its path; got an array of length 2");
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile files

const U8 = (shape: unknown, offsets: unknown) => entry('U8', shape, offsets);
const ZEROS = (n: number) => new Uint8Array(n);

const HOSTILE: [string, () => Uint8Array, string | RegExp][] = [
  // The length prefix and the header's bounds.
  ['an empty file', () => new Uint8Array(0), 'truncated: 0 bytes'],
  ['a length prefix cut short', () => Uint8Array.of(16, 0, 0, 0, 0), 'truncated: 5 bytes'],
  ['a header cut short', () => file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}').subarray(0, 30), 'truncated: the header length says 53 bytes; only 22 follow it'],
  ['a header length larger than the file', () => file('{}', [], 1000), 'the header length says 1000 bytes; only 2 follow'],
  ['a header length over 100,000,000', () => file('{}', [], 100_000_001), 'header length 100000001 is over the limit of 100000000 bytes'],
  ['a header length of 2**64 - 1', () => file('{}', [], undefined).fill(0xff, 0, 8), 'header length 18446744073709551615 is over the limit'],
  ['a header length of 2**32 (the high word set)', () => file('{}', [], 2 ** 32), 'header length 4294967296 is over the limit'],
  // The header's text.
  ['a header that is not UTF-8', () => file('{"ab":1}').fill(0xff, 10, 11), 'the header is not UTF-8 text'],
  ['an empty header', () => file(''), 'the header is not JSON'],
  ['a header that is not JSON', () => file('{"a":'), 'the header is not JSON'],
  ['text after the JSON', () => file('{} x'), 'the header is not JSON'],
  ['padding with NUL instead of spaces', () => file('{}\0\0'), 'the header is not JSON'],
  ['a byte order mark before the JSON', () => file('\ufeff{}'), 'the header is not JSON'],
  ['a JSON array', () => file('[]'), 'the header must be a JSON object; got an array of length 0'],
  ['JSON null', () => file('null'), 'the header must be a JSON object; got null'],
  ['a JSON string', () => file('"x"'), 'the header must be a JSON object; got the string "x"'],
  ['a deeply nested array', () => file('['.repeat(100_000) + ']'.repeat(100_000)), 'must be a JSON object'],
  // Duplicate keys (JSON.parse would keep the last).
  ['a tensor named twice', () => file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]), 'duplicate key "a"'],
  ['a tensor named twice, once through an escape', () => file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0061":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]), 'duplicate key "a"'],
  ['a field given twice', () => file('{"a":{"dtype":"U8","dtype":"F64","shape":[1],"data_offsets":[0,1]}}', [1]), 'duplicate key "dtype"'],
  ['a metadata key given twice', () => file('{"__metadata__":{"k":"1","k":"2"}}'), 'duplicate key "k"'],
  ['__metadata__ given twice', () => file('{"__metadata__":{},"__metadata__":{}}'), 'duplicate key "__metadata__"'],
  // Entries.
  ['an entry that is a number', () => file({ a: 1 }), 'tensor "a" must be an object {dtype, shape, data_offsets}; got number 1'],
  ['an entry that is an array', () => file({ a: [] }), 'tensor "a" must be an object'],
  ['an unknown dtype', () => file({ a: entry('F128', [1], [0, 16]) }, ZEROS(16)), 'tensor "a" has an unknown dtype "F128"'],
  ['a dtype in lower case', () => file({ a: entry('f64', [1], [0, 8]) }, ZEROS(8)), 'unknown dtype "f64"'],
  ['a dtype that is a number', () => file({ a: entry(8, [1], [0, 8]) }, ZEROS(8)), 'unknown dtype number 8'],
  ['no dtype', () => file({ a: { shape: [1], data_offsets: [0, 8] } }, ZEROS(8)), 'unknown dtype undefined'],
  ['a float8 dtype (known, not read)', () => file({ a: entry('F8_E4M3', [1], [0, 1]) }, ZEROS(1)), 'tensor "a" has dtype F8_E4M3, which is not read'],
  ['a complex dtype (known, not read)', () => file({ a: entry('C64', [1], [0, 8]) }, ZEROS(8)), 'has dtype C64, which is not read'],
  // Shapes.
  ['a negative dimension', () => file({ a: U8([-1], [0, 0]) }), 'tensor "a": shape must be an array of non-negative integers; got [-1]'],
  ['a fractional dimension', () => file({ a: U8([1.5], [0, 1]) }, ZEROS(1)), 'shape must be an array of non-negative integers; got [1.5]'],
  ['a dimension that is a string', () => file({ a: U8(['1'], [0, 1]) }, ZEROS(1)), 'shape must be an array of non-negative integers; got ["1"]'],
  ['a shape that is a number', () => file({ a: U8(1, [0, 1]) }, ZEROS(1)), 'shape must be an array of non-negative integers; got number 1'],
  ['no shape', () => file({ a: { dtype: 'U8', data_offsets: [0, 1] } }, ZEROS(1)), 'shape must be an array of non-negative integers; got undefined'],
  ['a dimension beyond 2**53', () => file('{"a":{"dtype":"U8","shape":[18014398509481984],"data_offsets":[0,1]}}', ZEROS(1)), 'shape must be an array of non-negative integers'],
  ['a shape whose element count overflows', () => file({ a: U8([2 ** 40, 2 ** 40, 0], [0, 0]) }), 'has too many elements'],
  // Offsets.
  ['offsets past the data', () => file({ a: U8([8], [0, 8]) }, ZEROS(4)), 'truncated: tensor "a" ends at byte 8 of the data; the file holds 4'],
  ['data cut short', () => file({ a: U8([4], [0, 4]), b: entry('F64', [2], [4, 20]) }, ZEROS(12)), 'truncated: tensor "b" ends at byte 20'],
  ['overlapping tensors', () => file({ a: U8([8], [0, 8]), b: U8([8], [4, 12]) }, ZEROS(12)), 'tensor "b": data_offsets [4, 12] overlap those of tensor "a", which end at 8'],
  ['one tensor inside another', () => file({ a: U8([8], [0, 8]), b: U8([2], [2, 4]) }, ZEROS(8)), 'overlap those of tensor "a"'],
  ['two tensors on the same bytes', () => file({ a: U8([8], [0, 8]), b: U8([8], [0, 8]) }, ZEROS(8)), 'overlap those of tensor'],
  ['a hole between tensors', () => file({ a: U8([4], [0, 4]), b: U8([4], [8, 12]) }, ZEROS(12)), 'bytes 4 to 8 of the data belong to no tensor (a hole before tensor "b")'],
  ['a hole at the start', () => file({ a: U8([4], [4, 8]) }, ZEROS(8)), 'bytes 0 to 4 of the data belong to no tensor'],
  ['bytes after the last tensor', () => file({ a: U8([4], [0, 4]) }, ZEROS(6)), '2 bytes after the last tensor\'s data belong to no tensor'],
  ['data but no tensors', () => file({}, ZEROS(3)), '3 bytes after the last tensor'],
  ['end before begin', () => file({ a: U8([0], [8, 0]) }, ZEROS(8)), 'tensor "a": data_offsets [8, 0] end before they begin'],
  ['a fractional offset', () => file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}', ZEROS(1)), 'data_offsets must be two non-negative integers [begin, end]; got [0, 1.5]'],
  ['an offset written 1e400 (Infinity to JSON.parse)', () => file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1e400]}}', ZEROS(1)), 'got [0, Infinity]'],
  ['a negative offset', () => file({ a: U8([1], [-1, 0]) }, ZEROS(1)), 'data_offsets must be two non-negative integers [begin, end]; got [-1, 0]'],
  ['an offset that is a string', () => file({ a: U8([1], ['0', 1]) }, ZEROS(1)), 'data_offsets must be two non-negative integers'],
  ['an offset that is null', () => file({ a: U8([1], [null, 1]) }, ZEROS(1)), 'got [null, 1]'],
  ['three offsets', () => file({ a: U8([1], [0, 1, 2]) }, ZEROS(1)), 'data_offsets must be two non-negative integers [begin, end]; got [0, 1, 2]'],
  ['one offset', () => file({ a: U8([1], [1]) }, ZEROS(1)), 'got [1]'],
  ['no offsets', () => file({ a: { dtype: 'U8', shape: [1] } }, ZEROS(1)), 'got undefined'],
  ['an offset beyond 2**53', () => file('{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,18014398509481984]}}'), 'data_offsets must be two non-negative integers'],
  ['a byte count that does not match shape × dtype', () => file({ a: entry('F64', [2], [0, 8]) }, ZEROS(8)), 'tensor "a": dtype F64 and shape (2,) need 16 bytes; data_offsets [0, 8] hold 8'],
  ['a byte count too large for the shape', () => file({ a: entry('F32', [2, 2], [0, 20]) }, ZEROS(20)), 'need 16 bytes; data_offsets [0, 20] hold 20'],
  // Metadata.
  ['a metadata value that is a number', () => file({ __metadata__: { k: 1 } }), '__metadata__ must map strings to strings; "k" holds number 1'],
  ['a metadata value that is an object', () => file({ __metadata__: { k: {} } }), '"k" holds an object'],
  ['metadata that is a string', () => file({ __metadata__: 'x' }), '__metadata__ must be an object of strings; got the string "x"'],
  ['metadata that is an array', () => file({ __metadata__: ['x'] }), '__metadata__ must be an object of strings; got an array'],
  ['an unpaired surrogate in a metadata value', () => file('{"__metadata__":{"k":"\\udc00"}}'), '"k" holds the string'],
  ['an unpaired surrogate in a name', () => file('{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', ZEROS(1)), 'the name has an unpaired surrogate'],
];

describe('hostile files: RangeError ERR_RNN_MODEL_FORMAT naming the problem', () => {
  test.each(HOSTILE)('%s', (_, make, message) => {
    let error: any;
    try {
      loadSafetensors(make());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error.code).toBe('ERR_RNN_MODEL_FORMAT');
    expect(error.message).toMatch(/^safetensors: /);
    if (typeof message === 'string') expect(error.message).toContain(message);
    else expect(error.message).toMatch(message);
  });

  test('the table covers at least 60 kinds of malformed file', () => {
    expect(new Set(HOSTILE.map(([what]) => what)).size).toBeGreaterThanOrEqual(60);
  });

  test('what the reference reader accepts is read: whitespace around the JSON, null metadata, unknown fields, any entry order, zero-size tensors sharing an offset', () => {
    // Also read, where the reference refuses: integers written 2.0 and 3e0.
    const header =
      '\n {"__metadata__":null,"b":{"dtype":"U8","shape":[2.0],"data_offsets":[1,3e0],"note":[1.5]},' +
      '"z":{"dtype":"F64","shape":[0],"data_offsets":[1,1]},"a":{"shape":[1],"data_offsets":[0,1],"dtype":"I8"}}\t\r ';
    const read = loadSafetensors(file(header, [0xff, 2, 3]));
    expect(Object.keys(read)).toEqual(['a', 'b', 'z']);
    expect(Array.from(read.a.data)).toEqual([-1]);
    expect(Array.from(read.b.data)).toEqual([2, 3]);
    expect(read.z).toEqual({ shape: [0], data: new Float64Array(0) });
  });

  test('the bytes may be a view at any offset of a larger buffer, or an ArrayBuffer', () => {
    const bytes = bytesOf(PY_F64);
    const big = new Uint8Array(bytes.length + 7);
    big.set(bytes, 3);
    const view = big.subarray(3, 3 + bytes.length);
    expectSame(loadSafetensors(view).weight_ih_l0.data, pythonTensors().weight_ih_l0.data);
    expectSame(loadSafetensors(bytes.slice().buffer).weight_ih_l0.data, pythonTensors().weight_ih_l0.data);
  });

  test('a file cut at every length, and bytes changed at random: read, or refused with ERR_RNN_MODEL_FORMAT, never another error', () => {
    const outcomes = new Map<string, number>();
    const attempt = (bytes: Uint8Array) => {
      let outcome = 'read';
      try {
        loadSafetensors(bytes);
      } catch (error) {
        const e = error as { code?: string };
        outcome = error instanceof RangeError && e.code === 'ERR_RNN_MODEL_FORMAT' ? 'refused' : `other: ${String(error)}`;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    };
    const original = bytesOf(PY_MIXED);
    for (let length = 0; length < original.length; length++) attempt(original.subarray(0, length));
    // A seeded linear congruential generator: the same changes on every run.
    let seed = 12345;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const header = Number(new DataView(original.buffer).getBigUint64(0, true)) + 8;
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = original.slice();
      for (let k = 0, changes = 1 + random(4); k < changes; k++) {
        // Mostly the header and the length prefix, where the structure is; the data any bytes may hold.
        const at = random(4) === 0 ? random(8) : random(header);
        bytes[at] = random(3) === 0 ? '0123456789[]{}",:-.e'.charCodeAt(random(20)) : random(256);
      }
      attempt(bytes);
    }
    expect([...outcomes.keys()].filter((k) => k.startsWith('other'))).toEqual([]);
    expect(outcomes.get('refused')).toBeGreaterThan(original.length);
  });

  test('many tensors are read in time linear in the file (100,000 zero-size tensors)', () => {
    const tensors = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`w${i}`, { shape: [0, 3], data: new Float64Array(0) }]));
    const read = loadSafetensors(saveSafetensors(tensors));
    expect(Object.keys(read).length).toBe(100_000);
  });
});

describe('the entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-safetensors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('Node: saveSafetensors(tensors, path) writes the bytes it returns; loadSafetensors(path) reads them', () => {
    const path = join(dir, 'model.safetensors');
    const bytes = saveSafetensors(pythonTensors(), path, { metadata: { 'format\n"\\': 'pt é\u0001' } });
    expect(Buffer.from(readFileSync(path)).toString('base64')).toBe(PY_F64);
    expect(Buffer.from(bytes).toString('base64')).toBe(PY_F64);
    expectSame(loadSafetensors(path).bias_ih_l0.data, [Infinity, NaN]);
  });

  test('Node: a missing file, and a malformed one named by its path', () => {
    const missing = join(dir, 'missing.safetensors');
    expect(() => loadSafetensors(missing)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_RNN_MODEL_FORMAT' }));
    expect(() => loadSafetensors(missing)).toThrow(`cannot read safetensors file ${missing}: no such file`);
    const bad = join(dir, 'bad.safetensors');
    saveSafetensors({ a: [1] }, bad);
    const bytes = readFileSync(bad);
    bytes[bytes.length - 9] = 0x7b; // the last space of the padding becomes "{"
    writeFileSync(bad, bytes);
    expect(() => loadSafetensors(bad)).toThrow(`${bad}: the header is not JSON`);
  });

  test('browser: bytes only; a path throws TypeError ERR_RNN_TYPE naming Node', () => {
    expect(browser.loadSafetensors).toBe(neutral.loadSafetensors);
    expect(browser.saveSafetensors).toBe(neutral.saveSafetensors);
    const bytes = browser.saveSafetensors(pythonTensors(), { metadata: { 'format\n"\\': 'pt é\u0001' } });
    expect(Buffer.from(bytes).toString('base64')).toBe(PY_F64);
    expect(Buffer.from(browser.saveSafetensors(pythonTensors(), undefined, { dtype: 'float32' })).toString('base64')).toBe(PY_F32);
    expectSame(browser.loadSafetensors(bytes).weight_ih_l0.data, pythonTensors().weight_ih_l0.data);
    for (const call of [() => browser.loadSafetensors('model.safetensors'), () => browser.saveSafetensors({}, 'model.safetensors')]) {
      expect(call).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_RNN_TYPE' }));
      expect(call).toThrow(/file paths? needs? Node/);
    }
  });
});
