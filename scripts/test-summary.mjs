#!/usr/bin/env node
// Sums the JSON reports vitest wrote for each package and prints one closing line,
// "tests: N passed, N failed, N skipped", so a CI log says plainly what ran, after the slowest
// test files (where to look when the suite gets slow).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const files = [];
const timed = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'test-results');
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    files.push(`${pkg}/${name.replace('.json', '')}`);
    for (const result of report.testResults ?? []) {
      const seconds = (result.endTime - result.startTime) / 1000;
      if (Number.isFinite(seconds)) timed.push({ file: result.name.replace(`${root}`, ''), seconds });
    }
  }
}
if (files.length === 0) {
  console.log('tests: 0 passed, 1 failed (no test report was written)');
  process.exit(1);
}
const slowest = timed.sort((a, b) => b.seconds - a.seconds).slice(0, 8);
if (slowest.length > 0) {
  console.log('slowest test files:');
  for (const { file, seconds } of slowest) console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${file}`);
}
console.log(`(${files.join(', ')})`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
