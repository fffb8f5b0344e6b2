import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the test run with one plain line, `N passed, N failed, N skipped`,
 * after vitest's own report: tools that read a run's closing line (CI among
 * them) need no knowledge of vitest's coloured summary. A default export,
 * the one in the project: vitest loads a reporter given by path that way.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && !module.children.size) failed++; // a file that failed to load
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
