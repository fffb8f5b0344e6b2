import type { Router } from '../delivery/index.js';
import type { DurableEngine } from '../durable/index.js';
import type { TopicInfo } from '../protocol/index.js';

/** Most topics one `admin topics` answer lists (the first, by name): a prefix narrows it. */
export const MAX_TOPICS = 10_000;

/**
 * The topics with stored messages (history kept for replay, a retained
 * message) under `prefix`, by name, as `admin topics` shows them
 * [protocol 2.21]: how many live subscriptions match each now (a shared
 * group counts once), whether it holds a retained message, and its stored
 * messages. A topic only ever published at most once keeps nothing, so it
 * is not listed.
 */
export async function topicInfos(durable: DurableEngine, router: Router, prefix: string): Promise<TopicInfo[]> {
  const records = await durable.store.topics(prefix, MAX_TOPICS);
  return records.map(({ topic, stored, lastId }) => ({
    topic,
    subscribers: router.countMatches(topic),
    retained: durable.hasRetained(topic),
    stored,
    lastSeq: lastId,
  }));
}
