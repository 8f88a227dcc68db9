// `npm run lint:package`: lints the main tarball `npm run pack` wrote to pkg/, the file a
// release publishes (not the repository's package.json, which lacks the platform packages):
//
// - publint: package.json's fields against the files in the tarball;
// - @arethetypeswrong/cli, profile esm-only: the types each resolution mode finds. rnn-wasm is
//   an ES module only (`"type": "module"`, Node >= 20): `require('rnn-wasm')` from CommonJS is
//   not supported, so the profile leaves out the node10 and node16-from-CommonJS modes, which
//   can only report that; import from Node ESM and bundlers is checked;
// - a size budget: the tarball, packed and unpacked. Raise it on purpose, with the reason in
//   the commit, when the package grows.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bytes, about 15 % above what was measured. At 0.1.0 with the notebook API only: 89,033
 * packed, 277,221 unpacked (64 files). With the recurrent layers (their kernels add 52.5 KB to
 * the .wasm; the classes, safetensors, the layer reference and stacked models add about 95 KB
 * of JavaScript and types): 152,077 packed, 478,560 unpacked. With the ONNX operators and
 * reader, the Keras/TF.js import and the TF.js layers (9 KB more .wasm for the general gate
 * path, about 185 KB of JavaScript and types): 205,071 packed, 671,574 unpacked. With the
 * relaxed-SIMD module beside the SIMD128 one (125,643 bytes, 47.6 KB gzipped): 253,730 packed,
 * 801,970 unpacked.
 */
const BUDGET = { packed: 292_000, unpacked: 922_000 };

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const tarball = join('pkg', `rnn-wasm-${version}.tgz`);
let failed = false;

const step = (title, cmd, args) => {
  console.log(`\n-- ${title}`);
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  } catch {
    console.error(`lint-package: ${title} failed`);
    failed = true;
  }
};

try {
  statSync(join(ROOT, tarball));
} catch {
  console.error(`lint-package: ${tarball} is missing: run \`npm run pack\``);
  process.exit(1);
}

step('publint', 'npx', ['publint', 'run', '--strict', tarball]);
step('attw (profile esm-only)', 'npx', ['attw', '--profile', 'esm-only', '--format', 'ascii', tarball]);

console.log('\n-- size budget');
const packed = statSync(join(ROOT, tarball)).size;
const listing = execFileSync('tar', ['-tvzf', tarball], { cwd: ROOT, encoding: 'utf8' });
const unpacked = listing
  .split('\n')
  .filter((line) => line.startsWith('-'))
  .reduce((sum, line) => sum + Number(line.split(/\s+/)[2]), 0);
for (const [what, bytes] of Object.entries({ packed, unpacked })) {
  const ok = bytes <= BUDGET[what];
  console.log(`${tarball} ${what}: ${bytes} bytes, budget ${BUDGET[what]} ${ok ? 'ok' : 'EXCEEDED'}`);
  if (!ok) failed = true;
}

if (failed) process.exit(1);
console.log('\nlint-package: ok');
