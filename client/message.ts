import { OrdoError } from '../broker/errors/index.js';
import { decodeValue, encodeValue, type DeliveryTag, type Headers, type NackWireOptions } from '../broker/protocol/index.js';

/** Publishes a reply; given by the client to each message so `respond` works. */
export type Responder = (replyTo: string, payload: unknown, headers?: Headers) => Promise<void>;

/** Settles deliveries that wait for an ack (see Acker). */
export interface Settler {
  ack(subId: number, tag: DeliveryTag, epoch: number): Promise<void>;
  nack(subId: number, tag: DeliveryTag, epoch: number, options: NackWireOptions): Promise<NackOutcome>;
  extend(subId: number, tag: DeliveryTag, epoch: number, ms: number): Promise<void>;
  received(subId: number, tag: DeliveryTag, epoch: number): Promise<boolean>;
  /** True while `epoch` is the current connection's: its deliveries can still be settled. */
  isCurrent(epoch: number): boolean;
  /** True once an answer proved connection `epoch` still this client's at the broker (see Acker.confirmAlive). */
  confirmAlive(epoch: number): Promise<boolean>;
  complete(subId: number, tag: DeliveryTag, epoch: number): Promise<void>;
  ackPublish(subId: number, tag: DeliveryTag, epoch: number, outputs: readonly unknown[]): Promise<number[]>;
}

/** A message ackAndPublish() stores with the ack: to a topic (at-least-once) or to a queue. */
export type Output =
  | { readonly topic: string; readonly payload: unknown; readonly headers?: Headers }
  | { readonly queue: string; readonly payload: unknown; readonly headers?: Headers };

/** A message's ordering metadata [semantics 2]. */
export interface MessageOrder {
  readonly dep: number;
  readonly scope?: string;
}

/** What a nack did: the delivery comes again, or it went to the dead-letter queue (or was dropped). */
export type NackOutcome = 'requeued' | 'dead-lettered';

/** Where a delivery that waits for an ack came from: its subscription, connection and count. */
export interface DeliveryInfo {
  readonly subId: number;
  /** Deliveries so far, this one included; 0 when no ack is expected. */
  readonly deliveries: number;
  /** MESSAGE flags [protocol 2.10]: 1 retained, 2 replayed. */
  readonly flags: number;
  /** The client's connection number when it arrived. */
  readonly epoch: number;
  readonly settler: Settler | undefined;
}

const AT_MOST_ONCE: DeliveryInfo = Object.freeze({ subId: 0, deliveries: 0, flags: 0, epoch: 0, settler: undefined });

/**
 * A delivered message. The payload is decoded on first access, so a
 * subscriber that only counts or forwards messages never pays for decoding.
 * An at-least-once delivery waits for ack() or nack() (a subscription's
 * handler does it: resolving acks, throwing nacks).
 */
export class Message<T = unknown> {
  private decoded = false;
  private value: unknown;
  private isSettled = false;
  private receipt: Promise<boolean> | undefined;

  constructor(
    /** The topic it was published to (the queue's name for a message sent to a queue). */
    readonly topic: string,
    /** The MessagePack encoding of the payload, as it travelled. */
    readonly rawPayload: Uint8Array,
    readonly headers: Headers,
    /** Where the publisher wants a reply, for requests. */
    readonly replyTo: string | undefined,
    /** The broker's sequence number: increasing in the order the broker accepted messages; a stored message keeps it. */
    readonly seq: number,
    /** When the broker accepted it, in ms since the epoch. */
    readonly timestamp: number,
    private readonly responder: Responder,
    private readonly delivery: DeliveryInfo = AT_MOST_ONCE,
    /**
     * A causal or total message's ordering metadata, as the broker stamped it
     * [protocol 2.10]: `dep`, the highest message id in its causal past, and a
     * total-order message's `scope`; its `seq` is its place in that order.
     * Undefined for fifo.
     */
    readonly order?: MessageOrder,
  ) {}

  /** The published value: what the publisher passed, bytes stay bytes. Throws ERR_BAD_PAYLOAD on undecodable bytes. */
  get payload(): T {
    if (!this.decoded) {
      this.value = decodePayload(this.rawPayload, this.topic);
      this.decoded = true;
    }
    return this.value as T;
  }

  /** The message's id: its seq, unique among the messages of one broker (stored ones across restarts). */
  get id(): string {
    return String(this.seq);
  }

  /** How many times this message has been delivered to this subscription or queue, this time included. */
  get deliveries(): number {
    return Math.max(1, this.delivery.deliveries);
  }

  /** @internal A stored delivery (one that waits for an ack): it may come again. */
  get isStored(): boolean {
    return this.delivery.deliveries > 0;
  }

  /** True when it was delivered before (and not acked): the application may have seen it already. */
  get redelivered(): boolean {
    return this.delivery.deliveries > 1;
  }

  /** True when this is the topic's retained message, sent because the subscription began. */
  get retained(): boolean {
    return (this.delivery.flags & 1) !== 0;
  }

  /** True when this comes from the topic's stored history (subscribe with `from`). */
  get replayed(): boolean {
    return (this.delivery.flags & 2) !== 0;
  }

  /** This delivery on the wire: its seq and count, so a late settle never settles a later redelivery [protocol 2.13]. */
  private get tag(): DeliveryTag {
    return [this.seq, this.delivery.deliveries];
  }

  /** True while an ack or nack is expected and not yet given. */
  get needsSettling(): boolean {
    return this.delivery.deliveries > 0 && !this.isSettled;
  }

