import { OrdoError, type ErrorCode } from '../broker/errors/index.js';
import {
  BrokerOp, ClientOp, INBOX_SUB_ID, PROTOCOL_VERSIONS, encodeFrame, encodeValue, topicPatternError, visitFrame,
  type BrokerStats, type FrameVisitor, type Headers, type Welcome,
} from '../broker/protocol/index.js';
import { EMPTY_HEADERS, Message, messageFromOp, type DeliveryInfo } from './message.js';
import type {
  ConnectOptions, ConsumeOptions, PublishOptions, RequestOptions, SendOptions, SubscribeOptions,
} from './options.js';
import { ReplyInbox } from './reply-inbox.js';
import { Subscription, type MessageHandler, type SubscriptionOwner } from './subscription.js';
import { openTransport, type Transport } from './transport.js';
import { Reconnector } from './reconnector.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';
import { Acker } from './acker.js';
import { QueueAdmin } from './queue-admin.js';
import type { ClientState } from './client-events.js';
import { consumeWireOptions, errorFromClose, subscribeWireOptions } from './wire.js';
import { IdempotentProducer } from './producer.js';
import { Heartbeat } from './heartbeat.js';
import { ExactlyOnce } from './exactly-once.js';
import type { DedupStore } from './dedup/dedup-store.js';
import { MemoryDedupStore } from './dedup/memory-store.js';
import { OrderedDelivery } from './ordering/ordered-delivery.js';
import { Publisher, type PublisherOwner } from './publisher.js';
import { AclAdmin, TokenAdmin, UserAdmin } from './security-admin.js';
import { BrokerAdmin } from './admin.js';

const RESOLVED = Promise.resolve();
/**
 * Errors that end a connection and would end the next one the same way (the
 * client's version, credentials or handshake): the client gives up instead of
 * reconnecting. Any other close — a frame too large, a bad frame, a broker
 * going away — costs what was in flight, and a new connection is tried.
 */
const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_VERSION', 'ERR_UNAUTHORIZED', 'ERR_HANDSHAKE']);
const MAX_FRAME_FROM_BROKER = 256 * 1024 * 1024;

/**
 * An Ordo client: one WebSocket to one broker, reconnected with backoff,
 * subscriptions renewed after each reconnect. Obtain one with connect().
 */
export class OrdoClient extends QueueAdmin implements SubscriptionOwner, PublisherOwner {
  state: ClientState = 'connecting';
  /** The broker's last welcome. */
  welcome: Welcome | undefined;

  private transport: Transport | undefined;
  private nextSubId = 1;
  private readonly requests = new PendingRequests();
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
  private connectedWaiters: PendingRequest[] = [];
  private closeWaiter: (() => void) | undefined;
  private readonly opts: Required<Omit<ConnectOptions, 'clientId' | 'token' | 'username' | 'password' | 'tls' | 'producerId' | 'dedup'>> & ConnectOptions;
  /** This client as an idempotent publisher (set by start()). */
  private producer: IdempotentProducer | undefined;
  /** The dedup store of exactly-once subscriptions that name none, when the client was given none either. */
  private memoryDedup: MemoryDedupStore | undefined;
  /** Publishes, sends and the batching every operation goes through. */
  private readonly publisher: Publisher;
  /** The broker's users (needs an administrator once authentication is on). */
  readonly users = new UserAdmin(this);
  /** The broker's ACL rules (needs an administrator once authentication is on). */
  readonly acl = new AclAdmin(this);
  /** Bearer tokens: for this connection's user, or, as an administrator, for any. */
  readonly tokens = new TokenAdmin(this);
  /** Connections, topics, subscriptions and backups (needs an administrator once authentication is on). */
  readonly admin = new BrokerAdmin(this);

