import { defineConfig } from 'vitest/config';

// Unit tests: pure, fast, no services. Run from each package directory. No test is timed (speed
// is what pnpm bench measures): the timeout only stops a hung test, and a busy 2-core machine
// took 6.8 s for the parser-depth test that needs 2 s alone.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.integration.test.ts', 'src/**/*.faults.test.ts', 'node_modules/**', 'dist/**'],
  },
});
