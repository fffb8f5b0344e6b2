import { Unpackr } from 'msgpackr';
import { WebSocket } from 'ws';
import { ERRORS } from '../../broker/errors/index.js';

/**
 * A lean raw WebSocket for the broker fuzz test: sends bytes as they are,
 * decodes the broker's frames with its own decoder (not the broker's), and
 * keeps counts rather than every operation (the fuzz test sends far too
 * many frames for raw-socket.ts's full log). Every ERR op is checked as it
 * arrives: a catalogued code of broker origin.
 */

// Independent of broker/protocol: int64AsType 'auto' as the protocol asks [protocol 1.5].
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number' });
const BROKER_CODES = new Set([64, 65, 66, 67, 68, 69]);

export interface CloseInfo {
  code: number;
  reason: string;
}

/** What every socket of a run adds up to. */
export interface SocketTally {
  /** ERR ops received, by code. */
  readonly errors: Map<string, number>;
  /** Other broker ops received, by code. */
  readonly ops: Map<number, number>;
  /** The longest ERR message seen, and its code: how much of a request an error echoes. */
  longestError: { length: number; code: string };
  /** Something the broker sent that the protocol does not allow. */
  problem(text: string): void;
  /** An ERR op with this code answered request `reqId`. */
  onError(reqId: number, code: string, message: string): void;
}

export class FuzzSocket {
  /** The last ERR op received: [reqId, code, message]. */
  lastError: [number, string, string] | undefined;
  isClosed = false;
  readonly closed: Promise<CloseInfo>;
  private readonly pongWaiters = new Map<number, () => void>();
  private onClosed: (() => void)[] = [];

  private constructor(readonly ws: WebSocket, private readonly tally: SocketTally) {
    this.closed = new Promise<CloseInfo>((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        for (const f of this.onClosed.splice(0)) f();
      });
    });
    ws.on('error', () => { /* 'close' follows */ });
    ws.on('message', (data: Buffer, isBinary) => this.onFrame(data, isBinary));
  }

  static async open(url: string, tally: SocketTally): Promise<FuzzSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const socket = new FuzzSocket(ws, tally);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  }

  send(bytes: Uint8Array): void {
    if (!this.isClosed) this.ws.send(bytes, { binary: true });
  }

  /** Resolves 'pong' once PONG `reqId` arrives, 'closed' if the socket closes first, 'timeout' after `ms`. */
  pong(reqId: number, ms: number): Promise<'pong' | 'closed' | 'timeout'> {
    if (this.isClosed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timeout'), ms);
      const finish = (outcome: 'pong' | 'closed' | 'timeout'): void => {
        clearTimeout(timer);
        this.pongWaiters.delete(reqId);
        resolve(outcome);
      };
      this.pongWaiters.set(reqId, () => finish('pong'));
      this.onClosed.push(() => finish('closed'));
    });
  }

  /** The close, or undefined when it did not come within `ms`. */
  async closeWithin(ms: number): Promise<CloseInfo | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
    const outcome = await Promise.race([this.closed, timeout]);
    clearTimeout(timer);
    return outcome;
  }

  /** Closes with 1000 and waits; drops the socket when the broker does not answer the close in time. */
  async close(): Promise<CloseInfo> {
    if (!this.isClosed) this.ws.close(1000);
    const info = await this.closeWithin(5000);
    if (info !== undefined) return info;
    this.ws.terminate();
    return this.closed;
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      this.tally.problem('the broker sent a text frame');
      return;
    }
    let frame: unknown;
    try {
      frame = unpackr.unpack(data);
    } catch (err) {
      this.tally.problem(`the broker sent a frame that is not MessagePack: ${(err as Error).message}`);
      return;
    }
    if (!Array.isArray(frame)) {
      this.tally.problem('the broker sent a frame that is not an array');
      return;
    }
    for (const op of frame) this.onOp(op);
  }

  private onOp(op: unknown): void {
    if (!Array.isArray(op) || !BROKER_CODES.has(op[0] as number)) {
      this.tally.problem(`the broker sent an operation that is not one of its codes: ${String(Array.isArray(op) ? op[0] : op)}`);
      return;
    }
    const code = op[0] as number;
    if (code === 66) {
      const [, reqId, errCode, message] = op as [number, unknown, unknown, unknown];
      if (typeof reqId !== 'number' || typeof errCode !== 'string' || typeof message !== 'string' || op.length !== 4) {
        this.tally.problem(`malformed ERR op ${JSON.stringify(op)}`);
        return;
      }
      const spec = (ERRORS as Record<string, { origin: string }>)[errCode];
      if (spec === undefined || spec.origin !== 'broker') this.tally.problem(`ERR op with a code that is not a catalogued broker code: ${errCode}`);
      this.lastError = [reqId, errCode, message];
      if (message.length > this.tally.longestError.length) this.tally.longestError = { length: message.length, code: errCode };
      this.tally.errors.set(errCode, (this.tally.errors.get(errCode) ?? 0) + 1);
      this.tally.onError(reqId, errCode, message);
      return;
    }
    this.tally.ops.set(code, (this.tally.ops.get(code) ?? 0) + 1);
    if (code === 68) this.pongWaiters.get(op[1] as number)?.();
  }
}
