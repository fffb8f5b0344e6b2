/**
 * The security section of the report: the throughput table with one line
 * per ratio (auth on ÷ auth off at each transport, wss ÷ ws at each auth
 * mode), then the login table with its ratios (each login against a connect
 * without authentication, wss ÷ ws).
 */
import { DASH, formatMs, formatRatio, formatSpread, noteOf } from '../format.js';
import { alignColumns, formatInteger } from '../report.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import type { AclSize } from './acl-plan.js';
import type { LoginPlan, LoginRow } from './logins.js';
import { AUTH_MODES, TRANSPORTS } from './security-target.js';
import type { SecurityThroughputRow } from './throughput.js';

export { formatRatio } from '../format.js';

/** What {@link formatSecurityReport} prints. */
export interface SecurityReportInput {
  readonly throughput: readonly SecurityThroughputRow[];
  readonly logins: readonly LoginRow[];
  readonly workloads: readonly WorkloadSpec[];
  readonly loginPlan: LoginPlan;
  readonly acl: AclSize;
}

/** Both tables with their ratio lines, or what of them ran. */
export function formatSecurityReport(input: SecurityReportInput): string {
  return [
    input.throughput.length > 0 ? formatSecurityThroughput(input.throughput, input.workloads, input.acl) : '',
    input.logins.length > 0 ? formatLogins(input.logins, input.loginPlan) : '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/**
 * workload | transport | auth | rate | slowest and fastest burst | lost |
 * dup | reordered | server and client CPU µs per delivery | note; then the
 * ratio lines.
 */
export function formatSecurityThroughput(rows: readonly SecurityThroughputRow[], workloads: readonly WorkloadSpec[], acl: AclSize): string {
  const header = ['workload', 'transport', 'auth', 'rate (msg/s)', 'bursts min–max', 'lost', 'dup', 'reordered', 'srv CPU µs/msg', 'client CPU µs/msg', 'note'];
  const lines = rows.map((r) => [
    r.workload,
    r.transport,
    r.auth,
    r.rate === undefined ? DASH : formatInteger(r.rate),
    formatSpread(r.runRates),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.lost),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.duplicated),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.reordered),
    r.serverCpuUs === undefined ? DASH : r.serverCpuUs.toFixed(2),
    r.clientCpuUs === undefined ? DASH : r.clientCpuUs.toFixed(2),
    noteOf(r.error, r.delivery?.unexpected),
  ]);
  const runs = [...new Set(workloads.map((spec) => spec.runs))].join(' or ');
  const payload = [...new Set(workloads.map((spec) => spec.payloadBytes))].join(' or ');
  const title = [
    `Security cost, Ordo only: 1 publisher → 1 subscriber, ${payload}-byte payloads, the main table's workloads (at-least-once: on a topic, fsync);`,
    `rate = deliveries/s (at-least-once: delivered and acked), median of ${runs} bursts; four brokers, each alone (started, measured, stopped in turn):`,
    `ws:// or wss:// (TLS, a self-signed P-256 certificate), authentication off, or on with an ACL of ${acl.rules} rules over ${acl.users} users and ${acl.roles} roles`,
    `(publisher: password login, granted by the role rule publish bench/{user}/#; subscriber: password login, granted by a rule of its user)`,
  ].join('\n');
  const isRight = [false, false, false, true, true, true, true, true, true, true, false];
  return `${title}\n${alignColumns([header, ...lines], isRight)}\n${throughputRatios(rows).join('\n')}`;
}

/**
 * One line per ratio, for each workload: auth on ÷ off over ws and over
 * wss, then wss ÷ ws with auth off and on, with the rates and the ratio of
 * the broker's CPU per delivery, e.g. "1→1 throughput over ws: auth on ÷ off
 * = 0.97× (210,000 → 203,700 msg/s; srv CPU/msg 1.03×)".
 */
