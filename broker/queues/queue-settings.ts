import { MAX_DELAY_MS, MAX_EXTEND_MS } from '../protocol/index.js';
import { OrdoError } from '../errors/index.js';

/** What a full queue does with one more message. */
export const OVERFLOW_POLICIES = ['drop-oldest', 'reject-publish'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

/** 100 years in ms (365.25-day years): the longest TTL or delay Ordo accepts. Anything longer is a unit mistake. The wire's limit, one value. */
export const MAX_DURATION_MS = MAX_DELAY_MS;

/** 12 hours in ms: the longest ack deadline (as SQS's visibility timeout); a consumer needing more extends it. The wire's limit, one value. */
export const MAX_ACK_DEADLINE_MS = MAX_EXTEND_MS;

/** Appended to a queue's name to name its dead-letter queue when its settings do not name one. */
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * A queue's settings as given (on create, or stored in QueueRecord.settings):
 * every field optional, defaults applied by {@link resolveQueueSettings}.
 * Only what was given is stored, so a queue follows a later change of a
 * default it never chose. What {@link parseQueueSettings} returns is plain
 * JSON data, ready for QueueRecord.settings.
 */
export interface QueueSettings {
  /**
   * Most messages waiting in the queue (ready and delayed); messages in
   * flight do not count, as in RabbitMQ, and are never dropped. 1 to
   * 100,000,000. Default 1,000,000: every limit is finite by default
   * (shared/STYLE.md), and each waiting message costs broker memory (about
   * 220 bytes of queue state, measured, plus its row in the store), so one
   * runaway queue stays near 220 MB rather than taking the broker down;
   * queues that need more say so.
   */
  readonly maxLength?: number;
  /**
   * At maxLength: `reject-publish` refuses the new message (the publisher
   * gets ERR_LIMIT) or `drop-oldest` deletes the waiting message with the
   * lowest id (published first) to make room. Default `reject-publish`:
   * RabbitMQ drops by default, but Ordo promises that nothing confirmed is
   * lost, so losing messages must be chosen. Messages past their TTL are
   * removed first under either policy.
   */
  readonly overflow?: OverflowPolicy;
  /**
   * Queue TTL in ms: a message expires this long after it entered the queue,
   * or at its own expiry if that is sooner. 1 to 100 years. Default: none
   * (absent or null).
   */
  readonly messageTtlMs?: number | null;
  /**
   * Most deliveries of one message. A message delivered this many times that
   * comes back unacked (nack, ack deadline, consumer gone, broker restart) is
   * dead-lettered instead of delivered again. 1 to 1,000,000. Default 10.
   */
  readonly maxDeliveries?: number;
  /**
   * Where dead-lettered messages go: a queue name, or null to delete them.
   * Default `<name>.dlq`: a confirmed message is never discarded unless the
   * queue's owner says so. The broker creates that queue with the queue,
   * with `deadLetterQueue: null` (dead letters stop there). Must not be the
   * queue itself.
   */
  readonly deadLetterQueue?: string | null;
  /** How long a consumer has to ack a delivery before it is redelivered, ms. 1 ms to 12 h. Default 30,000. */
  readonly ackDeadlineMs?: number;
}

/** Settings with every default applied: what QueueState works from. */
export interface ResolvedQueueSettings {
  readonly maxLength: number;
  readonly overflow: OverflowPolicy;
  /** null: no queue TTL. */
  readonly messageTtlMs: number | null;
  readonly maxDeliveries: number;
  /** null: dead letters are deleted. */
  readonly deadLetterQueue: string | null;
  readonly ackDeadlineMs: number;
}

/** The defaults of {@link QueueSettings}, except deadLetterQueue (`<name>` + {@link DEAD_LETTER_SUFFIX}). */
export const QUEUE_SETTING_DEFAULTS = Object.freeze({
  maxLength: 1_000_000,
  overflow: 'reject-publish',
  messageTtlMs: null,
  maxDeliveries: 10,
  ackDeadlineMs: 30_000,
} as const);

/** Longest dead-letter queue name, in UTF-16 code units (queue names get their own rule in protocol/). */
export const MAX_QUEUE_NAME_LENGTH = 255;

/**
 * Validates queue settings from any source (a create request, a stored
 * QueueRecord.settings). Returns a frozen object holding only the fields
 * given (undefined fields and a null messageTtlMs are left out). Throws
 * ERR_BAD_REQUEST naming the field for an unknown field, a wrong type, a
 * non-integer, or a value out of range.
 */
export function parseQueueSettings(input: unknown): QueueSettings {
  if (input === undefined || input === null) return Object.freeze({});
  if (typeof input !== 'object' || Array.isArray(input)) fail('settings', 'must be an object', input);
  const settings: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (field) {
      case 'maxLength': settings[field] = integerIn(field, value, 1, 100_000_000); break;
      case 'overflow':
        if (!(OVERFLOW_POLICIES as readonly unknown[]).includes(value)) fail(field, `must be ${OVERFLOW_POLICIES.join(' or ')}`, value);
        settings[field] = value;
        break;
      case 'messageTtlMs':
        // null is how JSON says "none": the same as leaving it out.
        if (value !== null) settings[field] = integerIn(field, value, 1, MAX_DURATION_MS);
        break;
      case 'maxDeliveries': settings[field] = integerIn(field, value, 1, 1_000_000); break;
      case 'deadLetterQueue': settings[field] = value === null ? null : queueName(field, value); break;
      case 'ackDeadlineMs': settings[field] = integerIn(field, value, 1, MAX_ACK_DEADLINE_MS); break;
      default: fail(field, 'is not a queue setting', value);
    }
  }
  return Object.freeze(settings) as QueueSettings;
}

