#!/usr/bin/env node
// Builds crates/rnn-wasm into three modules and records how in wasm/manifest.json, or (with
// --check) verifies that the committed modules are what the sources build:
//
//   wasm/rnn_wasm.wasm               the shipped module, SIMD128 (every engine with SIMD)
//   wasm/rnn_wasm_relaxed.wasm       the shipped module with relaxed SIMD too: the GEMM tile's
//                                    multiply-adds are `f64x2.relaxed_madd` (fused where the CPU
//                                    has FMA), loaded instead where the engine validates relaxed
//                                    SIMD (Node 22+, current browsers; see ts/load-wasm.ts)
//   test/wasm/rnn_wasm_probes.wasm   the SIMD128 module with the `probes` feature: the test and
//                                    benchmark exports (rnn_debug_trap, rnn_bench_*,
//                                    rnn_test_gemm) too
//
//   node scripts/build-wasm.mjs           build both, write them and wasm/manifest.json
//   node scripts/build-wasm.mjs --check   fail if a committed module is not the one the manifest
//                                         names, lacks or adds an export, or if a rebuild with the
//                                         same rustc gives different bytes
//
// The check compares bytes, not sources: a change that leaves the module as it was (a comment,
// a test, another crate) needs no rebuild and no new manifest.
//
// Toolchain: the wasm32 target comes from Debian's Rust packages
// (`apt-get install -y rustc-web cargo-web rust-web-src lld`), which put rustc and cargo in
// /usr/bin and the standard library's source under the sysroot. The standard library is rebuilt
// with the same flags (-Zbuild-std, enabled through RUSTC_BOOTSTRAP=1); its dependencies come
// from crates.io at the versions the standard library's own Cargo.lock pins (checksummed, so the
// bytes are those of the toolchain's vendored copy). The crate is one member of the repository's
// Cargo workspace, whose lockfile also holds napi and proptest, so the registry cannot be
// replaced by the toolchain's vendored crates alone. RNN_WASM_RUSTC and RNN_WASM_CARGO override
// the two binaries.
//
// Exports: each module must export its memory and exactly the functions ts/generated/abi.ts
// lists (interface WasmExports, plus WasmProbeExports for the probes module), which the kernel
// table in crates/rnn-core/src/kernels.rs generates.
//
// Reproducibility: paths inside the repository are remapped to `.`, symbols are stripped, panics
// abort without messages, and only the cdylib is built (`cargo rustc --crate-type cdylib`: the
// crate's rlib, which rnn-fuzz links, would change how the module is optimised), so the bytes
// depend only on the sources and the rustc version, not on where the repository lives.

