/**
 * The security section of `npm run bench` (Ordo only, `--only security`):
 * what authentication, the ACL and TLS cost, on four brokers of this
 * checkout (security-target.ts): ws:// with authentication off, then on,
 * then wss:// off and on. Each runs alone, started fresh and stopped before
 * the next one starts, in this order:
 *
 * 1. logins per second and the connect latency (logins.ts): no credentials
 *    on an auth-off broker, a token and a password on an auth-on one;
 * 2. throughput 1→1 at-most-once, then at-least-once (throughput.ts), with
 *    the main table's workloads.
 *
 * One broker at a time, because a broker that stored messages keeps working
 * after its run: every 5 s it deletes what is past retention, in
 * transactions of its own (an fsync each), which could slow whatever runs
 * beside it. For the same reason at-least-once, which stores, runs last.
 *
 * Invariants: the auth-on brokers hold the ACL of acl-plan.ts, made over
 * the SDK before anything is measured; the wss:// brokers use one
 * self-signed certificate made for this run (tls-cert.ts), removed at the
 * end with the brokers' folders.
 */
import { OrdoTarget } from '../targets/ordo.js';
import { describeError, withTimeout } from '../timing.js';
import { DEFAULT_WORKLOADS, type Qos, type WorkloadSpec } from '../workloads/spec.js';
import { DEFAULT_ACL_SIZE, SUBSCRIBER_USER, planAcl, type AclPlan, type AclSize } from './acl-plan.js';
import { DEFAULT_LOGIN_PLAN, runLogins, type LoginKind, type LoginPlan, type LoginRow } from './logins.js';
import { provision } from './provision.js';
import { AUTH_MODES, OrdoSecurityTarget, TRANSPORTS, startWithin, type Login } from './security-target.js';
import { runSecurityWorkload, type SecurityBroker, type SecurityThroughputRow } from './throughput.js';
import { makeSelfSignedCert, removeCert } from './tls-cert.js';

export { formatSecurityReport } from './report.js';
export type { LoginPlan, LoginRow } from './logins.js';
export type { SecurityThroughputRow } from './throughput.js';

/** The main table's workloads the section runs: 1→1 at-most-once, and at-least-once with 500 in flight. */
export const SECURITY_WORKLOAD_IDS = ['throughput-1-1', 'alo-windowed'] as const;

/** Options of {@link benchSecurity}. */
export interface SecurityBenchOptions {
  /** Only this guarantee's throughput rows, and no login runs. Default: both guarantees, and the logins. */
  qos?: Qos;
  /** Overrides of the workloads (from `--messages`, `--burst-ms`, `--timeout`). */
  workload?: Partial<Pick<WorkloadSpec, 'messages' | 'maxBurstMs' | 'timeoutMs'>>;
  logins?: Partial<LoginPlan>;
  acl?: AclSize;
  log: (line: string) => void;
}

/** What {@link benchSecurity} measured, and how. */
export interface SecurityBenchResult {
  readonly throughput: SecurityThroughputRow[];
  readonly logins: LoginRow[];
  readonly workloads: readonly WorkloadSpec[];
  readonly loginPlan: LoginPlan;
  readonly acl: AclSize;
  /** Why nothing ran (the broker is not built). */
  readonly skipped?: string;
}

/** Bound on a broker start, ms. */
const START_TIMEOUT_MS = 30_000;
/** Bound on making the users, rules and token of one broker, ms. */
const PROVISION_TIMEOUT_MS = 60_000;

