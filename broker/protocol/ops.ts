/**
 * Operation codes and shapes of protocol version 1 [protocol 2]. A frame is a
 * MessagePack array of operations; each operation is an array whose first
 * element is one of these codes. Codes below 64 travel client → broker, codes
 * from 64 travel broker → client.
 */

/** The protocol versions this code speaks; the first is the newest. */
export const PROTOCOL_VERSIONS = [1] as const;
export const PROTOCOL_VERSION = PROTOCOL_VERSIONS[0];

/** Client → broker operation codes. */
export const ClientOp = {
  /** [1, hello] — the first operation of a connection [protocol 2.1]. */
  hello: 1,
  /** [2, reqId, topic, payload, options|nil] [protocol 2.3]. */
  publish: 2,
  /** [3, reqId, subId, pattern, options|nil] [protocol 2.4]. */
  subscribe: 3,
  /** [4, reqId, subId] [protocol 2.5]. */
  unsubscribe: 4,
  /** [5, reqId] — answered by PONG [protocol 2.6]. */
  ping: 5,
  /** [6, reqId] — answered by OK carrying broker statistics [protocol 2.7]. */
  stats: 6,
  /** [7, reqId, queue, payload, options|nil] — a message for a queue [protocol 2.11]. */
  send: 7,
  /** [8, reqId, subId, queue, options|nil] — become a consumer of a queue [protocol 2.12]. */
  consume: 8,
  /** [9, reqId, subId, ids] — acks deliveries of a subscription or consumer [protocol 2.13]. */
  ack: 9,
  /** [10, reqId, subId, ids, options|nil] — gives deliveries back [protocol 2.13]. */
  nack: 10,
  /** [11, reqId, subId, ids, ms] — moves deliveries' ack deadline to now + ms [protocol 2.13]. */
  extend: 11,
  /** [12, reqId, action, name|nil, args|nil] — queue administration [protocol 2.14]. */
  queue: 12,
  /** [13, reqId, subId, ids] — exactly-once: the client has these deliveries; no ack deadline while the connection lives [protocol 2.15]. */
  received: 13,
  /** [14, reqId, subId, ids] — exactly-once: the deliveries' effects are done; they are gone for good once answered [protocol 2.15]. */
  complete: 14,
  /** [15, reqId, subId, ids, outputs] — acks deliveries and stores new messages in one commit [protocol 2.16]. */
  ackPublish: 15,
  /** [16, reqId, action, name, args] — users: add, remove, passwd, roles, list [protocol 2.18]. */
  user: 16,
  /** [17, reqId, action, args] — ACL rules: add, remove, list [protocol 2.19]. */
  acl: 17,
  /** [18, reqId, {user?, ttlMs}] — signs a bearer token [protocol 2.20]. */
  token: 18,
  /** [19, reqId, action, args|nil] — broker administration: connections, topics, subscriptions, backup [protocol 2.21]. */
  admin: 19,
} as const;
export type ClientOpCode = (typeof ClientOp)[keyof typeof ClientOp];

/** Broker → client operation codes. */
export const BrokerOp = {
  /** [64, welcome] — answer to hello [protocol 2.2]. */
  welcome: 64,
  /** [65, reqId, result|nil] — a request succeeded [protocol 2.8]. */
  ok: 65,
  /** [66, reqId, code, message] — a request failed; reqId 0 when none [protocol 2.9]. */
  error: 66,
  /**
   * [67, subId, topic, payload, headers|nil, replyTo|nil, seq, timestamp, deliveries?, flags?]
   * [protocol 2.10]: `deliveries` (≥ 1) is present when the delivery waits for an ack.
   */
  message: 67,
  /** [68, reqId] — answer to ping [protocol 2.6]. */
  pong: 68,
  /**
   * [69, lowest] — the lowest id of a message routed to this connection
   * through a causal or total subscription and not yet sent to it, 0 when
   * none: the client holds back ordered messages behind it [protocol 2.17].
   */
  pending: 69,
} as const;
export type BrokerOpCode = (typeof BrokerOp)[keyof typeof BrokerOp];

/** Delivery guarantees, weakest first [semantics 1]. */
export const QOS_LEVELS = ['at-most-once', 'at-least-once', 'exactly-once'] as const;
export type Qos = (typeof QOS_LEVELS)[number];

/** Ordering guarantees [semantics 2]. */
export const ORDERS = ['fifo', 'causal', 'total'] as const;
export type Order = (typeof ORDERS)[number];

/** Message headers: string keys to string values. */
export type Headers = Record<string, string>;

