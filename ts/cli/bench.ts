/** `rnn-wasm bench`: runs the repository's benchmark harness, passing options through. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HARNESS = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));

export function bench(args: string[]): number {
  if (!existsSync(HARNESS)) {
    throw new Error('the benchmark harness (bench/run.mjs) is not part of this installation; run it from a clone of the repository');
  }
  const result = spawnSync(process.execPath, [HARNESS, ...args], { stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}
