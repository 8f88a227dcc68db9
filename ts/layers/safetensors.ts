/**
 * safetensors, as `safetensors.torch.save_file(model.state_dict(), path)` writes it: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets:
 * [begin, end]}, "__metadata__"?: {string: string}}`, then the data (offsets from its start; C
 * order, little-endian). Environment-neutral: bytes in, bytes out.
 *
 * Reading checks, before any data is read, what the reference reader (the Rust crate behind
 * the Python package) does: N ≤ 100,000,000 and within the file; the header is JSON text holding
 * an object (whitespace around it allowed: the writer pads with spaces); each entry has a known
 * dtype, a shape of non-negative integers and data_offsets of two non-negative integers, begin
 * ≤ end (other fields ignored); `__metadata__` is absent, null or an object of strings; end −
 * begin = elements × dtype size; sorted by offset the tensors tile the data exactly, from 0 to
 * the end of the file (no hole, no overlap, nothing after); no unpaired surrogate in a string.
 * Differences: every duplicate key is refused (the reference keeps one of two equal top-level
 * names silently, so such a file reads differently elsewhere); `1.0` and `1e0` are read as
 * integers; offsets and dimensions stop at 2**53, not 2**64 (no file in memory gets near).
 */
import { rangeError, typeError } from '../errors.js';
import { CallContext, describe, formatShape, toNDArray, type ArrayInput, type NDArray } from '../ndarray.js';

export interface SafetensorsOptions {
  /** `'float64'` (F64, the default) or `'float32'` (F32, rounded to nearest). */
  dtype?: 'float64' | 'float32';
  /** The file's `__metadata__`: strings by name. */
  metadata?: Record<string, string>;
}

const MAX_HEADER = 100_000_000; // the reference's limit
const META = '__metadata__';

/** IEEE half precision: sign, 5 exponent bits (bias 15), 10 fraction bits. */
function half(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const magnitude = e === 31 ? (m ? NaN : Infinity) : e ? (1024 + m) * 2 ** (e - 25) : m * 2 ** -24;
  return h & 0x8000 ? -magnitude : magnitude;
}
const scratch = new DataView(new ArrayBuffer(4));
/** bfloat16: the high half of a float32. */
function bfloat16(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

type Reader = (view: DataView, at: number) => number;
/** Each dtype read (exactly; 64-bit integers round as torch's `.double()`): its bytes, its reader. */
const DTYPES = new Map<string, [number, Reader]>([
  ['F64', [8, (v, i) => v.getFloat64(i, true)]],
  ['F32', [4, (v, i) => v.getFloat32(i, true)]],
  ['F16', [2, (v, i) => half(v.getUint16(i, true))]],
  ['BF16', [2, (v, i) => bfloat16(v.getUint16(i, true))]],
  ['I64', [8, (v, i) => Number(v.getBigInt64(i, true))]],
  ['I32', [4, (v, i) => v.getInt32(i, true)]],
  ['I16', [2, (v, i) => v.getInt16(i, true)]],
  ['I8', [1, (v, i) => v.getInt8(i)]],
  ['U64', [8, (v, i) => Number(v.getBigUint64(i, true))]],
  ['U32', [4, (v, i) => v.getUint32(i, true)]],
  ['U16', [2, (v, i) => v.getUint16(i, true)]],
  ['U8', [1, (v, i) => v.getUint8(i)]],
  ['BOOL', [1, (v, i) => (v.getUint8(i) ? 1 : 0)]],
]);
/** The reference's other dtypes: refused by name, not called unknown. */
const UNREAD = 'F8_E5M2 F8_E4M3 F8_E8M0 F8_E4M3FNUZ F8_E5M2FNUZ F6_E2M3 F6_E3M2 F4 C64'.split(' ');

const unpaired = /[\uD800-\uDFFF]/u; // with the u flag: a surrogate that is not half of a pair
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const quote = (name: string) => JSON.stringify(name.length > 60 ? name.slice(0, 60) + '…' : name);

/** A header value for messages, cut short. */
function show(value: unknown): string {
  if (!Array.isArray(value)) return describe(value);
  const text = value.map((v) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)))).join(', ');
  return `[${text.length > 80 ? text.slice(0, 80) + '…' : text}]`;
}

/** The first key that appears twice in one object of valid JSON `text` (JSON.parse keeps the last). */
function duplicateKey(text: string): string | undefined {
  const open: (Set<string> | undefined)[] = []; // the keys so far of each open object (arrays: undefined)
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      while (text[++i] !== '"') if (text[i] === '\\') i++;
      last = text.slice(start, i + 1);
    } else if (c === ':') {
      const keys = open[open.length - 1]!;
      const key = JSON.parse(last) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    } else if (c === '{' || c === '[') open.push(c === '{' ? new Set() : undefined);
    else if (c === '}' || c === ']') open.pop();
  }
  return undefined;
}

