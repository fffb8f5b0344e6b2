import type { ErrorCode } from '../errors/index.js';
import { ReadPauses, type Pausable, type PauseReason } from './read-pauses.js';
import type { ResourceAlarms } from './resource-alarms.js';
import { TokenBucket } from './token-bucket.js';

/** The per-connection limits a guard enforces (a subset of BrokerConfig['limits']). */
export interface ConnectionLimits {
  readonly publishRate: number;
  readonly publishBytesRate: number;
  readonly maxInFlightPerConnection: number;
  readonly maxUnackedPerConnection: number;
}

/** A consumer as the unacked limit sees it. */
export interface PrefetchHolder {
  readonly consumer: { readonly prefetch: number; readonly isAutoAck: boolean };
}

/** A refusal to answer with: code and message. */
export type Refusal = [ErrorCode, string];

/**
 * One connection's share of the broker: its publish quota (messages and
 * payload bytes per second, token buckets with a burst of one second), its
 * stored messages in flight, and its unacked window. Quotas and in-flight
 * apply backpressure (the socket is not read until the debt is paid or the
 * commits catch up), never loss: what was already read is processed.
 */
export class ConnectionGuard {
  private readonly pauses: ReadPauses;
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private inFlight = 0;
  private quotaTimer: ReturnType<typeof setTimeout> | undefined;
  private isClosed = false;

  constructor(
    socket: Pausable,
    private readonly limits: ConnectionLimits,
    private readonly alarms: ResourceAlarms,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.pauses = new ReadPauses(socket);
    const now = clock();
    this.messages = new TokenBucket(limits.publishRate, limits.publishRate, now);
    this.bytes = new TokenBucket(limits.publishBytesRate, limits.publishBytesRate, now);
  }

  /** True while the socket is not being read (a peer that cannot answer pings meanwhile is not dead). */
  get isPaused(): boolean {
    return this.pauses.isPaused;
  }

  /** Stored messages accepted from this connection and not yet committed. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /**
   * Counts `count` messages of `bytes` payload bytes against the quota
   * (refused ones too: reading them cost as much), then says why they must
   * be refused (a resource alarm), or undefined. `isStored`: they would be
   * written to the store.
   */
  admit(count: number, bytes: number, isStored: boolean): Refusal | undefined {
    if (count === 0) return undefined;
    this.charge(count, bytes);
    const refusal = this.alarms.refusal(isStored);
    return refusal === undefined ? undefined : ['ERR_LIMIT', refusal];
  }

  /**
   * A stored message (or ack-publish) accepted: counted in flight until
   * `committed` settles. At maxInFlightPerConnection the socket is paused
   * until a commit brings the count below it.
   */
  track(committed: Promise<unknown>): void {
    if (++this.inFlight >= this.limits.maxInFlightPerConnection) this.pauses.add('in-flight');
    committed.then(this.settle, this.settle);
  }

  /**
   * ERR_LIMIT when a consumer with `prefetch` would take the sum of this
   * connection's unacked windows (at-least-once consumers and stored
   * subscriptions; auto-ack consumers hold none) past maxUnackedPerConnection.
   */
  unackedRefusal(holders: Iterable<PrefetchHolder>, prefetch: number): Refusal | undefined {
    const max = this.limits.maxUnackedPerConnection;
    let held = 0;
    for (const { consumer } of holders) if (!consumer.isAutoAck) held += consumer.prefetch;
    if (held + prefetch <= max) return undefined;
    return ['ERR_LIMIT', `a prefetch of ${prefetch} would bring this connection's unacked deliveries to ${held + prefetch}, past limits.maxUnackedPerConnection (${max}); use a smaller prefetch or fewer consumers`];
  }

  /** Stops reading the socket for `reason` (e.g. while a login is checked) until resumeReading(reason). */
  pauseReading(reason: PauseReason): void {
    this.pauses.add(reason);
  }

  resumeReading(reason: PauseReason): void {
    this.pauses.remove(reason);
  }

  /** The connection is closing: timers stop and the socket is read again, so its close handshake is seen. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.quotaTimer);
    this.quotaTimer = undefined;
    this.pauses.close();
  }

  private readonly settle = (): void => {
    this.inFlight--;
    if (this.inFlight < this.limits.maxInFlightPerConnection) this.pauses.remove('in-flight');
  };

  private charge(count: number, bytes: number): void {
    const now = this.clock();
    const wait = Math.max(this.messages.take(count, now), this.bytes.take(bytes, now));
    if (wait > 0 && this.quotaTimer === undefined && !this.isClosed) this.pauseFor(wait);
  }

  /** Stops reading for `ms`; then reads again, unless more debt was run up meanwhile (the rest of a frame). */
  private pauseFor(ms: number): void {
    this.pauses.add('publish-quota');
    this.quotaTimer = setTimeout(() => {
      this.quotaTimer = undefined;
      const now = this.clock();
      const wait = Math.max(this.messages.take(0, now), this.bytes.take(0, now));
      if (wait > 0) this.pauseFor(wait);
      else this.pauses.remove('publish-quota');
    }, ms);
    this.quotaTimer.unref();
  }
}
