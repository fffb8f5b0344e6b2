/** How many messages one request of a chunked purge or move handles: each is one broker transaction, so the broker stays responsive. */
export const CHUNK_MESSAGES = 10_000;

/** What one chunk did: messages handled, and how many the queue still holds. */
export interface ChunkResult {
  done: number;
  remaining: number;
}

/** Options of {@link inChunks}. */
export interface ChunkOptions {
  /** Handle at most this many messages in all. Default: every message there when the work started. */
  limit?: number;
  /** Messages per request. Default {@link CHUNK_MESSAGES}. */
  chunk?: number;
  /** Called after each chunk with the messages handled so far and the total to handle. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs `step(max)` (a purge or a move of at most `max` messages, e.g.
 * `(max) => client.purgeQueue(name, { max })`) until the queue is empty,
 * `limit` is reached, or a step handles nothing. The first answer fixes the
 * total (what it handled plus what remained), so a queue that fills as fast
 * as it drains does not keep the work going: what came later is reported
 * as remaining.
 */
export async function inChunks(step: (max: number) => Promise<ChunkResult>, options: ChunkOptions = {}): Promise<ChunkResult> {
  const chunk = options.chunk ?? CHUNK_MESSAGES;
  let done = 0;
  let total = options.limit ?? Infinity;
  let remaining = 0;
  while (done < total) {
    const result = await step(Math.min(chunk, total - done));
    done += result.done;
    remaining = result.remaining;
    if (total === Infinity) total = result.done + result.remaining;
    else total = Math.min(total, done + result.remaining);
    options.onProgress?.(done, total);
    if (result.done === 0 || result.remaining === 0) break;
  }
  return { done, remaining };
}
