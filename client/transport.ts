/**
 * The seam between the SDK and a WebSocket implementation: the browser's
 * global WebSocket where there is one, the `ws` package in Node (imported
 * lazily, so browser bundles never need it).
 */
export interface TransportEvents {
  onOpen(): void;
  onFrame(frame: Uint8Array): void;
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
  close(code?: number, reason?: string): void;
}

/** Options of the Node transport; ignored by browsers. */
export interface TransportOptions {
  /** Largest frame accepted from the broker, in bytes. */
  maxFrameBytes: number;
}

/** Opens a WebSocket to `url` and wires it to `events`. */
export async function openTransport(url: string, events: TransportEvents, options: TransportOptions): Promise<Transport> {
  const Global = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (Global !== undefined) return openBrowserTransport(Global, url, events);
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
  };
}
