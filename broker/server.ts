import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Broker } from './broker.js';
import { parseConfig, type BrokerConfig, type BrokerConfigInput } from './config/index.js';
import { openStore, type Store } from './store/index.js';
import type { BrokerStats } from './protocol/index.js';

/** Options of startBroker: any subset of the configuration (see config/defaults.ts). */
export type StartBrokerOptions = BrokerConfigInput;

/** A running broker. */
export interface BrokerHandle {
  /** `ws://HOST:PORT`, with the real port when port 0 was asked for. */
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
 * field), opens the store in the data directory (`ordo.db`, created or
 * migrated; no file with durability 'memory'), and listens for WebSocket
 * connections. Resolves once it accepts connections.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const config = parseConfig(options);
  await mkdir(config.dataDir, { recursive: true });
  const store = openStore({ dataDir: config.dataDir, durability: config.durability });
  const recovered = await store.open();
  try {
    const broker = new Broker(config, store, recovered.nextMessageId);
    await broker.durable.start(recovered);
    return await listen(broker, store);
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function listen(broker: Broker, store: Store): Promise<BrokerHandle> {
  const { config } = broker;
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('ordo speaks WebSocket here\n');
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: config.limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  wss.on('connection', (ws, req) => {
    broker.attach(ws, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`);
  });
  wss.on('error', () => { /* errors of the listening socket surface through listen() below */ });
  await listenOn(http, config.host, config.port);
  const { port } = http.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `ws://${hostForUrl}:${port}`,
    host: config.host,
    port,
    config,
    stats: () => broker.stats(),
    close: () => closing ??= (async () => {
      http.close();
      await broker.shutdown();
      await store.close();
      wss.close();
      http.closeAllConnections();
    })(),
  };
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
