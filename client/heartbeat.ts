/**
 * The client's side of the heartbeat [protocol 1.4]: pings when the broker
 * has been quiet for half an interval, and gives up on a broker silent for
 * two intervals. Every frame received counts as a sign of life, and so
 * does the broker's WebSocket ping where the WebSocket shows it (in Node).
 */
export class Heartbeat {
  private lastReceivedAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ping: () => void,
    private readonly giveUp: (reason: string) => void,
  ) {}

  /** The broker said something. */
  onReceived(): void {
    this.lastReceivedAt = Date.now();
  }

  /** Starts (or restarts) watching at the interval a welcome named. */
  start(heartbeatMs: number): void {
    this.stop();
    this.lastReceivedAt = Date.now();
    this.timer = setInterval(() => {
      const quietMs = Date.now() - this.lastReceivedAt;
      if (quietMs > 2 * heartbeatMs) this.giveUp('broker silent for two heartbeats');
      // Ping at half the interval: a tick that fires a hair early (quiet just
      // under heartbeatMs) must not skip the ping, or the next tick, a hair
      // late, finds an idle but healthy broker "silent" without having asked.
      else if (quietMs >= heartbeatMs / 2) this.ping();
    }, heartbeatMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
