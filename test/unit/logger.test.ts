import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from '../../broker/observability/logger.js';
import { alarmLogTo } from '../../broker/guards/index.js';
import { Throttle } from '../../broker/observability/throttle.js';

/** A stream that keeps what is written, and says whether it is a terminal. */
function sink(isTTY = false): { stream: NodeJS.WritableStream; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = { isTTY, write: (chunk: string) => { chunks.push(chunk); return true; } } as unknown as NodeJS.WritableStream;
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('createLogger', () => {
  it('writes one JSON object a line: level as a word, ISO time, pid, the event and its fields, the message', () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'json' }, out.stream);
    log.info({ event: 'connection_open', connectionId: 'c1', address: '127.0.0.1:5000' }, 'connection open');
    log.warn({ event: 'login_failed', user: 'bob' }, 'login refused');
    const [open, failed] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(open).toMatchObject({ level: 'info', pid: process.pid, event: 'connection_open', connectionId: 'c1', address: '127.0.0.1:5000', msg: 'connection open' });
    expect(open.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(failed).toMatchObject({ level: 'warn', event: 'login_failed', user: 'bob' });
    expect(out.lines()).toHaveLength(2);
  });

  it('writes nothing below its level, and nothing at all when silent', () => {
    const out = sink();
    const log = createLogger({ level: 'warn', format: 'json' }, out.stream);
    log.debug({ event: 'a' }, 'debug');
    log.info({ event: 'b' }, 'info');
    log.warn({ event: 'c' }, 'warn');
    log.error({ event: 'd' }, 'error');
    expect(out.lines().map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['c', 'd']);
    const quiet = sink();
    createLogger({ level: 'silent', format: 'json' }, quiet.stream).fatal({ event: 'e' }, 'fatal');
    expect(quiet.lines()).toEqual([]);
  });

  it('writes readable lines with format pretty, and with auto on a terminal; JSON with auto elsewhere', () => {
    const pretty = sink();
    createLogger({ level: 'info', format: 'pretty' }, pretty.stream)
      .info({ event: 'connection_open', connectionId: 'c1', clientId: 'my app' }, 'connection open');
    expect(pretty.lines()).toHaveLength(1);
    expect(pretty.lines()[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  connection_open connectionId=c1 clientId="my app" — connection open$/);
    const tty = sink(true);
    createLogger({ level: 'info', format: 'auto' }, tty.stream).warn({ event: 'x' }, 'm');
    expect(tty.lines()[0]).toMatch(/ WARN  x — m$/);
    const pipe = sink(false);
    createLogger({ level: 'info', format: 'auto' }, pipe.stream).warn({ event: 'x' }, 'm');
    expect(JSON.parse(pipe.lines()[0])).toMatchObject({ level: 'warn', event: 'x' });
  });

  it('prints errors with their message in both formats', () => {
    const out = sink();
    createLogger({ level: 'info', format: 'json' }, out.stream).error({ event: 'commit_failed', err: new Error('disk I/O error') }, 'a store commit failed');
    expect(JSON.parse(out.lines()[0])).toMatchObject({ event: 'commit_failed', err: { type: 'Error', message: 'disk I/O error' } });
    expect(prettyLine({ time: '2025-01-01T12:00:01.234Z', level: 'error', event: 'commit_failed', msg: 'failed', n: 3, ok: true }))
      .toBe('12:00:01.234 ERROR commit_failed n=3 ok=true — failed');
  });
});

describe('lines a client cannot forge', () => {
  // What a client chooses and the log repeats: its client id, agent and close reason, the user name it tried.
  const hostile = 'app\n12:00:00.000 INFO  admin user=admin — admin kick c1\u001b[2J\u009b31m\u202eevil\u2028x';

  it('keeps a JSON line one line, and the value as it was', () => {
    const out = sink();
    createLogger({ level: 'info', format: 'json' }, out.stream).info({ event: 'connection_open', clientId: hostile }, `open ${hostile}`);
    expect(out.lines()).toHaveLength(1);
    expect(JSON.parse(out.lines()[0])).toMatchObject({ clientId: hostile, msg: `open ${hostile}` });
  });

  it('keeps a pretty line one line, with no control, format or separator character left for the terminal', () => {
    const out = sink(true);
    const log = createLogger({ level: 'info', format: 'pretty' }, out.stream);
    log.info({ event: 'connection_open', clientId: hostile, agent: 'x\u001b]0;title\u0007', reason: 'bye\u0085' }, `admin kick ${hostile}`);
    log.info({ event: 'connection_close', clientId: 'plain\u001b[31mred' }, 'ok');
    expect(out.lines()).toHaveLength(2);
    for (const line of out.lines()) expect(line).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    const [first, second] = out.lines();
    expect(first).toContain('clientId="app\\n12:00:00.000 INFO  admin user=admin — admin kick c1\\u001b[2J\\u009b31m\\u202eevil\\u2028x"');
    expect(first).toContain('agent="x\\u001b]0;title\\u0007"');
    expect(first).toContain('reason="bye\\u0085"');
    expect(first).toMatch(/ — admin kick app\\u000a12:00:00\.000 INFO {2}admin user=admin — admin kick c1\\u001b\[2J\\u009b31m\\u202eevil\\u2028x$/);
    // Without a space, '"' or '=', a value used to be written bare, escape sequences and all.
    expect(second).toContain('clientId="plain\\u001b[31mred"');
  });
});

describe('alarm lines', () => {
  it('an alarm going on is a warning, going off is info; both keep the watch\'s fields', () => {
    const out = sink();
    const log = alarmLogTo(createLogger({ level: 'info', format: 'json' }, out.stream));
    log({ event: 'memory_alarm_set', rssBytes: 10, watermarkBytes: 5 });
    log({ event: 'disk_alarm_cleared', freeBytes: 10, limitBytes: 5, dir: '/d' });
    const [on, off] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(on).toMatchObject({ level: 'warn', event: 'memory_alarm_set', rssBytes: 10, watermarkBytes: 5 });
    expect(off).toMatchObject({ level: 'info', event: 'disk_alarm_cleared', dir: '/d', msg: 'disk alarm off' });
  });
});

describe('Throttle', () => {
  it('lets one event a interval through and counts those held back for the next', () => {
    let now = 0;
    const throttle = new Throttle(1000, () => now);
    expect(throttle.pass()).toBe(0);
    now = 10;
    expect(throttle.pass()).toBeUndefined();
    expect(throttle.pass()).toBeUndefined();
    now = 1000;
    expect(throttle.pass()).toBe(2);
    now = 1500;
    expect(throttle.pass()).toBeUndefined();
    now = 5000;
    expect(throttle.pass()).toBe(1);
  });
});
