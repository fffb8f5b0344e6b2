/**
 * Which guarantees this broker can honour [semantics 6]: every delivery
 * guarantee, fifo order. A publish, send or subscription asking for causal
 * or total order gets ERR_UNSUPPORTED with this reason rather than a silent
 * downgrade.
 */
export function unsupportedOrder(order: string | null | undefined): string | undefined {
  if (order != null && order !== 'fifo') return `order '${order}' is not supported yet; this broker orders fifo`;
  return undefined;
}
