/**
 * The ordering section of the report: the cost of causal and total order
 * against fifo at each guarantee, and the size of the ordering metadata per
 * message with 10, 100 and 1,000 publishers beside a vector clock's.
 */
import { alignColumns, formatInteger } from '../report.js';
import type { CostPlan, OrderingCostRow } from './cost.js';
import type { ByteStats, MetadataPlan, MetadataRow } from './metadata.js';

const DASH = '–';

/** Both tables, or what of them ran. */
export function formatOrderingReport(cost: readonly OrderingCostRow[], costPlan: CostPlan, metadata: readonly MetadataRow[], metadataPlan: MetadataPlan): string {
  return [
    cost.length > 0 ? formatOrderingCost(cost, costPlan) : '',
    metadata.length > 0 ? formatOrderingMetadata(metadata, metadataPlan) : '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/**
 * guarantee | order | rate | rate ÷ fifo | p99 µs one in flight | p99 ÷ fifo |
 * p99 ms in bursts | lost | dup | reordered | causal and total violations |
 * server and client CPU µs per delivery | note.
 */
export function formatOrderingCost(rows: readonly OrderingCostRow[], plan: CostPlan): string {
  const header = [
    'guarantee', 'order', 'rate (msg/s)', '÷ fifo', 'p99 µs, 1 in flight (n)', '÷ fifo', 'p99 ms, bursts',
    'lost', 'dup', 'reordered', 'causal viol.', 'total viol.', 'srv CPU µs/msg', 'client CPU µs/msg', 'note',
  ];
  const lines = rows.map((r) => {
    const fifo = rows.find((other) => other.qos === r.qos && other.order === 'fifo' && other.error === undefined);
    const isFifo = r.order === 'fifo';
    return [
      r.qos,
      r.order,
      r.rate === undefined ? DASH : formatInteger(r.rate),
      isFifo ? '' : formatRatio(r.rate, fifo?.rate),
      r.p99Us === undefined ? DASH : `${formatInteger(r.p99Us)} (${formatInteger(r.latencySamples ?? 0)})`,
      isFifo ? '' : formatRatio(r.p99Us, fifo?.p99Us),
      r.burstP99Ms === undefined ? DASH : formatMs(r.burstP99Ms),
      r.delivery === undefined ? DASH : formatInteger(r.delivery.lost),
      r.delivery === undefined ? DASH : formatInteger(r.delivery.duplicated),
      r.delivery === undefined ? DASH : formatInteger(r.delivery.reordered),
      r.orderChecks === undefined ? DASH : formatInteger(r.orderChecks.causalViolations),
      r.orderChecks === undefined || r.order !== 'total' ? DASH : formatInteger(r.orderChecks.totalInversions + r.orderChecks.totalDisagreements),
      r.serverCpuUs === undefined ? DASH : r.serverCpuUs.toFixed(2),
      r.clientCpuUs === undefined ? DASH : r.clientCpuUs.toFixed(2),
      noteOf(r),
    ];
  });
  const title = [
    `Ordering cost, Ordo only (the peers have no causal or total order): ${plan.publishers} publishers → ${plan.subscribers} subscribers on one topic,`,
    `${plan.payloadBytes}-byte payloads, each subscriber subscribed with the same order (the SDK's hold-back runs); rate = deliveries/s, median of ${plan.runs} bursts`,
    `taken in turn across fifo, causal and total; ÷ fifo = this row ÷ fifo at the same guarantee (rate: below 1× is slower; p99: above 1× is slower);`,
    `p99 µs, 1 in flight = publish → each subscriber's handler, one message at a time (n samples); p99 ms, bursts = publish → handler of every burst delivery;`,
    `causal viol. = handled before a message with seq ≤ its dep handled later; total viol. = seq order broken in the scope, or subscribers disagreeing`,
  ].join('\n');
  const isRight = [false, false, true, true, true, true, true, true, true, true, true, true, true, true, false];
  return `${title}\n${alignColumns([header, ...lines], isRight)}`;
}

/** order | publishers | messages | MESSAGE order | PUBLISH after | PUBLISH order | MESSAGE op | vector clock dense | sparse | note. */
export function formatOrderingMetadata(rows: readonly MetadataRow[], plan: MetadataPlan): string {
  const header = [
    'order', 'publishers', 'messages', 'MESSAGE order B', 'PUBLISH after B', 'PUBLISH order B', 'MESSAGE op B',
    'vector clock B (computed)', 'sparse VC B (computed)', 'note',
  ];
  const lines = rows.map((r) => [
    r.order,
    formatInteger(r.publishers),
    formatInteger(r.messages),
    formatBytes(r.messageOrder),
    formatBytes(r.publishAfter),
    formatBytes(r.publishOrder),
    formatBytes(r.messageOp),
    formatBytes(r.vectorClock),
    formatBytes(r.vectorClockSparse),
    r.error === undefined ? '' : `failed: ${r.error}`,
  ]);
  const title = [
    `Ordering metadata per message, measured on the wire (bytes, mean / max): N publishers in a ring, each subscribed to its predecessor with the same order,`,
    `${plan.tokens} tokens once round it (a publish follows the predecessor's message, so after a lap every publisher is in its causal past); at-most-once, 16-byte payloads`,
  ].join('\n');
  const isRight = [false, true, true, true, true, true, true, true, true, false];
  const notes = [
    "MESSAGE order = MESSAGE's 11th element, {dep} (causal) or {dep, scope} (total, scope 'default' here); PUBLISH after / order = the option, key and value.",
    'dep and after are one MessagePack uint each, 1 to 9 bytes by the message id, whatever the number of publishers: {dep} is at most 14 bytes.',
    'vector clock (computed, not sent): the same messages in a vector-clock design, a MessagePack map publisher number (0…N−1) → counter over every',
    "publisher; sparse VC: only the publishers in the message's causal past. Real publisher ids (strings) as keys would take more.",
  ];
  const ids = rows.filter((r) => r.lowestSeq !== undefined && r.highestSeq !== undefined);
  if (ids.length > 0) {
    const lowest = Math.min(...ids.map((r) => r.lowestSeq!));
    const highest = Math.max(...ids.map((r) => r.highestSeq!));
    notes.push(`Message ids delivered in these runs: ${formatInteger(lowest)} to ${formatInteger(highest)} (the runs start past 65,535, so dep is a uint 32 for every N).`);
  }
  const summary = summarizeMetadata(rows);
  return `${title}\n${alignColumns([header, ...lines], isRight)}\n${[...notes, ...summary].join('\n')}`;
}

/**
 * One line per order: the mean `order` element and the mean dense vector
 * clock at the fewest and the most publishers that ran, e.g. "causal: order
 * metadata 7.0 B at 10 publishers, 7.0 B at 1,000 (×1.00); vector clock
 * 21.0 B → 3,890.0 B (×185)".
 */
export function summarizeMetadata(rows: readonly MetadataRow[]): string[] {
  const orders = [...new Set(rows.map((r) => r.order))];
  const lines: string[] = [];
  for (const order of orders) {
    const measured = rows
      .filter((r) => r.order === order && r.messageOrder !== undefined && r.vectorClock !== undefined)
      .sort((a, b) => a.publishers - b.publishers);
    if (measured.length < 2) continue;
    const [first, last] = [measured[0], measured[measured.length - 1]];
    const own = [first.messageOrder!.avg, last.messageOrder!.avg];
    const vc = [first.vectorClock!.avg, last.vectorClock!.avg];
    lines.push(
      `${order}: order metadata ${own[0].toFixed(1)} B at ${formatInteger(first.publishers)} publishers, ${own[1].toFixed(1)} B at ${formatInteger(last.publishers)}` +
        ` (${formatRatio(own[1], own[0])}); a vector clock would take ${vc[0].toFixed(1)} B → ${formatInteger(vc[1])} B (${formatRatio(vc[1], vc[0])})`,
    );
  }
  return lines;
}

function noteOf(r: OrderingCostRow): string {
  const notes: string[] = [];
  if (r.error !== undefined) notes.push(`failed: ${r.error}`);
  if (r.delivery !== undefined && r.delivery.unexpected > 0) notes.push(`${r.delivery.unexpected} unexpected`);
  return notes.join('; ');
}

function formatBytes(stats: ByteStats | undefined): string {
  if (stats === undefined) return DASH;
  return `${stats.avg.toFixed(1)} / ${formatInteger(stats.max)}`;
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : formatInteger(ms);
}

function formatRatio(own: number | undefined, base: number | undefined): string {
  if (own === undefined || base === undefined || !(own > 0) || !(base > 0)) return DASH;
  const ratio = own / base;
  return `${ratio < 10 ? ratio.toFixed(2) : ratio < 100 ? ratio.toFixed(1) : formatInteger(ratio)}×`;
}
