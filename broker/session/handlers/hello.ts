import { OrdoError } from '../../errors/index.js';
import { BrokerOp, PROTOCOL_VERSIONS, checkHello, type Hello, type Welcome } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { maxPayloadBytes } from '../limits.js';

/**
 * HELLO [protocol 2.1]: agree on a version, record who the client is, answer
 * WELCOME [protocol 2.2]. Steps, in order:
 * 1. check the shape (ERR_HANDSHAKE on a malformed hello: nothing else can be trusted yet);
 * 2. pick the newest version both sides speak (ERR_VERSION if none);
 * 3. record the client id and give the connection its private reply inbox;
 *    a hello naming an idempotent producer takes the id over (ProducerClaims)
 *    and learns the highest sequence stored for it;
 * 4. open the connection and send the welcome.
 */
export function handleHello(conn: Connection, op: unknown[]): void {
  const bad = checkHello(op);
  if (bad !== undefined) {
    conn.fail(new OrdoError('ERR_HANDSHAKE', bad));
    return;
  }
  const hello = op[1] as Hello;
  const offered = Array.isArray(hello.version) ? hello.version : [hello.version];
  const version = PROTOCOL_VERSIONS.find((v) => offered.includes(v));
  if (version === undefined) {
    conn.fail(new OrdoError('ERR_VERSION', `protocol version ${offered.join(', ')} not supported; this broker speaks ${PROTOCOL_VERSIONS.join(', ')}`));
    return;
  }
  conn.clientId = hello.clientId ?? '';
  // What the broker accepted before is in this client's causal past: a publish it sends again from an
  // earlier connection, its `after` as first encoded, still depends on what was confirmed meanwhile.
  conn.lastAccepted = conn.broker.lastSeq();
  conn.open();
  const { config, serverName } = conn.broker;
  const welcome: Welcome = {
    version,
    server: serverName,
    connectionId: conn.connectionId,
    inbox: conn.inbox,
    heartbeatMs: config.heartbeatMs,
    limits: {
      maxFrameBytes: config.limits.maxFrameBytes,
      maxSubscriptions: config.limits.maxSubscriptionsPerConnection,
      maxPayloadBytes: maxPayloadBytes(config.limits.maxFrameBytes),
    },
    capabilities: ['at-most-once', 'at-least-once', 'exactly-once', 'fifo', 'causal', 'total', 'batch', 'request-reply', 'shared-subscriptions', 'queues', 'retained', 'durable-subscriptions', 'replay'],
    instance: conn.broker.durable.instance,
    seq: conn.broker.lastSeq(),
  };
  if (hello.producer != null) {
    conn.broker.producerClaims.take(hello.producer, conn.connectionId);
    welcome.producerSeq = conn.broker.durable.producers.highest(hello.producer);
  }
  conn.send([BrokerOp.welcome, welcome]);
}
