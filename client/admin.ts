import {
  ClientOp, type BackupInfo, type ConnectionInfo, type SubscriptionInfo, type TopicInfo,
} from '../broker/protocol/index.js';
import type { AdminChannel } from './security-admin.js';

/**
 * Broker administration [protocol 2.21], as `client.admin`: what operators
 * see and steer (connections, topics, subscriptions, backups). Every call
 * needs an administrator (role `admin`, or `admin` on `#`) once the broker
 * has authentication on. Refusals: ERR_FORBIDDEN (not an administrator),
 * ERR_NOT_FOUND (no such connection, subscription or backup),
 * ERR_BAD_REQUEST (bad arguments; a backup of a memory store).
 */
export class BrokerAdmin {
  constructor(private readonly channel: AdminChannel) {}

  /** Every connection with its client id, user, address, version, counters and rates. */
  async connections(): Promise<ConnectionInfo[]> {
    return await this.channel.call([ClientOp.admin], 'connections', null) as ConnectionInfo[];
  }

  /** Closes connection `connectionId` with ERR_KICKED (its client may reconnect). ERR_NOT_FOUND if there is none. */
  async kick(connectionId: string): Promise<{ kicked: true }> {
    return await this.channel.call([ClientOp.admin], 'kick', { connectionId }) as { kicked: true };
  }

  /** Every topic with stored history or a retained message (those under `prefix` only, if given), by name. */
  async topics(options: { prefix?: string } = {}): Promise<TopicInfo[]> {
    const args = options.prefix === undefined ? null : { prefix: options.prefix };
    return await this.channel.call([ClientOp.admin], 'topics', args) as TopicInfo[];
  }

  /** Live subscriptions of every connection, then durable and shared ones whose subscriber is away. */
  async subscriptions(): Promise<SubscriptionInfo[]> {
    return await this.channel.call([ClientOp.admin], 'subscriptions', null) as SubscriptionInfo[];
  }

  /**
   * Deletes a durable or shared subscription by its backing queue (as
   * subscriptions() shows it), with its messages; a live subscriber of it
   * has its subscription ended with ERR_NOT_FOUND. Resolves with how many
   * messages went.
   */
  async deleteSubscription(queue: string): Promise<{ deleted: number }> {
    return await this.channel.call([ClientOp.admin], 'delete-subscription', { queue }) as { deleted: number };
  }

  /** Removes the retained message of `topic`; `cleared` is false when it had none. */
  async clearRetained(topic: string): Promise<{ cleared: boolean }> {
    return await this.channel.call([ClientOp.admin], 'clear-retained', { topic }) as { cleared: boolean };
  }

  /**
   * Takes an online backup of the broker's store (a SQLite file, consistent
   * while the broker runs) and hands it to `onChunk` piece by piece, in
   * order; `onProgress` hears the bytes done so far of the total. Resolves
   * with the size. ERR_BAD_REQUEST when the broker keeps its store in memory.
   */
  async backup(
    onChunk: (chunk: Uint8Array) => void | Promise<void>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ bytes: number }> {
    const { id, bytes } = await this.channel.call([ClientOp.admin], 'backup-start', null) as BackupInfo;
    let offset = 0;
    try {
      for (;;) {
        const chunk = await this.channel.call([ClientOp.admin], 'backup-read', { id, offset }) as Uint8Array;
        if (chunk.length === 0) break;
        await onChunk(chunk);
        offset += chunk.length;
        onProgress?.(offset, bytes);
      }
    } finally {
      await this.channel.call([ClientOp.admin], 'backup-end', { id }).catch(() => undefined);
    }
    return { bytes: offset };
  }
}
