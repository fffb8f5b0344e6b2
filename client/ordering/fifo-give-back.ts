import type { Message, NackOutcome } from '../message.js';

/**
 * Fifo for redeliveries on a subscription without causal or total order
 * [semantics 2.1]: when a handler fails and its delivery is nacked, what the
 * subscription queued behind it, and what arrives before it comes again, is
 * given back to the queue (NACK release: uncounted). The queue sends its
 * lowest ids first, so it sends them all again in order, the failed one
 * first. Each awaited delivery is kept with the order in which it was given
 * back (its nack's place among this subscription's operations).
 */
export class FifoGiveBack {
  private readonly comingAgain = new Map<number, number>();
  private count = 0;

  /**
   * `failed` was nacked: returns what of `queued` stays queued (what needs no
   * ack); the rest is given back. Reports settle failures to `settle`.
   */
  afterNack<T>(failed: Message<T>, nacked: Promise<NackOutcome>, queued: readonly Message<T>[], settle: (done: Promise<unknown>) => void): Message<T>[] {
    this.comingAgain.set(failed.seq, ++this.count);
    const kept = queued.filter((msg) => {
      if (!msg.needsSettling) return true;
      settle(this.giveBack(msg));
      return false;
    });
    // Dead-lettered, it never comes; with the connection gone, everything unacked comes again in order.
    nacked.then((outcome) => { if (outcome === 'dead-lettered') this.comingAgain.delete(failed.seq); }, () => this.comingAgain.clear());
    return kept;
  }

  /** Gives `msg`, just arrived, back when an earlier delivery must come again first; the NACK's promise, or undefined to keep it. */
  maybeGiveBack<T>(msg: Message<T>): Promise<unknown> | undefined {
    if (this.comingAgain.size === 0 || !msg.needsSettling || !this.mustGiveBack(msg.seq)) return undefined;
    return this.giveBack(msg);
  }

  /**
   * While deliveries are to come again: true for one above the lowest of
   * them. One of them coming again means the lower ones given back before it
   * are gone (back in the queue first, they would have been sent first):
   * they are no longer waited for. A lower one given back after it (nacked
   * later) may still come.
   */
  private mustGiveBack(seq: number): boolean {
    const order = this.comingAgain.get(seq);
    if (order !== undefined) {
      for (const [awaited, when] of this.comingAgain) if (awaited <= seq && when <= order) this.comingAgain.delete(awaited);
    }
    let lowest = Infinity;
    for (const awaited of this.comingAgain.keys()) if (awaited < lowest) lowest = awaited;
    return seq > lowest;
  }

  private giveBack(msg: Message<unknown>): Promise<unknown> {
    this.comingAgain.set(msg.seq, ++this.count);
    return msg.nack({ release: true });
  }
}
