import { WebSocket } from 'ws';
import type { ClientTlsOptions } from './options.js';
import type { Transport, TransportEvents, TransportOptions } from './transport.js';

/** ws passes these to tls.connect(). */
function tlsOptions(tls: ClientTlsOptions | undefined): { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer } {
  if (tls === undefined) return {};
  const pem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v));
  return {
    ...(tls.ca !== undefined && { ca: pem(tls.ca) }),
    ...(tls.cert !== undefined && { cert: pem(tls.cert) }),
    ...(tls.key !== undefined && { key: pem(tls.key) }),
  };
}

/** The Node transport over the `ws` package; loaded only where there is no global WebSocket. */
export function openNodeTransport(url: string, events: TransportEvents, options: TransportOptions): Transport {
  const ws = new WebSocket(url, { maxPayload: options.maxFrameBytes, perMessageDeflate: false, ...tlsOptions(options.tls) });
  let waiters: { lowWater: number; resolve: () => void }[] = [];
  let isClosed = false;

  const releaseDrained = (): void => {
    if (waiters.length === 0) return;
    const buffered = ws.bufferedAmount;
    const still = waiters.filter((w) => !isClosed && buffered > w.lowWater);
    for (const w of waiters) if (!still.includes(w)) w.resolve();
    waiters = still;
  };

  ws.on('open', () => events.onOpen());
  ws.on('message', (data: Buffer) => events.onFrame(data));
  ws.on('ping', () => events.onPing?.());
  let lastError = '';
  ws.on('error', (err) => { lastError = err.message; /* 'close' follows with the status */ });
  ws.on('close', (code, reason) => {
    isClosed = true;
    releaseDrained();
    events.onClose(code, reason.length > 0 ? reason.toString() : lastError);
  });
  return {
    send: (frame) => ws.send(frame, releaseDrained),
    get bufferedAmount() { return ws.bufferedAmount; },
    drained: (lowWater) => {
      if (isClosed || ws.bufferedAmount <= lowWater) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ lowWater, resolve }));
    },
    close: (code, reason) => {
      if (ws.readyState === ws.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    terminate: (reason) => {
      lastError = reason;
      ws.terminate();
    },
  };
}
