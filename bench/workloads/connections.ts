/** Opening and closing a workload's connections, each step bounded in time. */
import { randomBytes } from 'node:crypto';
import type { BenchClient, BenchTarget, ConfirmedClient, TargetSetup } from '../targets/target.js';
import { remainingMs, withTimeout } from '../timing.js';
import type { WorkloadSpec } from './spec.js';

/** Bound on one connect, ms. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Bound on closing all connections of a run, ms. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Anything a workload opens and must close. */
interface Closable {
  close(): Promise<void>;
}

/** Opens `count` connections one after the other and adds them to `opened` (so they are closed even on failure). */
export function openClients(target: BenchTarget, spec: WorkloadSpec, count: number, opened: Closable[]): Promise<BenchClient[]> {
  return openEach(count, () => target.connect(spec), opened, `${target.name}: connect`);
}

/** {@link openClients} for an at-least-once spec under `setup`. */
export function openConfirmedClients(
  target: BenchTarget,
  spec: WorkloadSpec,
  setup: TargetSetup,
  count: number,
  opened: Closable[],
): Promise<ConfirmedClient[]> {
  return openEach(count, () => target.connectConfirmed(spec, setup), opened, `${target.name}: connect`);
}

async function openEach<C extends Closable>(count: number, connect: () => Promise<C>, opened: Closable[], what: string): Promise<C[]> {
  const clients: C[] = [];
  for (let i = 0; i < count; i++) {
    const client = await withTimeout(connect(), CONNECT_TIMEOUT_MS, what);
    opened.push(client);
    clients.push(client);
  }
  return clients;
}

/** Closes every client, ignoring errors and giving up after a few seconds. */
export async function closeClients(clients: readonly Closable[]): Promise<void> {
  const closing = Promise.allSettled(clients.map((client) => client.close()));
  await withTimeout(closing, CLOSE_TIMEOUT_MS, 'close').catch(() => undefined);
}

/** A topic no other run uses, e.g. `bench/throughput-1-1/3f9a0c1d`. */
export function uniqueTopic(spec: WorkloadSpec): string {
  return `bench/${spec.id}/${randomBytes(4).toString('hex')}`;
}

/**
 * Resolves `true` when `promise` resolves before `deadline` (a
 * `performance.now()` value), `false` when the deadline passes first.
 */
export async function settlesBefore(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), remainingMs(deadline));
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
