import type { Store, StoredMessage } from '../store/index.js';

/** Bytes a cached message costs besides its payload (object, topic, map slot), roughly. */
const OVERHEAD_BYTES = 160;

/**
 * The stored messages the broker is likely to deliver soon, by id, so a
 * delivery need not read the store: every message enters when it is
 * published; the oldest leave first once `maxBytes` is reached. A miss (after
 * a restart, or a long queue) reads the store. Entries are immutable, so a
 * cached message is never stale.
 */
export class MessageCache {
  private readonly messages = new Map<number, StoredMessage>();
  private bytes = 0;

  constructor(private readonly store: Store, private readonly maxBytes: number) {}

  put(message: StoredMessage): void {
    if (this.messages.has(message.id)) return;
    this.messages.set(message.id, message);
    this.bytes += costOf(message);
    for (const [id, oldest] of this.messages) {
      if (this.bytes <= this.maxBytes) break;
      this.messages.delete(id);
      this.bytes -= costOf(oldest);
    }
  }

  /** The payload size of message `id` if it is cached, else `fallback`. */
  sizeOf(id: number, fallback: number): number {
    return this.messages.get(id)?.payload.byteLength ?? fallback;
  }

  /**
   * The messages with these ids that still exist: a map at once when every
   * one is cached, else a promise of it (after reading the store).
   */
  getMany(ids: readonly number[]): Map<number, StoredMessage> | Promise<Map<number, StoredMessage>> {
    const found = new Map<number, StoredMessage>();
    const missing: number[] = [];
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message === undefined) missing.push(id);
      else found.set(id, message);
    }
    if (missing.length === 0) return found;
    return this.store.getMessages(missing).then((read) => {
      for (const message of read) found.set(message.id, message);
      return found;
    });
  }
}

function costOf(message: StoredMessage): number {
  return message.payload.byteLength + message.topic.length + OVERHEAD_BYTES;
}
