import { OrdoError, type ErrorCode } from '../broker/errors/index.js';
import {
  BrokerOp, ClientOp, FrameBuilder, INBOX_SUB_ID, PROTOCOL_VERSIONS, binHeaderBytes, encodeMessageOp, encodeFrame, encodeValue,
  topicNameError, topicPatternError, visitFrame, type BrokerStats, type FrameVisitor, type Headers, type PublishWireOptions,
  type Qos, type SendWireOptions, type Welcome,
} from '../broker/protocol/index.js';
import { EMPTY_HEADERS, Message, messageFromOp, type DeliveryInfo } from './message.js';
import type {
  ConnectOptions, ConsumeOptions, PublishOptions, RequestOptions, SendOptions, SubscribeOptions,
} from './options.js';
import { Outbox, scheduleMacrotask } from './outbox.js';
import { ReplyInbox } from './reply-inbox.js';
import { Subscription, type MessageHandler, type SubscriptionOwner } from './subscription.js';
import { openTransport, type Transport } from './transport.js';
import { Reconnector } from './reconnector.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';
import { Unconfirmed } from './unconfirmed.js';
import { Acker } from './acker.js';
import { ByteSlab } from './byte-slab.js';
import { QueueAdmin } from './queue-admin.js';
import type { ClientState } from './client-events.js';
import { consumeWireOptions, errorFromClose, publishWireOptions, sendWireOptions, subscribeWireOptions } from './wire.js';
import { IdempotentProducer } from './producer.js';
import { Heartbeat } from './heartbeat.js';
import { ExactlyOnce } from './exactly-once.js';
import type { DedupStore } from './dedup/dedup-store.js';
import { MemoryDedupStore } from './dedup/memory-store.js';
import { OrderedDelivery } from './ordering/ordered-delivery.js';

const RESOLVED = Promise.resolve();
/**
 * Errors that end a connection and would end the next one the same way (the
 * client's version, credentials or handshake): the client gives up instead of
 * reconnecting. Any other close — a frame too large, a bad frame, a broker
 * going away — costs what was in flight, and a new connection is tried.
 */
const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_VERSION', 'ERR_UNAUTHORIZED', 'ERR_HANDSHAKE']);
const MAX_FRAME_FROM_BROKER = 256 * 1024 * 1024;
/** A publish operation's bytes besides topic, payload and options: array and code, reqId, two bin headers. */
const PUBLISH_OVERHEAD = 2 + 5 + 5 + 5;

/**
 * An Ordo client: one WebSocket to one broker, reconnected with backoff,
 * subscriptions renewed after each reconnect. Obtain one with connect().
 */
export class OrdoClient extends QueueAdmin implements SubscriptionOwner {
  state: ClientState = 'connecting';
  /** The broker's last welcome. */
  welcome: Welcome | undefined;

  private transport: Transport | undefined;
  private readonly outbox = new Outbox();
  private isFlushScheduled = false;
  private nextSubId = 1;
  private readonly requests = new PendingRequests();
  /** At-least-once publishes and sends waiting for their confirm; sent again after a reconnect. */
  private readonly unconfirmed = new Unconfirmed();
  private readonly acker = new Acker(this);
  /** Causal and total order: `after` of ordered publishes, and the hold-back of ordered subscriptions. */
  private readonly ordering = new OrderedDelivery();
  /** The connection's number, counted by welcomes: deliveries of an earlier connection cannot be acked. */
  epoch = 0;
  /** @internal The broker's heartbeat interval (its welcome's), ms. */
  get heartbeatMs(): number {
    return this.welcome?.heartbeatMs ?? 15_000;
  }
  private readonly subs = new Map<number, Subscription<any>>();
  /** subscribe() calls waiting for the broker's confirmation, by subscription id. */
  private readonly pendingSubscribes = new PendingRequests();
  private readonly replies: ReplyInbox;
  private readonly reconnector: Reconnector;
  private hasConnected = false;
  private endError: OrdoError | undefined;
  private readonly heartbeat = new Heartbeat(
    () => this.enqueue([ClientOp.ping, 0]),
    (reason) => this.transport?.terminate(reason),
  );
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where encoded publishes and sends are cut from: they live until their confirm (see ByteSlab). */
  private readonly slab = new ByteSlab();
  private readonly allocOp = (bytes: number): Uint8Array => this.slab.alloc(bytes);
  private drainWait: Promise<void> | undefined;
  private connectedWaiters: PendingRequest[] = [];
  private closeWaiter: (() => void) | undefined;
  private readonly opts: Required<Omit<ConnectOptions, 'clientId' | 'token' | 'producerId' | 'dedup'>> & ConnectOptions;
  /** This client as an idempotent publisher (set by start()). */
  private producer: IdempotentProducer | undefined;
  /** The dedup store of exactly-once subscriptions that name none, when the client was given none either. */
  private memoryDedup: MemoryDedupStore | undefined;

