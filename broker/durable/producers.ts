import { createHash } from 'node:crypto';
import type { Headers } from '../protocol/index.js';
import type { ProducerSeqRecord, StoreOp } from '../store/index.js';

/** How the registry keeps and forgets sequences (broker config `producers`). */
export interface ProducerLimits {
  /** Sequences kept below a producer's highest. */
  readonly window: number;
  /** A producer silent this long is forgotten, ms. */
  readonly idleMs: number;
  /** Most producers kept: past it, the longest silent go first. */
  readonly maxProducers: number;
}

/** What to do with an idempotent publish, by its producer and sequence. */
export type ProducerVerdict =
  | { readonly kind: 'new' }
  /** Stored before: confirm it again with this id. */
  | { readonly kind: 'duplicate'; readonly messageId: number }
  /** Being committed now (a retry overtook the first attempt's confirm): answer when that settles. */
  | { readonly kind: 'pending'; readonly stored: Promise<number> }
  | { readonly kind: 'conflict'; readonly reason: string };

interface SeqEntry {
  readonly messageId: number;
  /** The digest's 16 bytes as a latin1 string: compared with ===, and far smaller than a Buffer each. */
  readonly digest: string;
  /** Set while its commit is in flight. */
  stored?: Promise<number>;
}

interface Producer {
  highest: number;
  lastAt: number;
  /** Sequences below this were dropped from the store (or never kept). */
  keptFrom: number;
  /** Sequences whose commit is in flight. */
  pending: number;
  readonly seqs: Map<number, SeqEntry>;
}

/**
 * Idempotent publishers [semantics 1.3]: per producer id, the sequences the
 * broker stored, each with its message's id and digest, so that a retry
 * (after a lost confirm, a reconnect, a broker restart) is confirmed with
 * the original id instead of being stored twice.
 *
 * Invariants:
 * - the registry and the store's producer_seqs agree after every commit: a
 *   sequence is added here with the op that stores it (begin) and removed
 *   again when that commit fails (fail); trims happen here and in the store
 *   through the same ops (trim);
 * - a sequence within `window` below the producer's highest is answered
 *   exactly (duplicate, conflict, or new); one further back is refused,
 *   since whether it was stored can no longer be told;
 * - a producer silent for `idleMs` is forgotten whole, and so are the
 *   longest silent ones past `maxProducers` (never one with a commit in flight).
 */
export class ProducerRegistry {
  private readonly producers = new Map<string, Producer>();
  /** When the broker started (load): silence before it does not count. */
  private startedAt = 0;

  constructor(private readonly limits: ProducerLimits) {}

  /**
   * Loads what the store recovered (records ordered by producer, seq). Idle
   * time counts from `now` at the latest: a broker that was down for longer
   * than idleMs does not forget producers still resending to it.
   */
  load(records: readonly ProducerSeqRecord[], now: number): void {
    this.startedAt = now;
    for (const r of records) {
      const isFirst = !this.producers.has(r.producer);
      const p = this.producerOf(r.producer, r.at);
      // Ordered by seq: what lies below a producer's first record was trimmed (or never sent).
      if (isFirst) p.keptFrom = r.seq;
      p.seqs.set(r.seq, { messageId: r.messageId, digest: latin1(r.digest) });
      p.highest = Math.max(p.highest, r.seq);
      p.lastAt = Math.max(p.lastAt, r.at);
    }
  }

  /** The highest sequence stored for `producer`, 0 for none: a restarted SDK continues above it. */
  highest(producer: string): number {
    return this.producers.get(producer)?.highest ?? 0;
  }