/** The hello a client sends first [protocol 2.1]. */
export interface Hello {
  /** Protocol versions the client speaks (or one number). */
  version: number | number[];
  /** Application-chosen client id, shown in stats; not unique. */
  clientId?: string;
  /** Bearer token [docs/security.md]. */
  token?: string;
  /** User name and password [docs/security.md]. */
  username?: string;
  password?: string;
  /** Free text naming the client library, e.g. `ordo-js/0.1.0`. */
  agent?: string;
  /** An idempotent producer's id: the welcome names the highest sequence the broker stored for it [protocol 2.1]. */
  producer?: string;
}

/** The broker's answer to hello [protocol 2.2]. */
export interface Welcome {
  version: number;
  server: string;
  connectionId: string;
  /**
   * The connection's private reply inbox id, chosen by the broker (128 random
   * bits): what is published under `$inbox/<inbox>/` reaches this connection
   * alone, under subscription id 0 [protocol 3.3].
   */
  inbox: string;
  /** How often the broker pings; a peer silent for two intervals is dropped. */
  heartbeatMs: number;
  limits: WireLimits;
  capabilities: string[];
  /** The store's instance id: clients key their deduplication records by it [semantics 1.3]. */
  instance: string;
  /** With a hello that named a producer: the highest sequence stored for it (0: none). */
  producerSeq?: number;
  /** The highest message id given out so far: a client's causal past after a reconnect reaches at most this far [semantics 2.2]. */
  seq: number;
  /** The authenticated user (`anonymous` for an anonymous client); absent when the broker has authentication off. */
  user?: string;
}

/** Limits the broker announces in its welcome. */
export interface WireLimits {
  maxFrameBytes: number;
  maxSubscriptions: number;
  maxPayloadBytes: number;
}

/** Options of a publish [protocol 2.3]; nil on the wire when all are defaults. */
export interface PublishWireOptions {
  qos?: Qos;
  order?: Order;
  retain?: boolean;
  headers?: Headers;
  /** Topic the receiver should answer on (request/reply). */
  replyTo?: string;
  /** Ask for an OK (with the number of deliveries) or ERR_NO_RESPONDERS. */
  confirm?: boolean;
  /** Exactly-once: the idempotent producer's id (1 to 128 characters) [semantics 1.3]. */
  producer?: string;
  /** Exactly-once: the producer's sequence number for this message (a positive integer). */
  pseq?: number;
  /** Causal or total: the highest message id in the publisher's causal past that it knows of [semantics 2.2]. */
  after?: number;
}

/** Options of a send to a queue [protocol 2.11]. */
export interface SendWireOptions {
  qos?: Qos;
  order?: Order;
  headers?: Headers;
  /** 0 (lowest) to 9; default 0. */
  priority?: number;
  /** Not deliverable before this many ms from now. */
  delayMs?: number;
  /** Expires this many ms from now unless delivered and acked. */
  ttlMs?: number;
  replyTo?: string;
  /** Exactly-once: as in PublishWireOptions. */
  producer?: string;
  pseq?: number;
  /** As in PublishWireOptions. */
  after?: number;
}

/** Options of a consume [protocol 2.12]. */
export interface ConsumeWireOptions {
  /** at-least-once (default): deliveries wait for an ack; at-most-once: acked as they are sent. */
  qos?: Qos;
  /** causal or total: the client holds back this consumer's ordered messages, and the broker tells it what it has not sent yet (PENDING). */
  order?: Order;
  /** Most unacked deliveries at once (1 to 10,000; default 100). */
  prefetch?: number;
}

/** Options of a nack [protocol 2.13]. */
export interface NackWireOptions {
  /** true (default): back to the queue; false: dead-lettered now. */
  requeue?: boolean;
  /** With requeue: deliverable again after this many ms. */
  delayMs?: number;
  /** With requeue: the delivery was not handled (given back so it does not overtake a redelivery): it is not counted. */
  release?: boolean;
}

/** The queue administration actions [protocol 2.14]. */
export const QUEUE_ACTIONS = ['create', 'delete', 'purge', 'peek', 'list', 'info', 'move'] as const;
export type QueueAction = (typeof QUEUE_ACTIONS)[number];

