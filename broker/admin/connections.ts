import type { ConnectionInfo } from '../protocol/index.js';
import type { Connection } from '../session/index.js';

/**
 * Every connection as `admin connections` shows it [protocol 2.21], in the
 * order they were accepted. A topic subscription is one backed by the topic
 * router or by a subscription queue; a consumer is one of a plain queue.
 */
export function connectionInfos(connections: Iterable<Connection>): ConnectionInfo[] {
  return [...connections].map(connectionInfo);
}

/** One connection's inventory line. */
export function connectionInfo(conn: Connection): ConnectionInfo {
  let consumers = 0;
  for (const { queue } of conn.consumers.values()) if (queue.binding === undefined) consumers++;
  return {
    connectionId: conn.connectionId,
    clientId: conn.clientId,
    ...(conn.principal.via !== 'open' && { user: conn.principal.user }),
    address: conn.address,
    protocolVersion: conn.protocolVersion,
    ...(conn.agent !== undefined && { agent: conn.agent }),
    connectedAt: conn.connectedAt,
    subscriptions: conn.subscriptions.size + conn.consumers.size - consumers,
    consumers,
    messagesIn: conn.messagesIn,
    messagesOut: conn.messagesOut,
    rateIn: conn.rateIn.perSecond(),
    rateOut: conn.rateOut.perSecond(),
    dropped: conn.dropped,
    bufferedBytes: conn.queuedBytes,
  };
}
