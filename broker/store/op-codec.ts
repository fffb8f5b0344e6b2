/**
 * The compact binary form in which commit batches travel from SqliteStore
 * to its worker. Structured clone (postMessage's default) cost about four
 * times as much per op, and decoding it took over a quarter of the worker's
 * time (the windowed store bench went from 28k to 60k+ msg/s without it).
 * This encoding also copies payloads as it goes, so the caller may reuse
 * its buffers as soon as commit() returns, and the whole group travels as
 * one transferred ArrayBuffer (no copy between threads).
 *
 * Layout: per batch, a uint32 op count, then per op a one-byte tag and its
 * fields in a fixed order. Numbers are float64 (ids and times are safe
 * integers, exact in a double); strings and bytes are a uint32 length and
 * the UTF-8 or raw bytes; a nullable field has a 0/1 byte first. Headers,
 * queue settings and a user's roles travel as their JSON text, which is how
 * SQLite stores them.
 */
import type { StoreOp } from './store.js';

const TAGS = {
  putMessage: 1, putQueue: 2, deleteQueue: 3, addEntry: 4, deleteEntry: 5,
  setDeliveries: 6, setAvailableAt: 7, moveEntry: 8, purgeQueue: 9, setRetained: 10,
  putProducerSeq: 11, dropProducerSeqs: 12, putUser: 13, deleteUser: 14, putAclRule: 15, deleteAclRule: 16, putSetting: 17,
} as const satisfies Record<StoreOp['op'], number>;

/** First size of a group's buffer; it doubles as needed. Holds about 60 typical publishes. */
const INITIAL_BYTES = 16 * 1024;

/** Strings up to this length are tried as ASCII first (see writeAscii). */
const SHORT_STRING = 64;

/** Encodes the batches of one commit group into one buffer. */
export class OpEncoder {
  // allocUnsafeSlow: never a slice of Node's shared pool, so its ArrayBuffer can be transferred.
  private buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  /** The same bytes: V8 compiles DataView writes inline, where Buffer.writeDoubleLE is a call per number. */
  private view = new DataView(this.buf.buffer, 0, INITIAL_BYTES);
  private pos = 0;
  /** Ops added so far. */
  opCount = 0;

  /**
   * Appends one batch. Throws (leaving the encoder as it was) when an op is
   * not a StoreOp this encoder knows or a field has the wrong type.
   */
  add(ops: readonly StoreOp[]): void {
    const start = this.pos;
    try {
      this.room(4);
      this.view.setUint32(this.pos, ops.length, true);
      this.pos += 4;
      for (const op of ops) this.op(op);
      this.opCount += ops.length;
    } catch (err) {
      this.pos = start;
      throw err;
    }
  }

  /** The encoded bytes; the encoder must not be used afterwards (its buffer is meant to be transferred). */
  finish(): { readonly buffer: ArrayBuffer; readonly length: number } {
    return { buffer: this.buf.buffer as ArrayBuffer, length: this.pos };
  }

