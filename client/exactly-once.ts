import { OrdoError } from '../broker/errors/index.js';
import type { Welcome } from '../broker/protocol/index.js';
import type { DedupStore } from './dedup/dedup-store.js';
import type { Message, NackOutcome } from './message.js';
import type { MessageHandler, Subscription } from './subscription.js';

/** Beyond its heartbeats, how long a client keeps a completed key, ms (see DelayedForgets). */
const FORGET_SLACK_MS = 1000;

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
 *    together with the handler's writes when the store has runOnce (and
 *    only once the broker answered on the connection, the lock taken),
 *    else right after the handler (the window where a crash repeats the
 *    effect, which docs/semantics.md names);
 * 4. COMPLETE: once answered (fsynced by the broker), the delivery can
 *    never come back, and the store forgets the key after a grace period
 *    (DelayedForgets).
 * A handler that throws leaves no record, and the delivery is nacked: it
 * comes back. One that settled the message itself (ackAndPublish) is not completed.
 */
export class ExactlyOnce<T> {
  private readonly forgets: DelayedForgets;

  constructor(
    private readonly store: DedupStore,
    /** The dedup key of a delivery: broker instance, queue and seq (once the subscription is confirmed). */
    private readonly keyOf: (msg: Message<T>) => Promise<string>,
    private readonly report: (err: unknown) => void,
    /** How long a completed key stays in the store (see DelayedForgets). */
    forgetAfterMs: () => number,
  ) {
    this.forgets = new DelayedForgets(store, forgetAfterMs);
  }

  /**
   * The runner of exactly-once subscription `sub` on `store`: keys name the
   * broker instance of the current connection, the subscription's queue and
   * the message. ERR_BAD_REQUEST without a handler, or with manual acks.
   */
  static of<T>(sub: Subscription<T>, store: DedupStore, welcome: () => Welcome | undefined, report: (err: unknown) => void): ExactlyOnce<T> {
    if (sub.handler === undefined) throw new OrdoError('ERR_BAD_REQUEST', 'an exactly-once subscription needs a handler: the SDK runs it once per delivery');
    if (sub.options.ack === 'manual') throw new OrdoError('ERR_BAD_REQUEST', "an exactly-once subscription settles its deliveries itself: ack 'manual' does not apply");
    const keyOf = async (msg: Message<T>): Promise<string> => {
      await sub.confirmed;
      return `${welcome()!.instance}:${sub.queueName}:${msg.seq}`;
    };
    // A client notices a dead connection within two heartbeats (three, counting its timer's period).
    const forgetAfterMs = (): number => 4 * (welcome()?.heartbeatMs ?? 15_000) + FORGET_SLACK_MS;
    return new ExactlyOnce(store, keyOf, report, forgetAfterMs);
  }

  /**
   * Runs the handler once per message per store. Resolves with `nacked`, the
   * nack's outcome, when the handler failed (the delivery comes again), and
   * `abandoned` when this delivery was not ours to run (its connection is
   * gone: it comes again, maybe elsewhere).
   */
  async run(msg: Message<T>, handler: MessageHandler<T>): Promise<{ nacked?: Promise<NackOutcome>; abandoned?: true }> {
    const { store } = this;
    let key = '';
    try {
      // Not held any more (its connection is gone, or its deadline passed before the receipt
      // came): the broker has given it back, maybe to another consumer. Its effect is not ours to run.
      if (!(await msg.held())) return ABANDONED;
      key = await this.keyOf(msg);
      if (store.runOnce !== undefined) {
        await store.runOnce(key, async (tx) => {
          // Again, with the store's lock held: the wait for it (or a pause of this process) may have
          // outlived the connection. Once the broker answers, another consumer that gets the message
          // later needs this lock to run it, and finds the key.
          if (!(await msg.confirmHeld())) throw STALE;
          return handler(msg, tx);
        });
      } else if (!(await store.seen(key))) { // seen: the effect happened and only the completion was lost
        if (!msg.isCurrent()) return ABANDONED;
        await handler(msg);
        await store.commit(key);
      }
    } catch (err) {
      if (err === STALE) return ABANDONED;
      this.report(err);
      if (!msg.needsSettling) return {};
      const nacked = msg.nack();
      nacked.catch(ignoreDisconnect(this.report));
      return { nacked };
    }
    this.complete(msg, key);
    return {};
  }

  private complete(msg: Message<T>, key: string): void {
    if (!msg.needsSettling) return;
    msg.complete().then(() => this.forgets.add(key), ignoreDisconnect(this.report));
  }
}

/** What run() resolves with for a delivery it did not run. */
const ABANDONED = { abandoned: true } as const;

/** Thrown inside runOnce to roll back a delivery whose connection was lost meanwhile. */
const STALE = new Error('the delivery came on a connection that was lost');

/**
 * Completed keys leave the dedup store only after a grace period. A COMPLETE
 * answered means the broker never delivers the message again — but a copy
 * delivered earlier to another consumer sharing the store may still be about
 * to run, its connection lost without that client knowing yet. With runOnce
 * the copy is stopped anyway: its run starts only once the broker answered
 * a request on that connection, with the store's lock held. Without it, the
 * copy checks only that its client still believes the connection up, which
 * it stops believing within two heartbeats: until then the key must be there
 * for the copy's seen() to find. A client closed meanwhile leaves its keys
 * to the store's age limit.
 */
class DelayedForgets {
  private readonly due: { at: number; key: string }[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly store: DedupStore, private readonly afterMs: () => number) {}

  add(key: string): void {
    if (this.store.forget === undefined) return;
    this.due.push({ at: Date.now() + this.afterMs(), key });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.head === this.due.length) return;
    this.timer = setTimeout(() => this.run(), Math.max(0, this.due[this.head].at - Date.now()));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private run(): void {
    this.timer = undefined;
    const now = Date.now();
    for (; this.head < this.due.length && this.due[this.head].at <= now; this.head++) {
      Promise.resolve(this.store.forget!(this.due[this.head].key)).catch(() => undefined); // a lost forget only leaves a key behind
    }
    if (this.head > 1024 && this.head * 2 > this.due.length) {
      this.due.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
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
