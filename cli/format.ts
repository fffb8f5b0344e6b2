import type { Message } from '../client/index.js';

/** A payload as text on one line: strings as they are, bytes as base64, other values as JSON. */
export function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload.replace(/\r?\n/g, '\\n');
  if (payload instanceof Uint8Array) return `base64:${Buffer.from(payload).toString('base64')}`;
  return JSON.stringify(payload, jsonReplacer);
}

/** The fields of a --json line of `ordo sub` and `ordo consume`, for their --help. */
export const MESSAGE_JSON_HELP = [
  'With --json, one object per message: topic, payload, headers, id, seq (its place in the broker\'s order),',
  'timestamp, redelivered, deliveries, replyTo (when set) and, for a causal or total message,',
  'order: {dep} or {dep, scope} (dep: the highest message id in its causal past; scope: its total-order scope).',
].join('\n');

/**
 * A message as one JSON object (the `--json` line of `ordo sub` and `ordo
 * consume`). `seq` is its place in the broker's order; a causal or total
 * message also has `order`: `{dep}` (the highest id in its causal past) or
 * `{dep, scope}` (total) [semantics 2].
 */
export function messageJson(msg: Message): string {
  return jsonLine({
    topic: msg.topic,
    payload: msg.payload,
    headers: msg.headers,
    id: msg.id,
    seq: msg.seq,
    timestamp: msg.timestamp,
    redelivered: msg.redelivered,
    deliveries: msg.deliveries,
    ...(msg.replyTo !== undefined && { replyTo: msg.replyTo }),
    ...(msg.order !== undefined && { order: msg.order }),
  });
}

/** `value` as one line of JSON: bytes as { "$base64": "..." }, bigints as strings. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}

/** What an `ls` command prints: one JSON object per line with --json, else the table. */
export function listText<T>(rows: readonly T[], json: boolean | undefined, table: (rows: readonly T[]) => string): string {
  return json === true ? rows.map((row) => `${jsonLine(row)}\n`).join('') : `${table(rows)}\n`;
}

/**
 * Bytes become { "$base64": "..." }; bigints become strings. The value is
 * read from its holder: JSON.stringify hands the replacer what toJSON()
 * returned, and a Buffer's toJSON() hides that it is bytes.
 */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return { $base64: Buffer.from(original).toString('base64') };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A duration for a table cell: 0.4s, 42.0s, 5m07s, 3h05m, 2d04h; '-' for null (nothing to measure). */
export function durationText(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** A rate in messages per second, to at most one decimal (float noise reads badly in a table). */
export function rateText(perSecond: number): string {
  return String(Math.round(perSecond * 10) / 10);
}

/** `1 message`, `2 messages`, `12,500 messages`: the count grouped as the progress bars show it. */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** A cell that reads as a figure: 42, 12.5, 3.1s, 5m07s (a duration of durationText). */
const FIGURE = /^\d[\d.]*(?:[smhd]\d*[smh]?)?$/;

/**
 * Renders rows as an aligned text table, columns two spaces apart. A column
 * of figures (numbers, rates, durations; '-' for none) is right-aligned, its
 * heading too, so digits line up; the first column (the name) never is.
 */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  const isFigures = headers.map((_, i) => i > 0 && rows.some((r) => r[i] !== '-')
    && rows.every((r) => typeof r[i] === 'number' || r[i] === '-' || FIGURE.test(String(r[i]))));
  return cells
    .map((r) => r.map((c, i) => (isFigures[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}
