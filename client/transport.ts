import type { ClientTlsOptions } from './options.js';

/**
 * The seam between the SDK and a WebSocket implementation: the browser's
 * global WebSocket where there is one, the `ws` package in Node (imported
 * lazily, so browser bundles never need it).
 */
export interface TransportEvents {
  onOpen(): void;
  onFrame(frame: Uint8Array): void;
  /** A WebSocket ping from the broker: a sign of life. Only where the implementation shows pings (`ws` does; browsers do not). */
  onPing?(): void;
  /** Called once, whatever ended the socket. */
  onClose(code: number, reason: string): void;
}

export interface Transport {
  /** Sends one binary frame. */
  send(frame: Uint8Array): void;
  /** Bytes handed to send() that have not been written to the network yet. */
  readonly bufferedAmount: number;
  /** Resolves once bufferedAmount is at most `lowWaterBytes` (or the socket closed). */
  drained(lowWaterBytes: number): Promise<void>;
  /** Closes with the WebSocket closing handshake (code 1000 or 3000–4999, as browsers require). */
  close(code?: number, reason?: string): void;
  /**
   * Gives up on the connection now, without waiting for a closing handshake
   * the peer may never answer (a dead broker, a connect timeout): onClose
   * follows at once with 1006.
   */
  terminate(reason: string): void;
}

/** Options of the Node transport; ignored by browsers. */
export interface TransportOptions {
  /** Largest frame accepted from the broker, in bytes. */
  maxFrameBytes: number;
  /** CA, client certificate and key of a wss:// connection. */
  tls?: ClientTlsOptions | undefined;
}

/** Opens a WebSocket to `url` and wires it to `events`. */
export async function openTransport(url: string, events: TransportEvents, options: TransportOptions): Promise<Transport> {
  const Global = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  // Node 22 has a global WebSocket too, which takes no TLS options: with them, Node uses `ws`.
  const needsWs = options.tls !== undefined && Object.keys(options.tls).length > 0 && typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (Global !== undefined && !needsWs) return openBrowserTransport(Global, url, events);
  const { openNodeTransport } = await import('./node-transport.js');
  return openNodeTransport(url, events, options);
}

function openBrowserTransport(Ctor: typeof WebSocket, url: string, events: TransportEvents): Transport {
  const ws = new Ctor(url);
  ws.binaryType = 'arraybuffer';
  let isClosed = false;
  ws.onopen = () => events.onOpen();
  ws.onmessage = (e: MessageEvent) => {
    if (e.data instanceof ArrayBuffer) events.onFrame(new Uint8Array(e.data));
  };
  ws.onclose = (e: CloseEvent) => {
    if (isClosed) return; // terminated already
    isClosed = true;
    events.onClose(e.code, e.reason);
  };
  return {
    send: (frame) => ws.send(frame as Uint8Array<ArrayBuffer>),
    get bufferedAmount() { return ws.bufferedAmount; },
    drained: async (lowWater) => {
      // Browsers have no drain event: poll.
      while (!isClosed && ws.bufferedAmount > lowWater) await new Promise((r) => setTimeout(r, 4));
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: (reason) => {
      if (isClosed) return;
      isClosed = true;
      try {
        ws.close(4000, 'abandoned');
      } catch {
        // closing a socket that never opened may throw in some browsers: it is abandoned either way
      }
      events.onClose(1006, reason);
    },
  };
}
