import type { BrokerStats, QueueInfo } from '../../client/index.js';
import { button, emptyState, h, page } from '../dom.js';
import { age, count } from '../format.js';
import { DataTable } from '../table.js';
import type { ConsoleContext, View } from '../view.js';
import { purgeQueue, replayDeadLetters } from './queue-actions.js';

/** The dead-letter queues among `queues`, those holding messages first. */
function deadLetterQueues(queues: readonly QueueInfo[]): QueueInfo[] {
  return queues.filter((q) => q.deadLetterFor !== undefined).sort((a, b) => Number(b.total > 0) - Number(a.total > 0) || a.name.localeCompare(b.name));
}

/** Each dead-letter queue with its size; replay (back to the queue it collects for) and purge. */
export class DeadLettersView implements View {
  readonly id = 'dead-letters';
  readonly title = 'Dead letters';
  readonly element: HTMLElement;
  private readonly table: DataTable<QueueInfo>;
  private ctx: ConsoleContext | undefined;

  constructor() {
    this.table = new DataTable<QueueInfo>([
      { id: 'name', title: 'Dead-letter queue', wraps: true, render: (q) => h('span', { class: 'mono' }, q.name), signature: (q) => q.name },
      { id: 'for', title: 'Collects for', wraps: true, render: (q) => h('span', { class: 'mono' }, q.deadLetterFor ?? ''), signature: (q) => q.deadLetterFor ?? '' },
      {
        id: 'total', title: 'Messages', numeric: true,
        render: (q) => h('span', { class: q.total > 0 ? 'alert-number' : '' }, count(q.total)), signature: (q) => String(q.total),
      },
      { id: 'ready', title: 'Ready', numeric: true, text: (q) => count(q.ready) },
      { id: 'oldest', title: 'Oldest', numeric: true, text: (q) => age(q.oldestAgeMs) },
      {
        id: 'actions', title: '',
        render: (q) => h('span', { class: 'actions' },
          button('Replay', () => this.run((ctx) => replayDeadLetters(ctx, q.name)), { disabled: q.ready === 0, title: `Move the messages back to ${q.deadLetterFor ?? ''}` }),
          button('Purge', () => this.run((ctx) => purgeQueue(ctx, q.name, 'These dead letters are deleted for good.')), { danger: true, disabled: q.ready === 0 })),
        signature: (q) => String(q.ready === 0),
      },
    ], (q) => q.name, emptyState('No dead-letter queues. A queue gets one, NAME.dlq, when it is made (unless made with --dead-letter none).'));
    this.element = page(this.id, 'Dead letters', 'Messages that ran out of deliveries or were rejected. Replay moves them back to their queue, in order.',
      this.table.element);
  }

  count(stats: BrokerStats): number {
    return deadLetterQueues(stats.queues).reduce((n, q) => n + q.total, 0);
  }

  async refresh(ctx: ConsoleContext): Promise<void> {
    this.ctx = ctx;
    this.table.update(deadLetterQueues(ctx.stats.queues));
  }

  private run(action: (ctx: ConsoleContext) => Promise<void>): void {
    if (this.ctx !== undefined) void action(this.ctx);
  }
}
