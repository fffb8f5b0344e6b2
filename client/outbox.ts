import { ClientOp, encodeFrame, encodeValue } from '../broker/protocol/index.js';

/**
 * Operations waiting to be sent, batched into one frame per macrotask (or
 * sooner, once the batch is large). While disconnected, plain publishes stay
 * here, up to a byte budget, to be sent after the reconnect.
 */
export class Outbox {
  private ops: unknown[] = [];
  private bytes = 0;

  /** Most operations in one frame. */
  static readonly MAX_OPS = 1024;
  /** A batch is sent once it reaches this many (estimated) bytes. */
  static readonly FLUSH_BYTES = 64 * 1024;

  get byteLength(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.ops.length === 0;
  }

  /** True when the batch should go now rather than at the end of the macrotask. */
  get isFull(): boolean {
    return this.ops.length >= Outbox.MAX_OPS || this.bytes >= Outbox.FLUSH_BYTES;
  }

  push(op: unknown[], estimatedBytes: number): void {
    this.ops.push(op);
    this.bytes += estimatedBytes;
  }

  /**
   * Encodes and removes the batch, or, when it is larger than `maxBytes`
   * (after a reconnect, the whole reconnect buffer is waiting), as many
   * operations as fit in `maxBytes` (at least one): the rest stays queued.
   */
  take(maxBytes = Infinity): Uint8Array {
    if (this.bytes <= maxBytes) {
      const frame = encodeFrame(this.ops);
      this.ops = [];
      this.bytes = 0;
      return frame;
    }
    // Rare path: measure each operation exactly so no frame exceeds the broker's limit.
    let used = 5; // array32 header
    let n = 0;
    for (; n < this.ops.length; n++) {
      const length = encodeValue(this.ops[n]).length;
      if (n > 0 && used + length > maxBytes) break;
      used += length;
    }
    const head = this.ops.splice(0, n);
    this.bytes = Math.max(0, this.bytes - used);
    return encodeFrame(head);
  }

  /** Removes and returns every queued operation (with their byte estimate). */
  takeOps(): { ops: unknown[]; bytes: number } {
    const taken = { ops: this.ops, bytes: this.bytes };
    this.ops = [];
    this.bytes = 0;
    return taken;
  }

  /** Queues operations taken with takeOps() behind what is queued now. */
  pushOps(taken: { ops: unknown[]; bytes: number }): void {
    for (const op of taken.ops) this.ops.push(op);
    this.bytes += taken.bytes;
  }

  /**
   * After a lost connection: keeps only publishes that expect no answer (their
   * senders were told nothing yet); requests are re-issued by their owners.
   */
  keepPlainPublishes(): void {
    this.ops = this.ops.filter((op) => {
      const o = op as unknown[];
      return o[0] === ClientOp.publish && !(o[4] as { confirm?: boolean } | null)?.confirm;
    });
    // Exact sizes (this runs once per lost connection): headers make estimates unreliable.
    this.bytes = this.ops.reduce<number>((n, op) => n + encodeValue(op).length, 0);
  }
}

/** A cheap upper estimate of an operation's encoded size. */
export function estimateOpBytes(op: unknown[]): number {
  let n = 16;
  for (const field of op) {
    if (field instanceof Uint8Array) n += field.length + 5;
    else if (typeof field === 'string') n += field.length * 3 + 5;
    else if (field !== null && typeof field === 'object') n += 256;
    else n += 9;
  }
  return n;
}

/** Runs `fn` after the current macrotask: setImmediate in Node, a MessageChannel tick in browsers. */
export const scheduleMacrotask: (fn: () => void) => void = (() => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return (fn: () => void) => { g.setImmediate!(fn); };
  if (typeof MessageChannel === 'function') {
    const queue: (() => void)[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (fn: () => void) => {
      queue.push(fn);
      channel.port2.postMessage(0);
    };
  }
  return (fn: () => void) => { setTimeout(fn, 0); };
})();
