/**
 * The browser entries stay free of Node: every module that dist/browser.js, dist/worker.js,
 * dist/onnx.js and dist/tfjs/browser.js import, statically or dynamically, is walked; none may import a `node:` module or a bare
 * Node builtin (`fs`, `path`, ...), and `process` and `Buffer` may appear only in a module that
 * checks `typeof` first. The only packages imported are the ONNX entry's protobuf decoder and
 * the TF.js entry's peer dependency. Reads the build (`npm test` builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, name.split('/')[0]]));

/** Specifiers of `import ... from 'x'`, `export ... from 'x'`, `import 'x'` and `import('x')`. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]);
  return found;
}

function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module reachable from `entry`, with what each imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const code = withoutComments(readFileSync(file, 'utf8'));
    const imports = specifiers(code);
    seen.set(file, imports);
    for (const spec of imports) if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
  };
  visit(join(DIST, entry));
  return seen;
}

describe.skipIf(!existsSync(join(DIST, 'browser.js')))('the browser entries use nothing from Node', () => {
  // entry, the packages it may import, modules the walk must reach
  const entries: [string, string[], string[]][] = [
    ['browser.js', [], ['core.js', 'registry.js', 'backends/wasm-runtime.js']],
    ['worker.js', [], ['core.js', 'registry.js', 'backends/wasm-runtime.js']],
    ['onnx.js', ['protobufjs/light.js'], ['onnx/file.js', 'onnx/operators.js', 'registry.js']],
    ['tfjs/browser.js', ['@tensorflow/tfjs'], ['tfjs/layers.js', 'layers/stack.js', 'registry.js']],
  ];
  test.each(entries)('dist/%s', (entry, packages, reached) => {
    const modules = graph(entry);
    const problems: string[] = [];
    for (const [file, imports] of modules) {
      const name = relative(DIST, file);
      for (const spec of imports) {
        if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) {
          problems.push(`${name} imports ${spec}`);
        } else if (!spec.startsWith('.') && !packages.includes(spec)) {
          problems.push(`${name} imports the package ${spec} (allowed: ${packages.join(', ') || 'none'})`);
        }
      }
      const code = withoutComments(readFileSync(file, 'utf8'));
      for (const global of ['process', 'Buffer', 'require', '__dirname', '__filename']) {
        const used = new RegExp(`(?<![.\\w$'"])${global}\\b(?!['"])`).test(code);
        if (used && !code.includes(`typeof ${global}`)) problems.push(`${name} uses ${global} without a typeof check`);
      }
    }
    expect(problems).toEqual([]);
    // The walk did find the core, not just the entry file.
    expect([...modules.keys()].map((f) => relative(DIST, f))).toEqual(expect.arrayContaining(reached));
  });

  test('the Node-only modules are not in the browser graph', () => {
    const names = [...graph('browser.js').keys()].map((f) => relative(DIST, f));
    for (const nodeOnly of ['index.js', 'node-backends.js', 'backends/native.js', 'backends/wasm.js', 'model/files.js', 'layers/safetensors-node.js']) {
      expect(names).not.toContain(nodeOnly);
    }
  });
});
