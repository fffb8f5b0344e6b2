import type { Headers, Order, Qos } from '../broker/protocol/index.js';
import type { DedupStore } from './dedup/dedup-store.js';

/** Options of connect(). */
export interface ConnectOptions {
  /** Application-chosen id, shown in broker stats. Default: none. */
  clientId?: string;
  /** Bearer token (`ordo token create`), sent in HELLO, never in the URL. */
  token?: string;
  /** User name, with `password`, for a broker with authentication on. */
  username?: string;
  password?: string;
  /**
   * TLS settings of a `wss://` connection (Node only; browsers use their own
   * trust store and certificates): `ca` trusts a private CA, `cert` and
   * `key` present a client certificate. PEM text or bytes.
   */
  tls?: ClientTlsOptions;
  /** Reconnect with backoff after a lost connection. Default true. */
  reconnect?: boolean;
  /** Keep retrying when the very first attempt fails, instead of rejecting connect(). Default false. */
  waitOnFirstConnect?: boolean;
  /** Most reconnect attempts in a row before giving up. Default Infinity. */
  maxReconnectAttempts?: number;
  /** First reconnect delay in ms; doubles per attempt, with jitter. Default 100. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay in ms. Default 5000. */
  maxReconnectDelayMs?: number;
  /** Time for one attempt to reach the welcome, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Bytes of publishes kept while disconnected; past that publish rejects with ERR_BUFFER_FULL. Default 8 MiB. */
  reconnectBufferBytes?: number;
  /** Bytes queued towards the socket above which publish() waits for it to drain. Default 1 MiB. */
  highWaterBytes?: number;
  /** Default timeout of request() in ms. Default 5000. */
  requestTimeoutMs?: number;
  /**
   * This client's id as an idempotent (exactly-once) publisher, 1 to 128
   * characters. Default: a random one per client. A stable id (for instance
   * a SqliteDedupStore's producerId()) lets a restarted process continue the
   * same producer; never give one id to two live clients: the broker gives
   * it to the one that connected last and refuses the other's exactly-once
   * publishes (ERR_CONFLICT).
   */
  producerId?: string;
  /**
   * Where exactly-once subscriptions and consumers remember the deliveries
   * that took effect (see DedupStore), unless they name their own; it also
   * keeps the producer id. Default: a memory store (exactly once only while
   * the process lives).
   */
  dedup?: DedupStore;
}

/** TLS options of the Node transport. */
export interface ClientTlsOptions {
  ca?: string | Uint8Array;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
}

/** Options of publish(). */
export interface PublishOptions {
  /**
   * Delivery guarantee. Default 'at-most-once': publish() resolves once the
   * message is queued. 'at-least-once': publish() resolves once the broker
   * committed the message (its confirm); unconfirmed ones are sent again
   * after a reconnect. 'exactly-once': as at-least-once, and the message
   * carries this client's producer id and next sequence, so the broker
   * stores it once however often it is sent again.
   */
  qos?: Qos;
  /**
   * Ordering guarantee. Default 'fifo'. 'causal': ordered subscribers handle
   * it after everything this client had seen or published before it.
   * 'total': also in one order shared by every subscriber of its scope.
   */
  order?: Order;
  /** Keep as the topic's retained message (stored); an empty payload (null, '' or no bytes) clears it. */
  retain?: boolean;
  headers?: Headers;
  /** Where receivers should reply (request/reply). */
  replyTo?: string;
}

