import { OrdoError } from '../../errors/index.js';
import { BrokerOp, PROTOCOL_VERSIONS, checkHello, type Hello, type Welcome } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { maxPayloadBytes } from '../limits.js';
import { brokerProducerId } from './message-checks.js';
import { OPEN_PRINCIPAL, type Principal } from '../../auth/principal.js';

/**
 * HELLO [protocol 2.1]: agree on a version, record who the client is, answer
 * WELCOME [protocol 2.2]. Steps, in order:
 * 1. check the shape (ERR_HANDSHAKE on a malformed hello: nothing else can be trusted yet);
 * 2. pick the newest version both sides speak (ERR_VERSION if none);
 * 3. record the client id; with auth on, check the credentials (asynchronously:
 *    later operations wait) and the user's connection count [docs/security.md];
 * 4. open the connection and send the welcome; a hello naming an idempotent
 *    producer takes the id over (ProducerClaims) and learns the highest
 *    sequence stored for it.
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
  if (!conn.broker.config.auth.enabled) {
    sendWelcome(conn, hello, version, OPEN_PRINCIPAL);
    return;
  }
  // Operations after HELLO wait, in order, until the credentials are checked (off the event loop).
  conn.state = 'authenticating';
  // Nothing more is read meanwhile: what came with HELLO waits (at most a frame), the rest stays in the socket.
  conn.guard.pauseReading('authenticating');
  conn.broker.security.authenticate(hello, conn.peer, () => conn.state === 'authenticating').then(
    (principal) => {
      if (conn.state !== 'authenticating') return; // closed, or timed out, meanwhile
      conn.guard.resumeReading('authenticating');
      const { maxConnectionsPerUser } = conn.broker.config.limits;
      if (conn.broker.userConnections.count(principal.user) >= maxConnectionsPerUser) {
        conn.fail(new OrdoError('ERR_TOO_MANY_CONNECTIONS', `user ${principal.user} holds its maximum of ${maxConnectionsPerUser} connections`));
        return;
      }
      sendWelcome(conn, hello, version, principal);
      conn.runHeld();
    },
    (err: unknown) => conn.fail(err instanceof OrdoError ? err : new OrdoError('ERR_UNAUTHORIZED')),
  );
}

/** Opens the connection for `principal` and sends WELCOME [protocol 2.2]. */
function sendWelcome(conn: Connection, hello: Hello, version: number, principal: Principal): void {
  // What the broker accepted before is in this client's causal past: a publish it sends again from an
  // earlier connection, its `after` as first encoded, still depends on what was confirmed meanwhile.
  conn.lastAccepted = conn.broker.lastSeq();
  conn.principal = principal;
  conn.protocolVersion = version;
  conn.agent = hello.agent ?? undefined;
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
    ...(principal.via !== 'open' && { user: principal.user }),
  };
  if (hello.producer != null) {
    const producer = brokerProducerId(conn, hello.producer);
    conn.broker.producerClaims.take(producer, conn.connectionId);
    welcome.producerSeq = conn.broker.durable.producers.highest(producer);
  }
  conn.send([BrokerOp.welcome, welcome]);
}