export function throughputRatios(rows: readonly SecurityThroughputRow[]): string[] {
  const lines: string[] = [];
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const find = (transport: string, auth: string): SecurityThroughputRow | undefined =>
      rows.find((r) => r.workload === workload && r.transport === transport && r.auth === auth && r.error === undefined);
    for (const transport of TRANSPORTS) {
      lines.push(throughputRatio(`${workload} over ${transport}: auth on ÷ off`, find(transport, 'on'), find(transport, 'off')));
    }
    for (const auth of AUTH_MODES) {
      lines.push(throughputRatio(`${workload}, auth ${auth}: wss ÷ ws`, find('wss', auth), find('ws', auth)));
    }
  }
  return lines;
}

function throughputRatio(what: string, own: SecurityThroughputRow | undefined, base: SecurityThroughputRow | undefined): string {
  if (own?.rate === undefined || base?.rate === undefined) return `${what} = ${DASH} (a row is missing or failed)`;
  const cpu = formatRatio(own.serverCpuUs, base.serverCpuUs);
  return `${what} = ${formatRatio(own.rate, base.rate)} (${formatInteger(base.rate)} → ${formatInteger(own.rate)} msg/s; srv CPU/msg ${cpu})`;
}

/** transport | login | logins | rate | p50 ms | p99 ms | server and client CPU ms per login | note; then the ratio lines. */
export function formatLogins(rows: readonly LoginRow[], plan: LoginPlan): string {
  const header = ['transport', 'login', 'logins', 'rate (logins/s)', 'p50 ms', 'p99 ms', 'srv CPU ms/login', 'client CPU ms/login', 'note'];
  const lines = rows.map((r) => [
    r.transport,
    r.login === 'none' ? 'none (auth off)' : r.login,
    formatInteger(r.logins),
    r.rate === undefined ? DASH : formatInteger(r.rate),
    formatMs(r.p50Ms),
    formatMs(r.p99Ms),
    formatMs(r.serverCpuMs),
    formatMs(r.clientCpuMs),
    noteOf(r.error),
  ]);
  const title = [
    `Logins, Ordo only, on the same brokers before their workloads: ${plan.clients} clients at once from 127.0.0.1, each connecting (TCP, TLS for wss,`,
    `upgrade, HELLO → WELCOME), closing, again; rate = logins ÷ first connect to last close; p50 / p99 = connect() → WELCOME; none = auth off,`,
    `no credentials; token, password = auth on; a password login hashes with scrypt (N = 16384, on the broker's thread pool), two at a time per address`,
  ].join('\n');
  const isRight = [false, false, true, true, true, true, true, true, false];
  return `${title}\n${alignColumns([header, ...lines], isRight)}\n${loginRatios(rows).join('\n')}`;
}

/** One line per ratio: token and password against no login at each transport, then wss ÷ ws for each login. */
export function loginRatios(rows: readonly LoginRow[]): string[] {
  const find = (transport: string, login: string): LoginRow | undefined =>
    rows.find((r) => r.transport === transport && r.login === login && r.error === undefined);
  const lines: string[] = [];
  for (const transport of TRANSPORTS) {
    for (const login of ['token', 'password'] as const) {
      lines.push(loginRatio(`${login} logins over ${transport} ÷ connects with auth off`, find(transport, login), find(transport, 'none')));
    }
  }
  for (const login of ['none', 'token', 'password'] as const) {
    lines.push(loginRatio(`${login === 'none' ? 'connects with auth off' : `${login} logins`}: wss ÷ ws`, find('wss', login), find('ws', login)));
  }
  return lines;
}

function loginRatio(what: string, own: LoginRow | undefined, base: LoginRow | undefined): string {
  if (own?.rate === undefined || base?.rate === undefined) return `${what} = ${DASH} (a row is missing or failed)`;
  return `${what} = ${formatRatio(own.rate, base.rate)} (${formatInteger(base.rate)} → ${formatInteger(own.rate)} logins/s; p50 ${formatMs(base.p50Ms)} → ${formatMs(own.p50Ms)} ms)`;
}