/** Runs the security section; never throws (failures are rows). */
export async function benchSecurity(options: SecurityBenchOptions): Promise<SecurityBenchResult> {
  const workloads = securityWorkloads(options);
  const loginPlan = { ...DEFAULT_LOGIN_PLAN, ...options.logins };
  const acl = options.acl ?? DEFAULT_ACL_SIZE;
  const result = { throughput: [] as SecurityThroughputRow[], logins: [] as LoginRow[], workloads, loginPlan, acl };
  const available = await new OrdoTarget().isAvailable();
  if (available !== true) return { ...result, skipped: available };
  let plan: AclPlan;
  try {
    plan = planAcl(SECURITY_WORKLOAD_IDS, acl);
  } catch (err) {
    return { ...result, skipped: describeError(err) };
  }
  const isLoginRun = options.qos === undefined;
  if (workloads.length === 0 && !isLoginRun) return result;
  const cert = await makeSelfSignedCert();
  const setups = TRANSPORTS.flatMap((transport) => AUTH_MODES.map((auth) => ({ transport, auth })));
  const targets = setups.map((setup) => {
    if (setup.transport === 'ws') return new OrdoSecurityTarget(setup);
    return typeof cert === 'string' ? undefined : new OrdoSecurityTarget(setup, cert);
  });
  const stopAll = (): Promise<unknown> => Promise.allSettled(targets.map((target) => target?.stop()));
  const stopOnSignal = (signal: NodeJS.Signals): void => void stopAll().then(() => removeCert(cert)).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const throughput: SecurityThroughputRow[] = [];
    for (const [i, setup] of setups.entries()) {
      const target = targets[i];
      const broker = target === undefined ? { setup, error: `skipped: ${cert as string}` } : await startBroker(target, plan, options.log);
      try {
        if (isLoginRun) result.logins.push(...(await runBrokerLogins(broker, loginPlan, options.log)));
        for (const spec of workloads) {
          options.log(`security ${spec.label}: ${setup.transport}, auth ${setup.auth}`);
          throughput.push(await runSecurityWorkload(broker, spec));
        }
      } finally {
        await target?.stop();
      }
    }
    // Printed by workload, the four brokers of each together.
    result.throughput.push(...workloads.flatMap((spec) => throughput.filter((row) => row.workload === spec.label)));
    return result;
  } finally {
    await stopAll();
    await removeCert(cert);
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}

/** The section's workloads: {@link SECURITY_WORKLOAD_IDS} of `DEFAULT_WORKLOADS`, of `qos` only if given, with the overrides. */
export function securityWorkloads(options: Pick<SecurityBenchOptions, 'qos' | 'workload'>): WorkloadSpec[] {
  return DEFAULT_WORKLOADS.filter((spec) => (SECURITY_WORKLOAD_IDS as readonly string[]).includes(spec.id))
    .filter((spec) => options.qos === undefined || spec.qos === options.qos)
    .map((spec) => ({ ...spec, ...options.workload }));
}

/** Starts `target` and, with authentication on, makes the plan's users, rules and token; a failure is the broker's `error`. */
async function startBroker(target: OrdoSecurityTarget, plan: AclPlan, log: (line: string) => void): Promise<SecurityBroker> {
  const setup = target.brokerSetup;
  log(`security: starting the broker (${target.label})`);
  const failed = await startWithin(target, START_TIMEOUT_MS);
  if (failed !== undefined) return { setup, target, error: failed };
  if (setup.auth === 'off') return { setup, target };
  try {
    log(`security: ${plan.users.length} users, ${plan.rules.length} rules and a token (${target.label})`);
    const access = await withTimeout(provision(target, plan, SUBSCRIBER_USER), PROVISION_TIMEOUT_MS, `${target.label}: provision`);
    return { setup, target, access };
  } catch (err) {
    return { setup, target, error: `provisioning failed: ${describeError(err)}` };
  }
}

/** An auth-off broker: connects without credentials; an auth-on one: token logins, then password logins. */
async function runBrokerLogins(broker: SecurityBroker, plan: LoginPlan, log: (line: string) => void): Promise<LoginRow[]> {
  const { transport, auth } = broker.setup;
  const access = broker.access;
  const kinds: Array<[LoginKind, Login | undefined]> =
    auth === 'off'
      ? [['none', {}]]
      : [
          ['token', access === undefined ? undefined : { token: access.token }],
          ['password', access === undefined ? undefined : { username: access.loginUser, password: access.password }],
        ];
  const rows: LoginRow[] = [];
  for (const [kind, login] of kinds) {
    if (broker.target === undefined || broker.error !== undefined || login === undefined) {
      rows.push({ transport, login: kind, logins: 0, error: broker.error ?? 'no broker' });
      continue;
    }
    log(`security logins: ${transport}, ${kind}`);
    rows.push(await runLogins(broker.target, kind, login, plan));
  }
  return rows;
}
