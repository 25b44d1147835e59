// ESLint (flat config) with typescript-eslint.
// Workflow code gets the determinism rules of the Temporal samples: no Node
// built-ins, no I/O libraries, activities imported as types only, no Math.random.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'eslint.config.js', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Domain code knows no HTTP: only src/api and each feature's routes.ts may import the HTTP layer.
    files: ['src/**/*.ts'],
    ignores: ['src/api/**', 'src/*/routes.ts', 'src/server.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/api', '**/api/*'], message: 'Only the HTTP layer (src/api, routes.ts) imports src/api: throw DomainError instead.' }] }],
    },
  },
  {
    // Workflow code must be deterministic: it is replayed from history. These are every file the
    // workflow bundle pulls in (test/unit/workflow-bundle.test.ts fails when one is missing here).
    files: [
      'src/workflows/**/*.ts',
      'src/*/workflows.ts',
      'src/*/legacy-workflow.ts',
      'src/*/workflow-shared.ts',
      'src/*/contract.ts',
      'src/temporal/search-attributes.ts',
      'src/temporal/failure-converter.ts',
      'src/errors.ts',
      'test/fixtures/workflows.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code cannot use Node built-ins: do I/O in an activity.' })),
            { name: '@prisma/client', message: 'Database access belongs in activities.', allowTypeImports: true },
            { name: 'pg', message: 'Database access belongs in activities.' },
            { name: '@temporalio/client', message: 'Workflows use @temporalio/workflow, not the client.' },
            { name: '@temporalio/activity', message: 'Workflows use @temporalio/workflow.' },
          ],
          patterns: [
            { group: ['**/activities', '**/activities/*'], message: 'Import activities with `import type` only.', allowTypeImports: true },
            { group: ['**/config', '**/logger', '**/db'], message: 'Workflow code has no config, logger or database: pass values in.' },
            { group: ['**/api', '**/api/*'], message: 'Workflow code knows no HTTP.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflow code cannot read the process environment.' },
        { name: 'fetch', message: 'Network calls belong in activities.' },
      ],
    },
  },
);
