import { Packr, Unpackr } from 'msgpackr';
import { WebSocket } from 'ws';

/**
 * A raw WebSocket client for hand-built frames: tests send arbitrary bytes,
 * text or MessagePack frames and read back the broker's operations, decoded
 * but otherwise untouched. Deliberately independent of client/ and of the
 * broker's codec, so a bug there cannot hide behind a matching bug here.
 */

/** Standard MessagePack, as the protocol demands [protocol 1]. */
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
// int64AsType 'auto': seq and timestamp may travel as uint64; they decode as numbers while safe.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number' });

/** Encodes any value as MessagePack (e.g. a publish payload, which travels as bin). */
export function pack(value: unknown): Uint8Array {
  // Copy: msgpackr may return a view into a buffer it reuses.
  return new Uint8Array(packr.pack(value));
}

/** Decodes one MessagePack value. */
export function unpack(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** How the socket ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

export type Op = unknown[];

export interface RawSocket {
  readonly ws: WebSocket;
  /** Every operation received so far, in order (consumed or not). */
  readonly received: readonly Op[];
  /** Frames that were not a MessagePack array (should never happen with a correct broker). */
  readonly undecodable: readonly Uint8Array[];
  /** Resolves once the socket has closed, whoever closed it. */
  readonly closed: Promise<CloseInfo>;
  /** True once the socket has closed. */
  readonly isClosed: boolean;
  /** Sends `ops` as one MessagePack array frame. */
  sendFrame(ops: readonly unknown[]): void;
  /** Sends `buf` as one binary WebSocket message, byte for byte. */
  sendBytes(buf: Uint8Array): void;
  /** Sends `s` as one text WebSocket message. */
  sendText(s: string): void;
  /**
   * The first received operation not yet returned by nextOp that satisfies
   * `predicate` (any operation without one), waiting for it when needed.
   * Rejects when the socket closes or `timeoutMs` passes first.
   */
  nextOp(predicate?: (op: Op) => boolean, timeoutMs?: number): Promise<Op>;
  /** Sends `[[1, { version: 1, ...extra }]]` and resolves with the welcome (op 64). */
  hello(extra?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Closes the socket (code 1000) and waits until it is closed. */
  close(): Promise<CloseInfo>;
}

/** Opens a raw WebSocket to `url`; resolves once it is open. */
export async function openRawSocket(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const received: Op[] = [];
  const consumed = new Set<number>();
  const undecodable: Uint8Array[] = [];
  const waiters = new Set<() => void>();
  let isClosed = false;
  const notify = (): void => { for (const w of [...waiters]) w(); };

  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on('close', (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
      notify();
    });
  });
  ws.on('error', () => { /* 'close' follows */ });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      undecodable.push(new Uint8Array(data));
      return;
    }
    let frame: unknown;
    try {
      frame = unpack(data);
    } catch {
      undecodable.push(new Uint8Array(data));
      return;
    }
    if (!Array.isArray(frame)) {
      undecodable.push(new Uint8Array(data));
      return;
    }
    for (const op of frame) received.push(op as Op);
    notify();
  });

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });

  const socket: RawSocket = {
    ws,
    received,
    undecodable,
    closed,
    get isClosed() { return isClosed; },
    sendFrame: (ops) => ws.send(packr.pack(ops), { binary: true }),
    sendBytes: (buf) => ws.send(buf, { binary: true }),
    sendText: (s) => ws.send(s, { binary: false }),
    nextOp: (predicate = () => true, timeoutMs = 5000) => new Promise<Op>((resolve, reject) => {
      const check = (): void => {
        for (let i = 0; i < received.length; i++) {
          if (consumed.has(i) || !predicate(received[i])) continue;
          consumed.add(i);
          done();
          resolve(received[i]);
          return;
        }
        if (isClosed) {
          done();
          reject(new Error(`socket closed before the expected operation arrived; received ${describe(received)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching operation within ${timeoutMs} ms; received ${describe(received)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    }),
    hello: async (extra = {}) => {
      socket.sendFrame([[1, { version: 1, ...extra }]]);
      const welcome = await socket.nextOp((op) => op[0] === 64);
      return welcome[1] as Record<string, unknown>;
    },
    close: async () => {
      if (!isClosed) ws.close(1000);
      return closed;
    },
  };
  return socket;
}

function describe(ops: readonly Op[]): string {
  const text = JSON.stringify(ops, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
