import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { OrdoError, errorSpec, type ErrorCode } from '../errors/index.js';
import {
  BrokerOp, FrameBuilder, INBOX_ROOT, INBOX_SUB_ID, MessageTailEncoder, decodeFrame, encodeValue, isOrderedTail, requestIdOf,
} from '../protocol/index.js';
import { PendingWatch } from '../ordering/index.js';
import type { Subscriber, Subscription } from '../delivery/index.js';
import { shownTopic, type Consumer, type DeliveryTarget, type DurableQueue } from '../durable/index.js';
import type { StoredMessage } from '../store/index.js';
import type { BrokerContext } from './context.js';
import { dispatch } from './dispatch.js';
import { OPEN_PRINCIPAL, type PeerInfo, type Principal } from '../auth/principal.js';
import { ConnectionGuard } from '../guards/index.js';
import { logConnectionOpen } from '../observability/connection-log.js';
import { RateMeter } from '../rate-meter.js';

/**
 * The life of a connection, as one state [protocol 2.1]:
 * handshake (waiting for hello) → authenticating (auth on: checking its
 * credentials) → open → closing → closed.
 */
export type ConnectionState = 'handshake' | 'authenticating' | 'open' | 'closing' | 'closed';

/** Operations a client may send after HELLO before its WELCOME; more is a protocol error. */
const MAX_HELD_OPS = 1024;

let connectionCounter = 0;

/** Encodes stored messages for delivery (one at a time: each delivery has its own subscription and count). */
const deliveryEncoder = new MessageTailEncoder();

/** A consumer of this connection: which queue, which Consumer. */
export interface ConsumerBinding {
  readonly queue: DurableQueue;
  readonly consumer: Consumer;
}

/**
 * One client connection: reads frames, hands each operation to its handler,
 * and batches everything it sends into one frame per I/O turn. Errors a peer
 * causes are answered on the wire (and, if fatal, end with a close); nothing
 * here throws out of a socket callback.
 */
export class Connection implements Subscriber, DeliveryTarget {
  readonly connectionId = `c${++connectionCounter}`;
  state: ConnectionState = 'handshake';
  clientId = '';
  /** The private reply inbox id (128 random bits): `$inbox/<inbox>/...` is delivered here alone [protocol 3.3]. */
  readonly inbox = randomBytes(16).toString('hex');
  /** The client's at-most-once subscriptions by id; the inbox subscription is not among them. */
  readonly subscriptions = new Map<number, Subscription>();
  /** The client's consumers (of queues, and of at-least-once subscriptions' queues) by subscription id. */
  readonly consumers = new Map<number, ConsumerBinding>();
  /** Delivers `$inbox/<inbox>/#` under subscription id 0 [protocol 3.3]. */
  private readonly inboxSubscription: Subscription = {
    subscriber: this, subId: INBOX_SUB_ID, pattern: `${INBOX_ROOT}/${this.inbox}/#`, qos: 'at-most-once', group: undefined,
  };
  messagesIn = 0;
  messagesOut = 0;
  dropped = 0;
  /** Messages per second in and out, sampled by the broker every RateMeter.SAMPLE_MS. */
  readonly rateIn = new RateMeter();
  readonly rateOut = new RateMeter();
  /** The protocol version agreed in the welcome (0 before it). */
  protocolVersion = 0;
  /** The client library its hello named. */
  agent: string | undefined;
  /** When the welcome was sent (open()), ms since the epoch; 0 before it. */
  connectedAt = 0;
  /** The id of the last message accepted from this client: its own publishes are in the causal past of its next [semantics 2.2]. */
  lastAccepted = 0;
  /** What was routed here through ordered subscriptions and not sent yet [protocol 2.17]. */
  readonly pendingWatch = new PendingWatch(() => this.orderedQueues());
  /** Who this connection speaks for; set by HELLO [docs/security.md]. */
  principal: Principal = OPEN_PRINCIPAL;
  /** Set by any traffic from the peer; cleared by each heartbeat ping. */
  isAlive = true;
  /** Its publish quota, stored messages in flight and unacked window [docs/security.md]. */
  readonly guard: ConnectionGuard;

