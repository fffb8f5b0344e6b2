/**
 * The side loop of scrape.ts's {@link startScrapeLoop}, in a worker thread:
 * scrapes until told to stop, then posts a {@link ScrapeLoopResult}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, sleep } from '../timing.js';
import { scrapeMetrics, type ScrapeLoopData, type ScrapeLoopResult } from './scrape.js';

const { url, intervalMs } = workerData as ScrapeLoopData;
let isStopping = false;
parentPort?.once('message', () => {
  isStopping = true;
});
const latenciesMs: number[] = [];
let failures = 0;
let firstError: string | undefined;
while (!isStopping) {
  const startedAt = performance.now();
  try {
    await scrapeMetrics(url);
    latenciesMs.push(performance.now() - startedAt);
  } catch (err) {
    failures++;
    firstError ??= describeError(err);
  }
  await sleep(Math.max(0, intervalMs - (performance.now() - startedAt)));
}
const result: ScrapeLoopResult = { latenciesMs, failures, ...(firstError === undefined ? {} : { firstError }) };
parentPort?.postMessage(result);
