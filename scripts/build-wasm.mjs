#!/usr/bin/env node
// Builds crates/rnn-wasm into wasm/rnn_wasm.wasm and records how in
// wasm/manifest.json, or (with --check) verifies that the committed module
// still matches the Rust sources.
//
//   node scripts/build-wasm.mjs           build, write wasm/rnn_wasm.wasm and wasm/manifest.json
//   node scripts/build-wasm.mjs --check   fail if the sources changed since the last build, if the
//                                         committed module is not the one the manifest names, or if a
//                                         rebuild with the same rustc gives different bytes
//
// Toolchain: the wasm32 target comes from Debian's Rust packages
// (`apt-get install -y rustc-web cargo-web rust-web-src lld`), which put rustc
// and cargo in /usr/bin and the standard library's source, with its
// dependencies vendored, under the sysroot. The standard library is rebuilt
// with the same flags (-Zbuild-std, enabled through RUSTC_BOOTSTRAP=1).
// RNN_WASM_RUSTC and RNN_WASM_CARGO override the two binaries.
//
// Reproducibility: paths inside the repository are remapped to `.`, symbols
// are stripped, panics abort without messages, and the standard library's
// dependencies come from the vendored copy, so the bytes depend only on the
// sources and the rustc version, not on where the repository lives.

import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUSTC = process.env.RNN_WASM_RUSTC || '/usr/bin/rustc';
const CARGO = process.env.RNN_WASM_CARGO || '/usr/bin/cargo';
const TARGET = 'wasm32-unknown-unknown';
const BUILD_TARGET_DIR = join(repo, 'target', 'wasm');
// --check rebuilds in its own directory, so it never disturbs a normal build.
const CHECK_TARGET_DIR = join(repo, 'target', 'wasm-check');
const OUT_WASM = join(repo, 'wasm', 'rnn_wasm.wasm');
const OUT_MANIFEST = join(repo, 'wasm', 'manifest.json');

/** Inputs of the build, relative to the repository root. */
// The root Cargo.toml gives rnn-core its edition and lints; rnn-wasm's own lockfile lies
// under its directory.
const SOURCE_FILES = ['Cargo.toml'];
const SOURCE_DIRS = ['crates/rnn-core', 'crates/rnn-wasm'];

/**
 * The module's exports (besides `memory`): what the TypeScript loader relies on, plus the
 * benchmark and self-test entry points (`rnn_bench_*`, `rnn_test_gemm`) used by bench/gemm and
 * crates/rnn-wasm/tests-js.
 */
const EXPECTED_FUNCTIONS = [
  'lstm_backward',
  'lstm_backward_workspace',
  'lstm_forward',
  'lstm_forward_workspace',
  'output_backward',
  'output_backward_workspace',
  'rnn_alloc',
  'rnn_backward',
  'rnn_backward_workspace',
  'rnn_bench_gemm',
  'rnn_bench_roofline',
  'rnn_debug_trap',
  'rnn_forward',
  'rnn_forward_workspace',
  'rnn_free',
  'rnn_sigmoid',
  'rnn_softmax',
  'rnn_test_gemm',
  'rnn_transpose',
];

const RUSTFLAGS = [
  '-C', 'target-feature=+simd128',
  // Without loop strength reduction LLVM keeps constant offsets in the wasm
  // loads (`v128.load offset=16`) instead of materialising each address with an
  // `i32.add`; V8 then emits one instruction per load and the GEMM micro-kernel
  // runs a few percent faster.
  '-C', 'llvm-args=-disable-lsr',
  '-Z', 'unstable-options',
  '-C', 'panic=immediate-abort',
  '-C', 'strip=symbols',
];

function log(message) {
  console.log(`build-wasm: ${message}`);
}

function fail(message) {
  console.error(`build-wasm: error: ${message}`);
  process.exit(1);
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every file under `dir`, skipping `target` build directories. */
function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'target') walk(path, out);
    } else if (entry.isFile()) {
      out.push(path);
    }
  }
  return out;
}

