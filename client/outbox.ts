import { EncodedStrings, FrameBuilder } from '../broker/protocol/index.js';

/** What an Outbox holds, taken out of it with detach(). */
export interface OutboxContent {
  readonly frame: FrameBuilder;
  /** End offset of each operation in `frame`. */
  readonly ends: number[];
  /** Whether each operation is a publish that expects no answer. */
  readonly isPlainPublish: boolean[];
  /** Each operation's place among everything the client queued (Outbox.reserveOrder). */
  readonly orders: number[];
}

/** An encoded operation with its place among everything the client queued. */
export interface OrderedOp {
  readonly order: number;
  readonly op: Uint8Array;
}

/**
 * Operations waiting to be sent, encoded as they come into the frame that
 * will carry them (no array per operation, no second encoding pass), batched
 * into one frame per macrotask or sooner once the batch is large. While
 * disconnected, plain publishes stay here, up to a byte budget, to be sent
 * after the reconnect — in as many frames as the broker's limit requires.
 */
export class Outbox {
  private content: OutboxContent = emptyContent();
  private nextOrder = 0;
  /** Operations dropped by take() because no frame under its limit could carry them. */
  oversizedDropped = 0;
  private readonly topics = new EncodedStrings();

  /** Most operations in one frame. */
  static readonly MAX_OPS = 1024;
  /** A batch is sent once it reaches this many bytes. */
  static readonly FLUSH_BYTES = 64 * 1024;

  /** Bytes queued (exact: the operations are already encoded). */
  get byteLength(): number {
    return this.content.frame.byteLength - FrameBuilder.FIRST_OP_OFFSET;
  }

  get isEmpty(): boolean {
    return this.content.ends.length === 0;
  }

  /** True when the batch should go now rather than at the end of the macrotask. */
  get isFull(): boolean {
    return this.content.ends.length >= Outbox.MAX_OPS || this.content.frame.byteLength >= Outbox.FLUSH_BYTES;
  }

  /** The MessagePack encoding of `topic` (cached: publishers reuse few topics). */
  encodeTopic(topic: string): Uint8Array {
    return this.topics.get(topic);
  }

  /** Queues a publish (see FrameBuilder.appendPublish); `isPlain` when it expects no answer. */
  appendPublish(reqId: number, topic: Uint8Array, payload: Uint8Array, isRawBytes: boolean, options: Uint8Array | null, isPlain: boolean): void {
    this.content.frame.appendPublish(reqId, topic, payload, isRawBytes, options);
    this.mark(isPlain, this.reserveOrder());
  }

  /** Queues any other operation, already encoded; `order`, when it was given its place before (reserveOrder). */
  appendEncoded(op: Uint8Array, isPlain = false, order = this.reserveOrder()): void {
    this.content.frame.appendEncoded(op);
    this.mark(isPlain, order);
  }

  /** The place of the next operation among everything queued, for one kept elsewhere meanwhile (unconfirmed ones). */
  reserveOrder(): number {
    return this.nextOrder++;
  }

  /**
   * After a reconnect: queues `kept` (operations kept elsewhere, sent again)
   * and the operations of `content`, merged in the order they were first
   * queued: a publish buffered while disconnected does not go behind an
   * at-least-once one made after it [semantics 2.1, 2.2].
   */
  appendInOrder(content: OutboxContent, kept: readonly OrderedOp[]): void {
    let i = 0;
    for (const { order, op } of kept) {
      for (; i < content.ends.length && content.orders[i] < order; i++) this.copyOps(content, i, i + 1, this.content);
      this.appendEncoded(op, false, order);
    }
    this.copyOps(content, i, content.ends.length, this.content);
  }

  /**
   * Removes and returns the next frame: everything queued, or, when that is
   * more than `maxBytes` (after a reconnect, the whole reconnect buffer is
   * waiting), as many operations as fit (at least one).
   */
  take(maxBytes = Infinity): Uint8Array | undefined {
    const { frame, ends } = this.content;
    if (frame.byteLength <= maxBytes) {
      this.content = emptyContent(frame.byteLength);
      return frame.take();
    }
    // Split at operation boundaries. An operation no frame can carry (queued
    // for a broker with a larger limit than the one reconnected to) is
    // dropped and counted: sent, it would cost the whole connection (1009).
    const head = emptyContent();
    let i = 0;
    for (; i < ends.length; i++) {
      const size = ends[i] - (i === 0 ? FrameBuilder.FIRST_OP_OFFSET : ends[i - 1]);
      if (size + FrameBuilder.FIRST_OP_OFFSET > maxBytes) {
        this.oversizedDropped++;
        continue;
      }
      if (head.frame.byteLength + size > maxBytes) break;
      this.copyOps(this.content, i, i + 1, head);
    }
    const rest = emptyContent();
    this.copyOps(this.content, i, ends.length, rest);
    this.content = rest;
    return head.ends.length > 0 ? head.frame.take() : undefined;
  }

  /** Removes everything queued, to be put back behind newer operations with appendInOrder(). */
  detach(): OutboxContent {
    const content = this.content;
    this.content = emptyContent();
    return content;
  }

  /**
   * After a lost connection: keeps only publishes that expect no answer (their
   * senders were told nothing yet); requests are re-issued by their owners.
   */
  keepPlainPublishes(): void {
    const old = this.content;
    this.content = emptyContent(old.frame.byteLength);
    for (let i = 0; i < old.ends.length; i++) {
      if (old.isPlainPublish[i]) this.copyOps(old, i, i + 1, this.content);
    }
  }

  private mark(isPlain: boolean, order: number): void {
    this.content.ends.push(this.content.frame.byteLength);
    this.content.isPlainPublish.push(isPlain);
    this.content.orders.push(order);
  }

  private copyOps(from: OutboxContent, first: number, last: number, to: OutboxContent): void {
    for (let i = first; i < last; i++) {
      const start = i === 0 ? FrameBuilder.FIRST_OP_OFFSET : from.ends[i - 1];
      to.frame.appendEncoded(from.frame.slice(start, from.ends[i]));
      to.ends.push(to.frame.byteLength);
      to.isPlainPublish.push(from.isPlainPublish[i]);
      to.orders.push(from.orders[i]);
    }
  }
}

function emptyContent(bytes = 4096): OutboxContent {
  return { frame: new FrameBuilder(Math.min(Math.max(bytes, 4096), 2 * Outbox.FLUSH_BYTES)), ends: [], isPlainPublish: [], orders: [] };
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
