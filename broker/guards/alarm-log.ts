/** Writes one JSON line on stderr, as the broker's other operational events (docs/operations.md). */
export function logAlarm(line: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', ...line })}\n`);
}

/** How an alarm tells the operator it went on or off (a stand-in in tests). */
export type AlarmLog = (line: Record<string, unknown>) => void;
