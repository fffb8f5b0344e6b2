/**
 * Which guarantees this broker can honour [semantics 6]: at-most-once and
 * at-least-once, fifo order. A publish, send or subscription asking for more
 * (exactly-once, causal or total order) gets ERR_UNSUPPORTED with this reason
 * rather than a silent downgrade.
 */
export function unsupportedGuarantee(qos: string | null | undefined, order: string | null | undefined): string | undefined {
  if (qos === 'exactly-once') return "qos 'exactly-once' is not supported yet; this broker delivers at-most-once or at-least-once";
  if (order != null && order !== 'fifo') return `order '${order}' is not supported yet; this broker orders fifo`;
  return undefined;
}
