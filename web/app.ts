import type { BrokerStats, OrdoClient } from '../client/index.js';
import { byId, errorText, h, toast } from './dom.js';
import { count } from './format.js';
import type { ConsoleContext, View } from './view.js';

const REFRESH_MS = 1000;

/**
 * The signed-in console: the tabs, and a refresh once a second (the
 * broker's stats for every view, then what the visible view needs).
 */
export class ConsoleApp {
  private readonly tabs = new Map<string, { link: HTMLAnchorElement; count: HTMLSpanElement }>();
  private current: View;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private isStopped = false;
  private refreshing: Promise<void> | undefined;
  private readonly problem = byId('refresh-error');
  private readonly onHashChange = (): void => this.route();

  constructor(private readonly client: OrdoClient, private readonly views: readonly View[]) {
    this.current = views[0];
    const nav = byId('tabs');
    nav.replaceChildren(...views.map((view) => {
      const counter = h('span', { class: 'count', hidden: true });
      const link = h('a', { href: `#/${view.id}`, 'data-view': view.id }, view.title, counter);
      this.tabs.set(view.id, { link, count: counter });
      return link;
    }));
    nav.hidden = false;
    byId('views').replaceChildren(...views.map((v) => v.element));
  }

  /** Shows the view the address names and starts refreshing. */
  start(): void {
    window.addEventListener('hashchange', this.onHashChange);
    this.route();
  }

  /** Stops refreshing and empties the page (sign out, or a client that gave up). */
  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('hashchange', this.onHashChange);
    byId('tabs').hidden = true;
    byId('views').replaceChildren();
    this.problem.hidden = true;
  }

  private route(): void {
    const id = location.hash.replace(/^#\/?/, '');
    this.current = this.views.find((v) => v.id === id) ?? this.views[0];
    for (const view of this.views) view.element.hidden = view !== this.current;
    for (const [viewId, tab] of this.tabs) tab.link.classList.toggle('active', viewId === this.current.id);
    document.title = `${this.current.title} · Ordo console`;
    void this.refreshNow();
  }

  /** Refreshes now (after any refresh under way), then once a second. */
  private async refreshNow(): Promise<void> {
    clearTimeout(this.timer);
    await this.refreshing;
    if (this.isStopped) return;
    this.refreshing = this.refresh();
    await this.refreshing;
    this.refreshing = undefined;
    if (!this.isStopped) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refreshNow(), REFRESH_MS);
    }
  }

  private async refresh(): Promise<void> {
    if (this.client.state !== 'connected') return; // the status badge says why; the SDK reconnects
    try {
      const stats = await this.client.stats();
      for (const view of this.views) view.observe?.(stats);
      this.showCounts(stats);
      await this.current.refresh(this.context(stats));
      this.problem.hidden = true;
    } catch (err) {
      this.problem.textContent = `Could not refresh: ${errorText(err)}`;
      this.problem.hidden = false;
    }
  }

  private showCounts(stats: BrokerStats): void {
    for (const view of this.views) {
      const n = view.count?.(stats);
      const tab = this.tabs.get(view.id)!;
      tab.count.hidden = n === undefined;
      if (n !== undefined) tab.count.textContent = count(n);
      tab.count.classList.toggle('count-bad', view.id === 'dead-letters' && (n ?? 0) > 0);
    }
  }

  private context(stats: BrokerStats): ConsoleContext {
    return {
      client: this.client,
      stats,
      ownConnectionId: this.client.welcome?.connectionId ?? '',
      act: async (work) => {
        try {
          toast(await work());
        } catch (err) {
          toast(errorText(err), 'bad');
        }
        await this.refreshNow();
      },
    };
  }
}
