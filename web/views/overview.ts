import type { BrokerStats, QueueInfo } from '../../client/index.js';
import { LineChart } from '../chart.js';
import { h, page } from '../dom.js';
import { bytes, count, duration, rate } from '../format.js';
import type { View } from '../view.js';

/** Two minutes of one sample a second. */
const HISTORY = 121;

/** Messages waiting in queues that are not dead-letter queues, and those in dead-letter queues. */
export function depthTotals(queues: readonly QueueInfo[]): { queued: number; deadLetters: number } {
  let queued = 0;
  let deadLetters = 0;
  for (const q of queues) {
    if (q.deadLetterFor !== undefined) deadLetters += q.total;
    else queued += q.total;
  }
  return { queued, deadLetters };
}

interface Card {
  value: HTMLElement;
  note: HTMLElement;
}

/** The overview: headline numbers, live message rates, alarms and the store's counters. */
export class OverviewView implements View {
  readonly id = 'overview';
  readonly title = 'Overview';
  readonly element: HTMLElement;
  private readonly chart = new LineChart(HISTORY, ['in', 'out']);
  private readonly cards: Record<'in' | 'out' | 'connections' | 'queued' | 'dead' | 'uptime', Card>;
  private readonly alarms = h('div', { class: 'alarm', role: 'alert', hidden: true });
  private readonly store = h('p', { class: 'muted store-line' });

  constructor() {
    const card = (id: string, label: string): [HTMLElement, Card] => {
      const value = h('div', { class: 'card-value', 'data-stat': id }, '—');
      const note = h('div', { class: 'card-note muted' });
      return [h('div', { class: `card card-${id}` }, h('div', { class: 'card-label' }, label), value, note), { value, note }];
    };
    const made = {
      in: card('in', 'Messages in'), out: card('out', 'Messages out'), connections: card('connections', 'Connections'),
      queued: card('queued', 'Queued messages'), dead: card('dead', 'Dead letters'), uptime: card('uptime', 'Uptime'),
    };
    this.cards = Object.fromEntries(Object.entries(made).map(([k, [, c]]) => [k, c])) as OverviewView['cards'];
    const legend = h('div', { class: 'legend' },
      h('span', { class: 'key key-in' }, 'in'), h('span', { class: 'key key-out' }, 'out'), h('span', { class: 'muted' }, 'messages per second'));
    this.element = page(this.id, 'Overview', 'The broker at a glance, refreshed every second.',
      this.alarms,
      h('div', { class: 'cards' }, ...Object.values(made).map(([el]) => el)),
      h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Message rates'), legend), h('div', { class: 'chart-box' }, this.chart.element)),
      this.store);
  }

  observe(stats: BrokerStats): void {
    this.chart.push(stats.rateIn, stats.rateOut);
  }

  async refresh({ stats }: { stats: BrokerStats }): Promise<void> {
    const { queued, deadLetters } = depthTotals(stats.queues);
    const set = (card: Card, value: string, note: string): void => {
      if (card.value.textContent !== value) card.value.textContent = value;
      if (card.note.textContent !== note) card.note.textContent = note;
    };
    set(this.cards.in, `${rate(stats.rateIn)}/s`, `${count(stats.messagesIn)} total · ${bytes(stats.bytesIn)}`);
    set(this.cards.out, `${rate(stats.rateOut)}/s`, `${count(stats.messagesOut)} total · ${bytes(stats.bytesOut)}`);
    // STATS counts a connection's consumers with its subscriptions (the Connections view has them apart).
    set(this.cards.connections, count(stats.connections), `${count(stats.subscriptions)} subs & consumers`);
    const queues = stats.queues.filter((q) => q.deadLetterFor === undefined).length;
    set(this.cards.queued, count(queued), `in ${count(queues)} ${queues === 1 ? 'queue' : 'queues'}`);
    set(this.cards.dead, count(deadLetters), deadLetters > 0 ? 'waiting for a replay' : 'none');
    set(this.cards.uptime, duration(stats.uptimeMs), stats.server);
    this.cards.dead.value.parentElement!.classList.toggle('card-bad', deadLetters > 0);
    const alarms = [
      stats.memoryAlarm && 'Memory alarm: the broker is above its memory limit and refuses publishes and sends.',
      stats.diskAlarm && 'Disk alarm: the data directory is short of space; stored publishes and sends are refused.',
    ].filter((a): a is string => a !== false);
    this.alarms.hidden = alarms.length === 0;
    this.alarms.textContent = alarms.join(' ');
    const s = stats.store;
    this.store.textContent = `Store: ${s.durability} durability · ${count(s.messages)} messages stored · `
      + `${count(s.commits)} commits · ${count(s.fsyncs)} fsyncs · ${count(stats.dropped)} dropped at-most-once deliveries`;
    this.chart.draw();
  }
}
