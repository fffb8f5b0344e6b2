/**
 * Which guarantees this broker can honour [semantics 6]: at-most-once with
 * fifo order, nothing retained. A publish or subscription asking for more gets
 * ERR_UNSUPPORTED with this reason rather than a silent downgrade; the
 * storage-backed guarantees widen it.
 */
export function unsupportedGuarantee(
  qos: string | null | undefined, order: string | null | undefined, retain: boolean, durable?: string | null,
): string | undefined {
  if (qos != null && qos !== 'at-most-once') return `qos '${qos}' is not supported yet; this broker delivers at-most-once`;
  if (order != null && order !== 'fifo') return `order '${order}' is not supported yet; this broker orders fifo`;
  if (retain) return 'retained messages are not supported yet';
  if (durable != null) return 'durable subscriptions are not supported yet';
  return undefined;
}
