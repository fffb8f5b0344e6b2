import { ClientOp, type PeekedMessage, type QueueInfo } from '../broker/protocol/index.js';
import type { ClientEvents } from './client-events.js';
import { Emitter } from './emitter.js';
import type { QueueSettingsInput } from './options.js';
import { QueuedMessage } from './queued-message.js';

/**
 * Queue administration [protocol 2.14], each one request answered by the
 * broker: what OrdoClient offers besides messaging, on top of its call().
 */
export abstract class QueueAdmin extends Emitter<ClientEvents> {
  /** Sends an operation whose answer settles the returned promise (see OrdoClient.call). */
  abstract call(head: unknown[], ...rest: unknown[]): Promise<unknown>;

  /** Creates queue `name` (and its dead-letter queue); the same settings again is a no-op, others ERR_CONFLICT. */
  async createQueue(name: string, settings: QueueSettingsInput = {}): Promise<QueueInfo> {
    return await this.call([ClientOp.queue], 'create', name, settings) as QueueInfo;
  }

  /** Deletes queue `name` with its messages; resolves with how many messages went. ERR_NOT_FOUND if there is none. */
  async deleteQueue(name: string): Promise<{ deleted: number }> {
    return await this.call([ClientOp.queue], 'delete', name, null) as { deleted: number };
  }

  /** Removes the waiting messages of `name` (unacked deliveries stay); resolves with how many. */
  async purgeQueue(name: string): Promise<{ purged: number }> {
    return await this.call([ClientOp.queue], 'purge', name, null) as { purged: number };
  }

  /** Up to `count` waiting messages of `name`, in delivery order, without delivering them. */
  async peekQueue<T = unknown>(name: string, count = 10): Promise<QueuedMessage<T>[]> {
    const peeked = await this.call([ClientOp.queue], 'peek', name, { count }) as PeekedMessage[];
    return peeked.map((m) => new QueuedMessage<T>(m));
  }

  /** Every queue with its depth, consumers and rates. */
  async listQueues(): Promise<QueueInfo[]> {
    return await this.call([ClientOp.queue], 'list', null, null) as QueueInfo[];
  }

  /** One queue's depth, consumers, rates and settings. ERR_NOT_FOUND if there is none. */
  async queueInfo(name: string): Promise<QueueInfo> {
    return await this.call([ClientOp.queue], 'info', name, null) as QueueInfo;
  }
}
