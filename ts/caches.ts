/**
 * The notebook's caches: the tuples a forward pass returns and a backward pass reads back. Their
 * layout is public (the notebook's own tuples), so it is declared once here as a list of field
 * names; everything else reads a field by its name, through the index derived from that list.
 */
import { rangeError, typeError } from './errors.js';
import { describe, type CallContext, type NDArray, type Name } from './ndarray.js';
import type { Parameters } from './api.js';
import { arrayOfShape, cacheTuple, type DimValues } from './validate.js';

/** The fields of an RNN step cache, in tuple order (the notebook's `cache`). */
const RNN_CACHE_FIELDS = ['a_next', 'a_prev', 'xt', 'parameters'] as const;
/** The fields of an LSTM step cache, in tuple order. */
const LSTM_CACHE_FIELDS = ['a_next', 'c_next', 'a_prev', 'c_prev', 'ft', 'it', 'cct', 'ot', 'xt', 'parameters'] as const;

export type RnnCache = [a_next: NDArray, a_prev: NDArray, xt: NDArray, parameters: Parameters];
export type RnnCaches = [caches: RnnCache[], x: NDArray];
export type LstmCache = [
  a_next: NDArray,
  c_next: NDArray,
  a_prev: NDArray,
  c_prev: NDArray,
  ft: NDArray,
  it: NDArray,
  cct: NDArray,
  ot: NDArray,
  xt: NDArray,
  parameters: Parameters,
];
export type LstmCaches = [caches: LstmCache[], x: NDArray];

type Fields = readonly string[];

/** Each field's position in its tuple, as a literal type (so indexing a typed tuple stays typed). */
type FieldIndex<F extends Fields> = {
  readonly [N in F[number]]: {
    [I in keyof F]: F[I] extends N ? (I extends `${infer K extends number}` ? K : never) : never;
  }[number];
};

/** A cache tuple's field names in order, and each one's position. */
interface CacheLayout<F extends Fields> {
  readonly fields: F;
  readonly at: FieldIndex<F>;
}

function cacheLayout<const F extends Fields>(fields: F): CacheLayout<F> {
  return { fields, at: Object.fromEntries(fields.map((field, k) => [field, k])) as FieldIndex<F> };
}

/** The RNN step cache: `RNN_CACHE.at.xt` is 2. */
export const RNN_CACHE = cacheLayout(RNN_CACHE_FIELDS);
/** The LSTM step cache. */
export const LSTM_CACHE = cacheLayout(LSTM_CACHE_FIELDS);

/** Validated step cache tuples, read by field name. */
export interface StepCaches<F extends string> {
  /** Number of steps. */
  readonly count: number;
  /** Field `field` of step `t`, as the caller gave it (not yet converted). */
  field(t: number, field: F): unknown;
  /** How errors name that field, e.g. `caches[0][3][2] (xt)`. */
  name(t: number, field: F): string;
  /**
   * The data of `fields` of every step, in time order (for each step, the fields in the order
   * given), each checked against `dimNames`: the blocks of a time-major buffer. `context`
   * says where the dimensions came from.
   */
  blocks(fields: readonly F[], dims: DimValues, dimNames: readonly string[], context: Name): Float64Array[];
}

/**
 * The tuples of `list`, each checked to be an array of exactly as many entries as `layout` has
 * fields (named `tupleName(t)` in errors).
 */
export function stepCaches<F extends Fields>(
  call: CallContext,
  list: readonly unknown[],
  tupleName: (t: number) => string,
  layout: CacheLayout<F>,
): StepCaches<F[number]> {
  const at = layout.at as Readonly<Record<string, number>>;
  // Array.from visits holes too, so a sparse list gets a clear error rather than a skipped step.
  const tuples = Array.from(list, (tuple, t) => cacheTuple(tuple, () => tupleName(t), layout.fields));
  const name = (t: number, field: string) => `${tupleName(t)}[${at[field]}] (${field})`;
  return {
    count: tuples.length,
    field: (t, field) => tuples[t][at[field]],
    name,
    blocks(wanted, dims, dimNames, context) {
      const out: Float64Array[] = [];
      for (let t = 0; t < tuples.length; t++) {
        for (const field of wanted) {
          const fieldName = () => name(t, field); // built only for an error
          out.push(arrayOfShape(call, tuples[t][at[field]], fieldName, dims, dimNames, context).data);
        }
      }
      return out;
    },
  };
}

/** The `[caches, x]` pair a forward pass (`forward` names it) returns: its step list and `x`. */
export function sequenceCaches(caches: unknown, forward: string): { list: unknown[]; x: unknown } {
  if (!Array.isArray(caches) || caches.length !== 2 || !Array.isArray(caches[0])) {
    throw typeError('ERR_RNN_TYPE', `caches must be the [caches, x] pair that ${forward} returns; got ${describe(caches)}`);
  }
  return { list: caches[0] as unknown[], x: caches[1] as unknown };
}

/**
 * The most time steps one forward pass takes. Its result holds one cache tuple per step, about
 * 1.5 KB of JavaScript heap and 20 µs to build whatever the sizes, so a long sequence of empty
 * data (m = 0 or n_x = 0 with T_x = 1e9, which passes every memory check) would otherwise
 * exhaust the heap and crash the process. 2^20 steps take about 1.5 GB.
 */
const MAX_TIME_STEPS = 2 ** 20;

/** Throws ERR_RNN_SIZE when a forward pass (`what`) would build more step caches than allowed. */
export function requireStepLimit(what: string, T: number): void {
  if (T > MAX_TIME_STEPS) {
    throw rangeError(
      'ERR_RNN_SIZE',
      `${what} would build ${T} step caches (T_x = ${T}); at most ${MAX_TIME_STEPS} time steps per call are allowed`,
    );
  }
}
