// ESLint: type-aware typescript-eslint rules, and the dependency rule of docs/ARCHITECTURE.md enforced by
// eslint-plugin-boundaries (handlers → wiring → core, adapters, config; adapters → core; core → nothing outside itself).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * What the domain core may never import: AWS, Lambda, pixels, HTTP parsing, the file system and the network. (It may
 * use zod, ulid and node:crypto / node:zlib for hashing and checksums: tests/unit/dependency-rule.test.ts lists them.)
 */
const OUTSIDE_THE_CORE = [
  '@aws-sdk/**',
  '@aws-lambda-powertools/**',
  'aws-lambda',
  'sharp',
  'busboy',
  'node:fs',
  'node:fs/*',
  'node:http',
  'node:https',
  'node:net',
  'fs',
  'http',
  'https',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.serverless/**', '.esbuild/**', '.data/**', 'coverage/**', '**/*.d.ts', 'functions/adapters/embedded-detector/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
  },
  // The page and the local phone panel run in the browser and are type-checked by `tsc -p static-site`.
  { files: ['static-site/**/*.js', 'local/phone/page/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.ts'],
    rules: {
      // A leading underscore names what is taken apart on purpose and left unused (`const { mask: _mask, ...rest }`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Ports are async; an adapter or fake that answers at once still implements them with an async method.
      '@typescript-eslint/require-await': 'off',
      // A caught error is passed on as it came (unknown), never wrapped into a new one that would lose its type.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // zod's named `z` export is a namespace re-export that esbuild cannot tree-shake: it puts every locale and the
      // JSON-schema converters (370 KB) into each Lambda bundle, about 40 ms of every cold start. zod's own docs import
      // the namespace instead, which bundles only what is used.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > :matches(ImportSpecifier[importKind!='type'], ImportDefaultSpecifier)",
          message: "Import zod as a namespace: import * as z from 'zod'.",
        },
      ],
    },
  },
  // contact-flows/flow-content.cjs is loaded by serverless with require().
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    // Tests read JSON bodies and SDK mocks they assert on, and fakes implement async ports without awaiting: the
    // type-safety rules about `any` would only add casts there. The product code below keeps every rule.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['functions/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { alwaysTryTypes: true, project: './tsconfig.json' } },
      'boundaries/elements': [
        { type: 'handler', pattern: 'functions/handlers/**' },
        { type: 'wiring', pattern: 'functions/wiring/**' },
        { type: 'config', pattern: 'functions/config/**' },
        { type: 'core', pattern: 'functions/core/**' },
        { type: 'adapter', pattern: 'functions/adapters/**' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        2,
        {
          default: 'allow',
          // External packages and Node's own modules are dependencies too: the core may use neither AWS nor sharp.
          checkAllOrigins: true,
          policies: [
            { from: { element: { type: 'core' } }, disallow: { to: { element: { types: { anyOf: ['adapter', 'wiring', 'config', 'handler'] } } } } },
            { from: { element: { type: 'core' } }, disallow: { to: { module: { origin: 'external', source: OUTSIDE_THE_CORE } } } },
            { from: { element: { type: 'core' } }, disallow: { to: { module: { origin: 'core', source: OUTSIDE_THE_CORE } } } },
            { from: { element: { type: 'adapter' } }, disallow: { to: { element: { types: { anyOf: ['wiring', 'handler'] } } } } },
            { from: { element: { type: 'config' } }, disallow: { to: { element: { types: { anyOf: ['adapter', 'wiring', 'handler'] } } } } },
            { from: { element: { type: 'wiring' } }, disallow: { to: { element: { type: 'handler' } } } },
            // Entry points stay thin: a handler imports its function's wiring (and the observability wrapper), nothing else.
            { from: { element: { type: 'handler' } }, disallow: { to: { element: { types: { anyOf: ['core', 'config'] } } } } },
          ],
        },
      ],
    },
  },
  prettier,
);
