import { describe, expect, it } from 'vitest';
import { FrameBuilder, MessageTailEncoder, encodeFrame, encodeValue } from '../../broker/protocol/index.js';
import { parseBenchArgs } from '../../bench/args.js';
import { isOrderingSectionSelected, selectWorkloads } from '../../bench/main.js';
import { DEFAULT_COST_PLAN, type OrderingCostRow } from '../../bench/ordering/cost.js';
import { DEFAULT_METADATA_PLAN, type MetadataRow } from '../../bench/ordering/metadata.js';
import {
  HandledOrder, checkOrder, countCausalViolations, countDisagreements, countTotalInversions,
} from '../../bench/ordering/order-checks.js';
import { formatOrderingCost, formatOrderingMetadata, summarizeMetadata } from '../../bench/ordering/report.js';
import { orderBytesOfFrame, skipValue, vectorClockBytes } from '../../bench/ordering/wire-bytes.js';

/** `[seq, dep, scope?]` in handled order. */
function handled(...entries: Array<[number, number, string?]>): HandledOrder {
  const order = new HandledOrder();
  for (const [seq, dep, scope] of entries) order.record(seq, dep, scope);
  return order;
}

describe('ordering metadata on the wire', () => {
  /** A broker frame of one MESSAGE, built as the broker builds it. */
  function messageFrame(order?: { dep: number; scope?: string }): Uint8Array {
    const tail = new MessageTailEncoder().encode(
      'a/b', new Uint8Array(16), null, null, 70_001, 1_700_000_000_000, order === undefined ? undefined : { deliveries: 0, flags: 0, order },
    );
    const frame = new FrameBuilder();
    frame.appendMessage(7, tail);
    return frame.take();
  }

  it("measures MESSAGE's order element: {dep} and {dep, scope}", () => {
    // fixmap, 'dep' (4), uint 32 (5).
    expect(orderBytesOfFrame(messageFrame({ dep: 70_000 })).messageOrder).toEqual([10]);
    // …then 'scope' (6) and 'default' (8).
    expect(orderBytesOfFrame(messageFrame({ dep: 70_000, scope: 'default' })).messageOrder).toEqual([24]);
    // A small dep is a positive fixint: the size follows the id, never the publishers.
    expect(orderBytesOfFrame(messageFrame({ dep: 5 })).messageOrder).toEqual([6]);
  });

  it('counts the whole MESSAGE operation of an ordered message, and nothing for fifo', () => {
    const ordered = messageFrame({ dep: 70_000 });
    const found = orderBytesOfFrame(ordered);
    expect(found.messageOp).toEqual([ordered.length - 5]); // the frame's array32 header is not the operation's
    expect(orderBytesOfFrame(messageFrame())).toEqual({ messageOrder: [], messageOp: [], publishAfter: [], publishOrder: [] });
  });

  it("measures PUBLISH's after and order options, key and value", () => {
    const frame = encodeFrame([
      [2, 0, 'a/b', new Uint8Array(16), { order: 'causal', after: 70_000 }],
      [2, 0, 'a/b', new Uint8Array(16), { order: 'total', after: 3 }],
      [2, 0, 'a/b', new Uint8Array(16), null],
      [5, 9],
    ]);
    const found = orderBytesOfFrame(frame);
    expect(found.publishAfter).toEqual([6 + 5, 6 + 1]);
    expect(found.publishOrder).toEqual([6 + 7, 6 + 6]);
  });

  it('skips every MessagePack value the frames use', () => {
    const value = encodeValue([null, true, -3, 300, 70_000, 2 ** 40, 1.5, 'x'.repeat(40), new Uint8Array(300), { a: [1, { b: 'c' }] }]);
    expect(skipValue(value, 0)).toBe(value.length);
    expect(() => skipValue(new Uint8Array([0xc1]), 0)).toThrow(RangeError);
  });

  it('computes a vector clock as msgpackr encodes a map publisher number → counter', () => {
    const clock = new Uint32Array(300);
    for (let id = 0; id < clock.length; id += 3) clock[id] = (id * 7919) % 70_000;
    const entries = (dense: boolean) => new Map([...clock.entries()].filter(([, counter]) => dense || counter !== 0));
    expect(vectorClockBytes(clock, true)).toBe(encodeValue(entries(true)).length);
    expect(vectorClockBytes(clock, false)).toBe(encodeValue(entries(false)).length);
    expect(vectorClockBytes(new Uint32Array(10), false)).toBe(1); // an empty fixmap
  });
});

describe('ordering checks', () => {
  it('finds a message handled before one of its causal past', () => {
    expect(countCausalViolations(handled([1, 0], [2, 1], [3, 2]))).toBe(0);
    // 3 depends on 2 (dep 2) but ran first.
    expect(countCausalViolations(handled([1, 0], [3, 2], [2, 1]))).toBe(1);
    // Concurrent messages (dep below each other) may run in any order; fifo rows carry no dep.
    expect(countCausalViolations(handled([3, 1], [2, 1]))).toBe(0);
    expect(countCausalViolations(handled([3, -1], [2, -1]))).toBe(0);
  });

  it('finds total-order messages out of seq order within their scope only', () => {
    expect(countTotalInversions(handled([2, 0, 'a'], [1, 0, 'b'], [3, 0, 'a']))).toBe(0);
    expect(countTotalInversions(handled([2, 0, 'a'], [1, 0, 'a'], [3, 0, 'a']))).toBe(1);
  });

  it('finds subscribers disagreeing on the order of what they share', () => {
    expect(countDisagreements([[1, 2, 3, 4], [1, 3, 4], [2, 4]])).toBe(0);
    expect(countDisagreements([[1, 2, 3], [2, 1, 3]])).toBe(1);
    expect(countDisagreements([[1, 2]])).toBe(0);
  });

  it('sums the checks over the subscribers of a topic', () => {
    const checks = checkOrder([handled([1, 0, 's'], [2, 1, 's']), handled([2, 1, 's'], [1, 0, 's'])]);
    expect(checks).toEqual({ causalViolations: 1, totalInversions: 1, totalDisagreements: 1, checked: 4 });
  });
});

