/**
 * Scraping `/metrics` as Prometheus does: a plain HTTP GET on the broker's
 * port, the whole body read. {@link startScrapeLoop} runs the side loop of
 * the scraped throughput rows in a worker thread (scrape-worker.ts), so its
 * requests do not take turns with the workload's clients on this thread's
 * event loop.
 */
import { Worker } from 'node:worker_threads';

/** What the side loop did while it ran. */
export interface ScrapeLoopResult {
  /** Scrapes answered 200, each one's latency (request to the end of the body), ms. */
  readonly latenciesMs: number[];
  /** Scrapes that failed or were not answered 200. */
  readonly failures: number;
  /** The first failure, in words. */
  readonly firstError?: string;
}

/** What the worker is started with. */
export interface ScrapeLoopData {
  readonly url: string;
  readonly intervalMs: number;
}

/** The `/metrics` URL of a broker listening on `wsUrl` (`ws://127.0.0.1:7700` → `http://127.0.0.1:7700/metrics`). */
export function metricsUrl(wsUrl: string): string {
  return new URL('/metrics', wsUrl.replace(/^ws/, 'http')).href;
}

/** One GET of `url`, the body read in full; resolves with its size in bytes, rejects unless answered 200. */
export async function scrapeMetrics(url: string): Promise<number> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return Buffer.byteLength(body);
}

/**
 * Starts scraping `url` every `intervalMs` (the next scrape starts when the
 * interval since the last one started has passed, or at once if that one
 * took longer); `stop()` ends the loop after the scrape under way and
 * resolves with what it did.
 */
export function startScrapeLoop(url: string, intervalMs: number): { stop(): Promise<ScrapeLoopResult> } {
  const workerData: ScrapeLoopData = { url, intervalMs };
  const worker = new Worker(new URL('./scrape-worker.js', import.meta.url), { workerData });
  const result = new Promise<ScrapeLoopResult>((resolve, reject) => {
    worker.once('message', (message: ScrapeLoopResult) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the scrape loop ended (exit ${code}) before it reported`)));
  });
  return {
    async stop(): Promise<ScrapeLoopResult> {
      worker.postMessage('stop');
      try {
        return await result;
      } finally {
        await worker.terminate(); // its idle keep-alive connection would hold it a few seconds more
      }
    },
  };
}
