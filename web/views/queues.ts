import type { BrokerStats, QueueInfo } from '../../client/index.js';
import { badge, button, emptyState, h, page } from '../dom.js';
import { age, count, rate } from '../format.js';
import { DataTable } from '../table.js';
import type { ConsoleContext, View } from '../view.js';
import { purgeQueue } from './queue-actions.js';

/** The queue's name, marked when it is a dead-letter queue or backs a subscription. */
function queueName(q: QueueInfo): Node {
  const kind = q.deadLetterFor !== undefined ? badge('dead letters', 'warn') : q.pattern !== undefined ? badge('subscription') : null;
  return h('span', { class: 'name' }, h('span', { class: 'mono' }, q.name), kind);
}

/** Every queue (subscription and dead-letter queues included) with its depth and rates; purge. */
export class QueuesView implements View {
  readonly id = 'queues';
  readonly title = 'Queues';
  readonly element: HTMLElement;
  private readonly filter = h('input', { type: 'search', class: 'filter', placeholder: 'Filter by name', 'aria-label': 'filter queues' });
  /** Dead-letter queues have their own view; here only on demand. */
  private readonly showDeadLetterQueues = h('input', { type: 'checkbox' });
  private readonly table: DataTable<QueueInfo>;
  private ctx: ConsoleContext | undefined;

  constructor() {
    this.table = new DataTable<QueueInfo>([
      { id: 'name', title: 'Queue', wraps: true, render: queueName, signature: (q) => `${q.name}|${q.deadLetterFor !== undefined}|${q.pattern !== undefined}` },
      { id: 'total', title: 'Depth', numeric: true, text: (q) => count(q.total) },
      { id: 'ready', title: 'Ready', numeric: true, text: (q) => count(q.ready) },
      { id: 'unacked', title: 'Unacked', numeric: true, text: (q) => count(q.unacked) },
      { id: 'consumers', title: 'Consumers', numeric: true, text: (q) => count(q.consumers) },
      { id: 'rateIn', title: 'In/s', numeric: true, text: (q) => rate(q.rateIn) },
      { id: 'rateOut', title: 'Out/s', numeric: true, text: (q) => rate(q.rateOut) },
      { id: 'oldest', title: 'Oldest', numeric: true, text: (q) => age(q.oldestAgeMs) },
      {
        id: 'deadLetters', title: 'Dead letters', numeric: true,
        render: (q) => h('span', { class: q.deadLetters > 0 ? 'alert-number' : '' }, q.deadLetterQueue === undefined ? '—' : count(q.deadLetters)),
        signature: (q) => `${q.deadLetterQueue === undefined}|${q.deadLetters}`,
      },
      {
        id: 'actions', title: '', render: (q) => button('Purge', () => this.purge(q.name), { danger: true, disabled: q.ready + q.delayed === 0, title: 'Remove the waiting messages' }),
        signature: (q) => String(q.ready + q.delayed === 0),
      },
    ], (q) => q.name, emptyState('No queues yet. Create one from the command line:', 'ordo queue create jobs'));
    for (const input of [this.filter, this.showDeadLetterQueues]) {
      input.addEventListener('input', () => { if (this.ctx !== undefined) void this.refresh(this.ctx); });
    }
    this.element = page(this.id, 'Queues', 'Durable queues with their depth, consumers and rates.',
      h('div', { class: 'toolbar' }, this.filter, h('label', { class: 'check' }, this.showDeadLetterQueues, 'Show dead-letter queues')),
      this.table.element);
  }

  count(stats: BrokerStats): number {
    return stats.queues.filter((q) => q.deadLetterFor === undefined).length;
  }

  async refresh(ctx: ConsoleContext): Promise<void> {
    this.ctx = ctx;
    const needle = this.filter.value.trim().toLowerCase();
    const withDeadLetters = this.showDeadLetterQueues.checked;
    const shown = ctx.stats.queues.filter((q) => (withDeadLetters || q.deadLetterFor === undefined) && q.name.toLowerCase().includes(needle));
    this.table.update(shown, shown.length < ctx.stats.queues.length && needle !== '');
  }

  private purge(name: string): void {
    if (this.ctx !== undefined) void purgeQueue(this.ctx, name, 'Its waiting messages are deleted for good. Delivered, unacked messages stay.');
  }
}
