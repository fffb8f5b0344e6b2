import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { Broker } from './broker.js';
import { parseConfig, type BrokerConfig, type BrokerConfigInput } from './config/index.js';
import { openStore, type Store } from './store/index.js';
import type { BrokerStats } from './protocol/index.js';
import type { SecurityOptions } from './auth/security-options.js';
import type { Logger } from './observability/logger.js';
import { certificateUserOf, checkExposure, isOriginAllowed, readTlsFiles, UpgradeDeadlines, type TlsMaterial } from './transport/index.js';
import { handleHttpRequest } from './http/routes.js';

/** Options of startBroker: any subset of the configuration (see config/defaults.ts), and the embedder's hooks. */
export type StartBrokerOptions = BrokerConfigInput & SecurityOptions & {
  /** Where the broker logs (a pino logger); default: one made from the log settings, on stderr. */
  logger?: Logger;
};

/** A running broker. */
export interface BrokerHandle {
  /** `ws://HOST:PORT` (`wss://` with TLS), with the real port when port 0 was asked for. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly config: Readonly<BrokerConfig>;
  /** The same statistics the stats operation returns. */
  stats(): BrokerStats;
  /** Closes every connection (peers are told the broker is going away) and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a broker: validates the configuration (ERR_BAD_CONFIG naming the
 * field; also for an open broker on a non-loopback address, and for TLS
 * files that cannot be read or do not fit together), opens the store in the
 * data directory (`ordo.db`, created or migrated; no file with durability
 * 'memory'), and listens for WebSocket connections (wss:// with tls.cert and
 * tls.key). Resolves once it accepts connections.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const { authenticate, adminPassword, logger, ...configInput } = options;
  const config = parseConfig(configInput);
  checkExposure(config);
  const tls = await readTlsFiles(config.tls);
  // Owner-only when made here: the store holds password hashes and the token secret.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openStore({ dataDir: config.dataDir, durability: config.durability });
  const recovered = await store.open();
  let broker: Broker | undefined;
  try {
    broker = new Broker(config, store, recovered.nextMessageId, { authenticate, adminPassword }, logger);
    // A memory broker makes no backups, and holds no lock on the directory that would make another's its own.
    if (config.durability !== 'memory') await broker.backups.removeLeftovers();
    await broker.durable.start(recovered);
    await broker.security.start(recovered);
    return await listen(broker, store, tls);
  } catch (err) {
    // Its timers (heartbeat, rates, memory and disk watches) stop with it: a refused start leaves nothing running.
    await broker?.shutdown(0).catch(() => undefined);
    await store.close();
    throw err;
  }
}

async function listen(broker: Broker, store: Store, tls: TlsMaterial | undefined): Promise<BrokerHandle> {
  const { config } = broker;
  const server = createServer(tls, config, (req, res) => handleHttpRequest(broker, req, res));
  // From TCP connect to a completed upgrade, TLS handshake included; after it, the connection's HELLO timeout applies.
  const deadlines = new UpgradeDeadlines(config.limits.handshakeTimeoutMs);
  server.on('connection', (socket: Socket) => deadlines.watch(socket));
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!isOriginAllowed(req, config.allowedOrigins)) return refuseUpgrade(socket, 403, 'origin not allowed');
    deadlines.release(socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const ip = socket.remoteAddress ?? '?';
      broker.attach(ws, { address: `${ip}:${socket.remotePort ?? 0}`, ip, certificateUser: certificateUserOf(socket) });
    });
  });
  await listenOn(server, config.host, config.port);
  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls === undefined ? 'ws' : 'wss'}://${hostForUrl}:${port}`;
  // Not worded "listening on …": that line is the CLI's, on stdout, and scripts look for it.
  broker.log.info({ event: 'broker_started', url, durability: config.durability, dataDir: config.dataDir, auth: config.auth.enabled }, 'broker started');
  let closing: Promise<void> | undefined;
  return {
    url,
    host: config.host,
    port,
    config,
    stats: () => broker.stats(),
    close: () => closing ??= (async () => {
      server.close();
      deadlines.closeAll();
      await broker.shutdown();
      await store.close();
      wss.close();
      server.closeAllConnections();
      broker.log.info({ event: 'broker_stopped' }, 'stopped');
    })(),
  };
}

/**
 * An HTTP server, or HTTPS with the tls.* files (client certificates
 * requested when tls.ca is set), answering plain requests with `onRequest`.
 * Its header and request timeouts are the handshake timeout, a second line
 * behind UpgradeDeadlines.
 */
function createServer(
  tls: TlsMaterial | undefined, config: Readonly<BrokerConfig>, onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): HttpServer | HttpsServer {
  const timeoutMs = config.limits.handshakeTimeoutMs;
  const httpOptions = {
    headersTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    connectionsCheckingInterval: Math.min(30_000, timeoutMs),
  };
  if (tls === undefined) return createHttpServer(httpOptions, onRequest);
  return createHttpsServer({
    ...httpOptions,
    cert: tls.cert,
    key: tls.key,
    handshakeTimeout: timeoutMs,
    ...(tls.ca !== undefined && { ca: tls.ca, requestCert: true, rejectUnauthorized: config.tls.requireClientCert }),
  }, onRequest);
}

/** Answers an upgrade request with an HTTP error instead of a WebSocket, then closes the socket. */
function refuseUpgrade(socket: Socket, status: number, reason: string): void {
  // Node's http server stops listening for errors on a socket it hands to 'upgrade': a peer's reset must not crash us.
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\n`
    + `Content-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`);
}

function listenOn(server: HttpServer | HttpsServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
