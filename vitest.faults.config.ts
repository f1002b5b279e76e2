import { defineConfig } from 'vitest/config';

// The fault suite (`pnpm test:faults`): long-running commands interrupted against the real
// services, one cell at a time (it restarts the services, so nothing else may run beside it).
export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/faults.json' },
    include: ['src/**/*.faults.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
