import { describe, expect, it } from 'vitest';
import { OrdoError } from '../../broker/errors/index.js';
import {
  MAX_ACK_DEADLINE_MS, MAX_DURATION_MS, QUEUE_SETTING_DEFAULTS, parseQueueSettings, resolveQueueSettings,
} from '../../broker/queues/index.js';

/** Runs `run` and returns the ERR_BAD_REQUEST it throws. */
function badRequest(run: () => unknown): OrdoError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_REQUEST');
    return err as OrdoError;
  }
  throw new Error('accepted what it should refuse');
}

const YEAR_MS = 365.25 * 24 * 3_600_000;

describe('parseQueueSettings', () => {
  it('takes nothing as no settings', () => {
    expect(parseQueueSettings(undefined)).toEqual({});
    expect(parseQueueSettings(null)).toEqual({});
    expect(parseQueueSettings({})).toEqual({});
  });

  it('keeps only what was given, frozen and JSON-safe for QueueRecord.settings', () => {
    const given = {
      maxLength: 5, overflow: 'drop-oldest', messageTtlMs: 60_000, maxDeliveries: 3, deadLetterQueue: 'dead',
      ackDeadlineMs: 1_000,
    };
    const settings = parseQueueSettings(given);
    expect(settings).toEqual(given);
    expect(Object.isFrozen(settings)).toBe(true);
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);
    expect(parseQueueSettings({ maxLength: undefined, overflow: 'reject-publish' })).toEqual({ overflow: 'reject-publish' });
  });

  it('reads a null TTL as none and keeps a null dead-letter queue (it overrides a default)', () => {
    expect(parseQueueSettings({ messageTtlMs: null })).toEqual({});
    expect(parseQueueSettings({ deadLetterQueue: null })).toEqual({ deadLetterQueue: null });
  });

  it('accepts the bounds of each range', () => {
    expect(() => parseQueueSettings({
      maxLength: 1, messageTtlMs: 1, maxDeliveries: 1, ackDeadlineMs: 1,
    })).not.toThrow();
    expect(() => parseQueueSettings({
      maxLength: 100_000_000, messageTtlMs: MAX_DURATION_MS, maxDeliveries: 1_000_000, ackDeadlineMs: MAX_ACK_DEADLINE_MS,
    })).not.toThrow();
    expect(MAX_DURATION_MS).toBe(100 * YEAR_MS);
  });

  it.each([
    ['maxLength', 0], ['maxLength', -1], ['maxLength', 1.5], ['maxLength', Number.NaN], ['maxLength', Infinity],
    ['maxLength', 100_000_001], ['maxLength', '10'],
    ['messageTtlMs', 0], ['messageTtlMs', -5], ['messageTtlMs', Number.NaN], ['messageTtlMs', 101 * YEAR_MS],
    ['maxDeliveries', 0], ['maxDeliveries', -1], ['maxDeliveries', 2.5], ['maxDeliveries', true],
    ['ackDeadlineMs', 0], ['ackDeadlineMs', -1], ['ackDeadlineMs', MAX_ACK_DEADLINE_MS + 1], ['ackDeadlineMs', Number.NaN],
    ['overflow', 'drop-head'], ['overflow', 1], ['overflow', null],
    ['deadLetterQueue', ''], ['deadLetterQueue', 7], ['deadLetterQueue', 'a\nb'], ['deadLetterQueue', 'x'.repeat(256)],
  ])('refuses %s = %s with ERR_BAD_REQUEST naming the field', (field, value) => {
    const err = badRequest(() => parseQueueSettings({ [field]: value }));
    expect(err.message).toContain(`queue setting ${field} `);
  });

  it('shows the refused value in the message', () => {
    expect(badRequest(() => parseQueueSettings({ maxDeliveries: 0 })).message).toMatch(/from 1 to 1000000, got 0$/);
    expect(badRequest(() => parseQueueSettings({ messageTtlMs: Number.NaN })).message).toMatch(/got NaN$/);
    expect(badRequest(() => parseQueueSettings({ overflow: 'drop-head' })).message).toMatch(/got "drop-head"$/);
    expect(badRequest(() => parseQueueSettings({ maxLength: 12n })).message).toMatch(/got 12$/);
    // A peer-sized bigint is described, not printed: its decimal form costs seconds of CPU.
    expect(badRequest(() => parseQueueSettings({ maxLength: 1n << 4_000_000n })).message).toMatch(/got a bigint of 4000001 bits$/);
  });

  it('refuses unknown fields (a typo must not pass silently) and non-objects', () => {
    expect(badRequest(() => parseQueueSettings({ maxLenght: 5 })).message).toContain('maxLenght is not a queue setting');
    badRequest(() => parseQueueSettings([]));
    badRequest(() => parseQueueSettings('maxLength=5'));
    badRequest(() => parseQueueSettings(5));
  });
});

describe('resolveQueueSettings', () => {
  it('fills every default, finite, with the dead-letter queue named after the queue', () => {
    const settings = resolveQueueSettings('jobs', {});
    expect(settings).toEqual({ ...QUEUE_SETTING_DEFAULTS, deadLetterQueue: 'jobs.dlq' });
    expect(settings).toEqual({
      maxLength: 1_000_000, overflow: 'reject-publish', messageTtlMs: null, maxDeliveries: 10,
      deadLetterQueue: 'jobs.dlq', ackDeadlineMs: 30_000,
    });
    expect(Number.isFinite(settings.maxLength)).toBe(true);
  });

  it('keeps what was given', () => {
    const settings = resolveQueueSettings('jobs', { maxLength: 7, deadLetterQueue: null, messageTtlMs: 9 });
    expect(settings).toMatchObject({ maxLength: 7, deadLetterQueue: null, messageTtlMs: 9, maxDeliveries: 10 });
  });

  it('refuses a queue that is its own dead-letter queue', () => {
    expect(badRequest(() => resolveQueueSettings('jobs', { deadLetterQueue: 'jobs' })).message).toContain('deadLetterQueue');
  });

  it('validates again: settings read back from a store are not trusted', () => {
    badRequest(() => resolveQueueSettings('jobs', { maxLength: -3 }));
  });
});
