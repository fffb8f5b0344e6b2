import type { DedupStore } from './dedup/dedup-store.js';
import type { Message } from './message.js';
import type { MessageHandler } from './subscription.js';

/**
 * The consumer's half of exactly-once [semantics 1.3], for one subscription
 * or consumer. Per delivery, in order:
 * 1. RECEIVED went when the delivery arrived (Subscription.push): the
 *    broker keeps it in flight, without an ack deadline, while this
 *    connection lives, however long it waits behind earlier ones. Its
 *    answer comes first: a delivery the broker no longer holds for this
 *    consumer (its connection lost, its deadline past before the receipt
 *    came) is dropped unhandled — the broker gave it back, perhaps to
 *    another consumer sharing the dedup store;
 * 2. a key already in the dedup store means the effect happened (the
 *    COMPLETE was lost): complete again, without the handler;
 * 3. the handler runs, and the key is recorded: in the store's transaction
 *    together with the handler's writes when the store has runOnce, else
 *    right after the handler (the window where a crash repeats the effect,
 *    which docs/semantics.md names);
 * 4. COMPLETE: once answered (fsynced by the broker), the delivery can
 *    never come back, and the store may forget the key.
 * A handler that throws leaves no record, and the delivery is nacked: it
 * comes back. One that settled the message itself (ackAndPublish) is not completed.
 */
export class ExactlyOnce<T> {
  constructor(
    private readonly store: DedupStore,
    /** The dedup key of a delivery: broker instance, queue and seq (once the subscription is confirmed). */
    private readonly keyOf: (msg: Message<T>) => Promise<string>,
    private readonly report: (err: unknown) => void,
  ) {}

  async run(msg: Message<T>, handler: MessageHandler<T>): Promise<void> {
    const { store } = this;
    let key = '';
    try {
      // Not held any more (its connection is gone, or its deadline passed before the receipt
      // came): the broker has given it back, maybe to another consumer. Its effect is not ours to run.
      if (!(await msg.held())) return;
      key = await this.keyOf(msg);
      if (store.runOnce === undefined && await store.seen(key)) {
        this.complete(msg, key);
        return;
      }
      if (store.runOnce !== undefined) {
        await store.runOnce(key, (tx) => handler(msg, tx));
      } else {
        await handler(msg);
        await store.commit(key);
      }
    } catch (err) {
      this.report(err);
      if (msg.needsSettling) msg.nack().catch(ignoreDisconnect(this.report));
      return;
    }
    this.complete(msg, key);
  }

  private complete(msg: Message<T>, key: string): void {
    if (!msg.needsSettling) return;
    msg.complete().then(() => this.store.forget?.(key)).catch(ignoreDisconnect(this.report));
  }
}

/**
 * A settle lost with its connection is not an error: the broker delivers
 * the message again, and the dedup store recognises it.
 */
function ignoreDisconnect(report: (err: unknown) => void): (err: unknown) => void {
  return (err) => {
    if ((err as { code?: string }).code !== 'ERR_DISCONNECTED') report(err);
  };
}
