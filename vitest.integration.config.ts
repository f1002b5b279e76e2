import { defineConfig } from 'vitest/config';

// Integration tests: against the real PostgreSQL, MariaDB/MySQL and Kafka. Each file creates
// its own databases, roles, topics, consumer groups and replication slots and drops them
// afterwards, so files run side by side (ETL_TEST_WORKERS at once, 3 by default; 1 runs them
// one at a time, as when hunting a flaky test).
const workers = Number(process.env['ETL_TEST_WORKERS'] ?? 3);

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/integration.json' },
    include: ['src/**/*.integration.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: workers > 1,
    maxWorkers: Math.max(1, workers),
    minWorkers: 1,
  },
});