import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Checking a module's interface compiles it, and the relaxed-SIMD module compiles only where the
// engine runs relaxed SIMD: Node 22 does, Node 20 only with a flag, so there the script runs
// itself again with it. The probe is load-wasm.ts's (one function of two relaxed multiply-adds).
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';
const RELAXED_SIMD_PROBE = Buffer.from('0061736d0100000001080160037b7b7b017b030201000a14011200200020012002fd850220012002fd87020b', 'hex');
if (!WebAssembly.validate(RELAXED_SIMD_PROBE)) {
  if (process.execArgv.includes(RELAXED_SIMD_FLAG)) {
    console.error('build-wasm: error: this Node runs no relaxed SIMD, even with ' + RELAXED_SIMD_FLAG);
    process.exit(1);
  }
  const again = spawnSync(process.execPath, [...process.execArgv, RELAXED_SIMD_FLAG, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUSTC = process.env.RNN_WASM_RUSTC || '/usr/bin/rustc';
const CARGO = process.env.RNN_WASM_CARGO || '/usr/bin/cargo';
const TARGET = 'wasm32-unknown-unknown';
const BUILD_TARGET_DIR = join(repo, 'target', 'wasm');
// --check rebuilds in its own directory, so it never disturbs a normal build.
const CHECK_TARGET_DIR = join(repo, 'target', 'wasm-check');
const OUT_MANIFEST = join(repo, 'wasm', 'manifest.json');
const ABI_TS = join(repo, 'ts', 'generated', 'abi.ts');

/**
 * The modules: where each goes, the Cargo features it is built with, the wasm features it may use
 * (`simd`: the SIMD128 base or relaxed SIMD on top of it), its interfaces in abi.ts.
 */
const VARIANTS = [
  { path: 'wasm/rnn_wasm.wasm', features: [], simd: 'simd128', interfaces: ['WasmExports'] },
  { path: 'wasm/rnn_wasm_relaxed.wasm', features: [], simd: 'relaxed', interfaces: ['WasmExports'] },
  { path: 'test/wasm/rnn_wasm_probes.wasm', features: ['probes'], simd: 'simd128', interfaces: ['WasmExports', 'WasmProbeExports'] },
];

/** The `-C target-feature` of each `simd` setting. */
const TARGET_FEATURES = { simd128: '+simd128', relaxed: '+simd128,+relaxed-simd' };

/** The function members of `interface NAME` in ts/generated/abi.ts. */
function interfaceFunctions(abi, name) {
  const start = abi.indexOf(`export interface ${name} `);
  if (start < 0) fail(`ts/generated/abi.ts has no interface ${name}`);
  const body = abi.slice(start, abi.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]);
}

/** The functions a module built for `variant` must export (besides `memory`), sorted. */
function expectedFunctions(variant) {
  const abi = readFileSync(ABI_TS, 'utf8');
  return variant.interfaces.flatMap((i) => interfaceFunctions(abi, i)).sort();
}

/** The rustc flags of a module built for `variant`. */
const rustFlags = (variant) => [
  '-C', `target-feature=${TARGET_FEATURES[variant.simd]}`,
  // Without loop strength reduction LLVM keeps constant offsets in the wasm
  // loads (`v128.load offset=16`) instead of materialising each address with an
  // `i32.add`; V8 then emits one instruction per load and the GEMM micro-kernel
  // runs a few percent faster.
  '-C', 'llvm-args=-disable-lsr',
  '-Z', 'unstable-options',
  '-C', 'panic=immediate-abort',
  '-C', 'strip=symbols',
];

/**
 * Each set of flags builds in its own target directory: cargo rebuilds the standard library
 * whenever the flags change, so sharing one directory would rebuild it for every module.
 */
const targetDirFor = (base, variant) => (variant.simd === 'simd128' ? base : `${base}-${variant.simd}`);

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

function rustcVersion() {
  try {
    return execFileSync(RUSTC, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function cargoArgs(variant) {
  const args = ['rustc', '-p', 'rnn-wasm', '--crate-type', 'cdylib', '--release', '--locked', '--target', TARGET, '-Zbuild-std=std,panic_abort'];
  if (variant.features.length) args.push('--features', variant.features.join(','));
  return args;
}

/** How each module is built, with the machine-specific part as a placeholder. */
function builtWith(variant) {
  const flags = [...rustFlags(variant), '--remap-path-prefix=<repo>=.'].join(' ');
  return `RUSTC_BOOTSTRAP=1 RUSTFLAGS='${flags}' cargo ${cargoArgs(variant).join(' ')}`;
}

function runCargo(args, env) {
  const r = spawnSync(CARGO, args, { cwd: repo, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) fail(`could not run ${CARGO}: ${r.error.message}`);
  if (r.status !== 0) fail(`cargo ${args[0]} exited with status ${r.status}`);
}

function cargoEnv(variant, targetDir) {
  const flags = [...rustFlags(variant), `--remap-path-prefix=${repo}=.`];
  const env = { ...process.env, RUSTC_BOOTSTRAP: '1', RUSTC, CARGO_TARGET_DIR: targetDir };
  // One encoded variable, so a repository path with spaces survives intact.
  env.CARGO_ENCODED_RUSTFLAGS = flags.join('\x1f');
  delete env.RUSTFLAGS;
  delete env.CARGO_BUILD_RUSTFLAGS;
  return { env, flags };
}

/**
 * Runs cargo with `targetDir` as its target directory and returns the bytes of the module
 * built for `variant`, after checking its interface.
 */
function build(variant, base) {
  const targetDir = targetDirFor(base, variant);
  const { env, flags } = cargoEnv(variant, targetDir);
  const args = cargoArgs(variant);
  log(`running ${CARGO} ${args.join(' ')}`);
  log(`  with RUSTC=${RUSTC} CARGO_TARGET_DIR=${relative(repo, targetDir)} RUSTFLAGS='${flags.join(' ')}'`);
  const started = Date.now();
  runCargo(args, env);
  log(`cargo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const bytes = readFileSync(join(targetDir, TARGET, 'release', 'rnn_wasm.wasm'));
  checkInterface(bytes, variant);
  return bytes;
}

/** A module must import nothing and export exactly what abi.ts lists for it. */
function checkInterface(bytes, variant) {
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0) {
    fail(`${variant.path} imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}; it must import nothing`);
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) fail(`${variant.path} does not export its memory`);
  const functions = exports.filter((e) => e.kind === 'function').map((e) => e.name).sort();
  const expected = expectedFunctions(variant);
  const missing = expected.filter((n) => !functions.includes(n));
  const extra = functions.filter((n) => !expected.includes(n));
  if (missing.length || extra.length) {
    fail(
      `${variant.path} does not export what ts/generated/abi.ts lists: ` +
        `missing [${missing.join(', ')}], extra [${extra.join(', ')}]`,
    );
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
  const manifest = { rustc, modules: {} };
  for (const variant of VARIANTS) {
    const bytes = build(variant, BUILD_TARGET_DIR);
    const out = join(repo, variant.path);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    manifest.modules[variant.path] = { sha256: sha256(bytes), bytes: bytes.length, builtWith: builtWith(variant) };
    log(`wrote ${variant.path}: ${bytes.length} bytes, sha256 ${sha256(bytes)}`);
  }
  writeFileSync(OUT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${relative(repo, OUT_MANIFEST)}`);
}

function runCheck() {
  const manifest = readManifest();
  const committed = new Map();
  for (const variant of VARIANTS) {
    const entry = manifest.modules?.[variant.path];
    if (!entry) fail(`${relative(repo, OUT_MANIFEST)} does not record ${variant.path}; run npm run build:wasm`);
    const file = join(repo, variant.path);
    if (!existsSync(file)) fail(`${variant.path} is missing; run npm run build:wasm`);
    const bytes = readFileSync(file);
    if (sha256(bytes) !== entry.sha256) {
      fail(`${variant.path} has sha256 ${sha256(bytes)} but the manifest records ${entry.sha256}`);
    }
    checkInterface(bytes, variant);
    log(`${variant.path} matches the manifest's sha256, imports nothing and has the expected exports`);
    committed.set(variant, bytes);
  }

  const rustc = rustcVersion();
  if (!rustc) {
    console.warn(`build-wasm: warning: ${RUSTC} not found, so the modules were not rebuilt to compare bytes`);
    return;
  }
  const sameRustc = rustc === manifest.rustc;
  // Clean this workspace's crates so they really are compiled again (the standard library
  // stays cached).
  const cleaned = new Set();
  for (const variant of VARIANTS) {
    const dir = targetDirFor(CHECK_TARGET_DIR, variant);
    if (cleaned.has(dir)) continue;
    cleaned.add(dir);
    runCargo(['clean', '--release', '--target', TARGET, '-p', 'rnn-wasm', '-p', 'rnn-core'], cargoEnv(variant, dir).env);
  }
  for (const variant of VARIANTS) {
    const rebuilt = build(variant, CHECK_TARGET_DIR);
    const bytes = committed.get(variant);
    if (Buffer.compare(rebuilt, bytes) === 0) {
      log(`${variant.path}: rebuild is byte-for-byte identical (${rebuilt.length} bytes)`);
    } else if (sameRustc) {
      fail(
        `${variant.path}: a rebuild with the same rustc (${rustc}) gives different bytes ` +
          `(sha256 ${sha256(rebuilt)}, committed ${sha256(bytes)}); run npm run build:wasm and commit wasm/ and test/wasm/`,
      );
    } else {
      console.warn(
        `build-wasm: warning: ${variant.path}: a rebuild differs, but with another rustc ` +
          `(here ${rustc}, manifest ${manifest.rustc}); not treated as an error`,
      );
    }
  }
  log('check passed');
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length) fail(`unknown argument(s): ${unknown.join(' ')} (usage: build-wasm.mjs [--check])`);
if (args.includes('--check')) runCheck();
else runBuild();
