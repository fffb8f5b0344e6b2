import type { PublishWireOptions, SendWireOptions, Welcome } from '../broker/protocol/index.js';
import { newProducerId } from './dedup/dedup-store.js';

/**
 * The client's identity as an idempotent publisher [semantics 1.3]: a
 * producer id and the next sequence. Every exactly-once publish or send
 * takes the next sequence when it is called and keeps it in its encoded
 * bytes, so a resend after a reconnect or a broker restart repeats it and
 * the broker stores the message once.
 *
 * The id is the application's (`producerId`: for instance a
 * SqliteDedupStore's, kept across restarts of one process), or random per
 * client. The hello names it — the broker gives it to one connection at a
 * time — and the welcome says the highest sequence the broker stored for
 * it: the client continues above that, so a restarted process does not
 * reuse sequences the broker remembers.
 */
export class IdempotentProducer {
  private nextSeq = 1;

  private constructor(readonly id: string) {}

  /** The producer for a client's options: the given id, or a new one. */
  static create(producerId: string | undefined): IdempotentProducer {
    return new IdempotentProducer(producerId ?? newProducerId());
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
