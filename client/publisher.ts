import { OrdoError } from '../broker/errors/index.js';
import {
  ClientOp, FrameBuilder, binHeaderBytes, encodeMessageOp, encodeValue, topicNameError,
  type PublishWireOptions, type Qos, type SendWireOptions, type Welcome,
} from '../broker/protocol/index.js';
import { ByteSlab } from './byte-slab.js';
import type { ClientState } from './client-events.js';
import type { PublishOptions, SendOptions } from './options.js';
import type { OrderedDelivery } from './ordering/ordered-delivery.js';
import { Outbox, scheduleMacrotask, type OutboxContent } from './outbox.js';
import type { PendingRequests } from './pending-requests.js';
import type { IdempotentProducer } from './producer.js';
import type { Transport } from './transport.js';
import { Unconfirmed } from './unconfirmed.js';
import { publishWireOptions, sendWireOptions } from './wire.js';

const RESOLVED = Promise.resolve();
/** A publish operation's bytes besides topic, payload and options: array and code, reqId, two bin headers. */
const PUBLISH_OVERHEAD = 2 + 5 + 5 + 5;

/** What the publisher needs of its client. */
export interface PublisherOwner {
  readonly state: ClientState;
  /** The broker's last welcome: its frame and payload limits. */
  readonly welcome: Welcome | undefined;
  /** The connection's transport while there is one. */
  currentTransport(): Transport | undefined;
  /** The client as an idempotent publisher (exactly-once publishes and sends). */
  currentProducer(): IdempotentProducer;
  reportError(err: unknown): void;
}

/** The client's byte budgets (see ConnectOptions). */
export interface PublisherLimits {
  highWaterBytes: number;
  reconnectBufferBytes: number;
}

/**
 * The client's way out: publishes and sends, and the batching every
 * operation goes through. Operations are encoded once, into the frame that
 * will carry them (Outbox), and sent one frame per macrotask or sooner when
 * the batch is large. At-least-once operations wait in Unconfirmed for their
 * confirm and go again after a reconnect, in the order they were first made;
 * plain publishes made while disconnected wait in the outbox, both up to the
 * reconnect buffer.
 *
 * Invariant: nothing is written to the transport unless the owner is
 * 'connected'; nothing larger than the broker's frame limit is queued (the
 * broker would close the whole connection for it, 1009).
 */
export class Publisher {
  private readonly outbox = new Outbox();
  /** At-least-once publishes and sends waiting for their confirm; sent again after a reconnect. */
  private readonly unconfirmed = new Unconfirmed();
  private isFlushScheduled = false;
  /** Where encoded publishes and sends are cut from: they live until their confirm (see ByteSlab). */
  private readonly slab = new ByteSlab();
  private readonly allocOp = (bytes: number): Uint8Array => this.slab.alloc(bytes);
  private drainWait: Promise<void> | undefined;

  constructor(
    private readonly owner: PublisherOwner,
    private readonly limits: PublisherLimits,
    private readonly requests: PendingRequests,
    /** Causal and total order: stamps `after` on ordered publishes, and learns of their confirms. */
    private readonly ordering: OrderedDelivery,
  ) {}

  /** True while publish() resolves at once (no need to wait for the socket to drain). */
  get isWritable(): boolean {
    if (this.owner.state === 'connected') {
      return this.owner.currentTransport()!.bufferedAmount + this.outbox.byteLength < this.limits.highWaterBytes;
    }
    return this.owner.state !== 'closed' && this.outbox.byteLength < this.limits.reconnectBufferBytes;
  }

  /** See OrdoClient.publish. */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void> {
    if (this.owner.state === 'closed') return Promise.reject(new OrdoError('ERR_CLOSED'));
    const topicError = topicNameError(topic);
    if (topicError !== undefined) return Promise.reject(new OrdoError('ERR_BAD_TOPIC', topicError));
    // Bytes are written as a bin value without a trip through the encoder.
    const isRawBytes = payload instanceof Uint8Array;
    const body = isRawBytes ? payload : encodeValue(payload);
    const encodedLength = isRawBytes ? binHeaderBytes(body.length) + body.length : body.length;
    const maxPayload = this.owner.welcome?.limits.maxPayloadBytes;
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
    if (this.owner.state !== 'connected' && this.outbox.byteLength + size > this.limits.reconnectBufferBytes) {
      return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
    }
    this.makeRoom(size);
    this.outbox.appendPublish(this.requests.newId(), topicBytes, body, isRawBytes, optionsBytes, true);
    this.afterAppend();
    return this.isWritable ? RESOLVED : this.drained();
  }

