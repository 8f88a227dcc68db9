// ESLint (flat config): typescript-eslint's rules on the TypeScript sources, ESLint's
// recommended rules on the plain-JavaScript ones. `npm run lint`.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores([
    'dist/',
    'dist-check/',
    'native/',
    'target/',
    'wasm/',
    'bench/node_modules/',
    'bench/.venv/',
    'bench/results/',
    'examples/browser/dist/',
  ]),
  {
    files: ['ts/**/*.ts', 'test/**/*.ts', '*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // The tests hand the API values of the wrong type on purpose (through `any`) to check its
    // runtime validation, and read parsed JSON: `any` is their tool, not an accident.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Pages built by the browser checks, and the Playwright scripts whose callbacks run in a page.
    files: ['test/bundlers/app/**/*.js', 'bench/browser/page.js', 'test/browser/*.mjs', 'test/bundlers/*.mjs', 'bench/browser/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // The browser demo's page and worker scripts (its vite.config.js runs in Node).
    files: ['examples/browser/**/*.js'],
    ignores: ['examples/browser/vite.config.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
]);
