import { inChunks } from '../../client/index.js';
import { confirmAction } from '../dom.js';
import { count } from '../format.js';
import type { ConsoleContext } from '../view.js';

/** Asks, then purges the waiting messages of queue `name`. */
export async function purgeQueue(ctx: ConsoleContext, name: string, consequence: string): Promise<void> {
  if (!await confirmAction(`Purge ${name}?`, consequence, 'Purge')) return;
  await ctx.act(async () => {
    const { done } = await inChunks(async (max) => {
      const { purged, remaining } = await ctx.client.purgeQueue(name, { max });
      return { done: purged, remaining };
    });
    return `Purged ${count(done)} messages from ${name}`;
  });
}

/** Asks, then moves the ready messages of dead-letter queue `name` back to the queue it collects for. */
export async function replayDeadLetters(ctx: ConsoleContext, name: string): Promise<void> {
  const q = ctx.stats.queues.find((x) => x.name === name);
  if (q === undefined) return;
  const target = q.deadLetterFor ?? '';
  const question = `Its ${count(q.ready)} ready messages move back to ${target}, in order, to be delivered again.`;
  if (!await confirmAction(`Replay ${q.name}?`, question, 'Replay', false)) return;
  await ctx.act(async () => {
    const { done } = await inChunks(async (max) => {
      const { moved, remaining } = await ctx.client.moveMessages(q.name, { max });
      return { done: moved, remaining };
    });
    return `Moved ${count(done)} messages back to ${target}`;
  });
}
