import { describe, expect, it } from 'vitest';
import { inChunks, type ChunkResult } from '../../client/chunked.js';

/**
 * A queue of `ready` messages that `step(max)` drains by up to `max`, while
 * `refill` more arrive between two steps: what a purge or move meets on a
 * queue that publishers keep filling.
 */
function fakeQueue(ready: number, refill = 0): { step: (max: number) => Promise<ChunkResult>; maxes: number[] } {
  const maxes: number[] = [];
  const step = async (max: number): Promise<ChunkResult> => {
    if (maxes.length > 0) ready += refill;
    maxes.push(max);
    const done = Math.min(max, ready);
    ready -= done;
    return { done, remaining: ready };
  };
  return { step, maxes };
}

describe('inChunks', () => {
  it('drains a queue in requests of at most `chunk` messages, reporting progress against the first total', async () => {
    const q = fakeQueue(25);
    const progress: [number, number][] = [];
    const result = await inChunks(q.step, { chunk: 10, onProgress: (done, total) => progress.push([done, total]) });
    expect(result).toEqual({ done: 25, remaining: 0 });
    expect(q.maxes).toEqual([10, 10, 5]);
    expect(progress).toEqual([[10, 25], [20, 25], [25, 25]]);
  });

  it('stops after as many messages as the queue held when it began, though the queue fills as fast as it drains', async () => {
    const q = fakeQueue(30, 10);
    const result = await inChunks(q.step, { chunk: 10 });
    expect(result).toEqual({ done: 30, remaining: 20 });
    expect(q.maxes).toEqual([10, 10, 10]);
  });

  it('stops at `limit`, asking the last request for only what is left of it', async () => {
    const q = fakeQueue(100);
    const result = await inChunks(q.step, { chunk: 10, limit: 25 });
    expect(result).toEqual({ done: 25, remaining: 75 });
    expect(q.maxes).toEqual([10, 10, 5]);
  });

  it('stops when a request handles nothing (the messages left are unacked or delayed)', async () => {
    const steps: number[] = [];
    const result = await inChunks(async (max) => { steps.push(max); return { done: 0, remaining: 7 }; }, { chunk: 10 });
    expect(result).toEqual({ done: 0, remaining: 7 });
    expect(steps).toEqual([10]);
  });
});
