import { inChunks as runInChunks, type ChunkOptions, type ChunkResult } from '../client/chunked.js';
import { progressBar } from './progress.js';

export type { ChunkResult } from '../client/chunked.js';

/** {@link runInChunks} with a progress bar titled `label` (on stderr, on a terminal only). */
export async function inChunks(step: (max: number) => Promise<ChunkResult>, options: ChunkOptions & { label: string }): Promise<ChunkResult> {
  const bar = progressBar(options.label, options.limit ?? 0);
  try {
    return await runInChunks(step, { ...options, onProgress: (done, total) => bar.update(done, total) });
  } finally {
    bar.finish();
  }
}
