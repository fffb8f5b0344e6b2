/**
 * Throughput 1→1 on each broker of the section, with the bench's own
 * workload code: `runThroughput` (workloads/throughput.ts) for at-most-once
 * and `runConfirmed` (workloads/confirmed.ts) under Ordo's topic setup for
 * at-least-once, so a row here is the main table's row of the same workload
 * with only the broker's security settings changed. With authentication on,
 * the subscriber and the publisher log in with passwords as the users of
 * the ACL plan (acl-plan.ts); with it off they give no credentials.
 */
import type { DeliveryTotals, WorkloadOutcome } from '../result.js';
import { ORDO_CONFIRMED_SETUPS } from '../targets/ordo-confirmed.js';
import { describeError, withTimeout } from '../timing.js';
import { runConfirmed } from '../workloads/confirmed.js';
import type { Qos, WorkloadSpec } from '../workloads/spec.js';
import { runThroughput } from '../workloads/throughput.js';
import { SUBSCRIBER_USER } from './acl-plan.js';
import type { Provisioned } from './provision.js';
import type { AuthMode, Login, OrdoSecurityTarget, SecurityBrokerSetup, Transport } from './security-target.js';

/** The setup the at-least-once rows run under: publish / subscribe on a topic, as the ACL grants topics. */
export const TOPIC_SETUP = ORDO_CONFIRMED_SETUPS.find((setup) => setup.id === 'topic')!;

/** Slack on top of a workload's own timeout before giving up on it, ms (as run-target.ts). */
const RUN_SLACK_MS = 15_000;

/** A started broker of the section: what its connections log in with, or why it cannot be used. */
export interface SecurityBroker {
  readonly setup: SecurityBrokerSetup;
  /** Absent when the broker could not be made (no certificate for wss://). */
  readonly target?: OrdoSecurityTarget;
  /** Auth on: the users' password and a token. */
  readonly access?: Provisioned;
  /** Why the broker did not start (or was not provisioned): its rows say so. */
  readonly error?: string;
}

/** One row of the throughput table. */
export interface SecurityThroughputRow {
  readonly transport: Transport;
  readonly auth: AuthMode;
  readonly qos: Qos;
  /** The workload's label, e.g. `1→1 throughput`. */
  readonly workload: string;
  /** Deliveries per second (at-least-once: delivered and acked), median of the bursts. */
  readonly rate?: number;
  readonly runRates?: readonly number[];
  readonly delivery?: DeliveryTotals;
  /** The broker's CPU time per delivery over the measured bursts, µs. */
  readonly serverCpuUs?: number;
  /** This process's CPU time (every client) per delivery, µs. */
  readonly clientCpuUs?: number;
  readonly error?: string;
}

/** Runs `spec` on `broker`; never throws. */
export async function runSecurityWorkload(broker: SecurityBroker, spec: WorkloadSpec): Promise<SecurityThroughputRow> {
  const { transport, auth } = broker.setup;
  const row = { transport, auth, qos: spec.qos, workload: spec.label };
  const target = broker.target;
  if (target === undefined || broker.error !== undefined) return { ...row, error: broker.error ?? 'no broker' };
  target.planLogins(workloadLogins(spec, broker.access));
  const running = spec.kind === 'confirmed' ? runConfirmed(target, spec, TOPIC_SETUP) : runThroughput(target, spec);
  const outcome: WorkloadOutcome = await withTimeout(running, spec.timeoutMs + RUN_SLACK_MS, `${target.label}: ${spec.label}`).catch(
    (err: unknown) => ({ error: describeError(err) }),
  );
  const delivered = outcome.delivery?.delivered ?? 0;
  const perDelivery = (ms: number | undefined): number | undefined => (ms === undefined || delivered === 0 ? undefined : (ms * 1000) / delivered);
  const serverCpuUs = perDelivery(outcome.serverCpuMs);
  const clientCpuUs = perDelivery(outcome.clientCpuMs);
  return {
    ...row,
    ...(outcome.rate === undefined ? {} : { rate: outcome.rate }),
    ...(outcome.runRates === undefined ? {} : { runRates: outcome.runRates }),
    ...(outcome.delivery === undefined ? {} : { delivery: outcome.delivery }),
    ...(serverCpuUs === undefined ? {} : { serverCpuUs }),
    ...(clientCpuUs === undefined ? {} : { clientCpuUs }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
}

/**
 * The logins of a run's connections in the order the workloads open them:
 * the subscribers, then the publishers. Auth on: the subscriber as
 * {@link SUBSCRIBER_USER}, each publisher as the user named after the
 * workload (acl-plan.ts); auth off: no credentials.
 */
export function workloadLogins(spec: WorkloadSpec, access: Provisioned | undefined): Login[] {
  const as = (username: string): Login => (access === undefined ? {} : { username, password: access.password });
  return [...Array.from({ length: spec.subscribers }, () => as(SUBSCRIBER_USER)), ...Array.from({ length: spec.publishers }, () => as(spec.id))];
}
