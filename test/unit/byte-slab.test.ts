import { describe, expect, it } from 'vitest';
import { ByteSlab } from '../../client/byte-slab.js';

describe('ByteSlab: small arrays cut from shared slabs', () => {
  it('never hands out overlapping bytes, across slabs, and gives large arrays their own buffer', () => {
    const slab = new ByteSlab();
    const cut = Array.from({ length: 2000 }, (_, i) => {
      const bytes = slab.alloc(1 + (i * 37) % 300);
      bytes.fill(i % 256);
      return bytes;
    });
    cut.forEach((bytes, i) => expect(bytes.every((b) => b === i % 256)).toBe(true));
    const large = slab.alloc(100_000);
    expect(large.byteLength).toBe(100_000);
    expect(large.buffer.byteLength).toBe(100_000);
    expect(new Set(cut.map((b) => b.buffer)).size).toBeGreaterThan(1);
  });
});
