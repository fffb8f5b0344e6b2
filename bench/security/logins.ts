/**
 * Logins per second and the connect latency: `clients` lanes in parallel,
 * each connecting (the SDK's `connect()`: TCP, TLS for wss://, the WebSocket
 * upgrade, HELLO with the credentials, WELCOME), closing and connecting
 * again, until `logins` connections were made. Rate = logins ÷ the time from
 * the first connect to the last close; latency = each `connect()` until it
 * resolved. Every lane runs in this process, from 127.0.0.1: the broker
 * checks logins of one address two at a time (broker/auth/login-slots.ts),
 * so password logins wait for a slot, as they do behind one proxy or NAT.
 * Only successful logins are made: the failed-login limiter never counts one.
 */
import { describeError, withTimeout } from '../timing.js';
import { percentile } from '../workloads/latency.js';
import { perSecond } from '../workloads/measures.js';
import type { Login, OrdoSecurityTarget, Transport } from './security-target.js';

/** How the broker is logged in to: no credentials with authentication off, a token, a user name and password. */
export const LOGIN_KINDS = ['none', 'token', 'password'] as const;
export type LoginKind = (typeof LOGIN_KINDS)[number];

/** The shape of the login runs; {@link DEFAULT_LOGIN_PLAN} by default. */
export interface LoginPlan {
  /** Lanes connecting at once. */
  readonly clients: number;
  /** Logins measured per kind (after the warm-up). */
  readonly logins: Readonly<Record<LoginKind, number>>;
  /** Logins per lane before measuring (JIT, the thread pool), per kind. */
  readonly warmupPerClient: number;
  /** Bound on one connect, ms. */
  readonly connectTimeoutMs: number;
  /** Bound on one kind's measured logins, ms; past it the row keeps what was done, with a note. */
  readonly timeoutMs: number;
}

/** A password login costs a scrypt hash (about 90 ms of one core here), so fewer of those. */
export const DEFAULT_LOGIN_PLAN: LoginPlan = {
  clients: 4,
  logins: { none: 1_000, token: 1_000, password: 200 },
  warmupPerClient: 2,
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
};

/** One row of the login table. */
export interface LoginRow {
  readonly transport: Transport;
  readonly login: LoginKind;
  /** Logins measured. */
  readonly logins: number;
  /** Logins per second. */
  readonly rate?: number;
  /** connect() → WELCOME, ms. */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** The broker's CPU time per login (its close included), ms. */
  readonly serverCpuMs?: number;
  /** This process's CPU time per login (the SDK's connect and close), ms. */
  readonly clientCpuMs?: number;
  readonly error?: string;
}

/** Measures `plan.logins[kind]` logins of `login` on `target`; never throws. */
export async function runLogins(target: OrdoSecurityTarget, kind: LoginKind, login: Login, plan: LoginPlan): Promise<LoginRow> {
  const row = { transport: target.brokerSetup.transport, login: kind };
  try {
    const warmup = await loginLanes(target, login, plan, plan.clients * plan.warmupPerClient, performance.now() + plan.timeoutMs);
    if (warmup.failure !== undefined) return { ...row, logins: 0, error: `warm-up: ${describeError(warmup.failure)}` };
    const serverBefore = await target.serverCpuMs();
    const clientBefore = process.cpuUsage();
    const startedAt = performance.now();
    const run = await loginLanes(target, login, plan, plan.logins[kind], startedAt + plan.timeoutMs);
    const elapsedMs = performance.now() - startedAt;
    const client = process.cpuUsage(clientBefore);
    const serverAfter = await target.serverCpuMs();
    const done = run.latenciesMs.length;
    const sorted = Float64Array.from(run.latenciesMs).sort();
    const note = run.failure !== undefined ? describeError(run.failure) : done < plan.logins[kind] ? `timed out after ${plan.timeoutMs} ms` : undefined;
    return {
      ...row,
      logins: done,
      ...(done === 0 ? {} : { rate: perSecond(done, elapsedMs), p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) }),
      ...(done === 0 || serverBefore === undefined || serverAfter === undefined ? {} : { serverCpuMs: (serverAfter - serverBefore) / done }),
      ...(done === 0 ? {} : { clientCpuMs: (client.user + client.system) / 1000 / done }),
      ...(note === undefined ? {} : { error: note }),
    };
  } catch (err) {
    return { ...row, logins: 0, error: describeError(err) };
  }
}

/** `plan.clients` lanes make `count` logins between them (or stop at the first failure or at `deadline`). */
async function loginLanes(
  target: OrdoSecurityTarget,
  login: Login,
  plan: LoginPlan,
  count: number,
  deadline: number,
): Promise<{ latenciesMs: number[]; failure?: unknown }> {
  const latenciesMs: number[] = [];
  let started = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (started < count && failure === undefined && performance.now() < deadline) {
      started++;
      const at = performance.now();
      try {
        const client = await withTimeout(target.connectAs(login), plan.connectTimeoutMs, `${target.label}: connect`);
        latenciesMs.push(performance.now() - at);
        await client.close();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.clients }, lane));
  return failure === undefined ? { latenciesMs } : { latenciesMs, failure };
}