/**
 * The settings of queue `name` with every default applied. Validates
 * `settings` again (it may come from a store) and refuses a queue that is
 * its own dead-letter queue (ERR_BAD_REQUEST): a dead letter would come back forever.
 */
export function resolveQueueSettings(name: string, settings: QueueSettings): ResolvedQueueSettings {
  const given = parseQueueSettings(settings);
  const deadLetterQueue = given.deadLetterQueue === undefined ? name + DEAD_LETTER_SUFFIX : given.deadLetterQueue;
  if (deadLetterQueue === name) fail('deadLetterQueue', 'must not be the queue itself', deadLetterQueue);
  return Object.freeze({
    maxLength: given.maxLength ?? QUEUE_SETTING_DEFAULTS.maxLength,
    overflow: given.overflow ?? QUEUE_SETTING_DEFAULTS.overflow,
    messageTtlMs: given.messageTtlMs ?? QUEUE_SETTING_DEFAULTS.messageTtlMs,
    maxDeliveries: given.maxDeliveries ?? QUEUE_SETTING_DEFAULTS.maxDeliveries,
    deadLetterQueue,
    ackDeadlineMs: given.ackDeadlineMs ?? QUEUE_SETTING_DEFAULTS.ackDeadlineMs,
  });
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}

function queueName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_QUEUE_NAME_LENGTH) {
    fail(field, `must be null or a queue name of 1 to ${MAX_QUEUE_NAME_LENGTH} characters`, value);
  }
  // Control characters would corrupt logs and CLI output; no queue name needs them.
  if (/[\u0000-\u001f\u007f]/.test(value)) fail(field, 'must not contain control characters', value);
  return value;
}

function fail(field: string, reason: string, value: unknown): never {
  throw new OrdoError('ERR_BAD_REQUEST', `queue setting ${field} ${reason}, got ${show(value)}`);
}

/** A value for an error message: JSON where it says more than String() (strings quoted), short, never throwing. */
function show(value: unknown): string {
  let text: string;
  if (typeof value === 'number' || value === undefined) return String(value);
  // Decimal conversion of a huge bigint costs seconds of CPU (a peer chooses its size).
  if (typeof value === 'bigint') {
    const bits = value.toString(2).length; // binary is linear; decimal is not
    return bits > 64 ? `a bigint of ${bits} bits` : String(value);
  }
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
