#!/usr/bin/env bash
# The packed tarballs as a user installs them (run `npm run pack` first): in empty projects, on
# a PATH that holds node, npm and a few basic tools but no cargo or rustc, with a clean
# environment (`env -i`: no RNN_WASM_* settings, no npm_config_* from a parent npm).
#
# 1. the main tarball and the linux-x64-gnu one: `import('rnn-wasm')` runs on native, and
#    `npx rnn-wasm train` runs from the installed package on native;
# 2. the main tarball alone: wasm, and backendErrors().native says the platform package is
#    missing; the command runs on wasm.
#
# The main package lists every platform package as an optional dependency. Those not given as
# tarballs are asked of the registry: npm skips an optional dependency it cannot fetch (today a
# 404, as none is published) or whose os/cpu/libc do not match, and the install succeeds.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(node -p 'require("./package.json").version')"
main="$PWD/pkg/rnn-wasm-$version.tgz"
platform="linux-x64-gnu"
native="$PWD/pkg/rnn-wasm-$platform-$version.tgz"
for f in "$main" "$native"; do
  [ -f "$f" ] || { echo "test-install: ${f#"$PWD/"} is missing: run \`npm run pack\`" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A PATH of symlinks to only what npm and this script need.
mkdir "$work/bin"
for tool in node npm npx sh bash env cat grep ls mkdir rm find; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done
clean() { env -i HOME="$HOME" PATH="$work/bin" TERM=dumb "$@"; }
for tool in cargo rustc rustup; do
  if clean bash -c "command -v $tool" >/dev/null; then
    echo "test-install: $tool is on the test PATH" >&2
    exit 1
  fi
done
echo "PATH without a Rust toolchain: $(ls "$work/bin" | tr '\n' ' ')"

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

# The backend `import('rnn-wasm')` picks and backendErrors(), as one JSON line.
probe='const m = await import("rnn-wasm");
console.log(JSON.stringify({ backend: m.getBackend(), errors: m.backendErrors() }));'

# install_and_check NAME EXPECTED_BACKEND TARBALL...
install_and_check() {
  local name="$1" expected="$2"
  shift 2
  local dir="$work/$name"
  mkdir "$dir"
  echo '{ "name": "install-test", "private": true, "type": "module" }' >"$dir/package.json"
  echo
  echo "== $name: npm install $(for t in "$@"; do printf '%s ' "${t##*/}"; done)"
  (cd "$dir" && clean npm install --no-audit --no-fund --prefer-offline "$@" 2>&1 | sed '/^$/d') ||
    fail "$name: npm install failed"

  [ -z "$(cd "$dir" && find node_modules/rnn-wasm -name '*.node')" ] || fail "$name: the main package holds a .node file"
  local installed
  installed="$(cd "$dir" && ls -d node_modules/rnn-wasm-* 2>/dev/null || true)"
  echo "platform packages installed: ${installed:-none}"

  local out
  out="$(cd "$dir" && clean node --input-type=module -e "$probe")" || fail "$name: import('rnn-wasm') failed"
  echo "import('rnn-wasm'): $out"
  grep -q "\"backend\":\"$expected\"" <<<"$out" || fail "$name: expected the $expected backend"

  echo "npx rnn-wasm train --steps 20:"
  out="$(cd "$dir" && clean npx --no-install rnn-wasm train --steps 20 2>&1)" || { echo "$out"; fail "$name: the command failed"; }
  grep -E '^(rnn-wasm train|step 20|held-out loss|saved)' <<<"$out" | sed 's/^/  /'
  grep -q "^step 20: loss" <<<"$out" || fail "$name: the command did not report step 20"
  grep -q "backend $expected)\$" <<<"$out" || fail "$name: the command did not run on $expected"
  [ -s "$dir/model.json" ] || fail "$name: the command wrote no model.json"
}

install_and_check with-platform-package native "$main" "$native"
[ -d "$work/with-platform-package/node_modules/rnn-wasm-$platform" ] || fail "rnn-wasm-$platform was not installed"

install_and_check main-only wasm "$main"
out="$(cd "$work/main-only" && clean node --input-type=module -e "$probe")"
grep -q "rnn-wasm-$platform is not installed" <<<"$out" ||
  fail "main-only: backendErrors().native does not say that rnn-wasm-$platform is not installed"

echo
echo "test-install: ok"