  /** See OrdoClient.send. */
  send(queue: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    if (this.owner.state === 'closed') return Promise.reject(new OrdoError('ERR_CLOSED'));
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
      if (this.owner.state !== 'connected' && this.outbox.byteLength + op.length > this.limits.reconnectBufferBytes) {
        return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
      }
      this.makeRoom(op.length);
      this.outbox.appendEncoded(op, true);
      this.afterAppend();
      return this.isWritable ? RESOLVED : this.drained();
    }
    return this.sendConfirmed((reqId) => encodeMessageOp(ClientOp.send, reqId, queueBytes, body, isRawBytes, optionsBytes, this.allocOp)).then(this.ordering.sawConfirmed);
  }

  /**
   * Sends an operation that waits for its confirm across reconnects (see
   * Unconfirmed); `encode` makes it from its request id.
   */
  private sendConfirmed(encode: (reqId: number) => Uint8Array): Promise<unknown> {
    const reqId = this.requests.newId();
    const op = encode(reqId);
    const tooLarge = this.frameLimitError(op.length);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    if (this.owner.state !== 'connected' && this.unconfirmed.byteLength + op.length > this.limits.reconnectBufferBytes) {
      return Promise.reject(new OrdoError('ERR_BUFFER_FULL', 'disconnected, and the reconnect buffer is full'));
    }
    const order = this.outbox.reserveOrder();
    return new Promise((resolve, reject) => {
      this.unconfirmed.add(reqId, op, order, { resolve, reject });
      if (this.owner.state === 'connected') this.enqueueEncoded(op, order);
    });
  }

  /** A publish's or send's options as sent: with the producer's sequence (exactly-once) and `after` (causal, total). */
  private encodeOptions(plain: PublishWireOptions | SendWireOptions | null, qos: Qos | undefined): Uint8Array | null {
    const wire = qos === 'exactly-once' ? this.owner.currentProducer().stamp(plain) : plain;
    return this.ordering.stamp(wire, wire === null ? null : encodeValue(wire));
  }

  /** Settles an at-least-once operation's confirm or refusal; false when `reqId` is not one. */
  settle(reqId: number, result: unknown, err: OrdoError | undefined): boolean {
    return this.unconfirmed.settle(reqId, result, err);
  }

  /** Queues an encoded operation; `order`, when it was given its place before. */
  enqueueEncoded(encoded: Uint8Array, order?: number): void {
    this.makeRoom(encoded.length);
    this.outbox.appendEncoded(encoded, false, order);
    this.afterAppend();
  }

  /**
   * ERR_LIMIT when an operation of `bytes` could not travel in one frame: the
   * broker would close the whole connection for it (1009).
   */
  frameLimitError(bytes: number): OrdoError | undefined {
    const maxFrame = this.owner.welcome?.limits.maxFrameBytes;
    if (maxFrame === undefined || bytes + FrameBuilder.FIRST_OP_OFFSET <= maxFrame) return undefined;
    return new OrdoError('ERR_LIMIT', `an operation of ${bytes} bytes (payload, topic and headers) exceeds the broker's frame limit of ${maxFrame}`);
  }

  /** Sends the batch first when `bytes` more would take it past the broker's frame limit. */
  private makeRoom(bytes: number): void {
    const maxFrame = this.owner.welcome?.limits.maxFrameBytes;
    if (maxFrame !== undefined && this.outbox.byteLength + bytes + FrameBuilder.FIRST_OP_OFFSET > maxFrame) this.flushNow();
  }

  /** Sends a full batch now, or makes sure the batch goes at the end of this macrotask. */
  private afterAppend(): void {
    if (this.owner.state !== 'connected') return;
    if (this.outbox.isFull) this.flushNow();
    else if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      scheduleMacrotask(() => {
        this.isFlushScheduled = false;
        this.flushNow();
      });
    }
  }

  /** Writes everything queued to the transport, in frames the broker accepts. */
  flushNow(): void {
    if (this.owner.state !== 'connected' || this.outbox.isEmpty) return;
    const transport = this.owner.currentTransport()!;
    // More than one frame's worth is queued only after a reconnect: send it in frames the broker accepts.
    const maxBytes = this.owner.welcome?.limits.maxFrameBytes ?? Infinity;
    do {
      const frame = this.outbox.take(maxBytes);
      if (frame !== undefined) transport.send(frame);
    } while (!this.outbox.isEmpty);
    if (this.outbox.oversizedDropped > 0) {
      this.owner.reportError(new OrdoError('ERR_LIMIT', `${this.outbox.oversizedDropped} buffered publish(es) exceed this broker's frame limit of ${maxBytes} and were dropped`));
      this.outbox.oversizedDropped = 0;
    }
  }

  private drained(): Promise<void> {
    this.flushNow();
    if (this.owner.state !== 'connected') return RESOLVED;
    return this.drainWait ??= this.owner.currentTransport()!.drained(this.limits.highWaterBytes / 2).then(() => {
      this.drainWait = undefined;
    });
  }

  /**
   * After a welcome: `renew` queues the subscriptions first, then what was
   * published while away goes, merged with the unconfirmed operations in
   * their first order — so a client receives its own buffered publishes on
   * its renewed subscriptions [semantics 2.1].
   */
  onWelcome(renew: () => void): void {
    const buffered: OutboxContent = this.outbox.detach();
    renew();
    this.outbox.appendInOrder(buffered, this.unconfirmed.ops());
    this.flushNow();
  }

  /** After a lost connection: plain publishes stay for the next one; requests are re-issued by their owners. */
  onDisconnect(): void {
    this.drainWait = undefined;
    this.outbox.keepPlainPublishes();
  }

  /** The client closed for good: every unconfirmed operation learns why. */
  onClosed(reason: OrdoError): void {
    this.unconfirmed.rejectAll(reason);
  }
}