/** A queue as `queue info` and `queue list` show it [protocol 2.14]. */
export interface QueueInfo {
  name: string;
  /** Deliverable now. */
  ready: number;
  /** Waiting for their delay. */
  delayed: number;
  /** Delivered, not yet acked. */
  unacked: number;
  /** ready + delayed + unacked. */
  total: number;
  consumers: number;
  /** Messages accepted, delivered and acked since the broker started. */
  messagesIn: number;
  messagesOut: number;
  acked: number;
  /** Messages per second over the last few seconds. */
  rateIn: number;
  rateOut: number;
  /** The settings given at creation (defaults left out). */
  settings: Record<string, unknown>;
  /** The topic pattern, for the queue behind an at-least-once subscription. */
  pattern?: string;
  /** Age of the oldest waiting (ready or delayed) message, ms; null when none waits. */
  oldestAgeMs: number | null;
  /** The queue its dead letters go to, if it has one. */
  deadLetterQueue?: string;
  /** Messages in that dead-letter queue (0 when it has none). */
  deadLetters: number;
  /** When this queue is a dead-letter queue: the queue it collects for. */
  deadLetterFor?: string;
}

/** Answer of `queue purge` [protocol 2.14]. */
export interface QueuePurgeResult {
  /** Waiting messages removed. */
  purged: number;
  /** Waiting messages left (with `max`, what a next call would take). */
  remaining: number;
}

/** Answer of `queue move` [protocol 2.14]. */
export interface QueueMoveResult {
  /** Ready messages moved, in their delivery order. */
  moved: number;
  /** Ready messages left in the source queue. */
  remaining: number;
}

/** A message as `queue peek` shows it. */
export interface PeekedMessage {
  id: number;
  topic: string;
  payload: Uint8Array;
  headers: Headers | null;
  priority: number;
  deliveries: number;
  timestamp: number;
  expiresAt: number | null;
}

/** A user as `user list` shows it [protocol 2.18]: never the password hash. */
export interface UserInfo {
  user: string;
  roles: string[];
  /** When the user was made, ms since the epoch. */
  createdAt: number;
}

/** What an ACL rule lets its subject do [protocol 2.19]: publish/subscribe on topics, send/consume on queues, admin of queues (of the broker on `#`). */
export const ACL_RULE_ACTIONS = ['publish', 'subscribe', 'send', 'consume', 'admin'] as const;
export type AclRuleAction = (typeof ACL_RULE_ACTIONS)[number];

/** One ACL rule [protocol 2.19]: allow-only; deny by default once authentication is on. */
export interface AclRuleInfo {
  /** Given by the broker; names the rule to `acl remove`. */
  id: number;
  /** `user:<name>` or `role:<name>`. */
  subject: string;
  action: AclRuleAction;
  /** A topic pattern (`+`, `#`), matched against topic and queue names; `{user}` as a whole level is the user's own name. */
  pattern: string;
}

/** A bearer token made by the token operation [protocol 2.20]. */
export interface TokenInfo {
  /** `ordo1.<payload>.<signature>`: pass it as `token` to connect, or as ORDO_TOKEN. */
  token: string;
  /** The user it logs in as. */
  user: string;
  /** When it stops being accepted, ms since the epoch. */
  expiresAt: number;
}

/** Options of a subscribe [protocol 2.4]. */
export interface SubscribeWireOptions {
  qos?: Qos;
  order?: Order;
  /** A durable subscription's name: its messages are kept while its subscriber is away. */
  durable?: string;
  group?: string;
  /** At-least-once: most unacked deliveries at once (1 to 10,000; default 100). */
  prefetch?: number;
  /** Replay the topic's stored history first, from this sequence number or time (ms since the epoch). */
  from?: { seq: number } | { time: number };
}

/** Statistics returned by the stats operation [protocol 2.7]. */
export interface BrokerStats {
  server: string;
  uptimeMs: number;
  connections: number;
  subscriptions: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: number;
  /** Messages per second over the last few seconds. */
  rateIn: number;
  rateOut: number;
  connectionList: ConnectionStats[];
  /** Durable queues (subscription queues included), by name. */
  queues: QueueInfo[];
  store: StoreStats;
  /** True while the broker's memory is above limits.memoryHighWatermarkBytes: publishes and sends are refused. */
  memoryAlarm: boolean;
  /** True while the data directory's disk has less than limits.diskFreeLimitBytes free: stored publishes and sends are refused. */
  diskAlarm: boolean;
}

/** What the store did since the broker started. */
export interface StoreStats {
  durability: string;
  /** Transactions committed. */
  commits: number;
  /** Of those, the fsynced ones (under 'fsync' durability: those carrying a publish, a send or a queue change; acks and delivery counts ride along). */
  fsyncs: number;
  /** Batches (publishes, acks, deliveries …) they carried. */
  batches: number;
  /** Messages stored. */
  messages: number;
}

/** One connection as stats shows it. */
export interface ConnectionStats {
  connectionId: string;
  clientId: string;
  address: string;
  subscriptions: number;
  messagesIn: number;
  messagesOut: number;
  dropped: number;
  bufferedBytes: number;
}
