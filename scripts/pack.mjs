// `npm run pack`: the npm tarballs, in pkg/, as a release publishes them (the napi-rs way).
//
// - pkg/rnn-wasm-<version>.tgz, the main package: dist/ (built fresh, without source maps), the
//   wasm module and its manifest. No native binary: its package.json lists one platform package
//   per napi target as an exact-version optional dependency, which npm installs only where the
//   package's `os`/`cpu`/`libc` match. As `napi pre-publish` does, they are written into the
//   packed package.json only (the repository's own install never asks for them).
// - pkg/rnn-wasm-<platform>-<version>.tgz for every platform whose addon is in native/: here
//   the addon is built first (`npm run build:native`), which gives linux-x64-gnu. With
//   `--no-build-native` it packs whatever addons native/ holds (e.g. every runner's, downloaded).
//
// Checks first that every npm/<platform>/package.json exists and has the main version.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNapiConfig } from '@napi-rs/cli';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'pkg');
const STAGE = join(OUT, 'stage');
const buildNative = !process.argv.includes('--no-build-native');

const run = (cmd, args, cwd = ROOT) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const fail = (message) => {
  console.error(`pack: ${message}`);
  process.exit(1);
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const napi = await readNapiConfig(join(ROOT, 'package.json'));

// The platform packages: one npm/<platform>/ per target, each at the main version.
const optionalDependencies = {};
for (const target of napi.targets) {
  const dir = join(ROOT, 'npm', target.platformArchABI);
  const file = join(dir, 'package.json');
  if (!existsSync(file)) fail(`npm/${target.platformArchABI}/package.json is missing: run \`npx napi create-npm-dirs\``);
  const platformPkg = JSON.parse(readFileSync(file, 'utf8'));
  const name = `${napi.packageName}-${target.platformArchABI}`;
  if (platformPkg.name !== name) fail(`npm/${target.platformArchABI}/package.json is named ${platformPkg.name}, not ${name}`);
  if (platformPkg.version !== pkg.version) {
    fail(`${name} is at ${platformPkg.version}, ${pkg.name} at ${pkg.version}: run \`npx napi version\``);
  }
  optionalDependencies[name] = pkg.version;
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });

// The main package, staged: a fresh dist/ (no stale files, no source maps: they point at ts/,
// which is not shipped), the files `files` names, and package.json with its platform packages.
run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(STAGE, 'dist'), '--sourceMap', 'false']);
for (const file of ['README.md', 'wasm/rnn_wasm.wasm', 'wasm/rnn_wasm_relaxed.wasm', 'wasm/manifest.json']) {
  mkdirSync(dirname(join(STAGE, file)), { recursive: true });
  cpSync(join(ROOT, file), join(STAGE, file));
}
// `prepare` builds dist/ for an install from git; a tarball ships it built (npm would flag the
// script as one to review on every install).
const scripts = { ...pkg.scripts };
delete scripts.prepare;
writeFileSync(join(STAGE, 'package.json'), `${JSON.stringify({ ...pkg, scripts, optionalDependencies }, null, 2)}\n`);

const packInto = (dir) => {
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', OUT], dir));
  const bytes = statSync(join(OUT, info.filename)).size;
  console.log(`pkg/${info.filename}: ${bytes} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`);
  return info;
};
const main = packInto(STAGE);
const binaries = main.files.filter((f) => f.path.endsWith('.node'));
if (binaries.length > 0) fail(`the main tarball holds a native binary: ${binaries.map((f) => f.path).join(', ')}`);

// The platform packages whose addon is at hand, each staged as npm/<platform>/ plus its addon
// (what `napi artifacts` does in a release job, where it insists on every target's addon).
if (buildNative) run('npm', ['run', 'build:native']);
let platforms = 0;
for (const target of napi.targets) {
  const binary = `${napi.binaryName}.${target.platformArchABI}.node`;
  if (!existsSync(join(ROOT, 'native', binary))) continue;
  const dir = join(STAGE, 'npm', target.platformArchABI);
  cpSync(join(ROOT, 'npm', target.platformArchABI), dir, { recursive: true });
  cpSync(join(ROOT, 'native', binary), join(dir, binary));
  packInto(dir);
  platforms++;
}
if (buildNative && platforms === 0) fail('no platform package packed: the addon build left nothing in native/');
rmSync(STAGE, { recursive: true, force: true });