/** Options of subscribe(). */
export interface SubscribeOptions {
  /**
   * 'at-least-once': deliveries of at-least-once publishes wait for an ack
   * and repeat until acked. 'exactly-once': the handler runs once per
   * message per dedup store (a handler is required; use with `durable`, so
   * the subscription's messages outlive a connection). Default 'at-most-once'.
   */
  qos?: Qos;
  /**
   * 'causal' or 'total': this subscription's causal and total-order messages
   * are held back until what they depend on (across all of this client's
   * ordered subscriptions and consumers) was handled [semantics 2.2, 2.3].
   * Default 'fifo': they are handed over as they come.
   */
  order?: Order;
  /** Exactly-once: where handled deliveries are remembered. Default: the client's `dedup`. */
  dedup?: DedupStore;
  /** Durable subscription name: its messages are kept while the subscriber is away (implies at-least-once). */
  durable?: string;
  /** Shared-subscription group: each message goes to one member of the group. */
  group?: string;
  /** At-least-once: most unacked deliveries at once (1 to 10,000). Default 100. */
  prefetch?: number;
  /** 'auto' (default): the handler's outcome (or the iterator's next pull) acks or nacks. 'manual': only msg.ack() and msg.nack() do. */
  ack?: AckMode;
  /** Replay the topic's stored history first, from a sequence number or a time (ms since the epoch). */
  from?: { seq: number } | { time: number };
  /** Messages held in the client for a slow handler or iterator before dropping. Default 65536. */
  maxPending?: number;
}

/** Options of request(). */
export interface RequestOptions {
  /** Give up after this many ms with ERR_TIMEOUT. Default: the client's requestTimeoutMs. */
  timeoutMs?: number;
  headers?: Headers;
}

/** Options of send(). */
export interface SendOptions {
  /**
   * 'at-least-once' (default): send() resolves once the broker committed the
   * message. 'at-most-once': resolves once queued, without waiting for the commit.
   * 'exactly-once': as at-least-once, stored once however often it is sent again.
   */
  qos?: Qos;
  /** Ordering guarantee, as in publish(); a total-order message's scope is chosen by the queue's name. Default 'fifo'. */
  order?: Order;
  headers?: Headers;
  /** 0 (lowest, default) to 9: higher priorities are delivered first. */
  priority?: number;
  /** Deliverable only after this many ms. */
  delayMs?: number;
  /** Dropped, never delivered, if not acked within this many ms. */
  ttlMs?: number;
  /** Where consumers should reply. */
  replyTo?: string;
}

/** Options of consume(). */
export interface ConsumeOptions {
  /**
   * 'at-least-once' (default): each delivery waits for an ack. 'at-most-once':
   * acked as sent. 'exactly-once': the handler runs once per message per
   * dedup store (a handler is required).
   */
  qos?: Qos;
  /**
   * 'causal' or 'total': this subscription's causal and total-order messages
   * are held back until what they depend on (across all of this client's
   * ordered subscriptions and consumers) was handled [semantics 2.2, 2.3].
   * Default 'fifo': they are handed over as they come.
   */
  order?: Order;
  /** Exactly-once: where handled deliveries are remembered. Default: the client's `dedup`. */
  dedup?: DedupStore;
  /** Most unacked deliveries at once (1 to 10,000). Default 100. */
  prefetch?: number;
  /** 'auto' (default): the handler's outcome (or the iterator's next pull) acks or nacks. 'manual': only msg.ack() and msg.nack() do. */
  ack?: AckMode;
  /** Messages held in the client for a slow handler or iterator. Default 65536. */
  maxPending?: number;
}

/** Who settles at-least-once deliveries: the subscription (from the handler's outcome) or the application. */
export type AckMode = 'auto' | 'manual';

/** Options of nack(). */
export interface NackOptions {
  /** true (default): back to the queue; false: to the dead-letter queue now. */
  requeue?: boolean;
  /** With requeue: deliverable again only after this many ms. */
  delayMs?: number;
}

/** A queue's settings at creation; every field optional (docs/semantics.md lists the defaults). */
export interface QueueSettingsInput {
  /** Most messages waiting (ready and delayed). Default 1,000,000. */
  maxLength?: number;
  /** At maxLength: 'reject-publish' (default) or 'drop-oldest'. */
  overflow?: 'drop-oldest' | 'reject-publish';
  /** Queue TTL: messages expire this long after they entered. Default none. */
  messageTtlMs?: number | null;
  /** Deliveries after which a message is dead-lettered. Default 10. */
  maxDeliveries?: number;
  /** Where dead letters go; null deletes them. Default `<name>.dlq`. */
  deadLetterQueue?: string | null;
  /** Time a consumer has to ack before redelivery, ms. Default 30,000. */
  ackDeadlineMs?: number;
}
