// One flat lint config for the workspace, with type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** core is pure: no drivers, no UI, no I/O of its own (DESIGN.md). */
const FORBIDDEN_IN_CORE = [
  'pg',
  'pg-copy-streams',
  'mysql2',
  'mysql2/promise',
  'kafkajs',
  '@oclif/core',
  'listr2',
  'cli-table3',
  'node:fs',
  'node:fs/promises',
  'fs',
  'fs/promises',
  'node:net',
  'net',
  'node:http',
  'http',
  'node:child_process',
  'child_process',
  '@etl/connectors',
  '@etl/cli',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '*.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['packages/*/tsconfig.check.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
      // Prettier wraps code at 120; this catches what it cannot wrap (strings, comments).
      'max-len': ['error', { code: 120 }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: FORBIDDEN_IN_CORE.map((name) => ({
            name,
            message: 'packages/core stays pure: do I/O in packages/connectors.',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'core never reads process: take what you need as arguments.' },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
