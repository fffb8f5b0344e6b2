/**
 * Which connection speaks for each idempotent producer id [semantics 1.3].
 * Two live clients under one producer id would number their messages from
 * the same sequence, and the broker would take the second message under a
 * sequence for a retry of the first: confirmed, never stored. So an id
 * belongs to one connection at a time. A HELLO naming it takes it over (a
 * reconnecting client must not wait for its dead connection's heartbeat to
 * run out), and an exactly-once publish or send under an id another
 * connection holds is refused (ERR_CONFLICT): the two clients see errors
 * instead of losing messages.
 *
 * Invariant: a connection holds only ids it named, and none once closed.
 */
export class ProducerClaims {
  /** Producer id → the connection holding it. */
  private readonly holders = new Map<string, string>();
  /** Connection → the ids it holds (to release them when it closes). */
  private readonly held = new Map<string, Set<string>>();

  /** `connectionId` takes `producer` over (HELLO). */
  take(producer: string, connectionId: string): void {
    const previous = this.holders.get(producer);
    if (previous !== undefined) this.held.get(previous)?.delete(producer);
    this.holders.set(producer, connectionId);
    let ids = this.held.get(connectionId);
    if (ids === undefined) this.held.set(connectionId, ids = new Set());
    ids.add(producer);
  }

  /**
   * Whether `connectionId` may publish as `producer`: it holds the id, or
   * nobody does (then it takes it). Otherwise the holder's connection id.
   */
  claim(producer: string, connectionId: string): true | string {
    const holder = this.holders.get(producer);
    if (holder === connectionId) return true;
    if (holder !== undefined) return holder;
    this.take(producer, connectionId);
    return true;
  }

  /** The connection closed: its ids are free. */
  release(connectionId: string): void {
    for (const producer of this.held.get(connectionId) ?? []) this.holders.delete(producer);
    this.held.delete(connectionId);
  }
}