describe('ordering report', () => {
  const latency = { latencySamples: 2_000 };
  const rows: OrderingCostRow[] = [
    { qos: 'at-most-once', order: 'fifo', rate: 100_000, p99Us: 200, ...latency, burstP99Ms: 4 },
    { qos: 'at-most-once', order: 'causal', rate: 50_000, p99Us: 300, ...latency, burstP99Ms: 8, orderChecks: { causalViolations: 0, totalInversions: 0, totalDisagreements: 0, checked: 10 } },
    { qos: 'at-most-once', order: 'total', rate: 40_000, p99Us: 400, ...latency, burstP99Ms: 12.5, orderChecks: { causalViolations: 0, totalInversions: 2, totalDisagreements: 1, checked: 10 } },
    { qos: 'at-least-once', order: 'fifo', error: 'timed out' },
    { qos: 'at-least-once', order: 'causal', rate: 9_000, p99Us: 900, latencySamples: 150 },
  ];

  it('prints one row per guarantee and order, each ordered one against fifo at the same guarantee', () => {
    // Five title lines, header, rule, then the rows.
    const lines = formatOrderingCost(rows, DEFAULT_COST_PLAN).split('\n');
    expect(lines).toHaveLength(5 + 2 + rows.length);
    expect(lines[7]).toMatch(/^at-most-once +fifo +100,000 +200 \(2,000\) +4\.00 /);
    expect(lines[8]).toMatch(/^at-most-once +causal +50,000 +0\.50× +300 \(2,000\) +1\.50× +8\.00 .* 0 +– /);
    expect(lines[9]).toMatch(/^at-most-once +total +40,000 +0\.40× +400 \(2,000\) +2\.00× +12\.5 .* 0 +3 /);
    expect(lines[10]).toMatch(/^at-least-once +fifo +– .*failed: timed out$/);
    // No fifo row to divide by: no ratio.
    expect(lines[11]).toMatch(/^at-least-once +causal +9,000 +– +900 \(150\) +– /);
  });

  const metadata = (order: 'causal' | 'total', publishers: number, own: number, vc: number): MetadataRow => {
    const bytes = (avg: number) => ({ count: publishers * 10, avg, min: avg, max: avg });
    return {
      order, publishers, messages: publishers * 10, messageOrder: bytes(own), messageOp: bytes(100), publishAfter: bytes(11),
      publishOrder: bytes(13), vectorClock: bytes(vc), vectorClockSparse: bytes(vc / 2), lowestSeq: 65_537, highestSeq: 80_000,
    };
  };
  const metadataRows = [metadata('causal', 10, 10, 21), metadata('causal', 1_000, 10, 3_619), metadata('total', 10, 24, 21), metadata('total', 1_000, 24, 3_619)];

  it('prints the metadata per publisher count with the computed vector clock beside it', () => {
    const text = formatOrderingMetadata(metadataRows, DEFAULT_METADATA_PLAN);
    expect(text).toMatch(/\ncausal +1,000 +10,000 +10\.0 \/ 10 +11\.0 \/ 11 +13\.0 \/ 13 +100\.0 \/ 100 +3619\.0 \/ 3,619 +1809\.5 \/ 1,810\n/);
    expect(text).toContain('Message ids delivered in these runs: 65,537 to 80,000');
  });

  it('sums up, per order, the metadata and the vector clock from the fewest to the most publishers', () => {
    expect(summarizeMetadata(metadataRows)).toEqual([
      'causal: order metadata 10.0 B at 10 publishers, 10.0 B at 1,000 (1.00×); a vector clock would take 21.0 B → 3,619 B (172×)',
      'total: order metadata 24.0 B at 10 publishers, 24.0 B at 1,000 (1.00×); a vector clock would take 21.0 B → 3,619 B (172×)',
    ]);
    expect(summarizeMetadata(metadataRows.slice(0, 1))).toEqual([]);
  });
});

describe('selecting the ordering section', () => {
  it('runs with every Ordo workload, alone with --only ordering, and when named', () => {
    expect(isOrderingSectionSelected({})).toBe(true);
    expect(isOrderingSectionSelected({ only: ['ordo'] })).toBe(true);
    expect(isOrderingSectionSelected(parseBenchArgs(['--only', 'ordering']))).toBe(true);
    expect(isOrderingSectionSelected({ only: ['nats'] })).toBe(false);
    expect(isOrderingSectionSelected({ qos: 'at-least-once' })).toBe(false);
    expect(isOrderingSectionSelected({ workloads: ['latency'] })).toBe(false);
    expect(isOrderingSectionSelected({ workloads: ['ordering'], qos: 'exactly-once' })).toBe(true);
  });

  it('knows ordering as a workload id', () => {
    expect(selectWorkloads({ workloads: ['ordering'] })).toEqual([]);
    expect(() => selectWorkloads({ workloads: ['orderings'] })).toThrow(/unknown workload orderings/);
  });
});
