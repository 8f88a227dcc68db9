/**
 * The host, read the same way in Node and in a browser: environment variables only where
 * `process` exists, warnings through `process.emitWarning` in Node and `console.warn` elsewhere.
 * Nothing else in the environment-neutral core touches `process`.
 */

interface ProcessLike {
  env?: Record<string, string | undefined>;
  emitWarning?: (message: string) => void;
}

function host(): ProcessLike | undefined {
  return typeof process === 'undefined' ? undefined : process;
}

/** An environment variable in Node; always undefined in a browser. */
export function envVar(name: string): string | undefined {
  return host()?.env?.[name];
}

/** A warning that must not stop the program. */
export function warn(message: string): void {
  const emit = host()?.emitWarning;
  if (typeof emit === 'function') emit.call(process, message);
  else console.warn(message);
}
