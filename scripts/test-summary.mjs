// Totals the test counts of the Vitest JSON reports and pytest's JUnit XML into one line.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
for (const file of ['test-results/vitest.json', 'test-results/e2e.json']) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
if (existsSync('test-results/pytest.xml')) {
  const xml = readFileSync('test-results/pytest.xml', 'utf8');
  const m = xml.match(/<testsuite [^>]*>/);
  if (m) {
    const attr = (k) => Number((m[0].match(new RegExp(`${k}="(\\d+)"`)) ?? [])[1] ?? 0);
    const total = attr('tests'), f = attr('failures') + attr('errors'), s = attr('skipped');
    passed += total - f - s; failed += f; skipped += s;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