  /**
   * What a publish under (producer, seq) with this digest is: new, a retry
   * of a stored one or of one being committed, or a conflict (another
   * message under the sequence, or a sequence below the window). Changes nothing.
   */
  check(producer: string, seq: number, digest: Uint8Array): ProducerVerdict {
    const p = this.producers.get(producer);
    if (p === undefined) return NEW;
    const entry = p.seqs.get(seq);
    if (entry === undefined) {
      if (seq >= p.keptFrom && seq > p.highest - this.limits.window) return NEW;
      return {
        kind: 'conflict',
        reason: `producer ${producer} seq ${seq} is older than the ${this.limits.window} sequences the broker remembers (highest ${p.highest}): whether it was stored cannot be told`,
      };
    }
    if (entry.digest !== latin1(digest)) {
      return { kind: 'conflict', reason: `producer ${producer} seq ${seq} was used for a different message (topic or queue, payload or headers differ)` };
    }
    if (entry.stored !== undefined) return { kind: 'pending', stored: entry.stored };
    return { kind: 'duplicate', messageId: entry.messageId };
  }

  /**
   * Records a new sequence: `op` stores the record in the message's batch,
   * and `settle` must be given that batch's commit (a retry arriving before
   * it settles waits for it; a failed commit forgets the sequence again).
   */
  begin(producer: string, seq: number, messageId: number, digest: Uint8Array, now: number): { op: StoreOp; settle(stored: Promise<unknown>): void } {
    const p = this.producerOf(producer, now);
    const entry: SeqEntry = { messageId, digest: latin1(digest) };
    p.seqs.set(seq, entry);
    p.highest = Math.max(p.highest, seq);
    p.lastAt = now;
    p.pending++;
    return {
      op: { op: 'putProducerSeq', record: { producer, seq, messageId, digest, at: now } },
      settle: (stored) => {
        entry.stored = stored.then(() => {
          p.pending--;
          entry.stored = undefined;
          return messageId;
        }, (err: unknown) => {
          // Not stored: a retry is a new message.
          p.pending--;
          if (p.seqs.get(seq) === entry) p.seqs.delete(seq);
          throw err;
        });
        entry.stored.catch(() => undefined);
      },
    };
  }

  /** The ops that forget what the limits no longer keep: old sequences, idle producers, the producers past the most kept. */
  trim(now: number): StoreOp[] {
    const ops: StoreOp[] = [];
    const excess = this.producers.size - this.limits.maxProducers;
    // Map order is creation order, not silence: the longest silent are found by sorting, only when there are too many.
    const evicted = excess > 0
      ? new Set([...this.producers].filter(([, p]) => p.pending === 0).sort(([, a], [, b]) => a.lastAt - b.lastAt).slice(0, excess).map(([id]) => id))
      : undefined;
    for (const [producer, p] of this.producers) {
      const silentMs = now - Math.max(p.lastAt, this.startedAt);
      if ((silentMs > this.limits.idleMs && p.pending === 0) || evicted?.has(producer) === true) {
        this.producers.delete(producer);
        ops.push({ op: 'dropProducerSeqs', producer, below: null });
        continue;
      }
      const below = p.highest - this.limits.window + 1;
      if (below <= p.keptFrom) continue;
      for (const seq of p.seqs.keys()) if (seq < below) p.seqs.delete(seq);
      p.keptFrom = below;
      ops.push({ op: 'dropProducerSeqs', producer, below });
    }
    return ops;
  }

  get size(): number {
    return this.producers.size;
  }

  private producerOf(producer: string, now: number): Producer {
    let p = this.producers.get(producer);
    if (p === undefined) this.producers.set(producer, p = { highest: 0, lastAt: now, keptFrom: 0, pending: 0, seqs: new Map() });
    return p;
  }
}

const NEW: ProducerVerdict = Object.freeze({ kind: 'new' });

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * What a retry must repeat: where the message goes (`destination`: a topic,
 * or `$q/<queue>`), its payload and its headers. 16 bytes of SHA-256.
 */
export function messageDigest(destination: string, payload: Uint8Array, headers: Headers | null): Buffer {
  const hash = createHash('sha256').update(destination).update('\0').update(payload);
  if (headers !== null) hash.update('\0').update(JSON.stringify(headers));
  return hash.digest().subarray(0, 16);
}
