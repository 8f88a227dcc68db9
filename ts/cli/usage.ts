/**
 * Command-line option handling: `node:util` parseArgs for the syntax, and checks that turn
 * each option's text into a value or a UsageError naming the option and what it accepts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: reported without a stack trace, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed options: every option is a string except the boolean `help`. */
export interface ParsedArgs {
  values: Record<string, string | undefined> & { help?: boolean };
  positionals: string[];
}

export function parse(args: string[], options: Options, command: string): ParsedArgs {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** `--name` as an integer in [min, max], or `fallback` when absent. */
export function intOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `--name` as a finite number in (min, max] (or [min, max] when `inclusive`), or `fallback`. */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  inclusive = false,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const low = inclusive ? n >= min : n > min;
  if (value.trim() === '' || !Number.isFinite(n) || !low || n > max) {
    const range = `${inclusive ? '[' : '('}${min}, ${max}]`;
    throw new UsageError(`--${name} must be a number in ${range}; got ${JSON.stringify(value)}`);
  }
  return n;
}

export function choiceOption<T extends string>(value: string | undefined, name: string, fallback: T, choices: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}
