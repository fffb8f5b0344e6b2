import { describe, expect, it } from 'vitest';
import { amount, progressBar, progressLine, type ProgressStream } from '../../cli/progress.js';

/** A stream that records what was written; a terminal of `columns` when `isTTY`. */
function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { text: string } {
  const stream = {
    isTTY,
    columns,
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

/** What a terminal would show: each line as its last redraw after `\r\x1b[K` left it. */
function screen(text: string): string[] {
  return text.split('\n').map((line) => line.split('\r\x1b[K').at(-1) ?? '');
}

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('progressBar on a terminal', () => {
  it('redraws one line in place and ends with the final count on its own line', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const bar = progressBar('purging jobs', 20_000, { stream, now: clock.now });
    bar.update(10_000);
    clock.advance(200);
    bar.update(20_000);
    bar.finish();
    expect(stream.text.split('\r\x1b[K').length - 1).toBe(3);
    expect(screen(stream.text)).toEqual([expect.stringMatching(/^purging jobs \[#+\]\s+100%\s+20,000\/20,000$/), '']);
    expect(stream.text).toContain(' 50%  10,000/20,000');
    expect(stream.text.endsWith('\n')).toBe(true);
  });

  it('draws at most once per minRedrawMs, whatever the number of updates', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const bar = progressBar('x', 1000, { stream, now: clock.now, minRedrawMs: 100 });
    for (let i = 1; i <= 1000; i += 1) bar.update(i);
    expect(stream.text.split('\r\x1b[K').length - 1).toBe(1);
    clock.advance(100);
    bar.update(1000);
    expect(stream.text.split('\r\x1b[K').length - 1).toBe(2);
  });

  it('prints log lines above the bar and redraws the bar below them', () => {
    const stream = fakeStream(true);
    const bar = progressBar('bench', 3, { stream, now: () => 0 });
    bar.update(1);
    bar.log('ordo: latency');
    const shown = screen(stream.text);
    expect(shown[0]).toBe('ordo: latency');
    expect(shown[1]).toMatch(/^bench \[#+-+\]\s+33%\s+1\/3$/);
  });

  it('fits the terminal: a narrow one gets no bar, only the counts', () => {
    const narrow = progressLine('backup', 512, 1024, 'bytes', 30);
    expect(narrow).toBe('backup   50%  512 B/1.0 KiB');
    expect(narrow.length).toBeLessThan(30);
    const wide = progressLine('backup', 512, 1024, 'bytes', 200);
    expect(wide).toMatch(/^backup \[#{20}-{20}\]\s+50%/);
  });

  it('shows only what was done while the total is unknown', () => {
    expect(progressLine('moving', 42, 0, 'count', 80)).toBe('moving  42');
  });

  it('draws nothing after finish, and leaves nothing when finished before any update (work that failed at once)', () => {
    const stream = fakeStream(true);
    const bar = progressBar('x', 10, { stream, now: () => 0 });
    bar.finish();
    bar.update(5);
    bar.finish();
    expect(stream.text).toBe('');
  });
});

describe('progressBar on a pipe', () => {
  it('draws nothing at all, and log lines are plain lines', () => {
    const stream = fakeStream(false);
    const bar = progressBar('purging jobs', 100, { stream });
    bar.update(50);
    bar.log('a line');
    bar.update(100);
    bar.finish();
    expect(stream.text).toBe('a line\n');
  });
});

describe('amount', () => {
  it('groups counts and scales bytes', () => {
    expect(amount(1_234_567, 'count')).toBe('1,234,567');
    expect(amount(1023, 'bytes')).toBe('1023 B');
    expect(amount(1536, 'bytes')).toBe('1.5 KiB');
    expect(amount(3 * 1024 * 1024, 'bytes')).toBe('3.0 MiB');
  });
});