/**
 * Rust's string order (UTF-8 bytes, i.e. code points). JavaScript's `<` compares UTF-16 units,
 * which puts a surrogate (of a code point above U+FFFF) before U+E000–U+FFFF.
 */
function compareUtf8(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * A file's tensors as float64 arrays by name (a null-prototype object, in the reference's `keys()`
 * order). A malformed file: RangeError ERR_RNN_MODEL_FORMAT; `where` names the source.
 */
export function decodeSafetensors(source: Uint8Array | ArrayBuffer, where = 'safetensors'): Record<string, NDArray> {
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (!(bytes instanceof Uint8Array)) {
    throw typeError('ERR_RNN_TYPE', `${where}: expected the file's bytes (a Uint8Array or ArrayBuffer) or, in Node, its path; got ${describe(source)}`);
  }
  const fail = (message: string) => rangeError('ERR_RNN_MODEL_FORMAT', `${where}: ${message}`);
  const size = bytes.length;
  if (size < 8) throw fail(`truncated: ${size} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const n = view.getUint32(0, true);
  if (view.getUint32(4, true) !== 0 || n > MAX_HEADER) throw fail(`header length ${view.getBigUint64(0, true)} is over the limit of ${MAX_HEADER} bytes`);
  const base = 8 + n;
  if (base > size) throw fail(`truncated: the header length says ${n} bytes; only ${size - 8} follow it`);
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, base));
  } catch {
    throw fail('the header is not UTF-8 text');
  }
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw fail(`the header is not JSON (${(error as Error).message})`);
  }
  if (!isObject(header)) throw fail(`the header must be a JSON object; got ${describe(header)}`);
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) throw fail(`the header has a duplicate key ${quote(duplicate)}`);

  const entries: { name: string; width: number; read: Reader; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === META) {
      if (info !== null && !isObject(info)) throw fail(`${META} must be an object of strings; got ${describe(info)}`);
      for (const [key, value] of Object.entries(info ?? {})) {
        if (typeof value !== 'string' || unpaired.test(key + value)) throw fail(`${META} must map strings to strings; ${quote(key)} holds ${describe(value)}`);
      }
      continue;
    }
    const what = `tensor ${quote(name)}`;
    if (unpaired.test(name)) throw fail(`${what}: the name has an unpaired surrogate`);
    if (!isObject(info)) throw fail(`${what} must be an object {dtype, shape, data_offsets}; got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info;
    const kind = DTYPES.get(dtype as string);
    if (typeof dtype !== 'string' || !kind) {
      throw fail(
        UNREAD.includes(dtype as string)
          ? `${what} has dtype ${dtype as string}, which is not read (F64, F32, F16, BF16, I8-I64, U8-U64 and BOOL are)`
          : `${what} has an unknown dtype ${typeof dtype === 'string' ? quote(dtype) : describe(dtype)}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`${what}: shape must be an array of non-negative integers; got ${show(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw fail(`${what}: data_offsets must be two non-negative integers [begin, end]; got ${show(offsets)}`);
    }
    const [begin, end] = offsets;
    if (end < begin) throw fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
    const shapeText = formatShape(shape).slice(0, 80);
    let byteLength = kind[0];
    for (const d of shape) {
      byteLength *= d;
      // The reference refuses a running product that overflows (there at 2**64).
      if (byteLength > Number.MAX_SAFE_INTEGER) throw fail(`${what}: shape ${shapeText} has too many elements`);
    }
    if (byteLength !== end - begin) throw fail(`${what}: dtype ${dtype} and shape ${shapeText} need ${byteLength} bytes; data_offsets [${begin}, ${end}] hold ${end - begin}`);
    entries.push({ name, width: kind[0], read: kind[1], shape: shape.map((d) => d + 0), begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const { name, begin, end } of entries) {
    if (begin < covered) throw fail(`tensor ${quote(name)}: data_offsets [${begin}, ${end}] overlap those of tensor ${quote(previous)}, which end at ${covered}`);
    if (begin > covered) throw fail(`bytes ${covered} to ${begin} of the data belong to no tensor (a hole before tensor ${quote(name)})`);
    covered = end;
    previous = name;
  }
  const dataLength = size - base;
  if (covered > dataLength) throw fail(`truncated: tensor ${quote(previous)} ends at byte ${covered} of the data; the file holds ${dataLength}`);
  if (covered < dataLength) throw fail(`${dataLength - covered} bytes after the last tensor's data belong to no tensor`);

  const out = Object.create(null) as Record<string, NDArray>;
  for (const { name, width, read, shape, begin, end } of entries.sort((a, b) => compareUtf8(a.name, b.name))) {
    const data = new Float64Array((end - begin) / width);
    for (let i = 0, at = base + begin; i < data.length; i++, at += width) data[i] = read(view, at);
    out[name] = { data, shape };
  }
  return out;
}

/**
 * The tensors as a file, byte for byte as the reference writer gives: names in UTF-8 order,
 * offsets consecutive from 0, compact JSON with `__metadata__` first, spaces padding the header
 * to a multiple of 8. Metadata keys are sorted (the reference's follow a hash map).
 */
export function encodeSafetensors(tensors: Record<string, NDArray | ArrayInput>, options: SafetensorsOptions = {}): Uint8Array {
  if (!isObject(tensors)) throw typeError('ERR_RNN_TYPE', `tensors must be an object of arrays by name; got ${describe(tensors)}`);
  if (!isObject(options)) throw typeError('ERR_RNN_TYPE', `options must be an object { dtype?, metadata? }; got ${describe(options)}`);
  const { dtype = 'float64', metadata } = options;
  if (dtype !== 'float64' && dtype !== 'float32') throw rangeError('ERR_RNN_VALUE', `options.dtype must be 'float64' or 'float32'; got ${describe(dtype)}`);
  // A lone surrogate has no UTF-8 form: the reference could not read the file.
  const checkText = (text: string, what: string) => {
    if (unpaired.test(text)) throw rangeError('ERR_RNN_VALUE', `${what} has an unpaired surrogate, which UTF-8 cannot hold`);
  };
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isObject(metadata)) throw typeError('ERR_RNN_TYPE', `options.metadata must be an object of strings; got ${describe(metadata)}`);
    const pairs = Object.keys(metadata).map((key): [string, unknown] => [key, metadata[key]]);
    for (const [key, value] of pairs) {
      const what = `options.metadata[${quote(key)}]`;
      if (typeof value !== 'string') throw typeError('ERR_RNN_TYPE', `${what} must be a string; got ${describe(value)}`);
      checkText(key + value, what);
    }
    const fields = pairs.sort((a, b) => compareUtf8(a[0], b[0])).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    parts.push(`"${META}":{${fields.join(',')}}`);
  }
  const call = new CallContext();
  const names = Object.keys(tensors).sort(compareUtf8);
  const arrays = names.map((name) => {
    if (name === META) throw rangeError('ERR_RNN_VALUE', `no tensor may be named ${META}: the format reserves it`);
    checkText(name, `the tensor name ${quote(name)}`);
    return toNDArray(call, tensors[name], `tensors[${quote(name)}]`);
  });
  call.endOfCallerReads();

  const width = dtype === 'float64' ? 8 : 4;
  let offset = 0;
  names.forEach((name, k) => {
    const begin = offset;
    offset += arrays[k].data.length * width;
    parts.push(`${JSON.stringify(name)}:{"dtype":"F${width * 8}","shape":${JSON.stringify(arrays[k].shape)},"data_offsets":[${begin},${offset}]}`);
  });
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER) throw rangeError('ERR_RNN_SIZE', `the header would take ${n} bytes, over the format's limit of ${MAX_HEADER}`);
  const bytes = new Uint8Array(8 + n + offset);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, n, true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const { data } of arrays) {
    for (let i = 0; i < data.length; i++, at += width) {
      if (width === 8) view.setFloat64(at, data[i], true);
      else view.setFloat32(at, data[i], true);
    }
  }
  return bytes;
}

/** The browser entry's: bytes only (Node's entry also reads a path). */
export function loadSafetensors(source: string | Uint8Array | ArrayBuffer): Record<string, NDArray> {
  if (typeof source === 'string') throw typeError('ERR_RNN_TYPE', "loadSafetensors: file paths need Node; in a browser pass the file's bytes (a Uint8Array or ArrayBuffer)");
  return decodeSafetensors(source);
}

/** The browser entry's: `saveSafetensors(tensors, options?)` returns the bytes (Node's also writes a path). */
export function saveSafetensors(tensors: Record<string, NDArray | ArrayInput>, path?: string | SafetensorsOptions, options?: SafetensorsOptions): Uint8Array {
  if (typeof path === 'string') throw typeError('ERR_RNN_TYPE', 'saveSafetensors: writing a file path needs Node; in a browser call saveSafetensors(tensors, options) and keep the bytes it returns');
  return encodeSafetensors(tensors, path ?? options);
}
