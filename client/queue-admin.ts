import { ClientOp, type PeekedMessage, type QueueInfo, type QueueMoveResult, type QueuePurgeResult } from '../broker/protocol/index.js';
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

  /**
   * Removes the waiting (ready and delayed) messages of `name` (unacked
   * deliveries stay), all of them or the `max` oldest (lowest `seq` first,
   * whatever their priority); resolves with how many went and how many wait
   * still.
   */
  async purgeQueue(name: string, options: { max?: number } = {}): Promise<QueuePurgeResult> {
    const args = options.max === undefined ? null : { max: options.max };
    return await this.call([ClientOp.queue], 'purge', name, args) as QueuePurgeResult;
  }

  /**
   * Moves the ready messages of queue `name` to queue `options.to`, in
   * delivery order (all of them, or the first `max`). Without `to`, `name`
   * must be a dead-letter queue and its messages go back to the queue it
   * collects for ("replay dead letters"). Resolves with how many moved and
   * how many ready ones are left.
   */
  async moveMessages(name: string, options: { to?: string; max?: number } = {}): Promise<QueueMoveResult> {
    const { to, max } = options;
    const args = to === undefined && max === undefined ? null : { ...(to !== undefined && { to }), ...(max !== undefined && { max }) };
    return await this.call([ClientOp.queue], 'move', name, args) as QueueMoveResult;
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
