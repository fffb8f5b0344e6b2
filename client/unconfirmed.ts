import type { OrdoError } from '../broker/errors/index.js';
import type { OrderedOp } from './outbox.js';
import type { PendingRequest } from './pending-requests.js';

interface Entry extends PendingRequest, OrderedOp {}

/**
 * At-least-once publishes and sends waiting for the broker's confirm, by
 * request id, in the order they were made. Unlike other requests they
 * survive a lost connection: after the next welcome every one is sent again,
 * in order (a confirm lost with the connection makes a duplicate, which
 * at-least-once allows). They leave by their confirm (or refusal), or when
 * the client closes.
 */
export class Unconfirmed {
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the operations waiting (for the reconnect buffer limit). */
  get byteLength(): number {
    return this.bytes;
  }

  /** `op`: the whole operation, encoded with its request id (sent again as is); `order`: its place among the client's operations. */
  add(reqId: number, op: Uint8Array, order: number, pending: PendingRequest): void {
    this.entries.set(reqId, { op, order, resolve: pending.resolve, reject: pending.reject });
    this.bytes += op.length;
  }

  /** Settles `reqId`; false when it is not an unconfirmed operation. */
  settle(reqId: number, result: unknown, err: OrdoError | undefined): boolean {
    const entry = this.entries.get(reqId);
    if (entry === undefined) return false;
    this.entries.delete(reqId);
    this.bytes -= entry.op.length;
    if (err === undefined) entry.resolve(result);
    else entry.reject(err);
    return true;
  }

  /** Every operation still waiting, oldest first. */
  ops(): OrderedOp[] {
    return [...this.entries.values()];
  }

  rejectAll(err: OrdoError): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.bytes = 0;
    for (const entry of all) entry.reject(err);
  }
}