  private builder: FrameBuilder | null = null;
  private nextBuilderBytes = 4096;
  /** Operations that came after HELLO while its credentials were checked. */
  private held: unknown[] = [];
  private readonly handshakeTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly ws: WebSocket,
    readonly peer: PeerInfo,
    readonly broker: BrokerContext,
  ) {
    this.guard = new ConnectionGuard(ws, broker.config.limits, broker.alarms);
    this.handshakeTimer = setTimeout(() => {
      this.fail(new OrdoError('ERR_HANDSHAKE', `no hello within ${broker.config.limits.handshakeTimeoutMs} ms`));
    }, broker.config.limits.handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('pong', () => { this.isAlive = true; });
    ws.on('close', () => this.onClose());
    ws.on('error', () => { /* 'close' follows; ws has already closed with the right status (e.g. 1009) */ });
  }

  /** Whether the handshake was done: open() was called, whatever the state now. */
  get wasOpened(): boolean {
    return this.connectedAt !== 0;
  }

  /** Marks the handshake done and starts delivering the inbox (called by the hello handler). */
  open(): void {
    clearTimeout(this.handshakeTimer);
    this.state = 'open';
    this.connectedAt = Date.now();
    this.broker.userConnections.add(this.principal.user);
    this.broker.router.add(this.inboxSubscription);
    logConnectionOpen(this.broker.log, this);
  }

  /** Samples the message counters for rateIn and rateOut (the broker's timer calls it). */
  sampleRates(at: number): void {
    this.rateIn.sample(this.messagesIn, at);
    this.rateOut.sample(this.messagesOut, at);
  }

  /** Runs the operations held while authenticating, in the order they came. */
  runHeld(): void {
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length && this.isReading; i++) this.run(held[i]);
  }

  /** `ip:port` of the peer. */
  get address(): string {
    return this.peer.address;
  }

  /** Bytes queued towards the peer and not yet written to its socket. */
  get queuedBytes(): number {
    return this.ws.bufferedAmount + (this.builder ? this.builder.byteLength : 0);
  }

  /** Bytes of deliveries queues have assigned to this connection and not yet sent (their commit is pending). */
  reservedBytes = 0;

  get canTakeMore(): boolean {
    return this.state === 'open' && this.queuedBytes + this.reservedBytes < this.broker.config.limits.maxOutboundBytes;
  }

  /** Queues a MESSAGE for subscription `subId`, or drops and counts it when the peer cannot keep up. */
  deliver(subId: number, tail: Uint8Array): boolean {
    if (this.state !== 'open' || this.queuedBytes + tail.length > this.broker.config.limits.maxOutboundBytes) {
      this.dropped++;
      this.broker.counters.dropped++;
      return false;
    }
    if (isOrderedTail(tail)) this.flushPending();
    this.frame().appendMessage(subId, tail);
    this.messagesOut++;
    this.broker.counters.messagesOut++;
    this.broker.counters.outAtMostOnce++;
    this.afterAppend();
    return true;
  }

  /** True when `subId` names a subscription or a consumer of this connection. */
  hasSubId(subId: number): boolean {
    return this.subscriptions.has(subId) || this.consumers.has(subId);
  }

  /**
   * Queues a MESSAGE of a stored message, with its delivery count (0: no ack
   * expected) and flags [protocol 2.10]. Never dropped: at-least-once
   * deliveries are bounded by the consumer's prefetch.
   */
  sendDelivery(subId: number, message: StoredMessage, deliveries: number, flags: number): void {
    if (this.state !== 'open') return;
    const { order } = message;
    const tail = deliveryEncoder.encode(
      shownTopic(message.topic), message.payload, message.headers, message.replyTo, message.id, message.publishedAt,
      order === undefined ? undefined : { deliveries, flags, order },
    );
    if (order === undefined) {
      this.frame().appendDelivery(subId, tail, deliveries, flags);
    } else {
      this.flushPending();
      this.frame().appendMessage(subId, tail);
    }
    this.messagesOut++;
    this.broker.counters.messagesOut++;
    if (deliveries === 0) this.broker.counters.outAtMostOnce++;
    this.afterAppend();
  }

  private *orderedQueues(): Iterable<DurableQueue> {
    for (const { queue, consumer } of this.consumers.values()) if (consumer.isOrdered) yield queue;
  }

  /** Sends PENDING [protocol 2.17] if what is routed here and not yet sent changed since it was last sent. */
  flushPending(): void {
    const lowest = this.pendingWatch.changed();
    if (lowest !== undefined) this.send([BrokerOp.pending, lowest]);
  }

  /**
   * Queues any operation (replies, errors). Replies are never dropped: a peer
   * that keeps asking without reading the answers is disconnected once twice
   * maxOutboundBytes are waiting for it, so it cannot grow the broker's memory.
   */
  send(op: readonly unknown[]): void {
    if (this.state === 'closed') return;
    if (this.queuedBytes > 2 * this.broker.config.limits.maxOutboundBytes) {
      this.abandon();
      return;
    }
    this.frame().appendEncoded(encodeValue(op));
    this.afterAppend();
  }

  /** Drops a peer that does not read: no goodbye, since it would not read that either. */
  private abandon(): void {
    this.state = 'closing';
    this.builder = null;
    this.ws.terminate();
  }

  /** Answers request `reqId` with ERR `code`. */
  replyError(reqId: number, code: ErrorCode, message?: string): void {
    this.send([BrokerOp.error, reqId, code, message ?? errorSpec(code).message]);
  }

  /**
   * Tells the client that the broker ended its subscription `subId`: an
   * ERROR with request id 0 that names the subscription [protocol 2.9].
   * The caller has already removed it.
   */
  endSubscription(subId: number, code: ErrorCode, message: string): void {
    this.send([BrokerOp.error, 0, code, message, subId]);
  }

  /** Sends the error, then closes the connection with the error's close status [protocol 1.3]. */
  fail(err: OrdoError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.send([BrokerOp.error, err.requestId ?? 0, err.code, err.message]);
    this.flush();
    this.state = 'closing';
    clearTimeout(this.handshakeTimer);
    this.guard.close();
    this.ws.close(errorSpec(err.code).closeCode ?? 1011, err.code);
  }

  /** Writes the frame being built, if any, to the socket. */
  flush(): void {
    const builder = this.builder;
    if (builder === null || builder.opCount === 0) return;
    this.builder = null;
    const frame = builder.take();
    this.nextBuilderBytes = Math.min(Math.max(frame.length, 4096), this.broker.config.limits.flushBytes * 2);
    if (this.ws.readyState === this.ws.OPEN) {
      this.broker.counters.bytesOut += frame.length;
      this.ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
    }
  }

  private frame(): FrameBuilder {
    return this.builder ??= new FrameBuilder(this.nextBuilderBytes);
  }

  private afterAppend(): void {
    if (this.builder!.byteLength >= this.broker.config.limits.flushBytes) this.flush();
    else if (this.builder!.opCount === 1) this.broker.scheduleFlush(this);
  }

  /** False once the connection is closing: the rest of a frame is ignored. */
  private get isReading(): boolean {
    return this.state === 'handshake' || this.state === 'authenticating' || this.state === 'open';
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.isAlive = true;
    this.broker.counters.bytesIn += data.length;
    if (!this.isReading) return;
    if (!isBinary) {
      this.fail(new OrdoError('ERR_BAD_FRAME', 'frames must be binary WebSocket messages'));
      return;
    }
    let ops: unknown[];
    try {
      ops = decodeFrame(data);
    } catch (err) {
      this.fail(err instanceof OrdoError ? err : new OrdoError('ERR_BAD_FRAME'));
      return;
    }
    for (let i = 0; i < ops.length && this.isReading; i++) {
      if (this.state !== 'authenticating') {
        this.run(ops[i]);
      } else if (this.held.push(ops[i]) > MAX_HELD_OPS) {
        this.fail(new OrdoError('ERR_HANDSHAKE', `more than ${MAX_HELD_OPS} operations sent before the welcome`));
      }
    }
  }

  private run(op: unknown): void {
    try {
      dispatch(this, op);
    } catch (err) {
      // A handler bug must not take the broker down; the peer learns of it, for the request it made.
      this.broker.counters.handlerErrors++;
      this.broker.log.error({ event: 'handler_error', connectionId: this.connectionId, op: Array.isArray(op) ? op[0] : undefined, err }, 'an operation\'s handler failed');
      this.replyError(requestIdOf(op), 'ERR_INTERNAL', (err as Error).message);
    }
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    if (this.wasOpened) this.broker.userConnections.remove(this.principal.user);
    this.state = 'closed';
    this.held = [];
    clearTimeout(this.handshakeTimer);
    this.guard.close();
    this.builder = null;
    this.broker.router.remove(this.inboxSubscription);
    for (const sub of this.subscriptions.values()) this.broker.router.remove(sub);
    this.subscriptions.clear();
    for (const { queue, consumer } of this.consumers.values()) {
      this.broker.durable.detach(queue, consumer).catch(() => { /* the broker is closing its store */ });
    }
    this.consumers.clear();
    this.broker.producerClaims.release(this.connectionId);
    this.broker.forget(this);
  }
}
