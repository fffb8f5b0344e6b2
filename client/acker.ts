import { OrdoError } from '../broker/errors/index.js';
import { ClientOp, type DeliveryTag, type NackWireOptions } from '../broker/protocol/index.js';
import type { NackOutcome } from './message.js';
import { scheduleMacrotask } from './outbox.js';

/** What the acker needs of its client. */
export interface AckChannel {
  /** The current connection's number: deliveries of an earlier one cannot be settled any more. */
  readonly epoch: number;
  /** 'connected' while that connection is up (between a lost connection and the next welcome, the epoch is still the lost one's). */
  readonly state: string;
  /** The broker's heartbeat interval, ms: it drops a connection silent for one to two of them. */
  readonly heartbeatMs: number;
  /**
   * Sends an operation on the current connection and resolves with its
   * answer; rejects with ERR_DISCONNECTED when there is none (a settle must
   * never wait for the next connection: it would settle that one's delivery).
   */
  callNow(head: unknown[], ...rest: unknown[]): Promise<unknown>;
}

/** The settles that travel batched: many tags of one subscription in one operation. */
type BatchedOp = typeof ClientOp.ack | typeof ClientOp.received | typeof ClientOp.complete;

interface Batch {
  readonly code: BatchedOp;
  readonly subId: number;
  /** The connection the deliveries came on. */
  readonly epoch: number;
  readonly ids: DeliveryTag[];
  /** One per id, in the same order. */
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
  /** When the last request was sent whose answer proved the connection alive (ms; see confirmAlive). */
  private aliveAt = 0;
  private aliveEpoch = 0;
  /** The ping in flight for confirmAlive, and its connection. */
  private probe: { readonly epoch: number; readonly alive: Promise<boolean> } | undefined;

  constructor(private readonly channel: AckChannel) {}

  isCurrent(epoch: number): boolean {
    return epoch === this.channel.epoch && this.channel.state === 'connected';
  }

  /**
   * True when connection `epoch` is still this client's at the broker: a
   * request sent on it less than half a heartbeat ago was answered, or a
   * ping sent now is. A client can be paused (a frozen VM, a long GC) for
   * longer than the broker waits before dropping it, and learn of it only
   * after its pending callbacks ran: only an answer proves the broker still
   * holds its deliveries (a silent connection is dropped no sooner than a
   * heartbeat after its last request).
   */
  async confirmAlive(epoch: number): Promise<boolean> {
    if (!this.isCurrent(epoch)) return false;
    if (this.aliveEpoch === epoch && Date.now() - this.aliveAt < this.channel.heartbeatMs / 2) return true;
    if (this.probe?.epoch !== epoch) {
      const probe = { epoch, alive: this.ping(epoch) };
      this.probe = probe;
      void probe.alive.finally(() => { if (this.probe === probe) this.probe = undefined; });
    }
    return (await this.probe.alive) && this.isCurrent(epoch);
  }

  private async ping(epoch: number): Promise<boolean> {
    const sentAt = Date.now();
    try {
      await this.channel.callNow([ClientOp.ping]);
    } catch {
      return false;
    }
    if (epoch !== this.channel.epoch) return false;
    [this.aliveAt, this.aliveEpoch] = [sentAt, epoch];
    return true;
  }

  ack(subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    return this.batched(ClientOp.ack, subId, tag, epoch).then(() => undefined);
  }

  /**
   * Exactly-once: the client has the delivery (no ack deadline from now on).
   * Batched like acks; resolves true when the broker holds it for this
   * consumer, false when not (its deadline passed before the receipt came,
   * or its connection is gone): then another consumer may have it, and the
   * client must not run its effect.
   */
  received(subId: number, tag: DeliveryTag, epoch: number): Promise<boolean> {
    if (epoch !== this.channel.epoch) return Promise.resolve(false);
    return this.batched(ClientOp.received, subId, tag, epoch).then((isHeld) => isHeld as boolean, () => false);
  }

  /** Exactly-once: the effect is recorded; resolves once the broker deleted the delivery for good (fsynced). */
  complete(subId: number, tag: DeliveryTag, epoch: number): Promise<void> {
    return this.batched(ClientOp.complete, subId, tag, epoch).then(() => undefined);
  }

  /** Resolves with what the broker did with the delivery: requeued (it comes again) or dead-lettered. */
  async nack(subId: number, tag: DeliveryTag, epoch: number, options: NackWireOptions): Promise<NackOutcome> {
    if (epoch !== this.channel.epoch) throw staleDelivery();
    const result = await this.channel.callNow([ClientOp.nack], subId, [tag], options) as { deadLettered?: unknown[] } | null;
    return (result?.deadLettered?.length ?? 0) > 0 ? 'dead-lettered' : 'requeued';
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
        this.sendReceipts(batch);
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

  /** Resolves each receipt's waiter with whether the broker holds its delivery (see received()). */
  private sendReceipts(batch: Batch): void {
    const sent = batch.epoch === this.channel.epoch ? this.channel.callNow([batch.code], batch.subId, batch.ids) : Promise.reject(staleDelivery());
    sent.then((result) => {
      const notHeld = new Set(((result as { notHeld?: DeliveryTag[] }).notHeld ?? []).map(String));
      batch.waiters.forEach((w, i) => w.resolve(!notHeld.has(String(batch.ids[i]))));
    }, () => {
      for (const w of batch.waiters) w.resolve(false);
    });
  }

  private batched(code: BatchedOp, subId: number, tag: DeliveryTag, epoch: number): Promise<unknown> {
    if (epoch !== this.channel.epoch) return Promise.reject(staleDelivery());
    const key = `${code}/${subId}`;
    let batch = this.batches.get(key);
    if (batch === undefined) this.batches.set(key, batch = { code, subId, epoch, ids: [], waiters: [] });
    batch.ids.push(tag);
    const done = new Promise<unknown>((resolve, reject) => batch.waiters.push({ resolve, reject }));
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
