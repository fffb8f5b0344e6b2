import type { Durability } from '../store/store.js';

/**
 * Every setting of the broker with its default. Every limit is finite by
 * default; docs/operations.md lists the same values with the reason for each.
 */
export const DEFAULT_CONFIG = {
  /** Address to listen on. Loopback by default: exposing a broker is a decision. */
  host: '127.0.0.1',
  /** TCP port; 0 picks a free one. */
  port: 7700,
  /** Directory for the broker's files (the SQLite store, `ordo.db`). */
  dataDir: './ordo-data',
  /**
   * How far a confirmed durable write survives: 'fsync' (a power cut),
   * 'os' (a crash of the broker process), 'memory' (nothing; no file).
   */
  durability: 'fsync' as Durability,
  limits: {
    /** Largest WebSocket message (frame) accepted, in bytes; larger closes the connection with 1009. */
    maxFrameBytes: 1024 * 1024,
    /** Most concurrent connections; more are refused with ERR_TOO_MANY_CONNECTIONS. */
    maxConnections: 10_000,
    /** Most subscriptions one connection may hold; more are refused with ERR_LIMIT. */
    maxSubscriptionsPerConnection: 10_000,
    /**
     * Bytes queued towards one connection (not yet written to its socket)
     * above which at-most-once deliveries to it are dropped and counted, so a
     * slow subscriber cannot grow the broker's memory.
     */
    maxOutboundBytes: 8 * 1024 * 1024,
    /** A frame being built for one connection is sent once it reaches this size. */
    flushBytes: 64 * 1024,
    /** A connection that has not sent hello this long after opening is closed. */
    handshakeTimeoutMs: 10_000,
  },
  /** How often the broker pings each connection; silent for two intervals means dead. */
  heartbeatMs: 15_000,
  queues: {
    /** A send or consume naming a missing queue creates it with default settings; false: ERR_NOT_FOUND. */
    autoCreate: true,
    /** Bytes of recently stored messages kept in memory so deliveries need not read the store. */
    messageCacheBytes: 64 * 1024 * 1024,
  },
  /**
   * Stored history per topic (at-least-once and retained publishes), for
   * replay: a message goes once it is past any limit and nothing (a queue,
   * a retained slot) holds it.
   */
  retention: {
    /** Newest messages kept per topic. */
    maxMessages: 10_000,
    /** Payload bytes kept per topic, newest first. */
    maxBytes: 64 * 1024 * 1024,
    /** Oldest message kept, ms (7 days). */
    maxAgeMs: 7 * 24 * 3_600_000,
    /** How often messages past retention and acked queue messages are removed from the store, ms. */
    compactIntervalMs: 5_000,
  },
  /** Idempotent (exactly-once) publishers [semantics 1.3]. */
  producers: {
    /**
     * Sequences remembered per producer below its highest: a retry further
     * back is refused (ERR_CONFLICT), since whether it was stored can no longer
     * be told. Keep it above the publishes a producer leaves unconfirmed.
     */
    window: 10_000,
    /** A producer that published nothing for this long is forgotten (its retries are new messages), ms (1 day). */
    idleMs: 24 * 3_600_000,
    /** Most producers remembered; past it, those idle longest are forgotten first (at compaction). */
    maxProducers: 100_000,
  },
  /** Causal and total order [semantics 2]. */
  ordering: {
    /**
     * Total-order scopes: scope name → topic pattern, e.g. `{"orders":
     * "orders/#"}`. A total-order message joins the first scope whose pattern
     * matches its topic (a queue's name, for a send), else the scope
     * `default`; scopes are ordered independently of each other.
     */
    scopes: {} as Record<string, string>,
  },
} as const;

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : { [K in keyof T]: Widen<T[K]> };

/** The broker's configuration, validated and frozen. */
export type BrokerConfig = Widen<Omit<typeof DEFAULT_CONFIG, 'durability'>> & { durability: Durability };

/** Any subset of the configuration, as a file, flags or code give it. */
export type BrokerConfigInput = { [K in keyof BrokerConfig]?: BrokerConfig[K] extends object ? Partial<BrokerConfig[K]> : BrokerConfig[K] };
