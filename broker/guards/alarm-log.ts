import type { Logger } from '../observability/logger.js';

/** How an alarm tells the operator it went on or off (a stand-in in tests). */
export type AlarmLog = (line: Record<string, unknown>) => void;

/**
 * Alarm lines through the broker's log [docs/operations.md, Logs]: an alarm
 * going on (`…_set`) at warn, going off (`…_cleared`) at info.
 */
export function alarmLogTo(log: Logger): AlarmLog {
  return (line) => {
    const event = String(line.event);
    const isMemory = event.startsWith('memory');
    if (!event.endsWith('_set')) log.info(line, `${isMemory ? 'memory' : 'disk'} alarm off`);
    else if (isMemory) log.warn(line, 'memory alarm on: publishes and sends are refused');
    else log.warn(line, 'disk alarm on: stored publishes and sends are refused');
  };
}