  private op(op: StoreOp): void {
    const tag = TAGS[op.op];
    if (tag === undefined) throw new TypeError(`unknown store op ${JSON.stringify(op.op)}`);
    this.room(1);
    this.buf[this.pos++] = tag;
    switch (op.op) {
      case 'putMessage': {
        const m = op.message;
        this.num(m.id); this.str(m.topic); this.bytes(m.payload);
        this.nullableStr(m.headers === null ? null : JSON.stringify(m.headers)); this.nullableStr(m.replyTo);
        this.num(m.publishedAt); this.nullableNum(m.expiresAt); this.num(m.priority);
        // Both null for a fifo message; a causal one has no scope.
        this.nullableNum(m.order === undefined ? null : m.order.dep); this.nullableStr(m.order?.scope ?? null);
        return;
      }
      case 'putQueue': this.str(op.queue.name); this.str(JSON.stringify(op.queue.settings)); this.num(op.queue.createdAt); return;
      case 'deleteQueue': this.str(op.name); return;
      case 'addEntry': {
        const e = op.entry;
        this.str(e.queue); this.num(e.messageId); this.num(e.priority); this.num(e.availableAt);
        this.nullableNum(e.expiresAt); this.num(e.deliveries);
        return;
      }
      case 'deleteEntry': this.str(op.queue); this.num(op.messageId); return;
      case 'setDeliveries': this.str(op.queue); this.num(op.messageId); this.num(op.deliveries); return;
      case 'setAvailableAt': this.str(op.queue); this.num(op.messageId); this.num(op.availableAt); return;
      case 'moveEntry':
        this.str(op.from); this.str(op.to); this.num(op.messageId);
        this.num(op.deliveries); this.nullableNum(op.expiresAt); this.num(op.availableAt);
        return;
      case 'purgeQueue': this.str(op.queue); return;
      case 'setRetained': this.str(op.topic); this.nullableNum(op.messageId); return;
      case 'putProducerSeq': {
        const r = op.record;
        this.str(r.producer); this.num(r.seq); this.num(r.messageId); this.bytes(r.digest); this.num(r.at);
        return;
      }
      case 'dropProducerSeqs': this.str(op.producer); this.nullableNum(op.below); return;
      case 'putUser': {
        const u = op.user;
        this.str(u.name); this.str(u.passwordHash); this.str(rolesJson(u.roles)); this.num(u.createdAt);
        return;
      }
      case 'deleteUser': this.str(op.name); return;
      case 'putAclRule': {
        const r = op.rule;
        this.num(r.id); this.str(r.subject); this.str(r.action); this.str(r.pattern); this.num(r.createdAt);
        return;
      }
      case 'deleteAclRule': this.num(op.id); return;
      case 'putSetting': this.str(op.key); this.str(op.value); return;
    }
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, 0, size);
  }

  private num(value: number): void {
    if (typeof value !== 'number') throw new TypeError(`expected a number, got ${typeof value}`);
    this.room(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  private nullableNum(value: number | null): void {
    this.room(1);
    this.buf[this.pos++] = value === null ? 0 : 1;
    if (value !== null) this.num(value);
  }

  private str(value: string): void {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got ${typeof value}`);
    this.room(4 + 3 * value.length); // a UTF-16 unit takes at most 3 UTF-8 bytes
    const length = value.length <= SHORT_STRING ? this.writeAscii(value, this.pos + 4) : -1;
    const written = length >= 0 ? length : this.buf.write(value, this.pos + 4);
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  /**
   * Writes a short ASCII string byte by byte (queue names and topics, in
   * every op: cheaper than a call into Buffer.write); -1 at the first
   * non-ASCII character, for Buffer.write to redo it as UTF-8.
   */
  private writeAscii(value: string, at: number): number {
    const buf = this.buf;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) return -1;
      buf[at + i] = c;
    }
    return value.length;
  }

  private nullableStr(value: string | null): void {
    this.room(1);
    this.buf[this.pos++] = value === null ? 0 : 1;
    if (value !== null) this.str(value);
  }

  private bytes(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new TypeError('expected a Uint8Array payload');
    this.room(4 + value.byteLength);
    this.view.setUint32(this.pos, value.byteLength, true);
    this.buf.set(value, this.pos + 4);
    this.pos += 4 + value.byteLength;
  }
}

/** A user's roles as JSON text; throws unless they are a list of strings (JSON.stringify would write anything). */
function rolesJson(roles: readonly string[]): string {
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw new TypeError('expected roles as a list of strings');
  return JSON.stringify(roles);
}

/**
 * An op as the worker applies it: StoreOp, except that headers, queue
 * settings and a user's roles are still their JSON text (SQLite stores that
 * text as is), and a message's order and a user are flat, as their columns
 * (orderDep null: no order).
 */
export type DecodedOp =
  | {
    readonly op: 'putMessage'; readonly id: number; readonly topic: string; readonly payload: Uint8Array; readonly headers: string | null; readonly replyTo: string | null;
    readonly publishedAt: number; readonly expiresAt: number | null; readonly priority: number; readonly orderDep: number | null; readonly orderScope: string | null;
  }
  | { readonly op: 'putQueue'; readonly name: string; readonly settings: string; readonly createdAt: number }
  | { readonly op: 'putUser'; readonly name: string; readonly passwordHash: string; readonly roles: string; readonly createdAt: number }
  | Exclude<StoreOp, { op: 'putMessage' } | { op: 'putQueue' } | { op: 'putUser' }>;

/** Decodes what OpEncoder wrote: the batches, in order. Payloads are views into `bytes`. */
export function decodeBatches(bytes: Uint8Array): DecodedOp[][] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const num = (): number => { pos += 8; return buf.readDoubleLE(pos - 8); };
  const str = (): string => { const n = buf.readUInt32LE(pos); pos += 4 + n; return buf.toString('utf8', pos - n, pos); };
  const flag = (): boolean => buf[pos++] === 1;
  const bin = (): Uint8Array => { const n = buf.readUInt32LE(pos); pos += 4 + n; return buf.subarray(pos - n, pos); };
  const batches: DecodedOp[][] = [];
  while (pos < buf.length) {
    const count = buf.readUInt32LE(pos);
    pos += 4;
    const batch: DecodedOp[] = [];
    for (let i = 0; i < count; i++) {
      // Object literals evaluate their fields in order: the reads follow the layout.
      switch (buf[pos++]) {
        case TAGS.putMessage: {
          batch.push({
            op: 'putMessage', id: num(), topic: str(), payload: bin(), headers: flag() ? str() : null, replyTo: flag() ? str() : null,
            publishedAt: num(), expiresAt: flag() ? num() : null, priority: num(), orderDep: flag() ? num() : null, orderScope: flag() ? str() : null,
          });
          break;
        }
        case TAGS.putQueue: batch.push({ op: 'putQueue', name: str(), settings: str(), createdAt: num() }); break;
        case TAGS.deleteQueue: batch.push({ op: 'deleteQueue', name: str() }); break;
        case TAGS.addEntry: {
          const entry = { queue: str(), messageId: num(), priority: num(), availableAt: num(), expiresAt: flag() ? num() : null, deliveries: num() };
          batch.push({ op: 'addEntry', entry });
          break;
        }
        case TAGS.deleteEntry: batch.push({ op: 'deleteEntry', queue: str(), messageId: num() }); break;
        case TAGS.setDeliveries: batch.push({ op: 'setDeliveries', queue: str(), messageId: num(), deliveries: num() }); break;
        case TAGS.setAvailableAt: batch.push({ op: 'setAvailableAt', queue: str(), messageId: num(), availableAt: num() }); break;
        case TAGS.moveEntry: batch.push({ op: 'moveEntry', from: str(), to: str(), messageId: num(), deliveries: num(), expiresAt: flag() ? num() : null, availableAt: num() }); break;
        case TAGS.purgeQueue: batch.push({ op: 'purgeQueue', queue: str() }); break;
        case TAGS.setRetained: batch.push({ op: 'setRetained', topic: str(), messageId: flag() ? num() : null }); break;
        case TAGS.putProducerSeq:
          batch.push({ op: 'putProducerSeq', record: { producer: str(), seq: num(), messageId: num(), digest: bin(), at: num() } });
          break;
        case TAGS.dropProducerSeqs: batch.push({ op: 'dropProducerSeqs', producer: str(), below: flag() ? num() : null }); break;
        case TAGS.putUser: batch.push({ op: 'putUser', name: str(), passwordHash: str(), roles: str(), createdAt: num() }); break;
        case TAGS.deleteUser: batch.push({ op: 'deleteUser', name: str() }); break;
        case TAGS.putAclRule:
          batch.push({ op: 'putAclRule', rule: { id: num(), subject: str(), action: str(), pattern: str(), createdAt: num() } });
          break;
        case TAGS.deleteAclRule: batch.push({ op: 'deleteAclRule', id: num() }); break;
        case TAGS.putSetting: batch.push({ op: 'putSetting', key: str(), value: str() }); break;
        default: throw new Error(`corrupt op batch: tag ${buf[pos - 1]} at byte ${pos - 1}`);
      }
    }
    batches.push(batch);
  }
  return batches;
}
