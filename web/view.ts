import type { BrokerStats, OrdoClient } from '../client/index.js';

/** What every view gets at each refresh (once a second). */
export interface ConsoleContext {
  readonly client: OrdoClient;
  /** The broker's stats of this refresh (rates, queues, connection count). */
  readonly stats: BrokerStats;
  /** This console's own connection, which it will not kick. */
  readonly ownConnectionId: string;
  /** Runs a change the user asked for (purge, kick …), then refreshes at once; tells the user how it went. */
  act(work: () => Promise<string>): Promise<void>;
}

/** One page of the console (a tab). */
export interface View {
  /** Its address: `#/id`. */
  readonly id: string;
  readonly title: string;
  readonly element: HTMLElement;
  /** Fetches what it shows (beyond ctx.stats) and redraws. Called while it is visible. */
  refresh(ctx: ConsoleContext): Promise<void>;
  /** Sees every refresh's stats, visible or not (the overview's charts keep their history). */
  observe?(stats: BrokerStats): void;
  /** The number shown on its tab, if any (from stats alone: every tab's, every second). */
  count?(stats: BrokerStats): number | undefined;
}