  constructor(readonly url: string, options: ConnectOptions = {}) {
    super();
    this.opts = {
      reconnect: true, waitOnFirstConnect: false, maxReconnectAttempts: Infinity, reconnectDelayMs: 100,
      maxReconnectDelayMs: 5000, connectTimeoutMs: 10_000, reconnectBufferBytes: 8 * 1024 * 1024,
      highWaterBytes: 1024 * 1024, requestTimeoutMs: 5000, ...options,
    };
    this.replies = new ReplyInbox(this);
    this.publisher = new Publisher(this, this.opts, this.requests, this.ordering);
    this.reconnector = new Reconnector(this.opts.reconnectDelayMs, this.opts.maxReconnectDelayMs);
  }

  /** True while publish() resolves at once (no need to wait for the socket to drain). */
  get isWritable(): boolean {
    return this.publisher.isWritable;
  }

  /**
   * Publishes `payload` (any MessagePack value; bytes stay bytes) to `topic`.
   * At-most-once: resolves once the message is queued — at once, unless the
   * socket is above its high-water mark, then when it drained.
   */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void> {
    return this.publisher.publish(topic, payload, options);
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
    return this.publisher.send(queue, payload, options);
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
    this.publisher.flushNow();
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

  /** @internal The connection's transport while there is one. */
  currentTransport(): Transport | undefined {
    return this.transport;
  }

  /** @internal This client as an idempotent publisher (set by start()). */
  currentProducer(): IdempotentProducer {
    return this.producer!;
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
    const tooLarge = this.publisher.frameLimitError(encoded.length);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    return new Promise((resolve, reject) => {
      this.requests.add(reqId, { resolve, reject });
      this.publisher.enqueueEncoded(encoded);
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
    this.publisher.enqueueEncoded(encodeValue(op));
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
        // The broker pings even while it is not reading this socket (a publish quota): alive, if silent.
        onPing: () => this.heartbeat.onReceived(),
        onClose: (code, reason) => this.onTransportClose(code, reason),
      }, { maxFrameBytes: MAX_FRAME_FROM_BROKER, tls: this.opts.tls });
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
    const { clientId, token, username, password } = this.opts;
    const hello = { version: [...PROTOCOL_VERSIONS], clientId, token, username, password, agent: 'ordo-js/0.1.0', producer: this.producer!.id };
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
        if (!this.requests.settle(op[1] as number, result, undefined)) this.publisher.settle(op[1] as number, result, undefined);
        return;
      }
      case BrokerOp.error: {
        const err = OrdoError.fromWire(op[2], op[3], op[1] as number);
        if (err.isFatal) this.endError = err;
        if (op[1] === 0 && typeof op[4] === 'number') return this.endedByBroker(op[4], err);
        const reqId = err.requestId ?? 0;
        if (!this.requests.settle(reqId, undefined, err) && !this.publisher.settle(reqId, undefined, err) && !err.isFatal) {
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

  /**
   * The broker ended subscription `subId` (an administrator deleted it)
   * [protocol 2.9]: it ends here too, is not renewed after a reconnect, and
   * the client emits the error.
   */
  private endedByBroker(subId: number, err: OrdoError): void {
    const sub = this.subs.get(subId);
    if (sub !== undefined) {
      this.subs.delete(subId);
      sub.end();
    }
    this.emit('error', err);
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
    this.publisher.onWelcome(() => {
      for (const sub of this.subs.values()) this.sendSubscribe(sub);
    });
    this.heartbeat.start(welcome.heartbeatMs);
    for (const w of this.connectedWaiters.splice(0)) w.resolve(undefined);
    this.emit(isReconnect ? 'reconnect' : 'connect', welcome);
  }

  private onTransportClose(code: number, reason: string): void {
    clearTimeout(this.connectTimer);
    this.heartbeat.stop();
    this.transport = undefined;
    this.publisher.onDisconnect();
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
    this.publisher.onClosed(reason);
    if (error !== undefined) this.requests.rejectAll(error);
    this.emit('close', { error });
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
