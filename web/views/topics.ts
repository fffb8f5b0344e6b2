import type { TopicInfo } from '../../client/index.js';
import { badge, button, confirmAction, emptyState, h, page } from '../dom.js';
import { count } from '../format.js';
import { DataTable } from '../table.js';
import type { ConsoleContext, View } from '../view.js';

/** Topics with stored history or a retained message: subscribers, retained, stored; clear a retained message. */
export class TopicsView implements View {
  readonly id = 'topics';
  readonly title = 'Topics';
  readonly element: HTMLElement;
  private readonly filter = h('input', { type: 'search', class: 'filter', placeholder: 'Filter by prefix', 'aria-label': 'filter topics' });
  private readonly table: DataTable<TopicInfo>;
  private ctx: ConsoleContext | undefined;

  constructor() {
    this.table = new DataTable<TopicInfo>([
      { id: 'topic', title: 'Topic', wraps: true, render: (t) => h('span', { class: 'mono' }, t.topic), signature: (t) => t.topic },
      { id: 'subscribers', title: 'Subscribers', numeric: true, text: (t) => count(t.subscribers) },
      { id: 'retained', title: 'Retained', render: (t) => (t.retained ? badge('retained', 'good') : h('span', { class: 'muted' }, '—')), signature: (t) => String(t.retained) },
      { id: 'stored', title: 'Stored', numeric: true, text: (t) => count(t.stored) },
      { id: 'lastSeq', title: 'Last seq', numeric: true, text: (t) => (t.lastSeq === undefined ? '—' : String(t.lastSeq)) },
      {
        id: 'actions', title: '',
        render: (t) => (t.retained ? button('Clear retained', () => void this.clearRetained(t.topic), { danger: true }) : h('span')),
        signature: (t) => String(t.retained),
      },
    ], (t) => t.topic, emptyState('No topics with stored or retained messages. Publish one:', "ordo pub sensors/t1 '21.5' --retain"));
    this.filter.addEventListener('input', () => { if (this.ctx !== undefined) void this.refresh(this.ctx); });
    this.element = page(this.id, 'Topics', 'Topics that keep messages (at-least-once history or a retained message), with their subscribers.',
      h('div', { class: 'toolbar' }, this.filter), this.table.element);
  }

  async refresh(ctx: ConsoleContext): Promise<void> {
    this.ctx = ctx;
    const prefix = this.filter.value.trim();
    this.table.update(await ctx.client.admin.topics(prefix === '' ? {} : { prefix }), prefix !== '');
  }

  private async clearRetained(topic: string): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    if (!await confirmAction(`Clear the retained message of ${topic}?`, 'New subscribers will no longer receive it.', 'Clear')) return;
    await ctx.act(async () => ((await ctx.client.admin.clearRetained(topic)).cleared ? `Cleared the retained message of ${topic}` : `${topic} had no retained message`));
  }
}
