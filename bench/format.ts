/** Number formats the sections' tables share (security, operations). */
import { formatInteger } from './report.js';

/** What a table shows for a value that is missing. */
export const DASH = '–';

/** `own ÷ base` as `0.97×`; a dash when either is missing or not positive. */
export function formatRatio(own: number | undefined, base: number | undefined): string {
  if (own === undefined || base === undefined || !(own > 0) || !(base > 0)) return DASH;
  const ratio = own / base;
  return `${ratio < 10 ? ratio.toFixed(2) : ratio < 100 ? ratio.toFixed(1) : formatInteger(ratio)}×`;
}

/** Milliseconds with three significant digits or so: `4.00`, `12.5`, `1,204`; a dash when missing. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return DASH;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : formatInteger(ms);
}

/** The slowest and the fastest of some rates, e.g. `171,020–198,311`. */
export function formatSpread(rates: readonly number[] | undefined): string {
  if (rates === undefined || rates.length === 0) return DASH;
  return `${formatInteger(Math.min(...rates))}–${formatInteger(Math.max(...rates))}`;
}

/** A row's note: `failed: …` for an error (a skip as it is), and unexpected messages if any. */
export function noteOf(error: string | undefined, unexpected?: number): string {
  const notes: string[] = [];
  if (error !== undefined) notes.push(error.startsWith('skipped') ? error : `failed: ${error}`);
  if (unexpected !== undefined && unexpected > 0) notes.push(`${unexpected} unexpected`);
  return notes.join('; ');
}
