import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makePayloads, readPublisherId, readSequence } from '../../bench/payload.js';
import { DeliveryVerifier, sumDeliveryCounts } from '../../bench/verify.js';
import { percentile } from '../../bench/workloads/latency.js';
import { median } from '../../bench/workloads/throughput.js';

/** Feeds `seqs` from publisher 7 (which announced `expected` messages) to a fresh verifier. */
function verify(expected: number, seqs: readonly number[]): ReturnType<DeliveryVerifier['counts']> {
  const verifier = new DeliveryVerifier();
  verifier.expect(7, expected);
  for (const seq of seqs) verifier.record(7, seq);
  return verifier.counts();
}

describe('DeliveryVerifier', () => {
  it('counts a perfect stream as complete with nothing wrong', () => {
    expect(verify(4, [0, 1, 2, 3])).toEqual({
      expected: 4,
      received: 4,
      distinct: 4,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      unexpected: 0,
    });
  });

  it('counts messages never received as lost', () => {
    const counts = verify(5, [0, 2, 4]);
    expect(counts.lost).toBe(2);
    expect(counts.reordered).toBe(0);
  });

  it('counts a repeated sequence number as a duplicate, not as reordered', () => {
    const counts = verify(3, [0, 1, 1, 2, 0]);
    expect(counts).toMatchObject({ distinct: 3, duplicated: 2, reordered: 0, lost: 0, received: 5 });
  });

  it('counts a first receipt below the highest seen as reordered', () => {
    expect(verify(4, [0, 2, 1, 3]).reordered).toBe(1);
    expect(verify(4, [3, 2, 1, 0]).reordered).toBe(3);
  });

  it('keeps publishers apart: each has its own sequence', () => {
    const verifier = new DeliveryVerifier();
    verifier.expect(1, 2);
    verifier.expect(2, 2);
    for (const [publisher, seq] of [[2, 0], [1, 0], [2, 1], [1, 1]]) verifier.record(publisher, seq);
    expect(verifier.counts()).toMatchObject({ expected: 4, distinct: 4, reordered: 0, lost: 0 });
    expect(verifier.isComplete()).toBe(true);
  });

  it('counts unknown publishers and out-of-range sequences as unexpected', () => {
    const verifier = new DeliveryVerifier();
    verifier.expect(1, 2);
    verifier.record(9, 0);
    verifier.record(1, 2);
    verifier.record(1, -1);
    expect(verifier.counts()).toMatchObject({ unexpected: 3, distinct: 0, lost: 2, received: 3 });
  });

  it('lowers the expectation to what a cut-short publisher sent', () => {
    const verifier = new DeliveryVerifier();
    verifier.expect(1, 10);
    verifier.record(1, 0);
    verifier.record(1, 1);
    verifier.expect(1, 3);
    expect(verifier.counts()).toMatchObject({ expected: 3, distinct: 2, lost: 1 });
    expect(verifier.isComplete()).toBe(false);
    verifier.record(1, 2);
    expect(verifier.isComplete()).toBe(true);
  });

  it('agrees with a naive model on any stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 80 }), (expected, raw) => {
        const seqs = raw.filter((seq) => seq < expected);
        const seen = new Set<number>();
        let highest = -1;
        let duplicated = 0;
        let reordered = 0;
        for (const seq of seqs) {
          if (seen.has(seq)) duplicated++;
          else {
            seen.add(seq);
            if (seq < highest) reordered++;
            highest = Math.max(highest, seq);
          }
        }
        expect(verify(expected, seqs)).toEqual({
          expected,
          received: seqs.length,
          distinct: seen.size,
          lost: expected - seen.size,
          duplicated,
          reordered,
          unexpected: 0,
        });
      }),
    );
  });

  it('sums subscribers into row totals', () => {
    const totals = sumDeliveryCounts([verify(3, [0, 1, 2]), verify(3, [1, 0, 0])]);
    expect(totals).toEqual({ expected: 6, delivered: 5, lost: 1, duplicated: 1, reordered: 1, unexpected: 0 });
  });
});

describe('bench payloads', () => {
  it('carry publisher id and sequence in their header, each payload its own bytes', () => {
    const payloads = makePayloads(4_000_001, 3, 128);
    expect(payloads.map((p) => p.length)).toEqual([128, 128, 128]);
    expect(payloads.map(readSequence)).toEqual([0, 1, 2]);
    expect(payloads.map(readPublisherId)).toEqual([4_000_001, 4_000_001, 4_000_001]);
    expect(readSequence(new Uint8Array(4))).toBe(-1);
  });
});

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('takes the median of unsorted run rates', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
