import { pino, type DestinationStream, type Logger } from 'pino';
import type { BrokerConfig } from '../config/index.js';

export type { Logger } from 'pino';

/**
 * The broker's structured log [docs/operations.md, section Logs]: one line
 * per event on stderr, each with an `event` name (connection_open,
 * login_failed, admin, …), the level as a word and an ISO time. JSON lines
 * for log collectors; one readable line per event on a terminal.
 */
export function createLogger(options: Readonly<BrokerConfig['log']>, stream: NodeJS.WritableStream = process.stderr): Logger {
  const isPretty = options.format === 'pretty' || (options.format === 'auto' && (stream as { isTTY?: boolean }).isTTY === true);
  const destination: DestinationStream = isPretty ? prettyStream(stream) : { write: (line) => { stream.write(line); } };
  return pino({
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
}

/** `12:00:01.234 INFO  connection_open conn=c1 address=127.0.0.1:5123 — message`. */
function prettyStream(stream: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string): void {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        stream.write(line);
        return;
      }
      stream.write(`${prettyLine(entry)}\n`);
    },
  };
}

/**
 * One entry as one terminal line. Whatever a client chose (a client id, an
 * agent, a user name, a close reason) can neither end the line nor drive
 * the terminal: control and format characters (newlines, ESC, C1 controls,
 * bidi overrides, line and paragraph separators) are written as `\uXXXX`,
 * in the message too, and a value holding them, a space, `"` or `=` is quoted.
 */
export function prettyLine(entry: Record<string, unknown>): string {
  const { time, level, event, msg, pid: _pid, ...rest } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const fields = Object.entries(rest).map(([k, v]) => `${escapeControls(k)}=${typeof v === 'string' ? quoteIfNeeded(v) : escapeControls(JSON.stringify(v) ?? 'undefined')}`);
  const head = [clock, String(level ?? '').toUpperCase().padEnd(5), escapeControls(String(event ?? ''))].filter((s) => s !== '').join(' ');
  return [head, ...fields].join(' ') + (typeof msg === 'string' && msg !== '' ? ` — ${escapeControls(msg)}` : '');
}

/** Control, format and separator characters: what a terminal acts on, or shows as what it is not. */
const CONTROLS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"=\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u.test(value) ? value : escapeControls(JSON.stringify(value));
}
