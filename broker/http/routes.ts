import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BrokerConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { METRICS_CONTENT_TYPE, type BrokerMetrics } from '../observability/metrics.js';
import { serveConsole } from './console-files.js';
import { requestPath } from './request-path.js';

/** What the HTTP endpoints need of the broker. */
export interface HttpBroker {
  readonly config: Readonly<BrokerConfig>;
  readonly log: Logger;
  /** Made when config.http.metrics is on. */
  readonly metrics: BrokerMetrics | undefined;
  /** Why the broker does not accept messages now; empty when it does. */
  notReadyReasons(): string[];
}

const NO_STORE = { 'cache-control': 'no-store' } as const;

/**
 * Plain HTTP requests on the broker's port (WebSocket upgrades go
 * elsewhere) [docs/operations.md, Health and Metrics]:
 * - `/healthz`: 200 while the process runs and listens (liveness);
 * - `/readyz`: 200 while messages are accepted, else 503 with one reason a
 *   line (shutting down, a memory or disk alarm) (readiness);
 * - `/metrics`: Prometheus text exposition, when http.metrics is on;
 * - the web console's files, when http.console is on (console-files.ts);
 * - anything else: 426, the port speaks WebSocket [protocol 1].
 * Health and metrics answer GET and HEAD only (405 otherwise).
 */
export function handleHttpRequest(broker: HttpBroker, req: IncomingMessage, res: ServerResponse): void {
  try {
    route(broker, req, res);
  } catch (err) {
    // A throw here would be the process's uncaught exception: one request must not take the broker down.
    failed(broker.log, res, err);
  }
}

function route(broker: HttpBroker, req: IncomingMessage, res: ServerResponse): void {
  const path = requestPath(req.url);
  const { http } = broker.config;
  const isEndpoint = path === '/healthz' || path === '/readyz' || path === '/metrics';
  if (isEndpoint && req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path === '/healthz') return answer(req, res, 200, 'ok\n');
  if (path === '/readyz') {
    const reasons = broker.notReadyReasons();
    if (reasons.length === 0) return answer(req, res, 200, 'ready\n');
    return answer(req, res, 503, `not ready\n${reasons.join('\n')}\n`);
  }
  if (path === '/metrics') {
    if (broker.metrics === undefined) return answer(req, res, 404, 'metrics are off (http.metrics)\n');
    return serveMetrics(broker.metrics, broker.log, req, res);
  }
  if (http.console && serveConsole(req, res)) return;
  res.writeHead(426, { 'content-type': 'text/plain' }).end('ordo speaks WebSocket here\n');
}

function serveMetrics(metrics: BrokerMetrics, log: Logger, req: IncomingMessage, res: ServerResponse): void {
  metrics.text().then(
    (body) => answer(req, res, 200, body, METRICS_CONTENT_TYPE),
    (err: unknown) => {
      log.error({ event: 'metrics_failed', err }, 'a /metrics scrape failed');
      answer(req, res, 500, 'metrics failed\n');
    },
  ).catch((err: unknown) => failed(log, res, err)); // not an unhandled rejection, which would end the process
}

/** A request whose handling threw: logged (`http_error`), answered 500 if nothing was sent yet, else cut off. */
function failed(log: Logger, res: ServerResponse, err: unknown): void {
  log.error({ event: 'http_error', err }, 'an HTTP request failed');
  if (res.headersSent) res.destroy();
  else res.writeHead(500, { ...NO_STORE, 'content-type': 'text/plain' }).end('internal error\n');
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...NO_STORE, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
