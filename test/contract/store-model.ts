/**
 * The naive model of a store's queue state for the contract suite's property
 * test: Maps, applied op by op. Commands are abstract (indices, not names or
 * ids) and resolved against the model when the batch is built, so every
 * generated op is valid by construction and shrinking keeps them valid.
 */
import fc from 'fast-check';
import type { EntryRecord, QueueRecord, StoreOp } from '../../broker/store/store.js';
import { T0, entry, message, op } from './store-fixtures.js';

/** One abstract step; `fail` appends an op that must make its batch fail. */
export type Command =
  | { readonly k: 'putQueue'; readonly q: number; readonly tag: number }
  | { readonly k: 'deleteQueue'; readonly q: number }
  | { readonly k: 'purgeQueue'; readonly q: number }
  | { readonly k: 'putMessage'; readonly priority: number }
  | {
    readonly k: 'addEntry'; readonly q: number; readonly m: number; readonly priority: number;
    readonly delay: number; readonly ttl: number | null;
  }
  | { readonly k: 'deleteEntry'; readonly e: number }
  | { readonly k: 'setDeliveries'; readonly e: number; readonly n: number }
  | { readonly k: 'setAvailableAt'; readonly e: number; readonly delay: number }
  | {
    readonly k: 'moveEntry'; readonly e: number; readonly q: number; readonly n: number;
    readonly delay: number; readonly ttl: number | null;
  }
  | { readonly k: 'fail' };

/** The queue names commands use (after the model's prefix); `nowhere` is never created. */
const NAMES = ['q0', 'q1', 'q2'];
const NOWHERE = 'nowhere';

const index = fc.nat({ max: 20 });
const priority = fc.integer({ min: 0, max: 9 });

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('putQueue' as const), q: index, tag: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('deleteQueue' as const), q: index }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('purgeQueue' as const), q: index }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('putMessage' as const), priority }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('addEntry' as const), q: index, m: index, priority,
      delay: fc.nat({ max: 60_000 }), ttl: fc.option(fc.nat({ max: 60_000 }), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('deleteEntry' as const), e: index }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('setDeliveries' as const), e: index, n: fc.nat({ max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('setAvailableAt' as const), e: index, delay: fc.nat({ max: 60_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('moveEntry' as const), e: index, q: index, n: fc.nat({ max: 10 }),
      delay: fc.nat({ max: 60_000 }), ttl: fc.option(fc.nat({ max: 60_000 }), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'fail' as const }) },
);

/** Queues, their entries and the messages that exist, as Maps. */
export class StoreModel {
  readonly queues = new Map<string, QueueRecord>();
  readonly entries = new Map<string, Map<number, EntryRecord>>();
  readonly messageIds: number[] = [];

  /** `prefix` starts every queue name this model makes, so that runs can share one store. */
  constructor(public nextId: number, private readonly prefix = '') {}

  clone(): StoreModel {
    const copy = new StoreModel(this.nextId, this.prefix);
    for (const [name, record] of this.queues) copy.queues.set(name, record);
    for (const [name, list] of this.entries) copy.entries.set(name, new Map(list));
    copy.messageIds.push(...this.messageIds);
    return copy;
  }

  /** The valid op a command stands for in this state, or undefined when it has none. */
  resolve(command: Command): StoreOp | undefined {
    const names = [...this.queues.keys()].sort();
    const all = this.allEntries();
    const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
    switch (command.k) {
      case 'putQueue': return op.putQueue(this.prefix + NAMES[command.q % NAMES.length], { tag: command.tag });
      case 'deleteQueue': { const name = pick(names, command.q); return name === undefined ? undefined : op.deleteQueue(name); }
      case 'purgeQueue': { const name = pick(names, command.q); return name === undefined ? undefined : op.purgeQueue(name); }
      case 'putMessage': return op.putMessage(message(this.nextId, { priority: command.priority }));
      case 'addEntry': {
        const name = pick(names, command.q);
        const id = pick(this.messageIds, command.m);
        if (name === undefined || id === undefined || this.entries.get(name)!.has(id)) return undefined;
        return op.addEntry(name, id, {
          priority: command.priority, availableAt: T0 + command.delay,
          expiresAt: command.ttl === null ? null : T0 + command.ttl,
        });
      }
      case 'deleteEntry': { const e = pick(all, command.e); return e && op.deleteEntry(e.queue, e.messageId); }
      case 'setDeliveries': { const e = pick(all, command.e); return e && op.setDeliveries(e.queue, e.messageId, command.n); }
      case 'setAvailableAt': {
        const e = pick(all, command.e);
        return e && op.setAvailableAt(e.queue, e.messageId, T0 + command.delay);
      }
      case 'moveEntry': {
        const e = pick(all, command.e);
        if (e === undefined) return undefined;
        // The target may hold the message already (then only the source entry goes).
        const to = pick(names.filter((n) => n !== e.queue), command.q);
        return to === undefined ? undefined : op.moveEntry(e.queue, to, e.messageId, {
          deliveries: command.n, availableAt: T0 + command.delay, expiresAt: command.ttl === null ? null : T0 + command.ttl,
        });
      }
      case 'fail': return op.addEntry(NOWHERE, 1);
    }
  }

  /** Applies a valid op. */
  apply(change: StoreOp): void {
    switch (change.op) {
      case 'putMessage':
        this.messageIds.push(change.message.id);
        this.nextId = change.message.id + 1;
        return;
      case 'putQueue':
        this.queues.set(change.queue.name, change.queue);
        if (!this.entries.has(change.queue.name)) this.entries.set(change.queue.name, new Map());
        return;
      case 'deleteQueue': this.queues.delete(change.name); this.entries.delete(change.name); return;
      case 'purgeQueue': this.entries.get(change.queue)!.clear(); return;
      case 'addEntry': this.entries.get(change.entry.queue)!.set(change.entry.messageId, change.entry); return;
      case 'deleteEntry': this.entries.get(change.queue)!.delete(change.messageId); return;
      case 'setDeliveries': return this.update(change.queue, change.messageId, { deliveries: change.deliveries });
      case 'setAvailableAt': return this.update(change.queue, change.messageId, { availableAt: change.availableAt });
      case 'moveEntry': {
        const moved = this.entries.get(change.from)!.get(change.messageId)!;
        this.entries.get(change.from)!.delete(change.messageId);
        const target = this.entries.get(change.to)!;
        if (target.has(change.messageId)) return;
        const { deliveries, expiresAt, availableAt } = change;
        target.set(change.messageId, { ...moved, queue: change.to, deliveries, expiresAt, availableAt });
        return;
      }
      case 'setRetained': return;
    }
  }

  /** What recover() must give: queues by name, and per queue its entries in (priority desc, messageId asc) order. */
  expected(): { queues: QueueRecord[]; entries: Record<string, EntryRecord[]> } {
    const names = [...this.queues.keys()].sort();
    return {
      queues: names.map((name) => this.queues.get(name)!),
      entries: Object.fromEntries(names.map((name) => [
        name,
        [...this.entries.get(name)!.values()]
          .sort((a, b) => b.priority - a.priority || a.messageId - b.messageId)
          .map((e) => entry(e.queue, e.messageId, e)),
      ])),
    };
  }

  private allEntries(): EntryRecord[] {
    return [...this.entries.keys()].sort().flatMap((name) => [...this.entries.get(name)!.values()]);
  }

  private update(queueName: string, messageId: number, change: Partial<EntryRecord>): void {
    const list = this.entries.get(queueName)!;
    list.set(messageId, { ...list.get(messageId)!, ...change });
  }
}
