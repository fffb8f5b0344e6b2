import type { PublishWireOptions, SendWireOptions, Welcome } from '../broker/protocol/index.js';
import { newProducerId, type DedupStore } from './dedup/dedup-store.js';

/**
 * The client's identity as an idempotent publisher [semantics 1.3]: a
 * producer id and the next sequence. Every exactly-once publish or send
 * takes the next sequence when it is called and keeps it in its encoded
 * bytes, so a resend after a reconnect or a broker restart repeats it and
 * the broker stores the message once.
 *
 * The id is the application's (`producerId`), or the dedup store's (kept
 * across restarts of the process), or random per client. The hello names
 * it, and the welcome says the highest sequence the broker stored for it:
 * the client continues above that, so a restarted process does not reuse
 * sequences the broker remembers.
 */
export class IdempotentProducer {
  private nextSeq = 1;

  private constructor(readonly id: string) {}

  /** The producer for a client's options: the given id, the store's, or a new one. */
  static async create(producerId: string | undefined, store: DedupStore | undefined): Promise<IdempotentProducer> {
    return new IdempotentProducer(producerId ?? (await store?.producerId?.()) ?? newProducerId());
  }

  /** Continues above what the broker stored for this producer. */
  onWelcome(welcome: Welcome): void {
    this.nextSeq = Math.max(this.nextSeq, (welcome.producerSeq ?? 0) + 1);
  }

  /** `options` with this producer's id and its next sequence (a copy; `options` may be null). */
  stamp<T extends PublishWireOptions | SendWireOptions>(options: T | null): T {
    return { ...options, producer: this.id, pseq: this.nextSeq++ } as T;
  }
}
