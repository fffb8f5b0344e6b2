import { patternMatches } from '../topics/index.js';
import type { StoredMessage } from '../store/index.js';

/**
 * The retained message of every topic that has one, in memory (as
 * Mosquitto keeps them), so a subscription gets its retained messages at
 * once, in order with everything else on its connection. The store holds
 * the same (setRetained), for restarts. A subscribe scans every retained
 * topic: fine for thousands; a trie would be the next step.
 */
export class RetainedIndex {
  private readonly byTopic = new Map<string, StoredMessage>();

  get size(): number {
    return this.byTopic.size;
  }

  load(messages: readonly StoredMessage[]): void {
    for (const message of messages) this.byTopic.set(message.topic, message);
  }

  set(message: StoredMessage): void {
    this.byTopic.set(message.topic, message);
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  clear(topic: string): void {
    this.byTopic.delete(topic);
  }

  /** The retained messages whose topic `pattern` matches, oldest first. */
  matching(pattern: string): StoredMessage[] {
    const found: StoredMessage[] = [];
    for (const [topic, message] of this.byTopic) if (patternMatches(pattern, topic)) found.push(message);
    return found.sort((a, b) => a.id - b.id);
  }
}
