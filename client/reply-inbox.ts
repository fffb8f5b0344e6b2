import { OrdoError } from '../broker/errors/index.js';
import { ClientOp, encodeValue, topicNameError, type Headers } from '../broker/protocol/index.js';
import type { Message } from './message.js';
import type { Subscription } from './subscription.js';

/** Header a responder sets when its handler failed; the requester rejects with ERR_REMOTE. */
export const ERROR_HEADER = 'ordo-error';

/** What the inbox needs of its client. */
export interface InboxOwner {
  subscribe(pattern: string, handler: (msg: Message) => unknown): Promise<Subscription>;
  call(head: unknown[], ...rest: unknown[]): Promise<unknown>;
}

interface PendingReply {
  resolve(msg: Message<any>): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Request/reply over a private inbox [protocol 3.3]: one wildcard
 * subscription `$inbox/<id>/+` per client, one token per request. The broker
 * lets only this client subscribe under its inbox id, and answers a request
 * nobody subscribes to with ERR_NO_RESPONDERS at once.
 */
export class ReplyInbox {
  readonly id = randomId();
  private subscription: Promise<Subscription> | undefined;
  private nextToken = 1;
  private readonly pending = new Map<string, PendingReply>();

  constructor(private readonly owner: InboxOwner) {}

  request<T>(topic: string, payload: unknown, timeoutMs: number, headers: Headers | undefined): Promise<Message<T>> {
    const topicError = topicNameError(topic);
    if (topicError !== undefined) return Promise.reject(new OrdoError('ERR_BAD_TOPIC', topicError));
    const token = String(this.nextToken++);
    const replyTo = `$inbox/${this.id}/${token}`;
    return new Promise<Message<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(token, new OrdoError('ERR_TIMEOUT', `no reply on '${topic}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      this.send(topic, payload, replyTo, headers).catch((err) => this.fail(token, err));
    });
  }

  /** Runs a service handler and publishes its result (or its failure) to the requester. */
  async serve<T>(msg: Message<T>, handler: (msg: Message<T>) => unknown): Promise<void> {
    let result: unknown;
    try {
      result = await handler(msg);
    } catch (err) {
      await msg.respond(null, { [ERROR_HEADER]: err instanceof Error ? err.message : String(err) });
      return;
    }
    await msg.respond(result);
  }

  /** Rejects every request waiting for a reply. */
  cancelAll(err: OrdoError): void {
    for (const token of [...this.pending.keys()]) this.fail(token, err);
  }

  private async send(topic: string, payload: unknown, replyTo: string, headers: Headers | undefined): Promise<void> {
    try {
      await (this.subscription ??= this.owner.subscribe(`$inbox/${this.id}/+`, (msg) => this.onReply(msg)));
    } catch (err) {
      this.subscription = undefined;
      throw err;
    }
    await this.owner.call([ClientOp.publish], topic, encodeValue(payload), { replyTo, confirm: true, headers });
  }

  private onReply(msg: Message): void {
    const token = msg.topic.slice(msg.topic.lastIndexOf('/') + 1);
    const pending = this.pending.get(token);
    if (pending === undefined) return; // timed out already, or a second reply
    this.pending.delete(token);
    clearTimeout(pending.timer);
    const failure = msg.headers[ERROR_HEADER];
    if (failure !== undefined) pending.reject(new OrdoError('ERR_REMOTE', failure));
    else pending.resolve(msg);
  }

  private fail(token: string, err: unknown): void {
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    this.pending.delete(token);
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}

/** 128 random bits as hex; crypto.getRandomValues exists in Node 20 and every browser. */
function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
