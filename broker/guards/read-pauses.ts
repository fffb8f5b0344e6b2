/** What a connection's reading can be paused by (ws's WebSocket fits). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** Why reading a connection's socket is paused. */
export type PauseReason = 'publish-quota' | 'in-flight' | 'authenticating';

/**
 * The reasons a connection's socket is not being read. The socket is paused
 * by the first reason and resumed only when the last one is lifted, so one
 * limit never resumes a connection another still holds back. close() lifts
 * them all: a closing connection must read its peer's close frame.
 */
export class ReadPauses {
  private readonly reasons = new Set<PauseReason>();
  private isClosed = false;

  constructor(private readonly socket: Pausable) {}

  get isPaused(): boolean {
    return this.reasons.size > 0;
  }

  add(reason: PauseReason): void {
    if (this.isClosed || this.reasons.has(reason)) return;
    this.reasons.add(reason);
    if (this.reasons.size === 1) this.socket.pause();
  }

  remove(reason: PauseReason): void {
    if (!this.reasons.delete(reason) || this.isClosed) return;
    if (this.reasons.size === 0) this.socket.resume();
  }

  /** Lifts every reason for good (resuming a paused socket) and ignores later ones. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const wasPaused = this.reasons.size > 0;
    this.reasons.clear();
    if (wasPaused) this.socket.resume();
  }
}
