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
}

interface Batch {
  /** The connection the deliveries came on. */
  readonly epoch: number;
  readonly ids: DeliveryTag[];
  readonly waiters: { resolve(): void; reject(err: unknown): void }[];
}

/**
 * Settles deliveries (ack, nack, extend). Acks of one macrotask for one
 * subscription travel as one ACK operation with every id [protocol 2.13];
 * each ack() resolves once the broker committed it. Nacks and extends, rarer,
 * go one operation each.
 */
export class Acker {
  private readonly acks = new Map<number, Batch>();
  private isScheduled = false;

  constructor(private readonly channel: AckChannel) {}

  ack(subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    if (epoch !== this.channel.epoch) return Promise.reject(staleDelivery());
    let batch = this.acks.get(subId);
    if (batch === undefined) this.acks.set(subId, batch = { epoch, ids: [], waiters: [] });
    batch.ids.push(tag);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!this.isScheduled) {
      this.isScheduled = true;
      scheduleMacrotask(() => this.flush());
    }
    return done;
  }

  async nack(subId: number, tag: DeliveryTag, epoch: number, options: NackWireOptions): Promise<void> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    await this.channel.callNow([ClientOp.nack], subId, [tag], options);
  }

  async extend(subId: number, tag: DeliveryTag, epoch: number, ms: number): Promise<void> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    await this.channel.callNow([ClientOp.extend], subId, [tag], ms);
  }

  /** Sends the acks batched so far now (before an unsubscribe or a close, which would otherwise overtake them). */
  flush(): void {
    this.isScheduled = false;
    for (const [subId, batch] of this.acks) {
      const sent = batch.epoch === this.channel.epoch ? this.channel.callNow([ClientOp.ack], subId, batch.ids) : Promise.reject(staleDelivery());
      sent.then(
        () => { for (const w of batch.waiters) w.resolve(); },
        (err: unknown) => { for (const w of batch.waiters) w.reject(err); },
      );
    }
    this.acks.clear();
  }
}

/**
 * A delivery of a connection that has since been lost: the broker gave it
 * back to its queue then, and delivers it again.
 */
function staleDelivery(): OrdoError {
  return new OrdoError('ERR_DISCONNECTED', 'the delivery came on a connection that was lost; the broker will deliver it again');
}
