/**
 * Errors thrown by rnn-wasm. Every error carries a stable `code` so callers can branch on it
 * without parsing messages; messages name the argument and give expected and actual values.
 */

export type ErrorCode =
  | 'ERR_RNN_TYPE' // an argument has the wrong type (not an array, not numeric, not an object)
  | 'ERR_RNN_MISSING_KEY' // a parameters object lacks a required key
  | 'ERR_RNN_SHAPE' // wrong rank, wrong dimension, dimensions that disagree with each other
  | 'ERR_RNN_SIZE' // the call would need more memory than the backend can address
  | 'ERR_RNN_VALUE' // a value outside its allowed range (a token index, a learning rate, a temperature)
  | 'ERR_RNN_MODEL_FORMAT' // a saved model that is malformed, of another version or of the wrong kind
  | 'ERR_RNN_STATE' // a carried state that does not fit the call (another batch size)
  | 'ERR_RNN_THREADS' // a thread count that is not an integer from 1 to 1024
  | 'ERR_RNN_BACKEND' // unknown backend name
  | 'ERR_RNN_BACKEND_UNAVAILABLE' // a known backend that is not built or failed to load
  | 'ERR_RNN_WASM_TRAP' // the WebAssembly instance trapped; it has been re-instantiated
  | 'ERR_RNN_INTERNAL'; // a kernel rejected input that the TypeScript layer accepted (a bug)

export interface RnnError extends Error {
  code: ErrorCode;
}

function withCode<E extends Error>(error: E, code: ErrorCode): E & RnnError {
  return Object.assign(error, { code });
}

export function typeError(
  code: 'ERR_RNN_TYPE' | 'ERR_RNN_MISSING_KEY' | 'ERR_RNN_BACKEND' | 'ERR_RNN_MODEL_FORMAT',
  message: string,
) {
  return withCode(new TypeError(message), code);
}

export function rangeError(
  code: 'ERR_RNN_SHAPE' | 'ERR_RNN_SIZE' | 'ERR_RNN_VALUE' | 'ERR_RNN_MODEL_FORMAT' | 'ERR_RNN_STATE' | 'ERR_RNN_THREADS',
  message: string,
) {
  return withCode(new RangeError(message), code);
}

export function runtimeError(
  code: 'ERR_RNN_BACKEND_UNAVAILABLE' | 'ERR_RNN_WASM_TRAP' | 'ERR_RNN_INTERNAL',
  message: string,
  cause?: unknown,
) {
  return withCode(new Error(message, cause === undefined ? undefined : { cause }), code);
}
