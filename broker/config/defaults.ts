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
    /**
     * A socket that has not completed the WebSocket upgrade (TLS handshake
     * included) this long after opening is closed, and so is one that has
     * not sent HELLO this long after the upgrade: a slowloris holds a socket
     * for at most twice this.
     */
    handshakeTimeoutMs: 10_000,
    /** Most connections one authenticated user may hold; more are refused with ERR_TOO_MANY_CONNECTIONS. */
    maxConnectionsPerUser: 1_000,
    /** Most queues (subscription queues included); creating one more is refused with ERR_LIMIT. */
    maxQueues: 10_000,
    /**
     * Publishes and sends per second one connection may make (token bucket,
     * burst of one second); past it the broker stops reading the socket.
     * Above what one connection reaches on a 2-core machine (about 350,000
     * a second in `npm run bench`), so only a flood is slowed.
     */
    publishRate: 500_000,
    /** Payload bytes per second one connection may publish or send (token bucket, burst of one second); past it the broker stops reading the socket. */
    publishBytesRate: 128 * 1024 * 1024,
    /** Stored publishes and sends of one connection accepted and not yet committed; past it the broker stops reading the socket until commits catch up. */
    maxInFlightPerConnection: 10_000,
    /** Sum of the prefetch windows of one connection's consumers (unacked deliveries at once); more is refused with ERR_LIMIT. */
    maxUnackedPerConnection: 100_000,
    /**
     * Resident memory of the broker process above which publishes and sends
     * are refused with ERR_LIMIT until it falls again, in bytes; 0: 40% of
     * the machine's memory.
     */
    memoryHighWatermarkBytes: 0,
    /** Free bytes on the data directory's disk below which stored publishes and sends are refused with ERR_LIMIT. */
    diskFreeLimitBytes: 64 * 1024 * 1024,
  },
  /** Authentication and authorization [docs/security.md]. */
  auth: {
    /** Clients must authenticate (password, token, the authenticate hook or a client certificate); every operation is checked against the ACL. */
    enabled: false,
    /**
     * With auth on: clients that give no credentials connect as the user
     * `anonymous` (granted what ACL rules for `anonymous` grant). With auth
     * off: required to listen on an address other than loopback.
     */
    allowAnonymous: false,
    /** Secret that signs bearer tokens (at least 32 characters); empty: one made at the first start and kept in the store. */
    tokenSecret: '',
    /** Longest lifetime of a token the broker signs, ms (30 days). */
    maxTokenTtlMs: 30 * 24 * 3_600_000,
    /** Failed logins allowed per client address per minute; more are refused without checking. */
    maxFailedLoginsPerMinute: 10,
    /** Time for the authenticate hook (or a password check) to answer, ms; longer is a failed login. */
    timeoutMs: 5_000,
  },
  /** TLS (wss://): file paths, read at start. cert and key switch it on. */
  tls: {
    /** PEM certificate chain of the broker. */
    cert: '',
    /** PEM private key of the broker. */
    key: '',
    /** PEM CA bundle that client certificates must chain to; with it, clients may authenticate by certificate (its CN is the user). */
    ca: '',
    /** With ca: refuse connections that do not present a valid client certificate. */
    requireClientCert: false,
  },
  /**
   * Origins (`https://app.example.com`) browsers may open WebSockets from;
   * `*` allows any. An upgrade with an Origin header not listed is refused
   * (403); clients that send no Origin (Node, the CLI) are not affected.
   */
  allowedOrigins: [] as string[],
  /** How often the broker pings each connection; silent for two intervals means dead. */
  heartbeatMs: 15_000,
  /** Structured logs on stderr [docs/operations.md]. */
  log: {
    /** Least severe level written: trace, debug, info, warn, error, fatal, or silent. */
    level: 'info',
    /** 'json': one JSON object per line; 'pretty': one readable line; 'auto': pretty when stderr is a terminal, else JSON. */
    format: 'auto',
  },
  /** What the broker answers to plain HTTP requests on its port (beside WebSocket upgrades). */
  http: {
    /** The web console at `/` [docs/operations.md]. */
    console: true,
    /** Prometheus metrics at `/metrics`. (`/healthz` and `/readyz` are always served.) */
    metrics: true,
  },
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

/**
 * Settings whose keys are the operator's (names), each mapping to a string:
 * a later input adds to them, and their keys are not checked against a list.
 */
export const MAP_SETTINGS: ReadonlySet<string> = new Set(['ordering.scopes']);

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : { [K in keyof T]: Widen<T[K]> };

/** The broker's configuration, validated and frozen. */
export type BrokerConfig = Widen<Omit<typeof DEFAULT_CONFIG, 'durability'>> & { durability: Durability };

/** Any subset of the configuration, as a file, flags or code give it. */
export type BrokerConfigInput = { [K in keyof BrokerConfig]?: BrokerConfig[K] extends object ? Partial<BrokerConfig[K]> : BrokerConfig[K] };
