import type { Headers, Order, Qos } from '../broker/protocol/index.js';

/** Options of connect(). */
export interface ConnectOptions {
  /** Application-chosen id, shown in broker stats. Default: none. */
  clientId?: string;
  /** Bearer token (checked once the broker has authentication). */
  token?: string;
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
}

/** Options of publish(). */
export interface PublishOptions {
  /** Delivery guarantee. This broker delivers at-most-once. Default 'at-most-once'. */
  qos?: Qos;
  /** Ordering guarantee. Default 'fifo'. */
  order?: Order;
  /** Keep as the topic's retained message (not supported yet). */
  retain?: boolean;
  headers?: Headers;
  /** Where receivers should reply (request/reply). */
  replyTo?: string;
}

/** Options of subscribe(). */
export interface SubscribeOptions {
  qos?: Qos;
  order?: Order;
  /** Durable subscription name (not supported yet). */
  durable?: string;
  /** Shared-subscription group: each message goes to one member of the group. */
  group?: string;
  /** Messages held in the client for a slow handler or iterator before dropping. Default 65536. */
  maxPending?: number;
}

/** Options of request(). */
export interface RequestOptions {
  /** Give up after this many ms with ERR_TIMEOUT. Default: the client's requestTimeoutMs. */
  timeoutMs?: number;
  headers?: Headers;
}