  /** Acks an at-least-once delivery: resolves once the broker committed it. A no-op for others, or when settled already. */
  ack(): Promise<void> {
    const { settler, subId, epoch } = this.delivery;
    if (!this.needsSettling || settler === undefined) return Promise.resolve();
    this.isSettled = true;
    return settler.ack(subId, this.tag, epoch);
  }

  /**
   * Gives the delivery back: requeued (default; after `delayMs`) or, with
   * `requeue: false`, dead-lettered; resolves with which the broker did (a
   * requeued delivery at its queue's maxDeliveries is dead-lettered).
   * `release`: it was not handled, so this delivery does not count.
   */
  nack(options: NackWireOptions = {}): Promise<NackOutcome> {
    const { settler, subId, epoch } = this.delivery;
    if (!this.needsSettling || settler === undefined) return Promise.resolve('dead-lettered');
    this.isSettled = true;
    return settler.nack(subId, this.tag, epoch, options);
  }

  /** Moves this delivery's ack deadline to `ms` from now (up to 12 h). */
  extend(ms: number): Promise<void> {
    const { settler, subId, epoch } = this.delivery;
    if (!this.needsSettling || settler === undefined) return Promise.resolve();
    return settler.extend(subId, this.tag, epoch, ms);
  }

  /**
   * Acks this delivery and stores `outputs` in one commit of the broker:
   * both happen or neither [protocol 2.16]. Resolves with the new messages'
   * ids once fsynced. ERR_DISCONNECTED when the connection was lost first:
   * then the broker either did both or neither, and in the second case
   * delivers this message again.
   */
  ackAndPublish(outputs: readonly Output[]): Promise<number[]> {
    const { settler, subId, epoch } = this.delivery;
    if (!this.needsSettling || settler === undefined) {
      return Promise.reject(new OrdoError('ERR_BAD_REQUEST', 'ackAndPublish needs a delivery that waits for an ack (at-least-once or exactly-once), not settled yet'));
    }
    this.isSettled = true;
    const wire = outputs.map((o) => ({
      ...('queue' in o ? { queue: o.queue } : { topic: o.topic }),
      payload: encodeValue(o.payload),
      ...(o.headers !== undefined ? { headers: o.headers } : {}),
    }));
    return settler.ackPublish(subId, this.tag, epoch, wire);
  }

  /**
   * @internal Exactly-once: tells the broker the client has this delivery
   * [protocol 2.15]; held() then says whether the broker still holds it for
   * this consumer.
   */
  received(): void {
    const { settler, subId, epoch } = this.delivery;
    if (this.needsSettling && settler !== undefined) this.receipt = settler.received(subId, this.tag, epoch);
  }

  /**
   * @internal After received(): true while this consumer may run the
   * delivery's effect — the broker took the receipt, and the connection it
   * came on is still the current one.
   */
  async held(): Promise<boolean> {
    return (await this.receipt ?? false) && this.isCurrent();
  }

  /** @internal True while the connection this delivery came on is the client's current one. */
  isCurrent(): boolean {
    const { settler, epoch } = this.delivery;
    return settler !== undefined && settler.isCurrent(epoch);
  }

  /** @internal True once the broker proved it still holds this delivery's connection (a round trip at most). */
  async confirmHeld(): Promise<boolean> {
    const { settler, epoch } = this.delivery;
    return settler !== undefined && await settler.confirmAlive(epoch);
  }

  /** @internal Exactly-once: the effect is recorded; the broker deletes the delivery for good. */
  complete(): Promise<void> {
    const { settler, subId, epoch } = this.delivery;
    if (!this.needsSettling || settler === undefined) return Promise.resolve();
    this.isSettled = true;
    return settler.complete(subId, this.tag, epoch);
  }

  /** Answers a request (a message with replyTo). */
  respond(payload: unknown, headers?: Headers): Promise<void> {
    if (this.replyTo === undefined) return Promise.resolve();
    return this.responder(this.replyTo, payload, headers);
  }
}

/** A payload's value from its MessagePack bytes; ERR_BAD_PAYLOAD when they do not decode. */
export function decodePayload(raw: Uint8Array, topic: string): unknown {
  try {
    return decodeValue(raw);
  } catch (err) {
    throw new OrdoError('ERR_BAD_PAYLOAD', `payload on '${topic}': ${(err as Error).message}`);
  }
}

export const EMPTY_HEADERS: Headers = Object.freeze({}) as Headers;

/** MESSAGE's `order` element [protocol 2.10], or undefined (absent, or not a valid map: the message is then taken as fifo). */
export function orderOf(value: unknown): MessageOrder | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { dep, scope } = value as { dep?: unknown; scope?: unknown };
  if (typeof dep !== 'number' || !Number.isSafeInteger(dep) || dep < 0) return undefined;
  if (scope === undefined || scope === null) return { dep };
  return typeof scope === 'string' ? { dep, scope } : undefined;
}

/** A MESSAGE operation [protocol 2.10] decoded generically (what the fast frame path leaves), as a Message. */
export function messageFromOp(op: unknown[], responder: Responder, info: DeliveryInfo | undefined): Message {
  return new Message(
    op[2] as string, op[3] as Uint8Array, (op[4] as Headers | null) ?? EMPTY_HEADERS,
    (op[5] as string | null) ?? undefined, op[6] as number, op[7] as number, responder, info, orderOf(op[10]),
  );
}
