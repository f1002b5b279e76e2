import { defineConfig } from 'vitest/config';

// Unit tests: pure, fast, no services. Run from each package directory.
export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.integration.test.ts', 'src/**/*.faults.test.ts', 'node_modules/**', 'dist/**'],
  },
});
