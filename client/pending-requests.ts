import type { OrdoError } from '../broker/errors/index.js';

/** A caller waiting for the broker's answer. */
export interface PendingRequest {
  resolve(result: unknown): void;
  reject(err: OrdoError): void;
}

/** Largest request id: ids are uint32 on the wire [protocol 1.7]. */
const MAX_ID = 0xffff_ffff;

/**
 * Callers waiting for answers, by id. Every entry leaves by settle() or
 * rejectAll(): the map never outlives the connection it was sent on.
 */
export class PendingRequests {
  private readonly waiting = new Map<number, PendingRequest>();
  private nextId = 1;

  /** A fresh request id (1 to 2^32 − 1, wrapping). */
  newId(): number {
    const id = this.nextId;
    this.nextId = id === MAX_ID ? 1 : id + 1;
    return id;
  }

  add(id: number, pending: PendingRequest): void {
    this.waiting.set(id, pending);
  }

  /** Settles request `id` with `err` or `result`; false when nobody waits for it. */
  settle(id: number, result: unknown, err: OrdoError | undefined): boolean {
    const pending = this.waiting.get(id);
    if (pending === undefined) return false;
    this.waiting.delete(id);
    if (err === undefined) pending.resolve(result);
    else pending.reject(err);
    return true;
  }

  /** Rejects everyone waiting. */
  rejectAll(err: OrdoError): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const pending of all) pending.reject(err);
  }
}
