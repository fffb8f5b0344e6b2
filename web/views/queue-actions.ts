import { confirmAction } from '../dom.js';
import { count } from '../format.js';
import type { ConsoleContext } from '../view.js';

/** Asks, then purges the waiting messages of queue `name`. */
export async function purgeQueue(ctx: ConsoleContext, name: string, consequence: string): Promise<void> {
  if (!await confirmAction(`Purge ${name}?`, consequence, 'Purge')) return;
  await ctx.act(async () => `Purged ${count((await ctx.client.purgeQueue(name)).purged)} messages from ${name}`);
}

/** Asks, then moves the ready messages of dead-letter queue `name` back to the queue it collects for. */
export async function replayDeadLetters(ctx: ConsoleContext, name: string): Promise<void> {
  const q = ctx.stats.queues.find((x) => x.name === name);
  if (q === undefined) return;
  const target = q.deadLetterFor ?? '';
  const question = `Its ${count(q.ready)} ready messages move back to ${target}, in order, to be delivered again.`;
  if (!await confirmAction(`Replay ${q.name}?`, question, 'Replay', false)) return;
  await ctx.act(async () => `Moved ${count((await ctx.client.moveMessages(q.name)).moved)} messages back to ${target}`);
}
