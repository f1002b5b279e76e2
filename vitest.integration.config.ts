import { defineConfig } from 'vitest/config';

// Integration tests: against the real PostgreSQL, MariaDB/MySQL and Kafka.
// Each test creates its own database or topic and drops it afterwards.
export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/integration.json' },
    include: ['src/**/*.integration.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
