/**
 * What the durable queues did, broker-wide, since start: plain integers the
 * queues bump as they go (no allocation, no call) and /metrics reads at
 * scrape time (metrics.ts). Never reset, never decreased, so a deleted queue
 * takes nothing with it: they are Prometheus counters as they stand.
 */
export class QueueCounters {
  /** Deliveries handed to consumers, redeliveries and auto-acked (at-most-once) ones included. */
  deliveries = 0;
  /** Of those, the ones to at-least-once consumers (an ack expected). */
  atLeastOnce = 0;
  /** Of those, the ones to exactly-once consumers (RECEIVED and COMPLETE expected). */
  exactlyOnce = 0;
  /** Stored deliveries whose message had been delivered before (delivery count above 1). */
  redeliveries = 0;
  /** Deliveries settled by their consumer: ACK, COMPLETE and the acks of ACKPUBLISH. */
  acks = 0;
  /** Deliveries given back by NACK (requeued or dead-lettered). */
  nacks = 0;
  /**
   * Messages that left a queue as dead letters: past maxDeliveries, nacked
   * without requeue, or expired in flight — to the dead-letter queue, or
   * discarded when the queue has none.
   */
  deadLetters = 0;
  /** Messages a full queue dropped to make room (overflow drop-oldest). */
  overflowDrops = 0;
}

/** Upper bounds of the group-commit histogram's buckets: batches sharing one transaction. */
export const COMMIT_BATCH_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * A histogram of batches per store transaction (group commit), kept as
 * plain numbers. The store tells each batch how many shared its
 * transaction (N); each adds 1/N to the bucket of N, so the N reports of
 * one transaction make one observation without anyone knowing which was last.
 */
export class CommitSizes {
  /** Observations per bucket (not cumulative), the last one +Inf; fractional until a transaction's batches are all in. */
  readonly buckets = new Float64Array(COMMIT_BATCH_BUCKETS.length + 1);
  /** Transactions observed (fractional as above). */
  count = 0;
  /** Batches over those transactions. */
  sum = 0;

  /** One batch committed in a transaction shared by `batches` batches. */
  record(batches: number): void {
    const share = 1 / batches;
    let i = 0;
    while (i < COMMIT_BATCH_BUCKETS.length && batches > COMMIT_BATCH_BUCKETS[i]) i++;
    this.buckets[i] += share;
    this.count += share;
    this.sum += 1;
  }
}
