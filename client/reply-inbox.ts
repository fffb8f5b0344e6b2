import { OrdoError } from '../broker/errors/index.js';
import { ClientOp, INBOX_ROOT, encodeValue, topicNameError, type Headers } from '../broker/protocol/index.js';
import type { Message } from './message.js';

/** Header a responder sets when its handler failed; the requester rejects with ERR_REMOTE. */
export const ERROR_HEADER = 'ordo-error';

/** What the inbox needs of its client. */
export interface InboxOwner {
  whenConnected(): Promise<void>;
  call(head: unknown[], ...rest: unknown[]): Promise<unknown>;
}

interface PendingReply {
  resolve(msg: Message<any>): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  /** The inbox its reply is addressed to, once sent. */
  inbox: string | undefined;
}

/**
 * Request/reply over the connection's private inbox [protocol 3.3]: the
 * broker names the inbox in its welcome and delivers `$inbox/<id>/#` to this
 * connection alone (subscription id 0, no subscribe needed); each request
 * gets its own token below it. A request nobody subscribes to is answered
 * with ERR_NO_RESPONDERS at once.
 *
 * A new connection has a new inbox: requests still waiting when the
 * connection is lost fail with ERR_DISCONNECTED, since their replies would go
 * to the old one.
 */
export class ReplyInbox {
  private id: string | undefined;
  private nextToken = 1;
  private readonly pending = new Map<string, PendingReply>();

  constructor(private readonly owner: InboxOwner) {}

  /** The current connection's inbox id (from the welcome). */
  get inboxId(): string | undefined {
    return this.id;
  }

  /** A new connection's welcome named `inbox`. */
  onWelcome(inbox: string): void {
    this.id = inbox;
    for (const [token, pending] of this.pending) {
      if (pending.inbox !== undefined && pending.inbox !== inbox) {
        this.fail(token, new OrdoError('ERR_DISCONNECTED', 'the connection was lost before the reply came'));
      }
    }
  }

  request<T>(topic: string, payload: unknown, timeoutMs: number, headers: Headers | undefined): Promise<Message<T>> {
    const topicError = topicNameError(topic);
    if (topicError !== undefined) return Promise.reject(new OrdoError('ERR_BAD_TOPIC', topicError));
    const encoded = encodeValue(payload);
    const token = `${this.nextToken++}.${randomHex(8)}`;
    return new Promise<Message<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(token, new OrdoError('ERR_TIMEOUT', `no reply on '${topic}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer, inbox: undefined });
      // The inbox is the connection's: read it once there is a connection.
      this.owner.whenConnected().then(() => {
        const pending = this.pending.get(token);
        if (pending === undefined) return undefined;
        pending.inbox = this.id;
        return this.owner.call([ClientOp.publish], topic, encoded, { replyTo: `${INBOX_ROOT}/${this.id}/${token}`, confirm: true, headers });
      }).catch((err) => this.fail(token, err));
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

  /** A message delivered to the inbox (subscription id 0). */
  onReply(msg: Message): void {
    const token = msg.topic.slice(msg.topic.lastIndexOf('/') + 1);
    const pending = this.pending.get(token);
    if (pending === undefined) return; // timed out already, or a second reply
    this.pending.delete(token);
    clearTimeout(pending.timer);
    const failure = msg.headers[ERROR_HEADER];
    if (failure !== undefined) pending.reject(new OrdoError('ERR_REMOTE', failure));
    else pending.resolve(msg);
  }

  /** Rejects every request waiting for a reply. */
  cancelAll(err: OrdoError): void {
    for (const token of [...this.pending.keys()]) this.fail(token, err);
  }

  private fail(token: string, err: unknown): void {
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    this.pending.delete(token);
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}

/**
 * `bytes` random bytes as hex. Reply tokens are unguessable so a responder,
 * which sees one requester's replyTo, cannot forge replies to its other
 * requests.
 */
function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let hex = '';
  for (const b of buf) hex += b.toString(16).padStart(2, '0');
  return hex;
}