/**
 * SHA-256 over the build inputs: for each file in sorted relative-path order
 * (forward slashes), `path NUL byteLength NUL contents`.
 */
function sourceHash() {
  const paths = SOURCE_FILES.map((f) => join(repo, f));
  for (const d of SOURCE_DIRS) walk(join(repo, d), paths);
  const files = paths.map((p) => relative(repo, p).split(sep).join('/')).sort();
  const hash = createHash('sha256');
  for (const rel of files) {
    const bytes = readFileSync(join(repo, rel));
    hash.update(`${rel}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return { hash: hash.digest('hex'), files: files.length };
}

function rustcVersion() {
  try {
    return execFileSync(RUSTC, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** The standard library's vendored dependencies, if the toolchain ships them. */
function vendorDir() {
  try {
    const sysroot = execFileSync(RUSTC, ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
    const dir = join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library', 'vendor');
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

function cargoArgs(vendor) {
  const args = ['build', '--release', '--locked', '--target', TARGET, '-Zbuild-std=std,panic_abort', '--manifest-path', 'crates/rnn-wasm/Cargo.toml'];
  if (vendor) {
    args.push(
      '--offline',
      '--config', 'source.crates-io.replace-with="rust-library-vendor"',
      '--config', `source.rust-library-vendor.directory=${JSON.stringify(vendor)}`,
    );
  }
  return args;
}

/** How the module is built, with the machine-specific parts as placeholders. */
function builtWith(vendor) {
  const flags = [...RUSTFLAGS, '--remap-path-prefix=<repo>=.'].join(' ');
  const args = cargoArgs(vendor ? '<sysroot>/lib/rustlib/src/rust/library/vendor' : null)
    .map((a) => (a.includes(' ') || a.includes('"') ? `'${a}'` : a))
    .join(' ');
  return `RUSTC_BOOTSTRAP=1 RUSTFLAGS='${flags}' cargo ${args}`;
}

function runCargo(args, env) {
  const r = spawnSync(CARGO, args, { cwd: repo, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) fail(`could not run ${CARGO}: ${r.error.message}`);
  if (r.status !== 0) fail(`cargo ${args[0]} exited with status ${r.status}`);
}

/**
 * Runs cargo with `targetDir` as its target directory and returns the built
 * module's bytes. With `fresh`, this workspace's crates are cleaned first so
 * they really are compiled again (the standard library stays cached).
 */
function build(vendor, targetDir, fresh) {
  const flags = [...RUSTFLAGS, `--remap-path-prefix=${repo}=.`];
  const env = { ...process.env, RUSTC_BOOTSTRAP: '1', RUSTC, CARGO_TARGET_DIR: targetDir };
  // One encoded variable, so a repository path with spaces survives intact.
  env.CARGO_ENCODED_RUSTFLAGS = flags.join('\x1f');
  delete env.RUSTFLAGS;
  delete env.CARGO_BUILD_RUSTFLAGS;
  if (fresh) {
    runCargo(['clean', '--manifest-path', 'crates/rnn-wasm/Cargo.toml', '--release', '--target', TARGET, '-p', 'rnn-wasm', '-p', 'rnn-core'], env);
  }
  const args = cargoArgs(vendor);
  log(`running ${CARGO} ${args.join(' ')}`);
  log(`  with RUSTC=${RUSTC} CARGO_TARGET_DIR=${relative(repo, targetDir)} RUSTFLAGS='${flags.join(' ')}'`);
  const started = Date.now();
  runCargo(args, env);
  log(`cargo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const bytes = readFileSync(join(targetDir, TARGET, 'release', 'rnn_wasm.wasm'));
  checkInterface(bytes);
  return bytes;
}

/** The module must import nothing and export exactly what the loader expects. */
function checkInterface(bytes) {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0) {
    fail(`the module imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}; it must import nothing`);
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) fail('the module does not export its memory');
  const functions = exports.filter((e) => e.kind === 'function').map((e) => e.name).sort();
  const missing = EXPECTED_FUNCTIONS.filter((n) => !functions.includes(n));
  const extra = functions.filter((n) => !EXPECTED_FUNCTIONS.includes(n));
  if (missing.length || extra.length) {
    fail(`unexpected exports: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
  }
}

function readManifest() {
  if (!existsSync(OUT_MANIFEST)) fail(`${relative(repo, OUT_MANIFEST)} is missing; run npm run build:wasm`);
  try {
    return JSON.parse(readFileSync(OUT_MANIFEST, 'utf8'));
  } catch (e) {
    return fail(`${relative(repo, OUT_MANIFEST)} is not valid JSON: ${e.message}`);
  }
}

function runBuild() {
  const rustc = rustcVersion();
  if (!rustc) fail(`${RUSTC} not found; install Debian's rustc-web, cargo-web, rust-web-src and lld packages`);
  log(`toolchain: ${rustc}`);
  const vendor = vendorDir();
  if (!vendor) log('no vendored standard-library sources found; cargo will fetch them from the registry');
  const bytes = build(vendor, BUILD_TARGET_DIR, false);
  const source = sourceHash();
  mkdirSync(dirname(OUT_WASM), { recursive: true });
  writeFileSync(OUT_WASM, bytes);
  const manifest = {
    sourceHash: source.hash,
    wasmSha256: sha256(bytes),
    wasmBytes: bytes.length,
    rustc,
    builtWith: builtWith(vendor),
  };
  writeFileSync(OUT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${relative(repo, OUT_WASM)}: ${bytes.length} bytes, sha256 ${manifest.wasmSha256}`);
  log(`wrote ${relative(repo, OUT_MANIFEST)}: source hash ${source.hash} over ${source.files} files`);
}

function runCheck() {
  const manifest = readManifest();
  const source = sourceHash();
  if (source.hash !== manifest.sourceHash) {
    fail(
      `the Rust sources changed since wasm/rnn_wasm.wasm was built ` +
        `(source hash ${source.hash}, manifest ${manifest.sourceHash}); run npm run build:wasm and commit wasm/`,
    );
  }
  log(`source hash matches the manifest (${source.files} files)`);
  if (!existsSync(OUT_WASM)) fail(`${relative(repo, OUT_WASM)} is missing; run npm run build:wasm`);
  const committed = readFileSync(OUT_WASM);
  const committedSha = sha256(committed);
  if (committedSha !== manifest.wasmSha256) {
    fail(`wasm/rnn_wasm.wasm has sha256 ${committedSha} but the manifest records ${manifest.wasmSha256}`);
  }
  log(`wasm/rnn_wasm.wasm matches the manifest's sha256`);
  checkInterface(committed);
  log('the module imports nothing and has the expected exports');

  const rustc = rustcVersion();
  if (!rustc) {
    console.warn(`build-wasm: warning: ${RUSTC} not found, so the module was not rebuilt to compare bytes`);
    return;
  }
  const sameRustc = rustc === manifest.rustc;
  const rebuilt = build(vendorDir(), CHECK_TARGET_DIR, true);
  if (Buffer.compare(rebuilt, committed) === 0) {
    log(`rebuild is byte-for-byte identical (${rebuilt.length} bytes)`);
  } else if (sameRustc) {
    fail(
      `a rebuild with the same rustc (${rustc}) gives different bytes ` +
        `(sha256 ${sha256(rebuilt)}, committed ${committedSha}); run npm run build:wasm and commit wasm/`,
    );
  } else {
    console.warn(
      `build-wasm: warning: a rebuild differs, but with another rustc ` +
        `(here ${rustc}, manifest ${manifest.rustc}); not treated as an error`,
    );
  }
  log('check passed');
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length) fail(`unknown argument(s): ${unknown.join(' ')} (usage: build-wasm.mjs [--check])`);
if (args.includes('--check')) runCheck();
else runBuild();
