import { OrdoError } from '../broker/errors/index.js';
import { ClientOp, type DeliveryTag, type NackWireOptions } from '../broker/protocol/index.js';
import { scheduleMacrotask } from './outbox.js';

/** What the acker needs of its client. */
export interface AckChannel {
  /** The current connection's number: deliveries of an earlier one cannot be settled any more. */
  readonly epoch: number;
  /**
   * Sends an operation on the current connection and resolves with its
   * answer; rejects with ERR_DISCONNECTED when there is none (a settle must
   * never wait for the next connection: it would settle that one's delivery).
   */
  callNow(head: unknown[], ...rest: unknown[]): Promise<unknown>;
  /** Sends an operation with request id 0 (no answer) on the current connection, if any. */
  notifyNow(head: unknown[], ...rest: unknown[]): void;
}

/** The settles that travel batched: many tags of one subscription in one operation. */
type BatchedOp = typeof ClientOp.ack | typeof ClientOp.received | typeof ClientOp.complete;

interface Batch {
  readonly code: BatchedOp;
  readonly subId: number;
  /** The connection the deliveries came on. */
  readonly epoch: number;
  readonly ids: DeliveryTag[];
  readonly waiters: { resolve(result: unknown): void; reject(err: unknown): void }[];
}

/**
 * Settles deliveries. Acks, receipts and completions [protocol 2.13, 2.15]
 * of one macrotask for one subscription travel as one operation with every
 * tag; each call resolves once the broker answered it. Nacks, extends and
 * ack-publishes, rarer, go one operation each.
 */
export class Acker {
  /** Batches by `${code}/${subId}`. */
  private readonly batches = new Map<string, Batch>();
  private isScheduled = false;

  constructor(private readonly channel: AckChannel) {}

  ack(subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    return this.batched(ClientOp.ack, subId, tag, epoch);
  }

  /**
   * Exactly-once: the client has the delivery (no ack deadline from now on).
   * Batched like acks, and sent with request id 0: nothing waits for its answer.
   */
  received(subId: number, tag: DeliveryTag, epoch: number): void {
    if (epoch !== this.channel.epoch) return;
    this.batched(ClientOp.received, subId, tag, epoch).catch(() => undefined);
  }

  /** Exactly-once: the effect is recorded; resolves once the broker deleted the delivery for good (fsynced). */
  complete(subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    return this.batched(ClientOp.complete, subId, tag, epoch);
  }

  async nack(subId: number, tag: DeliveryTag, epoch: number, options: NackWireOptions): Promise<void> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    await this.channel.callNow([ClientOp.nack], subId, [tag], options);
  }

  async extend(subId: number, tag: DeliveryTag, epoch: number, ms: number): Promise<void> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    await this.channel.callNow([ClientOp.extend], subId, [tag], ms);
  }

  /** Acks the delivery and stores `outputs` in one commit [protocol 2.16]; resolves with their ids. */
  async ackPublish(subId: number, tag: DeliveryTag, epoch: number, outputs: readonly unknown[]): Promise<number[]> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    const result = await this.channel.callNow([ClientOp.ackPublish], subId, [tag], outputs) as { ids: number[] };
    return result.ids;
  }

  /** Sends the settles batched so far now (before an unsubscribe or a close, which would otherwise overtake them). */
  flush(): void {
    this.isScheduled = false;
    for (const batch of this.batches.values()) {
      if (batch.code === ClientOp.received) {
        if (batch.epoch === this.channel.epoch) this.channel.notifyNow([batch.code], batch.subId, batch.ids);
        for (const w of batch.waiters) w.resolve(undefined);
        continue;
      }
      const sent = batch.epoch === this.channel.epoch ? this.channel.callNow([batch.code], batch.subId, batch.ids) : Promise.reject(staleDelivery());
      sent.then(
        (result) => { for (const w of batch.waiters) w.resolve(result); },
        (err: unknown) => { for (const w of batch.waiters) w.reject(err); },
      );
    }
    this.batches.clear();
  }

  private batched(code: BatchedOp, subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    if (epoch !== this.channel.epoch) return Promise.reject(staleDelivery());
    const key = `${code}/${subId}`;
    let batch = this.batches.get(key);
    if (batch === undefined) this.batches.set(key, batch = { code, subId, epoch, ids: [], waiters: [] });
    batch.ids.push(tag);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve: () => resolve(), reject }));
    if (!this.isScheduled) {
      this.isScheduled = true;
      scheduleMacrotask(() => this.flush());
    }
    return done;
  }
}

/**
 * A delivery of a connection that has since been lost: the broker gave it
 * back to its queue then, and delivers it again.
 */
function staleDelivery(): OrdoError {
  return new OrdoError('ERR_DISCONNECTED', 'the delivery came on a connection that was lost; the broker will deliver it again');
}
