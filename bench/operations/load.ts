/**
 * The load the operations section measures under, made over the SDK before
 * anything is measured: `queues` queues (`ops/q/<n>`, each with the
 * dead-letter queue the broker makes beside it) holding `messagesPerQueue`
 * stored messages each, and `connections` open connections, each with one
 * at-most-once subscription to a topic of its own (`ops/t/<n>`) that holds a
 * retained message, so `admin topics` lists every one of them. One
 * administrator connection makes it all and stays open for the reads.
 */
import type { OrdoClient } from '../../client/index.js';
import type { OrdoSecurityTarget } from '../security/security-target.js';
import { withTimeout } from '../timing.js';
import { closeClients } from '../workloads/connections.js';

/** How much a broker is loaded with. */
export interface LoadPlan {
  readonly queues: number;
  readonly messagesPerQueue: number;
  /** Open connections, each with one subscription. */
  readonly connections: number;
}

/** A loaded broker: its administrator connection, and the close of every connection the load opened. */
export interface LoadedBroker {
  readonly target: OrdoSecurityTarget;
  readonly admin: OrdoClient;
  /** How long loading took, ms. */
  readonly loadMs: number;
  close(): Promise<void>;
}

/** Queues made (and filled) at once: their creates and sends share the store's commits. */
const CHUNK = 100;
/** Bound on one connect, ms. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The payload of every message the load stores or retains. */
const PAYLOAD = new Uint8Array(128);

const queueName = (n: number): string => `ops/q/${n}`;
const topicName = (n: number): string => `ops/t/${n}`;

/** Loads `target` as `plan` says; on a failure closes what it opened and rethrows. */
export async function loadBroker(target: OrdoSecurityTarget, plan: LoadPlan): Promise<LoadedBroker> {
  const startedAt = performance.now();
  const opened: OrdoClient[] = [];
  try {
    const admin = await withTimeout(target.connectAs({}), CONNECT_TIMEOUT_MS, `${target.label}: connect`);
    opened.push(admin);
    for (let first = 0; first < plan.queues; first += CHUNK) {
      const names = Array.from({ length: Math.min(CHUNK, plan.queues - first) }, (_, i) => queueName(first + i));
      await Promise.all(names.map((name) => fillQueue(admin, name, plan.messagesPerQueue)));
    }
    for (let n = 0; n < plan.connections; n++) {
      const client = await withTimeout(target.connectAs({}), CONNECT_TIMEOUT_MS, `${target.label}: connect`);
      opened.push(client);
      await client.subscribe(topicName(n), () => undefined);
      await admin.publish(topicName(n), PAYLOAD, { retain: true });
    }
    await admin.flush();
    return { target, admin, loadMs: performance.now() - startedAt, close: () => closeClients(opened) };
  } catch (err) {
    await closeClients(opened);
    throw err;
  }
}

async function fillQueue(admin: OrdoClient, name: string, messages: number): Promise<void> {
  await admin.createQueue(name);
  await Promise.all(Array.from({ length: messages }, () => admin.send(name, PAYLOAD)));
}