  constructor(readonly url: string, options: ConnectOptions = {}) {
    super();
    this.opts = {
      reconnect: true, waitOnFirstConnect: false, maxReconnectAttempts: Infinity, reconnectDelayMs: 100,
      maxReconnectDelayMs: 5000, connectTimeoutMs: 10_000, reconnectBufferBytes: 8 * 1024 * 1024,
      highWaterBytes: 1024 * 1024, requestTimeoutMs: 5000, ...options,
    };
    this.replies = new ReplyInbox(this);
    this.reconnector = new Reconnector(this.opts.reconnectDelayMs, this.opts.maxReconnectDelayMs);
  }

  /** True while publish() resolves at once (no need to wait for the socket to drain). */
  get isWritable(): boolean {
    if (this.state === 'connected') {
      return this.transport!.bufferedAmount + this.outbox.byteLength < this.opts.highWaterBytes;
    }
    return this.state !== 'closed' && this.outbox.byteLength < this.opts.reconnectBufferBytes;
  }

  /**
   * Publishes `payload` (any MessagePack value; bytes stay bytes) to `topic`.
   * At-most-once: resolves once the message is queued — at once, unless the
   * socket is above its high-water mark, then when it drained.
   */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new OrdoError('ERR_CLOSED'));
    const topicError = topicNameError(topic);
    if (topicError !== undefined) return Promise.reject(new OrdoError('ERR_BAD_TOPIC', topicError));
    // Bytes are written as a bin value without a trip through the encoder.
    const isRawBytes = payload instanceof Uint8Array;
    const body = isRawBytes ? payload : encodeValue(payload);
    const encodedLength = isRawBytes ? binHeaderBytes(body.length) + body.length : body.length;
    const maxPayload = this.welcome?.limits.maxPayloadBytes;
    if (maxPayload !== undefined && encodedLength > maxPayload) {
      return Promise.reject(new OrdoError('ERR_LIMIT', `payload of ${encodedLength} bytes exceeds the broker's ${maxPayload}`));
    }
    const optionsBytes = this.encodeOptions(publishWireOptions(options), options?.qos);
    const topicBytes = this.outbox.encodeTopic(topic);
    if (options?.qos === 'at-least-once' || options?.qos === 'exactly-once' || options?.retain) {
      return this.sendConfirmed((reqId) => encodeMessageOp(ClientOp.publish, reqId, topicBytes, body, isRawBytes, optionsBytes, this.allocOp)).then(this.ordering.sawConfirmed);
    }
    // Headers and replyTo count too: a frame the broker finds too large costs the whole connection (1009).
    const size = PUBLISH_OVERHEAD + topicBytes.length + encodedLength + (optionsBytes?.length ?? 1);
    const tooLarge = this.frameLimitError(size);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    if (this.state !== 'connected' && this.outbox.byteLength + size > this.opts.reconnectBufferBytes) {
      return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
    }
    this.makeRoom(size);
    this.outbox.appendPublish(this.requests.newId(), topicBytes, body, isRawBytes, optionsBytes, true);
    this.afterAppend();
    return this.isWritable ? RESOLVED : this.drained();
  }

  /**
   * Subscribes to `pattern`. With a handler, messages are passed to it in
   * order; without one, the returned subscription is an async iterable.
   * Resolves once the broker confirmed the subscription.
   */
  async subscribe<T = unknown>(pattern: string, handler?: MessageHandler<T>, options: SubscribeOptions = {}): Promise<Subscription<T>> {
    if (this.state === 'closed') throw new OrdoError('ERR_CLOSED');
    const patternError = topicPatternError(pattern);
    if (patternError !== undefined) throw new OrdoError('ERR_BAD_PATTERN', patternError);
    return this.startSubscription<T>(new Subscription<T>(this.nextSubId++, pattern, options, handler, this), options.dedup);
  }

  private async startSubscription<T>(sub: Subscription<T>, dedup: DedupStore | undefined): Promise<Subscription<T>> {
    if (sub.options.qos === 'exactly-once') sub.exactlyOnce = this.exactlyOnceFor(sub, dedup);
    if (sub.options.order === 'causal' || sub.options.order === 'total') sub.ordering = this.ordering;
    this.subs.set(sub.id, sub);
    const confirmed = new Promise<unknown>((resolve, reject) => this.pendingSubscribes.add(sub.id, { resolve, reject }));
    if (this.state === 'connected') this.sendSubscribe(sub);
    await confirmed;
    return sub;
  }

  /**
   * Sends an operation that waits for its confirm across reconnects (see
   * Unconfirmed); `build` makes it from its request id.
   */
  private sendConfirmed(encode: (reqId: number) => Uint8Array): Promise<unknown> {
    const reqId = this.requests.newId();
    const op = encode(reqId);
    const tooLarge = this.frameLimitError(op.length);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    if (this.state !== 'connected' && this.unconfirmed.byteLength + op.length > this.opts.reconnectBufferBytes) {
      return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
    }
    const order = this.outbox.reserveOrder();
    return new Promise((resolve, reject) => {
      this.unconfirmed.add(reqId, op, order, { resolve, reject });
      if (this.state === 'connected') this.enqueueEncoded(op, order);
    });
  }

  /** Sends a request and resolves with the first reply (ERR_TIMEOUT, ERR_NO_RESPONDERS otherwise). */
  request<T = unknown>(topic: string, payload: unknown, options: RequestOptions = {}): Promise<Message<T>> {
    return this.replies.request(topic, payload, options.timeoutMs ?? this.opts.requestTimeoutMs, options.headers);
  }

  /** Serves requests on `pattern`: the handler's return value is the reply; a throw replies with ERR_REMOTE. */
  reply<T = unknown>(pattern: string, handler: (msg: Message<T>) => unknown, options?: SubscribeOptions): Promise<Subscription<T>> {
    return this.subscribe<T>(pattern, (msg) => this.replies.serve(msg, handler), options);
  }

  /**
   * Sends `payload` to queue `queue`: one consumer gets it. At-least-once
   * (default): resolves once the broker committed it; refused with
   * ERR_NOT_FOUND (no such queue, when the broker does not create queues on
   * first use), ERR_LIMIT (the queue is full and rejects), ERR_BAD_REQUEST.
   */
  send(queue: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new OrdoError('ERR_CLOSED'));
    if (typeof queue !== 'string' || queue.length === 0) return Promise.reject(new OrdoError('ERR_BAD_REQUEST', 'a queue name is a non-empty string'));
    // Bytes are written as a bin value without a trip through the encoder.
    const isRawBytes = payload instanceof Uint8Array;
    const body = isRawBytes ? payload : encodeValue(payload);
    const optionsBytes = this.encodeOptions(sendWireOptions(options), options.qos);
    const queueBytes = this.outbox.encodeTopic(queue);
    if (options.qos === 'at-most-once') {
      const op = encodeMessageOp(ClientOp.send, 0, queueBytes, body, isRawBytes, optionsBytes, this.allocOp);
      const tooLarge = this.frameLimitError(op.length);
      if (tooLarge !== undefined) return Promise.reject(tooLarge);
      if (this.state !== 'connected' && this.outbox.byteLength + op.length > this.opts.reconnectBufferBytes) {
        return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
      }
      this.makeRoom(op.length);
      this.outbox.appendEncoded(op, true);
      this.afterAppend();
      return this.isWritable ? RESOLVED : this.drained();
    }
    return this.sendConfirmed((reqId) => encodeMessageOp(ClientOp.send, reqId, queueBytes, body, isRawBytes, optionsBytes, this.allocOp)).then(this.ordering.sawConfirmed);
  }

  /** A publish's or send's options as sent: with the producer's sequence (exactly-once) and `after` (causal, total). */
  private encodeOptions(plain: PublishWireOptions | SendWireOptions | null, qos: Qos | undefined): Uint8Array | null {
    const wire = qos === 'exactly-once' ? this.producer!.stamp(plain) : plain;
    return this.ordering.stamp(wire, wire === null ? null : encodeValue(wire));
  }

  /**
   * Consumes queue `queue`: deliveries are handed to the handler one at a
   * time (resolving acks, throwing nacks with requeue), or, without a
   * handler, iterated (a message not acked or nacked by the application is
   * acked when the next one is asked for). At most `prefetch` deliveries are
   * unacked at once. Resolves once the broker confirmed the consumer.
   */
  async consume<T = unknown>(queue: string, handler?: MessageHandler<T>, options: ConsumeOptions = {}): Promise<Subscription<T>> {
    if (this.state === 'closed') throw new OrdoError('ERR_CLOSED');
    if (typeof queue !== 'string' || queue.length === 0) throw new OrdoError('ERR_BAD_REQUEST', 'a queue name is a non-empty string');
    return this.startSubscription<T>(new Subscription<T>(this.nextSubId++, queue, options, handler, this, 'queue'), options.dedup);
  }

  /**
   * The exactly-once runner of a subscription, with the dedup store it names,
   * else the client's, else one in memory (exactly once only while this
   * process lives).
   */
  private exactlyOnceFor<T>(sub: Subscription<T>, dedup: DedupStore | undefined): ExactlyOnce<T> {
    const store = dedup ?? this.opts.dedup ?? (this.memoryDedup ??= new MemoryDedupStore());
    return ExactlyOnce.of(sub, store, () => this.welcome, (err) => this.emit('error', err));
  }

  /** Resolves once the broker has processed everything sent before. */
  async flush(): Promise<void> {
    await this.call([ClientOp.ping]);
  }

  /** The broker's statistics. */
  async stats(): Promise<BrokerStats> {
    return await this.call([ClientOp.stats]) as BrokerStats;
  }

  /** Sends what is queued, closes the connection and ends every subscription. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'connected') this.acker.flush();
    this.flushNow();
    const transport = this.transport;
    this.shutdown(undefined);
    if (transport === undefined) return;
    await new Promise<void>((resolve) => {
      // The timer only bounds the wait; cleared once closed, so it never keeps a process alive for 2 s.
      const timer = setTimeout(resolve, 2000);
      this.closeWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
      transport.close(1000, 'client closed');
    });
  }

  /** @internal Starts the first connection attempt; resolves on the first welcome. */
  start(): Promise<void> {
    this.producer = IdempotentProducer.create(this.opts.producerId);
    const first = this.whenConnected();
    void this.attempt();
    return first;
  }

  /** @internal */
  async unsubscribeById(id: number): Promise<void> {
    if (!this.subs.delete(id) || this.state !== 'connected') return;
    this.acker.flush();
    try {
      await this.call([ClientOp.unsubscribe], id);
    } catch (err) {
      if (!(err instanceof OrdoError) || (err.code !== 'ERR_NOT_FOUND' && err.code !== 'ERR_DISCONNECTED')) throw err;
    }
  }

  /** @internal */
  reportError(err: unknown): void {
    this.emit('error', err);
  }

  /**
   * @internal Sends an operation whose answer (OK, PONG or ERR) settles the
   * returned promise. Queued at once while connected (so operations keep the
   * order of the calls), after the next welcome otherwise.
   */
  call(head: unknown[], ...rest: unknown[]): Promise<unknown> {
    if (this.state !== 'connected') return this.whenConnected().then(() => this.call(head, ...rest));
    const reqId = this.requests.newId();
    const encoded = encodeValue([...head, reqId, ...rest]);
    const tooLarge = this.frameLimitError(encoded.length);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    return new Promise((resolve, reject) => {
      this.requests.add(reqId, { resolve, reject });
      this.enqueueEncoded(encoded);
    });
  }

  /** @internal As call(), but only on the current connection: ERR_DISCONNECTED when there is none. */
  callNow(head: unknown[], ...rest: unknown[]): Promise<unknown> {
    if (this.state !== 'connected') return Promise.reject(new OrdoError('ERR_DISCONNECTED', 'not connected: the broker gives unsettled deliveries back and delivers them again'));
    return this.call(head, ...rest);
  }

  /** The connection's private reply inbox id, named by the broker in its welcome. */
  get inboxId(): string | undefined {
    return this.replies.inboxId;
  }

  /** @internal Resolves once connected; rejects once closed. */
  whenConnected(): Promise<void> {
    if (this.state === 'connected') return RESOLVED;
    if (this.state === 'closed') return Promise.reject(new OrdoError('ERR_CLOSED'));
    return new Promise((resolve, reject) => this.connectedWaiters.push({ resolve: () => resolve(), reject }));
  }

  /** Queues any operation but a plain publish. */
  private enqueue(op: readonly unknown[]): void {
    this.enqueueEncoded(encodeValue(op));
  }

  private enqueueEncoded(encoded: Uint8Array, order?: number): void {
    this.makeRoom(encoded.length);
    this.outbox.appendEncoded(encoded, false, order);
    this.afterAppend();
  }

  /**
   * ERR_LIMIT when an operation of `bytes` could not travel in one frame: the
   * broker would close the whole connection for it (1009).
   */
  private frameLimitError(bytes: number): OrdoError | undefined {
    const maxFrame = this.welcome?.limits.maxFrameBytes;
    if (maxFrame === undefined || bytes + FrameBuilder.FIRST_OP_OFFSET <= maxFrame) return undefined;
    return new OrdoError('ERR_LIMIT', `an operation of ${bytes} bytes (payload, topic and headers) exceeds the broker's frame limit of ${maxFrame}`);
  }

  /** Sends the batch first when `bytes` more would take it past the broker's frame limit. */
  private makeRoom(bytes: number): void {
    const maxFrame = this.welcome?.limits.maxFrameBytes;
    if (maxFrame !== undefined && this.outbox.byteLength + bytes + FrameBuilder.FIRST_OP_OFFSET > maxFrame) this.flushNow();
  }

  /** Sends a full batch now, or makes sure the batch goes at the end of this macrotask. */
  private afterAppend(): void {
    if (this.state !== 'connected') return;
    if (this.outbox.isFull) this.flushNow();
    else if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      scheduleMacrotask(() => {
        this.isFlushScheduled = false;
        this.flushNow();
      });
    }
  }

  private flushNow(): void {
    if (this.state !== 'connected' || this.outbox.isEmpty) return;
    // More than one frame's worth is queued only after a reconnect: send it in frames the broker accepts.
    const maxBytes = this.welcome?.limits.maxFrameBytes ?? Infinity;
    do {
      const frame = this.outbox.take(maxBytes);
      if (frame !== undefined) this.transport!.send(frame);
    } while (!this.outbox.isEmpty);
    if (this.outbox.oversizedDropped > 0) {
      this.emit('error', new OrdoError('ERR_LIMIT', `${this.outbox.oversizedDropped} buffered publish(es) exceed this broker's frame limit of ${maxBytes} and were dropped`));
      this.outbox.oversizedDropped = 0;
    }
  }

  private drained(): Promise<void> {
    this.flushNow();
    if (this.state !== 'connected') return RESOLVED;
    return this.drainWait ??= this.transport!.drained(this.opts.highWaterBytes / 2).then(() => {
      this.drainWait = undefined;
    });
  }

  private sendSubscribe(sub: Subscription<any>): void {
    sub.requests++;
    const sent = sub.kind === 'queue'
      ? this.call([ClientOp.consume], sub.id, sub.pattern, consumeWireOptions(sub.options))
      : this.call([ClientOp.subscribe], sub.id, sub.pattern, subscribeWireOptions(sub.renewalOptions()));
    sent.then(
      (result) => {
        sub.confirm((result as { queue?: string } | null)?.queue ?? '');
        this.settleSubscribe(sub.id, undefined);
      },
      (err: OrdoError) => {
        if (err.code === 'ERR_DISCONNECTED') return; // renewed after the reconnect
        this.subs.delete(sub.id);
        sub.end();
        this.settleSubscribe(sub.id, err);
      },
    );
  }

  /** A renewed subscription the broker refused after a reconnect has nobody waiting: report it. */
  private settleSubscribe(id: number, err: OrdoError | undefined): void {
    if (!this.pendingSubscribes.settle(id, undefined, err) && err !== undefined) this.emit('error', err);
  }

  private async attempt(): Promise<void> {
    this.endError = undefined;
    let transport: Transport;
    try {
      transport = await openTransport(this.url, {
        onOpen: () => this.sendHello(),
        onFrame: (frame) => this.onFrame(frame),
        onClose: (code, reason) => this.onTransportClose(code, reason),
      }, { maxFrameBytes: MAX_FRAME_FROM_BROKER });
    } catch (err) {
      this.shutdown(new OrdoError('ERR_UNREACHABLE', `cannot connect to ${this.url}: ${(err as Error).message}`));
      return;
    }
    if (this.state === 'closed') { // close() came while the transport was loading
      transport.terminate('client closed');
      return;
    }
    this.transport = transport;
    this.connectTimer = setTimeout(() => {
      this.endError = new OrdoError('ERR_UNREACHABLE', `no welcome from ${this.url} within ${this.opts.connectTimeoutMs} ms`);
      this.transport?.terminate('connect timeout');
    }, this.opts.connectTimeoutMs);
  }

  private sendHello(): void {
    const hello = { version: [...PROTOCOL_VERSIONS], clientId: this.opts.clientId, token: this.opts.token, agent: 'ordo-js/0.1.0', producer: this.producer!.id };
    this.transport!.send(encodeFrame([[ClientOp.hello, hello]]));
  }

  private onFrame(frame: Uint8Array): void {
    this.heartbeat.onReceived();
    try {
      visitFrame(frame, this.frameVisitor);
    } catch (err) {
      this.emit('error', new OrdoError('ERR_BAD_FRAME', `undecodable frame from the broker: ${(err as Error).message}`));
      this.transport?.terminate('undecodable frame from the broker');
    }
  }

  private readonly frameVisitor: FrameVisitor = {
    message: (subId, topic, payload, seq, timestamp, deliveries, flags, order) => {
      this.deliver(subId, new Message(topic, payload, EMPTY_HEADERS, undefined, seq, timestamp, this.responder, this.deliveryInfo(subId, deliveries, flags), order));
    },
    other: (op) => { if (Array.isArray(op)) this.onOp(op); },
  };

  /** Hands a message to its subscription, or to the reply inbox (subscription id 0). */
  private deliver(subId: number, msg: Message): void {
    this.ordering.saw(msg.seq);
    const sub = this.subs.get(subId);
    if (sub !== undefined) sub.push(msg);
    else if (subId === INBOX_SUB_ID) this.replies.onReply(msg);
    // else: in flight when we unsubscribed
  }

  private onOp(op: unknown[]): void {
    switch (op[0]) {
      case BrokerOp.message:
        this.deliver(op[1] as number, messageFromOp(op, this.responder, this.deliveryInfo(op[1] as number, op[8] as number, op[9] as number)));
        return;
      case BrokerOp.pending:
        this.ordering.setPending(op[1] as number);
        return;
      case BrokerOp.ok:
      case BrokerOp.pong: {
        const result = op[0] === BrokerOp.ok ? op[2] : undefined;
        if (!this.requests.settle(op[1] as number, result, undefined)) this.unconfirmed.settle(op[1] as number, result, undefined);
        return;
      }
      case BrokerOp.error: {
        const err = OrdoError.fromWire(op[2], op[3], op[1] as number);
        if (err.isFatal) this.endError = err;
        const reqId = err.requestId ?? 0;
        if (!this.requests.settle(reqId, undefined, err) && !this.unconfirmed.settle(reqId, undefined, err) && !err.isFatal) {
          this.emit('error', err);
        }
        return;
      }
      case BrokerOp.welcome:
        this.onWelcome(op[1] as Welcome);
        return;
      default:
        return; // a newer broker's operation: ignore
    }
  }

  /** What a delivery needs to be acked: undefined for a plain at-most-once message. */
  private deliveryInfo(subId: number, deliveries: number | null | undefined, flags: number | null | undefined): DeliveryInfo | undefined {
    if (!deliveries && !flags) return undefined;
    return { subId, deliveries: deliveries ?? 0, flags: flags ?? 0, epoch: this.epoch, settler: this.acker };
  }

  private readonly responder = (replyTo: string, payload: unknown, headers?: Headers): Promise<void> =>
    this.publish(replyTo, payload, headers ? { headers } : undefined);

  private onWelcome(welcome: Welcome): void {
    clearTimeout(this.connectTimer);
    this.welcome = welcome;
    this.producer!.onWelcome(welcome);
    // Its own publishes of the last connection that it has no confirm for are below this.
    this.ordering.onWelcome(welcome.seq ?? 0);
    const isReconnect = this.hasConnected;
    this.hasConnected = true;
    this.reconnector.reset();
    this.replies.onWelcome(welcome.inbox);
    this.epoch++;
    this.setState('connected');
    // Subscriptions first, then what was published while away: a client
    // receives its own buffered publishes on its renewed subscriptions.
    // Unconfirmed at-least-once operations go again, in their order.
    const buffered = this.outbox.detach();
    for (const sub of this.subs.values()) this.sendSubscribe(sub);
    this.outbox.appendInOrder(buffered, this.unconfirmed.ops());
    this.flushNow();
    this.heartbeat.start(welcome.heartbeatMs);
    for (const w of this.connectedWaiters.splice(0)) w.resolve(undefined);
    this.emit(isReconnect ? 'reconnect' : 'connect', welcome);
  }

  private onTransportClose(code: number, reason: string): void {
    clearTimeout(this.connectTimer);
    this.heartbeat.stop();
    this.transport = undefined;
    this.drainWait = undefined;
    this.outbox.keepPlainPublishes();
    this.ordering.reset();
    this.requests.rejectAll(new OrdoError(this.state === 'closed' ? 'ERR_CLOSED' : 'ERR_DISCONNECTED'));
    if (this.state === 'closed') {
      this.closeWaiter?.();
      return;
    }
    const error = this.endError ?? errorFromClose(code, reason);
    if (this.state === 'connected') this.emit('disconnect', { code, reason, error });
    if (error !== undefined && REFUSALS.has(error.code)) return this.shutdown(error);
    if (!this.hasConnected && !this.opts.waitOnFirstConnect) {
      return this.shutdown(error ?? new OrdoError('ERR_UNREACHABLE', `cannot reach ${this.url}${reason ? `: ${reason}` : ''}`));
    }
    if (!this.opts.reconnect) return this.shutdown(error ?? new OrdoError('ERR_DISCONNECTED'));
    const delayMs = this.reconnector.nextDelay();
    if (this.reconnector.attempts > this.opts.maxReconnectAttempts) {
      return this.shutdown(new OrdoError('ERR_UNREACHABLE', `gave up on ${this.url} after ${this.opts.maxReconnectAttempts} attempts`));
    }
    this.setState('reconnecting');
    this.emit('reconnecting', { attempt: this.reconnector.attempts, delayMs });
    this.reconnector.schedule(delayMs, () => {
      if (this.state === 'reconnecting') void this.attempt();
    });
  }

  /** Ends the client for good: every waiter learns why. */
  private shutdown(error: OrdoError | undefined): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.connectTimer);
    this.heartbeat.stop();
    this.reconnector.cancel();
    const reason = error ?? new OrdoError('ERR_CLOSED');
    for (const w of this.connectedWaiters.splice(0)) w.reject(reason);
    this.pendingSubscribes.rejectAll(reason);
    for (const sub of this.subs.values()) sub.end();
    this.subs.clear();
    this.replies.cancelAll(reason);
    this.unconfirmed.rejectAll(reason);
    if (error !== undefined) this.requests.rejectAll(error);
    this.emit('close', { error });
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
