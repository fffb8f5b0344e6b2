import type { BrokerStats, ConnectionInfo } from '../../client/index.js';
import { badge, button, confirmAction, emptyState, h, page } from '../dom.js';
import { bytes, count, duration, rate } from '../format.js';
import { DataTable } from '../table.js';
import type { ConsoleContext, View } from '../view.js';

/** `protocol v1 · ordo-js/0.1.0`: the protocol version agreed and the client library, when it named one. */
function protocolText(c: ConnectionInfo): string {
  return `protocol v${c.protocolVersion}${c.agent === undefined ? '' : ` · ${c.agent}`}`;
}

/** Every client connection with its identity, counters and rates; kick one. */
export class ConnectionsView implements View {
  readonly id = 'connections';
  readonly title = 'Connections';
  readonly element: HTMLElement;
  private readonly table: DataTable<ConnectionInfo>;
  private ctx: ConsoleContext | undefined;

  constructor() {
    const isOwn = (c: ConnectionInfo): boolean => c.connectionId === this.ctx?.ownConnectionId;
    this.table = new DataTable<ConnectionInfo>([
      {
        id: 'client', title: 'Client', wraps: true,
        render: (c) => h('span', { class: 'name' },
          h('span', { class: 'stack' }, h('span', {}, c.clientId === '' ? '(no client id)' : c.clientId), h('span', { class: 'mono muted small' }, c.connectionId)),
          isOwn(c) && badge('this console', 'good')),
        signature: (c) => `${c.clientId}|${c.connectionId}|${isOwn(c)}`,
      },
      { id: 'user', title: 'User', text: (c) => c.user ?? '—' },
      {
        // The protocol version and client library under the address, as the connection id under the client: one column fewer.
        id: 'address', title: 'Address',
        render: (c) => h('span', { class: 'stack' }, h('span', {}, c.address), h('span', { class: 'muted small' }, protocolText(c))),
        signature: (c) => `${c.address}|${protocolText(c)}`,
      },
      { id: 'age', title: 'Connected', numeric: true, text: (c) => duration(Math.max(0, Date.now() - c.connectedAt)) },
      { id: 'subscriptions', title: 'Subs', numeric: true, text: (c) => count(c.subscriptions) },
      { id: 'consumers', title: 'Consumers', numeric: true, text: (c) => count(c.consumers) },
      { id: 'rateIn', title: 'In/s', numeric: true, text: (c) => rate(c.rateIn) },
      { id: 'rateOut', title: 'Out/s', numeric: true, text: (c) => rate(c.rateOut) },
      { id: 'buffered', title: 'Buffered', numeric: true, text: (c) => bytes(c.bufferedBytes) },
      {
        id: 'actions', title: '',
        render: (c) => button('Kick', () => void this.kick(c), { danger: true, disabled: isOwn(c), title: isOwn(c) ? 'This is the console itself' : 'Close this connection' }),
        signature: (c) => String(isOwn(c)),
      },
    ], (c) => c.connectionId, emptyState('No connections.'));
    this.element = page(this.id, 'Connections', 'Clients connected now. A kicked client is disconnected and may reconnect.', this.table.element);
  }

  count(stats: BrokerStats): number {
    return stats.connections;
  }

  async refresh(ctx: ConsoleContext): Promise<void> {
    this.ctx = ctx;
    this.table.update(await ctx.client.admin.connections());
  }

  private async kick(c: ConnectionInfo): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const who = c.clientId === '' ? c.connectionId : c.clientId;
    if (!await confirmAction(`Kick ${who}?`, `The connection from ${c.address} is closed. Its client may reconnect.`, 'Kick')) return;
    await ctx.act(async () => {
      await ctx.client.admin.kick(c.connectionId);
      return `Kicked ${who}`;
    });
  }
}
